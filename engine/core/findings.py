"""The one type every check reports and every reporter prints: a finding at a place in a file."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"

    @property
    def rank(self) -> int:
        return 0 if self is Severity.ERROR else 1


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem found in a file.

    ``line`` and ``column`` are 1-based and point at the offending YAML node; ``path`` is the JSON path
    of that node inside the document (``rules[3].deadline.within``); ``hint`` says how to fix it.
    """

    file: str
    line: int
    column: int
    code: str
    name: str
    severity: Severity
    message: str
    path: str = ""
    hint: str = ""
    related: tuple[tuple[str, int, int], ...] = field(default=())

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.column, self.code, self.message)

    def to_dict(self) -> dict:
        data = {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "path": self.path,
        }
        if self.hint:
            data["hint"] = self.hint
        if self.related:
            data["related"] = [{"file": f, "line": ln, "column": col} for f, ln, col in self.related]
        return data


def json_path(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """``("rules", 3, "deadline")`` → ``rules[3].deadline``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
