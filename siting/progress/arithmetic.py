"""Indicator arithmetic with units: conversions, rates, and the straight-line target path.

Units are plain strings.  Convertible families:

* mass: ``t``, ``kt``, ``万t`` (10⁴ t), ``Mt``; per year with the suffix ``/yr``
  (``t/yr``, ``Mt/yr``, ``万t/yr``);
* power: ``kW``, ``MW``, ``GW``;
* energy: ``kWh``, ``MWh``, ``GWh``;
* share: ``%`` and ``fraction`` (0–1).

Anything else (``count``, ``m²``) converts only to itself.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from geo.errors import InputError

# unit -> (family, factor to the family's base unit)
_UNITS: dict[str, tuple[str, float]] = {
    "t": ("mass", 1.0),
    "kt": ("mass", 1e3),
    "万t": ("mass", 1e4),
    "Mt": ("mass", 1e6),
    "t/yr": ("mass_rate", 1.0),
    "kt/yr": ("mass_rate", 1e3),
    "万t/yr": ("mass_rate", 1e4),
    "Mt/yr": ("mass_rate", 1e6),
    "kW": ("power", 1e-3),
    "MW": ("power", 1.0),
    "GW": ("power", 1e3),
    "kWh": ("energy", 1e-3),
    "MWh": ("energy", 1.0),
    "GWh": ("energy", 1e3),
    "%": ("share", 1.0),
    "fraction": ("share", 100.0),
}
_ALIASES = {
    "吨": "t",
    "万吨": "万t",
    "t/a": "t/yr",
    "t/year": "t/yr",
    "万吨/年": "万t/yr",
    "Mt/a": "Mt/yr",
    "mw": "MW",
    "gw": "GW",
    "kw": "kW",
    "percent": "%",
    "％": "%",
    "个": "count",
    "家": "count",
    "n": "count",
}


def normalise_unit(unit: str | None) -> str:
    """Canonical spelling of ``unit`` (``"万吨"`` → ``"万t"``, ``"percent"`` → ``"%"``)."""
    if unit is None or (isinstance(unit, float) and np.isnan(unit)):
        return ""
    text = str(unit).strip()
    return _ALIASES.get(text, _ALIASES.get(text.lower(), text))


def conversion_factor(from_unit: str, to_unit: str) -> float:
    """Factor ``f`` such that ``value_in_to_unit = value_in_from_unit * f``.

    Raises
    ------
    InputError
        If the units cannot be converted into each other (e.g. ``MW`` to ``%``).
    """
    src, dst = normalise_unit(from_unit), normalise_unit(to_unit)
    if src == dst:
        return 1.0
    if src in _UNITS and dst in _UNITS and _UNITS[src][0] == _UNITS[dst][0]:
        return _UNITS[src][1] / _UNITS[dst][1]
    msg = f"cannot convert unit {from_unit!r} to {to_unit!r}; give the value in {to_unit!r}" + (
        f" or a unit of the same kind ({', '.join(u for u, (f, _) in _UNITS.items() if f == _UNITS[dst][0])})"
        if dst in _UNITS
        else ""
    )
    raise InputError(msg)


def convert(value: ArrayLike, from_unit: str, to_unit: str) -> NDArray[np.float64] | float:
    """Convert ``value`` (scalar or array) from ``from_unit`` to ``to_unit``."""
    factor = conversion_factor(from_unit, to_unit)
    out = np.asarray(value, dtype="float64") * factor
    return float(out) if out.ndim == 0 else out


def share_pct(
    part: ArrayLike, whole: ArrayLike, *, part_unit: str = "t", whole_unit: str = "t"
) -> NDArray[np.float64] | float:
    """``part ÷ whole`` in percent, after converting both to the same unit.

    Where ``whole`` is zero the share is NaN (undefined), not infinite.

    Raises
    ------
    InputError
        If a part or whole is negative, or the units do not convert.
    """
    part_arr = np.asarray(convert(part, part_unit, whole_unit), dtype="float64")
    whole_arr = np.asarray(whole, dtype="float64")
    if np.any(part_arr < 0) or np.any(whole_arr < 0):
        msg = "shares need non-negative quantities; check the signs of the part and the whole"
        raise InputError(msg)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(whole_arr > 0, 100.0 * part_arr / np.where(whole_arr > 0, whole_arr, 1.0), np.nan)
    return float(out) if out.ndim == 0 else out


def utilisation_pct(
    used: ArrayLike, produced: ArrayLike, *, used_unit: str = "t", produced_unit: str = "t"
) -> NDArray[np.float64] | float:
    """Comprehensive utilisation rate, % = used ÷ produced × 100.

    E.g. phosphogypsum (FACTS.md "Waste"): about 0.3 Mt used of about 3 Mt produced around
    2019 is ≈ 10 %; the plan's target is 65 % by 2025.  More may be used than produced in a
    year (drawing down stockpiles), so the rate can exceed 100 %.

    Parameters
    ----------
    used, produced : float or array
        Mass used and mass produced over the same period.
    used_unit, produced_unit : str
        Their units (``t``, ``kt``, ``万t``, ``Mt``, or per year ``t/yr`` ...).
    """
    return share_pct(used, produced, part_unit=used_unit, whole_unit=produced_unit)


def year_fraction(dates: ArrayLike) -> NDArray[np.float64]:
    """Dates as fractional years: 2025-01-01 → 2025.0, 2025-12-31 → ≈ 2025.997."""
    ts = pd.to_datetime(pd.Series(np.atleast_1d(np.asarray(dates, dtype=object))))
    start = pd.to_datetime(ts.dt.year.astype(str) + "-01-01")
    days = np.where(ts.dt.is_leap_year, 366.0, 365.0)
    return (ts.dt.year + (ts - start).dt.days / days).to_numpy(dtype="float64")


def due_year_fraction(year: ArrayLike) -> NDArray[np.float64]:
    """When a target "by YEAR" (or a baseline "in YEAR") falls due: the end of that year."""
    return np.asarray(year, dtype="float64") + 1.0


def target_path(
    at: ArrayLike, *, start_value: ArrayLike, start_time: ArrayLike, target_value: ArrayLike, target_time: ArrayLike
) -> NDArray[np.float64]:
    """Value expected at time ``at`` on a straight line from start to target.

    All times are fractional years (:func:`year_fraction`, :func:`due_year_fraction`).
    Before the start the path is the start value; after the target time, the target.
    Where start and target times coincide, the target.  Vectorised over every argument.
    """
    at_ = np.asarray(at, dtype="float64")
    v0, t0 = np.asarray(start_value, dtype="float64"), np.asarray(start_time, dtype="float64")
    v1, t1 = np.asarray(target_value, dtype="float64"), np.asarray(target_time, dtype="float64")
    span = t1 - t0
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.clip(np.where(span > 0, (at_ - t0) / np.where(span > 0, span, 1.0), 1.0), 0.0, 1.0)
    return v0 + (v1 - v0) * frac


def today_in_xiangyang() -> dt.date:
    """Today's date in China Standard Time (UTC+8), against which "future" is judged."""
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
