"""The policy schema: generated from the vocabulary, valid, described, and strict about shape.

Example documents live in tests/data/schema/: every file in positive/ must validate; every file in
negative/ must fail, and its first line names where and how, as ``# error-at: <JSON path> <keyword>``,
so that a negative file cannot pass by failing for some other reason.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker

from engine.core.durations import DurationError, Unit, parse_duration
from engine.core.vocabulary import EVENTS, FACTS
from engine.policy import schema as policy_schema
from engine.policy.schema import REGENERATE, SCHEMA_PATH, build_policy_schema, render_policy_schema

from .schema_walk import undescribed

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "schema"
POSITIVE = sorted((DATA / "positive").glob("*.yaml"))
NEGATIVE = sorted((DATA / "negative").glob("*.yaml"))
SHIPPED = sorted((ROOT / "policies").glob("*/*.yaml"))


def jsonable(data: Any) -> Any:
    """Dates as ISO strings, as the project's loader hands documents to the validator.

    ``yaml.safe_load`` turns an unquoted ``2025-03-25`` into a ``datetime.date``, which no JSON Schema
    type matches; the schema describes dates as strings.
    """
    if isinstance(data, dict):
        return {key: jsonable(value) for key, value in data.items()}
    if isinstance(data, list):
        return [jsonable(value) for value in data]
    if isinstance(data, dt.date):
        return data.isoformat()
    return data


def load(path: Path) -> Any:
    return jsonable(yaml.safe_load(path.read_text(encoding="utf-8")))


@cache
def validator() -> Draft202012Validator:
    # The checked-in file, not a fresh build: it is what editors and check-jsonschema read.
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=FormatChecker())


def errors(document: Any) -> list[tuple[str, str]]:
    """(JSON path, keyword) of each error in ``document``."""
    return [(e.json_path, str(e.validator)) for e in validator().iter_errors(document)]


def expectation(path: Path) -> tuple[str, str]:
    """The (JSON path, keyword) a negative example's first line says it fails at."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# error-at: "
    assert first.startswith(prefix), f"{path.name}: first line must be '{prefix}<JSON path> <keyword>'"
    where, keyword = first.removeprefix(prefix).rsplit(" ", 1)
    return where, keyword


# --- the schema itself -----------------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_checked_in_schema_is_current() -> None:
    current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
    assert current == render_policy_schema(), (
        f"{SCHEMA_PATH.relative_to(ROOT)} is out of date with engine/policy/schema.py or the vocabulary; "
        f"regenerate it with `{REGENERATE}`"
    )


def test_every_property_has_a_description() -> None:
    schema = build_policy_schema()
    assert schema.get("description")
    missing = list(undescribed(schema, "#"))
    assert not missing, "no description at:\n" + "\n".join(missing)


def test_strict_everywhere() -> None:
    """Every object schema that declares properties refuses the undeclared ones."""
    loose = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{where}/{i}")
        elif isinstance(node, dict):
            # Property schemas inside if/then carry no type: they refine an object declared above.
            declares = "properties" in node and node.get("type") == "object"
            if declares and node.get("additionalProperties") is not False:
                loose.append(where)
            for key, value in node.items():
                walk(value, f"{where}/{key}")

    walk(build_policy_schema(), "#")
    assert not loose, f"objects accepting unknown keys: {loose}"


def test_names_come_from_the_vocabulary() -> None:
    defs = build_policy_schema()["$defs"]
    for name, terms in (("event", EVENTS), ("fact", FACTS)):
        known, other = defs[name]["anyOf"]
        assert known["enum"] == list(terms)
        assert known["enumDescriptions"] == [t.meaning for t in terms.values()]
        assert other["pattern"] == policy_schema.NAME_PATTERN


def test_main_writes_and_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "schemas" / "policy.schema.json"
    monkeypatch.setattr(policy_schema, "SCHEMA_PATH", target)
    assert policy_schema.main(["--check"]) == 1
    assert policy_schema.main([]) == 0
    assert target.read_text(encoding="utf-8") == render_policy_schema()
    assert policy_schema.main(["--check"]) == 0


