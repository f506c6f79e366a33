"""Evaluate one case against a compiled policy: assert its facts, read the matches, build the results."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from engine.core.calendar import FIRST_YEAR, LAST_YEAR, CalendarRangeError, WorkingCalendar
from engine.core.durations import parse_duration
from engine.core.findings import Finding, Severity
from engine.evaluation import deadlines
from engine.evaluation.case import CaseFacts, Occurrence, derive
from engine.evaluation.case_files import CaseError
from engine.evaluation.compile import CompiledPolicy, CompiledRule, Known, condition_fact, fact_type, field_name
from engine.evaluation.durable import Match
from engine.evaluation.results import (
    Citation,
    Clock,
    Evaluation,
    Late,
    PlanSummary,
    Result,
    Subject,
    not_recorded_reason,
)
from engine.evaluation.results import Match as Explained
from engine.policy import describe
from engine.policy.resolve import ResolvedPolicy, ResolvedRule

_RESULT_FIELDS = tuple(f.name for f in dataclasses.fields(Result))
_RESULT_DEFAULTS = tuple(None if f.default is dataclasses.MISSING else f.default for f in dataclasses.fields(Result))
_RESULT_INDEX = {name: index for index, name in enumerate(_RESULT_FIELDS)}
_STATUS, _SUBJECT, _MATCHED = _RESULT_INDEX["status"], _RESULT_INDEX["subject"], _RESULT_INDEX["matched"]

STATUS_ORDER = {"overdue": 0, "breached": 1, "missed": 2, "not_assessable": 3, "pending": 4, "applies": 5, "met": 6}


def _citations(policy: ResolvedPolicy, rule: ResolvedRule) -> tuple[Citation, ...]:
    return tuple(
        Citation(
            str(c.get("source", "")),
            str(policy.sources.get(c.get("source"), {}).get("file", "")),
            str(c.get("quote", "")),
        )
        for c in rule.citations
    )


class Evaluator:
    """Everything needed to evaluate cases against one policy version: compiled once, shared by threads."""

    def __init__(self, compiled: CompiledPolicy):
        self.compiled = compiled
        self.policy = compiled.policy
        self.calendar = WorkingCalendar.from_settings(
            {k: v for k, v in self.policy.calendar.items() if k in ("closure_days", "deadline_on_non_working_day")}
        )
        self._by_name = {c.name: c for c in compiled.rules}
        self._by_id = {c.rule.id: c for c in compiled.rules}
        self._exceptions: dict[str, list[CompiledRule]] = {}
        for rule in compiled.rules:
            if rule.exception_of is not None:
                self._exceptions.setdefault(rule.exception_of, []).append(rule)
        # Each rule's results as a row of Result's fields in order, with what every result of the rule shares
        # filled in once: a result is built dozens of times a case, and by position it costs a third less.
        self._rows = {c.rule.id: self._row(c) for c in compiled.rules}
        self._unseen = {c.name: _unseen_when_not_recorded(c.rule) for c in compiled.rules}

    def evaluate(self, case: dict, as_of: dt.date, *, explain: bool = False, source: str = "<case>") -> Evaluation:
        """Evaluate a validated case (:func:`engine.evaluation.case_files.read_case`) on ``as_of``.

        Raises :class:`CaseError`, naming ``source``, when a clock the case starts runs past the years whose
        bank holidays are known: its working days cannot be counted.
        """
        try:
            return self._evaluate(case, as_of, explain)
        except CalendarRangeError:
            # The year is worked out from the case's dates; the message names neither, only the limit.
            message = (
                f"a time limit counted from this case's dates falls outside {FIRST_YEAR} to {LAST_YEAR}, the "
                "years whose bank holidays are known, so its working days cannot be counted"
            )
            hint = "check the years of the case's dates and of --as-of"
            finding = Finding(source, 1, 1, "CPC100", "schema-violation", Severity.ERROR, message, "", hint)
            raise CaseError(message, [finding]) from None

    def _evaluate(self, case: dict, as_of: dt.date, explain: bool) -> Evaluation:
        facts = derive(case, as_of)
        asserted, about = self.compiled.engine_facts(facts)
        matches = self.compiled.ruleset.run(asserted, about)
        fired = _Fired()
        for match in matches:
            fired.setdefault(match.rule, []).append(match)
        results: list[Result] = []
        overridden = self._exceptions_applying(fired, facts)
        for compiled in self.compiled.rules:
            if compiled.disapplies:
                continue
            own = fired.get(compiled.name, [])
            found = list(self._results(compiled, own, fired, facts, explain)) if own else []
            if not found and facts.not_recorded and compiled.name not in overridden:
                found = self._not_seen(compiled, facts)
            applying = overridden.get(compiled.name)
            if applying:
                # Where an exception applies, its result stands instead of this rule's (docs/policy-format.md).
                found = [r for r in found if not any(_covers(a, r.subject) for a in applying.values())]
            if explain and found and compiled.rule.id in self._exceptions:
                found = [self._why_not_excepted(compiled, r, facts) for r in found]
            results.extend(found)
        results.sort(key=_order)
        return Evaluation(
            facts.case_id,
            self.policy.area,
            self.policy.version,
            as_of,
            tuple(results),
            _text(case.get("team")),
            _text(case.get("worker")),
            _plan_summary(case, facts),
        )

    def _why_not_excepted(self, compiled: CompiledRule, result: Result, facts: CaseFacts) -> Result:
        """For ``--explain``: each exception to the rule, with how each of its own conditions stood, so that 'not
        recorded' and 'recorded otherwise' can be told apart where the base rule's result stands."""
        conference = facts.conferences.get(result.subject.id.split("/", 1)[0]) if result.subject else None
        said = []
        for exception in self._exceptions[compiled.rule.id]:
            tests = tuple(
                f"{describe.condition(c)}: {self._standing(c, facts, conference)}"
                for c in exception.rule.exception_when
            )
            said.append(Explained("exception", f"exception {exception.rule.id} (does not apply here)", tests))
        return dataclasses.replace(result, matched=result.matched + tuple(said))

    def _standing(self, condition: dict, facts: CaseFacts, conference: dict | None) -> str:
        """How one condition stands for a result: holds, does not hold or not recorded."""
        fact = condition.get("fact")
        if isinstance(fact, str):
            kind = fact_type(fact)
            values = facts.case if kind == "case" else conference if kind == "conference" else None
            key = fact if kind == "case" else field_name(fact)
            if values is None or key not in values:
                return "holds" if condition.get("present") is False else "not recorded"
            return "holds" if _fact_holds(condition, values[key]) else "does not hold"
        if "event" in condition or "elapsed" in condition or "any_of" in condition:
            return "holds" if self._event_holds(condition, facts) else "does not hold"
        return "not recorded"

    def _exceptions_applying(self, fired: _Fired, facts: CaseFacts) -> dict[str, dict[str, _Where]]:
        """For each base rule, where each of its exceptions applies: every one of the exception's conditions
        holds. A condition that does not hold, or whose fact is not recorded, leaves the base in force."""
        out: dict[str, dict[str, _Where]] = {}
        for compiled in self.compiled.rules:
            if compiled.exception_of is None or compiled.applies is None:
                continue
            matches = fired.get(compiled.applies, [])
            if not matches or not self._timing_holds(compiled, facts):
                continue
            where = _Where()
            for match in matches:
                found = [
                    (k, str(match.facts[k].get("ref"))) for k in ("conference", "exclusion_request") if k in match.facts
                ]
                if found:
                    where.subjects.update(found)
                else:
                    where.case = True
            base = self._by_id.get(compiled.exception_of)
            if base is not None:
                out.setdefault(base.name, {})[compiled.rule.id] = where
        return out

    # -- per kind ------------------------------------------------------------------------------------------

    def _results(
        self,
        compiled: CompiledRule,
        matches: list[Match],
        fired: _Fired,
        facts: CaseFacts,
        explain: bool,
    ) -> Iterable[Result]:
        # The date conditions are about the case's events, not about any one match: checked once per rule.
        if not self._timing_holds(compiled, facts):
            return
        seen: set[tuple[int, int]] = set()
        rule = compiled.rule
        kind = rule.kind
        for match in matches:
            anchor = _anchor(compiled, match, facts) if compiled.anchor else None
            # One result per subject and clock, whatever other occurrences the match bound: the objects a
            # match binds are the evaluation's own, one per fact, so their identities tell them apart.
            key = (id(match.facts.get(compiled.subject)), id(anchor))
            if key in seen:
                continue
            seen.add(key)
            subject = _subject_of(compiled, match)
            matched = _explain(compiled, match, anchor) if explain else ()
            if kind == "deadline":
                yield from self._deadline(compiled, subject, anchor, facts, match, fired, matched)
            elif kind == "requirement":
                yield self._requirement(compiled, subject, match, fired, matched, facts)
            else:
                yield self._result(
                    compiled,
                    "applies",
                    subject,
                    matched,
                    action=rule.parameters.get("action"),
                    directs=rule.parameters.get("directs"),
                )

    def _not_seen(self, compiled: CompiledRule, facts: CaseFacts) -> list[Result]:
        """A deadline that gave no result because the source cannot record the event its clock counts from, or
        the optional event it is about: one result saying so, so that silence is not read as compliance."""
        names = [n for n in self._unseen[compiled.name] if n in facts.not_recorded]
        if not names or not self._when_may_hold(compiled, facts):
            return []
        what = compiled.rule.parameters.get("what")
        if "not_before" in compiled.rule.parameters and not any(
            facts.occurrences(w) for w in (what if isinstance(what, list) else [what]) if isinstance(w, str)
        ):
            # A lower bound asks nothing while its event has not happened, whatever the clock.
            return []
        return [
            self._result(
                compiled,
                "not_assessable",
                None,
                (),
                what=tuple(what) if isinstance(what, list) else what,
                reason=not_recorded_reason(names),
            )
        ]

    def _within(self, condition: dict, facts: CaseFacts) -> list[Occurrence]:
        """The occurrences of a timed condition's event that fall within its time of an occurrence of ``of``."""
        duration = parse_duration(condition["within"])
        exclusive = condition.get("boundary") == "exclusive"
        found = []
        for event in facts.occurrences(condition["event"]):
            for start in facts.occurrences(condition["of"]):
                end = _day(self.calendar.add(start.when, duration))
                if start.day <= event.day and (event.day < end if exclusive else event.day <= end):
                    found.append(event)
                    break
        return found

    def _meeting(self, event: str, facts: CaseFacts, siblings: list[dict] | tuple) -> list[Occurrence]:
        """The occurrences of ``event`` that meet the rule's timed conditions on it: "no strategy meeting since the
        significant change" counts from the change the rule is about (the one within 3 months of the plan's
        end), not from a later one outside that time."""
        found = facts.occurrences(event)
        for sibling in siblings:
            if sibling.get("event") == event and "within" in sibling:
                timed = {id(o) for o in self._within(sibling, facts)}
                found = [o for o in found if id(o) in timed]
        return found

    def _when_may_hold(self, compiled: CompiledRule, facts: CaseFacts) -> bool:
        """Whether the rule's ``when`` could hold for this case: no condition on the case's facts or events is
        recorded as failing. A deadline about pre-birth cases is not 'not assessable' for every other child."""
        for condition in compiled.rule.data.get("when") or ():
            if not isinstance(condition, dict):
                continue
            if "fact" in condition:
                judged = fact_type(str(condition["fact"])) == "case"
            else:
                names = (condition.get("event"), condition.get("of"), condition.get("since"))
                judged = ("event" in condition or "elapsed" in condition) and not any(
                    n in facts.not_recorded for n in names
                )
            if judged and self._standing(condition, facts, None) == "does not hold":
                return False
        return True

    def _row(self, compiled: CompiledRule) -> list:
        """Result's fields in order, with what every result of the rule shares filled in and the rest defaults."""
        shared = {
            "rule": compiled.rule.id,
            "title": str(compiled.rule.data.get("title", "")),
            "kind": compiled.rule.kind,
            "area": self.policy.area,
            "policy_version": self.policy.version,
            "defined_in": compiled.rule.defined_in,
            "citations": _citations(self.policy, compiled.rule),
            "exception_of": compiled.exception_of,
        }
        return [shared.get(name, default) for name, default in zip(_RESULT_FIELDS, _RESULT_DEFAULTS, strict=True)]

    def _result(self, compiled: CompiledRule, status: str, subject: Subject | None, matched, **fields) -> Result:
        row = self._rows[compiled.rule.id].copy()
        row[_STATUS], row[_SUBJECT], row[_MATCHED] = status, subject, matched
        for name, value in fields.items():
            row[_RESULT_INDEX[name]] = value
        return Result(*row)

    def _deadline(
        self,
        compiled: CompiledRule,
        subject: Subject | None,
        anchor: Occurrence,
        facts: CaseFacts,
        match: Match,
        fired: _Fired,
        matched,
    ) -> Iterable[Result]:
        params = _own_clock(compiled.rule.parameters, anchor, facts)
        if params is None:
            return
        what = params.get("what")
        what = tuple(what) if isinstance(what, list) else what
        clock = Clock(anchor.event, anchor.when)
        verdicts_when = (
            [(_decided(_verdict(fired, match, h, k, facts.case), c), c) for h, k, c in compiled.optional_when]
            if compiled.optional_when
            else []
        )
        optional = bool(params.get("optional"))
        if matched and verdicts_when:
            matched = matched + tuple(
                Explained("optional_when", "optional_when condition", (f"{describe.condition(c)}: {v}",))
                for v, c in verdicts_when
            )

        def excused(ref: str | None, due: dt.date | dt.datetime) -> dt.date | None:
            """From when ``what`` need not happen: every optional_when condition holds (one not recorded keeps
            the deadline, so that a missing fact never hides a late or missing event), and a dated one from
            the day it was recorded."""
            if not compiled.optional_when:
                return None
            since = dt.date.min
            for (holds, known, condition), (found, _) in zip(compiled.optional_when, verdicts_when, strict=True):
                fact = str(condition_fact(condition))
                about = ref if fact_type(fact) == "report" else ""
                if about is None:
                    return None  # a condition on each report, and no report to ask it of
                if about:
                    item = facts.reports.get(about)
                    found = _decided(_verdict_on(fired, ("report", about), holds, known, item), condition)
                if found != "holds":
                    return None
                if condition.get("recorded_by") == "due":
                    recorded = facts.dates.get((about, fact))
                    if recorded is None:
                        return None
                    if recorded > _day(due):
                        since = max(since, recorded)
            return since

        if "within" in params:
            verdicts = [deadlines.within(params, anchor, facts, self.calendar, optional=optional, excused=excused)]
        elif "not_before" in params:
            verdicts = [deadlines.not_before(params, anchor, facts, self.calendar)]
        else:
            verdicts = deadlines.before(params, anchor, facts, self.calendar, optional=optional, excused=excused)
        unrecorded = later = unseen = ()
        if facts.not_recorded:
            unrecorded = [w for w in (what if isinstance(what, tuple) else (what,)) if w in facts.not_recorded]
            # A later clock the source cannot record could put the due date after the one computed.
            later = [c.get("of") for c in params.get("whichever_later") or () if c.get("of") in facts.not_recorded]
            # Of those, the ones this case has no occurrence of at all: one of them may have been done on time.
            unseen = [w for w in unrecorded if not facts.occurrences(w, scheduled=True)]
        for verdict in verdicts:
            if verdict is None:
                continue
            # The source cannot record the event, so its absence says nothing; nor does lateness, when an
            # alternative the case has no record of could have come first. An occurrence the case does record is
            # judged as usual, late or on time alike, so that a rate is not biased towards the met.
            reason = None
            if unrecorded and verdict.done is None and verdict.status != "met":
                reason = not_recorded_reason(unrecorded)
            elif unseen and verdict.status == "missed":
                reason = not_recorded_reason(unseen)
            elif later and verdict.status in ("missed", "overdue"):
                reason = not_recorded_reason(later)
            if reason is not None:
                verdict = deadlines.Verdict(
                    "not_assessable", verdict.due, None, None, verdict.late_unit, verdict.done_ref
                )
            own_subject = subject
            if verdict.done_ref and ("/report-" in verdict.done_ref or "/exclusion-" in verdict.done_ref):
                kind = "report" if "/report-" in verdict.done_ref else "exclusion_request"
                own_subject = Subject(kind, verdict.done_ref)
            amount = Late(verdict.late_amount, verdict.late_unit) if verdict.late_amount is not None else None
            late, early = (None, amount) if verdict.status == "breached" else (amount, None)
            yield self._result(
                compiled,
                verdict.status,
                own_subject,
                matched,
                what=what,
                clock=Clock(verdict.clock.event, verdict.clock.when) if verdict.clock else clock,
                due=verdict.due,
                done=verdict.done,
                late=late,
                closed=verdict.closed,
                earliest=verdict.earliest,
                early=early,
                reason=reason,
            )

    def _requirement(
        self,
        compiled: CompiledRule,
        subject: Subject | None,
        match: Match,
        fired: _Fired,
        matched,
        facts: CaseFacts,
    ) -> Result:
        verdicts = {
            group: [(_decided(_verdict(fired, match, h, k, facts.case), c), c) for h, k, c in conditions]
            for group, conditions in (("require", compiled.require), ("unless", compiled.unless))
        }
        if matched:
            matched = matched + tuple(
                Explained(group, f"{group} condition", (f"{describe.condition(c)}: {v}",))
                for group, pairs in verdicts.items()
                for v, c in pairs
            )
        if verdicts["unless"] and all(v == "holds" for v, _ in verdicts["unless"]):
            return self._result(compiled, "met", subject, matched)
        failed = tuple(describe.condition(c) for v, c in verdicts["require"] if v == "does not hold")
        missing = tuple(
            f for v, c in verdicts["require"] if v == "not recorded" for f in _unrecorded(c, match, facts.case)
        )
        status = "breached" if failed else "not_assessable" if missing else "met"
        if failed and not any(v == "does not hold" for v, _ in verdicts["unless"]):
            # The breach stands, but a fact that could excuse it is not recorded: say which.
            missing += tuple(
                f for v, c in verdicts["unless"] if v == "not recorded" for f in _unrecorded(c, match, facts.case)
            )
        missing = tuple(dict.fromkeys(missing))
        # Unknown to the source, not merely unrecorded in this case: an exception that could excuse the breach,
        # or a fact the requirement needs.
        unknowable = [
            _name(c)
            for group in ("require", "unless")
            for v, c in verdicts[group]
            if v == "not recorded" and _name(c) in facts.not_recorded
        ]
        reason = None
        if unknowable and status != "met":
            status, reason = "not_assessable", not_recorded_reason(unknowable)
        return self._result(compiled, status, subject, matched, failed=failed, missing=missing, reason=reason)

    def _timing_holds(self, compiled: CompiledRule, facts: CaseFacts) -> bool:
        """The event conditions of ``when``, which durable-rules cannot compute (they need the calendar, or
        ask that something has not happened)."""
        siblings = [condition for _, condition in compiled.event_conditions]
        return all(self._event_holds(condition, facts, siblings) for condition in siblings)

    def _event_holds(self, condition: dict, facts: CaseFacts, siblings: list[dict] | tuple = ()) -> bool:
        if "any_of" in condition:
            return any(self._event_holds(m, facts) for m in condition["any_of"] if isinstance(m, dict))
        if condition.get("happened") is False:
            found = facts.occurrences(condition["event"])
            if "since" in condition:
                starts = self._meeting(condition["since"], facts, siblings)
                if starts:
                    latest = max(s.day for s in starts)
                    return not any(o.day >= latest for o in found)
            return not found
        if "within" in condition:
            return bool(self._within(condition, facts))
        if "elapsed" in condition:
            duration = parse_duration(condition["elapsed"])
            return any(
                facts.as_of >= _day(self.calendar.add(since.when, duration))
                for since in facts.occurrences(condition["since"])
            )
        if "event" in condition:
            return bool(facts.occurrences(condition["event"]))
        return False


