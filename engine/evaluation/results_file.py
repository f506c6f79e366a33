"""The results file of a caseload run (`cpc eval --cases`): JSON Lines, results format 2 by default.

A result of `cpc eval` names its rule's title, kind and citations (the procedure's own words): most of its
bytes, and the same for every result of the rule. Format 2 writes them once per run, as SARIF writes a tool's
rules once (``tool.driver.rules``) and lets each result refer to one:

* The **header**, the first line: ``{"results_format": 2, "area": …, "policy_version": …, "as_of": …,
  "columns": […], "rules": [{"rule": …, "kind": …, "title": …, …, "citations": […]}, …]}``. Each rule entry
  holds the fields an inline result takes from its rule, in the inline result's own words.
* Each **evaluation** line as :meth:`engine.evaluation.results.Evaluation.to_dict` has it, except that each result is a
  **row**: ``[rule, status, subject, clock, due, done, late, more]``, trailing nulls left out. ``subject`` is a
  conference's id, or ``[type, id]``; ``clock`` is the date of the event the rule's entry names, or
  ``[event, date]``; ``late`` is ``[amount, unit]``; ``more`` holds every other field of the inline result that
  its rule's entry and the evaluation do not give (``reason``, ``missing``, ``closed``, ``matched`` …),
  by the inline result's names. Rows carry the rule by id, and the evaluation the area and policy version:
  with the header they give back the inline result exactly (:meth:`RuleTable.expand`).
* Error records as they are in format 1.

Format 1 (``--citations inline``, and every file written before format 2) has no header: each line is an
evaluation exactly as ``cpc eval --format json`` prints it, or an error record. Readers take both, and a
header anywhere in a file (files joined with ``cat``) applies to the lines after it.

The writer never drops anything: a result whose rule-level fields differ from its rule's entry (a rule the
header does not list, a title that changed) keeps those fields in ``more``, where they win over the entry.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.evaluation.results import Citation, Evaluation, Result, _iso, _json

if TYPE_CHECKING:
    from engine.policy.resolve import ResolvedPolicy, ResolvedRule

FORMAT_KEY = "results_format"
FORMAT = 2
"""The results format `cpc eval --cases` writes by default; format 1 is ``--citations inline``."""
FORMATS = (1, 2)
"""The results formats this cpc reads."""
COLUMNS = ("rule", "status", "subject", "clock", "due", "done", "late", "more")
"""A format-2 result row's columns, in order; the header repeats them."""
SUBJECT_TYPE = "conference"
"""The subject type a row's subject has when it is given as an id alone."""
SEPARATORS = (",", ":")

# The fields of an inline result that its rule gives, as a header's rule entry holds them; and those an inline
# result always has for its kind, with the value a row that leaves them out stands for.
RULE_FIELDS = ("kind", "title", "exception_of", "what", "action", "directs", "defined_in", "citations")
ENTRY_ORDER = ("rule", "kind", "title", "exception_of", "what", "clock", "action", "directs", "defined_in", "citations")
ALWAYS: dict[str, dict[str, Any]] = {
    "deadline": {"what": None},
    "requirement": {"failed": [], "missing": []},
    "": {"action": None, "directs": None},
}
_KIND_KEYS = {
    "deadline": ("what", "clock", "due", "done", "late", "closed", "earliest", "early"),
    "requirement": ("failed", "missing"),
    "": ("action", "directs"),
}
# What the columns hold; every other key of an inline result goes to `more` when a row needs it.
_POSITIONAL = frozenset(COLUMNS[:-1])
# The keys the fast encoder writes itself into `more`, in the order an inline result has them.
_RESULT_MORE = frozenset({"closed", "earliest", "early", "failed", "missing", "reason", "matched"})


def _kind_branch(kind: object) -> str:
    return kind if kind in ("deadline", "requirement") else ""


def _compact(value: object) -> str:
    """``value`` as ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` writes it."""
    kind = type(value)
    if kind is str or value is None or kind is int:
        return _json(value)
    return json.dumps(value, ensure_ascii=False, separators=SEPARATORS)


