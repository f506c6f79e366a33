"""`cpc report` and engine.caseload.summary: per-rule compliance over a caseload's results.

The golden files in tests/data/report/ are the exact output for the hand-made results.jsonl beside them;
regenerate them with CPC_UPDATE_GOLDEN=1 after a deliberate change, and review the diff.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import itertools
import json
import os
import random
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

import engine
from engine.caseload.period import Period
from engine.caseload.report_formats import render
from engine.caseload.report_text import to_dict
from engine.caseload.results_lines import ErrorRecord, EvaluationRecord, Malformed, parse_line, parse_lines
from engine.caseload.summary import Summarizer, bucket_of, summarize
from engine.cli.report_command import report
from engine.core.calendar import WorkingCalendar
from engine.evaluation.case_files import read_case
from engine.evaluation.eval_formats import json_line

DATA = Path(__file__).parent / "data" / "report"
FIXTURE = DATA / "results.jsonl"
# The fixture's results fall due from 2025 to 2026; counting tests take them all, the period tests choose.
WHOLE = "2025-01-01..2026-12-31"
ALL_TIME = Period(dt.date(1872, 1, 1), dt.date(2100, 12, 31))
ROOT = Path(__file__).resolve().parent.parent
GOLDEN = {
    "text": "results.txt",
    "markdown": "results.md",
    "csv": "results.csv",
    "overdue-csv": "results.overdue.csv",
    "json": "results.json",
}


def invoke(*args: str, stdin: str | None = None):
    return CliRunner().invoke(report, list(args), input=stdin)


def evaluation_line(case: str, results: list[dict], *, area: str = "berkshire") -> str:
    return json.dumps({"case": case, "area": area, "policy_version": "v1", "as_of": "2026-03-01", "results": results})


def deadline(rule: str, status: str, *, due: str, clock: str | None = None, done: str | None = None, **extra) -> dict:
    result = {"rule": rule, "title": f"The {rule} rule.", "kind": "deadline", "status": status, "due": due}
    if clock is not None:
        result["clock"] = {"event": "strategy_discussion", "date": clock}
    if done is not None:
        result["done"] = done
    return result | extra


# -- the hand-made fixture -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", GOLDEN)
def test_the_fixture_gives_the_golden_output(fmt: str) -> None:
    result = invoke(str(FIXTURE), "--format", fmt, "--period", WHOLE)
    assert result.exit_code == 0, result.output
    golden = DATA / GOLDEN[fmt]
    if os.environ.get("CPC_UPDATE_GOLDEN"):
        golden.write_text(result.stdout, encoding="utf-8", newline="")
    with golden.open(encoding="utf-8", newline="") as handle:
        assert result.stdout == handle.read()


def test_the_fixture_counts_are_known() -> None:
    with FIXTURE.open("rb") as handle:
        summary = summarize(parse_lines(handle), period=ALL_TIME)
    assert (summary.cases, summary.error_records, summary.malformed) == (5, 2, 0)
    assert summary.errors_by_code == (("CPC001", 1), ("CPC100", 1))
    assert summary.cases_needing_attention == 3
    assert summary.results == 21
    assert [(r.area, r.cases) for r in summary.runs] == [("berkshire", 4), ("hampshire", 1)]
    rules = {r.rule: r for r in summary.rules}
    assert dict(rules["icpc-timescale"].counts) == {
        "met": 2,
        "missed": 1,
        "pending": 1,
        "overdue": 1,
        "not_assessable": 0,
        "breached": 0,
    }
    assert rules["icpc-timescale"].met_rate == pytest.approx(2 / 4)
    assert dict(rules["quorum"].counts) == {"met": 2, "breached": 1, "not_assessable": 0}
    assert rules["inquorate-reasons-recorded"].met_rate is None
    assert (rules["child-attendance-under-12"].total, rules["child-attendance-under-12"].cases) == (3, 2)
    # Grouped by kind, then by rule id.
    assert [r.rule for r in summary.rules] == [
        "documents-sent",
        "first-review-timescale",
        "icpc-timescale",
        "report-to-chair-review",
        "review-interval",
        "inquorate-reasons-recorded",
        "quorum",
        "child-attendance-under-12",
    ]
    census = summary.census
    assert (census.initial.met, census.initial.held, census.initial.not_yet_held) == (2, 3, 2)
    # 15 working days over Christmas, 19 in June, 9 in September.
    assert census.buckets == (("0-10", 1), ("11-15", 1), ("16-20", 1), ("21+", 0))
    assert (census.reviews.met, census.reviews.held, census.reviews.overdue) == (2, 2, 1)
    # A report due before a review not yet held, a conference to hold and a review come first; the documents of
    # conferences (the fixture records no open plan) after them.
    assert [(i.due, i.case) for i in summary.overdue] == [
        ("2025-07-24", "case-b"),
        ("2026-01-26", "case-e"),
        ("2026-01-31", "case-b"),
        ("2025-12-02", "case-e"),
        ("2026-01-15", "case-a"),
    ]


def test_the_report_is_the_same_whatever_the_order_of_the_lines() -> None:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    shuffled = lines[:]
    random.Random(4).shuffle(shuffled)
    first = to_dict(summarize(parse_lines(lines), period=ALL_TIME))
    second = to_dict(summarize(parse_lines(shuffled), period=ALL_TIME))
    assert first == second


def test_standard_input_is_read_with_a_dash() -> None:
    from_file = invoke(str(FIXTURE))
    from_stdin = invoke("-", stdin=FIXTURE.read_text(encoding="utf-8"))
    assert from_stdin.exit_code == 0
    assert from_stdin.stdout == from_file.stdout


def test_one_case_is_counted_in_the_singular() -> None:
    line = evaluation_line("c1", [deadline("icpc-timescale", "overdue", due="2026-02-02", clock="2026-01-12")])
    text = invoke("-", stdin=line + "\n").stdout
    assert "\n1 case evaluated under berkshire policy v1 as of 2026-03-01.\n" in text
    assert (
        "\n1 case (100.0%) has something overdue or missed that fell due in the period, or a requirement breached "
        "(requirements carry no date).\n"
    ) in text


# -- the census bands ------------------------------------------------------------------------------------

# The strategy discussion on Friday 19 December 2025; Christmas Day, Boxing Day and New Year's Day are not
# working days, so the 10th working day after it is Wednesday 7 January 2026.
CHRISTMAS_EDGES = [
    ("2025-12-19", 0, "0-10"),
    ("2026-01-07", 10, "0-10"),
    ("2026-01-08", 11, "11-15"),
    ("2026-01-14", 15, "11-15"),
    ("2026-01-15", 16, "16-20"),
    ("2026-01-21", 20, "16-20"),
    ("2026-01-22", 21, "21+"),
]


@pytest.mark.parametrize(("done", "working_days", "band"), CHRISTMAS_EDGES)
def test_census_bands_at_their_edges_across_christmas(done: str, working_days: int, band: str) -> None:
    start = dt.date(2025, 12, 19)
    assert WorkingCalendar().working_days_between(start, dt.date.fromisoformat(done)) == working_days
    status = "met" if working_days <= 15 else "missed"
    line = evaluation_line("c", [deadline("icpc-timescale", status, due="2026-01-14", clock="2025-12-19", done=done)])
    census = summarize(parse_lines([line]), period=ALL_TIME).census
    assert dict(census.buckets)[band] == 1
    assert sum(n for _, n in census.buckets) == 1


def test_census_bands_count_every_held_conference_once() -> None:
    lines = [
        evaluation_line(f"c{i}", [deadline("icpc-timescale", "met", due="2026-01-14", clock="2025-12-19", done=done)])
        for i, (done, _, _) in enumerate(CHRISTMAS_EDGES)
    ]
    # A date-time clock or done counts by its date.
    lines.append(
        evaluation_line(
            "dt",
            [deadline("icpc-timescale", "missed", due="2026-01-14", clock="2025-12-19T09:00", done="2026-01-22T16:00")],
        )
    )
    census = summarize(parse_lines(lines), period=ALL_TIME).census
    assert census.buckets == (("0-10", 2), ("11-15", 2), ("16-20", 2), ("21+", 2))


def test_bucket_of_at_the_edges() -> None:
    assert [bucket_of(n) for n in (-1, 0, 10, 11, 15, 16, 20, 21, 400)] == [
        "0-10",
        "0-10",
        "0-10",
        "11-15",
        "11-15",
        "16-20",
        "16-20",
        "21+",
        "21+",
    ]


def test_reviews_on_time_combine_first_and_later_reviews() -> None:
    results = [
        deadline("first-review-timescale", "met", due="2025-04-01", done="2025-03-20"),
        deadline("first-review-timescale", "missed", due="2025-04-01", done="2025-04-20"),
        deadline("review-interval", "met", due="2025-10-01", done="2025-09-20"),
        deadline("review-interval", "pending", due="2026-04-01"),
        deadline("review-interval", "overdue", due="2026-01-01"),
    ]
    census = summarize(parse_lines([evaluation_line("c", results)]), period=ALL_TIME).census
    assert (census.first_review.met, census.first_review.held) == (1, 2)
    assert (census.review_interval.met, census.review_interval.held, census.review_interval.not_yet_held) == (1, 1, 2)
    assert (census.reviews.met, census.reviews.held, census.reviews.overdue) == (2, 3, 1)
    assert census.reviews.rate == pytest.approx(2 / 3)


# -- the overdue list ------------------------------------------------------------------------------------


def _overdue_lines(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    days = list(range(n))
    rng.shuffle(days)
    lines = []
    for i, offset in enumerate(days):
        due = (dt.date(2024, 1, 1) + dt.timedelta(days=offset // 2)).isoformat()
        late = {"amount": 800 - offset // 2, "unit": "days"}
        lines.append(evaluation_line(f"case-{i:03d}", [deadline("review-interval", "overdue", due=due, late=late)]))
    return lines


def test_overdue_items_are_listed_earliest_due_first_and_capped() -> None:
    lines = _overdue_lines(60)
    summary = summarize(parse_lines(lines), period=ALL_TIME, overdue_limit=7)
    assert summary.overdue_total == 60
    assert len(summary.overdue) == 7
    keys = [(item.due, item.case) for item in summary.overdue]
    assert keys == sorted(keys)
    everything = summarize(parse_lines(lines), period=ALL_TIME, overdue_limit=1000)
    assert [(i.due, i.case) for i in everything.overdue][:7] == keys
    # Two items fall due each day: ties go by case id, whatever the input order.
    assert keys[0][0] == keys[1][0] == "2024-01-01"


def test_how_late_reads_in_calendar_days_with_the_rules_own_unit_beside() -> None:
    """One unit for every row (days to the evaluation date, 1 March 2026), the rule's own count in brackets."""
    results = [
        deadline("documents-sent", "overdue", due="2026-01-05T10:00", late={"amount": 1320, "unit": "hours"}),
        deadline("documents-sent", "overdue", due="2026-02-27T10:00", late={"amount": 47, "unit": "hours"}),
        deadline("report-to-chair-review", "overdue", due="2026-02-26", late={"amount": 1, "unit": "working days"}),
        deadline("review-interval", "overdue", due="2026-02-28", late={"amount": 1, "unit": "days"}),
        deadline("review-interval", "overdue", due="2026-02-28"),
    ]
    summary = summarize(parse_lines([evaluation_line("c", results)]), period=ALL_TIME)
    assert [item.late for item in summary.overdue] == [
        "55 days (1320 hours)",
        "3 days (1 working day)",
        "2 days (47 hours)",
        "1 day",
        "1 day",
    ]


