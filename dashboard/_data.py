"""Data preparation for the dashboard: project location, projected and cached layers.

Everything the map draws is in Web Mercator (EPSG:3857), projected here once per project
version and kept in small LRU caches.  Cached frames are shared between sessions and
must be treated as read-only; per-session state lives in the components.

When a Chinese basemap that uses GCJ-02 (AMap/Gaode) is switched on, every layer is
shifted WGS84 → GCJ-02 before projecting (:func:`geo.crs.geometries_wgs84_to_gcj02`) so
that it lines up with the tiles; the cache key carries that choice.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import panel as pn
import shapely
from filelock import FileLock

from geo.crs import geometries_wgs84_to_gcj02, wgs84_to_gcj02
from layers.project import Project

WEB_MERCATOR = "EPSG:3857"
_R = 6378137.0  # WGS84 / Web Mercator sphere radius, m


# -- project location ----------------------------------------------------------------------
def cache_home() -> Path:
    """Folder for the atlas's user data: ``$XYSITING_HOME`` or ``~/.cache/xysiting``."""
    env = os.environ.get("XYSITING_HOME")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "xysiting"


def default_project_dir() -> Path:
    """Where the embedded Xiangyang default project is built on first use."""
    return cache_home() / "default"


def ensure_default_project(*, progress: Callable[[float, str], None] | None = None) -> Project:
    """Open the embedded default project, building it first if it is not there yet.

    The build runs under a file lock so two servers started at once build it only once;
    ``progress`` is passed to :func:`layers.default.build_default`.
    """
    dest = default_project_dir()
    if (dest / "manifest.json").is_file():
        return Project.open(dest)
    from layers.default import build_default  # on use: the builders are only needed once

    dest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(dest.parent / ".default.lock"):
        if not (dest / "manifest.json").is_file():
            work = dest.parent / f".building.{os.getpid()}"
            if work.exists():
                shutil.rmtree(work)
            build_default(work / dest.name, progress=progress)  # the project is named after its folder
            os.replace(work / dest.name, dest)
            shutil.rmtree(work, ignore_errors=True)
    return Project.open(dest)


def open_project(path: str | os.PathLike | None, *, progress: Callable[[float, str], None] | None = None) -> Project:
    """The project at ``path``, or the embedded default when ``path`` is None.

    ``progress`` reports the stages of building the default project, if that is needed.
    """
    if path is None or str(path) == "":
        return ensure_default_project(progress=progress)
    return Project.open(path)


# Tables whose changes never affect a cached layer: progress records are appended while
# the server runs (dashboard/progress_tab.py) and must not invalidate rooftop-PV/routing.
_VOLATILE_TABLES = ("progress_records", "progress_audit")


def _gpkg_contents_key(gpkg: Path) -> tuple:
    """``(table_name, last_change)`` of every layer in ``gpkg`` but the progress tables.

    GDAL/pyogrio sets ``gpkg_contents.last_change`` (millisecond UTC timestamp) whenever it
    writes a table, and :meth:`Project.write` rewrites every changed layer, so a re-import
    changes the key while an append to ``progress_records`` (a raw SQLite insert, or the
    first ``Project.write`` of that table) leaves the other rows alone.  The query result is
    memoised on the file's stat, so the key costs one ``stat`` while nothing is written.
    """
    try:
        st = gpkg.stat()
    except FileNotFoundError:
        return ()
    try:
        return _gpkg_contents(str(gpkg), st.st_ino, st.st_size, st.st_mtime_ns)
    except sqlite3.Error:
        # unreadable right now (locked mid-write, or not a GeoPackage): key on the file
        # itself, which at worst recomputes the caches once (errors are not cached)
        return (("<stat>", st.st_ino, st.st_size, st.st_mtime_ns),)


