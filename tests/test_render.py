"""`cpc render`: the policy as a procedure document, in Markdown and as a page checked in a real browser.

The Markdown golden file tests/data/render/berkshire.md holds Berkshire's document with the source line
numbers; regenerate it with CPC_UPDATE_GOLDEN=1 after a deliberate change, and review the diff. The browser
test runs Debian's chromium headless; without /usr/bin/chromium it is skipped, except under CI, where it fails.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.render_command import render as render_command
from engine.core.safe_text import markdown_text
from engine.core.vocabulary import EVENTS, FACTS
from engine.policy.policies import open_policy
from engine.review.render import build, render
from engine.review.wording import WORDED_EVENTS, WORDED_FACTS, condition

from .conftest import ROOT, SEEDS

GOLDEN = Path(__file__).parent / "data" / "render"
CHROMIUM = Path("/usr/bin/chromium")

ENGLAND = """\
area: england
title: National baseline
version: "2023"
effective_from: 2023-12-15
sources:
  wt:
    title: National guidance
    file: wt.txt
rules:
  - id: icpc-timescale
    title: Initial conference within 15 working days of the strategy discussion.
    kind: deadline
    topic: timescales
    deadline:
      what: initial_conference
      within: 15 working days
      of: strategy_discussion
      statutory: maximum
    cite:
      source: wt
      quote: "should take place within 15 working days of the strategy discussion"
  - id: transfer-in-timescale
    title: Transfer-in conference within 15 days of notification.
    kind: deadline
    topic: timescales
    deadline:
      what: transfer_in_conference
      within: 15 days
      of: move_notified
    cite:
      source: wt
      quote: "a conference within 15 days of being notified of the move"
"""

# Every string a reader sees is hostile here: markup, Markdown syntax, quotes and ampersands.
HOSTILE = """\
area: westshire
title: "Westshire <script>alert('title')</script> & \\"procedures\\""
version: "2 <b>"
effective_from: 2025-01-01
extends: england
sources:
  west:
    title: "West <i>procedure</i> & more"
    file: west.txt
withdrawn:
  - id: transfer-in-timescale
    reason: "Westshire's text sets no <em>transfer</em> timescale & defers to the region."
rules:
  - id: local-only
    title: "Plans are discussed <img src=x onerror=alert(1)> with parents | within 20 working days."
    kind: deadline
    topic: plans
    deadline:
      what: plan_discussed_with_parents
      within: 20 working days
      of: first_conference
    cite:
      - source: west
        quote: "discussed with the parents within 20 working days"
      - source: west
        quote: "a sentence <script>that is not</script> in the text"
    reading: "Read `as written`, with *stars*, [a link](http://example.org) and </p><script>x</script>."
