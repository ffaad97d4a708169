"""Where each source's waste goes: a minimum-cost allocation on the road network.

Xiangyang produces about 3 Mt/yr of phosphogypsum (65 % utilisation targeted for 2025) and
over 5 Mt/yr of construction waste (FACTS.md, "Waste"; plan targets).  :func:`route_waste`
sends every source's tonnage to facilities that accept its kind (``layers.schema.FACILITY_KINDS``
or the facility's ``accepts`` column), within capacities, at least total cost:

    cost per tonne = road km × trucking rate (¥/t·km) + facility gate fee (¥/t)

solved exactly as a linear programme (a transportation problem: POT's network simplex,
certified optimal by a dual bound, with HiGHS as fallback; ``siting.waste._lp``).  A source
that cannot be served (capacity short, off the network, no accepting facility reachable) keeps
its tonnage as *unmet* with the reason: nothing is dropped, and for every source
``delivered + unmet = supply``.

Why one module over 500 lines: the result class :class:`WasteRouting` (flows, unmet,
facility use, exports) lives beside the preparation and assembly steps that fill it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import WGS84
from geo.errors import InputError
from geo.network import RoadNetwork
from geo.snap import DEFAULT_MAX_SNAP_M, snap_points
from siting.waste._inputs import (
    Layers,
    accepts_mask,
    cached_point_cost_matrix,
    check_waste_kind,
    load_layers,
)
from siting.waste._lp import default_penalty, solve_transport

#: Heavy-truck CO2 per tonne-kilometre, kg.  GLEC Framework default intensity factors (v2.0,
#: 2019): rigid truck 26–32 t, average load, diesel, tank-to-wheel ≈ 0.095 kgCO2e/t·km; we round
#: to 0.1.  Replace it with a fleet's own figure where known.
DEFAULT_CO2_KG_PER_TKM = 0.1

#: Trucking rate for bulk loads, ¥ per t·km.  An assumption (typical quoted Chinese road-freight
#: rates for bulk materials lie around 0.3–0.6 ¥/t·km); set your own with ``cny_per_tkm``.
DEFAULT_CNY_PER_TKM = 0.45

#: Facility statuses that take waste in the "current" allocation.
DEFAULT_STATUSES = ("operating", "under_construction")

#: Facility kinds whose intake counts as comprehensive utilisation (综合利用): processing into
#: products (phosphogypsum plants, cement kilns as set retarder, building-material plants,
#: construction-waste recycling, urban-mining bases).  Everything else a flow can reach
#: (``storage_yard``, ``landfill``, ``waste_to_energy``) is storage or disposal, not utilisation.
UTILISATION_FACILITY_KINDS = (
    "phosphogypsum_plant",
    "cement_kiln",
    "building_material_plant",
    "construction_recycling_plant",
    "urban_mining_base",
)

#: Columns of :attr:`WasteRouting.flows` (besides the route geometry), in order; consumers
#: import these names rather than guess them.
FLOW_COLUMNS = (
    "source_id",
    "source_name",
    "facility_id",
    "facility_name",
    "facility_kind",
    "waste_kind",
    "t_per_year",
    "network_km",
    "access_km",
    "km",
    "time_h",
    "tkm",
    "transport_cny",
    "gate_fee_cny",
    "cost_cny",
    "tco2",
)
#: Columns of :attr:`WasteRouting.unmet` (besides the source point), in order.
UNMET_COLUMNS = (
    "source_id",
    "source_name",
    "county",
    "waste_kind",
    "supply_t_per_year",
    "delivered_t_per_year",
    "unmet_t_per_year",
    "snap_m",
    "reason",
)
#: Columns of :attr:`WasteRouting.facility_use` (besides the facility point), in order.
FACILITY_USE_COLUMNS = (
    "facility_id",
    "facility_name",
    "facility_kind",
    "status",
    "accepts",
    "capacity_t_per_year",
    "used_t_per_year",
    "spare_t_per_year",
    "utilisation",
    "snap_m",
    "role",
)


@dataclass
class WasteRouting:
    """Result of :func:`route_waste`.

    Attributes
    ----------
    flows : geopandas.GeoDataFrame
        One row per (source, facility) pair with tonnage: ``t_per_year``, ``network_km``,
        ``access_km`` (straight-line snap distances at both ends), ``km``, ``time_h``, ``tkm``
        (t·km/yr), ``transport_cny``, ``gate_fee_cny``, ``cost_cny`` (¥/yr), ``tco2`` (t/yr);
        geometry is the road route (WGS84).
    unmet : geopandas.GeoDataFrame
        One row per source: ``supply_t_per_year``, ``delivered_t_per_year``,
        ``unmet_t_per_year``, ``snap_m``, ``reason`` (empty when fully served).
    facility_use : geopandas.GeoDataFrame
        One row per facility: ``capacity_t_per_year``, ``used_t_per_year``, ``spare_t_per_year``,
        ``utilisation``, ``snap_m``, ``role`` (``used``, ``unused``, ``off_network``,
        ``not_accepting``, ``zero_capacity``, ``status_excluded``).
    totals : dict
        supply, delivered, unmet (t/yr); delivered split into ``utilised_t_per_year`` and
        ``stored_t_per_year`` with ``utilisation_share`` (:func:`utilisation_split`); mean
        haul km (t-weighted), t·km, tCO2, ¥ and counts.
    assumptions : dict
        The parameters used (for exports).
    network_report : str
        What the road network kept and dropped.
    """

    waste_kind: str
    flows: gpd.GeoDataFrame
    unmet: gpd.GeoDataFrame
    facility_use: gpd.GeoDataFrame
    totals: dict
    assumptions: dict
    network_report: str
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """A few lines for the terminal."""
        t = self.totals
        lines = [
            f"waste kind: {self.waste_kind}",
            f"supply     {t['supply_t_per_year']:>16,.0f} t/yr",
            f"delivered  {t['delivered_t_per_year']:>16,.0f} t/yr",
            f"  utilised {t['utilised_t_per_year']:>16,.0f} t/yr "
            f"({t['utilisation_share']:.1%} of supply: plants, kilns, building materials, recycling)",
            f"  stored   {t['stored_t_per_year']:>16,.0f} t/yr (storage yards, landfill: not utilisation)",
            f"unmet      {t['unmet_t_per_year']:>16,.0f} t/yr",
            f"mean haul  {t['mean_haul_km']:>16,.1f} km",
            f"transport  {t['tkm_per_year']:>16,.0f} t·km/yr",
            f"CO2        {t['tco2_per_year']:>16,.1f} t/yr",
            f"cost       {t['cost_cny_per_year']:>16,.0f} ¥/yr "
            f"(trucking {t['transport_cny_per_year']:,.0f}, gate fees {t['gate_fee_cny_per_year']:,.0f})",
        ]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def export(self, path: str | os.PathLike, *, what: str = "flows", presentation=None) -> os.PathLike:
        """Write ``flows``, ``unmet`` or ``facility_use`` via :func:`layers.export.export_frame`.

        ``presentation`` (a :class:`layers.export.Presentation`) writes headers in a language.
        """
        from layers.export import export_frame

        frames = {"flows": self.flows, "unmet": self.unmet, "facility_use": self.facility_use}
        if what not in frames:
            msg = f"what must be one of {', '.join(frames)}, got {what!r}"
            raise InputError(msg)
        return export_frame(
            frames[what],
            path,
            layer=f"{self.waste_kind}_{what}",
            assumptions={**self.assumptions, **self.totals},
            presentation=presentation,
        )


def utilisation_split(flows: pd.DataFrame, *, supply_t_per_year: float) -> dict:
    """Split delivered tonnage into utilisation and storage: the one definition of the rate.

    ``utilised_t_per_year`` is the tonnage of ``flows`` delivered to
    :data:`UTILISATION_FACILITY_KINDS`; ``stored_t_per_year`` is the rest of the delivered
    tonnage (storage yards, landfill: stored or disposed, not utilised), so
    ``utilised + stored = delivered``.  ``utilisation_share = utilised / supply`` (the
    comprehensive utilisation rate of the plan's indicator, 0–1; NaN without supply).  The
    routing totals (:func:`route_waste`) and the Progress link
    (:func:`siting.progress.links.phosphogypsum_routing_link`) both call this function, so
    the Waste and Progress views report the same figure for the same inputs.

    Parameters
    ----------
    flows : DataFrame
        Routing flows with ``facility_kind`` and ``t_per_year`` (:data:`FLOW_COLUMNS`).
    supply_t_per_year : float
        Tonnage produced by the sources (t/yr): the denominator of the rate.

    Returns
    -------
    dict
        ``utilised_t_per_year``, ``stored_t_per_year``, ``utilisation_share``.
    """
    missing = [c for c in ("facility_kind", "t_per_year") if c not in flows.columns]
    if missing:
        msg = f"routing flows lack column(s) {', '.join(missing)} (siting.waste.FLOW_COLUMNS)"
        raise InputError(msg)
    tonnes = pd.to_numeric(flows["t_per_year"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    utilising = flows["facility_kind"].isin(UTILISATION_FACILITY_KINDS).to_numpy()
    utilised = float(tonnes[utilising].sum())
    stored = float(tonnes[~utilising].sum())
    supply = float(supply_t_per_year)
    share = utilised / supply if supply > 0 else float("nan")
    return {"utilised_t_per_year": utilised, "stored_t_per_year": stored, "utilisation_share": share}


def route_waste(
    project_or_layers,
    *,
    waste_kind: str,
    network: RoadNetwork | None = None,
    osm_path: str | os.PathLike | None = None,
    speeds_kmh: dict[str, float] | None = None,
    statuses: tuple[str, ...] = DEFAULT_STATUSES,
    extra_facilities: gpd.GeoDataFrame | None = None,
    cny_per_tkm: float = DEFAULT_CNY_PER_TKM,
    co2_kg_per_tkm: float = DEFAULT_CO2_KG_PER_TKM,
    objective: str = "cost",
    unmet_penalty_cny_per_t: float | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    route_weight: str = "length",
    snap_method: str = "edge",
    geometries: bool = True,
) -> WasteRouting:
    """Allocate one waste kind from its sources to accepting facilities at least cost.

    Parameters
    ----------
    project_or_layers : layers.project.Project, path, or dict
        A project (or its folder), or ``{"waste_sources": gdf, "facilities": gdf, "roads": gdf}``.
    waste_kind : {"phosphogypsum", "construction"}
        Which waste to route.
    network : RoadNetwork, optional
        A prebuilt network (else from ``osm_path`` or the roads layer, cached by file mtime).
    osm_path : path, optional
        Build the network from this ``.osm``/``.osm.pbf`` file instead of the roads layer.
    speeds_kmh : dict, optional
        Truck speed by road class (default :data:`geo.network.DEFAULT_TRUCK_SPEEDS_KMH`).
    statuses : tuple of str
        Facility statuses that take waste (default operating and under construction).
    extra_facilities : GeoDataFrame, optional
        Facilities added for this run (e.g. sites chosen by :func:`site_new_facilities`).
    cny_per_tkm : float
        Trucking rate, ¥ per t·km (:data:`DEFAULT_CNY_PER_TKM`, an assumption).
    co2_kg_per_tkm : float
        Truck CO2, kg per t·km (:data:`DEFAULT_CO2_KG_PER_TKM`, GLEC default).
    objective : {"cost", "tkm"}
        Minimise ¥ (trucking + gate fees) or t·km.
    unmet_penalty_cny_per_t : float, optional
        Penalty on unmet tonnes (default: ten times the dearest route, at least 1,000).
    max_snap_m : float
        Sources and facilities farther than this from the road network are flagged, not routed.
    route_weight : {"length", "time"}
        Routes follow the shortest (default) or the fastest road path.
    snap_method : {"edge", "node"}
        Snap sites to the nearest road edge (default; trucks join it mid-edge) or node.
    geometries : bool
        Build route LineStrings for the flows (off for speed in batch runs).

    Returns
    -------
    WasteRouting
    """
    kind = check_waste_kind(waste_kind)
    check_rates(cny_per_tkm, co2_kg_per_tkm=co2_kg_per_tkm, objective=objective)
    layers = load_layers(project_or_layers, network=network, osm_path=osm_path, speeds_kmh=speeds_kmh)
    facilities = with_extra_facilities(layers.facilities, extra_facilities)
    return route_layers(
        layers,
        facilities,
        kind,
        statuses=statuses,
        cny_per_tkm=cny_per_tkm,
        co2_kg_per_tkm=co2_kg_per_tkm,
        objective=objective,
        penalty=unmet_penalty_cny_per_t,
        max_snap_m=max_snap_m,
        route_weight=route_weight,
        geometries=geometries,
        snap_method=snap_method,
    )


def check_rates(cny_per_tkm: float, *, co2_kg_per_tkm: float, objective: str) -> None:
    """InputError unless the rates are finite and non-negative and ``objective`` is known."""
    for name, value in (("cny_per_tkm", cny_per_tkm), ("co2_kg_per_tkm", co2_kg_per_tkm)):
        if not np.isfinite(value) or value < 0:
            msg = f"{name} must be a non-negative number, got {value!r}"
            raise InputError(msg)
    if objective not in ("cost", "tkm"):
        msg = f"objective must be 'cost' or 'tkm', got {objective!r}"
        raise InputError(msg)


def with_extra_facilities(facilities: gpd.GeoDataFrame, extra: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """``facilities`` followed by ``extra`` ones (ids that clash get a ``new_`` prefix)."""
    if extra is None or len(extra) == 0:
        return facilities
    from siting.waste._inputs import check_facilities

    extra = check_facilities(extra.to_crs(facilities.crs))
    clash = extra["id"].isin(facilities["id"])
    extra.loc[clash, "id"] = "new_" + extra.loc[clash, "id"]
    return check_facilities(pd.concat([facilities, extra], ignore_index=True))


@dataclass
class Prepared:
    """Sources and facilities of one waste kind, snapped, with the cost per tonne matrix."""

    sources: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    src_snap: pd.DataFrame
    fac_snap: pd.DataFrame
    usable_src: np.ndarray
    usable_fac: np.ndarray
    role: np.ndarray
    matrix: object  # PointCostMatrix over usable sources × usable facilities
    km: np.ndarray  # (n_sources, n_facilities) incl. access, inf where not routable
    network_km: np.ndarray
    access_km: np.ndarray
    time_h: np.ndarray


def prepare(
    layers: Layers,
    facilities: gpd.GeoDataFrame,
    kind: str,
    *,
    statuses: tuple[str, ...],
    max_snap_m: float,
    route_weight: str,
    snap_method: str = "edge",
) -> Prepared:
    """Select, snap and cost the sources and facilities of ``kind`` (shared with siting)."""
    network = layers.network
    sources = layers.sources[layers.sources["waste_kind"] == kind].reset_index(drop=True)
    src_snap = snap_points(network, sources.geometry, max_snap_m=max_snap_m, what="waste_sources", method=snap_method)
    fac_snap = snap_points(network, facilities.geometry, max_snap_m=max_snap_m, what="facilities", method=snap_method)
    accepting = accepts_mask(facilities, kind)
    status_ok = facilities["status"].isin(statuses).to_numpy()
    capacity = facilities["capacity_t_per_year"].to_numpy()
    role = np.full(len(facilities), "usable", dtype=object)
    role[capacity <= 0] = "zero_capacity"
    role[~fac_snap["on_network"].to_numpy()] = "off_network"
    role[~status_ok] = "status_excluded"
    role[~accepting] = "not_accepting"
    usable_fac = role == "usable"
    usable_src = src_snap["on_network"].to_numpy() & (sources["supply_t_per_year"].to_numpy() > 0)
    n_s, n_f = len(sources), len(facilities)
    network_km = np.full((n_s, n_f), np.inf)
    time_h = np.full((n_s, n_f), np.inf)
    si, fi = np.flatnonzero(usable_src), np.flatnonzero(usable_fac)
    matrix = cached_point_cost_matrix(network, src_snap.iloc[si], fac_snap.iloc[fi], weight=route_weight)
    if len(si) and len(fi):
        network_km[np.ix_(si, fi)] = matrix.length_m / 1000.0
        time_h[np.ix_(si, fi)] = matrix.time_s / 3600.0
    access_km = (src_snap["snap_m"].to_numpy()[:, None] + fac_snap["snap_m"].to_numpy()[None, :]) / 1000.0
    km = network_km + access_km
    return Prepared(
        sources, facilities, src_snap, fac_snap, usable_src, usable_fac, role, matrix, km, network_km, access_km, time_h
    )


def route_layers(
    layers: Layers,
    facilities: gpd.GeoDataFrame,
    kind: str,
    *,
    statuses,
    cny_per_tkm,
    co2_kg_per_tkm,
    objective,
    penalty,
    max_snap_m,
    route_weight,
    geometries: bool,
    snap_method: str = "edge",
) -> WasteRouting:
    """Route ``kind`` from ``layers``' sources to ``facilities`` (checked inputs; shared with siting)."""
    prep = prepare(
        layers,
        facilities,
        kind,
        statuses=statuses,
        max_snap_m=max_snap_m,
        route_weight=route_weight,
        snap_method=snap_method,
    )
    fees = prep.facilities["gate_fee_cny_per_t"].to_numpy()
    cost = prep.km * cny_per_tkm + fees[None, :] if objective == "cost" else prep.km.copy()
    cost[~np.isfinite(prep.km)] = np.inf
    cost[:, ~prep.usable_fac] = np.inf
    cost[~prep.usable_src, :] = np.inf
    pen = default_penalty(cost) if penalty is None else float(penalty)
    supply = prep.sources["supply_t_per_year"].to_numpy()
    capacity = np.where(prep.usable_fac, prep.facilities["capacity_t_per_year"].to_numpy(), 0.0)
    solution = solve_transport(cost, supply, capacity, penalty=pen)
    return assemble(
        layers,
        prep,
        kind,
        solution.flow,
        solution.unmet,
        cny_per_tkm=cny_per_tkm,
        co2_kg_per_tkm=co2_kg_per_tkm,
        objective=objective,
        penalty=pen,
        max_snap_m=max_snap_m,
        route_weight=route_weight,
        statuses=statuses,
        solve_s=solution.solve_s,
        geometries=geometries,
        snap_method=snap_method,
    )


def assemble(
    layers: Layers,
    prep: Prepared,
    kind: str,
    flow: np.ndarray,
    unmet: np.ndarray,
    *,
    cny_per_tkm: float,
    co2_kg_per_tkm: float,
    objective: str,
    penalty: float,
    max_snap_m: float,
    route_weight: str,
    statuses,
    solve_s: float,
    geometries: bool,
    snap_method: str = "edge",
) -> WasteRouting:
    """Turn a flow matrix into the flows / unmet / facility_use frames and totals."""
    sources, facilities = prep.sources, prep.facilities
    s_idx, f_idx = np.nonzero(flow > 0)
    tonnes = flow[s_idx, f_idx]
    km = prep.km[s_idx, f_idx]
    fees = facilities["gate_fee_cny_per_t"].to_numpy()[f_idx]
    tkm = tonnes * km
    flows = pd.DataFrame(
        {
            "source_id": sources["id"].to_numpy()[s_idx],
            "source_name": sources["name"].to_numpy()[s_idx],
            "facility_id": facilities["id"].to_numpy()[f_idx],
            "facility_name": facilities["name"].to_numpy()[f_idx],
            "facility_kind": facilities["facility_kind"].to_numpy()[f_idx],
            "waste_kind": kind,
            "t_per_year": tonnes,
            "network_km": prep.network_km[s_idx, f_idx],
            "access_km": prep.access_km[s_idx, f_idx],
            "km": km,
            "time_h": prep.time_h[s_idx, f_idx],
            "tkm": tkm,
            "transport_cny": tkm * cny_per_tkm,
            "gate_fee_cny": tonnes * fees,
            "cost_cny": tkm * cny_per_tkm + tonnes * fees,
            "tco2": tkm * co2_kg_per_tkm / 1000.0,
        },
        columns=list(FLOW_COLUMNS),
    )
    geoms = np.full(len(flows), None, dtype=object)
    if geometries and len(flows):
        geoms = _flow_geometries(prep, s_idx, f_idx)
    flows = gpd.GeoDataFrame(flows, geometry=gpd.GeoSeries(geoms, crs=WGS84).to_numpy(), crs=WGS84)

    supply = sources["supply_t_per_year"].to_numpy()
    delivered = flow.sum(axis=1)
    reasons = _unmet_reasons(prep, unmet, max_snap_m=max_snap_m, kind=kind)
    unmet_frame = gpd.GeoDataFrame(
        {
            "source_id": sources["id"].to_numpy(),
            "source_name": sources["name"].to_numpy(),
            "county": sources["county"].to_numpy() if "county" in sources else None,
            "waste_kind": kind,
            "supply_t_per_year": supply,
            "delivered_t_per_year": delivered,
            "unmet_t_per_year": unmet,
            "snap_m": prep.src_snap["snap_m"].to_numpy(),
            "reason": reasons,
        },
        columns=list(UNMET_COLUMNS),
        geometry=sources.geometry.to_crs(WGS84).to_numpy(),
        crs=WGS84,
    )

    capacity = facilities["capacity_t_per_year"].to_numpy()
    used = flow.sum(axis=0)
    role = prep.role.copy()
    role[(role == "usable") & (used > 0)] = "used"
    role[role == "usable"] = "unused"
    with np.errstate(divide="ignore", invalid="ignore"):
        utilisation = np.where(capacity > 0, used / capacity, np.nan)
    facility_use = gpd.GeoDataFrame(
        {
            "facility_id": facilities["id"].to_numpy(),
            "facility_name": facilities["name"].to_numpy(),
            "facility_kind": facilities["facility_kind"].to_numpy(),
            "status": facilities["status"].to_numpy(),
            "accepts": facilities["accepts"].to_numpy(),
            "capacity_t_per_year": capacity,
            "used_t_per_year": used,
            "spare_t_per_year": np.where(np.isin(role, ["used", "unused"]), capacity - used, 0.0),
            "utilisation": utilisation,
            "snap_m": prep.fac_snap["snap_m"].to_numpy(),
            "role": role,
        },
        columns=list(FACILITY_USE_COLUMNS),
        geometry=facilities.geometry.to_crs(WGS84).to_numpy(),
        crs=WGS84,
    )

    total_delivered = float(tonnes.sum())
    totals = {
        "waste_kind": kind,
        "n_sources": len(sources),
        "n_facilities_used": int((used > 0).sum()),
        "supply_t_per_year": float(supply.sum()),
        "delivered_t_per_year": total_delivered,
        "unmet_t_per_year": float(unmet.sum()),
        **utilisation_split(flows, supply_t_per_year=float(supply.sum())),
        "mean_haul_km": float(tkm.sum() / total_delivered) if total_delivered > 0 else float("nan"),
        "tkm_per_year": float(tkm.sum()),
        "tco2_per_year": float(tkm.sum() * co2_kg_per_tkm / 1000.0),
        "transport_cny_per_year": float(tkm.sum() * cny_per_tkm),
        "gate_fee_cny_per_year": float((tonnes * fees).sum()),
        "cost_cny_per_year": float(tkm.sum() * cny_per_tkm + (tonnes * fees).sum()),
        "solve_s": solve_s,
    }
    warnings = []
    if len(sources) == 0:
        warnings.append(f"the waste_sources layer has no {kind} sources: nothing to route")
    no_geometry = prep.src_snap["snap_m"].isna().to_numpy()
    if no_geometry.any():
        warnings.append(
            f"{int(no_geometry.sum())} source(s) without a location (empty geometry): not routed, counted as unmet"
        )
    off_src = int((~prep.src_snap["on_network"].to_numpy() & ~no_geometry).sum())
    if off_src:
        warnings.append(
            f"{off_src} source(s) farther than {max_snap_m:,.0f} m from the road network: not routed, counted as unmet"
        )
    if off_src and off_src == len(sources):
        warnings.append(
            "no source lies near the road network: does the network (roads layer or OSM file) cover the project area?"
        )
    off_fac = int((prep.role == "off_network").sum())
    if off_fac:
        warnings.append(f"{off_fac} facility(ies) farther than {max_snap_m:,.0f} m from the road network: not used")
    assumptions = {
        "waste_kind": kind,
        "cny_per_tkm": cny_per_tkm,
        "co2_kg_per_tkm": co2_kg_per_tkm,
        "co2_factor_source": "GLEC Framework v2.0 (2019) default, rigid truck 26-32 t diesel "
        "≈0.095 kgCO2e/t·km, rounded",
        "objective": objective,
        "unmet_penalty_cny_per_t": penalty,
        "max_snap_m": max_snap_m,
        "route_weight": route_weight,
        "snap_method": snap_method,
        "facility_statuses": ",".join(statuses),
        "network": str(layers.network.report),
        "layers": layers.origin,
    }
    return WasteRouting(
        kind, flows, unmet_frame, facility_use, totals, assumptions, str(layers.network.report), warnings
    )


def _unmet_reasons(prep: Prepared, unmet: np.ndarray, *, max_snap_m: float, kind: str) -> np.ndarray:
    reasons = np.full(len(unmet), "", dtype=object)
    has_unmet = unmet > 0
    any_route = (
        np.isfinite(prep.km[:, prep.usable_fac]).any(axis=1)
        if prep.usable_fac.any()
        else np.zeros(len(unmet), dtype=bool)
    )
    reasons[has_unmet & any_route] = "capacity short: accepting facilities within reach are full"
    reasons[has_unmet & ~any_route] = f"no usable facility accepting {kind} on the road network"
    off = ~prep.src_snap["on_network"].to_numpy()
    snap = prep.src_snap["snap_m"].to_numpy()
    for i in np.flatnonzero(off):  # few rows: text per flagged source
        reasons[i] = (
            f"off the road network: {snap[i]:,.0f} m from the nearest road (limit {max_snap_m:,.0f} m)"
            if np.isfinite(snap[i])
            else "no location (empty geometry)"
        )
    return reasons


def _flow_geometries(prep: Prepared, s_idx: np.ndarray, f_idx: np.ndarray) -> np.ndarray:
    """Route LineStrings: source point → road route → facility point (WGS84)."""
    si = np.flatnonzero(prep.usable_src)
    fi = np.flatnonzero(prep.usable_fac)
    row = pd.Index(si).get_indexer(s_idx)
    col = pd.Index(fi).get_indexer(f_idx)
    roads = prep.matrix.route_geometries(row, col)
    src_pts = shapely.get_coordinates(prep.sources.geometry.to_crs(WGS84).to_numpy()[s_idx])
    fac_pts = shapely.get_coordinates(prep.facilities.geometry.to_crs(WGS84).to_numpy()[f_idx])
    out = np.empty(len(s_idx), dtype=object)
    for k in range(len(s_idx)):  # one per flow (a few hundred at most), not per network row
        middle = shapely.get_coordinates(roads[k]) if roads[k] is not None else np.empty((0, 2))
        out[k] = shapely.linestrings(np.vstack([src_pts[k], middle, fac_pts[k]]))
    return out
