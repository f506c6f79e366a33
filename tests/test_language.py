"""The policy language's constructs for rules with exceptions (docs/policy-format.md), each on a small policy.

Every test states the procedure-like sentence it encodes and works its dates out by hand on the real calendar
(England and Wales bank holidays, Christmas, month ends).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import engine

from .conftest import ENGLAND_HEAD


def _load(policy_tree, rules: str) -> engine.Policy:
    root: Path = policy_tree({"england/policy.yaml": ENGLAND_HEAD + rules})
    return engine.load_policy(root / "england" / "policy.yaml")


def _results(policy: engine.Policy, case: dict, as_of: str) -> list[tuple[str, str, str | None]]:
    """(rule, status, subject) of every deadline and requirement result, in the engine's order."""
    evaluation = policy.evaluate({"id": "c", **case}, as_of=dt.date.fromisoformat(as_of))
    return [(r.rule, r.status, r.subject.id if r.subject else None) for r in evaluation.results]


# --- Default and exception ----------------------------------------------------------------------------------

AFTER_BIRTH = """\
  - id: after-birth
    title: A core group within 10 working days of the birth.
    kind: deadline
    topic: timescales
    deadline:
      what: core_group_meeting
      within: 10 working days
      of: birth
    cite: {source: wt, quote: "within 10 working days of the birth"}
  - id: after-birth-mother-unfit
    exception_of: after-birth
    title: 20 days if the mother is not medically fit.
    kind: deadline
    topic: timescales
    when:
      - {fact: mother.medically_fit, equals: false}
    deadline:
      what: core_group_meeting
      within: 20 days
      of: birth
    cite: {source: wt, quote: "(20 days if the mother is not medically fit)"}
"""


def _birth(fit: bool | None) -> dict:
    # Born Friday 19 December 2025: ten working days skip Christmas Day, Boxing Day and New Year's Day and end
    # on Wednesday 7 January 2026; twenty calendar days end on Thursday 8 January.
    case: dict = {"child": {"date_of_birth": "2025-12-19"}, "core_group_meetings": ["2026-01-08"]}
    if fit is not None:
        case["mother"] = {"medically_fit_after_birth": fit}
    return case


def test_the_base_rule_applies_while_the_exceptions_fact_is_not_recorded(policy_tree) -> None:
    policy = _load(policy_tree, AFTER_BIRTH)
    [result] = policy.evaluate({"id": "c", **_birth(None)}, as_of=dt.date(2026, 2, 1)).results
    assert (result.rule, result.status, result.due, str(result.late)) == (
        "after-birth",
        "missed",
        dt.date(2026, 1, 7),
        "1 working day",
    )


def test_the_exception_replaces_the_base_only_where_its_condition_is_recorded_as_holding(policy_tree) -> None:
    policy = _load(policy_tree, AFTER_BIRTH)
    [unfit] = policy.evaluate({"id": "c", **_birth(False)}, as_of=dt.date(2026, 2, 1)).results
    assert (unfit.rule, unfit.status, unfit.due) == ("after-birth-mother-unfit", "met", dt.date(2026, 1, 8))
    assert _results(policy, _birth(True), "2026-02-01") == [("after-birth", "missed", None)]


def test_an_exception_that_disapplies_its_base_leaves_no_result_where_it_holds(policy_tree) -> None:
    rules = AFTER_BIRTH.split("  - id: after-birth-mother-unfit")[0] + (
        "  - id: after-birth-not-for-looked-after\n"
        "    exception_of: after-birth\n"
        "    title: Not for a looked-after child.\n"
        "    kind: deadline\n"
        "    topic: timescales\n"
        "    when:\n"
        "      - {fact: child.looked_after, equals: true}\n"
        "    disapplies: true\n"
        '    cite: {source: wt, quote: "except where the child is looked after"}\n'
    )
    policy = _load(policy_tree, rules)
    looked_after = _birth(None)
    looked_after["child"]["looked_after"] = True
    assert _results(policy, looked_after, "2026-02-01") == []
    looked_after["child"]["looked_after"] = False
    assert _results(policy, looked_after, "2026-02-01") == [("after-birth", "missed", None)]


# --- Lower bounds and the boundary day ----------------------------------------------------------------------

MINIMUM = """\
  - id: cin-minimum
    title: A child in need plan stays open at least 3 months.
    kind: deadline
    topic: step-down
    deadline:
      what: cin_plan_end
      not_before: 3 months
      after: cin_plan_start
{boundary}
    cite: {{source: wt, quote: "remain open for a minimum of 3 months"}}
"""