# Small: ids of conferences and reports pass through too, and a real caseload never repeats them; the texts
# that do repeat (statuses, units, event names) are back in the memo within a case of its clearing.
_MEMO_LIMIT = 1 << 12


def dumps(value: object) -> str:
    """A format-2 line's JSON: no spaces, text as it is (UTF-8)."""
    return json.dumps(value, ensure_ascii=False, separators=SEPARATORS)


# -- the header ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleEntry:
    """What every result of one rule shares, as the header lists it."""

    rule: str
    kind: str
    title: str
    defined_in: str
    citations: tuple[Citation, ...]
    exception_of: str | None = None
    # Deadline: the event(s) that must happen, and the event its clock counts from (or back to).
    what: str | tuple[str, ...] | None = None
    clock: str | None = None
    # Decision: its slug and what it directs.
    action: str | None = None
    directs: str | None = None

    def to_dict(self) -> dict:
        data: dict = {"rule": self.rule, "kind": self.kind, "title": self.title}
        if self.exception_of is not None:
            data["exception_of"] = self.exception_of
        branch = _kind_branch(self.kind)
        if branch == "deadline":
            data["what"] = list(self.what) if isinstance(self.what, tuple) else self.what
            if self.clock is not None:
                data["clock"] = {"event": self.clock}
        elif branch == "":
            data["action"] = self.action
            data["directs"] = self.directs
        data["defined_in"] = self.defined_in
        data["citations"] = [c.to_dict() for c in self.citations]
        return data


def rule_entry(policy: ResolvedPolicy, rule: ResolvedRule) -> RuleEntry:
    """The header's entry for one rule of a resolved policy: what :class:`engine.evaluation.evaluate.Evaluator` puts in
    each of the rule's results."""
    params = rule.parameters
    kind = rule.kind
    what = params.get("what") if kind == "deadline" else None
    clock = (params.get("of") or params.get("before") or params.get("after")) if kind == "deadline" else None
    return RuleEntry(
        rule.id,
        kind,
        str(rule.data.get("title", "")),
        rule.defined_in,
        tuple(
            Citation(str(c.get("source", "")), _source_file(policy, c), str(c.get("quote", ""))) for c in rule.citations
        ),
        rule.exception_of,
        tuple(what) if isinstance(what, list) else what,
        clock if isinstance(clock, str) else None,
        params.get("action") if kind == "decision" else None,
        params.get("directs") if kind == "decision" else None,
    )


def _source_file(policy: ResolvedPolicy, citation: dict) -> str:
    # The header is built before the policy is linted: a malformed citation must not stop it before lint can
    # say what is wrong.
    source = citation.get("source")
    found = policy.sources.get(source) if isinstance(source, str) else None
    return str(found.get("file", "")) if isinstance(found, dict) else ""


class HeaderError(ValueError):
    """A results header that cannot be used: of a format this cpc does not read, or not a header's shape.
    The message names what is wrong, never a value from the file."""


