"""Rooftop-PV data for the dashboard: one compact, read-only rooftop table per project version.

The server only *reads* the stored rooftop-PV result (:func:`siting.results.solar`, a
GeoParquet file or partitioned dataset under ``DIR/results/solar``; ``xysiting run`` or
:func:`dashboard.app.store_missing_results` stores it before serving).  Only the columns the
map and the table show are read, in compact dtypes (categories for the repeated texts,
float32 for per-rooftop figures that are only shown, float64 for the ones that are summed);
the geometry is read in batches and reduced to centroid lon/lat, so no million polygons are
ever held.  The frame is cached once per project version and shared by every session (never
modify it); filtering happens per session in :mod:`dashboard.solar_tab`.  It is sorted by
yearly generation (largest first) so that every filtered subset is already in shortlist
order without re-sorting a million rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import panel as pn
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import shapely

from dashboard import _data
from layers.project import Project

#: Result columns the dashboard shows, by the name it shows them under: each is a column of
#: ``siting.solar.RESULT_COLUMNS`` (the one rename: tCO2 avoided is shown as ``tco2_per_year``).
RESULT_COLUMNS: dict[str, str] = {
    "usable_m2": "usable_m2",
    "kwp": "kwp",
    "kwh_per_year": "kwh_per_year",
    "kwh_per_kwp": "kwh_per_kwp",
    "tco2_per_year": "tco2_avoided_per_year",
    "payback_years": "payback_years",
    "lcoe_cny_per_kwh": "lcoe_cny_per_kwh",
    "suitable": "suitable",
    "exclusion_reason": "exclusion_reason",
    "county_rank": "county_rank",
}
#: Rooftop attributes kept beside the results (the result stores them with the rooftop).
ROOFTOP_COLUMNS = ("id", "name", "county", "park_id", "use_class")
_FLOAT = ("usable_m2", "kwp", "kwh_per_year", "kwh_per_kwp", "tco2_per_year", "payback_years", "lcoe_cny_per_kwh")
#: Figures that are summed over up to millions of rows (totals): kept in float64.
_SUMMED = ("kwp", "kwh_per_year", "tco2_per_year", "area_m2")
CATEGORICAL = ("county", "park_id", "use_class")
#: Rooftops per batch when reducing the stored polygons to centroids (bounds the memory).
_GEOMETRY_BATCH = 131_072


# -- the stored result ------------------------------------------------------------------------
def stored_result(project: Project):
    """The current stored rooftop-PV result (:class:`layers.results.StoredResult`), or None.

    Only looks: nothing is computed (default weather and assumptions, as ``xysiting run``
    stores them).
    """
    from siting import results

    return results.lookup(project, "solar", {})


def compute_results(project: Project) -> pd.DataFrame:
    """The project's stored rooftop-PV result (:func:`siting.results.solar`), the shown columns.

    Read from ``DIR/results`` when current (``xysiting run`` or an earlier server stored
    it); computed once and stored otherwise, with the defaults: the embedded Xiangyang
    weather (``default_weather()``, CDSRD station climatology, FACTS.md "Solar resource")
    and ``PVAssumptions()``.  The server itself never calls this on a request: it stores
    missing results before serving (:func:`dashboard.app.store_missing_results`).
    """
    from siting import results

    stored = results.solar(project).stored
    frame = stored.read("rooftops", columns=["id", *dict.fromkeys(RESULT_COLUMNS.values())])
    frame.attrs["solar"] = export_metadata(stored)
    return frame


def export_metadata(stored) -> dict:
    """The assumptions a stored PV result's exports carry: its metadata (PV assumptions,
    weather, repairs), its method version, when it was computed and its key."""
    return {
        **stored.extra.get("metadata", {}),
        "method_version": stored.params.get("method", ""),
        "result_computed_utc": stored.meta.get("created", ""),
        "result_key": stored.key[:12],
    }


def _dataset(stored) -> tuple[ds.Dataset, str | None]:
    """The ``rooftops`` frame of ``stored`` as a pyarrow dataset (file or partitioned), and its
    primary geometry column."""
    from layers.results import _frame_path

    path = Path(_frame_path(stored.path, "rooftops"))
    dataset = ds.dataset(path, format="parquet")
    geo = (dataset.schema.metadata or {}).get(b"geo")
    return dataset, (json.loads(geo).get("primary_column", "geometry") if geo else None)


def _is_wgs84(dataset: ds.Dataset, geometry: str) -> bool:
    """Whether the GeoParquet geometry is in lon/lat (no ``crs`` means OGC:CRS84)."""
    meta = json.loads(dataset.schema.metadata[b"geo"])
    crs = meta.get("columns", {}).get(geometry, {}).get("crs")
    if crs is None:
        return True
    import pyproj

    return pyproj.CRS.from_user_input(crs).equals(pyproj.CRS.from_epsg(4326), ignore_axis_order=True)


def _centroids(dataset: ds.Dataset, geometry: str) -> tuple[np.ndarray, np.ndarray]:
    """Centroid lon/lat (float64) of every stored geometry, decoded a batch at a time."""
    n = dataset.count_rows()
    lon = np.empty(n, dtype="float64")
    lat = np.empty(n, dtype="float64")
    wgs84 = _is_wgs84(dataset, geometry)
    start = 0
    for batch in dataset.to_batches(columns=[geometry], batch_size=_GEOMETRY_BATCH):
        column = batch.column(0)
        stop = start + len(column)
        if not wgs84 or not (pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type)):
            x, y = _centroids_shapely(column, dataset, geometry, wgs84=wgs84)
        else:
            x, y, done = wkb_polygon_centroids(column)
            rest = np.flatnonzero(~done)
            if rest.size:  # multipolygons, holes, big-endian, degenerate rings: GEOS
                x[rest], y[rest] = _centroids_shapely(column.take(pa.array(rest)), dataset, geometry, wgs84=True)
        lon[start:stop] = x
        lat[start:stop] = y
        start = stop
    return lon, lat


def _centroids_shapely(column: pa.Array, dataset: ds.Dataset, geometry: str, *, wgs84: bool):
    """Centroid lon/lat of WKB (or GeoArrow) geometries with shapely/GEOS."""
    if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
        geoms = shapely.from_wkb(column.to_numpy(zero_copy_only=False))
    else:
        import geopandas as gpd

        geoms = gpd.GeoSeries.from_arrow(column).to_numpy()
    if not wgs84:
        import geopandas as gpd

        crs = json.loads(dataset.schema.metadata[b"geo"])["columns"][geometry]["crs"]
        geoms = gpd.GeoSeries(geoms, crs=crs).to_crs("EPSG:4326").to_numpy()
    centroids = shapely.centroid(geoms)
    return shapely.get_x(centroids), shapely.get_y(centroids)


def _u32(data: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Little-endian uint32 at byte positions ``pos`` of ``data`` (unaligned)."""
    out = data[pos].astype(np.uint32)
    for i in (1, 2, 3):
        out |= data[pos + i].astype(np.uint32) << np.uint32(8 * i)
    return out


