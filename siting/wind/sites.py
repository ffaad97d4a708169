"""Wind siting end to end: resource + exclusion stack → sites → MW, MWh/yr, grid, LCOE, supply curve.

:func:`wind_sites` is the public entry point used by the dashboard and ``xysiting wind``;
every assumption it uses is a field of :class:`siting.wind.assumptions.WindAssumptions`.

Why one module over 500 lines: the steps of one run (region, resource, exclusion stack, site
cutting, energy, grid connection, supply curve) share the run's grid and arrays, and the
result class with its exports belongs beside the function that fills it; the separable
pieces already live in their own modules (exclusions, energy, grid, plants, supply_curve).
"""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from geo.cache import array_key, file_key, memoize
from geo.crs import WGS84, XIANGYANG_UTM, require_crs
from geo.errors import InputError
from geo.raster import (
    RasterGrid,
    burn_values,
    component_sizes,
    label_components,
    majority,
    vectorise_labels,
    write_geotiff,
    zonal_stats,
)
from siting.wind.assumptions import WindAssumptions
from siting.wind.energy import HOURS_PER_YEAR, mean_power_kw
from siting.wind.exclusions import ExclusionStack, Rule, clear_mask_cache, default_exclusions
from siting.wind.grid import GRID_COLUMNS, grid_connection
from siting.wind.plants import FARM_COLUMNS, farm_overlap, operating_capacity
from siting.wind.resource import check_hub_height, load_resource
from siting.wind.supply_curve import lcoe_cny_per_kwh, supply_curve
from siting.wind.turbines import get_turbine

#: Columns sites can be ranked by (LCOE ascending, the others descending).
RANK_COLUMNS = (
    "lcoe_cny_per_kwh",
    "energy_mwh_per_year",
    "capacity_mw",
    "capacity_factor",
    "mean_speed_m_s",
    "usable_area_km2",
)


