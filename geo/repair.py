"""Geometry repair: make invalid geometries valid (with bounded work) and keep only the parts of the wanted type."""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray

from geo.errors import InputError

#: Invalid geometries with more vertices than this are repaired with GEOS's "structure"
#: method instead of "linework": linework's cost grows with the square of the number of
#: self-intersections (zig-zag bowties: 256 vertices 0.09 s, 1,000 0.7 s, 10,000 ~20 s),
#: structure's does not (10,000 vertices 0.2 s).  Building footprints stay far below it.
LINEWORK_MAX_VERTICES = 256

#: Default limit on the vertices of one invalid geometry to repair.  A 200,000-vertex
#: zig-zag bowtie repairs (structure) in 3–11 s and 0.3 GB on a loaded 2-core machine; a
#: 10⁶-vertex one took 433 s and 6.2 GB with linework and 44 s and 1.4 GB with structure.
MAX_REPAIR_VERTICES = 200_000


class RepairTooLarge(InputError):
    """An invalid geometry has more vertices than the repair limit.

    ``positions`` holds the positions (in the input array) of the offending geometries and
    ``vertices`` their vertex counts, so callers can name the rows in their own terms.
    """

    def __init__(self, message: str, positions: NDArray, vertices: NDArray, limit: int):
        super().__init__(message)
        self.positions = positions
        self.vertices = vertices
        self.limit = limit


def repair_geometries(
    geoms: NDArray, *, family: str | None = None, max_vertices: int | None = MAX_REPAIR_VERTICES
) -> tuple[NDArray, NDArray]:
    """Make geometries valid with ``shapely.make_valid``, vectorised, with bounded work.

    Geometries of up to :data:`LINEWORK_MAX_VERTICES` vertices are repaired with the
    ``"linework"`` method (every piece of the input is kept), larger ones with
    ``"structure"`` (shells unioned, holes subtracted), whose cost does not explode with
    the number of self-intersections.

    Parameters
    ----------
    geoms : array of shapely geometries
        May contain None and empty geometries (returned unchanged).
    family : {"polygon", "line", "point"}, optional
        Keep only parts of this family in the repaired geometries (``make_valid`` may turn a
        self-intersecting polygon into a GeometryCollection of polygons and lines).
    max_vertices : int or None
        Refuse to repair an invalid geometry with more vertices than this (default
        :data:`MAX_REPAIR_VERTICES` = 200,000); ``None`` for no limit.  Valid geometries of
        any size pass unchanged.

    Returns
    -------
    repaired : array of geometries
    was_invalid : bool array
        True where the input was invalid and has been repaired.

    Raises
    ------
    RepairTooLarge
        An invalid geometry has more than ``max_vertices`` vertices; nothing is repaired.
    """
    geoms = np.asarray(geoms, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    was_invalid = present & ~shapely.is_valid(geoms)
    out = geoms.copy()
    if not was_invalid.any():
        return out, was_invalid
    vertices = np.zeros(geoms.shape, dtype="int64")
    vertices[was_invalid] = shapely.get_num_coordinates(geoms[was_invalid])
    if max_vertices is not None:
        too_large = vertices > max_vertices
        if too_large.any():
            positions = np.flatnonzero(too_large)
            msg = (
                f"{positions.size} invalid geometr{'y has' if positions.size == 1 else 'ies have'} more than "
                f"{max_vertices:,} vertices (largest: {int(vertices.max()):,}); repairing them would take "
                f"minutes and gigabytes. Simplify or split them first (e.g. ogr2ogr -simplify, or "
                f"QGIS Fix geometries on a simplified copy)"
            )
            raise RepairTooLarge(msg, positions, vertices[positions], max_vertices)
    small = was_invalid & (vertices <= LINEWORK_MAX_VERTICES)
    large = was_invalid & ~small
    if small.any():
        out[small] = shapely.make_valid(geoms[small])
    if large.any():
        out[large] = shapely.make_valid(geoms[large], method="structure", keep_collapsed=False)
    if family is not None:
        out[was_invalid] = keep_family(out[was_invalid], family)
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
