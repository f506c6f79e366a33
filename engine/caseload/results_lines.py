"""Reading a caseload's results: each line of a results file parsed and checked, or told what is wrong with it.

The input is the JSON Lines a caseload run writes (docs/batch.md, docs/results.md): in results format 2, a
header listing the rules, then one evaluation per line whose results refer to those rules by id; in format 1
(``--citations inline``, and every file written before format 2), one evaluation per line with each result
whole (schemas/result.schema.json); in either, an error record for a case that could not be evaluated.
Everything here is a pure function over lines, with no click; :mod:`engine.caseload.summary` counts what it gives:

    summary = summarize(parse_lines(read_lines(open("results.jsonl", "rb"))), overdue_limit=100)

:func:`parse_lines` turns each line into an :class:`EvaluationRecord`, an :class:`ErrorRecord` or, for a line
that is not one, a :class:`Malformed` naming the line number and what is wrong with it, never what it says:
a results file holds case ids and dates, and a broken line may hold anything. A header is read and applies to
the lines after it; a header of a format this cpc does not read, or an evaluation in format 2 with no header
before it, raises :class:`ResultsFileError`: no line after it could be read. :func:`read_lines` reads a
file for it, holding at most the line limit of `cpc eval --cases` (5 MB) at a time.

A line is taken whole or not at all: a line with one bad result is skipped entirely, so no count comes from
half a line. The kinds of result and the statuses of each (:data:`KINDS`, :data:`STATUSES`) are the ones a
line is checked against, and the ones every part of the report counts.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import BinaryIO

from engine.evaluation.results_file import (
    NO_HEADER,
    UNREADABLE_HEADER,
    HeaderError,
    ResultsFileError,
    RowError,
    RuleTable,
    is_header,
    parse_header,
)

KINDS = ("deadline", "requirement", "decision")
STATUSES: dict[str, tuple[str, ...]] = {
    "deadline": ("met", "missed", "pending", "overdue", "not_assessable", "breached"),
    "requirement": ("met", "breached", "not_assessable"),
    "decision": ("applies",),
}


@dataclass(frozen=True, slots=True)
class ResultRow:
    """What the report needs from one result of an evaluation."""

    rule: str
    title: str
    kind: str
    status: str
    subject: str | None = None
    due: str | None = None
    due_day: dt.date | None = None
    clock_day: dt.date | None = None
    done_day: dt.date | None = None
    late_amount: int | None = None
    late_unit: str | None = None
    reason: str | None = None
    what: tuple[str, ...] = ()
    clock_event: str | None = None


@dataclass(frozen=True, slots=True)
class EvaluationRecord:
    """A line holding one case's evaluation."""

    line: int
    case: str
    area: str
    policy_version: str
    as_of: str
    results: tuple[ResultRow, ...]
    team: str | None = None
    worker: str | None = None
    # The plan's dates parsed (``start``, ``end``), its ``category`` and ``previous_plans``, when it had one.
    plan: dict | None = None


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    """A line saying a case could not be evaluated; ``codes`` are its findings' codes, each once."""

    line: int
    case: str | None
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Malformed:
    """A line that is neither; ``reason`` says what is wrong without quoting it. ``case`` is true for a line
    that looks like a case of a caseload (an ``id`` and no results), the input of `cpc eval --cases` rather
    than its output."""

    line: int
    reason: str
    case: bool = False


@dataclass(frozen=True, slots=True)
class Header:
    """A results header (format 2): the rules the evaluations after it refer to."""

    line: int
    rules: RuleTable


Line = EvaluationRecord | ErrorRecord | Malformed


class _Bad(ValueError):
    """Why a line is malformed; the message never contains the line's content."""


class _Case(_Bad):
    """A line that is a case, not a result."""


class _NoHeader(Exception):
    """An evaluation in format 2 with no header before it."""


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad(f"{where} is not a non-empty string")
    return value


