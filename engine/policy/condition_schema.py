"""The JSON Schema of a condition: a test of a fact, of an event's timing, or of the time since an event.

A rule's ``when``, a requirement's ``require`` and ``unless`` and a deadline's ``optional_when`` are lists of
these. The form is chosen by the key that names it (``fact``, ``event``, ``elapsed``, ``any_of``), and each
known fact narrows the values its tests may compare against, from the vocabulary. Part of the policy schema
that :mod:`engine.policy.schema` assembles; the design choices are described there.
"""

from __future__ import annotations

from typing import Any

from engine.core.schema_parts import closed_enum, only_keys, ref
from engine.core.vocabulary import FACTS, Term

OPERATORS = ("equals", "not_equals", "in", "at_least", "below", "present")
FACT_KEYS = ("fact", *OPERATORS, "recorded_by")
EVENT_KEYS = ("event", "within", "of", "boundary", "happened", "since")
ELAPSED_KEYS = ("elapsed", "since")
ANY_KEYS = ("any_of",)
CONDITION_KEYS = tuple(dict.fromkeys(FACT_KEYS + EVENT_KEYS + ELAPSED_KEYS + ANY_KEYS))
BOUNDARY: dict[str, str] = {
    "inclusive": (
        "The boundary day counts (the default): an event on the due date is on time, one on the earliest date "
        "is not early."
    ),
    "exclusive": (
        "The boundary day does not count: an event must come before the due date, not on it, and after the "
        "earliest date, not on it."
    ),
}


def _value_schema(term: Term) -> dict[str, Any] | None:
    """The values a known fact can take, or None when its type gives no constraint."""
    match term.type:
        case "boolean":
            return {"type": "boolean"}
        case "integer":
            return {"type": "integer"}
        case "enum":
            return {"type": "string", "enum": list(term.values)}
        case "date":
            return {"$ref": "#/$defs/date"}
        case "string":
            return {"type": "string"}
    return None


def _value_words(term: Term) -> str:
    match term.type:
        case "boolean":
            return "true or false"
        case "integer":
            return "a whole number"
        case "enum":
            return "one of " + ", ".join(term.values)
        case "date":
            return "a date, YYYY-MM-DD"
        case "string":
            return "a text"
    return "a value"


def _fact_typing() -> list[dict[str, Any]]:
    """For each known fact, the values its tests may compare against.

    This lets an editor complete ``conference.type`` values and catches ``equals: "true"`` on a yes/no
    fact. Only integer facts can be tested with ``at_least``/``below``.
    """
    out = []
    for name, term in FACTS.items():
        value = _value_schema(term)
        if value is None:
            continue
        words = _value_words(term)
        props: dict[str, Any] = {
            "equals": {"description": f"`{name}` is {words}.", **value},
            "not_equals": {"description": f"`{name}` is {words}.", **value},
            "in": {
                "description": f"Values of `{name}`: each {words}.",
                "items": {"description": f"A value of `{name}`.", **value},
            },
        }
        then: dict[str, Any] = {"properties": props}
        if term.type != "integer":
            then["propertyNames"] = only_keys([k for k in FACT_KEYS if k not in ("at_least", "below")], FACT_KEYS)
        out.append(
            {
                "if": {"properties": {"fact": {"const": name}}, "required": ["fact"]},
                "then": then,
            }
        )
    return out


