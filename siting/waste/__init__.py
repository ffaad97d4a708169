"""Waste routing and new-facility siting on road networks (issue 4).

Public API
----------
route_waste(project_or_layers, *, waste_kind, ...) -> WasteRouting
    Least-cost allocation of one waste kind to accepting facilities (a transportation LP
    solved by POT's network simplex and certified by a dual bound; HiGHS is the fallback),
    with ``.flows`` (route geometries), ``.unmet``, ``.facility_use``, ``.totals``.
site_new_facilities(project_or_layers, *, waste_kind, k=2, ...) -> SitingResult
    Capacitated facility location (HiGHS MIP) among candidates; ``.before``, ``.after``,
    ``.chosen``, ``.candidates``, ``.gain``.
FacilityLocation.from_cost_matrix(cost, weights, p, ...).solve()
    The location model itself (p-median when uncapacitated).
load_network(project_or_path, *, osm_path=None, speeds_kmh=None) -> geo.network.RoadNetwork
    The cached road network of a project (rebuilt when project.gpkg changes) or an OSM file.
"""

from __future__ import annotations

import os

from geo.network import DEFAULT_TRUCK_SPEEDS_KMH, RoadNetwork
from siting.waste.allocation import (
    DEFAULT_CNY_PER_TKM,
    DEFAULT_CO2_KG_PER_TKM,
    DEFAULT_STATUSES,
    FACILITY_USE_COLUMNS,
    FLOW_COLUMNS,
    UNMET_COLUMNS,
    UTILISATION_FACILITY_KINDS,
    WasteRouting,
    route_waste,
    utilisation_split,
)
from siting.waste.location import (
    DEFAULT_NEW_CAPACITY_T_PER_YEAR,
    FacilityLocation,
    SitingResult,
    candidates_from_parks,
    site_new_facilities,
)


def load_network(
    project_or_path=None, *, osm_path: str | os.PathLike | None = None, speeds_kmh: dict[str, float] | None = None
) -> RoadNetwork:
    """The road network of a project (its roads layer) or of an OSM file, cached by mtime."""
    from layers.project import Project
    from siting.waste._inputs import cached_osm_network, cached_project_network

    if osm_path is not None:
        return cached_osm_network(osm_path, speeds_kmh=speeds_kmh)
    project = project_or_path if isinstance(project_or_path, Project) else Project.open(project_or_path)
    return cached_project_network(project, speeds_kmh=speeds_kmh)


__all__ = [
    "DEFAULT_CNY_PER_TKM",
    "DEFAULT_CO2_KG_PER_TKM",
    "DEFAULT_NEW_CAPACITY_T_PER_YEAR",
    "DEFAULT_STATUSES",
    "DEFAULT_TRUCK_SPEEDS_KMH",
    "FACILITY_USE_COLUMNS",
    "FLOW_COLUMNS",
    "UNMET_COLUMNS",
    "UTILISATION_FACILITY_KINDS",
    "FacilityLocation",
    "RoadNetwork",
    "SitingResult",
    "WasteRouting",
    "candidates_from_parks",
    "load_network",
    "route_waste",
    "site_new_facilities",
    "utilisation_split",
]
