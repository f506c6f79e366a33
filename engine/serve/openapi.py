"""The OpenAPI 3.1 description of ``cpc serve``, built from the case and result schemas cpc ships.

The request body of an evaluation is ``schemas/case.schema.json`` and its response the ``evaluation`` of
``schemas/result.schema.json``, so the service, the CLI and a generated client can never disagree about a field.
Each schema's ``$defs`` become components (``Case…``, ``Result…``), because OpenAPI client generators follow
``#/components/schemas/…`` references and few follow a ``$defs`` nested inside a component.

Nothing here needs the ``serve`` extra: ``cpc schema openapi`` prints the same document without a server.
"""

from __future__ import annotations

import json
from functools import cache

from engine import __version__
from engine.core.resources import schema

__all__ = ["BATCH_TYPES", "MAX_BATCH_BYTES", "MAX_BODY_BYTES", "POLICY_HEADER", "TIMEOUT", "document", "text"]

MAX_BODY_BYTES = 1 << 20
"""Default limit of a single case's request body: a generated case with every kind of record is about 10 KB."""

MAX_BATCH_BYTES = 256 << 20
"""Default limit of a batch request's body (about 80,000 generated cases); one record is limited as a JSON
Lines record of ``cpc eval --cases`` is."""

TIMEOUT = 30.0
"""Default seconds a request's body may take to arrive (for a batch: the longest pause between two parts)."""

POLICY_HEADER = "Cpc-Policy-Version"
"""The response header that names the version of the area's policy that answered."""

BATCH_TYPES = ("application/x-ndjson", "application/jsonl")

_ERRORS = {
    "400": "The query is not valid (`as_of` not a date, or outside the years whose bank holidays are known).",
    "401": "The service was started with `--token-file` and the request has no `Authorization: Bearer` token, "
    "or the wrong one.",
    "404": "No such area, or no version of its policy is in force on `as_of`.",
    "405": "The endpoint does not take this method; the `Allow` header says which it takes.",
    "408": "The request body did not arrive within the time limit.",
    "413": "The request body is over the size limit.",
    "415": "The request body is not of the content type this endpoint takes.",
    "500": "cpc could not evaluate the request (an internal error; the log names its type, never the case).",
}


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _component(prefix: str, name: str) -> str:
    return prefix + _camel(name)


def _rewritten(value: object, prefix: str) -> object:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str) and item.startswith("#/$defs/"):
                out[key] = "#/components/schemas/" + _component(prefix, item.removeprefix("#/$defs/"))
            else:
                out[key] = _rewritten(item, prefix)
        return out
    if isinstance(value, list):
        return [_rewritten(item, prefix) for item in value]
    return value


def _components(name: str, prefix: str) -> tuple[dict, dict]:
    """The schema's root, and each of its ``$defs`` as a component, with references rewritten."""
    source = schema(name)
    root = {k: v for k, v in source.items() if k not in ("$schema", "$id", "$defs")}
    defs = {_component(prefix, key): _rewritten(value, prefix) for key, value in source.get("$defs", {}).items()}
    return _rewritten(root, prefix), defs


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(name: str = "Problem") -> dict:
    return {"application/problem+json": {"schema": _ref(name)}}


def _errors(*codes: str, refused: bool = False) -> dict:
    responses = {code: {"description": _ERRORS[code], "content": _problem()} for code in codes}
    if refused:
        responses["422"] = {
            "description": "The case does not match the case schema, or its time limits run past the calendar. "
            "Each finding names the line, column and field; none repeats a value from the case.",
            "content": _problem("CaseRefused"),
        }
    return dict(sorted(responses.items()))


_AREA = {"name": "area", "in": "path", "required": True, "schema": {"type": "string"}, "example": "berkshire"}
_AS_OF = {
    "name": "as_of",
    "in": "query",
    "required": False,
    "description": "The evaluation date; the version of the policy in force on it is used. Default: today "
    "(the server's date).",
    "schema": {"type": "string", "format": "date"},
    "example": "2026-03-02",
}
_EXPLAIN = {
    "name": "explain",
    "in": "query",
    "required": False,
    "description": "Say, for every result, which conditions matched on which facts (`cpc eval --explain`).",
    "schema": {"type": "boolean", "default": False},
}
_CITATIONS = {
    "name": "citations",
    "in": "query",
    "required": False,
    "description": "`header` (results format 2, as `cpc eval --cases` writes): a first line gives each rule's "
    "title and citations once and each result refers to its rule by id. `inline` (format 1): no header, each "
    "line as the single-case endpoint answers.",
    "schema": {"type": "string", "enum": ["header", "inline"], "default": "header"},
}
_VERSION_HEADER = {
    POLICY_HEADER: {
        "description": "The version of the area's policy in force on `as_of`, the one that answered.",
        "schema": {"type": "string"},
    }
}


