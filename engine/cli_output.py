"""The `--output/-o` and `--force` options of the commands that write a document (compare, render)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from .cli_common import fail
from .outfile import OutputError, atomic_output


def output_options(command: Callable) -> Callable:
    """Add ``--output/-o FILE`` and ``--force`` to a command, as ``output`` and ``force``."""
    command = click.option("--force", is_flag=True, help="Overwrite the --output file if it exists.")(command)
    return click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write to this file instead of standard output. Refuses to overwrite an existing file without --force.",
    )(command)


def write_document(text: str, output: Path | None, force: bool) -> None:
    """Print ``text``, or write it to ``output`` whole (a published document: not private)."""
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        with atomic_output(output, force=force, private=False, text=True) as handle:
            handle.write(text)
    except OutputError as exc:
        fail(str(exc))
