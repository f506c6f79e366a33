"""Requests a second and latency of `cpc serve`, and its batch endpoint against `cpc eval --cases`.

    python bench/serve.py [single] [batch] [--cases 2000] [--seed 1] [--area berkshire] [--as-of 2026-03-01]
                          [--workers 2] [--concurrency 50] [--seconds 10] [--warmup 2] [--rate R]
                          [--repeat 3] [--uvicorn HTTP:LOOP[:nodelay]] [--keep DIR]

Both modes run by default. The caseload is generated first with bench/generate_caseload.py (--cases cases,
fixed seed), so that the requests are distinct cases, not the same one over and over. Each mode starts the
server itself, `cpc serve --port 0 --workers N --quiet` (no access log, so logging costs nothing), waits for
GET /healthz and for the workers to finish compiling, and stops it with SIGTERM at the end, on Ctrl-C too.

single  POST /v1/areas/AREA/evaluate?as_of=DATE, one case a request, for --warmup seconds unmeasured then
        --seconds measured, from --concurrency clients, each on its own persistent HTTP/1.1 keep-alive
        connection. Closed loop: a client sends its next case when the previous answer has arrived, so
        p50 is about concurrency / requests a second (Little's law) once the server is saturated. With
        --rate R, open loop instead: R requests a second are sent on schedule whatever the answers (as page
        views arrive), each on the connection idle most recently (as a connection pool does: at a low rate a
        few connections, perhaps all on one worker, carry it all) or else pipelined behind the fewest
        outstanding, and the latency is counted from the time it was due to be sent, so that a late client
        cannot hide a slow server. --workers, --concurrency and --rate take comma lists (or repeat) and print
        one row each; with several workers a row also says how many of the connections each worker accepted.
        First, the same work in this process without HTTP (read_input, evaluate, json_line on the cases) is
        timed, CPU time a case: the most one worker could answer.
batch   `cpc eval --policy AREA --cases FILE --out OUT --as-of DATE --jobs 1`, timed on the wall clock from
        start to exit and by the cases/s it prints itself (its clock starts once Python is up, policy
        loading included), against POST /v1/areas/AREA/evaluate-batch with the same file to a 1-worker
        server (wall from the first byte sent to the last byte received; the response must equal the
        command's output byte for byte); then `--jobs 2` against two concurrent batch requests of half the
        file each to a 2-worker server. Best of --repeat runs each.

The load generator shares the machine with the server, so it is cheap: asyncio streams on uvloop (if
installed), requests encoded before timing starts, and only the status line and Content-Length of an answer
parsed. Each row prints the client's own CPU seconds (time.process_time) and the server's (its processes'
utime + stime from /proc/PID/stat, the workers' split shown), as a share of the measured wall time: 100% is
one core. Every row also prints the one-minute load average at its end: other work on the machine slows the
server and shows there.

--uvicorn HTTP:LOOP (e.g. h11:asyncio) serves the same application from a one-worker uvicorn started by this
script with that HTTP parser and event loop, on a socket from engine.serve.run.bind as `cpc serve` has,
instead of `cpc serve` itself (h11 on uvloop when installed: engine/serve/run.py; the first line printed
says). httptools is not in the serve extra (it loses the body of a request offering an HTTP/2 upgrade); to
compare it, `pip install --target DIR httptools` and run with PYTHONPATH=DIR. HTTP:LOOP:nodelay also sets
TCP_NODELAY on the listening socket; bind's socket says it is TCP (IPPROTO_TCP), so asyncio sets it on each
connection anyway (before, with protocol 0, every answer on asyncio's loop waited about 40 ms for the
client's delayed ACK). Linux only (/proc).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import importlib.metadata
import importlib.util
import itertools
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")
HOST = "127.0.0.1"
LISTENING = re.compile(r"listening on http://\[?([^\]\s]+?)\]?:(\d+) ")
RATE = re.compile(r"\(([\d,]+) cases/s\)")

# A one-worker server with a given HTTP parser and event loop (--uvicorn): the same application, log
# configuration and socket as `cpc serve --workers 1 --quiet`, only the uvicorn Config differs.
UVICORN_SCRIPT = """
import socket
import sys
import uvicorn
from engine.serve.app import make_app
from engine.serve.run import LOG_CONFIG, bind
from engine.serve.service import Service, Settings

