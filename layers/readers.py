"""Readers for the formats people bring: GeoPackage, GeoJSON, Shapefile (plain or zipped),
GeoParquet, CSV (lon/lat columns or WKT), OpenStreetMap ``.osm``/``.osm.pbf`` and GeoTIFF.

Readers only read: they return a GeoDataFrame with the file's own CRS (possibly ``None``)
and leave checking to :mod:`layers.validate`.  Every failure is an :class:`InputError`
naming the file.
"""

from __future__ import annotations

import contextlib
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.errors import InputError, describe_rows
from layers._osm import read_osm_buildings, read_osm_roads

VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".zip", ".parquet", ".geoparquet", ".csv", ".osm", ".pbf")
RASTER_SUFFIXES = (".tif", ".tiff")
_LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "x坐标")
_LAT_NAMES = ("lat", "latitude", "y", "纬度", "y坐标")
_WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "shape")
_CHINESE_ENCODINGS = ("utf-8", "gb18030")
#: Largest total uncompressed size of a zip archive that is unpacked, bytes (2 GiB).
MAX_UNZIPPED_BYTES = 2 * 1024**3
#: Largest compression ratio (uncompressed / compressed) of a zip archive or of any member
#: over 1 MiB; real Shapefile zips compress 2–20×, zip bombs 1,000× and more.
MAX_ZIP_RATIO = 100.0
#: Largest number of entries in a zip archive.
MAX_ZIP_MEMBERS = 10_000
_RATIO_FLOOR_BYTES = 1024**2


def read_vector(
    path: str | Path,
    *,
    kind: str | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    max_unzipped_bytes: int = MAX_UNZIPPED_BYTES,
    max_zip_ratio: float = MAX_ZIP_RATIO,
) -> gpd.GeoDataFrame:
    """Read a vector file into a GeoDataFrame (CRS as stored in the file, possibly None).

    Parameters
    ----------
    path : path-like
        GeoPackage, GeoJSON, Shapefile (``.shp`` or ``.zip``), GeoParquet, CSV, ``.osm``
        or ``.osm.pbf``.
    kind : str, optional
        The layer kind being imported; OSM extracts need it (``rooftops`` or ``roads``).
    layer : str, optional
        Layer name inside a multi-layer file (GeoPackage).
    encoding : str, optional
        Attribute encoding (e.g. ``GBK``) when a Shapefile has no ``.cpg`` or a CSV is not UTF-8.
    max_unzipped_bytes : int
        A ``.zip`` that unpacks to more bytes than this (default 2 GiB) is refused before
        anything is extracted.
    max_zip_ratio : float
        A ``.zip`` whose compression ratio (overall, or of any entry over 1 MiB) exceeds
        this (default 100) is refused before anything is extracted (zip bomb).
    """
    path = Path(path)
    if not path.exists():
        msg = f"{path}: file not found"
        raise InputError(msg)
    if path.is_file() and path.stat().st_size == 0:
        msg = f"{path}: the file is empty (0 bytes)"
        raise InputError(msg)
    name = path.name.lower()
    if name.endswith((".osm.pbf", ".pbf", ".osm")):
        return _read_osm(path, kind=kind)
    suffix = path.suffix.lower()
    if suffix == ".zip":
        with _unzipped(path, max_bytes=max_unzipped_bytes, max_ratio=max_zip_ratio) as inner:
            frame = read_vector(inner, kind=kind, layer=layer, encoding=encoding)
        return frame
    if suffix in (".parquet", ".geoparquet"):
        return _read_parquet(path)
    if suffix == ".csv":
        return _read_csv(path, encoding=encoding)
    if suffix in (".gpkg", ".geojson", ".json", ".shp"):
        return _read_ogr(path, layer=layer, encoding=encoding)
    msg = f"{path}: unsupported file type {suffix!r}; use one of {', '.join(VECTOR_SUFFIXES + RASTER_SUFFIXES)}"
    raise InputError(msg)


