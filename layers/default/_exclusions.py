"""Synthetic exclusion layers: rivers, protected areas, settlements and major roads.

* Water: the Han River (汉江) and three tributaries as centre lines with a ``buffer_m``
  half-width (source "synthetic").  The Han River north of 余家湖 follows the real county
  borders along it (cnmaps); the rest is traced by hand at kilometre accuracy.
* Protected: real named reserves and parks at approximate centres with invented circular
  outlines of the stated area (source "synthetic").
* Airports and railway stations are real (OpenStreetMap): :mod:`._real`.
* Settlements: the built-up zone ellipses of the default (county seats and central city).
* Roads: motorways and trunk roads with a 100 m buffer.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from layers.default._common import gcj_to_utm, utm_frame
from layers.default._places import HAN_BORDER_PAIRS, PROTECTED, RIVERS, URBAN_ZONES


def river_lines_utm(counties_utm: gpd.GeoDataFrame) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Rivers as (ids, names, buffer_m, UTM centre lines); the Han River comes first.

    The Han River's course from the city's north-western border to 余家湖 follows the real
    county borders that run along it (:data:`_places.HAN_BORDER_PAIRS`, cnmaps boundaries);
    south of there it continues along the hand-traced points of :data:`_places.RIVERS`.
    """
    geoms_by_code = dict(zip(counties_utm["adcode"], counties_utm.geometry.values, strict=True))
    shared = [
        shapely.intersection(shapely.boundary(geoms_by_code[a]), shapely.boundary(geoms_by_code[b]))
        for a, b in HAN_BORDER_PAIRS
    ]
    border = shapely.line_merge(shapely.union_all(shared))
    parts = sorted(shapely.get_parts(border), key=lambda g: -g.length)
    han_north = parts[0]  # one line when the borders meet at their tripoints
    if han_north.coords[0][1] < han_north.coords[-1][1]:  # run it north to south
        han_north = shapely.reverse(han_north)
    ids, names, buffers, geoms = [], [], [], []
    for rid, name, buffer_m, pts in RIVERS:
        x, y = gcj_to_utm(*zip(*pts, strict=True))
        line_xy = np.column_stack([x, y])
        if rid == "excl-hanjiang":
            line_xy = np.vstack([shapely.get_coordinates(han_north), line_xy])
        ids.append(rid)
        names.append(name)
        buffers.append(buffer_m)
        geoms.append(shapely.linestrings(line_xy))
    return ids, names, np.asarray(buffers), np.asarray(geoms, dtype=object)


def water_areas_utm(counties_utm: gpd.GeoDataFrame) -> np.ndarray:
    """Rivers buffered by their ``buffer_m`` (metres, EPSG:32649)."""
    _ids, _names, buffers, lines = river_lines_utm(counties_utm)
    return shapely.buffer(lines, buffers)


def protected_areas_utm() -> tuple[list[str], list[str], np.ndarray]:
    """Protected areas as (ids, names, circular polygons of the stated area, metres)."""
    pid, pname, plon, plat, parea = zip(*PROTECTED, strict=True)
    px, py = gcj_to_utm(plon, plat)
    radius = np.sqrt(np.asarray(parea) * 1e6 / np.pi)
    return list(pid), list(pname), shapely.buffer(shapely.points(px, py), radius, quad_segs=16)


def build_exclusions_utm(roads_utm: gpd.GeoDataFrame, counties_utm: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """All exclusion features in EPSG:32649 (exclusions schema columns)."""
    ids, names, kinds, buffers, geoms = [], [], [], [], []

    rid, rname, rbuf, rlines = river_lines_utm(counties_utm)
    ids += rid
    names += rname
    kinds += ["water"] * len(rid)
    buffers += list(rbuf)
    geoms += list(rlines)

    pid, pname, pgeoms = protected_areas_utm()
    ids += pid
    names += pname
    kinds += ["protected"] * len(pid)
    buffers += [0.0] * len(pid)
    geoms += list(pgeoms)

    zid, zname, _c, zlon, zlat, sx, sy, _k, _w = zip(*URBAN_ZONES, strict=True)
    zx, zy = gcj_to_utm(zlon, zlat)
    circle = shapely.buffer(shapely.points(0.0, 0.0), 1.0, quad_segs=16)
    for k in range(len(zid)):
        ellipse = shapely.affinity.translate(shapely.affinity.scale(circle, sx[k], sy[k], origin=(0, 0)), zx[k], zy[k])
        ids.append(f"excl-settlement-{zid[k].removeprefix('zone-')}")
        names.append(zname[k])
        kinds.append("settlement")
        buffers.append(0.0)
        geoms.append(ellipse)

    major = roads_utm[roads_utm["highway"].isin(["motorway", "trunk"])]
    merged = shapely.line_merge(shapely.union_all(major.geometry.values))
    road_parts = shapely.get_parts(merged)
    ids += [f"excl-road-{i + 1}" for i in range(len(road_parts))]
    names += ["高速公路及干线公路"] * len(road_parts)
    kinds += ["road"] * len(road_parts)
    buffers += [100.0] * len(road_parts)
    geoms += list(road_parts)

    return utm_frame(
        {
            "id": ids,
            "name": names,
            "exclusion_kind": kinds,
            "buffer_m": np.asarray(buffers, dtype="float64"),
            "source": "synthetic",
        },
        geoms,
    )
