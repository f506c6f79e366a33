"""Compile a resolved policy into a durable-rules ruleset, and say how to read its matches back.

Each policy rule becomes one durable rule whose patterns are the rule's conditions on the facts of a case: the
case fact (``child.*``, ``mother.*``, ``s47.*``, ``plan.*``, ``cin_plan.*``), the fact of each conference or
exclusion request, and one fact per occurrence of an event (a conference's own events, such as a review, are marks
on its fact, so that a clock counted from one matches the conference alone). A requirement's ``require`` and
``unless`` conditions, and a deadline's ``optional_when`` conditions, each become one more rule (the condition
holds, shared by every rule that asks it), so that durable-rules, not Python, decides which conditions hold. Date
arithmetic (due dates, "within 3 months of") needs the working-day calendar, which durable-rules does not have:
that is done on the matched facts afterwards. Only the facts, events and fields some pattern names are asserted
(:class:`FactPlan`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.evaluation import durable
from engine.evaluation.case import CaseFacts
from engine.policy.resolve import ResolvedPolicy, ResolvedRule

SUBJECT_TYPES = {"conference": "conference", "exclusion_request": "exclusion_request", "report": "report"}
CASE_PREFIXES = ("child.", "mother.", "s47.", "plan.", "cin_plan.")
CONFERENCE_EVENTS = (
    "conference",
    "initial_conference",
    "pre_birth_conference",
    "transfer_in_conference",
    "review_conference",
    "first_conference",
)

_NAME_SAFE = re.compile(r"[^A-Za-z0-9_.:-]")

# The fields that say what an asserted fact is. A case, conference, exclusion request or report has ``t``;
# an occurrence of an event has its name under ``e`` when it has happened, or under ``s`` when it is still to
# come (a booked conference, an order's expiry): so one equality test picks an event, and only the rules that
# count back from a date to come ever see one.
TYPE, HAPPENED, SCHEDULED = "t", "e", "s"


def fact_type(fact: str) -> str:
    """Which asserted fact a vocabulary fact lives on: ``case``, ``conference``, ``exclusion_request`` or
    ``report``."""
    prefix = fact.split(".", 1)[0]
    return prefix if prefix in SUBJECT_TYPES else "case"


def field_name(fact: str) -> str:
    """The field tested on that fact: ``conference.type`` → ``type``; ``child.age_years`` stays whole."""
    return fact.split(".", 1)[1] if fact_type(fact) != "case" else fact


def condition_fact(condition: dict) -> str | None:
    """The fact a fact condition tests; for ``any_of``, its first member's (all its facts are of one type)."""
    if isinstance(condition.get("fact"), str):
        return condition["fact"]
    members = condition.get("any_of")
    if isinstance(members, list) and members and isinstance(members[0], dict):
        first = members[0].get("fact")
        return first if isinstance(first, str) else None
    return None


def is_fact_condition(condition: dict) -> bool:
    """A condition durable-rules tests on facts: ``{fact: …}``, or ``any_of`` whose members all are."""
    if "fact" in condition:
        return True
    members = condition.get("any_of")
    return isinstance(members, list) and all(isinstance(m, dict) and "fact" in m for m in members)


def test_for(condition: dict) -> durable.Condition:
    """A ``{fact: F, op: V}`` condition as a durable-rules test on the field F names; ``any_of`` as either."""
    if "any_of" in condition:
        return durable.any_of(*[test_for(m) for m in condition["any_of"]])
    name = field_name(condition["fact"])
    if "equals" in condition:
        return durable.eq(name, condition["equals"])
    if "not_equals" in condition:
        return durable.ne(name, condition["not_equals"])
    if "in" in condition:
        return durable.is_in(name, condition["in"])
    if "at_least" in condition:
        return durable.gte(name, condition["at_least"])
    if "below" in condition:
        return durable.lt(name, condition["below"])
    if condition.get("present") is False:
        return durable.missing(name)
    return durable.exists(name)


