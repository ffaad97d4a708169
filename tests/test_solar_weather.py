"""Weather for rooftop PV: the offline default year, real formats, and bad input."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest

from geo.errors import InputError
from siting.solar import (
    Weather,
    default_weather,
    read_csv_weather,
    read_epw,
    read_weather,
    validate_weather,
    write_epw,
)

# FACTS.md "Solar resource": CDSRD 57278, mean daily GHI / DHI per month, kWh/m²/day
FACTS_GHI = [2.04, 2.61, 3.38, 4.32, 4.69, 4.69, 4.65, 4.32, 3.62, 3.01, 2.35, 1.97]
FACTS_DHI = [1.24, 1.53, 1.94, 2.37, 2.61, 2.73, 2.73, 2.50, 2.02, 1.64, 1.29, 1.15]
PVLIB_DATA = Path(pvlib.__file__).parent / "data"


def _csv_from(weather: Weather, path: Path, *, scale: float = 1.0, shift_h: int = 0, drop: slice | None = None) -> Path:
    data = weather.data
    start = data.index - pd.Timedelta(minutes=30) + pd.Timedelta(hours=shift_h)
    table = pd.DataFrame(
        {
            "time": [t.isoformat() for t in start],
            "ghi": data["ghi"].to_numpy() * scale,
            "dhi": data["dhi"].to_numpy() * scale,
            "temp_air": data["temp_air"].to_numpy(),
            "wind_speed": data["wind_speed"].to_numpy(),
        }
    )
    if drop is not None:
        table = table.drop(index=table.index[drop])
    table.to_csv(path, index=False)
    return path


def test_default_weather_matches_station_climatology():
    w = default_weather()
    assert w.source == "synthetic"
    assert len(w.data) == 8760
    assert abs(w.annual_ghi_kwh_m2 / 1269.0 - 1.0) < 0.02
    monthly = w.monthly_ghi_kwh_m2_day()
    np.testing.assert_allclose(monthly.to_numpy(), FACTS_GHI, rtol=0.05)
    dhi = w.data["dhi"].groupby(w.data.index.month).sum() / 1000.0
    days = w.data["dhi"].groupby(w.data.index.month).size() / 24.0
    np.testing.assert_allclose((dhi / days).to_numpy(), FACTS_DHI, rtol=0.05)
    # realistic day-to-day variability: daily totals within a month are not all equal
    daily = w.data["ghi"].resample("D").sum() / 1000.0
    july = daily[daily.index.month == 7]
    assert july.std() / july.mean() > 0.15
    assert (w.data[["ghi", "dni", "dhi"]] >= 0).all().all()
    assert (w.data["dhi"] <= w.data["ghi"] + 1e-9).all()
    # temperature normals (FACTS.md: January ≈ 3 °C, July ≈ 28 °C)
    t = w.data["temp_air"].groupby(w.data.index.month).mean()
    assert abs(t[1] - 3.0) < 1.5 and abs(t[7] - 28.0) < 1.5
    assert default_weather() is w  # cached


def test_epw_round_trip_through_pvlib(tmp_path):
    w = default_weather()
    path = write_epw(w, tmp_path / "xiangyang.epw")
    data, meta = pvlib.iotools.read_epw(path)  # the real reader accepts the file
    assert len(data) == 8760 and meta["latitude"] == pytest.approx(32.0)
    back = read_epw(path)
    assert back.repairs == ()
    assert back.data.index[0] == w.data.index[0]
    np.testing.assert_allclose(back.data["ghi"].to_numpy(), w.data["ghi"].to_numpy(), atol=0.51)


def test_bundled_tmy3_reads_and_centres_on_noon():
    w = read_weather(PVLIB_DATA / "723170TYA.CSV")
    assert w.name.startswith("TMY3")
    assert len(w.data) == 8760
    assert 1300 < w.annual_ghi_kwh_m2 < 1800  # Greensboro NC
    assert str(w.data.index.tz) in ("UTC-05:00", "Etc/GMT+5")


def test_csv_reader_computes_dni_and_reports(tmp_path):
    path = _csv_from(default_weather(), tmp_path / "w.csv")
    w = read_csv_weather(path)
    assert "dni computed from ghi and dhi" in w.repairs
    assert any("station location" in r for r in w.repairs)
    assert abs(w.annual_ghi_kwh_m2 - default_weather().annual_ghi_kwh_m2) < 1.0
    assert w.data["dni"].max() > 500
    # the closure GHI = DHI + DNI cos(zenith) holds wherever the sun is well above the horizon
    solpos = pvlib.solarposition.get_solarposition(w.data.index, w.latitude, w.longitude, altitude=w.altitude)
    high = solpos["zenith"].to_numpy() < 80
    cosz = np.cos(np.radians(solpos["zenith"].to_numpy()))
    closure = w.data["dhi"].to_numpy() + w.data["dni"].to_numpy() * cosz
    np.testing.assert_allclose(closure[high], w.data["ghi"].to_numpy()[high], atol=0.5)
    assert (w.data["dni"] >= 0).all() and (w.data["dni"].to_numpy()[solpos["zenith"].to_numpy() >= 88] == 0).all()


def test_short_gaps_are_filled_and_reported(tmp_path):
    path = _csv_from(default_weather(), tmp_path / "gappy.csv", drop=slice(4000, 4004))
    w = read_csv_weather(path, latitude=32.0, longitude=112.08)
    assert len(w.data) == 8760
    assert any("4 missing hours" in r for r in w.repairs)
    assert not w.data.isna().any().any()


def test_long_gap_is_refused(tmp_path):
    path = _csv_from(default_weather(), tmp_path / "hole.csv", drop=slice(3000, 3048))
    with pytest.raises(InputError, match="gap of 48 missing hours"):
        read_csv_weather(path, latitude=32.0, longitude=112.08)


def test_kwh_instead_of_w_is_refused(tmp_path):
    path = _csv_from(default_weather(), tmp_path / "kwh.csv", scale=1 / 1000)
    with pytest.raises(InputError, match="kWh/m²"):
        read_csv_weather(path, latitude=32.0, longitude=112.08)


def test_wrong_time_zone_is_refused(tmp_path):
    # local clock times labelled as UTC: irradiance peaks 8 h off solar noon
    w = default_weather()
    data = w.data.copy()
    data.index = pd.DatetimeIndex(data.index.tz_localize(None)).tz_localize("UTC")
    with pytest.raises(InputError, match="time zone"):
        validate_weather(replace(w, data=data), label="utc.csv")
    # and through the CSV reader: naive stamps need a tz
    path = tmp_path / "naive.csv"
    table = pd.DataFrame(
        {
            "time": (w.data.index - pd.Timedelta(minutes=30)).tz_localize(None).strftime("%Y-%m-%d %H:%M"),
            "ghi": w.data["ghi"].to_numpy(),
            "dhi": w.data["dhi"].to_numpy(),
        }
    )
    table.to_csv(path, index=False)
    with pytest.raises(InputError, match="no UTC offset"):
        read_csv_weather(path)
    with pytest.raises(InputError, match="time zone"):
        read_csv_weather(path, tz="Europe/London", latitude=32.0, longitude=112.08)
    assert read_csv_weather(path, tz="Asia/Shanghai").annual_ghi_kwh_m2 > 1200


def test_other_bad_weather(tmp_path):
    w = default_weather()
    kelvin = replace(w, data=w.data.assign(temp_air=w.data["temp_air"] + 273.15))
    with pytest.raises(InputError, match="kelvin"):
        validate_weather(kelvin)
    with pytest.raises(InputError, match="at least one full year"):
        validate_weather(replace(w, data=w.data.iloc[:2000]))
    with pytest.raises(InputError, match="exceeds"):
        validate_weather(replace(w, data=w.data.assign(ghi=w.data["ghi"] * 3600)))
    missing = tmp_path / "cols.csv"
    missing.write_text("time,ghi\n2023-01-01T00:00+08:00,0\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column"):
        read_csv_weather(missing)
    with pytest.raises(InputError, match="does not exist"):
        read_weather(tmp_path / "nope.epw")
    with pytest.raises(InputError, match="unknown suffix"):
        read_weather(missing.rename(tmp_path / "w.txt"))
    bad_epw = tmp_path / "bad.epw"
    bad_epw.write_text("not an epw\n", encoding="utf-8")
    with pytest.raises(InputError, match="EPW"):
        read_epw(bad_epw)
