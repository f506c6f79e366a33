"""What a lint rule is, and what it is given to look at."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from ..findings import Finding, Severity, json_path
from ..library import Library, PolicyFile
from ..resolve import ResolvedPolicy

DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")


@dataclass(slots=True)
class LintContext:
    """One policy file under lint, resolved against the library it was found in."""

    policy: PolicyFile
    library: Library
    resolved: ResolvedPolicy
    sources_dir: Path | None = None
    source_texts: dict[str, str | None] = field(default_factory=dict)


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
