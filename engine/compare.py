"""`cpc compare`: every timescale, quorum and notice period of several areas side by side.

A row is one value a rule sets (a rule id and the path of the value inside the rule, as :func:`walk.values`
finds it); a column is an area. Each cell says where the area's value comes from (its own text, a restatement
of the base's value, or inheritance because its text is silent) and whether it is the strictest in its row.
Strictness follows the direction of the parameter: a maximum (``within``) is stricter when shorter, a notice
period (``at_least … before``) or a lower bound (``not_before``) when longer, a required number when higher.
An ``exclusive`` boundary takes the boundary day out of time, a day stricter. Durations in different units
are compared by the calendar days each can span, so "3 months" against "13 weeks" depends on the dates and
neither is highlighted. An exception's rows follow its base's; the conditions of an exception looser than its
base are stricter when they hold in fewer cases.

This module builds the model and renders it; it knows nothing of the command line.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Literal

from .durations import Duration, DurationError, Unit, compare_strictness, parse_duration
from .render import (
    clock_stops,
    deadline_limit,
    deadline_subject,
    event_words,
    exception_when,
    long_date,
    topic_heading,
)
from .render import condition as plain_condition
from .render import conditions as plain_conditions
from .resolve import ResolvedPolicy, ResolvedRule
from .safe_text import CsvWriter, markdown_code, markdown_text, terminal
from .show import TOPIC_ORDER, effective
from .walk import CLOCK_LISTS, RelPath, values

Status = Literal["local", "overridden", "restated", "inherited", "absent", "withdrawn"]
# Which way a value is stricter: "lower" (a shorter maximum, a lower ceiling) or "higher" (a longer notice,
# a larger quorum); None where the value has no direction (the thresholds of a decision's conditions).
Direction = Literal["lower", "higher"] | None
Verdict = Literal["stricter", "same", "depends on dates", "no direction", "one value"]

FORMATS = ("markdown", "text", "csv", "html", "json")


class CompareError(ValueError):
    """The policies cannot be compared as given (e.g. the same area version named twice)."""


@dataclass(frozen=True, slots=True)
class Cell:
    """One area's value for one row."""

    status: Status
    text: str = ""
    value: Duration | int | None = None
    # The area whose text sets the value (the area itself unless inherited), or that withdrew the rule.
    source: str = ""
    strictest: bool = False
    reason: str = ""
    # With an exclusive boundary the boundary day itself is out of time: -1 where that makes the time shorter
    # (a maximum), +1 where it makes it longer (a notice period, a lower bound); 0 for the default.
    shift: int = 0


@dataclass(frozen=True, slots=True)
class Row:
    """One value a rule sets, across the compared areas."""

    topic: str
    rule_id: str
    title: str
    # What the row's value is, in the words `cpc render` uses for the rule, "…" where the value goes: "The
    # initial conference takes place within … of the strategy discussion". Every renderer shows this.
    label: str
    path: RelPath
    direction: Direction
    verdict: Verdict
    cells: tuple[Cell, ...]

    @property
    def differs(self) -> bool:
        """Whether the areas' values are not all the same (an absent or withdrawn rule is a value of its own)."""
        return (
            len({cell.text if cell.status not in ("absent", "withdrawn") else cell.status for cell in self.cells}) > 1
        )

    @property
    def strictest_columns(self) -> list[int]:
        """Indexes of the highlighted cells."""
        return [i for i, cell in enumerate(self.cells) if cell.strictest]

    @property
    def stricter_is(self) -> str:
        """The direction in words for this row's kind of value: shorter, longer, higher, lower, or ''."""
        if self.direction is None:
            return ""
        durations = any(isinstance(c.value, Duration) for c in self.cells)
        if durations:
            return "shorter" if self.direction == "lower" else "longer"
        return self.direction


@dataclass(frozen=True, slots=True)
class Column:
    """A compared area: its header in the tables, its key for programs, and what the policy is."""

    # The policy's short name ("Pan-Berkshire"), with the version when one area is compared with itself.
    label: str
    # The area as cpc names it ("berkshire"), likewise with the version: JSON's key for the column.
    key: str
    area: str
    title: str
    version: str
    effective_from: str
    extends: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WithdrawnNote:
    """A rule withdrawn in a compared area, with the reason the policy gives."""

    label: str
    key: str
    area: str
    rule_id: str
    by: str
    defined_in: str
    reason: str


@dataclass(frozen=True, slots=True)
class Comparison:
    """The whole matrix: columns in the order the areas were named, rows grouped by topic."""

    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    withdrawn: tuple[WithdrawnNote, ...] = ()
    # The short name of every area the compared policies are built from (theirs and their bases'), by area.
    names: Mapping[str, str] = field(default_factory=dict)
    # Whether the rows where every area says the same have been left out (:meth:`differences`).
    only_differences: bool = False

    def differences(self) -> Comparison:
        """Only the rows whose areas do not all say the same: a value that differs, or a rule one area lacks or
        has withdrawn. A value inherited and the same value restated count as the same."""
        return replace(self, rows=tuple(row for row in self.rows if row.differs), only_differences=True)

    def name(self, area: str) -> str:
        """The area's short name for a reader (``Pan-Berkshire``), or the area itself when its policy has none."""
        return self.names.get(area, area)

    def topics(self) -> list[tuple[str, list[Row]]]:
        """The rows grouped under the headings `cpc render` gives their topics, in the procedure's order
        (:data:`show.TOPIC_ORDER`): topics that share a heading (attendance, quorum) share a group."""
        order = {t: i for i, t in enumerate(TOPIC_ORDER)}
        ranked = sorted(self.rows, key=lambda row: (order.get(row.topic, len(order)), row.topic))
        groups: dict[str, list[Row]] = {}
        for row in ranked:
            groups.setdefault(topic_heading(row.topic), []).append(row)
        return list(groups.items())


# --- Building the model -----------------------------------------------------------------------------------


