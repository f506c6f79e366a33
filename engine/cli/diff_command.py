"""`cpc diff`: what changes between two policies, and with --cases what that does to real cases."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from engine.cli.common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    fail,
    parse_date,
    policies_option,
    policy_error,
    print_whole,
    terminate_as_interrupt,
)


@click.command(name="diff")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text (coloured on a terminal unless NO_COLOR is set), markdown for a pull-request comment, or json.",
)
@click.option("--exit-code", is_flag=True, help="Exit 1 when the policies differ, like `git diff --exit-code`.")
@click.option(
    "--ignore",
    "ignore",
    type=click.Choice(["wording", "citations", "origin"]),
    multiple=True,
    help="Leave out changes of wording (titles, readings, topics), of citations, or of origin (local or "
    "inherited); repeat for more than one. Also for --exit-code.",
)
@click.option(
    "--cases",
    "cases_path",
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="A folder of case files (*.yaml, *.yml, *.json) or a .jsonl file: evaluate every case under both "
    "policies and report the results that change.",
)
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="The evaluation date for --cases. Default: today.")
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    metavar="N",
    help="With --cases: evaluate in N processes. Default: one per core.",
)
@policies_option
def diff(
    old: str,
    new: str,
    fmt: str,
    exit_code: bool,
    ignore: tuple[str, ...],
    cases_path: Path | None,
    as_of: str | None,
    jobs: int | None,
    policies_dir: Path | None,
) -> None:
    """Compare two policies after inheritance: what changes from OLD to NEW.

    OLD and NEW are each an area (berkshire), a policy file (policies/berkshire/policy.yaml), or either at
    a git revision, written after the last @: berkshire@HEAD~1, policies/berkshire/policy.yaml@main. At a
    revision the whole policies folder is read as it was then, so bases resolve as they were too. An area
    means its newest version.

    Rules are compared parameter by parameter: rules added and withdrawn; durations and numbers stricter or
    looser (across units by the calendar days each can span, and said to depend on the dates where it
    does); other changes to parameters and conditions; citations; values one policy states in its own text
    and the other inherits; and changes of wording. Reordering, comments and formatting are no difference.
    --ignore wording --ignore citations --ignore origin leaves the last three out, for the substance alone.

    With --cases PATH, every case is evaluated under both policies on --as-of, and the report counts, per
    rule, the cases whose results go from one status to another, and those whose due date moves while the
    status stays (how far, in calendar days), with their ids. A case that cannot be
    read is reported by file (and id) and the run goes on; nothing from a case but its id is printed.
    --jobs spreads the cases over processes (default: one per core); the report is byte-identical whatever
    their number. A progress bar goes to standard error when it is a terminal.

    Sections, strictness and the JSON output are described in docs/review.md.

    \b
    Exit codes:
      0  the policies were compared (with --exit-code: and do not differ)
      1  with --exit-code: the policies differ
      2  a usage error, a policy that cannot be used, a revision that cannot
         be read, or a case that could not be evaluated
    """
    from engine.policy.gitrev import GitError, open_policy_at, split_revision
    from engine.policy.policies import PolicyError, open_policy
    from engine.review import diff as diff_module
    from engine.review import diff_formats
    from engine.review import impact as impact_module

    if as_of is not None and cases_path is None:
        fail("--as-of is the evaluation date of --cases; give --cases PATH too")
    if jobs is not None and cases_path is None:
        fail("--jobs is the number of processes for --cases; give --cases PATH too")
    day = parse_date(as_of, "--as-of") or dt.date.today()
    cases = None
    if cases_path is not None:
        # Read before the policies are opened: a wrong PATH is a usage error, reported at once.
        try:
            cases = impact_module.read_inputs(cases_path)
        except impact_module.ImpactError as exc:
            fail(str(exc))
    resolved = []
    for spec in (old, new):
        try:
            target, rev = split_revision(spec)
            if rev is None:
                resolved.append(open_policy(target, policies_dir))
            else:
                resolved.append(open_policy_at(target, rev, policies_dir))
        except GitError as exc:
            fail(f"{spec}: {exc}")
        except PolicyError as exc:
            policy_error(exc)
    before, after = resolved
    changes = diff_module.diff_policies(before, after, old, new).ignoring(ignore)
    impact = None
    if cases is not None:
        impact = _impact(before, after, cases, cases_path, day, jobs)

    color = fmt == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    if fmt == "json":
        data = changes.to_dict()
        if impact is not None:
            data["impact"] = impact.to_dict()
        print_whole(diff_formats.to_json(data))
    else:
        print_whole(diff_formats.render(changes, fmt, color=color))
        if impact is not None:
            print_whole("\n" + impact_module.render(impact, fmt, color=color))
    if impact is not None and impact.failures:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if exit_code and changes.differs else EXIT_OK)


def _impact(before, after, cases, cases_path: Path, day: dt.date, jobs: int | None):
    """The impact on the cases at ``cases_path``, over ``jobs`` processes, with a progress bar on a terminal."""
    from engine.caseload import batch, pool
    from engine.cli.progress import progress
    from engine.review import impact as impact_module

    # One pass over a file's lines, which the evaluations (two a case) make cheap: the bar's total, and no
    # more workers than the cases can keep busy.
    total = batch.count_cases(cases_path)
    jobs = pool.workers_for(jobs or pool.default_jobs(), total)
    try:
        with (
            terminate_as_interrupt(),
            progress(sys.stderr, total, label="Comparing", counted="Compared {count:,} cases") as bar,
        ):
            return impact_module.compare_cases(before, after, cases, day, jobs=jobs, on_case=bar.advance)
    except (impact_module.ImpactError, pool.PoolError) as exc:
        fail(str(exc))
