"""`cpc serve` (docs/serve.md) as a case-management system meets it: a real server process, spoken to over a
socket with the standard library.

What a client sees: for a case, byte for byte the line `cpc eval --format json` prints, and for a caseload the
file `cpc eval --cases --out` writes, however the body is cut into chunks; a batch that cannot finish visibly
cut off, never complete-looking; every refusal an RFC 9457 problem with its status and exact words; a case the
schema refuses answered with where and what, never with a value from the case; the token, the areas, the
OpenAPI document; reloading on SIGHUP, keeping the old policies when the new ones have lint errors; refusing
to start, before anything listens, with a policy, a port or a token file that cannot be used. What an operator
sees: one log line per request with the route's template, never a case's values, a URL's values or a query.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi

import engine

from .conftest import ROOT
from .serving import LAST_CHUNK, LISTENING, Connection, Server, Streamed, environment, raw_request

AS_OF = "2026-03-02"
BATCH_AS_OF = "2026-03-01"
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
HAMPSHIRE_EXAMPLES = ["late-review", "transfer-in"]
# Planted in cases: neither may come back in an error, nor ever reach the log.
SECRET_ID = "secret-child-4711"
SECRET_NAME = "Jane Secretname"
MAX_RECORD = 5 * 1024 * 1024  # a JSON Lines record's limit, as for `cpc eval --cases`
JSON = "application/json"
PROBLEM = "application/problem+json"
NDJSON = "application/x-ndjson"
EVALUATE = f"/v1/areas/berkshire/evaluate?as_of={AS_OF}"
BATCH = f"/v1/areas/berkshire/evaluate-batch?as_of={BATCH_AS_OF}"
# One access log line: method, route template, status, duration; whatever the prefix (time, level, worker).
ACCESS = re.compile(r"cpc\.access\b[^:]*: (\S+) (/\S*|\(no route\)) (\d{3}|-) \d+\.\d ms$")
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="signals and the server's process model are POSIX")
pytestmark = POSIX


# -- inputs and what the CLI makes of them --------------------------------------------------------------------


def _iso(value: object) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def case_json(path: Path, **changes: object) -> bytes:
    """A YAML case file as a client sends it: read with a YAML reader, written as JSON, dates as ISO strings."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    return json.dumps(data, default=_iso).encode("utf-8")


def example(name: str) -> Path:
    return ROOT / "examples" / "cases" / f"{name}.yaml"


def _cases(count: int, out: Path) -> list[bytes]:
    command = [sys.executable, str(ROOT / "bench" / "generate_caseload.py"), str(count), "--seed", "5", "--out"]
    subprocess.run([*command, str(out)], check=True, capture_output=True, timeout=120)
    return out.read_bytes().splitlines(keepends=True)


def _mixed(good: list[bytes]) -> bytes:
    """Twenty good records, a byte-order mark, blank lines, a CRLF line, and four records no case can be made of,
    three of them carrying the planted name: one not of the schema, one not JSON, one with a key twice, and one
    over the size limit of a record (line 15)."""
    lines = list(good[:20])
    lines[0] = b"\xef\xbb\xbf" + lines[0]
    lines.insert(2, b"\n")
    lines.insert(4, b"   \r\n")
    bad_type = {"id": "bad-type", "child": {"name": SECRET_NAME}, "conferences": [{"type": "nope"}]}
    lines.insert(5, json.dumps(bad_type).encode() + b"\n")
    lines.insert(7, f"not json at all, {SECRET_NAME}\n".encode())
    lines[9] = lines[9].rstrip(b"\n") + b"\r\n"
    lines.insert(11, b'{"id": "dup", "child": {"name": "x"}, "id": "again"}\n')
    lines.insert(14, b'{"id": "big", "child": {"name": "' + SECRET_NAME.encode() + b"x" * MAX_RECORD + b'"}}\n')
    return b"".join(lines)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("serve-inputs")
    good = _cases(200, root / "caseload.jsonl")
    (root / "mixed.jsonl").write_bytes(_mixed(good))
    return {name: root / f"{name}.jsonl" for name in ("caseload", "mixed")}


