"""`cpc render`: an area's resolved policy as a procedure document a social worker can read and a council publish.

This module builds the document model: the sections in the procedure's order, each rule with its statement,
when it applies, its quotations and where they come from, and for the policy's authors what it requires in
the engine's terms and its parameters, all of it already in words (events, facts and conditions from
:mod:`engine.review.wording`, a rule's sentences from :mod:`engine.review.rule_wording`), so that the templates
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

from engine.policy.citations import SourceText
from engine.policy.resolve import ResolvedPolicy, ResolvedRule
from engine.policy.show import TOPIC_ORDER, beside_bases, effective
from engine.review.rule_wording import (
    _APPLIES_TO,
    _deadline_phrase,
    _origin_label,
    _origin_text,
    _requires,
    clock_stops,
    deadline_limit,
    deadline_subject,
)
from engine.review.wording import _capital, _plain_name, condition, conditions, long_date

if TYPE_CHECKING:
    from engine.review.templating import TemplateFolder

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

_STATUTORY = {
    "maximum": "a statutory maximum: an area may shorten it but never lengthen it",
    "minimum": "a statutory minimum: an area may lengthen it but never shorten it",
}

# --- The document model -----------------------------------------------------------------------------------


def source_anchor(source_id: str) -> str:
    """``source_berkshire-cpc``: a source's anchor. Source ids are slugs, so it needs no escaping."""
    return f"source_{source_id}"


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
    def anchor(self) -> str:
        """The anchor of the quote's source in the Sources section, which its caption links to."""
        return source_anchor(self.source_id)

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
        """The source's anchor in the Sources section."""
        return source_anchor(self.id)


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
