"""`cpc report`'s text formats: the report as plain text and as Markdown, its tables as CSV, and JSON.

The text and Markdown reports lay out the typed rows of :mod:`engine.caseload.report_rows`, and the csv
formats write them as they are; :func:`to_dict` is the JSON. :data:`FORMATS` names every format
:mod:`engine.caseload.report_formats` renders (the html page among them) and :data:`CSV_HELP` says what the csv
columns hold. `cpc report`'s options are built from both when the CLI starts, so they are here rather than in
report, which would load the html page for every command.

A results file may hold anything, so every value it gives (a case id, a rule's title, a team) goes through
:mod:`engine.core.safe_text` for the format written: controls escaped in text, Markdown markup escaped in Markdown,
formulas neutralised in CSV.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable

from engine.caseload.report_rows import (
    KIND_HEADINGS,
    STATUS_LABELS,
    _percent,
    _percent_number,
    _plan_figures,
    band_rows,
    census_rows,
    coverage_rows,
    group_rows,
    kind_rows,
    month_rows,
    overdue_rows,
    rule_rows,
)
from engine.caseload.results_lines import KINDS, STATUSES
from engine.caseload.summary import Summary, Timeliness
from engine.core.safe_text import CsvWriter, markdown_code, markdown_text, terminal

FORMATS = ("text", "markdown", "csv", "overdue-csv", "months-csv", "json", "html")


CSV_HELP = (
    "CSV (--format csv): one header row, then one row per rule and status, every status of the rule's kind "
    "included even when 0. Columns: kind (deadline, requirement, decision), rule, title, status, count, "
    "rule_results (all results of the rule), rule_met_percent (deadlines: met / (met + missed + overdue + breached); "
    "requirements: met / (met + breached); empty for decisions or when nothing has fallen due), rule_cases (the "
    "cases with a result of the rule). "
    "--format overdue-csv writes the overdue items instead, earliest due first, at most --overdue-limit of them: "
    "due, late_amount, late_unit (in the rule's own unit), case, rule, subject, days_late (calendar days, the "
    "same unit for every row), first (yes for an open plan's work and conferences to hold, listed first), and "
    "with --by the team or worker. --format months-csv writes one row per month of the "
    "period: month, then the deadline results due that month by status (due_met, due_missed, due_overdue, "
    "due_pending, due_not_assessable) and the census's initial conferences and reviews held on time and late "
    "(icpc_on_time, icpc_late, reviews_on_time, reviews_late). "
    "The number columns (count, rule_results, rule_met_percent, rule_cases; late_amount, days_late; all of "
    "months-csv but month) are plain numbers. A text cell that starts with =, +, -, @, a tab or a line break is "
    "written with a ' before it, so that a spreadsheet shows it as text and never runs it as a formula."
)


def _n(value: int) -> str:
    return f"{value:,}"


def _cases(value: int) -> str:
    return f"{value:,} case" if value == 1 else f"{value:,} cases"


def _pct(part: int, whole: int) -> str:
    return _percent_text(_percent(part, whole))


def _percent_text(percent: float | None) -> str:
    return "-" if percent is None else f"{percent:.1f}%"


def _runs_line(summary: Summary, esc: Callable[[object], str]) -> str:
    if len(summary.runs) == 1:
        run = summary.runs[0]
        return f"{esc(run.area)} policy {esc(run.policy_version)} as of {esc(run.as_of)}"
    return "; ".join(
        f"{esc(r.area)} policy {esc(r.policy_version)} as of {esc(r.as_of)} ({_n(r.cases)})" for r in summary.runs
    )


def _headline(summary: Summary, esc: Callable[[object], str]) -> list[str]:
    """The totals that open the text and Markdown reports; ``esc`` makes a value from the results safe."""
    out = [
        f"{_cases(summary.cases)} evaluated under {_runs_line(summary, esc)}."
        if summary.cases
        else "No cases evaluated."
    ]
    if summary.period is not None:
        why = "--period" if summary.period_given else "the census year of the evaluation date; --period to change"
        out.append(
            f"Counts are of what fell due from {summary.period} ({why}); the overdue list is everything overdue on "
            "the evaluation date."
        )
    if summary.error_records:
        codes = ", ".join(f"{esc(code)} {_n(n)}" for code, n in summary.errors_by_code)
        out.append(f"{_cases(summary.error_records)} could not be evaluated (error records by code: {codes}).")
    else:
        out.append("No error records.")
    if summary.repeated:
        lines = ", ".join(str(n) for n in summary.repeated_lines)
        more = "" if len(summary.repeated_lines) == summary.repeated else ", …"
        one = summary.repeated == 1
        out.append(
            f"{_n(summary.repeated)} {'record repeats' if one else 'records repeat'} a case id already counted "
            f"({'line' if one else 'lines'} {lines}{more}): each child is counted once, from its first record."
        )
    # Overdue is work that can still be done; missed (and most breaches) is history, counted apart.
    now = summary.cases_with_overdue
    verb = "has" if now == 1 else "have"
    out.append(f"{_cases(now)} ({_pct(now, summary.cases)}) {verb} something overdue: late, and still to be done.")
    attention = summary.cases_needing_attention
    out.append(
        f"{_cases(attention)} ({_pct(attention, summary.cases)}) "
        f"{'has' if attention == 1 else 'have'} something overdue or missed that fell due in the period, or a "
        "requirement breached (requirements carry no date)."
    )
    return out


def _coverage_heading(summary: Summary) -> str:
    rules = summary.not_recorded_rules
    results = sum(n for _, found in summary.coverage for _, n in found)
    return (
        f"Not assessable from this data: {_n(rules)} rule{'s' if rules != 1 else ''} ({_n(results)} results), "
        "because the cases' source does not record"
    )


def _overdue_heading(summary: Summary) -> str:
    total, shown = summary.overdue_total, len(summary.overdue)
    order = "open plans' work and conferences to hold first, then the rest; earliest due first within each"
    if total == shown:
        return f"Overdue ({_n(total)}): {order}"
    return f"Overdue ({_n(total)}; the first {_n(shown)} shown, --all lists every one): {order}"


def _plan_lines(summary: Summary, esc: Callable[[object], str]) -> list[str]:
    """The census's per-child measures of the plans, one line each, from :func:`plan_rows`."""
    figures = {key: (n, whole) for key, _, n, whole in _plan_figures(summary)}
    categories = ", ".join(f"{esc(name.replace('_', ' '))} {_n(n)}" for name, n in summary.plans.started_by_category)
    started, _ = figures["started"]
    repeat, known = figures["repeat"]
    unknown, _ = figures["repeat_unknown"]
    ended, _ = figures["ended"]
    long, _ = figures["two_years"]
    on_time, three_months = figures["reviews_on_time"]
    return [
        f"plans started: {_n(started)}; by category: {categories or 'none'}",
        f"second or later plans: {_n(repeat)} of {_n(known)} started whose earlier plans are recorded "
        f"({_pct(repeat, known)})" + (f"; {_n(unknown)} started with no record of earlier plans" if unknown else ""),
        f"plans ended: {_n(ended)}; lasting two years or more: {_n(long)} ({_pct(long, ended)})",
        f"every review on time, of the plans ended after three months or more: {_n(on_time)} of "
        f"{_n(three_months)} ({_pct(on_time, three_months)})",
    ]


