"""`cpc lint --explain NAME` documents each construct of the policy language with a refused and an accepted
example; each example is linted here, so the documentation cannot drift from what cpc lint does."""

from __future__ import annotations

import pytest

from engine.policy.lint.constructs import CONSTRUCTS
from engine.policy.lint.runner import lint

from .conftest import ENGLAND_HEAD


def _codes(policy_tree, rules: str) -> list[str]:
    root = policy_tree({"england/policy.yaml": ENGLAND_HEAD + "".join(f"  {line}\n" for line in rules.splitlines())})
    return [f.code for f in lint([root]).findings]


@pytest.mark.parametrize("name", list(CONSTRUCTS))
def test_the_refused_example_is_refused_with_its_code_and_the_accepted_one_lints_clean(policy_tree, name) -> None:
    construct = CONSTRUCTS[name]
    assert construct.code in _codes(policy_tree, construct.refused)
    assert _codes(policy_tree, construct.accepted) == []


@pytest.mark.parametrize("name", ["exception_of", "not_before", "any_of"])
def test_explain_prints_a_construct_with_both_examples(run_cpc, name) -> None:
    result = run_cpc("lint", "--explain", name)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith(f"{name} (construct)\n")
    assert "What it means:" in text and "Example (cpc lint reports CPC" in text and "Use instead:" in text


def test_list_rules_names_the_constructs_and_an_unknown_name_is_a_usage_error(run_cpc) -> None:
    listed = run_cpc("lint", "--list-rules").stdout
    assert "Constructs of the policy language" in listed
    assert all(f"  {name} " in listed for name in CONSTRUCTS)
    unknown = run_cpc("lint", "--explain", "exception-off")
    assert unknown.returncode == 2
    assert "no lint code or construct 'exception-off' (did you mean 'exception_of'?)" in unknown.stderr


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            CONSTRUCTS["whichever_later"].refused,
            "Give `whichever_sooner` or `whichever_later`, not both.",
        ),
        (
            CONSTRUCTS["any_of"].accepted.replace(
                "        - {fact: plan.open, equals: false}\n",
                "        - any_of: [{fact: plan.open, equals: false}, {fact: plan.open, equals: true}]\n",
            ),
            "An `any_of` member cannot itself be an `any_of`: list all the members in one.",
        ),
        (
            CONSTRUCTS["exception_of"].accepted.replace(
                "  when:\n    - {fact: mother.medically_fit, equals: false}\n", "  when: []\n"
            ),
            "needs at least 1 item",
        ),
        (
            CONSTRUCTS["disapplies"].accepted.replace("disapplies: true", "disapplies: false"),
            "false is not allowed here; expected true",
        ),
    ],
)
def test_mistakes_in_the_constructs_are_said_in_words_not_schema_internals(policy_tree, rules, message) -> None:
    root = policy_tree({"england/policy.yaml": ENGLAND_HEAD + "".join(f"  {line}\n" for line in rules.splitlines())})
    assert message in [f.message for f in lint([root]).findings]
