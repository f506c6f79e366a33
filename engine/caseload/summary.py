"""Per-rule compliance over a caseload's results, and the Children in Need census timeliness measures.

The input is the JSON Lines a caseload run writes (docs/batch.md, docs/results.md): in results format 2, a
header listing the rules, then one evaluation per line whose results refer to those rules by id; in format 1
(``--citations inline``, and every file written before format 2), one evaluation per line with each result
whole (schemas/result.schema.json); in either, an error record for a case that could not be evaluated.
Everything here is a pure function over lines, with no I/O and no click:

    summary = summarize(parse_lines(open("results.jsonl", "rb")), overdue_limit=100)
    print(render(summary, "text"))

:func:`parse_lines` turns each line into an :class:`EvaluationRecord`, an :class:`ErrorRecord` or, for a line
that is not one, a :class:`Malformed` naming the line number and what is wrong with it, never what it says:
a results file holds case ids and dates, and a broken line may hold anything. A header is read and applies to
the lines after it; a header of a format this cpc does not read, or an evaluation in format 2 with no header
before it, raises :class:`ResultsFileError`: no line after it could be read. :func:`read_lines` reads a
file for it, holding at most the line limit of `cpc eval --cases` (5 MB) at a time. :func:`summarize` consumes them
one at a time and keeps only counts, so memory does not grow with the number of cases, except the list of
overdue items, which keeps at most ``overdue_limit`` of them (the earliest due).

A line is taken whole or not at all: a line with one bad result is skipped entirely, so no count comes from
half a line.

A results file may hold anything, so every value it gives (a case id, a rule's title, a team) goes through
:mod:`engine.core.safe_text` for the format written: controls escaped in text, Markdown markup escaped in Markdown,
formulas neutralised in CSV.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, BinaryIO

from engine.caseload.period import REVIEW_RULES, Period, PlanCounter, PlanMeasures, census_year
from engine.core.safe_text import CsvWriter, markdown_code, markdown_text, terminal
from engine.evaluation.results import NOT_RECORDED, Late
from engine.evaluation.results_file import (
    NO_HEADER,
    UNREADABLE_HEADER,
    HeaderError,
    ResultsFileError,
    RowError,
    RuleTable,
    is_header,
    parse_header,
)

if TYPE_CHECKING:
    from engine.core.calendar import WorkingCalendar


KINDS = ("deadline", "requirement", "decision")
STATUSES: dict[str, tuple[str, ...]] = {
    "deadline": ("met", "missed", "pending", "overdue", "not_assessable", "breached"),
    "requirement": ("met", "breached", "not_assessable"),
    "decision": ("applies",),
}
NEEDS_ATTENTION = frozenset({"overdue", "breached", "missed"})

# The rules whose results give the census measures. They are the national baseline's rule ids, which every
# area inherits or overrides under the same id.
ICPC_RULE = "icpc-timescale"
FIRST_REVIEW_RULE = "first-review-timescale"
REVIEW_INTERVAL_RULE = "review-interval"

# Working days from the strategy discussion to the initial conference, in bands either side of the census's
# 15-working-day measure: on time early, on time, up to a week late, later.
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-10", 0, 10),
    ("11-15", 11, 15),
    ("16-20", 16, 20),
    ("21+", 21, None),
)

DEFAULT_OVERDUE_LIMIT = 100
# Malformed lines are all counted, but only the first few line numbers are kept for the report.
MALFORMED_KEPT = 20

FORMATS = ("text", "markdown", "csv", "overdue-csv", "months-csv", "json", "html")

CSV_HELP = (
    "CSV (--format csv): one header row, then one row per rule and status, every status of the rule's kind "
    "included even when 0. Columns: kind (deadline, requirement, decision), rule, title, status, count, "
    "rule_results (all results of the rule), rule_met_percent (deadlines: met / (met + missed + overdue + breached); "
    "requirements: met / (met + breached); empty for decisions or when nothing has fallen due), rule_cases (the "
    "cases with a result of the rule). "
    "--format overdue-csv writes the overdue items instead, earliest due first, at most --overdue-limit of them: "
    "due, late_amount, late_unit (in the rule's own unit), case, rule, subject, days_late (calendar days, the "
    "same unit for every row), first (yes for an open plan's work and conferences to hold, listed first), and "
    "with --by the team or worker. --format months-csv writes one row per month of the "
    "period: month, then the deadline results due that month by status (due_met, due_missed, due_overdue, "
    "due_pending, due_not_assessable) and the census's initial conferences and reviews held on time and late "
    "(icpc_on_time, icpc_late, reviews_on_time, reviews_late). "
    "The number columns (count, rule_results, rule_met_percent, rule_cases; late_amount, days_late; all of "
    "months-csv but month) are plain numbers. A text cell that starts with =, +, -, @, a tab or a line break is "
    "written with a ' before it, so that a spreadsheet shows it as text and never runs it as a formula."
)


# -- parsed lines ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResultRow:
    """What the report needs from one result of an evaluation."""

    rule: str
    title: str
    kind: str
    status: str
    subject: str | None = None
    due: str | None = None
    due_day: dt.date | None = None
    clock_day: dt.date | None = None
    done_day: dt.date | None = None
    late_amount: int | None = None
    late_unit: str | None = None
    reason: str | None = None
    what: tuple[str, ...] = ()
    clock_event: str | None = None


@dataclass(frozen=True, slots=True)
class EvaluationRecord:
    """A line holding one case's evaluation."""

    line: int
    case: str
    area: str
    policy_version: str
    as_of: str
    results: tuple[ResultRow, ...]
    team: str | None = None
    worker: str | None = None
    # The plan's dates parsed (``start``, ``end``), its ``category`` and ``previous_plans``, when it had one.
    plan: dict | None = None


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    """A line saying a case could not be evaluated; ``codes`` are its findings' codes, each once."""

    line: int
    case: str | None
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Malformed:
    """A line that is neither; ``reason`` says what is wrong without quoting it. ``case`` is true for a line
    that looks like a case of a caseload (an ``id`` and no results), the input of `cpc eval --cases` rather
    than its output."""

    line: int
    reason: str
    case: bool = False


@dataclass(frozen=True, slots=True)
class Header:
    """A results header (format 2): the rules the evaluations after it refer to."""

    line: int
    rules: RuleTable


Line = EvaluationRecord | ErrorRecord | Malformed


class _Bad(ValueError):
    """Why a line is malformed; the message never contains the line's content."""


class _Case(_Bad):
    """A line that is a case, not a result."""


class _NoHeader(Exception):
    """An evaluation in format 2 with no header before it."""


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad(f"{where} is not a non-empty string")
    return value


@lru_cache(maxsize=8192)
def _parse_day(value: str) -> dt.date | None:
    # Results repeat the same few hundred dates; caching the parse halves the time spent on a line.
    try:
        day = dt.datetime.fromisoformat(value).date() if "T" in value else dt.date.fromisoformat(value)
    except ValueError:
        return None
    # Working days cannot be counted outside the years whose bank holidays are known.
    first, last = _years()
    return day if first <= day.year <= last else None


def _years() -> tuple[int, int]:
    # Imported when first needed, not with the module: the calendar loads the holidays package, which
    # `cpc --help` and `cpc report --help` have no use for.
    from engine.core.calendar import FIRST_YEAR, LAST_YEAR

    return FIRST_YEAR, LAST_YEAR


def _working_calendar() -> WorkingCalendar:
    from engine.core.calendar import WorkingCalendar

    return WorkingCalendar()


def _day(value: object, where: Callable[[], str]) -> dt.date:
    """The date of a ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM`` string within the calendar's known years.

    ``where`` names the field, and is called only for the error message.
    """
    day = _parse_day(value) if isinstance(value, str) else None
    if day is None:
        first, last = _years()
        raise _Bad(f"{where()} is not a date (YYYY-MM-DD) from {first} to {last}")
    return day


