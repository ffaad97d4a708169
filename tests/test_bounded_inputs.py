"""Bounded inputs (issue 14, item 6): zip bombs, huge repairs, huge rasters, absurd numbers,
wind speeds in the wrong unit, malformed OSM files, a full disk and orphaned temporary files.

Every bad input is an InputError naming the file, layer, column or row, and exit status 2 in
the command line with the project unchanged.  The resource bounds (time, memory, bytes
written) are measured in a fresh subprocess where they matter.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
import zlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin
from shapely.geometry import Point, Polygon

from dashboard.cli import main
from geo.atomic import DiskFullError, atomic_path, remove_stale_temp_files
from geo.errors import InputError
from geo.raster import RasterGrid, read_band, reproject_to_grid
from geo.repair import RepairTooLarge, repair_geometries
from layers import Project
from layers.importer import import_layer
from layers.readers import read_raster_summary, read_vector
from layers.validate import validate

REPO = Path(__file__).resolve().parents[1]
XY = (112.14, 32.03)


# -- helpers -------------------------------------------------------------------------------


def _state(path: Path) -> dict:
    """Hashes of every file in a project folder (to prove a failure changed nothing)."""
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def _cli(args, capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _run_child(script: str, *, timeout: float = 300, cwd: Path | None = None, prefix: list[str] | None = None) -> dict:
    """Run ``script`` in a fresh Python; it prints one JSON line last.  Adds wall time and peak RSS."""
    wrapper = textwrap.dedent(
        """
        import json, resource, sys, time
        _t0 = time.perf_counter()
        _result = {}
        exec(compile(sys.stdin.read(), "<child>", "exec"))
        _result["seconds"] = time.perf_counter() - _t0
        _result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("RESULT " + json.dumps(_result))
        """
    )
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    cmd = [*(prefix or []), sys.executable, "-c", wrapper]
    proc = subprocess.run(
        cmd, input=textwrap.dedent(script), capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, f"child failed (status {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return json.loads(lines[-1][len("RESULT ") :])


@pytest.fixture
def project(tmp_path) -> Project:
    proj = Project.create(tmp_path / "proj")
    facilities = gpd.GeoDataFrame(
        {"id": ["f1"], "name": ["尹集"], "facility_kind": ["landfill"], "capacity_t_per_year": [1.5e6]},
        geometry=[Point(112.05, 31.98)],
        crs=4326,
    )
    proj.write("facilities", facilities)
    return proj


# -- zip archives ---------------------------------------------------------------------------


class _RepeatingDeflate:
    """Raw deflate for a stream of identical chunks: each distinct chunk is compressed once
    and ended with a full flush (which resets the compressor), so its bytes can be repeated.
    Only speeds up building the test bomb; the result is an ordinary valid zip."""

    def __init__(self):
        self._cache: dict[tuple[int, int], bytes] = {}

    def compress(self, data: bytes) -> bytes:
        key = (len(data), zlib.crc32(data))
        if key not in self._cache:
            z = zlib.compressobj(9, zlib.DEFLATED, -15)
            self._cache[key] = z.compress(data) + z.flush(zlib.Z_FULL_FLUSH)
        return self._cache[key]

    def flush(self) -> bytes:
        return zlib.compressobj(9, zlib.DEFLATED, -15).flush()


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> Path:
    """A 2 GiB zip bomb (zeros as ``roofs.csv``) of about 2 MB, streamed through zipfile."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    chunk = bytes(8 * 1024**2)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("roofs.csv", "w", force_zip64=True) as entry:
            if hasattr(entry, "_compressor"):  # CPython: compress each identical chunk once
                entry._compressor = _RepeatingDeflate()
            for _ in range(256):
                entry.write(chunk)
    info = zipfile.ZipFile(path).infolist()[0]
    assert info.file_size == 2 * 1024**3
    assert path.stat().st_size < 4 * 1024**2
    return path


