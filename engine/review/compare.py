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

from engine.core.durations import Duration, DurationError, Unit, compare_strictness, parse_duration
from engine.core.safe_text import CsvWriter, markdown_code, markdown_text, terminal
from engine.policy.resolve import ResolvedPolicy, ResolvedRule
from engine.policy.show import TOPIC_ORDER, effective
from engine.policy.walk import CLOCK_LISTS, RelPath, values
from engine.review.render import topic_heading
from engine.review.rule_wording import clock_stops, deadline_limit, deadline_subject, exception_when
from engine.review.wording import condition as plain_condition
from engine.review.wording import conditions as plain_conditions
from engine.review.wording import event_words, long_date

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


# --- Row labels ------------------------------------------------------------------------------------------

# Where each area's value goes in a row's label.
BLANK = "…"


def _label(rule: ResolvedRule, data: Mapping, path: RelPath) -> str:
    """The row in plain English, worded as `cpc render` words the rule, with "…" where each area's value goes.

    ``data`` is the rule as it applies (:func:`show.effective`). The value is put in as "…" before the rule is
    worded, so each construct reads as it does on the procedure page: "The next review conference takes place
    within … of the previous review conference". A row that would otherwise not say what the rule does (a
    direction's or a requirement's conditions) is named by the rule's title, as the procedure page heads it:
    "A child aged twelve or over should be offered the chance to attend the conference — applies when the child
    is … or over"; a time limit's conditions are named by what the time limit is for.
    """
    kind = str(data.get("kind"))
    if path == DISAPPLIES:
        taken = _disapplied(data)
        said = f"exception: where {exception_when(rule)}, {taken} does not apply"
        # A time limit or a requirement is named by what it is for; a direction only by the rule's title.
        return _named(data, said) if taken in _UNNAMED else _capital(said)
    blanked = _with_blank(data, path)
    if path[0] == "when":
        said = plain_conditions(blanked.get("when"))
        if kind == "deadline":
            deadline = data.get("deadline")
            what = _nouns(deadline.get("what") if isinstance(deadline, Mapping) else None)
            exception = "the exception to " if rule.exception_of else ""
            return _capital(f"{exception}the time limit for {what} applies {_where(rule)} {said}")
        return _named(data, f"{'the exception ' if rule.exception_of else ''}applies {_where(rule)} {said}")
    if path[0] == "deadline":
        deadline = blanked.get("deadline")
        text = _deadline_label(deadline if isinstance(deadline, Mapping) else {}, path)
    else:
        # A requirement's own condition that holds the value; its other conditions say nothing about this row.
        found = _lookup(blanked, path[:3])
        said = plain_condition(found) if isinstance(found, Mapping) else ""
        text = f"excused if {said}" if path[1] == "unless" else f"requires that {said}"
    if rule.exception_of:
        # An exception's values apply only where its own conditions hold, instead of its base's; its row
        # follows its base's.
        said = f"exception: where {exception_when(rule)}, {text} instead"
        return _named(data, said) if kind != "deadline" else _capital(said)
    context = plain_conditions(data.get("when"))
    said = f"when {context}, {text}" if context else text
    return _named(data, said) if kind != "deadline" else _capital(said)


def _where(rule: ResolvedRule) -> str:
    """How a row introduces the conditions of its rule: an exception's apply "where", a rule's "when"."""
    return "where" if rule.exception_of else "when"


def _named(data: Mapping, said: str) -> str:
    """``said`` after the rule's title, for a row whose words alone do not say what the rule does: "A child
    aged twelve or over should be offered the chance to attend the conference — applies when …"."""
    title = " ".join(str(data.get("title") or "").split()).removesuffix(".")
    return f"{_capital(title)} — {said}" if title else _capital(said)


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


# What :func:`_disapplied` says of a rule whose words do not say what it does.
_UNNAMED = ("the direction", "the rule it is an exception to")