@lru_cache(maxsize=8192)
def _parse_day(value: str) -> dt.date | None:
    # Results repeat the same few hundred dates; caching the parse halves the time spent on a line.
    try:
        day = dt.datetime.fromisoformat(value).date() if "T" in value else dt.date.fromisoformat(value)
    except ValueError:
        return None
    # Working days cannot be counted outside the years whose bank holidays are known.
    first, last = _years()
    return day if first <= day.year <= last else None


def _years() -> tuple[int, int]:
    # Imported when first needed, not with the module: the calendar loads the holidays package, which
    # `cpc --help` and `cpc report --help` have no use for.
    from engine.core.calendar import FIRST_YEAR, LAST_YEAR

    return FIRST_YEAR, LAST_YEAR


def _day(value: object, where: Callable[[], str]) -> dt.date:
    """The date of a ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM`` string within the calendar's known years.

    ``where`` names the field, and is called only for the error message.
    """
    day = _parse_day(value) if isinstance(value, str) else None
    if day is None:
        first, last = _years()
        raise _Bad(f"{where()} is not a date (YYYY-MM-DD) from {first} to {last}")
    return day


_STATUS_SETS = {kind: frozenset(statuses) for kind, statuses in STATUSES.items()}


def _result(data: object, index: int) -> ResultRow:
    """One result of an evaluation, checked; the fast path does no string formatting."""

    def where(suffix: str = "") -> str:
        return f"results[{index}]{suffix}"

    if not isinstance(data, dict):
        raise _Bad(f"{where()} is not an object")
    rule = data.get("rule")
    if not isinstance(rule, str) or not rule.strip():
        raise _Bad(f"{where('.rule')} is not a non-empty string")
    kind = data.get("kind")
    # A list or mapping here is unhashable: checked as text first, so a bad line is skipped, not fatal.
    allowed = _STATUS_SETS.get(kind) if isinstance(kind, str) else None
    if allowed is None:
        raise _Bad(f"{where('.kind')} is not one of {', '.join(KINDS)}")
    status = data.get("status")
    if not isinstance(status, str) or status not in allowed:
        raise _Bad(f"{where('.status')} is not one of {', '.join(STATUSES[kind])} (for a {kind})")
    title = data.get("title", "")
    if not isinstance(title, str):
        raise _Bad(f"{where('.title')} is not a string")
    subject = data.get("subject")
    subject_id = None
    if subject is not None:
        if not isinstance(subject, dict):
            raise _Bad(f"{where('.subject')} is not an object")
        subject_id = _text(subject.get("id"), where(".subject.id"))
    reason = data.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise _Bad(f"{where('.reason')} is not a string")
    if kind != "deadline":
        return ResultRow(rule, title, kind, status, subject_id, reason=reason)

    due = data.get("due")
    if due is None and data.get("earliest") is not None:
        # A lower bound (not_before) has an earliest date, not a due date; it is counted by that date.
        due = data.get("earliest")
    if due is None and status == "not_assessable":
        # A clock the source cannot record: no due date, and nothing dated to count it in a period by.
        return ResultRow(rule, title, kind, status, subject_id, reason=reason)
    due_day = _day(due, lambda: where(".due"))
    clock_day = done_day = clock_event = None
    clock = data.get("clock")
    if clock is not None:
        if not isinstance(clock, dict):
            raise _Bad(f"{where('.clock')} is not an object")
        clock_day = _day(clock.get("date"), lambda: where(".clock.date"))
        clock_event = clock.get("event") if isinstance(clock.get("event"), str) else None
    done = data.get("done")
    if done is not None:
        done_day = _day(done, lambda: where(".done"))
    elif status == "met" or (status == "missed" and data.get("closed") is None):
        # A deadline missed and never done says when it could no longer be done instead (docs/results.md).
        raise _Bad(f"{where()} is {status} but has no done date")
    late_amount = late_unit = None
    late = data.get("late")
    if late is not None:
        amount = late.get("amount") if isinstance(late, dict) else None
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise _Bad(f"{where('.late')} is not an amount and a unit")
        late_amount = amount
        late_unit = _text(late.get("unit"), where(".late.unit"))
    what = data.get("what")
    whats = tuple(w for w in (what if isinstance(what, list) else [what]) if isinstance(w, str))
    return ResultRow(
        rule,
        title,
        kind,
        status,
        subject_id,
        str(due),
        due_day,
        clock_day,
        done_day,
        late_amount,
        late_unit,
        reason,
        whats,
        clock_event,
    )


