"""The working-day calendar, on the real England and Wales bank holidays."""

from __future__ import annotations

import calendar as stdlib_calendar
import dataclasses
import sys
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core import durations
from engine.core.calendar import (
    DEADLINE_RULES,
    ENGLAND_AND_WALES,
    FIRST_YEAR,
    LAST_YEAR,
    CalendarRangeError,
    WorkingCalendar,
    bank_holidays_in,
)
from engine.core.durations import Duration, Unit, parse_duration

CAL = ENGLAND_AND_WALES
NEXT = WorkingCalendar(deadline_on_non_working_day="next_working_day")
PREVIOUS = WorkingCalendar(deadline_on_non_working_day="previous_working_day")


def wd(n: int) -> Duration:
    return Duration(n, Unit.WORKING_DAYS)


def days(n: int) -> Duration:
    return Duration(n, Unit.DAYS)


def hours(n: int) -> Duration:
    return Duration(n, Unit.HOURS)


def months(n: int) -> Duration:
    return Duration(n, Unit.MONTHS)


def years(n: int) -> Duration:
    return Duration(n, Unit.YEARS)


# -- the bank holidays themselves ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2025, 4, 18), "Good Friday"),
        (date(2025, 4, 21), "Easter Monday"),
        (date(2025, 12, 25), "Christmas Day"),
        (date(2025, 12, 26), "Boxing Day"),
        (date(2026, 12, 28), "Boxing Day (observed)"),  # Boxing Day 2026 is a Saturday
        (date(2027, 12, 27), "Christmas Day (observed)"),  # both fall at the weekend in 2027
        (date(2027, 12, 28), "Boxing Day (observed)"),
        (date(2022, 1, 3), "New Year's Day (observed)"),
        (date(2020, 5, 8), "May Day"),  # moved to VE Day's 75th anniversary
        (date(1995, 5, 8), "May Day"),  # and to its 50th
        (date(2022, 6, 2), "Spring Bank Holiday"),
        (date(2022, 6, 3), "Platinum Jubilee of Elizabeth II"),
        (date(2022, 9, 19), "State Funeral of Queen Elizabeth II"),
        (date(2023, 5, 8), "Coronation of Charles III"),
    ],
)
def test_bank_holidays_are_not_working_days(day: date, name: str) -> None:
    assert CAL.bank_holiday_name(day) == name
    assert not CAL.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2020, 5, 4),  # the first Monday of May 2020 was not a bank holiday that year
        date(2022, 5, 30),  # the last Monday of May 2022 neither: Spring bank holiday moved to 2 June
        date(2025, 4, 17),  # Maundy Thursday
        date(2025, 4, 22),
        date(2025, 12, 24),
        date(2025, 12, 29),
        date(2025, 12, 31),
        date(2026, 1, 2),
    ],
)
def test_ordinary_weekdays_are_working_days(day: date) -> None:
    assert CAL.bank_holiday_name(day) is None
    assert CAL.is_working_day(day)


def test_weekends_are_not_working_days() -> None:
    assert not CAL.is_working_day(date(2025, 4, 12))
    assert not CAL.is_working_day(date(2025, 4, 13))
    assert CAL.is_working_day(date(2025, 4, 14))


def test_a_weekend_holiday_is_listed_with_its_substitute() -> None:
    christmas_2026 = bank_holidays_in(2026)
    assert christmas_2026[date(2026, 12, 26)] == "Boxing Day"
    assert christmas_2026[date(2026, 12, 28)] == "Boxing Day (observed)"
    assert CAL.is_working_day(date(2026, 12, 29))


def test_wales_has_the_same_bank_holidays_as_england() -> None:
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    england = holidays.country_holidays("GB", subdiv="ENG", years=years)
    wales = holidays.country_holidays("GB", subdiv="WLS", years=years)
    assert set(england) == set(wales)


def test_datetimes_are_judged_by_their_date() -> None:
    assert not CAL.is_working_day(datetime(2025, 12, 25, 9, 0))
    assert CAL.is_working_day(datetime(2025, 12, 24, 23, 59))


