"""Results format 2 (engine.evaluation.results_file, docs/results.md): each rule's words once, in a header, and
rows that refer to it; readers that take both formats and give the same report from either; clear errors for a file
that cannot be read.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

import engine
from engine.cli import progress
from engine.cli import report_command as cli_report
from engine.cli.main import cli
from engine.core.resources import schema
from engine.evaluation import results_file
from engine.evaluation.eval_formats import json_line
from engine.evaluation.results import Citation, Clock, Evaluation, Late, Match, PlanSummary, Result, Subject
from engine.evaluation.results_file import NO_HEADER, RuleEntry, RuleTable, dumps

from .conftest import ROOT
from .test_report import GOLDEN  # the report's golden files, which both formats must give

AS_OF = dt.date(2026, 3, 1)
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
REPORT_DATA = ROOT / "tests" / "data" / "report"
FORMAT_1_FIXTURE = REPORT_DATA / "results.jsonl"
FORMAT_2_FIXTURE = REPORT_DATA / "results-format2.jsonl"
WHOLE = "2025-01-01..2026-12-31"


def _generated(count: int, seed: int) -> list[str]:
    spec = importlib.util.spec_from_file_location("generate_caseload", ROOT / "bench" / "generate_caseload.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.generate_lines(count, seed, AS_OF))


def report(*args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, ["report", *args], input=stdin)


@pytest.fixture(scope="module")
def policy() -> engine.Policy:
    return engine.load_policy("berkshire")


@pytest.fixture(scope="module")
def files(tmp_path_factory, policy) -> dict[str, Path]:
    """200 generated cases, one bad record among them, written by `cpc eval --cases` in both formats."""
    root = tmp_path_factory.mktemp("formats")
    cases = root / "cases.jsonl"
    lines = _generated(200, 5)
    lines.insert(7, '{"id": "broken", "conferences": [{"type": "wrong"}]}\n')
    cases.write_text("".join(lines), encoding="utf-8")
    out = {"cases": cases}
    for citations in ("header", "inline"):
        out[citations] = root / f"{citations}.jsonl"
        result = CliRunner().invoke(
            cli,
            [
                *("eval", "--policy", "berkshire", "--cases", str(cases), "--as-of", AS_OF.isoformat()),
                *("--jobs", "1", "--citations", citations, "--out", str(out[citations])),
            ],
        )
        assert result.exit_code == 2, result.output  # the bad record
    return out


# -- what is written ----------------------------------------------------------------------------------------


def test_format_2_is_under_3_kb_a_case_and_a_tenth_of_format_1(files: dict[str, Path]) -> None:
    compact, inline = files["header"].read_bytes(), files["inline"].read_bytes()
    header, _, lines = compact.partition(b"\n")
    assert header.startswith(b'{"results_format":2,')
    assert len(lines) / 201 < 3_000, len(lines) / 201
    assert len(compact) * 10 < len(inline), (len(compact), len(inline))


def test_reading_format_2_gives_back_format_1_exactly(files: dict[str, Path]) -> None:
    with files["header"].open(encoding="utf-8") as handle:
        read = [json.dumps(record, ensure_ascii=False) + "\n" for record in results_file.read(handle)]
    assert "".join(read) == files["inline"].read_text(encoding="utf-8")


def test_every_rule_entry_is_what_the_evaluator_puts_in_each_result(policy) -> None:
    """No result of a real evaluation needs its rule's fields in `more`: the header says them all."""
    table = RuleTable.from_policy(policy.in_force(AS_OF), AS_OF)
    rows = 0
    for path in EXAMPLES:
        for explain in (False, True):
            evaluation = policy.evaluate(path, as_of=AS_OF, explain=explain)
            for result in evaluation.to_dict()["results"]:
                row = table.row(result, evaluation.area, evaluation.policy_version)
                more = row[7] if len(row) == 8 else {}
                assert set(more) <= {"closed", "earliest", "early", "failed", "missing", "reason", "matched"}, more
                rows += 1
    assert rows > 100


def test_the_header_lists_each_rule_once_with_its_words(policy) -> None:
    resolved = policy.in_force(AS_OF)
    header = RuleTable.from_policy(resolved, AS_OF).header()
    names = [rule["rule"] for rule in header["rules"]]
    assert len(names) == len(set(names))
    assert set(names) == {r.id for r in resolved.rules.values() if r.data.get("disapplies") is not True}
    icpc = next(rule for rule in header["rules"] if rule["rule"] == "icpc-timescale")
    assert icpc["clock"] == {"event": "strategy_discussion"} and icpc["defined_in"] == "england"
    assert icpc["citations"] and all(c["quote"] and c["file"] for c in icpc["citations"])
    assert list(header) == ["results_format", "area", "policy_version", "as_of", "columns", "rules"]


