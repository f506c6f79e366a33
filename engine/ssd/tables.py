"""The SSD tables and fields cpc maps, and the words for what does not reach a case.

An SSD extract is a folder with one CSV file per table (``ssd_person.csv``, ``ssd_cp_plans.csv``, …), as the
data-to-insight SSD model names them. cpc maps six of them (:data:`MAPPED_TABLES`) and reads ``ssd_involvements``
when the extract has it. :data:`FIELDS` says field by field how each reaches a case or why it does not; it is the
table ``docs/ssd.md`` shows (:func:`mapping_markdown`).

Nothing is dropped without a count: every column that does not reach a case, every value that cannot be read and
every row that cannot be joined is tallied per (table, field, reason) in an :class:`Unmapped`, with the reasons
here as the report prints them. What a case from an extract can record at all, given the tables it has, is
:data:`RECORDED_BY_TABLE`; :func:`not_recorded` and :func:`rules_ssd_cannot_meet` say what it cannot.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from engine.core.calendar import FIRST_YEAR, LAST_YEAR

PERSON, S47, ICPC, PLANS, REVIEWS, CIN = (
    "ssd_person",
    "ssd_s47_enquiry",
    "ssd_initial_cp_conference",
    "ssd_cp_plans",
    "ssd_cp_reviews",
    "ssd_cin_plans",
)
MAPPED_TABLES = (PERSON, S47, ICPC, PLANS, REVIEWS, CIN)
# Read when the extract has it, and never reported missing: it gives a case its team and worker, which no rule
# needs (`cpc report --by team`).
INVOLVEMENTS = "ssd_involvements"
OPTIONAL_TABLES = (INVOLVEMENTS,)
READ_TABLES = (*MAPPED_TABLES, *OPTIONAL_TABLES)

# Reasons a row or a value does not reach a case; the strings are what the report prints.
TABLE_NOT_MAPPED = "table not mapped: no case field comes from it"
UNKNOWN_COLUMN = "column not in the SSD fields cpc maps"
DUPLICATE_COLUMN = "column repeated in the header: the first is read"
EXTRA_CELLS = "row has more cells than the header: the extra cells are ignored"
MERGED_LINES = (
    "lines merged into one row by a quote that opens in one line and closes in a later one (a stray quote?): not read"
)
UNREADABLE_DATE = "value is not a date (YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS], or DD/MM/YYYY)"
OUT_OF_RANGE_DATE = f"date outside {FIRST_YEAR}-{LAST_YEAR}, the years whose bank holidays are known"
TIME_IGNORED = "time of day ignored: the case records the date"
UNREADABLE_FLAG = "value is not a Y/N flag"
UNKNOWN_CATEGORY = "not one of Neglect, Physical abuse, Emotional abuse, Sexual abuse, Multiple"
UNREADABLE_JSON = "value is not a JSON object"
BLANK_ID = "blank id: the row cannot be joined"
MAX_ID_CHARS = 200
"""An id longer than this is no system's id (a pasted cell, a runaway export): its row is counted, not read."""
LONG_ID = f"id longer than {MAX_ID_CHARS} characters: the row is not read"
DUPLICATE_ID = "id repeated: only the first row with it is read"
UNKNOWN_PERSON = "person id not in ssd_person"
BLANK_PERSON = "blank person id: the row cannot be joined"
UNKNOWN_PLAN = "plan id not in ssd_cp_plans"
PLAN_NOT_MAPPED = "its plan was not mapped (its person is not in ssd_person)"
OTHER_PERSONS_RECORD = "links to a record of another person, or to none of this person's: link ignored"
EARLIER_EPISODE = "an earlier episode: the case holds the child's latest"
NO_CONFERENCE = "no initial conference followed the enquiry, and none is flagged as due"
NOT_STEP_DOWN = "not the child in need plan that followed the case's plan"
NOT_CURRENT_INVOLVEMENT = "not the child's current involvement: the case holds the latest"
NO_CP_RECORDS = "the child has no conference, no plan and no enquiry leading to one: no case"
CATEGORY_WITHOUT_CONFERENCE = "the plan has no initial conference whose outcome could carry the category"