def conference_mark(event: str) -> str:
    """The field of a conference's fact that says it is an occurrence of ``event`` (a conference event): true
    once it has been held, false while it is booked."""
    return f"is_{event}"


def _kind(kind: str, *tests: durable.Condition) -> durable.Condition:
    return durable.all_of(durable.eq(TYPE, kind), *tests)


def _event(names: list[str], *, scheduled: bool = False) -> durable.Condition:
    """An occurrence of one of ``names`` that has happened; with ``scheduled``, or one still to come."""
    tests = [durable.eq(HAPPENED, names[0]) if len(names) == 1 else durable.is_in(HAPPENED, names)]
    if scheduled:
        tests.append(durable.eq(SCHEDULED, names[0]) if len(names) == 1 else durable.is_in(SCHEDULED, names))
    return tests[0] if len(tests) == 1 else durable.any_of(*tests)


@dataclass(frozen=True, slots=True)
class Known:
    """Where a parameter list's condition is known: each of ``fields`` is recorded on the case or on the fact of
    type ``base`` the result is about (for ``any_of``, every member's fact, so that one member unrecorded and
    none holding is "not recorded")."""

    base: str
    fields: tuple[str, ...]

    def recorded_in(self, values: dict | None) -> bool:
        """Whether every one of the fields is recorded in ``values`` (the case's, or a conference's or report's)."""
        return values is not None and all(f in values for f in self.fields)


@dataclass(slots=True)
class CompiledRule:
    """How to read one policy rule's matches back: which alias is its subject and which its clock."""

    rule: ResolvedRule
    name: str
    subject: str  # "case", "conference" or "exclusion_request"
    anchor: str | None = None  # the alias of the clock's event, for deadlines
    # For a clock that is a conference event (a review, an initial conference): the event, which the
    # conference's own fact carries (``is_<event>``) instead of a fact of its own; ``anchor`` is then the
    # conference's alias.
    anchor_event: str | None = None
    event_conditions: list[tuple[int, dict]] = field(default_factory=list)
    require: list[tuple[str, Known, dict]] = field(default_factory=list)  # (holds rule, where known, condition)
    unless: list[tuple[str, Known, dict]] = field(default_factory=list)
    optional_when: list[tuple[str, Known, dict]] = field(default_factory=list)  # a deadline's, as ``require``
    # An exception: the rule it is an exception to, whether it disapplies it, and the durable rule that
    # matches wherever its conditions hold (on the case, or on each conference or request they name).
    exception_of: str | None = None
    disapplies: bool = False
    applies: str | None = None


@dataclass(frozen=True, slots=True)
class FactPlan:
    """What of a case a ruleset can see, worked out once from its patterns: only that is asserted.

    A fact no pattern could take, or a field no pattern tests, would cost durable-rules time on every case
    and change nothing it decides.
    """

    fields: dict[str, tuple[str, ...]]  # by fact type (case, conference, …): the fields patterns test or join on
    happened: frozenset[str]  # the events whose occurrences so far a pattern takes
    scheduled: frozenset[str]  # the events whose occurrences still to come a pattern takes
    event_fields: tuple[str, ...]  # the fields of an occurrence a pattern joins on (its owner)
    conference_events: tuple[str, ...] = ()  # the events a conference's fact says it is (conference_mark)


_CASE_ABOUT = {TYPE: "case"}
_THE_CASE = (durable.Pattern("case", _kind("case")),)
"""The patterns of a rule that asks nothing of the case's facts: it fires once, for the case."""


