"""OpenStreetMap extracts → rooftops (buildings) and roads (highways).

``.osm.pbf`` is read with pyrosm, ``.osm`` XML with osmnx.  Tags are mapped onto the
schema: building tags to use classes, ``height``/``building:levels`` to ``height_m``;
road tags go through :mod:`geo.osm_tags` (``maxspeed`` to ``maxspeed_kmh``, mph converted;
``oneway=-1`` ways are stored reversed, so every one-way line runs the way traffic does).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import WGS84
from geo.errors import InputError
from geo.osm_tags import first_tag, parse_maxspeed_kmh, parse_oneway

#: OSM ``building=*`` values → use classes of layers.schema.USE_CLASSES.
BUILDING_USE_CLASS = {
    "government": "government",
    "civic": "public",
    "public": "public",
    "school": "public",
    "university": "public",
    "college": "public",
    "kindergarten": "public",
    "hospital": "public",
    "train_station": "public",
    "transportation": "public",
    "sports_hall": "public",
    "church": "public",
    "temple": "public",
    "industrial": "industrial",
    "warehouse": "industrial",
    "factory": "industrial",
    "manufacture": "industrial",
    "hangar": "industrial",
    "commercial": "commercial",
    "retail": "commercial",
    "office": "commercial",
    "supermarket": "commercial",
    "hotel": "commercial",
    "kiosk": "commercial",
    "apartments": "residential",
    "residential": "residential",
    "dormitory": "residential",
    "terrace": "residential",
    "house": "rural_home",
    "detached": "rural_home",
    "farm": "rural_home",
    "semidetached_house": "rural_home",
    "bungalow": "rural_home",
    "farm_auxiliary": "rural_home",
    "barn": "rural_home",
}
_METRES_PER_LEVEL = 3.0


def _is_pbf(path: Path) -> bool:
    return path.name.lower().endswith(".pbf")


@contextlib.contextmanager
def _parsing(path: Path, what: str) -> Iterator[None]:
    """Turn a parser's failure on a malformed or truncated OSM file into an InputError naming it."""
    try:
        yield
    except InputError:
        raise
    except MemoryError:
        msg = f"{path}: the OSM extract is too large to read in memory; cut it to the region (osmium extract -b ...)"
        raise InputError(msg) from None
    except Exception as exc:  # pyrosm / protobuf / expat / osmnx: the file is at fault
        if type(exc).__name__ == "InsufficientResponseError":  # osmnx: well-formed, but nothing matches
            msg = f"{path}: the OSM extract holds no {what}"
            raise InputError(msg) from None
        fmt = "OSM PBF (.osm.pbf)" if _is_pbf(path) else "OSM XML (.osm)"
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        msg = (
            f"{path}: cannot be read as {fmt}: the file is malformed or truncated "
            f"({type(exc).__name__}{': ' + detail if detail else ''}); download it again or check it with "
            f"`osmium fileinfo {path.name}`"
        )
        raise InputError(msg) from None


def _parse_number(values: pd.Series) -> pd.Series:
    """First number in each string ("12 m" → 12.0, "3;4" → 3.0); NaN where none."""
    text = values.astype("string")
    return pd.to_numeric(text.str.extract(r"([0-9]+(?:\.[0-9]+)?)", expand=False), errors="coerce")


