"""An accessibility check of an HTML page with axe-core, in the same headless chromium the browser tests use.

    violations = axe_violations(page, tmp_path)  # [] when the page passes
    assert not violations, describe(violations)

``axe_violations(page, tmp_path)`` writes a copy of ``page`` into ``tmp_path`` with axe-core inlined and a
runner that checks the WCAG 2.0, 2.1 and 2.2 A and AA rules (``WCAG_TAGS``), opens it in chromium once with
``--dump-dom``, and returns axe's violations as it reports them: dicts with ``id``, ``impact``, ``help``,
``helpUrl``, ``tags`` and ``nodes`` (each with its ``target`` selectors and ``html``). Only violations: what
axe cannot decide by itself ("incomplete", such as contrast over a background image) is not returned.
``describe(violations)`` is the text a failing assertion shows: each violation's id, impact, help and first
target. ``need_axe()`` skips the calling test when chromium or axe-core is missing, or fails it under CI.

axe-core comes from the npm registry, not from Python packages: ``.ci/run`` installs it and sets
``CPC_AXE_JS`` to its ``axe.min.js``. Without that variable the file is looked for where the same command
puts it for a local run (``DEFAULT_AXE_JS``):

    npm install --no-save --prefix ~/.cache/cpc/axe axe-core@4
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from .test_render import CHROMIUM, chromium

DEFAULT_AXE_JS = Path.home() / ".cache" / "cpc" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
RESULT_ID = "cpc-axe-result"

# axe.run is asynchronous (it yields to timers between rules). Under --virtual-time-budget chromium runs those
# timers as fast as it can and dumps the DOM once they are done or the budget is spent, so a generous budget
# costs nothing on a page that finishes early.
VIRTUAL_TIME_MS = 60_000

# Runs once the page has loaded; writes the violations, or the error, as JSON into a script element that
# --dump-dom prints verbatim ("<" escaped, so that no "</script>" in a node's html can end the element early).
RUNNER = """
window.addEventListener("load", function () {
  function report(value) {
    document.getElementById("cpc-axe-core").remove();
    var out = document.createElement("script");
    out.type = "application/json";
    out.id = "%(result_id)s";
    out.textContent = JSON.stringify(value).replace(/</g, "\\\\u003c");
    document.body.appendChild(out);
  }
  axe.run(document, {runOnly: {type: "tag", values: %(tags)s}, resultTypes: ["violations"]})
    .then(function (results) { report({violations: results.violations, version: axe.version}); })
    .catch(function (error) { report({error: String(error && error.stack || error)}); });
});
"""

# A Content-Security-Policy in a <meta> (default-src 'none', script-src without 'unsafe-inline') would stop
# the inlined axe-core and the runner as it stops any script an attacker manages to inject: the copy drops it,
# which changes nothing axe checks. The page itself, and its own tests, keep it.
CSP_META = re.compile(r"<meta\b[^>]*http-equiv\s*=\s*[\"']?content-security-policy\b[^>]*>", re.IGNORECASE)
BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
RESULT = re.compile(rf'<script type="application/json" id="{RESULT_ID}">(.*?)</script>', re.DOTALL)


def axe_js() -> Path | None:
    """The axe.min.js to inline: $CPC_AXE_JS if set, else ``DEFAULT_AXE_JS``; None when the file is not there."""
    found = Path(os.environ.get("CPC_AXE_JS") or DEFAULT_AXE_JS)
    return found if found.is_file() else None


def need_axe() -> Path:
    """The axe.min.js to use; skips the test without chromium or axe-core, or fails it when CI is set."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} is not installed (apt-get install chromium)")
    script = axe_js()
    if script is None:
        where = os.environ.get("CPC_AXE_JS") or DEFAULT_AXE_JS
        missing.append(f"axe-core is not at {where} (npm install --no-save --prefix ~/.cache/cpc/axe axe-core@4)")
    if missing:
        if os.environ.get("CI"):
            pytest.fail("CI is set but " + "; ".join(missing))
        pytest.skip("; ".join(missing) + "; CI runs this test")
    assert script is not None
    return script


def with_axe(page: str, script: str) -> str:
    """``page`` with any CSP meta dropped and axe-core and the runner added at the end of its body."""
    # Inside <script>, only "</script" ends the element; "<\\/" means the same to JavaScript in a string or regex.
    inline = re.sub(r"</(script)", r"<\\/\1", script, flags=re.IGNORECASE)
    runner = RUNNER % {"result_id": RESULT_ID, "tags": json.dumps(list(WCAG_TAGS))}
    added = f'<script id="cpc-axe-core">{inline}</script>\n<script>{runner}</script>\n'
    page = CSP_META.sub("", page)
    ends = list(BODY_END.finditer(page))
    if not ends:
        return page + added
    return page[: ends[-1].start()] + added + page[ends[-1].start() :]


def axe_violations(page: Path, tmp_path: Path) -> list[dict]:
    """axe-core's WCAG 2.x A and AA violations on ``page``, checked in headless chromium: [] when it passes.

    The copy is written to ``tmp_path`` (with chromium's profile), so a page that loads files beside it
    would miss them there: the pages cpc writes are self-contained. Raises AssertionError when chromium
    fails or axe does not finish; call ``need_axe()`` first to skip when either is missing.
    """
    script = need_axe()
    checked = tmp_path / f"{page.stem}.axe.html"
    checked.write_text(with_axe(page.read_text(encoding="utf-8"), script.read_text(encoding="utf-8")), "utf-8")
    run = chromium(
        "--dump-dom",
        f"--virtual-time-budget={VIRTUAL_TIME_MS}",
        "--window-size=1280,1600",
        checked.as_uri(),
        profile=tmp_path / f"{page.stem}.axe-profile",
    )
    assert run.returncode == 0, f"chromium failed on {checked}: {run.stderr[-2000:]}"
    found = RESULT.search(run.stdout)
    assert found, f"no result from axe-core on {page}: a script was blocked, or it ran past {VIRTUAL_TIME_MS} ms"
    result = json.loads(found.group(1))
    assert "error" not in result, f"axe-core failed on {page}: {result.get('error')}"
    return result["violations"]


def describe(violations: list[dict]) -> str:
    """One line a violation: id, impact, help, the first element's selector and how many elements more."""
    lines = [f"{len(violations)} axe-core violation(s) of WCAG 2.x A/AA:"]
    for violation in violations:
        nodes = violation.get("nodes") or [{}]
        target = " >>> ".join(str(part) for part in nodes[0].get("target") or ["?"])
        more = f" (and {len(nodes) - 1} more)" if len(nodes) > 1 else ""
        lines.append(f"  {violation['id']} ({violation.get('impact')}): {violation['help']} at {target}{more}")
    return "\n".join(lines)