def _unseen_when_not_recorded(rule: ResolvedRule) -> tuple[str, ...]:
    """The events whose absence from a source hides a deadline entirely: the clocks it counts from (with none,
    no clock starts), and the event an optional deadline is about (with none, it is not due)."""
    if rule.kind != "deadline":
        return ()
    params = rule.parameters
    clocks = [params.get("of") or params.get("before") or params.get("after")]
    for other in ("whichever_sooner", "whichever_later"):
        clocks += [c.get("of") for c in params.get(other) or [] if isinstance(c, dict)]
    what = params.get("what")
    optional = [*(what if isinstance(what, list) else [what])] if params.get("optional") else []
    return tuple(dict.fromkeys(str(n) for n in [*clocks, *optional] if n))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _plan_summary(case: dict, facts: CaseFacts) -> PlanSummary | None:
    """What the census needs of the plan: None before it starts (a plan dated after ``as_of`` has not yet)."""
    plan = case.get("plan") or {}
    start, end = plan.get("start"), plan.get("end")
    start = start.date() if isinstance(start, dt.datetime) else start
    end = end.date() if isinstance(end, dt.datetime) else end
    if not isinstance(start, dt.date) or start > facts.as_of:
        return None
    ended = end if isinstance(end, dt.date) and end <= facts.as_of else None
    previous = plan.get("previous_plans")
    count = int(previous) if isinstance(previous, int | float) and not isinstance(previous, bool) else None
    return PlanSummary(start, ended, facts.plan_category, count)