def _run_all(commands: dict[str, list[str]]) -> dict[str, subprocess.CompletedProcess]:
    """Run the `cpc` commands at once (they are independent), each as a user would."""
    started = {
        name: subprocess.Popen(
            [sys.executable, "-m", "engine", *args],
            cwd=ROOT,
            env=environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for name, args in commands.items()
    }
    done = {}
    for name, process in started.items():
        stdout, stderr = process.communicate(timeout=300)
        done[name] = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    return done


@pytest.fixture(scope="module")
def cli(inputs: dict[str, Path], tmp_path_factory) -> dict[str, bytes]:
    """What the CLI prints or writes for each input the tests send: the reference every answer must equal."""
    out = tmp_path_factory.mktemp("serve-cli")
    files = [str(path) for path in EXAMPLES]
    cases = ["--as-of", AS_OF, "--format", "json", "--exit-zero"]

    def batch(key: str, *more: str) -> list[str]:
        source = inputs[key.split("-")[0]]
        where = ["--cases", str(source), "--out", str(out / key)]
        return ["eval", "--policy", "berkshire", *where, "--as-of", BATCH_AS_OF, "--jobs", "1", "--exit-zero", *more]

    commands = {
        "berkshire": ["eval", "--policy", "berkshire", *files, *cases],
        "berkshire-explain": ["eval", "--policy", "berkshire", *files, *cases, "--explain"],
        "hampshire": ["eval", "--policy", "hampshire", *files, *cases],
        "caseload": batch("caseload"),
        "caseload-inline": batch("caseload-inline", "--citations", "inline"),
        "mixed": batch("mixed"),
        "show-berkshire": ["show", "berkshire", "--format", "json"],
        "openapi": ["schema", "openapi"],
    }
    done = _run_all(commands)
    results: dict[str, bytes] = {}
    for name, run in done.items():
        # An input with records no case can be made of exits 2, having written every other record.
        assert run.returncode in ((0, 2) if name == "mixed" else (0,)), (name, run.stderr)
        target = out / name
        if "--out" in commands[name]:
            # The CLI names each record by file and line; the service by request and line.
            source = json.dumps(str(inputs[name.split("-")[0]]))[1:-1]
            results[name] = target.read_bytes().replace(f'"source": "{source}:'.encode(), b'"source": "request:')
        else:
            results[name] = run.stdout
    return results


def cli_line(cli: dict[str, bytes], key: str, path: Path) -> bytes:
    """The JSON line `cpc eval --format json` printed for one example (one line per case, in file order)."""
    lines = cli[key].splitlines(keepends=True)
    assert len(lines) == len(EXAMPLES)
    line = lines[EXAMPLES.index(path)]
    assert json.loads(line)["case"] == yaml.safe_load(path.read_text(encoding="utf-8"))["id"]
    return line


# -- servers -------------------------------------------------------------------------------------------------


def _serving(*args: str, cwd: Path = ROOT):
    server = Server(*args, cwd=cwd)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def server():
    """Served as an operator starts it: the defaults, ./policies and the areas shipped with cpc."""
    yield from _serving()


@pytest.fixture(scope="module")
def limited():
    """Small limits and a one-second timeout; no access log."""
    yield from _serving("--timeout", "1", "--max-body-bytes", "4096", "--max-batch-bytes", "16384", "--quiet")


TOKEN = "t0ken-4-tests"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """A server that requires a bearer token, from a file other users can read (it warns)."""
    token_file = tmp_path_factory.mktemp("serve-token") / "token"
    token_file.write_text(TOKEN + "\n", encoding="ascii")
    token_file.chmod(0o644)
    yield from _serving("--token-file", str(token_file))


def problem(reply, status: int, title: str, detail: str) -> dict:
    """The reply's problem details, once checked to be the one expected."""
    assert (reply.status, reply.headers.get("content-type")) == (status, PROBLEM), reply.body
    body = reply.json()
    assert {k: body[k] for k in ("type", "title", "status", "detail")} == {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    return body


# -- one case ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("area", "explain", "path"),
    [("berkshire", False, path) for path in EXAMPLES]
    + [("berkshire", True, path) for path in EXAMPLES]
    + [("hampshire", False, example(name)) for name in HAMPSHIRE_EXAMPLES],
    ids=lambda value: value.stem if isinstance(value, Path) else str(value),
)
def test_a_case_is_answered_with_the_line_cpc_eval_prints(server, cli, area, explain, path) -> None:
    query = f"as_of={AS_OF}" + ("&explain=true" if explain else "")
    reply = server.post(f"/v1/areas/{area}/evaluate?{query}", case_json(path))
    expected = cli_line(cli, area + ("-explain" if explain else ""), path)
    assert reply.status == 200, reply.body
    assert reply.headers["content-type"] == JSON
    assert reply.body == expected
    assert reply.headers["cpc-policy-version"] == json.loads(expected)["policy_version"]


def test_a_request_offering_an_http2_upgrade_is_answered_over_http11_with_its_body(server, cli) -> None:
    # Java's HttpClient offers h2c on every http:// request by default; a parser that took the offer would lose
    # the body and refuse every case as empty.
    upgrade = {"Upgrade": "h2c", "Connection": "Upgrade, HTTP2-Settings", "HTTP2-Settings": "AAMAAABkAAQCAAAAAAIAAAAA"}
    reply = server.post(EVALUATE, case_json(example("late-review")), **upgrade)
    assert reply.status == 200
    assert reply.json()["case"] == "example-late-review"


def test_explain_takes_1_and_0_as_true_and_false_and_as_of_defaults_to_today(server, cli) -> None:
    path = example("late-review")
    body = case_json(path)
    assert server.post(f"{EVALUATE}&explain=1", body).body == cli_line(cli, "berkshire-explain", path)
    assert server.post(f"{EVALUATE}&explain=0", body).body == cli_line(cli, "berkshire", path)
    assert server.post(f"{EVALUATE}&explain=FALSE", body).body == cli_line(cli, "berkshire", path)
    before = dt.date.today().isoformat()
    answered = server.post("/v1/areas/berkshire/evaluate", body).json()["as_of"]
    assert answered in (before, dt.date.today().isoformat())


def test_responses_carry_no_server_header(server) -> None:
    for reply in (server.get("/healthz"), server.get("/nowhere"), server.post(EVALUATE, b"{}")):
        assert "server" not in reply.headers


# -- a caseload ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "key"),
    [("", "caseload"), ("&citations=inline", "caseload-inline")],
    ids=["header", "inline"],
)
def test_a_caseload_is_answered_with_the_file_cpc_eval_cases_writes(server, inputs, cli, query, key) -> None:
    reply = server.post(BATCH + query, inputs["caseload"].read_bytes(), NDJSON)
    assert reply.status == 200
    assert reply.headers["content-type"] == NDJSON
    assert reply.headers["cpc-policy-version"] == "v97"
    assert reply.body == cli[key]
    assert reply.body.count(b"\n") == 200 + (0 if "inline" in query else 1)


def test_broken_blank_and_oversized_lines_are_answered_as_cpc_eval_cases_answers_them(server, inputs, cli) -> None:
    body = inputs["mixed"].read_bytes()
    reply = server.post(BATCH, body, "application/jsonl")
    assert reply.status == 200
    assert reply.body == cli["mixed"]
    errors = [json.loads(line) for line in reply.body.splitlines() if b'"error"' in line]
    assert [(e["case"], e["source"]) for e in errors] == [
        ("bad-type", "request:6"),
        (None, "request:8"),
        (None, "request:12"),
        (None, "request:15"),
    ]
    assert errors[1]["error"] == [
        {"line": 8, "column": 1, "code": "CPC001", "path": "", "message": "not valid JSON: Expecting value"}
    ]
    assert errors[2]["error"][0]["code"] == "CPC002"
    size = len(body.splitlines()[14])
    assert errors[3]["error"] == [
        {
            "line": 15,
            "column": 1,
            "code": "CPC004",
            "path": "",
            "message": f"the record is {size:,} bytes, over the {MAX_RECORD:,}-byte limit",
        }
    ]
    # 20 cases answered and 4 errors, in input order; the blank lines gave nothing; the planted name nowhere.
    assert reply.body.count(b"\n") == 1 + 20 + 4
    cases = [json.loads(line)["case"] for line in reply.body.splitlines()[1:] if b'"error"' not in line]
    assert cases == [f"synthetic-{n:06d}" for n in range(1, 21)]
    assert SECRET_NAME.encode() not in reply.body


def _in_pieces(body: bytes) -> list[bytes]:
    """The body cut at ever-changing places: inside the byte-order mark, inside CRLF, inside records."""
    sizes = [1, 2, 3, 5, 8, 13, 997, 4096, 65536]
    pieces, start, n = [], 0, 0
    while start < len(body):
        pieces.append(body[start : start + sizes[n % len(sizes)]])
        start += sizes[n % len(sizes)]
        n += 1
    return pieces


