"""Write a synthetic Standard Safeguarding Dataset (SSD) extract: generated from a seed, no real person's data.

    python bench/generate_ssd.py OUT [--children 40] [--seed 2025] [--no-plant] [--omit TABLE] [--force]

``examples/ssd`` is ``python bench/generate_ssd.py examples/ssd --children 40 --seed 2025``; a large extract for
timing ``cpc import ssd`` is ``python bench/generate_ssd.py /tmp/ssd50k --children 50000``.

The extract is what a case-management system would export for a caseload: per child an s47 enquiry, an initial
conference with the system's own target date, a plan, its reviews with the system's own due dates, and the
child in need plan that followed. Ids are made up, dates are drawn from the seed, and there are no names.

The source system is modelled independently of cpc (its own working-day counter over the ``holidays``
package, its own month arithmetic), and it is correct except where a mistake is planted on purpose:

* it does not know Easter Monday 2025, so every initial-conference target whose 15 working days span 21 April
  2025 is one working day early; exactly five children's strategy discussions fall where that matters;
* three review due dates are a month out, and two initial-conference target dates have typing errors.

Beside the tables it writes ``EXPECTED.json``: every planted disagreement (what ``cpc reconcile`` must find,
and nothing else), the data-quality warnings each child must raise, and the results of the three timescale
rules (icpc-timescale, first-review-timescale, review-interval) that the cases imply on the evaluation date.
It also covers what an importer must tolerate: upper-case headers (``ssd_cp_plans.csv``), a byte-order mark
(``ssd_person.csv``), datetimes with and without times, day-first dates, ``Y``/``N`` flags in other spellings,
columns and tables cpc does not map, rows that cannot be joined, and two children with contradictory records.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

import holidays

AS_OF = dt.date(2026, 3, 1)
POLICY = "berkshire"
EASTER_MONDAY_2025 = dt.date(2025, 4, 21)
TABLES = (
    "ssd_person",
    "ssd_s47_enquiry",
    "ssd_initial_cp_conference",
    "ssd_cp_plans",
    "ssd_cp_reviews",
    "ssd_cin_plans",
    "ssd_cp_visits",
    "ssd_mother",
    "ssd_involvements",
)
TEAMS = ("T-NORTH", "T-SOUTH", "T-EAST", "T-WEST")
CATEGORIES = ("Neglect", "Physical abuse", "Emotional abuse", "Sexual abuse", "Multiple")

# --- the source system's arithmetic, written without cpc ---------------------------------------------------


def _bank_holidays(forgotten: frozenset[dt.date]) -> frozenset[dt.date]:
    found = holidays.country_holidays("GB", subdiv="ENG", years=range(2023, 2028))
    return frozenset(d for d in found if d not in forgotten)


@dataclass(frozen=True)
class SystemCalendar:
    """Working days as a case-management system counts them, from its own table of bank holidays."""

    holidays: frozenset[dt.date]

    def working(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        day, counted = start, 0
        while counted < n:
            day += dt.timedelta(days=1)
            if self.working(day):
                counted += 1
        return day

    def between(self, a: dt.date, b: dt.date) -> int:
        """Working days after a up to and including b; negative when b is before a."""
        lo, hi, sign = (a, b, 1) if a <= b else (b, a, -1)
        return sign * sum(1 for i in range(1, (hi - lo).days + 1) if self.working(lo + dt.timedelta(days=i)))


def add_months(start: dt.date, months: int) -> dt.date:
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


TRUE = SystemCalendar(_bank_holidays(frozenset()))

# --- the children --------------------------------------------------------------------------------------------


@dataclass
class ReviewRec:
    id: str
    due: dt.date  # what the system records
    correct_due: dt.date
    date: dt.date | None
    outcome: str = "Y"
    quorate: str = "Y"
    participation: str = "PN1"
    due_text: str | None = None  # written instead of the date, e.g. an impossible one
    date_style: str = "iso"


@dataclass
class Child:
    pid: str
    dob: dt.date | None = None
    expected_dob: dt.date | None = None
    death: dt.date | None = None
    sex: str = "U"
    # enquiry
    s47_id: str | None = None
    sd: dt.date | None = None
    s47_end: dt.date | None = None
    nfa: str = "N"
    conference_flag: str = "Y"
    # initial conference
    icpc_id: str | None = None
    transfer_in: str = "N"
    target: dt.date | None = None
    correct_target: dt.date | None = None
    icpc_date: dt.date | None = None
    icpc_time: str = "00:00:00"
    outcome: str = "Y"
    link_s47: bool = True
    # plan
    plan_id: str | None = None
    plan_start: dt.date | None = None
    plan_end: dt.date | None = None
    category: str | None = None
    reviews: list[ReviewRec] = field(default_factory=list)
    cin: list[tuple[str, dt.date, dt.date | None]] = field(default_factory=list)
    earlier: list[Child] = field(default_factory=list)  # earlier episodes, same person
    note: str = ""
    warnings: tuple[str, ...] = ()


class Ids:
    def __init__(self) -> None:
        self.next = {"person": 100001, "s47": 500001, "icpc": 600001, "plan": 700001, "review": 800001, "cin": 900001}

    def __call__(self, kind: str) -> str:
        value = self.next[kind]
        self.next[kind] += 1
        return str(value)


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while not TRUE.working(day):
        day += dt.timedelta(days=1)
    return day


class Generator:
    def __init__(self, seed: int, plant: bool):
        self.rng = random.Random(seed)
        self.plant = plant
        self.ids = Ids()
        self.system = SystemCalendar(_bank_holidays(frozenset({EASTER_MONDAY_2025}) if plant else frozenset()))
        self.children: list[Child] = []
        self.planted: list[dict] = []
        self.extra_rows: dict[str, list[dict]] = {t: [] for t in TABLES}

    # -- building blocks

    def enquiry(self, child: Child, sd: dt.date) -> None:
        child.s47_id, child.sd = self.ids("s47"), sd
        child.s47_end = sd + dt.timedelta(days=self.rng.randint(8, 20))

    def conference(self, child: Child, held: dt.date | None, outcome: str = "Y") -> None:
        child.icpc_id = self.ids("icpc")
        if child.sd is not None:
            child.target = self.system.add_working_days(child.sd, 15)
            child.correct_target = TRUE.add_working_days(child.sd, 15)
        child.icpc_date = held if held is None or held <= AS_OF else None
        child.outcome = outcome if child.icpc_date else ""

    def plan(self, child: Child, category: str, reviews: list[dt.date | None], end_at_last: bool = False) -> None:
        """A plan from the conference, reviews held on the given dates (None: the next, not yet held)."""
        child.plan_id = self.ids("plan")
        child.plan_start = child.icpc_date
        child.category = category
        previous, first = child.icpc_date, True
        for held in reviews:
            due = add_months(previous, 3 if first else 6)
            child.reviews.append(ReviewRec(self.ids("review"), due, due, held, participation=self._pn()))
            if held is None:
                break
            previous, first = held, False
        if end_at_last and child.reviews and child.reviews[-1].date is not None:
            child.reviews[-1].outcome = "N"
            child.plan_end = child.reviews[-1].date

    def _pn(self) -> str:
        return f"PN{self.rng.randint(0, 7)}"

    def person(self, **fields) -> Child:
        child = Child(self.ids("person"), sex=self.rng.choice("MFU"), **fields)
        self.children.append(child)
        return child

    # -- a child drawn from the seed

    def random_child(self, avoid_easter: bool) -> Child:
        rng = self.rng
        while True:
            sd = _weekday_on_or_after(dt.date(2024, 6, 3) + dt.timedelta(days=rng.randint(0, 600)))
            target = TRUE.add_working_days(sd, 15)
            if not (avoid_easter and sd < EASTER_MONDAY_2025 <= target) and target < dt.date(2026, 2, 20):
                break
        child = self.person(dob=sd - dt.timedelta(days=rng.randint(200, 16 * 365)))
        self.enquiry(child, sd)
        # Most conferences are on time; some are a few working days late.
        shift = rng.choice((-6, -4, -3, -2, -1, 0, 0, 0, 1, 3, 5))
        held = TRUE.add_working_days(sd, max(1, 15 + shift))
        plan = rng.random() < 0.85
        self.conference(child, held, "Y" if plan else "N")
        if not plan or child.icpc_date is None:
            return child
        reviews: list[dt.date | None] = []
        previous, first = child.icpc_date, True
        while True:
            due = add_months(previous, 3 if first else 6)
            held_review = _weekday_on_or_after(due + dt.timedelta(days=rng.randint(-25, 12)))
            if held_review > AS_OF or held_review <= previous:
                reviews.append(None)
                break
            reviews.append(held_review)
            previous, first = held_review, False
            if len(reviews) > 1 and rng.random() < 0.3:
                break
        ends = reviews[-1] is not None
        self.plan(child, rng.choice(CATEGORIES), reviews, end_at_last=ends)
        for review in child.reviews:
            review.quorate = "Y" if rng.random() < 0.9 else "N"
        if child.plan_end is not None and rng.random() < 0.7:
            start = child.plan_end + dt.timedelta(days=rng.randint(0, 3))
            end = start + dt.timedelta(days=rng.randint(90, 240))
            child.cin.append((self.ids("cin"), start, end if end <= AS_OF else None))
        return child

    # -- the scenarios: each mapped field, each derivation, each way an extract goes wrong

    def scenarios(self) -> None:
        c = self.person(expected_dob=dt.date(2026, 5, 10), note="unborn child: pre-birth conference, review to come")
        self.enquiry(c, dt.date(2026, 1, 12))
        self.conference(c, dt.date(2026, 1, 30))
        self.plan(c, "Neglect", [None])

        c = self.person(dob=dt.date(2025, 9, 20), note="born after the conference, so it was a pre-birth conference")
        self.enquiry(c, dt.date(2025, 7, 14))
        self.conference(c, dt.date(2025, 7, 31))
        self.plan(c, "emotional abuse", [dt.date(2025, 10, 29), None])

        c = self.person(dob=dt.date(2014, 3, 2), note="transfer-in conference: its target date is not comparable")
        c.transfer_in = "Y"
        self.conference(c, dt.date(2025, 6, 16))
        c.target = dt.date(2025, 6, 20)
        self.plan(c, "Sexual abuse", [dt.date(2025, 9, 10), None])

        c = self.person(dob=dt.date(2012, 11, 30), note="plan ended at the second review; child in need plan followed")
        self.enquiry(c, dt.date(2025, 1, 13))
        self.conference(c, dt.date(2025, 1, 31))
        self.plan(c, "Physical Abuse", [dt.date(2025, 4, 29), dt.date(2025, 10, 22)], end_at_last=True)
        c.cin.append((self.ids("cin"), dt.date(2024, 3, 1), dt.date(2024, 9, 1)))
        c.cin.append((self.ids("cin"), dt.date(2025, 10, 23), dt.date(2026, 2, 20)))
        duplicate = c

        c = self.person(dob=dt.date(2017, 6, 5), note="initial conference decided no plan")
        self.enquiry(c, dt.date(2025, 8, 4))
        self.conference(c, dt.date(2025, 8, 21), outcome="N")

        c = self.person(dob=dt.date(2016, 1, 9), note="two episodes: a conference without a plan, then one with")
        first = Child(c.pid)
        self.enquiry(first, dt.date(2025, 2, 3))
        self.conference(first, dt.date(2025, 2, 20), outcome="N")
        c.earlier.append(first)
        self.enquiry(c, dt.date(2025, 10, 6))
        self.conference(c, dt.date(2025, 10, 23))
        self.plan(c, "Multiple", [dt.date(2026, 1, 20), None])

        c = self.person(dob=dt.date(2019, 4, 4), note="conference booked, not yet held")
        self.enquiry(c, dt.date(2026, 2, 16))
        self.conference(c, None)

        c = self.person(dob=dt.date(2020, 8, 8), note="enquiry flagged for conference, none held yet")
        self.enquiry(c, dt.date(2026, 2, 20))
        c.s47_end = None

        c = self.person(dob=dt.date(2011, 2, 14), note="enquiry with no further action: no case")
        self.enquiry(c, dt.date(2025, 11, 3))
        c.nfa, c.conference_flag = "Y", "N"

        self.person(
            dob=dt.date(2009, 12, 1), death=dt.date(2025, 12, 24), note="child in need plan only: no case"
        ).cin.append((self.ids("cin"), dt.date(2025, 6, 2), None))

        c = self.person(dob=dt.date(2015, 5, 5), note="review dated before the plan started (mistyped year)")
        c.warnings = ("review_before_plan_start",)
        self.enquiry(c, dt.date(2025, 5, 6))
        self.conference(c, dt.date(2025, 5, 22))
        c.icpc_time = "10:30:00"
        self.plan(c, "Neglect", [dt.date(2025, 8, 20)])
        c.reviews[0].date = dt.date(2024, 8, 20)

        c = self.person(dob=dt.date(2013, 7, 7), note="two open plans, one from each of two conferences")
        c.warnings = ("two_open_plans",)
        first = Child(c.pid)
        self.enquiry(first, dt.date(2025, 3, 3))
        self.conference(first, dt.date(2025, 3, 20))
        self.plan(first, "Neglect", [dt.date(2025, 6, 18), None])
        c.earlier.append(first)
        self.enquiry(c, dt.date(2025, 9, 1))
        self.conference(c, dt.date(2025, 9, 19))
        self.plan(c, "Neglect", [dt.date(2025, 12, 17), None])

        c = self.person(dob=dt.date(2018, 10, 10), note="next review overdue; dates day-first")
        self.enquiry(c, dt.date(2025, 2, 10))
        self.conference(c, dt.date(2025, 2, 27))
        self.plan(c, "Emotional abuse", [dt.date(2025, 5, 22), None])
        for review in c.reviews:
            review.date_style = "uk"

        c = self.person(dob=dt.date(2010, 9, 9), note="a review due date that is not a date (31 September)")
        self.enquiry(c, dt.date(2025, 6, 2))
        self.conference(c, dt.date(2025, 6, 19))
        self.plan(c, "Physical abuse", [dt.date(2025, 9, 17), None])
        c.reviews[0].due_text = "2025-09-31 00:00:00"

        c = self.person(dob=dt.date(2012, 3, 3), note="flags spelt y/n/1/0, and one that is not a flag")
        self.enquiry(c, dt.date(2025, 3, 10))
        self.conference(c, dt.date(2025, 3, 28))
        self.plan(c, "MULTIPLE", [dt.date(2025, 6, 25), dt.date(2025, 12, 18), None])
        c.reviews[0].quorate, c.reviews[0].outcome = "n", "y"
        c.reviews[1].quorate, c.reviews[1].outcome = "U", "1"

        c = self.person(dob=dt.date(2016, 4, 1), note="15 working days span the early May bank holiday: agrees")
        self.enquiry(c, dt.date(2025, 4, 24))
        self.conference(c, TRUE.add_working_days(dt.date(2025, 4, 24), 15), outcome="N")

        c = self.person(dob=dt.date(2017, 1, 1), note="15 working days span Christmas 2025: agrees")
        self.enquiry(c, dt.date(2025, 12, 15))
        self.conference(c, TRUE.add_working_days(dt.date(2025, 12, 15), 14), outcome="N")

        # Rows an importer cannot join: a review of an unknown plan, an enquiry of an unknown person, a
        # review repeated with the same id.
        self.extra_rows["ssd_cp_reviews"].append(
            {"cppr_cp_review_id": self.ids("review"), "cppr_cp_plan_id": "799999", "cppr_cp_review_due": "2025-07-01"}
        )
        self.extra_rows["ssd_s47_enquiry"].append(
            {"s47e_s47_enquiry_id": self.ids("s47"), "s47e_person_id": "199999", "s47e_s47_start_date": "2025-07-01"}
        )
        self.duplicate = duplicate

    def easter(self) -> None:
        """Five strategy discussions whose 15 working days span Easter Monday 2025."""
        for sd in (dt.date(2025, 4, 1), dt.date(2025, 4, 4), dt.date(2025, 4, 9), dt.date(2025, 4, 14)):
            self._easter_child(sd, TRUE.add_working_days(sd, 15 - self.rng.randint(0, 3)))
        # On Good Friday itself: its 15 working days span Easter Monday but not Good Friday, which tells the
        # two holidays apart. The conference is on cpc's due date, a day after the system's target.
        sd = dt.date(2025, 4, 18)
        self._easter_child(sd, TRUE.add_working_days(sd, 15))

    def _easter_child(self, sd: dt.date, held: dt.date) -> None:
        child = self.person(dob=sd - dt.timedelta(days=self.rng.randint(400, 12 * 365)))
        child.note = "15 working days span Easter Monday 2025, which the source system does not know"
        self.enquiry(child, sd)
        self.conference(child, held)
        first_review = _weekday_on_or_after(add_months(held, 3) - dt.timedelta(days=6))
        self.plan(child, self.rng.choice(CATEGORIES), [first_review, None])
        self.planted.append(self._disagreement(child, "forgot Easter Monday"))

    def _disagreement(self, child: Child, cause: str, review: ReviewRec | None = None, rule: str = "") -> dict:
        """What reconcile must report: ours is the correct date, theirs what the system recorded."""
        if review is None:
            kind, record, rule = "icpc_target", f"icpc-{child.icpc_id}", "icpc-timescale"
            theirs, ours = child.target, child.correct_target
        else:
            kind, record = "review_due", f"review-{review.id}"
            theirs, ours = review.due, review.correct_due
        return {
            "child": child.pid,
            "kind": kind,
            "record": record,
            "theirs": theirs.isoformat(),
            "ours": ours.isoformat(),
            "working_days": TRUE.between(ours, theirs),
            "rule": rule,
            "cause": cause,
        }

    def mistakes(self, fillers: list[Child]) -> None:
        """Two mistyped targets and three review due dates a month out, on children drawn from the seed."""
        with_conference = [c for c in fillers if c.icpc_date is not None]
        for child in self.rng.sample(with_conference, 2):
            child.target = _typo(child.target)
            child.note = "initial conference target date mistyped"
            self.planted.append(self._disagreement(child, "typing error"))
        held = [(c, i) for c in fillers for i, r in enumerate(c.reviews) if r.date is not None]
        firsts = [pair for pair in held if pair[1] == 0]
        laters = [pair for pair in held if pair[1] > 0]
        picks = self.rng.sample(firsts, 1) + self.rng.sample(laters, 2)
        for child, index in picks:
            review = child.reviews[index]
            review.due = add_months(review.due, 1 if index else -1)
            child.note = "a review due date a month out"
            rule = "first-review-timescale" if index == 0 else "review-interval"
            self.planted.append(self._disagreement(child, "a month out", review, rule))

    def run(self, n: int) -> None:
        if self.plant:
            self.scenarios()
            self.easter()
        fillers = [self.random_child(avoid_easter=self.plant) for _ in range(max(0, n - len(self.children)))]
        if self.plant:
            self.mistakes(fillers)


def _typo(day: dt.date) -> dt.date:
    """A mistyped date at least two working days away: the day's digits swapped, else its last digit retyped,
    else the year one out."""
    text = day.strftime("%d")
    candidates = [text[::-1], f"{day.day % 10 + 1:02d}"]
    for candidate in candidates:
        try:
            typed = day.replace(day=int(candidate))
        except ValueError:
            continue
        if abs(TRUE.between(day, typed)) >= 2:
            return typed
    return day.replace(year=day.year - 1)


# --- writing -----------------------------------------------------------------------------------------------


def _dt(day: dt.date | None, style: str, time: str = "00:00:00") -> str:
    if day is None:
        return ""
    if style == "sql":
        return f"{day.isoformat()} {time}.000"
    if style == "space":
        return f"{day.isoformat()} {time}"
    if style == "t":
        return f"{day.isoformat()}T{time}"
    if style == "uk":
        return day.strftime("%d/%m/%Y")
    return day.isoformat()


def _episode_rows(g: Generator, child: Child, pid: str, rows: dict[str, list[dict]]) -> None:
    if child.s47_id is not None:
        outcome = {
            "NFA_FLAG": child.nfa,
            "STRATEGY_DISCUSSION_FLAG": "N",
            "CP_CONFERENCE_FLAG": child.conference_flag,
            "OTHER_OUTCOMES_EXIST_FLAG": "N",
        }
        rows["ssd_s47_enquiry"].append(
            {
                "s47e_s47_enquiry_id": child.s47_id,
                "s47e_referral_id": f"R{child.s47_id}",
                "s47e_person_id": pid,
                "s47e_s47_start_date": _dt(child.sd, "space"),
                "s47e_s47_end_date": _dt(child.s47_end, "space"),
                "s47e_s47_nfa": child.nfa,
                "s47e_s47_outcome_json": json.dumps(outcome),
            }
        )
    if child.icpc_id is not None:
        rows["ssd_initial_cp_conference"].append(
            {
                "icpc_icpc_id": child.icpc_id,
                "icpc_icpc_meeting_id": f"M{child.icpc_id}",
                "icpc_s47_enquiry_id": child.s47_id or "",
                "icpc_person_id": pid,
                "icpc_cp_plan_id": child.plan_id or "",
                "icpc_referral_id": f"R{child.s47_id}" if child.s47_id else "",
                "icpc_icpc_transfer_in": child.transfer_in,
                "icpc_icpc_target_date": _dt(child.target, "sql"),
                "icpc_icpc_date": _dt(child.icpc_date, "sql", child.icpc_time),
                "icpc_icpc_outcome_cp_flag": child.outcome,
                "icpc_icpc_outcome_json": json.dumps({"CP_FLAG": child.outcome, "NFA_FLAG": "N"})
                if child.outcome
                else "",
            }
        )
    if child.plan_id is not None:
        rows["ssd_cp_plans"].append(
            {
                "cppl_cp_plan_id": child.plan_id,
                "cppl_icpc_id": child.icpc_id or "",
                "cppl_person_id": pid,
                "cppl_cp_plan_start_date": _dt(child.plan_start, "t"),
                "cppl_cp_plan_end_date": _dt(child.plan_end, "t"),
                "cppl_cp_plan_ola": "N",
                "cppl_cp_plan_initial_category": child.category or "",
                "cppl_cp_plan_latest_category": child.category or "",
            }
        )
        for review in child.reviews:
            rows["ssd_cp_reviews"].append(
                {
                    "cppr_cp_review_id": review.id,
                    "cppr_cp_plan_id": child.plan_id,
                    "cppr_cp_review_due": review.due_text or _dt(review.due, review.date_style),
                    "cppr_cp_review_date": _dt(review.date, review.date_style),
                    "cppr_cp_review_outcome": review.outcome if review.date else "",
                    "cppr_cp_review_quorate": review.quorate if review.date else "",
                    "cppr_cp_review_participation": review.participation if review.date else "",
                }
            )
        visits = [child.plan_start + dt.timedelta(days=10 * k) for k in range(1, 4)]
        for day in (v for v in visits if v <= (child.plan_end or AS_OF)):
            rows["ssd_cp_visits"].append(
                {
                    "cppv_cp_visit_id": f"V{child.plan_id}{day:%m%d}",
                    "cppv_person_id": pid,
                    "cppv_cp_plan_id": child.plan_id,
                    "cppv_cp_visit_date": _dt(day, "space"),
                    "cppv_cp_visit_seen": "Y",
                    "cppv_cp_visit_seen_alone": g.rng.choice("YN"),
                }
            )


HEADERS = {
    "ssd_person": ["pers_person_id", "pers_sex", "pers_dob", "pers_expected_dob", "pers_death_date"],
    "ssd_s47_enquiry": [
        "s47e_s47_enquiry_id",
        "s47e_referral_id",
        "s47e_person_id",
        "s47e_s47_start_date",
        "s47e_s47_end_date",
        "s47e_s47_nfa",
        "s47e_s47_outcome_json",
    ],
    "ssd_initial_cp_conference": [
        "icpc_icpc_id",
        "icpc_icpc_meeting_id",
        "icpc_s47_enquiry_id",
        "icpc_person_id",
        "icpc_cp_plan_id",
        "icpc_referral_id",
        "icpc_icpc_transfer_in",
        "icpc_icpc_target_date",
        "icpc_icpc_date",
        "icpc_icpc_outcome_cp_flag",
        "icpc_icpc_outcome_json",
    ],
    "ssd_cp_plans": [
        "cppl_cp_plan_id",
        "cppl_icpc_id",
        "cppl_person_id",
        "cppl_cp_plan_start_date",
        "cppl_cp_plan_end_date",
        "cppl_cp_plan_ola",
        "cppl_cp_plan_initial_category",
        "cppl_cp_plan_latest_category",
    ],
    "ssd_cp_reviews": [
        "cppr_cp_review_id",
        "cppr_cp_plan_id",
        "cppr_cp_review_due",
        "cppr_cp_review_date",
        "cppr_cp_review_outcome",
        "cppr_cp_review_quorate",
        "cppr_cp_review_participation",
    ],
    "ssd_cin_plans": ["cinp_cin_plan_id", "cinp_person_id", "cinp_cin_plan_start", "cinp_cin_plan_end"],
    "ssd_cp_visits": [
        "cppv_cp_visit_id",
        "cppv_person_id",
        "cppv_cp_plan_id",
        "cppv_cp_visit_date",
        "cppv_cp_visit_seen",
        "cppv_cp_visit_seen_alone",
    ],
    "ssd_mother": ["moth_table_id", "moth_person_id", "moth_childs_person_id", "moth_childs_dob"],
    "ssd_involvements": [
        "invo_involvements_id",
        "invo_professional_id",
        "invo_professional_role_id",
        "invo_professional_team",
        "invo_person_id",
        "invo_involvement_start_date",
        "invo_involvement_end_date",
        "invo_worker_change_reason",
        "invo_referral_id",
    ],
}


def _involvements(pid: str) -> list[dict]:
    """A child's allocated workers: one, or a change of worker (and team) for every third child.

    Made from the id, not the random stream, so that adding the table left every other value of the extract
    as the seed made it."""
    number = int(pid) if pid.isdigit() else len(pid)
    first = {
        "invo_involvements_id": f"IN{pid}1",
        "invo_professional_id": f"W{number % 17:03d}",
        "invo_professional_role_id": "SW",
        "invo_professional_team": TEAMS[number % len(TEAMS)],
        "invo_person_id": pid,
        "invo_involvement_start_date": "2024-04-01",
    }
    if number % 3:
        return [first]
    later = {
        **first,
        "invo_involvements_id": f"IN{pid}2",
        "invo_professional_id": f"W{(number + 5) % 17:03d}",
        "invo_professional_team": TEAMS[(number + 1) % len(TEAMS)],
        "invo_involvement_start_date": "2025-09-01",
        "invo_worker_change_reason": "reallocation",
    }
    return [first | {"invo_involvement_end_date": "2025-08-31"}, later]


def tables(g: Generator) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {t: [] for t in TABLES}
    for child in g.children:
        rows["ssd_person"].append(
            {
                "pers_person_id": child.pid,
                "pers_sex": child.sex,
                "pers_dob": _dt(child.dob, "iso"),
                "pers_expected_dob": _dt(child.expected_dob, "iso"),
                "pers_death_date": _dt(child.death, "iso"),
            }
        )
        for episode in [*child.earlier, child]:
            _episode_rows(g, episode, child.pid, rows)
        for cin_id, start, end in child.cin:
            rows["ssd_cin_plans"].append(
                {
                    "cinp_cin_plan_id": cin_id,
                    "cinp_person_id": child.pid,
                    "cinp_cin_plan_start": _dt(start, "uk"),
                    "cinp_cin_plan_end": _dt(end, "uk"),
                }
            )
        if child.dob and g.rng.random() < 0.3:
            rows["ssd_mother"].append(
                {
                    "moth_table_id": f"MO{child.pid}",
                    "moth_person_id": f"9{child.pid}",
                    "moth_childs_person_id": child.pid,
                    "moth_childs_dob": _dt(child.dob, "iso"),
                }
            )
    for child in g.children:
        rows["ssd_involvements"].extend(_involvements(child.pid))
    for table, extra in g.extra_rows.items():
        rows[table].extend(extra)
    if g.plant:
        review = next(r for r in rows["ssd_cp_reviews"] if r["cppr_cp_review_id"] == g.duplicate.reviews[0].id)
        rows["ssd_cp_reviews"].append(dict(review))
    for table in TABLES:
        # Systems export in their own order; shuffling shows the import does not depend on it. The table added
        # last has a stream of its own, so that it moves nothing the seed made before.
        (random.Random(len(rows[table])) if table == "ssd_involvements" else g.rng).shuffle(rows[table])
    return rows


def write_tables(g: Generator, out: Path, omit: set[str]) -> list[str]:
    written = []
    for table, rows in tables(g).items():
        if table in omit:
            continue
        headers = HEADERS[table]
        # One table with the upper-case headers some SQL exports give.
        shown = [h.upper() for h in headers] if table == "ssd_cp_plans" else headers
        encoding = "utf-8-sig" if table == "ssd_person" else "utf-8"
        path = out / f"{table}.csv"
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(shown)
            for row in rows:
                writer.writerow([row.get(h, "") for h in headers])
        written.append(path.name)
    return written


# --- what the fixture implies ------------------------------------------------------------------------------


def _status(due: dt.date, done: dt.date | None) -> str:
    if done is not None:
        return "met" if done <= due else "missed"
    return "pending" if due >= AS_OF else "overdue"


def expected_results(child: Child) -> list[dict]:
    """The icpc-timescale, first-review-timescale and review-interval results the child's case implies."""
    out: list[dict] = []
    held = child.icpc_date
    if child.sd is not None and child.transfer_in != "Y":
        due = TRUE.add_working_days(child.sd, 15)
        out.append({"rule": "icpc-timescale", "status": _status(due, held), "due": due.isoformat()})
    if held is None or child.outcome != "Y":
        return out
    reviews = sorted(r.date for r in child.reviews if r.date is not None)
    end = child.plan_end

    def deadline(rule: str, subject: str, anchor: dt.date, months: int, strictly_after: bool) -> None:
        due = add_months(anchor, months)
        done = next((d for d in reviews if (d > anchor if strictly_after else d >= anchor)), None)
        if done is not None and done > AS_OF:
            done = None
        # A review clock stops when the plan ends before it falls due without a review, and a review dated
        # before the plan started starts none.
        if end is not None and end >= anchor and (done is None or done > end) and end <= due:
            return
        if child.plan_start is not None and anchor < child.plan_start:
            return
        status = _status(due, done)
        # Not held by the time the plan ended after the due date: it can no longer be, so missed, not overdue.
        if status == "overdue" and end is not None and due < end <= AS_OF:
            status = "missed"
        entry = {"rule": rule, "subject": subject, "status": status, "due": due.isoformat()}
        out.append(entry)

    deadline("first-review-timescale", f"icpc-{child.icpc_id}", held, 3, False)
    by_date = {r.date: r.id for r in child.reviews if r.date is not None}
    for day in reviews:
        deadline("review-interval", f"review-{by_date[day]}", day, 6, True)
    return out


