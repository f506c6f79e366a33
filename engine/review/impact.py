"""What a policy change does to cases: evaluate each case under both policies and count the results that move.

A reviewer approves or rejects a change to a policy on this: "3 cases go from met to missed" under a rule, with
the ids of those cases, says more than any reading of the YAML. Results are matched by rule and subject (the
conference or request they are about), never by position, so a rule that gives several results for one
subject is compared as a set of statuses.

Cases are read from a folder of case files or a JSON Lines file, one at a time, as `cpc eval --cases` reads
them, so memory holds the counts and ids, not the caseload. A case that cannot be read or does not match
the case schema is reported with its id (or file, or line) and the problems' codes and places; the run goes
on. Nothing from a case beyond its id is ever reported.

Each case is read and evaluated under both policies by one function (:class:`_Comparer`), in this process or in
worker processes (:mod:`engine.caseload.pool`), which hand back only what moved; the counts are made here, in input
order, so the impact is the same whatever the number of processes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from engine.caseload import batch, pool
from engine.core.safe_text import markdown_code, markdown_text, terminal
from engine.evaluation.case_files import CaseError
from engine.evaluation.compile import compile_policy
from engine.evaluation.evaluate import Evaluator
from engine.evaluation.results import Evaluation
from engine.policy.resolve import ResolvedPolicy
from engine.review.diff_formats import paint, to_json

NO_RESULT = "no result"


class ImpactError(ValueError):
    """The cases cannot be read at all: PATH missing, of an unknown kind, or holding no case."""


@dataclass(frozen=True, slots=True)
class LoadedCase:
    """One case as read: its data when valid, else the problems (codes, places, never values)."""

    source: str
    case_id: str | None
    data: dict | None = None
    problems: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"source": self.source, "case": self.case_id, "problems": list(self.problems)}


@dataclass(frozen=True, slots=True)
class Shift:
    """How far the due dates of a :class:`Movement`'s results move, in ``unit`` (``days``, or ``hours`` between
    two times of day): the smallest and largest move, never negative, and which way."""

    direction: str
    least: int
    most: int
    unit: str

    def to_dict(self) -> dict:
        return {"direction": self.direction, "least": self.least, "most": self.most, "unit": self.unit}

    def __str__(self) -> str:
        amount = str(self.least) if self.least == self.most else f"{self.least} to {self.most}"
        unit = self.unit if self.most != 1 else self.unit[:-1]
        return f"due {amount} {unit} {self.direction}"


@dataclass(frozen=True, slots=True)
class Movement:
    """The cases whose results under one rule go from one status to another (``None``: no result), or, with
    ``shift``, keep their status while their due date moves."""

    rule: str
    old: str | None
    new: str | None
    cases: tuple[str, ...]
    results: int
    shift: Shift | None = None

    def to_dict(self) -> dict:
        data = {"rule": self.rule, "from": self.old, "to": self.new, "cases": list(self.cases), "results": self.results}
        if self.shift is not None:
            data["due"] = self.shift.to_dict()
        return data


@dataclass(frozen=True, slots=True)
class Impact:
    """Every movement of results between the two policies, over the cases that could be evaluated."""

    as_of: dt.date
    evaluated: int
    changed: tuple[str, ...]
    movements: tuple[Movement, ...]
    failures: tuple[LoadedCase, ...] = ()

    def to_dict(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "evaluated": self.evaluated,
            "changed_cases": list(self.changed),
            "movements": [m.to_dict() for m in self.movements],
            "errors": [f.to_dict() for f in self.failures],
        }


# --- Reading cases ----------------------------------------------------------------------------------------


def read_inputs(path: str | Path) -> Iterator[batch.CaseInput]:
    """The cases at ``path`` as ``cpc eval --cases`` reads them, not yet parsed: a folder of ``*.yaml``,
    ``*.yml``, ``*.json`` files (in name order, not recursive) or a ``.jsonl`` file, one case per line.

    Cases are read one at a time as they are iterated, so a whole caseload is never held in memory, and
    :func:`compare_cases` parses each where it evaluates it. Raises :class:`ImpactError` at once when ``path``
    does not exist, is another kind of file, or holds no case, and while iterating when it can no longer be read.
    """
    path = Path(path)
    if not path.exists():
        raise ImpactError(f"--cases {path}: no such file or folder")
    if not path.is_dir() and path.suffix != ".jsonl":
        raise ImpactError(f"--cases {path}: give a folder of case files or a .jsonl file (one case per line)")
    items = batch.read_cases(path)
    try:
        first = next(items, None)
    except batch.InputError as exc:
        raise ImpactError(f"--cases {exc}") from None
    if first is None:
        raise ImpactError(f"--cases {path}: no cases found (*.yaml, *.yml, *.json, or lines of a .jsonl file)")
    return _each_input(itertools.chain([first], items))


def _each_input(items: Iterator[batch.CaseInput]) -> Iterator[batch.CaseInput]:
    try:
        yield from items
    except batch.InputError as exc:
        raise ImpactError(f"--cases {exc}") from None


def read_cases(path: str | Path) -> Iterator[LoadedCase]:
    """The cases at ``path`` (as :func:`read_inputs` finds them), each read and checked against the case schema.

    Raises :class:`ImpactError` as :func:`read_inputs` does.
    """
    return map(_loaded, read_inputs(path))


def _loaded(item: batch.CaseInput) -> LoadedCase:
    try:
        data = batch.read_input(item)
    except CaseError as exc:
        case_id = batch.input_case_id(item)
        record = batch.error_record(case_id, item.source, exc.findings, item.line)
        return LoadedCase(item.source, case_id, None, _problems(record, in_file=not item.line))
    return LoadedCase(item.source, _id(data), data)


def _problems(record: dict, *, in_file: bool) -> tuple[str, ...]:
    """An error record's findings in words: place, code, message and field. The record holds no case values."""
    found = []
    for error in record["error"]:
        where = f"{error['line']}:{error['column']}" if in_file else f"column {error['column']}"
        field = f" ({error['path']})" if error["path"] else ""
        found.append(f"{where}: {error['code']} {error['message']}{field}")
    return tuple(found)


