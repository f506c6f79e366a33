"""CPC307: `recorded_by` is used outside a deadline's `optional_when`, or on a fact that is not dated."""

from collections.abc import Iterator

from engine.core.findings import Finding, Severity
from engine.core.vocabulary import FACTS
from engine.policy.lint.base import LintContext, LintRule, rule_items
from engine.policy.lint.rules._conditions import placed_conditions


class MisplacedRecordedBy(LintRule):
    """`recorded_by` is used outside a deadline's `optional_when`, or on a fact that is not dated.

    What it does:
        Checks every condition with `recorded_by: due`: it must sit in a deadline's `optional_when` (where
        there is a due date to compare with), and test a dated fact, one whose record carries the day it
        was made (`s47.no_conference`, `report.withholding_agreed`).

    Why is this bad?
        `recorded_by: due` asks whether the excuse was on record by the due date, so that a decision
        recorded after a deadline was missed does not undo the miss. Elsewhere there is no due date; on a
        fact with no date there is nothing to compare. Either way the engine cannot honour it, and the
        excuse would count whenever it was recorded, which is what the author wrote it to prevent.

    Example:
        ```yaml
        deadline:
          what: initial_conference
          within: 15 working days
          of: strategy_discussion
          optional_when:
            - {fact: child.looked_after, equals: true, recorded_by: due}
        ```

    Use instead:
        ```yaml
          optional_when:
            - {fact: s47.no_conference, equals: true, recorded_by: due}
        ```
    """

    code = "CPC307"
    name = "misplaced-recorded-by"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        dated = ", ".join(name for name, term in FACTS.items() if term.dated)
        for base, item in rule_items(ctx.policy):
            for placed in placed_conditions(item):
                condition = placed.condition
                if "recorded_by" not in condition:
                    continue
                path = (*base, *placed.path, "recorded_by")
                fact = condition.get("fact")
                if placed.place != "optional_when":
                    yield self.finding(
                        ctx,
                        path,
                        f"`recorded_by` in `{placed.place}`: only a deadline's `optional_when` has a due date",
                        hint="move the condition to the deadline's `optional_when`, or drop `recorded_by`",
                        key=True,
                    )
                elif condition.get("present") is False:
                    yield self.finding(
                        ctx,
                        path,
                        "`recorded_by` with `present: false`: a fact not recorded has no day it was recorded on",
                        hint="drop `recorded_by`, or test the fact's value",
                        key=True,
                    )
                elif isinstance(fact, str) and fact in FACTS and not FACTS[fact].dated:
                    yield self.finding(
                        ctx,
                        path,
                        f"'{fact}' is not a dated fact: cpc does not know when it was recorded",
                        hint=f"dated facts: {dated}; or drop `recorded_by`",
                        key=True,
                    )
