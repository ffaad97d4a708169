"""Synthetic rooftops for tests and benchmarks (labelled ``source="synthetic"``).

Not data: a stand-in city with the shapes, spacing and height mix that exercise the rooftop
PV pipeline (orientation classes, neighbour shading, county ranks) at any size.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.schema import COUNTIES


def synthetic_rooftops(
    n: int, *, seed: int = 7, offset_m: tuple[float, float] = (0.0, 0.0), id_prefix: str = "b"
) -> gpd.GeoDataFrame:
    """``n`` synthetic rooftops (GeoDataFrame, EPSG:4326, ``source="synthetic"``).

    Towns of jittered lattices of buildings 25–45 m apart over Xiangyang's nine counties
    (a 160 × 120 km box of UTM zone 49N), heights by use class (a few 60–100 m towers), 35 %
    pitched roofs with integer-degree tilts of 15–35° facing mostly south (normal, sd 25°),
    rural homes in sparse villages.

    Parameters
    ----------
    n : int
        Rooftops.
    seed : int
        Random seed (same seed, same city).
    offset_m : (float, float)
        Shift of the whole city, m east and north (tiles of a synthetic province).
    id_prefix : str
        Ids are ``id_prefix`` + a running number.
    """
    rng = np.random.default_rng(seed)
    n_towns = max(1, n // 4000)
    town_x = rng.uniform(560_000, 720_000, n_towns) + offset_m[0]
    town_y = rng.uniform(3_480_000, 3_600_000, n_towns) + offset_m[1]
    town = rng.integers(0, n_towns, n)
    # position in a jittered lattice around the town centre
    k = np.arange(n)
    order = np.argsort(town, kind="stable")
    rank_in_town = np.empty(n, dtype=np.int64)
    counts = np.bincount(town, minlength=n_towns)
    starts = np.cumsum(counts) - counts
    rank_in_town[order] = k - np.repeat(starts, counts)
    side = np.ceil(np.sqrt(counts.max())).astype(int)
    spacing = rng.uniform(25.0, 45.0, n_towns)[town]
    gx = (rank_in_town % side - side / 2) * spacing + rng.normal(0, 3, n)
    gy = (rank_in_town // side - side / 2) * spacing + rng.normal(0, 3, n)
    cx, cy = town_x[town] + gx, town_y[town] + gy
    classes = np.array(["government", "public", "industrial", "commercial", "residential", "rural_home"])
    cls = rng.choice(6, n, p=[0.02, 0.05, 0.08, 0.10, 0.35, 0.40])
    w = np.select([cls == 2, cls == 5], [rng.uniform(30, 120, n), rng.uniform(8, 14, n)], rng.uniform(12, 40, n))
    d = np.select([cls == 2, cls == 5], [rng.uniform(20, 80, n), rng.uniform(8, 14, n)], rng.uniform(10, 20, n))
    w, d = np.minimum(w, spacing - 4), np.minimum(d, spacing - 4)
    height = np.select(
        [cls == 4, cls == 5, cls == 2],
        [
            rng.choice([9, 18, 33, 54, 80], n, p=[0.3, 0.3, 0.25, 0.1, 0.05]),
            rng.uniform(3.5, 9, n),
            rng.uniform(6, 15, n),
        ],
        rng.uniform(8, 30, n),
    )
    pitched = rng.uniform(size=n) < np.where(cls == 5, 0.7, 0.15)
    tilt = np.where(pitched, rng.integers(15, 36, n).astype(float), 0.0)
    azimuth = np.where(pitched, np.round(rng.normal(180, 25, n)) % 360, 180.0)
    geoms = shapely.box(cx - w / 2, cy - d / 2, cx + w / 2, cy + d / 2)
    adcodes = np.array(list(COUNTIES))
    county = adcodes[
        np.clip(((cx - offset_m[0] - 560_000) / 160_000 * 3).astype(int), 0, 2) * 3
        + np.clip(((cy - offset_m[1] - 3_480_000) / 120_000 * 3).astype(int), 0, 2)
    ]
    frame = gpd.GeoDataFrame(
        {
            "id": pd.array(np.char.add(id_prefix, k.astype(str)), dtype="string").astype(object),
            "county": county,
            "park_id": np.where(cls == 2, "park-bench", None),
            "use_class": classes[cls],
            "height_m": np.round(height, 1),
            "roof_type": np.where(pitched, "pitched", "flat"),
            "roof_tilt_deg": tilt,
            "roof_azimuth_deg": azimuth,
            "source": "synthetic",
        },
        geometry=geoms,
        crs="EPSG:32649",
    )
    return frame.to_crs("EPSG:4326")
