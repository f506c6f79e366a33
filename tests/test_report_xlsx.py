"""`cpc report --format xlsx`: the report as a workbook a performance team opens in Excel, read back here."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import json
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

import engine
from engine.caseload import read_case
from engine.cli_report import report
from engine.evalreport import json_line

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


def invoke(*args: str):
    return CliRunner().invoke(report, list(args))


def _workbook(tmp_path: Path, results: Path = FIXTURE, *more: str):
    out = tmp_path / "report.xlsx"
    result = invoke(str(results), "--format", "xlsx", "--out", str(out), "--period", WHOLE, *more)
    assert result.exit_code == 0, result.output
    return load_workbook(out)


def _same(value: object) -> object:
    # A cell and a CSV field compared as values: numbers as numbers (Excel keeps 0.0 as 0), a date as its day.
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


def _csv(fmt: str, *more: str) -> list[list[object]]:
    result = invoke(str(FIXTURE), "--format", fmt, "--period", WHOLE, *more)
    assert result.exit_code == 0, result.output
    return [[_same(field) for field in row] for row in csv.reader(io.StringIO(result.output))]


def _rows(sheet) -> list[list[object]]:
    return [[_same(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]


def test_each_table_is_a_sheet_with_the_rows_the_csv_formats_give(tmp_path) -> None:
    book = _workbook(tmp_path, FIXTURE, "--all")
    assert book.sheetnames == ["About", "Rules", "Census", "Months", "Overdue"]
    assert _rows(book["Rules"]) == _csv("csv")
    assert _rows(book["Overdue"]) == _csv("overdue-csv", "--all")
    assert _rows(book["Months"]) == _csv("months-csv")


def test_numbers_and_dates_are_typed_so_that_a_spreadsheet_can_sum_and_sort_them(tmp_path) -> None:
    book = _workbook(tmp_path, FIXTURE, "--all")
    rules = list(book["Rules"].iter_rows(min_row=2, values_only=True))
    assert all(isinstance(row[4], int) and isinstance(row[5], int) for row in rules)
    assert any(isinstance(row[6], float) for row in rules)
    overdue = list(book["Overdue"].iter_rows(min_row=2, values_only=True))
    assert overdue and all(isinstance(row[0], dt.datetime) for row in overdue)
    assert book["Overdue"]["A2"].number_format == "yyyy-mm-dd"


def test_the_census_and_about_sheets_say_what_the_json_format_says(tmp_path) -> None:
    book = _workbook(tmp_path)
    data = json.loads(invoke(str(FIXTURE), "--format", "json", "--period", WHOLE).output)
    about = dict(book["About"].iter_rows(min_row=2, values_only=True))
    assert about["cases"] == data["cases"]
    assert about["cases with something overdue"] == data["cases_with_overdue"]
    assert about["period from"].date().isoformat() == data["period"]["start"]
    census = dict(book["Census"].iter_rows(min_row=2, values_only=True))
    assert census["initial conferences / held"] == data["census"]["initial_conferences"]["held"]


def test_text_from_the_results_is_never_a_formula(tmp_path) -> None:
    # A case id is the source system's; in a spreadsheet "=HYPERLINK(...)" would run as a formula.
    hostile = '=HYPERLINK("http://example.com","x")'
    book = _workbook(tmp_path, fixture_with_case_id(hostile, tmp_path / "hostile.jsonl"), "--all")
    cells = [cell for row in book["Overdue"].iter_rows(min_row=2) for cell in row if cell.value == hostile]
    assert cells and all(cell.data_type == "s" for cell in cells)


def test_the_same_results_give_the_same_bytes(tmp_path) -> None:
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    for out in (first, second):
        assert invoke(str(FIXTURE), "--format", "xlsx", "--out", str(out), "--period", WHOLE).exit_code == 0
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
