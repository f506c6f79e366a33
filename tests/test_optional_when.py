"""A deadline's ``optional_when``: its event need not happen while the conditions hold, and is judged if it does.

The shipped use is the initial conference after the team manager's recorded decision against one (Pan-Berkshire
004); these tests hold the form itself to its definition in docs/policy-format.md on small policies: the
evaluation, its explanation, the schema and linter, the diff, and the one-line and rendered descriptions.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import engine
from engine.policy import describe, walk
from engine.policy.lint.runner import lint
from engine.policy.policies import open_policy
from engine.review.compare import compare_policies
from engine.review.diff import diff_policies
from engine.review.render import build

HEAD = """\
area: {area}
title: National baseline
version: "2023"
effective_from: 2023-12-15
sources:
  wt:
    title: National guidance
    file: wt.txt
rules:
"""

ICPC = """\
  - id: icpc-timescale
    title: Initial conference within 15 working days of the strategy discussion.
    kind: deadline
    topic: timescales
    deadline:
      what: initial_conference
      within: 15 working days
      of: strategy_discussion
{optional}
    cite:
      source: wt
      quote: "should take place within 15 working days of the strategy discussion"
"""

# A deadline counted back from each conference, excused for one kind of conference: a conference fact, tested
# against the conference the clock belongs to.
REPORTS = """\
  - id: report-to-chair
    title: Reports reach the chair 2 working days before the conference, except before a review.
    kind: deadline
    topic: reports
    deadline:
      what: report_to_chair
      at_least: 2 working days
      before: conference
      optional_when:
        - fact: conference.type
          equals: review
    cite:
      source: wt
      quote: "reports should be available 2 working days before the conference"
