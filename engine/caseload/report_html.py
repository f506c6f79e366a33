"""`cpc report --format html`: the caseload report as one self-contained page a manager would rather look at.

It says everything the text report says, in the same order: the headline figures, the census measures (initial
conferences, reviews, the plans), the table by team or worker, per-rule compliance (deadlines, requirements and
directions, each its own table), what this data cannot assess, and the overdue list; and between the census and
the rules, month by month, what fell due and the conferences and reviews held. Each part is drawn from the same
typed rows as the other formats (:mod:`engine.caseload.report_rows`), so no part can be left out of one and not another.

No script and nothing fetched: the charts are SVG written here, each with a text alternative and the table of
its numbers beneath it, so that the page prints, is read by a screen reader, and opens where the network is
closed. It is written for the managers who read it: no command-line options, rules named by their titles with
the id beneath. Every value from the results is HTML-escaped.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence

from engine.caseload.report_rows import (
    KIND_HEADINGS,
    STATUS_LABELS,
    band_rows,
    census_rows,
    coverage_rows,
    group_rows,
    headline_rows,
    kind_rows,
    month_rows,
    plan_rows,
)
from engine.caseload.results_lines import STATUSES
from engine.caseload.summary import Summary

__all__ = ["render_html"]

# A series of a chart: its column in the month rows, its name in the legend, its colour.
Series = tuple[str, str, str]

_STATUS_COLOURS: tuple[Series, ...] = (
    ("due_met", "met", "#1d7044"),
    ("due_missed", "missed", "#b3261e"),
    ("due_overdue", "overdue", "#e07b00"),
    ("due_pending", "pending", "#5b7fb8"),
    ("due_not_assessable", "not assessable", "#8a8a8a"),
)
# Two bars a month: initial conferences, then reviews, each stacked on time then late.
_HELD_COLOURS: tuple[tuple[Series, ...], ...] = (
    (("icpc_on_time", "initial conferences on time", "#1d7044"), ("icpc_late", "initial conferences late", "#b3261e")),
    (("reviews_on_time", "reviews on time", "#2b5c9e"), ("reviews_late", "reviews late", "#e07b00")),
)

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; max-width: 64rem; margin: 2rem auto;
  padding: 0 1rem; color: #1b1b1b; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid #ddd; }
h3 { margin-top: 1.6rem; }
.lede { color: #444; margin-top: 0; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; padding: 0; list-style: none; }
.figures li { border: 1px solid #ccc; border-radius: 6px; padding: .6rem 1rem; flex: 1 1 0; min-width: 10rem; }
.figures strong { display: block; font-size: 1.6rem; }
.figures .share { display: block; color: #444; font-size: .9rem; margin-top: .2rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1rem; font-size: .92rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top; }
thead th { vertical-align: bottom; }
th[scope=row] { font-weight: normal; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; padding-left: .35rem; padding-right: .35rem; }
th.n { font-size: .85rem; }
td.n, td.k, th[scope=row] time { white-space: nowrap; }
colgroup + colgroup { border-left: 1px solid #ccc; }
table.named th[scope=row] { width: 50%; }
th.group { text-align: center; border-bottom: 1px solid #999; }
.id { display: block; font-size: .8rem; color: #4a4a4a; white-space: nowrap; }
.bar { display: inline-block; height: .7rem; background: #1d7044; vertical-align: middle; }
.legend span { display: inline-block; margin-right: 1rem; }
.legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: middle; }
figure { margin: 1.2rem 0; } figcaption { font-weight: 600; margin-bottom: .3rem; }
svg.chart { display: block; width: 100%; max-width: 62rem; height: auto; }
@media (max-width: 40rem) { .id, td.k { white-space: normal; } }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
"""