"""

WEST_TEXT = "Westshire procedure\n\nThe plan should be\n  discussed with the parents within 20 working days.\n"


@pytest.fixture(scope="module")
def berkshire():
    return open_policy("berkshire", ROOT / "policies")


@pytest.fixture(scope="module")
def hampshire_policy():
    return open_policy("hampshire", ROOT / "policies")


@pytest.fixture
def hostile(policy_tree):
    root = policy_tree({"england/policy.yaml": ENGLAND, "westshire/policy.yaml": HOSTILE})
    sources = root.parent / "sources"
    sources.mkdir()
    (sources / "west.txt").write_text(WEST_TEXT, encoding="utf-8")
    return open_policy("westshire", root), sources


def need_seeds() -> None:
    if not SEEDS.is_dir():
        # As for `cpc lint --sources`: CI has the procedure texts beside the repository; elsewhere they may not be.
        assert not os.environ.get("CI"), f"CI must have the procedure texts at {SEEDS}"
        pytest.skip(f"the procedure texts are not at {SEEDS}")


# --- A small DOM, enough to check the page's structure ------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    parts: list[Node | str] = field(default_factory=list)

    @property
    def children(self) -> list[Node]:
        return [p for p in self.parts if isinstance(p, Node)]

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, tag: str) -> list[Node]:
        return [n for n in self.walk() if n.tag == tag]

    def all_text(self) -> str:
        return "".join(p if isinstance(p, str) else p.all_text() for p in self.parts)

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class DomBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.parts.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag: str) -> None:
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None and node.parent is not None, f"stray </{tag}>"
        self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.parts.append(data)


def parse(page: str) -> DomBuilder:
    builder = DomBuilder()
    builder.feed(page)
    builder.close()
    assert builder.current is builder.root, f"unclosed <{builder.current.tag}>"
    return builder


# --- The document model and its words -----------------------------------------------------------------------


def test_sections_follow_the_procedure_with_friendly_headings(berkshire) -> None:
    doc = build(berkshire)
    assert [s.heading for s in doc.sections] == [
        "Conference types",
        "Timescales",
        "Attendance and quorum",
        "Exclusion of family members",
        "Reports for the conference",
        "Records and documents",
        "The child protection plan",
        "Step-down",
    ]
    shown = [entry.id for section in doc.sections for entry in section.rules]
    assert sorted(shown) == sorted(berkshire.rules)
    attendance = next(s for s in doc.sections if s.heading == "Attendance and quorum")
    assert "quorum" in [e.id for e in attendance.rules] and "child-attendance-12-and-over" in [
        e.id for e in attendance.rules
    ]


def test_each_rule_says_what_the_procedure_requires_in_plain_english(berkshire) -> None:
    entries = {e.id: e for s in build(berkshire).sections for e in s.rules}
    assert entries["icpc-timescale"].requires == (
        "The initial conference or the pre-birth conference takes place within 15 working days of the strategy "
        "discussion. It need not happen when the team manager has recorded the decision not to call a conference "
        "after the section 47 enquiry, recorded on or before the due date; when it does, this is the time limit."
    )
    assert entries["review-interval"].requires == (
        "The next review conference takes place within 6 months of the previous review conference."
    )
    assert entries["report-to-chair-review"].requires == (
        "When the conference is a review conference, each agency's report is available to the chair at least "
        "5 working days before the conference."
    )
    assert entries["epo-conference"].requires == (
        "The initial conference takes place on or before the expiry of the Emergency Protection Order. It need "
        "not happen when the team manager has recorded the decision not to call a conference after the section 47 "
        "enquiry; when it does, this is the time limit."
    )
    assert entries["quorum"].requires == (
        "For every conference, children's social care attends and at least 2 other professional groups or "
        "agencies with direct contact with the child attend, unless the chair decides to go ahead although the "
        "conference is not quorate and the child has not had relevant contact with three agencies (children's "
        "social care and two others)."
    )
    assert entries["exclusion-request-notice"].requires.endswith(
        "Nothing requires it to happen; when it does, this is the time limit."
    )
    # A decision's requirement is what it directs, as the policy words it.
    assert entries["child-attendance-12-and-over"].requires.startswith("The child is twelve or over")
    params = {p.name: p.values for p in entries["pre-birth-first-review"].parameters}
    assert params["Time limit"] == ("within 3 months",)
    assert params["Or, if that is sooner"] == ("Within 1 month of the birth",)
    assert params["Counted from"] == ("The pre-birth conference",)
    assert params["Applies when"] == ("The plan was made at a pre-birth conference",)


def test_each_rule_says_whether_it_is_local_restated_changed_or_inherited(berkshire) -> None:
    entries = {e.id: e for s in build(berkshire).sections for e in s.rules}
    assert (entries["icpc-timescale"].origin_label, entries["icpc-timescale"].origin) == (
        "Restated locally",
        "berkshire restates england's values with its own citation",
    )
    assert (entries["transfer-in-timescale"].origin_label, entries["transfer-in-timescale"].origin) == (
        "Changed locally",
        "berkshire overrides england: deadline.whichever_later, deadline.within (england says 15 days, berkshire 15 "
        "working days)",
    )
    assert entries["plan-duration-two-years"].origin_label == "Inherited"
    assert entries["plan-duration-two-years"].origin.startswith("inherited from england")
    assert entries["quorum"].origin_label == "Local"


def test_every_event_and_fact_of_the_vocabulary_has_words() -> None:
    # A term without words would read as its code name (pre birth conference) to a social worker.
    assert set(EVENTS) - WORDED_EVENTS == set()
    assert set(FACTS) - WORDED_FACTS == set()
    for name in EVENTS:
        for cond in ({"event": name}, {"event": "birth", "within": "1 month", "of": name}):
            assert "_" not in condition(cond), name
    for name, term in FACTS.items():
        if term.type == "boolean":
            conds = [{"fact": name, "equals": True}, {"fact": name, "equals": False}]
        elif term.type == "integer":
            conds = [{"fact": name, "at_least": 3}, {"fact": name, "below": 3}, {"fact": name, "equals": 3}]
        else:
            conds = [{"fact": name, "equals": v} for v in term.values] + [{"fact": name, "in": list(term.values)}]
        for cond in conds:
            said = condition(cond)
            assert "_" not in said and name not in said, (name, said)


# --- The constructs of the policy language -----------------------------------------------------------------

# One rule per construct: tests/data/diff/constructs/new (lower bound, boundary, whichever is later, until,
# recorded_by, any_of, a negated event, and exceptions with parameters or disapplying their base).
CONSTRUCTS = ROOT / "tests" / "data" / "diff" / "constructs"


@pytest.fixture(scope="module")
def constructs():
    policy = open_policy("new", CONSTRUCTS)
    return policy, {e.id: e for s in build(policy).sections for e in s.rules}


@pytest.mark.parametrize(
    ("rule", "requires"),
    [
        (
            "lower-bound",
            "The pre-birth conference takes place not before 22 weeks after the start of the pregnancy (40 weeks "
            "before the expected date of birth).",
        ),
        (
            "boundary-day",
            "A core group meeting takes place within 10 working days of the conference that made the plan, before "
            "the due date, not on it.",
        ),
        (
            "sooner-or-later",
            "The transfer-in conference takes place within 15 working days of notification that the child has moved "
            "permanently into the area, or within 15 working days of the receiving authority's formal acceptance of "
            "the transfer, whichever is later.",
        ),
        (
            "stops-at-plan-end",
            "The child protection plan is discussed with the parents within 20 working days of the conference that "
            "made the plan. The clock stops if the plan ends first: before the due date nothing more is required; "
            "after it, the time limit stays missed.",
        ),
        (
            "excused-when-recorded",
            "The initial conference takes place within 15 working days of the strategy discussion. It need not "
            "happen when the team manager has recorded the decision not to call a conference after the section 47 "
            "enquiry, recorded on or before the due date; when it does, this is the time limit.",
        ),
        (
            "either-condition",
            "When either the child is not yet born or a premature birth is likely, the hospital discharge meeting "
            "takes place on or before the baby's discharge from hospital.",
        ),
        (
            "after-birth-meeting-mother-unfit",
            "Exception to rule after-birth-meeting: where the mother is not medically fit to attend a meeting "
            "within the first 10 days after the birth, a core group meeting takes place within 20 working days of "
            "the birth instead.",
        ),
        (
            "lower-bound-premature",
            "Exception to rule lower-bound: the rule does not apply where a premature birth is likely.",
        ),
    ],
)
def test_each_construct_reads_in_plain_english(constructs, rule, requires) -> None:
    _, entries = constructs
    assert entries[rule].requires == requires


def test_the_parameters_table_names_each_construct(constructs) -> None:
    _, entries = constructs

    def params(rule: str) -> dict[str, tuple[str, ...]]:
        return {p.name: p.values for p in entries[rule].parameters}

    assert params("lower-bound")["Not before"] == ("22 weeks",)
    assert params("lower-bound")["Exceptions"] == ("lower-bound-premature",)
    assert params("boundary-day")["The day itself"] == ("Too late: it must happen before the due date, not on it",)
    assert params("later-clock")["Or, if that is later"] == (
        "Within 15 working days of the looked-after review's decision to convene an initial conference",
    )
    assert params("stops-at-plan-end")["The clock stops if"] == ("The plan ends",)
    assert params("no-meeting-since")["Applies when"] == (
        "No multi-agency strategy meeting has taken place since the latest significant change in the child's "
        "circumstances",
    )
    unfit = params("after-birth-meeting-mother-unfit")
    assert unfit["Exception to"] == ("after-birth-meeting",)
    assert unfit["Where"] == (
        "The mother is not medically fit to attend a meeting within the first 10 days after the birth",
    )
    assert params("lower-bound-premature")["Effect"] == ("The rule it is an exception to does not apply",)


def test_an_exception_follows_its_base_and_links_to_it(constructs) -> None:
    policy, _ = constructs
    order = [e.id for s in build(policy).sections for e in s.rules]
    assert order.index("lower-bound-premature") == order.index("lower-bound") + 1
    assert order.index("after-birth-meeting-mother-unfit") == order.index("after-birth-meeting") + 1
    base_title = policy.rules["lower-bound"].data["title"].rstrip(".")
    markdown = render(policy, "markdown")
    assert f"An exception to [{markdown_text(base_title)}](#lower-bound)." in markdown
    authors = render(policy, "markdown", audience="authors")
    assert "Timescale · Local · rule `lower-bound-premature` · exception to [`lower-bound`](#lower-bound)" in authors
    page = render(policy, "html")
    assert '<article class="rule exception" aria-labelledby="lower-bound-premature">' in page
    assert f'An exception to <a href="#lower-bound">{html.escape(base_title)}</a>' in page
    glance = {row.rule_id: row for row in build(policy).timescales}
    assert (glance["lower-bound-premature"].limit, glance["lower-bound-premature"].exception_of) == (
        "no time limit",
        "lower-bound",
    )
    assert glance["lower-bound-premature"].what == "The pre-birth conference takes place"
    assert glance["after-birth-meeting-mother-unfit"].limit == "within 20 working days of the birth"
    assert '(an exception to <a href="#after-birth-meeting">the rule above</a>)' in page
    assert glance["stops-at-plan-end"].limit.endswith("; the clock stops if the plan ends first")


@pytest.mark.parametrize(
    ("cond", "said"),
    [
        ({"event": "strategy_meeting", "happened": False}, "no multi-agency strategy meeting has taken place"),
        ({"event": "birth", "happened": False}, "no birth has taken place"),
        (
            {"event": "birth", "within": "10 weeks", "of": "pre_birth_conference", "boundary": "exclusive"},
            "the child was born less than 10 weeks after the pre-birth conference",
        ),
        (
            {
                "any_of": [
                    {"fact": "child.unborn", "equals": True},
                    {"fact": "child.care_order", "equals": True},
                    {"fact": "child.looked_after", "equals": True},
                ]
            },
            "either the child is not yet born, the child is subject to a care order or the child is looked after by "
            "the local authority",
        ),
        ({"fact": "report.agency", "equals": "childrens_social_care"}, "the report is from children's social care"),
        ({"fact": "report.agency", "equals": "police"}, "the report is from police"),
        (
            {"fact": "report.withholding_agreed", "equals": True, "recorded_by": "due"},
            "the chair agreed that the report be withheld from the family, recorded on or before the due date",
        ),
    ],
)
def test_new_conditions_read_in_plain_english(cond, said) -> None:
    assert condition(cond) == said


def test_quotes_carry_the_line_they_start_on_when_sources_are_given(hostile) -> None:
    policy, sources = hostile
    without = {e.id: e for s in build(policy).sections for e in s.rules}["local-only"]
    assert [q.line for q in without.quotes] == [None, None]
    authors = render(policy, "markdown", audience="authors")
    assert "line" not in authors.split("## Sources")[0].split("## The child protection plan")[1]
    entry = {e.id: e for s in build(policy, sources).sections for e in s.rules}["local-only"]
    assert [q.line for q in entry.quotes] == [4, None]
    assert "(west.txt, lines 4 and not found)" in render(policy, "markdown", sources, audience="authors")
    # The public page names a source by its title, never by the file it was saved as.
    assert "west.txt" not in render(policy, "markdown", sources) + render(policy, "html", sources)


def test_berkshire_quotes_point_at_their_lines_in_the_procedure(berkshire) -> None:
    need_seeds()
    entries = {e.id: e for s in build(berkshire, SEEDS).sections for e in s.rules}
    quote = entries["icpc-timescale"].quotes[0]
    assert (quote.file, quote.line) == ("004_60b63b0436c08953.txt", 74)
    missing = [(e.id, q.text) for e in entries.values() for q in e.quotes if q.line is None]
    assert missing == []


# --- Markdown -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("audience", "name"), [("public", "berkshire.md"), ("authors", "berkshire-authors.md")])
def test_berkshire_markdown_matches_the_golden_file(berkshire, audience, name) -> None:
    need_seeds()
    golden = GOLDEN / name
    text = render(berkshire, "markdown", SEEDS, audience=audience)
    if os.environ.get("CPC_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8", newline="")
    with golden.open(encoding="utf-8", newline="") as handle:
        assert text == handle.read()


def test_markdown_escapes_policy_text_and_lists_withdrawn_rules(hostile) -> None:
    policy, _ = hostile
    text = render(policy, "markdown")
    # The only raw HTML is the anchors the renderer writes; every < of the policy's text is escaped.
    assert re.findall(r"(?<!\\)<(?!a id=\"[a-z0-9_-]+\"></a>|/a>)", text) == []
    assert text.startswith("# Westshire \\<script\\>alert('title')\\</script\\> \\& \"procedures\"\n")
    authors = render(policy, "markdown", audience="authors")
    assert "\\| within 20 working days" in authors and "\\[a link\\](http://example.org)" in authors
    assert '<a id="local-only"></a>' in text
    assert "## Rules that do not apply in westshire" in text
    assert (
        "**Transfer-in conference within 15 days of notification.** Westshire's text sets no \\<em\\>transfer\\</em\\> "
        "timescale \\& defers to the region."
    ) in text
    assert re.findall(r"(?<!\\)<(?!a id=\"[a-z0-9_-]+\"></a>|/a>|/?details>|summary>|/summary>)", authors) == []
    assert "(rule `transfer-in-timescale` of england, withdrawn by westshire)" in authors


# --- HTML structure ----------------------------------------------------------------------------------------


def check_page(page: str, rule_ids: list[str]) -> Node:
    """Assert the structure every rendered page must have; return its DOM."""
    dom = parse(page)
    root = dom.root
    assert dom.doctype.lower() == "doctype html"
    (html_el,) = root.find("html")
    assert html_el.attrs.get("lang") == "en-GB"
    assert any(m.attrs.get("charset", "").lower() == "utf-8" for m in root.find("meta"))
    assert any(m.attrs.get("name") == "viewport" for m in root.find("meta"))
    assert len(root.find("title")) == 1 and root.find("title")[0].all_text().strip()
    # Self-contained and inert: no scripts, handlers, frames or anything fetched from elsewhere.
    assert root.find("script") == [] and root.find("link") == [] and root.find("iframe") == []
    for node in root.walk():
        assert not any(a.startswith("on") for a in node.attrs), node
        assert "src" not in node.attrs, node
    css = "".join(s.all_text() for s in root.find("style"))
    assert "@import" not in css and "url(" not in css
    assert "@media print" in css
    # Landmarks and headings.
    assert len(root.find("h1")) == 1
    for tag in ("header", "nav", "main", "footer"):
        assert len(root.find(tag)) == 1, tag
    ids = [n.attrs["id"] for n in root.walk() if "id" in n.attrs]
    assert len(ids) == len(set(ids)), "duplicate ids"
    skip = root.find("a")[0]
    assert skip.attrs["href"] == "#" + root.find("main")[0].attrs["id"]
    for link in root.find("a"):
        href = link.attrs.get("href", "")
        if href.startswith("#"):
            assert href[1:] in ids, href
    h3_ids = [h.attrs.get("id") for h in root.find("h3")]
    assert sorted(h3_ids) == sorted(rule_ids)
    for h2 in root.find("h2"):
        assert h2.attrs.get("id") and h2.all_text().strip()
    # Tables: a caption, column headers, every header cell scoped.
    for table in root.find("table"):
        assert len(table.find("caption")) == 1 and table.find("caption")[0].all_text().strip()
        headers = table.find("th")
        assert any(th.attrs.get("scope") == "col" for th in headers)
        assert all(th.attrs.get("scope") in ("col", "row", "rowgroup") for th in headers)
    # Quotations: in blockquotes, attributed with <cite> in the figure that holds them.
    for quote in root.find("blockquote"):
        figure = next(a for a in quote.ancestors() if a.tag == "figure")
        assert figure.find("figcaption") and figure.find("cite")
    return root


def test_berkshire_page_has_the_structure_of_an_accessible_procedure(berkshire) -> None:
    page = render(berkshire, "html", SEEDS if SEEDS.is_dir() else None)
    root = check_page(page, list(berkshire.rules))
    headings = [h.all_text() for h in root.find("h2")]
    assert headings == [
        "Contents",
        "About this document",
        "Timescales at a glance",
        "Conference types",
        "Timescales",
        "Attendance and quorum",
        "Exclusion of family members",
        "Reports for the conference",
        "Records and documents",
        "The child protection plan",
        "Step-down",
        "Sources",
    ]
    assert root.find("h1")[0].all_text() == berkshire.title
    about = root.find("main")[0].find("section")[0].all_text()
    assert "national guidance applies" in about and "cannot disagree" in about
    # Each rule once: its statement as the heading, when it need not happen, the procedure's words and source.
    article = next(a for a in root.find("article") if a.attrs.get("aria-labelledby") == "icpc-timescale")
    assert [h.all_text() for h in article.find("h3")] == [berkshire.rules["icpc-timescale"].data["title"]]
    assert [dt.all_text() for dt in article.find("dt")] == ["Need not happen when"]
    assert article.find("blockquote")[0].all_text().startswith("The Initial Child Protection Conference should")
    cite = article.find("figcaption")[0]
    assert cite.all_text() == "— " + berkshire.sources["berkshire-cpc"]["title"]
    assert cite.find("a")[0].attrs["href"] == "#source_berkshire-cpc"
    # Nothing written for the policy's authors: no parameters, readings, rule ids, YAML keys or file names.
    text = root.all_text()
    for leak in ("Parameters of rule", "How this", "icpc-timescale", "optional_when", "004_", "`", "overrides"):
        assert leak not in text, leak
    assert len(root.find("table")) == 1 and root.find("details") == []
    # Sources by title, publisher and date; the policy records no address for Berkshire's, so none is shown.
    source = next(n for n in root.walk() if n.attrs.get("id") == "source_berkshire-cpc").all_text()
    assert source == (
        "Pan-Berkshire Safeguarding Children Partnership procedures, Child Protection Conferences, published by "
        "Pan-Berkshire Safeguarding Children Partnership, 25 March 2025."
    )


def test_hampshire_page_marks_national_rules_and_links_sources(hampshire_policy) -> None:
    root = check_page(render(hampshire_policy, "html"), list(hampshire_policy.rules))
    inherited = next(a for a in root.find("article") if a.attrs.get("aria-labelledby") == "icpc-timescale")
    assert "National guidance: this procedure does not say otherwise." in inherited.all_text()
    own = next(a for a in root.find("article") if a.attrs.get("aria-labelledby") == "first-review-timescale")
    assert "National guidance" not in own.all_text()
    link = next(n for n in root.walk() if n.attrs.get("id") == "source_hips-cpc").find("a")[0]
    assert link.attrs["href"] == "http://hipsprocedures.org.uk"


def test_authors_see_how_each_rule_is_encoded_behind_a_disclosure(berkshire) -> None:
    page = render(berkshire, "html", SEEDS if SEEDS.is_dir() else None, audience="authors")
    root = check_page(page, list(berkshire.rules))
    about = root.find("main")[0].find("section")[0].all_text()
    assert "berkshire/policy.yaml" in about and "v97" in about and "cannot drift apart" in about
    assert len(root.find("details")) == len(berkshire.rules)
    article = next(a for a in root.find("article") if a.attrs.get("aria-labelledby") == "icpc-timescale")
    (details,) = article.find("details")
    assert details.find("summary")[0].all_text() == "How this is encoded"
    text = details.all_text()
    for part in ("What the engine checks:", "Parameters of rule", "Where it comes from:", "How this text is read"):
        assert part in text
    rows = [th.all_text() for th in details.find("th") if th.attrs.get("scope") == "row"]
    assert rows == ["What must happen", "Time limit", "Counted from", "Need not happen when", "Applies when"]
    # A reading's `names` are set as code, not shown with their backticks.
    assert "`" not in root.all_text() and details.find("code")
    if SEEDS.is_dir():
        assert "(004_60b63b0436c08953.txt, lines 74, 76, 87 and 12)" in article.all_text()


def test_page_escapes_every_policy_string(hostile) -> None:
    policy, sources = hostile
    page = render(policy, "html", sources, audience="authors")
    root = check_page(page, list(policy.rules))
    assert root.find("script") == [] and root.find("img") == [] and root.find("em") == []
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; &amp; &#34;procedures&#34;" in page
    assert root.find("h1")[0].all_text() == "Westshire <script>alert('title')</script> & \"procedures\""
    assert root.find("title")[0].all_text().startswith("Westshire <script>")
    article = next(a for a in root.find("article") if a.attrs.get("aria-labelledby") == "local-only")
    assert "</p><script>x</script>." in article.all_text()
    withdrawn = next(n for n in root.walk() if n.attrs.get("id") == "transfer-in-timescale")
    assert "defers to the region" in withdrawn.all_text()


# --- The command --------------------------------------------------------------------------------------------


def test_command_writes_a_file_and_never_overwrites_one_without_force(tmp_path) -> None:
    runner = CliRunner()
    target = tmp_path / "berkshire.html"
    policies = str(ROOT / "policies")
    result = runner.invoke(render_command, ["berkshire", "--format", "html", "--policies", policies, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("<!doctype html>")
    target.write_text("kept", encoding="utf-8")
    again = runner.invoke(render_command, ["berkshire", "--policies", policies, "--output", str(target)])
    assert again.exit_code == 2
    assert again.stderr == f"cpc: {target} exists; pass --force to overwrite it\n"
    assert target.read_text(encoding="utf-8") == "kept"
    forced = runner.invoke(render_command, ["berkshire", "--policies", policies, "-o", str(target), "--force"])
    assert forced.exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("# Pan-Berkshire")


def test_command_prints_markdown_by_default_and_reports_errors_as_cpc(tmp_path, policy_tree) -> None:
    runner = CliRunner()
    policies = str(ROOT / "policies")
    shown = runner.invoke(render_command, ["berkshire", "--policies", policies])
    assert shown.exit_code == 0 and shown.stdout.startswith("# Pan-Berkshire")
    unknown = runner.invoke(render_command, ["nowhere", "--policies", policies])
    assert unknown.exit_code == 2 and unknown.stderr.startswith("cpc: no policy for area 'nowhere'")
    no_sources = runner.invoke(render_command, ["berkshire", "--policies", policies, "--sources", str(tmp_path / "x")])
    assert no_sources.exit_code == 2 and no_sources.stderr == f"cpc: --sources {tmp_path / 'x'}: no such folder\n"
    broken = policy_tree({"england/policy.yaml": ENGLAND.replace("of: strategy_discussion", "of: strategy_discusion")})
    failed = runner.invoke(render_command, ["england", "--policies", str(broken)])
    assert failed.exit_code == 2
    assert "lint error" in failed.stderr and "CPC201" in failed.stderr
    help_text = runner.invoke(render_command, ["--help"]).output
    for option in ("--format", "--audience", "--template", "--sources", "--as-of", "--policies", "--output", "--force"):
        assert option in help_text


def test_an_area_template_extends_the_shipped_page_and_keeps_the_rest(tmp_path) -> None:
    (tmp_path / "procedure.html.j2").write_text(
        '{% extends "cpc/procedure.html.j2" %}\n'
        '{% block branding %}<p class="eyebrow">Royal Borough of {{ doc.name }}</p>{% endblock %}\n'
        "{% block footer %}<footer><p>Owned by the Example Partnership.</p></footer>{% endblock %}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(render_command, ["berkshire", "--format", "html", "--template", str(tmp_path)])
    assert result.exit_code == 0, result.output
    root = check_page(result.stdout, list(open_policy("berkshire").rules))
    assert root.find("header")[0].find("p")[0].all_text() == "Royal Borough of Pan-Berkshire"
    assert root.find("footer")[0].all_text() == "Owned by the Example Partnership."


@pytest.mark.parametrize(
    ("template", "said"),
    [
        (
            "{{ doc.nope }}",
            "procedure.md.j2, line 1: UndefinedError: 'engine.review.render.Document object' has no attribute",
        ),
        ("{% if %}", "procedure.md.j2, line 1: template syntax: Expected an expression"),
        ("{{ doc.__class__ }}", "procedure.md.j2, line 1: SecurityError: access to attribute '__class__'"),
        ('{% include "missing.md.j2" %}', "no template named 'missing.md.j2'"),
    ],
)
def test_a_broken_template_is_named_with_its_line_and_nothing_is_written(tmp_path, template, said) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "procedure.md.j2").write_text(template, encoding="utf-8")
    target = tmp_path / "out.md"
    result = CliRunner().invoke(render_command, ["berkshire", "--template", str(folder), "-o", str(target)])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("cpc: ") and said in result.stderr, result.stderr
    assert "Traceback" not in result.output and not target.exists()
    missing = CliRunner().invoke(render_command, ["berkshire", "--template", str(tmp_path / "none")])
    assert missing.exit_code == 2 and missing.stderr == f"cpc: --template {tmp_path / 'none'}: no such folder\n"


def test_as_of_renders_the_version_in_force_on_that_date(policy_tree) -> None:
    later = ENGLAND.replace('version: "2023"', 'version: "2026"').replace("2023-12-15", "2026-04-01")
    later = later.replace("15 working days", "12 working days")
    root = str(policy_tree({"england/policy.yaml": ENGLAND, "england/policy-2026.yaml": later}))
    runner = CliRunner()
    newest = runner.invoke(render_command, ["england", "--policies", root])
    before = runner.invoke(render_command, ["england", "--policies", root, "--as-of", "2026-03-31"])
    assert newest.exit_code == before.exit_code == 0, newest.output + before.output
    assert "england: version 2026, in force from 1 April 2026." in newest.stdout
    assert "12 working days" in newest.stdout
    assert "england: version 2023, in force from 15 December 2023." in before.stdout
    assert "12 working days" not in before.stdout
    too_early = runner.invoke(render_command, ["england", "--policies", root, "--as-of", "2023-12-14"])
    assert too_early.exit_code == 2 and too_early.stdout == ""
    assert too_early.stderr == (
        "cpc: no version of 'england' is in force on 2023-12-14: the earliest takes effect on 2023-12-15\n"
    )


# --- A real browser ---------------------------------------------------------------------------------------


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)


def png_size_and_colours(path: Path) -> tuple[int, int, int]:
    """Width, height, and how many distinct byte values the first rows hold (1 for a blank page)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        if data[at + 4 : at + 8] == b"IDAT":
            chunks.append(data[at + 8 : at + 8 + length])
        at += 12 + length
    pixels = zlib.decompressobj().decompress(b"".join(chunks), 2_000_000)
    return width, height, len(set(pixels))


