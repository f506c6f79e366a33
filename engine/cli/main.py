"""The `cpc` command. It only wires the engine's layers together; no decision is made here.

Exit codes, for every command: 0 success (lint: no findings), 1 findings (lint: problems found),
2 usage error, unusable input, or internal error. No input produces a traceback; set CPC_DEBUG=1 to see
one for an internal error.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import sys
from pathlib import Path

import click

from engine import __version__
from engine.cli.common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    fail,
    parse_date,
    policies_option,
    policy_error,
    print_whole,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="cpc")
def cli() -> None:
    """cpc: Child Protection Conference procedures as code.

    \b
    Authors:    lint, test, show, new, schema, compile
    Cases:      eval (one case, or a caseload with --cases), report, import ssd, reconcile
    Reviewers:  diff (with --cases: the impact on real cases), compare, render
    Services:   serve (the engine over HTTP, with the serve extra)

    Each area's procedure is a YAML policy under policies/AREA/; `cpc COMMAND --help` says what each
    command does and its exit codes. See README.md and docs/ (policy-format.md, case-format.md, results.md,
    batch.md, ssd.md, review.md, api.md, serve.md).
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--sources",
    type=click.Path(path_type=Path),
    help="Folder of the procedure texts the policies cite; checks every quote against them.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "text", "json", "sarif", "github"]),
    default="auto",
    show_default=True,
    help="auto is github inside GitHub Actions, text elsewhere.",
)
@click.option(
    "--explain",
    metavar="CODE",
    help="Print the documentation of a lint code (e.g. CPC302) or of a construct (e.g. exception_of), and exit.",
)
@click.option(
    "--list-rules", is_flag=True, help="List every lint code, then every construct --explain knows, and exit."
)
def lint(paths: tuple[Path, ...], sources: Path | None, fmt: str, explain: str | None, list_rules: bool) -> None:
    """Check policy files for errors (default: ./policies).

    Reports YAML errors, schema violations and semantic problems (unknown events, loosened statutory
    limits, citations that do not match their source) as FILE:LINE:COL: CODE message.
    Exit 0 when clean, 1 when anything is found, 2 on a usage error.
    """
    from engine.policy.lint import reporters
    from engine.policy.lint.constructs import CONSTRUCTS, documentation
    from engine.policy.lint.registry import RULES, lookup
    from engine.policy.lint.runner import UsageError
    from engine.policy.lint.runner import lint as run_lint

    if list_rules:
        for code, rule in RULES.items():
            click.echo(f"{code}  {rule.name:<28} {rule.severity.value:<8} {rule.summary()}")
        click.echo("\nConstructs of the policy language (cpc lint --explain NAME):")
        for name, construct in CONSTRUCTS.items():
            click.echo(f"  {name:<34} {construct.summary}")
        return
    if explain:
        rule = lookup(explain)
        construct = CONSTRUCTS.get(explain.strip().lower())
        if rule is None and construct is None:
            from engine.core.vocabulary import closest

            near = closest(explain.strip().lower(), [*CONSTRUCTS, *(r.name for r in RULES.values())])
            guess = f" (did you mean '{near}'?)" if near else ""
            fail(f"no lint code or construct '{explain}'{guess}; `cpc lint --list-rules` lists them")
        if rule is not None:
            click.echo(f"{rule.code} {rule.name} ({rule.severity.value})\n")
            click.echo(rule.documentation())
        else:
            click.echo(f"{construct.name} (construct)\n")
            click.echo(documentation(construct), nl=False)
        return
    targets = list(paths) or [Path("policies")]
    try:
        result = run_lint(targets, sources)
    except UsageError as exc:
        fail(str(exc))
    chosen = reporters.auto_format() if fmt == "auto" else fmt
    color = chosen == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    print_whole(reporters.render(chosen, result.findings, len(result.files), color=color))
    sys.exit(EXIT_FINDINGS if result.findings else EXIT_OK)


@cli.command()
@click.argument("area")
@policies_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def show(area: str, policies_dir: Path | None, fmt: str) -> None:
    """Show AREA's policy after inheritance, marking each rule local, overridden or inherited.

    AREA is an area name (berkshire) or a policy file. Rules the local text is silent about are shown
    as inherited from the national baseline.
    """
    from engine.policy import show as show_module
    from engine.policy.policies import PolicyError, open_policy

    try:
        policy = open_policy(area, policies_dir)
    except PolicyError as exc:
        policy_error(exc)
    print_whole(show_module.as_json(policy) if fmt == "json" else show_module.as_text(policy))


