"""Hourly weather for PV yields: EPW, TMY3, plain CSV, and the offline Xiangyang default.

Every reader returns a :class:`Weather`: an hourly frame with columns ``ghi``, ``dni``,
``dhi`` (W/m²), ``temp_air`` (°C) and ``wind_speed`` (m/s), indexed by time-zone aware
time stamps at the **middle** of each hour (so solar position is computed where the hour's
energy is), plus the site (latitude, longitude, altitude) and the list of repairs made.

Plain CSV format (``read_csv_weather``)
---------------------------------------
One row per hour, a header line, UTF-8 (a BOM is fine).  Columns:

``time``
    ISO 8601 time stamp of the **start** of the hour, e.g. ``2023-01-01T00:00+08:00``.  Without
    an offset in the text, pass ``tz=`` (e.g. ``"Asia/Shanghai"``).
``ghi``, ``dhi``
    Global and diffuse horizontal irradiance, mean over the hour, W/m² (= Wh/m² per hour).
``dni`` (optional)
    Direct normal irradiance, W/m²; computed from ghi and dhi when absent.
``temp_air`` (optional)
    Air temperature, °C; 20 °C is used (and reported) when absent.
``wind_speed`` (optional)
    Wind speed, m/s; 1 m/s is used (and reported) when absent.

Checks and repairs (``validate_weather``): missing hours and empty values in runs of at most
``max_gap_hours`` are filled by linear interpolation (irradiance set to 0 with the sun below
the horizon) and reported; longer gaps, irradiance in kWh/m² (maximum GHI below 2), GHI above
1,500 W/m², temperatures in kelvin, less than a year of data, and time stamps whose
irradiance is centred more than an hour from solar noon (wrong time zone) raise
:class:`geo.errors.InputError`.  Small negative irradiance (> -20 W/m²) is set to 0 and DHI
above GHI is capped, both reported.

Why one module over 500 lines: the EPW, TMY3 and CSV readers end in the one
:func:`validate_weather` pass, kept beside them so every source is checked the same way.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib

from geo.atomic import atomic_write_text
from geo.cache import memoize
from geo.errors import InputError, describe_rows
from siting.solar import _synth

WEATHER_COLUMNS = ("ghi", "dni", "dhi", "temp_air", "wind_speed")


@dataclass(frozen=True, eq=False)
class Weather:
    """An hourly weather series at one site.

    Attributes
    ----------
    data : pandas.DataFrame
        Columns ghi, dni, dhi (W/m²), temp_air (°C), wind_speed (m/s); tz-aware index at
        the middle of each hour.
    latitude, longitude : float
        Site, degrees (WGS84).
    altitude : float
        Site altitude, m.
    name : str
        What the data is (station, file).
    source : str
        ``"synthetic"`` for the built-in default, else the file path or ``"user"``.
    repairs : tuple of str
        Repairs made while reading (gaps filled, values capped, ...), for reports.
    """

    data: pd.DataFrame
    latitude: float
    longitude: float
    altitude: float = 0.0
    name: str = ""
    source: str = "user"
    repairs: tuple[str, ...] = field(default=())

    @property
    def years(self) -> float:
        """How many years of hours the series holds (8,760 h = 1)."""
        return len(self.data) / 8760.0

    @property
    def annual_ghi_kwh_m2(self) -> float:
        """Mean annual global horizontal irradiation, kWh/m²/yr."""
        return float(self.data["ghi"].sum() / 1000.0 / self.years)

    def monthly_ghi_kwh_m2_day(self) -> pd.Series:
        """Mean daily GHI per calendar month (1–12), kWh/m²/day."""
        ghi = self.data["ghi"]
        month = ghi.index.month
        total = ghi.groupby(month).sum() / 1000.0
        days = ghi.groupby(month).size() / 24.0
        return total / days

    @functools.cached_property
    def key(self) -> str:
        """A content hash identifying this weather (for caching per-class yields)."""
        h = hashlib.sha1()
        h.update(np.ascontiguousarray(self.data[list(WEATHER_COLUMNS)].to_numpy()).tobytes())
        h.update(np.asarray(self.data.index.asi8).tobytes())
        h.update(repr((self.latitude, self.longitude, self.altitude)).encode())
        return h.hexdigest()[:16]

    @property
    def period(self) -> str:
        """First and last day of the series (``"2019-01-01 – 2019-12-31"``); a typical or
        synthetic year carries the year its time stamps were given."""
        index = self.data.index
        if not len(index):
            return ""
        return f"{index[0]:%Y-%m-%d} – {index[-1]:%Y-%m-%d}"

    def describe(self) -> dict:
        """A small dict for assumption sheets and reports."""
        return {
            "weather": self.name,
            "weather_source": self.source,
            "weather_site": f"{self.latitude:.3f} N, {self.longitude:.3f} E, {self.altitude:.0f} m",
            "weather_annual_ghi_kwh_m2": round(self.annual_ghi_kwh_m2, 1),
            "weather_period": self.period,
            "weather_repairs": "; ".join(self.repairs) or "none",
        }


@memoize(1)
def default_weather() -> Weather:
    """The built-in Xiangyang weather year (synthetic, from CDSRD 57278 climatology; cached).

    See :mod:`siting.solar._synth` for the method and its limits.  Annual GHI is
    1,268 kWh/m² (FACTS.md: ≈ 1,269 kWh/m² at station 57278).
    """
    st = _synth.STATION_57278
    return Weather(
        _synth.synth_weather_frame(),
        st["latitude"],
        st["longitude"],
        st["altitude"],
        name=f"{st['name']} synthetic hourly year from monthly climatology",
        source="synthetic",
    )


# -- readers ----------------------------------------------------------------------------------
def read_weather(
    path: str | os.PathLike,
    *,
    tz: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    altitude: float | None = None,
    max_gap_hours: int = 6,
) -> Weather:
    """Read an EPW, TMY3 or plain CSV weather file (chosen from suffix and content).

    Parameters
    ----------
    path : path-like
        ``.epw`` → :func:`read_epw`; ``.csv`` → TMY3 if its first line is a TMY3 header,
        else :func:`read_csv_weather`.
    tz, latitude, longitude, altitude
        For plain CSV only (see :func:`read_csv_weather`).
    max_gap_hours : int
        Longest run of missing hours that is repaired by interpolation.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"weather file {path} does not exist; pass an EPW, TMY3 or CSV file"
        raise InputError(msg)
    suffix = path.suffix.lower()
    if suffix == ".epw":
        return read_epw(path, max_gap_hours=max_gap_hours)
    if suffix == ".csv":
        if _looks_like_tmy3(path):
            return read_tmy3(path, max_gap_hours=max_gap_hours)
        return read_csv_weather(
            path, tz=tz, latitude=latitude, longitude=longitude, altitude=altitude, max_gap_hours=max_gap_hours
        )
    msg = f"weather file {path}: unknown suffix {path.suffix!r}; use .epw, or .csv (TMY3 or plain)"
    raise InputError(msg)