_STATUS_SETS = {kind: frozenset(statuses) for kind, statuses in STATUSES.items()}


def _result(data: object, index: int) -> ResultRow:
    """One result of an evaluation, checked; the fast path does no string formatting."""

    def where(suffix: str = "") -> str:
        return f"results[{index}]{suffix}"

    if not isinstance(data, dict):
        raise _Bad(f"{where()} is not an object")
    rule = data.get("rule")
    if not isinstance(rule, str) or not rule.strip():
        raise _Bad(f"{where('.rule')} is not a non-empty string")
    kind = data.get("kind")
    # A list or mapping here is unhashable: checked as text first, so a bad line is skipped, not fatal.
    allowed = _STATUS_SETS.get(kind) if isinstance(kind, str) else None
    if allowed is None:
        raise _Bad(f"{where('.kind')} is not one of {', '.join(KINDS)}")
    status = data.get("status")
    if not isinstance(status, str) or status not in allowed:
        raise _Bad(f"{where('.status')} is not one of {', '.join(STATUSES[kind])} (for a {kind})")
    title = data.get("title", "")
    if not isinstance(title, str):
        raise _Bad(f"{where('.title')} is not a string")
    subject = data.get("subject")
    subject_id = None
    if subject is not None:
        if not isinstance(subject, dict):
            raise _Bad(f"{where('.subject')} is not an object")
        subject_id = _text(subject.get("id"), where(".subject.id"))
    reason = data.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise _Bad(f"{where('.reason')} is not a string")
    if kind != "deadline":
        return ResultRow(rule, title, kind, status, subject_id, reason=reason)

    due = data.get("due")
    if due is None and data.get("earliest") is not None:
        # A lower bound (not_before) has an earliest date, not a due date; it is counted by that date.
        due = data.get("earliest")
    if due is None and status == "not_assessable":
        # A clock the source cannot record: no due date, and nothing dated to count it in a period by.
        return ResultRow(rule, title, kind, status, subject_id, reason=reason)
    due_day = _day(due, lambda: where(".due"))
    clock_day = done_day = clock_event = None
    clock = data.get("clock")
    if clock is not None:
        if not isinstance(clock, dict):
            raise _Bad(f"{where('.clock')} is not an object")
        clock_day = _day(clock.get("date"), lambda: where(".clock.date"))
        clock_event = clock.get("event") if isinstance(clock.get("event"), str) else None
    done = data.get("done")
    if done is not None:
        done_day = _day(done, lambda: where(".done"))
    elif status == "met" or (status == "missed" and data.get("closed") is None):
        # A deadline missed and never done says when it could no longer be done instead (docs/results.md).
        raise _Bad(f"{where()} is {status} but has no done date")
    late_amount = late_unit = None
    late = data.get("late")
    if late is not None:
        amount = late.get("amount") if isinstance(late, dict) else None
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise _Bad(f"{where('.late')} is not an amount and a unit")
        late_amount = amount
        late_unit = _text(late.get("unit"), where(".late.unit"))
    what = data.get("what")
    whats = tuple(w for w in (what if isinstance(what, list) else [what]) if isinstance(w, str))
    return ResultRow(
        rule,
        title,
        kind,
        status,
        subject_id,
        str(due),
        due_day,
        clock_day,
        done_day,
        late_amount,
        late_unit,
        reason,
        whats,
        clock_event,
    )


def _row(data: object, index: int, rules: RuleTable | None) -> ResultRow:
    """One result of an evaluation: an inline result (format 1), or a row referring to the header's rules."""
    if not isinstance(data, list):
        return _result(data, index)
    if rules is None:
        raise _NoHeader
    try:
        return _result(rules.fields(data), index)
    except RowError as exc:
        raise _Bad(f"results[{index}]{exc.where} {exc.message}") from None


def _record(number: int, data: object, rules: RuleTable | None = None) -> EvaluationRecord | ErrorRecord:
    if not isinstance(data, dict):
        raise _Bad("not a JSON object")
    if "error" in data and "results" not in data:
        errors = data["error"]
        if not isinstance(errors, list) or not all(isinstance(e, dict) for e in errors):
            raise _Bad("error is not a list of findings")
        case = data.get("case")
        if case is not None and not isinstance(case, str):
            raise _Bad("case is not a string or null")
        codes = sorted({e["code"] if isinstance(e.get("code"), str) and e["code"] else "no code" for e in errors})
        return ErrorRecord(number, case, tuple(codes or ["no code"]))
    if "results" not in data or "error" in data:
        # A case has an id where an evaluation has a case id and results (schemas/case.schema.json).
        looks_like_case = "results" not in data and "error" not in data and "case" not in data and "id" in data
        raise (_Case if looks_like_case else _Bad)(
            "neither an evaluation (with results) nor an error record (with error)"
        )
    results = data["results"]
    if not isinstance(results, list):
        raise _Bad("results is not a list")
    case = _text(data.get("case"), "case")
    area = _text(data.get("area"), "area")
    version = _text(data.get("policy_version"), "policy_version")
    as_of = data.get("as_of")
    _day(as_of, lambda: "as_of")
    rows = tuple(_row(r, i, rules) for i, r in enumerate(results))
    compact = rules is not None and any(isinstance(r, list) for r in results)
    if compact and (area, version) != (rules.area, rules.policy_version):
        raise _Bad("the area or policy_version is not the one of the results header before it")
    team, worker = data.get("team"), data.get("worker")
    team = None if team is None else _text(team, "team")
    worker = None if worker is None else _text(worker, "worker")
    return EvaluationRecord(number, case, area, version, str(as_of), rows, team, worker, _plan(data.get("plan")))


def _plan(data: object) -> dict | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise _Bad("plan is not an object")
    plan: dict = {"start": _day(data.get("start"), lambda: "plan.start")}
    if data.get("end") is not None:
        plan["end"] = _day(data["end"], lambda: "plan.end")
    category = data.get("category")
    plan["category"] = None if category is None else _text(category, "plan.category")
    previous = data.get("previous_plans")
    if previous is not None and (not isinstance(previous, int) or isinstance(previous, bool) or previous < 0):
        raise _Bad("plan.previous_plans is not a whole number")
    plan["previous_plans"] = previous
    return plan


@dataclass(frozen=True, slots=True)
class LineTooLong:
    """A line longer than the limit of :func:`read_lines`, skipped without being held: ``size`` bytes."""

    size: int
    limit: int


_READ_CHUNK = 1 << 20


def read_lines(stream: BinaryIO, limit: int | None = None) -> Iterator[bytes | LineTooLong]:
    """Each line of a binary ``stream``, as :func:`parse_lines` takes them, holding at most ``limit`` bytes
    of it at a time: a longer line is read through and given as a :class:`LineTooLong`, never held, so that
    memory stays flat whatever the input (one endless line included). The default limit is the one
    `cpc eval --cases` puts on a JSON Lines record, the size limit of a case file."""
    if limit is None:
        # The same constant as engine.caseload.batch.MAX_LINE_BYTES, without importing the evaluator to get it.
        from engine.policy.yamlload import MAX_BYTES as limit
    while True:
        # Two bytes of room for "\r\n": a line of exactly the limit is still read whole.
        raw = stream.readline(limit + 2)
        if not raw:
            return
        if raw.endswith(b"\n") or len(raw) < limit + 2:
            content = raw.rstrip(b"\r\n")
            yield raw if len(content) <= limit else LineTooLong(len(content), limit)
            continue
        size = len(raw)
        while True:
            chunk = stream.readline(_READ_CHUNK)
            size += len(chunk.rstrip(b"\r\n"))
            if not chunk or chunk.endswith(b"\n"):
                break
        yield LineTooLong(size, limit)


