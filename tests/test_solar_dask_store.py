"""The dask engine of the stored rooftop-PV result equals the pandas engine, row for row.

200,000 synthetic rooftops (``source="synthetic"``), 8 Hilbert-compact partitions, the
threaded scheduler (the cluster path is exercised by ``test_solar_potential``'s CLI test and
the benchmark).  Rooftops shaded by a building of *another* partition are found directly
(each partition computed alone shades them less) and must match the pandas engine too, so
the test fails if the halo is wrong.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from layers.project import Project
from siting import results
from siting.solar import _shading, rooftop_potential
from siting.solar.synthetic import synthetic_rooftops

N = 200_000
NUMERIC = ("kwp", "kwh_per_year", "kwh_per_kwp", "shading_factor", "usable_m2", "payback_years", "kwh_m06")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    pytest.importorskip("dask_geopandas")
    project = Project.create(tmp_path_factory.mktemp("dask") / "p", name="dask-vs-pandas")
    project.write("rooftops", synthetic_rooftops(N, seed=11))
    return project


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("id", kind="stable").reset_index(drop=True)


def test_dask_engine_equals_pandas_row_for_row_including_partition_edges(project):
    pandas_run = results.solar(project)
    expected = _sorted(pandas_run.stored.read("rooftops"))
    dask_run = results.solar(project.path, engine="dask", partitions=8)
    # the engine does not change the result, so it is the same key: the second call reuses
    assert dask_run.reused and dask_run.stored.key == pandas_run.stored.key
    project.results.delete("solar")
    dask_run = results.solar(project, engine="dask", partitions=8)
    assert not dask_run.reused and dask_run.stored.extra["engine"] == "dask"
    parts = sorted((dask_run.stored.path / "rooftops").glob("*.parquet"), key=lambda p: int(p.stem.split(".")[-1]))
    assert len(parts) == 8, "a partitioned GeoParquet result, one file per partition"
    assert dask_run.stored.meta["rows"]["rooftops"] == N
    part_ids = [pq.read_table(part, columns=["id"]).column("id").to_pylist() for part in parts]
    got = _sorted(dask_run.stored.read("rooftops"))
    assert list(got.columns) == list(expected.columns)
    assert (got["id"].to_numpy() == expected["id"].to_numpy()).all()
    for col in NUMERIC:
        np.testing.assert_allclose(got[col].to_numpy(float), expected[col].to_numpy(float), rtol=1e-6, err_msg=col)
    for col in ("suitable", "exclusion_reason", "county_rank", "array_planes", "use_class", "county"):
        pd.testing.assert_series_equal(got[col], expected[col], check_names=False)
    assert got.geometry.geom_equals_exact(expected.geometry, tolerance=1e-9).all()

    # rooftops shaded across partition edges: each partition alone shades them less
    alone = []
    rooftops = project.read("rooftops").set_index("id", drop=False)
    for ids in part_ids[:4]:  # half the partitions keep the test quick
        solo = rooftop_potential(rooftops.loc[ids].reset_index(drop=True), rank=False, monthly=False)
        alone.append(solo[["id", "shading_factor"]])
    alone = _sorted(pd.concat(alone))
    expected = expected[expected["id"].isin(alone["id"])].reset_index(drop=True)
    got = got[got["id"].isin(alone["id"])].reset_index(drop=True)
    across = alone["shading_factor"].to_numpy() > expected["shading_factor"].to_numpy() + 1e-4
    assert across.sum() >= 20, f"only {across.sum()} rooftops shaded across partition edges: weak test"
    np.testing.assert_allclose(
        got.loc[across, "kwh_per_year"].to_numpy(float), expected.loc[across, "kwh_per_year"].to_numpy(float), rtol=1e-6
    )
    assert (got.loc[across, "shading_factor"] < alone.loc[across, "shading_factor"]).all()


def test_compiled_horizon_scan_equals_all_pairs_by_numpy():
    """The grid scan finds every obstructing pair: compared with all n² pairs, in numpy."""
    rng = np.random.default_rng(5)
    n = 700
    x, y = rng.uniform(0, 900, n), rng.uniform(0, 700, n)
    h = np.where(rng.uniform(size=n) < 0.1, rng.uniform(40, 90, n), rng.uniform(3, 20, n))
    long_, short = rng.uniform(5, 30, n), rng.uniform(4, 12, n)
    short = np.minimum(short, long_)
    got = _shading.horizon_profile(x, y, h, long_, short, sectors=16, min_elevation_deg=10.0, max_distance_m=300.0)
    # reference: every ordered pair, the documented geometry, no search structure
    i, j = (a.ravel() for a in np.meshgrid(np.arange(n), np.arange(n), indexing="ij"))
    dx, dy = x[j] - x[i], y[j] - y[i]
    dc = np.hypot(dx, dy)
    dh = h[j] - h[i]
    dist = np.maximum(dc - short[j], 1.0)
    keep = (dh > 0) & (dc <= 300.0) & (dh >= np.tan(np.radians(10.0)) * dist)
    i, j, dx, dy, dc, dh, dist = (a[keep] for a in (i, j, dx, dy, dc, dh, dist))
    elev = np.degrees(np.arctan(dh / dist)).astype(np.float32)
    bearing = np.degrees(np.arctan2(dx, dy)) % 360.0
    half = np.degrees(np.arctan(long_[j] / np.maximum(dc, 1.0)))
    k0 = np.floor((bearing - half) / 22.5).astype(int)
    k1 = np.floor((bearing + half) / 22.5).astype(int)
    want = np.zeros((n, 16), dtype=np.float32)
    for pair in range(len(i)):  # a plain loop: this is the reference, on a few thousand pairs
        for k in range(k0[pair], k0[pair] + min(k1[pair] - k0[pair] + 1, 16)):
            want[i[pair], k % 16] = max(want[i[pair], k % 16], elev[pair])
    assert keep.sum() > 500 and (want > 0).any(axis=1).sum() > 100  # many rooftops are shaded
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, _shading.horizon_profile(x, y, h, long_, short, threads=2, chunk=50))


def test_cli_run_with_the_dask_engine(tmp_path, capsys):
    from dashboard.cli import main

    project = Project.create(tmp_path / "small", name="cli-dask")
    project.write("rooftops", synthetic_rooftops(3_000, seed=2))
    assert main(["run", str(project.path), "--only", "solar", "--engine", "dask", "--partitions", "3", "--quiet"]) == 0
    assert "computed solar" in capsys.readouterr().out
    stored = results.lookup(project, "solar", {})
    assert stored is not None and stored.extra["engine"] == "dask"
    assert len(list((stored.path / "rooftops").glob("*.parquet"))) == 3
    assert not list(stored.path.parent.glob(".tmp-*")), "staging folders are removed"
    # the same key as the pandas engine: a pandas run now reuses it
    assert main(["run", str(project.path), "--only", "solar", "--quiet"]) == 0
    assert "reused 1" in capsys.readouterr().out
    # option errors are clear (exit status 2), before anything runs
    assert main(["run", str(project.path), "--only", "solar", "--workers", "2"]) == 2
    assert "--engine dask" in capsys.readouterr().err
    bad = ["run", str(project.path), "--engine", "dask", "--workers", "2", "--scheduler", "tcp://x:1"]
    assert main(bad) == 2


def test_cli_solar_dask_on_a_project_is_stored_partitioned_and_agrees_with_pandas(tmp_path, capsys):
    """``xysiting solar DIR --engine dask``: the result goes into the store as partitioned
    GeoParquet (no whole-frame gather), and shortlist, totals and supply-curve summary equal
    the pandas engine's."""
    from dashboard.cli import main

    project = Project.create(tmp_path / "p", name="cli-solar-dask")
    project.write("rooftops", synthetic_rooftops(4_000, seed=3))
    dask_out, pandas_out = tmp_path / "dask.csv", tmp_path / "pandas.csv"
    dask_curve, pandas_curve = tmp_path / "dask_curve.csv", tmp_path / "pandas_curve.csv"
    args = ["--top", "25", "--min-kwp", "5"]
    dask_cmd = ["solar", str(project.path), "--engine", "dask", "--partitions", "3", *args]
    assert main([*dask_cmd, "--supply-curve", str(dask_curve), "--out", str(dask_out)]) == 0
    dask_text = capsys.readouterr().out
    stored = results.lookup(project, "solar", {})
    assert stored is not None and stored.extra["engine"] == "dask"
    assert len(list((stored.path / "rooftops").glob("*.parquet"))) == 3
    assert not list(tmp_path.glob(".xysiting-solar-*")), "staging folders are removed"
    project.results.delete("solar")
    pandas_cmd = ["solar", str(project.path), *args, "--supply-curve", str(pandas_curve)]
    assert main([*pandas_cmd, "--out", str(pandas_out)]) == 0
    pandas_text = capsys.readouterr().out
    got, want = pd.read_csv(dask_out), pd.read_csv(pandas_out)
    assert len(want) == 25 and got["id"].tolist() == want["id"].tolist()
    np.testing.assert_allclose(got["kwh_per_year"], want["kwh_per_year"], rtol=1e-6)
    assert (got["county_rank"] == want["county_rank"]).all()
    # the printed totals and the supply-curve summary (LCOE range, median, below benchmark)
    for line in ("rooftops,", "supply curve:", "shortlist:"):
        assert [x for x in dask_text.splitlines() if line in x] == [x for x in pandas_text.splitlines() if line in x]
    curve_got, curve_want = pd.read_csv(dask_curve), pd.read_csv(pandas_curve)
    assert curve_got["id"].tolist() == curve_want["id"].tolist()
