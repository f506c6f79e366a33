"""Single-case latency and throughput of `Policy.evaluate`, for a realistic case.

    python bench/eval_latency.py [--area berkshire] [--runs 2000] [CASE]

CASE defaults to examples/cases/berkshire-icpc-on-time.yaml. The policy is compiled before timing starts
(an embedder compiles once per process); each run evaluates the already-validated case, then separately
the whole path from a JSON-like mapping (validation included), as a page view in a case system would.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from pathlib import Path

from engine import load_policy
from engine.evaluation.case_files import load_case
from engine.policy.yamlload import jsonable

ROOT = Path(__file__).resolve().parent.parent


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    return (
        statistics.median(ordered) * 1e3,
        ordered[int(len(ordered) * 0.99) - 1] * 1e3,
        len(ordered) / sum(ordered),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", nargs="?", default=str(ROOT / "examples/cases/berkshire-icpc-on-time.yaml"))
    parser.add_argument("--area", default="berkshire")
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--as-of", default="2026-03-01")
    args = parser.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)

    policy = load_policy(args.area)
    start = time.perf_counter()
    evaluator = policy.evaluator(as_of)
    compile_ms = (time.perf_counter() - start) * 1e3
    case = load_case(args.case)
    mapping = jsonable(case)
    results = len(evaluator.evaluate(case, as_of).results)

    for label, work in (
        ("evaluate (validated case)", lambda: evaluator.evaluate(case, as_of)),
        ("evaluate (mapping, validated)", lambda: policy.evaluate(mapping, as_of=as_of)),
    ):
        for _ in range(50):
            work()
        samples = []
        for _ in range(args.runs):
            begin = time.perf_counter()
            work()
            samples.append(time.perf_counter() - begin)
        p50, p99, rate = _percentiles(samples)
        print(f"{label:<32} p50 {p50:6.3f} ms   p99 {p99:6.3f} ms   {rate:8.0f} cases/s   ({args.runs} runs)")
    print(
        f"policy {args.area}: {len(evaluator.compiled.ruleset.rules)} durable rules, compiled in {compile_ms:.0f} ms;"
        f" case {Path(args.case).name}: {results} results"
    )


if __name__ == "__main__":
    main()
