"""cpc: Child Protection Conference procedures as code.

The API for embedders is :func:`load_policy`, :class:`Policy` and the result types in
:mod:`engine.results`; see ``docs/api.md``.
"""

__version__ = "0.1.0"

from .api import CaseError, Policy, PolicyError, load_policy
from .results import Citation, Clock, Evaluation, Late, Result, Subject

__all__ = [
    "CaseError",
    "Citation",
    "Clock",
    "Evaluation",
    "Late",
    "Policy",
    "PolicyError",
    "Result",
    "Subject",
    "load_policy",
]
