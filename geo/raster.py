"""Raster helpers: a metric analysis grid, reprojection, rasterising, buffers, zonal statistics.

Everything that measures works in a projected grid in metres (:class:`RasterGrid`); vector
geometries are reprojected into the grid's CRS before they are buffered or rasterised, so no
distance or area is ever taken in degrees.

* :func:`reproject_to_grid` reads a GeoTIFF in any CRS (only the window that covers the grid)
  and resamples it onto the grid (rasterio.warp.reproject).
* :func:`rasterize_mask` burns geometries into a boolean mask with rasterio.features.rasterize,
  optionally buffered: ``method="vector"`` buffers with shapely (GEOS) in metres and marks
  every cell whose centre lies in the buffer; ``method="edt"`` rasterises the features,
  thresholds a Euclidean distance transform (scipy.ndimage.distance_transform_edt) and
  settles the one-cell band at the buffer edge by exact distances — fast for very many
  features and exact at cell centres.
* :func:`label_components`, :func:`zonal_stats`, :func:`vectorise_labels` turn a boolean
  availability mask into labelled connected components, per-component statistics and polygons
  (scipy.ndimage.label, numpy.bincount, rasterio.features.shapes).

* :func:`check_raster_size` refuses, before anything is read, a raster (or window) larger
  than :data:`MAX_RASTER_CELLS`, stating its size and the memory it would need;
  :func:`read_band` checks it, :func:`reproject_to_grid` reads a too-large window decimated
  to the grid's resolution instead, and :func:`copy_raster` copies block by block.

This module never imports ``layers`` or ``siting``.

Why one module over 500 lines: :class:`RasterGrid` and the operations on it are one
toolbox used together; splitting it would scatter the grid's helpers across files.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import rasterio
import rasterio.features
import rasterio.warp
import rasterio.windows
import shapely
from affine import Affine
from numpy.typing import NDArray
from rasterio.enums import Resampling
from scipy import ndimage

from geo.atomic import atomic_path
from geo.crs import require_crs
from geo.errors import InputError

#: Largest number of cells read into memory at once: 50 million cells are 200 MB as
#: float32 (a 10 m grid over all of Xiangyang's 19,700 km² is 200 million; a 100 m one 2
#: million).  A 20000 × 20000 GeoTIFF of 1.8 MB on disk would need 7 GB to read whole.
MAX_RASTER_CELLS = 50_000_000

_RESAMPLING = {
    "nearest": Resampling.nearest,
    "bilinear": Resampling.bilinear,
    "cubic": Resampling.cubic,
    "average": Resampling.average,
    "max": Resampling.max,
    "min": Resampling.min,
    "mode": Resampling.mode,
}


@dataclass(frozen=True)
class RasterGrid:
    """A north-up raster grid in a projected CRS with metre units.

    Attributes
    ----------
    crs : str
        CRS as a string (e.g. ``"EPSG:32649"``).
    transform : affine.Affine
        Maps (col, row) to (x, y) of the upper-left corner of a cell.
    width, height : int
        Number of columns and rows.
    """

    crs: str
    transform: Affine
    width: int
    height: int

    @classmethod
    def from_bounds(cls, bounds: tuple[float, float, float, float], *, crs: str, resolution_m: float) -> RasterGrid:
        """A grid covering ``bounds`` (minx, miny, maxx, maxy in ``crs`` metres).

        The origin snaps to a multiple of ``resolution_m`` so grids built from nearby
        bounds line up cell for cell.
        """
        if not resolution_m > 0:
            msg = f"grid resolution must be positive metres, got {resolution_m!r}"
            raise InputError(msg)
        _require_metric(crs)
        minx, miny, maxx, maxy = (float(b) for b in bounds)
        if not (np.isfinite([minx, miny, maxx, maxy]).all() and maxx > minx and maxy > miny):
            msg = f"cannot build a grid over empty or invalid bounds {bounds!r}"
            raise InputError(msg)
        res = float(resolution_m)
        left = math.floor(minx / res) * res
        top = math.ceil(maxy / res) * res
        width = max(1, math.ceil((maxx - left) / res))
        height = max(1, math.ceil((top - miny) / res))
        return cls(str(crs), Affine(res, 0.0, left, 0.0, -res, top), int(width), int(height))

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        return self.height, self.width

    @property
    def resolution_m(self) -> float:
        """Cell size in metres (square cells)."""
        return float(self.transform.a)

    @property
    def cell_area_m2(self) -> float:
        """Area of one cell, m²."""
        return float(abs(self.transform.a * self.transform.e))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) in the grid CRS."""
        left, top = self.transform.c, self.transform.f
        return (left, top + self.transform.e * self.height, left + self.transform.a * self.width, top)

    @property
    def key(self) -> tuple:
        """A hashable identity for caches."""
        return (self.crs, tuple(self.transform)[:6], self.width, self.height)

    def cell_centres(self) -> tuple[NDArray, NDArray]:
        """1-D arrays of cell-centre x (per column) and y (per row), metres."""
        t = self.transform
        xs = t.c + t.a * (np.arange(self.width) + 0.5)
        ys = t.f + t.e * (np.arange(self.height) + 0.5)
        return xs, ys

    def rowcol(self, x: NDArray, y: NDArray) -> tuple[NDArray, NDArray, NDArray]:
        """Row and column of points (grid CRS) and a mask of those inside the grid."""
        t = self.transform
        col = np.floor((np.asarray(x) - t.c) / t.a).astype("int64")
        row = np.floor((np.asarray(y) - t.f) / t.e).astype("int64")
        inside = (col >= 0) & (col < self.width) & (row >= 0) & (row < self.height)
        return row, col, inside


