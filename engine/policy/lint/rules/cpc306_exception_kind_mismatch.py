"""CPC306: An exception's kind or topic is not its base rule's."""

from collections.abc import Iterator

from engine.core.findings import Finding, Severity
from engine.policy.lint.base import LintContext, LintRule
from engine.policy.lint.rules._exceptions import valid_base, written_exceptions


class ExceptionKindMismatch(LintRule):
    """An exception's kind or topic is not its base rule's.

    What it does:
        Checks that an exception's `kind` and `topic` equal its base rule's. An exception of another kind
        is left out of the resolved policy, so the policy cannot be loaded until it is fixed.

    Why is this bad?
        An exception replaces its base's result where its conditions hold, so it must produce the same
        kind of result: a decision cannot stand in for a deadline. A different topic files the exception
        where reviewers of the base rule will not look for it.

    Example:
        ```yaml
        - id: icpc-timescale-interpreter
          exception_of: icpc-timescale       # a deadline on timescales
          kind: decision
          topic: attendance
          when:
            - {fact: conference.interpreter_needed, equals: true}
          decision: {action: book_interpreter, directs: The chair books an interpreter.}
        ```

    Use instead:
        ```yaml
        - id: icpc-timescale-interpreter
          exception_of: icpc-timescale
          kind: deadline
          topic: timescales
          when:
            - {fact: conference.interpreter_needed, equals: true}
          deadline: {what: initial_conference, within: 20 working days, of: strategy_discussion}
        ```
    """

    code = "CPC306"
    name = "exception-kind-mismatch"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for exception in written_exceptions(ctx.policy):
            base = valid_base(ctx.resolved, exception)
            if base is None:
                continue  # a missing or invalid base is CPC205's
            item = exception.item
            for key in ("kind", "topic"):
                mine, theirs = item.get(key), base.data.get(key)
                if isinstance(mine, str) and isinstance(theirs, str) and mine != theirs:
                    said = f"a {mine}, but its base '{base.id}' is a {theirs}"
                    if key == "topic":
                        said = f"topic '{mine}', but its base '{base.id}' is on '{theirs}'"
                    yield self.finding(
                        ctx,
                        (*exception.path, key),
                        said,
                        hint=f"an exception has its base's {key}: write '{theirs}'",
                    )
