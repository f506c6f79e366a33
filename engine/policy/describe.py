"""Plain-English one-liners for rules and conditions, shared by `cpc show`, `cpc eval --explain`, render and diff.

They name events and facts by their vocabulary codes (``strategy_discussion``, ``s47.no_conference``), for a
reader who writes policies; ``render`` has the words for a reader of the procedure.
"""

from __future__ import annotations

from collections.abc import Mapping

_OPS = {
    "equals": "is",
    "not_equals": "is not",
    "in": "is one of",
    "at_least": "is at least",
    "below": "is below",
}


def _join(items: list[str], word: str) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    if len(items) <= 2:
        return f" {word} ".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def condition(cond: Mapping) -> str:
    """``{fact: conference.child_age_years, at_least: 12}`` → ``conference.child_age_years is at least 12``."""
    if "any_of" in cond:
        listed = cond["any_of"] if isinstance(cond["any_of"], list) else []
        members = [condition(c) for c in listed if isinstance(c, Mapping)]
        return f"either {_join(members, 'or')}" if len(members) > 1 else "".join(members) or str(dict(cond))
    if "fact" in cond:
        return _fact(cond) + (", recorded by the due date" if cond.get("recorded_by") == "due" else "")
    if "event" in cond:
        return _event_condition(cond)
    if "elapsed" in cond:
        return f"at least {cond['elapsed']} since {cond.get('since')}"
    return str(dict(cond))


def _fact(cond: Mapping) -> str:
    for op, words in _OPS.items():
        if op in cond:
            value = cond[op]
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            return f"{cond['fact']} {words} {value}"
    if "present" in cond:
        return f"{cond['fact']} is {'known' if cond['present'] else 'unknown'}"
    return str(cond["fact"])


def _event_condition(cond: Mapping) -> str:
    event = cond["event"]
    if "within" in cond:
        text = f"{event} within {cond.get('within')} of {cond.get('of')}"
        if cond.get("boundary") == "exclusive":
            text += ", before its last day"
        return text
    since = f" since {cond['since']}" if cond.get("since") else ""
    if cond.get("happened") is False:
        return f"no {event} has happened{since}"
    return f"{event} has happened{since}"


def conditions(items: object) -> str:
    if not isinstance(items, list) or not items:
        return ""
    return " and ".join(condition(c) for c in items if isinstance(c, Mapping))


def events(what: object, word: str = "or") -> str:
    """``[review_conference, core_group_meeting]`` → ``review_conference or core_group_meeting``."""
    return _join([str(w) for w in what], word) if isinstance(what, list) else str(what)


def _optional_when(params: Mapping) -> str:
    """``; optional when s47.no_conference is true``, or nothing for a deadline without ``optional_when``."""
    optional = conditions(params.get("optional_when"))
    return f"; optional when {optional}" if optional else ""


def _until(params: Mapping) -> str:
    """``; the clock stops at plan_end``: the events that end the obligation before ``what`` is done."""
    until = params.get("until")
    return f"; the clock stops at {events(until)}" if until else ""


def _boundary(params: Mapping) -> str:
    """``, before the due date, not on it`` for an ``exclusive`` boundary; nothing for the default."""
    if params.get("boundary") != "exclusive":
        return ""
    if "not_before" in params:
        return ", after the earliest date, not on it"
    return ", before the due date, not on it"


def deadline(params: Mapping) -> str:
    """A deadline's parameters in one line: ``initial_conference within 15 working days of strategy_discussion``."""
    statutory = f" (statutory {params['statutory']})" if params.get("statutory") else ""
    what = events(params.get("what"))
    if "not_before" in params:
        text = f"{what} not before {params.get('not_before')} after {params.get('after')}"
    elif "before" in params:
        text = f"{what} at least {params.get('at_least')} before {params['before']}"
    else:
        text = f"{what} within {params.get('within')} of {params.get('of')}"
        for clock in params.get("whichever_sooner") or []:
            if isinstance(clock, Mapping):
                text += f", or within {clock.get('within')} of {clock.get('of')} if sooner"
        for clock in params.get("whichever_later") or []:
            if isinstance(clock, Mapping):
                text += f", or within {clock.get('within')} of {clock.get('of')} if later"
    return text + _boundary(params) + statutory + _until(params) + _optional_when(params)


def parameters(rule: Mapping) -> str:
    """What the rule requires, in one line; for an exception that disapplies its base, that it does not apply."""
    kind = rule.get("kind")
    if rule.get("disapplies"):
        return f"{rule.get('exception_of')} does not apply"
    params = rule.get(kind) if isinstance(rule.get(kind), Mapping) else {}
    if kind == "deadline":
        return deadline(params)
    if kind == "requirement":
        text = f"{params.get('applies_to', 'case')}: {conditions(params.get('require'))}"
        unless = conditions(params.get("unless"))
        return text + (f"; unless {unless}" if unless else "")
    if kind == "decision":
        return str(params.get("directs", ""))
    return ""


def exception(rule: Mapping, where: object) -> str:
    """An exception in one line, ``where`` being its own conditions (not those it shares with its base).

    ``exception to pre-birth-after-birth-meeting: where mother.medically_fit is false: <parameters>``, or for
    one that disapplies its base ``exception to X: the rule does not apply where …``.
    """
    base = rule.get("exception_of")
    own = conditions(where) or "its conditions hold"
    if rule.get("disapplies"):
        return f"exception to {base}: the rule does not apply where {own}"
    return f"exception to {base}: where {own}: {parameters(rule)}"
