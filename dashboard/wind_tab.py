"""Wind tab: usable areas and ranked candidate sites for a turbine class and hub height.

Calls :func:`siting.wind.wind_sites` (its default exclusions, shear and losses) with the
chosen turbine class and hub height; results are cached per project version and those two
parameters.  Sites are drawn on the shared map as polygons (layer "usable wind sites").
"""

from __future__ import annotations

import functools
import importlib

import numpy as np
import pandas as pd
import panel as pn
import shapely

from dashboard import _data
from dashboard._widgets import frame_download, plain_formatters, totals_html
from dashboard.i18n import t
from dashboard.map import SharedMap
from layers.project import Project

HUB_HEIGHTS_M = (80, 100, 120, 140, 160)


def available() -> bool:
    """True when ``siting.wind`` offers usable sites."""
    try:
        module = importlib.import_module("siting.wind")
    except ImportError:
        return False
    return hasattr(module, "wind_sites") and hasattr(module, "turbine_table")


@functools.lru_cache(maxsize=16)
def _run(version: tuple, turbine: str, hub_height_m: float):
    from siting.wind import wind_sites

    return wind_sites(Project(version[0]), hub_height_m=hub_height_m, turbine=turbine)


def run_wind(project: Project, *, turbine: str, hub_height_m: float):
    """:func:`siting.wind.wind_sites` for the project, cached by its version and parameters."""
    return _run(_data.project_version(project), str(turbine), float(hub_height_m))


class WindTab:
    """The wind tab of one session (see module docstring)."""

    def __init__(self, project: Project, shared_map: SharedMap, *, lang: str = "zh"):
        from siting.wind import DEFAULT_TURBINE, turbine_table

        self.project = project
        self.map = shared_map
        self.lang = lang
        self.result = None
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
        self.message = pn.pane.Alert("", alert_type="info", visible=False)
        self.totals = pn.pane.HTML("", sizing_mode="stretch_width")
        self.table = pn.widgets.Tabulator(
            pd.DataFrame(),
            disabled=True,
            show_index=False,
            pagination="remote",
            page_size=10,
            sizing_mode="stretch_width",
            css_classes=["xy-wind-table"],
        )
        self.downloads = {
            fmt: frame_download(
                self._sites,
                fmt=fmt,
                label="",
                filename=f"wind_sites.{fmt}",
                layer="wind_sites",
                get_assumptions=self._assumptions,
                css_class=f"xy-wind-download-{fmt}",
            )
            for fmt in ("csv", "xlsx", "geojson")
        }
        self.layout = pn.Row(
            pn.Column(self.turbine, self.hub, *self.downloads.values(), width=260),
            pn.Column(self.message, self.totals, self.table, sizing_mode="stretch_width"),
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
        self.layout.loading = True
        try:
            self.result = run_wind(self.project, turbine=self.turbine.value, hub_height_m=self.hub.value)
            self.message.visible = False
        except Exception as exc:  # InputError from the analysis: say why, keep the app
            self.result = None
            self.message.object = t("error", self.lang, message=str(exc))
            self.message.alert_type = "danger"
            self.message.visible = True
        finally:
            self.layout.loading = False
        self._show()

    def _show(self) -> None:
        lang = self.lang
        r = self.result
        with pn.io.hold():
            if r is None:
                self.totals.object = ""
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
        self.map.set_layer("wind_sites", _data.paths_data(geoms, pd.DataFrame({"name": names.to_numpy()})))

    def _sites(self):
        return None if self.result is None else self.result.sites

    def _assumptions(self) -> dict:
        out = {"turbine": self.turbine.value, "hub_height_m": self.hub.value}
        if self.result is not None:
            out.update({k: v for k, v in self.result.assumptions.items() if isinstance(v, (str, int, float, bool))})
            out.update(self.result.totals)
        return out

    def _label(self) -> None:
        for fmt, button in self.downloads.items():
            button.label = t(f"download_{fmt}", self.lang)

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
