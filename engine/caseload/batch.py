"""Evaluate a whole caseload: one output line per case, in input order, over as many processes as asked.

Three layers, each usable alone:

* :func:`read_cases` yields each case of a folder of case files, a JSON Lines file or a stream as a
  :class:`CaseInput` (where it came from, and its unparsed payload); it holds at most one chunk it has read
  and one line, and drops a record over the size limit as it arrives.
* :class:`CaseWorker` turns one input into its output line: the evaluation in results format 2, each result a
  row referring to its rule in the run's header (:mod:`engine.evaluation.results_file`), or with ``citations="inline"``
  exactly as ``cpc eval --format json`` prints it; or an error record naming the case's id, its source and the
  problems found, never a value from the case (docs/batch.md, docs/results.md).
* :func:`evaluate_all` runs a worker in this process (``jobs=1``) or in a pool of processes, and yields the
  outcomes in input order while keeping only a bounded number of cases in flight.

The pool, and why it is built as it is, is :mod:`engine.caseload.pool`'s.

Nothing here prints or imports click: the ``cpc eval --cases`` command wires it to files and a terminal.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import BinaryIO, NamedTuple

from engine.caseload import pool
from engine.core.findings import Finding, Severity
from engine.evaluation import eval_formats
from engine.evaluation.api import Policy, load_policy
from engine.evaluation.case_files import CaseError, check_case, load_case, read_case, read_record
from engine.evaluation.evaluate import Evaluator
from engine.evaluation.results_file import SEPARATORS, RuleTable
from engine.policy.policies import PolicyError, check_resolved
from engine.policy.yamlload import MAX_BYTES, MAX_DEPTH, MAX_NODES, Document, LoadError, load_file

__all__ = [
    "BLOCK_CASES",
    "CASE_SUFFIXES",
    "MAX_LINE_BYTES",
    "BatchError",
    "BatchSettings",
    "CaseInput",
    "CaseWorker",
    "InputError",
    "Outcome",
    "Oversized",
    "Records",
    "check_policy",
    "count_cases",
    "error_record",
    "evaluate_all",
    "header_line",
    "problem",
    "read_cases",
]

CASE_SUFFIXES = frozenset({".yaml", ".yml", ".json"})
MAX_LINE_BYTES = MAX_BYTES
# The largest refused record whose problems are given columns (a generated case with every kind of record is
# about 10 KB).
PLACED_MAX_BYTES = 64 * 1024
"""The longest JSON Lines record read, in bytes: the size limit of a case file."""

BLOCK_CASES = 16
"""Cases sent to a worker process at a time: about 50 ms of work, so that sending them costs nothing
measurable and no worker waits long behind a slow block. A block is also closed at
:data:`engine.caseload.pool.BLOCK_WEIGHT` bytes of input."""

_READ_CHUNK = 1 << 20
_BOM = b"\xef\xbb\xbf"


class InputError(Exception):
    """``--cases`` names something that cannot be read as a caseload (missing, unreadable, not a file)."""


STDIN_CLOSED = "--cases -: standard input is closed; pipe JSON Lines into cpc, or give --cases a file"


class BatchError(Exception):
    """The run cannot go on: a worker process failed to start or stopped unexpectedly."""


@dataclass(frozen=True, slots=True)
class Oversized:
    """A JSON Lines record longer than :data:`MAX_LINE_BYTES`, skipped without being held in memory."""

    size: int


class CaseInput(NamedTuple):
    """One case as read: ``source`` is the file, or ``file:line`` for JSON Lines; ``line`` is that line
    number (0 for a case file); ``data`` is the record's bytes, the case file's path, or :class:`Oversized`."""

    source: str
    line: int
    data: bytes | Path | Oversized


class Outcome(NamedTuple):
    """What one case gave: its output line (UTF-8, ending in a newline), and how it went; ``case`` is its id
    (None when it has none) and ``source`` where it was read (``file:line``), to report a repeated id."""

    line: bytes
    attention: bool
    failed: bool
    case: str | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class BatchSettings:
    """What every worker needs to evaluate cases the same way: picklable, so it can go to a new process."""

    area: str
    policies_dir: Path | None
    as_of: dt.date
    explain: bool = False
    # Events and facts the whole caseload's source does not record, added to each case's own `coverage`.
    not_recorded: tuple[str, ...] = ()
    # "header": results format 2, each result a row referring to its rule in ``rules``, the table the run's
    # header lists (built from the policy when None); "inline": format 1, each result whole.
    citations: str = "header"
    rules: RuleTable | None = None


# -- reading ------------------------------------------------------------------------------------------------


def _label(text: str) -> str:
    # A file name that is not UTF-8 arrives with surrogate escapes, which a UTF-8 output cannot hold.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _folder_entries(folder: Path) -> list[Path]:
    try:
        with os.scandir(folder) as entries:
            names = [e.name for e in entries if Path(e.name).suffix.lower() in CASE_SUFFIXES and _is_regular_file(e)]
    except OSError as exc:
        raise InputError(f"cannot read the folder {_label(str(folder))}: {exc.strerror or exc}") from None
    # Code-point order, not the locale's, so that the output order is the same on every machine.
    return [folder / name for name in sorted(names)]


def _is_regular_file(entry: os.DirEntry) -> bool:
    # Subfolders, sockets and devices (a `x.yaml` symlink to /dev/zero) are skipped, never opened.
    try:
        return entry.is_file()
    except OSError:
        return False


class Records:
    """The JSON Lines records of a stream given in chunks of any size, each as a :class:`CaseInput` named
    ``name:line``: blank lines skipped, a byte-order mark at the start dropped, a record over
    :data:`MAX_LINE_BYTES` given as :class:`Oversized` and dropped as it arrives, never held whole. One reader
    for a file, standard input and a request's body, so that they cannot disagree about a line."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.number = 0
        self._buffer = b""
        self._skipping = 0  # bytes of an oversized record dropped so far, while its end is awaited

    def feed(self, chunk: bytes) -> list[CaseInput]:
        """The records that ``chunk`` completes."""
        items: list[CaseInput] = []
        data = self._buffer + chunk
        start = 0
        while True:
            end = data.find(b"\n", start)
            if end < 0:
                break
            self._take(data[start:end], items)
            start = end + 1
        rest = data[start:]
        if len(rest.rstrip(b"\r")) > MAX_LINE_BYTES:
            # Dropped as it comes, but for a last "\r", which ends the record if the next chunk starts with "\n"
            # and so is not part of its size.
            keep = b"\r" if rest.endswith(b"\r") else b""
            self._skipping += len(rest) - len(keep)
            rest = keep
        self._buffer = rest
        return items

    def end(self) -> list[CaseInput]:
        """The last record, when the stream does not end with a line break."""
        items: list[CaseInput] = []
        if self._buffer or self._skipping:
            self._take(self._buffer, items)
        self._buffer = b""
        return items

    def _take(self, raw: bytes, items: list[CaseInput]) -> None:
        self.number += 1
        if self.number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        content = raw.rstrip(b"\r")
        source = f"{self.name}:{self.number}"
        size = self._skipping + len(content)
        self._skipping = 0
        if size > MAX_LINE_BYTES:
            items.append(CaseInput(source, self.number, Oversized(size)))
        elif content.strip():
            items.append(CaseInput(source, self.number, content))


