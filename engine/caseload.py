"""Read a case from a file or from data, check it against the case schema, and parse its dates.

A case holds the most confidential data a council has. Errors name the file, line, column and field and
say what was expected, but never repeat the value that was found: it may be a name typed in the wrong field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from .findings import Finding, Severity
from .yamlload import Document, LoadError, jsonable, load_file, load_text

# Every field of the case format that holds a date (or, for documents_sent, a date-time).
DATE_KEYS = frozenset(
    {
        "date_of_birth",
        "expected_date_of_birth",
        "strategy_discussion",
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


def check_case(doc: Document) -> dict:
    """The case in ``doc``, validated and with its dates parsed; raises :class:`CaseError`."""
    from .lint.schema_check import schema_findings

    if not isinstance(doc.data, dict):
        finding = Finding(doc.file, 1, 1, "CPC100", "schema-violation", Severity.ERROR, "a case must be a mapping")
        raise CaseError(f"{doc.file}: not a case", [finding])
    findings = schema_findings(doc, "case", redact=True)
    if findings:
        raise CaseError(f"{doc.file}: {len(findings)} problem(s) in the case", findings)
    return _parse_dates(doc.data)


def _load_error(file: str, exc: LoadError) -> CaseError:
    from .lint.runner import load_finding

    return CaseError(f"{file}: cannot be read", [load_finding(file, exc)])


def load_case(path: str | Path) -> dict:
    """Read a case file (YAML or JSON), validate it and parse its dates; raises :class:`CaseError`."""
    try:
        doc = load_file(path)
    except LoadError as exc:
        raise _load_error(str(path), exc) from None
    return check_case(doc)


def read_case(case: Mapping | str, source: str = "<case>") -> dict:
    """A case given as data (a mapping, as JSON would give it) or as YAML/JSON text, validated."""
    if isinstance(case, str):
        try:
            doc = load_text(case, source)
        except LoadError as exc:
            raise _load_error(source, exc) from None
        return check_case(doc)
    doc = Document(file=source, data=jsonable(dict(case)))
    return check_case(doc)
