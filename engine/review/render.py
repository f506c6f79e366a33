"""`cpc render`: an area's resolved policy as a procedure document a social worker can read and a council publish.

This module builds the document model: the sections in the procedure's order, each rule with its statement,
when it applies, its quotations and where they come from, and for the policy's authors what it requires in
the engine's terms and its parameters. The wording of events and facts lives here too, so that the templates
(``engine/review/templates/``, laid out by :mod:`engine.review.templating`) only lay the model out. Nothing
here knows about the command line.

The document is generated from the same resolved policy the engine evaluates, so the published procedure and
what the software checks cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from engine.policy import describe
from engine.policy.citations import SourceText
from engine.policy.resolve import ResolvedPolicy, ResolvedRule

if TYPE_CHECKING:
    from engine.review.templating import TemplateFolder
from engine.policy.show import TOPIC_ORDER, beside_bases, effective, origin

FORMATS = ("markdown", "html")
AUDIENCES = ("public", "authors")

# --- Sections ---------------------------------------------------------------------------------------------

# Headings a social worker knows from the procedure itself; topics sharing a heading share a section.
_HEADINGS = {
    "conference-types": "Conference types",
    "timescales": "Timescales",
    "attendance": "Attendance and quorum",
    "quorum": "Attendance and quorum",
    "exclusion": "Exclusion of family members",
    "reports": "Reports for the conference",
    "records": "Records and documents",
    "plans": "The child protection plan",
    "step-down": "Step-down",
}

_INTROS = {
    "Conference types": "The kinds of child protection conference and when each is held.",
    "Timescales": "How soon each conference, core group and review must take place.",
    "Attendance and quorum": (
        "Who should attend, how the child takes part, and when a conference is quorate (may go ahead)."
    ),
    "Exclusion of family members": "When and how a parent may be excluded from all or part of a conference.",
    "Reports for the conference": "When agencies' reports reach the chair and the parents.",
    "Records and documents": "What is sent and recorded after the conference, and when.",
    "The child protection plan": "Discussing the plan with the family, and when and how a plan may end.",
    "Step-down": "Support for the child and family after the child protection plan ends.",
}

_KIND_LABELS = {"deadline": "Timescale", "requirement": "Requirement", "decision": "Direction"}

# --- Words for events and facts ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Event:
    noun: str
    present: str = ""  # "X takes place" unless given
    past: str = ""  # "X took place" unless given

    def happens(self) -> str:
        return self.present or f"{self.noun} takes place"

    def happened(self) -> str:
        return self.past or f"{self.noun} took place"


# fmt: off
_EVENTS: dict[str, _Event] = {
    "strategy_discussion": _Event("the strategy discussion"),
    "move_notified": _Event(
        "notification that the child has moved permanently into the area",
        "notification of the move is received", "notification of the move was received",
    ),
    "transfer_accepted": _Event(
        "the receiving authority's formal acceptance of the transfer",
        "the receiving authority formally accepts the transfer",
        "the receiving authority formally accepted the transfer",
    ),
    "epo_expiry": _Event(
        "the expiry of the Emergency Protection Order",
        "the Emergency Protection Order expires", "the Emergency Protection Order expired",
    ),
    "looked_after_review_decision": _Event(
        "the looked-after review's decision to convene an initial conference",
        "the looked-after review decides to convene an initial conference",
        "the looked-after review decided to convene an initial conference",
    ),
    "initial_conference": _Event("the initial conference"),
    "pre_birth_conference": _Event("the pre-birth conference"),
    "transfer_in_conference": _Event("the transfer-in conference"),
    "first_conference": _Event("the conference that made the plan"),
    "review_conference": _Event("a review conference"),
    "conference": _Event("the conference"),
    "birth": _Event("the birth", "the child is born", "the child was born"),
    "core_group_meeting": _Event("a core group meeting"),
    "report_to_chair": _Event(
        "an agency's report reaching the chair",
        "each agency's report is available to the chair", "an agency's report was available to the chair",
    ),
    "report_shared_with_parents": _Event(
        "an agency's report being shared with the parents",
        "each agency's report is provided to and discussed with the parents",
        "an agency's report was provided to and discussed with the parents",
    ),
    "exclusion_request": _Event(
        "a request to exclude a parent",
        "a request to exclude a parent is made to the chair", "a request to exclude a parent was made",
    ),
    "documents_sent": _Event(
        "the sending of the outline plan and the conference decision",
        "the outline plan and the conference decision are sent to everyone who attended or was invited",
        "the outline plan and the conference decision were sent",
    ),
    "plan_discussed_with_parents": _Event(
        "the discussion of the plan with the parents",
        "the child protection plan is discussed with the parents",
        "the child protection plan was discussed with the parents",
    ),
    "documentation_received": _Event(
        "receipt of the conference documentation",
        "the conference documentation is received", "the conference documentation was received",
    ),
    "amendment_request": _Event(
        "a request to amend the conference record",
        "a request to amend the conference record is received",
        "a request to amend the conference record was received",
    ),
    "plan_start": _Event("the start of the child protection plan", "the plan starts", "the plan started"),
    "plan_end": _Event("the end of the child protection plan", "the plan ends", "the plan ended"),
    "cin_plan_start": _Event(
        "the start of the child in need plan", "the child in need plan starts", "the child in need plan started",
    ),
    "cin_review": _Event("a review of the child in need plan"),
    "cin_plan_end": _Event(
        "the closure of the child in need plan", "the child in need plan closes", "the child in need plan closed",
    ),
    "significant_change": _Event(
        "a significant change in the child's circumstances",
        "there is a significant change in the child's circumstances",
        "there was a significant change in the child's circumstances",
    ),
    "strategy_meeting": _Event("a multi-agency strategy meeting"),
    "pregnancy_start": _Event(
        "the start of the pregnancy (40 weeks before the expected date of birth)",
        "the pregnancy starts", "the pregnancy started",
    ),
    "pre_proceedings_letter": _Event(
        "the pre-proceedings letter or letter of issue",
        "the pre-proceedings letter or letter of issue is sent to the parents",
        "the pre-proceedings letter or letter of issue was sent to the parents",
    ),
    "cao_assessments_concluded": _Event(
        "the conclusion of the assessments under the child assessment order",
        "the assessments under the child assessment order are concluded",
        "the assessments under the child assessment order were concluded",
    ),
    "hospital_discharge": _Event(
        "the baby's discharge from hospital",
        "the baby is discharged from hospital", "the baby was discharged from hospital",
    ),
    "hospital_discharge_meeting": _Event("the hospital discharge meeting"),
    "return_home_considered": _Event(
        "the looked-after review that considered the child's return home",
        "a looked-after review considers the proposal to return the child home",
        "a looked-after review considered the proposal to return the child home",
    ),
    "return_home": _Event("the child's return home", "the child returns home", "the child returned home"),
}

# Boolean facts: (what it means when true, when false).
_FLAGS: dict[str, tuple[str, str]] = {
    "conference.social_care_present": ("children's social care attends", "children's social care does not attend"),
    "conference.proceeded_inquorate": (
        "the chair decides to go ahead although the conference is not quorate",
        "the chair has not decided to go ahead without a quorum",
    ),
    "conference.inquorate_reasons_recorded": (
        "the chair's reasons for going ahead, and any arrangements to keep the child safe in the meantime, are "
        "noted in the conference record",
        "the chair's reasons for going ahead are not noted in the conference record",
    ),
    "conference.inquorate": ("the conference was not quorate", "the conference was quorate"),
    "conference.key_agency_absent": (
        "a key agency working with the family is not present", "every key agency working with the family is present",
    ),
    "conference.plan_made": (
        "the conference decides the child needs a child protection plan", "the conference decides no plan is needed",
    ),
    "conference.child_declined": (
        "the child, having had the conference explained, says they do not wish to attend",
        "the child has not said they do not wish to attend",
    ),
    "conference.parents_invited": (
        "the parents are invited to the conference", "the parents are not invited to the conference",
    ),
    "conference.invitation_would_prejudice_child": (
        "inviting the parents was judged likely to prejudice the child's welfare",
        "inviting the parents was not judged likely to prejudice the child's welfare",
    ),
    "conference.interpreter_needed": ("a parent needs an interpreter", "no parent needs an interpreter"),
    "conference.interpreter_offered": (
        "an interpreter is offered and provided to the parents", "no interpreter is offered to the parents",
    ),
    "conference.social_care_report": (
        "children's social care provides a written report to the conference",
        "children's social care provides no written report to the conference",
    ),
    "conference.cin_plan_or_recommendations": (
        "the conference draws up a child in need plan or recommendations for one",
        "the conference draws up neither a child in need plan nor recommendations for one",
    ),
    "conference.no_help_needed": (
        "the conference finds that the child needs no further help",
        "the conference finds that the child needs further help",
    ),
    "conference.fewer_than_three_agencies": (
        "the child has not had relevant contact with three agencies (children's social care and two others)",
        "the child has had relevant contact with three agencies or more",
    ),
    "conference.exclusion_decided": (
        "the chair has decided before the conference to exclude a parent",
        "the chair has not decided to exclude a parent",
    ),
    "child.unborn": ("the child is not yet born", "the child has been born"),
    "child.pre_birth_conference_held": (
        "a pre-birth conference has been held",
        "no pre-birth conference has been held yet",
    ),
    "child.care_order": ("the child is subject to a care order", "the child is not subject to a care order"),
    "child.premature_birth_likely": ("a premature birth is likely", "a premature birth is not known to be likely"),
    "child.looked_after": ("the child is looked after by the local authority", "the child is not looked after"),
    "s47.no_conference": (
        "the team manager has recorded the decision not to call a conference after the section 47 enquiry",
        "the team manager has not recorded a decision against calling a conference after the section 47 enquiry",
    ),
    "mother.medically_fit": (
        "the mother is medically fit to attend a meeting within the first 10 days after the birth",
        "the mother is not medically fit to attend a meeting within the first 10 days after the birth",
    ),
    "plan.open": ("the child is subject of a child protection plan", "the child protection plan has ended"),
    "plan.agencies_consulted": (
        "the manager has consulted the agencies present at the conference that made the plan",
        "the manager has not consulted the agencies present at the conference that made the plan",
    ),
    "plan.receiving_conference_held": (
        "the receiving authority has held its transfer-in conference and confirmed in writing that it is responsible",
        "the receiving authority has not yet held its transfer-in conference",
    ),
    "cin_plan.started": (
        "the child in need plan that followed the child protection plan has started",
        "no child in need plan has started yet",
    ),
    "cin_plan.closure_agreed_by_senior_manager": (
        "a senior manager agreed to close the child in need plan early",
        "no senior manager agreed to close the child in need plan early",
    ),
    "report.withheld": (
        "the agency withheld the report from the family, stating why in it",
        "the agency did not withhold the report from the family",
    ),
    "report.withholding_agreed": (
        "the chair agreed that the report be withheld from the family",
        "the chair has not agreed that the report be withheld from the family",
    ),
}

# Number facts: phrasings for at least N, below N and exactly N.
_AGES = ("the child is {n} or over", "the child is under {n}", "the child is {n}")
_NUMBERS: dict[str, tuple[str, str, str]] = {
    "conference.child_age_years": _AGES,
    "child.age_years": _AGES,
    "conference.other_agencies_present": (
        "at least {n} other professional groups or agencies with direct contact with the child attend",
        "fewer than {n} other professional groups or agencies with direct contact with the child attend",
        "{n} other professional groups or agencies with direct contact with the child attend",
    ),
}

_CONFERENCE_TYPES = {
    "initial": "an initial conference",
    "pre_birth": "a pre-birth conference",
    "transfer_in": "a transfer-in conference",
    "review": "a review conference",
}

# Facts that take one of a set of values: the words before the value, and the words for each value.
_CHOICES: dict[str, tuple[str, dict[str, str]]] = {
    "conference.type": ("the conference is", _CONFERENCE_TYPES),
    "plan.first_conference_type": ("the plan was made at", _CONFERENCE_TYPES),
    "plan.end_reason": (
        "the plan ended because",  # one of several: "the plan ended for one of these reasons:"
        {
            "no_longer_at_risk": "the child is no longer likely to suffer significant harm",
            "transferred_out": "the child moved permanently to another area",
            "reached_18": "the child reached 18",
            "died": "the child died",
            "left_uk": "the child permanently left the UK",
            "reason_no_longer_applies": "the reason for the plan clearly no longer applies",
        },
    ),
    "plan.ended_by": (
        "the plan was ended by",
        {
            "review_conference": "a review conference",
            "manager": "a child protection manager without a review conference",
        },
    ),
    "conference.category": (
        "the conference records the category of",
        {
            "physical_abuse": "physical abuse",
            "emotional_abuse": "emotional abuse",
            "sexual_abuse": "sexual abuse",
            "neglect": "neglect",
            "multiple": "multiple categories of abuse or neglect",
        },
    ),
    # Agencies are free text in a case; the one the procedure names has words, others read as written.
    "report.agency": ("the report is from", {"childrens_social_care": "children's social care"}),
    "exclusion_request.ground": (
        "the request states the ground that",
        {
            "prejudice_to_child": "the parent's presence may seriously prejudice the child's welfare",
            "disruptive_behaviour": "the parent may seriously interfere with the work of the conference",
            "child_request": "the child asks that the parent is not present while they are",
            "professional_intimidated": (
                "the parent's presence would stop a professional contributing, for fear of violence or intimidation"
            ),
            "confidential_information": "the conference needs to receive confidential information",
            "family_conflict": "conflict between family members makes the meeting unmanageable or unsafe",
        },
    ),
}
# fmt: on

# How a long list of values is introduced, where "<lead> one of these:" reads badly.
_MANY = {
    "plan.end_reason": "the plan ended for one of these reasons:",
    "exclusion_request.ground": "the request states one of these grounds:",
}

# The vocabulary terms this module has words for; a test keeps them in step with engine/core/vocabulary.py.
WORDED_EVENTS = frozenset(_EVENTS)
WORDED_FACTS = frozenset(_FLAGS) | frozenset(_NUMBERS) | frozenset(_CHOICES)

_APPLIES_TO = {
    "conference": "every conference",
    "plan": "every child protection plan",
    "cin_plan": "the child in need plan after step-down",
    "exclusion_request": "every request to exclude a parent",
}

_STATUTORY = {
    "maximum": "a statutory maximum: an area may shorten it but never lengthen it",
    "minimum": "a statutory minimum: an area may lengthen it but never shorten it",
}

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def long_date(day: dt.date | None) -> str:
    """``2025-03-25`` → ``25 March 2025``, the way the procedures write dates (whatever the locale)."""
    if day is None:
        return "an unknown date"
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _plain_name(name: object) -> str:
    return str(name).replace("_", " ").replace(".", " ")


def event_words(name: object) -> _Event:
    """The words for an event of the vocabulary: its noun, and how it is said to happen or have happened."""
    known = _EVENTS.get(str(name))
    if known is not None:
        return known
    # A term added to the vocabulary after this table still reads, if less well.
    return _Event(f"the {_plain_name(name)}")


def _join_or(items: list[str]) -> str:
    if len(items) <= 2:
        return " or ".join(items)
    return f"{', '.join(items[:-1])} or {items[-1]}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _events_happen(what: object) -> str:
    """``[review_conference, core_group_meeting]`` → ``a review conference or a core group meeting takes place``."""
    names = what if isinstance(what, list) else [what]
    events = [event_words(n) for n in names]
    if all(not e.present for e in events):
        return f"{_join_or([e.noun for e in events])} takes place"
    return _join_or([e.happens() for e in events])


def _repeat(noun: str, word: str) -> str:
    """``a review conference`` → ``the next review conference``: for a clock that restarts at each one."""
    for article in ("a ", "an ", "the "):
        if noun.startswith(article):
            return f"the {word} {noun[len(article) :]}"
    return f"the {word} {noun}"


def _bare(noun: str) -> str:
    """``a multi-agency strategy meeting`` → ``multi-agency strategy meeting``: for "no …"."""
    for article in ("a ", "an ", "the "):
        if noun.startswith(article):
            return noun[len(article) :]
    return noun


def condition(cond: Mapping) -> str:
    """One condition of a rule in plain English: ``{fact: child.unborn, equals: true}`` → the child is not yet born."""
    if "any_of" in cond:
        members = [condition(c) for c in cond["any_of"] or [] if isinstance(c, Mapping)]
        return f"either {_join_or(members)}" if len(members) > 1 else "".join(members)
    if "fact" in cond:
        said = _fact(cond)
        # A dated fact recorded after the due date does not excuse a deadline already missed.
        return said + (", recorded on or before the due date" if cond.get("recorded_by") == "due" else "")
    if "event" in cond:
        event = event_words(cond["event"])
        if "within" in cond:
            of = event_words(cond.get("of")).noun
            if cond.get("boundary") == "exclusive":
                # The last day of the time does not count: strictly less than the time after the event.
                return f"{event.happened()} less than {cond['within']} after {of}"
            return f"{event.happened()} within {cond['within']} of {of}"
        since = f" since {_repeat(event_words(cond['since']).noun, 'latest')}" if cond.get("since") else ""
        if cond.get("happened") is False:
            return f"no {_bare(event.noun)} has taken place{since}"
        return event.happened() + since
    if "elapsed" in cond:
        amount = str(cond["elapsed"])
        verb = "has" if amount.startswith("1 ") else "have"
        return f"at least {amount} {verb} passed since {event_words(cond.get('since')).noun}"
    return describe.condition(dict(cond))


def _fact(cond: Mapping) -> str:
    name = str(cond["fact"])
    if name in _FLAGS and isinstance(cond.get("equals"), bool):
        return _FLAGS[name][0 if cond["equals"] else 1]
    if name in _NUMBERS:
        at_least, below, equals = _NUMBERS[name]
        for op, template in (("at_least", at_least), ("below", below), ("equals", equals)):
            if op in cond:
                return template.format(n=cond[op])
    if name in _CHOICES:
        lead, words = _CHOICES[name]
        if "equals" in cond:
            return f"{lead} {words.get(str(cond['equals']), _plain_name(cond['equals']))}"
        if isinstance(cond.get("in"), list):
            said = [words.get(str(v), _plain_name(v)) for v in cond["in"]]
            if len(said) < 4 and not any("," in v for v in said):
                return f"{lead} {_join_or(said)}"
            # A long list of clauses reads as a list: "one of these: a; b; or c".
            return f"{_MANY.get(name, lead + ' one of these:')} {'; '.join(said[:-1])}; or {said[-1]}"
    return _plain_name(describe.condition(dict(cond)))


def conditions(items: object) -> str:
    """A rule's conditions, all of which must hold, joined with "and"; empty when there are none."""
    if not isinstance(items, list):
        return ""
    return " and ".join(condition(c) for c in items if isinstance(c, Mapping))


