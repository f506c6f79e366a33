"""Evaluating a whole caseload (`cpc eval --cases`, engine.caseload.batch), as docs/batch.md promises it.

The good cases are the examples, repeated with unique ids, as a folder, a JSON Lines file and a stream; the
bad ones are in tests/data/batch/. Every bad record has a child named "Secret Name", which must never come
back. Memory is measured by benchmarks, not here; here only that no durable-rules session is left behind.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator, FormatChecker

import engine
from engine.caseload import batch, pool
from engine.cli import eval_command as cli_eval
from engine.cli import progress
from engine.cli.main import cli
from engine.core.resources import schema
from engine.evaluation import eval_formats, results_file
from engine.policy.policies import PolicyError
from engine.policy.yamlload import jsonable, load_file

from .conftest import ROOT

DATA = ROOT / "tests" / "data" / "batch"
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
AS_OF = "2026-03-01"
SECRET = "Secret Name"
# Five rounds of the eight examples: three blocks of work, so that two workers really share them.
CASES = [{**jsonable(load_file(path).data), "id": f"child-{n:03d}"} for n, path in enumerate(EXAMPLES * 5)]
SUMMARY = re.compile(r"^[\d,]+ cases?: [\d,]+ evaluated, [\d,]+ errors?, in \d+\.\d s \([\d,]+ cases/s\)$")
# The tests that break a worker patch it in this process and let the worker inherit the patch by forking.
FORK_ONLY = pytest.mark.skipif(sys.platform != "linux", reason="patches reach workers only by fork")
SETTINGS = batch.BatchSettings("berkshire", None, dt.date.fromisoformat(AS_OF))


def _jsonl(cases: list[dict]) -> str:
    return "".join(json.dumps(case) + "\n" for case in cases)


def _records(stdout: str) -> list[dict]:
    """The records of a results file of either format, each result whole (the header read, not returned)."""
    return list(results_file.read(stdout.split("\n")))


@pytest.fixture(scope="module")
def caseload(tmp_path_factory) -> Path:
    """The same cases as caseload.jsonl and as the folder cases/ (with files it must skip)."""
    root = tmp_path_factory.mktemp("caseload")
    (root / "caseload.jsonl").write_text(_jsonl(CASES), encoding="utf-8")
    folder = root / "cases"
    (folder / "subfolder").mkdir(parents=True)
    for case in CASES:
        (folder / f"{case['id']}.json").write_text(json.dumps(case), encoding="utf-8")
    (folder / "README.txt").write_text("not a case")
    shutil.copy(EXAMPLES[0], folder / "subfolder" / "skipped.yaml")
    return root


@pytest.fixture(scope="module")
def runs(caseload: Path) -> dict:
    """The caseload evaluated four ways, as conftest's run_cpc runs cpc (which is not module-scoped)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "CPC_DEBUG")}

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "engine", "eval", "--policy", "berkshire", "--as-of", AS_OF, *args]
        return subprocess.run(
            command, cwd=ROOT, env=environment, input=stdin, capture_output=True, text=True, timeout=120
        )

    jsonl = str(caseload / "caseload.jsonl")
    return {
        "jsonl-1": run("--cases", jsonl, "--jobs", "1"),
        "jsonl-2": run("--cases", jsonl, "--jobs", "2"),
        "folder-2": run("--cases", str(caseload / "cases"), "--jobs", "2"),
        "stdin-2": run("--cases", "-", "--jobs", "2", stdin=_jsonl(CASES)),
        "inline-1": run("--cases", jsonl, "--jobs", "1", "--citations", "inline"),
        "inline-2": run("--cases", jsonl, "--jobs", "2", "--citations", "inline"),
    }


COMPACT = ("jsonl-1", "jsonl-2", "folder-2", "stdin-2")


