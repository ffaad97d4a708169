"""Real ``grid`` and ``power_plants`` frames built from ``../shared/data`` in the layer contract's shape.

Until the ``grid`` and ``power_plants`` layer kinds land in ``layers/``, tests build these
frames directly (OSM substations with their highest voltage; GEM wind phases in Xiangyang).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

OSM_POWER = Path("osm") / "osm_power_polygons_xiangyang_bbox.gpkg"
GEM_WIND = Path("power") / "gem_gwpt_2023-05_hubei.csv"
#: GEM's unlocated Xiangyang phases sit on this city-centre point (SOURCES.md).
GEM_PLACEHOLDER = (112.1158, 32.0117)


def osm_grid(data: Path) -> gpd.GeoDataFrame:
    """OSM substations as a ``grid`` layer: id, name, voltage_kv (highest, float), grid_kind, source."""
    raw = gpd.read_file(data / OSM_POWER)
    subs = raw[raw["power"] == "substation"].reset_index(drop=True)
    volts = subs["voltage"].fillna("").astype(str).str.split(";")
    kv = volts.map(lambda parts: max((float(p) / 1000.0 for p in parts if p.strip()), default=np.nan))
    return gpd.GeoDataFrame(
        {
            "id": [f"osm-sub-{i}" for i in range(len(subs))],
            "name": subs["name"],
            "voltage_kv": kv.astype("float64"),
            "grid_kind": "substation",
            "source": "osm",
        },
        geometry=subs.geometry.values,
        crs=subs.crs,
    )


def gem_wind_plants(data: Path) -> gpd.GeoDataFrame:
    """GEM wind phases of Xiangyang prefecture as a ``power_plants`` layer."""
    raw = pd.read_csv(data / GEM_WIND, encoding="utf-8-sig")
    rows = raw[raw["Major area (prefecture, district)"].astype(str).str.contains("Xiangyang", na=False)]
    rows = rows.reset_index(drop=True)
    lon, lat = rows["Longitude"].to_numpy(), rows["Latitude"].to_numpy()
    placeholder = np.isclose(lon, GEM_PLACEHOLDER[0], atol=1e-4) & np.isclose(lat, GEM_PLACEHOLDER[1], atol=1e-4)
    accuracy = np.where(placeholder, "placeholder", rows["Location accuracy"].astype(str))
    return gpd.GeoDataFrame(
        {
            "id": [f"gem-{i}" for i in range(len(rows))],
            "name": rows["Project Name in Local Language / Script"].fillna(rows["Project Name"]),
            "technology": "wind",
            "capacity_mw": rows["Capacity (MW)"].astype("float64"),
            "status": rows["Status"].astype(str),
            "start_year": rows["Start year"],
            "county": rows["Local area (taluk, county)"],
            "location_accuracy": accuracy,
            "source": "gem",
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
