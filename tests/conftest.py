"""Shared helpers: run the real `cpc` command as a user would, and write small policy trees."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"

# The start of a small national baseline, up to its `rules:` key: tests append the rules they are about.
ENGLAND_HEAD = """\
area: england
title: National baseline
version: "2023"
effective_from: 2023-12-15
sources:
  wt:
    title: National guidance
    file: wt.txt
    kind: statutory
rules:
"""

ENGLAND = (
    ENGLAND_HEAD
    + """\
  - id: icpc-timescale
    title: Initial conference within 15 working days of the strategy discussion.
    kind: deadline
    topic: timescales
    deadline:
      what: initial_conference
      within: 15 working days
      of: strategy_discussion
      statutory: maximum
    cite:
      source: wt
      quote: "should take place within 15 working days of the strategy discussion"
"""
)


@pytest.fixture
def run_cpc():
    """Run `cpc` in a subprocess, the way a user or CI does, and return the completed process."""

    def run(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
        environment = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "CPC_DEBUG")}
        environment.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "engine", *args],
            cwd=cwd or ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


@pytest.fixture
def policy_tree(tmp_path: Path):
    """Write ``{relative path: text}`` under tmp_path/policies and return that folder."""

    def write(files: dict[str, str]) -> Path:
        root = tmp_path / "policies"
        for relative, text in files.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return root

    return write
