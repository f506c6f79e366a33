"""Join a child's rows into episodes, and build the case of each.

An episode is one run of the procedure for a child: person → s47 enquiry → initial conference → child protection
plan → reviews, and the child in need plan that followed the plan. Children are read from the extract's store one
at a time, in person id order, and each :class:`Episode` becomes a :class:`MappedCase` in the format of
``docs/case-format.md``, with the due dates the source system recorded (:class:`RecordedDue`). Records that
contradict each other become a :class:`DataWarning` on the child's case (:data:`WARNING_KINDS`) rather than an
error; warnings name tables, fields and ids only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from engine.policy.yamlload import jsonable
from engine.ssd.store import (
    _CODECS,
    _JOINED,
    _PERSON_COLUMN,
    _STORED,
    CinPlan,
    Conference,
    Enquiry,
    Extract,
    Involvement,
    Person,
    Plan,
    Review,
    _decoder,
    _person_ids,
    id_sort_key,
)
from engine.ssd.tables import (
    BLANK_PERSON,
    CATEGORY_WITHOUT_CONFERENCE,
    CIN,
    ICPC,
    INVOLVEMENTS,
    OTHER_PERSONS_RECORD,
    PERSON,
    PLAN_NOT_MAPPED,
    PLANS,
    RECORDED_WHILE_UNBORN,
    REVIEWS,
    S47,
    UNKNOWN_PERSON,
    UNKNOWN_PLAN,
    Unmapped,
    _not_recorded,
)


@dataclass(frozen=True, slots=True)
class DataWarning:
    """Records of one child that contradict each other; the case is still written. Names ids only."""

    kind: str
    message: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "message": self.message}


WARNING_KINDS: dict[str, str] = {
    "two_open_plans": "more than one child protection plan without an end date; the case holds the latest",
    "plan_without_icpc": "a plan no initial conference is linked to",
    "no_strategy_discussion": "an initial conference not linked to an s47 enquiry: icpc-timescale cannot be computed",
    "conference_before_strategy_discussion": "the initial conference is dated before the strategy discussion",
    "plan_starts_before_conference": "the plan starts before the conference that made it",
    "plan_ends_before_it_starts": "the plan's end date is before its start date",
    "review_before_plan_start": "a review conference is dated before the plan started",
    "review_after_plan_end": "a review conference is dated after the plan ended",
    "outcome_contradicts_plan": "the initial conference's outcome is no plan, but a plan is linked to it",
    "dob_and_expected_dob": "both a date of birth and an expected date of birth (the SSD allows one)",
}


@dataclass
class _Child:
    id: str
    person: Person | None
    enquiries: list[Enquiry] = field(default_factory=list)
    conferences: list[Conference] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    cin_plans: list[CinPlan] = field(default_factory=list)
    involvements: list[Involvement] = field(default_factory=list)
    reviews: dict[str, list[Review]] = field(default_factory=dict)


@dataclass
class Episode:
    """One run of the procedure for a child: an enquiry, its initial conference, the plan it made.

    A child may have several (an earlier conference that made no plan, a plan that ended and a new one);
    the case of :func:`iter_cases` holds the latest, and :func:`iter_episodes` gives them all.
    """

    enquiry: Enquiry | None
    conference: Conference | None
    plan: Plan | None

    def anchor(self) -> dt.date:
        for value in (
            self.conference and (self.conference.date or self.conference.target),
            self.plan and self.plan.start,
            self.enquiry and self.enquiry.start,
        ):
            if value:
                return value
        return dt.date.min

    def key(self) -> tuple:
        ids = (self.conference.id if self.conference else "", self.plan.id if self.plan else "")
        return (self.anchor(), *ids)


@dataclass(frozen=True, slots=True)
class RecordedDue:
    """A due date the source system recorded, for ``cpc reconcile`` to compare with cpc's own.

    ``kind`` is ``icpc_target`` or ``review_due``; ``record`` is the conference's id in the case;
    ``theirs`` the recorded date (None when blank or unreadable, see ``unreadable``); ``held_on`` the date
    the conference was held, if it was; ``transfer_in`` for a transfer-in initial conference.
    """

    kind: str
    record: str
    theirs: dt.date | None
    held_on: dt.date | None
    unreadable: bool = False
    transfer_in: bool = False


@dataclass(frozen=True, slots=True)
class MappedCase:
    """One case in cpc's case format (dates as ISO strings), with what the mapping noticed about it.

    ``source`` is ``folder/file:line`` of the child's row, and ``line`` that line; ``recorded`` the source
    system's due dates for the conferences in the case; ``parsed`` the same case with ``datetime.date``
    values, as :func:`engine.evaluation.case_files.read_case` would return it once validated.
    """

    case: dict
    warnings: tuple[DataWarning, ...]
    source: str
    recorded: tuple[RecordedDue, ...] = ()
    parsed: dict | None = field(default=None, repr=False, compare=False)
    line: int = 0

    @property
    def id(self) -> str:
        return str(self.case["id"])


class _Merge:
    """Walks ``(key, row)`` pairs sorted by key alongside the children, handing each child its rows."""

    def __init__(self, pairs: Iterator[tuple]) -> None:
        self._pairs = pairs
        self._next = next(pairs, None)

    def take(self, key: bytes) -> list:
        found = []
        # Rows of persons that are not children (unknown ids, counted when joining) sort between them: skipped.
        while self._next is not None and self._next[0] < key:
            self._next = next(self._pairs, None)
        while self._next is not None and self._next[0] == key:
            found.append(self._next[1])
            self._next = next(self._pairs, None)
        return found


def current_involvement(involvements: list[Involvement]) -> Involvement | None:
    """The child's current involvement: the latest started of those not ended, else the one that ended last."""
    open_ones = [i for i in involvements if i.end is None]
    if open_ones:
        return max(open_ones, key=lambda i: (i.start or dt.date.min, i.line))
    return max(involvements, key=lambda i: (i.end or dt.date.min, i.line), default=None)