def _disapplied(data: Mapping) -> str:
    """What an exception that disapplies its base takes away, from the base's parameters (:func:`show.effective`)."""
    params = data.get(str(data.get("kind")))
    params = params if isinstance(params, Mapping) else {}
    if data.get("kind") == "deadline":
        return f"the time limit for {_nouns(params.get('what'))}"
    if data.get("kind") == "requirement" and (required := plain_conditions(params.get("require"))):
        return f"the requirement that {required}"
    if data.get("kind") == "decision":
        return _UNNAMED[0]
    return _UNNAMED[1]


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


def note(row: Row, comparison: Comparison) -> str:
    """The row's comparison in words, as every format says it: the strictest areas by name ("strictest:
    England, Hampshire (HIPS)"), or the verdict ("same where set", "depends on dates")."""
    if row.verdict == "stricter":
        labels = [comparison.columns[i].label for i in row.strictest_columns]
        return "strictest: " + ", ".join(labels)
    return row.verdict


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
    """What the column's policy is: ``Working Together … (version 2023, in force from 15 December 2023)``; an
    area built on another says so nearest first: ``extends Pan-Berkshire (which extends England)``."""
    start = long_date(dt.date.fromisoformat(column.effective_from)) if column.effective_from else "an unknown date"
    bases = [comparison.name(area) for area in reversed(column.extends)]
    based = ""
    if bases:
        further = ", ".join(f"which extends {name}" for name in bases[1:])
        based = f"; extends {bases[0]}" + (f" ({further})" if further else "")
    return f"{column.title} (version {column.version}, in force from {start}{based})"


def _title(comparison: Comparison, lead: str = "Compare") -> str:
    """The heading: the areas and which of their versions, ``Compare: England, Pan-Berkshire — as of 1 April
    2026`` (``— newest versions`` without ``--as-of``)."""
    return f"{lead}: {', '.join(c.label for c in comparison.columns)} — {_when(comparison)}"


def _when(comparison: Comparison) -> str:
    return f"as of {long_date(comparison.as_of)}" if comparison.as_of else "newest versions"


def _intro(comparison: Comparison) -> str:
    if comparison.as_of:
        versions = f"Each area's policy is compared in the version in force on {long_date(comparison.as_of)}."
    else:
        versions = "Each area's policy is compared in its newest version."
    said = f"{_INTRO} {versions}"
    if comparison.only_differences:
        said += f" {_left_out(comparison)}"
    return said


def _left_out(comparison: Comparison) -> str:
    """How many rows ``--only-differences`` kept and left out: "12 of 37 rows differ; 25 where every area says
    the same are left out"."""
    kept, left = len(comparison.rows), comparison.left_out
    total = kept + left
    if kept == 0:
        return (
            "The one row does not differ, so it is left out."
            if total == 1
            else (f"None of the {total} rows differs, so all are left out.")
        )
    if left == 0:
        return "The one row differs." if total == 1 else f"All {total} rows differ; none is left out."
    differ = f"{kept} of {total} rows {'differs' if kept == 1 else 'differ'}"
    same = f"{left} where every area says the same {'is' if left == 1 else 'are'} left out"
    return f"{differ}; {same}."


def _nothing(comparison: Comparison) -> str:
    """What a comparison without rows says instead of its tables."""
    if comparison.only_differences:
        return "Every area says the same: no value differs, and no area lacks a rule another has."
    return "No area's policy sets a value to compare."


# The heading of the column of row labels.
_SAYS = "What the procedure says"


@dataclass(frozen=True, slots=True)
class _Term:
    """A marker the tables use and what it means, shown in the legend only where the tables use it."""

    markdown: str
    html: str
    text: str
    meaning: str


