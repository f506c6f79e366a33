"""CPC004: The file is too large, too deeply nested, or expands through aliases beyond any real policy."""

from engine.core.findings import Severity
from engine.policy.lint.base import LintRule


class OversizedInput(LintRule):
    """The file is too large, too deeply nested, or expands through aliases beyond any real policy.

    What it does:
        Refuses a file over 5 MB before reading it, a document nested more than 64 levels, and one whose
        aliases expand to more than 200,000 values (a "billion laughs" alias bomb).

    Why is this bad?
        A real policy is a few kilobytes. Anything far larger is the wrong file or an attempt to exhaust
        memory, and must be refused before it can stall the tool or the server it runs in.

    Example:
        ```yaml
        a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
        c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]   # and so on, doubling each line
        ```

    Use instead:
        Write each value out once; a policy needs no aliases.
    """

    code = "CPC004"
    name = "oversized-input"
    severity = Severity.ERROR
    reported_by = "loader"
