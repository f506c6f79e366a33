"""What every format of `cpc compare` says alike: the title, the introduction, a cell and a row's comparison
in words, and the legend of the markers and verdicts the tables use.

:mod:`compare_formats` lays these out as Markdown, HTML, text and JSON; they are here once, so that the formats
never word the same thing two ways.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine.review.compare import Cell, Column, Comparison, Row
from engine.review.compare_labels import DISAPPLIES
from engine.review.wording import long_date

# --- Words shared by the renderers ------------------------------------------------------------------------


def note(row: Row, comparison: Comparison) -> str:
    """The row's comparison in words, as every format says it: the strictest areas by name ("strictest:
    England, Hampshire (HIPS)"), or the verdict ("same where set", "depends on dates")."""
    if row.verdict == "stricter":
        labels = [comparison.columns[i].label for i in row.strictest_columns]
        return "strictest: " + ", ".join(labels)
    return row.verdict


def cell_text(cell: Cell, column: Column, comparison: Comparison) -> str:
    """The cell without markup: ``15 days``, ``15 days (from England)``, ``—``, ``withdrawn``."""
    match cell.status:
        case "absent":
            return "—"
        case "withdrawn":
            return "withdrawn" if cell.source == column.area else f"withdrawn (by {comparison.name(cell.source)})"
        case "inherited":
            return f"{cell.text} (from {comparison.name(cell.source)})"
        case "restated":
            return f"{cell.text} (restated)"
        case "overridden":
            return f"{cell.text} (changed)"
    return cell.text


def _about(column: Column, comparison: Comparison) -> str:
    """What the column's policy is: ``Working Together … (version 2023, in force from 15 December 2023)``; an
    area built on another says so nearest first: ``extends Pan-Berkshire (which extends England)``."""
    start = long_date(dt.date.fromisoformat(column.effective_from)) if column.effective_from else "an unknown date"
    bases = [comparison.name(area) for area in reversed(column.extends)]
    based = ""
    if bases:
        further = ", ".join(f"which extends {name}" for name in bases[1:])
        based = f"; extends {bases[0]}" + (f" ({further})" if further else "")
    return f"{column.title} (version {column.version}, in force from {start}{based})"


def _title(comparison: Comparison, lead: str = "Compare") -> str:
    """The heading: the areas and which of their versions, ``Compare: England, Pan-Berkshire — as of 1 April
    2026`` (``— newest versions`` without ``--as-of``)."""
    return f"{lead}: {', '.join(c.label for c in comparison.columns)} — {_when(comparison)}"


def _when(comparison: Comparison) -> str:
    return f"as of {long_date(comparison.as_of)}" if comparison.as_of else "newest versions"


def _intro(comparison: Comparison) -> str:
    if comparison.as_of:
        versions = f"Each area's policy is compared in the version in force on {long_date(comparison.as_of)}."
    else:
        versions = "Each area's policy is compared in its newest version."
    said = f"{_INTRO} {versions}"
    if comparison.only_differences:
        said += f" {_left_out(comparison)}"
    return said


def _left_out(comparison: Comparison) -> str:
    """How many rows ``--only-differences`` kept and left out: "12 of 37 rows differ; 25 where every area says
    the same are left out"."""
    kept, left = len(comparison.rows), comparison.left_out
    total = kept + left
    if kept == 0:
        return (
            "The one row does not differ, so it is left out."
            if total == 1
            else (f"None of the {total} rows differs, so all are left out.")
        )
    if left == 0:
        return "The one row differs." if total == 1 else f"All {total} rows differ; none is left out."
    differ = f"{kept} of {total} rows {'differs' if kept == 1 else 'differ'}"
    same = f"{left} where every area says the same {'is' if left == 1 else 'are'} left out"
    return f"{differ}; {same}."


def _nothing(comparison: Comparison) -> str:
    """What a comparison without rows says instead of its tables."""
    if comparison.only_differences:
        return "Every area says the same: no value differs, and no area lacks a rule another has."
    return "No area's policy sets a value to compare."


# The heading of the column of row labels.
_SAYS = "What the procedure says"


@dataclass(frozen=True, slots=True)
class _Term:
    """A marker the tables use and what it means, shown in the legend only where the tables use it."""

    markdown: str
    html: str
    text: str
    meaning: str


_LEGEND = {
    "blank": _Term("…", "…", "…", "where each area's value goes in what the procedure says"),
    "strictest": _Term(
        "**bold**",
        "★ strictest",
        "★",
        "the strictest value in its row: the shortest maximum, the longest notice, the highest required number",
    ),
    "inherited": _Term(
        "*italics (from AREA)*",
        "(from AREA)",
        "(from AREA)",
        "inherited: the area's own text is silent, so AREA's value applies",
    ),
    "restated": _Term(
        "(restated)",
        "(restated)",
        "(restated)",
        "the area's own text states the value it would inherit, with its own citation",
    ),
    "overridden": _Term(
        "(changed)", "(changed)", "(changed)", "the area's own text changes the value it would otherwise inherit"
    ),
    "absent": _Term("—", "—", "—", "the area has no such rule, or its rule sets no such value"),
    "exclusive": _Term(
        "(exclusive)",
        "(exclusive)",
        "(exclusive)",
        "the boundary day itself is out of time (before the due date, not on it; after the earliest date, not "
        "on it): a day stricter than the same time counted inclusively",
    ),
    "withdrawn": _Term("withdrawn", "withdrawn", "withdrawn", "the area withdraws the rule: it does not apply there"),
    "disapplies": _Term(
        "does not apply",
        "does not apply",
        "does not apply",
        "an exception: where its conditions hold, the rule it is an exception to does not apply in the area",
    ),
    "same where set": _Term(
        "same where set",
        "same where set",
        "same where set",
        "the areas that set the value agree; the others (— or withdrawn) have no such value",
    ),
    "depends on dates": _Term(
        "depends on dates",
        "depends on dates",
        "depends on dates",
        "no value is highlighted: they are in units whose lengths differ by date (months, weeks, working days)",
    ),
    "differs, none stricter": _Term(
        "differs, none stricter",
        "differs, none stricter",
        "differs, none stricter",
        "the values differ, but no side is stricter: a threshold in the conditions of a direction (the age from "
        "which it applies, say)",
    ),
}


def legend(comparison: Comparison) -> list[_Term]:
    """The legend's entries for the markers and verdicts the tables use, in the legend's order; none without
    rows."""
    if not comparison.rows:
        return []
    cells = [cell for row in comparison.rows for cell in row.cells]
    used = {"blank"} | {cell.status for cell in cells} | {row.verdict for row in comparison.rows}
    if any(cell.strictest for cell in cells):
        used.add("strictest")
    if any(cell.shift for cell in cells if cell.status not in ("absent", "withdrawn")):
        used.add("exclusive")
    if any(c.text == "does not apply" for r in comparison.rows if r.path == DISAPPLIES for c in r.cells):
        used.add("disapplies")
    return [term for key, term in _LEGEND.items() if key in used]


_INTRO = (
    "Every timescale, quorum, notice period and other number each area's policy sets, after inheritance. "
    "Durations in different units are compared by the calendar days each can span."
)