def _lines(stream: BinaryIO, name: str) -> Iterator[CaseInput]:
    records = Records(name)
    # read1: what a pipe has now, so that cases piped in slowly are evaluated as they come.
    read = getattr(stream, "read1", stream.read)
    while chunk := read(_READ_CHUNK):
        yield from records.feed(chunk)
    yield from records.end()


def read_cases(path: str | Path, stdin: BinaryIO | None = None) -> Iterator[CaseInput]:
    """Each case of a folder (case files in name order), a JSON Lines file, or ``-`` (JSON Lines on ``stdin``,
    default the process's standard input). Raises :class:`InputError` when ``path`` cannot be read."""
    if str(path) == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer if sys.stdin is not None else None
        if stream is None:
            raise InputError(STDIN_CLOSED)
        try:
            yield from _lines(stream, "<stdin>")
        except OSError as exc:
            # A read error: a terminal that went away, a failing disk under `< cases.jsonl`.
            raise InputError(f"cannot read standard input: {exc.strerror or exc}") from None
        return
    path = Path(path)
    if path.is_dir():
        for file in _folder_entries(path):
            yield CaseInput(_label(str(file)), 0, file)
        return
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {_label(str(path))}: {exc.strerror or exc}") from None
    with stream:
        try:
            yield from _lines(stream, _label(str(path)))
        except OSError as exc:
            raise InputError(f"cannot read {_label(str(path))}: {exc.strerror or exc}") from None


