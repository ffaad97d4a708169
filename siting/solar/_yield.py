"""Per-orientation-class PV yields with pvlib, vectorised over hours × classes.

A class is one mounting: (mount, tilt, azimuth of plane 1, azimuth of plane 2 or NaN).
For each class, pvlib's PVWatts chain (the same steps and functions ModelChain.with_pvwatts
runs) gives hourly AC output per kWp DC; rooftops then broadcast their class's annual and
monthly kWh/kWp.  The steps, mirroring :class:`pvlib.modelchain.ModelChain`:

solar position (``Location.get_solarposition`` with pressure from altitude and the weather's
air temperature) → relative airmass (Kasten–Young 1989) → plane-of-array irradiance
(:func:`pvlib.irradiance.get_total_irradiance`, Perez by default, extraterrestrial DNI by
Spencer) → incidence-angle modifier (:func:`pvlib.iam.physical`) → SAPM cell temperature →
:func:`pvlib.pvsystem.pvwatts_dc` → :func:`pvlib.pvsystem.pvwatts_losses` →
:func:`pvlib.inverter.pvwatts` (sized at ``dc_ac_ratio``; a gable's two planes share one
inverter, as ``pvwatts_multi`` does).

The same pass builds each class's shading table: the fraction of the class's annual effective
irradiance blocked when the horizon in azimuth sector *s* rises to elevation *e* degrees —
beam from the hours with the sun in *s* below *e*, plus an isotropic share
``sin²(e) / sectors`` of sky diffuse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pvlib
import scipy.sparse

from geo.cache import memoize
from siting.solar.assumptions import PVAssumptions
from siting.solar.weather import Weather

MOUNT_FLAT, MOUNT_PITCHED = 0, 1
N_ELEV = 91  # shading-table elevation bins, 0..90 degrees


@dataclass(frozen=True, eq=False)
class ClassTable:
    """Yields per orientation class.

    Attributes
    ----------
    keys : ndarray, shape (C, 4)
        mount, tilt_deg, azimuth1_deg, azimuth2_deg (NaN for one plane).
    annual_kwh_per_kwp : ndarray, shape (C,)
        Unshaded AC kWh per kWp DC per year.
    monthly_kwh_per_kwp : ndarray, shape (C, 12)
        Unshaded AC kWh per kWp per calendar month (mean year).
    shade_table : ndarray, shape (C, sectors, 91)
        Fraction of annual effective irradiance lost for a horizon of e degrees in a sector.
    """

    keys: np.ndarray
    annual_kwh_per_kwp: np.ndarray
    monthly_kwh_per_kwp: np.ndarray
    shade_table: np.ndarray

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Class index of each row of ``keys`` (every row must be in the table)."""
        table = pd.MultiIndex.from_arrays([np.nan_to_num(self.keys[:, k], nan=-1.0) for k in range(4)])
        query = pd.MultiIndex.from_arrays([np.nan_to_num(keys[:, k], nan=-1.0) for k in range(4)])
        idx = table.get_indexer(query)
        if (idx < 0).any():
            msg = "orientation class missing from the class table (internal error)"
            raise RuntimeError(msg)
        return idx


@dataclass(frozen=True, eq=False)
class _Sun:
    times: pd.DatetimeIndex
    apparent_zenith: np.ndarray
    azimuth: np.ndarray
    apparent_elevation: np.ndarray
    airmass: np.ndarray
    dni_extra: np.ndarray
    ghi: np.ndarray
    dni: np.ndarray
    dhi: np.ndarray
    temp_air: np.ndarray
    wind_speed: np.ndarray
    month: np.ndarray
    years: float


@memoize(8, key=lambda weather: weather.key)
def sun_for(weather: Weather) -> _Sun:
    """Solar position, airmass and extraterrestrial DNI for the weather (cached by content)."""
    data = weather.data
    loc = location_for(weather)
    solpos = loc.get_solarposition(data.index, temperature=data["temp_air"])
    airmass = loc.get_airmass(solar_position=solpos, model="kastenyoung1989")
    dni_extra = pvlib.irradiance.get_extra_radiation(data.index)
    return _Sun(
        data.index,
        solpos["apparent_zenith"].to_numpy(),
        solpos["azimuth"].to_numpy(),
        solpos["apparent_elevation"].to_numpy(),
        airmass["airmass_relative"].to_numpy(),
        np.asarray(dni_extra, dtype=float),
        data["ghi"].to_numpy(),
        data["dni"].to_numpy(),
        data["dhi"].to_numpy(),
        data["temp_air"].to_numpy(),
        data["wind_speed"].to_numpy(),
        data.index.month.to_numpy() - 1,
        weather.years,
    )


def location_for(weather: Weather) -> pvlib.location.Location:
    """The pvlib Location of the weather site.

    Its ``tz`` is UTC: every time stamp passed in is tz-aware, so the Location's own zone is
    never used (and fixed offsets such as an EPW's UTC+08:00 are not zoneinfo keys).
    """
    return pvlib.location.Location(weather.latitude, weather.longitude, tz="UTC", altitude=weather.altitude)