def _paths() -> dict:
    return {
        "/v1/areas/{area}/evaluate": {
            "post": {
                "operationId": "evaluate",
                "summary": "Evaluate one case",
                "description": "Evaluates one case (as JSON) against the area's policy in force on `as_of`. The "
                "response is exactly the object `cpc eval --format json` prints for the case.",
                "parameters": [_AREA, _AS_OF, _EXPLAIN],
                "requestBody": {
                    "required": True,
                    "description": f"One case, at most `--max-body-bytes` (by default {MAX_BODY_BYTES:,} bytes).",
                    "content": {"application/json": {"schema": _ref("CaseFile")}},
                },
                "responses": {
                    "200": {
                        "description": "The evaluation.",
                        "headers": _VERSION_HEADER,
                        "content": {"application/json": {"schema": _ref("ResultEvaluation")}},
                    },
                    **_errors("400", "401", "404", "405", "408", "413", "415", "500", refused=True),
                },
            }
        },
        "/v1/areas/{area}/evaluate-batch": {
            "post": {
                "operationId": "evaluateBatch",
                "summary": "Evaluate a caseload (JSON Lines in, JSON Lines out, streamed)",
                "description": "One case per line in; one line per case out, in input order, streamed as the cases "
                "are evaluated: the very lines `cpc eval --cases` writes (a header line first, by default). A "
                "line that cannot be evaluated gives an error record (its id, its line, the problems found, "
                "never a value) and the run goes on. A response that stops before the end of the input (a time "
                "limit, a server stopping) is cut off without its final chunk, which HTTP clients report as an "
                "error: a complete response is never mistaken for a partial one.",
                "parameters": [_AREA, _AS_OF, _EXPLAIN, _CITATIONS],
                "requestBody": {
                    "required": True,
                    "description": "JSON Lines, one case a line; at most `--max-batch-bytes` in all (by default "
                    f"{MAX_BATCH_BYTES:,} bytes).",
                    # Binary: generators that cannot send a string body can send a file.
                    "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in BATCH_TYPES},
                },
                "responses": {
                    "200": {
                        "description": "JSON Lines: a header line (unless `citations=inline`), then one line per "
                        "case: an evaluation or an error record (`schemas/result.schema.json`).",
                        "headers": _VERSION_HEADER,
                        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                    },
                    **_errors("400", "401", "404", "405", "408", "413", "415", "500"),
                },
            }
        },
        "/v1/areas": {
            "get": {
                "operationId": "listAreas",
                "summary": "The areas, the version of each in force, and every version",
                "parameters": [_AS_OF],
                "responses": {
                    "200": {"description": "The areas.", "content": {"application/json": {"schema": _ref("Areas")}}},
                    **_errors("400", "401", "405"),
                },
            }
        },
        "/v1/areas/{area}": {
            "get": {
                "operationId": "getPolicy",
                "summary": "An area's policy after inheritance",
                "description": "The policy in force on `as_of` after inheritance, as `cpc show --format json` "
                "prints it: every rule with where it was defined and its values.",
                "parameters": [_AREA, _AS_OF],
                "responses": {
                    "200": {
                        "description": "The resolved policy.",
                        "headers": _VERSION_HEADER,
                        "content": {"application/json": {"schema": _ref("ResolvedPolicy")}},
                    },
                    **_errors("400", "401", "404", "405"),
                },
            }
        },
        "/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This description",
                "responses": {
                    "200": {"description": "OpenAPI 3.1.", "content": {"application/json": {"schema": {}}}},
                    **_errors("401", "405"),
                },
            }
        },
        "/healthz": {
            "get": {
                "operationId": "health",
                "summary": "Liveness, and which policies are loaded (no token needed)",
                "security": [],
                "responses": {
                    "200": {"description": "Serving.", "content": {"application/json": {"schema": _ref("Health")}}}
                },
            }
        },
    }