def _group_table(summary: Summary, esc: Callable[[object], str]) -> tuple[list[str], list[list[str]]]:
    """The --by table as the text and Markdown reports lay it out, from :func:`group_rows`."""
    header = [summary.by or "", "cases", "with overdue", "overdue items", "deadlines met of due"]
    _, typed = group_rows(summary)
    rows = [
        [esc(name), _n(cases), _n(late), _n(items), _percent_text(p)] for name, cases, late, items, _, _, p in typed
    ]
    return header, rows


def render_text(summary: Summary) -> str:
    """The report a manager reads: totals, census measures, each rule's counts, then what is overdue."""
    out = ["Caseload compliance report", "", *_headline(summary, terminal)]

    initial, *reviews = census_rows(summary)[1]
    _, rule, held, on_time, _, percent, not_yet_held, overdue = initial
    out += [
        "",
        "Children in Need census timeliness",
        f"  Initial conferences within 15 working days of the strategy discussion ({rule})",
        f"    held on time: {_n(on_time)} of {_n(held)} held ({_percent_text(percent)})",
        f"    not yet held: {_n(not_yet_held)}, of them overdue: {_n(overdue)}",
        "    working days from the strategy discussion to the conference:",
    ]
    for label, n, percent in band_rows(summary)[1]:
        out.append(f"      {label:<6} {_n(n):>8}  {_percent_text(percent):>6}")
    out.append("  Review conferences held on time")
    # All reviews first, then the two rules it adds up.
    for name, rule, held, on_time, _, percent, _, overdue in (reviews[-1], *reviews[:-1]):
        about = f"{name} ({rule})" if rule else name
        out.append(f"    {about}: {_n(on_time)} of {_n(held)} held ({_percent_text(percent)}); {_n(overdue)} overdue")
    out.append("  Child protection plans")
    out += [f"    {line}" for line in _plan_lines(summary, terminal)]

    if summary.groups:
        header, rows = _group_table(summary, terminal)
        widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]
        out += ["", f"By {summary.by} (overdue: on the evaluation date; deadlines: due in the period)"]
        for cells in (header, *rows):
            padded = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
            out.append("  " + "  ".join(padded))

    for kind in KINDS:
        _, rules = kind_rows(summary, kind)
        if not rules:
            continue
        heading, rate_label, rate_formula = KIND_HEADINGS[kind]
        statuses = STATUSES[kind]
        width = max(len(terminal(rule)) for rule, *_ in rules)
        # Each column as wide as its heading or its widest number, so the table stays narrow.
        widths = [max(len(STATUS_LABELS[s]), *(len(_n(row[2 + i])) for row in rules)) for i, s in enumerate(statuses)]
        last = rate_label or "cases"
        out += ["", f"{heading}" + (f"; {rate_label} = {rate_formula}" if rate_label else "")]
        header = f"  {'rule':<{width}}" + "".join(
            f"  {STATUS_LABELS[s]:>{w}}" for s, w in zip(statuses, widths, strict=True)
        )
        last_width = max(8, len(last))
        out.append(f"{header}  {last:>{last_width}}")
        for rule, title, *counts, tail in rules:
            row = f"  {terminal(rule):<{width}}" + "".join(
                f"  {_n(n):>{w}}" for n, w in zip(counts, widths, strict=True)
            )
            out.append(f"{row}  {_percent_text(tail) if rate_label else _n(tail):>{last_width}}")
            out.append(f"      {terminal(title)}")

    if summary.coverage:
        rows = [(terminal(rule), n, terminal(names)) for rule, _, n, names in coverage_rows(summary)[1]]
        width = max(4, *(len(rule) for rule, _, _ in rows))
        count_w = max(7, *(len(_n(n)) for _, n, _ in rows))
        out += ["", _coverage_heading(summary), f"  {'rule':<{width}}  {'results':>{count_w}}  not recorded"]
        for rule, n, names in rows:
            out.append(f"  {rule:<{width}}  {_n(n):>{count_w}}  {names}")

    out += ["", _overdue_heading(summary)]
    if summary.overdue:
        items = [(terminal(i.due), terminal(i.late), terminal(i.case), i) for i in summary.overdue]
        due_w = max(3, *(len(due) for due, _, _, _ in items))
        late_w = max(4, *(len(late) for _, late, _, _ in items))
        case_w = max(4, *(len(case) for _, _, case, _ in items))
        out.append(f"  {'due':<{due_w}}  {'late':<{late_w}}  {'case':<{case_w}}  rule (subject)")
        for due, late, case, item in items:
            about = f"{item.rule} ({item.subject})" if item.subject else item.rule
            out.append(f"  {due:<{due_w}}  {late:<{late_w}}  {case:<{case_w}}  {terminal(about)}")
    elif summary.overdue_total:
        out.append("  (not listed: --overdue-limit is 0)")
    else:
        out.append("  Nothing is overdue.")
    if summary.malformed:
        out += ["", _malformed_text(summary)]
    # Every value above is escaped already; this is the last guard for any that is not.
    return "\n".join(terminal(line) for line in out) + "\n"


