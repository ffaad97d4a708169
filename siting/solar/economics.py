"""Rooftop PV economics: LCOE per rooftop and the supply curve (rooftops by LCOE).

Levelised cost of electricity, CNY/kWh (real, pre-tax; subsidies, VAT and grid fees left out)::

    LCOE = (capex × CRF + opex) / (E₁ × L)

    CRF = r (1 + r)^n / ((1 + r)^n − 1)            capital recovery factor (1/n when r = 0)
    L   = CRF × Σ_{t=1..n} (1 − d)^(t−1) / (1 + r)^t   levelised output share (1 when d = 0)

with capex = kWp × 1000 × ``capex_cny_per_w`` (CNY), opex = kWp × 1000 ×
``opex_cny_per_w_year`` (CNY/yr, constant in real terms), E₁ the first-year AC output
(``kwh_per_year``, kWh/yr), r the real discount rate (WACC, ``discount_rate``), n the
lifetime (``lifetime_years``) and d the yearly output degradation
(``degradation_per_year``).  This is the usual definition — discounted lifetime cost over
discounted lifetime energy, Σ (I₀ + Σ O_t/(1+r)^t) / Σ E_t/(1+r)^t — written with the annuity
factor so it stays vectorised.  Because capex and opex scale with kWp, a rooftop's LCOE depends
only on its specific yield (kWh/kWp).

The supply curve (:func:`supply_curve`) ranks suitable rooftops by LCOE, cheapest first, with
cumulative MWp and GWh/yr; :func:`supply_summary` states how much lies at or below the
benchmark (default: the Hubei coal-fired benchmark tariff, 0.4161 CNY/kWh).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.errors import InputError
from siting.solar.assumptions import PVAssumptions

#: The LCOE formula in one line, for assumption sheets.
LCOE_FORMULA = (
    "LCOE = (capex x CRF + opex) / (first-year kWh x L); CRF = r(1+r)^n/((1+r)^n-1); "
    "L = CRF x sum_t=1..n (1-d)^(t-1)/(1+r)^t; r = discount_rate, n = lifetime_years, d = degradation_per_year"
)

SUPPLY_CURVE_COLUMNS = (
    "supply_rank",
    "id",
    "name",
    "county",
    "use_class",
    "kwp",
    "kwh_per_year",
    "kwh_per_kwp",
    "lcoe_cny_per_kwh",
    "cumulative_mwp",
    "cumulative_gwh_per_year",
    "below_benchmark",
)


def capital_recovery_factor(rate, years) -> np.ndarray | float:
    """Capital recovery (annuity) factor, 1/yr: ``r (1+r)^n / ((1+r)^n − 1)``; ``1/n`` at r = 0.

    Parameters
    ----------
    rate : float or array
        Real discount rate (WACC), fraction per year (0.05 = 5 %).
    years : float or array
        Economic life, years.
    """
    r = np.asarray(rate, dtype=float)
    n = np.asarray(years, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = (1.0 + r) ** n
        crf = np.where(r == 0, 1.0 / n, r * growth / (growth - 1.0))
    return float(crf) if crf.ndim == 0 else crf


def levelised_output_share(rate: float, years: int, degradation: float) -> float:
    """L = CRF × Σ_{t=1..n} (1−d)^(t−1) / (1+r)^t: levelised output as a share of year one's."""
    t = np.arange(1, int(years) + 1, dtype=float)
    discounted = ((1.0 - degradation) ** (t - 1.0) / (1.0 + rate) ** t).sum()
    return float(capital_recovery_factor(rate, years) * discounted)


def lcoe_cny_per_kwh(kwp, kwh_per_year, *, assumptions: PVAssumptions | None = None) -> np.ndarray:
    """Levelised cost of electricity per rooftop, CNY/kWh (NaN where there is no output).

    Parameters
    ----------
    kwp : array
        Installed DC capacity, kWp.
    kwh_per_year : array
        First-year AC output, kWh/yr (after shading).
    assumptions : PVAssumptions, optional
        ``capex_cny_per_w``, ``opex_cny_per_w_year``, ``discount_rate``, ``lifetime_years``,
        ``degradation_per_year`` (formula in the module docstring).
    """
    a = assumptions or PVAssumptions()
    kw = np.asarray(kwp, dtype=float)
    kwh = np.asarray(kwh_per_year, dtype=float)
    crf = capital_recovery_factor(a.discount_rate, a.lifetime_years)
    share = levelised_output_share(a.discount_rate, a.lifetime_years, a.degradation_per_year)
    annual_cost = kw * 1000.0 * (a.capex_cny_per_w * crf + a.opex_cny_per_w_year)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(kwh > 0, annual_cost / (kwh * share), np.nan)