def test_folder_jsonl_and_stdin_give_the_same_bytes_in_input_order_whatever_the_jobs(runs: dict) -> None:
    first = runs["jsonl-1"]
    assert first.returncode == 1, first.stderr  # the examples have overdue and missed deadlines
    assert [r["case"] for r in _records(first.stdout)] == [c["id"] for c in CASES]
    for name in COMPACT:
        assert runs[name].returncode == 1, (name, runs[name].stderr)
        assert runs[name].stdout == first.stdout, name
    assert runs["inline-1"].returncode == runs["inline-2"].returncode == 1
    assert runs["inline-2"].stdout == runs["inline-1"].stdout


def test_the_header_comes_first_and_once_and_lists_every_rule(runs: dict) -> None:
    header, *lines = runs["jsonl-1"].stdout.splitlines()
    data = json.loads(header)
    said = (data["results_format"], data["area"], data["policy_version"], data["as_of"])
    assert said == (2, "berkshire", "v97", AS_OF)
    assert len(lines) == len(CASES) and not any('"results_format"' in line for line in lines)
    listed = {rule["rule"] for rule in data["rules"]}
    assert {r["rule"] for record in _records(runs["jsonl-1"].stdout) for r in record["results"]} <= listed


def test_each_line_gives_back_what_cpc_eval_format_json_prints(runs: dict) -> None:
    policy = engine.load_policy("berkshire")
    expected = [eval_formats.json_line(policy.evaluate(case, as_of=SETTINGS.as_of)) for case in CASES]
    # Format 2 read back, and --citations inline as it is: the very lines `cpc eval --format json` prints.
    assert [json.dumps(r, ensure_ascii=False) + "\n" for r in _records(runs["jsonl-1"].stdout)] == expected
    assert runs["inline-1"].stdout == "".join(expected)


def test_format_2_is_a_fraction_of_the_size_of_inline_citations(runs: dict) -> None:
    compact, inline = runs["jsonl-1"].stdout.encode(), runs["inline-1"].stdout.encode()
    _, _, lines = compact.partition(b"\n")
    assert len(lines) / len(CASES) < 3_000 and len(compact) * 5 < len(inline)


def test_result_lines_validate_against_the_result_schema(runs: dict) -> None:
    check = Draft202012Validator(schema("result"), format_checker=FormatChecker())
    for name in ("jsonl-2", "inline-2"):
        for line in runs[name].stdout.splitlines():
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in check.iter_errors(json.loads(line))]
            assert errors == [], (name, errors)


def test_stderr_off_a_terminal_is_the_summary_alone(runs: dict) -> None:
    for name, run in runs.items():
        lines = run.stderr.splitlines()
        assert len(lines) == 1 and SUMMARY.match(lines[0]), (name, run.stderr)
        assert lines[0].startswith("40 cases: 40 evaluated, 0 errors, in "), name


def _bad_caseload(tmp_path: Path) -> Path:
    """Two good cases around the bad records of tests/data/batch/bad-records.jsonl."""
    bad = (DATA / "bad-records.jsonl").read_text(encoding="utf-8")
    path = tmp_path / "mixed.jsonl"
    path.write_text(_jsonl(CASES[:1]) + bad + _jsonl(CASES[1:2]), encoding="utf-8")
    return path


def test_bad_records_become_error_records_and_the_run_goes_on(run_cpc, tmp_path: Path) -> None:
    path = _bad_caseload(tmp_path)
    # Two workers: the records cross from the worker processes, and the error records keep their place.
    result = run_cpc("eval", "--policy", "berkshire", "--as-of", AS_OF, "--cases", str(path), "--jobs", "2")
    assert result.returncode == 2, result.stderr
    records = _records(result.stdout)
    assert [r["case"] for r in records] == ["child-000", None, "bad-conference-type", "impossible-date", "child-001"]
    assert "results" in records[0] and "results" in records[-1]
    source = str(path)
    assert records[1] == {
        "case": None,
        "source": f"{source}:2",
        "error": [
            {
                "line": 2,
                "column": 85,
                "code": "CPC001",
                "path": "",
                "message": "not valid JSON: Expecting ',' delimiter",
            }
        ],
    }
    assert records[2]["source"] == f"{source}:3"
    assert records[2]["error"] == [
        {
            "line": 3,
            # The column of the value within its record, as in a case file.
            "column": 102,
            "code": "CPC100",
            "path": "conferences[0].type",
            "message": "not one of the allowed values",
        }
    ]
    # Line 4 of the file is blank: skipped, but counted.
    assert records[3]["source"] == f"{source}:5"
    assert records[3]["error"] == [
        {"line": 5, "column": 77, "code": "CPC100", "path": "child.date_of_birth", "message": "not a valid date"}
    ]
    assert SECRET not in result.stdout and SECRET not in result.stderr
    assert result.stderr.startswith("5 cases: 2 evaluated, 3 errors, in ")


