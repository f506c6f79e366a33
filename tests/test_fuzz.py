"""Fuzz the loader, case reading, evaluation and lint: any input gives a valid result or a documented error.

"Documented" means :class:`LoadError` from the loader, :class:`CaseError` for a case, :class:`PolicyError`
for a policy, findings from the linter; a valid result is an evaluation whose ``to_dict()`` validates
against ``schemas/result.schema.json``. Anything else (a KeyError from deep in PyYAML, a RecursionError, an
error from the rules engine) is a bug. Inputs are random text and bytes, the example cases mutated as data
and as text, and Berkshire's policy mutated as data and as text; a few of each also go through the real
`cpc eval` and `cpc lint`. A marker planted in values and keys must never come back in an error.

The examples are derandomized so that CI always runs the same ones (about 20 s). To hunt for bugs, run more
and fresh examples, e.g. ``CPC_FUZZ_SCALE=50 pytest tests/test_fuzz.py -k "not cpc_"``, and
``--hypothesis-show-statistics`` to see how many inputs got past each stage.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import datetime as dt
import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import engine
from engine.core.findings import Finding
from engine.core.vocabulary import EVENTS, FACTS
from engine.evaluation.case_files import CaseError, load_case, read_case
from engine.evaluation.results import Evaluation
from engine.policy.lint.runner import lint
from engine.policy.lint.schema_check import known_names, validator
from engine.policy.policies import PolicyError
from engine.policy.yamlload import LoadError, load_file, load_text

from .datapaths import at, paths

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
EXAMPLE_TEXTS = [p.read_text(encoding="utf-8") for p in EXAMPLES]
EXAMPLE_DATA = [load_file(p).data for p in EXAMPLES]
BERKSHIRE_TEXT = (ROOT / "policies" / "berkshire" / "policy.yaml").read_text(encoding="utf-8")
ENGLAND = ROOT / "policies" / "england" / "policy.yaml"

MARKER = "Zq9-SECRET"
SCALE = int(os.environ.get("CPC_FUZZ_SCALE", "1"))
# Dates that evaluation can count working days around. Dates near or beyond the calendar's limits are
# test_hostile.py's business: evaluating them is a known gap outside these files (see there).
SAFE_DATES = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2080, 12, 31))
# From the day Berkshire's policy takes effect: before it, PolicyError is the (tested) answer.
AS_OF = st.dates(min_value=dt.date(2025, 3, 25), max_value=dt.date(2040, 12, 31))


def fuzz(examples: int) -> settings:
    """CI runs ``examples`` fixed examples; CPC_FUZZ_SCALE=N runs N times as many, freshly drawn."""
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        derandomize=SCALE == 1,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


@pytest.fixture(scope="module")
def berkshire() -> engine.evaluation.api.Policy:
    return engine.load_policy("berkshire")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


_names = itertools.count()


def write(folder: Path, content: str | bytes, suffix: str = ".yaml") -> Path:
    """A new file in ``folder`` (hypothesis runs many examples in one test, so no fixed names)."""
    path = folder / f"input-{next(_names)}{suffix}"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --- what every outcome must satisfy -----------------------------------------------------------------


def assert_redacted(findings: list[Finding]) -> None:
    for finding in findings:
        shown = f"{finding.message} {finding.path} {finding.hint}"
        assert MARKER not in shown, finding


def assert_valid_evaluation(evaluation: Evaluation) -> None:
    data = evaluation.to_dict()
    errors = [e.message for e in validator("result").iter_errors(data)]
    assert not errors, errors[:3]
    json.dumps(data, ensure_ascii=False).encode("utf-8")


def read_or_refuse(case: Any) -> dict | None:
    """The validated case, or None when it was refused with a CaseError that repeats nothing of it."""
    try:
        data = read_case(case)
    except CaseError as exc:
        assert exc.findings
        assert_redacted(exc.findings)
        event(f"case refused: {exc.findings[0].code}")
        return None
    event("case read")
    return data


def evaluate_or_refuse(policy: engine.evaluation.api.Policy, case: Any, as_of: dt.date) -> Evaluation | None:
    try:
        evaluation = policy.evaluate(case, as_of=as_of)
    except CaseError as exc:
        assert exc.findings
        assert_redacted(exc.findings)
        event(f"case refused: {exc.findings[0].code}")
        return None
    event("case evaluated")
    assert_valid_evaluation(evaluation)
    return evaluation


# --- strategies --------------------------------------------------------------------------------------

# Text made mostly of YAML's own punctuation reaches far more of the parser than arbitrary text does.
YAML_ALPHABET = st.sampled_from([*":-?[]{},&*!|>'\"%@`#\n \t.0123456789TZabcxyz_<=~\\/+", "\x00", "é", "\ufeff"])
yaml_text = st.text(YAML_ALPHABET, max_size=200) | st.text(max_size=200)

ENUM_WORDS = [
    "initial",
    "pre_birth",
    "transfer_in",
    "review",
    "childrens_social_care",
    "police",
    "neglect",
    "multiple",
    "manager",
    "review_conference",
    "no_longer_at_risk",
    "prejudice_to_child",
    "other",
    "10:00",
    "25:61",
    "9:5",
]
leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.just(f"{MARKER} free text"),
    SAFE_DATES,
    SAFE_DATES.map(dt.date.isoformat),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2080, 12, 31)),
    st.sampled_from(ENUM_WORDS),
)
keys = st.sampled_from(sorted(known_names("case"))) | st.just(f"{MARKER}-key") | st.text(min_size=1, max_size=10)
values = st.recursive(
    leaf, lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=3), max_leaves=8
)


def _scrub_ids(data: object, key: object = None) -> object:
    # Ids are printed in every result by design, so the marker is kept out of them: then it must never
    # come back in any output at all.
    if isinstance(data, dict):
        return {k: _scrub_ids(v, k) for k, v in data.items()}
    if isinstance(data, list):
        return [_scrub_ids(v, key) for v in data]
    if key == "id" and isinstance(data, str) and MARKER in data:
        return "scrubbed-id"
    return data


@st.composite
def mutated_cases(draw: st.DrawFn) -> object:
    """An example case with a few random edits: keys dropped or added, values of any type, lists grown."""
    case: Any = copy.deepcopy(draw(st.sampled_from(EXAMPLE_DATA)))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths(case)))
        if not path:
            if draw(st.integers(0, 9)) == 0:
                case = draw(values)
            continue
        parent, last = at(case, path[:-1]), path[-1]
        action = draw(st.sampled_from(["drop", "replace", "add", "duplicate"]))
        if action == "drop":
            del parent[last]
        elif action == "replace":
            parent[last] = draw(values)
        elif action == "add" and isinstance(parent, dict):
            parent[draw(keys)] = draw(values)
        elif isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
    return _scrub_ids(case)


@st.composite
def text_edits(draw: st.DrawFn, text: str) -> str:
    """``text`` with lines deleted, duplicated (duplicate keys) or swapped, and characters changed."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 5))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "replace"]))
        if action == "delete":
            del lines[at]
        elif action == "duplicate":
            lines.insert(at, lines[at])
        elif action == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        else:
            line = lines[at]
            column = draw(st.integers(0, len(line)))
            piece = draw(st.sampled_from([MARKER, ":", "- ", "[", "{", "&a ", "*a", "!!python/object ", "\t", "  "]))
            piece = draw(st.just(piece) | st.text(YAML_ALPHABET, min_size=1, max_size=3))
            end = column + (len(piece) if action == "replace" else 0)
            lines[at] = line[:column] + piece + line[end:]
    return "\n".join(lines)


