"""Wind on the reV/GLAES pattern: assumptions, exclusion stack, grid connection, LCOE, supply curve.

Small synthetic projects (``source="synthetic"``) in ``tmp_path``; ``grid`` and
``power_plants`` frames are built here in the layer contract's shape (the real OSM and GEM
files from ``../shared/data`` where a test says so).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from dashboard.cli import main
from geo.errors import InputError
from siting.wind import (
    ExclusionStack,
    MinContiguousArea,
    MinWindSpeed,
    VectorExclusion,
    WindAssumptions,
    farm_overlap,
    grid_connection,
    lcoe_cny_per_kwh,
    operating_capacity,
    wind_sites,
)
from siting.wind._synthetic import centre_utm, synthetic_wind_project

UTM = "EPSG:32649"


pytestmark = pytest.mark.usefixtures("fresh_wind_cache")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return synthetic_wind_project(tmp_path_factory.mktemp("supply") / "p", size_km=24, seed=3)


def _substations(points_kv: list[tuple[float, float, float]], *, name_prefix: str = "sub") -> gpd.GeoDataFrame:
    """A ``grid`` layer of substations at (dx, dy) metres from the synthetic centre, voltage kV."""
    cx, cy = centre_utm()
    return gpd.GeoDataFrame(
        {
            "id": [f"{name_prefix}-{i}" for i in range(len(points_kv))],
            "name": [f"{name_prefix} {kv:g} kV #{i}" for i, (_, _, kv) in enumerate(points_kv)],
            "voltage_kv": [float(kv) for _, _, kv in points_kv],
            "grid_kind": "substation",
            "source": "synthetic",
        },
        geometry=[shapely.Point(cx + dx, cy + dy) for dx, dy, _ in points_kv],
        crs=UTM,
    ).to_crs("EPSG:4326")


def _site(dx: float, dy: float, *, size_m: float = 2000.0, mw: float = 50.0) -> gpd.GeoDataFrame:
    cx, cy = centre_utm()
    box = shapely.box(cx + dx, cy + dy, cx + dx + size_m, cy + dy + size_m)
    return gpd.GeoDataFrame({"capacity_mw": [mw]}, geometry=[box], crs=UTM).to_crs("EPSG:4326")


# -- assumptions --------------------------------------------------------------------------


def test_assumptions_are_one_documented_object_and_reject_bad_values():
    a = WindAssumptions()
    assert a.benchmark_cny_per_kwh == pytest.approx(0.4161)
    assert a.capacity_density_mw_per_km2 == pytest.approx(3.0)
    b = a.replace(buffers_m={"settlement": 800.0}, hub_height_m=140.0)
    assert b.buffers_m["settlement"] == 800.0
    assert b.buffers_m["airport"] == a.buffers_m["airport"]  # partial buffers merge with the defaults
    flat = b.to_dict()
    for key in ("capex_cny_per_kw", "wacc", "lifetime_years", "buffer_settlement_m", "connection_110kv_bay_cost_cny"):
        assert key in flat
    assert flat["hub_height_m"] == 140.0
    with pytest.raises(InputError, match="wacc"):
        WindAssumptions(wacc=5.0)
    with pytest.raises(InputError, match="buffer for 'road'"):
        WindAssumptions(buffers_m={"road": -1})
    with pytest.raises(InputError, match="unknown wind assumption"):
        a.replace(power_density=3)
    # CRF of 5 % over 25 years
    assert a.capital_recovery_factor == pytest.approx(0.05 * 1.05**25 / (1.05**25 - 1))


# -- exclusion stack ------------------------------------------------------------------------


def test_inclusion_masks_compose_as_an_and_and_each_rule_reports_its_area(project):
    rules = [
        VectorExclusion("water", where="exclusion_kind = 'water'", buffer_m=200.0, reason="water"),
        VectorExclusion("settlement", where="exclusion_kind = 'settlement'", buffer_m=500.0, reason="people"),
        VectorExclusion("roads", layer="roads", buffer_m=200.0, reason="roads", use_feature_buffer=False),
        MinWindSpeed(5.6),
    ]
    result = wind_sites(project, exclusions=rules)
    grid = result.grid
    in_region = np.isfinite(result.availability)
    masks = [r.inclusion(grid, project=project, wind=_resource_of(result)) for r in rules]
    for mask in masks:  # inclusion: True = usable; every rule leaves some land and takes some
        assert mask.dtype == bool
        assert mask[in_region].any() and (~mask[in_region]).any()
    expected = np.logical_and.reduce(masks) & in_region
    assert np.array_equal(result.availability[in_region] > 0, expected[in_region])
    cell_km2 = grid.cell_area_m2 / 1e6
    table = result.exclusion_table.set_index("layer")
    for rule, mask in zip(rules, masks, strict=True):
        assert table.loc[rule.name, "excluded_km2"] == pytest.approx((~mask & in_region).sum() * cell_km2)
    # in-order areas partition the region together with the available land
    marginal = table["excluded_in_order_km2"].drop("available").sum()
    assert marginal + table.loc["available", "available_km2"] == pytest.approx(result.totals["region_km2"])
    # the stack object gives the same availability
    stack = ExclusionStack(rules)
    again = stack.evaluate(grid, in_region=in_region, wind=_resource_of(result), project=project)
    np.testing.assert_array_equal(again.availability[in_region], result.availability[in_region])


def _resource_of(result):
    """The run's hub-height wind as a WindResource (what MinWindSpeed reads)."""
    from siting.wind import WindResource

    a = WindAssumptions()
    return WindResource(result.grid, result.speed_m_s, a.weibull_k, a.hub_height_m, 100.0, a.shear_alpha, "synthetic")