# -- the years the package knows ----------------------------------------------------------------------


def test_supported_years_are_the_packages() -> None:
    entity = holidays.country_holidays("GB", subdiv="ENG")
    assert (entity.start_year, entity.end_year) == (FIRST_YEAR, LAST_YEAR)
    assert FIRST_YEAR <= 1990 and LAST_YEAR >= 2100


def test_years_the_package_does_not_know_raise_rather_than_count_bank_holidays_as_working() -> None:
    # Outside its span the package returns no holidays at all; the calendar must refuse instead.
    assert len(holidays.country_holidays("GB", subdiv="ENG", years=LAST_YEAR + 1)) == 0
    with pytest.raises(CalendarRangeError, match=str(LAST_YEAR + 1)):
        CAL.is_working_day(date(LAST_YEAR + 1, 1, 1))
    with pytest.raises(ValueError, match="covers"):
        CAL.add(date(LAST_YEAR, 12, 20), wd(15))
    with pytest.raises(CalendarRangeError):
        CAL.add(date(LAST_YEAR, 12, 1), months(1))
    with pytest.raises(CalendarRangeError):
        CAL.subtract(date(FIRST_YEAR, 1, 5), wd(5))
    with pytest.raises(CalendarRangeError):
        CAL.working_days_between(date(2025, 1, 1), date(LAST_YEAR + 1, 1, 1))
    with pytest.raises(CalendarRangeError):
        bank_holidays_in(FIRST_YEAR - 1)
    with pytest.raises(CalendarRangeError):
        WorkingCalendar(closure_days=[date(LAST_YEAR + 5, 1, 1)])


def test_the_edges_of_the_span_work() -> None:
    assert CAL.add(date(2100, 12, 20), wd(3)) == date(2100, 12, 23)  # 20 Dec 2100 is a Monday
    assert CAL.subtract(date(1990, 1, 2), wd(1)) == date(1989, 12, 29)
    assert CAL.add(date(2100, 1, 31), months(1)) == date(2100, 2, 28)


# -- working days -------------------------------------------------------------------------------------


def test_easter_2025() -> None:
    # Maundy Thursday + 1 skips Good Friday, the weekend and Easter Monday.
    assert CAL.add(date(2025, 4, 17), wd(1)) == date(2025, 4, 22)
    assert CAL.subtract(date(2025, 4, 22), wd(1)) == date(2025, 4, 17)
    assert CAL.working_days_between(date(2025, 4, 17), date(2025, 4, 22)) == 1
    # Starting on Good Friday itself: the count starts after it.
    assert CAL.add(date(2025, 4, 18), wd(1)) == date(2025, 4, 22)


def test_strategy_discussion_before_christmas_2025() -> None:
    # 19 Dec 2025 (Friday) + 15: 22-24 Dec (3), 29-31 Dec (6), 2 Jan (7), 5-9 Jan (12), 12-14 Jan (15).
    assert CAL.add(date(2025, 12, 19), wd(15)) == date(2026, 1, 14)
    assert CAL.working_days_between(date(2025, 12, 19), date(2026, 1, 14)) == 15


def test_christmas_2026_substitute_day_is_skipped() -> None:
    # 24 Dec 2026 is a Thursday; Christmas Friday, Boxing Day Saturday with Monday 28 Dec in lieu.
    assert CAL.add(date(2026, 12, 24), wd(1)) == date(2026, 12, 29)
    assert CAL.add(date(2026, 12, 24), wd(3)) == date(2026, 12, 31)
    assert CAL.add(date(2026, 12, 24), wd(4)) == date(2027, 1, 4)  # 1 Jan 2027 is a Friday holiday


