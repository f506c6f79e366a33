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
  (stricter), while the first such conditions make it optional somewhere (looser).

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

from . import describe
from .durations import Duration, DurationError, Unit, compare_strictness, parse_duration
from .resolve import ResolvedPolicy, ResolvedRule
from .show import TOPIC_ORDER
from .show import origin as origin_words

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
_RULE_KEYS = ("id", "kind", "when", "cite", *_WORDING_KEYS)


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
            changes.append(_whole_rule(b, "added", new, old))
        elif b is None and a is not None:
            changes.append(_whole_rule(a, "withdrawn", old, new))
        elif a is not None and b is not None:
            changes.extend(_rule_changes(a, b, old, new))
    changes.extend(_calendar_changes(old.calendar, new.calendar))
    order = {t: i for i, t in enumerate(TOPIC_ORDER)}
    changes.sort(key=lambda c: (order.get(c.topic, len(order)), c.topic, c.rule, _KIND_ORDER[c.kind], c.path))
    return Diff(Side.of(old, old_label), Side.of(new, new_label), tuple(changes))


_KIND_ORDER = {k: i for i, k in enumerate(KINDS)}


# --- Whole rules ------------------------------------------------------------------------------------------


def _summary(rule: ResolvedRule) -> str:
    """A rule in one line: its kind, its conditions and what it requires (a decision by its action's slug)."""
    data = dict(rule.data)
    conditions = data.get("when") if isinstance(data.get("when"), list) else []
    when = " and ".join(_condition_words(c) for c in conditions if isinstance(c, dict))
    does = describe.parameters(data) if rule.kind != "decision" else f"→ {rule.parameters.get('action', '')}"
    return f"[{rule.kind}, {_topic(rule)}] " + (f"when {when}: " if when else "") + does


def _whole_rule(rule: ResolvedRule, verdict: Verdict, mine: ResolvedPolicy, other: ResolvedPolicy) -> Change:
    """A rule only ``mine`` has; ``other``, the policy without it, may say why in its ``withdrawn`` list."""
    summary = _summary(rule)
    note = summary + (f" (from {rule.defined_in})" if rule.defined_in != mine.area else "")
    withdrawal = other.withdrawn.get(rule.id)
    if withdrawal is not None:
        who = f"{withdrawal.area} withdraws it" if verdict == "withdrawn" else f"{withdrawal.area} had withdrawn it"
        note += f"; {who}" + (f": {withdrawal.reason}" if withdrawal.reason else "")
    old, new = (summary, None) if verdict == "withdrawn" else (None, summary)
    return Change(rule.id, _topic(rule), "rule", verdict, "", old, new, note)


def _topic(rule: ResolvedRule) -> str:
    return str(rule.data.get("topic", "other"))


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
    else:
        kind = str(da.get("kind", ""))
        pa, pb = da.get(kind), db.get(kind)
        if kind == "deadline":
            parts.extend(_deadline(_mapping(pa), _mapping(pb)))
        elif kind == "requirement":
            parts.extend(_requirement(_mapping(pa), _mapping(pb)))
        else:
            parts.extend(_generic(_mapping(pa), _mapping(pb), kind))
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


def _deadline(a: dict, b: dict) -> Iterator[_Part]:
    for key in ("within", "at_least"):
        if key in a and key in b:
            # ``within`` is a maximum; ``at_least`` before an event is a minimum notice.
            direction: Direction = "lower" if key == "within" else "higher"
            part = _compare_values(
                f"deadline.{key}", a[key], b[key], direction, _MAXIMUM if key == "within" else _NOTICE
            )
            if part is not None:
                yield part
        elif key in a or key in b:
            yield _added_or_dropped(f"deadline.{key}", a.get(key), b.get(key))
    yield from _what(a.get("what"), b.get("what"))
    yield from _clocks(a.get("whichever_sooner"), b.get("whichever_sooner"))
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
    rest = {"within", "at_least", "what", "whichever_sooner", "optional", "optional_when"}
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