def test_the_overdue_list_never_holds_more_than_twice_its_limit() -> None:
    summarizer = Summarizer(overdue_limit=5)
    for item in parse_lines(_overdue_lines(300)):
        summarizer.add(item)
        assert len(summarizer._overdue) < 10
    assert len(summarizer.summary().overdue) == 5


def test_an_overdue_limit_of_0_counts_but_lists_none() -> None:
    summary = summarize(parse_lines(_overdue_lines(10)), period=ALL_TIME, overdue_limit=0)
    assert (summary.overdue_total, summary.overdue) == (10, ())
    assert "not listed: --overdue-limit is 0" in render(summary, "text")


def test_the_overdue_limit_option() -> None:
    result = invoke(str(FIXTURE), "--format", "overdue-csv", "--overdue-limit", "2")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "due,late_amount,late_unit,case,rule,subject,days_late,first",
        "2025-07-24,1,working days,case-b,report-to-chair-review,review-1,220,yes",
        "2026-01-26,25,working days,case-e,icpc-timescale,,34,yes",
    ]
    negative = invoke(str(FIXTURE), "--overdue-limit", "-1")
    assert negative.exit_code == 2
    assert negative.stderr.startswith("cpc: --overdue-limit must be 0 or more")


def test_all_lists_every_overdue_item(tmp_path) -> None:
    results = tmp_path / "results.jsonl"
    results.write_text("".join(line + "\n" for line in _overdue_lines(150)))
    capped = invoke(str(results))
    assert "Overdue (150; the first 100 shown, --all lists every one): " in capped.stdout
    listed = invoke(str(results), "--all", "--format", "json")
    overdue = json.loads(listed.stdout)["overdue"]
    assert (overdue["total"], overdue["limit"], len(overdue["items"])) == (150, None, 150)
    assert "Overdue (150): open plans' work" in invoke(str(results), "--all", "--overdue-limit", "3").stdout