@cli.command()
@click.argument("area")
@click.option("--extends", "base", default="england", show_default=True, help="The area the new one builds on.")
@policies_option
def new(area: str, base: str, policies_dir: Path | None) -> None:
    """Create policies/AREA/policy.yaml, a skeleton that inherits everything and lints clean.

    BASE may be an area of the policies folder or one shipped with cpc (england, berkshire, hampshire), so
    an area can be kept in a repository of its own. The skeleton's first line points editors at
    ../../schemas/policy.schema.json; if that file is missing, the installed cpc's policy schema is written
    there. Never overwrites an existing file. Exit 0 when written, 2 when not.
    """
    from engine.policy.scaffold import ScaffoldError, new_area, schema_file

    root = policies_dir or Path("policies")
    try:
        written = new_area(area, base, root)
    except ScaffoldError as exc:
        fail(str(exc))
    target = written[0]
    click.echo(f"created {target}; check it with: cpc lint {target.parent}")
    if len(written) > 1:
        click.echo(f"created {written[1]}, the policy schema the skeleton's $schema header names, for editors")
    else:
        from engine.core.resources import schema_text

        schema = schema_file(root)
        if schema.read_text(encoding="utf-8") != schema_text("policy"):
            click.echo(
                f"note: {schema} differs from this cpc's policy schema; `cpc schema policy --write --force` updates it",
                err=True,
            )


@cli.command(name="test")
@click.argument("areas", nargs=-1)
@policies_option
@click.option("--strict", is_flag=True, help="Fail when a rule of an area is exercised by no test.")
def test_policies(areas: tuple[str, ...], policies_dir: Path | None, strict: bool) -> None:
    """Run the policy tests of AREAS (default: every area of the policies folder): <area>/tests/*.yaml.

    A named area the policies folder does not have is looked for among those shipped with cpc.

    Each test is a case and the results it must give. Lists the rules no test exercises.
    Exit 0 when every test passes (and, with --strict, every rule is exercised), 1 otherwise.
    """
    from engine.caseload.policytests import run_area
    from engine.evaluation.api import PolicyError
    from engine.policy.policies import policy_roots

    roots = policy_roots(policies_dir)
    root = roots[0]
    names = list(areas) or sorted(p.name for p in root.iterdir() if p.is_dir())
    ok = True
    for name in names:
        # A named area may be one shipped with cpc when the local folder has none of that name.
        folder = next((r / name for r in roots if (r / name).is_dir()), None)
        if folder is None:
            fail(f"no area '{name}' in {root} or shipped with cpc")
        try:
            report = run_area(folder, root)
        except PolicyError as exc:
            policy_error(exc)
        passed = sum(1 for o in report.outcomes if o.passed)
        click.echo(f"{name}: {passed} of {len(report.outcomes)} tests passed")
        for outcome in report.outcomes:
            if not outcome.passed:
                click.echo(f"  FAIL {outcome.file}: {outcome.name}")
                for failure in outcome.failures:
                    click.echo(f"    {failure}")
        if report.uncovered:
            click.echo(f"  no test exercises: {', '.join(report.uncovered)}")
        ok = ok and report.passed and not (strict and report.uncovered)
    sys.exit(EXIT_OK if ok else EXIT_FINDINGS)


