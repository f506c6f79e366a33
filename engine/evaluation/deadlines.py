"""Dates for deadlines: when something is due, whether and when it was done, and how late (docs/results.md).

Which clocks run is decided by durable-rules (the anchor occurrences its patterns matched); this module
only does the date arithmetic, which durable-rules cannot: working days need the bank-holiday calendar.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from engine.core.calendar import WorkingCalendar
from engine.core.durations import Duration, Unit, parse_duration
from engine.core.vocabulary import EVENTS
from engine.evaluation.case import CaseFacts, Occurrence

# A clock for one of these stops when the plan it serves ends before it falls due; once the plan ends after
# the due date, what was not done can no longer be done (docs/results.md, "When a deadline can no longer be met").
PLAN_BOUND = {
    "review_conference": "plan_end",
    "core_group_meeting": "plan_end",
    "plan_discussed_with_parents": "plan_end",
    "cin_review": "cin_plan_end",
}
# Events that belong to one conference (its documents, its record): a later conference supersedes them, and so
# does the end of the plan after that conference.
CONFERENCE_RECORDS = frozenset({"documents_sent", "documentation_received", "amendment_request"})


class Verdict(NamedTuple):
    """A deadline's verdict for one clock (a tuple: one is made for every deadline result of every case)."""

    status: str
    due: dt.date | dt.datetime | None
    done: dt.date | dt.datetime | None
    late_amount: int | None
    late_unit: str
    done_ref: str | None = None
    closed: dt.date | None = None
    earliest: dt.date | None = None
    # The occurrence whose clock set the due date, where a whichever_sooner or _later clock did.
    clock: Occurrence | None = None


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
    closes: dt.date | None = None,
) -> Verdict:
    """Met, missed, pending or overdue; ``closes`` is the day from which ``what`` can no longer be done, if any.

    Not done by then, a deadline past due is ``missed`` with that day, not ``overdue``: overdue is work a
    manager can still act on, and a report for a conference already held is not.
    """
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
    if closes is not None and closes <= as_of:
        return Verdict("missed", due, None, lateness(calendar, duration, due, closes), unit, closed=closes)
    return Verdict("overdue", due, None, lateness(calendar, duration, due, as_of), unit)


def _whats(params: dict) -> list[str]:
    what = params.get("what")
    return list(what) if isinstance(what, list) else [str(what)]


SCAN_LIMIT = 32
"""Up to this many occurrences, clocks scan them; past it they search an index (:class:`_Timeline`), so that a
case with thousands of conferences takes n log n, not n squared. Both give the same answers."""


def _few(facts: CaseFacts, events: list[str]) -> bool:
    count = 0
    for event in events:
        count += len(facts.events.get(event, ()))
    return count <= SCAN_LIMIT


@dataclass(frozen=True, slots=True)
class _Timeline:
    """One event's occurrences that have happened, indexed so that each clock finds its own in log time.

    ``happened`` is in the case's order (:func:`engine.evaluation.case.derive` sorts by day); ``keys`` and ``ordered``
    are the same occurrences by :func:`_key`, ties kept in that order; ``owned`` lists each conference's own
    occurrences in that order; ``days`` is each day in the case's order, if that order is by day."""

    happened: list[Occurrence]
    keys: list[tuple[dt.date, dt.time]]
    ordered: list[Occurrence]
    owned: dict[str, list[Occurrence]]
    days: list[dt.date] | None


def _timeline(facts: CaseFacts, event: str) -> _Timeline:
    found = facts.views.get(("timeline", event))
    if found is not None:
        return found  # type: ignore[return-value]
    happened = facts.occurrences(event)
    keyed = sorted([(_key(o.when), index) for index, o in enumerate(happened)])
    owned: dict[str, list[Occurrence]] = {}
    for occurrence in happened:
        if occurrence.owner is not None:
            owned.setdefault(occurrence.owner, []).append(occurrence)
    days = [o.day for o in happened]
    in_order = all(a <= b for a, b in itertools.pairwise(days))
    timeline = _Timeline(
        happened, [k for k, _ in keyed], [happened[i] for _, i in keyed], owned, days if in_order else None
    )
    facts.views["timeline", event] = timeline
    return timeline


def _owned(facts: CaseFacts, events: list[str], anchor: Occurrence) -> list[Occurrence]:
    """The occurrences of ``events`` that belong to the anchor's conference, other than the anchor itself, in
    the order of ``events`` and then of the case."""
    if anchor.owner is None:
        return []
    return [o for event in events for o in _timeline(facts, event).owned.get(anchor.owner, ()) if o.ref != anchor.ref]


