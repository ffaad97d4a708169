"""The map shared by every tab: project layers, tab results, toggles, basemap, county zoom.

One Bokeh figure per browser session (shown with ``pn.pane.Bokeh``).  A layer gets its
``ColumnDataSource``, renderer and hover tool when it is first shown, in its place in the
drawing order (:data:`LAYERS`), so a page carries only the layers it draws (every Bokeh model
costs time to build, to send and to view on a cold load).  Setting a layer's data replaces
that source's data only (the browser gets that layer again and nothing else); toggling a
layer sets its renderer's ``visible``; a layer's data is sent only once it is shown.  Hover
tools are this session's own, one per layer, relabelled in place on a language switch (the
data carry their labels in both languages).  Rooftops are drawn as points with hover when
there are at most :data:`VECTOR_LIMIT` of them, and as an image aggregated with datashader
over the current view otherwise (:func:`dashboard._map_parts.aggregate_points`), so a
million rooftops reach the browser as one small image; it is aggregated again when the
view or the filter changes, in a worker thread, and applied on the next tick of the
session's event loop.  Beside the figure, an HTML legend lists every visible layer with
its symbol, and the colour bars (fixed ranges, :data:`COLOUR_RANGES`) of the visible
colour-mapped layers of the open tab.

Coordinates are Web Mercator (EPSG:3857) computed in :mod:`dashboard._data`; no tiles are
requested unless a basemap is switched on (:mod:`dashboard.tiles`).  Attribute values reach
the browser only as data (Bokeh tooltips render ``@field`` as text) or through
``html.escape``.  Frames, images and the legend's symbols are built in
:mod:`dashboard._map_parts`.

One :class:`SharedMap` is built per browser session (see :func:`dashboard.app.create_app`).

Why one module over 500 lines: :class:`SharedMap` holds every layer's source, renderer,
hover tool, toggle and legend entry, and they share one figure's state (view, basemap,
GCJ-02 shift, language); splitting the class would split that state.
"""

from __future__ import annotations

import contextlib
import functools
import html
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

import numpy as np
import pandas as pd
import panel as pn
import param
import shapely

from dashboard import _data
from dashboard._held import held
from dashboard._map_parts import (
    DETAILS_CSS,
    LEGEND_CSS,
    aggregate_points,
    compile_raster_kernels,
    county_name,
    labels,
    merged_lines,
    point_table,
    points_frame,
    symbol_svg,
    wind_image,
)
from dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES, MESSAGES, county_label, option_label, t
from dashboard.tiles import TileProvider, providers
from layers.project import Project

__all__ = [
    "COLOUR_RANGES",
    "DEFAULT_VISIBLE",
    "LAYERS",
    "PLANT_COLOURS",
    "RASTER_PIXEL_RATIO",
    "STATIC_LAYERS",
    "STYLES",
    "TAB_LAYERS",
    "TOOLTIPS",
    "VECTOR_LIMIT",
    "WASTE_COLOURS",
    "SharedMap",
    "compile_raster_kernels",
    "wind_image",
]

#: Up to this many rooftops are drawn as points with hover; more are rasterised.
VECTOR_LIMIT = 3000
#: Raster cells per screen pixel (each way): a rooftop shows as a block of about 3×3 pixels.
RASTER_PIXEL_RATIO = 0.3

#: Layer keys in drawing order (bottom to top) with their label message id.
LAYERS: dict[str, str] = {
    "wind": "layer_wind",
    "counties": "layer_counties",
    "exclusions": "layer_exclusions",
    "roads": "layer_roads",
    "parks": "layer_parks",
    "wind_sites": "layer_wind_sites",
    "rooftops": "layer_rooftops",
    "flows": "layer_flows",
    "grid": "layer_grid",
    "power_plants": "layer_power_plants",
    "airports": "layer_airports",
    "railway_stations": "layer_railway_stations",
    "waste_sources": "layer_waste_sources",
    "facilities": "layer_facilities",
    "new_facilities": "new_facilities",
    "bases": "layer_bases",
    "county_labels": "layer_county_labels",
}
#: Visible at start, with the open tab's layers (:data:`TAB_LAYERS`, switched on by
#: :meth:`SharedMap.enter_tab`).  The quiet context layers (roads, grid substations, power
#: plants, airports, railway stations) start hidden, one click away in the layer toggles.
DEFAULT_VISIBLE = ("counties", "parks", "bases", "county_labels")
#: Layers read from the project once (offered only when the project has them); the others
#: are results the tabs fill in.
STATIC_LAYERS = frozenset(
    {"wind", "counties", "exclusions", "roads", "parks", "grid", "power_plants", "airports", "railway_stations"}
    | {"waste_sources", "facilities", "bases", "county_labels"}
)
#: The layers each tab needs; opening the tab switches them on, leaving it restores the rest.
TAB_LAYERS: dict[str, tuple[str, ...]] = {
    "solar": ("rooftops",),
    "waste": ("flows", "waste_sources", "facilities", "new_facilities"),
    "wind": ("wind", "wind_sites"),
}

_YIELD_CMAP = ["#313695", "#4575b4", "#74add1", "#abd9e9", "#fee090", "#fdae61", "#f46d43", "#d73027"]
_WIND_CMAP = ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"]
_LCOE_CMAP = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027"]  # cheap green → dear red

#: Fixed colour ranges, so that colours mean the same in every view and session (the
#: "fit colours to data" switch replaces them by the drawn data's min–max).  Chosen from the
#: default project: rooftop specific yield spans 659–1087 kWh/kWp with the bulk at
#: 1040–1090; the wind resource raster spans 3.5–7.5 m/s at hub height; onshore wind LCOE
#: in Hubei lies around 0.25–0.45 CNY/kWh (0.2–0.6 leaves room either side).
COLOUR_RANGES: dict[str, tuple[float, float]] = {
    "colorbar_yield": (900.0, 1150.0),  # kWh/kWp
    "col_area_m2": (0.0, 5000.0),  # m²
    "colorbar_wind": (3.5, 7.5),  # m/s
    "colorbar_lcoe": (0.2, 0.6),  # CNY/kWh
}