def _condition() -> dict[str, Any]:
    """One condition: a test of a fact, of an event's timing, or of the time since an event."""
    comparable = {"type": ["string", "number", "boolean"]}
    return {
        "title": "condition",
        "description": (
            "One test. Write one of: `{fact: F, equals: V}`, `{fact: F, not_equals: V}`, "
            "`{fact: F, in: [V, …]}`, `{fact: F, at_least: N}`, `{fact: F, below: N}`, "
            "`{fact: F, present: true}`, `{event: E}`, `{event: E, within: D, of: E2}`, "
            "`{event: E, happened: false}`, `{elapsed: D, since: E}` or `{any_of: [condition, …]}`."
        ),
        "type": "object",
        "properties": {
            "fact": ref(
                "fact",
                "The fact tested, e.g. `conference.child_age_years`. Give exactly one test with it: "
                "equals, not_equals, in, at_least, below or present.",
            ),
            "equals": {
                "description": "Holds when the fact has this value. Example: `equals: true`.",
                **comparable,
            },
            "not_equals": {
                "description": "Holds when the fact is known and differs from this value.",
                **comparable,
            },
            "in": {
                "description": "Holds when the fact is one of these values, e.g. `in: [initial, review]`.",
                "type": "array",
                "items": {"description": "One of the values the fact may have.", **comparable},
                "minItems": 1,
                "uniqueItems": True,
            },
            "at_least": {
                "description": "Holds when the fact, a number, is this or more. Example: `at_least: 12`.",
                "type": "number",
            },
            "below": {
                "description": "Holds when the fact, a number, is less than this. Example: `below: 18`.",
                "type": "number",
            },
            "present": {
                "description": "`true`: holds when the fact is known. `false`: holds when it is unknown.",
                "type": "boolean",
            },
            "recorded_by": {
                "description": (
                    "Only in a deadline's `optional_when`, on a dated fact: `due` holds only when the fact was "
                    "recorded on or before the clock's due date. Example: "
                    "`{fact: s47.no_conference, equals: true, recorded_by: due}`."
                ),
                "const": "due",
            },
            "event": ref(
                "event",
                "The event tested. Alone, holds when it has happened; with `within` and `of`, when it "
                "happened within that time after `of`. Example: `{event: amendment_request}`, "
                "`{event: significant_change, within: 3 months, of: plan_end}`.",
            ),
            "within": ref("duration", "With `event`: the most time after `of` in which `event` counts."),
            "of": ref("event", "With `event`: the event the time is counted from."),
            "boundary": closed_enum(
                BOUNDARY,
                "With `event` and `within`: `exclusive` when the event must come before the end of the time, "
                "not on its last day. Default `inclusive`.",
            ),
            "happened": {
                "description": (
                    "With `event`: `false` holds when the event has not happened by the evaluation date (with "
                    "`since`, not since that event's latest occurrence). Example: "
                    "`{event: strategy_meeting, happened: false, since: significant_change}`."
                ),
                "type": "boolean",
            },
            "elapsed": ref(
                "duration",
                "Holds when at least this much time has passed between `since` and the evaluation date. "
                "Example: `{elapsed: 3 months, since: plan_end}`.",
            ),
            "since": ref(
                "event",
                "With `elapsed`: the event the time is counted from. With `happened: false`: the event after "
                "whose latest occurrence `event` has not happened.",
            ),
            "any_of": {
                "description": (
                    'Holds when at least one of these conditions holds: the procedure\'s "or". Its members test '
                    "facts of one kind (the case, a conference, a report, an exclusion request) or events. "
                    "Example: `{any_of: [{fact: plan.ended_by, equals: manager}, {fact: plan.open, equals: "
                    "false}]}`."
                ),
                "type": "array",
                "items": {
                    "$ref": "#/$defs/condition",
                    "description": "A member of `any_of`: a condition, but not another `any_of`.",
                    "not": {
                        "description": "An `any_of` member cannot itself be an `any_of`: list all the members in one.",
                        "required": ["any_of"],
                    },
                },
                "minItems": 2,
            },
        },
        "additionalProperties": False,
        # The key that names the form decides which shape is checked, so an error names what is wrong
        # with the form the author was writing.
        "if": {"required": ["fact"]},
        "then": {
            "propertyNames": only_keys(FACT_KEYS, CONDITION_KEYS),
            # The fact and a test: the only other keys allowed here are tests (and `recorded_by`, which
            # qualifies a test and needs one beside it).
            "minProperties": 2,
            "if": {"required": ["recorded_by"]},
            "then": {"minProperties": 3},
            # And only one test: each test present refuses the others, by name. Counting properties
            # instead would also count an unknown key, which additionalProperties already reports.
            "dependentSchemas": {op: {"propertyNames": only_keys(("fact", op), OPERATORS)} for op in OPERATORS},
            "allOf": _fact_typing(),
        },
        "else": {
            "if": {"required": ["event"]},
            "then": {
                # `{event: E}` alone: E has happened; with `within` and `of`: it happened within D of E2;
                # with `happened: false`: it has not happened (since `since`).
                "required": ["event"],
                "dependentRequired": {
                    "within": ["of"],
                    "of": ["within"],
                    "boundary": ["within"],
                    "since": ["happened"],
                },
                "propertyNames": only_keys(EVENT_KEYS, CONDITION_KEYS),
                "dependentSchemas": {
                    "happened": {"propertyNames": only_keys(("event", "happened", "since"), CONDITION_KEYS)}
                },
            },
            "else": {
                "if": {"required": ["elapsed"]},
                "then": {
                    "required": list(ELAPSED_KEYS),
                    "propertyNames": only_keys(ELAPSED_KEYS, CONDITION_KEYS),
                },
                "else": {
                    "if": {"required": ["any_of"]},
                    "then": {"propertyNames": only_keys(ANY_KEYS, CONDITION_KEYS)},
                    "else": {
                        "anyOf": [
                            {"required": ["fact"]},
                            {"required": ["event"]},
                            {"required": ["elapsed"]},
                            {"required": ["any_of"]},
                        ],
                    },
                },
            },
        },
    }
