"""Narrow screens and accessibility (issue 13, item 8), in headless Debian Chromium.

The session's shared synthetic dashboard project (no users) is served by ``python -m
dashboard.cli serve DIR`` (conftest ``dashboard_server``).  At 400 px the map row stacks and
the map keeps at least 300 px of height with no horizontal page scroll; at 1440 px the
sidebar, map and legend stay side by side.  axe-core (npm ``axe-core``, installed by
``.ci/run`` into ``.ci/npm``; another copy
with ``$XYSITING_AXE_JS``) is injected with Playwright and run on every tab in both languages:
no critical or serious violation.  axe reaches into Panel's open shadow roots by default.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import REPO, DashboardPage, require_chromium

pytestmark = pytest.mark.browser
require_chromium()  # skips the module outside CI when Chromium is missing

TIMEOUT_MS = 120_000
#: axe-core's browser bundle: ``$XYSITING_AXE_JS``, else where ``.ci/run`` installs it
AXE_JS = Path(os.environ.get("XYSITING_AXE_JS") or REPO / ".ci" / "npm" / "node_modules" / "axe-core" / "axe.min.js")
#: tab index → a selector present once the tab's content is drawn
TAB_READY = {0: ".xy-row-count", 1: ".xy-waste-flows", 2: ".xy-wind-table", 3: ".xy-progress-cards"}
TAB_TITLES = {"zh": ("屋顶光伏", "固废", "风电", "规划进展"), "en": ("Rooftop PV", "Waste", "Wind", "Progress")}

#: every element whose class list holds one of the given classes, shadow roots included: its box
RECTS_JS = """
(classes) => {
  const out = {};
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      for (const c of classes) {
        if (el.classList && el.classList.contains(c) && !out[c]) out[c] = el.getBoundingClientRect().toJSON();
      }
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return out;
}
"""

#: axe-core's violations (impact, rule, first targets), the page's whole tree
AXE_RUN_JS = """
async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, n: v.nodes.length,
    targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target) + ' ' + n.failureSummary),
  }));
}
"""


def require_axe() -> Path:
    """The axe-core bundle; skip (outside CI) or fail (under ``CI``) when it is missing."""
    if AXE_JS.is_file():
        return AXE_JS
    missing = f"axe-core is not installed at {AXE_JS} (npm install --prefix .ci/npm axe-core, see .ci/run)"
    if os.environ.get("CI"):
        pytest.fail(f"CI runs the accessibility scan: {missing}")
    pytest.skip(missing)


@pytest.fixture(scope="module")
def served(dashboard_server) -> str:
    """Base URL of the session's shared dashboard server (no users, Chinese by default)."""
    return dashboard_server


def _open(browser, url: str, width: int, height: int = 900):
    dash = DashboardPage(browser, url, viewport=(width, height), ready=(TAB_READY[0],))
    dash.page.set_default_timeout(TIMEOUT_MS)
    return dash.context, dash.page


def _rects(page) -> dict:
    return page.evaluate(RECTS_JS, ["xy-map", "xy-map-controls", "xy-legend", "xy-tabs", "xy-header"])


def test_at_400_px_the_map_keeps_a_usable_size_and_the_page_no_horizontal_scroll(served, browser):
    context, page = _open(browser, served, 400, 800)
    try:
        page.wait_for_timeout(1000)  # the layout settles after the first draw
        rects = _rects(page)
        the_map = rects["xy-map"]
        assert the_map["height"] >= 300 and the_map["width"] >= 300, rects
        assert the_map["x"] >= 0 and the_map["x"] + the_map["width"] <= 400 + 0.5, rects
        assert the_map["y"] < 800  # on the first screen, under the header
        # the sidebar collapsed (hidden until the header's toggle opens it, then under the
        # map), not squeezed beside it
        controls = rects["xy-map-controls"]
        assert controls["height"] == 0, rects
        page.locator(".xy-side-toggle button").click()
        page.wait_for_function("() => window.__xySideOpen === true")
        page.wait_for_timeout(500)
        rects = _rects(page)
        controls = rects["xy-map-controls"]
        assert controls["height"] > 0 and controls["y"] >= the_map["y"] + the_map["height"] - 1, rects
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"the page scrolls sideways: {width[0]} px content in {width[1]} px"
        # the map still draws at this size
        box = page.locator(".xy-map canvas").first.bounding_box()
        assert box["height"] >= 300
    finally:
        context.close()


def test_at_1440_px_sidebar_map_and_legend_stay_side_by_side(served, browser):
    context, page = _open(browser, served, 1440)
    try:
        rects = _rects(page)
        controls, the_map, legend = rects["xy-map-controls"], rects["xy-map"], rects["xy-legend"]
        assert controls["x"] + controls["width"] <= the_map["x"] + 1
        assert the_map["x"] + the_map["width"] <= legend["x"] + 1
        assert abs(controls["y"] - the_map["y"]) < 20 and abs(legend["y"] - the_map["y"]) < 20
        assert the_map["width"] >= 900 and the_map["height"] >= 500
    finally:
        context.close()


def _axe(page, axe_js: Path) -> list[dict]:
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_js))
    return page.evaluate(AXE_RUN_JS)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_axe_finds_no_critical_or_serious_violation_on_any_tab(served, browser, lang):
    axe_js = require_axe()
    context, page = _open(browser, served, 1440)
    try:
        if lang == "en":
            page.locator(".xy-language button", has_text="English").click()
            page.locator(".bk-tab", has_text="Rooftop PV").wait_for()
        assert page.evaluate("document.documentElement.lang") == {"zh": "zh-CN", "en": "en"}[lang]
        found = {}
        for index, title in enumerate(TAB_TITLES[lang]):
            page.locator(".bk-tab", has_text=title).click()
            page.wait_for_selector(TAB_READY[index])
            page.wait_for_timeout(1500)  # the tab's widgets finish drawing
            bad = [v for v in _axe(page, axe_js) if v["impact"] in ("critical", "serious")]
            if bad:
                found[title] = bad
        assert found == {}, found
    finally:
        context.close()


def test_axe_on_the_narrow_page(served, browser):
    axe_js = require_axe()
    context, page = _open(browser, served, 400, 800)
    try:
        page.wait_for_timeout(1500)
        bad = [v for v in _axe(page, axe_js) if v["impact"] in ("critical", "serious")]
        assert bad == []
        # and with the sidebars open
        page.locator(".xy-side-toggle button").click()
        page.wait_for_function("() => window.__xySideOpen === true")
        page.wait_for_timeout(1000)
        bad = [v for v in _axe(page, axe_js) if v["impact"] in ("critical", "serious")]
        assert bad == []
    finally:
        context.close()
