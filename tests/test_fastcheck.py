"""The fast paths of case reading and result writing change nothing: only how long they take.

engine.evaluation.fastcheck accepts a case with fastjsonschema; anything it refuses goes to the full jsonschema check,
which says where and why. So the one property that matters is: the fast check never accepts a case the full
check refuses. It is tested on every shipped case, on generated caseloads, and on hypothesis's mutations of
them (types changed, keys dropped and added, enum values and dates bent out of shape); and one level up,
reading a case with the fast path and without it must give the same case or the same findings.
``Result.to_json`` must write exactly what ``json.dumps(result.to_dict())`` writes.
"""

from __future__ import annotations

import copy
import datetime as dt
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.caseload.batch import PLACED_MAX_BYTES, CaseInput, _parse_record, _read
from engine.core.resources import schema
from engine.evaluation import case_files as caseload
from engine.evaluation import fastcheck
from engine.evaluation.case_files import CaseError, check_case, read_case, read_record
from engine.evaluation.eval_formats import json_line
from engine.evaluation.results import Citation, Clock, Evaluation, Late, Match, Result, Subject
from engine.policy.lint.schema_check import known_names, validator
from engine.policy.yamlload import Document, jsonable, load_file

from .datapaths import at, paths

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [
    *sorted((ROOT / "examples" / "cases").glob("*.yaml")),
    *sorted((ROOT / "tests" / "data" / "case" / "positive").iterdir()),
]
NEGATIVE = sorted((ROOT / "tests" / "data" / "case" / "negative").glob("*.yaml"))
AS_OF = dt.date(2026, 3, 1)


def _generated(count: int, seed: int = 5) -> list[dict]:
    spec = importlib.util.spec_from_file_location("generate_caseload", ROOT / "bench" / "generate_caseload.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [json.loads(line) for line in module.generate_lines(count, seed, AS_OF)]


GENERATED = _generated(150)
SEEDS: list[Any] = [jsonable(load_file(path).data) for path in SHIPPED] + GENERATED[:40]


def full_accepts(data: object) -> bool:
    """The full check's verdict: jsonschema with the project's validator (engine.policy.lint.schema_check)."""
    return next(iter(validator("case").iter_errors(data)), None) is None


def outcome(read) -> tuple[str, object]:
    """What reading a case gives: the case, or the findings of the CaseError."""
    try:
        return "case", read()
    except CaseError as exc:
        return "error", [(f.line, f.column, f.code, f.message, f.path, f.hint) for f in exc.findings]


# --- the rewrite to draft 7 -----------------------------------------------------------------------------


def test_the_case_schema_rewrites_to_draft_7_and_compiles() -> None:
    rewritten = fastcheck.draft07(schema("case"))
    assert rewritten["$schema"] == fastcheck.DRAFT_07
    text = json.dumps(rewritten)
    assert "$defs" not in text and "dependentRequired" not in text
    assert rewritten["definitions"]["conference"]["dependencies"] == {"time": ["date"]}
    assert fastcheck.validator("case") is fastcheck.validator("case")


@pytest.mark.parametrize(
    ("fragment", "named"),
    [
        ({"prefixItems": [{"type": "string"}]}, "'prefixItems'"),
        ({"unevaluatedProperties": False}, "'unevaluatedProperties'"),
        ({"dependentSchemas": {"a": {}}}, "'dependentSchemas'"),
        ({"$dynamicRef": "#x"}, "'$dynamicRef'"),
        ({"multipleOf": 0.1}, "'multipleOf'"),
        ({"patternProperties": {"^x$": {}}}, "'patternProperties'"),
        ({"$ref": "other.json#/x"}, "only #/$defs/NAME references"),
        ({"$ref": "#"}, "only #/$defs/NAME references"),
        ({"$id": "inner.json"}, "'$id'"),
        ({"pattern": "^[$]+$"}, "inside [...]"),
        ({"not": {"type": "integer"}}, "refuses 1.0 as an integer"),
        ({"oneOf": [{"type": ["integer", "string"]}]}, "refuses 1.0 as an integer"),
    ],
)
def test_the_rewrite_refuses_what_it_cannot_keep_the_meaning_of(fragment: dict, named: str) -> None:
    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", "properties": {"x": fragment}}
    with pytest.raises(fastcheck.SchemaTransformError, match=named.replace("[", r"\[").replace("$", r"\$")):
        fastcheck.draft07(document)


def test_a_ref_beside_assertions_keeps_both() -> None:
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {"text": {"type": "string"}},
        "properties": {"x": {"$ref": "#/$defs/text", "minLength": 2, "description": "kept"}},
    }
    rewritten = fastcheck.draft07(document)["properties"]["x"]
    assert rewritten == {"description": "kept", "allOf": [{"$ref": "#/definitions/text"}, {"minLength": 2}]}


