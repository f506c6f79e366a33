"""`cpc eval`: evaluate case files against an area's policy."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from .cli_common import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, case_error, parse_date, policies_option, policy_error


@click.command(name="eval")
@click.option("--policy", "area", required=True, help="The area (berkshire) or a policy file to evaluate against.")
@click.argument("cases", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="The evaluation date. Default: today.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--explain", is_flag=True, help="Say which conditions matched on which facts, for every result.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when something is overdue, breached or missed.")
@policies_option
def evaluate(
    area: str,
    cases: tuple[Path, ...],
    as_of: str | None,
    fmt: str,
    explain: bool,
    exit_zero: bool,
    policies_dir: Path | None,
) -> None:
    """Evaluate CASE files (YAML or JSON) against an area's policy.

    Uses the version of the policy in force on the evaluation date. Text output lists what is overdue,
    breached or missed first, then what is coming up, what the procedure directs, and what was met, each
    with the sentence of the procedure it rests on. JSON prints one object per case per line
    (schemas/result.schema.json).

    Exit codes: 0 all evaluated and nothing overdue, breached or missed; 1 something is; 2 a case or the
    policy could not be used (the error names file, line, column and field, never the case's contents).
    """
    from . import evalreport
    from .api import CaseError, PolicyError, load_policy

    day = parse_date(as_of, "--as-of") or dt.date.today()
    try:
        policy = load_policy(area, policies_dir=policies_dir)
        policy.evaluator(day)
    except PolicyError as exc:
        policy_error(exc)
    attention = failed = False
    for path in cases:
        try:
            evaluation = policy.evaluate(path, as_of=day, explain=explain)
        except CaseError as exc:
            case_error(exc)
            failed = True
            continue
        attention = attention or evalreport.needs_attention(evaluation)
        if fmt == "json":
            click.echo(evalreport.json_line(evaluation), nl=False)
        elif fmt == "markdown":
            click.echo(evalreport.markdown(evaluation, explain=explain))
        else:
            click.echo(evalreport.text(evaluation, explain=explain))
    sys.exit(EXIT_ERROR if failed else EXIT_FINDINGS if attention and not exit_zero else EXIT_OK)