def wkb_polygon_centroids(wkb: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Area centroids of WKB polygons with one ring, decoded with numpy (no GEOS objects).

    Rooftops are almost all simple polygons; for those the centroid is computed straight
    from the WKB bytes with the shoelace formula (relative to each ring's first vertex, as
    GEOS does, so small roofs far from the origin keep their precision).

    Parameters
    ----------
    wkb : pyarrow.BinaryArray or LargeBinaryArray
        ISO/OGC WKB geometries.

    Returns
    -------
    x, y : numpy.ndarray
        Centroid coordinates (NaN where not computed).
    done : numpy.ndarray of bool
        Rows computed here; the others (nulls, multipolygons, holes, Z/M, big-endian,
        zero-area or unclosed rings) are left for GEOS.
    """
    n = len(wkb)
    x_out = np.full(n, np.nan)
    y_out = np.full(n, np.nan)
    done = np.zeros(n, dtype=bool)
    buffer = wkb.buffers()[2]
    if n == 0 or buffer is None:
        return x_out, y_out, done
    data = np.frombuffer(buffer, dtype=np.uint8)
    offset_type = np.int64 if pa.types.is_large_binary(wkb.type) else np.int32
    offsets = np.frombuffer(wkb.buffers()[1], dtype=offset_type)[wkb.offset : wkb.offset + n + 1].astype(np.int64)
    starts, lengths = offsets[:-1], np.diff(offsets)
    valid = wkb.is_valid().to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(valid & (lengths >= 13 + 16 * 4))
    s = starts[rows]
    npts = _u32(data, s + 9).astype(np.int64)
    simple = (data[s] == 1) & (_u32(data, s + 1) == 3) & (_u32(data, s + 5) == 1)
    simple &= lengths[rows] == 13 + 16 * npts
    rows, s, npts = rows[simple], s[simple], npts[simple]
    first_coord = s + 13  # byte position of each ring's first x
    for m in np.unique(npts):
        for r in range(8):  # float64 views at each byte alignment: gather whole doubles
            sel = np.flatnonzero((npts == m) & (first_coord % 8 == r))
            if not sel.size:
                continue
            view = np.frombuffer(buffer, dtype=np.float64, offset=r, count=(len(data) - r) // 8)
            coords = view[((first_coord[sel] - r) // 8)[:, None] + np.arange(2 * m)]
            x0, y0 = coords[:, :1], coords[:, 1:2]
            x, y = coords[:, 0::2] - x0, coords[:, 1::2] - y0
            cross = x[:, :-1] * y[:, 1:] - x[:, 1:] * y[:, :-1]
            area2 = cross.sum(axis=1)
            cx = ((x[:, :-1] + x[:, 1:]) * cross).sum(axis=1)
            cy = ((y[:, :-1] + y[:, 1:]) * cross).sum(axis=1)
            closed = (x[:, -1] == 0) & (y[:, -1] == 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                cx = cx / (3.0 * area2) + x0[:, 0]
                cy = cy / (3.0 * area2) + y0[:, 0]
            ok = closed & (area2 != 0) & np.isfinite(cx) & np.isfinite(cy)
            target = rows[sel[ok]]
            x_out[target], y_out[target] = cx[ok], cy[ok]
            done[target] = True
    return x_out, y_out, done


def _compact(table: pa.Table, lon: np.ndarray, lat: np.ndarray, order: np.ndarray) -> pd.DataFrame:
    """The dashboard's rooftop frame from the stored columns, rows in ``order``."""
    table = table.take(pa.array(order))
    out = {"rank": np.arange(1, len(order) + 1, dtype="int32")}
    for col in ROOFTOP_COLUMNS:
        if col not in table.column_names:
            values = pd.Series([""] * len(order), dtype="category" if col in CATEGORICAL else "str")
            out[col] = values
            continue
        column = pc.fill_null(table[col].cast(pa.string()), "")
        if col in CATEGORICAL:
            out[col] = column.dictionary_encode().to_pandas()  # categorical, few distinct values
        else:
            out[col] = column.to_pandas()  # pandas' arrow-backed str: no Python object per row
    out["area_m2"] = table["footprint_m2"].to_numpy(zero_copy_only=False).astype("float64")
    for name, column in RESULT_COLUMNS.items():
        if column not in table.column_names:
            continue
        values = table[column]
        if name in _FLOAT or name == "county_rank":
            dtype = "float64" if name in _SUMMED else "float32"
            out[name] = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False).astype(dtype, copy=False)
        elif name == "suitable":
            out[name] = pc.fill_null(values, False).to_numpy(zero_copy_only=False).astype(bool)
        else:  # exclusion_reason: a handful of reasons
            out[name] = pc.fill_null(values.cast(pa.string()), "").dictionary_encode().to_pandas()
    out["lon"] = lon[order]
    out["lat"] = lat[order]
    frame = pd.DataFrame(out, copy=False)
    for col in (*CATEGORICAL, "exclusion_reason"):
        if col in frame:  # categories in sorted order (the filter menus list them), as before
            cat = frame[col].astype("category").cat
            frame[col] = cat.reorder_categories(sorted(cat.categories))
    return frame


