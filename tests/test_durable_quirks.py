"""durable-rules 2.0.28's quirks, each pinned twice: once on the library itself (the test fails if an upgrade
changes the behaviour, so the workaround can be revisited) and once through ``engine.evaluation.durable`` (the test
fails if the wrapper stops handling it).

The library side drives ``durable.engine.Ruleset`` without a ``Host`` (a Host starts threads) or, where the
quirk is the C core's, ``durable_rules_engine`` itself. Anything that crashes the process runs in a child
interpreter.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from typing import Any

import durable_rules_engine as core
import pytest
import yaml
from durable import engine as durable_engine
from durable import lang as durable_lang

import engine.evaluation.durable as wrapper
from engine.evaluation.durable import (
    MAX_FACT_FIELDS,
    DuplicateRuleError,
    EngineError,
    FactError,
    FactTooLargeError,
    Pattern,
    Ref,
    Rule,
    RulesetError,
    all_of,
    compile_ruleset,
    eq,
    exists,
    gt,
    is_in,
    lt,
    missing,
    ne,
)

_names = iter(range(1, 1_000_000))


def raw_ruleset(rules: dict[str, dict[str, Any]], fired: list[tuple[str, dict[str, Any]]]) -> Any:
    """A durable.engine.Ruleset (no Host) whose every rule records ``(rule, {alias: fact})`` in ``fired``."""

    def recorder(name: str) -> Callable[[Any], None]:
        def action(c: Any) -> None:
            fired.append((name, {alias: dict(fact) for alias, fact in c._m.items()}))

        return action

    definition = {name: {**rule, "run": recorder(name)} for name, rule in json.loads(json.dumps(rules)).items()}
    return durable_engine.Ruleset(f"raw-{next(_names)}", None, definition)


def raw_assert(ruleset: Any, facts: list[dict[str, Any]], sid: str) -> None:
    """Assert ``facts`` in one batch into session ``sid`` and run the actions, as a Host would."""
    errors: list[BaseException] = []
    state = ruleset.assert_facts([{**fact, "sid": sid} for fact in facts])
    ruleset.do_actions(state, lambda error, _state: errors.append(error) if error else None)
    assert not errors


def run_child(source: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def fired_by(matches: list[wrapper.Match]) -> list[tuple[str, tuple[int, ...]]]:
    return [(m.rule, tuple(m.indexes.values())) for m in matches]


# -- when_all(a, b) joins different facts; a & b is one fact -----------------------------------------------


def test_when_all_joins_two_different_facts_and_one_pattern_tests_one_fact() -> None:
    fired: list[tuple[str, dict[str, Any]]] = []
    raw = raw_ruleset(
        {
            "two_patterns": {"all": [{"a": {"kind": "x"}}, {"b": {"$gt": {"n": 1}}}]},
            "one_pattern": {"all": [{"a": {"$and": [{"kind": "x"}, {"$gt": {"n": 1}}]}}]},
        },
        fired,
    )
    raw_assert(raw, [{"kind": "x", "n": 5}], "one-fact")
    assert [name for name, _ in fired] == ["one_pattern"]  # the join wants a second fact

    ruleset = compile_ruleset(
        "join",
        [
            Rule("two-patterns", match=(Pattern("a", eq("kind", "x")), Pattern("b", gt("n", 1)))),
            Rule("one-pattern", match=(Pattern("a", all_of(eq("kind", "x"), gt("n", 1))),)),
        ],
    )
    assert fired_by(ruleset.run([{"kind": "x", "n": 5}])) == [("one-pattern", (0,))]
    assert fired_by(ruleset.run([{"kind": "x", "n": 5}, {"kind": "y", "n": 2}])) == [
        ("two-patterns", (0, 1)),
        ("one-pattern", (0,)),
    ]


# -- MessageNotHandledException; events are consumed, facts are not ----------------------------------------


def test_a_fact_no_rule_matches_raises_in_durable_but_gives_no_match_through_the_wrapper() -> None:
    fired: list[tuple[str, dict[str, Any]]] = []
    raw = raw_ruleset({"r": {"all": [{"a": {"kind": "x"}}]}}, fired)
    with pytest.raises(durable_engine.MessageNotHandledException):
        raw_assert(raw, [{"kind": "nothing-takes-this"}], "alone")
    # One unmatched fact in a batch fails the whole batch, and the match the other fact earned is left queued.
    with pytest.raises(durable_engine.MessageNotHandledException):
        raw_assert(raw, [{"kind": "x"}, {"kind": "nothing-takes-this"}], "mixed")
    assert fired == []

    ruleset = compile_ruleset("unmatched", [Rule("r", match=(Pattern("a", eq("kind", "x")),))])
    assert ruleset.run([{"kind": "nothing-takes-this"}]) == []
    assert ruleset.run([{"kind": "x"}, {"kind": "nothing-takes-this"}, {}]) == [
        wrapper.Match("r", {"a": {"kind": "x"}}, {"a": 0})
    ]
    assert ruleset.run([]) == []


def test_events_are_consumed_by_the_first_rule_facts_by_every_rule() -> None:
    rules = {"first": {"all": [{"a": {"kind": "x"}}]}, "second": {"all": [{"a": {"kind": "x"}}]}}
    fired: list[tuple[str, dict[str, Any]]] = []
    raw = raw_ruleset(rules, fired)
    state = raw.assert_events([{"kind": "x", "sid": "events"}])
    raw.do_actions(state, lambda error, _state: None)
    assert len(fired) == 1
    fired.clear()
    raw_assert(raw, [{"kind": "x"}], "facts")
    assert sorted(name for name, _ in fired) == ["first", "second"]

    ruleset = compile_ruleset(
        "facts",
        [
            Rule("first", match=(Pattern("a", eq("kind", "x")),)),
            Rule("second", match=(Pattern("a", eq("kind", "x")),)),
        ],
    )
    assert fired_by(ruleset.run([{"kind": "x"}])) == [("first", (0,)), ("second", (0,))]


def test_identical_facts_are_one_fact_to_durable_but_two_to_the_wrapper() -> None:
    fired: list[tuple[str, dict[str, Any]]] = []
    raw = raw_ruleset({"r": {"all": [{"a": {"kind": "x"}}]}}, fired)
    with pytest.raises(durable_engine.MessageObservedException):
        raw_assert(raw, [{"kind": "x"}, {"kind": "x"}], "twins")

    ruleset = compile_ruleset("twins", [Rule("r", match=(Pattern("a", eq("kind", "x")),))])
    assert fired_by(ruleset.run([{"kind": "x"}, {"kind": "x"}])) == [("r", (0,)), ("r", (1,))]


# -- none(x) is decided early and not taken back -----------------------------------------------------------


def test_none_is_not_fooled_by_a_fact_later_in_the_batch() -> None:
    fired: list[tuple[str, dict[str, Any]]] = []
    raw = raw_ruleset(
        {
            "ungated": {"all": [{"a": {"kind": "y"}}, {"n$not": {"kind": "x"}}]},
            # The end marker gates only when it comes before the negation.
            "gate_after": {"all": [{"a": {"kind": "y"}}, {"n$not": {"kind": "x"}}, {"e": {"kind": "end"}}]},
            "gate_before": {"all": [{"a": {"kind": "y"}}, {"e": {"kind": "end"}}, {"n$not": {"kind": "x"}}]},
        },
        fired,
    )
    raw_assert(raw, [{"kind": "y"}, {"kind": "x"}, {"kind": "end"}], "x-arrives-late")
    assert sorted(name for name, _ in fired) == ["gate_after", "ungated"]  # both fooled
    fired.clear()
    raw_assert(raw, [{"kind": "x"}, {"kind": "y"}, {"kind": "end"}], "x-arrives-early")
    assert fired == []

    ruleset = compile_ruleset(
        "none", [Rule("y-without-x", match=(Pattern("a", eq("kind", "y")),), absent=(eq("kind", "x"),))]
    )
    assert ruleset.run([{"kind": "y"}, {"kind": "x"}]) == []
    assert ruleset.run([{"kind": "x"}, {"kind": "y"}]) == []
    assert fired_by(ruleset.run([{"kind": "y"}, {"kind": "z"}])) == [("y-without-x", (0,))]
    # The gate appears in the definition before the negation.
    patterns = ruleset.definition["none"]["y-without-x"]["all"]
    assert [next(iter(p)) for p in patterns] == ["a", "_end", "_absent0$not"]


def test_absent_conditions_hold_for_every_order_of_the_facts() -> None:
    ruleset = compile_ruleset(
        "absent-orders",
        [
            Rule(
                "report-without-late-plan",
                match=(Pattern("r", eq("kind", "report")),),
                absent=(all_of(eq("kind", "plan"), gt("day", Ref("r", "day"))), eq("kind", "withdrawn")),
            ),
            Rule("nothing-withdrawn", absent=(eq("kind", "withdrawn"),)),
        ],
    )
    report, early_plan, late_plan, withdrawn = (
        {"kind": "report", "day": 5},
        {"kind": "plan", "day": 3},
        {"kind": "plan", "day": 9},
        {"kind": "withdrawn"},
    )
    cases = [
        ([report, early_plan], {"report-without-late-plan", "nothing-withdrawn"}),
        ([report, late_plan], {"nothing-withdrawn"}),
        ([report, withdrawn], set()),
        ([], {"nothing-withdrawn"}),
    ]
    for facts, expected in cases:
        for ordering in (facts, facts[::-1]):
            assert {m.rule for m in ruleset.run(ordering)} == expected, ordering


# -- two-parameter actions; rule names ---------------------------------------------------------------------


def test_a_two_parameter_action_stalls_its_session_and_the_wrapper_takes_no_actions() -> None:
    calls: list[int] = []

    def two_parameters(c: Any, complete: Callable[[Any], None]) -> None:  # never calls complete
        calls.append(c.m.n)

    raw = durable_engine.Ruleset(
        f"raw-{next(_names)}", None, {"r": {"all": [{"m": {"kind": "x"}}], "run": two_parameters}}
    )
    for n in (1, 2):
        state = raw.assert_facts([{"kind": "x", "n": n, "sid": "stalled"}])
        raw.do_actions(state, lambda error, _state: None)
    assert calls == [1]  # the second fact's action waits for a callback that never comes

    with pytest.raises(TypeError):
        Rule("r", match=(Pattern("a", eq("kind", "x")),), run=two_parameters)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="no actions"):
        compile_ruleset("raw-dict", [{"all": [{"m": {"kind": "x"}}], "run": two_parameters}])  # type: ignore[list-item]


def test_a_second_rule_of_the_same_name_replaces_the_first_silently_and_the_wrapper_refuses_it() -> None:
    # Rules as data are a mapping keyed by name: YAML (and a dict) keep the last of two equal keys, silently.
    assert yaml.safe_load("late: {kind: x}\nlate: {kind: y}\n") == {"late": {"kind": "y"}}
    # durable.lang names rules by position (r_0, r_1), not by function name, in 2.0.28.
    name = f"lang-{next(_names)}"
    with durable_lang.ruleset(name):

        @durable_lang.when_all(durable_lang.m.kind == "x")
        def same(c: Any) -> None: ...

        @durable_lang.when_all(durable_lang.m.kind == "y")
        def same(c: Any) -> None: ...  # noqa: F811

    try:
        _, definition = durable_lang._rulesets[name].define()
    finally:
        durable_lang._rulesets.pop(name)
    assert list(definition) == ["r_0", "r_1"]

    with pytest.raises(DuplicateRuleError, match="'late'"):
        compile_ruleset(
            "dupes",
            [
                Rule("late", match=(Pattern("a", eq("kind", "x")),)),
                Rule("late", match=(Pattern("a", eq("kind", "y")),)),
            ],
        )
    for bad in ("", "_end", "has space", "$s"):
        with pytest.raises(RulesetError):
            compile_ruleset("bad-name", [Rule(bad, match=(Pattern("a", eq("kind", "x")),))])


# -- sessions, fact size, threads, ruleset names -----------------------------------------------------------


def test_session_state_ceiling_is_1024_and_5000_wrapper_runs_do_not_reach_it() -> None:
    handle = core.create_ruleset(f"raw-{next(_names)}", json.dumps({"r": {"all": [{"a": {"kind": "x"}}]}}))
    try:
        for i in range(1024):
            core.assert_facts(handle, json.dumps([{"kind": "x", "sid": f"s{i}"}]))
        with pytest.raises(MemoryError):
            core.assert_facts(handle, json.dumps([{"kind": "x", "sid": "one-too-many"}]))
    finally:
        core.delete_ruleset(handle)

    # Joins left half-matched and facts nothing takes are the sessions durable is most fragile about deleting.
    ruleset = compile_ruleset(
        "ceiling",
        [
            Rule("pair", match=(Pattern("a", eq("kind", "x")), Pattern("b", eq("kind", "y")))),
            Rule("no-z", match=(Pattern("a", eq("kind", "x")),), absent=(eq("kind", "z"),)),
        ],
    )
    cases = [[{"kind": "x"}], [{"kind": "x"}, {"kind": "z"}], [{"kind": "q"}], []]
    for i in range(5000):
        ruleset.run(cases[i % len(cases)])
    assert fired_by(ruleset.run([{"kind": "x"}, {"kind": "y"}])) == [("pair", (0, 1)), ("no-z", (0,))]
    assert ruleset.leaked_sessions == 0


def test_deleting_a_session_before_any_action_completed_crashes_durable() -> None:
    # durable's createStateNode leaves the action context unset; deleteStateNode frees it. The wrapper's end
    # rule completes an action in every run before the session is deleted (the 5,000 runs above).
    child = run_child(
        """
        from durable import engine
        rules = {"pair": {"all": [{"a": {"kind": "x"}}, {"b": {"kind": "y"}}]}, }
        rules["pair"]["run"] = lambda c: None
        ruleset = engine.Ruleset("half-matched", None, rules)
        for i in range(50):
            state = ruleset.assert_facts([{"kind": "x", "sid": f"s{i}"}])
            ruleset.do_actions(state, lambda error, result: None)
            ruleset.delete_state(f"s{i}")
        print("survived")
        """
    )
    assert child.returncode != 0 and "survived" not in child.stdout


def test_a_failed_run_still_deletes_its_session(monkeypatch: pytest.MonkeyPatch) -> None:
    ruleset = compile_ruleset("failing", [Rule("r", match=(Pattern("a", eq("kind", "x")),))])
    real_bound = wrapper.Ruleset._bound

    def failing_bound(self: Any, message: str) -> Any:
        raise RuntimeError("failed while reading the first match")

    monkeypatch.setattr(wrapper.Ruleset, "_bound", failing_bound)
    for _ in range(1100):  # more than the session ceiling: every failed session was deleted
        with pytest.raises(RuntimeError):
            ruleset.run([{"kind": "x"}])
    monkeypatch.setattr(wrapper.Ruleset, "_bound", real_bound)

    class FailingCore:
        """The C core, except that reading a run's first action fails before any action has started."""

        def __getattr__(self, name: str) -> Any:
            return getattr(core, name)

        def start_action_for_state(self, handle: int, state: int) -> Any:
            self.start_action_for_state = core.start_action_for_state  # only the run's own call fails
            raise core.error("failed before any action started")

    # A fresh ruleset's first session has never completed an action: the unsafe case to delete.
    for fresh in [compile_ruleset(f"fresh-{i}", ruleset.rules) for i in range(20)] + [ruleset] * 1100:
        monkeypatch.setattr(wrapper, "_core", FailingCore())
        with pytest.raises(EngineError, match="before any action"):
            fresh.run([{"kind": "x"}, {"kind": "y"}])
        assert fresh.leaked_sessions == 0
    monkeypatch.setattr(wrapper, "_core", core)
    assert fired_by(ruleset.run([{"kind": "x"}])) == [("r", (0,))]


