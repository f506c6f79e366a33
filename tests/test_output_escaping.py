"""Hostile values in every output (issue 13, items 2, 4, 5 and 6).

A case id, a results file or a policy may hold anything. These tests plant values that a spreadsheet would run
as a formula, that Markdown would pass through as HTML, and that a terminal would obey as escape sequences, and
check each output says them as text. They also hold `cpc report` to a line limit and flat memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.caseload import batch, results_lines
from engine.cli.report_command import report
from engine.core.safe_text import (
    FORMULA_STARTS,
    csv_line,
    html_text,
    markdown_code,
    markdown_text,
    markdown_url,
    terminal,
)
from engine.evaluation.eval_formats import markdown as eval_markdown
from engine.evaluation.eval_formats import text as eval_text
from engine.evaluation.results import Citation, Evaluation, Result, Subject
from engine.policy.policies import open_policy
from engine.review.compare import compare_policies
from engine.review.compare_formats import render as render_compare
from engine.review.diff import Change, Diff, Side
from engine.review.diff_formats import render as render_diff
from engine.review.impact import Impact, LoadedCase, Movement
from engine.review.impact import render as render_impact
from engine.review.render import render as render_policy
from engine.ssd.reconcile import Comparison, Reconciliation, csv_text
from engine.ssd.reconcile import text as reconcile_text

from .conftest import ROOT
from .test_render import ENGLAND

# What a terminal would obey: an OSC 8 hyperlink, a colour, a carriage return that rewrites the line, a bell,
# a C1 control (CSI), a right-to-left override and a lone surrogate.
TERMINAL = "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07\x1b[31mred\rover\x07\x9b2J\u202eexe.txt\udcff"
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
HTML = '<img src=x onerror="alert(1)"> [link](javascript:alert(1)) `code` | pipe & <b>'
FORMULA = '=HYPERLINK("https://evil.example","click")'


def results_line(case: str, *, rule: str = "icpc-timescale", title: str = "Initial conference.", **extra) -> str:
    result = {
        "rule": rule,
        "title": title,
        "kind": "deadline",
        "status": "overdue",
        "due": "2025-06-02",
        "late": {"amount": 20, "unit": "working days"},
        "subject": {"type": "conference", "id": extra.pop("subject", "conf-1")},
    }
    record = {
        "case": case,
        "area": extra.pop("area", "berkshire"),
        "policy_version": "v1",
        "as_of": "2026-03-01",
        "results": [result],
        **extra,
    }
    return json.dumps(record)


def run_report(tmp_path: Path, lines: list[str], *args: str):
    path = tmp_path / "results.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return CliRunner().invoke(report, [str(path), "--period", "2025-04-01..2026-03-31", *args])


def unescaped(text: str, char: str) -> list[int]:
    """Where ``char`` occurs in Markdown ``text`` without a backslash before it (outside code spans)."""
    bare = re.sub(r"(`+)(?:(?!\1).)+?\1", "", text.replace("\\\\", ""))
    return [m.start() for m in re.finditer(rf"(?<!\\){re.escape(char)}", bare)]


# -- the helpers ---------------------------------------------------------------------------------------------


def test_terminal_escapes_every_control_and_reordering_character() -> None:
    said = terminal(TERMINAL)
    assert FORBIDDEN.search(said) is None
    assert said.startswith("\\x1b]8;;https://evil.example\\x07click")
    assert "\\rover" in said and "\\x9b2J" in said and "\\u202eexe" in said and said.endswith("\\udcff")
    assert terminal("Zoë 李 🙂 a\\b") == "Zoë 李 🙂 a\\b"
    said.encode("utf-8")  # a lone surrogate cannot be printed; its escape can


def test_csv_cells_that_would_be_formulas_start_with_a_quote_and_numbers_stay_numbers() -> None:
    for start in FORMULA_STARTS:
        assert csv_line([f"{start}1+1"]).startswith(("'", "\"'")), start
    assert csv_line([-3, 2.5, "-3", None, "a-b"]) == "-3,2.5,'-3,,a-b\n"


def test_a_bare_carriage_return_is_quoted_so_a_csv_reader_reads_one_row() -> None:
    written = csv_line(["a\rb", "c"]) + csv_line(["d", "e"])
    assert list(csv.reader(io.StringIO(written, newline=""))) == [["a\rb", "c"], ["d", "e"]]


def test_markdown_text_escapes_html_links_code_tables_and_block_starts() -> None:
    said = markdown_text(HTML)
    for char in "<>[]`|&":
        assert unescaped(said, char) == [], char
    assert markdown_text("# heading") == "\\# heading"
    assert markdown_text("- item") == "\\- item"
    assert markdown_text("1. item") == "1\\. item"
    assert markdown_text("2025.1 and 3.5 days") == "2025.1 and 3.5 days"
    assert markdown_text("a\x1bb\nc") == "a\\\\x1bb c"


def test_a_code_span_cannot_be_closed_early_by_a_backtick_in_the_value() -> None:
    assert markdown_code("plain-rule") == "`plain-rule`"
    assert markdown_code("a`b") == "``a`b``"
    assert markdown_code("`x`") == "`` `x` ``"
    assert markdown_code("a|b", table=True) == "`a\\|b`"


def test_only_http_addresses_become_links_and_they_cannot_close_the_link() -> None:
    assert markdown_url("javascript:alert(1)") is None
    assert markdown_url("https://x.example/a b><script>") == "https://x.example/a%20b%3E%3Cscript%3E"
    assert html_text("<b>&") == "&lt;b&gt;&amp;"


# -- cpc report -----------------------------------------------------------------------------------------------


def hostile_report_lines() -> list[str]:
    return [
        results_line(FORMULA, rule="@SUM(A1)", title="-2+3", subject="+cmd", team="=team"),
        results_line("case\rwith-cr", subject="\tTAB", team="t"),
        results_line("-42", team="t"),
    ]


def test_report_csv_neutralises_formulas_and_reads_back_one_row_per_record(tmp_path: Path) -> None:
    for fmt in ("csv", "overdue-csv"):
        result = run_report(tmp_path, hostile_report_lines(), "--format", fmt, "--by", "team")
        assert result.exit_code == 0, result.output
        rows = list(csv.reader(io.StringIO(result.output, newline="")))
        header, body = rows[0], rows[1:]
        numeric = {"count", "rule_results", "rule_met_percent", "late_amount", "days_late"}
        for row in body:
            assert len(row) == len(header), row
            for name, cell in zip(header, row, strict=True):
                if name not in numeric:
                    assert not cell.startswith(FORMULA_STARTS), (fmt, name, cell)
        if fmt == "overdue-csv":
            cases = [row[header.index("case")] for row in body]
            assert sorted(cases) == sorted(["'" + FORMULA, "case\rwith-cr", "'-42"])
            assert [row[header.index("days_late")] for row in body] == ["272"] * 3
            assert "'=team" in [row[header.index("team")] for row in body]


def test_report_markdown_escapes_every_value_from_the_results(tmp_path: Path) -> None:
    lines = [results_line(HTML, rule="rule`<b>`|x", title=HTML, subject=HTML, team=HTML, area="<i>area</i>")]
    result = run_report(tmp_path, lines, "--format", "markdown", "--by", "team")
    assert result.exit_code == 0, result.output
    text = result.output
    assert unescaped(text, "<") == []  # in a code span, < is only a character
    assert unescaped(text, "](") == []
    # Every table row has as many cells as its header: no | from a value splits a cell.
    for block in re.findall(r"(?:^\|.*\n)+", text, re.M):
        counts = {len(unescaped(row, "|")) for row in block.splitlines()}
        assert len(counts) == 1, block
    assert "``rule`<b>`\\|x``" in text


def test_report_text_escapes_control_characters(tmp_path: Path) -> None:
    lines = [results_line(TERMINAL, rule=TERMINAL, title=TERMINAL, subject=TERMINAL, team=TERMINAL, area=TERMINAL)]
    for fmt in ("text",):
        result = run_report(tmp_path, lines, "--format", fmt, "--by", "team")
        assert result.exit_code == 0, result.output
        assert FORBIDDEN.search(result.output) is None
        assert "\\x1b]8;;https://evil.example\\x07click" in result.output


# -- cpc report: the line limit ----------------------------------------------------------------------------


def test_the_report_line_limit_is_that_of_eval_cases() -> None:
    stream = io.BytesIO(b"x" * (batch.MAX_LINE_BYTES + 1) + b"\n{}\n")
    items = list(results_lines.read_lines(stream))
    assert items == [results_lines.LineTooLong(batch.MAX_LINE_BYTES + 1, batch.MAX_LINE_BYTES), b"{}\n"]


def test_a_line_of_exactly_the_limit_is_read_and_a_longer_one_skipped_without_being_held() -> None:
    class Endless(io.RawIOBase):
        """Zero bytes for ever, as /dev/zero, then a line: holds a count, never the data."""

        def __init__(self, size: int):
            self.left = size

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            if self.left <= 0:
                data = b"\n{}\n"[: len(buffer)]
                self.left -= len(data)
                buffer[: len(data)] = data
                return len(data) if self.left > -5 else 0
            n = min(len(buffer), self.left)
            buffer[:n] = b"\0" * n
            self.left -= n
            return n

    items = list(results_lines.read_lines(io.BufferedReader(Endless(30 << 20)), limit=100))
    assert items == [results_lines.LineTooLong(30 << 20, 100), b"{}\n"]
    assert list(results_lines.read_lines(io.BytesIO(b"a" * 100 + b"\r\n" + b"b" * 101 + b"\n"), limit=100)) == [
        b"a" * 100 + b"\r\n",
        results_lines.LineTooLong(101, 100),
    ]
    [malformed] = results_lines.parse_lines([results_lines.LineTooLong(7, 5)])
    assert malformed.reason == "longer than 5 bytes, the limit of a line (7 bytes)"


def test_a_number_of_thousands_of_digits_skips_its_line_not_the_report(tmp_path: Path) -> None:
    huge = results_line("c1").replace('"amount": 20', '"amount": ' + "9" * 5000)
    result = run_report(tmp_path, [huge, results_line("c2")], "--format", "json")
    assert result.exit_code == 2
    assert "results.jsonl:1: not valid JSON (a number is too long); line skipped" in result.stderr
    data = json.loads(result.stdout)
    assert data["cases"] == 1 and data["malformed_lines"] == {"count": 1, "first": [1]}


PEAK = """
import resource, sys
from engine.cli.main import cli
try:
    cli([sys.argv[1], sys.argv[2], "--format", "json"])
