"""Open an area's policy by name or path, resolved and checked, for every command that evaluates or shows it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from engine.core.findings import Finding, Severity
from engine.core.resources import shipped_policies
from engine.policy.library import Library, PolicyFile
from engine.policy.resolve import ResolvedPolicy, resolve
from engine.policy.yamlload import LoadError, load_file


class PolicyError(Exception):
    """A policy that cannot be used: not found, not loadable, or with lint errors. Carries the findings."""

    def __init__(self, message: str, findings: list[Finding] | None = None):
        super().__init__(message)
        self.message = message
        self.findings = findings or []


def default_policies_dir() -> Path:
    """``./policies`` when the working folder has one (an area's own repository), else the shipped ones."""
    local = Path("policies")
    return local if local.is_dir() else shipped_policies()


def policy_roots(policies_dir: str | Path | None = None) -> list[Path]:
    """The folders areas are looked up in, first wins: ``policies_dir`` (default ``./policies``), then cpc's own.

    An area kept in its own repository has only its own folder under ``policies/``; the national baseline
    and the other shipped areas it may extend come from the installed package. A folder of the same name in
    ``policies_dir`` replaces the shipped one.
    """
    first = Path(policies_dir) if policies_dir is not None else default_policies_dir()
    return [first, shipped_policies()]


def open_library(area_or_path: str | Path, policies_dir: str | Path | None = None) -> tuple[Library, PolicyFile | None]:
    """The library an area (or a policy file) resolves in, and the file when a path was given.

    Raises :class:`PolicyError` for an unknown area or a file that cannot be loaded.
    """
    text = str(area_or_path)
    as_path = Path(text)
    if as_path.suffix in (".yaml", ".yml") or as_path.is_file():
        if not as_path.is_file():
            raise PolicyError(f"{text}: no such policy file")
        try:
            target = PolicyFile(load_file(as_path))
        except LoadError as exc:
            from engine.policy.lint.runner import load_finding

            raise PolicyError(f"{text}: cannot be loaded", [load_finding(text, exc)]) from None
        library, _ = Library.from_folders([as_path.resolve().parent.parent, shipped_policies()], [target])
        library.add(target)
        return library, target
    roots = policy_roots(policies_dir)
    root = roots[0]
    library, errors = Library.from_folders(roots)
    # A version of the area that cannot be read must stop the evaluation: skipped, an older version would be
    # applied in its place, or the area reported as unknown.
    broken = [exc for exc in errors if Path(exc.file).parent.name == text]
    if broken:
        from engine.policy.lint.runner import load_finding

        names = ", ".join(exc.file for exc in broken)
        raise PolicyError(f"{names}: cannot be loaded", [load_finding(exc.file, exc) for exc in broken])
    if text not in library.areas:
        known = ", ".join(library.areas) or "none"
        raise PolicyError(f"no policy for area '{text}' in {root} or shipped with cpc (known: {known})")
    return library, None


def not_in_force(area: str, versions: Sequence[PolicyFile], as_of: dt.date | None) -> PolicyError:
    """The error for a date before an area's first version, worded once for every command that picks one."""
    first = versions[0].effective_from if versions else None
    return PolicyError(
        f"no version of '{area}' is in force on {as_of.isoformat() if as_of else 'that date'}: "
        f"the earliest takes effect on {first.isoformat() if first else 'an unknown date'}"
    )


def check_resolved(resolved: ResolvedPolicy) -> None:
    """Lint the policy and its bases; raise :class:`PolicyError` with the errors if there are any.

    The engine never evaluates a broken policy: a misspelt event would silently switch a rule off.
    """
    from engine.policy.lint.runner import lint

    files = [p.file for p in resolved.chain]
    errors = [f for f in lint(files).findings if f.severity is Severity.ERROR]
    if errors:
        raise PolicyError(f"{resolved.file.file} has {len(errors)} lint error(s); run `cpc lint`", errors)


def open_policy(
    area_or_path: str | Path,
    policies_dir: str | Path | None = None,
    as_of: dt.date | None = None,
    *,
    check: bool = True,
) -> ResolvedPolicy:
    """Resolve an area (``berkshire``) or a policy file, at the version in force on ``as_of``.

    With ``check`` (the default) the policy and its bases are linted first, and a :class:`PolicyError`
    carrying the error findings is raised if any has errors.
    """
    library, target = open_library(area_or_path, policies_dir)
    if target is None:
        target = library.get(str(area_or_path), as_of)
        if target is None:
            raise not_in_force(str(area_or_path), library.versions(str(area_or_path)), as_of)
    elif as_of is not None and target.effective_from and target.effective_from > as_of:
        raise PolicyError(
            f"{target.file} takes effect on {target.effective_from.isoformat()}, after {as_of.isoformat()}"
        )
    resolved = resolve(target, library, as_of)
    if check:
        check_resolved(resolved)
    return resolved
