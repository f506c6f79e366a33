"""CPC100: The policy does not match the policy schema."""

from engine.core.findings import Severity
from engine.policy.lint.base import LintRule


class SchemaViolation(LintRule):
    """The policy does not match the policy schema.

    What it does:
        Validates the document against `schemas/policy.schema.json` and reports each violation at the
        line and column of the offending key or value: unknown keys (with the nearest known key), missing
        keys, values of the wrong type, values outside a closed set. Where a value could take several
        shapes, the closest shape's error is shown first and the count of the others after it.

    Why is this bad?
        The engine reads only what the schema describes. An unknown key is usually a misspelling, and
        a misspelt key is a value the engine silently never sees.

    Example:
        ```yaml
        - id: quorum
          title: Quorum
          kind: requirment
          topic: quorum
        ```

    Use instead:
        ```yaml
        - id: quorum
          title: Quorum
          kind: requirement
          topic: quorum
        ```
    """

    code = "CPC100"
    name = "schema-violation"
    severity = Severity.ERROR
    reported_by = "schema"
