"""Rooftop PV tab: filters, yield-coloured map, linked table, totals, histogram, downloads.

A county official picks a county (and optionally a park, a use class, a minimum kWp and a
minimum specific yield); the map, the table (paginated on the server, never the full
frame in the browser), the totals and the histogram follow; the shortlist downloads as
CSV (a zip with its assumptions), XLSX or GeoJSON in the UI language
(:class:`dashboard._downloads.Downloads`).

The PV numbers come from :func:`siting.solar.rooftop_potential` (see
:mod:`dashboard._solar_data`); until that module is available the tab shows rooftops and
roof areas only, with a notice.  Table and map are linked both ways: selecting a row
highlights the rooftop on the map and shows its details; clicking near a rooftop on the
map selects its row (turning the table to its page).
"""

from __future__ import annotations

import html

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn

from dashboard import _data, _solar_data, export_labels
from dashboard._downloads import Downloads
from dashboard._widgets import TextAlert
from dashboard.i18n import county_label, option_label, t
from dashboard.map import VECTOR_LIMIT, SharedMap
from layers.project import Project
from layers.schema import USE_CLASSES

PAGE_SIZE = 12
_TABLE_COLUMNS = (
    "rank",
    "id",
    "name",
    "county",
    "park_id",
    "use_class",
    "area_m2",
    "usable_m2",
    "kwp",
    "kwh_per_year",
    "kwh_per_kwp",
    "tco2_per_year",
    "county_rank",
    "payback_years",
    "lcoe_cny_per_kwh",
)
_TITLE_IDS = {
    "rank": "col_rank",
    "id": "col_id",
    "name": "col_name",
    "county": "col_county",
    "park_id": "col_park",
    "use_class": "col_use_class",
    "area_m2": "col_area_m2",
    "usable_m2": "col_usable_m2",
    "kwp": "col_kwp",
    "kwh_per_year": "col_kwh_per_year",
    "kwh_per_kwp": "col_kwh_per_kwp",
    "tco2_per_year": "col_tco2_per_year",
    "county_rank": "col_county_rank",
    "payback_years": "col_payback",
    "lcoe_cny_per_kwh": "col_lcoe",
}


