"""The JSON Schema of a policy document, built from the vocabulary so there is one list of names.

``schemas/policy.schema.json`` is generated from :func:`build_policy_schema`; regenerate it with
``python -m engine.policy.schema`` whenever the vocabulary or this module changes (a test fails until
you do). The schema serves two readers: an editor with the YAML language server, which completes keys
and shows each description on hover, and validators (jsonschema, check-jsonschema), which must accept
exactly what docs/policy-format.md describes.

Design choices, because they shape every error an author sees:

* Every key an object may hold is declared once in its ``properties``, with a description, and
  ``additionalProperties: false`` rejects the rest. The YAML language server follows draft 7 and ignores
  ``unevaluatedProperties``, so keys declared only inside ``then`` would be invisible to it.
* Variants (a rule's ``kind``, a deadline's ``within``/``at_least`` form, a condition's form) are chosen
  by ``if``/``then`` on a discriminating key rather than by ``oneOf``: a ``oneOf`` failure reports every
  alternative, while ``then`` reports the one thing wrong with the variant the author was writing.
  Keys that belong to another variant are refused by a ``propertyNames`` list of the variant's keys,
  which only looks at known keys so that an unknown key is reported once, by ``additionalProperties``.
* Event and fact names are a known list *or* any well-formed name: editors complete the known ones, and
  an unknown one is left to ``cpc lint``, which says which known name was probably meant.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.core.durations import Unit
from engine.core.schema_parts import NOT_BLANK, closed_enum, known_names, only_keys, ref, render, text, write_schema
from engine.core.vocabulary import EVENTS, FACTS, Term

SCHEMA_ID = "https://cpc.example/schemas/policy.schema.json"
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "policy.schema.json"
REGENERATE = "python -m engine.policy.schema"

SLUG_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
NAME_PATTERN = r"^[a-z][a-z0-9_.]*$"
ACTION_PATTERN = r"^[a-z][a-z0-9_]*$"
# [0-9] rather than \d: Python's \d also matches other scripts' digits, ECMA's does not.
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _duration_pattern() -> str:
    """The canonical duration spelling: a whole number, one space, a lower-case unit.

    The singular is for an amount of one (``1 working day``); ``15 working day`` is refused, as
    :func:`engine.core.durations.parse_duration` refuses it. Units come from :class:`Unit`, so a unit added
    there is accepted here after regeneration.
    """
    singular = "|".join(u.singular for u in Unit)
    plural = "|".join(u.value for u in Unit)
    # The plural takes any amount but 1 (written without leading zeros, as procedures write numbers).
    return f"^(1 ({singular})|(0|[2-9]|[1-9][0-9]{{1,3}}) ({plural}))$"


DURATION_PATTERN = _duration_pattern()

KINDS: dict[str, str] = {
    "deadline": "An event must happen within a time after another event, or at least a time before it.",
    "requirement": "A condition a conference, plan or exclusion request must satisfy.",
    "decision": "What the procedure directs when the rule's `when` conditions hold.",
}
TOPICS: dict[str, str] = {
    "conference-types": "Which conference is held, and when one is needed at all.",
    "timescales": "How soon conferences, reports and meetings must happen.",
    "attendance": "Who is invited, who attends, and the child's and parents' part.",
    "quorum": "Which agencies must be present for a conference to go ahead.",
    "exclusion": "Excluding a parent or other person from a conference.",
    "reports": "Reports to the conference: who writes them, when they are shared.",
    "records": "The conference record, its circulation and amendments.",
    "plans": "The child protection plan and the core group.",
    "step-down": "Ending the plan and what follows it, such as a child in need plan.",
}
APPLIES_TO: dict[str, str] = {
    "conference": "Each child protection conference.",
    "plan": "The child protection plan.",
    "cin_plan": "The child in need plan that follows a child protection plan.",
    "exclusion_request": "Each request to exclude a parent from a conference.",
}
STATUTORY: dict[str, str] = {
    "maximum": "The time is a statutory maximum: a local override may shorten it but never lengthen it.",
    "minimum": "The time is a statutory minimum: a local override may lengthen it but never shorten it.",
}
NON_WORKING_DAY: dict[str, str] = {
    "keep": "The due date stays where it falls (the default, and what the procedures' words say).",
    "next_working_day": "The due date moves forward to the next working day.",
    "previous_working_day": "The due date moves back to the previous working day.",
}
BANK_HOLIDAYS: dict[str, str] = {
    "england-and-wales": "Bank holidays in England and Wales.",
}

RULE_COMMON = ("id", "title", "kind", "topic", "when", "cite", "reading", "exception_of", "disapplies")
WITHIN_KEYS = (
    "what",
    "within",
    "of",
    "whichever_sooner",
    "whichever_later",
    "statutory",
    "optional",
    "optional_when",
    "boundary",
    "until",
)
BEFORE_KEYS = ("what", "at_least", "before", "statutory", "optional", "optional_when", "boundary", "until")
NOT_BEFORE_KEYS = ("what", "not_before", "after", "statutory", "boundary")
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
SOURCE_KINDS: dict[str, str] = {
    "statutory": "Statutory guidance or legislation: it can make a time limit statutory.",
    "local_procedure": "A local safeguarding partnership's procedure.",
    "advice": "An advice or background page: national context, not a rule.",
}


def _names(terms: dict[str, Term], noun: str, pattern_note: str) -> dict[str, Any]:
    """A known name from the vocabulary, or any well-formed name left for ``cpc lint`` to judge."""
    return {
        "title": noun,
        "description": (
            f"The name of {pattern_note}, from the vocabulary in engine/core/vocabulary.py. Editors offer the "
            f"known names; `cpc lint` reports any other name with the nearest known one."
        ),
        "anyOf": [
            known_names(terms, f"A known {noun}."),
            {
                "description": f"Another {noun} name (lower case, digits, `_`, `.`), checked by `cpc lint`.",
                "type": "string",
                "pattern": NAME_PATTERN,
            },
        ],
    }


def _one_or_many(title: str, item: str, description: str, *, unique: bool) -> dict[str, Any]:
    """One ``item`` or a non-empty list of them.

    ``if``/``else`` on the type rather than ``anyOf``: the error then comes from the shape written.
    """
    many: dict[str, Any] = {"items": {"$ref": f"#/$defs/{item}"}, "minItems": 1}
    if unique:
        many["uniqueItems"] = True
    return {
        "title": title,
        "description": description,
        "if": {"type": "array"},
        "then": many,
        "else": {"$ref": f"#/$defs/{item}"},
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


def _deadline(*, partial: bool) -> dict[str, Any]:
    """A deadline's parameters; ``partial`` for an override, where each key given replaces one key."""
    declared = tuple(dict.fromkeys(WITHIN_KEYS + BEFORE_KEYS + NOT_BEFORE_KEYS))
    schema: dict[str, Any] = {
        "title": "deadline change" if partial else "deadline",
        "description": (
            "The keys of the base rule's deadline to replace; keys not given are inherited."
            if partial
            else "`what` within a time of `of`, `what` at least a time before `before`, or `what` not before a "
            "time after `after`."
        ),
        "type": "object",
        "properties": {
            "what": ref(
                "events",
                "The event that must happen, or a list of events any of which satisfies the deadline. "
                "Example: `what: initial_conference`.",
            ),
            "within": ref(
                "duration",
                "The most time allowed after `of`. The due date is the last day of it, and an event on the "
                "due date is on time. Example: `within: 15 working days`.",
            ),
            "of": ref(
                "event",
                "The event that starts the clock, each time it happens. Example: `of: strategy_discussion`.",
            ),
            "whichever_sooner": {
                "description": (
                    "Other limits on the same event; the earliest due date applies. Example, for "
                    '"within one month of the birth or three months of the pre-birth conference, whichever '
                    'is sooner": `whichever_sooner: [{within: 3 months, of: pre_birth_conference}]`.'
                ),
                "type": "array",
                "items": {"$ref": "#/$defs/sooner_limit"},
                "minItems": 1,
            },
            "whichever_later": {
                "description": (
                    "Other limits on the same event; the latest due date among the clocks the case records "
                    "applies. Example, for a conference due 15 working days from notification and 15 working "
                    "days from formal acceptance: `whichever_later: [{within: 15 working days, of: "
                    "transfer_accepted}]`. Not with `whichever_sooner`."
                ),
                "type": "array",
                "items": {"$ref": "#/$defs/later_limit"},
                "minItems": 1,
            },
            "not_before": ref(
                "duration",
                "A lower bound: the least time after `after` before which `what` must not happen. Judged once "
                "`what` has happened; too early is `breached`. Example: `not_before: 3 months`.",
            ),
            "after": ref("event", "With `not_before`: the event the least time is counted from."),
            "boundary": closed_enum(
                BOUNDARY,
                "Whether the boundary day counts: `inclusive` (the default) or `exclusive`.",
            ),
            "until": ref(
                "events",
                "Events that stop the clock once they happen before `what` is done: before the due date there "
                "is then nothing to report; after it, the deadline is missed and can no longer be met. "
                "Example: `until: plan_end`.",
            ),
            "at_least": ref(
                "duration",
                "The least time the event must come before `before`. Example: `at_least: 2 working days`.",
            ),
            "before": ref("event", "The event the time is counted back from, e.g. `before: conference`."),
            "optional": {
                "description": (
                    "`true` when `what` need not happen at all, but must be in time if it does (a request "
                    "to exclude a parent, a request to amend the record). Without it, `what` not happening "
                    "by the due date is overdue."
                ),
                "type": "boolean",
            },
            "optional_when": ref(
                "fact_conditions",
                "Conditions on facts under which `what` need not happen, all of which must hold on the "
                "evaluation date; when it does happen it must still be in time. Example, for a conference "
                "the team manager decided not to call: `- {fact: s47.no_conference, equals: true}`.",
                minItems=1,
            ),
            "statutory": closed_enum(
                STATUTORY,
                "Optional. `maximum` on a `within` deadline: a local override may shorten it but never "
                "lengthen it. `minimum` on an `at_least` or `not_before` deadline: it may be lengthened, never "
                "shortened. Only a rule citing a source of `kind: statutory` should say so.",
            ),
        },
        "additionalProperties": False,
    }
    within_then: dict[str, Any] = {
        "propertyNames": only_keys(WITHIN_KEYS, declared),
        "properties": {
            "statutory": {
                "description": "A `within` deadline can only be a statutory maximum.",
                "const": "maximum",
            }
        },
        "dependentSchemas": {
            "whichever_later": {
                "properties": {
                    "whichever_sooner": {
                        "description": "Give `whichever_sooner` or `whichever_later`, not both.",
                        "not": {},
                    }
                }
            }
        },
    }
    before_then: dict[str, Any] = {
        "propertyNames": only_keys(BEFORE_KEYS, declared),
        "properties": {
            "statutory": {
                "description": "An `at_least` deadline can only be a statutory minimum.",
                "const": "minimum",
            }
        },
    }
    not_before_then: dict[str, Any] = {
        "propertyNames": only_keys(NOT_BEFORE_KEYS, declared),
        "properties": {
            "statutory": {
                "description": "A `not_before` deadline can only be a statutory minimum.",
                "const": "minimum",
            }
        },
    }
    if partial:
        # An override may change a single key, so no form is required; keys of different forms still
        # cannot be mixed in one mapping.
        schema["if"] = {
            "anyOf": [{"required": [key]} for key in ("within", "of", "whichever_sooner", "whichever_later")]
        }
        schema["then"] = within_then
        schema["else"] = {
            "if": {"anyOf": [{"required": ["at_least"]}, {"required": ["before"]}]},
            "then": before_then,
            "else": {
                "if": {"anyOf": [{"required": ["not_before"]}, {"required": ["after"]}]},
                "then": not_before_then,
            },
        }
        schema["minProperties"] = 1
    else:
        schema["if"] = {"required": ["within"]}
        schema["then"] = {"required": ["what", "within", "of"], **within_then}
        schema["else"] = {
            "if": {"required": ["at_least"]},
            "then": {"required": ["what", "at_least", "before"], **before_then},
            "else": {
                "if": {"required": ["not_before"]},
                "then": {"required": ["what", "not_before", "after"], **not_before_then},
                "else": {"anyOf": [{"required": ["within"]}, {"required": ["at_least"]}, {"required": ["not_before"]}]},
            },
        }
    return schema


