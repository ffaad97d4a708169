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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo.crs import WGS84, geometries_bd09_to_wgs84, geometries_gcj02_to_wgs84
from geo.errors import InputError, describe_rows
from geo.repair import repair_geometries
from layers.schema import REGION_BOUNDS, LayerSchema, get_schema

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
        out = _check_columns(out, schema, source_name, report, default_source)
        report.output_count = len(out)
        return out, report
    if not isinstance(out, gpd.GeoDataFrame) or out.geometry.name not in out.columns:
        msg = f"{source_name}: no geometry; layer {kind!r} needs {'/'.join(schema.geometry)} features"
        raise InputError(msg)
    out = _ensure_ids(out, kind)
    out = _drop_empty(out, source_name, report)
    out = _set_crs(out, source_name, crs)
    out = _check_geometry_types(out, schema, source_name)
    out = _repair(out, schema, report)
    out = _to_wgs84(out, source_name, from_gcj02=from_gcj02, from_bd09=from_bd09, report=report)
    _check_swapped(out, source_name)
    _flag_outside_region(out, report)
    out = _check_columns(out, schema, source_name, report, default_source)
    report.output_count = len(out)
    return out, report


def _ensure_ids(frame, kind: str):
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
    if frame.crs is None:
        msg = (
            f"{source_name}: no coordinate reference system (CRS); state it with --crs, e.g. "
            f"--crs 4326 for WGS84 lon/lat, --crs 4490 for CGCS2000, --crs 32649 for UTM 49N"
        )
        raise InputError(msg)
    return frame


def _check_geometry_types(frame: gpd.GeoDataFrame, schema: LayerSchema, source_name: str):
    types = frame.geom_type
    bad = ~types.isin(schema.geometry)
    if schema.geometry == ("Point",):
        multi = types == "MultiPoint"
        single_part = multi & (shapely.get_num_geometries(frame.geometry.to_numpy()) == 1)
        if single_part.any():
            frame.loc[single_part, frame.geometry.name] = shapely.get_geometry(
                frame.geometry.to_numpy()[single_part.to_numpy()], 0
            )
            bad = bad & ~single_part
    if bad.any():
        found = ", ".join(sorted(types[bad].unique()))
        rows = describe_rows(frame.loc[bad, "id"].tolist())
        msg = (
            f"{source_name}: layer {schema.kind!r} needs {'/'.join(schema.geometry)} geometries, "
            f"found {found} in {int(bad.sum())} features ({rows}); "
            f"import the file as the right layer kind or convert it first"
        )
        raise InputError(msg)
    return frame


def _repair(frame: gpd.GeoDataFrame, schema: LayerSchema, report: ValidationReport):
    family = _FAMILY[schema.geometry[0]] if len({_FAMILY[g] for g in schema.geometry}) == 1 else None
    repaired, was_invalid = repair_geometries(frame.geometry.to_numpy(), family=family)
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


def _region_mask(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    lon_min, lat_min, lon_max, lat_max = REGION_BOUNDS
    return (xs >= lon_min) & (xs <= lon_max) & (ys >= lat_min) & (ys <= lat_max)


def _check_swapped(frame: gpd.GeoDataFrame, source_name: str) -> None:
    """Raise if the coordinates look like (lat, lon) instead of (lon, lat)."""
    points = frame.geometry.representative_point()
    xs, ys = points.x.to_numpy(), points.y.to_numpy()
    if np.any(np.abs(ys) > 90):
        msg = (
            f"{source_name}: latitudes beyond ±90° (e.g. {ys[np.abs(ys) > 90][0]:.4f}): the "
            f"columns are probably latitude/longitude swapped; put longitude first (x = lon)"
        )
        raise InputError(msg)
    inside = _region_mask(xs, ys).mean()
    swapped_inside = _region_mask(ys, xs).mean()
    if swapped_inside > 0.5 and swapped_inside > inside:
        msg = (
            f"{source_name}: the coordinates look like latitude/longitude swapped (x≈{xs[0]:.3f}, "
            f"y≈{ys[0]:.3f}; Xiangyang is near lon 112, lat 32); swap the columns so x is longitude"
        )
        raise InputError(msg)


def _flag_outside_region(frame: gpd.GeoDataFrame, report: ValidationReport) -> None:
    points = frame.geometry.representative_point()
    outside = ~_region_mask(points.x.to_numpy(), points.y.to_numpy())
    if outside.any():
        report.outside_region = int(outside.sum())
        report.outside_region_ids = frame.loc[outside, "id"].astype(str).tolist()[:100]


def _check_columns(frame, schema: LayerSchema, source_name: str, report: ValidationReport, default_source: str):
    frame = _restore_truncated_names(frame, schema, report)
    missing = [name for name in schema.required_columns() if name not in frame.columns]
    if missing:
        have = ", ".join(c for c in frame.columns if c != getattr(frame, "_geometry_column_name", ""))
        msg = (
            f"{source_name}: layer {schema.kind!r} needs column(s) {', '.join(missing)}; "
            f"the file has: {have}. Rename the matching columns or add them"
        )
        raise InputError(msg)
    if "id" not in frame.columns:
        frame = _ensure_ids(frame, schema.kind)
    label = frame["id"].astype(str) if "id" in frame.columns else pd.Series(frame.index, index=frame.index)
    for name, col in schema.columns.items():
        if name not in frame.columns:
            value = default_source if name == "source" else col.default
            frame[name] = value
            continue
        frame[name] = _coerce(frame[name], name, col, source_name, schema.kind, label)
    if "source" in frame.columns:
        frame["source"] = frame["source"].where(frame["source"].notna(), default_source)
    if "id" in frame.columns:
        dup = frame["id"].duplicated(keep=False)
        if dup.any():
            rows = describe_rows(frame.loc[dup, "id"].unique().tolist())
            msg = f"{source_name}: ids must be unique in layer {schema.kind!r}; duplicated: {rows}"
            raise InputError(msg)
    return frame


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


def _coerce(values: pd.Series, name: str, col, source_name: str, kind: str, label: pd.Series):
    present = values.notna() & (values.astype(str).str.strip() != "")
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
        if col.minimum is not None:
            low = numbers < col.minimum
            if low.any():
                msg = (
                    f"{source_name}: column {name!r} of layer {kind!r} must be ≥ {col.minimum:g}; "
                    f"found {numbers[low].head(3).tolist()} in {describe_rows(label[low].tolist())}"
                )
                raise InputError(msg)
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
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype("float64")
        integral = numbers.notna() & (numbers % 1 == 0)
        text = numbers.astype(str).astype(object)
        text[integral] = numbers[integral].astype("int64").astype(str)
    else:
        text = values.astype(str).astype(object)
    text = text.where(present, None)
    if col.default is not None:
        text = text.where(text.notna(), col.default)
    if col.choices is not None:
        bad = text.notna() & ~text.isin(col.choices)
        if bad.any():
            msg = (
                f"{source_name}: column {name!r} of layer {kind!r} has unknown value(s) "
                f"{sorted(text[bad].astype(str).unique())[:5]} in {describe_rows(label[bad].tolist())}; "
                f"allowed: {', '.join(col.choices)}"
            )
            raise InputError(msg)
    if col.required and text.isna().any():
        rows = describe_rows(label[text.isna()].tolist())
        msg = f"{source_name}: column {name!r} of layer {kind!r} is empty in {rows}; fill it in"
        raise InputError(msg)
    return text
