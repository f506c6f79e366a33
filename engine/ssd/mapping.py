"""Read a Standard Safeguarding Dataset (SSD) extract and map it onto cpc's case format.

An SSD extract is a folder with one CSV file per table (``ssd_person.csv``, ``ssd_cp_plans.csv``, …), as the
data-to-insight SSD model names them. This module reads the six tables that carry conference facts, joins them
per child (person → s47 enquiry → initial conference → child protection plan → reviews, and the child in need
plan that followed the plan) and yields one case per child in the format of ``docs/case-format.md``. The field
by field mapping is :data:`FIELDS` and is documented in ``docs/ssd.md``.

Nothing is dropped without a count. Every column that does not reach a case, every value that cannot be read
and every row that cannot be joined is tallied per (table, field, reason) in an :class:`Unmapped`, and records
that contradict each other become a :class:`DataWarning` on the child's case rather than an error.

Memory stays flat however large the extract: each mapped table is streamed once and its parsed rows (dates
and flags, keyed by person and line) go into a private temporary SQLite database on disk, which SQLite deletes
when the extract is closed; other tables are only counted. Cases are then built one child at a time, reading each
table's rows back in person order. Nothing here prints or stores a name or any free text: the outcome JSON is
read for one flag, and warnings and tallies name tables, fields and ids only.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from engine.core.calendar import FIRST_YEAR, LAST_YEAR
from engine.core.outfile import file_kind
from engine.policy.yamlload import jsonable

MAX_TABLE_BYTES = 500 * 1024 * 1024
"""A table file larger than this is refused: an authority's extract is a few MB per table."""

PERSON, S47, ICPC, PLANS, REVIEWS, CIN = (
    "ssd_person",
    "ssd_s47_enquiry",
    "ssd_initial_cp_conference",
    "ssd_cp_plans",
    "ssd_cp_reviews",
    "ssd_cin_plans",
)
MAPPED_TABLES = (PERSON, S47, ICPC, PLANS, REVIEWS, CIN)
# Read when the extract has it, and never reported missing: it gives a case its team and worker, which no rule
# needs (`cpc report --by team`).
INVOLVEMENTS = "ssd_involvements"
OPTIONAL_TABLES = (INVOLVEMENTS,)
READ_TABLES = (*MAPPED_TABLES, *OPTIONAL_TABLES)

# Reasons a row or a value does not reach a case; the strings are what the report prints.
TABLE_NOT_MAPPED = "table not mapped: no case field comes from it"
UNKNOWN_COLUMN = "column not in the SSD fields cpc maps"
DUPLICATE_COLUMN = "column repeated in the header: the first is read"
EXTRA_CELLS = "row has more cells than the header: the extra cells are ignored"
MERGED_LINES = (
    "lines merged into one row by a quote that opens in one line and closes in a later one (a stray quote?): not read"
)
UNREADABLE_DATE = "value is not a date (YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS], or DD/MM/YYYY)"
OUT_OF_RANGE_DATE = f"date outside {FIRST_YEAR}-{LAST_YEAR}, the years whose bank holidays are known"
TIME_IGNORED = "time of day ignored: the case records the date"
UNREADABLE_FLAG = "value is not a Y/N flag"
UNKNOWN_CATEGORY = "not one of Neglect, Physical abuse, Emotional abuse, Sexual abuse, Multiple"
UNREADABLE_JSON = "value is not a JSON object"
BLANK_ID = "blank id: the row cannot be joined"
MAX_ID_CHARS = 200
"""An id longer than this is no system's id (a pasted cell, a runaway export): its row is counted, not read."""
LONG_ID = f"id longer than {MAX_ID_CHARS} characters: the row is not read"
DUPLICATE_ID = "id repeated: only the first row with it is read"
UNKNOWN_PERSON = "person id not in ssd_person"
BLANK_PERSON = "blank person id: the row cannot be joined"
UNKNOWN_PLAN = "plan id not in ssd_cp_plans"
PLAN_NOT_MAPPED = "its plan was not mapped (its person is not in ssd_person)"
OTHER_PERSONS_RECORD = "links to a record of another person, or to none of this person's: link ignored"
EARLIER_EPISODE = "an earlier episode: the case holds the child's latest"
NO_CONFERENCE = "no initial conference followed the enquiry, and none is flagged as due"
NOT_STEP_DOWN = "not the child in need plan that followed the case's plan"
NOT_CURRENT_INVOLVEMENT = "not the child's current involvement: the case holds the latest"
NO_CP_RECORDS = "the child has no conference, no plan and no enquiry leading to one: no case"
CATEGORY_WITHOUT_CONFERENCE = "the plan has no initial conference whose outcome could carry the category"


@dataclass(frozen=True, slots=True)
class FieldMap:
    """How one SSD field reaches (or does not reach) a case.

    ``role`` is ``case`` (a case field), ``join`` (links rows), ``derive`` (decides a case field's value),
    ``recorded`` (the source system's own due date, compared by ``cpc reconcile``) or ``unmapped``.
    """

    table: str
    field: str
    role: str
    case_field: str
    note: str


