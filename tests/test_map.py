"""The shared map's Bokeh figure without a browser: one figure per session, layers drawn on
demand, hover tools relabelled in place, rooftops as points or as one raster over the view.

Uses the synthetic dashboard project (tests/_dashboard_project.py, source="synthetic").
"""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
import pytest
from _dashboard_project import build_project

from dashboard.i18n import t


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return build_project(tmp_path_factory.mktemp("map") / "project", n_rooftops=300)


def _render(shared):
    """Render the map's view into a fresh document, as a session does."""
    from bokeh.document import Document

    doc = Document()
    return doc, shared.__panel__().get_root(doc)


def _holoviews_objects() -> set[int]:
    """Ids of the live HoloViews elements, streams and option trees."""
    import holoviews as hv

    kinds = (hv.core.dimension.LabelledData, hv.streams.Stream, hv.core.options.Options)
    return {id(o) for o in gc.get_objects() if isinstance(o, kinds)}


def test_a_sessions_map_is_one_bokeh_figure_and_builds_no_holoviews_objects(project):
    from bokeh.models import ColumnDataSource, GlyphRenderer, HoverTool, Plot

    from dashboard.map import LAYERS, SharedMap

    first = SharedMap(project, lang="zh")  # the first session fills the shared caches
    _render(first)
    gc.collect()
    before = _holoviews_objects()
    second = SharedMap(project, lang="zh")
    _doc, root = _render(second)
    second.enter_tab("solar")
    gc.collect()
    # objects left by earlier tests may be freed meanwhile: only new ones count
    assert not _holoviews_objects() - before, "building a session's map created HoloViews objects"

    plots = [m for m in root.references() if isinstance(m, Plot)]
    assert plots == [second.figure]
    assert second.pane.object is second.figure and second.figure is not first.figure
    # one source and renderer per layer, every one on this figure and this session's own
    renderers = [r for rs in second._renderers.values() for r in rs]
    assert set(second._renderers) == {*LAYERS, "selected"}
    assert all(isinstance(r, GlyphRenderer) and r in second.figure.renderers for r in renderers)
    sources = {id(r.data_source) for r in renderers}
    assert len(sources) == len(renderers) and all(isinstance(r.data_source, ColumnDataSource) for r in renderers)
    assert not sources & {id(r.data_source) for rs in first._renderers.values() for r in rs}
    hovers = [tool for tool in second.figure.tools if isinstance(tool, HoverTool)]
    assert hovers and all(len(tool.renderers) == 1 and tool.renderers[0] in renderers for tool in hovers)


def test_context_layers_start_hidden_and_are_sent_when_shown(project):
    from dashboard.map import SharedMap

    shared = SharedMap(project, lang="zh")
    shared.enter_tab("solar")
    quiet = ("roads", "grid", "power_plants", "airports", "railway_stations")
    offered = set(shared.toggles.options.values())
    for key in quiet:
        if key in offered:
            assert key not in shared.layers
            assert not any(r.visible for r in shared._renderers[key])
    assert {"counties", "parks", "bases", "county_labels", "rooftops"} <= set(shared.layers)
    assert "roads" in offered
    roads = shared._sources["roads"]
    assert len(roads.data["x"]) == 0, "a hidden layer's data is not sent"
    shared.toggles.value = [*shared.toggles.value, "roads"]  # one click in the sidebar
    assert "roads" in shared.layers and shared._renderers["roads"][0].visible
    assert len(roads.data["x"]) == len(shared._data["roads"]["x"]) > 0
    assert "roads" in shared.legend_entries()
    shared.layers = [k for k in shared.layers if k != "roads"]
    assert not shared._renderers["roads"][0].visible and "roads" not in shared.legend_entries()
    assert shared._sources["roads"] is roads and len(roads.data["x"]) > 0, "hiding keeps the sent data"