def test_a_body_in_many_small_chunks_gives_the_same_bytes(server, inputs, cli) -> None:
    body = inputs["mixed"].read_bytes()
    with Connection(server.port) as connection:
        connection.send(raw_request("POST", BATCH, {"Content-Type": NDJSON, "Transfer-Encoding": "chunked"}))
        connection.send_chunks(_in_pieces(body))
        connection.send(LAST_CHUNK)
        reply = connection.response()
    assert (reply.status, reply.error) == (200, None)
    assert reply.body == cli["mixed"]


def test_an_empty_caseload_gives_the_header_alone(server, cli) -> None:
    reply = server.post(BATCH, b"", NDJSON)
    assert reply.status == 200
    assert reply.body == cli["caseload"].splitlines(keepends=True)[0]
    assert json.loads(reply.body)["results_format"] == 2


def test_an_oversized_crlf_record_is_measured_the_same_however_the_body_is_cut(server, inputs) -> None:
    good = inputs["caseload"].read_bytes().splitlines(keepends=True)
    record = b'{"id": "big", "x": "' + b"x" * MAX_RECORD + b'"}'
    body = good[0] + record + b"\r\n" + good[1]
    cut = len(good[0]) + len(record) + 1  # between the CR and the LF
    replies = []
    for pieces in ([body[:cut], body[cut:]], [body]):
        with Connection(server.port) as connection:
            connection.send(raw_request("POST", BATCH, {"Content-Type": NDJSON, "Transfer-Encoding": "chunked"}))
            for piece in pieces:
                connection.send_chunks([piece])
                # Time for the server to take the piece in before the next: a chunk boundary where it is cut.
                time.sleep(0.5)
            connection.send(LAST_CHUNK)
            replies.append(connection.response())
    message = f"the record is {len(record):,} bytes, over the {MAX_RECORD:,}-byte limit"
    for reply in replies:
        assert json.loads(reply.body.splitlines()[2])["error"][0]["message"] == message


def _stalled_batch(port: int, chunked: bool) -> Streamed:
    """A batch whose client sends two records and half a third, then nothing: the response as received."""
    good = [b'{"id": "first"}\n', b'{"id": "second"}\n', b'{"id": "thi']
    headers = {"Content-Type": NDJSON}
    headers.update({"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": "10000"})
    with Connection(port) as connection:
        connection.send(raw_request("POST", BATCH, headers))
        if chunked:
            connection.send_chunks(good)
        else:
            connection.send(b"".join(good))
        return connection.response()


def test_a_batch_whose_body_never_comes_is_408_and_one_over_the_limit_from_its_start_413(limited, inputs) -> None:
    # Nothing is answered before the body begins, so these still get their own status, not a 200 cut off.
    with Connection(limited.port) as connection:
        connection.send(raw_request("POST", BATCH, {"Content-Type": NDJSON, "Content-Length": "100"}))
        reply = connection.response()
    assert (reply.status, json.loads(reply.body)["detail"]) == (408, "no part of the request body arrived for 1 s")
    body = inputs["caseload"].read_bytes()[:20000]
    with Connection(limited.port) as connection:
        connection.send(raw_request("POST", BATCH, {"Content-Type": NDJSON, "Transfer-Encoding": "chunked"}))
        connection.send_chunks([body])
        reply = connection.response()
    assert (reply.status, json.loads(reply.body)["detail"]) == (413, "the request body is over the 16,384-byte limit")


def test_a_batch_client_that_expects_100_continue_is_told_to_go_on(server, inputs) -> None:
    # curl asks so for a body over 1 MB, and waits a second, or until the server's timeout, for the answer.
    body = inputs["caseload"].read_bytes()
    with Connection(server.port) as connection:
        headers = {"Content-Type": NDJSON, "Content-Length": str(len(body)), "Expect": "100-continue"}
        connection.send(raw_request("POST", BATCH, headers))
        interim = b""
        while not interim.endswith(b"\r\n\r\n"):
            interim += connection.sock.recv(1)
        assert interim.startswith(b"HTTP/1.1 100 ")
        connection.send(body)
        reply = connection.response()
    assert reply.status == 200 and reply.error is None
    assert len(reply.body.splitlines()) == len(body.splitlines()) + 1


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_client_that_stops_sending_gets_a_response_cut_off(limited, chunked) -> None:
    stopped = r"batch stopped.*no part of the request body arrived for 1 s"
    before = len(re.findall(stopped, limited.log))
    reply = _stalled_batch(limited.port, chunked)
    # The status was sent before the first case: what tells the client is the missing end of the response.
    assert reply.status == 200
    assert reply.error is not None and reply.error.startswith("IncompleteRead")
    lines = reply.body.splitlines()
    assert json.loads(lines[0])["results_format"] == 2
    assert [json.loads(line)["case"] for line in lines[1:]] == ["first", "second"]
    log = limited.wait_for_log(stopped, count=before + 1)
    assert "cpc.access" not in log  # --quiet


def test_a_chunked_caseload_growing_over_max_batch_bytes_is_cut_off(limited, inputs) -> None:
    body = inputs["caseload"].read_bytes()
    with Connection(limited.port) as connection:
        connection.send(raw_request("POST", BATCH, {"Content-Type": NDJSON, "Transfer-Encoding": "chunked"}))
        connection.send_chunks([body[:4096]])
        # The answer begins once the body has begun (unread, so that the response is read whole below); the
        # rest then passes the limit.
        connection.sock.recv(1, socket.MSG_PEEK)
        connection.send_chunks(body[i : i + 4096] for i in range(4096, 20480, 4096))
        reply = connection.response()
    assert reply.status == 200
    assert reply.error is not None
    cases = [json.loads(line)["case"] for line in reply.body.splitlines()[1:]]
    assert cases == [f"synthetic-{n:06d}" for n in range(1, len(cases) + 1)]
    assert len(cases) < 200
    limited.wait_for_log(r"batch stopped.*over the 16,384-byte limit")


def test_a_client_that_goes_away_stops_its_batch(server, tmp_path) -> None:
    body = b"".join(_cases(1000, tmp_path / "thousand.jsonl"))
    gone = r"batch stopped after (\d+) case\(s\): the client went away"
    before = len(re.findall(gone, server.log))
    with Connection(server.port) as connection:
        connection.send(raw_request("POST", BATCH, {"Content-Type": NDJSON, "Content-Length": str(len(body))}))
        connection.send(body)
        # The response has begun when the client goes away.
        assert connection.sock.recv(1) == b"H"
    stopped = re.findall(gone, server.wait_for_log(gone, count=before + 1))[-1]
    assert int(stopped) < 1000
    assert server.get("/healthz").status == 200