def _row(data: object, index: int, rules: RuleTable | None) -> ResultRow:
    """One result of an evaluation: an inline result (format 1), or a row referring to the header's rules."""
    if not isinstance(data, list):
        return _result(data, index)
    if rules is None:
        raise _NoHeader
    try:
        return _result(rules.fields(data), index)
    except RowError as exc:
        raise _Bad(f"results[{index}]{exc.where} {exc.message}") from None


def _record(number: int, data: object, rules: RuleTable | None = None) -> EvaluationRecord | ErrorRecord:
    if not isinstance(data, dict):
        raise _Bad("not a JSON object")
    if "error" in data and "results" not in data:
        errors = data["error"]
        if not isinstance(errors, list) or not all(isinstance(e, dict) for e in errors):
            raise _Bad("error is not a list of findings")
        case = data.get("case")
        if case is not None and not isinstance(case, str):
            raise _Bad("case is not a string or null")
        codes = sorted({e["code"] if isinstance(e.get("code"), str) and e["code"] else "no code" for e in errors})
        return ErrorRecord(number, case, tuple(codes or ["no code"]))
    if "results" not in data or "error" in data:
        # A case has an id where an evaluation has a case id and results (schemas/case.schema.json).
        looks_like_case = "results" not in data and "error" not in data and "case" not in data and "id" in data
        raise (_Case if looks_like_case else _Bad)(
            "neither an evaluation (with results) nor an error record (with error)"
        )
    results = data["results"]
    if not isinstance(results, list):
        raise _Bad("results is not a list")
    case = _text(data.get("case"), "case")
    area = _text(data.get("area"), "area")
    version = _text(data.get("policy_version"), "policy_version")
    as_of = data.get("as_of")
    _day(as_of, lambda: "as_of")
    rows = tuple(_row(r, i, rules) for i, r in enumerate(results))
    compact = rules is not None and any(isinstance(r, list) for r in results)
    if compact and (area, version) != (rules.area, rules.policy_version):
        raise _Bad("the area or policy_version is not the one of the results header before it")
    team, worker = data.get("team"), data.get("worker")
    team = None if team is None else _text(team, "team")
    worker = None if worker is None else _text(worker, "worker")
    return EvaluationRecord(number, case, area, version, str(as_of), rows, team, worker, _plan(data.get("plan")))


def _plan(data: object) -> dict | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise _Bad("plan is not an object")
    plan: dict = {"start": _day(data.get("start"), lambda: "plan.start")}
    if data.get("end") is not None:
        plan["end"] = _day(data["end"], lambda: "plan.end")
    category = data.get("category")
    plan["category"] = None if category is None else _text(category, "plan.category")
    previous = data.get("previous_plans")
    if previous is not None and (not isinstance(previous, int) or isinstance(previous, bool) or previous < 0):
        raise _Bad("plan.previous_plans is not a whole number")
    plan["previous_plans"] = previous
    return plan


@dataclass(frozen=True, slots=True)
class LineTooLong:
    """A line longer than the limit of :func:`read_lines`, skipped without being held: ``size`` bytes."""

    size: int
    limit: int


_READ_CHUNK = 1 << 20


