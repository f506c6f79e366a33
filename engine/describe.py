"""Plain-English one-liners for rules and conditions, shared by `cpc show`, render and diff."""

from __future__ import annotations

_OPS = {
    "equals": "is",
    "not_equals": "is not",
    "in": "is one of",
    "at_least": "is at least",
    "below": "is below",
}


def condition(cond: dict) -> str:
    """``{fact: conference.child_age_years, at_least: 12}`` → ``conference.child_age_years is at least 12``."""
    if "fact" in cond:
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
    if "event" in cond:
        return f"{cond['event']} within {cond.get('within')} of {cond.get('of')}"
    if "elapsed" in cond:
        return f"at least {cond['elapsed']} since {cond.get('since')}"
    return str(cond)


def conditions(items: object) -> str:
    if not isinstance(items, list) or not items:
        return ""
    return " and ".join(condition(c) for c in items if isinstance(c, dict))


def _events(what: object) -> str:
    return " or ".join(what) if isinstance(what, list) else str(what)


def _optional_when(params: dict) -> str:
    """``; optional when s47.no_conference is true``, or nothing for a deadline without ``optional_when``."""
    optional = conditions(params.get("optional_when"))
    return f"; optional when {optional}" if optional else ""


def parameters(rule: dict) -> str:
    """What the rule requires, in one line."""
    kind = rule.get("kind")
    params = rule.get(kind) if isinstance(rule.get(kind), dict) else {}
    if kind == "deadline":
        statutory = f" (statutory {params['statutory']})" if params.get("statutory") else ""
        if "before" in params:
            return (
                f"{_events(params.get('what'))} at least {params.get('at_least')} before {params['before']}{statutory}"
                + _optional_when(params)
            )
        text = f"{_events(params.get('what'))} within {params.get('within')} of {params.get('of')}"
        for clock in params.get("whichever_sooner") or []:
            text += f", or within {clock.get('within')} of {clock.get('of')} if sooner"
        return text + statutory + _optional_when(params)
    if kind == "requirement":
        text = f"{params.get('applies_to', 'case')}: {conditions(params.get('require'))}"
        unless = conditions(params.get("unless"))
        return text + (f"; unless {unless}" if unless else "")
    if kind == "decision":
        return str(params.get("directs", ""))
    return ""