# -- error records and malformed lines -------------------------------------------------------------------


def test_an_error_record_is_counted_by_code() -> None:
    record = {
        "case": "x",
        "source": "caseload.jsonl:2",
        "error": [
            {"line": 2, "column": 1, "code": "CPC100", "path": "id", "message": "required"},
            {"line": 2, "column": 5, "code": "CPC100", "path": "child", "message": "not an object"},
            {"line": 2, "column": 9, "code": "CPC102", "path": "plan.end", "message": "not a date"},
        ],
    }
    parsed = parse_line(1, json.dumps(record))
    assert parsed == ErrorRecord(1, "x", ("CPC100", "CPC102"))
    summary = summarize([parsed, parse_line(2, json.dumps({"case": None, "source": "s", "error": []}))])
    assert summary.error_records == 2
    assert summary.errors_by_code == (("CPC100", 1), ("CPC102", 1), ("no code", 1))
    assert summary.cases == 0


SECRET = "Jane-Doe-17-Acacia-Avenue"
MALFORMED = [
    (f"{{not json {SECRET}", "not valid JSON"),
    (json.dumps([SECRET]), "not a JSON object"),
    (json.dumps({"case": SECRET}), "neither an evaluation"),
    (json.dumps({"case": "c", "results": SECRET}), "results is not a list"),
    (evaluation_line("c", [{"rule": "r", "kind": "deadline", "status": SECRET, "due": "2026-01-01"}]), ".status"),
    (evaluation_line("c", [{"rule": "r", "kind": SECRET, "status": "met"}]), "results[0].kind"),
    (evaluation_line("c", [deadline("r", "overdue", due=SECRET)]), "results[0].due is not a date"),
    (evaluation_line("c", [deadline("r", "met", due="2026-01-01")]), "met but has no done date"),
    (evaluation_line("c", [deadline("r", "overdue", due="1066-10-14")]), "from 1872 to"),
    (evaluation_line("c", [deadline("r", "overdue", due="2026-01-01", late={"amount": SECRET})]), ".late"),
]


