"""The procedure document as one self-contained, accessible HTML page a council can publish.

One file: inline CSS, no scripts, fonts or images, so it works offline, without JavaScript and in print.
Every string that comes from a policy goes through :func:`_h`; anchors are rule ids (the schema limits them
to a-z, 0-9 and hyphens) or section ids made by :func:`engine.render.section_id`.
"""

from __future__ import annotations

import html

from .render import Document, Parameter, RuleEntry, Section, quote_groups, section_id, where
from .render_markdown import ABOUT_HEADING, GLANCE_HEADING, GLANCE_INTRO, SOURCES_HEADING, withdrawn_heading

MAIN_ID = "main_content"

# Colours are chosen for a contrast of at least 7:1 (WCAG AAA) for text against its background.
_CSS = """
:root { --text: #1b1b1b; --muted: #44484d; --link: #1d4f91; --rule: #b1b4b6; --panel: #f3f4f6; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--text); background: #fff; font: 1.0625rem/1.55 system-ui, -apple-system,
  "Segoe UI", Roboto, Arial, sans-serif; }
.skip-link { position: absolute; left: 0.5rem; top: -3rem; padding: 0.5rem 0.75rem; background: #ffdd00;
  color: #0b0c0c; font-weight: bold; z-index: 1; }
.skip-link:focus { top: 0.5rem; }
a { color: var(--link); text-underline-offset: 0.15em; }
a:hover { text-decoration-thickness: 3px; }
a:focus-visible { outline: 3px solid #0b0c0c; outline-offset: 0; background: #ffdd00; color: #0b0c0c; }
.page { max-width: 56rem; margin: 0 auto; padding: 0 1.25rem 3rem; }
header.masthead { background: #1d3557; color: #fff; padding: 1.75rem 0 1.5rem; margin-bottom: 1.5rem; }
header.masthead .page { padding-bottom: 0; }
.eyebrow { margin: 0 0 0.35rem; font-size: 0.95rem; letter-spacing: 0.02em; color: #e4e9f0; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0 0 1rem; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0; }
.meta dt { font-weight: bold; }
.meta dd { margin: 0; }
nav.contents { background: var(--panel); border-left: 5px solid #1d3557; padding: 0.75rem 1.25rem; margin: 0 0 2rem; }
nav.contents h2 { font-size: 1.2rem; margin: 0.25rem 0 0.5rem; border: 0; padding: 0; }
nav.contents ol { margin: 0; padding-left: 1.5rem; columns: 2 18rem; column-gap: 2rem; }
nav.contents li { margin: 0.15rem 0; break-inside: avoid; }
.count { color: var(--muted); font-size: 0.9em; }
h2 { font-size: 1.6rem; line-height: 1.25; margin: 2.75rem 0 0.5rem; padding-bottom: 0.3rem;
  border-bottom: 3px solid #1d3557; }
.intro { font-size: 1.1rem; color: var(--muted); margin-top: 0; }
article.rule { border-top: 1px solid var(--rule); padding-top: 1.1rem; margin-top: 1.5rem; }
h3 { font-size: 1.2rem; line-height: 1.35; margin: 0 0 0.5rem; }
h4 { font-size: 1rem; margin: 1rem 0 0.35rem; }
.tags { margin: 0 0 0.75rem; font-size: 0.9rem; }
.tag { display: inline-block; padding: 0.05rem 0.5rem; margin-right: 0.35rem; border: 1px solid currentColor;
  border-radius: 3px; font-weight: bold; }
.tag-kind { color: #1d3557; background: #e8eef7; }
.tag-local { color: #0f4a24; background: #e3f1e7; }
.tag-restated { color: #12406e; background: #e6eefa; }
.tag-changed { color: #5c3a00; background: #fdf0d8; }
.tag-inherited { color: #3a3f45; background: #eceef0; }
.rule-id { color: var(--muted); }
article.exception { margin-left: 1.5rem; padding-left: 1rem; border-left: 3px solid var(--rule); }
.tag-exception { color: #5c3a00; background: #fdf0d8; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.9em;
  overflow-wrap: anywhere; }
.requires { font-size: 1.05rem; background: var(--panel); padding: 0.6rem 0.85rem; margin: 0 0 0.75rem; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; font-size: 0.95rem; }
caption { text-align: left; font-weight: bold; padding: 0 0 0.35rem; }
th, td { border: 1px solid var(--rule); padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
thead th { background: #e4e7eb; }
tbody th { background: #f7f8f9; font-weight: 600; }
table.parameters tbody th { width: 13rem; }
td ul { margin: 0; padding-left: 1.1rem; }
.origin { margin: 0 0 0.5rem; }
figure.quote { margin: 0.5rem 0 0.75rem; }
blockquote { margin: 0.4rem 0 0; padding: 0.45rem 1rem; border-left: 5px solid #505a5f; background: #f8f8f8;
  font-family: Georgia, "Times New Roman", serif; font-size: 1.05rem; }
blockquote p { margin: 0; }
figcaption { font-size: 0.9rem; color: var(--muted); padding: 0.35rem 0 0 1.35rem; }
table.glance tbody th.group { background: #1d3557; color: #fff; font-size: 1rem; }
table.glance tbody th[scope=row] { width: 45%; }
.when { display: block; font-weight: normal; font-size: 0.9em; color: var(--muted); margin-top: 0.15rem; }
.reading { border-left: 5px solid #8a6d00; background: #fffbea; padding: 0.1rem 1rem 0.5rem; margin: 0.75rem 0 0; }
.reading h4 { margin-top: 0.6rem; }
.reading p { margin: 0; }
footer { border-top: 1px solid var(--rule); margin-top: 3rem; padding-top: 1rem; color: var(--muted);
  font-size: 0.95rem; }
@media (max-width: 40rem) {
  h1 { font-size: 1.6rem; }
  .meta { grid-template-columns: 1fr; }
  table.parameters tbody th { width: auto; }
}
@media print {
  body { font-size: 10.5pt; }
  .skip-link, nav.contents { display: none; }
  header.masthead { background: none; color: #000; padding: 0; border-bottom: 2pt solid #000; }
  .eyebrow { color: #000; }
  .page { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  h2, h3, h4, caption { break-after: avoid; }
  h2 { break-before: page; }
  table, figure, .requires, .reading { break-inside: avoid; }
  .requires, blockquote, .reading, thead th, tbody th, .tag { background: none; }
  table.glance tbody th.group { color: #000; border-bottom: 2pt solid #000; }
}
""".strip()


