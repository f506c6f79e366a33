"""The words a policy may use for the events of a case and the facts its conditions test.

This is the one list of them: the policy schema's completions, the linter's unknown-name check and the
engine's case mapping all read it. Each entry says what it means in the procedure's own terms, because
an author choosing between ``initial_conference`` and ``conference`` must know which clock starts where.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Term:
    name: str
    meaning: str
    repeats: bool = False
    type: str = "date"
    values: tuple[str, ...] = ()
    # A dated fact carries the day it was recorded, so that a condition can ask whether it was recorded by a
    # deadline's due date (`recorded_by: due`), not merely by the evaluation date.
    dated: bool = False


EVENTS: dict[str, Term] = {
    t.name: t
    for t in (
        Term("strategy_discussion", "The strategy discussion at which section 47 enquiries were initiated."),
        Term(
            "move_notified",
            "Notification by another local authority that a child subject of a child protection plan "
            "has moved permanently into the area.",
        ),
        Term("transfer_accepted", "The receiving authority's formal acceptance of the transfer of the child."),
        Term("epo_expiry", "The expiry of an emergency protection order made for the child."),
        Term(
            "looked_after_review_decision",
            "A looked-after child review's decision that an initial conference should be convened before "
            "the child returns home.",
        ),
        Term("initial_conference", "The initial child protection conference (not pre-birth, not transfer-in)."),
        Term("pre_birth_conference", "An initial child protection conference about an unborn child."),
        Term("transfer_in_conference", "The receiving authority's transfer-in conference."),
        Term(
            "first_conference",
            "The conference that made the child subject of the plan: initial, pre-birth or transfer-in.",
        ),
        Term("review_conference", "A child protection review conference.", repeats=True),
        Term("conference", "Any child protection conference, of whatever type.", repeats=True),
        Term("birth", "The child's birth."),
        Term("core_group_meeting", "A meeting of the core group.", repeats=True),
        Term("report_to_chair", "An agency's report made available to the conference chair.", repeats=True),
        Term(
            "report_shared_with_parents",
            "An agency's report provided to and discussed with the parents.",
            repeats=True,
        ),
        Term(
            "exclusion_request",
            "A representation to the chair that a parent should be excluded from a conference.",
            repeats=True,
        ),
        Term(
            "documents_sent",
            "The outline plan and the conference decision sent to those who attended or were invited.",
            repeats=True,
        ),
        Term("plan_discussed_with_parents", "The child protection plan discussed with the parents."),
        Term(
            "documentation_received",
            "Receipt by a parent or agency of the conference documentation.",
            repeats=True,
        ),
        Term("amendment_request", "A request to amend the conference record.", repeats=True),
        Term("plan_start", "The start of the child protection plan."),
        Term("plan_end", "The end of the child protection plan."),
        Term("cin_plan_start", "The start of the child in need plan that followed the child protection plan."),
        Term("cin_review", "A review of the child in need plan.", repeats=True),
        Term("cin_plan_end", "The closure of the child in need plan."),
        Term("significant_change", "A significant change in the child's circumstances.", repeats=True),
        Term("strategy_meeting", "A multi-agency strategy meeting.", repeats=True),
        Term(
            "pregnancy_start",
            "The day from which the weeks of a pregnancy are counted: 280 days (40 weeks) before the expected "
            "date of birth, as gestational age is counted.",
        ),
        Term(
            "pre_proceedings_letter",
            "The pre-proceedings letter or letter of issue sent before the birth, where the local authority is "
            "considering proceedings shortly after it.",
        ),
        Term(
            "cao_assessments_concluded",
            "The conclusion of the examinations and assessments under a child assessment order.",
        ),
        Term("hospital_discharge", "The newborn baby's discharge from hospital."),
        Term(
            "hospital_discharge_meeting", "The hospital discharge meeting held before the newborn baby leaves hospital."
        ),
        Term(
            "return_home_considered",
            "The looked-after child review that considered a proposal to return the child home and recorded "
            "whether an initial conference should be convened before the change.",
        ),
        Term("return_home", "The child's return home to the birth family from care."),
    )
}

FACTS: dict[str, Term] = {
    t.name: t
    for t in (
        Term(
            "conference.type",
            "The type of the conference.",
            type="enum",
            values=("initial", "pre_birth", "transfer_in", "review"),
        ),
        Term("conference.child_age_years", "The child's age in whole years on the conference date.", type="integer"),
        Term(
            "conference.social_care_present",
            "Local authority children's social care attended the conference.",
            type="boolean",
        ),
        Term(
            "conference.other_agencies_present",
            "How many professional groups or agencies other than children's social care, with direct "
            "contact with the child, attended.",
            type="integer",
        ),
        Term(
            "conference.proceeded_inquorate",
            "The chair decided to proceed although the conference was not quorate.",
            type="boolean",
        ),
        Term(
            "conference.inquorate_reasons_recorded",
            "The chair's reasons for proceeding inquorate are noted in the conference record.",
            type="boolean",
        ),
        Term("conference.inquorate", "The conference was not quorate.", type="boolean"),
        Term(
            "conference.key_agency_absent",
            "A key agency working with the family did not attend.",
            type="boolean",
        ),
        Term("conference.plan_made", "The conference decided the child needs a child protection plan.", type="boolean"),
        Term(
            "conference.child_declined",
            "The child, having been given an explanation, declared a wish not to attend.",
            type="boolean",
        ),
        Term("conference.parents_invited", "The parents were invited to the conference.", type="boolean"),
        Term(
            "conference.invitation_would_prejudice_child",
            "Inviting the parents was judged likely to prejudice the child's welfare.",
            type="boolean",
        ),
        Term(
            "conference.interpreter_needed",
            "A parent needed an interpreter (English is not their first language, or they sign).",
            type="boolean",
        ),
        Term(
            "conference.interpreter_offered", "An interpreter was offered and provided to the parents.", type="boolean"
        ),
        Term(
            "conference.social_care_report",
            "Children's social care provided a written report to the conference (known when the case lists the "
            "conference's reports).",
            type="boolean",
        ),
        Term(
            "conference.category",
            "The category of abuse or neglect the conference recorded when it made a plan.",
            type="enum",
            values=("physical_abuse", "emotional_abuse", "sexual_abuse", "neglect", "multiple"),
        ),
        Term(
            "conference.cin_plan_or_recommendations",
            "A conference that made no plan drew up a child in need plan or made recommendations for one.",
            type="boolean",
        ),
        Term(
            "conference.no_help_needed",
            "A conference that made no plan found that the child needs no further help.",
            type="boolean",
        ),
        Term(
            "conference.fewer_than_three_agencies",
            "The child had not had relevant contact with three agencies (children's social care and two others).",
            type="boolean",
        ),
        Term(
            "conference.exclusion_decided",
            "The chair decided before the conference to exclude a parent.",
            type="boolean",
        ),
        Term("child.unborn", "The child is not yet born.", type="boolean"),
        Term(
            "child.pre_birth_conference_held",
            "A pre-birth conference about the child has been held by the evaluation date.",
            type="boolean",
        ),
        Term(
            "s47.no_conference",
            "By the evaluation date, the team manager recorded the decision not to call a conference after the "
            "section 47 enquiry (false while none is recorded). Dated: the day the decision was recorded.",
            type="boolean",
            dated=True,
        ),
        Term("child.age_years", "The child's age in whole years on the evaluation date.", type="integer"),
        Term("child.looked_after", "The child is looked after by the local authority.", type="boolean"),
        Term("child.care_order", "The child is subject to a care order.", type="boolean"),
        Term(
            "child.premature_birth_likely",
            "For an unborn child: a premature birth is known to be likely.",
            type="boolean",
        ),
        Term(
            "mother.medically_fit",
            "After the birth, the mother was medically fit to attend a meeting within the first 10 days.",
            type="boolean",
        ),
        Term(
            "plan.first_conference_type",
            "The type of the conference that made the plan.",
            type="enum",
            values=("initial", "pre_birth", "transfer_in"),
        ),
        Term("plan.open", "The child protection plan has not ended.", type="boolean"),
        Term(
            "plan.end_reason",
            "Why the plan ended.",
            type="enum",
            values=(
                "no_longer_at_risk",
                "transferred_out",
                "reached_18",
                "died",
                "left_uk",
                "reason_no_longer_applies",
            ),
        ),
        Term(
            "plan.ended_by",
            "Who ended the plan: a review conference or a child protection manager without one.",
            type="enum",
            values=("review_conference", "manager"),
        ),
        Term(
            "plan.agencies_consulted",
            "The manager consulted the agencies present at the conference that made the plan.",
            type="boolean",
        ),
        Term(
            "plan.receiving_conference_held",
            "The receiving authority has held its transfer-in conference and confirmed responsibility.",
            type="boolean",
        ),
        Term(
            "cin_plan.started",
            "The child in need plan that followed the child protection plan has started by the evaluation date.",
            type="boolean",
        ),
        Term(
            "cin_plan.closure_agreed_by_senior_manager",
            "A senior manager agreed to close the child in need plan early.",
            type="boolean",
        ),
        Term("report.agency", "The agency that wrote the report.", type="string"),
        Term(
            "report.withheld",
            "The agency did not share the report with the family before the conference, stating why in it.",
            type="boolean",
        ),
        Term(
            "report.withholding_agreed",
            "The conference chair agreed that the report be withheld from the family. Dated: the day the chair agreed.",
            type="boolean",
            dated=True,
        ),
        Term(
            "exclusion_request.ground",
            "The ground of a request to exclude a parent.",
            type="enum",
            values=(
                "prejudice_to_child",
                "disruptive_behaviour",
                "child_request",
                "professional_intimidated",
                "confidential_information",
                "family_conflict",
            ),
        ),
    )
}


def closest(name: str, candidates: dict[str, Term] | list[str]) -> str | None:
    """The candidate nearest to a misspelt ``name``, for a 'did you mean' hint."""
    import difflib

    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None