@cli.command(name="compile")
@click.argument("area")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Compile the version in force on this date.")
@click.option(
    "--facts",
    is_flag=True,
    help="Print instead what of a case durable-rules is given: the fact types and fields its rules test, and "
    "the events whose occurrences it sees.",
)
@policies_option
def compile_command(area: str, as_of: str | None, facts: bool, policies_dir: Path | None) -> None:
    """Print the durable-rules ruleset AREA's policy compiles to, for a reviewer to see what runs.

    With --facts, print what of each case is asserted into it (docs/performance.md, "What durable-rules is
    given"): only the facts, fields and events some rule names, so a field no rule reads costs nothing.
    """
    import json

    from engine.evaluation.api import PolicyError, load_policy

    day = parse_date(as_of, "--as-of") or dt.date.today()
    try:
        evaluator = load_policy(area, policies_dir=policies_dir).evaluator(day)
    except PolicyError as exc:
        policy_error(exc)
    compiled = evaluator.compiled
    if facts:
        plan = compiled.plan
        shown = {
            "fields": plan.fields,
            "events": sorted(plan.happened),
            "events_still_to_come": sorted(plan.scheduled),
            "conference_events_on_the_conference": list(plan.conference_events),
        }
        print_whole(json.dumps(shown, indent=2, ensure_ascii=False) + "\n")
        return
    print_whole(json.dumps(compiled.ruleset.definition, indent=2, ensure_ascii=False) + "\n")


@cli.command()
@click.argument("name", type=click.Choice(["policy", "case", "result", "openapi"]))
@click.option(
    "--write",
    "write",
    is_flag=True,
    help="Write it to schemas/NAME.schema.json (where `cpc new` points editors) instead of printing it.",
)
@click.option("--force", is_flag=True, help="With --write, replace a schema file that differs.")
def schema(name: str, write: bool, force: bool) -> None:
    """Print the JSON Schema for NAME, for editors and other validators.

    `openapi` prints the OpenAPI 3.1 description of `cpc serve` (the one it serves at /v1/openapi.json), built
    from the case and result schemas, for generating a client without a running server.

    With --write, an area's own repository keeps a copy at schemas/NAME.schema.json, so that the
    `# yaml-language-server: $schema=../../schemas/policy.schema.json` header of its policies works on every
    machine; after upgrading cpc, `--write --force` brings the copy up to date. Exit 0 when written or
    already up to date, 2 when a different file is there and --force is not given.
    """
    from engine.core.outfile import OutputError, atomic_output
    from engine.core.resources import schema_text

    if name == "openapi":
        if write:
            raise click.UsageError(
                "--write is for the JSON Schemas; save this one with: cpc schema openapi > openapi.json"
            )
        from engine.serve.openapi import text as openapi_text

        print_whole(openapi_text())
        return
    text = schema_text(name)
    if not write:
        print_whole(text)
        return
    target = Path("schemas") / f"{name}.schema.json"
    if target.is_file() and target.read_text(encoding="utf-8", errors="replace") == text:
        click.echo(f"{target} is up to date")
        return
    if target.exists() and not force:
        fail(f"{target} exists and differs from this cpc's {name} schema; pass --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_output(target, force=force, private=False, text=True) as out:
            out.write(text)
    except OutputError as exc:
        fail(str(exc))
    click.echo(f"wrote {target}")


# Commands that live in their own modules.
from engine.cli.compare_command import compare  # noqa: E402
from engine.cli.diff_command import diff  # noqa: E402
from engine.cli.eval_command import evaluate  # noqa: E402
from engine.cli.render_command import render  # noqa: E402
from engine.cli.report_command import report  # noqa: E402
from engine.cli.serve_command import serve  # noqa: E402
from engine.cli.ssd_command import import_group, reconcile_command  # noqa: E402

cli.add_command(evaluate)
cli.add_command(report)
cli.add_command(import_group)
cli.add_command(reconcile_command)
cli.add_command(diff)
cli.add_command(compare)
cli.add_command(render)
cli.add_command(serve)


def main() -> None:
    """Entry point: run the CLI, turning any unexpected exception into a one-line error and exit 2."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("cpc: aborted", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR)
    except SystemExit:
        raise
    except BrokenPipeError:
        sys.exit(EXIT_ERROR)
    except OSError as exc:
        if os.environ.get("CPC_DEBUG"):
            raise
        # A full disk or a file-size limit met while printing: a fault of the machine, said as one.
        if exc.errno not in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO):
            click.echo(f"cpc: internal error: {type(exc).__name__}: {exc}", err=True)
        elif exc.filename:
            click.echo(f"cpc: cannot write {exc.filename}: {exc.strerror}", err=True)
        else:
            click.echo(f"cpc: cannot write standard output: {exc.strerror}", err=True)
        sys.exit(EXIT_ERROR)
    except Exception as exc:
        if os.environ.get("CPC_DEBUG"):
            raise
        click.echo(f"cpc: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EXIT_ERROR)
