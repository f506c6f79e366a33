"""`cpc render`: an area's procedure as a readable document, generated from its policy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from engine.cli.common import fail, parse_date, policies_option, policy_error
from engine.cli.output import output_options, write_document
from engine.review.render import AUDIENCES, FORMATS


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
    "--audience",
    type=click.Choice(AUDIENCES),
    default="public",
    show_default=True,
    help="public: the procedure as its readers need it; authors: each rule also shows how it is encoded "
    "(its id, parameters, origin and reading), behind a 'How this is encoded' disclosure.",
)
@click.option(
    "--template",
    "template_dir",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Folder of the area's own Jinja2 templates: a file named as a shipped one replaces it, or extends it "
    'with {% extends "cpc/procedure.html.j2" %} and overrides its blocks (docs/publishing.md).',
)
@click.option(
    "--sources",
    "sources_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the procedure texts the policy cites; adds, for authors, the line each quotation starts on.",
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
    audience: str,
    template_dir: Path | None,
    sources_dir: Path | None,
    as_of: str | None,
    policies_dir: Path | None,
    output: Path | None,
    force: bool,
) -> None:
    """Render AREA's policy as a procedure document a social worker can read and a council can publish.

    AREA is an area name (berkshire) or a policy file. The policy is taken after inheritance and grouped
    the way the procedure is: conference types, timescales, attendance and quorum, exclusion of family
    members, reports, records, the child protection plan, step-down. A table of every time limit comes
    first. Each rule is said once: its statement, when it applies, when it need not be done, and the words
    of the procedure it rests on with their source; a rule the area's text is silent on is marked as
    national guidance. Sources are named by title, publisher, date and address.

    With --audience authors, each rule also shows how it is encoded: its id, what the engine checks, its
    parameters, whether it is local, restated, changed or inherited, and how an ambiguous sentence was read.

    The newest version is rendered, or with --as-of the version in force on that date (as `cpc eval
    --as-of` chooses it, bases included); the document opens with its version and the date it took effect.

    The HTML page has no scripts, fonts or images: it works offline, without JavaScript, and in print.
    Its layout is a set of Jinja2 templates an area can replace or extend with --template DIR.

    See docs/publishing.md.

    Exit codes: 0 written; 2 the policy could not be used (it must lint clean), a template failed (its
    file and line are named), or the output could not be written.
    """
    from engine.policy.policies import PolicyError, open_policy
    from engine.review.render import as_date
    from engine.review.render import render as render_policy
    from engine.review.templating import PAGES, TemplateFolder, TemplateProblem, environment
    from engine.review.wording import long_date

    if sources_dir is not None and not sources_dir.is_dir():
        fail(f"--sources {sources_dir}: no such folder")
    folder = None
    if template_dir is not None:
        try:
            folder = TemplateFolder(template_dir)
        except TemplateProblem as exc:
            fail(f"--template {exc}")
    day = parse_date(as_of, "--as-of")
    try:
        policy = open_policy(area, policies_dir, day)
    except PolicyError as exc:
        policy_error(exc)
    try:
        text = render_policy(policy, fmt, sources_dir, audience=audience, template_dir=folder)
    except TemplateProblem as exc:
        fail(str(exc))
    write_document(text, output, force, [p.file for p in policy.chain])
    if folder is not None and (unknown := folder.unknown_blocks(environment(fmt, folder))):
        click.echo(
            f"cpc: warning: --template {template_dir}: {'; '.join(unknown)} is not a block of the page it extends, "
            "so it is not shown (docs/publishing.md lists the blocks)",
            err=True,
        )
    if folder is not None and (unused := folder.unused()):
        # A misnamed file, or one for the other format, would otherwise leave the page unbranded in silence.
        click.echo(
            f"cpc: warning: --template {template_dir}: not used for --format {fmt}: {', '.join(unused)} "
            f"(the {fmt} page starts from {PAGES[fmt]}; docs/publishing.md lists the templates)",
            err=True,
        )
    review_by = as_date(policy.publication.get("review_by"))
    if review_by is not None and review_by < dt.date.today():
        click.echo(f"cpc: warning: the procedure's review date, {long_date(review_by)}, has passed", err=True)
