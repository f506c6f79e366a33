"""Regenerate the screenshots of cpc's HTML pages in docs/images/, as headless chromium shows them.

    .venv/bin/python docs/screenshots.py [PAGE ...]

PAGE is one of berkshire (the procedure page, `cpc render berkshire`), compare (`cpc compare england
berkshire hampshire`) and report (`cpc report` on the example cases evaluated under Berkshire); all three by
default. Each is the top of the page in a 1280x1600 window. The inputs are fixed, so that an image changes
only when a page does: every command runs as of AS_OF, and the procedure page quotes the texts in
../shared/seeds when that folder is there (their line numbers show), as CI has it. The pages and the results
file are made in a temporary folder outside the repository and removed afterwards; only the PNGs are written
here. Needs Debian's chromium at /usr/bin/chromium (apt-get install chromium).
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
SEEDS = ROOT.parent / "shared" / "seeds"
CHROMIUM = Path("/usr/bin/chromium")
AS_OF = "2026-03-02"
WINDOW = (1280, 1600)
LIMIT = 400_000  # bytes: an image larger than this is too heavy for a repository's docs

# The flags tests/test_render.py starts chromium with: headless, no sandbox (root in CI), nothing fetched.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def cpc(*args: str) -> None:
    """Run the venv's `cpc` in the repository, as a user would; stop with its output if it fails."""
    command = [str(Path(sys.executable).with_name("cpc")), *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"screenshots: `cpc {' '.join(args)}` exited {done.returncode}:\n{done.stderr}{done.stdout}")


def berkshire(work: Path) -> Path:
    page = work / "berkshire.html"
    sources = ["--sources", str(SEEDS)] if SEEDS.is_dir() else []
    cpc("render", "berkshire", "--format", "html", "--as-of", AS_OF, *sources, "-o", str(page))
    return page


def compare(work: Path) -> Path:
    page = work / "compare.html"
    cpc("compare", "england", "berkshire", "hampshire", "--format", "html", "--as-of", AS_OF, "-o", str(page))
    return page


def report(work: Path) -> Path:
    results, page = work / "results.jsonl", work / "report.html"
    cases = ["--cases", "examples/cases", "--out", str(results), "--jobs", "1", "--exit-zero"]
    cpc("eval", "--policy", "berkshire", *cases, "--as-of", AS_OF)
    cpc("report", str(results), "--format", "html", "--out", str(page))
    return page


PAGES: dict[str, Callable[[Path], Path]] = {"berkshire": berkshire, "compare": compare, "report": report}


def screenshot(page: Path, shot: Path, profile: Path) -> None:
    """The top of ``page`` in a WINDOW-sized headless chromium, as a PNG at ``shot``."""
    width, height = WINDOW
    size = [f"--window-size={width},{height}", "--force-device-scale-factor=1", "--hide-scrollbars"]
    command = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *size, f"--screenshot={shot}", page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    if done.returncode != 0 or not shot.is_file():
        sys.exit(f"screenshots: chromium could not take {shot.name} (exit {done.returncode}):\n{done.stderr[-2000:]}")
    data = shot.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n" or struct.unpack(">II", data[16:24]) != WINDOW:
        sys.exit(f"screenshots: chromium wrote {shot.name}, but not as a {width}x{height} PNG")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", metavar="PAGE", help=f"{', '.join(PAGES)} (default: all)")
    names = parser.parse_args().pages or list(PAGES)
    unknown = [name for name in names if name not in PAGES]
    if unknown:
        parser.error(f"no page {', '.join(unknown)}: choose from {', '.join(PAGES)}")
    if not CHROMIUM.exists():
        sys.exit(f"screenshots: {CHROMIUM} is not installed (apt-get install chromium)")
    IMAGES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cpc-screenshots-") as temporary:
        work = Path(temporary)
        for name in names:
            shot = work / f"{name}.png"
            screenshot(PAGES[name](work), shot, work / f"profile-{name}")
            target = IMAGES / shot.name
            shutil.copyfile(shot, target)
            size = target.stat().st_size
            warning = f" (more than {LIMIT // 1000} KB: too heavy for the docs)" if size > LIMIT else ""
            print(f"wrote {target.relative_to(ROOT)}: {WINDOW[0]}x{WINDOW[1]}, {size // 1000} KB{warning}")


if __name__ == "__main__":
    main()