@dataclass
class WindSitesResult:
    """What :func:`wind_sites` returns.

    Attributes
    ----------
    sites : GeoDataFrame
        Candidate sites (EPSG:4326), ranked by ``assumptions.rank_by`` (LCOE by default):
        ``site_id, rank, label, component, county, county_name, area_km2, usable_area_km2,
        mean_speed_m_s, weibull_k, turbines, capacity_mw, energy_mwh_per_year,
        capacity_factor, full_load_hours, road_distance_m, resource_source``, the grid
        connection (``substation_id, substation_name, substation_kv,
        substation_distance_km, connection_kv, connection_cost_cny,
        connection_cost_cny_per_kw``), ``lcoe_cny_per_kwh, below_benchmark``, the overlap
        with wind farms (``wind_farm_status`` — ``""`` when none —, ``wind_farm_names,
        wind_farm_mw``) and the polygon.
    turbines : GeoDataFrame
        Turbine positions of the layout (EPSG:4326; empty in capacity-density mode).
    exclusion_table : DataFrame
        One row per exclusion layer: reason, rule, excluded km² alone, excluded only by it,
        excluded in order (marginal), share of the region; then ``available``.
    availability : numpy.ndarray
        Usable fraction per cell (0–1, float32), NaN outside the region.
    grid : RasterGrid
        The metric grid (``.transform``, ``.crs``, ``.shape``) of every array.
    speed_m_s, capacity_factor : numpy.ndarray
        Hub-height mean speed and net capacity factor per cell (NaN outside).
    labels : numpy.ndarray
        Site label per cell (0 = none); ``sites.label`` links rows to it.
    totals : dict
        Region, excluded, usable km²; sites, turbines, MW, MWh/yr, capacity factor.
    assumptions : dict
        Every parameter used, flat (for exports).
    supply_curve : DataFrame
        Sites with capacity by LCOE, cheapest first, with cumulative MW and GWh/yr
        (:func:`siting.wind.supply_curve.supply_curve`).
    potentials : dict
        ``technical_mw``, ``below_benchmark_mw``, ``near_grid_mw`` (None without a grid
        layer), ``existing_operating_mw`` (None without power_plants), GWh/yr, the usable
        share of the region and the benchmark and distance they refer to.
    notes : list of str
        What could not be computed and why (a missing layer and how to import it).
    settings : WindAssumptions
        The assumptions object of the run.
    """

    sites: gpd.GeoDataFrame
    turbines: gpd.GeoDataFrame
    exclusion_table: pd.DataFrame
    availability: NDArray
    grid: RasterGrid
    speed_m_s: NDArray
    capacity_factor: NDArray
    labels: NDArray
    totals: dict
    assumptions: dict
    supply_curve: pd.DataFrame = field(default_factory=pd.DataFrame)
    potentials: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    settings: WindAssumptions | None = None
    timings_s: dict = field(default_factory=dict)

    @property
    def transform(self):
        """Affine transform of the arrays."""
        return self.grid.transform

    @property
    def crs(self) -> str:
        """CRS of the arrays (metric)."""
        return self.grid.crs

    def by_county(self) -> pd.DataFrame:
        """Sites, usable km², MW and MWh/yr per county."""
        cols = ["usable_area_km2", "turbines", "capacity_mw", "energy_mwh_per_year"]
        table = pd.DataFrame(self.sites.drop(columns="geometry"))
        out = table.groupby(["county", "county_name"], dropna=False)[cols].sum()
        out.insert(0, "sites", table.groupby(["county", "county_name"], dropna=False).size())
        return out.reset_index().sort_values("energy_mwh_per_year", ascending=False, ignore_index=True)

    def potentials_table(self) -> pd.DataFrame:
        """The headline potentials as rows (``figure, value, unit, meaning``) for screens and exports."""
        p = self.potentials
        a = self.settings or WindAssumptions()
        rows = [
            ("technical potential", p.get("technical_mw"), "MW", "all usable land after the exclusion stack"),
            (
                "below benchmark",
                p.get("below_benchmark_mw"),
                "MW",
                f"sites with LCOE ≤ {a.benchmark_cny_per_kwh:g} CNY/kWh (Hubei coal benchmark)",
            ),
            (
                "near grid",
                p.get("near_grid_mw"),
                "MW",
                f"sites within {a.near_grid_km:g} km of a substation ≥ {a.min_substation_kv:g} kV",
            ),
            ("existing operating", p.get("existing_operating_mw"), "MW", "operating wind farms (power_plants layer)"),
            ("technical generation", p.get("technical_gwh_per_year"), "GWh/yr", "net, after losses"),
            ("usable land", p.get("usable_share_pct"), "% of region", "share of the region left by the exclusions"),
        ]
        return pd.DataFrame(rows, columns=["figure", "value", "unit", "meaning"])

    def to_excel(self, path: str | os.PathLike) -> Path:
        """Write the workbook: supply curve, sites, potentials, exclusions, notes, assumptions.

        Through :func:`layers.export.write_workbook` (text cells never become formulas; no
        server folders in the assumptions or notes).
        """
        from layers.export import assumptions_table, public_text, table_for_export, write_workbook

        sheets = {
            "supply_curve": self.supply_curve,
            "sites": table_for_export(self.sites.drop(columns=["label"], errors="ignore")),
            "potentials": self.potentials_table(),
            "exclusions": self.exclusion_table,
            "notes": pd.DataFrame({"note": [public_text(note) for note in self.notes]}),
            "assumptions": assumptions_table(self.assumptions),
        }
        return write_workbook(path, sheets)

    def write_raster(self, path: str | os.PathLike, *, which: str = "availability") -> Path:
        """Write ``availability``, ``speed_m_s``, ``capacity_factor`` or ``labels`` as GeoTIFF."""
        arrays = {
            "availability": self.availability,
            "speed_m_s": self.speed_m_s,
            "capacity_factor": self.capacity_factor,
            "labels": self.labels,
        }
        if which not in arrays:
            msg = f"unknown raster {which!r}; choose one of {', '.join(arrays)}"
            raise InputError(msg)
        arr = arrays[which]
        nodata = 0 if which == "labels" else float("nan")
        return write_geotiff(
            path,
            arr,
            self.grid,
            nodata=nodata,
            tags={"layer": which, "source": self.assumptions.get("resource_source", "")},
        )


def _open_project(project):
    from layers.project import Project

    if isinstance(project, Project):
        return project
    return Project.open(project)


def _region(project, counties: Sequence[str] | None, crs) -> gpd.GeoDataFrame | None:
    if not project.has("counties"):
        if counties:
            msg = "cannot restrict to counties: the project has no counties layer"
            raise InputError(msg)
        return None
    frame = project.read("counties", columns=["adcode", "name"])
    if counties:
        wanted = [str(c) for c in counties]
        unknown = sorted(set(wanted) - set(frame["adcode"].astype(str)))
        if unknown:
            msg = (
                f"unknown county adcode(s) {', '.join(unknown)}; the project has "
                f"{', '.join(sorted(frame['adcode'].astype(str)))}"
            )
            raise InputError(msg)
        frame = frame[frame["adcode"].astype(str).isin(wanted)]
    frame = frame[~(frame.geometry.is_empty | frame.geometry.isna())].reset_index(drop=True)
    if frame.empty:
        msg = "the counties layer has no geometry to analyse"
        raise InputError(msg)
    return frame.to_crs(crs)


