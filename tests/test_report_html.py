"""`cpc report --format html`: one self-contained page, read back as a browser and a reader meet it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli_report import report

from .axe import axe_violations, describe
from .test_render import CHROMIUM, chromium, parse, png_size_and_colours
from .test_report_xlsx import fixture_with_case_id

DATA = Path(__file__).parent / "data" / "report"
FIXTURE = DATA / "results.jsonl"
WHOLE = "2025-01-01..2026-12-31"


def _page(results: Path = FIXTURE, *more: str) -> str:
    result = CliRunner().invoke(report, [str(results), "--format", "html", "--period", WHOLE, *more])
    assert result.exit_code == 0, result.output
    return result.output


def _json() -> dict:
    return json.loads(CliRunner().invoke(report, [str(FIXTURE), "--format", "json", "--period", WHOLE]).output)


def _cells(table) -> list[list[str]]:
    return [[cell.all_text().strip() for cell in row.find("td")] for row in table.find("tr") if row.find("td")]


def _table(root, caption: str):
    found = [t for t in root.find("table") if t.find("caption")[0].all_text().startswith(caption)]
    assert len(found) == 1, caption
    return found[0]


def test_the_page_stands_alone_with_no_script_and_nothing_fetched() -> None:
    page = _page()
    root = parse(page).root
    assert root.find("html")[0].attrs.get("lang") == "en-GB"
    assert root.find("script") == []
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    assert all(t.find("caption") for t in root.find("table"))


def test_the_census_and_overdue_tables_say_what_the_json_says() -> None:
    data = _json()
    root = parse(_page(FIXTURE, "--all")).root
    census = _cells(_table(root, "Held in the period"))
    initial = data["census"]["initial_conferences"]
    assert census[0][1:4] == [f"{initial['held']:,}", f"{initial['met']:,}", f"{initial['missed']:,}"]
    overdue = _cells(_table(root, "Overdue items"))
    assert overdue
    assert [(row[0], row[2], row[3]) for row in overdue] == [
        (item["due"], item["case"], item["rule"]) for item in data["overdue"]["items"]
    ]


def test_the_month_chart_has_a_text_alternative_and_its_numbers_in_a_table() -> None:
    data = _json()
    root = parse(_page()).root
    charts = root.find("svg")
    assert len(charts) == 1 and charts[0].attrs.get("role") == "img"
    alternative = charts[0].find("title")[0].all_text()
    assert all(month["month"] in alternative for month in data["months"])
    months = _cells(_table(root, "Deadlines due each month"))
    assert [row[0] for row in months] == [m["month"] for m in data["months"]]
    assert [row[1] for row in months] == [f"{m['due_met']:,}" for m in data["months"]]
    # The axis names months as a reader says them, with the year under the first month and each January.
    names = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    axis = [t.all_text() for t in charts[0].find("text")]
    expected = []
    for i, month in enumerate(data["months"]):
        year, number = month["month"].split("-")
        expected += [names[int(number) - 1]] + ([year] if i == 0 or number == "01" else [])
    assert [t for t in axis if not t.replace(",", "").isdigit() or len(t) == 4] == expected


def test_values_from_the_results_are_escaped(tmp_path) -> None:
    hostile = '<img src=x onerror=alert(1)>"&'
    results = fixture_with_case_id(hostile, tmp_path / "hostile.jsonl")
    page = _page(results, "--all")
    assert hostile not in page and "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;&amp;" in page


def test_the_report_page_renders_in_a_real_browser(tmp_path) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI runs this test")
    page = tmp_path / "report.html"
    page.write_text(_page(), encoding="utf-8")
    dumped = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    root = parse(dumped.stdout).root
    assert [h.all_text() for h in root.find("h2")] == [
        "Children in Need census timeliness",
        "Month by month",
        "Compliance by rule",
        "Overdue work",
    ]
    assert len(root.find("rect")) > 0
    shot = tmp_path / "report.png"
    shown = chromium("--screenshot=" + str(shot), "--window-size=1100,1600", page.as_uri(), profile=tmp_path / "p2")
    assert shown.returncode == 0 and shot.is_file(), shown.stderr[-2000:]
    width, height, colours = png_size_and_colours(shot)
    assert (width, height) == (1100, 1600)
    assert colours > 64, "the screenshot is blank"


def test_the_report_page_has_no_wcag_a_or_aa_violations(tmp_path) -> None:
    # axe-core in chromium (tests/axe.py), on the page with every overdue item listed: its longest table.
    page = tmp_path / "report.html"
    page.write_text(_page(FIXTURE, "--all"), encoding="utf-8")
    violations = axe_violations(page, tmp_path)
    assert violations == [], describe(violations)
