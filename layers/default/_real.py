"""Real layers of the default project: existing power plants, the grid, airports, railway stations.

Built from the compact extracts in ``layers/default/data/`` (see :mod:`._extract` for where
each comes from) through the same presets and validation as ``xysiting import``
(:func:`layers.importer.read_layer`), clipped to the counties plus
:data:`layers.schema.REGION_MARGIN_M`:

* ``power_plants``: GEM Global Wind Power Tracker (May 2023) phases and Global Coal Plant
  Tracker (July 2023) units (``source = "gem"``), and the WRI GPPD v1.3 plants of the other
  technologies (``source = "gppd"``; GPPD's wind and coal plants are left out: the GEM trackers
  hold them phase by phase and unit by unit, and GPPD's coal rows are taken from GEM's).
* ``grid``: OpenStreetMap substations (``source = "osm"``), voltage from the ``voltage`` tag
  (the highest of ``220000;110000``).
* ``exclusions``: OpenStreetMap runways as airports — the runway strip (150 m either side of
  the centre line, ICAO Annex 14 §3.4.3 for code 3–4 instrument runways) with
  ``buffer_m`` = 5,000 m (the atlas's airport distance, :mod:`siting.wind.exclusions`) — and
  railway stations with ``buffer_m`` = 300 m (the station building, platforms and forecourt:
  an assumption of this atlas, not a rule), ``source = "osm"``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import WGS84, XIANGYANG_UTM
from layers.default._common import gcj_to_utm
from layers.default._extract import DATA_DIR, FILES
from layers.default._places import AIRPORT

#: Half-width of the runway strip drawn around an OSM runway centre line, m.
RUNWAY_STRIP_HALF_WIDTH_M = 150.0
#: Exclusion distance stored with each airport (the atlas's airport default), m.
AIRPORT_BUFFER_M = 5000.0
#: Extent stored with each railway station point (building, platforms, forecourt), m.
STATION_BUFFER_M = 300.0
#: A runway within this distance of the plan's 刘集 airport position takes its id and name, m.
_LIUJI_MATCH_M = 3000.0


def _read(key: str, kind: str, counties: gpd.GeoDataFrame, region) -> gpd.GeoDataFrame:
    from layers.importer import read_layer

    frame, _report = read_layer(DATA_DIR / FILES[key], kind, counties=counties, region=region)
    return frame


def region_wgs84(counties: gpd.GeoDataFrame):
    """The counties plus :data:`layers.schema.REGION_MARGIN_M`, WGS84 (what imports clip to)."""
    from layers.schema import REGION_MARGIN_M
    from layers.validate import region_outline

    return region_outline(counties, margin_m=REGION_MARGIN_M)


def build_power_plants(counties: gpd.GeoDataFrame, region=None) -> gpd.GeoDataFrame:
    """GEM wind phases and coal units, and GPPD plants of other technologies (EPSG:4326)."""
    region = region_wgs84(counties) if region is None else region
    wind = _read("gem_wind", "power_plants", counties, region)
    coal = _read("gem_coal", "power_plants", counties, region)
    gppd = _read("gppd", "power_plants", counties, region)
    gppd = gppd[~gppd["technology"].isin(["wind", "coal"])]
    plants = pd.concat([wind, coal, gppd], ignore_index=True)
    return gpd.GeoDataFrame(plants, geometry="geometry", crs=WGS84)


def build_grid(counties: gpd.GeoDataFrame, region=None) -> gpd.GeoDataFrame:
    """OSM substations with their highest voltage (EPSG:4326)."""
    region = region_wgs84(counties) if region is None else region
    return _read("osm_power", "grid", counties, region).reset_index(drop=True)


def build_osm_exclusions_utm(counties: gpd.GeoDataFrame, region=None) -> gpd.GeoDataFrame:
    """Airports (runway strips) and railway stations from OSM, exclusions columns, EPSG:32649."""
    region = region_wgs84(counties) if region is None else region
    outline = gpd.GeoSeries([region], crs=WGS84).to_crs(XIANGYANG_UTM).iloc[0]
    runways = gpd.read_file(DATA_DIR / FILES["osm_runways"], engine="pyogrio").to_crs(XIANGYANG_UTM)
    runways = runways[shapely.intersects(outline, runways.geometry.values)].reset_index(drop=True)
    strips = shapely.buffer(runways.geometry.values, RUNWAY_STRIP_HALF_WIDTH_M, cap_style="flat")
    lx, ly = gcj_to_utm([AIRPORT[2]], [AIRPORT[3]])
    near = shapely.distance(runways.geometry.values, shapely.Point(lx[0], ly[0])) < _LIUJI_MATCH_M
    liuji = near & (np.cumsum(near) == 1)  # the first runway there carries the airport's id
    ref = runways["ref"].fillna("").astype(str) if "ref" in runways else pd.Series("", index=runways.index)
    ids = np.where(liuji, AIRPORT[0], [f"excl-airport-osm-{i + 1}" for i in range(len(runways))])
    names = np.where(liuji, AIRPORT[1], ("机场跑道 " + ref).str.strip().to_numpy())
    stations = gpd.read_file(DATA_DIR / FILES["osm_stations"], engine="pyogrio").to_crs(XIANGYANG_UTM)
    stations = stations[shapely.contains_xy(outline, stations.geometry.x, stations.geometry.y)].reset_index(drop=True)
    station_names = stations["name"].fillna("").astype(str)
    station_names = station_names.where(station_names == "", station_names + "站").replace("", "火车站")
    return gpd.GeoDataFrame(
        {
            "id": [*ids, *(f"excl-station-{i + 1}" for i in range(len(stations)))],
            "name": [*names, *station_names],
            "exclusion_kind": ["airport"] * len(runways) + ["railway_station"] * len(stations),
            "buffer_m": [AIRPORT_BUFFER_M] * len(runways) + [STATION_BUFFER_M] * len(stations),
            "source": "osm",
        },
        geometry=[*strips, *stations.geometry.values],
        crs=XIANGYANG_UTM,
    )