def test_min_area_rule_reads_the_other_rules_and_duplicates_are_refused(project):
    base = wind_sites(project, exclusions=[MinWindSpeed(5.6)], max_site_km2=None)
    with_area = wind_sites(project, exclusions=[MinWindSpeed(5.6), MinContiguousArea(3.0)], max_site_km2=None)
    row = with_area.exclusion_table.set_index("layer").loc["min_contiguous_area"]
    assert row["excluded_km2"] == pytest.approx(base.totals["usable_km2"] - with_area.totals["usable_km2"])
    assert (with_area.sites["area_km2"] >= 3.0 - 1e-9).all()
    with pytest.raises(InputError, match="at most one"):
        ExclusionStack([MinContiguousArea(1.0), MinContiguousArea(2.0, name="other")])


def test_airport_and_railway_station_setbacks_come_from_the_assumptions(tmp_path):
    project = synthetic_wind_project(tmp_path / "p", size_km=24, seed=1, settlements=0, buildings=0)
    excl = project.read("exclusions")
    cx, cy = centre_utm()
    extra = gpd.GeoDataFrame(
        {
            "id": ["osm-runway", "osm-station"],
            "name": ["runway", "station"],
            "exclusion_kind": ["airport", "railway_station"],
            "buffer_m": [0.0, 0.0],
            "source": "osm",
        },
        geometry=[shapely.LineString([(cx - 1200, cy), (cx + 1200, cy)]), shapely.Point(cx + 8000, cy + 8000)],
        crs=UTM,
    ).to_crs("EPSG:4326")
    excl = excl[excl["exclusion_kind"] != "airport"]
    project.write("exclusions", pd.concat([excl, extra], ignore_index=True))
    result = wind_sites(project, min_speed_m_s=None, min_area_km2=None)
    table = result.exclusion_table.set_index("layer")
    a = WindAssumptions()
    runway_area = shapely.LineString([(0, 0), (2400, 0)]).buffer(a.buffers_m["airport"]).area / 1e6
    assert table.loc["airport", "excluded_km2"] == pytest.approx(runway_area, rel=0.03)
    assert table.loc["railway_station", "excluded_km2"] == pytest.approx(
        np.pi * (a.buffers_m["railway_station"] / 1000) ** 2, rel=0.05
    )
    assert "6000 m" in table.loc["airport", "rule"]


