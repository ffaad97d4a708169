"""Coordinate reference systems: WGS84 for exchange, UTM for measuring, Chinese web-map offsets.

* At rest and in exchange every layer is WGS84 (EPSG:4326).
* Measuring (areas, lengths, buffers, distances) happens in a metric UTM zone chosen from
  the data (:func:`utm_crs_for`); for Xiangyang that is UTM 49N, EPSG:32649.
* CGCS2000 (EPSG:4490) is accepted as is (within about 1 m of WGS84 here).
* GCJ-02 ("Mars coordinates", used by AMap/Gaode, Tencent and Aliyun DataV) and BD-09
  (Baidu) are obfuscated offsets of WGS84 by a few hundred metres.  They are not EPSG
  CRSs; :func:`gcj02_to_wgs84` and :func:`bd09_to_wgs84` convert them, vectorised.

The GCJ-02 forward transform is the published reverse-engineered formula (Krasovsky 1940
ellipsoid, the ``_transform_lat``/``_transform_lon`` polynomials) used by e.g. eviltransform
and coordtransform; the inverse is solved by fixed-point iteration to well below 1 cm.
"""

from __future__ import annotations

import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray

from geo.errors import InputError

WGS84 = "EPSG:4326"
CGCS2000 = "EPSG:4490"
XIANGYANG_UTM = "EPSG:32649"  # UTM zone 49N: FACTS.md, "A metric CRS for the city"

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0


def utm_crs_for(lon: float, lat: float) -> pyproj.CRS:
    """Return the WGS84 UTM zone CRS containing ``(lon, lat)`` (degrees)."""
    zone = int(np.floor((lon + 180.0) / 6.0)) % 60 + 1
    epsg = (32600 if lat >= 0 else 32700) + zone
    return pyproj.CRS.from_epsg(epsg)


def require_crs(obj, *, what: str, fix: str = "set one, e.g. EPSG:4326 for lon/lat") -> pyproj.CRS:
    """The CRS of ``obj``, or :class:`~geo.errors.InputError` when it has none.

    The one check for a missing CRS, used wherever a layer, frame, series or raster must be
    placed on the Earth.

    Parameters
    ----------
    obj : GeoDataFrame, GeoSeries, rasterio dataset, CRS-like or None
        Anything with a ``crs`` attribute, or a CRS (or None) itself.
    what : str
        What is checked, for the message (a file, a layer, ``"rooftops"``).
    fix : str
        How to fix it, for the message.

    Returns
    -------
    pyproj.CRS
    """
    crs = obj.crs if hasattr(obj, "crs") else obj
    if crs is None:
        msg = f"{what}: no CRS (coordinate reference system); {fix}"
        raise InputError(msg)
    return pyproj.CRS.from_user_input(crs)


def metric_crs(gdf) -> pyproj.CRS:
    """A metric CRS for measuring ``gdf``: its own if projected in metres, else its UTM zone.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or GeoSeries
        Must carry a CRS.
    """
    crs = pyproj.CRS.from_user_input(gdf.crs)
    if crs.is_projected and crs.axis_info[0].unit_name in ("metre", "meter"):
        return crs
    minx, miny, maxx, maxy = gdf.to_crs(WGS84).total_bounds
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        return pyproj.CRS.from_user_input(XIANGYANG_UTM)
    return utm_crs_for((minx + maxx) / 2.0, (miny + maxy) / 2.0)


def _out_of_china(lon: NDArray, lat: NDArray) -> NDArray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _transform_lat(x: NDArray, y: NDArray) -> NDArray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: NDArray, y: NDArray) -> NDArray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj_delta(lon: NDArray, lat: NDArray) -> tuple[NDArray, NDArray]:
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = _out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Convert WGS84 lon/lat (degrees) to GCJ-02 (degrees); points outside China are unchanged."""
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    dlon, dlat = _gcj_delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike, *, iterations: int = 6) -> tuple[NDArray, NDArray]:
    """Convert GCJ-02 lon/lat (degrees) to WGS84 (degrees) by fixed-point iteration.

    Six iterations bring the round-trip error far below 1 mm.
    """
    glon = np.asarray(lon, dtype="float64")
    glat = np.asarray(lat, dtype="float64")
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(iterations):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        wlon = wlon - (flon - glon)
        wlat = wlat - (flat - glat)
    return wlon, wlat


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Convert Baidu BD-09 lon/lat (degrees) to GCJ-02 (degrees)."""
    x = np.asarray(lon, dtype="float64") - 0.0065
    y = np.asarray(lat, dtype="float64") - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Convert GCJ-02 lon/lat (degrees) to Baidu BD-09 (degrees)."""
    x = np.asarray(lon, dtype="float64")
    y = np.asarray(lat, dtype="float64")
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Convert Baidu BD-09 lon/lat (degrees) to WGS84 (degrees)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Convert WGS84 lon/lat (degrees) to Baidu BD-09 (degrees)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def _apply_to_geometries(geoms: ArrayLike, func) -> NDArray:
    """Apply a vectorised lon/lat transform to every coordinate of a geometry array."""

    def transform(coords: NDArray) -> NDArray:
        lon, lat = func(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(np.asarray(geoms, dtype=object), transform)


def geometries_gcj02_to_wgs84(geoms: ArrayLike) -> NDArray:
    """Convert an array of GCJ-02 shapely geometries to WGS84, every vertex at once."""
    return _apply_to_geometries(geoms, gcj02_to_wgs84)


def geometries_bd09_to_wgs84(geoms: ArrayLike) -> NDArray:
    """Convert an array of BD-09 shapely geometries to WGS84, every vertex at once."""
    return _apply_to_geometries(geoms, bd09_to_wgs84)


def geometries_wgs84_to_gcj02(geoms: ArrayLike) -> NDArray:
    """Convert an array of WGS84 shapely geometries to GCJ-02 (for Chinese basemap tiles)."""
    return _apply_to_geometries(geoms, wgs84_to_gcj02)