def read_osm_buildings(path: str | Path) -> gpd.GeoDataFrame:
    """Read building footprints from an OSM extract as a rooftops frame (source ``osm``)."""
    path = Path(path)
    with _parsing(path, "buildings (no ways or relations tagged building=*)"):
        if _is_pbf(path):
            import pyrosm

            raw = pyrosm.OSM(str(path)).get_buildings()
        else:
            import osmnx as ox

            raw = ox.features_from_xml(path, tags={"building": True}).reset_index()
    if raw is None or len(raw) == 0:
        msg = f"{path}: the OSM extract holds no buildings (no ways or relations tagged building=*)"
        raise InputError(msg)
    raw = raw[raw.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    building = raw.get("building", pd.Series("yes", index=raw.index)).fillna("yes").astype(str)
    height = _parse_number(raw["height"]) if "height" in raw else pd.Series(np.nan, index=raw.index)
    levels = _parse_number(raw["building:levels"]) if "building:levels" in raw else pd.Series(np.nan, index=raw.index)
    height = height.astype("float64").fillna(levels.astype("float64") * _METRES_PER_LEVEL)
    height = height.fillna(_METRES_PER_LEVEL * 3)
    osm_id = raw["id"] if "id" in raw else raw.get("osmid", pd.Series(range(len(raw)), index=raw.index))
    names = raw["name"] if "name" in raw else pd.Series(None, index=raw.index, dtype=object)
    out = gpd.GeoDataFrame(
        {
            "id": ("osm-" + osm_id.astype(str)).to_numpy(),
            "name": names.to_numpy(),
            "use_class": building.map(BUILDING_USE_CLASS).fillna("residential").to_numpy(),
            "height_m": height.to_numpy(dtype="float64"),
            "roof_type": "flat",
            "roof_tilt_deg": 0.0,
            "roof_azimuth_deg": 180.0,
            "osm_building": building.to_numpy(),
            "source": "osm",
        },
        geometry=raw.geometry.to_numpy(),
        crs=raw.crs or WGS84,
    )
    return out.drop_duplicates(subset="id").reset_index(drop=True)


def read_osm_roads(path: str | Path) -> gpd.GeoDataFrame:
    """Read drivable highways from an OSM extract as a roads frame (source ``osm``)."""
    path = Path(path)
    if _is_pbf(path):
        import pyrosm

        with _parsing(path, "drivable roads (ways tagged highway=*)"):
            raw = pyrosm.OSM(str(path)).get_network(network_type="driving")
    else:
        import osmnx as ox

        with _parsing(path, "ways tagged highway=*"):
            graph = ox.graph_from_xml(path, simplify=False, retain_all=True)
        if graph.number_of_edges() == 0:
            msg = f"{path}: the OSM extract holds no ways tagged highway=*"
            raise InputError(msg)
        raw = ox.graph_to_gdfs(graph, nodes=False).reset_index()
        raw = raw[raw["highway"].notna()] if "highway" in raw else raw.iloc[:0]
        if "reversed" in raw:  # two-way streets come as both directions: keep the drawn one
            raw = raw[~raw["reversed"].astype(bool)]
        raw["id"] = raw["osmid"].astype(str) + "-" + raw["u"].astype(str) + "-" + raw["v"].astype(str)
    if raw is None or len(raw) == 0:
        msg = f"{path}: the OSM extract holds no drivable roads (ways tagged highway=*)"
        raise InputError(msg)
    n = len(raw)
    highway = first_tag(raw["highway"]).astype(str)
    maxspeed = parse_maxspeed_kmh(raw["maxspeed"]) if "maxspeed" in raw else np.full(n, np.nan)
    oneway, reverse = parse_oneway(raw["oneway"]) if "oneway" in raw else (np.zeros(n, bool), np.zeros(n, bool))
    # oneway=-1: traffic runs against the drawn direction; store the line the way it is driven
    geometry = raw.geometry.to_numpy()
    geometry = np.where(reverse, shapely.reverse(geometry), geometry)
    names = raw["name"].astype(object) if "name" in raw else None
    out = gpd.GeoDataFrame(
        {
            "id": ("osm-" + raw["id"].astype(str)).to_numpy(),
            "name": names.to_numpy() if names is not None else None,
            "highway": highway.to_numpy(),
            "maxspeed_kmh": maxspeed,
            "oneway": oneway,
            "source": "osm",
        },
        geometry=geometry,
        crs=raw.crs or WGS84,
    )
    out = out[out.geometry.geom_type.isin(["LineString", "MultiLineString"])]
    # a way split into several edges keeps one id per piece
    dup = out["id"].duplicated(keep=False)
    if dup.any():
        out.loc[dup, "id"] = out.loc[dup, "id"] + "-" + out.loc[dup].groupby("id").cumcount().astype(str)
    return out.reset_index(drop=True)