def test_an_oversize_fact_fails_with_error_302_and_the_wrapper_says_why() -> None:
    # 254 properties, counting sid and id (durable adds id when a fact has none), is the most a fact may hold.
    handle = core.create_ruleset(f"raw-{next(_names)}", json.dumps({"r": {"all": [{"a": {"kind": "x"}}]}}))
    try:
        core.assert_fact(handle, json.dumps({"kind": "x", "sid": "fits", **{f"f{i}": i for i in range(251)}}))
        with pytest.raises(core.error, match="302"):
            core.assert_fact(handle, json.dumps({"kind": "x", "sid": "too-big", **{f"f{i}": i for i in range(252)}}))
        with pytest.raises(core.error, match="302"):  # keys of nested objects count, and so does their key
            core.assert_fact(handle, json.dumps({"kind": "x", "sid": "nested", "o": {f"f{i}": i for i in range(251)}}))
    finally:
        core.delete_ruleset(handle)
    # In a batch the same fact is accepted without an error, and reading its match crashes the process.
    child = run_child(
        """
        import json, durable_rules_engine as core
        handle = core.create_ruleset("big", json.dumps({"r": {"all": [{"a": {"kind": "x"}}]}}))
        fact = {"kind": "x", "sid": "s", **{f"f{i}": i for i in range(252)}}
        code, state = core.assert_facts(handle, json.dumps([fact]))
        print("asserted", code, flush=True)
        core.start_action_for_state(handle, state)
        print("survived")
        """
    )
    assert child.stdout.startswith("asserted 0") and "survived" not in child.stdout and child.returncode != 0

    assert MAX_FACT_FIELDS == 251
    ruleset = compile_ruleset("size", [Rule("r", match=(Pattern("a", eq("kind", "x")),))])
    largest = {"kind": "x", **{f"f{i}": i for i in range(MAX_FACT_FIELDS - 1)}}
    assert fired_by(ruleset.run([largest])) == [("r", (0,))]
    with pytest.raises(FactTooLargeError, match=r"fact 1 has 252 fields.*at most 251.*error 302"):
        ruleset.run([largest, {**largest, "one_more": 1}])
    with pytest.raises(FactTooLargeError, match="fact 0 has 252 fields"):
        ruleset.run([{"kind": "x", "o": {f"f{i}": i for i in range(250)}}])
    for reserved in ("sid", "id", "_cpc", "$s"):
        with pytest.raises(FactError, match=re.escape(repr(reserved))):
            ruleset.run([{"kind": "x", reserved: 1}])
    assert ruleset.leaked_sessions == 0


