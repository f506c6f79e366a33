"""`cpc reconcile`: the source system's due dates against cpc's, finding what was planted and nothing else."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import engine
from engine.cli.ssd_command import reconcile_command
from engine.core.calendar import WorkingCalendar
from engine.ssd import reconcile as rec

from .conftest import ROOT
from .test_ssd import AS_OF, EXPECTED, FIXTURE, _generator

EASTER_MONDAY = dt.date(2025, 4, 21)
GOOD_FRIDAY = dt.date(2025, 4, 18)


@pytest.fixture(scope="module")
def report() -> rec.Reconciliation:
    return rec.reconcile(FIXTURE, engine.load_policy(EXPECTED["policy"]), AS_OF)


def _found(report: rec.Reconciliation) -> list[tuple]:
    return sorted(
        (c.child, c.kind, c.record, c.theirs.isoformat(), c.ours.isoformat(), c.working_days, c.rule)
        for c in report.disagreements
    )


PLANTED = sorted(
    (d["child"], d["kind"], d["record"], d["theirs"], d["ours"], d["working_days"], d["rule"])
    for d in EXPECTED["disagreements"]
)


def test_it_finds_exactly_the_planted_disagreements(report: rec.Reconciliation) -> None:
    assert len(PLANTED) == 10
    assert _found(report) == PLANTED


@pytest.mark.parametrize("area", ["england", "hampshire"])
def test_the_same_under_every_area_whose_timescales_are_the_same(area: str) -> None:
    assert _found(rec.reconcile(FIXTURE, engine.load_policy(area), AS_OF)) == PLANTED


def test_the_forgotten_bank_holiday_is_named(report: rec.Reconciliation) -> None:
    [finding] = report.findings
    assert finding.holidays == ((EASTER_MONDAY, "Easter Monday"),)
    assert finding.disagreements == EXPECTED["bank_holiday"]["one_day_disagreements"] == 5
    assert finding.message() == (
        "5 one-day-early disagreements all count over Easter Monday 2025-04-21, and none of the 5 comparisons "
        "that do agreed: the source system may not know that bank holiday."
    )


def test_counts_by_rule_and_by_difference(report: rec.Reconciliation) -> None:
    assert report.compared == 98 and len(report.disagreements) == 10
    assert report.by_rule() == {"first-review-timescale": 1, "icpc-timescale": 7, "review-interval": 2}
    assert report.by_difference() == {-253: 1, -23: 1, -7: 1, -1: 5, 20: 1, 22: 1}


def test_what_could_not_be_compared_is_counted_with_the_reason(report: rec.Reconciliation) -> None:
    assert report.not_compared() == {
        ("icpc_target", rec.TRANSFER_IN): 1,
        ("review_due", rec.NO_REVIEW_MATCH): 1,
        ("review_due", rec.UNREADABLE): 1,
    }
    assert not report.errors


def test_every_disagreement_carries_the_rule_and_its_citation(report: rec.Reconciliation) -> None:
    for c in report.disagreements:
        assert c.citations and all(x.quote and x.file for x in c.citations)
        assert c.clock is not None and c.clock <= c.ours
        assert c.calendar_days == (c.theirs - c.ours).days


def test_the_text_report_is_the_one_docs_show(report: rec.Reconciliation, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    shown = rec.text(rec.reconcile("examples/ssd", engine.load_policy("berkshire"), AS_OF))
    assert "Disagreements (10)" in shown and "Easter Monday 2025-04-21" in shown
    assert shown in (ROOT / "docs" / "ssd.md").read_text(encoding="utf-8")


def test_csv_has_one_row_per_disagreement(report: rec.Reconciliation) -> None:
    rows = list(csv.DictReader(io.StringIO(rec.csv_text(report))))
    assert tuple(rows[0]) == rec.CSV_FIELDS
    assert (
        sorted(
            (r["child"], r["date"], r["record"], r["theirs"], r["ours"], int(r["working_days"]), r["rule"])
            for r in rows
        )
        == PLANTED
    )
    easter = [r for r in rows if r["working_days"] == "-1"]
    assert all("2025-04-21" in r["non_working_days_spanned"].split() for r in easter)
    assert all(r["citation"] and r["source_file"].endswith(".txt") for r in rows)


def test_json_has_everything_the_text_has(report: rec.Reconciliation) -> None:
    data = json.loads(rec.json_text(report))
    assert (data["area"], data["policy_version"], data["as_of"]) == ("berkshire", "v97", "2026-03-01")
    assert (data["compared"], data["agree"], data["disagree"]) == (98, 88, 10)
    assert (
        sorted(
            (d["child"], d["date"], d["record"], d["theirs"], d["ours"], d["working_days"], d["rule"])
            for d in data["disagreements"]
        )
        == PLANTED
    )
    assert data["bank_holidays"][0]["days"] == [{"date": "2025-04-21", "name": "Easter Monday"}]
    assert data["by_working_days"] == {"-253": 1, "-23": 1, "-7": 1, "-1": 5, "20": 1, "22": 1}
    assert sum(n["count"] for n in data["not_compared"]) == 3


# -- the command ------------------------------------------------------------------------------------------


def _run(*args: str):
    return CliRunner().invoke(reconcile_command, list(args))


def test_the_command_exits_1_on_disagreements_in_every_format() -> None:
    for fmt in ("text", "csv", "json"):
        result = _run("--policy", "berkshire", str(FIXTURE), "--as-of", "2026-03-01", "--format", fmt)
        assert result.exit_code == 1, result.output
    assert json.loads(result.output)["disagree"] == 10


def test_a_correct_system_gives_no_disagreements_and_exit_0(tmp_path: Path) -> None:
    """An extract from a system that knows every bank holiday and makes no mistakes: nothing to report."""
    out = tmp_path / "clean"
    assert _generator().main([str(out), "--children", "150", "--seed", "11", "--no-plant"]) == 0
    result = _run("--policy", "berkshire", str(out), "--as-of", "2026-03-01")
    assert result.exit_code == 0, result.output
    assert " 0 disagree; 0 not compared" in result.output


def test_errors_exit_2_without_a_traceback(tmp_path: Path) -> None:
    missing = _run("--policy", "berkshire", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and "not a folder" in missing.output
    unknown = _run("--policy", "atlantis", str(FIXTURE))
    assert unknown.exit_code == 2 and "atlantis" in unknown.output
    bad_date = _run("--policy", "berkshire", str(FIXTURE), "--as-of", "1 March")
    assert bad_date.exit_code == 2


# -- explaining one-day disagreements ---------------------------------------------------------------------


def _comparison(child: str, ours: dt.date, days: int, spans: tuple[dt.date, ...]) -> rec.Comparison:
    # Only the difference and the days spanned take part in the explanation; theirs is for show.
    theirs = ours + dt.timedelta(days=days)
    return rec.Comparison(
        child, "icpc_target", f"icpc-{child}", theirs, ours, "icpc-timescale", dt.date(2025, 4, 1), days, spans=spans
    )


def test_holidays_the_data_cannot_tell_apart_are_named_together() -> None:
    both = (GOOD_FRIDAY, EASTER_MONDAY)
    comparisons = [_comparison(str(i), dt.date(2025, 4, 24 + i), -1, both) for i in range(3)]
    [finding] = rec.holiday_findings(comparisons, WorkingCalendar())
    assert finding.holidays == ((GOOD_FRIDAY, "Good Friday"), (EASTER_MONDAY, "Easter Monday"))
    assert "Good Friday 2025-04-18 or Easter Monday 2025-04-21" in finding.message()
    assert finding.message().endswith("may not know one of these days.")


def test_a_holiday_some_comparison_agreed_over_is_not_suspected() -> None:
    may_day = dt.date(2025, 5, 5)
    comparisons = [
        _comparison("1", dt.date(2025, 5, 8), -1, (GOOD_FRIDAY, EASTER_MONDAY, may_day)),
        _comparison("2", dt.date(2025, 5, 13), -1, (EASTER_MONDAY, may_day)),
        _comparison("3", dt.date(2025, 5, 20), 0, (may_day,)),
    ]
    [finding] = rec.holiday_findings(comparisons, WorkingCalendar())
    assert finding.holidays == ((EASTER_MONDAY, "Easter Monday"),)
    assert (finding.disagreements, finding.comparisons_spanning) == (2, 2)


def test_one_day_late_or_unexplained_disagreements_are_not_blamed_on_a_holiday() -> None:
    comparisons = [
        _comparison("1", dt.date(2025, 5, 8), 1, (EASTER_MONDAY,)),
        _comparison("2", dt.date(2025, 6, 10), -1, ()),
    ]
    assert rec.holiday_findings(comparisons, WorkingCalendar()) == []


# -- a case cpc cannot count --------------------------------------------------------------------------------


def test_a_case_whose_time_limits_run_past_the_calendar_is_an_error_not_a_crash(monkeypatch) -> None:
    from engine.evaluation.case_files import CaseError
    from engine.ssd import mapping as ssd
    from engine.ssd.reader import read_extract

    # A conference late in 2100 has a review due in 2101, whose working days cannot be counted.
    def past_the_calendar(case: dict, as_of: dt.date, **options) -> None:
        raise CaseError("a time limit falls outside the calendar", [])

    episodes = next(child for child in ssd.iter_child_episodes(read_extract(FIXTURE)) if child)
    work = rec._Reconciler(engine.load_policy("berkshire").evaluator(AS_OF), AS_OF)
    monkeypatch.setattr(work.evaluator, "evaluate", past_the_calendar)
    found = work(episodes)
    assert found.errors[0] == f"{episodes[0].source}: {rec.OUT_OF_CALENDAR} (case {episodes[0].id})"
    assert found.comparisons and all(c.reason == rec.OUT_OF_CALENDAR for c in found.comparisons)
