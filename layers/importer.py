"""Import a user's file into a project: read → validate → store, all or nothing.

A failed import raises :class:`geo.errors.InputError` before anything is written, so the
project is unchanged after every failure.
"""

from __future__ import annotations

import difflib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from geo.crs import WGS84, require_crs
from geo.errors import InputError
from layers.project import Project
from layers.readers import RASTER_SUFFIXES, read_raster_summary, read_vector
from layers.schema import REGION_BOUNDS, get_schema
from layers.validate import ValidationReport, region_mask, validate

#: The stages :func:`import_layer` reports to its ``progress`` callback, in order.
IMPORT_STAGES = ("reading and validating", "assigning counties", "storing")
#: Plausible wind-resource raster in m/s: no negative speed, a mean speed of at most 15 m/s
#: (long-term means over land stay below ~12 m/s even on ridges; 15 km/h is 4.2 m/s, so a
#: km/h raster of Xiangyang's 4–7 m/s winds has a mean of 14–25) and no cell above 40 m/s.
WIND_MEAN_MAX_M_PER_S = 15.0
WIND_CELL_MAX_M_PER_S = 40.0
#: Units a wind raster may be stated in (``--unit``), and their factor to m/s.
WIND_UNITS_TO_M_PER_S = {"m/s": 1.0, "km/h": 1 / 3.6, "mph": 0.44704, "kn": 0.514444}

#: Layers that only grow through their own audited append path, never by replacement.
APPEND_ONLY_KINDS = ("progress_records",)


@dataclass
class ImportResult:
    """What an import stored and what it repaired."""

    kind: str
    path: str
    count: int
    messages: list[str] = field(default_factory=list)
    report: ValidationReport | None = None


def read_layer(
    path: str | Path,
    kind: str,
    *,
    crs=None,
    from_gcj02: bool = False,
    from_bd09: bool = False,
    source_layer: str | None = None,
    encoding: str | None = None,
    default_source: str = "user",
    rename: dict[str, str] | None = None,
    allow_outside: bool = False,
    preset: str | None = None,
    counties: gpd.GeoDataFrame | None = None,
    region=None,
):
    """Read and validate a file as layer ``kind`` without storing it.

    For ``power_plants`` and ``grid`` the file goes through :func:`layers._power.read_power`
    (``preset``), features outside ``counties`` plus :data:`layers.schema.REGION_MARGIN_M`
    (or outside ``region``, a WGS84 outline, when given) are dropped and counted, and empty
    counties are filled from the location (not on placeholder points).

    Returns ``(frame, report)``; see :func:`layers.validate.validate` and :func:`import_layer`.
    """
    schema = get_schema(kind)
    notes: list[str] = []
    if schema.clip_to_region or preset is not None:  # renamed before the preset maps the columns
        frame, notes = _read_power(
            Path(path), kind, preset=preset, layer=source_layer, encoding=encoding, rename=rename
        )
    else:
        frame = rename_columns(read_vector(path, kind=kind, layer=source_layer, encoding=encoding), rename, str(path))
    source = "osm" if Path(path).name.lower().endswith((".pbf", ".osm")) else default_source
    label = None
    if schema.clip_to_region and region is None and counties is not None:
        region, label = _region_of(counties)
    frame, report = validate(
        frame,
        kind,
        source_name=str(path),
        crs=crs,
        from_gcj02=from_gcj02,
        from_bd09=from_bd09,
        default_source=source,
        allow_outside=allow_outside,
        region=region,
        region_label=label,
    )
    report.notes[:0] = notes
    if rename:
        report.notes.insert(0, "renamed columns: " + ", ".join(f"{a} → {b}" for a, b in rename.items()))
    if counties is not None and "county" in schema.columns and frame["county"].isna().any():
        frame = _fill_counties(frame, counties)
    return frame, report


def rename_columns(frame: pd.DataFrame, rename: dict[str, str] | None, source_name: str) -> pd.DataFrame:
    """Rename the file's columns ``{SRC: DST}`` before validation (``--rename SRC=DST``).

    Raises InputError naming the file when SRC is not a column (with close matches), or
    when DST already exists and is not renamed away itself.
    """
    if not rename:
        return frame
    columns = [str(c).strip() for c in frame.columns]
    frame = frame.set_axis(columns, axis=1)
    for src, dst in rename.items():
        if src not in columns:
            near = difflib.get_close_matches(src, columns, n=3, cutoff=0.5)
            hint = f"; close match: {', '.join(map(repr, near))}" if near else ""
            msg = (
                f"{source_name}: --rename {src}={dst}: the file has no column {src!r}{hint}. "
                f"Its columns: {', '.join(columns)}"
            )
            raise InputError(msg)
        if dst in columns and dst not in rename:
            msg = (
                f"{source_name}: --rename {src}={dst}: the file already has a column {dst!r}; "
                f"rename that one away too (--rename {dst}=OTHER) or drop this rename"
            )
            raise InputError(msg)
    targets = list(rename.values())
    if len(set(targets)) != len(targets):
        msg = f"{source_name}: --rename gives two columns the same name: {', '.join(targets)}"
        raise InputError(msg)
    return frame.rename(columns=rename)


