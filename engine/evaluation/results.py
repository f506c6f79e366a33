"""What evaluating a case returns: typed, immutable results, each with ``to_dict()`` (schemas/result.schema.json)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

DEADLINE_STATUSES = ("overdue", "breached", "missed", "not_assessable", "pending", "met")
REQUIREMENT_STATUSES = ("breached", "not_assessable", "met")
DECISION_STATUSES = ("applies",)
# How a result not assessable for want of what the case's source can record begins its reason; `cpc report`
# groups such results by what follows.
NOT_RECORDED = "not recorded by this source"


def not_recorded_reason(names: list[str] | tuple[str, ...]) -> str:
    """The reason of a result whose events or facts the case's source does not record."""
    return f"{NOT_RECORDED}: {', '.join(dict.fromkeys(names))}"


# What json.dumps(..., ensure_ascii=False) writes for a str: the same function it calls.
_encode_text = json.encoder.encode_basestring


def _json(value: object) -> str:
    """``value`` as ``json.dumps(value, ensure_ascii=False)`` writes it, and as it writes it inside a list or
    mapping too (no indent); text, null and whole numbers without the call."""
    kind = type(value)
    if kind is str:
        return _encode_text(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


def _texts(values: tuple | list) -> str:
    return "[" + ", ".join([_json(v) for v in values]) + "]"


_SHARED: dict[tuple, tuple[tuple, str, str]] = {}
_SHARED_LIMIT = 4096


def _shared(result: Result) -> tuple[str, str]:
    """The JSON every result of a rule shares: from ``{"rule"`` to ``"status": `` and from ``, "area"`` to the
    citations, which are most of a result line (the procedure's own words), encoded once per rule."""
    citations = result.citations
    key = (result.rule, result.title, result.kind, result.area, result.policy_version, result.defined_in, id(citations))
    found = _SHARED.get(key)
    # The entry holds the citations, so their id cannot be reused by other citations while it is cached.
    if found is not None and found[0] is citations:
        return found[1], found[2]
    head = f'{{"rule": {_json(result.rule)}, "title": {_json(result.title)}, "kind": {_json(result.kind)}, "status": '
    tail = (
        f', "area": {_json(result.area)}, "policy_version": {_json(result.policy_version)}, '
        f'"defined_in": {_json(result.defined_in)}, "citations": '
        f"{json.dumps([c.to_dict() for c in citations], ensure_ascii=False)}"
    )
    if len(_SHARED) >= _SHARED_LIMIT:
        _SHARED.clear()
    _SHARED[key] = (citations, head, tail)
    return head, tail


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    return value.isoformat()


@dataclass(frozen=True, slots=True)
class Citation:
    source: str
    file: str
    quote: str

    def to_dict(self) -> dict:
        return {"source": self.source, "file": self.file, "quote": self.quote}


@dataclass(frozen=True, slots=True)
class Subject:
    """What a result is about when a rule applies to each of several things, e.g. a conference."""

    type: str
    id: str

    def to_dict(self) -> dict:
        return {"type": self.type, "id": self.id}


@dataclass(frozen=True, slots=True)
class Clock:
    """The occurrence of the event a deadline counts from (or back to)."""

    event: str
    date: dt.date | dt.datetime

    def to_dict(self) -> dict:
        return {"event": self.event, "date": _iso(self.date)}


@dataclass(frozen=True, slots=True)
class Late:
    amount: int
    unit: str

    def __str__(self) -> str:
        unit = self.unit[:-1] if self.amount == 1 else self.unit
        return f"{self.amount} {unit}"

    def beside(self, days: int) -> str:
        """``days`` calendar days, with this count beside them where the rule counts working days or hours:
        ``34 days (25 working days)``. One unit on every line of `cpc eval` and `cpc report`."""
        counted = f"{days} day{'s' if days != 1 else ''}"
        return counted if self.unit == "days" or not self.amount else f"{counted} ({self})"

    def to_dict(self) -> dict:
        return {"amount": self.amount, "unit": self.unit}


@dataclass(frozen=True, slots=True)
class Match:
    """For ``--explain``: a pattern durable-rules matched, the fact it matched, and the conditions tested."""

    pattern: str
    fact: str
    conditions: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"pattern": self.pattern, "fact": self.fact, "conditions": list(self.conditions)}


