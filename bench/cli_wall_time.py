"""Wall time of whole `cpc` commands, process start included, as a user or a pre-commit hook meets them.

    python bench/cli_wall_time.py [--runs N]

Prints the median and the fastest of N runs of each command.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"

COMMANDS = {
    "cpc --help": ["--help"],
    "cpc lint policies": ["lint", "policies"],
    "cpc lint policies --sources": ["lint", "policies", "--sources", str(SEEDS)],
    "cpc show berkshire": ["show", "berkshire"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    cpc = [str(Path(sys.executable).with_name("cpc"))]
    print(f"{'command':<32} {'median':>9} {'fastest':>9}  ({args.runs} runs)")
    for label, argv in COMMANDS.items():
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run(cpc + argv, cwd=ROOT, capture_output=True, check=False)
            times.append(time.perf_counter() - start)
        print(f"{label:<32} {statistics.median(times) * 1000:>7.0f}ms {min(times) * 1000:>7.0f}ms")


if __name__ == "__main__":
    main()
