"""`cpc diff`: the changes between two resolved policies, their renderings, git revisions, and the impact on cases.

Golden files under tests/data/diff/ hold the output for the shipped policies and for the fixture pair
tests/data/diff/policies/{before,after}, which between them show every kind of change. After a deliberate
change, regenerate them with CPC_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from engine.cli.diff_command import diff
from engine.evaluation.results import Evaluation, Result, Subject
from engine.policy.policies import open_policy
from engine.review.diff import Diff, diff_policies
from engine.review.diff_formats import render, render_text
from engine.review.impact import Impact, Movement, Shift, compare_cases, read_cases
from engine.review.impact import render_text as impact_text

from .conftest import ROOT

DATA = Path(__file__).parent / "data" / "diff"
FIXTURES = DATA / "policies"
CASES = DATA / "cases"
AS_OF = "2026-06-30"


def check_golden(name: str, actual: str) -> None:
    path = DATA / name
    if os.environ.get("CPC_UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
        return
    assert path.is_file(), f"{path} is missing; run the tests with CPC_UPDATE_GOLDEN=1 to write it"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs; CPC_UPDATE_GOLDEN=1 rewrites it"


@pytest.fixture
def at_root(monkeypatch):
    """Run from the project root, so paths (and the file names in JSON) are relative and stable."""
    monkeypatch.chdir(ROOT)


def invoke(*args: str):
    return CliRunner().invoke(diff, list(args))


@pytest.fixture(scope="module")
def fixture_diff() -> Diff:
    return diff_policies(open_policy("before", FIXTURES), open_policy("after", FIXTURES), "before", "after")


# --- Golden outputs ---------------------------------------------------------------------------------------

SUFFIX = {"text": "txt", "markdown": "md", "json": "json"}


@pytest.fixture(scope="module")
def shipped() -> Diff:
    """berkshire against hampshire, opened from the project root as `cpc diff berkshire hampshire` does."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        old, new = open_policy("berkshire", "policies"), open_policy("hampshire", "policies")
    return diff_policies(old, new, "berkshire", "hampshire")


def test_berkshire_against_hampshire_text(at_root):
    result = invoke("berkshire", "hampshire", "--policies", "policies")
    assert result.exit_code == 0, result.output
    check_golden("berkshire-hampshire.txt", result.stdout)


@pytest.mark.parametrize("fmt", ["markdown", "json"])
def test_berkshire_against_hampshire(shipped, fmt):
    check_golden(f"berkshire-hampshire.{SUFFIX[fmt]}", render(shipped, fmt))


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_fixture_pair(at_root, fmt):
    result = invoke("before", "after", "--policies", str(FIXTURES.relative_to(ROOT)), "--format", fmt)
    assert result.exit_code == 0, result.output
    check_golden(f"before-after.{SUFFIX[fmt]}", result.stdout)


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_fixture_pair_with_cases(at_root, fmt):
    folder = str(CASES.relative_to(ROOT))
    policies = str(FIXTURES.relative_to(ROOT))
    result = invoke("before", "after", "--policies", policies, "--cases", folder, "--as-of", AS_OF, "--format", fmt)
    # c5-broken.yaml cannot be evaluated: reported, and the exit code says so.
    assert result.exit_code == 2, result.output
    check_golden(f"before-after-cases.{SUFFIX[fmt]}", result.stdout)


def test_berkshire_against_hampshire_finds_what_the_texts_imply(shipped):
    """Every difference between Pan-Berkshire (004) and HIPS (003), and nothing else."""
    found = shipped
    by_section = {name: sorted({c.rule for c in found.section(name)}) for name in found.counts()}
    # HIPS is silent on transfers, so the national 15 (calendar) days apply, not Berkshire's 15 working days;
    # and it has no "reason no longer applies" route to end a plan.
    assert by_section["stricter"] == ["plan-ending-criteria", "transfer-in-timescale"]
    assert by_section["looser"] == [] and by_section["overlaps"] == [] and by_section["added"] == []
    # At 18 HIPS inherits the national review; Berkshire lets the plan be discontinued.
    assert by_section["changed"] == ["plan-end-at-18"]
    berkshire = open_policy("berkshire", ROOT / "policies", check=False)
    assert by_section["withdrawn"] == sorted(r.id for r in berkshire.rules.values() if r.origin == "local")
    # Berkshire restates two national timescales in its own words that HIPS leaves to the baseline.
    origin_only = [c.rule for c in found.section("origin") if c.note.endswith("(the values are the same)")]
    assert sorted(origin_only) == ["first-core-group", "icpc-timescale"]
    # Both restate the review timescales, each quoting its own text.
    assert {"first-review-timescale", "review-interval"} <= set(by_section["citation"])