def _h(text: object) -> str:
    return html.escape(str(text), quote=True)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _tag_class(label: str) -> str:
    return {
        "Local": "tag-local",
        "Restated locally": "tag-restated",
        "Changed locally": "tag-changed",
        "Inherited": "tag-inherited",
    }.get(label, "tag-kind")


def _value(param: Parameter) -> str:
    if param.code:
        return ", ".join(f"<code>{_h(v)}</code>" for v in param.values)
    if len(param.values) == 1:
        return _h(param.values[0])
    return "<ul>" + "".join(f"<li>{_h(v)}</li>" for v in param.values) + "</ul>"


def _parameters(entry: RuleEntry) -> list[str]:
    out = [
        '<table class="parameters">',
        f"<caption>Parameters of rule <code>{_h(entry.id)}</code></caption>",
        '<thead><tr><th scope="col">Parameter</th><th scope="col">Value</th></tr></thead>',
        "<tbody>",
    ]
    for param in entry.parameters:
        out.append(f'<tr><th scope="row">{_h(param.name)}</th><td>{_value(param)}</td></tr>')
    return [*out, "</tbody>", "</table>"]


def _rule(entry: RuleEntry) -> list[str]:
    exception = ""
    if entry.exception_of:
        base = _h(entry.exception_of)
        exception = f'<span class="tag tag-exception">Exception to <a href="#{base}"><code>{base}</code></a></span>'
    out = [
        f'<article class="rule{" exception" * bool(entry.exception_of)}" aria-labelledby="{_h(entry.id)}">',
        f'<h3 id="{_h(entry.id)}">{_h(entry.title)}</h3>',
        f'<p class="tags"><span class="tag tag-kind">{_h(entry.kind_label)}</span>'
        f'<span class="tag {_tag_class(entry.origin_label)}">{_h(entry.origin_label)}</span>{exception}'
        f'<span class="rule-id">rule <code>{_h(entry.id)}</code></span></p>',
        f'<p class="requires"><strong>What the procedure requires:</strong> {_h(entry.requires)}</p>',
        *_parameters(entry),
        f'<p class="origin"><strong>Where it comes from:</strong> {_h(_sentence(entry.origin))}.</p>',
    ]
    if entry.quotes:
        out.append("<h4>The procedure says</h4>")
        for source, quotes in quote_groups(entry.quotes):
            out.append('<figure class="quote">')
            out += [f"<blockquote><p>{_h(quote.text)}</p></blockquote>" for quote in quotes]
            out.append(f"<figcaption>— <cite>{_h(source.source_title)}</cite> ({_h(where(quotes))})</figcaption>")
            out.append("</figure>")
    if entry.reading:
        out += ['<div class="reading">', "<h4>How this text is read</h4>", f"<p>{_h(entry.reading)}</p>", "</div>"]
    return [*out, "</article>"]