@pn.cache(max_items=64)
def _gpkg_contents(gpkg: str, inode: int, size: int, mtime_ns: int) -> tuple:
    """The ``gpkg_contents`` rows of :func:`_gpkg_contents_key`, for one state of the file."""
    with contextlib.closing(sqlite3.connect(f"{Path(gpkg).as_uri()}?mode=ro", uri=True, timeout=10)) as con:
        rows = con.execute(
            "SELECT table_name, last_change FROM gpkg_contents WHERE table_name NOT IN (?, ?) ORDER BY table_name",
            _VOLATILE_TABLES,
        ).fetchall()
    return tuple(rows)


def project_version(project: Project) -> tuple:
    """A cache key that changes whenever the project's layers change.

    Built from the GeoPackage's ``gpkg_contents`` (layer names and last-change times, the
    progress tables excluded: :func:`_gpkg_contents_key`), the manifest's mtime (raster
    metadata) and the raster files' mtimes.  Appending progress records leaves it unchanged,
    so the rooftop-PV (10-30 s on the default project) and routing caches survive them.
    Never cache ``progress_records`` under this key (:func:`read_layer` reads it fresh).
    """

    def mtime(p: Path) -> int:
        with contextlib.suppress(FileNotFoundError):
            return p.stat().st_mtime_ns
        return 0

    rasters = project.path / "rasters"
    raster_mtimes = tuple(sorted((p.name, mtime(p)) for p in rasters.glob("*.tif"))) if rasters.is_dir() else ()
    return (
        str(project.path.resolve()),
        _gpkg_contents_key(project.gpkg_path),
        mtime(project.path / "manifest.json"),
        raster_mtimes,
    )


