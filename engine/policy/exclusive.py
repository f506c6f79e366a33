"""Whether two lists of policy conditions can both hold: the test that tells two exceptions of a rule apart.

Two exceptions of one base rule that can both apply, and say different things, leave the result to chance
(Catala makes this an error). This module answers the question conservatively: :func:`can_both_hold` says
``False`` only when it can prove that no case satisfies both lists, and ``True`` whenever it cannot.

The proof looks at one fact or event at a time, so it never needs the vocabulary:

* A fact has at most one value. ``equals``, ``in``, ``not_equals``, ``at_least`` and ``below`` all need
  it known; ``present: false`` needs it unknown. Two lists are exclusive on a fact when no single value
  (or its absence) meets every test the two lists make of it: ``equals: a`` and ``equals: b``,
  ``equals: a`` and ``not_equals: a``, disjoint ``in`` sets, ``at_least: 12`` and ``below: 10``,
  ``present: true`` and ``present: false``, ``equals: x`` and ``present: false``.
* An event has happened or not: ``{event: E}`` (and ``{event: E, within: D, of: E2}``, which also needs E2;
  and ``{elapsed: D, since: E}``) need E to have happened, ``{event: E, happened: false}`` (without
  ``since``) needs it not to have. ``happened: false`` with ``since`` can hold either way.
* ``{any_of: [...]}`` holds when one of its members does: the lists are exclusive when every way of picking
  one member of each ``any_of`` is.

Values are told apart only when they are of one JSON type (two strings, two numbers, two booleans) and
differ: the rules engine compares loosely (``true`` equals ``1``), so ``equals: true`` and ``equals: 1``
are not provably exclusive. ``at_least`` and ``below`` hold only of a number (the case schema gives a number
fact a number), and a value other than a number is never shown to be out of their range. A condition of a
form not listed here is left out of the proof, which can only make the answer "can both hold".

Both lists are read about one subject: a fact has the same value for the conditions of either list, as it
does for two exceptions of one rule, which are tested against the same case, conference or report.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Condition = Mapping[str, Any]

#: The most ways of picking one member of each ``any_of`` that are tried; beyond it the ``any_of``
#: conditions are left out of the proof (which stays sound: fewer conditions can only hold more often).
MAX_COMBINATIONS = 4096

_VALUE_TESTS = ("equals", "not_equals", "in", "at_least", "below")


def can_both_hold(a: Sequence[Condition], b: Sequence[Condition]) -> bool:
    """Whether some case could meet every condition of ``a`` and every condition of ``b``.

    ``False`` only when provably impossible (see the module documentation for what is proved); ``True``
    otherwise, including for conditions of forms this module does not know.
    """
    return can_hold([*a, *b])


def can_hold(conditions: Sequence[Condition]) -> bool:
    """Whether some case could meet every condition of ``conditions`` (``False`` only when provably not)."""
    plain: list[Condition] = []
    choices: list[list[Condition]] = []
    for condition in conditions:
        if not isinstance(condition, Mapping):
            continue
        if "any_of" in condition:
            members = list(_disjuncts(condition))
            if members:
                choices.append(members)
        else:
            plain.append(condition)
    if math.prod(len(c) for c in choices) > MAX_COMBINATIONS:
        choices = []
    return any(_consistent([*plain, *picked]) for picked in itertools.product(*choices))


def _disjuncts(condition: Condition) -> Iterator[Condition]:
    """The members of an ``any_of`` (flattened, should one be nested); a malformed one gives none."""
    members = condition.get("any_of")
    if not isinstance(members, list):
        return
    for member in members:
        if isinstance(member, Mapping):
            if "any_of" in member:
                yield from _disjuncts(member)
            else:
                yield member


@dataclass(slots=True)
class _Fact:
    """Everything a conjunction of conditions asks of one fact."""

    known: bool = False  # some test needs the fact recorded
    unknown: bool = False  # `present: false`
    allowed: list[Any] | None = None  # the values `equals`/`in` leave possible; None: any
    excluded: list[Any] = field(default_factory=list)  # `not_equals`
    lowest: float = -math.inf  # `at_least`
    below: float = math.inf  # `below`

    def add(self, condition: Condition) -> None:
        if condition.get("present") is False:
            self.unknown = True
        elif condition.get("present") is True or any(test in condition for test in _VALUE_TESTS):
            self.known = True
        if "equals" in condition:
            self._allow([condition["equals"]])
        if isinstance(condition.get("in"), list):
            self._allow(condition["in"])
        if "not_equals" in condition:
            self.excluded.append(condition["not_equals"])
        if _is_number(condition.get("at_least")):
            self.lowest = max(self.lowest, condition["at_least"])
        if _is_number(condition.get("below")):
            self.below = min(self.below, condition["below"])

    def _allow(self, values: list[Any]) -> None:
        if self.allowed is None:
            self.allowed = list(values)
        else:
            self.allowed = [v for v in self.allowed if any(not _distinct(v, w) for w in values)]

    def possible(self) -> bool:
        if self.unknown:
            return not self.known
        if self.allowed is None:
            return self.lowest < self.below
        return any(self._meets(value) for value in self.allowed)

    def _meets(self, value: Any) -> bool:
        if any(_same(value, other) for other in self.excluded):
            return False
        # Only a number can be shown out of a numeric range; what the engine makes of another type is not
        # for this proof to guess.
        return not _is_number(value) or self.lowest <= value < self.below


def _consistent(conditions: list[Condition]) -> bool:
    """Whether a conjunction of plain (not ``any_of``) conditions can hold, one fact and event at a time."""
    facts: dict[str, _Fact] = {}
    happened: set[str] = set()
    not_happened: set[str] = set()
    for condition in conditions:
        fact = condition.get("fact")
        if isinstance(fact, str):
            facts.setdefault(fact, _Fact()).add(condition)
            continue
        event = condition.get("event")
        if isinstance(event, str):
            if condition.get("happened") is False:
                if "since" not in condition:
                    not_happened.add(event)
            else:
                happened.add(event)
                if isinstance(condition.get("of"), str) and "within" in condition:
                    happened.add(condition["of"])
        elif isinstance(condition.get("since"), str) and "elapsed" in condition:
            happened.add(condition["since"])
    if happened & not_happened:
        return False
    return all(constraints.possible() for constraints in facts.values())


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value)


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    return "other"


def _distinct(x: object, y: object) -> bool:
    """The engine can never take ``x`` and ``y`` for the same value: one JSON type, different values."""
    kind = _kind(x)
    return kind != "other" and kind == _kind(y) and x != y


def _same(x: object, y: object) -> bool:
    """``x`` and ``y`` are the same value to the engine however it compares: one JSON type, equal."""
    kind = _kind(x)
    return kind != "other" and kind == _kind(y) and x == y