def _h(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _n(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else _h(value)


def _pct(value: object) -> str:
    return "&ndash;" if value is None else f"{value:.1f}%"


def _share(percent: object) -> str:
    """A percent with a bar as long as it, the bar hidden from a screen reader (the number says it)."""
    if not isinstance(percent, int | float):
        return _pct(None)
    return f'<span class="bar" style="width:{max(percent, 0) * 0.4:.0f}px" aria-hidden="true"></span> {_pct(percent)}'


def _named(title: object, rule: object) -> str:
    """A rule as a reader knows it: its title, with its id beneath, small, kept whole on one line."""
    if not title:
        return f'<code class="id">{_h(rule)}</code>'
    return f'{_h(title)} <code class="id">{_h(rule)}</code>' if rule else _h(title)


def _table(
    caption: str,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: set[int],
    *,
    groups: Sequence[tuple[str, int]] = (),
    named: bool = False,
    whole: frozenset[int] = frozenset(),
) -> list[str]:
    """A table whose first cell in each row heads it; ``numeric`` are the columns of numbers, set right.

    ``groups`` heads the columns after the first in groups, (heading, how many columns) each, above their own
    headings. ``named`` gives the first column, a rule's title and id, half the width, so a title wraps little;
    ``whole`` are the columns of ids and dates, kept on one line (but on a narrow screen)."""
    out = [f"<table{' class=named' if named else ''}>", f"<caption>{caption}</caption>"]
    if groups:
        out.append("<colgroup><col></colgroup>" + "".join(f'<colgroup span="{n}"></colgroup>' for _, n in groups))
        out.append(f'<thead><tr><th scope="col" rowspan="2">{header[0]}</th>')
        out += [f'<th scope="colgroup" colspan="{n}" class=group>{h}</th>' for h, n in groups]
        out.append("</tr><tr>")
        out += [f'<th scope="col"{" class=n" if i in numeric else ""}>{h}</th>' for i, h in enumerate(header) if i]
    else:
        out.append("<thead><tr>")
        out += [f'<th scope="col"{" class=n" if i in numeric else ""}>{h}</th>' for i, h in enumerate(header)]
    out.append("</tr></thead><tbody>")
    for row in rows:
        first, *rest = row
        cells = [f'<th scope="row">{first}</th>']
        cells += [
            f"<td{' class=n' if i in numeric else ' class=k' if i in whole else ''}>{cell}</td>"
            for i, cell in enumerate(rest, 1)
        ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return out


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TICKS = tuple(m * 10**e for e in range(9) for m in (1, 2, 5))
# The chart's own units; the SVG scales to the width of the page, text and all.
_WIDTH, _HEIGHT, _LEFT, _BOTTOM = 720, 260, 48, 40
# A month's name at font size 11 is about 20 units wide: labels at least this far apart do not touch.
_LABEL_SPACE = 30


def _month_name(month: str) -> str:
    """``Apr 2025`` for ``2025-04`` (the months are the period's, always ``YYYY-MM``)."""
    year, number = month.split("-")
    return f"{_MONTHS[int(number) - 1]} {year}"


def _label_every(step: float) -> int:
    """How many months apart the axis labels are: every month when there is room, else every 2, 3, 4, 6 or
    12 (a divisor of 12, so that every January is labelled and carries its year)."""
    return next((n for n in (1, 2, 3, 4, 6) if step * n >= _LABEL_SPACE), 12)


def _chart(ident: str, title: str, months: list[dict], stacks: Sequence[Sequence[Series]], label: str) -> list[str]:
    """A figure of a bar chart of ``months`` headed ``title``: for each month one bar per stack, side by side,
    each stacked by its series. ``label`` is its text alternative."""
    width, height, left, bottom = _WIDTH, _HEIGHT, _LEFT, _BOTTOM
    top = max(sum(m[key] for key, _, _ in stack) for m in months for stack in stacks) or 1
    step = (width - left - 10) / len(months)
    bar = step * 0.7 / len(stacks)
    out = [
        "<figure>",
        f"<figcaption>{_h(title)}</figcaption>",
        f'<svg class="chart" role="img" aria-labelledby="{ident}-title" viewBox="0 0 {width} {height}" '
        'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-title">{_h(label)}</title>',
    ]
    scale = (height - bottom - 10) / top
    # Grid lines at a round step, at most five of them, so that a bar's height can be read off the axis.
    tick = next(t for t in _TICKS if top / t <= 5)
    for value in range(0, top + 1, tick):
        y = height - bottom - value * scale
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 5}" y2="{y:.1f}" stroke="#d0d3d6"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{value:,}</text>')
    every = _label_every(step)
    labelled = 0
    for i, month in enumerate(months):
        start = left + i * step + step * 0.15
        for s, stack in enumerate(stacks):
            x, y = start + s * bar, height - bottom
            for key, name, colour in stack:
                size = month[key] * scale
                if size > 0:
                    y -= size
                    out.append(
                        f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar * 0.92:.1f}" height="{size:.1f}" fill="{colour}">'
                        f"<title>{_h(_month_name(month['month']))}: {month[key]:,} {name}</title></rect>"
                    )
        # "Apr", with the year beneath the first month labelled and each January: a reader scans months, not
        # ISO dates. Crowded, only every few months are labelled, Januaries always among them.
        year, number = month["month"].split("-")
        if (int(number) - 1) % every:
            continue
        centre = left + i * step + step / 2
        out.append(
            f'<text x="{centre:.1f}" y="{height - bottom + 16}" font-size="11" text-anchor="middle">'
            f"{_MONTHS[int(number) - 1]}</text>"
        )
        if labelled == 0 or number == "01":
            out.append(
                f'<text x="{centre:.1f}" y="{height - bottom + 30}" font-size="11" text-anchor="middle">{year}</text>'
            )
        labelled += 1
    out.append("</svg>")
    legend = "".join(f'<span><i style="background:{c}"></i>{n}</span>' for stack in stacks for _, n, c in stack)
    out.append(f'<p class="legend" aria-hidden="true">{legend}</p>')
    out.append("</figure>")
    return out


def _chart_label(title: str, months: list[dict], series: Sequence[Series]) -> str:
    """The text alternative of a chart: its title, then each month's numbers."""
    return (
        f"{title}: "
        + "; ".join(
            f"{_month_name(m['month'])}: "
            + (", ".join(f"{m[key]:,} {name}" for key, name, _ in series if m[key]) or "none")
            for m in months
        )
        + "."
    )


def _long_date(day: dt.date) -> str:
    return f'<time datetime="{day.isoformat()}">{day.day} {day:%B %Y}</time>'


def _headline(summary: Summary) -> list[str]:
    if len(summary.runs) == 1:
        run = summary.runs[0]
        runs = f"{_h(run.area)} policy {_h(run.policy_version)} as of {_h(run.as_of)}"
    else:
        runs = "; ".join(
            f"{_h(r.area)} policy {_h(r.policy_version)} as of {_h(r.as_of)} ({_n(r.cases)} cases)"
            for r in summary.runs
        )
    span = ""
    if summary.period is not None:
        why = "" if summary.period_given else " (the census year of the evaluation date)"
        span = f"from {_long_date(summary.period.start)} to {_long_date(summary.period.end)}{why}"
    if not summary.runs:
        lede = "No cases were evaluated." + (f" The period is {span}." if span else "")
    else:
        cases = "1 case" if summary.cases == 1 else f"{_n(summary.cases)} cases"
        lede = (
            f"{cases} evaluated under {runs}. Counts are of what fell due {span}; the overdue list is everything "
            "overdue on the evaluation date."
        )
    out = [f'<p class="lede">{lede}</p>', '<ul class="figures">']
    labels = ("cases evaluated", "with something overdue: late, and still to be done")
    labels += ("with something overdue or missed that fell due in the period, or a requirement breached",)
    labels += ("could not be evaluated (error records)",)
    _, rows = headline_rows(summary)
    for label, (_, count, percent) in zip(labels, rows, strict=False):
        share = "" if percent is None else f'<span class="share">{_pct(percent)} of the cases</span>'
        # Spaces between the parts, which are blocks on screen: a reader copying the text gets words.
        out.append(f"<li><strong>{_n(count)}</strong> {_h(label)} {share}</li>".replace(" </li>", "</li>"))
    out.append("</ul>")
    notes = []
    if summary.errors_by_code:
        codes = ", ".join(f"{_h(code)} {_n(n)}" for code, n in summary.errors_by_code)
        notes.append(f"Error records by code: {codes}.")
    if summary.repeated:
        one = summary.repeated == 1
        notes.append(
            f"{_n(summary.repeated)} {'record repeats' if one else 'records repeat'} a case id already counted: each "
            "child is counted once, from the first record of its id."
        )
    if notes:
        out.append(f"<p>{' '.join(notes)}</p>")
    return out


def _census(summary: Summary) -> list[str]:
    out = ["<h2>Children in Need census timeliness</h2>"]
    _, rows = census_rows(summary)
    out += _table(
        "Initial conferences and reviews held in the period, and on time (a review missed because the plan ended "
        "first was never held)",
        ["measure", "held", "on time", "late", "on time %", "not yet held", "of them overdue"],
        [
            [_named(name, rule), _n(held), _n(on_time), _n(late), _share(percent), _n(not_yet), _n(overdue)]
            for name, rule, held, on_time, late, percent, not_yet, overdue in rows
        ],
        {1, 2, 3, 4, 5, 6},
        named=True,
    )
    _, bands = band_rows(summary)
    out += _table(
        "Initial conferences by working days from the strategy discussion to the conference",
        ["working days", "conferences", "share"],
        [[_h(band), _n(n), _share(percent)] for band, n, percent in bands],
        {1, 2},
    )
    _, plans = plan_rows(summary)
    out.append("<h3>Child protection plans</h3>")
    out += _table(
        "Plans started and ended in the period",
        ["measure", "plans", "of", "share"],
        [
            [_h(name), _n(n), "" if of is None else _n(of), _pct(p) if of is not None else ""]
            for name, n, of, p in plans
        ],
        {1, 2, 3},
    )
    return out


def _groups(summary: Summary) -> list[str]:
    header, rows = group_rows(summary)
    return [
        f"<h2>By {_h(summary.by)}</h2>",
        *_table(
            f"Per {_h(summary.by)}: overdue on the evaluation date; deadlines due in the period",
            [_h(summary.by), "cases", "with something overdue", "overdue items", *_GROUP_DEADLINES],
            [[_h(name), *(_n(v) for v in counts), _share(percent)] for name, *counts, percent in rows],
            set(range(1, len(header))),
        ),
    ]


def _months(summary: Summary) -> list[str]:
    out = ["<h2>Month by month</h2>"]
    header, rows = month_rows(summary)
    months = [dict(zip(header, row, strict=True)) for row in rows]
    if not months:
        # The period is the census year of the first evaluation's date: with none, and no --period, there is none.
        return [*out, "<p>Nothing was evaluated, so there is no period to show month by month.</p>"]

    def month_cell(m: dict) -> str:
        return f'<time datetime="{m["month"]}">{_month_name(m["month"])}</time>'

    due_title = "Deadlines due each month, by status"
    if any(m[key] for m in months for key, _, _ in _STATUS_COLOURS):
        label = _chart_label(due_title, months, _STATUS_COLOURS)
        out += _chart("due", due_title, months, [_STATUS_COLOURS], label)
    else:
        out.append("<p>No deadline fell due in the period.</p>")
    held = [series for stack in _HELD_COLOURS for series in stack]
    held_title = "Initial conferences and reviews held each month, on time and late"
    if any(m[key] for m in months for key, _, _ in held):
        out += _chart("held", held_title, months, _HELD_COLOURS, _chart_label(held_title, months, held))
    else:
        out.append("<p>No initial conference or review was held in the period.</p>")
    # The numbers of both charts, a row a month, the columns grouped under what they count.
    columns = [*_STATUS_COLOURS, *held]
    out += _table(
        "Each month: the deadlines due, by status, and the initial conferences and reviews held, on time and late",
        ["month", *(name for _, name, _ in _STATUS_COLOURS), "on time", "late", "on time", "late"],
        [[month_cell(m), *(_n(m[key]) for key, _, _ in columns)] for m in months],
        set(range(1, len(columns) + 1)),
        groups=[("deadlines due", len(_STATUS_COLOURS)), ("initial conferences held", 2), ("reviews held", 2)],
    )
    return out


_GROUP_DEADLINES = ("deadlines met", "deadlines due", "met of those due")
_KIND_NAMES = {"deadline": "deadline", "requirement": "requirement", "decision": "direction"}


def _rules(summary: Summary) -> list[str]:
    out = ["<h2>Compliance by rule</h2>"]
    for kind, statuses in STATUSES.items():
        _, rows = kind_rows(summary, kind)
        if not rows:
            continue
        heading, rate_label, formula = KIND_HEADINGS[kind]
        caption = f"{heading}: {rate_label} = {formula}" if rate_label else f"{heading}, and the cases they applied to"
        last = rate_label or "cases"
        out += _table(
            _h(caption),
            [_KIND_NAMES[kind], *(STATUS_LABELS[s] for s in statuses), last],
            [
                [_named(title, rule), *(_n(n) for n in counts), _share(tail) if rate_label else _n(tail)]
                for rule, title, *counts, tail in rows
            ],
            set(range(1, len(statuses) + 2)),
            named=len(statuses) > 1,
        )
    return out


def _coverage(summary: Summary) -> list[str]:
    _, rows = coverage_rows(summary)
    rules, results = len({row[0] for row in rows}), sum(row[2] for row in rows)
    return [
        "<h2>Not assessable from this data</h2>",
        f"<p>{_n(rules)} rule{'s' if rules != 1 else ''} ({_n(results)} results) could not be assessed, because the "
        "cases' source does not record the events or facts they need. They are neither met nor late: the data "
        "says nothing either way.</p>",
        *_table(
            "The rules not assessable, and what the source does not record",
            ["rule", "results", "not recorded"],
            [
                [_named(title, rule), _n(n), ", ".join(f"<code>{_h(name)}</code>" for name in names.split(", "))]
                for rule, title, n, names in rows
            ],
            {1},
        ),
    ]


def _overdue(summary: Summary) -> list[str]:
    total, shown = summary.overdue_total, len(summary.overdue)
    out = ["<h2>Overdue work</h2>"]
    if not total:
        return [*out, "<p>Nothing is overdue on the evaluation date.</p>"]
    listed = ""
    if shown < total:
        # Said to a manager in words: the options that list more are for whoever runs the report.
        listed = (
            f" The first {_n(shown)}, open plans' work first and the earliest due first within each, are listed "
            f"here; the other {_n(total - shown)} are counted but not listed."
            if shown
            else " None is listed here."
        )
    one = total == 1
    out.append(
        f"<p>{_n(total)} {'item is' if one else 'items are'} overdue on the evaluation date: late, and still to be "
        f"done.{listed} An open plan's work and conferences still to hold come first, then the rest; the earliest "
        "due first within each. How late is in calendar days, with the rule's own count beside it where it counts "
        "working days or hours.</p>"
    )
    if not shown:
        return out
    titles = {r.rule: r.title for r in summary.rules if r.kind == "deadline"}
    by = [_h(summary.by)] if summary.by else []
    out += _table(
        "Overdue items, earliest due first",
        ["due", "late", "case", "what is overdue", "for", *by],
        [
            [
                f'<time datetime="{_h(item.due_day.isoformat())}">{_h(item.due)}</time>',
                _h(item.late),
                _h(item.case),
                _named(titles.get(item.rule, ""), item.rule),
                _h(item.subject or ""),
                *([_h(item.group)] if by else []),
            ]
            for item in summary.overdue
        ],
        set(),
        whole=frozenset({1, 2, 4, 5}),
    )
    return out


def render_html(summary: Summary) -> str:
    """The report as an HTML page."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Caseload compliance report</title>",
        f"<style>{_STYLE}</style></head>",
        "<body><main>",
        "<h1>Caseload compliance report</h1>",
        *_headline(summary),
        *_census(summary),
        *(_groups(summary) if summary.by else []),
        *_months(summary),
        *_rules(summary),
        *(_coverage(summary) if summary.coverage else []),
        *_overdue(summary),
    ]
    if summary.malformed:
        lines = ", ".join(str(n) for n in summary.malformed_lines)
        more = ", …" if summary.malformed > len(summary.malformed_lines) else ""
        one = summary.malformed == 1
        out.append(
            f"<p>{_n(summary.malformed)} {'line' if one else 'lines'} of the results could not be read and "
            f"{'was' if one else 'were'} left out ({'line' if one else 'lines'} {lines}{more}).</p>"
        )
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"