def class_table(keys: np.ndarray, weather: Weather, assumptions: PVAssumptions, *, chunk: int = 96) -> ClassTable:
    """Compute yields and shading tables for the distinct classes in ``keys`` (cached).

    Parameters
    ----------
    keys : ndarray, shape (C, 4)
        Distinct class keys (see :class:`ClassTable`).
    weather : Weather
        Hourly weather.
    assumptions : PVAssumptions
        System parameters.
    chunk : int
        Classes per vectorised pvlib pass (bounds memory: hours × planes × chunk).
    """
    keys = np.asarray(keys, dtype=float).reshape(-1, 4)
    cache_key = (weather.key, assumptions.yield_key())
    hits = _table_cache(cache_key)
    missing = [k for k in map(_key_tuple, keys) if k not in hits]
    if missing:
        arr = np.array(missing, dtype=float)
        arr[:, 3] = np.where(arr[:, 3] < 0, np.nan, arr[:, 3])  # -1 marks "no second plane"
        for start in range(0, len(arr), chunk):  # loop over chunks of classes, not rooftops
            part = arr[start : start + chunk]
            annual, monthly, shade = _compute_classes(part, sun_for(weather), assumptions)
            for i, k in enumerate(part):
                hits[_key_tuple(k)] = (annual[i], monthly[i], shade[i])
    rows = [hits[k] for k in map(_key_tuple, keys)]
    return ClassTable(
        keys,
        np.array([r[0] for r in rows], dtype=float),
        np.array([r[1] for r in rows], dtype=float).reshape(-1, 12),
        np.array([r[2] for r in rows], dtype=np.float32).reshape(len(rows), assumptions.shading_sectors, N_ELEV),
    )


@memoize(4)
def _table_cache(cache_key: tuple) -> dict:
    """The (growing) table of computed classes for one weather and assumption set."""
    return {}


def _key_tuple(row: np.ndarray) -> tuple:
    return tuple(-1.0 if np.isnan(v) else round(float(v), 6) for v in row)