def compare_policies(policies: Sequence[ResolvedPolicy]) -> Comparison:
    """Compare resolved policies, in the order given.

    Raises :class:`CompareError` when the same version of an area is given twice, since its two columns
    could not be told apart.
    """
    columns = _columns(policies)
    keys: dict[tuple[str, RelPath], ResolvedRule] = {}
    for policy in policies:
        for rule in _all_rules(policy):
            for value in values(dict(rule.data)):
                keys.setdefault((rule.id, value.path), rule)
            if rule.data.get("disapplies"):
                # No value, but a row: where it holds, the area's base rule does not apply at all.
                keys.setdefault((rule.id, DISAPPLIES), rule)
    rows = [_row(rule_id, path, first, policies) for (rule_id, path), first in keys.items()]
    # An exception's rows follow its base's, wherever it first appears.
    bases = {rule_id: str(first.exception_of) for (rule_id, _), first in keys.items() if first.exception_of}
    first_row = {}
    for index, r in enumerate(rows):
        first_row.setdefault(r.rule_id, index)
    anchor = {r.rule_id: first_row.get(bases.get(r.rule_id, r.rule_id), first_row[r.rule_id]) for r in rows}
    order = {t: i for i, t in enumerate(TOPIC_ORDER)}
    # A stable sort keeps, within a topic, the order rules first appear in the areas as named.
    rows.sort(key=lambda r: (order.get(r.topic, len(order)), r.topic, anchor[r.rule_id], r.rule_id in bases))
    withdrawn = tuple(
        WithdrawnNote(column.label, column.key, column.area, w.id, w.area, w.rule.defined_in, w.reason)
        for column, policy in zip(columns, policies, strict=True)
        for w in policy.withdrawn.values()
    )
    return Comparison(tuple(columns), tuple(rows), withdrawn, _names(policies))


def _names(policies: Sequence[ResolvedPolicy]) -> dict[str, str]:
    """Each area's short name, for the compared areas and the areas they extend (which values come from)."""
    names = {f.area: str(f.data.get("name") or f.area) for p in policies for f in p.chain}
    names.update((p.area, p.name or p.area) for p in policies)
    return names


def _columns(policies: Sequence[ResolvedPolicy]) -> list[Column]:
    areas = [p.area for p in policies]
    keys: list[str] = []
    labels: list[str] = []
    seen: set[tuple[str, str]] = set()
    for policy in policies:
        # Two versions of one area (given as files) are told apart by version; the same one twice cannot be.
        if (policy.area, policy.version) in seen:
            raise CompareError(f"'{policy.area}' is named twice; name each area (or policy file) once")
        seen.add((policy.area, policy.version))
        name = policy.name or policy.area
        once = areas.count(policy.area) == 1
        keys.append(policy.area if once else f"{policy.area} {policy.version}")
        labels.append(name if once else f"{name} {policy.version}")
    # Two areas whose policies give the same short name are told apart by the area.
    labels = [f"{label} ({key})" if labels.count(label) > 1 else label for label, key in zip(labels, keys, strict=True)]
    return [
        Column(
            label,
            key,
            p.area,
            p.title,
            p.version,
            p.effective_from.isoformat() if p.effective_from else "",
            tuple(f.area for f in p.chain[:-1]),
        )
        for label, key, p in zip(labels, keys, policies, strict=True)
    ]


def _all_rules(policy: ResolvedPolicy) -> Iterator[ResolvedRule]:
    yield from policy.rules.values()
    # A withdrawn rule still names a row, so the areas that keep it can be seen beside the one that does not.
    for withdrawal in policy.withdrawn.values():
        yield withdrawal.rule


# The row of an exception that disapplies its base: it sets no value, but says where the base does not apply.
DISAPPLIES: RelPath = ("disapplies",)


def _row(rule_id: str, path: RelPath, first: ResolvedRule, policies: Sequence[ResolvedPolicy]) -> Row:
    owner = next((p for p in policies if p.rules.get(rule_id) is first), None)
    direction = _direction(first.kind, path)
    if first.exception_of and path[0] == "when":
        # Where an exception's conditions hold more often, more cases get its parameters instead of its base's:
        # stricter for a stricter exception, looser for a looser one, and no direction when that is not clear.
        sense = _exception_sense(first, owner) if owner is not None else None
        flip = {"lower": "higher", "higher": "lower"}
        direction = None if sense is None or direction is None else direction if sense < 0 else flip[direction]
    cells = [_cell(policy, rule_id, path) for policy in policies]
    verdict, strictest = _strictest([None if c.value is None else (c.value, c.shift) for c in cells], direction)
    cells = [replace(c, strictest=True) if i in strictest else c for i, c in enumerate(cells)]
    data = effective(first, owner) if owner is not None else dict(first.data)
    return Row(
        topic=str(first.data.get("topic", "other")),
        rule_id=rule_id,
        title=str(first.data.get("title", "")),
        label=_label(first, data, path),
        path=path,
        direction=direction,
        verdict=verdict,
        cells=tuple(cells),
    )


def _cell(policy: ResolvedPolicy, rule_id: str, path: RelPath) -> Cell:
    withdrawal = policy.withdrawn.get(rule_id)
    if withdrawal is not None:
        return Cell("withdrawn", source=withdrawal.area, reason=withdrawal.reason)
    rule = policy.rules.get(rule_id)
    if path == DISAPPLIES:
        if rule is None or not rule.data.get("disapplies"):
            return Cell("absent")
        setter = _setter(rule, path)
        return Cell("local" if setter == policy.area else "inherited", "does not apply", None, setter)
    found = _value_at(rule, path) if rule is not None else None
    if rule is None or found is None:
        return Cell("absent")
    text, value, shift = found
    setter = _setter(rule, path)
    if shift:
        text += " (exclusive)"
    if setter != policy.area:
        return Cell("inherited", text, value, setter, shift=shift)
    base = _value_at(rule.base, path) if rule.base is not None else None
    if base is None:
        return Cell("local", text, value, setter, shift=shift)
    if _same(base[1], value) and base[2] == shift:
        return Cell("restated", text, value, setter, shift=shift)
    return Cell("overridden", text, value, setter, shift=shift)