def first_after(facts: CaseFacts, events: list[str], anchor: Occurrence) -> Occurrence | None:
    """The occurrence of ``events`` that meets the clock ``anchor`` starts.

    When the anchor is a conference and the events belong to it (its documents, its amendment
    requests), the first of those. Otherwise the first occurrence after the anchor: strictly after it
    for the same event (the next review after a review), on or after its day for another event (a
    conference may follow a strategy discussion the same day); never the anchor's own conference.
    Of occurrences at the same moment, the first in the order of ``events`` and then of the case.
    """
    if _few(facts, events):
        return _first_after_scan(facts, events, anchor)
    owned = _owned(facts, events, anchor)
    if owned:
        return min(owned, key=lambda o: _key(o.when))
    best: Occurrence | None = None
    best_key: tuple[dt.date, dt.time] | None = None
    for event in events:
        timeline = _timeline(facts, event)
        keys = timeline.keys
        if event == anchor.event:
            start = bisect.bisect_right(keys, _key(anchor.when))
        else:
            start = bisect.bisect_left(keys, (anchor.day, dt.time.min))
        # The first at or past the start that is not the anchor's own conference (one at most is).
        for index in range(start, len(keys)):
            occurrence = timeline.ordered[index]
            if anchor.ref is not None and occurrence.ref == anchor.ref:
                continue
            if best_key is None or keys[index] < best_key:
                best, best_key = occurrence, keys[index]
            break
    return best


def _first_after_scan(facts: CaseFacts, events: list[str], anchor: Occurrence) -> Occurrence | None:
    """:func:`first_after` by looking at every occurrence: quicker for a few, and the definition for many."""
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
    timeline = None if _few(facts, [event]) else _timeline(facts, event)
    if timeline is not None and timeline.days is not None:
        before = bisect.bisect_right(timeline.days, anchor.day)
        if before:
            return timeline.happened[before - 1]
        return timeline.happened[0] if timeline.happened else None
    found = facts.occurrences(event)
    earlier = [o for o in found if o.day <= anchor.day]
    if earlier:
        return earlier[-1]
    return found[0] if found else None


Excused = Callable[[str | None, "dt.date | dt.datetime"], "dt.date | None"]
"""For a clock's subject (a report's ref, or None) and its due date: the day from which ``what`` need no longer
happen (``optional_when``), or None. Excused by the due date, a deadline not done gives no result; excused only
later, it stays missed, closed that day."""


def _never(_ref: str | None, _due: dt.date | dt.datetime) -> dt.date | None:
    return None


def _exclusive_due(calendar: WorkingCalendar, duration: Duration, due: dt.date | dt.datetime) -> dt.date | dt.datetime:
    """The last moment on time when the boundary day itself does not count (``boundary: exclusive``)."""
    if isinstance(due, dt.datetime):
        return due - dt.timedelta(minutes=1)
    if duration.unit is Unit.WORKING_DAYS:
        return calendar.working_day_on_or_before(due - dt.timedelta(days=1))
    return due - dt.timedelta(days=1)


def _until(facts: CaseFacts, params: dict, anchor: Occurrence, done: Occurrence | None) -> dt.date | None:
    """The first day on or after the clock's start on which an ``until`` event happened before ``what`` did."""
    until = params.get("until")
    events = until if isinstance(until, list) else [until] if isinstance(until, str) else []
    days = [o.day for e in events for o in facts.occurrences(e) if o.day >= anchor.day]
    if done is not None:
        days = [d for d in days if d < done.day]
    return min(days, default=None)


