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


def read_vector(
    path: str | Path, *, kind: str | None = None, layer: str | None = None, encoding: str | None = None
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
        with _unzipped(path) as inner:
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


def _read_csv(path: Path, *, encoding: str | None) -> gpd.GeoDataFrame:
    encodings = (encoding,) if encoding else ("utf-8-sig", "gb18030")
    table = None
    for enc in encodings:
        try:
            table = pd.read_csv(path, encoding=enc, dtype=str, keep_default_na=False, na_values=[""])
            break
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            msg = f"{path}: the CSV file has no header and no rows"
            raise InputError(msg) from None
        except Exception as exc:
            msg = f"{path}: cannot be read as CSV ({_short(exc)})"
            raise InputError(msg) from None
    if table is None:
        msg = f"{path}: the CSV is neither UTF-8 nor GB18030; pass --encoding"
        raise InputError(msg)
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
def _unzipped(path: Path) -> Iterator[Path]:
    """Extract a zip safely into a temporary folder; yield the dataset inside it.

    Entries with absolute paths or ``..`` components are rejected before anything is
    extracted, so nothing is ever written outside the temporary folder.
    """
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        msg = f"{path}: not a valid zip archive"
        raise InputError(msg) from None
    with archive, tempfile.TemporaryDirectory(prefix="xysiting-zip-") as tmpdir:
        members = archive.infolist()
        unsafe = [m.filename for m in members if _unsafe_member(m.filename)]
        if unsafe:
            msg = (
                f"{path}: rejected, the archive has entries that point outside it "
                f"({', '.join(unsafe[:3])}); re-create the zip with relative paths only"
            )
            raise InputError(msg)
        total = sum(m.file_size for m in members)
        if total > 8 * 1024**3:
            msg = f"{path}: the archive unpacks to {total / 1024**3:.1f} GiB; unpack it yourself"
            raise InputError(msg)
        archive.extractall(tmpdir)
        root = Path(tmpdir)
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


def _unsafe_member(name: str) -> bool:
    pure = PurePosixPath(name.replace("\\", "/"))
    return pure.is_absolute() or ".." in pure.parts or (len(name) > 1 and name[1] == ":")


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def read_raster_summary(path: str | Path) -> dict:
    """:func:`geo.raster.read_raster_info` plus resolution, tags and statistics of band 1.

    Adds ``res``, ``tags``, ``valid_count``, ``mean``, ``min``, ``max`` and ``finite`` (False
    when NaN or infinite values are not marked as nodata).  Raises InputError if the file is
    missing or not a readable raster.
    """
    import rasterio

    from geo.raster import read_raster_info

    info = read_raster_info(path)
    with rasterio.open(path) as ds:
        band = ds.read(1, masked=True)
        info.update(res=ds.res, tags=ds.tags())
    valid = band.compressed()
    info.update(
        valid_count=int(valid.size),
        mean=float(valid.mean()) if valid.size else float("nan"),
        min=float(valid.min()) if valid.size else float("nan"),
        max=float(valid.max()) if valid.size else float("nan"),
        finite=bool(np.isfinite(valid).all()) if valid.size else True,
    )
    return info
