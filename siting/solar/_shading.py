"""Horizon profiles of rooftops from taller neighbouring buildings, vectorised.

Geometric model (simple, documented; NREL's rooftop method uses a 70 % threshold on
the shaded/unshaded output, Gagnon et al. 2016, FACTS.md):

* Each building is its footprint centroid ``(x, y)`` in a metric CRS, its roof height ``h``
  and the half-sides of its bounding box in that CRS: ``r_long`` (half the longer side) and
  ``r_short`` (half the shorter side).
* A neighbour ``j`` obstructs rooftop ``i`` when ``h_j > h_i``.  Its distance is the
  centroid distance less ``r_short_j`` (its near wall; at least 1 m), its elevation angle
  ``atan((h_j - h_i) / distance)``, its bearing (clockwise from north) and angular half-width
  ``atan(r_long_j / centroid distance)`` (a long slab hides a wide arc of the sky).
* The horizon of ``i`` in each azimuth sector is the highest elevation among the neighbours
  overlapping that sector.  Obstructions lower than ``min_elevation_deg`` are ignored, and so
  neighbours farther than ``max_distance_m``.

Pairs come from fixed-radius joins of :class:`scipy.spatial.cKDTree` s of the centroids
(``sparse_distance_matrix``, faster than a shapely ``STRtree`` ``dwithin`` query for points
here): possible obstructors are sorted by reach — the farthest centroid distance at which a
building ``j`` can still rise above ``min_elevation_deg`` over the lowest roof, ``(h_j -
h_min) / tan(min_elevation_deg) + r_short_j``, capped at ``max_distance_m`` — and cut into
batches; each batch is joined with every centroid at its largest reach, then pairs beyond
the building's own reach dropped (they could not pass the elevation test).
The per-(rooftop, sector) maximum is a ``numpy.maximum.at`` over the pair list.  The loss
itself comes from the per-class shading tables of :mod:`siting.solar._yield`.

Limits: roofs are points at their centroid (a large roof partly shaded counts as wholly at
its centre); trees, terrain and roof furniture are ignored; a pitched roof's own ridge is
ignored; the loss is applied to the year, so winter-heavy shading is averaged.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.spatial import cKDTree


def horizon_profile(
    x: np.ndarray,
    y: np.ndarray,
    height_m: np.ndarray,
    half_long_m: np.ndarray,
    half_short_m: np.ndarray,
    *,
    sectors: int = 16,
    min_elevation_deg: float = 10.0,
    max_distance_m: float = 300.0,
    chunk: int = 8_192,
    threads: int = 1,
) -> np.ndarray:
    """Horizon elevation (degrees) per rooftop and azimuth sector.

    Parameters
    ----------
    x, y : ndarray
        Footprint centroids in a metric CRS, m.
    height_m : ndarray
        Roof heights, m.
    half_long_m, half_short_m : ndarray
        Half the longer and shorter side of each footprint's bounding box, m.
    sectors : int
        Azimuth sectors (sector k spans k·360/sectors to (k+1)·360/sectors degrees from north).
    min_elevation_deg, max_distance_m : float
        Obstructions lower or farther are ignored.
    chunk : int
        Obstructors queried per batch (bounds memory; batches of similar reach).
    threads : int
        Threads sharing the batches, each with its own horizon array merged by maximum.  On
        the shared 2-core test machine 2 threads were no faster than 1 (the KD-tree join holds
        the GIL for much of its work), hence the default 1.

    Returns
    -------
    ndarray, shape (n, sectors), float32
        0 where nothing rises above ``min_elevation_deg``.
    """
    n = len(x)
    horizon = np.zeros(n * sectors, dtype=np.float32)
    if n < 2:
        return horizon.reshape(n, sectors)
    h = np.asarray(height_m, dtype=float)
    r = np.asarray(half_long_m, dtype=float)
    r_short = np.asarray(half_short_m, dtype=float)
    tan_min = np.tan(np.radians(max(min_elevation_deg, 0.1)))
    # farthest centroid distance at which j can still rise min_elevation_deg above the lowest
    # roof: (h_j - h_min) / tan + r_short_j (its near wall); pairs beyond fail that test anyway
    reach = np.minimum((h - h.min()) / tan_min + r_short, max_distance_m)
    obstructors = np.flatnonzero(h > h.min())
    if len(obstructors) == 0:
        return horizon.reshape(n, sectors)
    xy = np.column_stack([x, y])
    tree_all = cKDTree(xy)
    width = 360.0 / sectors
    # obstructors sorted by reach and cut into batches: each batch is one fixed-radius KD-tree
    # join at its largest reach, so few pairs beyond a building's own reach are generated
    obstructors = obstructors[np.argsort(reach[obstructors], kind="stable")]
    tasks = [
        (float(reach[members[-1]]), members)
        for members in (obstructors[start : start + chunk] for start in range(0, len(obstructors), chunk))
    ]

    def work(share: list, hz: np.ndarray) -> None:
        for radius, js in share:  # batches of buildings, each vectorised
            pairs = cKDTree(xy[js]).sparse_distance_matrix(tree_all, radius, output_type="ndarray")
            j = js[pairs["i"]]
            i = pairs["j"].astype(np.int64)
            near = pairs["v"] <= reach[j]
            _accumulate(hz, i[near], j[near], x, y, h, r, r_short, sectors, width, min_elevation_deg)

    # optional threads: each folds its share of batches into its own horizon array
    n_threads = max(1, min(threads, len(tasks)))
    if n_threads == 1:
        work(tasks, horizon)
    else:
        arrays = [horizon] + [np.zeros_like(horizon) for _ in range(n_threads - 1)]
        with ThreadPoolExecutor(n_threads) as pool:
            list(pool.map(work, [tasks[k::n_threads] for k in range(n_threads)], arrays))
        for extra in arrays[1:]:
            np.maximum(horizon, extra, out=horizon)
    return horizon.reshape(n, sectors)


def _accumulate(
    horizon: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    h: np.ndarray,
    r: np.ndarray,
    r_short: np.ndarray,
    sectors: int,
    width: float,
    min_elevation_deg: float,
) -> None:
    """Fold obstruction pairs (rooftop i, obstructor j) into the flat horizon array."""
    dh = h[j] - h[i]
    keep = dh > 0
    i, j, dh = i[keep], j[keep], dh[keep]
    dx, dy = x[j] - x[i], y[j] - y[i]
    dc = np.hypot(dx, dy)
    dist = np.maximum(dc - r_short[j], 1.0)
    keep = dh >= np.tan(np.radians(min_elevation_deg)) * dist  # elevation ≥ the minimum
    i, j, dx, dy, dc = i[keep], j[keep], dx[keep], dy[keep], dc[keep]
    if len(i) == 0:
        return
    elev = np.degrees(np.arctan(dh[keep] / dist[keep]))
    bearing = np.degrees(np.arctan2(dx, dy)) % 360.0
    half = np.degrees(np.arctan(r[j] / np.maximum(dc, 1.0)))
    k0 = np.floor((bearing - half) / width).astype(np.int64)
    k1 = np.floor((bearing + half) / width).astype(np.int64)
    count = np.minimum(k1 - k0 + 1, sectors)
    rep = np.repeat(np.arange(len(i)), count)
    offset = np.arange(len(rep)) - np.repeat(np.cumsum(count) - count, count)
    sector = (k0[rep] + offset) % sectors
    np.maximum.at(horizon, i[rep] * sectors + sector, elev[rep].astype(np.float32))


def shading_factor(horizon_deg: np.ndarray, class_index: np.ndarray, shade_table: np.ndarray) -> np.ndarray:
    """Share of unshaded output kept (0–1) from horizon profiles and per-class tables.

    Parameters
    ----------
    horizon_deg : ndarray, shape (n, sectors)
        From :func:`horizon_profile`.
    class_index : ndarray, shape (n,)
        Orientation class of each rooftop (row of ``shade_table``).
    shade_table : ndarray, shape (classes, sectors, 91)
        Lost fraction of annual effective irradiance per sector and horizon elevation.
    """
    n, sectors = horizon_deg.shape
    factor = np.ones(n)
    shaded = np.flatnonzero(horizon_deg.max(axis=1) > 0) if n else np.array([], dtype=int)
    if len(shaded) == 0:
        return factor
    ebin = np.clip(np.floor(horizon_deg[shaded]), 0, shade_table.shape[2] - 1).astype(np.int64)
    loss = shade_table[class_index[shaded][:, None], np.arange(sectors)[None, :], ebin].sum(axis=1)
    factor[shaded] = np.clip(1.0 - loss, 0.0, 1.0)
    return factor
