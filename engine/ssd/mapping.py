"""Map a Standard Safeguarding Dataset (SSD) extract onto cpc's case format: the entry points.

:func:`iter_cases` yields one case per child with child protection records (the child's latest episode),
:func:`iter_episodes` and :func:`iter_child_episodes` every episode (for ``cpc reconcile``), and
:func:`iter_ssd_records` reads an extract and yields ``(source, case)`` for batch evaluation. An
:class:`ImportReport` collects as they go what was read, warned about and not mapped, and :func:`report_text` is
its summary; :class:`CaseChecker` validates mapped cases and :func:`dumps` writes one as a JSON Lines line.

The extract is read by :mod:`engine.ssd.reader` into the store of :mod:`engine.ssd.store`; the tables and fields
cpc maps are in :mod:`engine.ssd.tables` (and ``docs/ssd.md``), and :mod:`engine.ssd.episodes` joins a child's
rows and builds each case. Nothing here prints or stores a name or any free text: the report names tables, fields
and ids only.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from engine.ssd.episodes import WARNING_KINDS, DataWarning, Episode, MappedCase, _build, _children, _episodes, _mapped
from engine.ssd.reader import MAX_TABLE_BYTES, read_extract
from engine.ssd.store import Extract, Review
from engine.ssd.tables import (
    CIN,
    EARLIER_EPISODE,
    ICPC,
    INVOLVEMENTS,
    MAPPED_TABLES,
    NO_CONFERENCE,
    NO_CP_RECORDS,
    NOT_CURRENT_INVOLVEMENT,
    NOT_STEP_DOWN,
    OPTIONAL_TABLES,
    PERSON,
    PLANS,
    READ_TABLES,
    REVIEWS,
    S47,
    Unmapped,
)


@dataclass
class ImportReport:
    """What an import read, wrote and could not map; filled in by :func:`iter_cases` as it goes."""

    folder: str = ""
    files: dict[str, str] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    other_tables: list[str] = field(default_factory=list)
    persons: int = 0
    cases: int = 0
    without_records: int = 0
    warnings: Counter[str] = field(default_factory=Counter)
    case_warnings: list[tuple[str, tuple[DataWarning, ...]]] = field(default_factory=list)
    unmapped: Unmapped = field(default_factory=Unmapped)

    def to_dict(self) -> dict:
        """The report as JSON-able data (``--report FILE``): counts, ids and field names, never values."""
        return {
            "folder": self.folder,
            "tables": {
                name: {"file": self.files[name], "rows": self.rows.get(name, 0)}
                for name in (*READ_TABLES, *self.other_tables)
                if name in self.files
            },
            "missing_tables": list(self.missing),
            "other_tables": list(self.other_tables),
            "persons": self.persons,
            "cases": self.cases,
            "persons_without_cp_records": self.without_records,
            "warnings": dict(sorted(self.warnings.items())),
            "case_warnings": [
                {"case": case_id, "warnings": [w.to_dict() for w in found]} for case_id, found in self.case_warnings
            ],
            "unmapped": self.unmapped.to_list(),
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as the JSON text of the ``--report`` file, ending in a newline."""
        return json.dumps(self.to_dict(), indent=2) + "\n"


def _tally_episode_rows(episode: Episode, reviews: dict[str, list[Review]], tally: Unmapped) -> None:
    if episode.conference is not None:
        tally.add(ICPC, "*", EARLIER_EPISODE)
    if episode.enquiry is not None:
        tally.add(S47, "*", EARLIER_EPISODE)
    if episode.plan is not None:
        tally.add(PLANS, "*", EARLIER_EPISODE)
        tally.add(REVIEWS, "*", EARLIER_EPISODE, len(reviews.get(episode.plan.id, [])))