def _bytes_written() -> int:
    """Bytes this process has passed to write() so far (Linux /proc/self/io ``wchar``)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise AssertionError("no wchar in /proc/self/io")


def _folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def test_zip_bomb_is_refused_before_unpacking(zip_bomb, tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))  # where the reader would unpack
    before = _bytes_written()
    start = time.perf_counter()
    with pytest.raises(InputError) as err:
        read_vector(zip_bomb, kind="facilities")
    elapsed = time.perf_counter() - start
    written = _bytes_written() - before
    message = str(err.value)
    assert "bomb.zip" in message and "compression ratio" in message and "limit of 100:1" in message
    assert elapsed < 2.0
    assert written < 4 * 1024**2  # nothing unpacked
    assert _folder_bytes(scratch) == 0


def test_zip_total_size_limit_is_stated_and_overridable(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "big.zip"
    frame = pd.DataFrame({"lon": XY[0] + rng.random(40_000) * 0.01, "lat": XY[1] + rng.random(40_000) * 0.01})
    frame["facility_kind"] = "landfill"
    frame["capacity_t_per_year"] = rng.random(40_000) * 1000
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("sites.csv", frame.to_csv(index=False))
    size = zipfile.ZipFile(path).infolist()[0].file_size
    with pytest.raises(InputError, match=r"big\.zip: refused, the archive unpacks to .* over the limit of"):
        read_vector(path, kind="facilities", max_unzipped_bytes=size - 1)
    assert len(read_vector(path, kind="facilities", max_unzipped_bytes=size)) == 40_000
    # the ratio limit is a keyword too
    with pytest.raises(InputError, match="compression ratio"):
        read_vector(path, kind="facilities", max_zip_ratio=1.0)


def test_cli_refuses_zip_bomb_with_status_2(zip_bomb, project, capsys):
    before = _state(project.path)
    code, _, err = _cli(["import", project.path, zip_bomb, "--layer", "facilities", "--crs", "4326"], capsys)
    assert code == 2
    assert "bomb.zip" in err and "zip bomb" in err and "Traceback" not in err
    assert _state(project.path) == before


# -- geometry repair --------------------------------------------------------------------------


def _bowtie_zigzag(n: int, *, x0: float = XY[0], y0: float = XY[1], size: float = 0.01) -> Polygon:
    """A polygon of ``n`` vertices whose two zig-zag chains cross each other ~n/2 times."""
    half = n // 2
    x = np.linspace(0.0, 1.0, half)
    top = np.where(np.arange(half) % 2 == 0, 0.5, -0.5)
    coords = np.concatenate([np.c_[x, top], np.c_[x[::-1], -top[::-1]]])
    return Polygon(np.c_[x0 + coords[:, 0] * size, y0 + coords[:, 1] * size])


def test_small_and_mid_size_invalid_polygons_are_repaired():
    small, mid = _bowtie_zigzag(8), _bowtie_zigzag(20_000)
    assert not small.is_valid and not mid.is_valid
    repaired, was_invalid = repair_geometries(np.array([small, mid], dtype=object), family="polygon")
    assert was_invalid.all()
    assert shapely.is_valid(repaired).all()
    assert set(shapely.get_type_id(repaired)) <= {3, 6}  # polygons only
    # each crossing closes a triangle: half the bounding box area is covered
    for geom, source in zip(repaired, (small, mid), strict=True):
        minx, miny, maxx, maxy = source.bounds
        assert geom.area == pytest.approx(0.5 * (maxx - minx) * (maxy - miny), rel=0.05)


def test_repair_limit_names_the_positions():
    geoms = np.array([Point(0, 0), _bowtie_zigzag(5_000)], dtype=object)
    with pytest.raises(RepairTooLarge) as err:
        repair_geometries(geoms, max_vertices=1_000)
    assert err.value.positions.tolist() == [1]
    assert err.value.vertices.tolist() == [5_001]
    assert "1,000 vertices" in str(err.value)


def test_validate_names_layer_and_row_of_an_unrepairable_polygon():
    frame = gpd.GeoDataFrame(
        {"id": ["ok", "zigzag"], "exclusion_kind": ["water", "protected"]},
        geometry=[Point(*XY).buffer(0.01), _bowtie_zigzag(300_000)],
        crs=4326,
    )
    with pytest.raises(InputError) as err:
        validate(frame, "exclusions", source_name="zones.gpkg")
    message = str(err.value)
    assert "zones.gpkg" in message and "'exclusions'" in message
    assert "row zigzag (300,001 vertices)" in message and "200,000" in message


def test_million_vertex_bowtie_is_refused_within_30_s_and_2_gb(tmp_path):
    """The audit's case: a 10⁶-vertex self-intersecting polygon through ``xysiting import``."""
    result = _run_child(
        f"""
        import numpy as np, geopandas as gpd
        from shapely.geometry import Polygon
        from dashboard.cli import main
        from layers import Project
        half = 500_000
        x = 112.1 + np.linspace(0.0, 0.05, half)
        top = 32.0 + np.where(np.arange(half) % 2 == 0, 0.01, -0.01)
        ring = np.concatenate([np.c_[x, top], np.c_[x[::-1], 64.0 - top[::-1]]])
        frame = gpd.GeoDataFrame({{"id": ["roof-1", "bowtie"]}},
            geometry=[Polygon([(112.1, 32.0), (112.1001, 32.0), (112.1001, 32.0001)]), Polygon(ring)], crs=4326)
        frame.to_parquet({str(tmp_path / "roofs.parquet")!r})
        Project.create({str(tmp_path / "p")!r})
        import io, contextlib
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = main(["import", {str(tmp_path / "p")!r}, {str(tmp_path / "roofs.parquet")!r}, "--layer", "rooftops"])
        _result.update(code=code, err=err.getvalue())
        """
    )
    assert result["code"] == 2, result
    assert "roofs.parquet" in result["err"] and "'rooftops'" in result["err"]
    assert "bowtie (1,000,001 vertices)" in result["err"] and "Traceback" not in result["err"]
    assert result["seconds"] < 30
    assert result["peak_rss_mb"] < 2048