def stop_host_timers(host: Any) -> None:
    """Stop a Host's self-rescheduling timers: cancel them until a cancelled pair was not replaced."""
    while True:
        timers = (host._d_timer, host._t_timer)
        for timer in timers:
            timer.cancel()
            timer.join()  # a timer that already fired has rescheduled itself by the time it ends
        if (host._d_timer, host._t_timer) == timers:
            return


def test_a_host_starts_timer_threads_and_ruleset_names_are_global_to_it_the_wrapper_needs_neither() -> None:
    before = set(threading.enumerate())
    host = durable_engine.Host()
    try:
        assert host._d_timer.is_alive() and host._t_timer.is_alive()
        assert len(set(threading.enumerate()) - before) == 2
        host.register_rulesets({"same-name": {"r": {"all": [{"m": {"kind": "x"}}], "run": lambda c: None}}})
        with pytest.raises(Exception, match="already registered"):
            host.register_rulesets({"same-name": {"r": {"all": [{"m": {"kind": "y"}}], "run": lambda c: None}}})
    finally:
        stop_host_timers(host)

    before = set(threading.enumerate())
    first = compile_ruleset("area", [Rule("rule", match=(Pattern("a", eq("kind", "x")),))])
    second = compile_ruleset("area", [Rule("rule", match=(Pattern("a", eq("kind", "y")),))])
    assert first.engine_name != second.engine_name
    facts = [{"kind": "x"}, {"kind": "y"}]
    assert fired_by(first.run(facts)) == [("rule", (0,))]
    assert fired_by(second.run(facts)) == [("rule", (1,))]
    assert set(threading.enumerate()) <= before  # the wrapper started no thread