def _fact_holds(condition: dict, value: object) -> bool:
    """A ``{fact: F, op: V}`` condition on a recorded value, as durable-rules tests it."""
    if "equals" in condition:
        return value == condition["equals"]
    if "not_equals" in condition:
        return value != condition["not_equals"]
    if "in" in condition:
        return value in condition["in"]
    if "at_least" in condition:
        return isinstance(value, int | float) and value >= condition["at_least"]
    if "below" in condition:
        return isinstance(value, int | float) and value < condition["below"]
    return condition.get("present") is not False


def _unrecorded(condition: dict, match: Match, case: dict[str, object]) -> tuple[str, ...]:
    """The facts a condition tests that the case does not record: its own, or for ``any_of`` those of its
    members that the case (or the conference or request the result is about) has no value for."""
    if "any_of" not in condition:
        return (str(condition.get("fact")),)
    out = []
    for member in condition["any_of"]:
        fact = member.get("fact") if isinstance(member, dict) else None
        if not isinstance(fact, str):
            continue
        kind = fact_type(fact)
        if kind == "case":
            recorded = fact in case
        else:
            about = match.facts.get(kind)
            recorded = isinstance(about, dict) and field_name(fact) in about
        if not recorded:
            out.append(fact)
    return tuple(dict.fromkeys(out))


