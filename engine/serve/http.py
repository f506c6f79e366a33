"""Reading a request of ``cpc serve`` and answering its errors: query parameters, the body within its size and
time limits, and problem details (RFC 9457)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from engine.caseload.batch import problem
from engine.core.calendar import FIRST_YEAR, LAST_YEAR
from engine.evaluation.api import Policy
from engine.evaluation.case_files import CaseError
from engine.evaluation.evaluate import Evaluator
from engine.policy.policies import PolicyError
from engine.serve.catalogue import Catalogue
from engine.serve.openapi import POLICY_HEADER

__all__ = [
    "JSON",
    "Problem",
    "area_policy",
    "as_of",
    "content_type",
    "declared_length",
    "evaluation_request",
    "evaluator_for",
    "flag",
    "json_response",
    "printable",
    "query_params",
    "read_body",
    "refused",
    "version_header",
]

JSON = "application/json"
PROBLEM = "application/problem+json"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def version_header(version: str) -> dict[str, str]:
    """The ``Cpc-Policy-Version`` header for ``version``; percent-encoded (RFC 3986) where it is not printable
    ASCII, which is all a header value can safely hold: ``v98 é`` is sent as ``v98%20%C3%A9``.
    """
    if version.isascii() and version.isprintable():
        return {POLICY_HEADER: version}
    return {POLICY_HEADER: quote(version, safe="")}


class Problem(Exception):
    """An error response (RFC 9457 problem details): raised anywhere in a request, answered by its :meth:`response`."""

    def __init__(self, status: int, title: str, detail: str, *, close: bool = False, **extra: object):
        super().__init__(detail)
        self.status, self.title, self.detail, self.close, self.extra = status, title, detail, close, extra

    def response(self, headers: dict[str, str] | None = None) -> Response:
        body = {"type": "about:blank", "title": self.title, "status": self.status, "detail": self.detail}
        body.update(self.extra)
        headers = dict(headers or {})
        if self.close:
            # The body was not read to its end: the connection cannot carry another request.
            headers["Connection"] = "close"
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="cpc"'
        version = self.extra.get("policy_version")
        if isinstance(version, str):
            headers.update(version_header(version))
        text = json.dumps(body, ensure_ascii=False) + "\n"
        return Response(text, status_code=self.status, headers=headers, media_type=PROBLEM)


def query_params(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    params = request.query_params
    for name in params:
        if name not in allowed:
            raise Problem(
                400,
                "Bad Request",
                f"unknown query parameter '{printable(name)}'; this endpoint takes " + (", ".join(allowed) or "none"),
            )
    for name in allowed:
        if len(params.getlist(name)) > 1:
            raise Problem(400, "Bad Request", f"query parameter '{name}' is given more than once")
    return {name: params[name] for name in allowed if name in params}


def printable(text: str) -> str:
    return text[:40].encode("ascii", "backslashreplace").decode("ascii")


def as_of(query: dict[str, str]) -> dt.date:
    value = query.get("as_of")
    if value is None:
        return dt.date.today()
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise Problem(400, "Bad Request", "as_of is not a date: give it as YYYY-MM-DD, e.g. 2026-03-02") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Problem(
            400,
            "Bad Request",
            f"cannot evaluate as of {value}: working days can be counted only from {FIRST_YEAR} to {LAST_YEAR}, "
            "the years whose bank holidays are known",
        )
    return day


def flag(query: dict[str, str], name: str) -> bool:
    value = query.get(name, "false").lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise Problem(400, "Bad Request", f"{name} is true or false")


def content_type(request: Request, accepted: tuple[str, ...]) -> None:
    header = request.headers.get("content-type", "")
    kind, _, rest = header.partition(";")
    charset = re.search(r"charset=\"?([\w-]+)", rest, re.IGNORECASE)
    if kind.strip().lower() not in accepted or (charset and charset.group(1).lower() not in ("utf-8", "utf8")):
        shown = printable(header) if header else "none"
        raise Problem(
            415,
            "Unsupported Media Type",
            f"the body must be {' or '.join(accepted)} (UTF-8); this request's Content-Type is {shown}",
            close=True,
        )


def declared_length(request: Request, limit: int) -> None:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise _too_large(limit)


def _too_large(limit: int) -> Problem:
    return Problem(413, "Content Too Large", f"the request body is over the {limit:,}-byte limit", close=True)


async def read_body(request: Request, limit: int, timeout: float) -> bytes:
    declared_length(request, limit)
    parts: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                parts.append(chunk)
    except TimeoutError:
        raise Problem(
            408, "Request Timeout", f"the request body did not arrive within {timeout:g} s", close=True
        ) from None
    return b"".join(parts)


def area_policy(catalogue: Catalogue, request: Request):
    area = request.path_params["area"]
    policy = catalogue.get(area)
    if policy is None:
        raise Problem(404, "Not Found", f"no policy for area '{printable(area)}' (known: {', '.join(catalogue.areas)})")
    return policy


def evaluation_request(
    catalogue: Catalogue, request: Request, more: tuple[str, ...] = ()
) -> tuple[Policy, dt.date, bool, dict[str, str]]:
    """What an evaluation's URL asks for: the area's policy, the date, whether to explain, and its query
    parameters (``as_of``, ``explain`` and ``more``); a :class:`Problem` for an unknown area or parameter or a
    value that cannot be used."""
    params = query_params(request, ("as_of", "explain", *more))
    policy = area_policy(catalogue, request)
    return policy, as_of(params), flag(params, "explain"), params


def evaluator_for(policy: Policy, day: dt.date) -> Evaluator:
    try:
        return policy.evaluator(day)
    except PolicyError as exc:
        # Every version was compiled at start: the one error left is a date before the area's first version.
        raise Problem(404, "Not Found", exc.message, area=policy.area) from None


def refused(exc: CaseError, evaluator: Evaluator) -> Problem:
    findings = [problem(f, hint=True) for f in exc.findings]
    return Problem(
        422,
        "Unprocessable Content",
        f"the case cannot be evaluated: {len(findings)} problem(s) found",
        area=evaluator.policy.area,
        policy_version=evaluator.policy.version,
        findings=findings,
    )


def json_response(data: object, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data, ensure_ascii=False) + "\n", media_type=JSON, headers=headers)