# --- Each kind of change ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "section", "words"),
    [
        ("amendment-request-window", "added", "within 5 working days of documentation_received"),
        ("documents-sent", "withdrawn", "documents_sent within 24 hours of conference"),
        ("plan-end-at-18", "withdrawn", "after withdraws it: The local text ends plans at 18 without a review."),
        # A change of unit: 15 days always spans fewer calendar days than 15 working days.
        ("transfer-in-timescale", "stricter", "15 working days → 15 days (a shorter time limit"),
        ("quorum", "stricter", "conference.other_agencies_present is at least 2 → 3 (harder to satisfy)"),
        ("exclusion-request-notice", "stricter", "3 working days → 5 working days (a longer notice period)"),
        ("core-group-timescale", "looser", "10 working days → 12 working days (a longer time limit)"),
        ("plan-ending-criteria", "looser", "plan.end_reason may also be left_uk (easier to satisfy)"),
        ("report-to-chair", "looser", "conference.type may no longer be initial (applies in fewer cases)"),
        ("first-review-timescale", "overlaps", "3 months → 13 weeks (91 calendar days against 89 to 92"),
        ("child-attendance", "changed", "conference.child_age_years is at least 12 → 11"),
        ("quorum", "citation", "drops 1 quote, adds 1 quote"),
        ("icpc-timescale", "origin", "before restates england's values with its own citation → inherited from"),
        ("cin-review", "wording", "written 6 weeks → 42 days (the same span)"),
        ("report-to-chair", "wording", 'title: "…working days before an initial or review conference."'),
    ],
)
def test_each_kind_of_change(fixture_diff, rule, section, words):
    notes = [c.note for c in fixture_diff.section(section) if c.rule == rule]
    assert any(words in note for note in notes), notes


def test_reversing_the_pair_swaps_stricter_and_looser_and_added_and_withdrawn():
    old, new = open_policy("before", FIXTURES), open_policy("after", FIXTURES)
    forward, backward = diff_policies(old, new), diff_policies(new, old)
    swap = {"stricter": "looser", "looser": "stricter", "added": "withdrawn", "withdrawn": "added"}
    flipped = sorted((c.rule, c.path, swap.get(c.section, c.section)) for c in forward.changes)
    assert flipped == sorted((c.rule, c.path, c.section) for c in backward.changes)


def test_a_policy_against_itself_has_no_differences(at_root):
    result = invoke("berkshire", "policies/berkshire/policy.yaml", "--exit-code")
    assert result.exit_code == 0
    assert result.stdout == "berkshire (v97) → policies/berkshire/policy.yaml (berkshire v97): no differences\n"


# --- Reordering, comments and formatting ------------------------------------------------------------------


def _shuffled(value: object, rng: random.Random) -> object:
    """The same data with every mapping's keys and every list's items in another order."""
    if isinstance(value, dict):
        items = [(k, _shuffled(v, rng)) for k, v in value.items()]
        rng.shuffle(items)
        return dict(items)
    if isinstance(value, list):
        items = [_shuffled(v, rng) for v in value]
        rng.shuffle(items)
        return items
    return value


