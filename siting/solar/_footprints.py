"""Footprint area, centroid and bounding box in a metric CRS, from coordinates, vectorised.

Rooftop PV needs three things of each footprint in metres: its area, its centroid (the
shading model's position) and its bounding box (the shading model's half-sides).
Reprojecting the geometries (``GeoSeries.to_crs``) would build a second set of a million
polygons only to measure them once.  Instead the vertices are read once
(:func:`shapely.get_coordinates`), reprojected as two coordinate arrays with the same
:class:`pyproj.Transformer` ``GeoSeries.to_crs`` uses (the same metres), and measured with
GEOS's own formulas written over whole arrays:

* area: ``Area::ofRingSigned``, the shoelace sum with x taken relative to the ring's first
  vertex, summed vertex by vertex in ring order (``np.bincount`` sums in order);
* centroid: ``Centroid::addShell``, triangles fanned from the first vertex, each weighted by
  twice its signed area, ``cg3 / 3 / areasum2``;
* bounds: per-footprint minimum and maximum of the vertices.

Polygons without holes (every building footprint in practice) take this path; the rest
(holes, multipolygons, rings without area) are reprojected and measured by shapely.  The
results equal shapely's on reprojected geometries to the last bits (tested).
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pyproj
import shapely

_POLYGON = 3  # shapely.GeometryType.POLYGON


def metric_measures(
    geoms: np.ndarray, crs, metric: pyproj.CRS, *, threads: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Area (m²), centroid x and y (m) and bounds (m) of each footprint in CRS ``metric``.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        Polygons (or multipolygons) in ``crs``; none missing or empty.
    crs : pyproj.CRS or anything it accepts
        CRS of ``geoms``.
    metric : pyproj.CRS
        A metric CRS (e.g. :func:`geo.crs.metric_crs`).
    threads : int
        Threads sharing the reprojection (PROJ releases the GIL).

    Returns
    -------
    area_m2 : ndarray, shape (n,)
    x_m, y_m : ndarray, shape (n,)
        Centroids.
    bounds_m : ndarray, shape (n, 4)
        minx, miny, maxx, maxy.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    area = np.zeros(n)
    cx = np.zeros(n)
    cy = np.zeros(n)
    bounds = np.zeros((n, 4))
    if not n:
        return area, cx, cy, bounds
    same = pyproj.CRS.from_user_input(crs).is_exact_same(pyproj.CRS.from_user_input(metric))
    simple = (shapely.get_type_id(geoms) == _POLYGON) & (shapely.get_num_interior_rings(geoms) == 0)
    rows = np.flatnonzero(simple)
    if len(rows):
        sub = geoms if len(rows) == n else geoms[rows]
        counts = shapely.get_num_coordinates(sub)
        x, y = _reprojected_vertices(sub, counts, None if same else (crs, metric), threads=threads)
        a, gx, gy, b = _ring_measures(x, y, counts)
        del x, y
        area[rows], cx[rows], cy[rows], bounds[rows] = a, gx, gy, b
        simple[rows[np.isnan(gx)]] = False  # rings without area: shapely's line centroid below
    rest = np.flatnonzero(~simple)
    if len(rest):
        metric_geoms = gpd.GeoSeries(geoms[rest], crs=crs)
        if not same:
            metric_geoms = metric_geoms.to_crs(metric)
        g = np.asarray(metric_geoms.values, dtype=object)
        centroid = shapely.centroid(g)
        area[rest] = shapely.area(g)
        cx[rest], cy[rest] = shapely.get_x(centroid), shapely.get_y(centroid)
        bounds[rest] = shapely.bounds(g)
    return area, cx, cy, bounds


def _reprojected_vertices(geoms: np.ndarray, counts: np.ndarray, transformer: tuple | None, *, threads: int = 1):
    """x and y of every vertex of single-ring polygons, reprojected, rings one after another.

    The closing vertex of a ring repeats its first exactly, so it is copied, not reprojected.
    ``transformer``: the (source, target) CRS pair, or None to keep the coordinates.
    """
    xy = shapely.get_coordinates(geoms)
    if transformer is None:
        return np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])
    total = len(xy)
    sizes = np.unique(counts)
    if len(sizes) == 1:  # every ring as long (e.g. rectangles): strided views, no index arrays
        c = int(sizes[0])
        ring = xy.reshape(-1, c, 2)[:, : c - 1]
        ox, oy = np.ascontiguousarray(ring[..., 0]).ravel(), np.ascontiguousarray(ring[..., 1]).ravel()
        del xy, ring
        _transform_inplace(ox, oy, *transformer, threads=threads)
        x = np.empty((total // c, c))
        y = np.empty((total // c, c))
        x[:, : c - 1], y[:, : c - 1] = ox.reshape(-1, c - 1), oy.reshape(-1, c - 1)
        x[:, c - 1], y[:, c - 1] = x[:, 0], y[:, 0]
        return x.ravel(), y.ravel()
    first = np.cumsum(counts) - counts
    closing = first + counts - 1
    open_ = np.ones(total, dtype=bool)
    open_[closing] = False
    ox, oy = xy[open_, 0], xy[open_, 1]
    del xy
    _transform_inplace(ox, oy, *transformer, threads=threads)
    x = np.empty(total)
    y = np.empty(total)
    x[open_], y[open_] = ox, oy
    del ox, oy
    x[closing], y[closing] = x[first], y[first]
    return x, y


def _transform_inplace(x: np.ndarray, y: np.ndarray, source, target, *, threads: int = 1) -> None:
    """Reproject contiguous coordinate arrays in place, as ``GeoSeries.to_crs`` does.

    PROJ releases the GIL: with ``threads`` > 1 each thread takes a slice with its own
    :class:`pyproj.Transformer` (one transformer must not be shared between threads).
    """
    n = len(x)
    threads = max(1, min(int(threads), n // 100_000 or 1))
    cuts = np.linspace(0, n, threads + 1).astype(int)

    def work(k: int) -> None:
        t = pyproj.Transformer.from_crs(source, target, always_xy=True)
        t.transform(x[cuts[k] : cuts[k + 1]], y[cuts[k] : cuts[k + 1]], inplace=True, errcheck=False)

    if threads == 1:
        work(0)
        return
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(threads)))


#: Rings with at most this many vertices are measured column by column (one group per
#: vertex count); longer rings, rare in building footprints, by sums over the flat arrays.
_MAX_COLUMNS = 32


def _ring_measures(x: np.ndarray, y: np.ndarray, counts: np.ndarray):
    """Area, centroid (NaN for a ring without area) and bounds of closed rings stored one
    after another (``x``, ``y``; ``counts`` vertices each, the last repeating the first).

    GEOS's formulas (module docstring), each sum taken in ring order.
    """
    m = len(counts)
    area, cx, cy = np.empty(m), np.empty(m), np.empty(m)
    bounds = np.empty((m, 4))
    first = np.cumsum(counts) - counts
    sizes = np.unique(counts)
    if len(sizes) == 1 and sizes[0] <= _MAX_COLUMNS:  # e.g. every footprint a rectangle: views, no copies
        c = int(sizes[0])
        area[:], cx[:], cy[:], bounds[:] = _ring_columns(x.reshape(m, c), y.reshape(m, c))
        return area, cx, cy, bounds
    long_ = counts > _MAX_COLUMNS
    for c in sizes[sizes <= _MAX_COLUMNS]:  # one group per vertex count, not per ring
        rows = np.flatnonzero(counts == c)
        at = first[rows][:, None] + np.arange(c)
        area[rows], cx[rows], cy[rows], bounds[rows] = _ring_columns(x[at], y[at])
    if long_.any():
        rows = np.flatnonzero(long_)
        at = np.flatnonzero(long_[np.repeat(np.arange(m), counts)])  # their vertices, in order
        area[rows], cx[rows], cy[rows], bounds[rows] = _ring_sums(x[at], y[at], counts[rows])
    return area, cx, cy, bounds


def _ring_columns(x: np.ndarray, y: np.ndarray):
    """:func:`_ring_measures` for rings of equal length, arrays of shape (rings, vertices)."""
    c = x.shape[1]
    x0, y0 = x[:, 0], y[:, 0]
    s = np.zeros(len(x))
    for i in range(1, c - 1):  # Area::ofRingSigned, vertex by vertex
        s += (x[:, i] - x0) * (y[:, i - 1] - y[:, i + 1])
    area = np.abs(s / 2.0)
    cg_x, cg_y, areasum2 = np.zeros(len(x)), np.zeros(len(x)), np.zeros(len(x))
    for i in range(c - 1):  # Centroid::addShell, triangle by triangle
        a2 = (x[:, i] - x0) * (y[:, i + 1] - y0) - (x[:, i + 1] - x0) * (y[:, i] - y0)
        cg_x += a2 * (x0 + x[:, i] + x[:, i + 1])
        cg_y += a2 * (y0 + y[:, i] + y[:, i + 1])
        areasum2 += a2
    cx, cy = _centroid(cg_x, cg_y, areasum2)
    bounds = np.empty((len(x), 4))
    for k, (v, pick) in enumerate(((x, np.fmin), (y, np.fmin), (x, np.fmax), (y, np.fmax))):
        bounds[:, k] = functools.reduce(pick, (v[:, i] for i in range(c - 1)))  # the closing vertex repeats
    return area, cx, cy, bounds


def _ring_sums(x: np.ndarray, y: np.ndarray, counts: np.ndarray):
    """:func:`_ring_measures` for rings of any length, by ordered sums over flat arrays."""
    m = len(counts)
    total = len(x)
    ring = np.repeat(np.arange(m), counts)
    first = np.cumsum(counts) - counts
    inner = np.ones(total, dtype=bool)
    inner[first] = False
    inner[first + counts - 1] = False
    pos = np.flatnonzero(inner)
    terms = (x[pos] - x[first][ring[pos]]) * (y[pos - 1] - y[pos + 1])
    area = np.abs(np.bincount(ring[pos], weights=terms, minlength=m) / 2.0)
    not_last = np.ones(total, dtype=bool)
    not_last[first + counts - 1] = False
    i = np.flatnonzero(not_last)
    r = ring[i]
    x0, y0 = x[first][r], y[first][r]
    x1, y1, x2, y2 = x[i], y[i], x[i + 1], y[i + 1]
    a2 = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
    cg_x = np.bincount(r, weights=a2 * (x0 + x1 + x2), minlength=m)
    cg_y = np.bincount(r, weights=a2 * (y0 + y1 + y2), minlength=m)
    cx, cy = _centroid(cg_x, cg_y, np.bincount(r, weights=a2, minlength=m))
    bounds = np.column_stack(
        [
            np.minimum.reduceat(x, first),
            np.minimum.reduceat(y, first),
            np.maximum.reduceat(x, first),
            np.maximum.reduceat(y, first),
        ]
    )
    return area, cx, cy, bounds


def _centroid(cg_x: np.ndarray, cg_y: np.ndarray, areasum2: np.ndarray):
    """``cg3 / 3 / areasum2`` (GEOS); NaN where the ring has no area.

    The sign of the shell's orientation multiplies both sums and cancels in the ratio.
    """
    ok = areasum2 != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, cg_x / 3 / areasum2, np.nan), np.where(ok, cg_y / 3 / areasum2, np.nan)
