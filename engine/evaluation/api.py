"""The Python API for software that embeds cpc.

    from engine import load_policy
    berkshire = load_policy("berkshire")
    evaluation = berkshire.evaluate(case, as_of=date(2026, 3, 1))
    for result in evaluation.results:
        print(result.rule, result.status, result.due)

A :class:`Policy` holds every version of one area and compiles each (with the bases it extends) once, on
first use. It has no global state visible to the caller and is safe to share between threads.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from pathlib import Path

from engine.core.calendar import FIRST_YEAR, LAST_YEAR
from engine.evaluation.case_files import CaseError, load_case, read_case
from engine.evaluation.compile import compile_policy
from engine.evaluation.evaluate import Evaluator
from engine.evaluation.results import Evaluation
from engine.policy.library import Library, PolicyFile, version_in_force
from engine.policy.policies import PolicyError, check_resolved, not_in_force, open_library
from engine.policy.resolve import ResolvedPolicy, chain_of, resolve

__all__ = ["CaseError", "Policy", "PolicyError", "load_policy"]


class Policy:
    """One area's policy, in every version found. Made by :func:`load_policy`."""

    def __init__(self, area: str, versions: list[PolicyFile], library: Library):
        self.area = area
        self._versions = sorted(versions, key=lambda p: p.effective_from or dt.date.min)
        self._library = library
        self._evaluators: dict[tuple[str, ...], Evaluator] = {}
        self._lock = threading.Lock()

    @property
    def versions(self) -> list[tuple[str, dt.date | None]]:
        """``(version, effective_from)`` of each version, oldest first."""
        return [(p.version, p.effective_from) for p in self._versions]

    def in_force(self, as_of: dt.date) -> ResolvedPolicy:
        """The resolved policy in force on ``as_of``; :class:`PolicyError` if none is yet."""
        return resolve(self._version(as_of), self._library, as_of)

    def _version(self, as_of: dt.date) -> PolicyFile:
        version = version_in_force(self._versions, as_of)
        if version is None:
            raise not_in_force(self.area, self._versions, as_of)
        return version

    def evaluator(self, as_of: dt.date) -> Evaluator:
        """The compiled evaluator for the version in force on ``as_of`` (compiled once, then shared).

        :class:`PolicyError` if ``as_of`` is outside the years whose bank holidays are known.
        """
        if not FIRST_YEAR <= as_of.year <= LAST_YEAR:
            raise PolicyError(
                f"cannot evaluate as of {as_of.isoformat()}: working days can be counted only from {FIRST_YEAR} "
                f"to {LAST_YEAR}, the years whose bank holidays are known"
            )
        version = self._version(as_of)
        # The versions in force, base first, name the evaluator: found without resolving the policy, which
        # costs a millisecond, more than most evaluations, on every call.
        chain, _ = chain_of(version, self._library, as_of)
        key = tuple((p.file, str(p.effective_from)) for p in chain)
        evaluator = self._evaluators.get(key)
        if evaluator is None:
            with self._lock:
                evaluator = self._evaluators.get(key)
                if evaluator is None:
                    resolved = resolve(version, self._library, as_of)
                    check_resolved(resolved)
                    evaluator = Evaluator(compile_policy(resolved))
                    self._evaluators[key] = evaluator
        return evaluator

    def evaluate(
        self, case: Mapping | str | Path, *, as_of: dt.date | None = None, explain: bool = False
    ) -> Evaluation:
        """Evaluate one case against the version of the policy in force on ``as_of`` (default: today).

        ``case`` is a mapping (as parsed from JSON), or a path to a YAML or JSON case file. Raises
        :class:`CaseError` for a case that does not match the case schema or whose time limits run past the
        calendar, :class:`PolicyError` when no version of the policy is in force on ``as_of`` or ``as_of`` is
        outside the calendar. With ``explain``, each result says which conditions matched on which facts.
        """
        day = as_of or dt.date.today()
        evaluator = self.evaluator(day)
        if isinstance(case, Mapping):
            return evaluator.evaluate(read_case(case), day, explain=explain)
        return evaluator.evaluate(load_case(case), day, explain=explain, source=str(case))

    def __repr__(self) -> str:
        return f"<Policy {self.area}: {len(self._versions)} version(s)>"


def load_policy(area_or_path: str | Path, *, policies_dir: str | Path | None = None) -> Policy:
    """Load an area's policy by name (``"berkshire"``) or from a policy file.

    By name, every version of the area in ``policies_dir`` (default: ``./policies`` if present) is loaded, or,
    if that folder has no such area, of the one shipped with cpc; the areas it extends are found the same way.
    The version in force is chosen per evaluation date. Raises
    :class:`PolicyError` when the area is unknown or a policy cannot be loaded.
    """
    library, target = open_library(area_or_path, policies_dir)
    versions = [target] if target is not None else library.versions(str(area_or_path))
    area = versions[0].area
    return Policy(area, versions, library)
