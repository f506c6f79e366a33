"""Evaluating cases, as `cpc eval` users and embedding developers meet it."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

import engine
from engine.core.resources import schema

from .conftest import ROOT

EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))

TRANSFER = {
    "id": "moved-in",
    "child": {"date_of_birth": "2016-05-01"},
    "transfer_in": {"notified": "2025-06-02", "accepted": "2025-06-02"},
    "conferences": [{"id": "tic-1", "type": "transfer_in", "date": "2025-06-20", "outcome": {"plan": True}}],
    "plan": {"start": "2025-06-20"},
}


def _statuses(evaluation: engine.Evaluation, rule: str) -> list[str]:
    return [r.status for r in evaluation.by_rule(rule)]


def test_berkshire_and_hampshire_differ_where_their_texts_do() -> None:
    """A transfer-in conference 18 days (14 working days) after notification: Berkshire's 15 working days
    are met, the 15 calendar days Hampshire inherits from the national baseline are missed."""
    as_of = dt.date(2025, 7, 1)
    berkshire = engine.load_policy("berkshire").evaluate(TRANSFER, as_of=as_of)
    hampshire = engine.load_policy("hampshire").evaluate(TRANSFER, as_of=as_of)
    assert _statuses(berkshire, "transfer-in-timescale") == ["met"]
    [late] = hampshire.by_rule("transfer-in-timescale")
    assert (late.status, late.due, str(late.late)) == ("missed", dt.date(2025, 6, 17), "3 days")
    # Berkshire's acceptance clock is the same rule's `whichever_later`; the national baseline has none.
    assert [r.due for r in berkshire.by_rule("transfer-in-timescale")] == [dt.date(2025, 6, 23)]
    assert late.defined_in == "england" and late.area == "hampshire"


def test_every_result_carries_area_version_rule_and_quote() -> None:
    evaluation = engine.load_policy("berkshire").evaluate(EXAMPLES[0], as_of=dt.date(2026, 1, 5))
    assert evaluation.results
    for result in evaluation.results:
        assert result.area == "berkshire" and result.policy_version == "v97"
        assert result.citations and all(c.quote and c.file for c in result.citations)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_json_output_of_every_example_matches_the_result_schema(path: Path) -> None:
    evaluation = engine.load_policy("berkshire").evaluate(path, as_of=dt.date(2026, 3, 1), explain=True)
    errors = list(
        Draft202012Validator(schema("result"), format_checker=FormatChecker()).iter_errors(evaluation.to_dict())
    )
    assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def test_results_are_immutable_and_the_api_leaves_no_global_state() -> None:
    first = engine.load_policy("berkshire")
    second = engine.load_policy("berkshire")
    one = first.evaluate(TRANSFER, as_of=dt.date(2025, 7, 1))
    result = one.results[0]
    with pytest.raises(AttributeError):
        result.status = "met"  # type: ignore[misc]
    assert second.evaluate(TRANSFER, as_of=dt.date(2025, 7, 1)) == one


def test_evaluation_is_the_same_from_eight_threads_as_from_one() -> None:
    policy = engine.load_policy("berkshire")
    cases = [engine.evaluation.case_files.load_case(p) for p in EXAMPLES]
    day = dt.date(2026, 2, 1)
    alone = [policy.evaluate(c, as_of=day).to_dict() for c in cases]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(lambda c: policy.evaluate(c, as_of=day).to_dict(), cases * 10))
    assert together == alone * 10


def test_an_as_of_before_the_earliest_version_is_an_error() -> None:
    with pytest.raises(engine.PolicyError, match=r"no version of 'hampshire' is in force on 2024-01-01"):
        engine.load_policy("hampshire").evaluate(TRANSFER, as_of=dt.date(2024, 1, 1))


def test_a_new_version_of_the_base_applies_from_its_date_under_an_unchanged_local_policy(tmp_path: Path) -> None:
    # England shortens the transfer-in timescale from 2027; Hampshire, which inherits it, has no new version.
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies, ignore=shutil.ignore_patterns("tests"))
    england = (policies / "england" / "policy.yaml").read_text(encoding="utf-8")
    later = england.replace("effective_from: 2023-12-15", "effective_from: 2027-01-01", 1)
    later = later.replace('version: "2023"', 'version: "2027"', 1).replace("within: 15 days", "within: 10 days", 1)
    later = later.replace("Conference within 15 days of being notified", "Conference within 10 days of being notified")
    assert later.count("2027") == 2 and "within: 10 days" in later
    (policies / "england" / "policy-2027.yaml").write_text(later, encoding="utf-8")
    hampshire = engine.load_policy("hampshire", policies_dir=policies)
    case = {**TRANSFER, "conferences": [{**TRANSFER["conferences"][0], "date": "2026-12-20"}]}
    case["transfer_in"] = {"notified": "2026-12-07"}
    before, after = dt.date(2026, 12, 31), dt.date(2027, 1, 1)
    assert hampshire.evaluator(before) is hampshire.evaluator(dt.date(2026, 6, 1))
    assert hampshire.evaluator(before) is not hampshire.evaluator(after)
    # Notified Monday 7 December 2026, held Sunday 20 December: 13 days later.
    assert _statuses(hampshire.evaluate(case, as_of=before), "transfer-in-timescale") == ["met"]
    assert _statuses(hampshire.evaluate(case, as_of=after), "transfer-in-timescale") == ["missed"]


def test_eval_text_lists_what_needs_attention_first(run_cpc, tmp_path: Path) -> None:
    case = tmp_path / "late.yaml"
    case.write_text(
        "id: late-icpc\ns47:\n  strategy_discussion: 2025-12-19\n"
        "conferences:\n  - id: icpc-1\n    type: initial\n    date: 2026-01-15\n    outcome: {plan: false}\n"
    )
    result = run_cpc("eval", "--policy", "berkshire", str(case), "--as-of", "2026-02-02")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "late-icpc: berkshire policy v97, as of 2026-02-02"
    headings = [line for line in lines if line and not line.startswith(" ")][1:]
    # Not assessable: the quorum's agencies, and (new in the December review) the social care report, the
    # parents' invitation and whether a conference without a plan made child in need recommendations.
    assert headings == ["Overdue (1)", "Missed (3)", "Not assessable (4)"]
    # A report for a conference already held can no longer be made: history, not work (docs/results.md).
    assert (
        "  report-to-chair-initial (icpc-1): due 2026-01-13, not done; no longer possible from 2026-01-15, "
        "2 days (2 working days) after the due date"
    ) in lines
    assert "  documents-sent (icpc-1): due 2026-01-16, 17 days overdue" in lines
    at = lines.index("  icpc-timescale: done 2026-01-15, 1 day (1 working day) after the due date 2026-01-14")
    assert lines[at + 2].endswith(
        '"The Initial Child Protection Conference should take place within 15 working days of:"'
        " (004_60b63b0436c08953.txt)"
    )
    assert (
        "  quorum (icpc-1): the case does not record conference.social_care_present, conference.other_agencies_present"
    ) in lines


def test_eval_json_is_one_object_per_case_per_line(run_cpc) -> None:
    result = run_cpc(
        "eval", "--policy", "berkshire", *map(str, EXAMPLES[:2]), "--as-of", "2026-03-01", "--format", "json"
    )
    assert result.returncode in (0, 1), result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["case"] for o in objects] == [engine.evaluation.case_files.load_case(p)["id"] for p in EXAMPLES[:2]]


BAD_CASES = {
    "invalid-date": (
        "id: x\ns47:\n  strategy_discussion: 2025-02-30\n",
        "3:24: CPC001 not a valid date: its day, month or year is out of range",
    ),
    "unknown-conference-type": (
        "id: x\nconferences:\n  - id: c\n    type: case-review\n    date: 2025-01-01\n",
        "4:11: CPC100 not one of the allowed values (conferences[0].type)",
    ),
    "wrong-type": (
        "id: x\nconferences:\n  - id: c\n    type: initial\n    date: 2025-01-01\n    agencies_present: police\n",
        "6:23: CPC100 expected a list (conferences[0].agencies_present)",
    ),
    "time-without-date": (
        "id: x\nconferences:\n  - id: c\n    type: initial\n    time: '10:00'\n",
        "3:5: CPC100",
    ),
}


def test_markdown_is_a_table_of_every_result_with_its_quote(run_cpc) -> None:
    late = ROOT / "examples" / "cases" / "late-review.yaml"
    result = run_cpc("eval", "--policy", "berkshire", str(late), "--as-of", "2026-03-02", "--format", "markdown")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:4] == ["### example-late-review", "", "berkshire policy v97, as of 2026-03-02.", ""]
    assert lines[4] == "| status | rule | about | due | done | what the procedure says |"
    rows = [line for line in lines[6:] if line.startswith("| ")]
    evaluation = engine.load_policy("berkshire").evaluate(late, as_of=dt.date(2026, 3, 2))
    assert len(rows) == len(evaluation.results)
    assert rows[0].startswith("| overdue | `review-interval` | review-1 | 2026-01-31 |  | ")
    # Each row is one table row: a "|" in the text would start a new cell.
    assert all(row.count(" | ") == 5 for row in rows)


def test_markdown_says_when_no_rule_applies(run_cpc, tmp_path: Path) -> None:
    case = tmp_path / "quiet.yaml"
    case.write_text("id: quiet\nchild:\n  date_of_birth: 2015-01-01\n")
    result = run_cpc("eval", "--policy", "hampshire", str(case), "--as-of", "2026-03-02", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    # Each case's section ends with a blank line, to separate it from the next.
    assert result.stdout == (
        "### quiet\n\nhampshire policy printed 2024-04-24, as of 2026-03-02.\n\n"
        "No rule of the policy applies to this case on this date.\n\n"
    )


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_bad_case_input_names_file_line_column_and_field_and_exits_2(run_cpc, tmp_path: Path, name: str) -> None:
    text, expected = BAD_CASES[name]
    case = tmp_path / f"{name}.yaml"
    case.write_text(text)
    result = run_cpc("eval", "--policy", "berkshire", str(case), "--as-of", "2026-01-01")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"{case}:{expected}"), result.stderr


def test_case_errors_never_repeat_free_text(run_cpc, tmp_path: Path) -> None:
    case = tmp_path / "secret.yaml"
    case.write_text("id: x\nchild:\n  name: Jane Confidential\n  looked_after: Jane Confidential\n")
    result = run_cpc("eval", "--policy", "berkshire", str(case), "--as-of", "2026-01-01")
    assert result.returncode == 2
    assert "Confidential" not in result.stdout + result.stderr
    assert f"{case}:4:17: CPC100 expected a boolean (child.looked_after)" in result.stderr


def test_as_of_before_the_policy_exists_exits_2(run_cpc) -> None:
    result = run_cpc("eval", "--policy", "hampshire", str(EXAMPLES[0]), "--as-of", "2020-01-01")
    assert result.returncode == 2
    assert result.stderr.startswith("cpc: no version of 'hampshire' is in force on 2020-01-01")


def test_compile_prints_the_ruleset_durable_rules_runs(run_cpc) -> None:
    result = run_cpc("compile", "hampshire")
    assert result.returncode == 0, result.stderr
    [(name, rules)] = json.loads(result.stdout).items()
    assert name.startswith("hampshire@printed_2024-04-24")
    assert "icpc-timescale" in rules and "review-interval" in rules


def test_compile_facts_lists_only_what_the_rules_name(run_cpc) -> None:
    result = run_cpc("compile", "berkshire", "--facts", "--as-of", "2026-03-01")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    # The clock of icpc-timescale, and a fact a requirement tests; a core group meeting is only ever what a
    # deadline asks for (judged on the case's dates), never a fact a rule matches, so it is not given.
    assert "strategy_discussion" in shown["events"] and "core_group_meeting" not in shown["events"]
    assert "parents_invited" in shown["fields"]["conference"]
    # A review's clock is the review's own fact, not an event fact joined to it.
    assert "review_conference" in shown["conference_events_on_the_conference"]
    assert "is_review_conference" in shown["fields"]["conference"]


def test_a_resolved_policy_and_its_files_print_in_a_line() -> None:
    """A repr is what a developer sees in a debugger or a log; it held every source text (8 MB) before."""
    policy = engine.load_policy("berkshire")
    resolved = policy.in_force(dt.date(2026, 3, 1))
    assert repr(resolved) == "<ResolvedPolicy berkshire v97 (from 2025-03-25) extends england 2023: 58 rules>"
    assert repr(resolved.file) == "<PolicyFile berkshire v97: policies/berkshire/policy.yaml>"
    assert repr(resolved.file.doc).startswith("<Document policies/berkshire/policy.yaml: ")
    assert repr(policy) == "<Policy berkshire: 1 version(s)>"
