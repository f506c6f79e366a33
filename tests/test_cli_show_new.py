"""`cpc show` marks where each rule comes from; `cpc new` writes a skeleton that lints clean."""

from __future__ import annotations

import json

from .conftest import ENGLAND

LOCAL = """\
area: westshire
title: Westshire procedure
version: "2"
effective_from: 2025-01-01
extends: england
sources:
  west:
    title: Westshire
    file: west.txt
overrides:
  - id: icpc-timescale
    deadline:
      within: 10 working days
    cite:
      source: west
      quote: "within 10 working days of the strategy discussion"
rules:
  - id: local-only
    title: The plan is discussed with parents within 20 working days.
    kind: deadline
    topic: plans
    deadline:
      what: plan_discussed_with_parents
      within: 20 working days
      of: first_conference
    cite:
      source: west
      quote: "discussed with the parents within 20 working days"
"""


def test_show_marks_local_overridden_and_inherited_rules(run_cpc, policy_tree) -> None:
    root = policy_tree({"england/policy.yaml": ENGLAND, "westshire/policy.yaml": LOCAL})
    result = run_cpc("show", "westshire", "--policies", str(root))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "Westshire procedure",
        "area westshire, version 2, in force from 2025-01-01",
        "builds on: england 2023",
        "2 rules: 1 local, 1 overridden locally, 0 inherited",
    ]
    assert "  icpc-timescale [deadline, westshire overrides england: deadline.within]" in lines
    assert "    initial_conference within 10 working days of strategy_discussion (statutory maximum)" in lines
    assert "  local-only [deadline, local]" in lines


def test_show_of_the_baseline_inherits_nothing_and_json_says_so(run_cpc, policy_tree) -> None:
    root = policy_tree({"england/policy.yaml": ENGLAND, "westshire/policy.yaml": LOCAL})
    result = run_cpc("show", "westshire", "--policies", str(root), "--format", "json")
    payload = json.loads(result.stdout)
    rules = {r["id"]: r for r in payload["rules"]}
    assert rules["icpc-timescale"]["origin"] == "overridden"
    assert rules["icpc-timescale"]["local_keys"] == ["cite", "deadline.within"]
    assert rules["icpc-timescale"]["rule"]["deadline"]["statutory"] == "maximum"
    assert rules["local-only"]["defined_in"] == "westshire"
    assert payload["extends"] == ["england"]


def test_show_of_a_shipped_area_says_which_national_rules_hampshire_inherits(run_cpc) -> None:
    result = run_cpc("show", "hampshire")
    assert result.returncode == 0
    assert "  icpc-timescale [deadline, inherited from england]" in result.stdout
    assert "  review-interval [deadline, hampshire restates england's values with its own citation]" in result.stdout


def test_show_of_an_unknown_area_names_the_known_ones(run_cpc, policy_tree) -> None:
    root = policy_tree({"england/policy.yaml": ENGLAND})
    result = run_cpc("show", "berkshir", "--policies", str(root))
    assert result.returncode == 2
    assert result.stderr == f"cpc: no policy for area 'berkshir' in {root} (known: england)\n"


def test_show_refuses_a_policy_with_lint_errors_and_says_where(run_cpc, policy_tree) -> None:
    broken = LOCAL.replace("within: 10 working days", "within: 30 working days")
    root = policy_tree({"england/policy.yaml": ENGLAND, "westshire/policy.yaml": broken})
    result = run_cpc("show", "westshire", "--policies", str(root))
    assert result.returncode == 2
    assert "has 2 lint error(s)" in result.stderr
    assert f"{root / 'westshire' / 'policy.yaml'}:13:15: CPC302" in result.stderr


def test_new_writes_a_skeleton_that_lints_clean_and_inherits_everything(run_cpc, policy_tree) -> None:
    root = policy_tree({"england/policy.yaml": ENGLAND})
    result = run_cpc("new", "north-east", "--extends", "england", "--policies", str(root))
    assert result.returncode == 0, result.stderr
    created = root / "north-east" / "policy.yaml"
    assert result.stdout == f"created {created}; check it with: cpc lint {created.parent}\n"
    assert created.read_text().startswith("# yaml-language-server: $schema=../../schemas/policy.schema.json\n")
    assert run_cpc("lint", str(root)).returncode == 0
    shown = run_cpc("show", "north-east", "--policies", str(root))
    assert "  icpc-timescale [deadline, inherited from england]" in shown.stdout


def test_new_never_overwrites(run_cpc, policy_tree) -> None:
    root = policy_tree({"england/policy.yaml": ENGLAND, "westshire/policy.yaml": LOCAL})
    result = run_cpc("new", "westshire", "--policies", str(root))
    assert result.returncode == 2
    assert "already exists; nothing was written" in result.stderr
    assert (root / "westshire" / "policy.yaml").read_text() == LOCAL


def test_new_refuses_a_bad_name_or_base(run_cpc, policy_tree) -> None:
    root = policy_tree({"england/policy.yaml": ENGLAND})
    assert "is not an area name" in run_cpc("new", "West Shire", "--policies", str(root)).stderr
    result = run_cpc("new", "west", "--extends", "scotland", "--policies", str(root))
    assert (result.returncode, result.stderr) == (2, f"cpc: 'scotland' has no policy folder in {root}\n")
    assert not (root / "west").exists()