def _value_at(rule: ResolvedRule | None, path: RelPath) -> tuple[str, Duration | int, int] | None:
    """The value at ``path`` in words and parsed, with its boundary's shift (see :attr:`Cell.shift`)."""
    if rule is None:
        return None
    data = dict(rule.data)
    for value in values(data):
        if value.path == path:
            if value.unit:
                duration = _parse(value.text)
                return (str(duration), duration, _shift(data, path)) if duration is not None else None
            return (str(value.amount), value.amount, 0)
    return None


def _shift(rule: dict, path: RelPath) -> int:
    """How an exclusive boundary moves the duration at ``path``: see :attr:`Cell.shift`."""
    if path[0] == "deadline" and path[1] != "optional_when":
        deadline = rule.get("deadline")
        if not isinstance(deadline, dict | MappingProxyType) or deadline.get("boundary") != "exclusive":
            return 0
        # The due date itself is late: less time for a maximum, more notice or a later earliest date.
        return 1 if path[1] in ("at_least", "not_before") else -1
    condition = _lookup(rule, path[:-1])
    if path[-1] == "within" and isinstance(condition, dict | MappingProxyType):
        return -1 if condition.get("boundary") == "exclusive" else 0
    return 0


def _parse(text: str) -> Duration | None:
    try:
        return parse_duration(text)
    except DurationError:
        return None


def _setter(rule: ResolvedRule, path: RelPath) -> str:
    """The area whose text sets the value at ``path``: the last layer that defined or overrode it there."""
    current: ResolvedRule | None = rule
    while current is not None:
        if current.base is None:
            return current.source.area
        item = _lookup(current.source.data, current.path)
        if isinstance(item, dict) and _lookup(item, path) is not None:
            return current.source.area
        current = current.base
    return rule.defined_in  # pragma: no cover - a chain always ends at the rule's definition


def _lookup(data: object, path: RelPath) -> object:
    for key in path:
        if isinstance(key, int) and isinstance(data, list) and 0 <= key < len(data):
            data = data[key]
            continue
        if isinstance(key, str) and isinstance(data, dict | MappingProxyType) and key in data:
            data = data[key]
            continue
        return None
    return data


# --- Strictness -------------------------------------------------------------------------------------------

# Whether a larger value makes a condition harder to satisfy.
_HARDER_WHEN_LARGER = {"at_least": True, "below": False, "within": False, "elapsed": True}


def _direction(kind: str, path: RelPath) -> Direction:
    """Which way the value at ``path`` of a rule of ``kind`` is stricter."""
    if path[:2] == ("deadline", "optional_when"):
        # Like a requirement's "unless": an exemption from the deadline that is harder to qualify for is stricter.
        harder = _HARDER_WHEN_LARGER.get(str(path[-1]))
        return None if harder is None else "higher" if harder else "lower"
    if path[0] == "deadline":
        # A notice period ("at least … before") and a lower bound ("not before") bind harder when longer, since
        # fewer dates are then allowed; every other deadline is a maximum.
        return "higher" if path[-1] in ("at_least", "not_before") and len(path) == 2 else "lower"
    harder_when_larger = _HARDER_WHEN_LARGER.get(str(path[-1]))
    if harder_when_larger is None:
        return None
    if path[0] == "requirement":
        # A requirement that is harder to meet is stricter, and so is an exemption ("unless") that is harder
        # to qualify for.
        return "higher" if harder_when_larger else "lower"
    if path[0] == "when" and kind in ("requirement", "deadline"):
        # A condition on when an obligation applies is stricter when it holds more often: a child in need
        # plan that needs agreement to close within 6 months is held to more than one within 3.
        return "lower" if harder_when_larger else "higher"
    # A decision's conditions say when the procedure directs something; neither side of them is stricter.
    return None


_BOUNDS: dict[str, Literal["lower", "higher"]] = {"within": "lower", "at_least": "higher", "not_before": "higher"}


def _exception_sense(rule: ResolvedRule, policy: ResolvedPolicy) -> int | None:
    """-1 when the exception is stricter than its base, 1 when looser, None when that is not clear.

    An exception that disapplies an obligation is looser. A deadline exception is weighed by its time limit,
    when that is all that differs from its base's deadline.
    """
    base = policy.rules.get(str(rule.exception_of))
    if base is None or base.kind not in ("deadline", "requirement"):
        return None
    if rule.data.get("disapplies"):
        return 1
    mine, theirs = rule.parameters, base.parameters
    key = next((k for k in _BOUNDS if k in mine and k in theirs), None)
    if base.kind != "deadline" or key is None:
        return None
    if {k: v for k, v in mine.items() if k != key} != {k: v for k, v in theirs.items() if k != key}:
        return None
    a, b = _parse(str(mine[key])), _parse(str(theirs[key]))
    if a is None or b is None:
        return None
    relation = _relation((a, 0), (b, 0), _BOUNDS[key])
    return {"stricter": -1, "looser": 1}.get(relation)


def _normal(value: Duration | int) -> Duration | int:
    # Units that are exact multiples of each other: 2 weeks are always 14 days, 1 year always 12 months.
    if isinstance(value, Duration):
        if value.unit is Unit.WEEKS:
            return Duration(value.amount * 7, Unit.DAYS)
        if value.unit is Unit.YEARS:
            return Duration(value.amount * 12, Unit.MONTHS)
    return value


def _same(a: Duration | int, b: Duration | int) -> bool:
    return type(a) is type(b) and _normal(a) == _normal(b)


# A value and its boundary's shift (see Cell.shift).
Bound = tuple[Duration | int, int]


