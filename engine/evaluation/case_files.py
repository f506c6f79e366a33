"""Read a case from a file or from data, check it against the case schema, and parse its dates.

A valid case is accepted by the fast check (:mod:`engine.evaluation.fastcheck`, in a tenth of the time); any other goes
through the full check, which finds every problem. A case holds the most confidential data a council has.
Errors name the file, line, column and field and say what was expected, but never repeat the value that was
found: it may be a name typed in the wrong field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path

from engine.core.calendar import FIRST_YEAR, LAST_YEAR
from engine.core.findings import Finding, Severity, json_path
from engine.evaluation import fastcheck
from engine.evaluation.fastcheck import is_plain_json
from engine.policy.yamlload import MAX_DEPTH, MAX_NODES, Document, LoadError, jsonable, load_file, load_text

# Every field of the case format that holds a date (or, for documents_sent, a date-time). A date in JSON is a
# string, parsed only under these keys; tests/test_case_schema.py holds this list to the case schema.
DATE_KEYS = frozenset(
    {
        "date_of_birth",
        "expected_date_of_birth",
        "strategy_discussion",
        "no_conference_decided",
        "made",
        "expires",
        "notified",
        "accepted",
        "decision",
        "date",
        "sent_to_chair",
        "shared_with_parents",
        "documents_sent",
        "documentation_received",
        "amendment_requests",
        "core_group_meetings",
        "start",
        "end",
        "discussed_with_parents",
        "cin_plan_start",
        "cin_reviews",
        "cin_plan_end",
        "strategy_meetings",
        "letter_sent",
        "discharge_meeting",
        "discharged",
        "assessments_concluded",
        "considered",
        "returned_home",
        "withholding_agreed",
    }
)


class CaseError(Exception):
    """A case that cannot be evaluated; ``findings`` say where and why, without repeating its contents."""

    def __init__(self, message: str, findings: list[Finding]):
        super().__init__(message)
        self.message = message
        self.findings = findings


def _moment(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _parse_dates(data: object, key: str = "") -> object:
    if isinstance(data, dict):
        return {k: _parse_dates(v, k) for k, v in data.items()}
    if isinstance(data, list):
        return [_parse_dates(v, key) for v in data]
    return _moment(data) if key in DATE_KEYS else data


def _out_of_range(data: object, path: tuple = ()) -> Iterator[tuple]:
    """Paths of the parsed dates outside the years the working-day calendar covers."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _out_of_range(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _out_of_range(value, (*path, index))
    elif isinstance(data, dt.date) and not FIRST_YEAR <= data.year <= LAST_YEAR:
        yield path


def _range_findings(doc: Document, case: dict) -> list[Finding]:
    # Every deadline is counted in working days or moved off bank holidays, and the calendar knows bank
    # holidays only for these years: outside them evaluation would fail, so the case is refused here, at
    # the date's line, rather than with an error that names no place in the file.
    return [
        Finding(
            doc.file,
            *doc.position(path),
            "CPC100",
            "schema-violation",
            Severity.ERROR,
            f"date outside {FIRST_YEAR} to {LAST_YEAR}, the years whose bank holidays are known",
            json_path(path),
            "check the year; working days cannot be counted outside those years",
        )
        for path in _out_of_range(case)
    ]


def _duplicate_ids(doc: Document, case: dict) -> list[Finding]:
    # Results, reports and exclusion requests name a conference by its id, and the engine keeps one set of
    # facts per id: a second conference under the same id would silently take the first one's place (an
    # initial conference judged as the review that shares its id). The schema cannot say "unique by id".
    first: dict[object, int] = {}
    findings = []
    conferences = case.get("conferences") or []
    for index, conference in enumerate(conferences):
        conference_id = conference.get("id") if isinstance(conference, dict) else None
        if conference_id is None:
            continue
        if conference_id in first:
            path = ("conferences", index, "id")
            findings.append(
                Finding(
                    doc.file,
                    *doc.position(path),
                    "CPC100",
                    "schema-violation",
                    Severity.ERROR,
                    f"conference id already used by conferences[{first[conference_id]}]",
                    json_path(path),
                    "give each conference its own id: results name conferences by it",
                )
            )
        else:
            first[conference_id] = index
    return findings


def check_case(doc: Document) -> dict:
    """The case in ``doc``, validated and with its dates parsed; raises :class:`CaseError`."""
    if not isinstance(doc.data, dict):
        finding = Finding(doc.file, 1, 1, "CPC100", "schema-violation", Severity.ERROR, "a case must be a mapping")
        raise CaseError(f"{doc.file}: not a case", [finding])
    plain = jsonable(doc.data)
    return _checked(doc, plain if is_plain_json(plain) else None)


def read_record(data: dict, source: str) -> dict:
    """A case as ``json.loads`` gave it, validated and with its dates parsed; raises :class:`CaseError`.

    :func:`read_case` without its copy of the data and its walk over it, for a caller (engine.caseload.batch) that has
    already refused a record too deep or too large, and that gives :func:`read_case` any record that may hold
    a lone surrogate (a ``\\ud800`` escape), so that the same error reports it."""
    return _checked(Document(file=source, data=data), data)


