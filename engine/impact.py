"""What a policy change does to cases: evaluate each case under both policies and count the results that move.

A reviewer approves or rejects a change to a policy on this: "3 cases go from met to missed" under a rule, with
the ids of those cases, says more than any reading of the YAML. Results are matched by rule and subject (the
conference or request they are about), never by position, so a rule that gives several results for one
subject is compared as a set of statuses.

Cases are read from a folder of case files or a JSON Lines file. A case that cannot be read or does not match
the case schema is reported with its id (or file, or line) and the problems' codes and places; the run goes
on. Nothing from a case beyond its id is ever reported.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import batch
from .caseload import CaseError
from .compile import compile_policy
from .diff import paint, to_json
from .evaluate import Evaluator
from .resolve import ResolvedPolicy
from .results import Evaluation

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
class Movement:
    """The cases whose results under one rule go from one status to another (``None``: no result)."""

    rule: str
    old: str | None
    new: str | None
    cases: tuple[str, ...]
    results: int

    def to_dict(self) -> dict:
        return {"rule": self.rule, "from": self.old, "to": self.new, "cases": list(self.cases), "results": self.results}


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


def read_cases(path: str | Path) -> list[LoadedCase]:
    """The cases at ``path``, read as ``cpc eval --cases`` reads them: a folder of ``*.yaml``, ``*.yml``,
    ``*.json`` files (in name order, not recursive) or a ``.jsonl`` file, one case per line.

    Raises :class:`ImpactError` when ``path`` does not exist, is another kind of file, or holds no case.
    """
    path = Path(path)
    if not path.exists():
        raise ImpactError(f"--cases {path}: no such file or folder")
    if not path.is_dir() and path.suffix != ".jsonl":
        raise ImpactError(f"--cases {path}: give a folder of case files or a .jsonl file (one case per line)")
    try:
        cases = [_loaded(item) for item in batch.read_cases(path)]
    except batch.InputError as exc:
        raise ImpactError(f"--cases {exc}") from None
    if not cases:
        raise ImpactError(f"--cases {path}: no cases found (*.yaml, *.yml, *.json, or lines of a .jsonl file)")
    return cases


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


def _statuses(evaluation: Evaluation) -> dict[tuple[str, str, str], list[str]]:
    found: dict[tuple[str, str, str], list[str]] = {}
    for result in evaluation.results:
        subject = (result.subject.type, result.subject.id) if result.subject else ("", "")
        found.setdefault((result.rule, *subject), []).append(result.status)
    return found


def _moves(old: Evaluation, new: Evaluation) -> Iterator[tuple[str, str | None, str | None]]:
    """``(rule, old status, new status)`` for each result that differs; statuses common to both cancel."""
    a, b = _statuses(old), _statuses(new)
    for key in sorted(a.keys() | b.keys()):
        olds, news = sorted(a.get(key, [])), sorted(b.get(key, []))
        for status in list(olds):
            if status in news:
                olds.remove(status)
                news.remove(status)
        for index in range(max(len(olds), len(news))):
            yield (
                key[0],
                olds[index] if index < len(olds) else None,
                news[index] if index < len(news) else None,
            )


def compare_cases(old: ResolvedPolicy, new: ResolvedPolicy, cases: Iterable[LoadedCase], as_of: dt.date) -> Impact:
    """Evaluate every valid case under ``old`` and ``new`` on ``as_of`` and collect what moves.

    Both policies must already be checked (``cpc lint`` clean): they are compiled as given.
    """
    old_engine, new_engine = Evaluator(compile_policy(old)), Evaluator(compile_policy(new))
    cases = list(cases)
    moved: dict[tuple[str, str | None, str | None], tuple[set[str], list[int]]] = {}
    changed: set[str] = set()
    failures: list[LoadedCase] = []
    evaluated = 0
    for case in cases:
        if case.data is None:
            failures.append(case)
            continue
        try:
            before = old_engine.evaluate(case.data, as_of)
            after = new_engine.evaluate(case.data, as_of)
        except Exception as exc:
            if os.environ.get("CPC_DEBUG"):
                raise
            # One case the engine cannot take must not hide what the change does to the others. The
            # exception's message is left out: it may quote the case.
            problem = f"internal error while evaluating: {type(exc).__name__}"
            failures.append(LoadedCase(case.source, case.case_id, None, (problem,)))
            continue
        evaluated += 1
        name = case.case_id or before.case or case.source
        for move in _moves(before, after):
            ids, count = moved.setdefault(move, (set(), [0]))
            ids.add(name)
            count[0] += 1
            changed.add(name)
    movements = tuple(
        Movement(rule, a, b, tuple(sorted(ids)), count[0])
        for (rule, a, b), (ids, count) in sorted(moved.items(), key=lambda item: _order(item[0]))
    )
    return Impact(as_of, evaluated, tuple(sorted(changed)), movements, tuple(failures))


def _order(move: tuple[str, str | None, str | None]) -> tuple:
    rule, a, b = move
    return (rule, a or "", b or "")


# --- Rendering --------------------------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# Enough ids for a reviewer to open a few cases; a change that moves hundreds would otherwise bury the summary.
# The JSON output always lists every case.
SHOWN_IDS = 10


def _ids(cases: tuple[str, ...] | list[str]) -> str:
    shown = ", ".join(cases[:SHOWN_IDS])
    if len(cases) > SHOWN_IDS:
        shown += f" and {len(cases) - SHOWN_IDS} more (--format json lists every case)"
    return shown


def _sentence(move: Movement) -> str:
    """``transfer-in-timescale: 3 cases go from missed to met (c1, c4, c9)``."""
    cases = len(move.cases)
    results = f" ({_plural(move.results, 'result')})" if move.results != cases else ""
    verb = "goes" if cases == 1 else "go"
    return (
        f"{move.rule}: {_plural(cases, 'case')}{results} {verb} from {move.old or NO_RESULT} to "
        f"{move.new or NO_RESULT} ({_ids(move.cases)})"
    )


def _headline(impact: Impact) -> str:
    head = f"Impact on {_plural(impact.evaluated, 'case')}, as of {impact.as_of.isoformat()}: "
    if impact.changed:
        n = len(impact.changed)
        head += f"{_plural(n, 'case')} {'has' if n == 1 else 'have'} different results"
    else:
        head += "no case's results differ"
    if impact.failures:
        head += f"; {_plural(len(impact.failures), 'case')} could not be evaluated"
    return head


def _failure_name(case: LoadedCase) -> str:
    return f"{case.source} ({case.case_id})" if case.case_id else case.source


def render_text(impact: Impact, *, color: bool = False) -> str:
    lines = [paint(_headline(impact), "bold", color=color)]
    lines += [f"  {_sentence(m)}" for m in impact.movements]
    if impact.failures:
        lines += ["", paint(f"Could not evaluate ({len(impact.failures)})", "bold", "red", color=color)]
        for case in impact.failures:
            lines += [f"  {_failure_name(case)}: {problem}" for problem in case.problems]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_markdown(impact: Impact) -> str:
    lines = [f"### {_headline(impact)}", ""]
    if impact.movements:
        lines += ["| rule | from | to | cases | case ids |", "| --- | --- | --- | ---: | --- |"]
        for m in impact.movements:
            count = str(len(m.cases)) + (f" ({_plural(m.results, 'result')})" if m.results != len(m.cases) else "")
            ids = _cell(_ids(m.cases))
            lines.append(f"| `{m.rule}` | {m.old or NO_RESULT} | {m.new or NO_RESULT} | {count} | {ids} |")
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
