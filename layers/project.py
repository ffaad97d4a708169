"""The project store: a folder holding every layer of one planning project.

Layout of a project folder::

    DIR/
      project.gpkg         every vector layer and table (WGS84), one GeoPackage layer each
      rasters/KIND.tif     raster layers (e.g. wind_resource.tif), GeoTIFF
      manifest.json        name, format version, raster metadata, import log
      .lock                advisory lock taken by every writer

Writes are atomic: a layer is written into a copy of the GeoPackage which then replaces
the original by rename, all under an exclusive lock, so a reader sees either the old or
the new project and a failed write changes nothing.  A full disk is reported as
:class:`geo.atomic.DiskFullError` (an InputError naming the file), and the temporary
files of a writer killed mid-write are removed by the next writer once it holds the lock.
Tables that need fast concurrent appends (progress records) use SQLite transactions on
``project.gpkg`` under the same lock (see :meth:`Project.locked`); they must not use WAL
journal mode.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from filelock import FileLock

from geo.atomic import atomic_path, atomic_write_text, remove_stale_temp_files
from geo.cache import memoize
from geo.crs import WGS84, require_crs
from geo.errors import InputError
from layers.fingerprint import file_fingerprint, frame_fingerprint
from layers.schema import LAYER_KINDS, SCHEMAS, get_schema

FORMAT_VERSION = 1
GPKG_NAME = "project.gpkg"
MANIFEST_NAME = "manifest.json"


class Project:
    """A planning project stored in a folder (see module docstring).

    Use :meth:`create` for a new project and :meth:`open` for an existing one.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    # -- construction -----------------------------------------------------------------
    @classmethod
    def create(cls, path: str | os.PathLike, *, name: str | None = None, exist_ok: bool = False) -> Project:
        """Create an empty project folder and return it.

        Raises InputError if ``path`` already holds a project and ``exist_ok`` is false,
        or if it is a non-empty folder that is not a project.
        """
        path = Path(path)
        if (path / MANIFEST_NAME).exists():
            if exist_ok:
                return cls.open(path)
            msg = f"{path} already holds a project; choose another folder or delete it first"
            raise InputError(msg)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            msg = f"{path} exists and is not an empty folder; choose a new or empty folder"
            raise InputError(msg)
        path.mkdir(parents=True, exist_ok=True)
        project = cls(path)
        project._write_manifest(
            {
                "format_version": FORMAT_VERSION,
                "name": name or path.name,
                "created": _now(),
                "rasters": {},
                "log": [],
            }
        )
        return project

    @classmethod
    def open(cls, path: str | os.PathLike) -> Project:
        """Open an existing project folder; raise InputError if it is not one."""
        path = Path(path)
        if not (path / MANIFEST_NAME).is_file():
            msg = f"{path} is not a project folder (no {MANIFEST_NAME}); create one with `xysiting init {path}`"
            raise InputError(msg)
        return cls(path)

    # -- paths and manifest -----------------------------------------------------------
    @property
    def gpkg_path(self) -> Path:
        """Path of the project's GeoPackage."""
        return self.path / GPKG_NAME

    def raster_path(self, kind: str) -> Path:
        """Path where the raster layer ``kind`` is (or would be) stored."""
        return self.path / "rasters" / f"{kind}.tif"

    @property
    def manifest(self) -> dict:
        """The manifest as a dict (read fresh each time)."""
        return json.loads((self.path / MANIFEST_NAME).read_text(encoding="utf-8"))

    def _write_manifest(self, manifest: dict) -> None:
        atomic_write_text(self.path / MANIFEST_NAME, json.dumps(manifest, ensure_ascii=False, indent=2, default=str))

    def log(self, event: str, **details) -> None:
        """Append an event (import, repair, ...) to the manifest's log."""
        with self.locked():
            manifest = self.manifest
            manifest.setdefault("log", []).append({"time": _now(), "event": event, **details})
            self._write_manifest(manifest)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the project's exclusive write lock (re-entrant within one process)."""
        local = self._thread_state()
        if getattr(local, "depth", 0):
            local.depth += 1
            try:
                yield
            finally:
                local.depth -= 1
            return
        # a fresh FileLock per outermost acquisition: every thread and process holds its own
        # lock on the file, so they exclude each other; the depth counter is per thread.
        with FileLock(self.path / ".lock"):
            try:
                acquired = time.time()
                local.depth = 1
                _recover_hot_journal(self.gpkg_path)
                self._remove_stale_temp_files(older_than=acquired)
                yield
            finally:
                local.depth = 0

    def _remove_stale_temp_files(self, *, older_than: float) -> list[Path]:
        """Remove temporary files left by writers killed mid-write (call with the lock held).

        Every writer of ``project.gpkg``, ``manifest.json`` and ``rasters/*.tif`` holds the
        project lock for the whole write, so a temporary file of theirs last modified before
        this holder took the lock belongs to a dead writer.  Other files are left alone.
        """
        targets = [self.gpkg_path, self.path / MANIFEST_NAME]
        targets += [self.raster_path(kind) for kind in LAYER_KINDS if SCHEMAS[kind].raster]
        return [p for dest in targets for p in remove_stale_temp_files(dest, older_than=older_than)]

    def _thread_state(self) -> threading.local:
        state = self.__dict__.get("_local")
        if state is None:
            state = self.__dict__.setdefault("_local", threading.local())
        return state

    # -- listing ----------------------------------------------------------------------
    def vector_kinds(self) -> list[str]:
        """Kinds of the vector layers and tables stored, in schema order."""
        if not self.gpkg_path.exists():
            return []
        names = {row[0] for row in pyogrio.list_layers(self.gpkg_path)}
        return [kind for kind in LAYER_KINDS if kind in names]

    def raster_kinds(self) -> list[str]:
        """Kinds of the raster layers stored."""
        return [kind for kind in LAYER_KINDS if SCHEMAS[kind].raster and self.raster_path(kind).exists()]

    def kinds(self) -> list[str]:
        """Every layer kind stored (vector, table and raster), in schema order."""
        present = set(self.vector_kinds()) | set(self.raster_kinds())
        return [kind for kind in LAYER_KINDS if kind in present]

    def has(self, kind: str) -> bool:
        """True if the layer ``kind`` is stored."""
        return kind in self.kinds()

    # -- reading ----------------------------------------------------------------------
    def read(
        self,
        kind: str,
        *,
        columns: list[str] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        where: str | None = None,
        skip_features: int = 0,
        max_features: int | None = None,
    ) -> gpd.GeoDataFrame | pd.DataFrame:
        """Read a vector layer (GeoDataFrame, EPSG:4326) or table (DataFrame).

        Parameters
        ----------
        kind : str
            A layer kind from :data:`layers.schema.LAYER_KINDS`.
        columns : list of str, optional
            Read only these attribute columns.
        bbox : tuple, optional
            (minx, miny, maxx, maxy) in WGS84 degrees.
        where : str, optional
            An SQL WHERE clause, e.g. ``"county = '420602'"``.
        skip_features, max_features : int, optional
            Read only the rows ``skip_features`` to ``skip_features + max_features`` (in
            stored order; partition-wise readers such as :mod:`siting.solar.scale`).
        """
        schema = get_schema(kind)
        if schema.raster:
            msg = f"layer {kind!r} is a raster; open {self.raster_path(kind)} with rasterio"
            raise InputError(msg)
        if kind not in self.vector_kinds():
            msg = (
                f"project {self.path} has no {kind!r} layer; import one with "
                f"`xysiting import {self.path} --layer {kind} FILE`"
            )
            raise InputError(msg)
        frame = pyogrio.read_dataframe(
            self.gpkg_path,
            layer=kind,
            columns=columns,
            bbox=bbox,
            where=where,
            read_geometry=not schema.is_table,
            use_arrow=True,
            skip_features=skip_features,
            max_features=max_features,
        )
        if "fid" in frame.columns and "fid" not in schema.columns:
            frame = frame.drop(columns="fid")
        return _restore_dtypes(frame, kind)

    # -- writing ----------------------------------------------------------------------
    def write(self, kind: str, frame: gpd.GeoDataFrame | pd.DataFrame) -> None:
        """Store ``frame`` as layer ``kind``, replacing any layer of that kind, atomically.

        The frame should already be validated (:func:`layers.validate.validate`); it is
        converted to EPSG:4326 here.
        """
        self.write_many({kind: frame})

    def write_many(self, frames: dict[str, gpd.GeoDataFrame | pd.DataFrame]) -> None:
        """Store several layers in one atomic replacement of the GeoPackage."""
        prepared = {kind: _prepare_for_write(kind, frame) for kind, frame in frames.items()}
        with self.locked(), atomic_path(self.gpkg_path) as tmp:
            if self.gpkg_path.exists():
                shutil.copyfile(self.gpkg_path, tmp)
            for kind, frame in prepared.items():
                _write_layer(tmp, kind, frame)
            _record_fingerprints(tmp, {kind: frame_fingerprint(frame) for kind, frame in prepared.items()})

    def delete(self, kind: str) -> None:
        """Remove layer ``kind`` from the project, atomically."""
        schema = get_schema(kind)
        with self.locked():
            if schema.raster:
                self.raster_path(kind).unlink(missing_ok=True)
                manifest = self.manifest
                manifest.get("rasters", {}).pop(kind, None)
                self._write_manifest(manifest)
                return
            if kind not in self.vector_kinds():
                return
            with atomic_path(self.gpkg_path) as tmp:
                shutil.copyfile(self.gpkg_path, tmp)
                with contextlib.closing(sqlite3.connect(tmp)) as con, con:
                    _drop_gpkg_table(con, kind)
                    if con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (FINGERPRINT_TABLE,)).fetchone():
                        con.execute(f"DELETE FROM {FINGERPRINT_TABLE} WHERE kind = ?", (kind,))

    def fingerprint(self, kind: str) -> str:
        """SHA-256 of layer ``kind``'s content (:mod:`layers.fingerprint`), for result keys.

        Vector layers carry the fingerprint recorded when they were written (inside the
        GeoPackage, so it changes atomically with the data); a layer written before
        fingerprints were recorded is hashed from its content.  Rasters are hashed from
        the file (cached per file size and modification time).  Appended tables
        (progress records) are not fingerprinted: no analysis reads them.
        """
        schema = get_schema(kind)
        if schema.raster:
            path = self.raster_path(kind)
            if not path.exists():
                msg = f"project {self.path} has no {kind!r} raster"
                raise InputError(msg)
            stat = path.stat()
            return _raster_fingerprint(str(path), stat.st_size, stat.st_mtime_ns)
        recorded = _read_fingerprints(self.gpkg_path).get(kind)
        return recorded if recorded is not None else frame_fingerprint(self.read(kind))

    @property
    def results(self):
        """The project's :class:`layers.results.ResultStore` (``DIR/results/``)."""
        from layers.results import ResultStore

        return ResultStore(self)

    def write_raster(self, kind: str, src: str | os.PathLike, **metadata) -> Path:
        """Copy a validated GeoTIFF into the project as raster layer ``kind``, atomically.

        ``metadata`` (e.g. ``height_m=100, units="m/s"``) is kept in the manifest.
        """
        schema = get_schema(kind)
        if not schema.raster:
            msg = f"layer {kind!r} is not a raster layer"
            raise InputError(msg)
        dest = self.raster_path(kind)
        with self.locked():
            with atomic_path(dest) as tmp:
                shutil.copyfile(src, tmp)
            manifest = self.manifest
            manifest.setdefault("rasters", {})[kind] = {"file": str(dest.relative_to(self.path)), **metadata}
            self._write_manifest(manifest)
        return dest

    def raster_metadata(self, kind: str) -> dict:
        """Metadata stored with raster ``kind`` (height_m, units, source, ...)."""
        if not self.raster_path(kind).exists():
            msg = (
                f"project {self.path} has no {kind!r} raster; import one with "
                f"`xysiting import {self.path} --layer {kind} FILE.tif`"
            )
            raise InputError(msg)
        return dict(self.manifest.get("rasters", {}).get(kind, {}))

    # -- summary ----------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """One row per stored layer: kind, count, geometry type, CRS, sources."""
        rows = []
        for kind in self.vector_kinds():
            info = pyogrio.read_info(self.gpkg_path, layer=kind)
            sources = ""
            if "source" in info["fields"]:
                frame = pyogrio.read_dataframe(self.gpkg_path, layer=kind, columns=["source"], read_geometry=False)
                counts = frame["source"].fillna("?").value_counts()
                sources = ", ".join(f"{s} ({n})" for s, n in counts.items())
            rows.append(
                {
                    "kind": kind,
                    "count": int(info["features"]),
                    "geometry": "table" if SCHEMAS[kind].is_table else info["geometry_type"],
                    "crs": "" if SCHEMAS[kind].is_table else (info["crs"] or ""),
                    "sources": sources,
                }
            )
        for kind in self.raster_kinds():
            import rasterio

            meta = self.raster_metadata(kind)
            with rasterio.open(self.raster_path(kind)) as ds:
                rows.append(
                    {
                        "kind": kind,
                        "count": ds.width * ds.height,
                        "geometry": f"raster {ds.width}x{ds.height}, {ds.res[0]:g} res",
                        "crs": ds.crs.to_string() if ds.crs else "",
                        "sources": meta.get("source", ""),
                    }
                )
        order = {kind: i for i, kind in enumerate(LAYER_KINDS)}
        return (
            pd.DataFrame(rows, columns=["kind", "count", "geometry", "crs", "sources"])
            .sort_values("kind", key=lambda s: s.map(order))
            .reset_index(drop=True)
        )


