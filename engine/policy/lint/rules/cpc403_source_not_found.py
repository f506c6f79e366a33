"""CPC403: A declared source's file is not in the `--sources` folder."""

from collections.abc import Iterator

from engine.core.findings import Finding, Severity
from engine.policy.lint.base import LintContext, LintRule


class SourceNotFound(LintRule):
    """A declared source's file is not in the `--sources` folder.

    What it does:
        With `--sources DIR`, checks that the `file` of every source this policy declares exists in DIR,
        so that its quotes can be verified.

    Why is this bad?
        Quotes from a missing file cannot be checked, so a policy that passes lint may still cite words
        its procedure never said.

    Example:
        ```yaml
        sources:
          berkshire-cpc:
            title: Pan-Berkshire Child Protection Conferences
            file: 004_berkshire.txt
        ```

    Use instead:
        ```yaml
        sources:
          berkshire-cpc:
            title: Pan-Berkshire Child Protection Conferences
            file: 004_60b63b0436c08953.txt
        ```
    """

    code = "CPC403"
    name = "source-not-found"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        if ctx.sources_dir is None:
            return
        sources = ctx.policy.data.get("sources")
        if not isinstance(sources, dict):
            return
        for source_id, source in sources.items():
            if not isinstance(source, dict) or not isinstance(source.get("file"), str):
                continue
            path = ctx.sources_dir / source["file"]
            if not path.is_file():
                yield self.finding(
                    ctx,
                    ("sources", source_id, "file"),
                    f"'{source['file']}' is not in {ctx.sources_dir}",
                    hint="check the file name, or the folder given to --sources",
                )