def _read_osm(path: Path, *, kind: str | None) -> gpd.GeoDataFrame:
    if kind == "rooftops":
        return read_osm_buildings(path)
    if kind == "roads":
        return read_osm_roads(path)
    msg = (
        f"{path}: an OpenStreetMap extract can be imported as --layer rooftops (buildings) "
        f"or --layer roads (highways), not as {kind!r}"
    )
    raise InputError(msg)


def _read_ogr(path: Path, *, layer: str | None, encoding: str | None) -> gpd.GeoDataFrame:
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:  # GDAL's message is the useful part
        msg = f"{path}: cannot be read as {path.suffix[1:].upper()} ({_short(exc)})"
        raise InputError(msg) from None
    if layer is None and len(layers) > 1:
        names = ", ".join(str(row[0]) for row in layers)
        msg = f"{path}: holds several layers ({names}); choose one with --source-layer NAME"
        raise InputError(msg)
    if layer is not None and layer not in {str(row[0]) for row in layers}:
        names = ", ".join(str(row[0]) for row in layers)
        msg = f"{path}: has no layer {layer!r}; its layers are: {names}"
        raise InputError(msg)
    if path.suffix.lower() == ".shp" and encoding is None:
        encoding = _shapefile_encoding(path)
    try:
        frame = pyogrio.read_dataframe(path, layer=layer, encoding=encoding)
    except Exception as exc:
        msg = f"{path}: cannot be read ({_short(exc)})"
        raise InputError(msg) from None
    return frame


def _shapefile_encoding(path: Path) -> str | None:
    """The encoding of a Shapefile's attributes: its ``.cpg`` if present, else detected.

    Chinese shapefiles without a ``.cpg`` are usually GBK/GB18030; GDAL would otherwise
    decode them as Latin-1 and the names would come out garbled.
    """
    for cpg in (path.with_suffix(".cpg"), path.with_suffix(".CPG")):
        if cpg.exists():
            declared = cpg.read_text(encoding="ascii", errors="ignore").strip()
            if declared:
                return {"936": "GBK", "cp936": "GBK"}.get(declared.lower(), declared)
    dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None)
    if dbf is None:
        return None
    data = dbf.read_bytes()
    header_length = int.from_bytes(data[8:10], "little") if len(data) >= 32 else 0
    raw = data[header_length:].rstrip(b"\x1a")  # records only; the header is binary
    if raw.isascii():
        return None
    for candidate in _CHINESE_ENCODINGS:
        try:
            raw.decode(candidate)
        except UnicodeDecodeError:
            continue
        return "UTF-8" if candidate == "utf-8" else "GB18030"
    return None


def _read_parquet(path: Path) -> gpd.GeoDataFrame:
    try:
        return gpd.read_parquet(path)
    except ValueError as exc:
        if "geo" in str(exc).lower():
            msg = (
                f"{path}: a Parquet file without GeoParquet metadata; write it with "
                f"GeoDataFrame.to_parquet() or export lon/lat columns to CSV"
            )
            raise InputError(msg) from None
        msg = f"{path}: cannot be read as GeoParquet ({_short(exc)})"
        raise InputError(msg) from None
    except Exception as exc:
        msg = f"{path}: cannot be read as GeoParquet ({_short(exc)})"
        raise InputError(msg) from None


def read_csv_text(path: Path, *, encoding: str | None = None) -> pd.DataFrame:
    """A CSV file as text columns (empty cells NaN), in ``encoding`` or else UTF-8, then GB18030.

    Raises :class:`~geo.errors.InputError` naming the file when it is empty, malformed or in
    neither encoding.
    """
    encodings = (encoding,) if encoding else ("utf-8-sig", "gb18030")
    for enc in encodings:
        try:
            return pd.read_csv(path, encoding=enc, dtype=str, keep_default_na=False, na_values=[""])
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            msg = f"{path}: the CSV file has no header and no rows"
            raise InputError(msg) from None
        except Exception as exc:
            msg = f"{path}: cannot be read as CSV ({_short(exc)})"
            raise InputError(msg) from None
    msg = f"{path}: the CSV is neither UTF-8 nor GB18030; pass --encoding"
    raise InputError(msg)