#: SQLite table inside project.gpkg holding each vector layer's content fingerprint.
FINGERPRINT_TABLE = "xysiting_fingerprints"


def _record_fingerprints(gpkg: Path, fingerprints: dict[str, str]) -> None:
    with contextlib.closing(sqlite3.connect(gpkg)) as con, con:
        con.execute(f"CREATE TABLE IF NOT EXISTS {FINGERPRINT_TABLE} (kind TEXT PRIMARY KEY, sha256 TEXT NOT NULL)")
        con.executemany(f"INSERT OR REPLACE INTO {FINGERPRINT_TABLE} VALUES (?, ?)", fingerprints.items())


def _read_fingerprints(gpkg: Path) -> dict[str, str]:
    if not gpkg.exists():
        return {}
    with contextlib.closing(sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)) as con:
        try:
            return dict(con.execute(f"SELECT kind, sha256 FROM {FINGERPRINT_TABLE}").fetchall())
        except sqlite3.OperationalError:  # a project written before fingerprints were recorded
            return {}


@memoize(32)
def _raster_fingerprint(path: str, size: int, mtime_ns: int) -> str:
    return file_fingerprint(path)


def _recover_hot_journal(gpkg: Path) -> None:
    """Let SQLite roll back a hot journal left by a killed writer before the file is copied."""
    if gpkg.exists() and gpkg.with_name(gpkg.name + "-journal").exists():
        with contextlib.closing(sqlite3.connect(gpkg)) as con:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _prepare_for_write(kind: str, frame) -> gpd.GeoDataFrame | pd.DataFrame:
    schema = get_schema(kind)
    if schema.raster:
        msg = f"layer {kind!r} is a raster; use Project.write_raster"
        raise InputError(msg)
    if schema.is_table:
        out = pd.DataFrame(frame).copy()
        if "geometry" in out.columns:
            out = out.drop(columns="geometry")
    else:
        if not isinstance(frame, gpd.GeoDataFrame):
            msg = f"layer {kind!r} needs a GeoDataFrame with a geometry column"
            raise InputError(msg)
        require_crs(frame, what=f"layer {kind!r}", fix="validate it before writing")
        out = frame.to_crs(WGS84) if frame.crs != WGS84 else frame.copy()
    for name, col in schema.columns.items():
        if name in out.columns and col.dtype == "date":
            out[name] = pd.to_datetime(out[name]).dt.strftime("%Y-%m-%d")
    return out


