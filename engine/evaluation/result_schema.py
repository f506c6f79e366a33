"""The JSON Schema of an evaluation: the results of one case under one version of an area's policy.

``schemas/result.schema.json`` is generated from :func:`build_result_schema`; regenerate it with
``python -m engine.evaluation.result_schema`` whenever the vocabulary or this module changes (a test fails until you
do). It is the contract of ``cpc eval --format json`` and ``Evaluation.to_dict()`` as docs/results.md
describes them, so that a program reading results can rely on every key it finds and on no other.

Design choices:

* A result's keys depend on its ``kind``. All are declared once, described, and an ``if``/``then`` on
  ``kind`` narrows the statuses and refuses the keys of the other kinds, as the policy schema does for a
  rule's kind: an error then names the one thing wrong with the kind of result at hand.
* Within a kind, the status decides what must be there, as the statuses table says: a deadline ``met`` or
  ``missed`` has a ``done`` date, one ``missed`` or ``overdue`` has a ``late`` amount, and the others have
  neither; a requirement ``not_assessable`` names what is ``missing`` and one ``breached`` what ``failed``.
* Event and fact names are the vocabulary's, closed: ``cpc lint`` refuses a policy naming any other, so a
  result can name no other.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.core.durations import Unit
from engine.core.schema_parts import closed_enum, known_names, only_keys, ref, render, text, write_schema
from engine.core.vocabulary import EVENTS, FACTS, Term
from engine.evaluation.case_schema import DATE_TIME_PATTERN
from engine.evaluation.results_file import COLUMNS, FORMAT, FORMAT_KEY, SUBJECT_TYPE
from engine.policy.rule_schema import ACTION_PATTERN
from engine.policy.schema import DATE_PATTERN, SLUG_PATTERN

SCHEMA_ID = "https://cpc.example/schemas/result.schema.json"
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "result.schema.json"
REGENERATE = "python -m engine.evaluation.result_schema"

KINDS: dict[str, str] = {
    "deadline": "An event must happen within a time after another event, or at least a time before it.",
    "requirement": "A condition a conference, plan or exclusion request must satisfy.",
    "decision": "What the procedure directs when the rule's conditions hold.",
}
# Each kind's statuses, in the order docs/results.md lists them, with what each means for that kind.
STATUSES: dict[str, dict[str, str]] = {
    "deadline": {
        "met": "`what` happened on or before `due` (for a lower bound, on or after `earliest`).",
        "missed": (
            "`what` happened, after `due` (`done`); or it did not, and can no longer be done: its window `closed` "
            "(the conference it was for was held, the plan it served ended, a later conference superseded it)."
        ),
        "not_assessable": "The case's source does not record `what`; `reason` says so.",
        "pending": "`what` has not happened and `due` is today or later.",
        "overdue": "`what` has not happened, `due` has passed, and it can still be done.",
        "breached": "A lower bound (`not_before`): `what` happened before `earliest`; `early` says by how much.",
    },
    "requirement": {
        "met": "Every `require` condition holds, or every `unless` condition does.",
        "breached": "A `require` condition does not hold, and the `unless` conditions do not all hold.",
        "not_assessable": (
            "A fact a `require` condition needs is not recorded (`missing` names it), or an `unless` fact that "
            "could excuse a breach is one the case's source does not record (`reason` says so)."
        ),
    },
    "decision": {
        "applies": "The decision's conditions hold: the procedure directs what `directs` says.",
    },
}
SUBJECTS: dict[str, str] = {
    "conference": "A conference of the case, by its `id`.",
    "exclusion_request": "A request to exclude a parent from a conference.",
    "report": "An agency's report to a conference.",
}
LATE_UNITS: dict[str, str] = {
    Unit.WORKING_DAYS.value: "Working days, for a rule counted in working days.",
    Unit.DAYS.value: "Calendar days, for a rule counted in days, weeks, months or years.",
    Unit.HOURS.value: "Hours, for a rule counted in hours from a date-time.",
}

COMMON_KEYS = (
    "rule",
    "title",
    "kind",
    "status",
    "subject",
    "exception_of",
    "area",
    "policy_version",
    "defined_in",
    "citations",
)
KIND_KEYS: dict[str, tuple[str, ...]] = {
    "deadline": ("what", "clock", "due", "earliest", "done", "late", "early", "closed", "reason"),
    "requirement": ("failed", "missing", "reason"),
    "decision": ("action", "directs"),
}
EXPLAIN_KEYS = ("matched",)


def _names(terms: dict[str, Term], noun: str) -> dict[str, Any]:
    return {"title": noun, **known_names(terms, f"A {noun} of the vocabulary in engine/core/vocabulary.py.")}


def _not_keys(*keys: str) -> dict[str, Any]:
    """A ``propertyNames`` schema refusing ``keys``; the error names the key, as ``false`` would not."""
    return {"not": {"enum": list(keys)}}


def _names_one(key: str, description: str) -> dict[str, Any]:
    """``key`` is present and lists at least one thing."""
    return {"required": [key], "properties": {key: {"description": description, "minItems": 1}}}


def _when_status(statuses: Sequence[str], then: dict[str, Any]) -> dict[str, Any]:
    return {"if": {"properties": {"status": {"enum": list(statuses)}}, "required": ["status"]}, "then": then}


def _kind_branches() -> list[dict[str, Any]]:
    """For each kind: its statuses, its keys and no other kind's, and what each status needs."""
    declared = (*COMMON_KEYS, *[k for keys in KIND_KEYS.values() for k in keys], *EXPLAIN_KEYS)
    needs: dict[str, dict[str, Any]] = {
        "deadline": {
            "required": ["what"],
            "allOf": [
                # Only a deadline whose clock the source cannot record has no due date (docs/results.md).
                _when_status(("missed", "pending", "overdue"), {"required": ["due"]}),
                # A lower bound has an earliest date instead of a due date.
                _when_status(("met",), {"anyOf": [{"required": ["due"]}, {"required": ["earliest"]}]}),
                _when_status(("breached",), {"required": ["earliest", "done", "early"]}),
                _when_status(("met",), {"required": ["done"]}),
                _when_status(
                    ("missed", "pending", "overdue", "not_assessable"),
                    {"propertyNames": _not_keys("earliest", "early")},
                ),
                _when_status(("missed",), {"oneOf": [{"required": ["done"]}, {"required": ["closed"]}]}),
                _when_status(("pending", "overdue", "not_assessable"), {"propertyNames": _not_keys("done")}),
                _when_status(("missed", "overdue"), {"required": ["late"]}),
                _when_status(("met", "pending", "not_assessable"), {"propertyNames": _not_keys("late")}),
                _when_status(("met", "pending", "overdue", "not_assessable"), {"propertyNames": _not_keys("closed")}),
                _when_status(("not_assessable",), {"required": ["reason"]}),
                _when_status(
                    ("met", "missed", "pending", "overdue", "breached"), {"propertyNames": _not_keys("reason")}
                ),
            ],
        },
        "requirement": {
            "allOf": [
                _when_status(("breached",), _names_one("failed", "A breached requirement names what failed.")),
                _when_status(
                    ("not_assessable",),
                    {
                        "anyOf": [
                            _names_one("missing", "A requirement not assessable names what is missing."),
                            {"required": ["reason"]},
                        ]
                    },
                ),
                _when_status(("met", "breached"), {"propertyNames": _not_keys("reason")}),
            ],
        },
        "decision": {"required": ["action", "directs"]},
    }
    branches = []
    for kind, statuses in STATUSES.items():
        then: dict[str, Any] = {
            "properties": {
                "status": {"description": f"A {kind}'s status: {', '.join(statuses)}.", "enum": list(statuses)}
            },
            "propertyNames": only_keys((*COMMON_KEYS, *KIND_KEYS[kind], *EXPLAIN_KEYS), declared),
            **needs[kind],
        }
        branches.append({"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]}, "then": then})
    return branches


def _all_statuses() -> dict[str, str]:
    """Every status, with what it means for each kind that has it."""
    out: dict[str, list[str]] = {}
    for kind, statuses in STATUSES.items():
        for status, meaning in statuses.items():
            out.setdefault(status, []).append(f"{kind.capitalize()}: {meaning}")
    return {status: " ".join(meanings) for status, meanings in out.items()}


def _result() -> dict[str, Any]:
    return {
        "title": "result",
        "description": (
            "One rule's verdict on the case, or on one conference, exclusion request or report of it. "
            "See docs/results.md."
        ),
        "type": "object",
        "properties": {
            "rule": text(
                "The rule's id in the policy. Example: `icpc-timescale`.",
                pattern=SLUG_PATTERN,
                examples=["icpc-timescale"],
            ),
            "title": text("The rule's title: one plain-English sentence of what it says."),
            "kind": closed_enum(KINDS, "`deadline`, `requirement` or `decision`; decides the other keys."),
            "status": closed_enum(
                _all_statuses(),
                "The verdict. A deadline is `met`, `missed`, `not_assessable`, `pending`, `overdue` or (a lower "
                "bound) `breached`; a "
                "requirement `met`, `breached` or `not_assessable`; a decision `applies`.",
            ),
            "subject": ref(
                "subject",
                "What the result is about when the rule applies to each of several things, e.g. "
                '`{"type": "conference", "id": "icpc-1"}`. Absent when it is about the case as a whole.',
            ),
            "exception_of": text(
                "For the result of an exception: the id of the rule it stands in place of, which gives no result "
                "for the same subject. Example: `pre-birth-after-birth-meeting`.",
                pattern=SLUG_PATTERN,
            ),
            "what": {
                "description": (
                    "Deadline: the event that must happen, or a list of events any of which satisfies. "
                    "Example: `initial_conference`."
                ),
                "if": {"type": "array"},
                "then": {"items": {"$ref": "#/$defs/event"}, "minItems": 1, "uniqueItems": True},
                "else": {"$ref": "#/$defs/event"},
            },
            "clock": ref(
                "clock",
                "Deadline: the occurrence of the event the deadline counts from (`of`) or back to (`before`).",
            ),
            "due": ref(
                "date_or_date_time",
                "Deadline: the last date on which `what` is on time; a date-time for hours counted from a date-time. "
                "Absent only from a `not_assessable` deadline whose clock the case's source does not record.",
            ),
            "earliest": ref(
                "date",
                "Deadline with a lower bound (`not_before`): the first date on which `what` is not too early.",
            ),
            "done": ref(
                "date_or_date_time",
                "Deadline: when `what` happened. Present when the status is `met`, `breached` or `missed`.",
            ),
            "early": ref(
                "late",
                "Deadline with a lower bound, `breached`: how early `what` happened, before `earliest`.",
            ),
            "late": ref(
                "late",
                "Deadline: how late, when the status is `missed` or `overdue` (overdue: as of the evaluation date; "
                "missed and never done: as of the day its window `closed`).",
            ),
            "closed": ref(
                "date",
                "Deadline, `missed` and never done: the day from which `what` could no longer be done (the "
                "conference it was for was held, the plan it served ended, a later conference superseded it).",
            ),
            "reason": text(
                "Why a result is `not_assessable` when `missing` does not say it all: `not recorded by this source: "
                "documents_sent` names the events and facts the case's source does not record "
                "(docs/case-format.md, `coverage`)."
            ),
            "failed": {
                "description": "Requirement: the conditions that do not hold, in words.",
                "type": "array",
                "items": text("A condition that does not hold, in words."),
            },
            "missing": {
                "description": "Requirement: the facts the case does not record and the requirement needs.",
                "type": "array",
                "items": ref("fact", "A fact the case does not record."),
                "uniqueItems": True,
            },
            "action": text(
                "Decision: the decision's slug, stable for software to act on. Example: `offer_attendance`.",
                pattern=ACTION_PATTERN,
            ),
            "directs": text("Decision: what the procedure directs."),
            "area": text(
                "The area whose policy the rule was evaluated in. Example: `berkshire`.", pattern=SLUG_PATTERN
            ),
            "policy_version": text("The version of the area's policy in force on the evaluation date."),
            "defined_in": text(
                "The area whose policy text the rule comes from: the evaluated area, or one it extends, "
                "such as `england`.",
                pattern=SLUG_PATTERN,
            ),
            "citations": {
                "description": "The quotations the rule rests on; at least one.",
                "type": "array",
                "items": {"$ref": "#/$defs/citation"},
                "minItems": 1,
            },
            "matched": {
                "description": (
                    "With `--explain`: the conditions that matched and the facts they matched on. Absent otherwise."
                ),
                "type": "array",
                "items": {"$ref": "#/$defs/match"},
            },
        },
        "required": ["rule", "title", "kind", "status", "area", "policy_version", "defined_in", "citations"],
        "additionalProperties": False,
        "allOf": _kind_branches(),
    }


# The fields a header's rule entry gives every result of its rule, and what a row's `more` may hold.
RULE_ENTRY_KEYS = ("rule", "kind", "title", "exception_of", "what", "action", "directs", "defined_in", "citations")
ROW_MORE_KEYS = tuple(
    k
    for k in (*COMMON_KEYS, *dict.fromkeys(k for keys in KIND_KEYS.values() for k in keys), *EXPLAIN_KEYS)
    if k not in COLUMNS
)


def _described(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "description": description}


def _nullable(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """``schema`` or null, with its own description."""
    inner = {k: v for k, v in schema.items() if k != "description"}
    return {"description": description, "anyOf": [{"type": "null"}, inner]}


def _header() -> dict[str, Any]:
    result = _result()["properties"]
    return {
        "title": "results header",
        "description": (
            f"The first line of a results file in format {FORMAT}: the policy the run evaluated against and every "
            "rule that can give a result, with its title and citations, written once; the evaluations after it "
            "refer to them by rule id. It applies to the lines after it, up to the next header."
        ),
        "type": "object",
        "properties": {
            FORMAT_KEY: {
                "description": (
                    f"The results format: {FORMAT}. Format 1 (`--citations inline`) has no header. A reader "
                    "refuses a format it does not know."
                ),
                "const": FORMAT,
            },
            "area": _described("The area whose policy was evaluated. Example: `berkshire`.", result["area"]),
            "policy_version": _described(
                "The version of the area's policy in force on `as_of`: every evaluation after the header is under it.",
                result["policy_version"],
            ),
            "as_of": ref("date", "The evaluation date of the run."),
            "columns": {
                "description": "The columns of a result row, in order.",
                "const": list(COLUMNS),
            },
            "rules": {
                "description": "Every rule of the policy version that can give a result, in the policy's order.",
                "type": "array",
                "items": {"$ref": "#/$defs/rule_entry"},
            },
        },
        "required": [FORMAT_KEY, "area", "policy_version", "as_of", "columns", "rules"],
        "additionalProperties": False,
    }


def _rule_entry() -> dict[str, Any]:
    result = _result()["properties"]
    properties = {k: result[k] for k in RULE_ENTRY_KEYS}
    properties["what"] = {**result["what"], "description": "Deadline: the event that must happen, or a list of events."}
    properties["clock"] = {
        "description": (
            "Deadline: the event its clock counts from (`of`) or back to (`before`); a row's clock that is a date "
            "alone is this event's."
        ),
        "type": "object",
        "properties": {"event": ref("event", "The event. Example: `strategy_discussion`.")},
        "required": ["event"],
        "additionalProperties": False,
    }
    return {
        "title": "rule entry",
        "description": "One rule as a results header lists it: the fields every result of the rule shares.",
        "type": "object",
        "properties": properties,
        "required": ["rule", "kind", "title", "defined_in", "citations"],
        "additionalProperties": False,
    }


def _row() -> dict[str, Any]:
    result = _result()["properties"]
    subject_id = {"type": "string", "minLength": 1}
    return {
        "title": "result row",
        "description": (
            "A result in format 2: the columns the header names, in order, with nulls at the end left out. With "
            "the header's entry for its rule and the evaluation's area and policy version, it is the whole result."
        ),
        "type": "array",
        "prefixItems": [
            _described("The rule's id, as the header lists it.", result["rule"]),
            _described("The verdict, as for a whole result.", result["status"]),
            {
                "description": (
                    f"What the result is about: a {SUBJECT_TYPE}'s id alone, or `[type, id]` for another "
                    "subject (`report`, `exclusion_request`); null for the case as a whole."
                ),
                "anyOf": [
                    {"type": "null"},
                    subject_id,
                    {
                        "type": "array",
                        "prefixItems": [{"$ref": "#/$defs/subject/properties/type"}, subject_id],
                        "minItems": 2,
                        "items": False,
                    },
                ],
            },
            {
                "description": (
                    "Deadline: the clock's date, when its event is the one the rule's entry names; else "
                    "`[event, date]`."
                ),
                "anyOf": [
                    {"type": "null"},
                    {"$ref": "#/$defs/date_or_date_time"},
                    {
                        "type": "array",
                        "prefixItems": [{"$ref": "#/$defs/event"}, {"$ref": "#/$defs/date_or_date_time"}],
                        "minItems": 2,
                        "items": False,
                    },
                ],
            },
            _nullable(result["due"], "Deadline: `due`, as for a whole result."),
            _nullable(result["done"], "Deadline: `done`, as for a whole result."),
            {
                "description": "Deadline: how late, `[amount, unit]`.",
                "anyOf": [
                    {"type": "null"},
                    {
                        "type": "array",
                        "prefixItems": [
                            {"$ref": "#/$defs/late/properties/amount"},
                            {"$ref": "#/$defs/late/properties/unit"},
                        ],
                        "minItems": 2,
                        "items": False,
                    },
                ],
            },
            {"description": "The result's other fields.", "$ref": "#/$defs/row_more"},
        ],
        "minItems": 2,
        "items": False,
    }


def _row_more() -> dict[str, Any]:
    result = _result()["properties"]
    properties = {
        k: _nullable(
            result[k],
            f"{result[k]['description']} Here: the result's own, where its rule's entry says otherwise; null for none.",
        )
        if k in RULE_ENTRY_KEYS or k in ("area", "policy_version")
        else result[k]
        for k in ROW_MORE_KEYS
    }
    return {
        "title": "more",
        "description": (
            "The fields of a result that are neither columns nor given by its rule's entry and the evaluation "
            "(`reason`, `missing`, `failed`, `closed`, `earliest`, `early`, `matched`), by the whole result's "
            "names; a field here wins over the rule's entry."
        ),
        "type": ["object", "null"],
        "properties": properties,
        "additionalProperties": False,
    }


def _error_record() -> dict[str, Any]:
    return {
        "title": "error record",
        "description": (
            "A case that could not be evaluated (docs/batch.md): where it came from and what is wrong with it, "
            "never a value from it."
        ),
        "type": "object",
        "properties": {
            "case": {"description": "The case's `id`, when one could be read; else null.", "type": ["string", "null"]},
            "source": text("Where the case came from: the file, `file:line`, or the child's row of an SSD extract."),
            "error": {
                "description": "The problems found, as `cpc lint --format json` gives them.",
                "type": "array",
                "items": {
                    "description": "One problem.",
                    "type": "object",
                    "properties": {
                        "line": {"description": "The line of the file.", "type": "integer", "minimum": 0},
                        "column": {"description": "The column within that line.", "type": "integer", "minimum": 0},
                        "code": text("The problem's code, e.g. `CPC100`, or `internal-error`."),
                        "path": {
                            "description": "The field, e.g. `conferences[0].type`; empty for none.",
                            "type": "string",
                        },
                        "message": text("What is wrong, never quoting the case."),
                    },
                    "required": ["line", "column", "code", "path", "message"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["case", "source", "error"],
        "additionalProperties": False,
    }


def _evaluation() -> dict[str, Any]:
    return {
        "title": "evaluation",
        "description": (
            "The results of evaluating one case against the version of an area's policy in force on the "
            "evaluation date: each result whole (results format 1, `cpc eval --format json`, "
            "`Evaluation.to_dict()`), or in a format-2 results file, each a row referring to the header's rules."
        ),
        "type": "object",
        "properties": {
            "case": text("The case's `id`, as the case file gives it.", examples=["child-0001"]),
            "area": text("The area whose policy was evaluated. Example: `berkshire`.", pattern=SLUG_PATTERN),
            "policy_version": text("The version of the area's policy in force on `as_of`. Example: `v97`."),
            "as_of": ref("date", "The evaluation date: events dated after it have not happened yet."),
            "team": text("The case's `team`, an opaque id, when the case has one: for `cpc report --by team`."),
            "worker": text("The case's `worker`, an opaque id, when the case has one: for `cpc report --by worker`."),
            "plan": {
                "title": "plan",
                "description": (
                    "The child protection plan, for the census measures of `cpc report`: absent when no plan has "
                    "started by `as_of`."
                ),
                "type": "object",
                "properties": {
                    "start": ref("date", "When the plan started."),
                    "end": ref("date", "When it ended, if it had by `as_of`."),
                    "category": text("The category of abuse or neglect recorded by the conference that made the plan."),
                    "previous_plans": {
                        "description": "How many plans the child had before this one, when the case says.",
                        "type": "integer",
                        "minimum": 0,
                    },
                },
                "required": ["start"],
                "additionalProperties": False,
            },
            "results": {
                "description": "Every result, one per rule and subject that gave one.",
                "type": "array",
                "items": {
                    "description": "A result: whole (an object, format 1), or a row (an array, format 2).",
                    "if": {"type": "array"},
                    "then": {"$ref": "#/$defs/row"},
                    "else": {"$ref": "#/$defs/result"},
                },
            },
        },
        "required": ["case", "area", "policy_version", "as_of", "results"],
        "additionalProperties": False,
    }


def build_result_schema() -> dict[str, Any]:
    """The draft 2020-12 JSON Schema of one line of a results file, or of one case's evaluation as
    ``cpc eval --format json`` prints it (docs/results.md)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "cpc results",
        "description": (
            "One line of a results file (`cpc eval --cases`), or `cpc eval --format json`'s line for one case: "
            f"a results header (results format {FORMAT}, the first line: the policy and every rule's title and "
            "citations), an evaluation (its results whole, format 1, or as rows that refer to the header's rules "
            "by id, format 2), or the error record of a case that could not be evaluated. See docs/results.md."
        ),
        "type": "object",
        "if": {"required": [FORMAT_KEY]},
        "then": {"$ref": "#/$defs/header"},
        "else": {
            "if": {"required": ["error"]},
            "then": {"$ref": "#/$defs/error_record"},
            "else": {"$ref": "#/$defs/evaluation"},
        },
        "$defs": {
            "evaluation": _evaluation(),
            "header": _header(),
            "rule_entry": _rule_entry(),
            "row": _row(),
            "row_more": _row_more(),
            "error_record": _error_record(),
            "date": {
                "title": "date",
                "description": "A date written YYYY-MM-DD, e.g. 2025-03-25.",
                "type": "string",
                "format": "date",
                "pattern": DATE_PATTERN,
            },
            "date_or_date_time": {
                "title": "date or date-time",
                "description": (
                    "A date, YYYY-MM-DD, or a local date-time, YYYY-MM-DDTHH:MM (seconds optional, no time zone)."
                ),
                "type": "string",
                "if": {"pattern": "T"},
                "then": {"pattern": DATE_TIME_PATTERN},
                "else": {"$ref": "#/$defs/date"},
            },
            "event": _names(EVENTS, "event"),
            "fact": _names(FACTS, "fact"),
            "result": _result(),
            "subject": {
                "title": "subject",
                "description": "The thing of the case a result is about.",
                "type": "object",
                "properties": {
                    "type": closed_enum(SUBJECTS, "`conference`, `exclusion_request` or `report`."),
                    "id": text(
                        "Its id: a conference's `id`, or an id the engine gives an exclusion request or report "
                        "of a conference.",
                        examples=["icpc-1"],
                    ),
                },
                "required": ["type", "id"],
                "additionalProperties": False,
            },
            "clock": {
                "title": "clock",
                "description": "The occurrence of the event a deadline counts from or back to.",
                "type": "object",
                "properties": {
                    "event": ref("event", "The event. Example: `strategy_discussion`."),
                    "date": ref("date_or_date_time", "When it happened (or, counted back from, is to happen)."),
                },
                "required": ["event", "date"],
                "additionalProperties": False,
            },
            "late": {
                "title": "late",
                "description": 'How late: `{"amount": 3, "unit": "working days"}`.',
                "type": "object",
                "properties": {
                    "amount": {"description": "How many units late.", "type": "integer", "minimum": 0},
                    "unit": closed_enum(
                        LATE_UNITS,
                        "`working days` for a working-day rule, `hours` for an hours rule, `days` (calendar) "
                        "otherwise; plural whatever the amount.",
                    ),
                },
                "required": ["amount", "unit"],
                "additionalProperties": False,
            },
            "citation": {
                "title": "citation",
                "description": "A quotation from a source of the policy.",
                "type": "object",
                "properties": {
                    "source": text(
                        "The id of the source in the policy that declares it. Example: `berkshire-cpc`.",
                        pattern=SLUG_PATTERN,
                    ),
                    "file": text("The source's text file, as the policy's `sources` name it."),
                    "quote": text("The words quoted from the source."),
                },
                "required": ["source", "file", "quote"],
                "additionalProperties": False,
            },
            "match": {
                "title": "match",
                "description": "With `--explain`: one rule pattern that matched, and what it matched on.",
                "type": "object",
                "properties": {
                    "pattern": text("The pattern that matched."),
                    "fact": text("The fact it matched on."),
                    "conditions": {
                        "description": "The conditions the pattern tested, in words.",
                        "type": "array",
                        "items": text("A condition, in words."),
                    },
                },
                "required": ["pattern", "fact", "conditions"],
                "additionalProperties": False,
            },
        },
    }


def render_result_schema() -> str:
    """The schema file's exact text."""
    return render(build_result_schema())


def main(argv: Sequence[str] | None = None) -> int:
    """Write ``schemas/result.schema.json``; with ``--check``, only report whether it is current."""
    return write_schema(SCHEMA_PATH, render_result_schema(), REGENERATE, sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
