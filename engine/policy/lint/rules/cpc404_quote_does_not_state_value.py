"""CPC404: A rule sets a number that none of its quotes states."""

from collections.abc import Iterator

from engine.core.durations import Duration, Unit
from engine.core.findings import Finding, Severity
from engine.policy.citations import states_value
from engine.policy.lint.base import LintContext, LintRule, rule_items
from engine.policy.lint.rules.cpc203_unknown_source import _citations
from engine.policy.walk import values


class QuoteDoesNotStateValue(LintRule):
    """A rule sets a number that none of its quotes states.

    What it does:
        For every duration and number a rule or override sets (`within: 15 working days`,
        `not_before: 3 months`, each clock of `whichever_sooner` and `whichever_later`, `at_least: 2`
        agencies, an age of 12, in a condition or in a member of `any_of`), checks that at least one of its quotes states that
        number, in digits or in words, and for a duration the unit right after it: `15 days` needs
        "15 days", not "15 working days". A zero (`at_least: 0 days`, "on or before") needs no number.

    Why is this bad?
        The quote is the evidence for the value. A quote that shows a different number, or a different
        unit, is evidence against it; a quote that shows none leaves the value unsupported.

    Example:
        ```yaml
        deadline:
          what: first_core_group
          within: 15 working days
          of: initial_conference
        cite:
          source: berkshire-cpc
          quote: "A date is set for the first core group meeting within ten working days of the Initial Conference"
        ```

    Use instead:
        ```yaml
        deadline:
          within: 10 working days
        ```
    """

    code = "CPC404"
    name = "quote-does-not-state-value"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for base, rule in rule_items(ctx.policy):
            quotes = [c["quote"] for _, c in _citations(rule) if isinstance(c.get("quote"), str)]
            if not quotes:
                continue
            for value in values(rule):
                if value.amount == 0:
                    continue
                if not any(states_value(q, value.amount, value.unit) for q in quotes):
                    # "1 day", not "1 days": the duration as a policy writes it.
                    stated = str(Duration(value.amount, Unit(value.unit))) if value.unit else str(value.amount)
                    yield self.finding(
                        ctx,
                        (*base, *value.path),
                        f"no quote of this rule states {stated}",
                        hint="quote the sentence that sets this value, or correct the value",
                    )
