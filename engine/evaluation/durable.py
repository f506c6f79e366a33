"""The one place the project touches durable-rules (pinned at 2.0.28).

Policies are compiled into durable-rules rulesets written as data (the JSON ruleset form, not Python
lambdas), and each evaluation of a case asserts that case's facts into a fresh session and reads back which
rules matched which facts. Nothing else in the project imports ``durable``; everything it needs is here::

    rules = [
        Rule("late", match=(Pattern("c", all_of(eq("kind", "conference"), gt("days", 15))),)),
        Rule("no-plan", match=(Pattern("c", eq("kind", "conference")),), absent=(eq("kind", "plan"),)),
    ]
    ruleset = compile_ruleset("berkshire-v3", rules)
    ruleset.run([{"kind": "conference", "days": 20}])
    # [Match(rule='late', ...), Match(rule='no-plan', ...)]

Conditions are built from :class:`FieldTest` (one field, one operator), :class:`AllOf` and :class:`AnyOf`, or
with the helpers :func:`eq`, :func:`ne`, :func:`lt`, :func:`lte`, :func:`gt`, :func:`gte`, :func:`exists`,
:func:`missing`, :func:`is_in`, :func:`all_of` and :func:`any_of`. A field name with dots
(``conference.type``) reads a flat key of that name or the same path through nested objects: durable-rules
flattens both alike.

What the wrapper does about durable-rules' behaviour, each measured on 2.0.28 and pinned by
``tests/test_durable_quirks.py``:

* Patterns of one rule are matched by *different* facts (durable's ``when_all(a, b)`` is a join); several
  conditions on one fact are one :class:`Pattern` with :class:`AllOf`.
* A fact that no rule pattern can take makes durable raise ``MessageNotHandledException`` for the whole
  batch, and the actions the other facts earned are left queued, not run in the call (a ``Host``'s
  dispatcher thread would run them later). The wrapper compiles in a catch-all join that takes
  every fact and never fires, so ``run`` never raises for unmatched facts and returns every match.
* Two facts with identical content are one fact to durable (``MessageObservedException``); the wrapper gives
  each fact of a run its own ``id``, so duplicates are kept and reported by position.
* A negation (``absent``) is decided when it is first evaluated and not taken back when the missing fact
  arrives later in the same batch. Every rule with ``absent`` conditions is gated on an end-of-case marker
  fact that the wrapper asserts last, and the gate is placed before the negations (placed after them, the
  negation is still decided early and fooled).
* A durable action taking two parameters is run as asynchronous and stalls the session until its callback
  is called. The wrapper registers no Python actions at all: it drives the engine's action queue itself and
  returns matches as data, so no callable can be attached to a rule.
* Rule names are the keys of the ruleset's JSON object, so a second rule of the same name silently replaces
  the first when the definition is built as a dict (YAML mappings do the same). :func:`compile_ruleset` takes
  a sequence and raises :class:`DuplicateRuleError` instead.
* A ruleset holds at most 1,024 live sessions (the 1,025th raises ``MemoryError``). ``run`` uses a fresh
  session id each time and always deletes the session, error or not.
* Deleting a session in which no action has completed frees uninitialised pointers, which crashes the
  process whenever they are not null (durable's ``createStateNode`` leaves the action context unset). Every
  compiled ruleset has an end-of-run rule on the marker fact, so each run completes at least one action
  before its session is deleted; after a failure the wrapper first settles the session that way, and leaves
  it in place rather than risk the crash if it cannot (counted in :attr:`Ruleset.leaked_sessions`).
* A fact may hold at most 254 properties, counting each key of a nested object and the ``sid`` and ``id``
  durable adds; one more fails with error 302 when asserted alone, but inside a batch it is accepted without
  an error and the process crashes when its match is read. The wrapper adds three keys, so a fact passed to
  ``run`` may have at most :data:`MAX_FACT_FIELDS` (251); ``run`` raises :class:`FactTooLargeError` before
  the engine sees a larger one.
* A fact may reach at most 64 join tests (a comparison with a :class:`Ref`, which durable cannot index by
  value) in one step of its matching: the 65th fails the whole batch with error 303 when the fact is
  asserted, not when the ruleset is compiled. :func:`compile_ruleset` counts, for each kind of fact a
  pattern starts by naming (its first equality test), the patterns with a join test, and refuses
  a ruleset with more than :data:`MAX_JOINS_PER_FACT` of them, so that no case can fail this way.
* A pattern that can match durable's own session-state message (``missing`` alone does) binds that message
  as if it were a fact, and durable's Python layer, which updates the state after every action, makes it fire
  again forever. Every compiled pattern also requires the wrapper's fact marker, which the state message
  never has.
* Comparing values of different types gives answers no policy means: ``True < 10`` holds, so does
  ``"2025-01-01" < 5`` but not ``"2025-01-01" < 10``, and equality is loose (``"1"`` and ``True`` both equal
  ``1``). The ordering operators therefore take only a number or a string, never a boolean or ``None``;
  keeping each field's type consistent in the facts is the caller's job (ISO dates as strings compare
  correctly with each other). ``ne`` holds only when the field is present. durable accepts ``$ne`` with a
  string without complaint (with a number it fails with error 202), but it is not an operator and never
  matches: the operator is ``$neq``, which is why conditions are built here and not written by hand.

Engine, threads and sessions: the wrapper deliberately does not use durable's ``Host``. A ``Host`` starts
two timer threads that keep dispatching the queued actions of every ruleset registered with it; measured
over 149,477 synchronous runs, 5 had their action taken by that thread instead of the calling one: matches
missing from the caller's result, and a session deleted under the other thread. The wrapper talks to the C
core (``durable_rules_engine``) directly instead, so importing, compiling or running starts no thread, and
there is no process-wide object to share. Ruleset names are still made unique per compile (a ``Host``
refuses a second ruleset of one name; the core itself does not care).

The C core has no locks, but never releases the GIL, so each call into it is atomic; interleaving the calls
of different sessions of one ruleset was measured safe (12,026 randomly interleaved sessions, all correct).
Each :class:`Ruleset` still serialises its runs with a lock: it costs nothing measurable (every call holds
the GIL anyway), it keeps :meth:`Ruleset.close` from freeing the engine under a running session, and it
keeps correctness from resting on an undocumented property of the extension. Preparing and encoding the
facts happens outside the lock.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import math
import re
import threading
import uuid
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, Literal, NamedTuple, TypeAlias

import durable_rules_engine as _core

__all__ = [
    "MAX_FACT_FIELDS",
    "MAX_JOINS_PER_FACT",
    "AllOf",
    "AnyOf",
    "Condition",
    "DuplicateRuleError",
    "EngineError",
    "FactError",
    "FactTooLargeError",
    "FieldTest",
    "Match",
    "Op",
    "Pattern",
    "Ref",
    "Rule",
    "Ruleset",
    "RulesetError",
    "Scalar",
    "all_of",
    "any_of",
    "compile_ruleset",
    "eq",
    "exists",
    "field_tests",
    "gt",
    "gte",
    "is_in",
    "lt",
    "lte",
    "missing",
    "ne",
]

# durable-rules 2.0.28 fails a fact of 255 properties (error 302, or a crash in a batch); sid and id count.
_ENGINE_MAX_PROPERTIES: Final = 254
# Keys the wrapper adds to every fact: durable's session id and fact identity, and the wrapper's marker.
_SID: Final = "sid"
_ID: Final = "id"
_MARK: Final = "_cpc"
_RESERVED_KEYS: Final = frozenset({_SID, _ID, _MARK})
MAX_FACT_FIELDS: Final = _ENGINE_MAX_PROPERTIES - len(_RESERVED_KEYS)
"""The most fields a fact passed to :meth:`Ruleset.run` may have, counting each key of a nested object."""
MAX_JOINS_PER_FACT: Final = 64
"""The most patterns with a join test (a :class:`Ref`) on facts of one kind (durable's error 303)."""

# Marker values: a case fact, the end-of-case marker, and a value no fact ever has (for the catch-all).
_FACT: Final = 1
_END: Final = 2
_NEVER: Final = 3
_END_RULE: Final = "_end"
_CATCH_ALL_RULE: Final = "_unmatched"
_END_ALIAS: Final = "_end"

_RULE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")
_RULESET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@-]*")
_ALIAS = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")

