"""The dashboard shell in Chromium: shareable URLs, the language switch, the map's texts.

Uses the session's shared dashboard server and the page helper ``dash`` of conftest.py.
Never skipped under ``CI=true``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import language_violations, wait_until

from dashboard.i18n import HTML_LANG, t
from dashboard.solar_tab import SolarTab

pytestmark = pytest.mark.browser

#: Names with no English form in the synthetic project (its parks).
PROPER_NAMES = ("襄城测试园区", "襄州测试园区")
#: The map's parts that hold text: sidebar (basemap, county zoom, toggles, details) and legend.
MAP_PARTS = ("xy-map-controls", "xy-legend")

#: Visible texts under the elements carrying one of ``classes`` (shadow roots included), read
#: as :data:`conftest.VISIBLE_TEXT_JS` reads the whole page.
_SCOPED_TEXT_JS = """
(classes) => {
  const out = [];
  const seen = (el) => el && el.checkVisibility && el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  const walk = (root) => {
    for (const node of root.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        const text = node.textContent.trim();
        const parent = node.parentElement;
        if (text && parent && !['SCRIPT', 'STYLE', 'OPTION'].includes(parent.tagName) && seen(parent)) out.push(text);
      } else if (node.nodeType === Node.ELEMENT_NODE) {
        if (node.tagName === 'SELECT' && seen(node) && node.selectedIndex >= 0) {
          out.push(node.options[node.selectedIndex].text);
        }
        if (node.shadowRoot) walk(node.shadowRoot);
        walk(node);
      }
    }
  };
  const find = (root) => {
    for (const node of root.children) {
      if (classes.some((c) => node.classList.contains(c))) {
        walk(node);
        if (node.shadowRoot) walk(node.shadowRoot);
      } else {
        if (node.shadowRoot) find(node.shadowRoot);
        find(node);
      }
    }
  };
  find(document);
  return out;
}
"""


@pytest.fixture(scope="module")
def server(dashboard_server) -> str:
    """The session's shared dashboard server (conftest.dashboard_server)."""
    return dashboard_server


@pytest.fixture(scope="module")
def server_log(dashboard_server, tmp_path_factory) -> Path:
    """The shared server's log (conftest.dashboard_server writes it under its one temporary
    folder, ``dashboard_server*``), read for tracebacks."""
    logs = sorted(tmp_path_factory.getbasetemp().glob("dashboard_server[0-9]*/serve.log"))
    assert len(logs) == 1, logs
    return logs[0]


def _wait(predicate, what: str, timeout_s: float = 30) -> None:
    """conftest's :func:`wait_until` with this module's 30 s default."""
    wait_until(predicate, what, timeout_s)


def _map_texts(page) -> list[str]:
    return page.evaluate(_SCOPED_TEXT_JS, list(MAP_PARTS))


def _tabs(page) -> list[str]:
    return [s.strip() for s in page.locator(".bk-tab").all_inner_texts()[:4]]


def _active_tab(page) -> str:
    return page.locator(".bk-tab.bk-active").first.inner_text().strip()


def _url(page) -> str:
    """The page's address as the browser has it now.

    (Playwright's ``page.url`` is a copy refreshed only while Playwright handles events, which
    a test sleeping in ``time.sleep`` never lets it do.)
    """
    return page.evaluate("() => window.location.href")


def _query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(_url(page)).query).items()}


def _view(page) -> dict:
    return page.evaluate(
        """() => {
          const plot = [...Bokeh.documents[0].all_models].find(m => m.x_range && m.y_range && m.renderers && m.center);
          return {x0: plot.x_range.start, x1: plot.x_range.end, y0: plot.y_range.start, y1: plot.y_range.end};
        }"""
    )


def _switch(page, lang: str) -> None:
    page.locator(".xy-language button", has_text={"zh": "中文", "en": "English"}[lang]).click()