# --- durations --------------------------------------------------------------------------------------


def _duration_accepted(text: str) -> bool:
    duration = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))["$defs"]["duration"]
    return Draft202012Validator(duration).is_valid(text)


@pytest.mark.parametrize("unit", list(Unit))
def test_duration_pattern_accepts_what_the_docs_describe(unit: Unit) -> None:
    for text in (
        f"1 {unit.singular}",
        f"0 {unit.value}",
        f"15 {unit.value}",
        f"{CENTURY.get(unit, 9999)} {unit}",
    ):
        assert _duration_accepted(text), text
        parse_duration(text)


# The most of each unit a time limit may be (a century); the schema checks spelling, lint CPC301 the length.
CENTURY = {Unit.WEEKS: 5217, Unit.MONTHS: 1200, Unit.YEARS: 100}


@pytest.mark.parametrize("text", ["5218 weeks", "1201 months", "101 years", "9999 years"])
def test_a_duration_spelt_right_but_longer_than_a_century_is_refused_by_the_parser(text: str) -> None:
    assert _duration_accepted(text)
    with pytest.raises(DurationError, match="longer than 100 years"):
        parse_duration(text)


@pytest.mark.parametrize(
    "text",
    [
        "15 working day",  # the parser's singular slip
        "1 days",  # and its plural slip: one is written in the singular
        "2 month",
        "fifteen working days",
        "15",
        "working days",
        "15 business days",
        "1.5 days",
        "-1 days",
        "10000 days",
        "15 Working Days",
        "15  working days",
        " 15 working days",
        "15 working days ",
        "15workingdays",
    ],
)
def test_duration_pattern_is_never_looser_than_the_parser(text: str) -> None:
    """The schema refuses these. The parser refuses them too, or reads a case or spacing variant of a
    canonical duration: the docs describe one spelling, and the schema holds authors to it."""
    assert not _duration_accepted(text)
    try:
        duration = parse_duration(text)
    except DurationError:
        return
    assert " ".join(text.lower().split()) == str(duration)


# --- examples ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", POSITIVE, ids=lambda p: p.name)
def test_positive_example_validates(path: Path) -> None:
    assert errors(load(path)) == []


@pytest.mark.parametrize("path", NEGATIVE, ids=lambda p: p.name)
def test_negative_example_fails_where_it_says(path: Path) -> None:
    where, keyword = expectation(path)
    found = errors(load(path))
    assert (where, keyword) in found, f"expected an error at {where} ({keyword}); got {found}"


def test_negative_examples_cover_the_required_cases() -> None:
    names = {p.stem for p in NEGATIVE}
    required = {
        "unknown-key-top-level",
        "unknown-key-rule",
        "unknown-key-deadline",
        "unknown-key-citation",
        "missing-cite",
        "wrong-kind",
        "deadline-within-and-at-least",
        "malformed-duration",
        "bad-date",
        "bad-id",
        "statutory-minimum-on-within",
    }
    assert required <= names, f"missing negative examples: {sorted(required - names)}"


# A small valid policy, and where an unknown key can be slipped into it.
BASE: dict[str, Any] = {
    "area": "berkshire",
    "title": "Child Protection Conferences",
    "version": "v97",
    "effective_from": "2025-03-25",
    "sources": {"berkshire-cpc": {"title": "Procedures", "file": "004.txt"}},
    "calendar": {"bank_holidays": "england-and-wales"},
    "rules": [
        {
            "id": "icpc-timescale",
            "title": "The initial conference is within 15 working days of the strategy discussion.",
            "kind": "deadline",
            "topic": "timescales",
            "when": [{"fact": "child.unborn", "equals": False}],
            "deadline": {
                "what": "initial_conference",
                "within": "15 working days",
                "of": "strategy_discussion",
            },
            "cite": {"source": "berkshire-cpc", "quote": "within 15 working days of"},
        },
        {
            "id": "quorum",
            "title": "A conference is quorate.",
            "kind": "requirement",
            "topic": "quorum",
            "requirement": {"applies_to": "conference", "require": [{"fact": "plan.open", "present": True}]},
            "cite": [{"source": "berkshire-cpc", "quote": "quorate"}],
        },
    ],
    "overrides": [
        {
            "id": "report-to-chair",
            "deadline": {"at_least": "3 working days"},
            "cite": {"source": "x", "quote": "3"},
        }
    ],
    "withdrawn": [{"id": "pre-birth-review", "reason": "Not used here."}],
}

