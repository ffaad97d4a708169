"""Tests of the embedded Xiangyang default project (layers.default.build_default).

The project is built once per module (about 15 s); the determinism test rebuilds the
rooftops and roads alone at a small scale.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from scipy.spatial import cKDTree

from geo.crs import XIANGYANG_UTM, gcj02_to_wgs84
from layers.default import build_default
from layers.project import Project
from layers.schema import (
    COUNTIES,
    FACILITY_KINDS,
    LAYER_KINDS,
    REGION_BOUNDS,
    SCHEMAS,
    USE_CLASSES,
)

VECTOR_KINDS = [k for k in LAYER_KINDS if not SCHEMAS[k].raster and not SCHEMAS[k].is_table]


@pytest.fixture(scope="module")
def project(default_project_dir) -> Project:
    return Project.open(default_project_dir)  # built once per session through `xysiting init`


@pytest.fixture(scope="module")
def layers(project):
    return {kind: project.read(kind) for kind in VECTOR_KINDS}


def test_counties_are_the_nine_real_units(layers):
    counties = layers["counties"]
    assert len(counties) == 9
    assert dict(zip(counties["adcode"], counties["name"], strict=True)) == {
        code: zh for code, (zh, _en) in COUNTIES.items()
    }
    assert (counties["id"] == counties["adcode"]).all()
    assert (counties["source"] == "cnmaps").all()
    assert counties.is_valid.all()
    minx, miny, maxx, maxy = counties.total_bounds
    assert REGION_BOUNDS[0] < minx < maxx < REGION_BOUNDS[2]
    assert REGION_BOUNDS[1] < miny < maxy < REGION_BOUNDS[3]
    area_km2 = counties.to_crs(XIANGYANG_UTM).area.sum() / 1e6
    assert 18_000 < area_km2 < 21_000  # Xiangyang is about 19,700 km²


def test_each_county_contains_its_seat(layers):
    from layers.default._places import SEATS_GCJ

    counties = layers["counties"].set_index("adcode")
    for code, (lon, lat) in SEATS_GCJ.items():
        wlon, wlat = gcj02_to_wgs84(lon, lat)
        assert counties.loc[code, "geometry"].contains(shapely.Point(wlon, wlat)), code


def test_every_layer_kind_is_present(project):
    expected = {k for k in LAYER_KINDS if not SCHEMAS[k].is_table}
    assert expected <= set(project.kinds())


@pytest.mark.parametrize("kind", VECTOR_KINDS)
def test_layers_follow_the_schema(layers, kind):
    frame = layers[kind]
    schema = SCHEMAS[kind]
    assert len(frame) > 0
    assert frame.crs.to_epsg() == 4326
    assert set(schema.columns) <= set(frame.columns), set(schema.columns) - set(frame.columns)
    assert frame["id"].map(lambda v: isinstance(v, str) and v != "").all()
    assert frame["id"].is_unique
    assert frame["source"].map(lambda v: isinstance(v, str) and v.strip() != "").all()
    assert frame.geometry.geom_type.isin(schema.geometry).all()
    assert frame.is_valid.all()
    for name, col in schema.columns.items():
        if col.choices is not None:
            assert frame[name].dropna().isin(col.choices).all(), name
        if col.minimum is not None:
            assert (frame[name].dropna() >= col.minimum).all(), name
    if "county" in frame.columns and kind != "counties":
        if schema.clip_to_region:  # real plants in the margin around the city have no county
            assert frame["county"].dropna().isin(list(COUNTIES)).all()
            assert frame["county"].notna().sum() > len(frame) / 2
        else:
            assert frame["county"].isin(list(COUNTIES)).all()


def test_named_places_lie_in_their_stated_county(layers):
    counties = layers["counties"]
    for kind in ("industrial_parks", "facilities", "bases", "waste_sources"):
        frame = layers[kind]
        points = frame.geometry.representative_point()
        joined = [counties.loc[counties.contains(p), "adcode"].tolist() for p in points]
        wrong = [(i, c, j) for i, c, j in zip(frame["id"], frame["county"], joined, strict=True) if [c] != j]
        assert not wrong, f"{kind}: {wrong}"


def test_waste_supply_matches_facts(layers):
    sources = layers["waste_sources"]
    supply = sources.groupby("waste_kind")["supply_t_per_year"].sum()
    # FACTS.md "Waste": about 3 Mt/yr phosphogypsum, 20.47 Mt stock; construction > 5 Mt/yr
    assert supply["phosphogypsum"] == pytest.approx(3.0e6, rel=0.10)
    assert supply["construction"] > 5.0e6
    stock = sources.loc[sources["waste_kind"] == "phosphogypsum", "stock_t"].sum()
    assert stock == pytest.approx(20.47e6, rel=0.01)
    assert (sources["waste_kind"] == "construction").sum() >= 150


def test_facility_capacity_leaves_unmet_waste(layers):
    fac = layers["facilities"]
    sources = layers["waste_sources"]
    supply = sources.groupby("waste_kind")["supply_t_per_year"].sum()
    accepts = fac["facility_kind"].map(FACILITY_KINDS)
    pg_cap = fac.loc[accepts.map(lambda a: "phosphogypsum" in a), "capacity_t_per_year"].sum()
    cw_only = fac.loc[accepts.map(lambda a: a == ("construction",)), "capacity_t_per_year"].sum()
    assert 0.5 * supply["phosphogypsum"] < pg_cap < supply["phosphogypsum"]
    assert 0.75 * supply["construction"] < cw_only < supply["construction"]
    assert (fac["accepts"] == accepts.map(",".join)).all()
    kiln = fac.set_index("id").loc["fac-laohekou-cement"]
    assert kiln["facility_kind"] == "cement_kiln"
    assert fac.set_index("id").loc["fac-xiangyang-szxcl", "capacity_t_per_year"] == 1.5e6


def test_rooftops_are_plausible(layers):
    roofs = layers["rooftops"]
    assert 40_000 <= len(roofs) <= 100_000
    assert set(roofs["use_class"]) == set(USE_CLASSES)
    assert roofs["county"].notna().all()
    area = roofs.to_crs(XIANGYANG_UTM).area
    ranges = {
        "rural_home": (80, 200),
        "residential": (300, 1500),
        "industrial": (1000, 30000),
        "commercial": (300, 2400),
        "public": (400, 2400),
        "government": (400, 2000),
    }
    for cls, (lo, hi) in ranges.items():
        a = area[roofs["use_class"] == cls]
        assert a.min() >= lo * 0.99 and a.max() <= hi * 1.01, (cls, a.min(), a.max())
    pitched = roofs["roof_type"] == "pitched"
    assert (roofs.loc[~pitched, "roof_tilt_deg"] == 0).all()
    assert roofs.loc[pitched, "roof_tilt_deg"].between(1, 60).all()
    az = roofs.loc[pitched, "roof_azimuth_deg"]
    assert az.between(0, 360, inclusive="left").all()
    north = (az < 45) | (az > 315)
    assert 0.05 < north.mean() < 0.3
    # the rural homes are mostly pitched, the urban residential blocks mostly flat
    share = roofs.groupby("use_class")["roof_type"].apply(lambda s: (s == "pitched").mean())
    assert share["rural_home"] > 0.5 > share["residential"]


def test_rooftops_do_not_overlap(layers):
    geoms = layers["rooftops"].to_crs(XIANGYANG_UTM).geometry.values
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    assert (left == right).all()


def test_rooftops_in_parks_carry_park_id(layers):
    roofs = layers["rooftops"]
    parks = layers["industrial_parks"].set_index("id")
    in_park = roofs[roofs["park_id"].notna()]
    assert len(in_park) > 1000
    assert (in_park["use_class"] == "industrial").all()
    centres = in_park.geometry.representative_point()
    inside = [
        parks.loc[pid, "geometry"].buffer(0.002).contains(c) for pid, c in zip(in_park["park_id"], centres, strict=True)
    ]
    assert all(inside)


def _road_graph(roads) -> nx.Graph:
    coords = shapely.get_coordinates(roads.geometry.values)
    graph = nx.Graph()
    start = shapely.get_coordinates(shapely.get_point(roads.geometry.values, 0))
    end = shapely.get_coordinates(shapely.get_point(roads.geometry.values, -1))
    graph.add_edges_from(zip(map(tuple, start), map(tuple, end), strict=True))
    assert len(coords) >= graph.number_of_nodes()
    return graph


def test_road_network_is_one_component(layers):
    roads = layers["roads"]
    assert {"motorway", "trunk", "primary", "secondary", "tertiary", "residential"} <= set(roads["highway"])
    graph = _road_graph(roads)
    assert nx.number_connected_components(graph) == 1
    assert graph.number_of_nodes() > 1000


def test_everything_is_near_a_road_vertex(layers):
    roads = layers["roads"].to_crs(XIANGYANG_UTM)
    tree = cKDTree(shapely.get_coordinates(roads.geometry.values))
    for kind in ("waste_sources", "facilities", "industrial_parks"):
        frame = layers[kind].to_crs(XIANGYANG_UTM)
        pts = shapely.get_coordinates(frame.geometry.centroid.values)
        dist, _ = tree.query(pts)
        assert dist.max() < 200.0, (kind, frame["id"].iloc[int(np.argmax(dist))], dist.max())


def test_wind_raster(project):
    meta = project.raster_metadata("wind_resource")
    assert meta["height_m"] == 100
    assert meta["units"] == "m/s"
    assert meta["source"] == "synthetic"
    with rasterio.open(project.raster_path("wind_resource")) as ds:
        assert ds.crs.to_epsg() == 32649
        assert ds.res == (100.0, 100.0)
        assert ds.dtypes[0] == "float32"
        data = ds.read(1, masked=True)
    valid = data.compressed()
    area_km2 = valid.size * 0.01
    assert 18_000 < area_km2 < 21_000
    assert 3.5 <= valid.min() and valid.max() <= 7.5
    assert 4.3 < valid.mean() < 5.5
    assert data.mask.any()  # nodata outside the city outline


def test_wind_is_higher_in_the_western_mountains_than_in_the_han_valley(project, layers):
    counties = layers["counties"].set_index("adcode").to_crs(XIANGYANG_UTM)
    with rasterio.open(project.raster_path("wind_resource")) as ds:
        from rasterio.mask import mask

        def mean_in(code):
            data, _ = mask(ds, [counties.loc[code, "geometry"]], crop=True, filled=False)
            return float(data.mean())

        assert mean_in("420626") > mean_in("420606") + 0.3  # 保康 vs 樊城


def test_exclusions_cover_the_kinds(layers):
    kinds = set(layers["exclusions"]["exclusion_kind"])
    assert {"water", "protected", "airport", "settlement", "road"} <= kinds
    assert kinds <= {"settlement", "building", "road", "water", "protected", "airport", "railway_station", "other"}
    excl = layers["exclusions"].set_index("id")
    assert excl.loc["excl-airport-liuji", "buffer_m"] == 5000.0
    assert excl.loc["excl-airport-liuji", "source"] == "osm"  # the runway strip, no longer a synthetic point
    assert excl.loc["excl-airport-liuji", "geometry"].geom_type == "Polygon"
    assert excl.loc["excl-hanjiang", "geometry"].geom_type == "LineString"


def test_bases_follow_the_plan(layers):
    bases = layers["bases"].set_index("id")
    assert (bases["source"] == "plan").all()
    assert bases["plan_ref"].str.match(r"^[一二三四五六七]\(").all()
    targeted = bases[bases["target_value"].notna()]
    # only the GW-class (百万千瓦级) bases of 襄州, 枣阳, 宜城 carry a number in the plan
    assert set(targeted["county"]) == {"420607", "420683", "420684"}
    assert (targeted["target_unit"] == "MW").all()
    assert bases.loc["base-gucheng-urban-mining", "status"] == "operating"
    kinds = set(bases["base_kind"])
    assert {
        "pumped_storage",
        "rooftop_pv",
        "phosphogypsum",
        "construction_waste",
        "waste_to_energy",
        "food_waste",
        "battery_recycling",
        "recycled_metals",
        "vehicle_dismantling",
        "urban_mining",
    } <= kinds
    assert set(bases["category"]) == {"renewable", "recycling"}


def test_rooftops_and_roads_are_deterministic(layers):
    from layers.default._exclusions import water_areas_utm
    from layers.default._parks import build_parks_utm
    from layers.default._roads import build_roads_utm
    from layers.default._rooftops import build_rooftops_utm, village_centres
    from layers.default._waste import build_facilities_utm, build_sources_utm

    counties = layers["counties"].to_crs(XIANGYANG_UTM)

    def build():
        water = water_areas_utm(counties)
        parks = build_parks_utm(water_utm=water)
        villages = village_centres(counties, scale=0.2)
        roofs = build_rooftops_utm(parks, villages, water, scale=0.2)
        roads = build_roads_utm(
            city_utm=shapely.union_all(counties.geometry.values),
            parks_utm=parks,
            facilities_utm=build_facilities_utm(),
            sources_utm=build_sources_utm(water_utm=water),
            villages=villages,
            water_utm=water,
        )
        return roofs, roads

    (r1, n1), (r2, n2) = build(), build()
    assert len(r1) > 1000
    assert shapely.equals_exact(r1.geometry.values, r2.geometry.values, tolerance=0).all()
    pd.testing.assert_frame_equal(r1.drop(columns="geometry"), r2.drop(columns="geometry"))
    assert shapely.equals_exact(n1.geometry.values, n2.geometry.values, tolerance=0).all()


@pytest.mark.parametrize("kind", VECTOR_KINDS)
def test_layers_pass_import_validation_unchanged(layers, kind):
    from layers.validate import validate

    out, report = validate(layers[kind], kind, source_name=f"default {kind}")
    assert len(out) == len(layers[kind])
    assert report.messages() == []


def test_road_network_builder_keeps_every_edge(layers):
    from geo.network import RoadNetwork

    net = RoadNetwork.from_lines(layers["roads"])
    assert net.report.nodes_dropped == 0
    assert net.report.edges_dropped == 0


def test_refuses_a_folder_that_is_not_empty(tmp_path):
    from geo.errors import InputError

    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError, match="not an empty folder"):
        build_default(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_refuses_an_existing_project(project):
    from geo.errors import InputError

    with pytest.raises(InputError, match="already holds a project"):
        build_default(project.path)


@pytest.mark.parametrize("scale", [0, -1, 2.0, "big"])
def test_rejects_a_bad_rooftop_scale(tmp_path, scale):
    from geo.errors import InputError

    with pytest.raises(InputError, match="rooftop_scale"):
        build_default(tmp_path / "p", rooftop_scale=scale)
    assert not (tmp_path / "p").exists()


def test_leaves_no_staging_folder_behind(project):
    parent = project.path.parent
    assert project.path.name == "xiangyang"
    assert sorted(p.name for p in parent.iterdir()) == ["xiangyang"]  # no staging folder left


def test_nothing_is_built_in_the_rivers(layers):
    excl = layers["exclusions"].to_crs(XIANGYANG_UTM)
    water = excl[excl["exclusion_kind"] == "water"]
    river = shapely.union_all(shapely.buffer(water.geometry.values, water["buffer_m"].values))
    for kind in ("waste_sources", "facilities", "bases", "rooftops"):
        frame = layers[kind].to_crs(XIANGYANG_UTM)
        wet = frame[frame.geometry.intersects(river)]
        assert wet.empty, (kind, wet["id"].tolist()[:10])
    parks = layers["industrial_parks"].to_crs(XIANGYANG_UTM)
    assert (parks.geometry.intersection(river).area < 1.0).all()  # parks end at the bank