#: The dashboard's rooftop frame of a stored rooftop-PV result, kept beside it (in the result's
#: own folder, so it goes when the result goes and can never outlive its key) as one
#: uncompressed Arrow IPC file that later server starts memory-map instead of decoding the
#: GeoParquet result and a million polygons again.
TABLE_CACHE = "dashboard_rooftops.arrow"
#: Changes whenever :func:`read_stored_table`'s output changes (older cache files are ignored).
_TABLE_CACHE_VERSION = "1"


def read_stored_table(stored) -> pd.DataFrame:
    """The dashboard's rooftop frame read from a stored rooftop-PV result, sorted by generation.

    Columns: ``rank``, the :data:`ROOFTOP_COLUMNS`, ``area_m2`` (the result's footprint),
    the shown :data:`RESULT_COLUMNS`, ``lon``/``lat`` (WGS84 centroid); ``attrs["solar"]``
    holds the stored PV assumptions and weather for exports.

    Read from the result's :data:`TABLE_CACHE` when it is there and made for this result
    (``xysiting run`` writes it; otherwise the first read does); else decoded from the stored
    GeoParquet and the cache written (atomically; a project that cannot be written is read
    every time).
    """
    cached = _read_table_cache(stored)
    if cached is not None:
        return cached
    frame = _decode_stored_table(stored)
    write_table_cache(stored, frame)
    return frame


