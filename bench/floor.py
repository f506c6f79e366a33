"""The engine's floor: what durable-rules alone costs, against everything cpc adds around it.

    python bench/floor.py [--cases 2000] [--seed 1] [--area berkshire] [--as-of 2026-03-01]

Generates a caseload, then times per case, on one core, in CPU time of this process (less disturbed than the
wall clock by other work on the machine; the load average is printed beside it):
  floor     the facts each case asserts, into the same compiled ruleset, matches read back
            (no cpc code runs but the wrapper's: facts are prepared before timing starts);
  evaluate  Evaluator.evaluate on an already validated case (facts derived, matches turned into results);
  pipeline  a JSON Lines record in, parsed, validated, evaluated, its output line out: the worker that
            `cpc eval --cases` runs for each case (engine.caseload.batch.CaseWorker), less writing the line.
and prints each with its ratio to the floor, after the ruleset's size: durable rules, facts asserted and
matches per case, and µs of the floor per fact; then where a case's time goes, stage by stage.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from engine import load_policy
from engine.caseload.batch import BatchSettings, CaseInput, CaseWorker, read_input
from engine.evaluation.case import derive
from engine.evaluation.case_files import read_case

ROOT = Path(__file__).resolve().parent.parent


def _timed(label: str, work, items: list, floor: float | None) -> float:
    start = time.process_time()
    for item in items:
        work(item)
    per_case = (time.process_time() - start) / len(items)
    ratio = f"{per_case / floor:5.2f}x the floor" if floor else "          "
    print(f"{label:<10} {per_case * 1e3:7.3f} ms/case  {1 / per_case:8.0f} cases/s  {ratio}")
    return per_case


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--area", default="berkshire")
    parser.add_argument("--as-of", default="2026-03-01")
    args = parser.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)

    with tempfile.TemporaryDirectory() as tmp:
        caseload = Path(tmp) / "caseload.jsonl"
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "generate_caseload.py"),
                str(args.cases),
                "--seed",
                str(args.seed),
                "--as-of",
                args.as_of,
                "--out",
                str(caseload),
            ],
            check=True,
        )
        lines = caseload.read_bytes().splitlines()

    records = [CaseInput(f"caseload.jsonl:{n}", n, line) for n, line in enumerate(lines, 1)]
    evaluator = load_policy(args.area).evaluator(as_of)
    worker = CaseWorker(evaluator, BatchSettings(args.area, None, as_of))
    ruleset = evaluator.compiled.ruleset
    cases = [read_case(json.loads(line)) for line in lines]
    compiled = evaluator.compiled
    asserted = [compiled.engine_facts(derive(case, as_of)) for case in cases]
    for case in cases[:50]:
        evaluator.evaluate(case, as_of)

    print(
        f"{args.cases} generated cases (seed {args.seed}) under {args.area}, as of {args.as_of}, one core; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    counts = [len(facts) for facts, _ in asserted]
    matches = sum(len(ruleset.run(facts, about)) for facts, about in asserted) / len(asserted)
    print(
        f"ruleset    {len(ruleset.rules)} durable rules; facts per case {sum(counts) / len(counts):.1f} on average, "
        f"{max(counts)} at most; {matches:.1f} matches per case"
    )
    floor = _timed("floor", lambda pair: ruleset.run(*pair), asserted, None)
    print(f"{'':<10} {floor * 1e6 / (sum(counts) / len(counts)):7.1f} µs per fact asserted")
    evaluate = _timed("evaluate", lambda case: evaluator.evaluate(case, as_of), cases, floor)
    outcomes = [worker(record) for record in records[:50]]
    assert not any(outcome.failed for outcome in outcomes)
    pipeline = _timed("pipeline", worker, records, floor)

    # Where a case's time goes: each stage timed alone, and the rest of evaluate and of the pipeline by difference
    # (marked "by difference": on a busy machine the noise of the totals lands there).
    read = _cpu(read_input, records)
    derived = _cpu(lambda case: derive(case, as_of), cases)
    facts = _cpu(compiled.engine_facts, [derive(case, as_of) for case in cases])
    stages = [
        ("read: parse, shape, schema, dates (engine.caseload.batch.read_input)", read),
        ("derive: events and facts (engine.evaluation.case.derive)", derived),
        ("facts for durable-rules (CompiledPolicy.engine_facts)", facts),
        ("durable-rules: encode, assert, actions, matches (the floor)", floor),
        ("results: clocks, verdicts, Result objects (evaluate, by difference)", evaluate - derived - facts - floor),
        ("output line, and a case just read evaluated cold (pipeline, by difference)", pipeline - read - evaluate),
    ]
    print("where a case's CPU time goes:")
    for label, seconds in stages:
        print(f"  {seconds * 1e6:7.0f} µs  {seconds / pipeline:4.0%}  {label}")


def _cpu(work, items: list) -> float:
    start = time.process_time()
    for item in items:
        work(item)
    return (time.process_time() - start) / len(items)


if __name__ == "__main__":
    main()
