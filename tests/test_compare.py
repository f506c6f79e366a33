"""`cpc compare`: the matrix of values across areas, which is strictest, and its three renderings.

Golden files under tests/data/compare/ hold the output for the shipped policies; regenerate them with
CPC_UPDATE_GOLDEN=1 after a deliberate change, and review the diff.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.compare_command import compare
from engine.policy.policies import open_policy
from engine.review.compare import Comparison, Row, compare_policies
from engine.review.compare_formats import csv_header, render, render_csv
from engine.review.compare_labels import BLANK

from .conftest import ROOT

GOLDEN = Path(__file__).parent / "data" / "compare"
SHIPPED = ("england", "berkshire", "hampshire")

# A baseline and two areas built to exercise every way a cell and a row can come out.
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
  - id: first-review-timescale
    title: First review within 3 months.
    kind: deadline
    topic: timescales
    deadline:
      what: review_conference
      within: 3 months
      of: first_conference
    cite:
      source: wt
      quote: "the review conference within 3 months of the initial conference"
  - id: exclusion-request-notice
    title: Exclusion requests are made at least 3 working days before the conference.
    kind: deadline
    topic: exclusion
    deadline:
      what: exclusion_request
      at_least: 3 working days
      before: conference
      optional: true
    cite:
      source: wt
      quote: "at least 3 working days in advance"
  - id: quorum
    title: A conference is quorate with social care and at least 2 other agencies.
    kind: requirement
    topic: quorum
    requirement:
      applies_to: conference
      require:
        - fact: conference.social_care_present
          equals: true
        - fact: conference.other_agencies_present
          at_least: 2
    cite:
      source: wt
      quote: "children's social care and at least 2 other agencies"
  - id: child-attendance
    title: A child of 12 or over is offered the chance to attend.
    kind: decision
    topic: attendance
    when:
      - fact: conference.child_age_years
        at_least: 12
    decision:
      action: offer_attendance
      directs: Offer the child the chance to attend.
    cite:
      source: wt
      quote: "a child aged 12 or over should be offered the chance to attend"
  - id: documents-sent
    title: Documents are sent within 24 hours of the conference.
    kind: deadline
    topic: records
    deadline:
      what: documents_sent
      within: 24 hours
      of: conference
    cite:
      source: wt
      quote: "sent within 24 hours of the conference"
"""

WESTSHIRE = """\
area: westshire
title: Westshire procedure
version: "2"
effective_from: 2025-01-01
extends: england
sources:
  west:
    title: Westshire
    file: west.txt
overrides:
  - id: icpc-timescale
    deadline:
      within: 10 working days
    cite:
      source: west
      quote: "within 10 working days of the strategy discussion"
  - id: transfer-in-timescale
    deadline:
      within: 15 working days
    cite:
      source: west
      quote: "within 15 working days of notification"
  - id: first-review-timescale
    deadline:
      within: 13 weeks
    cite:
      source: west
      quote: "the first review within 13 weeks"
  - id: exclusion-request-notice
    deadline:
      at_least: 5 working days
    cite:
      source: west
      quote: "at least 5 working days before the conference"
  - id: child-attendance
    when:
      - fact: conference.child_age_years
        at_least: 10
    cite:
      source: west
      quote: "a child aged 10 or over is offered the chance to attend"
withdrawn:
  - id: documents-sent
    reason: Westshire sends documents at the conference itself.
rules:
  - id: local-only
    title: <script>alert(1)</script> The plan is discussed with parents within 20 working days.
    kind: deadline
    topic: plans
    deadline:
      what: plan_discussed_with_parents
      within: 20 working days
      of: first_conference
    cite:
      source: west
      quote: "discussed with the parents within 20 working days"
"""

EASTSHIRE = """\
area: eastshire
title: Eastshire procedure
version: "1"
effective_from: 2025-01-01
extends: england
sources:
  east:
    title: Eastshire
    file: east.txt
overrides:
  - id: quorum
    requirement:
      require:
        - fact: conference.social_care_present
          equals: true
        - fact: conference.other_agencies_present
          at_least: 3
    cite:
      source: east
      quote: "social care and at least 3 other agencies"
"""


# An area that extends a local area: what it inherits comes from whichever area last set each value.
NORTHSHIRE = """\
area: northshire
title: Northshire procedure
version: "1"
effective_from: 2025-06-01
extends: westshire
sources:
  north:
    title: Northshire
    file: north.txt
"""


@pytest.fixture(scope="module")
def shipped() -> Comparison:
    return compare_policies([open_policy(area, ROOT / "policies") for area in SHIPPED])


@pytest.fixture
def fixtures(policy_tree) -> Path:
    return policy_tree(
        {"england/policy.yaml": ENGLAND, "westshire/policy.yaml": WESTSHIRE, "eastshire/policy.yaml": EASTSHIRE}
    )


@pytest.fixture
def fixture_comparison(fixtures: Path) -> Comparison:
    return compare_policies([open_policy(area, fixtures) for area in ("england", "westshire", "eastshire")])


def row(comparison: Comparison, rule_id: str, last: str | None = None, path: tuple | None = None) -> Row:
    found = [
        r
        for r in comparison.rows
        if r.rule_id == rule_id and (last is None or r.path[-1] == last) and (path is None or r.path == path)
    ]
    assert len(found) == 1, [r.path for r in found]
    return found[0]


def cells(comparison: Comparison, rule_id: str, path: tuple | None = None) -> dict[str, tuple[str, str, str, bool]]:
    """Each area's (status, value, source, strictest) for a rule's only row, or its row at ``path``, by area."""
    return {
        col.key: (c.status, c.text, c.source, c.strictest)
        for col, c in zip(comparison.columns, row(comparison, rule_id, path=path).cells, strict=True)
    }


# --- Golden outputs for the shipped policies ---------------------------------------------------------------


@pytest.mark.parametrize("fmt,suffix", [("markdown", "md"), ("text", "txt"), ("csv", "csv"), ("html", "html")])
def test_shipped_policies_match_the_golden_output(shipped: Comparison, fmt: str, suffix: str) -> None:
    golden = GOLDEN / f"england-berkshire-hampshire.{suffix}"
    text = render(shipped, fmt)
    if os.environ.get("CPC_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8", newline="")
    with golden.open(encoding="utf-8", newline="") as handle:
        assert text == handle.read()