def _cache_tag(stored) -> bytes:
    return json.dumps({"version": _TABLE_CACHE_VERSION, "key": stored.key}).encode()


def write_table_cache(stored, frame: pd.DataFrame) -> Path | None:
    """Write ``frame`` (:func:`read_stored_table` of ``stored``) beside the result; its path, or
    None when the folder cannot be written (a warning is printed)."""
    import os
    import sys

    path = Path(stored.path) / TABLE_CACHE
    tmp = path.with_name(f".{TABLE_CACHE}.tmp-{os.getpid()}")
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[b"xysiting_table"] = _cache_tag(stored)
        meta[b"xysiting_attrs"] = json.dumps(frame.attrs, default=str).encode()
        table = table.replace_schema_metadata(meta)
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        os.replace(tmp, path)  # a new file, never rewritten in place: running servers memory-map the old one
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        print(f"xysiting: warning: could not keep the rooftop table beside {stored.path}: {exc}", file=sys.stderr)
        return None
    return path


def _read_table_cache(stored) -> pd.DataFrame | None:
    """The cached frame of ``stored`` (memory-mapped), or None when absent or not this result's."""
    path = Path(stored.path) / TABLE_CACHE
    if not path.is_file():
        return None
    try:
        table = pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()
        meta = table.schema.metadata or {}
        if meta.get(b"xysiting_table") != _cache_tag(stored):
            return None
        frame = table.to_pandas(split_blocks=True)
        frame.attrs.update(json.loads(meta.get(b"xysiting_attrs", b"{}")))
    except (OSError, ValueError, pa.ArrowException):  # torn or foreign file: decode the result again
        return None
    return frame


def _decode_stored_table(stored) -> pd.DataFrame:
    """:func:`read_stored_table` from the stored GeoParquet (no cache)."""
    dataset, geometry = _dataset(stored)
    names = set(dataset.schema.names)
    wanted = [c for c in (*ROOFTOP_COLUMNS, "footprint_m2", *dict.fromkeys(RESULT_COLUMNS.values())) if c in names]
    missing = [c for c in ("id", "footprint_m2", "kwh_per_year") if c not in names]
    if missing or geometry is None:
        from geo.errors import InputError

        what = ", ".join(missing) if missing else "geometry"
        msg = (
            f"stored rooftop-PV result {stored.path} has no {what}; recompute it with "
            f"`xysiting run {Path(stored.path).parents[2]} --only solar`"
        )
        raise InputError(msg)
    table = dataset.to_table(columns=wanted)
    lon, lat = _centroids(dataset, geometry)
    kwh = pc.cast(table["kwh_per_year"], pa.float64()).to_numpy(zero_copy_only=False)
    order = np.argsort(-np.nan_to_num(kwh, nan=-np.inf), kind="stable")
    frame = _compact(table, lon, lat, order)
    frame.attrs["solar"] = export_metadata(stored)  # the PV assumptions, weather, method version
    return frame