# -- refusals ------------------------------------------------------------------------------------------------

_AS_OF_RANGE = "working days can be counted only from 1872 to 2100, the years whose bank holidays are known"
# fmt: off
REFUSALS = [
    # (method, path, content type, status, title, detail)
    ("POST", "/v1/areas/berkshire/evaluate?as_of=2026-13-01", JSON, 400, "Bad Request",
     "as_of is not a date: give it as YYYY-MM-DD, e.g. 2026-03-02"),
    ("POST", "/v1/areas/berkshire/evaluate?as_of=yesterday", JSON, 400, "Bad Request",
     "as_of is not a date: give it as YYYY-MM-DD, e.g. 2026-03-02"),
    ("POST", "/v1/areas/berkshire/evaluate?as_of=2026-3-2", JSON, 400, "Bad Request",
     "as_of is not a date: give it as YYYY-MM-DD, e.g. 2026-03-02"),
    ("GET", "/v1/areas?as_of=2026-02-30", JSON, 400, "Bad Request",
     "as_of is not a date: give it as YYYY-MM-DD, e.g. 2026-03-02"),
    ("POST", "/v1/areas/berkshire/evaluate?asof=2026-03-02", JSON, 400, "Bad Request",
     "unknown query parameter 'asof'; this endpoint takes as_of, explain"),
    ("POST", "/v1/areas/berkshire/evaluate-batch?citation=inline", NDJSON, 400, "Bad Request",
     "unknown query parameter 'citation'; this endpoint takes as_of, explain, citations"),
    ("GET", "/v1/openapi.json?v=2", JSON, 400, "Bad Request",
     "unknown query parameter 'v'; this endpoint takes none"),
    ("POST", "/v1/areas/berkshire/evaluate?as_of=2026-03-02&as_of=2026-03-03", JSON, 400, "Bad Request",
     "query parameter 'as_of' is given more than once"),
    ("POST", "/v1/areas/berkshire/evaluate?explain=maybe", JSON, 400, "Bad Request", "explain is true or false"),
    ("POST", "/v1/areas/berkshire/evaluate-batch?explain=maybe", NDJSON, 400, "Bad Request",
     "explain is true or false"),
    ("POST", "/v1/areas/berkshire/evaluate-batch?citations=footnote", NDJSON, 400, "Bad Request",
     "citations is header or inline"),
    ("POST", "/v1/areas/berkshire/evaluate?as_of=1871-12-31", JSON, 400, "Bad Request",
     f"cannot evaluate as of 1871-12-31: {_AS_OF_RANGE}"),
    ("POST", "/v1/areas/berkshire/evaluate-batch?as_of=2101-01-01", NDJSON, 400, "Bad Request",
     f"cannot evaluate as of 2101-01-01: {_AS_OF_RANGE}"),
    ("POST", "/v1/areas/reading/evaluate", JSON, 404, "Not Found",
     "no policy for area 'reading' (known: berkshire, england, hampshire)"),
    ("POST", "/v1/areas/reading/evaluate-batch", NDJSON, 404, "Not Found",
     "no policy for area 'reading' (known: berkshire, england, hampshire)"),
    ("GET", "/v1/areas/reading", JSON, 404, "Not Found",
     "no policy for area 'reading' (known: berkshire, england, hampshire)"),
    ("GET", "/v1/cases", JSON, 404, "Not Found", "no such endpoint; GET /v1/openapi.json lists them"),
    ("POST", "/v1/areas/berkshire/evaluate/now", JSON, 404, "Not Found",
     "no such endpoint; GET /v1/openapi.json lists them"),
    ("POST", "/v1/areas/berkshire/evaluate", "text/plain", 415, "Unsupported Media Type",
     "the body must be application/json (UTF-8); this request's Content-Type is text/plain"),
    ("POST", "/v1/areas/berkshire/evaluate", "application/json; charset=latin-1", 415, "Unsupported Media Type",
     "the body must be application/json (UTF-8); this request's Content-Type is application/json; charset=latin-1"),
    ("POST", "/v1/areas/berkshire/evaluate", None, 415, "Unsupported Media Type",
     "the body must be application/json (UTF-8); this request's Content-Type is none"),
    ("POST", "/v1/areas/berkshire/evaluate-batch", JSON, 415, "Unsupported Media Type",
     "the body must be application/x-ndjson or application/jsonl (UTF-8); this request's Content-Type is "
     "application/json"),
]
# fmt: on


@pytest.mark.parametrize(("method", "path", "content_type", "status", "title", "detail"), REFUSALS)
def test_a_refused_request_is_a_problem_with_its_status(server, method, path, content_type, status, title, detail):
    headers = {"Content-Type": content_type} if content_type else {}
    reply = server.request(method, path, b'{"id": "x"}\n' if method == "POST" else None, headers)
    problem(reply, status, title, detail)


def test_accepted_spellings_of_the_content_type(server) -> None:
    for content_type in ("application/json; charset=utf-8", 'Application/JSON; charset="UTF-8"'):
        assert server.post(EVALUATE, b'{"id": "x"}', content_type).status == 200
    assert server.post(BATCH, b'{"id": "x"}\n', "application/jsonl; charset=utf-8").status == 200


def test_no_version_in_force_is_404_naming_the_first(server) -> None:
    detail = "no version of 'berkshire' is in force on 2020-01-01: the earliest takes effect on 2025-03-25"
    for reply in (
        server.post("/v1/areas/berkshire/evaluate?as_of=2020-01-01", b'{"id": "x"}'),
        server.post("/v1/areas/berkshire/evaluate-batch?as_of=2020-01-01", b'{"id": "x"}\n', NDJSON),
        server.get("/v1/areas/berkshire?as_of=2020-01-01"),
    ):
        assert problem(reply, 404, "Not Found", detail)["area"] == "berkshire"


