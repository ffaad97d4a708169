"""Synthetic mean wind speed at 100 m (``source="synthetic"``): a smooth, deterministic field.

Not data.  A stand-in with plausible structure for the region until a user imports a Global
Wind Atlas GeoTIFF (FACTS.md "Wind": GWA publishes 100 m mean speed, m/s, float32):

* a plain background of about 4.6 m/s with broad variations (± 0.3 m/s);
* ridged noise trending NW-SE in the western mountains (保康, 南漳, western 谷城), up to
  about +1.8 m/s on ridges;
* hill bumps where the plan wants GW-class new-energy bases (襄州, 枣阳, 宜城; plan 三(三)11)
  and around 南漳's 荆山, each up to about +1 m/s;
* about -0.5 m/s along the Han River valley.

The result is clipped to 3.5-7.5 m/s, written as float32 GeoTIFF in EPSG:32649 at 100 m,
nodata -9999 outside the city outline.
"""

from __future__ import annotations

import os

import numpy as np
import rasterio
import shapely
from affine import Affine
from rasterio.features import geometry_mask, rasterize
from scipy import ndimage

from geo.crs import XIANGYANG_UTM
from layers.default._common import gcj_to_utm

RES_M = 100.0
#: the smooth field is computed on cells COARSE x RES_M wide, then interpolated to RES_M
COARSE = 5
NODATA = -9999.0
HEIGHT_M = 100.0

