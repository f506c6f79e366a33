"""Find the names and values a rule refers to, wherever in the rule they are written.

The linter, the engine and the diff all need "every event this rule names" and "every number it sets";
this module is the one place that knows where those sit in a rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

RelPath = tuple[str | int, ...]

CONDITION_LISTS = ("when",)
REQUIREMENT_LISTS = ("require", "unless")
DEADLINE_LISTS = ("optional_when",)
NUMBER_OPERATORS = ("at_least", "below")
DURATION_KEYS = ("within", "at_least", "not_before", "elapsed")
# A deadline's other clocks: the earliest or the latest of their due dates applies.
CLOCK_LISTS = ("whichever_sooner", "whichever_later")


@dataclass(frozen=True, slots=True)
class Reference:
    path: RelPath
    kind: Literal["event", "fact"]
    name: str


@dataclass(frozen=True, slots=True)
class Value:
    """A number the rule sets: a duration (``unit`` set) or a plain number such as a quorum or an age."""

    path: RelPath
    amount: int
    unit: str = ""
    text: str = ""


def conditions(rule: dict) -> Iterator[tuple[RelPath, dict]]:
    """Every condition in the rule: its ``when`` list, a requirement's ``require``/``unless`` lists and a
    deadline's ``optional_when``."""
    for key in CONDITION_LISTS:
        yield from _listed(rule.get(key), (key,))
    for kind, keys in (("requirement", REQUIREMENT_LISTS), ("deadline", DEADLINE_LISTS)):
        parameters = rule.get(kind)
        if isinstance(parameters, dict):
            for key in keys:
                yield from _listed(parameters.get(key), (kind, key))


def tests(rule: dict) -> Iterator[tuple[RelPath, dict]]:
    """Every single test in the rule: each condition of :func:`conditions`, and in place of an ``any_of``, each of
    its members (at ``(…, "any_of", index)``)."""
    for path, condition in conditions(rule):
        members = condition.get("any_of")
        if isinstance(members, list):
            yield from _listed(members, (*path, "any_of"))
        else:
            yield path, condition


def _listed(items: object, path: RelPath) -> Iterator[tuple[RelPath, dict]]:
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield (*path, index), item


def references(rule: dict) -> Iterator[Reference]:
    """Every event and fact name the rule uses."""
    deadline = rule.get("deadline")
    if isinstance(deadline, dict):
        what = deadline.get("what")
        if isinstance(what, str):
            yield Reference(("deadline", "what"), "event", what)
        elif isinstance(what, list):
            for index, name in enumerate(what):
                if isinstance(name, str):
                    yield Reference(("deadline", "what", index), "event", name)
        for key in ("of", "before", "after"):
            if isinstance(deadline.get(key), str):
                yield Reference(("deadline", key), "event", deadline[key])
        until = deadline.get("until")
        if isinstance(until, str):
            yield Reference(("deadline", "until"), "event", until)
        elif isinstance(until, list):
            for index, name in enumerate(until):
                if isinstance(name, str):
                    yield Reference(("deadline", "until", index), "event", name)
        for key in CLOCK_LISTS:
            for path, clock in _listed(deadline.get(key), ("deadline", key)):
                if isinstance(clock.get("of"), str):
                    yield Reference((*path, "of"), "event", clock["of"])
    for path, condition in tests(rule):
        for key in ("event", "of", "since"):
            if isinstance(condition.get(key), str):
                yield Reference((*path, key), "event", condition[key])
        fact = condition.get("fact")
        if isinstance(fact, str):
            yield Reference((*path, "fact"), "fact", fact)


def durations(rule: dict) -> Iterator[tuple[RelPath, object]]:
    """Every place the rule sets a duration, with what is written there (not yet parsed)."""
    deadline = rule.get("deadline")
    if isinstance(deadline, dict):
        for key in ("within", "at_least", "not_before"):
            if key in deadline:
                yield ("deadline", key), deadline[key]
        for key in CLOCK_LISTS:
            for path, clock in _listed(deadline.get(key), ("deadline", key)):
                if "within" in clock:
                    yield (*path, "within"), clock["within"]
    for path, condition in tests(rule):
        if "fact" in condition:
            continue
        for key in ("within", "elapsed"):
            if key in condition:
                yield (*path, key), condition[key]


def values(rule: dict) -> Iterator[Value]:
    """Every duration and number the rule sets, for checking that its citation states them."""
    from engine.core.durations import DurationError, parse_duration

    for path, text in durations(rule):
        try:
            parsed = parse_duration(text)
        except DurationError:
            continue
        yield Value(path, parsed.amount, parsed.unit.value, str(text))
    for path, condition in tests(rule):
        if "fact" in condition:
            for op in NUMBER_OPERATORS:
                number = condition.get(op)
                if isinstance(number, int) and not isinstance(number, bool):
                    yield Value((*path, op), number, "", str(number))