def _cin(end: str | None) -> dict:
    # Started Sunday 30 November 2025: three months on is "30 February", clamped to Saturday 28 February 2026.
    step_down: dict = {"cin_plan_start": "2025-11-30"}
    if end:
        step_down["cin_plan_end"] = end
    return {"child": {"date_of_birth": "2015-08-20"}, "step_down": step_down}


def test_a_lower_bound_is_met_on_its_earliest_day_and_breached_the_day_before(policy_tree) -> None:
    policy = _load(policy_tree, MINIMUM.format(boundary=""))
    evaluation = policy.evaluate({"id": "c", **_cin("2026-02-27")}, as_of=dt.date(2026, 3, 10))
    [early] = evaluation.results
    assert (early.status, early.earliest, early.done, str(early.early), early.due) == (
        "breached",
        dt.date(2026, 2, 28),
        dt.date(2026, 2, 27),
        "1 day",
        None,
    )
    assert early.to_dict()["early"] == {"amount": 1, "unit": "days"}
    assert _results(policy, _cin("2026-02-28"), "2026-03-10") == [("cin-minimum", "met", None)]


def test_a_lower_bound_gives_nothing_while_its_event_has_not_happened(policy_tree) -> None:
    assert _results(_load(policy_tree, MINIMUM.format(boundary="")), _cin(None), "2026-03-10") == []


def test_an_exclusive_boundary_makes_the_boundary_day_itself_too_early(policy_tree) -> None:
    policy = _load(policy_tree, MINIMUM.format(boundary="      boundary: exclusive"))
    [result] = policy.evaluate({"id": "c", **_cin("2026-02-28")}, as_of=dt.date(2026, 3, 10)).results
    assert (result.status, result.earliest, str(result.early)) == ("breached", dt.date(2026, 3, 1), "1 day")


EPO = """\
  - id: before-expiry
    title: The conference is held before the order expires.
    kind: deadline
    topic: timescales
    deadline:
      what: initial_conference
      at_least: 0 days
      before: epo_expiry
      boundary: exclusive
    cite: {source: wt, quote: "held before the order expires"}
"""


def test_an_exclusive_upper_boundary_makes_the_due_day_late(policy_tree) -> None:
    policy = _load(policy_tree, EPO)
    case = {
        "child": {"date_of_birth": "2020-01-01"},
        "emergency_protection_order": {"made": "2025-03-03", "expires": "2025-03-10"},
        "conferences": [{"id": "icpc-1", "type": "initial", "date": "2025-03-10"}],
    }
    [result] = policy.evaluate({"id": "c", **case}, as_of=dt.date(2025, 4, 1)).results
    # Expiry Monday 10 March: the last day before it is Sunday 9 March.
    assert (result.status, result.due, str(result.late)) == ("missed", dt.date(2025, 3, 9), "1 day")


# --- Whichever is later, and until --------------------------------------------------------------------------

TRANSFER = """\
  - id: transfer-in
    title: Within 15 working days of notification or of acceptance, whichever is later.
    kind: deadline
    topic: timescales
    deadline:
      what: transfer_in_conference
      within: 15 working days
      of: move_notified
      whichever_later:
        - within: 15 working days
          of: transfer_accepted
    cite: {source: wt, quote: "within 15 working days of the formal acceptance"}
"""


def _transfer(accepted: str | None) -> dict:
    transfer = {"notified": "2025-03-03"}
    if accepted:
        transfer["accepted"] = accepted
    return {
        "child": {"date_of_birth": "2018-01-01"},
        "transfer_in": transfer,
        "conferences": [{"id": "ticpc-1", "type": "transfer_in", "date": "2025-04-14"}],
    }


def test_whichever_later_takes_the_later_clock_and_only_the_clocks_recorded(policy_tree) -> None:
    policy = _load(policy_tree, TRANSFER)
    # Accepted Monday 31 March 2025: 15 working days, skipping Good Friday 18 April and Easter Monday 21 April,
    # end Wednesday 23 April; held 14 April, on time. Notified 3 March alone: due Monday 24 March, missed.
    [later] = policy.evaluate({"id": "c", **_transfer("2025-03-31")}, as_of=dt.date(2025, 5, 1)).results
    assert (later.status, later.due) == ("met", dt.date(2025, 4, 23))
    [alone] = policy.evaluate({"id": "c", **_transfer(None)}, as_of=dt.date(2025, 5, 1)).results
    assert (alone.status, alone.due, str(alone.late)) == ("missed", dt.date(2025, 3, 24), "15 working days")


