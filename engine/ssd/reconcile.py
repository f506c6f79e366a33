"""Compare the due dates a case-management system recorded with the ones cpc computes under an area's policy.

An SSD extract carries two dates the source system worked out itself: ``icpc_icpc_target_date`` ("15 working
days after the strategy discussion") and ``cppr_cp_review_due`` (each review's due date). :func:`reconcile`
maps every episode of every child to a case (:func:`engine.ssd.mapping.iter_episodes`), evaluates it, and pairs
each recorded date with the cpc result it corresponds to:

* an initial conference's target with the ``icpc-timescale`` result;
* a held review's due date with the review deadline that review met or missed (``first-review-timescale``
  for the first review after the conference that made the plan, ``review-interval`` counted from the
  previous review), found as the result whose ``done`` is the review's date;
* a review not yet held with the review deadline still running (``pending`` or ``overdue``).

A disagreement is a pair whose dates differ. Its difference is counted in working days on the policy's
calendar, positive when the system's date is later. One-day disagreements on working-day deadlines are then
explained where the data allow: if every comparison whose count spans a given bank holiday disagrees by one
day early, and none agrees, the source system most likely does not know that holiday.

Each child's episodes are evaluated and compared by one function (:class:`_Reconciler`), in this process or in
worker processes (:mod:`engine.caseload.pool`); the report is assembled here in person id order, so it is the same
whatever the number of processes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from engine.caseload import pool
from engine.core.calendar import FIRST_YEAR, LAST_YEAR, WorkingCalendar, bank_holidays_in
from engine.core.durations import Unit, parse_duration
from engine.core.safe_text import CsvWriter, terminal
from engine.evaluation.case_files import CaseError
from engine.evaluation.compile import compile_policy
from engine.evaluation.evaluate import Evaluator
from engine.evaluation.results import Citation, Evaluation, Result
from engine.policy.policies import check_resolved
from engine.policy.resolve import ResolvedPolicy
from engine.ssd.episodes import MappedCase, RecordedDue
from engine.ssd.mapping import CaseChecker, iter_child_episodes
from engine.ssd.reader import read_extract
from engine.ssd.store import Extract, id_sort_key

ICPC_RULES = ("icpc-timescale",)
REVIEW_RULES = ("first-review-timescale", "review-interval")
KIND_LABEL = {"icpc_target": "ICPC target", "review_due": "review due"}

# Why a recorded date has no cpc date to compare with; the strings are what the report prints.
BLANK = "the system recorded no date"
UNREADABLE = "the recorded date could not be read"
TRANSFER_IN = "transfer-in conference: the 15 working days count from a strategy discussion, which it has none of"
NO_STRATEGY_DISCUSSION = "no strategy discussion linked to the conference, so cpc has no clock to compare"
NO_ICPC_RESULT = "cpc gave no icpc-timescale result for the case"
NO_REVIEW_MATCH = "cpc counts no review deadline that this review met or missed (see the case's warnings)"
NO_REVIEW_CLOCK = "no review deadline is running in cpc (the plan has ended, or no conference made it)"
LATER_UNHELD = "a later review not yet held: only the next one has a deadline running"
CASE_INVALID = "the mapped case did not validate"
OUT_OF_CALENDAR = "a time limit counted from the case's dates falls outside the years whose bank holidays are known"


@dataclass(frozen=True, slots=True)
class Comparison:
    """One recorded due date and cpc's, or why they could not be compared (``reason``)."""

    child: str
    kind: str
    record: str
    theirs: dt.date | None
    ours: dt.date | None = None
    rule: str | None = None
    clock: dt.date | None = None
    working_days: int | None = None
    reason: str | None = None
    citations: tuple[Citation, ...] = ()
    spans: tuple[dt.date, ...] = ()  # non-working weekdays counted over, for working-day rules only

    @property
    def compared(self) -> bool:
        return self.reason is None

    @property
    def agrees(self) -> bool:
        return self.compared and self.theirs == self.ours

    @property
    def calendar_days(self) -> int | None:
        if self.theirs is None or self.ours is None:
            return None
        return (self.theirs - self.ours).days


