"""axe-core (the npm package web/ pins as a dev dependency) run inside a browser page.

The engine is injected into the page as it is, after the page has loaded, and asked for the
violations of the whole document (WCAG 2.x A and AA rules and axe's best practices). The browser
tests assert that none is serious or critical; the rest is printed for the reader.
"""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"

#: What blocks a release: axe's two highest impacts.
BLOCKING = ("serious", "critical")

_RUN = """async () => {
  const result = await window.axe.run(document, { resultTypes: ['violations'] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
  }));
}"""


def axe_violations(page) -> list[dict]:
    """Every axe-core violation on ``page`` (a Playwright page) as it is now."""
    assert AXE.is_file(), f"{AXE} is missing: run `npm ci` in web/ (make install)"
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(_RUN)


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in BLOCKING]


def summary(violations: list[dict]) -> str:
    """One line per rule: impact, id, how many elements, the first one."""
    return "\n".join(
        f"{v['impact']:>8} {v['id']} ({len(v['nodes'])}): {v['help']} — {v['nodes'][0]['target'] if v['nodes'] else ''}"
        for v in violations
    )
