"""Synthetic road network (``source="synthetic"``) that links every seat, park, facility,
waste source and village, noded so that lines meet at shared vertices.

* motorways and trunk roads between county seats along approximate real corridors
  (G70 福银, G55 二广, 麻竹, 谷竹 expressways; G316, G207 and provincial roads);
* local street grids on the 240 m block lattice of the built-up zones (the same lattice the
  rooftops use, so streets run between buildings), cut at rivers except on every fourth
  line (bridges);
* straight connectors from every park, facility and waste source to the nearest point of
  that network;
* unclassified village roads: a minimum spanning tree over the villages and the network.

All lines are unioned with a 0.1 m snap-rounding grid (``shapely.union_all(grid_size=...)``),
which splits them at every crossing and junction and makes touching lines share the exact
same vertex; road attributes are then given back to every noded piece from the line it came
from.  Pieces are densified to at most 100 m between vertices.  A graph built by joining
identical endpoints (osmnx, networkx) is one connected component; :func:`build_roads_utm`
checks that and links stray pieces to the main network if needed.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from layers.default._common import gcj_to_utm, utm_frame
from layers.default._places import URBAN_ZONES

GRID_SIZE_M = 0.1
BLOCK_M = 240.0
SEGMENT_MAX_M = 100.0

#: OSM class -> (rank, default maxspeed km/h); lower rank wins where lines coincide.
HIGHWAY = {
    "motorway": (0, 120.0),
    "trunk": (1, 80.0),
    "primary": (2, 60.0),
    "secondary": (3, 50.0),
    "tertiary": (4, 40.0),
    "unclassified": (5, 40.0),
    "residential": (6, 30.0),
    "service": (7, 20.0),
}

#: Inter-city corridors: name, class, waypoints (GCJ-02 lon, lat).  Seats are FACTS.md
#: seat coordinates, so corridors meet exactly at the seats.
_S = {
    "xiangcheng": (112.1503, 32.0151),
    "fancheng": (112.1396, 32.0586),
    "xiangzhou": (112.1974, 32.0855),
    "nanzhang": (111.8444, 31.7769),
    "gucheng": (111.6401, 32.2627),
    "baokang": (111.2622, 31.8735),
    "laohekou": (111.6757, 32.3854),
    "zaoyang": (112.7653, 32.1231),
    "yicheng": (112.2614, 31.7092),
}
CORRIDORS: list[tuple[str, str, list[tuple[float, float]]]] = [
    (
        "G70 福银高速",
        "motorway",
        [
            (112.900, 32.150),
            (112.780, 32.150),
            (112.550, 32.135),
            (112.350, 32.140),
            (112.220, 32.150),
            (112.080, 32.140),
            (111.900, 32.200),
            (111.720, 32.240),
            (111.550, 32.300),
            (111.300, 32.350),
        ],
    ),
    (
        "G55 二广高速",
        "motorway",
        [
            (112.120, 32.600),
            (112.170, 32.350),
            (112.220, 32.150),
            (112.265, 31.950),
            (112.240, 31.730),
            (112.280, 31.500),
            (112.330, 31.300),
        ],
    ),
    (
        "麻竹高速",
        "motorway",
        [(112.240, 31.730), (112.050, 31.745), (111.870, 31.760), (111.550, 31.820), (111.280, 31.860)],
    ),
    (
        "谷竹高速",
        "motorway",
        [(111.720, 32.240), (111.520, 32.120), (111.380, 31.980), (111.280, 31.860), (111.050, 31.700)],
    ),
    (
        "G316 国道",
        "trunk",
        [_S["fancheng"], (111.950, 32.140), (111.780, 32.210), _S["gucheng"], _S["laohekou"], (111.600, 32.520)],
    ),
    ("G207 国道（北段）", "trunk", [_S["xiangcheng"], (112.020, 31.900), _S["nanzhang"]]),
    ("G207 国道（南段）", "trunk", [_S["xiangcheng"], (112.215, 31.900), _S["yicheng"], (112.330, 31.450)]),
    ("襄枣公路", "trunk", [_S["xiangzhou"], (112.450, 32.105), _S["zaoyang"]]),
    ("襄北公路", "trunk", [_S["laohekou"], (111.900, 32.300), (112.100, 32.180), _S["xiangzhou"]]),
    ("南保公路", "trunk", [_S["nanzhang"], (111.600, 31.850), _S["baokang"]]),
    ("谷保公路", "primary", [_S["gucheng"], (111.450, 32.080), _S["baokang"]]),
    ("宜枣公路", "primary", [_S["yicheng"], (112.500, 31.850), _S["zaoyang"]]),
    (
        "襄阳市区主干道",
        "primary",
        [_S["xiangcheng"], _S["fancheng"], _S["xiangzhou"], (112.235, 32.005), _S["xiangcheng"]],
    ),
]


def _corridor_lines(area) -> tuple[list[str], list[str], list]:
    """Corridor lines clipped to ``area`` (the city outline with a margin)."""
    names, classes, geoms = [], [], []
    for name, cls, pts in CORRIDORS:
        x, y = gcj_to_utm(*zip(*pts, strict=True))
        clipped = shapely.intersection(shapely.linestrings(x, y), area)
        for part in shapely.get_parts(shapely.line_merge(clipped)):
            names.append(name)
            classes.append(cls)
            geoms.append(part)
    return names, classes, geoms


def _grid_lines(water) -> tuple[list, list, list]:
    """Street grids on the block lattice inside every built-up zone ellipse."""
    names, classes, geoms = [], [], []
    _id, znames, _c, lon, lat, sx, sy, zkind, _w = zip(*URBAN_ZONES, strict=True)
    zx, zy = gcj_to_utm(lon, lat)
    for k in range(len(zx)):
        for axis in (0, 1):
            c0, c1 = (zx[k], zy[k]) if axis == 0 else (zy[k], zx[k])
            s0, s1 = (sx[k], sy[k]) if axis == 0 else (sy[k], sx[k])
            idx = np.arange(np.ceil((c0 - s0) / BLOCK_M), np.floor((c0 + s0) / BLOCK_M) + 1)
            pos = idx * BLOCK_M
            half = s1 * np.sqrt(np.clip(1.0 - ((pos - c0) / s0) ** 2, 0.0, None))
            ok = half > BLOCK_M / 2
            pos, half, idx = pos[ok], half[ok], idx[ok]
            a = np.column_stack([pos, c1 - half])
            b = np.column_stack([pos, c1 + half])
            if axis == 1:
                a, b = a[:, ::-1], b[:, ::-1]
            lines = shapely.linestrings(np.stack([a, b], axis=1))
            arterial = (idx.astype(np.int64) % 4) == 0
            cls = np.where(arterial, "secondary" if zkind[k] == "core" else "tertiary", "residential")
            # local streets stop at rivers; arterials bridge them
            cut = shapely.difference(lines, water)
            lines = np.where(arterial, lines, cut)
            for line, c, i in zip(lines, cls, idx, strict=True):
                for part in shapely.get_parts(line):
                    if part.length > 1.0:
                        names.append(f"{znames[k]}{'东西' if axis == 1 else '南北'}向道路 {int(i)}")
                        classes.append(str(c))
                        geoms.append(part)
    return names, classes, geoms


def _connectors(points: np.ndarray, labels, network, highway: str):
    """Straight lines from each point to the nearest point of ``network`` (None if on it)."""
    lines = shapely.shortest_line(points, network)
    keep = shapely.length(lines) > 1.0
    names = [f"{lab}连接线" for lab, k in zip(labels, keep, strict=True) if k]
    return names, [highway] * int(keep.sum()), list(lines[keep])


def _village_roads(villages: np.ndarray, base) -> tuple[list, list, list]:
    """Unclassified roads: a minimum spanning tree over the villages and the main network.

    Candidate edges are the Delaunay edges between villages and anchor points placed every
    600 m along the main network.  All anchors are contracted into one node (the network
    already joins them), so the tree links every village to the network along the shortest
    total length, each village either to a neighbour or to its nearest anchor.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import minimum_spanning_tree
    from scipy.spatial import Delaunay

    anchors = shapely.get_coordinates(shapely.segmentize(base, 600.0))
    anchors = np.unique(np.round(anchors, 3), axis=0)
    pts = np.vstack([villages, anchors])
    n_v = len(villages)
    tri = Delaunay(pts)
    edges = np.vstack([tri.simplices[:, [0, 1]], tri.simplices[:, [1, 2]], tri.simplices[:, [0, 2]]])
    edges = np.unique(np.sort(edges, axis=1), axis=0)
    edges = edges[edges[:, 0] < n_v]  # sorted pairs: village-village or village-anchor
    length = np.hypot(*(pts[edges[:, 0]] - pts[edges[:, 1]]).T)
    # contract the anchors into node n_v, keeping the shortest edge per node pair
    node_b = np.minimum(edges[:, 1], n_v)
    order = np.argsort(length, kind="stable")
    pair = edges[order, 0] * (n_v + 1) + node_b[order]
    _, first = np.unique(pair, return_index=True)
    keep = order[first]
    edges, node_b, length = edges[keep], node_b[keep], length[keep]
    graph = coo_matrix((length + 1e-3, (edges[:, 0], node_b)), shape=(n_v + 1, n_v + 1))
    mst = minimum_spanning_tree(graph).tocoo()
    lookup = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(edges[:, 0], node_b, strict=True))}
    chosen = [lookup.get((int(min(r, c)), int(max(r, c)))) for r, c in zip(mst.row, mst.col, strict=True)]
    chosen = np.array([i for i in chosen if i is not None], dtype=int)
    a, b = pts[edges[chosen, 0]], pts[edges[chosen, 1]]
    lines = shapely.linestrings(np.stack([a, b], axis=1))
    return ["乡村道路"] * len(lines), ["unclassified"] * len(lines), list(lines)