# -- rasters ---------------------------------------------------------------------------------


def _sparse_tif(path: Path, size: int, *, value: float = 6.0, tile: int = 512) -> Path:
    """A size × size float32 GeoTIFF over Xiangyang, deflate-compressed, with only the first
    tile written (GDAL SPARSE_OK): megabytes on disk, gigabytes once read."""
    res = 3.0 / size
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(110.5, 33.0, res, res),
        nodata=-9999.0,
        tiled=True,
        blockxsize=tile,
        blockysize=tile,
        compress="deflate",
        sparse_ok=True,
    ) as ds:
        ds.write(np.full((1, tile, tile), value, dtype="float32"), window=rasterio.windows.Window(0, 0, tile, tile))
    return path


def test_huge_raster_is_refused_before_reading_with_its_size(tmp_path):
    path = _sparse_tif(tmp_path / "huge.tif", 100_000)
    assert path.stat().st_size < 16 * 1024**2
    start = time.perf_counter()
    with pytest.raises(InputError) as err:
        read_raster_summary(path)
    assert time.perf_counter() - start < 5
    message = str(err.value)
    assert "huge.tif" in message and "100,000 × 100,000 = 10,000,000,000 cells" in message
    assert "GiB of memory" in message and "gdalwarp" in message
    with pytest.raises(InputError, match="100,000 × 100,000"):
        read_band(path)


