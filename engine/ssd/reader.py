"""Read an SSD extract's CSV files into an :class:`~engine.ssd.store.Extract`, parsing and tallying every cell.

:func:`read_extract` streams each mapped table once: table files and column headers are matched without regard to
case, every date, flag and category is parsed (:func:`parse_datetime`, :func:`parse_flag`) and each row is stored
as its record; other tables are only counted. What cannot be read is tallied, not dropped, and an extract that
cannot be read at all raises :class:`SsdError`. Nothing here prints or stores a name or any free text: the
outcome JSON is read for one flag, and tallies name tables, fields and ids only.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from engine.core.calendar import FIRST_YEAR, LAST_YEAR
from engine.core.outfile import file_kind
from engine.ssd.store import CinPlan, Conference, Enquiry, Extract, Involvement, Person, Plan, Review
from engine.ssd.tables import (
    BLANK_ID,
    CIN,
    DUPLICATE_COLUMN,
    DUPLICATE_ID,
    EXTRA_CELLS,
    FIELDS,
    ICPC,
    INVOLVEMENTS,
    LONG_ID,
    MAPPED_TABLES,
    MAX_ID_CHARS,
    MERGED_LINES,
    OUT_OF_RANGE_DATE,
    PERSON,
    PLANS,
    READ_TABLES,
    REVIEWS,
    S47,
    TABLE_NOT_MAPPED,
    TIME_IGNORED,
    UNKNOWN_CATEGORY,
    UNKNOWN_COLUMN,
    UNREADABLE_DATE,
    UNREADABLE_FLAG,
    UNREADABLE_JSON,
    Unmapped,
)

MAX_TABLE_BYTES = 500 * 1024 * 1024
"""A table file larger than this is refused: an authority's extract is a few MB per table."""


_READ = {t: {f.field for f in FIELDS if f.table == t and f.role != "unmapped"} for t in READ_TABLES}
_UNMAPPED_REASON = {(f.table, f.field): f"not mapped: {f.note}" for f in FIELDS if f.role == "unmapped"}
_RECORDED_REASON = "not in the case: the system's own due date (cpc reconcile compares it)"
_JSON_PARTLY = "not mapped: only CP_CONFERENCE_FLAG is read from it"


CATEGORIES = {
    "neglect": "neglect",
    "neg": "neglect",
    "physical abuse": "physical_abuse",
    "phy": "physical_abuse",
    "emotional abuse": "emotional_abuse",
    "emo": "emotional_abuse",
    "sexual abuse": "sexual_abuse",
    "sab": "sexual_abuse",
    "multiple": "multiple",
    "mul": "multiple",
}
"""SSD category names (and the CIN census codes some extracts carry instead), case-insensitive."""

_FLAGS = {"y": True, "yes": True, "true": True, "t": True, "1": True}
_FLAGS.update({"n": False, "no": False, "false": False, "f": False, "0": False})

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,7})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)
# Day first: an extract opened and saved in Excel with English (UK) settings writes dates this way.
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


class SsdError(Exception):
    """An extract that cannot be read at all: a missing folder, a file too large, a broken CSV."""


# -- values ------------------------------------------------------------------------------------------------


class _Cells:
    """Parses one table's cells, tallying every value it cannot read against (table, field)."""

    def __init__(self, table: str, tally: Unmapped):
        self.table = table
        self.tally = tally

    def date(self, row: dict[str, str], name: str) -> dt.date | None:
        value, _ = self.date_read(row, name)
        return value

    def date_read(self, row: dict[str, str], name: str) -> tuple[dt.date | None, bool]:
        """The date in a cell and whether a non-blank cell could not be read."""
        raw = row.get(name, "")
        if not raw:
            return None, False
        parsed = parse_datetime(raw)
        if parsed is None:
            self.tally.add(self.table, name, UNREADABLE_DATE)
            return None, True
        day, has_time = parsed
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            self.tally.add(self.table, name, OUT_OF_RANGE_DATE)
            return None, True
        if has_time:
            self.tally.add(self.table, name, TIME_IGNORED)
        return day, False

    def flag(self, row: dict[str, str], name: str) -> bool | None:
        raw = row.get(name, "")
        if not raw:
            return None
        value = parse_flag(raw)
        if value is None:
            self.tally.add(self.table, name, UNREADABLE_FLAG)
        return value

    def category(self, row: dict[str, str], name: str) -> str | None:
        raw = row.get(name, "")
        if not raw:
            return None
        value = CATEGORIES.get(" ".join(raw.replace("_", " ").split()).lower())
        if value is None:
            self.tally.add(self.table, name, UNKNOWN_CATEGORY)
        return value