# --- The document model -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Quote:
    """A sentence of the source a rule rests on, with the line it starts on when the source was read."""

    text: str
    source_id: str
    source_title: str
    file: str
    # None when no sources folder was given, or when the quote was not found there (then ``checked``).
    line: int | None = None
    checked: bool = False

    @property
    def line_text(self) -> str:
        """``74``; ``not found`` when the source was read and lacks the quote; empty without sources."""
        if self.line is not None:
            return str(self.line)
        return "not found" if self.checked else ""


def quote_groups(quotes: tuple[Quote, ...]) -> list[tuple[Quote, list[Quote]]]:
    """Consecutive quotes from the same source, so that the source is named once per run of quotes."""
    groups: list[tuple[Quote, list[Quote]]] = []
    for quote in quotes:
        if groups and groups[-1][0].source_id == quote.source_id:
            groups[-1][1].append(quote)
        else:
            groups.append((quote, [quote]))
    return groups


def where(quotes: list[Quote]) -> str:
    """Where a run of quotes from one source is: ``004.txt, line 74``, ``004.txt, lines 74, 76 and 87``."""
    first = quotes[0]
    # Two quotes from one line are one place to look; dict keeps the order in which they are quoted.
    lines = list(dict.fromkeys(q.line_text for q in quotes))
    if not all(lines):
        return first.file
    if len(lines) == 1:
        return f"{first.file}, line {lines[0]}" if first.line is not None else f"{first.file}, quote not found"
    return f"{first.file}, lines {', '.join(lines[:-1])} and {lines[-1]}"