def _build_grid(region: gpd.GeoDataFrame | None, resource_path: Path, crs, resolution_m: float) -> RasterGrid:
    if region is not None:
        bounds = tuple(region.total_bounds)
    else:
        import rasterio

        with rasterio.open(resource_path) as ds:
            require_crs(ds, what=f"wind_resource raster {resource_path.name}", fix="assign one")
            bounds = rasterio.warp.transform_bounds(ds.crs, crs, *ds.bounds, densify_pts=21)
    return RasterGrid.from_bounds(bounds, crs=str(crs), resolution_m=resolution_m)


def _resource_for(project, resource, resource_height_m, units, source):
    if resource is not None:
        path = Path(resource)
        meta = {"height_m": resource_height_m, "units": units, "source": source or "user"}
    else:
        path = project.raster_path("wind_resource")
        meta = project.raster_metadata("wind_resource")
        if resource_height_m is not None:
            meta["height_m"] = resource_height_m
    if meta.get("height_m") is None:
        msg = (
            f"the wind_resource raster {path.name} has no stated height; re-import it with "
            f"its height (e.g. --height 100) or pass resource_height_m"
        )
        raise InputError(msg)
    return path, float(meta["height_m"]), meta.get("units", "m/s"), str(meta.get("source", "user"))


def _layout_points(
    grid: RasterGrid, along_m: float, across_m: float, wind_direction_deg: float
) -> tuple[NDArray, NDArray]:
    """A regular turbine lattice over the grid: rows ``across_m`` apart along the wind axis."""
    minx, miny, maxx, maxy = grid.bounds
    cx, cy = (minx + maxx) / 2.0, (miny + maxy) / 2.0
    radius = math.hypot(maxx - minx, maxy - miny) / 2.0
    theta = math.radians(wind_direction_deg)
    along = np.array([math.sin(theta), math.cos(theta)])  # axis of the prevailing wind
    across = np.array([math.cos(theta), -math.sin(theta)])
    ni = math.ceil(radius / across_m)
    nj = math.ceil(radius / along_m)
    i = np.arange(-ni, ni + 1) * across_m
    j = np.arange(-nj, nj + 1) * along_m
    ii, jj = np.meshgrid(i, j, indexing="ij")
    x = cx + ii.ravel() * across[0] + jj.ravel() * along[0]
    y = cy + ii.ravel() * across[1] + jj.ravel() * along[1]
    return x, y


#: Share of a run done when each step starts (for ``progress``; rough shares of a city-grid run).
_STEP_SHARES = {
    "region": 0.0,
    "resource": 0.1,
    "exclusions": 0.25,
    "energy": 0.6,
    "sites": 0.7,
    "grid": 0.85,
    "done": 1.0,
}


def _resource_key(
    path, grid: RasterGrid, *, height_m, hub_height_m, region_mask, shear_alpha, weibull_k, units, source
):
    k_is_file = not isinstance(weibull_k, (int, float))
    return (
        file_key(path),
        grid.key,
        height_m,
        hub_height_m,
        float(shear_alpha),
        file_key(weibull_k) if k_is_file else float(weibull_k),
        None if region_mask is None else array_key(region_mask),
        units,
        source,
    )


#: Hub-height resources on a grid, remembered per file content, grid, heights, shear, Weibull k
#: and region (a city grid at 100 m: about 14 MB each).
_load_resource_cached = memoize(4, key=_resource_key)(load_resource)


def clear_cache() -> None:
    """Forget every cached hub-height resource grid and exclusion mask."""
    _load_resource_cached.cache_clear()
    clear_mask_cache()