@dataclass(frozen=True, slots=True)
class HolidayFinding:
    """Holidays spanned by a group of one-day-early disagreements that no agreeing comparison spans."""

    holidays: tuple[tuple[dt.date, str], ...]
    disagreements: int
    comparisons_spanning: int

    def message(self) -> str:
        names = " or ".join(f"{name} {day.isoformat()}" for day, name in self.holidays)
        if len(self.holidays) > 1:
            which = "one of these days"
        else:
            which = "that closure day" if self.holidays[0][1] == "closure day" else "that bank holiday"
        if self.disagreements == 1:
            head = f"1 one-day-early disagreement counts over {names}"
        else:
            head = f"{self.disagreements} one-day-early disagreements all count over {names}"
        if self.comparisons_spanning == 1:
            tail = "the only comparison that does"
        else:
            tail = f"and none of the {self.comparisons_spanning} comparisons that do agreed"
        return f"{head}, {tail}: the source system may not know {which}."


@dataclass
class Reconciliation:
    """Every comparison for an extract under one policy version, with counts and the holiday findings."""

    folder: str
    area: str
    policy_version: str
    as_of: dt.date
    comparisons: list[Comparison] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rule_titles: dict[str, str] = field(default_factory=dict)
    rule_citations: dict[str, tuple[Citation, ...]] = field(default_factory=dict)
    findings: list[HolidayFinding] = field(default_factory=list)

    @property
    def disagreements(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.compared and not c.agrees]

    @property
    def compared(self) -> int:
        return sum(1 for c in self.comparisons if c.compared)

    def by_rule(self) -> dict[str, int]:
        return dict(sorted(Counter(c.rule or "" for c in self.disagreements).items()))

    def by_difference(self) -> dict[int, int]:
        return dict(sorted(Counter(c.working_days or 0 for c in self.disagreements).items()))

    def not_compared(self) -> dict[tuple[str, str], int]:
        found = Counter((c.kind, c.reason or "") for c in self.comparisons if not c.compared)
        return dict(sorted(found.items()))


def _day(value: dt.date | dt.datetime | None) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def _latest_clock(results: list[Result]) -> Result | None:
    return max(results, key=lambda r: _day(r.clock.date) if r.clock else dt.date.min, default=None)


def _match(evaluation: Evaluation, due: RecordedDue, earlier_unheld: bool) -> tuple[Result | None, str | None]:
    """The cpc result a recorded due date corresponds to, or why there is none."""
    if due.kind == "icpc_target":
        if due.transfer_in:
            return None, TRANSFER_IN
        found = [r for rule in ICPC_RULES for r in evaluation.by_rule(rule)]
        if not found:
            return None, NO_ICPC_RESULT
        held = [r for r in found if due.held_on is not None and _day(r.done) == due.held_on]
        return (held or found)[0], None
    found = [r for rule in REVIEW_RULES for r in evaluation.by_rule(rule)]
    if due.held_on is not None:
        matched = _latest_clock([r for r in found if _day(r.done) == due.held_on])
        return matched, None if matched is not None else NO_REVIEW_MATCH
    if earlier_unheld:
        return None, LATER_UNHELD
    running = _latest_clock([r for r in found if r.done is None])
    return running, None if running is not None else NO_REVIEW_CLOCK


def _working_day_rules(evaluator) -> set[str]:
    rules = set()
    for compiled in evaluator.compiled.rules:
        within = compiled.rule.parameters.get("within") if compiled.rule.kind == "deadline" else None
        if isinstance(within, str) and parse_duration(within).unit is Unit.WORKING_DAYS:
            rules.add(compiled.rule.id)
    return rules


def _non_working_weekdays(calendar: WorkingCalendar, start: dt.date, end: dt.date) -> tuple[dt.date, ...]:
    """Bank holidays and closure days on Mondays to Fridays after ``start`` up to and including ``end``."""
    days = []
    for year in range(start.year, end.year + 1):
        days.extend(d for d in bank_holidays_in(year) if start < d <= end and d.weekday() < 5)
    days.extend(d for d in calendar.closure_days if start < d <= end and d.weekday() < 5)
    return tuple(sorted(set(days)))


