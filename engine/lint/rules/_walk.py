"""The names and numbers of the new policy constructs, for the rules that check every name and number a rule
writes (CPC201, CPC301, CPC404).

:mod:`engine.walk` is the one place that knows where names and values sit in a rule; until it knows the
constructs of issue 12 (a lower bound's `after` and `not_before`, `until`, the clocks of `whichever_later`,
the members of `any_of`), these functions add them. Each yields what :mod:`engine.walk` yields first, then
only the places it did not, so nothing is reported twice once it learns them.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...durations import DurationError, parse_duration
from ...walk import NUMBER_OPERATORS, Reference, RelPath, Value, conditions, durations, references, values


def all_references(rule: dict) -> Iterator[Reference]:
    """Every event and fact name the rule uses."""
    seen: set[RelPath] = set()
    for ref in references(rule):
        seen.add(ref.path)
        yield ref
    for ref in _new_references(rule):
        if ref.path not in seen:
            seen.add(ref.path)
            yield ref


def all_durations(rule: dict) -> Iterator[tuple[RelPath, object]]:
    """Every place the rule sets a duration, with what is written there (not yet parsed)."""
    seen: set[RelPath] = set()
    for path, text in durations(rule):
        seen.add(path)
        yield path, text
    for path, text in _new_durations(rule):
        if path not in seen:
            seen.add(path)
            yield path, text


def all_values(rule: dict) -> Iterator[Value]:
    """Every duration and number the rule sets."""
    seen: set[RelPath] = set()
    for value in values(rule):
        seen.add(value.path)
        yield value
    for path, text in _new_durations(rule):
        if path in seen:
            continue
        seen.add(path)
        try:
            parsed = parse_duration(text)
        except DurationError:
            continue
        yield Value(path, parsed.amount, parsed.unit.value, str(text))
    for path, member in _members(rule):
        if "fact" not in member:
            continue
        for op in NUMBER_OPERATORS:
            number = member.get(op)
            if (*path, op) not in seen and isinstance(number, int) and not isinstance(number, bool):
                seen.add((*path, op))
                yield Value((*path, op), number, "", str(number))


def _members(rule: dict) -> Iterator[tuple[RelPath, dict]]:
    """The members of every `any_of` condition, with their paths."""
    for path, condition in conditions(rule):
        members = condition.get("any_of")
        if isinstance(members, list):
            for index, member in enumerate(members):
                if isinstance(member, dict):
                    yield (*path, "any_of", index), member


def _new_references(rule: dict) -> Iterator[Reference]:
    deadline = rule.get("deadline")
    if isinstance(deadline, dict):
        if isinstance(deadline.get("after"), str):
            yield Reference(("deadline", "after"), "event", deadline["after"])
        until = deadline.get("until")
        if isinstance(until, str):
            yield Reference(("deadline", "until"), "event", until)
        elif isinstance(until, list):
            for index, name in enumerate(until):
                if isinstance(name, str):
                    yield Reference(("deadline", "until", index), "event", name)
        later = deadline.get("whichever_later")
        if isinstance(later, list):
            for index, clock in enumerate(later):
                if isinstance(clock, dict) and isinstance(clock.get("of"), str):
                    yield Reference(("deadline", "whichever_later", index, "of"), "event", clock["of"])
    for path, member in _members(rule):
        for key in ("event", "of", "since"):
            if isinstance(member.get(key), str):
                yield Reference((*path, key), "event", member[key])
        if isinstance(member.get("fact"), str):
            yield Reference((*path, "fact"), "fact", member["fact"])


def _new_durations(rule: dict) -> Iterator[tuple[RelPath, object]]:
    deadline = rule.get("deadline")
    if isinstance(deadline, dict):
        if "not_before" in deadline:
            yield ("deadline", "not_before"), deadline["not_before"]
        later = deadline.get("whichever_later")
        if isinstance(later, list):
            for index, clock in enumerate(later):
                if isinstance(clock, dict) and "within" in clock:
                    yield ("deadline", "whichever_later", index, "within"), clock["within"]
    for path, member in _members(rule):
        if "fact" in member:
            continue
        for key in ("within", "elapsed"):
            if key in member:
                yield (*path, key), member[key]