Scalar: TypeAlias = str | int | float | bool | None
Op: TypeAlias = Literal["eq", "ne", "lt", "lte", "gt", "gte", "exists", "missing", "in"]

_ORDERING: Final = {"lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}
_OPS: Final = frozenset({"eq", "ne", "exists", "missing", "in", *_ORDERING})


class RulesetError(ValueError):
    """A ruleset definition the wrapper cannot compile faithfully."""


class DuplicateRuleError(RulesetError):
    """Two rules of one ruleset share a name (durable-rules would keep only the last)."""


class FactError(ValueError):
    """A fact passed to :meth:`Ruleset.run` that the engine cannot take as it is."""


class FactTooLargeError(FactError):
    """A fact with more fields than durable-rules can hold (its error 302)."""


class EngineError(RuntimeError):
    """durable-rules failed in a way the wrapper does not expect; the message says which call and how."""


@dataclass(frozen=True, slots=True)
class Ref:
    """The value of ``field`` in the fact bound to ``alias`` by an earlier pattern of the same rule."""

    alias: str
    field: str


@dataclass(frozen=True, slots=True)
class FieldTest:
    """One test of one field. ``value`` is unused by ``exists``/``missing`` and a tuple for ``in``.

    ``eq`` holds when the field has the value; ``ne`` when it is present and differs; ``lt``, ``lte``,
    ``gt``, ``gte`` compare numbers with numbers and strings with strings (a missing field never holds);
    ``exists``/``missing`` test presence; ``in`` holds when the field equals one of the values.
    """

    field: str
    op: Op
    value: Scalar | Ref | tuple[Scalar, ...] = None


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every condition holds (of the same fact)."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one condition holds (of the same fact)."""

    conditions: tuple[Condition, ...]


Condition: TypeAlias = FieldTest | AllOf | AnyOf


@dataclass(frozen=True, slots=True)
class Pattern:
    """A fact the rule needs, bound to ``alias`` in the rule's matches: one fact satisfying ``where``."""

    alias: str
    where: Condition


@dataclass(frozen=True, slots=True)
class Rule:
    """A named rule: fires once for each combination of distinct facts matching ``match`` (in order), when
    no fact satisfies any of the ``absent`` conditions. ``absent`` is judged on the whole case: the wrapper
    gates it on an end-of-case marker asserted after every fact. ``absent`` conditions may :class:`Ref`
    aliases of ``match``.
    """

    name: str
    match: tuple[Pattern, ...] = ()
    absent: tuple[Condition, ...] = ()


class Match(NamedTuple):
    """One firing of a rule: the caller's own fact objects by alias (or the objects it reported them as), and
    their positions in the run's list."""

    rule: str
    facts: Mapping[str, Any]
    indexes: Mapping[str, int]


def eq(field: str, value: Scalar | Ref) -> FieldTest:
    """``field`` equals ``value``."""
    return FieldTest(field, "eq", value)


def ne(field: str, value: Scalar | Ref) -> FieldTest:
    """``field`` is present and differs from ``value``."""
    return FieldTest(field, "ne", value)


def lt(field: str, value: str | int | float | Ref) -> FieldTest:
    """``field`` < ``value``."""
    return FieldTest(field, "lt", value)


def lte(field: str, value: str | int | float | Ref) -> FieldTest:
    """``field`` <= ``value``."""
    return FieldTest(field, "lte", value)


def gt(field: str, value: str | int | float | Ref) -> FieldTest:
    """``field`` > ``value``."""
    return FieldTest(field, "gt", value)


def gte(field: str, value: str | int | float | Ref) -> FieldTest:
    """``field`` >= ``value``."""
    return FieldTest(field, "gte", value)


def exists(field: str) -> FieldTest:
    """``field`` is present (with any value, ``None`` included)."""
    return FieldTest(field, "exists")


def missing(field: str) -> FieldTest:
    """``field`` is absent."""
    return FieldTest(field, "missing")


def is_in(field: str, values: Sequence[Scalar]) -> FieldTest:
    """``field`` equals one of ``values``."""
    return FieldTest(field, "in", tuple(values))


def all_of(*conditions: Condition) -> AllOf:
    """Every condition holds."""
    return AllOf(tuple(conditions))


def any_of(*conditions: Condition) -> AnyOf:
    """At least one condition holds."""
    return AnyOf(tuple(conditions))


def _definition_json(definition: dict[str, Any]) -> str:
    """The definition as JSON that durable-rules' parser reads: it refuses a number with an exponent (error
    204), which json.dumps writes for floats from 1e16 up and below 1e-4, so floats are written out in full."""
    floats: list[float] = []
    marker = f"float-{uuid.uuid4().hex}-"

    def plain(value: Any) -> Any:
        if isinstance(value, float):
            if not math.isfinite(value):
                raise RulesetError("durable-rules cannot compare with NaN or infinity")
            floats.append(value)
            return f"{marker}{len(floats) - 1}"
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [plain(item) for item in value]
        return value

    text = json.dumps(plain(definition), ensure_ascii=False)
    if not floats:
        return text
    return re.sub(f'"{marker}(\\d+)"', lambda m: _decimal(floats[int(m[1])]), text)


def _decimal(value: float) -> str:
    # Decimal writes the shortest repr's digits without an exponent; ".0" keeps a whole number a double in
    # durable-rules, which would overflow its 64-bit integers from 1e19.
    text = format(Decimal(repr(value)), "f")
    return text if "." in text else text + ".0"


_CORE_ERRORS: Final = {
    108: "too many rules test the same condition (durable-rules links at most about 250 rules to one test)",
    204: "durable-rules could not read a value of the ruleset",
}


def _refusal(name: str, count: int, error: Exception) -> str:
    found = re.search(r"error code: (\d+)", str(error))
    code = int(found[1]) if found else None
    reason = _CORE_ERRORS.get(code, f"durable-rules error {code}" if code else str(error))
    return f"durable-rules refused ruleset {name!r} ({count} engine rules): {reason}"


# The engine's match messages start with "{", so raw_decode can skip json.loads' checks and whitespace scans.
_decode = json.JSONDecoder().raw_decode

# Session ids only need to be unique among a ruleset's live sessions; one process-wide counter does that.
_session_ids = itertools.count(1)
_ruleset_ids = itertools.count(1)


class Ruleset:
    """A compiled ruleset, loaded in durable-rules' C core. Made by :func:`compile_ruleset`.

    Safe to share between threads (runs on one ruleset take turns). Its engine memory is released by
    :meth:`close`, or when the object is garbage collected.
    """

    def __init__(self, name: str, engine_name: str, rules: tuple[Rule, ...], definition: dict[str, Any]) -> None:
        self._name = name
        self._engine_name = engine_name
        self._rules = rules
        self._order = {rule.name: index for index, rule in enumerate(rules)}
        self._aliases = {rule.name: tuple(p.alias for p in rule.match) for rule in rules}
        self._keys = {name: tuple(f'"{alias}":{{' for alias in aliases) for name, aliases in self._aliases.items()}
        self._definition = definition
        self._lock = threading.Lock()
        self._leaked = 0
        try:
            self._handle: int | None = _core.create_ruleset(engine_name, _definition_json(definition))
        except _core.error as error:
            raise RulesetError(_refusal(name, len(rules), error)) from None
        # Release the C ruleset with the object; the finalizer must not hold a reference to ``self``.
        self._finalizer = weakref.finalize(self, _core.delete_ruleset, self._handle)

    @property
    def name(self) -> str:
        """The name the ruleset was compiled under."""
        return self._name

    @property
    def engine_name(self) -> str:
        """The unique name of this compilation inside durable-rules."""
        return self._engine_name

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The rules, in the order given to :func:`compile_ruleset`."""
        return self._rules

    @property
    def definition(self) -> dict[str, Any]:
        """The ruleset exactly as durable-rules was given it (JSON-able), under :attr:`name`.

        The engine holds it as :attr:`engine_name`, which differs between compilations; the key here does
        not, so printed definitions can be compared. Rules whose names start with ``_`` are the wrapper's
        own: ``_end`` fires on the end-of-case marker, ``_unmatched`` takes every fact and never fires.
        Every pattern requires ``{"_cpc": 1}`` (a case fact); ``{"_cpc": 2}`` is the end-of-case marker.
        """
        return {self._name: copy.deepcopy(self._definition)}

    @property
    def leaked_sessions(self) -> int:
        """Sessions left in the engine after a failed run because deleting them was not safe (normally 0)."""
        return self._leaked

    def close(self) -> None:
        """Release the engine's memory for this ruleset; ``run`` fails afterwards. Idempotent."""
        with self._lock:
            self._handle = None
            self._finalizer()

    def run(self, facts: Sequence[Mapping[str, Any]], report: Sequence[Any] | None = None) -> list[Match]:
        """Evaluate ``facts`` (one case) in a fresh session and return every match.

        Matches are ordered by rule (in definition order), then by the positions of the matched facts.
        Facts no rule matches are simply not reported. ``report``, when given, holds for each fact (by
        position) the object a match names in its place: the engine then needs to be given only the fields
        its rules test, and the caller still gets back its own richer objects. Raises :class:`FactError` for
        a fact the engine cannot take (too many fields, a reserved key, a value JSON cannot encode).
        """
        if report is not None and len(report) != len(facts):
            raise ValueError(f"report has {len(report)} objects for {len(facts)} facts")
        sid = str(next(_session_ids))
        payload = self._encode(facts, sid)
        with self._lock:
            handle = self._handle
            if handle is None:
                raise EngineError(f"ruleset {self._engine_name} is closed")
            fired = self._evaluate(handle, sid, payload)
        return self._matches(fired, facts if report is None else report)

    def __repr__(self) -> str:
        return f"<Ruleset {self._engine_name}: {len(self._rules)} rules>"

    # -- internals ---------------------------------------------------------------------------------------

    @staticmethod
    def _encode(facts: Sequence[Mapping[str, Any]], sid: str) -> str:
        batch: list[dict[str, Any]] = []
        for index, fact in enumerate(facts):
            if type(fact) is not dict and not isinstance(fact, Mapping):
                raise FactError(f"fact {index} is a {type(fact).__name__}, not a mapping")
            size = len(fact)
            if not _flat(fact):
                for key, value in fact.items():
                    if type(value) is dict or (type(value) not in _PLAIN and isinstance(value, Mapping)):
                        size += _count_fields(value)
                    if type(key) is not str or key[:1] == "$":
                        raise FactError(_bad_key(index, key))
            if not _RESERVED_KEYS.isdisjoint(fact):
                raise FactError(_bad_key(index, next(k for k in fact if k in _RESERVED_KEYS)))
            if size > MAX_FACT_FIELDS:
                raise FactTooLargeError(
                    f"fact {index} has {size} fields (each key of a nested object counts); durable-rules "
                    f"takes at most {MAX_FACT_FIELDS} per fact through this wrapper "
                    f"({_ENGINE_MAX_PROPERTIES} with the keys the wrapper adds): more fails with its "
                    "error 302. Split the fact, or drop fields no rule reads"
                )
            prepared = dict(fact)
            prepared[_SID] = sid
            prepared[_ID] = index
            prepared[_MARK] = _FACT
            batch.append(prepared)
        batch.append({_SID: sid, _ID: "end", _MARK: _END})
        try:
            return json.dumps(batch, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise FactError(f"a fact cannot be encoded as JSON: {error}") from error

    def _evaluate(self, handle: int, sid: str, payload: str) -> list[tuple[str, tuple[int, ...]]]:
        fired: list[tuple[str, tuple[int, ...]]] = []
        state: int | None = None
        in_action = completed = False
        try:
            code, state = _core.assert_facts(handle, payload)
            if code != 0:
                # 1: a fact nothing takes (the catch-all rule prevents it); 2: a fact seen before (ids
                # prevent it).
                raise EngineError(f"durable-rules assert_facts returned {code} for session {sid}")
            result = _core.start_action_for_state(handle, state)
            message = result[1] if result else None
            while message:
                in_action = True
                if message[2] != "_":
                    fired.append(self._bound(message))
                message = _core.complete_and_start_action(handle, state)
                completed = True
            in_action = False
        except _core.error as error:
            self._recover(handle, sid, state, in_action, completed)
            raise EngineError(f"durable-rules failed evaluating session {sid}: {error}") from error
        except BaseException:
            self._recover(handle, sid, state, in_action, completed)
            raise
        self._delete(handle, sid, missing_ok=False)
        return fired

    def _recover(self, handle: int, sid: str, state: int | None, in_action: bool, completed: bool) -> None:
        if in_action and state is not None:
            self._abandon(handle, state)
        if completed or self._settle(handle, sid):
            self._delete(handle, sid, missing_ok=True)
        else:
            self._leaked += 1

    def _bound(self, message: str) -> tuple[str, tuple[int, ...]]:
        """The rule an action message is for, and the positions of the facts it bound, in alias order.

        A message is ``{"rule":{"alias":{fact},…}}``, each fact as the wrapper encoded it, ``"id": N`` among
        its keys. Decoding it all cost more than the rest of reading a match; where a fact is flat (as cpc's
        are), its id is read off the text instead. JSON escapes every quote inside a string, so ``"alias":{``
        and ``"id": `` can only be keys; a fact with a brace between its alias and its id (a nested object, or
        a brace in a string) is not scanned, and the whole message is decoded instead.
        """
        name = message[2 : message.index('":{', 2)]
        ids = []
        at = len(name) + 4
        for key in self._keys[name]:
            start = message.find(key, at)
            if start < 0:
                break
            at = message.find('"id": ', start)
            if at < 0 or message.find("{", start + len(key), at) >= 0:
                break
            end = at + 6
            while message[end].isdigit():
                end += 1
            ids.append(int(message[at + 6 : end]))
            at = end
        else:
            return name, tuple(ids)
        bound = _decode(message)[0][name]
        return name, tuple(bound[alias][_ID] for alias in self._aliases[name])

    @staticmethod
    def _abandon(handle: int, state: int) -> None:
        with contextlib.suppress(_core.error):  # nothing was in progress after all
            _core.abandon_action(handle, state)

    @staticmethod
    def _delete(handle: int, sid: str, *, missing_ok: bool) -> None:
        try:
            _core.delete_state(handle, sid)
        except _core.error as error:
            if missing_ok and "309" in str(error):  # the failed run never created the session
                return
            raise EngineError(f"durable-rules could not delete session {sid}: {error}") from error

    @staticmethod
    def _settle(handle: int, sid: str) -> bool:
        # A session may be deleted only once an action has completed in it (see the module docstring), so
        # assert one more end marker, which the end rule takes, and drain whatever is queued, unread.
        try:
            code, state = _core.assert_facts(handle, json.dumps([{_SID: sid, _ID: "settle", _MARK: _END}]))
            if code != 0 or not _core.start_action_for_state(handle, state):
                return False
            while _core.complete_and_start_action(handle, state):
                pass
        except _core.error:
            return False
        return True

    def _matches(self, fired: list[tuple[str, tuple[int, ...]]], facts: Sequence[Any]) -> list[Match]:
        order, aliases = self._order, self._aliases
        fired.sort(key=lambda item: (order[item[0]], item[1]))
        out = []
        for name, ids in fired:
            names = aliases[name]
            if len(ids) == 1:  # most matches bind one fact: two one-key dicts cost less than zipping
                out.append(Match(name, {names[0]: facts[ids[0]]}, {names[0]: ids[0]}))
            else:
                bound = [facts[i] for i in ids]
                out.append(Match(name, dict(zip(names, bound, strict=True)), dict(zip(names, ids, strict=True))))
        return out


_PLAIN: Final = frozenset({str, int, float, bool, type(None), list})
_SCALARS: Final = frozenset({str, int, float, bool, type(None)})


def _flat(fact: Mapping[str, Any]) -> bool:
    """Every key a string not starting with ``$`` and every value a scalar: the checks the rest need not make."""
    return all(type(value) in _SCALARS for value in fact.values()) and all(
        type(key) is str and key[:1] != "$" for key in fact
    )


def _bad_key(index: int, key: object) -> str:
    return (
        f"fact {index} has the key {key!r}: fact keys must be strings, not start with '$' "
        f"and not be one of {sorted(_RESERVED_KEYS)}, which the engine wrapper uses"
    )


def _count_fields(value: Mapping[str, Any]) -> int:
    size = len(value)
    for inner in value.values():
        if isinstance(inner, Mapping):
            size += _count_fields(inner)
    return size


def compile_ruleset(name: str, rules: Sequence[Rule]) -> Ruleset:
    """Validate ``rules`` and load them into durable-rules as a new ruleset.

    ``name`` says what the rules are (``berkshire@v3``); each call gets a unique engine name, so several
    policies, or versions of one, can be loaded side by side. Raises :class:`DuplicateRuleError` for two
    rules of one name and :class:`RulesetError` for anything else the engine would misread.
    """
    if not isinstance(name, str) or not _RULESET_NAME.fullmatch(name):
        raise RulesetError(f"ruleset name {name!r}: use letters, digits and _ . : - @")
    rules = tuple(rules)
    seen: set[str] = set()
    definition: dict[str, Any] = {}
    for rule in rules:
        if not isinstance(rule, Rule):
            raise TypeError(
                f"compile_ruleset takes Rule objects, not {type(rule).__name__}: rules carry no actions, "
                "matches are returned by Ruleset.run"
            )
        if rule.name in seen:
            raise DuplicateRuleError(
                f"ruleset {name}: two rules are named {rule.name!r}; durable-rules would silently keep only the last"
            )
        seen.add(rule.name)
        definition[rule.name] = _compile_rule(name, rule)
    if not rules:
        raise RulesetError(f"ruleset {name} has no rules")
    _check_joins(name, rules)
    # The end rule makes every run complete an action (so its session can be deleted safely); the
    # catch-all join takes every fact, so no fact is "not handled", and never fires (nothing has _NEVER).
    definition[_END_RULE] = {"all": [{_END_ALIAS: {_MARK: _END}}]}
    definition[_CATCH_ALL_RULE] = {"all": [{"_fact": {_MARK: _FACT}}, {"_never": {_MARK: _NEVER}}]}
    engine_name = f"{name}#{next(_ruleset_ids)}"
    return Ruleset(name, engine_name, rules, definition)


def _check_joins(name: str, rules: tuple[Rule, ...]) -> None:
    """Refuse a ruleset in which a fact could reach more join tests than durable-rules can follow (error 303).

    Patterns are grouped by the first equality test they make (the kind of fact they are about); all the
    patterns of a group are counted, whatever their other tests, since one fact can pass several of them,
    and identical patterns of different rules too, since durable-rules does not share their join tests.
    """
    joins: dict[tuple[str, object], int] = {}
    for rule in rules:
        for pattern in rule.match:
            tests = list(field_tests(pattern.where))
            if not any(isinstance(t.value, Ref) for t in tests):
                continue
            first = next((t for t in tests if t.op == "eq" and not isinstance(t.value, Ref)), None)
            key = (first.field, first.value) if first else ("", None)
            joins[key] = joins.get(key, 0) + 1
    for (field, value), patterns in joins.items():
        if patterns > MAX_JOINS_PER_FACT:
            about = f"facts with {field} = {value!r}" if field else "facts"
            raise RulesetError(
                f"durable-rules refused ruleset {name!r} ({len(rules)} engine rules): too many rules join "
                f"{about} to other facts ({patterns} patterns; durable-rules follows at most "
                f"{MAX_JOINS_PER_FACT}, and fails every case that has such a fact with its error 303)"
            )


def field_tests(condition: Condition) -> Iterator[FieldTest]:
    """Every :class:`FieldTest` in ``condition``, however deep in :class:`AllOf` and :class:`AnyOf`, in order."""
    if isinstance(condition, AllOf | AnyOf):
        for inner in condition.conditions:
            yield from field_tests(inner)
    elif isinstance(condition, FieldTest):
        yield condition


def _compile_rule(ruleset: str, rule: Rule) -> dict[str, Any]:
    where = f"ruleset {ruleset}, rule {rule.name!r}"
    if not isinstance(rule.name, str) or not _RULE_NAME.fullmatch(rule.name):
        raise RulesetError(
            f"{where}: a rule name starts with a letter or digit and has only letters, digits and _ . : -"
        )
    if not rule.match and not rule.absent:
        raise RulesetError(f"{where}: a rule needs at least one pattern or absent condition")
    bound: list[str] = []
    patterns: list[dict[str, Any]] = []
    for pattern in rule.match:
        if not isinstance(pattern, Pattern):
            raise RulesetError(f"{where}: match holds {type(pattern).__name__}, not Pattern")
        if not _ALIAS.fullmatch(pattern.alias):
            raise RulesetError(f"{where}: alias {pattern.alias!r} must be a letter followed by letters, digits, _")
        if pattern.alias in bound:
            raise RulesetError(f"{where}: alias {pattern.alias!r} is used twice")
        condition = _compile_condition(pattern.where, tuple(bound), f"{where}, pattern {pattern.alias!r}")
        patterns.append({pattern.alias: _marked(condition)})
        bound.append(pattern.alias)
    if rule.absent:
        # The gate must come before the negations: placed after them, a negation is decided when the
        # facts before it arrive and is not taken back by a fact arriving later in the batch.
        patterns.append({_END_ALIAS: {_MARK: _END}})
        for index, condition in enumerate(rule.absent):
            compiled = _compile_condition(condition, tuple(bound), f"{where}, absent condition {index}")
            patterns.append({f"_absent{index}$not": _marked(compiled)})
    return {"all": patterns}


def _marked(condition: dict[str, Any]) -> dict[str, Any]:
    # Requiring the fact marker keeps durable's own session-state message (which has no marker) from
    # matching: a pattern like ``missing`` alone would otherwise match it and refire on every state update.
    if "$and" in condition and len(condition) == 1:
        return {"$and": [{_MARK: _FACT}, *condition["$and"]]}
    return {"$and": [{_MARK: _FACT}, condition]}


def _compile_condition(condition: Condition, bound: tuple[str, ...], where: str) -> dict[str, Any]:
    if isinstance(condition, AllOf | AnyOf):
        if not condition.conditions:
            raise RulesetError(f"{where}: {type(condition).__name__} of no conditions")
        parts = [_compile_condition(c, bound, where) for c in condition.conditions]
        if len(parts) == 1:
            return parts[0]
        return {"$and" if isinstance(condition, AllOf) else "$or": parts}
    if not isinstance(condition, FieldTest):
        raise RulesetError(f"{where}: {condition!r} is not a condition (FieldTest, AllOf or AnyOf)")
    field, op, value = condition.field, condition.op, condition.value
    if not isinstance(field, str) or not _FIELD.fullmatch(field) or field.split(".")[0] in _RESERVED_KEYS:
        raise RulesetError(
            f"{where}: field {field!r}: use dotted identifiers, and not {sorted(_RESERVED_KEYS)} (the wrapper's)"
        )
    if op not in _OPS:
        raise RulesetError(f"{where}: unknown operator {op!r}; use one of {sorted(_OPS)}")
    if op == "exists":
        return {"$ex": {field: 1}}
    if op == "missing":
        return {"$nex": {field: 1}}
    if op == "in":
        if not isinstance(value, tuple) or not value:
            raise RulesetError(f"{where}: 'in' takes a non-empty tuple of values")
        options = [{field: _scalar(v, where)} for v in value]
        return options[0] if len(options) == 1 else {"$or": options}
    rvalue = _rvalue(value, bound, where)
    if op == "eq":
        return {field: rvalue}
    if op == "ne":
        return {"$neq": {field: rvalue}}
    if not isinstance(value, Ref) and (isinstance(value, bool) or not isinstance(value, str | int | float)):
        raise RulesetError(
            f"{where}: {op} needs a number or a string, not {value!r}: durable-rules orders mixed types arbitrarily"
        )
    return {_ORDERING[op]: {field: rvalue}}


def _rvalue(value: object, bound: tuple[str, ...], where: str) -> Any:
    if isinstance(value, Ref):
        if value.alias not in bound:
            raise RulesetError(
                f"{where}: Ref to {value.alias!r}, which no earlier pattern of the rule binds (bound: {list(bound)})"
            )
        if not _FIELD.fullmatch(value.field):
            raise RulesetError(f"{where}: Ref field {value.field!r} is not a dotted identifier")
        return {value.alias: value.field}
    return _scalar(value, where)


def _scalar(value: object, where: str) -> Scalar:
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float) and value == value and value not in (float("inf"), float("-inf")):
        return value
    raise RulesetError(f"{where}: value {value!r} is not a string, number, boolean or None")
