"""The procedure document as Markdown: for a repository, a wiki, or a pull request that changes a policy."""

from __future__ import annotations

from .render import Document, Parameter, RuleEntry, Section, quote_groups, section_id, where
from .safe_text import markdown_text, markdown_url

ABOUT_HEADING = "About this document"
GLANCE_HEADING = "Timescales at a glance"
SOURCES_HEADING = "Sources"
GLANCE_INTRO = "Every time limit in the procedure, grouped by the sections below. Follow a rule's link for its wording."


def _md(text: str) -> str:
    # Every character Markdown could read as markup is escaped, < and > included, so that no policy text
    # becomes raw HTML (engine.safe_text).
    return markdown_text(text)


def _anchor(anchor: str) -> str:
    # Anchors are rule ids (a-z0-9-) or section ids (a-z0-9_), so they never need escaping.
    return f'<a id="{anchor}"></a>'


def withdrawn_heading(doc: Document) -> str:
    """The heading of the withdrawn rules' section."""
    return f"Rules that do not apply in {doc.area}"


def _parameters(entry: RuleEntry) -> list[str]:
    lines = ["| Parameter | Value |", "| --- | --- |"]
    for param in entry.parameters:
        lines.append(f"| {_md(param.name)} | {_value(param)} |")
    return lines


def _value(param: Parameter) -> str:
    if param.code:
        # Action slugs are lower case with underscores, never a backtick.
        return ", ".join(f"`{v}`" for v in param.values)
    # "The child is under 5 **and** the plan is open": one sentence, so later clauses start in lower case.
    return " **and** ".join(_md(v if i == 0 else _lower_first(v)) for i, v in enumerate(param.values))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _exception(entry: RuleEntry) -> str:
    # Rule ids are a-z0-9-, so they need no escaping, in code or as an anchor.
    return f" · exception to [`{entry.exception_of}`](#{entry.exception_of})" if entry.exception_of else ""


def _rule(entry: RuleEntry) -> list[str]:
    out = [
        _anchor(entry.id),
        f"### {_md(entry.title)}",
        "",
        f"{_md(entry.kind_label)} · {_md(entry.origin_label)} · rule `{entry.id}`" + _exception(entry),
        "",
        f"**What the procedure requires:** {_md(entry.requires)}",
        "",
        *_parameters(entry),
        "",
        f"**Where it comes from:** {_md(entry.origin[:1].upper() + entry.origin[1:])}.",
        "",
    ]
    if entry.quotes:
        out += ["**The procedure says:**", ""]
        for source, quotes in quote_groups(entry.quotes):
            for quote in quotes:
                out += [f"> {_md(quote.text)}", ">"]
            out += [f"> — *{_md(source.source_title)}* ({_md(where(quotes))})", ""]
    if entry.reading:
        out += [f"**How this text is read:** {_md(entry.reading)}", ""]
    return out


def _section(section: Section) -> list[str]:
    out = [_anchor(section.id), f"## {_md(section.heading)}", ""]
    if section.intro:
        out += [_md(section.intro), ""]
    for entry in section.rules:
        out += _rule(entry)
    return out


def _contents(doc: Document) -> list[str]:
    out = ["## Contents", "", f"- [{ABOUT_HEADING}](#{section_id(ABOUT_HEADING)})"]
    if doc.timescales:
        out.append(f"- [{GLANCE_HEADING}](#{section_id(GLANCE_HEADING)})")
    for section in doc.sections:
        count = len(section.rules)
        out.append(f"- [{_md(section.heading)}](#{section.id}) ({count} rule{'s' * (count != 1)})")
    if doc.withdrawn:
        out.append(f"- [{_md(withdrawn_heading(doc))}](#{section_id(withdrawn_heading(doc))})")
    out += [f"- [{SOURCES_HEADING}](#{section_id(SOURCES_HEADING)})", ""]
    return out


def _glance(doc: Document) -> list[str]:
    out = [
        _anchor(section_id(GLANCE_HEADING)),
        f"## {GLANCE_HEADING}",
        "",
        GLANCE_INTRO,
        "",
        "| What must happen | Time limit | Rule |",
        "| --- | --- | --- |",
    ]
    section = ""
    for row in doc.timescales:
        if row.section != section:
            section = row.section
            out.append(f"| **{_md(section)}** | | |")
        when = f" (only when {_md(row.when)})" if row.when else ""
        out.append(f"| {_md(row.what)}{when} | {_md(row.limit)} | [`{row.rule_id}`](#{row.rule_id}) |")
    return [*out, ""]


def _sources(doc: Document) -> list[str]:
    out = [
        _anchor(section_id(SOURCES_HEADING)),
        f"## {SOURCES_HEADING}",
        "",
        "| Source | File | Published | Rules citing it |",
        "| --- | --- | --- | --- |",
    ]
    for source in doc.sources:
        url = markdown_url(source.url) if source.url else None
        title = f"[{_md(source.title)}](<{url}>)" if url else _md(source.title)
        out.append(f"| {title} | {_md(source.file)} | {_md(source.published) or '—'} | {source.cited_by} |")
    return [*out, ""]


def render_markdown(doc: Document) -> str:
    """The document as Markdown, with explicit anchors so that every rule can be linked to by its id."""
    out = [f"# {_md(doc.title)}", ""]
    out.append(f"Version {_md(doc.version)}, in force from {doc.effective_from}. Area: {_md(doc.area)}.")
    if doc.builds_on:
        out += ["", "Builds on: " + "; ".join(_md(b) for b in doc.builds_on) + "."]
    out += ["", f"{_md(doc.counts)}.", ""]
    out += _contents(doc)
    out += [_anchor(section_id(ABOUT_HEADING)), f"## {ABOUT_HEADING}", ""]
    for paragraph in doc.about:
        out += [_md(paragraph), ""]
    if doc.timescales:
        out += _glance(doc)
    for section in doc.sections:
        out += _section(section)
    if doc.withdrawn:
        heading = withdrawn_heading(doc)
        out += [_anchor(section_id(heading)), f"## {_md(heading)}", ""]
        for item in doc.withdrawn:
            out.append(
                f"- {_anchor(item.id)}`{item.id}` ({_md(item.title)}), a rule of {_md(item.defined_in)}, "
                f"withdrawn by {_md(item.by)}: {_md(item.reason)}"
            )
        out.append("")
    out += _sources(doc)
    return "\n".join(out)