"""

DECIDED_AGAINST = """\
      optional_when:
        - fact: s47.no_conference
          equals: true"""

LOOKED_AFTER = """\
      optional_when:
        - fact: s47.no_conference
          equals: true
        - fact: child.looked_after
          equals: false"""

AS_OF = dt.date(2025, 6, 2)
# Strategy discussion Monday 3 March 2025: the 15th working day is Monday 24 March.
DUE = dt.date(2025, 3, 24)


def _policy(policy_tree, optional: str = DECIDED_AGAINST, *extra: str, area: str = "england") -> Path:
    root = policy_tree(
        {f"{area}/policy.yaml": HEAD.format(area=area) + ICPC.format(optional=optional) + "".join(extra)}
    )
    return root / area / "policy.yaml"


def _case(decided: str | None = None, conference: str | None = None, **child: object) -> dict:
    case: dict = {
        "id": "c",
        "child": {"date_of_birth": "2019-07-21", **child},
        "s47": {"strategy_discussion": "2025-03-03"},
    }
    if decided:
        case["s47"]["no_conference_decided"] = decided
    if conference:
        case["conferences"] = [{"id": "icpc-1", "type": "initial", "date": conference, "outcome": {"plan": False}}]
    return case


def _icpc(policy: Path, case: dict, as_of: dt.date = AS_OF, **options: bool) -> list[engine.Result]:
    return engine.load_policy(policy).evaluate(case, as_of=as_of, **options).by_rule("icpc-timescale")


# --- Evaluation ---------------------------------------------------------------------------------------------


def test_while_the_conditions_hold_an_event_not_held_gives_no_result(policy_tree) -> None:
    policy = _policy(policy_tree)
    assert _icpc(policy, _case(decided="2025-03-28")) == []
    # Before the due date too: nothing is pending.
    assert _icpc(policy, _case(decided="2025-03-10"), as_of=dt.date(2025, 3, 12)) == []


def test_until_the_conditions_hold_the_event_is_due_as_usual(policy_tree) -> None:
    policy = _policy(policy_tree)
    [overdue] = _icpc(policy, _case(decided="2025-03-28"), as_of=dt.date(2025, 3, 26))
    assert (overdue.status, overdue.due) == ("overdue", DUE)
    [pending] = _icpc(policy, _case(), as_of=dt.date(2025, 3, 12))
    assert pending.status == "pending"


@pytest.mark.parametrize(("held", "status"), [("2025-03-20", "met"), ("2025-04-10", "missed")])
def test_an_event_that_happened_is_judged_although_it_need_not_have(policy_tree, held: str, status: str) -> None:
    [result] = _icpc(_policy(policy_tree), _case(decided="2025-03-14", conference=held))
    assert (result.status, result.due, result.done) == (status, DUE, dt.date.fromisoformat(held))


def test_every_condition_must_hold_and_an_unrecorded_fact_keeps_the_deadline(policy_tree) -> None:
    policy = _policy(policy_tree, LOOKED_AFTER)
    assert _icpc(policy, _case(decided="2025-03-28", looked_after=False)) == []
    [looked_after] = _icpc(policy, _case(decided="2025-03-28", looked_after=True))
    [unknown] = _icpc(policy, _case(decided="2025-03-28"))
    assert looked_after.status == unknown.status == "overdue"


def test_a_conference_condition_is_tested_against_the_clocks_own_conference(policy_tree) -> None:
    policy = _policy(policy_tree, "", REPORTS)
    case = _case(conference="2025-03-20")
    case["conferences"].append({"id": "rcpc-1", "type": "review", "date": "2025-06-20"})
    results = engine.load_policy(policy).evaluate(case, as_of=AS_OF).by_rule("report-to-chair")
    # No report for either: the initial conference's is missed (it has been held), the review's is excused.
    assert [(r.subject.id if r.subject else None, r.status) for r in results] == [("icpc-1", "missed")]


def test_explain_says_how_each_condition_stood(policy_tree) -> None:
    policy = _policy(policy_tree, LOOKED_AFTER)
    [result] = _icpc(policy, _case(decided="2025-03-14", conference="2025-03-20"), explain=True)
    said = [m.conditions for m in result.matched if m.pattern == "optional_when"]
    assert said == [("s47.no_conference is true: holds",), ("child.looked_after is false: not recorded",)]


# --- Schema and lint ----------------------------------------------------------------------------------------


def _findings(policy: Path) -> list[tuple[int, str, str]]:
    return [(f.line, f.code, f.message) for f in lint([policy.parent.parent]).findings]


def test_a_valid_optional_when_lints_clean_and_names_its_facts(policy_tree) -> None:
    policy = _policy(policy_tree, LOOKED_AFTER)
    assert _findings(policy) == []
    rule = open_policy("england", policy.parent.parent).rules["icpc-timescale"]
    facts = [r.name for r in walk.references(dict(rule.data)) if r.kind == "fact"]
    assert facts == ["s47.no_conference", "child.looked_after"]


def test_optional_when_takes_only_known_facts_with_values_of_their_type(policy_tree) -> None:
    optional = """\
      optional_when:
        - event: strategy_meeting
        - fact: s47.no_conferense
          equals: true
        - fact: s47.no_conference
          equals: "yes\""""
    found = _findings(_policy(policy_tree, optional))
    assert found == [
        (19, "CPC100", "missing required key 'fact'"),
        (20, "CPC201", "unknown fact 's47.no_conferense'"),
        (23, "CPC100", "'yes' is not of type 'boolean'"),
    ]


def test_an_empty_optional_when_is_refused(policy_tree) -> None:
    assert _findings(_policy(policy_tree, "      optional_when: []")) == [(18, "CPC100", "needs at least 1 item")]


# --- Diff ---------------------------------------------------------------------------------------------------


def _diff(policy_tree, old: str, new: str) -> list[tuple[str, str, str]]:
    before = _policy(policy_tree, old, area="before").parent.parent
    after = _policy(policy_tree, new, area="after").parent.parent
    changes = diff_policies(open_policy("before", before), open_policy("after", after), "before", "after").changes
    return [(c.verdict, c.path, c.note) for c in changes if c.kind == "condition"]