class RowError(ValueError):
    """A result row that cannot be read; ``where`` is the field (``.subject``), ``message`` what is wrong."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where} {message}".strip())
        self.where, self.message = where, message


class RuleTable:
    """The rules of one policy version as a results header lists them, and the rows that refer to them.

    Built from the policy by the writer (:meth:`from_policy`) and from the header by a reader
    (:func:`parse_header`). Picklable, so a pool's workers encode against the very table the header says.
    """

    def __init__(self, area: str, policy_version: str, as_of: str, rules: Iterable[RuleEntry | dict]):
        self.area, self.policy_version, self.as_of = area, policy_version, as_of
        self.entries: dict[str, RuleEntry] = {}
        # Each rule's fields in the inline result's form (what a row leaves out), and its clock's event.
        self.defaults: dict[str, dict] = {}
        self.clocks: dict[str, str | None] = {}
        for rule in rules:
            data = rule.to_dict() if isinstance(rule, RuleEntry) else rule
            name = data["rule"]
            if isinstance(rule, RuleEntry):
                self.entries[name] = rule
            self.defaults[name] = {k: data[k] for k in RULE_FIELDS if k in data}
            clock = data.get("clock")
            self.clocks[name] = clock.get("event") if isinstance(clock, dict) else None
        self._cache: dict[tuple, tuple] = {}
        # The JSON of texts and dates, remembered: statuses, units, event names and dates repeat on every line.
        # Kept by the table, not the module, so that nothing of a caseload outlives the run that wrote it.
        self._texts: dict[str, str] = {}
        self._dates: dict[dt.date, str] = {}

    def _text(self, value: str) -> str:
        found = self._texts.get(value)
        if found is None:
            if len(self._texts) >= _MEMO_LIMIT:
                self._texts.clear()
            found = self._texts[value] = _json(value)
        return found

    def _date(self, value: dt.date | dt.datetime) -> str:
        found = self._dates.get(value)
        if found is None:
            if len(self._dates) >= _MEMO_LIMIT:
                self._dates.clear()
            found = self._dates[value] = _json(_iso(value))
        return found

    @classmethod
    def from_policy(cls, policy: ResolvedPolicy, as_of: dt.date) -> RuleTable:
        """The table of every rule that can give a result under ``policy`` (one version, in force on ``as_of``)."""
        entries = [rule_entry(policy, r) for r in policy.rules.values() if r.data.get("disapplies") is not True]
        return cls(policy.area, policy.version, as_of.isoformat(), entries)

    def __getstate__(self) -> dict:
        # The cache is keyed by object ids, which mean nothing in another process; the memos are rebuilt there.
        return {k: v for k, v in self.__dict__.items() if k not in ("_cache", "_texts", "_dates")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._cache, self._texts, self._dates = {}, {}, {}

    # -- the header line --

    def header(self) -> dict:
        """The header record, first line of a format-2 results file."""
        rules = []
        for name, defaults in self.defaults.items():
            entry = self.entries.get(name)
            if entry is not None:
                rules.append(entry.to_dict())
                continue
            data = {"rule": name, **defaults}
            if self.clocks.get(name) is not None:
                data["clock"] = {"event": self.clocks[name]}
            rules.append({k: data[k] for k in ENTRY_ORDER if k in data})
        return {
            FORMAT_KEY: FORMAT,
            "area": self.area,
            "policy_version": self.policy_version,
            "as_of": self.as_of,
            "columns": list(COLUMNS),
            "rules": rules,
        }

    def header_line(self) -> str:
        return dumps(self.header()) + "\n"

    # -- writing: inline → row --

    def row(self, result: dict, area: str, policy_version: str) -> list:
        """An inline result (:meth:`Result.to_dict`) of an evaluation under ``area`` and ``policy_version`` as a
        row: the reference the fast :meth:`row_json` is tested against, and what a program converting a
        format-1 file would use."""
        name = result["rule"]
        defaults = self.defaults.get(name, {})
        branch = _kind_branch(result.get("kind"))
        always = ALWAYS[branch]
        columns: list = [name, result["status"], None, None, None, None, None]
        more: dict = {}
        for key, value in result.items():
            if key in ("rule", "status"):
                continue
            if key == "subject":
                columns[2] = value["id"] if value["type"] == SUBJECT_TYPE else [value["type"], value["id"]]
            elif key == "clock":
                own = self.clocks.get(name) is not None and value["event"] == self.clocks[name]
                columns[3] = value["date"] if own else [value["event"], value["date"]]
            elif key in ("due", "done"):
                columns[4 if key == "due" else 5] = value
            elif key == "late":
                columns[6] = [value["amount"], value["unit"]]
            elif key == "area":
                if value != area:
                    more[key] = value
            elif key == "policy_version":
                if value != policy_version:
                    more[key] = value
            elif key in defaults:
                if value != defaults[key]:
                    more[key] = value
            elif key not in always or value != always[key]:
                more[key] = value
        # A field the rule's entry gives and this result has not: null, so that the entry does not supply it.
        relevant = set(RULE_FIELDS) - {k for b, keys in _KIND_KEYS.items() if b != branch for k in keys}
        for key in defaults:
            if key in relevant and key not in result and defaults[key] is not None:
                more[key] = None
        while columns and columns[-1] is None:
            columns.pop()
        if more:
            columns += [None] * (7 - len(columns))
            columns.append(more)
        return columns

    def row_json(self, result: Result, area: str, policy_version: str) -> str:
        """Exactly ``dumps(self.row(result.to_dict(), area, policy_version))``, without building the dict."""
        citations = result.citations
        key = (
            result.rule,
            result.title,
            result.kind,
            result.defined_in,
            id(citations),
            result.exception_of,
            result.what,
            result.action,
            result.directs,
            result.area == area,
            result.policy_version == policy_version,
        )
        found = self._cache.get(key)
        # The entry holds the citations, so their id cannot be reused by other citations while it is cached.
        if found is None or found[0] is not citations:
            plain = self._plain(result, area, policy_version)
            found = (citations, plain, f"[{_json(result.rule)},", self.clocks.get(result.rule))
            if len(self._cache) >= 4096:
                self._cache.clear()
            self._cache[key] = found
        if not found[1]:
            return dumps(self.row(result.to_dict(), area, policy_version))
        head = found[2] + self._text(result.status)
        subject = result.subject
        about = (
            None
            if subject is None
            else self._text(subject.id)
            if subject.type == SUBJECT_TYPE
            else f"[{self._text(subject.type)},{self._text(subject.id)}]"
        )
        more: list[str] = []
        kind = result.kind
        if kind == "deadline":
            clock = result.clock
            if clock is None:
                counted = None
            elif clock.event == found[3] and found[3] is not None:
                counted = self._date(clock.date)
            else:
                counted = f"[{self._text(clock.event)},{self._date(clock.date)}]"
            late = result.late
            columns = (
                about,
                counted,
                None if result.due is None else self._date(result.due),
                None if result.done is None else self._date(result.done),
                None if late is None else f"[{_compact(late.amount)},{self._text(late.unit)}]",
            )
            if result.closed is not None:
                more.append(f'"closed":{self._date(result.closed)}')
            if result.earliest is not None:
                more.append(f'"earliest":{self._date(result.earliest)}')
            early = result.early
            if early is not None:
                more.append(f'"early":{{"amount":{_compact(early.amount)},"unit":{self._text(early.unit)}}}')
        else:
            columns = (about, None, None, None, None)
            if kind == "requirement":
                if result.failed:
                    more.append(f'"failed":{_compact(list(result.failed))}')
                if result.missing:
                    more.append(f'"missing":{_compact(list(result.missing))}')
        if result.reason is not None:
            more.append(f'"reason":{self._text(result.reason)}')
        if result.matched:
            more.append(f'"matched":{_compact([m.to_dict() for m in result.matched])}')
        if more:
            return f"{head},{','.join([c or 'null' for c in columns])},{{{','.join(more)}}}]"
        width = 5
        while width and columns[width - 1] is None:
            width -= 1
        if not width:
            return head + "]"
        return f"{head},{','.join([c or 'null' for c in columns[:width]])}]"

    def _plain(self, result: Result, area: str, policy_version: str) -> bool:
        """Whether ``result``'s row leaves every rule-level field to the entry (and area and version to the
        evaluation), as nearly every result's does; the fast encoder writes only such rows."""
        row = self.row(result.to_dict(), area, policy_version)
        return len(row) < 8 or set(row[7]) <= _RESULT_MORE

    def evaluation(self, evaluation: Evaluation) -> dict:
        """The evaluation's line of a format-2 file, as data."""
        data = evaluation.to_dict()
        data["results"] = [self.row(r, evaluation.area, evaluation.policy_version) for r in data["results"]]
        return data

    def evaluation_json(self, evaluation: Evaluation) -> str:
        """Exactly ``dumps(self.evaluation(evaluation))``, in a fraction of the time."""
        area, version = evaluation.area, evaluation.policy_version
        rows = ",".join([self.row_json(r, area, version) for r in evaluation.results])
        middle = "".join(f",{_json(k)}:{_compact(v)}" for k, v in evaluation._about().items())
        return (
            f'{{"case":{_json(evaluation.case)},"area":{_json(area)},"policy_version":{_json(version)},'
            f'"as_of":{_json(evaluation.as_of.isoformat())}{middle},"results":[{rows}]}}'
        )

    # -- reading: row → inline --

    def fields(self, row: object) -> dict:
        """A row's result as a mapping of the inline result's fields, in no particular order, without the area
        and policy version (the evaluation's): what ``cpc report`` reads. Raises :class:`RowError`."""
        if not isinstance(row, list) or not 2 <= len(row) <= len(COLUMNS):
            raise RowError("", f"is not a result row (an array of 2 to {len(COLUMNS)} columns)")
        name = row[0]
        if not isinstance(name, str) or not name.strip():
            raise RowError(".rule", "is not a non-empty string")
        more = row[7] if len(row) == 8 else None
        if more is not None and not isinstance(more, dict):
            raise RowError(".more", "is not an object")
        defaults = self.defaults.get(name)
        if defaults is None and not (more and "kind" in more):
            # Said first: a row of an unknown rule would otherwise be refused for whatever it meets next.
            raise RowError(".rule", "names a rule the header does not list")
        data = dict(defaults) if defaults is not None else {}
        data["rule"] = name
        data["status"] = row[1]
        width = len(row)
        subject = row[2] if width > 2 else None
        if subject is not None:
            if isinstance(subject, str):
                data["subject"] = {"type": SUBJECT_TYPE, "id": subject}
            elif isinstance(subject, list) and len(subject) == 2:
                data["subject"] = {"type": subject[0], "id": subject[1]}
            else:
                raise RowError(".subject", "is not a conference's id or a [type, id] pair")
        clock = row[3] if width > 3 else None
        if clock is not None:
            if isinstance(clock, str):
                event = self.clocks.get(name)
                if event is None:
                    raise RowError(".clock", "is a date alone, and its rule's entry names no clock event")
                data["clock"] = {"event": event, "date": clock}
            elif isinstance(clock, list) and len(clock) == 2:
                data["clock"] = {"event": clock[0], "date": clock[1]}
            else:
                raise RowError(".clock", "is not a date or an [event, date] pair")
        if width > 4 and row[4] is not None:
            data["due"] = row[4]
        if width > 5 and row[5] is not None:
            data["done"] = row[5]
        late = row[6] if width > 6 else None
        if late is not None:
            if not isinstance(late, list) or len(late) != 2:
                raise RowError(".late", "is not an [amount, unit] pair")
            data["late"] = {"amount": late[0], "unit": late[1]}
        if more:
            data.update(more)
        return data

    def expand(self, record: dict) -> dict:
        """A format-2 evaluation line (parsed) as format 1 has it: :meth:`Evaluation.to_dict` exactly.
        Raises :class:`RowError` naming the result (``results[3].subject``)."""
        area, version = record.get("area"), record.get("policy_version")
        out = dict(record)
        rows = record.get("results")
        if not isinstance(rows, list):
            raise RowError("results", "is not a list")
        expanded = []
        for index, row in enumerate(rows):
            if isinstance(row, dict):
                expanded.append(row)
                continue
            try:
                expanded.append(inline(self.fields(row), area, version))
            except RowError as exc:
                raise RowError(f"results[{index}]{exc.where}", exc.message) from None
        out["results"] = expanded
        return out


