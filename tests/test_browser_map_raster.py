"""Many rooftops on the map in Chromium: one datashader image over the view, aggregated again
in the server's worker thread when the view or the filter changes.

A synthetic project (tests/_dashboard_project.py, source="synthetic") with more rooftops than
:data:`dashboard.map.VECTOR_LIMIT`, served by ``python -m dashboard.cli serve``.  Never skipped
under ``CI=true``.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest
from _dashboard_project import build_project
from conftest import free_port, require_chromium, running_server, server_env

from dashboard.map import RASTER_PIXEL_RATIO, VECTOR_LIMIT

pytestmark = pytest.mark.browser
require_chromium()  # skips the module outside CI when Chromium is missing

#: the rooftop raster as the browser holds it, and the plot's view and frame size
_RASTER_JS = """() => {
  const models = [...Bokeh.documents[0].all_models];
  const plot = models.find(m => m.x_range && m.y_range && m.renderers && m.center);
  const frame = Bokeh.index.find_one(plot).frame.bbox;
  const r = models.find(m => m.tags && m.tags.includes('xy-layer:rooftops'));
  const d = r.data_source.data;
  const out = {n: d.image.length, x0: plot.x_range.start, x1: plot.x_range.end, y0: plot.y_range.start,
               width: frame.width, height: frame.height, visible: r.visible};
  if (out.n) {
    const img = d.image[0];
    out.x = d.x[0]; out.y = d.y[0]; out.dw = d.dw[0]; out.shape = [...img.shape];
    out.finite = Array.from(img).filter(Number.isFinite).length;
  }
  return out;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("raster")
    build_project(root / "project", n_rooftops=4 * VECTOR_LIMIT)  # a county's share above the limit too
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = server_env(root / "home")
    with running_server(
        [str(root / "project"), "--port", str(port)], env=env, log=root / "serve.log", ready_url=url, timeout_s=300
    ):
        yield url


def _wait(predicate, what: str, timeout_s: float = 30):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(what)
        time.sleep(0.2)


def test_rooftop_raster_follows_the_view_and_the_filter(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(server)
        page.wait_for_selector(".xy-map canvas", timeout=60_000)
        page.wait_for_selector(".xy-row-count", timeout=120_000)
        assert int(page.locator(".xy-row-count").first.get_attribute("data-rows")) > VECTOR_LIMIT
        first = _wait(lambda: (r := page.evaluate(_RASTER_JS))["n"] == 1 and r, "no rooftop raster arrived")
        assert first["visible"] and first["finite"] > 0
        span = first["x1"] - first["x0"]
        assert abs(first["x"] - first["x0"]) < 1e-6 * span and abs(first["dw"] - span) < 1e-6 * span

        # zoom in with the mouse wheel: a new image over the new view, sized to the plot
        box = page.locator(".xy-map").first.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.wheel(0, -600)

        def zoomed():
            r = page.evaluate(_RASTER_JS)
            moved = r["x1"] - r["x0"] < 0.9 * span
            return moved and r["n"] == 1 and abs(r["x"] - r["x0"]) < 1e-3 * (r["x1"] - r["x0"]) and r

        after = _wait(zoomed, "the raster was not aggregated again over the zoomed view")
        rows, cols = after["shape"]
        assert abs(cols - int(after["width"] * RASTER_PIXEL_RATIO)) <= 1, (after, "the plot's size reached the server")
        assert abs(rows - int(after["height"] * RASTER_PIXEL_RATIO)) <= 1, after
        _wait(
            lambda: "x" in parse_qs(urlparse(page.url).query),
            f"the view did not reach the URL: {page.url}",
        )

        # a county filter: fewer rooftops in the image, same view
        before = page.evaluate(_RASTER_JS)
        page.locator(".xy-solar-county select").select_option(label="襄城区")
        rows_before = int(page.locator(".xy-row-count").first.get_attribute("data-rows"))
        _wait(
            lambda: (r := page.evaluate(_RASTER_JS))["n"] == 1 and r["finite"] < before["finite"],
            "the filter did not reach the raster",
        )
        assert VECTOR_LIMIT < int(page.locator(".xy-row-count").first.get_attribute("data-rows")) < rows_before
        assert page.evaluate(_RASTER_JS)["x0"] == before["x0"]
        assert errors == []
    finally:
        context.close()