def _clocks(old: object, new: object) -> Iterator[_Part]:
    """``whichever_sooner`` clocks, matched by the event they count from."""
    a, b = _by_of(old), _by_of(new)
    if a is None or b is None:
        if _canonical(old) != _canonical(new):
            yield _Part(
                "parameter",
                "changed",
                "deadline.whichever_sooner",
                old,
                new,
                f"deadline.whichever_sooner: {_words(old)} → {_words(new)}",
            )
        return
    for of in sorted(a.keys() | b.keys()):
        path = f"deadline.whichever_sooner[of={of}]"
        if of in a and of in b:
            part = _compare_values(f"{path}.within", a[of], b[of], "lower", _MAXIMUM)
            if part is not None:
                yield part
        elif of in b:
            # The earliest of the clocks binds, so another clock can only bring the due date forward.
            yield _Part(
                "parameter",
                "stricter",
                path,
                None,
                f"within {b[of]} of {of}",
                f"{path}: adds a clock, within {b[of]} of {of} if sooner",
            )
        else:
            yield _Part(
                "parameter",
                "looser",
                path,
                f"within {a[of]} of {of}",
                None,
                f"{path}: drops the clock within {a[of]} of {of}",
            )


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
        return ("event", str(condition["event"]), str(condition.get("of")))
    if "elapsed" in condition:
        return ("elapsed", str(condition.get("since")))
    return ("other", _canonical(condition))


def _canonical(value: object) -> str:
    """A form in which two values that mean the same are equal: lists of names as sets, durations parsed."""

    def norm(v: object, key: str = "") -> object:
        if isinstance(v, dict):
            return {k: norm(x, k) for k, x in v.items()}
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
    # describe.condition reads every event condition as timed; a bare {event: E} only asks that E happened.
    if "event" in condition and "within" not in condition:
        return f"{condition['event']} has happened"
    return describe.condition(condition)


def _key_words(key: tuple) -> str:
    if key[0] == "fact":
        return f"{key[1]} {key[2]}".strip()
    if key[0] == "event":
        return f"{key[1]} of {key[2]}"
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
    if not diff.differs:
        return f"{_title(diff)}: no differences\n"
    lines = [paint(_title(diff), "bold", color=color), _counts_line(diff)]
    names = headings(diff)
    for section in SECTIONS:
        items = diff.section(section)
        if not items:
            continue
        style = ("bold", _SECTION_COLOR[section]) if section in _SECTION_COLOR else ("bold",)
        lines += ["", paint(f"{names[section]} ({len(items)})", *style, color=color)]
        for change in items:
            rule = change.rule or "calendar"
            if change.kind != "citation":
                lines.append(f"  {rule}: {change.note}")
                continue
            lines.append(f"  {rule}: {change.note.removeprefix('cite: ')}")
            for mark, quotes, tint in (("-", change.old, "red"), ("+", change.new, "green")):
                for quote in quotes:
                    line = f'    {mark} {quote["file"]}: "{_short(quote["quote"], 90)}"'
                    lines.append(paint(line, tint, color=color))
    return "\n".join(lines) + "\n"


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


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
        lines += [f"<details><summary>{heading}</summary>", ""] if folded else [f"#### {heading}", ""]
        if section == "citation":
            lines += ["| rule | | source | quote |", "| --- | --- | --- | --- |"]
            for change in items:
                for mark, quotes in (("dropped", change.old), ("added", change.new)):
                    for quote in quotes:
                        quoted = _cell(f'"{_short(quote["quote"], 120)}"')
                        lines.append(f"| `{change.rule}` | {mark} | {_cell(quote['file'])} | {quoted} |")
        else:
            lines += ["| rule | change |", "| --- | --- |"]
            for change in items:
                lines.append(f"| `{change.rule or 'calendar'}` | {_cell(change.note)} |")
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
