"""Faults on the output paths: what `--out`, `--report` and `-o` do when the target is not an ordinary file, the
disk is full, the folder is read-only, standard input is closed, or the parent of a pool is killed.

Each test runs the real command (a subprocess where a fault needs a process of its own) and checks the exit code,
the exact message, and that nothing the user had was replaced (docs/batch.md, "Output files").
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.caseload import batch
from engine.cli.main import cli
from engine.core import outfile
from engine.core.outfile import OutputError, Publication, atomic_output

from .conftest import ROOT
from .processes import children, outlived

AS_OF = "2026-03-01"
SSD = ROOT / "examples" / "ssd"
EXAMPLE = ROOT / "examples" / "cases"
ONLY_REGULAR = "cpc writes its outputs only to regular files"
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="devices, FIFOs and signals are POSIX")


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "CPC_DEBUG")}


def _cpc(*args: str, prefix: tuple[str, ...] = (), **options) -> subprocess.CompletedProcess:
    options.setdefault("capture_output", True)
    return subprocess.run(
        [*prefix, sys.executable, "-m", "engine", *args],
        cwd=ROOT,
        env=_environment(),
        text=True,
        timeout=120,
        **options,
    )


def _eval(cases: Path | str, *args: str, **options) -> subprocess.CompletedProcess:
    return _cpc("eval", "--policy", "berkshire", "--as-of", AS_OF, "--cases", str(cases), *args, **options)


@pytest.fixture
def caseload(tmp_path: Path) -> Path:
    """Three of the example cases as JSON Lines: about 60 KB of results."""
    from engine.policy.yamlload import jsonable, load_file

    lines = [json.dumps(jsonable(load_file(path).data)) for path in sorted(EXAMPLE.glob("*.yaml"))[:3]]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


# -- devices, FIFOs, sockets and links ------------------------------------------------------------------------


def _make(kind: str, path: Path) -> contextlib.AbstractContextManager:
    """Make a ``kind`` of file at ``path``; the context keeps a socket bound while it is open."""
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        try:
            os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # what /dev/null is
        except PermissionError:
            pytest.skip("making a device needs CAP_MKNOD")
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        return contextlib.closing(server)
    return contextlib.nullcontext()


KINDS = {"fifo": "a FIFO (named pipe)", "device": "a device", "socket": "a socket"}


@POSIX
@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("option", ["--out", "--report"])
def test_force_never_replaces_a_device_fifo_or_socket(kind: str, option: str, tmp_path: Path) -> None:
    special = tmp_path / kind
    with _make(kind, special):
        before = os.lstat(special)
        args = ["--from", "ssd", "--out", str(tmp_path / "r.jsonl")] if option == "--report" else []
        cases = SSD if option == "--report" else tmp_path / "none.jsonl"
        if option == "--out":
            cases.write_text("")
        result = _eval(cases, *args, option, str(special), "--force")
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        assert result.stderr == f"cpc: {option} {special} is {KINDS[kind]}, not a regular file; {ONLY_REGULAR}\n"
        after = os.lstat(special)
        assert (after.st_ino, stat.S_IFMT(after.st_mode)) == (before.st_ino, stat.S_IFMT(before.st_mode))
        assert _leftovers(tmp_path) == []
        assert not (tmp_path / "r.jsonl").exists()


@POSIX
def test_other_commands_refuse_a_fifo_too(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for args in (
        ["import", "ssd", str(SSD), "--out", str(fifo), "--force"],
        ["render", "berkshire", "-o", str(fifo), "--force"],
    ):
        result = _cpc(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert f"{fifo} is a FIFO (named pipe), not a regular file; {ONLY_REGULAR}\n" in result.stderr, args
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@POSIX
def test_a_link_to_a_regular_file_is_followed_and_kept(caseload: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    real = elsewhere / "results.jsonl"
    real.write_text("old\n")
    link = tmp_path / "results.jsonl"
    link.symlink_to(real)
    refused = _eval(caseload, "--out", str(link))
    assert refused.returncode == 2 and refused.stderr == f"cpc: --out {link} exists; pass --force to overwrite it\n"
    result = _eval(caseload, "--out", str(link), "--force", "--exit-zero")
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    # The results header, then the three cases.
    assert real.read_text().count("\n") == 1 + 3 and real.read_text().startswith('{"results_format":')
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert _leftovers(tmp_path) == _leftovers(elsewhere) == []


@POSIX
@pytest.mark.parametrize("kind", ["device", "fifo", "dangling"])
def test_a_link_to_anything_but_a_regular_file_is_refused(kind: str, caseload: Path, tmp_path: Path) -> None:
    pointed = tmp_path / f"the-{kind}"
    with _make(kind if kind != "dangling" else "nothing", pointed):
        link = tmp_path / "results.jsonl"
        link.symlink_to(pointed)
        result = _eval(caseload, "--out", str(link), "--force")
        assert (result.returncode, result.stdout) == (2, "")
        if kind == "dangling":
            expected = (
                f"cpc: --out {link} is a symbolic link to {pointed}, which does not exist; cpc does not create "
                "files through a link: give the file's own path\n"
            )
        else:
            expected = f"cpc: --out {link} is a symbolic link to {KINDS[kind]} ({pointed}); {ONLY_REGULAR}\n"
        assert result.stderr == expected
        assert link.is_symlink() and os.readlink(link) == str(pointed)
        assert os.path.lexists(pointed) == (kind != "dangling")


def test_an_output_that_is_an_input_is_refused(caseload: Path, tmp_path: Path) -> None:
    before = caseload.read_bytes()
    link = tmp_path / "link.jsonl"
    link.symlink_to(caseload)
    for out in (caseload, link):
        result = _eval(caseload, "--out", str(out), "--force")
        assert result.returncode == 2
        assert result.stderr == (
            f"cpc: --out {out} is the same file as --cases {caseload}; an output never replaces an input\n"
        )
    with caseload.open("rb") as stdin:
        piped = _eval("-", "--out", str(caseload), "--force", stdin=stdin)
    assert piped.stderr == (
        f"cpc: --out {caseload} is the same file as standard input (--cases -); an output never replaces an input\n"
    )
    assert caseload.read_bytes() == before


def test_a_report_over_a_table_of_the_extract_is_refused(tmp_path: Path) -> None:
    extract = tmp_path / "extract"
    shutil.copytree(SSD, extract)
    table = extract / "ssd_person.csv"
    before = table.read_bytes()
    result = _eval(extract, "--from", "ssd", "--report", str(table), "--force")
    assert result.returncode == 2
    assert result.stderr == (
        f"cpc: --report {table} is the same file as a file of --cases {extract}; an output never replaces an input\n"
    )
    assert table.read_bytes() == before


# -- read-only folders ----------------------------------------------------------------------------------------


@pytest.fixture
def unprivileged() -> dict:
    """How to run cpc so that a folder's permissions bind it: as root, without the capability to override them."""
    if os.geteuid() != 0:
        return {}
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root ignores a read-only folder, and setpriv is not here to drop that power")
    return {"prefix": (setpriv, "--bounding-set=-dac_override,-dac_read_search", "--")}


