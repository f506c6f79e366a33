"""What every `cpc` command shares: exit codes, error printing, common options, date arguments.

Command modules import from here, never from ``engine.cli.main``, so that any of them can be imported alone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import click

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def fail(message: str) -> None:
    """Print ``cpc: message`` on stderr and exit 2."""
    click.echo(f"cpc: {message}", err=True)
    sys.exit(EXIT_ERROR)


def policy_error(exc) -> None:
    """Print a policy that cannot be used, with its lint findings, and exit 2."""
    from engine.policy.lint.reporters import text

    click.echo(f"cpc: {exc.message}", err=True)
    if exc.findings:
        click.echo(text(exc.findings, len({f.file for f in exc.findings})), err=True, nl=False)
    sys.exit(EXIT_ERROR)


policies_option = click.option(
    "--policies",
    "policies_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of area policies. Default: ./policies if present. Areas it lacks come from those shipped with cpc.",
)


def parse_date(value: str | None, option: str) -> dt.date | None:
    """An evaluation date option's YYYY-MM-DD value as a date; a clear usage error otherwise.

    The date must be in the years whose bank holidays are known, as every evaluation counts working days.
    """
    from engine.core.calendar import FIRST_YEAR, LAST_YEAR

    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date; write YYYY-MM-DD")
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        fail(
            f"{option} {value} is outside {FIRST_YEAR} to {LAST_YEAR}: working days can be counted only in the "
            "years whose bank holidays are known"
        )
    return day


def case_error(exc) -> None:
    """Print a case's findings on stderr: file, line, column, code and field, never its values."""
    for f in exc.findings:
        where = f" ({f.path})" if f.path else ""
        click.echo(f"{f.file}:{f.line}:{f.column}: {f.code} {f.message}{where}", err=True)
        if f.hint:
            click.echo(f"    hint: {f.hint}", err=True)


def print_whole(text: str | bytes) -> None:
    """Print ``text`` (or bytes, such as a workbook's) to standard output, every byte or an error.

    Python's buffered standard output can lose the end of a write that a full disk or a file-size limit cut
    short, and exit 0; writing the bytes to the file descriptor until all are taken raises ``OSError`` instead,
    which cpc's entry point says as "cannot write standard output".
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        # Not a real file (a test runner's capture): nothing can be cut short.
        click.echo(text, nl=False)
        return
    sys.stdout.flush()
    view = memoryview(text.encode("utf-8") if isinstance(text, str) else text)
    while view:
        view = view[os.write(fd, view) :]


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C while a long command runs (eval, diff --cases, reconcile), so that its temporary
    file and its workers are cleaned up and it says `cpc: aborted`, as for Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
