"""`cpc eval`: evaluate case files, or a whole caseload, against an area's policy."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import sys
import time
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

import click

from engine.cli.common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    case_error,
    fail,
    parse_date,
    policies_option,
    policy_error,
    terminate_as_interrupt,
)
from engine.cli.output import refuse_output
from engine.cli.progress import progress
from engine.core.outfile import Inputs, OutputError, Publication, refuse_existing
from engine.core.safe_text import terminal
from engine.core.vocabulary import EVENTS, FACTS

if TYPE_CHECKING:
    from engine.caseload.batch import CaseInput
    from engine.ssd.episodes import MappedCase
    from engine.ssd.mapping import ImportReport

BATCH_ONLY = ("out", "report_path", "force", "jobs", "citations")


@click.command(name="eval")
@click.option("--policy", "area", required=True, help="The area (berkshire) or a policy file to evaluate against.")
@click.argument("cases", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--cases",
    "caseload",
    metavar="PATH",
    type=click.Path(exists=True, allow_dash=True),
    help="Evaluate a caseload: a folder of case files, a JSON Lines file, or - for JSON Lines on stdin.",
)
@click.option(
    "--from",
    "source",
    type=click.Choice(["cases", "ssd"]),
    default="cases",
    show_default=True,
    help="With --cases: what PATH holds: cases in cpc's format, or (ssd) the folder of an SSD extract's CSV tables.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="With --cases: write the results here.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --from ssd: also write the import report (what was read, warned about and not mapped) as JSON, "
    "as `cpc import ssd --report` does.",
)
@click.option("--force", is_flag=True, help="With --out or --report: overwrite an existing file.")
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    metavar="N",
    help="With --cases: evaluate in N processes. Default: one per core.",
)
@click.option(
    "--citations",
    type=click.Choice(["header", "inline"]),
    default="header",
    show_default=True,
    help="With --cases: where each rule's title and citations go. header: once, in the first line of the "
    "output, and each result refers to its rule by id (results format 2). inline: in every result, each line "
    "as --format json prints a case (results format 1, about ten times the size). docs/results.md.",
)
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="The evaluation date. Default: today.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--explain", is_flag=True, help="Say which conditions matched on which facts, for every result.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when something is overdue, breached or missed.")
@click.option(
    "--not-recorded",
    "not_recorded",
    multiple=True,
    metavar="NAME",
    type=click.Choice([*EVENTS, *FACTS]),
    help="With --cases: an event or fact the caseload's source does not record (repeatable), added to each "
    "case's coverage, so that rules needing it are not assessable rather than overdue (docs/case-format.md).",
)
@policies_option
@click.pass_context
def evaluate(
    ctx: click.Context,
    area: str,
    cases: tuple[Path, ...],
    caseload: str | None,
    source: str,
    out: Path | None,
    report_path: Path | None,
    force: bool,
    jobs: int | None,
    citations: str,
    as_of: str | None,
    fmt: str,
    explain: bool,
    exit_zero: bool,
    not_recorded: tuple[str, ...],
    policies_dir: Path | None,
) -> None:
    """Evaluate CASE files (YAML or JSON), or a caseload with --cases, against an area's policy.

    Uses the version of the policy in force on the evaluation date. Text output lists what is overdue,
    breached or missed first, then what is coming up, what the procedure directs, and what was met, each
    with the sentence of the procedure it rests on. JSON prints one object per case per line, each result
    whole with its rule's title and citations (schemas/result.schema.json).

    A caseload (--cases PATH) is a folder of case files (*.yaml, *.yml, *.json, read in name order; other files
    and subfolders are skipped), a JSON Lines file (one case per line; blank lines are skipped), or - for JSON
    Lines on standard input. With --from ssd, PATH is the folder of a Standard Safeguarding Dataset extract,
    mapped as `cpc import ssd` maps it, one case per child, with no file in between; its import summary goes to
    standard error too, and with --report FILE to FILE as JSON (docs/ssd.md). The results are JSON Lines on
    standard output or in --out FILE (readable by its owner only; written to a temporary file and renamed into
    place only when the run completes): first a header line with the policy and every rule's title and
    citations, then one line per case in input order, each result a row naming its rule by id (results format 2;
    --citations inline for each result whole, as --format json prints it; docs/results.md). `cpc report` reads
    either. A case that cannot be evaluated gives an error record instead: its id, its source (the file,
    file:line, or the child's row of the extract) and the problems found, never a value from the case; the run
    goes on. --jobs spreads the work over processes; the output is byte-identical whatever their number. A
    progress bar (on a terminal) and a summary go to standard error. See docs/batch.md.

    Exit codes: 0 all evaluated and nothing overdue, breached or missed; 1 something is (0 with
    --exit-zero); 2 a case or the policy could not be used (the error names file, line, column and field,
    never the case's contents), or a usage error.
    """
    if caseload is not None and cases:
        raise click.UsageError("give CASE files or --cases PATH, not both")
    if source == "ssd" and caseload is None:
        raise click.UsageError("--from ssd goes with --cases FOLDER, the folder of the SSD extract")
    if caseload is None and not cases:
        raise click.UsageError("give CASE files to evaluate, or a caseload with --cases PATH")
    given = [name for name in (*BATCH_ONLY, "fmt") if _given(ctx, name)]
    day = parse_date(as_of, "--as-of") or dt.date.today()
    if caseload is None:
        if any(name in BATCH_ONLY for name in given) or not_recorded:
            raise click.UsageError(
                "--out, --report, --force, --jobs, --citations and --not-recorded go with --cases "
                "(--format json on CASE files writes each result whole)"
            )
        _evaluate_files(area, cases, day, fmt, explain, exit_zero, policies_dir)
        return
    if "fmt" in given and fmt != "json":
        raise click.UsageError("--cases writes JSON Lines; --format text and markdown are for CASE files")
    if report_path is not None and source != "ssd":
        raise click.UsageError("--report is the import report of --from ssd")
    if force and out is None and report_path is None:
        raise click.UsageError("--force goes with --out or --report")
    if out is not None and report_path is not None and out.resolve() == report_path.resolve():
        raise click.UsageError("--out and --report name the same file")
    if caseload == "-" and sys.stdin is None:
        from engine.caseload.batch import STDIN_CLOSED

        fail(STDIN_CLOSED)
    if source == "ssd":
        if caseload == "-":
            raise click.UsageError("--from ssd reads a folder of CSV files, not standard input")
        if not Path(caseload).is_dir():
            raise click.UsageError(f"--cases {caseload} is a file: --from ssd takes the folder of the SSD extract")
    elif Path(caseload).suffix.lower() in (".yaml", ".yml") and not Path(caseload).is_dir():
        # Read as JSON Lines, a YAML case would give an error record per line.
        raise click.UsageError(f"--cases {caseload} is a case file: give it as CASE, or its folder to --cases")
    _evaluate_caseload(
        area,
        caseload,
        source,
        out,
        report_path,
        force,
        jobs,
        day,
        explain,
        exit_zero,
        policies_dir,
        not_recorded,
        citations,
    )


def _given(ctx: click.Context, name: str) -> bool:
    return ctx.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT)


def _evaluate_files(
    area: str,
    cases: tuple[Path, ...],
    day: dt.date,
    fmt: str,
    explain: bool,
    exit_zero: bool,
    policies_dir: Path | None,
) -> None:
    from engine.evaluation import eval_formats
    from engine.evaluation.api import CaseError, PolicyError, load_policy

    try:
        policy = load_policy(area, policies_dir=policies_dir)
        policy.evaluator(day)
    except PolicyError as exc:
        policy_error(exc)
    attention = failed = False
    for path in cases:
        try:
            evaluation = policy.evaluate(path, as_of=day, explain=explain)
        except CaseError as exc:
            case_error(exc)
            failed = True
            continue
        attention = attention or eval_formats.needs_attention(evaluation)
        if fmt == "json":
            click.echo(eval_formats.json_line(evaluation), nl=False)
        elif fmt == "markdown":
            click.echo(eval_formats.markdown(evaluation, explain=explain))
        else:
            click.echo(eval_formats.text(evaluation, explain=explain))
    sys.exit(EXIT_ERROR if failed else EXIT_FINDINGS if attention and not exit_zero else EXIT_OK)


# -- a caseload ---------------------------------------------------------------------------------------------


def _evaluate_caseload(
    area: str,
    caseload: str,
    source: str,
    out: Path | None,
    report_path: Path | None,
    force: bool,
    jobs: int | None,
    day: dt.date,
    explain: bool,
    exit_zero: bool,
    policies_dir: Path | None,
    not_recorded: tuple[str, ...] = (),
    citations: str = "header",
) -> None:
    from engine.caseload import batch, pool
    from engine.evaluation.api import PolicyError, load_policy
    from engine.evaluation.results_file import RuleTable

    started = time.monotonic()
    try:
        # Loaded before any input is read: a wrong area is reported at once, not after reading an extract.
        policy = load_policy(area, policies_dir=policies_dir)
    except PolicyError as exc:
        policy_error(exc)
    inputs = run_inputs(area, caseload, source, out, report_path)
    # The policy files the run reads, the bases its policy extends included: none may be written over.
    try:
        resolved = policy.in_force(day)
    except PolicyError as exc:
        policy_error(exc)
    chain = resolved.chain
    inputs.update({f"the policy {p.file}": Path(p.file) for p in chain if Path(p.file).is_file()})
    for path, option in ((out, "--out"), (report_path, "--report")):
        refuse_output(path, force, option)
        if path is not None:
            try:
                refuse_existing(path, True, inputs)
            except OutputError as exc:
                fail(f"{option} {exc}")
    stderr = sys.stderr
    cases = _ssd_caseload(caseload) if source == "ssd" else _case_caseload(caseload, stderr.isatty())
    jobs = pool.workers_for(jobs or pool.default_jobs(), cases.most, batch.BLOCK_CASES)
    # The header's table goes to every worker, so that each row refers to the very entry the header lists.
    rules = RuleTable.from_policy(resolved, day) if citations == "header" else None
    settings = batch.BatchSettings(area, policies_dir, day, explain, tuple(not_recorded), citations, rules)
    try:
        outcomes = batch.evaluate_all(cases.items, settings, jobs=jobs, policy=policy)
    except PolicyError as exc:
        policy_error(exc)
    seen = failed = 0
    attention = False
    repeats = RepeatedIds()
    try:
        # --out and --report are published together when both are complete, or neither is.
        with terminate_as_interrupt(), Publication() as publication:
            # Left to right: on the way out the workers stop first, then the bar ends, then the output is
            # staged for publishing (or its temporary file removed).
            with (
                _output(out, force, publication, inputs) as sink,
                progress(stderr, cases.total) as bar,
                contextlib.closing(outcomes),
            ):
                if rules is not None:
                    sink.write(batch.header_line(rules))
                for outcome in outcomes:
                    sink.write(outcome.line)
                    seen += 1
                    failed += outcome.failed
                    attention = attention or outcome.attention
                    repeats.add(outcome.case, outcome.source)
                    bar.advance()
            if cases.report is not None and report_path is not None:
                # Complete now that every child has been read.
                with publication.open(report_path, force=force, private=True, text=True, inputs=inputs) as handle:
                    handle.write(cases.report.to_json())
    except (batch.InputError, batch.BatchError, OutputError) as exc:
        fail(str(exc))
    except BrokenPipeError:
        # The reader went away (`| head`): the output is incomplete, which exit 1 (click's answer) would hide.
        sys.exit(EXIT_ERROR)
    if cases.report is not None:
        from engine.ssd.mapping import report_text

        # What did not come across, as `cpc import ssd` says it.
        click.echo(report_text(cases.report, cases="cases mapped"), err=True, nl=False)
    for warning in repeats.warnings():
        click.echo(warning, err=True)
    click.echo(summary(seen, failed, time.monotonic() - started), err=True)
    sys.exit(EXIT_ERROR if failed else EXIT_FINDINGS if attention and not exit_zero else EXIT_OK)


class RepeatedIds:
    """Case ids that occur more than once in a caseload, with where: two records of one child are two
    extracts or a paste mistake, and `cpc report` counts the child once (the first record).

    Every id seen must be remembered, so this is the one thing an evaluation run holds per case: an 8-byte
    digest of the id and 8 bytes saying where it was first seen, in an open-addressed table kept at most half
    full (16 bytes a slot: 4 MB for 100,000 cases), not the id and its source as text (175 bytes a case)."""

    SHOWN = 10

    def __init__(self) -> None:
        self._keys = array("Q", bytes(8 * 1024))  # digests; 0 is an empty slot
        self._where = array("Q", bytes(8 * 1024))  # (label index << 40) | line of the first record
        self._used = 0
        self._labels: dict[str, int] = {}
        self._names: list[str] = []
        self._repeats: list[tuple[str, str, str]] = []

    def add(self, case: str | None, source: str) -> None:
        if case is None:
            return
        key = int.from_bytes(hashlib.blake2b(case.encode("utf-8", "surrogatepass"), digest_size=8).digest()) or 1
        slot = self._slot(key)
        if self._keys[slot] == key:
            self._repeats.append((case, self._source(self._where[slot]), source))
            return
        self._keys[slot], self._where[slot] = key, self._packed(source)
        self._used += 1
        if self._used * 2 > len(self._keys):
            self._grow()

    def _slot(self, key: int) -> int:
        mask = len(self._keys) - 1
        slot = key & mask
        while self._keys[slot] not in (0, key):
            slot = (slot + 1) & mask
        return slot

    def _grow(self) -> None:
        keys, where = self._keys, self._where
        self._keys = array("Q", bytes(16 * len(keys)))
        self._where = array("Q", bytes(16 * len(keys)))
        for key, place in zip(keys, where, strict=True):
            if key:
                slot = self._slot(key)
                self._keys[slot], self._where[slot] = key, place

    def _packed(self, source: str) -> int:
        # A record's source is its file and line (caseload.jsonl:12); a case file's is the file alone.
        label, _, line = source.rpartition(":")
        if not (label and line.isdigit() and len(line) < 12):
            label, line = source, "0"
        index = self._labels.get(label)
        if index is None:
            index = self._labels[label] = len(self._names)
            self._names.append(label)
        return (index << 40) | int(line)

    def _source(self, packed: int) -> str:
        label, line = self._names[packed >> 40], packed & ((1 << 40) - 1)
        return f"{label}:{line}" if line else label

    def warnings(self) -> list[str]:
        if not self._repeats:
            return []
        ids = len({case for case, _, _ in self._repeats})
        lines = [
            f"warning: {ids} case id{'s' if ids != 1 else ''} repeated in {len(self._repeats)} later "
            f"record{'s' if len(self._repeats) != 1 else ''}; each was evaluated, and `cpc report` counts only the "
            "first record of each id"
        ]
        for case, first, again in self._repeats[: self.SHOWN]:
            # An id is the user's own text, but a control character in it must not drive the terminal.
            lines.append(f"  {terminal(case)}: {again}, first at {first}")
        if len(self._repeats) > self.SHOWN:
            lines.append(f"  … and {len(self._repeats) - self.SHOWN} more")
        return lines


class _Inputs(NamedTuple):
    """A caseload as the run needs it: its cases, their number for the bar (``total``, when known exactly),
    at most how many there are for sizing the pool (``most``), and an SSD extract's import report."""

    items: Iterable[CaseInput]
    total: int | None
    most: int | None
    report: ImportReport | None = None


def _case_caseload(caseload: str, terminal: bool) -> _Inputs:
    from engine.caseload import batch

    # Counting a file costs a pass over it: worth it only for the bar. A folder is listed anyway.
    total = batch.count_cases(caseload) if terminal or Path(caseload).is_dir() else None
    return _Inputs(batch.read_cases(caseload), total, total)


def _ssd_caseload(folder: str) -> _Inputs:
    from engine.cli.ssd_command import IMPORT_PROGRESS_DELAY, read_counted
    from engine.ssd.mapping import ImportReport, iter_cases

    extract = read_counted(Path(folder), delay=IMPORT_PROGRESS_DELAY)
    report = ImportReport()
    # The number of cases is known only once every child is joined: the bar is a running count.
    return _Inputs(ssd_inputs(iter_cases(extract, report)), None, extract.most_cases(), report)


def ssd_inputs(cases: Iterable[MappedCase]) -> Iterator[CaseInput]:
    """Each case mapped from an SSD extract as batch input, one at a time: the very line ``cpc import ssd``
    writes for the child, named by the child's row of the extract (``folder/ssd_person.csv:LINE``)."""
    from engine.caseload.batch import CaseInput
    from engine.ssd.mapping import dumps

    for mapped in cases:
        yield CaseInput(mapped.source, mapped.line, dumps(mapped.case).encode("utf-8"))


def summary(cases: int, failed: int, seconds: float) -> str:
    """The line that ends a caseload run: ``12,000 cases: 11,990 evaluated, 10 errors, in 6.1 s (1,967 cases/s)``."""
    rate = cases / seconds if seconds > 0 else 0.0
    return (
        f"{cases:,} {_plural(cases, 'case')}: {cases - failed:,} evaluated, {failed:,} {_plural(failed, 'error')}, "
        f"in {seconds:.1f} s ({rate:,.0f} cases/s)"
    )


def _plural(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"


def run_inputs(area: str, caseload: str, source: str, *outputs: Path | None) -> Inputs:
    """The files a caseload run reads, as an output's refusal names them: none may be written over.

    A folder's own files count only where an output would land among them: a case file (``*.json``) or an
    extract's table (``*.csv``) named like an output.
    """
    inputs: dict[str, str | Path | int] = {}
    if Path(area).is_file():
        inputs[f"--policy {area}"] = Path(area)
    if caseload == "-":
        inputs["standard input (--cases -)"] = 0
    elif not Path(caseload).is_dir():
        inputs[f"--cases {caseload}"] = Path(caseload)
    else:
        read = {".csv"} if source == "ssd" else {".yaml", ".yml", ".jsonl", ".json"}
        folder = Path(caseload).resolve()
        for output in outputs:
            if output is None:
                continue
            # Where the output would really land: a link into the folder is followed as the write would be.
            real = Path(os.path.realpath(output))
            if real.suffix.lower() in read and folder in real.parents:
                inputs[f"a file of --cases {caseload}"] = real
    return inputs


@contextlib.contextmanager
def _output(
    out: Path | None, force: bool, publication: Publication | None = None, inputs: Inputs | None = None
) -> Iterator[BinaryIO]:
    """Where the lines go: standard output, or a temporary file beside ``out`` published on success (with the
    run's other files, in ``publication``) and removed on any failure or interrupt, so that ``out`` is complete
    or absent, never partial."""
    if out is None:
        stdout = _Stdout(sys.stdout.buffer)
        try:
            yield stdout
            stdout.flush()
        except BrokenPipeError:
            # The reader has gone (`| head`); stop quietly, and keep Python from failing to flush at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise
        return
    # Results name children and their dates: the file is readable by its owner only, as imported cases are.
    with contextlib.ExitStack() as stack:
        if publication is None:
            publication = stack.enter_context(Publication())
        with publication.open(out, force=force, private=True, inputs=inputs) as stream:
            yield stream


class _Stdout:
    """Standard output, whose failures other than a closed pipe (a full disk under ``> results.jsonl``) are
    :class:`OutputError`, not an internal error."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream

    def write(self, data: bytes) -> int:
        return self._call(self._stream.write, data)

    def flush(self) -> None:
        self._call(self._stream.flush)

    @staticmethod
    def _call(method, *args):
        try:
            return method(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(f"cannot write standard output: {exc.strerror or exc}") from None
