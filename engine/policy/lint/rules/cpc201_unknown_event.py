"""CPC201: A rule names an event or fact that cpc does not know."""

from collections.abc import Iterator

from engine.core.findings import Finding, Severity
from engine.core.vocabulary import EVENTS, FACTS, closest
from engine.policy.lint.base import LintContext, LintRule, rule_items
from engine.policy.walk import references


class UnknownEvent(LintRule):
    """A rule names an event or fact that cpc does not know.

    What it does:
        Checks every event (`what`, `of`, `before`, `after`, `until`, `event`, `since`) and every fact
        (`fact`), in a condition or a member of `any_of`, against cpc's vocabulary
        (`engine/core/vocabulary.py`, listed in `docs/policy-format.md`), and names the nearest known word. A value compared with a fact of a closed set (`conference.type: pre_birth`)
        is checked by the schema (CPC100), which names the nearest allowed value.

    Why is this bad?
        The engine only knows the events a case can record. A rule that waits on an event no case ever
        has can never be met or missed: it is silently dead.

    Example:
        ```yaml
        deadline:
          what: initial_conference
          within: 15 working days
          of: strategy_meeting_s47
        ```

    Use instead:
        ```yaml
        deadline:
          what: initial_conference
          within: 15 working days
          of: strategy_discussion
        ```
    """

    code = "CPC201"
    name = "unknown-event"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for base, rule in rule_items(ctx.policy):
            for ref in references(rule):
                path = (*base, *ref.path)
                if ref.kind == "event" and ref.name not in EVENTS:
                    yield self._unknown(ctx, path, "event", ref.name, list(EVENTS))
                elif ref.kind == "fact" and ref.name not in FACTS:
                    yield self._unknown(ctx, path, "fact", ref.name, list(FACTS))

    def _unknown(self, ctx: LintContext, path: tuple, what: str, name: str, known: list[str]) -> Finding:
        near = closest(name, known)
        hint = (
            f"did you mean '{near}'?"
            if near
            else f"known: {', '.join(known[:12])}" + (", …" if len(known) > 12 else "")
        )
        return self.finding(ctx, path, f"unknown {what} '{name}'", hint=hint)
