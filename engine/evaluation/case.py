"""Turn one child's case (docs/case-format.md) into the events and facts the policy vocabulary names.

The case records what happened; this module is the one place that decides what that means in the
procedure's words: which conference made the plan, how old the child was on a conference date, whether
social care attended. Events dated after the evaluation date have not happened yet and are left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

SOCIAL_CARE = "childrens_social_care"
# Gestational age is counted from 280 days (40 weeks) before the expected date of birth: the obstetric
# convention by which "20 weeks into the pregnancy" is a date.
PREGNANCY_DAYS = 280
PLAN_MAKING_TYPES = ("initial", "pre_birth", "transfer_in")
_NONE: list = []  # the occurrences of an event a case does not have (never changed)
CONFERENCE_EVENTS = {
    "initial": "initial_conference",
    "pre_birth": "pre_birth_conference",
    "transfer_in": "transfer_in_conference",
    "review": "review_conference",
}


class Occurrence(NamedTuple):
    """One dated occurrence of an event; ``owner`` is the conference it belongs to, if any. (A tuple: a case
    has dozens, made on every evaluation.)

    ``happened`` is false for a date still to come on the evaluation date (an order's expiry, a booked
    conference): such a date can be counted back from, but nothing is done by it yet.
    """

    event: str
    when: dt.date | dt.datetime
    owner: str | None = None
    ref: str | None = None
    happened: bool = True

    @property
    def day(self) -> dt.date:
        return self.when.date() if isinstance(self.when, dt.datetime) else self.when


@dataclass(slots=True)
class CaseFacts:
    """A case as the engine sees it: dated events, and flat facts about the case and each conference."""

    case_id: str
    as_of: dt.date
    events: dict[str, list[Occurrence]] = field(default_factory=dict)
    case: dict[str, object] = field(default_factory=dict)
    conferences: dict[str, dict[str, object]] = field(default_factory=dict)
    exclusion_requests: dict[str, dict[str, object]] = field(default_factory=dict)
    # Each report of each conference, by ref (``icpc-1/report-2``), with its ``conference`` and its facts.
    reports: dict[str, dict[str, object]] = field(default_factory=dict)
    # The day a dated fact was recorded, by (ref of what it is about, or "" for the case; fact name).
    dates: dict[tuple[str, str], dt.date] = field(default_factory=dict)
    # The events and facts the case's source cannot record (its `coverage`): their absence says nothing.
    not_recorded: frozenset[str] = frozenset()
    # The category of abuse or neglect the conference that made the plan recorded, for the census's counts.
    plan_category: str | None = None
    # What is worked out from an event's occurrences on first use and kept for the evaluation, by (what, event):
    # engine.evaluation.deadlines' index ("timeline"), the ones that have happened, each conference's own.
    # :meth:`add` and :func:`derive`'s final sort empty it, so none outlives its events.
    views: dict[tuple[str, str], object] = field(default_factory=dict, repr=False, compare=False)

    def occurrences(self, event: str, *, scheduled: bool = False) -> list[Occurrence]:
        """The event's occurrences that have happened; with ``scheduled``, dates still to come as well.

        The list is the case's own: do not change it."""
        found = self.events.get(event, _NONE)
        if scheduled:
            return found
        happened = self.views.get(("happened", event))
        if happened is None:
            # Asked for dozens of times per evaluation: filtered once, kept until the events change.
            happened = self.views["happened", event] = [o for o in found if o.happened]
        return happened  # type: ignore[return-value]

    def owned(self, event: str, ref: str) -> Occurrence:
        """The occurrence of ``event`` whose ref is ``ref`` (a conference's own event), happened or not."""
        index = self.views.get(("owned", event))
        if index is None:
            index = self.views["owned", event] = {str(o.ref): o for o in self.events.get(event, ())}
        return index[ref]  # type: ignore[index]

    def add(
        self, event: str, when: object, owner: str | None = None, ref: str | None = None, *, held: bool = True
    ) -> None:
        if not isinstance(when, dt.date):
            return
        day = when.date() if isinstance(when, dt.datetime) else when
        self.events.setdefault(event, []).append(Occurrence(event, when, owner, ref, held and day <= self.as_of))
        self.views.clear()


