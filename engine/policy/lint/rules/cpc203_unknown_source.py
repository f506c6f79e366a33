"""CPC203: A citation names a source the policy does not declare."""

from collections.abc import Iterator

from engine.core.findings import Finding, Severity
from engine.core.vocabulary import closest
from engine.policy.library import PolicyFile
from engine.policy.lint.base import LintContext, LintRule, rule_items


class UnknownSource(LintRule):
    """A citation names a source the policy does not declare.

    What it does:
        Checks that the `source` of every citation (of a rule, an override or a withdrawal) is declared
        under `sources` in this policy or in a policy it extends.

    Why is this bad?
        A citation is how a reviewer checks a value against the procedure. A citation of an unknown
        source cannot be followed, and its quote cannot be verified.

    Example:
        ```yaml
        cite:
          source: berkshire-manual
          quote: "within 15 working days of"
        ```

    Use instead:
        ```yaml
        sources:
          berkshire-cpc:
            title: Pan-Berkshire Child Protection Conferences
            file: 004_60b63b0436c08953.txt
        ...
        cite:
          source: berkshire-cpc
          quote: "within 15 working days of"
        ```
    """

    code = "CPC203"
    name = "unknown-source"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        known = list(ctx.resolved.sources)
        for base, rule in cited_items(ctx.policy):
            for index, cite in _citations(rule):
                source = cite.get("source")
                if isinstance(source, str) and source not in ctx.resolved.sources:
                    near = closest(source, known)
                    hint = f"did you mean '{near}'?" if near else "declare it under 'sources'"
                    path = (*base, "cite", *index, "source")
                    yield self.finding(ctx, path, f"unknown source '{source}'", hint=hint)


def cited_items(policy: PolicyFile) -> Iterator[tuple[tuple[str | int, ...], dict]]:
    """Every rule, override and withdrawal written in this file, with its path: all that may cite."""
    yield from rule_items(policy)
    items = policy.data.get("withdrawn")
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield ("withdrawn", index), item


def _citations(rule: dict):
    cite = rule.get("cite")
    if isinstance(cite, dict):
        yield (), cite
    elif isinstance(cite, list):
        for i, item in enumerate(cite):
            if isinstance(item, dict):
                yield (i,), item
