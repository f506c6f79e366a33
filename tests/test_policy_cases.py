"""Every area's policy tests (policies/<area>/tests/*.yaml) run as pytest items, and cover every rule."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from engine.api import load_policy
from engine.policytests import area_test_files, run_area, run_test

from .conftest import ROOT

POLICIES = ROOT / "policies"
AREAS = sorted(p.name for p in POLICIES.iterdir() if p.is_dir())


@cache
def _policy(area: str):
    return load_policy(area, policies_dir=POLICIES)


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, id=f"{p.parent.parent.name}/{p.stem}") for a in AREAS for p in area_test_files(POLICIES / a)],
)
def test_policy_case(path: Path) -> None:
    outcome = run_test(path, _policy(path.parent.parent.name))
    assert outcome.passed, f"{path}: {outcome.name}\n" + "\n".join(outcome.failures)


@pytest.mark.parametrize("area", AREAS)
def test_every_rule_of_the_area_is_exercised_by_a_test(area: str) -> None:
    report = run_area(POLICIES / area, POLICIES)
    assert report.uncovered == [], f"{area}: no test exercises {', '.join(report.uncovered)}"
