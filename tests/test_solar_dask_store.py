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
from siting.solar import rooftop_potential
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
    for ids in part_ids:
        solo = rooftop_potential(rooftops.loc[ids].reset_index(drop=True), rank=False, monthly=False)
        alone.append(solo[["id", "shading_factor"]])
    alone = _sorted(pd.concat(alone))
    across = alone["shading_factor"].to_numpy() > expected["shading_factor"].to_numpy() + 1e-4
    assert across.sum() >= 20, f"only {across.sum()} rooftops shaded across partition edges: weak test"
    np.testing.assert_allclose(
        got.loc[across, "kwh_per_year"].to_numpy(float), expected.loc[across, "kwh_per_year"].to_numpy(float), rtol=1e-6
    )
    assert (got.loc[across, "shading_factor"] < alone.loc[across, "shading_factor"]).all()