@pytest.mark.parametrize(
    ("method", "path", "allowed", "route"),
    [
        ("GET", "/v1/areas/berkshire/evaluate", {"POST"}, "/v1/areas/{area}/evaluate"),
        ("PUT", "/v1/areas/berkshire/evaluate-batch", {"POST"}, "/v1/areas/{area}/evaluate-batch"),
        ("DELETE", "/v1/areas", {"GET", "HEAD"}, "/v1/areas"),
        ("POST", "/v1/areas/berkshire", {"GET", "HEAD"}, "/v1/areas/{area}"),
    ],
)
def test_a_method_an_endpoint_does_not_take_is_405_saying_which_it_takes(server, method, path, allowed, route):
    reply = server.request(method, path)
    # The order of the methods is not fixed; the header and the detail give them in the same order.
    allow = reply.headers["allow"]
    assert set(allow.split(", ")) == allowed
    problem(reply, 405, "Method Not Allowed", f"{route} takes {allow}")


def test_a_body_declared_over_the_limit_is_413_before_it_is_read(limited) -> None:
    reply = limited.post("/v1/areas/berkshire/evaluate", b" " * 4097)
    problem(reply, 413, "Content Too Large", "the request body is over the 4,096-byte limit")
    assert reply.headers["connection"] == "close"
    reply = limited.post("/v1/areas/berkshire/evaluate-batch", b"\n" * 16385, NDJSON)
    problem(reply, 413, "Content Too Large", "the request body is over the 16,384-byte limit")
    # At the limit, the body is read: this one is a case the schema refuses, not a body too large.
    assert limited.post("/v1/areas/berkshire/evaluate", b" " * 4095 + b"1").status == 422


def test_a_client_that_asks_before_sending_a_body_too_large_is_answered_413_at_once(limited) -> None:
    headers = {"Content-Type": JSON, "Content-Length": "100000", "Expect": "100-continue"}
    with Connection(limited.port) as connection:
        connection.send(raw_request("POST", "/v1/areas/berkshire/evaluate", headers))
        answer = connection.read_all()
    # No "100 Continue" first: the client is told not to send the body.
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert answer.endswith(b'"detail": "the request body is over the 4,096-byte limit"}\n')


def test_a_refusal_that_leaves_the_body_unread_keeps_the_connection_usable(server) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        statuses = []
        for path, content_type in (
            ("/v1/areas/nowhere/evaluate-batch", NDJSON),
            ("/v1/areas/berkshire/evaluate-batch?as_of=maybe", NDJSON),
            ("/v1/areas/nowhere/evaluate", JSON),
            (EVALUATE, JSON),
        ):
            connection.request("POST", path, b'{"id": "x"}\n' * 500, {"Content-Type": content_type})
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
            # The same socket each time: the server has not closed it.
            assert connection.sock is not None
    finally:
        connection.close()
    assert statuses == [404, 400, 404, 422]


def test_a_chunked_body_growing_over_the_limit_is_413(limited) -> None:
    with Connection(limited.port) as connection:
        headers = {"Content-Type": JSON, "Transfer-Encoding": "chunked"}
        connection.send(raw_request("POST", "/v1/areas/berkshire/evaluate", headers))
        connection.send_chunks([b" " * 1000] * 5)
        connection.send(LAST_CHUNK)
        reply = connection.response()
    assert (reply.status, reply.headers["content-type"], reply.error) == (413, PROBLEM, None)
    assert json.loads(reply.body)["detail"] == "the request body is over the 4,096-byte limit"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_that_never_completes_is_408(limited, chunked) -> None:
    headers = {"Content-Type": JSON}
    headers.update({"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": "500"})
    with Connection(limited.port) as connection:
        connection.send(raw_request("POST", "/v1/areas/berkshire/evaluate", headers))
        if chunked:
            connection.send_chunks([b'{"id": '])
        else:
            connection.send(b'{"id": ')
        reply = connection.response()
    assert (reply.status, reply.headers["content-type"], reply.headers["connection"]) == (408, PROBLEM, "close")
    assert json.loads(reply.body) == {
        "type": "about:blank",
        "title": "Request Timeout",
        "status": 408,
        "detail": "the request body did not arrive within 1 s",
    }


# -- a case the schema refuses -------------------------------------------------------------------------------


def _refused(reply) -> list[dict]:
    body = problem(reply, 422, "Unprocessable Content", reply.json()["detail"])
    assert body["detail"] == f"the case cannot be evaluated: {len(body['findings'])} problem(s) found"
    assert (body["area"], body["policy_version"], reply.headers["cpc-policy-version"]) == ("berkshire", "v97", "v97")
    assert SECRET_ID.encode() not in reply.body and SECRET_NAME.encode() not in reply.body
    return body["findings"]


def _position(text: str, token: str) -> tuple[int, int]:
    """Line and column (from 1) where ``token`` starts in ``text``."""
    before = text[: text.index(token)]
    return before.count("\n") + 1, len(before) - before.rfind("\n")


def planted(text: str) -> str:
    return text.replace("<id>", SECRET_ID).replace("<name>", SECRET_NAME)


PLANTED = {"id": SECRET_ID, "child": {"name": SECRET_NAME, "date_of_birth": "2021-08-14"}}


def test_a_pretty_printed_case_is_refused_at_the_line_and_column_of_its_error(server) -> None:
    case = {**PLANTED, "s47": {"strategy_discussion": "2025-03-24"}}
    case["conferences"] = [{"id": "icpc-1", "type": "first", "date": "2025-04-10"}]
    text = json.dumps(case, indent=2)
    line, column = _position(text, '"first"')
    assert line > 10
    assert _refused(server.post(EVALUATE, text.encode())) == [
        {
            "line": line,
            "column": column,
            "code": "CPC100",
            "path": "conferences[0].type",
            "message": "not one of the allowed values",
            "hint": "one of: initial, pre_birth, transfer_in, review",
        }
    ]


def test_a_value_from_the_case_is_never_repeated_in_a_refusal(server) -> None:
    case = {**PLANTED, "conferences": [{"id": "icpc-1", "type": SECRET_NAME, "date": SECRET_ID}]}
    findings = _refused(server.post(EVALUATE, json.dumps(case, indent=1).encode()))
    assert {(f["path"], f["message"]) for f in findings} >= {
        ("conferences[0].type", "not one of the allowed values"),
        ("conferences[0].date", "not a valid date"),
    }


