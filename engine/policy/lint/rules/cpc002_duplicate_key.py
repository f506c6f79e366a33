"""CPC002: A mapping has the same key twice."""

from engine.core.findings import Severity
from engine.policy.lint.base import LintRule


class DuplicateKey(LintRule):
    """A mapping has the same key twice.

    What it does:
        Reports the second occurrence of a key in one mapping, and names the line of the first.

    Why is this bad?
        YAML loaders silently keep the last value, so the first is lost without a word: a pasted rule
        with a repeated `within:` quietly takes the wrong timescale.

    Example:
        ```yaml
        deadline:
          what: initial_conference
          within: 15 working days
          within: 10 working days
          of: strategy_discussion
        ```

    Use instead:
        ```yaml
        deadline:
          what: initial_conference
          within: 15 working days
          of: strategy_discussion
        ```
    """

    code = "CPC002"
    name = "duplicate-key"
    severity = Severity.ERROR
    reported_by = "loader"
