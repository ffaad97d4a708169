"""Private helper: turn road lines into a noded edge list."""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray


def node_lines(lines_xy: NDArray, *, tolerance_m: float) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
    """Split metric LineStrings wherever a vertex is shared or a line ends.

    Parameters
    ----------
    lines_xy : array of shapely LineString
        Lines in a metric CRS (one per input row, no multi-parts).
    tolerance_m : float
        Vertices falling in the same grid cell of this size are taken as the same node.

    Returns
    -------
    seg_line : int array
        For every output segment, the position of the input line it came from.
    seg_geoms : array of LineString
        The segments (metric CRS), each running between two nodes.
    seg_u, seg_v : int array
        Node numbers at each segment's start and end (indices into ``node_xy``).
    node_xy : float array (n, 2)
        Coordinates of every distinct vertex (metric CRS); only those named in
        ``seg_u``/``seg_v`` are nodes of the graph.
    """
    coords, line_of = shapely.get_coordinates(lines_xy, return_index=True)
    if len(coords) == 0:
        empty = np.array([], dtype="int64")
        return empty, np.array([], dtype=object), empty, empty, np.empty((0, 2))
    grid = np.round(coords / tolerance_m).astype("int64")
    _, first_idx, vertex = np.unique(grid, axis=0, return_index=True, return_inverse=True)
    vertex = vertex.ravel()
    node_xy = coords[first_idx]
    starts = np.r_[True, line_of[1:] != line_of[:-1]]
    ends = np.r_[line_of[1:] != line_of[:-1], True]
    # A vertex is a node if it is used more than once (shared by lines or revisited) or ends a line.
    is_node_vertex = np.bincount(vertex, minlength=len(node_xy)) >= 2
    is_node_vertex[vertex[starts]] = True
    is_node_vertex[vertex[ends]] = True
    is_node = is_node_vertex[vertex]
    # Each node row that is not a line end starts a segment; interior nodes also close the
    # previous one, so they are emitted twice.
    breaks = is_node & ~ends
    seg_of_row = np.cumsum(breaks) - 1
    dup_rows = np.flatnonzero(is_node & ~starts & ~ends)
    all_rows = np.concatenate([np.arange(len(coords)), dup_rows])
    all_seg = np.concatenate([seg_of_row, seg_of_row[dup_rows] - 1])
    order = np.lexsort((all_rows, all_seg))
    all_rows, all_seg = all_rows[order], all_seg[order]
    first = np.r_[True, all_seg[1:] != all_seg[:-1]]
    last = np.r_[all_seg[1:] != all_seg[:-1], True]
    counts = np.diff(np.r_[np.flatnonzero(first), len(all_rows)])
    if np.any(counts < 2):  # pragma: no cover - cannot happen for valid LineStrings
        msg = "internal error: a road segment with fewer than two vertices"
        raise RuntimeError(msg)
    _, seg_index = np.unique(all_seg, return_inverse=True)
    geoms = shapely.linestrings(coords[all_rows], indices=seg_index.ravel())
    return (line_of[all_rows[first]], geoms, vertex[all_rows[first]], vertex[all_rows[last]], node_xy)