def test_one_off_bank_holidays_are_skipped() -> None:
    assert CAL.add(date(2022, 9, 16), wd(1)) == date(2022, 9, 20)  # Queen's funeral Monday 19 Sept
    assert CAL.add(date(2023, 5, 5), wd(1)) == date(2023, 5, 9)  # coronation Monday 8 May
    assert CAL.add(date(2020, 5, 7), wd(1)) == date(2020, 5, 11)  # VE Day Friday 8 May 2020
    assert CAL.add(date(2020, 5, 1), wd(1)) == date(2020, 5, 4)  # and so 4 May 2020 was worked
    assert CAL.add(date(2022, 6, 1), wd(1)) == date(2022, 6, 6)  # Jubilee Thursday and Friday


@pytest.mark.parametrize("start", [date(2025, 6, 13), date(2025, 6, 14), date(2025, 6, 15)])
def test_a_weekend_start_counts_from_the_next_working_day(start: date) -> None:
    # Friday, Saturday and Sunday all have Monday 16 June 2025 as the first working day after them.
    assert CAL.add(start, wd(1)) == date(2025, 6, 16)
    assert CAL.add(start, wd(15)) == date(2025, 7, 4)


def test_the_due_day_is_the_nth_working_day_not_the_day_after_it() -> None:
    # Monday 2 June 2025 + 5 = Monday 9 June: an event that day is on time, the Tuesday is one day late.
    due = CAL.add(date(2025, 6, 2), wd(5))
    assert due == date(2025, 6, 9)
    assert CAL.working_days_between(due, date(2025, 6, 9)) == 0
    assert CAL.working_days_between(due, date(2025, 6, 10)) == 1
    assert CAL.working_days_between(due, date(2025, 6, 6)) == -1
    # Late by the weekend only still counts as working days: Saturday and Sunday after a Friday due date.
    assert CAL.working_days_between(date(2025, 6, 6), date(2025, 6, 8)) == 0


def test_at_least_n_working_days_before() -> None:
    # Conference Monday 28 April 2025: 2 working days before is Thursday 24 April.
    assert CAL.subtract(date(2025, 4, 28), wd(2)) == date(2025, 4, 24)
    # Conference Tuesday 22 April 2025, after Easter: Thursday 17 is the 1st, Wednesday 16 the 2nd.
    assert CAL.subtract(date(2025, 4, 22), wd(2)) == date(2025, 4, 16)
    # From a Sunday: Friday is the 1st working day before it.
    assert CAL.subtract(date(2025, 6, 15), wd(1)) == date(2025, 6, 13)


def test_zero_working_days_is_the_same_day() -> None:
    assert CAL.add(date(2025, 6, 14), wd(0)) == date(2025, 6, 14)
    assert CAL.subtract(date(2025, 6, 14), wd(0)) == date(2025, 6, 14)


def test_working_days_from_a_datetime_give_a_date() -> None:
    due = CAL.add(datetime(2025, 12, 19, 15, 30), wd(15))
    assert type(due) is date
    assert due == date(2026, 1, 14)


def test_closure_days_are_not_working_days() -> None:
    closed = WorkingCalendar(closure_days=[date(2025, 12, 29), date(2025, 12, 30), date(2025, 12, 27)])
    assert not closed.is_working_day(date(2025, 12, 29))
    assert closed.is_closure_day(date(2025, 12, 30))
    assert closed.add(date(2025, 12, 19), wd(15)) == date(2026, 1, 16)
    assert closed.working_days_between(date(2025, 12, 19), date(2026, 1, 16)) == 15
    assert closed.subtract(date(2026, 1, 2), wd(2)) == date(2025, 12, 24)
    # A closure on a Saturday (27 Dec) changes nothing; the calendar without closures is unaffected.
    assert CAL.add(date(2025, 12, 19), wd(15)) == date(2026, 1, 14)


def test_working_days_ignore_the_non_working_day_setting() -> None:
    for calendar in (CAL, NEXT, PREVIOUS):
        assert calendar.add(date(2025, 12, 19), wd(15)) == date(2026, 1, 14)
        assert calendar.subtract(date(2025, 4, 22), wd(2)) == date(2025, 4, 16)


