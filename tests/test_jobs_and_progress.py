"""--jobs and progress where a user waits: `cpc diff --cases`, `cpc reconcile` and `cpc import ssd`.

What a user sees: the same bytes on standard output whatever --jobs says; a progress bar on standard error
when that is a terminal (a real pseudo-terminal here) and nothing there otherwise; --jobs 0 refused as
`cpc eval --cases` refuses it; worker processes that end with a killed parent; Ctrl-C that exits 2 without a
traceback and leaves no worker behind.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import engine
from engine.cli import progress
from engine.cli import ssd_command as cli_ssd
from engine.cli.main import cli
from engine.ssd import mapping as ssd
from engine.ssd import reconcile as rec
from engine.ssd.reader import read_extract

from .conftest import ROOT
from .processes import children, outlived
from .test_ssd import _generator

AS_OF = "2026-03-01"
SECRET = "Secret Name"
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="terminals, signals and /proc are POSIX")
PROC = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the workers in /proc")
# Two records no case can be made of, among good ones: their errors must come out in input order too.
BAD_LINES = {
    5: json.dumps({"id": "bad-type", "child": {"name": SECRET}, "conferences": [{"type": "nope"}]}),
    40: "not json at all, " + SECRET,
}


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "CPC_DEBUG")}


def _cpc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        cwd=ROOT,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _generate_cases(count: int, out: Path) -> None:
    command = [sys.executable, str(ROOT / "bench" / "generate_caseload.py"), str(count), "--seed", "5", "--out"]
    subprocess.run([*command, str(out)], check=True, capture_output=True)


@pytest.fixture(scope="module")
def caseload(tmp_path_factory) -> Path:
    """60 generated cases, and the two bad records at lines 5 and 40."""
    root = tmp_path_factory.mktemp("jobs")
    _generate_cases(60, root / "good.jsonl")
    lines = (root / "good.jsonl").read_text(encoding="utf-8").splitlines()
    for number, line in sorted(BAD_LINES.items()):
        lines.insert(number - 1, line)
    path = root / "caseload.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    """A generated SSD extract of 150 children, with its planted disagreements."""
    folder = tmp_path_factory.mktemp("extract") / "ssd"
    assert _generator().main([str(folder), "--children", "150", "--seed", "5"]) == 0
    return folder


def _diff(caseload: Path, *args: str) -> list[str]:
    return ["diff", "england", "berkshire", "--cases", str(caseload), "--as-of", AS_OF, *args]


def _reconcile(folder: Path, *args: str) -> list[str]:
    return ["reconcile", "--policy", "berkshire", str(folder), "--as-of", AS_OF, *args]


# -- the same bytes whatever the jobs ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_diff_cases_prints_the_same_bytes_with_one_and_two_jobs(caseload: Path, fmt: str) -> None:
    one = _cpc(*_diff(caseload, "--jobs", "1", "--format", fmt))
    two = _cpc(*_diff(caseload, "--jobs", "2", "--format", fmt))
    # Two cases could not be evaluated: exit 2, with everything else reported.
    assert (one.returncode, two.returncode) == (2, 2), one.stderr + two.stderr
    assert one.stdout == two.stdout
    # Standard error is no terminal: no progress, nothing at all.
    assert one.stderr == two.stderr == ""
    assert SECRET not in one.stdout
    if fmt == "json":
        impact = json.loads(one.stdout)["impact"]
        assert impact["evaluated"] == 60
        assert [error["source"] for error in impact["errors"]] == [f"{caseload}:5", f"{caseload}:40"]
    else:
        assert "Impact on 60 cases, as of 2026-03-01: " in one.stdout
        assert one.stdout.index(f"{caseload}:5 (bad-type)") < one.stdout.index(f"{caseload}:40")


def test_reconcile_prints_the_same_bytes_with_one_and_two_jobs(extract: Path) -> None:
    one = _cpc(*_reconcile(extract, "--jobs", "1", "--format", "json"))
    two = _cpc(*_reconcile(extract, "--jobs", "2", "--format", "json"))
    assert (one.returncode, two.returncode) == (1, 1), one.stderr + two.stderr
    assert one.stdout == two.stdout
    assert one.stderr == two.stderr == ""
    assert json.loads(one.stdout)["disagree"] == 10
    # The other formats are made from the same report.
    policy = engine.load_policy("berkshire")
    reports = [rec.reconcile(extract, policy, dt.date.fromisoformat(AS_OF), jobs=jobs) for jobs in (1, 2)]
    for fmt, write in rec.FORMATS.items():
        assert write(reports[0]) == write(reports[1]), fmt


# -- progress ---------------------------------------------------------------------------------------------


def _on_a_terminal(*args: str) -> tuple[int, str, str]:
    """Run cpc with standard error on a pseudo-terminal: exit code, standard output, what the terminal showed."""
    import pty

    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "engine", *args], cwd=ROOT, env=_environment(), stdout=subprocess.PIPE, stderr=slave
    )
    os.close(slave)
    shown = bytearray()
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # Linux: the terminal's last writer has closed it
                break
            if not data:
                break
            shown += data
        stdout = process.communicate(timeout=60)[0]
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, stdout.decode("utf-8"), shown.decode("utf-8", "replace")


@POSIX
def test_diff_cases_draws_a_bar_on_a_terminal(caseload: Path) -> None:
    code, stdout, shown = _on_a_terminal(*_diff(caseload, "--jobs", "2"))
    assert code == 2
    assert "Comparing" in shown and "62/62" in shown
    assert "Impact on 60 cases" in stdout and "Comparing" not in stdout


@POSIX
def test_reconcile_counts_the_rows_then_draws_a_bar_over_thechildren(extract: Path) -> None:
    code, stdout, shown = _on_a_terminal(*_reconcile(extract, "--jobs", "2"))
    assert code == 1
    assert "rows of the extract" in shown
    assert "Reconciling" in shown and "150/150" in shown
    assert stdout.startswith(f"{extract}: due dates recorded by the source system")


@POSIX
def test_a_quick_import_shows_no_progress_even_on_a_terminal(tmp_path: Path) -> None:
    code, _, shown = _on_a_terminal("import", "ssd", str(ROOT / "examples" / "ssd"), "--out", str(tmp_path / "c.jsonl"))
    assert code == 0
    assert shown.startswith("read ") and "Importing" not in shown and "rows of the extract" not in shown


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_an_import_past_its_delay_counts_the_rows_then_draws_a_bar(monkeypatch, tmp_path: Path) -> None:
    terminal = _Terminal()
    drawn = progress.progress
    monkeypatch.setattr(progress, "progress", lambda stream, total, **options: drawn(terminal, total, **options))
    monkeypatch.setattr(cli_ssd, "IMPORT_PROGRESS_DELAY", 0.0)
    result = CliRunner().invoke(cli, ["import", "ssd", str(ROOT / "examples" / "ssd"), "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "rows of the extract" in terminal.getvalue()
    # Every child walked, the two with no child protection records included.
    assert "Importing" in terminal.getvalue() and "40/40" in terminal.getvalue()


def test_eval_from_ssd_counts_the_rows_of_the_extract_past_its_delay(monkeypatch, tmp_path: Path) -> None:
    terminal = _Terminal()
    drawn = progress.progress
    monkeypatch.setattr(progress, "progress", lambda stream, total, **options: drawn(terminal, total, **options))
    monkeypatch.setattr(cli_ssd, "IMPORT_PROGRESS_DELAY", 0.0)
    folder = str(ROOT / "examples" / "ssd")
    arguments = ["eval", "--policy", "berkshire", "--cases", folder, "--from", "ssd", "--as-of", "2026-03-01"]
    result = CliRunner().invoke(cli, [*arguments, "--out", str(tmp_path / "out.jsonl"), "--exit-zero"])
    assert result.exit_code == 0, result.output
    assert "rows of the extract" in terminal.getvalue()


@pytest.mark.parametrize("omit", [(), ("--omit", "ssd_person")])
def test_an_extract_counts_the_rows_it_reads_and_the_children_it_walks(tmp_path: Path, omit: tuple) -> None:
    folder = tmp_path / "ssd"
    assert _generator().main([str(folder), "--children", "60", "--seed", "3", *omit]) == 0
    told: list[int] = []
    extract = read_extract(folder, on_rows=told.append)
    assert sum(told) == sum(extract.rows.values())
    report = ssd.ImportReport()
    list(ssd.iter_cases(extract, report))
    walked = len(list(ssd.iter_child_episodes(extract)))
    assert extract.children() == walked == report.cases + report.without_records


# -- usage ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-1"])
@pytest.mark.parametrize("command", ["diff", "reconcile"])
def test_jobs_below_one_is_a_usage_error_as_in_eval(caseload: Path, command: str, value: str) -> None:
    args = _diff(caseload) if command == "diff" else _reconcile(ROOT / "examples" / "ssd")
    result = CliRunner().invoke(cli, [*args, "--jobs", value])
    assert result.exit_code == 2
    assert f"Invalid value for '--jobs': {value} is not in the range 1<=x<=64." in result.output
    evaluated = CliRunner().invoke(cli, ["eval", "--policy", "berkshire", "--cases", str(caseload), "--jobs", value])
    assert evaluated.exit_code == 2
    assert f"Invalid value for '--jobs': {value} is not in the range 1<=x<=64." in evaluated.output


def test_diff_jobs_needs_cases() -> None:
    result = CliRunner().invoke(cli, ["diff", "england", "berkshire", "--jobs", "2"])
    assert result.exit_code == 2
    assert result.output == "cpc: --jobs is the number of processes for --cases; give --cases PATH too\n"


# -- killed and interrupted -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_inputs(tmp_path_factory) -> dict[str, Path]:
    """A caseload and an extract that take two workers some seconds."""
    root = tmp_path_factory.mktemp("slow")
    _generate_cases(3000, root / "cases.jsonl")
    assert _generator().main([str(root / "ssd"), "--children", "3000", "--seed", "6"]) == 0
    return {"diff": root / "cases.jsonl", "reconcile": root / "ssd"}


def _start(command: str, slow_inputs: dict[str, Path]) -> tuple[subprocess.Popen, list[int]]:
    """Start a two-job run in a session of its own, and wait until both workers are at work."""
    args = _diff(slow_inputs["diff"]) if command == "diff" else _reconcile(slow_inputs["reconcile"])
    process = subprocess.Popen(
        [sys.executable, "-m", "engine", *args, "--jobs", "2"],
        cwd=ROOT,
        env=_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while time.monotonic() < deadline and len(workers) < 2:
        assert process.poll() is None, "the run ended before its workers were seen"
        time.sleep(0.05)
        workers = children(process.pid)
    # Both have started their work: the policy takes them a moment to compile.
    time.sleep(1.0)
    assert process.poll() is None and len(workers) == 2
    return process, workers


@PROC
@pytest.mark.parametrize("command", ["diff", "reconcile"])
def test_workers_end_with_a_killed_parent(slow_inputs: dict[str, Path], command: str) -> None:
    process, workers = _start(command, slow_inputs)
    process.kill()
    process.communicate()
    assert outlived(workers) == [], "the workers outlived their killed parent"


@PROC
@pytest.mark.parametrize("command", ["diff", "reconcile"])
def test_ctrl_c_exits_2_without_a_traceback_and_stops_the_workers(slow_inputs: dict[str, Path], command: str) -> None:
    process, workers = _start(command, slow_inputs)
    # Ctrl-C on a terminal interrupts the whole foreground process group: the command and its workers.
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert stderr.decode() == "\ncpc: aborted\n"
    assert outlived(workers) == []


@PROC
@pytest.mark.parametrize("command", ["diff", "reconcile"])
def test_sigterm_is_taken_as_ctrl_c(slow_inputs: dict[str, Path], command: str) -> None:
    # A service manager stops a job with SIGTERM: the same clean exit as Ctrl-C, and no worker left behind.
    process, workers = _start(command, slow_inputs)
    process.terminate()
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert stderr.decode().endswith("cpc: aborted\n") and "Traceback" not in stderr.decode()
    assert outlived(workers) == []
