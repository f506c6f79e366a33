"""Resolve inheritance: a local policy is its base's rules, then its overrides, withdrawals and additions.

Resolution never stops at the first problem: the linter reports every one of them from the same pass,
and :func:`resolve` leaves a problem out of the result rather than guessing.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from engine.policy.library import Library, PolicyFile

KIND_PARAMETERS = ("deadline", "requirement", "decision")
_MERGED_KEYS = (*KIND_PARAMETERS, "calendar")

Origin = Literal["local", "inherited", "overridden"]


@dataclass(frozen=True, slots=True)
class ResolveIssue:
    """A problem found while resolving; the linter turns each into a finding."""

    code: str
    message: str
    file: str
    path: tuple[str | int, ...]
    hint: str = ""
    key: bool = False


@dataclass(frozen=True, slots=True)
class ResolvedRule:
    """A rule as it applies in an area, with where each part of it came from."""

    id: str
    data: MappingProxyType
    defined_in: str
    origin: Origin
    local_keys: frozenset[str]
    source: PolicyFile
    path: tuple[str | int, ...]
    base: ResolvedRule | None = None
    # An exception (docs/policy-format.md, "Exceptions"): the rule it is an exception to, and its own
    # conditions; ``data["when"]`` is then the base's conditions and these.
    exception_of: str | None = None
    exception_when: tuple[dict, ...] = ()

    @property
    def kind(self) -> str:
        return self.data.get("kind", "")

    @property
    def parameters(self) -> dict:
        value = self.data.get(self.kind)
        return value if isinstance(value, dict) else {}

    @property
    def citations(self) -> list[dict]:
        cite = self.data.get("cite")
        if isinstance(cite, dict):
            return [cite]
        return [c for c in cite if isinstance(c, dict)] if isinstance(cite, list) else []


@dataclass(frozen=True, slots=True)
class Withdrawal:
    id: str
    reason: str
    area: str
    rule: ResolvedRule


@dataclass(slots=True)
class ResolvedPolicy:
    """An area's policy after inheritance: the thing the engine evaluates and ``cpc show`` prints."""

    area: str
    title: str
    version: str
    effective_from: dt.date | None
    chain: list[PolicyFile]
    rules: dict[str, ResolvedRule]
    withdrawn: dict[str, Withdrawal]
    calendar: dict
    sources: dict[str, dict]
    issues: list[ResolveIssue] = field(default_factory=list)
    # The short name for headings and columns (the slug when the policy gives none), and the page's
    # owner, contact and review date: the area's own, never inherited from the policy it builds on.
    name: str = ""
    publication: dict = field(default_factory=dict)

    @property
    def file(self) -> PolicyFile:
        return self.chain[-1]

    def __repr__(self) -> str:
        # The default repr would print every rule, citation and the source of each file: megabytes.
        bases = "".join(f" extends {p.area} {p.version}" for p in reversed(self.chain[:-1]))
        since = self.effective_from.isoformat() if self.effective_from else "always"
        return f"<ResolvedPolicy {self.area} {self.version} (from {since}){bases}: {len(self.rules)} rules>"


def _freeze(data: dict) -> MappingProxyType:
    return MappingProxyType(copy.deepcopy(data))


def _merge(base: dict, change: dict) -> tuple[dict, set[str]]:
    merged = copy.deepcopy(base)
    changed: set[str] = set()
    for key, value in change.items():
        if key == "id":
            continue
        if key in _MERGED_KEYS and isinstance(value, dict) and isinstance(merged.get(key), dict):
            for sub, sub_value in value.items():
                if merged[key].get(sub) != sub_value:
                    changed.add(f"{key}.{sub}")
                merged[key][sub] = copy.deepcopy(sub_value)
        else:
            if merged.get(key) != value:
                changed.add(key)
            merged[key] = copy.deepcopy(value)
    return merged, changed


def _items(policy: PolicyFile, key: str) -> list[tuple[int, dict]]:
    value = policy.data.get(key)
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict) and isinstance(item.get("id"), str)]


