"""Validation of a layer against its schema, run on every import.

:func:`validate` checks and normalises a GeoDataFrame read from a user's file:

* a missing CRS is an error unless the user states one (``crs=``); CGCS2000 and any
  projected CRS are accepted and converted to WGS84;
* GCJ-02 / BD-09 coordinates (Chinese web maps, DataV GeoJSON) are converted to WGS84
  when the user says so (``from_gcj02=True`` / ``from_bd09=True``);
* geometry types must match the schema; invalid geometries are repaired
  (``make_valid``) and counted; null and empty geometries are dropped and counted;
* required columns must be present; numbers must be numbers (offending rows named);
  values must lie in their allowed set and range; ids are unique;
* latitude/longitude given in the wrong order is detected; features far outside the
  project region are flagged (kept, and listed in the report).

Problems the user must fix raise :class:`geo.errors.InputError`; repairs are reported in
the returned :class:`ValidationReport`, never silent.

Why one module over 500 lines: every check of every layer kind (geometry, CRS, columns,
ranges, region) is here so that import and the analyses (:mod:`layers.conform`) share one
implementation.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo.crs import WGS84, geometries_bd09_to_wgs84, geometries_gcj02_to_wgs84, require_crs
from geo.errors import InputError, describe_rows
from geo.repair import RepairTooLarge, repair_geometries
from layers.schema import REGION_BOUNDS, LayerSchema, get_schema

_TYPE_IDS = {
    "Point": 0,
    "LineString": 1,
    "Polygon": 3,
    "MultiPoint": 4,
    "MultiLineString": 5,
    "MultiPolygon": 6,
}
_FAMILY = {
    "Polygon": "polygon",
    "MultiPolygon": "polygon",
    "LineString": "line",
    "MultiLineString": "line",
    "Point": "point",
    "MultiPoint": "point",
}


@dataclass
class ValidationReport:
    """What validation did to a layer: counts of repairs, drops and flags."""

    kind: str
    source_name: str
    input_count: int = 0
    output_count: int = 0
    repaired_invalid: int = 0
    dropped_empty: int = 0
    dropped_empty_ids: list[str] = field(default_factory=list)
    outside_region: int = 0
    dropped_outside: int = 0
    region_label: str = "the Xiangyang region"
    outside_region_ids: list[str] = field(default_factory=list)
    converted_from: str | None = None
    notes: list[str] = field(default_factory=list)

    def messages(self) -> list[str]:
        """Human-readable lines describing every repair and flag."""
        out = []
        if self.converted_from:
            out.append(f"converted coordinates from {self.converted_from} to WGS84 (EPSG:4326)")
        if self.repaired_invalid:
            out.append(f"repaired {self.repaired_invalid} invalid geometries (make_valid)")
        if self.dropped_empty:
            ids = ", ".join(self.dropped_empty_ids[:5])
            out.append(f"dropped {self.dropped_empty} features with empty or missing geometry ({ids})")
        if self.dropped_outside:
            out.append(
                f"dropped {self.dropped_outside} of {self.input_count} features outside {self.region_label}; "
                f"they are not stored"
            )
        if self.outside_region:
            ids = ", ".join(self.outside_region_ids[:5])
            out.append(
                f"flagged {self.outside_region} features far outside the Xiangyang region "
                f"({ids}); they are kept — check their coordinates"
            )
        out.extend(self.notes)
        return out


def validate(
    frame: gpd.GeoDataFrame | pd.DataFrame,
    kind: str,
    *,
    source_name: str = "input",
    crs: str | int | None = None,
    from_gcj02: bool = False,
    from_bd09: bool = False,
    default_source: str = "user",
    allow_outside: bool = False,
    region=None,
    region_label: str | None = None,
) -> tuple[gpd.GeoDataFrame | pd.DataFrame, ValidationReport]:
    """Check ``frame`` against the schema of ``kind`` and return the cleaned layer.

    Parameters
    ----------
    frame : GeoDataFrame or DataFrame
        As read from the user's file.
    kind : str
        Layer kind (see :data:`layers.schema.LAYER_KINDS`).
    source_name : str
        File name used in messages.
    crs : str or int, optional
        The CRS the user states for data whose file carries none (e.g. ``4490``).
    from_gcj02, from_bd09 : bool
        The coordinates are GCJ-02 / BD-09 lon/lat; convert them to WGS84.
    default_source : str
        ``source`` for features that do not carry one.
    allow_outside : bool
        Accept a file whose every feature lies far outside the region (otherwise an
        InputError naming the likely cause: a wrong CRS, swapped axes or the wrong file).
    region : shapely geometry, optional
        For layers whose schema has ``clip_to_region`` (power plants, grid): features whose
        representative point lies outside this WGS84 outline are dropped and counted
        (default: the box :data:`layers.schema.REGION_BOUNDS`).
    region_label : str, optional
        How messages name the region.

    Returns
    -------
    layer : GeoDataFrame (EPSG:4326) or DataFrame for tables
    report : ValidationReport
    """
    schema = get_schema(kind)
    report = ValidationReport(kind=kind, source_name=source_name, input_count=len(frame))
    if len(frame) == 0:
        msg = f"{source_name}: no features to import as {kind!r} (the file or layer is empty)"
        raise InputError(msg)
    if from_gcj02 and from_bd09:
        msg = "choose one of --from-gcj02 and --from-bd09, not both"
        raise InputError(msg)
    out = frame.copy()
    out.columns = [str(c).strip() for c in out.columns]
    if schema.is_table:
        if isinstance(out, gpd.GeoDataFrame):
            out = pd.DataFrame(out.drop(columns=out.geometry.name))
        out = check_columns(out, schema, source_name, report, default_source)
        report.output_count = len(out)
        return out, report
    if not isinstance(out, gpd.GeoDataFrame) or out.geometry.name not in out.columns:
        msg = f"{source_name}: no geometry; layer {kind!r} needs {'/'.join(schema.geometry)} features"
        raise InputError(msg)
    out = ensure_ids(out, kind)
    out = _drop_empty(out, source_name, report)
    _check_finite_coordinates(out, source_name)
    out = _set_crs(out, source_name, crs)
    out = check_geometry_types(out, schema, source_name)
    out = _repair(out, schema, report, source_name)
    declared = pyproj.CRS.from_user_input(out.crs)
    out = _to_wgs84(out, source_name, from_gcj02=from_gcj02, from_bd09=from_bd09, report=report)
    _check_swapped(out, source_name)
    if schema.clip_to_region:
        out = _drop_outside(out, source_name, report, region, region_label)
    _flag_outside_region(out, report, source_name=source_name, declared=declared, allow_outside=allow_outside)
    out = check_columns(out, schema, source_name, report, default_source)
    report.output_count = len(out)
    return out, report


def ensure_ids(frame, kind: str):
    """Give every feature of ``frame`` an ``id`` (in place): counties their adcode, others
    ``KIND-N`` by row where the id is missing; ids become text."""
    if kind == "counties" and "adcode" in frame.columns and ("id" not in frame.columns or frame["id"].isna().all()):
        frame["id"] = frame["adcode"].astype(str)
    if "id" not in frame.columns or frame["id"].isna().all():
        frame["id"] = [f"{kind}-{i}" for i in range(1, len(frame) + 1)]
    else:
        ids = frame["id"]
        missing = ids.isna()
        frame["id"] = ids.astype(object).where(~missing, None)
        if missing.any():
            frame.loc[missing, "id"] = [f"{kind}-{i}" for i in np.flatnonzero(missing.to_numpy()) + 1]
        frame["id"] = frame["id"].astype(str)
    return frame


def _drop_empty(frame: gpd.GeoDataFrame, source_name: str, report: ValidationReport):
    geoms = frame.geometry.to_numpy()
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.all():
        msg = f"{source_name}: every feature has an empty or missing geometry; nothing to import"
        raise InputError(msg)
    if empty.any():
        report.dropped_empty = int(empty.sum())
        report.dropped_empty_ids = frame.loc[empty, "id"].astype(str).tolist()
        frame = frame.loc[~empty]
    return frame


def _check_finite_coordinates(frame: gpd.GeoDataFrame, source_name: str) -> None:
    """Refuse geometries with infinite or NaN coordinates, naming their rows."""
    coords, index = shapely.get_coordinates(frame.geometry.to_numpy(), return_index=True)
    bad_coord = ~np.isfinite(coords).all(axis=1)
    if bad_coord.any():
        rows = np.unique(index[bad_coord])
        msg = (
            f"{source_name}: infinite or missing coordinates (inf, NaN, or beyond ±1.8e308 such as 1e400) in "
            f"{describe_rows(frame['id'].astype(str).to_numpy()[rows].tolist())}; fix or remove those features"
        )
        raise InputError(msg)


def _set_crs(frame: gpd.GeoDataFrame, source_name: str, crs) -> gpd.GeoDataFrame:
    if crs is not None:
        try:
            stated = pyproj.CRS.from_user_input(int(crs) if str(crs).isdigit() else crs)
        except pyproj.exceptions.CRSError:
            msg = f"--crs {crs!r} is not a CRS pyproj knows; give an EPSG code such as 4326 or 4490"
            raise InputError(msg) from None
        if frame.crs is not None and not pyproj.CRS.from_user_input(frame.crs).equals(stated):
            msg = (
                f"{source_name}: the file declares {frame.crs.to_string()} but --crs says "
                f"{stated.to_string()}; drop --crs or fix the file's .prj"
            )
            raise InputError(msg)
        return frame.set_crs(stated, allow_override=True)
    require_crs(
        frame,
        what=source_name,
        fix="state it with --crs, e.g. --crs 4326 for WGS84 lon/lat, --crs 4490 for CGCS2000, --crs 32649 for UTM 49N",
    )
    return frame


def check_geometry_types(frame: gpd.GeoDataFrame, schema: LayerSchema, source_name: str):
    """Raise unless every geometry is of a type ``schema`` accepts (single-part MultiPoints
    become Points)."""
    geoms = frame.geometry.to_numpy()
    type_ids = shapely.get_type_id(geoms)  # integer ids: fast on large layers
    bad = ~np.isin(type_ids, [_TYPE_IDS[name] for name in schema.geometry])
    if schema.geometry == ("Point",):
        single_part = (type_ids == _TYPE_IDS["MultiPoint"]) & (shapely.get_num_geometries(geoms) == 1)
        if single_part.any():
            frame.loc[single_part, frame.geometry.name] = shapely.get_geometry(geoms[single_part], 0)
            bad = bad & ~single_part
    if bad.any():
        found = ", ".join(sorted(frame.geom_type[bad].astype(str).unique()))
        rows = describe_rows(frame.loc[bad, "id"].tolist())
        msg = (
            f"{source_name}: layer {schema.kind!r} needs {'/'.join(schema.geometry)} geometries, "
            f"found {found} in {int(bad.sum())} features ({rows}); "
            f"import the file as the right layer kind or convert it first"
        )
        raise InputError(msg)
    return frame


def _repair(frame: gpd.GeoDataFrame, schema: LayerSchema, report: ValidationReport, source_name: str):
    family = _FAMILY[schema.geometry[0]] if len({_FAMILY[g] for g in schema.geometry}) == 1 else None
    try:
        repaired, was_invalid = repair_geometries(frame.geometry.to_numpy(), family=family)
    except RepairTooLarge as exc:
        ids = frame["id"].astype(str).to_numpy()[exc.positions]
        rows = describe_rows([f"{i} ({n:,} vertices)" for i, n in zip(ids, exc.vertices, strict=True)])
        msg = (
            f"{source_name}: layer {schema.kind!r}: invalid (self-intersecting) geometry too large to repair in "
            f"{rows}; the limit is {exc.limit:,} vertices per invalid geometry. Simplify or split those "
            f"features first (e.g. ogr2ogr -simplify 0.00001, or QGIS Simplify then Fix geometries)"
        )
        raise InputError(msg) from None
    if was_invalid.any():
        report.repaired_invalid = int(was_invalid.sum())
        frame = frame.set_geometry(gpd.GeoSeries(repaired, index=frame.index, crs=frame.crs))
        still_empty = shapely.is_empty(repaired)
        if still_empty.any():
            report.dropped_empty += int(still_empty.sum())
            report.dropped_empty_ids += frame.loc[still_empty, "id"].astype(str).tolist()
            frame = frame.loc[~still_empty]
    return frame


def _to_wgs84(
    frame: gpd.GeoDataFrame, source_name: str, *, from_gcj02: bool, from_bd09: bool, report: ValidationReport
) -> gpd.GeoDataFrame:
    crs = pyproj.CRS.from_user_input(frame.crs)
    if not crs.equals(pyproj.CRS.from_user_input(WGS84)):
        if from_gcj02 or from_bd09:
            if not crs.is_geographic:
                msg = (
                    f"{source_name}: GCJ-02/BD-09 coordinates are lon/lat degrees, but the file "
                    f"declares the projected CRS {crs.to_string()}"
                )
                raise InputError(msg)
        else:
            report.converted_from = crs.to_string()
        try:
            frame = frame.to_crs(WGS84)
        except Exception as exc:
            msg = f"{source_name}: cannot transform from {crs.to_string()} to WGS84 ({exc})"
            raise InputError(msg) from None
    if from_gcj02 or from_bd09:
        convert = geometries_gcj02_to_wgs84 if from_gcj02 else geometries_bd09_to_wgs84
        frame = frame.set_geometry(gpd.GeoSeries(convert(frame.geometry.to_numpy()), index=frame.index, crs=WGS84))
        report.converted_from = "GCJ-02" if from_gcj02 else "BD-09"
    return frame


def region_mask(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """True where WGS84 lon/lat ``(xs, ys)`` lie within :data:`layers.schema.REGION_BOUNDS`."""
    lon_min, lat_min, lon_max, lat_max = REGION_BOUNDS
    return (xs >= lon_min) & (xs <= lon_max) & (ys >= lat_min) & (ys <= lat_max)


def _check_swapped(frame: gpd.GeoDataFrame, source_name: str) -> None:
    """Raise if the coordinates look like (lat, lon) instead of (lon, lat), or like metres."""
    points = frame.geometry.representative_point()
    xs, ys = points.x.to_numpy(), points.y.to_numpy()
    if np.any(np.abs(xs) > 180) or np.any(np.abs(ys) > 180):
        i = int(np.flatnonzero((np.abs(xs) > 180) | (np.abs(ys) > 180))[0])
        msg = (
            f"{source_name}: coordinates like x={xs[i]:.1f}, y={ys[i]:.1f} are not degrees; they look like "
            f"projected metres declared as lon/lat. State the file's real CRS (e.g. --crs 32649 for UTM 49N, "
            f"--crs 4546 for CGCS2000 3-degree Gauss-Kruger CM 111E) or fix its .prj"
        )
        raise InputError(msg)
    if np.any(np.abs(ys) > 90):
        msg = (
            f"{source_name}: latitudes beyond ±90° (e.g. {ys[np.abs(ys) > 90][0]:.4f}): the "
            f"columns are probably latitude/longitude swapped; put longitude first (x = lon)"
        )
        raise InputError(msg)
    inside = region_mask(xs, ys).mean()
    swapped_inside = region_mask(ys, xs).mean()
    if swapped_inside > 0.5 and swapped_inside > inside:
        msg = (
            f"{source_name}: the coordinates look like latitude/longitude swapped (x≈{xs[0]:.3f}, "
            f"y≈{ys[0]:.3f}; Xiangyang is near lon 112, lat 32); swap the columns so x is longitude"
        )
        raise InputError(msg)


def _drop_outside(frame: gpd.GeoDataFrame, source_name: str, report: ValidationReport, region, label):
    """Drop (and count) features whose representative point lies outside ``region``."""
    points = frame.geometry.representative_point()
    xs, ys = points.x.to_numpy(), points.y.to_numpy()
    if region is None:
        inside = region_mask(xs, ys)
        report.region_label = label or f"the box {REGION_BOUNDS} around Xiangyang"
    else:
        shapely.prepare(region)
        inside = shapely.contains_xy(region, xs, ys)
        report.region_label = label or "the project region"
    if not inside.any():
        msg = (
            f"{source_name}: none of the {len(frame)} features lies in {report.region_label}; "
            f"nothing to import (check the file covers Xiangyang and its coordinates are lon/lat)"
        )
        raise InputError(msg)
    report.dropped_outside = int((~inside).sum())
    return frame.loc[inside]


def region_outline(counties: gpd.GeoDataFrame, *, margin_m: float):
    """The union of ``counties`` grown by ``margin_m`` metres, as a WGS84 shapely geometry."""
    from geo.crs import XIANGYANG_UTM

    utm = counties.to_crs(XIANGYANG_UTM)
    outline = shapely.union_all(utm.geometry.to_numpy())
    # detail far below the margin does not matter: simplify first, buffering is then fast
    grown = shapely.buffer(shapely.simplify(outline, min(margin_m / 500.0, 20.0)), margin_m)
    return gpd.GeoSeries([grown], crs=XIANGYANG_UTM).to_crs(WGS84).iloc[0]


def _flag_outside_region(
    frame: gpd.GeoDataFrame,
    report: ValidationReport,
    *,
    source_name: str = "input",
    declared: pyproj.CRS | None = None,
    allow_outside: bool = False,
) -> None:
    """Flag features far outside the region; refuse a file with every feature outside.

    A few outliers are kept and listed in the report.  When *every* feature lies outside,
    the file is almost certainly in a wrong CRS, has its axes swapped, or is the wrong
    file: an InputError names the likely cause, unless ``allow_outside``.
    """
    points = frame.geometry.representative_point()
    xs, ys = points.x.to_numpy(), points.y.to_numpy()
    outside = ~region_mask(xs, ys)
    if outside.all() and not allow_outside:
        msg = (
            f"{source_name}: all {len(frame):,} features lie far outside the Xiangyang region "
            f"(lon {REGION_BOUNDS[0]}–{REGION_BOUNDS[2]}, lat {REGION_BOUNDS[1]}–{REGION_BOUNDS[3]}); "
            f"{_outside_cause(xs, ys, declared)}. Nothing was imported; if the data really lies "
            f"elsewhere, import it anyway with --allow-outside"
        )
        raise InputError(msg)
    if outside.any():
        report.outside_region = int(outside.sum())
        report.outside_region_ids = frame.loc[outside, "id"].astype(str).tolist()[:100]
        if outside.all():
            report.notes.append("every feature lies outside the Xiangyang region; imported as asked (--allow-outside)")


def _outside_cause(xs: np.ndarray, ys: np.ndarray, declared: pyproj.CRS | None) -> str:
    """The likely reason a whole file lies outside the region, for the error message."""
    lon, lat = float(np.median(xs)), float(np.median(ys))
    lon_min, lat_min, lon_max, lat_max = REGION_BOUNDS
    centre = ((lon_min + lon_max) / 2, (lat_min + lat_max) / 2)
    km = pyproj.Geod(ellps="WGS84").inv(centre[0], centre[1], lon, lat)[2] / 1000.0
    where = f"they centre on lon {lon:.3f}, lat {lat:.3f}, {km:,.0f} km from Xiangyang"
    if abs(lon) < 1 and abs(lat) < 1:
        return f"{where}: coordinates near 0, 0 usually mean missing coordinates or values in the wrong unit"
    if declared is not None and not declared.is_geographic:
        return (
            f"{where}: the file declares the projected CRS {declared.name} ({declared.to_string()}); "
            f"it is probably the wrong CRS (a wrong zone or datum) — fix the file's .prj"
        )
    if region_mask(np.array([lat]), np.array([lon]))[0]:
        return f"{where}: the axes look swapped (latitude first); put longitude first (x = lon)"
    china = 73.0 <= lon <= 135.5 and 18.0 <= lat <= 53.6
    if china:
        return f"{where}: is this the file for another place? (or a wrong CRS)"
    return f"{where}, outside China: a wrong CRS is likely (state the right one with --crs) — or it is the wrong file"


def check_columns(frame, schema: LayerSchema, source_name: str, report: ValidationReport, default_source: str):
    """Check and normalise the columns of ``frame`` against ``schema`` (in place; returns it).

    Required columns must be present (a missing one names the close matches found);
    values are coerced to their dtype, checked against their allowed set and range; optional
    columns missing or empty take their default (noted in ``report.notes``); ids are unique.
    The one column check: :func:`validate` runs it on import, :func:`layers.conform` on
    every analysis input.
    """
    frame = _restore_truncated_names(frame, schema, report)
    missing = [name for name in schema.required_columns() if name not in frame.columns]
    if missing:
        geometry = getattr(frame, "_geometry_column_name", "")
        have = [str(c) for c in frame.columns if c != geometry]
        hints = {name: _close_columns(name, have, schema) for name in missing}
        found = "; ".join(f"{', '.join(map(repr, near))} for {name!r}" for name, near in hints.items() if near)
        renames = " ".join(f"--rename {near[0]}={name}" for name, near in hints.items() if near)
        fix = (
            f"Close match: {found}. Rename the column (on import: {renames}) or add it"
            if found
            else "Rename the matching columns (on import: --rename SRC=DST) or add them"
        )
        msg = (
            f"{source_name}: layer {schema.kind!r} needs column(s) {', '.join(missing)}; "
            f"the data has: {', '.join(have) or 'no columns'}. {fix}"
        )
        raise InputError(msg)
    if "id" not in frame.columns:
        frame = ensure_ids(frame, schema.kind)
    label = frame["id"].astype(str) if "id" in frame.columns else pd.Series(frame.index, index=frame.index)
    for name, col in schema.columns.items():
        noted = col.default is not None and name not in ("id", "name", "source")
        if name not in frame.columns:
            value = default_source if name == "source" else col.default
            frame[name] = value
            if noted:
                report.notes.append(f"no {name} column: {value!r} used")
            continue
        empty = int(frame[name].isna().sum()) if noted else 0
        frame[name] = _coerce(frame[name], name, col, source_name, schema.kind, label)
        if empty:
            report.notes.append(f"{name}: {empty} empty values set to {col.default!r}")
    if "source" in frame.columns:
        frame["source"] = frame["source"].where(frame["source"].notna(), default_source)
    if "id" in frame.columns:
        dup = frame["id"].duplicated(keep=False)
        if dup.any():
            rows = describe_rows(frame.loc[dup, "id"].unique().tolist())
            msg = f"{source_name}: ids must be unique in layer {schema.kind!r}; duplicated: {rows}"
            raise InputError(msg)
    return frame


def _close_columns(name: str, columns: list[str], schema: LayerSchema) -> list[str]:
    """Columns of the data that are probably ``name`` under another spelling (best first)."""
    spare = [c for c in columns if c not in schema.columns]
    lower = {c.lower(): c for c in spare}
    near = [lower[c] for c in difflib.get_close_matches(name.lower(), list(lower), n=3, cutoff=0.6)]
    parts = set(name.lower().split("_"))
    near += [c for c in spare if c not in near and len(c) >= 3 and (c.lower() in parts or c.lower() in name.lower())]
    return near


def _restore_truncated_names(frame, schema: LayerSchema, report: ValidationReport):
    """Rename Shapefile-truncated columns (10 characters) back to their schema names."""
    lower = {str(c).lower(): c for c in frame.columns}
    renames = {}
    for name in schema.columns:
        if name in frame.columns or len(name) <= 10:
            continue
        found = lower.get(name[:10].lower())
        if found is not None and found not in schema.columns:
            renames[found] = name
    if renames:
        frame = frame.rename(columns=renames)
        pairs = ", ".join(f"{a} → {b}" for a, b in renames.items())
        report.notes.append(f"renamed Shapefile-truncated columns: {pairs}")
    return frame


def _as_text(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Values as strings (missing where missing or blank) and the mask of present ones.

    Whole numbers lose their ".0" (adcodes read as numbers).  Fast on large layers: pandas
    string columns are checked vectorised, others convert each distinct value once.
    """
    if isinstance(values.dtype, pd.StringDtype):  # pandas strings: vectorised, kept as they are
        present = (values.notna() & (values.str.strip() != "")).to_numpy(dtype=bool, na_value=False)
        return (values if present.all() else values.where(present)), present
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = pd.Series(uniques)
    if pd.api.types.is_numeric_dtype(distinct) and not pd.api.types.is_bool_dtype(distinct):
        numbers = distinct.astype("float64")
        integral = (numbers % 1 == 0).to_numpy()
        text = numbers.astype(str)
        text[integral] = numbers[integral].astype("int64").astype(str)
    else:
        text = distinct.astype(str)
    filled = np.append((text.str.strip() != "").to_numpy(dtype=bool), False)  # code -1 (missing) → absent
    lookup = np.append(text.to_numpy(dtype=object), None)
    present = filled[codes]
    out = lookup[codes]
    out[~present] = None
    return pd.Series(out, index=values.index, dtype=object), present


