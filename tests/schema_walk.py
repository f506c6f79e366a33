"""Walks over a JSON Schema shared by the schema tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def undescribed(node: Any, where: str = "") -> Iterator[str]:
    """Paths of property, definition and item schemas without a description.

    ``if`` schemas are tests, never shown to an author, so they are not searched; an ``items`` or
    ``additionalProperties`` that only points at a described definition needs none of its own.
    """
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from undescribed(item, f"{where}/{i}")
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "if":
            continue
        if key in ("properties", "$defs") and isinstance(value, dict):
            for name, sub in value.items():
                if isinstance(sub, dict) and not sub.get("description"):
                    yield f"{where}/{key}/{name}"
        if (
            key in ("items", "additionalProperties")
            and isinstance(value, dict)
            and "$ref" not in value
            and not value.get("description")
        ):
            yield f"{where}/{key}"
        yield from undescribed(value, f"{where}/{key}")
