"""An ordered map over worker processes: the one pool behind ``cpc eval --cases``, ``cpc diff --cases`` and
``cpc reconcile``.

* items go to the workers in blocks, submitted in input order and awaited oldest first, with at most
  :data:`BLOCKS_PER_JOB` blocks per worker read and not yet handed back: the results come back in input order,
  so what a command prints is the same byte for byte whatever the number of workers, and memory stays flat
  however long the input;
* each worker builds its work function once, from a start function and its argument (compiling a policy,
  say), ignores Ctrl-C (the parent's to handle: it stops the pool), and ends by itself when its parent is
  killed outright;
* a worker that dies (a crash in durable-rules' C core, the OOM killer) stops the run with :class:`PoolError`,
  never a hang.

The pool is a ``ProcessPoolExecutor`` fed by hand, not ``multiprocessing.Pool.imap``, for two measured
reasons: ``imap`` reads its input as fast as the task pipe takes it and keeps every finished result until the
caller asks for it (20,000 results held when the output is slower than the workers), and a worker that dies
leaves ``imap`` waiting forever, where the executor raises ``BrokenProcessPool``.

With one job the work is done in this process, by the very same function. Nothing here prints.
"""

from __future__ import annotations

import contextlib
import copyreg
import io
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import types
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

__all__ = [
    "BLOCKS_PER_JOB",
    "BLOCK_ITEMS",
    "BLOCK_WEIGHT",
    "EXIT_ORPHANED",
    "PoolError",
    "StartError",
    "WorkerStopped",
    "default_jobs",
    "ordered_map",
    "workers_for",
]

T = TypeVar("T")
R = TypeVar("R")

BLOCK_ITEMS = 16
"""Items sent to a worker at a time, unless the caller says otherwise."""
BLOCK_WEIGHT = 1 << 20
"""A block is also closed once its items weigh this much (by the caller's ``weight``, in bytes, say)."""
BLOCKS_PER_JOB = 4
"""Blocks in flight per worker process: enough that none waits for work while the oldest is awaited."""
PARENT_POLL = 0.5
"""Seconds between a worker's checks that the process that started it is still running."""
EXIT_ORPHANED = 3
"""The exit status of a worker that ended because its parent had gone."""


class PoolError(Exception):
    """The run cannot go on: a worker process could not start its work, or stopped unexpectedly."""


class StartError(PoolError):
    """A worker process could not make its work function; ``reason`` is what the start function raised, for a
    caller that words the error its own way."""

    def __init__(self, reason: str):
        # The reason alone is the exception's argument: it is raised in a worker and rebuilt from its
        # arguments in the parent.
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return f"a worker process could not start: {self.reason}"


class WorkerStopped(PoolError):
    """A worker process ended (killed, or crashed) before handing back a block; ``first`` names the block's
    first item by the caller's ``where`` ("" without one), for a caller that words the error its own way."""

    def __init__(self, first: str):
        at = f" while working from {first} on" if first else ""
        super().__init__(f"a worker process stopped unexpectedly (killed, or crashed){at}; the run is incomplete")
        self.first = first