def iter_cases(extract: Extract, report: ImportReport | None = None) -> Iterator[MappedCase]:
    """One case per child with child protection records, in person id order: the child's latest episode.

    With ``report``, fills it in as cases are yielded: counts, warnings, and every row or value that did not
    reach a case (the reading tallies of ``extract`` included). A child with none of an s47 enquiry leading
    to a conference, an initial conference or a plan gets no case and is counted.
    """
    if report is not None:
        report.folder = str(extract.folder)
        report.files = dict(extract.files)
        report.rows = dict(extract.rows)
        report.missing = list(extract.missing)
        report.other_tables = list(extract.other_tables)
        report.persons = extract.store.counts[PERSON]
        report.unmapped.update(extract.unmapped)
    joining = Unmapped()
    children = _children(extract, joining)
    if report is not None:
        report.unmapped.update(joining)
    for child in children:
        reviews = child.reviews
        # Counted per child and added once the child is done, so a report is whole when iteration ends.
        tally = Unmapped()
        episodes, leftover, warnings = _episodes(child, tally)
        tally.add(S47, "*", NO_CONFERENCE, len(leftover))
        if not episodes:
            tally.add(CIN, "*", NO_CP_RECORDS, len(child.cin_plans))
            tally.add(INVOLVEMENTS, "*", NO_CP_RECORDS, len(child.involvements))
            if report is not None:
                report.without_records += 1
                report.unmapped.update(tally)
            continue
        *earlier, latest = episodes
        for episode in earlier:
            _tally_episode_rows(episode, reviews, tally)
            # Not in the case, but contradictions in them are still the extract's: report them.
            earlier_reviews = reviews.get(episode.plan.id, []) if episode.plan else []
            _build(child, episode, earlier_reviews, warnings, None)
        plan_reviews = reviews.get(latest.plan.id, []) if latest.plan else []
        case, used, recorded = _build(child, latest, plan_reviews, warnings, tally)
        tally.add(CIN, "*", NOT_STEP_DOWN, len(child.cin_plans) - len(used))
        tally.add(INVOLVEMENTS, "*", NOT_CURRENT_INVOLVEMENT, max(len(child.involvements) - 1, 0))
        mapped = _mapped(extract, child, latest, case, warnings, recorded)
        if report is not None:
            report.cases += 1
            report.warnings.update(w.kind for w in warnings)
            if warnings:
                report.case_warnings.append((mapped.id, mapped.warnings))
            report.unmapped.update(tally)
        yield mapped


def iter_episodes(extract: Extract) -> Iterator[MappedCase]:
    """Every episode of every child as a case, oldest first per child, in person id order.

    ``cpc reconcile`` uses these so that the due dates of earlier episodes (a conference that made no plan,
    a plan that ended before the latest began) are compared too. The case id is the child's in every one.
    """
    for episodes in iter_child_episodes(extract):
        yield from episodes


def iter_child_episodes(extract: Extract) -> Iterator[tuple[MappedCase, ...]]:
    """The episodes of :func:`iter_episodes`, a tuple per child walked (empty for a child with no child
    protection records): :meth:`Extract.children` tuples in all, so that a caller can count its progress."""
    tally = Unmapped()
    children = _children(extract, tally)
    for child in children:
        reviews = child.reviews
        episodes, _, person_warnings = _episodes(child, tally)
        mapped = []
        for episode in episodes:
            warnings = list(person_warnings)
            plan_reviews = reviews.get(episode.plan.id, []) if episode.plan else []
            case, _, recorded = _build(child, episode, plan_reviews, warnings, None)
            mapped.append(_mapped(extract, child, episode, case, warnings, recorded))
        yield tuple(mapped)


def iter_ssd_records(
    folder: str | Path, report: ImportReport | None = None, *, max_table_bytes: int = MAX_TABLE_BYTES
) -> Iterator[tuple[str, dict]]:
    """``(source, case)`` for each child of the SSD extract in ``folder``, for batch evaluation.

    ``case`` is a mapping in cpc's case format with ISO date strings, exactly the line ``cpc import ssd``
    writes for the child; ``source`` is ``folder/ssd_person.csv:LINE``. The extract is read when this is
    called (so :class:`SsdError` is raised here, not on the first ``next``); cases are then built one at a
    time. Pass an :class:`ImportReport` to learn, once iteration ends, what was not mapped and which cases
    carry data-quality warnings.
    """
    extract = read_extract(folder, max_table_bytes=max_table_bytes)
    return ((mapped.source, mapped.case) for mapped in iter_cases(extract, report))


