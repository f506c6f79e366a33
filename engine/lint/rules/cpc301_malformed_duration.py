from ...findings import Severity
from ..base import LintRule


class MalformedDuration(LintRule):
    """A duration does not read as a whole number and a unit.

    What it does:
        Reports a duration that is not `<whole number> <unit>` with the unit one of `hours`, `days`,
        `working days`, `weeks`, `months`, `years` (singular for 1): `15 workdays`, `fifteen days`,
        `1.5 days`, `15`.

    Why is this bad?
        The difference between `15 days` and `15 working days` is four or more days of a child's
        safety. cpc accepts only the procedures' own spellings so that no duration is guessed.

    Example:
        ```yaml
        deadline:
          what: initial_conference
          within: 15 workdays
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

    code = "CPC301"
    name = "malformed-duration"
    severity = Severity.ERROR
    reported_by = "schema"