# -- grid connection ------------------------------------------------------------------------


def test_site_beside_a_220kv_substation_costs_less_to_connect_than_30_km_away():
    grid = _substations([(2100.0, 1000.0, 220.0)])
    near = _site(0.0, 0.0)  # the substation sits 100 m east of the site
    far = _site(-30_000.0, 0.0)  # the same site moved 30 km west
    a = WindAssumptions()
    c_near = grid_connection(near, grid, a).iloc[0]
    c_far = grid_connection(far, grid, a).iloc[0]
    assert c_near["substation_kv"] == 220.0
    assert c_near["substation_distance_km"] == pytest.approx(0.1, abs=0.01)
    assert c_far["substation_distance_km"] == pytest.approx(30.1, abs=0.05)
    assert c_near["connection_cost_cny"] < c_far["connection_cost_cny"]
    # 50 MW connects at 110 kV: line per km × route factor × km + bay
    line = a.connection_classes[0]
    assert c_far["connection_kv"] == 110.0
    expected = 30.1 * a.line_route_factor * line.line_cost_cny_per_km + line.bay_cost_cny
    assert c_far["connection_cost_cny"] == pytest.approx(expected, rel=0.003)
    assert c_far["connection_cost_cny_per_kw"] == pytest.approx(c_far["connection_cost_cny"] / 50_000.0)


def test_nearest_substation_below_110kv_and_lines_are_ignored_and_large_sites_need_220kv():
    grid = _substations([(2500.0, 0.0, 35.0), (10_000.0, 0.0, 110.0), (20_000.0, 0.0, 220.0)])
    line = _substations([(2200.0, 500.0, 500.0)], name_prefix="line")
    line["grid_kind"] = "line"
    grid = pd.concat([grid, line], ignore_index=True)
    small = grid_connection(_site(0.0, 0.0, mw=50.0), grid).iloc[0]
    assert small["substation_id"] == "sub-1"  # the 35 kV one is nearer but too small; lines are no substations
    assert small["substation_kv"] == 110.0
    big = grid_connection(_site(0.0, 0.0, mw=250.0), grid).iloc[0]
    assert big["connection_kv"] == 220.0
    assert big["substation_id"] == "sub-2"
    nothing = grid_connection(_site(0.0, 0.0), _substations([(5000.0, 0.0, 35.0)])).iloc[0]
    assert np.isnan(nothing["connection_cost_cny"])
    with pytest.raises(InputError, match="voltage_kv"):
        grid_connection(_site(0.0, 0.0), grid.drop(columns="voltage_kv"))


# -- LCOE and supply curve -------------------------------------------------------------------


def test_lcoe_is_annualised_cost_over_energy():
    a = WindAssumptions(capex_cny_per_kw=6000.0, opex_cny_per_kw_year=150.0, wacc=0.05, lifetime_years=25)
    crf = 0.05 * 1.05**25 / (1.05**25 - 1)
    got = lcoe_cny_per_kwh(np.array([50.0, 0.0]), np.array([110_000.0, 0.0]), connection_cost_cny=20e6, assumptions=a)
    expected = ((50_000 * 6000 + 20e6) * crf + 50_000 * 150) / 110_000_000
    assert got[0] == pytest.approx(expected)
    assert np.isnan(got[1])