def _children(extract: Extract, tally: Unmapped) -> Iterator[_Child]:
    """Every child with rows in the mapped tables, joined, in person id order; rows that cannot be joined are
    tallied when this is called. The children are then read from the store one at a time."""
    store = extract.store
    have_persons = PERSON not in extract.missing
    for table in _JOINED:
        name = _STORED[table]
        known = f"EXISTS (SELECT 1 FROM person p WHERE p.c1 = t.{_PERSON_COLUMN[table]})"
        tally.add(table, "*", BLANK_PERSON, store.scalar(f"SELECT count(*) FROM {name} WHERE k IS NULL"))
        if have_persons:
            unknown = store.scalar(f"SELECT count(*) FROM {name} t WHERE k IS NOT NULL AND NOT {known}")
            tally.add(table, "*", UNKNOWN_PERSON, unknown)
    # A plan is dropped when its person is blank or, with ssd_person, not in it.
    known = "EXISTS (SELECT 1 FROM person p WHERE p.c1 = t.c2)"
    dropped = "t.k IS NULL" + (f" OR NOT {known}" if have_persons else "")
    tally.add(
        REVIEWS,
        "*",
        PLAN_NOT_MAPPED,
        store.scalar(f"SELECT count(*) FROM reviews r JOIN plans t ON t.c1 = r.c2 WHERE {dropped}"),
    )
    tally.add(
        REVIEWS,
        "*",
        UNKNOWN_PLAN,
        store.scalar("SELECT count(*) FROM reviews r WHERE NOT EXISTS (SELECT 1 FROM plans t WHERE t.c1 = r.c2)"),
    )
    return _read_children(extract)


def _read_children(extract: Extract) -> Iterator[_Child]:
    store = extract.store
    if PERSON not in extract.missing:
        persons: Iterator[tuple[bytes, str, Person | None]] = (
            (key, person.id, person) for key, person in store.rows(PERSON, order="k")
        )
    else:
        ids = store.db.execute(f"SELECT k, pid FROM ({_person_ids()}) ORDER BY k")
        persons = ((key, pid, None) for key, pid in ids)
    merges = {table: _Merge(store.rows(table, "WHERE k IS NOT NULL", "k, c0")) for table in _JOINED}
    _, kinds, _ = _CODECS[REVIEWS]
    decode = _decoder(Review, kinds)
    columns = ", ".join(f"r.c{i}" for i in range(len(kinds)))
    # By child, then plan, then line: the indexes give this order without a sort.
    review_rows = store.db.execute(
        f"SELECT t.k, {columns} FROM reviews r JOIN plans t ON t.c1 = r.c2 "
        "WHERE t.k IS NOT NULL ORDER BY t.k, t.c1, r.c0"
    )
    reviews = _Merge((key, decode(tuple(values))) for key, *values in review_rows)
    for key, pid, person in persons:
        child = _Child(
            pid,
            person,
            merges[S47].take(key),
            merges[ICPC].take(key),
            merges[PLANS].take(key),
            merges[CIN].take(key),
            merges[INVOLVEMENTS].take(key),
        )
        by_plan: dict[str, list[Review]] = {}
        for review in reviews.take(key):
            by_plan.setdefault(review.plan, []).append(review)
        for found in by_plan.values():
            # Held reviews in date order, then the ones not yet held by due date.
            found.sort(key=lambda r: (r.date is None, r.date or r.due or dt.date.max, id_sort_key(r.id)))
        child.reviews = by_plan
        yield child