def count_cases(path: str | Path) -> int | None:
    """How many cases :func:`read_cases` will yield, when that is cheap to know: for a folder, or a regular
    file (one pass over its lines); ``None`` for a stream or a pipe."""
    if str(path) == "-":
        return None
    path = Path(path)
    try:
        if path.is_dir():
            return len(_folder_entries(path))
        if not stat.S_ISREG(path.stat().st_mode):
            return None
        with path.open("rb") as stream:
            return sum(1 for _ in _lines(stream, ""))
    except (OSError, InputError):
        return None


# -- one case -----------------------------------------------------------------------------------------------


class _Refused(ValueError):
    """A JSON record refused while it is parsed: a duplicate key, NaN or an infinite number."""

    def __init__(self, code: str, message: str, hint: str = ""):
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def _object(pairs: list[tuple[str, object]]) -> dict:
    data = dict(pairs)
    if len(data) != len(pairs):
        raise _Refused(
            "CPC002",
            "an object has the same key twice: JSON readers would silently keep only the last",
            "remove or rename one of them",
        )
    return data


def _constant(name: str) -> float:
    raise _Refused("CPC001", "not valid JSON: NaN and Infinity are not JSON numbers")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("CPC001", "not valid JSON: a number is too large")
    return value


def _finding(source: str, line: int, column: int, code: str, message: str, path: str = "", hint: str = "") -> Finding:
    from engine.policy.lint.registry import RULES

    rule = RULES.get(code)
    return Finding(source, line, column, code, rule.name if rule else code, Severity.ERROR, message, path, hint)


def _check_shape(item: CaseInput, data: object) -> None:
    """Refuse parsed JSON deeper or larger than the YAML loader lets a case file be: validating and
    evaluating it would recurse too deep, or take minutes."""
    stack: list[tuple[object, int]] = [(data, 0)]
    count = 0
    while stack:
        value, depth = stack.pop()
        count += 1
        problem = ""
        if count > MAX_NODES:
            problem = f"the record holds more than {MAX_NODES:,} values, far more than any case"
        elif depth > MAX_DEPTH:
            problem = f"nested more than {MAX_DEPTH} levels deep"
        if problem:
            raise CaseError(problem, [_finding(item.source, item.line or 1, 1, "CPC004", problem)])
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _parse_record(item: CaseInput) -> object:
    """The JSON value of one JSON Lines record; raises :class:`CaseError` with a finding at its line."""
    data = item.data
    # A JSON Lines record is one line of its file; a request's body (line 0) may be many.
    line = item.line or 1
    if isinstance(data, Oversized):
        message = f"the record is {data.size:,} bytes, over the {MAX_LINE_BYTES:,}-byte limit"
        raise CaseError(message, [_finding(item.source, line, 1, "CPC004", message)])
    assert isinstance(data, bytes)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text (byte 0x{data[exc.start]:02x})"
        finding = _finding(item.source, line, exc.start + 1, "CPC001", message, hint="save the file as UTF-8")
        raise CaseError(message, [finding]) from None
    try:
        parsed = json.loads(text, object_pairs_hook=_object, parse_constant=_constant, parse_float=_float)
    except json.JSONDecodeError as exc:
        # The decoder's messages are fixed phrases ("Expecting ',' delimiter"): they never quote the record.
        message = f"not valid JSON: {exc.msg}"
        raise CaseError(message, [_finding(item.source, line + exc.lineno - 1, exc.colno, "CPC001", message)]) from None
    except _Refused as exc:
        raise CaseError(exc.message, [_refused_at(item, text, line, exc)]) from None
    except RecursionError:
        message = f"nested more than {MAX_DEPTH} levels deep"
        raise CaseError(message, [_finding(item.source, line, 1, "CPC004", message)]) from None
    except ValueError:
        # Python refuses integers of more than 4,300 digits; its message is the only other ValueError.
        message = "not valid JSON: a number is too long"
        raise CaseError(message, [_finding(item.source, line, 1, "CPC001", message)]) from None
    return parsed


