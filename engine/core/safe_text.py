"""Text from a case, a results file or a policy, made safe for the output it is written to.

A case id, a team, a rule's title or a source's URL may hold anything, and each output reads some characters
as instructions: a terminal obeys escape sequences, a spreadsheet runs a cell that starts with ``=``, and
Markdown passes ``<script>`` through as HTML. Every renderer puts such text through one of these:

* :func:`terminal` for plain text on a terminal or in a log: control characters and the invisible characters
  that reorder or hide text are written as escapes (``\\x1b``, ``\\r``, ``\\u202e``), so a value can neither
  move the cursor, rewrite a line, ring the bell, open a link (OSC 8) nor reverse what follows it.
* :func:`markdown_text`, :func:`markdown_code` and :func:`markdown_url` for CommonMark (and GitHub's tables):
  every character that could start markup is backslash-escaped, so no value becomes a link, an image, emphasis,
  a heading, a list or raw HTML, and a link goes only to an http(s) address; :func:`html_text` for the few
  places a Markdown output is inside an HTML block.
* :func:`csv_cell` and :class:`CsvWriter` for CSV: a text cell that a spreadsheet would read as a formula is
  prefixed with a single quote, as OWASP recommends, and every cell holding a line break (CR as well as LF) is
  quoted, so that any CSV reader reads one row per record. Numbers (``int`` and ``float``) are written as
  numbers: a negative count stays a number a spreadsheet can add up.

None of them ever drops a character: what was there can still be read from the output.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import IO
from urllib.parse import quote

__all__ = [
    "FORMULA_STARTS",
    "CsvWriter",
    "csv_cell",
    "csv_line",
    "html_text",
    "markdown_code",
    "markdown_text",
    "markdown_url",
    "terminal",
]

# C0 controls (tab and line breaks included: a value is printed on one line), DEL and C1 controls; the
# characters that reorder text (Unicode bidi marks, embeddings, overrides and isolates: "Trojan Source"); the
# invisible ones (zero-width spaces and joiners, word joiner and invisible operators, the byte order mark,
# interlinear annotations, tag characters); the line and paragraph separators; and lone surrogates, which a
# file name that is not UTF-8 brings and which no UTF-8 output can hold.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
    "\ud800-\udfff\U000e0000-\U000e007f]"
)
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def terminal(text: object) -> str:
    """``text`` with every control, bidi and invisible character written as an escape (``\\x1b``, ``\\u202e``).

    Printable text, other scripts and emoji are unchanged; a backslash is left as it is.
    """
    value = str(text)
    return _UNSAFE.sub(_escape, value) if _UNSAFE.search(value) else value


# -- Markdown ----------------------------------------------------------------------------------------------

# Every ASCII character CommonMark or GitHub could read as markup: escapes, code, emphasis, strikethrough,
# links and images, raw HTML and autolinks (< >), entities (&), table cells (|), headings (#).
_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_~[]<>&|#"})
# A line that starts with these may be a list item, a thematic break or a setext heading's underline.
_MD_BLOCK_START = re.compile(r"^(?:[-+=]|(\d{1,9})([.)])(?= |$))")


def markdown_text(text: object) -> str:
    """``text`` as one line of CommonMark that renders as exactly that text, wherever it is put: a paragraph,
    a table cell, a heading, a link's text. Runs of white space become one space (a line break would end a
    table row), and controls are escaped as :func:`terminal` does."""
    value = terminal(" ".join(str(text).split())).translate(_MD_SPECIAL)
    found = _MD_BLOCK_START.match(value)
    if found:
        value = f"{found.group(1)}\\{found.group(2)}{value[found.end() :]}" if found.group(1) else "\\" + value
    return value


def markdown_code(text: object, *, table: bool = False) -> str:
    """``text`` as a CommonMark code span: fenced with more backticks than any run inside it, so a backtick in
    a value cannot end the span early. In a GitHub table (``table=True``) ``|`` is escaped, as a table needs
    even inside code."""
    value = terminal(" ".join(str(text).split()))
    if table:
        value = value.replace("|", "\\|")
    longest = max((len(run) for run in re.findall("`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def html_text(text: object) -> str:
    """``text`` for an HTML element inside a Markdown output (a ``<summary>``): HTML-escaped, on one line,
    controls escaped as :func:`terminal` does."""
    return html.escape(terminal(" ".join(str(text).split())), quote=True)


# -- CSV ---------------------------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""What a spreadsheet may read as the start of a formula: OWASP's list (``=``, ``+``, ``-``, ``@``, tab, CR),
with LF and the full-width forms of the first four, which some spreadsheets read as the ASCII ones."""
_NEEDS_QUOTES = re.compile('[,"\r\n]')


def csv_cell(value: object) -> str:
    """One CSV cell, not yet quoted: ``None`` is empty; an ``int`` or ``float`` is the number; text that starts
    with one of :data:`FORMULA_STARTS` is prefixed with ``'`` so that a spreadsheet shows it as text."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    # Control characters other than the tab, CR and LF the CSV rules below handle are escaped as on a terminal:
    # CSV is printed to one as often as opened in a spreadsheet.
    text = str(value)
    if _UNSAFE.search(text):
        text = _UNSAFE.sub(lambda m: m.group(0) if m.group(0) in "\t\r\n" else _escape(m), text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_line(values: Iterable[object]) -> str:
    """One CSV record ending in ``\\n``: each value through :func:`csv_cell`, and quoted (``"`` doubled) when it
    holds a comma, a quote, a CR or an LF. Otherwise byte for byte what :func:`csv.writer` writes with
    ``lineterminator="\\n"``, which leaves a bare CR unquoted."""
    cells = [csv_cell(v) for v in values]
    if cells == [""]:
        # A record of one empty cell would be a blank line, which readers skip.
        return '""\n'
    return ",".join(f'"{c.replace(chr(34), chr(34) * 2)}"' if _NEEDS_QUOTES.search(c) else c for c in cells) + "\n"


class CsvWriter:
    """A stand-in for :func:`csv.writer` that writes every row through :func:`csv_line`."""

    def __init__(self, stream: IO[str]):
        self.stream = stream

    def writerow(self, values: Iterable[object]) -> None:
        self.stream.write(csv_line(values))


# Everything a URL may hold as it is (RFC 3986's reserved and unreserved characters, and % of an escape);
# anything else (spaces, < > " ` \ | { } ^, controls, non-ASCII) is percent-encoded.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


def markdown_url(url: str) -> str | None:
    """``url`` as a link destination for CommonMark, percent-encoded so that it cannot end the link or start
    HTML; ``None`` unless it is an ``http`` or ``https`` address (a ``javascript:`` link is never written)."""
    if not url.lower().startswith(("https://", "http://")):
        return None
    return quote(url, safe=_URL_SAFE)
