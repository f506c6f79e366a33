"""A rule in plain English: the sentence that states it, the parts of its time limit, and where it comes from.

``within 15 working days of the strategy discussion``; "When the child is not yet born, …"; "Exception to rule
X: where …"; ``england says 15 days, berkshire 15 working days``. Built from the words for events, facts and
conditions in :mod:`engine.review.wording`; the procedure document (:mod:`engine.review.render`) and the
comparison of areas (:mod:`engine.review.compare`) both state rules this way.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.policy import describe
from engine.policy.resolve import ResolvedRule
from engine.policy.show import origin
from engine.review.wording import _capital, _events_happen, _plain_name, _repeat, conditions, event_words

_APPLIES_TO = {
    "conference": "every conference",
    "plan": "every child protection plan",
    "cin_plan": "the child in need plan after step-down",
    "exclusion_request": "every request to exclude a parent",
}


def _origin_label(rule: ResolvedRule) -> str:
    if rule.origin == "local":
        return "Local"
    if rule.origin == "inherited":
        return "Inherited"
    changed = [k for k in rule.local_keys if k not in ("cite", "title", "reading")]
    return "Changed locally" if changed else "Restated locally"


def _origin_text(rule: ResolvedRule, area: str) -> str:
    said = origin(rule, area)
    if said == "local":
        return f"local: {area}'s own rule"
    if rule.origin == "inherited":
        return f"{said}: {area}'s text is silent, so the {rule.defined_in} rule applies"
    changes = [_change(rule, key, area) for key in sorted(rule.local_keys) if key in _COMPARABLE]
    changes = [c for c in changes if c]
    return f"{said} ({'; '.join(changes)})" if changes else said


# The changed values a reader can weigh side by side: time limits. Other changes are named by origin() alone.
_COMPARABLE = ("deadline.within", "deadline.at_least", "deadline.not_before")


def _change(rule: ResolvedRule, key: str, area: str) -> str:
    """``england says 15 days, berkshire 15 working days`` for a changed time limit; empty if not comparable."""
    if rule.base is None:
        return ""
    old, new = _lookup(rule.base.data, key), _lookup(rule.data, key)
    if not (isinstance(old, str) and isinstance(new, str)):
        return ""
    return f"{rule.defined_in} says {old}, {area} {new}"


def _lookup(data: Mapping, dotted: str) -> object:
    value: object = data
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def deadline_limit(params: Mapping) -> tuple[str, str, list[str], str]:
    """The time limit, what it is counted from, any other clocks, and whether the ``sooner`` or ``later`` applies.

    ``within 15 working days`` and ``the strategy discussion``; ``at least 2 working days before`` and
    ``the conference``; ``not before 3 months`` and ``the birth``; the other clocks as ``within 3 months of the
    pre-birth conference``.
    """
    if "not_before" in params:
        return f"not before {params.get('not_before')}", event_words(params.get("after")).noun, [], ""
    if "before" in params:
        amount = str(params.get("at_least", ""))
        before = event_words(params["before"]).noun
        if amount.split(" ")[0] == "0":
            return "on or before", before, [], ""
        return f"at least {amount} before", before, [], ""
    of = event_words(params.get("of")).noun
    if params.get("of") is not None and params.get("of") == params.get("what"):
        of = _repeat(of, "previous")
    which = "later" if params.get("whichever_later") else "sooner"
    clocks = [
        f"within {c.get('within')} of {event_words(c.get('of')).noun}"
        for c in params.get(f"whichever_{which}") or []
        if isinstance(c, Mapping)
    ]
    return f"within {params.get('within')}", of, clocks, which


def _boundary(params: Mapping) -> str:
    """``before the due date, not on it`` for an exclusive boundary; empty for the default."""
    if params.get("boundary") != "exclusive":
        return ""
    return "after the earliest date, not on it" if "not_before" in params else "before the due date, not on it"


def _deadline_phrase(params: Mapping) -> str:
    """``within 1 month of the birth, or within 3 months of the pre-birth conference, whichever is sooner``."""
    limit, relative_to, clocks, which = deadline_limit(params)
    if "not_before" in params:
        text = f"{limit} after {relative_to}"
    elif "before" in params:
        text = f"{limit} {relative_to}"
    else:
        text = f"{limit} of {relative_to}"
        if clocks:
            text += "".join(f", or {clock}" for clock in clocks) + f", whichever is {which}"
    if boundary := _boundary(params):
        text += f", {boundary}"
    return text


def deadline_subject(params: Mapping) -> str:
    """What a deadline asks to happen: ``the initial conference takes place``."""
    what = params.get("what")
    if what is not None and what == params.get("of"):
        event = event_words(what)
        return f"{_repeat(event.noun, 'next')} takes place" if not event.present else event.happens()
    return _events_happen(what)


def clock_stops(params: Mapping) -> str:
    """The events that stop the clock, as ``the plan ends or the child returns home``; empty without ``until``."""
    until = params.get("until")
    return _events_happen(until) if until else ""


def _deadline_statement(params: Mapping) -> str:
    """What must happen and when, without the rule's conditions: ``the initial conference takes place …``."""
    text = f"{deadline_subject(params)} {_deadline_phrase(params)}"
    if params.get("statutory") in ("maximum", "minimum"):
        text += f" (a statutory {params['statutory']})"
    return text