def parse_line(number: int, raw: str | bytes | LineTooLong, rules: RuleTable | None = None) -> Line | Header | None:
    """Line ``number`` (1-based) of a results file, parsed and checked; ``None`` for a blank line.

    ``rules`` is the table of the header before the line, if any: what a format-2 evaluation's results refer
    to. A header line gives a :class:`Header`. Raises :class:`ResultsFileError` for a header that cannot be
    used, and for a format-2 evaluation when ``rules`` is None.
    """
    if isinstance(raw, LineTooLong):
        return Malformed(number, f"longer than {raw.limit:,} bytes, the limit of a line ({raw.size:,} bytes)")
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return Malformed(number, "not UTF-8 text")
    raw = raw.rstrip("\r\n")
    if number == 1:
        # A file saved by a Windows editor may start with a byte order mark; it is not part of the JSON.
        raw = raw.removeprefix("\ufeff")
    if not raw.strip():
        return None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        # The decoder's message names the position only, but say it in our own words to be sure.
        return Malformed(number, f"not valid JSON (column {exc.colno})")
    except RecursionError:
        return Malformed(number, "not valid JSON (nested too deeply)")
    except ValueError:
        # Python refuses to read an integer of more than 4,300 digits; its message is the only other ValueError.
        return Malformed(number, "not valid JSON (a number is too long)")
    if is_header(data):
        try:
            return Header(number, parse_header(data))
        except HeaderError as exc:
            raise ResultsFileError(number, str(exc)) from None
    try:
        return _record(number, data, rules)
    except _Bad as exc:
        return Malformed(number, str(exc), isinstance(exc, _Case))
    except _NoHeader:
        raise ResultsFileError(number, NO_HEADER) from None


def parse_lines(lines: Iterable[str | bytes | LineTooLong]) -> Iterator[Line]:
    """Each non-blank line of a results file, parsed (lazily: one line is held at a time). Give it
    :func:`read_lines` of a file, which caps the length of a line, rather than the file itself.

    A header is not yielded: it gives the rules of the evaluations after it, up to the next header. Raises
    :class:`ResultsFileError` as :func:`parse_line` does."""
    rules: RuleTable | None = None
    unreadable_first = False
    for number, raw in enumerate(lines, 1):
        try:
            parsed = parse_line(number, raw, rules)
        except ResultsFileError as exc:
            if unreadable_first and exc.message == NO_HEADER:
                # The header was there, most likely, but cut short or damaged: say that, not that it is missing.
                raise ResultsFileError(number, UNREADABLE_HEADER) from None
            raise
        if isinstance(parsed, Header):
            rules = parsed.rules
        elif parsed is not None:
            unreadable_first = unreadable_first or (number == 1 and isinstance(parsed, Malformed))
            yield parsed


# -- the summary -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleSummary:
    """Every status count of one rule across the caseload."""

    rule: str
    title: str
    kind: str
    counts: tuple[tuple[str, int], ...]
    cases: int

    def count(self, status: str) -> int:
        """How many results had ``status``."""
        return dict(self.counts).get(status, 0)

    @property
    def total(self) -> int:
        """All results of the rule."""
        return sum(n for _, n in self.counts)

    @property
    def rate_base(self) -> int:
        """The results a rate is out of: deadlines that have fallen due, requirements that could be assessed."""
        if self.kind == "deadline":
            return self.count("met") + self.count("missed") + self.count("overdue") + self.count("breached")
        if self.kind == "requirement":
            return self.count("met") + self.count("breached")
        return 0

    @property
    def met_rate(self) -> float | None:
        """Met as a share of :attr:`rate_base`; ``None`` for a decision or when the base is 0."""
        base = self.rate_base
        return self.count("met") / base if base else None


@dataclass(frozen=True, slots=True)
class Timeliness:
    """A deadline rule's results as the census counts them: held on time among those held."""

    rule: str
    met: int = 0
    missed: int = 0
    pending: int = 0
    overdue: int = 0
    not_assessable: int = 0
    never_held: int = 0

    @property
    def held(self) -> int:
        """Held on time or late; a review missed because the plan ended first was never held."""
        return self.met + self.missed - self.never_held

    @property
    def not_yet_held(self) -> int:
        return self.pending + self.overdue

    @property
    def rate(self) -> float | None:
        """Held on time as a share of those held; ``None`` when none was held."""
        return self.met / self.held if self.held else None


@dataclass(frozen=True, slots=True)
class Census:
    """The Children in Need census timeliness measures, from the results of the rules named above."""

    initial: Timeliness
    buckets: tuple[tuple[str, int], ...]
    first_review: Timeliness
    review_interval: Timeliness

    @property
    def reviews(self) -> Timeliness:
        """First and later reviews together."""
        a, b = self.first_review, self.review_interval
        return Timeliness(
            f"{a.rule}+{b.rule}",
            a.met + b.met,
            a.missed + b.missed,
            a.pending + b.pending,
            a.overdue + b.overdue,
            a.not_assessable + b.not_assessable,
            a.never_held + b.never_held,
        )


@dataclass(frozen=True, slots=True)
class OverdueItem:
    """Something the procedure required that has not happened and whose due date has passed."""

    due: str
    due_day: dt.date
    case: str
    rule: str
    subject: str | None
    late_amount: int | None
    late_unit: str | None
    line: int
    # Calendar days from the due date to the evaluation date: one unit for every row, whatever the rule counts.
    days_late: int | None = None
    # 0 for the work of an open plan or a conference still to hold, listed first; 1 for the rest.
    tier: int = 0
    # The case's team or worker, with --by.
    group: str | None = None

    @property
    def late(self) -> str:
        """How late in calendar days, and in the rule's own unit where it counts another: ``30 days``,
        ``6 days (4 working days)``, ``55 days (1320 hours)``; the rule's unit alone when the day is unknown."""
        own = Late(self.late_amount, self.late_unit) if self.late_amount is not None and self.late_unit else None
        if self.days_late is None:
            return str(own) if own else ""
        return (own or Late(self.days_late, "days")).beside(self.days_late)

    def sort_key(self) -> tuple:
        return (self.tier, self.due_day, self.due, self.case, self.rule, self.subject or "", self.line)


@dataclass(frozen=True, slots=True)
class PolicyRun:
    """How many evaluations were made under one area, policy version and evaluation date."""

    area: str
    policy_version: str
    as_of: str
    cases: int


@dataclass(frozen=True, slots=True)
class Summary:
    """Everything the report says about a caseload's results."""

    cases: int
    cases_needing_attention: int
    cases_with_overdue: int
    results: int
    runs: tuple[PolicyRun, ...]
    error_records: int
    errors_by_code: tuple[tuple[str, int], ...]
    malformed: int
    malformed_lines: tuple[int, ...]
    rules: tuple[RuleSummary, ...]
    census: Census
    overdue_total: int
    overdue: tuple[OverdueItem, ...]
    overdue_limit: int
    # Results not assessable because the cases' source does not record what the rule needs: for each set of
    # events and facts not recorded (as the results name them), the rules and how many results each had.
    coverage: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = ()
    repeated: int = 0
    repeated_lines: tuple[int, ...] = ()
    # What the counts cover: results due in ``period`` (and whether it was chosen or the default census year).
    period: Period | None = None
    period_given: bool = False
    plans: PlanMeasures = field(default_factory=PlanMeasures)
    # Month by month (``YYYY-MM``) over the period: deadline results due that month by status, and the census's
    # initial conferences and reviews held on time and late.
    months: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = ()
    # With ``by``: per team (or worker), cases, cases with something overdue, overdue items, and deadlines met
    # and due in the period.
    by: str | None = None
    groups: tuple[GroupSummary, ...] = ()

    @property
    def not_recorded_rules(self) -> int:
        """How many rules had a result not assessable because the source does not record what they need."""
        return len({rule for _, rules in self.coverage for rule, _ in rules})


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """One team's (or worker's) share of the caseload."""

    name: str
    cases: int
    cases_with_overdue: int
    overdue: int
    deadlines_met: int
    deadlines_due: int

    @property
    def met_rate(self) -> float | None:
        return self.deadlines_met / self.deadlines_due if self.deadlines_due else None