def test_a_case_file_that_fails_is_named_without_its_values(tmp_path: Path, run_cpc) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    shutil.copy(EXAMPLES[0], folder / "a.yaml")
    shutil.copy(DATA / "impossible-date.yaml", folder / "b.yaml")
    result = run_cpc("eval", "--policy", "berkshire", "--as-of", AS_OF, "--cases", str(folder), "--exit-zero")
    assert result.returncode == 2, result.stderr
    good, bad = _records(result.stdout)
    assert good["case"] == "example-icpc-on-time"
    assert bad["source"] == str(folder / "b.yaml")
    [error] = bad["error"]
    assert (error["line"], error["column"], error["code"], error["path"]) == (5, 18, "CPC001", "child.date_of_birth")
    for secret in (SECRET, "2025-02-30"):
        assert secret not in result.stdout and secret not in result.stderr


def test_out_refuses_to_overwrite_force_does_and_no_temporary_file_is_left(runs: dict, tmp_path: Path, run_cpc) -> None:
    (tmp_path / "three.jsonl").write_text(_jsonl(CASES[:3]), encoding="utf-8")
    out = tmp_path / "results.jsonl"
    out.write_text("old\n")
    args = ("eval", "--policy", "berkshire", "--as-of", AS_OF, "--cases", str(tmp_path / "three.jsonl"))
    refused = run_cpc(*args, "--out", str(out))
    assert refused.returncode == 2 and "exists; pass --force to overwrite it" in refused.stderr
    assert out.read_text() == "old\n"
    forced = run_cpc(*args, "--out", str(out), "--force", "--exit-zero")
    assert (forced.returncode, forced.stdout) == (0, ""), forced.stderr
    # The header and the first three cases.
    expected = "".join(line + "\n" for line in runs["jsonl-1"].stdout.split("\n")[:4])
    assert out.read_text(encoding="utf-8") == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.jsonl", "three.jsonl"]


