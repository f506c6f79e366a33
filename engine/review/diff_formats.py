"""`cpc diff`'s output: a :class:`diff.Diff` as text for a terminal, Markdown for a pull request, or JSON.

Each format lists the changes by section (:data:`diff.SECTIONS`), in the order a reviewer reads them, under
headings that name the policy each section is about.
"""

from __future__ import annotations

import json

from engine.core.safe_text import html_text, markdown_code, markdown_text, terminal
from engine.review.diff import SECTIONS, Diff, Side
from engine.review.diff_parameters import _short

# --- Rendering --------------------------------------------------------------------------------------------

FORMATS = ("text", "markdown", "json")

_ANSI = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "magenta": "35", "cyan": "36"}
_SECTION_COLOR = {
    "stricter": "yellow",
    "looser": "cyan",
    "overlaps": "magenta",
    "added": "green",
    "withdrawn": "red",
}
_COUNT_WORDS = {
    "stricter": "stricter",
    "looser": "looser",
    "overlaps": "depending on dates",
    "changed": "changed",
    "added": "added",
    "withdrawn": "withdrawn",
    "origin": "origin",
    "citation": "citations",
    "wording": "wording",
}


def paint(text: str, *styles: str, color: bool) -> str:
    """``text`` in ANSI ``styles`` when ``color`` is on, as is otherwise."""
    if not color or not styles:
        return text
    codes = ";".join(_ANSI[s] for s in styles)
    return f"\033[{codes}m{text}\033[0m"


def side_name(side: Side) -> str:
    """How a compared policy is named in headings: ``berkshire (v97)``, ``x.yaml@HEAD~1 (berkshire v97)``."""
    if side.label == side.area:
        return f"{side.area} ({side.version})" if side.version else side.area
    return f"{side.label} ({side.area} {side.version})".replace(" )", ")")


def headings(diff: Diff) -> dict[str, str]:
    """The heading of each section, naming the policy it is about."""
    old, new = diff.old.label, diff.new.label
    return {
        "stricter": f"Stricter in {new}",
        "looser": f"Looser in {new}",
        "overlaps": "Stricter or looser depending on dates",
        "changed": "Changed, neither stricter nor looser",
        "added": f"Added: rules only {new} has",
        "withdrawn": f"Withdrawn: rules only {old} has",
        "origin": "Origin: stated in one policy's own text, inherited in the other",
        "citation": "Citations",
        "wording": "Wording: titles, readings, topics",
    }


def _title(diff: Diff) -> str:
    title = f"{side_name(diff.old)} → {side_name(diff.new)}"
    if diff.ignored:
        # Said in the title, so that "no differences" is never read as more than it is.
        names = list(diff.ignored)
        title += f" (ignoring {', '.join(names[:-1])} and {names[-1]})" if len(names) > 1 else f" (ignoring {names[0]})"
    return title


def _counts_line(diff: Diff) -> str:
    total = len(diff.changes)
    parts = [f"{n} {_COUNT_WORDS[name]}" for name, n in diff.counts().items() if n]
    return f"{total} difference{'s' if total != 1 else ''}: " + ", ".join(parts)


def render_text(diff: Diff, *, color: bool = False) -> str:
    """The diff for a terminal: a summary, then each section with one line per change."""
    # Policy text is escaped for the terminal before it is painted: a value cannot send escape sequences.
    if not diff.differs:
        return f"{terminal(_title(diff))}: no differences\n"
    lines = [paint(terminal(_title(diff)), "bold", color=color), _counts_line(diff)]
    names = headings(diff)
    for section in SECTIONS:
        items = diff.section(section)
        if not items:
            continue
        style = ("bold", _SECTION_COLOR[section]) if section in _SECTION_COLOR else ("bold",)
        lines += ["", paint(terminal(f"{names[section]} ({len(items)})"), *style, color=color)]
        for change in items:
            rule = change.rule or "calendar"
            if change.kind != "citation":
                lines.append(terminal(f"  {rule}: {change.note}"))
                continue
            lines.append(terminal(f"  {rule}: {change.note.removeprefix('cite: ')}"))
            for mark, quotes, tint in (("-", change.old, "red"), ("+", change.new, "green")):
                for quote in quotes:
                    line = terminal(f'    {mark} {quote["file"]}: "{_short(quote["quote"], 90)}"')
                    lines.append(paint(line, tint, color=color))
    return "\n".join(lines) + "\n"


def _cell(text: object) -> str:
    return markdown_text(text)


def render_markdown(diff: Diff) -> str:
    """The diff as a pull-request comment: a summary and a table per section; citations and wording folded."""
    lines = [f"### Policy diff: {_cell(_title(diff))}", ""]
    if not diff.differs:
        return "\n".join([*lines, "No differences.", ""])
    lines += [f"**{_counts_line(diff)}**", ""]
    names = headings(diff)
    for section in SECTIONS:
        items = diff.section(section)
        if not items:
            continue
        heading = f"{names[section]} ({len(items)})"
        folded = section in ("citation", "wording")
        # A <details> line opens an HTML block, where Markdown escapes do not work: its heading is HTML-escaped.
        lines += [f"<details><summary>{html_text(heading)}</summary>", ""] if folded else [f"#### {_cell(heading)}", ""]
        if section == "citation":
            lines += ["| rule | | source | quote |", "| --- | --- | --- | --- |"]
            for change in items:
                for mark, quotes in (("dropped", change.old), ("added", change.new)):
                    for quote in quotes:
                        quoted = _cell(f'"{_short(quote["quote"], 120)}"')
                        rule = markdown_code(change.rule, table=True)
                        lines.append(f"| {rule} | {mark} | {_cell(quote['file'])} | {quoted} |")
        else:
            lines += ["| rule | change |", "| --- | --- |"]
            for change in items:
                lines.append(f"| {markdown_code(change.rule or 'calendar', table=True)} | {_cell(change.note)} |")
        lines += ["", "</details>", ""] if folded else [""]
    return "\n".join(lines)


def to_json(data: dict) -> str:
    """Stable JSON: sorted keys, indented, one trailing newline."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def render(diff: Diff, fmt: str, *, color: bool = False) -> str:
    """The diff in ``fmt``: ``text``, ``markdown`` or ``json``."""
    if fmt == "json":
        return to_json(diff.to_dict())
    if fmt == "markdown":
        return render_markdown(diff)
    return render_text(diff, color=color)