def test_language_switch_relabels_hover_tooltips_without_replacing_sources(project):
    from dashboard import _data
    from dashboard.map import SharedMap

    shared = SharedMap(project, lang="zh")
    _render(shared)
    shared.enter_tab("solar")
    roofs = _data.rooftop_points(project).iloc[:200]
    x, y = _data.points_to_mercator(roofs["lon"], roofs["lat"])
    shared.set_rooftops(
        pd.DataFrame(
            {"x": x, "y": y, "value": 1000.0, "id": roofs["id"], "name": roofs["name"], "county": roofs["county"]}
        ),
        value="value",
    )
    hovers = dict(shared._hover)
    sources = dict(shared._sources)
    columns = {key: dict(src.data) for key, src in sources.items()}
    assert dict(hovers["counties"].tooltips) == {t("col_name", "zh"): "@{label_zh}"}
    roof_tips = dict(hovers["rooftops_vector"].tooltips)
    assert roof_tips[t("col_county", "zh")] == "@{place_zh}" and t("colorbar_yield", "zh") in roof_tips

    shared.lang = "en"
    assert shared._hover == hovers and all(shared._hover[k] is hovers[k] for k in hovers), "hover tools replaced"
    assert dict(hovers["counties"].tooltips) == {t("col_name", "en"): "@{label_en}"}
    roof_tips = dict(hovers["rooftops_vector"].tooltips)
    assert roof_tips[t("col_county", "en")] == "@{place_en}" and t("colorbar_yield", "en") in roof_tips
    assert dict(hovers["power_plants"].tooltips)[t("col_technology", "en")] == "@{tech_en}"
    for key, source in shared._sources.items():
        assert source is sources[key], f"{key}: source replaced"
        for col, values in source.data.items():
            if (key, col) != ("county_labels", "text"):
                assert values is columns[key][col], f"{key}.{col} sent again on a language switch"
    labels = list(shared._sources["county_labels"].data["text"])
    assert "Xiangcheng" in labels and not any("区" in s for s in labels)


def test_many_rooftops_are_one_image_over_the_view_and_follow_the_filter(project):
    from dashboard.map import RASTER_PIXEL_RATIO, VECTOR_LIMIT, SharedMap

    shared = SharedMap(project, lang="zh")
    shared.enter_tab("solar")
    x0, y0, x1, y1 = shared._bounds
    rng = np.random.default_rng(3)
    n = VECTOR_LIMIT + 2000
    frame = pd.DataFrame(
        {"x": rng.uniform(x0, x1, n), "y": rng.uniform(y0, y1, n), "value": np.full(n, 1000.0), "id": "r", "name": "n"}
    )
    frame.loc[frame["x"] < (x0 + x1) / 2, "value"] = 950.0
    shared.set_rooftops(frame, value="value")
    raster, vector = shared._sources["rooftops"], shared._sources["rooftops_vector"]
    assert len(vector.data["x"]) == 0, "many rooftops are not sent as points"
    (image,) = raster.data["image"]
    fig = shared.figure
    assert raster.data["x"] == [fig.x_range.start] and raster.data["y"] == [fig.y_range.start]
    assert raster.data["dw"][0] == pytest.approx(fig.x_range.end - fig.x_range.start)
    assert image.shape == (int(520 * RASTER_PIXEL_RATIO), int(900 * RASTER_PIXEL_RATIO))  # before the browser's size
    finite = image[np.isfinite(image)]
    assert set(np.unique(finite)) == {950.0, 1000.0}
    west = image[:, : image.shape[1] // 3]
    assert np.nanmax(west) == 950.0, "row 0 south, column 0 west"

    # zooming re-aggregates over the new view only
    shared.zoom_to((x0, y0, (x0 + x1) / 2, (y0 + y1) / 2), pad=0.0)
    (zoomed,) = raster.data["image"]
    assert raster.data["x"][0] == pytest.approx(fig.x_range.start) and zoomed is not image
    assert raster.data["dw"][0] == pytest.approx(fig.x_range.end - fig.x_range.start)

    # a filter down to a few rooftops: points with hover, the image goes
    shared.set_rooftops(frame.iloc[:50], value="value")
    assert len(vector.data["x"]) == 50 and len(raster.data["image"]) == 0
    # hidden rooftops are not aggregated
    shared.layers = [k for k in shared.layers if k != "rooftops"]
    shared.set_rooftops(frame, value="value")
    assert len(raster.data["image"]) == 0
    shared.layers = [*shared.layers, "rooftops"]
    assert len(raster.data["image"]) == 1 and len(vector.data["x"]) == 0


def test_destroy_drops_the_figure_sources_and_listeners(project):
    from dashboard.map import SharedMap

    shared = SharedMap(project, lang="zh")
    _render(shared)
    shared.on_tap(lambda x, y: None)
    shared.destroy()
    assert shared.figure is None and shared._sources == {} and shared._renderers == {} and shared._hover == {}
    assert shared._data == {} and shared._tap_listeners == [] and shared._raster_pool is None