@pytest.mark.parametrize("text", ["2025-01-01", "2025-01-01\n", "2025-01-01\n\n", "x2025-01-01", "2025-01-011"])
def test_a_dollar_in_a_pattern_means_what_jsonschema_takes_it_to_mean(text: str) -> None:
    # fastjsonschema would read "$" as end of text; Python (and so jsonschema) also matches before a final "\n".
    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", "pattern": "^[0-9-]{10}$"}
    import fastjsonschema
    import jsonschema

    fast = fastjsonschema.compile(fastcheck.draft07(document))
    try:
        fast(text)
        fast_ok = True
    except fastjsonschema.JsonSchemaValueException:
        fast_ok = False
    assert fast_ok == jsonschema.Draft202012Validator(document).is_valid(text)


# --- the fast check never accepts what the full check refuses ------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_case_is_accepted_by_both_checks(path: Path) -> None:
    data = jsonable(load_file(path).data)
    assert fastcheck.is_plain_json(data)
    assert full_accepts(data)
    assert fastcheck.accepts(data)


def test_every_generated_case_is_accepted_by_both_checks() -> None:
    refused = [case["id"] for case in GENERATED if not (fastcheck.accepts(case) and full_accepts(case))]
    assert refused == []


@pytest.mark.parametrize("path", NEGATIVE, ids=lambda p: p.name)
def test_the_fast_check_refuses_every_negative_example(path: Path) -> None:
    data = jsonable(load_file(path).data)
    assert not full_accepts(data)
    assert not fastcheck.accepts(data)