def _section(section: Section) -> list[str]:
    out = [f'<section aria-labelledby="{section.id}">', f'<h2 id="{section.id}">{_h(section.heading)}</h2>']
    if section.intro:
        out.append(f'<p class="intro">{_h(section.intro)}</p>')
    for entry in section.rules:
        out += _rule(entry)
    return [*out, "</section>"]


def _header(doc: Document) -> list[str]:
    rows = [
        ("Version", doc.version),
        ("In force from", doc.effective_from),
        ("Builds on", "; ".join(doc.builds_on)),
        ("Rules", doc.counts),
    ]
    out = [
        '<header class="masthead">',
        '<div class="page">',
        f'<p class="eyebrow">Child protection conference procedure · area: {_h(doc.area)}</p>',
        f"<h1>{_h(doc.title)}</h1>",
        '<dl class="meta">',
    ]
    out += [f"<dt>{_h(name)}</dt><dd>{_h(value)}</dd>" for name, value in rows if value]
    return [*out, "</dl>", "</div>", "</header>"]


def _link(anchor: str, text: str, extra: str = "") -> str:
    return f'<li><a href="#{anchor}">{_h(text)}</a>{extra}</li>'


def _contents(doc: Document) -> list[str]:
    out = [
        '<nav class="contents" aria-labelledby="contents_heading">',
        '<h2 id="contents_heading">Contents</h2>',
        "<ol>",
    ]
    out.append(_link(section_id(ABOUT_HEADING), ABOUT_HEADING))
    if doc.timescales:
        out.append(_link(section_id(GLANCE_HEADING), GLANCE_HEADING))
    for section in doc.sections:
        count = len(section.rules)
        out.append(
            _link(section.id, section.heading, f' <span class="count">({count} rule{"s" * (count != 1)})</span>')
        )
    if doc.withdrawn:
        out.append(_link(section_id(withdrawn_heading(doc)), withdrawn_heading(doc)))
    out.append(_link(section_id(SOURCES_HEADING), SOURCES_HEADING))
    return [*out, "</ol>", "</nav>"]


def _about(doc: Document) -> list[str]:
    anchor = section_id(ABOUT_HEADING)
    out = [f'<section aria-labelledby="{anchor}">', f'<h2 id="{anchor}">{ABOUT_HEADING}</h2>']
    out += [f"<p>{_h(paragraph)}</p>" for paragraph in doc.about]
    return [*out, "</section>"]