@pytest.mark.parametrize(("line", "reason"), MALFORMED)
def test_a_malformed_line_is_explained_without_its_content(line: str, reason: str) -> None:
    parsed = parse_line(3, line)
    assert isinstance(parsed, Malformed)
    assert parsed.line == 3
    assert reason in parsed.reason
    assert SECRET not in parsed.reason


def test_a_byte_order_mark_and_windows_line_ends_are_accepted() -> None:
    lines = [
        b"\xef\xbb\xbf" + line + b"\r\n" if i == 0 else line + b"\r\n"
        for i, line in enumerate(FIXTURE.read_bytes().splitlines())
    ]
    with FIXTURE.open("rb") as handle:
        assert to_dict(summarize(parse_lines(lines), period=ALL_TIME)) == to_dict(
            summarize(parse_lines(handle), period=ALL_TIME)
        )


def test_a_line_that_is_not_utf8_is_malformed() -> None:
    assert parse_line(1, b'{"case": "\xff"}') == Malformed(1, "not UTF-8 text")


def test_a_malformed_line_is_skipped_named_by_number_and_exits_2(tmp_path: Path) -> None:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    lines.insert(2, f'{{"case": "{SECRET}", "results": [')  # becomes line 3
    lines.append(json.dumps({"case": SECRET, "results": [{"rule": SECRET}]}))
    results = tmp_path / "results.jsonl"
    results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke(str(results))
    assert result.exit_code == 2
    assert SECRET not in result.stdout and SECRET not in result.stderr
    stderr = result.stderr.splitlines()
    # Where on the line, but not what: the column is past the end of the truncated line.
    assert stderr[0] == f"cpc: {results}:3: not valid JSON (column 51); line skipped"
    assert stderr[1] == f"cpc: {results}:{len(lines)}: area is not a non-empty string; line skipped"
    assert stderr[-1] == f"cpc: 2 malformed lines in {results} skipped"
    # The report is still written, from the other lines, and says what was skipped.
    assert "5 cases evaluated" in result.stdout
    assert f"2 malformed lines were skipped (lines 3, {len(lines)})." in result.stdout