def test_berkshire_page_renders_in_a_real_browser(berkshire, tmp_path) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI runs this test")
    page = tmp_path / "berkshire.html"
    page.write_text(render(berkshire, "html", SEEDS if SEEDS.is_dir() else None), encoding="utf-8")
    dumped = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    # What the browser built from the page, not the string that was written: parsed, laid out, serialised.
    root = parse(dumped.stdout).root
    assert len(root.find("h1")) == 1 and root.find("h1")[0].all_text() == berkshire.title
    assert [h.attrs.get("id") for h in root.find("h3")] == [e.id for s in build(berkshire).sections for e in s.rules]
    assert len(root.find("table")) == 1 and root.find("details") == []
    assert all(t.find("caption") for t in root.find("table"))
    assert root.find("script") == []
    shot = tmp_path / "page.png"
    shown = chromium("--screenshot=" + str(shot), "--window-size=1280,2000", page.as_uri(), profile=tmp_path / "p2")
    assert shown.returncode == 0 and shot.is_file(), shown.stderr[-2000:]
    width, height, colours = png_size_and_colours(shot)
    assert (width, height) == (1280, 2000)
    assert shot.stat().st_size > 50_000 and colours > 64, "the screenshot is blank"
    if os.environ.get("CPC_RENDER_SCREENSHOT"):
        # To look at the page as a reader would: CPC_RENDER_SCREENSHOT=/tmp/berkshire.png pytest -k browser
        shutil.copyfile(shot, os.environ["CPC_RENDER_SCREENSHOT"])


