"""`cpc show` marks where each rule comes from; `cpc new` writes a skeleton that lints clean.

The one-line descriptions `cpc show` prints (engine/policy/describe.py, also used by `cpc eval --explain` and
`cpc diff`) are tested here too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from engine.policy import describe

from .conftest import ENGLAND, ROOT

# One rule per construct of the policy language, with exceptions: see tests/data/diff/constructs/old.
CONSTRUCTS = ROOT / "tests" / "data" / "diff" / "constructs"

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


def test_show_lists_each_exception_under_its_base(run_cpc) -> None:
    result = run_cpc("show", "new", "--policies", str(CONSTRUCTS))
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if "cites " not in line and "reading: " not in line]
    start = lines.index("  after-birth-meeting [deadline, local]")
    assert lines[start : start + 6] == [
        "  after-birth-meeting [deadline, local]",
        "    After a pre-birth conference, a core group meets within 10 working days of the birth.",
        "    core_group_meeting within 10 working days of birth",
        "    after-birth-meeting-mother-unfit [deadline, local]",
        "      If the mother is not medically fit, the core group meets within 20 working days of the birth.",
        "      exception to after-birth-meeting: where mother.medically_fit is false: core_group_meeting within 20 "
        "working days of birth",
    ]
    assert "      exception to lower-bound: the rule does not apply where child.premature_birth_likely is true" in lines
    assert "    pre_birth_conference not before 22 weeks after pregnancy_start" in lines
    assert "    when: no strategy_meeting has happened since significant_change" in lines


def test_show_json_gives_an_exceptions_base_and_own_conditions(run_cpc) -> None:
    result = run_cpc("show", "new", "--policies", str(CONSTRUCTS), "--format", "json")
    rules = {r["id"]: r for r in json.loads(result.stdout)["rules"]}
    unfit = rules["after-birth-meeting-mother-unfit"]
    assert unfit["exception_of"] == "after-birth-meeting"
    assert unfit["exception_when"] == [{"fact": "mother.medically_fit", "equals": False}]
    assert unfit["summary"].startswith("exception to after-birth-meeting: where mother.medically_fit is false: ")
    assert rules["after-birth-meeting"]["exception_of"] is None
    assert rules["after-birth-meeting"]["exception_when"] == []
    order = list(rules)
    assert order.index("lower-bound-premature") == order.index("lower-bound") + 1


WITHIN = {"what": "initial_conference", "within": "15 working days", "of": "strategy_discussion"}


@pytest.mark.parametrize(
    ("deadline", "said"),
    [
        (
            {"what": "pre_birth_conference", "not_before": "20 weeks", "after": "pregnancy_start"},
            "pre_birth_conference not before 20 weeks after pregnancy_start",
        ),
        (
            {
                "what": "pre_birth_conference",
                "not_before": "20 weeks",
                "after": "pregnancy_start",
                "boundary": "exclusive",
            },
            "pre_birth_conference not before 20 weeks after pregnancy_start, after the earliest date, not on it",
        ),
        (
            {**WITHIN, "boundary": "exclusive"},
            "initial_conference within 15 working days of strategy_discussion, before the due date, not on it",
        ),
        (
            {**WITHIN, "whichever_later": [{"within": "15 working days", "of": "looked_after_review_decision"}]},
            "initial_conference within 15 working days of strategy_discussion, or within 15 working days of "
            "looked_after_review_decision if later",
        ),
        (
            {**WITHIN, "until": ["plan_end", "return_home"]},
            "initial_conference within 15 working days of strategy_discussion; the clock stops at plan_end or "
            "return_home",
        ),
        (
            {**WITHIN, "optional_when": [{"fact": "s47.no_conference", "equals": True, "recorded_by": "due"}]},
            "initial_conference within 15 working days of strategy_discussion; optional when s47.no_conference is "
            "true, recorded by the due date",
        ),
    ],
)
def test_a_deadline_is_described_in_one_line(deadline, said) -> None:
    assert describe.parameters({"kind": "deadline", "deadline": deadline}) == said


@pytest.mark.parametrize(
    ("cond", "said"),
    [
        ({"event": "strategy_meeting"}, "strategy_meeting has happened"),
        ({"event": "strategy_meeting", "happened": False}, "no strategy_meeting has happened"),
        (
            {"event": "strategy_meeting", "happened": False, "since": "significant_change"},
            "no strategy_meeting has happened since significant_change",
        ),
        (
            {"event": "birth", "within": "10 weeks", "of": "pre_birth_conference", "boundary": "exclusive"},
            "birth within 10 weeks of pre_birth_conference, before its last day",
        ),
        (
            {"any_of": [{"fact": "plan.ended_by", "equals": "manager"}, {"fact": "plan.open", "equals": False}]},
            "either plan.ended_by is manager or plan.open is false",
        ),
        (
            {"any_of": [{"fact": "child.unborn", "equals": True}, {"event": "birth"}, {"event": "return_home"}]},
            "either child.unborn is true, birth has happened or return_home has happened",
        ),
        (
            {"fact": "report.withholding_agreed", "equals": True, "recorded_by": "due"},
            "report.withholding_agreed is true, recorded by the due date",
        ),
        ({"fact": "report.agency", "equals": "police"}, "report.agency is police"),
    ],
)
def test_a_condition_is_described_in_one_line(cond, said) -> None:
    assert describe.condition(cond) == said


def test_an_exception_is_described_by_its_base_and_its_own_conditions() -> None:
    own = [{"fact": "mother.medically_fit", "equals": False}]
    rule = {
        "kind": "deadline",
        "exception_of": "pre-birth-after-birth-meeting",
        "when": [{"fact": "plan.first_conference_type", "equals": "pre_birth"}, *own],
        "deadline": {"what": "core_group_meeting", "within": "20 days", "of": "birth"},
    }
    assert describe.exception(rule, own) == (
        "exception to pre-birth-after-birth-meeting: where mother.medically_fit is false: core_group_meeting "
        "within 20 days of birth"
    )
    disapplies = {"kind": "deadline", "exception_of": "lower-bound", "disapplies": True}
    own = [{"fact": "child.premature_birth_likely", "equals": True}]
    assert describe.exception(disapplies, own) == (
        "exception to lower-bound: the rule does not apply where child.premature_birth_likely is true"
    )
    assert describe.parameters(disapplies) == "lower-bound does not apply"


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
    # The shipped areas are known too: a local folder may extend them.
    assert result.stderr == (
        f"cpc: no policy for area 'berkshir' in {root} or shipped with cpc (known: berkshire, england, hampshire)\n"
    )


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
    schema = root.parent / "schemas" / "policy.schema.json"
    assert result.stdout == (
        f"created {created}; check it with: cpc lint {created.parent}\n"
        f"created {schema}, the policy schema the skeleton's $schema header names, for editors\n"
    )
    assert created.read_text().startswith("# yaml-language-server: $schema=../../schemas/policy.schema.json\n")
    assert (created.parent / "../../schemas/policy.schema.json").read_text() == run_cpc("schema", "policy").stdout
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
    assert (result.returncode, result.stderr) == (
        2,
        f"cpc: 'scotland' is not an area in {root} or shipped with cpc (known: berkshire, england, hampshire)\n",
    )
    assert not (root / "west").exists()


# --- an area kept in its own repository ------------------------------------------------------------------


def test_an_area_in_its_own_repository_extends_the_installed_baseline(run_cpc, tmp_path) -> None:
    """An empty folder, as `git init` leaves it: the area's policy extends england from the installed cpc."""
    repo = tmp_path / "reading-procedures"
    repo.mkdir()
    made = run_cpc("new", "reading", "--extends", "england", cwd=repo)
    assert made.returncode == 0, made.stderr
    assert sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file()) == [
        "policies/reading/policy.yaml",
        "schemas/policy.schema.json",
    ]
    linted = run_cpc("lint", cwd=repo)
    assert (linted.returncode, linted.stdout) == (0, "All checks passed (1 file).\n")
    shown = run_cpc("show", "reading", cwd=repo)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    read_from = lines.index("read from:")
    assert lines[read_from + 1] == "  reading 0.1: policies/reading/policy.yaml"
    assert lines[read_from + 2].startswith("  england 2023: ")
    assert lines[read_from + 2].endswith("england/policy.yaml (shipped with cpc)")
    assert "  icpc-timescale [deadline, inherited from england]" in lines
    # The shipped areas' own tests run from there too.
    tested = run_cpc("test", "england", cwd=repo)
    assert tested.returncode == 0, tested.stdout
    assert re.match(r"england: (\d+) of \1 tests passed\n", tested.stdout), tested.stdout


