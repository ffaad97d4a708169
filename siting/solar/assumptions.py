"""Rooftop PV assumptions: one frozen, documented, overridable set of parameters.

Every default names its source (FACTS.md where it comes from there); those marked
*assumption* are ours, stated so a user can override them
(``PVAssumptions().replace(capex_cny_per_w=3.0)`` or ``--set capex_cny_per_w=3.0``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

import pvlib

from geo.errors import InputError
from layers.schema import USE_CLASSES

_DEFAULT_LOSSES = {
    "soiling": 2,
    "shading": 3,
    "snow": 0,
    "mismatch": 2,
    "wiring": 2,
    "connections": 0.5,
    "lid": 1.5,
    "nameplate_rating": 1,
    "age": 0,
    "availability": 3,
}


@dataclass(frozen=True)
class PVAssumptions:
    """Parameters of the rooftop PV model.

    Attributes
    ----------
    use_shares : dict
        Installable share of roof area per use class.  Default: NEA whole-county rooftop PV
        pilot minima (FACTS.md "PV assumptions": government 50 %, public 40 %, industrial and
        commercial 30 %, rural homes 20 %); urban residential 25 % is an assumption
        (``layers.schema.USE_CLASSES``).
    min_usable_m2 : float
        Smallest usable area for a system, m² (NREL, Gagnon et al. 2016: ≥ 10 m², FACTS.md).
    module_w_per_m2 : float
        Module STC power per m² of module, W/m² (assumption: ≈ 20 % efficient c-Si modules).
    flat_tilt_deg, flat_azimuth_deg : float
        Flat roofs carry rows tilted at this angle, facing this azimuth (assumption: 20°,
        south; deg clockwise from north).
    gcr : float
        Ground-coverage ratio of rows on flat roofs: module area per usable roof area
        (PVWatts v8 default 0.4, FACTS.md).  Pitched roofs carry modules flush (ratio 1).
    pitched_planes : int
        2: a pitched roof is a gable with two planes, the given azimuth and its opposite,
        each over half the footprint; 1: a mono-pitch roof (assumption: 2).
    max_tilt_deg : float
        Steeper roof planes are unsuitable (NREL: tilt ≤ 60°, FACTS.md).
    north_half_width_deg : float
        A plane whose azimuth lies within this many degrees of north is north-facing and
        excluded (NREL: not north-facing; the ±45° width is our reading).
    min_facing_tilt_deg : float
        Planes flatter than this face no direction and are never north-facing.
    tilt_step_deg, azimuth_step_deg : float
        Orientation classes: pvlib runs once per grid class (tilt every ``tilt_step_deg``,
        azimuth every ``azimuth_step_deg``) and each rooftop's yield is interpolated
        bilinearly between the four classes around its orientation (error well below 0.1 %
        at the defaults; the correctness test holds it under 0.5 % against ModelChain).
    gamma_pdc : float
        Module power temperature coefficient, 1/°C (PVWatts v8 standard module, -0.37 %/°C).
    dc_ac_ratio, eta_inv_nom : float
        Inverter sizing and nominal efficiency (PVWatts v8 defaults 1.2 and 0.96, FACTS.md).
    losses : dict
        Arguments of :func:`pvlib.pvsystem.pvwatts_losses` (pvlib defaults ≈ 14 % in total,
        FACTS.md).
    albedo : float
        Ground/roof reflectance seen by the modules (assumption: 0.2).
    transposition_model : str
        Sky diffuse model for :func:`pvlib.irradiance.get_total_irradiance` (PVWatts: perez).
    temp_model_flat, temp_model_pitched : str
        SAPM temperature-model parameter sets (pvlib ``TEMPERATURE_MODEL_PARAMETERS['sapm']``):
        open racks on flat roofs, close mount on pitched roofs.
    min_shading_factor : float
        Rooftops keeping less than this share of unshaded output are unsuitable (NREL: 70 %).
    shading_sectors : int
        Azimuth sectors of the horizon profile.
    shading_min_elevation_deg : float
        Obstructions lower than this elevation angle are ignored (assumption: 10°; below it
        the sun carries little energy and the isotropic sky share sin²(10°) is 3 %).
    shading_max_distance_m : float
        Neighbours farther away are ignored.
    grid_factor_kg_per_kwh : float
        Avoided CO2 per kWh (MEE/NBS 2022 Central China grid 0.5395 kg/kWh, FACTS.md).
    capex_cny_per_w : float
        Installed cost, ¥/W DC, CNY of 2023, without subsidies (**assumption: 3.2 ¥/W**).
        Reviewed against the China Photovoltaic Industry Association (CPIA, 中国光伏行业协会)
        roadmap 《中国光伏产业发展路线图（2023–2024年）》 (published February 2024), which puts
        the 2023 initial total investment of commercial and industrial (工商业) distributed PV
        at about 3.18 ¥/W (ground-mounted utility PV about 3.4 ¥/W), and its 2024–2025
        edition, which reports lower 2024 costs after the module price fall of 2024.  These
        CPIA figures are quoted as the roadmap summaries give them and were not re-checked
        against the roadmap tables for this atlas (no network access while writing it):
        check them before quoting a result.  3.2 ¥/W is the 2023 C&I figure rounded up —
        conservative for 2024–25 C&I builds, optimistic for small residential systems (which
        cost more per W).  The earlier default, 3.5 ¥/W, sat above the 2023 C&I figure.
    opex_cny_per_w_year : float
        Operation and maintenance, insurance and roof rent, ¥/W/yr (assumption: 0.04, about
        1.25 % of capex per year).
    discount_rate : float
        Real discount rate (WACC) of the LCOE, fraction/yr (assumption: 0.05, as the wind
        analysis: 80 % debt near the 5-year LPR and 20 % equity at about 8 %).
    lifetime_years : int
        Economic life of the system, years (assumption: 25, the usual module warranty and
        the life CPIA's LCOE figures use).
    degradation_per_year : float
        Yearly loss of output, fraction/yr (assumption: 0.005; Jordan & Kurtz 2013,
        *Photovoltaic Degradation Rates — an Analytical Review*, Prog. Photovolt. 21: median
        0.5 %/yr; year one's light-induced loss is already in ``losses['lid']``).
    benchmark_cny_per_kwh : float
        Price the LCOE supply curve is compared with (Hubei coal-fired benchmark tariff
        燃煤发电基准价 0.4161 ¥/kWh, NDRC 2019 list, in force since 2020).
    self_consumption_share : float
        Share of output used on site (assumption: 0.7).
    retail_tariff_cny_per_kwh : float
        Value of self-consumed kWh: avoided purchase price (assumption: 0.65 ¥/kWh, Hubei
        general industrial and commercial, approximate).
    export_tariff_cny_per_kwh : float
        Price of exported kWh (assumption: 0.4161 ¥/kWh, Hubei coal-fired benchmark price).
    rank_by : str
        Column ranked within each county: kwh_per_year, kwp, kwh_per_kwp (descending) or
        payback_years (ascending).
    """

    use_shares: dict = field(default_factory=lambda: dict(USE_CLASSES))
    min_usable_m2: float = 10.0
    module_w_per_m2: float = 200.0
    flat_tilt_deg: float = 20.0
    flat_azimuth_deg: float = 180.0
    gcr: float = 0.4
    pitched_planes: int = 2
    max_tilt_deg: float = 60.0
    north_half_width_deg: float = 45.0
    min_facing_tilt_deg: float = 10.0
    tilt_step_deg: float = 2.5
    azimuth_step_deg: float = 5.0
    gamma_pdc: float = -0.0037
    dc_ac_ratio: float = 1.2
    eta_inv_nom: float = 0.96
    losses: dict = field(default_factory=lambda: dict(_DEFAULT_LOSSES))
    albedo: float = 0.2
    transposition_model: str = "perez"
    temp_model_flat: str = "open_rack_glass_polymer"
    temp_model_pitched: str = "close_mount_glass_glass"
    min_shading_factor: float = 0.7
    shading_sectors: int = 16
    shading_min_elevation_deg: float = 10.0
    shading_max_distance_m: float = 300.0
    grid_factor_kg_per_kwh: float = 0.5395
    capex_cny_per_w: float = 3.2
    opex_cny_per_w_year: float = 0.04
    discount_rate: float = 0.05
    lifetime_years: int = 25
    degradation_per_year: float = 0.005
    benchmark_cny_per_kwh: float = 0.4161
    self_consumption_share: float = 0.7
    retail_tariff_cny_per_kwh: float = 0.65
    export_tariff_cny_per_kwh: float = 0.4161
    rank_by: str = "kwh_per_year"

    def __post_init__(self) -> None:
        _check(self)

    def replace(self, **changes) -> PVAssumptions:
        """A copy with ``changes`` applied (validated); unknown names raise InputError."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            msg = f"unknown PV assumption(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}"
            raise InputError(msg)
        return dataclasses.replace(self, **changes)

    def with_overrides(self, pairs: list[str] | None) -> PVAssumptions:
        """Apply ``["name=value", ...]`` strings (values parsed as JSON, else kept as text)."""
        changes = {}
        for pair in pairs or []:
            if "=" not in pair:
                msg = f"--set {pair!r}: write NAME=VALUE, e.g. capex_cny_per_w=3.0"
                raise InputError(msg)
            name, text = pair.split("=", 1)
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                value = text
            changes[name.strip()] = value
        return self.replace(**changes) if changes else self

    @property
    def losses_percent(self) -> float:
        """Total DC losses, % (:func:`pvlib.pvsystem.pvwatts_losses`)."""
        return float(pvlib.pvsystem.pvwatts_losses(**self.losses))

    def as_dict(self) -> dict:
        """Flat dict of every parameter, for assumption sheets (shares and losses spelled out)."""
        out: dict = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "use_shares":
                for cls, share in value.items():
                    out[f"use_share_{cls}"] = share
            elif f.name == "losses":
                for name, pct in value.items():
                    out[f"loss_{name}_percent"] = pct
                out["losses_total_percent"] = round(self.losses_percent, 2)
            else:
                out[f.name] = value
        return out

    def yield_key(self) -> tuple:
        """The parameters that change per-class yields (for caching)."""
        return (
            self.gamma_pdc,
            self.dc_ac_ratio,
            self.eta_inv_nom,
            tuple(sorted(self.losses.items())),
            self.albedo,
            self.transposition_model,
            self.temp_model_flat,
            self.temp_model_pitched,
            self.shading_sectors,
        )


_RANK_BY = ("kwh_per_year", "kwp", "kwh_per_kwp", "payback_years")


def _check(a: PVAssumptions) -> None:
    def bad(name: str, why: str) -> None:
        msg = f"PV assumption {name}={getattr(a, name)!r}: {why}"
        raise InputError(msg)

    for cls, share in a.use_shares.items():
        if not isinstance(share, int | float) or not 0.0 <= float(share) <= 1.0:
            msg = f"PV assumption use_shares[{cls!r}]={share!r}: must be a share between 0 and 1"
            raise InputError(msg)
    for name in (
        "min_usable_m2",
        "module_w_per_m2",
        "capex_cny_per_w",
        "opex_cny_per_w_year",
        "grid_factor_kg_per_kwh",
        "retail_tariff_cny_per_kwh",
        "export_tariff_cny_per_kwh",
        "shading_max_distance_m",
        "benchmark_cny_per_kwh",
    ):
        if not isinstance(getattr(a, name), int | float) or getattr(a, name) < 0:
            bad(name, "must be a number ≥ 0")
    if not 0.0 < a.gcr <= 1.0:
        bad("gcr", "ground-coverage ratio must be in (0, 1]")
    for name in ("flat_tilt_deg", "max_tilt_deg", "min_facing_tilt_deg", "shading_min_elevation_deg"):
        if not 0.0 <= getattr(a, name) <= 90.0:
            bad(name, "an angle between 0 and 90 degrees")
    if not 0.0 <= a.north_half_width_deg <= 180.0:
        bad("north_half_width_deg", "between 0 and 180 degrees")
    if a.pitched_planes not in (1, 2):
        bad("pitched_planes", "1 (mono-pitch) or 2 (gable)")
    if not 0.0 <= a.self_consumption_share <= 1.0 or not 0.0 <= a.min_shading_factor <= 1.0:
        bad("self_consumption_share", "shares must be between 0 and 1")
    if not isinstance(a.discount_rate, int | float) or not 0.0 <= a.discount_rate < 0.5:
        bad("discount_rate", "a real rate per year between 0 and 0.5, e.g. 0.05 for 5 %")
    if (
        not isinstance(a.lifetime_years, int | float)
        or int(a.lifetime_years) != a.lifetime_years
        or a.lifetime_years < 1
    ):
        bad("lifetime_years", "a whole number of years ≥ 1")
    if not isinstance(a.degradation_per_year, int | float) or not 0.0 <= a.degradation_per_year < 0.2:
        bad("degradation_per_year", "a fraction per year between 0 and 0.2, e.g. 0.005 for 0.5 %/yr")
    if a.tilt_step_deg <= 0 or a.azimuth_step_deg <= 0:
        bad("tilt_step_deg", "steps must be > 0")
    if a.dc_ac_ratio <= 0 or not 0 < a.eta_inv_nom <= 1:
        bad("dc_ac_ratio", "dc_ac_ratio > 0 and 0 < eta_inv_nom ≤ 1")
    if a.rank_by not in _RANK_BY:
        bad("rank_by", f"one of {', '.join(_RANK_BY)}")
    if a.shading_sectors < 4:
        bad("shading_sectors", "at least 4")
    sapm = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]
    for name in ("temp_model_flat", "temp_model_pitched"):
        if getattr(a, name) not in sapm:
            bad(name, f"one of {', '.join(sapm)}")
    if a.transposition_model not in ("isotropic", "klucher", "haydavies", "reindl", "king", "perez", "perez-driesse"):
        bad("transposition_model", "a pvlib get_total_irradiance model, e.g. perez")
    try:
        pvlib.pvsystem.pvwatts_losses(**a.losses)
    except TypeError as exc:
        msg = f"PV assumption losses={a.losses!r}: {exc}"
        raise InputError(msg) from None