def _write_layer(gpkg: Path, kind: str, frame) -> None:
    if gpkg.exists() and kind in {row[0] for row in pyogrio.list_layers(gpkg)}:
        with contextlib.closing(sqlite3.connect(gpkg)) as con, con:
            _drop_gpkg_table(con, kind)
    schema = get_schema(kind)
    if schema.is_table:
        pyogrio.write_dataframe(
            pd.DataFrame(frame), gpkg, layer=kind, driver="GPKG", layer_options={"ASPATIAL_VARIANT": "GPKG_ATTRIBUTES"}
        )
        return
    types = set(frame.geom_type.dropna().unique())
    mixed = any(t in types and f"Multi{t}" in types for t in ("Polygon", "LineString", "Point"))
    pyogrio.write_dataframe(frame, gpkg, layer=kind, driver="GPKG", promote_to_multi=mixed or None)


def _drop_gpkg_table(con: sqlite3.Connection, table: str) -> None:
    """Drop a GeoPackage layer and every metadata row that names it."""
    rtrees = [
        r[0]
        for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE ?", (f"rtree_{table}_%",))
    ]
    for rtree in rtrees:
        con.execute(f'DROP TABLE IF EXISTS "{rtree}"')
    triggers = [
        r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name=?", (table,))
    ]
    for trigger in triggers:
        con.execute(f'DROP TRIGGER IF EXISTS "{trigger}"')
    con.execute(f'DROP TABLE IF EXISTS "{table}"')
    for meta in ("gpkg_contents", "gpkg_geometry_columns", "gpkg_extensions", "gpkg_ogr_contents"):
        exists = con.execute("SELECT 1 FROM sqlite_master WHERE name=?", (meta,)).fetchone()
        if exists:
            con.execute(f'DELETE FROM "{meta}" WHERE lower(table_name)=lower(?)', (table,))


def _restore_dtypes(frame, kind: str):
    """Give columns the dtypes their schema names (GeoPackage loses e.g. str adcodes)."""
    schema = get_schema(kind)
    for name, col in schema.columns.items():
        if name not in frame.columns:
            continue
        if col.dtype == "str":
            values = frame[name]
            frame[name] = values.astype("string").astype(object).where(values.notna(), None)
        elif col.dtype == "date":
            frame[name] = pd.to_datetime(frame[name]).dt.date
        elif col.dtype == "bool":
            frame[name] = frame[name].astype("boolean")
        elif col.dtype == "int":
            frame[name] = pd.to_numeric(frame[name], errors="coerce").round().astype("Int64")
    return frame
