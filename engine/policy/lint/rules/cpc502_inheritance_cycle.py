"""CPC502: Policies extend each other in a loop."""

from collections.abc import Iterator

from engine.core.findings import Finding, Severity
from engine.policy.lint.base import LintContext, LintRule


class InheritanceCycle(LintRule):
    """Policies extend each other in a loop.

    What it does:
        Follows `extends` from each policy and reports a chain that comes back to an area it has
        already passed through, naming the whole loop: at `extends` of every policy in the loop, and of
        any policy whose chain runs into it.

    Why is this bad?
        A loop has no national baseline at its root, so no rule can be resolved: the areas in it have
        no procedure the engine can evaluate.

    Example:
        ```yaml
        # policies/berkshire/policy.yaml
        extends: hampshire
        # policies/hampshire/policy.yaml
        extends: berkshire
        ```

    Use instead:
        ```yaml
        extends: england
        ```
    """

    code = "CPC502"
    name = "inheritance-cycle"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        # Resolution records a cycle against the policy where the loop closes, which for a loop of two
        # or more areas is another policy than the one being resolved: so each policy in the loop would
        # only ever be told about the others, and filtering by file reported none of them. The loop is
        # rebuilt here from the chain, starting at this policy, and reported at this policy's `extends`.
        if not any(issue.code == self.code for issue in ctx.resolved.issues):
            return
        walked = [p.area for p in reversed(ctx.resolved.chain)]  # this policy first, following `extends`
        closing = ctx.resolved.chain[0].extends
        if closing not in walked:
            return
        members = walked[walked.index(closing) :]
        loop = " → ".join([*members, closing])
        hint = "one policy in the loop must extend another, or nothing (the national baseline)"
        if ctx.policy.area in members:
            message = f"inheritance cycle: {loop}"
        else:
            message = f"'{ctx.policy.extends}' leads into an inheritance cycle: {loop}"
        yield self.finding(ctx, ("extends",), message, hint=hint)
