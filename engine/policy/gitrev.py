"""Read a policy as it was at a git revision: ``berkshire@HEAD~1``, ``policies/berkshire/policy.yaml@main``.

A policy resolves against its bases, so the whole policies folder is read at the revision, not just the one
file: a change to ``england`` between two commits must show in a diff of ``berkshire`` across them. The files
are read with ``git show`` and loaded from memory; the working tree is never touched. Git is run as a
subprocess, so nothing but the ``git`` command is needed.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from engine.core.findings import Finding, Severity
from engine.core.resources import shipped_policies
from engine.policy.library import POLICY_SUFFIXES, Library, PolicyFile
from engine.policy.policies import PolicyError, default_policies_dir
from engine.policy.resolve import ResolvedPolicy, resolve
from engine.policy.yamlload import MAX_BYTES, LoadError, load_text


class GitError(Exception):
    """A revision that cannot be read: not in a git checkout, no git, an unknown revision or path."""


def split_revision(spec: str) -> tuple[str, str | None]:
    """``"berkshire@HEAD~1"`` → ``("berkshire", "HEAD~1")``; ``"berkshire"`` → ``("berkshire", None)``.

    The split is on the last ``@``, so a revision such as ``main@{2}`` is not supported but a path with an
    ``@`` in a folder name is. A spec that names an existing file is never split.
    """
    if "@" not in spec or Path(spec).exists():
        return spec, None
    target, rev = spec.rsplit("@", 1)
    if not target or not rev:
        raise GitError("write AREA@REVISION or FILE@REVISION, e.g. berkshire@HEAD~1")
    return target, rev


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed") from None


def _message(found: subprocess.CompletedProcess) -> str:
    return found.stderr.decode("utf-8", "replace").strip()


def _absolute(path: Path) -> Path:
    """``path`` made absolute with symlinks resolved as far as it exists: it may exist only at the revision."""
    absolute = Path(os.path.abspath(path))
    anchor = absolute
    while not anchor.exists() and anchor != anchor.parent:
        anchor = anchor.parent
    return anchor.resolve() / absolute.relative_to(anchor)


def repo_root(near: Path, rev: str) -> Path:
    """The top of the git checkout holding ``near``; :class:`GitError` when there is none."""
    start = _absolute(near)
    while not start.is_dir() and start != start.parent:
        start = start.parent
    found = _git(start, "rev-parse", "--show-toplevel")
    if found.returncode != 0:
        raise GitError(f"not inside a git repository: cannot read {rev}")
    return Path(found.stdout.decode("utf-8").strip()).resolve()


def _commit(root: Path, rev: str) -> str:
    # A revision starting with "-" would be read as an option.
    found = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}") if not rev.startswith("-") else None
    if found is None or found.returncode != 0 or not found.stdout.strip():
        raise GitError(f"unknown revision '{rev}' in the git repository at {root}")
    return found.stdout.decode("ascii").strip()


def _relative(path: Path, root: Path) -> str:
    try:
        return _absolute(path).relative_to(root).as_posix()
    except ValueError:
        raise GitError(f"{path} is not inside the git repository at {root}") from None


def _text(raw: bytes, label: str) -> str:
    try:
        return raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyError(f"{label}: cannot be loaded: not UTF-8 text") from None


@dataclass(slots=True)
class Snapshot:
    """The policies under a folder at a revision: the library, and the files that did not load."""

    library: Library
    root: Path
    folder: str
    failed: dict[str, Finding]


def read_library(folder: Path, rev: str) -> Snapshot:
    """Every policy under ``folder`` as it was at ``rev``; ``folder`` is relative to the repository root.

    Test cases under ``<area>/tests/`` are skipped, as :func:`library.policy_paths` skips them on disk. A file
    that does not load is kept aside, as on disk, and reported only if it is the one asked for. Raises
    :class:`GitError` for a revision that cannot be read.
    """
    root = repo_root(folder, rev)
    commit = _commit(root, rev)
    relative = _relative(folder, root)
    listing = _git(root, "ls-tree", "-r", "-z", "--name-only", commit, "--", relative)
    if listing.returncode != 0:
        raise GitError(f"cannot list {relative} at {rev}: {_message(listing)}")
    library = Library()
    failed: dict[str, Finding] = {}
    prefix = "" if relative == "." else f"{relative}/"
    for name in sorted(n for n in listing.stdout.decode("utf-8", "replace").split("\0") if n):
        folders = name[len(prefix) :].split("/")[:-1]
        if not name.endswith(POLICY_SUFFIXES) or "tests" in folders:
            continue
        label = f"{name}@{rev}"
        try:
            # The same size limit as a file on disk, checked before git writes the blob into memory.
            size = _git(root, "cat-file", "-s", f"{commit}:{name}")
            if size.returncode == 0 and int(size.stdout.strip() or 0) > MAX_BYTES:
                raise LoadError(
                    "CPC004",
                    f"file is {int(size.stdout):,} bytes, over the {MAX_BYTES:,}-byte limit",
                    hint="a policy or case file is a few kilobytes; check this is the right file",
                )
            shown = _git(root, "show", f"{commit}:{name}")
            if shown.returncode != 0:
                raise GitError(f"cannot read {name} at {rev}: {_message(shown)}")
            library.add(PolicyFile(load_text(_text(shown.stdout, label), label)))
        except LoadError as exc:
            from engine.policy.lint.runner import load_finding

            failed[label] = load_finding(label, exc)
    return Snapshot(library, root, relative, failed)


def open_policy_at(
    target: str, rev: str, policies_dir: str | Path | None = None, *, check: bool = True
) -> ResolvedPolicy:
    """Resolve an area or a policy file as it was at ``rev``, against the policies folder at ``rev``.

    ``target`` is an area name (looked up in ``policies_dir``, default as for :func:`policies.open_policy`)
    or a path to a policy file; a file's policies folder is the folder above its area folder. With ``check``,
    the policy and its bases are linted, from memory, and a :class:`PolicyError` carrying the errors is
    raised if any has one.
    """
    as_path = Path(target)
    if as_path.suffix in POLICY_SUFFIXES:
        snapshot = read_library(_absolute(as_path).parent.parent, rev)
        library = snapshot.library
        wanted = f"{_relative(as_path, snapshot.root)}@{rev}"
        _raise_if_failed(snapshot, [wanted])
        policy = next((p for area in library.areas for p in library.versions(area) if p.file == wanted), None)
        if policy is None:
            raise GitError(f"{target} does not exist at {rev}")
    else:
        snapshot = read_library(Path(policies_dir) if policies_dir is not None else default_policies_dir(), rev)
        library = snapshot.library
        policy = library.get(target)
        if policy is None:
            prefix = "" if snapshot.folder == "." else f"{snapshot.folder}/"
            _raise_if_failed(snapshot, [f for f in snapshot.failed if f.startswith(f"{prefix}{target}/")])
            known = ", ".join(library.areas) or "none"
            raise PolicyError(f"no policy for area '{target}' in {snapshot.folder} at {rev} (known: {known})")
    # An area kept in its own repository extends the baseline installed with cpc, which is not in its history.
    shipped, _ = Library.from_folder(shipped_policies())
    library.fill_from(shipped)
    resolved = resolve(policy, library)
    if check:
        errors = lint_errors(resolved, library)
        if errors:
            raise PolicyError(f"{policy.file} has {len(errors)} lint error(s); run `cpc lint` at {rev}", errors)
    return resolved


def _raise_if_failed(snapshot: Snapshot, labels: list[str]) -> None:
    for label in labels:
        if label in snapshot.failed:
            raise PolicyError(f"{label}: cannot be loaded", [snapshot.failed[label]])


def lint_errors(resolved: ResolvedPolicy, library: Library) -> list[Finding]:
    """The lint errors of a resolved policy's chain, linted from memory as ``cpc lint`` lints files.

    The diff refuses a broken policy for the reason the engine does: a misspelt event silently changes what
    a rule means, and the diff would report that as if it were intended.
    """
    from engine.policy.lint.base import LintContext
    from engine.policy.lint.registry import RULES
    from engine.policy.lint.schema_check import schema_findings

    findings: list[Finding] = []
    for policy in resolved.chain:
        findings.extend(schema_findings(policy.doc))
        ctx = LintContext(policy, library, resolve(policy, library))
        for rule_class in RULES.values():
            findings.extend(rule_class().check(ctx))
    unique = {(f.file, f.line, f.column, f.code, f.message): f for f in findings if f.severity is Severity.ERROR}
    return sorted(unique.values(), key=Finding.sort_key)
