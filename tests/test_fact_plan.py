"""What durable-rules is given of a case is only what some rule can see (engine.evaluation.compile.FactPlan),
and leaving the rest out changes no result: every shipped area, generated and example cases, with and without
coverage."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import json
import random
from pathlib import Path

import pytest

import engine
from engine.core.vocabulary import EVENTS
from engine.evaluation.case_files import read_case
from engine.evaluation.compile import CONFERENCE_EVENTS, FactPlan, compile_policy
from engine.evaluation.evaluate import Evaluator
from engine.policy.yamlload import load_file

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 3, 1)


def _generator():
    spec = importlib.util.spec_from_file_location("generate_caseload", ROOT / "bench" / "generate_caseload.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cases() -> list[dict]:
    generated = [json.loads(line) for line in _generator().generate_lines(300, 7, AS_OF)]
    unrecorded = ["report_shared_with_parents", "core_group_meeting", "documents_sent", "strategy_discussion"]
    unrecorded += ["conference.parents_invited", "plan.agencies_consulted", "transfer_accepted"]
    rng = random.Random(7)
    for case in generated[::3]:
        case["coverage"] = {"not_recorded": rng.sample(unrecorded, rng.randint(1, 4))}
    examples = [load_file(path).data for path in sorted((ROOT / "examples" / "cases").glob("*.yaml"))]
    return [read_case(case) for case in generated + examples]


def _everything(plan: FactPlan) -> FactPlan:
    """A plan that asserts every event, scheduled or not, every field of every fact, and on each conference's
    fact every conference event it is."""
    fields = {kind: (*names, "*") for kind, names in plan.fields.items()}
    for kind in ("case", "conference", "exclusion_request", "report"):
        fields.setdefault(kind, ("*",))
    return FactPlan(fields, frozenset(EVENTS), frozenset(EVENTS), ("owner",), CONFERENCE_EVENTS)


@pytest.fixture(scope="module")
def cases() -> list[dict]:
    return _cases()


@pytest.mark.parametrize("area", ["england", "berkshire", "hampshire"])
def test_asserting_only_what_rules_name_changes_no_result(area: str, cases: list[dict], monkeypatch) -> None:
    planned = engine.load_policy(area).evaluator(AS_OF)
    whole = Evaluator(compile_policy(planned.compiled.policy))  # its own compilation, to assert everything into
    compiled = whole.compiled
    assert compiled is not planned.compiled
    everything = _everything(compiled.plan)
    original = type(compiled).engine_facts

    def engine_facts(self, facts):
        if self is not compiled:
            return original(self, facts)
        # Every field: the plan's "*" stands for all of a fact's own.
        asserted, about = original(dataclasses.replace(self, plan=everything), facts)
        for fact, item in zip(asserted, about, strict=True):
            fact.pop("*", None)
            if isinstance(item, dict):
                source = facts.case if item.get("t") == "case" else item
                fact.update({k: v for k, v in source.items() if k not in ("t",)})
        return asserted, about

    monkeypatch.setattr(type(compiled), "engine_facts", engine_facts)
    asserted_planned = asserted_whole = 0
    for case in cases:
        for as_of in (AS_OF, dt.date(2025, 6, 15)):
            expected = whole.evaluate(case, as_of, explain=True).to_dict()
            got = planned.evaluate(case, as_of, explain=True).to_dict()
            assert got == expected, case.get("id")
        facts = engine.evaluation.case.derive(case, AS_OF)
        asserted_planned += len(original(planned.compiled, facts)[0])
        asserted_whole += len(engine_facts(compiled, facts)[0])
    # The plan leaves out most of what a case holds.
    assert asserted_planned < 0.7 * asserted_whole