def within(
    params: dict,
    anchor: Occurrence,
    facts: CaseFacts,
    calendar: WorkingCalendar,
    *,
    optional: bool = False,
    excused: Excused = _never,
) -> Verdict | None:
    """The verdict on a ``within D of E`` deadline for the clock ``anchor`` starts; None if it stopped, or if
    ``what`` has not happened and need not (``optional``: the rule's ``optional``; ``excused``: its
    ``optional_when``)."""
    duration = parse_duration(params["within"])
    due = calendar.add(anchor.when, duration)
    governing = anchor
    for key, pick in (("whichever_sooner", min), ("whichever_later", max)):
        for clock in params.get(key) or []:
            other = _nearest(facts, clock["of"], anchor)
            if other is not None:
                candidate = calendar.add(other.when, parse_duration(clock["within"]))
                if pick(due, candidate, key=_key) is not due:
                    due, governing = candidate, other
    if params.get("boundary") == "exclusive":
        due = _exclusive_due(calendar, duration, due)
    whats = _whats(params)
    done = first_after(facts, whats, anchor) or _held_before(facts, whats, anchor)
    until = _until(facts, params, anchor, done)
    if until is not None:
        # What is done after the clock stopped is not what the deadline asked for.
        done = None
    if (done is None and optional) or _stopped(facts, whats, anchor, done, due):
        return None
    closes = None if done else _closes(facts, whats, anchor)
    for stop in (until, None if done else excused(None, due)):
        stopped, closes = _stopping(stop, due, closes)
        if stopped:
            return None
    found = verdict(calendar, duration, due, done, facts.as_of, closes)
    if governing is anchor:
        return found
    return Verdict(
        found.status,
        found.due,
        found.done,
        found.late_amount,
        found.late_unit,
        found.done_ref,
        found.closed,
        None,
        governing,
    )


def _stopping(stop: dt.date | None, due: dt.date | dt.datetime, closes: dt.date | None) -> tuple[bool, dt.date | None]:
    """Whether a clock stopped at ``stop`` by its due date (there is then nothing to report), and otherwise the
    day its window closes: the earlier of ``closes`` and ``stop``."""
    if stop is None:
        return False, closes
    if stop <= _day(due):
        return True, closes
    return False, stop if closes is None else min(closes, stop)


def not_before(params: dict, anchor: Occurrence, facts: CaseFacts, calendar: WorkingCalendar) -> Verdict | None:
    """The verdict on a ``not_before D after E`` lower bound for the clock ``anchor`` starts: met, ``breached``
    (too early, by ``late_amount``), or None while ``what`` has not happened (nothing is due)."""
    duration = parse_duration(params["not_before"])
    earliest = _day(calendar.add(anchor.when, duration))
    if params.get("boundary") == "exclusive":
        step = earliest + dt.timedelta(days=1)
        earliest = calendar.working_day_on_or_after(step) if duration.unit is Unit.WORKING_DAYS else step
    done = first_after(facts, _whats(params), anchor)
    if done is None:
        return None
    unit = "working days" if duration.unit is Unit.WORKING_DAYS else "days"
    if done.day >= earliest:
        return Verdict("met", None, done.when, None, unit, done.ref, earliest=earliest)
    if duration.unit is Unit.WORKING_DAYS:
        early = calendar.working_days_between(done.day, earliest)
    else:
        early = (earliest - done.day).days
    return Verdict("breached", None, done.when, early, unit, done.ref, earliest=earliest)


def _held_before(facts: CaseFacts, whats: list[str], anchor: Occurrence) -> Occurrence | None:
    """A ``what`` that happens once in a case and already happened before the clock started (a transfer-in
    conference held before the formal acceptance of the transfer): it meets the deadline, which asks only that
    it have happened by the due date. A repeating event (a review, a core group) never counts from before."""
    if any(EVENTS[w].repeats for w in whats if w in EVENTS):
        return None
    earlier = [o for w in whats for o in facts.occurrences(w) if o.day < anchor.day and o.ref != anchor.ref]
    return max(earlier, key=lambda o: _key(o.when), default=None)


def _closes(facts: CaseFacts, whats: list[str], anchor: Occurrence) -> dt.date | None:
    """The day from which none of ``whats`` can be done for the clock ``anchor`` starts, if one has come.

    A plan's own work (reviews, core groups) ends with the plan; a conference's records (its documents, its
    amendment requests) with the next conference, the end of the plan after it, or the start of the child in
    need plan that followed it. Anything else (an initial conference not yet held) can still be done, however
    late.
    """
    days: list[dt.date] = []
    for what in whats:
        if what in PLAN_BOUND:
            ends = [e.day for e in facts.occurrences(PLAN_BOUND[what]) if e.day >= anchor.day]
        elif what in CONFERENCE_RECORDS and anchor.owner is not None:
            ends = [e.day for e in facts.occurrences("plan_end") if e.day > anchor.day]
            ends += [c.day for c in facts.occurrences("conference") if c.day > anchor.day and c.ref != anchor.ref]
            # The conference that ended the plan: its record is superseded once the child in need plan starts.
            ends += [s.day for s in facts.occurrences("cin_plan_start") if s.day > anchor.day]
        else:
            return None
        if not ends:
            return None
        days.append(min(ends))
    # With alternatives, the window is open while any of them can still be done.
    return max(days) if days else None


