"""`cpc compare`'s output: a :class:`compare.Comparison` as Markdown, text, CSV, HTML or JSON.

Each format shows the same rows, cells and legend in the words of :mod:`compare_words`; :func:`render` picks
one of :data:`FORMATS`.
"""

from __future__ import annotations

import html
import io
import json
import textwrap

from engine.core.safe_text import CsvWriter, markdown_code, markdown_text, terminal
from engine.review.compare import Cell, Column, CompareError, Comparison, Row
from engine.review.compare_words import _SAYS, _about, _intro, _nothing, _title, cell_text, legend, note

FORMATS = ("markdown", "text", "csv", "html", "json")


# --- Markdown ---------------------------------------------------------------------------------------------


def _md(text: str) -> str:
    return markdown_text(text)


def _md_cell(cell: Cell, column: Column, comparison: Comparison) -> str:
    if cell.status in ("absent", "withdrawn"):
        return _md(cell_text(cell, column, comparison))
    value = f"**{_md(cell.text)}**" if cell.strictest else _md(cell.text)
    match cell.status:
        case "inherited":
            return f"*{value} (from {_md(comparison.name(cell.source))})*"
        case "restated":
            return f"{value} (restated)"
        case "overridden":
            return f"{value} (changed)"
    return value


def render_markdown(comparison: Comparison) -> str:
    """A table per topic, the strictest value in bold, inherited values in italics with their source area."""
    labels = [c.label for c in comparison.columns]
    out = [f"# {_md(_title(comparison))}", "", _md(_intro(comparison)), ""]
    for column in comparison.columns:
        area = f" ({markdown_code(column.area)})" if column.label != column.area else ""
        out.append(f"- **{_md(column.label)}**{area}: {_md(_about(column, comparison))}")
    out.append("")
    if terms := legend(comparison):
        out += ["Legend:", "", *(f"- {term.markdown}: {_md(term.meaning)}" for term in terms), ""]
    if not comparison.rows:
        out += [_md(_nothing(comparison)), ""]
    for topic, rows in comparison.topics():
        out += [f"## {_md(topic)}", ""]
        out.append(f"| {_SAYS} | Rule | " + " | ".join(_md(label) for label in labels) + " | Compared |")
        out.append("| --- | --- | " + " | ".join("---" for _ in labels) + " | --- |")
        for row in rows:
            cells = " | ".join(
                _md_cell(c, col, comparison) for c, col in zip(row.cells, comparison.columns, strict=True)
            )
            rule = markdown_code(row.rule_id, table=True)
            out.append(f"| {_md(row.label)} | {rule} | {cells} | {_md(note(row, comparison))} |")
        out.append("")
    if comparison.withdrawn:
        out += ["## Withdrawn rules", ""]
        for w in comparison.withdrawn:
            by = "" if w.by == w.area else f" (withdrawn by {_md(comparison.name(w.by))})"
            out.append(
                f"- {_md(w.label)}: {markdown_code(w.rule_id)} from {_md(comparison.name(w.defined_in))}{by}: "
                f"{_md(w.reason)}"
            )
        out.append("")
    return "\n".join(out)


# --- CSV --------------------------------------------------------------------------------------------------

CSV_HELP = (
    "CSV: one header row, then one row per value. Columns: topic (the rule's topic, e.g. 'quorum'), heading "
    "(the procedure's heading the row is shown under in the other formats, e.g. 'Attendance and quorum'), rule "
    "(the rule id), title, parameter (what the procedure says, '…' marking where the value goes), stricter_is "
    "(shorter, longer, higher, lower, or empty when neither is stricter), compared ('stricter', 'same', 'same "
    "where set', 'depends on dates', 'differs, none stricter', 'one area only' or 'none set'), strictest (the "
    "highlighted areas by name, separated by '; '), then for each area, headed by its NAME (the short name its "
    "policy gives, e.g. 'Pan-Berkshire', or the area when it gives none): NAME (the value, e.g. "
    "'15 working days', '10 working days (exclusive)' or '2', or 'does not apply' for an exception that "
    "disapplies its rule; empty when absent or withdrawn), 'NAME status' (local, changed, restated, inherited, "
    "absent, withdrawn), 'NAME from' (the name of the area whose text sets the value, or that withdrew the rule) "
    "and 'NAME strictest' (yes or empty). Every column is text (a value reads '15 working days'); a cell that "
    "starts with =, +, -, @, a tab or a line break is written with a ' before it, so that a spreadsheet never "
    "runs it as a formula."
)