def inline(data: dict, area: object, policy_version: object) -> dict:
    """A result's fields (:meth:`RuleTable.fields`) in the order and form :meth:`Result.to_dict` gives them."""
    kind = data.get("kind")
    if "title" not in data or kind is None:
        raise RowError(".rule", "has no title or kind, from the header or the row")
    out: dict = {"rule": data["rule"], "title": data["title"], "kind": kind, "status": data["status"]}
    for key in ("subject", "exception_of"):
        if data.get(key) is not None:
            out[key] = data[key]
    branch = _kind_branch(kind)
    always = ALWAYS[branch]
    for key in _KIND_KEYS[branch]:
        if key in always:
            out[key] = data.get(key, always[key])
        elif data.get(key) is not None:
            out[key] = data[key]
    if data.get("reason") is not None:
        out["reason"] = data["reason"]
    out["area"] = data.get("area", area)
    out["policy_version"] = data.get("policy_version", policy_version)
    out["defined_in"] = data.get("defined_in")
    out["citations"] = data.get("citations", [])
    if data.get("matched"):
        out["matched"] = data["matched"]
    return out


# -- reading a header ----------------------------------------------------------------------------------------


def is_header(data: object) -> bool:
    """Whether a parsed line is a results header (it names a ``results_format``)."""
    return isinstance(data, dict) and FORMAT_KEY in data