def _order(a: Bound, b: Bound) -> int | None:
    """-1 when ``a`` always allows less time than ``b``, 1 when more, 0 when the same; None when it depends.

    An exclusive boundary takes the boundary day out (or, for a notice, adds one): with the same duration it
    decides; ``n`` days or working days exclusive are ``n - 1`` inclusive (``n + 1`` for a notice); in other
    units, a gap of more than a day between the calendar days each can span.
    """
    (va, sa), (vb, sb) = a, b
    if isinstance(va, Duration) and isinstance(vb, Duration):
        na, nb = _normal(va), _normal(vb)
        if na == nb:
            return (sa > sb) - (sa < sb)
        if na.unit == nb.unit and na.unit in (Unit.DAYS, Unit.WORKING_DAYS):
            ea, eb = na.amount + sa, nb.amount + sb
            return (ea > eb) - (ea < eb)
        if sa == sb:
            return {"shorter": -1, "longer": 1}.get(compare_strictness(na, nb))
        # Across units with the boundaries differing, only a gap of more than the boundary day decides.
        (lo_a, hi_a), (lo_b, hi_b) = na.calendar_day_range(), nb.calendar_day_range()
        if hi_a + 1 < lo_b:
            return -1
        if lo_a > hi_b + 1:
            return 1
        return None
    if isinstance(va, int) and isinstance(vb, int):
        return (va > vb) - (va < vb)
    return None  # a number against a duration: the rules do not mean the same thing


def _relation(a: Bound, b: Bound, direction: Literal["lower", "higher"]) -> str:
    """``a`` against ``b``: stricter, looser, same, or overlaps (depends on the dates)."""
    order = _order(a, b)
    if order is None:
        return "overlaps"
    if order == 0:
        return "same"
    return "stricter" if (order < 0) == (direction == "lower") else "looser"


def _strictest(cells: Sequence[Bound | None], direction: Direction) -> tuple[Verdict, set[int]]:
    present = [(i, v) for i, v in enumerate(cells) if v is not None]
    if len(present) < 2:
        return "one value", set()
    if direction is None:
        return "no direction", set()
    if all(_order(present[0][1], v) == 0 for _, v in present[1:]):
        return "same", set()
    # The strictest are the values no other value is stricter than. With one of them (or several equal
    # ones) it is clear; several that are not equal can only overlap, and then it depends on the dates.
    top = [(i, v) for i, v in present if not any(_relation(v, w, direction) == "looser" for _, w in present)]
    if top and all(_order(top[0][1], v) == 0 for _, v in top[1:]):
        return "stricter", {i for i, _ in top}
    return "depends on dates", set()


# --- Row labels ------------------------------------------------------------------------------------------

# Where each area's value goes in a row's label.
BLANK = "…"

# What a condition on when a rule applies is a condition of, by the rule's kind.
_APPLIES = {
    "deadline": "the time limit applies",
    "requirement": "the requirement applies",
    "decision": "the direction applies",
}


def _label(rule: ResolvedRule, data: Mapping, path: RelPath) -> str:
    """The row in plain English, worded as `cpc render` words the rule, with "…" where each area's value goes.

    ``data`` is the rule as it applies (:func:`show.effective`). The value is put in as "…" before the rule is
    worded, so each construct reads as it does on the procedure page: "The next review conference takes place
    within … of the previous review conference", "The direction applies when the child is … or over". The
    wording of a deadline and of events has no public name in render yet, so it is imported by its private ones.
    """
    if path == DISAPPLIES:
        return _capital(f"exception: where {exception_when(rule)}, {_disapplied(data)} does not apply")
    blanked = _with_blank(data, path)
    if path[0] == "when":
        said = plain_conditions(blanked.get("when"))
        if rule.exception_of:
            return _capital(f"the exception applies where {said}")
        return _capital(f"{_APPLIES.get(str(data.get('kind')), 'it applies')} when {said}")
    if path[0] == "deadline":
        deadline = blanked.get("deadline")
        text = _deadline_label(deadline if isinstance(deadline, Mapping) else {}, path)
    else:
        # A requirement's own condition that holds the value; its other conditions say nothing about this row.
        found = _lookup(blanked, path[:3])
        said = plain_condition(found) if isinstance(found, Mapping) else ""
        text = f"the requirement is excused if {said}" if path[1] == "unless" else f"it is required that {said}"
    if rule.exception_of:
        # An exception's values apply only where its own conditions hold, instead of its base's; its row
        # follows its base's.
        return _capital(f"exception: where {exception_when(rule)}, {text} instead")
    context = plain_conditions(data.get("when"))
    return _capital(f"when {context}, {text}" if context else text)


def _deadline_label(deadline: Mapping, path: RelPath) -> str:
    # An exclusive boundary and a statutory mark belong to each area's value (a cell says "(exclusive)"), so
    # the row, worded from one area's rule, leaves them out.
    params = {key: value for key, value in deadline.items() if key not in ("boundary", "statutory")}
    if path[1] == "optional_when":
        return f"{_nouns(params.get('what'))} need not happen when {plain_conditions(params.get('optional_when'))}"
    subject = deadline_subject(params)
    limit, relative_to, _, _ = deadline_limit(params)
    if path[1] in CLOCK_LISTS:
        clock = _lookup(params, path[1:-1])
        of = clock.get("of") if isinstance(clock, Mapping) else None
        which = "sooner" if path[1] == "whichever_sooner" else "later"
        text = f"{subject} within {BLANK} of {event_words(of).noun}, if that is {which}"
    elif path[1] == "at_least":
        text = f"{subject} {limit} {relative_to}"
    elif path[1] == "not_before":
        text = f"{subject} {limit} after {relative_to}"
    else:
        text = f"{subject} {limit} of {relative_to}"
    if optional := plain_conditions(params.get("optional_when")):
        text += f"; it need not happen when {optional}"
    if until := clock_stops(params):
        text += f"; the clock stops if {until}"
    return text