def wind_sites(
    project,
    assumptions: WindAssumptions | None = None,
    *,
    exclusions: Sequence[Rule] | ExclusionStack | None = None,
    grid_layer: gpd.GeoDataFrame | None = None,
    power_plants: gpd.GeoDataFrame | None = None,
    resource: str | os.PathLike | None = None,
    resource_height_m: float | None = None,
    resource_units: str = "m/s",
    resource_source: str | None = None,
    counties: Sequence[str] | None = None,
    crs: str | None = None,
    buffer_method: str = "auto",
    progress: Callable[[float, str], None] | None = None,
    **changes,
) -> WindSitesResult:
    """Usable land for wind, its capacity, yield, grid connection, LCOE and supply curve.

    The reV pattern: an :class:`~siting.wind.exclusions.ExclusionStack` of rules, each an
    inclusion mask, gives the usable fraction of every 100 m cell; contiguous usable land is
    cut into supply-curve points (``max_site_km2``); each site gets MW (capacity density or
    a turbine layout), MWh/yr (power curve over a Weibull distribution, with losses), the
    nearest ≥ 110 kV substation and the connection cost, an LCOE and a place on the supply
    curve; sites overlapping an existing or planned wind farm are marked.

    Parameters
    ----------
    project : layers.project.Project or path
        Needs a ``wind_resource`` raster (or ``resource=``); uses ``counties`` (region and
        county of each site), ``exclusions``, ``rooftops``, ``roads``, ``grid`` and
        ``power_plants`` when present.
    assumptions : WindAssumptions, optional
        Every assumption of the run (defaults and sources: :mod:`siting.wind.assumptions`).
    exclusions : list of rules or ExclusionStack, optional
        Replace the default rule set (:func:`siting.wind.default_exclusions`).
    grid_layer, power_plants : GeoDataFrame, optional
        Use these instead of the project's ``grid`` / ``power_plants`` layers.  Without
        either, the figures that need it are left empty and ``result.notes`` says which
        layer is missing and how to import it.
    resource, resource_height_m, resource_units, resource_source
        Use this GeoTIFF instead of the project's ``wind_resource`` layer (its height must
        then be given).
    counties : list of adcodes, optional
        Restrict the region, e.g. ``["420607", "420683", "420684"]`` (襄州, 枣阳, 宜城).
    crs : str, optional
        Metric CRS of the analysis grid; default UTM 49N (EPSG:32649).
    buffer_method : {"auto", "vector", "edt"}
        How vector buffers are rasterised (see :func:`geo.raster.rasterize_mask`).
    progress : callable, optional
        ``progress(fraction, message)``: the share of the run done (0 to 1) and the step
        starting, called as each step starts (the command line draws it as a bar).
    **changes
        Shorthand for ``assumptions.replace(**changes)``, e.g. ``hub_height_m=140``.

    Returns
    -------
    WindSitesResult
    """
    marks: list[tuple[str, float]] = []

    def step(label: str) -> None:
        marks.append((label, time.perf_counter()))
        if progress is not None:
            progress(_STEP_SHARES[label], label)

    a = WindAssumptions() if assumptions is None else assumptions
    if changes:
        a = a.replace(**changes)
    hub = check_hub_height(a.hub_height_m)
    turb = get_turbine(a.turbine)
    if a.rank_by not in RANK_COLUMNS:
        msg = f"cannot rank by {a.rank_by!r}; choose one of {', '.join(RANK_COLUMNS)}"
        raise InputError(msg)
    along_d, across_d = a.spacing_rotor_diameters
    if a.capacity_density_mw_per_km2 is None and not (1.5 <= across_d <= 20 and 1.5 <= along_d <= 20):
        msg = f"turbine spacing {a.spacing_rotor_diameters!r} rotor diameters must lie in 1.5–20"
        raise InputError(msg)
    project = _open_project(project) if project is not None else None
    if project is None and resource is None:
        msg = "give a project or a resource raster"
        raise InputError(msg)
    metric = pyproj.CRS.from_user_input(crs or XIANGYANG_UTM)
    if not (10.0 <= float(a.resolution_m) <= 1000.0):
        msg = f"grid resolution {a.resolution_m!r} m must lie in 10–1000 m (100 m is the default)"
        raise InputError(msg)

    step("region")
    region = _region(project, counties, metric) if project is not None else None
    path, height_m, units, source = _resource_for(project, resource, resource_height_m, resource_units, resource_source)
    grid = _build_grid(region, path, metric, a.resolution_m)
    if grid.width * grid.height > 60_000_000:
        msg = (
            f"the grid would have {grid.width}×{grid.height} cells; use a coarser "
            f"resolution_m than {a.resolution_m:g} m or restrict counties"
        )
        raise InputError(msg)
    if region is not None:
        codes = burn_values(region.geometry, np.arange(1, len(region) + 1), grid)
        in_region = codes > 0
    else:
        codes = None
        in_region = None

    step("resource")
    wind = _load_resource_cached(
        path,
        grid,
        height_m=height_m,
        hub_height_m=hub,
        region_mask=in_region,
        shear_alpha=a.shear_alpha,
        weibull_k=a.weibull_k,
        units=units,
        source=source,
    )
    if in_region is None:
        in_region = np.isfinite(wind.speed_m_s)
    has_wind = np.isfinite(wind.speed_m_s) & in_region

    step("exclusions")
    if isinstance(exclusions, ExclusionStack):
        stack = exclusions
    else:
        stack = ExclusionStack(list(exclusions) if exclusions is not None else default_exclusions(project, a))
    evaluated = stack.evaluate(
        grid, in_region=in_region, wind=wind, has_wind=has_wind, project=project, method=buffer_method
    )
    availability, table = evaluated.availability, evaluated.table
    area_rule = stack.area_rule
    labels, n_sites = label_components(
        availability > 0, connectivity=area_rule.connectivity if area_rule else a.connectivity
    )
    if a.max_site_km2 is not None:
        min_piece = area_rule.min_area_km2 if area_rule is not None else 0.0
        labels, n_sites, component = _split_large(labels, n_sites, grid, float(a.max_site_km2), min_piece)
    else:
        component = np.arange(1, n_sites + 1)

    step("energy")
    power_kw = mean_power_kw(
        turb,
        np.where(availability > 0, wind.speed_m_s, np.nan),
        wind.weibull_k if np.ndim(wind.weibull_k) == 0 else np.where(availability > 0, wind.weibull_k, np.nan),
        air_density_kg_m3=a.air_density_kg_m3,
    )
    cf = (power_kw * a.losses.factor / turb.rated_kw).astype("float32")  # net capacity factor
    cell_km2 = grid.cell_area_m2 / 1e6

    step("sites")
    turbines_gdf, site_mw, site_mwh, site_n = _capacity(
        grid,
        labels,
        n_sites,
        availability,
        cf,
        wind,
        turb,
        a.capacity_density_mw_per_km2,
        (along_d * turb.rotor_diameter_m, across_d * turb.rotor_diameter_m),
        a.wind_direction_deg,
        cell_km2,
    )
    k_arr = wind.weibull_k if np.ndim(wind.weibull_k) else np.full(grid.shape, wind.weibull_k, dtype="float32")
    stats = zonal_stats(
        labels, n_sites, {"speed": wind.speed_m_s, "k": k_arr, "avail": availability, "cf": cf}, weights=availability
    )
    polys = vectorise_labels(labels, grid, connectivity=a.connectivity)
    sites = gpd.GeoDataFrame(
        {
            "label": np.arange(1, n_sites + 1, dtype="int64"),
            "component": np.asarray(component, dtype="int64"),
            "area_km2": stats["cells"].to_numpy() * cell_km2,
            "usable_area_km2": stats["avail_sum"].to_numpy() * cell_km2,
            "mean_speed_m_s": stats["speed_mean"].to_numpy(),
            "weibull_k": stats["k_mean"].to_numpy(),
            "turbines": site_n,
            "capacity_mw": site_mw,
            "energy_mwh_per_year": site_mwh,
        },
        geometry=gpd.GeoSeries(np.full(n_sites, None, dtype=object), crs=grid.crs),
    )
    if len(polys):
        sites = sites.set_index("label")
        sites.loc[polys["label"].to_numpy(), "geometry"] = polys.geometry.to_numpy()
        sites = sites.reset_index()
    # Capacity factor of the installed capacity; for a site too small for one turbine of the
    # layout, the mean net capacity factor of its cells (what a turbine there would reach).
    with np.errstate(invalid="ignore", divide="ignore"):
        sites["capacity_factor"] = np.where(
            sites["capacity_mw"] > 0,
            sites["energy_mwh_per_year"] / (sites["capacity_mw"] * HOURS_PER_YEAR),
            stats["cf_mean"].to_numpy(),
        )
    sites["full_load_hours"] = sites["capacity_factor"] * HOURS_PER_YEAR
    _county_columns(sites, labels, n_sites, codes, region)
    sites["road_distance_m"] = _road_distance(sites, project)
    sites["resource_source"] = wind.source

    step("grid")
    notes: list[str] = []
    grid_frame = _optional_layer(project, "grid", grid_layer, notes, "substations with voltage_kv")
    if grid_frame is not None:
        conn = grid_connection(sites, grid_frame, a)
        if conn["substation_kv"].isna().all() and len(sites):
            notes.append(
                f"the grid layer has no substation of at least {a.min_substation_kv:g} kV; "
                f"grid-connection costs are left out of the LCOE"
            )
    else:
        conn = pd.DataFrame(np.nan, index=sites.index, columns=list(GRID_COLUMNS))
    for col in GRID_COLUMNS:
        sites[col] = conn[col].to_numpy()
    sites["lcoe_cny_per_kwh"] = lcoe_cny_per_kwh(
        sites["capacity_mw"].to_numpy(),
        sites["energy_mwh_per_year"].to_numpy(),
        connection_cost_cny=sites["connection_cost_cny"].to_numpy(dtype="float64"),
        assumptions=a,
    )
    sites["below_benchmark"] = sites["lcoe_cny_per_kwh"] <= a.benchmark_cny_per_kwh
    plants = _optional_layer(project, "power_plants", power_plants, notes, "existing wind farms (GEM, GPPD)")
    if plants is not None:
        overlap = farm_overlap(sites, plants, a)
        existing = operating_capacity(plants, region)
    else:
        overlap = pd.DataFrame({"wind_farm_status": "", "wind_farm_names": "", "wind_farm_mw": 0.0}, index=sites.index)
        existing = None
    for col in FARM_COLUMNS:
        sites[col] = overlap[col].to_numpy()

    ascending = a.rank_by == "lcoe_cny_per_kwh"
    sites = sites.sort_values(
        [a.rank_by, "usable_area_km2"], ascending=[ascending, False], na_position="last", kind="mergesort"
    ).reset_index(drop=True)
    sites.insert(0, "rank", np.arange(1, len(sites) + 1))
    sites.insert(0, "site_id", [f"W{r:04d}" for r in sites["rank"]])
    sites = sites[[c for c in sites.columns if c != "geometry"] + ["geometry"]].to_crs(WGS84)
    if len(turbines_gdf):
        turbines_gdf = turbines_gdf.merge(sites[["label", "site_id"]], on="label", how="left")
    curve = supply_curve(sites, benchmark_cny_per_kwh=a.benchmark_cny_per_kwh)

    step("done")
    avail_out = np.where(in_region, availability, np.nan).astype("float32")
    speed_out = np.where(in_region, wind.speed_m_s, np.nan).astype("float32")
    totals = _totals(table, sites, grid, in_region, has_wind)
    potentials = _potentials(sites, totals, existing, a, has_grid=grid_frame is not None)
    assumptions_out = {
        **a.to_dict(),
        "hub_height_m": hub,
        "turbine_rated_kw": turb.rated_kw,
        "rotor_diameter_m": turb.rotor_diameter_m,
        "turbine_source": turb.source,
        "resource_file": path.name,
        "resource_height_m": height_m,
        "resource_source": wind.source,
        "grid_crs": grid.crs,
        "resolution_m": grid.resolution_m,
        "capacity_method": "layout" if a.capacity_density_mw_per_km2 is None else "capacity_density",
        "counties": ",".join(counties) if counties else "all",
        "exclusions": stack.describe(),
        "grid_layer": "given" if grid_layer is not None else ("project" if grid_frame is not None else "missing"),
        "power_plants_layer": "given" if power_plants is not None else ("project" if plants is not None else "missing"),
    }
    durations = {m[0]: b[1] - m[1] for m, b in itertools.pairwise(marks)}
    return WindSitesResult(
        sites=sites,
        turbines=turbines_gdf,
        exclusion_table=table,
        availability=avail_out,
        grid=grid,
        speed_m_s=speed_out,
        capacity_factor=np.where(availability > 0, cf, np.nan).astype("float32"),
        labels=labels,
        totals=totals,
        assumptions=assumptions_out,
        supply_curve=curve,
        potentials=potentials,
        notes=notes,
        settings=a,
        timings_s=durations,
    )


