"""Benchmark: many-to-many road costs and the allocation LP at city scale.

A synthetic grid-like road graph (jittered vertices, mixed road classes, a few one-way rows)
of at least 200,000 directed edges; 5,000 waste sources × 100 facilities.

Prints the median wall time of the cost matrix (snap + one csgraph pass + time along routes),
the per-pair networkx time on a sample and the implied speed-up for the full matrix, the
allocation LP solve time (500,000 flow variables: network simplex with a dual certificate, and
with ``--highs`` also the HiGHS path and the relative difference of the two optima) and peak
memory.  Writes nothing.

Run:  python -m benchmarks.bench_routing [--side 230] [--repeat 3] [--highs]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from geo.costs import cost_matrix, point_cost_matrix
from geo.network import RoadNetwork
from geo.snap import snap_points
from siting.waste._lp import default_penalty, solve_transport

UTM = "EPSG:32649"


def synthetic_grid(side: int, spacing_m: float, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """side×side jittered grid: one LineString per row and per column sharing vertices."""
    x0, y0 = 650_000.0, 3_500_000.0
    gx, gy = np.meshgrid(np.arange(side) * spacing_m, np.arange(side) * spacing_m)
    jitter = rng.uniform(-0.2, 0.2, (2, side, side)) * spacing_m
    xs, ys = x0 + gx + jitter[0], y0 + gy + jitter[1]
    rows = [shapely.LineString(np.column_stack([xs[i], ys[i]])) for i in range(side)]
    cols = [shapely.LineString(np.column_stack([xs[:, j], ys[:, j]])) for j in range(side)]
    classes = np.array(["residential", "tertiary", "secondary", "primary", "trunk"])
    highway = classes[rng.integers(0, len(classes), 2 * side)]
    oneway = np.zeros(2 * side, dtype=bool)
    oneway[rng.choice(side, side // 20, replace=False)] = True
    return gpd.GeoDataFrame(
        {"highway": highway, "oneway": oneway, "source": "synthetic"}, geometry=rows + cols, crs=UTM
    )


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=230, help="grid nodes per side")
    parser.add_argument("--sources", type=int, default=5000)
    parser.add_argument("--facilities", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=20, help="networkx sample pairs")
    parser.add_argument(
        "--highs", action="store_true", help="also time the HiGHS path of the allocation LP (slower; reference)"
    )
    args = parser.parse_args()
    rng = np.random.default_rng(42)
    spacing = 400.0

    t = time.perf_counter()
    roads = synthetic_grid(args.side, spacing, rng)
    net = RoadNetwork.from_lines(roads)
    build_s = time.perf_counter() - t
    print(f"network: {net.n_nodes:,} nodes, {net.n_edges:,} directed edges (built in {build_s:.1f} s); {net.report}")
    assert net.n_edges >= 200_000, "the benchmark needs at least 200,000 edges"

    extent = (args.side - 1) * spacing
    x0, y0 = 650_000.0, 3_500_000.0

    def random_points(n):
        xy = rng.uniform(0, extent, (n, 2)) + np.array([x0, y0])
        return gpd.GeoSeries(shapely.points(xy), crs=UTM)

    src_pts, fac_pts = random_points(args.sources), random_points(args.facilities)

    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        src = snap_points(net, src_pts, method="node")
        fac = snap_points(net, fac_pts, method="node")
        cm = cost_matrix(net, src["node"].to_numpy(), fac["node"].to_numpy())
        times.append(time.perf_counter() - t)
    matrix_s = statistics.median(times)
    print(
        f"cost matrix {args.sources:,} × {args.facilities} (node snapping + distance + time): "
        f"median {matrix_s:.2f} s over {args.repeat} runs ({', '.join(f'{x:.2f}' for x in times)})"
    )
    edge_times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        src_e = snap_points(net, src_pts, method="edge")
        fac_e = snap_points(net, fac_pts, method="edge")
        point_cost_matrix(net, src_e, fac_e)
        edge_times.append(time.perf_counter() - t)
    print(
        f"point cost matrix (edge snapping, 4 attachments per pair): median "
        f"{statistics.median(edge_times):.2f} s over {args.repeat} runs"
    )

    graph = net.graph  # osmnx MultiDiGraph of the same network
    pair_rng = np.random.default_rng(7)
    si = pair_rng.integers(0, args.sources, args.pairs)
    fi = pair_rng.integers(0, args.facilities, args.pairs)
    t = time.perf_counter()
    for i, j in zip(si, fi, strict=True):
        o, d = net.node_ids[src["node"].iloc[i]], net.node_ids[fac["node"].iloc[j]]
        ref = nx.shortest_path_length(graph, o, d, weight="length")
        assert abs(ref - cm.length_m[i, j]) <= 1e-6 * max(ref, 1.0)
    per_pair = (time.perf_counter() - t) / args.pairs
    full_nx = per_pair * args.sources * args.facilities
    print(
        f"networkx per pair: {per_pair * 1000:.1f} ms (sample of {args.pairs}, all equal to the "
        f"matrix) -> {full_nx / 3600:.1f} h for the full matrix; speed-up {full_nx / matrix_s:,.0f}×"
    )

    supply = rng.lognormal(8.0, 1.0, args.sources)
    capacity = np.full(args.facilities, supply.sum() * 0.9 / args.facilities)
    fees = rng.uniform(0, 40, args.facilities)
    cost = cm.length_m / 1000.0 * 0.45 + fees[None, :]
    penalty = default_penalty(cost)
    t = time.perf_counter()
    import ot.lp  # noqa: F401 - timed apart: a one-off cost per process

    print(f"import of POT (network simplex), once per process: {time.perf_counter() - t:.1f} s")
    lp_times = []
    for _ in range(args.repeat):
        sol = solve_transport(cost, supply, capacity, penalty=penalty)
        lp_times.append(sol.solve_s)
    print(
        f"allocation LP ({args.sources * args.facilities:,} flow variables): median "
        f"{statistics.median(lp_times):.2f} s over {args.repeat} runs "
        f"({', '.join(f'{x:.2f}' for x in lp_times)}); {sol.status}; delivered "
        f"{sol.flow.sum():,.0f} of {supply.sum():,.0f} t, unmet {sol.unmet.sum():,.0f} t, "
        f"objective {sol.objective:,.2f}"
    )
    if args.highs:
        highs_times = []
        for _ in range(args.repeat):
            ref = solve_transport(cost, supply, capacity, penalty=penalty, method="highs")
            highs_times.append(ref.solve_s)
        rel = abs(ref.objective - sol.objective) / abs(ref.objective)
        print(
            f"allocation LP, HiGHS path: median {statistics.median(highs_times):.2f} s over "
            f"{args.repeat} runs ({', '.join(f'{x:.2f}' for x in highs_times)}); {ref.status}; "
            f"objective {ref.objective:,.2f}, relative difference {rel:.1e}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
