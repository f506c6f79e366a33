"""CPC003: A YAML tag or merge key asks for more than plain data."""

from engine.core.findings import Severity
from engine.policy.lint.base import LintRule


class UnsafeTag(LintRule):
    """A YAML tag or merge key asks for more than plain data.

    What it does:
        Reports explicit tags other than YAML's plain types (for example `!!python/object`) and merge
        keys (`<<`).

    Why is this bad?
        Tags that construct objects run code chosen by whoever wrote the file; cpc reads policies and
        case files from many hands, so it only ever reads plain data. Merge keys hide where a value
        comes from, which a reviewer of a procedure must be able to see.

    Example:
        ```yaml
        title: !!python/object/apply:os.system ["echo hi"]
        ```

    Use instead:
        ```yaml
        title: Pan-Berkshire Child Protection Conferences
        ```
    """

    code = "CPC003"
    name = "unsafe-tag"
    severity = Severity.ERROR
    reported_by = "loader"
