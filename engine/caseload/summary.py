"""Per-rule compliance over a caseload's results, and the Children in Need census timeliness measures.

:func:`summarize` counts the lines :mod:`engine.caseload.results_lines` parses, consuming them one at a time
and keeping only counts, so memory does not grow with the number of cases, except the list of overdue items,
which keeps at most ``overdue_limit`` of them (the earliest due). The :class:`Summary` it gives is everything
`cpc report` says; :mod:`engine.caseload.report_rows` lays it out as tables, and :mod:`engine.caseload.report_formats`
renders it in a format:

    summary = summarize(parse_lines(read_lines(open("results.jsonl", "rb"))), overdue_limit=100)
    print(render(summary, "text"))
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.caseload.period import REVIEW_RULES, Period, PlanCounter, PlanMeasures, census_year
from engine.caseload.results_lines import (
    KINDS,
    STATUSES,
    ErrorRecord,
    EvaluationRecord,
    Header,
    Line,
    Malformed,
    ResultRow,
)
from engine.evaluation.results import NOT_RECORDED, Late

if TYPE_CHECKING:
    from engine.core.calendar import WorkingCalendar


NEEDS_ATTENTION = frozenset({"overdue", "breached", "missed"})

# The rules whose results give the census measures. They are the national baseline's rule ids, which every
# area inherits or overrides under the same id.
ICPC_RULE = "icpc-timescale"
FIRST_REVIEW_RULE = "first-review-timescale"
REVIEW_INTERVAL_RULE = "review-interval"

# Working days from the strategy discussion to the initial conference, in bands either side of the census's
# 15-working-day measure: on time early, on time, up to a week late, later.
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-10", 0, 10),
    ("11-15", 11, 15),
    ("16-20", 16, 20),
    ("21+", 21, None),
)

DEFAULT_OVERDUE_LIMIT = 100
# Malformed lines are all counted, but only the first few line numbers are kept for the report.
MALFORMED_KEPT = 20


def _working_calendar() -> WorkingCalendar:
    from engine.core.calendar import WorkingCalendar

    return WorkingCalendar()


@dataclass(frozen=True, slots=True)
class RuleSummary:
    """Every status count of one rule across the caseload."""

    rule: str
    title: str
    kind: str
    counts: tuple[tuple[str, int], ...]
    cases: int

    def count(self, status: str) -> int:
        """How many results had ``status``."""
        return dict(self.counts).get(status, 0)

    @property
    def total(self) -> int:
        """All results of the rule."""
        return sum(n for _, n in self.counts)

    @property
    def rate_base(self) -> int:
        """The results a rate is out of: deadlines that have fallen due, requirements that could be assessed."""
        if self.kind == "deadline":
            return self.count("met") + self.count("missed") + self.count("overdue") + self.count("breached")
        if self.kind == "requirement":
            return self.count("met") + self.count("breached")
        return 0

    @property
    def met_rate(self) -> float | None:
        """Met as a share of :attr:`rate_base`; ``None`` for a decision or when the base is 0."""
        base = self.rate_base
        return self.count("met") / base if base else None


@dataclass(frozen=True, slots=True)
class Timeliness:
    """A deadline rule's results as the census counts them: held on time among those held."""

    rule: str
    met: int = 0
    missed: int = 0
    pending: int = 0
    overdue: int = 0
    not_assessable: int = 0
    never_held: int = 0

    @property
    def held(self) -> int:
        """Held on time or late; a review missed because the plan ended first was never held."""
        return self.met + self.missed - self.never_held

    @property
    def not_yet_held(self) -> int:
        return self.pending + self.overdue

    @property
    def rate(self) -> float | None:
        """Held on time as a share of those held; ``None`` when none was held."""
        return self.met / self.held if self.held else None


