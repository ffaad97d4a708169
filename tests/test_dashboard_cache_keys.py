"""The dashboard's cache key (dashboard._data.project_version) ignores progress records.

Appending progress records rewrites the GeoPackage (new mtime, and on the first append a
new file through Project.write) but must keep the rooftop-PV/routing caches; re-importing a
layer or a raster must invalidate them.  Synthetic project from tests/_progress_helpers.py.
"""

from __future__ import annotations

import numpy as np
import rasterio
from _progress_helpers import EDITOR, make_project, synthetic_bases
from rasterio.transform import from_origin

from dashboard import _data
from siting.progress import add_records


def _append(project, value: float) -> None:
    add_records(project, [{"target_id": "ind-non-fossil-share", "date": "2024-12-31", "value": value}], user=EDITOR)


def test_appending_progress_records_keeps_the_version(tmp_path):
    project = make_project(tmp_path / "proj")
    before = _data.project_version(project)
    bases = _data.read_layer(project, "bases")
    stat_before = project.gpkg_path.stat()

    _append(project, 10.0)  # creates progress_records (Project.write: copy + rename)
    _append(project, 11.0)  # plain SQLite insert into the existing table

    stat_after = project.gpkg_path.stat()
    assert (stat_after.st_ino, stat_after.st_mtime_ns) != (stat_before.st_ino, stat_before.st_mtime_ns)
    assert _data.project_version(project) == before
    assert _data.read_layer(project, "bases") is bases  # served from the cache
    records = _data.read_layer(project, "progress_records")  # never cached: fresh
    assert sorted(records["value"]) == [10.0, 11.0]


def test_reimporting_a_layer_changes_the_version(tmp_path):
    project = make_project(tmp_path / "proj")
    _append(project, 10.0)
    before = _data.project_version(project)
    bases = _data.read_layer(project, "bases")

    changed = synthetic_bases()
    changed.loc[0, "name_en"] = "renamed base"
    project.write("bases", changed)

    assert _data.project_version(project) != before
    fresh = _data.read_layer(project, "bases")
    assert fresh is not bases
    assert "renamed base" in set(fresh["name_en"])


def test_importing_a_raster_changes_the_version(tmp_path):
    project = make_project(tmp_path / "proj")
    before = _data.project_version(project)
    tif = tmp_path / "wind.tif"
    with rasterio.open(
        tif,
        "w",
        driver="GTiff",
        height=4,
        width=4,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(112.0, 32.2, 0.05, 0.05),
    ) as dst:
        dst.write(np.full((1, 4, 4), 6.5, dtype="float32"))
    project.write_raster("wind_resource", tif, height_m=100, units="m/s", source="synthetic")
    assert _data.project_version(project) != before
