"""Wind siting end to end: resource + exclusions → availability → candidate sites, MW, MWh/yr.

:func:`wind_sites` is the public entry point used by the dashboard and ``xysiting wind``.
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

from geo.crs import WGS84, XIANGYANG_UTM
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
from siting.wind import _cache
from siting.wind.energy import HOURS_PER_YEAR, Losses, mean_power_kw
from siting.wind.exclusions import (
    MinContiguousArea,
    MinWindSpeed,
    RasterExclusion,
    Rule,
    SlopeExclusion,
    VectorExclusion,
    _check_rules,
    default_exclusions,
    raster_inclusion,
    slope_inclusion,
    vector_inclusion,
)
from siting.wind.resource import (
    DEFAULT_SHEAR_ALPHA,
    DEFAULT_WEIBULL_K,
    WindResource,
    check_hub_height,
    load_resource,
)
from siting.wind.turbines import DEFAULT_TURBINE, Turbine, get_turbine

DEFAULT_SPACING_ROTOR_DIAMETERS = (7.0, 4.0)  # along × across the prevailing wind (assumption)
RANK_COLUMNS = ("energy_mwh_per_year", "capacity_mw", "capacity_factor", "mean_speed_m_s", "usable_area_km2")


@dataclass
class WindSitesResult:
    """What :func:`wind_sites` returns.

    Attributes
    ----------
    sites : GeoDataFrame
        Candidate sites (EPSG:4326), ranked: ``site_id, rank, label, component, county, county_name,
        area_km2, usable_area_km2, mean_speed_m_s, weibull_k, turbines, capacity_mw,
        energy_mwh_per_year, capacity_factor, full_load_hours, road_distance_m,
        resource_source`` and the polygon.
    turbines : GeoDataFrame
        Turbine positions of the layout (EPSG:4326; empty in power-density mode).
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
        Every parameter used (for exports).
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
            if ds.crs is None:
                msg = f"wind_resource raster {resource_path.name} has no CRS; assign one"
                raise InputError(msg)
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