def test_language_switch_relabels_tab_titles_html_lang_and_the_map(dash):
    page = dash.page
    zh_tabs = [t(m, "zh") for m in ("tab_solar", "tab_waste", "tab_wind", "tab_progress")]
    en_tabs = [t(m, "en") for m in ("tab_solar", "tab_waste", "tab_wind", "tab_progress")]
    assert _tabs(page) == zh_tabs
    assert page.evaluate("document.documentElement.lang") == HTML_LANG["zh"]
    texts = _map_texts(page)
    assert t("legend", "zh") in texts and t("layer_counties", "zh") in texts
    assert language_violations(texts, "zh") == []
    histogram = page.locator(".xy-solar-hist").first
    histogram.scroll_into_view_if_needed()
    zh_histogram = histogram.screenshot()
    _switch(page, "en")
    _wait(lambda: _tabs(page) == en_tabs, f"tab titles stayed {_tabs(page)}")
    # the histogram's title and axis labels are drawn on its canvas: it is painted again
    _wait(lambda: histogram.screenshot() != zh_histogram, "the histogram kept its Chinese labels")
    _wait(lambda: page.evaluate("document.documentElement.lang") == HTML_LANG["en"], "<html lang> stayed zh")
    _wait(lambda: t("legend", "en") in _map_texts(page), "the legend stayed Chinese")
    texts = _map_texts(page)
    assert t("layer_counties", "en") in texts and t("basemap_none", "en") in texts
    assert language_violations(texts, "en", proper_names=PROPER_NAMES) == [], texts
    assert _query(page).get("lang") == "en", _url(page)
    # the open tab is still the PV tab and the loading state is gone
    assert _active_tab(page) == en_tabs[0]
    _wait(lambda: page.locator(".xy-tabs.pn-loading, .xy-tabs .pn-loading").count() == 0, "still loading")
    _switch(page, "zh")
    _wait(lambda: _tabs(page) == zh_tabs, f"tab titles stayed {_tabs(page)}")
    _wait(lambda: t("legend", "zh") in _map_texts(page), "the legend stayed English")
    assert language_violations(_map_texts(page), "zh") == []
    assert dash.errors == []


def test_map_zoom_select_and_tooltip_follow_the_language(dash):
    page = dash.page
    select = page.locator(".xy-zoom-county select")
    zh_options = select.locator("option").all_inner_texts()
    assert t("all_city", "zh") in zh_options and "襄城区" in zh_options
    _switch(page, "en")
    _wait(lambda: t("all_city", "en") in select.locator("option").all_inner_texts(), "county zoom stayed zh")
    en_options = select.locator("option").all_inner_texts()
    assert "Xiangcheng" in en_options
    assert language_violations(en_options, "en") == []
    basemaps = page.locator(".xy-basemap select option").all_inner_texts()
    assert language_violations(basemaps, "en") == [], basemaps
    # a hover tool relabelled in place: the rooftop tooltip names its county in English
    view = page.evaluate(
        """() => {
          const plot = [...Bokeh.documents[0].all_models].find(m => m.x_range && m.y_range && m.renderers && m.center);
          const v = Bokeh.index.find_one(plot);
          const bb = v.frame.bbox, cb = v.canvas_view.el.getBoundingClientRect();
          return {left: cb.left + bb.left, top: cb.top + bb.top, width: bb.width, height: bb.height};
        }"""
    )
    label = t("colorbar_yield", "en")
    text = ""
    for fx in (0.5, 0.4, 0.6, 0.45, 0.55, 0.35, 0.65, 0.3, 0.7):
        for fy in (0.5, 0.4, 0.6, 0.3, 0.7):
            page.mouse.move(view["left"] + fx * view["width"], view["top"] + fy * view["height"])
            page.wait_for_timeout(250)
            tips = page.locator(".bk-Tooltip .bk-tooltip-content")
            text = "\n".join(tips.nth(i).inner_text() for i in range(tips.count()) if tips.nth(i).is_visible())
            if label in text:
                break
        if label in text:
            break
    assert label in text, f"no rooftop tooltip found: {text!r}"
    # labels in English; values are names (the synthetic rooftops' are Chinese) except the county's
    rows = dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)
    assert language_violations(list(rows), "en") == [], text
    assert rows[t("col_county", "en")] in {"Xiangcheng", "Fancheng", "Xiangzhou"}, text
    assert dash.errors == []


