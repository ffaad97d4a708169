"""Helpers shared by the default-project builders: coordinates, transforms, county joins."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray

from geo.crs import WGS84, XIANGYANG_UTM, gcj02_to_wgs84

_TO_UTM = pyproj.Transformer.from_crs(WGS84, XIANGYANG_UTM, always_xy=True)
_TO_WGS = pyproj.Transformer.from_crs(XIANGYANG_UTM, WGS84, always_xy=True)


def gcj_to_utm(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """GCJ-02 lon/lat (degrees) -> WGS84 -> UTM 49N x/y (metres)."""
    wlon, wlat = gcj02_to_wgs84(lon, lat)
    x, y = _TO_UTM.transform(wlon, wlat)
    return np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")


def utm_frame(data: dict, geometry: ArrayLike) -> gpd.GeoDataFrame:
    """A GeoDataFrame in EPSG:32649 (metres) from columns and UTM geometries."""
    return gpd.GeoDataFrame(data, geometry=np.asarray(geometry, dtype=object), crs=XIANGYANG_UTM)


def to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject a frame to EPSG:4326 with a fresh RangeIndex."""
    return frame.to_crs(WGS84).reset_index(drop=True)


def county_of(geoms: ArrayLike, counties_utm: gpd.GeoDataFrame) -> NDArray:
    """Adcode of the county containing each geometry's representative point (None outside).

    Vectorised: one prepared point-in-polygon test per county over all points; a point on a
    shared border gets the first county (in frame order) that contains it.
    """
    points = shapely.point_on_surface(np.asarray(geoms, dtype=object))
    xy = shapely.get_coordinates(points)
    out = np.full(len(points), None, dtype=object)
    for code, poly in zip(counties_utm["adcode"], counties_utm.geometry.values, strict=True):
        todo = np.flatnonzero(out == None)  # noqa: E711 - elementwise test on an object array
        shapely.prepare(poly)
        inside = shapely.contains_xy(poly, xy[todo, 0], xy[todo, 1])
        out[todo[inside]] = code
    return out


def ellipse_mask(x: NDArray, y: NDArray, cx: float, cy: float, ax: float, ay: float) -> NDArray:
    """Normalised squared radius of points in an axis-aligned ellipse (<1 inside)."""
    return ((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2


def rotated_rectangles(cx, cy, width_m, height_m, angle_deg) -> np.ndarray:
    """Vectorised rotated rectangles (metres) centred on (cx, cy); angle counter-clockwise."""
    cx, cy, w, h, a = (np.asarray(v, dtype="float64") for v in (cx, cy, width_m, height_m, angle_deg))
    n = cx.size
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
    dx = corners[None, :, 0] * w[:, None]
    dy = corners[None, :, 1] * h[:, None]
    rad = np.deg2rad(a)[:, None]
    cos, sin = np.cos(rad), np.sin(rad)
    xs = cx[:, None] + dx * cos - dy * sin
    ys = cy[:, None] + dx * sin + dy * cos
    rings = np.stack([xs, ys], axis=-1).reshape(n, 4, 2)
    return shapely.polygons(rings)