def _glance(doc: Document) -> list[str]:
    anchor = section_id(GLANCE_HEADING)
    out = [
        f'<section aria-labelledby="{anchor}">',
        f'<h2 id="{anchor}">{GLANCE_HEADING}</h2>',
        f'<p class="intro">{_h(GLANCE_INTRO)}</p>',
        '<table class="glance">',
        "<caption>Time limits set by the procedure</caption>",
        '<thead><tr><th scope="col">What must happen</th><th scope="col">Time limit</th>'
        '<th scope="col">Rule</th></tr></thead>',
    ]
    section = None
    for row in doc.timescales:
        if row.section != section:
            # One row group per section, headed by the section's name, as the procedure groups them.
            out += ["</tbody>"] * (section is not None)
            section = row.section
            out += ["<tbody>", f'<tr><th scope="rowgroup" colspan="3" class="group">{_h(section)}</th></tr>']
        when = f'<span class="when">Only when {_h(row.when)}</span>' if row.when else ""
        out.append(
            f'<tr><th scope="row">{_h(row.what)}{when}</th><td>{_h(row.limit)}</td>'
            f'<td><a href="#{_h(row.rule_id)}"><code>{_h(row.rule_id)}</code></a></td></tr>'
        )
    out += ["</tbody>"] * (section is not None)
    return [*out, "</table>", "</section>"]


def _withdrawn(doc: Document) -> list[str]:
    heading = withdrawn_heading(doc)
    anchor = section_id(heading)
    out = [
        f'<section aria-labelledby="{anchor}">',
        f'<h2 id="{anchor}">{_h(heading)}</h2>',
        '<p class="intro">Rules of the policies this one builds on that the area withdraws, with the reason.</p>',
        "<ul>",
    ]
    for item in doc.withdrawn:
        out.append(
            f'<li id="{_h(item.id)}"><code>{_h(item.id)}</code> ({_h(item.title)}), a rule of {_h(item.defined_in)}, '
            f"withdrawn by {_h(item.by)}: {_h(item.reason)}</li>"
        )
    return [*out, "</ul>", "</section>"]


def _sources(doc: Document) -> list[str]:
    anchor = section_id(SOURCES_HEADING)
    out = [
        f'<section aria-labelledby="{anchor}">',
        f'<h2 id="{anchor}">{SOURCES_HEADING}</h2>',
        "<table>",
        "<caption>Documents the procedure quotes</caption>",
        '<thead><tr><th scope="col">Source</th><th scope="col">File</th><th scope="col">Published</th>'
        '<th scope="col">Rules citing it</th></tr></thead>',
        "<tbody>",
    ]
    for source in doc.sources:
        title = _h(source.title)
        if source.url.startswith(("https://", "http://")):
            title = f'<a href="{_h(source.url)}">{title}</a>'
        out.append(
            f'<tr><th scope="row">{title}</th><td><code>{_h(source.file)}</code></td>'
            f"<td>{_h(source.published) or '—'}</td><td>{source.cited_by}</td></tr>"
        )
    return [*out, "</tbody>", "</table>", "</section>"]


def render_html(doc: Document) -> str:
    """The document as a single HTML page: inline CSS only, no JavaScript, readable and printable."""
    out = [
        "<!doctype html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="cpc render">',
        f"<title>{_h(doc.title)} (version {_h(doc.version)})</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        f'<a class="skip-link" href="#{MAIN_ID}">Skip to main content</a>',
        *_header(doc),
        '<div class="page">',
        *_contents(doc),
        f'<main id="{MAIN_ID}" tabindex="-1">',
        *_about(doc),
    ]
    if doc.timescales:
        out += _glance(doc)
    for section in doc.sections:
        out += _section(section)
    if doc.withdrawn:
        out += _withdrawn(doc)
    out += _sources(doc)
    out += [
        "</main>",
        "<footer>",
        f"<p>Generated by cpc render from {_h(doc.policy_file)}, version {_h(doc.version)}. "
        "To change this procedure, change the policy file and generate the page again.</p>",
        "</footer>",
        "</div>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(out)