_LEGEND = {
    "blank": _Term("…", "…", "…", "where each area's value goes in what the procedure says"),
    "strictest": _Term(
        "**bold**",
        "★ strictest",
        "★",
        "the strictest value in its row: the shortest maximum, the longest notice, the highest required number",
    ),
    "inherited": _Term(
        "*italics (from AREA)*",
        "(from AREA)",
        "(from AREA)",
        "inherited: the area's own text is silent, so AREA's value applies",
    ),
    "restated": _Term(
        "(restated)",
        "(restated)",
        "(restated)",
        "the area's own text states the value it would inherit, with its own citation",
    ),
    "overridden": _Term(
        "(changed)", "(changed)", "(changed)", "the area's own text changes the value it would otherwise inherit"
    ),
    "absent": _Term("—", "—", "—", "the area has no such rule, or its rule sets no such value"),
    "exclusive": _Term(
        "(exclusive)",
        "(exclusive)",
        "(exclusive)",
        "the boundary day itself is out of time (before the due date, not on it; after the earliest date, not "
        "on it): a day stricter than the same time counted inclusively",
    ),
    "withdrawn": _Term("withdrawn", "withdrawn", "withdrawn", "the area withdraws the rule: it does not apply there"),
    "disapplies": _Term(
        "does not apply",
        "does not apply",
        "does not apply",
        "an exception: where its conditions hold, the rule it is an exception to does not apply in the area",
    ),
    "same where set": _Term(
        "same where set",
        "same where set",
        "same where set",
        "the areas that set the value agree; the others (— or withdrawn) have no such value",
    ),
    "depends on dates": _Term(
        "depends on dates",
        "depends on dates",
        "depends on dates",
        "no value is highlighted: they are in units whose lengths differ by date (months, weeks, working days)",
    ),
    "differs, none stricter": _Term(
        "differs, none stricter",
        "differs, none stricter",
        "differs, none stricter",
        "the values differ, but no side is stricter: a threshold in the conditions of a direction (the age from "
        "which it applies, say)",
    ),
}


def legend(comparison: Comparison) -> list[_Term]:
    """The legend's entries for the markers and verdicts the tables use, in the legend's order; none without
    rows."""
    if not comparison.rows:
        return []
    cells = [cell for row in comparison.rows for cell in row.cells]
    used = {"blank"} | {cell.status for cell in cells} | {row.verdict for row in comparison.rows}
    if any(cell.strictest for cell in cells):
        used.add("strictest")
    if any(cell.shift for cell in cells if cell.status not in ("absent", "withdrawn")):
        used.add("exclusive")
    if any(c.text == "does not apply" for r in comparison.rows if r.path == DISAPPLIES for c in r.cells):
        used.add("disapplies")
    return [term for key, term in _LEGEND.items() if key in used]


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
    out = [f"# {_md(_title(comparison))}", "", _md(_intro(comparison)), ""]
    for column in comparison.columns:
        area = f" ({markdown_code(column.area)})" if column.label != column.area else ""
        out.append(f"- **{_md(column.label)}**{area}: {_md(_about(column, comparison))}")
    out.append("")
    if terms := legend(comparison):
        out += ["Legend:", "", *(f"- {term.markdown}: {_md(term.meaning)}" for term in terms), ""]
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
    "CSV: one header row, then one row per value. Columns: topic (the rule's topic, e.g. 'quorum'), heading "
    "(the procedure's heading the row is shown under in the other formats, e.g. 'Attendance and quorum'), rule "
    "(the rule id), title, parameter (what the procedure says, '…' marking where the value goes), stricter_is "
    "(shorter, longer, higher, lower, or empty when neither is stricter), compared ('stricter', 'same', 'same "
    "where set', 'depends on dates', 'differs, none stricter', 'one area only' or 'none set'), strictest (the "
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
    header = ["topic", "heading", "rule", "title", "parameter", "stricter_is", "compared", "strictest"]
    for column in comparison.columns:
        label = column.label
        header += [label, f"{label} status", f"{label} from", f"{label} strictest"]
    return header


