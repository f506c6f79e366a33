"""engine.policy.exclusive: two condition lists are exclusive only when provably so.

The examples name each kind of proof the module makes and the near misses it must not make; the property
test holds every "cannot both hold" to a brute-force search over small cases, under the loosest reading of
the engine's comparisons (``true`` equals ``1``, ``"1"`` equals ``1``; a boolean is a number to ``at_least``).
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.policy.exclusive import MAX_COMBINATIONS, can_both_hold, can_hold

F = "mother.medically_fit"
AGE = "conference.child_age_years"
TYPE = "conference.type"


def fact(name: str, **test: object) -> dict:
    return {"fact": name, **test}


EXCLUSIVE = {
    "equals_x_vs_equals_y": ([fact(F, equals=True)], [fact(F, equals=False)]),
    "equals_vs_not_equals_same_value": ([fact(TYPE, equals="initial")], [fact(TYPE, not_equals="initial")]),
    "disjoint_in_sets": ([fact(TYPE, **{"in": ["initial", "review"]})], [fact(TYPE, **{"in": ["pre_birth"]})]),
    "equals_outside_in": ([fact(TYPE, equals="review")], [fact(TYPE, **{"in": ["initial", "pre_birth"]})]),
    "ranges_that_do_not_overlap": ([fact(AGE, at_least=12)], [fact(AGE, below=12)]),
    "ranges_apart": ([fact(AGE, at_least=16)], [fact(AGE, below=10)]),
    "equals_outside_range": ([fact(AGE, equals=9)], [fact(AGE, at_least=12)]),
    "in_all_outside_range": ([fact(AGE, **{"in": [3, 4, 18]})], [fact(AGE, at_least=5), fact(AGE, below=18)]),
    "present_true_vs_false": ([fact(F, present=True)], [fact(F, present=False)]),
    "equals_vs_absent": ([fact(F, equals=True)], [fact(F, present=False)]),
    "not_equals_vs_absent": ([fact(F, not_equals=True)], [fact(F, present=False)]),
    "in_vs_absent": ([fact(TYPE, **{"in": ["review"]})], [fact(TYPE, present=False)]),
    "at_least_vs_absent": ([fact(AGE, at_least=1)], [fact(AGE, present=False)]),
    "below_vs_absent": ([fact(AGE, below=1)], [fact(AGE, present=False)]),
    "event_vs_not_happened": ([{"event": "birth"}], [{"event": "birth", "happened": False}]),
    "timed_event_vs_not_happened": (
        [{"event": "significant_change", "within": "3 months", "of": "plan_end"}],
        [{"event": "significant_change", "happened": False}],
    ),
    "timed_event_needs_its_start": (
        [{"event": "significant_change", "within": "3 months", "of": "plan_end"}],
        [{"event": "plan_end", "happened": False}],
    ),
    "elapsed_needs_its_start": (
        [{"elapsed": "3 months", "since": "plan_end"}],
        [{"event": "plan_end", "happened": False}],
    ),
    "one_differing_fact_among_others": (
        [fact(AGE, at_least=12), fact(F, equals=True)],
        [fact(TYPE, equals="initial"), fact(F, equals=False)],
    ),
    "every_any_of_member_excluded": (
        [{"any_of": [fact(F, equals=True), fact(F, present=False)]}],
        [fact(F, equals=False)],
    ),
    "any_of_against_any_of": (
        [{"any_of": [fact(AGE, below=5), fact(AGE, equals=7)]}],
        [{"any_of": [fact(AGE, at_least=10), fact(AGE, equals=8)]}],
    ),
    "any_of_of_events": (
        [{"any_of": [{"event": "birth"}, {"event": "plan_end"}]}],
        [{"event": "birth", "happened": False}, {"event": "plan_end", "happened": False}],
    ),
    "combined_tests_on_one_fact": ([fact(AGE, at_least=10), fact(AGE, below=12)], [fact(AGE, equals=15)]),
    "a_list_that_never_holds": ([fact(F, equals=True), fact(F, equals=False)], []),
}

NOT_EXCLUSIVE = {
    "different_facts": ([fact(F, equals=True)], [fact("child.premature_birth_likely", equals=True)]),
    "same_test": ([fact(F, equals=True)], [fact(F, equals=True)]),
    "not_equals_different_values": ([fact(TYPE, not_equals="initial")], [fact(TYPE, not_equals="review")]),
    "overlapping_in_sets": ([fact(TYPE, **{"in": ["initial", "review"]})], [fact(TYPE, **{"in": ["review"]})]),
    "overlapping_ranges": ([fact(AGE, at_least=12)], [fact(AGE, below=13)]),
    "equals_inside_range": ([fact(AGE, equals=12)], [fact(AGE, at_least=12)]),
    "present_and_value": ([fact(F, present=True)], [fact(F, equals=False)]),
    "absent_twice": ([fact(F, present=False)], [fact(F, present=False)]),
    "loosely_equal_values": ([fact(F, equals=True)], [fact(F, equals=1)]),
    "string_and_number": ([fact(AGE, equals="1")], [fact(AGE, equals=1)]),
    "string_against_a_range": ([fact(AGE, equals="twelve")], [fact(AGE, below=10)]),
    "not_equals_of_another_type": ([fact(F, equals=True)], [fact(F, not_equals=1)]),
    "event_twice": ([{"event": "birth"}], [{"event": "birth"}]),
    "not_happened_since": ([{"event": "birth"}], [{"event": "birth", "happened": False, "since": "plan_start"}]),
    "event_and_a_fact": ([{"event": "birth"}], [fact(F, present=False)]),
    "any_of_with_one_member_left": (
        [{"any_of": [fact(F, equals=True), fact(F, present=False)]}],
        [fact(F, present=False)],
    ),
    "unknown_condition_forms": ([{"future": "key"}, "not a mapping"], [{"fact": F, "approximately": 3}]),
    "malformed_any_of": ([{"any_of": "not a list"}], [fact(F, equals=True)]),
    "empty_lists": ([], []),
}


@pytest.mark.parametrize(("a", "b"), list(EXCLUSIVE.values()), ids=list(EXCLUSIVE))
def test_exclusive(a: list[dict], b: list[dict]) -> None:
    assert not can_both_hold(a, b)
    assert not can_both_hold(b, a)


@pytest.mark.parametrize(("a", "b"), list(NOT_EXCLUSIVE.values()), ids=list(NOT_EXCLUSIVE))
def test_not_provably_exclusive(a: list[dict], b: list[dict]) -> None:
    assert can_both_hold(a, b)
    assert can_both_hold(b, a)


def test_too_many_any_of_choices_are_left_out_of_the_proof() -> None:
    # Thirteen any_of of two members each: 8,192 ways to pick, more than are tried. Left out, the plain
    # conditions alone still prove exclusivity; without them the answer is the conservative one.
    wide = [{"any_of": [fact(f"f{i}", equals=1), fact(f"f{i}", equals=2)]} for i in range(13)]
    assert MAX_COMBINATIONS < 2**13
    assert not can_both_hold([*wide, fact(F, equals=True)], [fact(F, equals=False)])
    assert can_both_hold(wide, [fact("f0", equals=3)])
    assert not can_both_hold(wide[:3], [fact("f0", equals=3)])


# The brute-force model: every fact takes one of a few values (or none), every event happened or not, and
# each test is read as loosely as the engine might read it, so that the model finds a case wherever one
# could exist.
FACTS = ("x", "y")
EVENTS = ("e", "g")
VALUES = (True, False, 0, 1, 2, 12, "1", "a", "b")
ABSENT = object()


def _loose_equal(x: object, y: object) -> bool:
    if x == y:
        return True
    for s, n in ((x, y), (y, x)):
        if isinstance(s, str) and isinstance(n, int | float):
            try:
                return float(s) == float(n)
            except ValueError:
                return False
    return False


def _holds(condition: dict, facts: dict, happened: set[str]) -> bool:
    if "any_of" in condition:
        return any(_holds(m, facts, happened) for m in condition["any_of"])
    if "fact" in condition:
        value = facts[condition["fact"]]
        if "present" in condition:
            return (value is not ABSENT) is condition["present"]
        if value is ABSENT:
            return False
        if "equals" in condition:
            return _loose_equal(value, condition["equals"])
        if "not_equals" in condition:
            return not _loose_equal(value, condition["not_equals"])
        if "in" in condition:
            return any(_loose_equal(value, v) for v in condition["in"])
        if isinstance(value, str):
            return False  # a number fact holds a number (the case schema says so), never a string
        if "at_least" in condition:
            return value >= condition["at_least"]
        return value < condition["below"]
    if "elapsed" in condition:
        return condition["since"] in happened
    if condition.get("happened") is False:
        return "since" in condition or condition["event"] not in happened
    needed = {condition["event"], *([condition["of"]] if "of" in condition else [])}
    return needed <= happened


_value = st.sampled_from(VALUES)
_number = st.sampled_from((0, 1, 2, 5, 12, 13))
_fact_condition = st.one_of(
    st.builds(lambda f, v: {"fact": f, "equals": v}, st.sampled_from(FACTS), _value),
    st.builds(lambda f, v: {"fact": f, "not_equals": v}, st.sampled_from(FACTS), _value),
    st.builds(lambda f, vs: {"fact": f, "in": vs}, st.sampled_from(FACTS), st.lists(_value, min_size=1, max_size=3)),
    st.builds(lambda f, n: {"fact": f, "at_least": n}, st.sampled_from(FACTS), _number),
    st.builds(lambda f, n: {"fact": f, "below": n}, st.sampled_from(FACTS), _number),
    st.builds(lambda f, p: {"fact": f, "present": p}, st.sampled_from(FACTS), st.booleans()),
)
_event = st.sampled_from(EVENTS)
_event_condition = st.one_of(
    st.builds(lambda e: {"event": e}, _event),
    st.builds(lambda e: {"event": e, "happened": False}, _event),
    st.builds(lambda e, s: {"event": e, "happened": False, "since": s}, _event, _event),
    st.builds(lambda e, s: {"event": e, "within": "1 day", "of": s}, _event, _event),
    st.builds(lambda s: {"elapsed": "1 day", "since": s}, _event),
)
_plain = st.one_of(_fact_condition, _event_condition)
_condition = st.one_of(_plain, st.builds(lambda ms: {"any_of": ms}, st.lists(_plain, min_size=2, max_size=3)))
_conditions = st.lists(_condition, max_size=4)


def _satisfiable(conditions: list[dict]) -> bool:
    for values in itertools.product((*VALUES, ABSENT), repeat=len(FACTS)):
        facts = dict(zip(FACTS, values, strict=True))
        for flags in itertools.product((False, True), repeat=len(EVENTS)):
            happened = {e for e, flag in zip(EVENTS, flags, strict=True) if flag}
            if all(_holds(c, facts, happened) for c in conditions):
                return True
    return False


@settings(max_examples=300, deadline=None)
@given(_conditions, _conditions)
def test_exclusive_only_when_no_case_meets_both(a: list[dict], b: list[dict]) -> None:
    if not can_both_hold(a, b):
        assert not _satisfiable([*a, *b])


@settings(max_examples=200, deadline=None)
@given(st.lists(_fact_condition, min_size=1, max_size=3))
def test_a_single_list_is_consistent_when_a_case_meets_it(conditions: list[dict]) -> None:
    if _satisfiable(conditions):
        assert can_hold(conditions)
