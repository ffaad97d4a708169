"""Rooftop PV economics (issue 12 item 4): LCOE per rooftop, the supply curve, assumptions in exports."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from dashboard.cli import main
from geo.crs import XIANGYANG_UTM
from geo.errors import InputError
from layers.project import Project
from layers.schema import USE_CLASSES
from siting.solar import (
    PVAssumptions,
    capital_recovery_factor,
    lcoe_cny_per_kwh,
    rooftop_potential,
    supply_curve,
    supply_summary,
)
from siting.solar.economics import levelised_output_share

X0, Y0 = 640_000.0, 3_542_000.0  # metres, EPSG:32649, in 樊城区


def _town(n_side: int = 9, seed: int = 5) -> gpd.GeoDataFrame:
    """A grid of varied buildings (flat and pitched, some towers) in two counties."""
    rng = np.random.default_rng(seed)
    classes = list(USE_CLASSES)
    rows, geoms = [], []
    for i in range(n_side):
        for j in range(n_side):
            side = float(rng.uniform(8, 30))
            pitched = rng.uniform() < 0.5
            geoms.append(
                shapely.box(
                    X0 + i * 40 - side / 2, Y0 + j * 40 - side / 2, X0 + i * 40 + side / 2, Y0 + j * 40 + side / 2
                )
            )
            rows.append(
                {
                    "id": f"r{i}-{j}",
                    "county": "420606" if i < n_side // 2 else "420602",
                    "use_class": classes[rng.integers(len(classes))],
                    "height_m": float(rng.choice([6, 9, 12, 18, 60])),
                    "roof_type": "pitched" if pitched else "flat",
                    "roof_tilt_deg": float(rng.uniform(15, 55)) if pitched else 0.0,
                    "roof_azimuth_deg": float(rng.uniform(0, 360)),
                    "source": "synthetic",
                }
            )
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=XIANGYANG_UTM).to_crs("EPSG:4326")


@pytest.fixture(scope="module")
def town():
    return _town()


@pytest.fixture(scope="module")
def result(town):
    return rooftop_potential(town)


def test_capital_recovery_factor_and_lcoe_formula():
    # r = 0: straight-line recovery; r > 0: the annuity factor (textbook value for 5 %, 25 years)
    assert capital_recovery_factor(0.0, 25) == pytest.approx(1 / 25)
    assert capital_recovery_factor(0.05, 25) == pytest.approx(0.0709525, rel=1e-6)
    np.testing.assert_allclose(capital_recovery_factor(np.array([0.0, 0.08]), 20), [0.05, 0.1018522], rtol=1e-6)
    # the vectorised formula equals discounted cost over discounted energy, year by year
    a = PVAssumptions(capex_cny_per_w=3.2, opex_cny_per_w_year=0.04, discount_rate=0.06, lifetime_years=20)
    a = a.replace(degradation_per_year=0.007)
    kwp, kwh1 = 50.0, 52_000.0
    t = np.arange(1, 21)
    disc = (1 + 0.06) ** -t
    cost = kwp * 1000 * 3.2 + (kwp * 1000 * 0.04 * disc).sum()
    energy = (kwh1 * (1 - 0.007) ** (t - 1) * disc).sum()
    assert lcoe_cny_per_kwh(kwp, kwh1, assumptions=a) == pytest.approx(cost / energy, rel=1e-12)
    assert levelised_output_share(0.05, 25, 0.0) == pytest.approx(1.0)
    # no output → no LCOE (not 0, not inf)
    assert np.isnan(lcoe_cny_per_kwh(np.array([10.0]), np.array([0.0]))[0])


def test_lcoe_falls_with_capex_and_rises_with_the_discount_rate(town, result):
    cheaper = rooftop_potential(town, assumptions=PVAssumptions(capex_cny_per_w=2.5))
    ok = result["suitable"].to_numpy()
    assert ok.sum() > 20
    assert (cheaper["lcoe_cny_per_kwh"].to_numpy()[ok] < result["lcoe_cny_per_kwh"].to_numpy()[ok]).all()
    dearer = rooftop_potential(town, assumptions=PVAssumptions(discount_rate=0.08))
    assert (dearer["lcoe_cny_per_kwh"].to_numpy()[ok] > result["lcoe_cny_per_kwh"].to_numpy()[ok]).all()
    # per rooftop: better specific yield → lower LCOE (capex and opex scale with kWp)
    sub = result[ok & (result["kwp"] > 0)]
    order = np.argsort(sub["kwh_per_kwp"].to_numpy())
    assert np.all(np.diff(sub["lcoe_cny_per_kwh"].to_numpy()[order]) <= 1e-3)


def test_supply_curve_is_monotone_and_sums_to_the_suitable_capacity(result):
    curve = supply_curve(result)
    suitable = result[result["suitable"]]
    assert len(curve) == len(suitable)
    lcoe = curve["lcoe_cny_per_kwh"].to_numpy()
    assert np.all(np.diff(lcoe) >= 0)
    assert np.all(np.diff(curve["cumulative_mwp"].to_numpy()) >= 0)
    assert curve["supply_rank"].tolist() == list(range(1, len(curve) + 1))
    assert curve["cumulative_mwp"].iloc[-1] == pytest.approx(suitable["kwp"].sum() / 1000.0, rel=1e-9)
    assert curve["cumulative_gwh_per_year"].iloc[-1] == pytest.approx(suitable["kwh_per_year"].sum() / 1e6, rel=1e-9)
    # a benchmark between the cheapest and dearest rooftop splits the curve where LCOE crosses it
    mid = float(np.median(lcoe))
    split = supply_curve(result, benchmark_cny_per_kwh=mid)
    below = split["below_benchmark"].to_numpy()
    assert below.any() and not below.all()
    assert (lcoe[below] <= mid).all() and (lcoe[~below] > mid).all()
    summary = supply_summary(split)
    assert summary["mwp_below_benchmark"] == pytest.approx(split.loc[below, "kwp"].sum() / 1000.0)
    assert summary["mwp"] == pytest.approx(curve["cumulative_mwp"].iloc[-1])
    assert 0 < summary["share_mwp_below_benchmark"] < 1
    assert summary["lcoe_min_cny_per_kwh"] <= summary["lcoe_median_cny_per_kwh"] <= summary["lcoe_max_cny_per_kwh"]
    with pytest.raises(InputError, match="lcoe_cny_per_kwh"):
        supply_curve(result.drop(columns="lcoe_cny_per_kwh"))


def test_bad_economic_assumptions_are_refused():
    for change in ({"discount_rate": -0.01}, {"lifetime_years": 0}, {"degradation_per_year": 0.5}):
        with pytest.raises(InputError, match=next(iter(change))):
            PVAssumptions(**change)


def test_cli_writes_the_supply_curve_with_every_assumption(tmp_path, town, capsys):
    project = Project.create(tmp_path / "proj")
    project.write("rooftops", town)
    out = tmp_path / "shortlist.xlsx"
    curve_path = tmp_path / "curve.xlsx"
    args = ["solar", str(project.path), "--out", str(out), "--supply-curve", str(curve_path)]
    assert main([*args, "--set", "capex_cny_per_w=2.9", "--set", "discount_rate=0.06"]) == 0
    printed = capsys.readouterr().out
    assert "supply curve: LCOE" in printed and "MWp" in printed and "0.4161" in printed
    sheets = pd.read_excel(curve_path, sheet_name=None)
    curve, params = sheets["supply_curve"], sheets["assumptions"]
    values = dict(zip(params["parameter"], params["value"].astype(str), strict=True))
    for name in ("capex_cny_per_w", "opex_cny_per_w_year", "discount_rate", "lifetime_years", "degradation_per_year"):
        assert name in values
    assert values["capex_cny_per_w"] == "2.9" and values["discount_rate"] == "0.06"
    assert values["benchmark_cny_per_kwh"] == "0.4161" and "CRF" in values["lcoe_formula"]
    assert float(values["supply_mwp"]) == pytest.approx(curve["kwp"].sum() / 1000.0, rel=1e-6)
    assert np.all(np.diff(curve["lcoe_cny_per_kwh"].to_numpy()) >= 0)
    # the shortlist XLSX carries the same economic assumptions and the LCOE column
    short = pd.read_excel(out, sheet_name=None)
    sl_params = dict(zip(short["assumptions"]["parameter"], short["assumptions"]["value"].astype(str), strict=True))
    assert sl_params["capex_cny_per_w"] == "2.9" and sl_params["lifetime_years"] == "25"
    assert "lcoe_cny_per_kwh" in short["rooftop_pv"].columns
    # a geometry format for a table without geometry is a clear error (status 2)
    assert main([*args[:-1], str(tmp_path / "curve.gpkg")]) == 2
    assert "needs geometry" in capsys.readouterr().err
