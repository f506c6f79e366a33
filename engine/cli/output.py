"""Output files from the command line: the `--output/-o` and `--force` options of the commands that write a
document (compare, render), and the private files of the commands that write case data (import, eval)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO

import click

from engine.cli.common import fail, print_whole
from engine.core.outfile import OutputError, atomic_output, refuse_existing


def output_options(command: Callable) -> Callable:
    """Add ``--output/-o FILE`` and ``--force`` to a command, as ``output`` and ``force``."""
    command = click.option("--force", is_flag=True, help="Overwrite the --output file if it exists.")(command)
    return click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write to this file instead of standard output ('-' is standard output). Refuses to overwrite an "
        "existing file without --force.",
    )(command)


def write_document(
    text: str | bytes,
    output: Path | None,
    force: bool,
    inputs: Iterable[str | Path] | Mapping[str, Path] = (),
    *,
    private: bool = False,
    option: str = "",
) -> None:
    """Print ``text`` (or bytes), or write it to ``output`` whole, never over one of ``inputs`` (the files it was
    made from, named by their paths or as the mapping names them). A published document is readable by all; one
    that holds children's ids is ``private``. An error names ``option``, the option that gave ``output``."""
    if output is None or str(output) == "-":
        # "-" is standard output, as for every Unix tool, rather than a file named "-".
        print_whole(text)
        return
    named = dict(inputs) if isinstance(inputs, Mapping) else {str(path): Path(path) for path in inputs}
    try:
        with atomic_output(output, force=force, private=private, text=isinstance(text, str), inputs=named) as handle:
            handle.write(text)
    except OutputError as exc:
        fail(f"{option} {exc}" if option else str(exc))


def refuse_output(path: Path | None, force: bool, option: str) -> None:
    """Exit with a usage error naming ``option`` if ``path`` cannot be written: a folder, in a folder that does
    not exist, or an existing file without ``force``. Called before any work, so that a long run is not wasted
    on a name that cannot be used."""
    if path is None:
        return
    if path.is_dir():
        fail(f"{option} {path} is a folder")
    if not path.parent.is_dir():
        fail(f"{option} {path}: the folder {path.parent} does not exist")
    try:
        refuse_existing(path, force)
    except OutputError as exc:
        fail(f"{option} {exc}")


def write_private(path: Path, write: Callable[[IO], object], option: str, force: bool) -> None:
    """Write ``path`` whole through ``write(handle)`` (UTF-8 text), readable by its owner only: for files that
    hold children's ids and dates. An error names ``option``."""
    try:
        with atomic_output(path, force=force, private=True, text=True) as handle:
            write(handle)
    except OutputError as exc:
        fail(f"{option} {exc}")
