"""CPC001: The file is not readable YAML text."""

from engine.core.findings import Severity
from engine.policy.lint.base import LintRule


class YamlSyntax(LintRule):
    """The file is not readable YAML text.

    What it does:
        Reports a file that is not UTF-8 text, is not valid YAML, holds more than one YAML document, or
        holds a value YAML cannot read, such as a date that does not exist (`2025-02-30`). The finding
        points at the line and column where reading stopped.

    Why is this bad?
        Nothing else can be checked, and nothing can be evaluated, until the file reads as data. A
        policy that does not load leaves its area with no procedure at all.

    Example:
        ```yaml
        effective_from: 2025-02-30
        rules: [
          - id: quorum
        ```

    Use instead:
        ```yaml
        effective_from: 2025-02-28
        rules:
          - id: quorum
        ```
    """

    code = "CPC001"
    name = "yaml-syntax"
    severity = Severity.ERROR
    reported_by = "loader"
