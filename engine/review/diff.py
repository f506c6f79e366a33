"""What changes between two resolved policies, rule by rule and parameter by parameter.

The diff compares policies after inheritance, so it shows what an area's procedure *is* in each, whichever
file a value is written in. It compares meaning, not text: rules, conditions, citations and list items are
matched by what they say, never by position, so reordering, comments and formatting give no difference.

Each difference is a :class:`Change`. A change to a duration or a number says which way it binds:

- a deadline's ``within`` is a maximum, stricter when shorter; ``at_least … before`` is a notice period,
  stricter when longer; durations in different units are compared by the calendar days each can span
  (:func:`durations.compare_strictness`), and a pair that depends on the dates is reported as such;
- a number or duration in a condition is stricter when it makes an obligation harder to satisfy (a
  requirement's ``require`` or ``unless``) or apply to more cases (the ``when`` of a deadline or a
  requirement); a decision's conditions say when the procedure directs something, and have no direction;
- a deadline's ``optional_when`` excuses its event: conditions harder to hold excuse it in fewer cases
  (stricter), while the first such conditions make it optional somewhere (looser); ``recorded_by: due`` makes
  a condition harder to hold, and an ``exclusive`` boundary on a timed event too;
- ``not_before`` is a lower bound, stricter when longer (fewer dates are allowed); an ``exclusive`` boundary
  takes the boundary day out of time, stricter for every deadline;
- a ``whichever_sooner`` clock added brings the due date forward (stricter), a ``whichever_later`` clock
  puts it back (looser); from sooner to later, the deadline's own clock unchanged, is looser;
- each ``until`` event lets the deadline end without its event (looser);
- an ``any_of`` condition gaining members, or one condition widened into ``any_of`` it and others, holds in
  more cases, judged as any condition that holds more easily;
- an exception added is judged by what it does where it applies: its parameters against its base's, or
  looser when it disapplies an obligation; dropped, the opposite. Its own conditions holding in more cases
  spread it, so they take its direction. Where no direction can be told, the change is "changed".

The model is pure: two :class:`ResolvedPolicy` in, a :class:`Diff` out; the renderers at the end print it
as text, Markdown or JSON.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from engine.core.durations import Duration, DurationError, Unit, compare_strictness, parse_duration
from engine.core.safe_text import html_text, markdown_code, markdown_text, terminal
from engine.policy import describe
from engine.policy.resolve import ResolvedPolicy, ResolvedRule
from engine.policy.show import TOPIC_ORDER, effective
from engine.policy.show import origin as origin_words

KINDS = ("rule", "value", "condition", "parameter", "calendar", "origin", "citation", "wording")
Kind = Literal["rule", "value", "condition", "parameter", "calendar", "origin", "citation", "wording"]
Verdict = Literal["added", "withdrawn", "stricter", "looser", "overlaps", "changed"]

#: The sections a change falls into, in the order a reviewer reads them.
SECTIONS = ("stricter", "looser", "overlaps", "changed", "added", "withdrawn", "origin", "citation", "wording")

#: The sections ``cpc diff --ignore`` may leave out: they record where a rule's words come from, not what it
#: requires, so a reviewer comparing two areas' substance may not want them.
IGNORABLE = {"wording": "wording", "citations": "citation", "origin": "origin"}

# Rule keys that are words about the rule, not what it requires.
_WORDING_KEYS = ("title", "reading", "topic")
_RULE_KEYS = ("id", "kind", "when", "cite", *_WORDING_KEYS, "disapplies")


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between the old policy and the new.

    ``old`` and ``new`` are plain data (strings, numbers, lists, dicts), ``None`` where one side has nothing.
    ``note`` is the change in words, without the rule id.
    """

    rule: str
    topic: str
    kind: Kind
    verdict: Verdict
    path: str
    old: object
    new: object
    note: str

    @property
    def section(self) -> str:
        """Where the change is listed: its verdict, or for citations, origins and wording its kind."""
        return self.kind if self.kind in ("citation", "origin", "wording") else self.verdict

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "topic": self.topic,
            "kind": self.kind,
            "verdict": self.verdict,
            "section": self.section,
            "path": self.path,
            "old": self.old,
            "new": self.new,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Side:
    """One of the two policies compared: how the user named it and what it is."""

    label: str
    area: str
    title: str
    version: str
    effective_from: str
    file: str

    @classmethod
    def of(cls, policy: ResolvedPolicy, label: str | None = None) -> Side:
        return cls(
            label or policy.area,
            policy.area,
            policy.title,
            policy.version,
            policy.effective_from.isoformat() if policy.effective_from else "",
            policy.file.file,
        )

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "area": self.area,
            "title": self.title,
            "version": self.version,
            "effective_from": self.effective_from,
            "file": self.file,
        }


@dataclass(frozen=True, slots=True)
class Diff:
    """Every difference from ``old`` to ``new``, ordered by topic, rule and path."""

    old: Side
    new: Side
    changes: tuple[Change, ...] = field(default=())
    ignored: tuple[str, ...] = ()

    @property
    def differs(self) -> bool:
        return bool(self.changes)

    def ignoring(self, names: tuple[str, ...] | list[str]) -> Diff:
        """This diff without the :data:`IGNORABLE` sections ``names`` (``wording``, ``citations``, ``origin``)."""
        names = tuple(n for n in IGNORABLE if n in names)
        left_out = {IGNORABLE[n] for n in names}
        return Diff(self.old, self.new, tuple(c for c in self.changes if c.section not in left_out), names)

    def section(self, name: str) -> list[Change]:
        return [c for c in self.changes if c.section == name]

    def counts(self) -> dict[str, int]:
        return {name: len(self.section(name)) for name in SECTIONS}

    def to_dict(self) -> dict:
        return {
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
            "differs": self.differs,
            "ignored": list(self.ignored),
            "counts": self.counts(),
            "changes": [c.to_dict() for c in self.changes],
        }


# --- Entry point ------------------------------------------------------------------------------------------


def diff_policies(
    old: ResolvedPolicy, new: ResolvedPolicy, old_label: str | None = None, new_label: str | None = None
) -> Diff:
    """Every difference from the resolved policy ``old`` to ``new``; labels name them as the user did."""
    changes: list[Change] = []
    for rule_id in sorted(old.rules.keys() | new.rules.keys()):
        a, b = old.rules.get(rule_id), new.rules.get(rule_id)
        if a is None and b is not None:
            changes.append(_exception_added(b, "added", new, old) or _whole_rule(b, "added", new, old))
        elif b is None and a is not None:
            changes.append(_exception_added(a, "withdrawn", old, new) or _whole_rule(a, "withdrawn", old, new))
        elif a is not None and b is not None:
            changes.extend(_rule_changes(a, b, old, new))
    changes.extend(_calendar_changes(old.calendar, new.calendar))
    order = {t: i for i, t in enumerate(TOPIC_ORDER)}
    changes.sort(key=lambda c: (order.get(c.topic, len(order)), c.topic, c.rule, _KIND_ORDER[c.kind], c.path))
    return Diff(Side.of(old, old_label), Side.of(new, new_label), tuple(changes))


