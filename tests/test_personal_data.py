"""No message, summary, report or results file repeats what a case or an SSD extract says (issue 13, item 3).

A recognisable marker is planted in every field of a case (every string and date field of
``tests/data/case/positive/every-field.yaml``, and free text the schema refuses) and in every column of every
table of the SSD extract ``examples/ssd``; then every command that reads cases runs on them, in its normal path
and its error paths (dates that do not exist, text where a date or a flag belongs, values outside an enum,
unknown keys, a missing header row, semicolon separators), and all of stdout, stderr and every file written is
searched for the markers.

What may appear, because the user asked to see it, and why:

* the case's ``id`` (``pers_person_id`` in an extract): it names the child in every result and error, and is
  an id by the case format, never a name;
* the ids of conferences, reviews, plans and enquiries (``icpc-<id>``, ``review-<id>``, plan ids): results,
  ``--explain`` and data-quality warnings name the record they are about;
* ``team`` and ``worker`` (``invo_professional_team``, ``invo_professional_id``): ``cpc report --by team``
  exists to show them; they are opaque ids by the case format;
* dates of a valid case in results: a due date is the answer the user asked for, computed from them. So only
  dates a case cannot hold (impossible, out of the calendar, unreadable) are planted as markers.

Every other value is a marker that must appear nowhere.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT

SECRET = "ZQX"  # every value that must not be printed starts with this
IMPOSSIBLE = "2019-02-30"
ALLOWED = "OKID"  # ids the user asked to see
EVERY_FIELD = ROOT / "tests" / "data" / "case" / "positive" / "every-field.yaml"
SSD = ROOT / "examples" / "ssd"
AS_OF = "2026-03-01"


def _mark_case() -> dict:
    """every-field.yaml with each free-text value a marker and the ids allowed markers."""
    case = yaml.safe_load(EVERY_FIELD.read_text(encoding="utf-8"))
    case["id"] = f"{ALLOWED}-case"
    case["team"] = f"{ALLOWED}-team"
    case["worker"] = f"{ALLOWED}-worker"
    case["child"]["name"] = f"{SECRET}-name"
    for change in case["significant_changes"]:
        change["description"] = f"{SECRET}-description"
    for n, conference in enumerate(case["conferences"]):
        conference["id"] = f"{ALLOWED}-conference-{n}"
    return case


def _dump(case: dict) -> str:
    return yaml.safe_dump(case, sort_keys=False, allow_unicode=True)


def _broken_cases() -> dict[str, str]:
    """One case per error path, each holding markers where the schema or the loader refuses them."""
    base = _dump({"id": f"{ALLOWED}-broken", "s47": {"strategy_discussion": dt.date(2025, 6, 2)}})
    assert "strategy_discussion: 2025-06-02\n" in base  # unquoted: a YAML date, as an author writes it
    cases = {
        "impossible-date": base.replace("2025-06-02", IMPOSSIBLE),
        "impossible-quoted-date": base.replace("2025-06-02", f"'{IMPOSSIBLE}'"),
        "impossible-year-0": base.replace("2025-06-02", "0000-01-01"),
        "text-as-date": base.replace("2025-06-02", f"{SECRET}-date"),
        "day-first-date": base.replace("2025-06-02", "'30/02/2019'"),
        "text-as-flag": base + f"child:\n  looked_after: {SECRET}-flag\n",
        "text-as-enum": base + f"conferences:\n  - id: c\n    type: {SECRET}-type\n",
        "unknown-key": base + f"child:\n  {SECRET}_key: {SECRET}-value\n",
        "text-as-list": base + f"core_group_meetings: {SECRET}-list\n",
        "number-as-text": base + f"child:\n  name: 12345{SECRET}\n",
        "tagged": base + f"child:\n  looked_after: !!bool {SECRET}-tagged\n",
        "duplicate-key": base + f"child:\n  name: {SECRET}-a\nchild:\n  name: {SECRET}-b\n",
        "anchor": base + f"child: *{SECRET}anchor\n",
    }
    # The whole of every-field.yaml, marked, and one date in it made impossible.
    cases["every-field-impossible"] = _dump(_mark_case()).replace("2026-03-06", IMPOSSIBLE)
    return cases


def _assert_clean(label: str, *texts: str) -> None:
    for text in texts:
        for secret in (SECRET, IMPOSSIBLE, "30/02/2019", "0000-01-01"):
            assert secret not in text, f"{label}: {secret!r} in\n{text[:2000]}"


def _files(folder: Path) -> list[str]:
    return [p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.iterdir()) if p.is_file()]


def _run(run_cpc, label: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    result = run_cpc(*args, cwd=cwd)
    assert "Traceback" not in result.stderr, f"{label}: {result.stderr}"
    _assert_clean(label, result.stdout, result.stderr)
    return result


@pytest.fixture(scope="module")
def caseload(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("caseload")
    (folder / "every-field.yaml").write_text(_dump(_mark_case()), encoding="utf-8")
    for name, text in _broken_cases().items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def test_the_marked_case_is_valid_so_its_normal_path_runs(run_cpc, caseload: Path) -> None:
    result = run_cpc("eval", "--policy", "berkshire", str(caseload / "every-field.yaml"), "--as-of", AS_OF)
    assert result.returncode in (0, 1), result.stderr


@pytest.mark.parametrize("name", ["every-field", *_broken_cases()])
@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_eval_of_one_case_repeats_none_of_its_values(run_cpc, caseload: Path, name: str, fmt: str) -> None:
    case = caseload / f"{name}.yaml"
    argv = ["eval", "--policy", "berkshire", str(case), "--as-of", AS_OF, "--format", fmt]
    _run(run_cpc, f"eval {name} {fmt}", *argv)
    _run(run_cpc, f"eval --explain {name}", *argv, "--explain")


def test_a_caseload_its_results_and_their_reports_repeat_none_of_its_values(
    run_cpc, caseload: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    results = out / "results.jsonl"
    argv = ["eval", "--policy", "berkshire", "--cases", str(caseload), "--as-of", AS_OF, "--out", str(results)]
    _run(run_cpc, "eval --cases", *argv)
    _run(run_cpc, "eval --cases --jobs 2", *argv, "--force", "--jobs", "2")
    assert results.exists()
    for fmt in ("text", "markdown", "csv", "overdue-csv", "months-csv", "json", "html"):
        _run(run_cpc, f"report {fmt}", "report", str(results), "--format", fmt, "--all")
    _assert_clean("results file", *_files(out))


def test_diff_with_cases_repeats_none_of_their_values(run_cpc, caseload: Path) -> None:
    for fmt in ("text", "markdown", "json"):
        argv = ["diff", "berkshire", "hampshire", "--cases", str(caseload), "--as-of", AS_OF, "--format", fmt]
        _run(run_cpc, f"diff --cases {fmt}", *argv)


def test_lint_of_a_case_file_repeats_none_of_its_values(run_cpc, caseload: Path) -> None:
    # A case given to `cpc lint` by mistake is still a case: what lint says of it must not quote it either.
    for name in ("every-field", "impossible-date", "text-as-date", "duplicate-key"):
        _run(run_cpc, f"lint {name}", "lint", str(caseload / f"{name}.yaml"))


# -- an SSD extract ---------------------------------------------------------------------------------------


def _allowed_column(column: str) -> bool:
    # Ids name records (and person ids are the cases' ids); team and worker are shown by `report --by team`.
    return column.endswith("_id") or column == "invo_professional_team"


def _mark_extract(target: Path, *, date: str | None = None) -> Path:
    """examples/ssd with one row of every table carrying a marker in every column that may not be shown.

    With ``date``, every date column of that row holds ``date`` instead (an impossible date, say).
    """
    shutil.copytree(SSD, target)
    for table in sorted(target.glob("*.csv")):
        with table.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        header = [h.lower() for h in rows[0]]
        for row in rows[1:3]:
            for i, column in enumerate(header):
                if _allowed_column(column):
                    continue
                is_date = any(part in column for part in ("date", "dob", "start", "end", "due"))
                row[i] = date if (date and is_date) else f"{SECRET}-{table.stem}-{column}"
        with table.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    return target


def _without_header(folder: Path) -> Path:
    table = folder / "ssd_person.csv"
    table.write_text("".join(table.read_text(encoding="utf-8").splitlines(keepends=True)[1:]), encoding="utf-8")
    return folder


def _semicolons(folder: Path) -> Path:
    table = folder / "ssd_person.csv"
    table.write_text(table.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    return folder


EXTRACTS = {
    "markers": lambda p: _mark_extract(p),
    "impossible-dates": lambda p: _mark_extract(p, date=IMPOSSIBLE),
    "no-header": lambda p: _without_header(_mark_extract(p)),
    "semicolons": lambda p: _semicolons(_mark_extract(p)),
}


@pytest.mark.parametrize("kind", list(EXTRACTS))
def test_every_ssd_command_repeats_no_value_of_the_extract(run_cpc, tmp_path: Path, kind: str) -> None:
    folder = EXTRACTS[kind](tmp_path / "extract")
    out = tmp_path / "out"
    out.mkdir()
    cases, report = out / "cases.jsonl", out / "import.json"
    imported = _run(
        run_cpc, f"import {kind}", "import", "ssd", str(folder), "--out", str(cases), "--report", str(report)
    )
    assert imported.returncode == (0 if kind in ("markers", "impossible-dates") else 2), imported.stderr
    results, eval_report = out / "results.jsonl", out / "eval-report.json"
    argv = ["eval", "--policy", "berkshire", "--cases", str(folder), "--from", "ssd", "--as-of", AS_OF]
    _run(run_cpc, f"eval --from ssd {kind}", *argv, "--out", str(results), "--report", str(eval_report))
    for fmt in ("text", "csv", "json"):
        _run(run_cpc, f"reconcile {fmt} {kind}", "reconcile", "--policy", "berkshire", str(folder), "--format", fmt)
    if results.exists():
        for fmt in ("text", "markdown", "csv", "overdue-csv", "json"):
            _run(run_cpc, f"report {fmt} {kind}", "report", str(results), "--format", fmt, "--all", "--by", "team")
    _assert_clean(f"files of {kind}", *_files(out))


def test_the_marked_extract_still_imports_its_children(tmp_path: Path) -> None:
    from engine.ssd import mapping as ssd
    from engine.ssd.reader import read_extract

    report = ssd.ImportReport()
    cases = list(ssd.iter_cases(read_extract(_mark_extract(tmp_path / "x")), report))
    assert len(cases) > 30
    assert json.dumps(report.to_dict()).count(SECRET) == 0