def _name(condition: dict) -> str:
    """The fact or event a condition tests."""
    return str(condition.get("fact") or condition.get("event") or "")


def _day(moment: dt.date | dt.datetime) -> dt.date:
    return moment.date() if isinstance(moment, dt.datetime) else moment


class _Fired(dict[str, list[Match]]):
    """The matches of one evaluation by rule name, with each holds rule's subjects indexed once.

    Asking of every subject whether any of a rule's matches is about it was quadratic in conferences.
    """

    def __init__(self) -> None:
        super().__init__()
        self._subjects: dict[str, tuple[bool, frozenset[tuple[object, object]]]] = {}

    def subjects(self, rule_name: str) -> tuple[bool, frozenset[tuple[object, object]]]:
        """Whether a match of the rule is about the case itself (it then counts for every subject), and the
        ``(fact type, ref)`` of every fact its matches are about."""
        found = self._subjects.get(rule_name)
        if found is None:
            facts = [m.facts["s"] for m in self.get(rule_name, [])]
            found = (
                any(f.get("t") == "case" for f in facts),
                frozenset((f.get("t"), f.get("ref")) for f in facts if f.get("t") != "case"),
            )
            self._subjects[rule_name] = found
        return found


def _about_subject(fired: _Fired, match: Match, rule_name: str) -> bool:
    """Whether a holds rule matched the case, or a fact the match is about (its conference)."""
    about_case, facts = fired.subjects(rule_name)
    return about_case or any(
        (kind, fact.get("ref")) in facts for kind, fact in match.facts.items() if isinstance(fact, dict)
    )