def _require_metric(crs) -> None:
    parsed = pyproj.CRS.from_user_input(crs)
    if not (parsed.is_projected and parsed.axis_info[0].unit_name in ("metre", "meter")):
        msg = f"analysis grids must use a projected CRS in metres, not {parsed.to_string()}"
        raise InputError(msg)


def read_raster_info(path: str | os.PathLike) -> dict:
    """Open a raster and return crs, transform, shape, nodata, dtype, bounds; InputError if unreadable."""
    path = Path(path)
    if not path.is_file():
        msg = f"raster file {path} does not exist"
        raise InputError(msg)
    try:
        with rasterio.open(path) as ds:
            return {
                "crs": ds.crs,
                "transform": ds.transform,
                "width": ds.width,
                "height": ds.height,
                "count": ds.count,
                "nodata": ds.nodata,
                "dtype": ds.dtypes[0],
                "bounds": tuple(ds.bounds),
            }
    except rasterio.errors.RasterioIOError as exc:
        msg = f"{path} is not a readable raster (GeoTIFF expected): {exc}"
        raise InputError(msg) from None


def raster_read_bytes(width: int, height: int, dtype: str = "float32") -> int:
    """Memory, bytes, to read ``width × height`` cells masked and convert them to float32."""
    return int(width) * int(height) * (np.dtype(dtype).itemsize + 1 + 4)


def check_raster_size(
    path: str | os.PathLike,
    width: int,
    height: int,
    *,
    dtype: str = "float32",
    max_cells: int = MAX_RASTER_CELLS,
    hint: str | None = None,
) -> None:
    """Raise InputError if ``width × height`` cells exceed ``max_cells`` (default 50 million).

    Called before a raster (or a window of it) is read, so a small file that decompresses
    to gigabytes is refused with its size stated instead of exhausting memory.

    Parameters
    ----------
    path : path-like
        The raster, for the message.
    width, height : int
        Columns and rows about to be read.
    dtype : str
        Data type of the band (for the memory estimate).
    max_cells : int
        The limit, cells (:data:`MAX_RASTER_CELLS`).
    hint : str, optional
        How to make the file smaller, appended to the message (default: clip or coarsen
        with GDAL).
    """
    cells = int(width) * int(height)
    if cells <= max_cells:
        return
    need = raster_read_bytes(width, height, dtype) / 1024**3
    hint = hint or (
        "clip it to the area you need or coarsen it first, e.g. `gdal_translate -projwin ULX ULY LRX LRY` "
        "or `gdalwarp -tr XRES YRES`"
    )
    msg = (
        f"{path}: the raster is {int(width):,} × {int(height):,} = {cells:,} cells ({dtype}); reading it would "
        f"need about {need:.1f} GiB of memory, over the limit of {max_cells:,} cells — {hint}"
    )
    raise InputError(msg)


