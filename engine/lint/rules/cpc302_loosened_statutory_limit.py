from collections.abc import Iterator

from ...durations import DurationError, compare_strictness, parse_duration
from ...findings import Finding, Severity
from ...resolve import ResolvedRule
from ..base import LintContext, LintRule

_LOOSER = {"maximum": ("within", "longer"), "minimum": ("at_least", "shorter")}


class LoosenedStatutoryLimit(LintRule):
    """An override loosens a duration the base policy marks as a statutory limit.

    What it does:
        Where an inherited deadline is marked `statutory: maximum`, reports an override whose `within`
        can span more calendar days than the base's; where it is marked `statutory: minimum`, an
        override whose `at_least` can span fewer. Durations in different units are compared by the
        calendar days each can span on any dates: `3 weeks` against `15 working days` may be longer
        over Christmas, and is reported.

    Why is this bad?
        A local procedure may be stricter than national statutory guidance, never looser. A looser
        local timescale leaves children waiting longer than the law's guidance allows, while every
        local report shows the deadline as met.

    Example:
        ```yaml
        overrides:
          - id: icpc-timescale          # england: within 15 working days, statutory: maximum
            deadline:
              within: 20 working days
        ```

    Use instead:
        ```yaml
        overrides:
          - id: icpc-timescale
            deadline:
              within: 10 working days   # stricter is allowed
        ```
    """

    code = "CPC302"
    name = "loosened-statutory-limit"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for rule in ctx.resolved.rules.values():
            if rule.origin != "overridden" or rule.base is None or rule.source is not ctx.policy:
                continue
            base_deadline = rule.base.data.get("deadline")
            if not isinstance(base_deadline, dict) or base_deadline.get("statutory") not in _LOOSER:
                continue
            key, looser = _LOOSER[base_deadline["statutory"]]
            if f"deadline.{key}" not in rule.local_keys:
                continue
            try:
                base_value = parse_duration(base_deadline.get(key))
                new_value = parse_duration(rule.parameters.get(key))
            except DurationError:
                continue
            verdict = compare_strictness(new_value, base_value)
            if verdict not in (looser, "overlaps"):
                continue
            limit = base_deadline["statutory"]
            where = f"'{_set_by(rule.base, key)}' sets a statutory {limit} of {base_value}"
            if verdict == "overlaps":
                message = f"{new_value} may be {looser} than {base_value} on some dates: {where}"
            else:
                message = f"{new_value} is {looser} than {base_value}: {where}"
            yield self.finding(
                ctx,
                (*rule.path, "deadline", key),
                message,
                hint=f"a local override may only make a statutory {limit} stricter; use the same unit as the base",
            )


def _set_by(rule: ResolvedRule, key: str) -> str:
    """The area whose policy set the rule's ``deadline.<key>``: an override that changed it, else the definer.

    Naming the area that defined the rule would be wrong when a policy between it and this one has
    already overridden the value: the limit then comes from that policy, not from the national one.
    """
    while rule.origin == "overridden" and f"deadline.{key}" not in rule.local_keys and rule.base is not None:
        rule = rule.base
    return rule.source.area