#: hills (GCJ-02 lon, lat, sigma km, amplitude m/s)
_HILLS = [
    (112.95, 32.40, 15.0, 0.9),  # 枣阳 north, 桐柏山 foothills
    (112.85, 31.88, 15.0, 1.0),  # 枣阳 south, 大洪山 foothills
    (112.35, 32.33, 18.0, 1.0),  # 襄州 northern uplands (岗地)
    (112.50, 31.68, 14.0, 1.2),  # 宜城 eastern hills
    (111.65, 31.58, 20.0, 0.8),  # 南漳 荆山
]


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cell: int) -> np.ndarray:
    """Zero-mean, unit-std smooth noise on ``shape`` with features about ``cell`` pixels wide."""
    coarse = (shape[0] // cell + 3, shape[1] // cell + 3)
    field = rng.standard_normal(coarse)
    fine = ndimage.zoom(field, cell, order=3, prefilter=False)[: shape[0], : shape[1]]
    fine -= fine.mean()
    return fine / (fine.std() + 1e-12)


def _oriented_noise(
    rng: np.random.Generator, x: np.ndarray, y: np.ndarray, *, along_m: float, across_m: float, angle_deg: float
) -> np.ndarray:
    """Smooth zero-mean, unit-std noise stretched along ``angle_deg`` (from east, CCW).

    Cubic-spline interpolation of a coarse random grid laid out in rotated coordinates,
    ``along_m`` apart along the trend and ``across_m`` across it: elongated ridges.
    """
    a = np.deg2rad(angle_deg)
    xx, yy = x[None, :], y[:, None]
    u = xx * np.cos(a) + yy * np.sin(a)
    v = -xx * np.sin(a) + yy * np.cos(a)
    u0, v0 = u.min(), v.min()
    nu = int((u.max() - u0) / along_m) + 4
    nv = int((v.max() - v0) / across_m) + 4
    coarse = rng.standard_normal((nv, nu))
    fine = ndimage.map_coordinates(
        coarse, [(v - v0) / across_m + 1.0, (u - u0) / along_m + 1.0], order=3, mode="nearest"
    )
    fine -= fine.mean()
    return fine / (fine.std() + 1e-12)


def wind_speed_field(city_utm, river_lines_utm, *, seed: int = 2024) -> tuple[np.ndarray, object]:
    """Return (speed float32 array with NODATA outside the city, rasterio transform).

    The smooth field is computed on a grid ``COARSE`` times coarser (500 m) with the same
    origin and interpolated linearly to 100 m cells; the city mask is applied at 100 m.
    """
    minx, miny, maxx, maxy = city_utm.bounds
    minx, miny = np.floor(minx / RES_M) * RES_M - RES_M, np.floor(miny / RES_M) * RES_M - RES_M
    maxx, maxy = np.ceil(maxx / RES_M) * RES_M + RES_M, np.ceil(maxy / RES_M) * RES_M + RES_M
    width, height = int(np.rint((maxx - minx) / RES_M)), int(np.rint((maxy - miny) / RES_M))
    transform = Affine(RES_M, 0.0, minx, 0.0, -RES_M, maxy)
    rng = np.random.default_rng(seed)

    res = RES_M * COARSE
    cw, ch = -(-width // COARSE), -(-height // COARSE)
    shape = (ch, cw)
    x = minx + (np.arange(cw) + 0.5) * res
    y = maxy - (np.arange(ch) + 0.5) * res

    speed = np.full(shape, 4.6, dtype="float64")
    speed += 0.3 * _smooth_noise(rng, shape, int(20_000 / res))  # 20 km features
    # western mountains: weight from 1 west of ~111.55 E to 0 east of ~111.95 E
    x_west, _ = gcj_to_utm([111.55], [32.0])
    x_east, _ = gcj_to_utm([111.95], [32.0])
    mountain = np.clip((x_east[0] - x) / (x_east[0] - x_west[0]), 0.0, 1.0)[None, :]
    # ridges trending NW-SE like the 荆山 / 武当山 foothills, about 10 km long, 4 km apart
    ridges = 1.0 - np.abs(_oriented_noise(rng, x, y, along_m=10_000.0, across_m=4_000.0, angle_deg=-35.0))
    speed += mountain * (1.8 * np.clip(ridges, 0.0, None) ** 2 - 0.2)
    hx, hy = gcj_to_utm([h[0] for h in _HILLS], [h[1] for h in _HILLS])
    for (_lon, _lat, sigma_km, amp), cx, cy in zip(_HILLS, hx, hy, strict=True):
        gx = np.exp(-0.5 * ((x - cx) / (sigma_km * 1000.0)) ** 2)
        gy = np.exp(-0.5 * ((y - cy) / (sigma_km * 1000.0)) ** 2)
        speed += amp * np.outer(gy, gx) * (0.8 + 0.4 * np.clip(ridges, 0.0, 1.0))
    speed += 0.25 * _smooth_noise(rng, shape, max(2, int(1_500 / res)))  # 1.5 km texture
    # Han River valley: -0.5 m/s at the river fading out over about 5 km
    coarse_transform = Affine(res, 0.0, minx, 0.0, -res, maxy)
    river = rasterize(
        [(g, 1) for g in river_lines_utm[:1]], out_shape=shape, transform=coarse_transform, fill=0, dtype="uint8"
    )
    dist_m = ndimage.distance_transform_edt(river == 0) * res
    speed -= 0.5 * np.exp(-dist_m / 5000.0)
    # to 100 m: linear interpolation between coarse cell centres (same origin)
    fine = ndimage.zoom(speed, COARSE, order=1, mode="nearest", grid_mode=True)
    fine = np.clip(fine[:height, :width], 3.5, 7.5)
    outside = geometry_mask([city_utm], out_shape=(height, width), transform=transform, invert=False)
    out = fine.astype("float32")
    out[outside] = NODATA
    return out, transform


def write_wind_tif(path: str | os.PathLike, counties_utm_geoms, river_lines_utm, *, seed: int = 2024) -> None:
    """Write the synthetic wind raster to ``path`` (GeoTIFF, EPSG:32649, 100 m, m/s)."""
    city = shapely.union_all(np.asarray(counties_utm_geoms, dtype=object))
    speed, transform = wind_speed_field(city, river_lines_utm, seed=seed)
    profile = {
        "driver": "GTiff",
        "dtype": "float32",
        "count": 1,
        "crs": XIANGYANG_UTM,
        "transform": transform,
        "width": speed.shape[1],
        "height": speed.shape[0],
        "nodata": NODATA,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "predictor": 3,
    }
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(speed, 1)
        ds.update_tags(
            height_m=str(HEIGHT_M),
            units="m/s",
            source="synthetic",
            description="synthetic mean wind speed at 100 m (not data)",
        )
        ds.set_band_description(1, "wind_speed_100m_m_per_s")
