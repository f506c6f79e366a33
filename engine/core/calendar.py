"""The working-day calendar that due dates are counted on: bank holidays, weekends and local closures.

A working day is a Monday to Friday that is neither a bank holiday in England and Wales nor one of the
area's closure days. Bank holidays come from the ``holidays`` package, England subdivision of the United
Kingdom (``holidays.country_holidays("GB", subdiv="ENG")``). Wales has exactly the same bank holidays as
England (both follow the Banking and Financial Dealings Act 1971 and the same royal proclamations; the
package's ``ENG`` and ``WLS`` sets are identical for every year it knows), so the one set serves both and is
called ``england-and-wales``. Scotland and Northern Ireland differ and are not offered.

The package computes the rule-based holidays (Easter, the May and August Mondays, Christmas, Boxing Day and
New Year's Day with their substitute days when they fall at a weekend) for any year it supports, but a
one-off day (a state funeral, a coronation, a jubilee) is known only once it has been declared and a
release of the package records it: for future years the calendar is the rule-based one. A one-off that is
announced before the package records it can be entered as a closure day meanwhile.

The package supports a fixed span of years (:data:`FIRST_YEAR` to :data:`LAST_YEAR`; 1872 to 2100 with
``holidays`` 0.109) and silently returns *no* holidays outside it, which would make every bank holiday a
working day. Every counting operation here therefore raises :class:`CalendarRangeError` (a ``ValueError``)
for a date outside that span, both the dates given and the dates computed.

Counting rules (see :meth:`WorkingCalendar.add`):

* ``N working days`` after X is the Nth working day after X's date, whatever day X is: from a Saturday the
  first working day is the Monday (or the next working day after it). Before X mirrors it: the Nth working
  day before X's date. The result is always a working day and the non-working-day setting never applies.
* ``days``, ``weeks``, ``months`` and ``years`` are calendar arithmetic on X's date (months and years clamp
  to the month's last day: 31 January + 1 month = 28 or 29 February), then the calendar's
  ``deadline_on_non_working_day`` setting moves a result that lands on a non-working day, or keeps it.
* ``hours`` from a ``datetime`` is exact elapsed time and gives a ``datetime``; from a bare ``date`` it gives
  the most generous ``date`` any time of day could give (see :meth:`WorkingCalendar.add`).

This module is ``engine.core.calendar``. It does not hide the standard library's :mod:`calendar` from the rest of
the package, because Python 3 imports are absolute (``import calendar`` in ``engine/core/durations.py`` is the
standard library's), unless the ``engine`` folder itself is put on ``sys.path`` (running
``python engine/core/durations.py`` as a script does that; run ``python -m engine.core.durations`` instead).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from types import MappingProxyType
from typing import Literal, get_args

import holidays

from engine.core.durations import Duration, Unit, add_months

DeadlineRule = Literal["keep", "next_working_day", "previous_working_day"]
"""What happens to a due date counted in calendar units that lands on a non-working day."""

DEADLINE_RULES: tuple[str, ...] = get_args(DeadlineRule)
BANK_HOLIDAY_SETS: tuple[str, ...] = ("england-and-wales",)

# Read the span from the package rather than hard-coding it, so that an upgrade that widens it widens ours.
_ENGLAND = holidays.country_holidays("GB", subdiv="ENG")
FIRST_YEAR: int = _ENGLAND.start_year
LAST_YEAR: int = _ENGLAND.end_year

_SATURDAY = 5
# Enum member lookups cost a dictionary walk each; the due-date path tests the unit on every call.
_HOURS, _WORKING_DAYS, _DAYS, _WEEKS, _MONTHS, _YEARS = (
    Unit.HOURS,
    Unit.WORKING_DAYS,
    Unit.DAYS,
    Unit.WEEKS,
    Unit.MONTHS,
    Unit.YEARS,
)


class CalendarRangeError(ValueError):
    """A date outside the years whose bank holidays the ``holidays`` package knows."""


def _range_error(year: int) -> CalendarRangeError:
    return CalendarRangeError(
        f"no England and Wales bank holidays are known for {year}: the holidays package "
        f"{holidays.__version__} covers {FIRST_YEAR} to {LAST_YEAR}, and counting working days outside "
        "that would treat bank holidays as working days"
    )


def _check_date(d: date) -> None:
    if not FIRST_YEAR <= d.year <= LAST_YEAR:
        raise _range_error(d.year)


@cache
def bank_holidays_in(year: int) -> Mapping[date, str]:
    """England and Wales bank holidays in ``year``, date to name, weekend dates included.

    A holiday that falls at a weekend is listed on its own date and its substitute weekday as
    ``"… (observed)"``. Raises :class:`CalendarRangeError` outside :data:`FIRST_YEAR` to :data:`LAST_YEAR`.
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise _range_error(year)
    found = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return MappingProxyType({d: found[d] for d in sorted(found) if d.year == year})


