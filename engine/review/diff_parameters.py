"""What changed in the parts of a rule both policies have: the parameters of each kind, citations, origin, wording.

A deadline's durations, events, clocks, boundary, ``until`` and ``optional_when`` each say which way they bind;
a requirement's ``require`` and ``unless`` are conditions (:mod:`diff_values`); any other key is compared with
no direction. Citations are matched by the file and the quote, wording by its words, white space aside.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.policy.resolve import ResolvedPolicy, ResolvedRule
from engine.policy.show import origin as origin_words
from engine.review.diff_values import (
    Direction,
    Verdict,
    _as_set,
    _canonical,
    _compare_values,
    _condition_words,
    _conditions,
    _Part,
    _words,
)

# Rule keys that are words about the rule, not what it requires.
_WORDING_KEYS = ("title", "reading", "topic")


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
