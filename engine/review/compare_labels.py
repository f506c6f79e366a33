"""The row labels of `cpc compare`: each value a rule sets, in plain English, with "…" where each area's value goes.

A row is worded as `cpc render` words its rule on the procedure page, so that a reader finds the same sentence in
both; a row whose words alone do not say what the rule does is named by the rule's title. The model
(:mod:`compare`) labels each row it builds here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from engine.policy.resolve import ResolvedRule
from engine.policy.walk import CLOCK_LISTS, RelPath
from engine.review.rule_wording import clock_stops, deadline_limit, deadline_subject, exception_when
from engine.review.wording import condition as plain_condition
from engine.review.wording import conditions as plain_conditions
from engine.review.wording import event_words

# The row of an exception that disapplies its base: it sets no value, but says where the base does not apply.
DISAPPLIES: RelPath = ("disapplies",)


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