def _compare(
    mapped: MappedCase,
    evaluation: Evaluation,
    calendar: WorkingCalendar,
    working_day_rules: set[str],
) -> list[Comparison]:
    out: list[Comparison] = []
    unheld_seen = False
    for due in mapped.recorded:
        earlier_unheld = unheld_seen
        if due.kind == "review_due" and due.held_on is None:
            unheld_seen = True
        base = {"child": mapped.id, "kind": due.kind, "record": due.record, "theirs": due.theirs}
        if due.theirs is None:
            out.append(Comparison(**base, reason=UNREADABLE if due.unreadable else BLANK))
            continue
        result, reason = _match(evaluation, due, earlier_unheld)
        if result is None or result.due is None:
            out.append(Comparison(**base, reason=reason or NO_REVIEW_CLOCK))
            continue
        ours = _day(result.due)
        clock = _day(result.clock.date) if result.clock else None
        spans: tuple[dt.date, ...] = ()
        if result.rule in working_day_rules and clock is not None:
            spans = _non_working_weekdays(calendar, clock, max(ours, due.theirs))
        out.append(
            Comparison(
                **base,
                ours=ours,
                rule=result.rule,
                clock=clock,
                working_days=calendar.working_days_between(ours, due.theirs),
                citations=result.citations,
                spans=spans,
            )
        )
    return out


def holiday_findings(comparisons: list[Comparison], calendar: WorkingCalendar) -> list[HolidayFinding]:
    """Explain one-day-early disagreements by bank holidays (or closure days) the source may not know.

    A day is a suspect when at least one one-day-early disagreement counts over it and no agreeing
    comparison does (a system that knew the day would have agreed there). Suspects are taken greedily, the
    day explaining most disagreements first; days explaining exactly the same disagreements are named
    together, because the data cannot tell them apart.
    """
    early = [c for c in comparisons if c.compared and c.working_days == -1 and c.spans]
    agreeing = Counter(d for c in comparisons if c.agrees for d in c.spans)
    spanning = Counter(d for c in comparisons if c.compared for d in c.spans)
    covers: dict[dt.date, frozenset[int]] = {}
    for index, comparison in enumerate(early):
        for day in comparison.spans:
            if not agreeing[day]:
                covers[day] = covers.get(day, frozenset()) | {index}
    findings: list[HolidayFinding] = []
    remaining = set(range(len(early)))
    while remaining:
        best = max(covers, key=lambda d: (len(covers[d] & remaining), -d.toordinal()), default=None)
        if best is None or not covers[best] & remaining:
            break
        explained = covers[best] & remaining
        tied = sorted(d for d in covers if covers[d] & remaining == explained)
        named = tuple((d, _day_name(calendar, d)) for d in tied)
        findings.append(HolidayFinding(named, len(explained), max(spanning[d] for d in tied)))
        remaining -= explained
        for d in tied:
            del covers[d]
    return findings


def _day_name(calendar: WorkingCalendar, day: dt.date) -> str:
    return calendar.bank_holiday_name(day) or "closure day"


class ChildComparisons(NamedTuple):
    """What one child's episodes gave: the comparisons, and the errors (a case that could not be used)."""

    comparisons: tuple[Comparison, ...] = ()
    errors: tuple[str, ...] = ()


class _Reconciler:
    """Evaluates a child's episodes and compares their recorded due dates: a worker's work."""

    def __init__(self, evaluator: Evaluator, as_of: dt.date):
        self.evaluator = evaluator
        self.as_of = as_of
        self.working_day_rules = _working_day_rules(evaluator)
        self.checker = CaseChecker()

    def __call__(self, episodes: tuple[MappedCase, ...]) -> ChildComparisons:
        comparisons: list[Comparison] = []
        errors: list[str] = []
        for mapped in episodes:
            reason = None
            try:
                self.checker.check(mapped.case, mapped.source)
            except CaseError:
                reason = CASE_INVALID
            else:
                try:
                    evaluation = self.evaluator.evaluate(mapped.parsed, self.as_of, source=mapped.source)
                except CaseError:
                    reason = OUT_OF_CALENDAR
            if reason is not None:
                errors.append(f"{mapped.source}: {reason} (case {mapped.id})")
                comparisons.extend(
                    Comparison(mapped.id, due.kind, due.record, due.theirs, reason=reason) for due in mapped.recorded
                )
                continue
            comparisons.extend(_compare(mapped, evaluation, self.evaluator.calendar, self.working_day_rules))
        return ChildComparisons(tuple(comparisons), tuple(errors))


def _start_reconciler(task: tuple[ResolvedPolicy, dt.date]) -> _Reconciler:
    """Compile the policy: once per process that reconciles children."""
    resolved, as_of = task
    return _Reconciler(Evaluator(compile_policy(resolved)), as_of)


