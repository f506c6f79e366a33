"""Every lint code's passing and failing cases, as data: tests/lint/<CODE>.yaml.

Each case writes its files into a fresh policies folder, lints them, and compares every finding (code,
file, line, column, and message where the case gives one) with the case's `expect` list exactly, so a case
also proves that nothing else fires. A `test_pass_*` case expects no findings at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from engine.policy.lint.registry import RULES
from engine.policy.lint.runner import lint

CASES = Path(__file__).parent / "lint"


def _cases():
    for path in sorted(CASES.glob("CPC*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name, case in data["cases"].items():
            yield pytest.param(data["rule"], name, case, id=f"{path.stem}-{name}")


@pytest.mark.parametrize(("code", "name", "case"), list(_cases()))
def test_lint_case(tmp_path: Path, code: str, name: str, case: dict) -> None:
    root = tmp_path / "policies"
    for relative, content in case["files"].items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict) and "bytes" in content:
            target.write_bytes(bytes.fromhex(content["bytes"]))
        else:
            target.write_text(content, encoding="utf-8")
    sources = None
    if "sources" in case:
        sources = tmp_path / "sources"
        sources.mkdir()
        for relative, content in case["sources"].items():
            (sources / relative).write_text(content, encoding="utf-8")
    targets = [root / t for t in case.get("lint", [])] or [root]
    result = lint(targets, sources)
    expected = case.get("expect", [])
    # An expected finding may also give its message, where the words are what the case is about.
    got = [
        {"code": f.code, "file": Path(f.file).relative_to(root).as_posix(), "line": f.line, "column": f.column}
        | ({"message": f.message} if i < len(expected) and "message" in expected[i] else {})
        for i, f in enumerate(result.findings)
    ]
    if name.startswith("test_pass"):
        assert expected == [], "a passing case expects no findings"
    else:
        assert any(e["code"] == code for e in expected), f"a failing case of {code} must expect {code}"
    assert got == expected, "\n".join(f"{f.file}:{f.line}:{f.column}: {f.code} {f.message}" for f in result.findings)


def test_every_code_has_passing_and_failing_cases() -> None:
    files = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in CASES.glob("CPC*.yaml")}
    missing = []
    for code in RULES:
        names = list(files.get(code, {}).get("cases", {}))
        if not any(n.startswith("test_pass") for n in names) or not any(n.startswith("test_fail") for n in names):
            missing.append(code)
    assert missing == [], f"lint codes without both a test_pass_ and a test_fail_ case: {missing}"


def test_lint_knows_the_engines_report_events_and_item_facts() -> None:
    # The lint rules keep their own copies so that validation does not import the evaluator; they must agree.
    from engine.evaluation.compile import SUBJECT_TYPES
    from engine.evaluation.deadlines import REPORT_EVENTS
    from engine.policy.lint.rules._conditions import ITEM_FACTS
    from engine.policy.lint.rules.cpc308_report_fact_out_of_context import REPORT_EVENTS as LINT_REPORT_EVENTS

    assert LINT_REPORT_EVENTS == REPORT_EVENTS
    assert set(ITEM_FACTS) == set(SUBJECT_TYPES)
