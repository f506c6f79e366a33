"""CPC401: A rule or override has no citation, or a citation with an empty quote."""

from collections.abc import Iterator

from engine.core.findings import Finding, Severity
from engine.policy.lint.base import LintContext, LintRule
from engine.policy.lint.rules.cpc203_unknown_source import _citations, cited_items


class MissingCitation(LintRule):
    """A rule or override has no citation, or a citation with an empty quote.

    What it does:
        Requires every rule and every override to carry `cite`, and every citation to quote at least
        a few words of its source.

    Why is this bad?
        Every value in a policy must be tied to the sentence of the procedure it encodes, so that a
        reviewer can check it and nobody invents a timescale. A value without a citation cannot be
        told apart from a guess.

    Example:
        ```yaml
        - id: plan-discussed-with-parents
          title: The plan is discussed with the parents within 20 working days.
          kind: deadline
          topic: plans
          deadline:
            what: plan_discussed_with_parents
            within: 20 working days
            of: first_conference
        ```

    Use instead:
        ```yaml
          cite:
            source: berkshire-cpc
            quote: "should be discussed with the parents by the children's allocated social worker within 20 working days"
        ```
    """

    code = "CPC401"
    name = "missing-citation"
    severity = Severity.ERROR
    reported_by = "schema"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for base, rule in cited_items(ctx.policy):
            for index, cite in _citations(rule):
                quote = cite.get("quote")
                if isinstance(quote, str) and len(quote.split()) < 3:
                    yield self.finding(
                        ctx,
                        (*base, "cite", *index, "quote"),
                        "the quote is too short to identify the sentence it comes from",
                        hint="quote at least three words of the source, including the value",
                    )