def test_runs_from_8_threads_give_the_same_results_as_sequential_runs() -> None:
    ruleset = compile_ruleset(
        "threads",
        [
            Rule("big", match=(Pattern("a", gt("n", 5)),)),
            Rule(
                "pair",
                match=(
                    Pattern("a", eq("kind", "x")),
                    Pattern("b", all_of(eq("kind", "y"), eq("ref", Ref("a", "ref")))),
                ),
            ),
            Rule("x-without-z", match=(Pattern("a", eq("kind", "x")),), absent=(eq("kind", "z"),)),
        ],
    )
    cases = [
        [{"kind": "xyz"[(i * 7 + j) % 3], "n": (i + j) % 9, "ref": (i * j) % 3} for j in range(1 + i % 12)]
        for i in range(60)
    ]
    expected = [fired_by(ruleset.run(case)) for case in cases]
    results: dict[int, list[list[tuple[str, tuple[int, ...]]]]] = {}
    start = threading.Barrier(8)

    def worker(t: int) -> None:
        start.wait()
        results[t] = [fired_by(ruleset.run(case)) for _ in range(10) for case in cases]

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(results[t] == expected * 10 for t in range(8))
    assert ruleset.leaked_sessions == 0


# -- conditions --------------------------------------------------------------------------------------------


