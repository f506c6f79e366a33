"""`cpc show`: an area's resolved policy as a summary, marking what is local and what is inherited."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from engine.core.resources import shipped_policies
from engine.policy import describe
from engine.policy.library import PolicyFile
from engine.policy.resolve import ResolvedPolicy, ResolvedRule

TOPIC_ORDER = (
    "conference-types",
    "timescales",
    "attendance",
    "quorum",
    "exclusion",
    "reports",
    "records",
    "plans",
    "step-down",
)


def origin(rule: ResolvedRule, area: str) -> str:
    """Where the rule's values come from, as a reader of ``area``'s policy needs to know."""
    if rule.origin == "local":
        return "local"
    if rule.origin == "overridden":
        changed = ", ".join(sorted(k for k in rule.local_keys if k not in ("cite", "title", "reading")))
        if not changed:
            return f"{area} restates {rule.defined_in}'s values with its own citation"
        return f"{area} overrides {rule.defined_in}: {changed}"
    return f"inherited from {rule.defined_in}"


def is_shipped(policy: PolicyFile) -> bool:
    """Whether a policy file is one of those installed with cpc, not the user's own."""
    return Path(policy.file).resolve().is_relative_to(shipped_policies())


def effective(rule: ResolvedRule, policy: ResolvedPolicy) -> dict:
    """The rule's data as it applies: an exception that disapplies its base has no parameters of its own, and
    is given its base's, so that what it disapplies can be said."""
    data = dict(rule.data)
    base = policy.rules.get(str(rule.exception_of)) if rule.exception_of else None
    if base is not None and not isinstance(data.get(base.kind), Mapping):
        data["kind"] = base.kind
        data[base.kind] = dict(base.parameters)
    return data


def beside_bases(rules: Iterable[ResolvedRule]) -> list[ResolvedRule]:
    """The rules in their order, except that each exception comes right after the rule it is an exception to."""
    listed = list(rules)
    ids = {rule.id for rule in listed}
    exceptions: dict[str, list[ResolvedRule]] = {}
    for rule in listed:
        base = rule.data.get("exception_of")
        if base in ids:
            exceptions.setdefault(str(base), []).append(rule)
    placed: dict[str, ResolvedRule] = {}

    def place(rule: ResolvedRule) -> None:
        if rule.id not in placed:
            placed[rule.id] = rule
            for exception in exceptions.get(rule.id, []):
                place(exception)

    for rule in listed:
        if rule.data.get("exception_of") not in ids:
            place(rule)
    # An exception whose base is itself an exception of it (which lint refuses) still appears, at the end.
    for rule in listed:
        place(rule)
    return list(placed.values())


def _grouped(policy: ResolvedPolicy) -> list[tuple[str, list[ResolvedRule]]]:
    groups: dict[str, list[ResolvedRule]] = {}
    for rule in beside_bases(policy.rules.values()):
        groups.setdefault(str(rule.data.get("topic", "other")), []).append(rule)
    order = {t: i for i, t in enumerate(TOPIC_ORDER)}
    return sorted(groups.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def as_text(policy: ResolvedPolicy) -> str:
    lines = [
        f"{policy.title}",
        f"area {policy.area}, version {policy.version}, in force from "
        f"{policy.effective_from.isoformat() if policy.effective_from else 'an unknown date'}",
    ]
    if len(policy.chain) > 1:
        lines.append("builds on: " + " → ".join(f"{p.area} {p.version}" for p in policy.chain[:-1]))
    counts = {"local": 0, "overridden": 0, "inherited": 0}
    for rule in policy.rules.values():
        counts[rule.origin] += 1
    lines.append(
        f"{len(policy.rules)} rules: {counts['local']} local, {counts['overridden']} overridden locally, "
        f"{counts['inherited']} inherited" + (f"; {len(policy.withdrawn)} withdrawn" if policy.withdrawn else "")
    )
    # A local folder wins over the shipped copy of an area: say which file each level was read from.
    lines.append("read from:")
    for item in reversed(policy.chain):
        lines.append(f"  {item.area} {item.version}: {item.file}{' (shipped with cpc)' if is_shipped(item) else ''}")
    for topic, rules in _grouped(policy):
        lines.append("")
        lines.append(topic.replace("-", " ").capitalize())
        for rule in rules:
            # An exception is listed under its base, indented, with only the conditions it adds.
            pad = "  " if rule.exception_of in policy.rules else ""
            lines.append(f"{pad}  {rule.id} [{rule.kind}, {origin(rule, policy.area)}]")
            lines.append(f"{pad}    {rule.data.get('title', '')}")
            for line in _statement(rule, policy):
                lines.append(f"{pad}    {line}")
            for cite in rule.citations:
                source = policy.sources.get(cite.get("source"), {})
                lines.append(f'{pad}    cites {source.get("file", cite.get("source"))}: "{cite.get("quote", "")}"')
            if rule.data.get("reading"):
                lines.append(f"{pad}    reading: {rule.data['reading']}")
    if policy.withdrawn:
        lines.append("")
        lines.append("Withdrawn")
        for item in policy.withdrawn.values():
            lines.append(f"  {item.id} (from {item.rule.defined_in}, withdrawn by {item.area}): {item.reason}")
    return "\n".join(lines) + "\n"


def _statement(rule: ResolvedRule, policy: ResolvedPolicy) -> list[str]:
    """When the rule applies and what it requires: a ``when:`` line and a summary, or an exception's one line."""
    if rule.exception_of:
        return [summary(rule, policy)]
    when = describe.conditions(rule.data.get("when"))
    return ([f"when: {when}"] if when else []) + [summary(rule, policy)]


def summary(rule: ResolvedRule, policy: ResolvedPolicy) -> str:
    """What the rule requires in one line; for an exception, its base, its own conditions and what it changes."""
    if rule.exception_of:
        return describe.exception(effective(rule, policy), list(rule.exception_when))
    return describe.parameters(dict(rule.data))


def as_dict(policy: ResolvedPolicy) -> dict:
    return {
        "area": policy.area,
        "title": policy.title,
        "version": policy.version,
        "effective_from": policy.effective_from.isoformat() if policy.effective_from else None,
        "extends": [p.area for p in policy.chain[:-1]],
        "files": [
            {"area": p.area, "version": p.version, "file": p.file, "shipped": is_shipped(p)}
            for p in reversed(policy.chain)
        ],
        "rules": [
            {
                "id": rule.id,
                "kind": rule.kind,
                "origin": rule.origin,
                "defined_in": rule.defined_in,
                "local_keys": sorted(rule.local_keys) if rule.origin == "overridden" else [],
                "summary": summary(rule, policy),
                "exception_of": rule.exception_of,
                "exception_when": _plain(list(rule.exception_when)),
                "rule": _plain(rule.data),
            }
            for rule in beside_bases(policy.rules.values())
        ],
        "withdrawn": [
            {"id": w.id, "reason": w.reason, "by": w.area, "defined_in": w.rule.defined_in}
            for w in policy.withdrawn.values()
        ],
    }


def _plain(value: object) -> object:
    import datetime as dt
    from types import MappingProxyType

    if isinstance(value, dict | MappingProxyType):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def as_json(policy: ResolvedPolicy) -> str:
    return json.dumps(as_dict(policy), indent=2, ensure_ascii=False) + "\n"