def _malformed_text(summary: Summary) -> str:
    shown = ", ".join(str(n) for n in summary.malformed_lines)
    more = ", ..." if summary.malformed > len(summary.malformed_lines) else ""
    if summary.malformed == 1:
        return f"1 malformed line was skipped (line {shown})."
    return f"{_n(summary.malformed)} malformed lines were skipped (lines {shown}{more})."


def render_markdown(summary: Summary) -> str:
    """The same report as Markdown tables."""
    out = ["# Caseload compliance report", "", *_headline(summary, markdown_text)]

    initial, *reviews = census_rows(summary)[1]
    _, rule, held, on_time, _, percent, not_yet_held, overdue = initial
    out += [
        "",
        "## Children in Need census timeliness",
        "",
        f"Initial conferences within 15 working days of the strategy discussion (`{rule}`): "
        f"{_n(on_time)} of {_n(held)} held on time ({_percent_text(percent)}); {_n(not_yet_held)} not yet held, "
        f"{_n(overdue)} of them overdue.",
        "",
        "| working days from the strategy discussion to the conference | conferences | share |",
        "| --- | ---: | ---: |",
    ]
    out += [f"| {label} | {_n(n)} | {_percent_text(p)} |" for label, n, p in band_rows(summary)[1]]
    out += [
        "",
        "| reviews | held on time | held | on time | overdue |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, rule, held, on_time, _, percent, _, overdue in (reviews[-1], *reviews[:-1]):
        about = f"{name} (`{rule}`)" if rule else name
        out.append(f"| {about} | {_n(on_time)} | {_n(held)} | {_percent_text(percent)} | {_n(overdue)} |")
    out += ["", "Child protection plans:", ""]
    out += [f"- {line}" for line in _plan_lines(summary, markdown_text)]

    if summary.groups:
        header, rows = _group_table(summary, markdown_text)
        out += [
            "",
            f"## By {summary.by}",
            "",
            "Overdue: on the evaluation date; deadlines: due in the period.",
            "",
            "| " + " | ".join(header) + " |",
            "| --- |" + " ---: |" * 4,
        ]
        out += ["| " + " | ".join(cells) + " |" for cells in rows]

    for kind in KINDS:
        _, rules = kind_rows(summary, kind)
        if not rules:
            continue
        heading, rate_label, rate_formula = KIND_HEADINGS[kind]
        statuses = STATUSES[kind]
        out += ["", f"## {heading}", ""]
        if rate_label:
            out += [f"*{rate_label}* = {rate_formula}.", ""]
        last = rate_label or "cases"
        out.append("| rule | title | " + " | ".join(STATUS_LABELS[s] for s in statuses) + f" | {last} |")
        out.append("| --- | --- | " + " | ".join("---:" for _ in statuses) + " | ---: |")
        for rule, title, *counts, tail in rules:
            cells = " | ".join(_n(n) for n in counts)
            tail = _percent_text(tail) if rate_label else _n(tail)
            out.append(f"| {markdown_code(rule, table=True)} | {markdown_text(title)} | {cells} | {tail} |")

    if summary.coverage:
        out += ["", f"## {_coverage_heading(summary)}", "", "| rule | results | not recorded |", "| --- | ---: | --- |"]
        for rule, _, n, names in coverage_rows(summary)[1]:
            out.append(f"| {markdown_code(rule, table=True)} | {_n(n)} | {markdown_text(names)} |")

    out += ["", f"## {_overdue_heading(summary)}", ""]
    if summary.overdue:
        out += ["| due | late | case | rule | subject |", "| --- | --- | --- | --- | --- |"]
        for item in summary.overdue:
            cells = (
                markdown_text(item.due),
                markdown_text(item.late),
                markdown_text(item.case),
                markdown_code(item.rule, table=True),
                markdown_text(item.subject or ""),
            )
            out.append(f"| {' | '.join(cells)} |")
    elif summary.overdue_total:
        out.append("Not listed: `--overdue-limit` is 0.")
    else:
        out.append("Nothing is overdue.")
    if summary.malformed:
        out += ["", _malformed_text(summary)]
    return "\n".join(out) + "\n"


def _csv(table: tuple[list[str], list[list]]) -> str:
    header, rows = table
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else f"{v:.1f}" if isinstance(v, float) else v for v in row])
    return buffer.getvalue()