http, loop, nodelay = sys.argv[1], sys.argv[2], sys.argv[3] == "nodelay"
sock = bind("127.0.0.1", 0)
if nodelay:  # inherited by the connections it accepts (Linux)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
log_config = {**LOG_CONFIG, "loggers": {**LOG_CONFIG["loggers"], "cpc.access": {"level": "WARNING"}}}
config = uvicorn.Config(
    make_app(Service(Settings())), http=http, loop=loop, lifespan="on", log_config=log_config,
    access_log=False, server_header=False,
)
port = sock.getsockname()[1]
shown = f"http={http}, loop={loop}" + (", nodelay" if nodelay else "")
print(f"uvicorn: listening on http://127.0.0.1:{port} ({shown})", file=sys.stderr, flush=True)
uvicorn.Server(config).run(sockets=[sock])
"""


# -- processes ----------------------------------------------------------------------------------------------


def _stat(pid: int) -> list[bytes] | None:
    """The fields of /proc/PID/stat after the command name (the state is [0], the parent [1])."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: the fields after its last ")" are fixed.
    return stat[stat.rindex(b")") + 2 :].split()


def tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds (user + system) so far of ``root`` and each of its descendants, by pid."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    cpu: dict[int, float] = {}
    stack = [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        if (fields := _stat(pid)) is not None:
            cpu[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return cpu


class Server:
    """`cpc serve` (or a bare uvicorn, with ``uvicorn="HTTP:LOOP"``) on a free port, as a context manager that
    stops it with SIGTERM however the block ends."""

    def __init__(self, workers: int, uvicorn: str | None = None):
        self.workers = workers
        if uvicorn:
            http, loop, nodelay = [*uvicorn.split(":"), "auto", ""][:3]
            self.command = [sys.executable, "-c", UVICORN_SCRIPT, http, loop, nodelay]
            self.label = f"uvicorn http={http} loop={loop}{' nodelay' * (nodelay == 'nodelay')}, 1 worker"
        else:
            self.command = [sys.executable, "-m", "engine", "serve", "--port", "0", "--quiet"]
            self.command += ["--workers", str(workers)]
            self.label = f"cpc serve --workers {workers}"
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.log: collections.deque[str] = collections.deque(maxlen=50)

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(self.command, cwd=ROOT, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
        lines: collections.deque[str] = collections.deque()
        threading.Thread(target=self._drain, args=(lines,), daemon=True).start()
        try:
            self._wait_ready(lines)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _drain(self, lines: collections.deque[str]) -> None:
        assert self.process is not None and self.process.stderr is not None
        for raw in self.process.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            self.log.append(line)
            lines.append(line)

    def _fail(self, why: str) -> SystemExit:
        return SystemExit(f"{self.label}: {why}\n" + "\n".join(self.log))

    def _wait_ready(self, lines: collections.deque[str]) -> None:
        assert self.process is not None
        deadline = time.monotonic() + 120
        while not self.port:
            if self.process.poll() is not None:
                raise self._fail(f"exited with status {self.process.returncode} before listening")
            if time.monotonic() > deadline:
                raise self._fail("did not say where it listens within 120 s")
            while lines:
                if match := LISTENING.search(lines.popleft()):
                    self.port = int(match.group(2))
            time.sleep(0.02)
        while not _healthy(self.port):
            if self.process.poll() is not None:
                raise self._fail(f"exited with status {self.process.returncode} before /healthz answered")
            if time.monotonic() > deadline:
                raise self._fail("/healthz did not answer 200 within 120 s")
            time.sleep(0.1)
        # /healthz answers once one worker is up; the others may still be compiling the policies. Ready when
        # every worker exists and the server's processes have been idle for a moment.
        while True:
            before = tree_cpu(self.process.pid)
            time.sleep(0.3)
            after = tree_cpu(self.process.pid)
            busy = sum(after.values()) - sum(before.get(pid, 0.0) for pid in after)
            if busy < 0.03 and len(after) >= (self.workers + 1 if self.workers > 1 else 1):
                return
            if time.monotonic() > deadline:
                raise self._fail("its workers did not settle within 120 s")

    def cpu(self) -> dict[int, float]:
        assert self.process is not None
        return tree_cpu(self.process.pid)

    def __exit__(self, *exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _healthy(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=2) as sock:
            sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode())
            return sock.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def connections(server: Server) -> list[int]:
    """How many established connections to the server's port each of its processes holds, busiest first:
    with several workers sharing the socket, whichever accepts first takes a connection."""
    assert server.process is not None
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as handle:
            for row in itertools.islice(handle, 1, None):
                fields = row.split()
                if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == server.port:
                    inodes.add(f"socket:[{fields[9]}]")
    counts = []
    for pid in server.cpu():
        with contextlib.suppress(OSError):
            held = sum(os.readlink(f"/proc/{pid}/fd/{fd}") in inodes for fd in os.listdir(f"/proc/{pid}/fd"))
            if held:
                counts.append(held)
    return sorted(counts, reverse=True)


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> dict[int, float]:
    return {pid: seconds - before.get(pid, 0.0) for pid, seconds in after.items()}


def cpu_text(delta: dict[int, float], root: int, wall: float) -> str:
    """``9.4 s 188%`` and, with workers, each busy process's share: ``(95+93)``."""
    total = sum(delta.values())
    text = f"{total:5.1f} s {total / wall:4.0%}"
    workers = [seconds for pid, seconds in sorted(delta.items()) if pid != root and seconds >= 0.05]
    if len(delta) > 1:
        text += " (" + "+".join(f"{seconds / wall:.0%}" for seconds in workers) + ")"
    return text


# -- the HTTP client ---------------------------------------------------------------------------------------


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response with a Content-Length: (its status, whether the server closes the connection)."""
    head = (await reader.readuntil(b"\r\n\r\n")).lower()
    start = head.find(b"\r\ncontent-length:")
    if start < 0:
        raise ConnectionError("a response without Content-Length")
    start += 17
    length = int(head[start : head.index(b"\r\n", start)])
    if length:
        await reader.readexactly(length)
    return int(head[9:12]), b"\r\nconnection: close\r\n" in head


class Samples:
    """What the clients saw: each answer's end time, latency and status, and the failed connections."""

    def __init__(self) -> None:
        self.ends: list[float] = []
        self.latencies: list[float] = []
        self.statuses: list[int] = []
        self.failures: list[float] = []
        self.outstanding = 0  # open loop: requests sent and not yet answered

    def add(self, end: float, latency: float, status: int) -> None:
        self.ends.append(end)
        self.latencies.append(latency)
        self.statuses.append(status)


async def closed_client(port: int, requests: list[bytes], counter, samples: Samples, stop: float) -> None:
    """Send a request, wait for its answer, send the next, until ``stop``."""
    clock = time.perf_counter
    reader, writer = await asyncio.open_connection(HOST, port)
    count = len(requests)
    try:
        while (start := clock()) < stop:
            writer.write(requests[next(counter) % count])
            try:
                status, close = await read_answer(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                samples.failures.append(clock())
                close = True
            else:
                end = clock()
                samples.add(end, end - start, status)
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, port)
    finally:
        writer.close()


class Connection:
    """One connection of the open loop: the times its requests were due, oldest first, and a reader for them."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer
        self.due: collections.deque[float] = collections.deque()
        self.broken = False


async def open_reader(connection: Connection, idle: list[Connection], samples: Samples) -> None:
    clock = time.perf_counter
    while True:
        try:
            status, close = await read_answer(connection.reader)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            close, now = True, clock()
        else:
            now = clock()
            samples.outstanding -= 1
            samples.add(now, now - connection.due.popleft(), status)
        if close:
            # What was sent on it will not be answered: each is an error.
            samples.failures.extend(now for _ in connection.due)
            samples.outstanding -= len(connection.due)
            connection.due.clear()
            connection.broken = True
            return
        if not connection.due:
            idle.append(connection)


async def open_loop(
    port: int, requests: list[bytes], clients: int, rate: float, samples: Samples, start: float, stop: float
) -> int:
    """Send ``rate`` requests a second from ``start`` to ``stop`` over ``clients`` connections, whatever the
    answers: the largest number outstanding at once."""
    connections = [Connection(*await asyncio.open_connection(HOST, port)) for _ in range(clients)]
    idle = list(connections)
    readers = [asyncio.create_task(open_reader(c, idle, samples)) for c in connections]
    clock = time.perf_counter
    count, most = len(requests), 0
    for index in itertools.count():
        due = start + index / rate
        if due >= stop:
            break
        if (wait := due - clock()) > 0:
            await asyncio.sleep(wait)
        if idle:
            connection = idle.pop()
        else:
            working = [c for c in connections if not c.broken]
            if not working:
                break
            connection = min(working, key=lambda c: len(c.due))
        connection.due.append(due)
        connection.writer.write(requests[index % count])
        samples.outstanding += 1
        most = max(most, samples.outstanding)
    # Give the answers still to come a while, then stop.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(10):
            while any(c.due for c in connections):
                await asyncio.sleep(0.01)
    for task in readers:
        task.cancel()
    for connection in connections:
        connection.writer.close()
    return most


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


async def single_row(
    server: Server, requests: list[bytes], clients: int, rate: float | None, warmup: float, seconds: float
) -> str:
    """Load the server for ``warmup`` + ``seconds`` and the table row for the measured part."""
    samples = Samples()
    counter = itertools.count()
    begin = time.perf_counter()
    start, stop = begin + warmup, begin + warmup + seconds
    marks: dict[str, tuple[float, dict[int, float]]] = {}
    held: list[int] = []

    async def mark(name: str, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        marks[name] = (time.process_time(), server.cpu())
        if name == "start" and server.workers > 1:
            held.extend(connections(server))

    markers = [asyncio.create_task(mark("start", start)), asyncio.create_task(mark("stop", stop))]
    most = 0
    if rate is None:
        await asyncio.gather(*(closed_client(server.port, requests, counter, samples, stop) for _ in range(clients)))
    else:
        most = await open_loop(server.port, requests, clients, rate, samples, begin, stop)
    await asyncio.gather(*markers)
    load = os.getloadavg()[0]

    inside = [
        (latency, status)
        for end, latency, status in zip(samples.ends, samples.latencies, samples.statuses, strict=True)
        if start <= end < stop
    ]
    ordered = sorted(latency * 1e3 for latency, _ in inside)
    errors = sum(status != 200 for _, status in inside) + sum(start <= t < stop for t in samples.failures)
    client = marks["stop"][0] - marks["start"][0]
    assert server.process is not None
    server_cpu = cpu_delta(marks["start"][1], marks["stop"][1])
    row = (
        f"{server.workers:>7} {clients:>5} {rate or '-':>6} {len(inside) / seconds:>7.0f} "
        f"{percentile(ordered, 0.50):>7.2f} {percentile(ordered, 0.90):>7.2f} {percentile(ordered, 0.99):>7.2f} "
        f"{ordered[-1] if ordered else float('nan'):>8.2f} {errors:>6} "
        f"{client:>5.1f} s {client / seconds:>4.0%}   {cpu_text(server_cpu, server.process.pid, seconds):<22} "
        f"{load:>5.2f}"
    )
    if held:
        row += f"   connections by worker: {'/'.join(map(str, held))}"
    if rate is not None:
        row += f"   at most {most} outstanding"
    return row


def in_process(args: argparse.Namespace, lines: list[bytes], count: int = 500) -> str:
    """What the endpoint does for a case, without HTTP: read, evaluate, the JSON answer, CPU time a case (best
    of two passes over ``count`` cases): the most a worker could serve."""
    import datetime as dt

    from engine import load_policy
    from engine.caseload.batch import CaseInput, read_input
    from engine.evaluation import eval_formats

    day = dt.date.fromisoformat(args.as_of)
    folder = ROOT / "policies"
    evaluator = load_policy(args.area, policies_dir=folder if folder.is_dir() else None).evaluator(day)
    sample = lines[:count]
    fastest, size = float("inf"), 0
    for _ in range(2):
        start, size = time.process_time(), 0
        for body in sample:
            evaluation = evaluator.evaluate(read_input(CaseInput("request", 0, body)), day)
            size += len(eval_formats.json_line(evaluation).encode("utf-8"))
        fastest = min(fastest, time.process_time() - start)
    per_case = fastest / len(sample)
    return (
        f"in process, without HTTP (read_input, evaluate, json_line, as the endpoint does): {per_case * 1e3:.2f} ms "
        f"of CPU a case, {size / len(sample) / 1e3:.0f} KB an answer: at most {1 / per_case:.0f} requests/s a "
        f"worker (load {os.getloadavg()[0]:.2f})"
    )


def single(args: argparse.Namespace, caseload: Path) -> None:
    lines = [line for line in caseload.read_bytes().splitlines() if line.strip()]
    path = f"/v1/areas/{args.area}/evaluate?as_of={args.as_of}"
    print(f"\n{in_process(args, lines)}", flush=True)
    print(
        f"single: POST {path}, {len(lines):,} distinct cases in turn; {args.warmup:g} s warm-up, "
        f"{args.seconds:g} s measured; {'open loop at --rate' if args.rate else 'closed loop'}; "
        f"server: {Server(1, args.uvicorn).label if args.uvicorn else 'cpc serve --quiet --workers N'}",
        flush=True,
    )
    print(
        f"{'workers':>7} {'conc':>5} {'rate':>6} {'req/s':>7} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} "
        f"{'max ms':>8} {'errors':>6} {'client CPU':>11}   {'server CPU (workers)':<22} {'load':>5}"
    )
    for workers in args.workers:
        with Server(workers, args.uvicorn) as server:
            host = f"Host: {HOST}:{server.port}\r\n"
            requests = [
                (
                    f"POST {path} HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                ).encode("ascii")
                + body
                for body in lines
            ]
            for clients in args.concurrency:
                for rate in args.rate or [None]:
                    row = run_async(single_row(server, requests, clients, rate, args.warmup, args.seconds))
                    print(row, flush=True)


# -- batch -------------------------------------------------------------------------------------------------


async def batch_request(port: int, path: str, body: bytes) -> tuple[bytes, float, float]:
    """POST ``body`` as JSON Lines: the response body (de-chunked), when its first byte was sent and when its
    last byte arrived."""
    reader, writer = await asyncio.open_connection(HOST, port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/x-ndjson\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode("ascii")
    sent = time.perf_counter()
    writer.write(head + body)
    drained = asyncio.create_task(writer.drain())
    answer = (await reader.readuntil(b"\r\n\r\n")).lower()
    if not answer.startswith(b"http/1.1 200"):
        raise SystemExit(f"evaluate-batch answered {answer.splitlines()[0].decode('latin-1')}")
    parts = []
    if b"\r\ntransfer-encoding: chunked\r\n" in answer:
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append((await reader.readexactly(size + 2))[:-2])
        await reader.readuntil(b"\r\n")
    else:
        start = answer.index(b"\r\ncontent-length:") + 17
        parts.append(await reader.readexactly(int(answer[start : answer.index(b"\r\n", start)])))
    received = time.perf_counter()
    await drained
    writer.close()
    return b"".join(parts), sent, received


def run_cli(args: argparse.Namespace, caseload: Path, out: Path, jobs: int) -> tuple[float, float, float]:
    """`cpc eval --cases` once: (wall seconds, the cases/s it prints, load average at its end)."""
    command = [sys.executable, "-m", "engine", "eval", "--policy", args.area, "--cases", str(caseload)]
    command += ["--out", str(out), "--as-of", args.as_of, "--jobs", str(jobs), "--exit-zero", "--force"]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0 or not (match := RATE.search(done.stderr)):
        raise SystemExit(f"cpc eval failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return seconds, float(match.group(1).replace(",", "")), os.getloadavg()[0]


def best(runs: list[tuple[float, ...]]) -> tuple[float, ...]:
    return min(runs, key=lambda run: run[0])


def batch(args: argparse.Namespace, caseload: Path, folder: Path) -> None:
    raw = caseload.read_bytes()
    lines = [line + b"\n" for line in raw.splitlines() if line.strip()]
    count = len(lines)
    half = count // 2
    halves = [b"".join(lines[:half]), b"".join(lines[half:])]
    path = f"/v1/areas/{args.area}/evaluate-batch?as_of={args.as_of}"
    print(
        f"\nbatch: {count:,} cases ({len(raw) / 1e6:.1f} MB), best of {args.repeat} (by wall time); "
        f"cases/s on the wall clock, and as cpc eval prints it (its own clock: policy loading in, "
        "Python start-up out)",
        flush=True,
    )
    print(f"{'run':<58} {'seconds':>8} {'cases/s':>8} {'load':>5}   notes")

    def line(label: str, seconds: float, rate: float, load: float, notes: str = "") -> None:
        print(f"{label:<58} {seconds:>8.2f} {rate:>8.0f} {load:>5.2f}   {notes}", flush=True)

    cli: dict[int, tuple[float, float, float]] = {}
    outputs: dict[int, Path] = {}
    for jobs in (1, 2):
        outputs[jobs] = folder / f"results-jobs{jobs}.jsonl"
        cli[jobs] = best([run_cli(args, caseload, outputs[jobs], jobs) for _ in range(args.repeat)])
        seconds, printed, load = cli[jobs]
        line(f"cpc eval --cases --jobs {jobs} (wall, process start included)", seconds, count / seconds, load)
        line("  the same, as it prints", count / printed, printed, load)
    expected = outputs[1].read_bytes()
    same_jobs = expected == outputs[2].read_bytes()
    print(f"cpc eval outputs with --jobs 1 and 2: {'identical' if same_jobs else 'DIFFERENT'}")
    header, _, body = expected.partition(b"\n")
    results = body.splitlines(keepends=True)
    expected_halves = [header + b"\n" + b"".join(results[:half]), header + b"\n" + b"".join(results[half:])]

    rates: dict[int, float] = {}
    for workers, bodies, wanted in ((1, [raw], [expected]), (2, halves, expected_halves)):
        with Server(workers, args.uvicorn if workers == 1 else None) as server:
            assert server.process is not None
            # One small batch first: the server is a long-running process, warm when a batch arrives.
            run_async(batch_request(server.port, path, b"".join(lines[:32])))
            runs = []
            for _ in range(args.repeat):
                cpu, client = server.cpu(), time.process_time()
                answers = run_async(_gather(*(batch_request(server.port, path, body) for body in bodies)))
                seconds = max(end for _, _, end in answers) - min(sent for _, sent, _ in answers)
                client = time.process_time() - client
                used = cpu_text(cpu_delta(cpu, server.cpu()), server.process.pid, seconds)
                same = [answer for answer, _, _ in answers] == wanted
                runs.append((seconds, os.getloadavg()[0], used, client, same))
            seconds, load, used, client, _ = best(runs)
            identical = all(run[4] for run in runs)
            rates[workers] = count / seconds
            label = (
                f"POST evaluate-batch, {server.label}"
                if workers == 1
                else f"2 x POST evaluate-batch (half each), {server.label}"
            )
            line(
                label,
                seconds,
                count / seconds,
                load,
                f"{'identical to' if identical else 'DIFFERENT from'} cpc eval's output; "
                f"server CPU {used}, client {client:.2f} s",
            )
    for jobs in (1, 2):
        seconds, printed, _ = cli[jobs]
        print(
            f"{jobs} worker{'s' if jobs > 1 else ''} against --jobs {jobs}: endpoint / cpc eval = "
            f"{rates[jobs] / (count / seconds):.2f} on the wall clock, {rates[jobs] / printed:.2f} against what "
            "cpc eval prints (target: at least 0.80)"
        )


async def _gather(*coroutines):
    return await asyncio.gather(*coroutines)


# -- the run -----------------------------------------------------------------------------------------------


def run_async(coroutine):
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


def server_stack() -> str:
    """The HTTP parser and event loop `cpc serve` runs, as its uvicorn configuration resolves them here."""
    try:
        from engine.serve.run import _config

        config = _config(lambda scope, receive, send: None, True)
    except Exception as exc:  # a benchmark reports what it can
        return f"cpc serve's uvicorn configuration unknown ({type(exc).__name__})"
    http, loop = str(config.http), str(config.loop)
    if http == "auto":
        http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    if loop == "auto":
        loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return f"cpc serve runs uvicorn with http={http}, loop={loop}"


def versions() -> str:
    found = []
    for name in ("cpc", "starlette", "uvicorn", "httptools", "uvloop", "h11"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found.append(f"{name} {importlib.metadata.version(name)}")
    return f"Python {platform.python_version()}; " + ", ".join(found)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modes", nargs="*", metavar="single|batch", help="what to measure (default: both)")
    parser.add_argument("--cases", type=int, default=2000, help="cases generated (distinct requests)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--area", default="berkshire")
    parser.add_argument("--as-of", default="2026-03-01")
    parser.add_argument("--workers", type=numbers, action="append", help="worker processes, e.g. 1,2 (default 2)")
    parser.add_argument("--concurrency", type=numbers, action="append", help="clients, e.g. 1,2,4,8,50 (default 50)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds a row")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each row")
    parser.add_argument("--rate", type=numbers, action="append", help="open loop: requests a second (e.g. 100,400)")
    parser.add_argument("--repeat", type=int, default=3, help="batch: runs of each, the best is shown")
    parser.add_argument(
        "--uvicorn", metavar="HTTP:LOOP[:nodelay]", help="serve from a bare 1-worker uvicorn, e.g. h11:asyncio"
    )
    parser.add_argument("--keep", type=Path, help="write the caseload and outputs here instead of a temporary folder")
    args = parser.parse_args(argv)
    modes = args.modes or ["single", "batch"]
    if unknown := set(modes) - {"single", "batch"}:
        parser.error(f"unknown mode(s): {', '.join(sorted(unknown))} (single, batch)")
    args.workers = [n for group in args.workers or [[2]] for n in group]
    args.concurrency = [n for group in args.concurrency or [[50]] for n in group]
    args.rate = [n for group in args.rate or [] for n in group]
    if args.uvicorn and args.workers != [1]:
        args.workers = [1]
        print("--uvicorn: one worker")
    # SIGTERM ends the run as Ctrl-C does: the server is stopped on the way out.
    signal.signal(signal.SIGTERM, _interrupt)

    cores = len(os.sched_getaffinity(0))
    try:
        import uvloop  # noqa: F401

        client_loop = "uvloop"
    except ImportError:
        client_loop = "asyncio"
    print(f"cpc serve benchmark, {args.area} as of {args.as_of}; {cores} cores; client on {client_loop}")
    print(versions())
    print(server_stack())
    print(f"load average (1 min) at the start: {os.getloadavg()[0]:.2f}", flush=True)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            folder = args.keep or Path(scratch)
            folder.mkdir(parents=True, exist_ok=True)
            caseload = folder / f"caseload-{args.cases}-seed{args.seed}.jsonl"
            command = [sys.executable, str(ROOT / "bench" / "generate_caseload.py"), str(args.cases)]
            command += ["--seed", str(args.seed), "--as-of", args.as_of, "--out", str(caseload)]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"generate_caseload.py failed:\n{done.stderr}")
            if "single" in modes:
                single(args, caseload)
            if "batch" in modes:
                batch(args, caseload, folder)
    except KeyboardInterrupt:
        print("\ninterrupted; the server is stopped", file=sys.stderr)
        return 130
    finally:
        print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