def read_band(path: str | os.PathLike, *, band: int = 1, max_cells: int = MAX_RASTER_CELLS) -> NDArray:
    """Band ``band`` of a raster as float32 with nodata (and non-finite values) set to NaN.

    Raises InputError (size stated) for a raster of more than ``max_cells`` cells.
    """
    with rasterio.open(path) as ds:
        check_raster_size(path, ds.width, ds.height, dtype=ds.dtypes[band - 1], max_cells=max_cells)
        data = ds.read(band, masked=True)
    out = np.ma.filled(data.astype("float32"), np.nan)
    out[~np.isfinite(out)] = np.nan
    return out


def reproject_to_grid(
    path: str | os.PathLike,
    grid: RasterGrid,
    *,
    band: int = 1,
    resampling: str = "bilinear",
    margin_cells: int = 2,
    max_cells: int = MAX_RASTER_CELLS,
) -> NDArray:
    """Resample band ``band`` of the raster at ``path`` (any CRS) onto ``grid``.

    Only the window of the source that covers the grid (plus ``margin_cells``) is read; a
    window of more than ``max_cells`` cells (default 50 million) is read decimated
    (averaged) to at most that many, so memory stays bounded however fine the source is.
    Cells the source does not cover, and source nodata, become NaN.

    Returns
    -------
    numpy.ndarray
        float32 array of shape ``grid.shape``.
    """
    if resampling not in _RESAMPLING:
        msg = f"unknown resampling {resampling!r}; choose one of {', '.join(_RESAMPLING)}"
        raise InputError(msg)
    out = np.full(grid.shape, np.nan, dtype="float32")
    with rasterio.open(path) as ds:
        require_crs(ds, what=str(path), fix="cannot place it on the map; set one with gdal_edit.py -a_srs")
        left, bottom, right, top = rasterio.warp.transform_bounds(grid.crs, ds.crs, *grid.bounds, densify_pts=21)
        window = rasterio.windows.from_bounds(left, bottom, right, top, transform=ds.transform)
        col0 = max(0, math.floor(window.col_off) - margin_cells)
        row0 = max(0, math.floor(window.row_off) - margin_cells)
        col1 = min(ds.width, math.ceil(window.col_off + window.width) + margin_cells)
        row1 = min(ds.height, math.ceil(window.row_off + window.height) + margin_cells)
        if col1 <= col0 or row1 <= row0:
            return out
        win = rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)
        src_transform = ds.window_transform(win)
        out_shape = None
        if win.width * win.height > max_cells:
            # Finer than the grid and too large to read whole: read it decimated (GDAL
            # averages, or uses overviews) to at most max_cells cells.
            factor = math.sqrt(win.width * win.height / max_cells)
            out_shape = (max(1, math.floor(win.height / factor)), max(1, math.floor(win.width / factor)))
            src_transform = src_transform * Affine.scale(win.width / out_shape[1], win.height / out_shape[0])
        data = ds.read(band, window=win, masked=True, out_shape=out_shape, resampling=Resampling.average)
        src = np.ma.filled(data.astype("float32"), np.nan)
        src[~np.isfinite(src)] = np.nan
        rasterio.warp.reproject(
            source=src,
            destination=out,
            src_transform=src_transform,
            src_crs=ds.crs,
            src_nodata=np.nan,
            dst_transform=grid.transform,
            dst_crs=grid.crs,
            dst_nodata=np.nan,
            resampling=_RESAMPLING[resampling],
        )
    return out


def _shapes(geoms: NDArray, value: int = 1):
    return ((g, value) for g in geoms if g is not None and not g.is_empty)