FIELDS: tuple[FieldMap, ...] = (
    FieldMap(PERSON, "pers_person_id", "case", "id", "the case's id, as the source system has it"),
    FieldMap(PERSON, "pers_dob", "case", "child.date_of_birth", "a child born after a conference was unborn at it"),
    FieldMap(
        PERSON,
        "pers_expected_dob",
        "case",
        "child.expected_date_of_birth",
        "only when there is no pers_dob, so only an unborn child's case has `pregnancy_start`",
    ),
    FieldMap(
        PERSON,
        "pers_death_date",
        "unmapped",
        "",
        "the case format has no date of death",
    ),
    FieldMap(S47, "s47e_s47_enquiry_id", "join", "", "joined from icpc_s47_enquiry_id"),
    FieldMap(S47, "s47e_person_id", "join", "", "joins the enquiry to the child"),
    FieldMap(
        S47,
        "s47e_s47_start_date",
        "case",
        "s47.strategy_discussion",
        "of the enquiry that led to the case's conference",
    ),
    FieldMap(
        S47, "s47e_s47_end_date", "unmapped", "", "no rule counts from it; an enquiry with no conference gives no case"
    ),
    FieldMap(
        S47,
        "s47e_s47_nfa",
        "derive",
        "",
        "an enquiry with no conference becomes a case only if it is not NFA and CP_CONFERENCE_FLAG is Y",
    ),
    FieldMap(
        S47,
        "s47e_s47_outcome_json",
        "derive",
        "",
        "only CP_CONFERENCE_FLAG is read, as for s47e_s47_nfa; the rest is counted as not mapped",
    ),
    FieldMap(ICPC, "icpc_icpc_id", "case", "conferences[].id", "as `icpc-<id>`"),
    FieldMap(ICPC, "icpc_s47_enquiry_id", "join", "", "the enquiry whose strategy discussion starts the clock"),
    FieldMap(ICPC, "icpc_person_id", "join", "", "joins the conference to the child"),
    FieldMap(ICPC, "icpc_cp_plan_id", "join", "", "the plan the conference made (when cppl_icpc_id is blank)"),
    FieldMap(
        ICPC, "icpc_icpc_transfer_in", "derive", "conferences[].type", "Y: `transfer_in`; else `pre_birth` or `initial`"
    ),
    FieldMap(
        ICPC,
        "icpc_icpc_target_date",
        "recorded",
        "",
        "the system's own due date, compared with cpc's `icpc-timescale` by `cpc reconcile`",
    ),
    FieldMap(ICPC, "icpc_icpc_date", "case", "conferences[].date", "blank: `held: false`, no date"),
    FieldMap(ICPC, "icpc_icpc_outcome_cp_flag", "case", "conferences[].outcome.plan", "Y: true, N: false"),
    FieldMap(
        ICPC,
        "icpc_icpc_outcome_json",
        "unmapped",
        "",
        "its CP_FLAG repeats icpc_icpc_outcome_cp_flag; the rest has no case field",
    ),
    FieldMap(PLANS, "cppl_cp_plan_id", "join", "", "joined from icpc_cp_plan_id and cppr_cp_plan_id"),
    FieldMap(PLANS, "cppl_icpc_id", "join", "", "the conference that made the plan"),
    FieldMap(PLANS, "cppl_person_id", "join", "", "joins the plan to the child"),
    FieldMap(
        PLANS,
        "cppl_cp_plan_start_date",
        "case",
        "plan.start",
        "of the plan the case's conference made; the child's plans that started before it are `plan.previous_plans`",
    ),
    FieldMap(PLANS, "cppl_cp_plan_end_date", "case", "plan.end", "also picks the step-down CIN plan"),
    FieldMap(
        PLANS,
        "cppl_cp_plan_initial_category",
        "case",
        "conferences[].outcome.category",
        "on the initial conference whose outcome is a plan",
    ),
    FieldMap(
        PLANS,
        "cppl_cp_plan_latest_category",
        "unmapped",
        "",
        "the extract does not say which review changed the category",
    ),
    FieldMap(PLANS, "cppl_cp_plan_ola", "unmapped", "", "the case format has no field for another authority's plan"),
    FieldMap(REVIEWS, "cppr_cp_review_id", "case", "conferences[].id", "as `review-<id>`, type `review`"),
    FieldMap(REVIEWS, "cppr_cp_plan_id", "join", "", "joins the review to its plan, and so to the child"),
    FieldMap(
        REVIEWS,
        "cppr_cp_review_due",
        "recorded",
        "",
        "the system's own due date, compared with cpc's `first-review-timescale` or `review-interval`",
    ),
    FieldMap(REVIEWS, "cppr_cp_review_date", "case", "conferences[].date", "blank: `held: false`, no date"),
    FieldMap(
        REVIEWS, "cppr_cp_review_outcome", "case", "conferences[].outcome.plan", "plan to continue: Y true, N false"
    ),
    FieldMap(REVIEWS, "cppr_cp_review_quorate", "case", "conferences[].quorate", "Y: true, N: false"),
    FieldMap(
        REVIEWS,
        "cppr_cp_review_participation",
        "unmapped",
        "",
        "the case format has no field for the PN0-PN7 codes",
    ),
    FieldMap(CIN, "cinp_cin_plan_id", "join", "", "identifies the row"),
    FieldMap(CIN, "cinp_person_id", "join", "", "joins the plan to the child"),
    FieldMap(
        CIN, "cinp_cin_plan_start", "case", "step_down.cin_plan_start", "the first that starts on or after plan.end"
    ),
    FieldMap(CIN, "cinp_cin_plan_end", "case", "step_down.cin_plan_end", "of that plan"),
    FieldMap(INVOLVEMENTS, "invo_involvements_id", "join", "", "identifies the row"),
    FieldMap(INVOLVEMENTS, "invo_person_id", "join", "", "joins the involvement to the child"),
    FieldMap(
        INVOLVEMENTS,
        "invo_professional_team",
        "case",
        "team",
        "of the child's current involvement: the latest started of those not ended, else the latest ended",
    ),
    FieldMap(INVOLVEMENTS, "invo_professional_id", "case", "worker", "of that involvement"),
    FieldMap(
        INVOLVEMENTS,
        "invo_involvement_start_date",
        "derive",
        "team",
        "picks the current involvement, with the end date",
    ),
    FieldMap(INVOLVEMENTS, "invo_involvement_end_date", "derive", "team", "picks the current involvement"),
    FieldMap(INVOLVEMENTS, "invo_professional_role_id", "unmapped", "", "the case format has no role of a worker"),
    FieldMap(INVOLVEMENTS, "invo_worker_change_reason", "unmapped", "", "the case format has no field for it"),
    FieldMap(INVOLVEMENTS, "invo_referral_id", "unmapped", "", "the case format has no referral"),
)


def mapping_markdown() -> str:
    """The mapping of every SSD field as the Markdown table ``docs/ssd.md`` shows (and a test compares)."""
    lines = ["| SSD table | SSD field | case field | how |", "| --- | --- | --- | --- |"]
    for f in FIELDS:
        if f.role == "case":
            target = f"`{f.case_field}`"
        elif f.role == "derive":
            target = f"derives `{f.case_field}`" if f.case_field else "derives which enquiry is a case"
        else:
            target = {"join": "used to join", "recorded": "not in the case", "unmapped": "not mapped"}[f.role]
        lines.append(f"| `{f.table}` | `{f.field}` | {target} | {f.note} |")
    return "\n".join(lines) + "\n"


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


@dataclass(frozen=True, slots=True)
class DataWarning:
    """Records of one child that contradict each other; the case is still written. Names ids only."""

    kind: str
    message: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "message": self.message}


WARNING_KINDS: dict[str, str] = {
    "two_open_plans": "more than one child protection plan without an end date; the case holds the latest",
    "plan_without_icpc": "a plan no initial conference is linked to",
    "no_strategy_discussion": "an initial conference not linked to an s47 enquiry: icpc-timescale cannot be computed",
    "conference_before_strategy_discussion": "the initial conference is dated before the strategy discussion",
    "plan_starts_before_conference": "the plan starts before the conference that made it",
    "plan_ends_before_it_starts": "the plan's end date is before its start date",
    "review_before_plan_start": "a review conference is dated before the plan started",
    "review_after_plan_end": "a review conference is dated after the plan ended",
    "outcome_contradicts_plan": "the initial conference's outcome is no plan, but a plan is linked to it",
    "dob_and_expected_dob": "both a date of birth and an expected date of birth (the SSD allows one)",
}