def _disapplied(data: Mapping) -> str:
    """What an exception that disapplies its base takes away, from the base's parameters (:func:`show.effective`)."""
    params = data.get(str(data.get("kind")))
    params = params if isinstance(params, Mapping) else {}
    if data.get("kind") == "deadline":
        return f"the time limit for {_nouns(params.get('what'))}"
    if data.get("kind") == "requirement" and (required := plain_conditions(params.get("require"))):
        return f"the requirement that {required}"
    if data.get("kind") == "decision":
        return "the direction"
    return "the rule it is an exception to"


def _nouns(what: object) -> str:
    """``[initial_conference, pre_birth_conference]`` → ``the initial conference or the pre-birth conference``."""
    nouns = [event_words(name).noun for name in (what if isinstance(what, list) else [what])]
    return " or ".join(nouns) if len(nouns) < 3 else f"{', '.join(nouns[:-1])} or {nouns[-1]}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _with_blank(data: Mapping, path: RelPath) -> dict:
    """A copy of the rule's data with the value at ``path`` replaced by "…"."""

    def put(node: object, rest: RelPath) -> object:
        if not rest:
            return BLANK
        key, tail = rest[0], rest[1:]
        if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            return [put(item, tail) if index == key else item for index, item in enumerate(node)]
        if isinstance(node, Mapping) and key in node:
            return {k: put(v, tail) if k == key else v for k, v in node.items()}
        return node

    blanked = put(data, path)
    return dict(blanked) if isinstance(blanked, Mapping) else {}


# --- Words shared by the renderers ------------------------------------------------------------------------

_VERDICT_NOTES = {
    "stricter": "",
    "same": "same",
    "depends on dates": "depends on dates",
    "no direction": "no direction",
    "one value": "",
}


def note(row: Row, comparison: Comparison) -> str:
    """The row's comparison in words: which area is strictest, or why none is highlighted."""
    if row.verdict == "stricter":
        labels = [comparison.columns[i].label for i in row.strictest_columns]
        return "strictest: " + ", ".join(labels)
    return _VERDICT_NOTES[row.verdict]


def cell_text(cell: Cell, column: Column, comparison: Comparison) -> str:
    """The cell without markup: ``15 days``, ``15 days (from England)``, ``—``, ``withdrawn``."""
    match cell.status:
        case "absent":
            return "—"
        case "withdrawn":
            return "withdrawn" if cell.source == column.area else f"withdrawn (by {comparison.name(cell.source)})"
        case "inherited":
            return f"{cell.text} (from {comparison.name(cell.source)})"
        case "restated":
            return f"{cell.text} (restated)"
        case "overridden":
            return f"{cell.text} (changed)"
    return cell.text


def _about(column: Column, comparison: Comparison) -> str:
    """What the column's policy is: ``Working Together … (version 2023, in force from 15 December 2023)``."""
    start = long_date(dt.date.fromisoformat(column.effective_from)) if column.effective_from else "an unknown date"
    based = f"; extends {', '.join(comparison.name(area) for area in column.extends)}" if column.extends else ""
    return f"{column.title} (version {column.version}, in force from {start}{based})"


def _intro(comparison: Comparison) -> str:
    if comparison.only_differences:
        return f"{_INTRO} Only the rows where the areas do not all say the same are shown."
    return _INTRO


def _nothing(comparison: Comparison) -> str:
    """What a comparison without rows says instead of its tables."""
    if comparison.only_differences:
        return "Every area says the same: no value differs, and no area lacks a rule another has."
    return "No area's policy sets a value to compare."


# The heading of the column of row labels.
_SAYS = "What the procedure says"

# (how markdown shows it, how HTML shows it, what it means)
_LEGEND = (
    ("…", "…", "where each area's value goes in what the procedure says"),
    (
        "**bold**",
        "★ strictest",
        "the strictest value in its row: the shortest maximum, the longest notice, the highest required number",
    ),
    ("*italics (from AREA)*", "(from AREA)", "inherited: the area's own text is silent, so AREA's value applies"),
    ("(restated)", "(restated)", "the area's own text states the value it would inherit, with its own citation"),
    ("(changed)", "(changed)", "the area's own text changes the value it would otherwise inherit"),
    ("—", "—", "the area has no such rule, or its rule sets no such value"),
    (
        "(exclusive)",
        "(exclusive)",
        "the boundary day itself is out of time (before the due date, not on it; after the earliest date, not "
        "on it): a day stricter than the same time counted inclusively",
    ),
    ("withdrawn", "withdrawn", "the area withdraws the rule: it does not apply there"),
    (
        "does not apply",
        "does not apply",
        "an exception: where its conditions hold, the rule it is an exception to does not apply in the area",
    ),
    (
        "depends on dates",
        "depends on dates",
        "no value is highlighted: they are in units whose lengths differ by date (months, weeks, working days)",
    ),
    ("no direction", "no direction", "a threshold in a decision's conditions: neither value is stricter"),
)


_INTRO = (
    "Every timescale, quorum, notice period and other number each area's policy sets, after inheritance. "
    "Durations in different units are compared by the calendar days each can span."
)


# --- Markdown ---------------------------------------------------------------------------------------------


def _md(text: str) -> str:
    return markdown_text(text)


def _md_cell(cell: Cell, column: Column, comparison: Comparison) -> str:
    if cell.status in ("absent", "withdrawn"):
        return _md(cell_text(cell, column, comparison))
    value = f"**{_md(cell.text)}**" if cell.strictest else _md(cell.text)
    match cell.status:
        case "inherited":
            return f"*{value} (from {_md(comparison.name(cell.source))})*"
        case "restated":
            return f"{value} (restated)"
        case "overridden":
            return f"{value} (changed)"
    return value