def expected(g: Generator, seed: int, n: int, written: list[str]) -> dict:
    cases = [
        c
        for c in g.children
        if c.icpc_id is not None
        or c.plan_id is not None
        or (c.s47_id is not None and c.conference_flag == "Y" and c.nfa != "Y")
    ]
    return {
        "generated_by": f"python bench/generate_ssd.py OUT --children {n} --seed {seed}",
        "as_of": AS_OF.isoformat(),
        "policy": POLICY,
        "files": sorted(written),
        "persons": len(g.children),
        "cases": len(cases),
        "disagreements": sorted(g.planted, key=lambda d: (int(d["child"]), d["record"])),
        "bank_holiday": {
            "date": EASTER_MONDAY_2025.isoformat(),
            "name": "Easter Monday",
            "one_day_disagreements": sum(1 for d in g.planted if d["cause"] == "forgot Easter Monday"),
        },
        "warnings": {c.pid: list(c.warnings) for c in g.children if c.warnings},
        "notes": {c.pid: c.note for c in g.children if c.note},
        "results": {c.pid: expected_results(c) for c in cases},
    }


README = """\
# A synthetic SSD extract

Generated, not collected: `python bench/generate_ssd.py examples/ssd --children {n} --seed {seed} --force`
writes every file here. The ids are made up, the dates are drawn from the seed, and there are no names.

`EXPECTED.json` lists what the extract implies: the disagreements planted in the source system's due dates
(which `cpc reconcile` must find, and nothing else), the data-quality warnings two children must raise, and
the timescale results their cases give on {as_of}. The analyst's workflow on it, with its output, is in
`docs/ssd.md`:

```sh
cpc import ssd examples/ssd --out cases.jsonl --report import.json
cpc eval --policy {policy} --cases examples/ssd --from ssd --as-of {as_of} --out results.jsonl
cpc reconcile --policy {policy} examples/ssd --as-of {as_of}
```
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the extract into")
    parser.add_argument("--children", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--no-plant", action="store_true", help="no scenarios and no planted mistakes")
    parser.add_argument("--omit", action="append", default=[], choices=TABLES, help="leave a table out")
    parser.add_argument("--force", action="store_true", help="write into a folder that already has files")
    args = parser.parse_args(argv)
    out: Path = args.out
    if out.exists() and any(out.iterdir()) and not args.force:
        print(f"{out} is not empty; give --force to overwrite its files", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    g = Generator(args.seed, plant=not args.no_plant)
    g.run(args.children)
    written = write_tables(g, out, set(args.omit))
    data = expected(g, args.seed, args.children, written)
    (out / "EXPECTED.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    readme = README.format(n=args.children, seed=args.seed, policy=POLICY, as_of=AS_OF.isoformat())
    (out / "README.md").write_text(readme, encoding="utf-8")
    print(f"wrote {len(g.children)} persons, {len(g.planted)} planted disagreements to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
