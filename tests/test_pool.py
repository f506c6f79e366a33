"""engine.caseload.pool: an ordered map over worker processes, as `cpc diff --cases` and `cpc reconcile` use it."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import sys
import time

import pytest

from engine.caseload import pool
from engine.policy.policies import open_policy

# Work functions reach a forked worker by inheritance; the tests that patch or break them need fork.
FORK_ONLY = pytest.mark.skipif(sys.platform != "linux", reason="patches reach workers only by fork")


def _squarer(offset: int):
    def square(n: int) -> tuple[int, int]:
        # Later items finish sooner, so a pool that handed back results as they came would reorder them.
        time.sleep(0.002 * (n % 5 == 0))
        return n, n * n + offset

    return square


def _failing_start(argument: object):
    raise ValueError("the work cannot start here")


def _dying(argument: object):
    def work(item: int) -> int:
        os._exit(70)

    return work


def _rule_count(policy):
    # The argument crossed to the worker (pickled under spawn): a resolved policy, read-only mappings and all.
    def count(item: int) -> tuple[int, int, str]:
        return item, len(policy.rules), str(policy.rules["icpc-timescale"].data["deadline"]["within"])

    return count


def test_results_come_back_in_input_order_whatever_the_jobs() -> None:
    items = range(200)
    one = list(pool.ordered_map(_squarer, 7, items, jobs=1))
    two = list(pool.ordered_map(_squarer, 7, items, jobs=2, block=3))
    assert one == two == [(n, n * n + 7) for n in items]


def test_only_a_bounded_number_of_items_is_read_ahead_of_the_results() -> None:
    drawn = 0

    def items():
        nonlocal drawn
        for n in range(10_000):
            drawn += 1
            yield n

    results = pool.ordered_map(_squarer, 0, items(), jobs=2, block=4)
    try:
        next(results)
        # At most BLOCKS_PER_JOB blocks per worker in flight, and the block being filled.
        assert drawn <= (pool.BLOCKS_PER_JOB * 2 + 1) * 4
    finally:
        results.close()


def test_a_work_function_that_cannot_start_says_why() -> None:
    with pytest.raises(ValueError, match="cannot start here"):
        pool.ordered_map(_failing_start, None, [1, 2], jobs=1)
    results = pool.ordered_map(_failing_start, None, [1, 2], jobs=2)
    with pytest.raises(pool.PoolError, match="a worker process could not start: the work cannot start here"):
        list(results)


@FORK_ONLY
def test_a_worker_that_dies_stops_the_run_with_an_error_not_a_hang(monkeypatch) -> None:
    monkeypatch.setattr(pool, "_context", lambda: multiprocessing.get_context("fork"))
    results = pool.ordered_map(_dying, None, range(40), jobs=2, where=lambda n: f"item {n}")
    with pytest.raises(pool.PoolError, match=r"stopped unexpectedly \(killed, or crashed\) while working from item 0"):
        list(results)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_resolved_policy_reaches_the_workers_however_they_start(monkeypatch, method: str) -> None:
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} here")
    monkeypatch.setattr(pool, "_context", lambda: multiprocessing.get_context(method))
    policy = open_policy("berkshire", None, dt.date(2026, 3, 1))
    results = list(pool.ordered_map(_rule_count, policy, range(20), jobs=2, block=4))
    assert results == [(n, len(policy.rules), "15 working days") for n in range(20)]


def test_workers_are_never_more_than_the_blocks_of_work() -> None:
    assert pool.workers_for(8, 5) == 1
    assert pool.workers_for(8, 17) == 2
    assert pool.workers_for(2, 20_000) == 2
    assert pool.workers_for(3, None) == 3
    assert pool.workers_for(4, 0) == 1