def render_markdown(comparison: Comparison) -> str:
    """A table per topic, the strictest value in bold, inherited values in italics with their source area."""
    labels = [c.label for c in comparison.columns]
    out = [f"# Compare: {', '.join(_md(label) for label in labels)}", "", _md(_intro(comparison)), ""]
    for column in comparison.columns:
        area = f" ({markdown_code(column.area)})" if column.label != column.area else ""
        out.append(f"- **{_md(column.label)}**{area}: {_md(_about(column, comparison))}")
    out += ["", "Legend:", ""]
    out += [f"- {term}: {_md(meaning)}" for term, _, meaning in _LEGEND]
    out.append("")
    if not comparison.rows:
        out += [_md(_nothing(comparison)), ""]
    for topic, rows in comparison.topics():
        out += [f"## {_md(topic)}", ""]
        out.append(f"| {_SAYS} | Rule | " + " | ".join(_md(label) for label in labels) + " | Compared |")
        out.append("| --- | --- | " + " | ".join("---" for _ in labels) + " | --- |")
        for row in rows:
            cells = " | ".join(
                _md_cell(c, col, comparison) for c, col in zip(row.cells, comparison.columns, strict=True)
            )
            rule = markdown_code(row.rule_id, table=True)
            out.append(f"| {_md(row.label)} | {rule} | {cells} | {_md(note(row, comparison))} |")
        out.append("")
    if comparison.withdrawn:
        out += ["## Withdrawn rules", ""]
        for w in comparison.withdrawn:
            by = "" if w.by == w.area else f" (withdrawn by {_md(comparison.name(w.by))})"
            out.append(
                f"- {_md(w.label)}: {markdown_code(w.rule_id)} from {_md(comparison.name(w.defined_in))}{by}: "
                f"{_md(w.reason)}"
            )
        out.append("")
    return "\n".join(out)


# --- CSV --------------------------------------------------------------------------------------------------

CSV_HELP = (
    "CSV: one header row, then one row per value. Columns: topic, rule (the rule id), title, parameter "
    "('…' marks where the value goes), stricter_is (shorter, longer, higher, lower, or empty when neither "
    "is stricter), compared (stricter, same, depends on dates, no direction, one value), strictest (the "
    "highlighted areas by name, separated by '; '), then for each area, headed by its NAME (the short name its "
    "policy gives, e.g. 'Pan-Berkshire', or the area when it gives none): NAME (the value, e.g. "
    "'15 working days', '10 working days (exclusive)' or '2', or 'does not apply' for an exception that "
    "disapplies its rule; empty when absent or withdrawn), 'NAME status' (local, changed, restated, inherited, "
    "absent, withdrawn), 'NAME from' (the name of the area whose text sets the value, or that withdrew the rule) "
    "and 'NAME strictest' (yes or empty). Every column is text (a value reads '15 working days'); a cell that "
    "starts with =, +, -, @, a tab or a line break is written with a ' before it, so that a spreadsheet never "
    "runs it as a formula."
)

_CSV_STATUS = {"overridden": "changed"}


def csv_header(comparison: Comparison) -> list[str]:
    """The CSV header row."""
    header = ["topic", "rule", "title", "parameter", "stricter_is", "compared", "strictest"]
    for column in comparison.columns:
        label = column.label
        header += [label, f"{label} status", f"{label} from", f"{label} strictest"]
    return header


def render_csv(comparison: Comparison) -> str:
    """One row per value, every column filterable in a spreadsheet (see :data:`CSV_HELP`)."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(csv_header(comparison))
    for _, rows in comparison.topics():
        for row in rows:
            line = [
                row.topic,
                row.rule_id,
                row.title,
                row.label,
                row.stricter_is,
                row.verdict,
                "; ".join(comparison.columns[i].label for i in row.strictest_columns),
            ]
            for cell in row.cells:
                source = comparison.name(cell.source) if cell.source else ""
                line += [cell.text, _CSV_STATUS.get(cell.status, cell.status), source, "yes" * cell.strictest]
            writer.writerow(line)
    return buffer.getvalue()


# --- HTML -------------------------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, sans-serif; color: #1a1a1a; background: #fff; margin: 2rem auto; padding: 0 1rem;
  max-width: 75rem; line-height: 1.4; }
@media print { body { margin: 0; max-width: none; } table { break-inside: auto; } tr { break-inside: avoid; }
  thead { display: table-header-group; } td.strictest { outline-width: 1px; } }
h1 { font-size: 1.5rem; }
table { border-collapse: collapse; margin: 1.5rem 0; width: 100%; table-layout: fixed; }
thead th:first-child { width: 40%; }
thead th:last-child { width: 12%; }
caption { text-align: left; font-weight: bold; font-size: 1.2rem; padding: 0.5rem 0; }
th, td { border: 1px solid #888; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
thead th { background: #e8e8e8; }
th[scope=row] { font-weight: normal; }
th[scope=row] code { display: block; font-size: 0.85em; color: #444; margin-top: 0.2rem; }
td.strictest { background: #fff1a8; outline: 2px solid #8a6d00; outline-offset: -2px; }
.mark { font-weight: bold; font-size: 0.85em; white-space: nowrap; }
td.inherited { color: #4a4a4a; }
.origin { font-size: 0.85em; }
td.absent, td.withdrawn { color: #555; }
dt { font-weight: bold; }
dd { margin: 0 0 0.4rem 1.5rem; }
.title { display: block; font-size: 0.8em; color: #444; margin-top: 0.2rem; }
.hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
""".strip()


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _html_cell(cell: Cell, column: Column, comparison: Comparison) -> str:
    classes = [cell.status] + (["strictest"] * cell.strictest)
    if cell.status == "absent":
        body = '—<span class="hidden"> no such rule</span>'
    elif cell.status == "withdrawn":
        body = _h(cell_text(cell, column, comparison))
        if cell.reason:
            body += f'<br><span class="origin">{_h(cell.reason)}</span>'
    else:
        body = f"<strong>{_h(cell.text)}</strong>" if cell.strictest else _h(cell.text)
        if cell.status == "inherited":
            body = f'<em>{body}</em> <span class="origin">(from {_h(comparison.name(cell.source))})</span>'
        elif cell.status == "restated":
            body += ' <span class="origin">(restated)</span>'
        elif cell.status == "overridden":
            body += ' <span class="origin">(changed)</span>'
        if cell.strictest:
            body += ' <span class="mark">★ strictest</span>'
    return f'<td class="{" ".join(classes)}">{body}</td>'


