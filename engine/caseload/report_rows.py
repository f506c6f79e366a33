"""The caseload report's tables, typed: what each part of `cpc report` holds, whatever the format.

Each part of the report as a table: its column names, then rows of typed values (a count is an int, a share
a percent rounded to one decimal or None when there is nothing to take it of). The text and Markdown
reports (:mod:`engine.caseload.report_text`) lay these out in their own way, the csv formats and the xlsx
workbook (report_xlsx) write them as they are, and the html page (report_html) draws them: one place says what
each part holds. The headings and status labels the reports share are here too.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.caseload.results_lines import STATUSES
from engine.caseload.summary import MONTH_COLUMNS, Census, Summary, Timeliness

Table = tuple[list[str], list[list]]


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _percent_number(rate: float | None) -> float | None:
    return round(100 * rate, 1) if rate is not None else None


KIND_HEADINGS = {
    "deadline": ("Deadlines", "met of those due", "met / (met + missed + overdue + breached)"),
    "requirement": ("Requirements", "met of assessed", "met / (met + breached)"),
    "decision": ("Directions (decisions that applied)", "", ""),
}
STATUS_LABELS = {
    "met": "met",
    "missed": "missed",
    "pending": "pending",
    "overdue": "overdue",
    "breached": "breached",
    "not_assessable": "not assessable",
    "applies": "applies",
}


def headline_rows(summary: Summary) -> Table:
    """The headline counts, with each one's share of the cases evaluated where it is a share of them."""
    rows: list[list] = [
        ["cases evaluated", summary.cases, None],
        [
            "cases with something overdue: late, and still to be done",
            summary.cases_with_overdue,
            _percent(summary.cases_with_overdue, summary.cases),
        ],
        [
            "cases with something overdue or missed that fell due in the period, or a requirement breached",
            summary.cases_needing_attention,
            _percent(summary.cases_needing_attention, summary.cases),
        ],
        ["cases that could not be evaluated (error records)", summary.error_records, None],
    ]
    rows += [[f"error records with code {code}", n, None] for code, n in summary.errors_by_code]
    rows.append(["records repeating a case id already counted (not counted again)", summary.repeated, None])
    rows.append(["malformed lines skipped", summary.malformed, None])
    return ["measure", "count", "percent_of_cases"], rows


# The census measures, in the order the reports give them: the name of each, and what it is read from.
_CENSUS_MEASURES: tuple[tuple[str, Callable[[Census], Timeliness]], ...] = (
    ("initial conferences within 15 working days of the strategy discussion", lambda c: c.initial),
    ("first reviews", lambda c: c.first_review),
    ("later reviews", lambda c: c.review_interval),
    ("all reviews", lambda c: c.reviews),
)


def census_rows(summary: Summary) -> Table:
    """The Children in Need census timeliness measures, one row each: held in the period, on time and late
    (a review missed because the plan ended first was never held, and is in neither), the share held on time,
    and those not yet held, of them overdue. ``rule`` is the rule counted, empty for all reviews (two rules)."""
    header = ["measure", "rule", "held", "on_time", "late", "on_time_percent", "not_yet_held", "overdue"]
    rows = []
    for name, measure in _CENSUS_MEASURES:
        t = measure(summary.census)
        # All reviews count two rules (Census.reviews names them "a+b"); a row names one rule or none.
        rule = None if "+" in t.rule else t.rule
        rows.append([name, rule, t.held, t.met, t.held - t.met, _percent_number(t.rate), t.not_yet_held, t.overdue])
    return header, rows


def band_rows(summary: Summary) -> Table:
    """Initial conferences held, by working days from the strategy discussion (the census's bands)."""
    held = sum(n for _, n in summary.census.buckets)
    return ["working_days", "conferences", "percent"], [[b, n, _percent(n, held)] for b, n in summary.census.buckets]


def _plan_figures(summary: Summary) -> list[tuple[str, str, int, int | None]]:
    """The plan measures as (key, name, count, of what) with the categories after ``started``."""
    plans = summary.plans
    known = plans.started - plans.repeat_unknown
    figures = [("started", "plans started in the period", plans.started, None)]
    figures += [
        ("category", f"started in the period: {name.replace('_', ' ')}", n, plans.started)
        for name, n in plans.started_by_category
    ]
    return [
        *figures,
        ("repeat", "second or later plans, of those started whose earlier plans are recorded", plans.repeat, known),
        ("repeat_unknown", "started with no record of earlier plans", plans.repeat_unknown, plans.started),
        ("ended", "plans ended in the period", plans.ended, None),
        ("two_years", "ended after lasting two years or more", plans.ended_after_two_years, plans.ended),
        ("three_months", "ended after three months or more", plans.ended_after_three_months, plans.ended),
        (
            "reviews_on_time",
            "ended after three months or more with every review on time",
            plans.reviews_all_on_time,
            plans.ended_after_three_months,
        ),
    ]


