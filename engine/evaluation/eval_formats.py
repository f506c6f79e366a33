"""Print evaluations: text a social worker's manager reads at a glance, Markdown, and JSON for programs.

Only what the results say is printed: rule, status, dates and the procedure's own words. Nothing from the
case beyond its id and the dates the results rest on. Ids and the policy's words are escaped for the output
(:mod:`engine.core.safe_text`): control characters in text, markup in Markdown.
"""

from __future__ import annotations

import datetime as dt

from engine.core.safe_text import markdown_code, markdown_text, terminal
from engine.evaluation.results import Evaluation, Result

HEADINGS = (
    ("overdue", "Overdue"),
    ("breached", "Breached"),
    ("missed", "Missed"),
    ("not_assessable", "Not assessable"),
    ("pending", "Coming up"),
    ("applies", "The procedure directs"),
    ("met", "Met"),
)
NEEDS_ATTENTION = ("overdue", "breached", "missed")
NOTHING_APPLIES = "No rule of the policy applies to this case on this date."


def _iso(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.isoformat(timespec="minutes") if isinstance(value, dt.datetime) else value.isoformat()


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def line(result: Result, as_of: dt.date) -> str:
    """One result as a line of plain English."""
    about = f" ({result.subject.id})" if result.subject else ""
    head = f"{result.rule}{about}"
    if result.kind == "deadline":
        if result.earliest is not None:
            # A lower bound: what matters is how soon, not how late.
            if result.status == "breached":
                early = result.early.beside((result.earliest - _day(result.done)).days) if result.early else ""
                return f"{head}: done {_iso(result.done)}, {early} before the earliest date {_iso(result.earliest)}"
            return f"{head}: done {_iso(result.done)}, not before the earliest date {_iso(result.earliest)}"
        if result.status == "met":
            return f"{head}: done {_iso(result.done)}, due {_iso(result.due)}"
        if result.status == "missed" and result.done is None:
            late = _late(result, result.closed)
            after = f", {late} after the due date" if result.late and result.late.amount else ""
            return f"{head}: due {_iso(result.due)}, not done; no longer possible from {_iso(result.closed)}{after}"
        if result.status == "missed":
            late = _late(result, result.done)
            return f"{head}: done {_iso(result.done)}, {late} after the due date {_iso(result.due)}"
        if result.status == "not_assessable":
            because = result.reason or "cannot be told from this case"
            return f"{head}: due {_iso(result.due)}; {because}" if result.due is not None else f"{head}: {because}"
        if result.status == "overdue" and result.late is not None and result.late.amount == 0:
            # Due on a Friday, evaluated at the weekend: past due, yet no working day has gone by.
            return f"{head}: due {_iso(result.due)}, overdue (no working day has passed since)"
        if result.status == "overdue":
            return f"{head}: due {_iso(result.due)}, {_late(result, as_of)} overdue"
        days = (_day(result.due) - as_of).days
        when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
        return f"{head}: due {_iso(result.due)} ({when})"
    if result.kind == "requirement":
        if result.status == "breached":
            unproven = f" (not recorded, and could excuse it: {', '.join(result.missing)})" if result.missing else ""
            return f"{head}: not met: {'; '.join(result.failed)}{unproven}"
        if result.status == "not_assessable":
            return f"{head}: {result.reason or 'the case does not record ' + ', '.join(result.missing)}"
        return f"{head}: met"
    return f"{head}: {result.directs}"


def _late(result: Result, until: dt.date | dt.datetime | None) -> str:
    """How late, as `cpc report` says it: calendar days from the due date to ``until``, with the rule's own
    count beside them where it counts working days or hours (``34 days (25 working days)``)."""
    late = result.late
    if late is None or until is None or result.due is None:
        return str(late)
    return late.beside((_day(until) - _day(result.due)).days)


def _grouped(results: list[Result]) -> list[tuple[Result, list[str]]]:
    """Decisions that say the same for several conferences are printed once, naming them all."""
    groups: dict[tuple, tuple[Result, list[str]]] = {}
    for result in results:
        key = (result.rule, result.directs) if result.kind == "decision" else (id(result),)
        _, subjects = groups.setdefault(key, (result, []))
        if result.subject:
            subjects.append(result.subject.id)
    return list(groups.values())


def text(evaluation: Evaluation, *, explain: bool = False) -> str:
    out = [
        terminal(f"{evaluation.case}: {evaluation.area} policy {evaluation.policy_version}, as of {evaluation.as_of}")
    ]
    for status, heading in HEADINGS:
        group = [r for r in evaluation.results if r.status == status]
        if not group:
            continue
        out.append(f"\n{heading} ({len(group)})")
        for result, subjects in _grouped(group) if not explain else [(r, []) for r in group]:
            shown = line(result, evaluation.as_of)
            if len(subjects) > 1:
                shown = shown.replace(f"({result.subject.id})", f"({', '.join(subjects)})", 1)
            out.append(terminal(f"  {shown}"))
            if status != "met" or explain:
                out.append(terminal(f"      {result.title}"))
                for citation in result.citations[: 1 if not explain else None]:
                    out.append(terminal(f'      "{citation.quote}" ({citation.file or citation.source})'))
            if explain:
                for match in result.matched:
                    tested = f": {'; '.join(match.conditions)}" if match.conditions else ""
                    out.append(terminal(f"      matched {match.fact}{tested}"))
    if not evaluation.results:
        out.append("\n" + NOTHING_APPLIES)
    return "\n".join(out) + "\n"


def markdown(evaluation: Evaluation, *, explain: bool = False) -> str:
    out = [
        f"### {markdown_text(evaluation.case)}",
        "",
        f"{markdown_text(evaluation.area)} policy {markdown_text(evaluation.policy_version)}, "
        f"as of {evaluation.as_of}.",
        "",
    ]
    if not evaluation.results:
        # A table of headings alone reads as a rendering fault, not as "nothing applies".
        return "\n".join([*out, NOTHING_APPLIES]) + "\n"
    out += [
        "| status | rule | about | due | done | what the procedure says |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for result in evaluation.results:
        quote = result.citations[0].quote if result.citations else ""
        detail = line(result, evaluation.as_of).split(": ", 1)[-1]
        about = markdown_text(result.subject.id) if result.subject else ""
        out.append(
            f"| {result.status} | {markdown_code(result.rule, table=True)} | {about} | "
            f"{_iso(result.due)} | {_iso(result.done)} | {markdown_text(detail)}<br>“{markdown_text(quote)}” |"
        )
    if explain:
        out.append("")
        for result in evaluation.results:
            for match in result.matched:
                said = markdown_text(f"{match.fact}: {'; '.join(match.conditions) or 'present'}")
                out.append(f"- {markdown_code(result.rule)} matched {said}")
    return "\n".join(out) + "\n"


def json_line(evaluation: Evaluation) -> str:
    """The evaluation as one line of JSON: ``json.dumps(evaluation.to_dict(), ensure_ascii=False)``."""
    return evaluation.to_json() + "\n"


def needs_attention(evaluation: Evaluation) -> bool:
    return any(r.status in NEEDS_ATTENTION for r in evaluation.results)
