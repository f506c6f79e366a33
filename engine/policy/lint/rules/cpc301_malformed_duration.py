"""CPC301: A duration does not read as a whole number and a unit."""

import re
from collections.abc import Iterator

from engine.core.durations import DurationError, parse_duration
from engine.core.findings import Finding, Severity
from engine.policy.lint.base import LintContext, LintRule, rule_items
from engine.policy.schema import DURATION_PATTERN
from engine.policy.walk import durations


class MalformedDuration(LintRule):
    """A duration does not read as a whole number and a unit.

    What it does:
        Reports a duration that is not `<whole number> <unit>` with the unit one of `hours`, `days`,
        `working days`, `weeks`, `months`, `years` (singular for 1): `15 workdays`, `fifteen days`,
        `1.5 days`, `15`; and one longer than a century (`101 years`, `1201 months`), which no procedure
        sets and whose dates could not be counted in working days.

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

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        # The schema checks the spelling; a duration spelt right can still be too long to count.
        for path, rule in rule_items(ctx.policy):
            for where, text in durations(rule):
                if not isinstance(text, str) or not re.fullmatch(DURATION_PATTERN, text):
                    continue
                try:
                    parse_duration(text)
                except DurationError as exc:
                    yield self.finding(ctx, (*path, *where), str(exc), hint="a time limit is at most 100 years")
