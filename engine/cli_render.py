"""`cpc render`: an area's procedure as a readable document, generated from its policy."""

from __future__ import annotations

from pathlib import Path

import click

from .cli_common import fail, parse_date, policies_option, policy_error
from .cli_output import output_options, write_document
from .render import FORMATS


@click.command("render")
@click.argument("area")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="markdown",
    show_default=True,
    help="markdown: for a repository or wiki; html: one self-contained, accessible page to publish.",
)
@click.option(
    "--sources",
    "sources_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the procedure texts the policy cites; adds the line each quotation starts on.",
)
@click.option(
    "--as-of",
    "as_of",
    metavar="YYYY-MM-DD",
    help="Render the version in force on this date. Default: the newest version.",
)
@policies_option
@output_options
def render(
    area: str,
    fmt: str,
    sources_dir: Path | None,
    as_of: str | None,
    policies_dir: Path | None,
    output: Path | None,
    force: bool,
) -> None:
    """Render AREA's policy as a procedure document a social worker can read and a council can publish.

    AREA is an area name (berkshire) or a policy file. The policy is taken after inheritance and grouped
    the way the procedure is: conference types, timescales, attendance and quorum, exclusion of family
    members, reports, records, the child protection plan, step-down. Each rule gives its statement, what
    the procedure requires in plain English, its parameters, the quotation it rests on, whether it is
    local, restated, changed or inherited, and how an ambiguous sentence was read. A table of every time
    limit comes first; withdrawn rules are listed with their reasons.

    The newest version is rendered, or with --as-of the version in force on that date (as `cpc eval
    --as-of` chooses it, bases included); the document opens with its version and the date it took effect.

    The HTML page has no scripts, fonts or images: it works offline, without JavaScript, and in print.

    See docs/review.md.

    Exit codes: 0 written; 2 the policy could not be used (it must lint clean), or the output could not
    be written.
    """
    from .policies import PolicyError, open_policy
    from .render import render as render_policy

    if sources_dir is not None and not sources_dir.is_dir():
        fail(f"--sources {sources_dir}: no such folder")
    day = parse_date(as_of, "--as-of")
    try:
        policy = open_policy(area, policies_dir, day)
    except PolicyError as exc:
        policy_error(exc)
    text = render_policy(policy, fmt, sources_dir)
    write_document(text, output, force, [p.file for p in policy.chain])