@dataclass(frozen=True, slots=True)
class Parameter:
    """One row of a rule's parameters table: a name and one or more values."""

    name: str
    values: tuple[str, ...]
    # A name for software rather than a reader (an action slug), shown as code.
    code: bool = False


@dataclass(frozen=True, slots=True)
class RuleEntry:
    """A rule as the document shows it."""

    id: str
    title: str
    kind: str
    kind_label: str
    requires: str
    parameters: tuple[Parameter, ...]
    quotes: tuple[Quote, ...]
    origin: str
    origin_label: str
    reading: str = ""
    # The id of the rule this one is an exception to; empty for a rule that is none.
    exception_of: str = ""
    # What a reader of the procedure needs beyond the rule's statement and words: when it applies, when it
    # need not be done, when its clock stops. The full ``parameters`` are for the policy's authors.
    details: tuple[Parameter, ...] = ()
    # The rules that are exceptions to this one, as (id, title), each following it in the document.
    exceptions: tuple[tuple[str, str], ...] = ()
    # The title of the rule this one is an exception to.
    exception_of_title: str = ""
    # The area whose rule this is, when the area's own text is silent and the rule is inherited.
    inherited_from: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    """A part of the procedure: a heading, a short introduction and its rules."""

    id: str
    heading: str
    intro: str
    rules: tuple[RuleEntry, ...]


