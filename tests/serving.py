"""Running `cpc serve` as a real process and talking to it over a socket, for tests/test_serve.py.

The server is started the way an operator starts it (`python -m engine serve --port 0 ...`), its standard error
read by a thread and kept whole (the log is part of what is tested), and stopped with SIGTERM. Requests use
only the standard library: http.client for ordinary ones, a raw socket where the test needs to control the
bytes on the wire (chunks, a body that stops half-way).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .conftest import ROOT

LISTENING = re.compile(r"^cpc serve: listening on http://127\.0\.0\.1:(\d+) \(")
# Long enough for a loaded machine to compile the policies; a healthy start takes about a second.
START_TIMEOUT = 60.0


def environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "CPC_DEBUG")}


class Server:
    """A `cpc serve` process on a free port of 127.0.0.1."""

    def __init__(self, *args: str, cwd: Path = ROOT):
        self.args = args
        self.process = subprocess.Popen(
            [sys.executable, "-m", "engine", "serve", "--port", "0", *args],
            cwd=cwd,
            env=environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = 0

    def _read(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            with self._lock:
                self._lines.append(raw.decode("utf-8", "replace"))

    @property
    def log(self) -> str:
        """Everything the server has written to standard error so far."""
        with self._lock:
            return "".join(self._lines)

    def wait_for_log(self, pattern: str, count: int = 1, timeout: float = 30.0) -> str:
        """The log once ``pattern`` (a regular expression) occurs ``count`` times in it; fails after ``timeout``."""
        gone_by = time.monotonic() + timeout
        while True:
            log = self.log
            if len(re.findall(pattern, log, re.MULTILINE)) >= count:
                return log
            if time.monotonic() > gone_by or (self.process.poll() is not None and not self._reader.is_alive()):
                raise AssertionError(f"{pattern!r} not {count} time(s) in the log:\n{log}")
            time.sleep(0.05)

    def start(self) -> Server:
        """Wait until the server says where it listens and answers /healthz."""
        log = self.wait_for_log(LISTENING.pattern, timeout=START_TIMEOUT)
        found = next(LISTENING.match(line) for line in log.splitlines() if LISTENING.match(line))
        self.port = int(found.group(1))
        gone_by = time.monotonic() + START_TIMEOUT
        while True:
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.get("/healthz").status == 200:
                    return self
            if self.process.poll() is not None or time.monotonic() > gone_by:
                raise AssertionError(f"the server did not come up (exit {self.process.poll()}):\n{self.log}")
            time.sleep(0.05)

    def stop(self) -> int | None:
        """SIGTERM, as a service manager stops it; killed if it has not stopped 20 s on. Its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(10)
        if self.process.stderr is not None:
            self.process.stderr.close()
        return self.process.returncode

    def signal(self, sig: int) -> None:
        self.process.send_signal(sig)

    # -- requests --

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        return request(self.port, method, path, body, headers)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, body: bytes, content_type: str = "application/json", **headers: str) -> Reply:
        return self.request("POST", path, body, {"Content-Type": content_type, **headers})


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


def request(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Reply:
    """One request on a connection of its own; the whole response."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        connection.close()


def raw_request(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked request body."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


LAST_CHUNK = b"0\r\n\r\n"


@dataclass
class Streamed:
    """A response read off a raw socket: its status and headers, the body received, and whether it was complete
    (``error`` says how it was cut off when not)."""

    status: int
    headers: dict[str, str]
    body: bytes
    error: str | None


class Connection:
    """A raw connection: the test writes exactly the bytes it wants, when it wants, then reads the response."""

    def __init__(self, port: int, timeout: float = 60.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_chunks(self, parts: Iterable[bytes]) -> None:
        for part in parts:
            self.sock.sendall(chunk(part))

    def response(self, method: str = "POST") -> Streamed:
        """Read the response to the end, or until the server closes the connection mid-way."""
        response = http.client.HTTPResponse(self.sock, method=method)
        try:
            response.begin()
            headers = {k.lower(): v for k, v in response.getheaders()}
            try:
                return Streamed(response.status, headers, response.read(), None)
            except http.client.IncompleteRead as exc:
                return Streamed(response.status, headers, exc.partial, f"IncompleteRead: {exc!r}")
        finally:
            response.close()

    def read_all(self) -> bytes:
        """Every byte the server sends until it closes the connection."""
        data = b""
        while chunk := self.sock.recv(65536):
            data += chunk
        return data

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