def test_every_line_of_either_format_matches_the_result_schema(files: dict[str, Path]) -> None:
    check = Draft202012Validator(schema("result"), format_checker=FormatChecker())
    for name in ("header", "inline"):
        for line in files[name].read_text(encoding="utf-8").splitlines()[:60]:
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in check.iter_errors(json.loads(line))]
            assert errors == [], (name, errors)


@pytest.mark.parametrize(
    ("row", "where"),
    [
        (["quorum", "late"], [1]),
        (["quorum", "met", {"type": "conference", "id": "icpc-1"}], [2]),
        (["quorum", "met", None, None, None, None, None, {"colour": "red"}], [7]),
        (["quorum", "met", None, None, None, None, None, None, None], []),
        (["icpc-timescale", "met", None, ["not_an_event", "2026-01-01"]], [3]),
        (["icpc-timescale", "overdue", None, "2026-01-01", "2026-01-22", None, [3, "fortnights"]], [6]),
    ],
)
def test_the_schema_refuses_a_row_that_is_not_one(row: list, where: list) -> None:
    check = Draft202012Validator(schema("result"), format_checker=FormatChecker())
    record = {"case": "c", "area": "berkshire", "policy_version": "v97", "as_of": "2026-03-01", "results": [row]}
    errors = list(check.iter_errors(record))
    assert errors
    assert any(list(e.absolute_path)[:2] == ["results", 0] for e in errors), [e.message for e in errors]


def test_a_single_case_file_is_still_printed_whole(run_cpc) -> None:
    """`cpc eval --format json` on case files is for a person or a script looking at a few cases: each result
    whole, no header, as before (and as `Evaluation.to_dict()` is)."""
    run = run_cpc("eval", "--policy", "berkshire", str(EXAMPLES[0]), "--format", "json", "--as-of", "2026-03-01")
    [line] = run.stdout.splitlines()
    data = json.loads(line)
    assert "results_format" not in data and all(r["citations"] and r["title"] for r in data["results"])


# -- the fast encoder -----------------------------------------------------------------------------------------


def test_the_fast_encoder_writes_what_json_dumps_writes_on_real_evaluations(policy) -> None:
    table = RuleTable.from_policy(policy.in_force(AS_OF), AS_OF)
    cases = [*EXAMPLES, *(json.loads(line) for line in _generated(40, 3))]
    for case in cases:
        for explain in (False, True):
            evaluation = policy.evaluate(case, as_of=AS_OF, explain=explain)
            assert table.evaluation_json(evaluation) == dumps(table.evaluation(evaluation))
            back = table.expand(json.loads(table.evaluation_json(evaluation)))
            assert json.dumps(back, ensure_ascii=False) == json_line(evaluation).rstrip("\n")