# A JSON string, or a number or constant JSON has no value for (NaN, Infinity, 1e999), outside one.
_STRING_OR_NUMBER = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN|-?[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]+)')


def _refused_at(item: CaseInput, text: str, line: int, exc: _Refused) -> Finding:
    """Where in a refused record its problem is: the record is one line of a file, but a request's body may be
    many. A duplicate key is placed (with its field) by the YAML loader, which reports it as a case file's; a
    number is found by scanning the text outside strings."""
    if exc.code == "CPC002" and len(text) <= PLACED_MAX_BYTES:
        try:
            read_case(text, item.source)
        except CaseError as placed:
            for finding in placed.findings:
                if finding.code == exc.code:
                    return _finding(
                        item.source,
                        line + finding.line - 1,
                        finding.column,
                        exc.code,
                        exc.message,
                        finding.path,
                        exc.hint,
                    )
        except Exception:  # the second reading only adds a place; whatever it meets, the first one's report stands
            pass
    if exc.code == "CPC001":
        for found in _STRING_OR_NUMBER.finditer(text):
            token = found.group(1)
            if token and (not token[-1].isdigit() or not math.isfinite(float(token))):
                before = text[: found.start(1)]
                return _finding(
                    item.source,
                    line + before.count("\n"),
                    found.start(1) - before.rfind("\n"),
                    exc.code,
                    exc.message,
                    hint=exc.hint,
                )
    return _finding(item.source, line, 1, exc.code, exc.message, hint=exc.hint)


def _case_id(data: object) -> str | None:
    if isinstance(data, dict):
        value = data.get("id")
        if isinstance(value, str):
            return value
    return None


def _file_case_id(path: Path) -> str | None:
    """The id of a case file that could not be evaluated, read again for it alone (errors are rare)."""
    try:
        return _case_id(load_file(path).data)
    except (LoadError, OSError):
        return None


# The YAML loader's message for a scalar its tag cannot build quotes the scalar ("'2025-02-30' is not a valid
# timestamp: ..."), and the constructor's reason may quote it again. In a case that is a value from the case.
_QUOTED_SCALAR = re.compile(r"^(key )?'.*' is not a valid (\w+)", re.DOTALL)


def _redacted(message: str) -> str:
    found = _QUOTED_SCALAR.match(message)
    if found:
        return f"{'a key' if found.group(1) else 'a value'} is not a valid {found.group(2)}"
    return message


def error_record(case_id: str | None, source: str, findings: list[Finding], line: int = 0) -> dict:
    """The error record of a case that cannot be evaluated (docs/batch.md).

    Only the findings' place, code, field and message are kept, never a value: case messages are redacted
    where they are made, and the one loader message that quotes a value is redacted here. ``line`` (a JSON
    Lines record's line number) replaces the line of each finding, which counts within the record.
    """
    return {"case": case_id, "source": source, "error": [problem(f, line) for f in findings]}


def problem(finding: Finding, line: int = 0, *, hint: bool = False) -> dict:
    """A finding about a case as a record holds it: line (``line`` if given), column, code, field and message,
    redacted (see :func:`error_record`), and with ``hint`` its hint when it has one."""
    record = {
        "line": line or finding.line,
        "column": finding.column,
        "code": finding.code,
        "path": finding.path,
        "message": _redacted(finding.message),
    }
    if hint and finding.hint:
        record["hint"] = finding.hint
    return record


def _utf8(line: str, record: Callable[[], dict], separators: tuple[str, str] | None = None) -> bytes:
    try:
        return line.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (a JSON "\ud800" escape in an id) cannot be written as UTF-8; escaped, it is
        # still the same JSON value.
        return (json.dumps(record(), ensure_ascii=True, separators=separators) + "\n").encode("ascii")


def _error_line(case_id: str | None, item: CaseInput, findings: list[Finding]) -> Outcome:
    record = error_record(case_id, item.source, findings, item.line)
    line = _utf8(json.dumps(record, ensure_ascii=False) + "\n", lambda: record)
    return Outcome(line, False, True, case_id, item.source)


