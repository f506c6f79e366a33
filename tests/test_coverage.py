"""What a source records (a case's `coverage`) and what can still be done: verdicts a manager can act on.

An event the case's source has no place for is `not_assessable` ("not recorded by this source"), never overdue,
missed or breached; a deadline whose window has closed is `missed` with the day it closed, not overdue.
docs/results.md defines both; the boundaries of each rule kind are policy tests under policies/*/tests/.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

import engine
from engine.caseload import report_formats as reports
from engine.caseload import results_lines, summary
from engine.core.resources import schema
from engine.evaluation import results_file
from engine.evaluation.case_files import CaseError

from .conftest import ROOT

AS_OF = dt.date(2026, 3, 1)
NOT_RECORDED = "not recorded by this source"


def _case(**extra) -> dict:
    """An initial conference held on Friday 14 November 2025 that made a plan, with no report, no documents
    and no attendance recorded."""
    return {
        "id": "coverage",
        "child": {"date_of_birth": "2018-02-14"},
        "conferences": [
            {"id": "icpc-1", "type": "initial", "date": "2025-11-14", "outcome": {"plan": True, "category": "neglect"}}
        ],
        "plan": {"start": "2025-11-14"},
        **extra,
    }


def _results(case: dict, rule: str) -> list[engine.evaluation.results.Result]:
    return engine.load_policy("berkshire").evaluate(case, as_of=AS_OF).by_rule(rule)


def test_an_event_the_source_does_not_record_is_not_assessable_never_missed_or_overdue() -> None:
    [held] = _results(_case(), "report-to-chair-initial")
    assert (held.status, held.closed, held.reason) == ("missed", dt.date(2025, 11, 14), None)
    [documents] = _results(_case(), "documents-sent")
    assert documents.status == "overdue"

    coverage = {"source": "ssd", "not_recorded": ["report_to_chair", "documents_sent"]}
    [report] = _results(_case(coverage=coverage), "report-to-chair-initial")
    assert (report.status, report.reason) == ("not_assessable", f"{NOT_RECORDED}: report_to_chair")
    assert (report.due, report.done, report.late, report.closed) == (dt.date(2025, 11, 12), None, None, None)
    [documents] = _results(_case(coverage=coverage), "documents-sent")
    assert (documents.status, documents.reason) == ("not_assessable", f"{NOT_RECORDED}: documents_sent")
    # What the source does record is judged as before.
    [shared] = _results(_case(coverage=coverage), "report-shared-with-parents-initial")
    assert shared.status == "missed"


def test_a_recorded_event_on_time_is_met_whatever_the_coverage_says() -> None:
    case = _case(coverage={"not_recorded": ["report_to_chair"]})
    case["conferences"][0]["reports"] = [{"agency": "school", "sent_to_chair": "2025-11-10"}]
    [report] = _results(case, "report-to-chair-initial")
    assert (report.status, report.reason) == ("met", None)


def test_a_breach_an_unrecordable_exception_could_excuse_is_not_assessable() -> None:
    """Berkshire's quorum, unless the chair proceeded inquorate: a source that cannot record the chair's decision
    cannot say the conference was in breach. A case that merely leaves the fact out is still in breach: the rule
    never vanishes because an exception's fact is unknown."""
    case = _case()
    case["conferences"][0]["agencies_present"] = ["childrens_social_care", "police"]
    [breached] = _results(case, "quorum")
    assert (breached.status, breached.reason) == ("breached", None)
    case["coverage"] = {"not_recorded": ["conference.proceeded_inquorate"]}
    [unknown] = _results(case, "quorum")
    assert (unknown.status, unknown.reason) == ("not_assessable", f"{NOT_RECORDED}: conference.proceeded_inquorate")
    # A fact the requirement needs, not recorded by the source.
    plain = _case(coverage={"not_recorded": ["conference.social_care_present", "conference.other_agencies_present"]})
    [needs] = _results(plain, "quorum")
    assert needs.status == "not_assessable"
    assert needs.missing == ("conference.social_care_present", "conference.other_agencies_present")
    assert needs.reason == f"{NOT_RECORDED}: conference.social_care_present, conference.other_agencies_present"


def test_results_with_coverage_match_the_result_schema() -> None:
    validator = Draft202012Validator(schema("result"), format_checker=FormatChecker())
    case = _case(coverage={"not_recorded": ["report_to_chair", "conference.proceeded_inquorate"]})
    case["conferences"][0]["agencies_present"] = ["childrens_social_care"]
    payload = engine.load_policy("berkshire").evaluate(case, as_of=AS_OF).to_dict()
    assert {r["status"] for r in payload["results"]} >= {"not_assessable", "missed", "overdue"}
    assert list(validator.iter_errors(payload)) == []
    closed = next(r for r in payload["results"] if r.get("closed"))
    closed.pop("closed")
    assert list(validator.iter_errors(payload)), "a missed deadline with neither done nor closed must be refused"