def test_reordering_comments_and_formatting_give_no_difference(tmp_path):
    """Every shipped policy rewritten: keys, rules, conditions, citations and lists shuffled, comments
    dropped, flow style and other quoting; each against the original gives no difference."""
    rng = random.Random(97)
    for area in ("england", "berkshire", "hampshire"):
        data = yaml.safe_load((ROOT / "policies" / area / "policy.yaml").read_text(encoding="utf-8"))
        target = tmp_path / "policies" / area / "policy.yaml"
        target.parent.mkdir(parents=True)
        text = yaml.safe_dump(_shuffled(data, rng), default_flow_style=True, width=70, allow_unicode=True)
        target.write_text("# reformatted\n" + text, encoding="utf-8")
    # england's rules are compared too, as the rules berkshire and hampshire inherit.
    for area in ("berkshire", "hampshire"):
        # Linting is not what is tested here (the command below lints): it would only slow the loop down.
        shipped = open_policy(area, ROOT / "policies", check=False)
        found = diff_policies(shipped, open_policy(area, tmp_path / "policies", check=False))
        assert found.changes == (), [c.note for c in found.changes]
    result = invoke("berkshire", str(tmp_path / "policies" / "berkshire" / "policy.yaml"), "--exit-code")
    assert result.exit_code == 0 and result.stdout.endswith(": no differences\n")


# --- The constructs of the policy language, one rule each ------------------------------------------------

CONSTRUCTS = DATA / "constructs"


@pytest.fixture(scope="module")
def constructs() -> Diff:
    return diff_policies(open_policy("old", CONSTRUCTS), open_policy("new", CONSTRUCTS), "old", "new")


def test_constructs_pair_text(at_root):
    result = invoke("old", "new", "--policies", str(CONSTRUCTS.relative_to(ROOT)))
    assert result.exit_code == 0, result.output
    check_golden("constructs.txt", result.stdout)


@pytest.mark.parametrize(
    ("rule", "section", "words"),
    [
        # A lower bound raised: fewer dates are allowed.
        ("lower-bound", "stricter", "deadline.not_before: 20 weeks → 22 weeks (a longer wait before it may happen)"),
        ("boundary-day", "stricter", "deadline.boundary: inclusive → exclusive (the due date itself is now late)"),
        (
            "sooner-or-later",
            "looser",
            "deadline: whichever is sooner → whichever is later: within 15 working days of transfer_accepted → "
            "within 15 working days of transfer_accepted (the latest due date applies now",
        ),
        ("later-clock", "looser", "adds a clock, within 15 working days of looked_after_review_decision if later"),
        ("stops-at-plan-end", "looser", "deadline.until: the clock now also stops at plan_end"),
        (
            "excused-when-recorded",
            "stricter",
            "deadline.optional_when: s47.no_conference is true now only when recorded by the due date "
            "(the event is excused in fewer cases)",
        ),
        # Follows the existing vocabulary for `when`: an obligation applying in more cases is stricter.
        (
            "either-condition",
            "stricter",
            "when: child.unborn is true → either child.unborn is true or child.premature_birth_likely is true "
            "(applies in more cases)",
        ),
        (
            "no-meeting-since",
            "changed",
            "when: no strategy_meeting has happened → no strategy_meeting has happened since significant_change",
        ),
        (
            "after-birth-meeting-mother-unfit",
            "looser",
            "adds an exception to after-birth-meeting where mother.medically_fit is false: "
            "deadline.within: 10 working days → 20 working days (a longer time limit)",
        ),
        (
            "lower-bound-premature",
            "looser",
            "adds an exception to lower-bound where child.premature_birth_likely is true: lower-bound does not "
            "apply there",
        ),
        (
            "review-interval-looked-after",
            "stricter",
            "drops the exception to review-interval where child.looked_after is true: review-interval applies "
            "there again: deadline.within: 9 months → 6 months (a shorter time limit)",
        ),
        # A looser exception whose own condition holds in more cases spreads its looser limit.
        (
            "plan-discussed-older-child",
            "looser",
            "when: child.age_years is at least 16 → 14 (the exception applies in more cases)",
        ),
    ],
)
def test_each_construct(constructs, rule, section, words):
    notes = [c.note for c in constructs.section(section) if c.rule == rule]
    assert any(words in note for note in notes), (rule, [(c.section, c.note) for c in constructs.changes])


def test_the_constructs_pair_reversed_swaps_stricter_and_looser():
    old, new = open_policy("old", CONSTRUCTS), open_policy("new", CONSTRUCTS)
    forward, backward = diff_policies(old, new), diff_policies(new, old)
    swap = {"stricter": "looser", "looser": "stricter", "added": "withdrawn", "withdrawn": "added"}
    flipped = sorted((c.rule, c.path, swap.get(c.section, c.section)) for c in forward.changes)
    assert flipped == sorted((c.rule, c.path, c.section) for c in backward.changes)