def _stopped(
    facts: CaseFacts, whats: list[str], anchor: Occurrence, done: Occurrence | None, due: dt.date | dt.datetime
) -> bool:
    ends = {PLAN_BOUND[w] for w in whats if w in PLAN_BOUND}
    if not ends or any(w not in PLAN_BOUND for w in whats):
        # Something that is not the plan's own work would also meet the deadline: the plan's end does not stop it.
        return False
    if "plan_end" in ends and any(start.day > anchor.day for start in facts.occurrences("plan_start")):
        # A clock started before the plan did (a review dated before the plan's start, which the SSD import
        # warns of) is no work of this plan's.
        return True
    for end_event in ends:
        for end in facts.occurrences(end_event):
            # A plan that had already ended when the clock started (a birth after the plan ended) has no work
            # left to do; one that ends before the due date stops the clock.
            if (done is None or done.day > end.day) and end.day <= _day(due):
                return True
    return False


def before(
    params: dict,
    anchor: Occurrence,
    facts: CaseFacts,
    calendar: WorkingCalendar,
    *,
    optional: bool = False,
    excused: Excused = _never,
) -> list[Verdict | None]:
    """Verdicts on an ``at least D before E`` deadline: one per report of the anchor's conference for a report
    event, else one per occurrence of ``what`` belonging to the anchor (its requests), or one for the whole
    when none is recorded and ``optional`` is false."""
    duration = parse_duration(params["at_least"])
    due = calendar.subtract(anchor.when, duration)
    if isinstance(due, dt.datetime) and duration.unit is not Unit.HOURS:
        due = due.date()
    if params.get("boundary") == "exclusive":
        due = _exclusive_due(calendar, duration, due)
    whats = _whats(params)
    # Something due before a conference can no longer be done once the conference has been held, nor
    # anything due before an order expires once it has.
    closes = anchor.day if anchor.happened else None
    reports = _reports_of(facts, whats, anchor)
    if reports:
        return [
            _report_verdict(calendar, duration, due, facts, whats, ref, closes, optional, excused) for ref in reports
        ]
    if _few(facts, whats):
        owned = [
            o
            for event in whats
            for o in facts.occurrences(event)
            if anchor.owner is not None and o.owner == anchor.owner and o.ref != anchor.ref
        ]
    else:
        owned = _owned(facts, whats, anchor)
    if not owned and anchor.owner is None:
        # Not a conference (an order's expiry): any occurrence up to the anchor counts.
        owned = [o for event in whats for o in facts.occurrences(event) if o.day <= anchor.day][:1]
        if not owned:
            later = [o for event in whats for o in facts.occurrences(event)]
            owned = sorted(later, key=lambda o: _key(o.when))[:1]
    if not owned:
        stopped, closes = _stopping(excused(None, due), due, closes)
        if optional or stopped:
            return []
        return [verdict(calendar, duration, due, None, facts.as_of, closes)]
    return [verdict(calendar, duration, due, o, facts.as_of) for o in owned]


# Events that belong to one report of a conference: judged report by report (docs/policy-format.md, "Facts on
# items"), so that a report with no date is that report's missing event.
REPORT_EVENTS = frozenset({"report_to_chair", "report_shared_with_parents"})


def _reports_of(facts: CaseFacts, whats: list[str], anchor: Occurrence) -> list[str]:
    if anchor.owner is None or not whats or any(w not in REPORT_EVENTS for w in whats):
        return []
    return [ref for ref, report in facts.reports.items() if report.get("conference") == anchor.owner]


def _report_verdict(
    calendar: WorkingCalendar,
    duration: Duration,
    due: dt.date | dt.datetime,
    facts: CaseFacts,
    whats: list[str],
    ref: str,
    closes: dt.date | None,
    optional: bool,
    excused: Excused,
) -> Verdict | None:
    done = [o for w in whats for o in facts.occurrences(w) if o.ref == ref]
    if done:
        return verdict(calendar, duration, due, min(done, key=lambda o: _key(o.when)), facts.as_of)
    stopped, closes = _stopping(excused(ref, due), due, closes)
    if optional or stopped:
        return None
    found = verdict(calendar, duration, due, None, facts.as_of, closes)
    return Verdict(found.status, found.due, None, found.late_amount, found.late_unit, ref, found.closed)
