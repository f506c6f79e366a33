"""CPC308: A condition tests a report's fact where there is no report to test it against."""

from collections.abc import Iterator

from engine.core.findings import Finding, Severity
from engine.policy.lint.base import LintContext, LintRule, rule_items
from engine.policy.lint.rules._conditions import fact_kind, placed_conditions

#: The events of one report of a conference, judged report by report (engine.evaluation.deadlines.REPORT_EVENTS).
REPORT_EVENTS = frozenset({"report_to_chair", "report_shared_with_parents"})


class ReportFactOutOfContext(LintRule):
    """A condition tests a report's fact where there is no report to test it against.

    What it does:
        Checks that conditions on `report.*` facts (`report.agency`, `report.withheld`,
        `report.withholding_agreed`) sit only in the `optional_when` of a deadline on report events
        (`report_to_chair`, `report_shared_with_parents`), the one place a verdict is about one report.

    Why is this bad?
        A conference has many reports, and a report's fact is only true or false of one of them. In a
        rule's `when`, a requirement, or a deadline about anything else, there is no report the condition
        is about: it never holds, and the excuse or restriction it was written for silently never applies.

    Example:
        ```yaml
        deadline:
          what: initial_conference
          within: 15 working days
          of: strategy_discussion
          optional_when:
            - {fact: report.withheld, equals: true}
        ```

    Use instead:
        ```yaml
        deadline:
          what: report_shared_with_parents
          at_least: 2 working days
          before: conference
          optional_when:
            - {fact: report.withheld, equals: true}
        ```
    """

    code = "CPC308"
    name = "report-fact-out-of-context"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for base, item in rule_items(ctx.policy):
            whats = _whats(ctx, item)
            on_reports = bool(whats) and all(w in REPORT_EVENTS for w in whats)
            for placed in placed_conditions(item):
                fact = placed.condition.get("fact")
                if not isinstance(fact, str) or fact_kind(fact) != "report":
                    continue
                if placed.place == "optional_when":
                    if on_reports or not whats:
                        continue
                    where = f"a deadline on {', '.join(whats)}"
                else:
                    where = f"`{placed.place}`"
                yield self.finding(
                    ctx,
                    (*base, *placed.path, "fact"),
                    f"'{fact}' in {where}: a report's facts are tested only in the `optional_when` of a "
                    "deadline on report events",
                    hint="move the condition to a deadline on report_to_chair or report_shared_with_parents",
                )


def _whats(ctx: LintContext, item: dict) -> list[str]:
    """The events the rule's deadline is about, from the item or, for an override, the rule it changes."""
    deadline = item.get("deadline")
    what = deadline.get("what") if isinstance(deadline, dict) else None
    if what is None and isinstance(item.get("id"), str) and item["id"] in ctx.resolved.rules:
        what = ctx.resolved.rules[item["id"]].parameters.get("what")
    names = what if isinstance(what, list) else [what]
    return [w for w in names if isinstance(w, str)]