def _requirement(*, partial: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "title": "requirement change" if partial else "requirement",
        "description": (
            "The keys of the base rule's requirement to replace; keys not given are inherited."
            if partial
            else "What must hold, of what, and when failing it is permitted."
        ),
        "type": "object",
        "properties": {
            "applies_to": closed_enum(
                APPLIES_TO,
                "What the requirement is checked against: `conference`, `plan`, `cin_plan` or `exclusion_request`.",
            ),
            "require": ref(
                "conditions",
                "Conditions that must all hold, or the requirement is breached. Example: "
                "`- {fact: conference.social_care_present, equals: true}`.",
                minItems=1,
            ),
            "unless": ref(
                "conditions",
                "Optional. When all of these hold, failing the requirement is permitted. Example: "
                "`- {fact: conference.proceeded_inquorate, equals: true}`.",
            ),
        },
        "additionalProperties": False,
    }
    if partial:
        schema["minProperties"] = 1
    else:
        schema["required"] = ["applies_to", "require"]
    return schema


def _decision(*, partial: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "title": "decision change" if partial else "decision",
        "description": (
            "The keys of the base rule's decision to replace; keys not given are inherited."
            if partial
            else "What the procedure directs when the rule's `when` conditions hold."
        ),
        "type": "object",
        "properties": {
            "action": {
                "description": (
                    "A stable slug for software to act on: lower case words joined by `_`. Example: `offer_attendance`."
                ),
                "type": "string",
                "pattern": ACTION_PATTERN,
                "examples": ["offer_attendance"],
            },
            "directs": text(
                "What the procedure directs, in one plain sentence. Example: The child should be offered "
                "the chance to attend the conference."
            ),
        },
        "additionalProperties": False,
    }
    if partial:
        schema["minProperties"] = 1
    else:
        schema["required"] = ["action", "directs"]
    return schema