_KIND_ORDER = {k: i for i, k in enumerate(KINDS)}


# --- Whole rules ------------------------------------------------------------------------------------------


def _summary(rule: ResolvedRule, policy: ResolvedPolicy) -> str:
    """A rule in one line: its kind, its conditions and what it requires (a decision by its action's slug)."""
    data = dict(rule.data)
    if rule.exception_of:
        said = describe.exception(effective(rule, policy), list(rule.exception_when))
        return f"[{rule.kind}, {_topic(rule)}] {said}"
    conditions = data.get("when") if isinstance(data.get("when"), list) else []
    when = " and ".join(_condition_words(c) for c in conditions if isinstance(c, dict))
    does = describe.parameters(data) if rule.kind != "decision" else f"→ {rule.parameters.get('action', '')}"
    return f"[{rule.kind}, {_topic(rule)}] " + (f"when {when}: " if when else "") + does


def _whole_rule(rule: ResolvedRule, verdict: Verdict, mine: ResolvedPolicy, other: ResolvedPolicy) -> Change:
    """A rule only ``mine`` has; ``other``, the policy without it, may say why in its ``withdrawn`` list."""
    summary = _summary(rule, mine)
    note = summary + (f" (from {rule.defined_in})" if rule.defined_in != mine.area else "")
    withdrawal = other.withdrawn.get(rule.id)
    if withdrawal is not None:
        who = f"{withdrawal.area} withdraws it" if verdict == "withdrawn" else f"{withdrawal.area} had withdrawn it"
        note += f"; {who}" + (f": {withdrawal.reason}" if withdrawal.reason else "")
    old, new = (summary, None) if verdict == "withdrawn" else (None, summary)
    return Change(rule.id, _topic(rule), "rule", verdict, "", old, new, note)


def _topic(rule: ResolvedRule) -> str:
    return str(rule.data.get("topic", "other"))


# --- Exceptions -------------------------------------------------------------------------------------------

# The kinds whose rule binds a case: an exception that disapplies one where it holds frees the case of it.
_OBLIGATIONS = ("deadline", "requirement")


def _against_base(
    rule: ResolvedRule, base: ResolvedRule, policy: ResolvedPolicy, *, reverse: bool = False
) -> tuple[Verdict, list[_Part]]:
    """What an exception does where it applies, against its base: stricter, looser, or changed.

    The parameters are compared from the base's to the exception's (``reverse``: the other way, for an exception
    dropped, where the base applies again). An exception that disapplies an obligation is looser (``reverse``:
    stricter); one whose parameters go both ways, or depend on the dates, is changed.
    """
    if rule.data.get("disapplies"):
        if rule.kind not in _OBLIGATIONS:
            return "changed", []
        return ("stricter" if reverse else "looser"), []
    pa, pb = _plain(base.parameters), _plain(effective(rule, policy).get(base.kind))
    parts = [p for p in _kind_parts(base.kind, *((pb, pa) if reverse else (pa, pb))) if p.kind != "wording"]
    verdicts = {p.verdict for p in parts}
    verdict: Verdict = verdicts.pop() if verdicts in ({"stricter"}, {"looser"}) else "changed"
    return verdict, parts


def _exception_added(
    rule: ResolvedRule, verdict: Verdict, mine: ResolvedPolicy, other: ResolvedPolicy
) -> Change | None:
    """An exception only ``mine`` has, to a rule both have, judged by what it does where it applies.

    Added, it replaces its base's parameters where its conditions hold: looser or stricter as they are, looser
    when it disapplies an obligation. Dropped, the opposite. None for a rule that is no exception, or whose base
    is new or withdrawn too (then the rule is simply added or withdrawn with it).
    """
    base_id = rule.exception_of
    base = mine.rules.get(base_id) if base_id else None
    if base is None or base_id not in other.rules:
        return None
    added = verdict == "added"
    judged, parts = _against_base(rule, base, mine, reverse=not added)
    where = describe.conditions(list(rule.exception_when)) or "its conditions hold"
    if rule.data.get("disapplies"):
        effect = f"{base_id} does not apply there" if added else f"{base_id} applies there again"
    else:
        effect = "; ".join(p.note for p in parts) or "the same parameters as the rule"
        effect = effect if added else f"{base_id} applies there again: {effect}"
    lead = "adds an exception to" if added else "drops the exception to"
    note = f"{lead} {base_id} where {where}: {effect}"
    if rule.defined_in != mine.area:
        note += f" (from {rule.defined_in})"
    withdrawal = other.withdrawn.get(rule.id)
    if withdrawal is not None:
        who = f"{withdrawal.area} withdraws it" if not added else f"{withdrawal.area} had withdrawn it"
        note += f"; {who}" + (f": {withdrawal.reason}" if withdrawal.reason else "")
    summary = _summary(rule, mine)
    old, new = (None, summary) if added else (summary, None)
    return Change(rule.id, _topic(rule), "rule", judged, "", old, new, note)


# --- A rule in both ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Part:
    """A change found inside a rule, before it is tied to the rule."""

    kind: Kind
    verdict: Verdict
    path: str
    old: object
    new: object
    note: str


def _rule_changes(a: ResolvedRule, b: ResolvedRule, old: ResolvedPolicy, new: ResolvedPolicy) -> list[Change]:
    da, db = _plain(a.data), _plain(b.data)
    parts: list[_Part] = []
    if da.get("kind") != db.get("kind"):
        # A rule that changes kind has no parameters in common: say what each requires, whole.
        was, now = describe.parameters(da), describe.parameters(db)
        note = f"kind: {a.kind} → {b.kind}: {_short(was, 60)} → {_short(now, 60)}"
        parts.append(_Part("parameter", "changed", "kind", {a.kind: was}, {b.kind: now}, note))
    elif a.exception_of and a.exception_of == b.exception_of:
        parts.extend(_exception_changes(a, b, old, new))
    else:
        kind = str(da.get("kind", ""))
        parts.extend(_kind_parts(kind, da.get(kind), db.get(kind)))
    if not (a.exception_of and a.exception_of == b.exception_of):
        when_polarity = None if da.get("kind") == "decision" or da.get("kind") != db.get("kind") else -1
        parts.extend(_conditions(da.get("when"), db.get("when"), "when", when_polarity))
    for key in sorted((da.keys() | db.keys()) - {*_RULE_KEYS, "deadline", "requirement", "decision"}):
        parts.extend(_generic({key: da.get(key)}, {key: db.get(key)}, ""))
    substantive = any(p.kind != "wording" for p in parts)
    parts.extend(_wording(da, db))
    cited = _citations(a, old, b, new)
    if cited is not None:
        parts.append(cited)
    moved = _origin(a, old.area, b, new.area, substantive)
    if moved is not None:
        parts.append(moved)
    topic = _topic(b)
    return [Change(a.id, topic, p.kind, p.verdict, p.path, p.old, p.new, p.note) for p in parts]