UNTIL = """\
  - id: strategy-after-change
    title: A strategy meeting within 10 days of a significant change, until the plan ends.
    kind: deadline
    topic: step-down
    deadline:
      what: strategy_meeting
      within: 10 days
      of: significant_change
      until: plan_end
    cite: {source: wt, quote: "within 10 days of a significant change"}
"""


def _change(plan_end: str) -> dict:
    # A change on Monday 2 June 2025: the meeting is due by Thursday 12 June.
    return {
        "child": {"date_of_birth": "2018-01-01"},
        "plan": {"start": "2025-01-06", "end": plan_end},
        "significant_changes": [{"date": "2025-06-02"}],
    }


def test_until_stops_a_clock_before_its_due_date_and_closes_it_after(policy_tree) -> None:
    policy = _load(policy_tree, UNTIL)
    assert _results(policy, _change("2025-06-05"), "2025-07-01") == []
    [closed] = policy.evaluate({"id": "c", **_change("2025-06-20")}, as_of=dt.date(2025, 7, 1)).results
    assert (closed.status, closed.due, closed.closed, str(closed.late)) == (
        "missed",
        dt.date(2025, 6, 12),
        dt.date(2025, 6, 20),
        "8 days",
    )


# --- Negated events -----------------------------------------------------------------------------------------

NOT_YET = """\
  - id: convene-strategy-meeting
    title: After a significant change, convene a strategy meeting, unless one has been held since.
    kind: decision
    topic: step-down
    when:
      - {event: significant_change}
      - {event: strategy_meeting, happened: false, since: significant_change}
    decision:
      action: convene_strategy_meeting
      directs: Convene a multi-agency strategy meeting.
    cite: {source: wt, quote: "a multi-agency strategy meeting should be convened"}
"""


def test_a_direction_stops_once_the_event_it_asks_for_has_happened_since(policy_tree) -> None:
    policy = _load(policy_tree, NOT_YET)
    case = {"child": {"date_of_birth": "2018-01-01"}, "significant_changes": [{"date": "2025-06-02"}]}
    assert _results(policy, case, "2025-06-10") == [("convene-strategy-meeting", "applies", None)]
    case["strategy_meetings"] = ["2025-05-20"]  # before the change: still to do
    assert _results(policy, case, "2025-06-10") == [("convene-strategy-meeting", "applies", None)]
    case["strategy_meetings"] = ["2025-06-04"]
    assert _results(policy, case, "2025-06-10") == []


# --- Either of two facts ------------------------------------------------------------------------------------

EITHER = """\
  - id: consulted-or-reviewed
    title: A plan ends at a review conference, or the manager consults the agencies.
    kind: requirement
    topic: plans
    when:
      - {fact: plan.open, equals: false}
    requirement:
      applies_to: plan
      require:
        - any_of:
            - {fact: plan.ended_by, equals: review_conference}
            - {fact: plan.agencies_consulted, equals: true}
    cite: {source: wt, quote: "at a review conference or after consulting the agencies"}
"""


def _ended(**plan: object) -> dict:
    return {"child": {"date_of_birth": "2018-01-01"}, "plan": {"start": "2025-01-06", "end": "2025-06-02", **plan}}


def test_any_of_holds_when_one_member_does_and_is_not_assessable_while_one_is_unrecorded(policy_tree) -> None:
    policy = _load(policy_tree, EITHER)
    assert _results(policy, _ended(ended_by="manager", agencies_consulted=True), "2025-07-01")[0][1] == "met"
    assert _results(policy, _ended(ended_by="manager", agencies_consulted=False), "2025-07-01")[0][1] == "breached"
    evaluation = policy.evaluate({"id": "c", **_ended(ended_by="manager")}, as_of=dt.date(2025, 7, 1))
    [unknown] = evaluation.results
    # Ended by a manager (recorded, and not a review conference); whether the agencies were consulted is not.
    assert (unknown.status, unknown.missing) == ("not_assessable", ("plan.agencies_consulted",))


# --- Facts with dates, and facts on items -------------------------------------------------------------------

ICPC = """\
  - id: icpc-timescale
    title: Initial conference within 15 working days of the strategy discussion.
    kind: deadline
    topic: timescales
    deadline:
      what: initial_conference
      within: 15 working days
      of: strategy_discussion
      optional_when:
        - {fact: s47.no_conference, equals: true, recorded_by: due}
    cite: {source: wt, quote: "within 15 working days of the strategy discussion"}
"""


