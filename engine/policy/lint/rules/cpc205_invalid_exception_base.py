"""CPC205: An exception names a base rule that does not exist, or that is itself an exception."""

from collections.abc import Iterator

from engine.core.findings import Finding, Severity
from engine.core.vocabulary import closest
from engine.policy.lint.base import LintContext, LintRule
from engine.policy.lint.rules._exceptions import base_of, written_exceptions, written_rule


class InvalidExceptionBase(LintRule):
    """An exception names a base rule that does not exist, or that is itself an exception.

    What it does:
        Checks that the `exception_of` of every exception names a rule of this policy or of a policy it
        extends, that the rule is not withdrawn, and that it is not itself an exception. Names the nearest
        existing id for a misspelt one.

    Why is this bad?
        An exception of a misspelt or withdrawn rule never applies: the base rule's value stays in force
        where the procedure makes an exception, while the policy reads as if it did not. An exception of
        an exception has no single rule to fall back on; the procedure's "except where" always qualifies
        one rule, so the exception belongs to that rule, with the conditions of both.

    Example:
        ```yaml
        - id: after-birth-meeting-mother-unfit
          exception_of: after-birth-meting
          title: Where the mother is not medically fit, the core group meets within 20 working days of the birth.
          kind: deadline
          topic: plans
          when:
            - {fact: mother.medically_fit, equals: false}
          deadline: {what: core_group_meeting, within: 20 working days, of: birth}
        ```

    Use instead:
        ```yaml
        - id: after-birth-meeting-mother-unfit
          exception_of: after-birth-meeting
        ```
    """

    code = "CPC205"
    name = "invalid-exception-base"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        resolved = ctx.resolved
        incomplete = len(resolved.chain) == 1 and bool(ctx.policy.extends)
        for exception in written_exceptions(ctx.policy):
            path = (*exception.path, "exception_of")
            base_id = exception.base_id
            if base_id == exception.id:
                yield self.finding(
                    ctx, path, f"'{base_id}' is an exception to itself", hint="name the rule it makes an exception to"
                )
                continue
            base = resolved.rules.get(base_id)
            written = None
            if base is not None:
                parent = base_of(base)
            else:
                written = written_rule(resolved, base_id)
                parent = written[2].get("exception_of") if written else None
            if isinstance(parent, str):
                yield self.finding(
                    ctx,
                    path,
                    f"exception to '{base_id}', which is itself an exception (to '{parent}')",
                    hint=f"make it an exception to '{parent}', with the conditions of both in its `when`",
                )
            elif base_id in resolved.withdrawn:
                withdrawal = resolved.withdrawn[base_id]
                yield self.finding(
                    ctx,
                    path,
                    f"exception to '{base_id}', which '{withdrawal.area}' withdraws",
                    hint="an exception to a withdrawn rule never applies: remove it, or make it a rule of its own",
                )
            elif base is None and written is None and not incomplete:
                near = closest(base_id, [r for r in resolved.rules if r != exception.id])
                yield self.finding(
                    ctx,
                    path,
                    f"exception to '{base_id}', which neither this policy nor any policy it extends has",
                    hint=f"did you mean '{near}'?" if near else "name a rule of this policy or of the one it extends",
                )
