"""Wind tab: the potentials side by side, and sites ranked by LCOE (the supply curve).

Reads the stored result of :func:`siting.wind.wind_sites` (the default
:class:`siting.wind.WindAssumptions`) for the chosen turbine class and hub height; one that
is not stored yet is computed once in the server's worker process (:mod:`dashboard._jobs`)
while the affected panes show a loading state and their old figures are greyed as stale
(:class:`dashboard._result_view.ResultView`).  Shows technical, below-benchmark, near-grid and
existing operating MW with the usable land share and a sentence of what they mean; sites are
drawn on the shared map as polygons (layer "usable wind sites"); selecting a site in the table
zooms the map to it.
"""

from __future__ import annotations

import html
from typing import ClassVar

import pandas as pd
import panel as pn
import param
import shapely

from dashboard import _data, export_labels
from dashboard import _result_view as view
from dashboard._downloads import Downloads
from dashboard._held import held
from dashboard._widgets import totals_html
from dashboard.i18n import MESSAGES, county_label, t
from dashboard.map import SharedMap
from layers.project import Project
from siting.wind import DEFAULT_TURBINE, turbine_table

HUB_HEIGHTS_M = (80, 100, 120, 140, 160)

#: The site table (the supply curve, cheapest first): column, header, kind of number or vocabulary.
SITE_COLS = (
    view.Col("rank", "col_rank"),
    view.Col("site_id", "col_site_id", "text"),
    view.Col("county", "col_county", "county"),
    view.Col("usable_area_km2", "col_area_km2", "dec2"),
    view.Col("mean_speed_m_s", "col_wind_speed", "dec2"),
    view.Col("turbines", "col_turbines"),
    view.Col("capacity_mw", "col_mw", "dec1"),
    view.Col("energy_mwh_per_year", "col_mwh"),
    view.Col("capacity_factor", "col_cf_pct", "share"),
    view.Col("lcoe_cny_per_kwh", "wind_col_lcoe", "dec3"),
    view.Col("substation_name", "wind_col_substation", "text"),
    view.Col("substation_distance_km", "wind_col_sub_km", "dec1"),
    view.Col("wind_farm_status", "wind_col_farm", "vocab", "ps"),
    view.Col("road_distance_m", "col_road_m"),
)


def turbine_label(name: str, lang: str) -> str:
    """``low_wind_5mw_d171`` → "低风速 5 MW · 叶轮 171 m" / "Low-wind 5 MW · rotor 171 m"."""
    row = turbine_table().set_index("turbine").loc[name]
    family = name.rsplit("_", 2)[0]
    kind = t(f"turbine_{family}", lang) if f"turbine_{family}" in MESSAGES else str(row["iec_class"])
    return t("turbine_option", lang, kind=kind, mw=float(row["rated_mw"]), rotor=float(row["rotor_diameter_m"]))


@pn.cache(max_items=16)
def _loaded(folder: str, analysis: str, key: str):
    """The wind result read from the store; shared read-only by sessions."""
    from siting import results

    return results.load_wind(Project(folder).results.get(analysis, key))


def run_wind(project: Project, *, turbine: str, hub_height_m: float):
    """:func:`siting.wind.wind_sites` for the project from the store, or a Future while computed."""
    options = {"turbine": str(turbine), "hub_height_m": float(hub_height_m)}
    return view.stored_or_future(project, "wind", options, _loaded)


def wind_notes(result, lang: str) -> list[str]:
    """What the result leaves out for want of a layer, in ``lang`` (from its assumptions)."""
    a = result.assumptions
    notes = []
    if a.get("grid_layer") == "missing":
        notes.append(t("wind_no_grid", lang))
    elif len(result.sites) and "substation_kv" in result.sites and result.sites["substation_kv"].isna().all():
        notes.append(t("wind_no_substation_kv", lang, kv=float(result.settings.min_substation_kv)))
    if a.get("power_plants_layer") == "missing":
        notes.append(t("wind_no_plants", lang))
    return notes