def plan_rows(summary: Summary) -> Table:
    """The census's measures of child protection plans: each a count, of how many (empty for a total), and the
    share. Categories are named as the results give them, with ``_`` as a space."""
    rows = [[name, n, of, None if of is None else _percent(n, of)] for _, name, n, of in _plan_figures(summary)]
    return ["measure", "plans", "of", "percent"], rows


def group_rows(summary: Summary) -> Table:
    """With --by, per team (or worker): cases, cases with something overdue and overdue items (on the
    evaluation date), and deadlines met of those due in the period."""
    header = [summary.by or "group", "cases", "cases_with_overdue", "overdue_items"]
    header += ["deadlines_met", "deadlines_due", "deadlines_met_percent"]
    rows = [
        [
            g.name,
            g.cases,
            g.cases_with_overdue,
            g.overdue,
            g.deadlines_met,
            g.deadlines_due,
            _percent_number(g.met_rate),
        ]
        for g in summary.groups
    ]
    return header, rows


def kind_rows(summary: Summary, kind: str) -> Table:
    """The rules of one kind as the reports tabulate them: rule, title, a count for each status of the kind,
    then the share met (``met_percent``: of those due for a deadline, of those assessed for a requirement)
    or, for a direction, how many cases it applied to (``cases``)."""
    statuses = STATUSES[kind]
    last = "cases" if kind == "decision" else "met_percent"
    rows = [
        [
            r.rule,
            r.title,
            *(r.count(s) for s in statuses),
            r.cases if kind == "decision" else _percent_number(r.met_rate),
        ]
        for r in summary.rules
        if r.kind == kind
    ]
    return ["rule", "title", *statuses, last], rows


def coverage_rows(summary: Summary) -> Table:
    """The rules not assessable from this data: each rule, its title, how many results, and the events or facts
    the cases' source does not record (comma-separated, as the results name them), by rule id."""
    titles = {r.rule: r.title for r in summary.rules if r.count("not_assessable")}
    found = sorted((rule, n, names) for names, rules in summary.coverage for rule, n in rules)
    return ["rule", "title", "results", "not_recorded"], [[r, titles.get(r, ""), n, names] for r, n, names in found]


def rule_rows(summary: Summary) -> tuple[list[str], list[list]]:
    """The per-rule table: its column names and one row per rule and status, values typed (a percent is a
    float rounded to one decimal, or None), with the rule's results and cases on every row of it. What --format
    csv writes, and the xlsx workbook's sheet."""
    header = ["kind", "rule", "title", "status", "count", "rule_results", "rule_met_percent", "rule_cases"]
    rows = []
    for r in summary.rules:
        percent = _percent_number(r.met_rate)
        rows.extend([r.kind, r.rule, r.title, status, n, r.total, percent, r.cases] for status, n in r.counts)
    return header, rows


def overdue_rows(summary: Summary) -> tuple[list[str], list[list]]:
    """The overdue list: its column names and one row per item, earliest due first, values typed."""
    by = [summary.by] if summary.by else []
    header = ["due", "late_amount", "late_unit", "case", "rule", "subject", "days_late", "first", *by]
    rows = []
    for item in summary.overdue:
        first = "yes" if item.tier == 0 else "no"
        row = [item.due, item.late_amount, item.late_unit, item.case, item.rule, item.subject, item.days_late, first]
        rows.append(row + ([item.group] if by else []))
    return header, rows


def month_rows(summary: Summary) -> tuple[list[str], list[list]]:
    """The month-by-month table: its column names and one row per month of the period."""
    return ["month", *MONTH_COLUMNS], [[month, *(n for _, n in counts)] for month, counts in summary.months]


__all__ = [
    "KIND_HEADINGS",
    "STATUS_LABELS",
    "Table",
    "band_rows",
    "census_rows",
    "coverage_rows",
    "group_rows",
    "headline_rows",
    "kind_rows",
    "month_rows",
    "overdue_rows",
    "plan_rows",
    "rule_rows",
]