@dataclass(frozen=True, slots=True)
class Result:
    """One rule's verdict on one case (or on one conference, exclusion request or report of it)."""

    rule: str
    title: str
    kind: str
    status: str
    area: str
    policy_version: str
    defined_in: str
    citations: tuple[Citation, ...]
    subject: Subject | None = None
    what: str | tuple[str, ...] | None = None
    clock: Clock | None = None
    due: dt.date | dt.datetime | None = None
    done: dt.date | dt.datetime | None = None
    late: Late | None = None
    closed: dt.date | None = None
    earliest: dt.date | None = None
    early: Late | None = None
    failed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    action: str | None = None
    directs: str | None = None
    reason: str | None = None
    matched: tuple[Match, ...] = ()
    # For an exception's result: the rule it stands in place of (docs/policy-format.md, "Exceptions").
    exception_of: str | None = None

    def to_dict(self) -> dict:
        data: dict = {"rule": self.rule, "title": self.title, "kind": self.kind, "status": self.status}
        if self.subject is not None:
            data["subject"] = self.subject.to_dict()
        if self.exception_of is not None:
            data["exception_of"] = self.exception_of
        if self.kind == "deadline":
            data["what"] = list(self.what) if isinstance(self.what, tuple) else self.what
            if self.clock is not None:
                data["clock"] = self.clock.to_dict()
            if self.due is not None:
                data["due"] = _iso(self.due)
            if self.done is not None:
                data["done"] = _iso(self.done)
            if self.late is not None:
                data["late"] = self.late.to_dict()
            if self.closed is not None:
                data["closed"] = _iso(self.closed)
            if self.earliest is not None:
                data["earliest"] = _iso(self.earliest)
            if self.early is not None:
                data["early"] = self.early.to_dict()
        elif self.kind == "requirement":
            data["failed"] = list(self.failed)
            data["missing"] = list(self.missing)
        else:
            data["action"] = self.action
            data["directs"] = self.directs
        if self.reason is not None:
            data["reason"] = self.reason
        data["area"] = self.area
        data["policy_version"] = self.policy_version
        data["defined_in"] = self.defined_in
        data["citations"] = [c.to_dict() for c in self.citations]
        if self.matched:
            data["matched"] = [m.to_dict() for m in self.matched]
        return data

    def to_json(self) -> str:
        """Exactly ``json.dumps(self.to_dict(), ensure_ascii=False)``, in a fifth of the time."""
        head, tail = _shared(self)
        out = [head, _json(self.status)]
        subject = self.subject
        if subject is not None:
            out.append(f', "subject": {{"type": {_json(subject.type)}, "id": {_json(subject.id)}}}')
        if self.exception_of is not None:
            out.append(f', "exception_of": {_json(self.exception_of)}')
        if self.kind == "deadline":
            what = self.what
            out.append(f', "what": {_texts(what) if isinstance(what, tuple) else _json(what)}')
            clock = self.clock
            if clock is not None:
                out.append(f', "clock": {{"event": {_json(clock.event)}, "date": {_json(_iso(clock.date))}}}')
            if self.due is not None:
                out.append(f', "due": {_json(_iso(self.due))}')
            if self.done is not None:
                out.append(f', "done": {_json(_iso(self.done))}')
            late = self.late
            if late is not None:
                out.append(f', "late": {{"amount": {_json(late.amount)}, "unit": {_json(late.unit)}}}')
            if self.closed is not None:
                out.append(f', "closed": {_json(_iso(self.closed))}')
            if self.earliest is not None:
                out.append(f', "earliest": {_json(_iso(self.earliest))}')
            early = self.early
            if early is not None:
                out.append(f', "early": {{"amount": {_json(early.amount)}, "unit": {_json(early.unit)}}}')
        elif self.kind == "requirement":
            out.append(f', "failed": {_texts(self.failed)}, "missing": {_texts(self.missing)}')
        else:
            out.append(f', "action": {_json(self.action)}, "directs": {_json(self.directs)}')
        if self.reason is not None:
            out.append(f', "reason": {_json(self.reason)}')
        out.append(tail)
        if self.matched:
            out.append(f', "matched": {json.dumps([m.to_dict() for m in self.matched], ensure_ascii=False)}')
        out.append("}")
        return "".join(out)


@dataclass(frozen=True, slots=True)
class PlanSummary:
    """The child's child protection plan as the census counts plans: when it started and ended (by the
    evaluation date), its category, and how many plans came before it (when the case says)."""

    start: dt.date
    end: dt.date | None = None
    category: str | None = None
    previous_plans: int | None = None

    def to_dict(self) -> dict:
        data: dict = {"start": self.start.isoformat()}
        if self.end is not None:
            data["end"] = self.end.isoformat()
        if self.category is not None:
            data["category"] = self.category
        if self.previous_plans is not None:
            data["previous_plans"] = self.previous_plans
        return data


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Every result for one case under one policy version, on one evaluation date.

    ``team`` and ``worker`` are the case's opaque ids, carried so that ``cpc report --by team`` can break a
    caseload down; ``plan`` is what the census measures need of the plan."""

    case: str
    area: str
    policy_version: str
    as_of: dt.date
    results: tuple[Result, ...] = field(default=())
    team: str | None = None
    worker: str | None = None
    plan: PlanSummary | None = None

    def _about(self) -> dict:
        data: dict = {}
        if self.team is not None:
            data["team"] = self.team
        if self.worker is not None:
            data["worker"] = self.worker
        if self.plan is not None:
            data["plan"] = self.plan.to_dict()
        return data

    def to_dict(self) -> dict:
        return {
            "case": self.case,
            "area": self.area,
            "policy_version": self.policy_version,
            "as_of": self.as_of.isoformat(),
            **self._about(),
            "results": [r.to_dict() for r in self.results],
        }

    def to_json(self) -> str:
        """Exactly ``json.dumps(self.to_dict(), ensure_ascii=False)``, in a fifth of the time."""
        results = ", ".join([r.to_json() for r in self.results])
        about = self._about()
        middle = "".join(f", {_json(k)}: {_json(v)}" for k, v in about.items())
        return (
            f'{{"case": {_json(self.case)}, "area": {_json(self.area)}, "policy_version": '
            f'{_json(self.policy_version)}, "as_of": {_json(self.as_of.isoformat())}{middle}, "results": [{results}]}}'
        )

    def by_rule(self, rule: str) -> list[Result]:
        return [r for r in self.results if r.rule == rule]
