"""The map shared by every tab: project layers, tab results, toggles, basemap, county zoom.

Every layer is its own ``hv.DynamicMap`` fed by an ``hv.streams.Pipe``: toggling a layer
or changing a filter sends new data down one pipe and redraws that layer only, keeping
the user's zoom.  Rooftops are drawn as points with hover when there are at most
:data:`VECTOR_LIMIT` of them, and rasterised with datashader (``rasterize``)
when there are more, so a million rooftops reach the browser as one image.

Coordinates are Web Mercator (EPSG:3857) computed in :mod:`dashboard._data`; no tiles are
requested unless a basemap is switched on (:mod:`dashboard.tiles`).  Attribute values reach
the browser only as data (Bokeh tooltips render ``@field`` as text) or through
``html.escape``.

One :class:`SharedMap` is built per browser session (see :func:`dashboard.app.create_app`).

Why one module over 500 lines: :class:`SharedMap` holds every layer's pipe, toggle and
redraw, and the layers share one figure's state (zoom, basemap, GCJ-02 shift).
"""

from __future__ import annotations

import functools
import html
import operator
import weakref
from collections.abc import Callable
from typing import ClassVar

import datashader as ds
import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param
import shapely
from holoviews.operation.datashader import rasterize

from dashboard import _data
from dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES, MESSAGES, county_label, option_label, t
from dashboard.tiles import TileProvider, providers
from layers.project import Project

#: Up to this many rooftops are drawn as points with hover; more are rasterised.
VECTOR_LIMIT = 3000

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
#: Visible at start; wind sites (large areas) come on when the wind tab is opened.
DEFAULT_VISIBLE = (
    "counties",
    "parks",
    "rooftops",
    "flows",
    "grid",
    "power_plants",
    "airports",
    "railway_stations",
    "waste_sources",
    "facilities",
    "new_facilities",
    "bases",
    "county_labels",
)
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


def _labels(codes: pd.Series, prefix: str, vocabulary: str | None) -> dict[str, np.ndarray]:
    """``{prefix}_zh`` and ``{prefix}_en`` label columns of coded values (one lookup per distinct code).

    ``vocabulary`` is an :func:`dashboard.i18n.option_label` prefix (``"tech"``, ``"wk"``), or
    None for county adcodes.
    """
    out = {}
    for lang in LANGUAGES:
        if vocabulary is None:
            names = {c: county_label(c, lang) if c else "" for c in codes.unique()}
        else:
            names = {c: option_label(vocabulary, c, lang) for c in codes.unique()}
        out[f"{prefix}_{lang}"] = codes.map(names).to_numpy(dtype=object)
    return out


def _rounded(start: float, end: float) -> tuple[float, float]:
    """A view extent rounded to whole metres (short URLs; a metre is far below a pixel here)."""
    return (float(round(start)), float(round(end)))


def _dim(name: str, msg_id: str, lang: str) -> hv.Dimension:
    return hv.Dimension(name, label=t(msg_id, lang))


