"""Existing and planned wind farms (``power_plants`` layer) against candidate sites.

GEM and GPPD give a wind farm as a point; its footprint is taken as a circle of the area the
farm's capacity needs at the run's capacity density (``capacity_mw /
capacity_density_mw_per_km2``, at least 1 km radius).  Polygons are used as drawn.  Rows
whose ``location_accuracy`` says ``placeholder`` (GEM puts unlocated phases on the city
centre) are not placed on the map, but their capacity counts in the operating total.
All measuring is in EPSG:32649.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import XIANGYANG_UTM, require_crs
from geo.errors import InputError
from siting.wind.assumptions import WindAssumptions

#: Order of statuses from most to least advanced (the site reports the most advanced).
STATUS_ORDER = ("operating", "construction", "pre-construction", "announced", "shelved", "retired")
MIN_FOOTPRINT_RADIUS_M = 1000.0
#: Footprint density when the run lays turbines out instead of using a density (NREL 3 MW/km²).
FALLBACK_DENSITY_MW_PER_KM2 = 3.0
FARM_COLUMNS = ("wind_farm_status", "wind_farm_names", "wind_farm_mw")


def wind_plants(power_plants: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The wind rows of a ``power_plants`` layer, checked (InputError naming a missing column)."""
    if not isinstance(power_plants, gpd.GeoDataFrame):
        msg = "power_plants layer must be a GeoDataFrame"
        raise InputError(msg)
    require_crs(power_plants, what="power_plants layer", fix="set one (EPSG:4326 at rest)")
    missing = [c for c in ("technology", "capacity_mw", "status") if c not in power_plants.columns]
    if missing:
        msg = (
            f"power_plants layer lacks column(s) {', '.join(missing)}; re-import it "
            f"(`xysiting import DIR --layer power_plants FILE`)"
        )
        raise InputError(msg)
    frame = power_plants[power_plants["technology"].astype(str).str.lower() == "wind"].copy()
    frame["capacity_mw"] = pd.to_numeric(frame["capacity_mw"], errors="coerce").fillna(0.0)
    frame["status"] = frame["status"].astype(str).str.lower()
    if "name" not in frame.columns:
        frame["name"] = None
    return frame


def _is_placeholder(frame: pd.DataFrame) -> np.ndarray:
    if "location_accuracy" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame["location_accuracy"].astype(str).str.lower().str.contains("placeholder", na=False).to_numpy()


def farm_footprints(plants: gpd.GeoDataFrame, assumptions: WindAssumptions | None = None) -> gpd.GeoDataFrame:
    """Wind farms as polygons in EPSG:32649 (points grown to their capacity's area)."""
    a = WindAssumptions() if assumptions is None else assumptions
    density = a.capacity_density_mw_per_km2 or FALLBACK_DENSITY_MW_PER_KM2
    farms = wind_plants(plants)
    farms = farms[~_is_placeholder(farms) & ~(farms.geometry.isna() | farms.geometry.is_empty).to_numpy()]
    farms = farms.to_crs(XIANGYANG_UTM).reset_index(drop=True)
    geoms = farms.geometry.to_numpy()
    radius = np.maximum(np.sqrt(farms["capacity_mw"].to_numpy() / density * 1e6 / np.pi), MIN_FOOTPRINT_RADIUS_M)
    is_point = shapely.get_type_id(geoms) == 0
    geoms = np.where(is_point, shapely.buffer(geoms, radius, quad_segs=16), geoms)
    return farms.set_geometry(gpd.GeoSeries(geoms, crs=XIANGYANG_UTM, index=farms.index))


def farm_overlap(
    sites: gpd.GeoDataFrame, power_plants: gpd.GeoDataFrame, assumptions: WindAssumptions | None = None
) -> pd.DataFrame:
    """Which sites overlap an existing or planned wind farm.

    Returns
    -------
    DataFrame
        Indexed like ``sites``: ``wind_farm_status`` (the most advanced status among the
        overlapping farms whose status is in ``assumptions.farm_statuses``, or ``""``),
        ``wind_farm_names`` (``"; "``-joined) and ``wind_farm_mw`` (their capacity, MW).
    """
    a = WindAssumptions() if assumptions is None else assumptions
    out = pd.DataFrame(
        {"wind_farm_status": "", "wind_farm_names": "", "wind_farm_mw": 0.0},
        index=sites.index,
    )
    if len(sites) == 0:
        return out
    farms = farm_footprints(power_plants, a)
    farms = farms[farms["status"].isin(a.farm_statuses)].reset_index(drop=True)
    if farms.empty:
        return out
    geoms = sites.to_crs(XIANGYANG_UTM).geometry.to_numpy()
    tree = shapely.STRtree(farms.geometry.to_numpy())
    site_idx, farm_idx = tree.query(geoms, predicate="intersects")
    if site_idx.size == 0:
        return out
    order = {s: i for i, s in enumerate(STATUS_ORDER)}
    pairs = pd.DataFrame(
        {
            "site": site_idx,
            "rank": farms["status"].map(order).fillna(len(order)).to_numpy()[farm_idx],
            "name": farms["name"].fillna("").astype(str).to_numpy()[farm_idx],
            "mw": farms["capacity_mw"].to_numpy()[farm_idx],
        }
    )
    grouped = pairs.groupby("site")
    best = grouped["rank"].min().astype(int)
    idx = sites.index[best.index.to_numpy()]
    out.loc[idx, "wind_farm_status"] = [STATUS_ORDER[r] if r < len(STATUS_ORDER) else "other" for r in best]
    out.loc[idx, "wind_farm_names"] = grouped["name"].agg(lambda s: "; ".join(sorted(set(s) - {""}))).to_numpy()
    out.loc[idx, "wind_farm_mw"] = grouped["mw"].sum().to_numpy()
    return out


def operating_capacity(power_plants: gpd.GeoDataFrame, region: gpd.GeoDataFrame | None = None) -> dict:
    """Operating wind capacity (MW) in ``region`` (all rows when None).

    A farm counts when its geometry touches the region or its ``county`` is one of the
    region's ``adcode`` values (so a farm whose published coordinates fall just outside but
    whose county is inside still counts).

    Returns a dict: ``operating_mw``, ``farms`` (row count), ``placeholder_farms`` (rows
    with a placeholder location: counted, not placed).
    """
    farms = wind_plants(power_plants)
    farms = farms[farms["status"] == "operating"]
    if region is not None and len(farms):
        outline = shapely.union_all(region.to_crs(XIANGYANG_UTM).geometry.to_numpy())
        geoms = farms.to_crs(XIANGYANG_UTM).geometry.to_numpy()
        inside = shapely.intersects(geoms, outline)
        if "county" in farms.columns and "adcode" in region.columns:
            inside |= farms["county"].astype(str).isin(set(region["adcode"].astype(str))).to_numpy()
        farms = farms[inside]
    return {
        "operating_mw": float(farms["capacity_mw"].sum()),
        "farms": len(farms),
        "placeholder_farms": int(_is_placeholder(farms).sum()),
    }


__all__ = ["FARM_COLUMNS", "farm_footprints", "farm_overlap", "operating_capacity", "wind_plants"]
