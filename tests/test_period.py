"""`cpc report`'s reporting period, the census's per-child measures of plans, month by month counts, `--by team`.

Dates are real census-year boundaries (31 March and 1 April), month ends and leap years.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from click.testing import CliRunner

from engine.caseload.period import Period, PeriodError, add_months, census_year, parse_period
from engine.caseload.report_formats import render
from engine.caseload.results_lines import parse_lines
from engine.caseload.summary import summarize
from engine.cli.report_command import report


def line(case: str, results: list[dict], *, plan: dict | None = None, team: str | None = None) -> str:
    data: dict = {"case": case, "area": "berkshire", "policy_version": "v97", "as_of": "2026-03-01"}
    if team is not None:
        data["team"] = team
    if plan is not None:
        data["plan"] = plan
    return json.dumps({**data, "results": results})


def deadline(rule: str, status: str, due: str, done: str | None = None, **extra) -> dict:
    result = {"rule": rule, "title": rule, "kind": "deadline", "status": status, "what": "x", "due": due, **extra}
    if done is not None:
        result["done"] = done
    if status in ("missed", "overdue"):
        result.setdefault("late", {"amount": 1, "unit": "days"})
    return result


def test_the_census_year_runs_from_1_april_to_31_march() -> None:
    assert census_year(dt.date(2026, 3, 31)) == Period(dt.date(2025, 4, 1), dt.date(2026, 3, 31))
    assert census_year(dt.date(2026, 4, 1)) == Period(dt.date(2026, 4, 1), dt.date(2027, 3, 31))
    assert census_year(dt.date(2024, 2, 29)).months()[-1] == "2024-03"
    assert len(census_year(dt.date(2025, 12, 25)).months()) == 12


def test_a_period_is_written_start_dot_dot_end() -> None:
    assert parse_period("2025-04-01..2026-03-31") == Period(dt.date(2025, 4, 1), dt.date(2026, 3, 31))
    for bad in ("2025-04-01", "2025-04-01..2025-02-30", "2026-01-01..2025-01-01", "april..march"):
        with pytest.raises(PeriodError):
            parse_period(bad)


def test_months_are_added_as_the_calendar_has_them() -> None:
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2024, 2, 29), 24) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2025, 11, 30), 3) == dt.date(2026, 2, 28)


def test_the_default_period_counts_what_fell_due_in_the_census_year_of_the_evaluation_date() -> None:
    results = [
        deadline("icpc-timescale", "met", "2025-03-31", done="2025-03-28"),  # the year before
        deadline("icpc-timescale", "met", "2025-04-01", done="2025-04-01"),  # its first day
        deadline("icpc-timescale", "missed", "2026-03-31", done="2026-04-01"),  # its last day
        deadline("icpc-timescale", "pending", "2026-04-01"),  # the year after
    ]
    summary = summarize(parse_lines([line("c", results)]))
    assert summary.period == Period(dt.date(2025, 4, 1), dt.date(2026, 3, 31)) and not summary.period_given
    counts = dict(summary.rules[0].counts)
    assert (counts["met"], counts["missed"], counts["pending"]) == (1, 1, 0)
    text = render(summary, "text")
    assert "Counts are of what fell due from 2025-04-01 to 2026-03-31 (the census year of the evaluation date" in text
    chosen = summarize(parse_lines([line("c", results)]), period=parse_period("2025-01-01..2025-03-31"))
    assert dict(chosen.rules[0].counts)["met"] == 1 and chosen.period_given


def test_the_overdue_list_is_the_work_on_the_evaluation_date_whatever_the_period() -> None:
    old = deadline("review-interval", "overdue", "2024-12-01")
    summary = summarize(parse_lines([line("c", [old])]))
    # Due in December 2024, before the census year of 1 March 2026: not in its counts, but still to be done.
    assert summary.rules == ()
    assert (summary.overdue_total, summary.cases_with_overdue, summary.overdue[0].due) == (1, 1, "2024-12-01")


def _plan_line(case: str, start: str, end: str | None = None, **extra) -> str:
    plan = {"start": start, **({"end": end} if end else {}), **extra}
    return line(case, [], plan=plan)


def test_plans_are_counted_as_the_census_counts_them() -> None:
    lines = [
        _plan_line("a", "2025-04-01", category="neglect", previous_plans=0),
        _plan_line("b", "2025-06-10", category="neglect", previous_plans=2),
        _plan_line("c", "2026-01-05", category="emotional_abuse"),  # earlier plans not recorded
        _plan_line("d", "2025-03-31", category="neglect"),  # started the year before
        # Ended in the period: exactly two years (29 February 2024 + 24 months = 28 February 2026), a day short.
        _plan_line("e", "2024-02-29", "2026-02-28"),
        _plan_line("f", "2024-03-01", "2026-02-28"),
    ]
    plans = summarize(parse_lines(lines)).plans
    assert (plans.started, plans.repeat, plans.repeat_unknown) == (3, 1, 1)
    assert dict(plans.started_by_category) == {"emotional_abuse": 1, "neglect": 2}
    assert (plans.ended, plans.ended_after_two_years) == (2, 1)


def test_every_review_on_time_is_counted_for_plans_ended_in_the_period_after_three_months() -> None:
    on_time = [deadline("first-review-timescale", "met", "2025-07-01", done="2025-06-30")]
    late = [deadline("review-interval", "missed", "2025-12-01", done="2025-12-09")]
    never = [deadline("review-interval", "missed", "2026-01-01", closed="2026-01-10")]
    lines = [
        line("a", on_time, plan={"start": "2025-04-01", "end": "2025-07-01"}),  # three months exactly
        line("b", on_time, plan={"start": "2025-04-02", "end": "2025-07-01"}),  # a day short: not counted
        line("c", late, plan={"start": "2025-05-01", "end": "2026-02-01"}),
        line("d", never, plan={"start": "2025-05-01", "end": "2026-01-10"}),
        line("e", on_time, plan={"start": "2025-05-01"}),  # still open
    ]
    plans = summarize(parse_lines(lines)).plans
    assert (plans.ended, plans.ended_after_three_months, plans.reviews_all_on_time) == (4, 3, 1)
    text = render(summarize(parse_lines(lines)), "text")
    assert "every review on time, of the plans ended after three months or more: 1 of 3 (33.3%)" in text


def test_month_by_month_counts_for_a_chart() -> None:
    results = [
        deadline("icpc-timescale", "met", "2025-04-30", done="2025-04-29"),
        deadline("icpc-timescale", "missed", "2025-05-01", done="2025-05-06"),
        deadline("review-interval", "met", "2025-05-31", done="2025-05-30"),
        deadline("documents-sent", "overdue", "2026-03-31"),
    ]
    summary = summarize(parse_lines([line("c", results)]))
    months = dict(summary.months)
    assert len(months) == 12
    assert dict(months["2025-04"])["icpc_on_time"] == 1
    assert dict(months["2025-05"]) == {
        "due_met": 1,
        "due_missed": 1,
        "due_overdue": 0,
        "due_pending": 0,
        "due_not_assessable": 0,
        "icpc_on_time": 0,
        "icpc_late": 1,
        "reviews_on_time": 1,
        "reviews_late": 0,
    }
    rows = list(csv.DictReader(io.StringIO(render(summary, "months-csv"))))
    assert [r["month"] for r in rows][:2] == ["2025-04", "2025-05"] and rows[-1]["due_overdue"] == "1"
    assert json.loads(render(summary, "json"))["months"][1]["icpc_late"] == 1


def test_by_team_breaks_the_caseload_down_and_teams_are_printed_only_when_asked(tmp_path) -> None:
    results = tmp_path / "results.jsonl"
    overdue = [deadline("review-interval", "overdue", "2026-01-10")]
    met = [deadline("review-interval", "met", "2026-01-10", done="2026-01-05")]
    results.write_text(
        "\n".join(
            [
                line("a", overdue, team="team-north"),
                line("b", met, team="team-north"),
                line("c", met, team="team-south"),
                line("d", met),
            ]
        )
        + "\n"
    )
    plain = CliRunner().invoke(report, [str(results)])
    assert plain.exit_code == 0 and "team-north" not in plain.stdout
    by = CliRunner().invoke(report, [str(results), "--by", "team"])
    assert by.exit_code == 0
    lines = by.stdout.splitlines()
    at = lines.index("By team (overdue: on the evaluation date; deadlines: due in the period)")
    assert lines[at + 1] == "  team             cases  with overdue  overdue items  deadlines met of due"
    assert lines[at + 2].split() == ["(none", "recorded)", "1", "0", "0", "100.0%"]
    assert lines[at + 3].split() == ["team-north", "2", "1", "1", "50.0%"]
    assert lines[at + 4].split() == ["team-south", "1", "0", "0", "100.0%"]
    data = json.loads(CliRunner().invoke(report, [str(results), "--by", "team", "--format", "json"]).stdout)
    assert data["groups"][1] == {
        "name": "team-north",
        "cases": 2,
        "cases_with_overdue": 1,
        "overdue": 1,
        "deadlines_met": 1,
        "deadlines_due": 2,
    }


def test_a_bad_period_is_a_usage_error() -> None:
    result = CliRunner().invoke(report, ["-", "--period", "2026"], input="")
    assert result.exit_code == 2
    assert "--period '2026' is not a period; write START..END" in result.stderr


def test_the_overdue_list_puts_work_that_can_be_acted_on_first() -> None:
    """An open plan's review, a report due before a conference not yet held and a conference to hold come before
    the records of a conference long past that made no plan, however old those are."""
    old_records = deadline(
        "documents-sent", "overdue", "2023-04-04", clock={"event": "conference", "date": "2023-04-03"}
    )
    report_due = deadline(
        "report-to-chair-initial", "overdue", "2026-02-26", clock={"event": "initial_conference", "date": "2026-03-03"}
    )
    review = deadline("review-interval", "overdue", "2026-01-31")
    lines = [
        line("no-plan", [old_records]),
        line("booked", [report_due]),
        line("open-plan", [review], plan={"start": "2025-07-31"}),
    ]
    summary = summarize(parse_lines(lines))
    assert [(i.case, i.tier) for i in summary.overdue] == [("open-plan", 0), ("booked", 0), ("no-plan", 1)]
    with_teams = summarize(parse_lines(lines), by="team")
    rows = list(csv.reader(io.StringIO(render(with_teams, "overdue-csv"))))
    assert rows[0][-1] == "team" and rows[1][-1] == "(none recorded)"
