"""Deadline clocks find the same occurrence whether they scan a case's occurrences or search an index.

engine.evaluation.deadlines scans when a case has a few occurrences of the events a clock looks for, and searches a
sorted index when it has many (thousands of conferences would otherwise take minutes). The scan is the
definition; these tests hold the index to it, on a case with hundreds of conferences evaluated whole and on
random timelines clock by clock.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.evaluation import deadlines
from engine.evaluation.case import CaseFacts, derive
from engine.evaluation.case_files import read_case

AS_OF = dt.date(2026, 3, 1)
ALWAYS_SCAN = 10**9
NEVER_SCAN = 0


def _many_conferences(count: int) -> dict:
    """A case with ``count`` conferences: some on the same day, some with a time and some without, some booked
    or not held, each with reports, documents and amendment requests, and core groups on conference days."""
    day = dt.date(2019, 1, 7)
    conferences = []
    for index in range(count):
        if index % 7 == 3:
            pass  # the same day as the conference before it
        else:
            day += dt.timedelta(days=1 + index % 3)
        conference: dict = {
            "id": f"conf-{index}",
            "type": "initial" if index in (0, 40) else "pre_birth" if index == 80 else "review",
            "date": day.isoformat(),
            "agencies_present": ["childrens_social_care", "police"][: 1 + index % 2],
            "reports": [
                {"agency": "police", "sent_to_chair": (day - dt.timedelta(days=index % 4)).isoformat()},
                {"agency": "school", "shared_with_parents": (day - dt.timedelta(days=2)).isoformat()},
            ],
        }
        if index % 2:
            conference["time"] = f"{9 + index % 8:02d}:{(index * 7) % 60:02d}"
        if index % 5 == 0:
            conference["documents_sent"] = f"{(day + dt.timedelta(days=1)).isoformat()}T10:00"
        elif index % 5 == 1:
            conference["documents_sent"] = (day + dt.timedelta(days=3)).isoformat()
        if index % 6 == 0:
            conference["amendment_requests"] = [(day + dt.timedelta(days=9)).isoformat()] * 2
        if index % 11 == 5:
            conference["held"] = False
        if index == 0:
            conference["outcome"] = {"plan": True}
        conferences.append(conference)
    return {
        "id": "many-conferences",
        "child": {"date_of_birth": "2018-06-01"},
        "s47": {"strategy_discussion": "2019-01-02"},
        "conferences": conferences,
        "core_group_meetings": [c["date"] for c in conferences[::4]],
        "plan": {"start": "2019-01-08", "discussed_with_parents": "2019-02-01"},
        "strategy_meetings": [c["date"] for c in conferences[::9]],
    }


@pytest.fixture(scope="module")
def many() -> dict:
    return read_case(_many_conferences(400))


def test_a_case_with_many_conferences_is_evaluated_the_same_by_the_index_and_by_the_scan(many: dict) -> None:
    policy = engine.load_policy("berkshire")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(deadlines, "SCAN_LIMIT", ALWAYS_SCAN)
        scanned = policy.evaluate(many, as_of=AS_OF).to_dict()
    indexed = policy.evaluate(many, as_of=AS_OF).to_dict()
    assert len(indexed["results"]) > 1000
    assert {r["status"] for r in indexed["results"]} >= {"met", "missed", "overdue"}
    assert json.dumps(indexed) == json.dumps(scanned)


def _clock_answers(facts: CaseFacts, limit: int) -> list:
    """What every clock of ``facts`` finds, with every occurrence as the anchor, taking the path ``limit`` gives."""
    names = sorted(facts.events)
    event_lists = [[name] for name in names] + [names[:3], names[2:6], ["conference", "review_conference"]]
    answers = []
    original = deadlines.SCAN_LIMIT
    deadlines.SCAN_LIMIT = limit
    try:
        facts.views.clear()
        for anchors in facts.events.values():
            for anchor in anchors:
                for events in event_lists:
                    answers.append(deadlines.first_after(facts, events, anchor))
                for name in names:
                    answers.append(deadlines._nearest(facts, name, anchor))
    finally:
        deadlines.SCAN_LIMIT = original
    return answers


def test_every_clock_of_a_case_with_many_conferences_finds_the_same_occurrence(many: dict) -> None:
    facts = derive(many, AS_OF)
    assert sum(len(found) for found in facts.events.values()) > 1500
    assert _clock_answers(facts, NEVER_SCAN) == _clock_answers(facts, ALWAYS_SCAN)


EVENTS = ["conference", "review_conference", "report_to_chair", "core_group_meeting"]
days = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2024, 1, 12))
moments = days | st.builds(dt.datetime.combine, days, st.sampled_from([dt.time(0, 0), dt.time(9, 30), dt.time(23, 59)]))
occurrences = st.tuples(
    st.sampled_from(EVENTS), moments, st.sampled_from([None, "c1", "c2", "c3"]), st.sampled_from([None, "r1", "r2"])
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(occurrences, max_size=40), st.booleans())
def test_on_any_timeline_the_index_finds_what_the_scan_finds(found: list, in_case_order: bool) -> None:
    facts = CaseFacts(case_id="t", as_of=dt.date(2024, 1, 10))
    for event, when, owner, ref in found:
        facts.add(event, when, owner, ref or owner)
    if in_case_order:
        # As derive leaves them; otherwise in the order added, which the index must not rely on.
        for listed in facts.events.values():
            listed.sort(key=lambda o: (o.day, o.when if isinstance(o.when, dt.datetime) else dt.datetime.min))
    if not facts.events:
        return
    assert _clock_answers(facts, NEVER_SCAN) == _clock_answers(facts, ALWAYS_SCAN)


def test_adding_an_occurrence_drops_the_index() -> None:
    facts = CaseFacts(case_id="t", as_of=dt.date(2024, 1, 31))
    facts.add("conference", dt.date(2024, 1, 2), "c1", "c1")
    facts.add("review_conference", dt.date(2024, 1, 20), "c2", "c2")
    anchor = facts.events["conference"][0]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(deadlines, "SCAN_LIMIT", NEVER_SCAN)
        assert deadlines.first_after(facts, ["review_conference"], anchor).when == dt.date(2024, 1, 20)
        facts.add("review_conference", dt.date(2024, 1, 10), "c3", "c3")
        facts.events["review_conference"].sort(key=lambda o: o.day)
        facts.views.clear()
        assert deadlines.first_after(facts, ["review_conference"], anchor).when == dt.date(2024, 1, 10)