def test_missing_alone_matches_durables_session_state_and_loops_but_not_through_the_wrapper() -> None:
    handle = core.create_ruleset(
        f"raw-{next(_names)}", json.dumps({"no_kind": {"all": [{"a": {"$nex": {"kind": 1}}}]}})
    )
    try:
        _, state = core.assert_facts(handle, json.dumps([{"other": 1, "sid": "loop"}]))
        session, message = core.start_action_for_state(handle, state)
        for _ in range(5):
            # The session's own state message has no "kind" either; durable's Python layer updates the state
            # after every action, which makes it match again, forever.
            assert "$s" in json.loads(message)["no_kind"]["a"]
            core.update_state(handle, session)
            message = core.complete_and_start_action(handle, state)
    finally:
        core.delete_ruleset(handle)

    ruleset = compile_ruleset("missing", [Rule("no-kind", match=(Pattern("a", missing("kind")),))])
    assert fired_by(ruleset.run([{"other": 1}, {"kind": "x"}, {"other": 2}])) == [
        ("no-kind", (0,)),
        ("no-kind", (2,)),
    ]


def test_mixed_type_comparisons_are_loose_so_ordering_takes_numbers_or_strings_only() -> None:
    fired: list[tuple[str, dict[str, Any]]] = []
    raw = raw_ruleset(
        {
            "below_5": {"all": [{"a": {"$lt": {"v": 5}}}]},
            "below_10": {"all": [{"a": {"$lt": {"v": 10}}}]},
            "equals_1": {"all": [{"a": {"v": 1}}]},
            # $ne is accepted, but it is not an operator ($neq is): it never fires.
            "ne_spelt_ne": {"all": [{"a": {"$ne": {"v": "2"}}}]},
            "_catch": {"all": [{"a": {"$ex": {"v": 1}}}, {"b": {"never": 1}}]},
        },
        fired,
    )
    seen = {}
    for i, value in enumerate(("2025-01-01", "1", True, 3)):
        fired.clear()
        raw_assert(raw, [{"v": value}], f"s{i}")
        seen[value] = sorted(name for name, _ in fired)
    assert seen == {
        "2025-01-01": ["below_5"],  # below 5 but not below 10
        "1": ["below_5", "equals_1"],
        True: ["below_10", "below_5", "equals_1"],
        3: ["below_10", "below_5"],
    }

    for bad in (True, None):
        with pytest.raises(RulesetError, match="number or a string"):
            compile_ruleset("typed", [Rule("r", match=(Pattern("a", lt("v", bad)),))])  # type: ignore[arg-type]
    ruleset = compile_ruleset(
        "typed",
        [
            Rule("before-march", match=(Pattern("a", lt("date", "2025-03-01")),)),
            Rule("not-two", match=(Pattern("a", ne("v", 2)),)),
            Rule("one-of", match=(Pattern("a", is_in("v", (1, 3))),)),
        ],
    )
    facts = [{"date": "2025-02-28", "v": 2}, {"date": "2025-03-01", "v": 3}, {"date": "2024-12-31"}]
    assert fired_by(ruleset.run(facts)) == [
        ("before-march", (0,)),
        ("before-march", (2,)),
        ("not-two", (1,)),  # ne holds only for a field that is present
        ("one-of", (1,)),
    ]


