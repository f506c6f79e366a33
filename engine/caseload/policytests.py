"""Policy tests as data: `policies/<area>/tests/*.yaml`, each a case and the results it must give.

`cpc test` and pytest both run them through :func:`run_test`; :func:`coverage` says which rules of an
area no test names, so an area cannot claim a rule works without a case that shows it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from engine.evaluation.api import Policy, load_policy
from engine.evaluation.case_files import CaseError, check_case, load_case
from engine.evaluation.results import Evaluation, Result
from engine.policy.policies import PolicyError
from engine.policy.yamlload import Document, LoadError, load_file

FIELDS = (
    "status",
    "due",
    "earliest",
    "done",
    "late",
    "early",
    "closed",
    "clock",
    "missing",
    "action",
    "failed",
    "reason",
)
# The keys an `expect` entry may have besides the fields it checks; any other is a mistake, never ignored.
EXPECT_KEYS = frozenset({"rule", "subject", *FIELDS})


@dataclass(slots=True)
class Outcome:
    """A test file's verdict: what failed, in words a policy author can act on."""

    file: Path
    name: str
    failures: list[str] = field(default_factory=list)
    named: set[str] = field(default_factory=set)

    @property
    def passed(self) -> bool:
        return not self.failures


def area_test_files(area_dir: Path) -> list[Path]:
    folder = area_dir / "tests"
    return sorted(p for p in folder.glob("*.y*ml") if p.suffix in (".yaml", ".yml")) if folder.is_dir() else []


def _text(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _actual(result: Result, key: str) -> object:
    if key in ("late", "early"):
        amount = getattr(result, key)
        return str(amount) if amount else None
    if key == "clock":
        return _text(result.clock.date) if result.clock else None
    if key in ("missing", "failed"):
        return list(getattr(result, key))
    value = getattr(result, key)
    return _text(value) if isinstance(value, dt.date) else value


def _expected(value: object) -> object:
    if isinstance(value, list):
        return [_text(v) if isinstance(v, dt.date) else v for v in value]
    return _text(value) if isinstance(value, dt.date) else value


def _matches(result: Result, expected: dict) -> list[str]:
    differences = []
    for key in FIELDS:
        if key in expected:
            want, got = _expected(expected[key]), _actual(result, key)
            if key == "clock" and isinstance(want, dict):
                want = {k: _expected(v) for k, v in want.items()}
                got = result.clock.to_dict() if result.clock else None
            if want != got:
                differences.append(f"{key} {got!r}, expected {want!r}")
    return differences


def _describe(result: Result) -> str:
    about = f" {result.subject.id}" if result.subject else ""
    parts = [f"{result.status}"]
    if result.due is not None:
        parts.append(f"due {_text(result.due)}")
    if result.done is not None:
        parts.append(f"done {_text(result.done)}")
    return f"{result.rule}{about}: {', '.join(parts)}"


def check(evaluation: Evaluation, expect: list[dict], absent: list[str]) -> list[str]:
    """What differs between an evaluation and a test's expectations, one line each."""
    failures = []
    for index, expected in enumerate(expect):
        rule = expected.get("rule")
        unknown = sorted(set(expected) - EXPECT_KEYS)
        if unknown:
            # A misspelt or unsupported key would otherwise pass without checking anything.
            failures.append(f"expect[{index}] {rule}: unknown key {', '.join(unknown)} (known: {', '.join(FIELDS)})")
            continue
        candidates = evaluation.by_rule(rule)
        if "subject" in expected:
            # A report or exclusion request is named by its conference ("icpc-1") or in full ("icpc-1/report-2").
            wanted = str(expected["subject"])
            candidates = [r for r in candidates if r.subject and wanted in (r.subject.id, r.subject.id.split("/")[0])]
        label = f"expect[{index}] {rule}" + (f" ({expected['subject']})" if "subject" in expected else "")
        if not candidates:
            got = ", ".join(_describe(r) for r in evaluation.by_rule(rule)) or "no result"
            failures.append(f"{label}: no such result (the rule gave: {got})")
            continue
        if not any(not _matches(r, expected) for r in candidates):
            closest = min(candidates, key=lambda r: len(_matches(r, expected)))
            failures.append(f"{label}: {'; '.join(_matches(closest, expected))}")
    for rule in absent:
        found = evaluation.by_rule(rule)
        if found:
            failures.append(f"absent {rule}: gave {', '.join(_describe(r) for r in found)}")
    return failures


def run_test(path: Path, policy: Policy) -> Outcome:
    """Run one test file against ``policy``."""
    outcome = Outcome(path, path.stem)
    try:
        doc = load_file(path)
    except LoadError as exc:
        outcome.failures.append(f"{path}:{exc.line}:{exc.column}: {exc.message}")
        return outcome
    spec = doc.data if isinstance(doc.data, dict) else {}
    outcome.name = str(spec.get("name", path.stem))
    expect = [e for e in spec.get("expect") or [] if isinstance(e, dict)]
    absent = [str(a) for a in spec.get("absent") or []]
    outcome.named = {str(e.get("rule")) for e in expect} | set(absent)
    as_of = spec.get("as_of")
    if not isinstance(as_of, dt.date):
        outcome.failures.append(f"{path}: as_of must be a date (YYYY-MM-DD)")
        return outcome
    try:
        if "case_file" in spec:
            case = load_case(path.parent / str(spec["case_file"]))
        else:
            case = check_case(_sub_document(doc, "case"))
        evaluator = policy.evaluator(as_of)
        evaluation = evaluator.evaluate(case, as_of)
    except CaseError as exc:
        outcome.failures.extend(f"{f.file}:{f.line}:{f.column}: {f.message} ({f.path})" for f in exc.findings)
        return outcome
    except PolicyError as exc:
        outcome.failures.append(exc.message)
        return outcome
    outcome.failures.extend(_unknown_rules(outcome.named, evaluator.policy.rules))
    outcome.failures.extend(check(evaluation, expect, absent))
    return outcome


def _unknown_rules(named: set[str], rules: dict) -> list[str]:
    """A rule id the policy does not have: an `absent` on it would pass without testing anything."""
    from engine.core.vocabulary import closest

    out = []
    for rule in sorted(named - set(rules)):
        near = closest(rule, list(rules))
        out.append(f"no rule '{rule}' in this policy" + (f" (did you mean '{near}'?)" if near else ""))
    return out


def _sub_document(doc: Document, key: str) -> Document:
    """The part of a test file under ``key`` as a document of its own, keeping its positions."""
    sub = Document(file=doc.file, data=doc.data.get(key) if isinstance(doc.data, dict) else None)
    for path, position in doc.values.items():
        if path[:1] == (key,):
            sub.values[path[1:]] = position
    for path, position in doc.keys.items():
        if path[:1] == (key,) and len(path) > 1:
            sub.keys[path[1:]] = position
    return sub


@dataclass(slots=True)
class AreaReport:
    area: str
    outcomes: list[Outcome]
    uncovered: list[str]

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outcomes)


def run_area(area_dir: Path, policies_dir: Path) -> AreaReport:
    """Run every test of one area and work out which of its rules none of them names."""
    policy = load_policy(area_dir.name, policies_dir=policies_dir)
    outcomes = [run_test(path, policy) for path in area_test_files(area_dir)]
    named = set().union(*(o.named for o in outcomes)) if outcomes else set()
    latest = policy.in_force(dt.date.max)
    uncovered = [rule for rule in latest.rules if rule not in named]
    return AreaReport(area_dir.name, outcomes, uncovered)