def test_only_differences_keeps_the_rows_where_the_areas_do_not_all_say_the_same(shipped: Comparison) -> None:
    kept = shipped.differences()
    assert set(kept.rows) < set(shipped.rows)
    for row in shipped.rows:
        said = {c.status if c.status in ("absent", "withdrawn") else c.text for c in row.cells}
        assert (row in kept.rows) == (len(said) > 1), row.rule_id
    transfer = [r for r in kept.rows if r.rule_id == "transfer-in-timescale"]
    assert transfer, "15 working days against 15 days is a difference"


def test_only_differences_between_an_area_and_what_it_restates_is_empty() -> None:
    # Hampshire's text restates the national review timescales and inherits the rest: nothing differs.
    result = CliRunner().invoke(compare, ["england", "hampshire", "--format", "csv", "--only-differences"])
    assert result.exit_code == 0, result.output
    full = CliRunner().invoke(compare, ["england", "hampshire", "--format", "csv"])
    assert len(full.output.splitlines()) > 1
    assert result.output.splitlines() == full.output.splitlines()[:1]


def test_the_html_page_is_british_english_with_print_styles(shipped: Comparison) -> None:
    page = render(shipped, "html")
    assert '<html lang="en-GB">' in page
    assert "@media print" in page
    assert "max-width: 75rem" in page


# --- Text: a terminal's width ------------------------------------------------------------------------------


@pytest.mark.parametrize("only", [[], ["--only-differences"]], ids=["every-row", "only-differences"])
def test_text_for_the_shipped_areas_fits_in_100_columns(only: list[str]) -> None:
    args = [*SHIPPED, "--policies", str(ROOT / "policies"), "--format", "text", *only]
    result = CliRunner().invoke(compare, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line for line in lines if len(line) > 100] == []
    assert lines[0] == "Compare: England, Pan-Berkshire, Hampshire (HIPS) — newest versions"
    # Each topic's columns are headed by the areas' names, and a long value wraps within its column.
    headers = [re.split(r"\s{2,}", line.strip()) for line in lines if line.strip().startswith("England  ")]
    assert headers and all(h == ["England", "Pan-Berkshire", "Hampshire (HIPS)", "Compared"] for h in headers)
    start = lines.index("into the area [transfer-in-timescale]")
    assert lines[start - 1] == (
        "The transfer-in conference takes place within … of notification that the child has moved permanently"
    )
    assert [re.split(r"\s{2,}", line.strip()) for line in lines[start + 1 : start + 3]] == [
        ["★ 15 days", "15 working days (changed)", "★ 15 days (from England)", "strictest: England,"],
        ["Hampshire (HIPS)"],
    ]


def _words(line: str) -> list[str]:
    return line.split()


@pytest.mark.parametrize("width", [80, 60])
def test_text_fits_a_narrower_terminal_without_breaking_a_heading_within_a_word(shipped: Comparison, width) -> None:
    lines = render(shipped, "text", width).splitlines()
    assert [line for line in lines if len(line) > width] == []
    # The columns are narrower and their values wrap, but a heading or value word is never cut in two.
    headers = [i for i, line in enumerate(lines) if line.startswith("    England  ")]
    assert len(headers) == len(shipped.topics())
    for i in headers:
        rule = next(j for j in range(i, len(lines)) if lines[j].lstrip().startswith("---"))
        said = sorted(word for line in lines[i:rule] for word in _words(line))
        assert said == sorted(["England", "Pan-Berkshire", "Hampshire", "(HIPS)", "Compared"]), lines[i:rule]
    transfer = lines.index(next(line for line in lines if line.endswith("[transfer-in-timescale]")))
    values = [word for line in lines[transfer + 1 : transfer + 5] for word in _words(line)]
    assert {"strictest:", "England,", "(HIPS)", "(changed)", "working"} <= set(values)
    assert not [w for w in values if w in ("Compa", "red", "Hamp", "shire", "Engl", "and,")]


def test_text_is_as_wide_as_the_terminal_within_60_to_100_columns(monkeypatch) -> None:
    import shutil
    import sys

    from engine.cli.compare_command import _text_width

    class Terminal:
        @staticmethod
        def isatty() -> bool:
            return True

    for columns, width in [(40, 60), (80, 80), (120, 100)]:
        monkeypatch.setattr(sys, "stdout", Terminal())
        monkeypatch.setattr(
            shutil, "get_terminal_size", lambda fallback, columns=columns: os.terminal_size((columns, 24))
        )
        assert _text_width(None) == width
        # Written to a file, the text keeps its 100 columns whatever the terminal.
        assert _text_width(Path("compare.txt")) == 100
    monkeypatch.undo()
    # Not a terminal (a pipe, or the test runner's capture): 100 columns.
    result = CliRunner().invoke(compare, [*SHIPPED, "--policies", str(ROOT / "policies"), "--format", "text"])
    assert max(len(line) for line in result.stdout.splitlines()) == 100


