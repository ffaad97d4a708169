"""Links from the plan's targets to the analyses: rooftop PV per county, phosphogypsum routing.

* :func:`rooftop_pv_by_county` — per county, the rooftop-PV technical potential (from
  :mod:`siting.solar`) beside whether the plan names a whole-county rooftop PV pilot there
  (襄城 and 谷城; plan 三(三)11, FACTS.md "Renewable bases").
* :func:`phosphogypsum_routing_link` — the phosphogypsum delivered to utilisation by the
  routing result (:mod:`siting.waste`), as a share of the phosphogypsum produced, beside the
  plan's 65 % utilisation target for 2025 (plan 三(四)14).

Both take an already computed analysis result (the dashboard passes what its other tabs
computed) or compute it.  When the project lacks a layer the analysis needs, they return a
:class:`Link` with ``available=False`` and a message saying why — never numbers made up in
its place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from layers.schema import COUNTIES
from siting.progress.indicators import get_indicator

#: The result columns read here, as their analyses declare them
#: (:data:`siting.solar.RESULT_COLUMNS`, :data:`siting.waste.FLOW_COLUMNS`).
SOLAR_COLUMNS = ("kwp", "kwh_per_year", "suitable")
FLOW_TONNES_COLUMN = "t_per_year"


@dataclass
class Link:
    """An analysis result placed beside a target.

    ``available`` is False when the analysis could not be run; ``message`` then says why
    and how to get it (bilingual labels are the dashboard's job).
    """

    available: bool
    message: str = ""
    frame: pd.DataFrame | None = None
    values: dict = field(default_factory=dict)


def _pilot_counties(bases: pd.DataFrame | None) -> set[str]:
    if bases is None or bases.empty or "county" not in bases:
        return set()
    name = bases["name"].fillna("").astype(str)
    kind = bases.get("base_kind", pd.Series("", index=bases.index)).fillna("").astype(str)
    mask = (kind.str.contains("rooftop") | name.str.contains("屋顶")) & name.str.contains("整")
    return set(bases.loc[mask, "county"].dropna().astype(str))


def _try_solar(project):
    """Rooftop results from :func:`siting.solar.rooftop_potential`, or (None, reason)."""
    from siting.solar import rooftop_potential  # on use: keeps `import siting.progress` light

    if not project.has("rooftops"):
        return None, ("the project has no rooftops layer; import one with `xysiting import DIR --layer rooftops FILE`")
    return rooftop_potential(project.read("rooftops")), ""


def rooftop_pv_by_county(
    project, *, solar_result: pd.DataFrame | None = None, bases: pd.DataFrame | None = None
) -> Link:
    """Rooftop-PV potential per county beside the plan's whole-county pilots.

    Parameters
    ----------
    project : layers.project.Project
    solar_result : DataFrame, optional
        The rooftop PV result (one row per rooftop) with ``county`` and the
        :data:`SOLAR_COLUMNS` of :data:`siting.solar.RESULT_COLUMNS`.  Computed with
        :func:`siting.solar.rooftop_potential` on the rooftops layer if omitted (slow on a
        large layer: the dashboard passes its cached result).
    bases : DataFrame, optional
        The bases layer (read from the project if omitted).

    Returns
    -------
    Link
        ``frame``: ``county, county_name, county_name_en, rooftop_pv_pilot, n_rooftops,
        potential_kwp, potential_kwh_per_year`` — or ``available=False`` with the reason.
    """
    if bases is None and project.has("bases"):
        bases = project.read("bases")
    pilots = _pilot_counties(bases)
    if solar_result is None:
        solar_result, reason = _try_solar(project)
        if solar_result is None:
            return Link(False, f"rooftop PV potential not available: {reason}")
    if "county" not in solar_result.columns:
        return Link(
            False, "rooftop PV result has no county column; run the rooftop analysis on a rooftops layer with counties"
        )
    missing = [c for c in SOLAR_COLUMNS if c not in solar_result.columns]
    if missing:
        return Link(
            False,
            f"rooftop PV result lacks {', '.join(missing)} (siting.solar.RESULT_COLUMNS); "
            "pass what siting.solar.rooftop_potential returns",
        )
    # too small, north-facing or shaded roofs don't count
    solar_result = solar_result[solar_result["suitable"].fillna(False).astype(bool)]
    table = pd.DataFrame(
        {
            "county": solar_result["county"].fillna("").astype(str),
            "n_rooftops": 1,
            "potential_kwp": solar_result["kwp"],
            "potential_kwh_per_year": solar_result["kwh_per_year"],
        }
    )
    agg = table.groupby("county").agg(
        n_rooftops=("n_rooftops", "sum"),
        potential_kwp=("potential_kwp", lambda s: s.sum(min_count=1)),
        potential_kwh_per_year=("potential_kwh_per_year", lambda s: s.sum(min_count=1)),
    )
    out = pd.DataFrame(
        {
            "county": list(COUNTIES),
            "county_name": [v[0] for v in COUNTIES.values()],
            "county_name_en": [v[1] for v in COUNTIES.values()],
        }
    )
    out["rooftop_pv_pilot"] = out["county"].isin(pilots)
    out = out.join(agg, on="county")
    out["n_rooftops"] = out["n_rooftops"].fillna(0).astype("int64")
    return Link(True, "", out)


def _try_waste(project):
    """Phosphogypsum flows from :func:`siting.waste.route_waste`, or (None, reason)."""
    from siting.waste import route_waste  # on use: keeps `import siting.progress` light

    if not project.has("roads") or not project.has("facilities"):
        return None, "the project needs roads and facilities layers for routing"
    return route_waste(project, waste_kind="phosphogypsum", geometries=False).flows, ""


def phosphogypsum_routing_link(project, *, flows: pd.DataFrame | None = None) -> Link:
    """Phosphogypsum delivered to utilisation by the routing result, beside the 65 % target.

    utilisation % = 100 × ``utilisation_share`` of :func:`siting.waste.utilisation_split`:
    delivered to utilisation facilities (t/yr) ÷ produced (t/yr, the ``supply_t_per_year`` of
    the phosphogypsum sources).  It is the function that makes the routing totals
    (``WasteRouting.totals``), so the Waste and Progress views report the same figure; flows
    to storage yards are delivered but not utilised (``stored_t_per_year``).

    Parameters
    ----------
    flows : DataFrame, optional
        Routing flows (:data:`siting.waste.FLOW_COLUMNS`): ``facility_id`` (or
        ``facility_kind``), the tonnage ``t_per_year`` and, if mixed, ``waste_kind``.
        Computed with :func:`siting.waste.route_waste` (``waste_kind="phosphogypsum"``) if
        omitted.

    Returns
    -------
    Link
        ``values``: ``produced_t_per_year, utilised_t_per_year, stored_t_per_year,
        delivered_t_per_year`` (= utilised, the name the views print), ``utilisation_share``,
        ``utilisation_pct, target_pct (65.0), target_year (2025), gap_pct``.
    """
    if not project.has("waste_sources"):
        return Link(False, "the project has no waste_sources layer; phosphogypsum production is unknown")
    sources = project.read("waste_sources")
    produced = float(sources.loc[sources["waste_kind"] == "phosphogypsum", "supply_t_per_year"].sum())
    if produced <= 0:
        return Link(False, "no phosphogypsum sources in the waste_sources layer")
    if flows is None:
        flows, reason = _try_waste(project)
        if flows is None:
            return Link(False, f"phosphogypsum routing not available: {reason}")
    flows = pd.DataFrame(flows)
    tcol = FLOW_TONNES_COLUMN
    if tcol not in flows.columns:
        return Link(False, f"routing flows have no tonnage column {tcol!r} (siting.waste.FLOW_COLUMNS)")
    if "waste_kind" in flows:
        flows = flows[flows["waste_kind"] == "phosphogypsum"]
    if "facility_kind" not in flows:
        if "facility_id" not in flows or not project.has("facilities"):
            return Link(False, "routing flows name neither facility_kind nor facility_id")
        facilities = project.read("facilities", columns=["id", "facility_kind"])
        flows = flows.merge(
            pd.DataFrame(facilities[["id", "facility_kind"]]), left_on="facility_id", right_on="id", how="left"
        )
    from siting.waste.allocation import utilisation_split

    split = utilisation_split(flows, supply_t_per_year=produced)
    used = split["utilised_t_per_year"]
    pct = 100.0 * split["utilisation_share"]
    target, year = get_indicator("ind-phosphogypsum-utilisation").target_for(2025)
    values = {
        "produced_t_per_year": produced,
        **split,
        "delivered_t_per_year": used,
        "utilisation_pct": pct,
        "target_pct": target,
        "target_year": year,
        "gap_pct": max(target - pct, 0.0),
    }
    return Link(True, "", pd.DataFrame([values]), values)
