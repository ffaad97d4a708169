"""Wind tab: the potentials side by side, and sites ranked by LCOE (the supply curve).

Calls :func:`siting.wind.wind_sites` (the default :class:`siting.wind.WindAssumptions`) with
the chosen turbine class and hub height; results are cached per project version and those
two parameters.  Shows technical, below-benchmark, near-grid and existing operating MW with
the usable land share and a sentence of what they mean; sites are drawn on the shared map as
polygons (layer "usable wind sites").
"""

from __future__ import annotations

import html
import threading
from concurrent.futures import Future

import numpy as np
import pandas as pd
import panel as pn
import shapely

from dashboard import _data, export_labels
from dashboard._downloads import Downloads
from dashboard._widgets import TextAlert, plain_formatters, totals_html
from dashboard.i18n import t
from dashboard.map import SharedMap
from layers.project import Project

HUB_HEIGHTS_M = (80, 100, 120, 140, 160)

#: Texts of this tab (zh, en); kept here so the tab's wording lives with the tab.
_TEXT = {
    "technical": ("技术可开发量 MW", "Technical potential MW"),
    "below": ("低于燃煤基准价 MW", "Below coal benchmark MW"),
    "near": ("距110kV及以上变电站{km:g}km内 MW", "Within {km:g} km of ≥110 kV MW"),
    "existing": ("已运行风电 MW", "Operating wind MW"),
    "usable": ("可用土地占比", "Usable land share"),
    "gwh": ("技术年发电量 GWh", "Technical generation GWh/yr"),
    "na": ("无数据", "n/a"),
    "col_lcoe": ("度电成本 元/kWh", "LCOE CNY/kWh"),
    "col_cum_mw": ("累计 MW", "Cumulative MW"),
    "col_substation": ("最近变电站", "Nearest substation"),
    "col_sub_km": ("距变电站 km", "To substation km"),
    "col_farm": ("已有/规划风电场", "Existing/planned farm"),
    "meaning": (
        "技术可开发量是排除居民点、道路、水体、保护区、机场等及风速不足土地后，按每平方公里{density:g} MW"
        "估算的上限，尚未扣除永久基本农田、林地和生态红线（项目中无此类图层），实际可开发规模远小于此。"
        "“低于基准价”指度电成本（含接网）不高于湖北燃煤基准价{bench:g}元/kWh的场址容量；"
        "“近电网”指距110 kV及以上变电站{km:g} km以内的容量；已运行风电来自power_plants图层。",
        "Technical potential is an upper bound: land left after settlements, roads, water, protected areas, "
        "airports and too little wind, at {density:g} MW per km²; it does not yet remove permanent basic farmland, "
        "forest or the ecological red line (no such layers in the project), so what can be built is far smaller. "
        "'Below benchmark' is the capacity of sites whose LCOE (with grid connection) is at most the Hubei coal "
        "benchmark of {bench:g} CNY/kWh; 'near grid' is within {km:g} km of a substation of 110 kV or more; "
        "operating wind comes from the power_plants layer.",
    ),
    "synthetic": (
        "注意：风资源栅格为合成数据（source = synthetic），数字仅演示方法；请导入真实的全球风能图谱（GWA）栅格。",
        "Note: the wind raster is synthetic (source = synthetic): the figures illustrate the method only; "
        "import a real Global Wind Atlas raster.",
    ),
}


def _tx(key: str, lang: str, **fields) -> str:
    text = _TEXT[key][0 if lang == "zh" else 1]
    return text.format(**fields) if fields else text


@pn.cache(max_items=16)
def _loaded(folder: str, key: str):
    """The wind result read from the store; shared read-only by sessions."""
    from siting import results

    return results.load_wind(Project(folder).results.get("wind", key))


def run_wind(project: Project, *, turbine: str, hub_height_m: float):
    """:func:`siting.wind.wind_sites` for the project from the store, or a Future while computed.

    A result not stored yet is computed once in the server's worker process
    (:mod:`dashboard._jobs`); call again when the Future is done.
    """
    from dashboard._jobs import shared_jobs

    got = shared_jobs().get(project.path, "wind", {"turbine": str(turbine), "hub_height_m": float(hub_height_m)})
    if isinstance(got, Future):
        return got
    return _loaded(str(project.path), got.key)


