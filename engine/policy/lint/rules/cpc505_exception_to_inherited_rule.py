"""CPC505: A local policy makes an exception to a rule it inherits."""

from collections.abc import Iterator

from engine.core.findings import Finding, Severity
from engine.policy.lint.base import LintContext, LintRule
from engine.policy.lint.rules._exceptions import valid_base, written_exceptions


class ExceptionToInheritedRule(LintRule):
    """A local policy makes an exception to a rule it inherits.

    What it does:
        Reports every exception whose base rule is defined by a policy this one extends (usually the
        national baseline), so that reviewers see each place where the area departs from it. Loosening a
        statutory limit this way is an error of its own (CPC302).

    Why is this bad?
        It need not be: a local procedure may add an exception the national guidance does not make. But an
        exception changes the inherited rule for some children without touching the rule itself, so a
        reviewer reading the overrides alone would miss it. The warning makes the departure visible; the
        exception's citation should show the local text that makes it.

    Example:
        ```yaml
        # policies/berkshire/policy.yaml, extends: england
        rules:
          - id: icpc-timescale-complex
            exception_of: icpc-timescale
            kind: deadline
            topic: timescales
            when:
              - {fact: conference.interpreter_needed, equals: true}
            deadline: {what: initial_conference, within: 10 working days, of: strategy_discussion}
        ```

    Use instead:
        ```yaml
        # the exception, cited to the local text, once a reviewer has agreed the departure; or, where the
        # area only restates a stricter time for every child, an override:
        overrides:
          - id: icpc-timescale
            deadline:
              within: 10 working days
        ```
    """

    code = "CPC505"
    name = "exception-to-inherited-rule"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for exception in written_exceptions(ctx.policy):
            base = valid_base(ctx.resolved, exception)
            if base is None or base.defined_in == ctx.policy.area:
                continue
            if exception.item.get("disapplies") is True:
                change = f"where its conditions hold, the '{base.defined_in}' rule does not apply in this area"
            else:
                change = f"it changes the '{base.defined_in}' rule in this area"
            yield self.finding(
                ctx,
                (*exception.path, "exception_of"),
                f"exception to '{base.id}', inherited from '{base.defined_in}': {change}",
                hint="reviewers should check that the cited local text makes this exception",
            )