def test_url_restores_tab_language_view_selection_and_filters(dash, browser, server):
    page = dash.page
    filters = getattr(SolarTab, "url_params", {})  # the PV tab's URL keys, once it declares them
    # PV filters: a county and a minimum kWp
    page.locator(".xy-solar-county select").select_option(label="襄城区")
    n_county = dash.wait_rows_change(dash.rows())
    box = page.locator(".xy-solar-min-kwp input")
    box.fill("20")
    box.press("Enter")
    dash.wait_rows_change(n_county)
    n_rows = dash.rows()
    # zoom the map to a county, switch to English
    page.locator(".xy-zoom-county select").select_option(label="襄州区")
    _wait(lambda: "x" in _query(page) and _query(page).get("zoom") == "420607", "the zoom did not reach the URL")
    _switch(page, "en")
    _wait(lambda: _tabs(page)[1] == t("tab_waste", "en"), "tab titles stayed Chinese")
    # select a rooftop (table row): the map shows it and the URL names it; then open the Waste tab
    page.wait_for_timeout(1000)
    page.locator(".xy-solar-table .tabulator-row").first.locator(".tabulator-cell").nth(2).click()
    _wait(lambda: _query(page).get("sel"), "selecting a rooftop did not reach the URL")
    selected = _query(page)["sel"]
    page.locator(".bk-tab", has_text=t("tab_waste", "en")).click()
    _wait(lambda: _query(page).get("tab") == "waste", f"the tab did not reach the URL: {_url(page)}")
    view = _view(page)
    url = _url(page)
    query = _query(page)
    assert query["lang"] == "en"
    for key in ("county", "min_kwp"):
        if key in filters.values():
            assert key in query, f"{key} missing from {url}"

    # a new browser context (no shared state) opening the copied URL sees the same view
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        again = other.new_page()
        again.goto(url)
        again.wait_for_selector(".xy-map canvas", timeout=60_000)
        _wait(lambda: _active_tab(again) == t("tab_waste", "en"), "the Waste tab was not restored", 60)
        assert again.evaluate("document.documentElement.lang") == HTML_LANG["en"]
        assert t("app_title", "en") in again.locator(".xy-header-text").first.evaluate(
            "e => (e.shadowRoot ? e.shadowRoot.textContent : '') + e.textContent"
        )
        restored = _view(again)
        span = view["x1"] - view["x0"]
        for key in ("x0", "x1", "y0", "y1"):
            assert abs(restored[key] - view[key]) < 0.02 * span, (key, restored, view)
        assert again.locator(".xy-zoom-county select").evaluate("s => s.options[s.selectedIndex].text") == ("Xiangzhou")
        # the PV tab: same filters, same rows, the same rooftop selected
        again.locator(".bk-tab", has_text=t("tab_solar", "en")).click()
        again.wait_for_selector(".xy-row-count", timeout=120_000)
        if {"county", "min_kwp"} <= set(filters.values()):
            _wait(lambda: int(again.locator(".xy-row-count").first.get_attribute("data-rows")) == n_rows, "rows")
            county = lambda: _selected_text(again, ".xy-solar-county select")  # noqa: E731
            _wait(lambda: county() == "Xiangcheng", f"the PV county shows {county()!r}")  # relabelled on opening
            assert float(again.locator(".xy-solar-min-kwp input").input_value()) == 20.0
        _wait(lambda: _query(again).get("sel") == selected, f"the selection was not restored: {_url(again)}", 60)
    finally:
        other.close()
    assert dash.errors == []


