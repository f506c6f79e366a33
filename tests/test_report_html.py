"""`cpc report --format html`: one self-contained page, read back as a browser and a reader meet it."""

from __future__ import annotations

import json
import os
import re
from itertools import pairwise
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.report_command import report

from .axe import axe_violations, describe
from .test_render import CHROMIUM, chromium, parse, png_size_and_colours
from .test_report_xlsx import GENERATED_PERIOD, fixture_with_case_id, generated_results

DATA = Path(__file__).parent / "data" / "report"
FIXTURE = DATA / "results.jsonl"
WHOLE = "2025-01-01..2026-12-31"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """80 generated cases in three teams and none, a quarter from a source that records no reports to the chair."""
    return generated_results(tmp_path_factory.mktemp("generated") / "results.jsonl")


def _run(results: Path, fmt: str, *more: str, period: str = WHOLE) -> str:
    result = CliRunner().invoke(report, [str(results), "--format", fmt, "--period", period, *more])
    assert result.exit_code == 0, result.output
    return result.stdout


def _page(results: Path = FIXTURE, *more: str, period: str = WHOLE) -> str:
    return _run(results, "html", *more, period=period)


def _json(results: Path = FIXTURE, *more: str, period: str = WHOLE) -> dict:
    return json.loads(_run(results, "json", *more, period=period))


def _text(node) -> str:
    return " ".join(node.all_text().split())


def _cells(table) -> list[list[str]]:
    """Each body row's cells, its heading cell first, as text with white space collapsed."""
    rows = []
    for row in table.find("tr"):
        if any(a.tag == "thead" for a in row.ancestors()):
            continue
        rows.append([_text(cell) for cell in row.children if cell.tag in ("th", "td")])
    return rows


def _table(root, caption: str):
    found = [t for t in root.find("table") if _text(t.find("caption")[0]).startswith(caption)]
    assert len(found) == 1, caption
    return found[0]


def _ids(table) -> list[str]:
    """The rule id beneath each row's title."""
    return [_text(row.find("code")[0]) for row in table.find("tr") if row.find("code")]


def _headings(root) -> list[str]:
    return [_text(h) for h in root.find("h2")]


def _visible_text(root) -> str:
    body = root.find("body")[0]
    return " ".join(p for n in body.walk() if n.tag != "style" for p in n.parts if isinstance(p, str))


def test_the_page_stands_alone_with_no_script_and_nothing_fetched() -> None:
    page = _page()
    root = parse(page).root
    assert root.find("html")[0].attrs.get("lang") == "en-GB"
    assert root.find("script") == []
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    assert all(t.find("caption") for t in root.find("table"))


# -- everything the text report says ---------------------------------------------------------------------


def test_every_part_of_the_text_report_is_on_the_page(generated) -> None:
    data = _json(generated, "--by", "team", period=GENERATED_PERIOD)
    root = parse(_page(generated, "--by", "team", period=GENERATED_PERIOD)).root
    assert _headings(root) == [
        "Children in Need census timeliness",
        "By team",
        "Month by month",
        "Compliance by rule",
        "Not assessable from this data",
        "Overdue work",
    ]
    # The headline figures, with their share of the cases as the text report gives it.
    figures = [_text(li) for li in root.find("ul")[0].find("li")]
    share = 100 * data["cases_with_overdue"] / data["cases"]
    assert figures[1] == f"{data['cases_with_overdue']} with something overdue: late, and still to be done " + (
        f"{share:.1f}% of the cases"
    )
    assert f"{100 * data['cases_needing_attention'] / data['cases']:.1f}% of the cases" in figures[2]

    plans = {row[0]: row[1:] for row in _cells(_table(root, "Plans started and ended in the period"))}
    p = data["plans"]
    assert plans["plans started in the period"] == [str(p["started"]), "", ""]
    for category, n in p["started_by_category"].items():
        name = f"started in the period: {category.replace('_', ' ')}"
        assert plans[name] == [str(n), str(p["started"]), f"{100 * n / p['started']:.1f}%"]
    assert plans["second or later plans, of those started whose earlier plans are recorded"][0] == str(
        p["second_or_later"]
    )
    assert plans["started with no record of earlier plans"][0] == str(p["earlier_plans_not_recorded"])
    assert plans["plans ended in the period"][0] == str(p["ended"])
    assert plans["ended after lasting two years or more"][:2] == [
        str(p["ended_after_two_years_or_more"]),
        str(p["ended"]),
    ]
    assert plans["ended after three months or more with every review on time"][:2] == [
        str(p["every_review_on_time"]),
        str(p["ended_after_three_months_or_more"]),
    ]

    teams = _cells(_table(root, "Per team"))
    assert [row[:6] for row in teams] == [
        [g["name"], *(str(g[k]) for k in ("cases", "cases_with_overdue", "overdue", "deadlines_met", "deadlines_due"))]
        for g in data["groups"]
    ]
    assert {row[0] for row in teams} == {"(none recorded)", "team-east", "team-north", "team-south"}

    missing = _table(root, "The rules not assessable")
    assert _ids(missing) == [item["rule"] for item in data["not_recorded"]]
    assert [row[1:] for row in _cells(missing)] == [
        [str(item["results"]), ", ".join(item["not_recorded"])] for item in data["not_recorded"]
    ]

    # Deadlines, requirements and directions each have their own table, their rules named by title, id beneath.
    for kind, caption in (("deadline", "Deadlines:"), ("requirement", "Requirements:"), ("decision", "Directions")):
        table = _table(root, caption)
        rules = [r for r in data["rules"] if r["kind"] == kind]
        assert _ids(table) == [r["rule"] for r in rules]
        assert [row[0] for row in _cells(table)] == [f"{r['title']} {r['rule']}" for r in rules]
    directions = _cells(_table(root, "Directions"))
    assert [row[1:] for row in directions] == [
        [str(r["counts"]["applies"]), str(r["cases"])] for r in data["rules"] if r["kind"] == "decision"
    ]
    assert "missed or breached" not in _visible_text(root)


