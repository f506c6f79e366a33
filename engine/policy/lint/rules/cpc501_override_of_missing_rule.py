"""CPC501: An override names a rule the base policy does not have."""

from engine.core.findings import Severity
from engine.policy.lint.rules._resolved import ResolveIssueRule


class OverrideOfMissingRule(ResolveIssueRule):
    """An override names a rule the base policy does not have.

    What it does:
        Checks every id under `overrides` against the rules inherited from the policies this one
        extends, and names the nearest inherited id.

    Why is this bad?
        An override of a misspelt id changes nothing: the national value stays in force while the
        local policy appears to have changed it.

    Example:
        ```yaml
        overrides:
          - id: first-core-grop
            deadline:
              within: 10 working days
        ```

    Use instead:
        ```yaml
        overrides:
          - id: first-core-group
            deadline:
              within: 10 working days
        ```
    """

    code = "CPC501"
    name = "override-of-missing-rule"
    severity = Severity.ERROR