def _read_csv(path: Path, *, encoding: str | None) -> gpd.GeoDataFrame:
    table = read_csv_text(path, encoding=encoding)
    lower = {c.strip().lower(): c for c in table.columns}
    lon_col = next((lower[n] for n in _LON_NAMES if n in lower), None)
    lat_col = next((lower[n] for n in _LAT_NAMES if n in lower), None)
    wkt_col = next((lower[n] for n in _WKT_NAMES if n in lower), None)
    if lon_col and lat_col:
        lon = pd.to_numeric(table[lon_col], errors="coerce")
        lat = pd.to_numeric(table[lat_col], errors="coerce")
        bad = lon.isna() | lat.isna()
        if bad.any():
            rows = describe_rows((table.index[bad] + 2).tolist())
            msg = (
                f"{path}: {lon_col}/{lat_col} are not numbers in {rows} "
                f"(line numbers, header = line 1); fix or remove those lines"
            )
            raise InputError(msg)
        infinite = ~(np.isfinite(lon.to_numpy(dtype="float64")) & np.isfinite(lat.to_numpy(dtype="float64")))
        if infinite.any():
            rows = describe_rows((table.index[infinite] + 2).tolist())
            msg = (
                f"{path}: {lon_col}/{lat_col} are infinite or too large (e.g. inf, 1e400) in {rows} "
                f"(line numbers, header = line 1); give coordinates as finite numbers"
            )
            raise InputError(msg)
        geometry = gpd.points_from_xy(lon.to_numpy(), lat.to_numpy())
        attrs = table.drop(columns=[lon_col, lat_col])
    elif wkt_col:
        text = table[wkt_col].fillna("")
        geoms = shapely.from_wkt(text.to_numpy(dtype=object), on_invalid="ignore")
        bad = pd.isna(geoms) & (text != "").to_numpy()
        if bad.any():
            rows = describe_rows((table.index[bad] + 2).tolist())
            msg = f"{path}: column {wkt_col!r} holds text that is not WKT in {rows}"
            raise InputError(msg)
        geometry = geoms
        attrs = table.drop(columns=[wkt_col])
    else:
        msg = (
            f"{path}: no coordinates found; the CSV needs lon and lat columns "
            f"(names: {'/'.join(_LON_NAMES[:4])} and {'/'.join(_LAT_NAMES[:3])}) or a WKT column "
            f"(wkt/geometry); its columns are: {', '.join(map(str, table.columns))}"
        )
        raise InputError(msg)
    attrs = attrs.apply(_numeric_if_possible)
    return gpd.GeoDataFrame(attrs, geometry=geometry, crs=None)


def _numeric_if_possible(column: pd.Series) -> pd.Series:
    converted = pd.to_numeric(column, errors="coerce")
    if converted.notna().sum() == column.notna().sum() and column.notna().any():
        # keep codes such as adcodes or ids with leading zeros as text
        text = column.dropna().astype(str)
        if text.str.match(r"^0\d").any() or column.name in ("id", "adcode", "county"):
            return column
        return converted
    return column