def _episodes(child: _Child, tally: Unmapped) -> tuple[list[Episode], list[Enquiry], list[DataWarning]]:
    """The child's episodes, oldest first; the enquiries that belong to none; person-level warnings."""
    warnings: list[DataWarning] = []
    conferences = {c.id: c for c in child.conferences}
    plans = {p.id: p for p in child.plans}
    enquiries = {e.id: e for e in child.enquiries}
    plan_of: dict[str, Plan] = {}
    linked_plans: set[str] = set()
    for plan in child.plans:
        if plan.conference and plan.conference in conferences and plan.conference not in plan_of:
            plan_of[plan.conference] = plan
            linked_plans.add(plan.id)
        elif plan.conference:
            tally.add(PLANS, "cppl_icpc_id", OTHER_PERSONS_RECORD)
    for conference in child.conferences:
        if not conference.plan:
            continue
        if conference.id in plan_of:
            if plan_of[conference.id].id != conference.plan:
                tally.add(ICPC, "icpc_cp_plan_id", OTHER_PERSONS_RECORD)
        elif conference.plan in plans and conference.plan not in linked_plans:
            plan_of[conference.id] = plans[conference.plan]
            linked_plans.add(conference.plan)
        else:
            tally.add(ICPC, "icpc_cp_plan_id", OTHER_PERSONS_RECORD)

    episodes: list[Episode] = []
    used_enquiries: set[str] = set()
    for conference in child.conferences:
        enquiry = None
        if conference.enquiry:
            enquiry = enquiries.get(conference.enquiry)
            if enquiry is None:
                tally.add(ICPC, "icpc_s47_enquiry_id", OTHER_PERSONS_RECORD)
            else:
                used_enquiries.add(enquiry.id)
        episodes.append(Episode(enquiry, conference, plan_of.get(conference.id)))
    for plan in child.plans:
        if plan.id not in linked_plans:
            episodes.append(Episode(None, None, plan))
    latest_anchor = max((e.anchor() for e in episodes), default=dt.date.min)
    leftover = [e for e in child.enquiries if e.id not in used_enquiries]
    # An enquiry whose conference is decided but not yet held is a case: its 15 working days are running.
    due = [
        e
        for e in leftover
        if e.conference_flag is True and e.nfa is not True and e.start is not None and e.start > latest_anchor
    ]
    if due:
        pending = max(due, key=lambda e: (e.start, id_sort_key(e.id)))
        episodes.append(Episode(pending, None, None))
        leftover = [e for e in leftover if e is not pending]
    episodes.sort(key=Episode.key)

    open_plans = [p for p in child.plans if p.start is not None and p.end is None]
    if len(open_plans) > 1:
        ids = ", ".join(sorted(p.id for p in open_plans))
        warnings.append(
            DataWarning("two_open_plans", f"plans {ids} are all open; the case holds the one that started last")
        )
    person = child.person
    if person and person.dob and person.expected_dob:
        warnings.append(DataWarning("dob_and_expected_dob", f"person {child.id} has both; the date of birth is used"))
    return episodes, leftover, warnings


def _conference_type(conference: Conference, person: Person | None) -> str:
    if conference.transfer_in:
        return "transfer_in"
    if person is not None:
        if person.dob is not None:
            if conference.date is not None and person.dob > conference.date:
                return "pre_birth"
        elif person.expected_dob is not None:
            return "pre_birth"
    return "initial"


