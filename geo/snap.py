"""Snap points (waste sources, facilities) to the nearest node of a road network.

Every node of a :class:`geo.network.RoadNetwork` lies in its largest strongly connected
component, so the nearest node is also a reachable one.  The straight-line snap distance is
measured in the network's metric CRS and kept; points farther than ``max_snap_m`` are flagged
(``on_network`` false) rather than routed from a far-away road.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo.errors import InputError
from geo.network import RoadNetwork

#: Default largest distance from a point to its road node, metres.  A site more than 2 km
#: from any mapped road is more likely a data error than a real truck access (assumption).
DEFAULT_MAX_SNAP_M = 2000.0


def snap_points(network: RoadNetwork, points: gpd.GeoSeries | gpd.GeoDataFrame, *,
                max_snap_m: float = DEFAULT_MAX_SNAP_M, what: str = "points") -> pd.DataFrame:
    """Snap points to their nearest network node.

    Parameters
    ----------
    network : RoadNetwork
        The road network.
    points : geopandas.GeoSeries or GeoDataFrame
        Point geometries with a CRS (non-point geometries use their representative point).
    max_snap_m : float
        Points farther than this from every node are flagged ``on_network = False``.
    what : str
        Named in error messages (e.g. ``"waste_sources"``).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``points``: ``node`` (node index, -1 if the geometry is missing),
        ``node_id`` (original id), ``snap_m`` (metres, NaN if missing) and ``on_network``.
    """
    if not np.isfinite(max_snap_m) or max_snap_m < 0:
        msg = f"max_snap_m must be a non-negative number of metres, got {max_snap_m!r}"
        raise InputError(msg)
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if geoms.crs is None:
        msg = f"{what} have no CRS; set one (EPSG:4326 for lon/lat)"
        raise InputError(msg)
    index = geoms.index
    missing = (geoms.isna() | geoms.is_empty).to_numpy()
    out = pd.DataFrame({"node": np.full(len(geoms), -1, dtype="int64"),
                        "node_id": pd.Series([None] * len(geoms), dtype=object).to_numpy(),
                        "snap_m": np.full(len(geoms), np.nan),
                        "on_network": np.zeros(len(geoms), dtype=bool)}, index=index)
    if (~missing).any():
        present = geoms[~missing].to_crs(network.crs)
        pts = present.to_numpy()
        not_point = shapely.get_type_id(pts) != 0
        pts = np.where(not_point, shapely.point_on_surface(pts), pts)
        xy = shapely.get_coordinates(pts)
        tree = cKDTree(network.node_xy)
        dist, node = tree.query(xy, k=1)
        rows = np.flatnonzero(~missing)
        out.iloc[rows, out.columns.get_loc("node")] = node
        out.iloc[rows, out.columns.get_loc("node_id")] = network.node_ids[node]
        out.iloc[rows, out.columns.get_loc("snap_m")] = dist
        out.iloc[rows, out.columns.get_loc("on_network")] = dist <= max_snap_m
    return out
