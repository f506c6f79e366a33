"""Pieces the generated JSON Schemas share (policy, case, result), and writing a schema file.

Each schema is built in Python so that names and meanings come from the vocabulary; these helpers keep
the three builders writing the same shapes the same way.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from engine.core.vocabulary import Term

NOT_BLANK = r"\S"


def ref(name: str, description: str, **extra: Any) -> dict[str, Any]:
    """A property that uses a shared definition but has its own, context-specific description."""
    return {"description": description, "$ref": f"#/$defs/{name}", **extra}


def text(description: str, **extra: Any) -> dict[str, Any]:
    """A property holding non-blank text."""
    return {"description": description, "type": "string", "minLength": 1, "pattern": NOT_BLANK, **extra}


def closed_enum(values: dict[str, str], description: str) -> dict[str, Any]:
    """An enum whose values each carry a meaning an editor shows while completing."""
    return {
        "description": description,
        "type": "string",
        "enum": list(values),
        "enumDescriptions": list(values.values()),
    }


def known_names(terms: dict[str, Term], description: str) -> dict[str, Any]:
    """One of the vocabulary's names, each with its meaning for editors."""
    return {
        "description": description,
        "type": "string",
        "enum": list(terms),
        "enumDescriptions": [t.meaning for t in terms.values()],
    }


def only_keys(allowed: Iterable[str], declared: Iterable[str]) -> dict[str, Any]:
    """A ``propertyNames`` schema refusing the declared keys that are not ``allowed`` in this variant.

    Undeclared keys pass here on purpose: ``additionalProperties: false`` already reports them, and one
    report per unknown key is enough.
    """
    return {"if": {"enum": list(declared)}, "then": {"enum": list(allowed)}}


def render(schema: dict[str, Any]) -> str:
    """A schema file's exact text."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schema(path: Path, content: str, regenerate: str, argv: Sequence[str]) -> int:
    """Write ``content`` to ``path`` if it differs; with ``--check``, only report whether it is current.

    Exit codes: 0 current or written, 1 stale (with ``--check``), 2 bad arguments.
    """
    args = list(argv)
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if args == ["--check"]:
        if current == content:
            return 0
        print(f"{path} is out of date; run `{regenerate}`", file=sys.stderr)
        return 1
    if args:
        print(f"usage: {regenerate} [--check]", file=sys.stderr)
        return 2
    if current != content:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        print(f"wrote {path}")
    return 0