def age_on(birth: dt.date, day: dt.date) -> int:
    """Whole years from ``birth`` to ``day``; a 29 February birthday falls on 1 March in other years."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _day(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _dates(values: object) -> Iterable[dt.date]:
    if isinstance(values, list):
        for value in values:
            if isinstance(value, dt.date):
                yield value


def _when(conference: dict) -> dt.date | dt.datetime | None:
    day = _day(conference.get("date"))
    if day is None:
        return None
    time = conference.get("time")
    if isinstance(time, str) and len(time) >= 4:
        hours, _, minutes = time.partition(":")
        try:
            return dt.datetime.combine(day, dt.time(int(hours), int(minutes[:2])))
        except ValueError:
            return day
    return day


def derive(case: dict, as_of: dt.date) -> CaseFacts:
    """The events and facts of ``case`` as they stand on ``as_of``."""
    facts = CaseFacts(case_id=str(case.get("id", "")), as_of=as_of)
    coverage = case.get("coverage") or {}
    facts.not_recorded = frozenset(n for n in coverage.get("not_recorded") or () if isinstance(n, str))
    child = case.get("child") or {}
    birth = _day(child.get("date_of_birth"))
    plan = case.get("plan") or {}
    step_down = case.get("step_down") or {}

    facts.add("strategy_discussion", (case.get("s47") or {}).get("strategy_discussion"))
    transfer = case.get("transfer_in") or {}
    facts.add("move_notified", transfer.get("notified"))
    facts.add("transfer_accepted", transfer.get("accepted"))
    facts.add("epo_expiry", (case.get("emergency_protection_order") or {}).get("expires"))
    facts.add("looked_after_review_decision", (case.get("looked_after_review") or {}).get("decision"))
    facts.add("birth", birth)
    expected = _day(child.get("expected_date_of_birth"))
    if expected is not None:
        facts.add("pregnancy_start", expected - dt.timedelta(days=PREGNANCY_DAYS))
    facts.add("pre_proceedings_letter", (case.get("pre_proceedings") or {}).get("letter_sent"))
    facts.add("cao_assessments_concluded", (case.get("child_assessment_order") or {}).get("assessments_concluded"))
    hospital = case.get("birth_hospital") or {}
    facts.add("hospital_discharge", hospital.get("discharged"))
    facts.add("hospital_discharge_meeting", hospital.get("discharge_meeting"))
    looked_after_review = case.get("looked_after_review") or {}
    facts.add("return_home_considered", looked_after_review.get("considered"))
    facts.add("return_home", looked_after_review.get("returned_home"))

    conferences = [c for c in case.get("conferences") or [] if isinstance(c, dict) and _day(c.get("date"))]
    conferences.sort(key=lambda c: (_day(c.get("date")), str(c.get("time", ""))))
    held = [c for c in conferences if _is_held(c, as_of)]
    first = _first_conference(held, plan)
    for conference in conferences:
        cid = str(conference.get("id"))
        when = _when(conference)
        kind = conference.get("type")
        is_held = _is_held(conference, as_of)
        facts.add("conference", when, cid, cid, held=is_held)
        if kind in CONFERENCE_EVENTS:
            facts.add(CONFERENCE_EVENTS[kind], when, cid, cid, held=is_held)
        if conference is first:
            facts.add("first_conference", when, cid, cid)
        facts.conferences[cid] = _conference_fact(conference, birth, is_held)
        if not is_held:
            continue
        for index, report in enumerate(conference.get("reports") or []):
            if not isinstance(report, dict):
                continue
            ref = f"{cid}/report-{index + 1}"
            facts.add("report_to_chair", report.get("sent_to_chair"), cid, ref)
            facts.add("report_shared_with_parents", report.get("shared_with_parents"), cid, ref)
            facts.reports[ref] = _report_fact(report, ref, cid, as_of, facts.dates)
        for index, request in enumerate(conference.get("exclusion_requests") or []):
            ref = f"{cid}/exclusion-{index + 1}"
            facts.add("exclusion_request", request.get("date"), cid, ref)
            fact: dict[str, object] = {"ref": ref, "conference": cid}
            if "ground" in request:
                fact["ground"] = request["ground"]
            facts.exclusion_requests[ref] = fact
        facts.add("documents_sent", conference.get("documents_sent"), cid, f"{cid}/documents")
        facts.add("documentation_received", conference.get("documentation_received"), cid, f"{cid}/received")
        for index, day in enumerate(_dates(conference.get("amendment_requests"))):
            facts.add("amendment_request", day, cid, f"{cid}/amendment-{index + 1}")

    for day in _dates(case.get("core_group_meetings")):
        facts.add("core_group_meeting", day)
    facts.add("plan_start", plan.get("start"))
    facts.add("plan_end", plan.get("end"))
    facts.add("plan_discussed_with_parents", plan.get("discussed_with_parents"))
    facts.add("cin_plan_start", step_down.get("cin_plan_start"))
    for day in _dates(step_down.get("cin_reviews")):
        facts.add("cin_review", day)
    facts.add("cin_plan_end", step_down.get("cin_plan_end"))
    for change in case.get("significant_changes") or []:
        if isinstance(change, dict):
            facts.add("significant_change", change.get("date"))
    for day in _dates(case.get("strategy_meetings")):
        facts.add("strategy_meeting", day)
    for occurrences in facts.events.values():
        occurrences.sort(key=lambda o: (o.day, o.when if isinstance(o.when, dt.datetime) else dt.datetime.min))
    facts.views.clear()

    facts.case = _case_fact(case, child, birth, plan, step_down, first, as_of)
    if facts.case["s47.no_conference"] is True:
        facts.dates[("", "s47.no_conference")] = _day((case.get("s47") or {}).get("no_conference_decided"))  # type: ignore[assignment]
    category = ((first or {}).get("outcome") or {}).get("category")
    facts.plan_category = category if isinstance(category, str) else None
    facts.case["child.pre_birth_conference_held"] = any(c.get("type") == "pre_birth" for c in held)
    return facts


def _is_held(conference: dict, as_of: dt.date) -> bool:
    day = _day(conference.get("date"))
    return conference.get("held", True) is not False and day is not None and day <= as_of


def _first_conference(held: list[dict], plan: dict) -> dict | None:
    """The conference that made the plan: the first initial-type one whose outcome was a plan."""
    candidates = [c for c in held if c.get("type") in PLAN_MAKING_TYPES]
    for conference in candidates:
        if (conference.get("outcome") or {}).get("plan") is True:
            return conference
    start = _day(plan.get("start"))
    if start is not None:
        on_start = [c for c in candidates if _day(c.get("date")) == start]
        if on_start:
            return on_start[0]
    return None


def _conference_fact(conference: dict, birth: dt.date | None, held: bool) -> dict[str, object]:
    fact: dict[str, object] = {"ref": str(conference.get("id")), "held": held}
    day = _day(conference.get("date"))
    if "type" in conference:
        fact["type"] = conference["type"]
    if birth is not None and day is not None and day >= birth:
        fact["child_age_years"] = age_on(birth, day)
    agencies = conference.get("agencies_present")
    if isinstance(agencies, list):
        fact["social_care_present"] = SOCIAL_CARE in agencies
        fact["other_agencies_present"] = len({a for a in agencies if a != SOCIAL_CARE})
    for source, name in (
        ("chair_proceeded_inquorate", "proceeded_inquorate"),
        ("inquorate_reasons_recorded", "inquorate_reasons_recorded"),
        ("key_agency_absent", "key_agency_absent"),
        ("child_declined_to_attend", "child_declined"),
        ("parents_invited", "parents_invited"),
        ("invitation_would_prejudice_child", "invitation_would_prejudice_child"),
        ("interpreter_needed", "interpreter_needed"),
        ("interpreter_offered", "interpreter_offered"),
        ("fewer_than_three_agencies_in_contact", "fewer_than_three_agencies"),
    ):
        if isinstance(conference.get(source), bool):
            fact[name] = conference[source]
    if isinstance(conference.get("quorate"), bool):
        fact["inquorate"] = not conference["quorate"]
    elif conference.get("chair_proceeded_inquorate") is True:
        fact["inquorate"] = True
    outcome = conference.get("outcome") or {}
    if isinstance(outcome.get("plan"), bool):
        fact["plan_made"] = outcome["plan"]
    for key in ("cin_plan_or_recommendations", "no_help_needed"):
        if isinstance(outcome.get(key), bool):
            fact[key] = outcome[key]
    if isinstance(outcome.get("category"), str):
        fact["category"] = outcome["category"]
    reports = conference.get("reports")
    if isinstance(reports, list):
        # Known only where the case lists the conference's reports: a case silent on reports says nothing.
        fact["social_care_report"] = any(isinstance(r, dict) and r.get("agency") == SOCIAL_CARE for r in reports)
    requests = [r for r in conference.get("exclusion_requests") or [] if isinstance(r, dict)]
    if any(isinstance(r.get("excluded"), bool) for r in requests):
        fact["exclusion_decided"] = any(r.get("excluded") is True for r in requests)
    return fact


def _report_fact(
    report: dict, ref: str, conference: str, as_of: dt.date, dates: dict[tuple[str, str], dt.date]
) -> dict[str, object]:
    fact: dict[str, object] = {"ref": ref, "conference": conference}
    if isinstance(report.get("agency"), str):
        fact["agency"] = report["agency"]
    if isinstance(report.get("withheld_from_parents"), bool):
        fact["withheld"] = report["withheld_from_parents"]
    agreed = _day(report.get("withholding_agreed"))
    if agreed is not None and agreed <= as_of:
        fact["withholding_agreed"] = True
        dates[(ref, "report.withholding_agreed")] = agreed
    elif report.get("withheld_from_parents") is True:
        # Withheld, and no agreement recorded by the evaluation date.
        fact["withholding_agreed"] = False
    return fact


def _case_fact(
    case: dict, child: dict, birth: dt.date | None, plan: dict, step_down: dict, first: dict | None, as_of: dt.date
) -> dict[str, object]:
    fact: dict[str, object] = {}
    if birth is not None:
        fact["child.unborn"] = False
        fact["child.age_years"] = age_on(birth, as_of) if as_of >= birth else 0
    elif child.get("expected_date_of_birth") is not None:
        fact["child.unborn"] = True
    for key in ("looked_after", "care_order", "premature_birth_likely"):
        if isinstance(child.get(key), bool):
            fact[f"child.{key}"] = child[key]
    decided = _day((case.get("s47") or {}).get("no_conference_decided"))
    fact["s47.no_conference"] = decided is not None and decided <= as_of
    mother = case.get("mother") or {}
    if isinstance(mother.get("medically_fit_after_birth"), bool):
        fact["mother.medically_fit"] = mother["medically_fit_after_birth"]
    if first is not None and first.get("type") in PLAN_MAKING_TYPES:
        fact["plan.first_conference_type"] = first["type"]
    start, end = _day(plan.get("start")), _day(plan.get("end"))
    if start is not None and start <= as_of:
        fact["plan.open"] = end is None or end > as_of
    for key in ("end_reason", "ended_by", "agencies_consulted", "receiving_conference_held"):
        if key in plan and (key not in ("end_reason", "ended_by") or (end is not None and end <= as_of)):
            fact[f"plan.{key}"] = plan[key]
    cin_start = _day(step_down.get("cin_plan_start"))
    fact["cin_plan.started"] = cin_start is not None and cin_start <= as_of
    if isinstance(step_down.get("closure_agreed_by_senior_manager"), bool):
        fact["cin_plan.closure_agreed_by_senior_manager"] = step_down["closure_agreed_by_senior_manager"]
    return fact