def supply_curve(result: pd.DataFrame, *, benchmark_cny_per_kwh: float | None = None) -> pd.DataFrame:
    """Suitable rooftops ranked by LCOE (cheapest first) with cumulative MWp and GWh/yr.

    Parameters
    ----------
    result : DataFrame
        From :func:`siting.solar.rooftop_potential` (``suitable``, ``kwp``, ``kwh_per_year``,
        ``lcoe_cny_per_kwh``).
    benchmark_cny_per_kwh : float, optional
        ``below_benchmark`` marks LCOE ≤ this; default the result's own assumption
        (``attrs["solar"]["benchmark_cny_per_kwh"]``), else ``PVAssumptions().benchmark_cny_per_kwh``.

    Returns
    -------
    DataFrame
        :data:`SUPPLY_CURVE_COLUMNS`; ties in LCOE keep the rooftop id order.  The last
        ``cumulative_mwp`` equals the suitable rooftops' total kWp / 1000.
    """
    missing = [c for c in ("suitable", "kwp", "kwh_per_year", "lcoe_cny_per_kwh") if c not in result.columns]
    if missing:
        msg = f"rooftop PV result lacks {', '.join(missing)}; pass what siting.solar.rooftop_potential returns"
        raise InputError(msg)
    if benchmark_cny_per_kwh is None:
        benchmark_cny_per_kwh = float(
            result.attrs.get("solar", {}).get("benchmark_cny_per_kwh", PVAssumptions().benchmark_cny_per_kwh)
        )
    ok = result["suitable"].fillna(False).to_numpy(dtype=bool) & np.isfinite(
        result["lcoe_cny_per_kwh"].to_numpy(dtype=float)
    )
    cols = [c for c in SUPPLY_CURVE_COLUMNS if c in result.columns]
    table = pd.DataFrame(result.loc[ok, cols]).reset_index(drop=True)
    ids = table["id"].astype(str).to_numpy() if "id" in table else np.arange(len(table)).astype(str)
    order = np.lexsort((ids, table["lcoe_cny_per_kwh"].to_numpy(dtype=float)))
    table = table.iloc[order].reset_index(drop=True)
    table["supply_rank"] = np.arange(1, len(table) + 1, dtype=np.int64)
    table["cumulative_mwp"] = table["kwp"].cumsum() / 1000.0
    table["cumulative_gwh_per_year"] = table["kwh_per_year"].cumsum() / 1e6
    table["below_benchmark"] = table["lcoe_cny_per_kwh"] <= benchmark_cny_per_kwh
    for col in SUPPLY_CURVE_COLUMNS:
        if col not in table.columns:
            table[col] = pd.NA
    out = table[list(SUPPLY_CURVE_COLUMNS)]
    out.attrs = {"benchmark_cny_per_kwh": float(benchmark_cny_per_kwh)}
    return out


def supply_summary(curve: pd.DataFrame) -> dict:
    """Totals of a supply curve: technical and at-or-below-benchmark MWp and GWh/yr, LCOE range.

    Keys: ``rooftops``, ``mwp``, ``gwh_per_year``, ``benchmark_cny_per_kwh``,
    ``rooftops_below_benchmark``, ``mwp_below_benchmark``, ``gwh_per_year_below_benchmark``,
    ``share_mwp_below_benchmark`` (0–1), ``lcoe_min_cny_per_kwh``, ``lcoe_median_cny_per_kwh``
    (capacity-weighted), ``lcoe_max_cny_per_kwh``.
    """
    below = curve["below_benchmark"].to_numpy(dtype=bool)
    kwp = curve["kwp"].to_numpy(dtype=float)
    kwh = curve["kwh_per_year"].to_numpy(dtype=float)
    lcoe = curve["lcoe_cny_per_kwh"].to_numpy(dtype=float)
    mwp = float(kwp.sum() / 1000.0)
    median = float("nan")
    if len(curve):
        median = float(lcoe[min(int(np.searchsorted(np.cumsum(kwp), kwp.sum() / 2.0)), len(lcoe) - 1)])
    return {
        "rooftops": len(curve),
        "mwp": mwp,
        "gwh_per_year": float(kwh.sum() / 1e6),
        "benchmark_cny_per_kwh": float(curve.attrs.get("benchmark_cny_per_kwh", PVAssumptions().benchmark_cny_per_kwh)),
        "rooftops_below_benchmark": int(below.sum()),
        "mwp_below_benchmark": float(kwp[below].sum() / 1000.0),
        "gwh_per_year_below_benchmark": float(kwh[below].sum() / 1e6),
        "share_mwp_below_benchmark": float(kwp[below].sum() / kwp.sum()) if kwp.sum() > 0 else float("nan"),
        "lcoe_min_cny_per_kwh": float(lcoe.min()) if len(lcoe) else float("nan"),
        "lcoe_median_cny_per_kwh": median,
        "lcoe_max_cny_per_kwh": float(lcoe.max()) if len(lcoe) else float("nan"),
    }


__all__ = [
    "LCOE_FORMULA",
    "SUPPLY_CURVE_COLUMNS",
    "capital_recovery_factor",
    "lcoe_cny_per_kwh",
    "levelised_output_share",
    "supply_curve",
    "supply_summary",
]
