"""LCOE of wind sites and the supply curve (sites by LCOE with cumulative MW and GWh).

``LCOE = ((capex + connection) × CRF + opex) / annual energy``, in CNY/kWh, with the capital
recovery factor ``CRF = r (1+r)^n / ((1+r)^n - 1)`` of the real WACC ``r`` over ``n`` years
(:class:`siting.wind.assumptions.WindAssumptions`, sources there).  Taxes, subsidies,
curtailment and decommissioning are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from siting.wind.assumptions import WindAssumptions

SUPPLY_CURVE_COLUMNS = (
    "supply_rank",
    "site_id",
    "county_name",
    "capacity_mw",
    "energy_mwh_per_year",
    "capacity_factor",
    "lcoe_cny_per_kwh",
    "connection_cost_cny_per_kw",
    "substation_distance_km",
    "cumulative_mw",
    "cumulative_gwh_per_year",
    "below_benchmark",
    "wind_farm_status",
)


def lcoe_cny_per_kwh(
    capacity_mw: np.ndarray,
    energy_mwh_per_year: np.ndarray,
    *,
    connection_cost_cny: np.ndarray | float = 0.0,
    assumptions: WindAssumptions | None = None,
) -> np.ndarray:
    """Levelised cost of electricity, CNY/kWh, per site (NaN without energy).

    Parameters
    ----------
    capacity_mw, energy_mwh_per_year : array
        Installed capacity (MW) and net annual energy (MWh/yr).
    connection_cost_cny : array or float
        Grid connection (line + bay), CNY; NaN counts as 0 (no grid layer).
    assumptions : WindAssumptions
        ``capex_cny_per_kw``, ``opex_cny_per_kw_year``, ``wacc``, ``lifetime_years``.
    """
    a = WindAssumptions() if assumptions is None else assumptions
    cap_kw = np.asarray(capacity_mw, dtype="float64") * 1000.0
    kwh = np.asarray(energy_mwh_per_year, dtype="float64") * 1000.0
    conn = np.nan_to_num(np.broadcast_to(np.asarray(connection_cost_cny, dtype="float64"), cap_kw.shape), nan=0.0)
    capital = cap_kw * a.capex_cny_per_kw + conn
    annual = capital * a.capital_recovery_factor + cap_kw * a.opex_cny_per_kw_year
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(kwh > 0, annual / kwh, np.nan)


def supply_curve(sites: pd.DataFrame, *, benchmark_cny_per_kwh: float) -> pd.DataFrame:
    """Sites with capacity ranked by LCOE (cheapest first) with cumulative MW and GWh/yr.

    Sites without capacity or LCOE are left out.  ``below_benchmark`` marks sites whose
    LCOE is at or below ``benchmark_cny_per_kwh``.
    """
    table = pd.DataFrame(sites.drop(columns="geometry", errors="ignore"))
    table = table[(table["capacity_mw"] > 0) & np.isfinite(table["lcoe_cny_per_kwh"])]
    table = table.sort_values(["lcoe_cny_per_kwh", "site_id"], kind="mergesort").reset_index(drop=True)
    table["supply_rank"] = np.arange(1, len(table) + 1)
    table["cumulative_mw"] = table["capacity_mw"].cumsum()
    table["cumulative_gwh_per_year"] = (table["energy_mwh_per_year"] / 1000.0).cumsum()
    table["below_benchmark"] = table["lcoe_cny_per_kwh"] <= benchmark_cny_per_kwh
    for col in SUPPLY_CURVE_COLUMNS:
        if col not in table.columns:
            table[col] = np.nan
    return table[list(SUPPLY_CURVE_COLUMNS)]


__all__ = ["SUPPLY_CURVE_COLUMNS", "lcoe_cny_per_kwh", "supply_curve"]