def _check_range(numbers: pd.Series, name: str, col, source_name: str, kind: str, label: pd.Series) -> None:
    """Refuse non-finite numbers and numbers outside the column's ``minimum``/``maximum``."""
    values = numbers.to_numpy(dtype="float64", na_value=np.nan)
    infinite = np.isinf(values)
    if infinite.any():
        msg = (
            f"{source_name}: column {name!r} of layer {kind!r} holds infinite or overflowing numbers "
            f"(inf, or beyond ±1.8e308 such as 1e400) in {describe_rows(label[infinite].tolist())}; "
            f"give a finite number ({col.description or 'in the column unit'})"
        )
        raise InputError(msg)
    for bound, outside, word in (
        (col.minimum, values < (col.minimum if col.minimum is not None else -np.inf), "≥"),
        (col.maximum, values > (col.maximum if col.maximum is not None else np.inf), "≤"),
    ):
        if bound is not None and outside.any():
            msg = (
                f"{source_name}: column {name!r} of layer {kind!r} must be {word} {bound:g}; "
                f"found {values[outside][:3].tolist()} in {describe_rows(label[outside].tolist())}"
            )
            raise InputError(msg)


def _coerce(values: pd.Series, name: str, col, source_name: str, kind: str, label: pd.Series):
    text = None
    if pd.api.types.is_numeric_dtype(values):  # no blank strings to look for (fast on large layers)
        present = values.notna().to_numpy()
    else:
        text, present = _as_text(values)
    if col.dtype in ("float", "int"):
        numbers = pd.to_numeric(values.where(present), errors="coerce")
        bad = present & numbers.isna()
        if bad.any():
            sample = values[bad].astype(str).head(3).tolist()
            msg = (
                f"{source_name}: column {name!r} of layer {kind!r} must be numeric "
                f"({col.description}); non-numeric values {sample} in "
                f"{describe_rows(label[bad].tolist())}"
            )
            raise InputError(msg)
        _check_range(numbers, name, col, source_name, kind, label)
        if col.required and numbers.isna().any():
            rows = describe_rows(label[numbers.isna()].tolist())
            msg = f"{source_name}: column {name!r} of layer {kind!r} is empty in {rows}; fill it in"
            raise InputError(msg)
        if col.default is not None:
            numbers = numbers.fillna(col.default)
        if col.dtype == "int":
            return numbers.round().astype("Int64")
        return numbers.astype("float64")
    if col.dtype == "bool":
        text = values.astype(str).str.strip().str.lower()
        truthy = text.isin(["1", "true", "yes", "y", "t", "是"])
        falsy = text.isin(["0", "false", "no", "n", "f", "否", "", "nan", "none", "<na>"])
        bad = ~(truthy | falsy)
        if bad.any():
            msg = (
                f"{source_name}: column {name!r} of layer {kind!r} must be true/false; found "
                f"{values[bad].head(3).tolist()} in {describe_rows(label[bad].tolist())}"
            )
            raise InputError(msg)
        return truthy
    if col.dtype == "date":
        dates = pd.to_datetime(values.where(present), errors="coerce")
        bad = present & dates.isna()
        if bad.any():
            msg = (
                f"{source_name}: column {name!r} must hold dates as YYYY-MM-DD; found "
                f"{values[bad].head(3).tolist()} in {describe_rows(label[bad].tolist())}"
            )
            raise InputError(msg)
        return dates.dt.date
    if text is None:
        text, present = _as_text(values)
    if col.default is not None:
        text = text.where(present, col.default)
        present = np.ones(len(text), dtype=bool)
    if col.choices is not None:
        bad = present & ~text.isin(col.choices).to_numpy()
        if bad.any():  # " Flat" is "flat"
            text[bad] = text[bad].str.strip().str.lower()
            bad = present & ~text.isin(col.choices).to_numpy()
        if bad.any():
            msg = (
                f"{source_name}: column {name!r} of layer {kind!r} has unknown value(s) "
                f"{sorted(text[bad].astype(str).unique())[:5]} in {describe_rows(label[bad].tolist())}; "
                f"allowed: {', '.join(col.choices)}"
            )
            raise InputError(msg)
    if col.required and not present.all():
        rows = describe_rows(label[~present].tolist())
        msg = f"{source_name}: column {name!r} of layer {kind!r} is empty in {rows}; fill it in"
        raise InputError(msg)
    return text
