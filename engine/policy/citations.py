"""Check a citation against the source text it quotes, and say which numbers a quote states."""

from __future__ import annotations

import re
from pathlib import Path

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})
_SPACE = re.compile(r"\s+")

# fmt: off
_WORDS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
]
# fmt: on
NUMBER_WORDS = {i: w for i, w in enumerate(_WORDS)} | {24: "twenty-four", 30: "thirty"}

UNIT_WORDS = {
    "hours": r"hours?",
    "working days": r"working\s+days?",
    "days": r"days?",
    "weeks": r"weeks?",
    "months": r"months?",
    "years": r"years?",
}


def normalise(text: str) -> str:
    """Fold typographic quotes and runs of white space, so a quote copied from a web page matches."""
    return _SPACE.sub(" ", text.translate(_QUOTES)).strip()


class SourceText:
    """A source document's text, searchable for quotes, remembering the line each one starts on."""

    def __init__(self, text: str):
        self._lines: list[int] = []
        parts: list[str] = []
        length = 0
        for number, line in enumerate(text.splitlines(), start=1):
            piece = normalise(line)
            if not piece:
                continue
            if parts:
                length += 1
            self._lines.append((length, number))
            parts.append(piece)
            length += len(piece)
        self.text = " ".join(parts)

    @classmethod
    def read(cls, path: Path) -> SourceText:
        return cls(path.read_text(encoding="utf-8", errors="replace"))

    def find(self, quote: str) -> int | None:
        """The 1-based line of the source on which ``quote`` starts, or None when it is not there."""
        wanted = normalise(quote)
        if not wanted:
            return None
        at = self.text.find(wanted)
        if at < 0:
            return None
        line = 1
        for offset, number in self._lines:
            if offset > at:
                break
            line = number
        return line


def _number_pattern(amount: int) -> str:
    options = [str(amount)]
    if amount in NUMBER_WORDS:
        options.append(NUMBER_WORDS[amount])
    return r"\b(?:" + "|".join(options) + r")\b"


def states_value(quote: str, amount: int, unit: str = "") -> bool:
    """Whether ``quote`` states the number ``amount`` (as digits or a word) with ``unit`` close after it.

    "15 days" is not stated by "15 working days": a calendar-day value needs "days" without
    "working" between the number and the unit.
    """
    text = normalise(quote).lower()
    number = _number_pattern(amount)
    if not unit:
        return re.search(number, text) is not None
    between = r"(?:[\s(),-]+(?!working\b)[\w'-]+){0,3}?[\s(),-]+" if unit == "days" else r"(?:\W+\w+){0,3}?\W+"
    return re.search(number + between + UNIT_WORDS[unit] + r"\b", text) is not None