def test_a_file_that_cannot_be_read_is_an_error(tmp_path: Path) -> None:
    result = invoke(str(tmp_path / "missing.jsonl"))
    assert result.exit_code == 2
    assert result.stderr.startswith("cpc: cannot read ")
    assert invoke(str(tmp_path)).exit_code == 2


def test_blank_lines_are_skipped_and_an_empty_file_is_an_empty_report(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    result = invoke(str(empty), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["cases"], data["error_records"], data["rules"], data["overdue"]["items"]) == (0, 0, [], [])
    assert "0 cases evaluated under no evaluations" not in invoke(str(empty)).stdout


# -- streaming -------------------------------------------------------------------------------------------


def test_lines_are_parsed_and_summarized_one_at_a_time() -> None:
    line = evaluation_line("c", [deadline("review-interval", "overdue", due="2026-01-01")])
    endless = parse_lines(itertools.repeat(line))
    assert isinstance(next(endless), EvaluationRecord)
    # summarize pulls from an iterator: 50,000 lines (of 50,000 children) without ever holding them.
    overdue = [deadline("review-interval", "overdue", due="2026-01-01")]
    lines = (evaluation_line(f"c{i}", overdue) for i in range(50_000))
    summary = summarize(parse_lines(lines), period=ALL_TIME, overdue_limit=3)
    assert (summary.cases, summary.overdue_total, len(summary.overdue)) == (50_000, 50_000, 3)


# -- end to end: generated cases, evaluated, reported ----------------------------------------------------


def _generator():
    spec = importlib.util.spec_from_file_location("generate_caseload", ROOT / "bench" / "generate_caseload.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_generated_caseload_evaluated_and_reported_adds_up(tmp_path: Path) -> None:
    as_of = dt.date(2026, 3, 1)
    evaluator = engine.load_policy("berkshire").evaluator(as_of)
    expected: Counter = Counter()
    statuses: Counter = Counter()
    results = tmp_path / "results.jsonl"
    with results.open("w", encoding="utf-8") as out:
        for line in _generator().generate_lines(200, 11, as_of):
            evaluation = evaluator.evaluate(read_case(json.loads(line)), as_of)
            out.write(json_line(evaluation))
            expected.update(r.rule for r in evaluation.results)
            statuses.update((r.rule, r.status) for r in evaluation.results)

    with results.open("rb") as handle:
        summary = summarize(parse_lines(handle), period=ALL_TIME)
    assert (summary.cases, summary.error_records, summary.malformed) == (200, 0, 0)
    assert summary.results == sum(expected.values())
    assert {r.rule: r.total for r in summary.rules} == dict(expected)
    for rule in summary.rules:
        assert sum(n for _, n in rule.counts) == expected[rule.rule]
        assert dict(rule.counts) == {s: statuses[(rule.rule, s)] for s, _ in rule.counts}
    census = summary.census
    icpc = {r.rule: r for r in summary.rules}["icpc-timescale"]
    assert census.initial.held == icpc.count("met") + icpc.count("missed")
    assert sum(n for _, n in census.buckets) == census.initial.held
    # Met within 15 working days is exactly the first two bands: the census count and the rule agree.
    assert census.buckets[0][1] + census.buckets[1][1] == icpc.count("met")
    assert summary.overdue_total == sum(n for (_, s), n in statuses.items() if s == "overdue")

    cli = invoke(str(results), "--format", "json", "--period", "1872-01-01..2100-12-31")
    assert cli.exit_code == 0
    assert json.loads(cli.stdout) == to_dict(summary) | {"period": {**to_dict(summary)["period"], "given": True}}


def test_a_caseload_given_for_its_results_is_refused_at_its_first_line(tmp_path: Path) -> None:
    caseload = tmp_path / "cases.jsonl"
    caseload.write_text("".join(json.dumps({"id": f"child-{n}", "child": {}}) + "\n" for n in range(60)))
    result = invoke(str(caseload))
    assert result.exit_code == 2 and result.stdout == ""
    # One line, the hint first: not a line skipped for each of the first 20 cases before it.
    assert result.stderr.splitlines() == [
        f"cpc: {caseload}:1: a case, not a result: this looks like a caseload; no report written. Evaluate it "
        f"first: cpc eval --policy AREA --cases {caseload} --out RESULTS"
    ]


def test_a_file_of_no_results_that_is_not_a_caseload_is_refused_after_its_lines_are_listed(tmp_path: Path) -> None:
    other = tmp_path / "other.jsonl"
    other.write_text("".join(json.dumps({"row": n}) + "\n" for n in range(30)))
    result = invoke(str(other))
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 21  # the first 20 named, then what to do
    assert lines[0] == f"cpc: {other}:1: neither an evaluation (with results) nor an error record (with error)" + (
        "; line skipped"
    )
    assert "no line is a result of `cpc eval --cases` (30 skipped, the first 20 listed above)" in lines[-1]


def test_a_case_among_results_is_reported_by_its_line_and_the_report_written(tmp_path: Path) -> None:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    lines.insert(3, json.dumps({"id": SECRET, "child": {}}))  # line 4
    results = tmp_path / "mixed.jsonl"
    results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke(str(results))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"cpc: {results}:4: neither an evaluation (with results) nor an error record (with error); line skipped",
        f"cpc: 1 malformed line in {results} skipped",
    ]
    assert "5 cases evaluated" in result.stdout and SECRET not in result.stdout + result.stderr


def test_the_help_names_the_escapes_it_writes() -> None:
    # A control character in the help itself would be swallowed by the terminal: "(\x1b)" showed as "()".
    shown = invoke("--help").output
    assert "control characters in text (written as \\x1b)" in shown
    assert "\x1b" not in shown and "()" not in shown


@pytest.mark.parametrize(
    ("fmt", "name", "message"),
    [
        (
            "xlsx",
            "report.csv",
            "is named as a CSV file, but --format xlsx writes a workbook: name it report.xlsx, or give --format csv",
        ),
        ("xlsx", "report.HTML", "is named as an HTML page, but --format xlsx writes a workbook: name it report.xlsx"),
        ("xlsx", "report.md", "give --format markdown"),
        (
            "html",
            "report.xlsx",
            "is named as a workbook, but --format html writes text: name it report.html, or give --format xlsx",
        ),
        ("overdue-csv", "overdue.xlsx", "name it overdue.csv"),
    ],
)
def test_out_is_refused_when_its_name_says_another_kind_of_file(tmp_path, fmt: str, name: str, message: str) -> None:
    out = tmp_path / name
    result = invoke(str(FIXTURE), "--format", fmt, "--out", str(out))
    assert result.exit_code == 2
    assert f"Error: --out {out} " in result.output and message in result.output
    assert not out.exists()


@pytest.mark.parametrize(("fmt", "name"), [("xlsx", "report.xlsx"), ("xlsx", "report"), ("csv", "report.txt")])
def test_out_takes_a_name_that_does_not_contradict_the_format(tmp_path, fmt: str, name: str) -> None:
    result = invoke(str(FIXTURE), "--format", fmt, "--out", str(tmp_path / name))
    assert result.exit_code == 0, result.output
    assert (tmp_path / name).stat().st_size > 0