NO_GROUP = "(none recorded)"
# Overdue work listed first, whatever the child protection plan: a conference still to hold, a review of an open
# child in need plan (its clock stops when that plan ends) (docs/batch.md).
CONFERENCE_EVENTS = frozenset(
    {"initial_conference", "pre_birth_conference", "transfer_in_conference", "review_conference", "conference"}
)
FIRST_WORK = CONFERENCE_EVENTS | {"cin_review"}
MONTH_COLUMNS = (
    "due_met",
    "due_missed",
    "due_overdue",
    "due_pending",
    "due_not_assessable",
    "icpc_on_time",
    "icpc_late",
    "reviews_on_time",
    "reviews_late",
)


def bucket_of(working_days: int) -> str:
    """The census band of a number of working days (0 or fewer is the first band)."""
    for label, _, high in BUCKETS:
        if high is None or working_days <= high:
            return label
    raise AssertionError("the last band is open-ended")  # pragma: no cover


@dataclass
class Summarizer:
    """Accumulates lines one at a time; :meth:`summary` gives the :class:`Summary` so far."""

    overdue_limit: int = DEFAULT_OVERDUE_LIMIT
    calendar: WorkingCalendar = field(default_factory=_working_calendar)
    # The reporting period; None takes the census year of the first evaluation's date.
    period: Period | None = None
    # "team" or "worker" to break the caseload down by it.
    by: str | None = None
    # Running counts; not constructor arguments.
    _cases: int = field(default=0, init=False)
    _attention: int = field(default=0, init=False)
    _with_overdue: int = field(default=0, init=False)
    _results: int = field(default=0, init=False)
    _runs: Counter = field(default_factory=Counter, init=False)
    _errors: int = field(default=0, init=False)
    _codes: Counter = field(default_factory=Counter, init=False)
    _malformed: int = field(default=0, init=False)
    _malformed_lines: list[int] = field(default_factory=list, init=False)
    _titles: dict[tuple[str, str], str] = field(default_factory=dict, init=False)
    _counts: Counter = field(default_factory=Counter, init=False)
    _rule_cases: Counter = field(default_factory=Counter, init=False)
    _buckets: Counter = field(default_factory=Counter, init=False)
    _overdue_total: int = field(default=0, init=False)
    _overdue: list[OverdueItem] = field(default_factory=list, init=False)
    _never_done: Counter = field(default_factory=Counter, init=False)
    _ids: set[str] = field(default_factory=set, init=False)
    _period_given: bool = field(default=False, init=False)
    _plans: PlanCounter | None = field(default=None, init=False)
    _months: Counter = field(default_factory=Counter, init=False)
    _groups: dict[str, Counter] = field(default_factory=dict, init=False)
    _repeated: list[int] = field(default_factory=list, init=False)
    _repeated_total: int = field(default=0, init=False)
    _not_recorded: Counter = field(default_factory=Counter, init=False)

    def __post_init__(self) -> None:
        if self.overdue_limit < 0:
            raise ValueError("overdue_limit must be 0 or more")
        self._period_given = self.period is not None
        if self.by not in (None, "team", "worker"):
            raise ValueError("by must be team or worker")

    def add(self, item: Line | Header) -> None:
        """Count one parsed line."""
        if isinstance(item, Header):
            return
        if isinstance(item, Malformed):
            self._malformed += 1
            if len(self._malformed_lines) < MALFORMED_KEPT:
                self._malformed_lines.append(item.line)
            return
        if isinstance(item, ErrorRecord):
            self._errors += 1
            self._codes.update(item.codes)
            return
        if item.case in self._ids:
            # Two records of one child (two extracts joined, a paste): the child is counted once, as first read.
            self._repeated_total += 1
            if len(self._repeated) < MALFORMED_KEPT:
                self._repeated.append(item.line)
            return
        self._ids.add(item.case)
        if self.period is None:
            self.period = census_year(dt.date.fromisoformat(item.as_of[:10]))
        if self._plans is None:
            self._plans = PlanCounter(self.period)
        period = self.period
        self._cases += 1
        self._runs[(item.area, item.policy_version, item.as_of)] += 1
        self._results += len(item.results)
        seen: set[tuple[str, str]] = set()
        attention = False
        group = self._group(item)
        group["cases"] += 1
        overdue_here = 0
        for row in item.results:
            if row.status == "overdue":
                # The work list is what is overdue on the evaluation date, whenever it fell due.
                self._add_overdue(item, row)
                overdue_here += 1
            if row.kind == "deadline" and row.due_day is not None and row.due_day not in period:
                continue
            if row.kind == "deadline" and row.due_day is not None:
                self._count_month(row)
                group["due"] += row.status in ("met", "missed", "overdue")
                group["met"] += row.status == "met"
            key = (row.rule, row.kind)
            self._titles.setdefault(key, row.title)
            self._counts[(*key, row.status)] += 1
            seen.add(key)
            attention = attention or row.status in NEEDS_ATTENTION
            if row.rule == ICPC_RULE and row.kind == "deadline" and row.clock_day and row.done_day:
                days = self.calendar.working_days_between(row.clock_day, row.done_day)
                self._buckets[bucket_of(days)] += 1
            if row.status == "missed" and row.kind == "deadline" and row.done_day is None:
                self._never_done[row.rule] += 1
            elif row.status == "not_assessable" and row.reason and row.reason.startswith(NOT_RECORDED):
                self._not_recorded[(row.rule, row.reason[len(NOT_RECORDED) :].lstrip(": "))] += 1
        self._rule_cases.update(seen)
        self._attention += attention
        self._with_overdue += overdue_here > 0
        group["with_overdue"] += overdue_here > 0
        group["overdue"] += overdue_here
        reviews = [row.status for row in item.results if row.rule in REVIEW_RULES and row.kind == "deadline"]
        self._plans.add(item.plan, reviews)

    def _group(self, item: EvaluationRecord) -> Counter:
        if self.by is None:
            return Counter()
        name = (item.team if self.by == "team" else item.worker) or NO_GROUP
        return self._groups.setdefault(name, Counter())

    def _count_month(self, row: ResultRow) -> None:
        month = row.due_day.strftime("%Y-%m")
        self._months[(month, f"due_{row.status}")] += 1
        if row.status in ("met", "missed") and row.done_day is not None:
            timely = "on_time" if row.status == "met" else "late"
            if row.rule == ICPC_RULE:
                self._months[(month, f"icpc_{timely}")] += 1
            elif row.rule in REVIEW_RULES:
                self._months[(month, f"reviews_{timely}")] += 1

    def _add_overdue(self, record: EvaluationRecord, row: ResultRow) -> None:
        self._overdue_total += 1
        if self.overdue_limit == 0 or row.due is None or row.due_day is None:
            return
        days = (dt.date.fromisoformat(record.as_of[:10]) - row.due_day).days
        plan_open = record.plan is not None and record.plan.get("end") is None
        # Work for an open plan (or child in need plan), a conference to hold, or something due before a
        # conference not yet held (counted back from it): what a manager acts on first.
        before_conference = (
            row.clock_event in CONFERENCE_EVENTS and row.clock_day is not None and (row.clock_day > row.due_day)
        )
        first = plan_open or before_conference or any(w in FIRST_WORK for w in row.what)
        tier = 0 if first else 1
        group = None if self.by is None else (record.team if self.by == "team" else record.worker) or NO_GROUP
        self._overdue.append(
            OverdueItem(
                row.due,
                row.due_day,
                record.case,
                row.rule,
                row.subject,
                row.late_amount,
                row.late_unit,
                record.line,
                max(days, 0),
                tier,
                group,
            )
        )
        # Trim in batches rather than keep a heap: sorting 2 * limit items now and then is cheap, and the
        # list never holds more than twice the limit.
        if len(self._overdue) >= 2 * self.overdue_limit:
            self._trim()

    def _trim(self) -> None:
        self._overdue.sort(key=OverdueItem.sort_key)
        del self._overdue[self.overdue_limit :]

    def _timeliness(self, rule: str) -> Timeliness:
        # The census rules are upper limits: a lower bound's `breached` is never among their results.
        counts = {s: self._counts[(rule, "deadline", s)] for s in STATUSES["deadline"] if s != "breached"}
        return Timeliness(rule, **counts, never_held=self._never_done[rule])

    def summary(self) -> Summary:
        """The summary of every line added so far."""
        self._trim()
        rules = tuple(
            RuleSummary(
                rule,
                self._titles[(rule, kind)],
                kind,
                tuple((s, self._counts[(rule, kind, s)]) for s in STATUSES[kind]),
                self._rule_cases[(rule, kind)],
            )
            # Grouped by kind (their statuses differ), then by rule id: the same order whatever the input order.
            for rule, kind in sorted(self._titles, key=lambda k: (KINDS.index(k[1]), k[0]))
        )
        census = Census(
            self._timeliness(ICPC_RULE),
            tuple((label, self._buckets[label]) for label, _, _ in BUCKETS),
            self._timeliness(FIRST_REVIEW_RULE),
            self._timeliness(REVIEW_INTERVAL_RULE),
        )
        return Summary(
            cases=self._cases,
            cases_needing_attention=self._attention,
            cases_with_overdue=self._with_overdue,
            results=self._results,
            runs=tuple(PolicyRun(a, v, d, n) for (a, v, d), n in sorted(self._runs.items())),
            error_records=self._errors,
            errors_by_code=tuple(sorted(self._codes.items())),
            malformed=self._malformed,
            malformed_lines=tuple(self._malformed_lines),
            rules=rules,
            census=census,
            overdue_total=self._overdue_total,
            overdue=tuple(self._overdue),
            overdue_limit=self.overdue_limit,
            coverage=self._coverage(),
            repeated=self._repeated_total,
            repeated_lines=tuple(self._repeated),
            period=self.period,
            period_given=self._period_given,
            plans=self._plans.measures() if self._plans else PlanMeasures(),
            months=tuple(
                (month, tuple((column, self._months[(month, column)]) for column in MONTH_COLUMNS))
                for month in (self.period.months() if self.period else [])
            ),
            by=self.by,
            groups=tuple(
                GroupSummary(name, c["cases"], c["with_overdue"], c["overdue"], c["met"], c["due"])
                for name, c in sorted(self._groups.items())
            ),
        )

    def _coverage(self) -> tuple[tuple[str, tuple[tuple[str, int], ...]], ...]:
        grouped: dict[str, list[tuple[str, int]]] = {}
        for (rule, names), n in sorted(self._not_recorded.items()):
            grouped.setdefault(names, []).append((rule, n))
        return tuple((names, tuple(rules)) for names, rules in sorted(grouped.items()))


