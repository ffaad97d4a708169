"""Synthetic wind projects for tests, benchmarks and demos (every feature ``source="synthetic"``).

Nothing here is real data: a smooth analytic wind field and random exclusion features over a
square region near Xiangyang.  The same physical field can be written in any CRS, so results
can be compared across CRSs.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import rasterio
import shapely
from affine import Affine

from geo.crs import WGS84, XIANGYANG_UTM

#: Centre of the synthetic region (WGS84): near the city seat (FACTS.md, 襄阳市 112.1441, 32.0424).
CENTRE_LON_LAT = (112.14, 32.04)


def centre_utm() -> tuple[float, float]:
    """The synthetic centre in UTM 49N metres."""
    tr = pyproj.Transformer.from_crs(WGS84, XIANGYANG_UTM, always_xy=True)
    x, y = tr.transform(*CENTRE_LON_LAT)
    return float(x), float(y)


def wind_field(
    x_m: np.ndarray, y_m: np.ndarray, *, mean_m_s: float = 5.6, amplitude_m_s: float = 1.2, wavelength_km: float = 23.0
) -> np.ndarray:
    """A smooth mean-wind-speed field (m/s) of UTM 49N coordinates (metres)."""
    cx, cy = centre_utm()
    u = (np.asarray(x_m) - cx) / (wavelength_km * 1000.0) * 2 * np.pi
    v = (np.asarray(y_m) - cy) / (wavelength_km * 1000.0) * 2 * np.pi
    return (
        mean_m_s + amplitude_m_s * np.sin(u) * np.cos(0.7 * v) + 0.3 * amplitude_m_s * np.cos(1.9 * v + 0.5)
    ).astype("float32")


def write_wind_raster(
    path: str | os.PathLike,
    *,
    size_km: float,
    crs: str = XIANGYANG_UTM,
    resolution_m: float = 100.0,
    margin_km: float = 2.0,
    constant_m_s: float | None = None,
    **field_kw,
) -> Path:
    """Write the synthetic field over the square region (+ margin) as GeoTIFF in ``crs``.

    In a geographic CRS the cell size is ``resolution_m`` converted to degrees at the centre.
    """
    cx, cy = centre_utm()
    half = size_km * 500.0 + margin_km * 1000.0
    to_utm = pyproj.Transformer.from_crs(crs, XIANGYANG_UTM, always_xy=True)
    geographic = pyproj.CRS.from_user_input(crs).is_geographic
    if geographic:
        from_utm = pyproj.Transformer.from_crs(XIANGYANG_UTM, crs, always_xy=True)
        xs, ys = from_utm.transform(
            [cx - half, cx + half, cx - half, cx + half], [cy - half, cy - half, cy + half, cy + half]
        )
        left, right, bottom, top = min(xs), max(xs), min(ys), max(ys)
        res_y = resolution_m / 111_320.0
        res_x = resolution_m / (111_320.0 * np.cos(np.radians(CENTRE_LON_LAT[1])))
    else:
        from_utm = pyproj.Transformer.from_crs(XIANGYANG_UTM, crs, always_xy=True)
        x0, y0 = from_utm.transform(cx, cy)
        left, right, bottom, top = x0 - half, x0 + half, y0 - half, y0 + half
        res_x = res_y = resolution_m
    width = int(np.ceil((right - left) / res_x))
    height = int(np.ceil((top - bottom) / res_y))
    transform = Affine(res_x, 0, left, 0, -res_y, top)
    cols = left + res_x * (np.arange(width) + 0.5)
    rows = top - res_y * (np.arange(height) + 0.5)
    if constant_m_s is not None:
        data = np.full((height, width), constant_m_s, dtype="float32")
    else:
        data = np.empty((height, width), dtype="float32")
        for r0 in range(0, height, 512):  # in blocks to keep memory flat
            gx, gy = np.meshgrid(cols, rows[r0 : r0 + 512])
            ux, uy = to_utm.transform(gx, gy)
            data[r0 : r0 + 512] = wind_field(ux, uy, **field_kw)
    path = Path(path)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=-9999.0,
        compress="deflate",
        tiled=True,
    ) as ds:
        ds.write(data, 1)
    return path


def region_counties(size_km: float, *, n_side: int = 3) -> gpd.GeoDataFrame:
    """A square region split into ``n_side``² synthetic county tiles (WGS84), real adcodes."""
    from layers.schema import COUNTIES

    cx, cy = centre_utm()
    half = size_km * 500.0
    step = size_km * 1000.0 / n_side
    geoms, codes = [], list(COUNTIES)
    for i in range(n_side):
        for j in range(n_side):
            x0 = cx - half + i * step
            y0 = cy - half + j * step
            geoms.append(shapely.box(x0, y0, x0 + step, y0 + step))
    n = len(geoms)
    adcodes = [codes[i % len(codes)] for i in range(n)]
    frame = gpd.GeoDataFrame(
        {
            "id": [f"syn-county-{i}" for i in range(n)],
            "name": [COUNTIES[c][0] for c in adcodes],
            "name_en": [COUNTIES[c][1] for c in adcodes],
            "adcode": adcodes,
            "source": "synthetic",
        },
        geometry=geoms,
        crs=XIANGYANG_UTM,
    )
    return frame.dissolve(by="adcode", as_index=False).to_crs(WGS84)


def exclusion_layers(
    size_km: float,
    *,
    seed: int = 0,
    settlements: int = 40,
    buildings: int = 400,
    water: int = 6,
    protected: int = 3,
    airports: int = 1,
    roads: int = 25,
) -> dict[str, gpd.GeoDataFrame]:
    """Random synthetic ``exclusions`` and ``roads`` layers over the region (WGS84)."""
    rng = np.random.default_rng(seed)
    cx, cy = centre_utm()
    half = size_km * 500.0

    def pts(n):
        return rng.uniform(cx - half, cx + half, n), rng.uniform(cy - half, cy + half, n)

    parts = []
    x, y = pts(settlements)
    parts.append(("settlement", shapely.buffer(shapely.points(x, y), rng.uniform(200, 900, settlements))))
    x, y = pts(buildings)
    parts.append(("building", shapely.box(x - 10, y - 8, x + 10, y + 8)))
    x, y = pts(water)
    parts.append(("water", shapely.buffer(shapely.points(x, y), rng.uniform(300, 2500, water))))
    x, y = pts(protected)
    parts.append(("protected", shapely.box(x - 3000, y - 2000, x + 3000, y + 2000)))
    x, y = pts(airports)
    parts.append(("airport", shapely.points(x, y)))
    kinds = np.concatenate([np.full(len(g), k, dtype=object) for k, g in parts])
    geoms = np.concatenate([np.asarray(g, dtype=object) for _, g in parts])
    excl = gpd.GeoDataFrame(
        {
            "id": [f"syn-excl-{i}" for i in range(len(geoms))],
            "name": kinds,
            "exclusion_kind": kinds,
            "buffer_m": 0.0,
            "source": "synthetic",
        },
        geometry=geoms,
        crs=XIANGYANG_UTM,
    ).to_crs(WGS84)
    # Roads: random polylines of 5 vertices.
    x, y = pts(roads * 5)
    coords = np.stack([x, y], axis=1).reshape(roads, 5, 2)
    lines = shapely.linestrings(coords)
    road = gpd.GeoDataFrame(
        {"id": [f"syn-road-{i}" for i in range(roads)], "name": "道路", "highway": "primary", "source": "synthetic"},
        geometry=lines,
        crs=XIANGYANG_UTM,
    ).to_crs(WGS84)
    return {"exclusions": excl, "roads": road}


def synthetic_wind_project(
    path: str | os.PathLike,
    *,
    size_km: float = 30.0,
    raster_crs: str = XIANGYANG_UTM,
    resolution_m: float = 100.0,
    height_m: float = 100.0,
    seed: int = 0,
    n_side: int = 3,
    exclusions: bool = True,
    constant_m_s: float | None = None,
    **layer_kw,
):
    """Create a project with synthetic counties, exclusions, roads and a wind raster."""
    from layers.project import Project

    project = Project.create(path, name="synthetic wind")
    frames = {"counties": region_counties(size_km, n_side=n_side)}
    if exclusions:
        frames.update(exclusion_layers(size_km, seed=seed, **layer_kw))
    project.write_many(frames)
    tif = Path(path) / "_wind_in.tif"
    write_wind_raster(tif, size_km=size_km, crs=raster_crs, resolution_m=resolution_m, constant_m_s=constant_m_s)
    project.write_raster("wind_resource", tif, height_m=height_m, units="m/s", source="synthetic")
    tif.unlink()
    return project


__all__ = ["exclusion_layers", "region_counties", "synthetic_wind_project", "wind_field", "write_wind_raster"]