def _rule_properties(*, override: bool) -> dict[str, Any]:
    """The keys of a rule; an override takes the same keys but changes some and cannot change ``kind``."""
    change = "Replaces the base rule's value. " if override else ""
    props: dict[str, Any] = {
        "id": {
            "description": (
                "The id of the inherited rule to change, as the base policy gives it."
                if override
                else "A stable id, lower case with hyphens, e.g. `icpc-timescale`. Never reuse an id for a "
                "different rule, and never reuse one the base policy already has."
            ),
            "$ref": "#/$defs/id",
        },
        "title": text(change + "One plain-English sentence: what the rule says."),
        "kind": closed_enum(
            KINDS,
            "`deadline`, `requirement` or `decision`; the rule then needs the mapping of the same name.",
        ),
        "topic": closed_enum(TOPICS, change + "Where the rule sits in the procedure."),
        "when": ref(
            "conditions",
            change + "Conditions under which the rule applies; all must hold. Leave out if it always "
            "applies. Example: `- {fact: conference.child_age_years, at_least: 12}`.",
        ),
        "deadline": ref(
            "deadline_change" if override else "deadline",
            "Only the deadline keys to change; each replaces the base's key of that name."
            if override
            else "The deadline's parameters; required when `kind: deadline`.",
        ),
        "requirement": ref(
            "requirement_change" if override else "requirement",
            "Only the requirement keys to change; each replaces the base's key of that name."
            if override
            else "The requirement's parameters; required when `kind: requirement`.",
        ),
        "decision": ref(
            "decision_change" if override else "decision",
            "Only the decision keys to change; each replaces the base's key of that name."
            if override
            else "The decision's parameters; required when `kind: decision`.",
        ),
        "cite": ref(
            "cite",
            "The local text that says so: a citation or a list of them."
            if override
            else "Where the procedure says this: a citation (`source` and `quote`) or a list of them.",
        ),
        "reading": text(
            change + "How an ambiguous sentence was read, in plain words. Review requires it wherever the "
            "text is ambiguous."
        ),
        "exception_of": ref(
            "id",
            "Makes this rule an exception to another (the base, here or inherited): where all of this rule's "
            "`when` conditions hold, its parameters replace the base's; where one does not hold or is not "
            "recorded, the base applies. Give the whole parameter block, of the base's kind, or "
            "`disapplies: true`. Example: `exception_of: pre-birth-after-birth-meeting`.",
        ),
        "disapplies": {
            "description": (
                "With `exception_of`: where this rule's `when` conditions hold, the base rule does not apply at "
                'all (the text\'s "unless" or "except where"). No parameter block is then given.'
            ),
            "const": True,
        },
    }
    if override:
        del props["kind"]
        del props["exception_of"]
        del props["disapplies"]
    return props


