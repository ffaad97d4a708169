"""Waste allocation and new-facility siting (siting.waste) on synthetic road grids."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from _waste_synthetic import facilities, grid_roads, networkx_transport_cost, points, sources

from geo.errors import InputError
from siting.waste import FacilityLocation, route_waste, site_new_facilities
from siting.waste._lp import solve_transport

ROADS = grid_roads(6, 1000.0)


def _layers(src, fac, roads=ROADS, parks=None):
    out = {"roads": roads, "waste_sources": src, "facilities": fac}
    if parks is not None:
        out["industrial_parks"] = parks
    return out


def _assert_balanced(result):
    per_source = result.flows.groupby("source_id")["t_per_year"].sum()
    unmet = result.unmet.set_index("source_id")
    delivered = per_source.reindex(unmet.index).fillna(0.0)
    np.testing.assert_allclose(delivered + unmet["unmet_t_per_year"], unmet["supply_t_per_year"], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(delivered, unmet["delivered_t_per_year"], atol=1e-6)
    use = result.facility_use.set_index("facility_id")
    per_fac = result.flows.groupby("facility_id")["t_per_year"].sum()
    cap = use.loc[per_fac.index, "capacity_t_per_year"]
    assert (per_fac <= cap * (1 + 1e-9) + 1e-6).all()
    assert result.totals["supply_t_per_year"] == pytest.approx(
        result.totals["delivered_t_per_year"] + result.totals["unmet_t_per_year"]
    )


def test_allocation_balances_and_uses_nearest_when_capacity_allows():
    src = sources([(0, 0), (5000, 5000), (0, 5000)], [100, 200, 50])
    fac = facilities([(0, 1000), (5000, 4000)], [1000, 1000])
    r = route_waste(_layers(src, fac), waste_kind="phosphogypsum")
    _assert_balanced(r)
    assert r.totals["unmet_t_per_year"] == 0
    dest = r.flows.set_index("source_id")["facility_id"]
    assert dest["s0"] == "f0" and dest["s1"] == "f1" and dest["s2"] == "f0"
    s0 = r.flows.set_index("source_id").loc["s0"]
    assert s0["network_km"] == pytest.approx(1.0, rel=1e-6)
    assert s0["tkm"] == pytest.approx(100 * s0["km"])
    assert s0["tco2"] == pytest.approx(s0["tkm"] * 0.1 / 1000)
    assert r.totals["mean_haul_km"] == pytest.approx(r.totals["tkm_per_year"] / 350.0)
    # route geometry: starts at the source, ends at the facility, follows the grid
    line = r.flows.set_index("source_id").loc["s2", "geometry"]
    assert line.coords[0] == pytest.approx(points([(0, 5000)]).iloc[0].coords[0])
    assert line.coords[-1] == pytest.approx(points([(0, 1000)]).iloc[0].coords[0])


def test_short_capacity_leaves_unmet_never_overfills():
    src = sources([(0, 0), (5000, 5000), (2500, 2500)], [400, 300, 300])
    fac = facilities([(0, 1000), (5000, 4000)], [250, 150])
    r = route_waste(_layers(src, fac), waste_kind="phosphogypsum")
    _assert_balanced(r)
    assert r.totals["delivered_t_per_year"] == pytest.approx(400.0)
    assert r.totals["unmet_t_per_year"] == pytest.approx(600.0)
    use = r.facility_use.set_index("facility_id")
    np.testing.assert_allclose(use["used_t_per_year"], [250, 150])
    short = r.unmet[r.unmet["unmet_t_per_year"] > 0]
    assert short["reason"].str.contains("capacity short").all()


def test_lp_equals_networkx_min_cost_flow():
    rng = np.random.default_rng(11)
    n_s, n_f = 7, 4
    cost = rng.integers(1, 50, (n_s, n_f)).astype(float)
    cost[0, :2] = np.inf  # not every pair is allowed
    supply = rng.integers(10, 60, n_s).astype(float)
    capacity = rng.integers(20, 80, n_f).astype(float)
    penalty = 1000.0
    sol = solve_transport(cost, supply, capacity, penalty=penalty)
    assert sol.objective == pytest.approx(networkx_transport_cost(cost, supply, capacity, penalty), rel=1e-9)
    assert np.all(sol.flow.sum(axis=0) <= capacity + 1e-6)
    np.testing.assert_allclose(sol.flow.sum(axis=1) + sol.unmet, supply)


def test_waste_kinds_go_only_to_accepting_facilities():
    src = sources([(0, 0), (5000, 0)], [100, 100], kind=["phosphogypsum", "construction"])
    fac = facilities(
        [(0, 1000), (5000, 1000), (2500, 2000)],
        [1000, 1000, 1000],
        kind=["construction_recycling_plant", "phosphogypsum_plant", "landfill"],
    )
    pg = route_waste(_layers(src, fac), waste_kind="phosphogypsum")
    cw = route_waste(_layers(src, fac), waste_kind="construction_waste")  # alias accepted
    assert set(pg.flows["facility_id"]) == {"f1"}
    assert set(cw.flows["facility_id"]) == {"f2"}  # the landfill, 4.5 km (recycling plant: 6 km)
    assert pg.totals["supply_t_per_year"] == 100 and cw.totals["supply_t_per_year"] == 100
    roles = pg.facility_use.set_index("facility_id")["role"]
    assert roles["f0"] == "not_accepting" and roles["f2"] == "not_accepting"
    # an explicit accepts column overrides the facility kind's default
    fac2 = fac.assign(accepts=["phosphogypsum", "", ""])
    pg2 = route_waste(_layers(src, fac2), waste_kind="phosphogypsum")
    assert set(pg2.flows["facility_id"]) == {"f0"}


def test_objective_cost_weighs_gate_fees_tkm_does_not():
    src = sources([(0, 0)], [100])
    fac = facilities([(0, 1000), (0, 4000)], [1000, 1000], gate_fee=[50.0, 0.0])
    by_cost = route_waste(_layers(src, fac), waste_kind="phosphogypsum", cny_per_tkm=0.5)
    by_tkm = route_waste(_layers(src, fac), waste_kind="phosphogypsum", objective="tkm")
    assert by_cost.flows["facility_id"].tolist() == ["f1"]  # 4 km × 0.5 < 1 km × 0.5 + 50
    assert by_tkm.flows["facility_id"].tolist() == ["f0"]
    assert by_cost.totals["cost_cny_per_year"] == pytest.approx(100 * 4.0 * 0.5, rel=1e-6)


def test_unreachable_source_and_off_network_facility_are_reported():
    src = sources([(0, 0), (60_000, 0)], [100, 70])  # the second is 55 km from any road
    fac = facilities([(0, 1000), (-40_000, 0)], [1000, 1000])
    r = route_waste(_layers(src, fac), waste_kind="phosphogypsum", max_snap_m=2000.0)
    _assert_balanced(r)
    unmet = r.unmet.set_index("source_id")
    assert unmet.loc["s1", "unmet_t_per_year"] == 70
    assert "off the road network" in unmet.loc["s1", "reason"]
    assert unmet.loc["s0", "unmet_t_per_year"] == 0
    assert r.facility_use.set_index("facility_id").loc["f1", "role"] == "off_network"
    assert any("source" in w for w in r.warnings) and any("facilit" in w for w in r.warnings)


def test_zero_capacity_reported_negative_capacity_rejected():
    src = sources([(0, 0)], [100])
    fac = facilities([(0, 1000), (0, 2000)], [0, 40])
    r = route_waste(_layers(src, fac), waste_kind="phosphogypsum")
    use = r.facility_use.set_index("facility_id")
    assert use.loc["f0", "role"] == "zero_capacity" and use.loc["f0", "used_t_per_year"] == 0
    assert r.totals["unmet_t_per_year"] == pytest.approx(60.0)
    with pytest.raises(InputError, match=r"capacity_t_per_year.*row f1"):
        route_waste(_layers(src, facilities([(0, 1000), (0, 2000)], [10, -5])), waste_kind="phosphogypsum")


def test_no_accepting_facility_gives_reason():
    src = sources([(0, 0)], [100], kind="construction")
    fac = facilities([(0, 1000)], [1000])
    r = route_waste(_layers(src, fac), waste_kind="construction")
    assert r.totals["unmet_t_per_year"] == 100
    assert "no usable facility accepting construction" in r.unmet["reason"].iloc[0]
    assert r.flows.empty


def test_bad_inputs_raise_clear_input_errors():
    src = sources([(0, 0)], [100])
    fac = facilities([(0, 1000)], [1000])
    with pytest.raises(InputError, match="unknown waste kind 'coal_ash'"):
        route_waste(_layers(src, fac), waste_kind="coal_ash")
    with pytest.raises(InputError, match="waste_kind"):
        route_waste(_layers(src.assign(waste_kind="slag"), fac), waste_kind="phosphogypsum")
    with pytest.raises(InputError, match="facility_kind"):
        route_waste(_layers(src, fac.assign(facility_kind="volcano")), waste_kind="phosphogypsum")
    with pytest.raises(InputError, match="accepts"):
        route_waste(_layers(src, fac.assign(accepts="plutonium")), waste_kind="phosphogypsum")
    with pytest.raises(InputError, match="supply_t_per_year"):
        route_waste(_layers(src.assign(supply_t_per_year=-1.0), fac), waste_kind="phosphogypsum")
    empty_roads = ROADS.iloc[:0]
    with pytest.raises(InputError, match="empty"):
        route_waste(_layers(src, fac, roads=empty_roads), waste_kind="phosphogypsum")
    with pytest.raises(InputError, match="roads"):
        route_waste({"waste_sources": src, "facilities": fac}, waste_kind="phosphogypsum")
    with pytest.raises(InputError, match="cny_per_tkm"):
        route_waste(_layers(src, fac), waste_kind="phosphogypsum", cny_per_tkm=-1)


def test_p_median_objective_equals_spopt():
    pulp = pytest.importorskip("pulp")
    spopt_pm = pytest.importorskip("spopt.locate")
    from geo.costs import cost_matrix
    from geo.network import RoadNetwork

    net = RoadNetwork.from_lines(grid_roads(8, 500.0, oneway_rows=(2, 5)))
    rng = np.random.default_rng(5)
    demand_nodes = rng.choice(net.n_nodes, 25, replace=False)
    cand_nodes = rng.choice(net.n_nodes, 8, replace=False)
    cost = cost_matrix(net, demand_nodes, cand_nodes).length_m / 1000.0
    weights = rng.integers(1, 20, 25).astype(float)
    ours = FacilityLocation.from_cost_matrix(cost, weights, 3).solve()
    theirs = spopt_pm.PMedian.from_cost_matrix(cost, weights, p_facilities=3)
    available = pulp.listSolvers(onlyAvailable=True)
    solver = pulp.PULP_CBC_CMD(msg=False) if "PULP_CBC_CMD" in available else pulp.HiGHS(msg=False)
    theirs = theirs.solve(solver)
    assert ours.objective == pytest.approx(pulp.value(theirs.problem.objective), rel=1e-6)
    assert len(ours.selected) == 3
    # every demand served in full from an opened site
    np.testing.assert_allclose(ours.flow.sum(axis=1), weights)
    assert set(np.flatnonzero(ours.flow.sum(axis=0) > 0)) <= set(ours.selected)


def test_location_infeasibility_detected_before_solving():
    cost = np.array([[1.0, 2.0], [np.inf, np.inf]])
    with pytest.raises(InputError, match="cannot reach"):
        FacilityLocation.from_cost_matrix(cost, [1.0, 1.0], 1)
    ok = np.array([[1.0, 2.0], [3.0, 1.0]])
    with pytest.raises(InputError, match="k=3"):
        FacilityLocation.from_cost_matrix(ok, [1.0, 1.0], 3)
    with pytest.raises(InputError, match=">= 1"):
        FacilityLocation.from_cost_matrix(ok, [1.0, 1.0], 0)
    with pytest.raises(InputError, match="capacities"):
        FacilityLocation.from_cost_matrix(ok, [1.0, 1.0], 1, capacities=[0.0, 5.0])
    with pytest.raises(InputError, match="largest candidates"):
        FacilityLocation.from_cost_matrix(ok, [10.0, 10.0], 1, capacities=[5.0, 5.0])
    # with unmet allowed the same data solves, reporting the shortfall
    model = FacilityLocation.from_cost_matrix(ok, [10.0, 10.0], 1, capacities=[5.0, 5.0], unmet_penalty=100.0).solve()
    assert model.unmet.sum() == pytest.approx(15.0)


def _parks(xy):
    return gpd.GeoDataFrame(
        {"id": [f"p{i}" for i in range(len(xy))], "name": [f"园区{i}" for i in range(len(xy))], "source": "synthetic"},
        geometry=points(xy).to_crs("EPSG:32649").buffer(150).to_crs("EPSG:4326").to_numpy(),
        crs="EPSG:4326",
    )


def test_site_new_facilities_fills_the_gap_where_waste_is():
    src = sources([(0, 0), (5000, 5000), (4800, 5000), (200, 300)], [100, 300, 200, 50])
    fac = facilities([(0, 1000)], [200])
    parks = _parks([(5000, 4500), (0, 2000), (2500, 0)])
    result = site_new_facilities(
        _layers(src, fac, parks=parks), waste_kind="phosphogypsum", k=1, capacity_t_per_year=600.0
    )
    _assert_balanced(result.before)
    _assert_balanced(result.after)
    assert result.before.totals["unmet_t_per_year"] == pytest.approx(450.0)
    assert result.after.totals["unmet_t_per_year"] == pytest.approx(0.0, abs=1e-6)
    assert result.chosen["name"].tolist() == ["园区0"]  # next to the big sources
    assert result.candidates["selected"].sum() == 1
    assert result.gain["change_unmet_t_per_year"] == pytest.approx(-450.0)
    assert result.chosen["used_t_per_year"].iloc[0] == pytest.approx(500.0)
    # the MIP objective equals the after allocation's objective (fixed costs zero)
    after = result.after
    pen = after.assumptions["unmet_penalty_cny_per_t"]
    assert result.gain["mip_objective"] == pytest.approx(
        after.totals["cost_cny_per_year"] + pen * after.totals["unmet_t_per_year"], rel=1e-6
    )
    assert "before" in result.summary()


def test_site_new_facilities_bad_inputs():
    src = sources([(0, 0)], [100])
    fac = facilities([(0, 1000)], [50])
    parks = _parks([(5000, 4500), (0, 2000)])
    with pytest.raises(InputError, match="k=3"):
        site_new_facilities(_layers(src, fac, parks=parks), waste_kind="phosphogypsum", k=3)
    with pytest.raises(InputError, match="industrial_parks"):
        site_new_facilities(_layers(src, fac), waste_kind="phosphogypsum", k=1)
    cands = gpd.GeoDataFrame({"capacity_t_per_year": [-5.0]}, geometry=points([(0, 0)]).to_numpy(), crs="EPSG:4326")
    with pytest.raises(InputError, match="capacity_t_per_year"):
        site_new_facilities(_layers(src, fac), waste_kind="phosphogypsum", k=1, candidates=cands)
    far = gpd.GeoDataFrame({"name": ["远"]}, geometry=points([(90_000, 0)]).to_numpy(), crs="EPSG:4326")
    with pytest.raises(InputError, match="on the road network"):
        site_new_facilities(_layers(src, fac), waste_kind="phosphogypsum", k=1, candidates=far)


def test_fixed_costs_can_make_a_farther_site_win():
    src = sources([(0, 0)], [100])
    fac = facilities([(5000, 5000)], [0.0])
    cands = gpd.GeoDataFrame(
        {"name": ["near", "far"], "fixed_cost_cny_per_year": [1e6, 0.0]},
        geometry=points([(0, 500), (5000, 0)]).to_numpy(),
        crs="EPSG:4326",
    )
    result = site_new_facilities(
        _layers(src, fac), waste_kind="phosphogypsum", k=1, candidates=cands, gate_fee_cny_per_t=0.0
    )
    assert result.chosen["name"].tolist() == ["far"]
    assert result.gain["fixed_cost_cny_per_year"] == 0.0


def test_exports_and_project_cache(tmp_path):
    from layers.project import Project
    from siting.waste import load_network

    project = Project.create(tmp_path / "proj")
    src = sources([(0, 0), (5000, 5000)], [100, 300])
    fac = facilities([(0, 1000)], [200])
    project.write_many({"roads": ROADS, "waste_sources": src, "facilities": fac})
    first = load_network(project)
    assert load_network(Project.open(project.path)) is first  # same file, same mtime
    r = route_waste(project, waste_kind="phosphogypsum")
    _assert_balanced(r)
    again = route_waste(project, waste_kind="phosphogypsum")
    pd.testing.assert_frame_equal(again.flows.drop(columns="geometry"), r.flows.drop(columns="geometry"))
    for suffix in ("geojson", "gpkg", "xlsx", "csv"):
        path = r.export(tmp_path / f"flows.{suffix}")
        assert path.exists() and path.stat().st_size > 0
    back = gpd.read_file(tmp_path / "flows.geojson")
    assert len(back) == len(r.flows)
    assert (back.geometry.geom_type == "LineString").all()
    sheets = pd.read_excel(tmp_path / "flows.xlsx", sheet_name=None)
    assert "assumptions" in sheets
    project.write("roads", grid_roads(4, 1000.0))  # a new roads layer: the cache must rebuild
    assert load_network(project) is not first
    assert load_network(project).n_nodes == 16


def test_cli_route_and_site(tmp_path, capsys):
    from dashboard.cli import main
    from layers.project import Project

    project = Project.create(tmp_path / "proj")
    src = sources([(0, 0), (5000, 5000), (4800, 5000)], [100, 300, 200])
    fac = facilities([(0, 1000)], [200])
    project.write_many(
        {
            "roads": ROADS,
            "waste_sources": src,
            "facilities": fac,
            "industrial_parks": _parks([(5000, 4500), (0, 2000), (2500, 0)]),
        }
    )
    out = tmp_path / "flows.gpkg"
    assert (
        main(
            [
                "route",
                str(project.path),
                "--waste",
                "phosphogypsum",
                "--out",
                str(out),
                "--unmet-out",
                str(tmp_path / "unmet.csv"),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "unmet" in text and "t·km" in text and "CO2" in text
    assert len(gpd.read_file(out)) >= 1
    assert (tmp_path / "unmet.csv").exists()
    sites = tmp_path / "sites.geojson"
    assert main(["site", str(project.path), "--waste", "phosphogypsum", "-k", "1", "--out", str(sites)]) == 0
    assert "before" in capsys.readouterr().out
    assert gpd.read_file(sites)["selected"].sum() == 1
    # errors: exit status 2 with a message, no traceback
    assert main(["site", str(project.path), "--waste", "phosphogypsum", "-k", "9", "--out", str(sites)]) == 2
    assert "k=9" in capsys.readouterr().err
    empty = Project.create(tmp_path / "empty")
    empty.write_many({"waste_sources": src, "facilities": fac})
    assert main(["route", str(empty.path), "--waste", "construction", "--out", str(out)]) == 2
    assert "roads" in capsys.readouterr().err


def test_route_and_site_read_their_shared_options_the_same_way(capsys):
    from dashboard.cli import build_parser, main
    from dashboard.commands._waste_args import waste_options
    from geo.network import DEFAULT_TRUCK_SPEEDS_KMH

    shared = ["--waste", "construction", "--speed", "trunk=55", "--statuses", "operating,planned"]
    shared += ["--objective", "tkm", "--cny-per-tkm", "0.9", "--max-snap", "300", "--snap", "node"]
    parser = build_parser()
    route = waste_options(parser.parse_args(["route", "DIR", *shared, "--out", "f.csv"]))
    site = waste_options(parser.parse_args(["site", "DIR", *shared, "-k", "1", "--out", "c.csv"]))
    assert route == site
    assert route["speeds_kmh"] == {**DEFAULT_TRUCK_SPEEDS_KMH, "trunk": 55.0}
    assert route["statuses"] == ("operating", "planned")
    assert (route["waste_kind"], route["objective"], route["snap_method"]) == ("construction", "tkm", "node")
    assert (route["cny_per_tkm"], route["max_snap_m"], route["osm_path"]) == (0.9, 300.0, None)
    # a malformed NAME=NUMBER option is a user error naming the option, before any work
    assert main(["route", "no-such-dir", "--waste", "construction", "--speed", "trunk", "--out", "f.csv"]) == 2
    assert "--speed 'trunk': write CLASS=KMH" in capsys.readouterr().err


def test_no_sources_of_the_kind_no_facilities_and_missing_locations_are_reported():
    src = sources([(0, 0), (100, 100)], [100, 50], kind="construction")
    fac = facilities([(0, 1000)], [50])
    none = route_waste(_layers(src, fac), waste_kind="phosphogypsum")
    assert none.totals["supply_t_per_year"] == 0 and none.flows.empty
    assert any("no phosphogypsum sources" in w for w in none.warnings)
    no_fac = route_waste(_layers(src, fac.iloc[:0]), waste_kind="construction")
    _assert_balanced(no_fac)
    assert no_fac.totals["unmet_t_per_year"] == 150
    src.loc[0, "geometry"] = None
    fac2 = facilities([(0, 1000)], [500], kind="landfill")
    missing = route_waste(_layers(src, fac2), waste_kind="construction")
    _assert_balanced(missing)
    assert missing.unmet.set_index("source_id").loc["s0", "reason"].startswith("no location")
    assert missing.totals["delivered_t_per_year"] == 50
    assert any("without a location" in w for w in missing.warnings)
