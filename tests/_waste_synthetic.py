"""Synthetic road grids, waste sources and facilities near Xiangyang for the waste tests.

Every frame follows layers/schema.py and carries ``source="synthetic"``.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from geo.crs import WGS84, XIANGYANG_UTM

ORIGIN_UTM = (700_000.0, 3_543_000.0)  # about 112.1 E, 32.0 N (UTM 49N)


def grid_roads(
    n: int = 6, spacing_m: float = 1000.0, *, highway: str = "primary", oneway_rows: tuple[int, ...] = ()
) -> gpd.GeoDataFrame:
    """An n×n grid: one LineString per row and per column, meeting at shared interior vertices.

    Rows listed in ``oneway_rows`` are one-way (west to east).
    """
    x0, y0 = ORIGIN_UTM
    xs = x0 + spacing_m * np.arange(n)
    ys = y0 + spacing_m * np.arange(n)
    lines, kinds, oneway = [], [], []
    for i, y in enumerate(ys):
        lines.append(shapely.LineString([(x, y) for x in xs]))
        kinds.append(highway)
        oneway.append(i in oneway_rows)
    for x in xs:
        lines.append(shapely.LineString([(x, y) for y in ys]))
        kinds.append(highway)
        oneway.append(False)
    gdf = gpd.GeoDataFrame(
        {"id": [f"r{i}" for i in range(len(lines))], "highway": kinds, "oneway": oneway, "source": "synthetic"},
        geometry=lines,
        crs=XIANGYANG_UTM,
    )
    return gdf.to_crs(WGS84)


def points(xy_m: list[tuple[float, float]]) -> gpd.GeoSeries:
    """Points given in metres from the grid origin, as WGS84."""
    x0, y0 = ORIGIN_UTM
    return gpd.GeoSeries([shapely.Point(x0 + x, y0 + y) for x, y in xy_m], crs=XIANGYANG_UTM).to_crs(WGS84)


def sources(xy_m, supply, kind="phosphogypsum") -> gpd.GeoDataFrame:
    """Waste sources at ``xy_m`` (metres from origin) with supplies in t/yr."""
    kinds = [kind] * len(xy_m) if isinstance(kind, str) else list(kind)
    return gpd.GeoDataFrame(
        {
            "id": [f"s{i}" for i in range(len(xy_m))],
            "name": [f"源{i}" for i in range(len(xy_m))],
            "waste_kind": kinds,
            "supply_t_per_year": list(map(float, supply)),
            "source": "synthetic",
        },
        geometry=points(xy_m).to_numpy(),
        crs=WGS84,
    )


def facilities(xy_m, capacity, kind="phosphogypsum_plant", gate_fee=0.0, status="operating") -> gpd.GeoDataFrame:
    """Facilities at ``xy_m`` with capacities in t/yr."""
    n = len(xy_m)
    kinds = [kind] * n if isinstance(kind, str) else list(kind)
    fees = [gate_fee] * n if np.isscalar(gate_fee) else list(gate_fee)
    return gpd.GeoDataFrame(
        {
            "id": [f"f{i}" for i in range(n)],
            "name": [f"厂{i}" for i in range(n)],
            "facility_kind": kinds,
            "capacity_t_per_year": list(map(float, capacity)),
            "gate_fee_cny_per_t": list(map(float, fees)),
            "status": status,
            "source": "synthetic",
        },
        geometry=points(xy_m).to_numpy(),
        crs=WGS84,
    )


def networkx_transport_cost(cost, supply, capacity, penalty) -> float:
    """Least cost of the capacitated transport problem by networkx min-cost flow (integer data
    only): each source ships to facilities (``inf`` cost: no link) or to "unmet" at ``penalty``."""
    n_s, n_f = cost.shape
    g = nx.DiGraph()
    for s in range(n_s):
        g.add_node(("s", s), demand=-int(supply[s]))
        g.add_edge(("s", s), "unmet", weight=int(penalty))
        for f in range(n_f):
            if np.isfinite(cost[s, f]):
                g.add_edge(("s", s), ("f", f), weight=int(cost[s, f]))
    for f in range(n_f):
        g.add_edge(("f", f), "end", capacity=int(capacity[f]), weight=0)
    g.add_edge("unmet", "end", weight=0)
    g.add_node("end", demand=int(supply.sum()))
    return float(nx.min_cost_flow_cost(g))
