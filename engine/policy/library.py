"""Find policy files on disk and pick the version of an area in force on a date.

Layout: ``<root>/<area>/*.yaml`` are versions of that area's policy (``policy.yaml`` is the current one by
convention); ``<root>/<area>/tests/`` holds test cases and is never read as policy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.policy.yamlload import Document, LoadError, load_file

POLICY_SUFFIXES = (".yaml", ".yml")


@dataclass(slots=True)
class PolicyFile:
    """One loaded policy document: its data and where each value sits in the file."""

    doc: Document

    @property
    def file(self) -> str:
        return self.doc.file

    def __repr__(self) -> str:
        return f"<PolicyFile {self.area} {self.version}: {self.file}>"

    @property
    def data(self) -> dict:
        return self.doc.data if isinstance(self.doc.data, dict) else {}

    @property
    def area(self) -> str:
        area = self.data.get("area")
        return area if isinstance(area, str) else Path(self.file).parent.name

    @property
    def version(self) -> str:
        return str(self.data.get("version", ""))

    @property
    def effective_from(self) -> dt.date | None:
        value = self.data.get("effective_from")
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, str):
            # A quoted date is still a date to the schema; it must be one here too.
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return None
        return value if isinstance(value, dt.date) else None

    @property
    def extends(self) -> str | None:
        value = self.data.get("extends")
        return value if isinstance(value, str) else None


def policy_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Expand files and folders into policy files, in a stable order, skipping ``tests/`` folders."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                if found.suffix in POLICY_SUFFIXES and found.is_file() and "tests" not in found.relative_to(path).parts:
                    yield found
        else:
            yield path


def area_files(root: str | Path) -> list[Path]:
    """The policy files of the areas under a policies folder: ``root/<area>/*.yaml``, nothing deeper.

    This is what a policy is resolved against, and ``root`` is often not chosen by the user (it is the
    folder two levels above a policy file given by path): searching it to any depth would read every YAML
    file under, say, ``/tmp`` or a home folder, taking minutes and resolving against whatever it found.
    """
    folder = Path(root)
    try:
        areas = sorted(entry for entry in folder.iterdir() if entry.is_dir() and entry.name != "tests")
    except OSError:
        return []
    found: list[Path] = []
    for area in areas:
        try:
            entries = sorted(area.iterdir())
        except OSError:
            continue
        found.extend(entry for entry in entries if entry.suffix in POLICY_SUFFIXES and entry.is_file())
    return found


def version_in_force(versions: Sequence[PolicyFile], as_of: dt.date) -> PolicyFile | None:
    """The newest of ``versions`` (oldest first) that has taken effect by ``as_of``; None before the first.

    The one rule for which version applies on a date: evaluation, the bases a policy extends, ``cpc compare``
    and ``cpc render`` all pick by it, so a reviewer sees the very version a case was evaluated against.
    A version without an effective date has always been in force.
    """
    started = [p for p in versions if p.effective_from is None or p.effective_from <= as_of]
    return started[-1] if started else None


class Library:
    """The policies that can be resolved against each other: every version of every area found."""

    def __init__(self, files: Iterable[PolicyFile] = ()):
        self._by_area: dict[str, list[PolicyFile]] = {}
        for policy in files:
            self.add(policy)

    def add(self, policy: PolicyFile) -> None:
        versions = self._by_area.setdefault(policy.area, [])
        if any(existing.file == policy.file for existing in versions):
            return
        versions.append(policy)
        versions.sort(key=lambda p: (p.effective_from or dt.date.min, p.file))

    @property
    def areas(self) -> list[str]:
        return sorted(self._by_area)

    def versions(self, area: str) -> list[PolicyFile]:
        return list(self._by_area.get(area, ()))

    def get(self, area: str, as_of: dt.date | None = None) -> PolicyFile | None:
        """The version of ``area`` in force on ``as_of`` (the latest version when ``as_of`` is None)."""
        versions = self._by_area.get(area)
        if not versions:
            return None
        return versions[-1] if as_of is None else version_in_force(versions, as_of)

    def fill_from(self, other: Library) -> None:
        """Add the areas of ``other`` that this library does not have (every version of each, as found)."""
        for area in other.areas:
            if area not in self._by_area:
                for policy in other.versions(area):
                    self.add(policy)

    @classmethod
    def from_folder(cls, root: str | Path) -> tuple[Library, list[LoadError]]:
        """Load every policy under ``root``. Files that fail to load are returned, not raised."""
        return cls.from_folders([root])

    @classmethod
    def from_folders(
        cls, roots: Iterable[str | Path], loaded: Iterable[PolicyFile] = ()
    ) -> tuple[Library, list[LoadError]]:
        """Load the areas under each of ``roots``; an area found under an earlier root hides the later ones.

        An area's own repository holds ``policies/reading/`` and extends ``england`` from the installed
        package: the roots are the local folder, then the shipped one. An area is taken whole from the first
        root that has a folder for it, so a local ``england`` replaces the shipped one rather than mixing
        versions of both. Files that fail to load are returned, not raised, for the areas taken. ``loaded``
        are files already read (the ones being linted), which are not read again.
        """
        library = cls()
        already = {Path(p.file).resolve(): p for p in loaded}
        errors: list[LoadError] = []
        seen: set[Path] = set()
        # Area names (folder names and `area:` values) an earlier root has: a later root's are hidden.
        found: set[str] = set()
        for root in roots:
            folder = Path(root)
            if folder.resolve() in seen:
                continue
            seen.add(folder.resolve())
            taken = set(found)
            for path in area_files(folder):
                if path.parent.name in taken:
                    continue
                found.add(path.parent.name)
                try:
                    policy = already.get(path.resolve()) or PolicyFile(load_file(path))
                except LoadError as exc:
                    exc.file = str(path)
                    errors.append(exc)
                    continue
                if policy.area not in taken:
                    library.add(policy)
                    found.add(policy.area)
        return library, errors