def test_the_census_tables_say_what_the_json_says() -> None:
    data = _json()
    root = parse(_page()).root
    census = {row[0]: row[1:] for row in _cells(_table(root, "Initial conferences and reviews held"))}
    initial = data["census"]["initial_conferences"]
    held, met = initial["held"], initial["met"]
    assert census["initial conferences within 15 working days of the strategy discussion icpc-timescale"] == [
        str(held),
        str(met),
        str(held - met),
        f"{100 * met / held:.1f}%",
        str(initial["pending"] + initial["overdue"]),
        str(initial["overdue"]),
    ]
    reviews = data["census"]["reviews"]
    assert census["all reviews"][:3] == [
        str(reviews["held"]),
        str(reviews["met"]),
        str(reviews["held"] - reviews["met"]),
    ]
    bands = _cells(_table(root, "Initial conferences by working days"))
    assert [row[:2] for row in bands] == [[band, str(n)] for band, n in initial["working_days"].items()]
    assert bands[0][2] == f"{100 * initial['working_days']['0-10'] / held:.1f}%"


def test_the_overdue_list_names_each_rule_and_says_how_late_as_the_text_report_does() -> None:
    data = _json(FIXTURE, "--all")
    root = parse(_page(FIXTURE, "--all")).root
    text = _run(FIXTURE, "text", "--all")
    listed = text[text.index("\nOverdue (") :].splitlines()[3:]
    late = [re.split(r"\s{2,}", line.strip())[1] for line in listed]
    assert "34 days (25 working days)" in late
    titles = {r["rule"]: r["title"] for r in data["rules"]}
    rows = _cells(_table(root, "Overdue items"))
    assert rows == [
        [item["due"], how_late, item["case"], f"{titles[item['rule']]} {item['rule']}", item["subject"] or ""]
        for item, how_late in zip(data["overdue"]["items"], late, strict=True)
    ]


def test_a_manager_reads_how_many_are_listed_in_words_not_options() -> None:
    root = parse(_page(FIXTURE, "--overdue-limit", "2")).root
    said = " ".join(_visible_text(root).split())
    assert "5 items are overdue on the evaluation date" in said
    assert (
        "The first 2, open plans' work first and the earliest due first within each, are listed here; the other 3 "
        "are counted but not listed."
    ) in said
    assert len(_cells(_table(root, "Overdue items"))) == 2
    assert not re.search(r"--[a-z]", said), "a command-line option on the page"
    none = " ".join(_visible_text(parse(_page(FIXTURE, "--overdue-limit", "0")).root).split())
    assert "None is listed here." in none and not re.search(r"--[a-z]", none)


# -- the month charts --------------------------------------------------------------------------------------


def _axis(chart) -> list[tuple[float, str]]:
    """The x-axis labels of a chart (month names and years), with their x."""
    labels = [(float(t.attrs["x"]), _text(t), float(t.attrs["y"])) for t in chart.find("text")]
    return [(x, label) for x, label, y in labels if y > 230]