def _kind_parts(kind: str, pa: object, pb: object) -> Iterator[_Part]:
    """The changes between two parameter blocks of a rule of ``kind``."""
    if kind == "deadline":
        yield from _deadline(_mapping(pa), _mapping(pb))
    elif kind == "requirement":
        yield from _requirement(_mapping(pa), _mapping(pb))
    else:
        yield from _generic(_mapping(pa), _mapping(pb), kind)


_EXCEPTION_WHY = {
    1: ("the exception applies in fewer cases", "the exception applies in more cases"),
    -1: ("the exception applies in more cases", "the exception applies in fewer cases"),
}


def _exception_changes(a: ResolvedRule, b: ResolvedRule, old: ResolvedPolicy, new: ResolvedPolicy) -> Iterator[_Part]:
    """An exception to the same rule in both: what it does where it applies, and where that is.

    Its parameters are judged as any rule's. Its own conditions (not those it shares with its base, which are
    reported under the base) decide where it applies: holding in more cases spreads the exception's effect, so
    the change takes the exception's direction against its base (a looser exception applying more widely is
    looser); with no direction, it is changed.
    """
    da, db = _plain(effective(a, old)), _plain(effective(b, new))
    kind, base_id = str(db.get("kind", "")), str(b.exception_of)
    if bool(da.get("disapplies")) != bool(db.get("disapplies")):
        now = bool(db.get("disapplies"))
        verdict: Verdict = "changed"
        if kind in _OBLIGATIONS:
            verdict = "looser" if now else "stricter"
        note = (
            f"disapplies: {base_id} now does not apply at all where the exception holds"
            if now
            else f"disapplies: {base_id} applies again where the exception holds, with the exception's parameters"
        )
        yield _Part("parameter", verdict, "disapplies", bool(da.get("disapplies")), now, note)
    elif not db.get("disapplies"):
        yield from _kind_parts(kind, da.get(kind), db.get(kind))
    base = new.rules.get(base_id)
    polarity: int | None = None
    if base is not None:
        direction, _ = _against_base(b, base, new)
        polarity = {"looser": 1, "stricter": -1}.get(direction)
    why = _EXCEPTION_WHY.get(polarity or 0, ("", ""))
    yield from _conditions(_plain(list(a.exception_when)), _plain(list(b.exception_when)), "when", polarity, why=why)


def _mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _plain(value: object) -> object:
    """Plain, JSON-able data: mappings as dicts, dates as ISO strings."""
    if isinstance(value, Mapping | MappingProxyType):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# --- Durations and numbers --------------------------------------------------------------------------------

# Which way a value binds harder: "lower" (shorter or smaller is stricter), "higher", or None (no direction).
Direction = Literal["lower", "higher"] | None


def _duration(text: object) -> Duration | None:
    try:
        return parse_duration(text)
    except DurationError:
        return None


def _normal(value: Duration) -> Duration:
    # Units that are exact multiples of each other: 2 weeks are always 14 days, 1 year always 12 months.
    if value.unit is Unit.WEEKS:
        return Duration(value.amount * 7, Unit.DAYS)
    if value.unit is Unit.YEARS:
        return Duration(value.amount * 12, Unit.MONTHS)
    return value


def _days(value: Duration) -> str:
    """The calendar days a duration can span, in words: ``19 to 24 calendar days``."""
    lo, hi = value.calendar_day_range()
    span = f"{lo:g}" if lo == hi else f"{lo:g} to {hi:g}"
    return f"{span} calendar day{'' if span == '1' else 's'}"


def _compare_values(
    path: str,
    old: object,
    new: object,
    direction: Direction,
    why: tuple[str, str],
    *,
    label: str | None = None,
    suffix: str = "",
) -> _Part | None:
    """A duration or number that changed, with its verdict; ``why`` says what stricter and looser mean here.

    The note reads ``{label}{old} → {new}{suffix}``; ``label`` defaults to the path.
    """
    lead = f"{path}: " if label is None else label
    if isinstance(old, int | float) and isinstance(new, int | float) and not isinstance(old, bool):
        if old == new:
            return None
        note = f"{lead}{old} → {new}{suffix}"
        if direction is None:
            return _Part("value", "changed", path, old, new, note)
        stricter = new > old if direction == "higher" else new < old
        return _Part("value", "stricter" if stricter else "looser", path, old, new, f"{note} ({why[not stricter]})")
    a, b = _duration(old), _duration(new)
    if a is None or b is None:
        if old == new:
            return None
        return _Part("parameter", "changed", path, old, new, f"{lead}{_words(old)} → {_words(new)}{suffix}")
    if _normal(a) == _normal(b):
        if str(a) == str(b):
            return None
        return _Part("wording", "changed", path, str(a), str(b), f"{lead}written {a} → {b}{suffix} (the same span)")
    note = f"{lead}{a} → {b}{suffix}"
    # Across units the calendar days each can span are what decide, so the note shows them.
    days = f"{_days(b)} against {_days(a)}" if a.unit != b.unit else ""
    if a.calendar_day_range() == b.calendar_day_range():
        # 24 hours and 1 day span the same, but hours count from a time of day and days from a date.
        return _Part("value", "changed", path, str(a), str(b), f"{note} (the same span, counted in other units)")
    relation = compare_strictness(b, a)
    if relation == "overlaps":
        return _Part(
            "value", "overlaps", path, str(a), str(b), f"{note} ({days}): may be stricter or looser depending on dates"
        )
    if direction is None:
        return _Part("value", "changed", path, str(a), str(b), note + (f" ({days})" if days else ""))
    stricter = (relation == "shorter") == (direction == "lower")
    reason = why[not stricter] + (f": {days}" if days else "")
    return _Part("value", "stricter" if stricter else "looser", path, str(a), str(b), f"{note} ({reason})")


def _words(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_words(v) for v in value) + "]"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


# --- Parameters of each kind ------------------------------------------------------------------------------