class SolarTab:
    """The rooftop-PV tab of one session.

    Parameters
    ----------
    project : Project
    shared_map : SharedMap
        The session's map; this tab draws the rooftops on it.
    lang : {"zh", "en"}
    """

    def __init__(self, project: Project, shared_map: SharedMap, *, lang: str = "zh"):
        self.project = project
        self.map = shared_map
        self.lang = lang
        self.table_frame: pd.DataFrame | None = None  # the cached, read-only full table
        self.filtered: pd.DataFrame | None = None
        self._positions = np.array([], dtype="int64")
        self.has_pv = True  # False once the PV analysis has failed (rooftops are still shown)
        self.has_rooftops = project.has("rooftops")

        self.county = pn.widgets.Select(
            width=240, label=t("county", lang), options={t("any", lang): ""}, css_classes=["xy-solar-county"]
        )
        self.park = pn.widgets.Select(
            width=240, label=t("park", lang), options={t("any", lang): ""}, css_classes=["xy-solar-park"]
        )
        self.use_class = pn.widgets.Select(
            width=240, label=t("use_class", lang), options=self._use_options(), css_classes=["xy-solar-use"]
        )
        self.min_kwp = pn.widgets.FloatInput(
            width=240,
            label=t("min_kwp", lang),
            value=0.0,
            start=0.0,
            step=5.0,
            css_classes=["xy-solar-min-kwp"],
            disabled=not self.has_pv,
        )
        self.min_yield = pn.widgets.FloatInput(
            width=240,
            label=t("min_yield", lang),
            value=0.0,
            start=0.0,
            step=25.0,
            css_classes=["xy-solar-min-yield"],
            disabled=not self.has_pv,
        )
        self.suitable_only = pn.widgets.Checkbox(
            label=t("suitable_only", lang),
            value=True,
            width=240,
            css_classes=["xy-solar-suitable"],
            disabled=not self.has_pv,
        )
        self.notice = TextAlert("", alert_type="danger", visible=False)  # the PV analysis' error (may quote input)
        self._pv_error = ""
        self.missing = pn.pane.Alert(
            t("layer_missing", lang, layer=t("layer_rooftops", lang)), alert_type="info", visible=not self.has_rooftops
        )
        self.count = pn.pane.HTML("", css_classes=["xy-solar-count"])
        self.totals = pn.pane.HTML("", css_classes=["xy-solar-totals"], sizing_mode="stretch_width")
        self.table = pn.widgets.Tabulator(
            pd.DataFrame(),
            pagination="remote",
            page_size=PAGE_SIZE,
            show_index=False,
            disabled=True,
            selectable=1,
            sizing_mode="stretch_width",
            height=420,
            css_classes=["xy-solar-table"],
            header_filters=False,
        )
        self.hist_pipe = hv.streams.Pipe(data=np.zeros(0))
        self.histogram = pn.pane.HoloViews(
            hv.DynamicMap(self._histogram, streams=[self.hist_pipe]),
            height=220,
            linked_axes=False,
            sizing_mode="stretch_width",
            css_classes=["xy-solar-hist"],
            visible=self.has_pv,
        )
        self.downloads = Downloads(
            self.shortlist,
            kind="pv_shortlist",
            lang=lang,
            get_assumptions=self.assumptions,
            get_qualifiers=self._shortlist_qualifiers,
            park_names=self._park_names,
            disabled=True,
        )
        self.layout = pn.Row(
            pn.Column(
                self.county,
                self.park,
                self.use_class,
                self.min_kwp,
                self.min_yield,
                self.suitable_only,
                self.downloads,
                width=260,
            ),
            pn.Column(
                self.notice,
                self.missing,
                self.count,
                self.totals,
                self.table,
                self.histogram,
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
            css_classes=["xy-solar-tab"],
        )
        for widget in (self.county, self.park, self.use_class, self.min_kwp, self.min_yield, self.suitable_only):
            widget.param.watch(self._on_filter, "value")
        self.table.param.watch(self._on_selection, "selection")
        shared_map.on_tap(self._on_map_tap)
        shared_map.on_gcj02_change(self._refresh_map)

    # -- loading --------------------------------------------------------------------------------
    def load(self) -> None:
        """Compute (or fetch from cache) the rooftop table and draw everything; may be slow."""
        if not self.has_rooftops:
            return
        self.layout.loading = True
        try:
            try:
                self.table_frame = _solar_data.rooftop_table(self.project, with_pv=self.has_pv)
            except Exception as exc:  # a failing analysis must not take the app down
                self._pv_error = str(exc)
                self.notice.object = t("error", self.lang, message=self._pv_error)
                self.notice.visible = True
                self.has_pv = False
                self.histogram.visible = False
                self.table_frame = _solar_data.rooftop_table(self.project, with_pv=False)
            self._fill_options()
            self._apply()
        finally:
            self.layout.loading = False

    def _fill_options(self) -> None:
        frame = self.table_frame
        lang = self.lang
        counties = [c for c in frame["county"].cat.categories if c]
        self.county.options = {t("any", lang): "", **{county_label(c, lang): c for c in counties}}
        parks = _data.read_layer(self.project, "industrial_parks")
        park_ids = set(frame["park_id"].cat.categories) - {""}
        options = {t("any", lang): ""}
        if parks is not None:
            for pid, name in zip(parks["id"].astype(str), parks["name"].astype(str), strict=True):
                if pid in park_ids:
                    options[f"{name}"] = pid
        self.park.options = options

    # -- filtering ------------------------------------------------------------------------------
    def filter_mask(self) -> np.ndarray:
        """Boolean mask of :attr:`table_frame` rows that pass the current filters."""
        frame = self.table_frame
        mask = np.ones(len(frame), dtype=bool)
        for col, widget in (("county", self.county), ("park_id", self.park), ("use_class", self.use_class)):
            if widget.value:
                mask &= (frame[col] == widget.value).to_numpy()
        if self.has_pv:
            if self.suitable_only.value and "suitable" in frame:
                mask &= frame["suitable"].to_numpy()
            if self.min_kwp.value and "kwp" in frame:
                mask &= frame["kwp"].to_numpy() >= float(self.min_kwp.value)
            if self.min_yield.value and "kwh_per_kwp" in frame:
                mask &= frame["kwh_per_kwp"].to_numpy() >= float(self.min_yield.value)
        return mask

    def _on_filter(self, *_events) -> None:
        if self.table_frame is not None:
            self._apply()

    def _apply(self) -> None:
        mask = self.filter_mask()
        self._positions = np.flatnonzero(mask)
        frame = self.table_frame
        filtered = frame.iloc[self._positions]
        self.filtered = filtered
        with pn.io.hold():
            self.table.selection = []
            self.table.value = self._display(filtered)
            self.table.page = 1
            self._update_totals(filtered)
            self.hist_pipe.send(filtered["kwh_per_kwp"].to_numpy() if "kwh_per_kwp" in filtered else np.zeros(0))
            self._refresh_map()
            self.downloads.disabled = len(filtered) == 0
            self.downloads.refresh()
            self.map.select(None)

    def _refresh_map(self) -> None:
        if self.table_frame is None or self.filtered is None:
            return
        x, y = _solar_data.mercator_xy(self.project, with_pv=self.has_pv, gcj02=self.map.gcj02)
        pos = self._positions
        filtered = self.filtered
        value = "kwh_per_kwp" if "kwh_per_kwp" in filtered else "area_m2"
        frame = pd.DataFrame({"x": x[pos], "y": y[pos], "value": filtered[value].to_numpy(dtype="float64")})
        if len(pos) <= VECTOR_LIMIT:  # drawn as points with hover: carry the labels
            frame["id"] = filtered["id"].to_numpy()
            frame["name"] = filtered["name"].to_numpy()
            frame["county"] = filtered["county"].astype(str).to_numpy()
        self.map.set_rooftops(
            frame, value="value", label_id="colorbar_yield" if value == "kwh_per_kwp" else "col_area_m2"
        )

    def _display(self, filtered: pd.DataFrame) -> pd.DataFrame:
        cols = [c for c in _TABLE_COLUMNS if c in filtered.columns]
        out = filtered[cols].copy()
        lang = self.lang
        # categorical columns: relabel the categories, not the (up to millions of) rows
        out["county"] = out["county"].cat.rename_categories(lambda c: county_label(c, lang) if c else "")
        out["use_class"] = out["use_class"].cat.rename_categories(lambda c: option_label("uc", c, lang) if c else "")
        names = self._park_names()
        out["park_id"] = out["park_id"].cat.rename_categories(lambda c: f"{names.get(c, c)}\u2009[{c}]" if c else "")
        self.table.titles = {c: t(_TITLE_IDS[c], self.lang) for c in cols}
        self.table.formatters = {
            **{c: {"type": "plaintext"} for c in ("id", "name", "county", "park_id", "use_class")},
            **{
                c: {"type": "money", "precision": 1, "thousand": ","}
                for c in ("area_m2", "usable_m2", "kwp", "kwh_per_kwp", "tco2_per_year", "payback_years")
            },
            "county_rank": {"type": "money", "precision": 0, "thousand": ""},
            "kwh_per_year": {"type": "money", "precision": 0, "thousand": ","},
            "lcoe_cny_per_kwh": {"type": "money", "precision": 3, "thousand": ""},
        }
        return out

    def _park_names(self) -> dict[str, str]:
        parks = _data.read_layer(self.project, "industrial_parks")
        if parks is None:
            return {}
        return dict(zip(parks["id"].astype(str), parks["name"].astype(str), strict=True))

    def _update_totals(self, filtered: pd.DataFrame) -> None:
        lang = self.lang
        n = len(filtered)
        self.count.object = (
            f"<span class='xy-row-count' data-rows='{n}'>{html.escape(t('rows', lang, n=f'{n:,}'))}</span>"
        )
        items = [(t("n_rooftops", lang), f"{n:,}")]
        if "kwp" in filtered:
            items.append((t("total_mwp", lang), f"{np.nansum(filtered['kwp']) / 1e3:,.2f}"))
        if "kwh_per_year" in filtered:
            items.append((t("total_gwh", lang), f"{np.nansum(filtered['kwh_per_year']) / 1e6:,.2f}"))
        if "tco2_per_year" in filtered:
            items.append((t("total_tco2", lang), f"{np.nansum(filtered['tco2_per_year']):,.0f}"))
        if "kwp" not in filtered:
            items.append((t("col_area_m2", lang), f"{np.nansum(filtered['area_m2']):,.0f}"))
        cells = "".join(
            f"<div class='xy-total' style='background:#f2f6f8;border-radius:4px;padding:4px 10px'>"
            f"<div style='font-size:12px;color:#456'>{html.escape(k)}</div>"
            f"<div class='xy-total-value' style='font-size:18px;font-weight:700;color:#0b4f6c'>"
            f"{html.escape(v)}</div></div>"
            for k, v in items
        )
        self.totals.object = (
            f"<div class='xy-totals'><b>{html.escape(t('totals', lang))}</b>"
            f"<div style='display:flex;gap:14px;flex-wrap:wrap'>{cells}</div></div>"
        )

    def _histogram(self, data=None):
        values = np.asarray(data if data is not None else [], dtype="float64")
        values = values[np.isfinite(values)]
        lang = self.lang
        if values.size:
            counts, edges = np.histogram(values, bins=30)
        else:
            counts, edges = np.zeros(1), np.array([0.0, 1.0])
        return hv.Histogram(
            (edges, counts),
            kdims=[hv.Dimension("kwh_per_kwp", label=t("col_kwh_per_kwp", lang))],
            vdims=[hv.Dimension("count", label=t("count", lang))],
        ).opts(
            title=t("histogram", lang),
            responsive=True,
            height=210,
            color="#f46d43",
            line_color="white",
            framewise=True,
            toolbar=None,
        )

    # -- linking --------------------------------------------------------------------------------
    def _on_selection(self, event) -> None:
        if self.filtered is None:
            return
        rows = [i for i in event.new if 0 <= i < len(self.filtered)]
        if not rows:
            self.map.select(None)
            return
        x, y = _solar_data.mercator_xy(self.project, with_pv=self.has_pv, gcj02=self.map.gcj02)
        pos = self._positions[rows]
        sel = self.filtered.iloc[rows]
        self.map.select(
            pd.DataFrame({"x": x[pos], "y": y[pos], "id": sel["id"].to_numpy(), "name": sel["name"].to_numpy()})
        )
        self.map.show_details(self._record(sel.iloc[0]))

    def _record(self, row: pd.Series) -> dict:
        lang = self.lang
        out = {}
        for col in _TABLE_COLUMNS:
            if col not in row.index:
                continue
            value = row[col]
            if col == "county":
                value = county_label(value, lang)
            elif col == "use_class":
                value = option_label("uc", value, lang)
            elif isinstance(value, float):
                value = f"{value:,.1f}"
            out[t(_TITLE_IDS[col], lang)] = value
        return out

    def _on_map_tap(self, x: float, y: float) -> None:
        if self.filtered is None or not len(self.filtered):
            return
        xs, ys = _solar_data.mercator_xy(self.project, with_pv=self.has_pv, gcj02=self.map.gcj02)
        pos = self._positions
        d2 = (xs[pos] - x) ** 2 + (ys[pos] - y) ** 2
        i = int(np.argmin(d2))
        fig = self.map._figure
        span = (fig.x_range.end - fig.x_range.start) if fig is not None and fig.x_range.end is not None else 5000.0
        if d2[i] > (0.02 * span) ** 2:  # nothing within ~2 % of the view width
            return
        self.table.page = i // PAGE_SIZE + 1
        self.table.selection = [i]

    # -- downloads ------------------------------------------------------------------------------
    def _shortlist_qualifiers(self, lang: str) -> list[str]:
        """Words of the download's file name: the county, park, use class and minimum kWp chosen."""
        parts = []
        if self.county.value:
            parts.append(county_label(self.county.value, lang))
        if self.park.value:
            parts.append(self._park_names().get(self.park.value, self.park.value))
        if self.use_class.value:
            parts.append(option_label("uc", self.use_class.value, lang))
        if self.min_kwp.value:
            parts.append(f"{'最小' if lang == 'zh' else 'min-'}{self.min_kwp.value:g}kWp")
        return parts

    def shortlist(self):
        """The filtered rooftops with geometry (GeoDataFrame, EPSG:4326), in rank order."""
        import geopandas as gpd

        filtered = self.filtered
        cols = [c for c in _TABLE_COLUMNS if c in filtered.columns]
        table = pd.DataFrame(filtered[cols]).reset_index(drop=True)
        for col in ("county", "park_id", "use_class"):
            table[col] = table[col].astype(str)
        layer = _data.read_layer(self.project, "rooftops")
        geoms = layer.set_index(layer["id"].astype(str)).geometry
        return gpd.GeoDataFrame(table, geometry=geoms.reindex(table["id"]).to_numpy(), crs=layer.crs)

    def assumptions(self, lang: str | None = None) -> dict:
        """The filters the shortlist was made with and the PV result's assumptions (for exports)."""
        meta = dict(self.table_frame.attrs.get("solar", {})) if self.table_frame is not None else {}
        if not self.has_pv:
            meta["pv_results"] = "none"
        return export_labels.pv_assumptions(
            meta,
            lang or self.lang,
            rows=0 if self.filtered is None else len(self.filtered),
            county=self.county.value,
            park=self._park_names().get(self.park.value, self.park.value) if self.park.value else "",
            use_class=self.use_class.value,
            min_kwp=self.min_kwp.value,
            min_kwh_per_kwp=self.min_yield.value,
            suitable_only=self.suitable_only.value,
        )

    # -- language -------------------------------------------------------------------------------
    def _use_options(self) -> dict[str, str]:
        return {t("any", self.lang): "", **{option_label("uc", u, self.lang): u for u in USE_CLASSES}}

    def set_language(self, lang: str) -> None:
        """Relabel every widget and redraw the text in ``lang``."""
        self.lang = lang
        for widget, msg in (
            (self.county, "county"),
            (self.park, "park"),
            (self.use_class, "use_class"),
            (self.min_kwp, "min_kwp"),
            (self.min_yield, "min_yield"),
            (self.suitable_only, "suitable_only"),
        ):
            widget.label = t(msg, lang)
        value = self.use_class.value
        self.use_class.options = self._use_options()
        self.use_class.value = value
        self.downloads.lang = lang
        self.notice.object = t("error", lang, message=self._pv_error)
        self.missing.object = t("layer_missing", lang, layer=t("layer_rooftops", lang))
        if self.table_frame is not None:
            county, park = self.county.value, self.park.value
            self._fill_options()
            self.county.value, self.park.value = county, park
            self._apply()

    def panel(self) -> pn.viewable.Viewable:
        """The tab's layout."""
        return self.layout
