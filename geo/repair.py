"""Geometry repair: make invalid geometries valid and keep only the parts of the wanted type."""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray


def repair_geometries(geoms: NDArray, *, family: str | None = None) -> tuple[NDArray, NDArray]:
    """Make geometries valid with ``shapely.make_valid``, vectorised.

    Parameters
    ----------
    geoms : array of shapely geometries
        May contain None and empty geometries (returned unchanged).
    family : {"polygon", "line", "point"}, optional
        Keep only parts of this family in the repaired geometries (``make_valid`` may turn a
        self-intersecting polygon into a GeometryCollection of polygons and lines).

    Returns
    -------
    repaired : array of geometries
    was_invalid : bool array
        True where the input was invalid and has been repaired.
    """
    geoms = np.asarray(geoms, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    was_invalid = present & ~shapely.is_valid(geoms)
    out = geoms.copy()
    if was_invalid.any():
        fixed = shapely.make_valid(geoms[was_invalid])
        if family is not None:
            fixed = keep_family(fixed, family)
        out[was_invalid] = fixed
    return out, was_invalid


def keep_family(geoms: NDArray, family: str) -> NDArray:
    """Reduce each geometry (e.g. a GeometryCollection) to its parts of ``family``.

    The parts are unioned back into a single or multi geometry; a geometry with no such
    part becomes an empty geometry.
    """
    geoms = np.asarray(geoms, dtype=object)
    type_ids = shapely.get_type_id(geoms)
    collection = type_ids == 7
    if not collection.any():
        return geoms
    out = geoms.copy()
    parts, index = shapely.get_parts(geoms[collection], return_index=True)
    keep = _families(parts) == family
    positions = np.flatnonzero(collection)
    merged = np.full(collection.sum(), None, dtype=object)
    if keep.any():
        kept_index = index[keep]
        kept_parts = parts[keep]
        order = np.argsort(kept_index, kind="stable")
        kept_index, kept_parts = kept_index[order], kept_parts[order]
        boundaries = np.flatnonzero(np.diff(kept_index)) + 1
        for group_idx, group in zip(np.split(kept_index, boundaries), np.split(kept_parts, boundaries), strict=True):
            merged[group_idx[0]] = group[0] if len(group) == 1 else shapely.union_all(group)
    empty = {"polygon": shapely.Polygon(), "line": shapely.LineString(), "point": shapely.Point()}[family]
    merged[_is_none(merged)] = empty
    out[positions] = merged
    return out


def _families(parts: NDArray) -> NDArray:
    # shapely type ids: 0 Point, 1 LineString, 2 LinearRing, 3 Polygon, 4 MultiPoint,
    # 5 MultiLineString, 6 MultiPolygon, 7 GeometryCollection
    names = shapely.get_type_id(parts)
    table = np.array(["point", "line", "line", "polygon", "point", "line", "polygon", "", ""], dtype=object)
    return table[names]


def _is_none(values: NDArray) -> NDArray:
    return np.frompyfunc(lambda v: v is None, 1, 1)(values).astype(bool)