def render_csv(summary: Summary) -> str:
    """One row per rule and status (see :data:`CSV_HELP`)."""
    return _csv(rule_rows(summary))


def render_overdue_csv(summary: Summary) -> str:
    """The overdue items, earliest due first (see :data:`CSV_HELP`)."""
    return _csv(overdue_rows(summary))


def _timeliness_dict(t: Timeliness) -> dict:
    return {
        "rule": t.rule,
        "held": t.held,
        "met": t.met,
        "missed": t.missed,
        "pending": t.pending,
        "overdue": t.overdue,
        "on_time_percent": _percent_number(t.rate),
    }


def to_dict(summary: Summary) -> dict:
    """The summary as JSON-able data, in a fixed key order."""
    census = summary.census
    reviews = _timeliness_dict(census.reviews)
    del reviews["rule"]
    return {
        "cases": summary.cases,
        "cases_needing_attention": summary.cases_needing_attention,
        "cases_with_overdue": summary.cases_with_overdue,
        "repeated_case_records": {"total": summary.repeated, "lines": list(summary.repeated_lines)},
        "results": summary.results,
        "evaluated_under": [
            {"area": r.area, "policy_version": r.policy_version, "as_of": r.as_of, "cases": r.cases}
            for r in summary.runs
        ],
        "error_records": summary.error_records,
        "errors_by_code": dict(summary.errors_by_code),
        "malformed_lines": {"count": summary.malformed, "first": list(summary.malformed_lines)},
        "period": None
        if summary.period is None
        else {
            "start": summary.period.start.isoformat(),
            "end": summary.period.end.isoformat(),
            "given": summary.period_given,
        },
        "plans": {
            "started": summary.plans.started,
            "started_by_category": dict(summary.plans.started_by_category),
            "second_or_later": summary.plans.repeat,
            "earlier_plans_not_recorded": summary.plans.repeat_unknown,
            "ended": summary.plans.ended,
            "ended_after_two_years_or_more": summary.plans.ended_after_two_years,
            "ended_after_three_months_or_more": summary.plans.ended_after_three_months,
            "every_review_on_time": summary.plans.reviews_all_on_time,
        },
        "months": [{"month": month, **dict(counts)} for month, counts in summary.months],
        "by": summary.by,
        "groups": [
            {
                "name": g.name,
                "cases": g.cases,
                "cases_with_overdue": g.cases_with_overdue,
                "overdue": g.overdue,
                "deadlines_met": g.deadlines_met,
                "deadlines_due": g.deadlines_due,
            }
            for g in summary.groups
        ],
        "census": {
            "initial_conferences": {
                **_timeliness_dict(census.initial),
                "working_days": dict(census.buckets),
            },
            "reviews": {
                **reviews,
                "first_review": _timeliness_dict(census.first_review),
                "later_reviews": _timeliness_dict(census.review_interval),
            },
        },
        "rules": [
            {
                "rule": r.rule,
                "title": r.title,
                "kind": r.kind,
                "counts": dict(r.counts),
                "results": r.total,
                "cases": r.cases,
                "met_percent": _percent_number(r.met_rate),
            }
            for r in summary.rules
        ],
        "not_recorded": [
            {"not_recorded": names.split(", "), "rule": rule, "results": n}
            for names, found in summary.coverage
            for rule, n in found
        ],
        "overdue": {
            "total": summary.overdue_total,
            # --all lists every item: no limit.
            "limit": None if summary.overdue_limit == sys.maxsize else summary.overdue_limit,
            "items": [
                {
                    "due": item.due,
                    "late": None if item.late_amount is None else {"amount": item.late_amount, "unit": item.late_unit},
                    "days_late": item.days_late,
                    "first": item.tier == 0,
                    "case": item.case,
                    "rule": item.rule,
                    "subject": item.subject,
                }
                for item in summary.overdue
            ],
        },
    }


def render_json(summary: Summary) -> str:
    """The summary as one indented JSON document (see :func:`to_dict`)."""
    return json.dumps(to_dict(summary), indent=2, ensure_ascii=False) + "\n"


def render_months_csv(summary: Summary) -> str:
    """One row per month of the period, for a chart or Power BI (see :data:`CSV_HELP`)."""
    return _csv(month_rows(summary))


__all__ = [
    "CSV_HELP",
    "FORMATS",
    "to_dict",
]