def test_an_exception_added_with_its_base_is_simply_added(tmp_path):
    """Only an exception to a rule both sides have is judged against it; with a new base both are new."""
    text = (CONSTRUCTS / "new" / "policy.yaml").read_text(encoding="utf-8")
    (tmp_path / "bare").mkdir()
    bare = text.replace("area: new", "area: bare", 1)
    cut = bare.index("  # The base of an exception")
    (tmp_path / "bare" / "policy.yaml").write_text(bare[:cut], encoding="utf-8")
    found = diff_policies(open_policy("bare", tmp_path, check=False), open_policy("new", CONSTRUCTS))
    assert {c.rule: c.section for c in found.section("added")} == {
        "after-birth-meeting": "added",
        "after-birth-meeting-mother-unfit": "added",
        "plan-discussed": "added",
        "plan-discussed-older-child": "added",
        "review-interval": "added",
    }
    said = next(c.note for c in found.changes if c.rule == "after-birth-meeting-mother-unfit")
    assert said == (
        "[deadline, plans] exception to after-birth-meeting: where mother.medically_fit is false: "
        "core_group_meeting within 20 working days of birth"
    )


# --- Judgements on parameter blocks -----------------------------------------------------------------------


def _judged(parts) -> list[tuple[str, str]]:
    return [(p.verdict, p.note) for p in parts]


WITHIN = {"what": "initial_conference", "within": "15 working days", "of": "strategy_discussion"}


@pytest.mark.parametrize(
    ("old", "new", "verdict"),
    [
        # A lower bound: longer is stricter, shorter looser; in other units it may depend on the dates.
        ({"not_before": "3 months"}, {"not_before": "4 months"}, "stricter"),
        ({"not_before": "20 weeks"}, {"not_before": "19 weeks"}, "looser"),
        ({"not_before": "3 months"}, {"not_before": "13 weeks"}, "overlaps"),
        # The boundary day: exclusive is stricter for a maximum, a notice and a lower bound alike.
        ({**WITHIN}, {**WITHIN, "boundary": "exclusive"}, "stricter"),
        ({**WITHIN, "boundary": "exclusive"}, {**WITHIN, "boundary": "inclusive"}, "looser"),
        ({"not_before": "20 weeks"}, {"not_before": "20 weeks", "boundary": "exclusive"}, "stricter"),
        # Another later clock can only put the due date back; dropping one brings it forward.
        ({**WITHIN}, {**WITHIN, "whichever_later": [{"within": "1 month", "of": "birth"}]}, "looser"),
        ({**WITHIN, "whichever_later": [{"within": "1 month", "of": "birth"}]}, {**WITHIN}, "stricter"),
        (
            {**WITHIN, "whichever_later": [{"within": "1 month", "of": "birth"}]},
            {**WITHIN, "whichever_later": [{"within": "2 months", "of": "birth"}]},
            "looser",
        ),
        # Later to sooner, the own clock kept: the due date can only come forward.
        (
            {**WITHIN, "whichever_later": [{"within": "1 month", "of": "birth"}]},
            {**WITHIN, "whichever_sooner": [{"within": "2 months", "of": "birth"}]},
            "stricter",
        ),
        # With the own clock changed as well, the switch cannot be weighed on its own.
        (
            {**WITHIN, "whichever_sooner": [{"within": "1 month", "of": "birth"}]},
            {**WITHIN, "within": "10 working days", "whichever_later": [{"within": "1 month", "of": "birth"}]},
            "changed",
        ),
        # until: each event that can stop the clock lets the deadline end without its event.
        ({**WITHIN}, {**WITHIN, "until": "plan_end"}, "looser"),
        ({**WITHIN, "until": ["plan_end", "return_home"]}, {**WITHIN, "until": "plan_end"}, "stricter"),
        ({**WITHIN, "until": "plan_end"}, {**WITHIN, "until": "return_home"}, "changed"),
    ],
)
def test_deadline_parameters_are_judged_by_which_way_they_bind(old, new, verdict):
    from engine.review.diff_parameters import _deadline

    parts = list(_deadline(old, new))
    # The own clock's change, when there is one, is judged apart from the switch between sooner and later.
    judged = {p.verdict for p in parts if p.path != "deadline.within"}
    assert judged == {verdict}, _judged(parts)


