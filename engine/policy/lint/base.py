"""What a lint rule is, and what it is given to look at."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from engine.core.findings import Finding, Severity, json_path
from engine.policy.citations import SourceText
from engine.policy.library import Library, PolicyFile
from engine.policy.resolve import ResolvedPolicy

DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")


@dataclass(slots=True)
class LintContext:
    """One policy file under lint, resolved against the library it was found in."""

    policy: PolicyFile
    library: Library
    resolved: ResolvedPolicy
    sources_dir: Path | None = None
    source_texts: dict[str, SourceText | None] = field(default_factory=dict)

    def source_text(self, source: dict) -> SourceText | None:
        """The text of a declared source from the ``--sources`` folder, read once per run."""
        name = source.get("file")
        if self.sources_dir is None or not isinstance(name, str):
            return None
        if name not in self.source_texts:
            path = self.sources_dir / name
            self.source_texts[name] = SourceText.read(path) if path.is_file() else None
        return self.source_texts[name]


class LintRule:
    """A check with a stable code. Subclasses document themselves in their class docstring.

    The docstring's first line is the summary; the sections named in ``DOC_SECTIONS`` are what
    ``cpc lint --explain CODE`` prints.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity] = Severity.ERROR
    #: Checked while loading or by the schema rather than by :meth:`check`.
    reported_by: ClassVar[str] = ""

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        return iter(())

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0]

    @classmethod
    def documentation(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")

    def finding(
        self,
        ctx: LintContext,
        path: tuple[str | int, ...],
        message: str,
        *,
        hint: str = "",
        key: bool = False,
        policy: PolicyFile | None = None,
    ) -> Finding:
        where = policy or ctx.policy
        line, column = where.doc.position(path, key=key)
        return Finding(
            file=where.file,
            line=line,
            column=column,
            code=self.code,
            name=self.name,
            severity=self.severity,
            message=message,
            path=json_path(path),
            hint=hint,
        )


def rule_items(policy: PolicyFile) -> Iterator[tuple[tuple[str | int, ...], dict]]:
    """Every rule and override written in this file, with its path."""
    for section in ("rules", "overrides"):
        items = policy.data.get(section)
        if isinstance(items, list):
            for index, item in enumerate(items):
                if isinstance(item, dict):
                    yield (section, index), item