def render_html(comparison: Comparison) -> str:
    """A self-contained page: a table per topic, inline CSS, no JavaScript, strictest marked in text too."""
    labels = ", ".join(c.label for c in comparison.columns)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>cpc compare: {_h(labels)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>Compare: {_h(labels)}</h1>",
        f"<p>{_h(_intro(comparison))}</p>",
        "<ul>",
    ]
    for column in comparison.columns:
        area = f" (<code>{_h(column.area)}</code>)" if column.label != column.area else ""
        out.append(f"<li><strong>{_h(column.label)}</strong>{area}: {_h(_about(column, comparison))}</li>")
    out += ["</ul>", "<h2>How to read the tables</h2>", "<dl>"]
    for _, term, meaning in _LEGEND:
        out.append(f"<dt>{_h(term)}</dt><dd>{_h(meaning)}</dd>")
    out.append("</dl>")
    if not comparison.rows:
        out.append(f"<p>{_h(_nothing(comparison))}</p>")
    for topic, rows in comparison.topics():
        out.append("<table>")
        out.append(f"<caption>{_h(topic)}</caption>")
        heads = "".join(f'<th scope="col">{_h(c.label)}</th>' for c in comparison.columns)
        out.append(f'<thead><tr><th scope="col">{_SAYS}</th>{heads}<th scope="col">Compared</th></tr></thead>')
        out.append("<tbody>")
        for row in rows:
            cells = "".join(
                _html_cell(c, col, comparison) for c, col in zip(row.cells, comparison.columns, strict=True)
            )
            out.append(
                f'<tr><th scope="row">{_h(row.label)} <code>{_h(row.rule_id)}</code>'
                f'<span class="title">{_h(row.title)}</span></th>'
                f"{cells}<td>{_h(note(row, comparison))}</td></tr>"
            )
        out += ["</tbody>", "</table>"]
    if comparison.withdrawn:
        out += ["<h2>Withdrawn rules</h2>", "<ul>"]
        for w in comparison.withdrawn:
            by = "" if w.by == w.area else f" (withdrawn by {_h(comparison.name(w.by))})"
            out.append(
                f"<li>{_h(w.label)}: <code>{_h(w.rule_id)}</code> from {_h(comparison.name(w.defined_in))}{by}: "
                f"{_h(w.reason)}</li>"
            )
        out.append("</ul>")
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


# --- Text -------------------------------------------------------------------------------------------------

# No line of the text output is longer than this: a terminal, an email or a ticket shows it unwrapped.
WIDTH = 100
_INDENT = 4
_GAP = 2
# Below this, a column of values is too narrow to read, and each value goes on a line of its own instead.
_NARROWEST = 10
# The legend's terms where text shows them otherwise than HTML.
_TEXT_TERMS = {"★ strictest": "★"}


def _wrap(text: str, first: str = "", rest: str = "") -> list[str]:
    """``text``, escaped for a terminal, in lines of at most :data:`WIDTH` characters."""
    return textwrap.wrap(
        terminal(text),
        WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
    ) or [first.rstrip()]


def _text_cell(cell: Cell, column: Column, comparison: Comparison) -> list[str]:
    """The cell as the pieces a line may break between: ``["★ 15 days", "(from England)"]``."""
    if cell.status == "absent":
        return ["—"]
    if cell.status == "withdrawn":
        return ["withdrawn"] if cell.source == column.area else ["withdrawn", f"(by {comparison.name(cell.source)})"]
    value = cell.text.removesuffix(" (exclusive)")
    parts = [f"★ {value}" if cell.strictest else value] + ["(exclusive)"] * (value != cell.text)
    qualifier = {
        "inherited": f"(from {comparison.name(cell.source)})",
        "restated": "(restated)",
        "overridden": "(changed)",
    }.get(cell.status)
    return parts + [qualifier] * (qualifier is not None)


def _text_note(row: Row, comparison: Comparison) -> list[str]:
    """:func:`note` as the pieces a line may break between: ``["strictest: England,", "Hampshire (HIPS)"]``."""
    if row.verdict != "stricter":
        return [note(row, comparison)]
    labels = [comparison.columns[i].label for i in row.strictest_columns]
    parts = [f"{label}," for label in labels[:-1]] + labels[-1:]
    return [f"strictest: {parts[0]}", *parts[1:]]


def _pack(parts: list[str], width: int) -> list[str]:
    """``parts`` escaped for a terminal and joined by spaces in lines of at most ``width``, breaking between
    parts before breaking within one."""
    lines: list[str] = []
    for part in map(terminal, parts):
        if lines and len(lines[-1]) + 1 + len(part) <= width:
            lines[-1] += f" {part}"
        else:
            lines += textwrap.wrap(part, width, break_on_hyphens=False) or [""]
    return lines or [""]