def test_diff_first_conditions_make_the_deadline_optional_somewhere(policy_tree) -> None:
    assert _diff(policy_tree, "", DECIDED_AGAINST) == [
        (
            "looser",
            "deadline.optional_when",
            "deadline.optional_when: now optional when s47.no_conference is true: only a late event is reported "
            "then, not a missing one",
        )
    ]


def test_diff_dropping_every_condition_makes_the_event_required_again(policy_tree) -> None:
    [(verdict, _, note)] = _diff(policy_tree, DECIDED_AGAINST, "")
    assert verdict == "stricter" and "a missing event is reported in every case" in note


def test_diff_a_condition_harder_to_hold_excuses_fewer_cases(policy_tree) -> None:
    assert _diff(policy_tree, DECIDED_AGAINST, LOOKED_AFTER) == [
        (
            "stricter",
            "deadline.optional_when",
            "deadline.optional_when: adds child.looked_after is false (the event is excused in fewer cases)",
        )
    ]
    [(verdict, _, note)] = _diff(policy_tree, LOOKED_AFTER, DECIDED_AGAINST)
    assert verdict == "looser" and note.endswith("(the event is excused in more cases)")


# --- Descriptions -------------------------------------------------------------------------------------------


def test_the_one_line_description_says_when_the_event_is_optional() -> None:
    within = {"what": "initial_conference", "within": "15 working days", "of": "strategy_discussion"}
    before = {"what": "initial_conference", "at_least": "0 days", "before": "epo_expiry"}
    optional = [{"fact": "s47.no_conference", "equals": True}]
    assert describe.parameters({"kind": "deadline", "deadline": {**within, "optional_when": optional}}) == (
        "initial_conference within 15 working days of strategy_discussion; optional when s47.no_conference is true"
    )
    assert describe.parameters({"kind": "deadline", "deadline": {**before, "optional_when": optional}}) == (
        "initial_conference at least 0 days before epo_expiry; optional when s47.no_conference is true"
    )
    assert "optional" not in describe.parameters({"kind": "deadline", "deadline": within})


def test_the_rendered_procedure_says_the_event_need_not_happen(policy_tree) -> None:
    policy = _policy(policy_tree, LOOKED_AFTER)
    entry = next(e for s in build(open_policy("england", policy.parent.parent)).sections for e in s.rules)
    assert entry.requires.endswith(
        "It need not happen when the team manager has recorded the decision not to call a conference after the "
        "section 47 enquiry and the child is not looked after; when it does, this is the time limit."
    )
    rows = {p.name: p.values for p in entry.parameters}
    assert rows["Need not happen when (all of these)"] == (
        "The team manager has recorded the decision not to call a conference after the section 47 enquiry",
        "The child is not looked after",
    )
    assert rows["Applies when"] == ("Always",)


def test_compare_names_the_excuse_in_the_row_of_the_time_limit(policy_tree) -> None:
    root = _policy(policy_tree).parent.parent
    [row] = compare_policies([open_policy("england", root)]).rows
    assert row.label == (
        "The initial conference takes place within … of the strategy discussion; it need not happen when the team "
        "manager has recorded the decision not to call a conference after the section 47 enquiry"
    )


AGE = """\
      optional_when:
        - fact: child.age_years
          at_least: 12"""
QUOTE = "should take place within 15 working days of the strategy discussion"


def test_a_number_in_optional_when_must_be_stated_by_a_quote(policy_tree) -> None:
    assert _findings(_policy(policy_tree, AGE)) == [(20, "CPC404", "no quote of this rule states 12")]


def test_compare_a_number_in_optional_when_is_stricter_when_it_excuses_fewer_cases(policy_tree) -> None:
    policy = _policy(policy_tree, AGE)
    policy.write_text(policy.read_text().replace(QUOTE, f"{QUOTE}, unless the child is 12"))
    rows = {row.path: row for row in compare_policies([open_policy("england", policy.parent.parent)]).rows}
    row = rows[("deadline", "optional_when", 0, "at_least")]
    # A higher age excuses fewer children: stricter, as for a requirement's "unless".
    assert (row.label, row.direction) == (
        "The initial conference need not happen when the child is … or over",
        "higher",
    )