class WindTab(view.ResultView):
    """The wind tab of one session (module docstring); it draws the usable sites on the shared map."""

    needs_layers: ClassVar[tuple[str, ...]] = ("wind_resource",)
    missing_layer_msg: ClassVar[str] = "layer_wind"
    run = staticmethod(run_wind)
    inputs: ClassVar[tuple[str, ...]] = ("turbine", "hub_height_m")

    turbine = param.Selector(
        default=DEFAULT_TURBINE, objects=turbine_table()["turbine"].tolist(), doc="Turbine class (siting.wind)"
    )
    hub_height_m = param.Selector(default=120, objects=list(HUB_HEIGHTS_M), doc="Hub height, m")
    site = param.String(default="", doc="Selected site id ('' for none)")
    selection: ClassVar[tuple[str, str]] = ("site", "site_id")
    url_params: ClassVar[dict[str, str]] = {"turbine": "turbine", "hub_height_m": "hub", "site": "site"}

    def __init__(self, project: Project, shared_map: SharedMap, **params):
        super().__init__(project, shared_map, **params)
        self.turbine_input = view.param_widget(self.param.turbine, css_class="xy-wind-turbine")
        self.hub_input = view.param_widget(self.param.hub_height_m, css_class="xy-wind-hub")
        self.totals = view.result_html()
        self.potentials = view.result_html("xy-wind-potentials")
        self.meaning = view.result_html("xy-wind-meaning")
        self.table = view.result_table("xy-wind-table", page_size=10, lang=self.param.lang)
        self.result_panes = [self.potentials, self.totals, self.table]
        self.workbook = Downloads(
            lambda: self.result,
            kind="wind_workbook",
            lang=self.param.lang,
            get_assumptions=self._assumptions,
            get_qualifiers=self._qualifiers,
            labels={"xlsx": "download_wind_workbook"},
            css_prefix="xy-wind-download",
        )
        self.downloads = Downloads(
            self._sites,
            kind="wind_sites",
            lang=self.param.lang,
            get_assumptions=self._assumptions,
            get_qualifiers=self._qualifiers,
            css_prefix="xy-wind-download",
        )
        self.layout = pn.Row(
            pn.Column(self.turbine_input, self.hub_input, self.workbook, self.downloads, width=260),
            pn.Column(
                self.message, self.potentials, self.meaning, self.totals, self.table, sizing_mode="stretch_width"
            ),
            sizing_mode="stretch_width",
            css_classes=["xy-wind-tab"],
        )
        self._link_selection(self.table)
        shared_map.on_gcj02_change(self._draw)
        self._relabel()

    # -- views
    @param.depends("lang", watch=True)
    def _relabel(self) -> None:
        lang = self.lang
        with held():
            self.turbine_input.param.update(
                name=t("turbine_class", lang), options={turbine_label(n, lang): n for n in self.param.turbine.objects}
            )
            self.hub_input.param.update(name=t("hub_height", lang), options={f"{h} m": h for h in HUB_HEIGHTS_M})

    @param.depends("result", "lang", watch=True)
    def _show(self) -> None:
        lang = self.lang
        r = self.result
        with held():
            if r is None:
                self.totals.object = self.potentials.object = self.meaning.object = ""
            else:
                tot = r.totals
                items = [
                    (t("n_sites", lang), view.fmt_int(tot["sites"])),
                    (t("col_area_km2", lang), view.fmt_dec(tot["usable_km2"])),
                    (t("total_mw", lang), view.fmt_int(tot["capacity_mw"])),
                    (t("total_gwh_wind", lang), view.fmt_dec(tot["energy_mwh_per_year"] / 1e3)),
                    (t("col_cf", lang), view.fmt_share(tot.get("capacity_factor", float("nan")))),
                ]
                self.totals.object = totals_html(t("totals", lang), items, css_class="xy-wind-totals")
                self._show_potentials(r, lang)
            cols = SITE_COLS
            if r is not None and r.assumptions.get("capacity_method") == "capacity_density":
                cols = tuple(c for c in SITE_COLS if c.name != "turbines")  # no layout: no turbine count
            view.show_table(self.table, None if r is None else r.sites, cols, lang)
            self._select_row()
        self._draw()

    def _show_potentials(self, r, lang: str) -> None:
        """The four potentials side by side, the usable share and what they mean."""
        p = r.potentials
        a = r.settings

        def mw(value):
            return t("wind_na", lang) if value is None else view.fmt_int(value)

        items = [
            (t("wind_technical", lang), mw(p["technical_mw"])),
            (t("wind_below", lang), mw(p["below_benchmark_mw"])),
            (t("wind_near", lang, km=a.near_grid_km), mw(p["near_grid_mw"])),
            (t("wind_existing", lang), mw(p["existing_operating_mw"])),
            (t("wind_usable", lang), f"{p['usable_share_pct']:.1f} %"),
            (t("wind_gwh", lang), view.fmt_int(p["technical_gwh_per_year"])),
        ]
        self.potentials.object = totals_html(t("wind_potentials", lang), items, css_class="xy-wind-potential-values")
        meaning = t(
            "wind_meaning",
            lang,
            density=a.capacity_density_mw_per_km2 or 0.0,
            bench=a.benchmark_cny_per_kwh,
            km=a.near_grid_km,
        )
        parts = [f"<p>{html.escape(meaning)}</p>"]
        if r.assumptions.get("resource_source") == "synthetic":
            parts.append(f"<p><b>{html.escape(t('wind_synthetic', lang))}</b></p>")
        parts += [f"<p style='color:#8a5a00'>{html.escape(note)}</p>" for note in wind_notes(r, lang)]
        self.meaning.object = "".join(parts)

    # -- selection
    def _selectable(self):
        return None if self.result is None else self.result.sites

    def _focus(self, frame, row) -> None:
        if row is not None:
            geom = frame.to_crs("EPSG:4326").geometry.iloc[row]
            merc = _data.geometries_to_mercator([geom], gcj02=self.map.gcj02)
            self.map.zoom_to(tuple(shapely.total_bounds(merc)), pad=0.5)

    # -- the shared map
    def _draw(self) -> None:
        r = self.result
        if r is None or not len(r.sites):
            self.map.set_layer("wind_sites", None)
            return
        sites = r.sites
        geoms = _data.geometries_to_mercator(sites.to_crs("EPSG:4326").geometry.values, gcj02=self.map.gcj02)
        # raster-derived outlines are staircases of 100 m cells: simplify for drawing only
        geoms = shapely.simplify(geoms, 50.0, preserve_topology=True)
        counties = sites.get("county", pd.Series("", index=sites.index)).fillna("").astype(str)
        labels = {code: county_label(code, self.lang) if code else "" for code in counties.unique()}
        names = sites["site_id"].astype(str) + " · " + counties.map(labels)
        attrs = pd.DataFrame({"name": names.to_numpy()})
        if "lcoe_cny_per_kwh" in sites:  # the map colours sites by LCOE (fixed range, see dashboard.map)
            attrs["lcoe"] = sites["lcoe_cny_per_kwh"].astype(float).to_numpy()
        self.map.set_layer("wind_sites", _data.paths_data(geoms, attrs=attrs))

    def _sites(self):
        return None if self.result is None else self.result.sites

    def _assumptions(self, lang: str | None = None) -> dict:
        """The wind assumptions, totals and potentials behind the sites shown (for exports)."""
        return export_labels.wind_assumptions(self.result, turbine=self.turbine, hub_height_m=self.hub_height_m)

    def _qualifiers(self, lang: str) -> list[str]:
        """Words of the download's file names: turbine class and hub height."""
        return [str(self.turbine), f"{self.hub_height_m:g}m"]