@dataclass(frozen=True, slots=True)
class Timescale:
    """One row of the timescales-at-a-glance table, from a deadline rule."""

    rule_id: str
    what: str
    limit: str
    when: str
    section: str
    # The rule this time limit is an exception to, if any.
    exception_of: str = ""


@dataclass(frozen=True, slots=True)
class SourceEntry:
    """A document the policy quotes."""

    id: str
    title: str
    file: str
    published: str
    url: str
    area: str
    cited_by: int
    publisher: str = ""
    # Why the policy cites it, for readers.
    note: str = ""

    @property
    def anchor(self) -> str:
        """The source's anchor in the Sources section; source ids are slugs, so it needs no escaping."""
        return f"source_{self.id}"


@dataclass(frozen=True, slots=True)
class WithdrawnEntry:
    """An inherited rule that does not apply in the area, with the reason."""

    id: str
    title: str
    reason: str
    by: str
    defined_in: str


@dataclass(frozen=True, slots=True)
class Document:
    """Everything a renderer lays out, in order, with no markup."""

    area: str
    title: str
    version: str
    effective_from: str
    policy_file: str
    builds_on: tuple[str, ...]
    counts: str
    sources: tuple[SourceEntry, ...]
    timescales: tuple[Timescale, ...]
    sections: tuple[Section, ...]
    withdrawn: tuple[WithdrawnEntry, ...]
    # The area's short name, and the page's owner, contact and next review (empty when the policy has none).
    name: str = ""
    owner: str = ""
    contact: str = ""
    review_by: str = ""
    # The files of the policies this one builds on, as area/file; and whether quotes were looked up in the
    # source texts (``--sources``), so that their line numbers mean something.
    builds_on_files: tuple[str, ...] = ()
    # The titles alone of the policies this one builds on, for readers who do not know the areas' slugs.
    builds_on_titles: tuple[str, ...] = ()
    sources_checked: bool = False

    def source(self, source_id: str) -> SourceEntry | None:
        """The source of that id, for a quotation's caption; None for one no rule cites."""
        return next((s for s in self.sources if s.id == source_id), None)