def test_working_days_across_many_years() -> None:
    # 2024: 262 weekdays, and all 8 bank holidays fell on weekdays, so 254 working days.
    weekdays_2024 = sum(1 for i in range(366) if (date(2024, 1, 1) + timedelta(i)).weekday() < 5)
    assert weekdays_2024 == 262
    assert sum(1 for d in bank_holidays_in(2024) if d.weekday() < 5) == len(bank_holidays_in(2024)) == 8
    assert CAL.working_days_between(date(2023, 12, 31), date(2024, 12, 31)) == 254
    assert CAL.add(date(1995, 3, 1), wd(7000)) > date(2021, 1, 1)


# -- calendar units and the non-working-day setting ---------------------------------------------------


def test_leap_years_and_month_ends() -> None:
    assert CAL.add(date(2024, 2, 29), years(1)) == date(2025, 2, 28)
    assert CAL.add(date(2024, 2, 29), years(4)) == date(2028, 2, 29)
    assert CAL.add(date(2096, 2, 29), years(4)) == date(2100, 2, 28)  # 2100 is not a leap year
    assert CAL.add(date(2024, 1, 31), months(1)) == date(2024, 2, 29)
    assert CAL.add(date(2025, 1, 31), months(1)) == date(2025, 2, 28)
    assert CAL.add(date(2100, 1, 31), months(1)) == date(2100, 2, 28)
    assert CAL.add(date(2025, 4, 30), months(1)) == date(2025, 5, 30)
    assert CAL.add(date(2025, 8, 31), months(3)) == date(2025, 11, 30)
    assert CAL.subtract(date(2024, 3, 31), months(1)) == date(2024, 2, 29)
    assert CAL.subtract(date(2025, 3, 31), months(13)) == date(2024, 2, 29)
    assert CAL.add(date(2024, 2, 28), days(1)) == date(2024, 2, 29)
    assert CAL.add(date(2100, 2, 28), days(1)) == date(2100, 3, 1)
    assert CAL.add(date(2025, 12, 19), Duration(2, Unit.WEEKS)) == date(2026, 1, 2)


def test_calendar_units_from_a_datetime_give_a_date() -> None:
    due = CAL.add(datetime(2025, 1, 31, 9, 0), months(1))
    assert type(due) is date
    assert due == date(2025, 2, 28)


@pytest.mark.parametrize(
    ("start", "duration", "keep", "next_day", "previous_day"),
    [
        # Thursday + 2 days lands on Saturday 12 April 2025.
        (date(2025, 4, 10), days(2), date(2025, 4, 12), date(2025, 4, 14), date(2025, 4, 11)),
        # Lands on Good Friday: next skips the Easter weekend and Monday.
        (date(2025, 4, 8), days(10), date(2025, 4, 18), date(2025, 4, 22), date(2025, 4, 17)),
        # 31 January 2026 + 1 month = Saturday 28 February.
        (date(2026, 1, 31), months(1), date(2026, 2, 28), date(2026, 3, 2), date(2026, 2, 27)),
        # Christmas Day 2026 + 1 week is a Friday holiday (New Year's Day 2027).
        (date(2026, 12, 25), Duration(1, Unit.WEEKS), date(2027, 1, 1), date(2027, 1, 4), date(2026, 12, 31)),
        # Lands on a working day: unchanged under every setting.
        (date(2025, 6, 2), days(2), date(2025, 6, 4), date(2025, 6, 4), date(2025, 6, 4)),
    ],
)
def test_each_setting_moves_a_calendar_due_date_off_a_non_working_day(
    start: date, duration: Duration, keep: date, next_day: date, previous_day: date
) -> None:
    assert CAL.add(start, duration) == keep
    assert NEXT.add(start, duration) == next_day
    assert PREVIOUS.add(start, duration) == previous_day


def test_the_setting_applies_to_closure_days() -> None:
    closed = WorkingCalendar(
        closure_days=[date(2025, 12, 29), date(2025, 12, 30)], deadline_on_non_working_day="next_working_day"
    )
    assert closed.add(date(2025, 12, 15), days(14)) == date(2025, 12, 31)