texts = st.text(max_size=6) | st.sampled_from(["", '"', "\\", "\x00", "\n", "é", "\u2028", "</script>"])
moments = st.none() | st.dates() | st.datetimes()
kinds = st.sampled_from(["deadline", "requirement", "decision", "other"])
citations = st.lists(st.builds(Citation, texts, texts, texts), max_size=2).map(tuple)
whats = st.none() | texts | st.lists(texts, max_size=2).map(tuple)
rules = st.sampled_from(["a", "b", "c"])
results = st.builds(
    Result,
    rule=rules,
    title=st.sampled_from(["T", "U"]),
    kind=kinds,
    status=texts,
    area=st.sampled_from(["area", "elsewhere"]),
    policy_version=st.sampled_from(["v1", "v2"]),
    defined_in=st.sampled_from(["area", "base"]),
    citations=st.sampled_from([(), (Citation("s", "f", "q"),)]) | citations,
    subject=st.none() | st.builds(Subject, st.sampled_from(["conference", "report", "x"]), texts),
    what=whats,
    clock=st.none() | st.builds(Clock, st.sampled_from(["of", "other"]), st.dates() | st.datetimes()),
    due=moments,
    done=moments,
    late=st.none() | st.builds(Late, st.integers(-(2**70), 2**70) | st.booleans(), texts),
    closed=st.none() | st.dates(),
    earliest=st.none() | st.dates(),
    early=st.none() | st.builds(Late, st.integers(0, 10), texts),
    failed=st.lists(texts, max_size=2).map(tuple),
    missing=st.lists(texts, max_size=2).map(tuple),
    action=st.none() | texts,
    directs=st.none() | texts,
    reason=st.none() | texts,
    matched=st.lists(st.builds(Match, texts, texts, st.lists(texts, max_size=2).map(tuple)), max_size=2).map(tuple),
    exception_of=st.none() | st.sampled_from(["base-rule"]),
)
entries = st.builds(
    RuleEntry,
    rule=rules,
    kind=kinds,
    title=st.sampled_from(["T", "U"]),
    defined_in=st.sampled_from(["area", "base"]),
    citations=st.sampled_from([(), (Citation("s", "f", "q"),)]),
    exception_of=st.none() | st.sampled_from(["base-rule"]),
    what=whats,
    clock=st.none() | st.sampled_from(["of"]),
    action=st.none() | texts,
    directs=st.none() | texts,
)
evaluations = st.builds(
    Evaluation,
    texts,
    st.just("area"),
    st.just("v1"),
    st.dates(),
    st.lists(results, max_size=4).map(tuple),
    st.none() | texts,
    st.none() | texts,
    st.none()
    | st.builds(PlanSummary, st.dates(), st.none() | st.dates(), st.none() | texts, st.none() | st.integers(0)),
)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(evaluations, st.lists(entries, max_size=3, unique_by=lambda e: e.rule))
def test_any_evaluation_is_written_as_json_dumps_writes_it_and_read_back_whole(
    evaluation: Evaluation, listed: list[RuleEntry]
) -> None:
    """Whatever the results and whatever the header says of their rules: the fast line is the reference line,
    and reading it with the header gives back `to_dict()` exactly, rule-level fields that differ included."""
    table = RuleTable("area", "v1", "2026-03-01", listed)
    for _ in range(2):  # the second time from the cache
        line = table.evaluation_json(evaluation)
        assert line == dumps(table.evaluation(evaluation))
    reread = results_file.parse_header(json.loads(dumps(table.header())))
    expected = json.dumps(evaluation.to_dict(), ensure_ascii=False)
    assert json.dumps(reread.expand(json.loads(line)), ensure_ascii=False) == expected


def test_a_pickled_table_encodes_as_the_original_does(policy) -> None:
    """A pool's workers get the parent's table: its cache (keyed by object ids) stays behind."""
    import pickle

    table = RuleTable.from_policy(policy.in_force(AS_OF), AS_OF)
    evaluation = policy.evaluate(EXAMPLES[0], as_of=AS_OF)
    line = table.evaluation_json(evaluation)
    copy = pickle.loads(pickle.dumps(table))
    assert copy._cache == {} and copy.evaluation_json(evaluation) == line


# -- the report reads either ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "text"],
        ["--format", "markdown"],
        ["--format", "csv"],
        ["--format", "overdue-csv", "--all"],
        ["--format", "months-csv"],
        ["--format", "json", "--all"],
        ["--by", "team", "--period", WHOLE],
    ],
    ids=lambda a: " ".join(a),
)
def test_the_report_is_the_same_from_either_format(files: dict[str, Path], args: list[str]) -> None:
    old, new = report(str(files["inline"]), *args), report(str(files["header"]), *args)
    assert old.exit_code == new.exit_code == 0, new.output
    assert new.stdout == old.stdout


@pytest.mark.parametrize("fmt", GOLDEN)
def test_the_format_2_fixture_gives_the_golden_report_of_the_format_1_fixture(fmt: str) -> None:
    result = report(str(FORMAT_2_FIXTURE), "--format", fmt, "--period", WHOLE)
    assert result.exit_code == 0, result.output
    assert result.stdout == (REPORT_DATA / GOLDEN[fmt]).read_text(encoding="utf-8")


def _format_2(lines: list[str]) -> str:
    """A format-1 file in format 2: a header before each run of evaluations under one policy version, listing
    the rules as their first results have them (the hand-made fixture has no policy behind it)."""
    records = [json.loads(line) if line.strip() else {} for line in lines]
    rules: dict[tuple, dict[str, dict]] = {}
    for record in records:
        if "results" in record:
            found = rules.setdefault((record["area"], record["policy_version"], record["as_of"]), {})
            for result in record["results"]:
                entry = {"rule": result["rule"], **{k: result[k] for k in results_file.RULE_FIELDS if k in result}}
                if "clock" in result:
                    entry["clock"] = {"event": result["clock"]["event"]}
                found.setdefault(result["rule"], entry)
    tables = {key: RuleTable(*key, list(found.values())) for key, found in rules.items()}
    out, current = [], None
    for line, record in zip(lines, records, strict=True):
        if "results" not in record:
            out.append(line)
            continue
        key = (record["area"], record["policy_version"], record["as_of"])
        if key != current:
            out.append(tables[key].header_line())
            current = key
        out.append(dumps({**record, "results": [tables[key].row(r, *key[:2]) for r in record["results"]]}) + "\n")
    return "".join(out)