def test_20000_square_geotiff_import_is_refused_within_30_s_and_2_gb(tmp_path):
    path = _sparse_tif(tmp_path / "wind20k.tif", 20_000)
    Project.create(tmp_path / "p")
    result = _run_child(
        f"""
        import io, contextlib
        from dashboard.cli import main
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = main(["import", {str(tmp_path / "p")!r}, {str(path)!r}, "--layer", "wind_resource",
                         "--height-m", "100"])
        _result.update(code=code, err=err.getvalue())
        """
    )
    assert result["code"] == 2, result
    assert "wind20k.tif" in result["err"] and "20,000 × 20,000" in result["err"]
    assert result["seconds"] < 30
    assert result["peak_rss_mb"] < 2048
    assert not Project.open(tmp_path / "p").has("wind_resource")


def test_country_wide_raster_is_clipped_to_the_region_on_import(project, tmp_path):
    """A GWA-style country file (12000² cells at 0.0025°, 144 M cells) keeps its window over Xiangyang."""
    path = tmp_path / "gwa_country.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=12_000,
        height=12_000,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(100.0, 45.0, 0.0025, 0.0025),
        nodata=-9999.0,
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="deflate",
        sparse_ok=True,
    ) as ds:
        # data only over lon 110–114, lat 30.5–33.5 (the rest is sparse nodata)
        ds.write(np.full((1, 1200, 1600), 6.0, dtype="float32"), window=rasterio.windows.Window(4000, 4600, 1600, 1200))
    result = import_layer(project, "wind_resource", path, height_m=100)
    assert any(
        "kept only the window over the Xiangyang region" in m and "12,000 × 12,000" in m for m in result.messages
    )
    with rasterio.open(project.raster_path("wind_resource")) as ds:
        assert 1320 <= ds.width <= 1322 and 840 <= ds.height <= 842
        left, bottom, right, top = ds.bounds
        assert left == pytest.approx(110.3, abs=0.003) and right == pytest.approx(113.6, abs=0.003)
        assert bottom == pytest.approx(30.9, abs=0.003) and top == pytest.approx(33.0, abs=0.003)
        stored = ds.read(1, masked=True)
    assert stored.count() == stored.size and float(stored.mean()) == pytest.approx(6.0)


def test_reproject_reads_a_too_large_window_decimated(tmp_path):
    path = tmp_path / "fine.tif"
    data = np.full((1200, 1200), 6.0, dtype="float32")
    data[:, 600:] = 8.0  # west half 6 m/s, east half 8 m/s
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=1200,
        height=1200,
        count=1,
        dtype="float32",
        crs="EPSG:32649",
        transform=from_origin(300_000, 3_560_000, 10.0, 10.0),
        nodata=-9999.0,
    ) as ds:
        ds.write(data, 1)
    grid = RasterGrid.from_bounds((300_000, 3_548_000, 312_000, 3_560_000), crs="EPSG:32649", resolution_m=1000.0)
    coarse = reproject_to_grid(path, grid, max_cells=40_000)  # the 1.44 M-cell window is read at ≤ 40,000
    full = reproject_to_grid(path, grid)
    assert coarse.shape == (12, 12)
    np.testing.assert_allclose(coarse[:, :5], 6.0, atol=1e-4)
    np.testing.assert_allclose(coarse[:, 7:], 8.0, atol=1e-4)
    np.testing.assert_allclose(coarse, full, atol=0.35)


# -- numbers ---------------------------------------------------------------------------------


def _facilities_csv(path: Path, capacity: list[str]) -> Path:
    n = len(capacity)
    pd.DataFrame(
        {
            "id": [f"fac{i}" for i in range(n)],
            "lon": [XY[0] + 0.01 * i for i in range(n)],
            "lat": [XY[1]] * n,
            "facility_kind": ["landfill"] * n,
            "capacity_t_per_year": capacity,
        }
    ).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("value", "expect"),
    [("inf", "infinite"), ("1e400", "infinite"), ("-inf", "infinite"), ("1e300", "≤ 1e+09"), ("-5", "≥ 0")],
)
def test_absurd_capacity_is_refused_naming_row_and_column(tmp_path, value, expect):
    path = _facilities_csv(tmp_path / "fac.csv", ["1000", value, "2000"])
    frame = read_vector(path)
    with pytest.raises(InputError) as err:
        validate(frame, "facilities", source_name=str(path), crs=4326)
    message = str(err.value)
    assert "fac.csv" in message and "'capacity_t_per_year'" in message and "row fac1" in message
    assert expect in message


