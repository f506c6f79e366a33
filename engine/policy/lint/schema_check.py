"""Validate a document against a JSON Schema and report each error where it sits in the file.

jsonschema reports a JSON path; authors need a line and column, the key that is wrong rather than the
mapping that holds it, and for ``anyOf``/``oneOf`` the one alternative they were most likely writing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from functools import cache

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match, relevance
from jsonschema.validators import extend

from engine.core.durations import DurationError, parse_duration
from engine.core.findings import Finding, Severity, json_path
from engine.core.resources import schema
from engine.core.schema_parts import NOT_BLANK
from engine.core.vocabulary import closest
from engine.policy.yamlload import Document, jsonable

_UNEXPECTED = re.compile(r"'([^']+)'")


def _canonical(value: object) -> object:
    """A hashable stand-in for a JSON value, equal for values JSON Schema calls equal (``true`` is not ``1``)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, dict):
        return ("object", frozenset((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("array", tuple(_canonical(v) for v in value))
    if isinstance(value, int | float):
        return ("number", value)
    if isinstance(value, str) or value is None:
        return ("text", value)
    # Not JSON (an object passed through the Python API): only the same object is the same item.
    return ("other", id(value))


def _unique_items(validator, unique: bool, instance: object, schema: dict) -> Iterator[ValidationError]:
    # jsonschema compares every pair of items when they cannot be sorted (mappings, or a mix of types):
    # a list of 100,000 mappings in a case would take hours. Hashing each item once is linear.
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[object] = set()
    for item in instance:
        key = _canonical(item)
        if key in seen:
            yield ValidationError("has an item twice")
            return
        seen.add(key)


def _is_number(checker, instance: object) -> bool:
    # JSON has no NaN or infinity, yet YAML's .nan and .inf load as Python floats that jsonschema counts as
    # numbers; no rules engine or JSON output can take them, so the schema's "number" does not include them.
    if isinstance(instance, float):
        return math.isfinite(instance)
    return Draft202012Validator.TYPE_CHECKER.is_type(instance, "number")


_Validator = extend(
    Draft202012Validator,
    {"uniqueItems": _unique_items},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("number", _is_number),
)


@cache
def validator(name: str) -> Draft202012Validator:
    return _Validator(schema(name), format_checker=FormatChecker())


@cache
def known_names(name: str) -> frozenset[str]:
    """Every property name the named schema defines anywhere: the keys a document may use."""
    found: set[str] = set()
    stack: list[object] = [schema(name)]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            properties = node.get("properties")
            if isinstance(properties, dict):
                found.update(properties)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return frozenset(found)


def redacted_path(path: tuple, schema_name: str) -> tuple:
    """``path`` up to its first key the schema does not define: an unknown key is text of the document."""
    names = known_names(schema_name)
    for index, part in enumerate(path):
        if not isinstance(part, int) and part not in names:
            return tuple(path[:index])
    return tuple(path)


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
            # A key is text of the case too (a name typed where a field name belongs); the position is enough.
            message = "unknown key" if redact else f"unknown key '{key}'"
            yield (*path, key), True, message, hint
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
        yield path, False, f"{_yaml(error.instance)} is not allowed here; expected {_yaml(error.validator_value)}", ""
        return
    if error.validator == "not":
        # A `not` says what may not be written; its description (or its parent's) says so in words.
        said = [d.get("description") for d in (error.validator_value, error.schema) if isinstance(d, dict)]
        if any(said):
            yield path, False, str(next(d for d in said if d)), ""
            return
    if error.validator == "dependentRequired":
        needed = _UNEXPECTED.findall(error.message)[:1]
        key = str(
            error.validator_value
            and next((k for k, v in error.validator_value.items() if needed and needed[0] in v), "")
        )
        if needed and key:
            yield path, bool(path) and isinstance(path[-1], str), f"'{key}' needs '{needed[0]}' beside it", ""
            return
    if error.validator == "minItems" and not redact:
        count = error.validator_value
        yield path, False, f"needs at least {count} item{'s' if count != 1 else ''}", ""
        return
    if error.validator == "type" and error.instance is None and not redact:
        wanted = error.validator_value if isinstance(error.validator_value, str) else "a value"
        yield path, False, f"is empty; expected {'a list' if wanted == 'array' else wanted}", ""
        return
    date_pattern = error.validator == "pattern" and error.schema.get("format") == "date"
    if (error.validator == "format" and error.validator_value == "date") or (date_pattern and not redact):
        # A date's pattern and format fail together; the same words for both, so that they are said once.
        yield path, False, f"'{error.instance}' is not a date", "write YYYY-MM-DD, e.g. 2025-03-25"
        return
    if (
        not redact
        and error.instance == ""
        and (error.validator == "minLength" or (error.validator == "pattern" and error.validator_value == NOT_BLANK))
    ):
        yield path, False, "is blank", "write the text, or leave the key out if it is optional"
        return
    if error.validator == "minProperties" and not redact:
        if list(error.absolute_schema_path)[:3] == ["properties", "overrides", "items"]:
            yield (
                path,
                False,
                "changes nothing: an override needs a key to change besides 'id' and 'cite'",
                "give the changed key (e.g. 'deadline'), or a 'title' to restate the rule in the area's words",
            )
        else:
            count = error.validator_value
            yield path, False, f"is empty; give at least {count} key{'s' if count != 1 else ''}, or leave it out", ""
        return
    message = error.message
    if redact:
        message = f"does not match the case schema ({error.validator})"
    if len(message) > 200:
        message = message[:200] + "…"
    yield path, False, message, ""


def _yaml(value: object) -> str:
    """A value as YAML writes it (true, not True), for messages to authors of YAML."""
    if value is True or value is False:
        return str(value).lower()
    if value is None:
        return "null"
    return repr(value)


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
            shown = json_path(redacted_path(path, schema_name) if redact else path)
            # Data given without positions puts every finding at 1:1, so the path tells them apart.
            identity = (line, column, message, shown)
            if identity in seen:
                continue
            seen.add(identity)
            if others:
                message += f" (and {others} other error{'s' if others > 1 else ''} for the other shapes)"
            findings.append(Finding(doc.file, line, column, code, name, Severity.ERROR, message, shown, hint))
    findings.sort(key=Finding.sort_key)
    return findings