def test_dotted_fields_read_flat_keys_and_nested_objects_alike() -> None:
    ruleset = compile_ruleset(
        "dotted", [Rule("present", match=(Pattern("c", eq("conference.social_care_present", True)),))]
    )
    facts = [
        {"conference.social_care_present": True},
        {"conference": {"social_care_present": True}},
        {"conference": {}},
    ]
    assert fired_by(ruleset.run(facts)) == [("present", (0,)), ("present", (1,))]


def test_the_definition_is_the_json_durable_was_given() -> None:
    ruleset = compile_ruleset("shown", [Rule("r", match=(Pattern("a", all_of(eq("kind", "x"), exists("n"))),))])
    definition = ruleset.definition
    assert list(definition) == ["shown"]
    assert json.loads(json.dumps(definition)) == definition
    rules = definition["shown"]
    assert rules["r"] == {"all": [{"a": {"$and": [{"_cpc": 1}, {"kind": "x"}, {"$ex": {"n": 1}}]}}]}
    assert sorted(rules) == ["_end", "_unmatched", "r"]
    rules.clear()  # a copy: the ruleset is unchanged
    assert "r" in ruleset.definition["shown"]
    ruleset.close()
    with pytest.raises(wrapper.EngineError, match="closed"):
        ruleset.run([])


