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
    """Render the map's view into a fresh document as its root, as a session does."""
    from bokeh.document import Document

    doc = Document()
    root = shared.__panel__().get_root(doc)
    doc.add_root(root)
    return doc, root


def _holoviews_objects() -> set[int]:
    """Ids of the live HoloViews elements, streams and option trees."""
    import holoviews as hv

    kinds = (hv.core.dimension.LabelledData, hv.streams.Stream, hv.core.options.Options)
    return {id(o) for o in gc.get_objects() if isinstance(o, kinds)}


def test_a_sessions_map_is_one_bokeh_figure_and_builds_no_holoviews_objects(project):
    from bokeh.models import ColumnDataSource, GlyphRenderer, HoverTool, Plot

    from dashboard.map import SharedMap

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
    # one source and renderer per shown layer, every one on this figure and this session's own
    renderers = [r for rs in second._renderers.values() for r in rs]
    assert set(second._renderers) == set(second.layers)
    assert all(isinstance(r, GlyphRenderer) and r in second.figure.renderers for r in renderers)
    sources = {id(r.data_source) for r in renderers}
    assert len(sources) == len(renderers) and all(isinstance(r.data_source, ColumnDataSource) for r in renderers)
    assert not sources & {id(r.data_source) for rs in first._renderers.values() for r in rs}
    hovers = [tool for tool in second.figure.tools if isinstance(tool, HoverTool)]
    assert hovers and all(len(tool.renderers) == 1 and tool.renderers[0] in renderers for tool in hovers)


def _layer_tags(fig) -> list[str]:
    """The layer keys of the figure's glyph renderers, in drawing order (bottom to top)."""
    from bokeh.models import GlyphRenderer

    return [
        tag.removeprefix("xy-layer:")
        for r in fig.renderers
        if isinstance(r, GlyphRenderer)
        for tag in r.tags
        if tag.startswith("xy-layer:")
    ]


def _in_drawing_order(keys: list[str]) -> bool:
    from dashboard.map import LAYERS

    rank = {key: i for i, key in enumerate((*LAYERS, "selected"))}
    ranks = [rank[k.removesuffix("-points")] for k in keys]
    return ranks == sorted(ranks)


def test_a_fresh_session_has_renderers_only_for_its_visible_layers(project):
    from bokeh.models import ColumnDataSource, GlyphRenderer, HoverTool

    from dashboard.map import DEFAULT_VISIBLE, SharedMap

    shared = SharedMap(project, lang="zh")
    doc, _root = _render(shared)
    visible = [k for k in DEFAULT_VISIBLE if k in shared.layers]
    assert visible == list(DEFAULT_VISIBLE), "the synthetic project has every layer shown at start"
    glyphs = [m for m in doc.models if isinstance(m, GlyphRenderer)]
    assert sorted(_layer_tags(shared.figure)) == sorted(visible)
    assert len(glyphs) == len(visible), "a hidden layer has a renderer in the page"
    sources = {m for m in doc.models if isinstance(m, ColumnDataSource)}
    assert sources == {r.data_source for r in glyphs}
    hovers = {tag for m in doc.models if isinstance(m, HoverTool) for tag in m.tags}
    assert hovers == {f"xy-hover:{k}" for k in ("counties", "parks", "bases")}  # county labels have none
    n_models = len(doc.models)

    shared.enter_tab("solar")  # as a session opens its first tab: the rooftops (image + points)
    assert sorted(_layer_tags(shared.figure)) == sorted([*visible, "rooftops", "rooftops-points"])
    assert _in_drawing_order(_layer_tags(shared.figure))
    assert {m for m in doc.models if isinstance(m, GlyphRenderer)} == {
        r for rs in shared._renderers.values() for r in rs
    }
    grown = len(doc.models) - n_models
    # the whole map as it was before (every layer made at start) had about 320 models
    shared.layers = list(shared.toggles.options.values())
    assert len(doc.models) - n_models > 3 * grown, "showing every layer adds their models"
    assert set(_layer_tags(shared.figure)) >= set(shared.toggles.options.values())


def test_layers_shown_later_draw_in_layer_order_with_their_data(project):
    from bokeh.models import GlyphRenderer

    from dashboard.map import LAYERS, SharedMap

    shared = SharedMap(project, lang="zh")
    doc, _root = _render(shared)
    shared.enter_tab("solar")
    fig = shared.figure
    assert "waste_sources" not in shared._renderers and "roads" not in shared._renderers
    # shown late and in reverse order: waste sources (above rooftops) before roads (below)
    shared.toggles.value = [*shared.toggles.value, "waste_sources"]
    shared.show_layers("roads")
    tags = _layer_tags(fig)
    assert tags.index("roads") < tags.index("rooftops") < tags.index("waste_sources")
    assert tags.index("waste_sources") < tags.index("county_labels") == len(tags) - 1, "names on top"
    assert _in_drawing_order(tags)
    (roads,) = shared._renderers["roads"]
    assert len(roads.data_source.data["x"]) == len(shared._data["roads"]["x"]) > 0
    assert doc.models.get_by_id(roads.id) is roads, "the new renderer is part of the page"
    (sources,) = shared._renderers["waste_sources"]
    assert list(sources.data_source.data["name"]) == list(shared._data["waste_sources"]["name"])

    shared.enter_tab("waste")  # four layers at once
    tags = _layer_tags(fig)
    assert {"flows", "facilities", "new_facilities"} <= set(tags) and _in_drawing_order(tags)
    # the selection ring is made on the first selection, on top of every layer
    assert "selected" not in shared._renderers
    frame = shared._data["bases"].assign(id="b1").iloc[:1]
    shared.select(frame)
    tags = _layer_tags(fig)
    assert tags[-1] == "selected" and list(shared._sources["selected"].data["id"]) == ["b1"]
    shared.show_layers("wind")  # the bottom layer, shown last
    tags = _layer_tags(fig)
    assert tags[0] == "wind" and tags[-1] == "selected" and _in_drawing_order(tags)
    glyphs = [r for r in fig.renderers if isinstance(r, GlyphRenderer)]
    assert len(glyphs) == len({id(r) for r in glyphs}) == sum(map(len, shared._renderers.values()))
    assert set(shared._renderers) <= {*LAYERS, "selected"}


