"""The dashboard reads the stored rooftop-PV result: one compact, shared frame per project version.

Built on the synthetic dashboard project (``source="synthetic"``) with its rooftop-PV
result stored the way ``xysiting run`` stores it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dashboard_project import build_project


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    from siting import results

    project = build_project(tmp_path_factory.mktemp("solar_data") / "project", n_rooftops=400)
    results.solar(project)  # stored, as `xysiting run DIR --only solar` stores it
    return project


def test_the_table_is_the_stored_result_in_generation_order(project):
    from dashboard import _solar_data
    from siting import results

    table = _solar_data.rooftop_table(project, with_pv=True)
    stored = results.lookup(project, "solar", {}).read("rooftops")
    assert len(table) == len(stored) == 400
    kwh = table["kwh_per_year"].to_numpy()
    assert np.all(np.diff(np.nan_to_num(kwh, nan=-np.inf)) <= 0)  # largest first
    assert table["rank"].tolist() == list(range(1, 401))
    by_id = stored.set_index(stored["id"].astype(str)).loc[table["id"].to_numpy()]
    np.testing.assert_allclose(kwh, by_id["kwh_per_year"].to_numpy(dtype=float), rtol=0, equal_nan=True)
    np.testing.assert_allclose(table["kwp"], by_id["kwp"].to_numpy(dtype=float), rtol=0, equal_nan=True)
    np.testing.assert_allclose(table["area_m2"], by_id["footprint_m2"].to_numpy(dtype=float), rtol=0)
    np.testing.assert_allclose(table["kwh_per_kwp"], by_id["kwh_per_kwp"].to_numpy(dtype=float), rtol=1e-6)
    assert table["suitable"].tolist() == by_id["suitable"].fillna(False).astype(bool).tolist()
    assert table["county"].astype(str).tolist() == by_id["county"].astype(str).tolist()
    # lon/lat are the centroids of the stored WGS84 polygons
    centroids = shapely.centroid(by_id.geometry.to_numpy())
    np.testing.assert_allclose(table["lon"], shapely.get_x(centroids), rtol=0, atol=1e-12)
    np.testing.assert_allclose(table["lat"], shapely.get_y(centroids), rtol=0, atol=1e-12)
    assert table.attrs["solar"]  # the PV assumptions travel with the frame (exports)


def test_the_table_is_compact(project):
    from dashboard import _solar_data

    table = _solar_data.rooftop_table(project, with_pv=True)
    assert not any(dtype is np.dtype(object) for dtype in table.dtypes)  # no Python object per row
    for col in ("county", "park_id", "use_class", "exclusion_reason"):
        assert isinstance(table[col].dtype, pd.CategoricalDtype), col
        cats = list(table[col].cat.categories)
        assert cats == sorted(cats), col  # the filter menus list them in this order
    assert "geometry" not in table.columns
    for col in ("kwp", "kwh_per_year", "tco2_per_year"):  # summed over many rows: full precision
        assert table[col].dtype == np.float64, col
    assert table["kwh_per_kwp"].dtype == np.float32


def test_one_shared_copy(project):
    from dashboard import _data, _solar_data

    table = _solar_data.rooftop_table(project, with_pv=True)
    assert _solar_data.rooftop_table(project, with_pv=True) is table  # every session: the same frame
    points = _data.rooftop_points(project)
    assert list(points.columns) == ["id", "name", "county", "park_id", "use_class", "area_m2", "lon", "lat"]
    # the points are columns of the one table, not a second copy of the rooftops
    assert np.shares_memory(points["lon"].to_numpy(), table["lon"].to_numpy())
    assert np.shares_memory(points["area_m2"].to_numpy(), table["area_m2"].to_numpy())
    small = _solar_data.suitable_results(project)
    assert _solar_data.suitable_results(project) is small
    assert set(small.columns) == {"id", "county", "kwp", "kwh_per_year", "suitable"}
    assert len(small) == int(table["suitable"].sum()) and small["suitable"].all()


def test_points_without_a_stored_result_come_from_the_layer(tmp_path):
    from dashboard import _data, _solar_data

    project = build_project(tmp_path / "bare", n_rooftops=50)
    points = _data.rooftop_points(project)
    layer = project.read("rooftops")
    assert points["id"].tolist() == layer["id"].astype(str).tolist()
    centroids = shapely.centroid(layer.geometry.to_numpy())
    np.testing.assert_allclose(points["lon"], shapely.get_x(centroids))
    plain = _solar_data.rooftop_table(project, with_pv=False)
    assert np.all(np.diff(plain["area_m2"].to_numpy()) <= 0)  # by area, largest first
    assert not project.results.entries("solar")  # nothing computed for a table without PV


def test_what_if_workers_run_at_lower_priority():
    from dashboard._jobs import ResultJobs

    jobs = ResultJobs(niceness=5)
    try:
        worker = jobs._executor().submit(os.nice, 0).result(timeout=300)
    finally:
        jobs.shutdown()
    assert worker >= min(os.nice(0) + 5, 19)


def test_wkb_centroids_equal_geos_and_leave_the_rest_to_it():
    import pyarrow as pa

    from dashboard._solar_data import wkb_polygon_centroids

    rng = np.random.default_rng(3)
    n = 2000
    cx, cy = 112 + rng.random(n) * 0.3, 31.9 + rng.random(n) * 0.2
    w = rng.random(n) * 1e-4 + 1e-6  # roofs of 0.1 m to 10 m: precision far from the origin
    geoms = shapely.box(cx - w, cy - w / 2, cx + w, cy + 2 * w)
    geoms[1] = shapely.Polygon([(112, 32), (112.001, 32.0002), (112.0013, 32.001), (112.0002, 32.0011)])
    geoms[2] = shapely.MultiPolygon([shapely.box(112, 32, 112.001, 32.001), shapely.box(112.002, 32, 112.003, 32.001)])
    geoms[3] = shapely.box(112, 32, 112.01, 32.01).difference(shapely.box(112.001, 32.001, 112.002, 32.002))
    geoms[4] = shapely.Point(112, 32)
    geoms[5] = shapely.force_3d(shapely.box(112, 32, 112.001, 32.001))
    wkb = list(shapely.to_wkb(geoms))
    wkb[6] = None
    wkb[7] = shapely.to_wkb(geoms[7], byte_order=0)  # big-endian
    expected = shapely.centroid(shapely.from_wkb(np.array(wkb, dtype=object)))
    ex, ey = shapely.get_x(expected), shapely.get_y(expected)
    for arr in (pa.array(wkb, type=pa.binary()), pa.array(wkb, type=pa.large_binary())):
        for start, stop in ((0, n), (5, 1500)):  # whole, and a slice (offset into the buffers)
            x, y, done = wkb_polygon_centroids(arr.slice(start, stop - start))
            rest = {int(i) + start for i in np.flatnonzero(~done)}
            assert rest == {2, 3, 4, 5, 6, 7} & set(range(start, stop))
            np.testing.assert_allclose(x[done], ex[start:stop][done], rtol=0, atol=1e-12)
            np.testing.assert_allclose(y[done], ey[start:stop][done], rtol=0, atol=1e-12)
            assert np.isnan(x[~done]).all()


def test_a_finished_what_if_is_read_off_the_calling_thread():
    import threading
    from concurrent.futures import Future

    from dashboard._jobs import deliver

    job = Future()
    fetched_in, applied = [], threading.Event()
    got = []

    def fetch():
        fetched_in.append(threading.current_thread())
        return job if not job.done() else {"stored": True}

    def apply(result, error):
        got.append((result, error))
        applied.set()

    deliver(fetch, apply, wanted=lambda: True)
    assert got == [] and fetched_in == [threading.main_thread()]  # not stored: nothing shown yet
    job.set_result("computed")
    assert applied.wait(30)
    assert got == [({"stored": True}, None)]
    assert fetched_in[-1] is not threading.main_thread()  # the stored result was read in a helper thread

    failed, errors = Future(), []
    deliver(lambda: failed, lambda r, e: errors.append(e), wanted=lambda: True)
    failed.set_exception(ValueError("no route"))
    for _ in range(300):
        if errors:
            break
        threading.Event().wait(0.1)
    assert len(errors) == 1 and isinstance(errors[0], ValueError)
