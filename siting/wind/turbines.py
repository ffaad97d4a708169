"""Turbine classes and their power curves (shipped as CSV in ``siting/data``).

The shipped classes are generic (see ``siting/data/WIND_TURBINES.md``); a user curve can be
built with :meth:`Turbine.from_curve` or loaded from a CSV with :func:`load_turbines`.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo.errors import InputError

DEFAULT_TURBINE = "low_wind_5mw_d171"  # 5 MW units as at 中节能襄州 (FACTS.md "Wind")


@dataclass(frozen=True, eq=False)
class Turbine:
    """A wind turbine: rated power, rotor, and a power curve (kW against m/s at hub height).

    Attributes
    ----------
    name : str
        Class name, e.g. ``"low_wind_5mw_d171"``.
    rated_kw : float
        Rated (nameplate) power, kW.
    rotor_diameter_m : float
        Rotor diameter, m.
    wind_speed_m_s, power_kw : numpy.ndarray
        The power curve; linear between points, zero outside.
    """

    name: str
    rated_kw: float
    rotor_diameter_m: float
    wind_speed_m_s: NDArray
    power_kw: NDArray
    iec_class: str = ""
    description: str = ""
    source: str = "user"

    @classmethod
    def from_curve(
        cls,
        name: str,
        wind_speed_m_s,
        power_kw,
        *,
        rotor_diameter_m: float,
        rated_kw: float | None = None,
        iec_class: str = "",
        description: str = "",
        source: str = "user",
    ) -> Turbine:
        """Build and check a turbine from a power curve (InputError on a bad curve)."""
        v = np.asarray(wind_speed_m_s, dtype="float64")
        p = np.asarray(power_kw, dtype="float64")
        where = f"power curve of turbine {name!r}"
        if v.ndim != 1 or v.shape != p.shape or v.size < 3:
            msg = f"{where}: needs at least 3 (wind_speed_m_s, power_kw) pairs of equal length"
            raise InputError(msg)
        if not (np.isfinite(v).all() and np.isfinite(p).all()):
            msg = f"{where}: contains empty or non-numeric values"
            raise InputError(msg)
        if np.any(np.diff(v) <= 0):
            msg = f"{where}: wind_speed_m_s must be strictly increasing"
            raise InputError(msg)
        if v.min() < 0 or v.max() > 40:
            msg = f"{where}: wind speeds must lie in 0–40 m/s"
            raise InputError(msg)
        if np.any(p < 0):
            msg = f"{where}: power_kw must not be negative"
            raise InputError(msg)
        rated = float(p.max()) if rated_kw is None else float(rated_kw)
        if not rated > 0 or p.max() > rated * 1.05:
            msg = f"{where}: rated_kw {rated} must be positive and at least the curve maximum"
            raise InputError(msg)
        if not (10 <= rotor_diameter_m <= 300):
            msg = f"{where}: rotor_diameter_m {rotor_diameter_m} is outside 10–300 m"
            raise InputError(msg)
        v.setflags(write=False)
        p.setflags(write=False)
        return cls(name, rated, float(rotor_diameter_m), v, p, iec_class, description, source)

    @property
    def swept_area_m2(self) -> float:
        """Rotor swept area, m²."""
        return float(np.pi * self.rotor_diameter_m**2 / 4.0)

    @property
    def specific_power_w_per_m2(self) -> float:
        """Rated power over swept area, W/m² (low-wind machines ≈ 150–220)."""
        return self.rated_kw * 1000.0 / self.swept_area_m2

    def power(self, wind_speed_m_s: NDArray) -> NDArray:
        """Power output, kW, at hub-height wind speeds (linear interpolation, 0 outside)."""
        return np.interp(wind_speed_m_s, self.wind_speed_m_s, self.power_kw, left=0.0, right=0.0)

    @property
    def cache_key(self) -> tuple:
        """Hashable identity of the curve, for caches."""
        return (self.name, self.rated_kw, self.rotor_diameter_m, self.wind_speed_m_s.tobytes(), self.power_kw.tobytes())


def _read_csv(path_or_file) -> pd.DataFrame:
    try:
        return pd.read_csv(path_or_file, encoding="utf-8-sig")
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        msg = f"cannot read turbine CSV {path_or_file}: {exc}"
        raise InputError(msg) from None


def load_turbines(curves: str | os.PathLike, classes: str | os.PathLike | None = None) -> dict[str, Turbine]:
    """Load turbines from a long power-curve CSV and an optional class table.

    Parameters
    ----------
    curves : path
        CSV with columns ``turbine, wind_speed_m_s, power_kw``.
    classes : path, optional
        CSV with ``turbine, rated_kw, rotor_diameter_m`` (+ ``iec_class, description,
        source``).  Without it, ``curves`` must also hold ``rotor_diameter_m``.
    """
    table = _read_csv(curves)
    need = {"turbine", "wind_speed_m_s", "power_kw"}
    missing = need - set(table.columns)
    if missing:
        msg = f"{curves}: missing column(s) {', '.join(sorted(missing))}; expected {', '.join(sorted(need))}"
        raise InputError(msg)
    meta = _read_csv(classes).set_index("turbine") if classes is not None else None
    out = {}
    for name, rows in table.groupby("turbine", sort=False):
        rows = rows.sort_values("wind_speed_m_s")
        if meta is not None and name in meta.index:
            info = meta.loc[name]
        elif "rotor_diameter_m" in rows.columns:
            info = rows.iloc[0]
        else:
            msg = f"{curves}: turbine {name!r} has no rotor_diameter_m (add a classes CSV or column)"
            raise InputError(msg)
        out[str(name)] = Turbine.from_curve(
            str(name),
            rows["wind_speed_m_s"].to_numpy(),
            rows["power_kw"].to_numpy(),
            rotor_diameter_m=float(info["rotor_diameter_m"]),
            rated_kw=float(info["rated_kw"]) if "rated_kw" in info and pd.notna(info["rated_kw"]) else None,
            iec_class=str(info.get("iec_class", "") or ""),
            description=str(info.get("description", "") or ""),
            source=str(info.get("source", "user") or "user"),
        )
    return out


@functools.cache
def turbine_classes() -> dict[str, Turbine]:
    """The shipped generic turbine classes, by name."""
    data = resources.files("siting") / "data"
    with (
        resources.as_file(data / "wind_power_curves.csv") as curves,
        resources.as_file(data / "wind_turbine_classes.csv") as classes,
    ):
        return load_turbines(Path(curves), Path(classes))


def turbine_table() -> pd.DataFrame:
    """One row per shipped class: rated MW, rotor, specific power, IEC class, description."""
    rows = [
        {
            "turbine": t.name,
            "rated_mw": t.rated_kw / 1000.0,
            "rotor_diameter_m": t.rotor_diameter_m,
            "specific_power_w_per_m2": round(t.specific_power_w_per_m2, 1),
            "iec_class": t.iec_class,
            "description": t.description,
            "source": t.source,
        }
        for t in turbine_classes().values()
    ]
    return pd.DataFrame(rows)


def get_turbine(turbine: str | Turbine) -> Turbine:
    """A shipped class by name (InputError listing the choices), or a Turbine as is."""
    if isinstance(turbine, Turbine):
        return turbine
    classes = turbine_classes()
    try:
        return classes[turbine]
    except KeyError:
        msg = f"unknown turbine class {turbine!r}; choose one of: {', '.join(classes)}"
        raise InputError(msg) from None