def summarize(
    lines: Iterable[Line],
    *,
    overdue_limit: int = DEFAULT_OVERDUE_LIMIT,
    calendar: WorkingCalendar | None = None,
    period: Period | None = None,
    by: str | None = None,
) -> Summary:
    """Summarize parsed lines (from :func:`parse_lines`), consuming them one at a time.

    ``overdue_limit`` caps the overdue items kept (the earliest due; all are counted). ``calendar`` counts
    the working days for the census bands; default England and Wales bank holidays and weekends. ``period``
    limits the counts to deadlines due in it (default: the census year of the first evaluation's date); the
    overdue list is everything overdue on the evaluation date. ``by`` (``team`` or ``worker``) breaks the
    caseload down by the cases' opaque ids.
    """
    summarizer = Summarizer(overdue_limit, calendar or _working_calendar(), period, by)
    for item in lines:
        summarizer.add(item)
    return summarizer.summary()


# -- rendering -------------------------------------------------------------------------------------------


def _n(value: int) -> str:
    return f"{value:,}"


def _cases(value: int) -> str:
    return f"{value:,} case" if value == 1 else f"{value:,} cases"


def _pct(part: int, whole: int) -> str:
    return _percent_text(_percent(part, whole))


def _percent_number(rate: float | None) -> float | None:
    return round(100 * rate, 1) if rate is not None else None


KIND_HEADINGS = {
    "deadline": ("Deadlines", "met of those due", "met / (met + missed + overdue + breached)"),
    "requirement": ("Requirements", "met of assessed", "met / (met + breached)"),
    "decision": ("Directions (decisions that applied)", "", ""),
}
STATUS_LABELS = {
    "met": "met",
    "missed": "missed",
    "pending": "pending",
    "overdue": "overdue",
    "breached": "breached",
    "not_assessable": "not assessable",
    "applies": "applies",
}


def _runs_line(summary: Summary, esc: Callable[[object], str]) -> str:
    if len(summary.runs) == 1:
        run = summary.runs[0]
        return f"{esc(run.area)} policy {esc(run.policy_version)} as of {esc(run.as_of)}"
    return "; ".join(
        f"{esc(r.area)} policy {esc(r.policy_version)} as of {esc(r.as_of)} ({_n(r.cases)})" for r in summary.runs
    )


def _headline(summary: Summary, esc: Callable[[object], str]) -> list[str]:
    """The totals that open the text and Markdown reports; ``esc`` makes a value from the results safe."""
    out = [
        f"{_cases(summary.cases)} evaluated under {_runs_line(summary, esc)}."
        if summary.cases
        else "No cases evaluated."
    ]
    if summary.period is not None:
        why = "--period" if summary.period_given else "the census year of the evaluation date; --period to change"
        out.append(
            f"Counts are of what fell due from {summary.period} ({why}); the overdue list is everything overdue on "
            "the evaluation date."
        )
    if summary.error_records:
        codes = ", ".join(f"{esc(code)} {_n(n)}" for code, n in summary.errors_by_code)
        out.append(f"{_cases(summary.error_records)} could not be evaluated (error records by code: {codes}).")
    else:
        out.append("No error records.")
    if summary.repeated:
        lines = ", ".join(str(n) for n in summary.repeated_lines)
        more = "" if len(summary.repeated_lines) == summary.repeated else ", …"
        one = summary.repeated == 1
        out.append(
            f"{_n(summary.repeated)} {'record repeats' if one else 'records repeat'} a case id already counted "
            f"({'line' if one else 'lines'} {lines}{more}): each child is counted once, from its first record."
        )
    # Overdue is work that can still be done; missed (and most breaches) is history, counted apart.
    now = summary.cases_with_overdue
    verb = "has" if now == 1 else "have"
    out.append(f"{_cases(now)} ({_pct(now, summary.cases)}) {verb} something overdue: late, and still to be done.")
    attention = summary.cases_needing_attention
    out.append(
        f"{_cases(attention)} ({_pct(attention, summary.cases)}) "
        f"{'has' if attention == 1 else 'have'} something overdue or missed that fell due in the period, or a "
        "requirement breached (requirements carry no date)."
    )
    return out


def _coverage_heading(summary: Summary) -> str:
    rules = summary.not_recorded_rules
    results = sum(n for _, found in summary.coverage for _, n in found)
    return (
        f"Not assessable from this data: {_n(rules)} rule{'s' if rules != 1 else ''} ({_n(results)} results), "
        "because the cases' source does not record"
    )