def default_jobs() -> int:
    """Every core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def workers_for(jobs: int, items: int | None, block: int = BLOCK_ITEMS) -> int:
    """How many of ``jobs`` processes ``items`` items can keep busy: work goes out in blocks, and a worker
    beyond the number of blocks would only start up (compile a policy) for nothing."""
    if items is None:
        return max(1, jobs)
    return max(1, min(jobs, -(-items // block)))


def ordered_map(
    start: Callable[[Any], Callable[[T], R]],
    argument: Any,
    items: Iterable[T],
    *,
    jobs: int = 1,
    block: int = BLOCK_ITEMS,
    weight: Callable[[T], int] | None = None,
    where: Callable[[T], str] | None = None,
) -> Iterator[R]:
    """``start(argument)(item)`` for each item, in input order.

    With ``jobs=1`` the work function is made here, now (so that whatever ``start`` raises is raised by this
    call), and applied in this process. Otherwise ``jobs`` worker processes each make their own, once: then
    ``start`` must be a module-level function and ``argument`` picklable (a resolved policy is: its read-only
    mappings are sent as copies), and so must be the items and the results. A forked worker inherits
    ``argument`` as it is; a spawned one is sent what pickling it gives. ``block`` items make a block, and
    ``weight`` closes one early (at :data:`BLOCK_WEIGHT`); ``where`` names an item for the error that says where
    a worker stopped.

    Iterating raises :class:`StartError` when a worker cannot start, :class:`WorkerStopped` when one stops
    unexpectedly (both are :class:`PoolError`), and re-raises anything the work function raises. Close the
    iterator, or exhaust it, to stop the workers.
    """
    if jobs <= 1:
        return _in_process(start(argument), items)
    return _pooled(start, argument, items, jobs, block, weight, where)


def _in_process(work: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    for item in items:
        yield work(item)


# -- the parent ---------------------------------------------------------------------------------------------


def _frozen(data: dict) -> types.MappingProxyType:
    return types.MappingProxyType(data)


def _reduce_frozen(mapping: types.MappingProxyType) -> tuple:
    return _frozen, (dict(mapping),)


class _Pickler(pickle.Pickler):
    # A resolved policy keeps its rules in read-only mappings, which pickle cannot take; a copy is as good.
    dispatch_table = copyreg.dispatch_table.copy()
    dispatch_table[types.MappingProxyType] = _reduce_frozen


def _dumps(value: object) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def _blocks(items: Iterable[T], size: int, weight: Callable[[T], int] | None) -> Iterator[list[T]]:
    block: list[T] = []
    heavy = 0
    for item in items:
        block.append(item)
        if weight is not None:
            heavy += weight(item)
        if len(block) >= size or heavy >= BLOCK_WEIGHT:
            yield block
            block, heavy = [], 0
    if block:
        yield block


def _context() -> multiprocessing.context.BaseContext:
    # fork starts a worker in a quarter of a second less than spawn, and the worker shares the parent's
    # imported modules page for page. It is safe only when no other thread can be half-way through
    # something (compiling a ruleset in durable's C core, holding a lock) at the moment of the fork, so a
    # program with threads gets spawn, as does every platform but Linux (macOS's system libraries are not
    # fork-safe).
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _stop(executor: ProcessPoolExecutor) -> None:
    """Stop a pool now: cancel what has not started and end the workers without waiting for their block."""
    executor.shutdown(wait=False, cancel_futures=True)
    # ProcessPoolExecutor has no public way to end running workers before Python 3.14.
    processes = list((getattr(executor, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(5)


def _pooled(
    start: Callable[[Any], Callable[[T], R]],
    argument: Any,
    items: Iterable[T],
    jobs: int,
    size: int,
    weight: Callable[[T], int] | None,
    where: Callable[[T], str] | None,
) -> Iterator[R]:
    context = _context()
    # A forked worker inherits the argument as it is; a spawned one is sent it, pickled.
    forked = context.get_start_method() == "fork"
    payload = argument if forked else _dumps(argument)
    executor = ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_start_worker, initargs=(start, payload, not forked, os.getpid())
    )
    pending: deque[tuple[Future, str]] = deque()
    finished = False
    try:
        for block in _blocks(items, size, weight):
            pending.append((executor.submit(_run_block, block), where(block[0]) if where else ""))
            # Waiting for the oldest block keeps the results in input order and caps what is held.
            if len(pending) >= BLOCKS_PER_JOB * jobs:
                yield from _result(*pending.popleft())
            # Pass on what is ready without waiting, so that the caller's progress keeps up.
            while pending and pending[0][0].done():
                yield from _result(*pending.popleft())
        while pending:
            yield from _result(*pending.popleft())
        finished = True
    finally:
        if finished:
            executor.shutdown(wait=True)
        else:
            _stop(executor)


def _result(future: Future, first: str) -> list:
    try:
        return future.result()
    except BrokenProcessPool:
        raise WorkerStopped(first) from None


# -- a worker -----------------------------------------------------------------------------------------------

_WORK: Callable | None = None
_WORK_ERROR = "no work function was made"


def _watch_parent(parent: int) -> None:
    """End this worker as soon as its parent is gone.

    A parent killed outright (``kill -9``, the OOM killer) cannot stop its pool, and a worker that waits for
    work, or to hand back a block, on pipes it shares with its siblings would wait for ever, holding the input
    and the temporary output file open. Orphaned, a process is adopted by another, so its parent id changes.
    """
    while True:
        time.sleep(PARENT_POLL)
        if os.getppid() != parent:
            os._exit(EXIT_ORPHANED)


def _start_worker(start: Callable, payload: object, pickled: bool, parent: int) -> None:
    """Pool initializer: watch the parent (process id ``parent``) and make the work function. Never raises: a
    failure is reported by the first block (see :func:`_run_block`)."""
    global _WORK, _WORK_ERROR
    if os.getppid() != parent:
        os._exit(EXIT_ORPHANED)
    threading.Thread(target=_watch_parent, args=(parent,), name="cpc-watch-parent", daemon=True).start()
    # Ctrl-C is the parent's to handle: it stops the pool. An idle worker interrupted would print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker inherits the parent's handlers; SIGTERM must end it, as the pool expects when it stops
    # workers, not raise inside it (where it would try to report that to a parent no longer reading).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        argument = pickle.loads(payload) if pickled else payload  # type: ignore[arg-type]
        _WORK = start(argument)
    except Exception as exc:
        _WORK_ERROR = getattr(exc, "message", None) or str(exc)


def _run_block(block: list) -> list:
    if _WORK is None:
        # Raised here rather than in the initializer, which would only say the pool broke, not why.
        raise StartError(_WORK_ERROR)
    return [_WORK(item) for item in block]