@pytest.mark.parametrize(
    ("column", "value", "expect"),
    [
        ("target_year", 99999, "must be ≤ 2100"),
        ("target_year", 1e300, "must be ≤ 2100"),
        ("target_value", -100.0, "must be ≥ 0"),
        ("target_value", 1e300, "must be ≤ 1e+12"),
        ("target_value", float("inf"), "infinite"),
    ],
)
def test_absurd_base_targets_are_refused(column, value, expect):
    data = {"target_value": [1000.0, 1000.0], "target_year": [2030, 2030]}
    data[column] = [data[column][0], value]
    frame = gpd.GeoDataFrame(
        {"id": ["b1", "b2"], "name": ["风电基地", "光伏基地"], "category": ["renewable"] * 2, **data},
        geometry=[Point(*XY), Point(XY[0] + 0.1, XY[1])],
        crs=4326,
    )
    with pytest.raises(InputError) as err:
        validate(frame, "bases", source_name="bases.gpkg")
    message = str(err.value)
    assert "bases.gpkg" in message and f"column {column!r}" in message and expect in message
    assert "row b2" in message and "b1" not in message


def test_infinite_height_is_refused():
    frame = gpd.GeoDataFrame(
        {"id": ["r1", "r2"], "height_m": [12.0, np.inf]},
        geometry=[Point(*XY).buffer(1e-4), Point(XY[0] + 0.01, XY[1]).buffer(1e-4)],
        crs=4326,
    )
    with pytest.raises(InputError, match=r"'height_m'.*infinite.*row r2"):
        validate(frame, "rooftops", source_name="roofs.gpkg")
    frame["height_m"] = [12.0, 5000.0]
    with pytest.raises(InputError, match=r"'height_m'.*≤ 1000.*5000.*row r2"):
        validate(frame, "rooftops", source_name="roofs.gpkg")


def test_plausible_maximums_are_in_the_schema():
    from layers.schema import SCHEMAS

    numeric = [
        (kind, name, col)
        for kind, schema in SCHEMAS.items()
        for name, col in schema.columns.items()
        if col.dtype in ("float", "int")
    ]
    assert numeric
    missing = [f"{kind}.{name}" for kind, name, col in numeric if col.maximum is None]
    assert missing == []
    assert SCHEMAS["bases"].columns["target_year"].maximum == 2100


def test_infinite_coordinates_are_refused(tmp_path):
    path = tmp_path / "pts.csv"
    pd.DataFrame({"lon": [XY[0], "inf", XY[0]], "lat": [XY[1], XY[1], "1e400"], "facility_kind": "landfill"}).assign(
        capacity_t_per_year=1.0
    ).to_csv(path, index=False)
    with pytest.raises(InputError, match=r"pts\.csv: lon/lat are infinite.*rows 3, 4"):
        read_vector(path)
    wkt = tmp_path / "wkt.csv"
    pd.DataFrame({"id": ["a", "b"], "wkt": ["POINT (112.1 32.0)", "POINT (inf 32.0)"]}).assign(
        facility_kind="landfill", capacity_t_per_year=1.0
    ).to_csv(wkt, index=False)
    with pytest.raises(InputError, match=r"wkt\.csv: infinite or missing coordinates.*row b"):
        validate(read_vector(wkt), "facilities", source_name=str(wkt), crs=4326)