def _own_components() -> dict:
    stamp = {
        "type": "object",
        "description": "When the policies were loaded and a fingerprint of their files: a reload that changed a "
        "file changes it.",
        "required": ["loaded_at", "digest"],
        "properties": {"loaded_at": {"type": "string", "format": "date-time"}, "digest": {"type": "string"}},
    }
    version = {
        "type": "object",
        "required": ["version", "effective_from"],
        "properties": {
            "version": {"type": "string"},
            "effective_from": {"type": ["string", "null"], "format": "date"},
        },
    }
    finding = {
        "type": "object",
        "description": "A problem in the request body: where it is and how to fix it, never a value from the case.",
        "required": ["line", "column", "code", "path", "message"],
        "properties": {
            "line": {"type": "integer", "description": "1-based line of the request body."},
            "column": {"type": "integer"},
            "code": {"type": "string", "description": "The lint code (`cpc lint --explain CODE`)."},
            "path": {"type": "string", "description": "The field, e.g. `conferences[0].type`."},
            "message": {"type": "string"},
            "hint": {"type": "string"},
        },
    }
    problem = {
        "type": "object",
        "description": "An error, as RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "area": {"type": "string"},
            "policy_version": {"type": "string"},
        },
    }
    return {
        "Problem": problem,
        "CaseRefused": {
            "allOf": [
                _ref("Problem"),
                {
                    "type": "object",
                    "required": ["findings"],
                    "properties": {"findings": {"type": "array", "items": _ref("Finding")}},
                },
            ]
        },
        "Finding": finding,
        "PoliciesLoaded": stamp,
        "PolicyVersion": version,
        "Areas": {
            "type": "object",
            "required": ["as_of", "policies", "areas"],
            "properties": {
                "as_of": {"type": "string", "format": "date"},
                "policies": _ref("PoliciesLoaded"),
                "areas": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["area", "title", "in_force", "extends", "versions"],
                        "properties": {
                            "area": {"type": "string"},
                            "title": {"type": ["string", "null"]},
                            "in_force": {"oneOf": [_ref("PolicyVersion"), {"type": "null"}]},
                            "extends": {
                                "type": "array",
                                "items": {"type": "string"},
                                "description": "The areas it extends, as `cpc show --format json` lists them.",
                            },
                            "versions": {"type": "array", "items": _ref("PolicyVersion")},
                        },
                    },
                },
            },
        },
        "ResolvedPolicy": {
            "type": "object",
            "description": "The policy after inheritance, as `cpc show --format json` prints it.",
            "required": ["area", "version", "rules"],
            "properties": {
                "area": {"type": "string"},
                "title": {"type": "string"},
                "version": {"type": "string"},
                "effective_from": {"type": ["string", "null"], "format": "date"},
                "extends": {"type": "array", "items": {"type": "string"}},
                "rules": {"type": "array", "items": {"type": "object"}},
            },
        },
        "Health": {
            "type": "object",
            "required": ["status", "version", "policies"],
            "properties": {
                "status": {"type": "string", "enum": ["ok"]},
                "version": {"type": "string", "description": "cpc's version."},
                "policies": _ref("PoliciesLoaded"),
            },
        },
    }


