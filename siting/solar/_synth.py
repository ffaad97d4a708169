"""Build the default Xiangyang hourly weather year offline from station climatology.

Source: China Daily Solar Radiation Dataset (CDSRD), station 57278 襄阳 (32.00 N, 112.08 E,
159 m), mean daily GHI and DHI per month 1991–2016 (FACTS.md, "Solar resource (station
climatology)"); air temperature from approximate central-Hubei normals (FACTS.md: January
≈ 3 °C, July ≈ 28 °C, annual ≈ 16 °C).

Method (deterministic, seed 57278):

1. Hourly clear-sky GHI from :meth:`pvlib.location.Location.get_clearsky` (Ineichen with
   pvlib's bundled Linke turbidity climatology) at the station, for a non-leap year, time
   stamps at the middle of each hour in China Standard Time (UTC+8).
2. Day-to-day variability: a daily clear-sky index per day drawn from a beta distribution
   whose mean is the month's ratio of target GHI to clear-sky GHI, with lag-one
   autocorrelation 0.5 between days (a Gaussian AR(1) mapped through the beta quantile
   function).  The hourly GHI is clear-sky GHI times the day's index, then every month is
   rescaled so its mean daily GHI equals the CDSRD figure exactly.
3. Diffuse: hourly Erbs decomposition (:func:`pvlib.irradiance.erbs`) gives a shape (overcast
   days mostly diffuse, clear days mostly beam); each month's DHI is rescaled to the CDSRD
   monthly mean daily DHI (diffuse fraction honoured), capped at GHI.  DNI closes the
   balance ``dni = (ghi - dhi) / cos(zenith)`` through :func:`pvlib.irradiance.dni`
   (zero with the sun within 2° of the horizon, capped near it by the clear-sky DNI).
4. Air temperature: a cosine annual cycle through the January and July normals, a daily
   cycle of ±4 °C (minimum near 06:00, maximum near 15:00) scaled by the day's clearness,
   and day-to-day AR(1) noise with 2 °C standard deviation.  Wind speed: a constant
   2 m/s (approximate; it only enters the cell-temperature model).

Limits: this is a climatological year, not measured data.  CDSRD itself is reconstructed
from sunshine duration.  Hour-to-hour cloud variability within a day is not modelled
(each day is a scaled clear-sky day), which slightly overstates clipping-free operation and
understates very short ramps; annual and monthly energy, and the diffuse share, are right
by construction.  Replace it with real hourly weather (EPW, TMY3, CSV) where available.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
from scipy import stats

#: CDSRD station 57278 襄阳 (FACTS.md "Solar resource"): latitude, longitude (deg), altitude (m).
STATION_57278 = {"name": "CDSRD 57278 襄阳 Xiangyang", "latitude": 32.00, "longitude": 112.08, "altitude": 159.0}
#: Mean daily GHI per month, kWh/m²/day, CDSRD 57278, 1991–2016 (FACTS.md).
GHI_KWH_M2_DAY = np.array([2.04, 2.61, 3.38, 4.32, 4.69, 4.69, 4.65, 4.32, 3.62, 3.01, 2.35, 1.97])
#: Mean daily DHI per month, kWh/m²/day, CDSRD 57278, 1991–2016 (FACTS.md).
DHI_KWH_M2_DAY = np.array([1.24, 1.53, 1.94, 2.37, 2.61, 2.73, 2.73, 2.50, 2.02, 1.64, 1.29, 1.15])
#: Approximate central-Hubei air temperature normals, °C (FACTS.md): January, July.
T_JAN_C, T_JUL_C = 3.0, 28.0
#: Annual GHI, kWh/m², station 57278 (FACTS.md: ≈ 1,269).
ANNUAL_GHI_KWH_M2 = 1269.0
TZ = "Etc/GMT-8"  # China Standard Time, UTC+8, no daylight saving
YEAR = 2023
_SEED = 57278


def synth_weather_frame() -> pd.DataFrame:
    """Hourly ghi, dni, dhi (W/m²), temp_air (°C), wind_speed (m/s) for one year (see module)."""
    rng = np.random.default_rng(_SEED)
    times = pd.date_range(f"{YEAR}-01-01 00:30", periods=8760, freq="h", tz=TZ)
    loc = pvlib.location.Location(
        STATION_57278["latitude"], STATION_57278["longitude"], tz=TZ, altitude=STATION_57278["altitude"]
    )
    solpos = loc.get_solarposition(times)
    clear = loc.get_clearsky(times, model="ineichen", solar_position=solpos)
    cs = clear["ghi"].to_numpy()
    month = times.month.to_numpy() - 1
    doy = times.day_of_year.to_numpy() - 1
    days_in_month = np.bincount(month, minlength=12) / 24.0

    # daily clear-sky index: beta marginal, AR(1) correlated across days
    cs_month_day = np.bincount(month, weights=cs, minlength=12) / 1000.0 / days_in_month
    k_mean = np.clip(GHI_KWH_M2_DAY / cs_month_day, 0.05, 0.95)
    n_days = 365
    z = np.empty(n_days)
    z[0] = rng.standard_normal()
    eps = rng.standard_normal(n_days)
    rho = 0.5
    for d in range(1, n_days):  # 365 steps, not a loop over rooftops
        z[d] = rho * z[d - 1] + np.sqrt(1 - rho**2) * eps[d]
    u = stats.norm.cdf(z)
    day_month = pd.date_range(f"{YEAR}-01-01", periods=n_days, freq="D").month.to_numpy() - 1
    conc = 4.0  # a + b of the beta distribution: daily sd of the index ≈ 0.2
    a = k_mean[day_month] * conc
    b = (1 - k_mean[day_month]) * conc
    k_day = stats.beta.ppf(u, a, b)
    ghi = cs * k_day[doy]
    # rescale each month to the CDSRD mean daily GHI
    got = np.bincount(month, weights=ghi, minlength=12) / 1000.0 / days_in_month
    ghi = ghi * (GHI_KWH_M2_DAY / got)[month]

    # diffuse: Erbs shape, scaled per month to the CDSRD DHI, capped at GHI
    zenith = solpos["zenith"].to_numpy()
    erbs = pvlib.irradiance.erbs(ghi, zenith, times)
    dhi = np.asarray(erbs["dhi"], dtype=float)
    dhi = np.where(zenith >= 87.0, ghi, dhi)  # sun at the horizon: all diffuse
    for _ in range(8):
        got = np.bincount(month, weights=dhi, minlength=12) / 1000.0 / days_in_month
        dhi = np.minimum(dhi * (DHI_KWH_M2_DAY / got)[month], ghi)
    dni = pvlib.irradiance.dni(
        pd.Series(ghi, index=times), pd.Series(dhi, index=times), solpos["zenith"], dni_clear=clear["dni"]
    )
    dni = dni.fillna(0.0).to_numpy()  # NaN: negative closure, or the sun at the horizon

    # air temperature
    day_of_year = np.arange(n_days)
    mean_t = (T_JAN_C + T_JUL_C) / 2.0
    amp_t = (T_JUL_C - T_JAN_C) / 2.0
    t_day = mean_t - amp_t * np.cos(2 * np.pi * (day_of_year - 15) / 365.0)
    noise = np.empty(n_days)
    noise[0] = 0.0
    eps_t = rng.standard_normal(n_days) * 2.0
    for d in range(1, n_days):
        noise[d] = 0.7 * noise[d - 1] + np.sqrt(1 - 0.49) * eps_t[d]
    noise_month_mean = np.bincount(day_month, weights=noise) / np.bincount(day_month)
    t_day = t_day + noise - noise_month_mean[day_month]  # keep the monthly normals
    hour = times.hour.to_numpy() + 0.5
    h = np.where(hour < 6.0, hour + 24.0, hour)
    diurnal = np.where(
        h <= 15.0,
        -np.cos(np.pi * (h - 6.0) / 9.0),  # 06:00 min → 15:00 max
        np.cos(np.pi * (h - 15.0) / 15.0),
    )  # 15:00 max → 06:00 min
    swing = 4.0 * (0.5 + k_day[doy])  # clear days swing more
    temp_air = t_day[doy] + swing * diurnal
    frame = pd.DataFrame(
        {"ghi": ghi, "dni": dni, "dhi": dhi, "temp_air": temp_air, "wind_speed": np.full(len(times), 2.0)}, index=times
    )
    frame.index.name = "time"
    return frame