mutated_case_texts = st.sampled_from(EXAMPLE_TEXTS).flatmap(text_edits)
mutated_policy_texts = text_edits(BERKSHIRE_TEXT)

BERKSHIRE_DATA = load_file(ROOT / "policies" / "berkshire" / "policy.yaml").data
# Durations and numbers stay where evaluation is known to cope: a duration of thousands of years and a number
# written with an exponent are known gaps outside these files (test_hostile.py pins them).
durations = st.builds(
    "{} {}".format,
    st.sampled_from([0, 1, 2, 3, 15, 99, 999]),
    st.sampled_from(["hours", "days", "working days", "weeks", "months", "years", "day", "working day"]),
)
event_names = st.sampled_from(sorted(EVENTS))
# The value a policy key usually holds, so that an edit survives the schema often enough to reach evaluation.
POLICY_VALUES = {
    "within": durations,
    "before": durations | event_names,
    "elapsed": durations,
    "of": event_names,
    "since": event_names,
    "event": event_names,
    "what": event_names | st.lists(event_names, min_size=1, max_size=3),
    "fact": st.sampled_from(sorted(FACTS)),
    "at_least": st.integers(-2, 30) | st.sampled_from([1.5, 2**63]),
    "below": st.integers(-2, 30) | st.sampled_from([0.5, 2**63]),
    "equals": st.booleans() | st.sampled_from(["initial", "review", "x", 0, 1]),
    "not_equals": st.booleans() | st.sampled_from(["initial", "review", 0]),
    "in": st.lists(st.sampled_from(["initial", "review", "pre_birth", "died", "x", 1, True]), max_size=3),
    "present": st.booleans(),
    "applies_to": st.sampled_from(["conference", "exclusion_request", "plan", "case", "report"]),
    "statutory": st.sampled_from(["maximum", "minimum", "x"]),
    "effective_from": st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 1, 1)),
    "deadline_on_non_working_day": st.sampled_from(["keep", "next_working_day", "previous_working_day", "x"]),
    "closure_days": st.lists(SAFE_DATES, max_size=3),
}