UNKNOWN_KEY_AT = {
    "top level": ((), "$"),
    "source": (("sources", "berkshire-cpc"), "$.sources['berkshire-cpc']"),
    "calendar": (("calendar",), "$.calendar"),
    "rule": (("rules", 0), "$.rules[0]"),
    "deadline": (("rules", 0, "deadline"), "$.rules[0].deadline"),
    "condition": (("rules", 0, "when", 0), "$.rules[0].when[0]"),
    "requirement": (("rules", 1, "requirement"), "$.rules[1].requirement"),
    "citation": (("rules", 0, "cite"), "$.rules[0].cite"),
    "citation in a list": (("rules", 1, "cite", 0), "$.rules[1].cite[0]"),
    "override": (("overrides", 0), "$.overrides[0]"),
    "override's deadline": (("overrides", 0, "deadline"), "$.overrides[0].deadline"),
    "withdrawal": (("withdrawn", 0), "$.withdrawn[0]"),
}


def test_base_document_is_valid() -> None:
    assert errors(BASE) == []


@pytest.mark.parametrize("location", list(UNKNOWN_KEY_AT))
def test_unknown_key_is_rejected(location: str) -> None:
    steps, where = UNKNOWN_KEY_AT[location]
    document = copy.deepcopy(BASE)
    node: Any = document
    for step in steps:
        node = node[step]
    node["remarks"] = "an unknown key"
    assert errors(document) == [(where, "additionalProperties")]


# --- check-jsonschema -------------------------------------------------------------------------------


def check_jsonschema(files: list[Path]) -> tuple[int, dict[str, Any]]:
    """Run the third-party CLI over ``files``; its exit code and JSON report."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--schemafile",
            str(SCHEMA_PATH),
            "--output-format",
            "json",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


@pytest.fixture(scope="module")
def cli_report() -> tuple[int, dict[str, Any]]:
    # One run over every file: the CLI takes most of a second to start.
    return check_jsonschema(POSITIVE + NEGATIVE + SHIPPED)


def reported(report: dict[str, Any], files: list[Path]) -> list[dict[str, Any]]:
    """The CLI's errors and parse errors about ``files``."""
    wanted = {str(f) for f in files}
    return [e for e in report["errors"] + report["parse_errors"] if e["filename"] in wanted]


def test_check_jsonschema_accepts_positive_examples(cli_report: tuple[int, dict[str, Any]]) -> None:
    """Also shows check-jsonschema reads unquoted YAML dates as strings: the examples have some."""
    _, report = cli_report
    assert not reported(report, POSITIVE)


def test_check_jsonschema_rejects_negative_examples(cli_report: tuple[int, dict[str, Any]]) -> None:
    code, report = cli_report
    assert code == 1
    for path in NEGATIVE:
        where, _ = expectation(path)
        paths = {e.get("path") for e in reported(report, [path])}
        assert where in paths, f"{path.name}: check-jsonschema reported {paths or 'no error'}, not {where}"


@pytest.mark.skipif(not SHIPPED, reason="no policies/*/*.yaml yet")
def test_check_jsonschema_accepts_shipped_policies(cli_report: tuple[int, dict[str, Any]]) -> None:
    _, report = cli_report
    failing = reported(report, SHIPPED)
    assert not failing, json.dumps(failing, indent=1)