def test_cli_refuses_1e400_with_status_2(project, tmp_path, capsys):
    path = _facilities_csv(tmp_path / "fac.csv", ["1000", "1e400"])
    before = _state(project.path)
    code, _, err = _cli(["import", project.path, path, "--layer", "facilities", "--crs", "4326"], capsys)
    assert code == 2
    assert "fac.csv" in err and "capacity_t_per_year" in err and "row fac1" in err and "Traceback" not in err
    assert _state(project.path) == before


# -- wind units ------------------------------------------------------------------------------


def _wind_tif(path: Path, values: np.ndarray) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(112.0, 32.1, 0.0025, 0.0025),
        nodata=-9999.0,
    ) as ds:
        ds.write(values.astype("float32"), 1)
    return path


def test_wind_raster_in_kmh_is_refused_unless_the_unit_is_stated(project, tmp_path, capsys):
    rng = np.random.default_rng(3)
    kmh = 18.0 + 6.0 * rng.random((20, 30))  # 5–6.7 m/s in km/h
    kmh[0, 0] = -9999.0  # nodata stays nodata
    path = _wind_tif(tmp_path / "wind_kmh.tif", kmh)
    before = _state(project.path)
    with pytest.raises(InputError, match=r"wind_kmh\.tif: .*implausible.*--unit km/h"):
        import_layer(project, "wind_resource", path, height_m=100)
    code, _, err = _cli(["import", project.path, path, "--layer", "wind_resource", "--height-m", "100"], capsys)
    assert code == 2 and "wind_kmh.tif" in err and "--unit km/h" in err
    code, _, err = _cli(
        ["import", project.path, path, "--layer", "wind_resource", "--height-m", "100", "--unit", "m/s"], capsys
    )
    assert code == 2 and "implausible" in err
    assert _state(project.path) == before
    code, out, err = _cli(
        ["import", project.path, path, "--layer", "wind_resource", "--height-m", "100", "--unit", "km/h"], capsys
    )
    assert code == 0, err
    assert "converted the wind speeds from km/h" in out
    with rasterio.open(project.raster_path("wind_resource")) as ds:
        stored = ds.read(1, masked=True)
    assert stored.mask[0, 0] and not stored.mask[1:, 1:].any()
    np.testing.assert_allclose(stored[1:, 1:], kmh[1:, 1:] / 3.6, rtol=1e-6)
    meta = project.raster_metadata("wind_resource")
    assert meta["units"] == "m/s" and meta["converted_from"] == "km/h"


def test_negative_wind_speeds_are_refused(project, tmp_path):
    path = _wind_tif(tmp_path / "neg.tif", np.full((10, 10), -3.0))
    with pytest.raises(InputError, match=r"neg\.tif.*implausible.*band, the unit and the nodata"):
        import_layer(project, "wind_resource", path, height_m=100)


# -- malformed OSM ---------------------------------------------------------------------------


def _truncated_pbf(tmp_path: Path) -> Path:
    import pyrosm

    data = Path(pyrosm.get_data("test_pbf")).read_bytes()
    path = tmp_path / "cut.osm.pbf"
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize("kind", ["rooftops", "roads"])
def test_malformed_osm_files_are_input_errors(tmp_path, kind):
    garbage = tmp_path / "garbage.osm"
    garbage.write_text('<osm version="0.6"><node id="1" lat="32.0" lon=', encoding="utf-8")
    with pytest.raises(InputError, match=r"garbage\.osm: cannot be read as OSM XML .*malformed or truncated"):
        read_vector(garbage, kind=kind)
    with pytest.raises(InputError, match=r"cut\.osm\.pbf: cannot be read as OSM PBF .*malformed or truncated"):
        read_vector(_truncated_pbf(tmp_path), kind=kind)


def test_cli_malformed_osm_exits_2(project, tmp_path, capsys):
    before = _state(project.path)
    code, _, err = _cli(["import", project.path, _truncated_pbf(tmp_path), "--layer", "roads"], capsys)
    assert code == 2 and "cut.osm.pbf" in err and "Traceback" not in err
    garbage = tmp_path / "g.osm"
    garbage.write_bytes(b"\x00\x01not xml at all")
    code, _, err = _cli(["import", project.path, garbage, "--layer", "rooftops"], capsys)
    assert code == 2 and "g.osm" in err and "malformed" in err
    assert _state(project.path) == before


