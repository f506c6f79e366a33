"""The case and result schemas: generated, valid, described, strict, and true to the docs they encode.

Example cases live in examples/cases/ (for users) and tests/data/case/: every file in positive/ must
validate; every file in negative/ must fail, and its first line names where and how, as
``# error-at: <JSON path> <keyword>``, so that a negative file cannot pass by failing for another reason.
docs/case-format.md and docs/results.md are the contracts: their tables are read here and compared with
the schemas, so the docs and the schemas cannot drift apart unnoticed.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker

from engine.core.vocabulary import EVENTS, FACTS
from engine.evaluation import case_schema, result_schema
from engine.evaluation.case_files import DATE_KEYS, CaseError, load_case, read_case
from engine.policy.yamlload import jsonable, load_file

from .schema_walk import undescribed

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "case"
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
POSITIVE = sorted(p for p in (DATA / "positive").iterdir() if p.suffix in (".yaml", ".json"))
NEGATIVE = sorted((DATA / "negative").glob("*.yaml"))
CASE_DOC = ROOT / "docs" / "case-format.md"
RESULTS_DOC = ROOT / "docs" / "results.md"

SCHEMAS = {"case": case_schema, "result": result_schema}
BUILD: dict[str, Callable[[], dict[str, Any]]] = {
    "case": case_schema.build_case_schema,
    "result": result_schema.build_result_schema,
}
RENDER: dict[str, Callable[[], str]] = {
    "case": case_schema.render_case_schema,
    "result": result_schema.render_result_schema,
}


def load(path: Path) -> Any:
    """A case file as cpc reads it (the project's loader), with dates as the ISO strings the schema checks."""
    return jsonable(load_file(path).data)


@cache
def validator(name: str) -> Draft202012Validator:
    # The checked-in file, not a fresh build: it is what editors and check-jsonschema read.
    schema = json.loads(SCHEMAS[name].SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=FormatChecker())


def errors(document: Any, name: str = "case") -> list[tuple[str, str]]:
    """(JSON path, keyword) of each error in ``document``."""
    return [(e.json_path, str(e.validator)) for e in validator(name).iter_errors(document)]


def expectation(path: Path) -> tuple[str, str]:
    """The (JSON path, keyword) a negative example's first line says it fails at."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# error-at: "
    assert first.startswith(prefix), f"{path.name}: first line must be '{prefix}<JSON path> <keyword>'"
    where, keyword = first.removeprefix(prefix).rsplit(" ", 1)
    return where, keyword


# --- the schemas themselves -------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = json.loads(SCHEMAS[name].SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_checked_in_schema_is_current(name: str) -> None:
    module = SCHEMAS[name]
    current = module.SCHEMA_PATH.read_text(encoding="utf-8") if module.SCHEMA_PATH.exists() else ""
    assert current == RENDER[name](), (
        f"{module.SCHEMA_PATH.relative_to(ROOT)} is out of date with its module or the vocabulary; "
        f"regenerate it with `{module.REGENERATE}`"
    )


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_shipped_copy_is_the_checked_in_file(name: str) -> None:
    """engine/data/ links to schemas/, so the installed package ships the same file."""
    shipped = ROOT / "engine" / "data" / f"{name}.schema.json"
    assert shipped.resolve() == SCHEMAS[name].SCHEMA_PATH.resolve()


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_main_writes_and_checks(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = SCHEMAS[name]
    target = tmp_path / "schemas" / f"{name}.schema.json"
    monkeypatch.setattr(module, "SCHEMA_PATH", target)
    assert module.main(["--check"]) == 1
    assert module.main([]) == 0
    assert target.read_text(encoding="utf-8") == RENDER[name]()
    assert module.main(["--check"]) == 0
    assert module.main(["--bogus"]) == 2


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_every_property_has_a_description(name: str) -> None:
    schema = BUILD[name]()
    assert schema.get("description")
    missing = list(undescribed(schema, "#"))
    assert not missing, "no description at:\n" + "\n".join(missing)


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_strict_everywhere(name: str) -> None:
    """Every object schema that declares properties refuses the undeclared ones."""
    loose = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{where}/{i}")
        elif isinstance(node, dict):
            if "properties" in node and node.get("type") == "object" and node.get("additionalProperties") is not False:
                loose.append(where)
            for key, value in node.items():
                walk(value, f"{where}/{key}")

    walk(BUILD[name](), "#")
    assert not loose, f"objects accepting unknown keys: {loose}"


def test_free_text_fields_say_cpc_never_prints_them() -> None:
    defs = case_schema.build_case_schema()["$defs"]
    for text in (defs["child"]["properties"]["name"], defs["significant_change"]["properties"]["description"]):
        assert "cpc never prints it" in text["description"]


def test_closed_sets_come_from_the_vocabulary() -> None:
    defs = case_schema.build_case_schema()["$defs"]
    assert defs["conference"]["properties"]["type"]["enum"] == list(FACTS["conference.type"].values)
    assert defs["plan"]["properties"]["end_reason"]["enum"] == list(FACTS["plan.end_reason"].values)
    assert defs["plan"]["properties"]["ended_by"]["enum"] == list(FACTS["plan.ended_by"].values)
    ground = defs["exclusion_request"]["properties"]["ground"]["enum"]
    assert ground == [*FACTS["exclusion_request.ground"].values, "other"]
    results = result_schema.build_result_schema()["$defs"]
    assert results["event"]["enum"] == list(EVENTS)
    assert results["fact"]["enum"] == list(FACTS)


def test_a_value_without_a_meaning_fails_the_build() -> None:
    with pytest.raises(KeyError):
        case_schema._enum(["initial", "new_type"], case_schema.CONFERENCE_TYPES, "The type.")


# --- the date-time pattern agrees with the calendar -------------------------------------------------


def _real(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def test_date_time_pattern_accepts_exactly_the_real_dates() -> None:
    pattern = re.compile(case_schema.DATE_TIME_PATTERN)
    wrong = [
        f"{y:04}-{m:02}-{d:02}"
        for y in (1900, 1996, 2000, 2023, 2024, 2025, 2026, 2100, 2400)
        for m in range(0, 14)
        for d in range(0, 33)
        if bool(pattern.match(f"{y:04}-{m:02}-{d:02}T10:00")) != _real(y, m, d)
    ]
    assert not wrong, f"the pattern disagrees with the calendar on {wrong[:10]}"


@pytest.mark.parametrize("text", ["2025-01-24T00:00", "2025-01-24T23:59", "2025-01-24T17:30:59"])
def test_date_time_pattern_accepts_local_times(text: str) -> None:
    assert re.match(case_schema.DATE_TIME_PATTERN, text)


@pytest.mark.parametrize(
    "text",
    ["2025-01-24T24:00", "2025-01-24T17:60", "2025-01-24T7:30", "2025-01-24 17:30", "2025-01-24T17:30+01:00"],
)
def test_date_time_pattern_refuses_other_times(text: str) -> None:
    assert not re.match(case_schema.DATE_TIME_PATTERN, text)


def test_unquoted_time_is_a_number_and_refused() -> None:
    """Why `time`'s description says to quote it: YAML 1.1 reads 10:00 as sexagesimal 600."""
    conference = yaml.safe_load("id: icpc-1\ndate: 2025-01-24\ntime: 10:00\n")
    assert conference["time"] == 600
    document = {"id": "c", "conferences": [jsonable(conference)]}
    assert errors(document) == [("$.conferences[0].time", "type")]


# --- the docs are the contract ----------------------------------------------------------------------


def _table_rows(doc: Path, heading: str) -> list[list[str]]:
    """The body rows of the first table under ``heading``, as cells; escaped pipes stay in their cell."""
    text = doc.read_text(encoding="utf-8")
    assert f"\n{heading}\n" in text, f"{doc.name} has no line '{heading}' to find its table by"
    section = text.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if set(cells[0]) <= {"-", " "}:
            continue
        rows.append(cells)
    return rows[1:]  # the header


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _case_fields() -> dict[str, dict[str, Any]]:
    """Each field path as docs/case-format.md writes it (`conferences[].reports[].agency`) and its schema."""
    schema = case_schema.build_case_schema()
    fields: dict[str, dict[str, Any]] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        for name, prop in node["properties"].items():
            sub = _resolve(schema, prop)
            path = prefix + name
            if sub.get("type") == "object":
                walk(sub, path + ".")
            elif sub.get("type") == "array" and _resolve(schema, sub["items"]).get("type") == "object":
                fields[path + "[]"] = sub
                walk(_resolve(schema, sub["items"]), path + "[].")
            else:
                fields[path] = sub

    walk(schema, "")
    return fields


def _doc_fields() -> dict[str, str]:
    return {re.findall(r"`([^`]+)`", row[0])[0]: row[1] for row in _table_rows(CASE_DOC, "## Fields")}


def test_case_schema_has_exactly_the_documented_fields() -> None:
    documented, schema = set(_doc_fields()), set(_case_fields())
    assert documented == schema, f"only in docs: {documented - schema}; only in schema: {schema - documented}"


def test_every_date_field_of_the_schema_is_parsed_from_json() -> None:
    # JSON has no dates: a key missing from DATE_KEYS stays a string in a JSON case, and a rule counting
    # from it silently never applies, while the same case as YAML works.
    schema = case_schema.build_case_schema()
    dates = (schema["$defs"]["date"], schema["$defs"]["date_or_date_time"])
    found = set()
    for path, node in _case_fields().items():
        items = _resolve(schema, node["items"]) if node.get("type") == "array" else None
        if node in dates or items in dates:
            found.add(path.rsplit(".", 1)[-1])
    assert found == set(DATE_KEYS)


def test_case_schema_types_are_the_documented_ones() -> None:
    schema = case_schema.build_case_schema()
    fields = _case_fields()
    date = schema["$defs"]["date"]
    for field, kind in _doc_fields().items():
        node = fields[field]
        values = re.findall(r"`([^`]+)`", kind)
        if "\\|" in kind or kind.startswith("one of"):
            assert node["enum"] == values, field
        elif kind == "`HH:MM`":
            assert node["pattern"] == case_schema.TIME_PATTERN, field
        elif kind == "date":
            assert node == date, field
        elif kind == "date or date-time":
            assert node == schema["$defs"]["date_or_date_time"], field
        elif kind == "list of dates":
            assert node["type"] == "array" and _resolve(schema, node["items"]) == date, field
        elif kind == "list of strings":
            assert node["type"] == "array" and node["items"]["type"] == "string", field
        elif kind == "list":
            assert node["type"] == "array", field
        else:
            assert node["type"] == kind, field


def test_documented_case_example_is_valid() -> None:
    text = CASE_DOC.read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", text, re.DOTALL)
    assert example, "docs/case-format.md has no YAML example"
    assert errors(jsonable(yaml.safe_load(example.group(1)))) == []


def test_documented_policy_test_case_is_valid() -> None:
    text = RESULTS_DOC.read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", text, re.DOTALL)
    assert example, "docs/results.md has no YAML example"
    assert errors(jsonable(yaml.safe_load(example.group(1))["case"])) == []


def test_result_schema_has_exactly_the_documented_fields() -> None:
    documented = {name for row in _table_rows(RESULTS_DOC, "## A result") for name in re.findall(r"`([^`]+)`", row[0])}
    schema = set(result_schema.build_result_schema()["$defs"]["result"]["properties"])
    assert documented == schema, f"only in docs: {documented - schema}; only in schema: {schema - documented}"


def test_result_statuses_are_the_documented_ones() -> None:
    documented: dict[str, list[str]] = {}
    for kind, status, *_ in _table_rows(RESULTS_DOC, "Statuses:"):
        documented.setdefault(kind, []).append(status.strip("`"))
    branches = result_schema.build_result_schema()["$defs"]["result"]["allOf"]
    schema = {b["if"]["properties"]["kind"]["const"]: b["then"]["properties"]["status"]["enum"] for b in branches}
    assert schema == documented


# --- example cases ----------------------------------------------------------------------------------


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 6
    assert POSITIVE and NEGATIVE


@pytest.mark.parametrize("path", EXAMPLES + POSITIVE, ids=lambda p: p.name)
def test_example_validates(path: Path) -> None:
    assert errors(load(path)) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_points_editors_at_the_schema_and_names_nobody(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# yaml-language-server: $schema=../../schemas/case.schema.json"
    assert lines[2].startswith("# "), f"{path.name}: say what the example shows in a comment after the modeline"
    name = load(path).get("child", {}).get("name")
    assert name is None or name.startswith("Test Child"), f"{path.name}: examples are synthetic"


@pytest.mark.parametrize("path", NEGATIVE, ids=lambda p: p.name)
def test_negative_example_fails_where_it_says(path: Path) -> None:
    where, keyword = expectation(path)
    found = errors(load(path))
    assert (where, keyword) in found, f"expected an error at {where} ({keyword}); got {found}"


def test_negative_examples_cover_the_required_cases() -> None:
    names = {p.stem for p in NEGATIVE}
    required = {
        "unknown-key-top-level",
        "unknown-key-conference",
        "bad-conference-type",
        "impossible-date",
        "time-without-date",
        "agencies-present-not-a-list",
        "unknown-end-reason",
    }
    assert required <= names, f"missing negative examples: {sorted(required - names)}"


# --- the fields of the vocabulary's pre-birth, legal-order, invitation and report-withholding terms ---------

# One case with every one of them, as JSON gives it: dates are strings until the case is read.
NEW_FIELDS_CASE: dict[str, Any] = {
    "id": "child-0012",
    "child": {"expected_date_of_birth": "2026-06-01", "premature_birth_likely": True, "care_order": False},
    "pre_proceedings": {"letter_sent": "2026-03-02"},
    "birth_hospital": {"discharge_meeting": "2026-06-03", "discharged": "2026-06-05"},
    "child_assessment_order": {"made": "2026-01-05", "assessments_concluded": "2026-01-09"},
    "looked_after_review": {"considered": "2026-02-02", "returned_home": "2026-04-01"},
    "conferences": [
        {
            "id": "pbc-1",
            "type": "pre_birth",
            "date": "2026-03-16",
            "parents_invited": False,
            "invitation_would_prejudice_child": True,
            "interpreter_needed": True,
            "interpreter_offered": True,
            "fewer_than_three_agencies_in_contact": True,
            "reports": [
                {
                    "agency": "childrens_social_care",
                    "sent_to_chair": "2026-03-11",
                    "withheld_from_parents": True,
                    "withholding_agreed": "2026-03-10",
                }
            ],
            "outcome": {"plan": False, "cin_plan_or_recommendations": True, "no_help_needed": False},
        }
    ],
}
NEW_DATES = {
    ("pre_proceedings", "letter_sent"): dt.date(2026, 3, 2),
    ("birth_hospital", "discharge_meeting"): dt.date(2026, 6, 3),
    ("birth_hospital", "discharged"): dt.date(2026, 6, 5),
    ("child_assessment_order", "made"): dt.date(2026, 1, 5),
    ("child_assessment_order", "assessments_concluded"): dt.date(2026, 1, 9),
    ("looked_after_review", "considered"): dt.date(2026, 2, 2),
    ("looked_after_review", "returned_home"): dt.date(2026, 4, 1),
}


def test_a_case_with_every_new_field_validates_and_its_dates_are_read_from_json() -> None:
    assert errors(NEW_FIELDS_CASE) == []
    case = read_case(json.loads(json.dumps(NEW_FIELDS_CASE)), "child-0012.json")
    for (block, key), day in NEW_DATES.items():
        assert case[block][key] == day, f"{block}.{key}"
    [report] = case["conferences"][0]["reports"]
    assert report["withholding_agreed"] == dt.date(2026, 3, 10)
    assert report["withheld_from_parents"] is True


def test_the_new_fields_are_where_the_vocabulary_says_they_come_from() -> None:
    """The spec names a case field for each new event and fact; each is in the schema with its type."""
    fields = _case_fields()
    date = case_schema.build_case_schema()["$defs"]["date"]
    flags = [
        "child.premature_birth_likely",
        "child.care_order",
        "conferences[].parents_invited",
        "conferences[].invitation_would_prejudice_child",
        "conferences[].interpreter_needed",
        "conferences[].interpreter_offered",
        "conferences[].fewer_than_three_agencies_in_contact",
        "conferences[].outcome.cin_plan_or_recommendations",
        "conferences[].outcome.no_help_needed",
        "conferences[].reports[].withheld_from_parents",
    ]
    dates = [f"{block}.{key}" for block, key in NEW_DATES] + ["conferences[].reports[].withholding_agreed"]
    assert [f for f in flags if fields.get(f, {}).get("type") != "boolean"] == []
    assert [f for f in dates if fields.get(f) != date] == []


WRONG_TYPES = {
    "care order as a flag letter": (
        "id: x\nchild:\n  care_order: 'Y'\n",
        "3:15: CPC100 expected a boolean (child.care_order)",
    ),
    "interpreter named, not flagged": (
        "id: x\nconferences:\n  - id: c\n    interpreter_needed: Polish\n",
        "4:25: CPC100 expected a boolean (conferences[0].interpreter_needed)",
    ),
    "report withheld as text": (
        "id: x\nconferences:\n  - id: c\n    reports:\n      - agency: police\n        withheld_from_parents: 'yes'\n",
        "6:32: CPC100 expected a boolean (conferences[0].reports[0].withheld_from_parents)",
    ),
    "withholding agreed as a flag, not a date": (
        "id: x\nconferences:\n  - id: c\n    reports:\n      - agency: police\n        withholding_agreed: true\n",
        "6:29: CPC100 expected a string (conferences[0].reports[0].withholding_agreed)",
    ),
    "no help needed as a number": (
        "id: x\nconferences:\n  - id: c\n    outcome:\n      no_help_needed: 1\n",
        "5:23: CPC100 expected a boolean (conferences[0].outcome.no_help_needed)",
    ),
    "assessments concluded not a date": (
        "id: x\nchild_assessment_order:\n  made: 2025-03-03\n  assessments_concluded: soon\n",
        "4:26: CPC100 not a valid date (child_assessment_order.assessments_concluded)",
    ),
    "impossible return home": (
        "id: x\nlooked_after_review:\n  returned_home: 2025-02-30\n",
        "3:18: CPC001 not a valid date: its day, month or year is out of range",
    ),
    "misspelt discharge": (
        "id: x\nbirth_hospital:\n  discharged_on: 2025-02-03\n",
        "3:3: CPC100 unknown key (birth_hospital)",
    ),
}


@pytest.mark.parametrize("name", sorted(WRONG_TYPES))
def test_a_wrong_value_in_a_new_field_is_refused_at_its_file_line_and_column(tmp_path: Path, name: str) -> None:
    text, expected = WRONG_TYPES[name]
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CaseError) as caught:
        load_case(path)
    shown = [f"{f.file}:{f.line}:{f.column}: {f.code} {f.message} ({f.path})" for f in caught.value.findings]
    assert shown[0].startswith(f"{path}:{expected}"), shown


def test_cpc_eval_names_the_file_line_and_column_of_a_wrong_new_field(run_cpc, tmp_path: Path) -> None:
    text, expected = WRONG_TYPES["report withheld as text"]
    case = tmp_path / "case.yaml"
    case.write_text(text, encoding="utf-8")
    result = run_cpc("eval", "--policy", "berkshire", str(case), "--as-of", "2026-01-01")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"{case}:{expected}"), result.stderr


