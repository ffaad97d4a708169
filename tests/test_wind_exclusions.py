"""Wind exclusions: buffers against shapely, CRS independence, reV-style rules, min area."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine

from geo.errors import InputError
from geo.raster import RasterGrid, rasterize_mask, write_geotiff
from layers.project import Project
from siting.wind import (
    MinContiguousArea,
    MinWindSpeed,
    RasterExclusion,
    SlopeExclusion,
    VectorExclusion,
    wind_sites,
)
from siting.wind._synthetic import centre_utm, synthetic_wind_project, write_wind_raster

UTM = "EPSG:32649"


pytestmark = pytest.mark.usefixtures("fresh_wind_cache")


def _grid(size_km=20.0, res=100.0) -> RasterGrid:
    cx, cy = centre_utm()
    half = size_km * 500.0
    return RasterGrid.from_bounds((cx - half, cy - half, cx + half, cy + half), crs=UTM, resolution_m=res)


def _features_wgs84() -> gpd.GeoSeries:
    cx, cy = centre_utm()
    geoms = [
        shapely.Point(cx - 5000, cy + 4000),
        shapely.LineString([(cx - 8000, cy - 6000), (cx + 2000, cy - 1000), (cx + 7000, cy - 7000)]),
        shapely.Polygon(
            [(cx + 2000, cy + 2000), (cx + 6000, cy + 2500), (cx + 5000, cy + 7000), (cx + 3000, cy + 6000)]
        ),
    ]
    return gpd.GeoSeries(geoms, crs=UTM).to_crs("EPSG:4326")


def _centres_in(geom, grid: RasterGrid) -> np.ndarray:
    xs, ys = grid.cell_centres()
    gx, gy = np.meshgrid(xs, ys)
    return shapely.contains_xy(geom, gx, gy)


@pytest.mark.parametrize("buffer_m", [250.0, 500.0, 1500.0])
def test_vector_buffers_match_shapely_buffers_at_cell_centres(buffer_m):
    grid = _grid()
    feats = _features_wgs84()  # given in degrees: must be buffered in metres
    mask = rasterize_mask(feats, grid, buffer_m=buffer_m, method="vector")
    expected_geom = shapely.union_all(feats.to_crs(UTM).buffer(buffer_m, quad_segs=8).values)
    expected = _centres_in(expected_geom, grid)
    mismatches = int((mask != expected).sum())
    assert mismatches <= 2, f"{mismatches} cells differ from the shapely buffer"
    area_km2 = mask.sum() * grid.cell_area_m2 / 1e6
    assert area_km2 == pytest.approx(expected_geom.area / 1e6, rel=0.03)


def _small_buildings(n=150, seed=0) -> gpd.GeoSeries:
    rng = np.random.default_rng(seed)
    cx, cy = centre_utm()
    x = rng.uniform(cx - 4000, cx + 4000, n)
    y = rng.uniform(cy - 4000, cy + 4000, n)
    w = rng.uniform(5, 90, n)
    boxes = shapely.box(x - w / 2, y - w / 3, x + w / 2, y + w / 3)
    return gpd.GeoSeries(boxes, crs=UTM).to_crs("EPSG:4326")


@pytest.mark.parametrize("kind", ["mixed", "small_buildings"])
@pytest.mark.parametrize("buffer_m", [120.0, 500.0, 1500.0])
def test_edt_buffers_match_shapely_distances_at_cell_centres(buffer_m, kind):
    grid = _grid() if kind == "mixed" else _grid(size_km=10)
    feats = _features_wgs84() if kind == "mixed" else _small_buildings()
    mask = rasterize_mask(feats, grid, buffer_m=buffer_m, method="edt")
    metric = shapely.union_all(feats.to_crs(UTM).values)
    xs, ys = grid.cell_centres()
    gx, gy = np.meshgrid(xs, ys)
    distance = shapely.distance(shapely.points(gx, gy), metric)  # exact, no polygonised circle
    assert np.array_equal(mask, distance <= buffer_m)
    vector = rasterize_mask(feats, grid, buffer_m=buffer_m, method="vector", quad_segs=64)
    assert int((mask != vector).sum()) <= 2


def test_unbuffered_lines_and_points_mark_every_touched_cell():
    grid = _grid(size_km=10)
    cx, cy = centre_utm()
    line = shapely.LineString([(cx - 3000, cy - 2950), (cx + 3050, cy + 2000)])
    mask = rasterize_mask(np.array([line, shapely.Point(cx + 33, cy - 4017)]), grid, buffer_m=0.0)
    xs, ys = grid.cell_centres()
    h = grid.resolution_m / 2
    boxes = shapely.box(*(np.meshgrid(xs - h, ys - h)), *(np.meshgrid(xs + h, ys + h)))
    touched = shapely.intersects(boxes, line)
    assert mask[touched].all()
    row, col, _ = grid.rowcol(np.array([cx + 33]), np.array([cy - 4017]))
    assert mask[row[0], col[0]]


def test_feature_buffer_column_wins_when_larger(tmp_path):
    grid = _grid(size_km=16)
    cx, cy = centre_utm()
    frame = gpd.GeoDataFrame(
        {"exclusion_kind": ["airport", "airport"], "buffer_m": [0.0, 3000.0]},
        geometry=[shapely.Point(cx - 4000, cy), shapely.Point(cx + 4000, cy)],
        crs=UTM,
    ).to_crs("EPSG:4326")
    from siting.wind.exclusions import vector_inclusion

    inclusion = vector_inclusion(VectorExclusion("airports", frame=frame, buffer_m=1000.0), grid)
    mask = ~inclusion  # excluded cells
    left = mask[:, : grid.width // 2].sum() * grid.cell_area_m2 / 1e6
    right = mask[:, grid.width // 2 :].sum() * grid.cell_area_m2 / 1e6
    assert left == pytest.approx(np.pi * 1.0**2, rel=0.03)
    assert right == pytest.approx(np.pi * 3.0**2, rel=0.03)


def test_same_field_in_wgs84_and_utm_gives_the_same_usable_area(tmp_path):
    results = {}
    for crs in ("EPSG:4326", UTM):
        project = synthetic_wind_project(tmp_path / crs.replace(":", "_"), size_km=24, seed=5, raster_crs=crs)
        with rasterio.open(project.raster_path("wind_resource")) as ds:
            assert ds.crs.to_string() == crs
        results[crs] = wind_sites(project, hub_height_m=100.0, min_speed_m_s=5.6, min_area_km2=0.5)
    a, b = results["EPSG:4326"], results[UTM]
    assert a.totals["usable_km2"] > 20
    assert a.totals["usable_km2"] == pytest.approx(b.totals["usable_km2"], rel=0.01)
    # The wind-speed rule alone (the part the raster CRS affects) agrees too.
    ta = a.exclusion_table.set_index("layer").loc["min_wind_speed", "excluded_km2"]
    tb = b.exclusion_table.set_index("layer").loc["min_wind_speed", "excluded_km2"]
    assert ta > 10
    assert ta == pytest.approx(tb, rel=0.01)
    assert np.nanmean(a.speed_m_s) == pytest.approx(np.nanmean(b.speed_m_s), rel=0.002)


def test_min_contiguous_area_drops_small_patches(tmp_path):
    project = synthetic_wind_project(tmp_path / "p", size_km=20, seed=2)
    loose = wind_sites(project, hub_height_m=120.0, min_area_km2=None)
    strict = wind_sites(project, hub_height_m=120.0, min_area_km2=2.0)
    assert (loose.sites["area_km2"] < 2.0).any()
    assert (strict.sites["area_km2"] >= 2.0).all()
    dropped = strict.exclusion_table.set_index("layer").loc["min_contiguous_area", "excluded_km2"]
    assert dropped > 0
    assert loose.totals["usable_km2"] - strict.totals["usable_km2"] == pytest.approx(dropped, rel=1e-6)


def test_single_layer_area_in_table_matches_its_mask(tmp_path):
    project = synthetic_wind_project(tmp_path / "p", size_km=16, seed=4)
    rule = VectorExclusion("water", where="exclusion_kind = 'water'", buffer_m=300.0, reason="water")
    result = wind_sites(project, hub_height_m=120.0, exclusions=[rule])
    from siting.wind.exclusions import vector_inclusion

    mask = ~vector_inclusion(rule, result.grid, project=project) & np.isfinite(result.availability)
    row = result.exclusion_table.set_index("layer").loc["water"]
    assert row["excluded_km2"] == pytest.approx(mask.sum() * result.grid.cell_area_m2 / 1e6)
    assert row["reason"] == "water"
    assert row["share_of_region_pct"] == pytest.approx(100 * row["excluded_km2"] / result.totals["region_km2"])


def _wind_only_project(tmp_path, size_km=12.0) -> Project:
    project = Project.create(tmp_path / "p")
    tif = write_wind_raster(tmp_path / "w.tif", size_km=size_km, constant_m_s=6.5, margin_km=0)
    project.write_raster("wind_resource", tif, height_m=100.0, units="m/s", source="synthetic")
    return project


def test_region_defaults_to_the_raster_footprint_without_counties(tmp_path):
    project = _wind_only_project(tmp_path)
    result = wind_sites(project, hub_height_m=100.0, exclusions=[MinWindSpeed(5.0)])
    assert result.totals["region_km2"] == pytest.approx(144.0, rel=0.02)
    assert result.totals["usable_km2"] == pytest.approx(result.totals["region_km2"])
    assert result.sites["county"].isna().all()


def test_rev_style_raster_exclusion_with_weights(tmp_path):
    project = _wind_only_project(tmp_path)
    # Land cover in WGS84 thirds west→east: 1 forest (half usable), 2 urban (excluded), 3 open.
    grid = _grid(size_km=12, res=100)
    lon0, lat0, lon1, lat1 = gpd.GeoSeries([shapely.box(*grid.bounds)], crs=UTM).to_crs(4326).total_bounds
    width, height = 300, 300
    tr = Affine((lon1 - lon0) / width, 0, lon0, 0, -(lat1 - lat0) / height, lat1)
    cover = np.repeat(np.array([1, 2, 3], dtype="uint8"), 100)[None, :].repeat(height, axis=0)
    path = write_geotiff(tmp_path / "cover.tif", cover, RasterGrid("EPSG:4326", tr, width, height))
    rule = RasterExclusion(
        "land_cover", path, exclude_values=[2], include_weights={1: 0.5}, reason="urban excluded, forest half usable"
    )
    result = wind_sites(project, hub_height_m=100.0, exclusions=[rule], min_area_km2=None)
    avail = result.availability
    values = np.unique(np.round(avail[np.isfinite(avail)], 3))
    assert set(values) <= {0.0, 0.5, 1.0}
    row = result.exclusion_table.set_index("layer").loc["land_cover"]
    region = result.totals["region_km2"]
    # About a third excluded, a third half usable: 1/3 + 1/6 of the region.
    assert row["excluded_km2"] == pytest.approx(region * 0.5, rel=0.05)
    assert result.totals["usable_km2"] == pytest.approx(region * 0.5, rel=0.05)


def test_slope_from_dem(tmp_path):
    project = _wind_only_project(tmp_path)
    grid = _grid(size_km=14, res=50)
    xs, ys = grid.cell_centres()
    plane = np.tan(np.radians(20.0)) * (xs[None, :] - xs[0]) + 0.0 * ys[:, None] + 100.0
    dem = write_geotiff(tmp_path / "dem.tif", plane.astype("float32"), grid)
    steep = wind_sites(project, hub_height_m=100.0, exclusions=[SlopeExclusion(dem, max_slope_deg=15)])
    gentle = wind_sites(project, hub_height_m=100.0, exclusions=[SlopeExclusion(dem, max_slope_deg=25)])
    assert steep.totals["usable_km2"] == 0.0
    assert len(steep.sites) == 0
    assert {"site_id", "capacity_mw", "energy_mwh_per_year"} <= set(steep.sites.columns)
    assert gentle.totals["usable_km2"] == pytest.approx(gentle.totals["region_km2"])


def test_bad_rules_are_input_errors(tmp_path):
    project = _wind_only_project(tmp_path)
    nocrs = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)])
    with pytest.raises(InputError, match="no CRS"):
        wind_sites(project, exclusions=[VectorExclusion("x", frame=nocrs)])
    with pytest.raises(InputError, match="unique"):
        wind_sites(project, exclusions=[MinWindSpeed(5.0), MinWindSpeed(6.0)])
    with pytest.raises(InputError, match="buffer_m"):
        wind_sites(project, exclusions=[VectorExclusion("neg", frame=nocrs.set_crs(4326), buffer_m=-5)])
    with pytest.raises(InputError, match="no 'roads' layer"):
        wind_sites(project, exclusions=[VectorExclusion("roads", layer="roads")])
    with pytest.raises(InputError, match="at most one"):
        wind_sites(project, exclusions=[MinContiguousArea(1.0), MinContiguousArea(2.0, name="b")])
