"""`cpc serve`: the engine as an HTTP service (engine/serve/, docs/serve.md)."""

from __future__ import annotations

import ipaddress
import stat
import sys
from pathlib import Path

import click

from engine.cli.common import EXIT_ERROR, fail, policies_option, policy_error
from engine.serve.openapi import MAX_BATCH_BYTES, MAX_BODY_BYTES, TIMEOUT

SERVE_EXTRA = (
    "cpc serve needs the serve extra: pip install 'cpc[serve]' (or, in this repository, pip install -e '.[serve]')"
)


@click.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on. Loopback unless told.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="0: any free port.")
@policies_option
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    metavar="N",
    help="Worker processes, each with the policies compiled. One per core serves the most requests.",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file holding a bearer token: every request but /healthz must then carry "
    "'Authorization: Bearer TOKEN'. Read again on SIGHUP.",
)
@click.option(
    "--max-body-bytes",
    type=click.IntRange(1024),
    default=MAX_BODY_BYTES,
    show_default=True,
    metavar="N",
    help="The largest single case accepted (413 over it).",
)
@click.option(
    "--max-batch-bytes",
    type=click.IntRange(1024),
    default=MAX_BATCH_BYTES,
    show_default=True,
    metavar="N",
    help="The largest batch body accepted; each of its records is limited as `cpc eval --cases` limits one.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 3600),
    default=TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="How long a request body may take to arrive (408 after it); for a batch, the longest pause in its body.",
)
@click.option("--quiet", is_flag=True, help="No access log (errors and reloads are still logged).")
def serve(
    host: str,
    port: int,
    policies_dir: Path | None,
    workers: int,
    token_file: Path | None,
    max_body_bytes: int,
    max_batch_bytes: int,
    timeout: float,
    quiet: bool,
) -> None:
    """Serve the engine over HTTP, for case-management systems.

    \b
    POST /v1/areas/AREA/evaluate?as_of=YYYY-MM-DD&explain=false   one case as JSON
    POST /v1/areas/AREA/evaluate-batch?as_of=...&citations=header   JSON Lines in and out, streamed
    GET  /v1/areas, /v1/areas/AREA?as_of=...                         the areas; a policy after inheritance
    GET  /v1/openapi.json, /healthz

    An evaluation answers exactly what `cpc eval --format json` prints for the case, and a batch what
    `cpc eval --cases` writes. Every area under --policies (default ./policies if present) and those shipped
    with cpc are loaded, linted and compiled before the server listens; it refuses to start with a policy that
    has lint errors. SIGHUP loads them again, and the token file: the new ones serve the requests that start
    after, and if they cannot be used the old ones stay, with the errors logged. The log (standard error) has
    one line per request: method, route, status and duration, never a URL's values, a body or a case id.

    Needs the serve extra: pip install 'cpc[serve]'. Put it behind the authority's reverse proxy for TLS
    (docs/serve.md). Exit codes: 0 stopped (SIGINT or SIGTERM); 2 a policy, the token file or the address
    cannot be used; 3 a worker could not start.
    """
    try:
        from engine.serve import run
        from engine.serve.service import Settings, TokenError, read_token
    except ImportError as exc:
        if exc.name not in ("starlette", "uvicorn") and "starlette" not in str(exc) and "uvicorn" not in str(exc):
            raise
        fail(SERVE_EXTRA)
    from engine.policy.policies import PolicyError
    from engine.serve.catalogue import Catalogue

    if policies_dir is not None and not policies_dir.is_dir():
        # Other commands fall back to the shipped areas; a service started with a mistyped folder would serve
        # them for months without anyone noticing.
        fail(f"--policies {policies_dir}: no such folder")

    settings = Settings(
        policies_dir=str(policies_dir.resolve()) if policies_dir is not None else None,
        token_file=str(token_file.resolve()) if token_file is not None else None,
        max_body_bytes=max_body_bytes,
        max_batch_bytes=max_batch_bytes,
        timeout=timeout,
    )
    if token_file is not None:
        _check_token_file(token_file)
    try:
        token = read_token(settings.token_file) if settings.token_file else None
    except TokenError as exc:
        fail(str(exc))
    try:
        catalogue = Catalogue.load(settings.policies_dir)
    except PolicyError as exc:
        policy_error(exc)
    try:
        sock = run.bind(host, port, workers=workers)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    if token is None and not _loopback(host):
        click.echo(
            f"cpc serve: warning: listening on {host} without --token-file: anyone who can reach this port can "
            "send cases and read results",
            err=True,
        )
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    areas = ", ".join(catalogue.areas)

    def listening() -> None:
        click.echo(
            f"cpc serve: listening on http://{shown}:{bound_port} ({workers} worker{'s' if workers > 1 else ''}; "
            f"areas: {areas}; token: {'required' if token else 'none'})",
            err=True,
        )
        sys.stderr.flush()

    # With several workers each compiles its own; this process only checked that they can.
    status = run.serve(
        settings,
        sock,
        workers=workers,
        catalogue=catalogue if workers == 1 else None,
        quiet=quiet,
        ready=listening,
    )
    sys.exit(EXIT_ERROR if status == 2 else status)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_token_file(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # read_token says why it cannot be read
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        click.echo(
            f"cpc serve: warning: --token-file {path} can be read by other users; chmod 600 {path}",
            err=True,
        )
