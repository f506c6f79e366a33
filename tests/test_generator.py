"""bench/generate_caseload.py: a seeded synthetic caseload that validates, repeats exactly, and looks real."""

from __future__ import annotations

import datetime as dt
import importlib.util
import inspect
import itertools
import json
import re
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

import engine
from engine.core.calendar import WorkingCalendar
from engine.core.durations import add_months
from engine.evaluation.case_files import read_case

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 3, 1)


def _load() -> ModuleType:
    # bench/ is a folder of scripts, not a package: load the script by path, as `python bench/…` would run it.
    spec = importlib.util.spec_from_file_location("generate_caseload", ROOT / "bench" / "generate_caseload.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generator = _load()


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return list(generator.generate_lines(500, 2026, AS_OF))


@pytest.fixture(scope="module")
def cases(lines: list[str]) -> list[dict]:
    return [json.loads(line) for line in lines]


def test_500_generated_cases_all_validate_against_the_case_schema(lines: list[str]) -> None:
    for number, line in enumerate(lines, 1):
        assert line.endswith("\n") and "\n" not in line[:-1]
        read_case(json.loads(line), f"caseload.jsonl:{number}")


def test_the_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    assert generator.main(["300", "--seed", "5", "--out", str(first)]) == 0
    assert generator.main(["300", "--seed", "5", "--out", str(second)]) == 0
    assert generator.main(["300", "--seed", "6", "--out", str(other)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()
    assert len(first.read_bytes().splitlines()) == 300


def test_a_shorter_run_is_a_prefix_of_a_longer_one() -> None:
    assert list(generator.generate_lines(40, 9, AS_OF)) == list(generator.generate_lines(100, 9, AS_OF))[:40]


def test_as_of_moves_the_caseload() -> None:
    assert list(generator.generate_lines(20, 9, AS_OF)) != list(generator.generate_lines(20, 9, dt.date(2027, 6, 1)))


def test_the_caseload_streams() -> None:
    lines = generator.generate_lines(10**12, 1, AS_OF)
    assert inspect.isgenerator(lines)
    first = list(itertools.islice(lines, 3))
    assert [json.loads(line)["id"] for line in first] == ["synthetic-000001", "synthetic-000002", "synthetic-000003"]


def test_no_case_names_anyone(cases: list[dict]) -> None:
    for case in cases:
        assert re.fullmatch(r"synthetic-\d{6}", case["id"])
        assert "name" not in case.get("child", {})
        for change in case.get("significant_changes", []):
            assert set(change) == {"date"}


def _conferences(cases: list[dict], kind: str | None = None) -> list[dict]:
    return [c for case in cases for c in case.get("conferences", []) if kind is None or c["type"] == kind]


def _held(conference: dict) -> bool:
    return conference.get("held", True) and dt.date.fromisoformat(conference["date"]) <= AS_OF


def _late_reviews(case: dict) -> int:
    """Reviews held after the first-review or six-monthly due date (counted as the engine does)."""
    held = sorted((c for c in case.get("conferences", []) if _held(c)), key=lambda c: c["date"])
    late, previous = 0, None
    for conference in held:
        day = dt.date.fromisoformat(conference["date"])
        if conference["type"] == "review" and previous is not None:
            months = 3 if previous["type"] != "review" else 6
            late += day > add_months(dt.date.fromisoformat(previous["date"]), months)
        previous = conference
    return late


def test_the_mix_is_realistic(cases: list[dict]) -> None:
    n = len(cases)
    pre_birth = [c for c in cases if any(x["type"] == "pre_birth" for x in c["conferences"])]
    transfer_in = [c for c in cases if "transfer_in" in c]
    held = [c for c in _conferences(cases) if _held(c)]
    inquorate = [c for c in held if c.get("quorate") is False or len(c["agencies_present"]) < 3]
    plans = [c for c in cases if "plan" in c]
    ended = [c for c in plans if "end" in c["plan"]]

    # Proportions near the design: ~8% pre-birth, ~5% transfer-in, most first conferences make a plan.
    assert 0.04 * n <= len(pre_birth) <= 0.13 * n
    assert 0.02 * n <= len(transfer_in) <= 0.09 * n
    assert 0.6 * n <= len(plans) <= 0.95 * n
    assert 0.03 * len(held) <= len(inquorate) <= 0.25 * len(held)

    # Each of the situations the procedure has a rule for appears.
    assert any("date_of_birth" not in c["child"] for c in pre_birth), "an unborn child"
    assert {c.get("mother", {}).get("medically_fit_after_birth") for c in pre_birth} >= {True, False}
    assert any(c.get("chair_proceeded_inquorate") and c.get("inquorate_reasons_recorded") for c in inquorate)
    assert any(c.get("chair_proceeded_inquorate") and c.get("inquorate_reasons_recorded") is False for c in inquorate)
    assert any("step_down" in c for c in cases), "stepped down to a child in need plan"
    assert any(c["step_down"].get("cin_reviews") for c in cases if "step_down" in c)
    assert sum(_late_reviews(c) for c in cases) > 0, "late reviews"
    assert {c["plan"]["ended_by"] for c in ended} == {"review_conference", "manager"}
    assert any(c["plan"].get("ended_by") == "manager" and c["plan"].get("end_reason") for c in ended)
    assert any(c.get("held") is False for c in _conferences(cases)), "a conference booked, not yet held"
    assert any(r.get("ground") for c in held for r in c.get("exclusion_requests", []))
    assert any("T" in c.get("documents_sent", "") for c in held)
    assert any("significant_changes" in c for c in cases)
    assert any("strategy_meetings" in c for c in cases)
    assert any(c.get("core_group_meetings") for c in cases)
    assert any("accepted" in c["transfer_in"] for c in transfer_in)
    ages = Counter(
        (AS_OF - dt.date.fromisoformat(c["child"]["date_of_birth"])).days // 365 // 6
        for c in cases
        if "date_of_birth" in c["child"]
    )
    assert {0, 1, 2} <= set(ages), "children of every age band"


def test_dates_are_in_the_years_before_as_of_and_on_working_days(cases: list[dict]) -> None:
    calendar = WorkingCalendar()
    earliest = AS_OF - dt.timedelta(days=3 * 365 + 10)
    for case in cases:
        start = case.get("s47", {}).get("strategy_discussion") or case.get("transfer_in", {}).get("notified")
        day = dt.date.fromisoformat(start)
        assert earliest <= day <= AS_OF
        assert calendar.is_working_day(day)
        for conference in case["conferences"]:
            day = dt.date.fromisoformat(conference["date"])
            assert calendar.is_working_day(day)
            assert day <= AS_OF or not _held(conference)
        for day in case.get("core_group_meetings", []):
            assert dt.date.fromisoformat(day) <= AS_OF
        if "plan" in case:
            assert case["plan"].get("end", case["plan"]["start"]) <= AS_OF.isoformat()


def test_evaluated_outcomes_are_a_mix_of_every_status() -> None:
    evaluator = engine.load_policy("berkshire").evaluator(AS_OF)
    statuses: Counter = Counter()
    for line in generator.generate_lines(300, 3, AS_OF):
        for result in evaluator.evaluate(read_case(json.loads(line)), AS_OF).results:
            statuses[(result.rule, result.status)] += 1
    for rule in ("icpc-timescale", "first-review-timescale", "review-interval", "report-to-chair-initial"):
        assert {s for (r, s) in statuses if r == rule} == {"met", "missed", "pending", "overdue"}, rule
    for rule in ("quorum", "inquorate-reasons-recorded"):
        assert {s for (r, s) in statuses if r == rule} >= {"met", "breached"}, rule
    # Mostly on time, as real services are.
    met = statuses[("icpc-timescale", "met")]
    assert met > 2 * (statuses[("icpc-timescale", "missed")] + statuses[("icpc-timescale", "overdue")])


def test_a_bad_command_line_is_refused(tmp_path: Path) -> None:
    for argv in (["-1"], ["5", "--as-of", "2026-02-30"], ["5", "--as-of", "1850-01-01"]):
        with pytest.raises(SystemExit) as exit_info:
            generator.main([*argv, "--out", str(tmp_path / "x.jsonl")])
        assert exit_info.value.code == 2
