"""``xysiting progress`` and the links to the analyses (issue 7)."""

from __future__ import annotations

import io

import geopandas as gpd
import pandas as pd
import pytest
from _progress_helpers import EDITOR, VIEWER, make_project, state
from shapely.geometry import Point

from dashboard.cli import main
from siting.progress import UserStore, read_records
from siting.progress.links import phosphogypsum_routing_link, rooftop_pv_by_county


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj")


def test_status_table_lists_indicators_and_bases(project, capsys):
    assert main(["progress", str(project.path)]) == 0
    out = capsys.readouterr().out
    assert "非化石能源消费比重" in out and "谷城县整县屋顶分布式光伏试点" in out
    assert main(["progress", str(project.path), "--lang", "en", "--counties"]) == 0
    assert "Gucheng" in capsys.readouterr().out


def test_import_as_editor_then_export(project, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text(
        "target_id,date,value,unit\nind-non-fossil-share,2024-12-31,18.9,%\n"
        "base-xiangzhou-newenergy,2025-06-30,420,MW\n",
        encoding="utf-8",
    )
    assert main(["progress", str(project.path), "--import", str(src), "--author", EDITOR]) == 0
    assert "added 2" in capsys.readouterr().out
    assert read_records(project)["value"].tolist() == [18.9, 420.0]
    out = tmp_path / "out.csv"
    assert main(["progress", str(project.path), "--export", str(out)]) == 0
    assert pd.read_csv(out, encoding="utf-8-sig")["author"].tolist() == [f"cli:{EDITOR}"] * 2  # a claim
    assert main(["progress", str(project.path)]) == 0
    assert "18.9" in capsys.readouterr().out


def test_import_refused_for_viewer_and_bad_files(project, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("target_id,date,value\nind-non-fossil-share,2024-12-31,18.9\n", encoding="utf-8")
    before = state(project)
    assert main(["progress", str(project.path), "--import", str(src), "--author", VIEWER]) == 2
    assert "viewer" in capsys.readouterr().err
    assert main(["progress", str(project.path), "--import", str(src)]) == 2
    assert "--author" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("base,value\nx,1\n", encoding="utf-8")
    assert main(["progress", str(project.path), "--import", str(bad), "--author", EDITOR]) == 2
    assert "missing column" in capsys.readouterr().err
    assert state(project) == before


def test_add_user_from_stdin(project, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-pass\r\n"))
    assert main(["progress", str(project.path), "--add-user", "zhao", "--role", "editor", "--password-stdin"]) == 0
    users = UserStore.for_project(project)
    assert users.role("zhao") == "editor" and users.verify("zhao", "s3cret-pass")
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret\n"))  # too short: refused, nothing changed
    assert main(["progress", str(project.path), "--add-user", "qian", "--role", "editor", "--password-stdin"]) == 2
    assert "at least 10" in capsys.readouterr().err and users.role("qian") is None


# -- links ----------------------------------------------------------------------------
def test_rooftop_pv_beside_the_pilots_uses_the_result_given(project):
    result = pd.DataFrame(
        {
            "county": ["420625", "420625", "420602", "420602"],
            "kwp": [120.0, 80.0, 50.0, 7.0],
            "kwh_per_year": [1.2e5, 0.8e5, 0.5e5, 0.1e5],
            "suitable": [True, True, True, False],  # the shaded one does not count
        }
    )
    link = rooftop_pv_by_county(project, solar_result=result)
    assert link.available
    table = link.frame.set_index("county")
    assert table.loc["420625", "potential_kwp"] == 200.0
    assert table.loc["420625", "rooftop_pv_pilot"]
    assert table.loc["420602", "n_rooftops"] == 1
    assert pd.isna(table.loc["420607", "potential_kwp"])  # no rooftops there: empty, not 0


def test_rooftop_link_without_a_solar_result_says_why(project):
    link = rooftop_pv_by_county(project)  # the project has no rooftops layer
    assert not link.available
    assert "rooftop" in link.message and link.frame is None


def test_phosphogypsum_routing_beside_the_65_percent_target(project):
    project.write(
        "waste_sources",
        gpd.GeoDataFrame(
            {
                "id": ["s1", "s2"],
                "name": ["合成源一", "合成源二"],
                "waste_kind": ["phosphogypsum"] * 2,
                "supply_t_per_year": [2.0e6, 1.0e6],
                "source": ["synthetic"] * 2,
            },
            geometry=[Point(111.3, 31.9), Point(111.4, 31.8)],
            crs="EPSG:4326",
        ),
    )
    project.write(
        "facilities",
        gpd.GeoDataFrame(
            {
                "id": ["f-kiln", "f-yard"],
                "facility_kind": ["cement_kiln", "storage_yard"],
                "capacity_t_per_year": [1.5e6, 5e6],
                "source": ["synthetic"] * 2,
            },
            geometry=[Point(111.6, 32.3), Point(111.3, 31.9)],
            crs="EPSG:4326",
        ),
    )
    flows = pd.DataFrame(
        {
            "source_id": ["s1", "s1", "s2"],
            "facility_id": ["f-kiln", "f-yard", "f-kiln"],
            "waste_kind": "phosphogypsum",
            "t_per_year": [1.0e6, 1.0e6, 0.5e6],
        }
    )
    link = phosphogypsum_routing_link(project, flows=flows)
    assert link.available
    assert link.values["produced_t_per_year"] == 3.0e6
    assert link.values["delivered_t_per_year"] == 1.5e6  # the storage yard is not utilisation
    assert link.values["utilisation_pct"] == pytest.approx(50.0)
    assert link.values["target_pct"] == 65.0 and link.values["gap_pct"] == pytest.approx(15.0)


def test_phosphogypsum_link_without_sources_says_why(project):
    link = phosphogypsum_routing_link(project)
    assert not link.available and "waste_sources" in link.message


def test_links_say_what_is_missing(project, capsys):
    assert main(["progress", str(project.path), "--links"]) == 0
    out = capsys.readouterr().out
    assert "rooftop PV: " in out and "rooftops layer" in out
    assert "phosphogypsum: " in out and "waste_sources" in out