# --- results ----------------------------------------------------------------------------------------

CITATION = {
    "source": "berkshire-cpc",
    "file": "004_60b63b0436c08953.txt",
    "quote": "should take place within 15 working days of",
}
WHERE = {"area": "berkshire", "policy_version": "v97", "defined_in": "berkshire", "citations": [CITATION]}
EVALUATION: dict[str, Any] = {
    "case": "example-late-review",
    "area": "berkshire",
    "policy_version": "v97",
    "as_of": "2026-03-02",
    "results": [
        {
            "rule": "icpc-timescale",
            "title": "The initial conference is within 15 working days of the strategy discussion.",
            "kind": "deadline",
            "status": "met",
            "what": ["initial_conference", "pre_birth_conference"],
            "clock": {"event": "strategy_discussion", "date": "2025-03-24"},
            "due": "2025-04-14",
            "done": "2025-04-10",
            **WHERE,
        },
        {
            "rule": "first-review-timescale",
            "title": "The first review is within three months.",
            "kind": "deadline",
            "status": "missed",
            "what": "review_conference",
            "clock": {"event": "first_conference", "date": "2025-04-10"},
            "due": "2025-07-10",
            "done": "2025-07-31",
            "late": {"amount": 21, "unit": "days"},
            **WHERE,
        },
        {
            "rule": "review-interval",
            "title": "Reviews are at most six months apart.",
            "kind": "deadline",
            "status": "overdue",
            "what": "review_conference",
            "clock": {"event": "review_conference", "date": "2025-07-31"},
            "due": "2026-01-31",
            "late": {"amount": 30, "unit": "days"},
            **WHERE,
        },
        {
            "rule": "documents-sent",
            "title": "Documents are sent within 24 hours.",
            "kind": "deadline",
            "status": "pending",
            "subject": {"type": "conference", "id": "review-2"},
            "what": "documents_sent",
            "clock": {"event": "conference", "date": "2026-03-02T10:00"},
            "due": "2026-03-03T10:00",
            **WHERE,
        },
        {
            "rule": "quorum",
            "title": "A conference is quorate.",
            "kind": "requirement",
            "status": "met",
            "subject": {"type": "conference", "id": "icpc-1"},
            "failed": [],
            "missing": [],
            **WHERE,
        },
        {
            "rule": "exclusion-request-grounds",
            "title": "A request to exclude a parent states a ground.",
            "kind": "requirement",
            "status": "breached",
            "subject": {"type": "exclusion_request", "id": "icpc-1/exclusion-2"},
            "failed": ["exclusion_request.ground is one of the six grounds"],
            "missing": [],
            **WHERE,
        },
        {
            "rule": "plan-end-without-review-consultation",
            "title": "The manager consults the agencies.",
            "kind": "requirement",
            "status": "not_assessable",
            "missing": ["plan.agencies_consulted"],
            **WHERE,
        },
        {
            "rule": "child-attendance-under-12",
            "title": "A child under twelve is presumed unlikely to participate fully.",
            "kind": "decision",
            "status": "applies",
            "subject": {"type": "conference", "id": "icpc-1"},
            "action": "presume_indirect_participation",
            "directs": "Make alternative arrangements so the child's wishes and feelings are made clear.",
            "matched": [
                {
                    "pattern": "child-attendance-under-12",
                    "fact": "conference icpc-1",
                    "conditions": ["conference.child_age_years below 12"],
                }
            ],
            **WHERE,
        },
        {
            "rule": "report-to-chair-review",
            "title": "Reports reach the chair five working days before a review.",
            "kind": "deadline",
            "status": "missed",
            "subject": {"type": "report", "id": "review-1/report-1"},
            "what": "report_to_chair",
            "clock": {"event": "conference", "date": "2025-07-31"},
            "due": "2025-07-24",
            "done": "2025-07-28",
            "late": {"amount": 2, "unit": "working days"},
            **WHERE,
        },
    ],
}