def import_layer(
    project: Project,
    kind: str,
    path: str | Path,
    *,
    crs=None,
    from_gcj02: bool = False,
    from_bd09: bool = False,
    source_layer: str | None = None,
    encoding: str | None = None,
    height_m: float | None = None,
    unit: str | None = None,
    assign_counties: bool = True,
    rename: dict[str, str] | None = None,
    allow_outside: bool = False,
    progress: Callable[[float, str], None] | None = None,
    preset: str | None = None,
) -> ImportResult:
    """Import ``path`` as layer ``kind`` into ``project``, replacing that layer.

    Parameters
    ----------
    project : Project
    kind : str
        Layer kind.
    path : path-like
        The user's file (see :func:`layers.readers.read_vector`; GeoTIFF for rasters).
    crs : str or int, optional
        CRS of a file that declares none.
    from_gcj02, from_bd09 : bool
        Convert GCJ-02 / BD-09 lon/lat to WGS84.
    source_layer : str, optional
        Layer inside a multi-layer file.
    encoding : str, optional
        Attribute encoding of Shapefiles without ``.cpg`` or non-UTF-8 CSV.
    height_m : float, optional
        For wind-resource rasters: the height above ground of the wind speeds, m.
    unit : {"m/s", "km/h", "mph", "kn"}, optional
        For wind-resource rasters: the unit of the speeds; other than m/s they are converted
        to m/s.  Without it, speeds outside the plausible m/s range are refused.
    assign_counties : bool
        Fill an empty ``county`` column from the project's counties layer.
    rename : dict, optional
        Columns to rename before validation, ``{"kind": "facility_kind"}`` (``--rename``).
    allow_outside : bool
        Import a file whose every feature (every cell, for a raster) lies outside the region;
        without it that is an InputError naming the likely cause (wrong CRS, swapped axes,
        wrong file).
    progress : callable, optional
        ``progress(fraction, message)``: called as each stage of :data:`IMPORT_STAGES` starts
        (fraction done 0 to 1) and with ``(1.0, "stored")`` at the end.
    preset : {"gem", "gppd", "osm-power"}, optional
        Layout of a power-plant or grid file as published (:mod:`layers._power`); detected
        from the columns when omitted.  Features outside the project's counties plus
        :data:`layers.schema.REGION_MARGIN_M` are dropped and counted for these layers.
    """

    def step(stage: str) -> None:
        if progress is not None:
            progress(IMPORT_STAGES.index(stage) / len(IMPORT_STAGES), stage)

    schema = get_schema(kind)
    path = Path(path)
    if kind in APPEND_ONLY_KINDS:
        msg = (
            f"{path}: {kind!r} is the project's append-only progress store (with an audit trail); "
            f"an import would replace every record, so it is refused and nothing changed. Add the "
            f"file's records with `xysiting progress {project.path} --import {path} --author NAME` "
            f"(columns target_id,date,value[,unit,note]) or in the dashboard's progress tab"
        )
        raise InputError(msg)
    if schema.raster:
        if rename:
            msg = f"{path}: --rename maps columns of vector files; the raster layer {kind!r} has none"
            raise InputError(msg)
        return import_raster(project, kind, path, crs=crs, height_m=height_m, allow_outside=allow_outside, unit=unit)
    if path.suffix.lower() in RASTER_SUFFIXES:
        msg = f"{path}: a raster cannot be imported as the vector layer {kind!r}"
        raise InputError(msg)
    step("reading and validating")
    frame, report = read_layer(
        path,
        kind,
        crs=crs,
        from_gcj02=from_gcj02,
        from_bd09=from_bd09,
        source_layer=source_layer,
        encoding=encoding,
        rename=rename,
        allow_outside=allow_outside,
        preset=preset,
        counties=_counties_for_clip(project, kind),
    )
    step("assigning counties")
    if (
        assign_counties
        and "county" in schema.columns
        and isinstance(frame, gpd.GeoDataFrame)
        and frame["county"].isna().any()
        and project.has("counties")
        and kind != "counties"
    ):
        frame = _fill_counties(frame, project.read("counties", columns=["adcode"]))
    step("storing")
    project.write(kind, frame)
    if progress is not None:
        progress(1.0, "stored")
    project.log("import", kind=kind, file=str(path), count=len(frame), repairs=report.messages())
    return ImportResult(kind=kind, path=str(path), count=len(frame), messages=report.messages(), report=report)


