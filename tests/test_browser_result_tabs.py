"""The waste and wind tabs in Chromium: one language at a time, integers without decimals, and a
what-if that shows its loading state and stale figures before its result.

The session's shared synthetic dashboard project (conftest ``dashboard_server``) is served
with its k = 0 routings and default wind result stored (as after ``xysiting run``); the
what-if (one new facility) is not, so the server's worker process computes it while the page
waits.  One page serves the module's tests, in order.  Never skipped under ``CI=true``.
"""

from __future__ import annotations

import re

import pytest
from conftest import DashboardPage, download_buttons, language_violations, require_chromium, wait_until

from dashboard.i18n import t

pytestmark = pytest.mark.browser
require_chromium()

INTEGER = re.compile(r"^-?\d{1,3}(,\d{3})*$")
#: Whether an element with class ``cls`` is anywhere in the page, shadow roots included.
FIND_CLASS_JS = """
(cls) => {
  const find = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.classList.contains(cls)) return true;
      if (el.shadowRoot && find(el.shadowRoot)) return true;
    }
    return false;
  };
  return find(document);
}
"""
#: Start polling every frame for ``cls``; the time it first appears lands in window.__xySeenAt.
WATCH_CLASS_JS = (
    "(cls) => { window.__xySeenAt = null; const find = " + FIND_CLASS_JS.strip() + ";"
    " const tick = () => { if (find(cls)) { window.__xySeenAt = performance.now(); return; }"
    " requestAnimationFrame(tick); }; requestAnimationFrame(tick); }"
)


@pytest.fixture(scope="module")
def dash(browser, dashboard_server):
    """One page for the module's tests, in order (Chinese first, then English, then a what-if)."""
    page = DashboardPage(browser, dashboard_server, ready=())
    yield page
    page.close()


@pytest.fixture(scope="module")
def page(dash):
    dash.page.errors = dash.errors
    return dash.page


@pytest.fixture(scope="module")
def proper_names(dashboard_project_dir) -> tuple[str, ...]:
    """Names with no English form in the project: facilities, waste sources, substations."""
    from layers.project import Project

    project = Project.open(dashboard_project_dir)
    names = []
    for kind in ("facilities", "waste_sources", "grid", "power_plants"):
        if project.has(kind):
            layer = project.read(kind)
            names += layer["name"].dropna().astype(str).tolist()
    return tuple(sorted(set(names), key=len, reverse=True))


def _check_integers(dash, table: str, fields: tuple[str, ...]) -> None:
    for field in fields:
        cells = [c.strip() for c in dash.cells(table, field) if c.strip()]
        assert cells, f"no {field} cells in {table}"
        assert all(INTEGER.match(c) for c in cells), (field, cells)


def _check_pager_and_buttons(dash, texts: list[str], tab: str, lang: str) -> None:
    """The tables' pagers speak ``lang`` (not Tabulator's English) and no download label is clipped."""
    for word in ("tbl_first", "tbl_prev", "tbl_next", "tbl_last"):
        assert t(word, lang) in texts, (word, lang, texts)
    if lang == "zh":
        assert not {"First", "Prev", "Next", "Last"} & set(texts), texts
    buttons = download_buttons(dash.page, tab)
    assert len(buttons) >= 2 and all(label.startswith(t("download_xlsx", lang)[:2]) for label, _, _ in buttons)
    assert [b for b in buttons if b[1] > b[2]] == [], f"clipped download labels in {tab}: {buttons}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_waste_and_wind_tabs_speak_one_language_with_integers_without_decimals(dash, page, lang, proper_names):
    if lang == "en":
        dash.switch_language("en")
    dash.open_tab(t("tab_waste", lang), ".xy-waste-facilities", t("col_facility_kind", lang))
    texts = dash.texts(".xy-waste-tab")
    assert t("col_role", lang) in texts and t("waste_kind", lang) in texts
    assert language_violations(texts, lang, proper_names=proper_names) == []
    _check_pager_and_buttons(dash, texts, ".xy-waste-tab", lang)
    _check_integers(dash, ".xy-waste-facilities", ("capacity_t_per_year", "used_t_per_year"))
    _check_integers(dash, ".xy-waste-flows", ("t_per_year", "tkm", "cost_cny"))

    dash.open_tab(t("tab_wind", lang), ".xy-wind-table", t("col_county", lang))
    texts = dash.texts(".xy-wind-tab")
    assert t("turbine_class", lang) in texts
    assert language_violations(texts, lang, proper_names=proper_names) == []
    _check_pager_and_buttons(dash, texts, ".xy-wind-tab", lang)
    counties = {c.strip() for c in dash.cells(".xy-wind-table", "county")} - {""}
    assert counties and all(re.fullmatch(r"[A-Z][a-z]+", c) if lang == "en" else c[-1] in "区县市" for c in counties)
    _check_integers(dash, ".xy-wind-table", ("rank", "energy_mwh_per_year", "road_distance_m"))
    assert page.errors == []