def _checked(doc: Document, plain: dict | None) -> dict:
    """The case in ``doc``; ``plain`` is its data as JSON would give it, if it can be (else the full check)."""
    from engine.policy.lint.schema_check import schema_findings

    if plain is not None and fastcheck.accepts(plain):
        # The fast check never accepts what the full check refuses, so the schema holds; if caseload's own
        # checks hold too, that is the case. If not, the code below finds the same problems and reports them.
        try:
            case = _dates_in_range(doc.data)
        except _NotFast:
            pass
        else:
            if not _duplicate_ids(doc, case):
                return case
    else:
        findings = schema_findings(doc, "case", redact=True)
        if findings:
            raise CaseError(f"{doc.file}: {len(findings)} problem(s) in the case", findings)
    case = _parse_dates(doc.data)
    findings = sorted(_duplicate_ids(doc, case) + _range_findings(doc, case), key=Finding.sort_key)
    if findings:
        raise CaseError(f"{doc.file}: {len(findings)} problem(s) in the case", findings)
    return case


class _NotFast(Exception):
    """The fast path cannot vouch for the case; the full path decides, and explains."""


def _dates_in_range(data: object, key: object = "") -> object:
    """:func:`_parse_dates`, for a case the schema accepts; raises :class:`_NotFast` when a date does not parse
    or falls outside the calendar's years (which :func:`_range_findings` then reports)."""
    if isinstance(data, dict):
        return {k: _dates_in_range(v, k) for k, v in data.items()}
    if isinstance(data, list):
        return [_dates_in_range(v, key) for v in data]
    if isinstance(data, str) and key in DATE_KEYS:
        try:
            data = dt.datetime.fromisoformat(data) if "T" in data else dt.date.fromisoformat(data)
        except ValueError:
            raise _NotFast from None
    if isinstance(data, dt.date) and not FIRST_YEAR <= data.year <= LAST_YEAR:
        raise _NotFast
    return data


def _check_data(data: Mapping, source: str) -> None:
    """Refuse data given as a mapping that no case file could hold: too deep, too large, a cycle, bad text.

    A file is checked as it is read (:mod:`engine.policy.yamlload`); a mapping from the caller is not, and the
    schema check and everything after it recurse, so a cycle or deep nesting would end in RecursionError.
    """
    if _plainly_fine(data):
        return
    count = 0
    stack: list[tuple[object, tuple]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        count += 1
        problem = ""
        if len(path) > MAX_DEPTH:
            problem = f"nested more than {MAX_DEPTH} levels deep (or a mapping that contains itself)"
        elif count > MAX_NODES:
            problem = f"more than {MAX_NODES:,} values"
        if problem:
            raise _load_error(source, LoadError("CPC004", problem, path=path[:MAX_DEPTH]))
        if isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(key, str) and not _encodable(key):
                    raise _load_error(source, LoadError("CPC001", _SURROGATE, path=path))
                stack.append((item, (*path, key)))
        elif isinstance(value, list | tuple):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))
        elif isinstance(value, str) and not _encodable(value):
            raise _load_error(source, LoadError("CPC001", _SURROGATE, path=path))


def _plainly_fine(data: object) -> bool:
    """True when :func:`_check_data` would find nothing, for the usual case (dicts, lists and scalars of a
    case's size) without building the path of every value, which only an error needs. False decides nothing."""
    count = 0
    stack: list[tuple[object, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > MAX_NODES or depth > MAX_DEPTH:
            return False
        kind = type(value)
        if kind is dict:
            for key, item in value.items():
                if type(key) is not str or not (key.isascii() or _encodable(key)):
                    return False
                stack.append((item, depth + 1))
        elif kind is list:
            stack.extend((item, depth + 1) for item in value)
        elif kind is str:
            if not (value.isascii() or _encodable(value)):
                return False
        elif isinstance(value, Mapping | list | tuple | str):
            return False
    return True


_SURROGATE = "not text: a lone surrogate is not a character"


def _encodable(text: str) -> bool:
    # A lone surrogate cannot be written as UTF-8, so no JSON output or rules engine could take it.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _load_error(file: str, exc: LoadError) -> CaseError:
    from engine.policy.lint.runner import load_finding
    from engine.policy.lint.schema_check import redacted_path

    # The loader's path is made of the file's keys, which may be anything before the schema has been checked.
    exc.path = redacted_path(exc.path, "case")
    return CaseError(f"{file}: cannot be read", [load_finding(file, exc)])


def load_case(path: str | Path) -> dict:
    """Read a case file (YAML or JSON), validate it and parse its dates; raises :class:`CaseError`."""
    try:
        doc = load_file(path, redact=True)
    except LoadError as exc:
        raise _load_error(str(path), exc) from None
    return check_case(doc)


def read_case(case: Mapping | str, source: str = "<case>") -> dict:
    """A case given as data (a mapping, as JSON would give it) or as YAML/JSON text, validated."""
    if isinstance(case, str):
        try:
            doc = load_text(case, source, redact=True)
        except LoadError as exc:
            raise _load_error(source, exc) from None
        return check_case(doc)
    _check_data(case, source)
    # Plain JSON needs no conversion, and nothing below changes it: the caller's mapping is left as it was.
    data = case if is_plain_json(case) else jsonable(dict(case))
    return _checked(Document(file=source, data=data), data if is_plain_json(data) else None)