def test_several_layers_shown_at_once_are_one_walk_of_the_model_graph(project):
    from dashboard.map import TAB_LAYERS, SharedMap

    shared = SharedMap(project, lang="zh")
    doc, _root = _render(shared)
    shared.enter_tab("solar")
    walks = []
    original = doc.models.recompute
    doc.models.recompute = lambda: (walks.append(1), original())
    shared.enter_tab("waste")
    assert all(key in shared._renderers for key in TAB_LAYERS["waste"])
    assert len(walks) == 1, f"{len(walks)} walks of the page's models to show the waste tab's layers"
    walks.clear()
    shared.enter_tab("solar")  # hides them: no new model, no walk
    assert walks == []


def test_hiding_and_showing_again_reuses_the_renderer_and_sends_what_changed_meanwhile(project):
    from dashboard.map import SharedMap

    shared = SharedMap(project, lang="zh")
    _render(shared)
    shared.enter_tab("waste")
    renderers = dict(shared._renderers)
    (new,) = renderers["new_facilities"]
    assert len(new.data_source.data["x"]) == 0 and new.visible
    shared.enter_tab("solar")
    assert shared._renderers["new_facilities"] == [new] and not new.visible
    sites = pd.concat([shared._data["bases"].iloc[:1]] * 2).assign(used_t_per_year=[10.0, 20.0])
    shared.set_layer("new_facilities", sites)
    assert len(new.data_source.data["x"]) == 0, "sent only when shown"
    count = len(shared.figure.renderers)
    shared.enter_tab("waste")
    assert shared._renderers["new_facilities"][0] is new and new.visible
    assert list(new.data_source.data["used_t_per_year"]) == [10.0, 20.0]
    assert all(shared._renderers[k] == rs for k, rs in renderers.items())
    assert len(shared.figure.renderers) == count + 0, "no renderer made twice"


def test_result_layers_set_while_hidden_are_drawn_as_set_when_first_shown(project):
    from dashboard.map import SharedMap

    shared = SharedMap(project, lang="zh")
    _render(shared)
    shared.enter_tab("solar")
    sites = [
        {"x": [0.0, 1.0, 1.0], "y": [0.0, 0.0, 1.0], "name": "a", "lcoe": 0.31},
        {"x": [2.0, 3.0, 3.0], "y": [0.0, 0.0, 1.0], "name": "b", "lcoe": 0.42},
    ]
    shared.set_layer("wind_sites", sites)
    assert "wind_sites" not in shared._renderers and "wind_sites" not in shared._hover
    shared.enter_tab("wind")
    (renderer,) = shared._renderers["wind_sites"]
    fill = renderer.glyph.fill_color
    assert fill.field == "lcoe" and fill.transform is shared._mappers["wind_sites"], "coloured by LCOE"
    assert list(renderer.data_source.data["lcoe"]) == [0.31, 0.42]
    assert t("colorbar_lcoe", "zh") in dict(shared._hover["wind_sites"].tooltips)
    assert shared._renderers["wind"][0].glyph.color_mapper is shared._mappers["wind"]


def test_context_layers_start_hidden_and_are_sent_when_shown(project):
    from dashboard.map import SharedMap

    shared = SharedMap(project, lang="zh")
    shared.enter_tab("solar")
    quiet = ("roads", "grid", "power_plants", "airports", "railway_stations")
    offered = set(shared.toggles.options.values())
    for key in quiet:
        if key in offered:
            assert key not in shared.layers
            assert key not in shared._renderers and key not in shared._sources, "a hidden layer is not built"
    assert {"counties", "parks", "bases", "county_labels", "rooftops"} <= set(shared.layers)
    assert "roads" in offered
    shared.toggles.value = [*shared.toggles.value, "roads"]  # one click in the sidebar
    roads = shared._sources["roads"]
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
    assert "waste_sources" not in shared._hover and "waste_sources" not in shared._renderers, "hidden: not made"
    for key, source in shared._sources.items():
        assert source is sources[key], f"{key}: source replaced"
        for col, values in source.data.items():
            if (key, col) != ("county_labels", "text"):
                assert values is columns[key][col], f"{key}.{col} sent again on a language switch"
    labels = list(shared._sources["county_labels"].data["text"])
    assert "Xiangcheng" in labels and not any("区" in s for s in labels)
    shared.show_layers("waste_sources")  # made after the switch: labelled in English
    assert dict(shared._hover["waste_sources"].tooltips)[t("col_waste_kind", "en")] == "@{kind_en}"
    shared.lang = "zh"
    assert dict(shared._hover["waste_sources"].tooltips)[t("col_waste_kind", "zh")] == "@{kind_zh}"
    assert "facilities" not in shared._hover and "facilities" not in shared._renderers, "hidden: not made"


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