def _compute_classes(keys: np.ndarray, sun: _Sun, a: PVAssumptions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hourly PVWatts chain for a chunk of classes; returns annual, monthly, shade tables."""
    n_cls = len(keys)
    two = ~np.isnan(keys[:, 3])
    # planes: every class has plane 1; gables also plane 2
    plane_cls = np.concatenate([np.arange(n_cls), np.flatnonzero(two)])
    plane_tilt = keys[plane_cls, 1]
    plane_az = np.concatenate([keys[:, 2], keys[two, 3]])
    plane_weight = np.where(two[plane_cls], 0.5, 1.0)
    mount = keys[plane_cls, 0]
    # only hours with light: with zero irradiance every step gives 0 W (as ModelChain does)
    lit = (sun.ghi > 0) | (sun.dhi > 0) | (sun.dni > 0)
    sun_l = {
        name: getattr(sun, name)[lit]
        for name in (
            "apparent_zenith",
            "azimuth",
            "apparent_elevation",
            "airmass",
            "dni_extra",
            "ghi",
            "dni",
            "dhi",
            "temp_air",
            "wind_speed",
            "month",
        )
    }
    n_t, n_p = int(lit.sum()), len(plane_cls)

    def col(x: np.ndarray) -> np.ndarray:  # hourly series → (T, P) flattened
        return np.repeat(x, n_p)

    def row(x: np.ndarray) -> np.ndarray:  # per-plane → (T, P) flattened
        return np.tile(x, n_t)

    tilt, az = row(plane_tilt), row(plane_az)
    zen, sazi = col(sun_l["apparent_zenith"]), col(sun_l["azimuth"])
    # get_total_irradiance's steps, with the angle of incidence computed once
    aoi = pvlib.irradiance.aoi(tilt, az, zen, sazi)
    ghi, dhi, dni = col(sun_l["ghi"]), col(sun_l["dhi"]), col(sun_l["dni"])
    poa_sky = pvlib.irradiance.get_sky_diffuse(
        tilt,
        az,
        zen,
        sazi,
        dni,
        ghi,
        dhi,
        dni_extra=col(sun_l["dni_extra"]),
        airmass=col(sun_l["airmass"]),
        model=a.transposition_model,
    )
    poa_ground = pvlib.irradiance.get_ground_diffuse(tilt, ghi, albedo=a.albedo)
    irr = pvlib.irradiance.poa_components(aoi, dni, poa_sky, poa_ground)
    iam = pvlib.iam.physical(aoi)
    poa_direct = np.nan_to_num(np.asarray(irr["poa_direct"], dtype=float))
    poa_diffuse = np.nan_to_num(np.asarray(irr["poa_diffuse"], dtype=float))
    poa_sky = np.nan_to_num(np.asarray(poa_sky, dtype=float))
    poa_global = np.nan_to_num(np.asarray(irr["poa_global"], dtype=float))
    beam_eff = poa_direct * iam
    eff = beam_eff + poa_diffuse
    sapm = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]
    pa = {
        name: np.where(mount == MOUNT_FLAT, sapm[a.temp_model_flat][name], sapm[a.temp_model_pitched][name])
        for name in ("a", "b", "deltaT")
    }
    tcell = pvlib.temperature.sapm_cell(
        poa_global, col(sun_l["temp_air"]), col(sun_l["wind_speed"]), row(pa["a"]), row(pa["b"]), row(pa["deltaT"])
    )
    dc = pvlib.pvsystem.pvwatts_dc(eff, tcell, 1000.0, a.gamma_pdc)  # W per kWp of the plane
    dc = np.nan_to_num(np.asarray(dc, dtype=float)) * (100.0 - a.losses_percent) / 100.0
    dc = dc.reshape(n_t, n_p) * plane_weight  # W per kWp of the class
    # sum planes of a class (gable planes share one inverter)
    agg = scipy.sparse.csr_matrix((np.ones(n_p), (np.arange(n_p), plane_cls)), shape=(n_p, n_cls))
    dc_cls = np.asarray(dc @ agg)
    pdc0_inv = 1000.0 / a.dc_ac_ratio / a.eta_inv_nom
    ac = pvlib.inverter.pvwatts(dc_cls, pdc0_inv, eta_inv_nom=a.eta_inv_nom)
    ac = np.nan_to_num(np.asarray(ac, dtype=float))  # W per kWp, hourly
    annual = ac.sum(axis=0) / 1000.0 / sun.years
    onehot_m = scipy.sparse.csr_matrix((np.ones(n_t), (sun_l["month"], np.arange(n_t))), shape=(12, n_t))
    monthly = np.asarray(onehot_m @ ac).T / 1000.0 / sun.years

    # shading tables (per class): beam by sun sector × elevation bin, plus sky diffuse share
    beam_cls = np.asarray((beam_eff.reshape(n_t, n_p) * plane_weight) @ agg)
    eff_cls = np.asarray((eff.reshape(n_t, n_p) * plane_weight) @ agg)
    sky_cls = np.asarray((poa_sky.reshape(n_t, n_p) * plane_weight) @ agg)
    total = np.maximum(eff_cls.sum(axis=0), 1e-9)
    n_sec = a.shading_sectors
    up = sun_l["apparent_elevation"] > 0
    sector = np.floor((sun_l["azimuth"] % 360.0) / (360.0 / n_sec)).astype(int) % n_sec
    ebin = np.clip(np.floor(sun_l["apparent_elevation"]), 0, N_ELEV - 1).astype(int)
    bins = sector * N_ELEV + ebin
    onehot_b = scipy.sparse.csr_matrix((up.astype(float), (bins, np.arange(n_t))), shape=(n_sec * N_ELEV, n_t))
    beam_binned = np.asarray(onehot_b @ beam_cls).reshape(n_sec, N_ELEV, n_cls)
    # blocked if the sun is below the horizon elevation e: exclusive cumulative sum
    blocked = np.concatenate([np.zeros((n_sec, 1, n_cls)), np.cumsum(beam_binned, axis=1)[:, :-1]], axis=1)
    e = np.radians(np.arange(N_ELEV))
    sky_share = (np.sin(e) ** 2 / n_sec)[None, :, None] * (sky_cls.sum(axis=0) / total)[None, None, :]
    shade = np.clip(blocked / total[None, None, :] + sky_share, 0.0, 1.0)
    return annual, monthly, np.moveaxis(shade, 2, 0).astype(np.float32)


def modelchain_kwh(
    tilt_deg: float, azimuths_deg: list[float], kwp: float, mount: int, weather: Weather, assumptions: PVAssumptions
) -> float:
    """Annual AC kWh of one rooftop system by a direct :class:`pvlib.modelchain.ModelChain` run.

    The reference the vectorised engine is tested against (and timed against in the
    benchmark): one PVSystem with one Array per plane, each ``kwp / len(azimuths_deg)``.
    """
    a = assumptions
    sapm = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]
    temp_params = sapm[a.temp_model_flat if mount == MOUNT_FLAT else a.temp_model_pitched]
    n = len(azimuths_deg)
    arrays = [
        pvlib.pvsystem.Array(
            pvlib.pvsystem.FixedMount(surface_tilt=tilt_deg, surface_azimuth=az),
            albedo=a.albedo,
            module_parameters={"pdc0": kwp * 1000.0 / n, "gamma_pdc": a.gamma_pdc},
            temperature_model_parameters=temp_params,
            name=f"plane{i}",
        )
        for i, az in enumerate(azimuths_deg)
    ]
    system = pvlib.pvsystem.PVSystem(
        arrays=arrays,
        inverter_parameters={"pdc0": kwp * 1000.0 / a.dc_ac_ratio / a.eta_inv_nom, "eta_inv_nom": a.eta_inv_nom},
        losses_parameters=a.losses,
    )
    mc = pvlib.modelchain.ModelChain.with_pvwatts(
        system, location_for(weather), transposition_model=a.transposition_model
    )
    mc.run_model(weather.data)
    return float(mc.results.ac.sum() / 1000.0 / weather.years)