def test_a_failed_run_removes_its_temporary_file_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    with pytest.raises(KeyboardInterrupt), cli_eval._output(out, force=False) as sink:
        sink.write(b'{"case": "half"}\n')
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x.yaml", "--cases", "-"], "not both"),
        ([], "give CASE files to evaluate, or a caseload with --cases PATH"),
        (["x.yaml", "--jobs", "2"], "--out, --report, --force, --jobs, --citations and --not-recorded go with --cases"),
        (["x.yaml", "--citations", "inline"], "(--format json on CASE files writes each result whole)"),
        (["--cases", "-", "--format", "text"], "--cases writes JSON Lines"),
        (["--cases", "-", "--force"], "--force goes with --out"),
        (["--cases", str(EXAMPLES[0])], "is a case file"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["eval", "--policy", "berkshire", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_an_unknown_area_is_a_policy_error_before_anything_is_read() -> None:
    result = CliRunner().invoke(cli, ["eval", "--policy", "atlantis", "--cases", "-"], input="{}\n")
    assert result.exit_code == 2
    assert result.output.startswith("cpc: ")


# -- the engine, in process ----------------------------------------------------------------------------------


def _inputs(text: bytes) -> list[batch.CaseInput]:
    return list(batch.read_cases("-", stdin=io.BytesIO(text)))


def test_the_reader_numbers_lines_skips_blank_ones_and_strips_a_bom() -> None:
    items = _inputs(b'\xef\xbb\xbf{"id": "a"}\r\n\n   \n{"id": "b"}')
    assert [(i.source, i.line, i.data) for i in items] == [
        ("<stdin>:1", 1, b'{"id": "a"}'),
        ("<stdin>:4", 4, b'{"id": "b"}'),
    ]


def test_the_reader_lists_a_folder_in_name_order_and_skips_the_rest(caseload: Path) -> None:
    items = list(batch.read_cases(caseload / "cases"))
    assert [Path(i.source).name for i in items] == [f"{c['id']}.json" for c in CASES]
    assert batch.count_cases(caseload / "cases") == len(CASES) == batch.count_cases(caseload / "caseload.jsonl")
    assert batch.count_cases("-") is None


@pytest.fixture(scope="module")
def worker() -> batch.CaseWorker:
    return batch.CaseWorker.open(SETTINGS)


CHILD = f'"child": {{"name": "{SECRET}"}}'
HOSTILE = {
    "deep": (f'{{"id": "deep", {CHILD}, "x": {"[" * 100}{"]" * 100}}}', "CPC004", "deep"),
    "very deep": (f'{{"id": "deep", {CHILD}, "x": {"[" * 100_000}{"]" * 100_000}}}', "CPC004", None),
    "nan": (f'{{"id": "n", {CHILD}, "x": NaN}}', "CPC001", None),
    "huge number": (f'{{"id": "n", {CHILD}, "x": 1e999}}', "CPC001", None),
    "long integer": (f'{{"id": "n", {CHILD}, "x": {"9" * 5000}}}', "CPC001", None),
    "duplicate key": (f'{{"id": "a", {CHILD}, "id": "b"}}', "CPC002", None),
    "not a mapping": (f'["{SECRET}"]', "CPC100", None),
    "a string": (f'"{SECRET}"', "CPC100", None),
    "many values": (f'{{"id": "m", {CHILD}, "x": [{",".join(["0"] * 250_000)}]}}', "CPC004", "m"),
    "unknown key": (f'{{"id": "k", "{SECRET}": 1}}', "CPC100", "k"),
    # Refused by the case reader or, failing that, by the worker's own guard; never a crash.
    "date beyond the calendar": ('{"id": "y", "child": {"date_of_birth": "9999-12-31"}}', None, "y"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_records_give_error_records(worker: batch.CaseWorker, name: str) -> None:
    text, code, case = HOSTILE[name]
    [item] = _inputs(text.encode())
    outcome = worker(item)
    assert outcome.failed and not outcome.attention
    line = outcome.line.decode("utf-8")
    record = json.loads(line)
    assert (record["case"], record["source"]) == (case, "<stdin>:1")
    assert code is None or record["error"][0]["code"] == code, record
    assert SECRET not in line


def test_an_unexpected_failure_is_an_error_record_that_names_no_value(worker: batch.CaseWorker, monkeypatch) -> None:
    def fail(*args, **kwargs):
        raise ValueError(f"the engine quoting the case: {SECRET}")

    monkeypatch.setattr(worker.evaluator, "evaluate", fail)
    [item] = _inputs(_jsonl(CASES[:1]).encode())
    outcome = worker(item)
    record = json.loads(outcome.line)
    assert outcome.failed and record["case"] == "child-000"
    assert record["error"][0]["code"] == "internal-error" and "ValueError" in record["error"][0]["message"]
    assert SECRET not in outcome.line.decode("utf-8")


def test_explain_reaches_every_line(worker: batch.CaseWorker) -> None:
    explaining = batch.CaseWorker(worker.evaluator, dataclasses.replace(SETTINGS, explain=True))
    [item] = _inputs(_jsonl(CASES[:1]).encode())
    results = explaining.rules.expand(json.loads(explaining(item).line))["results"]
    assert results and all(r["matched"] for r in results)


def test_an_oversized_record_is_skipped_unread_and_the_next_one_is_read(worker: batch.CaseWorker) -> None:
    big = b'{"id": "big", "x": "' + b"y" * (batch.MAX_LINE_BYTES + 10) + b'"}\n'
    items = _inputs(big + json.dumps(CASES[0]).encode() + b"\n")
    assert items[0].data == batch.Oversized(len(big) - 1)
    first, second = (json.loads(worker(i).line) for i in items)
    assert first["error"][0]["code"] == "CPC004" and first["source"] == "<stdin>:1"
    assert second["case"] == "child-000"


def test_text_that_is_not_utf8_or_a_lone_surrogate_is_refused_or_escaped(worker: batch.CaseWorker) -> None:
    [item] = _inputs(b'{"id": "\xff"}')
    assert json.loads(worker(item).line)["error"][0]["code"] == "CPC001"
    [item] = _inputs(b'{"id": "a\\ud800"}')
    outcome = worker(item)
    outcome.line.decode("utf-8")  # whatever it says, the output stays UTF-8


@FORK_ONLY
def test_a_worker_that_dies_stops_the_run_with_an_error_not_a_hang(monkeypatch) -> None:
    # A forked worker inherits this patch: it ends its process like a crash in the rules engine would.
    monkeypatch.setattr(pool, "_context", lambda: multiprocessing.get_context("fork"))
    monkeypatch.setattr(batch.CaseWorker, "__call__", lambda self, item: os._exit(70))
    outcomes = batch.evaluate_all(_inputs(_jsonl(CASES).encode()), SETTINGS, jobs=2)
    with pytest.raises(batch.BatchError, match="stopped unexpectedly"):
        list(outcomes)


@FORK_ONLY
def test_a_worker_that_cannot_compile_the_policy_says_why(monkeypatch) -> None:
    def broken(cls, settings, policy=None):
        raise PolicyError("the policy broke in the worker")

    monkeypatch.setattr(pool, "_context", lambda: multiprocessing.get_context("fork"))
    monkeypatch.setattr(batch.CaseWorker, "open", classmethod(broken))
    outcomes = batch.evaluate_all(_inputs(_jsonl(CASES[:2]).encode()), SETTINGS, jobs=2)
    with pytest.raises(batch.BatchError, match="the policy broke in the worker"):
        list(outcomes)


def test_no_durable_session_is_left_after_3000_evaluations(worker: batch.CaseWorker) -> None:
    cases = [worker(item) for item in _inputs(_jsonl(CASES[:8]).encode())]
    assert not any(o.failed for o in cases)
    from engine.evaluation.case_files import read_case

    parsed = [read_case(case) for case in CASES[:8]]
    as_of = SETTINGS.as_of
    for n in range(3000):
        worker.evaluator.evaluate(parsed[n % 8], as_of)
    assert worker.evaluator.compiled.ruleset.leaked_sessions == 0


# -- the terminal ---------------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_drawn_on_a_terminal_and_nowhere_else(monkeypatch) -> None:
    terminal = _Terminal()
    with progress.progress(terminal, 3) as bar:
        for _ in range(3):
            bar.advance()
    assert "Evaluating" in terminal.getvalue() and "3/3" in terminal.getvalue()

    monkeypatch.setattr(progress.Progress, "COUNT_EVERY", 0.0)
    terminal = _Terminal()
    with progress.progress(terminal, None) as bar:
        bar.advance()
    assert "Evaluated 1 cases" in terminal.getvalue()

    pipe = io.StringIO()
    with progress.progress(pipe, 3) as bar:
        bar.advance()
    assert pipe.getvalue() == ""


def test_the_summary_line() -> None:
    assert cli_eval.summary(12_000, 10, 6.1) == "12,000 cases: 11,990 evaluated, 10 errors, in 6.1 s (1,967 cases/s)"
    assert cli_eval.summary(1, 1, 0.5) == "1 case: 0 evaluated, 1 error, in 0.5 s (2 cases/s)"


def test_progress_waits_for_its_delay_before_drawing() -> None:
    terminal = _Terminal()
    with progress.progress(terminal, 3, delay=60.0) as bar:
        bar.advance()
    assert terminal.getvalue() == ""

    terminal = _Terminal()
    with progress.progress(terminal, 3, label="Comparing", delay=0.01) as bar:
        bar.advance()
        time.sleep(0.02)
        bar.advance()
    assert "Comparing" in terminal.getvalue() and "2/3" in terminal.getvalue()