def wind_sites(
    project,
    *,
    hub_height_m: float = 120.0,
    turbine: str | Turbine = DEFAULT_TURBINE,
    exclusions: Sequence[Rule] | None = None,
    buffers_m: dict[str, float] | None = None,
    min_speed_m_s: float | None = 5.0,
    min_area_km2: float | None = 1.0,
    dem_path: str | os.PathLike | None = None,
    max_slope_deg: float = 15.0,
    shear_alpha: float = DEFAULT_SHEAR_ALPHA,
    weibull_k: float | str | os.PathLike = DEFAULT_WEIBULL_K,
    resource: str | os.PathLike | None = None,
    resource_height_m: float | None = None,
    resource_units: str = "m/s",
    resource_source: str | None = None,
    counties: Sequence[str] | None = None,
    crs: str | None = None,
    resolution_m: float = 100.0,
    power_density_mw_per_km2: float | None = None,
    spacing_rotor_diameters: tuple[float, float] = DEFAULT_SPACING_ROTOR_DIAMETERS,
    wind_direction_deg: float = 0.0,
    losses: Losses | None = None,
    air_density_kg_m3: float | None = None,
    connectivity: int = 8,
    rank_by: str = "energy_mwh_per_year",
    max_site_km2: float | None = None,
    buffer_method: str = "auto",
    progress: Callable[[str], None] | None = None,
) -> WindSitesResult:
    """Find usable land for wind, its capacity and its yield, as ranked candidate sites.

    Parameters
    ----------
    project : layers.project.Project or path
        Needs a ``wind_resource`` raster (or ``resource=``); uses ``counties`` (region and
        county of each site), ``exclusions``, ``rooftops``, ``roads`` when present.
    hub_height_m : float
        Hub height, 30–250 m.
    turbine : str or Turbine
        A shipped class (:func:`siting.wind.turbine_table`) or a custom Turbine.
    exclusions : list of rules, optional
        The exclusion layers; default :func:`siting.wind.default_exclusions` built from the
        project with ``buffers_m``, ``min_speed_m_s``, ``min_area_km2``, ``dem_path`` and
        ``max_slope_deg``.  Pass a list to take full control.
    shear_alpha : float
        Power-law shear exponent from the raster's height to hub height.
    weibull_k : float or path
        Weibull shape: constant or raster.
    resource, resource_height_m, resource_units, resource_source
        Use this GeoTIFF instead of the project's ``wind_resource`` layer (its height must
        then be given).
    counties : list of adcodes, optional
        Restrict the region, e.g. ``["420607", "420683", "420684"]`` (襄州, 枣阳, 宜城).
    crs : str, optional
        Metric CRS of the analysis grid; default UTM 49N (EPSG:32649).
    resolution_m : float
        Grid cell size, m (100 m by default).
    power_density_mw_per_km2 : float, optional
        If given, capacity = density × usable km²; otherwise turbines are laid out on a
        lattice ``spacing_rotor_diameters`` (along, across the wind) × rotor diameter,
        rotated to ``wind_direction_deg`` (direction of the prevailing wind, ° from north).
    losses : Losses, optional
        Wake, availability, electrical, other losses (default :class:`Losses`).
    air_density_kg_m3 : float, optional
        Site air density for the power curve; None = standard air.
    connectivity : {4, 8}
        Cell connectivity of sites.
    rank_by : str
        Column to rank sites by (descending): one of :data:`RANK_COLUMNS`.
    max_site_km2 : float, optional
        Cut contiguous areas larger than this into square blocks of this area, so a large
        plateau becomes several candidate sites (``component`` keeps the contiguous area
        each came from).  None: one site per contiguous area.
    buffer_method : {"auto", "vector", "edt"}
        How vector buffers are rasterised (see :func:`geo.raster.rasterize_mask`).
    progress : callable, optional
        Called with a short label as each step starts.

    Returns
    -------
    WindSitesResult
    """
    marks: list[tuple[str, float]] = []

    def step(label: str) -> None:
        marks.append((label, time.perf_counter()))
        if progress is not None:
            progress(label)

    hub = check_hub_height(hub_height_m)
    turb = get_turbine(turbine)
    losses = Losses() if losses is None else losses
    if rank_by not in RANK_COLUMNS:
        msg = f"cannot rank by {rank_by!r}; choose one of {', '.join(RANK_COLUMNS)}"
        raise InputError(msg)
    if max_site_km2 is not None and not (max_site_km2 > 0):
        msg = f"max_site_km2 {max_site_km2!r} must be a positive area in km²"
        raise InputError(msg)
    if power_density_mw_per_km2 is not None and not (0 < power_density_mw_per_km2 <= 50):
        msg = f"power density {power_density_mw_per_km2!r} MW/km² must lie in (0, 50]"
        raise InputError(msg)
    along_d, across_d = (float(s) for s in spacing_rotor_diameters)
    if power_density_mw_per_km2 is None and not (1.5 <= across_d <= 20 and 1.5 <= along_d <= 20):
        msg = f"turbine spacing {spacing_rotor_diameters!r} rotor diameters must lie in 1.5–20"
        raise InputError(msg)
    project = _open_project(project) if project is not None else None
    if project is None and resource is None:
        msg = "give a project or a resource raster"
        raise InputError(msg)
    metric = pyproj.CRS.from_user_input(crs or XIANGYANG_UTM)
    if not (10.0 <= float(resolution_m) <= 1000.0):
        msg = f"grid resolution {resolution_m!r} m must lie in 10–1000 m (100 m is the default)"
        raise InputError(msg)

    step("region")
    region = _region(project, counties, metric) if project is not None else None
    path, height_m, units, source = _resource_for(project, resource, resource_height_m, resource_units, resource_source)
    grid = _build_grid(region, path, metric, resolution_m)
    if grid.width * grid.height > 60_000_000:
        msg = (
            f"the grid would have {grid.width}×{grid.height} cells; use a coarser "
            f"resolution_m than {resolution_m:g} m or restrict counties"
        )
        raise InputError(msg)
    if region is not None:
        codes = burn_values(region.geometry, np.arange(1, len(region) + 1), grid)
        in_region = codes > 0
    else:
        codes = None
        in_region = None

    step("resource")
    res_key = (
        "resource",
        _cache.file_key(path),
        grid.key,
        height_m,
        hub,
        float(shear_alpha),
        str(weibull_k) if not isinstance(weibull_k, (int, float)) else float(weibull_k),
        _cache.file_key(weibull_k) if not isinstance(weibull_k, (int, float)) else None,
        None if in_region is None else _cache.array_key(in_region),
    )
    wind = _cache.RESOURCES.get(res_key)
    if wind is None:
        wind = load_resource(
            path,
            grid,
            height_m=height_m,
            hub_height_m=hub,
            region_mask=in_region,
            shear_alpha=shear_alpha,
            weibull_k=weibull_k,
            units=units,
            source=source,
        )
        _cache.RESOURCES.put(res_key, wind)
    if in_region is None:
        in_region = np.isfinite(wind.speed_m_s)
    has_wind = np.isfinite(wind.speed_m_s) & in_region

    step("exclusions")
    if exclusions is not None:
        rules = list(exclusions)
    elif project is not None:
        rules = default_exclusions(
            project,
            buffers_m=buffers_m,
            min_speed_m_s=min_speed_m_s,
            min_area_km2=min_area_km2,
            dem_path=dem_path,
            max_slope_deg=max_slope_deg,
            connectivity=connectivity,
        )
    else:
        rules = []
        if dem_path is not None:
            rules.append(SlopeExclusion(dem_path, max_slope_deg=max_slope_deg))
        if min_speed_m_s is not None:
            rules.append(MinWindSpeed(float(min_speed_m_s)))
        if min_area_km2:
            rules.append(MinContiguousArea(float(min_area_km2), connectivity=connectivity))
    _check_rules(rules)
    availability, table, labels, n_sites = _apply_rules(
        rules, grid, wind, in_region, has_wind, project, buffer_method, connectivity
    )
    if max_site_km2 is not None:
        labels, n_sites, component = _split_large(labels, n_sites, grid, float(max_site_km2))
    else:
        component = np.arange(1, n_sites + 1)

    step("energy")
    power_kw = mean_power_kw(
        turb,
        np.where(availability > 0, wind.speed_m_s, np.nan),
        wind.weibull_k if np.ndim(wind.weibull_k) == 0 else np.where(availability > 0, wind.weibull_k, np.nan),
        air_density_kg_m3=air_density_kg_m3,
    )
    cf = (power_kw * losses.factor / turb.rated_kw).astype("float32")  # net capacity factor
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
        power_density_mw_per_km2,
        (along_d * turb.rotor_diameter_m, across_d * turb.rotor_diameter_m),
        wind_direction_deg,
        cell_km2,
    )
    k_arr = wind.weibull_k if np.ndim(wind.weibull_k) else np.full(grid.shape, wind.weibull_k, dtype="float32")
    stats = zonal_stats(
        labels, n_sites, {"speed": wind.speed_m_s, "k": k_arr, "avail": availability, "cf": cf}, weights=availability
    )
    polys = vectorise_labels(labels, grid, connectivity=connectivity)
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
    # Capacity factor of the installed turbines; for a site too small for one turbine of the
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
    sites = sites.sort_values([rank_by, "usable_area_km2"], ascending=False, na_position="last").reset_index(drop=True)
    sites.insert(0, "rank", np.arange(1, len(sites) + 1))
    sites.insert(0, "site_id", [f"W{r:04d}" for r in sites["rank"]])
    sites = sites[[c for c in sites.columns if c != "geometry"] + ["geometry"]].to_crs(WGS84)
    if len(turbines_gdf):
        turbines_gdf = turbines_gdf.merge(sites[["label", "site_id"]], on="label", how="left")

    step("done")
    avail_out = np.where(in_region, availability, np.nan).astype("float32")
    speed_out = np.where(in_region, wind.speed_m_s, np.nan).astype("float32")
    totals = _totals(table, sites, turbines_gdf, grid, in_region, has_wind)
    assumptions = {
        "hub_height_m": hub,
        "turbine": turb.name,
        "turbine_rated_kw": turb.rated_kw,
        "rotor_diameter_m": turb.rotor_diameter_m,
        "turbine_source": turb.source,
        "resource_file": path.name,
        "resource_height_m": height_m,
        "resource_source": wind.source,
        "shear_alpha": shear_alpha,
        "weibull_k": weibull_k if isinstance(weibull_k, (int, float)) else Path(weibull_k).name,
        "grid_crs": grid.crs,
        "resolution_m": grid.resolution_m,
        "capacity_method": "power_density" if power_density_mw_per_km2 else "layout",
        "power_density_mw_per_km2": power_density_mw_per_km2,
        "spacing_rotor_diameters": f"{along_d:g} x {across_d:g}",
        "wind_direction_deg": wind_direction_deg,
        "loss_wake": losses.wake,
        "loss_availability": losses.availability,
        "loss_electrical": losses.electrical,
        "loss_other": losses.other,
        "loss_total": round(losses.total, 4),
        "air_density_kg_m3": air_density_kg_m3,
        "connectivity": connectivity,
        "rank_by": rank_by,
        "max_site_km2": max_site_km2,
        "counties": ",".join(counties) if counties else "all",
        "exclusions": "; ".join(f"{r.name}: {r.describe()}" for r in rules),
    }
    durations = {a[0]: b[1] - a[1] for a, b in itertools.pairwise(marks)}
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
        assumptions=assumptions,
        timings_s=durations,
    )