def test_the_format_2_fixture_is_the_format_1_fixture_written_in_format_2() -> None:
    """Regenerate it with CPC_UPDATE_GOLDEN=1 after a deliberate change to format 2 (a change that makes old
    files unreadable needs a new results_format)."""
    converted = _format_2(FORMAT_1_FIXTURE.read_text(encoding="utf-8").splitlines(keepends=True))
    if os.environ.get("CPC_UPDATE_GOLDEN"):
        FORMAT_2_FIXTURE.write_text(converted, encoding="utf-8", newline="")
    assert FORMAT_2_FIXTURE.read_text(encoding="utf-8") == converted


def test_files_joined_together_are_read_each_under_its_own_header(files: dict[str, Path], tmp_path: Path) -> None:
    joined = tmp_path / "joined.jsonl"
    joined.write_bytes(files["header"].read_bytes() + files["inline"].read_bytes() + files["header"].read_bytes())
    data = json.loads(report(str(joined), "--format", "json").stdout)
    assert data["cases"] == 200 and data["repeated_case_records"]["total"] == 400


# -- what cannot be read ----------------------------------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def _refused(result, name: str, line: int, message: str) -> None:
    assert (result.exit_code, result.stdout) == (2, ""), result.output
    assert result.stderr == f"cpc: {name}:{line}: {message}\n"
    assert "Traceback" not in result.output


def test_a_damaged_header_is_said_to_be_damaged_not_missing(files: dict[str, Path], tmp_path: Path) -> None:
    header, *rows = _lines(files["header"])
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text(header[:200] + "\n" + "".join(rows), encoding="utf-8")
    result = report(str(damaged))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1] == f"cpc: {damaged}:2: {results_file.UNREADABLE_HEADER}"


def test_results_without_their_header_are_refused_at_the_first_line(files: dict[str, Path], tmp_path: Path) -> None:
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(_lines(files["header"])[1:]), encoding="utf-8")
    _refused(report(str(cut)), str(cut), 1, NO_HEADER)
    assert NO_HEADER == (
        "this evaluation's results refer to their rules by id (results format 2), and no results header comes "
        "before it to list the rules; keep a results file's first line, its header, when cutting or filtering it"
    )
    # An error record or a format-1 line before it changes nothing: the first evaluation in format 2 is refused.
    mixed = _lines(files["inline"])[:3] + _lines(files["header"])[5:7]
    _refused(report("-", stdin="".join(mixed)), "<stdin>", 4, NO_HEADER)
    with pytest.raises(results_file.ResultsFileError, match=r"^line 4: this evaluation's"):
        list(results_file.read(mixed))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            {"results_format": 3},
            "results format 3 is newer than this cpc reads (formats 1 and 2); read the file with the cpc that wrote "
            "it or a newer one, or evaluate the caseload again with this one",
        ),
        ({"results_format": "2"}, "the results header's results_format is not 2, the only format with a header"),
        ({"results_format": 1}, "the results header's results_format is not 2, the only format with a header"),
        (
            {"columns": ["rule", "status"]},
            "the results header's columns are not format 2's (rule, status, subject, clock, due, done, late, more)",
        ),
        ({"rules": {}}, "the results header's rules is not a list"),
        (
            {"rules": [{"rule": "a", "kind": "deadline", "title": "A"}] * 2},
            "the results header's rules[1].rule repeats a rule listed before it",
        ),
        ({"rules": [{"rule": "a", "title": "A"}]}, "the results header's rules[0].kind is not a string"),
        ({"policy_version": ""}, "the results header's policy_version is not a non-empty string"),
    ],
)
def test_a_header_that_cannot_be_used_stops_the_report(
    files: dict[str, Path], tmp_path: Path, edit: dict, message: str
) -> None:
    header, *rest = _lines(files["header"])
    path = tmp_path / "edited.jsonl"
    path.write_text(dumps({**json.loads(header), **edit}) + "\n" + "".join(rest), encoding="utf-8")
    _refused(report(str(path)), str(path), 1, message)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (["no-such-rule", "met"], "results[0].rule names a rule the header does not list"),
        # An unknown rule is said first, whatever else the row holds.
        (["no-such-rule", "met", None, "2026-01-01"], "results[0].rule names a rule the header does not list"),
        (["quorum", "met", {"id": "icpc-1"}], "results[0].subject is not a conference's id or a [type, id] pair"),
        (["quorum"], "results[0] is not a result row (an array of 2 to 8 columns)"),
        (["quorum", "late"], "results[0].status is not one of met, breached, not_assessable (for a requirement)"),
        (["quorum", "met", None, None, None, None, None, []], "results[0].more is not an object"),
        (
            ["plan-end-recorded", "applies", None, "2026-01-01"],
            "results[0].clock is a date alone, and its rule's entry names no clock event",
        ),
        (
            ["icpc-timescale", "overdue", None, "2025-12-01", "2025-12-22", None, 5],
            "results[0].late is not an [amount, unit] pair",
        ),
    ],
)
def test_a_row_that_cannot_be_read_is_a_malformed_line(
    files: dict[str, Path], tmp_path: Path, row: list, reason: str
) -> None:
    header, first, *rest = _lines(files["header"])
    path = tmp_path / "bad-row.jsonl"
    path.write_text(header + dumps({**json.loads(first), "results": [row]}) + "\n" + "".join(rest), encoding="utf-8")
    result = report(str(path))
    assert result.exit_code == 2 and "199 cases evaluated" in result.stdout
    assert result.stdout.endswith("\n1 malformed line was skipped (line 2).\n")
    assert result.stderr == (f"cpc: {path}:2: {reason}; line skipped\ncpc: 1 malformed line in {path} skipped\n")


