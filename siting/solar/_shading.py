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

Pairs are found and folded in one compiled pass (:func:`numba.njit`, no pair list in memory):
the centroids are sorted into square grid cells; each possible obstructor ``j`` (taller than
the lowest roof) scans the cells within its reach — the farthest centroid distance at which
it can still rise above ``min_elevation_deg`` over the lowest roof, ``(h_j - h_min) /
tan(min_elevation_deg) + r_short_j``, capped at ``max_distance_m`` — and tests every roof
there.  The per-(rooftop, sector) maximum is kept in place.  The loss itself comes from the
per-class shading tables of :mod:`siting.solar._yield`.

Limits: roofs are points at their centroid (a large roof partly shaded counts as wholly at
its centre); trees, terrain and roof furniture are ignored; a pitched roof's own ridge is
ignored; the loss is applied to the year, so winter-heavy shading is averaged.
"""

from __future__ import annotations

import queue
import threading

import numba
import numpy as np

#: Grid cell side for the neighbour scan, m (a building scans about (2·reach / CELL_M + 1)² cells).
CELL_M = 50.0


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
    chunk: int = 32_768,
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
        Obstructors per compiled call (threads take batches as they go).
    threads : int
        Threads sharing the batches (the compiled scan releases the GIL), each with its own
        horizon array merged by maximum.  Default 1: partition-wise runs use processes.

    Returns
    -------
    ndarray, shape (n, sectors), float32
        0 where nothing rises above ``min_elevation_deg``.
    """
    scan = HorizonScan(
        x,
        y,
        height_m,
        half_long_m,
        half_short_m,
        sectors=sectors,
        min_elevation_deg=min_elevation_deg,
        max_distance_m=max_distance_m,
        chunk=chunk,
        background=threads - 1,
    )
    return scan.result()