@pytest.mark.parametrize(
    ("old", "new", "polarity", "verdict"),
    [
        # recorded_by: due makes an excuse harder to hold: stricter in optional_when (polarity 1).
        (
            {"fact": "s47.no_conference", "equals": True},
            {"fact": "s47.no_conference", "equals": True, "recorded_by": "due"},
            1,
            "stricter",
        ),
        (
            {"fact": "s47.no_conference", "equals": True, "recorded_by": "due"},
            {"fact": "s47.no_conference", "equals": True},
            1,
            "looser",
        ),
        # any_of members added: easier to hold; in an obligation's `when` (polarity -1) it applies more widely.
        (
            {"any_of": [{"fact": "child.unborn", "equals": True}, {"fact": "child.care_order", "equals": True}]},
            {
                "any_of": [
                    {"fact": "child.unborn", "equals": True},
                    {"fact": "child.care_order", "equals": True},
                    {"fact": "child.looked_after", "equals": True},
                ]
            },
            -1,
            "stricter",
        ),
        (
            {"any_of": [{"fact": "child.unborn", "equals": True}, {"fact": "child.care_order", "equals": True}]},
            {"any_of": [{"fact": "child.unborn", "equals": True}, {"fact": "child.looked_after", "equals": True}]},
            -1,
            "changed",
        ),
        # In a decision's `when` there is no direction.
        (
            {"fact": "child.unborn", "equals": True},
            {"any_of": [{"fact": "child.unborn", "equals": True}, {"fact": "child.care_order", "equals": True}]},
            None,
            "changed",
        ),
        # An exclusive boundary on a timed event makes the condition harder to hold.
        (
            {"event": "birth", "within": "10 weeks", "of": "pre_birth_conference"},
            {"event": "birth", "within": "10 weeks", "of": "pre_birth_conference", "boundary": "exclusive"},
            1,
            "stricter",
        ),
        # "E has not happened" is another condition from "E has happened": one dropped, one added.
        ({"event": "strategy_meeting"}, {"event": "strategy_meeting", "happened": False}, None, "changed"),
    ],
)
def test_conditions_are_judged_by_how_easily_they_hold(old, new, polarity, verdict):
    from engine.review.diff_values import _conditions

    parts = list(_conditions([old], [new], "when", polarity))
    assert {p.verdict for p in parts} == {verdict}, _judged(parts)
    assert len(parts) == (2 if "happened" in new and "happened" not in old else 1), _judged(parts)


# --- The command ------------------------------------------------------------------------------------------


def test_exit_code_is_one_only_when_asked_and_they_differ():
    fixtures = ("--policies", str(FIXTURES))
    assert invoke("before", "after", *fixtures).exit_code == 0
    assert invoke("before", "after", "--exit-code", *fixtures).exit_code == 1
    assert invoke("after", "after", "--exit-code", *fixtures).exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere", "hampshire"], "cpc: no policy for area 'nowhere'"),
        (["missing/policy.yaml", "berkshire"], "cpc: missing/policy.yaml: no such policy file"),
        (["berkshire", "hampshire", "--as-of", AS_OF], "cpc: --as-of is the evaluation date of --cases"),
        (["berkshire", "hampshire", "--cases", "nowhere"], "cpc: --cases nowhere: no such file or folder"),
        (["berkshire", "hampshire", "--cases", "README.md"], "cpc: --cases README.md: give a folder"),
        (["berkshire", "hampshire", "--cases", "docs"], "cpc: --cases docs: no cases found"),
        (["berkshire@", "hampshire"], "cpc: berkshire@: write AREA@REVISION"),
    ],
)
def test_usage_errors_exit_2(at_root, args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message), result.stderr


def test_colour_only_when_asked(fixture_diff):
    assert "\033[" not in render_text(fixture_diff)
    coloured = render_text(fixture_diff, color=True)
    assert "\033[1;33mStricter in after (3)\033[0m" in coloured
    # CliRunner's stdout is not a terminal: no colour.
    assert "\033[" not in invoke("before", "after", "--policies", str(FIXTURES)).stdout


