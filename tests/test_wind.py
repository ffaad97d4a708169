"""Wind resource checks, Weibull energy, turbines, end-to-end sites and the CLI.

Everything runs on small synthetic projects (``source="synthetic"``) built in ``tmp_path``.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from scipy import integrate, special

from dashboard.cli import main
from geo.errors import InputError
from geo.raster import RasterGrid, write_geotiff
from siting.wind import (
    Losses,
    Turbine,
    check_resource,
    get_turbine,
    mean_power_kw,
    mean_power_kw_exact,
    shear_exponent,
    turbine_classes,
    wind_sites,
)
from siting.wind._synthetic import synthetic_wind_project

pytestmark = pytest.mark.usefixtures("fresh_wind_cache")


def weibull_integral_kw(turbine: Turbine, mean_speed: float, k: float) -> float:
    """Hand computation: ∫ P(v) f(v) dv by adaptive quadrature, segment by segment."""
    scale = mean_speed / special.gamma(1.0 + 1.0 / k)

    def integrand(v):
        pdf = k / scale * (v / scale) ** (k - 1) * np.exp(-((v / scale) ** k))
        return np.interp(v, turbine.wind_speed_m_s, turbine.power_kw) * pdf

    edges = turbine.wind_speed_m_s
    return sum(integrate.quad(integrand, a, b, limit=200)[0] for a, b in itertools.pairwise(edges))


def _write_tif(path, data, *, crs="EPSG:32649", transform=None, nodata=None):
    transform = transform or Affine(100.0, 0, 600_000.0, 0, -100.0, 3_550_000.0)
    grid = RasterGrid(str(crs), transform, data.shape[1], data.shape[0])
    return write_geotiff(path, data.astype("float32"), grid, nodata=nodata)


# -- energy ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(turbine_classes()))
@pytest.mark.parametrize(("mean_speed", "k"), [(4.5, 1.6), (6.0, 2.0), (8.5, 2.6)])
def test_closed_form_weibull_matches_quadrature(name, mean_speed, k):
    turbine = get_turbine(name)
    expected = weibull_integral_kw(turbine, mean_speed, k)
    got = mean_power_kw_exact(turbine, np.array([mean_speed]), k)[0]
    assert got == pytest.approx(expected, rel=1e-6)


def test_table_interpolation_for_large_rasters_matches_exact():
    turbine = get_turbine("low_wind_3.3mw_d156")
    rng = np.random.default_rng(1)
    speeds = rng.uniform(3.0, 10.0, 5000)
    ks = rng.uniform(1.3, 3.2, 5000)
    table = mean_power_kw(turbine, speeds, ks)  # > 2000 cells: interpolated table
    exact = mean_power_kw_exact(turbine, speeds, ks)
    np.testing.assert_allclose(table, exact, rtol=5e-4)
    const = mean_power_kw(turbine, speeds, 2.1)
    np.testing.assert_allclose(const, mean_power_kw_exact(turbine, speeds, 2.1), rtol=2e-4)


def test_air_density_lowers_output():
    turbine = get_turbine("low_wind_5mw_d171")
    standard = mean_power_kw(turbine, np.array([6.0]), 2.0)[0]
    thin = mean_power_kw(turbine, np.array([6.0]), 2.0, air_density_kg_m3=1.10)[0]
    assert thin < standard
    with pytest.raises(InputError, match="air density"):
        mean_power_kw(turbine, np.array([6.0]), 2.0, air_density_kg_m3=2.0)


def test_losses_combine_multiplicatively_and_reject_bad_fractions():
    losses = Losses(wake=0.1, availability=0.05, electrical=0.0, other=0.0)
    assert losses.factor == pytest.approx(0.9 * 0.95)
    with pytest.raises(InputError, match="wake"):
        Losses(wake=1.2)


@pytest.mark.parametrize("capacity", ["layout", "density"])
def test_constant_speed_raster_energy_matches_hand_weibull_integral(tmp_path, capacity):
    speed, k, alpha = 6.3, 2.2, 0.2
    project = synthetic_wind_project(
        tmp_path / "p", size_km=12, n_side=2, exclusions=False, constant_m_s=speed, height_m=100.0
    )
    turbine = get_turbine("low_wind_3.3mw_d156")
    losses = Losses(wake=0.08, availability=0.03, electrical=0.02)
    kwargs = {"capacity_density_mw_per_km2": 4.0 if capacity == "density" else None}
    result = wind_sites(
        project,
        hub_height_m=140.0,
        turbine=turbine,
        weibull_k=k,
        shear_alpha=alpha,
        exclusions=[],
        losses=losses,
        **kwargs,
    )
    hub_speed = speed * (140.0 / 100.0) ** alpha
    cf = weibull_integral_kw(turbine, hub_speed, k) / turbine.rated_kw * losses.factor
    totals = result.totals
    assert totals["capacity_mw"] > 0
    expected_mwh = totals["capacity_mw"] * cf * 8760.0
    assert totals["energy_mwh_per_year"] == pytest.approx(expected_mwh, rel=0.01)
    assert totals["capacity_factor"] == pytest.approx(cf, rel=0.01)
    assert totals["full_load_hours"] == pytest.approx(cf * 8760.0, rel=0.01)
    assert np.nanmean(result.speed_m_s) == pytest.approx(hub_speed, rel=1e-4)
    if capacity == "density":
        assert totals["capacity_mw"] == pytest.approx(4.0 * totals["usable_km2"], rel=1e-6)
    else:
        assert totals["capacity_mw"] == pytest.approx(totals["turbines"] * 3.3)
        assert len(result.turbines) == totals["turbines"]


def test_weibull_k_raster_equals_the_same_constant(tmp_path):
    project = synthetic_wind_project(tmp_path / "p", size_km=10, n_side=1, exclusions=False)
    with rasterio.open(project.raster_path("wind_resource")) as ds:
        k = np.full((ds.height, ds.width), 2.4, dtype="float32")
        k_tif = _write_tif(tmp_path / "k.tif", k, crs=ds.crs, transform=ds.transform)
    common = {"hub_height_m": 100.0, "exclusions": [], "capacity_density_mw_per_km2": 3.0}
    a = wind_sites(project, weibull_k=2.4, **common).totals["energy_mwh_per_year"]
    b = wind_sites(project, weibull_k=k_tif, **common).totals["energy_mwh_per_year"]
    assert b == pytest.approx(a, rel=1e-4)
    lower = wind_sites(project, weibull_k=1.5, **common).totals["energy_mwh_per_year"]
    assert lower != pytest.approx(a, rel=1e-3)


def test_shear_exponent_recovers_the_power_law():
    v50 = np.array([5.0, 6.0])
    v150 = v50 * 3.0**0.21
    np.testing.assert_allclose(shear_exponent(v50, 50.0, v150, 150.0), 0.21)


# -- turbines -------------------------------------------------------------------------------


def test_shipped_classes_include_low_wind_machines_with_sane_curves():
    table = turbine_classes()
    assert len(table) >= 4
    low = [t for t in table.values() if t.specific_power_w_per_m2 < 250]
    assert low, "need low-wind (low specific power) classes"
    for t in table.values():
        assert t.power(np.array([0.0, 1.0]))[0] == 0.0
        assert t.power(np.array([15.0]))[0] == pytest.approx(t.rated_kw, rel=0.01)
        assert np.all(np.diff(t.power(np.arange(2.0, 12.0, 0.5))) >= 0)
    with pytest.raises(InputError, match="unknown turbine class"):
        get_turbine("no_such_machine")


def test_custom_turbine_curve_is_validated():
    with pytest.raises(InputError, match="strictly increasing"):
        Turbine.from_curve("bad", [3, 2, 4], [0, 10, 20], rotor_diameter_m=100)
    with pytest.raises(InputError, match="negative"):
        Turbine.from_curve("bad", [1, 2, 4], [0, -10, 20], rotor_diameter_m=100)
    t = Turbine.from_curve("mine", [3, 8, 12, 20], [0, 1000, 2000, 2000], rotor_diameter_m=110)
    assert t.rated_kw == 2000


# -- bad input ------------------------------------------------------------------------------


def test_raster_without_crs_is_rejected(tmp_path):
    path = tmp_path / "nocrs.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=4,
        height=4,
        count=1,
        dtype="float32",
        transform=Affine(100, 0, 0, 0, -100, 400),
    ) as ds:
        ds.write(np.full((4, 4), 6.0, dtype="float32"), 1)
    with pytest.raises(InputError, match="no CRS"):
        check_resource(path, height_m=100)


def test_all_nodata_raster_is_rejected(tmp_path):
    path = _write_tif(tmp_path / "empty.tif", np.full((5, 5), -9999.0), nodata=-9999.0)
    with pytest.raises(InputError, match="only nodata"):
        check_resource(path, height_m=100)


def test_implausible_speeds_are_rejected(tmp_path):
    data = np.full((5, 5), 6.0)
    data[2, 3] = 55.0
    path = _write_tif(tmp_path / "kmh.tif", data)
    with pytest.raises(InputError, match=r"exceed 40 m/s.*row 2, col 3"):
        check_resource(path, height_m=100)
    neg = _write_tif(tmp_path / "neg.tif", np.full((5, 5), -1.0))
    with pytest.raises(InputError, match="negative"):
        check_resource(neg, height_m=100)


def test_missing_height_and_wrong_units_are_rejected(tmp_path):
    path = _write_tif(tmp_path / "ok.tif", np.full((5, 5), 6.0))
    assert check_resource(path, height_m=100)["mean"] == pytest.approx(6.0)
    with pytest.raises(InputError, match="height"):
        check_resource(path, height_m=None)
    with pytest.raises(InputError, match="not m/s"):
        check_resource(path, height_m=100, units="km/h")


@pytest.mark.parametrize("hub", [20.0, 29.9, 251.0, 400.0])
def test_hub_height_outside_30_250_is_rejected(tmp_path, hub):
    project = synthetic_wind_project(tmp_path / "p", size_km=6, n_side=1, exclusions=False)
    with pytest.raises(InputError, match="30–250 m"):
        wind_sites(project, hub_height_m=hub)


def test_bad_options_are_input_errors(tmp_path):
    project = synthetic_wind_project(tmp_path / "p", size_km=6, n_side=1, exclusions=False)
    with pytest.raises(InputError, match="Weibull k"):
        wind_sites(project, weibull_k=7.0)
    with pytest.raises(InputError, match="shear exponent"):
        wind_sites(project, shear_alpha=0.9)
    with pytest.raises(InputError, match="unknown county"):
        wind_sites(project, counties=["999999"])
    with pytest.raises(InputError, match="rank"):
        wind_sites(project, rank_by="beauty")


def test_raster_far_from_region_is_rejected(tmp_path):
    project = synthetic_wind_project(tmp_path / "p", size_km=6, n_side=1, exclusions=False)
    far = _write_tif(
        tmp_path / "far.tif", np.full((10, 10), 6.0), crs="EPSG:4326", transform=Affine(0.01, 0, 10.0, 0, -0.01, 50.0)
    )
    with pytest.raises(InputError, match="does not cover"):
        wind_sites(project, resource=far, resource_height_m=100.0)


# -- end to end -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def field_project(tmp_path_factory):
    return synthetic_wind_project(tmp_path_factory.mktemp("wind") / "p", size_km=24, seed=3)


def test_sites_are_ranked_attributed_and_consistent(field_project):
    # turbine layout (not a capacity density) so that turbine positions can be checked
    result = wind_sites(field_project, hub_height_m=120.0, min_area_km2=0.5, capacity_density_mw_per_km2=None)
    sites = result.sites
    assert len(sites) > 3
    assert len(result.turbines) > 0
    assert sites.crs.to_epsg() == 4326
    assert (sites["rank"] == np.arange(1, len(sites) + 1)).all()
    assert sites["lcoe_cny_per_kwh"].dropna().is_monotonic_increasing  # ranked by LCOE: the supply curve
    assert (sites["resource_source"] == "synthetic").all()
    # Polygon areas (measured in metres) equal the counted cells.
    metric_area = sites.to_crs("EPSG:32649").area.to_numpy() / 1e6
    np.testing.assert_allclose(metric_area, sites["area_km2"].to_numpy(), rtol=1e-6)
    assert (sites["area_km2"] >= 0.5 - 1e-9).all()
    # Every site lies in the county it names (majority of cells).
    counties = field_project.read("counties")
    joined = gpd.sjoin(
        sites.set_geometry(sites.representative_point()), counties[["adcode", "geometry"]], predicate="within"
    )
    assert (joined["adcode"] == joined["county"]).mean() > 0.8
    # Road distance is the shapely distance to the nearest road, in metres.
    roads = field_project.read("roads").to_crs("EPSG:32649").union_all()
    dist = sites.to_crs("EPSG:32649").distance(roads).to_numpy()
    np.testing.assert_allclose(sites["road_distance_m"].to_numpy(), dist, rtol=1e-6, atol=1e-6)
    assert (sites["road_distance_m"] > 0).all()  # the 150 m road buffer keeps sites off roads
    # Mean hub speed ≥ the minimum wind speed rule (5.5 m/s by default).
    assert (sites["mean_speed_m_s"] >= 5.5).all()
    # Totals add up over sites and the exclusion table.
    assert result.totals["capacity_mw"] == pytest.approx(sites["capacity_mw"].sum())
    assert result.totals["usable_km2"] == pytest.approx(sites["usable_area_km2"].sum(), rel=1e-6)
    table = result.exclusion_table.set_index("layer")
    marginal = table["excluded_in_order_km2"].drop("available").sum()
    assert marginal + table.loc["available", "available_km2"] == pytest.approx(result.totals["region_km2"], rel=1e-6)
    assert {"settlement", "water", "airport", "roads (roads layer)", "min_wind_speed"} <= set(table.index)
    # Turbines sit inside their sites.
    turb = result.turbines.to_crs("EPSG:32649")
    site_geoms = sites.set_index("site_id").to_crs("EPSG:32649").geometry
    inside = turb.geometry.within(site_geoms.loc[turb["site_id"]].buffer(1.0), align=False)
    assert inside.all()
    by_county = result.by_county()
    assert by_county["capacity_mw"].sum() == pytest.approx(result.totals["capacity_mw"])


def test_stricter_rules_never_add_land(field_project):
    base = wind_sites(field_project, hub_height_m=120.0)
    strict = wind_sites(field_project, hub_height_m=120.0, min_speed_m_s=5.9, buffers_m={"settlement": 1000.0})
    assert strict.totals["usable_km2"] < base.totals["usable_km2"]
    assert np.all(np.nan_to_num(strict.availability) <= np.nan_to_num(base.availability))
    table = strict.exclusion_table.set_index("layer")
    assert table.loc["settlement", "rule"].endswith("buffer 1000 m")


def test_county_restriction_limits_the_region(field_project):
    full = wind_sites(field_project, hub_height_m=120.0)
    seen = []
    part = wind_sites(
        field_project,
        hub_height_m=120.0,
        counties=["420607", "420683"],
        progress=lambda fraction, message: seen.append((fraction, message)),
    )
    assert part.totals["region_km2"] < full.totals["region_km2"]
    # progress is reported as (share done, step) for the CLI's bar: rising from 0 to 1
    fractions = [f for f, _ in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert "exclusions" in {m for _, m in seen}
    assert set(part.sites["county"]) <= {"420607", "420683"}


def test_repeat_runs_reuse_cached_masks(field_project):
    from siting.wind.exclusions import _project_vector_inclusion

    first = wind_sites(field_project, hub_height_m=120.0)
    hits = _project_vector_inclusion.cache_info().hits
    second = wind_sites(field_project, hub_height_m=120.0, min_speed_m_s=5.8)
    assert _project_vector_inclusion.cache_info().hits > hits
    assert second.totals["usable_km2"] <= first.totals["usable_km2"]


def test_exports_round_trip(field_project, tmp_path):
    from layers.export import export_frame

    result = wind_sites(field_project, hub_height_m=120.0)
    gpkg = export_frame(result.sites, tmp_path / "sites.gpkg", layer="wind_sites", assumptions=result.assumptions)
    back = gpd.read_file(gpkg, layer="wind_sites")
    assert len(back) == len(result.sites)
    np.testing.assert_allclose(back["capacity_mw"], result.sites["capacity_mw"])
    tif = result.write_raster(tmp_path / "avail.tif")
    with rasterio.open(tif) as ds:
        assert ds.crs.to_epsg() == 32649
        np.testing.assert_allclose(ds.read(1), result.availability, equal_nan=True)


# -- CLI ------------------------------------------------------------------------------------


def test_cli_writes_sites_and_tables(field_project, tmp_path, capsys):
    out = tmp_path / "sites.csv"
    excl = tmp_path / "excl.xlsx"
    code = main(
        [
            "wind",
            str(field_project.path),
            "--hub-height",
            "110",
            "--turbine",
            "low_wind_2mw_d121",
            "--out",
            str(out),
            "--exclusions-out",
            str(excl),
            "--buffer",
            "settlement=700",
        ]
    )
    assert code == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert {"site_id", "capacity_mw", "energy_mwh_per_year", "county", "lon", "lat"} <= set(table.columns)
    assert "SYNTHETIC" in capsys.readouterr().out
    sheets = pd.read_excel(excl, sheet_name=None)
    assert "assumptions" in sheets


def test_cli_bad_input_exits_2(field_project, tmp_path, capsys):
    code = main(["wind", str(field_project.path), "--hub-height", "20", "--out", str(tmp_path / "x.csv")])
    assert code == 2
    assert "30–250 m" in capsys.readouterr().err
    code = main(["wind", str(field_project.path), "--turbine", "nope", "--out", str(tmp_path / "x.csv")])
    assert code == 2
    code = main(["wind", str(field_project.path), "--buffer", "settlement", "--out", str(tmp_path / "x.csv")])
    assert code == 2
    assert "--buffer 'settlement': write KIND=METRES" in capsys.readouterr().err


def test_large_areas_split_into_sites_no_larger_than_the_limit(field_project):
    common = {"hub_height_m": 120.0, "capacity_density_mw_per_km2": 5.0, "min_speed_m_s": 5.0}
    whole = wind_sites(field_project, max_site_km2=None, **common)
    split = wind_sites(field_project, max_site_km2=10.0, **common)
    assert whole.sites["area_km2"].max() > 10.0
    # slivers at block edges join a neighbouring piece: at most the limit plus the minimum area
    assert split.sites["area_km2"].max() <= 10.0 + 2.0 + 1e-9
    assert split.sites["area_km2"].min() >= 2.0 - 1e-9
    assert len(split.sites) > len(whole.sites)
    # Same land, same MW and MWh: splitting only relabels.
    for key in ("usable_km2", "capacity_mw", "energy_mwh_per_year"):
        assert split.totals[key] == pytest.approx(whole.totals[key], rel=1e-9)
    # Pieces of one contiguous area add up to it.
    pieces = split.sites.groupby("component")["area_km2"].sum()
    areas = whole.sites.set_index("component")["area_km2"]
    np.testing.assert_allclose(pieces.sort_index(), areas.loc[pieces.sort_index().index])


def test_user_geotiff_in_wgs84_replaces_the_synthetic_raster(tmp_path, capsys):
    """A GWA-style file (EPSG:4326, m/s at 100 m) imported with ``xysiting import``."""
    from siting.wind._synthetic import write_wind_raster

    project = synthetic_wind_project(tmp_path / "p", size_km=12, n_side=2, exclusions=False)
    gwa = write_wind_raster(tmp_path / "gwa_100m.tif", size_km=12, crs="EPSG:4326", resolution_m=250.0, mean_m_s=6.2)
    code = main(["import", str(project.path), str(gwa), "--layer", "wind_resource", "--height-m", "100"])
    assert code == 0, capsys.readouterr().err
    assert project.raster_metadata("wind_resource")["source"] == "user"
    out = tmp_path / "sites.geojson"
    assert main(["wind", str(project.path), "--hub-height", "100", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "SYNTHETIC" not in printed
    sites = gpd.read_file(out)
    assert (sites["resource_source"] == "user").all()
    assert sites["mean_speed_m_s"].mean() > 5.5


def test_only_the_raster_window_over_the_region_is_checked(tmp_path):
    from siting.wind._synthetic import write_wind_raster

    project = synthetic_wind_project(tmp_path / "p", size_km=8, n_side=1, exclusions=False)
    big = write_wind_raster(tmp_path / "big.tif", size_km=40, resolution_m=200.0)
    with rasterio.open(big, "r+") as ds:
        data = ds.read(1)
        data[:3, :3] = 99.0  # far corner, 16 km outside the region
        ds.write(data, 1)
    result = wind_sites(project, resource=big, resource_height_m=100.0, exclusions=[])
    assert result.totals["usable_km2"] > 0
    with rasterio.open(big, "r+") as ds:
        data = ds.read(1)
        data[data.shape[0] // 2, data.shape[1] // 2] = 99.0  # the region's centre
        ds.write(data, 1)
    with pytest.raises(InputError, match="exceed 40 m/s"):
        wind_sites(project, resource=big, resource_height_m=100.0, exclusions=[])