def _id(data: object) -> str | None:
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


# --- Comparing results ------------------------------------------------------------------------------------


Due = dt.date | dt.datetime | None
# (rule, old status, new status, way the due date moves, unit): the key movements are counted under.
MoveKey = tuple[str, str | None, str | None, str | None, str | None]


def _outcomes(evaluation: Evaluation) -> dict[tuple[str, str, str], list[tuple[str, Due]]]:
    found: dict[tuple[str, str, str], list[tuple[str, Due]]] = {}
    for result in evaluation.results:
        subject = (result.subject.type, result.subject.id) if result.subject else ("", "")
        # A lower bound has no due date; its earliest date moves as a due date does.
        dated = result.due if result.due is not None else result.earliest
        found.setdefault((result.rule, *subject), []).append((result.status, dated))
    return found


def _sort_key(outcome: tuple[str, Due]) -> tuple:
    status, due = outcome
    return (status, due is None, due.isoformat() if due is not None else "")


def _shift(old: Due, new: Due) -> tuple[str, str, int] | None:
    """``(direction, unit, amount)`` of a due date's move; ``None`` when it does not move."""
    if old is None or new is None:
        return None
    if isinstance(old, dt.datetime) and isinstance(new, dt.datetime):
        hours = round((new - old).total_seconds() / 3600)
        return ("later" if hours > 0 else "earlier", "hours", abs(hours)) if hours else None
    days = (_day(new) - _day(old)).days
    return ("later" if days > 0 else "earlier", "days", abs(days)) if days else None


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _moves(old: Evaluation, new: Evaluation) -> Iterator[tuple[MoveKey, int]]:
    """Each result that differs, as its key and the amount its due date moves (0 for a change of status).

    Results are matched by rule and subject. Outcomes common to both cancel; then a result that keeps its
    status is paired with its own status, so that a moved due date reads as a move, not as two changes.
    """
    a, b = _outcomes(old), _outcomes(new)
    for key in sorted(a.keys() | b.keys()):
        olds, news = sorted(a.get(key, []), key=_sort_key), sorted(b.get(key, []), key=_sort_key)
        for outcome in list(olds):
            if outcome in news:
                olds.remove(outcome)
                news.remove(outcome)
        for outcome in list(olds):
            twin = next((other for other in news if other[0] == outcome[0]), None)
            shift = _shift(outcome[1], twin[1]) if twin else None
            if twin is None or shift is None:
                continue
            olds.remove(outcome)
            news.remove(twin)
            direction, unit, amount = shift
            yield (key[0], outcome[0], outcome[0], direction, unit), amount
        # Left: changes of status. A status on both sides (a due date that moved by less than the unit
        # counts in) is no change.
        olds_left, news_left = sorted(s for s, _ in olds), sorted(s for s, _ in news)
        for status in list(olds_left):
            if status in news_left:
                olds_left.remove(status)
                news_left.remove(status)
        for index in range(max(len(olds_left), len(news_left))):
            status_old = olds_left[index] if index < len(olds_left) else None
            status_new = news_left[index] if index < len(news_left) else None
            yield (key[0], status_old, status_new, None, None), 0


