"""Power plants and the grid from real published files (issue 12, items 1 and 2).

Counts are derived from the files themselves (read with pandas/geopandas and clipped
independently here), never hard-coded.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from dashboard.cli import main
from layers.default._counties import build_counties
from layers.project import Project
from layers.schema import COUNTIES, REGION_MARGIN_M


@pytest.fixture(scope="module")
def counties() -> gpd.GeoDataFrame:
    return build_counties()


@pytest.fixture(scope="module")
def region(counties):
    """The counties grown by the margin, computed here in UTM (independently of layers.validate)."""
    utm = counties.to_crs("EPSG:32649")
    grown = utm.geometry.union_all().buffer(REGION_MARGIN_M)
    return gpd.GeoSeries([grown], crs="EPSG:32649").to_crs("EPSG:4326").iloc[0]


@pytest.fixture
def project(tmp_path, counties) -> Project:
    proj = Project.create(tmp_path / "proj")
    proj.write("counties", counties)
    return proj


def _inside(region, lon, lat) -> np.ndarray:
    lon = pd.to_numeric(lon, errors="coerce").to_numpy()
    lat = pd.to_numeric(lat, errors="coerce").to_numpy()
    ok = ~(np.isnan(lon) | np.isnan(lat))
    out = np.zeros(len(lon), dtype=bool)
    out[ok] = shapely.contains_xy(region, lon[ok], lat[ok])
    return out


@pytest.mark.slow
def test_gem_workbook_imports_as_power_plants(project, region, shared_data, capsys):
    path = shared_data / "power" / "Global-Wind-Power-Tracker-May-2023.xlsx"
    data = pd.read_excel(path, sheet_name="Data", engine="calamine")
    inside = _inside(region, data["Longitude"], data["Latitude"])
    expected = data[inside]
    assert 0 < len(expected) < len(data)

    assert main(["import", str(project.path), str(path), "--layer", "power_plants", "--preset", "gem"]) == 0
    out = capsys.readouterr().out
    assert f"imported {len(expected)} features" in out
    assert f"dropped {len(data) - len(expected)} of {len(data)} features outside" in out

    plants = project.read("power_plants")
    assert len(plants) == len(expected)
    assert set(plants["source"]) == {"gem"} and set(plants["technology"]) == {"wind"}
    assert set(plants["source_version"]) == {"GEM May 2023"}
    assert sorted(plants["source_id"]) == sorted(expected["GEM phase ID"].astype(str))
    assert plants["capacity_mw"].sum() == pytest.approx(expected["Capacity (MW)"].sum())
    # GEM's statuses, with cancelled → shelved and mothballed → retired; the original kept
    gem_status = expected["Status"].str.lower().replace({"cancelled": "shelved", "mothballed": "retired"})
    assert plants["status"].value_counts().to_dict() == gem_status.value_counts().to_dict()
    assert sorted(plants["status_source"]) == sorted(expected["Status"].str.lower())
    # the city-centre placeholder shared by several projects is flagged, GEM's flags are kept
    at_centre = plants.geometry.x.round(4).eq(112.1158) & plants.geometry.y.round(4).eq(32.0117)
    assert at_centre.sum() >= 3 and (plants.loc[at_centre, "location_accuracy"] == "placeholder").all()
    exact = plants["source_id"].isin(expected.loc[expected["Location accuracy"] == "exact", "GEM phase ID"])
    assert (plants.loc[exact, "location_accuracy"] == "exact").all()
    # placeholders keep the county GEM names (or none): they are not placed by location
    named = plants.loc[at_centre].set_index("name")["county"]
    assert named.get("湖北枣阳平林风电场一期") == "420683"
    assert pd.isna(named.get("湖北钟祥红花堰二期风电场"))  # 钟祥 is not in Xiangyang


def test_gppd_csv_imports_as_power_plants(project, region, shared_data, capsys):
    path = shared_data / "power" / "gppd_v1.3_china_power_plants.csv"
    data = pd.read_csv(path)
    expected = data[_inside(region, data["longitude"], data["latitude"])]
    assert 0 < len(expected) < len(data)
    # detected from the columns: no --preset
    assert main(["import", str(project.path), str(path), "--layer", "power_plants"]) == 0
    assert f"dropped {len(data) - len(expected)} of {len(data)}" in capsys.readouterr().out
    plants = project.read("power_plants").set_index("source_id").loc[expected["gppd_idnr"]]
    assert len(plants) == len(expected)
    assert (plants["status"] == "operating").all() and set(plants["source"]) == {"gppd"}
    assert plants["technology"].tolist() == expected["primary_fuel"].str.lower().tolist()
    assert plants["capacity_mw"].to_numpy() == pytest.approx(expected["capacity_mw"].to_numpy())
    assert plants["county"].isin(list(COUNTIES)).sum() >= 1  # filled from the location


def test_gem_csv_extract_is_detected_and_the_coal_tracker_too(project, region, shared_data, capsys):
    wind = shared_data / "power" / "gem_gwpt_2023-05_hubei.csv"
    data = pd.read_csv(wind, encoding="utf-8-sig")
    assert main(["import", str(project.path), str(wind), "--layer", "power_plants"]) == 0
    plants = project.read("power_plants")
    assert len(plants) == _inside(region, data["Longitude"], data["Latitude"]).sum()
    operating = plants[(plants["status"] == "operating") & plants["county"].isin(["420683", "420607", "420684"])]
    names = " ".join(operating["name"])
    assert "枣阳" in names and "襄州" in names and "宜城" in names
    coal = shared_data / "power" / "gem_gcpt_2023-07_units_xiangyang_bbox.csv"
    units = pd.read_csv(coal, encoding="utf-8-sig")
    assert main(["import", str(project.path), str(coal), "--layer", "power_plants", "--preset", "gem"]) == 0
    plants = project.read("power_plants")
    assert set(plants["technology"]) == {"coal"}
    assert len(plants) == _inside(region, units["Longitude"], units["Latitude"]).sum()
    # a unit name is kept with the plant name; GEM's "cancelled" is stored as shelved
    assert plants["name"].str.contains("Unit").all()
    assert (plants.loc[plants["status_source"].str.startswith("cancelled"), "status"] == "shelved").all()


def test_gem_shaped_csv_with_other_columns(project, shared_data, tmp_path, capsys):
    data = pd.read_csv(shared_data / "power" / "gem_gwpt_2023-05_hubei.csv", encoding="utf-8-sig")
    # fewer columns: capacity and status missing → status 2, the missing columns named, nothing stored
    short = tmp_path / "gem_wind_short.csv"
    data.drop(columns=["Capacity (MW)", "Status"]).to_csv(short, index=False)
    assert main(["import", str(project.path), str(short), "--layer", "power_plants", "--preset", "gem"]) == 2
    err = capsys.readouterr().err
    assert "Capacity (MW)" in err and "Status" in err and "Traceback" not in err
    assert not project.has("power_plants")
    # another column set that still has what is needed (a later GEM release, say): imports
    other = tmp_path / "Global-Wind-Power-Tracker-2024.csv"
    keep = ["Project Name", "Capacity (MW)", "Status", "Start year", "Latitude", "Longitude", "GEM phase ID"]
    data[keep].assign(Extra="x").to_csv(other, index=False)
    assert main(["import", str(project.path), str(other), "--layer", "power_plants"]) == 0
    plants = project.read("power_plants")
    assert set(plants["technology"]) == {"wind"} and plants["name"].notna().all()


def test_osm_substations_import_as_grid_with_their_highest_voltage(project, region, shared_data, capsys):
    path = shared_data / "osm" / "osm_power_polygons_xiangyang_bbox.gpkg"
    raw = gpd.read_file(path)
    points = raw.geometry.representative_point()
    subs = raw[(raw["power"] == "substation") & shapely.contains_xy(region, points.x, points.y)]
    assert main(["import", str(project.path), str(path), "--layer", "grid", "--preset", "osm-power"]) == 0
    assert "power=plant" in capsys.readouterr().out  # the plants skipped, and said so
    grid = project.read("grid")
    assert len(grid) == len(subs) and set(grid["grid_kind"]) == {"substation"}
    volts = subs["voltage"].fillna("").str.split(";").map(lambda v: max((float(x) for x in v if x), default=np.nan))
    assert np.sort(grid["voltage_kv"].dropna().to_numpy()) == pytest.approx(np.sort(volts.dropna() / 1000))
    assert grid["voltage_kv"].max() == 500.0


def test_a_preset_for_the_wrong_layer_is_refused(project, shared_data, capsys):
    path = shared_data / "power" / "gppd_v1.3_china_power_plants.csv"
    assert main(["import", str(project.path), str(path), "--layer", "grid", "--preset", "gppd"]) == 2
    assert "power_plants" in capsys.readouterr().err
    assert main(["import", str(project.path), str(path), "--layer", "facilities", "--preset", "gppd"]) == 2
    assert not project.has("grid") and not project.has("facilities")


def test_default_project_ships_the_real_layers(default_project_dir, capsys):
    capsys.readouterr()
    assert main(["layers", str(default_project_dir)]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines()[1:] if line.strip()}
    assert "gem (" in rows["power_plants"] and "gppd (" in rows["power_plants"]
    assert "osm (" in rows["grid"]
    project = Project.open(default_project_dir)
    plants = project.read("power_plants")
    wind = plants[(plants["technology"] == "wind") & (plants["status"] == "operating") & (plants["source"] == "gem")]
    for code, word in (("420683", "枣阳"), ("420607", "襄州"), ("420684", "宜城")):
        here = wind[wind["county"] == code]
        assert here["name"].str.contains(word).any(), (code, here["name"].tolist())
    assert (plants["source_version"].notna()).all()
    # GPPD's coal and wind are GEM's: not twice in the layer
    assert not plants.loc[plants["source"] == "gppd", "technology"].isin(["coal", "wind"]).any()
    grid = project.read("grid")
    assert (grid["voltage_kv"].notna()).sum() >= 100
    excl = project.read("exclusions")
    osm = excl[excl["source"] == "osm"]
    assert set(osm["exclusion_kind"]) == {"airport", "railway_station"}
    assert not ((excl["exclusion_kind"] == "airport") & (excl["source"] == "synthetic")).any()
    stations = osm[osm["exclusion_kind"] == "railway_station"]
    assert stations["name"].str.contains("襄阳").any()