def _own_clock(params: dict, anchor: Occurrence, facts: CaseFacts) -> dict | None:
    """The deadline as counted from ``anchor``; None when another clock counts it.

    A ``whichever_later`` clock starts the deadline itself when the ``of`` event is not recorded (an acceptance
    with no notification): its clock is then the deadline's own, and the remaining later clocks stay beside it.
    """
    if "of" not in params or anchor.event == params["of"]:
        return params
    later = [c for c in params.get("whichever_later") or () if isinstance(c, dict)]
    if facts.occurrences(params.get("of", "")):
        return None
    first = next((c for c in later if facts.occurrences(c.get("of", ""))), None)
    if first is None or first.get("of") != anchor.event:
        return None
    return {
        **params,
        "within": first["within"],
        "of": anchor.event,
        "whichever_later": [c for c in later if c is not first],
    }


def _decided(verdict: str, condition: dict) -> str:
    """Whether a fact is present is always known: a ``present: true`` test of an absent fact does not hold."""
    return "does not hold" if verdict == "not recorded" and "present" in condition else verdict


class _Where:
    """Where an exception applies: to the whole case, or to these conferences and requests."""

    __slots__ = ("case", "subjects")

    def __init__(self) -> None:
        self.case = False
        self.subjects: set[tuple[str, str]] = set()