def _build(
    child: _Child,
    episode: Episode,
    reviews: list[Review],
    warnings: list[DataWarning],
    tally: Unmapped | None,
) -> tuple[dict, list[CinPlan], tuple[RecordedDue, ...]]:
    """The case for one episode (dates as ``date``, as :func:`engine.evaluation.case_files.read_case` gives
    them), the CIN plan it used, and the due dates the source recorded for it."""
    case: dict = {"id": child.id}
    current = current_involvement(child.involvements)
    if current is not None:
        case.update({k: v for k, v in (("team", current.team), ("worker", current.worker)) if v})
    person = child.person
    if person is not None:
        born = {}
        if person.dob is not None:
            born["date_of_birth"] = person.dob
        elif person.expected_dob is not None:
            born["expected_date_of_birth"] = person.expected_dob
        if born:
            case["child"] = born
    enquiry, conference, plan = episode.enquiry, episode.conference, episode.plan
    if enquiry is not None and enquiry.start is not None:
        case["s47"] = {"strategy_discussion": enquiry.start}
    conferences: list[dict] = []
    recorded: list[RecordedDue] = []
    if conference is not None:
        cid = f"icpc-{conference.id}"
        entry: dict = {"id": cid, "type": _conference_type(conference, person)}
        if conference.date is not None:
            entry["date"] = conference.date
        else:
            entry["held"] = False
        outcome: dict = {}
        if conference.outcome_plan is not None:
            outcome["plan"] = conference.outcome_plan
        if plan is not None and plan.category is not None:
            if conference.outcome_plan is True:
                outcome["category"] = plan.category
            elif tally is not None:
                tally.add(PLANS, "cppl_cp_plan_initial_category", CATEGORY_WITHOUT_CONFERENCE)
        if outcome:
            entry["outcome"] = outcome
        conferences.append(entry)
        recorded.append(
            RecordedDue(
                "icpc_target",
                cid,
                conference.target,
                conference.date,
                conference.target_unreadable,
                entry["type"] == "transfer_in",
            )
        )
        if enquiry is None and entry["type"] != "transfer_in":
            warnings.append(
                DataWarning("no_strategy_discussion", f"conference {cid} is linked to no s47 enquiry of the child")
            )
        if enquiry and enquiry.start and conference.date and conference.date < enquiry.start:
            warnings.append(
                DataWarning(
                    "conference_before_strategy_discussion",
                    f"conference {cid} is dated before the strategy discussion of enquiry {enquiry.id}",
                )
            )
        if plan is not None and conference.outcome_plan is False:
            warnings.append(
                DataWarning(
                    "outcome_contradicts_plan", f"conference {cid} made no plan, yet plan {plan.id} links to it"
                )
            )
        if plan and plan.start and conference.date and plan.start < conference.date:
            warnings.append(
                DataWarning(
                    "plan_starts_before_conference", f"plan {plan.id} starts before conference {cid} that made it"
                )
            )
    elif plan is not None:
        warnings.append(DataWarning("plan_without_icpc", f"plan {plan.id} has no initial conference linked to it"))
        if plan.category is not None and tally is not None:
            tally.add(PLANS, "cppl_cp_plan_initial_category", CATEGORY_WITHOUT_CONFERENCE)
    for review in reviews:
        rid = f"review-{review.id}"
        entry = {"id": rid, "type": "review"}
        if review.date is not None:
            entry["date"] = review.date
        else:
            entry["held"] = False
        if review.quorate is not None:
            entry["quorate"] = review.quorate
        if review.outcome is not None:
            entry["outcome"] = {"plan": review.outcome}
        conferences.append(entry)
        recorded.append(RecordedDue("review_due", rid, review.due, review.date, review.due_unreadable))
        if plan and plan.start and review.date and review.date < plan.start:
            warnings.append(
                DataWarning("review_before_plan_start", f"review {rid} is dated before plan {plan.id} started")
            )
        if plan and plan.end and review.date and review.date > plan.end:
            warnings.append(DataWarning("review_after_plan_end", f"review {rid} is dated after plan {plan.id} ended"))
    if conferences:
        case["conferences"] = conferences
    used: list[CinPlan] = []
    if plan is not None:
        block = {k: v for k, v in (("start", plan.start), ("end", plan.end)) if v is not None}
        if plan.start is not None:
            # The census counts second and later plans: the child's plans that started before this one.
            block["previous_plans"] = sum(
                1 for p in child.plans if p is not plan and p.start is not None and p.start < plan.start
            )
        if block:
            case["plan"] = block
        if plan.start and plan.end and plan.end < plan.start:
            warnings.append(DataWarning("plan_ends_before_it_starts", f"plan {plan.id} ends before it starts"))
        if plan.end is not None:
            after = [c for c in child.cin_plans if c.start is not None and c.start >= plan.end]
            if after:
                step = min(after, key=lambda c: (c.start, id_sort_key(c.id)))
                used.append(step)
                case["step_down"] = {k: v for k, v in (("cin_plan_start", step.start), ("cin_plan_end", step.end)) if v}
    return case, used, tuple(recorded)


def _mapped(
    extract: Extract, child: _Child, episode: Episode, case: dict, warnings: list, recorded: tuple
) -> MappedCase:
    source, line = _source(extract, child, episode)
    names = _not_recorded(tuple(sorted(extract.missing)))
    if "expected_date_of_birth" in case.get("child", {}):
        names = tuple(n for n in names if n not in RECORDED_WHILE_UNBORN)
    case["coverage"] = {"source": "ssd", "not_recorded": list(names)}
    return MappedCase(jsonable(case), tuple(warnings), source, recorded, case, line)


def _source(extract: Extract, child: _Child, episode: Episode) -> tuple[str, int]:
    """The row that names the child, and its line: the person's, else the episode's first record's."""
    for table, row in (
        (PERSON, child.person),
        (ICPC, episode.conference),
        (PLANS, episode.plan),
        (S47, episode.enquiry),
    ):
        if row is not None:
            return extract.source(table, row.line), row.line
    return f"{extract.folder}:{child.id}", 0  # pragma: no cover - an episode has at least one record


__all__ = [
    "WARNING_KINDS",
    "DataWarning",
    "MappedCase",
    "RecordedDue",
]
