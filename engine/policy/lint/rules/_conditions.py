"""Every condition a rule writes, with the list it sits in: the checks of where a construct may be used."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from engine.policy.walk import conditions

RelPath = tuple[str | int, ...]

#: The kinds of thing a fact is about, by its prefix; any other prefix is a fact of the case.
ITEM_FACTS = ("conference", "exclusion_request", "report")


@dataclass(frozen=True, slots=True)
class Placed:
    """A condition, where it is written, and the list (`when`, `require`, `unless`, `optional_when`) it is in."""

    path: RelPath
    condition: dict
    place: str
    #: A member of an `any_of`, rather than a condition of the list itself.
    member: bool = False


def placed_conditions(rule: dict) -> Iterator[Placed]:
    """Every condition of the rule, each `any_of` followed by its members."""
    for path, condition in conditions(rule):
        place = str(path[-2])
        yield Placed(path, condition, place)
        members = condition.get("any_of")
        if isinstance(members, list):
            for index, member in enumerate(members):
                if isinstance(member, dict):
                    yield Placed((*path, "any_of", index), member, place, member=True)


def fact_kind(fact: str) -> str:
    """What a fact is about: `case`, or the item its prefix names (`conference.type` → `conference`)."""
    prefix = fact.split(".", 1)[0]
    return prefix if prefix in ITEM_FACTS else "case"
