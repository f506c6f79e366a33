"""CPC402: A citation's quote does not appear in the source text it names."""

from collections.abc import Iterator

from engine.core.findings import Finding, Severity
from engine.policy.lint.base import LintContext, LintRule
from engine.policy.lint.rules.cpc203_unknown_source import _citations, cited_items


class QuoteNotInSource(LintRule):
    """A citation's quote does not appear in the source text it names.

    What it does:
        With `--sources DIR`, reads each cited source's `file` from DIR and checks that the quote
        appears in it word for word. White space and typographic quotes are normalised; nothing else
        is. Without `--sources`, this check does not run.

    Why is this bad?
        A quote that is not in the source is a paraphrase, a quote from another version of the
        procedure, or a mistake; in each case the value it supports has lost its authority.

    Example:
        ```yaml
        cite:
          source: berkshire-cpc
          quote: "The initial conference must be held within 15 working days"
        ```

    Use instead:
        ```yaml
        cite:
          source: berkshire-cpc
          quote: "The Initial Child Protection Conference should take place within 15 working days of"
        ```
    """

    code = "CPC402"
    name = "quote-not-in-source"
    severity = Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        if ctx.sources_dir is None:
            return
        for base, rule in cited_items(ctx.policy):
            for index, cite in _citations(rule):
                source_id, quote = cite.get("source"), cite.get("quote")
                source = ctx.resolved.sources.get(source_id) if isinstance(source_id, str) else None
                if not isinstance(quote, str) or not source:
                    continue
                text = ctx.source_text(source)
                if text is not None and text.find(quote) is None:
                    yield self.finding(
                        ctx,
                        (*base, "cite", *index, "quote"),
                        f"quote not found in {source.get('file')}",
                        hint="copy the words exactly from the source text",
                    )