@dataclass(frozen=True, slots=True)
class FieldMap:
    """How one SSD field reaches (or does not reach) a case.

    ``role`` is ``case`` (a case field), ``join`` (links rows), ``derive`` (decides a case field's value),
    ``recorded`` (the source system's own due date, compared by ``cpc reconcile``) or ``unmapped``.
    """

    table: str
    field: str
    role: str
    case_field: str
    note: str


FIELDS: tuple[FieldMap, ...] = (
    FieldMap(PERSON, "pers_person_id", "case", "id", "the case's id, as the source system has it"),
    FieldMap(PERSON, "pers_dob", "case", "child.date_of_birth", "a child born after a conference was unborn at it"),
    FieldMap(
        PERSON,
        "pers_expected_dob",
        "case",
        "child.expected_date_of_birth",
        "only when there is no pers_dob, so only an unborn child's case has `pregnancy_start`",
    ),
    FieldMap(
        PERSON,
        "pers_death_date",
        "unmapped",
        "",
        "the case format has no date of death",
    ),
    FieldMap(S47, "s47e_s47_enquiry_id", "join", "", "joined from icpc_s47_enquiry_id"),
    FieldMap(S47, "s47e_person_id", "join", "", "joins the enquiry to the child"),
    FieldMap(
        S47,
        "s47e_s47_start_date",
        "case",
        "s47.strategy_discussion",
        "of the enquiry that led to the case's conference",
    ),
    FieldMap(
        S47, "s47e_s47_end_date", "unmapped", "", "no rule counts from it; an enquiry with no conference gives no case"
    ),
    FieldMap(
        S47,
        "s47e_s47_nfa",
        "derive",
        "",
        "an enquiry with no conference becomes a case only if it is not NFA and CP_CONFERENCE_FLAG is Y",
    ),
    FieldMap(
        S47,
        "s47e_s47_outcome_json",
        "derive",
        "",
        "only CP_CONFERENCE_FLAG is read, as for s47e_s47_nfa; the rest is counted as not mapped",
    ),
    FieldMap(ICPC, "icpc_icpc_id", "case", "conferences[].id", "as `icpc-<id>`"),
    FieldMap(ICPC, "icpc_s47_enquiry_id", "join", "", "the enquiry whose strategy discussion starts the clock"),
    FieldMap(ICPC, "icpc_person_id", "join", "", "joins the conference to the child"),
    FieldMap(ICPC, "icpc_cp_plan_id", "join", "", "the plan the conference made (when cppl_icpc_id is blank)"),
    FieldMap(
        ICPC, "icpc_icpc_transfer_in", "derive", "conferences[].type", "Y: `transfer_in`; else `pre_birth` or `initial`"
    ),
    FieldMap(
        ICPC,
        "icpc_icpc_target_date",
        "recorded",
        "",
        "the system's own due date, compared with cpc's `icpc-timescale` by `cpc reconcile`",
    ),
    FieldMap(ICPC, "icpc_icpc_date", "case", "conferences[].date", "blank: `held: false`, no date"),
    FieldMap(ICPC, "icpc_icpc_outcome_cp_flag", "case", "conferences[].outcome.plan", "Y: true, N: false"),
    FieldMap(
        ICPC,
        "icpc_icpc_outcome_json",
        "unmapped",
        "",
        "its CP_FLAG repeats icpc_icpc_outcome_cp_flag; the rest has no case field",
    ),
    FieldMap(PLANS, "cppl_cp_plan_id", "join", "", "joined from icpc_cp_plan_id and cppr_cp_plan_id"),
    FieldMap(PLANS, "cppl_icpc_id", "join", "", "the conference that made the plan"),
    FieldMap(PLANS, "cppl_person_id", "join", "", "joins the plan to the child"),
    FieldMap(
        PLANS,
        "cppl_cp_plan_start_date",
        "case",
        "plan.start",
        "of the plan the case's conference made; the child's plans that started before it are `plan.previous_plans`",
    ),
    FieldMap(PLANS, "cppl_cp_plan_end_date", "case", "plan.end", "also picks the step-down CIN plan"),
    FieldMap(
        PLANS,
        "cppl_cp_plan_initial_category",
        "case",
        "conferences[].outcome.category",
        "on the initial conference whose outcome is a plan",
    ),
    FieldMap(
        PLANS,
        "cppl_cp_plan_latest_category",
        "unmapped",
        "",
        "the extract does not say which review changed the category",
    ),
    FieldMap(PLANS, "cppl_cp_plan_ola", "unmapped", "", "the case format has no field for another authority's plan"),
    FieldMap(REVIEWS, "cppr_cp_review_id", "case", "conferences[].id", "as `review-<id>`, type `review`"),
    FieldMap(REVIEWS, "cppr_cp_plan_id", "join", "", "joins the review to its plan, and so to the child"),
    FieldMap(
        REVIEWS,
        "cppr_cp_review_due",
        "recorded",
        "",
        "the system's own due date, compared with cpc's `first-review-timescale` or `review-interval`",
    ),
    FieldMap(REVIEWS, "cppr_cp_review_date", "case", "conferences[].date", "blank: `held: false`, no date"),
    FieldMap(
        REVIEWS, "cppr_cp_review_outcome", "case", "conferences[].outcome.plan", "plan to continue: Y true, N false"
    ),
    FieldMap(REVIEWS, "cppr_cp_review_quorate", "case", "conferences[].quorate", "Y: true, N: false"),
    FieldMap(
        REVIEWS,
        "cppr_cp_review_participation",
        "unmapped",
        "",
        "the case format has no field for the PN0-PN7 codes",
    ),
    FieldMap(CIN, "cinp_cin_plan_id", "join", "", "identifies the row"),
    FieldMap(CIN, "cinp_person_id", "join", "", "joins the plan to the child"),
    FieldMap(
        CIN, "cinp_cin_plan_start", "case", "step_down.cin_plan_start", "the first that starts on or after plan.end"
    ),
    FieldMap(CIN, "cinp_cin_plan_end", "case", "step_down.cin_plan_end", "of that plan"),
    FieldMap(INVOLVEMENTS, "invo_involvements_id", "join", "", "identifies the row"),
    FieldMap(INVOLVEMENTS, "invo_person_id", "join", "", "joins the involvement to the child"),
    FieldMap(
        INVOLVEMENTS,
        "invo_professional_team",
        "case",
        "team",
        "of the child's current involvement: the latest started of those not ended, else the latest ended",
    ),
    FieldMap(INVOLVEMENTS, "invo_professional_id", "case", "worker", "of that involvement"),
    FieldMap(
        INVOLVEMENTS,
        "invo_involvement_start_date",
        "derive",
        "team",
        "picks the current involvement, with the end date",
    ),
    FieldMap(INVOLVEMENTS, "invo_involvement_end_date", "derive", "team", "picks the current involvement"),
    FieldMap(INVOLVEMENTS, "invo_professional_role_id", "unmapped", "", "the case format has no role of a worker"),
    FieldMap(INVOLVEMENTS, "invo_worker_change_reason", "unmapped", "", "the case format has no field for it"),
    FieldMap(INVOLVEMENTS, "invo_referral_id", "unmapped", "", "the case format has no referral"),
)


