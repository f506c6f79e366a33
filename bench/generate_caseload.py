"""A seeded, synthetic caseload of child protection cases, as JSON Lines, for benchmarks and reports.

    python bench/generate_caseload.py N --seed S --out caseload.jsonl [--as-of YYYY-MM-DD]

Writes N cases, one per line, each valid against ``schemas/case.schema.json`` (docs/case-format.md). Nobody in
it is real: ids are ``synthetic-000001`` and up, and no case has a name, free text or any other field that could
hold one. The same N, seed and ``--as-of`` give byte-identical output, and the first k cases of a run are the
first k cases of any longer run with the same seed and date, because every case draws from one
``random.Random(seed)`` in turn and nothing depends on N.

The mix is shaped after what a local authority's caseload looks like, so that evaluating it gives every
status in realistic proportions rather than a uniform spread:

* about 8% pre-birth cases (an expected date of birth and a pre-birth conference; once the expected date has
  passed the child is born, with the mother recorded fit, unfit or not recorded, then a review or core group
  after the birth), about 5% transfers in (notified and usually accepted, then a transfer-in conference),
  and the rest a strategy discussion followed by an initial conference: most within 15 working days, some
  late, and about 10% of cases so recent that the conference is booked, not yet held, or overdue;
* most first conferences make a plan; reviews follow about three months later and then about six-monthly,
  some late, and a few never held so that they are overdue on ``--as-of``; plans end at a review (no longer at
  risk) or by a manager (moved away, reached 18, left the UK, reason no longer applies, with or without the
  agencies consulted), and most plans ended as no longer needed step down to a child in need plan with
  reviews about six-weekly, some closed early with or without a senior manager's agreement;
* each held conference has children's social care (nearly always) and 0 to 4 other agencies, so some are
  inquorate, and of those the chair sometimes proceeded, with the reasons recorded or not; agencies'
  reports reach the chair and the parents mostly in time, some late, some never; a few exclusion requests,
  each with a ground (sometimes not one of the procedure's six, sometimes none); documents sent mostly
  within 24 hours; core groups; significant changes and strategy meetings after some plans end.

Dates fall in the three years before ``--as-of`` (default 2026-03-01), on working days
(engine.core.calendar) where a real service would book them: strategy discussions, conferences, core
groups, reports. Nothing is dated after ``--as-of`` except an expected date of birth and a conference that is
booked but not held yet.

The script streams: it builds one case at a time and writes it, so memory does not grow with N.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from itertools import accumulate
from pathlib import Path
from typing import TypeVar

from engine.core.calendar import WorkingCalendar
from engine.core.durations import Duration, Unit, add_months

T = TypeVar("T")

DEFAULT_AS_OF = dt.date(2026, 3, 1)
# How far back the strategy discussions (and notifications) reach: dates spread over the three years before
# --as-of, so a 2026 run spans 2023 to 2026.
SPAN_DAYS = 3 * 365
SOCIAL_CARE = "childrens_social_care"
OTHER_AGENCIES = (
    "police",
    "school",
    "health_visitor",
    "gp",
    "school_nurse",
    "camhs",
    "probation",
    "housing",
    "early_years",
    "adult_mental_health",
    "substance_misuse_service",
    "domestic_abuse_service",
    "youth_justice",
)
PRE_BIRTH_AGENCIES = (
    "midwifery",
    "health_visitor",
    "gp",
    "police",
    "adult_mental_health",
    "substance_misuse_service",
    "probation",
    "housing",
    "domestic_abuse_service",
)
TIMES = ("09:30", "10:00", "10:30", "11:00", "13:30", "14:00")
CATEGORIES = ("neglect", "emotional_abuse", "physical_abuse", "sexual_abuse", "multiple")
# Roughly the national split of plans by category of abuse.
CATEGORY_WEIGHTS = (0.50, 0.36, 0.07, 0.04, 0.03)
GROUNDS = (
    "prejudice_to_child",
    "disruptive_behaviour",
    "child_request",
    "professional_intimidated",
    "confidential_information",
    "family_conflict",
)
# Children subject of plans are mostly young: weights for an age band, then a year inside it.
AGE_BANDS = ((0, 0, 0.10), (1, 4, 0.25), (5, 9, 0.28), (10, 15, 0.30), (16, 17, 0.07))
# How many agencies besides children's social care attend: 2 or more is quorate.
OTHERS_WEIGHTS = (0.03, 0.07, 0.30, 0.34, 0.26)
PRE_BIRTH_OTHERS_WEIGHTS = (0.05, 0.15, 0.40, 0.28, 0.12)
# Chance that the plan ends at the nth review (1-based; the last value applies after that).
END_AT_REVIEW = (0.22, 0.40, 0.50, 0.60)
# Why a manager discontinues a plan between reviews; no_longer_at_risk needs a review, so it breaches the rule.
MANAGER_REASONS = ("transferred_out", "reason_no_longer_applies", "left_uk", "died", "no_longer_at_risk")
MANAGER_REASON_WEIGHTS = (0.45, 0.30, 0.10, 0.03, 0.12)

# Running totals of the weights above, for weighted draws by bisection.
_CATEGORY_CUMULATIVE = tuple(accumulate(CATEGORY_WEIGHTS))
_AGE_RANGES = tuple((low, high) for low, high, _ in AGE_BANDS)
_AGE_CUMULATIVE = tuple(accumulate(w for _, _, w in AGE_BANDS))
_COUNTS = (0, 1, 2, 3, 4)
_OTHERS_CUMULATIVE = tuple(accumulate(OTHERS_WEIGHTS))
_PRE_BIRTH_OTHERS_CUMULATIVE = tuple(accumulate(PRE_BIRTH_OTHERS_WEIGHTS))
_MANAGER_REASON_CUMULATIVE = tuple(accumulate(MANAGER_REASON_WEIGHTS))


class _Days:
    """Working-day arithmetic on the England and Wales calendar (engine.core.calendar.WorkingCalendar).

    The generator asks for a dozen working-day dates per case, so the working days of a window around
    --as-of are read from the calendar once into a table and each question is an index into it; a date
    outside the window is asked of the calendar itself.
    """

    def __init__(self, as_of: dt.date) -> None:
        self.calendar = WorkingCalendar()
        self._durations: dict[int, Duration] = {}
        first = as_of - dt.timedelta(days=SPAN_DAYS + 2 * 365)
        last = as_of + dt.timedelta(days=3 * 365)
        self._base = first.toordinal()
        self._working: list[dt.date] = []
        # _next[o - base]: the index in _working of the first working day after ordinal o.
        self._next: list[int] = []
        for o in range(self._base, last.toordinal() + 1):
            day = dt.date.fromordinal(o)
            if self.calendar.is_working_day(day):
                self._working.append(day)
            self._next.append(len(self._working))

    def _duration(self, n: int) -> Duration:
        found = self._durations.get(n)
        if found is None:
            found = self._durations[n] = Duration(n, Unit.WORKING_DAYS)
        return found

    def _index_after(self, day: dt.date) -> int | None:
        offset = day.toordinal() - self._base
        return self._next[offset] if 1 <= offset < len(self._next) else None

    def after(self, day: dt.date, n: int) -> dt.date:
        """The nth working day after ``day`` (``day`` itself for 0)."""
        i = self._index_after(day)
        if n == 0:
            return day
        if i is not None and i + n - 1 < len(self._working):
            return self._working[i + n - 1]
        return self.calendar.add(day, self._duration(n))

    def before(self, day: dt.date, n: int) -> dt.date:
        """The nth working day before ``day`` (``day`` itself for 0)."""
        if n == 0:
            return day
        i = self._index_after(day - dt.timedelta(days=1))
        if i is not None and i - n >= 0:
            return self._working[i - n]
        return self.calendar.subtract(day, self._duration(n))

    def on_or_after(self, day: dt.date) -> dt.date:
        """``day`` if it is a working day, else the next one."""
        i = self._index_after(day - dt.timedelta(days=1))
        if i is not None and i < len(self._working):
            return self._working[i]
        return self.calendar.working_day_on_or_after(day)

    def on_or_before(self, day: dt.date) -> dt.date:
        """``day`` if it is a working day, else the one before."""
        i = self._index_after(day)
        if i is not None and i >= 1:
            return self._working[i - 1]
        return self.calendar.working_day_on_or_before(day)


_TIMEDELTAS = tuple(dt.timedelta(days=n) for n in range(SPAN_DAYS + 400))


def _days(n: int) -> dt.timedelta:
    return _TIMEDELTAS[n] if 0 <= n < len(_TIMEDELTAS) else dt.timedelta(days=n)


class _CaseMaker:
    """Builds one case at a time from a shared random stream; holds no state between cases but the stream."""

    def __init__(self, rng: random.Random, as_of: dt.date) -> None:
        self.rng = rng
        self.random = rng.random
        self.as_of = as_of
        self.days = _Days(as_of)

    # -- small draws ---------------------------------------------------------------------------------------

    def between(self, lo: int, hi: int) -> int:
        """A whole number from ``lo`` to ``hi`` inclusive; ``randint`` is three times slower."""
        return lo + int(self.random() * (hi - lo + 1))

    def pick(self, items: Sequence[T], cumulative: tuple[float, ...]) -> T:
        """One of ``items``, weighted by ``cumulative`` (running totals ending at 1); ``choices`` is slower."""
        return items[bisect_right(cumulative, self.random() * cumulative[-1])]

    def one_of(self, items: Sequence[T]) -> T:
        """One of ``items``, all equally likely."""
        return items[int(self.random() * len(items))]

    def some_of(self, items: Sequence[T], k: int) -> list[T]:
        """``k`` different items in random order (a partial shuffle; ``random.sample`` is slower for small k)."""
        pool = list(items)
        for i in range(k):
            j = i + int(self.random() * (len(pool) - i))
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]

    def category(self) -> str:
        return self.pick(CATEGORIES, _CATEGORY_CUMULATIVE)

    def age(self) -> int:
        low, high = self.pick(_AGE_RANGES, _AGE_CUMULATIVE)
        return self.between(low, high)

    def birth_for_age(self, age: int, on: dt.date) -> dt.date:
        """A date of birth that makes the child ``age`` on ``on``."""
        return on - _days(age * 365 + age // 4 + self.between(1, 364))

    def start_day(self, *, recent: bool) -> dt.date:
        """When a case starts: in the last month for a recent one, else anywhere in the span."""
        back = self.between(0, 30) if recent else self.between(31, SPAN_DAYS)
        return self.days.on_or_before(self.as_of - _days(back))

    def first_conference_delay(self) -> int:
        """Working days from the strategy discussion (or notification) to the conference."""
        r = self.rng.random()
        if r < 0.05:
            return self.between(3, 7)
        if r < 0.80:
            return self.between(8, 15)
        if r < 0.93:
            return self.between(16, 20)
        return self.between(21, 40)

    # -- a conference --------------------------------------------------------------------------------------

    def conference(
        self, cid: str, kind: str, day: dt.date, *, age: int | None, pool: tuple[str, ...] = OTHER_AGENCIES
    ) -> dict:
        """A conference on ``day``: booked if after --as-of, else held with attendance, reports and records."""
        rng = self.rng
        conf: dict = {"id": cid, "type": kind, "date": day.isoformat()}
        if rng.random() < 0.55:
            conf["time"] = self.one_of(TIMES)
        if day > self.as_of:
            if rng.random() < 0.7:
                conf["held"] = False
            return conf

        weights = _PRE_BIRTH_OTHERS_CUMULATIVE if pool is PRE_BIRTH_AGENCIES else _OTHERS_CUMULATIVE
        n_others = self.pick(_COUNTS, weights)
        social_care = rng.random() < 0.97
        others = self.some_of(pool, n_others)
        conf["agencies_present"] = ([SOCIAL_CARE] if social_care else []) + others
        quorate = social_care and n_others >= 2
        if rng.random() < 0.7:
            conf["quorate"] = quorate
        if not quorate and rng.random() < 0.65:
            conf["chair_proceeded_inquorate"] = True
            r = rng.random()
            if r < 0.75:
                conf["inquorate_reasons_recorded"] = True
            elif r < 0.92:
                conf["inquorate_reasons_recorded"] = False
        if rng.random() < 0.05:
            conf["key_agency_absent"] = True
        if age is not None and age >= 12 and rng.random() < 0.25:
            conf["child_declined_to_attend"] = True

        reports = self.reports(day, 5 if kind == "review" else 2, conf["agencies_present"])
        if reports:
            conf["reports"] = reports
        if rng.random() < 0.04:
            conf["exclusion_requests"] = [self.exclusion_request(day)]
        sent = self.documents_sent(day, conf.get("time"))
        if sent is not None:
            conf["documents_sent"] = sent
            received = dt.date.fromisoformat(sent[:10]) + _days(self.between(1, 6))
            if rng.random() < 0.25 and received <= self.as_of:
                conf["documentation_received"] = received.isoformat()
                if rng.random() < 0.15:
                    late = rng.random() >= 0.85
                    asked = self.days.after(received, self.between(6, 12) if late else self.between(1, 5))
                    if asked <= self.as_of:
                        conf["amendment_requests"] = [asked.isoformat()]
        return conf

    def reports(self, day: dt.date, notice: int, agencies: list[str]) -> list[dict]:
        """Agencies' reports for a conference needing ``notice`` working days: mostly in time."""
        rng = self.rng
        if rng.random() < 0.04 or not agencies:
            return []
        authors = [agencies[0], *self.some_of(agencies[1:], min(len(agencies) - 1, self.between(0, 3)))]
        out = []
        for agency in authors:
            report: dict = {"agency": agency}
            r = rng.random()
            sent_back = None
            if r < 0.82:
                sent_back = self.between(notice, notice + 4)
            elif r < 0.95:
                sent_back = self.between(0, notice - 1)
            if sent_back is not None:
                report["sent_to_chair"] = self.days.before(day, sent_back).isoformat()
            # Shared with the parents on or after the report reached the chair, usually within two working
            # days of it, so a report late to the chair is late to the parents too.
            r = rng.random()
            if sent_back is None:
                shared_back = self.between(notice, notice + 3) if r < 0.75 else self.between(0, notice - 1)
            elif r < 0.90:
                # In time to the chair is mostly in time to the parents too.
                shared_back = self.between(max(notice if sent_back >= notice else 0, sent_back - 2), sent_back)
            else:
                shared_back = self.between(0, sent_back)
            if rng.random() < 0.93:
                report["shared_with_parents"] = self.days.before(day, shared_back).isoformat()
            out.append(report)
        return out

    def exclusion_request(self, day: dt.date) -> dict:
        rng = self.rng
        back = self.between(3, 10) if rng.random() < 0.85 else self.between(0, 2)
        request: dict = {"date": self.days.before(day, back).isoformat()}
        r = rng.random()
        if r < 0.85:
            request["ground"] = self.one_of(GROUNDS)
        elif r < 0.95:
            request["ground"] = "other"
        r = rng.random()
        if r < 0.5:
            request["excluded"] = True
        elif r < 0.85:
            request["excluded"] = False
        return request

    def documents_sent(self, day: dt.date, time: str | None) -> str | None:
        """When the outline plan went out: mostly within 24 hours, some later, a few never.

        With the conference's time known, a date-time a number of hours after it; without, a date.
        """
        rng = self.rng
        r = rng.random()
        if r < 0.04:
            return None
        if time is not None and rng.random() < 0.6:
            start = dt.datetime.combine(day, dt.time.fromisoformat(time))
            hours = self.between(2, 23) if r < 0.92 else self.between(25, 120)
            sent_at = start + dt.timedelta(hours=hours, minutes=15 * self.between(0, 3))
            return sent_at.isoformat(timespec="minutes") if sent_at.date() <= self.as_of else None
        sent = day + _days(self.between(0, 1) if r < 0.92 else self.between(2, 6))
        return sent.isoformat() if sent <= self.as_of else None

    # -- the plan and what follows it ----------------------------------------------------------------------

    def plan_course(
        self,
        case: dict,
        first: dt.date,
        birth: dt.date | None,
        *,
        first_review_due: dt.date | None = None,
        pool: tuple[str, ...] = OTHER_AGENCIES,
        core_groups: list[dt.date] | None = None,
        first_review: dt.date | None = None,
    ) -> None:
        """Run a plan made on ``first`` forward to --as-of: core groups, reviews, perhaps its end and step-down."""
        rng, days, as_of = self.rng, self.days, self.as_of
        plan: dict = {"start": first.isoformat()}
        # About one plan in five is a second or later one (the census's repeat plans), taken from the case's
        # number rather than the random stream, so that every other value stays as the seed made it before.
        number = int(str(case["id"]).rsplit("-", 1)[-1])
        plan["previous_plans"] = 2 if number % 23 == 0 else 1 if number % 5 == 0 else 0
        if rng.random() < 0.92:
            back = self.between(3, 20) if rng.random() < 0.85 else self.between(21, 35)
            discussed = days.after(first, back)
            if discussed <= as_of:
                plan["discussed_with_parents"] = discussed.isoformat()

        conferences: list[dict] = case["conferences"]
        end: dt.date | None = None
        prev = first
        due = first_review_due or add_months(first, 3)
        category = self.category()
        n = 0
        eighteen = _birthday(birth, 18) if birth is not None else None
        while True:
            if first_review is not None and n == 0:
                held = first_review
            elif rng.random() < 0.85:
                held = days.on_or_before(due - _days(self.between(0, 20)))
            else:
                held = days.on_or_after(due + _days(self.between(1, 45)))
            held = max(held, days.after(prev, 10))
            manager_end = self.manager_ends(prev, held, eighteen)
            if manager_end is not None:
                end = manager_end[0]
                plan.update(manager_end[1])
                break
            if held > as_of:
                # A review still to come: sometimes booked, sometimes not yet in the record.
                if rng.random() < 0.6:
                    age = _age(birth, held)
                    conferences.append(self.conference(f"review-{n + 1}", "review", held, age=age, pool=pool))
                break
            if rng.random() < 0.03:
                # The review was never held: the plan drifts and the review is overdue on --as-of.
                break
            n += 1
            conf = self.conference(f"review-{n}", "review", held, age=_age(birth, held), pool=pool)
            ends = rng.random() < END_AT_REVIEW[min(n, len(END_AT_REVIEW)) - 1]
            conf["outcome"] = {"plan": not ends} if ends else {"plan": True, "category": category}
            conferences.append(conf)
            if ends:
                end = held
                plan["end"] = held.isoformat()
                plan["ended_by"] = "review_conference"
                plan["end_reason"] = "no_longer_at_risk" if rng.random() < 0.95 else "reason_no_longer_applies"
                break
            prev = held
            due = add_months(held, 6)

        case["core_group_meetings"] = [
            d.isoformat() for d in sorted({*(core_groups or []), *self.core_groups(first, end)})
        ]
        if end is not None:
            plan["end"] = end.isoformat()
            # A discussion with the parents after the plan ended would be about a plan that no longer exists.
            if plan.get("discussed_with_parents", "") > plan["end"]:
                del plan["discussed_with_parents"]
        order = ("start", "end", "end_reason", "ended_by", "agencies_consulted", "previous_plans")
        case["plan"] = _ordered(plan, order)
        if end is not None and plan.get("end_reason") in ("no_longer_at_risk", "reason_no_longer_applies"):
            self.step_down(case, end)
        self.changes(case, first, end)

    def manager_ends(
        self, prev: dt.date, next_review: dt.date, eighteen: dt.date | None
    ) -> tuple[dt.date, dict] | None:
        """Whether a manager discontinues the plan between two reviews, when, and on what grounds."""
        rng, as_of = self.rng, self.as_of
        if eighteen is not None and prev < eighteen <= min(next_review, as_of):
            if rng.random() < 0.6:
                return eighteen, {"end_reason": "reached_18", "ended_by": "manager", "agencies_consulted": True}
            return None
        if rng.random() >= 0.04:
            return None
        day = self.days.on_or_after(prev + _days(self.between(20, 150)))
        if day >= next_review or day > as_of:
            return None
        reason = self.pick(MANAGER_REASONS, _MANAGER_REASON_CUMULATIVE)
        ending: dict = {"end_reason": reason, "ended_by": "manager"}
        if reason in ("transferred_out", "left_uk", "died") and rng.random() < 0.9:
            ending["agencies_consulted"] = rng.random() < 0.85
        if reason == "transferred_out" and rng.random() < 0.95:
            ending["receiving_conference_held"] = rng.random() < 0.88
        return day, ending

    def core_groups(self, first: dt.date, end: dt.date | None) -> list[dt.date]:
        """Core group meetings from the first conference until the plan ends or --as-of."""
        rng, days = self.rng, self.days
        r = rng.random()
        if r < 0.85:
            meeting = days.after(first, self.between(4, 10))
        elif r < 0.96:
            meeting = days.after(first, self.between(11, 20))
        else:
            meeting = days.after(first, self.between(25, 45))
        stop = min(end or self.as_of, self.as_of)
        out = []
        while meeting <= stop:
            out.append(meeting)
            meeting = days.on_or_after(meeting + _days(self.between(25, 45)))
        return out

    def step_down(self, case: dict, end: dt.date) -> None:
        """A child in need plan after the plan ended, reviewed about every six weeks."""
        rng, as_of = self.rng, self.as_of
        if rng.random() >= 0.85:
            return
        start = self.days.after(end, self.between(0, 5))
        if start > as_of:
            return
        step: dict = {"cin_plan_start": start.isoformat()}
        r = rng.random()
        close: dt.date | None
        if r < 0.15:
            close = start + _days(self.between(30, 85))
            s = rng.random()
            if s < 0.6:
                step["closure_agreed_by_senior_manager"] = True
            elif s < 0.85:
                step["closure_agreed_by_senior_manager"] = False
        elif r < 0.70:
            close = start + _days(self.between(92, 270))
        else:
            close = None
        stop = min(close or as_of, as_of)
        reviews = []
        review = start + _days(self.between(28, 42) if rng.random() < 0.85 else self.between(43, 70))
        while review <= stop:
            reviews.append(self.days.on_or_before(review).isoformat())
            review += _days(self.between(28, 42) if rng.random() < 0.85 else self.between(43, 70))
        if reviews:
            step["cin_reviews"] = reviews
        if close is not None and close <= as_of:
            step["cin_plan_end"] = close.isoformat()
        case["step_down"] = _ordered(step, ("cin_plan_start", "cin_reviews", "cin_plan_end"))

    def changes(self, case: dict, first: dt.date, end: dt.date | None) -> None:
        """Significant changes (and the strategy meetings some lead to), mostly soon after a plan ends."""
        rng, as_of = self.rng, self.as_of
        if end is not None and case["plan"].get("ended_by") == "review_conference" and rng.random() < 0.10:
            change = end + _days(self.between(5, 85))
        elif end is None and rng.random() < 0.05:
            change = first + _days(self.between(10, 300))
        else:
            return
        if change > as_of:
            return
        case["significant_changes"] = [{"date": change.isoformat()}]
        meeting = self.days.after(change, self.between(1, 5))
        if rng.random() < 0.5 and meeting <= as_of:
            case["strategy_meetings"] = [meeting.isoformat()]

    # -- the three ways a case starts ----------------------------------------------------------------------

    def make(self, index: int) -> dict:
        """Case number ``index`` (1-based)."""
        case: dict = {"id": f"synthetic-{index:06d}"}
        r = self.rng.random()
        if r < 0.08:
            self.pre_birth(case)
        elif r < 0.13:
            self.transfer_in(case)
        else:
            self.initial(case)
        return case

    def child(self, case: dict, birth: dt.date) -> None:
        child: dict = {"date_of_birth": birth.isoformat()}
        r = self.rng.random()
        if r < 0.07:
            child["looked_after"] = True
        elif r < 0.60:
            child["looked_after"] = False
        case["child"] = child

    def initial(self, case: dict) -> None:
        rng, days, as_of = self.rng, self.days, self.as_of
        # About one case in seven starts in the last month, so about 10% have no initial conference held yet.
        recent = rng.random() < 0.14
        start = self.start_day(recent=recent)
        age = self.age()
        birth = self.birth_for_age(age, start)
        self.child(case, birth)
        case["s47"] = {"strategy_discussion": start.isoformat()}
        if rng.random() < 0.02:
            made = start - _days(self.between(0, 2))
            case["emergency_protection_order"] = {"made": made.isoformat(), "expires": (made + _days(8)).isoformat()}
        elif rng.random() < 0.01:
            case["looked_after_review"] = {"decision": (start - _days(self.between(1, 5))).isoformat()}
        case["conferences"] = []
        delay = self.first_conference_delay()
        if ("emergency_protection_order" in case or "looked_after_review" in case) and rng.random() < 0.6:
            # An order about to expire, or a planned return home, brings the conference forward.
            delay = self.between(2, 6)
        held = days.after(start, delay)
        if recent and held <= as_of and rng.random() < 0.3:
            # Not held although it should have been: overdue on --as-of (or still to come).
            return
        conf = self.conference("icpc-1", "initial", held, age=_age(birth, held))
        case["conferences"].append(conf)
        if held > as_of:
            return
        if rng.random() < 0.85:
            conf["outcome"] = {"plan": True, "category": self.category()}
            self.plan_course(case, held, birth)
        else:
            conf["outcome"] = {"plan": False}

    def pre_birth(self, case: dict) -> None:
        rng, days, as_of = self.rng, self.days, self.as_of
        start = self.start_day(recent=rng.random() < 0.10)
        expected = start + _days(self.between(42, 120))
        held = days.after(start, self.first_conference_delay())
        # Born around the expected date, and never before the conference (that would be an initial one).
        birth = max(expected + _days(self.between(-21, 10)), held + _days(3))
        child: dict = {"expected_date_of_birth": expected.isoformat()}
        born = birth <= as_of
        if born:
            child["date_of_birth"] = birth.isoformat()
        case["child"] = child
        if born:
            r = rng.random()
            if r < 0.78:
                case["mother"] = {"medically_fit_after_birth": True}
            elif r < 0.93:
                case["mother"] = {"medically_fit_after_birth": False}
        case["s47"] = {"strategy_discussion": start.isoformat()}
        conf = self.conference("pbc-1", "pre_birth", held, age=None, pool=PRE_BIRTH_AGENCIES)
        case["conferences"] = [conf]
        if held > as_of:
            return
        if rng.random() >= 0.9:
            conf["outcome"] = {"plan": False}
            return
        conf["outcome"] = {"plan": True, "category": self.category()}
        fit = (case.get("mother") or {}).get("medically_fit_after_birth", True)
        core_groups: list[dt.date] = []
        first_review: dt.date | None = None
        first_review_due: dt.date | None = None
        if born:
            # The meeting after the birth: 10 working days if the mother is fit, 20 days if not.
            if fit:
                back = self.between(3, 10) if rng.random() < 0.8 else self.between(11, 18)
                meeting = days.after(birth, back)
            else:
                after = self.between(10, 20) if rng.random() < 0.8 else self.between(21, 30)
                meeting = days.on_or_after(birth + _days(after))
            if meeting <= as_of and rng.random() < 0.4:
                first_review = meeting
            elif meeting <= as_of:
                core_groups.append(meeting)
                first_review_due = min(add_months(birth, 1), add_months(held, 3))
        self.plan_course(
            case,
            held,
            birth if born else None,
            first_review_due=first_review_due,
            pool=PRE_BIRTH_AGENCIES,
            core_groups=core_groups,
            first_review=first_review,
        )

    def transfer_in(self, case: dict) -> None:
        rng, days, as_of = self.rng, self.days, self.as_of
        notified = self.start_day(recent=rng.random() < 0.10)
        age = self.age()
        birth = self.birth_for_age(age, notified)
        self.child(case, birth)
        transfer: dict = {"notified": notified.isoformat()}
        accepted = days.after(notified, self.between(0, 8))
        if rng.random() < 0.85 and accepted <= as_of:
            transfer["accepted"] = accepted.isoformat()
        case["transfer_in"] = transfer
        held = days.after(notified, self.first_conference_delay())
        conf = self.conference("transfer-1", "transfer_in", held, age=_age(birth, held))
        case["conferences"] = [conf]
        if held > as_of:
            return
        if rng.random() < 0.92:
            conf["outcome"] = {"plan": True, "category": self.category()}
            self.plan_course(case, held, birth)
        else:
            conf["outcome"] = {"plan": False}