def printed_pages(page: Path, tmp_path: Path) -> int:
    """How many pages chromium prints ``page`` to (its print styles applied, no header or footer)."""
    pdf = tmp_path / (page.stem + ".pdf")
    printed = chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri(), profile=tmp_path / "pdf")
    assert printed.returncode == 0 and pdf.is_file(), printed.stderr[-2000:]
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))


@pytest.mark.parametrize("audience", ["public", "authors"])
def test_berkshire_page_passes_axe_and_prints_to_half_its_old_length(berkshire, tmp_path, audience) -> None:
    from .axe import axe_violations, describe, need_axe

    need_axe()
    page = tmp_path / f"berkshire-{audience}.html"
    page.write_text(render(berkshire, "html", SEEDS if SEEDS.is_dir() else None, audience=audience), encoding="utf-8")
    violations = axe_violations(page, tmp_path)
    assert not violations, describe(violations)
    if audience == "public":
        # Before templates the page printed to 54 pages (68 A4 pages in this chromium); the target is half of
        # the 54. Measured: 21.
        assert printed_pages(page, tmp_path) <= 27


def test_the_public_page_gives_the_lists_and_directions_a_title_only_counts(berkshire) -> None:
    root = parse(render(berkshire, "html")).root

    def details(rule_id: str) -> dict[str, str]:
        article = next(a for a in root.find("article") if a.attrs.get("aria-labelledby") == rule_id)
        return {dt.all_text(): dd.all_text() for dt, dd in zip(article.find("dt"), article.find("dd"), strict=True)}

    # "which of the six grounds is met": the six grounds are on the page, not only in the encoding.
    grounds = details("exclusion-request-grounds")["Requires"]
    assert grounds.startswith("The request states one of these grounds:") and grounds.count(";") == 5
    # A direction's substance, which its title only names: the excluded parent's rights.
    assert "their rights and the complaints procedure" in details("exclusion-decided-before-conference")["What to do"]
    assert "seven" in berkshire.rules["review-brought-forward"].data["title"]
    assert details("review-brought-forward")["What to do"].count(";") >= 6