def rasterize_mask(
    geoms: gpd.GeoSeries | NDArray,
    grid: RasterGrid,
    *,
    buffer_m: float | NDArray = 0.0,
    method: str = "vector",
    quad_segs: int = 8,
) -> NDArray:
    """Boolean mask of the cells covered by ``geoms`` grown by ``buffer_m`` metres.

    Parameters
    ----------
    geoms : GeoSeries or array of shapely geometries
        A GeoSeries with a CRS is reprojected to ``grid.crs``; a bare array must already be
        in the grid CRS (metres).
    grid : RasterGrid
        The metric grid.
    buffer_m : float or array
        Buffer distance in metres, one value or one per geometry.
    method : {"vector", "edt"}
        ``"vector"``: buffer with shapely in metres, mark cells whose centre lies in a buffer
        (matches ``shapely.buffer`` at cell centres).  ``"edt"``: rasterise features (all
        touched), threshold a Euclidean distance transform, and settle the cells within half
        a cell diagonal of the buffer edge by their exact shapely distance — the same cells
        as ``"vector"``, faster for very many features; per-feature distances are grouped.
    quad_segs : int
        Segments per quarter circle for shapely buffers.

    Notes
    -----
    Unbuffered polygons mark cells whose centre is inside; unbuffered lines and points
    mark every cell they touch (so a road or an airport point is never lost between centres).
    """
    if isinstance(geoms, gpd.GeoSeries):
        if geoms.crs is not None and pyproj.CRS.from_user_input(geoms.crs) != pyproj.CRS.from_user_input(grid.crs):
            geoms = geoms.to_crs(grid.crs)
        arr = np.asarray(geoms.values, dtype=object)
    else:
        arr = np.asarray(geoms, dtype=object)
    out = np.zeros(grid.shape, dtype=bool)
    if arr.size == 0:
        return out
    keep = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    arr = arr[keep]
    dist = np.broadcast_to(np.asarray(buffer_m, dtype="float64"), keep.shape)[keep]
    if arr.size == 0:
        return out
    if np.any(~np.isfinite(dist)) or np.any(dist < 0):
        msg = "buffer distances must be finite and non-negative metres"
        raise InputError(msg)
    if method not in ("vector", "edt"):
        msg = f"unknown buffer method {method!r}; choose 'vector' or 'edt'"
        raise InputError(msg)
    # Only the part of the grid (plus the largest buffer) can be touched: skip far features.
    minx, miny, maxx, maxy = grid.bounds
    reach = float(dist.max()) + grid.resolution_m
    box = shapely.box(minx - reach, miny - reach, maxx + reach, maxy + reach)
    near = shapely.intersects(arr, box)
    arr, dist = arr[near], dist[near]
    if arr.size == 0:
        return out
    zero = dist <= 0
    if zero.any():
        _burn_unbuffered(arr[zero], grid, out)
    if (~zero).any():
        if method == "vector":
            buffered = shapely.buffer(arr[~zero], dist[~zero], quad_segs=quad_segs)
            rasterio.features.rasterize(
                _shapes(buffered),
                out_shape=grid.shape,
                transform=grid.transform,
                out=_as_uint8_view(out),
                all_touched=False,
                default_value=1,
            )
        else:
            for d in np.unique(dist[~zero]):
                out |= _edt_buffer(arr[dist == d], grid, float(d))
    return out


def _as_uint8_view(mask: NDArray) -> NDArray:
    return mask.view(np.uint8)


def _burn_unbuffered(arr: NDArray, grid: RasterGrid, out: NDArray) -> None:
    polygonal = np.isin(shapely.get_type_id(arr), (3, 6))
    if polygonal.any():
        rasterio.features.rasterize(
            _shapes(arr[polygonal]),
            out_shape=grid.shape,
            transform=grid.transform,
            out=_as_uint8_view(out),
            all_touched=False,
            default_value=1,
        )
    if (~polygonal).any():
        rasterio.features.rasterize(
            _shapes(arr[~polygonal]),
            out_shape=grid.shape,
            transform=grid.transform,
            out=_as_uint8_view(out),
            all_touched=True,
            default_value=1,
        )


def _centre_cells(arr: NDArray, grid: RasterGrid, out: NDArray) -> None:
    """Mark cells whose centre lies inside a polygon of ``arr`` (cell-centre rule).

    Polygons wider than a cell go through rasterio; the many small ones (buildings) are
    tested directly against the at most 2 × 2 cell centres inside their bounding box, which
    avoids rasterio's per-geometry Python conversion.
    """
    if arr.size == 0:
        return
    res = grid.resolution_m
    bounds = shapely.bounds(arr)
    small = ((bounds[:, 2] - bounds[:, 0]) <= res) & ((bounds[:, 3] - bounds[:, 1]) <= res)
    if (~small).any():
        rasterio.features.rasterize(
            _shapes(arr[~small]),
            out_shape=grid.shape,
            transform=grid.transform,
            out=_as_uint8_view(out),
            all_touched=False,
            default_value=1,
        )
    if small.any():
        geoms, b = arr[small], bounds[small]
        t = grid.transform
        col0 = np.ceil((b[:, 0] - t.c) / res - 0.5).astype("int64")
        row0 = np.ceil((t.f - b[:, 3]) / res - 0.5).astype("int64")
        for dr in (0, 1):
            for dc in (0, 1):
                row, col = row0 + dr, col0 + dc
                ok = (row >= 0) & (row < grid.height) & (col >= 0) & (col < grid.width)
                x = t.c + (col + 0.5) * res
                y = t.f - (row + 0.5) * res
                hit = ok & shapely.contains_xy(geoms, x, y)
                out[row[hit], col[hit]] = True