# -- projection ----------------------------------------------------------------------------
def lonlat_to_mercator(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 degrees to Web Mercator metres (spherical formula, vectorised)."""
    lon = np.asarray(lon, dtype="float64")
    lat = np.clip(np.asarray(lat, dtype="float64"), -85.05112878, 85.05112878)
    x = np.radians(lon) * _R
    y = np.log(np.tan(np.pi / 4.0 + np.radians(lat) / 2.0)) * _R
    return x, y


def mercator_to_lonlat(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`lonlat_to_mercator`."""
    lon = np.degrees(np.asarray(x, dtype="float64") / _R)
    lat = np.degrees(2.0 * np.arctan(np.exp(np.asarray(y, dtype="float64") / _R)) - np.pi / 2.0)
    return lon, lat


def geometries_to_mercator(geoms, *, gcj02: bool = False) -> np.ndarray:
    """WGS84 shapely geometries → Web Mercator, shifted to GCJ-02 first if ``gcj02``."""
    geoms = np.asarray(geoms, dtype=object)
    if gcj02:
        geoms = geometries_wgs84_to_gcj02(geoms)

    def project(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(lonlat_to_mercator(coords[:, 0], coords[:, 1]))

    return shapely.transform(geoms, project)


def points_to_mercator(lon, lat, *, gcj02: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat arrays → Web Mercator x/y, shifted to GCJ-02 first if ``gcj02``."""
    if gcj02:
        lon, lat = wgs84_to_gcj02(lon, lat)
    return lonlat_to_mercator(lon, lat)


# -- geometry → HoloViews path data ---------------------------------------------------------
def paths_data(geoms, *, attrs: pd.DataFrame | None = None) -> list[dict]:
    """One dict per feature with ``x``/``y`` arrays (NaN between parts) plus attributes.

    Polygons contribute their exterior rings, lines their coordinates; this is the form
    ``hv.Path`` and ``hv.Polygons`` accept.  Meant for small layers (counties, parks,
    flows): it loops over features, not over vertices.
    """
    geoms = np.asarray(geoms, dtype=object)
    records = attrs.to_dict("records") if attrs is not None else [{} for _ in geoms]
    out = []
    for geom, rec in zip(geoms, records, strict=True):
        if geom is None or shapely.is_empty(geom):
            continue
        parts = shapely.get_parts(geom)
        rings = []
        for part in parts:
            if part.geom_type == "Polygon":
                rings.append(np.asarray(part.exterior.coords))
            elif part.geom_type in ("LineString", "LinearRing"):
                rings.append(np.asarray(part.coords))
        if not rings:
            continue
        xs, ys = [], []
        for i, ring in enumerate(rings):
            if i:
                xs.append([np.nan])
                ys.append([np.nan])
            xs.append(ring[:, 0])
            ys.append(ring[:, 1])
        out.append({"x": np.concatenate(xs), "y": np.concatenate(ys), **rec})
    return out


# -- cached layer loading ------------------------------------------------------------------
@pn.cache(max_items=64)
def _read_layer(version: tuple, kind: str) -> gpd.GeoDataFrame | pd.DataFrame | None:
    project = Project(version[0])
    if not project.has(kind):
        return None
    return project.read(kind)


def read_layer(project: Project, kind: str):
    """The layer ``kind`` of ``project`` (cached, read-only), or None when it is absent."""
    if kind in _VOLATILE_TABLES:  # not covered by project_version: always read fresh
        return _read_layer.__wrapped__((str(project.path),), kind)
    return _read_layer(project_version(project), kind)


@pn.cache(max_items=64)
def _mercator_layer(version: tuple, kind: str, gcj02: bool) -> gpd.GeoDataFrame | None:
    frame = _read_layer(version, kind)
    if frame is None:
        return None
    out = gpd.GeoDataFrame(
        pd.DataFrame(frame.drop(columns=frame.geometry.name)),
        geometry=geometries_to_mercator(frame.geometry.values, gcj02=gcj02),
        crs=WEB_MERCATOR,
    )
    return out


def mercator_layer(project: Project, kind: str, *, gcj02: bool = False):
    """Layer ``kind`` projected to Web Mercator (cached, read-only), or None when absent."""
    return _mercator_layer(project_version(project), kind, bool(gcj02))


_POINT_COLUMNS = ("id", "name", "county", "park_id", "use_class", "area_m2", "lon", "lat")


@pn.cache(max_items=2)
def _rooftop_points(version: tuple) -> pd.DataFrame | None:
    from dashboard import _solar_data  # same package; _solar_data builds on this module

    stored = _solar_data._stored_table(version)
    if stored is not None:  # the stored rooftop-PV result carries the rooftops: no GeoPackage read
        return stored[list(_POINT_COLUMNS)]  # copy-on-write: shares the one table's columns
    project = Project(version[0])
    if not project.has("rooftops"):
        return None
    import pyogrio

    fields = set(pyogrio.read_info(project.gpkg_path, layer="rooftops")["fields"])
    frame = project.read("rooftops", columns=[c for c in _POINT_COLUMNS[:5] if c in fields])
    geoms = frame.geometry.values
    centroids = shapely.centroid(geoms)
    lon, lat = shapely.get_x(centroids), shapely.get_y(centroids)
    metric = frame.geometry.to_crs("EPSG:32649")  # FACTS.md: UTM 49N for Xiangyang
    table = pd.DataFrame(
        {
            "id": frame["id"].astype(str).to_numpy(),
            **{
                col: frame[col].fillna("").astype(str).to_numpy() if col in frame else ""
                for col in ("name", "county", "park_id", "use_class")
            },
            "area_m2": metric.area.to_numpy(),
            "lon": lon,
            "lat": lat,
        }
    )
    return table


def rooftop_points(project: Project) -> pd.DataFrame | None:
    """Rooftops as one row each: id, name, county, park_id, use_class, area_m2, lon, lat.

    Cached, read-only.  When the project's rooftop-PV result is stored (``xysiting run``),
    these are columns of that result's shared dashboard table (rows by generation, area
    the stored footprint); otherwise read from the rooftops layer (rows in layer order).
    """
    return _rooftop_points(project_version(project))


def bounds_mercator(geoms) -> tuple[float, float, float, float] | None:
    """(xmin, ymin, xmax, ymax) of Web Mercator geometries, or None if empty."""
    geoms = np.asarray(geoms, dtype=object)
    if geoms.size == 0:
        return None
    b = shapely.total_bounds(geoms)
    if not np.all(np.isfinite(b)):
        return None
    return tuple(float(v) for v in b)