def test_compiling_rejects_what_durable_would_misread() -> None:
    def rule(*patterns: Pattern, absent: tuple[wrapper.Condition, ...] = ()) -> list[Rule]:
        return [Rule("r", match=patterns, absent=absent)]

    bad = {
        # b is bound after the pattern that refers to it
        "Ref to 'b'": rule(Pattern("a", eq("n", Ref("b", "n"))), Pattern("b", exists("n"))),
        "AllOf of no conditions": rule(Pattern("a", all_of())),
        "unknown operator": rule(Pattern("a", wrapper.FieldTest("n", "like", 1))),  # type: ignore[arg-type]
        "field 'sid'": rule(Pattern("a", eq("sid", 1))),
        "field 'a b'": rule(Pattern("a", eq("a b", 1))),
        "alias '_x'": rule(Pattern("_x", eq("n", 1))),
        "alias 'a' is used twice": rule(Pattern("a", eq("n", 1)), Pattern("a", eq("n", 2))),
        "non-empty tuple": rule(Pattern("a", is_in("n", ()))),
        "needs at least one pattern": rule(),
        "not a string, number": rule(Pattern("a", eq("n", [1]))),  # type: ignore[arg-type]
    }
    for message, rules in bad.items():
        with pytest.raises(RulesetError, match=re.escape(message)):
            compile_ruleset("bad", rules)
    with pytest.raises(RulesetError, match="no rules"):
        compile_ruleset("empty", [])
    with pytest.raises(RulesetError, match="ruleset name"):
        compile_ruleset("has space", rule(Pattern("a", eq("n", 1))))
    # ne is durable's $neq: its $ne is accepted and tests nothing.
    shown = compile_ruleset("ne", rule(Pattern("a", ne("n", "x")))).definition["ne"]["r"]
    assert shown == {"all": [{"a": {"$and": [{"_cpc": 1}, {"$neq": {"n": "x"}}]}}]}