#: One style per layer, used both by the glyphs and by the legend (so they always match).
#: kind: "fill" (polygon), "line", "marker" (bokeh marker name), "raster", "text".
STYLES: dict[str, dict] = {
    "wind": {"kind": "raster", "cmap": _WIND_CMAP},
    "counties": {"kind": "fill", "color": "#333333", "line": "#333333", "alpha": 0.03},
    "exclusions": {"kind": "line", "color": "#888888", "width": 1.0},
    "roads": {"kind": "line", "color": "#b0a080", "width": 0.8},
    "parks": {"kind": "fill", "color": "#e08214", "line": "#e08214", "alpha": 0.25},
    "wind_sites": {"kind": "fill", "color": "#1a9850", "line": "#1a9850", "alpha": 0.4},
    "rooftops": {"kind": "marker", "marker": "circle", "color": "#fdae61", "line": "#222222", "size": 7},
    "flows": {"kind": "line", "color": "#6a3d9a", "width": 4.0},
    "grid": {"kind": "marker", "marker": "square", "color": "#9e9ac8", "line": "#54278f", "size": 7},
    "power_plants": {"kind": "marker", "marker": "hex", "color": "#bdbdbd", "line": "#525252", "size": 9},
    "airports": {"kind": "marker", "marker": "plus", "color": "#636363", "line": "#636363", "size": 12},
    "railway_stations": {"kind": "marker", "marker": "square_x", "color": "#ffffff", "line": "#636363", "size": 9},
    "waste_sources": {"kind": "marker", "marker": "circle", "color": "#8c510a", "line": "#ffffff", "size": 11},
    "facilities": {"kind": "marker", "marker": "triangle", "color": "#c51b7d", "line": "#ffffff", "size": 13},
    "new_facilities": {"kind": "marker", "marker": "star", "color": "#ffd700", "line": "#7a5c00", "size": 18},
    "bases": {"kind": "marker", "marker": "diamond", "color": "#01665e", "line": "#ffffff", "size": 15},
    "county_labels": {"kind": "text", "color": "#222222"},
}
#: Waste-source colours by waste kind.
WASTE_COLOURS: dict[str, str] = {"phosphogypsum": "#8c510a", "construction": "#7570b3"}
#: Power-plant colours by technology (quiet, grey-ish); unknown technologies are grey.
PLANT_COLOURS: dict[str, str] = {
    "coal": "#737373",
    "gas": "#969696",
    "hydro": "#6baed6",
    "solar": "#fdd49e",
    "wind": "#a1d99b",
    "biomass": "#bcbddc",
    "waste": "#d9d9d9",
}


#: Hover tooltip rows per layer: (message id of the label, Bokeh field).  ``<lang>`` in a
#: field picks the column in the UI language (the data carry ``*_zh`` and ``*_en`` labels), so
#: a language switch relabels the session's hover tools in place without sending data again.
#: The rooftop rows (value label) and the wind-site LCOE row are added by
#: :meth:`SharedMap._set_tooltips`.
TOOLTIPS: dict[str, tuple[tuple[str, str], ...]] = {
    "wind": (("colorbar_wind", "@image{0.0}"),),
    "counties": (("col_name", "@{label_<lang>}"),),
    "parks": (("col_name", "@name"),),
    "wind_sites": (("col_name", "@name"),),
    "rooftops_vector": (("col_name", "@name"), ("col_county", "@{place_<lang>}")),
    "flows": (
        ("col_source", "@source_name"),
        ("col_facility", "@facility_name"),
        ("col_t_per_year", "@t_per_year{0,0}"),
    ),
    "grid": (("col_name", "@name"), ("col_voltage", "@voltage_kv{0} kV")),
    "power_plants": (("col_name", "@name"), ("col_technology", "@{tech_<lang>}"), ("col_mw", "@capacity_mw{0,0}")),
    "airports": (("layer_airports", "@name"),),
    "railway_stations": (("layer_railway_stations", "@name"),),
    "waste_sources": (
        ("col_name", "@name"),
        ("col_waste_kind", "@{kind_<lang>}"),
        ("col_t_per_year", "@supply_t_per_year{0,0}"),
    ),
    "facilities": (("col_name", "@name"), ("col_capacity", "@capacity_t_per_year{0,0}")),
    "new_facilities": (("col_name", "@name"), ("col_used", "@used_t_per_year{0,0}")),
    "bases": (("col_name", "@name"),),
}


#: Source columns of each layer when it has nothing to draw.
_EMPTY: dict[str, tuple[str, ...]] = {
    "wind": ("image", "x", "y", "dw", "dh"),
    "rooftops": ("image", "x", "y", "dw", "dh"),
    "counties": ("xs", "ys", "name", "label_zh", "label_en"),
    "parks": ("xs", "ys", "name"),
    "wind_sites": ("xs", "ys", "name"),
    "exclusions": ("x", "y"),
    "roads": ("x", "y"),
    "flows": ("xs", "ys", "t_per_year", "source_name", "facility_name", "width"),
    "county_labels": ("x", "y", "text"),
}
#: Attribute columns of the point layers (besides x and y).
_POINT_COLS: dict[str, tuple[str, ...]] = {
    "grid": ("name", "voltage_kv", "grid_kind"),
    "power_plants": ("name", "technology", "capacity_mw", "status"),
    "airports": ("name",),
    "railway_stations": ("name",),
    "waste_sources": ("name", "waste_kind", "supply_t_per_year"),
    "facilities": ("name", "facility_kind", "capacity_t_per_year", "status"),
    "new_facilities": ("name", "used_t_per_year"),
    "bases": ("name", "category", "base_kind"),
    "rooftops_vector": ("value", "id", "name", "county"),
    "selected": ("id", "name"),
}
_TRANSPARENT = "rgba(0, 0, 0, 0)"


def _rounded(start: float, end: float) -> tuple[float, float]:
    """A view extent rounded to whole metres (short URLs; a metre is far below a pixel here)."""
    return (float(round(start)), float(round(end)))


def _is_empty(data) -> bool:
    if data is None:
        return True
    if isinstance(data, tuple):  # (image, bounds)
        return False
    return hasattr(data, "__len__") and len(data) == 0


def _frame_columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return {col: frame[col].to_numpy() for col in frame.columns}


def _image_columns(image: np.ndarray | None, bounds: tuple | None) -> dict[str, list]:
    """Columns of a Bokeh ``image`` glyph: one image over (left, bottom, right, top), or none."""
    if image is None or bounds is None:
        return {c: [] for c in _EMPTY["wind"]}
    left, bottom, right, top = bounds
    return {"image": [image], "x": [left], "y": [bottom], "dw": [right - left], "dh": [top - bottom]}


def _paths_columns(key: str, data: list[dict] | None) -> dict[str, list]:
    """Columns of a patches/multi_line layer from :func:`dashboard._data.paths_data` records."""
    if not data:
        return {c: [] for c in _EMPTY[key]}
    attrs = [k for k in data[0] if k not in ("x", "y")]
    out = {"xs": [d["x"] for d in data], "ys": [d["y"] for d in data]}
    for col in attrs:
        out[col] = [d.get(col) for d in data]
    return out