@st.composite
def mutated_policies(draw: st.DrawFn) -> object:
    """Berkshire's policy with a few values changed, mostly to values of the kind the key holds."""
    policy: Any = copy.deepcopy(BERKSHIRE_DATA)
    for _ in range(draw(st.integers(1, 3))):
        found = [p for p in paths(policy) if p]
        targeted = [p for p in found if p[-1] in POLICY_VALUES]
        path = draw(st.sampled_from(targeted if targeted and draw(st.integers(0, 4)) else found))
        parent, last = at(policy, path[:-1]), path[-1]
        if last in POLICY_VALUES and draw(st.booleans()):
            parent[last] = draw(POLICY_VALUES[last])
        elif draw(st.booleans()):
            del parent[last]
        else:
            parent[last] = draw(values)
    return policy


def as_text(case: object, form: str) -> str:
    if form == "json":
        return json.dumps(case, default=str, allow_nan=True)
    return yaml.safe_dump(case, allow_unicode=True, sort_keys=False)


# --- (a) random text and bytes -----------------------------------------------------------------------


@fuzz(300)
@given(text=yaml_text)
def test_random_text_loads_or_gives_a_load_error(text: str) -> None:
    try:
        load_text(text)
    except LoadError as exc:
        assert exc.code in ("CPC001", "CPC002", "CPC003", "CPC004")
        assert exc.line >= 1 and exc.column >= 1
    read_or_refuse(text)


@fuzz(100)
@given(raw=st.binary(max_size=300) | st.binary(max_size=40).map(lambda b: b"\x89PNG\r\n\x1a\n" + b))
def test_random_bytes_give_a_case_error_or_a_case(workdir: Path, raw: bytes) -> None:
    path = write(workdir, raw)
    try:
        load_case(path)
    except CaseError as exc:
        assert exc.findings
    result = lint([path])
    assert all(f.file == str(path) for f in result.findings)


@fuzz(100)
@given(text=yaml_text)
def test_random_text_as_a_policy_gives_findings(workdir: Path, text: str) -> None:
    folder = workdir / f"random-{next(_names)}" / "england"
    folder.mkdir(parents=True)
    path = write(folder, text)
    lint([path])
    with contextlib.suppress(PolicyError):
        engine.load_policy(path)


# --- (b) mutated cases -------------------------------------------------------------------------------


@fuzz(150)
@given(case=mutated_cases(), as_of=AS_OF)
def test_mutated_case_as_data_evaluates_or_is_refused(berkshire, case: object, as_of: dt.date) -> None:
    if not isinstance(case, dict):
        with pytest.raises(CaseError):
            read_case(as_text(case, "json"))
        return
    evaluation = evaluate_or_refuse(berkshire, case, as_of)
    if evaluation is not None:
        assert MARKER not in json.dumps(evaluation.to_dict(), ensure_ascii=False)


@fuzz(150)
@given(case=mutated_cases(), form=st.sampled_from(["yaml", "json"]), as_of=AS_OF)
def test_mutated_case_as_text_evaluates_or_is_refused(berkshire, case: object, form: str, as_of: dt.date) -> None:
    data = read_or_refuse(as_text(case, form))
    if data is not None:
        evaluate_or_refuse(berkshire, data, as_of)


@fuzz(200)
@given(text=mutated_case_texts, as_of=AS_OF)
def test_case_text_with_edits_evaluates_or_is_refused(berkshire, text: str, as_of: dt.date) -> None:
    data = read_or_refuse(text)
    if data is not None:
        evaluate_or_refuse(berkshire, data, as_of)


# --- (c) mutated policies ----------------------------------------------------------------------------