def reconcile(
    extract: str | Path | Extract,
    policy,
    as_of: dt.date,
    *,
    jobs: int = 1,
    on_child: Callable[[], None] | None = None,
) -> Reconciliation:
    """Compare every recorded due date in an SSD extract with cpc's under ``policy``.

    ``extract`` is the folder of the extract, or the extract as :func:`engine.ssd.reader.read_extract` read it.
    ``policy`` is an :class:`engine.Policy`; the version in force on ``as_of`` is used, and each case is
    evaluated as of that date. With ``jobs`` above 1 the children are evaluated in that many worker processes,
    each compiling the policy; the report is the same. ``on_child`` is called once each child is done, in
    order: :meth:`engine.ssd.store.Extract.children` times in all (for a progress bar). Raises
    :class:`engine.ssd.reader.SsdError` for an unreadable extract, :class:`engine.PolicyError` for a policy that
    cannot be used, and :class:`engine.caseload.pool.PoolError` when a worker process stops.
    """
    if jobs <= 1:
        evaluator = policy.evaluator(as_of)
        resolved = evaluator.policy
    else:
        if not FIRST_YEAR <= as_of.year <= LAST_YEAR:
            policy.evaluator(as_of)  # raises the PolicyError that says so, before anything is compiled
        # Checked here, once, and compiled only in the workers: no durable-rules state in this process when
        # it forks them (as `cpc eval --cases` does).
        resolved = policy.in_force(as_of)
        check_resolved(resolved)
    if not isinstance(extract, Extract):
        extract = read_extract(extract)
    report = Reconciliation(str(extract.folder), resolved.area, resolved.version, as_of)
    children = iter_child_episodes(extract)
    if jobs <= 1:
        work = _Reconciler(evaluator, as_of)
        outcomes = (work(child) for child in children)
    else:
        outcomes = pool.ordered_map(_start_reconciler, (resolved, as_of), children, jobs=jobs)
    with contextlib.closing(outcomes):
        for child in outcomes:
            if on_child is not None:
                on_child()
            report.errors.extend(child.errors)
            for comparison in child.comparisons:
                report.comparisons.append(comparison)
                if comparison.rule and comparison.citations:
                    report.rule_citations.setdefault(comparison.rule, comparison.citations)
    if jobs > 1:
        # The workers have finished: compiling here now costs a tenth of a second and forks nothing.
        evaluator = Evaluator(compile_policy(resolved))
    for compiled in evaluator.compiled.rules:
        rule = compiled.rule
        if rule.id in ICPC_RULES + REVIEW_RULES:
            report.rule_titles[rule.id] = str(rule.data.get("title", ""))
    report.findings = holiday_findings(report.comparisons, evaluator.calendar)
    return report


# -- output ------------------------------------------------------------------------------------------------


def _signed(n: int | None) -> str:
    return "" if n is None else f"{n:+d}"


def _sorted_disagreements(report: Reconciliation) -> list[Comparison]:
    return sorted(report.disagreements, key=lambda c: (id_sort_key(c.child), c.kind != "icpc_target", c.record))


