"""Annual energy from a Weibull wind-speed distribution and a power curve, with losses.

For a cell with mean hub-height speed ``v̄`` and Weibull shape ``k``, the Weibull scale is
``A = v̄ / Γ(1 + 1/k)`` and the mean power is ``E[P] = ∫ P(v) f(v; A, k) dv``.  Because the
power curve is piecewise linear, each segment integrates in closed form:

* ``∫_a^b f dv = exp(-(a/A)^k) - exp(-(b/A)^k)``
* ``∫_a^b v f dv = A Γ(1+1/k) [γ(1+1/k, (b/A)^k) - γ(1+1/k, (a/A)^k)]`` (γ regularised
  lower incomplete gamma, ``scipy.special.gammainc``).

Large rasters are evaluated through an exact table over (v̄, k) (0.02 m/s × 0.05 steps)
interpolated bilinearly, cached per turbine; the error is below 0.05 % (tested).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

from geo.cache import memoize
from geo.errors import InputError
from siting.wind.turbines import Turbine

HOURS_PER_YEAR = 8760.0
STANDARD_AIR_DENSITY_KG_M3 = 1.225  # IEC 61400-12-1 reference density

_TABLE_SPEED_STEP = 0.02
_TABLE_SPEED_MAX = 30.0
_TABLE_K = np.round(np.arange(1.0, 5.0001, 0.05), 4)


@dataclass(frozen=True)
class Losses:
    """Energy losses as fractions of gross energy, combined multiplicatively.

    Defaults are assumptions in the usual onshore ranges: wake 10 % (array losses of a
    spaced layout), availability 3 % (turbine downtime), electrical 2 % (collection and
    transformer), other 0 % (icing, curtailment, ...).  Combined ≈ 14.4 %.
    """

    wake: float = 0.10
    availability: float = 0.03
    electrical: float = 0.02
    other: float = 0.0

    def __post_init__(self):
        for name, value in asdict(self).items():
            if not (0.0 <= float(value) < 1.0):
                msg = f"loss {name}={value!r} must be a fraction in [0, 1) (e.g. 0.1 for 10 %)"
                raise InputError(msg)

    @property
    def factor(self) -> float:
        """Net energy over gross energy."""
        out = 1.0
        for value in asdict(self).values():
            out *= 1.0 - float(value)
        return out

    @property
    def total(self) -> float:
        """Combined loss fraction, 1 - factor."""
        return 1.0 - self.factor


def weibull_scale(mean_speed_m_s: NDArray, k: NDArray) -> NDArray:
    """Weibull scale A (m/s) with mean ``mean_speed_m_s`` and shape ``k``."""
    k = np.asarray(k, dtype="float64")
    return np.asarray(mean_speed_m_s, dtype="float64") / special.gamma(1.0 + 1.0 / k)


def mean_power_kw_exact(turbine: Turbine, mean_speed_m_s: NDArray, k: NDArray) -> NDArray:
    """Mean power (kW) of ``turbine`` under Weibull(v̄, k), in closed form per curve segment.

    Vectorised over cells; memory grows with cells × curve points, so use
    :func:`mean_power_kw` for whole rasters.
    """
    vbar = np.asarray(mean_speed_m_s, dtype="float64")
    kk = np.broadcast_to(np.asarray(k, dtype="float64"), vbar.shape)
    out = np.full(vbar.shape, np.nan)
    ok = np.isfinite(vbar) & np.isfinite(kk) & (kk > 0)
    zero = ok & (vbar <= 0)
    out[zero] = 0.0
    ok &= vbar > 0
    if not ok.any():
        return out
    v = turbine.wind_speed_m_s
    p = turbine.power_kw
    kv = kk[ok][:, None]
    a = weibull_scale(vbar[ok], kk[ok])[:, None]
    g = special.gamma(1.0 + 1.0 / kv)
    x = (v[None, :] / a) ** kv  # (cells, points)
    cdf = -np.exp(-x)  # F(v) up to a constant: F = 1 - exp(-x)
    first_moment = a * g * special.gammainc(1.0 + 1.0 / kv, x)
    slope = np.diff(p) / np.diff(v)
    intercept = p[:-1] - slope * v[:-1]
    prob = np.diff(cdf, axis=1)
    moment = np.diff(first_moment, axis=1)
    out[ok] = (intercept[None, :] * prob + slope[None, :] * moment).sum(axis=1)
    return out


@memoize(16, key=lambda turbine, k_values: (turbine.cache_key, k_values))
def _table(turbine: Turbine, k_values: tuple[float, ...]) -> tuple[NDArray, NDArray, NDArray]:
    speeds = np.arange(0.0, _TABLE_SPEED_MAX + _TABLE_SPEED_STEP / 2, _TABLE_SPEED_STEP)
    ks = np.asarray(k_values, dtype="float64")
    vv, kk = np.meshgrid(speeds, ks, indexing="ij")
    values = mean_power_kw_exact(turbine, vv.ravel(), kk.ravel()).reshape(vv.shape)
    return speeds, ks, values


def mean_power_kw(
    turbine: Turbine, mean_speed_m_s: NDArray, k: NDArray | float, *, air_density_kg_m3: float | None = None
) -> NDArray:
    """Mean electrical power (kW, before losses) per cell for Weibull(v̄, k) winds.

    Parameters
    ----------
    turbine : Turbine
        Its power curve is for standard air (1.225 kg/m³).
    mean_speed_m_s : array
        Mean hub-height wind speed, m/s; NaN stays NaN.
    k : float or array
        Weibull shape (1–5).
    air_density_kg_m3 : float, optional
        Site air density; speeds are scaled by ``(ρ/1.225)^(1/3)`` (IEC 61400-12-1
        normalisation for pitch-regulated turbines).  None: standard air.
    """
    vbar = np.asarray(mean_speed_m_s, dtype="float64")
    if air_density_kg_m3 is not None:
        if not (0.9 <= air_density_kg_m3 <= 1.35):
            msg = f"air density {air_density_kg_m3} kg/m³ is implausible; use 0.9–1.35"
            raise InputError(msg)
        vbar = vbar * (air_density_kg_m3 / STANDARD_AIR_DENSITY_KG_M3) ** (1.0 / 3.0)
    kk = np.asarray(k, dtype="float64")
    if vbar.size <= 2000:
        return mean_power_kw_exact(turbine, vbar, kk)
    out = np.full(vbar.shape, np.nan)
    finite = np.isfinite(vbar) & np.isfinite(np.broadcast_to(kk, vbar.shape))
    vq = np.clip(vbar[finite], 0.0, _TABLE_SPEED_MAX)
    if kk.ndim == 0:
        speeds, _, values = _table(turbine, (float(kk),))
        out[finite] = np.interp(vq, speeds, values[:, 0])
        return out
    kq = np.clip(np.broadcast_to(kk, vbar.shape)[finite], _TABLE_K[0], _TABLE_K[-1])
    speeds, ks, values = _table(turbine, tuple(_TABLE_K))
    fi = vq / _TABLE_SPEED_STEP
    i0 = np.minimum(fi.astype("int64"), speeds.size - 2)
    ti = fi - i0
    fj = (kq - ks[0]) / (ks[1] - ks[0])
    j0 = np.minimum(fj.astype("int64"), ks.size - 2)
    tj = fj - j0
    out[finite] = (
        (1 - ti) * (1 - tj) * values[i0, j0]
        + ti * (1 - tj) * values[i0 + 1, j0]
        + (1 - ti) * tj * values[i0, j0 + 1]
        + ti * tj * values[i0 + 1, j0 + 1]
    )
    return out


def capacity_factor(
    turbine: Turbine,
    mean_speed_m_s: NDArray,
    k: NDArray | float,
    *,
    losses: Losses | None = None,
    air_density_kg_m3: float | None = None,
) -> NDArray:
    """Net capacity factor (0–1) per cell: mean power × loss factor / rated power."""
    losses = Losses() if losses is None else losses
    power = mean_power_kw(turbine, mean_speed_m_s, k, air_density_kg_m3=air_density_kg_m3)
    return power * losses.factor / turbine.rated_kw


def annual_energy_mwh(
    turbine: Turbine,
    mean_speed_m_s: NDArray,
    k: NDArray | float,
    *,
    losses: Losses | None = None,
    air_density_kg_m3: float | None = None,
) -> NDArray:
    """Net annual energy of one turbine, MWh/yr, per cell (8,760 h/yr)."""
    cf = capacity_factor(turbine, mean_speed_m_s, k, losses=losses, air_density_kg_m3=air_density_kg_m3)
    return cf * turbine.rated_kw / 1000.0 * HOURS_PER_YEAR
