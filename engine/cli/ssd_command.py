"""`cpc import ssd` and `cpc reconcile`: cases from a Standard Safeguarding Dataset extract, and its due dates
checked against cpc's.

Register with ``cli.add_command(import_group)`` and ``cli.add_command(reconcile_command)``.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import click

from engine.cli.common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    fail,
    parse_date,
    policies_option,
    policy_error,
    terminate_as_interrupt,
)
from engine.cli.output import refuse_output
from engine.core.outfile import OutputError, Publication


@click.group("import")
def import_group() -> None:
    """Make cases from another system's data."""


@import_group.command("ssd")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The JSON Lines file of cases to write. Default: standard output.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write what was read, warned about and not mapped, as JSON, to this file.",
)
@click.option("--force", is_flag=True, help="Overwrite --out and --report if they exist.")
def import_ssd(folder: Path, out: Path | None, report_path: Path | None, force: bool) -> None:
    """Write one case per child from the SSD extract in FOLDER (one CSV file per table).

    Reads ssd_person, ssd_s47_enquiry, ssd_initial_cp_conference, ssd_cp_plans, ssd_cp_reviews and
    ssd_cin_plans; headers and file names in any case. Each line of the output is a case in cpc's case format
    (schemas/case.schema.json). On standard error: the tables read, the cases written, data-quality warnings by
    kind, and every table, field and row that did not reach a case, with counts. No names or free text are
    read or printed. An import that runs past two seconds shows its progress on standard error when that is a
    terminal: the rows read, then the children mapped.

    Exit codes: 0 written; 2 the extract cannot be read, or a file exists without --force.
    """
    from engine.cli.progress import progress
    from engine.evaluation.case_files import CaseError
    from engine.ssd.mapping import CaseChecker, ImportReport, dumps, iter_cases, report_text

    refuse_output(out, force, "--out")
    refuse_output(report_path, force, "--report")
    started = time.monotonic()
    extract = read_counted(folder, delay=IMPORT_PROGRESS_DELAY)
    report = ImportReport()
    checker = CaseChecker()
    invalid: list[str] = []

    def lines():
        # Past the delay, counted from the start: a bar over the children, those with no case included.
        delay = max(0.0, IMPORT_PROGRESS_DELAY - (time.monotonic() - started))
        walked = 0
        with progress(sys.stderr, extract.children(), label="Importing", delay=delay) as bar:
            for mapped in iter_cases(extract, report):
                now = report.cases + report.without_records
                bar.advance(now - walked)
                walked = now
                # The mapping only builds valid shapes; checking them keeps that a guarantee, not a hope.
                try:
                    checker.check(mapped.case, mapped.source)
                except CaseError:
                    invalid.append(mapped.source)
                    continue
                yield dumps(mapped.case)
            # The children after the last case have none.
            bar.advance(report.cases + report.without_records - walked)

    def write(handle) -> None:
        for line in lines():
            handle.write(line + "\n")

    # An output is never one of the extract's tables.
    tables = {f"table {table}": extract.folder / name for table, name in extract.files.items()}

    try:
        # --out and --report are published together when both are complete, or neither is.
        with Publication() as publication:
            if out is None:
                write(sys.stdout)
            else:
                with publication.open(out, force=force, private=True, text=True, inputs=tables) as handle:
                    write(handle)
            if report_path is not None:
                with publication.open(report_path, force=force, private=True, text=True, inputs=tables) as handle:
                    handle.write(report.to_json())
    except OutputError as exc:
        fail(str(exc))
    click.echo(report_text(report, written_to=str(out) if out else None), err=True, nl=False)
    if invalid:
        for source in invalid:
            click.echo(f"cpc: {source}: the case mapped from this row does not validate; it was not written", err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_OK)


IMPORT_PROGRESS_DELAY = 2.0
"""Seconds `cpc import ssd` runs before it shows progress: a small extract is done sooner, and shows none."""


def read_counted(folder: Path, *, delay: float = 0.0):
    """Read the extract in ``folder``, counting its rows on a terminal once ``delay`` seconds have passed;
    ``cpc: ...`` and exit 2 if it cannot be. Import, reconcile and ``eval --from ssd`` all read through it."""
    from engine.cli.progress import progress
    from engine.ssd.reader import SsdError, read_extract

    try:
        with progress(sys.stderr, None, counted="Read {count:,} rows of the extract", delay=delay) as count:
            return read_extract(folder, on_rows=count.advance)
    except SsdError as exc:
        fail(str(exc))


@click.command("reconcile")
@click.option("--policy", "area", required=True, help="The area (berkshire) or a policy file to compute due dates by.")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="The evaluation date. Default: today.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text", show_default=True)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    metavar="N",
    help="Evaluate the children in N processes. Default: one per core.",
)
@policies_option
def reconcile_command(
    area: str, folder: Path, as_of: str | None, fmt: str, jobs: int | None, policies_dir: Path | None
) -> None:
    """Compare the due dates an SSD extract in FOLDER records with the ones cpc computes under an area's policy.

    Each initial conference's icpc_icpc_target_date is compared with cpc's icpc-timescale due date, and each
    review's cppr_cp_review_due with cpc's first-review-timescale or review-interval due date. Lists every
    disagreement (child, which date, theirs, ours, the difference in working days, the rule and its citation),
    counts them by rule and by difference, and names a bank holiday the source system seems not to know when
    one-day disagreements point at it. Formats: text, csv (one row per disagreement), json.

    --jobs spreads the children over processes (default: one per core); the report is byte-identical whatever
    their number. On a terminal, standard error counts the rows read, then shows a progress bar over the
    children.

    Exit codes: 0 no disagreements; 1 some; 2 the extract or policy cannot be used.
    """
    from engine.caseload import pool
    from engine.cli.progress import progress
    from engine.core.calendar import CalendarRangeError
    from engine.evaluation.api import PolicyError, load_policy
    from engine.ssd import reconcile as reconciling

    day = parse_date(as_of, "--as-of") or dt.date.today()
    try:
        policy = load_policy(area, policies_dir=policies_dir)
        # A wrong area, or one with no version in force, is reported at once, not after reading an extract.
        policy.in_force(day)
    except PolicyError as exc:
        policy_error(exc)
    extract = read_counted(folder)
    children = extract.children()
    jobs = pool.workers_for(jobs or pool.default_jobs(), children)
    try:
        with terminate_as_interrupt(), progress(sys.stderr, children, label="Reconciling") as bar:
            report = reconciling.reconcile(extract, policy, day, jobs=jobs, on_child=bar.advance)
    except PolicyError as exc:
        policy_error(exc)
    except (CalendarRangeError, pool.PoolError) as exc:
        fail(str(exc))
    click.echo(reconciling.FORMATS[fmt](report), nl=False)
    if report.errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if report.disagreements else EXIT_OK)


__all__ = ["import_group", "import_ssd", "reconcile_command"]