def _read_power(path: Path, kind: str, **options) -> tuple[gpd.GeoDataFrame, list[str]]:
    from layers._power import read_power

    frame, notes, _preset = read_power(path, kind, **options)
    return frame, notes


def _counties_for_clip(project: Project, kind: str) -> gpd.GeoDataFrame | None:
    """The project's counties for layers clipped to the region (None: clip to REGION_BOUNDS)."""
    if not get_schema(kind).clip_to_region or not project.has("counties"):
        return None
    return project.read("counties", columns=["adcode"])


def _region_of(counties: gpd.GeoDataFrame):
    from layers.schema import REGION_MARGIN_M
    from layers.validate import region_outline

    outline = region_outline(counties, margin_m=REGION_MARGIN_M)
    return outline, f"the project's counties + {REGION_MARGIN_M / 1000:g} km"


def _fill_counties(frame: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """:func:`assign_county`, except on placeholder points (GEM): they are not the site."""
    located = frame["location_accuracy"].ne("placeholder") if "location_accuracy" in frame else None
    return assign_county(frame, counties, where=located)


def assign_county(
    frame: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, *, where: pd.Series | None = None
) -> gpd.GeoDataFrame:
    """Fill empty ``county`` values with the adcode of the county holding each feature.

    ``where`` (boolean, aligned with ``frame``) limits the filling to those rows.
    """
    missing = frame["county"].isna() if where is None else frame["county"].isna() & where
    points = gpd.GeoDataFrame(geometry=frame.geometry[missing].representative_point(), crs=frame.crs)
    joined = gpd.sjoin(points, counties[["adcode", "geometry"]].to_crs(frame.crs), how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    frame.loc[missing, "county"] = joined["adcode"].reindex(points.index).to_numpy()
    return frame


def import_raster(
    project: Project,
    kind: str,
    path: str | Path,
    *,
    crs=None,
    height_m: float | None = None,
    allow_outside: bool = False,
    unit: str | None = None,
) -> ImportResult:
    """Validate a GeoTIFF and store it as raster layer ``kind`` (atomically).

    Checks: readable; at most :data:`geo.raster.MAX_RASTER_CELLS` cells, checked before
    reading (a larger raster, e.g. a country-wide Global Wind Atlas file, is clipped to its
    window over the Xiangyang region, and refused if that is still too large); a CRS (or
    one stated with ``crs``); some valid cells; finite values; for wind rasters a height
    (tag or ``height_m``) and plausible speeds in m/s: none negative, mean ≤ 15 m/s, none
    above 40 m/s (a raster in km/h, mph or knots is refused unless ``unit`` states it, and
    then converted to m/s); and that it overlaps the region (unless ``allow_outside``; a
    centre outside is noted).
    """
    from geo.raster import copy_raster

    path = Path(path)
    if path.suffix.lower() not in RASTER_SUFFIXES:
        msg = f"{path}: layer {kind!r} is a raster; give a GeoTIFF (.tif)"
        raise InputError(msg)
    info = read_raster_summary(path, clip_to_region=True, crs=crs)
    window = info["window"]
    messages = []
    if window is not None:
        messages.append(
            f"kept only the window over the Xiangyang region: {int(window.width):,} × {int(window.height):,} "
            f"of the file's {info['width']:,} × {info['height']:,} cells"
        )
    if crs is None:
        require_crs(
            info["crs"],
            what=str(path),
            fix="state it with --crs (Global Wind Atlas GeoTIFFs are --crs 4326) or fix the file "
            "with gdal_edit.py -a_srs",
        )
    if info["valid_count"] == 0:
        msg = f"{path}: every cell is nodata; nothing to import"
        raise InputError(msg)
    if not info["finite"]:
        msg = f"{path}: the raster holds NaN or infinite values that are not marked as nodata"
        raise InputError(msg)
    metadata = {"source": "user", "file": path.name}
    scale = None
    if unit is not None and kind != "wind_resource":
        msg = f"--unit applies to wind_resource rasters only, not to {kind!r}"
        raise InputError(msg)
    if kind == "wind_resource":
        scale = _wind_unit_scale(path, info, unit)
        tag_height = info["tags"].get("height_m") or info["tags"].get("HEIGHT_M")
        height = height_m if height_m is not None else (float(tag_height) if tag_height else None)
        if height is None:
            msg = (
                f"{path}: state the height of the wind speeds with --height-m (e.g. 100 for a "
                f"Global Wind Atlas 100 m layer)"
            )
            raise InputError(msg)
        if not 2.0 <= float(height) <= 300.0:
            msg = f"{path}: height {height} m is outside 2–300 m"
            raise InputError(msg)
        metadata.update(height_m=float(height), units="m/s")
        if scale != 1.0:
            metadata.update(converted_from=unit)
            messages.append(f"converted the wind speeds from {unit} to m/s (× {scale:.6g})")
        else:
            scale = None
    if info["crs"] is not None and crs is not None:
        stated = pyproj.CRS.from_user_input(int(crs) if str(crs).isdigit() else crs)
        if not stated.equals(pyproj.CRS.from_user_input(info["crs"].to_wkt())):
            msg = f"{path}: the raster declares {info['crs']} but --crs says {stated.to_string()}"
            raise InputError(msg)
    bounds = info["bounds"]
    raster_crs = (
        info["crs"].to_wkt() if crs is None else pyproj.CRS.from_user_input(int(crs) if str(crs).isdigit() else crs)
    )
    _check_raster_region(path, raster_crs, bounds, messages, allow_outside=allow_outside)
    if info["crs"] is None or crs is not None or scale is not None or window is not None:
        stated = pyproj.CRS.from_user_input(int(crs) if str(crs).isdigit() else crs) if crs is not None else None
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = copy_raster(
                path,
                Path(tmpdir) / "copy.tif",
                crs=stated.to_wkt() if stated is not None else None,
                scale=scale,
                tags=metadata,
                window=window,
            )
            project.write_raster(kind, tmp, **metadata)
        if stated is not None:
            messages.append(f"set the raster's CRS to {stated.to_string()} as stated")
    else:
        project.write_raster(kind, path, **metadata)
    project.log("import", kind=kind, file=str(path), count=info["valid_count"], repairs=messages)
    return ImportResult(kind=kind, path=str(path), count=info["valid_count"], messages=messages)


def _wind_unit_scale(path: Path, info: dict, unit: str | None) -> float:
    """Factor to m/s for the stated ``unit``; InputError if the speeds are implausible in m/s."""
    if unit is not None and unit.strip().lower() not in WIND_UNITS_TO_M_PER_S:
        msg = f"--unit {unit!r} is not a wind speed unit; choose one of {', '.join(WIND_UNITS_TO_M_PER_S)}"
        raise InputError(msg)
    scale = WIND_UNITS_TO_M_PER_S[unit.strip().lower()] if unit is not None else 1.0
    low, mean, high = info["min"] * scale, info["mean"] * scale, info["max"] * scale
    if low >= 0 and mean <= WIND_MEAN_MAX_M_PER_S and high <= WIND_CELL_MAX_M_PER_S:
        return scale
    stated = f"stated as {unit}, i.e. " if unit is not None else ""
    msg = (
        f"{path}: wind speeds {stated}from {low:.1f} to {high:.1f} m/s (mean {mean:.1f}) are implausible "
        f"as mean wind speeds in m/s (expected none below 0, a mean of at most {WIND_MEAN_MAX_M_PER_S:g} and "
        f"no cell above {WIND_CELL_MAX_M_PER_S:g} m/s)."
    )
    if low >= 0 and unit is None:
        kmh = WIND_UNITS_TO_M_PER_S["km/h"]
        msg += (
            f" If the raster is in km/h (its mean would be {info['mean'] * kmh:.1f} m/s), import it with "
            f"--unit km/h to convert it; otherwise check the band and the unit."
        )
    else:
        msg += " Check the band, the unit and the nodata value."
    raise InputError(msg)


def _check_raster_region(path: Path, raster_crs, bounds, messages: list[str], *, allow_outside: bool) -> None:
    """Refuse a raster lying wholly outside the region (unless allowed); note an off-centre one."""
    from pyproj import Transformer

    transformer = Transformer.from_crs(raster_crs, WGS84, always_xy=True)
    west, south, east, north = transformer.transform_bounds(*bounds, densify_pts=21)
    lon_min, lat_min, lon_max, lat_max = REGION_BOUNDS
    overlaps = west <= lon_max and east >= lon_min and south <= lat_max and north >= lat_min
    if not overlaps and not allow_outside:
        msg = (
            f"{path}: the raster (lon {west:.2f}–{east:.2f}, lat {south:.2f}–{north:.2f}) lies wholly "
            f"outside the Xiangyang region (lon {lon_min}–{lon_max}, lat {lat_min}–{lat_max}); a wrong CRS "
            f"(or --crs) or the wrong file is likely. Nothing was imported; to import it anyway add --allow-outside"
        )
        raise InputError(msg)
    centre = np.array([(west + east) / 2]), np.array([(south + north) / 2])
    if not region_mask(*centre).all():
        messages.append(
            f"{path}: the raster's centre ({centre[0][0]:.2f}, {centre[1][0]:.2f}) lies "
            f"outside the Xiangyang region; check it covers the project"
        )