class Unmapped:
    """Rows that did not reach a case, per (table, field, reason); ``field`` is ``*`` for a whole row."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()

    def add(self, table: str, field_name: str, reason: str, rows: int = 1) -> None:
        if rows:
            self.counts[(table, field_name, reason)] += rows

    def update(self, other: Unmapped) -> None:
        self.counts.update(other.counts)

    def total(self) -> int:
        return sum(self.counts.values())

    def to_list(self) -> list[dict]:
        """One entry per (table, field, reason), in table order then field, as the report prints them."""
        order = {t: i for i, t in enumerate(READ_TABLES)}
        keys = sorted(self.counts, key=lambda k: (order.get(k[0], len(order)), k[0], k[1] != "*", k[1], k[2]))
        return [{"table": t, "field": f, "reason": r, "rows": self.counts[(t, f, r)]} for t, f, r in keys]


# -- rows --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Person:
    line: int
    id: str
    dob: dt.date | None
    expected_dob: dt.date | None


@dataclass(slots=True)
class Enquiry:
    line: int
    id: str
    person: str
    start: dt.date | None
    nfa: bool | None
    conference_flag: bool | None


@dataclass(slots=True)
class Conference:
    line: int
    id: str
    person: str
    enquiry: str
    plan: str
    transfer_in: bool | None
    target: dt.date | None
    target_unreadable: bool
    date: dt.date | None
    outcome_plan: bool | None


@dataclass(slots=True)
class Plan:
    line: int
    id: str
    person: str
    conference: str
    start: dt.date | None
    end: dt.date | None
    category: str | None


@dataclass(slots=True)
class Review:
    line: int
    id: str
    plan: str
    due: dt.date | None
    due_unreadable: bool
    date: dt.date | None
    outcome: bool | None
    quorate: bool | None


@dataclass(slots=True)
class CinPlan:
    line: int
    id: str
    person: str
    start: dt.date | None
    end: dt.date | None


@dataclass(slots=True)
class Involvement:
    line: int
    person: str
    team: str
    worker: str
    start: dt.date | None
    end: dt.date | None


def id_sort_key(pid: str) -> bytes:
    """The order of a person's (or any SSD record's) ids: numeric ids in number order (the usual SSD id), others
    after them in text order, deterministic either way.

    Bytes, so that SQLite (which compares blobs as bytes) sorts the import's store in the same order Python does.
    Compared as digit strings, not int(): `²³` is a digit to str.isdigit but not to int(), and int() refuses ids of
    thousands of digits. Without leading zeros, a longer run of ASCII digits is the larger number; of equal
    lengths, comparing digits then id is comparing their concatenation.
    """
    if pid.isascii() and pid.isdigit():
        digits = pid.lstrip("0")
        return b"\x00" + len(digits).to_bytes(8, "big") + digits.encode() + pid.encode()
    # UTF-8 bytes sort as the code points do.
    return b"\x01" + pid.encode("utf-8", "surrogatepass")


# How each row's fields are stored: i(nt), s(tring), d(ate, as its ordinal), b(ool, as 0/1), NULL for None.
_CODECS: dict[str, tuple[type, str, bool]] = {}


def _define(table: str, cls: type, kinds: str, unique: bool) -> None:
    """How ``table``'s rows are stored: as ``cls``, field by field as ``kinds`` says; ``unique``: by id."""
    _CODECS[table] = (cls, kinds, unique)


_STORED = {
    PERSON: "person",
    S47: "s47",
    ICPC: "icpc",
    PLANS: "plans",
    REVIEWS: "reviews",
    CIN: "cin",
    INVOLVEMENTS: "invo",
}


def _encode(kinds: str, values: tuple) -> tuple:
    out = []
    for kind, value in zip(kinds, values, strict=True):
        if value is None:
            out.append(None)
        elif kind == "d":
            out.append(value.toordinal())
        elif kind == "b":
            out.append(1 if value else 0)
        else:
            out.append(value)
    return tuple(out)


def _decoder(cls: type, kinds: str):
    def decode(values: tuple):
        return cls(
            *(
                None
                if value is None
                else dt.date.fromordinal(value)
                if kind == "d"
                else bool(value)
                if kind == "b"
                else value
                for kind, value in zip(kinds, values, strict=True)
            )
        )

    return decode


class _Store:
    """The parsed rows of the mapped tables, in a private temporary SQLite database on disk.

    Rows are keyed by the person's sort key (:func:`id_sort_key`, NULL for a blank person id) and their line, so
    that a child's rows of every table can be read back in person order, one child at a time, in line order.
    """

    def __init__(self) -> None:
        # "": a private on-disk database SQLite deletes when the connection closes; only its page cache is in memory.
        self.db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-8000", "temp_store=FILE"):
            self.db.execute(f"PRAGMA {pragma}")
        self.counts: dict[str, int] = {}
        self._insert: dict[str, str] = {}
        for table, (_, kinds, unique) in _CODECS.items():
            name = _STORED[table]
            columns = [f"c{i}" for i in range(len(kinds))]
            # Untyped columns keep values as given: an id "123" stays text.
            if unique:
                columns[1] = "c1 PRIMARY KEY"
            self.db.execute(f"CREATE TABLE {name} (k, {', '.join(columns)})")
            marks = ", ".join("?" * (len(kinds) + 1))
            verb = "INSERT OR IGNORE" if unique else "INSERT"
            self._insert[table] = f"{verb} INTO {name} VALUES ({marks})"
            self.counts[table] = 0
        self.db.execute("BEGIN")

    def add(self, table: str, person: str | None, row: object) -> bool:
        """Store a row; False (and nothing stored) if its table's ids are unique and its id is already stored."""
        _, kinds, _ = _CODECS[table]
        values = _encode(kinds, tuple(getattr(row, f) for f in row.__slots__))
        key = id_sort_key(person) if person else None
        stored = self.db.execute(self._insert[table], (key, *values)).rowcount == 1
        self.counts[table] += stored
        return stored

    def done(self) -> None:
        """End the reading: index the rows the way the children read them back, so no query needs a sort (each
        sort would hold up to the cache's size in memory)."""
        for table in (S47, ICPC, PLANS, CIN, INVOLVEMENTS, PERSON):
            name = _STORED[table]
            self.db.execute(f"CREATE INDEX {name}_by_person ON {name} (k, c0)")
        self.db.execute("CREATE INDEX plans_by_person_id ON plans (k, c1)")
        self.db.execute("CREATE INDEX reviews_by_plan ON reviews (c2, c0)")
        self.db.execute("COMMIT")

    def scalar(self, sql: str, *args: object) -> int:
        return self.db.execute(sql, args).fetchone()[0]

    def rows(self, table: str, where: str = "", order: str = "c0", args: tuple = ()) -> Iterator[tuple]:
        """``(key, decoded row)`` of a table, in ``order``."""
        cls, kinds, _ = _CODECS[table]
        decode = _decoder(cls, kinds)
        columns = ", ".join(f"c{i}" for i in range(len(kinds)))
        sql = f"SELECT k, {columns} FROM {_STORED[table]} {where} ORDER BY {order}"
        for key, *values in self.db.execute(sql, args):
            yield key, decode(tuple(values))

    def close(self) -> None:
        self.db.close()