def test_the_setting_names_a_direction_in_time_when_counting_back_too() -> None:
    # 3 days before Tuesday 15 April 2025 is Saturday 12 April.
    assert CAL.subtract(date(2025, 4, 15), days(3)) == date(2025, 4, 12)
    assert NEXT.subtract(date(2025, 4, 15), days(3)) == date(2025, 4, 14)
    assert PREVIOUS.subtract(date(2025, 4, 15), days(3)) == date(2025, 4, 11)


# -- hours --------------------------------------------------------------------------------------------


def test_hours_from_a_datetime_are_exact() -> None:
    assert CAL.add(datetime(2025, 3, 10, 14, 30), hours(24)) == datetime(2025, 3, 11, 14, 30)
    assert CAL.subtract(datetime(2025, 3, 10, 14, 30), hours(72)) == datetime(2025, 3, 7, 14, 30)
    # Friday afternoon + 24 hours is Saturday afternoon; next_working_day keeps the time of day.
    assert CAL.add(datetime(2025, 3, 7, 15, 0), hours(24)) == datetime(2025, 3, 8, 15, 0)
    assert NEXT.add(datetime(2025, 3, 7, 15, 0), hours(24)) == datetime(2025, 3, 10, 15, 0)
    assert PREVIOUS.add(datetime(2025, 3, 7, 15, 0), hours(24)) == datetime(2025, 3, 7, 15, 0)


def test_hours_across_a_clock_change_are_elapsed_hours() -> None:
    london = ZoneInfo("Europe/London")
    # Clocks went forward at 01:00 on Sunday 30 March 2025: 24 hours later is 13:00 on the wall clock.
    due = CAL.add(datetime(2025, 3, 29, 12, 0, tzinfo=london), hours(24))
    assert due == datetime(2025, 3, 30, 13, 0, tzinfo=london)
    assert due.utcoffset() == timedelta(hours=1)
    start = datetime(2025, 3, 29, 12, 0, tzinfo=UTC)
    assert CAL.add(start, hours(24)) == start + timedelta(hours=24)


@pytest.mark.parametrize(
    ("n", "after", "before"),
    [
        (0, date(2025, 3, 10), date(2025, 3, 10)),
        (1, date(2025, 3, 11), date(2025, 3, 10)),
        (23, date(2025, 3, 11), date(2025, 3, 10)),
        (24, date(2025, 3, 11), date(2025, 3, 9)),
        (25, date(2025, 3, 12), date(2025, 3, 9)),
        (48, date(2025, 3, 12), date(2025, 3, 8)),
        (72, date(2025, 3, 13), date(2025, 3, 7)),
    ],
)
def test_hours_from_a_date_give_the_most_generous_date(n: int, after: date, before: date) -> None:
    # Monday 10 March 2025, time unknown: within N hours is due ceil(N/24) days later; at least N hours
    # before is met on a day floor(N/24) days earlier.
    assert CAL.add(date(2025, 3, 10), hours(n)) == after
    assert CAL.subtract(date(2025, 3, 10), hours(n)) == before
    assert type(CAL.add(date(2025, 3, 10), hours(n))) is date


def test_hours_from_a_date_then_obey_the_setting() -> None:
    # Friday 7 March 2025 + 24 hours, date only: Saturday 8 March, moved to Monday or back to Friday.
    assert CAL.add(date(2025, 3, 7), hours(24)) == date(2025, 3, 8)
    assert NEXT.add(date(2025, 3, 7), hours(24)) == date(2025, 3, 10)
    assert PREVIOUS.add(date(2025, 3, 7), hours(24)) == date(2025, 3, 7)


# -- construction -------------------------------------------------------------------------------------


