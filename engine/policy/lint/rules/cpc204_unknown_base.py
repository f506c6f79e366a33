"""CPC204: `extends` names an area that has no policy."""

from engine.core.findings import Severity
from engine.policy.lint.rules._resolved import ResolveIssueRule


class UnknownBase(ResolveIssueRule):
    """`extends` names an area that has no policy.

    What it does:
        Checks that the area named by `extends` has a policy in the same policies folder, in force on
        this policy's `effective_from` date.

    Why is this bad?
        Every rule the area means to inherit (the national timescales among them) would be missing,
        and the area would appear to have no initial-conference timescale at all.

    Example:
        ```yaml
        extends: englnd
        ```

    Use instead:
        ```yaml
        extends: england
        ```
    """

    code = "CPC204"
    name = "unknown-base"
    severity = Severity.ERROR