@fuzz(30)
@given(text=mutated_policy_texts)
def test_policy_text_with_edits_lints_and_evaluates_or_is_refused(workdir: Path, text: str) -> None:
    root = workdir / f"policies-{next(_names)}"
    (root / "england").mkdir(parents=True)
    shutil.copy(ENGLAND, root / "england" / "policy.yaml")
    (root / "berkshire").mkdir()
    path = write(root / "berkshire", text)
    result = lint([path])
    for finding in result.findings:
        assert finding.line >= 1 and finding.column >= 1 and finding.code.startswith("CPC")
    try:
        policy = engine.load_policy(path)
        evaluation = policy.evaluate(EXAMPLES[3], as_of=dt.date(2026, 3, 2))
    except PolicyError as exc:
        assert exc.message
        event("policy refused")
        return
    event("policy evaluated")
    assert not result.errors
    assert_valid_evaluation(evaluation)


@fuzz(15)
@given(policy=mutated_policies())
def test_policy_data_with_edits_lints_and_evaluates_or_is_refused(workdir: Path, policy: object) -> None:
    root = workdir / f"policies-{next(_names)}"
    (root / "england").mkdir(parents=True)
    shutil.copy(ENGLAND, root / "england" / "policy.yaml")
    (root / "berkshire").mkdir()
    path = write(root / "berkshire", yaml.safe_dump(policy, allow_unicode=True, sort_keys=False))
    result = lint([path])
    try:
        policy = engine.load_policy(path)
        evaluations = [policy.evaluate(case, as_of=dt.date(2026, 3, 2)) for case in EXAMPLES[2:4]]
    except PolicyError as exc:
        assert exc.message
        event("policy refused")
        return
    event("policy evaluated")
    assert not result.errors
    for evaluation in evaluations:
        assert_valid_evaluation(evaluation)


# --- the real command line ---------------------------------------------------------------------------


def run_cpc(*args: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "CPC_DEBUG")}
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_clean_exit(result: subprocess.CompletedProcess, codes: tuple[int, ...]) -> None:
    output = result.stdout + result.stderr
    assert result.returncode in codes, output[-2000:]
    assert "Traceback" not in output
    # The CLI turns any unexpected exception into this line; for an input, it is a bug all the same.
    assert "internal error" not in output, output[-2000:]


@fuzz(3)
@given(
    cases=st.lists(mutated_cases().map(lambda c: as_text(c, "yaml")), min_size=6, max_size=6),
    raw=st.binary(min_size=1, max_size=200),
    text=mutated_case_texts,
)
def test_cpc_eval_exits_0_1_or_2_without_a_traceback(workdir: Path, cases: list[str], raw: bytes, text: str) -> None:
    files = [write(workdir, c) for c in cases]
    files.append(write(workdir, as_text(EXAMPLE_DATA[0], "json"), ".json"))
    files.append(write(workdir, raw))
    # Text edits may put the marker in an id, which results name by design; elsewhere it must not come back.
    files.append(write(workdir, text.replace(MARKER, "edited")))
    result = run_cpc("eval", "--policy", "berkshire", "--as-of", "2026-03-02", *map(str, files))
    assert_clean_exit(result, (0, 1, 2))
    assert MARKER not in result.stdout + result.stderr


@fuzz(2)
@given(texts=st.lists(mutated_policy_texts, min_size=4, max_size=4))
def test_cpc_lint_exits_0_or_1_without_a_traceback(workdir: Path, texts: list[str]) -> None:
    files = []
    for text in texts:
        folder = workdir / f"lint-{next(_names)}" / "berkshire"
        folder.mkdir(parents=True)
        files.append(write(folder, text))
    assert_clean_exit(run_cpc("lint", *map(str, files)), (0, 1))


# --- SSD extracts and results files (issue 13) --------------------------------------------------------------

SSD = ROOT / "examples" / "ssd"
SSD_TABLES = {
    p.name: list(csv.reader(p.read_text(encoding="utf-8-sig").splitlines(keepends=True)))
    for p in sorted(SSD.glob("*.csv"))
}
ODD_CELLS = st.sampled_from(
    [
        "",
        " ",
        "²³",
        "٣٤",
        "9" * 5000,
        "-1",
        "1e9",
        "100.0",
        "2019-02-30",
        "0000-01-01",
        "30/02/2019",
        "9999-12-31 23:59:59",
        "Y",
        "maybe",
        '{"CP_CONFERENCE_FLAG": 1}',
        "[]",
        "\x00",
        "\u202e",
        "a\nb",
        '"',
        ";",
        "\t",
        MARKER,
    ]
) | st.text(max_size=12)