_define(PERSON, Person, "isdd", True)
_define(S47, Enquiry, "issdbb", True)
_define(ICPC, Conference, "issssbdbdb", True)
_define(PLANS, Plan, "isssdds", True)
_define(REVIEWS, Review, "issdbdbb", True)
_define(CIN, CinPlan, "issdd", False)
_define(INVOLVEMENTS, Involvement, "isssdd", False)


class _Persons(Mapping):
    """``Extract.persons``: the persons read, by id, in line order, read from the store."""

    def __init__(self, store: _Store) -> None:
        self._store = store

    def __getitem__(self, pid: str) -> Person:
        found = list(self._store.rows(PERSON, "WHERE c1 = ?", args=(pid,)))
        if not found:
            raise KeyError(pid)
        return found[0][1]

    def __iter__(self) -> Iterator[str]:
        return (person.id for _, person in self._store.rows(PERSON))

    def __len__(self) -> int:
        return self._store.counts[PERSON]


@dataclass
class Extract:
    """The mapped tables of an extract, read and parsed; made by :func:`read_extract`.

    ``files`` names the file each table was read from, ``rows`` how many data rows each had (other tables
    included), ``missing`` the mapped tables the folder does not have, ``unmapped`` what reading could not
    map (other tables, other columns, unreadable values, duplicate ids). The parsed rows are in ``store``, on
    disk; ``persons`` reads them as a mapping.
    """

    folder: Path
    files: dict[str, str] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    other_tables: list[str] = field(default_factory=list)
    unmapped: Unmapped = field(default_factory=Unmapped)
    store: _Store = field(default_factory=_Store)

    @property
    def persons(self) -> Mapping[str, Person]:
        return _Persons(self.store)

    def stored(self, table: str) -> int:
        """How many rows of a mapped table were read and kept (not blank, long or repeated ids)."""
        return self.store.counts[table]

    def source(self, table: str, line: int) -> str:
        """``folder/file:line`` for a row, the way batch mode names a JSON Lines record."""
        return f"{self.folder / self.files.get(table, table + '.csv')}:{line}"

    def most_cases(self) -> int:
        """At most how many cases :func:`iter_cases` yields, known without joining: a case needs an enquiry,
        a conference or a plan of its own, and with ``ssd_person`` it is one of its persons."""
        counts = self.store.counts
        bound = counts[S47] + counts[ICPC] + counts[PLANS]
        return bound if PERSON in self.missing else min(bound, counts[PERSON])

    def children(self) -> int:
        """How many children :func:`iter_cases` and :func:`iter_episodes` walk (those without child protection
        records included): every person, or without ``ssd_person`` every person id the other tables name."""
        if PERSON not in self.missing:
            return self.store.counts[PERSON]
        return self.store.scalar(f"SELECT count(*) FROM ({_person_ids()})")


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


def current_involvement(involvements: list[Involvement]) -> Involvement | None:
    """The child's current involvement: the latest started of those not ended, else the one that ended last."""
    open_ones = [i for i in involvements if i.end is None]
    if open_ones:
        return max(open_ones, key=lambda i: (i.start or dt.date.min, i.line))
    return max(involvements, key=lambda i: (i.end or dt.date.min, i.line), default=None)


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


# -- joining -----------------------------------------------------------------------------------------------


@dataclass
class _Child:
    id: str
    person: Person | None
    enquiries: list[Enquiry] = field(default_factory=list)
    conferences: list[Conference] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    cin_plans: list[CinPlan] = field(default_factory=list)
    involvements: list[Involvement] = field(default_factory=list)
    reviews: dict[str, list[Review]] = field(default_factory=dict)


@dataclass
class Episode:
    """One run of the procedure for a child: an enquiry, its initial conference, the plan it made.

    A child may have several (an earlier conference that made no plan, a plan that ended and a new one);
    the case of :func:`iter_cases` holds the latest, and :func:`iter_episodes` gives them all.
    """

    enquiry: Enquiry | None
    conference: Conference | None
    plan: Plan | None

    def anchor(self) -> dt.date:
        for value in (
            self.conference and (self.conference.date or self.conference.target),
            self.plan and self.plan.start,
            self.enquiry and self.enquiry.start,
        ):
            if value:
                return value
        return dt.date.min

    def key(self) -> tuple:
        ids = (self.conference.id if self.conference else "", self.plan.id if self.plan else "")
        return (self.anchor(), *ids)


@dataclass(frozen=True, slots=True)
class RecordedDue:
    """A due date the source system recorded, for ``cpc reconcile`` to compare with cpc's own.

    ``kind`` is ``icpc_target`` or ``review_due``; ``record`` is the conference's id in the case;
    ``theirs`` the recorded date (None when blank or unreadable, see ``unreadable``); ``held_on`` the date
    the conference was held, if it was; ``transfer_in`` for a transfer-in initial conference.
    """

    kind: str
    record: str
    theirs: dt.date | None
    held_on: dt.date | None
    unreadable: bool = False
    transfer_in: bool = False


@dataclass(frozen=True, slots=True)
class MappedCase:
    """One case in cpc's case format (dates as ISO strings), with what the mapping noticed about it.

    ``source`` is ``folder/file:line`` of the child's row, and ``line`` that line; ``recorded`` the source
    system's due dates for the conferences in the case; ``parsed`` the same case with ``datetime.date``
    values, as :func:`engine.evaluation.case_files.read_case` would return it once validated.
    """

    case: dict
    warnings: tuple[DataWarning, ...]
    source: str
    recorded: tuple[RecordedDue, ...] = ()
    parsed: dict | None = field(default=None, repr=False, compare=False)
    line: int = 0

    @property
    def id(self) -> str:
        return str(self.case["id"])


class _Merge:
    """Walks ``(key, row)`` pairs sorted by key alongside the children, handing each child its rows."""

    def __init__(self, pairs: Iterator[tuple]) -> None:
        self._pairs = pairs
        self._next = next(pairs, None)

    def take(self, key: bytes) -> list:
        found = []
        # Rows of persons that are not children (unknown ids, counted when joining) sort between them: skipped.
        while self._next is not None and self._next[0] < key:
            self._next = next(self._pairs, None)
        while self._next is not None and self._next[0] == key:
            found.append(self._next[1])
            self._next = next(self._pairs, None)
        return found


_JOINED = (S47, ICPC, PLANS, CIN, INVOLVEMENTS)
# The stored column that holds the row's person id.
_PERSON_COLUMN = {S47: "c2", ICPC: "c2", PLANS: "c2", CIN: "c2", INVOLVEMENTS: "c1"}


