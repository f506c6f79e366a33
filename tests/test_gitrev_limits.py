"""A policy read at a git revision is held to the same limits as one read from disk (docs/reliability.md)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .conftest import ENGLAND


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def test_a_policy_over_the_size_limit_at_a_revision_is_refused_before_it_is_read(tmp_path: Path, run_cpc) -> None:
    policy = tmp_path / "policies" / "england" / "policy.yaml"
    policy.parent.mkdir(parents=True)
    # Six megabytes of comment: valid YAML, over the 5 MB limit a file on disk is held to.
    policy.write_text(ENGLAND + "#" + "x" * 6_000_000 + "\n", encoding="utf-8")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "-c", "user.email=t@example.org", "-c", "user.name=t", "add", ".")
    _git(tmp_path, "-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-q", "-m", "big")
    on_disk = run_cpc("lint", "policies", cwd=tmp_path)
    assert "CPC004" in on_disk.stdout
    # On disk the policy is now small again; only the committed one is over the limit.
    policy.write_text(ENGLAND, encoding="utf-8")
    at_revision = run_cpc("diff", "england@HEAD", "england", cwd=tmp_path)
    assert at_revision.returncode == 2, at_revision.stdout
    assert "CPC004" in at_revision.stderr and "over the 5,242,880-byte limit" in at_revision.stderr