def test_the_month_charts_have_text_alternatives_and_their_numbers_in_a_table() -> None:
    data = _json()
    root = parse(_page()).root
    charts = root.find("svg")
    assert [c.attrs.get("role") for c in charts] == ["img", "img"]
    names = [f"{MONTHS[int(m['month'][5:]) - 1]} {m['month'][:4]}" for m in data["months"]]
    for chart in charts:
        alternative = _text(chart.find("title")[0])
        assert all(name in alternative for name in names)
        # The chart scales to the page, not a fixed width.
        assert chart.attrs.get("width") == "100%" and chart.attrs.get("viewbox") == "0 0 720 260"
        assert "height" not in chart.attrs
    assert [_text(f.find("figcaption")[0]) for f in root.find("figure")] == [
        "Deadlines due each month, by status",
        "Initial conferences and reviews held each month, on time and late",
    ]
    table = _table(root, "Each month")
    assert [t.attrs["datetime"] for t in table.find("time")] == [m["month"] for m in data["months"]]
    columns = ["due_met", "due_missed", "due_overdue", "due_pending", "due_not_assessable"]
    columns += ["icpc_on_time", "icpc_late", "reviews_on_time", "reviews_late"]
    assert _cells(table) == [
        [name, *(str(m[c]) for c in columns)] for name, m in zip(names, data["months"], strict=True)
    ]
    assert any(m["icpc_on_time"] for m in data["months"])


@pytest.mark.parametrize(
    ("period", "every"),
    [("2025-04-01..2026-03-31", 1), (WHOLE, 2), (GENERATED_PERIOD, 2), ("2017-04-01..2026-03-31", 6)],
)
def test_a_crowded_axis_labels_every_few_months_with_each_january_and_its_year(period: str, every: int) -> None:
    data = _json(period=period)
    chart = parse(_page(period=period)).root.find("svg")[0]
    axis = _axis(chart)
    months = [m["month"] for m in data["months"]]
    labelled = [m for m in months if (int(m[5:]) - 1) % every == 0]
    expected = []
    for i, month in enumerate(labelled):
        expected.append(MONTHS[int(month[5:]) - 1])
        if i == 0 or month.endswith("-01"):
            expected.append(month[:4])
    assert [label for _, label in axis] == expected
    # A month's name is about 20 units wide at this size: labels 30 apart never touch.
    xs = sorted({x for x, label in axis if not label.isdigit()})
    assert all(b - a >= 30 for a, b in pairwise(xs))


# -- in a browser ------------------------------------------------------------------------------------------


def _need_chromium() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI runs this test")


