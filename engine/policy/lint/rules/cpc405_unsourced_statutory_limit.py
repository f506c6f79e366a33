"""CPC405: A limit is marked statutory, but none of its citations is a statutory source."""

from collections.abc import Iterator

from engine.core.findings import Finding, Severity
from engine.policy.lint.base import LintContext, LintRule, rule_items
from engine.policy.lint.rules.cpc203_unknown_source import _citations


class UnsourcedStatutoryLimit(LintRule):
    """A limit is marked statutory, but none of its citations is a statutory source.

    What it does:
        For every rule or override that writes `statutory: maximum` or `statutory: minimum`, checks that
        at least one of its citations names a source declared with `kind: statutory` (legislation or
        statutory guidance, as opposed to `local_procedure` or `advice`).

    Why is this bad?
        `statutory` stops every local policy from loosening the value (CPC302), so it must rest on a text
        that has that force. A value marked statutory on the word of a local procedure that restates it
        may be a local choice, or a misreading; the rule is never to mark a value statutory that no
        statutory source states.

    Example:
        ```yaml
        sources:
          berkshire-cpc:
            title: Pan-Berkshire Child Protection Conferences
            file: 004_60b63b0436c08953.txt
            kind: local_procedure
        rules:
          - id: icpc-timescale
            deadline:
              within: 15 working days
              statutory: maximum
            cite:
              source: berkshire-cpc
              quote: "The Initial Child Protection Conference should take place within 15 working days of"
        ```

    Use instead:
        ```yaml
        sources:
          wt2023:
            title: Working Together to Safeguard Children 2023
            file: working-together-2023.txt
            kind: statutory
        rules:
          - id: icpc-timescale
            deadline:
              within: 15 working days
              statutory: maximum
            cite:
              source: wt2023
              quote: "should take place within 15 working days of the strategy discussion"
        ```
    """

    code = "CPC405"
    name = "unsourced-statutory-limit"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        sources = ctx.resolved.sources
        for base, item in rule_items(ctx.policy):
            deadline = item.get("deadline")
            if not isinstance(deadline, dict) or deadline.get("statutory") not in ("maximum", "minimum"):
                continue
            cited = [c.get("source") for _, c in _citations(item)]
            if not cited and isinstance(item.get("id"), str) and item["id"] in ctx.resolved.rules:
                cited = [c.get("source") for c in ctx.resolved.rules[item["id"]].citations]
            if not cited or any(not isinstance(s, str) or s not in sources for s in cited):
                continue  # nothing to judge by, or an unknown source that CPC203 reports
            if any(sources[s].get("kind") == "statutory" for s in cited):
                continue
            names = list(dict.fromkeys(cited))
            said = (
                f"'{names[0]}' is not" if len(names) == 1 else "none of " + ", ".join(f"'{n}'" for n in names) + " is"
            )
            yield self.finding(
                ctx,
                (*base, "deadline", "statutory"),
                f"statutory {deadline['statutory']} without a statutory source: {said} declared `kind: statutory`",
                hint="cite the statute or statutory guidance that sets this limit, declared with "
                "`kind: statutory`; or drop `statutory`",
            )