class CaseMoves(NamedTuple):
    """What one case gave: its name and each result that moved (see :func:`_moves`), or, in ``failure``, why it
    could not be evaluated. This is all a worker process hands back."""

    name: str
    moves: tuple[tuple[MoveKey, int], ...] = ()
    failure: LoadedCase | None = None


class _Comparer:
    """Reads one case (unless it is read already) and evaluates it under both policies: a worker's work."""

    def __init__(self, old: Evaluator, new: Evaluator, as_of: dt.date):
        self.old, self.new, self.as_of = old, new, as_of

    def __call__(self, case: LoadedCase | batch.CaseInput) -> CaseMoves:
        if isinstance(case, batch.CaseInput):
            case = _loaded(case)
        if case.data is None:
            return CaseMoves("", failure=case)
        try:
            before = self.old.evaluate(case.data, self.as_of)
            after = self.new.evaluate(case.data, self.as_of)
        except Exception as exc:
            if os.environ.get("CPC_DEBUG"):
                raise
            # One case the engine cannot take must not hide what the change does to the others. The
            # exception's message is left out: it may quote the case.
            problem = f"internal error while evaluating: {type(exc).__name__}"
            return CaseMoves("", failure=LoadedCase(case.source, case.case_id, None, (problem,)))
        return CaseMoves(case.case_id or before.case or case.source, tuple(_moves(before, after)))


def _start_comparer(task: tuple[ResolvedPolicy, ResolvedPolicy, dt.date]) -> _Comparer:
    """Compile both policies: once per process that compares cases."""
    old, new, as_of = task
    return _Comparer(Evaluator(compile_policy(old)), Evaluator(compile_policy(new)), as_of)


def _weight(case: LoadedCase | batch.CaseInput) -> int:
    if isinstance(case, batch.CaseInput) and isinstance(case.data, bytes):
        return len(case.data)
    return 256


def _where(case: LoadedCase | batch.CaseInput) -> str:
    return case.source


def compare_cases(
    old: ResolvedPolicy,
    new: ResolvedPolicy,
    cases: Iterable[LoadedCase | batch.CaseInput],
    as_of: dt.date,
    *,
    jobs: int = 1,
    on_case: Callable[[], None] | None = None,
) -> Impact:
    """Evaluate every valid case under ``old`` and ``new`` on ``as_of`` and collect what moves: results whose
    status changes, and results that keep their status while their due date moves.

    ``cases`` are as :func:`read_cases` gives them, or as :func:`read_inputs` does (then each is read where it
    is evaluated). With ``jobs`` above 1 they are evaluated in that many worker processes, each compiling both
    policies; the impact is the same. ``on_case`` is called once each case is done, in input order (for a
    progress bar). Both policies must already be checked (``cpc lint`` clean): they are compiled as given.
    Raises :class:`engine.caseload.pool.PoolError` when a worker process stops.
    """
    moved: dict[MoveKey, tuple[set[str], list[int]]] = {}
    changed: set[str] = set()
    failures: list[LoadedCase] = []
    evaluated = 0
    outcomes = pool.ordered_map(_start_comparer, (old, new, as_of), cases, jobs=jobs, weight=_weight, where=_where)
    with contextlib.closing(outcomes):
        for outcome in outcomes:
            if on_case is not None:
                on_case()
            if outcome.failure is not None:
                failures.append(outcome.failure)
                continue
            evaluated += 1
            for move, amount in outcome.moves:
                ids, amounts = moved.setdefault(move, (set(), []))
                ids.add(outcome.name)
                amounts.append(amount)
                changed.add(outcome.name)
    movements = tuple(_movement(key, ids, amounts) for key, (ids, amounts) in sorted(moved.items(), key=_order))
    return Impact(as_of, evaluated, tuple(sorted(changed)), movements, tuple(failures))


def _movement(key: MoveKey, ids: set[str], amounts: list[int]) -> Movement:
    rule, old, new, direction, unit = key
    shift = Shift(direction, min(amounts), max(amounts), unit) if direction and unit else None
    return Movement(rule, old, new, tuple(sorted(ids)), len(amounts), shift)


