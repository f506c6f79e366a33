"""Rules whose problems are found by inheritance resolution itself, so the logic lives in one place."""

from collections.abc import Iterator

from engine.core.findings import Finding
from engine.policy.lint.base import LintContext, LintRule


class ResolveIssueRule(LintRule):
    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for issue in ctx.resolved.issues:
            if issue.code == self.code and issue.file == ctx.policy.file:
                yield self.finding(ctx, issue.path, issue.message, hint=issue.hint, key=issue.key)