@st.composite
def mutated_extracts(draw: st.DrawFn) -> dict[str, list[list[str]]]:
    """examples/ssd with a few cells replaced by odd values, rows repeated, dropped or cut short."""
    tables = copy.deepcopy(SSD_TABLES)
    for _ in range(draw(st.integers(1, 8))):
        name = draw(st.sampled_from(sorted(tables)))
        rows = tables[name]
        if len(rows) < 2:
            continue
        index = draw(st.integers(1, len(rows) - 1))
        action = draw(st.sampled_from(["cell", "cell", "cell", "repeat", "drop", "cut", "widen"]))
        if action == "cell":
            rows[index][draw(st.integers(0, len(rows[index]) - 1))] = draw(ODD_CELLS)
        elif action == "repeat":
            rows.insert(index, list(rows[index]))
        elif action == "drop":
            del rows[index]
        elif action == "cut":
            rows[index] = rows[index][: draw(st.integers(0, len(rows[index])))]
        else:
            rows[index] = [*rows[index], draw(ODD_CELLS)]
    return tables


@fuzz(60)
@given(tables=mutated_extracts())
def test_a_mutated_ssd_extract_imports_or_is_refused(workdir: Path, tables: dict[str, list[list[str]]]) -> None:
    from engine.ssd import mapping as ssd
    from engine.ssd.reader import SsdError, read_extract

    folder = workdir / f"ssd-{next(_names)}"
    folder.mkdir()
    for name, rows in tables.items():
        with (folder / name).open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    report = ssd.ImportReport()
    checker = ssd.CaseChecker()
    try:
        cases = list(ssd.iter_cases(read_extract(folder), report))
    except SsdError as exc:
        event("refused")
        assert MARKER not in str(exc)
        return
    for mapped in cases:
        try:
            checker.check(mapped.case, mapped.source)
        except CaseError as exc:
            event("a case does not validate")
            assert_redacted(exc.findings)
        ssd.dumps(mapped.case)
    text = ssd.report_text(report) + report.to_json()
    assert MARKER not in text


def _results_lines() -> list[str]:
    policy = engine.load_policy("berkshire")
    lines = []
    for data in EXAMPLE_DATA:
        evaluation = policy.evaluate(data, as_of=dt.date(2026, 3, 2))
        lines.append(json.dumps(evaluation.to_dict()))
    return lines


@st.composite
def mutated_results(draw: st.DrawFn, lines: list[str]) -> str:
    """A results file with values swapped for odd ones, lines cut, repeated or replaced by garbage."""
    out = list(lines)
    for _ in range(draw(st.integers(1, 6))):
        index = draw(st.integers(0, len(out) - 1))
        action = draw(st.sampled_from(["value", "value", "cut", "repeat", "garbage", "number"]))
        if action == "value":
            try:
                data = json.loads(out[index])
            except ValueError:
                continue
            found = list(paths(data))
            if found:
                where = draw(st.sampled_from(found))
                replacement = draw(
                    st.one_of(ODD_CELLS, st.integers(), st.booleans(), st.none(), st.just([]), st.just({}))
                )
                data = _replace_at(data, where, replacement)
            out[index] = json.dumps(data)
        elif action == "cut":
            out[index] = out[index][: draw(st.integers(0, len(out[index])))]
        elif action == "repeat":
            out.insert(index, out[index])
        elif action == "garbage":
            out[index] = draw(st.text(max_size=40))
        else:
            out[index] = out[index].replace('"date": "', '"date": 1' + "0" * 5000 + ', "x": "', 1)
    return _Short("\n".join(out) + "\n")


class _Short(str):
    """A results file whose repr is short: hypothesis refuses to print a failing example of 200 kB."""

    def __repr__(self) -> str:
        return f"<results file of {len(self)} characters: {str.__repr__(self[:300])}…>"


def _replace_at(data: object, where: tuple, value: object) -> object:
    if not where:
        return value
    head, *rest = where
    inside = head in data if isinstance(data, dict) else isinstance(data, list) and head < len(data)
    if inside:
        data[head] = _replace_at(data[head], tuple(rest), value)
    return data


RESULTS_LINES = _results_lines()


# engine/caseload/results_lines.py looks a result's `kind` up in a dict: a list there (`"kind": []`) is a TypeError,
# an internal error, rather than a skipped line. Reported to its owner; remove this mark once it is fixed.
@fuzz(40)
@given(text=mutated_results(RESULTS_LINES), fmt=st.sampled_from(["text", "json", "csv", "markdown", "overdue-csv"]))
def test_a_mutated_results_file_reports_or_is_refused(workdir: Path, text: str, fmt: str) -> None:
    from click.testing import CliRunner

    from engine.cli.report_command import report

    path = write(workdir, str(text), ".jsonl")
    result = CliRunner().invoke(report, [str(path), "--format", fmt, "--all"], catch_exceptions=False)
    assert result.exit_code in (0, 1, 2), result.output[-2000:]
