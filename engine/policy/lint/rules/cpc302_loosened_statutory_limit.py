"""CPC302: An override loosens a duration the base policy marks as a statutory limit."""

from collections.abc import Iterator

from engine.core.durations import DurationError, compare_strictness, parse_duration
from engine.core.findings import Finding, Severity
from engine.policy.lint.base import LintContext, LintRule
from engine.policy.lint.rules._exceptions import inherited_version, written_exceptions
from engine.policy.resolve import ResolvedRule

# The keys a statutory marker limits, and which way a local value must not go.
_LOOSER = {"maximum": (("within",), "longer"), "minimum": (("at_least", "not_before"), "shorter")}


class LoosenedStatutoryLimit(LintRule):
    """An override loosens a duration the base policy marks as a statutory limit.

    What it does:
        Where an inherited deadline is marked `statutory: maximum`, reports an override, or a local
        exception to it, whose `within` can span more calendar days than the base's; where it is marked
        `statutory: minimum`, one whose `at_least` or `not_before` can span fewer. Durations in different units are compared by the
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
            for key in _limited_keys(rule.base):
                if f"deadline.{key}" in rule.local_keys:
                    found = self._compare(ctx, rule.base, key, rule.parameters.get(key), (*rule.path, "deadline", key))
                    if found:
                        yield found
        for exception in written_exceptions(ctx.policy):
            base = ctx.resolved.rules.get(exception.base_id)
            inherited = inherited_version(base, ctx.policy) if base is not None else None
            deadline = exception.item.get("deadline")
            if inherited is None or not isinstance(deadline, dict):
                continue
            for key in _limited_keys(inherited):
                if key in deadline:
                    path = (*exception.path, "deadline", key)
                    found = self._compare(ctx, inherited, key, deadline[key], path, exception=True)
                    if found:
                        yield found

    def _compare(
        self,
        ctx: LintContext,
        base: ResolvedRule,
        key: str,
        written: object,
        path: tuple[str | int, ...],
        *,
        exception: bool = False,
    ) -> Finding | None:
        """A finding when ``written`` may be looser than the statutory ``deadline.<key>`` of ``base``."""
        limit = base.data["deadline"]["statutory"]
        looser = _LOOSER[limit][1]
        try:
            base_value = parse_duration(base.data["deadline"].get(key))
            new_value = parse_duration(written)
        except DurationError:
            return None
        verdict = compare_strictness(new_value, base_value)
        if verdict not in (looser, "overlaps"):
            return None
        where = f"'{_set_by(base, key)}' sets a statutory {limit} of {base_value}"
        if verdict == "overlaps":
            message = f"{new_value} may be {looser} than {base_value} on some dates: {where}"
        else:
            message = f"{new_value} is {looser} than {base_value}: {where}"
        what = "a local exception" if exception else "a local override"
        return self.finding(
            ctx,
            path,
            message,
            hint=f"{what} may only make a statutory {limit} stricter; use the same unit as the base",
        )


def _limited_keys(rule: ResolvedRule) -> tuple[str, ...]:
    """The duration keys of the rule's deadline that its `statutory` marker limits."""
    deadline = rule.data.get("deadline")
    if not isinstance(deadline, dict) or deadline.get("statutory") not in _LOOSER:
        return ()
    return tuple(key for key in _LOOSER[deadline["statutory"]][0] if key in deadline)


def _set_by(rule: ResolvedRule, key: str) -> str:
    """The area whose policy set the rule's ``deadline.<key>``: an override that changed it, else the definer.

    Naming the area that defined the rule would be wrong when a policy between it and this one has
    already overridden the value: the limit then comes from that policy, not from the national one.
    """
    value = rule.data["deadline"].get(key)
    # Down the overrides while the value is the same: an inherited rule no longer says which keys its last
    # override changed, but the versions it was built from still hold their values.
    while rule.base is not None and _deadline(rule.base).get(key) == value:
        rule = rule.base
    return rule.source.area


def _deadline(rule: ResolvedRule) -> dict:
    deadline = rule.data.get("deadline")
    return deadline if isinstance(deadline, dict) else {}
