"""CPC202: A policy refers to a rule id that the policies it builds on do not have."""

from engine.core.findings import Severity
from engine.policy.lint.rules._resolved import ResolveIssueRule


class UnknownRule(ResolveIssueRule):
    """A policy refers to a rule id that the policies it builds on do not have.

    What it does:
        Reports a `withdrawn` entry whose id no base policy defines, and names the nearest id that
        exists.

    Why is this bad?
        A withdrawal of a misspelt id withdraws nothing: the national rule the author meant to remove
        still applies, while the policy reads as if it did not.

    Example:
        ```yaml
        withdrawn:
          - id: transfer-in-timescale-calender
            reason: Superseded by the local rule.
        ```

    Use instead:
        ```yaml
        withdrawn:
          - id: transfer-in-timescale
            reason: Superseded by the local rule.
        ```
    """

    code = "CPC202"
    name = "unknown-rule"
    severity = Severity.ERROR