@contextlib.contextmanager
def _unzipped(
    path: Path,
    *,
    max_bytes: int = MAX_UNZIPPED_BYTES,
    max_ratio: float = MAX_ZIP_RATIO,
    max_members: int = MAX_ZIP_MEMBERS,
) -> Iterator[Path]:
    """Extract a zip safely into a temporary folder; yield the dataset inside it.

    Everything is checked from the archive's directory before a byte is extracted:

    * entries with absolute paths or ``..`` components are rejected, so nothing is ever
      written outside the temporary folder;
    * the archive is refused when it unpacks to more than ``max_bytes`` (default 2 GiB,
      :data:`MAX_UNZIPPED_BYTES`), holds more than ``max_members`` entries (10,000), or its
      compression ratio — of the whole archive, or of any entry over 1 MiB — exceeds
      ``max_ratio`` (default 100, :data:`MAX_ZIP_RATIO`): the signs of a zip bomb.

    Extraction then streams each entry and stops at its declared size, so an archive whose
    directory lies about sizes cannot write more than it declared.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        msg = f"{path}: not a valid zip archive ({_short(exc)})"
        raise InputError(msg) from None
    with archive:
        members = archive.infolist()
        unsafe = [m.filename for m in members if _unsafe_member(m.filename)]
        if unsafe:
            msg = (
                f"{path}: rejected, the archive has entries that point outside it "
                f"({', '.join(unsafe[:3])}); re-create the zip with relative paths only"
            )
            raise InputError(msg)
        _check_zip_bounds(path, members, max_bytes=max_bytes, max_ratio=max_ratio, max_members=max_members)
        with tempfile.TemporaryDirectory(prefix="xysiting-zip-") as tmpdir:
            root = Path(tmpdir)
            _extract_bounded(path, archive, members, root)
            candidates = [
                p
                for ext in (".shp", ".gpkg", ".geojson", ".json", ".csv", ".parquet")
                for p in sorted(root.rglob(f"*{ext}"))
                if "__MACOSX" not in p.parts
            ]
            if not candidates:
                msg = f"{path}: the archive holds no .shp, .gpkg, .geojson, .csv or .parquet file"
                raise InputError(msg)
            shps = [p for p in candidates if p.suffix == ".shp"]
            if len(shps) > 1:
                names = ", ".join(p.name for p in shps)
                msg = f"{path}: the archive holds several shapefiles ({names}); zip one per import"
                raise InputError(msg)
            yield shps[0] if shps else candidates[0]


def _check_zip_bounds(path: Path, members: list, *, max_bytes: int, max_ratio: float, max_members: int) -> None:
    """Refuse an archive whose directory announces too many entries, bytes or too high a ratio."""
    if len(members) > max_members:
        msg = f"{path}: the archive holds {len(members):,} entries (limit {max_members:,}); zip only the dataset"
        raise InputError(msg)
    total = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    if total > max_bytes:
        msg = (
            f"{path}: refused, the archive unpacks to {total / 1024**3:.2f} GiB, over the limit of "
            f"{max_bytes / 1024**3:.2f} GiB; clip the data to the region or import the unzipped file"
        )
        raise InputError(msg)
    ratios = [(m.file_size / max(m.compress_size, 1), m) for m in members if m.file_size > _RATIO_FLOOR_BYTES]
    worst = max(ratios, key=lambda pair: pair[0], default=None)
    overall = total / max(packed, 1)
    if (total > _RATIO_FLOOR_BYTES and overall > max_ratio) or (worst is not None and worst[0] > max_ratio):
        ratio, name = (worst[0], worst[1].filename) if worst is not None and worst[0] > overall else (overall, "all")
        msg = (
            f"{path}: refused, compression ratio {ratio:,.0f}:1 ({name}) exceeds the limit of "
            f"{max_ratio:g}:1 — this looks like a zip bomb; unzip it yourself if you trust it"
        )
        raise InputError(msg)


def _extract_bounded(path: Path, archive: zipfile.ZipFile, members: list, root: Path) -> None:
    """Stream each entry to ``root``, never writing more than the entry declares."""
    chunk = 1024**2
    for member in members:
        target = root / PurePosixPath(member.filename.replace("\\", "/"))
        if member.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        try:
            with archive.open(member) as src, open(target, "wb") as dst:
                while block := src.read(chunk):
                    written += len(block)
                    if written > member.file_size:
                        msg = f"{path}: entry {member.filename} holds more data than the archive declares; refused"
                        raise InputError(msg)
                    dst.write(block)
        except InputError:
            raise
        except OSError as exc:
            msg = f"{path}: entry {member.filename} cannot be unpacked into {root.parent} ({exc.strerror or exc})"
            raise InputError(msg) from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, ValueError) as exc:
            msg = f"{path}: entry {member.filename} cannot be unpacked ({_short(exc)}); re-create the zip"
            raise InputError(msg) from None


def _unsafe_member(name: str) -> bool:
    pure = PurePosixPath(name.replace("\\", "/"))
    return pure.is_absolute() or ".." in pure.parts or (len(name) > 1 and name[1] == ":")


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def read_raster_summary(
    path: str | Path, *, max_cells: int | None = None, clip_to_region: bool = False, crs=None
) -> dict:
    """:func:`geo.raster.read_raster_info` plus resolution, tags and statistics of band 1.

    Adds ``res``, ``tags``, ``valid_count``, ``mean``, ``min``, ``max``, ``finite`` (False
    when NaN or infinite values are not marked as nodata) and ``window`` (None, or the
    window read; see ``clip_to_region``).  Raises InputError if the file is missing or not a
    readable raster, or — before reading any cell — if it has more than ``max_cells`` cells
    (default :data:`geo.raster.MAX_RASTER_CELLS`, 50 million), stating its size and how to
    clip it to the Xiangyang region.

    Parameters
    ----------
    clip_to_region : bool
        A raster over ``max_cells`` is not refused at once: only its window over the
        Xiangyang region (:data:`layers.schema.REGION_BOUNDS`) is summarised, and refused if
        that window is still over the limit.  ``bounds`` is then the window's.
    crs : optional
        The CRS stated for a raster that declares none (to find the region's window).
    """
    import rasterio

    from geo.raster import MAX_RASTER_CELLS, check_raster_size, read_raster_info, window_for_bounds
    from layers.schema import REGION_BOUNDS

    info = read_raster_info(path)
    limit = MAX_RASTER_CELLS if max_cells is None else max_cells
    lon_min, lat_min, lon_max, lat_max = REGION_BOUNDS
    hint = (
        f"clip it to the Xiangyang region first, e.g. `gdalwarp -t_srs EPSG:4326 -te {lon_min} {lat_min} "
        f"{lon_max} {lat_max} {Path(path).name} clipped.tif` (add `-tr 0.0025 0.0025` to coarsen it to ~250 m)"
    )
    window = None
    width, height = info["width"], info["height"]
    clip = clip_to_region and width * height > limit and (info["crs"] is not None or crs is not None)
    if clip:
        stated = None if info["crs"] is not None else rasterio.crs.CRS.from_user_input(_epsg_or_text(crs))
        window = window_for_bounds(path, REGION_BOUNDS, crs=stated)
    if clip and window is None:
        hint = f"it does not even overlap the Xiangyang region {REGION_BOUNDS} (lon/lat); check the file and its CRS"
    elif window is not None:
        width, height = int(window.width), int(window.height)
        hint = (
            f"that is its window over the Xiangyang region alone (the whole file is {info['width']:,} × "
            f"{info['height']:,} cells); coarsen it first, e.g. `gdalwarp -tr 0.0025 0.0025 -te {lon_min} {lat_min} "
            f"{lon_max} {lat_max} {Path(path).name} coarse.tif`"
        )
    check_raster_size(path, width, height, dtype=info["dtype"], max_cells=limit, hint=hint)
    with rasterio.open(path) as ds:
        band = ds.read(1, masked=True, window=window)
        info.update(res=ds.res, tags=ds.tags(), window=window)
        if window is not None:
            info["bounds"] = tuple(rasterio.windows.bounds(window, ds.transform))
    valid = band.compressed()
    info.update(
        valid_count=int(valid.size),
        mean=float(valid.mean()) if valid.size else float("nan"),
        min=float(valid.min()) if valid.size else float("nan"),
        max=float(valid.max()) if valid.size else float("nan"),
        finite=bool(np.isfinite(valid).all()) if valid.size else True,
    )
    return info


def _epsg_or_text(crs):
    return f"EPSG:{crs}" if str(crs).isdigit() else crs