@pytest.mark.parametrize(
    ("body", "finding"),
    [
        (
            planted('{\n  "id": "<id>",\n  "child": {"name": "<name>"},\n  "s47": \n}\n'),
            {"line": 5, "column": 1, "code": "CPC001", "path": "", "message": "not valid JSON: Expecting value"},
        ),
        (
            planted('{"id": "<id>", "child": {"name": "<name>"}} and more'),
            {"line": 1, "column": 67, "code": "CPC001", "path": "", "message": "not valid JSON: Extra data"},
        ),
        (
            planted('{"id": "<id>", "child": {"name": "<name>", "name": "x"}}'),
            {
                "at": '"name": "x"',
                "code": "CPC002",
                "path": "child.name",
                "message": "an object has the same key twice: JSON readers would silently keep only the last",
                "hint": "remove or rename one of them",
            },
        ),
        (
            planted('{"id": "<id>", "child": {"name": "<name>"}, "x": NaN}'),
            {
                "at": "NaN",
                "code": "CPC001",
                "path": "",
                "message": "not valid JSON: NaN and Infinity are not JSON numbers",
            },
        ),
        (
            planted('["<id>"]'),
            {"line": 1, "column": 1, "code": "CPC100", "path": "", "message": "a case must be a mapping"},
        ),
        (
            "",
            {"line": 1, "column": 1, "code": "CPC001", "path": "", "message": "not valid JSON: Expecting value"},
        ),
    ],
    ids=["invalid-json", "extra-data", "duplicate-key", "nan", "not-a-mapping", "empty"],
)
def test_a_body_that_is_no_case_is_refused_with_a_finding(server, body, finding) -> None:
    finding = dict(finding)
    if "at" in finding:
        # Placed where the duplicate key or the constant is, as for a case file.
        line, column = _position(body, finding.pop("at"))
        finding = {"line": line, "column": column, **finding}
    assert _refused(server.post(EVALUATE, body.encode())) == [finding]


def test_a_body_that_is_not_utf8_is_refused_at_the_byte(server) -> None:
    findings = _refused(server.post(EVALUATE, b'{"id": "\xff\xfe"}'))
    assert findings == [
        {
            "line": 1,
            "column": 9,
            "code": "CPC001",
            "path": "",
            "message": "not UTF-8 text (byte 0xff)",
            "hint": "save the file as UTF-8",
        }
    ]


@pytest.mark.parametrize(
    ("body", "token"),
    [
        ('{\n  "id": "<id>",\n  "child": {\n    "name": "<name>",\n    "name": "x"\n  }\n}\n', '"name": "x"'),
        ('{\n  "id": "<id>",\n  "child": {"name": "<name>"},\n  "x": NaN\n}\n', "NaN"),
    ],
    ids=["duplicate-key", "nan"],
)
def test_a_multi_line_body_is_refused_at_the_line_of_its_duplicate_key_or_nan(server, body, token) -> None:
    text = planted(body)
    findings = _refused(server.post(EVALUATE, text.encode()))
    assert [f["line"] for f in findings] == [_position(text, token)[0]]


# -- the access log ------------------------------------------------------------------------------------------


def _access(log: str) -> list[tuple[str, str, str]]:
    return [found.groups() for line in log.splitlines() if (found := ACCESS.search(line))]


def test_the_log_has_each_request_by_route_template_and_nothing_it_carried() -> None:
    server = Server().start()
    try:
        good = case_json(example("late-review"), id=SECRET_ID, child={"name": SECRET_NAME})
        bad = json.dumps({**PLANTED, "conferences": [{"type": SECRET_NAME}]}).encode()
        assert server.post(EVALUATE, good).status == 200
        assert server.post(EVALUATE, bad).status == 422
        assert server.post(f"/v1/areas/{SECRET_ID}/evaluate?as_of={AS_OF}", good).status == 404
        assert server.get(f"/v1/areas/{SECRET_ID}").status == 404
        assert server.post(BATCH, good + b"\n" + bad + b"\nnot json " + SECRET_NAME.encode(), NDJSON).status == 200
        assert server.get(f"/v1/areas?{SECRET_ID}={SECRET_NAME.replace(' ', '+')}").status == 400
        assert server.get(f"/{SECRET_ID}?as_of={AS_OF}").status == 404
        expected = [
            ("POST", "/v1/areas/{area}/evaluate", "200"),
            ("POST", "/v1/areas/{area}/evaluate", "422"),
            ("POST", "/v1/areas/{area}/evaluate", "404"),
            ("GET", "/v1/areas/{area}", "404"),
            ("POST", "/v1/areas/{area}/evaluate-batch", "200"),
            ("GET", "/v1/areas", "400"),
            ("GET", "(no route)", "404"),
        ]
    finally:
        server.stop()
    log = server.log
    requests = [entry for entry in _access(log) if entry[1] != "/healthz"]
    assert sorted(requests) == sorted(expected)
    access_lines = [line for line in log.splitlines() if "cpc.access" in line]
    assert all(ACCESS.search(line) for line in access_lines), access_lines
    assert not any("127.0.0.1" in line or "?" in line for line in access_lines)
    for value in (SECRET_ID, SECRET_NAME, "Secretname", "as_of", "late-review"):
        assert value not in log


# -- the token -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        (None, "this service needs an Authorization: Bearer token"),
        ("Bearer wrong-token", "the bearer token is not the one this service takes"),
        (f"Basic {TOKEN}", "this service needs an Authorization: Bearer token"),
        (TOKEN, "this service needs an Authorization: Bearer token"),
        ("Bearer", "this service needs an Authorization: Bearer token"),
    ],
    ids=str,
)
def test_without_the_right_token_every_endpoint_is_401(guarded, authorization, detail) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for method, path in (("GET", "/v1/areas"), ("POST", EVALUATE), ("GET", "/v1/openapi.json"), ("GET", "/v1/x")):
        reply = guarded.request(method, path, b"{}" if method == "POST" else None, {**headers, "Content-Type": JSON})
        problem(reply, 401, "Unauthorized", detail)
        assert reply.headers["www-authenticate"] == 'Bearer realm="cpc"'


def test_with_the_token_requests_are_answered_and_healthz_needs_none(guarded, cli) -> None:
    path = example("late-review")
    for authorization in (f"Bearer {TOKEN}", f"bearer {TOKEN}"):
        reply = guarded.post(EVALUATE, case_json(path), Authorization=authorization)
        assert reply.body == cli_line(cli, "berkshire", path)
    assert guarded.get("/healthz").json()["status"] == "ok"
    assert "token: required" in guarded.log
    token_file = guarded.args[guarded.args.index("--token-file") + 1]
    assert f"cpc serve: warning: --token-file {token_file} can be read by other users; chmod 600 {token_file}" in (
        guarded.log
    )


