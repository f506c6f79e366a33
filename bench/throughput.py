"""Throughput and peak memory of `cpc eval --cases` on a generated caseload, on one core and on all of them.

    python bench/throughput.py [--sizes 10000 100000] [--jobs 1 N] [--seed 1] [--area berkshire]
                               [--as-of 2026-03-01] [--keep DIR]

For each size, generates a seeded caseload with bench/generate_caseload.py, then runs

    cpc eval --policy AREA --cases FILE --out OUT --as-of DATE --jobs J --exit-zero

as a subprocess for each job count (default 1 and every core), and prints its wall time, cases per second,
cases per second per job, the output's bytes per case, the machine's load average while it ran (other work
on the machine slows it), and its peak memory two ways:

  tree RSS  the largest sum of the resident set sizes of cpc and all its worker processes at one moment,
            sampled from /proc every 50 ms; it counts the pages forked workers share with cpc once per process;
  tree PSS  the same sum of proportional set sizes (a shared page split between its sharers): what the
            machine must have free;
  max       the largest resident set of any one process of the run, from the kernel's own account (wait4's
            ru_maxrss), which no sampling can miss.

Then it compares the outputs of the job counts byte for byte: `--jobs` must not change them. Peak memory at
two sizes shows whether memory grows with the number of cases (it should not: the output is streamed and
only a bounded number of cases are in flight). Linux only (/proc).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc/*/stat."""
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the fields after its last ")" are fixed.
        fields = stat[stat.rindex(b")") + 2 :].split()
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _pss(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
        for line in handle:
            if line.startswith(b"Pss:"):
                return int(line.split()[1]) * 1024
    return 0


def _tree_memory(root: int) -> tuple[int, int]:
    """The summed resident and proportional set sizes, in bytes, of ``root`` and all its descendants now."""
    tree = _children()
    rss = pss = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        stack.extend(tree.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                rss += int(handle.read().split()[1]) * PAGE
            pss += _pss(pid)
        except (OSError, IndexError, ValueError):
            continue
    return rss, pss


class _Sampler(threading.Thread):
    """Samples the process tree's memory until stopped; ``rss`` and ``pss`` are the largest sums seen."""

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.interval, self.rss, self.pss = pid, interval, 0, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            rss, pss = _tree_memory(self.pid)
            self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)
            self.done.wait(self.interval)


def generate(size: int, seed: int, as_of: str, out: Path) -> None:
    command = [sys.executable, str(ROOT / "bench" / "generate_caseload.py"), str(size), "--seed", str(seed)]
    done = subprocess.run([*command, "--as-of", as_of, "--out", str(out)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"generate_caseload.py failed:\n{done.stderr}")


def run_cpc(area: str, cases: Path, out: Path, as_of: str, jobs: int) -> tuple[float, int, int, int, str]:
    """Run `cpc eval --cases` once: (seconds, tree RSS and PSS peaks, largest one process's peak, summary),
    memory in bytes."""
    command = [sys.executable, "-m", "engine", "eval", "--policy", area, "--cases", str(cases), "--out", str(out)]
    command += ["--as-of", as_of, "--jobs", str(jobs), "--exit-zero", "--force"]
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors)
        sampler = _Sampler(process.pid)
        sampler.start()
        # wait4 reports the run's own peak (its largest process, workers included once they are waited for).
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        sampler.done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        summary = errors.read().decode("utf-8", "replace").strip().splitlines()
    if process.returncode != 0:
        raise SystemExit(f"cpc eval failed (exit {process.returncode}):\n" + "\n".join(summary[-20:]))
    return seconds, sampler.rss, sampler.pss, usage.ru_maxrss * 1024, summary[-1] if summary else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="caseload sizes")
    parser.add_argument("--jobs", type=int, nargs="+", default=None, help="job counts (default: 1 and every core)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--area", default="berkshire")
    parser.add_argument("--as-of", default="2026-03-01")
    parser.add_argument("--keep", type=Path, help="write the caseloads and outputs here instead of a temporary folder")
    args = parser.parse_args(argv)
    cores = len(os.sched_getaffinity(0))
    job_counts = args.jobs or sorted({1, cores})

    print(f"cpc eval --cases, {args.area}, as of {args.as_of}, seed {args.seed}; {cores} cores", flush=True)
    print(
        f"{'cases':>8} {'jobs':>4} {'seconds':>8} {'cases/s':>8} {'per job':>8} {'B/case':>7} {'load':>5} "
        f"{'tree RSS':>9} {'tree PSS':>9} {'max MiB':>8}"
    )
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        peaks: dict[int, int] = {}
        same = True
        for size in args.sizes:
            caseload = folder / f"caseload-{size}.jsonl"
            generate(size, args.seed, args.as_of, caseload)
            outputs = []
            for jobs in job_counts:
                out = folder / f"results-{size}-jobs{jobs}.jsonl"
                seconds, rss, pss, largest, summary = run_cpc(args.area, caseload, out, args.as_of, jobs)
                # The one-minute load average at the end: cpc's own jobs count in it, so it is read against them.
                load = os.getloadavg()[0]
                outputs.append(out)
                peaks[size] = max(peaks.get(size, 0), pss)
                rate = size / seconds
                print(
                    f"{size:>8} {jobs:>4} {seconds:>8.1f} {rate:>8.0f} {rate / jobs:>8.0f} "
                    f"{out.stat().st_size / size:>7.0f} {load:>5.2f} "
                    f"{rss / 2**20:>9.0f} {pss / 2**20:>9.0f} {largest / 2**20:>8.0f}   {summary}",
                    flush=True,
                )
            identical = all(filecmp.cmp(outputs[0], other, shallow=False) for other in outputs[1:])
            same = same and identical
            counts = ", ".join(str(j) for j in job_counts)
            print(f"{size:>8} outputs with --jobs {counts}: {'identical' if identical else 'DIFFERENT'}", flush=True)
            if not args.keep:
                caseload.unlink()
                for out in outputs:
                    out.unlink()
        if len(peaks) > 1:
            low, high = min(peaks), max(peaks)
            growth = peaks[high] / peaks[low] - 1
            print(f"peak tree PSS at {high:,} cases: {growth:+.0%} against {low:,} cases ({high / low:g}x the cases)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