# (where in EVALUATION, the change, and the error it must give).
BROKEN_RESULTS: dict[str, tuple[tuple[Any, ...], Any, tuple[str, str]]] = {
    "unknown key": (("surplus",), 1, ("$", "additionalProperties")),
    "bad as_of": (("as_of",), "2026-02-30", ("$.as_of", "format")),
    "requirement status of a deadline": (("results", 0, "status"), "applies", ("$.results[0].status", "enum")),
    # A deadline is breached only as a lower bound: with an earliest date and how early, never a due date alone.
    "breached without earliest": (("results", 0, "status"), "breached", ("$.results[0]", "required")),
    "decision status of a deadline": (("results", 7, "status"), "met", ("$.results[7].status", "enum")),
    "deadline key on a decision": (("results", 7, "due"), "2026-01-01", ("$.results[7]", "enum")),
    "requirement key on a deadline": (("results", 0, "missing"), [], ("$.results[0]", "enum")),
    "met without done": (("results", 0, "done"), None, ("$.results[0]", "required")),
    "met with late": (("results", 0, "late"), {"amount": 0, "unit": "days"}, ("$.results[0]", "not")),
    "pending with done": (("results", 3, "done"), "2026-03-02", ("$.results[3]", "not")),
    "overdue without late": (("results", 2, "late"), None, ("$.results[2]", "required")),
    "late in weeks": (("results", 1, "late", "unit"), "weeks", ("$.results[1].late.unit", "enum")),
    "late by a negative amount": (("results", 1, "late", "amount"), -1, ("$.results[1].late.amount", "minimum")),
    "due at 24:00": (("results", 3, "due"), "2026-03-02T24:00", ("$.results[3].due", "pattern")),
    "unknown clock event": (("results", 0, "clock", "event"), "s47", ("$.results[0].clock.event", "enum")),
    "unknown what": (("results", 1, "what"), "review", ("$.results[1].what", "enum")),
    "breached without failed": (("results", 5, "failed"), [], ("$.results[5].failed", "minItems")),
    # Neither what is missing nor why (a source that does not record it): the schema cannot say which was meant.
    "not assessable without missing": (("results", 6, "missing"), [], ("$.results[6]", "anyOf")),
    "missing an unknown fact": (("results", 6, "missing"), ["agencies"], ("$.results[6].missing[0]", "enum")),
    "subject of another type": (("results", 4, "subject", "type"), "plan", ("$.results[4].subject.type", "enum")),
    "no citation": (("results", 4, "citations"), [], ("$.results[4].citations", "minItems")),
    "decision without directs": (("results", 7, "directs"), None, ("$.results[7]", "required")),
}