def test_a_dated_excuse_counts_only_if_recorded_by_the_due_date(policy_tree) -> None:
    policy = _load(policy_tree, ICPC)

    def case(decided: str) -> dict:
        # Strategy discussion Monday 3 March 2025: due Monday 24 March.
        return {
            "child": {"date_of_birth": "2019-07-21"},
            "s47": {"strategy_discussion": "2025-03-03", "no_conference_decided": decided},
        }

    assert _results(policy, case("2025-03-24"), "2025-06-02") == []
    [late] = policy.evaluate({"id": "c", **case("2025-03-28")}, as_of=dt.date(2025, 6, 2)).results
    # Decided four days after the due date: the conference was overdue first, so it stays missed, closed on
    # Friday 28 March, 4 working days late.
    assert (late.status, late.due, late.closed, str(late.late)) == (
        "missed",
        dt.date(2025, 3, 24),
        dt.date(2025, 3, 28),
        "4 working days",
    )


SHARED = """\
  - id: report-shared
    title: Reports are shared with the parents 2 working days before the conference, unless withheld in time.
    kind: deadline
    topic: reports
    deadline:
      what: report_shared_with_parents
      at_least: 2 working days
      before: conference
      optional_when:
        - {fact: report.withholding_agreed, equals: true, recorded_by: due}
    cite: {source: wt, quote: "at least two working days in advance"}
"""


def test_each_report_is_judged_and_one_withheld_in_time_is_neither_late_nor_missing(policy_tree) -> None:
    policy = _load(policy_tree, SHARED)
    # Conference Wednesday 7 January 2026: two working days before is Monday 5 January.
    reports = [
        {"agency": "police", "shared_with_parents": "2026-01-05"},
        {"agency": "health", "withheld_from_parents": True, "withholding_agreed": "2026-01-05"},
        {"agency": "school", "withheld_from_parents": True, "withholding_agreed": "2026-01-06"},
        {"agency": "childrens_social_care"},
    ]
    case = {
        "child": {"date_of_birth": "2018-01-01"},
        "conferences": [{"id": "icpc-1", "type": "initial", "date": "2026-01-07", "reports": reports}],
    }
    assert _results(policy, case, "2026-01-20") == [
        ("report-shared", "missed", "icpc-1/report-3"),
        ("report-shared", "missed", "icpc-1/report-4"),
        ("report-shared", "met", "icpc-1/report-1"),
    ]


def test_a_later_clock_the_source_cannot_record_makes_lateness_not_assessable(policy_tree) -> None:
    policy = _load(policy_tree, TRANSFER)
    case = {**_transfer(None), "coverage": {"not_recorded": ["transfer_accepted"]}}
    [result] = policy.evaluate({"id": "c", **case}, as_of=dt.date(2025, 5, 1)).results
    # Missed by the notification clock alone, but an acceptance the source cannot record may have come later.
    assert (result.status, result.reason) == ("not_assessable", "not recorded by this source: transfer_accepted")


def test_a_lower_bound_whose_clock_the_source_cannot_record_is_not_assessable_once_its_event_happened(
    policy_tree,
) -> None:
    policy = _load(policy_tree, MINIMUM.format(boundary=""))
    case = {**_cin("2026-02-27"), "coverage": {"not_recorded": ["cin_plan_start"]}}
    case["step_down"] = {"cin_plan_end": "2026-02-27"}
    [result] = policy.evaluate({"id": "c", **case}, as_of=dt.date(2026, 3, 10)).results
    assert (result.status, result.reason) == ("not_assessable", "not recorded by this source: cin_plan_start")
    case["step_down"] = {}
    assert policy.evaluate({"id": "c", **case}, as_of=dt.date(2026, 3, 10)).results == ()


DISCHARGE = """\
  - id: discharge-meeting
    title: After a pre-birth conference, a discharge meeting before the baby leaves hospital.
    kind: deadline
    topic: plans
    when:
      - {fact: child.pre_birth_conference_held, equals: true}
    deadline:
      what: hospital_discharge_meeting
      at_least: 0 days
      before: hospital_discharge
    cite: {source: wt, quote: "must be held prior to the newborn baby being discharged"}
"""


def test_a_clock_the_source_cannot_record_is_not_assessable_only_where_the_rule_could_apply(policy_tree) -> None:
    policy = _load(policy_tree, DISCHARGE)
    coverage = {"not_recorded": ["hospital_discharge", "hospital_discharge_meeting"]}
    initial = {"id": "icpc-1", "type": "initial", "date": "2025-03-03"}
    case = {"child": {"date_of_birth": "2025-01-10"}, "conferences": [initial], "coverage": coverage}
    # No pre-birth conference: the rule cannot apply, so silence is the answer, not "not assessable".
    assert _results(policy, case, "2025-06-02") == []
    case["conferences"] = [{**initial, "type": "pre_birth", "date": "2024-11-04"}]
    assert _results(policy, case, "2025-06-02") == [("discharge-meeting", "not_assessable", None)]