@dataclass(slots=True)
class CompiledPolicy:
    policy: ResolvedPolicy
    ruleset: durable.Ruleset
    rules: list[CompiledRule]
    plan: FactPlan

    def engine_facts(self, facts: CaseFacts) -> tuple[list[dict], list[object]]:
        """The facts of a case as durable-rules is given them, and beside each what a match on it stands for:
        the case (``{"t": "case"}``), a conference, request or report (its facts, with ``t``), or an
        :class:`~engine.evaluation.case.Occurrence`."""
        plan = self.plan
        asserted: list[dict] = []
        about: list[object] = []
        fields = plan.fields.get("case")
        if fields is not None:
            values = facts.case
            asserted.append({TYPE: "case", **{f: values[f] for f in fields if f in values}})
            about.append(_CASE_ABOUT)
        marks: dict[str, dict[str, bool]] = {}
        for event in plan.conference_events:
            for occurrence in facts.events.get(event, ()):
                marks.setdefault(str(occurrence.ref), {})[conference_mark(event)] = occurrence.happened
        for kind, items in (
            ("conference", facts.conferences),
            ("exclusion_request", facts.exclusion_requests),
            ("report", facts.reports),
        ):
            fields = plan.fields.get(kind)
            if fields is None:
                continue
            for ref, item in items.items():
                fact = {TYPE: kind, **{f: item[f] for f in fields if f in item}}
                if kind == "conference" and ref in marks:
                    fact.update(marks[ref])
                asserted.append(fact)
                about.append({TYPE: kind, **item})
        owner = "owner" in plan.event_fields
        for name, found in facts.events.items():
            happened, scheduled = name in plan.happened, name in plan.scheduled
            if not (happened or scheduled):
                continue
            for occurrence in found:
                if occurrence.happened:
                    if not happened:
                        continue
                    fact = {HAPPENED: name}
                elif scheduled:
                    fact = {SCHEDULED: name}
                else:
                    continue
                if owner:
                    fact["owner"] = occurrence.owner or ""
                asserted.append(fact)
                about.append(occurrence)
        return asserted, about


def plan_facts(rules: list[durable.Rule]) -> FactPlan:
    """The :class:`FactPlan` of ``rules``: every fact type, event and field their patterns name."""
    fields: dict[str, set[str]] = {}
    happened: set[str] = set()
    scheduled: set[str] = set()
    for rule in rules:
        kinds: dict[str, str] = {}
        for pattern in rule.match:
            tests = list(durable.field_tests(pattern.where))
            kind = "event"
            for test in tests:
                values = test.value if isinstance(test.value, tuple) else (test.value,)
                if test.field == TYPE:
                    kind = str(test.value)
                elif test.field == HAPPENED:
                    happened.update(str(v) for v in values)
                elif test.field == SCHEDULED:
                    scheduled.update(str(v) for v in values)
            kinds[pattern.alias] = kind
            own = fields.setdefault(kind, set())
            for test in tests:
                if test.field not in (TYPE, HAPPENED, SCHEDULED):
                    own.add(test.field)
                if isinstance(test.value, durable.Ref):
                    fields.setdefault(kinds[test.value.alias], set()).add(test.value.field)
    event_fields = tuple(sorted(fields.pop("event", ())))
    marked = fields.get("conference", set())
    conference_events = tuple(e for e in CONFERENCE_EVENTS if conference_mark(e) in marked)
    return FactPlan(
        {kind: tuple(sorted(names)) for kind, names in fields.items()},
        frozenset(happened),
        frozenset(scheduled),
        event_fields,
        conference_events,
    )


def _subject(rule: ResolvedRule) -> str:
    data = rule.data
    if rule.kind == "requirement":
        applies = rule.parameters.get("applies_to", "case")
        return applies if applies in SUBJECT_TYPES else "case"
    facts = [condition_fact(c) for c in data.get("when") or [] if isinstance(c, dict)]
    types = {fact_type(f) for f in facts if isinstance(f, str)}
    if "exclusion_request" in types:
        return "exclusion_request"
    if "conference" in types:
        return "conference"
    return "case"


def _safe(name: str) -> str:
    return _NAME_SAFE.sub("_", name)