def _covers(where: _Where, subject: Subject | None) -> bool:
    if where.case:
        return True
    if subject is None:
        return False
    if subject.type == "report":
        return ("conference", subject.id.split("/", 1)[0]) in where.subjects
    return (subject.type, subject.id) in where.subjects


def _verdict_on(fired: _Fired, fact: tuple[str, str], holds_rule: str, known: Known, item: dict | None) -> str:
    """A parameter list's condition for one item (a report): ``holds``, ``does not hold`` or ``not recorded``."""
    about_case, facts = fired.subjects(holds_rule)
    if about_case or fact in facts:
        return "holds"
    return "does not hold" if known.recorded_in(item) else "not recorded"


def _verdict(fired: _Fired, match: Match, holds_rule: str, known: Known, case: dict[str, object]) -> str:
    """A parameter list's condition for one match: ``holds``, ``does not hold`` or ``not recorded``."""
    if _about_subject(fired, match, holds_rule):
        return "holds"
    return "does not hold" if _known(known, match, case) else "not recorded"


def _known(known: Known, match: Match, case: dict[str, object]) -> bool:
    """Whether the condition's facts are recorded on the case, or on a fact of its type the match is about."""
    if known.base == "case":
        return known.recorded_in(case)
    return any(
        isinstance(fact, dict) and fact.get("t") == known.base and known.recorded_in(fact)
        for fact in match.facts.values()
    )