def _edits_models(method):
    """Run ``method``, which edits this session's Bokeh models, as Panel edits its own.

    Bokeh models may be changed directly only while their document is locked.  Panel runs
    many callbacks (e.g. a table's selection) on an unlocked document: then, as Panel does
    for its own models, the changes are made inside :func:`panel.io.document.unlocked`, which
    writes them to the browser; when the document is not this thread's current one (or its
    websocket is not open yet), the call is made on the document's next tick instead.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        fig = getattr(self, "_figure", None)
        doc = fig.document if fig is not None else None
        if doc is None or doc.session_context is None or self._editing:
            return method(self, *args, **kwargs)
        if pn.state._unblocked(doc):  # Panel's own test (Reactive._apply_update)
            from panel.io.document import unlocked

            self._editing = True
            try:
                with unlocked():
                    return method(self, *args, **kwargs)
            finally:
                self._editing = False
        doc.add_next_tick_callback(functools.partial(method, self, *args, **kwargs))  # the document is locked then
        return None

    return wrapper


class SharedMap(pn.viewable.Viewer):
    """The session's map: layers, toggles, basemap choice, county zoom and tap details.

    Its state is declared as parameters (what the URL carries, see
    :func:`dashboard.app.sync_url`): the language, the visible layers, the basemap, the
    county zoomed to, the view extent and the selected feature.  The widgets in the sidebar
    are linked to them both ways.  The figure (:attr:`figure`) is built once, in the
    constructor; a layer's source, renderers and hover tools when the layer is first shown.

    Parameters
    ----------
    project : Project
        The project whose layers are drawn.
    lang : {"zh", "en"} or a param reference
        Language (``lang=app.param.lang`` follows the app's).
    basemap : str, optional
        Key of the initial basemap (:func:`dashboard.tiles.providers`); none by default.
    """

    lang = param.Selector(default=DEFAULT_LANGUAGE, objects=list(LANGUAGES), allow_refs=True, doc="UI language")
    layers = param.ListSelector(default=[], objects=list(LAYERS), doc="Keys of the visible layers (:data:`LAYERS`)")
    basemap = param.Selector(default="", objects=[""], doc="Basemap key; '' draws no tiles (offline)")
    county = param.String(default="", doc="Adcode of the county zoomed to; '' for the whole city")
    x_range = param.Range(default=None, doc="View extent east-west, Web Mercator (EPSG:3857) metres")
    y_range = param.Range(default=None, doc="View extent south-north, Web Mercator (EPSG:3857) metres")
    selected = param.String(default="", doc="Id of the selected feature ('' for none)")

    #: parameter → URL query key (:func:`dashboard.app.sync_url`); the visible layers follow the tab
    url_params: ClassVar[dict[str, str]] = {
        "x_range": "x",
        "y_range": "y",
        "county": "zoom",
        "basemap": "basemap",
        "selected": "sel",
    }

    def __init__(self, project: Project, *, lang=DEFAULT_LANGUAGE, basemap: str | None = None, **params):
        super().__init__(lang=lang, **params)
        self._providers: dict[str, TileProvider] = providers()
        self.param.basemap.objects = ["", *self._providers]
        with param.parameterized.discard_events(self):  # drawn below
            self.basemap = basemap if basemap in self._providers else ""
        self.project = project
        self._data: dict[str, object] = {}
        self._tap_listeners: list[Callable[[float, float], None]] = []
        self._gcj02_listeners: list[Callable[[], None]] = []
        self._value_label = "colorbar_yield"
        self._active_tab: str | None = None
        self._tab_added: set[str] = set()  # layers the open tab switched on (restored when left)
        self._from_view = False  # True while the browser's pan/zoom writes x_range/y_range
        # False until the page is shown: the plot reports placeholder ranges while it is built
        self.live = False
        self._basemap_drawn = self.basemap  # the basemap the layers are shifted for
        self._tile_renderer = None
        # the rooftop raster: the frame and (view, shape) last aggregated, a generation number
        # that makes older results stale, and the worker thread (made on first use)
        self._raster_frame: pd.DataFrame | None = None
        self._raster_view: tuple | None = None
        self._raster_gen = 0
        self._raster_pool: ThreadPoolExecutor | None = None
        self._editing = False  # True inside _edits_models

        lang = self.lang
        self.toggles = pn.widgets.CheckBoxGroup(
            label=t("layers", lang), options={}, value=[], inline=False, css_classes=["xy-layer-toggles"]
        )
        self.fit_colours = pn.widgets.Checkbox(
            label=t("fit_colours", lang), value=False, css_classes=["xy-fit-colours"]
        )
        self.legend = pn.pane.HTML("", width=210, css_classes=["xy-legend"], stylesheets=[LEGEND_CSS])
        self.basemap_select = pn.widgets.Select(
            label=t("basemap", lang), css_classes=["xy-basemap"], options=self._basemap_options(), value=self.basemap
        )
        self.county_select = pn.widgets.Select(
            label=t("zoom_county", lang), options=self._county_options(), css_classes=["xy-zoom-county"]
        )
        self.details = pn.pane.HTML(
            self._details_html(None),
            sizing_mode="stretch_width",
            css_classes=["xy-details"],
            stylesheets=[DETAILS_CSS],
        )
        self._layers_title = pn.pane.HTML(f"<b>{html.escape(t('layers', lang))}</b>")

        self._load_static_layers()
        self.county_select.options = self._county_options()  # the counties are known now
        self.toggles.options = self._toggle_options()  # so are the project's layers
        self._build_figure()
        self.layers = [k for k in DEFAULT_VISIBLE if self._available(k)]  # _on_layers draws them
        self.toggles.value = list(self.layers)
        self._sync_tiles()
        self.pane = pn.pane.Bokeh(self._figure, sizing_mode="stretch_both", min_height=520)
        # the widgets edit the parameters and show them (both ways)
        self.toggles.link(self, value="layers", bidirectional=True)
        self.basemap_select.link(self, value="basemap", bidirectional=True)
        self.county_select.link(self, value="county", bidirectional=True)
        self.fit_colours.param.watch(lambda _event: self.rebuild(), "value")
        self.param.watch(self._on_view_params, ["x_range", "y_range", "county"])  # with the events
        self._refresh_legend()

    def __panel__(self) -> pn.viewable.Viewable:
        """Sidebar, map and legend side by side."""
        return pn.Row(
            self.controls(),
            self.pane,
            self.legend,
            sizing_mode="stretch_width",
            height=560,
            css_classes=["xy-map-row"],  # stacked on narrow screens (dashboard/_style.py)
        )

    # -- public API used by the tabs ----------------------------------------------------------
    @property
    def figure(self):
        """The session's Bokeh figure (None once :meth:`destroy` ran)."""
        return self._figure

    @property
    def gcj02(self) -> bool:
        """True when the current basemap is in GCJ-02 and layers must be shifted."""
        provider = self._providers.get(self.basemap or "")
        return bool(provider and provider.gcj02)

    @_edits_models
    def set_layer(self, key: str, data) -> None:
        """Set the data of result layer ``key`` (see the builders) and redraw it if visible."""
        self._data[key] = data
        if key == "wind_sites":
            self._set_tooltips("wind_sites")  # with or without the LCOE row
            self._update_mappers()
        self._push(key)
        self._refresh_legend()

    @_edits_models
    def set_rooftops(
        self, frame: pd.DataFrame | None, *, value: str = "kwh_per_kwp", label_id: str = "colorbar_yield"
    ) -> None:
        """Draw rooftops: ``frame`` has x, y (Web Mercator), ``value`` and id/name/county.

        At most :data:`VECTOR_LIMIT` rooftops are drawn as points with hover; more are
        aggregated into an image over the current view.
        """
        if frame is None:
            self._data["rooftops"] = None
        else:
            self._data["rooftops"] = frame.rename(columns={value: "value"})[
                [c for c in ("x", "y", "value", "id", "name", "county") if c in frame.columns or c == "value"]
            ]
        if label_id != self._value_label:
            self._value_label = label_id
            self._set_tooltips("rooftops")
            self._set_tooltips("rooftops_vector")
        self._update_mappers()
        self._push("rooftops")
        self._refresh_legend()

    @_edits_models
    def select(self, frame: pd.DataFrame | None) -> None:
        """Highlight selected features (a frame with x, y, id, name); :attr:`selected` names the first."""
        data = None if frame is None or not len(frame) else points_frame(frame, _POINT_COLS["selected"])
        self._data["selected"] = data
        self._push("selected")
        self.selected = "" if data is None else str(frame["id"].iloc[0])

    def show_layers(self, *keys: str) -> None:
        """Switch layers ``keys`` on (e.g. when a tab whose results they are is opened)."""
        missing = [k for k in keys if k not in self.layers and self._available(k)]
        if missing:
            self.layers = [*self.layers, *missing]

    def enter_tab(self, name: str) -> None:
        """Tab ``name`` was opened: switch on the layers it needs (:data:`TAB_LAYERS`).

        The layers the previously open tab switched on are switched off again, so every
        other layer is as the user left it; its colour bars follow the open tab.
        """
        current = [k for k in self.layers if k not in self._tab_added]
        needed = [k for k in TAB_LAYERS.get(name, ()) if self._available(k)]
        self._tab_added = {k for k in needed if k not in current}
        self._active_tab = name
        value = [k for k in LAYERS if k in current or k in self._tab_added]
        if value != list(self.layers):
            self.layers = value  # _on_layers refreshes the legend
        else:
            self._refresh_legend()

    def on_tap(self, callback: Callable[[float, float], None]) -> None:
        """Call ``callback(x, y)`` (Web Mercator) when the user clicks the map."""
        self._tap_listeners.append(callback)

    def on_gcj02_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` when switching basemap changes the coordinate offset."""
        self._gcj02_listeners.append(callback)

    def show_details(self, record: dict | None) -> None:
        """Show a feature's attributes (escaped) in the details box."""
        self.details.object = self._details_html(record)

    @_edits_models
    def zoom_to(self, bounds: tuple[float, float, float, float] | None, *, pad: float = 0.05):
        """Zoom the map to Web Mercator ``bounds`` (xmin, ymin, xmax, ymax), widened to the plot's shape."""
        if bounds is None or self._figure is None:
            return
        xmin, ymin, xmax, ymax = bounds
        dx, dy = max(xmax - xmin, 200.0), max(ymax - ymin, 200.0)
        cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
        width, height = self._plot_size()
        aspect = width / max(height, 1)
        if dx / dy < aspect:
            dx = dy * aspect
        else:
            dy = dx / aspect
        dx, dy = dx * (1 + pad), dy * (1 + pad)
        self._set_view((cx - dx / 2, cx + dx / 2), (cy - dy / 2, cy + dy / 2), record=True)

    @param.depends("lang", watch=True)
    @_edits_models
    def _relabel(self) -> None:
        """Relabel widgets, legend, details and tooltips in place; no source is replaced.

        Hover tools are this session's own objects, relabelled in place; the data carry their
        labels in both languages (``label_zh``/``label_en``...), so only the county names,
        drawn as text, are sent again (that one column).
        """
        lang = self.lang
        with held():
            self.toggles.param.update(options=self._toggle_options(), label=t("layers", lang))
            self._layers_title.object = f"<b>{html.escape(t('layers', lang))}</b>"
            self.basemap_select.param.update(options=self._basemap_options(), label=t("basemap", lang))
            self.county_select.param.update(options=self._county_options(), label=t("zoom_county", lang))
            self.details.object = self._details_html(getattr(self, "_details_record", None))
            self.fit_colours.label = t("fit_colours", lang)
            for key in self._hover:
                self._set_tooltips(key)
            labels_source = self._sources.get("county_labels")
            frame = self._data.get("county_labels")
            if labels_source is not None and self._sent.get("county_labels") is frame and frame is not None:
                labels_source.data["text"] = self._county_texts(frame)
            self._refresh_legend()

    @_edits_models
    def rebuild(self) -> None:
        """Draw every visible layer again (colour ranges, tooltips, data) keeping the current view."""
        if self._figure is None:
            return
        with held():
            self._update_mappers()
            for key in self._hover:
                self._set_tooltips(key)
            self._sent.clear()
            self._raster_view = None
            for key in (*LAYERS, "selected"):
                self._push(key)
            self._refresh_legend()

    def controls(self) -> pn.Column:
        """The sidebar: basemap, county zoom, layer toggles, details."""
        return pn.Column(
            self.basemap_select,
            self.county_select,
            self._layers_title,
            self.toggles,
            self.fit_colours,
            self.details,
            width=240,
            css_classes=["xy-map-controls"],
        )

    def destroy(self) -> None:
        """Free this session's map state (called when the browser session is destroyed).

        Stops the raster worker, drops the drawn data, the listeners (tab callbacks), the
        figure, its sources, renderers and hover tools.
        """
        self._raster_gen += 1  # a raster still being aggregated is never applied
        if self._raster_pool is not None:
            self._raster_pool.shutdown(wait=False, cancel_futures=True)
            self._raster_pool = None
        self._tap_listeners.clear()
        self._gcj02_listeners.clear()
        self._data.clear()
        self._sent.clear()
        self._raster_frame = None
        self._sources, self._renderers, self._hover, self._mappers = {}, {}, {}, {}
        self._figure = None
        self._tile_renderer = None

    # -- layers -------------------------------------------------------------------------------
    def _load_static_layers(self) -> None:
        gcj = self.gcj02
        project = self.project
        counties = _data.mercator_layer(project, "counties", gcj02=gcj)
        self._bounds = None
        if counties is not None and len(counties):
            attrs = pd.DataFrame(
                {
                    "name": counties["name"].astype(str),
                    "adcode": counties["adcode"].astype(str) if "adcode" in counties else "",
                }
            )
            # county names in both UI languages, not only the stored Chinese ones
            for lang in LANGUAGES:
                attrs[f"label_{lang}"] = [
                    county_name(c, n, lang) for c, n in zip(attrs["adcode"], attrs["name"], strict=True)
                ]
            self._data["counties"] = _data.paths_data(counties.geometry.values, attrs=attrs)
            self._county_bounds = {
                str(code): _data.bounds_mercator([geom])
                for code, geom in zip(attrs["adcode"], counties.geometry.values, strict=True)
            }
            self._bounds = _data.bounds_mercator(counties.geometry.values)
            # the counties layer has no seats: each name sits on the county's representative point
            pts = shapely.point_on_surface(counties.geometry.values)
            self._data["county_labels"] = pd.DataFrame(
                {"x": shapely.get_x(pts), "y": shapely.get_y(pts), "adcode": attrs["adcode"], "name": attrs["name"]}
            )
        else:
            self._county_bounds = {}
            self._data["county_labels"] = None
        parks = _data.mercator_layer(project, "industrial_parks", gcj02=gcj)
        if parks is not None:
            self._data["parks"] = _data.paths_data(
                parks.geometry.values, attrs=pd.DataFrame({"name": parks["name"].astype(str)})
            )
        excl = _data.mercator_layer(project, "exclusions", gcj02=gcj)
        if excl is not None:
            self._data["exclusions"] = merged_lines(excl.geometry.values)
            kinds = excl["exclusion_kind"].astype(str) if "exclusion_kind" in excl else pd.Series("", index=excl.index)
            for key, kind in (("airports", "airport"), ("railway_stations", "railway_station")):
                self._data[key] = (
                    point_table(excl[(kinds == kind).to_numpy()], ("name",)) if kind in set(kinds) else None
                )
        for key in ("grid", "power_plants"):
            layer = _data.mercator_layer(project, key, gcj02=gcj) if project.has(key) else None
            self._data[key] = point_table(layer, _POINT_COLS[key]) if layer is not None and len(layer) else None
        roads = _data.mercator_layer(project, "roads", gcj02=gcj)
        if roads is not None:
            self._data["roads"] = merged_lines(roads.geometry.values)
        for key in ("waste_sources", "facilities", "bases"):
            layer = _data.mercator_layer(project, key, gcj02=gcj)
            if layer is not None:
                self._data[key] = point_table(layer, _POINT_COLS[key])
        self._data["wind"] = wind_image(project, gcj02=gcj)
        if self._bounds is None:
            rooftops = _data.rooftop_points(project)
            if rooftops is not None and len(rooftops):
                x, y = _data.points_to_mercator(rooftops["lon"], rooftops["lat"])
                self._bounds = (float(x.min()), float(y.min()), float(x.max()), float(y.max()))

    def _build_figure(self) -> None:
        """The figure: view, tools, colour mappers, scale bar and events; no layer yet.

        A layer's source, renderers and hover tools are made when it is first shown
        (:meth:`_layer_renderers`): a session's page carries only the layers it draws.
        """
        from bokeh.events import RangesUpdate, Tap
        from bokeh.models import LinearColorMapper, Range1d
        from bokeh.palettes import interp_palette
        from bokeh.plotting import figure

        view = self._start_view() or (0.0, 0.0, 1.0, 1.0)
        fig = figure(
            x_range=Range1d(view[0], view[2]),
            y_range=Range1d(view[1], view[3]),
            x_axis_type=None,
            y_axis_type=None,
            sizing_mode="stretch_both",
            min_height=520,
            tools="pan,wheel_zoom,box_zoom,reset,save",
            active_scroll="wheel_zoom",
            toolbar_location="above",
            min_border=5,
            outline_line_color="#e5e5e5",
            css_classes=["xy-map"],  # the pane passes the figure on as it is: the class goes on it
        )
        fig.toolbar.logo = None
        self._figure = fig
        cmaps = {"rooftops": _YIELD_CMAP, "wind": _WIND_CMAP, "wind_sites": _LCOE_CMAP}
        self._mappers = {
            key: LinearColorMapper(palette=interp_palette(cmap, 256), nan_color=_TRANSPARENT)
            for key, cmap in cmaps.items()
        }
        self._update_mappers()
        # made on first need, per layer (_layer_renderers); _sent: the data each source holds
        self._sources, self._renderers, self._hover, self._sent = {}, {}, {}, {}
        fig.add_layout(self._scale_bar(fig))
        fig.on_event(Tap, self._on_tap_event)
        fig.on_event(RangesUpdate, self._on_ranges_event)

    def _batch(self, *, new_models: bool):
        """One patch for the edits inside; with ``new_models``, also one model-graph recount
        (:func:`dashboard._held.held`, which costs one walk of the document even when nothing
        is added, so it is used only when models are)."""
        doc = self._figure.document if self._figure is not None else None
        if doc is None:
            return contextlib.nullcontext()
        return held(doc) if new_models else pn.io.hold(doc)

    def _layer_renderers(self, key: str) -> list:
        """The renderers of layer ``key`` (or ``"selected"``), made on first need.

        Made with their sources (holding the layer's current data), their hover tools
        (labelled in the current language) and ``xy-layer:KEY`` tags, and put in their place in
        the figure's renderers: :data:`LAYERS` order, the selection ring on top, however late
        a layer is first shown.
        """
        renderers = self._renderers.get(key)
        if renderers is None:
            with self._batch(new_models=True):
                renderers = self._make_layer(key)
        return renderers

    def _make_layer(self, key: str) -> list:
        """Make layer ``key``'s sources, renderers and hover tools (see :meth:`_layer_renderers`)."""
        from bokeh.models import ColumnDataSource, HoverTool

        fig = self._figure
        if key == "rooftops":  # the image (many rooftops) and the points with hover (few)
            data = {"rooftops": None, "rooftops_vector": self._rooftop_vector()}
        else:
            data = {key: self._data.get(key)}
        sources = {k: ColumnDataSource(data=self._columns(k, d)) for k, d in data.items()}
        self._sources.update(sources)
        self._sent.update(data)
        renderers = self._glyphs(key, fig, sources)
        for i, renderer in enumerate(renderers):  # found by tag in the browser (tests)
            renderer.tags = [f"xy-layer:{key}" if i == 0 else f"xy-layer:{key}-points"]
            renderer.visible = self._visible(key)
        self._renderers[key] = renderers
        rank = {
            id(r): (i, j) for i, k in enumerate((*LAYERS, "selected")) for j, r in enumerate(self._renderers.get(k, ()))
        }
        # a stable sort; the tiles (no layer) first, though they are drawn below the layers anyway (level "image")
        ordered = sorted(fig.renderers, key=lambda r: rank.get(id(r), (-1, 0)))
        if list(fig.renderers) != ordered:
            fig.renderers = ordered
        if key == "wind_sites":
            self._style_wind_sites(data[key])
        # one hover tool per layer, labelled by _set_tooltips (tags find them in the browser)
        hover = {"rooftops": ("rooftops", "rooftops_vector")}.get(key, (key,) if key in TOOLTIPS else ())
        tools = []
        for name, renderer in zip(hover, renderers, strict=False):
            tool = HoverTool(renderers=[renderer], tooltips=[], tags=[f"xy-hover:{name}"], limit=1)
            if name in ("wind", "rooftops"):  # no tooltip over empty cells (NaN)
                tool.filters = {"image": _finite_filter()}
            self._hover[name] = tool
            self._set_tooltips(name)
            tools.append(tool)
        if tools:
            fig.add_tools(*tools)
        return renderers

    def _glyphs(self, key: str, fig, sources: dict) -> list:
        """Layer ``key``'s glyph renderers on ``fig``, drawing ``sources`` in :data:`STYLES`."""
        src = sources[key]
        if key == "selected":
            return [
                fig.scatter(
                    "x", "y", source=src, marker="circle", size=16, fill_color=None, line_color="#ff00aa", line_width=3
                )
            ]
        style = STYLES[key]
        if key in ("wind", "rooftops"):
            out = [
                fig.image(
                    image="image", x="x", y="y", dw="dw", dh="dh", source=src,
                    color_mapper=self._mappers[key], global_alpha=0.6 if key == "wind" else 0.9,
                )
            ]  # fmt: skip
            if key == "rooftops":
                out.append(
                    fig.scatter(
                        "x", "y", source=sources["rooftops_vector"], marker="circle", size=style["size"],
                        fill_color={"field": "value", "transform": self._mappers["rooftops"]},
                        line_color=style["line"], line_width=0.3,
                    )
                )  # fmt: skip
            return out
        if style["kind"] == "fill":
            return [
                fig.patches(
                    "xs", "ys", source=src, fill_color=style["color"], fill_alpha=style["alpha"],
                    line_color=style["line"], line_width=1.2,
                )
            ]  # fmt: skip
        if key == "flows":
            return [
                fig.multi_line("xs", "ys", source=src, line_color=style["color"], line_alpha=0.75, line_width="width")
            ]
        if style["kind"] == "line":
            return [fig.line("x", "y", source=src, line_color=style["color"], line_width=style["width"])]
        if style["kind"] == "text":
            return [
                fig.text(
                    "x", "y", text="text", source=src, text_color=style["color"], text_font_size="12pt",
                    text_font_style="bold", text_alpha=0.85, text_align="center", text_baseline="middle",
                )
            ]  # fmt: skip
        # markers
        fill = {"power_plants": "colour", "waste_sources": "colour"}.get(key, style["color"])
        size = {"waste_sources": "size", "new_facilities": 22}.get(key, style["size"])
        line_width = 1.5 if key in ("airports", "railway_stations") else 1.0
        return [
            fig.scatter(
                "x", "y", source=src, marker=style["marker"], size=size, fill_color=fill,
                line_color=style["line"], line_width=line_width,
            )
        ]  # fmt: skip

    def _columns(self, key: str, data) -> dict:
        """The source columns that draw ``data`` of layer ``key`` (empty columns for None)."""
        if key in ("wind", "rooftops"):
            return _image_columns(*(data if data is not None else (None, None)))
        if key in ("counties", "parks", "wind_sites", "flows"):
            out = _paths_columns(key, data)
            if key == "flows" and data:
                t_per_year = np.asarray(out["t_per_year"], dtype=float)
                top = max(float(np.nanmax(t_per_year)), 1e-9)
                out["width"] = t_per_year / top * 10 + 1.5
            return out
        if key in ("exclusions", "roads"):
            return {"x": [], "y": []} if data is None else dict(data)
        if key == "county_labels":
            if data is None:
                return {c: [] for c in _EMPTY[key]}
            return {"x": data["x"].to_numpy(), "y": data["y"].to_numpy(), "text": self._county_texts(data)}
        frame = points_frame(data, _POINT_COLS[key])
        if key == "power_plants":
            tech = frame["technology"].astype(str)
            colour = tech.map(PLANT_COLOURS).fillna(STYLES[key]["color"]).to_numpy()
            frame = frame.assign(colour=colour, **labels(tech, "tech", "tech"))
        elif key == "waste_sources":
            kind = frame["waste_kind"].astype(str)
            sizes = np.sqrt(frame["supply_t_per_year"].astype(float).clip(lower=0).to_numpy())
            top = sizes.max() if len(sizes) else 1.0
            frame = frame.assign(
                size=6 + 14 * sizes / max(top, 1e-9),
                colour=kind.map(WASTE_COLOURS).fillna(STYLES[key]["color"]).to_numpy(),
                **labels(kind, "kind", "wk"),
            )
        elif key == "rooftops_vector":
            counties = frame["county"].astype(str)
            frame = frame.assign(**labels(counties, "place", None))  # the county's name in both languages
        return _frame_columns(frame)

    def _county_texts(self, frame: pd.DataFrame) -> list[str]:
        return [county_name(c, n, self.lang) for c, n in zip(frame["adcode"], frame["name"], strict=True)]

    def _visible(self, key: str) -> bool:
        base = "rooftops" if key == "rooftops_vector" else key
        return base in self.layers or key == "selected"

    def _push(self, key: str) -> None:
        """Send layer ``key``'s data to its source if it is shown and not sent yet.

        A layer shown for the first time gets its source and renderers now, made with its
        data (:meth:`_layer_renderers`); the selection ring once something is selected.
        """
        if self._figure is None or not self._visible(key):
            return  # sent when shown (_on_layers)
        data = self._data.get(key)
        if key not in self._renderers:
            if key == "selected" and data is None:
                return  # no ring until something is selected
            self._layer_renderers(key)  # holds the current data
        if key == "rooftops":
            self._push_rooftops()
            return
        if key in self._sent and self._sent[key] is data:
            return
        self._sent[key] = data
        self._sources[key].data = self._columns(key, data)
        if key == "wind_sites":
            self._style_wind_sites(data)

    def _rooftop_vector(self) -> pd.DataFrame | None:
        """The rooftops drawn as points: all of them up to :data:`VECTOR_LIMIT`, else none."""
        frame = self._data.get("rooftops")
        return None if frame is None or len(frame) > VECTOR_LIMIT else frame

    def _push_rooftops(self) -> None:
        frame = self._data.get("rooftops")
        vector = self._rooftop_vector()
        if self._sent.get("rooftops_vector") is not vector:
            self._sent["rooftops_vector"] = vector
            self._sources["rooftops_vector"].data = self._columns("rooftops_vector", vector)
        if frame is not None and vector is None:
            self._request_raster()
        elif self._sent.get("rooftops") is not None or self._raster_frame is not None:
            self._raster_gen += 1  # a raster being aggregated is stale now
            self._raster_frame = self._raster_view = None
            self._sent["rooftops"] = None
            self._sources["rooftops"].data = self._columns("rooftops", None)

    def _style_wind_sites(self, data) -> None:
        """Colour wind sites by LCOE when the wind tab gives it, else in the layer's colour."""
        style = STYLES["wind_sites"]
        glyph = self._layer_renderers("wind_sites")[0].glyph
        if data and all("lcoe" in d for d in data):
            glyph.update(fill_color={"field": "lcoe", "transform": self._mappers["wind_sites"]}, fill_alpha=0.55)
        else:
            glyph.update(fill_color=style["color"], fill_alpha=style["alpha"])

    # -- the rooftop raster -------------------------------------------------------------------
    def _plot_size(self) -> tuple[int, int]:
        """The plot's inner size in pixels as the browser reported it (a typical size before)."""
        from bokeh.core.property.descriptors import UnsetValueError

        size = []
        for name, default in (("inner_width", 900), ("inner_height", 520)):
            try:
                value = getattr(self._figure, name, None)
            except UnsetValueError:  # not drawn yet
                value = None
            size.append(int(value or default))
        return size[0], size[1]

    def _current_view(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        fig = self._figure
        x, y = fig.x_range, fig.y_range
        if None in (x.start, x.end, y.start, y.end):
            return None
        return ((float(x.start), float(x.end)), (float(y.start), float(y.end)))

    def _request_raster(self, view=None) -> None:
        """Aggregate the rooftops over ``view`` (default: the current one) unless already done.

        In a server session the aggregation runs in this session's worker thread and the image
        is applied on the event loop's next tick; a newer request makes older ones stale.
        Elsewhere (tests, warm-up) it runs at once.
        """
        frame = self._data.get("rooftops")
        if self._figure is None or frame is None or len(frame) <= VECTOR_LIMIT or "rooftops" not in self.layers:
            return
        view = view or self._current_view()
        if view is None:
            return
        width, height = self._plot_size()
        shape = (max(int(height * RASTER_PIXEL_RATIO), 1), max(int(width * RASTER_PIXEL_RATIO), 1))
        if self._raster_frame is frame and self._raster_view == (view, shape):
            return
        self._raster_frame, self._raster_view = frame, (view, shape)
        self._raster_gen += 1
        job = functools.partial(self._aggregate, self._raster_gen, frame, view, shape)
        doc = self._figure.document
        if doc is None or doc.session_context is None:
            image = job()
            if image is not None:
                self._apply_raster(self._raster_gen, image, view)
            return
        if self._raster_pool is None:
            self._raster_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xy-map-raster")

        def run() -> None:
            image = job()
            if image is not None:
                doc.add_next_tick_callback(functools.partial(self._apply_raster, job.args[0], image, view))

        self._raster_pool.submit(run)

    def _aggregate(self, gen: int, frame: pd.DataFrame, view: tuple, shape: tuple[int, int]) -> np.ndarray | None:
        if gen != self._raster_gen:
            return None  # a newer request is queued: skip this one
        try:
            return aggregate_points(frame, view[0], view[1], width=shape[1], height=shape[0])
        except Exception as exc:  # the worker has no caller to raise to: say it on the server's log
            print(f"xysiting: warning: rooftop raster failed: {exc!r}", file=sys.stderr)
            return None

    def _apply_raster(self, gen: int, image: np.ndarray, view: tuple) -> None:
        if gen != self._raster_gen or self._figure is None:
            return  # stale, or the session is gone
        (x0, x1), (y0, y1) = view
        self._layer_renderers("rooftops")  # made already unless the layer was shown a moment ago
        self._sent["rooftops"] = self._raster_frame
        self._sources["rooftops"].data = _image_columns(image, (x0, y0, x1, y1))

    # -- view ---------------------------------------------------------------------------------
    def _start_view(self) -> tuple | None:
        """The view to draw first: the extent parameters (e.g. from the URL), else the county
        zoomed to, else the whole project with a small margin."""
        if self.x_range is not None and self.y_range is not None:
            return (self.x_range[0], self.y_range[0], self.x_range[1], self.y_range[1])
        bounds = self._county_bounds.get(self.county) if self.county else None
        bounds = bounds or self._bounds
        if bounds is None:
            return None
        xmin, ymin, xmax, ymax = bounds
        pad = 0.03 * max(xmax - xmin, ymax - ymin)
        return (xmin - pad, ymin - pad, xmax + pad, ymax + pad)

    def _set_view(self, x_range: tuple[float, float], y_range: tuple[float, float], *, record: bool) -> None:
        """Show ``x_range`` × ``y_range``; ``record`` writes it to the extent parameters (the URL)."""
        fig = self._figure
        fig.x_range.update(start=x_range[0], end=x_range[1])
        fig.y_range.update(start=y_range[0], end=y_range[1])
        if record:
            self._from_view = True  # only record the view: it is shown already
            try:
                self.param.update(x_range=_rounded(*x_range), y_range=_rounded(*y_range))
            finally:
                self._from_view = False
        self._request_raster(view=(tuple(map(float, x_range)), tuple(map(float, y_range))))

    @_edits_models
    def _on_view_params(self, *events) -> None:
        """The view was set from Python or the URL (not by panning): show it."""
        if self._from_view or self._figure is None:
            return
        names = {e.name for e in events}
        if "county" in names and not ({"x_range", "y_range"} & names):
            self.zoom_to(self._county_bounds.get(self.county) if self.county else self._bounds)
        elif self.x_range is not None and self.y_range is not None:
            self._set_view(self.x_range, self.y_range, record=False)

    def _on_view(self, x_range=None, y_range=None) -> None:
        """The browser's pan or zoom: record the extent (rounded to metres) for the URL."""
        if not self.live or x_range is None or y_range is None or None in (*x_range, *y_range):
            return
        self._from_view = True
        try:
            self.param.update(x_range=_rounded(*x_range), y_range=_rounded(*y_range))
        finally:
            self._from_view = False

    # -- callbacks ----------------------------------------------------------------------------
    def _in_document(self, fn: Callable, *args) -> None:
        """Run ``fn(*args)`` as Panel's own callbacks run (this session's document current, held)."""
        doc = self._figure.document if self._figure is not None else None
        if doc is None:
            fn(*args)
            return
        from panel.io.state import set_curdoc

        with set_curdoc(doc), pn.io.hold(doc):
            fn(*args)

    def _on_tap_event(self, event) -> None:
        self._in_document(self._on_tap, event.x, event.y)

    def _on_ranges_event(self, event) -> None:
        """The browser's pan or zoom ended (Bokeh's ``RangesUpdate``): record it, re-aggregate."""
        x_range, y_range = (event.x0, event.x1), (event.y0, event.y1)
        if None in (*x_range, *y_range):
            return
        self._in_document(self._on_view, x_range, y_range)
        self._request_raster(view=(tuple(map(float, x_range)), tuple(map(float, y_range))))

    def _on_tap(self, x=None, y=None) -> None:
        if x is None or y is None:
            return
        for callback in self._tap_listeners:
            callback(x, y)

    @param.depends("layers", watch=True)
    @_edits_models
    def _on_layers(self) -> None:
        """Show the visible layers (made on first show, in one patch) and hide the others."""
        if self._figure is None:
            return
        keys = (*LAYERS, "selected")
        new = [k for k in LAYERS if k not in self._renderers and self._visible(k)]
        with self._batch(new_models=bool(new)):
            for key in keys:
                shown = self._visible(key)
                if shown:
                    self._push(key)  # made, or sent now if it changed while hidden
                for renderer in self._renderers.get(key, ()):
                    if renderer.visible != shown:
                        renderer.visible = shown
            self._refresh_legend()

    @param.depends("basemap", watch=True)
    @_edits_models
    def _on_basemap(self) -> None:
        old = self._providers.get(self._basemap_drawn or "")
        new = self._providers.get(self.basemap or "")
        if bool(old and old.gcj02) != bool(new and new.gcj02):
            self._load_static_layers()
            for key in LAYERS:
                self._push(key)
            for callback in self._gcj02_listeners:
                callback()
        self._basemap_drawn = self.basemap
        self._sync_tiles()

    def _sync_tiles(self) -> None:
        """Show the chosen basemap's tiles under the layers; no tile renderer until one is chosen."""
        fig = self._figure
        if fig is None:
            return
        provider = self._providers.get(self.basemap or "")
        renderer = self._tile_renderer
        if provider is None:
            if renderer is not None:
                renderer.visible = False
            return
        from bokeh.models import WMTSTileSource

        source = WMTSTileSource(url=provider.url, attribution=provider.attribution)
        if renderer is None:
            self._tile_renderer = renderer = fig.add_tile(source)  # level "image": under the layers
        elif renderer.tags != [provider.url]:
            renderer.tile_source = source
        renderer.update(tags=[provider.url], visible=True)

    def _scale_bar(self, fig):
        """A metric scale bar.

        Web Mercator stretches distances by 1 / cos(latitude): the bar measures a copy of the
        map's x range scaled by cos(latitude) at the centre of the project (about 0.85 at
        Xiangyang's 32° N), kept in step in the browser, so its label is in true metres.
        """
        from bokeh.models import CustomJS, Range1d, ScaleBar

        if self._bounds is not None:
            xmin, ymin, xmax, ymax = self._bounds
            _lon, lat = _data.mercator_to_lonlat((xmin + xmax) / 2, (ymin + ymax) / 2)
        else:
            lat = 32.0
        scale = float(np.cos(np.radians(float(np.asarray(lat).ravel()[0]))))
        x = fig.x_range
        start = (x.start if x.start is not None else 0.0) * scale
        end = (x.end if x.end is not None else 1.0) * scale
        ground = Range1d(start=start, end=end, tags=[scale])
        follow = CustomJS(
            args={"src": x, "dst": ground, "k": scale},
            code="dst.setv({start: src.start * k, end: src.end * k});",
        )
        x.js_on_change("start", follow)
        x.js_on_change("end", follow)
        return ScaleBar(
            name="xy-scale-bar",
            range=ground,
            unit="m",
            location="bottom_left",
            orientation="horizontal",
            bar_length=0.2,
            label_text_font_size="12px",
            background_fill_alpha=0.8,
            css_classes=["xy-scale-bar"],
        )

    # -- labels and colours -------------------------------------------------------------------
    def _set_tooltips(self, key: str) -> None:
        """Label this session's hover tool of layer ``key`` in the current language."""
        tool = self._hover.get(key)
        if tool is None:
            return
        lang = self.lang
        rows = list(TOOLTIPS.get(key, ()))
        if key in ("rooftops", "rooftops_vector"):
            field = "@image{0,0}" if key == "rooftops" else "@value{0,0}"
            rows = [*rows, (self._value_label, field)]
        elif key == "wind_sites" and any("lcoe" in d for d in self._data.get(key) or []):
            rows = [*rows, ("colorbar_lcoe", "@lcoe{0.000}")]
        tips = [(t(msg, lang), field.replace("<lang>", lang)) for msg, field in rows]
        if tool.tooltips != tips:
            tool.tooltips = tips

    def _update_mappers(self) -> None:
        """Give each colour mapper its layer's range (fixed, or fitted to the data)."""
        for key, mapper in getattr(self, "_mappers", {}).items():
            low, high = self._clim(key)
            if (mapper.low, mapper.high) != (low, high):
                mapper.update(low=low, high=high)

    def _toggle_options(self) -> dict[str, str]:
        return {t(msg, self.lang): key for key, msg in LAYERS.items() if self._available(key)}

    def _available(self, key: str) -> bool:
        """Result layers are always offered; project layers only when the project has them."""
        if key not in STATIC_LAYERS:
            return True
        return not _is_empty(self._data.get(key))

    def _clim(self, key: str) -> tuple[float, float]:
        """Colour range of layer ``key``: fixed (:data:`COLOUR_RANGES`) or fitted to its data."""
        label = {"rooftops": self._value_label, "wind": "colorbar_wind", "wind_sites": "colorbar_lcoe"}[key]
        fixed = COLOUR_RANGES.get(label, (np.nan, np.nan))
        if not self.fit_colours.value:
            return fixed
        data = self._data.get(key)
        if key == "rooftops":
            values = None if data is None else np.asarray(data["value"], dtype=float)
        elif key == "wind":
            values = None if data is None else data[0]
        else:
            values = np.array([d["lcoe"] for d in data or [] if "lcoe" in d], dtype=float)
        if values is None or not np.isfinite(values).any():
            return fixed
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
        return (lo, hi) if hi > lo else fixed

    def legend_entries(self) -> list[str]:
        """Keys of the layers the legend lists: every visible layer that has something to draw."""
        return [k for k in LAYERS if k in self.layers and not _is_empty(self._data.get(k))]

    def colour_bars(self) -> list[str]:
        """Keys of the layers whose colour bar is shown: visible, colour-mapped, their tab open."""
        tab_of = {"rooftops": "solar", "wind": "wind", "wind_sites": "wind"}
        out = []
        for key in self.legend_entries():
            if key not in tab_of or tab_of[key] != self._active_tab:
                continue
            if key == "wind_sites" and not any("lcoe" in d for d in self._data.get(key) or []):
                continue
            out.append(key)
        return out

    def _refresh_legend(self) -> None:
        lang = self.lang
        rows = []
        for key in reversed(self.legend_entries()):  # top layer first, as drawn
            style = STYLES[key]
            if key == "power_plants":
                techs = sorted(set(self._data[key]["technology"].astype(str)))
                sub = [
                    (option_label("tech", v, lang), {**style, "color": PLANT_COLOURS.get(v, style["color"])})
                    for v in techs
                ]
            elif key == "waste_sources":
                kinds = sorted(set(self._data[key]["waste_kind"].astype(str)))
                sub = [
                    (option_label("wk", v, lang), {**style, "color": WASTE_COLOURS.get(v, style["color"])})
                    for v in kinds
                ]
            else:
                sub = []
            label = html.escape(t(LAYERS[key], lang))
            rows.append(f"<div class='xy-legend-item' data-layer='{key}'>{symbol_svg(style)}<span>{label}</span></div>")
            rows.extend(
                f"<div class='xy-legend-sub' data-layer='{key}'>{symbol_svg(st)}<span>{html.escape(name)}</span></div>"
                for name, st in sub
            )
        bars = []
        for key in self.colour_bars():
            label = {"rooftops": self._value_label, "wind": "colorbar_wind", "wind_sites": "colorbar_lcoe"}[key]
            cmap = {"rooftops": _YIELD_CMAP, "wind": _WIND_CMAP, "wind_sites": _LCOE_CMAP}[key]
            lo, hi = self._clim(key)
            digits = 2 if hi - lo < 10 else 0
            bars.append(
                f"<div class='xy-colorbar' data-layer='{key}'><div class='xy-colorbar-title'>"
                f"{html.escape(t(label, lang))}</div>"
                f"<div class='xy-colorbar-ramp' style='background:linear-gradient(to right,{','.join(cmap)})'></div>"
                f"<div class='xy-colorbar-ticks'><span>{lo:,.{digits}f}</span><span>{hi:,.{digits}f}</span></div></div>"
            )
        title = html.escape(t("legend", lang))
        self.legend.object = f"<div class='xy-legend-box'><b>{title}</b>{''.join(rows)}{''.join(bars)}</div>"

    def _basemap_options(self) -> dict[str, str]:
        out = {t("basemap_none", self.lang): ""}
        for key in self._providers:
            out[t(f"basemap_{key}", self.lang) if f"basemap_{key}" in MESSAGES else key] = key
        return out

    def _county_options(self) -> dict[str, str]:
        out = {t("all_city", self.lang): ""}
        for code in sorted(getattr(self, "_county_bounds", {}) or {}):
            out[county_label(code, self.lang)] = code
        return out

    def _details_html(self, record: dict | None) -> str:
        self._details_record = record
        title = html.escape(t("details", self.lang))
        if not record:
            return (
                f"<div class='xy-details-box'><b>{title}</b><br><i>{html.escape(t('click_hint', self.lang))}</i></div>"
            )
        rows = "".join(
            f"<tr><th style='text-align:left;padding-right:6px'>{html.escape(str(k))}</th>"
            f"<td>{html.escape(str(v))}</td></tr>"
            for k, v in record.items()
        )
        return f"<div class='xy-details-box'><b>{title}</b><table>{rows}</table></div>"


def _finite_filter():
    from bokeh.models import CustomJS

    return CustomJS(code="return Number.isFinite(cb_data.value)")
