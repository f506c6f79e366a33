"""CPC503: The policy's `area` is not the name of the folder it is in."""

from collections.abc import Iterator
from pathlib import Path

from engine.core.findings import Finding, Severity
from engine.policy.lint.base import LintContext, LintRule


class AreaMismatch(LintRule):
    """The policy's `area` is not the name of the folder it is in.

    What it does:
        Compares `area` with the name of the folder holding the file (`policies/<area>/policy.yaml`).

    Why is this bad?
        `cpc eval --policy berkshire` finds a policy by its folder, and `extends: berkshire` by its
        `area`. When the two differ, the policy one command finds is not the one the other resolves.

    Example:
        ```yaml
        # policies/berkshire/policy.yaml
        area: pan-berkshire
        ```

    Use instead:
        ```yaml
        # policies/berkshire/policy.yaml
        area: berkshire
        ```
    """

    code = "CPC503"
    name = "area-mismatch"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        area = ctx.policy.data.get("area")
        folder = Path(ctx.policy.file).resolve().parent.name
        if isinstance(area, str) and area != folder:
            yield self.finding(
                ctx,
                ("area",),
                f"area '{area}' is in folder '{folder}'",
                hint=f"move the file to a folder named '{area}', or set area: {folder}",
            )