# -- the shared frames -----------------------------------------------------------------------
@pn.cache(max_items=2)
def _stored_table(version: tuple) -> pd.DataFrame | None:
    stored = stored_result(Project(version[0]))
    return None if stored is None else read_stored_table(stored)


def stored_table(project: Project) -> pd.DataFrame | None:
    """:func:`read_stored_table` of the current stored result (cached, read-only), or None."""
    return _stored_table(_data.project_version(project))


@pn.cache(max_items=2)
def _rooftop_table(version: tuple, with_pv: bool) -> pd.DataFrame | None:
    project = Project(version[0])
    if with_pv:
        table = _stored_table(version)
        if table is None:  # not stored (outside the server): compute and store it once
            compute_results(project)
            _stored_table.clear()
            _data._rooftop_points.clear()
            table = _stored_table(version)
        return table
    base = _data.rooftop_points(project)
    if base is None:
        return None
    order = np.argsort(-base["area_m2"].to_numpy(), kind="stable")
    table = base.iloc[order].reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1, dtype="int32"))
    for col in CATEGORICAL:
        table[col] = table[col].astype("category")
    table.attrs["solar"] = {}
    return table


def rooftop_table(project: Project, *, with_pv: bool) -> pd.DataFrame | None:
    """Rooftops with PV results (when ``with_pv``), sorted by generation; cached, read-only.

    With ``with_pv`` this is :func:`stored_table` (the one shared frame); outside a server
    a missing result is computed and stored first.  Without, rooftops sorted by area.
    """
    if with_pv and not project.has("rooftops"):
        return None
    return _rooftop_table(_data.project_version(project), bool(with_pv))


@pn.cache(max_items=4)
def _mercator_xy(version: tuple, with_pv: bool, gcj02: bool) -> tuple[np.ndarray, np.ndarray]:
    table = _rooftop_table(version, with_pv)
    return _data.points_to_mercator(table["lon"].to_numpy(), table["lat"].to_numpy(), gcj02=gcj02)


def mercator_xy(project: Project, *, with_pv: bool, gcj02: bool):
    """Web Mercator x, y of :func:`rooftop_table`'s rows (GCJ-02-shifted if ``gcj02``)."""
    return _mercator_xy(_data.project_version(project), bool(with_pv), bool(gcj02))


#: The columns :func:`suitable_results` keeps (what the progress tab's county roll-up reads).
SUITABLE_COLUMNS = ("id", "county", "kwp", "kwh_per_year", "suitable")


@pn.cache(max_items=2)
def _suitable_results(version: tuple) -> pd.DataFrame | None:
    table = _rooftop_table(version, True)
    if table is None:
        return None
    cols = [c for c in SUITABLE_COLUMNS if c in table.columns]
    result = table[cols]  # copy-on-write: shares the table's columns
    if "suitable" in result:
        result = result[result["suitable"].to_numpy()]
    return result


def suitable_results(project: Project) -> pd.DataFrame | None:
    """The suitable rooftops' id, county (categorical), kWp and kWh/yr (for the progress tab).

    One small frame per project version, shared by every session: cached, read-only.
    """
    return _suitable_results(_data.project_version(project))