def _for_generators(schemas: dict) -> dict:
    """The components reshaped where client generators fail on what the JSON Schemas say, with the same meaning.

    Each was found by generating clients (openapi-python-client, openapi-generator's python, java and csharp,
    openapi-typescript) from the document and reading real responses with them.
    """

    def ref(name: str) -> dict:
        return {"$ref": f"#/components/schemas/{name}"}

    # A list-valued `const` stops openapi-python-client: the columns as a fixed-length list of names.
    columns = schemas["ResultHeader"]["properties"]["columns"]
    names = columns.pop("const")
    columns.update({"type": "array", "items": {"type": "string", "enum": names}, "minItems": len(names)})
    columns["maxItems"] = len(names)
    # if/then/else gives untyped values in every generator (and a null sent for an absent date in one): a date
    # or a date-time as one string pattern, `what` as an event or a list of them.
    for prefix in ("Case", "Result"):
        either = schemas[prefix + "DateOrDateTime"]
        then = either.pop("then")
        del either["if"], either["else"]
        either["pattern"] = f"{schemas[prefix + 'Date']['pattern']}|{then['pattern']}"
    what = schemas["ResultResult"]["properties"]["what"]
    schemas["ResultWhat"] = {
        "title": "what",
        "description": "An event, or a list of events any of which satisfies.",
        "anyOf": [what["else"], {"type": "array", **what["then"]}],
    }
    for owner in ("ResultResult", "ResultRuleEntry"):
        properties = schemas[owner]["properties"]
        properties["what"] = {"description": properties["what"]["description"], **ref("ResultWhat")}
    schemas["ResultRowMore"]["properties"]["what"]["anyOf"] = [{"type": "null"}, ref("ResultWhat")]
    # An evaluation from this service has whole results (format 1), never rows.
    schemas["ResultEvaluation"]["properties"]["results"]["items"] = ref("ResultResult")
    # Inline enums and references into another component's properties become models named `type` and `unit`
    # (which hide System.Type in C#) or fail to compile (Java): components of their own.
    not_recorded = schemas["Case"]["properties"]["coverage"]["properties"]["not_recorded"]
    schemas["CaseVocabularyName"], not_recorded["items"] = not_recorded["items"], ref("CaseVocabularyName")
    inner = {
        "#/components/schemas/ResultSubject/properties/type": "ResultSubjectType",
        "#/components/schemas/ResultLate/properties/unit": "ResultLateUnit",
    }
    schemas["ResultSubjectType"] = schemas["ResultSubject"]["properties"]["type"]
    schemas["ResultLateUnit"] = schemas["ResultLate"]["properties"]["unit"]
    schemas["ResultSubject"]["properties"]["type"] = ref("ResultSubjectType")
    schemas["ResultLate"]["properties"]["unit"] = ref("ResultLateUnit")
    amount = {"type": "integer", "minimum": 0}

    def reshaped(node: object) -> object:
        if isinstance(node, list):
            return [reshaped(item) for item in node]
        if not isinstance(node, dict):
            return node
        target = node.get("$ref")
        if target in inner:
            return {**{k: v for k, v in node.items() if k != "$ref"}, **ref(inner[target])}
        if target == "#/components/schemas/ResultLate/properties/amount":
            return {**{k: v for k, v in node.items() if k != "$ref"}, **amount}
        out = {key: reshaped(value) for key, value in node.items()}
        # `items: false` after `prefixItems` stops openapi-python-client; maxItems says the same.
        if out.get("items") is False and "prefixItems" in out:
            del out["items"]
            out["maxItems"] = len(out["prefixItems"])
        return out

    reshaped_schemas = reshaped(schemas)
    assert isinstance(reshaped_schemas, dict)
    return reshaped_schemas


@cache
def _document() -> str:
    case_root, case_defs = _components("case", "Case")
    _, result_defs = _components("result", "Result")
    doc = {
        "openapi": "3.1.0",
        "info": {
            "title": "cpc: Child Protection Conference procedures as code",
            "version": __version__,
            "description": "Evaluate a child's case against an area's Child Protection Conference procedure: "
            "which deadlines are met, missed or coming, which requirements are broken, and what the procedure "
            "asks for, each with the clause it rests on. See docs/serve.md.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "paths": _paths(),
        "components": {
            "schemas": _renamed(_for_generators({"Case": case_root, **case_defs, **result_defs, **_own_components()})),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Required when the server was started with `--token-file`.",
                }
            },
        },
        # Optional: a server started without --token-file takes requests without one.
        "security": [{"bearer": []}, {}],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _renamed(schemas: dict) -> dict:
    # `Case` is a reserved word in Java and C#: generators would call the model `ModelCase`.
    text = json.dumps({("CaseFile" if name == "Case" else name): schema for name, schema in schemas.items()})
    return json.loads(text.replace('"#/components/schemas/Case"', '"#/components/schemas/CaseFile"'))


def text() -> str:
    """The OpenAPI document as JSON text (what ``GET /v1/openapi.json`` serves)."""
    return _document()


def document() -> dict:
    """The OpenAPI document as a fresh dict."""
    return json.loads(_document())
