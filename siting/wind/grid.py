"""Grid connection of wind sites: nearest eligible substation and connection cost by voltage class.

The ``grid`` layer holds substations (points or polygons) with ``voltage_kv`` (the highest
voltage, kV) and ``grid_kind`` (``substation`` or ``line``).  A site connects at the voltage
its size calls for (:class:`siting.wind.assumptions.ConnectionClass`) to the nearest
substation of at least that voltage and at least ``min_substation_kv``; the cost is the line
(route = straight distance × ``line_route_factor``) plus the bay at the substation.
Distances are measured in EPSG:32649 between the site polygon and the substation geometry.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import XIANGYANG_UTM, require_crs
from geo.errors import InputError
from siting.wind.assumptions import WindAssumptions

GRID_COLUMNS = (
    "substation_id",
    "substation_name",
    "substation_kv",
    "substation_distance_km",
    "connection_kv",
    "connection_cost_cny",
    "connection_cost_cny_per_kw",
)


def substations(grid: gpd.GeoDataFrame, *, min_kv: float) -> gpd.GeoDataFrame:
    """Substations of ``grid`` of at least ``min_kv`` (EPSG:32649), with ``voltage_kv`` as float.

    Rows whose ``grid_kind`` is not ``substation`` (lines) and rows without a voltage are
    left out.  Raises InputError when a required column is missing.
    """
    if not isinstance(grid, gpd.GeoDataFrame):
        msg = "grid layer must be a GeoDataFrame"
        raise InputError(msg)
    require_crs(grid, what="grid layer", fix="set one (EPSG:4326 at rest)")
    if "voltage_kv" not in grid.columns:
        msg = "grid layer has no 'voltage_kv' column; re-import it (`xysiting import DIR --layer grid FILE`)"
        raise InputError(msg)
    frame = grid
    if "grid_kind" in frame.columns:
        frame = frame[frame["grid_kind"].fillna("substation").astype(str) == "substation"]
    kv = pd.to_numeric(frame["voltage_kv"], errors="coerce")
    frame = frame[(kv >= min_kv).to_numpy() & ~(frame.geometry.isna() | frame.geometry.is_empty).to_numpy()]
    out = frame.to_crs(XIANGYANG_UTM).reset_index(drop=True)
    out["voltage_kv"] = pd.to_numeric(out["voltage_kv"], errors="coerce").astype("float64")
    for col in ("id", "name"):
        if col not in out.columns:
            out[col] = None
    return out


def connection_class_index(capacity_mw: np.ndarray, assumptions: WindAssumptions) -> np.ndarray:
    """Index into ``assumptions.connection_classes`` of each site's connection voltage class."""
    limits = np.asarray([c.max_site_mw for c in assumptions.connection_classes], dtype="float64")
    cap = np.nan_to_num(np.asarray(capacity_mw, dtype="float64"), nan=0.0)
    return np.minimum(np.searchsorted(limits, cap, side="left"), len(limits) - 1)


def grid_connection(
    sites: gpd.GeoDataFrame, grid: gpd.GeoDataFrame, assumptions: WindAssumptions | None = None
) -> pd.DataFrame:
    """Nearest eligible substation and grid-connection cost of each site.

    Parameters
    ----------
    sites : GeoDataFrame
        Site polygons (any CRS) with ``capacity_mw``.
    grid : GeoDataFrame
        The ``grid`` layer (substations with ``voltage_kv``).
    assumptions : WindAssumptions, optional
        ``min_substation_kv``, ``connection_classes`` and ``line_route_factor``.

    Returns
    -------
    DataFrame
        Indexed like ``sites``: :data:`GRID_COLUMNS` — the substation's id, name and
        voltage (kV), straight distance (km), connection voltage (kV), cost (CNY) and cost
        per kW of the site (NaN when the site has no capacity or no substation qualifies).
    """
    a = WindAssumptions() if assumptions is None else assumptions
    out = pd.DataFrame(index=sites.index, columns=list(GRID_COLUMNS), dtype="float64")
    out["substation_id"] = pd.Series(None, index=sites.index, dtype=object)
    out["substation_name"] = pd.Series(None, index=sites.index, dtype=object)
    if len(sites) == 0:
        return out
    subs = substations(grid, min_kv=a.min_substation_kv)
    geoms = sites.to_crs(XIANGYANG_UTM).geometry.to_numpy()
    ok = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    cls = connection_class_index(sites["capacity_mw"].to_numpy(), a)
    line_cost = np.asarray([c.line_cost_cny_per_km for c in a.connection_classes])
    bay_cost = np.asarray([c.bay_cost_cny for c in a.connection_classes])
    volts = np.asarray([c.voltage_kv for c in a.connection_classes])
    sub_kv = subs["voltage_kv"].to_numpy()
    sub_geoms = subs.geometry.to_numpy()
    for k in np.unique(cls[ok]):
        rows = np.flatnonzero(ok & (cls == k))
        eligible = np.flatnonzero(sub_kv >= max(volts[k], a.min_substation_kv))
        if eligible.size == 0:
            continue
        tree = shapely.STRtree(sub_geoms[eligible])
        (src, dst), dist_m = tree.query_nearest(geoms[rows], return_distance=True, all_matches=False)
        site_rows = rows[src]
        sub_rows = eligible[dst]
        idx = sites.index[site_rows]
        km = dist_m / 1000.0
        cost = km * a.line_route_factor * line_cost[k] + bay_cost[k]
        out.loc[idx, "substation_id"] = subs["id"].to_numpy()[sub_rows]
        out.loc[idx, "substation_name"] = subs["name"].to_numpy()[sub_rows]
        out.loc[idx, "substation_kv"] = sub_kv[sub_rows]
        out.loc[idx, "substation_distance_km"] = km
        out.loc[idx, "connection_kv"] = volts[k]
        out.loc[idx, "connection_cost_cny"] = cost
    cap_kw = sites["capacity_mw"].to_numpy(dtype="float64") * 1000.0
    with np.errstate(invalid="ignore", divide="ignore"):
        out["connection_cost_cny_per_kw"] = np.where(cap_kw > 0, out["connection_cost_cny"].to_numpy() / cap_kw, np.nan)
    return out


__all__ = ["GRID_COLUMNS", "connection_class_index", "grid_connection", "substations"]
