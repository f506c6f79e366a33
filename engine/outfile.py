"""Write an output file whole or not at all, and never over a file the user had unless they said so.

Every command with an output file (`eval --out`, `import ssd --out`, `compare -o`, `render -o`) writes through
here: a temporary file beside the target, synced, then published in one step. An interrupted or failed run
leaves the target as it was; an existing target is refused without ``force``, including one that appears while
a long run is writing.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


class OutputError(Exception):
    """The output file cannot be written; the message names it and says what to do."""


def refuse_existing(path: Path, force: bool) -> None:
    """Refuse before any work is done, so a long run is not wasted on a file that will not be replaced."""
    if path.exists() and not force:
        raise OutputError(f"{path} exists; pass --force to overwrite it")


@contextlib.contextmanager
def atomic_output(path: Path, *, force: bool, private: bool, text: bool = False) -> Iterator[IO]:
    """A handle on a temporary file beside ``path``, renamed to ``path`` when the block ends without error.

    ``private`` files (cases and results: children's ids and dates) are readable by their owner only; other
    files get the mode a shell's ``> file`` would give. ``text`` opens the file as UTF-8 with ``\\n`` line ends.
    """
    refuse_existing(path, force)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") if text else os.fdopen(fd, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        if not private:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp, 0o666 & ~umask)
        _publish(Path(temp), path, force)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


_APPEARED = "{path} was created during the run; nothing written (pass --force to overwrite it)"


def _publish(temp: Path, path: Path, force: bool) -> None:
    if force:
        os.replace(temp, path)
        return
    try:
        # A hard link fails if `path` appeared during the run, where a rename would silently replace it.
        os.link(temp, path)
    except FileExistsError:
        raise OutputError(_APPEARED.format(path=path)) from None
    except OSError:
        # Some file systems have no hard links; check, then rename.
        if path.exists():
            raise OutputError(_APPEARED.format(path=path)) from None
        os.replace(temp, path)
        return
    os.unlink(temp)