def _text_widths(comparison: Comparison) -> list[int] | None:
    """Each column's width, values then "Compared", within :data:`WIDTH`; None when they cannot all be readable.

    A column is as wide as its longest value when they all fit; otherwise the narrow columns keep their width
    and the others share what is left, their values wrapping within it.
    """
    heads = [*(c.label for c in comparison.columns), "Compared"]
    natural = [len(terminal(head)) for head in heads]
    for row in comparison.rows:
        for index, parts in enumerate(_text_row(row, comparison)):
            natural[index] = max(natural[index], len(terminal(" ".join(parts))))
    left = WIDTH - _INDENT - _GAP * (len(heads) - 1)
    widths = [0] * len(heads)
    by_width = sorted(range(len(heads)), key=natural.__getitem__)
    for placed, index in enumerate(by_width):
        widths[index] = min(natural[index], left // (len(heads) - placed))
        left -= widths[index]
    return widths if min(widths) >= min(_NARROWEST, *natural) else None


def _text_row(row: Row, comparison: Comparison) -> list[list[str]]:
    """The row's cells and its note, each as the pieces a line may break between."""
    cells = [_text_cell(c, col, comparison) for c, col in zip(row.cells, comparison.columns, strict=True)]
    return [*cells, _text_note(row, comparison)]


def _grid(cells: list[list[str]], widths: list[int]) -> list[str]:
    """One row of a table: each cell wrapped within its column, the columns side by side."""
    packed = [_pack(parts, width) for parts, width in zip(cells, widths, strict=True)]
    lines = []
    for line in range(max(len(cell) for cell in packed)):
        texts = [
            (cell[line] if line < len(cell) else "").ljust(width) for cell, width in zip(packed, widths, strict=True)
        ]
        lines.append((" " * _INDENT + (" " * _GAP).join(texts)).rstrip())
    return lines


def render_text(comparison: Comparison) -> str:
    """The tables for a terminal: no line longer than :data:`WIDTH`, each value wrapped within its column.

    Each row is what the procedure says, across the page, with the areas' values in columns beneath it; with
    more areas than columns can be read in, each value goes on a line of its own, after its area's name.
    """
    out = _wrap(f"Compare: {', '.join(c.label for c in comparison.columns)}")
    out += ["", *_wrap(_intro(comparison)), ""]
    for column in comparison.columns:
        area = f" ({column.area})" if column.label != column.area else ""
        out += _wrap(f"{column.label}{area}: {_about(column, comparison)}", rest=" " * _INDENT)
    out += ["", "How to read the tables:"]
    terms = [(_TEXT_TERMS.get(term, term), meaning) for _, term, meaning in _LEGEND]
    width = max(len(term) for term, _ in terms)
    for term, meaning in terms:
        out += _wrap(meaning, f"  {term.ljust(width)}  ", " " * (width + 4))
    if not comparison.rows:
        out += ["", *_wrap(_nothing(comparison))]
    widths = _text_widths(comparison)
    heads = [*(c.label for c in comparison.columns), "Compared"]
    for topic, rows in comparison.topics():
        title = topic
        out += ["", title, "=" * len(title)]
        if widths is not None:
            out += ["", *_grid([[head] for head in heads], widths), _grid([["-" * w] for w in widths], widths)[0]]
        for row in rows:
            out += ["", *_wrap(f"{row.label} [{row.rule_id}]")]
            cells = _text_row(row, comparison)
            if widths is not None:
                out += _grid(cells, widths)
                continue
            for head, parts in zip(heads, cells, strict=True):
                if parts != [""]:
                    out += _wrap(f"{head}: {' '.join(parts)}", " " * _INDENT, " " * (_INDENT * 2))
    if comparison.withdrawn:
        out += ["", "Withdrawn rules", "=" * len("Withdrawn rules"), ""]
        for w in comparison.withdrawn:
            by = "" if w.by == w.area else f" (withdrawn by {comparison.name(w.by)})"
            said = f"{w.label}: {w.rule_id} from {comparison.name(w.defined_in)}{by}: {w.reason}"
            out += _wrap(said, rest=" " * _INDENT)
    return "\n".join(out) + "\n"


# --- JSON -------------------------------------------------------------------------------------------------


def to_dict(comparison: Comparison) -> dict:
    """The comparison for programs: each area by its key (the area, as cpc names it) with its name beside it.

    ``areas`` lists the compared areas in order, ``names`` the short name of every area a value can come
    from, and each row's ``values`` are keyed as ``areas[].key``.
    """
    columns = comparison.columns
    rows = []
    for heading, grouped in comparison.topics():
        for row in grouped:
            values = {}
            for column, cell in zip(columns, row.cells, strict=True):
                shown = cell.status not in ("absent", "withdrawn")
                values[column.key] = {
                    "value": cell.text if shown else None,
                    "status": _CSV_STATUS.get(cell.status, cell.status),
                    "from": cell.source or None,
                    "strictest": cell.strictest,
                }
            rows.append(
                {
                    "topic": row.topic,
                    "heading": heading,
                    "rule": row.rule_id,
                    "title": row.title,
                    "label": row.label,
                    "path": list(row.path),
                    "stricter_is": row.stricter_is or None,
                    "compared": row.verdict,
                    "strictest": [columns[i].key for i in row.strictest_columns],
                    "values": values,
                }
            )
    return {
        "areas": [
            {
                "key": c.key,
                "area": c.area,
                "name": comparison.name(c.area),
                "label": c.label,
                "title": c.title,
                "version": c.version,
                "effective_from": c.effective_from or None,
                "extends": list(c.extends),
            }
            for c in columns
        ],
        "names": dict(comparison.names),
        "only_differences": comparison.only_differences,
        "rows": rows,
        "withdrawn": [
            {"area": w.key, "rule": w.rule_id, "by": w.by, "defined_in": w.defined_in, "reason": w.reason}
            for w in comparison.withdrawn
        ],
    }


def render_json(comparison: Comparison) -> str:
    """:func:`to_dict` as indented JSON."""
    return json.dumps(to_dict(comparison), ensure_ascii=False, indent=2) + "\n"


RENDERERS = {
    "markdown": render_markdown,
    "text": render_text,
    "csv": render_csv,
    "html": render_html,
    "json": render_json,
}


def render(comparison: Comparison, fmt: str) -> str:
    """Render ``comparison`` in one of :data:`FORMATS`."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise CompareError(f"unknown format '{fmt}'; one of: {', '.join(FORMATS)}") from None
    return renderer(comparison)
