"""A fast first check of a case against the case schema: it may only say "valid", never explain.

The full check (:mod:`engine.policy.lint.schema_check`, jsonschema) walks the schema for every value and costs about
2 ms per case, more than evaluating the case does. fastjsonschema compiles the same schema into Python code
once and checks a valid case in a tenth of that. Its errors carry no line or column and stop at the first
problem, so :mod:`engine.evaluation.case_files` uses it only to accept: a case it refuses goes to the full check, which
finds every error where it sits in the file. That is safe only if the fast check never accepts a case the
full check refuses; ``tests/test_fastcheck.py`` checks that on generated and mutated cases.

fastjsonschema implements the keywords of drafts 4 to 7 (not those new in 2019-09 or 2020-12), and the case
schema is written in draft 2020-12, so :func:`draft07` rewrites it, keyword by keyword, into a schema that means
the same in draft 7, and refuses (raises :class:`SchemaTransformError`) any keyword it does not know to mean
the same. Where the two libraries read a
draft-7 keyword differently, the rewrite or the options given to fastjsonschema make them agree:

* ``$defs`` becomes ``definitions`` and each ``$ref`` points there; a ``$ref`` beside other assertions (draft
  2020-12 applies both, draft 7 ignores the siblings) becomes an ``allOf`` of the reference and the rest.
* ``dependentRequired`` becomes draft 7's ``dependencies``.
* fastjsonschema turns every ``$`` of a ``pattern`` into ``\\Z`` (end of text); jsonschema keeps Python's
  ``$``, which also matches before a final newline. The rewrite spells ``$`` as ``(?=\\n?\\Z)``, which means
  exactly Python's ``$`` and has no ``$`` left for fastjsonschema to change.
* ``format`` is checked by jsonschema's own format functions, the ones its ``FormatChecker`` calls, not by
  fastjsonschema's regular expressions.
* Only data as JSON gives it is checked fast (:func:`is_plain_json`): fastjsonschema counts a tuple as an
  array and jsonschema does not.
* Where fastjsonschema is stricter (it refuses 1.0 as an ``integer``), that is safe only where a failure makes
  the whole fail; under ``not``, ``if`` or ``oneOf`` it would make the whole succeed, so there it is refused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import fastjsonschema
from jsonschema import FormatChecker

from engine.core.resources import schema

DRAFT_07 = "http://json-schema.org/draft-07/schema#"

# Keywords that mean the same in draft 2020-12 and draft 7, and that fastjsonschema and jsonschema agree on
# once the rewrite below is done: each maps to how its value holds subschemas.
_SAME: dict[str, str] = {
    "type": "",
    "enum": "",
    "const": "",
    "required": "",
    "minLength": "",
    "maxLength": "",
    "minItems": "",
    "maxItems": "",
    "minProperties": "",
    "maxProperties": "",
    "uniqueItems": "",
    "pattern": "",
    "format": "",
    "minimum": "",
    "maximum": "",
    "exclusiveMinimum": "",
    "exclusiveMaximum": "",
    "properties": "map",
    "additionalProperties": "schema",
    "propertyNames": "schema",
    "items": "schema",
    "contains": "schema",
    "not": "schema",
    "if": "schema",
    "then": "schema",
    "else": "schema",
    "allOf": "list",
    "anyOf": "list",
    "oneOf": "list",
}
# Where a subschema failing can make its parent succeed.
_NEGATING = frozenset({"not", "if", "oneOf"})
# Keywords that assert nothing: kept as they are (both libraries ignore them).
ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "$comment",
        "deprecated",
        "readOnly",
        "writeOnly",
        # The YAML language server's hover text for each value of an enum (engine.evaluation.case_schema).
        "enumDescriptions",
        "markdownDescription",
    }
)
_DOLLAR = re.compile(r"(?<!\\)\$")
_REF = re.compile(r"^#/\$defs/([^/~]+)$")


class SchemaTransformError(ValueError):
    """The schema uses a keyword whose meaning the draft-7 rewrite cannot keep."""


def draft07(document: Mapping[str, Any]) -> dict[str, Any]:
    """The draft 2020-12 schema ``document`` rewritten to mean the same in draft 7 (module docstring)."""
    root = dict(document)
    declared = root.pop("$schema", None)
    if declared not in (None, "https://json-schema.org/draft/2020-12/schema"):
        raise SchemaTransformError(f"expected a draft 2020-12 schema, not {declared!r}")
    # A relative $ref would resolve against $id, which fastjsonschema might try to fetch.
    root.pop("$id", None)
    definitions = root.pop("$defs", {})
    if not isinstance(definitions, dict):
        raise SchemaTransformError("$defs must be a mapping")
    out = _subschema(root, "#", False)
    out["$schema"] = DRAFT_07
    # A definition may be referred to from under a `not` or an `if`, so each is rewritten as if it were.
    out["definitions"] = {name: _subschema(value, f"#/$defs/{name}", True) for name, value in definitions.items()}
    return out


def _subschema(node: object, where: str, negated: bool) -> Any:
    """``node`` rewritten; ``negated`` when a failure here can make the whole succeed (not, if, oneOf).

    There fastjsonschema must not be stricter than jsonschema either, which it is for ``integer`` (it
    refuses 1.0), so such a keyword is refused there."""
    if isinstance(node, bool):
        return node
    if not isinstance(node, dict):
        raise SchemaTransformError(f"{where}: a schema must be a mapping or a boolean")
    if "$defs" in node:
        raise SchemaTransformError(f"{where}: $defs is supported only at the root")
    out: dict[str, Any] = {}
    asserting: dict[str, Any] = {}
    for keyword, value in node.items():
        if keyword in ANNOTATIONS:
            out[keyword] = value
        elif keyword == "$ref":
            continue
        elif keyword == "dependentRequired":
            asserting["dependencies"] = _dependencies(value, where)
        elif keyword == "pattern":
            asserting["pattern"] = _pattern(value, where)
        elif keyword == "type" and negated and "integer" in (value if isinstance(value, list) else [value]):
            raise SchemaTransformError(f"{where}: fastjsonschema refuses 1.0 as an integer, so not under not/if/oneOf")
        elif keyword == "multipleOf" and isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            # A whole divisor is exact in both validators; a fraction (0.1) is not, in floating point.
            asserting[keyword] = value
        elif keyword in _SAME:
            inner = negated or keyword in _NEGATING
            asserting[keyword] = _children(_SAME[keyword], value, f"{where}/{keyword}", inner)
        else:
            raise SchemaTransformError(
                f"{where}: the keyword {keyword!r} is not known to mean the same in draft 7; teach "
                "engine/evaluation/fastcheck.py its meaning (or list it in ANNOTATIONS if it asserts nothing)"
            )
    if "items" in asserting and not isinstance(asserting["items"], dict | bool):
        raise SchemaTransformError(f"{where}: items must be one schema (draft 2020-12 has no array form)")
    if "$ref" not in node:
        out.update(asserting)
        return out
    ref = {"$ref": _ref(node["$ref"], where)}
    if asserting:
        # Draft 2020-12 applies a $ref and its siblings; draft 7 would ignore the siblings.
        out["allOf"] = [ref, asserting]
    else:
        out.update(ref)
    return out


def _children(kind: str, value: Any, where: str, negated: bool) -> Any:
    if kind == "map":
        if not isinstance(value, dict):
            raise SchemaTransformError(f"{where}: must be a mapping")
        return {name: _subschema(item, f"{where}/{name}", negated) for name, item in value.items()}
    if kind == "list":
        if not isinstance(value, list):
            raise SchemaTransformError(f"{where}: must be a list")
        return [_subschema(item, f"{where}/{index}", negated) for index, item in enumerate(value)]
    if kind == "schema":
        return _subschema(value, where, negated)
    return value


def _ref(ref: object, where: str) -> str:
    found = _REF.match(ref) if isinstance(ref, str) else None
    if not found:
        raise SchemaTransformError(f"{where}: only #/$defs/NAME references are rewritten, not {ref!r}")
    return f"#/definitions/{found.group(1)}"


def _dependencies(value: object, where: str) -> dict[str, list[str]]:
    if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()):
        raise SchemaTransformError(f"{where}: dependentRequired must map names to lists of names")
    return {name: list(names) for name, names in value.items()}


def _pattern(pattern: object, where: str) -> str:
    if not isinstance(pattern, str):
        raise SchemaTransformError(f"{where}: pattern must be text")
    if re.search(r"\[[^\]]*\$", pattern):
        # "$" inside a character class is a literal, and fastjsonschema would change it too.
        raise SchemaTransformError(f"{where}: a '$' inside [...] cannot be kept apart from fastjsonschema's rewrite")
    return _DOLLAR.sub(r"(?=\\n?\\Z)", pattern)


def _formats(document: object) -> dict[str, Callable[[object], bool]]:
    """jsonschema's own check for every format the schema names (unknown formats pass, as in jsonschema)."""
    names: set[str] = set()
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("format"), str):
                names.add(node["format"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    checker = FormatChecker()
    return {name: _format_check(checker, name) for name in sorted(names)}


def _format_check(checker: FormatChecker, name: str) -> Callable[[object], bool]:
    found = checker.checkers.get(name)
    if found is None:
        return lambda value: True
    function, raises = found

    def check(value: object) -> bool:
        try:
            return bool(function(value))
        except raises:
            return False

    return check


@cache
def validator(name: str = "case") -> Callable[[object], object]:
    """The compiled fast validator of the named schema; raises ``JsonSchemaValueException`` on any problem.

    Its errors are never shown (a refused case goes to the full check), so the code fastjsonschema generates
    is compiled without what only builds them: the schema excerpt each error carries (``detailed_exceptions``)
    and the name of every array item, which the generated code formats with ``str.format(**locals())`` on
    the way in, whether or not anything fails; that call was half the time of checking a case. Without it,
    an item's name in a message is the unformatted template. Should a release of fastjsonschema generate code
    this cannot compile, the validator is the library's own, as fast as it makes it.
    """
    document = schema(name)
    definition, formats = draft07(document), _formats(document)
    try:
        code = fastjsonschema.compile_to_code(definition, formats=formats, use_default=False, detailed_exceptions=False)
        namespace: dict[str, Any] = {}
        exec(compile(code.replace(".format(**locals())", ""), f"<fastcheck {name}>", "exec"), namespace)
        validate = namespace["validate"]
    except Exception:  # the generated code changed shape: compile it as the library does
        return fastjsonschema.compile(definition, formats=formats, use_default=False)
    return lambda data: validate(data, formats)


_PLAIN_SCALARS = (str, bool, int, type(None))


def is_plain_json(data: object) -> bool:
    """Whether ``data`` is made only of dicts with text keys, lists, text, finite numbers, booleans and null,
    as JSON gives it (subclasses, tuples and dates are not)."""
    stack = [data]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is dict:
            if not all(type(key) is str for key in value):
                return False
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif kind is float:
            if not math.isfinite(value):
                return False
        elif kind not in _PLAIN_SCALARS:
            return False
    return True


def accepts(data: object, name: str = "case") -> bool:
    """True only when ``data`` (plain JSON: :func:`is_plain_json`) is valid against the named schema.

    False says nothing: the fast check may refuse a valid case (the full check then accepts it), and never
    explains why it refused."""
    try:
        validator(name)(data)
    except fastjsonschema.JsonSchemaValueException:
        return False
    except (TypeError, ValueError, RecursionError):
        # Anything the generated code cannot take is the full check's to judge.
        return False
    return True