def _overdue_heading(summary: Summary) -> str:
    total, shown = summary.overdue_total, len(summary.overdue)
    order = "open plans' work and conferences to hold first, then the rest; earliest due first within each"
    if total == shown:
        return f"Overdue ({_n(total)}): {order}"
    return f"Overdue ({_n(total)}; the first {_n(shown)} shown, --all lists every one): {order}"


def _plan_lines(summary: Summary, esc: Callable[[object], str]) -> list[str]:
    """The census's per-child measures of the plans, one line each, from :func:`plan_rows`."""
    figures = {key: (n, whole) for key, _, n, whole in _plan_figures(summary)}
    categories = ", ".join(f"{esc(name.replace('_', ' '))} {_n(n)}" for name, n in summary.plans.started_by_category)
    started, _ = figures["started"]
    repeat, known = figures["repeat"]
    unknown, _ = figures["repeat_unknown"]
    ended, _ = figures["ended"]
    long, _ = figures["two_years"]
    on_time, three_months = figures["reviews_on_time"]
    return [
        f"plans started: {_n(started)}; by category: {categories or 'none'}",
        f"second or later plans: {_n(repeat)} of {_n(known)} started whose earlier plans are recorded "
        f"({_pct(repeat, known)})" + (f"; {_n(unknown)} started with no record of earlier plans" if unknown else ""),
        f"plans ended: {_n(ended)}; lasting two years or more: {_n(long)} ({_pct(long, ended)})",
        f"every review on time, of the plans ended after three months or more: {_n(on_time)} of "
        f"{_n(three_months)} ({_pct(on_time, three_months)})",
    ]


def _group_table(summary: Summary, esc: Callable[[object], str]) -> tuple[list[str], list[list[str]]]:
    """The --by table as the text and Markdown reports lay it out, from :func:`group_rows`."""
    header = [summary.by or "", "cases", "with overdue", "overdue items", "deadlines met of due"]
    _, typed = group_rows(summary)
    rows = [
        [esc(name), _n(cases), _n(late), _n(items), _percent_text(p)] for name, cases, late, items, _, _, p in typed
    ]
    return header, rows


# -- the report's tables, typed ------------------------------------------------------------------------------
# Each part of the report as a table: its column names, then rows of typed values (a count is an int, a share
# a percent rounded to one decimal or None when there is nothing to take it of). The text and Markdown
# reports lay these out in their own way, the csv formats and the xlsx workbook write them as they are, and
# the html page draws them: one place says what each part holds.

Table = tuple[list[str], list[list]]


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _percent_text(percent: float | None) -> str:
    return "-" if percent is None else f"{percent:.1f}%"


def headline_rows(summary: Summary) -> Table:
    """The headline counts, with each one's share of the cases evaluated where it is a share of them."""
    rows: list[list] = [
        ["cases evaluated", summary.cases, None],
        [
            "cases with something overdue: late, and still to be done",
            summary.cases_with_overdue,
            _percent(summary.cases_with_overdue, summary.cases),
        ],
        [
            "cases with something overdue or missed that fell due in the period, or a requirement breached",
            summary.cases_needing_attention,
            _percent(summary.cases_needing_attention, summary.cases),
        ],
        ["cases that could not be evaluated (error records)", summary.error_records, None],
    ]
    rows += [[f"error records with code {code}", n, None] for code, n in summary.errors_by_code]
    rows.append(["records repeating a case id already counted (not counted again)", summary.repeated, None])
    rows.append(["malformed lines skipped", summary.malformed, None])
    return ["measure", "count", "percent_of_cases"], rows


# The census measures, in the order the reports give them: the name of each, and what it is read from.
_CENSUS_MEASURES: tuple[tuple[str, Callable[[Census], Timeliness]], ...] = (
    ("initial conferences within 15 working days of the strategy discussion", lambda c: c.initial),
    ("first reviews", lambda c: c.first_review),
    ("later reviews", lambda c: c.review_interval),
    ("all reviews", lambda c: c.reviews),
)


def census_rows(summary: Summary) -> Table:
    """The Children in Need census timeliness measures, one row each: held in the period, on time and late
    (a review missed because the plan ended first was never held, and is in neither), the share held on time,
    and those not yet held, of them overdue. ``rule`` is the rule counted, empty for all reviews (two rules)."""
    header = ["measure", "rule", "held", "on_time", "late", "on_time_percent", "not_yet_held", "overdue"]
    rows = []
    for name, measure in _CENSUS_MEASURES:
        t = measure(summary.census)
        # All reviews count two rules (Census.reviews names them "a+b"); a row names one rule or none.
        rule = None if "+" in t.rule else t.rule
        rows.append([name, rule, t.held, t.met, t.held - t.met, _percent_number(t.rate), t.not_yet_held, t.overdue])
    return header, rows


def band_rows(summary: Summary) -> Table:
    """Initial conferences held, by working days from the strategy discussion (the census's bands)."""
    held = sum(n for _, n in summary.census.buckets)
    return ["working_days", "conferences", "percent"], [[b, n, _percent(n, held)] for b, n in summary.census.buckets]


def _plan_figures(summary: Summary) -> list[tuple[str, str, int, int | None]]:
    """The plan measures as (key, name, count, of what) with the categories after ``started``."""
    plans = summary.plans
    known = plans.started - plans.repeat_unknown
    figures = [("started", "plans started in the period", plans.started, None)]
    figures += [
        ("category", f"started in the period: {name.replace('_', ' ')}", n, plans.started)
        for name, n in plans.started_by_category
    ]
    return [
        *figures,
        ("repeat", "second or later plans, of those started whose earlier plans are recorded", plans.repeat, known),
        ("repeat_unknown", "started with no record of earlier plans", plans.repeat_unknown, plans.started),
        ("ended", "plans ended in the period", plans.ended, None),
        ("two_years", "ended after lasting two years or more", plans.ended_after_two_years, plans.ended),
        ("three_months", "ended after three months or more", plans.ended_after_three_months, plans.ended),
        (
            "reviews_on_time",
            "ended after three months or more with every review on time",
            plans.reviews_all_on_time,
            plans.ended_after_three_months,
        ),
    ]


def plan_rows(summary: Summary) -> Table:
    """The census's measures of child protection plans: each a count, of how many (empty for a total), and the
    share. Categories are named as the results give them, with ``_`` as a space."""
    rows = [[name, n, of, None if of is None else _percent(n, of)] for _, name, n, of in _plan_figures(summary)]
    return ["measure", "plans", "of", "percent"], rows


def group_rows(summary: Summary) -> Table:
    """With --by, per team (or worker): cases, cases with something overdue and overdue items (on the
    evaluation date), and deadlines met of those due in the period."""
    header = [summary.by or "group", "cases", "cases_with_overdue", "overdue_items"]
    header += ["deadlines_met", "deadlines_due", "deadlines_met_percent"]
    rows = [
        [
            g.name,
            g.cases,
            g.cases_with_overdue,
            g.overdue,
            g.deadlines_met,
            g.deadlines_due,
            _percent_number(g.met_rate),
        ]
        for g in summary.groups
    ]
    return header, rows


def kind_rows(summary: Summary, kind: str) -> Table:
    """The rules of one kind as the reports tabulate them: rule, title, a count for each status of the kind,
    then the share met (``met_percent``: of those due for a deadline, of those assessed for a requirement)
    or, for a direction, how many cases it applied to (``cases``)."""
    statuses = STATUSES[kind]
    last = "cases" if kind == "decision" else "met_percent"
    rows = [
        [
            r.rule,
            r.title,
            *(r.count(s) for s in statuses),
            r.cases if kind == "decision" else _percent_number(r.met_rate),
        ]
        for r in summary.rules
        if r.kind == kind
    ]
    return ["rule", "title", *statuses, last], rows