@cache
def _bank_holiday_weekdays(year: int) -> tuple[int, ...]:
    # Only weekday holidays matter to the counting: weekends are excluded by arithmetic already.
    return tuple(d.toordinal() for d in bank_holidays_in(year) if d.weekday() < _SATURDAY)


# Ordinal 1 (1 January of year 1) is a Monday, so an ordinal's weekday is (ordinal - 1) % 7.


def _weekdays_through(o: int) -> int:
    """Mondays to Fridays among ordinals 1..o."""
    return 5 * (o // 7) + min(o % 7, 5)


def _nth_weekday_after(o: int, k: int) -> int:
    """The kth Monday-to-Friday after ordinal ``o`` (k >= 1)."""
    wd = (o - 1) % 7
    if wd > 4:
        # From a weekend, count as from the Friday before: the next weekday is the same Monday.
        o -= wd - 4
        wd = 4
    weeks, day = divmod(wd + k, 5)
    return o - wd + 7 * weeks + day


def _nth_weekday_before(o: int, k: int) -> int:
    """The kth Monday-to-Friday before ordinal ``o`` (k >= 1)."""
    wd = (o - 1) % 7
    if wd > 4:
        o += 7 - wd
        wd = 0
    weeks, day = divmod(wd - k, 5)
    return o - wd + 7 * weeks + day


def _as_date(d: date) -> date:
    # datetime is a subclass of date; day-based answers are plain dates, and date and datetime do not compare.
    return d.date() if isinstance(d, datetime) else d


def _to_closure_day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"closure day {value!r} is not a date (YYYY-MM-DD)") from None
    raise TypeError(f"closure day must be a date or 'YYYY-MM-DD', got {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Working days for one area: England and Wales bank holidays, weekends and the area's closure days.

    Immutable and hashable; build one per area and share it. Bank holidays are fetched per year (and
    cached for the process) only for the years a calendar is asked about, and kept on the instance as one
    sorted table, so counting N working days is a couple of bisects, not a walk over N days.

    ``closure_days`` may be dates or ``YYYY-MM-DD`` strings. ``deadline_on_non_working_day`` is one of
    ``keep`` (default), ``next_working_day`` or ``previous_working_day`` and applies only to due dates
    counted in days, weeks, months, years or hours.
    """

    closure_days: frozenset[date] = frozenset()
    deadline_on_non_working_day: DeadlineRule = "keep"
    bank_holidays: str = "england-and-wales"
    # The non-working Mondays to Fridays (bank holidays and closures) of a window of whole years, as
    # (first ordinal, last ordinal, sorted ordinals, set of ordinals). The window widens on demand and is
    # replaced whole, so a reader never sees a half-built one.
    _window: tuple[int, int, tuple[int, ...], frozenset[int]] = field(
        default=(1, 0, (), frozenset()), init=False, repr=False, compare=False
    )
    _closure_ordinals: tuple[int, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        raw: object = self.closure_days
        if isinstance(raw, str | date) or not isinstance(raw, Iterable):
            raise TypeError("closure_days must be a collection of dates")
        days = frozenset(_to_closure_day(v) for v in raw)
        for d in days:
            _check_date(d)
        if self.deadline_on_non_working_day not in DEADLINE_RULES:
            raise ValueError(
                f"deadline_on_non_working_day must be one of {', '.join(DEADLINE_RULES)}, "
                f"got {self.deadline_on_non_working_day!r}"
            )
        if self.bank_holidays not in BANK_HOLIDAY_SETS:
            raise ValueError(f"bank_holidays must be one of {', '.join(BANK_HOLIDAY_SETS)}, got {self.bank_holidays!r}")
        object.__setattr__(self, "closure_days", days)
        weekday_closures = sorted(d.toordinal() for d in days if d.weekday() < _SATURDAY)
        object.__setattr__(self, "_closure_ordinals", tuple(weekday_closures))

    @classmethod
    def from_settings(cls, settings: Mapping[str, object] | None) -> WorkingCalendar:
        """Build from a policy's ``calendar`` block (``bank_holidays``, ``closure_days``,
        ``deadline_on_non_working_day``); ``None`` or ``{}`` gives the default calendar."""
        given = dict(settings or {})
        unknown = set(given) - {"bank_holidays", "closure_days", "deadline_on_non_working_day"}
        if unknown:
            raise ValueError(f"unknown calendar setting(s): {', '.join(sorted(unknown))}")
        if given.get("closure_days") is None:
            given.pop("closure_days", None)
        return cls(**given)  # type: ignore[arg-type]  # the constructor validates each value

    # -- tables ------------------------------------------------------------------------------------------

    def _widen(self, lo: int, hi: int) -> tuple[int, int, tuple[int, ...], frozenset[int]]:
        """Widen the window to whole years covering ordinals lo..hi; raise outside the known years."""
        start, end, _, _ = self._window
        first, last = date.fromordinal(lo).year, date.fromordinal(hi).year
        if start <= end:
            first = min(first, date.fromordinal(start).year)
            last = max(last, date.fromordinal(end).year)
        for year in (first, last):
            if not FIRST_YEAR <= year <= LAST_YEAR:
                raise _range_error(year)
        start, end = date(first, 1, 1).toordinal(), date(last, 12, 31).toordinal()
        closed = {o for year in range(first, last + 1) for o in _bank_holiday_weekdays(year)}
        closed.update(o for o in self._closure_ordinals if start <= o <= end)
        window = (start, end, tuple(sorted(closed)), frozenset(closed))
        object.__setattr__(self, "_window", window)
        return window

    def _closed_between(self, lo: int, hi: int) -> int:
        """Non-working Mondays to Fridays among ordinals lo < o <= hi (lo <= hi)."""
        if lo >= hi:
            return 0
        window = self._window
        if lo + 1 < window[0] or hi > window[1]:
            window = self._widen(lo + 1, hi)
        ordinals = window[2]
        return bisect_right(ordinals, hi) - bisect_right(ordinals, lo)

    def _is_working(self, o: int) -> bool:
        if (o - 1) % 7 > 4:
            return False
        window = self._window
        if not window[0] <= o <= window[1]:
            window = self._widen(o, o)
        return o not in window[3]

    def _working_after(self, o: int, n: int) -> int:
        """The nth working day after ordinal ``o`` (n >= 1)."""
        # Guess the nth weekday, then push on by the holidays passed on the way, until no more are passed.
        # The guess never overshoots, so the first guess that passes no new holiday is the answer.
        # Usually one or two rounds, each a bisect: no loop over days.
        reached, passed = o, 0
        while True:
            candidate = _nth_weekday_after(o, n + passed)
            extra = self._closed_between(reached, candidate)
            if extra == 0:
                return candidate
            passed += extra
            reached = candidate

    def _working_before(self, o: int, n: int) -> int:
        """The nth working day before ordinal ``o`` (n >= 1)."""
        reached, passed = o, 0
        while True:
            candidate = _nth_weekday_before(o, n + passed)
            extra = self._closed_between(candidate - 1, reached - 1)
            if extra == 0:
                return candidate
            passed += extra
            reached = candidate

    # -- public ------------------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` (or a datetime's date) is a Monday to Friday, not a bank holiday or closure day."""
        _check_date(d)
        return self._is_working(d.toordinal())

    def is_closure_day(self, d: date) -> bool:
        """Whether ``d`` is one of this calendar's closure days (whatever day of the week)."""
        return _as_date(d) in self.closure_days

    def bank_holiday_name(self, d: date) -> str | None:
        """The bank holiday on ``d``, e.g. ``"Good Friday"``, or ``None``."""
        _check_date(d)
        return bank_holidays_in(d.year).get(_as_date(d))

    def working_day_on_or_after(self, d: date) -> date:
        """``d``'s date if it is a working day, otherwise the next working day."""
        _check_date(d)
        o = d.toordinal()
        return date.fromordinal(o if self._is_working(o) else self._working_after(o, 1))

    def working_day_on_or_before(self, d: date) -> date:
        """``d``'s date if it is a working day, otherwise the previous working day."""
        _check_date(d)
        o = d.toordinal()
        return date.fromordinal(o if self._is_working(o) else self._working_before(o, 1))

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after ``a`` up to and including ``b``; negative (the count after ``b`` up to and
        including ``a``) when ``b`` is before ``a``.

        So ``working_days_between(x, add(x, n working days)) == n`` for any x and n >= 0, and for a working
        day x, ``working_days_between(subtract(x, n working days), x) == n``. It is additive
        (``between(a, b) + between(b, c) == between(a, c)``), and for a due date and an event on or after
        it, it is how many working days late the event was.
        """
        _check_date(a)
        _check_date(b)
        lo, hi = a.toordinal(), b.toordinal()
        sign = 1
        if hi < lo:
            lo, hi, sign = hi, lo, -1
        return sign * (_weekdays_through(hi) - _weekdays_through(lo) - self._closed_between(lo, hi))

    def add(self, start: date, duration: Duration) -> date:
        """The due date ``duration`` after ``start``: "within <duration> of <start>".

        * working days: the Nth working day after ``start``'s date (a plain ``date``; 0 gives
          ``start``'s date). Whatever day ``start`` is, so from a Saturday the 1st is the next working day.
        * days, weeks: calendar days on ``start``'s date; months, years: :func:`add_months`, clamped to the
          month's last day. The result is a plain ``date``, moved by ``deadline_on_non_working_day``.
        * hours from a ``datetime``: ``start + timedelta(hours=N)`` as elapsed time (an aware datetime is
          counted in UTC, so 24 hours across a clock change is 24 real hours), then moved by the setting
          keeping its time of day. Hours from a bare ``date``: the time is unknown, so the answer is the
          latest date the limit could fall on, ``start + ceil(N / 24)`` days ("within 24 hours of a
          conference on 10 March" is due 11 March), then moved by the setting. An event dated on that day
          may have been on time, so it is never reported late. To count from midnight instead pass
          ``datetime.combine(start, time())``.

        Raises ``ValueError`` for a negative amount and :class:`CalendarRangeError` when ``start`` or the
        answer is outside the years whose bank holidays are known.
        """
        return self._shift(start, duration, forward=True)

    def subtract(self, start: date, duration: Duration) -> date:
        """The latest date that is ``duration`` before ``start``: "at least <duration> before <start>".

        Mirrors :meth:`add`: working days give the Nth working day before ``start``'s date ("at least 2
        working days before the conference" is met on or before the 2nd working day before it); calendar
        units count back and then apply ``deadline_on_non_working_day`` in the direction it names (so
        ``next_working_day`` moves the answer later). Hours from a bare ``date`` give the latest date any
        time of day could satisfy, ``start - floor(N / 24)`` days ("at least 24 hours before a conference
        on 10 March" is met by anything on 9 March).
        """
        return self._shift(start, duration, forward=False)

    def _shift(self, start: date, duration: Duration, *, forward: bool) -> date:
        if not isinstance(duration, Duration):
            raise TypeError(f"expected a Duration, got {type(duration).__name__}")
        n = duration.amount
        if n < 0:
            raise ValueError(f"a duration to count must not be negative, got {n}")
        _check_date(start)
        unit = duration.unit
        if unit is _WORKING_DAYS:
            o = start.toordinal()
            if n == 0:
                return date.fromordinal(o)
            o = self._working_after(o, n) if forward else self._working_before(o, n)
            return date.fromordinal(o)
        sign = 1 if forward else -1
        try:
            if unit is _HOURS:
                if isinstance(start, datetime):
                    return self._settle_datetime(self._shift_hours(start, sign * n))
                # Generous whole days for an unknown time of day: ceil forwards, floor backwards.
                days = -(-n // 24) if forward else n // 24
                due = start + timedelta(days=sign * days)
            elif unit is _DAYS:
                due = _as_date(start) + timedelta(days=sign * n)
            elif unit is _WEEKS:
                due = _as_date(start) + timedelta(weeks=sign * n)
            elif unit is _MONTHS:
                due = add_months(_as_date(start), sign * n)
            elif unit is _YEARS:
                due = add_months(_as_date(start), sign * 12 * n)
            else:  # pragma: no cover - Unit is a closed set
                raise AssertionError(unit)
        except OverflowError:
            raise CalendarRangeError(f"{start} {'+' if forward else '-'} {duration} is not a date") from None
        return self._settle(due)

    @staticmethod
    def _shift_hours(start: datetime, hours: int) -> datetime:
        if start.tzinfo is None or start.utcoffset() is None:
            return start + timedelta(hours=hours)
        return (start.astimezone(UTC) + timedelta(hours=hours)).astimezone(start.tzinfo)

    def _settle(self, due: date) -> date:
        """Apply ``deadline_on_non_working_day`` to a due date counted in calendar units."""
        _check_date(due)
        rule = self.deadline_on_non_working_day
        if rule == "keep":
            return due
        o = due.toordinal()
        if self._is_working(o):
            return due
        o = self._working_after(o, 1) if rule == "next_working_day" else self._working_before(o, 1)
        return date.fromordinal(o)

    def _settle_datetime(self, due: datetime) -> datetime:
        moved = self._settle(due.date())
        if moved == due.date():
            return due
        return datetime.combine(moved, due.timetz())


ENGLAND_AND_WALES = WorkingCalendar()
"""The calendar with no closure days and ``keep``: bank holidays and weekends only."""


__all__ = [
    "BANK_HOLIDAY_SETS",
    "DEADLINE_RULES",
    "ENGLAND_AND_WALES",
    "FIRST_YEAR",
    "LAST_YEAR",
    "CalendarRangeError",
    "DeadlineRule",
    "WorkingCalendar",
    "bank_holidays_in",
]