def _looks_like_tmy3(path: Path) -> bool:
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        first = fh.readline()
        second = fh.readline()
    return first.count(",") == 6 and second.startswith("Date (MM/DD/YYYY)")


def read_epw(path: str | os.PathLike, *, max_gap_hours: int = 6) -> Weather:
    """Read an EnergyPlus weather file with :func:`pvlib.iotools.read_epw` and validate it.

    EPW rows are numbered by the hour they end (hour 1 = 00:00–01:00); pvlib (≥ 0.10) indexes
    them at the start of the hour in the file's fixed UTC offset; they are moved to the middle
    of the hour.  A typical-year file's mixed years are set to one year.
    """
    path = Path(path)
    try:
        data, meta = pvlib.iotools.read_epw(path, coerce_year=2023)
    except Exception as exc:  # pvlib raises assorted parse errors
        msg = f"weather file {path}: not a readable EPW file ({type(exc).__name__}: {exc})"
        raise InputError(msg) from None
    frame = data[list(WEATHER_COLUMNS)].copy()
    frame.index = frame.index + pd.Timedelta(minutes=30)
    frame = frame.sort_index()
    name = f"EPW {meta.get('city', '')} {meta.get('WMO_code', '')}".strip()
    weather = Weather(
        frame,
        float(meta["latitude"]),
        float(meta["longitude"]),
        float(meta.get("altitude", 0.0)),
        name=name,
        source=str(path),
    )
    return validate_weather(weather, label=str(path), max_gap_hours=max_gap_hours)