_CSV_STATUS = {"overridden": "changed"}


def csv_header(comparison: Comparison) -> list[str]:
    """The CSV header row."""
    header = ["topic", "heading", "rule", "title", "parameter", "stricter_is", "compared", "strictest"]
    for column in comparison.columns:
        label = column.label
        header += [label, f"{label} status", f"{label} from", f"{label} strictest"]
    return header


def render_csv(comparison: Comparison) -> str:
    """One row per value, every column filterable in a spreadsheet (see :data:`CSV_HELP`)."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(csv_header(comparison))
    for heading, rows in comparison.topics():
        for row in rows:
            line = [
                row.topic,
                heading,
                row.rule_id,
                row.title,
                row.label,
                row.stricter_is,
                row.verdict,
                "; ".join(comparison.columns[i].label for i in row.strictest_columns),
            ]
            for cell in row.cells:
                source = comparison.name(cell.source) if cell.source else ""
                line += [cell.text, _CSV_STATUS.get(cell.status, cell.status), source, "yes" * cell.strictest]
            writer.writerow(line)
    return buffer.getvalue()


# --- HTML -------------------------------------------------------------------------------------------------

_CSS = """
@page { size: A4 landscape; margin: 12mm; }
body { font-family: system-ui, sans-serif; color: #1a1a1a; background: #fff; margin: 2rem auto; padding: 0 1rem;
  max-width: 75rem; line-height: 1.4; }
h1 { font-size: 1.5rem; }
h2 { font-size: 1.2rem; }
.legend { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 22rem), 1fr));
  gap: 0.2rem 1.5rem; margin: 0.5rem 0 1rem; font-size: 0.9em; }