@dataclass(frozen=True, slots=True)
class Census:
    """The Children in Need census timeliness measures, from the results of the rules named above."""

    initial: Timeliness
    buckets: tuple[tuple[str, int], ...]
    first_review: Timeliness
    review_interval: Timeliness

    @property
    def reviews(self) -> Timeliness:
        """First and later reviews together."""
        a, b = self.first_review, self.review_interval
        return Timeliness(
            f"{a.rule}+{b.rule}",
            a.met + b.met,
            a.missed + b.missed,
            a.pending + b.pending,
            a.overdue + b.overdue,
            a.not_assessable + b.not_assessable,
            a.never_held + b.never_held,
        )


@dataclass(frozen=True, slots=True)
class OverdueItem:
    """Something the procedure required that has not happened and whose due date has passed."""

    due: str
    due_day: dt.date
    case: str
    rule: str
    subject: str | None
    late_amount: int | None
    late_unit: str | None
    line: int
    # Calendar days from the due date to the evaluation date: one unit for every row, whatever the rule counts.
    days_late: int | None = None
    # 0 for the work of an open plan or a conference still to hold, listed first; 1 for the rest.
    tier: int = 0
    # The case's team or worker, with --by.
    group: str | None = None

    @property
    def late(self) -> str:
        """How late in calendar days, and in the rule's own unit where it counts another: ``30 days``,
        ``6 days (4 working days)``, ``55 days (1320 hours)``; the rule's unit alone when the day is unknown."""
        own = Late(self.late_amount, self.late_unit) if self.late_amount is not None and self.late_unit else None
        if self.days_late is None:
            return str(own) if own else ""
        return (own or Late(self.days_late, "days")).beside(self.days_late)

    def sort_key(self) -> tuple:
        return (self.tier, self.due_day, self.due, self.case, self.rule, self.subject or "", self.line)


@dataclass(frozen=True, slots=True)
class PolicyRun:
    """How many evaluations were made under one area, policy version and evaluation date."""

    area: str
    policy_version: str
    as_of: str
    cases: int


@dataclass(frozen=True, slots=True)
class Summary:
    """Everything the report says about a caseload's results."""

    cases: int
    cases_needing_attention: int
    cases_with_overdue: int
    results: int
    runs: tuple[PolicyRun, ...]
    error_records: int
    errors_by_code: tuple[tuple[str, int], ...]
    malformed: int
    malformed_lines: tuple[int, ...]
    rules: tuple[RuleSummary, ...]
    census: Census
    overdue_total: int
    overdue: tuple[OverdueItem, ...]
    overdue_limit: int
    # Results not assessable because the cases' source does not record what the rule needs: for each set of
    # events and facts not recorded (as the results name them), the rules and how many results each had.
    coverage: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = ()
    repeated: int = 0
    repeated_lines: tuple[int, ...] = ()
    # What the counts cover: results due in ``period`` (and whether it was chosen or the default census year).
    period: Period | None = None
    period_given: bool = False
    plans: PlanMeasures = field(default_factory=PlanMeasures)
    # Month by month (``YYYY-MM``) over the period: deadline results due that month by status, and the census's
    # initial conferences and reviews held on time and late.
    months: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = ()
    # With ``by``: per team (or worker), cases, cases with something overdue, overdue items, and deadlines met
    # and due in the period.
    by: str | None = None
    groups: tuple[GroupSummary, ...] = ()

    @property
    def not_recorded_rules(self) -> int:
        """How many rules had a result not assessable because the source does not record what they need."""
        return len({rule for _, rules in self.coverage for rule, _ in rules})


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """One team's (or worker's) share of the caseload."""

    name: str
    cases: int
    cases_with_overdue: int
    overdue: int
    deadlines_met: int
    deadlines_due: int

    @property
    def met_rate(self) -> float | None:
        return self.deadlines_met / self.deadlines_due if self.deadlines_due else None


