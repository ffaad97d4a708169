"""Where new waste facilities would help most: capacitated facility location on road costs.

:class:`FacilityLocation` is the model (spopt style: one class, alternate constructors, a
``solve`` that returns the solved model).  It opens exactly ``k`` candidate sites, alongside
any existing facilities, to minimise

    Σ cost[s, j] · x[s, j]  +  Σ fixed_cost[j] · y[j]  +  penalty · Σ unmet[s]

as a mixed-integer programme solved by HiGHS (:func:`scipy.optimize.milp`).  Without
capacities and existing sites it is the p-median problem (checked against spopt's ``PMedian``
in the tests).

:func:`site_new_facilities` runs it on a project: candidates default to the industrial parks'
representative points; it reports the allocation before and after adding the chosen sites.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import WGS84
from geo.errors import InputError, describe_rows
from geo.network import RoadNetwork
from geo.snap import DEFAULT_MAX_SNAP_M
from layers.conform import conform
from siting.waste._inputs import NEW_SITE_STATUS, accepts_mask, check_waste_kind, load_layers
from siting.waste._lp import check_k, default_penalty, solve_location
from siting.waste.allocation import (
    DEFAULT_CNY_PER_TKM,
    DEFAULT_CO2_KG_PER_TKM,
    DEFAULT_STATUSES,
    WasteRouting,
    check_rates,
    prepare,
    route_layers,
    with_extra_facilities,
)

#: Default capacity of a new site, t/yr.  Assumption: the size of the 襄阳市政新材料
#: construction-waste plant, 1.5 Mt/yr (FACTS.md "Waste"), scaled to a third for a typical
#: new county plant (0.5 Mt/yr); phosphogypsum plants of this size are common.
DEFAULT_NEW_CAPACITY_T_PER_YEAR = 500_000.0

#: Facility kind given to new sites, by waste kind.
NEW_FACILITY_KIND = {"phosphogypsum": "phosphogypsum_plant", "construction": "construction_recycling_plant"}


class FacilityLocation:
    """Capacitated facility location (p-median when uncapacitated), solved with HiGHS.

    Use :meth:`from_cost_matrix`; then :meth:`solve`.  After solving: ``selected`` (indices of
    the opened candidates), ``flow`` (t per source × site), ``unmet``, ``objective``.
    """

    def __init__(
        self,
        cost: np.ndarray,
        supply: np.ndarray,
        capacity: np.ndarray,
        fixed_cost: np.ndarray,
        is_candidate: np.ndarray,
        k: int,
        *,
        unmet_penalty: float | None,
        name: str = "facility-location",
    ):
        self.cost = cost
        self.supply = supply
        self.capacity = capacity
        self.fixed_cost = fixed_cost
        self.is_candidate = is_candidate
        self.k = k
        self.unmet_penalty = unmet_penalty
        self.name = name
        self.selected: np.ndarray | None = None
        self.flow: np.ndarray | None = None
        self.unmet: np.ndarray | None = None
        self.objective: float | None = None
        self.solve_s: float | None = None
        self.status: str | None = None

    @classmethod
    def from_cost_matrix(
        cls,
        cost_matrix: np.ndarray,
        weights: np.ndarray,
        p_facilities: int,
        *,
        capacities: np.ndarray | None = None,
        fixed_costs: np.ndarray | None = None,
        existing_cost_matrix: np.ndarray | None = None,
        existing_capacities: np.ndarray | None = None,
        unmet_penalty: float | None = None,
        name: str = "facility-location",
    ) -> FacilityLocation:
        """Build the model from a cost matrix (same argument names as spopt's ``PMedian``).

        Parameters
        ----------
        cost_matrix : array (n_demand, n_candidates)
            Cost per unit of demand served from each candidate (``inf``: not reachable).
        weights : array (n_demand,)
            Demand (t/yr).
        p_facilities : int
            How many candidates to open, exactly.
        capacities : array (n_candidates,), optional
            Candidate capacities (default unlimited).
        fixed_costs : array (n_candidates,), optional
            Cost of opening each candidate (same money unit as the objective; default 0).
        existing_cost_matrix, existing_capacities : arrays, optional
            Facilities that are already open (columns appended after the candidates).
        unmet_penalty : float, optional
            Cost per unit of unserved demand; ``None`` (default) requires all demand served.

        Raises
        ------
        InputError
            Before solving, if the model is infeasible: bad k, negative inputs, or demand that
            cannot reach any site when unmet demand is not allowed.
        """
        cost = np.asarray(cost_matrix, dtype="float64")
        weights = np.asarray(weights, dtype="float64").ravel()
        if cost.ndim != 2 or cost.shape[0] != len(weights):
            msg = (
                f"cost_matrix must be (n_demand, n_candidates) with n_demand = len(weights) = "
                f"{len(weights)}, got shape {cost.shape}"
            )
            raise InputError(msg)
        n_c = cost.shape[1]
        check_k(p_facilities, n_c)
        if np.any(~np.isfinite(weights)) or np.any(weights < 0):
            msg = "weights (demand) must be finite and >= 0"
            raise InputError(msg)
        if np.any(cost < 0) or np.any(np.isnan(cost)):
            msg = "cost_matrix must hold non-negative costs (inf where not reachable)"
            raise InputError(msg)
        cap = np.full(n_c, np.inf) if capacities is None else np.asarray(capacities, "float64")
        if len(cap) != n_c or np.any(np.isnan(cap)) or np.any(cap <= 0):
            bad = np.flatnonzero(~(cap > 0)) if len(cap) == n_c else []
            msg = f"candidate capacities must be > 0 for all {n_c} candidates; fix {describe_rows(bad)}"
            raise InputError(msg)
        fixed = np.zeros(n_c) if fixed_costs is None else np.asarray(fixed_costs, "float64")
        if len(fixed) != n_c or np.any(~np.isfinite(fixed)) or np.any(fixed < 0):
            msg = f"fixed_costs must be {n_c} finite values >= 0"
            raise InputError(msg)
        is_cand = np.ones(n_c, dtype=bool)
        if existing_cost_matrix is not None:
            ex = np.asarray(existing_cost_matrix, dtype="float64")
            ex_cap = (
                np.full(ex.shape[1], np.inf)
                if existing_capacities is None
                else np.asarray(existing_capacities, "float64")
            )
            if ex.shape[0] != len(weights) or len(ex_cap) != ex.shape[1]:
                msg = "existing_cost_matrix / existing_capacities do not match the demand"
                raise InputError(msg)
            cost = np.hstack([cost, ex])
            cap = np.r_[cap, ex_cap]
            fixed = np.r_[fixed, np.zeros(ex.shape[1])]
            is_cand = np.r_[is_cand, np.zeros(ex.shape[1], dtype=bool)]
        reachable = np.isfinite(cost).any(axis=1)
        stranded = np.flatnonzero(~reachable & (weights > 0))
        if unmet_penalty is None and len(stranded):
            msg = (
                f"infeasible: demand {describe_rows(stranded)} cannot reach any candidate or "
                "existing site; remove it or allow unmet demand (unmet_penalty=...)"
            )
            raise InputError(msg)
        if unmet_penalty is None and np.isfinite(cap).all():
            best = np.sort(cap[is_cand])[::-1][:p_facilities].sum() + cap[~is_cand].sum()
            if best < weights.sum():
                msg = (
                    f"infeasible: even the {p_facilities} largest candidates plus existing "
                    f"sites hold {best:,.0f}, less than the demand {weights.sum():,.0f}; "
                    "raise capacities or k, or allow unmet demand (unmet_penalty=...)"
                )
                raise InputError(msg)
        return cls(cost, weights, cap, fixed, is_cand, int(p_facilities), unmet_penalty=unmet_penalty, name=name)

    def solve(self, *, time_limit_s: float = 120.0, mip_rel_gap: float = 1e-6) -> FacilityLocation:
        """Solve with HiGHS; sets ``selected``, ``flow``, ``unmet``, ``objective``; returns self."""
        solution = solve_location(
            self.cost,
            self.supply,
            self.capacity,
            self.fixed_cost,
            self.is_candidate,
            self.k,
            penalty=self.unmet_penalty,
            time_limit_s=time_limit_s,
            mip_rel_gap=mip_rel_gap,
        )
        self.selected = np.flatnonzero(solution.open_candidates)
        self.flow = solution.flow
        self.unmet = solution.unmet
        self.objective = solution.objective
        self.solve_s = solution.solve_s
        self.status = solution.status
        return self


@dataclass
class SitingResult:
    """Result of :func:`site_new_facilities`.

    Attributes
    ----------
    before, after : WasteRouting
        The allocation with existing facilities only, and with the chosen sites added.
    candidates : geopandas.GeoDataFrame
        Every candidate: ``selected``, ``snap_m``, ``capacity_t_per_year``, ``used_t_per_year``.
    chosen : geopandas.GeoDataFrame
        The chosen sites, as facility rows (can be appended to the facilities layer).
    gain : dict
        after − before for unmet, t·km, tCO2, ¥ (negative = better) and the MIP solve time.
    """

    waste_kind: str
    k: int
    before: WasteRouting
    after: WasteRouting
    candidates: gpd.GeoDataFrame
    chosen: gpd.GeoDataFrame
    gain: dict

    def summary(self) -> str:
        """Before/after lines for the terminal."""
        b, a = self.before.totals, self.after.totals
        rows = [
            ("supply t/yr", "supply_t_per_year", 0),
            ("delivered t/yr", "delivered_t_per_year", 0),
            ("unmet t/yr", "unmet_t_per_year", 0),
            ("mean haul km", "mean_haul_km", 1),
            ("t·km/yr", "tkm_per_year", 0),
            ("tCO2/yr", "tco2_per_year", 1),
            ("cost ¥/yr", "cost_cny_per_year", 0),
        ]
        lines = [
            f"waste kind: {self.waste_kind}; new sites: {self.k}",
            f"{'':16}{'before':>18}{'after':>18}{'change':>18}",
        ]
        for label, key, nd in rows:
            lines.append(f"{label:16}{b[key]:>18,.{nd}f}{a[key]:>18,.{nd}f}{a[key] - b[key]:>+18,.{nd}f}")
        lines.append(
            "chosen: "
            + ", ".join(
                f"{n} ({c:,.0f} t/yr used)"
                for n, c in zip(self.chosen["name"], self.chosen["used_t_per_year"], strict=True)
            )
        )
        return "\n".join(lines)


def candidates_from_parks(parks: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Candidate points: one per industrial park, its representative point (inside it)."""
    if parks is None or len(parks) == 0:
        msg = "no candidate sites: the project has no 'industrial_parks' layer; import one or pass candidates= (points)"
        raise InputError(msg)
    points = parks.to_crs(WGS84).geometry.representative_point()
    ids = parks["id"].astype(str) if "id" in parks else pd.Series(range(len(parks))).astype(str)
    names = parks["name"] if "name" in parks else ids
    return gpd.GeoDataFrame(
        {
            "id": "cand_" + ids.to_numpy(),
            "name": names.to_numpy(),
            "county": parks["county"].to_numpy() if "county" in parks else None,
            "source": "industrial_parks",
        },
        geometry=points.to_numpy(),
        crs=WGS84,
    )


def site_new_facilities(
    project_or_layers,
    *,
    waste_kind: str,
    k: int = 2,
    candidates: gpd.GeoDataFrame | None = None,
    capacity_t_per_year: float = DEFAULT_NEW_CAPACITY_T_PER_YEAR,
    fixed_cost_cny_per_year: float = 0.0,
    gate_fee_cny_per_t: float | None = None,
    network: RoadNetwork | None = None,
    osm_path: str | os.PathLike | None = None,
    speeds_kmh: dict[str, float] | None = None,
    statuses: tuple[str, ...] = DEFAULT_STATUSES,
    cny_per_tkm: float = DEFAULT_CNY_PER_TKM,
    co2_kg_per_tkm: float = DEFAULT_CO2_KG_PER_TKM,
    objective: str = "cost",
    unmet_penalty_cny_per_t: float | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    time_limit_s: float = 120.0,
    snap_method: str = "edge",
    geometries: bool = True,
) -> SitingResult:
    """Choose ``k`` new facilities for one waste kind and report before/after totals.

    Parameters
    ----------
    project_or_layers : Project, path or dict
        As for :func:`siting.waste.route_waste` (add ``"industrial_parks"`` to a dict for the
        default candidates).
    waste_kind : {"phosphogypsum", "construction"}
    k : int
        Number of new facilities to open (exactly).
    candidates : GeoDataFrame, optional
        Candidate points; optional columns ``capacity_t_per_year``, ``fixed_cost_cny_per_year``,
        ``gate_fee_cny_per_t``, ``name``.  Default: industrial parks' representative points.
    capacity_t_per_year : float
        Capacity of candidates without their own (default 0.5 Mt/yr, an assumption).
    fixed_cost_cny_per_year : float
        Annualised cost of opening a site, ¥/yr, for candidates without their own.
    gate_fee_cny_per_t : float, optional
        Gate fee at new sites (default: the median of accepting facilities, else 0).
    Other parameters as :func:`siting.waste.route_waste`.
    """
    kind = check_waste_kind(waste_kind)
    check_rates(cny_per_tkm, co2_kg_per_tkm=co2_kg_per_tkm, objective=objective)
    layers = load_layers(
        project_or_layers, network=network, osm_path=osm_path, speeds_kmh=speeds_kmh, need_parks=candidates is None
    )
    cands = candidates_from_parks(layers.industrial_parks) if candidates is None else candidates
    cands = _candidate_facilities(
        cands, kind, capacity_t_per_year, fixed_cost_cny_per_year, gate_fee_cny_per_t, layers.facilities
    )
    check_k(k, len(cands))
    combined = with_extra_facilities(layers.facilities, cands.drop(columns="fixed_cost_cny_per_year"))
    n_exist = len(layers.facilities)
    is_cand = np.r_[np.zeros(n_exist, bool), np.ones(len(cands), bool)]
    statuses_all = (*statuses, NEW_SITE_STATUS)
    prep = prepare(
        layers,
        combined,
        kind,
        statuses=statuses_all,
        max_snap_m=max_snap_m,
        route_weight="length",
        snap_method=snap_method,
    )
    usable_cand = prep.usable_fac[is_cand]
    check_k(k, int(usable_cand.sum()), what="candidate sites on the road network")
    fees = prep.facilities["gate_fee_cny_per_t"].to_numpy()
    cost = prep.km * cny_per_tkm + fees[None, :] if objective == "cost" else prep.km.copy()
    cost[~np.isfinite(prep.km)] = np.inf
    cost[:, ~prep.usable_fac] = np.inf
    cost[~prep.usable_src, :] = np.inf
    pen = default_penalty(cost) if unmet_penalty_cny_per_t is None else unmet_penalty_cny_per_t
    # before and after share one unmet penalty (and every other option), so their objectives compare
    shared = {
        "cny_per_tkm": cny_per_tkm,
        "co2_kg_per_tkm": co2_kg_per_tkm,
        "objective": objective,
        "penalty": pen,
        "max_snap_m": max_snap_m,
        "route_weight": "length",
        "geometries": geometries,
        "snap_method": snap_method,
    }
    before = route_layers(layers, layers.facilities, kind, statuses=statuses, **shared)
    keep = prep.usable_fac  # drop unusable columns from the MIP
    cand_cols = is_cand & keep
    ex_cols = ~is_cand & keep
    supply = prep.sources["supply_t_per_year"].to_numpy()
    capacity = prep.facilities["capacity_t_per_year"].to_numpy()
    fixed = cands["fixed_cost_cny_per_year"].to_numpy()[usable_cand]
    model = FacilityLocation.from_cost_matrix(
        cost[:, cand_cols],
        supply,
        k,
        capacities=capacity[cand_cols],
        fixed_costs=fixed,
        existing_cost_matrix=cost[:, ex_cols],
        existing_capacities=capacity[ex_cols],
        unmet_penalty=pen,
        name=f"{kind} siting",
    ).solve(time_limit_s=time_limit_s)
    chosen_pos = np.flatnonzero(usable_cand)[model.selected]
    chosen = cands.iloc[chosen_pos].drop(columns="fixed_cost_cny_per_year").reset_index(drop=True)
    with_new = with_extra_facilities(layers.facilities, chosen)
    after = route_layers(layers, with_new, kind, statuses=statuses_all, **shared)
    used_by_id = after.facility_use.set_index("facility_id")["used_t_per_year"]
    new_ids = with_new["id"].to_numpy()[n_exist:]
    chosen = chosen.assign(id=new_ids, used_t_per_year=used_by_id.reindex(new_ids).to_numpy())
    cand_table = cands.assign(
        id=combined["id"].to_numpy()[n_exist:],
        selected=np.isin(np.arange(len(cands)), chosen_pos),
        on_network=usable_cand,
        snap_m=prep.fac_snap["snap_m"].to_numpy()[n_exist:],
        used_t_per_year=0.0,
    )
    cand_table.loc[cand_table["selected"], "used_t_per_year"] = chosen["used_t_per_year"].to_numpy()
    b, a = before.totals, after.totals
    gain = {
        f"change_{key}": a[key] - b[key]
        for key in (
            "delivered_t_per_year",
            "unmet_t_per_year",
            "tkm_per_year",
            "tco2_per_year",
            "cost_cny_per_year",
            "mean_haul_km",
        )
    }
    gain.update(
        {
            "k": k,
            "mip_objective": model.objective,
            "mip_solve_s": model.solve_s,
            "fixed_cost_cny_per_year": float(fixed[model.selected].sum()),
            "chosen": ", ".join(chosen["name"].astype(str)),
        }
    )
    return SitingResult(kind, k, before, after, cand_table, chosen, gain)


def _candidate_facilities(
    cands: gpd.GeoDataFrame,
    kind: str,
    capacity: float,
    fixed: float,
    gate_fee: float | None,
    facilities: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Candidate sites checked by :func:`layers.conform` (kind ``candidate_sites``) as facility rows.

    Columns they lack take this run's values: ``capacity_t_per_year`` (> 0),
    ``fixed_cost_cny_per_year`` and ``gate_fee_cny_per_t`` (default: the median fee of the
    facilities accepting ``kind``).  Polygons become their representative points.
    """
    for name, value, ok, bound in (
        ("capacity_t_per_year", capacity, capacity > 0, "> 0"),
        ("fixed_cost_cny_per_year", fixed, fixed >= 0, ">= 0"),
    ):
        if not (ok and np.isfinite(value)):
            msg = f"{name} for new sites must be a finite number {bound}, got {value!r}"
            raise InputError(msg)
    if gate_fee is None:
        accepting = accepts_mask(facilities, kind)
        fees = facilities.loc[accepting, "gate_fee_cny_per_t"]
        gate_fee = float(fees.median()) if len(fees) else 0.0
    out, _ = conform(
        cands,
        "candidate_sites",
        context="candidates",
        defaults={"capacity_t_per_year": capacity, "fixed_cost_cny_per_year": fixed, "gate_fee_cny_per_t": gate_fee},
    )
    if len(out) == 0:
        msg = "no candidate sites given; pass at least k points or use the industrial parks"
        raise InputError(msg)
    zero = out["capacity_t_per_year"].to_numpy() <= 0
    if zero.any():
        msg = (
            f"candidates: column 'capacity_t_per_year' of layer 'candidate_sites' must be > 0; found "
            f"{out.loc[zero, 'capacity_t_per_year'].head(3).tolist()} in {describe_rows(out.loc[zero, 'id'])}"
        )
        raise InputError(msg)
    out = out.to_crs(WGS84).reset_index(drop=True)
    out["name"] = out["name"].where(out["name"].notna(), out["id"])
    not_point = (out.geometry.geom_type != "Point").to_numpy()
    if not_point.any():
        out.loc[not_point, "geometry"] = out.geometry[not_point].representative_point()
    out["facility_kind"] = NEW_FACILITY_KIND[kind]
    out["accepts"] = kind
    out["status"] = NEW_SITE_STATUS  # taken only by the siting runs
    return out