def mapping_markdown() -> str:
    """The mapping of every SSD field as the Markdown table ``docs/ssd.md`` shows (and a test compares)."""
    lines = ["| SSD table | SSD field | case field | how |", "| --- | --- | --- | --- |"]
    for f in FIELDS:
        if f.role == "case":
            target = f"`{f.case_field}`"
        elif f.role == "derive":
            target = f"derives `{f.case_field}`" if f.case_field else "derives which enquiry is a case"
        else:
            target = {"join": "used to join", "recorded": "not in the case", "unmapped": "not mapped"}[f.role]
        lines.append(f"| `{f.table}` | `{f.field}` | {target} | {f.note} |")
    return "\n".join(lines) + "\n"


class Unmapped:
    """Rows that did not reach a case, per (table, field, reason); ``field`` is ``*`` for a whole row."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()

    def add(self, table: str, field_name: str, reason: str, rows: int = 1) -> None:
        if rows:
            self.counts[(table, field_name, reason)] += rows

    def update(self, other: Unmapped) -> None:
        self.counts.update(other.counts)

    def total(self) -> int:
        return sum(self.counts.values())

    def to_list(self) -> list[dict]:
        """One entry per (table, field, reason), in table order then field, as the report prints them."""
        order = {t: i for i, t in enumerate(READ_TABLES)}
        keys = sorted(self.counts, key=lambda k: (order.get(k[0], len(order)), k[0], k[1] != "*", k[1], k[2]))
        return [{"table": t, "field": f, "reason": r, "rows": self.counts[(t, f, r)]} for t, f, r in keys]


SSD_EVENTS = frozenset(
    {
        "strategy_discussion",
        "initial_conference",
        "pre_birth_conference",
        "transfer_in_conference",
        "first_conference",
        "review_conference",
        "conference",
        "birth",
        "pregnancy_start",
        "plan_start",
        "plan_end",
        "cin_plan_start",
        "cin_plan_end",
    }
)
"""The events a case mapped from an SSD extract can hold (docs/case-format.md's event table)."""


# What each mapped table lets a case record, in the vocabulary's words (engine/core/vocabulary.py). Everything else
# an extract never records: a case from it says so in its `coverage`, so that a rule needing an event it has no
# table for is not assessable, not overdue (docs/results.md).
RECORDED_BY_TABLE: dict[str, frozenset[str]] = {
    PERSON: frozenset({"birth", "child.unborn", "child.age_years", "conference.child_age_years"}),
    S47: frozenset({"strategy_discussion", "s47.no_conference"}),
    ICPC: frozenset(
        {
            "initial_conference",
            "pre_birth_conference",
            "transfer_in_conference",
            "first_conference",
            "conference",
            "conference.type",
            "conference.plan_made",
            "plan.first_conference_type",
            "child.pre_birth_conference_held",
        }
    ),
    PLANS: frozenset({"plan_start", "plan_end", "plan.open"}),
    REVIEWS: frozenset({"review_conference", "conference", "conference.type", "conference.plan_made"}),
    CIN: frozenset({"cin_plan_start", "cin_plan_end", "cin_plan.started"}),
}
# Recorded for reviews only (`cppr_cp_review_quorate`); an initial conference without it is not assessed, as in
# any case that does not record it.
RECORDED_BY_TABLE[REVIEWS] |= {"conference.inquorate"}
# Recorded for the initial conference that made the plan (`cppl_cp_plan_initial_category`); a review has none, and
# is not assessed on it, as above.
RECORDED_BY_TABLE[PLANS] |= {"conference.category"}

RECORDED_WHILE_UNBORN = frozenset({"pregnancy_start"})
"""Recorded for an unborn child only: the SSD keeps an expected date of birth (`pers_expected_dob`) or a date of
birth, not both, so the case of a child born since has no expected date of birth to count a pregnancy's weeks
from. :func:`not_recorded` lists these; a case with ``child.expected_date_of_birth`` does not."""


def not_recorded(missing_tables: Iterable[str]) -> list[str]:
    """The events and facts a case from an extract cannot record, given the mapped tables it lacks.

    The case of an unborn child records :data:`RECORDED_WHILE_UNBORN` as well, and its coverage leaves them out.
    """
    from engine.core.vocabulary import EVENTS, FACTS

    missing = set(missing_tables)
    recorded = set().union(*(names for table, names in RECORDED_BY_TABLE.items() if table not in missing))
    return [name for name in (*EVENTS, *FACTS) if name not in recorded]


@functools.cache
def _not_recorded(missing_tables: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(not_recorded(missing_tables))


def rules_ssd_cannot_meet(evaluator) -> list[str]:
    """Deadline rules whose ``what`` is no event an SSD extract records, in the policy's order.

    On SSD data alone such a deadline can only be pending or overdue: the core group meeting, the reports,
    the documents sent may all have happened, but the extract does not say. ``evaluator`` is what
    :meth:`engine.Policy.evaluator` returns.
    """
    found = []
    for compiled in evaluator.compiled.rules:
        rule = compiled.rule
        if rule.kind != "deadline":
            continue
        what = rule.parameters.get("what")
        if not what:
            # An exception that disapplies its base (`disapplies: true`) gives no result of its own.
            continue
        events = what if isinstance(what, list) else [what]
        if not any(e in SSD_EVENTS for e in events):
            found.append(rule.id)
    return found


__all__ = [
    "FIELDS",
    "MAPPED_TABLES",
    "SSD_EVENTS",
    "FieldMap",
    "Unmapped",
    "rules_ssd_cannot_meet",
]
