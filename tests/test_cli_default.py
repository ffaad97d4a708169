"""`xysiting init` + `xysiting layers` on the embedded default (issue 2, "Done when")."""

from __future__ import annotations

import shutil

import pytest

from dashboard.cli import main
from layers import LAYER_KINDS, Project
from layers.schema import COUNTIES


def test_layers_lists_every_kind(default_project_dir, capsys):
    capsys.readouterr()
    assert main(["layers", str(default_project_dir)]) == 0
    out = capsys.readouterr().out
    layer_table, _, result_table = out.partition("\n\n")
    listed = {line.split()[0] for line in layer_table.splitlines()[1:] if line.strip()}
    assert listed == set(LAYER_KINDS)
    # init computed and stored the analyses; all of them are current
    rows = [line for line in result_table.splitlines()[2:] if line.strip()]
    assert {r.split()[0] for r in rows} == {"solar", "wind", "waste", "site"}
    assert all(r.rstrip().endswith("current") for r in rows)


def test_default_counties_are_the_nine_real_units(default_project_dir):
    counties = Project.open(default_project_dir).read("counties")
    assert dict(zip(counties["adcode"], counties["name"], strict=True)) == {k: v[0] for k, v in COUNTIES.items()}
    assert set(counties["source"]) == {"cnmaps"}
    areas_km2 = counties.to_crs("EPSG:32649").area / 1e6
    # Xiangyang covers about 19,700 km²; the smallest unit (樊城区) is some 600 km²
    assert 18_000 < areas_km2.sum() < 21_500 and areas_km2.min() > 300


def test_every_feature_carries_a_source(default_project_dir):
    project = Project.open(default_project_dir)
    for kind in project.vector_kinds():
        frame = project.read(kind)
        if len(frame):
            assert frame["source"].notna().all() and (frame["source"] != "").all(), kind
    assert project.raster_metadata("wind_resource")["source"] == "synthetic"


def test_init_refuses_an_existing_project(default_project_dir, capsys):
    assert main(["init", str(default_project_dir), "--quiet"]) == 2
    assert "already holds a project" in capsys.readouterr().err


def test_export_then_reimport_round_trip(default_project_dir, tmp_path, capsys):
    work = tmp_path / "copy"
    shutil.copytree(default_project_dir, work)
    out = tmp_path / "facilities.gpkg"
    assert main(["export", str(work), "--layer", "facilities", "--out", str(out)]) == 0
    before = Project.open(work).read("facilities").sort_values("id").reset_index(drop=True)
    assert main(["import", str(work), str(out), "--layer", "facilities"]) == 0
    after = Project.open(work).read("facilities").sort_values("id").reset_index(drop=True)
    assert after["id"].tolist() == before["id"].tolist()
    assert after["capacity_t_per_year"].tolist() == pytest.approx(before["capacity_t_per_year"].tolist())
    assert after.geometry.geom_equals_exact(before.geometry, tolerance=1e-9).all()