NO_GROUP = "(none recorded)"
# Overdue work listed first, whatever the child protection plan: a conference still to hold, a review of an open
# child in need plan (its clock stops when that plan ends) (docs/batch.md).
CONFERENCE_EVENTS = frozenset(
    {"initial_conference", "pre_birth_conference", "transfer_in_conference", "review_conference", "conference"}
)
FIRST_WORK = CONFERENCE_EVENTS | {"cin_review"}
MONTH_COLUMNS = (
    "due_met",
    "due_missed",
    "due_overdue",
    "due_pending",
    "due_not_assessable",
    "icpc_on_time",
    "icpc_late",
    "reviews_on_time",
    "reviews_late",
)


def bucket_of(working_days: int) -> str:
    """The census band of a number of working days (0 or fewer is the first band)."""
    for label, _, high in BUCKETS:
        if high is None or working_days <= high:
            return label
    raise AssertionError("the last band is open-ended")  # pragma: no cover


@dataclass
class Summarizer:
    """Accumulates lines one at a time; :meth:`summary` gives the :class:`Summary` so far."""

    overdue_limit: int = DEFAULT_OVERDUE_LIMIT
    calendar: WorkingCalendar = field(default_factory=_working_calendar)
    # The reporting period; None takes the census year of the first evaluation's date.
    period: Period | None = None
    # "team" or "worker" to break the caseload down by it.
    by: str | None = None
    # Running counts; not constructor arguments.
    _cases: int = field(default=0, init=False)
    _attention: int = field(default=0, init=False)
    _with_overdue: int = field(default=0, init=False)
    _results: int = field(default=0, init=False)
    _runs: Counter = field(default_factory=Counter, init=False)
    _errors: int = field(default=0, init=False)
    _codes: Counter = field(default_factory=Counter, init=False)
    _malformed: int = field(default=0, init=False)
    _malformed_lines: list[int] = field(default_factory=list, init=False)
    _titles: dict[tuple[str, str], str] = field(default_factory=dict, init=False)
    _counts: Counter = field(default_factory=Counter, init=False)
    _rule_cases: Counter = field(default_factory=Counter, init=False)
    _buckets: Counter = field(default_factory=Counter, init=False)
    _overdue_total: int = field(default=0, init=False)
    _overdue: list[OverdueItem] = field(default_factory=list, init=False)
    _never_done: Counter = field(default_factory=Counter, init=False)
    _ids: set[str] = field(default_factory=set, init=False)
    _period_given: bool = field(default=False, init=False)
    _plans: PlanCounter | None = field(default=None, init=False)
    _months: Counter = field(default_factory=Counter, init=False)
    _groups: dict[str, Counter] = field(default_factory=dict, init=False)
    _repeated: list[int] = field(default_factory=list, init=False)
    _repeated_total: int = field(default=0, init=False)
    _not_recorded: Counter = field(default_factory=Counter, init=False)

    def __post_init__(self) -> None:
        if self.overdue_limit < 0:
            raise ValueError("overdue_limit must be 0 or more")
        self._period_given = self.period is not None
        if self.by not in (None, "team", "worker"):
            raise ValueError("by must be team or worker")

    def add(self, item: Line | Header) -> None:
        """Count one parsed line."""
        if isinstance(item, Header):
            return
        if isinstance(item, Malformed):
            self._malformed += 1
            if len(self._malformed_lines) < MALFORMED_KEPT:
                self._malformed_lines.append(item.line)
            return
        if isinstance(item, ErrorRecord):
            self._errors += 1
            self._codes.update(item.codes)
            return
        if item.case in self._ids:
            # Two records of one child (two extracts joined, a paste): the child is counted once, as first read.
            self._repeated_total += 1
            if len(self._repeated) < MALFORMED_KEPT:
                self._repeated.append(item.line)
            return
        self._ids.add(item.case)
        if self.period is None:
            self.period = census_year(dt.date.fromisoformat(item.as_of[:10]))
        if self._plans is None:
            self._plans = PlanCounter(self.period)
        period = self.period
        self._cases += 1
        self._runs[(item.area, item.policy_version, item.as_of)] += 1
        self._results += len(item.results)
        seen: set[tuple[str, str]] = set()
        attention = False
        group = self._group(item)
        group["cases"] += 1
        overdue_here = 0
        for row in item.results:
            if row.status == "overdue":
                # The work list is what is overdue on the evaluation date, whenever it fell due.
                self._add_overdue(item, row)
                overdue_here += 1
            if row.kind == "deadline" and row.due_day is not None and row.due_day not in period:
                continue
            if row.kind == "deadline" and row.due_day is not None:
                self._count_month(row)
                group["due"] += row.status in ("met", "missed", "overdue")
                group["met"] += row.status == "met"
            key = (row.rule, row.kind)
            self._titles.setdefault(key, row.title)
            self._counts[(*key, row.status)] += 1
            seen.add(key)
            attention = attention or row.status in NEEDS_ATTENTION
            if row.rule == ICPC_RULE and row.kind == "deadline" and row.clock_day and row.done_day:
                days = self.calendar.working_days_between(row.clock_day, row.done_day)
                self._buckets[bucket_of(days)] += 1
            if row.status == "missed" and row.kind == "deadline" and row.done_day is None:
                self._never_done[row.rule] += 1
            elif row.status == "not_assessable" and row.reason and row.reason.startswith(NOT_RECORDED):
                self._not_recorded[(row.rule, row.reason[len(NOT_RECORDED) :].lstrip(": "))] += 1
        self._rule_cases.update(seen)
        self._attention += attention
        self._with_overdue += overdue_here > 0
        group["with_overdue"] += overdue_here > 0
        group["overdue"] += overdue_here
        reviews = [row.status for row in item.results if row.rule in REVIEW_RULES and row.kind == "deadline"]
        self._plans.add(item.plan, reviews)

    def _group(self, item: EvaluationRecord) -> Counter:
        if self.by is None:
            return Counter()
        name = (item.team if self.by == "team" else item.worker) or NO_GROUP
        return self._groups.setdefault(name, Counter())

    def _count_month(self, row: ResultRow) -> None:
        month = row.due_day.strftime("%Y-%m")
        self._months[(month, f"due_{row.status}")] += 1
        if row.status in ("met", "missed") and row.done_day is not None:
            timely = "on_time" if row.status == "met" else "late"
            if row.rule == ICPC_RULE:
                self._months[(month, f"icpc_{timely}")] += 1
            elif row.rule in REVIEW_RULES:
                self._months[(month, f"reviews_{timely}")] += 1

    def _add_overdue(self, record: EvaluationRecord, row: ResultRow) -> None:
        self._overdue_total += 1
        if self.overdue_limit == 0 or row.due is None or row.due_day is None:
            return
        days = (dt.date.fromisoformat(record.as_of[:10]) - row.due_day).days
        plan_open = record.plan is not None and record.plan.get("end") is None
        # Work for an open plan (or child in need plan), a conference to hold, or something due before a
        # conference not yet held (counted back from it): what a manager acts on first.
        before_conference = (
            row.clock_event in CONFERENCE_EVENTS and row.clock_day is not None and (row.clock_day > row.due_day)
        )
        first = plan_open or before_conference or any(w in FIRST_WORK for w in row.what)
        tier = 0 if first else 1
        group = None if self.by is None else (record.team if self.by == "team" else record.worker) or NO_GROUP
        self._overdue.append(
            OverdueItem(
                row.due,
                row.due_day,
                record.case,
                row.rule,
                row.subject,
                row.late_amount,
                row.late_unit,
                record.line,
                max(days, 0),
                tier,
                group,
            )
        )
        # Trim in batches rather than keep a heap: sorting 2 * limit items now and then is cheap, and the
        # list never holds more than twice the limit.
        if len(self._overdue) >= 2 * self.overdue_limit:
            self._trim()

    def _trim(self) -> None:
        self._overdue.sort(key=OverdueItem.sort_key)
        del self._overdue[self.overdue_limit :]

    def _timeliness(self, rule: str) -> Timeliness:
        # The census rules are upper limits: a lower bound's `breached` is never among their results.
        counts = {s: self._counts[(rule, "deadline", s)] for s in STATUSES["deadline"] if s != "breached"}
        return Timeliness(rule, **counts, never_held=self._never_done[rule])

    def summary(self) -> Summary:
        """The summary of every line added so far."""
        self._trim()
        rules = tuple(
            RuleSummary(
                rule,
                self._titles[(rule, kind)],
                kind,
                tuple((s, self._counts[(rule, kind, s)]) for s in STATUSES[kind]),
                self._rule_cases[(rule, kind)],
            )
            # Grouped by kind (their statuses differ), then by rule id: the same order whatever the input order.
            for rule, kind in sorted(self._titles, key=lambda k: (KINDS.index(k[1]), k[0]))
        )
        census = Census(
            self._timeliness(ICPC_RULE),
            tuple((label, self._buckets[label]) for label, _, _ in BUCKETS),
            self._timeliness(FIRST_REVIEW_RULE),
            self._timeliness(REVIEW_INTERVAL_RULE),
        )
        return Summary(
            cases=self._cases,
            cases_needing_attention=self._attention,
            cases_with_overdue=self._with_overdue,
            results=self._results,
            runs=tuple(PolicyRun(a, v, d, n) for (a, v, d), n in sorted(self._runs.items())),
            error_records=self._errors,
            errors_by_code=tuple(sorted(self._codes.items())),
            malformed=self._malformed,
            malformed_lines=tuple(self._malformed_lines),
            rules=rules,
            census=census,
            overdue_total=self._overdue_total,
            overdue=tuple(self._overdue),
            overdue_limit=self.overdue_limit,
            coverage=self._coverage(),
            repeated=self._repeated_total,
            repeated_lines=tuple(self._repeated),
            period=self.period,
            period_given=self._period_given,
            plans=self._plans.measures() if self._plans else PlanMeasures(),
            months=tuple(
                (month, tuple((column, self._months[(month, column)]) for column in MONTH_COLUMNS))
                for month in (self.period.months() if self.period else [])
            ),
            by=self.by,
            groups=tuple(
                GroupSummary(name, c["cases"], c["with_overdue"], c["overdue"], c["met"], c["due"])
                for name, c in sorted(self._groups.items())
            ),
        )

    def _coverage(self) -> tuple[tuple[str, tuple[tuple[str, int], ...]], ...]:
        grouped: dict[str, list[tuple[str, int]]] = {}
        for (rule, names), n in sorted(self._not_recorded.items()):
            grouped.setdefault(names, []).append((rule, n))
        return tuple((names, tuple(rules)) for names, rules in sorted(grouped.items()))


def summarize(
    lines: Iterable[Line],
    *,
    overdue_limit: int = DEFAULT_OVERDUE_LIMIT,
    calendar: WorkingCalendar | None = None,
    period: Period | None = None,
    by: str | None = None,
) -> Summary:
    """Summarize parsed lines (from :func:`parse_lines`), consuming them one at a time.

    ``overdue_limit`` caps the overdue items kept (the earliest due; all are counted). ``calendar`` counts
    the working days for the census bands; default England and Wales bank holidays and weekends. ``period``
    limits the counts to deadlines due in it (default: the census year of the first evaluation's date); the
    overdue list is everything overdue on the evaluation date. ``by`` (``team`` or ``worker``) breaks the
    caseload down by the cases' opaque ids.
    """
    summarizer = Summarizer(overdue_limit, calendar or _working_calendar(), period, by)
    for item in lines:
        summarizer.add(item)
    return summarizer.summary()


__all__ = [
    "BUCKETS",
    "Census",
    "OverdueItem",
    "PolicyRun",
    "RuleSummary",
    "Summarizer",
    "Summary",
    "Timeliness",
    "bucket_of",
    "summarize",
]
