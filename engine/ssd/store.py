"""The rows of an extract's mapped tables as cpc keeps them: a record type per table, in a store on disk.

Memory stays flat however large the extract: each mapped table's parsed rows (dates and flags, keyed by person
and line) go into a private temporary SQLite database on disk, which SQLite deletes when the extract is closed.
An :class:`Extract` holds that store and what reading found (files, row counts, missing tables, what was not
mapped); :mod:`engine.ssd.reader` fills it, and :mod:`engine.ssd.episodes` reads each table's rows back in person
order (:func:`id_sort_key`), one child at a time.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from engine.ssd.tables import CIN, ICPC, INVOLVEMENTS, PERSON, PLANS, REVIEWS, S47, Unmapped


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


_JOINED = (S47, ICPC, PLANS, CIN, INVOLVEMENTS)
# The stored column that holds the row's person id.
_PERSON_COLUMN = {S47: "c2", ICPC: "c2", PLANS: "c2", CIN: "c2", INVOLVEMENTS: "c1"}


def _person_ids() -> str:
    """The query of every person's sort key and id that a joined table names, once each."""
    return " UNION ".join(
        f"SELECT k, {_PERSON_COLUMN[t]} AS pid FROM {_STORED[t]} WHERE k IS NOT NULL" for t in _JOINED
    )


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


__all__ = [
    "Extract",
]
