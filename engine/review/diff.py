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

The model is pure: two :class:`ResolvedPolicy` in, a :class:`Diff` out. This module compares the rules whole
and ties each change to its rule; :mod:`diff_values` judges durations, numbers and conditions, and
:mod:`diff_parameters` the parameters of each kind, citations, origin and wording. :mod:`diff_formats` prints
the diff as text, Markdown or JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from engine.policy import describe
from engine.policy.resolve import ResolvedPolicy, ResolvedRule
from engine.policy.show import TOPIC_ORDER, effective
from engine.review.diff_parameters import (
    _WORDING_KEYS,
    _citations,
    _deadline,
    _generic,
    _origin,
    _requirement,
    _short,
    _wording,
)
from engine.review.diff_values import (
    KINDS,
    Kind,
    Verdict,
    _as_set,
    _canonical,
    _condition_words,
    _conditions,
    _Part,
    _words,
)

#: The sections a change falls into, in the order a reviewer reads them.
SECTIONS = ("stricter", "looser", "overlaps", "changed", "added", "withdrawn", "origin", "citation", "wording")

#: The sections ``cpc diff --ignore`` may leave out: they record where a rule's words come from, not what it
#: requires, so a reviewer comparing two areas' substance may not want them.
IGNORABLE = {"wording": "wording", "citations": "citation", "origin": "origin"}


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
