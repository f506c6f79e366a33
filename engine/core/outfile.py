"""Write output files whole or not at all, only as regular files, and never over a file the user had unless
they said so.

Every command with an output file (`eval --out` and `--report`, `import ssd --out` and `--report`, `compare -o`,
`render -o`, `schema --write`) writes through here: a temporary file beside the target, synced, then published
in one step. What that promises (docs/batch.md, "Output files"):

* An interrupted or failed run leaves the target as it was; a full disk or a file-size limit is an
  :class:`OutputError` naming the file, and the temporary file is removed.
* An existing target is refused without ``force``, including one that appears while a long run is writing.
* Only a regular file is ever replaced. A device, FIFO, socket or folder is refused, with or without ``force``.
  A symbolic link is followed to the regular file it points to, which is replaced while the link is kept; a
  link to anything else, or to nothing, is refused.
* An output that is the same file as one of the run's inputs is refused.
* Several files of one run (:class:`Publication`) are published together, or none of them is.
* Temporary files are named ``.NAME.cpc-HOST-PID-XXXXXXXX.part``. One left behind by a run that was killed
  (``kill -9``, a power cut) is removed by the next run that writes in the same folder, when its process is
  provably gone: the same host, that process id no longer running, and a file of the same user.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import stat
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

__all__ = ["OutputError", "Publication", "atomic_output", "refuse_existing", "remove_stale", "target"]


class OutputError(Exception):
    """The output file cannot be written; the message names it and says what to do."""


# -- what may be written ------------------------------------------------------------------------------------


def file_kind(mode: int) -> str:
    """What a file that is not a regular file is, for a message; "" for a regular file."""
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


_ONLY_REGULAR = "cpc writes its outputs only to regular files"


def target(path: Path) -> Path:
    """The file writing to ``path`` replaces: ``path`` itself, or the regular file a symbolic link at ``path``
    points to. Raises :class:`OutputError` for anything that is not, or does not lead to, a regular file or
    nothing at all."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(mode):
        real = Path(os.path.realpath(path))
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            # Creating a file through a dangling link writes wherever the link says: a classic trap.
            raise OutputError(
                f"{path} is a symbolic link to {real}, which does not exist; cpc does not create files through "
                "a link: give the file's own path"
            ) from None
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        kind = file_kind(mode)
        if kind:
            raise OutputError(f"{path} is a symbolic link to {kind} ({real}); {_ONLY_REGULAR}")
        return real
    kind = file_kind(mode)
    if kind:
        raise OutputError(f"{path} is {kind}, not a regular file; {_ONLY_REGULAR}")
    return path


Inputs = Mapping[str, "str | Path | int"]
"""A run's inputs by how a message names them: ``{"--cases cases.jsonl": Path(...), "standard input": 0}``."""


def _refuse_input(path: Path, inputs: Inputs) -> None:
    try:
        written = os.stat(path)
    except OSError:
        return
    for name, source in inputs.items():
        try:
            read = os.stat(source)
        except (OSError, ValueError):
            continue
        if os.path.samestat(written, read):
            raise OutputError(f"{path} is the same file as {name}; an output never replaces an input")


def refuse_existing(path: Path, force: bool, inputs: Inputs | None = None) -> Path:
    """Refuse before any work is done, so that a long run is not wasted on a file that will not be written:
    anything but a regular file, one of ``inputs``, or an existing file without ``force``. Returns the file
    that will be replaced (see :func:`target`)."""
    real = target(path)
    _refuse_input(path, inputs or {})
    if not force and os.path.lexists(path):
        raise OutputError(f"{path} exists; pass --force to overwrite it")
    folder = real.parent if str(real.parent) else Path(".")
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        # The temporary file goes beside the target: checked now, not after an hour's run.
        raise OutputError(f"cannot write {path}: the folder {folder} is not writable")
    return real


# -- temporary files ----------------------------------------------------------------------------------------


_HOST = re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:32] or "host"
_STALE = re.compile(r"\.cpc-(?P<host>[A-Za-z0-9_]+)-(?P<pid>\d+)-[a-z0-9_]{8}\.part$")
_RANDOM = "abcdefghijklmnopqrstuvwxyz0123456789_"


def _prefix(name: str) -> str:
    return f".{name}.cpc-{_HOST}-{os.getpid()}-"


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: running
    return True


