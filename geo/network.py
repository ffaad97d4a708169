"""Road networks for truck routing: build, clean, and hold them as sparse matrices.

A :class:`RoadNetwork` is built from one of

* an OSM XML file (``.osm``, read by :func:`osmnx.graph_from_xml`),
* an OSM PBF file (``.osm.pbf``, read by pyrosm's ``get_network(nodes=True)``),
* a GeoDataFrame of road LineStrings (the project's ``roads`` layer), noded at shared
  vertices and line ends (:meth:`RoadNetwork.from_lines`),
* an existing osmnx ``MultiDiGraph`` (:meth:`RoadNetwork.from_graph`).

Every edge gets a truck speed from its road class (``highway``), capped by its posted
``maxspeed``, and a travel time.  Only the largest strongly connected component is kept,
so every kept node can reach every other; what was dropped is in :attr:`RoadNetwork.report`.

The network is held as two CSR matrices (length in metres, time in seconds) for
:mod:`scipy.sparse.csgraph`, plus per-edge geometries (WGS84, oriented from ``u`` to ``v``) for
drawing routes.  The osmnx ``MultiDiGraph`` of the kept component is available lazily as
:attr:`RoadNetwork.graph` (e.g. for peer checks against networkx).

Why one module over 500 lines: the four constructors share one cleaning path (truck speeds,
largest component, report) that belongs with the class they build.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from geo._noding import node_lines
from geo.crs import WGS84, metric_crs, require_crs
from geo.errors import InputError
from geo.osm_tags import first_tag, parse_maxspeed_kmh, parse_oneway

#: Assumed loaded heavy-truck cruising speeds by OSM road class, km/h.  Assumptions, below the
#: legal caps (China's Road Traffic Safety Law implementing regulations, art. 78, allow trucks
#: at most 100 km/h on expressways); a posted ``maxspeed`` lower than these wins.
DEFAULT_TRUCK_SPEEDS_KMH: dict[str, float] = {
    "motorway": 80.0,
    "motorway_link": 40.0,
    "trunk": 60.0,
    "trunk_link": 35.0,
    "primary": 50.0,
    "primary_link": 30.0,
    "secondary": 40.0,
    "secondary_link": 25.0,
    "tertiary": 35.0,
    "tertiary_link": 20.0,
    "unclassified": 30.0,
    "road": 30.0,
    "residential": 20.0,
    "living_street": 10.0,
    "service": 15.0,
    "track": 15.0,
}


@dataclass(frozen=True)
class NetworkReport:
    """What happened while building a network (counts before and after cleaning)."""

    source: str
    edges_in: int
    edges_unknown_class: int
    unknown_classes: tuple[str, ...]
    nodes_kept: int
    edges_kept: int
    nodes_dropped: int
    edges_dropped: int
    km_dropped: float
    components: int
    km_kept: float

    def as_dict(self) -> dict:
        """The report as a plain dict (for logs, exports, the dashboard)."""
        return dict(self.__dict__)

    def __str__(self) -> str:
        text = (
            f"road network from {self.source}: {self.nodes_kept:,} nodes, {self.edges_kept:,} "
            f"directed edges, {self.km_kept:,.1f} km kept (largest strongly connected of "
            f"{self.components:,} components); dropped {self.nodes_dropped:,} nodes, "
            f"{self.edges_dropped:,} edges, {self.km_dropped:,.1f} km"
        )
        if self.edges_unknown_class:
            text += (
                f"; {self.edges_unknown_class:,} edges of classes not open to trucks "
                f"({', '.join(self.unknown_classes[:8])}) left out"
            )
        return text


@dataclass(eq=False)
class RoadNetwork:
    """A directed road network, largest strongly connected component only.

    Attributes
    ----------
    node_ids : ndarray
        Original node ids (OSM ids, or generated numbers for noded lines), by node index.
    node_xy : ndarray (n, 2)
        Node coordinates in :attr:`crs` (metres).
    crs : pyproj.CRS
        The metric CRS of ``node_xy``.
    edges : geopandas.GeoDataFrame
        One row per directed edge: ``u``, ``v`` (node indices), ``u_id``, ``v_id``,
        ``highway``, ``length_m``, ``speed_kmh``, ``time_s``, geometry (WGS84, u→v).
    length : scipy.sparse.csr_matrix
        n×n, shortest parallel edge length in metres.
    time : scipy.sparse.csr_matrix
        n×n, fastest parallel edge time in seconds.
    report : NetworkReport
        Counts of what was kept and dropped.
    """

    node_ids: NDArray
    node_xy: NDArray
    crs: pyproj.CRS
    edges: gpd.GeoDataFrame
    length: sp.csr_matrix
    time: sp.csr_matrix
    report: NetworkReport
    _edge_keys: NDArray = field(repr=False, default=None)
    _edge_rows: NDArray = field(repr=False, default=None)

    # -- basic facts ------------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        """Number of nodes kept."""
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        """Number of directed edges kept."""
        return len(self.edges)

    def node_index(self, ids) -> NDArray:
        """Node indices of original node ids; raise InputError for ids not in the network."""
        lookup = pd.Index(self.node_ids)
        idx = lookup.get_indexer(np.asarray(ids))
        if np.any(idx < 0):
            missing = np.asarray(ids)[idx < 0]
            msg = (
                f"{len(missing)} node ids are not in the road network's largest connected "
                f"component, e.g. {missing[:5].tolist()}"
            )
            raise InputError(msg)
        return idx

    def edge_rows(self, u: NDArray, v: NDArray, *, weight: str = "length") -> NDArray:
        """Row numbers in :attr:`edges` of the cheapest edge u→v (by ``weight``), -1 if none."""
        if self._edge_keys is None or weight != "length":
            keys, rows = _edge_lookup(self.edges, self.n_nodes, weight)
            if weight != "length":
                return _lookup(keys, rows, u, v, self.n_nodes)
            self._edge_keys, self._edge_rows = keys, rows
        return _lookup(self._edge_keys, self._edge_rows, u, v, self.n_nodes)

    @functools.cached_property
    def edge_geometries_m(self) -> np.ndarray:
        """Edge geometries in :attr:`crs` (metres), by edge row."""
        return self.edges.geometry.to_crs(self.crs).to_numpy()

    @functools.cached_property
    def edge_tree(self) -> shapely.STRtree:
        """A spatial index of :attr:`edge_geometries_m` for nearest-edge snapping."""
        return shapely.STRtree(self.edge_geometries_m)

    @functools.cached_property
    def reverse_edge(self) -> np.ndarray:
        """For each edge row u→v, the row of the shortest edge v→u (-1 for one-way edges)."""
        return self.edge_rows(self.edges["v"].to_numpy(), self.edges["u"].to_numpy())

    @functools.cached_property
    def graph(self):
        """The kept network as an osmnx-compatible ``networkx.MultiDiGraph`` (WGS84).

        Nodes are the original ids with ``x``/``y`` in degrees; edges carry ``length`` (m),
        ``speed_kph``, ``travel_time`` (s), ``highway`` and ``geometry``.
        """
        import osmnx as ox

        lonlat = gpd.GeoSeries(shapely.points(self.node_xy), crs=self.crs).to_crs(WGS84)
        nodes = gpd.GeoDataFrame(
            {"x": lonlat.x.to_numpy(), "y": lonlat.y.to_numpy()},
            geometry=lonlat.to_numpy(),
            crs=WGS84,
            index=pd.Index(self.node_ids, name="osmid"),
        )
        e = self.edges
        key = e.groupby(["u", "v"]).cumcount().to_numpy()
        index = pd.MultiIndex.from_arrays(
            [self.node_ids[e["u"].to_numpy()], self.node_ids[e["v"].to_numpy()], key], names=["u", "v", "key"]
        )
        edges = gpd.GeoDataFrame(
            {
                "length": e["length_m"].to_numpy(),
                "speed_kph": e["speed_kmh"].to_numpy(),
                "travel_time": e["time_s"].to_numpy(),
                "highway": e["highway"].to_numpy(),
            },
            geometry=e.geometry.to_numpy(),
            crs=WGS84,
            index=index,
        )
        return ox.graph_from_gdfs(nodes, edges, graph_attrs={"crs": WGS84})

    # -- constructors -----------------------------------------------------------------
    @classmethod
    def from_lines(
        cls,
        roads: gpd.GeoDataFrame,
        *,
        speeds_kmh: dict[str, float] | None = None,
        node_tolerance_m: float = 0.5,
        source: str = "roads layer",
    ) -> RoadNetwork:
        """Build a network from road LineStrings that meet at shared vertices.

        Lines are split at every vertex used by more than one line and at every line end
        (vertices within ``node_tolerance_m`` are merged).  Lines are two-way unless
        ``oneway`` is true.

        Parameters
        ----------
        roads : geopandas.GeoDataFrame
            Columns ``highway`` (OSM class), optional ``maxspeed_kmh`` and ``oneway``;
            (Multi)LineString geometries with a CRS.
        speeds_kmh : dict, optional
            Truck speed by road class, km/h (default :data:`DEFAULT_TRUCK_SPEEDS_KMH`).
        node_tolerance_m : float
            Snapping grid for joining vertices, metres.
        source : str
            Named in the report and in error messages.
        """
        _check_roads(roads, source)
        metric = metric_crs(roads)
        lines = roads.to_crs(metric)
        lines = lines[~lines.geometry.is_empty & lines.geometry.notna()]
        lines = lines.explode(index_parts=False).reset_index(drop=True)
        lines = lines[lines.geometry.geom_type == "LineString"].reset_index(drop=True)
        if lines.empty:
            msg = f"{source} has no LineString roads; import a roads layer with road lines"
            raise InputError(msg)
        seg_line, seg_geoms, seg_u, seg_v, node_xy = node_lines(lines.geometry.to_numpy(), tolerance_m=node_tolerance_m)
        attrs = lines.iloc[seg_line].reset_index(drop=True)
        oneway = (
            attrs["oneway"].fillna(False).astype(bool).to_numpy()
            if "oneway" in attrs
            else np.zeros(len(attrs), dtype=bool)
        )
        maxspeed = (
            pd.to_numeric(attrs["maxspeed_kmh"], errors="coerce").to_numpy(dtype="float64")
            if "maxspeed_kmh" in attrs
            else np.full(len(attrs), np.nan)
        )
        seg_wgs = gpd.GeoSeries(seg_geoms, crs=metric).to_crs(WGS84).to_numpy()
        directed = pd.DataFrame(
            {
                "u": seg_u,
                "v": seg_v,
                "highway": first_tag(attrs["highway"]).astype(str).to_numpy(),
                "maxspeed_kmh": maxspeed,
                "length_m": shapely.length(seg_geoms),
                "geometry": seg_wgs,
                "oneway": oneway,
            }
        )
        directed = _add_reverse(directed)
        return cls._build(np.arange(len(node_xy)), node_xy, metric, directed, speeds_kmh=speeds_kmh, source=source)

    @classmethod
    def from_graph(cls, graph, *, speeds_kmh: dict[str, float] | None = None, source: str = "graph") -> RoadNetwork:
        """Build from an osmnx ``MultiDiGraph`` (edges already directed, ``length`` in metres)."""
        import osmnx as ox

        if graph.number_of_edges() == 0:
            msg = f"{source} has no road edges"
            raise InputError(msg)
        nodes, edges = ox.graph_to_gdfs(graph, nodes=True, edges=True, fill_edge_geometry=True)
        edges = edges.reset_index()
        return cls._from_directed_frames(nodes, edges, speeds_kmh=speeds_kmh, source=source)

    @classmethod
    def from_osm(cls, path: str | os.PathLike, *, speeds_kmh: dict[str, float] | None = None) -> RoadNetwork:
        """Build from an OSM file: ``.osm`` (osmnx) or ``.osm.pbf`` (pyrosm, driving network)."""
        path = Path(path)
        if not path.exists():
            msg = f"OSM file {path} does not exist"
            raise InputError(msg)
        name = path.name.lower()
        if name.endswith(".pbf"):
            return cls._from_pbf(path, speeds_kmh=speeds_kmh)
        if name.endswith((".osm", ".xml", ".osm.bz2", ".osm.gz")):
            import osmnx as ox

            try:
                graph = ox.graph_from_xml(path, bidirectional=False, simplify=True, retain_all=True)
            except Exception as exc:
                msg = f"cannot read OSM XML file {path}: {exc}"
                raise InputError(msg) from exc
            return cls.from_graph(graph, speeds_kmh=speeds_kmh, source=str(path))
        msg = f"OSM file {path} must end in .osm, .osm.bz2 or .osm.pbf"
        raise InputError(msg)

    @classmethod
    def _from_pbf(cls, path: Path, *, speeds_kmh) -> RoadNetwork:
        try:
            import pyrosm
        except ImportError as exc:  # pragma: no cover - pyrosm is a dev dependency
            msg = "reading .osm.pbf needs pyrosm: pip install pyrosm (or convert to .osm XML)"
            raise InputError(msg) from exc
        osm = pyrosm.OSM(str(path))
        nodes, edges = osm.get_network(network_type="driving", nodes=True)
        if edges is None or len(edges) == 0:
            msg = f"OSM file {path} has no drivable roads"
            raise InputError(msg)
        metric = metric_crs(nodes)
        node_ids = nodes["id"].to_numpy()
        xy = shapely.get_coordinates(nodes.to_crs(metric).geometry.to_numpy())
        index = pd.Index(node_ids)
        oneway, reverse = (
            parse_oneway(edges["oneway"])
            if "oneway" in edges
            else (np.zeros(len(edges), bool), np.zeros(len(edges), bool))
        )
        geoms = edges.geometry.to_numpy()
        u = index.get_indexer(edges["u"].to_numpy())
        v = index.get_indexer(edges["v"].to_numpy())
        geoms = np.where(reverse, shapely.reverse(geoms), geoms)
        u, v = np.where(reverse, v, u), np.where(reverse, u, v)
        directed = pd.DataFrame(
            {
                "u": u,
                "v": v,
                "highway": first_tag(edges["highway"]).astype(str).to_numpy(),
                "maxspeed_kmh": parse_maxspeed_kmh(edges["maxspeed"]) if "maxspeed" in edges else np.nan,
                "length_m": edges["length"].to_numpy(dtype="float64"),
                "geometry": geoms,
                "oneway": oneway,
            }
        )
        directed = directed[(directed["u"] >= 0) & (directed["v"] >= 0)]
        directed = _add_reverse(directed)
        return cls._build(node_ids, xy, metric, directed, speeds_kmh=speeds_kmh, source=str(path))

    @classmethod
    def _from_directed_frames(
        cls, nodes: gpd.GeoDataFrame, edges: pd.DataFrame, *, speeds_kmh, source: str
    ) -> RoadNetwork:
        metric = metric_crs(nodes)
        node_ids = nodes.index.to_numpy()
        xy = shapely.get_coordinates(nodes.to_crs(metric).geometry.to_numpy())
        index = pd.Index(node_ids)
        geoms = gpd.GeoSeries(edges.geometry.to_numpy(), crs=edges.crs).to_crs(WGS84).to_numpy()
        directed = pd.DataFrame(
            {
                "u": index.get_indexer(edges["u"].to_numpy()),
                "v": index.get_indexer(edges["v"].to_numpy()),
                "highway": first_tag(edges["highway"]).astype(str).to_numpy() if "highway" in edges else "road",
                "maxspeed_kmh": parse_maxspeed_kmh(edges["maxspeed"]) if "maxspeed" in edges else np.nan,
                "length_m": edges["length"].to_numpy(dtype="float64"),
                "geometry": geoms,
            }
        )
        return cls._build(node_ids, xy, metric, directed, speeds_kmh=speeds_kmh, source=source)

    @classmethod
    def _build(
        cls,
        node_ids: NDArray,
        node_xy: NDArray,
        metric: pyproj.CRS,
        directed: pd.DataFrame,
        *,
        speeds_kmh: dict[str, float] | None,
        source: str,
    ) -> RoadNetwork:
        speeds = dict(DEFAULT_TRUCK_SPEEDS_KMH if speeds_kmh is None else speeds_kmh)
        bad = {k: s for k, s in speeds.items() if not (np.isfinite(s) and s > 0)}
        if bad:
            msg = f"truck speeds must be positive km/h; fix {bad}"
            raise InputError(msg)
        edges_in = len(directed)
        class_speed = directed["highway"].map(speeds).to_numpy(dtype="float64")
        unknown = np.isnan(class_speed)
        unknown_classes = tuple(sorted(pd.unique(directed.loc[unknown, "highway"])))
        directed = directed.loc[~unknown].copy()
        class_speed = class_speed[~unknown]
        posted = directed["maxspeed_kmh"].to_numpy(dtype="float64")
        posted = np.where(np.isfinite(posted) & (posted > 0), posted, np.inf)
        directed["speed_kmh"] = np.minimum(class_speed, posted)
        directed["length_m"] = directed["length_m"].astype("float64").clip(lower=0.0)
        directed["time_s"] = directed["length_m"] / (directed["speed_kmh"] / 3.6)
        directed = directed[directed["u"] != directed["v"]]  # self-loops never help a route
        if directed.empty:
            msg = (
                f"{source} has no usable road edges (classes found: "
                f"{', '.join(unknown_classes) or 'none'}; truck classes: {', '.join(speeds)})"
            )
            raise InputError(msg)
        n = len(node_ids)
        u = directed["u"].to_numpy()
        v = directed["v"].to_numpy()
        adjacency = sp.csr_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
        n_comp, labels = connected_components(adjacency, directed=True, connection="strong")
        # only nodes touching a usable edge compete; isolated vertices are not "dropped roads"
        used = np.zeros(n, dtype=bool)
        used[u] = True
        used[v] = True
        sizes = np.bincount(labels[used], minlength=n_comp)
        biggest = int(np.argmax(sizes))
        n_comp = int((sizes > 0).sum())  # components that hold a road edge end
        keep_node = labels == biggest
        keep_edge = keep_node[u] & keep_node[v]
        dropped = directed.loc[~keep_edge]
        kept = directed.loc[keep_edge]
        new_index = np.full(n, -1, dtype="int64")
        new_index[keep_node] = np.arange(int(keep_node.sum()))
        kept = kept.assign(u=new_index[kept["u"].to_numpy()], v=new_index[kept["v"].to_numpy()])
        kept_ids = np.asarray(node_ids)[keep_node]
        kept = kept.assign(u_id=kept_ids[kept["u"].to_numpy()], v_id=kept_ids[kept["v"].to_numpy()])
        edges = gpd.GeoDataFrame(
            kept[["u", "v", "u_id", "v_id", "highway", "length_m", "speed_kmh", "time_s"]].reset_index(drop=True),
            geometry=kept["geometry"].to_numpy(),
            crs=WGS84,
        )
        m = len(kept_ids)
        length = _min_csr(edges["u"].to_numpy(), edges["v"].to_numpy(), edges["length_m"].to_numpy(), m)
        time = _min_csr(edges["u"].to_numpy(), edges["v"].to_numpy(), edges["time_s"].to_numpy(), m)
        report = NetworkReport(
            source=source,
            edges_in=edges_in,
            edges_unknown_class=int(unknown.sum()),
            unknown_classes=unknown_classes,
            nodes_kept=m,
            edges_kept=len(edges),
            nodes_dropped=int((used & ~keep_node).sum()),
            edges_dropped=len(dropped),
            km_dropped=float(dropped["length_m"].sum() / 1000.0),
            components=int(n_comp),
            km_kept=float(edges["length_m"].sum() / 1000.0),
        )
        return cls(
            node_ids=kept_ids,
            node_xy=np.asarray(node_xy)[keep_node],
            crs=metric,
            edges=edges,
            length=length,
            time=time,
            report=report,
        )


def _check_roads(roads, source: str) -> None:
    if not isinstance(roads, gpd.GeoDataFrame) or roads.empty:
        msg = (
            f"{source} is empty: routing needs a roads layer (import one with "
            "`xysiting import DIR --layer roads FILE`) or an OSM file"
        )
        raise InputError(msg)
    require_crs(roads, what=source, fix="set one (EPSG:4326 for lon/lat) before building a network")
    if "highway" not in roads.columns:
        msg = f"{source} has no 'highway' column (OSM road class: motorway, trunk, primary, ...)"
        raise InputError(msg)


def _add_reverse(directed: pd.DataFrame) -> pd.DataFrame:
    """Add the reverse of every two-way edge (geometry reversed to run u→v)."""
    two_way = directed.loc[~directed["oneway"].to_numpy(dtype=bool)]
    back = two_way.assign(
        u=two_way["v"].to_numpy(), v=two_way["u"].to_numpy(), geometry=shapely.reverse(two_way["geometry"].to_numpy())
    )
    return pd.concat([directed, back], ignore_index=True).drop(columns="oneway")


def _min_csr(u: NDArray, v: NDArray, w: NDArray, n: int) -> sp.csr_matrix:
    """CSR matrix of the minimum weight over parallel edges; zero weights kept as edges."""
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.r_[True, (u[1:] != u[:-1]) | (v[1:] != v[:-1])]
    u, v, w = u[first], v[first], w[first]
    indptr = np.r_[0, np.cumsum(np.bincount(u, minlength=n))]
    return sp.csr_matrix((w.astype("float64"), v.astype("int32"), indptr), shape=(n, n))


def _edge_lookup(edges: pd.DataFrame, n: int, weight: str) -> tuple[NDArray, NDArray]:
    column = {"length": "length_m", "time": "time_s"}[weight]
    u = edges["u"].to_numpy(dtype="int64")
    v = edges["v"].to_numpy(dtype="int64")
    w = edges[column].to_numpy()
    order = np.lexsort((w, v, u))
    keys = u[order] * n + v[order]
    first = np.r_[True, keys[1:] != keys[:-1]]
    return keys[first], order[first]


def _lookup(keys: NDArray, rows: NDArray, u: NDArray, v: NDArray, n: int) -> NDArray:
    wanted = np.asarray(u, dtype="int64") * n + np.asarray(v, dtype="int64")
    pos = np.searchsorted(keys, wanted)
    pos = np.clip(pos, 0, len(keys) - 1)
    found = keys[pos] == wanted
    return np.where(found, rows[pos], -1)
