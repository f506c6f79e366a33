"""`cpc report --format html`: the caseload report as one self-contained page a manager would rather look at.

No script and nothing fetched: the charts are SVG written here, each with a text alternative and the table of
its numbers beside it, so that the page prints, is read by a screen reader, and opens where the network is
closed. Every value from the results is HTML-escaped.
"""

from __future__ import annotations

import html

from .summary import Summary, to_dict

__all__ = ["render_html"]

_STATUS_COLOURS = (
    ("due_met", "met", "#1d7044"),
    ("due_missed", "missed", "#b3261e"),
    ("due_overdue", "overdue", "#e07b00"),
    ("due_pending", "pending", "#5b7fb8"),
    ("due_not_assessable", "not assessable", "#8a8a8a"),
)

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; max-width: 60rem; margin: 2rem auto;
  padding: 0 1rem; color: #1b1b1b; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid #ddd; }
.lede { color: #444; margin-top: 0; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; padding: 0; list-style: none; }
.figures li { border: 1px solid #ccc; border-radius: 6px; padding: .6rem 1rem; min-width: 11rem; }
.figures strong { display: block; font-size: 1.6rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1rem; font-size: .92rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.bar { display: inline-block; height: .7rem; background: #1d7044; vertical-align: middle; }
.legend span { display: inline-block; margin-right: 1rem; }
.legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: middle; }
svg { max-width: 100%; height: auto; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
"""


def _h(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _n(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else _h(value)


def _pct(value: object) -> str:
    return "&ndash;" if value is None else f"{value:.1f}%"


def _table(caption: str, header: list[str], rows: list[list[str]], numeric: set[int]) -> list[str]:
    out = ["<table>", f"<caption>{caption}</caption>", "<thead><tr>"]
    out += [f'<th scope="col"{" class=n" if i in numeric else ""}>{h}</th>' for i, h in enumerate(header)]
    out.append("</tr></thead><tbody>")
    for row in rows:
        cells = [f"<td{' class=n' if i in numeric else ''}>{cell}</td>" for i, cell in enumerate(row)]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return out


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TICKS = tuple(m * 10**e for e in range(9) for m in (1, 2, 5))


def _month_chart(months: list[dict]) -> list[str]:
    """Deadlines due each month, a stacked bar by status: the month-by-month trend of timeliness."""
    if not months:
        return ["<p>No deadline fell due in the period.</p>"]
    width, height, left, bottom = 720, 260, 48, 40
    top = max(sum(m[key] for key, _, _ in _STATUS_COLOURS) for m in months) or 1
    step = (width - left - 10) / len(months)
    bar = step * 0.7
    label = "Deadlines due each month by status: " + "; ".join(
        f"{m['month']}: " + ", ".join(f"{m[key]} {name}" for key, name, _ in _STATUS_COLOURS if m[key]) for m in months
    )
    out = [
        f'<svg role="img" aria-labelledby="trend-title" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="trend-title">{_h(label)}</title>',
    ]
    scale = (height - bottom - 10) / top
    # Grid lines at a round step, at most five of them, so that a bar's height can be read off the axis.
    tick = next(t for t in _TICKS if top / t <= 5)
    for value in range(0, top + 1, tick):
        y = height - bottom - value * scale
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 5}" y2="{y:.1f}" stroke="#d0d3d6"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{value:,}</text>')
    for i, month in enumerate(months):
        x = left + i * step + (step - bar) / 2
        y = height - bottom
        for key, name, colour in _STATUS_COLOURS:
            size = month[key] * scale
            if size > 0:
                y -= size
                out.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{size:.1f}" fill="{colour}">'
                    f"<title>{_h(month['month'])}: {month[key]:,} {name}</title></rect>"
                )
        # "Apr", with the year beneath the first month and each January: a reader scans months, not ISO dates.
        year, number = str(month["month"]).split("-")[:2]
        centre = x + bar / 2
        out.append(
            f'<text x="{centre:.1f}" y="{height - bottom + 16}" font-size="11" text-anchor="middle">'
            f"{_h(_MONTHS[int(number) - 1] if number.isdigit() and 1 <= int(number) <= 12 else number)}</text>"
        )
        if i == 0 or number == "01":
            out.append(
                f'<text x="{centre:.1f}" y="{height - bottom + 30}" font-size="11" text-anchor="middle">'
                f"{_h(year)}</text>"
            )
    out.append("</svg>")
    legend = "".join(f'<span><i style="background:{c}"></i>{n}</span>' for _, n, c in _STATUS_COLOURS)
    out.append(f'<p class="legend" aria-hidden="true">{legend}</p>')
    return out


def _bar(percent: object) -> str:
    if not isinstance(percent, int | float):
        return ""
    return f'<span class="bar" style="width:{max(percent, 0) * 0.8:.0f}px" aria-hidden="true"></span> '


def render_html(summary: Summary) -> str:
    """The report as an HTML page."""
    data = to_dict(summary)
    runs = "; ".join(
        f"{_h(r['area'])} policy {_h(r['policy_version'])} as of {_h(r['as_of'])}" for r in data["evaluated_under"]
    )
    period = data["period"]
    span = f"{_h(period['start'])} to {_h(period['end'])}" if period else "all dates"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Caseload compliance report</title>",
        f"<style>{_STYLE}</style></head>",
        "<body><main>",
        "<h1>Caseload compliance report</h1>",
        f'<p class="lede">{_n(data["cases"])} cases evaluated under {runs or "no policy"}. Counts are of what fell '
        f"due from {span}; the overdue list is everything overdue on the evaluation date.</p>",
        '<ul class="figures">',
        f"<li><strong>{_n(data['cases'])}</strong>cases</li>",
        f"<li><strong>{_n(data['cases_with_overdue'])}</strong>with something overdue (late, still to be done)</li>",
        f"<li><strong>{_n(data['cases_needing_attention'])}</strong>with something overdue, breached or missed</li>",
        f"<li><strong>{_n(data['error_records'])}</strong>error records</li>",
        "</ul>",
    ]
    census = data["census"]
    initial, reviews = census["initial_conferences"], census["reviews"]
    out.append("<h2>Children in Need census timeliness</h2>")
    rows = [
        ["Initial conferences within 15 working days of the strategy discussion", initial],
        ["First reviews on time", reviews["first_review"]],
        ["Later reviews on time", reviews["later_reviews"]],
        ["All reviews on time", reviews],
    ]
    out += _table(
        "Held in the period, and on time",
        ["measure", "held", "on time", "late", "on time %", "not yet held", "of them overdue"],
        [
            [
                _h(name),
                _n(m["held"]),
                _n(m["met"]),
                _n(m["missed"]),
                _bar(m["on_time_percent"]) + _pct(m["on_time_percent"]),
                _n(m["pending"] + m["overdue"]),
                _n(m["overdue"]),
            ]
            for name, m in rows
        ],
        {1, 2, 3, 4, 5, 6},
    )
    bands = initial.get("working_days", {})
    out += _table(
        "Initial conferences by working days from the strategy discussion",
        ["working days", "conferences"],
        [[_h(band), _n(n)] for band, n in bands.items()],
        {1},
    )
    out.append("<h2>Month by month</h2>")
    out += _month_chart(data["months"])
    out += _table(
        "Deadlines due each month, by status",
        ["month", *(name for _, name, _ in _STATUS_COLOURS)],
        [[_h(m["month"]), *(_n(m[key]) for key, _, _ in _STATUS_COLOURS)] for m in data["months"]],
        {1, 2, 3, 4, 5},
    )
    out.append("<h2>Compliance by rule</h2>")
    out += _table(
        "Each rule's results in the period; met % of those that fell due (deadlines) or could be assessed",
        ["rule", "what it requires", "met", "missed or breached", "overdue", "pending", "not assessable", "met %"],
        [
            [
                f"<code>{_h(r['rule'])}</code>",
                _h(r["title"]),
                _n(r["counts"].get("met", 0)),
                _n(r["counts"].get("missed", 0) + r["counts"].get("breached", 0)),
                _n(r["counts"].get("overdue", 0)),
                _n(r["counts"].get("pending", 0)),
                _n(r["counts"].get("not_assessable", 0)),
                _bar(r["met_percent"]) + _pct(r["met_percent"]),
            ]
            for r in data["rules"]
            if r["kind"] != "decision"
        ],
        {2, 3, 4, 5, 6, 7},
    )
    overdue = data["overdue"]
    out.append("<h2>Overdue work</h2>")
    shown = len(overdue["items"])
    out.append(
        f"<p>{_n(overdue['total'])} items overdue on the evaluation date"
        + (f"; the {shown:,} due earliest are listed (--all lists every one)" if shown < overdue["total"] else "")
        + ". An open plan's work and conferences still to hold come first.</p>"
    )
    out += _table(
        "Overdue items, earliest due first",
        ["due", "late", "case", "rule", "subject"],
        [
            [
                _h(i["due"]),
                _h(f"{i['days_late']:,} days" if i.get("days_late") is not None else ""),
                _h(i["case"]),
                f"<code>{_h(i['rule'])}</code>",
                _h(i.get("subject") or ""),
            ]
            for i in overdue["items"]
        ],
        set(),
    )
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"