def test_sample_evaluation_is_valid() -> None:
    assert errors(EVALUATION, "result") == []


@pytest.mark.parametrize("change", list(BROKEN_RESULTS))
def test_broken_result_is_refused(change: str) -> None:
    steps, value, expected = BROKEN_RESULTS[change]
    document = copy.deepcopy(EVALUATION)
    node: Any = document
    for step in steps[:-1]:
        node = node[step]
    if value is None:
        del node[steps[-1]]
    else:
        node[steps[-1]] = value
    found = errors(document, "result")
    assert expected in found, f"expected {expected}; got {found}"


# --- check-jsonschema -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_report() -> tuple[int, dict[str, Any]]:
    """One run of the third-party CLI over every case file: it takes most of a second to start."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--schemafile",
            str(case_schema.SCHEMA_PATH),
            "--output-format",
            "json",
            *map(str, EXAMPLES + POSITIVE + NEGATIVE),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def reported(report: dict[str, Any], files: list[Path]) -> list[dict[str, Any]]:
    """The CLI's errors and parse errors about ``files``."""
    wanted = {str(f) for f in files}
    return [e for e in report["errors"] + report["parse_errors"] if e["filename"] in wanted]


def test_check_jsonschema_accepts_the_examples(cli_report: tuple[int, dict[str, Any]]) -> None:
    _, report = cli_report
    failing = reported(report, EXAMPLES + POSITIVE)
    assert not failing, json.dumps(failing, indent=1)


def test_check_jsonschema_rejects_negative_examples(cli_report: tuple[int, dict[str, Any]]) -> None:
    code, report = cli_report
    assert code == 1
    for path in NEGATIVE:
        where, _ = expectation(path)
        paths = {e.get("path") for e in reported(report, [path])}
        assert where in paths, f"{path.name}: check-jsonschema reported {paths or 'no error'}, not {where}"