def _edt_buffer(arr: NDArray, grid: RasterGrid, distance_m: float) -> NDArray:
    """Cells whose centre lies within ``distance_m`` of the geometries ``arr`` (exact).

    Seeds are the cells holding a vertex of the geometries densified to ``res/4`` and the
    cells whose centre lies inside a polygon.  Every seed centre lies within half a cell
    diagonal ``h`` of a geometry, and every geometry point lies within ``h + res/8`` of a
    seed centre, so the EDT distance differs from the true one by at most that: cells
    clearly inside or outside are settled by the EDT, the band between by exact shapely
    distances (STRtree nearest).
    """
    res = grid.resolution_m
    pad = math.ceil(distance_m / res) + 1
    padded = RasterGrid(
        grid.crs, grid.transform @ Affine.translation(-pad, -pad), grid.width + 2 * pad, grid.height + 2 * pad
    )
    step = res / 4.0
    seeds = np.zeros(padded.shape, dtype=bool)
    coords = shapely.get_coordinates(shapely.segmentize(arr, step))
    row, col, inside = padded.rowcol(coords[:, 0], coords[:, 1])
    seeds[row[inside], col[inside]] = True
    polygonal = np.isin(shapely.get_type_id(arr), (3, 6))
    interior = np.zeros(padded.shape, dtype=bool)
    _centre_cells(arr[polygonal], padded, interior)
    seeds |= interior
    if not seeds.any():
        return np.zeros(grid.shape, dtype=bool)
    dist = ndimage.distance_transform_edt(~seeds, sampling=(res, res))[pad:-pad, pad:-pad]
    h = res * math.sqrt(0.5)
    out = dist <= distance_m - h - step / 2.0
    out |= interior[pad:-pad, pad:-pad]
    band = (dist > distance_m - h - step / 2.0) & (dist <= distance_m + h) & ~out
    if band.any():
        rows, cols = np.nonzero(band)
        xs, ys = grid.cell_centres()
        points = shapely.points(xs[cols], ys[rows])
        # Outside every polygon, the distance to a polygon is the distance to its boundary:
        # index short segments, not whole (possibly long, many-vertex) geometries.
        tree = shapely.STRtree(_segments(arr, polygonal))
        idx, exact = tree.query_nearest(points, return_distance=True, all_matches=False)
        hit = np.zeros(rows.size, dtype=bool)
        hit[idx[0]] = exact <= distance_m
        out[rows[hit], cols[hit]] = True
    return out


def _segments(arr: NDArray, polygonal: NDArray) -> NDArray:
    """Points as they are; lines and polygon boundaries as two-point segments."""
    linear = np.where(polygonal, shapely.boundary(arr), arr)
    parts = shapely.get_parts(linear)
    is_point = shapely.get_type_id(parts) == 0
    coords, index = shapely.get_coordinates(parts[~is_point], return_index=True)
    same = index[:-1] == index[1:]
    segs = shapely.linestrings(np.stack([coords[:-1][same], coords[1:][same]], axis=1))
    return np.concatenate([parts[is_point], segs])


def burn_values(
    geoms: gpd.GeoSeries, values: NDArray, grid: RasterGrid, *, fill: int = 0, dtype: str = "int32"
) -> NDArray:
    """Rasterise polygons with one integer value each (cell centres inside), e.g. county codes."""
    if geoms.crs is not None:
        geoms = geoms.to_crs(grid.crs)
    shapes = ((g, int(v)) for g, v in zip(geoms.values, values, strict=True) if g is not None and not g.is_empty)
    return rasterio.features.rasterize(
        shapes, out_shape=grid.shape, transform=grid.transform, fill=fill, dtype=dtype, all_touched=False
    )


