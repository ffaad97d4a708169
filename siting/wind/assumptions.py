"""Every assumption of a wind siting run in one object: :class:`WindAssumptions`.

A run of :func:`siting.wind.wind_sites` reads its turbine, land rules, capacity density,
costs and grid-connection figures from one frozen :class:`WindAssumptions`; the export
carries :meth:`WindAssumptions.to_dict` so every figure a user sees traces back to it.

Sources and status of the defaults
----------------------------------
Figures marked **assumption** are the atlas's own planning choices; change them per project.
Figures with a source were taken from the cited publication as the authors of this module
read it; they are rounded and were not re-derived here — check the cited table before
quoting a result.

Land (exclusion setbacks, :data:`DEFAULT_BUFFERS_M`)
    * settlements, buildings, railway stations 500 m — **assumption**: the distance at which a
      5 MW turbine's noise falls to about 40–45 dB(A) (GB 3096-2008 class 1, night 45 dB(A)
      for rural residential areas) and shadow flicker becomes rare; common practice in
      Chinese environmental impact reports ranges 300–800 m.
    * roads 200 m — **assumption**: about one tip height (120 m hub + 171 m rotor / 2 ≈ 205 m),
      the usual topple setback.
    * airports 6,000 m from the runway — ICAO Annex 14 / MH 5001-2021 obstacle limitation
      surfaces of a code-4 instrument runway: the inner horizontal surface (45 m) reaches
      4,000 m from the runway strip and the conical surface (rising to 145 m) another
      2,000 m; a 200 m turbine penetrates both.  Beyond 6 km up to 15 km (outer horizontal
      surface, 150 m) turbines need an aviation assessment: not excluded here.
    * water bodies and protected areas as drawn (plus a feature's own ``buffer_m``).
    * minimum hub-height mean wind speed 5.5 m/s — **assumption**: with the default 5 MW,
      171 m turbine and the default losses it gives about 2,340 net full-load hours, the level
      of an average Chinese wind farm (NEA: 2,225 utilisation hours in 2023); 5.0 m/s
      (about 1,920 h) is the usual floor of low-wind projects — use it for an upper bound.
    * minimum contiguous area 2 km² — **assumption**: room for at least two 5 MW turbines
      at 7 × 4 rotor diameters (0.82 km² each).
    * slope 15° (only with a DEM) — **assumption**, the usual crane and access-road limit.

Capacity
    * 3.0 MW/km² over usable land — Denholm et al. (2009), *Land-Use Requirements of Modern
      Wind Power Plants in the United States*, NREL/TP-6A2-45834: 3.0 ± 1.7 MW/km² of total
      project area; NREL's reV land-based wind supply curves use the same 3 MW/km².  (A
      7 × 4 rotor-diameter lattice of 5 MW, 171 m turbines packs 6.1 MW/km²: the upper
      bound inside one farm, not a regional density.)
    * ``max_site_km2`` 25 km² — **assumption**: supply-curve points of 5 × 5 km, i.e.
      projects of up to 75 MW, the size of the GEM-listed farms in Xiangyang (20–150 MW).

Costs (CNY of 2023; VAT, income tax and subsidies ignored)
    * capex 6,000 CNY/kW (turbine, tower, foundations, roads, collector system and the
      farm's own step-up station) — **assumption** for hilly central China between two
      published references: IRENA, *Renewable Power Generation Costs in 2023* (2024), China
      onshore weighted-average total installed cost of about USD 1,000/kW (≈ 7,100 CNY/kW);
      and Chinese industry reporting (CWEA, CREEI 2023 annual cost reports) of about
      4,500–5,500 CNY/kW for 2023 onshore projects after the turbine price fall to
      ≈ 1,500–2,000 CNY/kW.
    * opex 150 CNY/kW/yr (O&M, land lease, insurance) — **assumption**, about 2.5 % of capex,
      in the range of IRENA's O&M figures for China (USD 0.005–0.01/kWh at 2,000–2,500 h).
    * WACC 5 % real — **assumption**: 80 % debt at about 4 % (near the 5-year LPR) and 20 %
      equity at about 8 %.
    * lifetime 25 years — design life of current turbines (IRENA's LCOE assumption for
      onshore wind is 25 years).

Grid connection (:data:`DEFAULT_CONNECTION_CLASSES`)
    * the site connects at 110 kV up to 100 MW, 220 kV up to 300 MW, 500 kV above —
      **assumption** following common Chinese practice (GB/T 19963.1 leaves it to the grid
      company); it needs a substation of at least that voltage (and at least
      ``min_substation_kv``).
    * overhead line 0.6 / 1.0 / 2.2 M CNY per km and bay (间隔) plus substation works
      5 / 12 / 35 M CNY at 110 / 220 / 500 kV — **assumption** of the order of State Grid's
      published cost-control indicators (《电网工程限额设计控制指标》, 2022 level) for
      single-circuit lines and one line bay; the route is ``line_route_factor`` (1.2) times
      the straight distance.
    * benchmark: Hubei coal-fired benchmark tariff 0.4161 CNY/kWh (燃煤发电基准价,
      NDRC 2019 list, in force since 2020).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from geo.errors import InputError
from siting.wind.energy import Losses
from siting.wind.resource import DEFAULT_SHEAR_ALPHA, DEFAULT_WEIBULL_K
from siting.wind.turbines import DEFAULT_TURBINE, Turbine

#: Setback (m) per ``exclusion_kind`` of the ``exclusions`` layer (see module docstring).
#: A feature's own ``buffer_m`` wins when larger.
DEFAULT_BUFFERS_M: dict[str, float] = {
    "settlement": 500.0,
    "building": 500.0,
    "railway_station": 500.0,
    "road": 200.0,
    "water": 0.0,
    "protected": 0.0,
    "airport": 6000.0,
    "other": 0.0,
}

#: Hubei coal-fired benchmark tariff (燃煤发电基准价), CNY/kWh.
HUBEI_COAL_BENCHMARK_CNY_PER_KWH = 0.4161


@dataclass(frozen=True)
class ConnectionClass:
    """A grid-connection voltage class: which sites use it and what it costs.

    Attributes
    ----------
    voltage_kv : float
        Connection voltage, kV; the substation must be at least this.
    max_site_mw : float
        Largest site (MW) connected at this voltage (``inf`` for the top class).
    line_cost_cny_per_km : float
        Overhead line, CNY per route km.
    bay_cost_cny : float
        Line bay and works at the grid substation, CNY per connection.
    """

    voltage_kv: float
    max_site_mw: float
    line_cost_cny_per_km: float
    bay_cost_cny: float


#: Connection classes (assumption of the order of State Grid's cost-control indicators).
DEFAULT_CONNECTION_CLASSES: tuple[ConnectionClass, ...] = (
    ConnectionClass(110.0, 100.0, 0.6e6, 5.0e6),
    ConnectionClass(220.0, 300.0, 1.0e6, 12.0e6),
    ConnectionClass(500.0, math.inf, 2.2e6, 35.0e6),
)

#: power_plants statuses that count as an existing or planned wind farm.
FARM_STATUSES = ("operating", "construction", "pre-construction", "announced")


@dataclass(frozen=True)
class WindAssumptions:
    """Assumptions of a wind siting run (units in the names; sources in the module docstring).

    Build one with the defaults and override what differs, e.g.
    ``WindAssumptions(hub_height_m=140, buffers_m={"settlement": 800})``; a partial
    ``buffers_m`` is merged with :data:`DEFAULT_BUFFERS_M`.  Invalid values raise
    :class:`geo.errors.InputError` naming the field.

    Attributes
    ----------
    hub_height_m : float
        Hub height, m (30–250).
    turbine : str or Turbine
        A shipped turbine class (:func:`siting.wind.turbine_table`) or a custom Turbine.
    shear_alpha : float
        Power-law shear exponent from the raster's height to hub height (1/7 open terrain).
    weibull_k : float or path
        Weibull shape, a constant or a GeoTIFF of k.
    air_density_kg_m3 : float or None
        Site air density for the power curve; None = standard air 1.225 kg/m³.
    losses : Losses
        Wake, availability, electrical and other losses (fractions).
    resolution_m : float
        Analysis grid cell, m.
    buffers_m : mapping
        Setback per exclusion kind, m (:data:`DEFAULT_BUFFERS_M`).
    min_speed_m_s : float or None
        Minimum hub-height mean wind speed, m/s (None: no rule).
    min_area_km2 : float or None
        Minimum contiguous usable area, km² (None: no rule).
    dem_path : path or None
        DEM GeoTIFF (m) for the slope rule; None: no slope rule.
    max_slope_deg : float
        Steepest usable slope, degrees (with ``dem_path``).
    include_rooftops, include_roads : bool
        Use the ``rooftops`` layer as buildings and the ``roads`` layer as roads.
    connectivity : {4, 8}
        Cell connectivity of contiguous areas.
    capacity_density_mw_per_km2 : float or None
        MW per usable km²; None lays turbines out on a lattice instead.
    spacing_rotor_diameters : (float, float)
        Lattice spacing along × across the prevailing wind, rotor diameters (layout mode).
    wind_direction_deg : float
        Prevailing wind direction, degrees from north (layout mode).
    max_site_km2 : float or None
        Cut contiguous areas into square blocks of this area (supply-curve points).
    capex_cny_per_kw, opex_cny_per_kw_year : float
        Installed cost without grid connection, CNY/kW; fixed operating cost, CNY/kW/yr.
    wacc : float
        Real weighted average cost of capital, fraction.
    lifetime_years : int
        Economic life, years.
    min_substation_kv : float
        Only substations of at least this voltage take a connection, kV.
    near_grid_km : float
        "Near the grid": within this straight distance of such a substation, km.
    line_route_factor : float
        Route length over straight distance for the connecting line.
    connection_classes : tuple of ConnectionClass
        Voltage classes by site size with line and bay costs.
    benchmark_cny_per_kwh : float
        Tariff the LCOE is compared with (Hubei coal benchmark 0.4161 CNY/kWh).
    farm_statuses : tuple of str
        ``power_plants`` statuses that mark a site as overlapping a wind farm.
    rank_by : str
        Column that orders the sites (``lcoe_cny_per_kwh`` ascending: the supply curve;
        the others descending).
    """

    hub_height_m: float = 120.0
    turbine: str | Turbine = DEFAULT_TURBINE
    shear_alpha: float = DEFAULT_SHEAR_ALPHA
    weibull_k: float | str | os.PathLike = DEFAULT_WEIBULL_K
    air_density_kg_m3: float | None = None
    losses: Losses = field(default_factory=Losses)
    resolution_m: float = 100.0
    buffers_m: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_BUFFERS_M))
    min_speed_m_s: float | None = 5.5
    min_area_km2: float | None = 2.0
    dem_path: str | os.PathLike | None = None
    max_slope_deg: float = 15.0
    include_rooftops: bool = True
    include_roads: bool = True
    connectivity: int = 8
    capacity_density_mw_per_km2: float | None = 3.0
    spacing_rotor_diameters: tuple[float, float] = (7.0, 4.0)
    wind_direction_deg: float = 0.0
    max_site_km2: float | None = 25.0
    capex_cny_per_kw: float = 6000.0
    opex_cny_per_kw_year: float = 150.0
    wacc: float = 0.05
    lifetime_years: int = 25
    min_substation_kv: float = 110.0
    near_grid_km: float = 20.0
    line_route_factor: float = 1.2
    connection_classes: tuple[ConnectionClass, ...] = DEFAULT_CONNECTION_CLASSES
    benchmark_cny_per_kwh: float = HUBEI_COAL_BENCHMARK_CNY_PER_KWH
    farm_statuses: tuple[str, ...] = FARM_STATUSES
    rank_by: str = "lcoe_cny_per_kwh"

    def __post_init__(self):
        buffers = {**DEFAULT_BUFFERS_M, **dict(self.buffers_m or {})}
        for kind, value in buffers.items():
            if value is None or not _finite(value) or float(value) < 0:
                msg = f"buffer for {kind!r} must be a non-negative number of metres, got {value!r}"
                raise InputError(msg)
        object.__setattr__(self, "buffers_m", {k: float(v) for k, v in buffers.items()})
        along, across = (float(v) for v in self.spacing_rotor_diameters)
        if not (along > 0 and across > 0):
            msg = f"spacing_rotor_diameters {self.spacing_rotor_diameters!r} must be two positive numbers"
            raise InputError(msg)
        object.__setattr__(self, "spacing_rotor_diameters", (along, across))
        object.__setattr__(self, "connection_classes", tuple(self.connection_classes))
        object.__setattr__(self, "farm_statuses", tuple(self.farm_statuses))
        self._check()

    def _check(self) -> None:
        positive = {
            "resolution_m": self.resolution_m,
            "capex_cny_per_kw": self.capex_cny_per_kw,
            "lifetime_years": self.lifetime_years,
            "near_grid_km": self.near_grid_km,
            "benchmark_cny_per_kwh": self.benchmark_cny_per_kwh,
        }
        for name, value in positive.items():
            if not (_finite(value) and float(value) > 0):
                msg = f"{name}={value!r} must be a positive number"
                raise InputError(msg)
        if self.capacity_density_mw_per_km2 is not None and not (0 < float(self.capacity_density_mw_per_km2) <= 20):
            msg = (
                f"capacity_density_mw_per_km2={self.capacity_density_mw_per_km2!r} must lie in (0, 20] "
                f"(NREL: 3 MW/km²), or be None for a turbine layout"
            )
            raise InputError(msg)
        if not (_finite(self.opex_cny_per_kw_year) and self.opex_cny_per_kw_year >= 0):
            msg = f"opex_cny_per_kw_year={self.opex_cny_per_kw_year!r} must be ≥ 0"
            raise InputError(msg)
        if not (_finite(self.wacc) and 0 <= self.wacc < 0.5):
            msg = f"wacc={self.wacc!r} must be a fraction in [0, 0.5), e.g. 0.05 for 5 %"
            raise InputError(msg)
        if not (_finite(self.line_route_factor) and self.line_route_factor >= 1):
            msg = f"line_route_factor={self.line_route_factor!r} must be ≥ 1"
            raise InputError(msg)
        if not (_finite(self.min_substation_kv) and self.min_substation_kv > 0):
            msg = f"min_substation_kv={self.min_substation_kv!r} must be a positive voltage in kV"
            raise InputError(msg)
        if self.max_site_km2 is not None and not (_finite(self.max_site_km2) and self.max_site_km2 > 0):
            msg = f"max_site_km2={self.max_site_km2!r} must be positive or None"
            raise InputError(msg)
        if self.connectivity not in (4, 8):
            msg = f"connectivity={self.connectivity!r} must be 4 or 8"
            raise InputError(msg)
        if not self.connection_classes:
            msg = "connection_classes must hold at least one ConnectionClass"
            raise InputError(msg)
        limits = [c.max_site_mw for c in self.connection_classes]
        if limits != sorted(limits) or not math.isinf(limits[-1]):
            msg = "connection_classes must be ordered by max_site_mw and the last one must take any size (inf)"
            raise InputError(msg)
        for c in self.connection_classes:
            if min(c.voltage_kv, c.line_cost_cny_per_km + 1, c.bay_cost_cny + 1) <= 0:
                msg = f"connection class {c!r}: voltage must be positive and costs non-negative"
                raise InputError(msg)

    def replace(self, **changes) -> WindAssumptions:
        """A copy with ``changes`` (InputError naming unknown fields)."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            msg = f"unknown wind assumption(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}"
            raise InputError(msg)
        if "buffers_m" in changes and changes["buffers_m"] is not None:
            changes["buffers_m"] = {**self.buffers_m, **dict(changes["buffers_m"])}
        return dataclasses.replace(self, **changes)

    @property
    def turbine_name(self) -> str:
        """Name of the turbine class."""
        return self.turbine if isinstance(self.turbine, str) else self.turbine.name

    @property
    def capital_recovery_factor(self) -> float:
        """Annuity factor of ``wacc`` over ``lifetime_years`` (1/yr)."""
        r, n = float(self.wacc), int(self.lifetime_years)
        if r == 0:
            return 1.0 / n
        return r * (1 + r) ** n / ((1 + r) ** n - 1)

    def to_dict(self) -> dict:
        """Every assumption as a flat ``{name: value}`` dict with units in the names."""
        out: dict = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "turbine":
                out["turbine"] = self.turbine_name
            elif f.name == "losses":
                for key, frac in dataclasses.asdict(value).items():
                    out[f"loss_{key}"] = frac
                out["loss_total"] = round(value.total, 4)
            elif f.name == "buffers_m":
                for kind, metres in value.items():
                    out[f"buffer_{kind}_m"] = metres
            elif f.name == "connection_classes":
                for c in value:
                    tag = f"{c.voltage_kv:g}kv"
                    out[f"connection_{tag}_max_site_mw"] = c.max_site_mw
                    out[f"connection_{tag}_line_cost_cny_per_km"] = c.line_cost_cny_per_km
                    out[f"connection_{tag}_bay_cost_cny"] = c.bay_cost_cny
            elif f.name == "spacing_rotor_diameters":
                out[f.name] = f"{value[0]:g} x {value[1]:g}"
            elif f.name == "farm_statuses":
                out[f.name] = ",".join(value)
            elif f.name in ("dem_path", "weibull_k") and value is not None and not isinstance(value, (int, float)):
                out[f.name] = os.fspath(value)
            else:
                out[f.name] = value
        out["capital_recovery_factor"] = round(self.capital_recovery_factor, 6)
        return out


def _finite(value) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


__all__ = [
    "DEFAULT_BUFFERS_M",
    "DEFAULT_CONNECTION_CLASSES",
    "FARM_STATUSES",
    "HUBEI_COAL_BENCHMARK_CNY_PER_KWH",
    "ConnectionClass",
    "WindAssumptions",
]