def _optional_layer(project, kind: str, given, notes: list[str], what: str):
    """``given``, else the project's layer ``kind``, else None with a note on how to import it."""
    if given is not None:
        return given
    if project is not None:
        try:
            present = project.has(kind)
        except InputError:
            present = False
        if present:
            return project.read(kind)
    where = project.path if project is not None else "DIR"
    notes.append(
        f"the project has no {kind!r} layer ({what}); import one with `xysiting import {where} --layer {kind} FILE`"
    )
    return None


def _potentials(sites, totals: dict, existing: dict | None, a: WindAssumptions, *, has_grid: bool) -> dict:
    """The four headline figures side by side, in MW, plus the usable land share."""
    mw = sites["capacity_mw"].to_numpy(dtype="float64")
    gwh = sites["energy_mwh_per_year"].to_numpy(dtype="float64") / 1000.0
    cheap = sites["below_benchmark"].to_numpy(dtype=bool)
    total_mw = float(mw.sum())
    out = {
        "technical_mw": total_mw,
        "technical_gwh_per_year": float(gwh.sum()),
        "below_benchmark_mw": float(mw[cheap].sum()),
        "below_benchmark_gwh_per_year": float(gwh[cheap].sum()),
        "below_benchmark_share_pct": 100.0 * float(mw[cheap].sum()) / total_mw if total_mw > 0 else float("nan"),
        "benchmark_cny_per_kwh": a.benchmark_cny_per_kwh,
        "near_grid_mw": None,
        "near_grid_km": a.near_grid_km,
        "min_substation_kv": a.min_substation_kv,
        "existing_operating_mw": None,
        "existing_operating_farms": None,
        "existing_placeholder_farms": None,
        "overlapping_farm_sites_mw": float(mw[(sites["wind_farm_status"] != "").to_numpy()].sum()),
        "usable_km2": totals["usable_km2"],
        "region_km2": totals["region_km2"],
        "usable_share_pct": 100.0 * totals["usable_km2"] / totals["region_km2"] if totals["region_km2"] else 0.0,
    }
    if has_grid:
        near = (sites["substation_distance_km"] <= a.near_grid_km).to_numpy(dtype=bool)
        out["near_grid_mw"] = float(mw[near].sum())
    if existing is not None:
        out["existing_operating_mw"] = existing["operating_mw"]
        out["existing_operating_farms"] = existing["farms"]
        out["existing_placeholder_farms"] = existing["placeholder_farms"]
    return out


