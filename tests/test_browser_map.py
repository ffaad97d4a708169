"""The map's legend, colour bars, tab layers, scale bar, tooltips and page language in Chromium.

Uses the session's shared dashboard server and the page helper ``dash`` of conftest.py.
Never skipped under ``CI=true``.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import wait_until
from test_browser_dashboard import Page, project_dir, server  # noqa: F401

from dashboard.i18n import t

pytestmark = pytest.mark.browser


def _legend(dash) -> list[str]:
    return dash.page.locator(".xy-legend .xy-legend-item > span").all_inner_texts()


def _colour_bars(dash) -> list[str]:
    # read in one go: the legend is redrawn when a tab's result arrives (e.g. wind LCOE)
    return dash.page.locator(".xy-legend .xy-colorbar").evaluate_all("els => els.map(e => e.dataset.layer)")


def _checked(dash) -> list[str]:
    labels = dash.page.locator(".xy-layer-toggles label")
    return [
        labels.nth(i).inner_text().strip() for i in range(labels.count()) if labels.nth(i).locator("input").is_checked()
    ]


def _wait(predicate, what: str, timeout_s: float = 30) -> None:
    """conftest's :func:`wait_until` with this module's 30 s default."""
    wait_until(predicate, what, timeout_s)


def test_legend_lists_visible_layers_and_follows_toggles(dash):
    page = dash.page
    legend = [s.strip() for s in _legend(dash)]
    checked = _checked(dash)
    # every legend entry is a checked layer; every checked layer that draws something has one
    assert set(legend) <= set(checked)
    for label in ("县区边界", "产业园区", "屋顶", "县区名称"):
        assert label in checked and label in legend, (label, legend)
    assert set(checked) - set(legend) <= {t("new_facilities", "zh"), t("layer_flows", "zh")}
    assert _colour_bars(dash) == ["rooftops"], "the PV tab shows the rooftop yield colour bar"
    ramp = page.locator(".xy-colorbar[data-layer='rooftops']").inner_text()
    assert "900" in ramp and "1,150" in ramp, "the fixed yield range"

    page.locator(".xy-layer-toggles label", has_text="屋顶").locator("input").uncheck()
    _wait(lambda: "屋顶" not in [s.strip() for s in _legend(dash)], "hiding rooftops left their legend entry")
    _wait(lambda: _colour_bars(dash) == [], "hiding rooftops left their colour bar")
    page.locator(".xy-layer-toggles label", has_text="县区边界").locator("input").uncheck()
    _wait(lambda: "县区边界" not in [s.strip() for s in _legend(dash)], "hiding counties left their entry")
    page.locator(".xy-layer-toggles label", has_text="屋顶").locator("input").check()
    _wait(lambda: "屋顶" in [s.strip() for s in _legend(dash)], "showing rooftops again did not list them")
    _wait(lambda: _colour_bars(dash) == ["rooftops"], "showing rooftops again did not bring back the colour bar")
    assert dash.errors == []


def test_tabs_switch_their_layers_on_and_restore_the_others(dash):
    page = dash.page
    before = _checked(dash)
    wind_sites, wind = t("layer_wind_sites", "zh"), t("layer_wind", "zh")
    assert wind_sites not in before and wind not in before
    page.locator(".bk-tab", has_text="风电").click()
    _wait(lambda: wind_sites in _checked(dash) and wind in _checked(dash), "the wind tab did not show its layers")
    # the wind result may still be computing in the server's worker process: allow for it
    _wait(lambda: "rooftops" not in _colour_bars(dash), "the rooftop colour bar stayed on the wind tab", 300)
    assert "wind" in _colour_bars(dash)
    page.locator(".bk-tab", has_text="屋顶光伏").click()
    _wait(lambda: _checked(dash) == before, "leaving the wind tab did not restore the layers")
    _wait(lambda: _colour_bars(dash) == ["rooftops"], "the wind colour bar stayed on the PV tab")
    assert dash.errors == []


def test_html_lang_and_title_follow_the_language(dash):
    page = dash.page
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.title() == t("app_title", "zh")
    page.locator(".xy-language button", has_text="English").click()
    _wait(lambda: page.evaluate("document.documentElement.lang") == "en", "<html lang> stayed Chinese")
    _wait(lambda: page.title() == t("app_title", "en"), "the title stayed Chinese")
    dash.wait_text(".xy-legend", "County names")
    assert "Rooftops" in [s.strip() for s in _legend(dash)]
    page.locator(".xy-language button", has_text="中文").click()
    _wait(lambda: page.evaluate("document.documentElement.lang") == "zh-CN", "<html lang> stayed English")
    assert dash.errors == []


_VIEW_JS = """() => {
  const plot = [...Bokeh.documents[0].all_models].find(m => m.x_range && m.y_range && m.renderers && m.center);
  const v = Bokeh.index.find_one(plot);
  const bb = v.frame.bbox, cb = v.canvas_view.el.getBoundingClientRect();
  const bars = plot.center.filter(a => a.name == 'xy-scale-bar');
  return {x0: plot.x_range.start, x1: plot.x_range.end, y0: plot.y_range.start, y1: plot.y_range.end,
          left: cb.left + bb.left, top: cb.top + bb.top, width: bb.width, height: bb.height,
          bars: bars.length, bar_span: bars.length ? bars[0].range.end - bars[0].range.start : null};
}"""


def test_scale_bar_measures_ground_metres(dash):
    view = dash.page.evaluate(_VIEW_JS)
    assert view["bars"] == 1
    # Web Mercator metres shrunk by cos(latitude) at Xiangyang (about 32° N)
    ratio = view["bar_span"] / (view["x1"] - view["x0"])
    assert 0.83 < ratio < 0.87


def test_hover_over_dense_rooftops_shows_one_feature(dash, project_dir):  # noqa: F811
    from dashboard import _data
    from layers.project import Project

    page = dash.page
    page.wait_for_timeout(1500)
    view = page.evaluate(_VIEW_JS)
    roofs = _data.rooftop_points(Project.open(project_dir))
    x, y = _data.points_to_mercator(roofs["lon"], roofs["lat"])
    sx = view["left"] + (np.asarray(x) - view["x0"]) / (view["x1"] - view["x0"]) * view["width"]
    sy = view["top"] + (view["y1"] - np.asarray(y)) / (view["y1"] - view["y0"]) * view["height"]
    inside = (sx > view["left"] + 5) & (sx < view["left"] + view["width"] - 5)
    inside &= (sy > view["top"] + 5) & (sy < view["top"] + view["height"] - 5)
    sx, sy = sx[inside], sy[inside]
    near = (np.hypot(sx[:, None] - sx[None, :], sy[:, None] - sy[None, :]) < 2.5).sum(axis=1)
    best = int(np.argmax(near))
    assert near[best] >= 2, "the test needs overlapping rooftops under the cursor"
    label = t("colorbar_yield", "zh")
    text = ""
    for dx in (0.0, 0.5, -0.5, 1.0):
        page.mouse.move(float(sx[best] + dx), float(sy[best]))
        page.wait_for_timeout(800)
        tips = page.locator(".bk-Tooltip .bk-tooltip-content")
        text = " ".join(tips.nth(i).inner_text() for i in range(tips.count()) if tips.nth(i).is_visible())
        if label in text:
            break
    assert text.count(label) == 1, f"{near[best]} rooftops under the cursor, tooltip: {text!r}"
    assert "420" not in text and ("襄城区" in text or "襄州区" in text), f"county named, not coded: {text!r}"


def test_a_click_on_a_rooftop_selects_it(dash, project_dir):  # noqa: F811
    import re

    from dashboard import _data
    from layers.project import Project

    page = dash.page
    page.wait_for_timeout(1000)
    view = page.evaluate(_VIEW_JS)
    roofs = _data.rooftop_points(Project.open(project_dir))
    x, y = _data.points_to_mercator(roofs["lon"], roofs["lat"])
    sx = view["left"] + (np.asarray(x) - view["x0"]) / (view["x1"] - view["x0"]) * view["width"]
    sy = view["top"] + (view["y1"] - np.asarray(y)) / (view["y1"] - view["y0"]) * view["height"]
    inside = (sx > view["left"] + 20) & (sx < view["left"] + view["width"] - 20)
    inside &= (sy > view["top"] + 20) & (sy < view["top"] + view["height"] - 20)
    i = int(np.flatnonzero(inside)[0])
    page.mouse.click(float(sx[i]), float(sy[i]))  # a tap: Bokeh's Tap event reaches the PV tab
    shown = re.compile(re.escape(t("pv_col_id", "zh")) + r"\s*(r\d+)")  # the details' id row
    _wait(lambda: shown.search(dash.text(".xy-details")), "a click on a rooftop showed no details")
    chosen = shown.search(dash.text(".xy-details")).group(1)
    j = int(np.flatnonzero(roofs["id"].astype(str).to_numpy() == chosen)[0])
    assert np.hypot(sx[j] - sx[i], sy[j] - sy[i]) < 0.02 * view["width"] + 1, "the nearest rooftop is selected"
    # the selected rooftop is ringed on the map
    ring = page.evaluate(
        """() => {
          const r = [...Bokeh.documents[0].all_models].find(m => m.tags && m.tags.includes('xy-layer:selected'));
          return r.data_source.data.id ? [...r.data_source.data.id] : [];
        }"""
    )
    assert ring == [chosen]
    assert dash.errors == []