def _origin_label(rule: ResolvedRule) -> str:
    if rule.origin == "local":
        return "Local"
    if rule.origin == "inherited":
        return "Inherited"
    changed = [k for k in rule.local_keys if k not in ("cite", "title", "reading")]
    return "Changed locally" if changed else "Restated locally"


def _origin_text(rule: ResolvedRule, area: str) -> str:
    said = origin(rule, area)
    if said == "local":
        return f"local: {area}'s own rule"
    if rule.origin == "inherited":
        return f"{said}: {area}'s text is silent, so the {rule.defined_in} rule applies"
    changes = [_change(rule, key, area) for key in sorted(rule.local_keys) if key in _COMPARABLE]
    changes = [c for c in changes if c]
    return f"{said} ({'; '.join(changes)})" if changes else said


# The changed values a reader can weigh side by side: time limits. Other changes are named by origin() alone.
_COMPARABLE = ("deadline.within", "deadline.at_least", "deadline.not_before")


def _change(rule: ResolvedRule, key: str, area: str) -> str:
    """``england says 15 days, berkshire 15 working days`` for a changed time limit; empty if not comparable."""
    if rule.base is None:
        return ""
    old, new = _lookup(rule.base.data, key), _lookup(rule.data, key)
    if not (isinstance(old, str) and isinstance(new, str)):
        return ""
    return f"{rule.defined_in} says {old}, {area} {new}"


def _lookup(data: Mapping, dotted: str) -> object:
    value: object = data
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def deadline_limit(params: Mapping) -> tuple[str, str, list[str], str]:
    """The time limit, what it is counted from, any other clocks, and whether the ``sooner`` or ``later`` applies.

    ``within 15 working days`` and ``the strategy discussion``; ``at least 2 working days before`` and
    ``the conference``; ``not before 3 months`` and ``the birth``; the other clocks as ``within 3 months of the
    pre-birth conference``.
    """
    if "not_before" in params:
        return f"not before {params.get('not_before')}", event_words(params.get("after")).noun, [], ""
    if "before" in params:
        amount = str(params.get("at_least", ""))
        before = event_words(params["before"]).noun
        if amount.split(" ")[0] == "0":
            return "on or before", before, [], ""
        return f"at least {amount} before", before, [], ""
    of = event_words(params.get("of")).noun
    if params.get("of") is not None and params.get("of") == params.get("what"):
        of = _repeat(of, "previous")
    which = "later" if params.get("whichever_later") else "sooner"
    clocks = [
        f"within {c.get('within')} of {event_words(c.get('of')).noun}"
        for c in params.get(f"whichever_{which}") or []
        if isinstance(c, Mapping)
    ]
    return f"within {params.get('within')}", of, clocks, which


def _boundary(params: Mapping) -> str:
    """``before the due date, not on it`` for an exclusive boundary; empty for the default."""
    if params.get("boundary") != "exclusive":
        return ""
    return "after the earliest date, not on it" if "not_before" in params else "before the due date, not on it"


def _deadline_phrase(params: Mapping) -> str:
    """``within 1 month of the birth, or within 3 months of the pre-birth conference, whichever is sooner``."""
    limit, relative_to, clocks, which = deadline_limit(params)
    if "not_before" in params:
        text = f"{limit} after {relative_to}"
    elif "before" in params:
        text = f"{limit} {relative_to}"
    else:
        text = f"{limit} of {relative_to}"
        if clocks:
            text += "".join(f", or {clock}" for clock in clocks) + f", whichever is {which}"
    if boundary := _boundary(params):
        text += f", {boundary}"
    return text


def deadline_subject(params: Mapping) -> str:
    """What a deadline asks to happen: ``the initial conference takes place``."""
    what = params.get("what")
    if what is not None and what == params.get("of"):
        event = event_words(what)
        return f"{_repeat(event.noun, 'next')} takes place" if not event.present else event.happens()
    return _events_happen(what)


def clock_stops(params: Mapping) -> str:
    """The events that stop the clock, as ``the plan ends or the child returns home``; empty without ``until``."""
    until = params.get("until")
    return _events_happen(until) if until else ""


def _deadline_statement(params: Mapping) -> str:
    """What must happen and when, without the rule's conditions: ``the initial conference takes place …``."""
    text = f"{deadline_subject(params)} {_deadline_phrase(params)}"
    if params.get("statutory") in ("maximum", "minimum"):
        text += f" (a statutory {params['statutory']})"
    return text


def _deadline_afterword(params: Mapping) -> str:
    """The sentences after the statement: when the event need not happen, and what stops the clock."""
    text = ""
    if params.get("optional"):
        text += " Nothing requires it to happen; when it does, this is the time limit."
    elif optional := conditions(params.get("optional_when")):
        text += f" It need not happen when {optional}; when it does, this is the time limit."
    if until := clock_stops(params):
        text += (
            f" The clock stops if {until} first: before the due date nothing more is required; after it, "
            "the time limit stays missed."
        )
    return text


def _deadline_sentence(rule: ResolvedRule) -> str:
    params = rule.parameters
    return _with_when(_deadline_statement(params), conditions(rule.data.get("when"))) + _deadline_afterword(params)