def text(report: Reconciliation) -> str:
    """The report for a reader: disagreements, counts, holiday findings, what was not compared, the rules."""
    lines = [
        f"{report.folder}: due dates recorded by the source system, against {report.area} "
        f"policy {report.policy_version}, as of {report.as_of.isoformat()}",
    ]
    not_compared = report.not_compared()
    skipped = sum(not_compared.values())
    disagreements = _sorted_disagreements(report)
    lines.append(
        f"{report.compared:,} compared: {report.compared - len(disagreements):,} agree, {len(disagreements):,} "
        f"disagree; {skipped:,} not compared"
    )
    if disagreements:
        lines.append("")
        lines.append(f"Disagreements ({len(disagreements)})")
        header = ("child", "date", "record", "theirs", "ours", "working days", "rule")
        rows = [
            (
                terminal(c.child),
                KIND_LABEL.get(c.kind, c.kind),
                terminal(c.record),
                c.theirs.isoformat() if c.theirs else "",
                c.ours.isoformat() if c.ours else "",
                _signed(c.working_days),
                c.rule or "",
            )
            for c in disagreements
        ]
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            lines.append("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        lines.append("")
        lines.append("By rule: " + ", ".join(f"{rule} {n}" for rule, n in report.by_rule().items()))
        lines.append(
            "By difference in working days (theirs minus ours): "
            + ", ".join(f"{_signed(d)}: {n}" for d, n in report.by_difference().items())
        )
    if report.findings:
        lines.append("")
        lines.append("Bank holidays")
        for finding in report.findings:
            lines.append(f"  {finding.message()}")
    if not_compared:
        lines.append("")
        lines.append(f"Not compared ({skipped})")
        for (kind, reason), n in not_compared.items():
            lines.append(f"  {KIND_LABEL.get(kind, kind)}: {reason}: {n}")
    if report.errors:
        lines.append("")
        lines.append(f"Errors ({len(report.errors)})")
        lines.extend(f"  {e}" for e in report.errors)
    cited = [rule for rule in (*ICPC_RULES, *REVIEW_RULES) if rule in report.by_rule()]
    if cited:
        lines.append("")
        lines.append("Rules")
        for rule in cited:
            lines.append(f"  {rule}: {report.rule_titles.get(rule, '')}")
            for citation in report.rule_citations.get(rule, ()):
                lines.append(f'      "{citation.quote}" ({citation.file})')
    # Ids, record names and the folder are escaped for the terminal (the table's cells were already).
    return "\n".join(terminal(line) for line in lines) + "\n"


CSV_FIELDS = (
    "child",
    "date",
    "record",
    "theirs",
    "ours",
    "working_days",
    "calendar_days",
    "rule",
    "clock",
    "citation",
    "source_file",
    "non_working_days_spanned",
)


def csv_text(report: Reconciliation) -> str:
    """One CSV row per disagreement, with a header; the first citation of each rule.

    ``working_days`` and ``calendar_days`` are numbers (negative when the system's date is earlier); every other
    column is text, and a text cell that starts with =, +, -, @, a tab or a line break is written with a ' before
    it, so that a spreadsheet never runs it as a formula (:mod:`engine.core.safe_text`)."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(CSV_FIELDS)
    for c in _sorted_disagreements(report):
        citation = c.citations[0] if c.citations else None
        writer.writerow(
            (
                c.child,
                c.kind,
                c.record,
                c.theirs.isoformat() if c.theirs else "",
                c.ours.isoformat() if c.ours else "",
                c.working_days,
                c.calendar_days,
                c.rule or "",
                c.clock.isoformat() if c.clock else "",
                citation.quote if citation else "",
                citation.file if citation else "",
                " ".join(d.isoformat() for d in c.spans),
            )
        )
    return buffer.getvalue()


def to_dict(report: Reconciliation) -> dict:
    """The whole report as JSON-able data."""
    return {
        "folder": report.folder,
        "area": report.area,
        "policy_version": report.policy_version,
        "as_of": report.as_of.isoformat(),
        "compared": report.compared,
        "agree": report.compared - len(report.disagreements),
        "disagree": len(report.disagreements),
        "disagreements": [
            {
                "child": c.child,
                "date": c.kind,
                "record": c.record,
                "theirs": c.theirs.isoformat() if c.theirs else None,
                "ours": c.ours.isoformat() if c.ours else None,
                "working_days": c.working_days,
                "calendar_days": c.calendar_days,
                "rule": c.rule,
                "clock": c.clock.isoformat() if c.clock else None,
                "citations": [x.to_dict() for x in c.citations],
                "non_working_days_spanned": [d.isoformat() for d in c.spans],
            }
            for c in _sorted_disagreements(report)
        ],
        "by_rule": report.by_rule(),
        "by_working_days": {str(k): v for k, v in report.by_difference().items()},
        "bank_holidays": [
            {
                "days": [{"date": d.isoformat(), "name": name} for d, name in f.holidays],
                "disagreements": f.disagreements,
                "comparisons_spanning": f.comparisons_spanning,
                "message": f.message(),
            }
            for f in report.findings
        ],
        "not_compared": [
            {"date": kind, "reason": reason, "count": n} for (kind, reason), n in report.not_compared().items()
        ],
        "not_compared_records": [
            {"child": c.child, "date": c.kind, "record": c.record, "reason": c.reason}
            for c in sorted(report.comparisons, key=lambda c: (id_sort_key(c.child), c.record))
            if not c.compared
        ],
        "errors": list(report.errors),
    }


def json_text(report: Reconciliation) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"


FORMATS = {"text": text, "csv": csv_text, "json": json_text}

__all__ = [
    "FORMATS",
    "Comparison",
    "HolidayFinding",
    "Reconciliation",
    "csv_text",
    "holiday_findings",
    "json_text",
    "reconcile",
    "text",
    "to_dict",
]
