"""`cpc import ssd`: an SSD extract read, joined and mapped to cases, with nothing dropped uncounted."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import engine
from engine.cli.ssd_command import import_group
from engine.evaluation.case_files import read_case
from engine.ssd import mapping as ssd
from engine.ssd.episodes import MappedCase, current_involvement
from engine.ssd.reader import _RECORDED_REASON, SsdError, parse_datetime, parse_flag, read_extract
from engine.ssd.store import Involvement, id_sort_key
from engine.ssd.tables import (
    BLANK_ID,
    CIN,
    DUPLICATE_COLUMN,
    DUPLICATE_ID,
    EARLIER_EPISODE,
    EXTRA_CELLS,
    FIELDS,
    ICPC,
    LONG_ID,
    MAPPED_TABLES,
    MERGED_LINES,
    NO_CONFERENCE,
    NO_CP_RECORDS,
    NOT_CURRENT_INVOLVEMENT,
    NOT_STEP_DOWN,
    OUT_OF_RANGE_DATE,
    PLANS,
    RECORDED_WHILE_UNBORN,
    SSD_EVENTS,
    TABLE_NOT_MAPPED,
    TIME_IGNORED,
    UNKNOWN_CATEGORY,
    UNKNOWN_COLUMN,
    UNKNOWN_PERSON,
    UNKNOWN_PLAN,
    UNREADABLE_DATE,
    UNREADABLE_FLAG,
    UNREADABLE_JSON,
    mapping_markdown,
    not_recorded,
    rules_ssd_cannot_meet,
)

from .conftest import ROOT

FIXTURE = ROOT / "examples" / "ssd"
EXPECTED = json.loads((FIXTURE / "EXPECTED.json").read_text(encoding="utf-8"))
AS_OF = dt.date.fromisoformat(EXPECTED["as_of"])
TIMESCALE_RULES = ("icpc-timescale", "first-review-timescale", "review-interval")


def _generator():
    spec = importlib.util.spec_from_file_location("generate_ssd", ROOT / "bench" / "generate_ssd.py")
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up by name, so it must be registered before it runs.
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def imported() -> tuple[list[MappedCase], ssd.ImportReport]:
    report = ssd.ImportReport()
    cases = list(ssd.iter_cases(read_extract(FIXTURE), report))
    return cases, report


def _by_id(cases: list[MappedCase]) -> dict[str, MappedCase]:
    return {c.id: c for c in cases}


def _copy(tmp_path: Path, leave_out: tuple[str, ...] = ()) -> Path:
    target = tmp_path / "extract"
    target.mkdir()
    for path in FIXTURE.glob("*.csv"):
        if path.stem not in leave_out:
            shutil.copy(path, target / path.name)
    return target


def _write(folder: Path, tables: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


# -- the fixture ------------------------------------------------------------------------------------------


def test_the_generator_reproduces_the_fixture_byte_for_byte(tmp_path: Path) -> None:
    """examples/ssd is exactly what the seeded generator writes, so EXPECTED.json is what it planted."""
    out = tmp_path / "ssd"
    assert _generator().main([str(out), "--children", "40", "--seed", "2025"]) == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(p.name for p in FIXTURE.iterdir())
    for name in written:
        assert (out / name).read_bytes() == (FIXTURE / name).read_bytes(), name


def test_one_valid_case_per_child_with_child_protection_records(imported) -> None:
    cases, report = imported
    assert (report.persons, report.cases, report.without_records) == (EXPECTED["persons"], EXPECTED["cases"], 2)
    assert sorted(c.id for c in cases) == sorted(EXPECTED["results"])
    assert [c.id for c in cases] == sorted((c.id for c in cases), key=int), "cases come in person id order"
    for mapped in cases:
        read_case(mapped.case, mapped.source)
        assert mapped.source.startswith(str(FIXTURE / "ssd_person.csv") + ":")


GOLDEN = {
    # Unborn on the conference date: a pre-birth conference; the next review not yet held.
    "100001": {
        "id": "100001",
        "team": "T-SOUTH",
        "worker": "W007",
        "child": {"expected_date_of_birth": "2026-05-10"},
        "s47": {"strategy_discussion": "2026-01-12"},
        "conferences": [
            {
                "id": "icpc-600001",
                "type": "pre_birth",
                "date": "2026-01-30",
                "outcome": {"plan": True, "category": "neglect"},
            },
            {"id": "review-800001", "type": "review", "held": False},
        ],
        "plan": {"start": "2026-01-30", "previous_plans": 0},
    },
    # Born after the conference (date of birth only): still a pre-birth conference.
    "100002": {
        "id": "100002",
        "team": "T-WEST",
        "worker": "W013",
        "child": {"date_of_birth": "2025-09-20"},
        "s47": {"strategy_discussion": "2025-07-14"},
        "conferences": [
            {
                "id": "icpc-600002",
                "type": "pre_birth",
                "date": "2025-07-31",
                "outcome": {"plan": True, "category": "emotional_abuse"},
            },
            {"id": "review-800002", "type": "review", "date": "2025-10-29", "quorate": True, "outcome": {"plan": True}},
            {"id": "review-800003", "type": "review", "held": False},
        ],
        "plan": {"start": "2025-07-31", "previous_plans": 0},
    },
    # icpc_icpc_transfer_in = Y, no s47 enquiry.
    "100003": {
        "id": "100003",
        "team": "T-WEST",
        "worker": "W009",
        "child": {"date_of_birth": "2014-03-02"},
        "conferences": [
            {
                "id": "icpc-600003",
                "type": "transfer_in",
                "date": "2025-06-16",
                "outcome": {"plan": True, "category": "sexual_abuse"},
            },
            {"id": "review-800004", "type": "review", "date": "2025-09-10", "quorate": True, "outcome": {"plan": True}},
            {"id": "review-800005", "type": "review", "held": False},
        ],
        "plan": {"start": "2025-06-16", "previous_plans": 0},
    },
    # The plan ended at a review whose outcome was not to continue; the CIN plan after it is the step-down,
    # the one from 2024 is not. Dates here came as SQL datetimes, ISO datetimes and day-first dates.
    "100004": {
        "id": "100004",
        "team": "T-NORTH",
        "worker": "W010",
        "child": {"date_of_birth": "2012-11-30"},
        "s47": {"strategy_discussion": "2025-01-13"},
        "conferences": [
            {
                "id": "icpc-600004",
                "type": "initial",
                "date": "2025-01-31",
                "outcome": {"plan": True, "category": "physical_abuse"},
            },
            {"id": "review-800006", "type": "review", "date": "2025-04-29", "quorate": True, "outcome": {"plan": True}},
            {
                "id": "review-800007",
                "type": "review",
                "date": "2025-10-22",
                "quorate": True,
                "outcome": {"plan": False},
            },
        ],
        "plan": {"start": "2025-01-31", "end": "2025-10-22", "previous_plans": 0},
        "step_down": {"cin_plan_start": "2025-10-23", "cin_plan_end": "2026-02-20"},
    },
    # Two episodes: the case holds the later; the earlier conference (no plan) is counted, not lost.
    "100006": {
        "id": "100006",
        "team": "T-EAST",
        "worker": "W012",
        "child": {"date_of_birth": "2016-01-09"},
        "s47": {"strategy_discussion": "2025-10-06"},
        "conferences": [
            {
                "id": "icpc-600007",
                "type": "initial",
                "date": "2025-10-23",
                "outcome": {"plan": True, "category": "multiple"},
            },
            {"id": "review-800008", "type": "review", "date": "2026-01-20", "quorate": True, "outcome": {"plan": True}},
            {"id": "review-800009", "type": "review", "held": False},
        ],
        "plan": {"start": "2025-10-23", "previous_plans": 0},
    },
    # A conference booked but not held, and an enquiry flagged for a conference that has none yet.
    "100007": {
        "id": "100007",
        "team": "T-WEST",
        "worker": "W013",
        "child": {"date_of_birth": "2019-04-04"},
        "s47": {"strategy_discussion": "2026-02-16"},
        "conferences": [{"id": "icpc-600008", "type": "initial", "held": False}],
    },
    "100008": {
        "id": "100008",
        "team": "T-SOUTH",
        "worker": "W002",
        "child": {"date_of_birth": "2020-08-08"},
        "s47": {"strategy_discussion": "2026-02-20"},
    },
    # Flags spelt n/y/1 and one that is not a flag (its quorate is left out, and counted).
    "100015": {
        "id": "100015",
        "team": "T-WEST",
        "worker": "W004",
        "child": {"date_of_birth": "2012-03-03"},
        "s47": {"strategy_discussion": "2025-03-10"},
        "conferences": [
            {
                "id": "icpc-600014",
                "type": "initial",
                "date": "2025-03-28",
                "outcome": {"plan": True, "category": "multiple"},
            },
            {
                "id": "review-800019",
                "type": "review",
                "date": "2025-06-25",
                "quorate": False,
                "outcome": {"plan": True},
            },
            {"id": "review-800020", "type": "review", "date": "2025-12-18", "outcome": {"plan": True}},
            {"id": "review-800021", "type": "review", "held": False},
        ],
        "plan": {"start": "2025-03-28", "previous_plans": 0},
    },
}


@pytest.mark.parametrize("child", sorted(GOLDEN))
def test_cases_are_exactly_as_the_extract_says(imported, child: str) -> None:
    case = dict(_by_id(imported[0])[child].case)
    # What an extract with all six mapped tables cannot record, the same for every child but what an unborn
    # child's expected date of birth gives (tested below).
    unborn = "expected_date_of_birth" in GOLDEN[child].get("child", {})
    expected = [n for n in not_recorded(()) if not (unborn and n in RECORDED_WHILE_UNBORN)]
    assert case.pop("coverage") == {"source": "ssd", "not_recorded": expected}
    assert case == GOLDEN[child]


def test_a_case_from_an_extract_says_what_the_ssd_cannot_record() -> None:
    """The SSD has no table of core groups, reports, documents or attendance; a missing mapped table takes its
    events with it. Nothing the mapping does read is listed."""
    every = not_recorded(())
    for name in ("core_group_meeting", "report_to_chair", "documents_sent", "conference.social_care_present"):
        assert name in every
    for name in ("strategy_discussion", "initial_conference", "review_conference", "plan_end", "cin_plan_start"):
        assert name not in every
    without_cin = not_recorded([CIN])
    assert set(without_cin) - set(every) == {"cin_plan_start", "cin_plan_end", "cin_plan.started"}
    # Reviews record conferences too: without the initial-conference table, `conference` is still recorded.
    without_icpc = not_recorded([ICPC])
    assert "initial_conference" in without_icpc and "conference" not in without_icpc


# The events and facts of docs/case-format.md's pre-birth, legal-order, return-home, invitation, interpreter and
# report-withholding fields: no table cpc maps carries them.
NOT_IN_THE_SSD = (
    "pre_proceedings_letter",
    "cao_assessments_concluded",
    "hospital_discharge",
    "hospital_discharge_meeting",
    "return_home_considered",
    "return_home",
    "child.premature_birth_likely",
    "child.care_order",
    "conference.parents_invited",
    "conference.invitation_would_prejudice_child",
    "conference.interpreter_needed",
    "conference.interpreter_offered",
    "conference.social_care_report",
    "conference.cin_plan_or_recommendations",
    "conference.no_help_needed",
    "conference.fewer_than_three_agencies",
    "report.agency",
    "report.withheld",
    "report.withholding_agreed",
)


def test_an_extract_cannot_record_the_new_events_and_facts_but_the_category_it_can() -> None:
    every = not_recorded(())
    assert [n for n in NOT_IN_THE_SSD if n not in every] == []
    # cppl_cp_plan_initial_category gives the category of the conference that made the plan.
    assert "conference.category" not in every
    assert "conference.category" in not_recorded([PLANS])
    # pers_expected_dob gives it for an unborn child only; the case of one leaves it out (below).
    assert "pregnancy_start" in every


def test_only_a_born_childs_case_lists_pregnancy_start_as_not_recorded(imported) -> None:
    """The SSD keeps an expected date of birth or a date of birth, not both: once the child is born, the weeks of
    the pregnancy cannot be counted from the extract, so a rule counting from them is not assessable."""
    cases = _by_id(imported[0])
    unborn, born = cases["100001"].case, cases["100002"].case
    assert "expected_date_of_birth" in unborn["child"] and "expected_date_of_birth" not in born["child"]
    assert "pregnancy_start" not in unborn["coverage"]["not_recorded"]
    assert "pregnancy_start" in born["coverage"]["not_recorded"]
    for case in (unborn, born):
        assert set(case["coverage"]["not_recorded"]) >= set(NOT_IN_THE_SSD)
    # The shape checker caches by shape, not by the names listed: both still validate.
    for mapped in (cases["100001"], cases["100002"]):
        read_case(mapped.case, mapped.source)


NEW_VOCABULARY_POLICY = """\
area: newvocab
title: Rules counted from the new events
version: "1"
effective_from: 2023-12-15
sources:
  wt:
    title: Guidance
    file: wt.txt
