"""Files cpc ships beside its code: the JSON Schemas and the shipped policies."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

# engine/data/, beside the subpackages.
_DATA = Path(__file__).resolve().parents[1] / "data"


@cache
def schema(name: str) -> dict:
    """The JSON Schema ``schemas/<name>.schema.json`` as a dict (``policy``, ``case``, ``result``)."""
    return json.loads((_DATA / f"{name}.schema.json").read_text(encoding="utf-8"))


def schema_text(name: str) -> str:
    """The schema file's text, exactly as shipped."""
    return (_DATA / f"{name}.schema.json").read_text(encoding="utf-8")


def shipped_policies() -> Path:
    """The folder of policies shipped with cpc: ``england``, ``berkshire``, ``hampshire``."""
    return (_DATA / "policies").resolve()
