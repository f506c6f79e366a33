"""The ASGI application of ``cpc serve``, on Starlette (docs/serve.md).

Every response of an area's endpoint names the version of the policy that answered (``Cpc-Policy-Version``).
Errors are RFC 9457 problem details. Nothing a request carries is logged: the access log has the method, the
route's template (``/v1/areas/{area}/evaluate``), the status and the duration, and an internal error is
logged by its type alone, since an exception's message may quote a value from the case.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route, compile_path

from engine import __version__
from engine.caseload.batch import CaseInput, read_input
from engine.evaluation import eval_formats
from engine.evaluation.case_files import CaseError
from engine.policy.policies import PolicyError
from engine.serve.batch_stream import Batch
from engine.serve.http import (
    JSON,
    Problem,
    area_policy,
    as_of,
    content_type,
    evaluation_request,
    evaluator_for,
    json_response,
    query_params,
    read_body,
    refused,
    version_header,
)
from engine.serve.openapi import text as openapi_text
from engine.serve.service import EXIT_STARTUP, Service, log_findings

__all__ = ["make_app", "route_template"]

log = logging.getLogger("cpc.serve")
access_log = logging.getLogger("cpc.access")


def _guarded(endpoint: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint with its errors as responses: a :class:`Problem` as itself, anything else as a 500 whose log
    line names the exception's type only (its message may quote the case)."""

    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except Problem as problem:
            return problem.response()
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception as exc:
            log.error(
                "internal error in %s: %s (the message is not logged)",
                route_template(request.url.path),
                type(exc).__name__,
            )
            return Problem(
                500,
                "Internal Server Error",
                "cpc could not answer this request; please report it with "
                "the time of the request (the log names the error)",
            ).response()

    guarded.__name__ = endpoint.__name__
    guarded.__doc__ = endpoint.__doc__
    return guarded


# -- routes --------------------------------------------------------------------------------------------------


def _routes(service: Service) -> list[Route]:
    settings = service.settings

    @_guarded
    async def evaluate(request: Request) -> Response:
        policy, day, explain, _ = evaluation_request(service.catalogue, request)
        content_type(request, (JSON,))
        body = await read_body(request, settings.max_body_bytes, settings.timeout)
        evaluator = evaluator_for(policy, day)
        try:
            case = read_input(CaseInput("request", 0, body))
            evaluation = evaluator.evaluate(case, day, explain=explain)
        except CaseError as exc:
            raise refused(exc, evaluator) from None
        return Response(
            eval_formats.json_line(evaluation), media_type=JSON, headers=version_header(evaluation.policy_version)
        )

    @_guarded
    async def areas(request: Request) -> Response:
        day = as_of(query_params(request, ("as_of",)))
        return json_response(service.catalogue.describe(day))

    @_guarded
    async def area(request: Request) -> Response:
        catalogue = service.catalogue
        day = as_of(query_params(request, ("as_of",)))
        policy = area_policy(catalogue, request)
        try:
            resolved = catalogue.resolved(policy.area, day)
        except PolicyError as exc:
            raise Problem(404, "Not Found", exc.message, area=policy.area) from None
        return json_response(resolved, version_header(resolved["version"]))

    @_guarded
    async def openapi(request: Request) -> Response:
        query_params(request, ())
        return Response(openapi_text(), media_type=JSON)

    @_guarded
    async def health(request: Request) -> Response:
        return json_response({"status": "ok", "version": __version__, "policies": service.catalogue.stamp()})

    return [
        Route(EVALUATE, evaluate, methods=["POST"]),
        Route(EVALUATE_BATCH, Batch(service), methods=["POST"]),
        Route(AREAS, areas, methods=["GET"]),
        Route(AREA, area, methods=["GET"]),
        Route(OPENAPI, openapi, methods=["GET"]),
        Route(HEALTH, health, methods=["GET"]),
    ]


EVALUATE, EVALUATE_BATCH = "/v1/areas/{area}/evaluate", "/v1/areas/{area}/evaluate-batch"
AREAS, AREA, OPENAPI, HEALTH = "/v1/areas", "/v1/areas/{area}", "/v1/openapi.json", "/healthz"
# Each route's path as Starlette matches it, so that the log's template is the route's own.
_TEMPLATES = tuple((compile_path(path)[0], path) for path in (EVALUATE, EVALUATE_BATCH, AREAS, AREA, OPENAPI, HEALTH))


def route_template(path: str) -> str:
    """The route a path matches, with its parameters as names: what the access log writes, so that no area
    name or other value from a URL reaches it. ``(no route)`` for a path that matches none."""
    for pattern, template in _TEMPLATES:
        if pattern.match(path):
            return template
    return "(no route)"


class _AccessLog:
    """Logs each request: method, route template, status and duration, and nothing else."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0
        complete = False

        async def sending(message) -> None:
            nonlocal status, complete
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                complete = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            method = scope["method"] if scope["method"].isalpha() else "?"
            access_log.info(
                "%s %s %s%s %.1f ms",
                method[:10],
                route_template(scope["path"]),
                status or "-",
                "" if complete or not status else " cut off",
                (time.perf_counter() - started) * 1000,
            )


class _Token:
    """Refuses every request but ``/healthz`` without ``Authorization: Bearer <token>``, when there is a token."""

    def __init__(self, app, service: Service):
        self.app = app
        self.service = service

    async def __call__(self, scope, receive, send) -> None:
        token = self.service.token
        if token is None or scope["type"] != "http" or scope["path"] == HEALTH:
            await self.app(scope, receive, send)
            return
        given: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, given = value.partition(b" ")
                if scheme.lower() != b"bearer" or not given.strip():
                    given = None
                break
        if given is None or not hmac.compare_digest(given.strip(), token):
            detail = (
                "this service needs an Authorization: Bearer token"
                if given is None
                else "the bearer token is not the one this service takes"
            )
            await Problem(401, "Unauthorized", detail, close=True).response()(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _not_found(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        # Sorted: Starlette builds it from a set, whose order changes from run to run.
        allowed = ", ".join(sorted((exc.headers or {}).get("Allow", "").split(", ")))
        problem = Problem(405, "Method Not Allowed", f"{route_template(request.url.path)} takes {allowed}")
        return problem.response({"Allow": allowed})
    return Problem(exc.status_code, "Not Found", "no such endpoint; GET /v1/openapi.json lists them").response()


def make_app(service: Service, ready: Callable[[], object] | None = None) -> Callable:
    """The ASGI application serving ``service``; it loads the policies at start-up if the service has none, and
    then calls ``ready``."""

    @contextlib.asynccontextmanager
    async def lifespan(app) -> AsyncIterator[None]:
        if service.catalogue is None:
            try:
                service.catalogue = await asyncio.to_thread(service.load)
            except PolicyError as exc:
                log.error("cannot serve: %s", exc.message)
                log_findings(exc)
                # Not an exception: the server would log its traceback after the findings. The supervisor
                # reads this status as a worker that could not start.
                logging.shutdown()
                os._exit(EXIT_STARTUP)
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGHUP, service.request_reload)
        if ready is not None:
            ready()
        yield

    app = Starlette(routes=_routes(service), exception_handlers={HTTPException: _not_found}, lifespan=lifespan)
    return _AccessLog(_Token(app, service))
