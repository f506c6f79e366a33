"""CPC303: A rule id is used twice, or a new rule reuses an inherited rule's id."""

from engine.core.findings import Severity
from engine.policy.lint.rules._resolved import ResolveIssueRule


class DuplicateRuleId(ResolveIssueRule):
    """A rule id is used twice, or a new rule reuses an inherited rule's id.

    What it does:
        Reports an id that appears more than once across `rules`, `overrides` and `withdrawn` of one
        policy, and a rule under `rules` whose id the base policy already has.

    Why is this bad?
        Results, tests and diffs name rules by id. Two rules with one id make every result about them
        ambiguous, and a new rule that reuses a national id silently replaces the national rule
        without the statutory-limit check an override gets.

    Example:
        ```yaml
        rules:
          - id: first-core-group      # england already has this id
            ...
        ```

    Use instead:
        ```yaml
        overrides:
          - id: first-core-group
            deadline:
              within: 10 working days
            cite: ...
        ```
    """

    code = "CPC303"
    name = "duplicate-rule-id"
    severity = Severity.ERROR