# Strings that sit on the edges of the schema's patterns, formats and enums.
EDGES = [
    "2024-02-29",
    "2023-02-29",
    "1900-02-29",
    "2000-02-29",
    "2025-04-31",
    "2025-13-01",
    "2025-00-10",
    "2025-1-01",
    "0000-01-01",
    "1850-06-01",
    "2150-06-01",
    "9999-12-31",
    "2025-01-01\n",
    "\n2025-01-01",
    "2025-01-01T10:00",
    "2025-01-01T10:00:59",
    "2025-01-01T10:00:60",
    "2025-01-01T10:00Z",
    "2025-01-01T10:00+01:00",
    "2025-01-01T24:00",
    "2025-01-01T10:00\n",
    "2025-01-01t10:00",
    "2025-01-01 10:00",
    "2025-02-29T10:00",
    "2024-02-29T23:59",
    "\uff12\uff10\uff12\uff15-01-01",  # fullwidth digits: \d takes them, [0-9] does not
    "10:00",
    "10:00\n",
    "9:30",
    "24:00",
    "",
    " ",
    "\n",
    "T",
    "initial",
    "review",
    "pre_birth",
    "transfer_in",
    "police",
    "childrens_social_care",
    "neglect",
    "multiple",
    "manager",
    "review_conference",
    "no_longer_at_risk",
    "other",
    "Initial",
    "x\x00",
    "é",
    "\ud800",
]
leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([1.0, 0.5, -0.0, 2**63, 10**30]),
    st.sampled_from(EDGES),
    st.text(max_size=6),
)
keys = st.sampled_from(sorted(known_names("case"))) | st.text(min_size=1, max_size=6)
values = st.recursive(
    leaf, lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=3), max_leaves=6
)


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A shipped or generated case with one to four edits: a value replaced (often by an edge string), a key
    dropped or added, a list item repeated, or a whole mapping replaced."""
    case: Any = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths(case)))
        if not path:
            continue
        parent, last = at(case, path[:-1]), path[-1]
        action = draw(st.sampled_from(["edge", "edge", "replace", "drop", "drop", "drop", "add", "repeat"]))
        if action == "edge":
            parent[last] = draw(st.sampled_from(EDGES))
        elif action == "replace":
            parent[last] = draw(values)
        elif action == "drop":
            del parent[last]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(keys)] = draw(values)
        elif isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
    return case


FUZZ = settings(
    max_examples=600,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(mutated())
def test_the_fast_check_accepts_only_what_the_full_check_accepts(case: Any) -> None:
    if fastcheck.accepts(case):
        assert full_accepts(case)
    else:
        # Not required, but a refusal of a valid case would only be a slow path taken for nothing.
        assert not full_accepts(case) or not fastcheck.is_plain_json(case)


@FUZZ
@given(mutated())
def test_reading_a_case_gives_the_same_with_and_without_the_fast_path(case: Any) -> None:
    fast = outcome(lambda: read_case(copy.deepcopy(case), "case.json"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fastcheck, "accepts", lambda data, name="case": False)
        slow = outcome(lambda: read_case(copy.deepcopy(case), "case.json"))
    assert fast == slow


def test_a_case_from_yaml_reads_the_same_with_and_without_the_fast_path() -> None:
    documents = [load_file(path) for path in [*SHIPPED, *NEGATIVE]]
    fast = [outcome(lambda d=d: check_case(d)) for d in documents]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fastcheck, "accepts", lambda data, name="case": False)
        slow = [outcome(lambda d=d: check_case(d)) for d in documents]
    assert fast == slow


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (lambda c: c["conferences"][0].update(date="1850-01-01"), "CPC100"),
        (lambda c: c["conferences"][1].update(id=c["conferences"][0]["id"]), "CPC100"),
    ],
    ids=["date-out-of-range", "duplicate-conference-id"],
)
def test_what_the_schema_allows_but_caseload_refuses_still_goes_the_full_way(edit, code: str) -> None:
    case = copy.deepcopy(next(c for c in GENERATED if len(c.get("conferences", [])) > 1))
    edit(case)
    assert fastcheck.accepts(case)
    with pytest.raises(CaseError) as raised:
        read_case(case, "case.json")
    assert [f.code for f in raised.value.findings] == [code]


def test_data_that_is_not_plain_json_goes_the_full_way() -> None:
    case = {"id": "c-1", "core_group_meetings": ("2025-01-06",)}
    assert not fastcheck.is_plain_json(case)
    assert fastcheck.accepts(case)  # fastjsonschema takes a tuple for an array; jsonschema does not
    with pytest.raises(CaseError) as raised:
        read_case(case)
    assert [(f.path, f.message) for f in raised.value.findings] == [("core_group_meetings", "expected a list")]
    assert not fastcheck.is_plain_json({"id": "c-1", 1: "x"})
    assert not fastcheck.is_plain_json({"id": float("nan")})


def test_a_record_reads_as_read_case_reads_it() -> None:
    for case in [*GENERATED[:30], *SEEDS[:5]]:
        assert read_record(copy.deepcopy(case), "x.jsonl:1") == read_case(case, "x.jsonl:1")


@pytest.mark.parametrize(
    "record",
    [
        b'{"id": "\\ud800"}',
        b'{"id": "a", "\\uDBFF": 1}',
        b'{"id": "a\\u00e9", "conferences": [{"id": "c", "date": "2025-01-06"}]}',
        b'{"id": "a", "conferences": [{"id": "c", "date": "2025-02-30"}]}',
    ],
)
def test_a_record_with_a_lone_surrogate_is_reported_as_read_case_reports_it(record: bytes) -> None:
    item = CaseInput("x.jsonl:1", 1, record)
    data = _parse_record(item)
    # The same problems; only the column may differ, since a record's text gives each value's column.
    assert _columnless(outcome(lambda: _read(item, data))) == _columnless(
        outcome(lambda: read_case(json.loads(record), "x.jsonl:1"))
    )


def _columnless(found: tuple[str, object]) -> tuple[str, object]:
    kind, value = found
    return (kind, [(f[0], *f[2:]) for f in value]) if kind == "error" else found


def test_a_refused_record_larger_than_any_case_keeps_column_1() -> None:
    # Reading a record again as YAML takes about 3 ms per KB; beyond PLACED_MAX_BYTES it is not done.
    conferences = [{"id": f"c{i}", "type": "initial", "date": "2025-01-06"} for i in range(2000)]
    conferences[-1]["date"] = "2025-02-30"
    record = json.dumps({"id": "a", "conferences": conferences}).encode()
    assert len(record) > PLACED_MAX_BYTES
    item = CaseInput("x.jsonl:1", 1, record)
    (finding,) = outcome(lambda: _read(item, _parse_record(item)))[1]
    assert finding[:3] == (1, 1, "CPC100") and finding[4] == "conferences[1999].date"


def test_a_refused_record_points_at_the_column_of_its_value() -> None:
    record = b'{"id": "a", "conferences": [{"id": "c", "date": "2025-02-30"}]}'
    (finding,) = outcome(lambda: _read(CaseInput("x.jsonl:1", 1, record), _parse_record(CaseInput("x", 1, record))))[1]
    assert finding[:3] == (1, record.index(b'"2025-02-30"') + 1, "CPC100")


# --- Result.to_json writes what json.dumps writes -----------------------------------------------------


@pytest.fixture(scope="module")
def evaluations() -> list[Evaluation]:
    policy = engine.load_policy("berkshire")
    cases = [caseload.load_case(path) for path in SHIPPED] + [read_case(c) for c in GENERATED[:60]]
    return [policy.evaluate(case, as_of=AS_OF, explain=explain) for case in cases for explain in (False, True)]


def test_an_evaluation_is_written_as_json_dumps_writes_it(evaluations: list[Evaluation]) -> None:
    assert any(r.matched for e in evaluations for r in e.results)
    for evaluation in evaluations:
        assert json_line(evaluation) == json.dumps(evaluation.to_dict(), ensure_ascii=False) + "\n"


texts = st.text(max_size=8) | st.sampled_from(["", '"', "\\", "\x00", "\n", "é", "\u2028", "\ud800", "</script>"])
moments = st.none() | st.dates() | st.datetimes()
results = st.builds(
    Result,
    rule=texts,
    title=texts,
    kind=st.sampled_from(["deadline", "requirement", "decision", "other"]),
    status=texts,
    area=texts,
    policy_version=texts,
    defined_in=texts,
    citations=st.lists(st.builds(Citation, texts, texts, texts), max_size=2).map(tuple),
    subject=st.none() | st.builds(Subject, texts, texts),
    what=st.none() | texts | st.lists(texts, max_size=2).map(tuple),
    clock=st.none() | st.builds(Clock, texts, st.dates() | st.datetimes()),
    due=moments,
    done=moments,
    late=st.none() | st.builds(Late, st.integers(-(2**70), 2**70) | st.booleans(), texts),
    failed=st.lists(texts, max_size=2).map(tuple),
    missing=st.lists(texts, max_size=2).map(tuple),
    action=st.none() | texts,
    directs=st.none() | texts,
    matched=st.lists(st.builds(Match, texts, texts, st.lists(texts, max_size=2).map(tuple)), max_size=2).map(tuple),
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    st.builds(Evaluation, texts, texts, texts, st.dates() | st.datetimes(), st.lists(results, max_size=3).map(tuple))
)
def test_any_evaluation_is_written_as_json_dumps_writes_it(evaluation: Evaluation) -> None:
    assert evaluation.to_json() == json.dumps(evaluation.to_dict(), ensure_ascii=False)
    # A second time, from the shared parts already encoded.
    assert evaluation.to_json() == json.dumps(evaluation.to_dict(), ensure_ascii=False)


def test_results_that_share_a_rule_but_not_its_citations_keep_their_own() -> None:
    first = Result("r", "t", "decision", "applies", "a", "v", "a", (Citation("s", "f", "one"),))
    second = Result("r", "t", "decision", "applies", "a", "v", "a", (Citation("s", "f", "two"),))
    assert '"one"' in first.to_json() and '"two"' in second.to_json()
    assert first.to_json() == json.dumps(first.to_dict(), ensure_ascii=False)


def test_a_document_without_positions_checks_as_before() -> None:
    # check_case on a Document made by hand (the API's route for data) takes the fast path too.
    case = GENERATED[0]
    assert check_case(Document("x", copy.deepcopy(case))) == read_case(case)


def test_a_fastjsonschema_whose_code_cannot_be_compiled_leaves_the_library_validator(monkeypatch) -> None:
    import fastjsonschema

    case = json.loads(json.dumps(jsonable(load_file(ROOT / "examples" / "cases" / "berkshire-icpc-on-time.yaml").data)))
    monkeypatch.setattr(fastjsonschema, "compile_to_code", lambda *args, **kwargs: "def validate(:")
    fastcheck.validator.cache_clear()
    try:
        assert fastcheck.accepts(case)
        assert not fastcheck.accepts({**case, "unknown": 1})
    finally:
        monkeypatch.undo()
        fastcheck.validator.cache_clear()
    assert fastcheck.accepts(case) and not fastcheck.accepts({**case, "unknown": 1})
