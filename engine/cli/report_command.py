"""`cpc report`: per-rule compliance and the census timeliness measures over a caseload's results."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, TypeVar

import click

from engine.caseload.report_text import CSV_HELP, FORMATS
from engine.caseload.results_lines import Line, Malformed
from engine.caseload.summary import DEFAULT_OVERDUE_LIMIT
from engine.cli.common import fail
from engine.cli.output import refuse_output, write_document
from engine.cli.progress import Progress, Silent, progress

T = TypeVar("T")
PROGRESS_DELAY = 2.0
"""Seconds a report must have taken before progress is drawn (on a terminal only)."""


MALFORMED_SHOWN = 20
"""Malformed lines named one by one on stderr; past these they are only counted (a caseload given by mistake
for its results would otherwise print a line for every case)."""


class _Caseload(Exception):
    """The first line of RESULTS is a case: a caseload was given for its results."""

    def __init__(self, line: int) -> None:
        self.line = line


def _announce_malformed(items: Iterable[Line], name: str, found: list[int]) -> Iterator[Line]:
    """Pass lines through, saying on stderr which are malformed as they are met (by number, never content).

    Raises :class:`_Caseload` when the first line is a case: no results file starts with one, and a caseload
    would otherwise be read to its end only to list its first cases as malformed lines before saying so."""
    # On a terminal the progress bar may be on the line: clear it first (it is drawn again as reading goes on).
    clear = "\r\x1b[K" if sys.stderr.isatty() else ""
    first = True
    for item in items:
        if first and isinstance(item, Malformed) and item.case:
            raise _Caseload(item.line)
        first = False
        if isinstance(item, Malformed):
            found[0] += 1
            if found[0] <= MALFORMED_SHOWN:
                click.echo(f"{clear}cpc: {name}:{item.line}: {item.reason}; line skipped", err=True)
        yield item


def _advancing(items: Iterable[T], bar: Progress | Silent) -> Iterator[T]:
    for item in items:
        bar.advance()
        yield item


# What a name says a file holds, for --out: a workbook written to a name a text format uses (report.csv) would
# be opened by Excel or a text editor as what it is not, and so would text written to a workbook's name.
TEXT_SUFFIXES = {
    ".csv": ("csv", "a CSV file"),
    ".html": ("html", "an HTML page"),
    ".htm": ("html", "an HTML page"),
    ".json": ("json", "a JSON file"),
    ".md": ("markdown", "a Markdown file"),
    ".txt": ("text", "a text file"),
}
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls"})


def refuse_contradicting_name(fmt: str, out: Path | None) -> None:
    """A usage error (exit 2) when --out's suffix names a file of another kind than --format writes: a
    workbook to .csv, .html, .htm, .json, .md or .txt, or text to .xlsx, .xlsm or .xls. Between the text
    formats a name is not checked: CSV in report.txt is still text, and opens as it."""
    if out is None:
        return
    suffix = out.suffix.lower()
    if fmt == "xlsx" and suffix in TEXT_SUFFIXES:
        text_format, kind = TEXT_SUFFIXES[suffix]
        raise click.UsageError(
            f"--out {out} is named as {kind}, but --format xlsx writes a workbook: name it "
            f"{out.with_suffix('.xlsx').name}, or give --format {text_format}"
        )
    if fmt != "xlsx" and suffix in WORKBOOK_SUFFIXES:
        named = {"csv": ".csv", "overdue-csv": ".csv", "months-csv": ".csv", "markdown": ".md", "text": ".txt"}
        right = out.with_suffix(named.get(fmt, f".{fmt}")).name
        raise click.UsageError(
            f"--out {out} is named as a workbook, but --format {fmt} writes text: name it {right}, or give "
            "--format xlsx"
        )


def _write(summary, fmt: str, out: Path | None, force: bool, results: str) -> None:
    if fmt == "xlsx":
        from engine.caseload.report_xlsx import workbook

        data: str | bytes = workbook(summary)
    else:
        from engine.caseload.report_formats import render

        data = render(summary, fmt)
    inputs = {} if results == "-" else {"RESULTS": Path(results)}
    # Private: the report lists children's case ids.
    write_document(data, out, force, inputs, private=True, option="--out")


def count_lines(handle: BinaryIO) -> int | None:
    """How many lines a regular file has (for the bar), read in blocks and rewound; None for a pipe or a
    stream, whose length cannot be known before it is read."""
    try:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        lines, last = 0, b"\n"
        while block := handle.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
        handle.seek(0)
    except (OSError, ValueError):
        return None
    return lines + (last != b"\n")


@click.command("report", epilog=CSV_HELP)
@click.argument("results", metavar="RESULTS")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*FORMATS, "xlsx"]),
    default="text",
    show_default=True,
    help="text for reading; markdown for a wiki or pull request; csv for a spreadsheet (one row per rule and "
    "status); overdue-csv for the overdue list as CSV; months-csv for the months as CSV; json for programs; "
    "html for a page to publish or print "
    "(self-contained: charts as inline SVG, no scripts); xlsx for Excel or Power BI (a workbook "
    "with a sheet and an Excel table per table: About, Rules, Census, Conference days, Plans, Teams or Workers "
    "with --by, Not assessable, Months, Overdue; needs --out or a redirect).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file (whole or not at all) instead of standard output. A name that says "
    "another kind of file than --format writes (an xlsx workbook to report.csv, html to report.xlsx) is refused.",
)
@click.option("--force", is_flag=True, help="With --out: replace an existing file.")
@click.option(
    "--overdue-limit",
    type=int,
    default=DEFAULT_OVERDUE_LIMIT,
    show_default=True,
    metavar="N",
    help="List at most N overdue items, the earliest due (all are counted). 0 lists none.",
)
@click.option("--all", "list_all", is_flag=True, help="List every overdue item (overrides --overdue-limit).")
@click.option(
    "--period",
    metavar="START..END",
    help="Count what fell due from START to END (YYYY-MM-DD..YYYY-MM-DD). Default: the census year (1 April "
    "to 31 March) of the evaluation date.",
)
@click.option(
    "--by",
    type=click.Choice(["team", "worker"]),
    help="Break the caseload down by the cases' team or worker (opaque ids; printed only when asked).",
)
def report(
    results: str,
    fmt: str,
    out: Path | None,
    force: bool,
    overdue_limit: int,
    list_all: bool,
    period: str | None,
    by: str | None,
) -> None:
    """Report per-rule compliance and census timeliness over a caseload's results.

    RESULTS is the JSON Lines file `cpc eval --cases … --out` writes (docs/batch.md), or - for standard input:
    results format 2 (a header listing the rules, then results that refer to them by id) or format 1 (each
    result whole, as --citations inline writes; docs/results.md). A format-2 file cut or filtered without its
    first line, the header, cannot be read.

    First the cases with something overdue (late, and still to be done) and those with anything overdue,
    breached or missed (history included); a case id repeated in RESULTS is counted once, from its first
    record. For every rule: how many results had each status (met, missed, pending, overdue, not assessable
    for a deadline; met, breached, not assessable for a requirement; applies for a decision), and the share
    met of the deadlines that have fallen due or the requirements that could be assessed. Then the rules
    not assessable from this data, because the cases' source does not record what they need
    (docs/results.md). The Children in Need census measures: initial conferences held within 15 working days
    of the strategy discussion (from the icpc-timescale results), with the working days from one to the other
    in bands 0-10, 11-15, 16-20 and 21+ (England and Wales bank holidays; an area's own closure days are not in
    the results), and reviews held on time (first-review-timescale and review-interval). Then the overdue
    items, earliest due first (the first --overdue-limit, or --all), and how many cases were evaluated and how
    many error records there were, by error code.

    The file is read a line at a time, so it may be of any size; a line longer than 5 MB (the limit of a
    record of `cpc eval --cases`) is skipped unread. A line that is neither an evaluation nor an error record,
    or is too long, is reported on stderr by its line number (never its content) and skipped: the first 20
    each, the rest counted. A file none of whose lines is a result (a caseload given by mistake) gives no
    report, and a file whose first line is a case is refused at once. Values from RESULTS are escaped for the
    format: control characters in text (written as \\x1b), markup in Markdown and HTML, formulas in CSV and
    xlsx.

    On a terminal, progress is shown on standard error once reading has taken more than two seconds.

    Exit codes: 0 the report was written; 2 RESULTS could not be read (a results format this cpc does not
    read, results with no header before them: no report), or a line was malformed (the report is still
    written, from the other lines).
    """
    from engine.caseload.period import PeriodError, parse_period
    from engine.caseload.results_lines import parse_lines, read_lines
    from engine.caseload.summary import summarize
    from engine.evaluation.results_file import ResultsFileError

    if force and out is None:
        raise click.UsageError("--force goes with --out")
    if fmt == "xlsx" and out is None and sys.stdout.isatty():
        raise click.UsageError("an xlsx workbook is not text: give --out FILE (or redirect standard output)")
    refuse_contradicting_name(fmt, out)
    refuse_output(out, force, "--out")
    try:
        span = parse_period(period) if period is not None else None
    except PeriodError as exc:
        fail(f"--period {exc}")
    if overdue_limit < 0:
        fail(f"--overdue-limit must be 0 or more, not {overdue_limit}")
    if list_all:
        overdue_limit = sys.maxsize
    name = "<stdin>" if results == "-" else results
    malformed = [0]
    try:
        handle = sys.stdin.buffer if results == "-" else open(results, "rb")  # noqa: SIM115  # closed below
    except OSError as exc:
        fail(f"cannot read {results}: {exc.strerror or exc}")
    stderr = sys.stderr
    try:
        total = count_lines(handle) if stderr.isatty() else None
        bar = progress(stderr, total, label="Reading", counted="Read {count:,} lines", delay=PROGRESS_DELAY)
        with bar:
            lines = _announce_malformed(parse_lines(_advancing(read_lines(handle), bar)), name, malformed)
            summary = summarize(lines, overdue_limit=overdue_limit, period=span, by=by)
    except OSError as exc:
        fail(f"cannot read {results}: {exc.strerror or exc}")
    except ResultsFileError as exc:
        fail(f"{name}:{exc.line}: {exc.message}")
    except _Caseload as exc:
        fail(
            f"{name}:{exc.line}: a case, not a result: this looks like a caseload; no report written. Evaluate it "
            f"first: cpc eval --policy AREA --cases {'FILE' if results == '-' else name} --out RESULTS"
        )
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()
    skipped = malformed[0]
    listed = f", the first {MALFORMED_SHOWN} listed above" if skipped > MALFORMED_SHOWN else ""
    if skipped and not summary.cases and not summary.error_records:
        # Nothing in the file was a result: a report of nothing would only hide the mistake.
        fail(
            f"{name}: no line is a result of `cpc eval --cases` ({skipped:,} skipped{listed}); no report written. "
            "If it is a caseload, evaluate it first: cpc eval --policy AREA --cases FILE --out RESULTS"
        )
    _write(summary, fmt, out, force, results)
    if skipped:
        fail(f"{skipped:,} malformed line{'s' if skipped != 1 else ''} in {name} skipped{listed}")
