"""Run the service: bind the socket, start the worker processes under uvicorn, and pass signals on.

One worker serves in this process with the policies already loaded. Several are spawned processes sharing the
listening socket, each loading and compiling the policies itself (durable-rules' state must not cross a fork).
This process then only supervises: SIGHUP goes on to every worker, which reloads in place (keeping what it
had if the new policies cannot be used); SIGINT and SIGTERM stop them, letting requests in progress finish; a
worker that dies is replaced.

Only uvicorn's ``Config`` and ``Server.run(sockets=...)`` are used, not its own supervisor, so that reloading
means the same with one worker as with eight.
"""

from __future__ import annotations

import contextlib
import logging
import logging.config
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from multiprocessing.synchronize import Event

import uvicorn

from engine.serve.app import make_app
from engine.serve.catalogue import Catalogue
from engine.serve.service import EXIT_STARTUP, Service, Settings

__all__ = ["GRACE", "LOG_CONFIG", "CutOffSaid", "bind", "serve"]

log = logging.getLogger("cpc.serve")

GRACE = 10
"""Seconds a stopping worker gives the requests in progress to finish."""

LOG_CONFIG: dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(process)d]: %(message)s",
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        },
    },
    "filters": {"cut_off": {"()": "engine.serve.run.CutOffSaid"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stderr",
            "filters": ["cut_off"],
        }
    },
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        # Off: it writes the client's address and the URL with its query.
        "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        "cpc": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


# Several workers each listen on a socket of their own bound to the one port, and the kernel shares the
# connections out among them evenly. On one shared socket, whichever worker is idle when connections arrive
# takes them all: 48 of 50 keep-alive clients were seen queued on one worker while the other had 2.
REUSE_PORT = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


