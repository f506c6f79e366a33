"""CPC305: Two exceptions to one rule can both apply and say different things."""

from collections.abc import Iterator
from dataclasses import replace

import yaml

from engine.core.findings import Finding, Severity
from engine.policy.exclusive import can_both_hold
from engine.policy.lint.base import LintContext, LintRule
from engine.policy.lint.rules._exceptions import base_of, own_conditions
from engine.policy.resolve import ResolvedRule


class AmbiguousExceptions(LintRule):
    """Two exceptions to one rule can both apply and say different things.

    What it does:
        For every two exceptions to the same base rule, checks that their own `when` conditions are
        exclusive (some fact on which they cannot both hold: `equals: true` in one and `equals: false`
        in the other, ranges that do not overlap, `present: false` against any test of the value) or
        that they give the same result. Reports the second of the two, names the first, and suggests a
        fact to make them exclusive on.

    Why is this bad?
        Where both apply, the policy gives two answers (two due dates, or one due date and "the rule
        does not apply") and nothing says which wins: a case is judged by whichever the engine happens
        to pick, or not at all. Catala makes this an error for the same reason. The procedure usually
        says which case is meant; encode that as a condition.

    Example:
        ```yaml
        - id: meeting-mother-unfit
          exception_of: after-birth-meeting
          when:
            - {fact: mother.medically_fit, equals: false}
          deadline: {what: core_group_meeting, within: 20 working days, of: birth}
        - id: meeting-baby-premature
          exception_of: after-birth-meeting
          when:
            - {fact: child.premature_birth_likely, equals: true}
          deadline: {what: core_group_meeting, within: 25 working days, of: birth}
        ```

    Use instead:
        ```yaml
        - id: meeting-baby-premature
          exception_of: after-birth-meeting
          when:
            - {fact: child.premature_birth_likely, equals: true}
            - {fact: mother.medically_fit, equals: true}
          deadline: {what: core_group_meeting, within: 25 working days, of: birth}
        ```
    """

    code = "CPC305"
    name = "ambiguous-exceptions"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        by_base: dict[str, list[ResolvedRule]] = {}
        for rule in ctx.resolved.rules.values():
            base_id = base_of(rule)
            if base_id is not None and base_id in ctx.resolved.rules:
                by_base.setdefault(base_id, []).append(rule)
        for base_id, exceptions in by_base.items():
            base = ctx.resolved.rules[base_id]
            for j, second in enumerate(exceptions):
                for first in exceptions[:j]:
                    if ctx.policy not in (first.source, second.source):
                        continue  # both come from the policies this one extends: reported there
                    difference = _difference(base, first, second)
                    if difference is None or not can_both_hold(own_conditions(first), own_conditions(second)):
                        continue
                    here, there = (second, first) if second.source is ctx.policy else (first, second)
                    yield self._report(ctx, base_id, here, there, difference)

    def _report(
        self, ctx: LintContext, base_id: str, here: ResolvedRule, there: ResolvedRule, difference: str
    ) -> Finding:
        line, column = there.source.doc.position((*there.path, "id"))
        where = f"line {line}" if there.source is here.source else f"'{there.source.area}', line {line}"
        item = _item(here)
        path = (*here.path, "when") if "when" in item else (*here.path, "id")
        finding = self.finding(
            ctx,
            path,
            f"exceptions '{there.id}' ({where}) and '{here.id}' to '{base_id}' can both apply, and {difference}",
            hint=_hint(there, here),
            key=path[-1] == "when",
        )
        return replace(finding, related=((there.source.file, line, column),))


def _item(rule: ResolvedRule) -> dict:
    """The mapping the file writes at the rule's path."""
    node: object = rule.source.data
    for part in rule.path:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return {}
    return node if isinstance(node, dict) else {}


def _difference(base: ResolvedRule, first: ResolvedRule, second: ResolvedRule) -> str | None:
    """How the two exceptions' results differ, in words; None when they give the same result."""
    first_off, second_off = first.data.get("disapplies") is True, second.data.get("disapplies") is True
    if first_off and second_off:
        return None
    if first_off != second_off:
        which = first if first_off else second
        return f"'{which.id}' disapplies '{base.id}' where the other changes it"
    kind = base.kind
    a, b = _effective(base, first), _effective(base, second)
    changed = [key for key in dict.fromkeys([*a, *b]) if a.get(key) != b.get(key)]
    if not changed:
        return None
    key = changed[0]
    others = len(changed) - 1
    more = f" (and {others} other key{'s' if others > 1 else ''})" if others else ""
    return f"give different {kind}.{key}: {_show(a.get(key))} and {_show(b.get(key))}{more}"


def _effective(base: ResolvedRule, exception: ResolvedRule) -> dict:
    """The parameters an exception gives: its own whole block, which replaces the base's."""
    own = exception.data.get(base.kind)
    return dict(own) if isinstance(own, dict) else {}


def _show(value: object) -> str:
    return "nothing" if value is None else _flow(value)


def _flow(value: object) -> str:
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000).removesuffix("...\n").strip()


def _negation(condition: dict) -> dict | None:
    """A condition that cannot hold together with ``condition``, for the hint; None when none reads simply."""
    fact = condition.get("fact")
    if isinstance(fact, str):
        if isinstance(condition.get("equals"), bool):
            return {"fact": fact, "equals": not condition["equals"]}
        for test, opposite in (("equals", "not_equals"), ("not_equals", "equals"), ("at_least", "below")):
            if test in condition:
                return {"fact": fact, opposite: condition[test]}
        if "below" in condition:
            return {"fact": fact, "at_least": condition["below"]}
        if isinstance(condition.get("present"), bool):
            return {"fact": fact, "present": not condition["present"]}
        return None
    event = condition.get("event")
    if isinstance(event, str) and set(condition) == {"event"}:
        return {"event": event, "happened": False}
    if isinstance(event, str) and set(condition) == {"event", "happened"} and condition["happened"] is False:
        return {"event": event}
    return None


def _tested(conditions: list[dict]) -> set[str]:
    return {str(c.get("fact") or c.get("event")) for c in conditions if c.get("fact") or c.get("event")}


def _hint(first: ResolvedRule, second: ResolvedRule) -> str:
    """Which fact to make the two exclusive on, with a condition to add where one reads simply."""
    for source, target in ((first, second), (second, first)):
        others = _tested(own_conditions(target))
        for condition in own_conditions(source):
            negation = _negation(condition)
            name = condition.get("fact") or condition.get("event")
            if negation is not None and name not in others:
                return f"make them exclusive on '{name}': add `{_flow(negation)}` to the `when` of '{target.id}'"
    shared = sorted(_tested(own_conditions(first)) & _tested(own_conditions(second)))
    if shared:
        return f"make them exclusive on '{shared[0]}', which both test: no value should meet both tests"
    return "make them exclusive on one fact: a condition in each `when` that cannot hold with the other's"