def test_sighup_reads_the_token_file_again(tmp_path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("first-token\n", encoding="ascii")
    token_file.chmod(0o600)
    server = Server("--token-file", str(token_file)).start()
    try:
        assert "can be read by other users" not in server.log
        assert server.get("/v1/areas", {"Authorization": "Bearer first-token"}).status == 200
        token_file.write_text("second-token\n", encoding="ascii")
        server.signal(signal.SIGHUP)
        server.wait_for_log("reloaded:")
        assert server.get("/v1/areas", {"Authorization": "Bearer first-token"}).status == 401
        assert server.get("/v1/areas", {"Authorization": "Bearer second-token"}).status == 200
        # A token file emptied by mistake: the reload is refused, and the token in service stays.
        token_file.write_text("", encoding="ascii")
        server.signal(signal.SIGHUP)
        log = server.wait_for_log("reload refused")
        assert f"--token-file {token_file}: the file is empty" in log
        assert server.get("/v1/areas", {"Authorization": "Bearer second-token"}).status == 200
    finally:
        server.stop()


# -- areas, the OpenAPI document, health ---------------------------------------------------------------------


def test_areas_lists_each_area_with_the_version_in_force(server) -> None:
    areas = server.get("/v1/areas?as_of=2026-03-01").json()
    assert areas["as_of"] == "2026-03-01"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", areas["policies"]["loaded_at"])
    assert re.fullmatch(r"sha256:[0-9a-f]{16}", areas["policies"]["digest"])
    assert areas["policies"] == server.get("/healthz").json()["policies"]
    found = {a["area"]: (a["in_force"], a["extends"], a["versions"]) for a in areas["areas"]}
    assert found == {
        "berkshire": (
            {"version": "v97", "effective_from": "2025-03-25"},
            ["england"],
            [{"version": "v97", "effective_from": "2025-03-25"}],
        ),
        "england": (
            {"version": "2023", "effective_from": "2023-12-15"},
            [],
            [{"version": "2023", "effective_from": "2023-12-15"}],
        ),
        "hampshire": (
            {"version": "printed 2024-04-24", "effective_from": "2024-04-24"},
            ["england"],
            [{"version": "printed 2024-04-24", "effective_from": "2024-04-24"}],
        ),
    }
    # Before Berkshire's first version, it is listed with none in force.
    early = {a["area"]: a["in_force"] for a in server.get("/v1/areas?as_of=2024-01-01").json()["areas"]}
    england = {"version": "2023", "effective_from": "2023-12-15"}
    assert early == {"berkshire": None, "england": england, "hampshire": None}


def test_an_area_is_its_policy_as_cpc_show_gives_it(server, cli) -> None:
    reply = server.get("/v1/areas/berkshire?as_of=2026-03-01")
    assert (reply.status, reply.headers["content-type"]) == (200, JSON)
    shown = json.loads(cli["show-berkshire"])
    assert reply.json() == shown
    assert reply.headers["cpc-policy-version"] == shown["version"] == "v97"


def test_the_openapi_document_is_cpc_schema_openapi_and_valid(server, cli) -> None:
    reply = server.get("/v1/openapi.json")
    assert (reply.status, reply.headers["content-type"]) == (200, JSON)
    assert reply.body == cli["openapi"]
    document = reply.json()
    validate_openapi(document)
    # Every path it names is served, with the methods it names.
    for template, operations in document["paths"].items():
        path = template.replace("{area}", "berkshire")
        for method in operations:
            if method in ("get", "post"):
                reply = server.request(method.upper(), path, b"" if method == "post" else None)
                assert reply.status not in (404, 405), (method, path, reply.body)


def _validator(document: dict, name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": document["components"]})


def test_what_the_server_answers_matches_its_openapi_document(server) -> None:
    document = server.get("/v1/openapi.json").json()
    answers = [
        ("ResultEvaluation", server.post(EVALUATE, case_json(example("late-review")))),
        ("ResultEvaluation", server.post(f"{EVALUATE}&explain=true", case_json(example("pre-birth")))),
        ("CaseRefused", server.post(EVALUATE, b'{"id": "x", "child": []}')),
        ("Problem", server.get("/v1/areas?as_of=never")),
        ("Problem", server.post("/v1/areas/nowhere/evaluate", b"{}")),
        ("Areas", server.get("/v1/areas")),
        ("ResolvedPolicy", server.get("/v1/areas/hampshire")),
        ("Health", server.get("/healthz")),
    ]
    for name, reply in answers:
        errors = [error.message for error in _validator(document, name).iter_errors(reply.json())]
        assert errors == [], (name, reply.status)


def test_healthz_says_ok_with_the_version_and_the_policies(server) -> None:
    reply = server.get("/healthz")
    assert (reply.status, reply.headers["content-type"]) == (200, JSON)
    health = reply.json()
    assert set(health) == {"status", "version", "policies"}
    assert (health["status"], health["version"]) == ("ok", engine.__version__)


# -- reloading on SIGHUP -------------------------------------------------------------------------------------


def _berkshire(server: Server) -> tuple[str, str]:
    """The version of berkshire in force and the policies' digest, as one request sees them."""
    areas = server.get(f"/v1/areas?as_of={AS_OF}").json()
    version = next(a["in_force"]["version"] for a in areas["areas"] if a["area"] == "berkshire")
    return version, areas["policies"]["digest"]


@pytest.mark.parametrize("workers", [1, 2])
def test_sighup_reloads_the_policies_and_keeps_them_when_the_new_ones_have_lint_errors(tmp_path, workers) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    berkshire = policies / "berkshire" / "policy.yaml"
    text = berkshire.read_text(encoding="utf-8")
    assert "\nversion: v97\n" in text and "\nextends: england\n" in text
    server = Server("--policies", str(policies), "--workers", str(workers)).start()
    try:
        server.wait_for_log("Application startup complete", count=workers)
        old_version, old_digest = _berkshire(server)
        assert old_version == "v97"

        berkshire.write_text(text.replace("\nversion: v97\n", "\nversion: v98\n"), encoding="utf-8")
        server.signal(signal.SIGHUP)
        server.wait_for_log(r"reloaded: berkshire v98", count=workers)
        body = case_json(example("late-review"))
        for _ in range(4 * workers):  # each on a new connection: every worker has the new policies
            version, digest = _berkshire(server)
            assert version == "v98" and digest != old_digest
            reply = server.post(EVALUATE, body)
            assert reply.headers["cpc-policy-version"] == reply.json()["policy_version"] == "v98"

        broken = text.replace("\nversion: v97\n", "\nversion: v99\n").replace(
            "\nextends: england\n", "\nextends: england\nsurprise_key: 1\n"
        )
        line = broken.split("\n").index("surprise_key: 1") + 1
        berkshire.write_text(broken, encoding="utf-8")
        server.signal(signal.SIGHUP)
        log = server.wait_for_log("reload refused", count=workers)
        # Each finding a log line of its own, with time and level, as a log reader expects.
        finding = f"{berkshire}:{line}:1: CPC100 unknown key 'surprise_key'"
        assert re.search(rf"^\S+ ERROR cpc\.serve \[\d+\]:   {re.escape(finding)}", log, re.MULTILINE), log
        assert f"reloading the policies from {policies}" in log
        for _ in range(4 * workers):
            assert _berkshire(server) == ("v98", digest)
            assert server.post(EVALUATE, body).json()["policy_version"] == "v98"
    finally:
        server.stop()


# -- stopping ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_sigterm_and_sigint_stop_the_server_with_status_0(workers, sig) -> None:
    server = Server("--workers", str(workers)).start()
    try:
        server.wait_for_log("Application startup complete", count=workers)
        server.signal(sig)
        status = server.process.wait(30)
    finally:
        server.stop()
    assert status == 0, server.log
    assert "Traceback" not in server.log and "aborted" not in server.log


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers listen on their own sockets on Linux")
def test_connections_are_shared_out_among_the_workers() -> None:
    # Each worker listens on its own socket and the kernel spreads connections over them: 24 connections all
    # landing on one of two workers by chance happens 1 time in 8 million.
    server = Server("--workers", "2").start()
    try:
        server.wait_for_log("Application startup complete", count=2)
        connections = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=60) for _ in range(24)]
        for connection in connections:
            connection.request("GET", "/v1/areas")
            assert connection.getresponse().read()
        for connection in connections:
            connection.close()
        served = server.wait_for_log("GET /v1/areas 200", count=24)
    finally:
        server.stop()
    workers = {found.group(1) for found in re.finditer(r"\[(\d+)\]: GET /v1/areas 200", served)}
    assert len(workers) == 2, served