def test_an_open_tables_pager_follows_a_language_switch_without_a_rebuild(dash, page):
    """The waste tables are on screen when the language changes: their pagers follow, and the
    Tabulator is relocalised in place (the same DOM element), not rebuilt from a new configuration."""
    dash.switch_language("zh")
    dash.open_tab(t("tab_waste", "zh"), ".xy-waste-facilities", t("col_facility_kind", "zh"))
    pager = page.locator(".xy-waste-facilities .tabulator-paginator").first
    assert t("tbl_next", "zh") in pager.inner_text()
    pager.evaluate("el => { el.closest('.tabulator').dataset.xyMark = 'before-switch' }")
    for lang in ("en", "zh"):
        dash.switch_language(lang)
        wait_until(lambda lang=lang: t("tbl_next", lang) in pager.inner_text(), f"the pager never showed {lang}", 30)
        assert t("tbl_first", lang) in pager.inner_text() and t("tbl_last", lang) in pager.inner_text()
        assert page.locator(".xy-waste-facilities .tabulator[data-xy-mark='before-switch']").count() == 1
    assert page.errors == []


def test_a_what_if_shows_loading_and_stale_figures_then_the_result(dash, page):
    dash.switch_language("zh")
    dash.open_tab(t("tab_waste", "zh"), ".xy-waste-facilities", t("col_facility_kind", "zh"))
    new = t("new_facilities", "zh")
    assert new not in page.locator(".xy-waste-totals").first.inner_text()
    page.evaluate(WATCH_CLASS_JS, "xy-stale")
    asked_at = page.evaluate("performance.now()")
    box = page.locator(".xy-waste-k input").first
    box.fill("1")
    box.press("Enter")  # one new facility: not stored, computed in the worker process
    wait_until(lambda: page.evaluate("window.__xySeenAt") is not None, "the what-if never marked the figures stale", 10)
    print(f"stale mark {page.evaluate('window.__xySeenAt') - asked_at:.0f} ms after the request")
    assert page.evaluate(FIND_CLASS_JS, "pn-loading"), "no loading state on the affected panes"
    wait_until(lambda: not page.evaluate(FIND_CLASS_JS, "xy-stale"), "the stale mark never went", 600)
    wait_until(lambda: new in page.locator(".xy-waste-totals").first.inner_text(), "no new facility in the totals", 30)
    assert not page.evaluate(FIND_CLASS_JS, "pn-loading")
    assert page.errors == []


#: The progress tab's bases map: its plot frame (width, height) in px from Bokeh's own views.
STATUS_MAP_FRAME_JS = """() => {
  const views = [];
  const walk = (v) => { views.push(v); for (const c of (v.child_views || [])) walk(c); };
  for (const root of Object.values(Bokeh.index)) walk(root);
  const map = views.find((v) => v.model && (v.model.css_classes || []).includes('xy-progress-status-map') && v.frame);
  return map ? [map.frame.bbox.width, map.frame.bbox.height] : null;
}"""


def test_the_progress_bases_map_is_laid_out_when_its_tab_opens(dash):
    """The bases map is drawn in a tab opened after the page: placed in a FlexBox beside the
    bases table, its Bokeh frame stayed 0 × 0 (axes around an empty plot)."""
    page = dash.page
    page.locator(".bk-tab", has_text=t("tab_progress", "zh")).first.click()
    page.wait_for_selector(".xy-progress-status-map", timeout=300_000)
    page.wait_for_function(f"({STATUS_MAP_FRAME_JS})() !== null", timeout=120_000)
    page.wait_for_timeout(500)  # one more layout pass
    width, height = page.evaluate(STATUS_MAP_FRAME_JS)
    assert width > 200 and height > 150, f"the bases map's frame is {width} × {height} px"
