"""The accessibility check itself (tests/axe.py): it finds what it should, so a clean page means something."""

from __future__ import annotations

import pytest

from .axe import RESULT_ID, axe_violations, describe, with_axe

# Three failures a user meets: an image with no text alternative, a field with no label, grey on white.
BAD = """<!doctype html>
<html lang="en-GB">
<head><meta charset="utf-8"><title>Bad page</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
</head>
<body>
<main>
<h1>A page with three faults</h1>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<form><input type="text" name="case"></form>
<p style="color: #c8c8c8; background: #ffffff">Grey text nobody can read.</p>
</main>
</body>
</html>
"""

GOOD = """<!doctype html>
<html lang="en-GB">
<head><meta charset="utf-8"><title>Good page</title></head>
<body><main><h1>A plain page</h1><p>Black on white, nothing else.</p></main></body>
</html>
"""


def test_a_bad_page_has_each_of_its_faults_found(tmp_path) -> None:
    # The page also carries a CSP that forbids scripts: the check must still run, not find nothing.
    page = tmp_path / "bad.html"
    page.write_text(BAD, encoding="utf-8")
    violations = axe_violations(page, tmp_path)
    found = {v["id"]: v for v in violations}
    assert {"image-alt", "label", "color-contrast"} <= set(found), describe(violations)
    assert found["image-alt"]["nodes"][0]["target"] == ["img"]
    assert found["color-contrast"]["impact"] == "serious"
    message = describe(violations)
    assert "  image-alt (critical): Images must have alternative text at img" in message
    assert "  label (critical): Form elements must have labels at input" in message


def test_a_plain_page_passes(tmp_path) -> None:
    page = tmp_path / "good.html"
    page.write_text(GOOD, encoding="utf-8")
    violations = axe_violations(page, tmp_path)
    assert violations == [], describe(violations)


@pytest.mark.parametrize("csp", ['http-equiv="Content-Security-Policy"', "HTTP-EQUIV=content-security-policy"])
def test_the_copy_drops_a_csp_and_adds_axe_at_the_end_of_the_body(csp) -> None:
    page = f"<html><head><meta {csp} content=\"script-src 'none'\"></head><body><p>x</p></BODY></html>"
    copy = with_axe(page, "var axe = '</script>';")
    assert "script-src" not in copy
    assert copy.startswith("<html><head></head><body><p>x</p><script id=\"cpc-axe-core\">var axe = '<\\/script>';")
    assert copy.endswith("</script>\n</BODY></html>")
    assert RESULT_ID in copy


def test_a_failure_message_names_id_impact_help_and_first_target() -> None:
    violation = {
        "id": "label",
        "impact": "critical",
        "help": "Form elements must have labels",
        "nodes": [{"target": ["form > input"]}, {"target": ["#other"]}],
    }
    assert describe([violation]) == (
        "1 axe-core violation(s) of WCAG 2.x A/AA:\n"
        "  label (critical): Form elements must have labels at form > input (and 1 more)"
    )