# -- full disk -------------------------------------------------------------------------------


def _can_mount_tmpfs() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


_FILL_DISK = """
    import os, shutil
    import geopandas as gpd, numpy as np
    from layers import Project
    root = {root!r}
    os.makedirs(root + "/mnt", exist_ok=True)
    project = Project.create(root + "/mnt/p")
    def frame(n):
        return gpd.GeoDataFrame({{"id": [f"s{{i}}" for i in range(n)], "waste_kind": "construction",
            "supply_t_per_year": 1.0}}, geometry=gpd.points_from_xy(112 + np.arange(n) * 1e-4, np.full(n, 32.0)),
            crs=4326)
    project.write("waste_sources", frame(10))
    # leave room to copy project.gpkg but not to add 20,000 features to the copy
    with open(root + "/mnt/filler", "wb") as f:
        f.write(bytes(shutil.disk_usage(root + "/mnt").free - os.path.getsize(project.gpkg_path) - 64 * 1024))
"""


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs unprivileged user namespaces to mount a small tmpfs")
def test_full_disk_is_a_clear_error_and_changes_nothing(tmp_path):
    script = (
        _FILL_DISK.format(root=str(tmp_path))
        + """
    import hashlib, io, contextlib
    from geo.errors import InputError
    from dashboard.cli import main
    def state():
        return {p: hashlib.sha256(open(os.path.join(project.path, p), "rb").read()).hexdigest()
                for p in sorted(os.listdir(project.path)) if p != ".lock"}
    before = state()
    try:
        project.write("waste_sources", frame(20_000))
        library = "no error"
    except InputError as exc:
        library = f"{type(exc).__name__}: {exc}"
    frame(20_000).to_file(root + "/sources.gpkg")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["import", project.path.as_posix(), root + "/sources.gpkg", "--layer", "waste_sources"])
    _result.update(library=library, code=code, err=err.getvalue(), same=state() == before,
                   files=sorted(os.listdir(project.path)), count=len(project.read("waste_sources")))
    """
    )
    prefix = [
        "unshare",
        "--user",
        "--map-root-user",
        "--mount",
        "sh",
        "-c",
        f'mount -t tmpfs -o size=3m tmpfs "{tmp_path}/mnt" && exec "$0" "$@"',
    ]
    (tmp_path / "mnt").mkdir()
    result = _run_child(script, prefix=prefix)
    assert result["library"].startswith("DiskFullError: "), result
    assert "the disk is full" in result["library"] and "project.gpkg" in result["library"]
    assert result["code"] == 2 and "the disk is full" in result["err"] and "Traceback" not in result["err"]
    assert result["same"] and result["count"] == 10
    assert result["files"] == [".lock", "manifest.json", "project.gpkg"]  # no temporary file left


def test_file_size_limit_is_reported_like_a_full_disk(tmp_path):
    """RLIMIT_FSIZE (EFBIG) needs no mount: a write past it is refused and the project unchanged."""
    result = _run_child(
        f"""
        import os, resource, signal
        import geopandas as gpd, numpy as np
        from geo.atomic import DiskFullError
        from layers import Project
        project = Project.create({str(tmp_path / "p")!r})
        frame = lambda n: gpd.GeoDataFrame({{"id": [f"s{{i}}" for i in range(n)], "waste_kind": "construction",
            "supply_t_per_year": 1.0}}, geometry=gpd.points_from_xy(112 + np.arange(n) * 1e-4, np.full(n, 32.0)),
            crs=4326)
        project.write("waste_sources", frame(10))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2 * 1024**2, resource.RLIM_INFINITY))
        try:
            project.write("waste_sources", frame(100_000))
            outcome = "no error"
        except DiskFullError as exc:
            outcome = str(exc)
        _result.update(outcome=outcome, files=sorted(os.listdir(project.path)),
                       count=len(project.read("waste_sources")))
        """
    )
    assert "the disk is full" in result["outcome"] and "project.gpkg" in result["outcome"], result
    assert result["count"] == 10
    assert result["files"] == [".lock", "manifest.json", "project.gpkg"]


