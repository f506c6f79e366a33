"""CPC304: A closure day falls in a year whose bank holidays are not known."""

import datetime as dt
from collections.abc import Iterator

from engine.core.calendar import FIRST_YEAR, LAST_YEAR
from engine.core.findings import Finding, Severity
from engine.policy.lint.base import LintContext, LintRule


class ClosureDayOutsideCalendar(LintRule):
    """A closure day falls in a year whose bank holidays are not known.

    What it does:
        Reports a date under `calendar.closure_days` before 1872 or after 2100, the years whose England and
        Wales bank holidays the calendar knows.

    Why is this bad?
        Every due date counted in working days is counted on the area's calendar, closure days included.
        A closure day in a year without known bank holidays cannot be placed on that calendar, so no case
        could be evaluated against the policy; it is almost always a mistyped year.

    Example:
        ```yaml
        calendar:
          closure_days: [2205-12-29]
        ```

    Use instead:
        ```yaml
        calendar:
          closure_days: [2025-12-29]
        ```
    """

    code = "CPC304"
    name = "closure-day-outside-calendar"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        calendar = ctx.policy.data.get("calendar")
        days = calendar.get("closure_days") if isinstance(calendar, dict) else None
        if not isinstance(days, list):
            return
        for index, day in enumerate(days):
            year = _year(day)
            if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
                yield self.finding(
                    ctx,
                    ("calendar", "closure_days", index),
                    f"closure day in {year}, outside {FIRST_YEAR} to {LAST_YEAR}: working days cannot be counted there",
                    hint="check the year",
                )


def _year(day: object) -> int | None:
    # YAML reads an unquoted date as a date, a quoted one as text; the schema accepts both spellings.
    if isinstance(day, dt.date):
        return day.year
    try:
        return dt.date.fromisoformat(day).year if isinstance(day, str) else None
    except ValueError:
        return None