def _node(geoms: np.ndarray) -> np.ndarray:
    merged = shapely.union_all(np.asarray(geoms, dtype=object), grid_size=GRID_SIZE_M)
    parts = shapely.get_parts(merged)
    return parts[shapely.length(parts) > 0]


def _components(parts: np.ndarray) -> np.ndarray:
    """Connected-component label of each noded piece (joined at identical endpoints);
    label 0 is the largest component."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ends = np.vstack(
        [shapely.get_coordinates(shapely.get_point(parts, 0)), shapely.get_coordinates(shapely.get_point(parts, -1))]
    )
    _, node = np.unique(ends, axis=0, return_inverse=True)
    node = node.ravel()
    n = len(parts)
    n_nodes = int(node.max()) + 1
    graph = coo_matrix((np.ones(n), (node[:n], node[n:])), shape=(n_nodes, n_nodes))
    _count, label = connected_components(graph, directed=False)
    # renumber so that the component with the most nodes is 0
    size_order = np.argsort(-np.bincount(label), kind="stable")
    rank = np.empty_like(size_order)
    rank[size_order] = np.arange(size_order.size)
    return rank[label[node[:n]]]


def build_roads_utm(
    *,
    city_utm,
    parks_utm: gpd.GeoDataFrame,
    facilities_utm: gpd.GeoDataFrame,
    sources_utm: gpd.GeoDataFrame,
    villages: np.ndarray,
    water_utm: np.ndarray,
) -> gpd.GeoDataFrame:
    """Build the noded, connected road network in EPSG:32649 (roads schema columns).

    Parameters
    ----------
    city_utm : shapely geometry
        The city outline (metres); corridors are clipped to it plus a 2 km margin.
    parks_utm, facilities_utm, sources_utm : GeoDataFrame
        Features that must be reachable (metres); each gets a connector road.
    villages : ndarray, shape (n, 2)
        Village centres (metres); linked by unclassified roads (:func:`_village_roads`).
    water_utm : ndarray of shapely geometries
        Buffered rivers: local streets are cut where they cross them.
    """
    water = shapely.union_all(np.asarray(water_utm, dtype=object))
    names, classes, geoms = _corridor_lines(shapely.buffer(city_utm, 2000.0))
    gn, gc, gg = _grid_lines(water)
    names += gn
    classes += gc
    geoms += gg
    base = shapely.union_all(np.asarray(geoms, dtype=object))
    for pts, labels, cls in (
        (shapely.centroid(parks_utm.geometry.values), parks_utm["name"], "primary"),
        (facilities_utm.geometry.values, facilities_utm["name"], "secondary"),
        (sources_utm.geometry.values, sources_utm["name"], None),
    ):
        if cls is None:  # waste sources: phosphogypsum by secondary road, construction tertiary
            pg = (sources_utm["waste_kind"] == "phosphogypsum").to_numpy()
            for mask, c in ((pg, "secondary"), (~pg, "tertiary")):
                cn, cc, cg = _connectors(np.asarray(pts)[mask], np.asarray(labels)[mask], base, c)
                names += cn
                classes += cc
                geoms += cg
            continue
        cn, cc, cg = _connectors(np.asarray(pts), list(labels), base, cls)
        names += cn
        classes += cc
        geoms += cg

    vn, vc, vg = _village_roads(villages, base)
    names += vn
    classes += vc
    geoms += vg

    geoms = np.asarray(geoms, dtype=object)
    parts = _node(geoms)
    for attempt in range(6):  # link stray pieces (e.g. street stubs cut off by a river)
        comp = _components(parts)
        if comp.max() == 0:
            break
        if attempt == 5:
            msg = "default road network did not become connected"
            raise RuntimeError(msg)
        main = shapely.union_all(parts[comp == 0])
        stray = np.unique(comp[comp > 0], return_index=True)[1]
        stray_idx = np.flatnonzero(comp > 0)[stray]
        links = shapely.shortest_line(shapely.get_point(parts[stray_idx], 0), main)
        names += ["连接道路"] * len(links)
        classes += ["residential"] * len(links)
        geoms = np.concatenate([geoms, links])
        parts = _node(geoms)

    # give each noded piece the attributes of the best-ranked line it lies on
    rank = np.array([HIGHWAY[c][0] for c in classes])
    mid = shapely.line_interpolate_point(parts, 0.5, normalized=True)
    tree = shapely.STRtree(geoms)
    pi, gi = tree.query(mid, predicate="dwithin", distance=2 * GRID_SIZE_M)
    order = np.lexsort((rank[gi], pi))
    pi, gi = pi[order], gi[order]
    first = np.unique(pi, return_index=True)[1]
    parent = np.full(len(parts), -1)
    parent[pi[first]] = gi[first]
    if (parent < 0).any():
        msg = "some noded road pieces lost their parent line"
        raise RuntimeError(msg)
    highway = np.asarray(classes, dtype=object)[parent]
    parts = shapely.segmentize(parts, SEGMENT_MAX_M)
    return utm_frame(
        {
            "id": [f"road-{i + 1}" for i in range(len(parts))],
            "name": np.asarray(names, dtype=object)[parent],
            "highway": highway,
            "maxspeed_kmh": np.array([HIGHWAY[h][1] for h in highway]),
            "oneway": False,
            "source": "synthetic",
        },
        parts,
    )