def _subject_of(compiled: CompiledRule, match: Match) -> Subject | None:
    if compiled.subject == "conference" and "conference" in match.facts:
        return Subject("conference", str(match.facts["conference"]["ref"]))
    if compiled.subject == "exclusion_request" and "exclusion_request" in match.facts:
        return Subject("exclusion_request", str(match.facts["exclusion_request"]["ref"]))
    return None


def _anchor(compiled: CompiledRule, match: Match, facts: CaseFacts) -> Occurrence:
    """The occurrence whose clock a deadline's match is for: bound itself, or the conference's own event."""
    bound = match.facts[compiled.anchor]
    if compiled.anchor_event is None:
        return bound
    return facts.owned(compiled.anchor_event, str(bound["ref"]))


def _explain(compiled: CompiledRule, match: Match, anchor: Occurrence | None) -> tuple[Explained, ...]:
    rule = compiled.rule
    when = [c for c in rule.data.get("when") or [] if isinstance(c, dict)]
    # The case is not a pattern of a rule that asks nothing of it, but every result is still about one.
    out = [] if "case" in match.facts else [Explained("case", "the case", ())]
    for alias, fact in match.facts.items():
        if alias == compiled.anchor and compiled.anchor_event is not None and anchor is not None:
            # The conference's fact stands for its event too: the clock is said as its own event would be.
            out.append(
                Explained(
                    "anchor", f"event {anchor.event} on {anchor.when.isoformat()}", (f"anchor: name is {anchor.event}",)
                )
            )
        if isinstance(fact, Occurrence):
            label = f"event {fact.event} on {fact.when.isoformat()}"
            tests = [f"{alias}: name is {fact.event}"]
        elif fact.get("t") == "case":
            label = "the case"
            tests = [describe.condition(c) for c in when if "fact" in c and field_name(c["fact"]) == c["fact"]]
        else:
            kind = fact.get("t")
            label = f"{kind} {fact.get('ref')}"
            tests = [describe.condition(c) for c in when if "fact" in c and c["fact"].startswith(f"{kind}.")]
        out.append(Explained(alias, label, tuple(tests)))
    return tuple(out)


def _order(result: Result) -> tuple:
    due = result.due
    due_key = due.date() if isinstance(due, dt.datetime) else due or dt.date.max
    return (STATUS_ORDER.get(result.status, 9), due_key, result.rule, result.subject.id if result.subject else "")