def chain_of(
    policy: PolicyFile, library: Library, as_of: dt.date | None = None
) -> tuple[list[PolicyFile], list[ResolveIssue]]:
    """The policy and its bases, base first; with an issue for an unknown base or a cycle."""
    chain = [policy]
    issues: list[ResolveIssue] = []
    seen = {policy.area}
    current = policy
    while current.extends:
        day = as_of or current.effective_from
        base = library.get(current.extends, day)
        if base is None:
            known = ", ".join(library.areas) or "none"
            message = f"'{current.extends}' is not a known area (known: {known})"
            if current.extends in library.areas and day is not None:
                message = f"no version of '{current.extends}' is in force on {day.isoformat()}"
            issues.append(
                ResolveIssue(
                    "CPC204",
                    message,
                    current.file,
                    ("extends",),
                    hint="name an area that has a policy folder, usually 'england'",
                )
            )
            break
        if base.area in seen:
            loop = " → ".join([p.area for p in chain] + [base.area])
            issues.append(
                ResolveIssue(
                    "CPC502",
                    f"inheritance cycle: {loop}",
                    current.file,
                    ("extends",),
                    hint="one policy in the loop must extend another, or nothing (the national baseline)",
                )
            )
            break
        seen.add(base.area)
        chain.append(base)
        current = base
    chain.reverse()
    return chain, issues


def resolve(policy: PolicyFile, library: Library, as_of: dt.date | None = None) -> ResolvedPolicy:
    """Resolve ``policy`` against its bases in ``library``, each base taken at the version in force."""
    chain, issues = chain_of(policy, library, as_of)
    rules: dict[str, ResolvedRule] = {}
    withdrawn: dict[str, Withdrawal] = {}
    calendar: dict = {}
    sources: dict[str, dict] = {}
    for layer in chain:
        area = layer.area
        for source_id, source in (layer.data.get("sources") or {}).items():
            if isinstance(source, dict):
                sources[source_id] = {**source, "area": area}
        if isinstance(layer.data.get("calendar"), dict):
            calendar, _ = _merge({"calendar": calendar}, {"calendar": layer.data["calendar"]})
            calendar = calendar["calendar"]
        # Rules already seen at this layer, to report a duplicate once against its first definition.
        mine: dict[str, tuple[str | int, ...]] = {}
        for index, item in _items(layer, "overrides"):
            rule_id = item["id"]
            path = ("overrides", index)
            if rule_id in mine:
                issues.append(_duplicate(layer, rule_id, path, mine[rule_id]))
                continue
            mine[rule_id] = path
            inherited = rules.get(rule_id)
            if inherited is None and len(chain) == 1 and layer.extends:
                # The base could not be found (CPC204 says so); whether it has this rule cannot be told.
                continue
            if inherited is None or inherited.defined_in == area:
                if inherited is not None:
                    why = "this policy defines itself"
                elif rule_id in withdrawn:
                    why = f"'{withdrawn[rule_id].area}' withdraws"
                elif len(chain) == 1:
                    why = "cannot be inherited: this policy extends no other"
                else:
                    why = "no policy this one extends has"
                issues.append(
                    ResolveIssue(
                        "CPC501",
                        f"override of '{rule_id}', which {why}",
                        layer.file,
                        (*path, "id"),
                        hint=_suggest(rule_id, rules) or "add the rule under 'rules' instead, or fix the id",
                    )
                )
                continue
            merged, changed = _merge(dict(inherited.data), item)
            rules[rule_id] = ResolvedRule(
                rule_id,
                _freeze(merged),
                inherited.defined_in,
                "overridden",
                frozenset(changed),
                layer,
                path,
                inherited,
            )
        for index, item in _items(layer, "withdrawn"):
            rule_id = item["id"]
            path = ("withdrawn", index)
            if rule_id in mine:
                issues.append(_duplicate(layer, rule_id, path, mine[rule_id]))
                continue
            mine[rule_id] = path
            inherited = rules.pop(rule_id, None)
            if inherited is None:
                issues.append(
                    ResolveIssue(
                        "CPC202",
                        f"withdraws '{rule_id}', which no policy this one extends has",
                        layer.file,
                        (*path, "id"),
                        hint=_suggest(rule_id, rules) or "check the id against `cpc show` of the base area",
                    )
                )
                continue
            withdrawn[rule_id] = Withdrawal(rule_id, str(item.get("reason", "")), area, inherited)
        for index, item in _items(layer, "rules"):
            rule_id = item["id"]
            path = ("rules", index)
            if rule_id in mine:
                issues.append(_duplicate(layer, rule_id, path, mine[rule_id]))
                continue
            mine[rule_id] = path
            existing = rules.get(rule_id) or (withdrawn[rule_id].rule if rule_id in withdrawn else None)
            if existing is not None:
                issues.append(
                    ResolveIssue(
                        "CPC303",
                        f"rule id '{rule_id}' is already defined in '{existing.defined_in}'",
                        layer.file,
                        (*path, "id"),
                        hint="to change the inherited rule, list it under 'overrides'; else pick a new id",
                    )
                )
                continue
            rules[rule_id] = ResolvedRule(rule_id, _freeze(item), area, "local", frozenset(item), layer, path)
    final = {rule_id: rule if rule.source is policy else _as_inherited(rule) for rule_id, rule in rules.items()}
    final = _with_exceptions(final, withdrawn)
    return ResolvedPolicy(
        area=policy.area,
        title=str(policy.data.get("title", "")),
        version=policy.version,
        effective_from=policy.effective_from,
        chain=chain,
        rules=final,
        withdrawn=withdrawn,
        calendar=calendar,
        sources=sources,
        issues=issues,
        name=str(policy.data.get("name") or policy.area),
        publication=dict(policy.data.get("publication") or {}),
    )


