"""Addressing the values of parsed YAML or JSON by path, for the tests that mutate cases and policies."""

from __future__ import annotations

from typing import Any


def paths(data: object, path: tuple = ()) -> list[tuple]:
    """The path of ``data`` itself and of every value inside it, keys and list indexes in order."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(paths(value, (*path, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(paths(value, (*path, index)))
    return found


def at(data: Any, path: tuple) -> Any:
    """The value at ``path`` inside ``data``."""
    for step in path:
        data = data[step]
    return data