def test_text_says_so_when_every_area_says_the_same() -> None:
    args = ["england", "hampshire", "--policies", str(ROOT / "policies"), "--format", "text", "--only-differences"]
    result = CliRunner().invoke(compare, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(
        "\nEvery area says the same: no value differs, and no area lacks a rule another has.\n"
    )
    said = " ".join(result.stdout.split())
    assert "None of the 7 rows differs, so all are left out." in said
    # Nothing to read: no legend.
    assert "How to read the tables" not in result.stdout


def test_text_with_more_areas_than_columns_fit_lists_each_value_under_its_row(policy_tree) -> None:
    areas = [f"shire{n}" for n in range(9)]
    files = {"england/policy.yaml": ENGLAND}
    for n, area in enumerate(areas):
        named = EASTSHIRE.replace("area: eastshire", f"area: {area}\nname: The County of Shire Number {n}")
        files[f"{area}/policy.yaml"] = named
    root = policy_tree(files)
    comparison = compare_policies([open_policy(area, root) for area in ["england", *areas]])
    lines = render(comparison, "text").splitlines()
    assert [line for line in lines if len(line) > 100] == []
    start = lines.index("[exclusion-request-notice]")
    assert lines[start - 1] == "A request to exclude a parent is made to the chair at least … before the conference"
    assert lines[start + 1 : start + 3] == [
        "    england: 3 working days",
        "    The County of Shire Number 0: 3 working days (from england)",
    ]


def test_text_escapes_control_characters_and_wraps_what_has_no_spaces(policy_tree) -> None:
    long = "x" * 150
    hostile = WESTSHIRE.replace("title: Westshire procedure", f'name: "West\\e[31mshire"\ntitle: {long}')
    root = policy_tree({"england/policy.yaml": ENGLAND, "westshire/policy.yaml": hostile})
    text = render(compare_policies([open_policy(a, root) for a in ("england", "westshire")]), "text")
    assert "\x1b" not in text
    assert "West\\x1b[31mshire" in text
    assert [line for line in text.splitlines() if len(line) > 100] == []


# --- JSON: for programs ------------------------------------------------------------------------------------


def test_json_keys_each_area_by_its_area_with_its_name_beside_it(shipped: Comparison) -> None:
    data = json.loads(render(shipped, "json"))
    assert [(a["key"], a["area"], a["name"]) for a in data["areas"]] == [
        ("england", "england", "England"),
        ("berkshire", "berkshire", "Pan-Berkshire"),
        ("hampshire", "hampshire", "Hampshire (HIPS)"),
    ]
    assert data["names"] == {"england": "England", "berkshire": "Pan-Berkshire", "hampshire": "Hampshire (HIPS)"}
    assert data["only_differences"] is False
    assert len(data["rows"]) == len(shipped.rows)
    transfer = next(r for r in data["rows"] if r["rule"] == "transfer-in-timescale")
    assert transfer["label"] == (
        "The transfer-in conference takes place within … of notification that the child has moved permanently "
        "into the area"
    )
    assert (transfer["path"], transfer["compared"], transfer["stricter_is"]) == (
        ["deadline", "within"],
        "stricter",
        "shorter",
    )
    assert transfer["strictest"] == ["england", "hampshire"]
    assert transfer["values"] == {
        "england": {"value": "15 days", "status": "local", "from": "england", "strictest": True},
        "berkshire": {"value": "15 working days", "status": "changed", "from": "berkshire", "strictest": False},
        "hampshire": {"value": "15 days", "status": "inherited", "from": "england", "strictest": True},
    }
    quorum = next(r for r in data["rows"] if r["rule"] == "quorum")
    assert quorum["values"]["england"] == {"value": None, "status": "absent", "from": None, "strictest": False}


def test_json_lists_withdrawn_rules_and_says_when_rows_are_left_out(fixtures: Path) -> None:
    args = ["england", "westshire", "--policies", str(fixtures), "--format", "json", "--only-differences"]
    result = CliRunner().invoke(compare, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["only_differences"] is True
    assert data["withdrawn"] == [
        {
            "area": "westshire",
            "rule": "documents-sent",
            "by": "westshire",
            "defined_in": "england",
            "reason": "Westshire sends documents at the conference itself.",
        }
    ]
    documents = next(r for r in data["rows"] if r["rule"] == "documents-sent")
    assert documents["values"]["westshire"] == {
        "value": None,
        "status": "withdrawn",
        "from": "westshire",
        "strictest": False,
    }


def test_json_names_its_format_the_date_and_how_many_rows_were_left_out(fixtures: Path, two_versions: Path) -> None:
    def run(*args: str) -> dict:
        result = CliRunner().invoke(compare, [*args, "--format", "json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    data = run("england", "westshire", "eastshire", "--policies", str(fixtures), "--only-differences")
    # Versioned as a results file is ("results_format"): the first key, a number raised when a key changes.
    assert list(data)[:2] == ["compare_format", "as_of"]
    assert (data["compare_format"], data["as_of"]) == (1, None)
    assert (data["only_differences"], data["left_out"], len(data["rows"])) == (True, 0, 8)
    # The same verdict as the other formats, and the words they show beside it.
    documents = next(r for r in data["rows"] if r["rule"] == "documents-sent")
    assert (documents["compared"], documents["note"]) == ("same where set", "same where set")
    transfer = next(r for r in data["rows"] if r["rule"] == "transfer-in-timescale")
    assert (transfer["compared"], transfer["note"]) == ("stricter", "strictest: england, eastshire")
    dated = run("england", "westshire", "--policies", str(two_versions), "--as-of", "2026-03-31", "--only-differences")
    assert dated["as_of"] == "2026-03-31"
    assert (dated["left_out"], len(dated["rows"])) == (1, 7)


@pytest.mark.parametrize(
    ("as_of", "said"),
    [([], "newest versions"), (["--as-of", "2026-03-31"], "as of 31 March 2026")],
)
def test_every_format_says_which_versions_are_compared(two_versions: Path, as_of: list[str], said: str) -> None:
    def run(fmt: str) -> str:
        result = CliRunner().invoke(
            compare, ["england", "westshire", "--policies", str(two_versions), *as_of, "--format", fmt]
        )
        assert result.exit_code == 0, result.output
        return result.stdout

    heading = f"Compare: england, westshire — {said}"
    assert run("markdown").startswith(f"# {heading}\n")
    assert run("text").startswith(f"{heading}\n")
    page = run("html")
    assert f"<h1>{heading}</h1>" in page and f"<title>cpc compare: england, westshire — {said}</title>" in page
    sentence = (
        "Each area's policy is compared in the version in force on 31 March 2026."
        if as_of
        else "Each area's policy is compared in its newest version."
    )
    assert sentence in " ".join(run("text").split())


def test_only_differences_says_how_many_rows_it_left_out(fixtures: Path) -> None:
    args = ["england", "westshire", "--policies", str(fixtures), "--only-differences"]
    markdown = CliRunner().invoke(compare, args).stdout
    full = compare_policies([open_policy(area, fixtures) for area in ("england", "westshire")])
    kept = full.differences()
    assert (len(kept.rows), len(full.rows)) == (7, 8)
    assert "7 of 8 rows differ; 1 where every area says the same is left out." in markdown
    text = CliRunner().invoke(compare, [*args, "--format", "text"]).stdout
    assert "7 of 8 rows differ; 1 where every area says the same is left out." in " ".join(text.split())
    everything = CliRunner().invoke(compare, ["england", "westshire", "--policies", str(fixtures)]).stdout
    assert "left out" not in everything


def test_the_legend_lists_only_the_markers_the_tables_use(fixtures: Path, shipped: Comparison) -> None:
    def terms(markdown: str) -> list[str]:
        legend = markdown.split("Legend:\n\n", 1)[1].split("\n\n", 1)[0]
        return [line[2:].split(": ", 1)[0] for line in legend.splitlines()]

    # The shipped areas: nothing withdrawn, no dates to depend on, no direction's threshold differing.
    assert terms(render(shipped, "markdown")) == [
        "…",
        "**bold**",
        "*italics (from AREA)*",
        "(restated)",
        "(changed)",
        "—",
        "(exclusive)",
        "does not apply",
    ]
    fixture = compare_policies([open_policy(area, fixtures) for area in ("england", "westshire", "eastshire")])
    assert terms(render(fixture, "markdown")) == [
        "…",
        "**bold**",
        "*italics (from AREA)*",
        "(changed)",
        "—",
        "withdrawn",
        "same where set",
        "depends on dates",
        "differs, none stricter",
    ]
    # No rows, no legend, in any format.
    args = ["england", "hampshire", "--only-differences", "--format"]
    for fmt, legend in [
        ("markdown", "Legend:"),
        ("text", "How to read the tables"),
        ("html", "How to read the tables"),
    ]:
        assert legend not in CliRunner().invoke(compare, [*args, fmt]).stdout


def test_a_row_set_in_one_area_only_says_so_in_every_format(fixture_comparison: Comparison) -> None:
    local = row(fixture_comparison, "local-only")
    assert local.verdict == "one area only"
    assert "| — | 20 working days | — | one area only |" in render(fixture_comparison, "markdown")
    text = render(fixture_comparison, "text").splitlines()
    start = next(i for i, line in enumerate(text) if line.endswith("[local-only]"))
    assert re.split(r"\s{2,}", text[start + 1].strip()) == ["—", "20 working days", "—", "one area only"]
    record = next(
        r for r in csv.DictReader(io.StringIO(render(fixture_comparison, "csv"))) if r["rule"] == "local-only"
    )
    assert record["compared"] == "one area only"
    data = json.loads(render(fixture_comparison, "json"))
    assert next(r for r in data["rows"] if r["rule"] == "local-only")["compared"] == "one area only"


def test_csv_gives_the_heading_each_row_is_shown_under_beside_its_topic(shipped: Comparison) -> None:
    records = list(csv.DictReader(io.StringIO(render(shipped, "csv"))))
    assert {(r["topic"], r["heading"]) for r in records if r["rule"] in ("quorum", "child-attendance-12-and-over")} == {
        ("quorum", "Attendance and quorum"),
        ("attendance", "Attendance and quorum"),
    }
    assert [heading for heading, _ in shipped.topics()] == list(dict.fromkeys(r["heading"] for r in records))


def test_transfer_in_shows_where_berkshire_and_hampshire_differ(shipped: Comparison) -> None:
    assert cells(shipped, "transfer-in-timescale", ("deadline", "within")) == {
        "england": ("local", "15 days", "england", True),
        # Berkshire's text says 15 working days, which always spans more calendar days than 15 days.
        "berkshire": ("overridden", "15 working days", "berkshire", False),
        # Hampshire's text is silent, so the national 15 days applies.
        "hampshire": ("inherited", "15 days", "england", True),
    }
    assert row(shipped, "transfer-in-timescale", path=("deadline", "within")).verdict == "stricter"


def test_shipped_restatements_and_inheritance_are_told_apart(shipped: Comparison) -> None:
    assert cells(shipped, "icpc-timescale") == {
        "england": ("local", "15 working days", "england", False),
        "berkshire": ("restated", "15 working days", "berkshire", False),
        "hampshire": ("inherited", "15 working days", "england", False),
    }
    assert row(shipped, "icpc-timescale").verdict == "same"
    assert cells(shipped, "review-interval")["hampshire"] == ("restated", "6 months", "hampshire", False)
    # Berkshire's override of plan-end-at-18 changes what it directs, not the age, which stays England's.
    assert cells(shipped, "plan-end-at-18")["berkshire"] == ("inherited", "18", "england", False)
    # A decision's age threshold has no stricter side, but where every area says 18 that is plainly the same.
    assert row(shipped, "plan-end-at-18").verdict == "same"


def test_columns_are_headed_by_each_policys_short_name(shipped: Comparison) -> None:
    markdown = render(shipped, "markdown")
    assert markdown.startswith("# Compare: England, Pan-Berkshire, Hampshire (HIPS) — newest versions\n")
    assert "| What the procedure says | Rule | England | Pan-Berkshire | Hampshire (HIPS) | Compared |" in markdown
    # The area a reader types stays beside the name, with the version and its date as the procedures write it.
    assert (
        "- **Hampshire (HIPS)** (`hampshire`): HIPS procedures, 1.4 Child Protection Conferences (version printed "
        "2024-04-24, in force from 24 April 2024; extends England)"
    ) in markdown
    # An inherited value and the strictest areas are named as the columns are.
    assert "| *15 working days (from England)* |" in markdown
    assert "| strictest: England, Hampshire (HIPS) |" in markdown
    page = render(shipped, "html")
    assert '<th scope="col">England</th><th scope="col">Pan-Berkshire</th><th scope="col">Hampshire (HIPS)</th>' in page
    assert "<title>cpc compare: England, Pan-Berkshire, Hampshire (HIPS) — newest versions</title>" in page
    header = next(csv.reader(io.StringIO(render(shipped, "csv"))))
    assert header[:8] == ["topic", "heading", "rule", "title", "parameter", "stricter_is", "compared", "strictest"]
    assert header[8:12] == ["England", "England status", "England from", "England strictest"]
    assert header[12:] == [
        "Pan-Berkshire",
        "Pan-Berkshire status",
        "Pan-Berkshire from",
        "Pan-Berkshire strictest",
        "Hampshire (HIPS)",
        "Hampshire (HIPS) status",
        "Hampshire (HIPS) from",
        "Hampshire (HIPS) strictest",
    ]


def test_a_policy_without_a_name_is_headed_by_its_area(fixture_comparison: Comparison) -> None:
    assert [(c.label, c.key) for c in fixture_comparison.columns] == [
        ("england", "england"),
        ("westshire", "westshire"),
        ("eastshire", "eastshire"),
    ]


def test_areas_sharing_a_name_and_versions_of_one_area_are_told_apart(policy_tree) -> None:
    def named(policy: str) -> str:
        return policy.replace("\ntitle: ", "\nname: Shire\ntitle: ", 1)

    root = policy_tree(
        {
            "england/policy.yaml": ENGLAND,
            "westshire/policy.yaml": named(WESTSHIRE),
            "westshire/policy-2026.yaml": named(WESTSHIRE_2026),
            "eastshire/policy.yaml": named(EASTSHIRE),
        }
    )
    files = [root / "westshire" / "policy.yaml", root / "westshire" / "policy-2026.yaml"]
    versions = compare_policies([open_policy(str(f), root) for f in files])
    assert [(c.label, c.key) for c in versions.columns] == [("Shire 2", "westshire 2"), ("Shire 3", "westshire 3")]
    areas = compare_policies([open_policy(a, root) for a in ("westshire", "eastshire")])
    assert [(c.label, c.key) for c in areas.columns] == [
        ("Shire (westshire)", "westshire"),
        ("Shire (eastshire)", "eastshire"),
    ]


def test_shipped_rows_are_grouped_by_topic_in_the_procedures_order(shipped: Comparison) -> None:
    # Under the headings of the published procedure, in its order: attendance and quorum together as there.
    from engine.review.render import build

    topics = [topic for topic, _ in shipped.topics()]
    assert topics == [section.heading for section in build(open_policy("berkshire", ROOT / "policies")).sections]
    assert {row.topic for _, rows in shipped.topics()[2:3] for row in rows} == {"attendance", "quorum"}
    assert cells(shipped, "quorum") == {
        "england": ("absent", "", "", False),
        "berkshire": ("local", "2", "berkshire", False),
        "hampshire": ("absent", "", "", False),
    }
    assert row(shipped, "quorum").label == (
        "A conference is quorate with children's social care and at least two other professional groups or agencies "
        "that have had direct contact with the child — requires that at least … other professional groups or "
        "agencies with direct contact with the child attend"
    )


def test_shipped_rows_are_labelled_in_the_procedures_words(shipped: Comparison) -> None:
    labels = {(r.rule_id, r.path): r.label for r in shipped.rows}
    assert labels["pre-birth-conference-earlier-if-premature", ("disapplies",)] == (
        "Exception: where a premature birth is likely, the time limit for the pre-birth conference does not apply"
    )
    assert labels["icpc-timescale", ("deadline", "within")] == (
        "The initial conference or the pre-birth conference takes place within … of the strategy discussion; it "
        "need not happen when the team manager has recorded the decision not to call a conference after the "
        "section 47 enquiry, recorded on or before the due date"
    )
    assert labels["review-interval", ("deadline", "within")] == (
        "The next review conference takes place within … of the previous review conference"
    )
    assert labels["child-attendance-12-and-over", ("when", 0, "at_least")] == (
        "A child aged twelve or over should be offered the chance to attend the conference (a rebuttable "
        "presumption) — applies when the child is … or over"
    )
    assert labels["pre-birth-first-review", ("deadline", "whichever_sooner", 0, "within")] == (
        "When the plan was made at a pre-birth conference, a review conference takes place within … of the birth, "
        "if that is sooner"
    )
    assert labels["cin-plan-minimum-duration", ("when", 0, "within")] == (
        "A child in need plan after step-down stays open at least 3 months unless a senior manager agrees to close "
        "it earlier — applies when the child in need plan closed less than … after the start of the child in need "
        "plan"
    )
    # No label names a vocabulary term (initial_conference, conference.child_age_years) or a rule.
    ids = {r.rule_id for r in shipped.rows}
    for (_, path), label in labels.items():
        assert re.search(r"[a-z]_[a-z]|[a-z]\.[a-z]", label) is None, label
        assert not [i for i in ids if "-" in i and i in label], label
        # "…" is where the value goes; an exception that disapplies its rule has none ("does not apply").
        assert label.count(BLANK) == (path != ("disapplies",)), label


# --- The constructs of the policy language -----------------------------------------------------------------

# The pair tests/data/diff/constructs/{old,new} changes one construct per rule; side by side, as two areas.
CONSTRUCTS = ROOT / "tests" / "data" / "diff" / "constructs"


@pytest.fixture(scope="module")
def constructs() -> Comparison:
    return compare_policies([open_policy(area, CONSTRUCTS) for area in ("old", "new")])


def test_constructs_match_the_golden_output(constructs: Comparison) -> None:
    golden = GOLDEN / "constructs.md"
    text = render(constructs, "markdown")
    if os.environ.get("CPC_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8", newline="")
    assert text == golden.read_text(encoding="utf-8"), "constructs.md differs; CPC_UPDATE_GOLDEN=1 rewrites it"


def test_a_longer_lower_bound_is_stricter(constructs: Comparison) -> None:
    found = row(constructs, "lower-bound")
    assert (found.label, found.stricter_is) == (
        "The pre-birth conference takes place not before … after the start of the pregnancy (40 weeks before the "
        "expected date of birth)",
        "longer",
    )
    assert cells(constructs, "lower-bound") == {
        "old": ("local", "20 weeks", "old", False),
        "new": ("local", "22 weeks", "new", True),
    }


def test_an_exclusive_boundary_is_a_day_stricter(constructs: Comparison) -> None:
    assert cells(constructs, "boundary-day") == {
        "old": ("local", "10 working days", "old", False),
        "new": ("local", "10 working days (exclusive)", "new", True),
    }
    assert "| exclusive |" not in render(constructs, "markdown")
    assert "(exclusive)" in render(constructs, "markdown")


@pytest.mark.parametrize(
    ("a", "b", "direction", "relation"),
    [
        # 10 days exclusive end on the 9th day, as 9 days inclusive do; 11 exclusive are 10 inclusive.
        (("10 days", -1), ("9 days", 0), "lower", "same"),
        (("10 working days", -1), ("10 working days", 0), "lower", "stricter"),
        (("11 working days", -1), ("10 working days", 0), "lower", "same"),
        (("12 working days", -1), ("10 working days", 0), "lower", "looser"),
        # A notice or a lower bound gains the day: at least 2 working days exclusive is 3 inclusive.
        (("2 working days", 1), ("3 working days", 0), "higher", "same"),
        (("20 weeks", 1), ("20 weeks", 0), "higher", "stricter"),
        # Across units, only a gap of more than the boundary day decides.
        (("15 days", -1), ("15 working days", 0), "lower", "stricter"),
        (("3 months", -1), ("13 weeks", 0), "lower", "overlaps"),
    ],
)
def test_boundaries_are_weighed_with_the_duration(a, b, direction, relation) -> None:
    from engine.core.durations import parse_duration
    from engine.review.compare import _relation

    first, second = (parse_duration(a[0]), a[1]), (parse_duration(b[0]), b[1])
    assert _relation(first, second, direction) == relation


def test_sooner_and_later_clocks_are_rows_of_their_own(constructs: Comparison) -> None:
    sooner = row(constructs, "sooner-or-later", path=("deadline", "whichever_sooner", 0, "within"))
    later = row(constructs, "sooner-or-later", path=("deadline", "whichever_later", 0, "within"))
    clock = (
        "The transfer-in conference takes place within … of the receiving authority's formal acceptance of the transfer"
    )
    assert sooner.label == f"{clock}, if that is sooner"
    assert later.label == f"{clock}, if that is later"
    assert [c.status for c in sooner.cells] == ["local", "absent"]
    assert [c.status for c in later.cells] == ["absent", "local"]


def test_an_exceptions_rows_say_whose_exception_and_its_conditions_follow_it(constructs: Comparison) -> None:
    limit = row(constructs, "plan-discussed-older-child", path=("deadline", "within"))
    assert limit.label == (
        "Exception: where the child is 16 or over, the child protection plan is discussed with the parents within "
        "… of the conference that made the plan instead"
    )
    # The exception allows more time than its base: its condition holding at a lower age spreads it, so the
    # higher age is the stricter.
    age = row(constructs, "plan-discussed-older-child", last="at_least")
    assert (age.label, age.stricter_is) == (
        "The exception to the time limit for the discussion of the plan with the parents applies where the child is "
        "… or over",
        "higher",
    )
    assert cells(constructs, "plan-discussed-older-child", age.path) == {
        "old": ("local", "16", "old", True),
        "new": ("local", "14", "new", False),
    }


def test_an_exception_that_disapplies_its_base_has_a_row_saying_so(constructs: Comparison) -> None:
    found = row(constructs, "lower-bound-premature")
    assert found.label == (
        "Exception: where a premature birth is likely, the time limit for the pre-birth conference does not apply"
    )
    assert cells(constructs, "lower-bound-premature") == {
        "old": ("absent", "", "", False),
        "new": ("local", "does not apply", "new", False),
    }
    rows = [r.rule_id for r in constructs.rows]
    assert rows.index("lower-bound-premature") == rows.index("lower-bound") + 1


EITHER = """\
  - id: either
    title: A plan is made for a child of 12 or over, or where 3 other agencies attend.
    kind: requirement
    topic: plans
    when:
      - any_of:
          - fact: conference.child_age_years
            at_least: 12
          - fact: conference.other_agencies_present
            at_least: 3
    requirement:
      applies_to: conference
      require:
        - fact: conference.plan_made
          equals: true
    cite:
      source: wt
      quote: "a child aged 12 or over, or where 3 other agencies attend"
"""


def test_the_members_of_an_either_condition_are_values_too(policy_tree) -> None:
    from engine.policy.walk import values

    root = policy_tree({"england/policy.yaml": ENGLAND + EITHER})
    comparison = compare_policies([open_policy("england", root)])
    rule = dict(open_policy("england", root).rules["either"].data)
    found = sorted((v.path, v.text) for v in values(rule))
    assert found == [(("when", 0, "any_of", 0, "at_least"), "12"), (("when", 0, "any_of", 1, "at_least"), "3")]
    assert row(comparison, "either", path=("when", 0, "any_of", 0, "at_least")).label == (
        "A plan is made for a child of 12 or over, or where 3 other agencies attend — applies when either the child "
        "is … or over or at least 3 other professional groups or "
        "agencies with direct contact with the child attend"
    )
    assert row(comparison, "either", path=("when", 0, "any_of", 1, "at_least")).label == (
        "A plan is made for a child of 12 or over, or where 3 other agencies attend — applies when either the child "
        "is 12 or over or at least … other professional groups or "
        "agencies with direct contact with the child attend"
    )


# --- Fixture policies: each kind of cell and row -----------------------------------------------------------


def test_an_inherited_value_is_marked_with_the_area_it_comes_from(fixture_comparison: Comparison) -> None:
    assert cells(fixture_comparison, "exclusion-request-notice")["eastshire"] == (
        "inherited",
        "3 working days",
        "england",
        False,
    )
    markdown = render(fixture_comparison, "markdown")
    assert "| *3 working days (from england)* |" in markdown


def test_a_stricter_local_maximum_is_highlighted(fixture_comparison: Comparison) -> None:
    assert cells(fixture_comparison, "icpc-timescale") == {
        "england": ("local", "15 working days", "england", False),
        "westshire": ("overridden", "10 working days", "westshire", True),
        "eastshire": ("inherited", "15 working days", "england", False),
    }
    assert "| **10 working days** (changed) |" in render(fixture_comparison, "markdown")


def test_15_days_is_stricter_than_15_working_days(fixture_comparison: Comparison) -> None:
    result = cells(fixture_comparison, "transfer-in-timescale")
    assert result["england"][3] and result["eastshire"][3]
    assert not result["westshire"][3]
    assert "strictest: england, eastshire" in render(fixture_comparison, "markdown")


def test_3_months_against_13_weeks_depends_on_the_dates(fixture_comparison: Comparison) -> None:
    review = row(fixture_comparison, "first-review-timescale")
    assert review.verdict == "depends on dates"
    assert review.strictest_columns == []
    assert [c.text for c in review.cells] == ["3 months", "13 weeks", "3 months"]
    assert "| 3 months | 13 weeks (changed) | *3 months (from england)* | depends on dates |" in render(
        fixture_comparison, "markdown"
    )


def test_a_longer_notice_period_is_stricter(fixture_comparison: Comparison) -> None:
    notice = row(fixture_comparison, "exclusion-request-notice")
    assert notice.stricter_is == "longer"
    assert [c.strictest for c in notice.cells] == [False, True, False]
    assert notice.cells[1].text == "5 working days"


def test_a_higher_quorum_is_stricter(fixture_comparison: Comparison) -> None:
    quorum = row(fixture_comparison, "quorum")
    assert quorum.stricter_is == "higher"
    assert [(c.text, c.strictest) for c in quorum.cells] == [("2", False), ("2", False), ("3", True)]


def test_a_decisions_age_threshold_has_no_direction(fixture_comparison: Comparison) -> None:
    age = row(fixture_comparison, "child-attendance")
    assert age.verdict == "differs, none stricter"
    assert age.strictest_columns == []
    assert [c.text for c in age.cells] == ["12", "10", "12"]


def test_an_area_without_the_rule_shows_a_dash(fixture_comparison: Comparison) -> None:
    assert cells(fixture_comparison, "local-only") == {
        "england": ("absent", "", "", False),
        "westshire": ("local", "20 working days", "westshire", False),
        "eastshire": ("absent", "", "", False),
    }
    assert "| — | 20 working days | — |" in render(fixture_comparison, "markdown")


def test_a_withdrawn_rule_shows_withdrawn(fixture_comparison: Comparison) -> None:
    documents = row(fixture_comparison, "documents-sent")
    assert [c.status for c in documents.cells] == ["local", "withdrawn", "inherited"]
    # Only two areas have a value; being withdrawn is not a value to compare, and "same" would say all agree.
    assert documents.verdict == "same where set"
    markdown = render(fixture_comparison, "markdown")
    assert "| 24 hours | withdrawn | *24 hours (from england)* | same where set |" in markdown
    assert "- same where set: the areas that set the value agree; the others (— or withdrawn) have no such value" in (
        markdown
    )
    assert "- westshire: `documents-sent` from england: Westshire sends documents at the conference itself." in markdown


def test_csv_parses_and_round_trips(fixture_comparison: Comparison) -> None:
    text = render_csv(fixture_comparison)
    records = list(csv.DictReader(io.StringIO(text)))
    assert list(records[0]) == csv_header(fixture_comparison)
    assert len(records) == len(fixture_comparison.rows)
    transfer = next(r for r in records if r["rule"] == "transfer-in-timescale")
    assert transfer["strictest"] == "england; eastshire"
    assert (transfer["westshire"], transfer["westshire status"], transfer["westshire from"]) == (
        "15 working days",
        "changed",
        "westshire",
    )
    assert (transfer["eastshire status"], transfer["eastshire from"], transfer["eastshire strictest"]) == (
        "inherited",
        "england",
        "yes",
    )
    withdrawn = next(r for r in records if r["rule"] == "documents-sent")
    assert (withdrawn["westshire"], withdrawn["westshire status"]) == ("", "withdrawn")
    # Writing the parsed rows back gives the same text: nothing is lost to quoting.
    again = io.StringIO()
    writer = csv.writer(again, lineterminator="\n")
    writer.writerows(csv.reader(io.StringIO(text)))
    assert again.getvalue() == text


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_has_captions_scoped_headers_a_visible_marker_and_escapes_titles(policy_tree) -> None:
    # A direction's row is named by its title, which the page must show as text.
    hostile = ENGLAND.replace("title: A child of 12", "title: <script>alert(1)</script> A child of 12")
    root = policy_tree(
        {"england/policy.yaml": hostile, "westshire/policy.yaml": WESTSHIRE, "eastshire/policy.yaml": EASTSHIRE}
    )
    fixture_comparison = compare_policies([open_policy(area, root) for area in ("england", "westshire", "eastshire")])
    page = render(fixture_comparison, "html")
    parser = _Page()
    parser.feed(page)
    parser.close()
    names = [tag for tag, _ in parser.tags]
    assert "script" not in names
    assert names.count("caption") == names.count("table") == len(fixture_comparison.topics())
    scopes = {attrs.get("scope") for tag, attrs in parser.tags if tag == "th"}
    assert scopes == {"col", "row"}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert any("<script>alert(1)</script>" in t for t in parser.text)
    strictest = [attrs for tag, attrs in parser.tags if tag == "td" and "strictest" in attrs.get("class", "")]
    assert len(strictest) == sum(len(r.strictest_columns) for r in fixture_comparison.rows)
    assert page.count("★ strictest") == len(strictest) + 1  # and once in the legend


def test_an_area_two_levels_down_inherits_each_value_from_the_area_that_set_it(policy_tree) -> None:
    root = policy_tree(
        {"england/policy.yaml": ENGLAND, "westshire/policy.yaml": WESTSHIRE, "northshire/policy.yaml": NORTHSHIRE}
    )
    comparison = compare_policies([open_policy(area, root) for area in ("westshire", "northshire")])
    assert cells(comparison, "icpc-timescale")["northshire"] == ("inherited", "10 working days", "westshire", False)
    assert cells(comparison, "quorum")["northshire"] == ("inherited", "2", "england", False)
    assert cells(comparison, "child-attendance")["northshire"] == ("inherited", "10", "westshire", False)
    assert cells(comparison, "documents-sent")["northshire"] == ("withdrawn", "", "westshire", False)
    markdown = render(comparison, "markdown")
    assert "| withdrawn | withdrawn (by westshire) |" in markdown
    assert "- northshire: `documents-sent` from england (withdrawn by westshire): Westshire sends" in markdown
    # The area it is built on first, as a reader follows the chain: not "extends england, westshire".
    assert (
        "- **northshire**: Northshire procedure (version 1, in force from 1 June 2025; extends westshire (which "
        in (markdown)
    )
    assert "extends westshire (which extends england))" in markdown


# --- The command -------------------------------------------------------------------------------------------


def test_command_writes_each_format_and_refuses_to_overwrite(fixtures: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "out.csv"
    args = ["england", "westshire", "--policies", str(fixtures), "--format", "csv", "--output", str(target)]
    result = runner.invoke(compare, args)
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("topic,heading,rule,title,parameter,")
    again = runner.invoke(compare, args)
    assert again.exit_code == 2
    assert again.stderr == f"cpc: {target} exists; pass --force to overwrite it\n"
    forced = runner.invoke(compare, [*args, "--force"])
    assert forced.exit_code == 0
    shown = runner.invoke(compare, ["england", "eastshire", "--policies", str(fixtures)])
    assert shown.exit_code == 0
    assert shown.stdout.startswith("# Compare: england, eastshire — newest versions\n")


def test_command_accepts_a_policy_file(fixtures: Path) -> None:
    result = CliRunner().invoke(compare, ["england", str(fixtures / "westshire" / "policy.yaml"), "--format", "html"])
    assert result.exit_code == 0, result.output
    assert '<th scope="col">westshire</th>' in result.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["england"], "cpc: compare needs at least two areas, e.g. `cpc compare england berkshire`\n"),
        (["england", "england"], "cpc: 'england' is named twice; name each area (or policy file) once\n"),
        (
            ["england", "northshire"],
            "cpc: no policy for area 'northshire' in {root} or shipped with cpc (known: berkshire, eastshire, england",
        ),
    ],
)
def test_command_errors_exit_2_with_a_message(fixtures: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(compare, [*args, "--policies", str(fixtures)])
    assert result.exit_code == 2
    assert result.stderr.startswith(message.format(root=fixtures))
    assert result.stdout == ""


# --- The version in force on a date ------------------------------------------------------------------------

WESTSHIRE_2026 = (
    WESTSHIRE.replace('version: "2"', 'version: "3"')
    .replace("effective_from: 2025-01-01", "effective_from: 2026-04-01")
    .replace("within: 10 working days", "within: 8 working days")
    .replace("within 10 working days of the strategy", "within 8 working days of the strategy")
)


@pytest.fixture
def two_versions(policy_tree) -> Path:
    return policy_tree(
        {
            "england/policy.yaml": ENGLAND,
            "westshire/policy.yaml": WESTSHIRE,
            "westshire/policy-2026.yaml": WESTSHIRE_2026,
        }
    )


def _icpc_cell(markdown: str) -> str:
    (line,) = [line for line in markdown.splitlines() if "| `icpc-timescale` |" in line]
    return line.split(" | ")[3]


@pytest.mark.parametrize(
    ("as_of", "version", "within"),
    [
        ([], "version 3, in force from 1 April 2026", "8 working days"),
        (["--as-of", "2026-03-31"], "version 2, in force from 1 January 2025", "10 working days"),
        (["--as-of", "2026-04-01"], "version 3, in force from 1 April 2026", "8 working days"),
    ],
)
def test_as_of_compares_the_version_in_force_on_that_date(
    two_versions: Path, as_of: list[str], version: str, within: str
) -> None:
    result = CliRunner().invoke(compare, ["england", "westshire", "--policies", str(two_versions), *as_of])
    assert result.exit_code == 0, result.output
    assert f"- **westshire**: Westshire procedure ({version}; extends england)" in result.stdout
    assert within in _icpc_cell(result.stdout)


def test_as_of_before_an_areas_first_version_is_an_error(two_versions: Path) -> None:
    args = ["england", "westshire", "--policies", str(two_versions), "--as-of", "2024-12-31"]
    result = CliRunner().invoke(compare, args)
    assert result.exit_code == 2
    assert result.stderr == (
        "cpc: no version of 'westshire' is in force on 2024-12-31: the earliest takes effect on 2025-01-01\n"
    )
    assert result.stdout == ""


def test_the_page_prints_landscape_and_each_table_scrolls_in_a_named_region(shipped: Comparison) -> None:
    page = render(shipped, "html")
    assert "@page { size: A4 landscape; margin: 12mm; }" in page
    assert "thead { display: table-header-group; }" in page
    assert "h2, caption { font-size: 12pt; break-after: avoid; }" in page
    parser = _Page()
    parser.feed(page)
    regions = [attrs for tag, attrs in parser.tags if attrs.get("role") == "region"]
    captions = [attrs["id"] for tag, attrs in parser.tags if tag == "caption"]
    # On a narrow screen a table scrolls sideways inside its region, which the keyboard can reach and which is
    # named by the table's caption.
    assert [(r["aria-labelledby"], r["tabindex"], r["class"]) for r in regions] == [(c, "0", "table") for c in captions]
    assert len(captions) == len(shipped.topics())
    # The legend is a list of terms laid out in columns, not a page of its own.
    assert '<dl class="legend">' in page and "grid-template-columns" in page


@pytest.mark.parametrize("only_differences", [False, True])
def test_the_comparison_page_passes_axe_in_a_real_browser(shipped: Comparison, tmp_path, only_differences) -> None:
    from .axe import axe_violations, describe, need_axe
    from .test_render import printed_pages

    need_axe()
    page = tmp_path / "compare.html"
    page.write_text(render(shipped.differences() if only_differences else shipped, "html"), encoding="utf-8")
    violations = axe_violations(page, tmp_path)
    assert not violations, describe(violations)
    # Printed, the 37 rows took 12 Letter pages in portrait, with four captions alone at the foot of a page;
    # on A4 landscape they take 6.
    assert printed_pages(page, tmp_path) <= 6
    assert b"/MediaBox [0 0 841.91998 594.95996]" in (tmp_path / "compare.pdf").read_bytes()
