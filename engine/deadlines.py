"""Dates for deadlines: when something is due, whether and when it was done, and how late (docs/results.md).

Which clocks run is decided by durable-rules (the anchor occurrences its patterns matched); this module
only does the date arithmetic, which durable-rules cannot: working days need the bank-holiday calendar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .calendar import WorkingCalendar
from .case import CaseFacts, Occurrence
from .durations import Duration, Unit, parse_duration

# A clock for one of these stops when the plan it serves ends before it falls due.
PLAN_BOUND = {
    "review_conference": "plan_end",
    "core_group_meeting": "plan_end",
    "plan_discussed_with_parents": "plan_end",
    "cin_review": "cin_plan_end",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    status: str
    due: dt.date | dt.datetime
    done: dt.date | dt.datetime | None
    late_amount: int | None
    late_unit: str
    done_ref: str | None = None


def _key(moment: dt.date | dt.datetime) -> tuple[dt.date, dt.time]:
    if isinstance(moment, dt.datetime):
        return (moment.date(), moment.time())
    return (moment, dt.time.max)


def _day(moment: dt.date | dt.datetime) -> dt.date:
    return moment.date() if isinstance(moment, dt.datetime) else moment


def late_unit(duration: Duration) -> str:
    if duration.unit is Unit.WORKING_DAYS:
        return "working days"
    if duration.unit is Unit.HOURS:
        return "hours"
    return "days"


def lateness(
    calendar: WorkingCalendar, duration: Duration, due: dt.date | dt.datetime, when: dt.date | dt.datetime
) -> int:
    """How far ``when`` is past ``due``, in the unit results report for ``duration``."""
    if duration.unit is Unit.WORKING_DAYS:
        return max(calendar.working_days_between(_day(due), _day(when)), 0)
    if duration.unit is Unit.HOURS and isinstance(due, dt.datetime):
        moment = when if isinstance(when, dt.datetime) else dt.datetime.combine(when, dt.time.max)
        return max(int(-(-(moment - due).total_seconds() // 3600)), 0)
    return max((_day(when) - _day(due)).days, 0)


def _on_time(done: dt.date | dt.datetime, due: dt.date | dt.datetime) -> bool:
    if isinstance(due, dt.datetime) and isinstance(done, dt.datetime):
        return done <= due
    return _day(done) <= _day(due)


def verdict(
    calendar: WorkingCalendar,
    duration: Duration,
    due: dt.date | dt.datetime,
    done: Occurrence | None,
    as_of: dt.date,
) -> Verdict:
    unit = late_unit(duration)
    if unit == "hours" and not isinstance(due, dt.datetime):
        # Counted from a date with no time: the due date is a whole day, so lateness is in days.
        unit = "days"
    if done is not None:
        if _on_time(done.when, due):
            return Verdict("met", due, done.when, None, unit, done.ref)
        return Verdict("missed", due, done.when, lateness(calendar, duration, due, done.when), unit, done.ref)
    if as_of <= _day(due):
        return Verdict("pending", due, None, None, unit)
    return Verdict("overdue", due, None, lateness(calendar, duration, due, as_of), unit)


def _whats(params: dict) -> list[str]:
    what = params.get("what")
    return list(what) if isinstance(what, list) else [str(what)]


def first_after(facts: CaseFacts, events: list[str], anchor: Occurrence) -> Occurrence | None:
    """The occurrence of ``events`` that meets the clock ``anchor`` starts.

    When the anchor is a conference and the events belong to it (its documents, its amendment
    requests), the first of those. Otherwise the first occurrence after the anchor: strictly after it
    for the same event (the next review after a review), on or after its day for another event (a
    conference may follow a strategy discussion the same day); never the anchor's own conference.
    """
    found = [o for event in events for o in facts.occurrences(event)]
    owned = [o for o in found if anchor.owner is not None and o.owner == anchor.owner and o.ref != anchor.ref]
    if owned:
        return min(owned, key=lambda o: _key(o.when))
    best: Occurrence | None = None
    for occurrence in found:
        if anchor.ref is not None and occurrence.ref == anchor.ref:
            continue
        if occurrence.event == anchor.event:
            later = _key(occurrence.when) > _key(anchor.when)
        else:
            later = occurrence.day >= anchor.day
        if later and (best is None or _key(occurrence.when) < _key(best.when)):
            best = occurrence
    return best


def _nearest(facts: CaseFacts, event: str, anchor: Occurrence) -> Occurrence | None:
    """For a second clock: its event's latest occurrence on or before the anchor, else its first after."""
    found = facts.occurrences(event)
    before = [o for o in found if o.day <= anchor.day]
    if before:
        return before[-1]
    return found[0] if found else None


def within(params: dict, anchor: Occurrence, facts: CaseFacts, calendar: WorkingCalendar) -> Verdict | None:
    """The verdict on a ``within D of E`` deadline for the clock ``anchor`` starts; None if it stopped."""
    duration = parse_duration(params["within"])
    due = calendar.add(anchor.when, duration)
    for clock in params.get("whichever_sooner") or []:
        other = _nearest(facts, clock["of"], anchor)
        if other is not None:
            candidate = calendar.add(other.when, parse_duration(clock["within"]))
            if _key(candidate) < _key(due):
                due = candidate
    whats = _whats(params)
    done = first_after(facts, whats, anchor)
    if (done is None and params.get("optional")) or _stopped(facts, whats, anchor, done, due):
        return None
    return verdict(calendar, duration, due, done, facts.as_of)


def _stopped(
    facts: CaseFacts, whats: list[str], anchor: Occurrence, done: Occurrence | None, due: dt.date | dt.datetime
) -> bool:
    ends = {PLAN_BOUND[w] for w in whats if w in PLAN_BOUND}
    for end_event in ends:
        for end in facts.occurrences(end_event):
            if end.day < anchor.day:
                continue
            if (done is None or done.day > end.day) and end.day <= _day(due):
                return True
    return False


def before(params: dict, anchor: Occurrence, facts: CaseFacts, calendar: WorkingCalendar) -> list[Verdict | None]:
    """Verdicts on an ``at least D before E`` deadline: one per occurrence of ``what`` belonging to the
    anchor (its reports, its requests), or one for the whole when none is recorded."""
    duration = parse_duration(params["at_least"])
    due = calendar.subtract(anchor.when, duration)
    if isinstance(due, dt.datetime) and duration.unit is not Unit.HOURS:
        due = due.date()
    whats = _whats(params)
    owned = [
        o
        for event in whats
        for o in facts.occurrences(event)
        if anchor.owner is not None and o.owner == anchor.owner and o.ref != anchor.ref
    ]
    if not owned and anchor.owner is None:
        # Not a conference (an order's expiry): any occurrence up to the anchor counts.
        owned = [o for event in whats for o in facts.occurrences(event) if o.day <= anchor.day][:1]
        if not owned:
            later = [o for event in whats for o in facts.occurrences(event)]
            owned = sorted(later, key=lambda o: _key(o.when))[:1]
    if not owned:
        return [] if params.get("optional") else [verdict(calendar, duration, due, None, facts.as_of)]
    return [verdict(calendar, duration, due, o, facts.as_of) for o in owned]