@pytest.fixture
def locked(tmp_path: Path):
    """A read-only folder in tmp_path, made writable again afterwards so that it can be removed."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


@POSIX
def test_a_read_only_folder_is_refused_before_the_run(locked: Path, caseload: Path, unprivileged: dict) -> None:
    out = locked / "results.jsonl"
    result = _eval(caseload, "--out", str(out), **unprivileged)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"cpc: --out cannot write {out}: the folder {locked} is not writable\n"
    assert list(locked.iterdir()) == []


@POSIX
def test_a_read_only_folder_for_the_report_publishes_neither_file(
    locked: Path, tmp_path: Path, unprivileged: dict
) -> None:
    out, report = tmp_path / "results.jsonl", locked / "report.json"
    for command in (
        ["eval", "--policy", "berkshire", "--cases", str(SSD), "--from", "ssd"],
        ["import", "ssd", str(SSD)],
    ):
        result = _cpc(*command, "--out", str(out), "--report", str(report), **unprivileged)
        assert (result.returncode, result.stdout) == (2, ""), command
        assert result.stderr == f"cpc: --report cannot write {report}: the folder {locked} is not writable\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["locked"]
        assert list(locked.iterdir()) == []


def test_a_folder_that_refuses_the_file_when_it_is_published_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    # Made read-only after the checks at the start: found only when the complete file is published.
    def denied(*args: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(outfile.os, "link", denied)
    monkeypatch.setattr(outfile.os, "replace", denied)
    out = tmp_path / "results.jsonl"
    with pytest.raises(OutputError) as raised, atomic_output(out, force=False, private=True) as stream:
        stream.write(b"{}\n")
    assert str(raised.value) == f"cannot write {out}: Permission denied; nothing was written to it"
    assert list(tmp_path.iterdir()) == []


# -- publish all or none ------------------------------------------------------------------------------------


def _failing_write(monkeypatch, name: str) -> None:
    """Make every write to the output file called ``name`` fail as a full disk does."""
    write = outfile._Guarded.write

    def full(self, data):
        if self._path.name == name:
            raise outfile._write_error(self._path, OSError(28, "No space left on device"))
        return write(self, data)

    monkeypatch.setattr(outfile._Guarded, "write", full)


@pytest.mark.parametrize("command", ["eval", "import"])
def test_out_is_not_published_when_the_report_fails(command: str, tmp_path: Path, monkeypatch) -> None:
    out, report = tmp_path / "out.jsonl", tmp_path / "report.json"
    _failing_write(monkeypatch, "report.json")
    if command == "eval":
        args = ["eval", "--policy", "berkshire", "--as-of", AS_OF, "--cases", str(SSD), "--from", "ssd"]
        args += ["--jobs", "1"]
    else:
        args = ["import", "ssd", str(SSD)]
    result = CliRunner().invoke(cli, [*args, "--out", str(out), "--report", str(report)])
    assert result.exit_code == 2
    assert f"cpc: cannot write {report}: No space left on device; nothing was written to it\n" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_failed_publish_puts_back_the_files_already_published(tmp_path: Path) -> None:
    first, second = tmp_path / "first.jsonl", tmp_path / "second.json"
    first.write_text("the user's results\n")
    with pytest.raises(OutputError, match="was created during the run; nothing written"), Publication() as both:
        with both.open(first, force=True, private=True, text=True) as handle:
            handle.write("new results\n")
        with both.open(second, force=False, private=True, text=True) as handle:
            handle.write("{}\n")
        # Appears after it was checked: found only when publishing, after `first` could have been.
        second.write_text("someone else's\n")
        real_check = outfile._Staged.check
        outfile._Staged.check = lambda self: None  # type: ignore[method-assign]
        try:
            both.publish()
        finally:
            outfile._Staged.check = real_check  # type: ignore[method-assign]
    assert first.read_text() == "the user's results\n"
    assert second.read_text() == "someone else's\n"
    assert _leftovers(tmp_path) == []


# -- a full disk ----------------------------------------------------------------------------------------------


def _small_file_limit(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        # Ignored, a write past the limit fails with EFBIG instead of killing the process.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    return apply


@POSIX
def test_a_full_disk_names_the_file_and_leaves_nothing(caseload: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    result = _eval(caseload, "--out", str(out), "--jobs", "1", preexec_fn=_small_file_limit(20_000))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"cpc: cannot write {out}: File too large; nothing was written to it\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.jsonl"]


@POSIX
def test_a_full_disk_under_standard_output_is_a_clear_error(caseload: Path, tmp_path: Path) -> None:
    with (tmp_path / "redirected.jsonl").open("wb") as stdout:
        result = _eval(
            caseload,
            "--jobs",
            "1",
            stdout=stdout,
            stderr=subprocess.PIPE,
            capture_output=False,
            preexec_fn=_small_file_limit(20_000),
        )
    assert result.returncode == 2
    assert result.stderr == "cpc: cannot write standard output: File too large\n"


@POSIX
def test_a_full_disk_on_import_names_the_file(tmp_path: Path) -> None:
    out = tmp_path / "cases.jsonl"
    result = _cpc("import", "ssd", str(SSD), "--out", str(out), preexec_fn=_small_file_limit(2_000))
    assert result.returncode == 2
    assert result.stderr.endswith(f"cpc: cannot write {out}: File too large; nothing was written to it\n")
    assert list(tmp_path.iterdir()) == []


# -- standard input -------------------------------------------------------------------------------------------


@POSIX
def test_cases_from_a_closed_standard_input_is_a_clear_error() -> None:
    command = " ".join([sys.executable, "-m", "engine", "eval", "--policy", "berkshire", "--cases", "-", "<&-"])
    result = subprocess.run(["sh", "-c", command], cwd=ROOT, env=_environment(), capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (2, "")
    assert (
        result.stderr == "cpc: --cases -: standard input is closed; pipe JSON Lines into cpc, or give --cases a file\n"
    )


def test_a_failing_standard_input_is_a_clear_error() -> None:
    class Failing:
        def read(self, size: int = -1) -> bytes:
            raise OSError(5, "Input/output error")

        read1 = read

    with pytest.raises(batch.InputError, match=r"^cannot read standard input: Input/output error$"):
        list(batch.read_cases("-", stdin=Failing()))


# -- a killed parent and its leftovers ------------------------------------------------------------------------


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the workers in /proc")
def test_workers_end_with_a_killed_parent_and_the_next_run_removes_its_part_file(
    caseload: Path, tmp_path: Path
) -> None:
    big = tmp_path / "big.jsonl"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate_caseload.py"), "3000", "--out", str(big)],
        check=True,
        capture_output=True,
    )
    out = tmp_path / "results.jsonl"
    parent = subprocess.Popen(
        [
            *(sys.executable, "-m", "engine", "eval", "--policy", "berkshire", "--as-of", AS_OF, "--cases", str(big)),
            *("--jobs", "2", "--out", str(out)),
        ],
        cwd=ROOT,
        env=_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while time.monotonic() < deadline:
            workers = children(parent.pid)
            parts = [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
            if len(workers) == 2 and parts and parts[0].stat().st_size > 0:
                break
            assert parent.poll() is None, "the run ended before it could be killed"
            time.sleep(0.05)
        assert len(workers) == 2 and _leftovers(tmp_path), "the workers never started writing"
    finally:
        parent.kill()
        parent.wait()
    assert outlived(workers) == [], "the workers outlived their killed parent"
    assert len(_leftovers(tmp_path)) == 1  # the killed run's, which nothing could remove
    again = _eval(caseload, "--out", str(out), "--jobs", "2", "--exit-zero")
    assert again.returncode == 0, again.stderr
    assert _leftovers(tmp_path) == []
    assert out.read_text().count("\n") == 1 + 3  # the results header, then the three cases


def test_only_abandoned_temporary_files_of_cpc_are_removed(tmp_path: Path) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(finished.stdout)
    host = outfile._HOST
    names = {
        "dead": f".results.jsonl.cpc-{host}-{dead}-abcd1234.part",
        "running": f".results.jsonl.cpc-{host}-{os.getppid()}-abcd1234.part",
        "other host": f".results.jsonl.cpc-{host}x-{dead}-abcd1234.part",
        "not cpc's": ".results.jsonl.abcd1234.part",
        "another file": "notes.part",
    }
    for name in names.values():
        (tmp_path / name).write_text("children's data\n")
    with atomic_output(tmp_path / "other.jsonl", force=False, private=True) as stream:
        stream.write(b"{}\n")
    left = {p.name for p in tmp_path.iterdir()}
    assert names["dead"] not in left
    assert {names[k] for k in names if k != "dead"} <= left


@POSIX
def test_a_full_disk_under_standard_output_of_import_is_a_clear_error(tmp_path: Path) -> None:
    with (tmp_path / "redirected").open("wb") as stdout:
        result = _cpc(
            "import",
            "ssd",
            str(SSD),
            stdout=stdout,
            stderr=subprocess.PIPE,
            capture_output=False,
            preexec_fn=_small_file_limit(200),
        )
    assert result.returncode == 2
    assert result.stderr.endswith("cpc: cannot write standard output: File too large\n"), result.stderr


@POSIX
def test_a_full_disk_under_standard_output_of_the_report_is_a_clear_error(caseload: Path, tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    assert _eval(caseload, "--out", str(results), "--jobs", "1").returncode in (0, 1)
    with (tmp_path / "redirected").open("wb") as stdout:
        result = _cpc(
            "report",
            str(results),
            stdout=stdout,
            stderr=subprocess.PIPE,
            capture_output=False,
            preexec_fn=_small_file_limit(200),
        )
    # Before, the report was cut at 200 bytes and cpc exited 0.
    assert result.returncode == 2
    assert result.stderr.endswith("cpc: cannot write standard output: File too large\n"), result.stderr


def test_render_compare_and_import_refuse_to_write_over_an_input(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    shutil.copytree(SSD, tmp_path / "ssd")
    england = policies / "england" / "policy.yaml"
    before = england.read_bytes()
    person = tmp_path / "ssd" / "ssd_person.csv"
    table = person.read_bytes()
    runs = {
        "render": _cpc("render", "england", "--policies", str(policies), "-o", str(england), "--force"),
        "compare": _cpc("compare", "england", "berkshire", "--policies", str(policies), "-o", str(england), "--force"),
        "import": _cpc("import", "ssd", str(tmp_path / "ssd"), "--out", str(person), "--force"),
    }
    for command, result in runs.items():
        assert result.returncode == 2, (command, result.stderr)
        assert "an output never replaces an input" in result.stderr, (command, result.stderr)
    assert england.read_bytes() == before and person.read_bytes() == table


@POSIX
@pytest.mark.parametrize(
    "args",
    [("show", "berkshire"), ("diff", "berkshire", "hampshire"), ("lint", "--list-rules"), ("compile", "berkshire")],
    ids=["show", "diff", "lint", "compile"],
)
def test_every_command_printing_to_a_full_disk_says_so(args: tuple[str, ...], tmp_path: Path) -> None:
    with (tmp_path / "redirected").open("wb") as stdout:
        result = _cpc(
            *args, stdout=stdout, stderr=subprocess.PIPE, capture_output=False, preexec_fn=_small_file_limit(200)
        )
    assert result.returncode == 2, (args, result.stderr)
    assert result.stderr.endswith("cpc: cannot write standard output: File too large\n"), result.stderr


def test_eval_refuses_an_output_linked_into_its_cases_or_over_a_base_policy(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    shutil.copytree(ROOT / "examples" / "cases", cases)
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    link = tmp_path / "results.yaml"
    link.symlink_to(cases / "late-review.yaml")
    england = policies / "england" / "policy.yaml"
    before = {p: p.read_bytes() for p in (cases / "late-review.yaml", england)}
    runs = [
        _cpc("eval", "--policy", "berkshire", "--cases", str(cases), "--out", str(link), "--force"),
        # Berkshire's base, england, is read too, though the command names only berkshire.
        _cpc(
            "eval",
            "--policy",
            "berkshire",
            "--policies",
            str(policies),
            "--cases",
            str(cases),
            "--out",
            str(england),
            "--force",
        ),
    ]
    for result in runs:
        assert result.returncode == 2, result.stderr
        assert "an output never replaces an input" in result.stderr, result.stderr
    assert {p: p.read_bytes() for p in before} == before