def test_supply_curve_is_monotone_and_adds_up_to_the_sites(project):
    grid = _substations([(-6000.0, -6000.0, 220.0), (7000.0, 5000.0, 110.0), (0.0, 9000.0, 500.0)])
    result = wind_sites(project, grid_layer=grid, min_speed_m_s=5.2, near_grid_km=5.0)
    curve = result.supply_curve
    sites = result.sites
    assert len(curve) > 5
    assert curve["lcoe_cny_per_kwh"].is_monotonic_increasing
    assert (curve["supply_rank"] == np.arange(1, len(curve) + 1)).all()
    assert curve["cumulative_mw"].iloc[-1] == pytest.approx(sites["capacity_mw"].sum())
    assert curve["cumulative_gwh_per_year"].iloc[-1] == pytest.approx(sites["energy_mwh_per_year"].sum() / 1000)
    assert np.all(np.diff(curve["cumulative_mw"]) > 0)
    # sites carry their substation and a connection cost that enters the LCOE
    assert sites["substation_id"].notna().all()
    assert (sites["connection_cost_cny"] > 0).all()
    no_grid = wind_sites(project, min_speed_m_s=5.2)
    merged = sites.merge(no_grid.sites[["label", "lcoe_cny_per_kwh"]], on="label", suffixes=("", "_no_grid"))
    assert (merged["lcoe_cny_per_kwh"] > merged["lcoe_cny_per_kwh_no_grid"]).all()
    # the potentials follow from the curve
    p = result.potentials
    assert p["technical_mw"] == pytest.approx(curve["capacity_mw"].sum())
    assert p["below_benchmark_mw"] == pytest.approx(curve.loc[curve["below_benchmark"], "capacity_mw"].sum())
    near = sites["substation_distance_km"] <= p["near_grid_km"]
    assert p["near_grid_mw"] == pytest.approx(sites.loc[near, "capacity_mw"].sum())
    assert 0 < p["near_grid_mw"] < p["technical_mw"]
    assert p["usable_share_pct"] == pytest.approx(100 * result.totals["usable_km2"] / result.totals["region_km2"])


def test_a_benchmark_below_every_lcoe_leaves_nothing_under_it(project):
    result = wind_sites(project, benchmark_cny_per_kwh=0.05)
    assert result.potentials["below_benchmark_mw"] == 0.0
    assert not result.supply_curve["below_benchmark"].any()
    cheap = wind_sites(project, benchmark_cny_per_kwh=5.0)
    assert cheap.potentials["below_benchmark_mw"] == pytest.approx(cheap.potentials["technical_mw"])


# -- existing and planned wind farms ----------------------------------------------------------


def _plants(rows):
    cx, cy = centre_utm()
    return gpd.GeoDataFrame(
        {
            "id": [f"p{i}" for i in range(len(rows))],
            "name": [r[0] for r in rows],
            "technology": [r[1] for r in rows],
            "capacity_mw": [r[2] for r in rows],
            "status": [r[3] for r in rows],
            "location_accuracy": [r[4] for r in rows],
            "source": "synthetic",
        },
        geometry=[shapely.Point(cx + r[5], cy + r[6]) for r in rows],
        crs=UTM,
    ).to_crs("EPSG:4326")


