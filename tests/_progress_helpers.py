"""Helpers for the progress tests: a small synthetic project, users, and subprocess writers.

The bases here are synthetic stand-ins following layers/schema.py (source="synthetic"),
named after bases the plan names (FACTS.md "Renewable bases"), with made-up capacities.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import geopandas as gpd
from shapely.geometry import Point

from layers.project import Project
from siting.progress import UserStore, add_records

EDITOR, EDITOR_PW = "wang", "editor-pw-1"
VIEWER, VIEWER_PW = "li", "viewer-pw-2"


def synthetic_bases() -> gpd.GeoDataFrame:
    """Three bases: two with targets (MW, t/yr), one whole-county pilot without a number."""
    return gpd.GeoDataFrame(
        {
            "id": ["base-xiangzhou-newenergy", "base-gucheng-rooftop-pv", "base-zedong-pg"],
            "name": ["襄州区百万千瓦级新能源示范基地", "谷城县整县屋顶分布式光伏试点", "泽东化工磷石膏综合利用项目"],
            "name_en": [
                "Xiangzhou GW-class new-energy base",
                "Gucheng whole-county rooftop PV pilot",
                "Zedong phosphogypsum utilisation project",
            ],
            "category": ["renewable", "renewable", "recycling"],
            "base_kind": ["wind", "rooftop_pv", "phosphogypsum"],
            "county": ["420607", "420625", "420626"],
            "target_value": [1000.0, None, 500000.0],
            "target_unit": ["MW", None, "t/yr"],
            "target_year": [2025, None, 2025],
            "status": ["under_construction", "planned", "delayed"],
            "plan_ref": ["三(三)11", "三(三)11", "三(四)14"],
            "source": ["synthetic"] * 3,
        },
        geometry=[Point(112.20, 32.09), Point(111.64, 32.26), Point(111.26, 31.87)],
        crs="EPSG:4326",
    )


def make_project(path: Path) -> Project:
    """A project with the synthetic bases and a users file (one editor, one viewer)."""
    project = Project.create(path)
    project.write("bases", synthetic_bases())
    users = UserStore.for_project(project)
    users.set_user(EDITOR, EDITOR_PW, "editor")
    users.set_user(VIEWER, VIEWER_PW, "viewer")
    return project


def state(project: Project) -> str:
    """A hash of the GeoPackage bytes (to prove a refused write changed nothing)."""
    return hashlib.sha256(project.gpkg_path.read_bytes()).hexdigest()


def append_worker(path: str, tag: str, n_records: int, batch: int) -> None:
    """Append ``n_records`` records in transactions of ``batch`` (run in a child process)."""
    project = Project.open(path)
    for start in range(0, n_records, batch):
        rows = [
            {
                "target_id": "ind-non-fossil-share",
                "date": "2024-12-31",
                "value": float(i % 100),
                "id": f"{tag}-{i:05d}",
                "note": tag,
            }
            for i in range(start, min(start + batch, n_records))
        ]
        add_records(project, rows, user=EDITOR)


def endless_worker(path: str, committed_log: str) -> None:
    """Append one record per transaction forever, logging each id after its commit."""
    project = Project.open(path)
    with open(committed_log, "a", encoding="utf-8") as log:
        i = 0
        while True:
            rid = f"kill-{i:06d}"
            add_records(
                project,
                [{"target_id": "base-xiangzhou-newenergy", "date": "2025-01-01", "value": float(i), "id": rid}],
                user=EDITOR,
            )
            log.write(rid + "\n")
            log.flush()
            i += 1


if __name__ == "__main__":  # pragma: no cover - manual use
    make_project(Path(sys.argv[1]))


def stalled_writer(path: str, ready) -> None:
    """Take the project lock, insert rows in an open transaction, then hang until killed."""
    import contextlib
    import time

    from siting.progress import _sqlite

    project = Project.open(path)
    with project.locked(), contextlib.closing(_sqlite.connect(project.gpkg_path)) as con:
        con.execute("PRAGMA cache_size = 1")  # tiny cache: changed pages spill into the file
        con.execute("BEGIN IMMEDIATE")
        con.executemany(
            "INSERT INTO progress_records (id, target_id, date, value, unit, author, note) "
            "VALUES (?, 'ind-non-fossil-share', '2025-01-01', 1.0, '%', 'wang', 'uncommitted')",
            [(f"half-{i}",) for i in range(5000)],
        )
        ready.set()
        time.sleep(600)
