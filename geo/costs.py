"""Many-to-many shortest-path cost matrices on a :class:`geo.network.RoadNetwork`.

One call of :func:`scipy.sparse.csgraph.dijkstra` with ``indices=`` computes every tree at
once, from the smaller side: from the destinations on the reversed graph when there are
fewer destinations than origins (the usual case: many waste sources, few facilities), from
the origins otherwise.  Routes are chosen by ``weight`` (shortest length by default, since
trucking cost and CO2 go with t·km); the other quantity (time, or length) is summed along
the same routes by pointer jumping over the predecessor trees, all vectorised.

The predecessor trees are kept, so the road geometry of any origin→destination route can be
rebuilt by :meth:`CostMatrix.route_geometries` (edge geometries merged along the path).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from geo.errors import InputError
from geo.network import RoadNetwork


@dataclass(eq=False)
class CostMatrix:
    """Shortest-path costs between origin and destination nodes.

    Attributes
    ----------
    origins, destinations : ndarray of int
        Node indices of the rows and columns.
    length_m : ndarray (n_origins, n_destinations)
        Route length, metres (``inf`` where unreachable).
    time_s : ndarray (n_origins, n_destinations)
        Travel time along the same routes, seconds (``inf`` where unreachable).
    weight : str
        ``"length"`` or ``"time"``: what the routes minimise.
    """

    network: RoadNetwork
    origins: NDArray
    destinations: NDArray
    length_m: NDArray
    time_s: NDArray
    weight: str
    _roots: NDArray  # unique node of each tree
    _row_of: NDArray  # for each origin (forward) or destination (reverse): its tree row
    _pred: NDArray  # (n_trees, n_nodes) predecessors
    _reverse: bool  # trees grown from destinations on the reversed graph

    def path_nodes(self, i: int, j: int) -> NDArray:
        """Node indices along the route from origin ``i`` to destination ``j`` (row/column)."""
        o, d = int(self.origins[i]), int(self.destinations[j])
        if not np.isfinite(self.length_m[i, j]):
            return np.array([], dtype="int64")
        if self._reverse:  # tree rooted at d on the reversed graph: pred points towards d
            pred = self._pred[self._row_of[j]]
            path = [o]
            while path[-1] != d:
                path.append(int(pred[path[-1]]))
            return np.asarray(path, dtype="int64")
        pred = self._pred[self._row_of[i]]
        path = [d]
        while path[-1] != o:
            path.append(int(pred[path[-1]]))
        return np.asarray(path[::-1], dtype="int64")

    def route_geometries(self, pairs_i: NDArray, pairs_j: NDArray) -> NDArray:
        """LineStrings (WGS84) of the routes for (origin row, destination column) pairs.

        Edge geometries are concatenated along the route.  A route of a single node (origin and
        destination snapped to the same node) gives ``None``, as does an unreachable pair.
        """
        network = self.network
        xy_parts: list[NDArray] = []
        line_ids: list[NDArray] = []
        result = np.full(len(pairs_i), None, dtype=object)
        ok_rows = []
        for k, (i, j) in enumerate(zip(pairs_i, pairs_j, strict=True)):
            nodes = self.path_nodes(int(i), int(j))
            if len(nodes) < 2:
                continue
            rows = network.edge_rows(nodes[:-1], nodes[1:], weight=self.weight)
            coords, which = shapely.get_coordinates(network.edges.geometry.to_numpy()[rows], return_index=True)
            # drop the first vertex of every edge but the first: it repeats the previous end
            starts = np.r_[True, which[1:] != which[:-1]]
            keep = ~starts
            keep[0] = True
            xy_parts.append(coords[keep])
            line_ids.append(np.full(int(keep.sum()), len(ok_rows)))
            ok_rows.append(k)
        if ok_rows:
            lines = shapely.linestrings(np.concatenate(xy_parts), indices=np.concatenate(line_ids))
            result[np.asarray(ok_rows)] = lines
        return result


def cost_matrix(network: RoadNetwork, origins: NDArray, destinations: NDArray, *, weight: str = "length") -> CostMatrix:
    """Shortest-path lengths and times between every origin and destination node, in one pass.

    Parameters
    ----------
    network : RoadNetwork
        The road network.
    origins, destinations : array of int
        Node indices (e.g. ``snap_points(...)["node"]``); repeats are fine.
    weight : {"length", "time"}
        What routes minimise: length (metres) or travel time (seconds).

    Returns
    -------
    CostMatrix
        ``length_m`` and ``time_s`` of shape (len(origins), len(destinations)).
    """
    if weight not in ("length", "time"):
        msg = f"weight must be 'length' or 'time', got {weight!r}"
        raise InputError(msg)
    origins = np.asarray(origins, dtype="int64").ravel()
    destinations = np.asarray(destinations, dtype="int64").ravel()
    for name, nodes in (("origin", origins), ("destination", destinations)):
        if np.any((nodes < 0) | (nodes >= network.n_nodes)):
            msg = (
                f"{name} node indices must lie in 0..{network.n_nodes - 1}; snap points with "
                "geo.snap.snap_points and drop those off the network first"
            )
            raise InputError(msg)
    n_o, n_d = len(origins), len(destinations)
    if n_o == 0 or n_d == 0:
        empty = np.empty((n_o, n_d))
        return CostMatrix(
            network,
            origins,
            destinations,
            empty,
            empty.copy(),
            weight,
            np.array([], dtype="int64"),
            np.array([], dtype="int64"),
            np.empty((0, network.n_nodes), dtype="int32"),
            False,
        )
    primary = network.length if weight == "length" else network.time
    reverse = len(np.unique(destinations)) < len(np.unique(origins))
    roots_from, targets = (destinations, origins) if reverse else (origins, destinations)
    roots, row_of = np.unique(roots_from, return_inverse=True)
    graph = primary.T.tocsr() if reverse else primary
    dist, pred = dijkstra(graph, directed=True, indices=roots, return_predecessors=True)
    other = _sum_along_trees(network, pred, roots, reverse=reverse, weight=weight)
    main_at = dist[:, targets]  # (n_roots, n_targets)
    other_at = other[:, targets]
    main_m = main_at[row_of]  # (n_from, n_targets)
    other_m = other_at[row_of]
    if reverse:
        main_m, other_m = main_m.T, other_m.T
    length_m, time_s = (main_m, other_m) if weight == "length" else (other_m, main_m)
    return CostMatrix(
        network,
        origins,
        destinations,
        np.ascontiguousarray(length_m),
        np.ascontiguousarray(time_s),
        weight,
        roots,
        row_of.ravel(),
        pred.astype("int32"),
        reverse,
    )


def _sum_along_trees(network: RoadNetwork, pred: NDArray, roots: NDArray, *, reverse: bool, weight: str) -> NDArray:
    """Sum the non-routing weight along every tree path (pointer jumping, vectorised).

    Each node keeps a pointer to an ancestor and the sum of the weight up to it; every round
    doubles the jump, so a tree of depth D takes about log2(D) rounds.
    """
    n_trees, n = pred.shape
    column = "time_s" if weight == "length" else "length_m"
    values = network.edges[column].to_numpy(dtype="float64")
    node = np.broadcast_to(np.arange(n), pred.shape)
    has_pred = pred >= 0
    tail = node[has_pred] if reverse else pred[has_pred]
    head = pred[has_pred] if reverse else node[has_pred]
    rows = network.edge_rows(tail, head, weight=weight)
    total = np.zeros(pred.shape)
    total[has_pred] = values[rows]
    offset = (np.arange(n_trees, dtype="int64") * n)[:, None]
    anc = (np.where(has_pred, pred, node) + offset).ravel()
    total = total.ravel()
    while True:
        nxt = anc[anc]
        if np.array_equal(nxt, anc):
            break
        total += total[anc]
        anc = nxt
    total = total.reshape(pred.shape)
    reached = has_pred.copy()
    reached[np.arange(n_trees), roots] = True
    return np.where(reached, total, np.inf)


@dataclass(eq=False)
class PointCostMatrix:
    """Costs between snapped points (see :func:`point_cost_matrix`).

    Attributes
    ----------
    length_m, time_s : ndarray (n_origins, n_destinations)
        Along the road network from the origin's snap point to the destination's, metres and
        seconds (``inf`` where unreachable); the straight access legs are not included.
    weight : str
        What the routes minimise.
    """

    length_m: NDArray
    time_s: NDArray
    weight: str
    _nodes: CostMatrix
    _combo: NDArray
    _origin: dict
    _dest: dict

    def route_geometries(self, pairs_i: NDArray, pairs_j: NDArray) -> NDArray:
        """LineStrings (WGS84) from each origin's snap point to the destination's, along roads."""
        from shapely.ops import substring

        network = self._nodes.network
        geoms = network.edges.geometry.to_numpy()
        n_o = len(self.length_m)
        n_d = self.length_m.shape[1] if self.length_m.ndim == 2 else 0
        out = np.full(len(pairs_i), None, dtype=object)
        for k, (i, j) in enumerate(zip(pairs_i, pairs_j, strict=True)):  # one per flow
            combo = int(self._combo[i, j])
            if combo < 0:
                continue
            es, fs, rs = (int(self._origin["edge"][i]), float(self._origin["along"][i]), int(self._origin["rev"][i]))
            ed, fd, rd = (int(self._dest["edge"][j]), float(self._dest["along"][j]), int(self._dest["rev"][j]))
            parts = []
            if combo == 4:  # along one edge
                pos = fs if ed == es else 1.0 - fs
                parts.append(substring(geoms[ed], pos, fd, normalized=True))
            else:
                a, b = divmod(combo, 2)
                if es >= 0:
                    parts.append(
                        substring(geoms[es], fs, 1.0, normalized=True)
                        if a == 0
                        else substring(geoms[rs], 1.0 - fs, 1.0, normalized=True)
                    )
                parts.append(self._nodes.route_geometries(np.array([i + a * n_o]), np.array([j + b * n_d]))[0])
                if ed >= 0:
                    parts.append(
                        substring(geoms[ed], 0.0, fd, normalized=True)
                        if b == 0
                        else substring(geoms[rd], 0.0, 1.0 - fd, normalized=True)
                    )
            coords = [shapely.get_coordinates(p) for p in parts if p is not None and not p.is_empty]
            xy = np.vstack(coords) if coords else np.empty((0, 2))
            if len(xy):
                keep = np.r_[True, np.any(np.diff(xy, axis=0) != 0, axis=1)]
                xy = xy[keep]
            if len(xy) >= 2:
                out[k] = shapely.linestrings(xy)
        return out


def _attachments(network: RoadNetwork, snap, *, outgoing: bool) -> dict:
    """Nodes and partial-edge offsets by which snapped points leave (or reach) the network."""
    node = np.asarray(snap["node"], dtype="int64")
    edge = np.asarray(snap["edge"], dtype="int64") if "edge" in snap else np.full(len(node), -1)
    along = np.asarray(snap["along"], dtype="float64") if "along" in snap else np.zeros(len(node))
    on_edge = edge >= 0
    safe = np.where(on_edge, edge, 0)
    rev = np.where(on_edge, network.reverse_edge[safe], -1)
    u = network.edges["u"].to_numpy()
    v = network.edges["v"].to_numpy()
    length = network.edges["length_m"].to_numpy()
    time = network.edges["time_s"].to_numpy()
    has_rev = rev >= 0
    rsafe = np.where(has_rev, rev, 0)
    # attachment 0: along the snapped edge's own direction; 1: along its reverse (two-way roads)
    if outgoing:  # leave towards v along the edge, or towards u along the reverse edge
        nodes = (np.where(on_edge, v[safe], node), np.where(on_edge, u[safe], node))
        frac = (1.0 - along, along)
    else:  # arrive from u along the edge, or from v along the reverse edge
        nodes = (np.where(on_edge, u[safe], node), np.where(on_edge, v[safe], node))
        frac = (along, 1.0 - along)
    len0 = np.where(on_edge, frac[0] * length[safe], 0.0)
    time0 = np.where(on_edge, frac[0] * time[safe], 0.0)
    len1 = np.where(on_edge & has_rev, frac[1] * length[rsafe], np.inf)
    time1 = np.where(on_edge & has_rev, frac[1] * time[rsafe], np.inf)
    return {"nodes": nodes, "length": (len0, len1), "time": (time0, time1), "edge": edge, "along": along, "rev": rev}


def point_cost_matrix(network: RoadNetwork, origins, destinations, *, weight: str = "length") -> PointCostMatrix:
    """Road costs between points snapped by :func:`geo.snap.snap_points` (edge or node).

    A point snapped to an edge leaves it by driving to the edge's end (or, on a two-way road,
    to its start along the reverse edge) and is reached likewise; the best of the four
    combinations is kept, and two points on the same road use it directly when the direction
    allows.  Node costs come from one :func:`cost_matrix` pass over the attachment nodes.

    Parameters
    ----------
    origins, destinations : pandas.DataFrame
        Rows of ``snap_points`` output for points on the network (``node``, ``edge``,
        ``along``).
    weight : {"length", "time"}
        What routes minimise.
    """
    o = _attachments(network, origins, outgoing=True)
    d = _attachments(network, destinations, outgoing=False)
    n_o, n_d = len(o["edge"]), len(d["edge"])
    nodes = cost_matrix(
        network, np.r_[o["nodes"][0], o["nodes"][1]], np.r_[d["nodes"][0], d["nodes"][1]], weight=weight
    )
    main_key, other_key = ("length", "time") if weight == "length" else ("time", "length")
    main_nodes = nodes.length_m if weight == "length" else nodes.time_s
    other_nodes = nodes.time_s if weight == "length" else nodes.length_m
    mains, others = [], []
    for a in (0, 1):
        for b in (0, 1):
            block = (slice(a * n_o, (a + 1) * n_o), slice(b * n_d, (b + 1) * n_d))
            mains.append(o[main_key][a][:, None] + main_nodes[block] + d[main_key][b][None, :])
            others.append(o[other_key][a][:, None] + other_nodes[block] + d[other_key][b][None, :])
    mains = np.stack(mains) if n_o and n_d else np.empty((4, n_o, n_d))
    others = np.stack(others) if n_o and n_d else np.empty((4, n_o, n_d))
    combo = np.argmin(mains, axis=0) if n_o and n_d else np.zeros((n_o, n_d), dtype="int64")
    best = np.take_along_axis(mains, combo[None], axis=0)[0]
    other = np.take_along_axis(others, combo[None], axis=0)[0]
    # both points on one road: drive along it when the destination lies ahead
    same_edge = (o["edge"][:, None] == d["edge"][None, :]) & (o["edge"][:, None] >= 0)
    same_rev = (o["rev"][:, None] == d["edge"][None, :]) & (o["rev"][:, None] >= 0)
    si, dj = np.nonzero(same_edge | same_rev)
    if len(si):
        ed = d["edge"][dj]
        pos = np.where(same_edge[si, dj], o["along"][si], 1.0 - o["along"][si])
        ahead = d["along"][dj] >= pos
        span = d["along"][dj] - pos
        direct = {
            "length": span * network.edges["length_m"].to_numpy()[ed],
            "time": span * network.edges["time_s"].to_numpy()[ed],
        }
        better = ahead & (direct[main_key] < best[si, dj])
        si, dj = si[better], dj[better]
        best[si, dj] = direct[main_key][better]
        other[si, dj] = direct[other_key][better]
        combo[si, dj] = 4
    combo = np.where(np.isfinite(best), combo, -1)
    length_m, time_s = (best, other) if weight == "length" else (other, best)
    return PointCostMatrix(length_m, time_s, weight, nodes, combo.astype("int8"), o, d)
