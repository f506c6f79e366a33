"""`cpc compare`: one matrix of every timescale, quorum and notice period across the named areas."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from engine.cli.common import fail, parse_date, policies_option, policy_error
from engine.cli.output import output_options, write_document
from engine.review.compare_formats import CSV_HELP, FORMATS


@click.command("compare", epilog=CSV_HELP)
@click.argument("areas", nargs=-1, required=True, metavar="AREA...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="markdown",
    show_default=True,
    help="markdown: a table per heading of the procedure; text: the same for a terminal, as wide as the "
    "terminal (60 to 100 columns; 100 when not a terminal); csv: one row per value, for a spreadsheet; html: a "
    "self-contained page that prints on A4 landscape; json: for programs, each area by its key (the area) with "
    "its name beside it.",
)
@click.option(
    "--as-of",
    "as_of",
    metavar="YYYY-MM-DD",
    help="Compare the versions in force on this date. Default: each area's newest version.",
)
@click.option(
    "--only-differences",
    is_flag=True,
    help="Leave out the rows where every area says the same (inherited or restated); keep those whose values "
    "differ, or that a rule one area lacks or has withdrawn. The output says how many rows were left out.",
)
@policies_option
@output_options
def compare(
    areas: tuple[str, ...],
    fmt: str,
    as_of: str | None,
    only_differences: bool,
    policies_dir: Path | None,
    output: Path | None,
    force: bool,
) -> None:
    """Compare the timescales, quorums and notice periods of two or more AREAs side by side.

    AREA is an area name (berkshire) or a policy file; columns follow the order given, each headed by the
    short name its policy gives (Pan-Berkshire). Each row is one value a rule sets, grouped by topic, and says
    in plain words what the procedure sets, with "…" where each area's value goes. A value the area's text is
    silent about is marked as inherited, with the area it comes from; the strictest value in a row is
    highlighted (the shortest maximum, the longest notice, the highest required number). Durations in
    different units are compared by the calendar days each can span; where that depends on the dates (3 months
    against 13 weeks) nothing is highlighted and the row says so. A decision's conditions (a child's age, say)
    have no stricter side and are never highlighted.

    Each area is compared at its newest version, or with --as-of at the version in force on that date
    (as `cpc eval --as-of` chooses it); the heading says which ("as of 1 April 2026" or "newest versions") and
    the page names each version and the date it took effect.

    See docs/review.md.

    Exit codes: 0 written; 2 an area could not be used or the output could not be written.
    """
    from engine.policy.policies import PolicyError, open_policy
    from engine.review.compare import CompareError, compare_policies
    from engine.review.compare_formats import render

    if len(areas) < 2:
        fail("compare needs at least two areas, e.g. `cpc compare england berkshire`")
    day = parse_date(as_of, "--as-of")
    policies = []
    for area in areas:
        try:
            policies.append(open_policy(area, policies_dir, day))
        except PolicyError as exc:
            policy_error(exc)
    try:
        comparison = compare_policies(policies, day)
        chosen = comparison.differences() if only_differences else comparison
        text = render(chosen, fmt, _text_width(output))
    except CompareError as exc:
        fail(str(exc))
    write_document(text, output, force, [p.file for policy in policies for p in policy.chain])


def _text_width(output: Path | None) -> int:
    """The width ``--format text`` fits: the terminal's, within 60 to 100 columns, when it is printed on one;
    100 for a file or a pipe."""
    from engine.review.compare_formats import NARROWEST, WIDTH

    if (output is not None and str(output) != "-") or not sys.stdout.isatty():
        return WIDTH
    return max(NARROWEST, min(WIDTH, shutil.get_terminal_size((WIDTH, 24)).columns))