def parse_datetime(raw: str) -> tuple[dt.date, bool] | None:
    """A cell's date, and whether it also carried a time of day other than midnight; None if unreadable.

    Accepts ``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM[:SS[.fff]]`` (SQL Server's form, also with ``T``) and day-first
    ``DD/MM/YYYY [HH:MM[:SS]]`` (what Excel writes with UK settings). Month-first dates are never guessed.
    """
    text = raw.strip()
    match = _ISO.match(text)
    if match:
        year, month, day = int(match[1]), int(match[2]), int(match[3])
        hour, minute, second = match[4], match[5], match[6]
    else:
        match = _UK.match(text)
        if not match:
            return None
        day, month, year = int(match[1]), int(match[2]), int(match[3])
        hour, minute, second = match[4], match[5], match[6]
    try:
        value = dt.date(year, month, day)
        clock = dt.time(int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None
    return value, clock != dt.time()


def parse_flag(raw: str) -> bool | None:
    """``Y``/``N`` (and yes/no, true/false, 1/0), any case; None for anything else."""
    return _FLAGS.get(raw.strip().lower())


# -- reading -----------------------------------------------------------------------------------------------


def _not_a_file(path: Path) -> str | None:
    """What ``path`` is when it is not a regular file (following a symlink), or None for a regular file."""
    mode = path.stat().st_mode if path.exists() else None
    if mode is None:
        return "a symbolic link to nothing"
    return file_kind(mode) or None


def _table_files(folder: Path) -> dict[str, Path]:
    """Every ``*.csv`` in the folder by lower-cased stem; a name that differs only in case is refused, and so is
    a table cpc reads that is not a regular file (a folder, a FIFO, a device): it is there, so not missing, and
    it cannot be read (a FIFO would block the import for ever)."""
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".csv":
            continue
        kind = _not_a_file(path)
        if kind is not None:
            if path.stem.lower() in READ_TABLES:
                raise SsdError(f"{path}: {kind}, not a CSV file; table {path.stem.lower()} cannot be read")
            continue
        name = path.stem.lower()
        if name in found:
            raise SsdError(f"{folder}: both {found[name].name} and {path.name} would be table {name}")
        found[name] = path
    return found


_SPREADSHEET_ID = re.compile(r"[0-9]+\.0+")


def _cell(name: str, raw: str) -> str:
    """A cell as read, stripped; an id a spreadsheet rewrote as a decimal (``123.0``) as the source wrote it,
    or it would not join to the same id written ``123`` in another table."""
    text = raw.strip()
    if name.endswith("_id") and _SPREADSHEET_ID.fullmatch(text):
        return text.split(".", 1)[0]
    return text


def _check_size(path: Path, max_bytes: int) -> None:
    size = path.stat().st_size
    if size > max_bytes:
        raise SsdError(
            f"{path}: {size / 1e6:.0f} MB is larger than the {max_bytes / 1e6:.0f} MB a table may be; "
            "extract fewer years or split the extract"
        )


def _rows(
    path: Path, table: str, known: set[str], tally: Unmapped, max_bytes: int
) -> Iterator[tuple[int, dict[str, str]]]:
    """Data rows as (line, {lower-cased known column: stripped cell}); unknown columns are only counted."""
    _check_size(path, max_bytes)
    line = 0
    # Undecodable bytes become U+FFFD: they can only be in free text, and a mapped value holding one fails
    # to parse as a date, flag or category and is counted.
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        # strict: an unclosed quote would otherwise swallow every later row into one cell, silently.
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                return
            line = reader.line_num
            names = [h.strip().lower() for h in header]
            _check_header(path, table, names, known)
            positions: dict[str, int] = {}
            ignored: list[tuple[int, str, str]] = []
            for index, name in enumerate(names):
                if not name:
                    continue
                if name in positions:
                    ignored.append((index, _column_name(name, index), DUPLICATE_COLUMN))
                elif name in known:
                    positions[name] = index
                else:
                    reason = _UNMAPPED_REASON.get((table, name), UNKNOWN_COLUMN)
                    ignored.append((index, _column_name(name, index), reason))
            counts: Counter[tuple[str, str]] = Counter()
            width = len(names)
            for row in reader:
                first, line = line + 1, reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if line > first and any("\n" in row[i] or "\r" in row[i] for i in positions.values() if i < len(row)):
                    # No id, date, flag or category holds a line break: a quote has merged the lines from
                    # `first` to `line` into this row. Every line it swallowed is counted, none is mapped.
                    counts[("*", MERGED_LINES)] += line - first + 1
                    continue
                if len(row) > width and any(cell.strip() for cell in row[width:]):
                    counts[("*", EXTRA_CELLS)] += 1
                for index, name, reason in ignored:
                    if index < len(row) and row[index].strip():
                        counts[(name, reason)] += 1
                yield line, {name: _cell(name, row[i]) for name, i in positions.items() if i < len(row)}
        except csv.Error as exc:
            raise SsdError(_csv_problem(path, reader.line_num, line, exc)) from None
        except UnicodeError as exc:  # pragma: no cover - errors="replace" makes this unreachable in practice
            raise SsdError(f"{path}: cannot be decoded ({exc.__class__.__name__})") from None
    for (name, reason), n in counts.items():
        tally.add(table, name, reason, n)


_COLUMN_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _column_name(name: str, index: int) -> str:
    """A header cell as the report names it: as written if it looks like a column name, else by position.

    A header is names, but a file whose header row is missing (or was pasted over) has a child's id or date of
    birth there, and the report must not print it: ``column 3`` says where without saying what.
    """
    return name if _COLUMN_NAME.fullmatch(name) and not _looks_like_value(name) else f"column {index + 1}"


def _looks_like_value(name: str) -> bool:
    # `t`, `y`, `n`, `true`… are flag values; a real SSD column name has a table prefix and an underscore.
    return "_" not in name and len(name) <= 5


_SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def _check_header(path: Path, table: str, names: list[str], known: set[str]) -> None:
    """Refuse a table whose first line names none of the columns cpc reads from it: the header row is missing,
    or the cells are not separated by commas. Says which, by file and line, never quoting the line."""
    if any(name in known for name in names):
        return
    for separator, called in _SEPARATORS.items():
        if any(separator in name for name in names):
            raise SsdError(
                f"{path}:1: the cells are separated by {called}, not commas; "
                "export the table as comma-separated values (CSV)"
            )
    expected = ", ".join(sorted(known))
    raise SsdError(
        f"{path}:1: the first line names none of the columns cpc reads from {table} ({expected}); "
        "is the header row missing? Its first line must name the columns"
    )


def _csv_problem(path: Path, at: int, last_row: int, exc: csv.Error) -> str:
    """The message for a table the csv module cannot read; ``last_row`` is the last line read whole."""
    if "unexpected end of data" in str(exc):
        # The quote opened on the row after the last one read whole; the error itself comes at the end of the file.
        return (
            f"{path}:{last_row + 1}: a quoted cell that starts on this line is never closed, so the rest of the "
            "table cannot be told apart from it; close the quote or remove it"
        )
    return f"{path}:{at}: not readable as CSV ({exc})"


def _count_rows(path: Path, max_bytes: int, on_rows: Callable[[int], None] | None = None) -> int:
    _check_size(path, max_bytes)
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        last_row = 0
        try:
            next(reader, None)
            last_row = reader.line_num
            count = 0
            for row in reader:
                last_row = reader.line_num
                if any(cell.strip() for cell in row):
                    count += 1
                    if on_rows is not None and not count % ROWS_TOLD:
                        on_rows(ROWS_TOLD)
            if on_rows is not None:
                on_rows(count % ROWS_TOLD)
            return count
        except csv.Error as exc:
            raise SsdError(_csv_problem(path, reader.line_num, last_row, exc)) from None


ROWS_TOLD = 256
"""``read_extract``'s ``on_rows`` is told of the rows read this many at a time (and the rest at a table's end)."""


def read_extract(
    folder: str | Path, *, max_table_bytes: int = MAX_TABLE_BYTES, on_rows: Callable[[int], None] | None = None
) -> Extract:
    """Read the mapped tables of the SSD extract in ``folder``; other CSV files are counted as unmapped.

    Table file names and column headers are matched without regard to case; a missing table is recorded in
    ``Extract.missing``, not an error, as long as one of them is there. Raises :class:`SsdError` for a folder
    that does not exist or holds none of the mapped tables, a folder or file that cannot be read, a file
    over ``max_table_bytes``, or a file that is not CSV. ``on_rows(n)`` is called as rows are read, ``n`` at a
    time, for a progress count; the ``n`` add up to the data rows read (the sum of ``Extract.rows``).
    """
    root = Path(folder)
    if not root.is_dir():
        raise SsdError(f"{root}: not a folder; give the folder holding the extract's CSV files")
    try:
        return _read_extract(root, max_table_bytes, on_rows)
    except OSError as exc:
        raise SsdError(f"{exc.filename or root}: cannot be read ({exc.strerror or exc})") from None


def _read_extract(root: Path, max_table_bytes: int, on_rows: Callable[[int], None] | None = None) -> Extract:
    files = _table_files(root)
    if not any(table in files for table in MAPPED_TABLES):
        raise SsdError(
            f"{root}: no SSD table cpc maps is in this folder (it looks for {', '.join(MAPPED_TABLES)}, "
            "each a .csv file); is it the extract's folder?"
        )
    extract = Extract(folder=root)
    tally = extract.unmapped
    for table in READ_TABLES:
        path = files.get(table)
        if path is None:
            if table in MAPPED_TABLES:
                extract.missing.append(table)
            continue
        extract.files[table] = path.name
        rows = 0
        for line, row in _rows(path, table, _READ[table], tally, max_table_bytes):
            rows += 1
            _parse_row(extract, table, line, row)
            if on_rows is not None and not rows % ROWS_TOLD:
                on_rows(ROWS_TOLD)
        if on_rows is not None:
            on_rows(rows % ROWS_TOLD)
        extract.rows[table] = rows
    for name, path in files.items():
        if name in READ_TABLES:
            continue
        extract.files[name] = path.name
        extract.other_tables.append(name)
        rows = _count_rows(path, max_table_bytes, on_rows)
        extract.rows[name] = rows
        tally.add(name, "*", TABLE_NOT_MAPPED, rows)
    extract.store.done()
    return extract


def _note_recorded(tally: Unmapped, table: str, name: str, row: dict[str, str]) -> None:
    # Read for reconcile, but never part of a case: so counted, like any other value that is not mapped.
    if row.get(name):
        tally.add(table, name, _RECORDED_REASON)


def _row_id(extract: Extract, table: str, name: str, row: dict[str, str]) -> str | None:
    """The row's id, or None (counted) when it is blank or too long; a repeated id is found when it is stored."""
    value = row.get(name, "")
    if not value:
        extract.unmapped.add(table, "*", BLANK_ID)
        return None
    if len(value) > MAX_ID_CHARS:
        extract.unmapped.add(table, "*", LONG_ID)
        return None
    return value


def _parse_row(extract: Extract, table: str, line: int, row: dict[str, str]) -> None:
    # A repeated id is only known once the row is stored, and such a row's values are not read: what they
    # could not map is counted apart and added only for a row that was stored.
    if table == CIN:
        # The CIN plan's own id links nothing, so a blank or repeated one still leaves a usable row.
        cells = _Cells(table, extract.unmapped)
        person = row.get("cinp_person_id", "")
        cin = CinPlan(
            line,
            row.get("cinp_cin_plan_id", ""),
            person,
            cells.date(row, "cinp_cin_plan_start"),
            cells.date(row, "cinp_cin_plan_end"),
        )
        extract.store.add(CIN, person, cin)
        return
    if table == INVOLVEMENTS:
        _involvement(extract, _Cells(table, extract.unmapped), line, row)
        return
    id_field = {
        PERSON: "pers_person_id",
        S47: "s47e_s47_enquiry_id",
        ICPC: "icpc_icpc_id",
        PLANS: "cppl_cp_plan_id",
        REVIEWS: "cppr_cp_review_id",
    }[table]
    rid = _row_id(extract, table, id_field, row)
    if rid is None:
        return
    scratch = Unmapped()
    cells = _Cells(table, scratch)
    record: object
    person: str | None
    if table == PERSON:
        person = rid
        record = Person(line, rid, cells.date(row, "pers_dob"), cells.date(row, "pers_expected_dob"))
    elif table == S47:
        person = row.get("s47e_person_id", "")
        record = Enquiry(
            line,
            rid,
            person,
            cells.date(row, "s47e_s47_start_date"),
            cells.flag(row, "s47e_s47_nfa"),
            _conference_flag(row.get("s47e_s47_outcome_json", ""), cells),
        )
    elif table == ICPC:
        target, unreadable = cells.date_read(row, "icpc_icpc_target_date")
        _note_recorded(scratch, table, "icpc_icpc_target_date", row)
        person = row.get("icpc_person_id", "")
        record = Conference(
            line,
            rid,
            person,
            row.get("icpc_s47_enquiry_id", ""),
            row.get("icpc_cp_plan_id", ""),
            cells.flag(row, "icpc_icpc_transfer_in"),
            target,
            unreadable,
            cells.date(row, "icpc_icpc_date"),
            cells.flag(row, "icpc_icpc_outcome_cp_flag"),
        )
    elif table == PLANS:
        person = row.get("cppl_person_id", "")
        record = Plan(
            line,
            rid,
            person,
            row.get("cppl_icpc_id", ""),
            cells.date(row, "cppl_cp_plan_start_date"),
            cells.date(row, "cppl_cp_plan_end_date"),
            cells.category(row, "cppl_cp_plan_initial_category"),
        )
    else:
        due, unreadable = cells.date_read(row, "cppr_cp_review_due")
        _note_recorded(scratch, table, "cppr_cp_review_due", row)
        # A review belongs to a plan, not a person: it is read back through its plan.
        person = None
        record = Review(
            line,
            rid,
            row.get("cppr_cp_plan_id", ""),
            due,
            unreadable,
            cells.date(row, "cppr_cp_review_date"),
            cells.flag(row, "cppr_cp_review_outcome"),
            cells.flag(row, "cppr_cp_review_quorate"),
        )
    if extract.store.add(table, person, record):
        extract.unmapped.update(scratch)
    else:
        extract.unmapped.add(table, "*", DUPLICATE_ID)


def _involvement(extract: Extract, cells: _Cells, line: int, row: dict[str, str]) -> None:
    # Team and worker are opaque ids a report groups by; a row with neither says nothing a case can hold.
    team, worker = row.get("invo_professional_team", ""), row.get("invo_professional_id", "")
    if not team and not worker:
        extract.unmapped.add(INVOLVEMENTS, "*", "neither a team nor a worker: nothing to map")
        return
    person = row.get("invo_person_id", "")
    extract.store.add(
        INVOLVEMENTS,
        person,
        Involvement(
            line,
            person,
            team,
            worker,
            cells.date(row, "invo_involvement_start_date"),
            cells.date(row, "invo_involvement_end_date"),
        ),
    )


def _conference_flag(raw: str, cells: _Cells) -> bool | None:
    """CP_CONFERENCE_FLAG from ``s47e_s47_outcome_json``; the rest of the JSON is counted as not mapped."""
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        cells.tally.add(cells.table, "s47e_s47_outcome_json", UNREADABLE_JSON)
        return None
    cells.tally.add(cells.table, "s47e_s47_outcome_json", _JSON_PARTLY)
    for key, value in data.items():
        if str(key).upper() == "CP_CONFERENCE_FLAG":
            flag = parse_flag(str(value)) if value not in (None, "") else None
            if flag is None and value not in (None, ""):
                cells.tally.add(cells.table, "s47e_s47_outcome_json", UNREADABLE_FLAG)
            return flag
    return None


__all__ = [
    "SsdError",
    "parse_datetime",
    "parse_flag",
    "read_extract",
]
