"""Print lint findings for people (text), programs (json), code-scanning tools (SARIF) and GitHub Actions.

Every reporter takes the same findings; none of them decides anything.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from engine import __version__
from engine.core.findings import Finding, Severity
from engine.policy.lint.registry import RULES

FORMATS = ("text", "json", "sarif", "github")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def auto_format() -> str:
    """GitHub annotations inside GitHub Actions, text elsewhere (like yamllint's ``--format auto``)."""
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def text(findings: list[Finding], files: int, *, color: bool = False) -> str:
    def paint(s: str, code: str) -> str:
        return f"\x1b[{code}m{s}\x1b[0m" if color else s

    lines = []
    for f in findings:
        where = paint(f"{f.file}:{f.line}:{f.column}:", "1")
        code = paint(f.code, "31" if f.severity is Severity.ERROR else "33")
        lines.append(f"{where} {code} {f.message} [{f.name}]")
        if f.hint:
            lines.append(f"    hint: {f.hint}")
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    warnings = len(findings) - errors
    checked = f"{files} file{'s' if files != 1 else ''}"
    if findings:
        lines.append(
            f"Found {len(findings)} problem{'s' if len(findings) != 1 else ''} "
            f"({errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}) "
            f"in {checked}."
        )
    else:
        lines.append(f"All checks passed ({checked}).")
    return "\n".join(lines) + "\n"


def as_json(findings: list[Finding], files: int) -> str:
    payload = {"files": files, "findings": [f.to_dict() for f in findings]}
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def _escape_property(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A").replace(":", "%3A").replace(",", "%2C")


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github(findings: list[Finding], files: int) -> str:
    """Workflow commands that GitHub Actions shows as annotations on the pull request's lines."""
    lines = []
    for f in findings:
        level = "error" if f.severity is Severity.ERROR else "warning"
        title = _escape_property(f"{f.code} {f.name}")
        message = f.message + (f" (hint: {f.hint})" if f.hint else "")
        lines.append(
            f"::{level} file={_escape_property(f.file)},line={f.line},col={f.column},title={title}::"
            f"{_escape_data(message)}"
        )
    return "\n".join(lines) + ("\n" if lines else "")


def _uri(file: str) -> str:
    path = Path(file)
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.resolve().as_uri()


def sarif(findings: list[Finding], files: int) -> str:
    """SARIF 2.1.0, for code-scanning dashboards (GitHub code scanning, Azure DevOps, IDEs)."""
    codes = sorted(RULES)
    rules = []
    for code in codes:
        rule = RULES[code]
        doc = rule.documentation()
        rules.append(
            {
                "id": code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary()},
                "fullDescription": {"text": doc},
                "help": {"text": doc, "markdown": doc},
                "defaultConfiguration": {"level": "error" if rule.severity is Severity.ERROR else "warning"},
            }
        )
    results = []
    for f in findings:
        result = {
            "ruleId": f.code,
            "ruleIndex": codes.index(f.code),
            "level": "error" if f.severity is Severity.ERROR else "warning",
            "message": {"text": f.message + (f" Hint: {f.hint}" if f.hint else "")},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.file)},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    }
                }
            ],
        }
        if f.path:
            result["properties"] = {"jsonPath": f.path}
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "cpc",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def render(fmt: str, findings: list[Finding], files: int, *, color: bool = False) -> str:
    if fmt == "text":
        return text(findings, files, color=color)
    if fmt == "json":
        return as_json(findings, files)
    if fmt == "sarif":
        return sarif(findings, files)
    if fmt == "github":
        return github(findings, files)
    raise ValueError(fmt)