def test_a_number_with_an_exponent_is_refused_by_durable_and_written_out_by_the_wrapper() -> None:
    # json.dumps writes 1e+20 and 1e-05 with exponents; durable-rules' parser refuses them (error 204).
    with pytest.raises(core.error, match="error code: 204"):
        core.create_ruleset(f"exp{next(_names)}", json.dumps({"r": {"all": [{"m": {"$lt": {"n": 1e20}}}]}}))
    ruleset = compile_ruleset(
        "exp", [Rule("big", match=(Pattern("a", lt("n", 1e20)),)), Rule("tiny", match=(Pattern("b", gt("x", 1e-05)),))]
    )
    matches = ruleset.run([{"n": 15}, {"x": 0.001}, {"x": 0.000001}])
    assert sorted((m.rule, m.facts[next(iter(m.facts))]) for m in matches) == [
        ("big", {"n": 15}),
        ("tiny", {"x": 0.001}),
    ]


def test_a_ruleset_durable_refuses_is_a_ruleset_error_naming_the_reason() -> None:
    # One test (here `kind == "case"`) joined to other facts by more than about 250 rules: error 108.
    raw = {f"r{i}": {"all": [{"a": {"kind": "case"}}, {"b": {"n": i}}]} for i in range(400)}
    with pytest.raises(core.error, match="error code: 108"):
        core.create_ruleset(f"wide{next(_names)}", json.dumps(raw))
    rules = [Rule(f"r{i}", match=(Pattern("a", eq("kind", "case")), Pattern("b", eq("n", i)))) for i in range(400)]
    with pytest.raises(
        RulesetError, match=r"refused ruleset 'wide' \(400 engine rules\): too many rules test the same"
    ):
        compile_ruleset("wide", rules)


def test_a_fact_reaching_more_than_64_joins_fails_when_asserted_and_the_wrapper_refuses_the_ruleset() -> None:
    def joins(count: int) -> dict:
        return {
            f"r{i}": {"all": [{"a": {"e": f"x{i}"}}, {"c": {"$and": [{"t": "conference"}, {"ref": {"a": "owner"}}]}}]}
            for i in range(count)
        }

    for count, fails in ((64, False), (65, True)):
        handle = core.create_ruleset(f"joins{next(_names)}", json.dumps(joins(count)))
        try:
            if fails:
                with pytest.raises(core.error, match="error code: 303"):
                    core.assert_facts(handle, json.dumps([{"sid": "1", "id": 1, "t": "conference", "ref": "x"}]))
            else:
                core.assert_facts(handle, json.dumps([{"sid": "1", "id": 1, "t": "conference", "ref": "x"}]))
        finally:
            core.delete_ruleset(handle)

    def rules(count: int) -> list[Rule]:
        return [
            Rule(
                f"r{i}",
                match=(
                    Pattern("a", eq("e", f"x{i}")),
                    Pattern("c", all_of(eq("t", "conference"), eq("ref", Ref("a", "owner")))),
                ),
            )
            for i in range(count)
        ]

    assert compile_ruleset("joins", rules(64)).run([{"t": "conference", "ref": "x"}]) == []
    with pytest.raises(RulesetError, match=r"too many rules join facts with t = 'conference' to other facts \(65"):
        compile_ruleset("joins", rules(65))


def test_matches_are_read_off_the_action_text_and_a_fact_it_cannot_scan_is_decoded_instead() -> None:
    rule = Rule("r", match=(Pattern("a", eq("kind", "x")), Pattern("b", eq("kind", "y"))))
    ruleset = compile_ruleset("scan", [rule])
    # Quotes, braces and a fake id inside strings, and a nested object: each still binds its own fact.
    facts = [
        {"kind": "y", "note": 'a"b'},
        {"kind": "x", "note": '{"id": 7}'},
        {"kind": "y", "note": "}", "inner": {"id": 5}},
        {"kind": "x", "note": '\\", "id": 9, "'},
    ]
    assert sorted(fired_by(ruleset.run(facts))) == [("r", (1, 0)), ("r", (1, 2)), ("r", (3, 0)), ("r", (3, 2))]