def _area(policy_tree, publication: str) -> Path:
    area = 'area: westshire\ntitle: Westshire procedure\nname: Westshire\nversion: "1"\n'
    area += "effective_from: 2025-01-01\nextends: england\n" + publication
    area += 'sources:\n  west:\n    title: West\n    file: west.txt\n    published: "2025-02-03"\n'
    area += "overrides:\n  - id: icpc-timescale\n    title: Initial conference within 15 working days.\n"
    area += "    cite:\n      source: west\n      quote: within 15 working days\n"
    return policy_tree({"england/policy.yaml": ENGLAND, "westshire/policy.yaml": area})


def test_the_header_shows_owner_contact_and_review_date_however_the_date_is_written(policy_tree) -> None:
    root = _area(
        policy_tree,
        'publication:\n  owner: Westshire Partnership\n  contact: cp@west.example\n  review_by: "2099-03-31"\n',
    )
    result = CliRunner().invoke(render_command, ["westshire", "--format", "html", "--policies", str(root)])
    assert result.exit_code == 0 and result.stderr == "", result.output
    page = parse(result.stdout).root
    meta = dict(zip([d.all_text() for d in page.find("dt")], [d.all_text() for d in page.find("dd")], strict=False))
    assert meta["Owner"] == "Westshire Partnership" and meta["Next review"] == "31 March 2099"
    assert meta["Contact"] == "cp@west.example"
    assert any(a.attrs.get("href") == "mailto:cp@west.example" for a in page.find("a"))
    # A quoted date is a date: the source's publication reads as the procedure writes dates.
    assert "West, 3 February 2025." in page.all_text()
    markdown = CliRunner().invoke(render_command, ["westshire", "--policies", str(root)]).stdout
    assert "Owner: Westshire Partnership. Contact: cp@west.example." in markdown
    assert "Next review: 31 March 2099." in markdown