def _requirement_sentence(rule: ResolvedRule) -> str:
    params = rule.parameters
    required = conditions(params.get("require"))
    unless = conditions(params.get("unless"))
    text = required + (f", unless {unless}" if unless else "")
    when = conditions(rule.data.get("when"))
    if when:
        return _with_when(text, when)
    scope = _APPLIES_TO.get(str(params.get("applies_to")), f"every {_plain_name(params.get('applies_to'))}")
    return f"For {scope}, {text}."


def _with_when(text: str, when: str) -> str:
    """``When <when>, <text>.``; with the condition after the statement when it is itself a list."""
    if not when:
        return f"{_capital(text)}."
    if ";" in when:
        return f"{_capital(text)}. This applies when {when}."
    return f"When {when}, {text}."


def exception_when(rule: ResolvedRule) -> str:
    """An exception's own conditions in words (those it adds to its base's), or empty for a rule that is none."""
    if not rule.exception_of:
        return ""
    return conditions(list(rule.exception_when)) or "its conditions hold"


def _exception_sentence(rule: ResolvedRule) -> str:
    """``Exception to rule X: where <its own conditions>, <what it requires instead>.``"""
    base, where = rule.exception_of, exception_when(rule)
    if rule.data.get("disapplies"):
        return f"Exception to rule {base}: the rule does not apply where {where}."
    params = rule.parameters
    if rule.kind == "deadline":
        text = _deadline_statement(params)
        return f"Exception to rule {base}: where {where}, {text} instead.{_deadline_afterword(params)}"
    if rule.kind == "requirement":
        unless = conditions(params.get("unless"))
        text = conditions(params.get("require")) + (f", unless {unless}" if unless else "")
        return f"Exception to rule {base}: where {where}, {text} instead."
    directs = " ".join(str(params.get("directs", "")).split())
    return f"Exception to rule {base}: where {where}: {directs}"


def _requires(rule: ResolvedRule) -> str:
    if rule.exception_of:
        return _exception_sentence(rule)
    if rule.kind == "deadline":
        return _deadline_sentence(rule)
    if rule.kind == "requirement":
        return _requirement_sentence(rule)
    if rule.kind == "decision":
        return " ".join(str(rule.parameters.get("directs", "")).split())
    return describe.parameters(dict(rule.data))


def _all_of(name: str, values: list[str]) -> Parameter:
    # Conditions listed together must all hold; say so, lest a list read as alternatives.
    return Parameter(f"{name} (all of these)" if len(values) > 1 else name, tuple(values))


_BOUNDARY_ROW = {
    "not_before": "Too early: it must happen after the earliest date, not on it",
    "": "Too late: it must happen before the due date, not on it",
}


def _deadline_rows(params: Mapping) -> list[Parameter]:
    limit, relative_to, clocks, which = deadline_limit(params)
    rows = [Parameter("What must happen", (_capital(deadline_subject(params)),))]
    if "not_before" in params:
        rows.append(Parameter("Not before", (str(params.get("not_before", "")),)))
        rows.append(Parameter("Counted from", (_capital(relative_to),)))
    elif "before" in params:
        notice = str(params.get("at_least", ""))
        if limit == "on or before":
            notice = "None: on or before is in time"
        rows.append(Parameter("Notice required", (f"At least {notice}" if notice[:1].isdigit() else notice,)))
        rows.append(Parameter("Before", (_capital(relative_to),)))
    else:
        rows.append(Parameter("Time limit", (limit,)))
        rows.append(Parameter("Counted from", (_capital(relative_to),)))
        if clocks:
            rows.append(Parameter(f"Or, if that is {which}", tuple(_capital(c) for c in clocks)))
    if params.get("boundary") == "exclusive":
        rows.append(Parameter("The day itself", (_BOUNDARY_ROW["not_before" if "not_before" in params else ""],)))
    if params.get("statutory") in _STATUTORY:
        rows.append(Parameter("Statutory", (_capital(_STATUTORY[params["statutory"]]),)))
    if params.get("optional"):
        rows.append(Parameter("Must it happen?", ("No, but when it does, it must be within this time limit",)))
    elif optional := [_capital(condition(c)) for c in params.get("optional_when") or [] if isinstance(c, Mapping)]:
        rows.append(_all_of("Need not happen when", optional))
    if until := clock_stops(params):
        rows.append(Parameter("The clock stops if", (_capital(until),)))
    return rows


# Parameter rows a reader of the procedure needs beside the rule's statement; the rest restate the statement
# (what, how long, from when) in the policy's terms and are shown to its authors only.
# An exception's own conditions ("Where") are among its "Applies when", which a reader is shown.
_READER_ROWS = (
    "Effect",
    "Applies when",
    "Need not happen when",
    "Must it happen?",
    "The clock stops if",
    "The day itself",
    "Statutory",
    "Excused when",
)


def _details(rule: ResolvedRule, parameters: tuple[Parameter, ...], requires: str) -> tuple[Parameter, ...]:
    rows = []
    if rule.kind == "decision" and not rule.exception_of:
        # What the procedure asks for is the substance of a direction; its title only names it.
        rows.append(Parameter("What to do", (requires,)))
    for param in parameters:
        base = param.name.removesuffix(" (all of these)")
        if base == "Requires" and (len(param.values) > 1 or any("one of these" in v for v in param.values)):
            # A list the title can only count ("one of six grounds") is what a reader must be given.
            rows.append(param)
        if base not in _READER_ROWS or (base == "Applies when" and param.values == ("Always",)):
            continue
        rows.append(param)
    return tuple(rows)