def _apply_rules(rules, grid, wind: WindResource, in_region, has_wind, project, buffer_method, connectivity):
    """Evaluate rules in order; return availability, the exclusion table, site labels."""
    cell_km2 = grid.cell_area_m2 / 1e6
    region_km2 = float(in_region.sum()) * cell_km2
    rows = []
    inclusions: list[tuple[Rule, NDArray]] = []
    area_rules = [r for r in rules if isinstance(r, MinContiguousArea)]
    if len(area_rules) > 1:
        msg = "give at most one minimum contiguous area rule"
        raise InputError(msg)
    nodata = in_region & ~has_wind
    if nodata.any():
        inclusions.append((None, (~nodata).astype("float32")))
    for rule in rules:
        if isinstance(rule, MinContiguousArea):
            continue
        if isinstance(rule, VectorExclusion):
            inc = ~vector_inclusion(rule, grid, project=project, method=buffer_method)
        elif isinstance(rule, RasterExclusion):
            inc = raster_inclusion(rule, grid)
        elif isinstance(rule, SlopeExclusion):
            inc = ~slope_inclusion(rule, grid)
        else:  # MinWindSpeed
            with np.errstate(invalid="ignore"):
                inc = ~(wind.speed_m_s < rule.min_speed_m_s)
        inclusions.append((rule, inc.astype("float32", copy=False)))
    availability = np.where(in_region, 1.0, 0.0).astype("float32")
    excl_any = np.zeros(grid.shape, dtype="uint16")  # how many layers exclude each cell
    for _, inc in inclusions:
        excl_any += (inc < 1) & in_region
    for rule, inc in inclusions:
        excluded_alone = np.where(in_region, 1.0 - inc, 0.0)
        before = availability.copy()
        np.minimum(availability, inc, out=availability)
        marginal = before - availability
        only = excluded_alone * ((excl_any == 1) & (inc < 1))
        rows.append(
            {
                "layer": "no wind data" if rule is None else rule.name,
                "reason": "the wind raster has no value here" if rule is None else rule.reason,
                "rule": "" if rule is None else rule.describe(),
                "excluded_km2": float(excluded_alone.sum()) * cell_km2,
                "excluded_only_by_this_km2": float(only.sum()) * cell_km2,
                "excluded_in_order_km2": float(marginal.sum()) * cell_km2,
            }
        )
    usable = availability > 0
    labels, n = label_components(usable, connectivity=area_rules[0].connectivity if area_rules else connectivity)
    if area_rules:
        rule = area_rules[0]
        sizes = component_sizes(labels, n)
        min_cells = rule.min_area_km2 / cell_km2
        small = sizes < min_cells
        small[0] = False
        drop = small[labels]
        dropped_km2 = float(availability[drop].sum()) * cell_km2
        availability[drop] = 0.0
        rows.append(
            {
                "layer": rule.name,
                "reason": rule.reason,
                "rule": rule.describe(),
                "excluded_km2": dropped_km2,
                "excluded_only_by_this_km2": dropped_km2,
                "excluded_in_order_km2": dropped_km2,
            }
        )
        labels, n = label_components(availability > 0, connectivity=rule.connectivity)
    usable_km2 = float(availability[in_region].sum()) * cell_km2
    rows.append(
        {
            "layer": "available",
            "reason": "usable for wind after all exclusions",
            "rule": "",
            "excluded_km2": np.nan,
            "excluded_only_by_this_km2": np.nan,
            "excluded_in_order_km2": np.nan,
            "available_km2": usable_km2,
        }
    )
    table = pd.DataFrame(rows)
    table["share_of_region_pct"] = (
        100.0
        * table["excluded_km2"].fillna(table.get("available_km2", pd.Series(np.nan, index=table.index)))
        / max(region_km2, 1e-12)
    )
    table["region_km2"] = region_km2
    return availability, table, labels, n


def _split_large(labels: NDArray, n: int, grid: RasterGrid, max_site_km2: float) -> tuple[NDArray, int, NDArray]:
    """Cut components larger than ``max_site_km2`` along square blocks of that area.

    Returns new labels, their count, and for each new label (1..m) its original component.
    A piece is the part of one component inside one block (it may be in several parts).
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
    lab = labels.astype("int64")
    key = np.where(big[labels], n + 1 + lab * nblocks + block, lab)
    key[labels == 0] = 0
    uniq, inverse = np.unique(key, return_inverse=True)
    new = inverse.reshape(labels.shape).astype("int32")  # uniq[0] == 0 (background)
    component = np.where(uniq > n, (uniq - n - 1) // nblocks, uniq)[1:]
    return new, int(uniq.size - 1), component


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


def _totals(table, sites, turbines, grid, in_region, has_wind) -> dict:
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
