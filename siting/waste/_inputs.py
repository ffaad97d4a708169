"""Private helpers: read and check the layers waste routing needs, cache road networks."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.cache import file_key, memoize
from geo.costs import PointCostMatrix, point_cost_matrix
from geo.errors import InputError, describe_rows
from geo.network import RoadNetwork
from layers.conform import conform
from layers.project import Project
from layers.schema import FACILITY_KINDS, FACILITY_STATUSES, WASTE_KINDS

#: Status of the candidate sites a siting run adds to the facilities (never stored).
NEW_SITE_STATUS = "new_site"


@dataclass
class Layers:
    """The layers of one routing run (WGS84 GeoDataFrames) and where they came from."""

    sources: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    network: RoadNetwork
    industrial_parks: gpd.GeoDataFrame | None
    origin: str


def check_waste_kind(waste_kind: str) -> str:
    """Return ``waste_kind`` or raise InputError naming the known kinds."""
    aliases = {"construction_waste": "construction", "pg": "phosphogypsum"}
    kind = aliases.get(str(waste_kind).strip().lower(), str(waste_kind).strip().lower())
    if kind not in WASTE_KINDS:
        msg = f"unknown waste kind {waste_kind!r}; choose one of: {', '.join(WASTE_KINDS)}"
        raise InputError(msg)
    return kind


def load_layers(
    project_or_layers,
    *,
    network: RoadNetwork | None = None,
    osm_path: str | os.PathLike | None = None,
    speeds_kmh: dict[str, float] | None = None,
    need_parks: bool = False,
) -> Layers:
    """Sources, facilities, road network (and parks) from a Project, a folder or a dict."""
    parks = None
    if isinstance(project_or_layers, dict):
        layers = project_or_layers
        origin = "layers"
        sources = _require(layers, "waste_sources", origin)
        facilities = _require(layers, "facilities", origin)
        parks = layers.get("industrial_parks")
        if network is None:
            if osm_path is not None:
                network = cached_osm_network(osm_path, speeds_kmh=speeds_kmh)
            else:
                roads = layers.get("roads")
                if roads is None:
                    msg = "no 'roads' layer given: pass layers['roads'], osm_path= or network="
                    raise InputError(msg)
                network = RoadNetwork.from_lines(roads, speeds_kmh=speeds_kmh, source="roads layer")
    else:
        project = project_or_layers if isinstance(project_or_layers, Project) else Project.open(project_or_layers)
        origin = str(project.path)
        sources = project.read("waste_sources")
        facilities = project.read("facilities")
        if need_parks and project.has("industrial_parks"):
            parks = project.read("industrial_parks")
        if network is None:
            if osm_path is not None:
                network = cached_osm_network(osm_path, speeds_kmh=speeds_kmh)
            else:
                network = cached_project_network(project, speeds_kmh=speeds_kmh)
    return Layers(
        sources=check_sources(sources, context="waste_sources" if origin == "layers" else origin),
        facilities=check_facilities(facilities, context="facilities" if origin == "layers" else origin),
        network=network,
        industrial_parks=parks,
        origin=origin,
    )


def _require(layers: dict, kind: str, origin: str) -> gpd.GeoDataFrame:
    frame = layers.get(kind)
    if frame is None:
        msg = f"no {kind!r} layer given in {origin}; pass layers[{kind!r}]"
        raise InputError(msg)
    return frame


def check_sources(sources: gpd.GeoDataFrame, *, context: str = "waste_sources") -> gpd.GeoDataFrame:
    """Waste sources checked by :func:`layers.conform` (features without a location are kept:
    routing reports them as unmet)."""
    out, _ = conform(sources, "waste_sources", context=context, allow_empty_geometry=True)
    out = out.reset_index(drop=True)
    out["name"] = out["name"].where(out["name"].notna(), out["id"])
    return out


def check_facilities(facilities: gpd.GeoDataFrame, *, context: str = "facilities") -> gpd.GeoDataFrame:
    """Facilities checked by :func:`layers.conform`, with the waste kinds each accepts.

    Besides the schema's statuses, :data:`NEW_SITE_STATUS` marks the sites a siting run adds.
    """
    out, _ = conform(
        facilities, "facilities", context=context, choices={"status": (*FACILITY_STATUSES, NEW_SITE_STATUS)}
    )
    out = out.reset_index(drop=True)
    out["name"] = out["name"].where(out["name"].notna(), out["id"])
    out["accepts"] = accepted_kinds(out, context=context)
    return out


def accepted_kinds(facilities: pd.DataFrame, *, context: str = "facilities") -> pd.Series:
    """Waste kinds each facility accepts, as a comma-joined string (from ``accepts`` or kind).

    ``accepts`` is a list in one column, which a schema's allowed values cannot express; its
    error has the shape of :func:`layers.conform`'s.
    """
    default = facilities["facility_kind"].map(lambda k: ",".join(FACILITY_KINDS.get(k, ())))
    if "accepts" not in facilities.columns:
        return default
    given = facilities["accepts"].astype(object)
    blank = given.isna() | (given.astype(str).str.strip() == "")
    parts = given.where(~blank, "").astype(str).str.lower().str.replace(" ", "", regex=False)
    cleaned = parts.str.replace("construction_waste", "construction", regex=False)
    tokens = cleaned.str.split(",")
    bad = tokens.map(lambda ts: any(t and t not in WASTE_KINDS for t in ts)) & ~blank
    if bad.any():
        ids = facilities.loc[bad, "id"] if "id" in facilities else facilities.index[bad]
        unknown = sorted({t for ts in tokens[bad] for t in ts if t and t not in WASTE_KINDS})[:5]
        msg = (
            f"{context}: column 'accepts' of layer 'facilities' has unknown waste kind(s) {unknown} in "
            f"{describe_rows(ids)}; give a comma-separated list of {', '.join(WASTE_KINDS)}"
        )
        raise InputError(msg)
    return cleaned.where(~blank, default)


def accepts_mask(facilities: pd.DataFrame, waste_kind: str) -> np.ndarray:
    """Boolean mask of facilities whose ``accepts`` list names ``waste_kind``."""
    return facilities["accepts"].str.split(",").map(lambda ts: waste_kind in ts).to_numpy(bool)


# -- caches (geo.cache.memoize) ---------------------------------------------------------------
def _speeds_key(speeds_kmh: dict[str, float] | None) -> tuple | None:
    return None if speeds_kmh is None else tuple(sorted(speeds_kmh.items()))


def cached_project_network(project: Project, *, speeds_kmh=None) -> RoadNetwork:
    """The project's road network, rebuilt only when ``project.gpkg`` changes."""
    if not project.has("roads"):
        msg = (
            f"project {project.path} has no 'roads' layer; import one with "
            f"`xysiting import {project.path} --layer roads FILE` or pass an OSM file"
        )
        raise InputError(msg)
    return _project_network(file_key(project.gpkg_path), _speeds_key(speeds_kmh))