def test_coverage_names_only_the_vocabulary() -> None:
    with pytest.raises(CaseError) as caught:
        engine.load_policy("berkshire").evaluate(_case(coverage={"not_recorded": ["core_groups"]}), as_of=AS_OF)
    finding = caught.value.findings[0]
    assert (finding.code, finding.path) == ("CPC100", "coverage.not_recorded[0]")
    assert "core_groups" not in finding.message


@pytest.fixture(scope="module")
def ssd_results(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ssd") / "results.jsonl"
    from click.testing import CliRunner

    from engine.cli.main import cli

    source = ["--cases", str(ROOT / "examples" / "ssd"), "--from", "ssd"]
    result = CliRunner().invoke(
        cli, ["eval", "--policy", "berkshire", *source, "--as-of", "2026-03-01", "--out", str(out), "--jobs", "1"]
    )
    assert result.exit_code in (0, 1), result.output
    return out


def test_on_the_ssd_example_nothing_the_extract_cannot_carry_is_overdue_missed_or_breached(ssd_results) -> None:
    from engine.ssd.tables import not_recorded

    unrecordable = set(not_recorded(()))
    checked = 0
    for evaluation in results_file.read(ssd_results.read_text().splitlines()):
        for result in evaluation["results"]:
            needs = result.get("what") if result["kind"] == "deadline" else result.get("missing")
            names = set(needs if isinstance(needs, list) else [needs]) if needs else set()
            if names & unrecordable:
                checked += 1
                assert result["status"] in ("not_assessable", "met"), result
    assert checked > 300


def test_no_overdue_item_of_the_ssd_example_belongs_to_an_ended_plan_or_a_held_conference(ssd_results) -> None:
    from engine.ssd.mapping import iter_cases
    from engine.ssd.reader import read_extract

    extract = read_extract(ROOT / "examples" / "ssd")
    cases = {m.case["id"]: m.case for m in iter_cases(extract)}
    overdue = 0
    for evaluation in results_file.read(ssd_results.read_text().splitlines()):
        case = cases[evaluation["case"]]
        for result in evaluation["results"]:
            if result["status"] != "overdue":
                continue
            overdue += 1
            end = (case.get("plan") or {}).get("end")
            assert end is None or str(end) > "2026-03-01", result
    assert overdue == 8


def test_the_report_says_what_the_data_cannot_assess_and_what_is_still_to_do(ssd_results) -> None:
    with ssd_results.open("rb") as lines:
        report = summary.summarize(results_lines.parse_lines(lines))
    assert report.cases == 38 and report.cases_with_overdue == 8
    assert report.overdue_total == 8
    # Counted over the census year of 1 March 2026 (1 April 2025 to 31 March 2026), as the report does.
    rules = {rule: (names, n) for names, found in report.coverage for rule, n in found}
    assert rules["documents-sent"] == ("documents_sent", 59)
    assert rules["first-core-group"] == ("core_group_meeting", 21)
    # Rules whose clock the SSD cannot record give one result a case saying so, rather than none.
    # Either clock could set the due date, and the SSD records neither.
    assert rules["transfer-in-timescale"] == ("move_notified, transfer_accepted", 38)
    assert rules["cin-review-interval"] == ("cin_review", 38)
    assert report.not_recorded_rules == 25
    text = reports.render(report, "text")
    assert "Not assessable from this data: 25 rules (802 results), because the cases' source does not record" in text
    assert "8 cases (21.1%) have something overdue: late, and still to be done." in text
    data = json.loads(reports.render(report, "json"))
    assert {"not_recorded": ["documents_sent"], "rule": "documents-sent", "results": 59} in data["not_recorded"]


# --- one child, one count ---------------------------------------------------------------------------------


def test_a_case_id_repeated_in_a_caseload_is_reported_with_where_and_counted_once(run_cpc, tmp_path) -> None:
    case = _case()
    other = {**_case(), "id": "another"}
    caseload = tmp_path / "cases.jsonl"
    caseload.write_text("".join(json.dumps(c) + "\n" for c in (case, other, case, case)))
    out = tmp_path / "results.jsonl"
    run = run_cpc("eval", "--policy", "berkshire", "--cases", str(caseload), "--out", str(out), "--as-of", "2026-03-01")
    assert run.returncode == 1, run.stderr
    assert run.stderr.splitlines()[:3] == [
        "warning: 1 case id repeated in 2 later records; each was evaluated, and `cpc report` counts only the first "
        "record of each id",
        f"  coverage: {caseload}:3, first at {caseload}:1",
        f"  coverage: {caseload}:4, first at {caseload}:1",
    ]
    assert len(out.read_text().splitlines()) == 1 + 4  # the results header, then a line per record
    report = run_cpc("report", str(out))
    assert "2 records repeat a case id already counted (lines 4, 5): each child is counted once" in report.stdout
    assert report.stdout.splitlines()[2] == "2 cases evaluated under berkshire policy v97 as of 2026-03-01."
    data = json.loads(run_cpc("report", str(out), "--format", "json").stdout)
    assert (data["cases"], data["repeated_case_records"]) == (2, {"total": 2, "lines": [4, 5]})


def test_a_caseload_without_repeated_ids_says_nothing_of_them(run_cpc, tmp_path) -> None:
    caseload = tmp_path / "cases.jsonl"
    caseload.write_text(json.dumps(_case()) + "\n" + json.dumps({**_case(), "id": "another"}) + "\n")
    out = tmp_path / "results.jsonl"
    run = run_cpc("eval", "--policy", "berkshire", "--cases", str(caseload), "--out", str(out), "--as-of", "2026-03-01")
    assert "repeated" not in run.stderr
    assert "repeat" not in run_cpc("report", str(out)).stdout


def test_a_whole_caseload_can_say_what_its_source_does_not_record(run_cpc, tmp_path) -> None:
    caseload = tmp_path / "cases.jsonl"
    recorded = {**_case(), "id": "own", "coverage": {"not_recorded": ["report_to_chair"]}}
    caseload.write_text(json.dumps(_case()) + "\n" + json.dumps(recorded) + "\n")
    out = tmp_path / "results.jsonl"
    args = ["eval", "--policy", "berkshire", "--cases", str(caseload), "--as-of", "2026-03-01", "--out", str(out)]
    run = run_cpc(*args, "--not-recorded", "documents_sent")
    assert run.returncode == 1, run.stderr
    first, second = results_file.read(out.read_text().splitlines())
    statuses = {r["rule"]: (r["status"], r.get("reason")) for r in first["results"]}
    assert statuses["documents-sent"] == ("not_assessable", f"{NOT_RECORDED}: documents_sent")
    assert statuses["report-to-chair-initial"] == ("missed", None)
    # The caseload's names are added to a case's own.
    statuses = {r["rule"]: (r["status"], r.get("reason")) for r in second["results"]}
    assert statuses["documents-sent"][0] == statuses["report-to-chair-initial"][0] == "not_assessable"
    refused = run_cpc("eval", "--policy", "berkshire", "--cases", str(caseload), "--not-recorded", "core_groups")
    assert refused.returncode == 2 and "'core_groups' is not one of" in refused.stderr
    alone = run_cpc(
        "eval",
        "--policy",
        "berkshire",
        str(ROOT / "examples" / "cases" / "late-review.yaml"),
        "--not-recorded",
        "documents_sent",
    )
    assert alone.returncode == 2 and "--not-recorded go with --cases" in alone.stderr


def test_a_deadline_past_due_at_the_weekend_says_no_working_day_has_passed() -> None:
    """Due Friday 27 February 2026, evaluated Sunday 1 March: overdue, but '0 working days overdue' read as a
    contradiction."""
    from engine.evaluation import eval_formats

    case = _case()
    case["conferences"].append({"id": "review-1", "type": "review", "date": "2026-03-06", "held": False})
    [report] = [r for r in _results(case, "report-to-chair-review") if r.subject and r.subject.id.startswith("review")]
    assert (report.status, report.due, report.late.amount) == ("overdue", dt.date(2026, 2, 27), 0)
    assert eval_formats.line(report, AS_OF) == (
        "report-to-chair-review (review-1): due 2026-02-27, overdue (no working day has passed since)"
    )


def test_an_event_the_case_does_record_is_judged_late_or_on_time_alike_whatever_the_coverage() -> None:
    """Hiding a recorded late report while keeping a recorded on-time one would bias every rate upwards."""
    coverage = {"not_recorded": ["report_to_chair"]}
    on_time, late = _case(coverage=coverage), _case(coverage=coverage)
    on_time["conferences"][0]["reports"] = [{"agency": "school", "sent_to_chair": "2025-11-10"}]
    late["conferences"][0]["reports"] = [{"agency": "school", "sent_to_chair": "2025-11-13"}]
    [met] = _results(on_time, "report-to-chair-initial")
    [missed] = _results(late, "report-to-chair-initial")
    assert (met.status, missed.status, missed.done, missed.reason) == ("met", "missed", dt.date(2025, 11, 13), None)


def test_repeated_ids_are_found_however_many_cases_came_between() -> None:
    from engine.cli.eval_command import RepeatedIds

    repeated = RepeatedIds()
    for line in range(1, 5001):  # past several doublings of the table
        repeated.add(f"child-{line}", f"caseload.jsonl:{line}")
    repeated.add("child-7", "caseload.jsonl:5001")
    repeated.add("child-4999", "more.jsonl:3")
    repeated.add("folder-case", "cases/a.yaml")
    repeated.add("folder-case", "cases/b.yaml")
    assert repeated.warnings()[1:] == [
        "  child-7: caseload.jsonl:5001, first at caseload.jsonl:7",
        "  child-4999: more.jsonl:3, first at caseload.jsonl:4999",
        "  folder-case: cases/b.yaml, first at cases/a.yaml",
    ]