.legend dt { display: inline; font-weight: bold; }
.legend dt::after { content: ":"; }
.legend dd { display: inline; margin: 0 0 0 0.3rem; }
.table { overflow-x: auto; margin: 1.5rem 0; }
.table:focus-visible { outline: 3px solid #1a4f9c; outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; min-width: 42rem; }
thead th:first-child { width: 40%; }
caption { text-align: left; font-weight: bold; font-size: 1.2rem; padding: 0.5rem 0; }
th, td { border: 1px solid #888; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
thead th { background: #e8e8e8; }
th[scope=row] { font-weight: normal; }
th[scope=row] code { display: block; font-size: 0.85em; color: #444; margin-top: 0.2rem; }
td.strictest { background: #fff1a8; outline: 2px solid #8a6d00; outline-offset: -2px; }
.mark { font-weight: bold; font-size: 0.85em; white-space: nowrap; }
td.inherited { color: #4a4a4a; }
.origin { font-size: 0.85em; }
td.absent, td.withdrawn { color: #555; }
.hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
@media print {
  body { margin: 0; padding: 0; max-width: none; font-size: 10pt; }
  h1 { font-size: 14pt; margin: 0 0 0.5rem; }
  h2, caption { font-size: 12pt; break-after: avoid; }
  .table { overflow: visible; margin: 0.8rem 0; }
  table { min-width: 0; break-inside: auto; }
  thead th:first-child { width: 50%; }
  th, td { padding: 0.2rem 0.4rem; }
  th[scope=row] code { display: inline; margin: 0 0 0 0.3rem; white-space: nowrap; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  tbody tr:first-child { break-before: avoid; }
  td.strictest { outline-width: 1px; }
}
""".strip()


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _html_cell(cell: Cell, column: Column, comparison: Comparison) -> str:
    classes = [cell.status] + (["strictest"] * cell.strictest)
    if cell.status == "absent":
        body = '—<span class="hidden"> no such rule</span>'
    elif cell.status == "withdrawn":
        body = _h(cell_text(cell, column, comparison))
        if cell.reason:
            body += f'<br><span class="origin">{_h(cell.reason)}</span>'
    else:
        body = f"<strong>{_h(cell.text)}</strong>" if cell.strictest else _h(cell.text)
        if cell.status == "inherited":
            body = f'<em>{body}</em> <span class="origin">(from {_h(comparison.name(cell.source))})</span>'
        elif cell.status == "restated":
            body += ' <span class="origin">(restated)</span>'
        elif cell.status == "overridden":
            body += ' <span class="origin">(changed)</span>'
        if cell.strictest:
            body += ' <span class="mark">★ strictest</span>'
    return f'<td class="{" ".join(classes)}">{body}</td>'


def render_html(comparison: Comparison) -> str:
    """A self-contained page: a table per heading, inline CSS, no JavaScript, strictest marked in text too.

    Each table sits in a region of its own, named by its caption, that scrolls sideways on a narrow screen and
    can be scrolled from the keyboard; printed, the page is A4 landscape, each table's header repeats on every
    page and a caption stays with the first rows of its table.
    """
    out = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(_title(comparison, 'cpc compare'))}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{_h(_title(comparison))}</h1>",
        f"<p>{_h(_intro(comparison))}</p>",
        "<ul>",
    ]
    for column in comparison.columns:
        area = f" (<code>{_h(column.area)}</code>)" if column.label != column.area else ""
        out.append(f"<li><strong>{_h(column.label)}</strong>{area}: {_h(_about(column, comparison))}</li>")
    out.append("</ul>")
    if terms := legend(comparison):
        out += ["<h2>How to read the tables</h2>", '<dl class="legend">']
        out += [f"<div><dt>{_h(term.html)}</dt><dd>{_h(term.meaning)}</dd></div>" for term in terms]
        out.append("</dl>")
    if not comparison.rows:
        out.append(f"<p>{_h(_nothing(comparison))}</p>")
    heads = "".join(f'<th scope="col">{_h(c.label)}</th>' for c in comparison.columns)
    for number, (topic, rows) in enumerate(comparison.topics(), start=1):
        out.append(f'<div class="table" role="region" aria-labelledby="table-{number}" tabindex="0">')
        out.append("<table>")
        out.append(f'<caption id="table-{number}">{_h(topic)}</caption>')
        out.append(f'<thead><tr><th scope="col">{_SAYS}</th>{heads}<th scope="col">Compared</th></tr></thead>')
        out.append("<tbody>")
        for row in rows:
            cells = "".join(
                _html_cell(c, col, comparison) for c, col in zip(row.cells, comparison.columns, strict=True)
            )
            out.append(
                f'<tr><th scope="row">{_h(row.label)} <code>{_h(row.rule_id)}</code></th>'
                f"{cells}<td>{_h(note(row, comparison))}</td></tr>"
            )
        out += ["</tbody>", "</table>", "</div>"]
    if comparison.withdrawn:
        out += ["<h2>Withdrawn rules</h2>", "<ul>"]
        for w in comparison.withdrawn:
            by = "" if w.by == w.area else f" (withdrawn by {_h(comparison.name(w.by))})"
            out.append(
                f"<li>{_h(w.label)}: <code>{_h(w.rule_id)}</code> from {_h(comparison.name(w.defined_in))}{by}: "
                f"{_h(w.reason)}</li>"
            )
        out.append("</ul>")
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


# --- Text -------------------------------------------------------------------------------------------------

# No line of the text output is longer than this: a terminal, an email or a ticket shows it unwrapped. On a
# terminal the command passes the terminal's width instead, if that is narrower, but never less than NARROWEST.
WIDTH = 100
NARROWEST = 60
_INDENT = 4
_GAP = 2
# Below this, a column of values is too narrow to read, and each value goes on a line of its own instead.
_NARROWEST_COLUMN = 10


def _wrap(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """``text``, escaped for a terminal, in lines of at most ``width`` characters."""
    return textwrap.wrap(
        terminal(text),
        width,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
    ) or [first.rstrip()]


def _text_cell(cell: Cell, column: Column, comparison: Comparison) -> list[str]:
    """The cell as the pieces a line may break between: ``["★ 15 days", "(from England)"]``."""
    if cell.status == "absent":
        return ["—"]
    if cell.status == "withdrawn":
        return ["withdrawn"] if cell.source == column.area else ["withdrawn", f"(by {comparison.name(cell.source)})"]
    value = cell.text.removesuffix(" (exclusive)")
    parts = [f"★ {value}" if cell.strictest else value] + ["(exclusive)"] * (value != cell.text)
    qualifier = {
        "inherited": f"(from {comparison.name(cell.source)})",
        "restated": "(restated)",
        "overridden": "(changed)",
    }.get(cell.status)
    return parts + [qualifier] * (qualifier is not None)


def _text_note(row: Row, comparison: Comparison) -> list[str]:
    """:func:`note` as the pieces a line may break between: ``["strictest: England,", "Hampshire (HIPS)"]``."""
    if row.verdict != "stricter":
        return [note(row, comparison)]
    labels = [comparison.columns[i].label for i in row.strictest_columns]
    parts = [f"{label}," for label in labels[:-1]] + labels[-1:]
    return [f"strictest: {parts[0]}", *parts[1:]]


def _pack(parts: list[str], width: int) -> list[str]:
    """``parts`` escaped for a terminal and joined by spaces in lines of at most ``width``, breaking between
    parts before breaking within one."""
    lines: list[str] = []
    for part in map(terminal, parts):
        if lines and len(lines[-1]) + 1 + len(part) <= width:
            lines[-1] += f" {part}"
        else:
            lines += textwrap.wrap(part, width, break_on_hyphens=False) or [""]
    return lines or [""]


def _text_widths(comparison: Comparison, width: int) -> list[int] | None:
    """Each column's width, values then "Compared", within ``width``; None when they cannot all be readable.

    A column is as wide as its longest value when they all fit. Otherwise every column is at least as wide as
    its longest word (so that no heading or value breaks within a word), the narrow columns keep their width
    and the others share what is left, their values wrapping within it.
    """
    heads = [*(c.label for c in comparison.columns), "Compared"]
    texts = [[terminal(head)] for head in heads]
    for row in comparison.rows:
        for index, parts in enumerate(_text_row(row, comparison)):
            texts[index].append(terminal(" ".join(parts)))
    natural = [max(map(len, column)) for column in texts]
    least = [max(len(word) for text in column for word in text.split() or [""]) for column in texts]
    room = width - _INDENT - _GAP * (len(heads) - 1)
    if sum(least) > room:
        return None
    # Raise every column towards its natural width together, as far as the room allows.
    widths = least
    for level in range(max(natural) + 1):
        trial = [min(n, max(w, level)) for n, w in zip(natural, least, strict=True)]
        if sum(trial) > room:
            break
        widths = trial
    short = [index for index in range(len(heads)) if widths[index] < natural[index]]
    for index in short[: room - sum(widths)]:
        widths[index] += 1
    return widths if min(widths) >= min(_NARROWEST_COLUMN, *natural) else None


def _text_row(row: Row, comparison: Comparison) -> list[list[str]]:
    """The row's cells and its note, each as the pieces a line may break between."""
    cells = [_text_cell(c, col, comparison) for c, col in zip(row.cells, comparison.columns, strict=True)]
    return [*cells, _text_note(row, comparison)]


def _grid(cells: list[list[str]], widths: list[int]) -> list[str]:
    """One row of a table: each cell wrapped within its column, the columns side by side."""
    packed = [_pack(parts, width) for parts, width in zip(cells, widths, strict=True)]
    lines = []
    for line in range(max(len(cell) for cell in packed)):
        texts = [
            (cell[line] if line < len(cell) else "").ljust(width) for cell, width in zip(packed, widths, strict=True)
        ]
        lines.append((" " * _INDENT + (" " * _GAP).join(texts)).rstrip())
    return lines


def render_text(comparison: Comparison, width: int = WIDTH) -> str:
    """The tables for a terminal: no line longer than ``width``, each value wrapped within its column.

    Each row is what the procedure says, across the page, with the areas' values in columns beneath it; with
    more areas than columns can be read in, each value goes on a line of its own, after its area's name.
    """
    out = _wrap(_title(comparison), width)
    out += ["", *_wrap(_intro(comparison), width), ""]
    for column in comparison.columns:
        area = f" ({column.area})" if column.label != column.area else ""
        out += _wrap(f"{column.label}{area}: {_about(column, comparison)}", width, rest=" " * _INDENT)
    if terms := legend(comparison):
        out += ["", "How to read the tables:"]
        term_width = max(len(term.text) for term in terms)
        for term in terms:
            out += _wrap(term.meaning, width, f"  {term.text.ljust(term_width)}  ", " " * (term_width + 4))
    if not comparison.rows:
        out += ["", *_wrap(_nothing(comparison), width)]
    widths = _text_widths(comparison, width)
    heads = [*(c.label for c in comparison.columns), "Compared"]
    for topic, rows in comparison.topics():
        out += ["", *_wrap(topic, width), "=" * min(len(topic), width)]
        if widths is not None:
            out += ["", *_grid([[head] for head in heads], widths), _grid([["-" * w] for w in widths], widths)[0]]
        for row in rows:
            out += ["", *_wrap(f"{row.label} [{row.rule_id}]", width)]
            cells = _text_row(row, comparison)
            if widths is not None:
                out += _grid(cells, widths)
                continue
            for head, parts in zip(heads, cells, strict=True):
                if parts != [""]:
                    out += _wrap(f"{head}: {' '.join(parts)}", width, " " * _INDENT, " " * (_INDENT * 2))
    if comparison.withdrawn:
        out += ["", "Withdrawn rules", "=" * len("Withdrawn rules"), ""]
        for w in comparison.withdrawn:
            by = "" if w.by == w.area else f" (withdrawn by {comparison.name(w.by)})"
            said = f"{w.label}: {w.rule_id} from {comparison.name(w.defined_in)}{by}: {w.reason}"
            out += _wrap(said, width, rest=" " * _INDENT)
    return "\n".join(out) + "\n"


# --- JSON -------------------------------------------------------------------------------------------------


# Like a results file's ``results_format``: the first key of the JSON, raised when a key changes meaning or goes.
FORMAT_KEY = "compare_format"
FORMAT_VERSION = 1


def to_dict(comparison: Comparison) -> dict:
    """The comparison for programs: each area by its key (the area, as cpc names it) with its name beside it.

    ``areas`` lists the compared areas in order, ``names`` the short name of every area a value can come
    from, and each row's ``values`` are keyed as ``areas[].key``.
    """
    columns = comparison.columns
    rows = []
    for heading, grouped in comparison.topics():
        for row in grouped:
            values = {}
            for column, cell in zip(columns, row.cells, strict=True):
                shown = cell.status not in ("absent", "withdrawn")
                values[column.key] = {
                    "value": cell.text if shown else None,
                    "status": _CSV_STATUS.get(cell.status, cell.status),
                    "from": cell.source or None,
                    "strictest": cell.strictest,
                }
            rows.append(
                {
                    "topic": row.topic,
                    "heading": heading,
                    "rule": row.rule_id,
                    "title": row.title,
                    "label": row.label,
                    "path": list(row.path),
                    "stricter_is": row.stricter_is or None,
                    "compared": row.verdict,
                    "note": note(row, comparison),
                    "strictest": [columns[i].key for i in row.strictest_columns],
                    "values": values,
                }
            )
    return {
        FORMAT_KEY: FORMAT_VERSION,
        "as_of": comparison.as_of.isoformat() if comparison.as_of else None,
        "areas": [
            {
                "key": c.key,
                "area": c.area,
                "name": comparison.name(c.area),
                "label": c.label,
                "title": c.title,
                "version": c.version,
                "effective_from": c.effective_from or None,
                "extends": list(c.extends),
            }
            for c in columns
        ],
        "names": dict(comparison.names),
        "only_differences": comparison.only_differences,
        "left_out": comparison.left_out,
        "rows": rows,
        "withdrawn": [
            {"area": w.key, "rule": w.rule_id, "by": w.by, "defined_in": w.defined_in, "reason": w.reason}
            for w in comparison.withdrawn
        ],
    }


def render_json(comparison: Comparison) -> str:
    """:func:`to_dict` as indented JSON."""
    return json.dumps(to_dict(comparison), ensure_ascii=False, indent=2) + "\n"


RENDERERS = {
    "markdown": render_markdown,
    "text": render_text,
    "csv": render_csv,
    "html": render_html,
    "json": render_json,
}


def render(comparison: Comparison, fmt: str, width: int = WIDTH) -> str:
    """Render ``comparison`` in one of :data:`FORMATS`; ``text`` within ``width`` columns."""
    if fmt == "text":
        return render_text(comparison, width)
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise CompareError(f"unknown format '{fmt}'; one of: {', '.join(FORMATS)}") from None
    return renderer(comparison)