def test_calendars_are_immutable_values() -> None:
    a = WorkingCalendar(closure_days=[date(2025, 12, 29), "2025-12-30"])
    b = WorkingCalendar(closure_days=(date(2025, 12, 30), date(2025, 12, 29)))
    assert a == b and hash(a) == hash(b)
    a.add(date(2025, 12, 19), wd(15))  # building tables must not change equality
    assert a == b and hash(a) == hash(b)
    assert len({a, b, CAL}) == 2
    assert a.closure_days == frozenset({date(2025, 12, 29), date(2025, 12, 30)})
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.deadline_on_non_working_day = "keep"  # type: ignore[misc]


def test_from_settings_reads_a_policy_calendar_block() -> None:
    cal = WorkingCalendar.from_settings(
        {
            "bank_holidays": "england-and-wales",
            "closure_days": [date(2025, 12, 29), "2025-12-30"],
            "deadline_on_non_working_day": "previous_working_day",
        }
    )
    assert cal.deadline_on_non_working_day == "previous_working_day"
    assert cal.is_closure_day(date(2025, 12, 30))
    assert WorkingCalendar.from_settings(None) == CAL
    assert WorkingCalendar.from_settings({"closure_days": None}) == CAL
    assert set(DEADLINE_RULES) == {"keep", "next_working_day", "previous_working_day"}


@pytest.mark.parametrize(
    ("settings_block", "error", "message"),
    [
        ({"deadline_on_non_working_day": "nearest"}, ValueError, "keep, next_working_day"),
        ({"bank_holidays": "scotland"}, ValueError, "england-and-wales"),
        ({"closure_day": []}, ValueError, "closure_day"),
        ({"closure_days": ["29/12/2025"]}, ValueError, "YYYY-MM-DD"),
        ({"closure_days": "2025-12-29"}, TypeError, "collection"),
        ({"closure_days": [29]}, TypeError, "int"),
    ],
)
def test_bad_settings_are_refused(settings_block: dict, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        WorkingCalendar.from_settings(settings_block)


def test_bad_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        CAL.add(date(2025, 1, 1), wd(-1))
    with pytest.raises(TypeError, match="Duration"):
        CAL.add(date(2025, 1, 1), "15 working days")  # type: ignore[arg-type]


def test_durations_parsed_from_policies_work() -> None:
    assert CAL.add(date(2025, 12, 19), parse_duration("15 working days")) == date(2026, 1, 14)
    assert CAL.add(date(2025, 1, 31), parse_duration("1 month")) == date(2025, 2, 28)


def test_the_module_does_not_shadow_the_standard_calendar() -> None:
    assert durations.calendar is stdlib_calendar
    assert sys.modules["calendar"] is stdlib_calendar
    assert hasattr(stdlib_calendar, "monthrange")


# -- properties ---------------------------------------------------------------------------------------

PROPERTY = settings(max_examples=100, deadline=None, derandomize=True)
dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))
counts = st.integers(min_value=1, max_value=60)


def _reference_is_working(d: date, closures: frozenset[date] = frozenset()) -> bool:
    return d.weekday() < 5 and d not in bank_holidays_in(d.year) and d not in closures


def _reference_add(start: date, n: int, closures: frozenset[date] = frozenset()) -> date:
    d, found = start, 0
    while found < n:
        d += timedelta(days=1)
        found += _reference_is_working(d, closures)
    return d


def _reference_subtract(start: date, n: int, closures: frozenset[date] = frozenset()) -> date:
    d, found = start, 0
    while found < n:
        d -= timedelta(days=1)
        found += _reference_is_working(d, closures)
    return d


@PROPERTY
@given(start=dates, n=counts, closures=st.frozensets(dates, max_size=5), offsets=st.lists(counts, max_size=5))
def test_working_days_agree_with_counting_day_by_day(
    start: date, n: int, closures: frozenset[date], offsets: list[int]
) -> None:
    # Closures near the start, where they matter, as well as anywhere.
    closures |= {start + timedelta(days=k) for k in offsets}
    cal = WorkingCalendar(closure_days=closures)
    assert cal.add(start, wd(n)) == _reference_add(start, n, closures)
    assert cal.subtract(start, wd(n)) == _reference_subtract(start, n, closures)
    assert cal.is_working_day(start) == _reference_is_working(start, closures)