rules:
  - id: discharge-meeting
    title: The hospital discharge meeting is held within 10 days of the birth.
    kind: deadline
    topic: timescales
    deadline:
      what: hospital_discharge_meeting
      within: 10 days
      of: birth
    cite:
      source: wt
      quote: "a discharge meeting within 10 days of the birth"
  - id: pre-birth-by-28-weeks
    title: The pre-birth conference is held within 28 weeks of the start of the pregnancy.
    kind: deadline
    topic: timescales
    deadline:
      what: pre_birth_conference
      within: 28 weeks
      of: pregnancy_start
    cite:
      source: wt
      quote: "no later than 28 weeks into the pregnancy"
"""


def test_rules_on_what_the_ssd_cannot_record_are_not_assessable_not_overdue(imported, policy_tree) -> None:
    root = policy_tree({"newvocab/policy.yaml": NEW_VOCABULARY_POLICY})
    policy = engine.load_policy("newvocab", policies_dir=root)
    cases = _by_id(imported[0])
    statuses = {}
    for child in ("100001", "100002"):
        evaluation = policy.evaluate(read_case(cases[child].case), as_of=AS_OF)
        statuses[child] = {r.rule: (r.status, r.reason) for r in evaluation.results}
    not_recorded = "not recorded by this source"
    # Born 2025-09-20: the birth is recorded, the discharge meeting cannot be; the weeks of the pregnancy neither.
    assert statuses["100002"] == {
        "discharge-meeting": ("not_assessable", f"{not_recorded}: hospital_discharge_meeting"),
        "pre-birth-by-28-weeks": ("not_assessable", f"{not_recorded}: pregnancy_start"),
    }
    # Expected 2026-05-10: the pregnancy counts from 2025-08-03, so 28 weeks end on 2026-02-15; the pre-birth
    # conference of 2026-01-30 met it. No birth yet: the discharge meeting's clock has not started.
    assert statuses["100001"] == {"pre-birth-by-28-weeks": ("met", None)}


def test_the_rules_an_extract_cannot_meet_are_deadlines_on_events_it_has_no_table_for() -> None:
    evaluator = engine.load_policy("berkshire").evaluator(AS_OF)
    rules = {c.rule.id: c.rule for c in evaluator.compiled.rules}
    listed = rules_ssd_cannot_meet(evaluator)
    assert "first-core-group" in listed and "icpc-timescale" not in listed
    for rule_id in listed:
        # An exception that disapplies its base has no `what` of its own: it is no deadline the extract cannot meet.
        what = rules[rule_id].parameters.get("what")
        assert rules[rule_id].kind == "deadline" and what, rule_id
        assert not set(what if isinstance(what, list) else [what]) & SSD_EVENTS, rule_id


def test_the_cases_give_the_timescale_results_the_fixture_implies(imported) -> None:
    """The generator works these out with its own calendar; cpc must agree on every one."""
    evaluator = engine.load_policy(EXPECTED["policy"]).evaluator(AS_OF)
    for mapped in imported[0]:
        evaluation = evaluator.evaluate(read_case(mapped.case), AS_OF)
        got = sorted(
            (r.rule, r.subject.id if r.subject else None, r.status, r.due.isoformat())
            for r in evaluation.results
            if r.rule in TIMESCALE_RULES
        )
        want = sorted((e["rule"], e.get("subject"), e["status"], e["due"]) for e in EXPECTED["results"][mapped.id])
        assert got == want, mapped.id


def test_contradictory_records_become_warnings_on_the_case(imported) -> None:
    cases, report = imported
    found = {c.id: [w.kind for w in c.warnings] for c in cases if c.warnings}
    assert found == EXPECTED["warnings"]
    assert report.warnings == {"review_before_plan_start": 1, "two_open_plans": 1}
    two_plans = _by_id(cases)["100012"]
    assert two_plans.case["plan"] == {"start": "2025-09-19", "previous_plans": 1}, (
        "the case holds the plan that started last, and counts the other as an earlier plan"
    )
    assert "700007, 700008" in two_plans.warnings[0].message


UNMAPPED = [
    ("ssd_person", "pers_death_date", "not mapped: the case format has no date of death", 1),
    ("ssd_person", "pers_sex", UNKNOWN_COLUMN, 40),
    ("ssd_s47_enquiry", "*", EARLIER_EPISODE, 2),
    ("ssd_s47_enquiry", "*", NO_CONFERENCE, 1),
    ("ssd_s47_enquiry", "*", UNKNOWN_PERSON, 1),
    ("ssd_s47_enquiry", "s47e_referral_id", UNKNOWN_COLUMN, 40),
    (
        "ssd_s47_enquiry",
        "s47e_s47_end_date",
        "not mapped: no rule counts from it; an enquiry with no conference gives no case",
        39,
    ),
    ("ssd_s47_enquiry", "s47e_s47_outcome_json", "not mapped: only CP_CONFERENCE_FLAG is read from it", 40),
    ("ssd_initial_cp_conference", "*", EARLIER_EPISODE, 2),
    ("ssd_initial_cp_conference", "icpc_icpc_date", TIME_IGNORED, 1),
    ("ssd_initial_cp_conference", "icpc_icpc_meeting_id", UNKNOWN_COLUMN, 39),
    (
        "ssd_initial_cp_conference",
        "icpc_icpc_outcome_json",
        "not mapped: its CP_FLAG repeats icpc_icpc_outcome_cp_flag; the rest has no case field",
        38,
    ),
    ("ssd_initial_cp_conference", "icpc_icpc_target_date", _RECORDED_REASON, 39),
    ("ssd_initial_cp_conference", "icpc_referral_id", UNKNOWN_COLUMN, 38),
    ("ssd_cp_plans", "*", EARLIER_EPISODE, 1),
    (
        "ssd_cp_plans",
        "cppl_cp_plan_latest_category",
        "not mapped: the extract does not say which review changed the category",
        31,
    ),
    ("ssd_cp_plans", "cppl_cp_plan_ola", "not mapped: the case format has no field for another authority's plan", 31),
    ("ssd_cp_reviews", "*", EARLIER_EPISODE, 2),
    ("ssd_cp_reviews", "*", DUPLICATE_ID, 1),
    ("ssd_cp_reviews", "*", UNKNOWN_PLAN, 1),
    ("ssd_cp_reviews", "cppr_cp_review_due", _RECORDED_REASON, 63),
    ("ssd_cp_reviews", "cppr_cp_review_due", UNREADABLE_DATE, 1),
    (
        "ssd_cp_reviews",
        "cppr_cp_review_participation",
        "not mapped: the case format has no field for the PN0-PN7 codes",
        40,
    ),
    ("ssd_cp_reviews", "cppr_cp_review_quorate", UNREADABLE_FLAG, 1),
    ("ssd_cin_plans", "*", NOT_STEP_DOWN, 1),
    ("ssd_cin_plans", "*", NO_CP_RECORDS, 1),
    # Every third child changed worker: the earlier involvement is not the current one.
    ("ssd_involvements", "*", NOT_CURRENT_INVOLVEMENT, 13),
    ("ssd_involvements", "*", NO_CP_RECORDS, 2),
    ("ssd_involvements", "invo_professional_role_id", "not mapped: the case format has no role of a worker", 53),
    ("ssd_involvements", "invo_worker_change_reason", "not mapped: the case format has no field for it", 13),
    ("ssd_cp_visits", "*", TABLE_NOT_MAPPED, 93),
    ("ssd_mother", "*", TABLE_NOT_MAPPED, 12),
]


def test_what_is_not_mapped_is_counted_exactly(imported) -> None:
    got = [(e["table"], e["field"], e["reason"], e["rows"]) for e in imported[1].unmapped.to_list()]
    assert got == UNMAPPED


def _column_values(table: str, column: str) -> int:
    path = next(p for p in FIXTURE.glob("*.csv") if p.stem.lower() == table)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return sum(1 for row in rows if {k.lower(): v for k, v in row.items()}.get(column, "").strip())


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("ssd_person", "pers_sex"),
        ("ssd_cp_reviews", "cppr_cp_review_participation"),
        ("ssd_cp_plans", "cppl_cp_plan_ola"),
        ("ssd_initial_cp_conference", "icpc_icpc_outcome_json"),
    ],
)
def test_a_column_count_is_the_rows_with_a_value_in_it(imported, table: str, column: str) -> None:
    counts = {(e["table"], e["field"]): e["rows"] for e in imported[1].unmapped.to_list()}
    assert counts[(table, column)] == _column_values(table, column)


def test_every_row_of_the_mapped_tables_is_in_a_case_or_counted(imported) -> None:
    """Rows in, rows out: each row reaches the case of the child, or a whole-row count says why not."""
    cases, report = imported
    whole = {}
    for e in report.unmapped.to_list():
        if e["field"] == "*":
            whole[e["table"]] = whole.get(e["table"], 0) + e["rows"]
    in_cases = {
        "ssd_initial_cp_conference": sum(
            1 for c in cases for conf in c.case.get("conferences", []) if conf["id"].startswith("icpc-")
        ),
        "ssd_cp_reviews": sum(
            1 for c in cases for conf in c.case.get("conferences", []) if conf["id"].startswith("review-")
        ),
        "ssd_cp_plans": sum(1 for c in cases if "plan" in c.case),
        "ssd_s47_enquiry": sum(1 for c in cases if "s47" in c.case),
        "ssd_cin_plans": sum(1 for c in cases if "step_down" in c.case),
    }
    for table, n in in_cases.items():
        assert n + whole.get(table, 0) == report.rows[table], table


def test_iter_ssd_records_gives_the_lines_import_writes(tmp_path: Path) -> None:
    out = tmp_path / "cases.jsonl"
    result = CliRunner().invoke(import_group, ["ssd", str(FIXTURE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    report = ssd.ImportReport()
    records = list(ssd.iter_ssd_records(FIXTURE, report))
    assert [json.dumps(case, ensure_ascii=False) for _, case in records] == lines
    assert records[0][0] == f"{FIXTURE / 'ssd_person.csv'}:{read_extract(FIXTURE).persons['100001'].line}"
    assert report.cases == len(lines) == EXPECTED["cases"]


def test_iter_ssd_records_reports_an_unreadable_extract_when_called(tmp_path: Path) -> None:
    with pytest.raises(SsdError, match="not a folder"):
        ssd.iter_ssd_records(tmp_path / "nowhere")


# -- tolerance --------------------------------------------------------------------------------------------


def test_header_and_file_name_case_do_not_matter(tmp_path: Path, imported) -> None:
    folder = _copy(tmp_path)
    for path in list(folder.iterdir()):
        lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
        header = "".join(ch.upper() if i % 3 else ch.lower() for i, ch in enumerate(lines[0]))
        path.unlink()
        (folder / path.name.upper().replace(".CSV", ".Csv")).write_text(header + "".join(lines[1:]), encoding="utf-8")
    report = ssd.ImportReport()
    cases = list(ssd.iter_cases(read_extract(folder), report))
    assert [c.case for c in cases] == [c.case for c in imported[0]]
    assert report.unmapped.to_list() == imported[1].unmapped.to_list()


def test_two_files_for_one_table_are_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    shutil.copy(folder / "ssd_person.csv", folder / "SSD_PERSON.csv")
    with pytest.raises(SsdError, match="both"):
        read_extract(folder)


def test_a_missing_table_is_reported_and_its_fields_are_absent(tmp_path: Path, imported) -> None:
    report = ssd.ImportReport()
    cases = list(ssd.iter_cases(read_extract(_copy(tmp_path, ("ssd_cin_plans",))), report))
    assert report.missing == ["ssd_cin_plans"]
    assert len(cases) == len(imported[0])
    assert not any("step_down" in c.case for c in cases)
    assert "ssd_cin_plans.csv" in ssd.report_text(report) and "missing" in ssd.report_text(report)


def test_without_ssd_person_children_come_from_the_other_tables(tmp_path: Path) -> None:
    report = ssd.ImportReport()
    cases = list(ssd.iter_cases(read_extract(_copy(tmp_path, ("ssd_person",))), report))
    assert report.missing == ["ssd_person"]
    # The same children: the rows of the person who is not in ssd_person are an enquiry that led nowhere.
    assert len(cases) == EXPECTED["cases"]
    assert not any("child" in c.case for c in cases)
    for mapped in cases:
        read_case(mapped.case)


def test_datetimes_with_and_without_times_and_day_first_dates() -> None:
    parse = parse_datetime
    day = dt.date(2025, 1, 6)
    assert parse("2025-01-06") == (day, False)
    assert parse("2025-01-06 00:00:00") == (day, False)
    assert parse("2025-01-06 00:00:00.000") == (day, False)
    assert parse("2025-01-06T00:00") == (day, False)
    assert parse(" 2025-01-06T10:30 ") == (day, True)
    assert parse("2025-01-06 10:30:00.1234567") == (day, True)
    assert parse("06/01/2025") == (day, False)
    assert parse("6/1/2025 09:15") == (day, True)
    for bad in ("2025-02-30", "31/02/2025", "2025/01/06", "Jan 6 2025", "06/01/25", "", "2025-1-6"):
        assert parse(bad) is None, bad


def test_flags_in_every_spelling() -> None:
    for raw, value in (("Y", True), ("y", True), ("Yes", True), ("1", True), ("TRUE", True), ("t", True)):
        assert parse_flag(raw) is value
    for raw in ("N", "n", "no", "0", "False", "F"):
        assert parse_flag(raw) is False
    assert parse_flag("U") is None and parse_flag("") is None


SMALL = {
    "ssd_person.csv": "pers_person_id,pers_dob,pers_expected_dob,pers_forename\n"
    "1,2015-01-01,,Alice Example\n2,2016-02-02,2016-01-01,\n3,,,\n",
    "ssd_s47_enquiry.csv": "s47e_s47_enquiry_id,s47e_person_id,s47e_s47_start_date,s47e_s47_nfa,s47e_s47_outcome_json\n"
    '11,1,2025-03-10,N,"{""CP_CONFERENCE_FLAG"": ""Y"", ""COMMENTS"": ""Secret note""}"\n'
    "12,2,2025-03-10,N,not json\n"
    "13,3,2025-04-01,,\n",
    "ssd_initial_cp_conference.csv": "icpc_icpc_id,icpc_s47_enquiry_id,icpc_person_id,icpc_cp_plan_id,"
    "icpc_icpc_transfer_in,icpc_icpc_target_date,icpc_icpc_date,icpc_icpc_outcome_cp_flag\n"
    "21,11,1,31,N,2025-03-31,2025-03-07,N\n"
    "22,,2,,N,2025-04-01,2025-03-31,Y\n",
    "ssd_cp_plans.csv": "cppl_cp_plan_id,cppl_icpc_id,cppl_person_id,cppl_cp_plan_start_date,cppl_cp_plan_end_date,"
    "cppl_cp_plan_initial_category\n"
    "31,21,1,2025-03-01,2025-02-01,Neglected\n"
    "32,,2,2025-03-31,,PHY\n"
    "33,,2,2025-05-01,,\n",
    "ssd_cp_reviews.csv": "cppr_cp_review_id,cppr_cp_plan_id,cppr_cp_review_due,cppr_cp_review_date\n"
    "41,31,2025-06-01,2025-06-02\n"
    ",31,2025-06-01,\n",
}


def test_inconsistent_records_give_warnings_not_crashes(tmp_path: Path) -> None:
    report = ssd.ImportReport()
    cases = _by_id(list(ssd.iter_cases(read_extract(_write(tmp_path / "x", SMALL)), report)))
    assert set(cases) == {"1", "2"}, "person 3's enquiry is neither NFA nor flagged for a conference"
    kinds = {cid: sorted(w.kind for w in m.warnings) for cid, m in cases.items()}
    assert kinds["1"] == [
        "conference_before_strategy_discussion",
        "outcome_contradicts_plan",
        "plan_ends_before_it_starts",
        "plan_starts_before_conference",
        "review_after_plan_end",
    ]
    # Person 2's earlier episodes (a conference without an enquiry, a plan without a conference) are not in
    # the case, but what is wrong with them is still reported on it.
    assert kinds["2"] == [
        "dob_and_expected_dob",
        "no_strategy_discussion",
        "plan_without_icpc",
        "plan_without_icpc",
        "two_open_plans",
    ]
    for mapped in cases.values():
        read_case(mapped.case)
    # The category of a plan whose conference made no plan has nowhere to go, and is counted.
    counts = {(e["table"], e["field"], e["reason"]): e["rows"] for e in report.unmapped.to_list()}
    assert counts[("ssd_cp_plans", "cppl_cp_plan_initial_category", UNKNOWN_CATEGORY)] == 1
    assert counts[("ssd_s47_enquiry", "s47e_s47_outcome_json", UNREADABLE_JSON)] == 1
    assert counts[("ssd_cp_reviews", "*", BLANK_ID)] == 1
    assert counts[("ssd_person", "pers_forename", UNKNOWN_COLUMN)] == 1
    assert counts[("ssd_s47_enquiry", "*", NO_CONFERENCE)] == 2


def test_no_name_or_free_text_reaches_any_output(tmp_path: Path) -> None:
    folder = _write(tmp_path / "x", SMALL)
    out, report_file = tmp_path / "cases.jsonl", tmp_path / "report.json"
    result = CliRunner().invoke(
        import_group, ["ssd", str(folder), "--out", str(out), "--report", str(report_file)], catch_exceptions=False
    )
    assert result.exit_code == 0
    everything = result.output + out.read_text(encoding="utf-8") + report_file.read_text(encoding="utf-8")
    for secret in ("Alice", "Example", "Secret", "note", "Neglected"):
        assert secret not in everything


# -- reading limits and broken files ---------------------------------------------------------------------


def test_a_table_over_the_size_limit_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SsdError, match=r"ssd_person.csv: .* larger than"):
        read_extract(_copy(tmp_path), max_table_bytes=100)


def test_a_file_that_is_not_csv_names_the_file_and_line(tmp_path: Path) -> None:
    folder = _write(tmp_path / "x", {"ssd_person.csv": 'pers_person_id,pers_dob\n1,2015-01-01\n2,"' + "x" * 200_000})
    with pytest.raises(SsdError, match=r"ssd_person.csv:\d+: not readable as CSV"):
        read_extract(folder)


def test_an_unclosed_quote_is_an_error_at_its_line_not_a_shorter_table(tmp_path: Path) -> None:
    # Read leniently, the quote would swallow children 2 to 4 into one cell and the extract would look smaller.
    person = 'pers_person_id,pers_dob\n1,2015-01-01\n"2,2016-01-01\n3,2017-01-01\n4,2018-01-01\n'
    folder = _write(tmp_path / "x", {"ssd_person.csv": person})
    with pytest.raises(SsdError, match=r"ssd_person.csv:3: a quoted cell that starts on this line is never closed"):
        read_extract(folder)


def test_a_stray_quote_that_closes_lines_later_is_counted_not_read_as_one_child(tmp_path: Path) -> None:
    # The quote before child 2's date closes after child 3's: read as written, child 2 would get the date
    # "2016-01-01\n3,2017-01-01" and child 3 would vanish without a count.
    person = 'pers_person_id,pers_dob\n1,2015-01-01\n2,"2016-01-01\n3,2017-01-01"\n4,2018-01-01\n'
    conferences = "icpc_icpc_id,icpc_person_id,icpc_icpc_date\n" + "".join(
        f"{n}0,{n},2025-05-05\n" for n in (1, 2, 3, 4)
    )
    folder = _write(tmp_path / "x", {"ssd_person.csv": person, "ssd_initial_cp_conference.csv": conferences})
    report = ssd.ImportReport()
    mapped = list(ssd.iter_cases(read_extract(folder), report))
    assert [m.case["id"] for m in mapped] == ["1", "4"]
    counts = {(e["table"], e["field"], e["reason"]): e["rows"] for e in report.unmapped.to_list()}
    assert counts[("ssd_person", "*", MERGED_LINES)] == 2
    assert counts[("ssd_initial_cp_conference", "*", UNKNOWN_PERSON)] == 2


def test_a_line_break_in_a_column_cpc_does_not_read_is_no_merge(tmp_path: Path) -> None:
    # Free text may be quoted over several lines; only ids, dates, flags and categories cannot be.
    person = 'pers_person_id,pers_dob,pers_notes\n1,2015-01-01,"two\nlines"\n2,2016-01-01,\n'
    folder = _write(tmp_path / "x", {"ssd_person.csv": person})
    report = ssd.ImportReport()
    list(ssd.iter_cases(read_extract(folder), report))
    assert not [e for e in report.unmapped.to_list() if e["reason"] == MERGED_LINES]
    assert report.rows["ssd_person"] == 2


def test_an_unclosed_quote_in_the_header_is_reported_on_line_one(tmp_path: Path) -> None:
    folder = _write(tmp_path / "x", {"ssd_person.csv": '"pers_person_id,pers_dob\n1,2015-01-01\n'})
    with pytest.raises(SsdError, match=r"ssd_person.csv:1: a quoted cell"):
        read_extract(folder)


def test_blank_lines_extra_cells_and_repeated_columns_are_tolerated(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "x",
        {
            "ssd_person.csv": "pers_person_id,pers_dob,PERS_DOB\n\n1,2015-01-01,2016-01-01,extra\n,,\n",
            "ssd_initial_cp_conference.csv": "icpc_icpc_id,icpc_person_id,icpc_icpc_date\n5,1,2025-05-05\n",
        },
    )
    report = ssd.ImportReport()
    [mapped] = ssd.iter_cases(read_extract(folder), report)
    assert mapped.case["child"] == {"date_of_birth": "2015-01-01"}
    counts = {(e["table"], e["field"], e["reason"]): e["rows"] for e in report.unmapped.to_list()}
    assert counts[("ssd_person", "*", EXTRA_CELLS)] == 1
    assert counts[("ssd_person", "pers_dob", DUPLICATE_COLUMN)] == 1
    assert report.missing == ["ssd_s47_enquiry", "ssd_cp_plans", "ssd_cp_reviews", "ssd_cin_plans"]


def test_ids_a_spreadsheet_rewrote_as_decimals_still_join(tmp_path: Path) -> None:
    # Saved through a spreadsheet, one table's ids read 100.0 while another's read 100.
    folder = _write(
        tmp_path / "x",
        {
            "ssd_person.csv": "pers_person_id,pers_dob\n100.0,2015-01-01\n0100,2016-01-01\n",
            "ssd_initial_cp_conference.csv": "icpc_icpc_id,icpc_person_id,icpc_icpc_date\n5.00,100,2025-05-05\n",
        },
    )
    cases = [m.case for m in ssd.iter_cases(read_extract(folder), ssd.ImportReport())]
    assert [(c["id"], [conference["id"] for conference in c.get("conferences", [])]) for c in cases] == [
        ("100", ["icpc-5"])
    ]


def test_dates_outside_the_calendar_are_counted_not_mapped(tmp_path: Path) -> None:
    folder = _write(tmp_path / "x", {"ssd_person.csv": "pers_person_id,pers_dob\n1,3015-01-01\n"})
    report = ssd.ImportReport()
    assert list(ssd.iter_cases(read_extract(folder), report)) == []
    assert report.unmapped.counts[("ssd_person", "pers_dob", OUT_OF_RANGE_DATE)] == 1


# -- the command ------------------------------------------------------------------------------------------


def _run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(import_group, ["ssd", *args])


def test_import_writes_the_cases_and_a_summary_and_refuses_to_overwrite(tmp_path: Path) -> None:
    out, report_file = tmp_path / "cases.jsonl", tmp_path / "report.json"
    first = _run(str(FIXTURE), "--out", str(out), "--report", str(report_file))
    assert first.exit_code == 0
    assert f"persons 40; cases written 38 to {out}; 2 with no child protection records" in first.output
    assert "two_open_plans" in first.output and "ssd_cp_visits (whole rows)" in first.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 38
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report["cases"] == 38 and report["warnings"] == {"review_before_plan_start": 1, "two_open_plans": 1}
    assert [(e["table"], e["field"], e["reason"], e["rows"]) for e in report["unmapped"]] == UNMAPPED
    assert report["tables"]["ssd_cp_plans"] == {"file": "ssd_cp_plans.csv", "rows": 31}

    again = _run(str(FIXTURE), "--out", str(out))
    assert again.exit_code == 2 and "exists; pass --force to overwrite it" in again.output
    assert _run(str(FIXTURE), "--out", str(out), "--report", str(report_file), "--force").exit_code == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary file is left behind"


def test_import_without_out_writes_json_lines_to_standard_output() -> None:
    result = CliRunner().invoke(import_group, ["ssd", str(FIXTURE)])
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 38 and json.loads(lines[0])["id"] == "100001"


def test_every_imported_case_says_the_new_events_and_facts_are_not_recorded() -> None:
    """What `cpc import ssd` writes: each line's coverage lists what the SSD cannot record, so a rule needing it is
    not assessable; the unborn child's (100001) alone records the start of the pregnancy."""
    result = CliRunner().invoke(import_group, ["ssd", str(FIXTURE)])
    assert result.exit_code == 0
    cases = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(cases) == 38
    for case in cases:
        listed = case["coverage"]["not_recorded"]
        assert [n for n in NOT_IN_THE_SSD if n not in listed] == [], case["id"]
        assert "conference.category" not in listed
    unborn = [c["id"] for c in cases if "pregnancy_start" not in c["coverage"]["not_recorded"]]
    assert unborn == ["100001"]