def _parameters(rule: ResolvedRule) -> tuple[Parameter, ...]:
    params = rule.parameters
    rows: list[Parameter] = []
    if rule.exception_of:
        rows.append(Parameter("Exception to", (str(rule.exception_of),), code=True))
        own = [_capital(condition(c)) for c in rule.exception_when if isinstance(c, Mapping)]
        rows.append(_all_of("Where", own))
    if rule.data.get("disapplies"):
        rows.append(Parameter("Effect", ("The rule it is an exception to does not apply",)))
    elif rule.kind == "deadline":
        rows += _deadline_rows(params)
    elif rule.kind == "requirement":
        scope = _APPLIES_TO.get(str(params.get("applies_to")), _plain_name(params.get("applies_to")))
        rows.append(Parameter("Applies to", (_capital(scope),)))
        require = [_capital(condition(c)) for c in params.get("require") or [] if isinstance(c, Mapping)]
        rows.append(_all_of("Requires", require))
        unless = [_capital(condition(c)) for c in params.get("unless") or [] if isinstance(c, Mapping)]
        if unless:
            rows.append(_all_of("Excused when", unless))
    elif rule.kind == "decision" and params.get("action"):
        rows.append(Parameter("Action (for case systems)", (str(params["action"]),), code=True))
    when = [_capital(condition(c)) for c in rule.data.get("when") or [] if isinstance(c, Mapping)]
    rows.append(_all_of("Applies when", when or ["Always"]))
    return tuple(rows)


class _Sources:
    """The source texts under ``--sources DIR``, read once each, for the line a quote starts on."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._texts: dict[str, SourceText | None] = {}

    def line(self, file: str, quote: str) -> int | None:
        if self.folder is None or not file:
            return None
        if file not in self._texts:
            try:
                self._texts[file] = SourceText.read(self.folder / file)
            except OSError:
                # A missing or unreadable source leaves its quotes without line numbers, marked not found;
                # `cpc lint --sources` is where a missing source is reported.
                self._texts[file] = None
        text = self._texts[file]
        return text.find(quote) if text is not None else None


def _quotes(rule: ResolvedRule, policy: ResolvedPolicy, sources: _Sources) -> tuple[Quote, ...]:
    quotes = []
    for cite in rule.citations:
        source_id = str(cite.get("source", ""))
        source = policy.sources.get(source_id, {})
        file = str(source.get("file", ""))
        quote = " ".join(str(cite.get("quote", "")).split())
        quotes.append(
            Quote(
                text=quote,
                source_id=source_id,
                source_title=" ".join(str(source.get("title", source_id)).split()),
                file=file,
                line=sources.line(file, quote),
                checked=sources.folder is not None,
            )
        )
    return tuple(quotes)


def _applied(rule: ResolvedRule, policy: ResolvedPolicy) -> ResolvedRule:
    """The rule with the parameters that apply: for an exception, its base's with its own merged in."""
    if not rule.exception_of:
        return rule
    return replace(rule, data=MappingProxyType(effective(rule, policy)))


def _entry(rule: ResolvedRule, policy: ResolvedPolicy, sources: _Sources) -> RuleEntry:
    rule = _applied(rule, policy)
    parameters = _parameters(rule)
    exceptions = tuple(r for r in policy.rules.values() if r.exception_of == rule.id)
    requires = _requires(rule)
    details = _details(rule, parameters, requires)
    if exceptions:
        # Each follows this rule in the document and says where it applies instead.
        parameters += (Parameter("Exceptions", tuple(r.id for r in exceptions), code=True),)
    base = policy.rules.get(rule.exception_of) if rule.exception_of else None
    return RuleEntry(
        id=rule.id,
        title=_title(rule),
        kind=rule.kind,
        kind_label=_KIND_LABELS.get(rule.kind, _capital(rule.kind)),
        requires=requires,
        parameters=parameters,
        quotes=_quotes(rule, policy, sources),
        origin=_origin_text(rule, policy.area),
        origin_label=_origin_label(rule),
        reading=" ".join(str(rule.data.get("reading", "")).split()),
        exception_of=rule.exception_of or "",
        details=details,
        exceptions=tuple((r.id, _title(r)) for r in exceptions),
        exception_of_title=_title(base) if base is not None else "",
        inherited_from=rule.defined_in if rule.origin == "inherited" else "",
    )


def _title(rule: ResolvedRule) -> str:
    return " ".join(str(rule.data.get("title", "")).split())


def topic_heading(topic: str) -> str:
    """The heading a topic goes under, as the procedure words it: ``quorum`` → ``Attendance and quorum``."""
    return _HEADINGS.get(topic, _capital(topic.replace("-", " ")))


def section_id(heading: str) -> str:
    """The anchor of a section. Underscores keep it apart from rule ids, which the schema limits to a-z0-9-."""
    return "section_" + "_".join("".join(c if c.isalnum() else " " for c in heading.lower()).split())


def _sections(policy: ResolvedPolicy, entries: dict[str, RuleEntry]) -> tuple[Section, ...]:
    order = {t: i for i, t in enumerate(TOPIC_ORDER)}
    by_heading: dict[str, list[RuleEntry]] = {}
    ranked: dict[str, tuple[int, str]] = {}
    for rule in beside_bases(policy.rules.values()):
        topic = str(rule.data.get("topic", "other"))
        heading = topic_heading(topic)
        by_heading.setdefault(heading, []).append(entries[rule.id])
        rank = (order.get(topic, len(order)), topic)
        ranked[heading] = min(ranked.get(heading, rank), rank)
    # Within a section the rules keep the policy's order, which follows the procedure text.
    return tuple(
        Section(section_id(heading), heading, _INTROS.get(heading, ""), tuple(by_heading[heading]))
        for heading in sorted(by_heading, key=lambda h: ranked[h])
    )