def parse_header(data: dict) -> RuleTable:
    """The rule table of a parsed header line. Raises :class:`HeaderError` for a format this cpc does not read
    (with what to do) or a header not of format 2's shape (naming the field)."""
    version = data.get(FORMAT_KEY)
    if type(version) is int and version > FORMAT:
        shown = f"{version:,}" if version < 10**6 else "of a later number"
        raise HeaderError(
            f"results format {shown} is newer than this cpc reads (formats {' and '.join(map(str, FORMATS))}); read "
            "the file with the cpc that wrote it or a newer one, or evaluate the caseload again with this one"
        )
    if type(version) is not int or version != FORMAT:
        raise HeaderError(f"the results header's {FORMAT_KEY} is not {FORMAT}, the only format with a header")
    for key in ("area", "policy_version", "as_of"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise HeaderError(f"the results header's {key} is not a non-empty string")
    if data.get("columns") != list(COLUMNS):
        raise HeaderError(f"the results header's columns are not format {FORMAT}'s ({', '.join(COLUMNS)})")
    rules = data.get("rules")
    if not isinstance(rules, list):
        raise HeaderError("the results header's rules is not a list")
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        where = f"the results header's rules[{index}]"
        if not isinstance(rule, dict):
            raise HeaderError(f"{where} is not an object")
        name = rule.get("rule")
        if not isinstance(name, str) or not name.strip():
            raise HeaderError(f"{where}.rule is not a non-empty string")
        if name in seen:
            raise HeaderError(f"{where}.rule repeats a rule listed before it")
        seen.add(name)
        for key in ("kind", "title"):
            if not isinstance(rule.get(key), str):
                raise HeaderError(f"{where}.{key} is not a string")
        clock = rule.get("clock")
        if clock is not None and not (isinstance(clock, dict) and isinstance(clock.get("event"), str)):
            raise HeaderError(f"{where}.clock is not an object naming an event")
    return RuleTable(data["area"], data["policy_version"], data["as_of"], rules)


# -- reading a whole file ------------------------------------------------------------------------------------


class ResultsFileError(ValueError):
    """A line of a results file that cannot be read: ``line`` is its number, ``message`` what is wrong
    (never what the line says)."""

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}")
        self.line, self.message = line, message