# -- temporary files of a crashed writer -----------------------------------------------------


def test_next_write_removes_the_temp_file_of_a_killed_writer(project):
    script = f"""
        import os, shutil, signal
        from geo.atomic import atomic_path
        from layers import Project
        project = Project.open({str(project.path)!r})
        with project.locked(), atomic_path(project.gpkg_path) as tmp:
            shutil.copyfile(project.gpkg_path, tmp)
            open(str(tmp) + "-journal", "wb").write(b"half")
            os.kill(os.getpid(), signal.SIGKILL)  # crash mid-write
    """
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == -signal.SIGKILL
    orphans = sorted(p.name for p in project.path.iterdir() if ".tmp" in p.name)
    assert len(orphans) == 2 and orphans[0].startswith(".project.") and orphans[1].endswith(".tmp.gpkg-journal")
    keep = project.path / ".project.notes"  # not a temporary file of ours
    keep.write_text("mine")
    project.write("facilities", project.read("facilities"))
    assert sorted(p.name for p in project.path.iterdir() if ".tmp" in p.name) == []
    assert keep.exists() and len(project.read("facilities")) == 1


def test_temp_files_newer_than_the_lock_are_kept(tmp_path):
    dest = tmp_path / "project.gpkg"
    with atomic_path(dest) as tmp:
        tmp.write_bytes(b"in progress")
        lock_taken = time.time() - 60  # this file was written after the lock was taken: a live writer's
        assert remove_stale_temp_files(dest, older_than=lock_taken) == []
        assert tmp.exists()
    old = tmp_path / ".project.ab12cd34.tmp.gpkg"
    old.write_bytes(b"left by a crash")
    os.utime(old, (time.time() - 120, time.time() - 120))
    other = tmp_path / ".projectx.ab12cd34.tmp.gpkg"  # another file's temporary: not ours
    other.write_bytes(b"x")
    os.utime(other, (time.time() - 120, time.time() - 120))
    assert remove_stale_temp_files(dest, older_than=time.time() - 60) == [old]
    assert other.exists() and dest.read_bytes() == b"in progress"


def test_a_running_writers_temp_file_is_never_removed(project):
    """A writer holding the lock keeps its temporary file while another writer waits."""
    script = f"""
        import shutil, sys
        from geo.atomic import atomic_path
        from layers import Project
        import geopandas as gpd
        project = Project.open({str(project.path)!r})
        with project.locked(), atomic_path(project.gpkg_path) as tmp:
            shutil.copyfile(project.gpkg_path, tmp)
            print(tmp.name, flush=True)
            sys.stdin.readline()  # hold the lock and the temporary file until told
    """
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    try:
        tmp_name = child.stdout.readline().strip()
        assert tmp_name.startswith(".project.")
        done = threading.Event()
        writer = threading.Thread(target=lambda: (project.log("waiting writer"), done.set()))
        writer.start()
        time.sleep(1.0)
        assert not done.is_set()  # blocked on the lock ...
        assert (project.path / tmp_name).exists()  # ... and the running writer's file is intact
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.wait(timeout=60) == 0
        writer.join(timeout=60)
        assert done.is_set()
    finally:
        if child.poll() is None:
            child.kill()
    assert not (project.path / tmp_name).exists()  # renamed onto project.gpkg by its writer
    assert project.manifest["log"][-1]["event"] == "waiting writer"


def test_disk_full_error_is_an_input_error():
    assert issubclass(DiskFullError, InputError)
