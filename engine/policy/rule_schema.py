"""The JSON Schema of a rule and of an override: the rule kinds (deadline, requirement, decision) and their keys.

Each kind has its mapping of parameters, in full for a rule and ``partial`` for an override, where each key
given replaces the base's; a rule's ``kind`` decides which mapping it must have and refuses the others'.
Part of the policy schema that :mod:`engine.policy.schema` assembles; the design choices are described there.
"""

from __future__ import annotations

from typing import Any

from engine.core.schema_parts import closed_enum, only_keys, ref, text
from engine.policy.condition_schema import BOUNDARY

ACTION_PATTERN = r"^[a-z][a-z0-9_]*$"

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