@PROPERTY
@given(start=dates, n=counts)
def test_working_day_results_are_working_days_after_or_before_the_start(start: date, n: int) -> None:
    after, before = CAL.add(start, wd(n)), CAL.subtract(start, wd(n))
    assert CAL.is_working_day(after) and CAL.is_working_day(before)
    assert before < start < after


@PROPERTY
@given(start=dates, n=counts)
def test_working_days_round_trip_from_a_working_day(start: date, n: int) -> None:
    start = CAL.working_day_on_or_after(start)
    assert CAL.subtract(CAL.add(start, wd(n)), wd(n)) == start
    assert CAL.add(CAL.subtract(start, wd(n)), wd(n)) == start


@PROPERTY
@given(a=dates, b=dates, n=counts)
def test_working_day_arithmetic_is_monotonic(a: date, b: date, n: int) -> None:
    a, b = min(a, b), max(a, b)
    assert CAL.add(a, wd(n)) <= CAL.add(b, wd(n))
    assert CAL.subtract(a, wd(n)) <= CAL.subtract(b, wd(n))
    assert CAL.add(a, wd(n)) <= CAL.add(a, wd(n + 1))


@PROPERTY
@given(a=dates, n=st.integers(min_value=0, max_value=300), b=dates, c=dates)
def test_working_days_between_is_consistent_with_add(a: date, n: int, b: date, c: date) -> None:
    assert CAL.working_days_between(a, CAL.add(a, wd(n))) == n
    working = CAL.working_day_on_or_before(a)
    assert CAL.working_days_between(CAL.subtract(working, wd(n)), working) == n
    assert CAL.working_days_between(a, b) == -CAL.working_days_between(b, a)
    assert CAL.working_days_between(a, b) + CAL.working_days_between(b, c) == CAL.working_days_between(a, c)


@PROPERTY
@given(a=dates, span=st.integers(min_value=0, max_value=40))
def test_working_days_between_counts_day_by_day(a: date, span: int) -> None:
    b = a + timedelta(days=span)
    expected = sum(_reference_is_working(a + timedelta(days=k)) for k in range(1, span + 1))
    assert CAL.working_days_between(a, b) == expected
    assert CAL.working_days_between(b, a) == -expected


@PROPERTY
@given(start=st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)), n=st.integers(0, 120))
def test_months_clamp_to_the_month_and_never_overflow_it(start: date, n: int) -> None:
    due = CAL.add(start, months(n))
    index = start.year * 12 + start.month - 1 + n
    year, month0 = divmod(index, 12)
    assert (due.year, due.month) == (year, month0 + 1)
    assert due.day == min(start.day, stdlib_calendar.monthrange(due.year, due.month)[1])
    assert CAL.add(start, years(n // 12)) == CAL.add(start, months(12 * (n // 12)))


@PROPERTY
@given(
    start=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 1)),
    n=st.integers(min_value=0, max_value=2000),
)
def test_hours_are_timedelta_arithmetic(start: datetime, n: int) -> None:
    assert CAL.add(start, hours(n)) == start + timedelta(hours=n)
    assert CAL.subtract(start, hours(n)) == start - timedelta(hours=n)


@PROPERTY
@given(start=dates, n=st.integers(min_value=0, max_value=400))
def test_the_settings_move_calendar_due_dates_to_the_nearest_working_day(start: date, n: int) -> None:
    kept = CAL.add(start, days(n))
    assert kept == start + timedelta(days=n)
    later, earlier = NEXT.add(start, days(n)), PREVIOUS.add(start, days(n))
    assert CAL.is_working_day(later) and CAL.is_working_day(earlier)
    assert earlier <= kept <= later
    if CAL.is_working_day(kept):
        assert earlier == kept == later
    else:
        assert CAL.working_days_between(kept, later) == 1
        assert CAL.working_days_between(earlier, kept) == 0