def test_a_review_date_that_has_passed_is_warned_of(policy_tree) -> None:
    root = _area(policy_tree, "publication:\n  review_by: 2020-01-01\n")
    result = CliRunner().invoke(render_command, ["westshire", "--policies", str(root)])
    assert result.exit_code == 0 and "Next review: 1 January 2020." in result.stdout
    assert result.stderr == "cpc: warning: the procedure's review date, 1 January 2020, has passed\n"


def test_template_files_no_page_read_are_warned_of_and_a_file_is_not_a_folder(tmp_path) -> None:
    (tmp_path / "Procedure.html.j2").write_text('{% extends "cpc/procedure.html.j2" %}', encoding="utf-8")
    (tmp_path / "rule.md.j2").write_text("{{ entry.title }}", encoding="utf-8")
    result = CliRunner().invoke(render_command, ["berkshire", "--format", "html", "--template", str(tmp_path)])
    assert result.exit_code == 0 and result.stdout.startswith("<!doctype html>")
    assert result.stderr == (
        f"cpc: warning: --template {tmp_path}: not used for --format html: Procedure.html.j2, rule.md.j2 (the html "
        "page starts from procedure.html.j2; docs/publishing.md lists the templates)\n"
    )
    used = CliRunner().invoke(render_command, ["berkshire", "--template", str(tmp_path)])
    assert used.exit_code == 0 and "Procedure.html.j2" in used.stderr and "rule.md.j2" not in used.stderr
    file = tmp_path / "rule.md.j2"
    refused = CliRunner().invoke(render_command, ["berkshire", "--template", str(file)])
    assert refused.exit_code == 2
    assert refused.stderr == f"cpc: --template {file}: is a file; give the folder that holds it\n"


