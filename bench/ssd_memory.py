"""Peak memory (RSS) of `cpc import ssd` as the extract grows: it should stay about flat.

    python bench/ssd_memory.py [--persons 10000 100000] [--keep DIR] [--max-seconds 300] [--cpc PATH]

For each size, writes an extract of that many persons with ``bench/generate_ssd.py`` (no planted mistakes; into a
temporary folder, or DIR/ssd-N to keep and reuse it), runs ``cpc import ssd EXTRACT --out FILE`` in a child
process and prints its peak resident set size, its wall time and the size of ``ssd_person.csv``. Sizes after one
whose import took longer than ``--max-seconds`` are skipped, so that ``--persons 10000 100000 1000000`` stops on
a slow machine rather than running for an hour.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _generate(folder: Path, persons: int) -> None:
    if (folder / "ssd_person.csv").exists():
        return
    generator = ROOT / "bench" / "generate_ssd.py"
    argv = [sys.executable, str(generator), str(folder), "--children", str(persons), "--no-plant", "--force"]
    subprocess.run(argv, check=True, capture_output=True)


def _peak_rss_of(argv: list[str]) -> tuple[int, float, int]:
    """The peak RSS in bytes of the command, its wall time in seconds and its exit code (Linux: ru_maxrss is KB)."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execv(argv[0], argv)
    _, status, usage = os.wait4(pid, 0)
    return usage.ru_maxrss * 1024, time.perf_counter() - start, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--keep", type=Path, help="keep the generated extracts under this folder (and reuse them)")
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--cpc", help="the cpc to measure (another checkout's, to compare); default: this one")
    args = parser.parse_args()
    cpc = args.cpc or str(Path(sys.executable).with_name("cpc"))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    print(f"{'persons':>9} {'ssd_person.csv':>15} {'peak RSS':>10} {'wall':>8}  exit")
    with tempfile.TemporaryDirectory(prefix="cpc-ssd-memory-") as scratch:
        base = args.keep or Path(scratch)
        for persons in args.persons:
            folder = base / f"ssd-{persons}"
            _generate(folder, persons)
            size = (folder / "ssd_person.csv").stat().st_size
            out = Path(scratch) / f"cases-{persons}.jsonl"
            rss, seconds, code = _peak_rss_of([cpc, "import", "ssd", str(folder), "--out", str(out), "--force"])
            out.unlink(missing_ok=True)
            print(f"{persons:>9} {size / 1e6:>12.1f} MB {rss / 1e6:>7.0f} MB {seconds:>7.1f}s  {code}", flush=True)
            if seconds > args.max_seconds:
                print(f"stopped: {persons} persons took over {args.max_seconds:.0f}s", flush=True)
                break


if __name__ == "__main__":
    main()