def _timescales(policy: ResolvedPolicy, sections: tuple[Section, ...]) -> tuple[Timescale, ...]:
    rows = []
    for section in sections:
        for entry in section.rules:
            rule = _applied(policy.rules[entry.id], policy)
            if rule.kind != "deadline":
                continue
            params = rule.parameters
            if rule.data.get("disapplies"):
                # Where the exception's conditions hold, the base's time limit does not apply at all.
                rows.append(
                    Timescale(
                        rule.id,
                        _capital(deadline_subject(params)),
                        "no time limit",
                        conditions(rule.data.get("when")),
                        section.heading,
                        str(rule.data.get("exception_of", "")),
                    )
                )
                continue
            limit = _deadline_phrase(params)
            if params.get("statutory") in ("maximum", "minimum"):
                limit += f" (statutory {params['statutory']})"
            if optional := conditions(params.get("optional_when")):
                # The table has no column for it, and a reader must not take the limit as binding regardless.
                limit += f"; need not happen when {optional}"
            if until := clock_stops(params):
                limit += f"; the clock stops if {until} first"
            rows.append(
                Timescale(
                    rule_id=rule.id,
                    what=_capital(deadline_subject(params)),
                    limit=limit,
                    when=conditions(rule.data.get("when")),
                    section=section.heading,
                    exception_of=rule.exception_of or "",
                )
            )
    return tuple(rows)


def _source_entries(policy: ResolvedPolicy) -> tuple[SourceEntry, ...]:
    cited: dict[str, set[str]] = {}
    for rule in policy.rules.values():
        for cite in rule.citations:
            cited.setdefault(str(cite.get("source", "")), set()).add(rule.id)
    entries = []
    for source_id, source in policy.sources.items():
        if source_id not in cited:
            continue
        published = source.get("published")
        entries.append(
            SourceEntry(
                id=source_id,
                title=" ".join(str(source.get("title", source_id)).split()),
                file=str(source.get("file", "")),
                published=_date_text(published),
                url=str(source.get("url", "")),
                area=str(source.get("area", "")),
                cited_by=len(cited[source_id]),
                publisher=" ".join(str(source.get("publisher", "")).split()),
                note=" ".join(str(source.get("note", "")).split()),
            )
        )
    return tuple(entries)


def _policy_file(policy: ResolvedPolicy) -> str:
    # area/file rather than the full path, so the document reads the same wherever it was generated.
    path = Path(policy.file.file)
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _counts(policy: ResolvedPolicy) -> str:
    counts = {"local": 0, "overridden": 0, "inherited": 0}
    for rule in policy.rules.values():
        counts[rule.origin] += 1
    text = (
        f"{len(policy.rules)} rules: {counts['local']} local, {counts['overridden']} restated or changed "
        f"locally, {counts['inherited']} inherited"
    )
    if policy.withdrawn:
        text += f"; {len(policy.withdrawn)} withdrawn"
    return text


def as_date(value: object) -> dt.date | None:
    """A date the policy gives, whether YAML read it as a date or, quoted, as the text ``2027-03-31``."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _date_text(value: object) -> str:
    day = as_date(value)
    return long_date(day) if day is not None else ""


def _files(policy: ResolvedPolicy) -> tuple[str, ...]:
    return tuple(f"{Path(p.file).parent.name}/{Path(p.file).name}" for p in policy.chain[:-1])


def build(policy: ResolvedPolicy, sources_dir: Path | None = None) -> Document:
    """The document model of ``policy``; with ``sources_dir``, each quotation gets the line it starts on."""
    sources = _Sources(sources_dir)
    entries = {rule_id: _entry(rule, policy, sources) for rule_id, rule in policy.rules.items()}
    sections = _sections(policy, entries)
    withdrawn = tuple(
        WithdrawnEntry(
            id=w.id,
            title=" ".join(str(w.rule.data.get("title", "")).split()),
            reason=" ".join(w.reason.split()),
            by=w.area,
            defined_in=w.rule.defined_in,
        )
        for w in policy.withdrawn.values()
    )
    publication = policy.publication
    return Document(
        area=policy.area,
        title=" ".join(policy.title.split()),
        version=policy.version,
        effective_from=long_date(policy.effective_from),
        policy_file=_policy_file(policy),
        builds_on=tuple(f"{p.data.get('title', p.area)} ({p.area}, version {p.version})" for p in policy.chain[:-1]),
        counts=_counts(policy),
        sources=_source_entries(policy),
        timescales=_timescales(policy, sections),
        sections=sections,
        withdrawn=withdrawn,
        name=" ".join(policy.name.split()),
        owner=" ".join(str(publication.get("owner", "")).split()),
        contact=" ".join(str(publication.get("contact", "")).split()),
        review_by=_date_text(publication.get("review_by")),
        builds_on_files=_files(policy),
        builds_on_titles=tuple(" ".join(str(p.data.get("title", p.area)).split()) for p in policy.chain[:-1]),
        sources_checked=sources_dir is not None,
    )


def render(
    policy: ResolvedPolicy,
    fmt: str = "markdown",
    sources_dir: Path | None = None,
    *,
    audience: str = "public",
    template_dir: Path | TemplateFolder | None = None,
) -> str:
    """The procedure document of ``policy`` as ``markdown`` or ``html``.

    ``audience`` is ``public`` (the procedure as its readers need it) or ``authors`` (each rule also shows
    how it is encoded: its id, parameters, origin and reading). ``template_dir`` is a folder whose templates
    replace or extend the shipped ones (docs/publishing.md), or a :class:`engine.review.templating.TemplateFolder`
    that afterwards says which of its files no page read; a missing folder or a template error raises
    :class:`engine.review.templating.TemplateProblem`.
    """
    from engine.review.templating import render_page

    if fmt not in FORMATS:
        raise ValueError(f"unknown format '{fmt}'; one of: {', '.join(FORMATS)}")
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience '{audience}'; one of: {', '.join(AUDIENCES)}")
    return render_page(
        fmt,
        template_dir,
        doc=build(policy, sources_dir),
        audience=audience,
        authors=audience == "authors",
        quote_groups=quote_groups,
        section_id=section_id,
        where=where,
    )
