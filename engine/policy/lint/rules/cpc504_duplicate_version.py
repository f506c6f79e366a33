"""CPC504: Two versions of one area take effect on the same date."""

from collections.abc import Iterator

from engine.core.findings import Finding, Severity
from engine.policy.lint.base import LintContext, LintRule


class DuplicateVersion(LintRule):
    """Two versions of one area take effect on the same date.

    What it does:
        Reports a policy whose area already has another version with the same `effective_from`.

    Why is this bad?
        On and after that date the engine could evaluate a case against either version; results would
        depend on file names rather than on the procedure.

    Example:
        ```yaml
        # policies/berkshire/policy.yaml and policies/berkshire/v96.yaml
        effective_from: 2025-03-25
        ```

    Use instead:
        Give each version the date it came into force.
    """

    code = "CPC504"
    name = "duplicate-version"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        mine = ctx.policy.effective_from
        if mine is None:
            return
        for other in ctx.library.versions(ctx.policy.area):
            if other is not ctx.policy and other.effective_from == mine:
                yield self.finding(
                    ctx,
                    ("effective_from",),
                    f"{other.file} also takes effect on {mine.isoformat()}",
                    hint="give each version the date it came into force",
                )