class CutOffSaid(logging.Filter):
    """Drops uvicorn's error for a response the application left unfinished: a batch cut off on purpose, whose
    reason cpc has just logged, and whose access line says ``cut off``."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name == "uvicorn.error" and record.msg == "ASGI callable returned without completing response."
        )


def bind(host: str, port: int, *, workers: int = 1) -> socket.socket:
    """The socket ``cpc serve`` takes ``host:port`` with (port 0: any free port); ``OSError`` if it cannot.

    It listens, unless several workers will each listen on their own (:data:`REUSE_PORT`): then it only holds
    the port, since a connection queued on a socket nobody accepts from would never be answered.
    """
    own_sockets = workers > 1 and REUSE_PORT
    return _socket(host, port, reuse_port=own_sockets, listen=not own_sockets)


def _socket(host: str, port: int, *, reuse_port: bool, listen: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP said outright: asyncio turns Nagle's algorithm off only on a socket that says it is TCP, and
    # without that each answer waited about 40 ms for the client's delayed acknowledgement.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _config(app: Callable, quiet: bool) -> uvicorn.Config:
    logging_config = {**LOG_CONFIG, "loggers": dict(LOG_CONFIG["loggers"])}
    if quiet:
        logging_config["loggers"]["cpc.access"] = {"level": "WARNING"}
    return uvicorn.Config(
        app,
        lifespan="on",
        log_config=logging_config,
        access_log=False,
        server_header=False,
        # Not httptools, which uvicorn would pick when installed: it drops the body of a request that offers an
        # HTTP/2 upgrade (`Upgrade: h2c`), as Java's HttpClient does by default (uvicorn issue 2722).
        http="h11",
        timeout_graceful_shutdown=GRACE,
    )


def serve(
    settings: Settings,
    sock: socket.socket,
    *,
    workers: int = 1,
    catalogue: Catalogue | None = None,
    quiet: bool = False,
    ready: Callable[[], object] = lambda: None,
) -> int:
    """Serve on ``sock`` until stopped; the exit status. ``ready`` is called once every worker takes requests."""
    if workers <= 1:
        # The socket listens already and the policies are compiled: a connection made now is answered.
        ready()
        return _run(Service(settings, catalogue), sock, quiet)
    return _Supervisor(settings, sock, workers, quiet).run(ready)


def _run(service: Service, sock: socket.socket, quiet: bool, ready: Callable[[], object] | None = None) -> int:
    server = uvicorn.Server(_config(make_app(service, ready), quiet))
    # uvicorn stops gracefully on SIGINT or SIGTERM, then raises the signal again for the handler it found:
    # this one makes a stop that was asked for exit 0, rather than die of the signal (143) or raise
    # KeyboardInterrupt.
    stopped = {sig: signal.signal(sig, _exit_zero) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=[sock])
    except SystemExit as exc:
        if exc.code != 0:
            raise
    finally:
        for sig, handler in stopped.items():
            signal.signal(sig, handler)
    return 0 if server.started else EXIT_STARTUP


def _exit_zero(sig: int, frame: object) -> None:
    raise SystemExit(0)


def _worker(settings: Settings, where: socket.socket | tuple[str, int], quiet: bool, ready: Event) -> None:
    # A spawned process: the policies are loaded at start-up, in the application's lifespan. It is given the
    # shared socket, or the address to listen on with a socket of its own.
    if isinstance(where, tuple):
        try:
            where = _socket(*where, reuse_port=True, listen=True)
        except OSError as exc:
            log.error("a worker cannot listen on %s:%s: %s", *where, exc.strerror or exc)
            sys.exit(EXIT_STARTUP)
    sys.exit(_run(Service(settings), where, quiet, ready.set))


class _Supervisor:
    def __init__(self, settings: Settings, sock: socket.socket, workers: int, quiet: bool):
        self.settings, self.count, self.quiet = settings, workers, quiet
        listening = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
        self.where: socket.socket | tuple[str, int] = sock if listening else sock.getsockname()[:2]
        self.sock = sock  # held, so that the port stays this service's while workers come and go
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[multiprocessing.process.BaseProcess] = []
        self.signals: list[int] = []

    def _start(self) -> tuple[multiprocessing.process.BaseProcess, Event]:
        ready = self.context.Event()
        args = (self.settings, self.where, self.quiet, ready)
        process = self.context.Process(target=_worker, args=args, daemon=False)
        process.start()
        return process, ready

    def run(self, ready: Callable[[], object]) -> int:
        logging.config.dictConfig(LOG_CONFIG)
        handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        previous = {sig: signal.signal(sig, lambda sig, frame: self.signals.append(sig)) for sig in handled}
        try:
            started = [self._start() for _ in range(self.count)]
            self.processes = [process for process, _ in started]
            announced = False
            while not announced:
                # Said only once every worker listens: with a socket each, a connection made earlier is refused.
                stopping = any(sig != signal.SIGHUP for sig in self.signals)
                if stopping or any(not p.is_alive() for p in self.processes):
                    return self._supervise()
                announced = all(event.wait(0.1) for _, event in started)
            ready()
            return self._supervise()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _supervise(self) -> int:
        while True:
            while self.signals:
                sig = self.signals.pop(0)
                if sig == signal.SIGHUP:
                    log.info("SIGHUP: each worker reloads the policies")
                    self._send(signal.SIGHUP)
                else:
                    return self._stop()
            for index, process in enumerate(self.processes):
                if process.is_alive():
                    continue
                if process.exitcode == EXIT_STARTUP:
                    log.error("a worker could not start (see above); stopping")
                    self._stop()
                    return EXIT_STARTUP
                log.warning("worker %s stopped (exit %s); starting another", process.pid, process.exitcode)
                self.processes[index], _ = self._start()
            time.sleep(0.2)

    def _send(self, sig: int) -> None:
        for process in self.processes:
            if process.pid is not None and process.is_alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, sig)

    def _stop(self) -> int:
        self._send(signal.SIGTERM)
        deadline = time.monotonic() + GRACE + 5
        for process in self.processes:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        return 0
