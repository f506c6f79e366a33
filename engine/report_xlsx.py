"""`cpc report --format xlsx`: the caseload report as an Excel workbook, one sheet per table.

Performance teams work in Excel and Power BI: each table of the report is a sheet with a header row, typed
cells (numbers as numbers, dates as dates) and a filter, so that it can be sorted, pivoted or loaded as it is.
Text from the results is written as text, never as a formula: a case id of ``=HYPERLINK(…)`` stays a string.
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
from openpyxl.worksheet.worksheet import Worksheet

from .summary import Summary, month_rows, overdue_rows, rule_rows, to_dict

__all__ = ["SHEETS", "workbook"]

SHEETS = ("About", "Rules", "Census", "Months", "Overdue")
"""The sheets, in order: what was evaluated; per-rule compliance; the Children in Need census timeliness
measures; month by month; the overdue list."""

_DATE_COLUMNS = frozenset({"due"})
_WIDEST = 60


def workbook(summary: Summary) -> bytes:
    """The report as the bytes of an .xlsx file."""
    book = Workbook()
    book.remove(book.active)
    data = to_dict(summary)
    _sheet(book, "About", ["item", "value"], _about(data))
    _sheet(book, "Rules", *rule_rows(summary))
    _sheet(book, "Census", ["measure", "count"], _census(data["census"]))
    _sheet(book, "Months", *month_rows(summary))
    _sheet(book, "Overdue", *overdue_rows(summary))
    # The same results give the same bytes (docs/reliability.md): the document's dates are the evaluation's,
    # not the clock's, and so are the archive's.
    runs = data["evaluated_under"]
    stamp = dt.datetime.combine(dt.date.fromisoformat(runs[0]["as_of"]) if runs else dt.date(1980, 1, 1), dt.time())
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


def _about(data: dict) -> list[list]:
    rows: list[list] = []
    for run in data["evaluated_under"]:
        rows.append(["evaluated under", f"{run['area']} policy {run['policy_version']} as of {run['as_of']}"])
        rows.append(["cases evaluated under it", run["cases"]])
    period = data.get("period")
    if period:
        rows.append(["period from", _day(period["start"])])
        rows.append(["period to", _day(period["end"])])
    rows.append(["cases", data["cases"]])
    rows.append(["cases with something overdue", data["cases_with_overdue"]])
    rows.append(["cases with something overdue, breached or missed", data["cases_needing_attention"]])
    rows.append(["results", data["results"]])
    rows.append(["error records", data["error_records"]])
    return rows


def _census(census: dict, prefix: str = "") -> list[list]:
    """The census measures flattened to one row each: ``initial conferences / on time``, 120."""
    rows: list[list] = []
    for key, value in census.items():
        name = f"{prefix}{key.replace('_', ' ')}"
        if isinstance(value, dict):
            rows.extend(_census(value, f"{name} / "))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            rows.append([name, value])
    return rows


def _day(value: object) -> object:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _sheet(book: Workbook, title: str, header: list[str], rows: Iterable[list]) -> None:
    sheet: Worksheet = book.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    dates = {i for i, name in enumerate(header) if name in _DATE_COLUMNS}
    widths = [len(name) for name in header]
    for row in rows:
        values = [_day(v) if i in dates else v for i, v in enumerate(row)]
        sheet.append(values)
        for i, cell in enumerate(sheet[sheet.max_row]):
            _as_text(cell)
            widths[i] = max(widths[i], len(str(values[i])) if values[i] is not None else 0)
            if isinstance(values[i], dt.date):
                cell.number_format = "yyyy-mm-dd"
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(width + 2, _WIDEST)
    sheet.freeze_panes = "A2"
    if sheet.max_row > 1:
        sheet.auto_filter.ref = sheet.dimensions


def _as_text(cell: Cell) -> None:
    # openpyxl stores a string beginning with "=" as a formula; a value from the results is text.
    if cell.data_type == "f":
        cell.data_type = "s"