def render_csv(comparison: Comparison) -> str:
    """One row per value, every column filterable in a spreadsheet (see :data:`CSV_HELP`)."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(csv_header(comparison))
    for heading, rows in comparison.topics():
        for row in rows:
            line = [
                row.topic,
                heading,
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
@page { size: A4 landscape; margin: 12mm; }
body { font-family: system-ui, sans-serif; color: #1a1a1a; background: #fff; margin: 2rem auto; padding: 0 1rem;
  max-width: 75rem; line-height: 1.4; }
h1 { font-size: 1.5rem; }
h2 { font-size: 1.2rem; }
.legend { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 22rem), 1fr));
  gap: 0.2rem 1.5rem; margin: 0.5rem 0 1rem; font-size: 0.9em; }
.legend dt { display: inline; font-weight: bold; }
.legend dt::after { content: ":"; }
.legend dd { display: inline; margin: 0 0 0 0.3rem; }
.table { overflow-x: auto; margin: 1.5rem 0; }
.table:focus-visible { outline: 3px solid #1a4f9c; outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; min-width: 42rem; }
thead th:first-child { width: 40%; }
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
.hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
@media print {
  body { margin: 0; padding: 0; max-width: none; font-size: 10pt; }
  h1 { font-size: 14pt; margin: 0 0 0.5rem; }
  h2, caption { font-size: 12pt; break-after: avoid; }
  .table { overflow: visible; margin: 0.8rem 0; }
  table { min-width: 0; break-inside: auto; }
  thead th:first-child { width: 50%; }
  th, td { padding: 0.2rem 0.4rem; }
  th[scope=row] code { display: inline; margin: 0 0 0 0.3rem; white-space: nowrap; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  tbody tr:first-child { break-before: avoid; }
  td.strictest { outline-width: 1px; }
}
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
    """A self-contained page: a table per heading, inline CSS, no JavaScript, strictest marked in text too.

    Each table sits in a region of its own, named by its caption, that scrolls sideways on a narrow screen and
    can be scrolled from the keyboard; printed, the page is A4 landscape, each table's header repeats on every
    page and a caption stays with the first rows of its table.
    """
    out = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(_title(comparison, 'cpc compare'))}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{_h(_title(comparison))}</h1>",
        f"<p>{_h(_intro(comparison))}</p>",
        "<ul>",
    ]
    for column in comparison.columns:
        area = f" (<code>{_h(column.area)}</code>)" if column.label != column.area else ""
        out.append(f"<li><strong>{_h(column.label)}</strong>{area}: {_h(_about(column, comparison))}</li>")
    out.append("</ul>")
    if terms := legend(comparison):
        out += ["<h2>How to read the tables</h2>", '<dl class="legend">']
        out += [f"<div><dt>{_h(term.html)}</dt><dd>{_h(term.meaning)}</dd></div>" for term in terms]
        out.append("</dl>")
    if not comparison.rows:
        out.append(f"<p>{_h(_nothing(comparison))}</p>")
    heads = "".join(f'<th scope="col">{_h(c.label)}</th>' for c in comparison.columns)
    for number, (topic, rows) in enumerate(comparison.topics(), start=1):
        out.append(f'<div class="table" role="region" aria-labelledby="table-{number}" tabindex="0">')
        out.append("<table>")
        out.append(f'<caption id="table-{number}">{_h(topic)}</caption>')
        out.append(f'<thead><tr><th scope="col">{_SAYS}</th>{heads}<th scope="col">Compared</th></tr></thead>')
        out.append("<tbody>")
        for row in rows:
            cells = "".join(
                _html_cell(c, col, comparison) for c, col in zip(row.cells, comparison.columns, strict=True)
            )
            out.append(
                f'<tr><th scope="row">{_h(row.label)} <code>{_h(row.rule_id)}</code></th>'
                f"{cells}<td>{_h(note(row, comparison))}</td></tr>"
            )
        out += ["</tbody>", "</table>", "</div>"]
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

# No line of the text output is longer than this: a terminal, an email or a ticket shows it unwrapped. On a
# terminal the command passes the terminal's width instead, if that is narrower, but never less than NARROWEST.
WIDTH = 100
NARROWEST = 60
_INDENT = 4
_GAP = 2
# Below this, a column of values is too narrow to read, and each value goes on a line of its own instead.
_NARROWEST_COLUMN = 10


def _wrap(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """``text``, escaped for a terminal, in lines of at most ``width`` characters."""
    return textwrap.wrap(
        terminal(text),
        width,
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


def _text_widths(comparison: Comparison, width: int) -> list[int] | None:
    """Each column's width, values then "Compared", within ``width``; None when they cannot all be readable.

    A column is as wide as its longest value when they all fit. Otherwise every column is at least as wide as
    its longest word (so that no heading or value breaks within a word), the narrow columns keep their width
    and the others share what is left, their values wrapping within it.
    """
    heads = [*(c.label for c in comparison.columns), "Compared"]
    texts = [[terminal(head)] for head in heads]
    for row in comparison.rows:
        for index, parts in enumerate(_text_row(row, comparison)):
            texts[index].append(terminal(" ".join(parts)))
    natural = [max(map(len, column)) for column in texts]
    least = [max(len(word) for text in column for word in text.split() or [""]) for column in texts]
    room = width - _INDENT - _GAP * (len(heads) - 1)
    if sum(least) > room:
        return None
    # Raise every column towards its natural width together, as far as the room allows.
    widths = least
    for level in range(max(natural) + 1):
        trial = [min(n, max(w, level)) for n, w in zip(natural, least, strict=True)]
        if sum(trial) > room:
            break
        widths = trial
    short = [index for index in range(len(heads)) if widths[index] < natural[index]]
    for index in short[: room - sum(widths)]:
        widths[index] += 1
    return widths if min(widths) >= min(_NARROWEST_COLUMN, *natural) else None


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


def render_text(comparison: Comparison, width: int = WIDTH) -> str:
    """The tables for a terminal: no line longer than ``width``, each value wrapped within its column.

    Each row is what the procedure says, across the page, with the areas' values in columns beneath it; with
    more areas than columns can be read in, each value goes on a line of its own, after its area's name.
    """
    out = _wrap(_title(comparison), width)
    out += ["", *_wrap(_intro(comparison), width), ""]
    for column in comparison.columns:
        area = f" ({column.area})" if column.label != column.area else ""
        out += _wrap(f"{column.label}{area}: {_about(column, comparison)}", width, rest=" " * _INDENT)
    if terms := legend(comparison):
        out += ["", "How to read the tables:"]
        term_width = max(len(term.text) for term in terms)
        for term in terms:
            out += _wrap(term.meaning, width, f"  {term.text.ljust(term_width)}  ", " " * (term_width + 4))
    if not comparison.rows:
        out += ["", *_wrap(_nothing(comparison), width)]
    widths = _text_widths(comparison, width)
    heads = [*(c.label for c in comparison.columns), "Compared"]
    for topic, rows in comparison.topics():
        out += ["", *_wrap(topic, width), "=" * min(len(topic), width)]
        if widths is not None:
            out += ["", *_grid([[head] for head in heads], widths), _grid([["-" * w] for w in widths], widths)[0]]
        for row in rows:
            out += ["", *_wrap(f"{row.label} [{row.rule_id}]", width)]
            cells = _text_row(row, comparison)
            if widths is not None:
                out += _grid(cells, widths)
                continue
            for head, parts in zip(heads, cells, strict=True):
                if parts != [""]:
                    out += _wrap(f"{head}: {' '.join(parts)}", width, " " * _INDENT, " " * (_INDENT * 2))
    if comparison.withdrawn:
        out += ["", "Withdrawn rules", "=" * len("Withdrawn rules"), ""]
        for w in comparison.withdrawn:
            by = "" if w.by == w.area else f" (withdrawn by {comparison.name(w.by)})"
            said = f"{w.label}: {w.rule_id} from {comparison.name(w.defined_in)}{by}: {w.reason}"
            out += _wrap(said, width, rest=" " * _INDENT)
    return "\n".join(out) + "\n"


# --- JSON -------------------------------------------------------------------------------------------------


# Like a results file's ``results_format``: the first key of the JSON, raised when a key changes meaning or goes.
FORMAT_KEY = "compare_format"
FORMAT_VERSION = 1


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
                    "note": note(row, comparison),
                    "strictest": [columns[i].key for i in row.strictest_columns],
                    "values": values,
                }
            )
    return {
        FORMAT_KEY: FORMAT_VERSION,
        "as_of": comparison.as_of.isoformat() if comparison.as_of else None,
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
        "left_out": comparison.left_out,
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


def render(comparison: Comparison, fmt: str, width: int = WIDTH) -> str:
    """Render ``comparison`` in one of :data:`FORMATS`; ``text`` within ``width`` columns."""
    if fmt == "text":
        return render_text(comparison, width)
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise CompareError(f"unknown format '{fmt}'; one of: {', '.join(FORMATS)}") from None
    return renderer(comparison)
