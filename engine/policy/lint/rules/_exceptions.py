"""What the exception rules share: the exceptions a file writes, and the rules they may be exceptions to.

Resolution leaves out an exception whose base is missing, is itself an exception or is of another kind, so
the checks read exceptions from the YAML as written and look their bases up in the resolved policy first,
then in the rules the files of the chain write (where a left-out exception still is).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from engine.policy.library import PolicyFile
from engine.policy.resolve import ResolvedPolicy, ResolvedRule

RelPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class WrittenException:
    """A rule under `rules:` of this file with `exception_of`."""

    id: str
    path: RelPath
    item: dict
    base_id: str


def written_exceptions(policy: PolicyFile) -> Iterator[WrittenException]:
    items = policy.data.get("rules")
    if not isinstance(items, list):
        return
    for index, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get("exception_of"), str):
            yield WrittenException(str(item.get("id", "")), ("rules", index), item, item["exception_of"])


def base_of(rule: ResolvedRule) -> str | None:
    """The id of the rule ``rule`` is an exception to, or None when it is not an exception."""
    base = rule.exception_of or rule.data.get("exception_of")
    return base if isinstance(base, str) else None


def own_conditions(rule: ResolvedRule) -> list[dict]:
    """An exception's own `when` conditions, without its base's."""
    own = rule.exception_when if rule.exception_of else rule.data.get("when")
    return [c for c in own or () if isinstance(c, dict)]


def valid_base(resolved: ResolvedPolicy, exception: WrittenException) -> ResolvedRule | None:
    """The rule an exception is to, if it is one an exception may have (CPC205 reports the others)."""
    base = resolved.rules.get(exception.base_id)
    return base if base is not None and base_of(base) is None and base.kind else None


def written_rule(resolved: ResolvedPolicy, rule_id: str) -> tuple[PolicyFile, RelPath, dict] | None:
    """Where the chain's nearest file writes rule ``rule_id`` under `rules:`, whether or not it resolved."""
    for layer in reversed(resolved.chain):
        items = layer.data.get("rules")
        if isinstance(items, list):
            for index, item in enumerate(items):
                if isinstance(item, dict) and item.get("id") == rule_id:
                    return layer, ("rules", index), item
    return None


def inherited_version(rule: ResolvedRule, policy: PolicyFile) -> ResolvedRule | None:
    """The rule as the policies ``policy`` extends left it: before this file's override; None if it is ours."""
    while rule.source is policy:
        if rule.origin != "overridden" or rule.base is None:
            return None
        rule = rule.base
    return rule
