"""`cpc eval --cases DIR --from ssd`: an SSD extract evaluated straight from its folder, as docs/ssd.md promises.

The promise is the batch mode's output, byte for byte, for the cases `cpc import ssd` would write, with the
import's summary on standard error, and no file in between.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.caseload import batch, pool
from engine.cli import eval_command as cli_eval
from engine.cli.main import cli
from engine.cli.ssd_command import import_group
from engine.ssd import mapping as ssd
from engine.ssd.reader import read_extract
from engine.ssd.tables import ICPC, PLANS, S47

from .conftest import ROOT
from .test_batch import SETTINGS, SUMMARY

FIXTURE = ROOT / "examples" / "ssd"
AS_OF = "2026-03-01"


def _run(*args: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "CPC_DEBUG")}
    return subprocess.run(
        [sys.executable, "-m", "engine", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def _eval(*args: str) -> subprocess.CompletedProcess:
    return _run("eval", "--policy", "berkshire", "--as-of", AS_OF, *args)


def _copy(tmp_path: Path, leave_out: tuple[str, ...] = ()) -> Path:
    target = tmp_path / "extract"
    target.mkdir()
    for path in FIXTURE.glob("*.csv"):
        if path.stem not in leave_out:
            shutil.copy(path, target / path.name)
    return target


def _import_then_eval(folder: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """`cpc import ssd FOLDER --out cases.jsonl`, then `cpc eval --cases cases.jsonl`."""
    cases = tmp_path / "cases.jsonl"
    imported = _run("import", "ssd", str(folder), "--out", str(cases))
    assert imported.returncode == 0, imported.stderr
    # The summary as eval --from ssd says it: it maps the cases, and writes them nowhere.
    imported.stderr = imported.stderr.replace(f"cases written 38 to {cases};", "cases mapped 38;")
    return imported, _eval("--cases", str(cases), "--jobs", "1")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """The fixture imported then evaluated, and evaluated straight from its folder with one and two jobs."""
    imported, evaluated = _import_then_eval(FIXTURE, tmp_path_factory.mktemp("import"))
    return {
        "import": imported,
        "jsonl": evaluated,
        "ssd-1": _eval("--cases", str(FIXTURE), "--from", "ssd", "--jobs", "1"),
        "ssd-2": _eval("--cases", str(FIXTURE), "--from", "ssd", "--jobs", "2"),
    }


def test_the_extract_gives_the_bytes_import_then_eval_gives_whatever_the_jobs(runs: dict) -> None:
    expected = runs["jsonl"]
    assert expected.returncode == 1, expected.stderr  # the fixture has overdue and missed deadlines
    assert len(expected.stdout.splitlines()) == 1 + 38  # the results header, then a line per case
    for name in ("ssd-1", "ssd-2"):
        assert runs[name].returncode == 1, (name, runs[name].stderr)
        assert runs[name].stdout == expected.stdout, name


def test_standard_error_is_the_import_summary_then_the_run_summary(runs: dict) -> None:
    """What did not come across is said as `cpc import ssd` says it, naming no case and no value."""
    for name in ("ssd-1", "ssd-2"):
        *report, last = runs[name].stderr.splitlines()
        assert SUMMARY.match(last) and last.startswith("38 cases: 38 evaluated, 0 errors, in "), last
        assert "\n".join(report) + "\n" == runs["import"].stderr, name
        assert "persons 40; cases mapped 38; 2 with no child protection records (no case)" in report
        assert "data-quality warnings: 2 on 2 case(s)" in report


def test_without_ssd_person_the_extract_still_gives_what_import_gives(tmp_path: Path) -> None:
    """A missing table is not an error for `cpc import ssd`, so it is not one here: the summary says it."""
    folder = _copy(tmp_path, ("ssd_person",))
    _, expected = _import_then_eval(folder, tmp_path)
    direct = _eval("--cases", str(folder), "--from", "ssd")
    assert (direct.returncode, direct.stdout) == (expected.returncode, expected.stdout), direct.stderr
    assert "  ssd_person.csv                      missing: its fields are absent from every case" in direct.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "ssd"], "Error: --from ssd goes with --cases FOLDER, the folder of the SSD extract"),
        (["x.yaml", "--from", "ssd"], "Error: --from ssd goes with --cases FOLDER, the folder of the SSD extract"),
        (["--cases", "-", "--from", "ssd"], "Error: --from ssd reads a folder of CSV files, not standard input"),
        (
            ["--cases", str(FIXTURE / "ssd_person.csv"), "--from", "ssd"],
            f"Error: --cases {FIXTURE / 'ssd_person.csv'} is a file: --from ssd takes the folder of the SSD extract",
        ),
        (["--cases", "no-such-folder", "--from", "ssd"], "Error: Invalid value for '--cases': Path 'no-such-folder'"),
        (["--cases", str(FIXTURE), "--from", "ssd", "--format", "text"], "Error: --cases writes JSON Lines"),
        (["--cases", str(FIXTURE), "--report", "r.json"], "Error: --report is the import report of --from ssd"),
        (
            ["x.yaml", "--report", "r.json"],
            "Error: --out, --report, --force, --jobs, --citations and --not-recorded go with --cases",
        ),
        (
            ["--cases", str(FIXTURE), "--from", "ssd", "--out", "same.json", "--report", "same.json"],
            "Error: --out and --report name the same file",
        ),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["eval", "--policy", "berkshire", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_folder_with_no_ssd_table_is_a_one_line_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "ssd_cp_visits.csv").write_text("cppv_cp_visit_id\n1\n", encoding="utf-8")
    for folder in (empty, tmp_path / "other"):
        result = _eval("--cases", str(folder), "--from", "ssd")
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr == (
            f"cpc: {folder}: no SSD table cpc maps is in this folder (it looks for ssd_person, ssd_s47_enquiry, "
            "ssd_initial_cp_conference, ssd_cp_plans, ssd_cp_reviews, ssd_cin_plans, each a .csv file); "
            "is it the extract's folder?\n"
        )


def test_a_table_that_is_not_csv_is_a_one_line_error_before_any_output(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "ssd_person.csv").write_text('pers_person_id\n1\n"' + "x" * 200_000, encoding="utf-8")
    result = _eval("--cases", str(folder), "--from", "ssd", "--jobs", "2")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"cpc: {folder / 'ssd_person.csv'}:")
    assert "not readable as CSV" in result.stderr and len(result.stderr.splitlines()) == 1


def test_an_unknown_area_is_reported_before_the_extract_is_read(tmp_path: Path) -> None:
    result = _run("eval", "--policy", "atlantis", "--cases", str(tmp_path), "--from", "ssd")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("cpc: no policy for area 'atlantis'"), result.stderr


def test_an_error_record_names_the_childs_row_of_the_extract(monkeypatch) -> None:
    def fails(self, *args, **kwargs):
        raise RuntimeError("Secret Name")

    monkeypatch.setattr("engine.evaluation.evaluate.Evaluator.evaluate", fails)
    args = ["eval", "--policy", "berkshire", "--as-of", AS_OF, "--cases", str(FIXTURE), "--from", "ssd", "--jobs", "1"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    # The first line after the results header.
    first = json.loads(result.stdout.splitlines()[1])
    line = read_extract(FIXTURE).persons["100001"].line
    assert first == {
        "case": "100001",
        "source": f"{FIXTURE / 'ssd_person.csv'}:{line}",
        "error": [
            {
                "line": line,
                "column": 1,
                "code": "internal-error",
                "path": "",
                "message": "cpc could not evaluate this case (internal error: RuntimeError); please report it",
            }
        ],
    }
    assert "Secret Name" not in result.output


# -- streaming ------------------------------------------------------------------------------------------------


def test_cases_are_mapped_as_they_are_evaluated_not_all_first() -> None:
    report = ssd.ImportReport()
    outcomes = batch.evaluate_all(cli_eval.ssd_inputs(ssd.iter_cases(read_extract(FIXTURE), report)), SETTINGS)
    next(outcomes)
    assert report.cases == 1
    assert sum(1 for _ in outcomes) == 37 and report.cases == 38


def test_a_pool_reads_only_a_bounded_number_of_cases_ahead(tmp_path: Path) -> None:
    from .test_ssd import _generator

    folder = tmp_path / "extract"
    _generator().main([str(folder), "--children", "400", "--seed", "7"])
    extract = read_extract(folder)
    report = ssd.ImportReport()
    outcomes = batch.evaluate_all(cli_eval.ssd_inputs(ssd.iter_cases(extract, report)), SETTINGS, jobs=2)
    try:
        next(outcomes)
        ahead = report.cases
    finally:
        outcomes.close()
    assert ahead <= pool.BLOCKS_PER_JOB * 2 * batch.BLOCK_CASES
    assert len(list(ssd.iter_cases(extract))) > 300


def test_at_most_the_cases_there_are_sizes_the_pool(tmp_path: Path) -> None:
    extract = read_extract(FIXTURE)
    assert extract.most_cases() == 40 >= len(list(ssd.iter_cases(extract)))
    without = read_extract(_copy(tmp_path, ("ssd_person",)))
    assert without.most_cases() == sum(without.stored(table) for table in (S47, ICPC, PLANS))
    assert without.most_cases() >= len(list(ssd.iter_cases(without)))


def test_import_refuses_a_folder_with_no_ssd_table_too(tmp_path: Path) -> None:
    result = CliRunner().invoke(import_group, ["ssd", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.startswith(f"cpc: {tmp_path}: no SSD table cpc maps is in this folder")


def test_report_writes_the_import_report_import_would_write(tmp_path: Path) -> None:
    imported = tmp_path / "import.json"
    assert (
        _run("import", "ssd", str(FIXTURE), "--out", str(tmp_path / "c.jsonl"), "--report", str(imported)).returncode
        == 0
    )
    report = tmp_path / "eval.json"
    result = _eval(
        "--cases", str(FIXTURE), "--from", "ssd", "--out", str(tmp_path / "r.jsonl"), "--report", str(report)
    )
    assert result.returncode == 1, result.stderr
    assert report.read_text(encoding="utf-8") == imported.read_text(encoding="utf-8")
    # It names children's ids, as the cases do: readable by its owner only.
    assert report.stat().st_mode & 0o777 == 0o600


def test_report_never_overwrites_a_file_without_force(tmp_path: Path) -> None:
    report = tmp_path / "import.json"
    report.write_text("mine\n", encoding="utf-8")
    result = _eval("--cases", str(FIXTURE), "--from", "ssd", "--report", str(report))
    assert result.returncode == 2
    assert result.stderr == f"cpc: --report {report} exists; pass --force to overwrite it\n"
    assert result.stdout == ""
    assert report.read_text(encoding="utf-8") == "mine\n"
    forced = _eval("--cases", str(FIXTURE), "--from", "ssd", "--report", str(report), "--force")
    assert forced.returncode == 1, forced.stderr
    assert json.loads(report.read_text(encoding="utf-8"))["cases"] == 38


def test_a_report_file_that_cannot_be_written_is_refused_before_the_run(tmp_path: Path) -> None:
    report = tmp_path / "no-such-folder" / "import.json"
    result = _eval("--cases", str(FIXTURE), "--from", "ssd", "--report", str(report))
    assert result.returncode == 2
    assert result.stderr == f"cpc: --report {report}: the folder {report.parent} does not exist\n"
    assert result.stdout == ""


def test_import_refuses_an_output_in_a_missing_folder_before_reading_the_extract(tmp_path: Path) -> None:
    out = tmp_path / "no-such-folder" / "cases.jsonl"
    result = _run("import", "ssd", str(FIXTURE), "--out", str(out))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"cpc: --out {out}: the folder {out.parent} does not exist\n"