def test_a_broken_policy_in_an_area_repository_fails_lint(run_cpc, tmp_path) -> None:
    repo = tmp_path / "reading-procedures"
    repo.mkdir()
    assert run_cpc("new", "reading", cwd=repo).returncode == 0
    policy = repo / "policies" / "reading" / "policy.yaml"
    policy.write_text(policy.read_text().replace("extends: england", "extends: englnd"))
    linted = run_cpc("lint", cwd=repo)
    assert linted.returncode == 1
    assert "CPC204" in linted.stdout


def test_a_local_folder_wins_over_the_shipped_area_of_the_same_name(run_cpc, policy_tree) -> None:
    local_england = ENGLAND.replace('version: "2023"', 'version: "local-copy"')
    assert local_england != ENGLAND
    root = policy_tree({"england/policy.yaml": local_england, "westshire/policy.yaml": LOCAL})
    shown = run_cpc("show", "westshire", "--policies", str(root), "--format", "json")
    files = json.loads(shown.stdout)["files"]
    assert [(f["area"], f["version"], f["shipped"]) for f in files] == [
        ("westshire", "2", False),
        ("england", "local-copy", False),
    ]
    assert files[1]["file"] == str(root / "england" / "policy.yaml")


def test_schema_write_keeps_an_area_repositorys_copy_and_never_clobbers_it(run_cpc, tmp_path) -> None:
    printed = run_cpc("schema", "policy").stdout
    first = run_cpc("schema", "policy", "--write", cwd=tmp_path)
    target = tmp_path / "schemas" / "policy.schema.json"
    assert (first.returncode, first.stdout, target.read_text()) == (0, "wrote schemas/policy.schema.json\n", printed)
    again = run_cpc("schema", "policy", "--write", cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, "schemas/policy.schema.json is up to date\n")
    target.write_text('{"an": "older schema"}')
    refused = run_cpc("schema", "policy", "--write", cwd=tmp_path)
    assert refused.returncode == 2
    assert "pass --force to replace it" in refused.stderr
    assert target.read_text() == '{"an": "older schema"}'
    forced = run_cpc("schema", "policy", "--write", "--force", cwd=tmp_path)
    assert (forced.returncode, target.read_text()) == (0, printed)


