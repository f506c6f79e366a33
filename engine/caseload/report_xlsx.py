"""`cpc report --format xlsx`: the caseload report as an Excel workbook, one sheet per table.

Performance teams work in Excel and Power BI: each table of the report is a sheet with a header row, typed
cells (numbers as numbers, dates and months as dates) and a filter, so that it can be sorted, pivoted or loaded
as it is. The sheets hold everything the text report says, from the same rows as the other formats
(:mod:`engine.caseload.report_rows`). Text from the results is written as text, never as a formula: a case id of
``=HYPERLINK(…)`` stays a string.

Each table is also an Excel table (a ListObject) named after its sheet, which Power BI's navigator offers by
name: loading the table takes exactly its rows and columns, whatever else is on the sheet. The one thing set
beside a table is the note on the Overdue sheet that the list is cut short (see :func:`_overdue_note`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from engine.caseload.report_rows import (
    KIND_HEADINGS,
    band_rows,
    census_rows,
    coverage_rows,
    group_rows,
    headline_rows,
    month_rows,
    overdue_rows,
    plan_rows,
    rule_rows,
)
from engine.caseload.summary import Summary

__all__ = ["SHEETS", "workbook"]

SHEETS = ("About", "Rules", "Census", "Conference days", "Plans", "Not assessable", "Months", "Overdue")
"""The sheets, in order: what was evaluated and the headline counts; per-rule compliance; the Children in Need
census timeliness measures; initial conferences by working days from the strategy discussion; the plans; the
rules not assessable from this data; month by month; the overdue list. With --by, a Teams (or Workers) sheet
comes after Plans."""

_DATE_COLUMNS = frozenset({"due"})
_MONTH_COLUMNS = frozenset({"month"})
_WIDEST = 60


def workbook(summary: Summary) -> bytes:
    """The report as the bytes of an .xlsx file."""
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "About", ["item", "value", "percent_of_cases"], _about(summary))
    _sheet(book, "Rules", *rule_rows(summary))
    _sheet(book, "Census", *census_rows(summary))
    _sheet(book, "Conference days", *band_rows(summary))
    _sheet(book, "Plans", *plan_rows(summary))
    if summary.by:
        _sheet(book, "Teams" if summary.by == "team" else "Workers", *group_rows(summary))
    _sheet(book, "Not assessable", *coverage_rows(summary))
    _sheet(book, "Months", *month_rows(summary))
    _sheet(book, "Overdue", *overdue_rows(summary), note=_overdue_note(summary))
    # The same results give the same bytes (docs/reliability.md): the document's dates are the evaluation's,
    # not the clock's, and so are the archive's.
    runs = summary.runs
    stamp = dt.datetime.combine(dt.date.fromisoformat(runs[0].as_of[:10]) if runs else dt.date(1980, 1, 1), dt.time())
    book.properties.created = book.properties.modified = stamp
    out = io.BytesIO()
    book.save(out)
    return _restamped(out.getvalue(), stamp)


def _restamped(archive: bytes, stamp: dt.datetime) -> bytes:
    when = (max(stamp.year, 1980), stamp.month, stamp.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            data = source.read(entry)
            if entry.filename == "docProps/core.xml":
                # openpyxl sets the modified time to the clock's as it saves.
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>",
                    data,
                )
            copy.writestr(info, data)
    return out.getvalue()


def _listed(summary: Summary) -> str:
    """How much of the overdue list the Overdue sheet holds, in words. Said to the analyst who ran the report,
    so it names the options that list more."""
    total, shown = summary.overdue_total, len(summary.overdue)
    if shown == total:
        return f"every one of the {total:,} overdue items" if total else "nothing: nothing is overdue"
    # The list puts an open plan's work first, so the first N are not the N due earliest of all.
    first = f"the first {shown:,} (open plans' work first, earliest due first)" if shown else "none"
    return f"{first} of the {total:,} overdue items (--overdue-limit {shown}); cpc report --all lists every one"


def _overdue_note(summary: Summary) -> str | None:
    """The note beside the Overdue table when it is cut short; None when it holds every item.

    It goes in the first row, one empty column to the right of the table, not in a row beneath it: a note row
    inside or under the table would be read as an overdue item by anything loading the sheet (a text in the
    due column breaks the column's date type in Power BI), while the Excel table "Overdue" that Power BI offers
    ends before the note, and a whole-sheet load gets one extra column, empty but for its first cell. The
    About sheet says the same."""
    if len(summary.overdue) == summary.overdue_total:
        return None
    return f"This sheet lists {_listed(summary)}."


def _about(summary: Summary) -> list[list]:
    """What was evaluated, the period, the headline counts and how much of the overdue list is listed."""
    rows: list[list] = []
    runs = [(f"{run.area} policy {run.policy_version} as of {run.as_of}", run.cases) for run in summary.runs]
    if len(runs) == 1:
        # Its cases are the cases evaluated, counted below: said once.
        rows.append(["evaluated under", runs[0][0], None])
    else:
        rows += [[f"cases evaluated under {run}", cases, None] for run, cases in runs]
    period = summary.period
    if period is not None:
        rows.append(["period from", period.start, None])
        rows.append(["period to", period.end, None])
        chosen = "chosen (--period)" if summary.period_given else "the census year of the evaluation date"
        rows.append(["period", chosen, None])
    _, headline = headline_rows(summary)
    rows += headline
    rows.append(["results", summary.results, None])
    rows.append(["overdue items on the evaluation date", summary.overdue_total, None])
    rows.append(["overdue items listed on the Overdue sheet", len(summary.overdue), None])
    rows.append(["the Overdue sheet lists", _listed(summary), None])
    # What the Rules sheet's share is a share of, as the text report heads its tables.
    for heading, _, formula in KIND_HEADINGS.values():
        if formula:
            rows.append([f"rule_met_percent of {heading.lower()} (Rules)", formula, None])
    return rows


def _as_date(value: object, column: str) -> object:
    """A month (``2025-04``) as its first day, a due date as a date, or with its time (``2025-10-09T09:30``,
    a deadline counted in hours) as a date and time; anything else as it is."""
    if not isinstance(value, str):
        return value
    try:
        if column in _MONTH_COLUMNS:
            return dt.date.fromisoformat(f"{value}-01")
        return dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
    except ValueError:
        return value


def _sheet(book: Workbook, title: str, header: list[str], rows: Iterable[list], note: str | None = None) -> None:
    sheet: Worksheet = book.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    dated = {i: name for i, name in enumerate(header) if name in _DATE_COLUMNS | _MONTH_COLUMNS}
    percents = {i for i, name in enumerate(header) if name.endswith("percent") or name.endswith("percent_of_cases")}
    widths = [len(name) for name in header]
    count = 0
    for row in rows:
        values = [_as_date(v, dated[i]) if i in dated else v for i, v in enumerate(row)]
        sheet.append(values)
        count += 1
        for i, cell in enumerate(sheet[sheet.max_row]):
            _as_text(cell)
            value = values[i]
            if isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
                widths[i] = max(widths[i], 16)
            elif isinstance(value, dt.date):
                month = dated.get(i) in _MONTH_COLUMNS
                cell.number_format = "mmm yyyy" if month else "yyyy-mm-dd"
                widths[i] = max(widths[i], 8 if month else 10)
            else:
                widths[i] = max(widths[i], len(str(value)) if value is not None else 0)
            if i in percents and isinstance(value, float | int):
                cell.number_format = "0.0"
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(width + 2, _WIDEST)
    sheet.freeze_panes = "A2"
    # An Excel table over the rows, with its own filter buttons; one empty row when there are none, as Excel
    # keeps in a table emptied of its rows, so that a query of the table finds it still there.
    last = f"{get_column_letter(len(header))}{max(count, 1) + 1}"
    name = "".join(word[:1].upper() + word[1:] for word in title.split())  # "Not assessable": NotAssessable
    table = Table(displayName=name, ref=f"A1:{last}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    sheet.add_table(table)
    if note:
        cell = sheet.cell(row=1, column=len(header) + 2, value=note)
        cell.font = Font(italic=True)
        _as_text(cell)


def _as_text(cell: Cell) -> None:
    # openpyxl stores a string beginning with "=" as a formula; a value from the results is text.
    if cell.data_type == "f":
        cell.data_type = "s"
