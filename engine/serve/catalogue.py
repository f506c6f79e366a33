"""Every area's policy, loaded, linted and compiled once: what the service evaluates against.

A :class:`Catalogue` is a snapshot. The service holds one and replaces it whole when it reloads (on SIGHUP): a
request takes the snapshot once, when it starts, so it is answered by one set of policies from its first byte
to its last, and a policy folder edited half-way is never seen half-way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from engine.core.calendar import FIRST_YEAR, LAST_YEAR
from engine.evaluation.api import Policy
from engine.policy import show
from engine.policy.library import Library, PolicyFile
from engine.policy.policies import PolicyError, policy_roots
from engine.policy.resolve import chain_of

__all__ = ["Catalogue"]


@dataclass(eq=False)
class Catalogue:
    """The areas found under the policy folders, each a compiled :class:`engine.Policy`."""

    policies: dict[str, Policy]
    library: Library
    loaded_at: dt.datetime
    # A fingerprint of every policy file's text: a reload that changed nothing keeps it.
    digest: str
    _resolved: dict[tuple, dict] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, policies_dir: str | Path | None = None) -> Catalogue:
        """Load every area under ``policies_dir`` (default ``./policies`` if present) and those shipped with cpc,
        lint each and compile every version.

        All or nothing: :class:`PolicyError` with the findings of every file that cannot be loaded or has lint
        errors, so that a service never starts, or reloads, with one area silently missing.
        """
        roots = policy_roots(policies_dir)
        library, errors = Library.from_folders(roots)
        if errors:
            from engine.policy.lint.runner import load_finding

            names = ", ".join(sorted({exc.file for exc in errors}))
            raise PolicyError(f"{names}: cannot be loaded", [load_finding(exc.file, exc) for exc in errors])
        if not library.areas:
            raise PolicyError(f"no policies found in {roots[0]}")
        policies = {area: Policy(area, library.versions(area), library) for area in library.areas}
        findings = []
        failed: list[str] = []
        for policy in policies.values():
            try:
                _compile_every_version(policy, library, dt.date.today())
            except PolicyError as exc:
                failed.append(exc.message)
                findings.extend(exc.findings)
        if failed:
            # A base's errors are reported once, not once for every area that extends it.
            unique = list(dict.fromkeys(findings))
            raise PolicyError("; ".join(dict.fromkeys(failed)), unique)
        files = [p for area in library.areas for p in library.versions(area)]
        return cls(policies, library, dt.datetime.now(dt.UTC).replace(microsecond=0), _digest(files))

    @property
    def areas(self) -> list[str]:
        return sorted(self.policies)

    def get(self, area: str) -> Policy | None:
        return self.policies.get(area)

    def describe(self, as_of: dt.date) -> dict:
        """What ``GET /v1/areas`` answers: each area, the version in force on ``as_of`` and every version."""
        areas = []
        for area in self.areas:
            in_force = self.library.get(area, as_of)
            areas.append(
                {
                    "area": area,
                    "title": in_force.data.get("title") if in_force else None,
                    "in_force": _version(in_force) if in_force else None,
                    "extends": self._bases(in_force, as_of) if in_force else [],
                    "versions": [_version(p) for p in self.library.versions(area)],
                }
            )
        return {"as_of": as_of.isoformat(), "policies": self.stamp(), "areas": areas}

    def _bases(self, policy: PolicyFile, as_of: dt.date) -> list[str]:
        # As `cpc show --format json` lists them: the areas it extends, nearest last.
        chain, _ = chain_of(policy, self.library, as_of)
        return [p.area for p in chain[:-1]]

    def resolved(self, area: str, as_of: dt.date) -> dict:
        """The policy of ``area`` in force on ``as_of`` after inheritance, as ``cpc show --format json`` gives it.

        Raises :class:`PolicyError` when no version is in force. Built once per set of versions in force.
        """
        policy = self.policies[area]
        version = self.library.get(area, as_of)
        if version is None:
            policy.in_force(as_of)  # raises the error every command gives for a date before the first version
        chain, _ = chain_of(version, self.library, as_of)
        key = (area, *((p.file, p.effective_from) for p in chain))
        found = self._resolved.get(key)
        if found is None:
            with self._lock:
                found = self._resolved.get(key)
                if found is None:
                    found = show.as_dict(policy.in_force(as_of))
                    self._resolved[key] = found
        return found

    def stamp(self) -> dict:
        """When the policies were loaded and their fingerprint: how an operator sees that a reload took."""
        return {"loaded_at": self.loaded_at.isoformat().replace("+00:00", "Z"), "digest": self.digest}


def _compile_every_version(policy: Policy, library: Library, today: dt.date) -> None:
    # The versions in force change only on an effective date (the area's own, or a base's), so compiling on each
    # of those dates, and today, compiles every combination a request can ask for: none is compiled, nor its
    # files read again, while a request waits.
    dates = {today} | {p.effective_from for area in library.areas for p in library.versions(area) if p.effective_from}
    for day in sorted(dates):
        if FIRST_YEAR <= day.year <= LAST_YEAR and library.get(policy.area, day) is not None:
            policy.evaluator(day)


def _version(policy: PolicyFile) -> dict:
    return {
        "version": policy.version,
        "effective_from": policy.effective_from.isoformat() if policy.effective_from else None,
    }


def _digest(files: Iterable[PolicyFile]) -> str:
    digest = hashlib.sha256()
    for policy in sorted(files, key=lambda p: p.file):
        for part in (policy.file, policy.doc.text):
            data = part.encode("utf-8", "surrogatepass")
            digest.update(len(data).to_bytes(8, "big") + data)
    return "sha256:" + digest.hexdigest()[:16]
