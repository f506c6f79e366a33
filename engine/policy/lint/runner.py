"""Lint policy files: load, check against the schema, resolve, run every rule, collect findings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.core.findings import Finding, Severity
from engine.core.resources import shipped_policies
from engine.policy.citations import SourceText
from engine.policy.library import Library, PolicyFile, policy_paths
from engine.policy.lint.base import LintContext
from engine.policy.lint.registry import RULES
from engine.policy.lint.schema_check import schema_findings
from engine.policy.resolve import resolve
from engine.policy.yamlload import LoadError, load_file


class UsageError(Exception):
    """The lint was asked for something impossible: a path that does not exist, a missing folder."""


@dataclass(slots=True)
class LintResult:
    findings: list[Finding]
    files: list[str]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)


def load_finding(file: str, exc: LoadError) -> Finding:
    """A loader error as a finding, under the code of the rule that documents it."""
    rule = RULES[exc.code]
    from engine.core.findings import json_path

    return Finding(
        file,
        exc.line,
        exc.column,
        rule.code,
        rule.name,
        rule.severity,
        exc.message,
        json_path(exc.path),
        exc.hint,
    )


def _library_for(files: list[PolicyFile], roots: set[Path]) -> Library:
    # Files that fail to load are reported when that file itself is linted. The shipped policies come last,
    # so that an area kept in its own repository resolves `extends: england` from the installed cpc.
    # The linted files' own folders come before the shipped one whatever their names: a local copy of a shipped
    # area replaces it, even where the shipped folder's path sorts first (an editable install in a checkout).
    shipped = shipped_policies()
    library, _ = Library.from_folders([*sorted(roots - {shipped}), shipped], files)
    for policy in files:
        library.add(policy)
    return library


def lint(paths: Iterable[str | Path], sources_dir: str | Path | None = None) -> LintResult:
    """Lint the policy files at ``paths`` (files or folders).

    Policies are resolved against every policy in the same policies folder (the folder that holds the
    area folders), so a local policy can be linted on its own. Raises :class:`UsageError` for a path
    that does not exist.
    """
    given = [Path(p) for p in paths]
    for path in given:
        if not path.exists():
            raise UsageError(f"{path}: no such file or folder")
    sources = Path(sources_dir) if sources_dir is not None else None
    if sources is not None and not sources.is_dir():
        raise UsageError(
            f"--sources {sources}: no such folder; it should hold the procedure texts the policies cite "
            "(each source's `file:`)"
        )

    findings: list[Finding] = []
    loaded: list[PolicyFile] = []
    names: list[str] = []
    for path in policy_paths(given):
        names.append(str(path))
        try:
            loaded.append(PolicyFile(load_file(path)))
        except LoadError as exc:
            findings.append(load_finding(str(path), exc))
    roots = {Path(p.file).resolve().parent.parent for p in loaded}
    library = _library_for(loaded, roots)
    texts: dict[str, SourceText | None] = {}
    for policy in loaded:
        if not isinstance(policy.doc.data, dict):
            rule = RULES["CPC100"]
            findings.append(
                Finding(
                    policy.file,
                    1,
                    1,
                    rule.code,
                    rule.name,
                    rule.severity,
                    "a policy must be a mapping of keys such as area, title, rules",
                )
            )
            continue
        findings.extend(schema_findings(policy.doc))
        ctx = LintContext(policy, library, resolve(policy, library), sources, texts)
        for rule_class in RULES.values():
            findings.extend(rule_class().check(ctx))
    unique = {(f.file, f.line, f.column, f.code, f.message): f for f in findings}
    return LintResult(sorted(unique.values(), key=Finding.sort_key), names)