def _as_inherited(rule: ResolvedRule) -> ResolvedRule:
    return ResolvedRule(
        rule.id, rule.data, rule.defined_in, "inherited", frozenset(), rule.source, rule.path, rule.base
    )


def _with_exceptions(rules: dict[str, ResolvedRule], withdrawn: dict[str, Withdrawal]) -> dict[str, ResolvedRule]:
    """Each exception as it applies: under its base's conditions as well as its own.

    An exception whose base is withdrawn is withdrawn with it. One whose base is missing, is itself an
    exception, or is of another kind is left out: ``cpc lint`` reports it, and loading refuses the policy.
    """
    out: dict[str, ResolvedRule] = {}
    for rule_id, rule in rules.items():
        base_id = rule.data.get("exception_of")
        if not isinstance(base_id, str):
            out[rule_id] = rule
            continue
        base = rules.get(base_id)
        if base is None and base_id in withdrawn:
            reason = f"it is an exception to '{base_id}', which is withdrawn: {withdrawn[base_id].reason}"
            withdrawn[rule_id] = Withdrawal(rule_id, reason, withdrawn[base_id].area, rule)
            continue
        if base is None or isinstance(base.data.get("exception_of"), str) or base.kind != rule.kind:
            continue
        own = tuple(c for c in rule.data.get("when") or () if isinstance(c, dict))
        data = copy.deepcopy(dict(rule.data))
        data["when"] = [*copy.deepcopy(list(base.data.get("when") or [])), *copy.deepcopy(list(own))]
        out[rule_id] = ResolvedRule(
            rule.id,
            MappingProxyType(data),
            rule.defined_in,
            rule.origin,
            rule.local_keys,
            rule.source,
            rule.path,
            rule.base,
            base_id,
            own,
        )
    return out


def exceptions_of(policy: ResolvedPolicy, rule_id: str) -> list[ResolvedRule]:
    """The exceptions to ``rule_id`` in ``policy``, in the policy's order."""
    return [r for r in policy.rules.values() if r.exception_of == rule_id]


def _duplicate(layer: PolicyFile, rule_id: str, path: tuple, first: tuple) -> ResolveIssue:
    line, _ = layer.doc.position(first)
    return ResolveIssue(
        "CPC303",
        f"rule id '{rule_id}' appears twice in this policy (first at line {line})",
        layer.file,
        (*path, "id"),
        hint="each id may appear once across rules, overrides and withdrawn",
    )


def _suggest(rule_id: str, rules: dict) -> str:
    from engine.core.vocabulary import closest

    near = closest(rule_id, list(rules))
    return f"did you mean '{near}'?" if near else ""