def header_line(rules: RuleTable) -> bytes:
    """The first line of a results file in format 2: the run's policy and every rule's title and citations."""
    return _utf8(rules.header_line(), rules.header, SEPARATORS)


# A JSON escape that may write a lone surrogate, which only the complete check reports (with its path).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _read(item: CaseInput, data: object) -> dict:
    """The case in a parsed record whose size and depth :func:`_check_shape` has checked."""
    if not isinstance(data, dict):
        return check_case(Document(item.source, data))
    assert isinstance(item.data, bytes)
    try:
        if _SURROGATE_ESCAPE.search(item.data):
            return read_case(data, item.source)
        return read_record(data, item.source)
    except CaseError as exc:
        raise _placed(item, exc) from None


def _placed(item: CaseInput, exc: CaseError) -> CaseError:
    """``exc`` with the column of each problem within the record, when there is one to give.

    Parsed JSON has no positions; the YAML loader, reading the record's text, knows each value's. Refused
    records are rare, so they are read a second time for it, and its findings are used only when they are
    the same problems (code, field and message), so that the two readers can never disagree about what is
    wrong. The YAML loader is far slower than JSON's, so a record larger than any real case is not read again:
    a file of large broken records must not take minutes for the sake of columns.
    """
    assert isinstance(item.data, bytes)
    if len(item.data) > PLACED_MAX_BYTES:
        return exc
    try:
        read_case(item.data.decode("utf-8"), item.source)
    except CaseError as placed:
        # The same problems, each in its place: the loader lists them by position, the record check by field.
        if sorted((f.code, f.path, f.message) for f in placed.findings) == sorted(
            (f.code, f.path, f.message) for f in exc.findings
        ):
            return placed
    except Exception:  # the second reading only adds columns; whatever it meets, the first one's report stands
        pass
    return exc


def read_input(item: CaseInput) -> dict:
    """The validated case of one input, as :func:`read_cases` gives it.

    Raises :class:`CaseError` whose findings name the place, code and field of each problem, never a value.
    """
    if isinstance(item.data, Path):
        return load_case(item.data)
    data = _parse_record(item)
    _check_shape(item, data)
    return _read(item, data)


def input_case_id(item: CaseInput) -> str | None:
    """The ``id`` of an input that could not be evaluated, when it has one: how every report names it.

    Only the id is taken from such a case. It is read again here because failures are rare, and the
    cases that evaluate need not carry it out of :func:`read_input`.
    """
    if isinstance(item.data, Path):
        return _file_case_id(item.data)
    try:
        return _case_id(_parse_record(item))
    except CaseError:
        return None


class CaseWorker:
    """Turns one :class:`CaseInput` into its :class:`Outcome` with one compiled policy version."""

    def __init__(self, evaluator: Evaluator, settings: BatchSettings):
        self.evaluator = evaluator
        self.settings = settings
        self.rules: RuleTable | None = None
        if settings.citations != "inline":
            self.rules = settings.rules or RuleTable.from_policy(evaluator.policy, settings.as_of)

    @classmethod
    def open(cls, settings: BatchSettings, policy: Policy | None = None) -> CaseWorker:
        """Load (unless given) and compile the policy in force on ``settings.as_of``; raises PolicyError."""
        if policy is None:
            policy = load_policy(settings.area, policies_dir=settings.policies_dir)
        return cls(policy.evaluator(settings.as_of), settings)

    def __call__(self, item: CaseInput) -> Outcome:
        """Evaluate one case; never raises for anything the case holds."""
        try:
            case = read_input(item)
            if self.settings.not_recorded:
                case = with_coverage(case, self.settings.not_recorded)
            evaluation = self.evaluator.evaluate(case, self.settings.as_of, explain=self.settings.explain)
        except CaseError as exc:
            return _error_line(input_case_id(item), item, exc.findings)
        except Exception as exc:  # a case the engine cannot take must not stop the run, nor its message leak
            message = f"cpc could not evaluate this case (internal error: {type(exc).__name__}); please report it"
            return _error_line(input_case_id(item), item, [_finding(item.source, 1, 1, "internal-error", message)])
        rules = self.rules
        if rules is None:
            # The very line `cpc eval --format json` prints, so the two modes cannot drift apart.
            line = _utf8(eval_formats.json_line(evaluation), evaluation.to_dict)
        else:
            line = _utf8(rules.evaluation_json(evaluation) + "\n", lambda: rules.evaluation(evaluation), SEPARATORS)
        return Outcome(line, eval_formats.needs_attention(evaluation), False, evaluation.case, item.source)