def _order(item: tuple[MoveKey, object]) -> tuple:
    # Per rule: changes of status first, then moved due dates, earlier before later.
    rule, a, b, direction, unit = item[0]
    return (rule, direction is not None, a or "", b or "", direction or "", unit or "")


# --- Rendering --------------------------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# Enough ids for a reviewer to open a few cases; a change that moves hundreds would otherwise bury the summary.
# The JSON output always lists every case.
SHOWN_IDS = 10


def _ids(cases: tuple[str, ...] | list[str]) -> str:
    shown = ", ".join(cases[:SHOWN_IDS])
    if len(cases) > SHOWN_IDS:
        shown += f" and {len(cases) - SHOWN_IDS} more (--format json lists every case)"
    return shown


def _sentence(move: Movement) -> str:
    """``transfer-in-timescale: 3 cases go from missed to met (c1, c4, c9)``, or for a moved due date
    ``first-core-group: 2 cases stay pending, due 2 days earlier (c2, c7)``."""
    cases = len(move.cases)
    results = f" ({_plural(move.results, 'result')})" if move.results != cases else ""
    if move.shift is not None:
        verb = "stays" if cases == 1 else "stay"
        change = f"{verb} {move.old}, {move.shift}"
    else:
        verb = "goes" if cases == 1 else "go"
        change = f"{verb} from {move.old or NO_RESULT} to {move.new or NO_RESULT}"
    return f"{move.rule}: {_plural(cases, 'case')}{results} {change} ({_ids(move.cases)})"


def _headline(impact: Impact) -> str:
    head = f"Impact on {_plural(impact.evaluated, 'case')}, as of {impact.as_of.isoformat()}: "
    if impact.changed:
        # A change of status is what a change is approved or rejected on; moved due dates are counted apart.
        status = {case for m in impact.movements if m.shift is None for case in m.cases}
        parts = []
        if status:
            parts.append(f"{_plural(len(status), 'case')} {'changes' if len(status) == 1 else 'change'} status")
        if moved := len(impact.changed) - len(status):
            more = " more" if status else ""
            parts.append(f"{moved}{more} {'case has' if moved == 1 else 'cases have'} only due dates moved")
        head += "; ".join(parts)
    else:
        head += "no case's results differ"
    if impact.failures:
        head += f"; {_plural(len(impact.failures), 'case')} could not be evaluated"
    return head


def _failure_name(case: LoadedCase) -> str:
    return f"{case.source} ({case.case_id})" if case.case_id else case.source


def render_text(impact: Impact, *, color: bool = False) -> str:
    # Case ids and file names are escaped for the terminal: an id cannot send escape sequences.
    lines = [paint(_headline(impact), "bold", color=color)]
    lines += [terminal(f"  {_sentence(m)}") for m in impact.movements]
    if impact.failures:
        lines += ["", paint(f"Could not evaluate ({len(impact.failures)})", "bold", "red", color=color)]
        for case in impact.failures:
            lines += [terminal(f"  {_failure_name(case)}: {problem}") for problem in case.problems]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return markdown_text(text)


def render_markdown(impact: Impact) -> str:
    lines = [f"### {_headline(impact)}", ""]
    if impact.movements:
        lines += ["| rule | from | to | cases | case ids |", "| --- | --- | --- | ---: | --- |"]
        for m in impact.movements:
            count = str(len(m.cases)) + (f" ({_plural(m.results, 'result')})" if m.results != len(m.cases) else "")
            ids = _cell(_ids(m.cases))
            to = f"{m.new}, {m.shift}" if m.shift is not None else m.new or NO_RESULT
            rule = markdown_code(m.rule, table=True)
            lines.append(f"| {rule} | {_cell(m.old or NO_RESULT)} | {_cell(to)} | {count} | {ids} |")
        lines.append("")
    if impact.failures:
        lines += [f"**Could not evaluate ({len(impact.failures)})**", "", "| case | problem |", "| --- | --- |"]
        for case in impact.failures:
            for problem in case.problems:
                lines.append(f"| {_cell(_failure_name(case))} | {_cell(problem)} |")
        lines.append("")
    return "\n".join(lines)


def render(impact: Impact, fmt: str, *, color: bool = False) -> str:
    """The impact in ``fmt``: ``text``, ``markdown`` or ``json``."""
    if fmt == "json":
        return to_json(impact.to_dict())
    if fmt == "markdown":
        return render_markdown(impact)
    return render_text(impact, color=color)
