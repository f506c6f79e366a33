"""The processes of a run, read from /proc, for the tests that kill or interrupt cpc and look for its workers."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path


def children(parent: int) -> list[int]:
    """The ids of the processes whose parent is ``parent``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            # A process can end between listing and reading it, and its stat then reads short or not at all.
            with contextlib.suppress(OSError, IndexError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == parent:
                    found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Running, and not a zombie waiting for whoever adopted it to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def outlived(workers: list[int], wait: float = 5.0) -> list[int]:
    """The workers still running ``wait`` seconds on; they are then killed, so that a failing test leaves none."""
    gone_by = time.monotonic() + wait
    while any(alive(pid) for pid in workers) and time.monotonic() < gone_by:
        time.sleep(0.05)
    left = [pid for pid in workers if alive(pid)]
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return left