def test_sites_overlapping_a_wind_farm_are_marked():
    site = _site(0.0, 0.0, size_m=3000.0)
    plants = _plants(
        [
            ("运行风电场", "wind", 50.0, "operating", "exact", 1500.0, 1500.0),  # inside the site
            ("规划风电场", "wind", 100.0, "announced", "approximate", 4500.0, 1500.0),  # footprint reaches it
            ("搁置风电场", "wind", 80.0, "shelved", "exact", 1000.0, 1000.0),  # shelved: not a farm
            ("占位风电场", "wind", 30.0, "operating", "placeholder", 1000.0, 2000.0),  # placeholder: not placed
            ("煤电厂", "coal", 600.0, "operating", "exact", 1200.0, 1200.0),  # not wind
        ]
    )
    out = farm_overlap(site, plants).iloc[0]
    assert out["wind_farm_status"] == "operating"
    assert out["wind_farm_names"] == "规划风电场; 运行风电场"
    assert out["wind_farm_mw"] == pytest.approx(150.0)
    away = farm_overlap(_site(30_000.0, 30_000.0), plants).iloc[0]
    assert away["wind_farm_status"] == ""
    only_planned = farm_overlap(site, plants[plants["status"] != "operating"]).iloc[0]
    assert only_planned["wind_farm_status"] == "announced"
    existing = operating_capacity(plants)
    assert existing["operating_mw"] == pytest.approx(80.0)  # the placeholder counts, coal does not
    assert existing["placeholder_farms"] == 1
    # in a region: by location, or by county adcode when the published point falls outside
    cx, cy = centre_utm()
    region = gpd.GeoDataFrame(
        {"adcode": ["420607"]}, geometry=[shapely.box(cx, cy, cx + 2500, cy + 2500)], crs=UTM
    ).to_crs("EPSG:4326")
    assert operating_capacity(plants, region)["operating_mw"] == pytest.approx(80.0)
    moved = plants.copy()
    moved["county"] = ["420607", None, None, "420683", None]
    moved.loc[0, "geometry"] = shapely.Point(100.0, 20.0)  # published far away, county inside
    moved.loc[3, "geometry"] = shapely.Point(100.0, 20.0)  # far away, county elsewhere
    assert operating_capacity(moved, region)["operating_mw"] == pytest.approx(50.0)
    with pytest.raises(InputError, match="status"):
        farm_overlap(site, plants.drop(columns="status"))


def test_run_marks_overlapping_sites_and_reports_existing_capacity(project):
    base = wind_sites(project)
    target = base.sites.to_crs(UTM).geometry.iloc[0].representative_point()
    cx, cy = centre_utm()
    plants = _plants([("已建风电场", "wind", 48.0, "operating", "exact", target.x - cx, target.y - cy)])
    result = wind_sites(project, power_plants=plants)
    marked = result.sites[result.sites["wind_farm_status"] == "operating"]
    assert len(marked) >= 1
    assert (marked["wind_farm_names"] == "已建风电场").all()
    assert result.potentials["existing_operating_mw"] == pytest.approx(48.0)
    assert result.potentials["overlapping_farm_sites_mw"] == pytest.approx(marked["capacity_mw"].sum())


def test_missing_grid_and_plant_layers_degrade_with_a_note(project):
    result = wind_sites(project)
    assert result.potentials["near_grid_mw"] is None
    assert result.potentials["existing_operating_mw"] is None
    notes = " ".join(result.notes)
    assert "no 'grid' layer" in notes and "--layer grid" in notes
    assert "no 'power_plants' layer" in notes and "--layer power_plants" in notes
    assert result.sites["lcoe_cny_per_kwh"].notna().all()  # LCOE without connection cost
    assert result.sites["substation_id"].isna().all()


# -- real data (../shared/data) ---------------------------------------------------------------


def test_real_osm_substations_and_gem_farms(shared_data, project):
    from _wind_real_layers import gem_wind_plants, osm_grid

    grid = osm_grid(shared_data)
    assert (grid["voltage_kv"] >= 110).sum() >= 100
    plants = gem_wind_plants(shared_data)
    # SOURCES.md: 26 Xiangyang phases in the GEM May 2023 tracker, 14 operating, about 712 MW
    assert len(plants) == 26
    assert operating_capacity(plants)["operating_mw"] == pytest.approx(712.0)
    assert operating_capacity(plants)["farms"] == 14
    # a site at the GEM location of 湖北枣阳太平风电场 is beside an operating farm
    taiping = plants[plants["name"] == "湖北枣阳太平风电场"].to_crs(UTM).geometry.iloc[0]
    site = gpd.GeoDataFrame({"capacity_mw": [50.0]}, geometry=[taiping.buffer(1500.0)], crs=UTM)
    assert farm_overlap(site, plants).iloc[0]["wind_farm_status"] == "operating"
    conn = grid_connection(site, grid).iloc[0]
    assert conn["substation_kv"] >= 110
    assert 0 < conn["substation_distance_km"] < 60


# -- command line and export ------------------------------------------------------------------