@pytest.mark.parametrize("workers", [1, 2])
def test_the_listening_line_comes_when_every_worker_answers(workers) -> None:
    # A script waits for the line and then sends its first request: it must be answered, not refused.
    server = Server("--workers", str(workers))
    try:
        log = server.wait_for_log(LISTENING.pattern, timeout=60)
        found = next(m for line in log.splitlines() if (m := LISTENING.match(line)))
        server.port = int(found.group(1))
        # Each on a connection of its own, which the kernel gives to either worker.
        replies = [server.get("/healthz").status for _ in range(8)]
    finally:
        server.stop()
    assert replies == [200] * 8


def test_the_socket_says_it_is_tcp_so_that_answers_are_not_held_back() -> None:
    # asyncio turns Nagle's algorithm off only on a socket that says it is TCP; on its event loop (where uvloop
    # is not installed) each answer otherwise waited about 40 ms for the client's delayed acknowledgement.
    from engine.serve import run

    for workers in (1, 2):
        with run.bind("127.0.0.1", 0, workers=workers) as sock:
            assert sock.proto == socket.IPPROTO_TCP


# -- refusing to start ---------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine", "serve", *args],
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_policy_with_a_lint_error_stops_the_start_before_anything_listens(tmp_path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    berkshire = policies / "berkshire" / "policy.yaml"
    text = berkshire.read_text(encoding="utf-8").replace("\nextends: england\n", "\nextends: england\nsurprise: 1\n")
    berkshire.write_text(text, encoding="utf-8")
    line = text.split("\n").index("surprise: 1") + 1
    port = _free_port()
    run = _serve("--port", str(port), "--policies", str(policies))
    assert run.returncode == 2, run.stderr
    assert f"{berkshire}:{line}:1: CPC100 unknown key 'surprise'" in run.stderr
    assert "listening" not in run.stderr and "Traceback" not in run.stderr
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=5):
        pass


def test_a_policies_folder_that_does_not_exist_is_refused_with_exit_2(tmp_path) -> None:
    # Other commands fall back to the shipped areas; a service must not serve them for a mistyped folder.
    run = _serve("--port", "0", "--policies", str(tmp_path / "polices"))
    assert run.returncode == 2
    assert run.stderr == f"cpc: --policies {tmp_path / 'polices'}: no such folder\n"


def test_a_port_in_use_is_refused_with_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = _serve("--port", str(port))
    assert run.returncode == 2
    assert run.stderr == f"cpc: cannot listen on 127.0.0.1:{port}: Address already in use\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot be read: No such file or directory"),
        ("", "the file is empty"),
        ("  \n\n", "the file is empty"),
        ("two words\n", "a token is one line of printable ASCII, with no spaces"),
    ],
    ids=["missing", "empty", "blank", "spaces"],
)
def test_a_token_file_that_cannot_be_used_is_refused_with_exit_2(tmp_path, content, message) -> None:
    token_file = tmp_path / "token"
    if content is not None:
        token_file.write_text(content, encoding="ascii")
        token_file.chmod(0o600)
    run = _serve("--port", "0", "--token-file", str(token_file))
    assert run.returncode == 2
    assert run.stderr == f"cpc: --token-file {token_file}: {message}\n"


# -- a policy version the schema allows ----------------------------------------------------------------------


def test_a_policy_version_outside_latin1_is_served(tmp_path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    berkshire = policies / "berkshire" / "policy.yaml"
    text = berkshire.read_text(encoding="utf-8")
    berkshire.write_text(text.replace("\nversion: v97\n", '\nversion: "v98 \u2013 draft"\n'), encoding="utf-8")
    server = Server("--policies", str(policies)).start()
    try:
        good = server.post(EVALUATE, case_json(example("late-review")))
        refused = server.post(EVALUATE, json.dumps(PLANTED | {"child": []}).encode())
        area = server.get("/v1/areas/berkshire")
    finally:
        server.stop()
    assert (good.status, refused.status, area.status) == (200, 422, 200)
    assert good.json()["policy_version"] == "v98 \u2013 draft"
    # Percent-encoded: a header value holds printable ASCII only.
    assert good.headers["cpc-policy-version"] == refused.headers["cpc-policy-version"] == "v98%20%E2%80%93%20draft"
    assert area.headers["cpc-policy-version"] == "v98%20%E2%80%93%20draft"
    assert "Traceback" not in server.log