def test_markdown_escapes_table_cells(fixture_diff):
    from dataclasses import replace

    from engine.review.diff_formats import render_markdown

    change = replace(fixture_diff.changes[0], note="a | b\nc")
    text = render_markdown(replace(fixture_diff, changes=(change,)))
    assert "a \\| b c |" in text


# --- Git revisions ----------------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=cpc tests", "-c", "user.email=cpc@example.org", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git repository with the fixture policies committed twice: `before` as committed, then changed."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES, root / "policies")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "policies")
    _git(root, "commit", "-q", "-m", "policies")
    policy = root / "policies" / "before" / "policy.yaml"
    # The local quorum becomes stricter, and the national baseline's transfer limit changes under it.
    policy.write_text(
        policy.read_text(encoding="utf-8")
        + """
  - id: quorum-three
    title: A local quorum of three other agencies.
    kind: requirement
    topic: quorum
    requirement:
      applies_to: conference
      require:
        - fact: conference.other_agencies_present
          at_least: 3
    cite:
      source: local
      quote: "at least three other agencies"
""",
        encoding="utf-8",
    )
    england = root / "policies" / "england" / "policy.yaml"
    england.write_text(
        england.read_text(encoding="utf-8")
        .replace("within: 3 months", "within: 2 months")
        .replace("within three months of the initial", "within two months of the initial"),
        encoding="utf-8",
    )
    _git(root, "commit", "-q", "-am", "change")
    monkeypatch.chdir(root)
    return root


def test_area_at_a_revision(repo):
    result = invoke("before@HEAD~1", "before", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["old"]["label"] == "before@HEAD~1"
    assert data["old"]["file"] == "policies/before/policy.yaml@HEAD~1"
    found = {(c["rule"], c["section"]) for c in data["changes"]}
    # The base changed too, and inheritance resolves against the base as it was at each revision.
    assert found == {
        ("quorum-three", "added"),
        ("first-review-timescale", "stricter"),
        ("first-review-timescale", "citation"),
    }


def test_file_at_a_revision(repo):
    result = invoke("policies/before/policy.yaml@HEAD~1", "policies/before/policy.yaml", "--exit-code")
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith(
        "policies/before/policy.yaml@HEAD~1 (before v1) → policies/before/policy.yaml (before v1)\n"
    )
    assert "  quorum-three: [requirement, quorum]" in result.stdout
    # The same revision on both sides.
    same = invoke("before@main", "policies/before/policy.yaml@HEAD", "--exit-code")
    assert same.exit_code == 0 and same.stdout.endswith("no differences\n")


def test_revisions_feed_the_impact_too(repo):
    result = invoke("before@HEAD~1", "before", "--cases", str(CASES), "--as-of", AS_OF)
    assert "quorum-three: 2 cases go from no result to met (c1-transfer-late, c2-transfer-on-time)" in result.stdout
    assert "quorum-three: 1 case goes from no result to breached (c3-two-agencies)" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["before@no-such-rev", "before"], "cpc: before@no-such-rev: unknown revision 'no-such-rev'"),
        (
            ["policies/gone/policy.yaml@HEAD", "before"],
            "cpc: policies/gone/policy.yaml@HEAD: policies/gone/policy.yaml does not exist at HEAD",
        ),
        (
            ["nowhere@HEAD", "before"],
            "cpc: no policy for area 'nowhere' in policies at HEAD (known: after, before, england)",
        ),
    ],
)
def test_revision_errors(repo, args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message), result.stderr


def test_outside_a_git_checkout(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    shutil.copytree(FIXTURES, tmp_path / "policies")
    monkeypatch.chdir(tmp_path)
    result = invoke("policies/before/policy.yaml@HEAD~1", "policies/before/policy.yaml")
    assert result.exit_code == 2
    assert result.stderr == (
        "cpc: policies/before/policy.yaml@HEAD~1: not inside a git repository: cannot read HEAD~1\n"
    )


def test_a_broken_policy_at_a_revision_is_refused(repo):
    policy = repo / "policies" / "after" / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("within: 13 weeks", "within: 13 fortnights"))
    _git(repo, "commit", "-q", "-am", "break")
    result = invoke("after@HEAD", "after")
    assert result.exit_code == 2
    assert "policies/after/policy.yaml@HEAD has 1 lint error(s)" in result.stderr
    assert "policies/after/policy.yaml@HEAD:" in result.stderr and "CPC301" in result.stderr