class WindTab:
    """The wind tab of one session (see module docstring)."""

    def __init__(self, project: Project, shared_map: SharedMap, *, lang: str = "zh"):
        from siting.wind import DEFAULT_TURBINE, turbine_table

        self.project = project
        self.map = shared_map
        self.lang = lang
        self.result = None
        self._asked = None
        self._settled = threading.Event()  # set once the result asked for last is shown
        self.ready = project.has("wind_resource")
        table = turbine_table()
        self.turbine = pn.widgets.Select(
            label=t("turbine_class", lang),
            options={
                f"{row.turbine} ({row.rated_mw:g} MW, {row.rotor_diameter_m:g} m)": row.turbine
                for row in table.itertuples()
            },
            value=DEFAULT_TURBINE,
            width=240,
            css_classes=["xy-wind-turbine"],
        )
        self.hub = pn.widgets.Select(
            label=t("hub_height", lang), options=list(HUB_HEIGHTS_M), value=120, width=240, css_classes=["xy-wind-hub"]
        )
        self.message = TextAlert("", alert_type="info", visible=False)  # errors may quote user input
        self.totals = pn.pane.HTML("", sizing_mode="stretch_width")
        self.potentials = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["xy-wind-potentials"])
        self.meaning = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["xy-wind-meaning"])
        self.table = pn.widgets.Tabulator(
            pd.DataFrame(),
            disabled=True,
            show_index=False,
            pagination="remote",
            page_size=10,
            sizing_mode="stretch_width",
            css_classes=["xy-wind-table"],
        )
        self.workbook = Downloads(
            lambda: self.result,
            kind="wind_workbook",
            lang=lang,
            get_assumptions=self._assumptions,
            get_qualifiers=self._qualifiers,
            labels={"xlsx": "download_wind_workbook"},
            css_prefix="xy-wind-download",
        )
        self.downloads = Downloads(
            self._sites,
            kind="wind_sites",
            lang=lang,
            get_assumptions=self._assumptions,
            get_qualifiers=self._qualifiers,
            css_prefix="xy-wind-download",
        )
        self.layout = pn.Row(
            pn.Column(self.turbine, self.hub, self.workbook, self.downloads, width=260),
            pn.Column(
                self.message, self.potentials, self.meaning, self.totals, self.table, sizing_mode="stretch_width"
            ),
            sizing_mode="stretch_width",
            css_classes=["xy-wind-tab"],
        )
        self._label()
        self.turbine.param.watch(self._on_change, "value")
        self.hub.param.watch(self._on_change, "value")
        shared_map.on_gcj02_change(self._draw)

    def load(self) -> None:
        """Compute the default sites (slow on a large region: under a spinner)."""
        if not self.ready:
            self.message.object = t("layer_missing", self.lang, layer=t("layer_wind", self.lang))
            self.message.visible = True
            return
        self._compute()

    def _on_change(self, *_events) -> None:
        if self.ready:
            self._compute()

    def _compute(self) -> None:
        """Show the stored result, or start its computation off the event loop and wait for it."""
        from dashboard._jobs import deliver

        self._asked = asked = (self.turbine.value, self.hub.value)
        self._settled.clear()
        self.layout.loading = True
        deliver(
            lambda: run_wind(self.project, turbine=asked[0], hub_height_m=asked[1]),
            self._apply,
            wanted=lambda: self._asked == asked,
        )

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the result asked for last is shown (tests and scripts); False on timeout."""
        return self._settled.wait(timeout)

    def _apply(self, result, error: Exception | None) -> None:
        self.layout.loading = False
        self.result = result
        if error is not None:
            self.message.object = t("error", self.lang, message=str(error))
            self.message.alert_type = "danger"
            self.message.visible = True
        else:
            self.message.visible = False
        self._show()
        self._settled.set()

    def _show(self) -> None:
        lang = self.lang
        r = self.result
        with pn.io.hold():
            if r is None:
                self.totals.object = ""
                self.potentials.object = ""
                self.meaning.object = ""
                self.table.value = pd.DataFrame()
                self._draw()
                return
            tot = r.totals
            cf = tot.get("capacity_factor", float("nan"))
            items = [
                (t("n_sites", lang), f"{tot['sites']:,}"),
                (t("col_area_km2", lang), f"{tot['usable_km2']:,.1f}"),
                (t("total_mw", lang), f"{tot['capacity_mw']:,.0f}"),
                (t("total_gwh_wind", lang), f"{tot['energy_mwh_per_year'] / 1e3:,.1f}"),
                (t("col_cf", lang), "–" if not np.isfinite(cf) else f"{cf:.1%}"),
            ]
            self.totals.object = totals_html(t("totals", lang), items, css_class="xy-wind-totals")
            self._show_potentials()
            sites = pd.DataFrame(r.sites.drop(columns="geometry", errors="ignore"))
            cols = [
                c
                for c in (
                    "rank",
                    "site_id",
                    "county_name",
                    "usable_area_km2",
                    "mean_speed_m_s",
                    "turbines",
                    "capacity_mw",
                    "energy_mwh_per_year",
                    "capacity_factor",
                    "lcoe_cny_per_kwh",
                    "substation_name",
                    "substation_distance_km",
                    "wind_farm_status",
                    "road_distance_m",
                )
                if c in sites
            ]
            sites = sites[cols]
            self.table.formatters = plain_formatters(sites)
            self.table.titles = {
                "rank": t("col_rank", lang),
                "county_name": t("col_county", lang),
                "usable_area_km2": t("col_area_km2", lang),
                "mean_speed_m_s": t("col_wind_speed", lang),
                "capacity_mw": t("col_mw", lang),
                "energy_mwh_per_year": t("col_mwh", lang),
                "capacity_factor": t("col_cf", lang),
                "lcoe_cny_per_kwh": _tx("col_lcoe", lang),
                "substation_name": _tx("col_substation", lang),
                "substation_distance_km": _tx("col_sub_km", lang),
                "wind_farm_status": _tx("col_farm", lang),
            }
            self.table.value = sites
            self._draw()

    def _draw(self) -> None:
        r = self.result
        if r is None or not len(r.sites):
            self.map.set_layer("wind_sites", None)
            return
        sites = r.sites
        geoms = _data.geometries_to_mercator(sites.to_crs("EPSG:4326").geometry.values, gcj02=self.map.gcj02)
        # raster-derived outlines are staircases of 100 m cells: simplify for drawing only
        geoms = shapely.simplify(geoms, 50.0, preserve_topology=True)
        names = (
            sites["site_id"].astype(str)
            + " · "
            + sites.get("county_name", pd.Series("", index=sites.index)).astype(str)
        )
        attrs = pd.DataFrame({"name": names.to_numpy()})
        if "lcoe_cny_per_kwh" in sites:  # the map colours sites by LCOE (fixed range, see dashboard.map)
            attrs["lcoe"] = sites["lcoe_cny_per_kwh"].astype(float).to_numpy()
        self.map.set_layer("wind_sites", _data.paths_data(geoms, attrs=attrs))

    def _show_potentials(self) -> None:
        """The four potentials side by side, the usable share and what they mean."""
        lang = self.lang
        r = self.result
        p = r.potentials
        a = r.settings

        def mw(value):
            return _tx("na", lang) if value is None else f"{value:,.0f}"

        items = [
            (_tx("technical", lang), mw(p["technical_mw"])),
            (_tx("below", lang), mw(p["below_benchmark_mw"])),
            (_tx("near", lang, km=a.near_grid_km), mw(p["near_grid_mw"])),
            (_tx("existing", lang), mw(p["existing_operating_mw"])),
            (_tx("usable", lang), f"{p['usable_share_pct']:.1f} %"),
            (_tx("gwh", lang), f"{p['technical_gwh_per_year']:,.0f}"),
        ]
        self.potentials.object = totals_html(t("totals", lang), items, css_class="xy-wind-potential-values")
        meaning = _tx(
            "meaning",
            lang,
            density=a.capacity_density_mw_per_km2 or 0.0,
            bench=a.benchmark_cny_per_kwh,
            km=a.near_grid_km,
        )
        parts = [f"<p>{html.escape(meaning)}</p>"]
        if r.assumptions.get("resource_source") == "synthetic":
            parts.append(f"<p><b>{html.escape(_tx('synthetic', lang))}</b></p>")
        parts += [f"<p style='color:#8a5a00'>{html.escape(note)}</p>" for note in r.notes]
        self.meaning.object = "".join(parts)

    def _sites(self):
        return None if self.result is None else self.result.sites

    def _assumptions(self, lang: str | None = None) -> dict:
        """The wind assumptions, totals and potentials behind the sites shown (for exports)."""
        return export_labels.wind_assumptions(self.result, turbine=self.turbine.value, hub_height_m=self.hub.value)

    def _qualifiers(self, lang: str) -> list[str]:
        """Words of the download's file names: turbine class and hub height."""
        return [str(self.turbine.value), f"{self.hub.value:g}m"]

    def _label(self) -> None:
        self.downloads.lang = self.workbook.lang = self.lang

    def set_language(self, lang: str) -> None:
        """Relabel every widget and table in ``lang``."""
        self.lang = lang
        self.turbine.label = t("turbine_class", lang)
        self.hub.label = t("hub_height", lang)
        self._label()
        self._show()

    def panel(self):
        """The tab's layout."""
        return self.layout