@dataclass(frozen=True)
class FilterColumns:
    """Compact, read-only columns of :func:`rooftop_table` for filtering a session's view.

    Categorical filters are small integer codes (``-1`` for none), thresholds are the
    table's own float64 columns (no copy), and the rows of each county (all and suitable
    only) are precomputed ascending index arrays, so a filter touches only the rows of the
    chosen county.  Rows keep the table's order (largest generation first).
    """

    counties: tuple[str, ...]  #: county adcodes, by code
    parks: tuple[str, ...]  #: park ids, by code
    uses: tuple[str, ...]  #: use classes, by code
    county_code: np.ndarray
    park_code: np.ndarray
    use_code: np.ndarray
    numbers: dict[str, np.ndarray]  #: float64 columns: area_m2 and, with PV, kwp, kwh_per_year, ...
    suitable: np.ndarray | None  #: bool, None without PV results
    rows: dict[tuple[int, bool], np.ndarray]  #: (county code or -1 for all, suitable only) → row index
    ids: pd.api.extensions.ExtensionArray  #: rooftop id of each row (Arrow-backed str: no object per row)
    names: pd.api.extensions.ExtensionArray  #: rooftop name of each row (Arrow-backed str, "" when missing)
    city_kwp: dict[bool, float]  #: kWp of all rooftops (suitable only: True) of the table, for shares

    def row_of(self, rooftop_id: str) -> int:
        """Position of rooftop ``rooftop_id`` in the table, or -1 (a vectorised scan, a few
        ms on a million rows: no hash index of a million ids is built or kept)."""
        if not rooftop_id:
            return -1
        hits = np.flatnonzero(np.asarray(self.ids == str(rooftop_id), dtype=bool))
        return int(hits[0]) if hits.size else -1


def _read_only(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    a.flags.writeable = False
    return a


def _strings(column: pd.Series) -> pd.api.extensions.ExtensionArray:
    """``column`` as an Arrow-backed string array ("" for missing): zero-copy when it already is one."""
    if column.dtype == "str" and not column.hasnans:
        return column.array
    return column.fillna("").astype("str").array


@pn.cache(max_items=8)
def _filter_columns(version: tuple, with_pv: bool) -> FilterColumns | None:
    table = _rooftop_table(version, with_pv)
    if table is None:
        return None
    codes = {col: table[col].cat.codes.to_numpy() for col in CATEGORICAL}
    numbers = {
        col: _read_only(table[col].to_numpy(dtype="float64"))
        for col in ("rank", "area_m2", "county_rank", *_FLOAT)
        if col in table.columns
    }
    suitable = _read_only(table["suitable"].to_numpy(dtype=bool)) if "suitable" in table.columns else None
    county = codes["county"]
    rows: dict[tuple[int, bool], np.ndarray] = {}
    dtype = np.int32 if len(table) < 2**31 else np.int64
    order = np.argsort(county, kind="stable").astype(dtype)  # rows grouped by county, in table order
    bounds = np.searchsorted(county[order], np.arange(-1, len(table["county"].cat.categories) + 1))
    for code in range(-1, len(table["county"].cat.categories)):
        idx = order[bounds[code + 1] : bounds[code + 2]]
        rows[(code, False)] = _read_only(idx)
        rows[(code, True)] = _read_only(idx[suitable[idx]] if suitable is not None else idx)
    everything = np.arange(len(table), dtype=dtype)
    rows[(-1, False)] = _read_only(everything)
    rows[(-1, True)] = _read_only(np.flatnonzero(suitable).astype(dtype) if suitable is not None else everything)
    return FilterColumns(
        counties=tuple(str(c) for c in table["county"].cat.categories),
        parks=tuple(str(c) for c in table["park_id"].cat.categories),
        uses=tuple(str(c) for c in table["use_class"].cat.categories),
        county_code=_read_only(county),
        park_code=_read_only(codes["park_id"]),
        use_code=_read_only(codes["use_class"]),
        numbers=numbers,
        suitable=suitable,
        rows=rows,
        ids=_strings(table["id"]),
        names=_strings(table["name"]),
        city_kwp={
            flag: float(np.nansum(numbers["kwp"][rows[(-1, flag)]])) if "kwp" in numbers else float("nan")
            for flag in (False, True)
        },
    )


def filter_columns(project: Project, *, with_pv: bool) -> FilterColumns | None:
    """:class:`FilterColumns` of :func:`rooftop_table` (cached per project version, shared)."""
    return _filter_columns(_data.project_version(project), bool(with_pv))