_MAXIMUM = ("a shorter time limit", "a longer time limit")
_NOTICE = ("a longer notice period", "a shorter notice period")


_EARLIEST = ("a longer wait before it may happen", "a shorter wait before it may happen")

# Each duration of a deadline, which way it binds and how its two sides are worded: ``within`` is a maximum;
# ``at_least`` before an event is a minimum notice; ``not_before`` is a lower bound, stricter when longer,
# since fewer dates are then allowed.
_DEADLINE_VALUES: dict[str, tuple[Direction, tuple[str, str]]] = {
    "within": ("lower", _MAXIMUM),
    "at_least": ("higher", _NOTICE),
    "not_before": ("higher", _EARLIEST),
}


def _deadline(a: dict, b: dict) -> Iterator[_Part]:
    for key, (direction, why) in _DEADLINE_VALUES.items():
        if key in a and key in b:
            part = _compare_values(f"deadline.{key}", a[key], b[key], direction, why)
            if part is not None:
                yield part
        elif key in a or key in b:
            # A deadline of another form (a maximum become a notice period, or a lower bound): no direction.
            yield _added_or_dropped(f"deadline.{key}", a.get(key), b.get(key))
    yield from _what(a.get("what"), b.get("what"))
    yield from _other_clocks(a, b)
    yield from _boundary(a, b)
    yield from _until(a.get("until"), b.get("until"))
    if bool(a.get("optional")) != bool(b.get("optional")):
        # An optional event is reported only when it happens; a required one also when it does not.
        stricter = not b.get("optional")
        yield _Part(
            "parameter",
            "stricter" if stricter else "looser",
            "deadline.optional",
            bool(a.get("optional")),
            bool(b.get("optional")),
            "deadline.optional: "
            + (
                "now required: a missing event is reported, not only a late one"
                if stricter
                else "now optional: only a late event is reported, not a missing one"
            ),
        )
    yield from _optional_when(a.get("optional_when"), b.get("optional_when"))
    rest = {*_DEADLINE_VALUES, "what", *_WHICHEVER, "optional", "optional_when", "boundary", "until"}
    yield from _generic(
        {k: v for k, v in a.items() if k not in rest}, {k: v for k, v in b.items() if k not in rest}, "deadline"
    )


_EXCUSED_WHY = ("the event is excused in fewer cases", "the event is excused in more cases")


def _optional_when(old: object, new: object) -> Iterator[_Part]:
    """Changes to the conditions under which a deadline's event need not happen.

    While both sides have some, a condition harder to hold excuses the event in fewer cases: stricter, as
    for a requirement's ``unless``. The first conditions given make the deadline optional in the cases they
    describe (looser); dropping them all makes the event required in every case again (stricter).
    """
    path = "deadline.optional_when"
    a = [c for c in old if isinstance(c, dict)] if isinstance(old, list) else []
    b = [c for c in new if isinstance(c, dict)] if isinstance(new, list) else []
    if bool(a) == bool(b):
        yield from _conditions(a, b, path, 1, why=_EXCUSED_WHY)
        return
    words = " and ".join(_condition_words(c) for c in a or b)
    if b:
        note = f"{path}: now optional when {words}: only a late event is reported then, not a missing one"
        yield _Part("condition", "looser", path, None, b, note)
    else:
        note = f"{path}: no longer optional when {words}: a missing event is reported in every case"
        yield _Part("condition", "stricter", path, a, None, note)


def _added_or_dropped(path: str, old: object, new: object) -> _Part:
    if old is None:
        return _Part("parameter", "changed", path, None, _words(new), f"{path}: added, {_words(new)}")
    return _Part("parameter", "changed", path, _words(old), None, f"{path}: dropped, was {_words(old)}")


def _as_set(value: object) -> set[str] | None:
    if isinstance(value, str):
        return {value}
    if isinstance(value, list) and all(isinstance(v, str | int | bool) for v in value):
        return {json.dumps(v) if not isinstance(v, str) else v for v in value}
    return None


def _what(old: object, new: object) -> Iterator[_Part]:
    a, b = _as_set(old), _as_set(new)
    if a is None or b is None:
        if _canonical(old) != _canonical(new):
            yield _Part(
                "parameter", "changed", "deadline.what", old, new, f"deadline.what: {_words(old)} → {_words(new)}"
            )
        return
    if a == b:
        return
    note = f"deadline.what: {_events(old)} → {_events(new)}"
    # Any one of the listed events meets the deadline, so fewer of them make it harder to meet.
    if b < a:
        yield _Part("parameter", "stricter", "deadline.what", old, new, f"{note} (fewer events meet the deadline)")
    elif b > a:
        yield _Part("parameter", "looser", "deadline.what", old, new, f"{note} (more events meet the deadline)")
    else:
        yield _Part("parameter", "changed", "deadline.what", old, new, note)


def _events(what: object) -> str:
    return " or ".join(str(w) for w in what) if isinstance(what, list) else str(what)


_WHICHEVER = ("whichever_sooner", "whichever_later")


def _other_clocks(a: dict, b: dict) -> Iterator[_Part]:
    """The clocks beside the deadline's own: ``whichever_sooner`` or ``whichever_later``, or a switch between them.

    With ``whichever_sooner`` the due date is never after the own clock's; with ``whichever_later`` never before
    it. So, the own clock unchanged, a switch from sooner to later can only move the due date later: looser,
    whatever the other clocks are. With the own clock changed too, the two cannot be weighed apart: changed.
    """
    key_a = next((k for k in _WHICHEVER if a.get(k)), None)
    key_b = next((k for k in _WHICHEVER if b.get(k)), None)
    if key_a is None or key_b is None or key_a == key_b:
        for key in _WHICHEVER:
            yield from _clocks(a.get(key), b.get(key), key)
        return
    words = {"whichever_sooner": "whichever is sooner", "whichever_later": "whichever is later"}
    note = f"deadline: {words[key_a]} → {words[key_b]}: {_clock_list(a[key_a])} → {_clock_list(b[key_b])}"
    same_own = all(_canonical(a.get(k)) == _canonical(b.get(k)) for k in ("within", "of"))
    verdict: Verdict = "changed"
    if same_own:
        verdict = "looser" if key_b == "whichever_later" else "stricter"
        note += (
            " ("
            + (
                "the latest due date applies now, never before the deadline's own"
                if verdict == "looser"
                else "the earliest due date applies now, never after the deadline's own"
            )
            + ")"
        )
    yield _Part("parameter", verdict, "deadline.whichever", {key_a: a[key_a]}, {key_b: b[key_b]}, note)


def _clock_list(clocks: object) -> str:
    if not isinstance(clocks, list):
        return _words(clocks)
    return ", ".join(f"within {c.get('within')} of {c.get('of')}" for c in clocks if isinstance(c, dict))


