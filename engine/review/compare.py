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

This module builds the model, with each row's label from :mod:`compare_labels`; :mod:`compare_formats` renders
it, in the words :mod:`compare_words` gives every format. None of them knows anything of the command line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Literal

from engine.core.durations import Duration, DurationError, Unit, compare_strictness, parse_duration
from engine.policy.resolve import ResolvedPolicy, ResolvedRule
from engine.policy.show import TOPIC_ORDER, effective
from engine.policy.walk import RelPath, values
from engine.review.compare_labels import DISAPPLIES, _label, _lookup
from engine.review.render import topic_heading

Status = Literal["local", "overridden", "restated", "inherited", "absent", "withdrawn"]
# Which way a value is stricter: "lower" (a shorter maximum, a lower ceiling) or "higher" (a longer notice,
# a larger quorum); None where the value has no direction (the thresholds of a decision's conditions).
Direction = Literal["lower", "higher"] | None
# How a row's values compare, in the words every format shows (``stricter`` is shown as the strictest areas):
# "same" only when every area sets the value; "same where set" when those that set it agree and another
# lacks or has withdrawn the rule; "differs, none stricter" where values differ but have no stricter side (a
# decision's conditions); "one area only" and "none set" where there is nothing to compare.
Verdict = Literal[
    "stricter", "same", "same where set", "depends on dates", "differs, none stricter", "one area only", "none set"
]
VERDICTS: tuple[Verdict, ...] = (
    "stricter",
    "same",
    "same where set",
    "depends on dates",
    "differs, none stricter",
    "one area only",
    "none set",
)


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
    # Whether the rows where every area says the same have been left out (:meth:`differences`), and how many.
    only_differences: bool = False
    left_out: int = 0
    # The date whose versions are compared (``--as-of``), or None for each area's newest version.
    as_of: dt.date | None = None

    def differences(self) -> Comparison:
        """Only the rows whose areas do not all say the same: a value that differs, or a rule one area lacks or
        has withdrawn. A value inherited and the same value restated count as the same."""
        kept = tuple(row for row in self.rows if row.differs)
        left_out = self.left_out + len(self.rows) - len(kept)
        return replace(self, rows=kept, only_differences=True, left_out=left_out)

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


def compare_policies(policies: Sequence[ResolvedPolicy], as_of: dt.date | None = None) -> Comparison:
    """Compare resolved policies, in the order given: the versions in force on ``as_of`` (which the output
    names), or each area's newest version when it is None.

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
    return Comparison(tuple(columns), tuple(rows), withdrawn, _names(policies), as_of=as_of)


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
    verdict, strictest = _strictest(cells, direction)
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


def _strictest(cells: Sequence[Cell], direction: Direction) -> tuple[Verdict, set[int]]:
    """The row's verdict and the indexes of its strictest cells.

    A cell sets the row's value unless its area lacks or has withdrawn the rule; a cell that says "does not
    apply" (an exception that disapplies its base) sets it too, with no value to weigh.
    """
    present = [(i, c) for i, c in enumerate(cells) if c.status not in ("absent", "withdrawn")]
    if len(present) < 2:
        return ("one area only" if present else "none set"), set()
    everywhere = len(present) == len(cells)
    bounds = [(i, (c.value, c.shift)) for i, c in present if c.value is not None]
    if len(bounds) < len(present):
        # "does not apply" has no value: the same as another only in the same words.
        same = len({c.text for _, c in present}) == 1
    else:
        same = all(_order(bounds[0][1], v) == 0 for _, v in bounds[1:])
    if same:
        return ("same" if everywhere else "same where set"), set()
    if direction is None or len(bounds) < len(present):
        return "differs, none stricter", set()
    # The strictest are the values no other value is stricter than. With one of them (or several equal
    # ones) it is clear; several that are not equal can only overlap, and then it depends on the dates.
    top = [(i, v) for i, v in bounds if not any(_relation(v, w, direction) == "looser" for _, w in bounds)]
    if top and all(_order(top[0][1], v) == 0 for _, v in top[1:]):
        return "stricter", {i for i, _ in top}
    return "depends on dates", set()