def _children(extract: Extract, tally: Unmapped) -> Iterator[_Child]:
    """Every child with rows in the mapped tables, joined, in person id order; rows that cannot be joined are
    tallied when this is called. The children are then read from the store one at a time."""
    store = extract.store
    have_persons = PERSON not in extract.missing
    for table in _JOINED:
        name = _STORED[table]
        known = f"EXISTS (SELECT 1 FROM person p WHERE p.c1 = t.{_PERSON_COLUMN[table]})"
        tally.add(table, "*", BLANK_PERSON, store.scalar(f"SELECT count(*) FROM {name} WHERE k IS NULL"))
        if have_persons:
            unknown = store.scalar(f"SELECT count(*) FROM {name} t WHERE k IS NOT NULL AND NOT {known}")
            tally.add(table, "*", UNKNOWN_PERSON, unknown)
    # A plan is dropped when its person is blank or, with ssd_person, not in it.
    known = "EXISTS (SELECT 1 FROM person p WHERE p.c1 = t.c2)"
    dropped = "t.k IS NULL" + (f" OR NOT {known}" if have_persons else "")
    tally.add(
        REVIEWS,
        "*",
        PLAN_NOT_MAPPED,
        store.scalar(f"SELECT count(*) FROM reviews r JOIN plans t ON t.c1 = r.c2 WHERE {dropped}"),
    )
    tally.add(
        REVIEWS,
        "*",
        UNKNOWN_PLAN,
        store.scalar("SELECT count(*) FROM reviews r WHERE NOT EXISTS (SELECT 1 FROM plans t WHERE t.c1 = r.c2)"),
    )
    return _read_children(extract)


def _person_ids() -> str:
    """The query of every person's sort key and id that a joined table names, once each."""
    return " UNION ".join(
        f"SELECT k, {_PERSON_COLUMN[t]} AS pid FROM {_STORED[t]} WHERE k IS NOT NULL" for t in _JOINED
    )


def _read_children(extract: Extract) -> Iterator[_Child]:
    store = extract.store
    if PERSON not in extract.missing:
        persons: Iterator[tuple[bytes, str, Person | None]] = (
            (key, person.id, person) for key, person in store.rows(PERSON, order="k")
        )
    else:
        ids = store.db.execute(f"SELECT k, pid FROM ({_person_ids()}) ORDER BY k")
        persons = ((key, pid, None) for key, pid in ids)
    merges = {table: _Merge(store.rows(table, "WHERE k IS NOT NULL", "k, c0")) for table in _JOINED}
    _, kinds, _ = _CODECS[REVIEWS]
    decode = _decoder(Review, kinds)
    columns = ", ".join(f"r.c{i}" for i in range(len(kinds)))
    # By child, then plan, then line: the indexes give this order without a sort.
    review_rows = store.db.execute(
        f"SELECT t.k, {columns} FROM reviews r JOIN plans t ON t.c1 = r.c2 "
        "WHERE t.k IS NOT NULL ORDER BY t.k, t.c1, r.c0"
    )
    reviews = _Merge((key, decode(tuple(values))) for key, *values in review_rows)
    for key, pid, person in persons:
        child = _Child(
            pid,
            person,
            merges[S47].take(key),
            merges[ICPC].take(key),
            merges[PLANS].take(key),
            merges[CIN].take(key),
            merges[INVOLVEMENTS].take(key),
        )
        by_plan: dict[str, list[Review]] = {}
        for review in reviews.take(key):
            by_plan.setdefault(review.plan, []).append(review)
        for found in by_plan.values():
            # Held reviews in date order, then the ones not yet held by due date.
            found.sort(key=lambda r: (r.date is None, r.date or r.due or dt.date.max, id_sort_key(r.id)))
        child.reviews = by_plan
        yield child


def _episodes(child: _Child, tally: Unmapped) -> tuple[list[Episode], list[Enquiry], list[DataWarning]]:
    """The child's episodes, oldest first; the enquiries that belong to none; person-level warnings."""
    warnings: list[DataWarning] = []
    conferences = {c.id: c for c in child.conferences}
    plans = {p.id: p for p in child.plans}
    enquiries = {e.id: e for e in child.enquiries}
    plan_of: dict[str, Plan] = {}
    linked_plans: set[str] = set()
    for plan in child.plans:
        if plan.conference and plan.conference in conferences and plan.conference not in plan_of:
            plan_of[plan.conference] = plan
            linked_plans.add(plan.id)
        elif plan.conference:
            tally.add(PLANS, "cppl_icpc_id", OTHER_PERSONS_RECORD)
    for conference in child.conferences:
        if not conference.plan:
            continue
        if conference.id in plan_of:
            if plan_of[conference.id].id != conference.plan:
                tally.add(ICPC, "icpc_cp_plan_id", OTHER_PERSONS_RECORD)
        elif conference.plan in plans and conference.plan not in linked_plans:
            plan_of[conference.id] = plans[conference.plan]
            linked_plans.add(conference.plan)
        else:
            tally.add(ICPC, "icpc_cp_plan_id", OTHER_PERSONS_RECORD)

    episodes: list[Episode] = []
    used_enquiries: set[str] = set()
    for conference in child.conferences:
        enquiry = None
        if conference.enquiry:
            enquiry = enquiries.get(conference.enquiry)
            if enquiry is None:
                tally.add(ICPC, "icpc_s47_enquiry_id", OTHER_PERSONS_RECORD)
            else:
                used_enquiries.add(enquiry.id)
        episodes.append(Episode(enquiry, conference, plan_of.get(conference.id)))
    for plan in child.plans:
        if plan.id not in linked_plans:
            episodes.append(Episode(None, None, plan))
    latest_anchor = max((e.anchor() for e in episodes), default=dt.date.min)
    leftover = [e for e in child.enquiries if e.id not in used_enquiries]
    # An enquiry whose conference is decided but not yet held is a case: its 15 working days are running.
    due = [
        e
        for e in leftover
        if e.conference_flag is True and e.nfa is not True and e.start is not None and e.start > latest_anchor
    ]
    if due:
        pending = max(due, key=lambda e: (e.start, id_sort_key(e.id)))
        episodes.append(Episode(pending, None, None))
        leftover = [e for e in leftover if e is not pending]
    episodes.sort(key=Episode.key)

    open_plans = [p for p in child.plans if p.start is not None and p.end is None]
    if len(open_plans) > 1:
        ids = ", ".join(sorted(p.id for p in open_plans))
        warnings.append(
            DataWarning("two_open_plans", f"plans {ids} are all open; the case holds the one that started last")
        )
    person = child.person
    if person and person.dob and person.expected_dob:
        warnings.append(DataWarning("dob_and_expected_dob", f"person {child.id} has both; the date of birth is used"))
    return episodes, leftover, warnings


def _conference_type(conference: Conference, person: Person | None) -> str:
    if conference.transfer_in:
        return "transfer_in"
    if person is not None:
        if person.dob is not None:
            if conference.date is not None and person.dob > conference.date:
                return "pre_birth"
        elif person.expected_dob is not None:
            return "pre_birth"
    return "initial"