def read_tmy3(path: str | os.PathLike, *, max_gap_hours: int = 6) -> Weather:
    """Read a TMY3 CSV with :func:`pvlib.iotools.read_tmy3` and validate it.

    TMY3 time stamps mark the end of each hour in local standard time; they are moved to
    the middle of the hour.
    """
    path = Path(path)
    try:
        data, meta = pvlib.iotools.read_tmy3(path, coerce_year=2023, map_variables=True)
    except Exception as exc:
        msg = f"weather file {path}: not a readable TMY3 file ({type(exc).__name__}: {exc})"
        raise InputError(msg) from None
    missing = [c for c in WEATHER_COLUMNS if c not in data.columns]
    if missing:
        msg = f"weather file {path}: TMY3 columns missing after reading: {', '.join(missing)}"
        raise InputError(msg)
    frame = data[list(WEATHER_COLUMNS)].copy()
    frame.index = frame.index - pd.Timedelta(minutes=30)
    frame = frame.sort_index()
    weather = Weather(
        frame,
        float(meta["latitude"]),
        float(meta["longitude"]),
        float(meta.get("altitude", 0.0)),
        name=f"TMY3 {meta.get('Name', '')} {meta.get('USAF', '')}".strip(),
        source=str(path),
    )
    return validate_weather(weather, label=str(path), max_gap_hours=max_gap_hours)


def read_csv_weather(
    path: str | os.PathLike,
    *,
    tz: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    altitude: float | None = None,
    max_gap_hours: int = 6,
) -> Weather:
    """Read a plain hourly CSV (format in the module docstring) and validate it.

    Parameters
    ----------
    path : path-like
        The CSV file.
    tz : str, optional
        Time zone of time stamps written without an offset (e.g. ``"Asia/Shanghai"``).
    latitude, longitude, altitude : float, optional
        The site; default the CDSRD 57278 Xiangyang station (reported as a repair).
    max_gap_hours : int
        Longest run of missing hours repaired by interpolation.
    """
    path = Path(path)
    label = str(path)
    try:
        raw = pd.read_csv(path, encoding="utf-8-sig")
    except Exception as exc:
        msg = f"weather file {path}: cannot read as CSV ({type(exc).__name__}: {exc})"
        raise InputError(msg) from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    missing = [c for c in ("time", "ghi", "dhi") if c not in raw.columns]
    if missing:
        msg = (
            f"weather file {path}: missing column(s) {', '.join(missing)}; a plain weather CSV "
            f"needs time (start of hour, ISO 8601), ghi and dhi (W/m²), optional dni (W/m²), "
            f"temp_air (°C), wind_speed (m/s)"
        )
        raise InputError(msg)
    try:
        times = pd.to_datetime(raw["time"], format="ISO8601")
    except (ValueError, TypeError) as exc:
        msg = f"weather file {path}, column time: cannot parse time stamps ({exc}); use ISO 8601"
        raise InputError(msg) from None
    repairs: list[str] = []
    index = pd.DatetimeIndex(times)
    if index.tz is None:
        if tz is None:
            msg = (
                f"weather file {path}, column time: time stamps carry no UTC offset; write them "
                f"as 2023-01-01T00:00+08:00 or pass tz='Asia/Shanghai' (--weather-tz)"
            )
            raise InputError(msg)
        try:
            index = index.tz_localize(tz)
        except Exception as exc:
            msg = f"weather file {path}: cannot use time zone {tz!r} ({exc})"
            raise InputError(msg) from None
    elif tz is not None:
        index = index.tz_convert(tz)
    frame = pd.DataFrame(index=index + pd.Timedelta(minutes=30))
    for col in WEATHER_COLUMNS:
        if col in raw.columns:
            values = pd.to_numeric(raw[col], errors="coerce").to_numpy(dtype=float)
            bad = np.flatnonzero(np.isnan(values) & raw[col].notna().to_numpy())
            if len(bad):
                msg = (
                    f"weather file {path}, column {col}: non-numeric values at "
                    f"{describe_rows(bad + 2)} (line numbers); fix or empty them"
                )
                raise InputError(msg)
            frame[col] = values
    if "temp_air" not in frame:
        frame["temp_air"] = 20.0
        repairs.append("no temp_air column: 20 °C used")
    if "wind_speed" not in frame:
        frame["wind_speed"] = 1.0
        repairs.append("no wind_speed column: 1 m/s used")
    if latitude is None or longitude is None:
        st = _synth.STATION_57278
        latitude, longitude = st["latitude"], st["longitude"]
        altitude = st["altitude"] if altitude is None else altitude
        repairs.append("no site given: the CDSRD 57278 Xiangyang station location used")
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()]
        msg = f"weather file {path}, column time: duplicated time stamps, e.g. {dup[0]}"
        raise InputError(msg)
    frame = frame.sort_index()
    needs_dni = "dni" not in frame
    if needs_dni:
        frame["dni"] = 0.0
    weather = Weather(
        frame[list(WEATHER_COLUMNS)],
        float(latitude),
        float(longitude),
        float(altitude or 0.0),
        name=f"CSV {path.name}",
        source=label,
        repairs=tuple(repairs),
    )
    return validate_weather(weather, label=label, max_gap_hours=max_gap_hours, compute_dni=needs_dni)