class SharedMap(pn.viewable.Viewer):
    """The session's map: layers, toggles, basemap choice, county zoom and tap details.

    Its state is declared as parameters (what the URL carries, see
    :func:`dashboard.app.sync_url`): the language, the visible layers, the basemap, the
    county zoomed to, the view extent and the selected feature.  The widgets in the sidebar
    are linked to them both ways.

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
        self._figure = None
        self._tile_renderer = None
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
        self._drawn_layers: set[str] = set()  # the layers sent to the plot
        self.pipes = {key: hv.streams.Pipe(data=None) for key in LAYERS}
        self.pipes["rooftops_vector"] = hv.streams.Pipe(data=None)
        self.pipes["selected"] = hv.streams.Pipe(data=None)
        self._empty: dict[str, bool] = dict.fromkeys(self.pipes, True)
        # one hover tool per layer for the session, relabelled in place when the language changes
        from bokeh.models import HoverTool

        # (HoloViews draws a copy of each, found again by its tag: see _apply_tooltips)
        self._hover = {key: HoverTool(tooltips=[], tags=[f"xy-hover:{key}"]) for key in (*LAYERS, "rooftops_vector")}

        lang = self.lang
        self.toggles = pn.widgets.CheckBoxGroup(
            label=t("layers", lang), options={}, value=[], inline=False, css_classes=["xy-layer-toggles"]
        )
        self.fit_colours = pn.widgets.Checkbox(
            label=t("fit_colours", lang), value=False, css_classes=["xy-fit-colours"]
        )
        self.legend = pn.pane.HTML("", width=210, css_classes=["xy-legend"], stylesheets=[_LEGEND_CSS])
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
            stylesheets=[_DETAILS_CSS],
        )
        self._layers_title = pn.pane.HTML(f"<b>{html.escape(t('layers', lang))}</b>")

        self._load_static_layers()
        self.county_select.options = self._county_options()  # the counties are known now
        self.toggles.options = self._toggle_options()  # so are the project's layers
        self.layers = [k for k in DEFAULT_VISIBLE if self._available(k)]  # _on_layers draws them
        self.toggles.value = list(self.layers)
        self.tap = hv.streams.SingleTap(x=None, y=None)
        self.tap.add_subscriber(self._on_tap)
        self.pane = pn.pane.HoloViews(
            self._overlay(), sizing_mode="stretch_both", linked_axes=False, min_height=520, css_classes=["xy-map"]
        )
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
    def gcj02(self) -> bool:
        """True when the current basemap is in GCJ-02 and layers must be shifted."""
        provider = self._providers.get(self.basemap or "")
        return bool(provider and provider.gcj02)

    def set_layer(self, key: str, data) -> None:
        """Set the data of result layer ``key`` (see the builders) and redraw it if visible."""
        self._data[key] = data
        self._push(key)
        self._refresh_legend()

    def set_rooftops(
        self, frame: pd.DataFrame | None, *, value: str = "kwh_per_kwp", label_id: str = "colorbar_yield"
    ) -> None:
        """Draw rooftops: ``frame`` has x, y (Web Mercator), ``value`` and id/name/county.

        Few rooftops are drawn as points with hover; many are rasterised.
        """
        if label_id != self._value_label:
            self._value_label = label_id
            self.rebuild()
        if frame is None:
            self._data["rooftops"] = None
        else:
            self._data["rooftops"] = frame.rename(columns={value: "value"})[
                [c for c in ("x", "y", "value", "id", "name", "county") if c in frame.columns or c == "value"]
            ]
        self._push("rooftops")
        self._refresh_legend()

    def select(self, frame: pd.DataFrame | None) -> None:
        """Highlight selected features (a frame with x, y, id, name); :attr:`selected` names the first."""
        self._send("selected", None if frame is None else _points_frame(frame, ("id", "name")))
        self.selected = "" if frame is None or not len(frame) else str(frame["id"].iloc[0])

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

    def zoom_to(self, bounds: tuple[float, float, float, float] | None, *, pad: float = 0.05):
        """Zoom the map to Web Mercator ``bounds`` (xmin, ymin, xmax, ymax)."""
        if bounds is None or self._figure is None:
            return
        xmin, ymin, xmax, ymax = bounds
        dx, dy = max(xmax - xmin, 200.0), max(ymax - ymin, 200.0)
        cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
        fig = self._figure
        width = fig.inner_width or fig.width or 800
        height = fig.inner_height or fig.height or 520
        aspect = width / max(height, 1)
        if dx / dy < aspect:
            dx = dy * aspect
        else:
            dy = dx / aspect
        dx, dy = dx * (1 + pad), dy * (1 + pad)
        fig.x_range.update(start=cx - dx / 2, end=cx + dx / 2)
        fig.y_range.update(start=cy - dy / 2, end=cy + dy / 2)
        self._from_view = True  # the figure is there already: only record the view
        try:
            self.param.update(x_range=_rounded(cx - dx / 2, cx + dx / 2), y_range=_rounded(cy - dy / 2, cy + dy / 2))
        finally:
            self._from_view = False
        self._sync_ranges()
        self._push("rooftops")  # re-aggregate at the new view

    @param.depends("lang", watch=True)
    def _relabel(self) -> None:
        """Relabel widgets, legend, details and tooltips in place; no part of the plot is rebuilt.

        Hover tools are this session's own objects, relabelled in place; the data carry their
        labels in both languages (``label_zh``/``label_en``...), so only the county names,
        drawn as text, are sent again.
        """
        lang = self.lang
        with pn.io.hold():
            self.toggles.param.update(options=self._toggle_options(), label=t("layers", lang))
            self._layers_title.object = f"<b>{html.escape(t('layers', lang))}</b>"
            self.basemap_select.param.update(options=self._basemap_options(), label=t("basemap", lang))
            self.county_select.param.update(options=self._county_options(), label=t("zoom_county", lang))
            self.details.object = self._details_html(getattr(self, "_details_record", None))
            self.fit_colours.label = t("fit_colours", lang)
            for key in self._hover:
                self._set_tooltips(key)
            self._apply_tooltips()
            if self._visible("county_labels"):
                self._empty["county_labels"] = False
                self.pipes["county_labels"].send(self._data.get("county_labels"))
            self._refresh_legend()

    def rebuild(self) -> None:
        """Redraw the whole map (new labels, tooltips) keeping the current view."""
        fig = self._figure
        view = None
        if fig is not None and fig.x_range.start is not None and fig.x_range.end is not None:
            view = (fig.x_range.start, fig.y_range.start, fig.x_range.end, fig.y_range.end)
        self._tile_renderer = None
        self.pane.object = self._overlay(view=view)

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
                    _county_name(c, n, lang) for c, n in zip(attrs["adcode"], attrs["name"], strict=True)
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
            self._data["exclusions"] = _merged_lines(excl.geometry.values)
            kinds = excl["exclusion_kind"].astype(str) if "exclusion_kind" in excl else pd.Series("", index=excl.index)
            for key, kind in (("airports", "airport"), ("railway_stations", "railway_station")):
                self._data[key] = (
                    _point_table(excl[(kinds == kind).to_numpy()], ("name",)) if kind in set(kinds) else None
                )
        for key, cols in (
            ("grid", ("name", "voltage_kv", "grid_kind")),
            ("power_plants", ("name", "technology", "capacity_mw", "status")),
        ):
            layer = _data.mercator_layer(project, key, gcj02=gcj) if project.has(key) else None
            self._data[key] = _point_table(layer, cols) if layer is not None and len(layer) else None
        roads = _data.mercator_layer(project, "roads", gcj02=gcj)
        if roads is not None:
            self._data["roads"] = _merged_lines(roads.geometry.values)
        for key, kind, cols in (
            ("waste_sources", "waste_sources", ("name", "waste_kind", "supply_t_per_year")),
            ("facilities", "facilities", ("name", "facility_kind", "capacity_t_per_year", "status")),
            ("bases", "bases", ("name", "category", "base_kind")),
        ):
            layer = _data.mercator_layer(project, kind, gcj02=gcj)
            if layer is None:
                continue
            self._data[key] = _point_table(layer, cols)
        self._data["wind"] = wind_image(project, gcj02=gcj)
        if self._bounds is None:
            rooftops = _data.rooftop_points(project)
            if rooftops is not None and len(rooftops):
                x, y = _data.points_to_mercator(rooftops["lon"], rooftops["lat"])
                self._bounds = (float(x.min()), float(y.min()), float(x.max()), float(y.max()))

    def _visible(self, key: str) -> bool:
        base = "rooftops" if key == "rooftops_vector" else key
        return base in self.layers

    def _sync_ranges(self) -> None:
        """Tell datashader the current view.

        The RangeXY streams only hear from the browser when the user pans or zooms; until
        then they hold a placeholder, and the rooftops would be aggregated over it.
        """
        fig = self._figure
        if (
            fig is not None
            and fig.x_range.start is not None
            and fig.x_range.end is not None
            and fig.y_range.start is not None
            and fig.y_range.end is not None
        ):
            view = ((fig.x_range.start, fig.x_range.end), (fig.y_range.start, fig.y_range.end))
        elif self._bounds is not None:
            xmin, ymin, xmax, ymax = self._bounds
            view = ((xmin, xmax), (ymin, ymax))
        else:
            return
        for stream in getattr(self, "_range_streams", []):
            stream.update(x_range=view[0], y_range=view[1])

    def _push(self, key: str) -> None:
        if key == "rooftops":
            self._sync_ranges()
            frame = self._data.get("rooftops") if self._visible("rooftops") else None
            many = frame is not None and len(frame) > VECTOR_LIMIT
            self._send("rooftops", frame[["x", "y", "value"]] if many else None)
            self._send(
                "rooftops_vector",
                _points_frame(frame, ("value", "id", "name", "county")) if frame is not None and not many else None,
            )
            return
        data = self._data.get(key) if self._visible(key) else None
        self._send(key, data)

    def _send(self, key: str, data) -> None:
        """Send ``data`` down pipe ``key``, skipping empty → empty (each send redraws)."""
        empty = data is None or (hasattr(data, "__len__") and len(data) == 0)
        if empty and self._empty.get(key):
            return
        self._empty[key] = empty
        self.pipes[key].send(None if empty and not isinstance(data, pd.DataFrame) else data)

    def _overlay(self, view: tuple | None = None) -> hv.Overlay:
        lang_fn = functools.partial
        builders = {
            "wind": self._el_wind,
            "counties": lang_fn(self._el_polys, "counties"),
            "exclusions": lang_fn(self._el_lines, "exclusions"),
            "roads": lang_fn(self._el_lines, "roads"),
            "parks": lang_fn(self._el_polys, "parks"),
            "wind_sites": self._el_wind_sites,
            "rooftops": self._el_rooftops_points,
            "flows": self._el_flows,
            "grid": self._el_grid,
            "power_plants": self._el_power_plants,
            "airports": lang_fn(self._el_context_points, "airports"),
            "railway_stations": lang_fn(self._el_context_points, "railway_stations"),
            "county_labels": self._el_county_labels,
            "waste_sources": self._el_waste_sources,
            "facilities": self._el_facilities,
            "new_facilities": self._el_new_facilities,
            "bases": self._el_bases,
        }
        layers = []
        for key in LAYERS:
            dmap = hv.DynamicMap(builders[key], streams=[self.pipes[key]])
            if key == "rooftops":
                # coarse raster: each rooftop shows as a 3×3-pixel dot (cheaper
                # than datashader's spread, whose numba kernels take long to compile)
                # no Bokeh colour bar: the legend draws one while rooftops are shown on the PV tab
                raster = rasterize(dmap, aggregator=ds.mean("value"), dynamic=True, pixel_ratio=0.3).opts(
                    cmap=_YIELD_CMAP,
                    colorbar=False,
                    clim=self._clim("rooftops"),
                    tools=[self._hover["rooftops"]],
                    alpha=0.9,
                    clipping_colors={"NaN": (0, 0, 0, 0)},
                )
                layers.append(raster)
                layers.append(hv.DynamicMap(self._el_rooftops_vector, streams=[self.pipes["rooftops_vector"]]))
            else:
                layers.append(dmap)
        self._range_streams = [
            stream
            for layer in layers
            for dmap in layer.traverse(lambda x: x, [hv.DynamicMap])
            for stream in dmap.streams
            if isinstance(stream, hv.streams.RangeXY)
        ]
        # the browser's pan and zoom, recorded in x_range/y_range (and so in the URL)
        self._view_stream = hv.streams.RangeXY(source=layers[0])
        self._view_stream.add_subscriber(self._on_view)
        selected = hv.DynamicMap(self._el_selected, streams=[self.pipes["selected"]])
        layers.append(selected)
        self.tap.source = layers[1]
        overlay = functools.reduce(operator.mul, layers)
        opts = {
            "responsive": True,
            "xaxis": None,
            "yaxis": None,
            # HoloViews keeps plot options in process-wide stores (Store._lookup_cache
            # and the custom option trees) that outlive the session: a bound method
            # there would pin this map and every frame it holds, so pass a weak one
            "hooks": [_WeakHook(self._hook)],
            "active_tools": ["wheel_zoom"],
            "toolbar": "above",
            "show_legend": False,
        }
        view = view or self._start_view()
        if view is not None:
            opts.update(xlim=(view[0], view[2]), ylim=(view[1], view[3]))
        for key in self._hover:
            self._set_tooltips(key)
        for key in LAYERS:
            self._push(key)
        return overlay.opts(**opts)

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

    def _set_tooltips(self, key: str) -> None:
        """Label this session's hover tool of layer ``key`` in the current language."""
        lang = self.lang
        rows = list(TOOLTIPS.get(key, ()))
        if key in ("rooftops", "rooftops_vector"):
            field = "@image{0,0}" if key == "rooftops" else "@value{0,0}"
            rows = [*rows, (self._value_label, field)]
        elif key == "wind_sites" and any("lcoe" in d for d in self._data.get(key) or []):
            rows = [*rows, ("colorbar_lcoe", "@lcoe{0.000}")]
        tips = [(t(msg, lang), field.replace("<lang>", lang)) for msg, field in rows]
        if self._hover[key].tooltips != tips:
            self._hover[key].tooltips = tips

    def _apply_tooltips(self) -> None:
        """Give the drawn hover tools (HoloViews' copies of :attr:`_hover`) the current tooltips.

        Run after a relabel and after every redraw (plot hook): HoloViews resets a copied
        tool's tooltips to those it was built with when its layer is drawn again.
        """
        fig = self._figure
        if fig is None:
            return
        from bokeh.models import HoverTool

        for tool in fig.tools:
            if not isinstance(tool, HoverTool):
                continue
            key = next((tag[len("xy-hover:") :] for tag in tool.tags if str(tag).startswith("xy-hover:")), None)
            if key in self._hover and tool.tooltips != self._hover[key].tooltips:
                tool.tooltips = list(self._hover[key].tooltips)

    # element builders: each returns the same element type, empty when data is None
    def _el_polys(self, key, data=None):
        data = data or []
        style = STYLES[key]
        # counties carry their name in both languages (label_zh, label_en): the tooltip picks one
        vdims = ["name", "label_zh", "label_en"] if key == "counties" else ["name"]
        return hv.Polygons(data, vdims=vdims).opts(
            fill_color=style["color"],
            fill_alpha=style["alpha"],
            line_color=style["line"],
            line_width=1.2,
            tools=[self._hover[key]],
        )

    def _el_wind_sites(self, data=None):
        """Usable wind sites, coloured by LCOE when the wind tab gives it (``lcoe`` CNY/kWh)."""
        data = data or []
        lang = self.lang
        style = STYLES["wind_sites"]
        has_lcoe = bool(data) and all("lcoe" in d for d in data)
        vdims = [_dim("name", "col_name", lang), *([_dim("lcoe", "colorbar_lcoe", lang)] if has_lcoe else [])]
        opts = {"fill_color": style["color"]}
        if has_lcoe:
            opts = {"color": "lcoe", "cmap": _LCOE_CMAP, "clim": self._clim("wind_sites"), "colorbar": False}
        self._set_tooltips("wind_sites")  # with or without the LCOE row
        return hv.Polygons(data, vdims=vdims).opts(
            fill_alpha=0.55 if has_lcoe else style["alpha"],
            line_color=style["line"],
            line_width=1.2,
            tools=[self._hover["wind_sites"]],
            **opts,
        )

    def _el_lines(self, key, data=None):
        data = data if data is not None else {"x": np.array([]), "y": np.array([])}
        return hv.Path([data]).opts(color=STYLES[key]["color"], line_width=STYLES[key]["width"])

    def _el_wind(self, data=None):
        vdim = _dim("wind_speed", "colorbar_wind", self.lang)
        if data is None:
            return hv.Image(np.zeros((2, 2)), bounds=(0, 0, 1, 1), vdims=[vdim]).opts(alpha=0.0, colorbar=False)
        arr, bounds = data
        return hv.Image(arr, bounds=bounds, vdims=[vdim]).opts(
            cmap=_WIND_CMAP,
            clim=self._clim("wind"),
            alpha=0.6,
            colorbar=False,  # drawn by the legend while the wind tab is open
            clipping_colors={"NaN": (0, 0, 0, 0)},
            tools=[self._hover["wind"]],
        )

    def _el_county_labels(self, data=None):
        frame = data if data is not None else pd.DataFrame({"x": [], "y": [], "adcode": [], "name": []})
        text = [_county_name(c, n, self.lang) for c, n in zip(frame["adcode"], frame["name"], strict=True)]
        return hv.Labels(frame.assign(text=text)[["x", "y", "text"]], kdims=["x", "y"], vdims=["text"]).opts(
            text_color=STYLES["county_labels"]["color"],
            text_font_size="12pt",
            text_font_style="bold",
            text_alpha=0.85,
        )

    def _el_grid(self, data=None):
        cols = ("name", "voltage_kv", "grid_kind")
        frame = _points_frame(data, cols)
        style = STYLES["grid"]
        return hv.Points(frame, kdims=["x", "y"], vdims=list(cols)).opts(
            marker=style["marker"],
            size=style["size"],
            color=style["color"],
            line_color=style["line"],
            tools=[self._hover["grid"]],
        )

    def _el_power_plants(self, data=None):
        cols = ("name", "technology", "capacity_mw", "status")
        frame = _points_frame(data, cols)
        style = STYLES["power_plants"]
        tech = frame["technology"].astype(str)
        frame = frame.assign(
            colour=tech.map(PLANT_COLOURS).fillna(style["color"]).to_numpy(), **_labels(tech, "tech", "tech")
        )
        return hv.Points(frame, kdims=["x", "y"], vdims=[*cols, "colour", "tech_zh", "tech_en"]).opts(
            marker=style["marker"],
            size=style["size"],
            color="colour",
            line_color=style["line"],
            tools=[self._hover["power_plants"]],
        )

    def _el_context_points(self, key, data=None):
        frame = _points_frame(data, ("name",))
        style = STYLES[key]
        return hv.Points(frame, kdims=["x", "y"], vdims=["name"]).opts(
            marker=style["marker"],
            size=style["size"],
            color=style["color"],
            line_color=style["line"],
            line_width=1.5,
            tools=[self._hover[key]],
        )

    def _el_rooftops_points(self, data=None):
        # only x, y, value: the raster needs nothing else, and HoloViews would otherwise
        # compute ranges over every string column of up to millions of rows
        frame = data if data is not None else _points_frame(None, ("value",))
        return hv.Points(
            frame[["x", "y", "value"]], kdims=["x", "y"], vdims=[_dim("value", self._value_label, self.lang)]
        )

    def _el_rooftops_vector(self, data=None):
        frame = data if data is not None else _points_frame(None, ("value", "id", "name", "county"))
        counties = frame["county"].astype(str) if "county" in frame else pd.Series("", index=frame.index)
        frame = frame.assign(**_labels(counties, "place", None))  # the county's name in both languages
        style = STYLES["rooftops"]
        return hv.Points(
            frame,
            kdims=["x", "y"],
            vdims=[_dim("value", self._value_label, self.lang), "id", "name", "county", "place_zh", "place_en"],
        ).opts(
            color="value",
            cmap=_YIELD_CMAP,
            clim=self._clim("rooftops"),
            size=style["size"],
            line_color=style["line"],
            line_width=0.3,
            colorbar=False,
            tools=[self._hover["rooftops_vector"], "tap"],
        )

    def _el_selected(self, data=None):
        frame = data if data is not None else _points_frame(None, ("id", "name"))
        return hv.Points(frame, kdims=["x", "y"], vdims=["id", "name"]).opts(
            color=None, line_color="#ff00aa", line_width=3, size=16, fill_alpha=0.0
        )

    def _el_flows(self, data=None):
        """Flows along their road routes: a list of path dicts with t_per_year and names."""
        vdims = ["t_per_year", "source_name", "facility_name"]
        data = data or []
        top = max((float(d["t_per_year"]) for d in data), default=1.0)
        # a dim transform on an empty Path fails in HoloViews: constant width when empty
        width = hv.dim("t_per_year") / max(top, 1e-9) * 10 + 1.5 if data else 1.0
        return hv.Path(data, vdims=vdims).opts(
            color=STYLES["flows"]["color"],
            alpha=0.75,
            line_width=width,
            tools=[self._hover["flows"]],
        )

    def _el_new_facilities(self, data=None):
        cols = ("name", "used_t_per_year")
        frame = _points_frame(data, cols)
        return hv.Points(frame, kdims=["x", "y"], vdims=list(cols)).opts(
            marker="star",
            size=22,
            color="#ffd700",
            line_color="#7a5c00",
            tools=[self._hover["new_facilities"]],
        )

    def _el_waste_sources(self, data=None):
        cols = ("name", "waste_kind", "supply_t_per_year")
        frame = _points_frame(data, cols)
        sizes = np.sqrt(frame["supply_t_per_year"].astype(float).clip(lower=0).to_numpy())
        top = sizes.max() if len(sizes) else 1.0
        frame = frame.assign(
            size=6 + 14 * sizes / max(top, 1e-9), **_labels(frame["waste_kind"].astype(str), "kind", "wk")
        )
        return hv.Points(frame, kdims=["x", "y"], vdims=[*cols, "size", "kind_zh", "kind_en"]).opts(
            color="waste_kind",
            cmap=WASTE_COLOURS,
            size="size",
            line_color=STYLES["waste_sources"]["line"],
            tools=[self._hover["waste_sources"]],
        )

    def _el_facilities(self, data=None):
        cols = ("name", "facility_kind", "capacity_t_per_year", "status")
        frame = _points_frame(data, cols)
        return hv.Points(frame, kdims=["x", "y"], vdims=list(cols)).opts(
            marker="triangle",
            size=13,
            color="#c51b7d",
            line_color="white",
            tools=[self._hover["facilities"]],
        )

    def _el_bases(self, data=None):
        cols = ("name", "category", "base_kind")
        frame = _points_frame(data, cols)
        return hv.Points(frame, kdims=["x", "y"], vdims=list(cols)).opts(
            marker="diamond",
            size=15,
            color="#01665e",
            line_color="white",
            tools=[self._hover["bases"]],
        )

    def destroy(self) -> None:
        """Free this session's map state (called when the browser session is destroyed).

        Drops the drawn data, the listeners (tab callbacks), the Bokeh figure and the
        HoloViews object graph, so nothing of the session is reachable from the
        process-wide HoloViews stores or from streams that outlive it.
        """
        self._tap_listeners.clear()
        self._gcj02_listeners.clear()
        self._data.clear()
        for tool in self._hover.values():  # HoloViews' process-wide option trees may hold them
            tool.update(tooltips=[], renderers="auto")
        self._figure = None
        self._tile_renderer = None
        self._range_streams = []
        for pipe in self.pipes.values():
            pipe.clear()  # subscribers: the DynamicMap callbacks of this session
            pipe.update(data=None)
        self.tap.clear()

    # -- callbacks ----------------------------------------------------------------------------
    def _hook(self, plot, element) -> None:
        fig = plot.state
        self._figure = fig
        self._sync_tiles()
        from bokeh.models import HoverTool

        finite = _finite_filter()
        for tool in fig.tools:
            if isinstance(tool, HoverTool):
                tool.limit = 1  # one feature per tooltip, not every rooftop under the cursor
                if any("@image" in str(value) for _label, value in tool.tooltips or []):
                    # no tooltip over empty raster cells (NaN), e.g. the empty raster under vector rooftops
                    tool.filters = {"image": finite}
        if not any(getattr(item, "name", None) == "xy-scale-bar" for item in fig.center):
            fig.add_layout(self._scale_bar(fig))
        self._apply_tooltips()

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

    def _sync_tiles(self) -> None:
        fig = self._figure
        if fig is None:
            return
        provider = self._providers.get(self.basemap or "")
        current = self._tile_renderer
        if current is not None and (provider is None or current.tags != [provider.url]):
            fig.renderers = [r for r in fig.renderers if r is not current]
            self._tile_renderer = None
        if provider is not None and self._tile_renderer is None:
            from bokeh.models import TileRenderer, WMTSTileSource

            renderer = TileRenderer(
                tile_source=WMTSTileSource(url=provider.url, attribution=provider.attribution),
                tags=[provider.url],
                level="image",
            )
            fig.renderers = [renderer, *fig.renderers]
            self._tile_renderer = renderer

    @param.depends("layers", watch=True)
    def _on_layers(self) -> None:
        changed = set(self.layers) ^ self._drawn_layers
        self._drawn_layers = set(self.layers)
        with pn.io.hold():
            for key in changed:
                self._push(key)
            self._refresh_legend()

    def _on_view_params(self, *events) -> None:
        """The view was set from Python or the URL (not by panning): show it."""
        if self._from_view:
            return
        if self._figure is None:  # not drawn yet (e.g. the URL was read): start there
            self.pane.object = self._overlay()
            return
        names = {e.name for e in events}
        if "county" in names and not ({"x_range", "y_range"} & names):
            self.zoom_to(self._county_bounds.get(self.county) if self.county else self._bounds)
        elif self.x_range is not None and self.y_range is not None:
            self.zoom_to((self.x_range[0], self.y_range[0], self.x_range[1], self.y_range[1]), pad=0.0)

    def _on_view(self, x_range=None, y_range=None) -> None:
        """The browser's pan or zoom: record the extent (rounded to metres) for the URL."""
        if not self.live or x_range is None or y_range is None or None in (*x_range, *y_range):
            return
        self._from_view = True
        try:
            self.param.update(x_range=_rounded(*x_range), y_range=_rounded(*y_range))
        finally:
            self._from_view = False

    @param.depends("basemap", watch=True)
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

    def _on_tap(self, x=None, y=None) -> None:
        if x is None or y is None:
            return
        for callback in self._tap_listeners:
            callback(x, y)

    # -- labels -------------------------------------------------------------------------------
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
            rows.append(
                f"<div class='xy-legend-item' data-layer='{key}'>{_symbol_svg(style)}<span>{label}</span></div>"
            )
            rows.extend(
                f"<div class='xy-legend-sub' data-layer='{key}'>{_symbol_svg(st)}<span>{html.escape(name)}</span></div>"
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


class _WeakHook:
    """A plot hook that calls a bound method without keeping its object alive."""

    def __init__(self, method) -> None:
        self._method = weakref.WeakMethod(method)

    def __call__(self, plot, element) -> None:
        method = self._method()
        if method is not None:
            method(plot, element)


def _finite_filter():
    from bokeh.models import CustomJS

    return CustomJS(code="return Number.isFinite(cb_data.value)")


def _county_name(adcode: str, name: str, lang: str) -> str:
    """A county's name in ``lang`` (:data:`layers.schema.COUNTIES`), else its stored name."""
    from layers.schema import COUNTIES

    return county_label(adcode, lang) if str(adcode) in COUNTIES else str(name)


def _is_empty(data) -> bool:
    if data is None:
        return True
    if isinstance(data, tuple):  # (image, bounds)
        return False
    return hasattr(data, "__len__") and len(data) == 0


#: SVG shapes of Bokeh's markers (in a 16×16 box) for the legend.
_MARKER_SVG = {
    "circle": "<circle cx='8' cy='8' r='5'/>",
    "square": "<rect x='3' y='3' width='10' height='10'/>",
    "triangle": "<polygon points='8,2 14,13 2,13'/>",
    "diamond": "<polygon points='8,1 14,8 8,15 2,8'/>",
    "hex": "<polygon points='4,2 12,2 15,8 12,14 4,14 1,8'/>",
    "star": "<polygon points='8,1 10,6 15,6 11,9.5 12.5,15 8,11.5 3.5,15 5,9.5 1,6 6,6'/>",
    "plus": "<path d='M8 2V14M2 8H14' stroke-width='3'/>",
    "square_x": "<rect x='3' y='3' width='10' height='10'/><path d='M3 3L13 13M13 3L3 13'/>",
}


def _symbol_svg(style: dict) -> str:
    """The legend symbol of a layer style: the same colour, marker or line as on the map."""
    kind = style["kind"]
    if kind == "fill":
        body = (
            f"<rect x='1' y='3' width='14' height='10' fill='{style['color']}' "
            f"fill-opacity='{max(style['alpha'], 0.15)}' stroke='{style['line']}' stroke-width='1.5'/>"
        )
    elif kind == "line":
        body = f"<path d='M1 8H15' stroke='{style['color']}' stroke-width='{max(style['width'], 1.5)}'/>"
    elif kind == "raster":
        stops = "".join(
            f"<stop offset='{i / (len(style['cmap']) - 1):.2f}' stop-color='{c}'/>" for i, c in enumerate(style["cmap"])
        )
        body = (
            f"<defs><linearGradient id='g'>{stops}</linearGradient></defs>"
            "<rect x='1' y='3' width='14' height='10' fill='url(#g)'/>"
        )
    elif kind == "text":
        body = f"<text x='1' y='13' font-size='12' font-weight='bold' fill='{style['color']}'>A</text>"
    else:
        body = (
            f"<g fill='{style['color']}' stroke='{style['line']}' stroke-width='1'>"
            f"{_MARKER_SVG.get(style['marker'], _MARKER_SVG['circle'])}</g>"
        )
    return f"<svg class='xy-legend-symbol' width='18' height='16' viewBox='0 0 16 16'>{body}</svg>"


_LEGEND_CSS = """
.xy-legend-box { font-size: 12px; line-height: 1.35; max-height: 540px; overflow-y: auto; }
.xy-legend-item, .xy-legend-sub { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
.xy-legend-sub { margin-left: 14px; font-size: 11px; }
.xy-legend-symbol { flex: none; }
.xy-colorbar { margin-top: 8px; }
.xy-colorbar-title { font-weight: 600; }
.xy-colorbar-ramp { height: 10px; border: 1px solid #999; }
.xy-colorbar-ticks { display: flex; justify-content: space-between; }
"""

#: The details box wraps long values and scrolls instead of running out of its panel.
_DETAILS_CSS = """
.xy-details-box { max-width: 100%; max-height: 220px; overflow: auto; overflow-wrap: anywhere; font-size: 12px; }
.xy-details-box table { table-layout: fixed; width: 100%; }
.xy-details-box th { width: 40%; vertical-align: top; }
"""

#: Waste-source colours by waste kind.
WASTE_COLOURS: dict[str, str] = {"phosphogypsum": "#8c510a", "construction": "#7570b3"}


def _point_table(layer, cols) -> pd.DataFrame:
    """x, y (a point on each feature's surface) and attribute columns ``cols`` of ``layer``."""
    pts = shapely.point_on_surface(layer.geometry.values)
    frame = pd.DataFrame({"x": shapely.get_x(pts), "y": shapely.get_y(pts)})
    for col in cols:
        if col not in layer:
            frame[col] = ""
        else:
            values = layer[col]
            frame[col] = (values.fillna("") if values.dtype == object else values).to_numpy()
    return frame


def _points_frame(frame: pd.DataFrame | None, cols) -> pd.DataFrame:
    """``frame`` restricted to x, y and ``cols``, or an empty frame with those columns."""
    cols = ["x", "y", *cols]
    if frame is None:
        return pd.DataFrame({c: pd.Series([], dtype="float64" if c in ("x", "y", "value") else "object") for c in cols})
    return frame[[c for c in cols if c in frame.columns]]


def _merged_lines(geoms) -> dict | None:
    """Every line and polygon ring of ``geoms`` as one NaN-separated x/y path (vectorised)."""
    geoms = np.asarray(geoms, dtype=object)
    if geoms.size == 0:
        return None
    parts = shapely.get_parts(geoms)
    polys = shapely.get_type_id(parts) == 3
    lines = np.concatenate([shapely.get_exterior_ring(parts[polys]), parts[~polys]])
    lines = lines[shapely.get_type_id(lines) != 0]  # drop points
    if lines.size == 0:
        return None
    coords, index = shapely.get_coordinates(lines, return_index=True)
    breaks = np.flatnonzero(np.diff(index)) + 1
    xs = np.insert(coords[:, 0], breaks, np.nan)
    ys = np.insert(coords[:, 1], breaks, np.nan)
    return {"x": xs, "y": ys}


@pn.cache(max_items=8)
def _wind_image_cached(version: tuple, gcj02: bool):
    import rasterio
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    project = Project(version[0])
    path = project.raster_path("wind_resource")
    if not path.exists():
        return None
    with rasterio.open(path) as src:
        if src.crs is None:
            return None
        transform, width, height = calculate_default_transform(src.crs, "EPSG:3857", src.width, src.height, *src.bounds)
        scale = max(1.0, max(width, height) / 500.0)  # at most 500 px a side for display
        width, height = int(width / scale), int(height / scale)
        transform, width, height = calculate_default_transform(
            src.crs, "EPSG:3857", src.width, src.height, *src.bounds, dst_width=width, dst_height=height
        )
        out = np.full((height, width), np.nan, dtype="float32")
        reproject(
            rasterio.band(src, 1),
            out,
            dst_transform=transform,
            dst_crs="EPSG:3857",
            resampling=Resampling.bilinear,
            dst_nodata=np.nan,
        )
    left, top = transform.c, transform.f
    right, bottom = left + transform.a * width, top + transform.e * height
    if gcj02:  # shift the image by the GCJ-02 offset at its centre (a few hundred metres)
        lon, lat = _data.mercator_to_lonlat((left + right) / 2, (top + bottom) / 2)
        gx, gy = _data.points_to_mercator([lon], [lat], gcj02=True)
        dx, dy = gx[0] - (left + right) / 2, gy[0] - (top + bottom) / 2
        left, right, top, bottom = left + dx, right + dx, top + dy, bottom + dy
    return out, (left, bottom, right, top)


def wind_image(project: Project, *, gcj02: bool):
    """The wind-resource raster in Web Mercator for the map; cached per project version."""
    return _wind_image_cached(_data.project_version(project), bool(gcj02))
