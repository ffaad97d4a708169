"""One schema check for every analysis input (layers.conform), and the import guards of issue 11:
all-outside files refused unless --allow-outside, --rename SRC=DST, close-match hints."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from _waste_synthetic import facilities, grid_roads, points, sources
from rasterio.transform import from_origin

from dashboard.cli import main
from geo.crs import XIANGYANG_UTM
from geo.errors import InputError
from layers import Project, conform
from siting.solar import rooftop_potential
from siting.waste import route_waste, site_new_facilities

ROADS = grid_roads(4, 1000.0)


def _rooftops() -> gpd.GeoDataFrame:
    centres = points([(0, 0), (200, 0), (400, 0)])
    return gpd.GeoDataFrame(
        {"id": ["r0", "r1", "r2"], "use_class": "industrial", "height_m": [6.0, 9.0, 12.0], "source": "synthetic"},
        geometry=centres.to_crs(XIANGYANG_UTM).buffer(15, cap_style="square").to_crs(4326).to_numpy(),
        crs=4326,
    )


def _candidates() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["c0", "c1"], "capacity_t_per_year": [500.0, 800.0]},
        geometry=points([(2000, 0), (0, 2000)]).to_numpy(),
        crs=4326,
    )


def _src():
    return sources([(0, 0), (1000, 1000)], [100, 200])


def _fac():
    return facilities([(0, 1000), (2000, 2000)], [150, 400])


def _solar(frame):
    return rooftop_potential(frame, shading=False, monthly=False)


def _route(frame):
    return route_waste({"roads": ROADS, "waste_sources": frame, "facilities": _fac()}, waste_kind="phosphogypsum")


def _site(frame):
    layers = {"roads": ROADS, "waste_sources": _src(), "facilities": frame}
    return site_new_facilities(layers, waste_kind="phosphogypsum", k=1, candidates=_candidates())


def _candidate_sites(frame):
    layers = {"roads": ROADS, "waste_sources": _src(), "facilities": _fac()}
    return site_new_facilities(layers, waste_kind="phosphogypsum", k=1, candidates=frame)


#: analysis, its input frame, the schema kind, the message context, the numeric column
ANALYSES = {
    "solar": (_solar, _rooftops, "rooftops", "rooftops", "height_m"),
    "waste routing": (_route, _src, "waste_sources", "waste_sources", "supply_t_per_year"),
    "facility siting": (_site, _fac, "facilities", "facilities", "capacity_t_per_year"),
    "candidate sites": (_candidate_sites, _candidates, "candidate_sites", "candidates", "capacity_t_per_year"),
}


def _no_crs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(frame.drop(columns="geometry")), geometry=frame.geometry.to_numpy().copy())


def _bad(frame: gpd.GeoDataFrame, how: str, column: str) -> gpd.GeoDataFrame:
    frame = frame.copy()
    if how == "wrong dtype":
        frame[column] = frame[column].astype(object)
        frame.loc[frame.index[1], column] = "lots"
    elif how == "negative":
        frame.loc[frame.index[1], column] = -5.0
    elif how == "missing column":
        frame = frame.drop(columns=column)
    elif how == "no CRS":
        frame = _no_crs(frame)
    return frame


SHAPES = {
    "wrong dtype": r"^{ctx}: column '{col}' of layer '{kind}' must be numeric \(.*\); non-numeric values \['lots'\] "
    r"in row {row}$",
    "negative": r"^{ctx}: column '{col}' of layer '{kind}' must be ≥ 0; found \[-5\.0\] in row {row}$",
    "missing column": r"^{ctx}: layer '{kind}' needs column\(s\) {col}; the data has: .*",
    "no CRS": r"^{ctx}: no CRS \(coordinate reference system\); set one .*",
}


#: rooftops and candidate sites have no required column (every column has a default)
CASES = [
    (a, how) for a in ANALYSES for how in SHAPES if how != "missing column" or a in ("waste routing", "facility siting")
]


@pytest.mark.parametrize(("analysis", "how"), CASES)
def test_four_analyses_reject_bad_input_with_the_one_checkers_message(analysis, how):
    run, make, kind, ctx, column = ANALYSES[analysis]
    good = make()
    bad = _bad(good, how, column)
    with pytest.raises(InputError) as from_analysis:
        run(bad)
    with pytest.raises(InputError) as from_checker:
        conform(bad, kind, context=ctx)
    message = str(from_analysis.value)
    # the same message as the one checker gives, in the same shape for every analysis
    assert message == str(from_checker.value)
    row = re.escape(str(good["id"].iloc[1]))
    assert re.match(SHAPES[how].format(ctx=ctx, col=column, kind=kind, row=row), message), message
    run(good)  # and the good input runs


def test_conform_fills_defaults_and_says_so():
    bare = _rooftops()[["id", "geometry"]]
    out, notes = conform(bare, "rooftops")
    assert (out["use_class"] == "residential").all() and (out["height_m"] == 10.0).all()
    assert "no height_m column: 10.0 used" in notes and "no roof_type column: 'flat' used" in notes
    gappy = _fac()
    gappy.loc[0, "status"] = None
    out, notes = conform(gappy, "facilities")
    assert out["status"].tolist() == ["operating", "operating"]
    assert "status: 1 empty values set to 'operating'" in notes
    # values are normalised as on import: " Cement_Kiln " is cement_kiln; numbers are floats
    messy = _fac().assign(facility_kind=[" Cement_Kiln ", "landfill"], capacity_t_per_year=["150", 400])
    out, _ = conform(messy, "facilities")
    assert out["facility_kind"].tolist() == ["cement_kiln", "landfill"]
    assert out["capacity_t_per_year"].dtype == "float64"
    # the CRS and the index are kept: conform checks, it does not move the data
    utm = _fac().to_crs(XIANGYANG_UTM).set_index(pd.Index([7, 9]))
    out, _ = conform(utm, "facilities")
    assert out.crs == utm.crs and out.index.tolist() == [7, 9]


def test_conform_refuses_wrong_geometry_and_duplicate_ids():
    lines = _fac()
    lines.geometry = [shapely.LineString([(112.1, 32.0), (112.2, 32.1)])] * 2
    with pytest.raises(InputError, match=r"^facilities: layer 'facilities' needs Point geometries, found LineString"):
        conform(lines, "facilities")
    twins = _fac().assign(id=["f0", "f0"])
    with pytest.raises(InputError, match=r"ids must be unique.*f0"):
        conform(twins, "facilities")
    # routing keeps sources without a location (reported as unmet) — an explicit choice
    src = _src()
    src.loc[1, "geometry"] = None
    with pytest.raises(InputError, match="empty or missing geometries"):
        conform(src, "waste_sources")
    out, _ = conform(src, "waste_sources", allow_empty_geometry=True)
    assert out.geometry.isna().tolist() == [False, True]


def test_missing_column_error_suggests_the_close_match():
    frame = _fac().rename(columns={"facility_kind": "kind", "capacity_t_per_year": "Capacity_T_Per_Year"})
    with pytest.raises(InputError) as err:
        conform(frame, "facilities")
    message = str(err.value)
    assert "needs column(s) facility_kind, capacity_t_per_year" in message
    assert "'kind' for 'facility_kind'" in message and "'Capacity_T_Per_Year' for 'capacity_t_per_year'" in message
    assert "--rename kind=facility_kind" in message
    with pytest.raises(InputError) as err:
        conform(_fac().drop(columns="facility_kind"), "facilities")
    assert "Close match" not in str(err.value) and "--rename SRC=DST" in str(err.value)


# -- import -----------------------------------------------------------------------------------


def _state(path: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.rglob("*")) if p.is_file()}


def _cli(args, capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def project(tmp_path) -> Project:
    proj = Project.create(tmp_path / "proj")
    proj.write("facilities", conform(_fac(), "facilities")[0])
    return proj


def _facilities_file(tmp_path: Path, name: str, frame: gpd.GeoDataFrame) -> Path:
    path = tmp_path / name
    frame.to_file(path)
    return path


def test_all_outside_file_exits_2_unchanged_and_imports_with_allow_outside(project, tmp_path, capsys):
    # the right numbers in the wrong UTM zone (50N instead of 49N): every feature ~600 km east
    utm = _fac().to_crs(XIANGYANG_UTM)
    wrong_zone = gpd.GeoDataFrame(utm.drop(columns="geometry"), geometry=utm.geometry.to_numpy(), crs="EPSG:32650")
    path = _facilities_file(tmp_path, "wrong_zone.gpkg", wrong_zone)
    before = _state(project.path)
    code, _, err = _cli(["import", project.path, path, "--layer", "facilities"], capsys)
    assert code == 2 and "Traceback" not in err
    assert "wrong_zone.gpkg" in err and "all 2 features lie far outside" in err
    assert "projected CRS" in err and "32650" in err and "--allow-outside" in err
    assert _state(project.path) == before
    code, out, err = _cli(["import", project.path, path, "--layer", "facilities", "--allow-outside"], capsys)
    assert code == 0, err
    assert "flagged 2 features far outside" in out and "--allow-outside" in out
    stored = Project.open(project.path).read("facilities")
    assert len(stored) == 2 and stored.geometry.x.min() > 113.6  # kept where the file put them


def test_all_outside_lonlat_file_names_another_place(project, tmp_path, capsys):
    path = tmp_path / "beijing.csv"
    pd.DataFrame(
        {
            "lon": [116.40, 116.45],
            "lat": [39.90, 39.95],
            "facility_kind": ["landfill"] * 2,
            "capacity_t_per_year": [1, 2],
        }
    ).to_csv(path, index=False)
    before = _state(project.path)
    code, _, err = _cli(["import", project.path, path, "--layer", "facilities", "--crs", "4326"], capsys)
    assert code == 2 and "beijing.csv" in err and "another place" in err and "km from Xiangyang" in err
    assert _state(project.path) == before


def test_projected_metres_declared_as_degrees(project, tmp_path, capsys):
    path = tmp_path / "metres.csv"
    utm = _fac().to_crs(XIANGYANG_UTM)
    pd.DataFrame(
        {"x": utm.geometry.x, "y": utm.geometry.y, "facility_kind": ["landfill"] * 2, "capacity_t_per_year": [1, 2]}
    ).to_csv(path, index=False)
    before = _state(project.path)
    code, _, err = _cli(["import", project.path, path, "--layer", "facilities", "--crs", "4326"], capsys)
    assert code == 2 and "metres.csv" in err and "not degrees" in err and "--crs 32649" in err
    assert _state(project.path) == before


def test_raster_wholly_outside_refused_unless_allowed(project, tmp_path, capsys):
    path = tmp_path / "alps.tif"
    data = np.full((10, 10), 6.0, dtype="float32")
    profile = {"driver": "GTiff", "width": 10, "height": 10, "count": 1, "dtype": "float32", "crs": "EPSG:4326"}
    with rasterio.open(path, "w", transform=from_origin(8.0, 47.0, 0.01, 0.01), **profile) as ds:
        ds.write(data, 1)
    args = ["import", project.path, path, "--layer", "wind_resource", "--height-m", "100"]
    before = _state(project.path)
    code, _, err = _cli(args, capsys)
    assert code == 2 and "alps.tif" in err and "wholly outside" in err
    assert _state(project.path) == before and not project.has("wind_resource")
    assert _cli([*args, "--allow-outside"], capsys)[0] == 0
    assert Project.open(project.path).has("wind_resource")


def test_rename_maps_a_column_on_import(project, tmp_path, capsys):
    frame = _fac().rename(columns={"facility_kind": "kind"}).assign(id=["k0", "k1"])
    path = _facilities_file(tmp_path, "kind.gpkg", frame)
    before = _state(project.path)
    code, _, err = _cli(["import", project.path, path, "--layer", "facilities"], capsys)
    assert code == 2 and "kind.gpkg" in err and "needs column(s) facility_kind" in err
    assert "'kind' for 'facility_kind'" in err and "--rename kind=facility_kind" in err
    assert _state(project.path) == before
    code, out, err = _cli(
        ["import", project.path, path, "--layer", "facilities", "--rename", "kind=facility_kind"], capsys
    )
    assert code == 0, err
    assert "renamed columns: kind → facility_kind" in out
    stored = Project.open(project.path).read("facilities")
    assert stored["id"].tolist() == ["k0", "k1"] and stored["facility_kind"].tolist() == ["phosphogypsum_plant"] * 2
    assert "kind" not in stored.columns


def test_rename_mistakes_are_clear(project, tmp_path, capsys):
    frame = _fac().rename(columns={"facility_kind": "kind", "capacity_t_per_year": "cap"})
    path = _facilities_file(tmp_path, "two.gpkg", frame)
    before = _state(project.path)
    base = ["import", project.path, path, "--layer", "facilities"]
    code, _, err = _cli([*base, "--rename", "knid=facility_kind"], capsys)
    assert code == 2 and "two.gpkg" in err and "no column 'knid'" in err and "'kind'" in err
    code, _, err = _cli([*base, "--rename", "kind"], capsys)
    assert code == 2 and "SRC=DST" in err
    code, _, err = _cli([*base, "--rename", "kind=name"], capsys)
    assert code == 2 and "already has a column 'name'" in err
    assert _state(project.path) == before
    code, _, err = _cli(
        [*base, "--rename", "kind=facility_kind", "--rename", "cap=capacity_t_per_year"],
        capsys,
    )
    assert code == 0, err
    assert Project.open(project.path).read("facilities")["capacity_t_per_year"].tolist() == [150.0, 400.0]


# -- results declare their columns once -------------------------------------------------------


def test_result_columns_are_declared_once_and_consumers_use_them(tmp_path):
    from dashboard import _solar_data
    from siting.progress import links
    from siting.solar import RESULT_COLUMNS
    from siting.waste import FACILITY_USE_COLUMNS, FLOW_COLUMNS, UNMET_COLUMNS

    routing = _route(_src())
    assert list(routing.flows.columns.drop("geometry")) == list(FLOW_COLUMNS)
    assert list(routing.unmet.columns.drop("geometry")) == list(UNMET_COLUMNS)
    assert list(routing.facility_use.columns.drop("geometry")) == list(FACILITY_USE_COLUMNS)
    solar = _solar(_rooftops())
    assert set(RESULT_COLUMNS) <= set(solar.columns)
    assert set(_solar_data.RESULT_COLUMNS.values()) <= set(RESULT_COLUMNS)
    assert set(links.SOLAR_COLUMNS) <= set(RESULT_COLUMNS) and links.FLOW_TONNES_COLUMN in FLOW_COLUMNS
    # the progress links read those results as the analyses return them
    project = Project.create(tmp_path / "links")
    link = links.rooftop_pv_by_county(project, solar_result=solar.assign(county="420602"), bases=pd.DataFrame())
    assert link.available and link.frame.set_index("county").loc["420602", "n_rooftops"] == solar["suitable"].sum()
    assert not links.rooftop_pv_by_county(
        project, solar_result=solar.drop(columns="kwp"), bases=pd.DataFrame()
    ).available