# -- validation -------------------------------------------------------------------------------
def validate_weather(
    weather: Weather,
    *,
    label: str = "weather",
    max_gap_hours: int = 6,
    compute_dni: bool = False,
    tz_tolerance_h: float = 1.0,
) -> Weather:
    """Check and repair an hourly weather series; return a new :class:`Weather`.

    See the module docstring for what is checked, what is repaired and what is refused.

    Parameters
    ----------
    weather : Weather
        Series to check (index at the middle of each hour).
    label : str
        Named in error messages (the file).
    max_gap_hours : int
        Longest run of missing hours filled by interpolation.
    compute_dni : bool
        Compute DNI from GHI and DHI (when the source has none) with
        :func:`pvlib.irradiance.dni`, capped near the horizon by the Ineichen clear-sky DNI.
    tz_tolerance_h : float
        Largest accepted offset, hours, between the irradiance-weighted mean time of day and
        solar noon before the time zone is called wrong.
    """
    data = weather.data
    repairs = list(weather.repairs)
    if not isinstance(data.index, pd.DatetimeIndex) or data.index.tz is None:
        msg = f"{label}: weather needs a time-zone aware hourly DatetimeIndex"
        raise InputError(msg)
    missing = [c for c in WEATHER_COLUMNS if c not in data.columns]
    if missing:
        msg = f"{label}: weather columns missing: {', '.join(missing)}"
        raise InputError(msg)
    if not (-90 <= weather.latitude <= 90 and -180 <= weather.longitude <= 180):
        msg = f"{label}: site latitude/longitude out of range ({weather.latitude}, {weather.longitude})"
        raise InputError(msg)
    data = data[list(WEATHER_COLUMNS)].astype(float)
    if len(data) < 2:
        msg = f"{label}: needs at least one year of hourly rows, found {len(data)}"
        raise InputError(msg)
    step = pd.Series(data.index).diff().median()
    if step != pd.Timedelta(hours=1):
        msg = f"{label}: time step is {step}, not one hour; resample to hourly means (W/m²) before use"
        raise InputError(msg)
    full = pd.date_range(data.index[0], data.index[-1], freq="h")
    if len(full) < 8760 - 24:
        msg = (
            f"{label}: covers {len(full):,} hours; a yield needs at least one full year (8,760 hours) of hourly weather"
        )
        raise InputError(msg)
    n_missing_rows = len(full) - len(data)
    if n_missing_rows:
        off_grid = ~data.index.isin(full)
        if off_grid.any():
            msg = f"{label}: time stamps off the hourly grid, e.g. {data.index[off_grid][0]}; use one row per hour"
            raise InputError(msg)
        data = data.reindex(full)

    # units before repairs (an interpolation must not hide a kWh column)
    ghi_max = float(np.nanmax(data["ghi"].to_numpy())) if data["ghi"].notna().any() else 0.0
    if ghi_max < 2.0:
        msg = (
            f"{label}, column ghi: largest value {ghi_max:.3g} — looks like kWh/m² (or "
            f"kW/m²); irradiance must be W/m² (hourly mean, = Wh/m² per hour): multiply by 1000"
        )
        raise InputError(msg)
    if ghi_max > 1500.0:
        msg = (
            f"{label}, column ghi: largest value {ghi_max:,.0f} W/m² exceeds any ground "
            f"irradiance (≈ 1,400 W/m²); check units (J/m² or kJ/m² per hour? divide by 3600 "
            f"or 3.6)"
        )
        raise InputError(msg)
    t_med = float(np.nanmedian(data["temp_air"].to_numpy()))
    if t_med > 150.0:
        msg = f"{label}, column temp_air: median {t_med:.1f} — looks like kelvin; temp_air must be °C (subtract 273.15)"
        raise InputError(msg)
    for col in ("ghi", "dni", "dhi"):
        values = data[col].to_numpy()
        very_neg = np.flatnonzero(values < -20.0)
        if len(very_neg):
            msg = (
                f"{label}, column {col}: negative irradiance at "
                f"{describe_rows(data.index[very_neg])}; irradiance must be ≥ 0 W/m²"
            )
            raise InputError(msg)
        small_neg = int((values < 0).sum())
        if small_neg:
            data[col] = np.where(values < 0, 0.0, values)
            repairs.append(f"{col}: {small_neg} small negative values set to 0")

    # gaps: runs of NaN (missing rows or empty values)
    solpos = pvlib.solarposition.get_solarposition(
        data.index, weather.latitude, weather.longitude, altitude=weather.altitude
    )
    cols_to_check = [c for c in WEATHER_COLUMNS if not (compute_dni and c == "dni")]
    nan_any = data[cols_to_check].isna().any(axis=1).to_numpy()
    if nan_any.any():
        run_id = np.cumsum(np.r_[True, nan_any[1:] != nan_any[:-1]])
        run_len = pd.Series(nan_any).groupby(run_id).transform("size").to_numpy()
        too_long = nan_any & (run_len > max_gap_hours)
        if too_long.any():
            first = data.index[too_long][0]
            msg = (
                f"{label}: a gap of {int(run_len[too_long].max())} missing hours starting "
                f"{first} (and {int(too_long.sum())} missing hours in such long gaps); at most "
                f"{max_gap_hours} consecutive hours are filled by interpolation — use a "
                f"complete file or fill the gap"
            )
            raise InputError(msg)
        n_fill = int(nan_any.sum())
        data[cols_to_check] = data[cols_to_check].interpolate(method="time", limit_direction="both")
        night = solpos["elevation"].to_numpy() <= 0
        for col in ("ghi", "dni", "dhi"):
            data.loc[nan_any & night, col] = 0.0
        repairs.append(
            f"{n_fill} missing hours ({n_missing_rows} absent rows) filled by interpolation (gaps ≤ {max_gap_hours} h)"
        )

    dhi_over = data["dhi"].to_numpy() > data["ghi"].to_numpy() + 1.0
    if dhi_over.any():
        data["dhi"] = np.minimum(data["dhi"], data["ghi"])
        repairs.append(f"dhi above ghi in {int(dhi_over.sum())} hours: capped at ghi")
    if compute_dni:
        site = pvlib.location.Location(weather.latitude, weather.longitude, altitude=weather.altitude)
        clear = site.get_clearsky(data.index, model="ineichen", solar_position=solpos)
        dni = pvlib.irradiance.dni(data["ghi"], data["dhi"], solpos["zenith"], dni_clear=clear["dni"])
        data["dni"] = dni.fillna(0.0)  # NaN: negative closure, or the sun at the horizon
        repairs.append("dni computed from ghi and dhi")

    # time zone: the irradiance-weighted hour angle must sit near solar noon
    offset_h = _irradiance_offset_hours(data, weather.longitude, solpos)
    if abs(offset_h) > tz_tolerance_h:
        msg = (
            f"{label}: irradiance is centred {offset_h:+.1f} h from solar noon at longitude "
            f"{weather.longitude:.2f}° with time zone {data.index.tz}; the time stamps are "
            f"probably in another time zone (or mark the end/start of the hour wrongly) — fix "
            f"the offset of the time column or pass the right tz"
        )
        raise InputError(msg)
    return replace(weather, data=data, repairs=tuple(repairs))


