"""Cut the real data shipped with the default project out of the published files (maintainers only).

The default project is built offline from the compact extracts in ``layers/default/data/``.
This module makes them from the files listed in ``../shared/data/SOURCES.md``::

    python -m layers.default._extract /work/shared/data

Each extract keeps the source's own columns (so the default goes through the same presets
as a user's import, :mod:`layers._power`) and only the rows in the box
:data:`EXTRACT_BOX` (Xiangyang plus a margin); the default build then clips to the counties
plus :data:`layers.schema.REGION_MARGIN_M`.

=======================================  ===========================================================
file                                     from (licence)
=======================================  ===========================================================
gem_gwpt_2023-05_xiangyang.csv           Global Wind Power Tracker, Global Energy Monitor, May 2023,
                                         sheet Data (CC BY 4.0)
gem_gcpt_2023-07_xiangyang.csv           Global Coal Plant Tracker, Global Energy Monitor, July 2023,
                                         sheet Units (CC BY 4.0)
gppd_v1.3_xiangyang.csv                  WRI Global Power Plant Database v1.3 (CC BY 4.0)
osm_power_2025-02_xiangyang.geojson      OpenStreetMap power=substation/plant polygons (ODbL 1.0)
osm_runways_2025-02_xiangyang.geojson    OpenStreetMap aeroway=runway lines (ODbL 1.0)
osm_stations_2025-02_xiangyang.geojson   OpenStreetMap railway stations (ODbL 1.0)
=======================================  ===========================================================
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

#: lon_min, lat_min, lon_max, lat_max of the extracts (the box of SOURCES.md's OSM clips).
EXTRACT_BOX = (110.75, 31.23, 113.10, 32.63)

DATA_DIR = Path(__file__).with_name("data")

FILES = {
    "gem_wind": "gem_gwpt_2023-05_xiangyang.csv",
    "gem_coal": "gem_gcpt_2023-07_xiangyang.csv",
    "gppd": "gppd_v1.3_xiangyang.csv",
    "osm_power": "osm_power_2025-02_xiangyang.geojson",
    "osm_runways": "osm_runways_2025-02_xiangyang.geojson",
    "osm_stations": "osm_stations_2025-02_xiangyang.geojson",
}


def _in_box(lon: pd.Series, lat: pd.Series) -> pd.Series:
    x0, y0, x1, y1 = EXTRACT_BOX
    lon, lat = pd.to_numeric(lon, errors="coerce"), pd.to_numeric(lat, errors="coerce")
    return lon.between(x0, x1) & lat.between(y0, y1)


def extract(shared: str | Path, out: str | Path = DATA_DIR) -> dict[str, int]:
    """Write the extracts from the shared data folder into ``out``; return rows per file."""
    shared, out = Path(shared), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    wind = pd.read_excel(
        shared / "power/Global-Wind-Power-Tracker-May-2023.xlsx", sheet_name="Data", dtype=object, engine="calamine"
    )
    wind = wind[_in_box(wind["Longitude"], wind["Latitude"])]
    coal = pd.read_csv(shared / "power/gem_gcpt_2023-07_units_xiangyang_bbox.csv", dtype=str, keep_default_na=False)
    coal = coal[_in_box(coal["Longitude"], coal["Latitude"])]
    gppd = pd.read_csv(shared / "power/gppd_v1.3_china_power_plants.csv", dtype=str, keep_default_na=False)
    gppd = gppd[_in_box(gppd["longitude"], gppd["latitude"])]
    for key, table in (("gem_wind", wind), ("gem_coal", coal), ("gppd", gppd)):
        table.to_csv(out / FILES[key], index=False, encoding="utf-8")
        counts[key] = len(table)
    power = gpd.read_file(shared / "osm/osm_power_polygons_xiangyang_bbox.gpkg")
    aeroways = gpd.read_file(shared / "osm/osm_aeroways_xiangyang_bbox.gpkg")
    stations = gpd.read_file(shared / "osm/osm_railway_stations_xiangyang_bbox.gpkg")
    runways = aeroways[aeroways["aeroway"] == "runway"]
    for key, frame in (("osm_power", power), ("osm_runways", runways), ("osm_stations", stations)):
        frame = frame.reset_index(drop=True)
        frame.to_file(out / FILES[key], driver="GeoJSON", engine="pyogrio", layer_options={"COORDINATE_PRECISION": 6})
        counts[key] = len(frame)
    return counts


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    print(extract(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data"))