def test_import_of_a_folder_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    result = _run(str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and "not a folder" in result.output


# -- the documented mapping -------------------------------------------------------------------------------


def test_docs_map_every_ssd_field_in_one_table() -> None:
    """docs/ssd.md shows the mapping the code uses, field for field: the table is engine.ssd.tables.FIELDS."""
    text = (ROOT / "docs" / "ssd.md").read_text(encoding="utf-8")
    assert mapping_markdown() in text
    assert len({(f.table, f.field) for f in FIELDS}) == len(FIELDS)


def test_every_field_the_shared_ssd_notes_name_is_in_the_mapping() -> None:
    notes = ROOT.parent / "shared" / "SSD.md"
    if not notes.is_file():
        pytest.skip("the shared SSD notes are not beside the clone")
    text = notes.read_text(encoding="utf-8")
    mapped = {f.field for f in FIELDS}
    for table in MAPPED_TABLES:
        section = text.split(f"**{table}**", 1)[1].split("**ssd_", 1)[0]
        named = {w.strip("`") for w in section.split() if w.startswith("`") and "_" in w and "FLAG" not in w}
        named = {n.rstrip("`,·:.);") for n in named}
        assert {n for n in named if n.split("_")[0] in ("pers", "s47e", "icpc", "cppl", "cppr", "cinp")} <= mapped


def test_the_current_involvement_is_the_latest_open_one_else_the_last_ended() -> None:
    day = dt.date

    def involvement(line: int, team: str, start: dt.date | None, end: dt.date | None = None) -> Involvement:
        return Involvement(line, "p1", team, f"w{line}", start, end)

    ended_early = involvement(1, "A", day(2024, 1, 1), day(2024, 6, 30))
    ended_late = involvement(2, "B", day(2023, 1, 1), day(2025, 2, 28))
    open_old = involvement(3, "C", day(2022, 5, 1))
    open_new = involvement(4, "D", day(2025, 3, 1))
    assert current_involvement([ended_early, open_old, open_new, ended_late]).team == "D"
    assert current_involvement([ended_early, ended_late]).team == "B"
    assert current_involvement([]) is None


# -- hostile extracts (issue 13, item 8) ------------------------------------------------------------------


def _person_table(folder: Path, first: str) -> None:
    text = (folder / "ssd_person.csv").read_text(encoding="utf-8-sig")
    (folder / "ssd_person.csv").write_text(text.replace("100034,", first + ",", 1), encoding="utf-8")


@pytest.mark.parametrize("odd", ["²³", "9" * 100_000, "٣٤"], ids=["superscripts", "100000-digits", "arabic-digits"])
def test_an_id_int_cannot_read_is_no_internal_error(tmp_path: Path, odd: str) -> None:
    # `²³`.isdigit() is true but int() refuses it, and int() refuses 100,000 digits: ordering by id crashed.
    folder = _copy(tmp_path)
    _person_table(folder, odd)
    result = _run(str(folder), "--out", str(tmp_path / "cases.jsonl"))
    assert result.exit_code == 0, result.output
    assert odd not in result.output
    assert "persons 40" in result.output or "persons 39" in result.output


def test_ids_order_as_numbers_without_int() -> None:
    ids = ["10", "9", "0009", "x", "²", "100", "1" + "0" * 5000]
    assert sorted(ids, key=id_sort_key) == ["0009", "9", "10", "100", "1" + "0" * 5000, "x", "²"]


def test_an_id_longer_than_any_system_writes_is_counted_not_read(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _person_table(folder, "9" * 100_000)
    report = ssd.ImportReport()
    list(ssd.iter_cases(read_extract(folder), report))
    assert report.unmapped.counts[("ssd_person", "*", LONG_ID)] == 1
    assert report.persons == 39


def _replace_plans(folder: Path, kind: str) -> None:
    table = folder / "ssd_cp_plans.csv"
    table.unlink()
    if kind == "folder":
        table.mkdir()
    elif kind == "FIFO":
        os.mkfifo(table)
    elif kind == "device":
        table.symlink_to("/dev/null")
    else:
        table.symlink_to(folder / "nowhere.csv")


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("folder", "a folder"),
        ("FIFO", "a FIFO (named pipe)"),
        ("device", "a device"),
        ("dangling", "a symbolic link to nothing"),
    ],
)
def test_a_table_that_is_not_a_regular_file_is_an_error_not_missing(tmp_path: Path, kind: str, said: str) -> None:
    if kind == "FIFO" and not hasattr(os, "mkfifo"):  # pragma: no cover - Windows
        pytest.skip("no FIFOs")
    folder = _copy(tmp_path)
    _replace_plans(folder, kind)
    result = _run(str(folder), "--out", str(tmp_path / "cases.jsonl"))
    assert result.exit_code == 2
    table = folder / "ssd_cp_plans.csv"
    assert result.output == f"cpc: {table}: {said}, not a CSV file; table ssd_cp_plans cannot be read\n"