def _clocks(old: object, new: object, key: str = "whichever_sooner") -> Iterator[_Part]:
    """``whichever_sooner`` or ``whichever_later`` clocks, matched by the event they count from."""
    a, b = _by_of(old), _by_of(new)
    if a is None or b is None:
        if _canonical(old) != _canonical(new):
            yield _Part(
                "parameter", "changed", f"deadline.{key}", old, new, f"deadline.{key}: {_words(old)} → {_words(new)}"
            )
        return
    # The earliest of the sooner clocks binds, so another one can only bring the due date forward; the latest
    # of the later clocks binds, so another one can only put it back.
    sooner = key == "whichever_sooner"
    word = "sooner" if sooner else "later"
    for of in sorted(a.keys() | b.keys()):
        path = f"deadline.{key}[of={of}]"
        if of in a and of in b:
            # Either way a shorter clock gives an earlier due date, or the same one.
            part = _compare_values(f"{path}.within", a[of], b[of], "lower", _MAXIMUM)
            if part is not None:
                yield part
        elif of in b:
            verdict: Verdict = "stricter" if sooner else "looser"
            note = f"{path}: adds a clock, within {b[of]} of {of} if {word}"
            yield _Part("parameter", verdict, path, None, f"within {b[of]} of {of}", note)
        else:
            verdict = "looser" if sooner else "stricter"
            note = f"{path}: drops the clock within {a[of]} of {of}"
            yield _Part("parameter", verdict, path, f"within {a[of]} of {of}", None, note)


def _boundary(a: dict, b: dict) -> Iterator[_Part]:
    """``boundary``: the boundary day made out of time is stricter, whichever bound it is (``inclusive`` by default)."""
    old, new = a.get("boundary", "inclusive"), b.get("boundary", "inclusive")
    if old == new:
        return
    day = "the earliest date" if "not_before" in b else "the due date"
    late = "too early" if "not_before" in b else "late"
    if {old, new} != {"inclusive", "exclusive"}:
        yield _Part("parameter", "changed", "deadline.boundary", old, new, f"deadline.boundary: {old} → {new}")
    elif new == "exclusive":
        note = f"deadline.boundary: inclusive → exclusive ({day} itself is now {late})"
        yield _Part("parameter", "stricter", "deadline.boundary", old, new, note)
    else:
        note = f"deadline.boundary: exclusive → inclusive ({day} itself is no longer {late})"
        yield _Part("parameter", "looser", "deadline.boundary", old, new, note)


def _until(old: object, new: object) -> Iterator[_Part]:
    """``until``: each event that can stop the clock lets the deadline end without its event: looser."""
    path = "deadline.until"
    a, b = _as_set(old if old is not None else []), _as_set(new if new is not None else [])
    if a is None or b is None:
        if _canonical(old) != _canonical(new):
            yield _Part("parameter", "changed", path, old, new, f"{path}: {_words(old)} → {_words(new)}")
        return
    if a == b:
        return
    changes = [f"the clock now also stops at {', '.join(sorted(b - a))}"] if b - a else []
    changes += [f"the clock no longer stops at {', '.join(sorted(a - b))}"] if a - b else []
    note = f"{path}: " + " and ".join(changes)
    if b > a:
        yield _Part("parameter", "looser", path, old, new, f"{note} (the deadline can end in more ways)")
    elif b < a:
        yield _Part("parameter", "stricter", path, old, new, f"{note} (the deadline can end in fewer ways)")
    else:
        yield _Part("parameter", "changed", path, old, new, note)


def _by_of(clocks: object) -> dict[str, object] | None:
    if clocks is None:
        return {}
    if not isinstance(clocks, list) or not all(isinstance(c, dict) and isinstance(c.get("of"), str) for c in clocks):
        return None
    found = {c["of"]: c.get("within") for c in clocks}
    return found if len(found) == len(clocks) else None


def _requirement(a: dict, b: dict) -> Iterator[_Part]:
    # Harder to hold is stricter for both lists: a require condition must hold, and an unless condition
    # must hold for a failure to be excused.
    yield from _conditions(a.get("require"), b.get("require"), "requirement.require", 1)
    yield from _conditions(a.get("unless"), b.get("unless"), "requirement.unless", 1)
    rest = {"require", "unless"}
    yield from _generic(
        {k: v for k, v in a.items() if k not in rest}, {k: v for k, v in b.items() if k not in rest}, "requirement"
    )


def _generic(a: dict, b: dict, prefix: str) -> Iterator[_Part]:
    """Keys with no direction (``of``, ``before``, ``statutory``, ``applies_to``, ``action``, ``directs``)."""
    for key in sorted(a.keys() | b.keys()):
        old, new = a.get(key), b.get(key)
        if _canonical(old) == _canonical(new):
            continue
        path = f"{prefix}.{key}" if prefix else key
        if old is None or new is None:
            yield _added_or_dropped(path, old, new)
        else:
            before, after = _from_difference(_words(old), _words(new))
            yield _Part("parameter", "changed", path, old, new, f"{path}: {before} → {after}")


# --- Conditions -------------------------------------------------------------------------------------------

# Whether a larger value makes a condition harder to hold.
_HARDER_WHEN_LARGER = {"at_least": True, "below": False, "within": False, "elapsed": True}
_FACT_OPERATORS = ("equals", "not_equals", "in", "at_least", "below", "present")


def _key(condition: dict) -> tuple:
    """What a condition is about, without its value: two conditions with one key are one condition changed."""
    if "fact" in condition:
        op = next((op for op in _FACT_OPERATORS if op in condition), "")
        return ("fact", str(condition["fact"]), op)
    if "event" in condition:
        # "E has not happened" is another condition from "E has happened", not the same one changed.
        negated = "not" if condition.get("happened") is False else ""
        return ("event", str(condition["event"]), str(condition.get("of")), negated)
    if "elapsed" in condition:
        return ("elapsed", str(condition.get("since")))
    if "any_of" in condition:
        return ("any_of",)
    return ("other", _canonical(condition))


# Keys whose value, written out, says what leaving them out says.
_DEFAULTS = (("boundary", "inclusive"), ("happened", True))