def test_an_evaluation_under_another_policy_than_its_header_is_malformed(files: dict[str, Path], tmp_path) -> None:
    header, first, *_ = _lines(files["header"])
    path = tmp_path / "other-version.jsonl"
    path.write_text(header + dumps({**json.loads(first), "policy_version": "v96"}) + "\n", encoding="utf-8")
    result = report(str(path))
    assert result.exit_code == 2
    assert (
        f"{path}:2: the area or policy_version is not the one of the results header before it; line skipped"
        in result.stderr
    )


# -- progress -------------------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _report_on_a_terminal(monkeypatch, capsys, *args: str, stdin: bytes | None = None) -> tuple[str, str]:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    with pytest.raises(SystemExit) as ended:
        cli_report.report.main(list(args))
    assert ended.value.code in (0, None)
    return capsys.readouterr().out, terminal.getvalue()


def test_report_shows_progress_on_a_terminal_once_it_has_taken_two_seconds(
    files: dict[str, Path], monkeypatch, capsys
) -> None:
    expected = report(str(files["header"])).stdout
    # A quick report draws nothing: progress waits two seconds.
    assert cli_report.PROGRESS_DELAY == 2.0
    assert _report_on_a_terminal(monkeypatch, capsys, str(files["header"])) == (expected, "")
    # Past the delay (made 0 here), a bar of the file's lines; the report itself is the same.
    monkeypatch.setattr(cli_report, "PROGRESS_DELAY", 0.0)
    out, drawn = _report_on_a_terminal(monkeypatch, capsys, str(files["header"]))
    lines = len(_lines(files["header"]))
    assert out == expected and "Reading" in drawn and f"{lines}/{lines}" in drawn
    # From a pipe the number of lines is not known: a running count.
    monkeypatch.setattr(progress.Progress, "COUNT_EVERY", 0.0)
    out, drawn = _report_on_a_terminal(monkeypatch, capsys, "-", stdin=files["header"].read_bytes())
    assert out == expected and f"Read {lines:,} lines" in drawn


def test_counting_lines_for_the_bar(tmp_path: Path) -> None:
    for text, count in ((b"", 0), (b"a\n", 1), (b"a\nb", 2), (b"a\n\nb\n", 3)):
        path = tmp_path / "lines.jsonl"
        path.write_bytes(text)
        with path.open("rb") as handle:
            assert (cli_report.count_lines(handle), handle.tell()) == (count, 0)
    assert cli_report.count_lines(io.BytesIO(b"a\nb")) is None  # not a file: no total


def test_a_malformed_line_on_a_terminal_clears_the_bar_first(files: dict[str, Path], monkeypatch, capsys) -> None:
    stdin = files["header"].read_bytes() + b"not json\n"
    monkeypatch.setattr(cli_report, "PROGRESS_DELAY", 0.0)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    with pytest.raises(SystemExit) as ended:
        cli_report.report.main(["-"])
    assert ended.value.code == 2
    lines = len(_lines(files["header"])) + 1
    assert f"\r\x1b[Kcpc: <stdin>:{lines}: not valid JSON (column 1); line skipped\n" in terminal.getvalue()