def _rule() -> dict[str, Any]:
    declared = RULE_COMMON + tuple(KINDS)

    def kind_branch(kind: str) -> dict[str, Any]:
        return {
            "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
            "then": {
                # An exception that disapplies its base has no parameters of its own.
                "if": {"required": ["disapplies"]},
                "then": {"propertyNames": only_keys(RULE_COMMON, declared)},
                "else": {"required": [kind], "propertyNames": only_keys((*RULE_COMMON, kind), declared)},
            },
        }

    return {
        "title": "rule",
        "description": (
            "A rule this policy adds: a deadline, requirement or decision, with its citation; or, with "
            "`exception_of`, an exception to another rule."
        ),
        "type": "object",
        "properties": _rule_properties(override=False),
        "required": ["id", "title", "kind", "topic", "cite"],
        "dependentRequired": {"exception_of": ["when"], "disapplies": ["exception_of"]},
        # An exception applies only where its own conditions hold: with none it would replace its base everywhere.
        "dependentSchemas": {
            "exception_of": {
                "properties": {"when": {"description": "An exception's conditions: at least one.", "minItems": 1}}
            }
        },
        "additionalProperties": False,
        "allOf": [kind_branch(kind) for kind in KINDS],
    }


def _override() -> dict[str, Any]:
    return {
        "title": "override",
        "description": (
            "A change to an inherited rule: its `id`, the keys to change, and a `cite` for the local text "
            "that says so. The rule's `kind` cannot change."
        ),
        "type": "object",
        "properties": _rule_properties(override=True),
        "required": ["id", "cite"],
        # Besides id and cite, at least one key that changes something. Checked only once cite is there,
        # so that a missing cite is reported as that alone.
        "if": {"required": ["cite"]},
        "then": {"minProperties": 3},
        "additionalProperties": False,
    }