def _canonical(value: object) -> str:
    """A form in which two values that mean the same are equal: lists of names as sets, durations parsed, and
    the defaults ``boundary: inclusive`` and ``happened: true`` as if left out."""

    def norm(v: object, key: str = "") -> object:
        if isinstance(v, dict):
            return {k: norm(x, k) for k, x in v.items() if (k, x) not in _DEFAULTS}
        if isinstance(v, list):
            items = [norm(x) for x in v]
            # Lists of names (``in``, ``what``) are sets; lists of mappings (conditions, clocks) are matched by
            # what they say, so their order does not matter either.
            return sorted(items, key=lambda x: json.dumps(x, sort_keys=True, default=str))
        if isinstance(v, str) and key in ("within", "at_least", "elapsed"):
            parsed = _duration(v)
            return str(_normal(parsed)) if parsed is not None else v
        return v

    return json.dumps(norm(value), sort_keys=True, default=str, ensure_ascii=False)


def _conditions(
    old: object, new: object, path: str, polarity: int | None, *, why: tuple[str, str] | None = None
) -> Iterator[_Part]:
    """Conditions added, dropped or changed in one list.

    ``polarity`` says what a condition that is harder to hold does to the rule: 1 makes it stricter (a
    requirement's own conditions), -1 looser (the ``when`` of an obligation: it applies to fewer cases), None
    neither (a decision's ``when``). ``why`` words the stricter and the looser side, where the polarity's
    usual words would not fit the list.
    """
    why = why or _CONDITION_WHY.get(polarity or 0, ("", ""))
    a = [c for c in old if isinstance(c, dict)] if isinstance(old, list) else []
    b = [c for c in new if isinstance(c, dict)] if isinstance(new, list) else []
    # Identical conditions cancel first, so only real changes are left to pair up.
    remaining_b = list(b)
    left_a: list[dict] = []
    for cond in a:
        match = next((i for i, other in enumerate(remaining_b) if _canonical(other) == _canonical(cond)), None)
        if match is None:
            left_a.append(cond)
        else:
            remaining_b.pop(match)
    by_key_a: dict[tuple, list[dict]] = {}
    by_key_b: dict[tuple, list[dict]] = {}
    for cond in left_a:
        by_key_a.setdefault(_key(cond), []).append(cond)
    for cond in remaining_b:
        by_key_b.setdefault(_key(cond), []).append(cond)
    yield from _widened(by_key_a, by_key_b, path, polarity, why)
    for key in sorted(by_key_a.keys() | by_key_b.keys()):
        olds, news = by_key_a.get(key, []), by_key_b.get(key, [])
        if len(olds) == 1 and len(news) == 1:
            yield _changed_condition(olds[0], news[0], key, path, polarity, why)
            continue
        for cond in olds:
            # Dropping a condition makes the list easier to satisfy.
            yield _one_sided(path, cond, None, polarity, "looser", why)
        for cond in news:
            yield _one_sided(path, None, cond, polarity, "stricter", why)


def _members(condition: dict) -> list[str]:
    """The canonical forms of an ``any_of`` condition's members."""
    items = condition.get("any_of")
    return [_canonical(c) for c in items if isinstance(c, dict)] if isinstance(items, list) else []


def _widened(
    by_key_a: dict[tuple, list[dict]],
    by_key_b: dict[tuple, list[dict]],
    path: str,
    polarity: int | None,
    why: tuple[str, str],
) -> Iterator[_Part]:
    """A condition that became ``any_of`` it and others (easier to hold), or the reverse; taken out of the lists.

    Left in them, the pair would read as a condition dropped and another added, each judged the other way.
    """
    for grow, (narrow, wide) in ((True, (by_key_a, by_key_b)), (False, (by_key_b, by_key_a))):
        for either in list(wide.get(("any_of",), [])):
            members = _members(either)
            match = next(
                (
                    (key, c)
                    for key, conds in narrow.items()
                    if key != ("any_of",)
                    for c in conds
                    if _canonical(c) in members
                ),
                None,
            )
            if match is None:
                continue
            key, single = match
            narrow[key].remove(single)
            wide[("any_of",)].remove(either)
            old, new = (single, either) if grow else (either, single)
            verdict = _flip("looser" if grow else "stricter", polarity)
            note = f"{path}: {_condition_words(old)} → {_condition_words(new)}"
            if polarity is not None:
                note += f" ({why[verdict != 'stricter']})"
            yield _Part("condition", verdict, f"{path}[{_key_words(key)}]", old, new, note)


def _any_of_changed(old: dict, new: dict, path: str, polarity: int | None, why: tuple[str, str]) -> _Part:
    """Two ``any_of`` conditions: members added make it easier to hold, members dropped harder."""
    a, b = _members(old), _members(new)
    words = {_canonical(c): _condition_words(c) for c in [*old.get("any_of", []), *new.get("any_of", [])]}
    added, dropped = [m for m in b if m not in a], [m for m in a if m not in b]
    changes = [f"also holds when {' or '.join(words[m] for m in added)}"] if added else []
    changes += [f"no longer holds when {' or '.join(words[m] for m in dropped)}"] if dropped else []
    note = f"{path}: either of several " + " and ".join(changes)
    verdict: Verdict = "changed"
    if bool(added) != bool(dropped):
        verdict = _flip("looser" if added else "stricter", polarity)
        if polarity is not None:
            note += f" ({why[verdict != 'stricter']})"
    return _Part("condition", verdict, f"{path}[any of]", old, new, note)


# A key a condition may gain that makes it harder to hold (its value when it does), and how to say so.
_HARDER_KEYS = {
    "recorded_by": ("due", "only when recorded by the due date", "whenever recorded"),
    "boundary": ("exclusive", "before the last day of the time, not on it", "on the last day of the time too"),
}


def _qualified(old: dict, new: dict, where: str, path: str, polarity: int | None, why: tuple[str, str]) -> _Part | None:
    """One condition that differs only in ``recorded_by`` or ``boundary``: harder to hold with it, easier without."""
    differ = {k for k in old.keys() | new.keys() if _canonical({k: old.get(k)}) != _canonical({k: new.get(k)})}
    if len(differ) != 1 or next(iter(differ)) not in _HARDER_KEYS:
        return None
    key = next(iter(differ))
    harder_value, with_it, without = _HARDER_KEYS[key]
    harder = new.get(key) == harder_value
    if not harder and old.get(key) != harder_value:
        return None
    verdict = _flip("stricter" if harder else "looser", polarity)
    note = (
        f"{path}: {_condition_words({k: v for k, v in new.items() if k != key})} now {with_it if harder else without}"
    )
    if polarity is not None:
        note += f" ({why[verdict != 'stricter']})"
    return _Part("condition", verdict, where, old, new, note)


def _flip(verdict: Verdict, polarity: int | None) -> Verdict:
    if polarity is None:
        return "changed"
    if polarity > 0:
        return verdict
    return "looser" if verdict == "stricter" else "stricter"


_CONDITION_WHY = {
    1: ("harder to satisfy", "easier to satisfy"),
    -1: ("applies in more cases", "applies in fewer cases"),
}