def coverage_rows(summary: Summary) -> Table:
    """The rules not assessable from this data: each rule, its title, how many results, and the events or facts
    the cases' source does not record (comma-separated, as the results name them), by rule id."""
    titles = {r.rule: r.title for r in summary.rules if r.count("not_assessable")}
    found = sorted((rule, n, names) for names, rules in summary.coverage for rule, n in rules)
    return ["rule", "title", "results", "not_recorded"], [[r, titles.get(r, ""), n, names] for r, n, names in found]


def render_text(summary: Summary) -> str:
    """The report a manager reads: totals, census measures, each rule's counts, then what is overdue."""
    out = ["Caseload compliance report", "", *_headline(summary, terminal)]

    initial, *reviews = census_rows(summary)[1]
    _, rule, held, on_time, _, percent, not_yet_held, overdue = initial
    out += [
        "",
        "Children in Need census timeliness",
        f"  Initial conferences within 15 working days of the strategy discussion ({rule})",
        f"    held on time: {_n(on_time)} of {_n(held)} held ({_percent_text(percent)})",
        f"    not yet held: {_n(not_yet_held)}, of them overdue: {_n(overdue)}",
        "    working days from the strategy discussion to the conference:",
    ]
    for label, n, percent in band_rows(summary)[1]:
        out.append(f"      {label:<6} {_n(n):>8}  {_percent_text(percent):>6}")
    out.append("  Review conferences held on time")
    # All reviews first, then the two rules it adds up.
    for name, rule, held, on_time, _, percent, _, overdue in (reviews[-1], *reviews[:-1]):
        about = f"{name} ({rule})" if rule else name
        out.append(f"    {about}: {_n(on_time)} of {_n(held)} held ({_percent_text(percent)}); {_n(overdue)} overdue")
    out.append("  Child protection plans")
    out += [f"    {line}" for line in _plan_lines(summary, terminal)]

    if summary.groups:
        header, rows = _group_table(summary, terminal)
        widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]
        out += ["", f"By {summary.by} (overdue: on the evaluation date; deadlines: due in the period)"]
        for cells in (header, *rows):
            padded = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
            out.append("  " + "  ".join(padded))

    for kind in KINDS:
        _, rules = kind_rows(summary, kind)
        if not rules:
            continue
        heading, rate_label, rate_formula = KIND_HEADINGS[kind]
        statuses = STATUSES[kind]
        width = max(len(terminal(rule)) for rule, *_ in rules)
        # Each column as wide as its heading or its widest number, so the table stays narrow.
        widths = [max(len(STATUS_LABELS[s]), *(len(_n(row[2 + i])) for row in rules)) for i, s in enumerate(statuses)]
        last = rate_label or "cases"
        out += ["", f"{heading}" + (f"; {rate_label} = {rate_formula}" if rate_label else "")]
        header = f"  {'rule':<{width}}" + "".join(
            f"  {STATUS_LABELS[s]:>{w}}" for s, w in zip(statuses, widths, strict=True)
        )
        last_width = max(8, len(last))
        out.append(f"{header}  {last:>{last_width}}")
        for rule, title, *counts, tail in rules:
            row = f"  {terminal(rule):<{width}}" + "".join(
                f"  {_n(n):>{w}}" for n, w in zip(counts, widths, strict=True)
            )
            out.append(f"{row}  {_percent_text(tail) if rate_label else _n(tail):>{last_width}}")
            out.append(f"      {terminal(title)}")

    if summary.coverage:
        rows = [(terminal(rule), n, terminal(names)) for rule, _, n, names in coverage_rows(summary)[1]]
        width = max(4, *(len(rule) for rule, _, _ in rows))
        count_w = max(7, *(len(_n(n)) for _, n, _ in rows))
        out += ["", _coverage_heading(summary), f"  {'rule':<{width}}  {'results':>{count_w}}  not recorded"]
        for rule, n, names in rows:
            out.append(f"  {rule:<{width}}  {_n(n):>{count_w}}  {names}")

    out += ["", _overdue_heading(summary)]
    if summary.overdue:
        items = [(terminal(i.due), terminal(i.late), terminal(i.case), i) for i in summary.overdue]
        due_w = max(3, *(len(due) for due, _, _, _ in items))
        late_w = max(4, *(len(late) for _, late, _, _ in items))
        case_w = max(4, *(len(case) for _, _, case, _ in items))
        out.append(f"  {'due':<{due_w}}  {'late':<{late_w}}  {'case':<{case_w}}  rule (subject)")
        for due, late, case, item in items:
            about = f"{item.rule} ({item.subject})" if item.subject else item.rule
            out.append(f"  {due:<{due_w}}  {late:<{late_w}}  {case:<{case_w}}  {terminal(about)}")
    elif summary.overdue_total:
        out.append("  (not listed: --overdue-limit is 0)")
    else:
        out.append("  Nothing is overdue.")
    if summary.malformed:
        out += ["", _malformed_text(summary)]
    # Every value above is escaped already; this is the last guard for any that is not.
    return "\n".join(terminal(line) for line in out) + "\n"


def _malformed_text(summary: Summary) -> str:
    shown = ", ".join(str(n) for n in summary.malformed_lines)
    more = ", ..." if summary.malformed > len(summary.malformed_lines) else ""
    if summary.malformed == 1:
        return f"1 malformed line was skipped (line {shown})."
    return f"{_n(summary.malformed)} malformed lines were skipped (lines {shown}{more})."