NO_HEADER = (
    "this evaluation's results refer to their rules by id (results format 2), and no results header comes "
    "before it to list the rules; keep a results file's first line, its header, when cutting or filtering it"
)
UNREADABLE_HEADER = (
    "this evaluation's results refer to their rules by id (results format 2), and line 1, where the results "
    "header that lists the rules would be, could not be read: the file is damaged or cut short; write it again"
)


def read(lines: Iterable[str | bytes]) -> Iterator[dict]:
    """Each record of a results file of either format, as format 1 has it: evaluations exactly as
    :meth:`Evaluation.to_dict` gives them, and error records as they are; headers are read, not yielded.

    Raises :class:`ResultsFileError` naming the line of the first record that cannot be read::

        with open("results.jsonl", encoding="utf-8") as handle:
            for record in engine.evaluation.results_file.read(handle):
                ...
    """
    table: RuleTable | None = None
    for number, raw in enumerate(lines, 1):
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError:
            raise ResultsFileError(number, "not UTF-8 text") from None
        if number == 1:
            text = text.removeprefix("\ufeff")
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            raise ResultsFileError(number, "not valid JSON") from None
        if is_header(data):
            try:
                table = parse_header(data)
            except HeaderError as exc:
                raise ResultsFileError(number, str(exc)) from None
            continue
        results = data.get("results") if isinstance(data, dict) else None
        if isinstance(results, list) and any(isinstance(r, list) for r in results):
            if table is None:
                raise ResultsFileError(number, NO_HEADER)
            try:
                data = table.expand(data)
            except RowError as exc:
                raise ResultsFileError(number, str(exc)) from None
        yield data