def test_the_report_page_renders_in_a_real_browser(tmp_path) -> None:
    _need_chromium()
    page = tmp_path / "report.html"
    page.write_text(_page(), encoding="utf-8")
    dumped = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    root = parse(dumped.stdout).root
    assert _headings(root) == [
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


# Measures the laid-out page and writes what it found as JSON into the page, for --dump-dom to print.
MEASURE = """<script>
(function () {
  function box(e) { var r = e.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top,
    bottom: r.bottom, width: r.width, height: r.height}; }
  var main = document.querySelector("main").getBoundingClientRect();
  var charts = Array.prototype.map.call(document.querySelectorAll("svg.chart"), function (svg) {
    var labels = Array.prototype.filter.call(svg.querySelectorAll("text"), function (t) {
      return +t.getAttribute("y") > 230 && !/^[0-9]{4}$/.test(t.textContent); }).map(box);
    return {box: box(svg), labels: labels};
  });
  var ids = Array.prototype.map.call(document.querySelectorAll(".id"), function (e) {
    var cell = e.closest("th, td").getBoundingClientRect();
    return {text: e.textContent, box: box(e), font: parseFloat(getComputedStyle(e).fontSize),
      cell: {left: cell.left, right: cell.right}};
  });
  var deadlines = Array.prototype.find.call(document.querySelectorAll("table"), function (t) {
    return t.caption.textContent.indexOf("Deadlines:") === 0; });
  var out = document.createElement("pre");
  out.id = "cpc-measure";
  out.textContent = JSON.stringify({main: {left: main.left, right: main.right}, charts: charts, ids: ids,
    rule_column: deadlines.querySelector("thead th").getBoundingClientRect().width,
    table: deadlines.getBoundingClientRect().width});
  document.body.appendChild(out);
})();
</script>"""


@pytest.mark.parametrize("width", [1100, 1500])
def test_in_a_browser_the_charts_fit_the_page_and_no_label_or_rule_id_breaks(generated, tmp_path, width) -> None:
    _need_chromium()
    page = tmp_path / "report.html"
    html = _page(generated, "--by", "team", "--all", period=GENERATED_PERIOD)
    page.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dumped = chromium("--dump-dom", f"--window-size={width},1600", page.as_uri(), profile=tmp_path / "profile")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    found = re.search(r'<pre id="cpc-measure">(.*?)</pre>', dumped.stdout, re.DOTALL)
    assert found, "the measuring script did not run"
    measured = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    main = measured["main"]
    assert len(measured["charts"]) == 2
    for chart in measured["charts"]:
        # Within the page's column, and as wide as it (within its max-width), not a fixed 720 pixels.
        assert main["left"] - 1 <= chart["box"]["left"] and chart["box"]["right"] <= main["right"] + 1
        assert chart["box"]["width"] > 720
        labels = sorted(chart["labels"], key=lambda b: b["left"])
        assert len(labels) >= 12
        overlaps = [(a, b) for a, b in pairwise(labels) if b["left"] < a["right"] + 2]
        assert not overlaps, f"month labels overlap: {overlaps[:2]}"
    assert measured["ids"]
    for rule_id in measured["ids"]:
        # One line, within its cell: an id is never broken across lines nor spills into the next column.
        assert rule_id["box"]["height"] < 2 * rule_id["font"], f"{rule_id['text']} wraps"
        assert rule_id["box"]["right"] <= rule_id["cell"]["right"] + 1, f"{rule_id['text']} overflows its cell"
    # The requirement's title has room: half the table, not a narrow column between the numbers.
    assert measured["rule_column"] >= 0.45 * measured["table"]


@pytest.mark.parametrize("which", ["fixture", "generated"])
def test_the_report_page_has_no_wcag_a_or_aa_violations(generated, tmp_path, which) -> None:
    # axe-core in chromium (tests/axe.py), with every overdue item listed: its longest tables. The generated page
    # has every part: teams, the rules not assessable, 36 months.
    page = tmp_path / "report.html"
    if which == "fixture":
        page.write_text(_page(FIXTURE, "--all"), encoding="utf-8")
    else:
        page.write_text(_page(generated, "--all", "--by", "team", period=GENERATED_PERIOD), encoding="utf-8")
    violations = axe_violations(page, tmp_path)
    assert violations == [], describe(violations)


def test_values_from_the_results_are_escaped(tmp_path) -> None:
    hostile = '<img src=x onerror=alert(1)>"&'
    results = fixture_with_case_id(hostile, tmp_path / "hostile.jsonl")
    page = _page(results, "--all")
    assert hostile not in page and "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;&amp;" in page


def test_every_value_from_the_results_is_escaped_wherever_the_page_shows_it(tmp_path) -> None:
    # A team, a rule's title, a plan's category and what a source does not record come from the results too.
    hostile = '<script>alert("x")</script>'
    lines = []
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(line)
        except ValueError:  # the fixture's malformed lines stay as they are
            lines.append(line)
            continue
        if isinstance(data, dict) and "results" in data:
            data["team"] = hostile
            data["plan"] = {"start": "2025-06-02", "category": hostile}
            for result in data["results"]:
                result["title"] = hostile
            data["results"].append(
                {
                    "rule": "report-to-chair-review",
                    "title": hostile,
                    "kind": "deadline",
                    "status": "not_assessable",
                    "reason": f"not recorded by this source: {hostile}",
                }
            )
        lines.append(json.dumps(data))
    results = tmp_path / "hostile.jsonl"
    results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    page = _page(results, "--all", "--by", "team")
    assert "<script" not in page
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    root = parse(page).root
    assert escaped in page and _headings(root)[1] == "By team"
    assert _cells(_table(root, "Per team"))[0][0] == hostile
    assert _cells(_table(root, "The rules not assessable"))[0][2] == hostile
    assert f"started in the period: {hostile}" in [row[0] for row in _cells(_table(root, "Plans started"))]


def test_a_report_of_nothing_says_so(tmp_path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    result = CliRunner().invoke(report, [str(empty), "--format", "html"])
    assert result.exit_code == 0, result.output
    said = " ".join(_visible_text(parse(result.stdout).root).split())
    assert "No cases were evaluated." in said
    assert "Nothing was evaluated, so there is no period to show month by month." in said
    assert "Nothing is overdue on the evaluation date." in said