# --- Impact -----------------------------------------------------------------------------------------------

EXPECTED_MOVES = [
    ("documents-sent", "met", None, ("c1-transfer-late", "c2-transfer-on-time", "c3-two-agencies"), 3),
    ("quorum", "met", "breached", ("c3-two-agencies",), 1),
    ("report-to-chair", "missed", None, ("c3-two-agencies",), 1),
    ("transfer-in-timescale", "met", "missed", ("c1-transfer-late",), 1),
    ("transfer-in-timescale", "pending", "overdue", ("c4-not-notified",), 1),
    # Notified Mon 2 March 2026: due Mon 23 March in 15 working days, Tue 17 March in 15 days. Held 10 March.
    ("transfer-in-timescale", "met", "met", ("c2-transfer-on-time",), 1),
]


@pytest.mark.parametrize("source", ["cases", "cases.jsonl"])
def test_impact_on_a_corpus(source):
    old, new = open_policy("before", FIXTURES), open_policy("after", FIXTURES)
    impact = compare_cases(old, new, read_cases(DATA / source), dt.date.fromisoformat(AS_OF))
    assert [(m.rule, m.old, m.new, m.cases, m.results) for m in impact.movements] == EXPECTED_MOVES
    assert [m.shift for m in impact.movements] == [None] * 5 + [Shift("earlier", 6, 6, "days")]
    assert impact.evaluated == 4
    assert impact.changed == ("c1-transfer-late", "c2-transfer-on-time", "c3-two-agencies", "c4-not-notified")
    failures = [(f.case_id, f.problems) for f in impact.failures]
    if source == "cases":
        assert failures == [("c5-broken", ("5:11: CPC100 not one of the allowed values (conferences[0].type)",))]
    else:
        assert failures == [
            ("c6-bad-date", ("column 51: CPC100 not a valid date (transfer_in.notified)",)),
            ("c7-unknown-field", ("column 28: CPC100 unknown key",)),
        ]
        assert [f.source for f in impact.failures] == [f"{DATA / source}:6", f"{DATA / source}:7"]


def test_impact_never_prints_case_contents(at_root):
    result = invoke(
        "before", "after", "--policies", str(FIXTURES), "--cases", str(DATA / "cases.jsonl"), "--as-of", AS_OF
    )
    assert result.exit_code == 2
    assert "transfer-in-timescale: 1 case goes from met to missed (c1-transfer-late)" in result.stdout
    assert "secret" not in result.output and "do not print me" not in result.output
    assert "2026-03-20" not in result.output


def test_identical_policies_move_no_case(at_root):
    result = invoke("after", "after", "--policies", str(FIXTURES), "--cases", str(CASES), "--as-of", AS_OF)
    assert result.stdout.startswith("after (v2) → after (v2): no differences\n")
    assert (
        "Impact on 4 cases, as of 2026-06-30: no case's results differ; 1 case could not be evaluated" in result.stdout
    )


def test_a_change_that_moves_many_cases_names_ten_and_counts_the_rest():
    ids = tuple(f"case-{n:02d}" for n in range(1, 27))
    impact = Impact(dt.date(2026, 3, 1), 26, ids, (Movement("first-core-group", "met", "missed", ids, 26),))
    text = impact_text(impact)
    assert "26 cases go from met to missed (case-01, case-02," in text
    assert "case-10 and 16 more (--format json lists every case)" in text
    assert "case-11" not in text
    assert json.loads(json.dumps(impact.to_dict()))["movements"][0]["cases"] == list(ids)


def _evaluation(*outcomes: tuple[str, str, dt.date | dt.datetime | None]) -> Evaluation:
    results = tuple(
        Result("first-core-group", "t", "deadline", status, "a", "v1", "a", (), Subject("conference", subject), due=due)
        for subject, status, due in outcomes
    )
    return Evaluation("c", "a", "v1", dt.date(2026, 3, 1), results)


