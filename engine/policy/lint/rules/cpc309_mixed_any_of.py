"""CPC309: An `any_of` mixes members about different things, or tests events outside `when`."""

from collections.abc import Iterator

from engine.core.findings import Finding, Severity
from engine.policy.lint.base import LintContext, LintRule, rule_items
from engine.policy.lint.rules._conditions import fact_kind, placed_conditions

_WORDS = {
    "case": "a fact of the case",
    "conference": "a conference fact",
    "exclusion_request": "an exclusion request fact",
    "report": "a report fact",
    "event": "an event",
}


class MixedAnyOf(LintRule):
    """An `any_of` mixes members about different things, or tests events outside `when`.

    What it does:
        Checks that the members of every `any_of` test facts of one kind (all of the case, or all
        `conference.*`, all `exclusion_request.*` or all `report.*`) or all test events, and that an
        `any_of` of events is only in a rule's `when`. Reports the first member unlike the first one.

    Why is this bad?
        The engine tests an `any_of` of facts against one thing (the case, or the conference, request or
        report the result is about), chosen by its first member: a member about something else is tested
        against the wrong record and never holds. A requirement's `require` and `unless` test facts only,
        so an `any_of` of events there is never evaluated. Write two conditions, or two rules.

    Example:
        ```yaml
        when:
          - any_of:
              - {fact: child.looked_after, equals: true}
              - {fact: conference.type, equals: transfer_in}
        ```

    Use instead:
        ```yaml
        when:
          - any_of:
              - {fact: child.looked_after, equals: true}
              - {fact: child.care_order, equals: true}
        ```
    """

    code = "CPC309"
    name = "mixed-any-of"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for base, item in rule_items(ctx.policy):
            for placed in placed_conditions(item):
                members = placed.condition.get("any_of")
                if placed.member or not isinstance(members, list):
                    continue
                kinds = [_kind(m) for m in members]
                first = kinds[0] if kinds else None
                if first is None:
                    continue
                mixed = next((i for i, k in enumerate(kinds) if k is not None and k != first), None)
                if mixed is not None:
                    # Events in an optional_when are the schema's to report (CPC100).
                    if placed.place == "optional_when" and "event" in (first, kinds[mixed]):
                        continue
                    yield self.finding(
                        ctx,
                        (*base, *placed.path, "any_of", mixed),
                        f"{_WORDS[kinds[mixed]]} in an `any_of` whose first member tests {_WORDS[first]}",
                        hint="the members of one `any_of` test facts of one kind, or events: split it",
                    )
                elif first == "event" and placed.place in ("require", "unless"):
                    yield self.finding(
                        ctx,
                        (*base, *placed.path, "any_of"),
                        f"an `any_of` of events in `{placed.place}`, which tests facts only",
                        hint="test events in the rule's `when`",
                        key=True,
                    )


def _kind(member: object) -> str | None:
    if not isinstance(member, dict):
        return None
    fact = member.get("fact")
    if isinstance(fact, str):
        return fact_kind(fact)
    if "event" in member or "elapsed" in member:
        return "event"
    return None
