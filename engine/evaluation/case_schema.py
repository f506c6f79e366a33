"""The JSON Schema of a case file: one child's case, as docs/case-format.md describes it.

``schemas/case.schema.json`` is generated from :func:`build_case_schema`; regenerate it with
``python -m engine.evaluation.case_schema`` whenever the vocabulary or this module changes (a test fails until you
do). Like the policy schema it serves an editor with the YAML language server (completion and hover text)
and validators (jsonschema, check-jsonschema), and it must accept exactly what the case format describes.

Design choices:

* Every object declares all its keys, each with a description, and refuses any other key, so a misspelt
  field is an error at its own line rather than a fact silently missing from every result.
* Closed sets that the policy vocabulary also names (conference types, plan end reasons, who ended the
  plan, exclusion grounds) take their values from :mod:`engine.core.vocabulary`, so a value added there is
  accepted here after regeneration; the meanings an editor shows for each value live here, and building
  the schema fails if a value has no meaning.
* Only the case's ``id`` and each conference's ``id`` are required: a case records what is known, and an
  absent fact is reported by the rules that need it ("not assessable"), never guessed or refused here.
* Free-text fields say that cpc never prints them, because a case file may hold personal data and the
  author must know which fields can safely carry it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.core.schema_parts import ref, render, text, write_schema
from engine.core.vocabulary import EVENTS, FACTS
from engine.policy.schema import DATE_PATTERN

SCHEMA_ID = "https://cpc.example/schemas/case.schema.json"
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "case.schema.json"
REGENERATE = "python -m engine.evaluation.case_schema"

# A local date-time, YYYY-MM-DDTHH:MM with optional seconds. JSON Schema's `date-time` format needs a time
# zone and seconds, which a case never has, so the pattern itself rejects dates that do not exist: 31 only
# in long months, 29 and 30 in every month but February, 29 February only in leap years.
_YEAR = "[0-9]{4}"
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_MONTH_DAY = "(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
_CLOCK = "(?:[01][0-9]|2[0-3]):[0-5][0-9]"
DATE_TIME_PATTERN = f"^(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)T{_CLOCK}(?::[0-5][0-9])?$"
TIME_PATTERN = f"^{_CLOCK}$"

SOCIAL_CARE = "childrens_social_care"
AGENCY_EXAMPLES = [SOCIAL_CARE, "police", "school", "health_visitor", "gp", "school_nurse", "probation"]

CONFERENCE_TYPES: dict[str, str] = {
    "initial": "An initial child protection conference, after section 47 enquiries.",
    "pre_birth": "An initial child protection conference about an unborn child.",
    "transfer_in": (
        "The receiving authority's conference after a child subject of a plan moved permanently into the area."
    ),
    "review": "A child protection review conference while the child is subject of a plan.",
}
CATEGORIES: dict[str, str] = {
    "physical_abuse": "Physical abuse.",
    "emotional_abuse": "Emotional abuse.",
    "sexual_abuse": "Sexual abuse.",
    "neglect": "Neglect.",
    "multiple": "More than one category.",
}
END_REASONS: dict[str, str] = {
    "no_longer_at_risk": (
        "A review conference found the child no longer likely to suffer significant harm and no longer in "
        "need of a plan."
    ),
    "transferred_out": "The child moved permanently to another local authority.",
    "reached_18": "The child reached eighteen.",
    "died": "The child died.",
    "left_uk": "It was clearly established that the child has permanently left the UK.",
    "reason_no_longer_applies": "The reason the plan was put in place clearly no longer applies.",
}
ENDED_BY: dict[str, str] = {
    "review_conference": "A child protection review conference ended the plan.",
    "manager": "A child protection manager discontinued the plan without a review conference.",
}
GROUNDS: dict[str, str] = {
    "prejudice_to_child": "The parent's presence may seriously prejudice the welfare of the child.",
    "disruptive_behaviour": "The parent's behaviour is likely to be violent, aggressive or disruptive.",
    "child_request": "The child asks that the parent is not present while they are.",
    "professional_intimidated": "A professional would be intimidated or put at risk by the parent's presence.",
    "confidential_information": "Information must be shared that the parent should not hear.",
    "family_conflict": "Conflict between family members would prevent the conference doing its work.",
    "other": "Some other ground, not one of the procedure's six.",
}
# Grounds a case may record that the vocabulary's fact does not list: a request on another ground is
# still a request, and the requirement that a listed ground be given is what reports it.
EXTRA_GROUNDS = ("other",)


def _flag(description: str) -> dict[str, Any]:
    return {"description": description, "type": "boolean"}


def _dates(description: str) -> dict[str, Any]:
    """A list of dates. Repeats are allowed: two meetings may be held on one day."""
    return {"description": description, "type": "array", "items": {"$ref": "#/$defs/date"}}


def _enum(values: Sequence[str], meanings: dict[str, str], description: str) -> dict[str, Any]:
    """A closed set of values, each with the meaning an editor shows while completing.

    Raises ``KeyError`` when ``meanings`` and ``values`` differ, so a value added to the vocabulary cannot
    reach the schema without a meaning, and a meaning cannot outlive its value.
    """
    if set(meanings) != set(values):
        raise KeyError(f"meanings {sorted(meanings)} do not match values {sorted(values)}")
    return {
        "description": description,
        "type": "string",
        "enum": list(values),
        "enumDescriptions": [meanings[v] for v in values],
    }


def _vocabulary_values(fact: str) -> tuple[str, ...]:
    """The values the vocabulary gives ``fact``; the case field that feeds the fact takes the same values."""
    return FACTS[fact].values


def _agency(description: str) -> dict[str, Any]:
    return text(description, examples=AGENCY_EXAMPLES)


def _child() -> dict[str, Any]:
    return {
        "title": "child",
        "description": "The child the case is about.",
        "type": "object",
        "properties": {
            "date_of_birth": ref("date", "The child's date of birth. SSD: `pers_dob`. Example: `2019-05-02`."),
            "expected_date_of_birth": ref(
                "date",
                "For an unborn child: the expected date of birth. Keep it after the birth; the child counts "
                "as unborn only while there is no `date_of_birth`. SSD: `pers_expected_dob`.",
            ),
            "looked_after": _flag("The child is looked after by the local authority."),
            "care_order": _flag("The child is subject to a care order."),
            "premature_birth_likely": _flag(
                "For an unborn child: a premature birth is known to be likely. Keep it after the birth, like "
                "`expected_date_of_birth`."
            ),
            "name": {
                "description": (
                    "Free text for the case worker's own use; cpc never prints it, in any result, error or "
                    "report. Leave it out where the file may be shared."
                ),
                "type": "string",
            },
        },
        "additionalProperties": False,
    }


def _report() -> dict[str, Any]:
    return {
        "title": "report",
        "description": "One agency's report for the conference.",
        "type": "object",
        "properties": {
            "agency": _agency("The agency that wrote the report. Example: `police`."),
            "sent_to_chair": ref("date", "When the report was available to the conference chair."),
            "shared_with_parents": ref("date", "When the report was provided to and discussed with the parents."),
            "withheld_from_parents": _flag(
                "The agency did not share the report with the parents before the conference, stating in the report why."
            ),
            "withholding_agreed": ref(
                "date", "When the conference chair agreed that the report be withheld from the parents."
            ),
        },
        "additionalProperties": False,
    }


def _exclusion_request() -> dict[str, Any]:
    return {
        "title": "exclusion request",
        "description": "A representation to the chair that a parent be excluded from this conference.",
        "type": "object",
        "properties": {
            "date": ref("date", "When the representation was made to the chair."),
            "ground": _enum(
                _vocabulary_values("exclusion_request.ground") + EXTRA_GROUNDS,
                GROUNDS,
                "The ground the agency says is met: one of the procedure's six, or `other`.",
            ),
            "excluded": _flag("The chair decided before the conference to exclude the parent."),
        },
        "additionalProperties": False,
    }


def _outcome() -> dict[str, Any]:
    return {
        "title": "outcome",
        "description": "What the conference decided.",
        "type": "object",
        "properties": {
            "plan": _flag(
                "The conference decided the child needs (or, at a review, continues to need) a child "
                "protection plan. SSD: `icpc_icpc_outcome_cp_flag`, `cppr_cp_review_outcome`."
            ),
            "category": _enum(
                list(CATEGORIES),
                CATEGORIES,
                "The category of abuse or neglect. SSD: `cppl_cp_plan_initial_category`.",
            ),
            "cin_plan_or_recommendations": _flag(
                "For a conference that made no plan: it drew up a child in need plan, or made recommendations for one."
            ),
            "no_help_needed": _flag("For a conference that made no plan: it found the child needs no further help."),
        },
        "additionalProperties": False,
    }


def _conference() -> dict[str, Any]:
    return {
        "title": "conference",
        "description": "One child protection conference: initial, pre-birth, transfer-in or review.",
        "type": "object",
        "properties": {
            "id": text(
                "The conference's id, unique within the case; results about this conference name it. "
                "SSD: `icpc_icpc_id`, `cppr_cp_review_id`. Example: `icpc-1`.",
                examples=["icpc-1", "review-1"],
            ),
            "type": _enum(
                _vocabulary_values("conference.type"),
                CONFERENCE_TYPES,
                "The type of conference: `initial`, `pre_birth`, `transfer_in` or `review`. SSD: "
                "`icpc_icpc_transfer_in` tells a transfer-in conference apart.",
            ),
            "date": ref(
                "date",
                "The date the conference was held, or is booked for when `held: false`. SSD: "
                "`icpc_icpc_date`, `cppr_cp_review_date`.",
            ),
            "time": {
                "description": (
                    'When the conference started, HH:MM, if known; needs `date`. Quote it ("10:00"): YAML '
                    "reads an unquoted 10:00 as a number. Without a time, a conference is taken to end as "
                    "late as its day allows."
                ),
                "type": "string",
                "pattern": TIME_PATTERN,
                "examples": ["10:00"],
            },
            "held": {
                "description": "`false` for a conference booked but not yet held. Default `true`.",
                "type": "boolean",
                "default": True,
            },
            "agencies_present": {
                "description": (
                    "The professional groups or agencies that attended and have had direct contact with the "
                    f"child, each once; `{SOCIAL_CARE}` for local authority children's social care. "
                    "Example: `[childrens_social_care, police, school]`."
                ),
                "type": "array",
                "items": _agency("An agency that attended, e.g. `childrens_social_care`, `police`, `school`."),
                "uniqueItems": True,
                "examples": [[SOCIAL_CARE, "police", "school"]],
            },
            "quorate": _flag("Whether the conference was recorded as quorate. SSD: `cppr_cp_review_quorate`."),
            "chair_proceeded_inquorate": _flag("The chair decided to proceed although the conference was not quorate."),
            "inquorate_reasons_recorded": _flag(
                "The chair's reasons for proceeding inquorate are noted in the conference record."
            ),
            "key_agency_absent": _flag("A key agency working with the family did not attend."),
            "child_declined_to_attend": _flag(
                "The child, having been given an explanation, declared a wish not to attend."
            ),
            "parents_invited": _flag("The parents were invited to the conference."),
            "invitation_would_prejudice_child": _flag(
                "Inviting the parents was judged likely to prejudice the child's welfare."
            ),
            "interpreter_needed": _flag(
                "A parent needed an interpreter: English is not their first language, or they use sign language."
            ),
            "interpreter_offered": _flag("An interpreter was offered and provided to the parents."),
            "fewer_than_three_agencies_in_contact": _flag(
                "The child had not had relevant contact with three agencies (children's social care and two others)."
            ),
            "reports": {
                "description": "Each agency's report for this conference.",
                "type": "array",
                "items": {"$ref": "#/$defs/report"},
            },
            "exclusion_requests": {
                "description": "Representations to the chair that a parent be excluded from this conference.",
                "type": "array",
                "items": {"$ref": "#/$defs/exclusion_request"},
            },
            "outcome": ref("outcome", "What the conference decided: whether there is a plan, and its category."),
            "documents_sent": ref(
                "date_or_date_time",
                "When the outline plan and the decision were sent to those who attended or were invited: "
                "a date, or a local date-time `YYYY-MM-DDTHH:MM` for the 24-hour rule. Example: "
                "`2025-01-24T17:30`.",
            ),
            "documentation_received": ref("date", "When the parents received the conference documentation."),
            "amendment_requests": _dates("The dates of requests to amend the conference record."),
        },
        "required": ["id"],
        # A time of day means nothing without its day.
        "dependentRequired": {"time": ["date"]},
        "additionalProperties": False,
    }


def _plan() -> dict[str, Any]:
    return {
        "title": "plan",
        "description": "The child protection plan: when it started and, if it has, how it ended.",
        "type": "object",
        "properties": {
            "start": ref("date", "The start of the child protection plan. SSD: `cppl_cp_plan_start_date`."),
            "end": ref("date", "The end of the plan. SSD: `cppl_cp_plan_end_date`."),
            "end_reason": _enum(
                _vocabulary_values("plan.end_reason"),
                END_REASONS,
                "Why the plan ended.",
            ),
            "ended_by": _enum(
                _vocabulary_values("plan.ended_by"),
                ENDED_BY,
                "Who ended the plan: a `review_conference`, or a child protection `manager` without one.",
            ),
            "agencies_consulted": _flag(
                "The manager consulted the agencies present at the conference that made the plan."
            ),
            "receiving_conference_held": _flag(
                "The receiving authority held its transfer-in conference and confirmed in writing that it is "
                "responsible."
            ),
            "discussed_with_parents": ref(
                "date", "When the allocated social worker discussed the plan with the parents."
            ),
            "previous_plans": {
                "description": (
                    "How many child protection plans the child had before this one: 0 for a first plan. The census "
                    "counts plans that are a second or later one. SSD: the child's earlier plans in `ssd_cp_plans`."
                ),
                # A whole number written as a number: fastjsonschema's `integer` refuses 1.0, jsonschema's does not.
                "type": "number",
                "multipleOf": 1,
                "minimum": 0,
                "maximum": 1000,
            },
        },
        "additionalProperties": False,
    }


def _step_down() -> dict[str, Any]:
    return {
        "title": "step-down",
        "description": "The child in need plan that followed the child protection plan.",
        "type": "object",
        "properties": {
            "cin_plan_start": ref("date", "When the child in need plan started. SSD: `cinp_cin_plan_start`."),
            "cin_reviews": _dates("The dates of the child in need plan's reviews."),
            "cin_plan_end": ref("date", "When the child in need plan closed. SSD: `cinp_cin_plan_end`."),
            "closure_agreed_by_senior_manager": _flag("A senior manager agreed to close the child in need plan early."),
        },
        "additionalProperties": False,
    }


def _significant_change() -> dict[str, Any]:
    return {
        "title": "significant change",
        "description": "A significant change in the child's circumstances.",
        "type": "object",
        "properties": {
            "date": ref("date", "When the change happened."),
            "description": {
                "description": (
                    "Free text for the case worker's own use; cpc never prints it, in any result, error or report."
                ),
                "type": "string",
            },
        },
        "additionalProperties": False,
    }


def _dated(title: str, description: str, fields: dict[str, str]) -> dict[str, Any]:
    """An object of dates, each field with its meaning."""
    return {
        "title": title,
        "description": description,
        "type": "object",
        "properties": {name: ref("date", meaning) for name, meaning in fields.items()},
        "additionalProperties": False,
    }


def _coverage() -> dict[str, Any]:
    names = {**EVENTS, **FACTS}
    return {
        "title": "coverage",
        "description": (
            "What the case's source records. A hand-written case records everything it could; a case from a "
            "system or extract that has no place for some events or facts lists them under `not_recorded`, so "
            "that a rule needing them is `not_assessable` ('not recorded by this source'), never overdue or "
            "breached. `cpc import ssd` sets it from the tables the extract has."
        ),
        "type": "object",
        "properties": {
            "source": text("A label for the source, e.g. `ssd`; printed in no result.", examples=["ssd"]),
            "not_recorded": {
                "description": (
                    "Events and facts of the policy vocabulary (engine/core/vocabulary.py) that the source cannot "
                    "record: their absence says nothing about whether they happened."
                ),
                "type": "array",
                "items": {
                    "description": "An event or fact name.",
                    "type": "string",
                    "enum": list(names),
                    "enumDescriptions": [t.meaning for t in names.values()],
                },
                "uniqueItems": True,
            },
        },
        "additionalProperties": False,
    }


def build_case_schema() -> dict[str, Any]:
    """The draft 2020-12 JSON Schema of a case (docs/case-format.md)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "cpc case",
        "description": (
            "One child's case: what happened and when. cpc works out the rest (ages, quorum, which clocks "
            "run); a fact left out is reported as not recorded, never guessed. See docs/case-format.md."
        ),
        "type": "object",
        "properties": {
            "id": text(
                "The case's id, used in every result and error; never a name. Quote an id that is all "
                "digits. SSD: `pers_person_id`. Example: `child-0001`.",
                examples=["child-0001"],
            ),
            "team": text(
                "The team that holds the case, as an opaque id (not a name of a person): `cpc report --by team` "
                "breaks the report down by it; printed nowhere else. SSD: `invo_professional_team` of the child's "
                "current involvement in `ssd_involvements`.",
                examples=["team-07"],
            ),
            "worker": text(
                "The allocated worker, as an opaque id (never a name): `cpc report --by worker` breaks the report "
                "down by it; printed nowhere else. SSD: `invo_professional_id` of the child's current involvement.",
                examples=["worker-0412"],
            ),
            "child": ref("child", "The child: date of birth, or expected date of birth if unborn."),
            "mother": {
                "title": "mother",
                "description": "The child's mother, where the procedure's timescales depend on her.",
                "type": "object",
                "properties": {
                    "medically_fit_after_birth": _flag(
                        "After the birth, the mother was medically fit to attend a meeting within the first 10 days."
                    ),
                },
                "additionalProperties": False,
            },
            "pre_proceedings": _dated(
                "pre-proceedings",
                "The pre-proceedings letter, where the local authority is considering care proceedings shortly "
                "after the birth.",
                {
                    "letter_sent": (
                        "When the pre-proceedings letter (or letter of issue) was sent to the parents before the birth."
                    ),
                },
            ),
            "birth_hospital": _dated(
                "birth hospital",
                "The newborn baby's stay in hospital after the birth.",
                {
                    "discharge_meeting": (
                        "When the hospital discharge (planning) meeting was held, before the baby leaves hospital."
                    ),
                    "discharged": "When the newborn baby was discharged from hospital.",
                },
            ),
            "s47": _dated(
                "section 47 enquiry",
                "The section 47 enquiry.",
                {
                    "strategy_discussion": (
                        "The strategy discussion at which section 47 enquiries were initiated. SSD: "
                        "`s47e_s47_start_date`."
                    ),
                    "no_conference_decided": (
                        "When the team manager recorded the decision not to call a child protection conference "
                        "after the enquiry; from then on no initial conference is due. SSD: `s47e_s47_end_date` "
                        "of an enquiry with `s47e_s47_nfa` Y or CP_CONFERENCE_FLAG N (`cpc import ssd` makes no "
                        "case of such an enquiry)."
                    ),
                },
            ),
            "emergency_protection_order": _dated(
                "emergency protection order",
                "An emergency protection order made for the child.",
                {"made": "When the order was made.", "expires": "When the order expires."},
            ),
            "child_assessment_order": _dated(
                "child assessment order",
                "A child assessment order made for the child (Children Act 1989, section 43).",
                {
                    "made": "When the court made the order.",
                    "assessments_concluded": "When the examinations and assessments under the order were concluded.",
                },
            ),
            "transfer_in": _dated(
                "transfer in",
                "A child subject of a plan elsewhere who moved permanently into this area.",
                {
                    "notified": (
                        "When another authority notified this one that a child subject of a plan moved "
                        "permanently into the area."
                    ),
                    "accepted": "When this authority formally accepted the transfer.",
                },
            ),
            "looked_after_review": _dated(
                "looked-after review",
                "A looked-after child review about a return home.",
                {
                    "considered": (
                        "When a looked-after review considered a proposal to return the child home, and recorded "
                        "whether an initial conference should be convened before the change."
                    ),
                    "decision": (
                        "When a looked-after review decided an initial conference should be convened before "
                        "the child returns home."
                    ),
                    "returned_home": "When the child returned home to the birth family from care.",
                },
            ),
            "conferences": {
                "description": (
                    "Every conference, held or booked, in any order. SSD: `ssd_initial_cp_conference`, "
                    "`ssd_cp_reviews`."
                ),
                "type": "array",
                "items": {"$ref": "#/$defs/conference"},
            },
            "core_group_meetings": _dates("The dates of core group meetings."),
            "plan": ref("plan", "The child protection plan."),
            "step_down": ref("step_down", "The child in need plan that followed the child protection plan."),
            "significant_changes": {
                "description": "Significant changes in the child's circumstances.",
                "type": "array",
                "items": {"$ref": "#/$defs/significant_change"},
            },
            "strategy_meetings": _dates("The dates of multi-agency strategy meetings."),
            "coverage": _coverage(),
        },
        "required": ["id"],
        "additionalProperties": False,
        "$defs": {
            "date": {
                "title": "date",
                "description": "A date written YYYY-MM-DD, e.g. 2025-03-25. A date that does not exist is refused.",
                "type": "string",
                "format": "date",
                "pattern": DATE_PATTERN,
            },
            "date_or_date_time": {
                "title": "date or date-time",
                "description": (
                    "A date, YYYY-MM-DD, or a local date-time, YYYY-MM-DDTHH:MM with optional seconds and no "
                    "time zone. Examples: `2025-01-24`, `2025-01-24T17:30`."
                ),
                "type": "string",
                # The `T` decides which form is checked, so an error names what is wrong with the form
                # written rather than listing both.
                "if": {"pattern": "T"},
                "then": {"pattern": DATE_TIME_PATTERN},
                "else": {"$ref": "#/$defs/date"},
                "examples": ["2025-01-24", "2025-01-24T17:30"],
            },
            "child": _child(),
            "conference": _conference(),
            "report": _report(),
            "exclusion_request": _exclusion_request(),
            "outcome": _outcome(),
            "plan": _plan(),
            "step_down": _step_down(),
            "significant_change": _significant_change(),
        },
    }


def render_case_schema() -> str:
    """The schema file's exact text."""
    return render(build_case_schema())


def main(argv: Sequence[str] | None = None) -> int:
    """Write ``schemas/case.schema.json``; with ``--check``, only report whether it is current."""
    return write_schema(SCHEMA_PATH, render_case_schema(), REGENERATE, sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
