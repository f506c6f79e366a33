"""Output files: whole or absent, never over the user's file without --force, private when they hold cases."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from engine.core.outfile import OutputError, atomic_output

from .conftest import ROOT


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_private_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "results.jsonl"
    with atomic_output(target, force=False, private=True) as stream:
        stream.write(b"{}\n")
    assert target.read_bytes() == b"{}\n"
    assert _mode(target) == 0o600


def test_a_public_file_gets_the_mode_a_shell_redirect_would(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        target = tmp_path / "berkshire.html"
        with atomic_output(target, force=False, private=False, text=True) as handle:
            handle.write("<p>procedure</p>\n")
    finally:
        os.umask(umask)
    assert _mode(target) == 0o644


def test_an_existing_file_is_refused_and_kept(tmp_path: Path) -> None:
    target = tmp_path / "cases.jsonl"
    target.write_text("the user's own work\n")
    with (
        pytest.raises(OutputError, match="exists; pass --force to overwrite it"),
        atomic_output(target, force=False, private=True, text=True) as handle,
    ):
        handle.write("new\n")
    assert target.read_text() == "the user's own work\n"
    assert [p.name for p in tmp_path.iterdir()] == ["cases.jsonl"]


def test_a_file_that_appears_during_the_run_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "results.jsonl"
    with (
        pytest.raises(OutputError, match="was created during the run; nothing written"),
        atomic_output(target, force=False, private=True) as stream,
    ):
        stream.write(b"{}\n")
        target.write_text("written by someone else meanwhile\n")
    assert target.read_text() == "written by someone else meanwhile\n"
    assert [p.name for p in tmp_path.iterdir()] == ["results.jsonl"]


def test_a_failure_part_way_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "results.jsonl"
    with pytest.raises(RuntimeError), atomic_output(target, force=False, private=True) as stream:
        stream.write(b"half")
        raise RuntimeError("worker died")
    assert list(tmp_path.iterdir()) == []


def test_force_replaces_the_file(tmp_path: Path) -> None:
    target = tmp_path / "results.jsonl"
    target.write_text("old\n")
    with atomic_output(target, force=True, private=True, text=True) as handle:
        handle.write("new\n")
    assert target.read_text() == "new\n"


def test_cpc_eval_out_and_import_out_are_private(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    results = tmp_path / "results.jsonl"
    cpc = [sys.executable, "-m", "engine"]
    imported = subprocess.run(
        [*cpc, "import", "ssd", str(ROOT / "examples" / "ssd"), "--out", str(cases)], capture_output=True, cwd=ROOT
    )
    assert imported.returncode == 0, imported.stderr
    evaluated = subprocess.run(
        [*cpc, "eval", "--policy", "berkshire", "--cases", str(cases), "--out", str(results), "--as-of", "2026-03-01"],
        capture_output=True,
        cwd=ROOT,
    )
    assert evaluated.returncode in (0, 1), evaluated.stderr
    assert _mode(cases) == 0o600 and _mode(results) == 0o600
