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

from geo.crs import require_crs
from geo.errors import InputError
from geo.network import RoadNetwork

#: Default largest distance from a point to its road node, metres.  A site more than 2 km
#: from any mapped road is more likely a data error than a real truck access (assumption).
DEFAULT_MAX_SNAP_M = 2000.0


def snap_points(
    network: RoadNetwork,
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    what: str = "points",
    method: str = "edge",
) -> pd.DataFrame:
    """Snap points to the road network: to the nearest edge (default) or the nearest node.

    Parameters
    ----------
    network : RoadNetwork
        The road network.
    points : geopandas.GeoSeries or GeoDataFrame
        Point geometries with a CRS (non-point geometries use a point on their surface).
    max_snap_m : float
        Points farther than this from the network are flagged ``on_network = False``.
    what : str
        Named in error messages (e.g. ``"waste_sources"``).
    method : {"edge", "node"}
        ``"edge"``: the nearest point on the nearest edge, so a site beside a long road without
        junctions nearby snaps to the road, not to a far junction; trucks then drive along
        that edge (see :func:`geo.costs.point_cost_matrix`).  ``"node"``: the nearest node.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``points``: ``node`` (nearest node index; for edge snapping the nearer end
        of the edge; -1 if the geometry is missing), ``node_id``, ``edge`` (edge row, -1 for
        node snapping), ``along`` (fraction 0..1 of the edge from its start ``u``), ``snap_m``
        (metres from the point to the network, NaN if missing) and ``on_network``.
    """
    if not np.isfinite(max_snap_m) or max_snap_m < 0:
        msg = f"max_snap_m must be a non-negative number of metres, got {max_snap_m!r}"
        raise InputError(msg)
    if method not in ("edge", "node"):
        msg = f"snapping method must be 'edge' or 'node', got {method!r}"
        raise InputError(msg)
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    require_crs(geoms, what=what, fix="set one (EPSG:4326 for lon/lat)")
    n = len(geoms)
    missing = (geoms.isna() | geoms.is_empty).to_numpy()
    node = np.full(n, -1, dtype="int64")
    edge = np.full(n, -1, dtype="int64")
    along = np.zeros(n)
    snap_m = np.full(n, np.nan)
    rows = np.flatnonzero(~missing)
    if len(rows):
        pts = geoms[~missing].to_crs(network.crs).to_numpy()
        not_point = shapely.get_type_id(pts) != 0
        pts = np.where(not_point, shapely.point_on_surface(pts), pts)
        if method == "node":
            dist, nearest = cKDTree(network.node_xy).query(shapely.get_coordinates(pts), k=1)
            node[rows] = nearest
            snap_m[rows] = dist
        else:
            (inp, hit), dist = network.edge_tree.query_nearest(pts, return_distance=True, all_matches=False)
            order = np.argsort(inp)
            inp, hit, dist = inp[order], hit[order], dist[order]
            lines = network.edge_geometries_m[hit]
            total = shapely.length(lines)
            pos = shapely.line_locate_point(lines, pts[inp])
            frac = np.where(total > 0, pos / np.where(total > 0, total, 1.0), 0.0)
            edge[rows[inp]] = hit
            along[rows[inp]] = np.clip(frac, 0.0, 1.0)
            snap_m[rows[inp]] = dist
            ends = np.where(frac <= 0.5, network.edges["u"].to_numpy()[hit], network.edges["v"].to_numpy()[hit])
            node[rows[inp]] = ends
    node_id = np.full(n, None, dtype=object)
    node_id[node >= 0] = network.node_ids[node[node >= 0]]
    on_network = ~missing & (np.nan_to_num(snap_m, nan=np.inf) <= max_snap_m)
    return pd.DataFrame(
        {"node": node, "node_id": node_id, "edge": edge, "along": along, "snap_m": snap_m, "on_network": on_network},
        index=geoms.index,
    )