def _calendar() -> dict[str, Any]:
    return {
        "title": "calendar",
        "description": (
            "Working-day settings. A local policy inherits its base's calendar and may change any key of it."
        ),
        "type": "object",
        "properties": {
            "bank_holidays": closed_enum(
                BANK_HOLIDAYS, "The bank holidays that are not working days: `england-and-wales`."
            ),
            "closure_days": {
                "description": (
                    "Local closure days, counted as non-working days. Example: `[2025-12-29, 2025-12-30]`."
                ),
                "type": "array",
                "items": {"$ref": "#/$defs/date"},
                "uniqueItems": True,
            },
            "deadline_on_non_working_day": closed_enum(
                NON_WORKING_DAY,
                "When a due date counted in calendar days, weeks, months or hours lands on a weekend, bank "
                "holiday or closure day: `keep` it (the default), or move it to the `next_working_day` or "
                "`previous_working_day`. Due dates counted in working days are always working days.",
            ),
        },
        "additionalProperties": False,
    }


def build_policy_schema() -> dict[str, Any]:
    """The draft 2020-12 JSON Schema of a policy document (docs/policy-format.md)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "cpc policy",
        "description": (
            "One version of an area's Child Protection Conference procedure, as rules with citations. "
            "See docs/policy-format.md."
        ),
        "type": "object",
        "properties": {
            "area": ref(
                "slug",
                "The area's slug: lower case with hyphens, the folder name under policies/. Example: `berkshire`.",
            ),
            "title": text("The procedure's title as its readers know it. Example: Child Protection Conferences."),
            "name": text(
                "Optional. The area's short name, for column headings and page headers where the title is too "
                "long. Example: Pan-Berkshire. Without it, the area's slug is used."
            ),
            "publication": {
                "description": (
                    "Optional. Who publishes the procedure page `cpc render` makes, and when it is next reviewed."
                ),
                "type": "object",
                "properties": {
                    "owner": text("Who owns the procedure. Example: Pan-Berkshire Safeguarding Children Partnership."),
                    "contact": text("Where readers send questions. Example: procedures@example.gov.uk."),
                    "review_by": ref("date", "The date the procedure is next due for review, YYYY-MM-DD."),
                },
                "additionalProperties": False,
                "minProperties": 1,
            },
            "version": {
                "description": (
                    'The version of the procedure this document encodes, as a string: quote it ("1.4") '
                    'so YAML does not read a number. Examples: "v97", "1.4".'
                ),
                "type": "string",
                "minLength": 1,
                "pattern": NOT_BLANK,
                "examples": ["v97", "1.4"],
            },
            "effective_from": ref("date", "The date this version is in force from, YYYY-MM-DD. Example: `2025-04-01`."),
            "extends": ref(
                "slug",
                "The area whose policy this one builds on: `england` for every local area. Leave out for the "
                "national baseline.",
                examples=["england"],
            ),
            "sources": {
                "description": (
                    "The documents the policy encodes, keyed by a short id that citations use, lower case "
                    "with hyphens. Example: `berkshire-cpc: {title: …, file: 004_60b6.txt}`."
                ),
                "type": "object",
                "propertyNames": {"pattern": SLUG_PATTERN},
                "additionalProperties": ref("source", "A document the policy encodes: its title and file."),
                "minProperties": 1,
            },
            "calendar": ref("calendar", "Optional working-day settings: bank holidays, closure days."),
            "rules": {
                "description": ("Rules this policy adds. A rule id must not already exist in the policy it extends."),
                "type": "array",
                "items": {"$ref": "#/$defs/rule"},
            },
            "overrides": {
                "description": "Changes to rules inherited from the base policy, each by the rule's id.",
                "type": "array",
                "items": {"$ref": "#/$defs/override"},
            },
            "withdrawn": {
                "description": (
                    "Inherited rules that do not apply in this area, each by id with the reason, which is "
                    "shown wherever the rule would have been."
                ),
                "type": "array",
                "items": {"$ref": "#/$defs/withdrawal"},
            },
        },
        "required": ["area", "title", "version", "effective_from", "sources"],
        "additionalProperties": False,
        "$defs": {
            "id": {
                "title": "id",
                "description": "A rule id: lower case letters and digits, words joined by hyphens.",
                "type": "string",
                "pattern": SLUG_PATTERN,
                "examples": ["icpc-timescale"],
            },
            "slug": {
                "title": "slug",
                "description": "Lower case letters and digits, words joined by single hyphens.",
                "type": "string",
                "pattern": SLUG_PATTERN,
            },
            "date": {
                "title": "date",
                "description": "A date written YYYY-MM-DD, e.g. 2025-03-25.",
                "type": "string",
                "format": "date",
                "pattern": DATE_PATTERN,
            },
            "duration": {
                "title": "duration",
                "description": (
                    "A time as the procedure writes it: a whole number and a unit, one of hours, days "
                    "(calendar days), working days, weeks, months, years; singular for one. "
                    "Examples: `15 working days`, `1 month`, `24 hours`."
                ),
                "type": "string",
                "pattern": DURATION_PATTERN,
                "examples": ["15 working days", "1 working day", "3 months", "24 hours"],
            },
            "event": _names(EVENTS, "event", "an event in the case"),
            "events": _one_or_many(
                "events", "event", "An event, or a list of events any of which satisfies.", unique=True
            ),
            "fact": _names(FACTS, "fact", "a fact a condition tests"),
            "condition": _condition(),
            "conditions": {
                "title": "conditions",
                "description": "A list of conditions, all of which must hold.",
                "type": "array",
                "items": {"$ref": "#/$defs/condition"},
            },
            "fact_conditions": {
                "title": "fact conditions",
                "description": (
                    "A list of conditions on facts (`{fact: F, …}`), all of which must hold. A fact the case "
                    "does not record never holds, except with `present: false`."
                ),
                "type": "array",
                "items": {
                    "$ref": "#/$defs/condition",
                    "if": {"required": ["any_of"]},
                    "then": {
                        "properties": {
                            "any_of": {
                                "description": "Here each member tests a fact.",
                                "items": {"description": "A condition on a fact.", "required": ["fact"]},
                            }
                        }
                    },
                    "else": {"required": ["fact"]},
                },
            },
            "sooner_limit": {
                "title": "sooner limit",
                "description": "Another time limit on the same event; whichever due date is sooner applies.",
                "type": "object",
                "properties": {
                    "within": ref("duration", "The most time allowed after `of`. Example: `3 months`."),
                    "of": ref("event", "The event that starts this clock. Example: `pre_birth_conference`."),
                },
                "required": ["within", "of"],
                "additionalProperties": False,
            },
            "later_limit": {
                "title": "later limit",
                "description": "Another time limit on the same event; whichever due date is later applies.",
                "type": "object",
                "properties": {
                    "within": ref("duration", "The most time allowed after `of`. Example: `15 working days`."),
                    "of": ref("event", "The event that starts this clock. Example: `transfer_accepted`."),
                },
                "required": ["within", "of"],
                "additionalProperties": False,
            },
            "deadline": _deadline(partial=False),
            "deadline_change": _deadline(partial=True),
            "requirement": _requirement(partial=False),
            "requirement_change": _requirement(partial=True),
            "decision": _decision(partial=False),
            "decision_change": _decision(partial=True),
            "citation": {
                "title": "citation",
                "description": "A quotation from a source that says what the rule says.",
                "type": "object",
                "properties": {
                    "source": ref(
                        "slug",
                        "The id of a source declared under `sources` here or in a policy this one extends.",
                    ),
                    "quote": text(
                        "Words copied from the source text; `cpc lint --sources DIR` checks they appear "
                        'there and state each number the rule sets. Example: "The Initial Child Protection '
                        'Conference should take place within 15 working days of".'
                    ),
                    "note": text("Optional. A remark about the citation for reviewers."),
                },
                "required": ["source", "quote"],
                "additionalProperties": False,
            },
            "cite": _one_or_many("cite", "citation", "A citation or a non-empty list of them.", unique=False),
            "source": {
                "title": "source",
                "description": "A document the policy encodes.",
                "type": "object",
                "properties": {
                    "title": text("The document's title as published."),
                    "file": {
                        "description": (
                            "The name of the document's text file in the sources folder given to "
                            "`cpc lint --sources DIR`. Example: `004_60b63b0436c08953.txt`."
                        ),
                        "type": "string",
                        "minLength": 1,
                        "pattern": r"^[^/\\]+$",
                    },
                    "publisher": text(
                        "Optional. Who publishes the document. Example: Pan-Berkshire Safeguarding Children "
                        "Partnership."
                    ),
                    "published": ref("date", "Optional. The date the document was published, YYYY-MM-DD."),
                    "note": text(
                        "Optional. Why the policy cites this document, for readers of the published page. Example: "
                        "Quoted for the national timescales it restates from Working Together 2023."
                    ),
                    "kind": closed_enum(
                        SOURCE_KINDS,
                        "Optional. What authority the document has: `statutory`, `local_procedure` or `advice`. "
                        "Only a statutory source can make a time limit `statutory`.",
                    ),
                    "url": {
                        "description": "Optional. Where the document is published, an http(s) address.",
                        "type": "string",
                        "format": "uri",
                        "pattern": r"^https?://\S+$",
                    },
                },
                "required": ["title", "file"],
                "additionalProperties": False,
            },
            "calendar": _calendar(),
            "rule": _rule(),
            "override": _override(),
            "withdrawal": {
                "title": "withdrawal",
                "description": "An inherited rule that does not apply in this area.",
                "type": "object",
                "properties": {
                    "id": ref("id", "The id of the inherited rule that does not apply here."),
                    "reason": text(
                        "Why the rule does not apply, shown wherever it would have been. Example: The "
                        "local procedure has no pre-birth transfer conference."
                    ),
                    "cite": ref("cite", "Optional. The local text that says so."),
                },
                "required": ["id", "reason"],
                "additionalProperties": False,
            },
        },
    }


def render_policy_schema() -> str:
    """The schema file's exact text."""
    return render(build_policy_schema())


def main(argv: Sequence[str] | None = None) -> int:
    """Write ``schemas/policy.schema.json``; with ``--check``, only report whether it is current."""
    return write_schema(SCHEMA_PATH, render_policy_schema(), REGENERATE, sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
