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

_NO_PRED = -9999  # scipy's marker for "no predecessor"


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
            coords, which = shapely.get_coordinates(network.edges.geometry.to_numpy()[rows],
                                                    return_index=True)
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


def cost_matrix(network: RoadNetwork, origins: NDArray, destinations: NDArray, *,
                weight: str = "length") -> CostMatrix:
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
            msg = (f"{name} node indices must lie in 0..{network.n_nodes - 1}; snap points with "
                   "geo.snap.snap_points and drop those off the network first")
            raise InputError(msg)
    n_o, n_d = len(origins), len(destinations)
    if n_o == 0 or n_d == 0:
        empty = np.empty((n_o, n_d))
        return CostMatrix(network, origins, destinations, empty, empty.copy(), weight,
                          np.array([], dtype="int64"), np.array([], dtype="int64"),
                          np.empty((0, network.n_nodes), dtype="int32"), False)
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
    return CostMatrix(network, origins, destinations, np.ascontiguousarray(length_m),
                      np.ascontiguousarray(time_s), weight, roots, row_of.ravel(),
                      pred.astype("int32"), reverse)


def _sum_along_trees(network: RoadNetwork, pred: NDArray, roots: NDArray, *, reverse: bool,
                     weight: str) -> NDArray:
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
