"""Whether a duration, a number or a condition inside a rule binds harder in the new policy, or less.

A change found inside a rule is a :class:`_Part` of a :data:`Kind` with a :data:`Verdict`; :mod:`diff` ties it
to its rule. A value's :data:`Direction` says which way it binds harder; a list of conditions' polarity says
what a condition harder to hold does to its rule. Conditions are matched by what they are about, never by
position, and two that mean the same (a duration in other units, a default written out) are one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from engine.core.durations import Duration, DurationError, Unit, compare_strictness, parse_duration
from engine.policy import describe

KINDS = ("rule", "value", "condition", "parameter", "calendar", "origin", "citation", "wording")
Kind = Literal["rule", "value", "condition", "parameter", "calendar", "origin", "citation", "wording"]
Verdict = Literal["added", "withdrawn", "stricter", "looser", "overlaps", "changed"]


@dataclass(slots=True)
class _Part:
    """A change found inside a rule, before it is tied to the rule."""

    kind: Kind
    verdict: Verdict
    path: str
    old: object
    new: object
    note: str


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


def _as_set(value: object) -> set[str] | None:
    if isinstance(value, str):
        return {value}
    if isinstance(value, list) and all(isinstance(v, str | int | bool) for v in value):
        return {json.dumps(v) if not isinstance(v, str) else v for v in value}
    return None


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