def test_a_misspelt_variable_is_answered_with_the_name_meant(tmp_path) -> None:
    (tmp_path / "procedure.md.j2").write_text("# {{ doc.ownr }}", encoding="utf-8")
    result = CliRunner().invoke(render_command, ["berkshire", "--template", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.endswith("has no attribute 'ownr'; did you mean 'owner'?\n"), result.stderr


def test_the_brand_colour_is_one_variable_an_area_sets(tmp_path) -> None:
    (tmp_path / "procedure.html.j2").write_text(
        '{% extends "cpc/procedure.html.j2" %}{% block styles %}:root { --brand: #00594f; }{% endblock %}',
        encoding="utf-8",
    )
    page = CliRunner().invoke(render_command, ["berkshire", "--format", "html", "--template", str(tmp_path)]).stdout
    css = "".join(s.all_text() for s in parse(page).root.find("style"))
    assert "#1d3557" not in css.replace("--brand: #1d3557", "") and css.count("var(--brand)") >= 5
    assert css.rindex("--brand: #00594f") > css.index("--brand: #1d3557")


def test_output_dash_is_standard_output_not_a_file(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(render_command, ["berkshire", "-o", "-"])
    assert result.exit_code == 0 and result.stdout.startswith("# Pan-Berkshire")
    assert list(tmp_path.iterdir()) == []


def test_a_block_the_page_does_not_have_is_warned_of_and_a_misspelt_name_gets_the_one_meant(tmp_path) -> None:
    (tmp_path / "procedure.html.j2").write_text(
        '{% extends "cpc/procedure.html.j2" %}{% block brandng %}<p>Example</p>{% endblock %}', encoding="utf-8"
    )
    result = CliRunner().invoke(render_command, ["berkshire", "--format", "html", "--template", str(tmp_path)])
    assert result.exit_code == 0 and "<p>Example</p>" not in result.stdout
    assert result.stderr == (
        f"cpc: warning: --template {tmp_path}: procedure.html.j2: block 'brandng' is not a block of the page it "
        "extends, so it is not shown (docs/publishing.md lists the blocks)\n"
    )
    (tmp_path / "procedure.md.j2").write_text("{{ docs.owner }}", encoding="utf-8")
    wrong = CliRunner().invoke(render_command, ["berkshire", "--template", str(tmp_path)])
    assert wrong.exit_code == 2 and wrong.stderr.endswith("'docs' is undefined; did you mean 'doc'?\n")


def test_the_header_text_and_links_take_the_brand_text_colour() -> None:
    css = "".join(s.all_text() for s in parse(render(open_policy("berkshire"), "html")).root.find("style"))
    assert (
        ".eyebrow { margin: 0 0 0.35rem; font-size: 0.95rem; letter-spacing: 0.02em; color: var(--brand-text); }" in css
    )
    assert "header.masthead a { color: var(--brand-text);" in css


def test_no_rule_heading_is_cut_across_printed_pages(berkshire, tmp_path) -> None:
    if not CHROMIUM.exists() or not shutil.which("pdftotext"):
        if os.environ.get("CI"):
            pytest.fail("CI is set but chromium or pdftotext is missing: apt-get install chromium poppler-utils")
        pytest.skip("needs chromium and pdftotext (apt-get install chromium poppler-utils); CI runs this test")
    page = tmp_path / "berkshire.html"
    page.write_text(render(berkshire, "html"), encoding="utf-8")
    printed_pages(page, tmp_path)
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "berkshire.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    titles = [" ".join(str(r.data["title"]).split()) for r in berkshire.rules.values()]
    for number, sheet in enumerate(text.split("\f")[:-1], start=1):
        last = " ".join(sheet.split())
        # A page that ends inside a heading ends with the start of a title whose rest is on the next page.
        cut = [t for t in titles if any(last.endswith(t[:n]) for n in range(20, len(t) - 5))]
        assert not cut, f"page {number} ends inside the heading {cut[0]!r}"
