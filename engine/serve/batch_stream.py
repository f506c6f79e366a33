"""``POST /v1/areas/{area}/evaluate-batch``: a caseload as JSON Lines in, its results as JSON Lines out, streamed."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.requests import ClientDisconnect, Request

from engine.caseload.batch import BatchSettings, CaseWorker, Records, header_line
from engine.evaluation.evaluate import Evaluator
from engine.serve.http import Problem, content_type, declared_length, evaluation_request, evaluator_for, version_header
from engine.serve.openapi import BATCH_TYPES
from engine.serve.service import Service, Settings

__all__ = ["BATCH_STEP", "Batch"]

log = logging.getLogger("cpc.serve")

BATCH_STEP = 16
"""Cases a batch evaluates before it lets the server answer other requests: about 15 ms."""


class Batch:
    """``POST /v1/areas/{area}/evaluate-batch``: JSON Lines in, JSON Lines out, streamed.

    An ASGI application of its own rather than a streaming response, because it reads the body and writes the
    response at once, and must be able to stop a response half-way without completing it.

    The body is read ahead of the evaluation into memory (at most ``max_batch_bytes``), so that a client that
    sends the whole body before it reads a byte of the response (as many HTTP clients do) cannot deadlock
    against the server's output buffers.
    """

    def __init__(self, service: Service):
        self.service = service

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        settings = self.service.settings
        try:
            policy, day, explain, params = evaluation_request(self.service.catalogue, request, ("citations",))
            citations = params.get("citations", "header")
            if citations not in ("header", "inline"):
                raise Problem(400, "Bad Request", "citations is header or inline")
            content_type(request, BATCH_TYPES)
            declared_length(request, settings.max_batch_bytes)
            evaluator = evaluator_for(policy, day)
            worker = CaseWorker(evaluator, BatchSettings(policy.area, None, day, explain, (), citations))
        except Problem as problem:
            await problem.response()(scope, receive, send)
            return
        chunks: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue()
        gone = asyncio.Event()
        reader = asyncio.get_running_loop().create_task(self._read(receive, chunks, gone, settings))
        try:
            await self._respond(scope, receive, send, chunks, gone, worker, evaluator)
        except asyncio.CancelledError:
            # The server is stopping and its grace period is over: the response is cut off, as for any other
            # stop, rather than the cancellation logged as an error with its traceback.
            log.warning("batch stopped: the server is stopping")
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    @staticmethod
    async def _read(receive, chunks: asyncio.Queue, gone: asyncio.Event, settings: Settings) -> None:
        size = 0
        try:
            while True:
                try:
                    async with asyncio.timeout(settings.timeout):
                        message = await receive()
                except TimeoutError:
                    chunks.put_nowait(TimeoutError(f"no part of the request body arrived for {settings.timeout:g} s"))
                    return
                if message["type"] == "http.disconnect":
                    gone.set()
                    chunks.put_nowait(ClientDisconnect())
                    return
                body = message.get("body", b"")
                size += len(body)
                if size > settings.max_batch_bytes:
                    chunks.put_nowait(
                        ValueError(f"the request body is over the {settings.max_batch_bytes:,}-byte limit")
                    )
                    return
                if body:
                    chunks.put_nowait(body)
                if not message.get("more_body", False):
                    chunks.put_nowait(None)
                    break
            # The whole body is in; what the server says next is whether the client goes away before the
            # results are all sent, which must stop the evaluation rather than go on for nobody.
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            gone.set()
            chunks.put_nowait(exc)

    async def _respond(
        self,
        scope,
        receive,
        send,
        chunks: asyncio.Queue,
        gone: asyncio.Event,
        worker: CaseWorker,
        evaluator: Evaluator,
    ) -> None:
        # Nothing is answered before the body starts to arrive: a client that asked to be told to go on
        # (`Expect: 100-continue`, as curl does above 1 MB) is told so only while no response has begun, and a
        # body that never comes, or is over the limit from its start, still gets its own status.
        chunk = await chunks.get()
        if isinstance(chunk, TimeoutError | ValueError):
            status = 408 if isinstance(chunk, TimeoutError) else 413
            title = "Request Timeout" if status == 408 else "Content Too Large"
            await Problem(status, title, f"{chunk}", close=True).response()(scope, receive, send)
            return
        headers = [(b"content-type", b"application/x-ndjson")]
        headers += [(k.lower().encode(), v.encode()) for k, v in version_header(evaluator.policy.version).items()]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if worker.rules is not None:
            await send({"type": "http.response.body", "body": header_line(worker.rules), "more_body": True})
        lines = Records("request")
        answered = 0
        while True:
            if isinstance(chunk, BaseException):
                # The response stops without its last chunk: the client sees an incomplete response, never a
                # complete-looking one that lacks cases.
                log.warning("batch stopped after %d case(s): %s", answered, _reason(chunk))
                return
            items = lines.feed(chunk) if chunk is not None else lines.end()
            for start in range(0, len(items), BATCH_STEP):
                if gone.is_set():
                    log.warning("batch stopped after %d case(s): the client went away", answered)
                    return
                step = items[start : start + BATCH_STEP]
                out = b"".join(worker(item).line for item in step)
                answered += len(step)
                if out:
                    await send({"type": "http.response.body", "body": out, "more_body": True})
                # Let the server answer other requests between steps.
                await asyncio.sleep(0)
            if chunk is None:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            chunk = await chunks.get()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ClientDisconnect):
        return "the client went away"
    return str(exc) if isinstance(exc, TimeoutError | ValueError) else type(exc).__name__
