"""The reporting period of `cpc report`, and the per-child measures the Children in Need census takes over it.

The census year runs from 1 April to 31 March. A report counts the deadlines that fell due in its period, as the
census and the children's services analysis tool (ChAT) count a year, and these measures of the children's plans:

- plans that started in the period, by category of abuse or neglect, and how many were a second or later plan;
- plans that ended in the period, and how many had lasted two years or more;
- of the plans that ended in the period after lasting three months or more, how many had every review on time
  (no first review or later review missed or overdue).

Everything here is counts; nothing holds a case beyond the line being read.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

REVIEW_RULES = ("first-review-timescale", "review-interval")
NOT_RECORDED = "not recorded"


class PeriodError(ValueError):
    """A period that cannot be read; the message says how to write one."""


@dataclass(frozen=True, slots=True)
class Period:
    """A span of whole days, both ends included."""

    start: dt.date
    end: dt.date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end

    def __str__(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    def months(self) -> list[str]:
        """Each calendar month the period touches, ``YYYY-MM``, in order."""
        out, year, month = [], self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out


def census_year(day: dt.date) -> Period:
    """The census year (1 April to 31 March) that ``day`` falls in."""
    first = day.year if day.month >= 4 else day.year - 1
    return Period(dt.date(first, 4, 1), dt.date(first + 1, 3, 31))


def parse_period(text: str) -> Period:
    """``2025-04-01..2026-03-31`` as a :class:`Period`; :class:`PeriodError` with what is wrong otherwise."""
    start, dots, end = text.partition("..")
    if not dots:
        raise PeriodError(f"{text!r} is not a period; write START..END, e.g. 2025-04-01..2026-03-31")
    try:
        period = Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    except ValueError:
        raise PeriodError(f"{text!r} is not a period; write START..END as YYYY-MM-DD dates") from None
    if period.end < period.start:
        raise PeriodError(f"the period {text!r} ends before it starts")
    return period


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, clamped to the end of a shorter month (31 January + 1 month = 28 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True, slots=True)
class PlanMeasures:
    """The census's per-child measures of the plans, over one period."""

    started: int = 0
    started_by_category: tuple[tuple[str, int], ...] = ()
    repeat: int = 0
    repeat_unknown: int = 0
    ended: int = 0
    ended_after_two_years: int = 0
    ended_after_three_months: int = 0
    reviews_all_on_time: int = 0


@dataclass
class PlanCounter:
    """Counts plans one evaluation at a time (see :class:`PlanMeasures`)."""

    period: Period
    # Counts by the name of the PlanMeasures field they become, and the plans started by category.
    _counts: Counter = field(default_factory=Counter)
    _categories: Counter = field(default_factory=Counter)

    def add(self, plan: dict | None, review_statuses: list[str]) -> None:
        """One child's plan (the ``plan`` of an evaluation line) and the statuses of its review results."""
        if not plan:
            return
        counts = self._counts
        start, end = plan["start"], plan.get("end")
        if start in self.period:
            counts["started"] += 1
            self._categories[plan.get("category") or NOT_RECORDED] += 1
            previous = plan.get("previous_plans")
            counts["repeat_unknown" if previous is None else "repeat"] += previous is None or previous >= 1
        if end is not None and end in self.period:
            counts["ended"] += 1
            counts["ended_after_two_years"] += end >= add_months(start, 24)
            if end >= add_months(start, 3):
                counts["ended_after_three_months"] += 1
                counts["reviews_all_on_time"] += not any(s in ("missed", "overdue") for s in review_statuses)

    def measures(self) -> PlanMeasures:
        return PlanMeasures(**self._counts, started_by_category=tuple(sorted(self._categories.items())))
