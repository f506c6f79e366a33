"""Validate a document against a JSON Schema and report each error where it sits in the file.

jsonschema reports a JSON path; authors need a line and column, the key that is wrong rather than the
mapping that holds it, and for ``anyOf``/``oneOf`` the one alternative they were most likely writing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match, relevance

from ..durations import DurationError, parse_duration
from ..findings import Finding, Severity, json_path
from ..resources import schema
from ..vocabulary import closest
from ..yamlload import Document, jsonable

_UNEXPECTED = re.compile(r"'([^']+)'")


@cache
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name), format_checker=FormatChecker())


def _classify(error: ValidationError) -> tuple[str, str]:
    """The lint code and name for a schema error: specific checks own their schema errors."""
    if error.validator == "required" and "'cite'" in error.message:
        return "CPC401", "missing-citation"
    if _is_duration(error):
        return "CPC301", "malformed-duration"
    return "CPC100", "schema-violation"


def _is_duration(error: ValidationError) -> bool:
    """An error in a value the schema types as a duration (its pattern names the units)."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    return error.validator in ("pattern", "type") and "working" in str(schema.get("pattern", ""))


def _allowed(error: ValidationError) -> list[str]:
    props = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    return list(props)


_REDACTED = {
    "type": lambda e: f"expected {_a(e.validator_value)}",
    "enum": lambda e: "not one of the allowed values",
    "const": lambda e: f"expected {e.validator_value!r}",
    "pattern": lambda e: "not in the expected form",
    "format": lambda e: f"not a valid {e.validator_value}",
    "minLength": lambda e: "must not be empty",
    "minItems": lambda e: f"needs at least {e.validator_value} item(s)",
    "uniqueItems": lambda e: "has an item twice",
    "minimum": lambda e: f"must be at least {e.validator_value}",
}


_TYPE_NAMES = {"object": "a mapping", "array": "a list", "integer": "a whole number"}


def _a(kinds: object) -> str:
    names = kinds if isinstance(kinds, list) else [kinds]
    return " or ".join(_TYPE_NAMES.get(n, f"a {n}") for n in names)


def _hint(error: ValidationError) -> str:
    if error.validator == "enum":
        return "one of: " + ", ".join(str(v) for v in error.validator_value)
    if error.validator == "format" and error.validator_value in ("date", "date-time"):
        return "write YYYY-MM-DD (a date that exists), or YYYY-MM-DDTHH:MM"
    return ""


def _describe(error: ValidationError, doc: Document, redact: bool = False) -> Iterator[tuple[tuple, bool, str, str]]:
    """(path, points-at-key, message, hint) for one error; unknown keys give one entry each.

    With ``redact``, no message repeats the value found: a case's values may be confidential.
    """
    path = tuple(error.absolute_path)
    if redact and error.validator in _REDACTED:
        yield path, False, _REDACTED[error.validator](error), _hint(error)
        return
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        instance = error.instance if isinstance(error.instance, dict) else {}
        allowed = _allowed(error)
        named = [k for k in _UNEXPECTED.findall(error.message) if k in instance]
        for key in named or [k for k in instance if k not in allowed]:
            near = closest(str(key), allowed) if allowed else None
            hint = f"did you mean '{near}'?" if near else (f"allowed here: {', '.join(allowed)}" if allowed else "")
            yield (*path, key), True, f"unknown key '{key}'", hint
        return
    if error.validator == "required":
        missing = _UNEXPECTED.findall(error.message)[:1]
        what = f"missing required key '{missing[0]}'" if missing else error.message
        # Point at the key that holds the incomplete mapping (`deadline:`), or at a list item's first line.
        yield path, bool(path) and isinstance(path[-1], str), what, ""
        return
    if _is_duration(error):
        try:
            parse_duration(error.instance)
            message = f"'{error.instance}' is not a duration"
        except DurationError as exc:
            message = str(exc)
        yield path, False, message, "for example: 15 working days, 3 months, 24 hours"
        return
    if error.validator == "enum" and "propertyNames" in error.absolute_schema_path:
        # A key the schema knows, but not in this form of the mapping (a `deadline` on a decision rule,
        # `at_least` beside `within`): point at the key and list what this form takes.
        allowed = ", ".join(str(v) for v in error.validator_value)
        yield (
            (*path, error.instance),
            True,
            f"'{error.instance}' does not belong with the other keys here",
            (f"keys allowed in this form: {allowed}"),
        )
        return
    if error.validator == "enum":
        options = [str(v) for v in error.validator_value]
        near = closest(str(error.instance), options)
        hint = f"did you mean '{near}'?" if near else f"one of: {', '.join(options)}"
        yield path, False, f"{error.instance!r} is not allowed here", hint
        return
    if error.validator == "const":
        yield path, False, f"{error.instance!r} is not allowed here; expected {error.validator_value!r}", ""
        return
    if error.validator == "format" and error.validator_value == "date":
        yield path, False, f"'{error.instance}' is not a date", "write YYYY-MM-DD, e.g. 2025-03-25"
        return
    message = error.message
    if redact:
        message = f"does not match the case schema ({error.validator})"
    if len(message) > 200:
        message = message[:200] + "…"
    yield path, False, message, ""


def _leaf(error: ValidationError) -> tuple[ValidationError, int]:
    """Descend into anyOf/oneOf to the most relevant alternative's error; count the others."""
    others = 0
    while error.context:
        best = best_match(error.context, key=relevance)
        others += len(error.context) - 1
        if best is None:
            break
        error = best
    return error, others


def schema_findings(doc: Document, schema_name: str = "policy", *, redact: bool = False) -> list[Finding]:
    """Validate ``doc`` against the named schema; one finding per distinct problem, best first.

    ``redact`` keeps every message free of the values found (for case files)."""
    findings: list[Finding] = []
    seen: set[tuple] = set()
    errors = sorted(validator(schema_name).iter_errors(jsonable(doc.data)), key=relevance)
    for error in errors:
        leaf, others = _leaf(error)
        code, name = _classify(leaf)
        for path, at_key, message, hint in _describe(leaf, doc, redact):
            line, column = doc.position(path, key=at_key)
            identity = (line, column, message)
            if identity in seen:
                continue
            seen.add(identity)
            if others:
                message += f" (and {others} other error{'s' if others > 1 else ''} for the other shapes)"
            findings.append(Finding(doc.file, line, column, code, name, Severity.ERROR, message, json_path(path), hint))
    findings.sort(key=Finding.sort_key)
    return findings