def _irradiance_offset_hours(data: pd.DataFrame, longitude: float, solpos: pd.DataFrame) -> float:
    """Irradiance-weighted mean of the solar hour angle, in hours (0 for correct stamps)."""
    eot = pvlib.solarposition.equation_of_time_spencer71(data.index.day_of_year)
    ha = pvlib.solarposition.hour_angle(data.index, longitude, eot)  # degrees
    ha = (np.asarray(ha) + 180.0) % 360.0 - 180.0
    w = data["ghi"].to_numpy()
    if w.sum() <= 0:
        return 0.0
    return float((w * ha).sum() / w.sum() / 15.0)


# -- writer -----------------------------------------------------------------------------------
def write_epw(weather: Weather, path: str | os.PathLike, *, city: str = "Xiangyang", wmo: str = "572780") -> Path:
    """Write ``weather`` as an EnergyPlus EPW file (atomic), readable by pvlib's ``read_epw``.

    Only the fields the yield model uses are real (GHI, DNI, DHI, dry-bulb temperature,
    wind speed); others carry EPW "missing" codes or neutral values.
    """
    data = weather.data
    end = data.index + pd.Timedelta(minutes=30)  # EPW stamps the end of the hour
    offset_h = data.index[0].utcoffset().total_seconds() / 3600.0
    lines = [
        f"LOCATION,{city},,CHN,{weather.source},{wmo},{weather.latitude:.3f},"
        f"{weather.longitude:.3f},{offset_h:.1f},{weather.altitude:.1f}",
        "DESIGN CONDITIONS,0",
        "TYPICAL/EXTREME PERIODS,0",
        "GROUND TEMPERATURES,0",
        "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
        f"COMMENTS 1,written by siting.solar.write_epw from {weather.name}",
        "COMMENTS 2,",
        "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31",
    ]
    year = end.year.to_numpy()
    month = end.month.to_numpy()
    day = end.day.to_numpy()
    hour = end.hour.to_numpy()
    # hour 0 of the next day is hour 24 of the previous day in EPW
    prev = end - pd.Timedelta(hours=1)
    midnight = hour == 0
    year = np.where(midnight, prev.year, year)
    month = np.where(midnight, prev.month, month)
    day = np.where(midnight, prev.day, day)
    hour = np.where(midnight, 24, hour)
    buf = io.StringIO()
    t = data["temp_air"].to_numpy()
    for i in range(len(data)):  # one line per hour of one weather file, not per rooftop
        buf.write(
            f"{year[i]},{month[i]},{day[i]},{hour[i]},60,?9?9?9?9E0?9?9?9?9?9?9?9?9?9?9?9?9?9?9?9*9*9?9?9?9,"
            f"{t[i]:.1f},{t[i] - 5:.1f},70,101325,9999,9999,9999,{data['ghi'].iat[i]:.0f},"
            f"{data['dni'].iat[i]:.0f},{data['dhi'].iat[i]:.0f},999999,999999,999999,9999,0,"
            f"{data['wind_speed'].iat[i]:.1f},5,5,20.0,77777,9,999999999,0,0.2,0,88,0.2,0,1.0\n"
        )
    return atomic_write_text(path, "\n".join(lines) + "\n" + buf.getvalue())