def _age(birth: dt.date | None, day: dt.date) -> int | None:
    if birth is None or day < birth:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _birthday(birth: dt.date, years: int) -> dt.date:
    # A 29 February birthday falls on 1 March in other years, as engine.evaluation.case.age_on counts it.
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:
        return dt.date(birth.year + years, 3, 1)


def _ordered(data: dict, first: tuple[str, ...]) -> dict:
    """``data`` with the keys ``first`` in that order first, so a record reads the way the format lists it."""
    head = {k: data[k] for k in first if k in data}
    return head | {k: v for k, v in data.items() if k not in head}


def generate_lines(n: int, seed: int, as_of: dt.date = DEFAULT_AS_OF) -> Iterator[str]:
    """Yield ``n`` synthetic cases as JSON Lines (each ending in a newline), one at a time.

    Deterministic: the same ``n``, ``seed`` and ``as_of`` give the same lines, and a shorter run is a prefix
    of a longer one. Uses only its own ``random.Random(seed)``.
    """
    maker = _CaseMaker(random.Random(seed), as_of)
    encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode
    for index in range(1, n + 1):
        yield encode(maker.make(index)) + "\n"


def write_caseload(path: Path | None, n: int, seed: int, as_of: dt.date = DEFAULT_AS_OF) -> None:
    """Write the caseload to ``path`` (standard output for ``None``), a block of lines at a time."""
    handle = sys.stdout if path is None else path.open("w", encoding="utf-8", newline="\n")
    try:
        block: list[str] = []
        for line in generate_lines(n, seed, as_of):
            block.append(line)
            if len(block) >= 1000:
                handle.writelines(block)
                block.clear()
        handle.writelines(block)
    finally:
        if path is not None:
            handle.close()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, metavar="N", help="how many cases to write")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", type=Path, help="JSON Lines file to write (default: standard output)")
    parser.add_argument(
        "--as-of",
        default=DEFAULT_AS_OF.isoformat(),
        metavar="YYYY-MM-DD",
        help=f"the date the caseload stands on; nothing happens after it (default {DEFAULT_AS_OF})",
    )
    args = parser.parse_args(argv)
    if args.n < 0:
        parser.error("N must not be negative")
    try:
        as_of = dt.date.fromisoformat(args.as_of)
    except ValueError:
        parser.error(f"--as-of {args.as_of!r} is not a date; write YYYY-MM-DD")
    if not 2000 <= as_of.year <= 2090:
        parser.error("--as-of must be between 2000 and 2090, where bank holidays are known for the dates around it")
    began = time.perf_counter()
    try:
        write_caseload(args.out, args.n, args.seed, as_of)
    except BrokenPipeError:
        # The reader (`| head`) stopped early: not our error. Point stdout at nothing so the exit flush is quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    elapsed = time.perf_counter() - began
    if args.out is not None:
        rate = args.n / elapsed if elapsed > 0 else float("inf")
        print(f"wrote {args.n} cases to {args.out} in {elapsed:.2f} s ({rate:,.0f} cases/s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