def compile_rule(rule: ResolvedRule, shared: dict[tuple, str] | None = None) -> tuple[CompiledRule, list[durable.Rule]]:
    """The durable rules for one policy rule, and how to read their matches.

    ``shared`` holds the condition rules already compiled for other rules of the policy (by what they test),
    so that a condition several rules ask is one durable rule, not one per rule.
    """
    shared = {} if shared is None else shared
    name = _safe(rule.id)
    when = [c for c in rule.data.get("when") or [] if isinstance(c, dict)]
    by_type: dict[str, list[durable.Condition]] = {"case": [], "conference": [], "exclusion_request": [], "report": []}
    compiled = CompiledRule(rule, name, _subject(rule))
    compiled.exception_of = rule.exception_of
    compiled.disapplies = rule.data.get("disapplies") is True
    patterns: list[durable.Pattern] = []
    for condition in when:
        fact = condition_fact(condition)
        if fact is not None and is_fact_condition(condition):
            by_type[fact_type(fact)].append(test_for(condition))
    # The case is a pattern only where the rule asks something of it: every other pattern is a fact of the
    # case already, and a pattern that asks nothing costs a join and a larger match.
    if by_type["case"]:
        patterns.append(durable.Pattern("case", _kind("case", *by_type["case"])))
    applies = _applies_patterns(by_type) if rule.exception_of else None

    params = rule.parameters
    if compiled.disapplies:
        # No parameters of its own: it only says where the base does not apply.
        pass
    elif rule.kind == "deadline":
        anchor_event = params.get("of") or params.get("before") or params.get("after")
        # A later clock may start the deadline when the `of` event is not recorded
        # (engine.evaluation.evaluate._own_clock).
        later = [c["of"] for c in params.get("whichever_later") or () if isinstance(c, dict) and "of" in c]
        # A `before` deadline counts back from a date that may still be to come; the others from one that has come.
        scheduled = "of" not in params and "after" not in params
        if anchor_event in CONFERENCE_EVENTS and not later:
            # The clock is the conference itself: one fact, no join between a meeting and its event.
            mark = conference_mark(anchor_event)
            held = durable.is_in(mark, (True, False)) if scheduled else durable.eq(mark, True)
            patterns.append(durable.Pattern("conference", _kind("conference", held, *by_type["conference"])))
            compiled.anchor, compiled.anchor_event, compiled.subject = "conference", anchor_event, "conference"
        else:
            patterns.append(durable.Pattern("anchor", _event([anchor_event, *later], scheduled=scheduled)))
            compiled.anchor = "anchor"
        if compiled.anchor_event is None and (by_type["conference"] or anchor_event in CONFERENCE_EVENTS):
            compiled.subject = "conference"
            patterns.append(
                durable.Pattern(
                    "conference",
                    _kind("conference", durable.eq("ref", durable.Ref("anchor", "owner")), *by_type["conference"]),
                )
            )
    elif compiled.subject == "conference":
        held = [durable.eq("held", True)] if rule.kind == "requirement" else []
        patterns.append(durable.Pattern("conference", _kind("conference", *held, *by_type["conference"])))
    elif compiled.subject == "exclusion_request":
        patterns.append(durable.Pattern("exclusion_request", _kind("exclusion_request", *by_type["exclusion_request"])))
        if by_type["conference"]:
            patterns.append(
                durable.Pattern(
                    "conference",
                    _kind(
                        "conference",
                        durable.eq("ref", durable.Ref("exclusion_request", "conference")),
                        *by_type["conference"],
                    ),
                )
            )

    # Each event a condition names must have happened: one pattern per distinct event. durable-rules
    # binds each pattern to a different fact, so an event the clock already binds (the anchor) is not
    # asked for twice; which occurrences satisfy "within D of" is date arithmetic, done on the case.
    # An event that must not have happened, or one of several events, is the date arithmetic's to judge.
    bound = {params.get("of") or params.get("after")} if rule.kind == "deadline" else set()
    bound.discard(None)
    for index, condition in enumerate(when):
        if "event" in condition or "since" in condition or ("any_of" in condition and not is_fact_condition(condition)):
            compiled.event_conditions.append((index, condition))
            if condition.get("happened") is False or "any_of" in condition:
                continue
            for role in ("event", "of", "since"):
                event = condition.get(role)
                if isinstance(event, str) and event not in bound:
                    bound.add(event)
                    pattern = durable.Pattern(f"e{len(bound)}", _event([event]))
                    patterns.append(pattern)
                    if applies is not None:
                        applies.append(pattern)
    # A rule that asks nothing of the case's facts still fires once for the case.
    rules = [durable.Rule(name, match=tuple(patterns) or _THE_CASE)]
    if applies is not None:
        compiled.applies = f"{name}:applies"
        rules.append(durable.Rule(compiled.applies, match=tuple(applies) or _THE_CASE))

    groups: tuple[tuple[str, list[tuple[str, Known, dict]]], ...] = ()
    if rule.kind == "requirement":
        groups = (("require", compiled.require), ("unless", compiled.unless))
    elif rule.kind == "deadline":
        groups = (("optional_when", compiled.optional_when),)
    if compiled.disapplies:
        groups = ()
    for group, target in groups:
        for index, condition in enumerate(params.get(group) or []):
            if isinstance(condition, dict) and is_fact_condition(condition) and condition_fact(condition):
                target.append(_fact_test_rules(name, f"{group}{index}", condition, rules, shared))
    return compiled, rules