def _split_large(
    labels: NDArray, n: int, grid: RasterGrid, max_site_km2: float, min_piece_km2: float = 0.0
) -> tuple[NDArray, int, NDArray]:
    """Cut components larger than ``max_site_km2`` along square blocks of that area.

    Returns new labels, their count, and for each new label (1..m) its original component.
    A piece is the part of one component inside one block (it may be in several parts).
    Pieces smaller than ``min_piece_km2`` (slivers at block edges) join the nearest larger
    piece of the same component, so no sliver becomes a site of its own with a whole grid
    connection to pay; a site is then at most ``max_site_km2 + min_piece_km2``.
    """
    cell_km2 = grid.cell_area_m2 / 1e6
    sizes = component_sizes(labels, n)
    big = sizes > max_site_km2 / cell_km2
    big[0] = False
    if not big.any():
        return labels, n, np.arange(1, n + 1)
    side = max(1, round(math.sqrt(max_site_km2 / cell_km2)))
    nbx = -(-grid.width // side)
    nblocks = nbx * (-(-grid.height // side))
    block = ((np.arange(grid.height) // side)[:, None] * nbx + (np.arange(grid.width) // side)[None, :]).astype("int64")
    nz = labels > 0
    lab = labels[nz].astype("int64")
    key = np.where(big[lab], n + 1 + lab * nblocks + block[nz], lab)
    uniq, inverse = np.unique(key, return_inverse=True)  # only the usable cells are sorted
    new = np.zeros(labels.shape, dtype="int32")
    new[nz] = inverse.astype("int32") + 1
    uniq = np.concatenate([[0], uniq])  # label 0 is the background
    component = np.where(uniq > n, (uniq - n - 1) // nblocks, uniq)
    min_cells = min_piece_km2 / cell_km2
    sizes = np.bincount(new.ravel(), minlength=uniq.size)
    small = sizes < min_cells
    small[0] = False
    keep = (new > 0) & ~small[new]
    if small.any() and keep.any():
        from scipy import ndimage

        _, (ri, ci) = ndimage.distance_transform_edt(~keep, return_indices=True)
        target = new[ri, ci]  # nearest cell of a piece that is large enough
        move = small[new] & (component[target] == component[new])
        new = np.where(move, target, new)
        # Slivers whose nearest large piece belongs to another component join the largest
        # piece of their own component.
        sizes = np.bincount(new.ravel(), minlength=uniq.size)
        largest = pd.Series(sizes[1:]).groupby(component[1:]).idxmax() + 1  # component -> label
        big_of = np.zeros(component.max() + 1, dtype="int64")
        big_of[largest.index.to_numpy()] = largest.to_numpy()
        left = small[new] & (new > 0) & (sizes[big_of[component[new]]] >= min_cells)
        new = np.where(left, big_of[component[new]], new)
        present = np.bincount(new.ravel(), minlength=uniq.size) > 0
        present[0] = True
        remap = (np.cumsum(present) - 1).astype("int32")  # dense labels, 0 stays 0
        new = remap[new]
        component = component[present]
    return new, int(new.max()), component[1:]


def _capacity(grid, labels, n_sites, availability, cf, wind, turb, density, spacing_m, wind_direction_deg, cell_km2):
    """MW, MWh/yr and turbine count per site (layout or power density) and turbine points."""
    mwh_per_mw = np.nan_to_num(cf.astype("float64")) * HOURS_PER_YEAR  # full-load hours per cell
    if density is not None:
        mw_cell = density * cell_km2 * availability.astype("float64")
        flat = labels.ravel()
        sel = flat > 0
        site_mw = np.bincount(flat[sel], weights=mw_cell.ravel()[sel], minlength=n_sites + 1)[1:]
        site_mwh = np.bincount(flat[sel], weights=(mw_cell * mwh_per_mw).ravel()[sel], minlength=n_sites + 1)[1:]
        empty = gpd.GeoDataFrame({"label": pd.Series(dtype="int64")}, geometry=[], crs=WGS84)
        return empty, site_mw, site_mwh, np.zeros(n_sites, dtype="int64")
    along_m, across_m = spacing_m
    x, y = _layout_points(grid, along_m, across_m, wind_direction_deg)
    row, col, inside = grid.rowcol(x, y)
    x, y, row, col = x[inside], y[inside], row[inside], col[inside]
    lab = labels[row, col]
    keep = lab > 0
    x, y, row, col, lab = x[keep], y[keep], row[keep], col[keep], lab[keep]
    rated_mw = turb.rated_kw / 1000.0
    mwh = rated_mw * mwh_per_mw[row, col]
    site_n = np.bincount(lab, minlength=n_sites + 1)[1:]
    site_mwh = np.bincount(lab, weights=mwh, minlength=n_sites + 1)[1:]
    points = gpd.GeoDataFrame(
        {
            "label": lab.astype("int64"),
            "turbine": turb.name,
            "capacity_mw": rated_mw,
            "mean_speed_m_s": wind.speed_m_s[row, col].astype("float64"),
            "capacity_factor": cf[row, col].astype("float64"),
            "energy_mwh_per_year": mwh,
        },
        geometry=gpd.points_from_xy(x, y),
        crs=grid.crs,
    ).to_crs(WGS84)
    return points, site_n * rated_mw, site_mwh, site_n.astype("int64")


def _county_columns(sites, labels, n_sites, codes, region) -> None:
    from layers.schema import COUNTIES

    if codes is None or region is None or n_sites == 0:
        sites["county"] = None
        sites["county_name"] = None
        return
    best = majority(labels, n_sites, codes, len(region))
    adcodes = np.asarray([None, *region["adcode"].astype(str).tolist()], dtype=object)
    names = np.asarray([None, *region["name"].astype(str).tolist()], dtype=object)
    label_idx = sites["label"].to_numpy() - 1
    sites["county"] = adcodes[best[label_idx]]
    fallback = names[best[label_idx]]
    sites["county_name"] = [
        COUNTIES.get(c, (n,))[0] if c else None for c, n in zip(sites["county"], fallback, strict=True)
    ]


def _road_distance(sites: gpd.GeoDataFrame, project) -> NDArray:
    """Distance (m) from each site polygon to the nearest road (``roads`` layer, else road
    features of ``exclusions``); NaN when the project has neither."""
    out = np.full(len(sites), np.nan)
    if project is None or len(sites) == 0:
        return out
    if project.has("roads"):
        roads = project.read("roads", columns=["highway"])
    elif project.has("exclusions"):  # no road network: fall back to road exclusion features
        roads = project.read("exclusions", columns=["exclusion_kind"], where="exclusion_kind = 'road'")
    else:
        return out
    roads = roads[~(roads.geometry.is_empty | roads.geometry.isna())]
    if roads.empty:
        return out
    geoms = sites.geometry.to_numpy()
    ok = ~shapely.is_missing(geoms)
    road_geoms = roads.to_crs(sites.crs).geometry.to_numpy()
    tree = shapely.STRtree(road_geoms)
    idx, dist = tree.query_nearest(geoms[ok], return_distance=True, all_matches=False)
    vals = np.full(ok.sum(), np.nan)
    vals[idx[0]] = dist
    out[ok] = vals
    return out


def _totals(table, sites, grid, in_region, has_wind) -> dict:
    cell_km2 = grid.cell_area_m2 / 1e6
    cap = float(sites["capacity_mw"].sum()) if len(sites) else 0.0
    energy = float(sites["energy_mwh_per_year"].sum()) if len(sites) else 0.0
    avail_row = table[table["layer"] == "available"]
    return {
        "region_km2": float(in_region.sum()) * cell_km2,
        "wind_data_km2": float(has_wind.sum()) * cell_km2,
        "usable_km2": float(avail_row["available_km2"].iloc[0]) if len(avail_row) else 0.0,
        "sites": len(sites),
        "turbines": int(sites["turbines"].sum()) if len(sites) else 0,
        "capacity_mw": cap,
        "energy_mwh_per_year": energy,
        "capacity_factor": energy / (cap * HOURS_PER_YEAR) if cap > 0 else float("nan"),
        "full_load_hours": energy / cap if cap > 0 else float("nan"),
    }
