"""cpc: Child Protection Conference procedures as code.

The API for embedders is :func:`load_policy`, :class:`Policy`, the errors, :class:`Finding` and the result
types (defined in :mod:`engine.evaluation.results`), all importable from here; see ``docs/api.md``.
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.core.findings import Finding
    from engine.evaluation.api import CaseError, Policy, PolicyError, load_policy
    from engine.evaluation.results import Citation, Clock, Evaluation, Late, PlanSummary, Result, Subject

_HOMES = (
    dict.fromkeys(("CaseError", "Policy", "PolicyError", "load_policy"), "evaluation.api")
    | dict.fromkeys(
        ("Citation", "Clock", "Evaluation", "Late", "PlanSummary", "Result", "Subject"), "evaluation.results"
    )
    | {"Finding": "core.findings"}
)


def __getattr__(name: str) -> object:
    # Imported on first use: `cpc --help` and `cpc lint` do not need the engine, whose imports (durable-rules,
    # the case validators) add about 0.1 s to every command.
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{home}", __name__), name)


__all__ = [
    "CaseError",
    "Citation",
    "Clock",
    "Evaluation",
    "Finding",
    "Late",
    "PlanSummary",
    "Policy",
    "PolicyError",
    "Result",
    "Subject",
    "load_policy",
]
