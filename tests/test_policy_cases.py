"""Every area's policy tests (policies/<area>/tests/*.yaml) run as pytest items, and cover every rule."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path

import pytest

from engine.caseload.policytests import area_test_files, run_area, run_test
from engine.evaluation.api import load_policy
from engine.evaluation.case_files import check_case, read_case
from engine.policy.yamlload import Document, jsonable, load_file

from .conftest import ENGLAND, ROOT

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


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, id=f"{p.parent.parent.name}/{p.stem}") for a in AREAS for p in area_test_files(POLICIES / a)],
)
def test_the_case_as_json_gives_what_the_case_as_yaml_gives(path: Path) -> None:
    # Policy tests are YAML, whose dates arrive as dates; JSON Lines caseloads and the API's mappings carry
    # them as strings. A date field the JSON reading missed would switch a rule off there and nowhere else.
    spec = load_file(path).data
    if "case" not in spec:
        pytest.skip("the test names a case file")
    as_of = dt.date.fromisoformat(str(spec["as_of"]))
    evaluator = _policy(path.parent.parent.name).evaluator(as_of)
    as_yaml = check_case(Document(str(path), spec["case"]))
    as_json = read_case(json.loads(json.dumps(jsonable(spec["case"]))))
    assert evaluator.evaluate(as_json, as_of).to_dict() == evaluator.evaluate(as_yaml, as_of).to_dict()


def test_a_test_naming_a_rule_or_key_that_does_not_exist_fails_rather_than_passing_vacuously(
    policy_tree, run_cpc
) -> None:
    vacuous = (
        "name: icpc overdue\nas_of: 2025-06-02\n"
        "case:\n  id: c\n  s47: {strategy_discussion: 2025-03-03}\n"
        "expect:\n  - {rule: icpc-timescale, status: overdue, earliest: 2025-03-24}\n"
        "absent: [icpc-timescal]\n"
    )
    root = policy_tree({"england/policy.yaml": ENGLAND, "england/tests/vacuous.yaml": vacuous})
    result = run_cpc("test", "england", "--policies", str(root))
    assert result.returncode == 1, result.stdout
    assert "no rule 'icpc-timescal' in this policy (did you mean 'icpc-timescale'?)" in result.stdout
    assert "earliest None, expected '2025-03-24'" in result.stdout