def _applies_patterns(by_type: dict[str, list[durable.Condition]]) -> list[durable.Pattern]:
    """Where an exception's conditions hold: the case, and each conference or request its conditions name."""
    patterns = [durable.Pattern("case", _kind("case", *by_type["case"]))] if by_type["case"] else []
    for kind in ("conference", "exclusion_request"):
        if by_type[kind]:
            patterns.append(durable.Pattern(kind, _kind(kind, *by_type[kind])))
    return patterns


def _fact_test_rules(
    name: str, label: str, condition: dict, rules: list[durable.Rule], shared: dict[tuple, str]
) -> tuple[str, Known, dict]:
    """The durable rule for one condition of a parameter list (it holds), and what makes its facts known.

    The rule matches any fact of the condition's type; the evaluator keeps the matches about the subject in
    hand (the case, or the conference a result is about), so one rule serves every subject, and every policy
    rule that asks the same thing of the same type of fact. Whether the facts are recorded at all, which
    tells "does not hold" from "not recorded", is read from the subject's facts (:class:`Known`): it decides
    nothing about the policy, and as a durable rule it cost a match for every subject.
    """
    base = fact_type(str(condition_fact(condition)))
    members = condition.get("any_of", [condition])
    test = _kind(base, test_for(condition))
    key = ("holds", test)
    if key not in shared:
        shared[key] = f"{name}:{label}:holds"
        rules.append(durable.Rule(shared[key], match=(durable.Pattern("s", test),)))
    return shared[key], Known(base, tuple(field_name(m["fact"]) for m in members)), condition


def compile_policy(policy: ResolvedPolicy) -> CompiledPolicy:
    """Compile every rule of ``policy`` into one ruleset, named for the area and version.

    Raises :class:`engine.policy.policies.PolicyError` when durable-rules refuses the ruleset.
    """
    compiled: list[CompiledRule] = []
    rules: list[durable.Rule] = []
    shared: dict[tuple, str] = {}
    for rule in policy.rules.values():
        reading, durable_rules = compile_rule(rule, shared)
        compiled.append(reading)
        rules.extend(durable_rules)
    name = re.sub(r"[^A-Za-z0-9_.:@-]", "_", f"{policy.area}@{policy.version}")
    try:
        ruleset = durable.compile_ruleset(name, rules)
    except durable.RulesetError as exc:
        from engine.policy.policies import PolicyError

        raise PolicyError(f"{policy.file.file}: cannot be evaluated: {exc}") from None
    return CompiledPolicy(policy, ruleset, compiled, plan_facts(rules))