def with_coverage(case: dict, not_recorded: tuple[str, ...]) -> dict:
    """``case`` with ``not_recorded`` added to what its own ``coverage`` says its source does not record."""
    coverage = dict(case.get("coverage") or {})
    coverage["not_recorded"] = list(dict.fromkeys([*(coverage.get("not_recorded") or ()), *not_recorded]))
    return {**case, "coverage": coverage}


# -- many cases ---------------------------------------------------------------------------------------------


def check_policy(settings: BatchSettings, policy: Policy | None = None) -> Policy:
    """Load the policy (unless given) and lint the version in force, without compiling it; raises PolicyError.

    For a pool this runs before the workers start, so that a broken policy is reported once, here, and so
    that no durable-rules state exists in this process when it forks.
    """
    if policy is None:
        policy = load_policy(settings.area, policies_dir=settings.policies_dir)
    check_resolved(policy.in_force(settings.as_of))
    return policy


@dataclass(frozen=True, slots=True)
class _Opening:
    """What a worker process opens its :class:`CaseWorker` from: the settings, and the parsed (not compiled)
    policy."""

    settings: BatchSettings
    policy: Policy | None

    def __reduce__(self) -> tuple:
        # A forked worker inherits the parsed policy; a spawned one is sent the settings alone and parses the
        # policy again, from the files the parent has just checked.
        return _Opening, (self.settings, None)


def _open(opening: _Opening) -> CaseWorker:
    """Compile the policy in this process (loading it first when the opening holds none); raises PolicyError."""
    return CaseWorker.open(opening.settings, opening.policy)


def _open_worker(opening: _Opening) -> CaseWorker:
    """The pool's start function: each worker process compiles the policy once."""
    try:
        return _open(opening)
    except PolicyError:
        raise
    except Exception as exc:
        # The pool passes on only a failure's message; this one's type is worth naming.
        raise BatchError(f"a worker process could not compile the policy: {type(exc).__name__}: {exc}") from None


def _weight(item: CaseInput) -> int:
    # A record weighs its bytes, so that a few large ones do not make a block of many megabytes; a case file
    # or an oversized record goes to the worker as its path or its size, a few hundred bytes at most.
    return len(item.data) if isinstance(item.data, bytes) else 256


def _pooled(items: Iterable[CaseInput], settings: BatchSettings, jobs: int, policy: Policy) -> Iterator[Outcome]:
    outcomes = pool.ordered_map(
        _open_worker,
        _Opening(settings, policy),
        items,
        jobs=jobs,
        block=BLOCK_CASES,
        weight=_weight,
        where=attrgetter("source"),
    )
    # The pool's errors, in the words `cpc eval --cases` has always used.
    try:
        yield from outcomes
    except pool.WorkerStopped as exc:
        raise BatchError(
            f"a worker process stopped unexpectedly (killed, or crashed) while the cases from {exc.first} on were "
            "being evaluated; the run is incomplete"
        ) from None
    except pool.StartError as exc:
        raise BatchError(exc.reason) from None


def evaluate_all(
    items: Iterable[CaseInput], settings: BatchSettings, *, jobs: int = 1, policy: Policy | None = None
) -> Iterator[Outcome]:
    """The outcome of each input, in input order.

    With ``jobs=1`` the cases are evaluated in this process; otherwise in ``jobs`` worker processes, each
    compiling the policy once. ``policy`` is the area's policy if the caller has loaded it already (and not
    compiled it, for a pool). The policy is loaded and checked before this returns: a policy that cannot be
    used raises PolicyError here, not while iterating. Iterating raises :class:`BatchError` when a worker
    process fails; close the iterator, or exhaust it, to stop the workers.
    """
    if jobs <= 1:
        # In this process a failure to compile is what it is: an unexpected one is cpc's internal error.
        return pool.ordered_map(_open, _Opening(settings, policy), items)
    return _pooled(items, settings, jobs, check_policy(settings, policy))
