"""`cpc report`'s formats, by name: the text ones report_text writes, the page report_html lays out.

Its own module so that the renderers can read the summary's rows (engine.caseload.report_rows) while the choice
among them imports each: neither imports the other back. The workbook (report_xlsx) is bytes, not text, and
is written by the command itself.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.caseload.report_html import render_html
from engine.caseload.report_text import (
    FORMATS,
    render_csv,
    render_json,
    render_markdown,
    render_months_csv,
    render_overdue_csv,
    render_text,
)
from engine.caseload.summary import Summary

RENDERERS: dict[str, Callable[[Summary], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "csv": render_csv,
    "overdue-csv": render_overdue_csv,
    "months-csv": render_months_csv,
    "json": render_json,
    "html": render_html,
}


def render(summary: Summary, fmt: str) -> str:
    """Render ``summary`` in one of :data:`engine.caseload.report_text.FORMATS`."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}") from None
    return renderer(summary)