def test_a_table_cpc_does_not_read_may_be_anything(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "ssd_other.csv").mkdir()
    report = ssd.ImportReport()
    assert len(list(ssd.iter_cases(read_extract(folder), report))) == EXPECTED["cases"]


@pytest.mark.parametrize(("separator", "called"), [(";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")])
def test_a_table_not_separated_by_commas_is_an_error_at_line_one(tmp_path: Path, separator: str, called: str) -> None:
    folder = _copy(tmp_path)
    text = (folder / "ssd_person.csv").read_text(encoding="utf-8-sig")
    (folder / "ssd_person.csv").write_text(text.replace(",", separator), encoding="utf-8")
    result = _run(str(folder), "--out", str(tmp_path / "cases.jsonl"))
    assert result.exit_code == 2
    assert result.output == (
        f"cpc: {folder / 'ssd_person.csv'}:1: the cells are separated by {called}, not commas; "
        "export the table as comma-separated values (CSV)\n"
    )


def test_a_table_without_its_header_row_is_an_error_that_quotes_no_row(tmp_path: Path) -> None:
    # Its first row was read as the header: a child's id and date of birth were printed as column names.
    folder = _copy(tmp_path)
    lines = (folder / "ssd_person.csv").read_text(encoding="utf-8-sig").splitlines(keepends=True)
    (folder / "ssd_person.csv").write_text("".join(lines[1:]), encoding="utf-8")
    result = _run(str(folder), "--out", str(tmp_path / "cases.jsonl"), "--report", str(tmp_path / "r.json"))
    assert result.exit_code == 2
    assert result.output == (
        f"cpc: {folder / 'ssd_person.csv'}:1: the first line names none of the columns cpc reads from ssd_person "
        "(pers_dob, pers_expected_dob, pers_person_id); is the header row missing? Its first line must name the "
        "columns\n"
    )
    assert not (tmp_path / "r.json").exists()


def test_a_header_cell_that_is_no_column_name_is_named_by_position(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "x",
        {
            "ssd_person.csv": "pers_person_id,2019-01-23,F,pers_upn\n1,a,b,c\n",
            "ssd_initial_cp_conference.csv": "icpc_icpc_id,icpc_person_id,icpc_icpc_date\n5,1,2025-05-05\n",
        },
    )
    report = ssd.ImportReport()
    list(ssd.iter_cases(read_extract(folder), report))
    fields = {e["field"] for e in report.unmapped.to_list() if e["table"] == "ssd_person"}
    assert fields == {"column 2", "column 3", "pers_upn"}