@memoize(4)
def _project_network(key: tuple[str, int, int], speeds: tuple | None) -> RoadNetwork:
    project = Project.open(Path(key[0]).parent)
    roads = project.read("roads")
    return RoadNetwork.from_lines(
        roads, speeds_kmh=None if speeds is None else dict(speeds), source=f"roads layer of {project.path}"
    )


def cached_osm_network(path: str | os.PathLike, *, speeds_kmh=None) -> RoadNetwork:
    """A network from an OSM file, rebuilt only when the file changes."""
    path = Path(path)
    if not path.exists():
        msg = f"OSM file {path} does not exist"
        raise InputError(msg)
    return _osm_network(file_key(path), _speeds_key(speeds_kmh))


@memoize(4)
def _osm_network(key: tuple[str, int, int], speeds: tuple | None) -> RoadNetwork:
    return RoadNetwork.from_osm(key[0], speeds_kmh=None if speeds is None else dict(speeds))


def _snapped_key(frame: pd.DataFrame) -> bytes:
    return b"|".join(
        np.ascontiguousarray(frame[c].to_numpy(dtype=dtype)).tobytes()
        for c, dtype in (("node", "int64"), ("edge", "int64"), ("along", "float64"))
    )


def _point_cost_key(network, origins, destinations, *, weight="length") -> tuple:
    # the network itself (hashed by identity) is part of the key, so a cached matrix is never
    # served for another network that happens to reuse a freed object's id
    return (network, _snapped_key(origins), _snapped_key(destinations), weight)


@memoize(8, key=_point_cost_key)
def cached_point_cost_matrix(
    network: RoadNetwork, origins: pd.DataFrame, destinations: pd.DataFrame, *, weight: str = "length"
) -> PointCostMatrix:
    """:func:`geo.costs.point_cost_matrix`, remembered for the last few snapped point sets."""
    return point_cost_matrix(network, origins, destinations, weight=weight)
