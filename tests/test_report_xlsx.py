"""`cpc report --format xlsx`: the report as a workbook a performance team opens in Excel, read back here."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import engine
from engine.cli.report_command import report
from engine.evaluation.case_files import read_case
from engine.evaluation.eval_formats import json_line

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "report"
FIXTURE = DATA / "results.jsonl"
WHOLE = "2025-01-01..2026-12-31"


def fixture_with_case_id(case_id: str, into: Path) -> Path:
    """The report fixture with every evaluation's case id replaced by ``case_id``, written to ``into``."""
    lines = []
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(line)
        except ValueError:  # the fixture's malformed lines stay as they are
            lines.append(line)
            continue
        if isinstance(data, dict) and "results" in data:
            data["case"] = case_id
        lines.append(json.dumps(data))
    into.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return into


# The generated caseload's results fall due over the three years before 2026-03-01: 36 months of them.
GENERATED_PERIOD = "2023-04-01..2026-03-31"
TEAMS = ("team-north", "team-south", "team-east")


def generated_results(into: Path, n: int = 80) -> Path:
    """``n`` cases of bench/generate_caseload.py (seed 7) evaluated under Berkshire as of 2026-03-01, written to
    ``into``: every sixth in no team, the rest in three, with workers; every fourth from a source that does not
    record reports to the chair. Every part of the report has something in it, over 36 months."""
    spec = importlib.util.spec_from_file_location("generate_caseload", ROOT / "bench" / "generate_caseload.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    as_of = dt.date(2026, 3, 1)
    evaluator = engine.load_policy("berkshire").evaluator(as_of)
    with into.open("w", encoding="utf-8") as out:
        for i, line in enumerate(generator.generate_lines(n, 7, as_of)):
            case = json.loads(line)
            if i % 6:
                case["team"], case["worker"] = TEAMS[i % 3], f"worker-{i % 5}"
            if i % 4 == 0:
                case["coverage"] = {"not_recorded": ["report_to_chair"]}
            out.write(json_line(evaluator.evaluate(read_case(case), as_of)))
    return into


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    return generated_results(tmp_path_factory.mktemp("generated") / "results.jsonl")


def invoke(*args: str):
    return CliRunner().invoke(report, list(args))


def _workbook(tmp_path: Path, results: Path = FIXTURE, *more: str, period: str = WHOLE):
    out = tmp_path / "report.xlsx"
    result = invoke(str(results), "--format", "xlsx", "--out", str(out), "--force", "--period", period, *more)
    assert result.exit_code == 0, result.output
    return load_workbook(out)


def _json(results: Path = FIXTURE, *more: str, period: str = WHOLE) -> dict:
    result = invoke(str(results), "--format", "json", "--period", period, *more)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _same(value: object) -> object:
    # A cell and a CSV field compared as values: numbers as numbers (Excel keeps 0.0 as 0), a date as its day
    # (with its time when it has one).
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes") if value.time() != dt.time() else value.date().isoformat()
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


def _csv(fmt: str, *more: str, results: Path = FIXTURE, period: str = WHOLE) -> list[list[object]]:
    result = invoke(str(results), "--format", fmt, "--period", period, *more)
    assert result.exit_code == 0, result.output
    return [[_same(field) for field in row] for row in csv.reader(io.StringIO(result.output))]


def _rows(sheet) -> list[list[object]]:
    """The rows of a sheet's table (the Excel table of the sheet's name), as values."""
    (table,) = sheet.tables.values()
    return [[_same(cell.value) for cell in row] for row in sheet[table.ref]]


def _records(sheet) -> list[dict]:
    """The rows of a sheet's table as dicts by column name, the cells' values as they are."""
    (table,) = sheet.tables.values()
    header, *rows = [[cell.value for cell in row] for row in sheet[table.ref]]
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_each_table_is_a_sheet_with_the_rows_the_csv_formats_give(tmp_path) -> None:
    book = _workbook(tmp_path, FIXTURE, "--all")
    assert book.sheetnames == [
        "About",
        "Rules",
        "Census",
        "Conference days",
        "Plans",
        "Not assessable",
        "Months",
        "Overdue",
    ]
    assert _rows(book["Rules"]) == _csv("csv")
    assert _rows(book["Overdue"]) == _csv("overdue-csv", "--all")
    # A month is its first day in the workbook, "2025-01" in the CSV.
    months = _csv("months-csv")
    assert _rows(book["Months"]) == [months[0], *([f"{row[0]}-01", *row[1:]] for row in months[1:])]


def test_every_part_of_the_text_report_is_a_sheet_of_its_own(tmp_path, generated) -> None:
    book = _workbook(tmp_path, generated, "--by", "team", "--all", period=GENERATED_PERIOD)
    data = _json(generated, "--by", "team", "--all", period=GENERATED_PERIOD)
    assert book.sheetnames == [
        "About",
        "Rules",
        "Census",
        "Conference days",
        "Plans",
        "Teams",
        "Not assessable",
        "Months",
        "Overdue",
    ]
    # Each sheet's rows are an Excel table of its name, which Power BI's navigator offers by name.
    assert [name for sheet in book for name in sheet.tables] == [
        "About",
        "Rules",
        "Census",
        "ConferenceDays",
        "Plans",
        "Teams",
        "NotAssessable",
        "Months",
        "Overdue",
    ]

    census = {row["measure"]: row for row in _records(book["Census"])}
    initial = data["census"]["initial_conferences"]
    assert census["initial conferences within 15 working days of the strategy discussion"] == {
        "measure": "initial conferences within 15 working days of the strategy discussion",
        "rule": "icpc-timescale",
        "held": initial["held"],
        "on_time": initial["met"],
        "late": initial["held"] - initial["met"],
        "on_time_percent": initial["on_time_percent"],
        "not_yet_held": initial["pending"] + initial["overdue"],
        "overdue": initial["overdue"],
    }
    reviews = data["census"]["reviews"]
    assert (census["all reviews"]["held"], census["all reviews"]["on_time"]) == (reviews["held"], reviews["met"])
    assert census["first reviews"]["on_time"] == reviews["first_review"]["met"]

    days = _records(book["Conference days"])
    assert [(r["working_days"], r["conferences"]) for r in days] == list(initial["working_days"].items())
    assert days[0]["percent"] == round(100 * initial["working_days"]["0-10"] / initial["held"], 1)

    plans = {row["measure"]: row for row in _records(book["Plans"])}
    p = data["plans"]
    assert plans["plans started in the period"]["plans"] == p["started"]
    for category, n in p["started_by_category"].items():
        assert plans[f"started in the period: {category.replace('_', ' ')}"]["plans"] == n
    assert (
        plans["second or later plans, of those started whose earlier plans are recorded"]["plans"]
        == (p["second_or_later"])
    )
    assert plans["plans ended in the period"]["plans"] == p["ended"]
    assert plans["ended after lasting two years or more"]["plans"] == p["ended_after_two_years_or_more"]
    every = plans["ended after three months or more with every review on time"]
    assert (every["plans"], every["of"]) == (p["every_review_on_time"], p["ended_after_three_months_or_more"])

    teams = _records(book["Teams"])
    assert [
        (t["team"], t["cases"], t["cases_with_overdue"], t["overdue_items"], t["deadlines_met"], t["deadlines_due"])
        for t in teams
    ] == [
        (g["name"], g["cases"], g["cases_with_overdue"], g["overdue"], g["deadlines_met"], g["deadlines_due"])
        for g in data["groups"]
    ]

    missing = _records(book["Not assessable"])
    assert [(m["rule"], m["results"], m["not_recorded"]) for m in missing] == [
        (item["rule"], item["results"], ", ".join(item["not_recorded"])) for item in data["not_recorded"]
    ]
    titles = {r["rule"]: r["title"] for r in data["rules"]}
    assert all(m["title"] == titles[m["rule"]] for m in missing)

    # The directions, with the cases each applied to, as the text report's table gives them.
    directions = {(r["rule"], r["status"]): r for r in _records(book["Rules"]) if r["kind"] == "decision"}
    for rule in (r for r in data["rules"] if r["kind"] == "decision"):
        row = directions[(rule["rule"], "applies")]
        assert (row["count"], row["rule_cases"]) == (rule["counts"]["applies"], rule["cases"])


def test_numbers_dates_and_months_are_typed_so_that_a_spreadsheet_can_sum_and_sort_them(tmp_path, generated) -> None:
    book = _workbook(tmp_path, generated, "--all", period=GENERATED_PERIOD)
    rules = _records(book["Rules"])
    assert all(isinstance(row["count"], int) and isinstance(row["rule_results"], int) for row in rules)
    assert any(isinstance(row["rule_met_percent"], float) for row in rules)
    overdue = book["Overdue"]
    assert all(isinstance(row["due"], dt.datetime) for row in _records(overdue))
    assert overdue["A2"].number_format == "yyyy-mm-dd"
    # A deadline counted in hours is due at a time of day: a date and time, not a text.
    timed = [cell for (cell,) in overdue.iter_rows(min_row=2, max_col=1) if cell.value.time() != dt.time()]
    assert timed and all(cell.number_format == "yyyy-mm-dd hh:mm" for cell in timed)
    months = book["Months"]
    assert [cell.value for (cell,) in months.iter_rows(min_row=2, max_col=1)] == [
        dt.datetime(2023 + (3 + i) // 12, (3 + i) % 12 + 1, 1) for i in range(36)
    ]
    assert all(cell.number_format == "mmm yyyy" for (cell,) in months.iter_rows(min_row=2, max_col=1))
    # A share has a column of its own, headed as a percent, never under a count.
    census = book["Census"]
    assert [cell.value for cell in census[1]] == [
        "measure",
        "rule",
        "held",
        "on_time",
        "late",
        "on_time_percent",
        "not_yet_held",
        "overdue",
    ]
    assert all(isinstance(row["held"], int) for row in _records(census))
    assert all(isinstance(row["on_time_percent"], float) for row in _records(census))
    assert census["F2"].number_format == "0.0"


def test_the_about_sheet_says_what_was_evaluated_and_the_headline_counts_once_each(tmp_path) -> None:
    book = _workbook(tmp_path)
    data = _json()
    rows = [(row["item"], row["value"], row["percent_of_cases"]) for row in _records(book["About"])]
    items = [item for item, _, _ in rows]
    assert len(items) == len(set(items)), "an item is listed twice"
    about = {item: (value, percent) for item, value, percent in rows}
    assert about["cases evaluated"] == (data["cases"], None)
    assert about["cases with something overdue: late, and still to be done"] == (
        data["cases_with_overdue"],
        round(100 * data["cases_with_overdue"] / data["cases"], 1),
    )
    assert about["cases that could not be evaluated (error records)"][0] == data["error_records"]
    assert about["error records with code CPC001"][0] == data["errors_by_code"]["CPC001"]
    assert about["period from"][0].date().isoformat() == data["period"]["start"]
    assert about["period to"][0].date().isoformat() == data["period"]["end"]
    # Two policies in the fixture: how many cases under each, once, and no "evaluated under" without them.
    assert "evaluated under" not in about
    runs = [(item, value) for item, value, _ in rows if item.startswith("cases evaluated under ")]
    assert runs == [
        (f"cases evaluated under {r['area']} policy {r['policy_version']} as of {r['as_of']}", r["cases"])
        for r in data["evaluated_under"]
    ]


def test_a_cut_overdue_list_says_so_on_the_about_sheet_and_beside_the_table(tmp_path) -> None:
    book = _workbook(tmp_path, FIXTURE, "--overdue-limit", "2")
    about = {row["item"]: row["value"] for row in _records(book["About"])}
    assert about["overdue items on the evaluation date"] == 5
    assert about["overdue items listed on the Overdue sheet"] == 2
    assert about["the Overdue sheet lists"] == (
        "the first 2 (open plans' work first, earliest due first) of the 5 overdue items (--overdue-limit 2); "
        "cpc report --all lists every one"
    )
    overdue = book["Overdue"]
    (table,) = overdue.tables.values()
    # The table holds the two items and nothing else; the note is in the first row, past an empty column.
    assert table.ref == "A1:H3"
    assert overdue["I1"].value is None
    assert overdue["J1"].value == (
        "This sheet lists the first 2 (open plans' work first, earliest due first) of the 5 overdue items "
        "(--overdue-limit 2); cpc report --all lists "
        "every one."
    )
    assert [overdue.cell(row, 10).value for row in range(2, overdue.max_row + 1)] == [None] * (overdue.max_row - 1)

    whole = _workbook(tmp_path, FIXTURE, "--all")
    assert dict((r["item"], r["value"]) for r in _records(whole["About"]))["the Overdue sheet lists"] == (
        "every one of the 5 overdue items"
    )
    assert whole["Overdue"].max_column == 8, "a note beside a list that is whole"


def test_an_empty_overdue_list_is_still_a_table(tmp_path) -> None:
    book = _workbook(tmp_path, FIXTURE, "--overdue-limit", "0")
    (table,) = book["Overdue"].tables.values()
    # As Excel keeps a table emptied of its rows: its header and one empty row.
    assert table.ref == "A1:H2"
    assert all(cell.value is None for cell in book["Overdue"][2])
    assert book["Overdue"]["J1"].value.startswith("This sheet lists none of the 5 overdue items")


def test_text_from_the_results_is_never_a_formula(tmp_path) -> None:
    # A case id is the source system's; in a spreadsheet "=HYPERLINK(...)" would run as a formula.
    hostile = '=HYPERLINK("http://example.com","x")'
    book = _workbook(tmp_path, fixture_with_case_id(hostile, tmp_path / "hostile.jsonl"), "--all")
    cells = [cell for row in book["Overdue"].iter_rows(min_row=2) for cell in row if cell.value == hostile]
    assert cells and all(cell.data_type == "s" for cell in cells)


def test_the_same_results_give_the_same_bytes(tmp_path, generated) -> None:
    for results, more in ((FIXTURE, ["--period", WHOLE]), (generated, ["--by", "team", "--period", GENERATED_PERIOD])):
        first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
        for out in (first, second):
            assert invoke(str(results), "--format", "xlsx", "--out", str(out), "--force", *more).exit_code == 0
        assert first.read_bytes() == second.read_bytes()


def test_out_never_replaces_a_file_without_force(tmp_path) -> None:
    out = tmp_path / "report.xlsx"
    out.write_text("keep me", encoding="utf-8")
    result = invoke(str(FIXTURE), "--format", "xlsx", "--out", str(out))
    assert result.exit_code == 2
    assert f"--out {out} exists; pass --force to overwrite it" in result.output
    assert out.read_text(encoding="utf-8") == "keep me"
    assert invoke(str(FIXTURE), "--format", "xlsx", "--out", str(out), "--force").exit_code == 0
    assert load_workbook(out).sheetnames[0] == "About"


def test_force_without_out_is_a_usage_error() -> None:
    result = invoke(str(FIXTURE), "--force")
    assert result.exit_code == 2
    assert "--force goes with --out" in result.output
