"""Plain English for the vocabulary: events, facts, conditions and dates as the procedures word them.

``{fact: child.unborn, equals: true}`` reads "the child is not yet born", ``strategy_discussion`` "the strategy
discussion", ``2025-03-25`` "25 March 2025". The procedure document (:mod:`engine.review.render`), a rule's
sentences (:mod:`engine.review.rule_wording`) and the comparison of areas (:mod:`engine.review.compare`) all
say things in these words, so that a term reads the same wherever cpc shows it. A term this module has no
words for still reads, from its name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from engine.policy import describe


@dataclass(frozen=True, slots=True)
class _Event:
    noun: str
    present: str = ""  # "X takes place" unless given
    past: str = ""  # "X took place" unless given

    def happens(self) -> str:
        return self.present or f"{self.noun} takes place"

    def happened(self) -> str:
        return self.past or f"{self.noun} took place"


# fmt: off
_EVENTS: dict[str, _Event] = {
    "strategy_discussion": _Event("the strategy discussion"),
    "move_notified": _Event(
        "notification that the child has moved permanently into the area",
        "notification of the move is received", "notification of the move was received",
    ),
    "transfer_accepted": _Event(
        "the receiving authority's formal acceptance of the transfer",
        "the receiving authority formally accepts the transfer",
        "the receiving authority formally accepted the transfer",
    ),
    "epo_expiry": _Event(
        "the expiry of the Emergency Protection Order",
        "the Emergency Protection Order expires", "the Emergency Protection Order expired",
    ),
    "looked_after_review_decision": _Event(
        "the looked-after review's decision to convene an initial conference",
        "the looked-after review decides to convene an initial conference",
        "the looked-after review decided to convene an initial conference",
    ),
    "initial_conference": _Event("the initial conference"),
    "pre_birth_conference": _Event("the pre-birth conference"),
    "transfer_in_conference": _Event("the transfer-in conference"),
    "first_conference": _Event("the conference that made the plan"),
    "review_conference": _Event("a review conference"),
    "conference": _Event("the conference"),
    "birth": _Event("the birth", "the child is born", "the child was born"),
    "core_group_meeting": _Event("a core group meeting"),
    "report_to_chair": _Event(
        "an agency's report reaching the chair",
        "each agency's report is available to the chair", "an agency's report was available to the chair",
    ),
    "report_shared_with_parents": _Event(
        "an agency's report being shared with the parents",
        "each agency's report is provided to and discussed with the parents",
        "an agency's report was provided to and discussed with the parents",
    ),
    "exclusion_request": _Event(
        "a request to exclude a parent",
        "a request to exclude a parent is made to the chair", "a request to exclude a parent was made",
    ),
    "documents_sent": _Event(
        "the sending of the outline plan and the conference decision",
        "the outline plan and the conference decision are sent to everyone who attended or was invited",
        "the outline plan and the conference decision were sent",
    ),
    "plan_discussed_with_parents": _Event(
        "the discussion of the plan with the parents",
        "the child protection plan is discussed with the parents",
        "the child protection plan was discussed with the parents",
    ),
    "documentation_received": _Event(
        "receipt of the conference documentation",
        "the conference documentation is received", "the conference documentation was received",
    ),
    "amendment_request": _Event(
        "a request to amend the conference record",
        "a request to amend the conference record is received",
        "a request to amend the conference record was received",
    ),
    "plan_start": _Event("the start of the child protection plan", "the plan starts", "the plan started"),
    "plan_end": _Event("the end of the child protection plan", "the plan ends", "the plan ended"),
    "cin_plan_start": _Event(
        "the start of the child in need plan", "the child in need plan starts", "the child in need plan started",
    ),
    "cin_review": _Event("a review of the child in need plan"),
    "cin_plan_end": _Event(
        "the closure of the child in need plan", "the child in need plan closes", "the child in need plan closed",
    ),
    "significant_change": _Event(
        "a significant change in the child's circumstances",
        "there is a significant change in the child's circumstances",
        "there was a significant change in the child's circumstances",
    ),
    "strategy_meeting": _Event("a multi-agency strategy meeting"),
    "pregnancy_start": _Event(
        "the start of the pregnancy (40 weeks before the expected date of birth)",
        "the pregnancy starts", "the pregnancy started",
    ),
    "pre_proceedings_letter": _Event(
        "the pre-proceedings letter or letter of issue",
        "the pre-proceedings letter or letter of issue is sent to the parents",
        "the pre-proceedings letter or letter of issue was sent to the parents",
    ),
    "cao_assessments_concluded": _Event(
        "the conclusion of the assessments under the child assessment order",
        "the assessments under the child assessment order are concluded",
        "the assessments under the child assessment order were concluded",
    ),
    "hospital_discharge": _Event(
        "the baby's discharge from hospital",
        "the baby is discharged from hospital", "the baby was discharged from hospital",
    ),
    "hospital_discharge_meeting": _Event("the hospital discharge meeting"),
    "return_home_considered": _Event(
        "the looked-after review that considered the child's return home",
        "a looked-after review considers the proposal to return the child home",
        "a looked-after review considered the proposal to return the child home",
    ),
    "return_home": _Event("the child's return home", "the child returns home", "the child returned home"),
}

# Boolean facts: (what it means when true, when false).
_FLAGS: dict[str, tuple[str, str]] = {
    "conference.social_care_present": ("children's social care attends", "children's social care does not attend"),
    "conference.proceeded_inquorate": (
        "the chair decides to go ahead although the conference is not quorate",
        "the chair has not decided to go ahead without a quorum",
    ),
    "conference.inquorate_reasons_recorded": (
        "the chair's reasons for going ahead, and any arrangements to keep the child safe in the meantime, are "
        "noted in the conference record",
        "the chair's reasons for going ahead are not noted in the conference record",
    ),
    "conference.inquorate": ("the conference was not quorate", "the conference was quorate"),
    "conference.key_agency_absent": (
        "a key agency working with the family is not present", "every key agency working with the family is present",
    ),
    "conference.plan_made": (
        "the conference decides the child needs a child protection plan", "the conference decides no plan is needed",
    ),
    "conference.child_declined": (
        "the child, having had the conference explained, says they do not wish to attend",
        "the child has not said they do not wish to attend",
    ),
    "conference.parents_invited": (
        "the parents are invited to the conference", "the parents are not invited to the conference",
    ),
    "conference.invitation_would_prejudice_child": (
        "inviting the parents was judged likely to prejudice the child's welfare",
        "inviting the parents was not judged likely to prejudice the child's welfare",
    ),
    "conference.interpreter_needed": ("a parent needs an interpreter", "no parent needs an interpreter"),
    "conference.interpreter_offered": (
        "an interpreter is offered and provided to the parents", "no interpreter is offered to the parents",
    ),
    "conference.social_care_report": (
        "children's social care provides a written report to the conference",
        "children's social care provides no written report to the conference",
    ),
    "conference.cin_plan_or_recommendations": (
        "the conference draws up a child in need plan or recommendations for one",
        "the conference draws up neither a child in need plan nor recommendations for one",
    ),
    "conference.no_help_needed": (
        "the conference finds that the child needs no further help",
        "the conference finds that the child needs further help",
    ),
    "conference.fewer_than_three_agencies": (
        "the child has not had relevant contact with three agencies (children's social care and two others)",
        "the child has had relevant contact with three agencies or more",
    ),
    "conference.exclusion_decided": (
        "the chair has decided before the conference to exclude a parent",
        "the chair has not decided to exclude a parent",
    ),
    "child.unborn": ("the child is not yet born", "the child has been born"),
    "child.pre_birth_conference_held": (
        "a pre-birth conference has been held",
        "no pre-birth conference has been held yet",
    ),
    "child.care_order": ("the child is subject to a care order", "the child is not subject to a care order"),
    "child.premature_birth_likely": ("a premature birth is likely", "a premature birth is not known to be likely"),
    "child.looked_after": ("the child is looked after by the local authority", "the child is not looked after"),
    "s47.no_conference": (
        "the team manager has recorded the decision not to call a conference after the section 47 enquiry",
        "the team manager has not recorded a decision against calling a conference after the section 47 enquiry",
    ),
    "mother.medically_fit": (
        "the mother is medically fit to attend a meeting within the first 10 days after the birth",
        "the mother is not medically fit to attend a meeting within the first 10 days after the birth",
    ),
    "plan.open": ("the child is subject of a child protection plan", "the child protection plan has ended"),
    "plan.agencies_consulted": (
        "the manager has consulted the agencies present at the conference that made the plan",
        "the manager has not consulted the agencies present at the conference that made the plan",
    ),
    "plan.receiving_conference_held": (
        "the receiving authority has held its transfer-in conference and confirmed in writing that it is responsible",
        "the receiving authority has not yet held its transfer-in conference",
    ),
    "cin_plan.started": (
        "the child in need plan that followed the child protection plan has started",
        "no child in need plan has started yet",
    ),
    "cin_plan.closure_agreed_by_senior_manager": (
        "a senior manager agreed to close the child in need plan early",
        "no senior manager agreed to close the child in need plan early",
    ),
    "report.withheld": (
        "the agency withheld the report from the family, stating why in it",
        "the agency did not withhold the report from the family",
    ),
    "report.withholding_agreed": (
        "the chair agreed that the report be withheld from the family",
        "the chair has not agreed that the report be withheld from the family",
    ),
}

# Number facts: phrasings for at least N, below N and exactly N.
_AGES = ("the child is {n} or over", "the child is under {n}", "the child is {n}")
_NUMBERS: dict[str, tuple[str, str, str]] = {
    "conference.child_age_years": _AGES,
    "child.age_years": _AGES,
    "conference.other_agencies_present": (
        "at least {n} other professional groups or agencies with direct contact with the child attend",
        "fewer than {n} other professional groups or agencies with direct contact with the child attend",
        "{n} other professional groups or agencies with direct contact with the child attend",
    ),
}

_CONFERENCE_TYPES = {
    "initial": "an initial conference",
    "pre_birth": "a pre-birth conference",
    "transfer_in": "a transfer-in conference",
    "review": "a review conference",
}

# Facts that take one of a set of values: the words before the value, and the words for each value.
_CHOICES: dict[str, tuple[str, dict[str, str]]] = {
    "conference.type": ("the conference is", _CONFERENCE_TYPES),
    "plan.first_conference_type": ("the plan was made at", _CONFERENCE_TYPES),
    "plan.end_reason": (
        "the plan ended because",  # one of several: "the plan ended for one of these reasons:"
        {
            "no_longer_at_risk": "the child is no longer likely to suffer significant harm",
            "transferred_out": "the child moved permanently to another area",
            "reached_18": "the child reached 18",
            "died": "the child died",
            "left_uk": "the child permanently left the UK",
            "reason_no_longer_applies": "the reason for the plan clearly no longer applies",
        },
    ),
    "plan.ended_by": (
        "the plan was ended by",
        {
            "review_conference": "a review conference",
            "manager": "a child protection manager without a review conference",
        },
    ),
    "conference.category": (
        "the conference records the category of",
        {
            "physical_abuse": "physical abuse",
            "emotional_abuse": "emotional abuse",
            "sexual_abuse": "sexual abuse",
            "neglect": "neglect",
            "multiple": "multiple categories of abuse or neglect",
        },
    ),
    # Agencies are free text in a case; the one the procedure names has words, others read as written.
    "report.agency": ("the report is from", {"childrens_social_care": "children's social care"}),
    "exclusion_request.ground": (
        "the request states the ground that",
        {
            "prejudice_to_child": "the parent's presence may seriously prejudice the child's welfare",
            "disruptive_behaviour": "the parent may seriously interfere with the work of the conference",
            "child_request": "the child asks that the parent is not present while they are",
            "professional_intimidated": (
                "the parent's presence would stop a professional contributing, for fear of violence or intimidation"
            ),
            "confidential_information": "the conference needs to receive confidential information",
            "family_conflict": "conflict between family members makes the meeting unmanageable or unsafe",
        },
    ),
}
# fmt: on

# How a long list of values is introduced, where "<lead> one of these:" reads badly.
_MANY = {
    "plan.end_reason": "the plan ended for one of these reasons:",
    "exclusion_request.ground": "the request states one of these grounds:",
}

# The vocabulary terms this module has words for; a test keeps them in step with engine/core/vocabulary.py.
WORDED_EVENTS = frozenset(_EVENTS)
WORDED_FACTS = frozenset(_FLAGS) | frozenset(_NUMBERS) | frozenset(_CHOICES)

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def long_date(day: dt.date | None) -> str:
    """``2025-03-25`` → ``25 March 2025``, the way the procedures write dates (whatever the locale)."""
    if day is None:
        return "an unknown date"
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _plain_name(name: object) -> str:
    return str(name).replace("_", " ").replace(".", " ")


def event_words(name: object) -> _Event:
    """The words for an event of the vocabulary: its noun, and how it is said to happen or have happened."""
    known = _EVENTS.get(str(name))
    if known is not None:
        return known
    # A term added to the vocabulary after this table still reads, if less well.
    return _Event(f"the {_plain_name(name)}")


def _join_or(items: list[str]) -> str:
    if len(items) <= 2:
        return " or ".join(items)
    return f"{', '.join(items[:-1])} or {items[-1]}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _events_happen(what: object) -> str:
    """``[review_conference, core_group_meeting]`` → ``a review conference or a core group meeting takes place``."""
    names = what if isinstance(what, list) else [what]
    events = [event_words(n) for n in names]
    if all(not e.present for e in events):
        return f"{_join_or([e.noun for e in events])} takes place"
    return _join_or([e.happens() for e in events])


def _repeat(noun: str, word: str) -> str:
    """``a review conference`` → ``the next review conference``: for a clock that restarts at each one."""
    for article in ("a ", "an ", "the "):
        if noun.startswith(article):
            return f"the {word} {noun[len(article) :]}"
    return f"the {word} {noun}"


def _bare(noun: str) -> str:
    """``a multi-agency strategy meeting`` → ``multi-agency strategy meeting``: for "no …"."""
    for article in ("a ", "an ", "the "):
        if noun.startswith(article):
            return noun[len(article) :]
    return noun


def condition(cond: Mapping) -> str:
    """One condition of a rule in plain English: ``{fact: child.unborn, equals: true}`` → the child is not yet born."""
    if "any_of" in cond:
        members = [condition(c) for c in cond["any_of"] or [] if isinstance(c, Mapping)]
        return f"either {_join_or(members)}" if len(members) > 1 else "".join(members)
    if "fact" in cond:
        said = _fact(cond)
        # A dated fact recorded after the due date does not excuse a deadline already missed.
        return said + (", recorded on or before the due date" if cond.get("recorded_by") == "due" else "")
    if "event" in cond:
        event = event_words(cond["event"])
        if "within" in cond:
            of = event_words(cond.get("of")).noun
            if cond.get("boundary") == "exclusive":
                # The last day of the time does not count: strictly less than the time after the event.
                return f"{event.happened()} less than {cond['within']} after {of}"
            return f"{event.happened()} within {cond['within']} of {of}"
        since = f" since {_repeat(event_words(cond['since']).noun, 'latest')}" if cond.get("since") else ""
        if cond.get("happened") is False:
            return f"no {_bare(event.noun)} has taken place{since}"
        return event.happened() + since
    if "elapsed" in cond:
        amount = str(cond["elapsed"])
        verb = "has" if amount.startswith("1 ") else "have"
        return f"at least {amount} {verb} passed since {event_words(cond.get('since')).noun}"
    return describe.condition(dict(cond))


def _fact(cond: Mapping) -> str:
    name = str(cond["fact"])
    if name in _FLAGS and isinstance(cond.get("equals"), bool):
        return _FLAGS[name][0 if cond["equals"] else 1]
    if name in _NUMBERS:
        at_least, below, equals = _NUMBERS[name]
        for op, template in (("at_least", at_least), ("below", below), ("equals", equals)):
            if op in cond:
                return template.format(n=cond[op])
    if name in _CHOICES:
        lead, words = _CHOICES[name]
        if "equals" in cond:
            return f"{lead} {words.get(str(cond['equals']), _plain_name(cond['equals']))}"
        if isinstance(cond.get("in"), list):
            said = [words.get(str(v), _plain_name(v)) for v in cond["in"]]
            if len(said) < 4 and not any("," in v for v in said):
                return f"{lead} {_join_or(said)}"
            # A long list of clauses reads as a list: "one of these: a; b; or c".
            return f"{_MANY.get(name, lead + ' one of these:')} {'; '.join(said[:-1])}; or {said[-1]}"
    return _plain_name(describe.condition(dict(cond)))


def conditions(items: object) -> str:
    """A rule's conditions, all of which must hold, joined with "and"; empty when there are none."""
    if not isinstance(items, list):
        return ""
    return " and ".join(condition(c) for c in items if isinstance(c, Mapping))