def _deadline_afterword(params: Mapping) -> str:
    """The sentences after the statement: when the event need not happen, and what stops the clock."""
    text = ""
    if params.get("optional"):
        text += " Nothing requires it to happen; when it does, this is the time limit."
    elif optional := conditions(params.get("optional_when")):
        text += f" It need not happen when {optional}; when it does, this is the time limit."
    if until := clock_stops(params):
        text += (
            f" The clock stops if {until} first: before the due date nothing more is required; after it, "
            "the time limit stays missed."
        )
    return text


def _deadline_sentence(rule: ResolvedRule) -> str:
    params = rule.parameters
    return _with_when(_deadline_statement(params), conditions(rule.data.get("when"))) + _deadline_afterword(params)


def _requirement_sentence(rule: ResolvedRule) -> str:
    params = rule.parameters
    required = conditions(params.get("require"))
    unless = conditions(params.get("unless"))
    text = required + (f", unless {unless}" if unless else "")
    when = conditions(rule.data.get("when"))
    if when:
        return _with_when(text, when)
    scope = _APPLIES_TO.get(str(params.get("applies_to")), f"every {_plain_name(params.get('applies_to'))}")
    return f"For {scope}, {text}."


def _with_when(text: str, when: str) -> str:
    """``When <when>, <text>.``; with the condition after the statement when it is itself a list."""
    if not when:
        return f"{_capital(text)}."
    if ";" in when:
        return f"{_capital(text)}. This applies when {when}."
    return f"When {when}, {text}."


def exception_when(rule: ResolvedRule) -> str:
    """An exception's own conditions in words (those it adds to its base's), or empty for a rule that is none."""
    if not rule.exception_of:
        return ""
    return conditions(list(rule.exception_when)) or "its conditions hold"


def _exception_sentence(rule: ResolvedRule) -> str:
    """``Exception to rule X: where <its own conditions>, <what it requires instead>.``"""
    base, where = rule.exception_of, exception_when(rule)
    if rule.data.get("disapplies"):
        return f"Exception to rule {base}: the rule does not apply where {where}."
    params = rule.parameters
    if rule.kind == "deadline":
        text = _deadline_statement(params)
        return f"Exception to rule {base}: where {where}, {text} instead.{_deadline_afterword(params)}"
    if rule.kind == "requirement":
        unless = conditions(params.get("unless"))
        text = conditions(params.get("require")) + (f", unless {unless}" if unless else "")
        return f"Exception to rule {base}: where {where}, {text} instead."
    directs = " ".join(str(params.get("directs", "")).split())
    return f"Exception to rule {base}: where {where}: {directs}"


def _requires(rule: ResolvedRule) -> str:
    if rule.exception_of:
        return _exception_sentence(rule)
    if rule.kind == "deadline":
        return _deadline_sentence(rule)
    if rule.kind == "requirement":
        return _requirement_sentence(rule)
    if rule.kind == "decision":
        return " ".join(str(rule.parameters.get("directs", "")).split())
    return describe.parameters(dict(rule.data))