def slope_degrees(dem_m: NDArray, grid: RasterGrid) -> NDArray:
    """Terrain slope in degrees from an elevation array (metres) on ``grid`` (central differences)."""
    res = grid.resolution_m
    dzdy, dzdx = np.gradient(dem_m.astype("float64"), res, res)
    return np.degrees(np.arctan(np.hypot(dzdx, dzdy))).astype("float32")


def label_components(mask: NDArray, *, connectivity: int = 8) -> tuple[NDArray, int]:
    """Label connected True cells (4- or 8-connectivity); returns (labels int32, count)."""
    if connectivity not in (4, 8):
        msg = f"connectivity must be 4 or 8, got {connectivity!r}"
        raise InputError(msg)
    structure = ndimage.generate_binary_structure(2, 1 if connectivity == 4 else 2)
    labels, count = ndimage.label(mask, structure=structure)
    return labels.astype("int32", copy=False), int(count)


def component_sizes(labels: NDArray, count: int) -> NDArray:
    """Number of cells of each label 0..count (index 0 is the background)."""
    return np.bincount(labels.ravel(), minlength=count + 1)


def zonal_stats(
    labels: NDArray, count: int, values: dict[str, NDArray], *, weights: NDArray | None = None
) -> pd.DataFrame:
    """Per-label count, and sum and mean of each array in ``values`` over labelled cells.

    NaN cells are left out of each value's sum and mean.  With ``weights`` the means are
    weighted (e.g. by the usable fraction of a cell).

    Returns
    -------
    pandas.DataFrame
        Indexed by label 1..count, columns ``cells`` and ``<name>_sum``, ``<name>_mean``.
    """
    flat = labels.ravel()
    inside = flat > 0
    lab = flat[inside]
    out = {"cells": np.bincount(lab, minlength=count + 1)[1:]}
    w = None if weights is None else weights.ravel()[inside].astype("float64")
    for name, arr in values.items():
        v = arr.ravel()[inside].astype("float64")
        ok = np.isfinite(v)
        ww = np.ones_like(v) if w is None else w
        num = np.bincount(lab[ok], weights=(v * ww)[ok], minlength=count + 1)[1:]
        den = np.bincount(lab[ok], weights=ww[ok], minlength=count + 1)[1:]
        out[f"{name}_sum"] = np.bincount(lab[ok], weights=v[ok], minlength=count + 1)[1:]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"{name}_mean"] = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    return pd.DataFrame(out, index=pd.RangeIndex(1, count + 1, name="label"))


def majority(labels: NDArray, count: int, codes: NDArray, n_codes: int) -> NDArray:
    """Most frequent non-zero code (1..n_codes) in each label, 0 where none (vectorised)."""
    flat = labels.ravel()
    c = codes.ravel()
    sel = (flat > 0) & (c > 0)
    table = np.bincount(
        flat[sel].astype("int64") * (n_codes + 1) + c[sel], minlength=(count + 1) * (n_codes + 1)
    ).reshape(count + 1, n_codes + 1)
    best = table.argmax(axis=1)
    best[table.max(axis=1) == 0] = 0
    return best[1:]


def vectorise_labels(labels: NDArray, grid: RasterGrid, *, connectivity: int = 8) -> gpd.GeoDataFrame:
    """Polygons of labelled regions (rasterio.features.shapes), one row per label, grid CRS."""
    mask = labels > 0
    geoms, ids = [], []
    for geom, value in rasterio.features.shapes(
        labels.astype("int32", copy=False), mask=mask, transform=grid.transform, connectivity=connectivity
    ):
        geoms.append(shapely.geometry.shape(geom))
        ids.append(int(value))
    frame = gpd.GeoDataFrame({"label": np.asarray(ids, dtype="int64")}, geometry=geoms, crs=grid.crs)
    if frame.empty:
        return frame
    # A label may come out as several rings touching at corners: dissolve to one row.
    if frame["label"].duplicated().any():
        frame = frame.dissolve(by="label", as_index=False)
    return frame.sort_values("label").reset_index(drop=True)