# -- the report as text ------------------------------------------------------------------------------------


def report_text(report: ImportReport, *, written_to: str | None = None, cases: str = "cases written") -> str:
    """The summary ``cpc import ssd`` prints on stderr: tables, counts, warnings by kind, what was not mapped.

    ``cases`` names the count of cases (``cpc eval --from ssd`` writes no cases: it maps them).
    """
    lines: list[str] = []
    read = [t for t in MAPPED_TABLES if t in report.files]
    lines.append(f"read {report.folder}: {len(read)} of {len(MAPPED_TABLES)} SSD tables cpc maps")
    for table in read:
        lines.append(f"  {report.files[table]:<34} {report.rows.get(table, 0):>8} rows")
    for table in OPTIONAL_TABLES:
        if table in report.files:
            lines.append(f"  {report.files[table]:<34} {report.rows.get(table, 0):>8} rows (team and worker)")
    for table in report.missing:
        lines.append(f"  {table + '.csv':<34}  missing: its fields are absent from every case")
    for table in report.other_tables:
        lines.append(f"  {report.files[table]:<34} {report.rows.get(table, 0):>8} rows, not mapped")
    target = f" to {written_to}" if written_to else ""
    lines.append(
        f"persons {report.persons}; {cases} {report.cases}{target}; "
        f"{report.without_records} with no child protection records (no case)"
    )
    if report.warnings:
        lines.append(f"data-quality warnings: {sum(report.warnings.values())} on {len(report.case_warnings)} case(s)")
        for kind, n in sorted(report.warnings.items()):
            lines.append(f"  {kind:<38} {n:>6}  {WARNING_KINDS.get(kind, '')}")
    else:
        lines.append("data-quality warnings: none")
    entries = report.unmapped.to_list()
    if entries:
        lines.append("not mapped (rows, by table, field and reason):")
        for e in entries:
            where = f"{e['table']}.{e['field']}" if e["field"] != "*" else f"{e['table']} (whole rows)"
            lines.append(f"  {where:<52} {e['rows']:>6}  {e['reason']}")
    else:
        lines.append("not mapped: nothing")
    return "\n".join(lines) + "\n"


def _shape(value: object) -> object:
    if isinstance(value, dict):
        return tuple(sorted((k, _shape(v)) for k, v in value.items()))
    if isinstance(value, list):
        # The case schema constrains list items one by one, so the set of item shapes is what matters.
        return ("list", frozenset(_shape(v) for v in value))
    return type(value).__name__


class CaseChecker:
    """Checks mapped cases against ``schemas/case.schema.json``, validating each distinct shape once.

    A mapped case's values are ISO dates the importer wrote from parsed dates, booleans, enum values from
    fixed tables, and ids that are non-blank stripped strings: none of these can fail the schema. What could
    is the structure (which keys, which nesting), so a case whose shape (keys and value types, lists as the
    set of their items' shapes) has validated once is not validated again. This keeps the guarantee at a
    fraction of the cost: schema validation is about 1 ms a case, and an extract has a few hundred shapes.
    """

    def __init__(self) -> None:
        self._valid: set[object] = set()

    def check(self, case: dict, source: str) -> None:
        """Raise :class:`engine.evaluation.case_files.CaseError` if ``case`` does not validate."""
        from engine.evaluation.case_files import read_case

        shape = _shape(case)
        if shape in self._valid:
            return
        read_case(case, source)
        self._valid.add(shape)


def dumps(case: dict) -> str:
    """One case as a JSON Lines line (no newline), keys in the order of the case format."""
    return json.dumps(case, ensure_ascii=False)


__all__ = [
    "CaseChecker",
    "ImportReport",
    "dumps",
    "iter_cases",
    "iter_child_episodes",
    "iter_episodes",
    "iter_ssd_records",
    "report_text",
]