def _one_sided(
    path: str, old: dict | None, new: dict | None, polarity: int | None, harder: Verdict, why: tuple[str, str]
) -> _Part:
    verdict = _flip(harder, polarity)
    words = _condition_words(new if new is not None else old)
    note = f"{path}: {'adds' if new is not None else 'drops'} {words}"
    if polarity is not None:
        note += f" ({why[verdict != 'stricter']})"
    return _Part("condition", verdict, path, old, new, note)


def _changed_condition(
    old: dict, new: dict, key: tuple, path: str, polarity: int | None, why: tuple[str, str]
) -> _Part:
    """One condition whose value changed: a number or duration, a list of values, or anything else."""
    where = f"{path}[{_key_words(key)}]"
    if key == ("any_of",):
        return _any_of_changed(old, new, path, polarity, why)
    qualified = _qualified(old, new, where, path, polarity, why)
    if qualified is not None:
        return qualified
    value_key = {"fact": key[2], "event": "within", "elapsed": "elapsed"}.get(key[0], "")
    rest_old = {k: v for k, v in old.items() if k != value_key}
    rest_new = {k: v for k, v in new.items() if k != value_key}
    if value_key in _HARDER_WHEN_LARGER and _canonical(rest_old) == _canonical(rest_new):
        larger_harder = _HARDER_WHEN_LARGER[value_key]
        direction: Direction = None
        if polarity is not None:
            direction = "higher" if larger_harder == (polarity > 0) else "lower"
        if key[0] == "fact":
            label, suffix = f"{path}: {describe.condition({'fact': key[1], value_key: ''}).rstrip()} ", ""
        elif key[0] == "event":
            label, suffix = f"{path}: {key[1]} within ", f" of {key[2]}"
        else:
            label, suffix = f"{path}: at least ", f" since {key[1]}"
        part = _compare_values(
            where, old.get(value_key), new.get(value_key), direction, why, label=label, suffix=suffix
        )
        if part is not None:
            return _Part("condition" if part.kind == "value" else part.kind, part.verdict, *_rest(part))
    if value_key == "in" and _canonical(rest_old) == _canonical(rest_new):
        a, b = _as_set(old.get("in")), _as_set(new.get("in"))
        if a is not None and b is not None:
            changes = [f"may also be {', '.join(sorted(b - a))}"] if b - a else []
            changes += [f"may no longer be {', '.join(sorted(a - b))}"] if a - b else []
            note = f"{path}: {key[1]} " + " and ".join(changes)
            verdict: Verdict = "changed"
            if b < a or b > a:
                # Fewer allowed values make the condition harder to hold.
                verdict = _flip("stricter" if b < a else "looser", polarity)
                if polarity is not None:
                    note += f" ({why[verdict != 'stricter']})"
            return _Part("condition", verdict, where, old, new, note)
    return _Part("condition", "changed", where, old, new, f"{path}: {_condition_words(old)} → {_condition_words(new)}")


def _rest(part: _Part) -> tuple[str, object, object, str]:
    return part.path, part.old, part.new, part.note


def _condition_words(condition: dict) -> str:
    return describe.condition(condition)


def _key_words(key: tuple) -> str:
    if key[0] == "fact":
        return f"{key[1]} {key[2]}".strip()
    if key[0] == "event":
        return f"{'no ' * (key[3] == 'not')}{key[1]} of {key[2]}"
    if key[0] == "elapsed":
        return f"elapsed since {key[1]}"
    return "condition"


# --- Citations, origin, wording ---------------------------------------------------------------------------


def _quotes(rule: ResolvedRule, policy: ResolvedPolicy) -> dict[tuple[str, str], dict]:
    """A rule's citations keyed by the file they quote and the quote, white space collapsed.

    Source ids differ between policies that quote the same file (england's ``berkshire-wt2023`` and
    berkshire's ``berkshire-cpc`` are both 004), so the file is what identifies a source.
    """
    found: dict[tuple[str, str], dict] = {}
    for cite in rule.citations:
        source = str(cite.get("source", ""))
        file = str(policy.sources.get(source, {}).get("file", source))
        quote = " ".join(str(cite.get("quote", "")).split())
        found[(file, quote)] = {"source": source, "file": file, "quote": quote}
    return found


def _citations(a: ResolvedRule, old: ResolvedPolicy, b: ResolvedRule, new: ResolvedPolicy) -> _Part | None:
    qa, qb = _quotes(a, old), _quotes(b, new)
    dropped = [qa[k] for k in sorted(qa.keys() - qb.keys())]
    added = [qb[k] for k in sorted(qb.keys() - qa.keys())]
    if not dropped and not added:
        return None
    words = []
    if dropped:
        words.append(f"drops {len(dropped)} quote{'s' if len(dropped) != 1 else ''}")
    if added:
        words.append(f"adds {len(added)} quote{'s' if len(added) != 1 else ''}")
    return _Part("citation", "changed", "cite", dropped, added, "cite: " + ", ".join(words))


def _origin(a: ResolvedRule, old_area: str, b: ResolvedRule, new_area: str, substantive: bool) -> _Part | None:
    """Values one policy's own text states and the other inherits, or that they inherit from different areas."""
    own_a, own_b = a.origin != "inherited", b.origin != "inherited"
    if own_a == own_b and (own_a or a.defined_in == b.defined_in):
        return None
    was, now = origin_words(a, old_area), origin_words(b, new_area)
    note = f"{was} → {now}"
    if not substantive:
        note += " (the values are the same)"
    return _Part("origin", "changed", "", was, now, note)


def _wording(a: dict, b: dict) -> Iterator[_Part]:
    for key in _WORDING_KEYS:
        old, new = a.get(key), b.get(key)
        if " ".join(str(old or "").split()) == " ".join(str(new or "").split()):
            continue
        if old is None or new is None:
            note = f"{key}: {'added' if old is None else 'dropped'}"
        elif key == "reading":
            note = "reading: reworded"
        else:
            before, after = _from_difference(str(old), str(new))
            note = f'{key}: "{before}" → "{after}"'
        yield _Part("wording", "changed", key, old, new, note)


def _from_difference(old: str, new: str, limit: int = 70) -> tuple[str, str]:
    """Two texts shortened around where they first differ, so a one-word change is visible in a short line."""
    a, b = old.split(), new.split()
    same = 0
    while same < min(len(a), len(b)) and a[same] == b[same]:
        same += 1
    start = max(0, same - 3)
    lead = "…" if start else ""
    return lead + _short(" ".join(a[start:]), limit), lead + _short(" ".join(b[start:]), limit)


def _short(text: str, limit: int = 80) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


# --- Calendar ---------------------------------------------------------------------------------------------