def test_cli_xlsx_export_carries_supply_curve_potentials_and_assumptions(project, tmp_path, capsys):
    out = tmp_path / "wind.xlsx"
    assert main(["wind", str(project.path), "--out", str(out), "--near-grid-km", "15", "--capex", "6500"]) == 0
    printed = capsys.readouterr().out
    for label in ("technical potential", "below benchmark", "within 15 km", "existing operating wind", "usable land"):
        assert label in printed
    sheets = pd.read_excel(out, sheet_name=None, engine="openpyxl")
    assert {"supply_curve", "sites", "potentials", "exclusions", "assumptions"} <= set(sheets)
    curve = sheets["supply_curve"]
    assert curve["lcoe_cny_per_kwh"].is_monotonic_increasing
    assert curve["cumulative_mw"].iloc[-1] == pytest.approx(sheets["sites"]["capacity_mw"].sum())
    params = dict(zip(sheets["assumptions"]["parameter"], sheets["assumptions"]["value"].astype(str), strict=True))
    assert params["capex_cny_per_kw"] == "6500.0"
    assert params["near_grid_km"] == "15.0"
    for key in ("wacc", "lifetime_years", "opex_cny_per_kw_year", "benchmark_cny_per_kwh", "buffer_airport_m"):
        assert key in params
    assert "technical potential" in set(sheets["potentials"]["figure"])


def test_cli_csv_export_writes_the_supply_curve_beside(project, tmp_path):
    out = tmp_path / "sites.csv"
    assert main(["wind", str(project.path), "--out", str(out)]) == 0
    curve = pd.read_csv(tmp_path / "sites.supply_curve.csv", encoding="utf-8-sig")
    assert curve["lcoe_cny_per_kwh"].is_monotonic_increasing
    params = pd.read_csv(tmp_path / "sites.assumptions.csv", encoding="utf-8-sig")
    assert "potential_technical_mw" in set(params["parameter"])


# -- the Wind tab -----------------------------------------------------------------------------


def test_wind_tab_shows_the_potentials_with_their_meaning_and_offers_the_workbook(tmp_path):
    from _dashboard_project import build_project

    from dashboard.app import create_app

    project = build_project(tmp_path / "dash")
    app = create_app(project.path).app
    wind = app.tabs_components["wind"]
    assert wind.wait(600)  # computed once in the server's worker process, then read from the store
    assert wind.result is not None
    p = wind.result.potentials
    shown = wind.potentials.object
    assert f"{p['technical_mw']:,.0f}" in shown
    assert f"{p['below_benchmark_mw']:,.0f}" in shown
    assert f"{p['usable_share_pct']:.1f} %" in shown
    assert "n/a" in shown or "无数据" in shown  # no grid / power_plants layer in this project
    zh = wind.meaning.object
    assert "技术可开发量" in zh and "0.4161" in zh
    assert "--layer grid" in zh  # how to import the missing layer
    if wind.result.assumptions["resource_source"] == "synthetic":
        assert "合成" in zh
    wind.lang = "en"
    assert "upper bound" in wind.meaning.object
    data = wind.workbook.buttons["xlsx"].callback().getvalue()  # the workbook in the UI language
    assert data[:2] == b"PK"  # an xlsx (zip) file
    path = tmp_path / "wind.xlsx"
    path.write_bytes(data)
    sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    assert {"Supply curve", "Assumptions", "Potentials"} <= set(sheets)
    assert len(wind.table.value) == len(wind.result.sites)
    assert "lcoe_cny_per_kwh" in wind.table.value.columns


def test_cli_refuses_impossible_economics_with_status_2(project, tmp_path, capsys):
    assert main(["wind", str(project.path), "--wacc", "7", "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "wacc" in capsys.readouterr().err
    assert main(["wind", str(project.path), "--capacity-density", "0", "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "capacity_density_mw_per_km2" in capsys.readouterr().err
    assert not (tmp_path / "x.xlsx").exists()