def _impact_of(before: Evaluation, after: Evaluation) -> list[tuple]:
    from engine.review.impact import _movement, _moves

    moves: dict = {}
    for key, amount in _moves(before, after):
        moves.setdefault(key, []).append(amount)
    return [(m.old, m.new, m.shift) for m in (_movement(k, {"c"}, a) for k, a in moves.items())]


def test_a_moved_due_date_with_the_same_status_is_a_shift_not_two_changes():
    before = _evaluation(("icpc", "pending", dt.date(2026, 3, 10)), ("rcpc", "met", dt.date(2026, 6, 1)))
    after = _evaluation(("icpc", "pending", dt.date(2026, 3, 6)), ("rcpc", "met", dt.date(2026, 6, 1)))
    assert _impact_of(before, after) == [("pending", "pending", Shift("earlier", 4, 4, "days"))]


def test_a_change_of_status_is_reported_as_such_even_when_the_due_date_moves_too():
    before = _evaluation(("icpc", "met", dt.date(2026, 3, 10)))
    after = _evaluation(("icpc", "missed", dt.date(2026, 3, 6)))
    assert _impact_of(before, after) == [("met", "missed", None)]


def test_times_of_day_move_in_hours_and_dates_in_days():
    before = _evaluation(("icpc", "pending", dt.datetime(2026, 3, 2, 9)), ("rcpc", "pending", dt.date(2026, 3, 2)))
    after = _evaluation(("icpc", "pending", dt.datetime(2026, 3, 2, 15)), ("rcpc", "pending", dt.date(2026, 3, 2)))
    assert _impact_of(before, after) == [("pending", "pending", Shift("later", 6, 6, "hours"))]


def test_shifts_read_as_a_reviewer_says_them():
    one = Movement("first-core-group", "pending", "pending", ("c1",), 1, Shift("later", 1, 1, "days"))
    many = Movement("first-core-group", "met", "met", ("c1", "c2"), 2, Shift("earlier", 2, 5, "days"))
    text = impact_text(Impact(dt.date(2026, 3, 1), 2, ("c1", "c2"), (one, many)))
    assert text.startswith("Impact on 2 cases, as of 2026-03-01: 2 cases have only due dates moved\n")
    assert "first-core-group: 1 case stays pending, due 1 day later (c1)" in text
    assert "first-core-group: 2 cases stay met, due 2 to 5 days earlier (c1, c2)" in text
    assert many.to_dict()["due"] == {"direction": "earlier", "least": 2, "most": 5, "unit": "days"}


# --- Leaving out wording, citations and origin ------------------------------------------------------------


def test_ignoring_leaves_out_the_named_sections_and_says_so(fixture_diff):
    full = fixture_diff.counts()
    assert full["wording"] and full["citation"], "the fixture pair must differ in wording and citations"
    narrowed = fixture_diff.ignoring(("citations", "wording"))
    counts = narrowed.counts()
    assert counts["wording"] == counts["citation"] == 0
    assert {k: v for k, v in counts.items() if k not in ("wording", "citation")} == {
        k: v for k, v in full.items() if k not in ("wording", "citation")
    }
    text = render_text(narrowed)
    assert text.startswith("before (v1) → after (v2) (ignoring wording and citations)\n")
    assert "Wording:" not in text and "Citations (" not in text
    assert narrowed.to_dict()["ignored"] == ["wording", "citations"]


def test_a_reworded_title_differs_only_until_wording_is_ignored(tmp_path):
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    reworded = tmp_path / "policies" / "berkshire" / "policy.yaml"
    text = reworded.read_text(encoding="utf-8")
    changed = text.replace(
        "title: Where an Emergency Protection Order has been made", "title: Where an EPO has been made", 1
    )
    assert changed != text
    reworded.write_text(changed, encoding="utf-8")
    args = ("berkshire", str(reworded), "--policies", str(ROOT / "policies"), "--exit-code")
    assert invoke(*args).exit_code == 1
    quiet = invoke(*args, "--ignore", "wording")
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stdout.endswith("(ignoring wording): no differences\n")