def test_walk_finds_the_names_and_numbers_of_every_new_form() -> None:
    from engine.policy import walk

    rule = {
        "kind": "deadline",
        "when": [
            {
                "any_of": [
                    {"fact": "child.age_years", "at_least": 12},
                    {"event": "birth", "within": "1 month", "of": "birth"},
                ]
            },
            {"event": "strategy_meeting", "happened": False, "since": "significant_change"},
        ],
        "deadline": {
            "what": "review_conference",
            "not_before": "3 months",
            "after": "plan_start",
            "until": ["plan_end"],
            "whichever_later": [{"within": "2 weeks", "of": "birth"}],
        },
    }
    names = sorted((r.kind, r.name) for r in walk.references(rule))
    assert names == [
        ("event", "birth"),
        ("event", "birth"),
        ("event", "birth"),
        ("event", "plan_end"),
        ("event", "plan_start"),
        ("event", "review_conference"),
        ("event", "significant_change"),
        ("event", "strategy_meeting"),
        ("fact", "child.age_years"),
    ]
    assert sorted(v.text for v in walk.values(rule)) == ["1 month", "12", "2 weeks", "3 months"]


def test_a_later_clock_starts_the_deadline_when_the_first_is_not_recorded_and_the_result_names_it(
    policy_tree,
) -> None:
    policy = _load(policy_tree, TRANSFER)
    case = _transfer("2025-03-31")
    del case["transfer_in"]["notified"]
    [alone] = policy.evaluate({"id": "c", **case}, as_of=dt.date(2025, 5, 1)).results
    assert (alone.status, alone.due, alone.clock.event) == ("met", dt.date(2025, 4, 23), "transfer_accepted")
    # Both recorded: the acceptance sets the due date, and the result says it is the acceptance's clock.
    [both] = policy.evaluate({"id": "c", **_transfer("2025-03-31")}, as_of=dt.date(2025, 5, 1)).results
    assert (both.due, both.clock.event, both.clock.date) == (
        dt.date(2025, 4, 23),
        "transfer_accepted",
        dt.date(2025, 3, 31),
    )


def test_what_is_done_after_the_clock_stopped_does_not_count(policy_tree) -> None:
    policy = _load(policy_tree, UNTIL)
    case = {**_change("2025-06-20"), "strategy_meetings": ["2025-06-25"]}
    [result] = policy.evaluate({"id": "c", **case}, as_of=dt.date(2025, 7, 1)).results
    assert (result.status, result.done, result.closed, str(result.late)) == (
        "missed",
        None,
        dt.date(2025, 6, 20),
        "8 days",
    )


def test_any_of_names_as_missing_only_the_members_the_case_does_not_record(policy_tree) -> None:
    policy = _load(policy_tree, EITHER)
    evaluation = policy.evaluate({"id": "c", **_ended(agencies_consulted=False)}, as_of=dt.date(2025, 7, 1))
    [result] = evaluation.results
    assert (result.status, result.missing) == ("not_assessable", ("plan.ended_by",))


def test_an_exceptions_result_names_the_rule_it_stands_in_place_of(policy_tree) -> None:
    policy = _load(policy_tree, AFTER_BIRTH)
    [unfit] = policy.evaluate({"id": "c", **_birth(False)}, as_of=dt.date(2026, 2, 1)).results
    [base] = policy.evaluate({"id": "c", **_birth(None)}, as_of=dt.date(2026, 2, 1)).results
    assert (unfit.exception_of, unfit.to_dict()["exception_of"]) == ("after-birth", "after-birth")
    assert base.exception_of is None and "exception_of" not in base.to_dict()
    assert unfit.to_json() == json.dumps(unfit.to_dict(), ensure_ascii=False)


def test_explain_says_why_each_exception_did_not_apply_where_the_base_result_stands(policy_tree) -> None:
    policy = _load(policy_tree, AFTER_BIRTH)

    def said(fit: bool | None) -> list[tuple[str, ...]]:
        [result] = policy.evaluate({"id": "c", **_birth(fit)}, as_of=dt.date(2026, 2, 1), explain=True).results
        return [m.conditions for m in result.matched if m.pattern == "exception"]

    assert said(None) == [("mother.medically_fit is false: not recorded",)]
    assert said(True) == [("mother.medically_fit is false: does not hold",)]