class HorizonScan:
    """:func:`horizon_profile` started on background threads, joined by :meth:`result`.

    The scan is split into batches of ``chunk`` obstructors; ``background`` threads start
    taking batches at once (the compiled scan releases the GIL, so the caller goes on with
    other work meanwhile), and :meth:`result` takes the batches still left on the calling
    thread, waits for the others and merges their horizons by maximum.  Whichever thread
    folds a batch, the result is the same.  Parameters as :func:`horizon_profile`.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        height_m: np.ndarray,
        half_long_m: np.ndarray,
        half_short_m: np.ndarray,
        *,
        sectors: int = 16,
        min_elevation_deg: float = 10.0,
        max_distance_m: float = 300.0,
        chunk: int = 32_768,
        background: int = 0,
    ):
        n = len(x)
        self.n, self.sectors = n, sectors
        self._arrays: list[np.ndarray] = []
        self._threads: list[threading.Thread] = []
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._order = None
        self._done = False
        if n < 2:
            return
        x = np.ascontiguousarray(x, dtype=float)
        y = np.ascontiguousarray(y, dtype=float)
        h = np.ascontiguousarray(height_m, dtype=float)
        r = np.ascontiguousarray(half_long_m, dtype=float)
        r_short = np.ascontiguousarray(half_short_m, dtype=float)
        tan_min = np.tan(np.radians(max(min_elevation_deg, 0.1)))
        # farthest centroid distance at which j can still rise min_elevation_deg above the lowest
        # roof: (h_j - h_min) / tan + r_short_j (its near wall); pairs beyond fail that test anyway
        reach = np.minimum((h - h.min()) / tan_min + r_short, max_distance_m)
        obstructors = np.flatnonzero(h > h.min())
        if len(obstructors) == 0:
            return
        # centroids sorted by grid cell (row-major key): each cell row is one contiguous run
        x0, y0 = float(x.min()), float(y.min())
        nx = int((x.max() - x0) // CELL_M) + 1
        ny = int((y.max() - y0) // CELL_M) + 1
        keys = np.floor((y - y0) / CELL_M).astype(np.int64) * nx + np.floor((x - x0) / CELL_M).astype(np.int64)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        row_start = np.searchsorted(sorted_keys, np.arange(ny + 1, dtype=np.int64) * nx)  # first of each cell row
        # everything in cell order: the scans read contiguous memory; the horizon is put back last
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        js_sorted = np.sort(rank[obstructors])
        for start in range(0, len(js_sorted), chunk):
            self._tasks.put(js_sorted[start : start + chunk])
        tan_keep = float(np.tan(np.radians(min_elevation_deg)))
        self._args = (
            x[order],
            y[order],
            h[order],
            r[order],
            r_short[order],
            reach[order],
            sorted_keys,
            row_start,
            x0,
            y0,
            CELL_M,
            nx,
            ny,
            sectors,
            tan_keep,
        )
        self._order = order
        for _ in range(max(0, min(int(background), -(-len(js_sorted) // chunk) - 1))):
            thread = threading.Thread(target=self._work, args=(self._new_array(),), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _new_array(self) -> np.ndarray:
        hz = np.zeros(self.n * self.sectors, dtype=np.float32)
        self._arrays.append(hz)
        return hz

    def _work(self, hz: np.ndarray) -> None:
        while True:  # batches of buildings, each one compiled call (releases the GIL)
            try:
                js = self._tasks.get_nowait()
            except queue.Empty:
                return
            _fold(js, *self._args[:15], hz)

    def result(self) -> np.ndarray:
        """The horizons, shape (n, sectors), float32 (folds the batches left, then merges).

        Call it once: the scan's arrays are released.
        """
        if self._done:
            msg = "HorizonScan.result() was already called"
            raise RuntimeError(msg)
        self._done = True
        if self._order is None:
            return np.zeros((self.n, self.sectors), dtype=np.float32)
        self._work(self._new_array())
        for thread in self._threads:
            thread.join()
        horizon = self._arrays[0]
        for extra in self._arrays[1:]:
            np.maximum(horizon, extra, out=horizon)
        out = np.empty((self.n, self.sectors), dtype=np.float32)
        out[self._order] = horizon.reshape(self.n, self.sectors)
        self._arrays, self._args, self._order = [], None, None
        return out


@numba.njit(cache=True, nogil=True)
def _fold(js, x, y, h, r, r_short, reach, sorted_keys, row_start, x0, y0, cell, nx, ny, sectors, tan_keep, horizon):
    """Fold every (rooftop i, obstructor j in ``js``) pair within j's reach into ``horizon``.

    Every array is in grid-cell order (``sorted_keys``); ``js`` are positions in that order;
    ``row_start[cy]`` is the first position in cell row ``cy`` (a row is searched alone).

    Per pair, as the numpy formulation: ``dh = h_j - h_i > 0``; ``dist = max(d - r_short_j,
    1)``; kept if ``dh ≥ tan(min elevation) · dist``; elevation ``atan(dh / dist)``;
    bearing ``atan2(dx, dy)``; half-width ``atan(r_long_j / max(d, 1))``; every sector the
    arc touches takes the maximum elevation (float32).  Two cheap tests on squared
    distances (with a margin of 1e-9 for rounding) skip pairs that cannot pass the exact
    tests, which are then made as written above.
    """
    width = 360.0 / sectors
    margin = 1.0 + 1e-9
    for jj in range(len(js)):
        j = js[jj]
        xj, yj, hj, rj, rsj, reach_j = x[j], y[j], h[j], r[j], r_short[j], reach[j]
        cx0 = max(int(np.floor((xj - reach_j - x0) / cell)), 0)
        cx1 = min(int(np.floor((xj + reach_j - x0) / cell)), nx - 1)
        cy0 = max(int(np.floor((yj - reach_j - y0) / cell)), 0)
        cy1 = min(int(np.floor((yj + reach_j - y0) / cell)), ny - 1)
        reach2 = reach_j * reach_j * margin
        for cy in range(cy0, cy1 + 1):
            a, b = row_start[cy], row_start[cy + 1]
            if a == b:
                continue
            row = sorted_keys[a:b]
            lo = a + np.searchsorted(row, cy * nx + cx0, side="left")
            hi = a + np.searchsorted(row, cy * nx + cx1, side="right")
            for i in range(lo, hi):
                dh = hj - h[i]
                if dh < tan_keep:  # kept pairs have dh ≥ tan_keep · dist and dist ≥ 1
                    continue
                dx = xj - x[i]
                dy = yj - y[i]
                d2 = dx * dx + dy * dy
                if d2 > reach2:
                    continue
                lim = dh / tan_keep + rsj  # kept pairs have d - r_short_j ≤ dh / tan_keep
                if d2 > lim * lim * margin:
                    continue
                dc = np.hypot(dx, dy)
                if dc > reach_j:
                    continue
                dist = max(dc - rsj, 1.0)
                if not dh >= tan_keep * dist:
                    continue
                elev = np.float32(np.degrees(np.arctan(dh / dist)))
                bearing = np.degrees(np.arctan2(dx, dy)) % 360.0
                half = np.degrees(np.arctan(rj / max(dc, 1.0)))
                k0 = int(np.floor((bearing - half) / width))
                k1 = int(np.floor((bearing + half) / width))
                count = min(k1 - k0 + 1, sectors)
                base = i * sectors
                k = k0 % sectors
                for _ in range(count):
                    if elev > horizon[base + k]:
                        horizon[base + k] = elev
                    k += 1
                    if k == sectors:
                        k = 0


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