def test_new_says_when_the_schema_beside_it_is_not_this_cpcs(run_cpc, tmp_path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "policy.schema.json").write_text("{}")
    made = run_cpc("new", "reading", cwd=tmp_path)
    assert made.returncode == 0
    assert "schemas/policy.schema.json differs from this cpc's policy schema" in made.stderr
    assert (tmp_path / "schemas" / "policy.schema.json").read_text() == "{}"


def test_a_local_copy_of_a_shipped_area_replaces_it_wherever_the_shipped_folder_sorts(tmp_path, monkeypatch) -> None:
    # An editable install in a checkout ships the checkout's own policies/; a local folder whose path sorts
    # after it must still take the area's place, as it does beside an installed wheel.
    import shutil

    from engine.policy import policies
    from engine.policy.lint import runner

    shipped = tmp_path / "a-shipped" / "policies"
    shutil.copytree(ROOT / "policies", shipped)
    local = tmp_path / "z-local" / "policies"
    (local / "berkshire").mkdir(parents=True)
    shutil.copy(ROOT / "policies" / "berkshire" / "policy.yaml", local / "berkshire" / "policy.yaml")
    for module in (policies, runner):
        monkeypatch.setattr(module, "shipped_policies", lambda: shipped.resolve())
    policy = policies.open_policy("berkshire", local)
    assert [Path(p.file).resolve().parent.parent for p in policy.chain] == [shipped.resolve(), local.resolve()]