def remove_stale(folder: Path) -> list[Path]:
    """Remove the temporary files a killed cpc run left in ``folder``; the paths removed.

    Only files provably cpc's own and abandoned: named as :func:`atomic_output` names them, by this host, by a
    process that is no longer running, regular files of this user. Anything else is left alone.
    """
    removed: list[Path] = []
    try:
        with os.scandir(folder) as entries:
            candidates = [e for e in entries if e.name.startswith(".") and _STALE.search(e.name)]
    except OSError:
        return removed
    for entry in candidates:
        found = _STALE.search(entry.name)
        assert found is not None
        if found["host"] != _HOST or _running(int(found["pid"])):
            continue
        try:
            if not entry.is_file(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.geteuid():
                continue
            os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


class _Guarded:
    """A file handle whose failures (a full disk, a file-size limit) are :class:`OutputError` naming the file
    the user asked for, not the temporary one."""

    def __init__(self, stream: IO, path: Path):
        self._stream = stream
        self._path = path

    def write(self, data: Any) -> int:
        try:
            return self._stream.write(data)
        except OSError as exc:
            raise _write_error(self._path, exc) from None

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise _write_error(self._path, exc) from None

    def fileno(self) -> int:
        return self._stream.fileno()


def _write_error(path: Path, exc: OSError) -> OutputError:
    return OutputError(f"cannot write {path}: {exc.strerror or exc}; nothing was written to it")


# -- publishing ---------------------------------------------------------------------------------------------


_APPEARED = "{path} was created during the run; nothing written (pass --force to overwrite it)"


class _Staged:
    """One complete temporary file, waiting to be published as ``path`` (whose file is ``real``)."""

    def __init__(self, path: Path, real: Path, temp: Path, force: bool):
        self.path, self.real, self.temp, self.force = path, real, temp, force
        self.complete = False
        self.backup: Path | None = None
        self.published = False

    def check(self) -> None:
        """Refuse now what publishing would refuse, before any file of the run is published."""
        if target(self.path) != self.real:
            raise OutputError(f"{self.path} changed during the run (it is now a link elsewhere); nothing written")
        if not self.force and os.path.lexists(self.path):
            raise OutputError(_APPEARED.format(path=self.path))

    def keep_old(self) -> None:
        """Keep a hard link to the file about to be replaced, so that publishing can be undone."""
        if not (self.force and os.path.exists(self.real)):
            return
        name = self.real.parent / f"{_prefix(self.real.name)}{''.join(secrets.choice(_RANDOM) for _ in range(8))}.part"
        with contextlib.suppress(OSError):
            os.link(self.real, name)
            self.backup = name

    def publish(self) -> None:
        try:
            self._publish()
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}; nothing was written to it") from None
        self.published = True

    def _publish(self) -> None:
        if self.force:
            os.replace(self.temp, self.real)
            return
        try:
            # A hard link fails if `path` appeared during the run, where a rename would silently replace it.
            os.link(self.temp, self.real)
        except FileExistsError:
            raise OutputError(_APPEARED.format(path=self.path)) from None
        except OSError:
            # Some file systems have no hard links; check, then rename.
            if os.path.lexists(self.real):
                raise OutputError(_APPEARED.format(path=self.path)) from None
            os.replace(self.temp, self.real)
            return
        os.unlink(self.temp)

    def undo(self) -> None:
        """Put back what was at ``real`` before :meth:`publish` (best effort)."""
        with contextlib.suppress(OSError):
            if self.backup is not None:
                os.replace(self.backup, self.real)
                self.backup = None
            elif self.published:
                os.unlink(self.real)

    def discard(self) -> None:
        for leftover in (self.temp, self.backup):
            if leftover is not None:
                with contextlib.suppress(OSError):
                    os.unlink(leftover)


class Publication:
    """The output files of one run, published together when the block ends without error: all or none.

    Each file is written in ``with publication.open(path, ...) as handle:``; it is published only when the
    ``with Publication()`` block ends, after every file has been written completely. If any file cannot be
    written, or the block fails, no file is published and the temporary files are removed.
    """

    def __init__(self) -> None:
        self._staged: list[_Staged] = []

    def __enter__(self) -> Publication:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if kind is None:
            self.publish()
        else:
            self.discard()

    @contextlib.contextmanager
    def open(
        self, path: Path, *, force: bool, private: bool, text: bool = False, inputs: Inputs | None = None
    ) -> Iterator[IO]:
        """A handle on a temporary file beside ``path`` (or the file its link points to), staged for publishing
        when the block ends without error.

        ``private`` files (cases and results: children's ids and dates) are readable by their owner only; other
        files get the mode a shell's ``> file`` would give. ``text`` opens the file as UTF-8 with ``\\n`` line
        ends. ``inputs`` are the run's input files, which the output may not be.
        """
        real = refuse_existing(path, force, inputs)
        folder = real.parent if str(real.parent) else Path(".")
        remove_stale(folder)
        try:
            fd, name = tempfile.mkstemp(dir=folder, prefix=_prefix(real.name), suffix=".part")
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        staged = _Staged(path, real, Path(name), force)
        self._staged.append(staged)
        stream = os.fdopen(fd, "w", encoding="utf-8", newline="\n") if text else os.fdopen(fd, "wb")
        try:
            guarded = _Guarded(stream, path)
            yield guarded  # has every method a writer here uses
            guarded.flush()
            try:
                os.fsync(stream.fileno())
            except OSError as exc:
                raise _write_error(path, exc) from None
        finally:
            with contextlib.suppress(OSError):
                stream.close()
        if not private:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(name, 0o666 & ~umask)
        staged.complete = True

    def publish(self) -> None:
        """Publish every staged file, or none: each is checked first, and a failure part-way undoes the files
        already published."""
        try:
            if not all(staged.complete for staged in self._staged):
                raise OutputError("an output file was not written completely; nothing written")
            for staged in self._staged:
                staged.check()
            for staged in self._staged[:-1]:
                staged.keep_old()
            for staged in self._staged:
                staged.publish()
        except BaseException:
            for staged in reversed(self._staged):
                staged.undo()
            self.discard()
            raise
        self.discard()

    def discard(self) -> None:
        """Remove every temporary file; publish nothing more."""
        for staged in self._staged:
            staged.discard()
        self._staged = []


@contextlib.contextmanager
def atomic_output(
    path: Path, *, force: bool, private: bool, text: bool = False, inputs: Inputs | None = None
) -> Iterator[IO]:
    """A handle on a temporary file beside ``path``, published as ``path`` when the block ends without error
    (a :class:`Publication` of one file; see :meth:`Publication.open` for the arguments)."""
    with (
        Publication() as publication,
        publication.open(path, force=force, private=private, text=text, inputs=inputs) as handle,
    ):
        yield handle