def _build(
    child: _Child,
    episode: Episode,
    reviews: list[Review],
    warnings: list[DataWarning],
    tally: Unmapped | None,
) -> tuple[dict, list[CinPlan], tuple[RecordedDue, ...]]:
    """The case for one episode (dates as ``date``, as :func:`engine.evaluation.case_files.read_case` gives
    them), the CIN plan it used, and the due dates the source recorded for it."""
    case: dict = {"id": child.id}
    current = current_involvement(child.involvements)
    if current is not None:
        case.update({k: v for k, v in (("team", current.team), ("worker", current.worker)) if v})
    person = child.person
    if person is not None:
        born = {}
        if person.dob is not None:
            born["date_of_birth"] = person.dob
        elif person.expected_dob is not None:
            born["expected_date_of_birth"] = person.expected_dob
        if born:
            case["child"] = born
    enquiry, conference, plan = episode.enquiry, episode.conference, episode.plan
    if enquiry is not None and enquiry.start is not None:
        case["s47"] = {"strategy_discussion": enquiry.start}
    conferences: list[dict] = []
    recorded: list[RecordedDue] = []
    if conference is not None:
        cid = f"icpc-{conference.id}"
        entry: dict = {"id": cid, "type": _conference_type(conference, person)}
        if conference.date is not None:
            entry["date"] = conference.date
        else:
            entry["held"] = False
        outcome: dict = {}
        if conference.outcome_plan is not None:
            outcome["plan"] = conference.outcome_plan
        if plan is not None and plan.category is not None:
            if conference.outcome_plan is True:
                outcome["category"] = plan.category
            elif tally is not None:
                tally.add(PLANS, "cppl_cp_plan_initial_category", CATEGORY_WITHOUT_CONFERENCE)
        if outcome:
            entry["outcome"] = outcome
        conferences.append(entry)
        recorded.append(
            RecordedDue(
                "icpc_target",
                cid,
                conference.target,
                conference.date,
                conference.target_unreadable,
                entry["type"] == "transfer_in",
            )
        )
        if enquiry is None and entry["type"] != "transfer_in":
            warnings.append(
                DataWarning("no_strategy_discussion", f"conference {cid} is linked to no s47 enquiry of the child")
            )
        if enquiry and enquiry.start and conference.date and conference.date < enquiry.start:
            warnings.append(
                DataWarning(
                    "conference_before_strategy_discussion",
                    f"conference {cid} is dated before the strategy discussion of enquiry {enquiry.id}",
                )
            )
        if plan is not None and conference.outcome_plan is False:
            warnings.append(
                DataWarning(
                    "outcome_contradicts_plan", f"conference {cid} made no plan, yet plan {plan.id} links to it"
                )
            )
        if plan and plan.start and conference.date and plan.start < conference.date:
            warnings.append(
                DataWarning(
                    "plan_starts_before_conference", f"plan {plan.id} starts before conference {cid} that made it"
                )
            )
    elif plan is not None:
        warnings.append(DataWarning("plan_without_icpc", f"plan {plan.id} has no initial conference linked to it"))
        if plan.category is not None and tally is not None:
            tally.add(PLANS, "cppl_cp_plan_initial_category", CATEGORY_WITHOUT_CONFERENCE)
    for review in reviews:
        rid = f"review-{review.id}"
        entry = {"id": rid, "type": "review"}
        if review.date is not None:
            entry["date"] = review.date
        else:
            entry["held"] = False
        if review.quorate is not None:
            entry["quorate"] = review.quorate
        if review.outcome is not None:
            entry["outcome"] = {"plan": review.outcome}
        conferences.append(entry)
        recorded.append(RecordedDue("review_due", rid, review.due, review.date, review.due_unreadable))
        if plan and plan.start and review.date and review.date < plan.start:
            warnings.append(
                DataWarning("review_before_plan_start", f"review {rid} is dated before plan {plan.id} started")
            )
        if plan and plan.end and review.date and review.date > plan.end:
            warnings.append(DataWarning("review_after_plan_end", f"review {rid} is dated after plan {plan.id} ended"))
    if conferences:
        case["conferences"] = conferences
    used: list[CinPlan] = []
    if plan is not None:
        block = {k: v for k, v in (("start", plan.start), ("end", plan.end)) if v is not None}
        if plan.start is not None:
            # The census counts second and later plans: the child's plans that started before this one.
            block["previous_plans"] = sum(
                1 for p in child.plans if p is not plan and p.start is not None and p.start < plan.start
            )
        if block:
            case["plan"] = block
        if plan.start and plan.end and plan.end < plan.start:
            warnings.append(DataWarning("plan_ends_before_it_starts", f"plan {plan.id} ends before it starts"))
        if plan.end is not None:
            after = [c for c in child.cin_plans if c.start is not None and c.start >= plan.end]
            if after:
                step = min(after, key=lambda c: (c.start, id_sort_key(c.id)))
                used.append(step)
                case["step_down"] = {k: v for k, v in (("cin_plan_start", step.start), ("cin_plan_end", step.end)) if v}
    return case, used, tuple(recorded)


def _mapped(
    extract: Extract, child: _Child, episode: Episode, case: dict, warnings: list, recorded: tuple
) -> MappedCase:
    source, line = _source(extract, child, episode)
    names = _not_recorded(tuple(sorted(extract.missing)))
    if "expected_date_of_birth" in case.get("child", {}):
        names = tuple(n for n in names if n not in RECORDED_WHILE_UNBORN)
    case["coverage"] = {"source": "ssd", "not_recorded": list(names)}
    return MappedCase(jsonable(case), tuple(warnings), source, recorded, case, line)


def _source(extract: Extract, child: _Child, episode: Episode) -> tuple[str, int]:
    """The row that names the child, and its line: the person's, else the episode's first record's."""
    for table, row in (
        (PERSON, child.person),
        (ICPC, episode.conference),
        (PLANS, episode.plan),
        (S47, episode.enquiry),
    ):
        if row is not None:
            return extract.source(table, row.line), row.line
    return f"{extract.folder}:{child.id}", 0  # pragma: no cover - an episode has at least one record