except SystemExit:
    pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def peak_kb(*args: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    *messages, peak = done.stderr.strip().splitlines()
    return int(peak), "\n".join(messages)


def test_a_50_mb_line_is_skipped_with_flat_memory(tmp_path: Path) -> None:
    small = tmp_path / "small.jsonl"
    small.write_text(results_line("c2") + "\n", encoding="utf-8")
    big = tmp_path / "big.jsonl"
    with big.open("w", encoding="utf-8") as handle:
        handle.write('{"case": "' + "x" * (50 << 20) + '"}\n' + results_line("c2") + "\n")
    baseline, _ = peak_kb("report", str(small))
    peak, messages = peak_kb("report", str(big))
    assert f"{big}:1: longer than 5,242,880 bytes, the limit of a line (52,428,812 bytes); line skipped" in messages
    # The limit's buffer and little more; reading the line whole takes 150 MB and more.
    assert peak - baseline < 25 * 1024, (baseline, peak)


# -- cpc reconcile -------------------------------------------------------------------------------------------


def hostile_reconciliation() -> Reconciliation:
    day = dt.date(2025, 6, 2)
    report = Reconciliation(TERMINAL, "berkshire", "v1", dt.date(2026, 3, 1))
    cite = (Citation("wt", "-file.txt", "=quote"),)
    report.comparisons = [
        Comparison(
            FORMULA, "icpc_target", "@record", day, day + dt.timedelta(days=3), "icpc-timescale", day, -3, None, cite
        ),
        Comparison(
            "id\rcr" + TERMINAL, "review_due", "+r", day, day + dt.timedelta(days=1), "review-interval", day, -1
        ),
        Comparison("²³", "review_due", "r", day, None, reason="blank"),
        Comparison("9" * 5000, "review_due", "r", day, None, reason="blank"),
    ]
    report.errors = [f"{TERMINAL}: the mapped case did not validate"]
    return report


def test_reconcile_csv_neutralises_formulas_and_keeps_differences_numbers() -> None:
    rows = list(csv.reader(io.StringIO(csv_text(hostile_reconciliation()), newline="")))
    header, body = rows[0], rows[1:]
    assert len(body) == 2
    numeric = {"working_days", "calendar_days"}
    for row in body:
        for name, cell in zip(header, row, strict=True):
            if name not in numeric:
                assert not cell.startswith(FORMULA_STARTS), (name, cell)
    first = dict(zip(header, body[0], strict=True))
    assert first["child"] == "'" + FORMULA and first["record"] == "'@record"
    assert first["working_days"] == "-3" and first["calendar_days"] == "-3"
    assert first["citation"] == "'=quote" and first["source_file"] == "'-file.txt"


def test_reconcile_text_escapes_control_characters_and_sorts_any_id() -> None:
    said = reconcile_text(hostile_reconciliation())
    assert FORBIDDEN.search(said) is None
    assert "id\\rcr\\x1b]8;;" in said


# -- cpc compare ---------------------------------------------------------------------------------------------

WEST = """\
area: westshire
title: "Westshire <b>"
version: "1"
effective_from: 2025-01-01
extends: england
sources:
  west:
    title: West
    file: west.txt
rules:
  - id: local-only
    title: '=HYPERLINK("https://evil.example") <img src=x> | x'
    kind: deadline
    topic: plans
    deadline:
      what: plan_discussed_with_parents
      within: 20 working days
      of: first_conference
    cite:
      source: west
      quote: "discussed with the parents within 20 working days"
"""


def test_compare_csv_and_markdown_say_a_hostile_title_as_text(policy_tree) -> None:
    root = policy_tree({"england/policy.yaml": ENGLAND, "westshire/policy.yaml": WEST})
    comparison = compare_policies([open_policy(a, root) for a in ("england", "westshire")])
    rows = list(csv.reader(io.StringIO(render_compare(comparison, "csv"), newline="")))
    titles = [row[rows[0].index("title")] for row in rows[1:]]
    assert "'" + '=HYPERLINK("https://evil.example") <img src=x> | x' in titles
    assert all(not cell.startswith(FORMULA_STARTS) for row in rows[1:] for cell in row)
    markdown = render_compare(comparison, "markdown")
    assert "<" not in markdown.replace("\\<", "")


# -- cpc render --------------------------------------------------------------------------------------------


def test_render_markdown_never_writes_a_source_url_that_ends_the_link_or_is_not_http(policy_tree) -> None:
    west = WEST.replace(
        "    file: west.txt\n", "    file: west.txt\n    url: https://x.example/a)><script>alert(1)</script>\n"
    )
    root = policy_tree({"england/policy.yaml": ENGLAND, "westshire/policy.yaml": west})
    text = render_policy(open_policy("westshire", root), "markdown")
    assert "[*West*](<https://x.example/a)%3E%3Cscript%3Ealert(1)%3C/script%3E>)" in text
    assert "<script" not in text


# -- cpc diff, with --cases ------------------------------------------------------------------------------------


def hostile_diff() -> Diff:
    old = Side(f"old{TERMINAL}", "a", "A", "1", "2025-01-01", "a.yaml")
    new = Side(f"<b>new</b>{HTML}", "b", "B", "2", "2025-01-01", "b.yaml")
    changes = (
        Change("rule-a", "timescales", "parameter", "stricter", "deadline.within", 1, 2, f"note {HTML} {TERMINAL}"),
        Change("rule-a", "timescales", "wording", "changed", "title", "x", "y", f"title {HTML}"),
    )
    return Diff(old, new, changes)


def hostile_impact() -> Impact:
    ids = (HTML, TERMINAL, FORMULA)
    movement = Movement("rule-a", "met", "missed", ids, 3)
    failure = LoadedCase(f"cases/{HTML}.yaml", TERMINAL, None, (f"1:1: CPC100 {HTML}",))
    return Impact(dt.date(2026, 3, 1), 3, ids, (movement,), (failure,))


def test_diff_markdown_with_cases_writes_no_raw_html_from_a_value() -> None:
    text = render_diff(hostile_diff(), "markdown") + render_impact(hostile_impact(), "markdown")
    # The only raw HTML is the renderer's own folding of citations and wording.
    own = re.compile(r"</?details>|</?summary>")
    assert "<" not in own.sub("", text).replace("\\<", "").replace("&lt;", "")
    assert FORBIDDEN.search(text) is None
    assert "<details><summary>Wording: titles, readings, topics (1)</summary>" in text
    for block in re.findall(r"(?:^\|.*\n)+", text, re.M):
        assert len({len(unescaped(row, "|")) for row in block.splitlines()}) == 1, block


def test_diff_text_with_cases_escapes_control_characters() -> None:
    for color in (False, True):
        text = render_diff(hostile_diff(), "text", color=color) + render_impact(hostile_impact(), "text", color=color)
        painted = re.sub(r"\x1b\[[0-9;]*m", "", text) if color else text
        assert FORBIDDEN.search(painted) is None, color
        assert "\\x1b]8;;" in text


# -- cpc eval ----------------------------------------------------------------------------------------------


def hostile_evaluation() -> Evaluation:
    cite = (Citation("wt", "wt.txt", f"quote {HTML}"),)
    results = (
        Result(
            "rule-a",
            f"title {HTML}",
            "deadline",
            "overdue",
            "a",
            "v1",
            "a",
            cite,
            Subject("conference", HTML + TERMINAL),
            due=dt.date(2026, 1, 5),
        ),
    )
    return Evaluation(HTML + TERMINAL, "<i>a</i>", "v1", dt.date(2026, 3, 1), results)


def test_eval_text_escapes_control_characters() -> None:
    for explain in (False, True):
        said = eval_text(hostile_evaluation(), explain=explain)
        assert FORBIDDEN.search(said) is None
        assert "\\x1b]8;;" in said


def test_eval_markdown_escapes_html_and_keeps_one_table_row() -> None:
    said = eval_markdown(hostile_evaluation(), explain=True)
    assert FORBIDDEN.search(said) is None
    assert "<" not in said.replace("\\<", "").replace("<br>", "")
    rows = [line for line in said.splitlines() if line.startswith("|")]
    assert len({len(unescaped(row, "|")) for row in rows}) == 1
    assert len(rows) == 3


@pytest.mark.parametrize("value", ["a\x1bb", "<b>", "=1"])
def test_safe_text_never_drops_a_character(value: str) -> None:
    for said in (terminal(value), markdown_text(value), csv_line([value])):
        assert len(said.rstrip("\n")) >= len(value)


def test_a_csv_cell_escapes_terminal_controls_but_keeps_the_csv_rules_for_tab_cr_and_lf() -> None:
    from engine.core.safe_text import csv_cell

    assert csv_cell("\x1b[31mX\x1b]8;;http://e\x07") == "\\x1b[31mX\\x1b]8;;http://e\\x07"
    assert csv_cell("\t1+1") == "'\t1+1"
