"""What evaluating a case returns: typed, immutable results, each with ``to_dict()`` (schemas/result.schema.json)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

DEADLINE_STATUSES = ("overdue", "missed", "pending", "met")
REQUIREMENT_STATUSES = ("breached", "not_assessable", "met")
DECISION_STATUSES = ("applies",)


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
    failed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    action: str | None = None
    directs: str | None = None
    matched: tuple[Match, ...] = ()

    def to_dict(self) -> dict:
        data: dict = {"rule": self.rule, "title": self.title, "kind": self.kind, "status": self.status}
        if self.subject is not None:
            data["subject"] = self.subject.to_dict()
        if self.kind == "deadline":
            data["what"] = list(self.what) if isinstance(self.what, tuple) else self.what
            if self.clock is not None:
                data["clock"] = self.clock.to_dict()
            data["due"] = _iso(self.due)
            if self.done is not None:
                data["done"] = _iso(self.done)
            if self.late is not None:
                data["late"] = self.late.to_dict()
        elif self.kind == "requirement":
            data["failed"] = list(self.failed)
            data["missing"] = list(self.missing)
        else:
            data["action"] = self.action
            data["directs"] = self.directs
        data["area"] = self.area
        data["policy_version"] = self.policy_version
        data["defined_in"] = self.defined_in
        data["citations"] = [c.to_dict() for c in self.citations]
        if self.matched:
            data["matched"] = [m.to_dict() for m in self.matched]
        return data


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Every result for one case under one policy version, on one evaluation date."""

    case: str
    area: str
    policy_version: str
    as_of: dt.date
    results: tuple[Result, ...] = field(default=())

    def to_dict(self) -> dict:
        return {
            "case": self.case,
            "area": self.area,
            "policy_version": self.policy_version,
            "as_of": self.as_of.isoformat(),
            "results": [r.to_dict() for r in self.results],
        }

    def by_rule(self, rule: str) -> list[Result]:
        return [r for r in self.results if r.rule == rule]