def _open(browser, url: str, *, width: int = 1400, height: int = 1000):
    """A new browser context showing ``url``; returns (context, page, errors logged by the page)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector(".xy-map canvas", timeout=60_000)
    return context, page, errors


def _selected_text(page, selector: str) -> str:
    return page.locator(selector).evaluate("s => s.selectedIndex >= 0 ? s.options[s.selectedIndex].text : ''")


def test_url_with_invalid_values_opens_the_default_view(dash, browser, server, server_log):
    """Unknown values (a tab, a language, a county, a number, an extent) are ignored: the page is
    the default one, the URL is rewritten to it, and nothing fails in the page or the server."""
    log_start = server_log.stat().st_size  # the shared server's log: only what this test's sessions wrote
    n_default = dash.rows()
    query = "tab=nowhere&lang=fr&county=999999&min_kwp=abc&zoom=nowhere&x=foo&y=%5B1%2C2%2C3%5D&use=zzz"
    context, page, errors = _open(browser, f"{server}?{query}")
    try:
        page.wait_for_selector(".xy-row-count", timeout=120_000)
        assert _active_tab(page) == t("tab_solar", "zh")
        assert page.evaluate("document.documentElement.lang") == HTML_LANG["zh"]
        rows = lambda: int(page.locator(".xy-row-count").first.get_attribute("data-rows"))  # noqa: E731
        _wait(lambda: rows() == n_default, f"{rows()} rows shown, the default page shows {n_default}", 60)
        assert _selected_text(page, ".xy-solar-county select") == t("any", "zh")
        assert _selected_text(page, ".xy-solar-use select") == t("any", "zh")
        assert _selected_text(page, ".xy-zoom-county select") == t("all_city", "zh")
        assert float(page.locator(".xy-solar-min-kwp input").input_value()) == SolarTab.param.min_kwp.default

        def settled() -> bool:
            q = _query(page)
            return (
                q.get("tab", "solar") == "solar"
                and q.get("lang", "zh") == "zh"
                and q.get("county", "") == ""
                and q.get("zoom", "") == ""
                and q.get("use", "") == ""
                and float(q.get("min_kwp", "0")) == 0.0
                and "foo" not in q.get("x", "")
            )

        _wait(settled, f"the URL still names refused values: {_url(page)}", 60)
    finally:
        context.close()
    assert errors == []
    with server_log.open("rb") as f:
        f.seek(log_start)
        log = f.read().decode(errors="replace")
    assert "Traceback" not in log and "ERROR" not in log, log[-3000:]


def test_short_url_opens_the_waste_tab_in_english(browser, server):
    """A hand-shortened URL naming only the tab and the language opens that tab in that language."""
    context, page, errors = _open(browser, f"{server}?tab=waste&lang=en")
    try:
        _wait(lambda: _active_tab(page) == t("tab_waste", "en"), f"the open tab is {_active_tab(page)!r}", 60)
        assert _tabs(page) == [t(m, "en") for m in ("tab_solar", "tab_waste", "tab_wind", "tab_progress")]
        assert page.evaluate("document.documentElement.lang") == HTML_LANG["en"]
        assert page.title() == t("app_title", "en")
        _wait(lambda: t("legend", "en") in _map_texts(page), "the legend is not in English")
        assert language_violations(_map_texts(page), "en", proper_names=PROPER_NAMES) == []
        page.wait_for_selector(".xy-waste-tab", state="visible", timeout=60_000)
        query = _query(page)
        assert (query["tab"], query["lang"]) == ("waste", "en"), _url(page)
    finally:
        context.close()
    assert errors == []


def _box(page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box is not None and box["height"] > 0 and box["width"] > 0, f"{selector} is not drawn: {box}"
    return box


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def _scroll_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_narrow_screen_collapses_the_sidebars_and_keeps_the_map(browser, server, lang):
    """At 400 px the map comes first, at least 300 px tall and inside the first screen; the
    sidebars (map controls, PV filters) stay closed until the toggle opens them; nothing in
    the PV tab overlaps and nothing is wider than the window."""
    context, page, errors = _open(browser, f"{server}?lang={lang}", width=400, height=800)
    try:
        page.wait_for_selector(".xy-row-count", timeout=120_000)
        map_box = _box(page, ".xy-map")
        assert map_box["height"] >= 300, map_box
        assert map_box["y"] >= 0 and map_box["y"] + 300 <= 800, f"the map is not in the first screen: {map_box}"
        toggle = page.locator(".xy-side-toggle button")
        assert toggle.is_visible()
        assert toggle.inner_text().strip() == t("side_toggle", lang)
        sidebars = (".xy-zoom-county select", ".xy-layer-toggles", ".xy-solar-county select", ".xy-solar-min-kwp input")

        def shown() -> list[bool]:
            return [page.locator(s).first.is_visible() for s in sidebars]

        _wait(lambda: toggle.get_attribute("aria-expanded") == "false", "the toggle has no aria-expanded=false")
        assert shown() == [False] * len(sidebars)
        assert _scroll_width(page) <= 400
        # the PV tab's parts follow one another
        parts = {s: _box(page, s) for s in (".xy-solar-count", ".xy-solar-table", ".xy-solar-hist")}
        assert not _overlap(parts[".xy-solar-table"], parts[".xy-solar-hist"]), parts
        assert not _overlap(parts[".xy-solar-count"], parts[".xy-solar-table"]), parts
        assert parts[".xy-solar-table"]["y"] + parts[".xy-solar-table"]["height"] <= parts[".xy-solar-hist"]["y"]
        # open: both sidebars show, the map keeps its size, still no horizontal scroll
        toggle.click()
        _wait(lambda: toggle.get_attribute("aria-expanded") == "true", "aria-expanded stayed false")
        _wait(lambda: shown() == [True] * len(sidebars), f"the sidebars did not open: {shown()}")
        assert _box(page, ".xy-map")["height"] >= 300
        assert _scroll_width(page) <= 400
        filters, table = _box(page, ".xy-solar-min-kwp"), _box(page, ".xy-solar-table")
        assert not _overlap(filters, table), (filters, table)
        # close again
        toggle.click()
        _wait(lambda: toggle.get_attribute("aria-expanded") == "false", "aria-expanded stayed true")
        _wait(lambda: shown() == [False] * len(sidebars), f"the sidebars did not close: {shown()}")
    finally:
        context.close()
    assert errors == []


def test_wide_screen_shows_the_sidebars_without_a_toggle(browser, server):
    context, page, errors = _open(browser, server, width=1440, height=900)
    try:
        page.wait_for_selector(".xy-row-count", timeout=120_000)
        assert not page.locator(".xy-side-toggle button").is_visible()
        assert page.locator(".xy-zoom-county select").is_visible()
        assert page.locator(".xy-solar-county select").is_visible()
        assert _scroll_width(page) <= 1440
    finally:
        context.close()
    assert errors == []