def window_for_bounds(
    path: str | os.PathLike, bounds: tuple[float, float, float, float], *, bounds_crs="EPSG:4326", crs=None
) -> rasterio.windows.Window | None:
    """The window of the raster at ``path`` that covers ``bounds`` (in ``bounds_crs``).

    Rounded outward to whole cells and clipped to the raster; ``None`` when the raster does
    not overlap ``bounds``.  ``crs`` stands in for a raster that declares none.
    """
    with rasterio.open(path) as ds:
        src_crs = ds.crs if ds.crs is not None else crs
        if src_crs is None:
            msg = f"{path} has no CRS; cannot find the window over {bounds}"
            raise InputError(msg)
        left, bottom, right, top = rasterio.warp.transform_bounds(bounds_crs, src_crs, *bounds, densify_pts=21)
        window = rasterio.windows.from_bounds(left, bottom, right, top, transform=ds.transform)
        col0, row0 = max(0, math.floor(window.col_off)), max(0, math.floor(window.row_off))
        col1 = min(ds.width, math.ceil(window.col_off + window.width))
        row1 = min(ds.height, math.ceil(window.row_off + window.height))
    if col1 <= col0 or row1 <= row0:
        return None
    return rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)


def copy_raster(
    src: str | os.PathLike,
    dest: str | os.PathLike,
    *,
    crs=None,
    scale: float | None = None,
    tags: dict | None = None,
    window: rasterio.windows.Window | None = None,
    strip_cells: int = 4_000_000,
) -> Path:
    """Copy a GeoTIFF strip by strip, optionally clipped to a window, with a CRS assigned or
    the values scaled.

    Memory stays at one strip of about ``strip_cells`` cells whatever the raster's size.

    Parameters
    ----------
    src, dest : path-like
        Source raster and the GeoTIFF to write (atomically).
    crs : optional
        CRS to assign (anything rasterio accepts, e.g. a WKT string); default keeps the source's.
    scale : float, optional
        Multiply every valid value by this (e.g. ``1 / 3.6`` for km/h → m/s); the copy is
        then float32, and nodata cells stay nodata.
    tags : dict, optional
        Tags added to the copy's dataset tags.
    window : rasterio.windows.Window, optional
        Copy only this window (e.g. from :func:`window_for_bounds`).
    strip_cells : int
        Cells read and written at a time.
    """
    with rasterio.open(src) as ds:
        window = window or rasterio.windows.Window(0, 0, ds.width, ds.height)
        width, height = int(window.width), int(window.height)
        profile = ds.profile.copy()
        profile.update(width=width, height=height, transform=ds.window_transform(window))
        if profile.get("tiled") and (width < profile.get("blockxsize", 0) or height < profile.get("blockysize", 0)):
            profile.update(tiled=False)
            profile.pop("blockxsize", None)
            profile.pop("blockysize", None)
        if crs is not None:
            profile["crs"] = rasterio.crs.CRS.from_user_input(crs)
        if scale is not None:
            profile["dtype"] = "float32"
        # whole rows of output blocks per strip, so no compressed tile is written twice
        block_rows = int(profile.get("blockysize", 1)) if profile.get("tiled") else 1
        rows = max(block_rows, strip_cells // max(width, 1) // block_rows * block_rows)
        with atomic_path(dest) as tmp, rasterio.open(tmp, "w", **profile) as out:
            for row in range(0, height, rows):
                part = rasterio.windows.Window(0, row, width, min(rows, height - row))
                source = rasterio.windows.Window(
                    int(window.col_off), int(window.row_off) + row, part.width, part.height
                )
                block = ds.read(window=source)
                if scale is not None:
                    valid = ds.read_masks(window=source) > 0
                    block = block.astype("float32")
                    block[valid] *= np.float32(scale)
                out.write(block, window=part)
            out.update_tags(**ds.tags(), **{k: str(v) for k, v in (tags or {}).items()})
    return Path(dest)


def write_geotiff(
    path: str | os.PathLike, array: NDArray, grid: RasterGrid, *, nodata: float | None = None, tags: dict | None = None
) -> Path:
    """Write a single-band GeoTIFF (deflate-compressed) atomically."""
    dtype = array.dtype
    if dtype.kind == "b":
        array = array.astype("uint8")
        dtype = array.dtype
    with atomic_path(path) as tmp:
        with rasterio.open(
            tmp,
            "w",
            driver="GTiff",
            width=grid.width,
            height=grid.height,
            count=1,
            dtype=str(dtype),
            crs=grid.crs,
            transform=grid.transform,
            nodata=nodata,
            compress="deflate",
            tiled=True,
        ) as ds:
            ds.write(array, 1)
            if tags:
                ds.update_tags(**{k: str(v) for k, v in tags.items()})
    return Path(path)
