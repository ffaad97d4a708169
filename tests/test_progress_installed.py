"""Plan progress from the power_plants layer, and values checked against their unit (issue 12, item 5)."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import holoviews as hv
import pandas as pd
import pytest
from _progress_helpers import EDITOR, make_project, state
from bokeh.document import Document
from shapely.geometry import Point

from dashboard.cli import main
from siting.progress import add_records, ensure_store, read_records
from siting.progress.installed import installed_capacity, installed_records, non_fossil_context
from siting.progress.status import base_status, indicator_status

hv.extension("bokeh", logo=False)

XIANGZHOU, ZAOYANG = "420607", "420683"


def _plants() -> gpd.GeoDataFrame:
    """Synthetic plants (source "synthetic" stand-ins for GEM/GPPD rows), every case once."""
    rows = [
        # county, technology, MW, status, start_year, source_version
        (XIANGZHOU, "wind", 50.0, "operating", 2015, "GEM May 2023"),
        (XIANGZHOU, "wind", 30.0, "operating", 2018, "GEM May 2023"),
        (XIANGZHOU, "wind", 100.0, "construction", None, "GEM May 2023"),  # not operating
        (XIANGZHOU, "coal", 640.0, "operating", 2006, "GEM July 2023"),  # not renewable
        (XIANGZHOU, "solar", 20.0, "operating", None, "GPPD v1.3"),  # counts from 2021
        (ZAOYANG, "wind", 47.0, "operating", 2019, "GEM May 2023"),
        (None, "wind", 48.0, "operating", 2017, "GEM May 2023"),  # in the margin, no county
        (XIANGZHOU, "wind", 10.0, "shelved", None, "GEM May 2023"),
    ]
    county, tech, mw, status, year, version = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {
            "id": [f"p{i}" for i in range(len(rows))],
            "name": [f"plant {i}" for i in range(len(rows))],
            "technology": tech,
            "capacity_mw": mw,
            "status": status,
            "start_year": pd.array(year, dtype="Int64"),
            "county": county,
            "source_version": version,
            "source": "synthetic",
        },
        geometry=[Point(112.2 + i * 0.01, 32.1) for i in range(len(rows))],
        crs="EPSG:4326",
    )


@pytest.fixture
def project(tmp_path):
    proj = make_project(tmp_path / "proj")
    proj.write("power_plants", _plants())
    return proj


def test_installed_capacity_is_cumulative_per_county_technology_and_year():
    plants = _plants()
    table = installed_capacity(plants).set_index(["county", "technology", "year"])
    wind = table.loc[(XIANGZHOU, "wind")]
    assert wind.index.min() == 2015 and wind.index.max() == 2023  # as of GEM May 2023
    ops = plants[(plants["status"] == "operating") & (plants["technology"] == "wind") & (plants["county"] == XIANGZHOU)]
    for year in (2015, 2017, 2018, 2023):
        assert wind.loc[year, "installed_mw"] == ops.loc[ops["start_year"] <= year, "capacity_mw"].sum()
    assert wind.loc[2018, "added_mw"] == 30.0 and wind.loc[2018, "n_plants"] == 2
    assert wind["source"].unique().tolist() == ["GEM May 2023"]
    solar = table.loc[(XIANGZHOU, "solar")]
    assert solar.index.min() == 2021 and solar["source"].unique().tolist() == ["GPPD v1.3"]
    assert solar["as_of"].iloc[0] == dt.date(2021, 6, 30)
    assert "coal" not in table.index.get_level_values("technology")
    assert table.index.get_level_values("county").isin([XIANGZHOU, ZAOYANG]).all()


def test_a_wind_base_takes_its_county_capacity_until_someone_records_a_value(project):
    base = base_status(project, today=dt.date(2025, 6, 1)).set_index("id").loc["base-xiangzhou-newenergy"]
    # base_kind "wind" in 襄州: operating wind only (50 + 30 MW), dated at the data's release
    assert base["latest_value"] == 80.0
    assert base["latest_date"] == pd.Timestamp("2023-05-31")
    assert base["latest_by"] == "GEM May 2023"
    assert base["n_records"] == 0 and base["status"] != "no_data"
    assert base["progress_pct"] == pytest.approx(8.0)
    series = installed_records(project)
    assert series["value"].tolist() == [50.0, 50.0, 50.0, 80.0, 80.0, 80.0, 80.0, 80.0, 80.0]
    assert (series["author"] == "GEM May 2023").all()
    # a person's later record takes over; theirs is the only record counted
    add_records(project, [{"target_id": "base-xiangzhou-newenergy", "date": "2025-03-31", "value": 350}], user=EDITOR)
    base = base_status(project, today=dt.date(2025, 6, 1)).set_index("id").loc["base-xiangzhou-newenergy"]
    assert (base["latest_value"], base["latest_by"], base["n_records"]) == (350.0, EDITOR, 1)
    # the rooftop pilot and the recycling base get nothing from power plants
    other = base_status(project, today=dt.date(2025, 6, 1)).set_index("id")
    assert pd.isna(other.loc["base-gucheng-rooftop-pv", "latest_value"])


def test_the_non_fossil_share_shows_the_citys_operating_wind_and_solar(project, capsys):
    context = non_fossil_context(project)
    assert (context["wind_mw"], context["solar_mw"]) == (127.0, 20.0)  # 50 + 30 + 47; 20
    assert "GEM May 2023" in context["text"] and "GPPD v1.3" in context["text"]
    # the Chinese line names the release date in Chinese (the dataset names stay as published)
    assert "截至 20" in context["text_zh"] and "as of" not in context["text_zh"]
    row = indicator_status(project).set_index("id").loc["ind-non-fossil-share"]
    assert row["context"] == context["text"] and row["status"] == "no_data"  # context, not a share
    assert main(["progress", str(project.path), "--lang", "en"]) == 0
    assert "wind 127 MW" in capsys.readouterr().out
    assert main(["progress", str(project.path), "--installed"]) == 0
    assert "GPPD v1.3" in capsys.readouterr().out


def test_a_percentage_above_100_is_refused_with_status_2(project, tmp_path, capsys):
    ensure_store(project)  # the (empty) store exists, as after any first write
    before = state(project)
    bad = tmp_path / "bad.csv"
    bad.write_text("target_id,date,value,unit\nind-non-fossil-share,2024-12-31,650,%\n", encoding="utf-8")
    assert main(["progress", str(project.path), "--import", str(bad), "--author", EDITOR]) == 2
    err = capsys.readouterr().err
    assert "650 %" in err and "0–100" in err and "ind-non-fossil-share" in err
    counts = tmp_path / "counts.csv"
    counts.write_text("target_id,date,value\nind-green-factories-new,2024-12-31,2.5\n", encoding="utf-8")
    assert main(["progress", str(project.path), "--import", str(counts), "--author", EDITOR]) == 2
    assert "whole number" in capsys.readouterr().err
    assert state(project) == before
    # a fraction converts to a percentage first: 0.5 → 50 %, accepted
    ok = tmp_path / "ok.csv"
    ok.write_text("target_id,date,value,unit\nind-non-fossil-share,2024-12-31,0.5,fraction\n", encoding="utf-8")
    assert main(["progress", str(project.path), "--import", str(ok), "--author", EDITOR]) == 0
    assert read_records(project)["value"].tolist() == [50.0]


def test_a_percentage_above_100_in_the_form_is_shown_beside_it(project):
    from dashboard.progress_tab import ProgressTab

    ensure_store(project)
    before = state(project)
    tab = ProgressTab(project, lang="en", user=EDITOR)
    tab.panel().get_root(Document())
    assert tab.submit("ind-non-fossil-share", "2024-12-31", 650.0) is False
    assert tab.message.visible and tab.message.alert_type == "danger"
    assert "0–100" in tab.message.object
    assert state(project) == before
    # the cards show the city's operating wind and solar beside the non-fossil share; the bases
    # table says where a value comes from
    assert "wind 127 MW" in tab.cards.object and "GEM May 2023" in tab.cards.object
    bases = tab._bases_frame().set_index("id")
    assert bases.loc["base-xiangzhou-newenergy", "Source / entered by"] == "GEM May 2023"


def test_plants_without_a_dated_release_still_feed_the_bases(project):
    plants = _plants().assign(source_version=None, source="user")  # e.g. a GEM CSV renamed by a user
    project.write("power_plants", plants)
    table = installed_capacity(plants)
    assert table["as_of"].isna().all() and set(table["source"]) == {"user"}
    base = base_status(project, today=dt.date(2025, 6, 1)).set_index("id").loc["base-xiangzhou-newenergy"]
    assert (base["latest_value"], base["latest_by"]) == (80.0, "user")
    assert base["latest_date"] == pd.Timestamp("2019-12-31")  # without a release date: the latest start year