def read_lines(stream: BinaryIO, limit: int | None = None) -> Iterator[bytes | LineTooLong]:
    """Each line of a binary ``stream``, as :func:`parse_lines` takes them, holding at most ``limit`` bytes
    of it at a time: a longer line is read through and given as a :class:`LineTooLong`, never held, so that
    memory stays flat whatever the input (one endless line included). The default limit is the one
    `cpc eval --cases` puts on a JSON Lines record, the size limit of a case file."""
    if limit is None:
        # The same constant as engine.caseload.batch.MAX_LINE_BYTES, without importing the evaluator to get it.
        from engine.policy.yamlload import MAX_BYTES as limit
    while True:
        # Two bytes of room for "\r\n": a line of exactly the limit is still read whole.
        raw = stream.readline(limit + 2)
        if not raw:
            return
        if raw.endswith(b"\n") or len(raw) < limit + 2:
            content = raw.rstrip(b"\r\n")
            yield raw if len(content) <= limit else LineTooLong(len(content), limit)
            continue
        size = len(raw)
        while True:
            chunk = stream.readline(_READ_CHUNK)
            size += len(chunk.rstrip(b"\r\n"))
            if not chunk or chunk.endswith(b"\n"):
                break
        yield LineTooLong(size, limit)


def parse_line(number: int, raw: str | bytes | LineTooLong, rules: RuleTable | None = None) -> Line | Header | None:
    """Line ``number`` (1-based) of a results file, parsed and checked; ``None`` for a blank line.

    ``rules`` is the table of the header before the line, if any: what a format-2 evaluation's results refer
    to. A header line gives a :class:`Header`. Raises :class:`ResultsFileError` for a header that cannot be
    used, and for a format-2 evaluation when ``rules`` is None.
    """
    if isinstance(raw, LineTooLong):
        return Malformed(number, f"longer than {raw.limit:,} bytes, the limit of a line ({raw.size:,} bytes)")
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return Malformed(number, "not UTF-8 text")
    raw = raw.rstrip("\r\n")
    if number == 1:
        # A file saved by a Windows editor may start with a byte order mark; it is not part of the JSON.
        raw = raw.removeprefix("\ufeff")
    if not raw.strip():
        return None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        # The decoder's message names the position only, but say it in our own words to be sure.
        return Malformed(number, f"not valid JSON (column {exc.colno})")
    except RecursionError:
        return Malformed(number, "not valid JSON (nested too deeply)")
    except ValueError:
        # Python refuses to read an integer of more than 4,300 digits; its message is the only other ValueError.
        return Malformed(number, "not valid JSON (a number is too long)")
    if is_header(data):
        try:
            return Header(number, parse_header(data))
        except HeaderError as exc:
            raise ResultsFileError(number, str(exc)) from None
    try:
        return _record(number, data, rules)
    except _Bad as exc:
        return Malformed(number, str(exc), isinstance(exc, _Case))
    except _NoHeader:
        raise ResultsFileError(number, NO_HEADER) from None


def parse_lines(lines: Iterable[str | bytes | LineTooLong]) -> Iterator[Line]:
    """Each non-blank line of a results file, parsed (lazily: one line is held at a time). Give it
    :func:`read_lines` of a file, which caps the length of a line, rather than the file itself.

    A header is not yielded: it gives the rules of the evaluations after it, up to the next header. Raises
    :class:`ResultsFileError` as :func:`parse_line` does."""
    rules: RuleTable | None = None
    unreadable_first = False
    for number, raw in enumerate(lines, 1):
        try:
            parsed = parse_line(number, raw, rules)
        except ResultsFileError as exc:
            if unreadable_first and exc.message == NO_HEADER:
                # The header was there, most likely, but cut short or damaged: say that, not that it is missing.
                raise ResultsFileError(number, UNREADABLE_HEADER) from None
            raise
        if isinstance(parsed, Header):
            rules = parsed.rules
        elif parsed is not None:
            unreadable_first = unreadable_first or (number == 1 and isinstance(parsed, Malformed))
            yield parsed


__all__ = [
    "STATUSES",
    "ErrorRecord",
    "EvaluationRecord",
    "Line",
    "LineTooLong",
    "Malformed",
    "ResultRow",
    "parse_line",
    "parse_lines",
    "read_lines",
]
