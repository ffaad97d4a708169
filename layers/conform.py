"""The one check of an analysis input against its schema.

Every analysis (rooftop PV, waste routing, facility siting and its candidate sites) calls
:func:`conform` on the frames it is given, whether they come from a project (already
validated on import) or straight from Python.  It runs the same column checks as
:func:`layers.validate.validate` on import (:func:`layers.validate.check_columns`: required
columns, dtypes, allowed values, ranges, unique ids, defaults for optional columns), plus
the geometry type and the CRS, so a bad input gets the same message from every analysis.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_crs
from geo.errors import InputError, describe_rows
from layers.schema import INPUT_SCHEMAS, SCHEMAS, LayerSchema
from layers.validate import ValidationReport, check_columns, check_geometry_types, ensure_ids

__all__ = ["conform", "input_schema", "require_crs"]


def input_schema(
    kind: str, *, choices: dict[str, tuple[str, ...]] | None = None, defaults: dict[str, object] | None = None
) -> LayerSchema:
    """The schema of layer or analysis input ``kind``, with an analysis's own choices and defaults.

    Parameters
    ----------
    kind : str
        A layer kind (:data:`layers.schema.SCHEMAS`) or an analysis input
        (:data:`layers.schema.INPUT_SCHEMAS`, e.g. ``"candidate_sites"``).
    choices : dict, optional
        Allowed values replacing the schema's, by column (e.g. the use classes the PV
        assumptions give a share for).
    defaults : dict, optional
        Defaults replacing the schema's, by column (e.g. the capacity of new sites).
    """
    schema = SCHEMAS.get(kind) or INPUT_SCHEMAS.get(kind)
    if schema is None:
        known = ", ".join((*SCHEMAS, *INPUT_SCHEMAS))
        msg = f"unknown layer kind {kind!r}; choose one of: {known}"
        raise InputError(msg)
    changes = {}
    for name, value in (choices or {}).items():
        changes[name] = dataclasses.replace(changes.get(name, schema.columns[name]), choices=tuple(value))
    for name, value in (defaults or {}).items():
        changes[name] = dataclasses.replace(changes.get(name, schema.columns[name]), default=value)
    if not changes:
        return schema
    return dataclasses.replace(schema, columns={**schema.columns, **changes})


def conform(
    frame: gpd.GeoDataFrame | pd.DataFrame,
    kind: str,
    *,
    context: str | None = None,
    choices: dict[str, tuple[str, ...]] | None = None,
    defaults: dict[str, object] | None = None,
    allow_empty_geometry: bool = False,
    default_source: str = "user",
) -> tuple[gpd.GeoDataFrame | pd.DataFrame, list[str]]:
    """Check an analysis input against the schema of ``kind``; return it normalised.

    Checks, in order: a GeoDataFrame with a CRS (:func:`geo.crs.require_crs`); no empty
    geometries (unless ``allow_empty_geometry``); geometry types; then the columns exactly as
    on import (:func:`layers.validate.check_columns`).  The CRS is kept (no reprojection) and
    so is the index; missing ids are generated.

    Parameters
    ----------
    frame : GeoDataFrame (DataFrame for table kinds)
    kind : str
        Layer kind or analysis input kind (see :func:`input_schema`).
    context : str, optional
        What the frame is, starting every message (default ``kind``), e.g.
        ``"waste_sources of /data/proj"``.
    choices, defaults : dict, optional
        An analysis's own allowed values and defaults (see :func:`input_schema`).
    allow_empty_geometry : bool
        Keep features without a location (the analysis reports them) instead of refusing.
    default_source : str
        ``source`` for features that carry none.

    Returns
    -------
    frame : a checked copy, optional columns filled with their defaults
    notes : list of str
        Every default applied (``"no height_m column: 10.0 used"``) — never silent.

    Raises
    ------
    InputError
        Naming ``context``, the column and the offending rows.
    """
    schema = input_schema(kind, choices=choices, defaults=defaults)
    context = context or kind
    report = ValidationReport(kind=kind, source_name=context, input_count=len(frame))
    if schema.is_table:
        out = pd.DataFrame(frame).copy()
        if isinstance(frame, gpd.GeoDataFrame):
            out = out.drop(columns=frame.geometry.name)
    else:
        if not isinstance(frame, gpd.GeoDataFrame) or getattr(frame, "_geometry_column_name", None) not in frame:
            msg = f"{context}: need a GeoDataFrame of {'/'.join(schema.geometry)} features for layer {kind!r}"
            raise InputError(msg)
        require_crs(frame, what=context, fix="set one before the analysis, e.g. frame.set_crs(4326) for lon/lat")
        out = frame.copy()
    out.columns = [str(c).strip() for c in out.columns]
    if not schema.is_table:
        out = _check_geometries(ensure_ids(out, kind), schema, context, allow_empty_geometry)
    out = check_columns(out, schema, context, report, default_source)
    return out, report.notes


def _check_geometries(frame: gpd.GeoDataFrame, schema: LayerSchema, context: str, allow_empty: bool):
    """Refuse empty geometries (unless allowed) and geometries of the wrong type."""
    geoms = frame.geometry.to_numpy()
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if not empty.any():
        return check_geometry_types(frame, schema, context)
    if not allow_empty:
        msg = (
            f"{context}: {int(empty.sum())} features of layer {schema.kind!r} have empty or missing geometries "
            f"({describe_rows(frame['id'].to_numpy()[empty])}); drop or fix them"
        )
        raise InputError(msg)
    located = check_geometry_types(frame.iloc[np.flatnonzero(~empty)].copy(), schema, context)
    geoms = geoms.copy()
    geoms[~empty] = located.geometry.to_numpy()
    return frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