def render_markdown(summary: Summary) -> str:
    """The same report as Markdown tables."""
    out = ["# Caseload compliance report", "", *_headline(summary, markdown_text)]

    initial, *reviews = census_rows(summary)[1]
    _, rule, held, on_time, _, percent, not_yet_held, overdue = initial
    out += [
        "",
        "## Children in Need census timeliness",
        "",
        f"Initial conferences within 15 working days of the strategy discussion (`{rule}`): "
        f"{_n(on_time)} of {_n(held)} held on time ({_percent_text(percent)}); {_n(not_yet_held)} not yet held, "
        f"{_n(overdue)} of them overdue.",
        "",
        "| working days from the strategy discussion to the conference | conferences | share |",
        "| --- | ---: | ---: |",
    ]
    out += [f"| {label} | {_n(n)} | {_percent_text(p)} |" for label, n, p in band_rows(summary)[1]]
    out += [
        "",
        "| reviews | held on time | held | on time | overdue |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, rule, held, on_time, _, percent, _, overdue in (reviews[-1], *reviews[:-1]):
        about = f"{name} (`{rule}`)" if rule else name
        out.append(f"| {about} | {_n(on_time)} | {_n(held)} | {_percent_text(percent)} | {_n(overdue)} |")
    out += ["", "Child protection plans:", ""]
    out += [f"- {line}" for line in _plan_lines(summary, markdown_text)]

    if summary.groups:
        header, rows = _group_table(summary, markdown_text)
        out += [
            "",
            f"## By {summary.by}",
            "",
            "Overdue: on the evaluation date; deadlines: due in the period.",
            "",
            "| " + " | ".join(header) + " |",
            "| --- |" + " ---: |" * 4,
        ]
        out += ["| " + " | ".join(cells) + " |" for cells in rows]

    for kind in KINDS:
        _, rules = kind_rows(summary, kind)
        if not rules:
            continue
        heading, rate_label, rate_formula = KIND_HEADINGS[kind]
        statuses = STATUSES[kind]
        out += ["", f"## {heading}", ""]
        if rate_label:
            out += [f"*{rate_label}* = {rate_formula}.", ""]
        last = rate_label or "cases"
        out.append("| rule | title | " + " | ".join(STATUS_LABELS[s] for s in statuses) + f" | {last} |")
        out.append("| --- | --- | " + " | ".join("---:" for _ in statuses) + " | ---: |")
        for rule, title, *counts, tail in rules:
            cells = " | ".join(_n(n) for n in counts)
            tail = _percent_text(tail) if rate_label else _n(tail)
            out.append(f"| {markdown_code(rule, table=True)} | {markdown_text(title)} | {cells} | {tail} |")

    if summary.coverage:
        out += ["", f"## {_coverage_heading(summary)}", "", "| rule | results | not recorded |", "| --- | ---: | --- |"]
        for rule, _, n, names in coverage_rows(summary)[1]:
            out.append(f"| {markdown_code(rule, table=True)} | {_n(n)} | {markdown_text(names)} |")

    out += ["", f"## {_overdue_heading(summary)}", ""]
    if summary.overdue:
        out += ["| due | late | case | rule | subject |", "| --- | --- | --- | --- | --- |"]
        for item in summary.overdue:
            cells = (
                markdown_text(item.due),
                markdown_text(item.late),
                markdown_text(item.case),
                markdown_code(item.rule, table=True),
                markdown_text(item.subject or ""),
            )
            out.append(f"| {' | '.join(cells)} |")
    elif summary.overdue_total:
        out.append("Not listed: `--overdue-limit` is 0.")
    else:
        out.append("Nothing is overdue.")
    if summary.malformed:
        out += ["", _malformed_text(summary)]
    return "\n".join(out) + "\n"


def rule_rows(summary: Summary) -> tuple[list[str], list[list]]:
    """The per-rule table: its column names and one row per rule and status, values typed (a percent is a
    float rounded to one decimal, or None), with the rule's results and cases on every row of it. What --format
    csv writes, and the xlsx workbook's sheet."""
    header = ["kind", "rule", "title", "status", "count", "rule_results", "rule_met_percent", "rule_cases"]
    rows = []
    for r in summary.rules:
        percent = _percent_number(r.met_rate)
        rows.extend([r.kind, r.rule, r.title, status, n, r.total, percent, r.cases] for status, n in r.counts)
    return header, rows


def overdue_rows(summary: Summary) -> tuple[list[str], list[list]]:
    """The overdue list: its column names and one row per item, earliest due first, values typed."""
    by = [summary.by] if summary.by else []
    header = ["due", "late_amount", "late_unit", "case", "rule", "subject", "days_late", "first", *by]
    rows = []
    for item in summary.overdue:
        first = "yes" if item.tier == 0 else "no"
        row = [item.due, item.late_amount, item.late_unit, item.case, item.rule, item.subject, item.days_late, first]
        rows.append(row + ([item.group] if by else []))
    return header, rows


def month_rows(summary: Summary) -> tuple[list[str], list[list]]:
    """The month-by-month table: its column names and one row per month of the period."""
    return ["month", *MONTH_COLUMNS], [[month, *(n for _, n in counts)] for month, counts in summary.months]


def _csv(table: tuple[list[str], list[list]]) -> str:
    header, rows = table
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else f"{v:.1f}" if isinstance(v, float) else v for v in row])
    return buffer.getvalue()


def render_csv(summary: Summary) -> str:
    """One row per rule and status (see :data:`CSV_HELP`)."""
    return _csv(rule_rows(summary))


def render_overdue_csv(summary: Summary) -> str:
    """The overdue items, earliest due first (see :data:`CSV_HELP`)."""
    return _csv(overdue_rows(summary))


def _timeliness_dict(t: Timeliness) -> dict:
    return {
        "rule": t.rule,
        "held": t.held,
        "met": t.met,
        "missed": t.missed,
        "pending": t.pending,
        "overdue": t.overdue,
        "on_time_percent": _percent_number(t.rate),
    }


def to_dict(summary: Summary) -> dict:
    """The summary as JSON-able data, in a fixed key order."""
    census = summary.census
    reviews = _timeliness_dict(census.reviews)
    del reviews["rule"]
    return {
        "cases": summary.cases,
        "cases_needing_attention": summary.cases_needing_attention,
        "cases_with_overdue": summary.cases_with_overdue,
        "repeated_case_records": {"total": summary.repeated, "lines": list(summary.repeated_lines)},
        "results": summary.results,
        "evaluated_under": [
            {"area": r.area, "policy_version": r.policy_version, "as_of": r.as_of, "cases": r.cases}
            for r in summary.runs
        ],
        "error_records": summary.error_records,
        "errors_by_code": dict(summary.errors_by_code),
        "malformed_lines": {"count": summary.malformed, "first": list(summary.malformed_lines)},
        "period": None
        if summary.period is None
        else {
            "start": summary.period.start.isoformat(),
            "end": summary.period.end.isoformat(),
            "given": summary.period_given,
        },
        "plans": {
            "started": summary.plans.started,
            "started_by_category": dict(summary.plans.started_by_category),
            "second_or_later": summary.plans.repeat,
            "earlier_plans_not_recorded": summary.plans.repeat_unknown,
            "ended": summary.plans.ended,
            "ended_after_two_years_or_more": summary.plans.ended_after_two_years,
            "ended_after_three_months_or_more": summary.plans.ended_after_three_months,
            "every_review_on_time": summary.plans.reviews_all_on_time,
        },
        "months": [{"month": month, **dict(counts)} for month, counts in summary.months],
        "by": summary.by,
        "groups": [
            {
                "name": g.name,
                "cases": g.cases,
                "cases_with_overdue": g.cases_with_overdue,
                "overdue": g.overdue,
                "deadlines_met": g.deadlines_met,
                "deadlines_due": g.deadlines_due,
            }
            for g in summary.groups
        ],
        "census": {
            "initial_conferences": {
                **_timeliness_dict(census.initial),
                "working_days": dict(census.buckets),
            },
            "reviews": {
                **reviews,
                "first_review": _timeliness_dict(census.first_review),
                "later_reviews": _timeliness_dict(census.review_interval),
            },
        },
        "rules": [
            {
                "rule": r.rule,
                "title": r.title,
                "kind": r.kind,
                "counts": dict(r.counts),
                "results": r.total,
                "cases": r.cases,
                "met_percent": _percent_number(r.met_rate),
            }
            for r in summary.rules
        ],
        "not_recorded": [
            {"not_recorded": names.split(", "), "rule": rule, "results": n}
            for names, found in summary.coverage
            for rule, n in found
        ],
        "overdue": {
            "total": summary.overdue_total,
            # --all lists every item: no limit.
            "limit": None if summary.overdue_limit == sys.maxsize else summary.overdue_limit,
            "items": [
                {
                    "due": item.due,
                    "late": None if item.late_amount is None else {"amount": item.late_amount, "unit": item.late_unit},
                    "days_late": item.days_late,
                    "first": item.tier == 0,
                    "case": item.case,
                    "rule": item.rule,
                    "subject": item.subject,
                }
                for item in summary.overdue
            ],
        },
    }


def render_json(summary: Summary) -> str:
    """The summary as one indented JSON document (see :func:`to_dict`)."""
    return json.dumps(to_dict(summary), indent=2, ensure_ascii=False) + "\n"


def render_months_csv(summary: Summary) -> str:
    """One row per month of the period, for a chart or Power BI (see :data:`CSV_HELP`)."""
    return _csv(month_rows(summary))


__all__ = [
    "BUCKETS",
    "CSV_HELP",
    "FORMATS",
    "KIND_HEADINGS",
    "STATUSES",
    "STATUS_LABELS",
    "Census",
    "ErrorRecord",
    "EvaluationRecord",
    "Line",
    "LineTooLong",
    "Malformed",
    "OverdueItem",
    "PolicyRun",
    "ResultRow",
    "RuleSummary",
    "Summarizer",
    "Summary",
    "Table",
    "Timeliness",
    "band_rows",
    "bucket_of",
    "census_rows",
    "coverage_rows",
    "group_rows",
    "headline_rows",
    "kind_rows",
    "month_rows",
    "overdue_rows",
    "parse_line",
    "parse_lines",
    "plan_rows",
    "read_lines",
    "rule_rows",
    "summarize",
    "to_dict",
]