@dataclass
class ImportReport:
    """What an import read, wrote and could not map; filled in by :func:`iter_cases` as it goes."""

    folder: str = ""
    files: dict[str, str] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    other_tables: list[str] = field(default_factory=list)
    persons: int = 0
    cases: int = 0
    without_records: int = 0
    warnings: Counter[str] = field(default_factory=Counter)
    case_warnings: list[tuple[str, tuple[DataWarning, ...]]] = field(default_factory=list)
    unmapped: Unmapped = field(default_factory=Unmapped)

    def to_dict(self) -> dict:
        """The report as JSON-able data (``--report FILE``): counts, ids and field names, never values."""
        return {
            "folder": self.folder,
            "tables": {
                name: {"file": self.files[name], "rows": self.rows.get(name, 0)}
                for name in (*READ_TABLES, *self.other_tables)
                if name in self.files
            },
            "missing_tables": list(self.missing),
            "other_tables": list(self.other_tables),
            "persons": self.persons,
            "cases": self.cases,
            "persons_without_cp_records": self.without_records,
            "warnings": dict(sorted(self.warnings.items())),
            "case_warnings": [
                {"case": case_id, "warnings": [w.to_dict() for w in found]} for case_id, found in self.case_warnings
            ],
            "unmapped": self.unmapped.to_list(),
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as the JSON text of the ``--report`` file, ending in a newline."""
        return json.dumps(self.to_dict(), indent=2) + "\n"


def _tally_episode_rows(episode: Episode, reviews: dict[str, list[Review]], tally: Unmapped) -> None:
    if episode.conference is not None:
        tally.add(ICPC, "*", EARLIER_EPISODE)
    if episode.enquiry is not None:
        tally.add(S47, "*", EARLIER_EPISODE)
    if episode.plan is not None:
        tally.add(PLANS, "*", EARLIER_EPISODE)
        tally.add(REVIEWS, "*", EARLIER_EPISODE, len(reviews.get(episode.plan.id, [])))


def iter_cases(extract: Extract, report: ImportReport | None = None) -> Iterator[MappedCase]:
    """One case per child with child protection records, in person id order: the child's latest episode.

    With ``report``, fills it in as cases are yielded: counts, warnings, and every row or value that did not
    reach a case (the reading tallies of ``extract`` included). A child with none of an s47 enquiry leading
    to a conference, an initial conference or a plan gets no case and is counted.
    """
    if report is not None:
        report.folder = str(extract.folder)
        report.files = dict(extract.files)
        report.rows = dict(extract.rows)
        report.missing = list(extract.missing)
        report.other_tables = list(extract.other_tables)
        report.persons = extract.store.counts[PERSON]
        report.unmapped.update(extract.unmapped)
    joining = Unmapped()
    children = _children(extract, joining)
    if report is not None:
        report.unmapped.update(joining)
    for child in children:
        reviews = child.reviews
        # Counted per child and added once the child is done, so a report is whole when iteration ends.
        tally = Unmapped()
        episodes, leftover, warnings = _episodes(child, tally)
        tally.add(S47, "*", NO_CONFERENCE, len(leftover))
        if not episodes:
            tally.add(CIN, "*", NO_CP_RECORDS, len(child.cin_plans))
            tally.add(INVOLVEMENTS, "*", NO_CP_RECORDS, len(child.involvements))
            if report is not None:
                report.without_records += 1
                report.unmapped.update(tally)
            continue
        *earlier, latest = episodes
        for episode in earlier:
            _tally_episode_rows(episode, reviews, tally)
            # Not in the case, but contradictions in them are still the extract's: report them.
            earlier_reviews = reviews.get(episode.plan.id, []) if episode.plan else []
            _build(child, episode, earlier_reviews, warnings, None)
        plan_reviews = reviews.get(latest.plan.id, []) if latest.plan else []
        case, used, recorded = _build(child, latest, plan_reviews, warnings, tally)
        tally.add(CIN, "*", NOT_STEP_DOWN, len(child.cin_plans) - len(used))
        tally.add(INVOLVEMENTS, "*", NOT_CURRENT_INVOLVEMENT, max(len(child.involvements) - 1, 0))
        mapped = _mapped(extract, child, latest, case, warnings, recorded)
        if report is not None:
            report.cases += 1
            report.warnings.update(w.kind for w in warnings)
            if warnings:
                report.case_warnings.append((mapped.id, mapped.warnings))
            report.unmapped.update(tally)
        yield mapped


def iter_episodes(extract: Extract) -> Iterator[MappedCase]:
    """Every episode of every child as a case, oldest first per child, in person id order.

    ``cpc reconcile`` uses these so that the due dates of earlier episodes (a conference that made no plan,
    a plan that ended before the latest began) are compared too. The case id is the child's in every one.
    """
    for episodes in iter_child_episodes(extract):
        yield from episodes


def iter_child_episodes(extract: Extract) -> Iterator[tuple[MappedCase, ...]]:
    """The episodes of :func:`iter_episodes`, a tuple per child walked (empty for a child with no child
    protection records): :meth:`Extract.children` tuples in all, so that a caller can count its progress."""
    tally = Unmapped()
    children = _children(extract, tally)
    for child in children:
        reviews = child.reviews
        episodes, _, person_warnings = _episodes(child, tally)
        mapped = []
        for episode in episodes:
            warnings = list(person_warnings)
            plan_reviews = reviews.get(episode.plan.id, []) if episode.plan else []
            case, _, recorded = _build(child, episode, plan_reviews, warnings, None)
            mapped.append(_mapped(extract, child, episode, case, warnings, recorded))
        yield tuple(mapped)


def iter_ssd_records(
    folder: str | Path, report: ImportReport | None = None, *, max_table_bytes: int = MAX_TABLE_BYTES
) -> Iterator[tuple[str, dict]]:
    """``(source, case)`` for each child of the SSD extract in ``folder``, for batch evaluation.

    ``case`` is a mapping in cpc's case format with ISO date strings, exactly the line ``cpc import ssd``
    writes for the child; ``source`` is ``folder/ssd_person.csv:LINE``. The extract is read when this is
    called (so :class:`SsdError` is raised here, not on the first ``next``); cases are then built one at a
    time. Pass an :class:`ImportReport` to learn, once iteration ends, what was not mapped and which cases
    carry data-quality warnings.
    """
    extract = read_extract(folder, max_table_bytes=max_table_bytes)
    return ((mapped.source, mapped.case) for mapped in iter_cases(extract, report))


# -- the report as text ------------------------------------------------------------------------------------


def report_text(report: ImportReport, *, written_to: str | None = None, cases: str = "cases written") -> str:
    """The summary ``cpc import ssd`` prints on stderr: tables, counts, warnings by kind, what was not mapped.

    ``cases`` names the count of cases (``cpc eval --from ssd`` writes no cases: it maps them).
    """
    lines: list[str] = []
    read = [t for t in MAPPED_TABLES if t in report.files]
    lines.append(f"read {report.folder}: {len(read)} of {len(MAPPED_TABLES)} SSD tables cpc maps")
    for table in read:
        lines.append(f"  {report.files[table]:<34} {report.rows.get(table, 0):>8} rows")
    for table in OPTIONAL_TABLES:
        if table in report.files:
            lines.append(f"  {report.files[table]:<34} {report.rows.get(table, 0):>8} rows (team and worker)")
    for table in report.missing:
        lines.append(f"  {table + '.csv':<34}  missing: its fields are absent from every case")
    for table in report.other_tables:
        lines.append(f"  {report.files[table]:<34} {report.rows.get(table, 0):>8} rows, not mapped")
    target = f" to {written_to}" if written_to else ""
    lines.append(
        f"persons {report.persons}; {cases} {report.cases}{target}; "
        f"{report.without_records} with no child protection records (no case)"
    )
    if report.warnings:
        lines.append(f"data-quality warnings: {sum(report.warnings.values())} on {len(report.case_warnings)} case(s)")
        for kind, n in sorted(report.warnings.items()):
            lines.append(f"  {kind:<38} {n:>6}  {WARNING_KINDS.get(kind, '')}")
    else:
        lines.append("data-quality warnings: none")
    entries = report.unmapped.to_list()
    if entries:
        lines.append("not mapped (rows, by table, field and reason):")
        for e in entries:
            where = f"{e['table']}.{e['field']}" if e["field"] != "*" else f"{e['table']} (whole rows)"
            lines.append(f"  {where:<52} {e['rows']:>6}  {e['reason']}")
    else:
        lines.append("not mapped: nothing")
    return "\n".join(lines) + "\n"


SSD_EVENTS = frozenset(
    {
        "strategy_discussion",
        "initial_conference",
        "pre_birth_conference",
        "transfer_in_conference",
        "first_conference",
        "review_conference",
        "conference",
        "birth",
        "pregnancy_start",
        "plan_start",
        "plan_end",
        "cin_plan_start",
        "cin_plan_end",
    }
)
"""The events a case mapped from an SSD extract can hold (docs/case-format.md's event table)."""


# What each mapped table lets a case record, in the vocabulary's words (engine/core/vocabulary.py). Everything else
# an extract never records: a case from it says so in its `coverage`, so that a rule needing an event it has no
# table for is not assessable, not overdue (docs/results.md).
RECORDED_BY_TABLE: dict[str, frozenset[str]] = {
    PERSON: frozenset({"birth", "child.unborn", "child.age_years", "conference.child_age_years"}),
    S47: frozenset({"strategy_discussion", "s47.no_conference"}),
    ICPC: frozenset(
        {
            "initial_conference",
            "pre_birth_conference",
            "transfer_in_conference",
            "first_conference",
            "conference",
            "conference.type",
            "conference.plan_made",
            "plan.first_conference_type",
            "child.pre_birth_conference_held",
        }
    ),
    PLANS: frozenset({"plan_start", "plan_end", "plan.open"}),
    REVIEWS: frozenset({"review_conference", "conference", "conference.type", "conference.plan_made"}),
    CIN: frozenset({"cin_plan_start", "cin_plan_end", "cin_plan.started"}),
}
# Recorded for reviews only (`cppr_cp_review_quorate`); an initial conference without it is not assessed, as in
# any case that does not record it.
RECORDED_BY_TABLE[REVIEWS] |= {"conference.inquorate"}
# Recorded for the initial conference that made the plan (`cppl_cp_plan_initial_category`); a review has none, and
# is not assessed on it, as above.
RECORDED_BY_TABLE[PLANS] |= {"conference.category"}

RECORDED_WHILE_UNBORN = frozenset({"pregnancy_start"})
"""Recorded for an unborn child only: the SSD keeps an expected date of birth (`pers_expected_dob`) or a date of
birth, not both, so the case of a child born since has no expected date of birth to count a pregnancy's weeks
from. :func:`not_recorded` lists these; a case with ``child.expected_date_of_birth`` does not."""


def not_recorded(missing_tables: Iterable[str]) -> list[str]:
    """The events and facts a case from an extract cannot record, given the mapped tables it lacks.

    The case of an unborn child records :data:`RECORDED_WHILE_UNBORN` as well, and its coverage leaves them out.
    """
    from engine.core.vocabulary import EVENTS, FACTS

    missing = set(missing_tables)
    recorded = set().union(*(names for table, names in RECORDED_BY_TABLE.items() if table not in missing))
    return [name for name in (*EVENTS, *FACTS) if name not in recorded]


@functools.cache
def _not_recorded(missing_tables: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(not_recorded(missing_tables))


def rules_ssd_cannot_meet(evaluator) -> list[str]:
    """Deadline rules whose ``what`` is no event an SSD extract records, in the policy's order.

    On SSD data alone such a deadline can only be pending or overdue: the core group meeting, the reports,
    the documents sent may all have happened, but the extract does not say. ``evaluator`` is what
    :meth:`engine.Policy.evaluator` returns.
    """
    found = []
    for compiled in evaluator.compiled.rules:
        rule = compiled.rule
        if rule.kind != "deadline":
            continue
        what = rule.parameters.get("what")
        if not what:
            # An exception that disapplies its base (`disapplies: true`) gives no result of its own.
            continue
        events = what if isinstance(what, list) else [what]
        if not any(e in SSD_EVENTS for e in events):
            found.append(rule.id)
    return found


def _shape(value: object) -> object:
    if isinstance(value, dict):
        return tuple(sorted((k, _shape(v)) for k, v in value.items()))
    if isinstance(value, list):
        # The case schema constrains list items one by one, so the set of item shapes is what matters.
        return ("list", frozenset(_shape(v) for v in value))
    return type(value).__name__


class CaseChecker:
    """Checks mapped cases against ``schemas/case.schema.json``, validating each distinct shape once.

    A mapped case's values are ISO dates the importer wrote from parsed dates, booleans, enum values from
    fixed tables, and ids that are non-blank stripped strings: none of these can fail the schema. What could
    is the structure (which keys, which nesting), so a case whose shape (keys and value types, lists as the
    set of their items' shapes) has validated once is not validated again. This keeps the guarantee at a
    fraction of the cost: schema validation is about 1 ms a case, and an extract has a few hundred shapes.
    """

    def __init__(self) -> None:
        self._valid: set[object] = set()

    def check(self, case: dict, source: str) -> None:
        """Raise :class:`engine.evaluation.case_files.CaseError` if ``case`` does not validate."""
        from engine.evaluation.case_files import read_case

        shape = _shape(case)
        if shape in self._valid:
            return
        read_case(case, source)
        self._valid.add(shape)


def dumps(case: dict) -> str:
    """One case as a JSON Lines line (no newline), keys in the order of the case format."""
    return json.dumps(case, ensure_ascii=False)


__all__ = [
    "FIELDS",
    "MAPPED_TABLES",
    "SSD_EVENTS",
    "WARNING_KINDS",
    "CaseChecker",
    "DataWarning",
    "Extract",
    "FieldMap",
    "ImportReport",
    "MappedCase",
    "RecordedDue",
    "SsdError",
    "Unmapped",
    "dumps",
    "iter_cases",
    "iter_child_episodes",
    "iter_episodes",
    "iter_ssd_records",
    "parse_datetime",
    "parse_flag",
    "read_extract",
    "report_text",
    "rules_ssd_cannot_meet",
]