def _calendar_changes(old: dict, new: dict) -> Iterator[Change]:
    a, b = _plain(old), _plain(new)
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        if _canonical(va) == _canonical(vb):
            continue
        path = f"calendar.{key}"
        note = f"{path}: {_words(va)} → {_words(vb)}"
        if isinstance(va, list) or isinstance(vb, list):
            # Closure days are a set of dates: say which were added and which dropped.
            sa, sb = _as_set(va or []) or set(), _as_set(vb or []) or set()
            parts = [f"adds {', '.join(sorted(sb - sa))}"] if sb - sa else []
            parts += [f"drops {', '.join(sorted(sa - sb))}"] if sa - sb else []
            note = f"{path}: {'; '.join(parts)}"
        yield Change("", "calendar", "calendar", "changed", path, va, vb, note)


# --- Rendering --------------------------------------------------------------------------------------------

FORMATS = ("text", "markdown", "json")

_ANSI = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "magenta": "35", "cyan": "36"}
_SECTION_COLOR = {
    "stricter": "yellow",
    "looser": "cyan",
    "overlaps": "magenta",
    "added": "green",
    "withdrawn": "red",
}
_COUNT_WORDS = {
    "stricter": "stricter",
    "looser": "looser",
    "overlaps": "depending on dates",
    "changed": "changed",
    "added": "added",
    "withdrawn": "withdrawn",
    "origin": "origin",
    "citation": "citations",
    "wording": "wording",
}


def paint(text: str, *styles: str, color: bool) -> str:
    """``text`` in ANSI ``styles`` when ``color`` is on, as is otherwise."""
    if not color or not styles:
        return text
    codes = ";".join(_ANSI[s] for s in styles)
    return f"\033[{codes}m{text}\033[0m"


def side_name(side: Side) -> str:
    """How a compared policy is named in headings: ``berkshire (v97)``, ``x.yaml@HEAD~1 (berkshire v97)``."""
    if side.label == side.area:
        return f"{side.area} ({side.version})" if side.version else side.area
    return f"{side.label} ({side.area} {side.version})".replace(" )", ")")


def headings(diff: Diff) -> dict[str, str]:
    """The heading of each section, naming the policy it is about."""
    old, new = diff.old.label, diff.new.label
    return {
        "stricter": f"Stricter in {new}",
        "looser": f"Looser in {new}",
        "overlaps": "Stricter or looser depending on dates",
        "changed": "Changed, neither stricter nor looser",
        "added": f"Added: rules only {new} has",
        "withdrawn": f"Withdrawn: rules only {old} has",
        "origin": "Origin: stated in one policy's own text, inherited in the other",
        "citation": "Citations",
        "wording": "Wording: titles, readings, topics",
    }


def _title(diff: Diff) -> str:
    title = f"{side_name(diff.old)} → {side_name(diff.new)}"
    if diff.ignored:
        # Said in the title, so that "no differences" is never read as more than it is.
        names = list(diff.ignored)
        title += f" (ignoring {', '.join(names[:-1])} and {names[-1]})" if len(names) > 1 else f" (ignoring {names[0]})"
    return title


def _counts_line(diff: Diff) -> str:
    total = len(diff.changes)
    parts = [f"{n} {_COUNT_WORDS[name]}" for name, n in diff.counts().items() if n]
    return f"{total} difference{'s' if total != 1 else ''}: " + ", ".join(parts)


def render_text(diff: Diff, *, color: bool = False) -> str:
    """The diff for a terminal: a summary, then each section with one line per change."""
    # Policy text is escaped for the terminal before it is painted: a value cannot send escape sequences.
    if not diff.differs:
        return f"{terminal(_title(diff))}: no differences\n"
    lines = [paint(terminal(_title(diff)), "bold", color=color), _counts_line(diff)]
    names = headings(diff)
    for section in SECTIONS:
        items = diff.section(section)
        if not items:
            continue
        style = ("bold", _SECTION_COLOR[section]) if section in _SECTION_COLOR else ("bold",)
        lines += ["", paint(terminal(f"{names[section]} ({len(items)})"), *style, color=color)]
        for change in items:
            rule = change.rule or "calendar"
            if change.kind != "citation":
                lines.append(terminal(f"  {rule}: {change.note}"))
                continue
            lines.append(terminal(f"  {rule}: {change.note.removeprefix('cite: ')}"))
            for mark, quotes, tint in (("-", change.old, "red"), ("+", change.new, "green")):
                for quote in quotes:
                    line = terminal(f'    {mark} {quote["file"]}: "{_short(quote["quote"], 90)}"')
                    lines.append(paint(line, tint, color=color))
    return "\n".join(lines) + "\n"


def _cell(text: object) -> str:
    return markdown_text(text)


def render_markdown(diff: Diff) -> str:
    """The diff as a pull-request comment: a summary and a table per section; citations and wording folded."""
    lines = [f"### Policy diff: {_cell(_title(diff))}", ""]
    if not diff.differs:
        return "\n".join([*lines, "No differences.", ""])
    lines += [f"**{_counts_line(diff)}**", ""]
    names = headings(diff)
    for section in SECTIONS:
        items = diff.section(section)
        if not items:
            continue
        heading = f"{names[section]} ({len(items)})"
        folded = section in ("citation", "wording")
        # A <details> line opens an HTML block, where Markdown escapes do not work: its heading is HTML-escaped.
        lines += [f"<details><summary>{html_text(heading)}</summary>", ""] if folded else [f"#### {_cell(heading)}", ""]
        if section == "citation":
            lines += ["| rule | | source | quote |", "| --- | --- | --- | --- |"]
            for change in items:
                for mark, quotes in (("dropped", change.old), ("added", change.new)):
                    for quote in quotes:
                        quoted = _cell(f'"{_short(quote["quote"], 120)}"')
                        rule = markdown_code(change.rule, table=True)
                        lines.append(f"| {rule} | {mark} | {_cell(quote['file'])} | {quoted} |")
        else:
            lines += ["| rule | change |", "| --- | --- |"]
            for change in items:
                lines.append(f"| {markdown_code(change.rule or 'calendar', table=True)} | {_cell(change.note)} |")
        lines += ["", "</details>", ""] if folded else [""]
    return "\n".join(lines)


def to_json(data: dict) -> str:
    """Stable JSON: sorted keys, indented, one trailing newline."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def render(diff: Diff, fmt: str, *, color: bool = False) -> str:
    """The diff in ``fmt``: ``text``, ``markdown`` or ``json``."""
    if fmt == "json":
        return to_json(diff.to_dict())
    if fmt == "markdown":
        return render_markdown(diff)
    return render_text(diff, color=color)
