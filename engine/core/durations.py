"""Durations written the way procedures write them: ``15 working days``, ``3 months``, ``24 hours``.

A duration is an amount and a unit. Units are a closed set: procedures say "days" for calendar days and
"working days" for Monday to Friday less bank holidays, and the two must never be confused, so the parser
accepts only those spellings and says what it expected otherwise.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache


class Unit(StrEnum):
    """The units a policy may count in. The value is the plural spelling used in YAML."""

    HOURS = "hours"
    WORKING_DAYS = "working days"
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"
    YEARS = "years"

    @property
    def singular(self) -> str:
        return self.value[:-1]


# Months and years are measured over a window that holds leap years, a century year that is not a leap
# year (2100) and every month end, so their ranges are exact for any start date.
_MONTH_WINDOW = (date(2096, 1, 1), date(2104, 12, 31))


def add_months(start: date, months: int) -> date:
    """``start`` plus whole months, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = start.year * 12 + (start.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(start.day, last))


@lru_cache(maxsize=256)
def _month_span_range(months: int) -> tuple[int, int]:
    first, last = _MONTH_WINDOW
    spans = {
        (add_months(first + timedelta(days=i), months) - (first + timedelta(days=i))).days
        for i in range((last - first).days + 1)
    }
    return (min(spans), max(spans))


_PATTERN = re.compile(
    r"^\s*(?P<amount>\d{1,4})\s+(?P<unit>working\s+days?|days?|weeks?|months?|years?|hours?)\s*$",
    re.IGNORECASE,
)

DURATION_SYNTAX = "<whole number> <unit>, unit one of: hours, days, working days, weeks, months, years"


class DurationError(ValueError):
    """A duration string that does not read as '<number> <unit>'."""


@dataclass(frozen=True, slots=True, order=True)
class Duration:
    """An amount of a unit, e.g. ``Duration(15, Unit.WORKING_DAYS)``."""

    amount: int
    unit: Unit

    def __str__(self) -> str:
        unit = self.unit.singular if self.amount == 1 else self.unit.value
        return f"{self.amount} {unit}"

    def calendar_day_range(self) -> tuple[float, float]:
        """The fewest and most calendar days this duration can span, whatever the start date.

        Hours are returned as fractions of a day. Used to compare durations across units.
        """
        n = self.amount
        match self.unit:
            case Unit.HOURS:
                return (n / 24, n / 24)
            case Unit.DAYS:
                return (n, n)
            case Unit.WEEKS:
                return (7 * n, 7 * n)
            case Unit.WORKING_DAYS:
                if n == 0:
                    return (0, 0)
                # Fewest: start on a Sunday so the first five fall Monday to Friday. Most: start on a
                # Friday, so each five working days take a weekend, and meet the densest run of bank
                # holidays England has (Christmas Day, Boxing Day and New Year's Day within eight
                # days), plus one more holiday for every further twenty working days.
                shortest = n + 2 * ((n - 1) // 5)
                longest = n + 2 * -(-n // 5) + 3 + 2 * (n // 20)
                return (shortest, longest)
            case Unit.MONTHS:
                return _month_span_range(n)
            case Unit.YEARS:
                return _month_span_range(12 * n)
        raise AssertionError(self.unit)  # pragma: no cover - the match is exhaustive


def parse_duration(text: object) -> Duration:
    """Parse ``"15 working days"`` into a :class:`Duration`.

    Raises :class:`DurationError` with a message naming the expected form when ``text`` does not read
    as a whole number followed by one of the units.
    """
    if not isinstance(text, str):
        raise DurationError(f"expected a duration such as '15 working days', got {type(text).__name__}")
    return _parse(text)


# The most of each unit a time limit may be: a century. At most four digits reach this far, so hours, days
# and working days (9,999 of them is under 40 years) cannot exceed it.
_MOST = {Unit.YEARS: 100, Unit.MONTHS: 1_200, Unit.WEEKS: 5_217}


@lru_cache(maxsize=1024)
def _parse(text: str) -> Duration:
    # Policies repeat a handful of durations and the engine reads them for every case.
    match = _PATTERN.match(text)
    if not match:
        raise DurationError(f"'{text}' is not a duration; write {DURATION_SYNTAX}")
    words = " ".join(match["unit"].lower().split())
    if not words.endswith("s"):
        words += "s"
    unit = Unit(words)
    amount = int(match["amount"])
    # No procedure sets a time limit of more than a century, and dates beyond one cannot be counted in working
    # days (the calendar ends in 2100): a longer one is a slip, refused before it overflows date arithmetic.
    if amount > _MOST.get(unit, amount):
        raise DurationError(f"'{text.strip()}' is longer than 100 years; no procedure sets a time limit that long")
    written = " ".join(match["unit"].lower().split())
    # "15 working day" and "1 days" are slips worth flagging: procedures never write them, and they are
    # usually a truncated edit of something else.
    if amount != 1 and written == unit.singular:
        raise DurationError(f"'{text}': write '{amount} {unit.value}'")
    if amount == 1 and written == unit.value:
        raise DurationError(f"'{text}': write '1 {unit.singular}'")
    return Duration(amount, unit)


def compare_strictness(a: Duration, b: Duration) -> str:
    """Compare two time limits by the calendar days they can span.

    Returns ``"same"`` when equal, ``"shorter"`` when ``a`` always spans fewer days than ``b``,
    ``"longer"`` when it always spans more, and ``"overlaps"`` when it depends on the dates.
    """
    if a == b:
        return "same"
    a_lo, a_hi = a.calendar_day_range()
    b_lo, b_hi = b.calendar_day_range()
    if a_hi < b_lo or (a.unit == b.unit and a.amount < b.amount):
        return "shorter"
    if a_lo > b_hi or (a.unit == b.unit and a.amount > b.amount):
        return "longer"
    return "overlaps"
