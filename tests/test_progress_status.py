"""Indicators registry, indicator arithmetic with units, and status against target paths."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _progress_helpers import EDITOR, make_project

from geo.errors import InputError
from siting.progress import INDICATORS, add_records, get_indicator, indicators_frame
from siting.progress.arithmetic import (
    convert,
    due_year_fraction,
    share_pct,
    target_path,
    utilisation_pct,
    year_fraction,
)
from siting.progress.status import base_status, county_summary, indicator_status, status_table

PLAN = Path(__file__).resolve().parents[1].parent / "shared" / "seed" / "xiangyang_carbon_peak_pilot_plan.txt"


# -- registry -------------------------------------------------------------------------
def test_registry_holds_the_plans_targets():
    frame = indicators_frame()
    assert frame["id"].str.startswith("ind-").all()
    assert (frame["source"] == "plan").all()
    targets = {(r.id, r.target_year): r.target_value for r in frame.itertuples()}
    # FACTS.md "The plan's targets"
    assert targets[("ind-non-fossil-share", 2025)] == 21.4
    assert targets[("ind-non-fossil-share", 2030)] == 25.0
    assert targets[("ind-phosphogypsum-utilisation", 2025)] == 65.0
    assert targets[("ind-phosphogypsum-harmless", 2025)] == 100.0
    assert targets[("ind-strategic-emerging-share", 2025)] == 31.0
    assert targets[("ind-green-manufacturing-demos", 2025)] == 15.0
    assert targets[("ind-green-factories-new", 2025)] == 10.0
    assert targets[("ind-waste-sorting-urban", 2025)] == 100.0
    assert targets[("ind-waste-sorting-rural", 2025)] == 60.0
    assert targets[("ind-parks-circular-retrofit", 2025)] == 100.0


def test_baselines_only_where_stated():
    with_baseline = {ind.id for ind in INDICATORS if ind.baseline_value is not None}
    # only FACTS.md's ≈ 10 % phosphogypsum utilisation (0.3 of 3 Mt/yr, around 2019)
    assert with_baseline == {"ind-phosphogypsum-utilisation"}
    assert get_indicator("ind-phosphogypsum-utilisation").baseline_year == 2019
    assert indicators_frame().loc[lambda f: f["id"] == "ind-non-fossil-share", "baseline_value"].isna().all()


def test_percent_targets_appear_in_the_plan_text():
    if not PLAN.is_file():
        pytest.skip(f"plan text {PLAN} not present")
    text = PLAN.read_text(encoding="utf-8")
    for ind in INDICATORS:
        for value, year in ind.targets:
            if ind.unit == "%" and value < 100:
                assert re.search(rf"{value:g}%", text), (ind.id, value)
            assert str(year) in text


def test_unknown_indicator_is_an_inputerror():
    with pytest.raises(InputError, match="known indicators"):
        get_indicator("ind-nope")


# -- arithmetic -----------------------------------------------------------------------
def test_utilisation_is_used_over_produced_with_units():
    # FACTS.md "Waste": about 0.3 Mt used of about 3 Mt produced ≈ 10 %
    assert utilisation_pct(0.3, 3.0, used_unit="Mt", produced_unit="Mt") == pytest.approx(10.0)
    assert utilisation_pct(300, 3, used_unit="kt", produced_unit="Mt") == pytest.approx(10.0)
    assert utilisation_pct(195, 300, used_unit="万t/yr", produced_unit="万t/yr") == pytest.approx(65.0)
    assert utilisation_pct(1.95e6, 300, used_unit="t/yr", produced_unit="万t/yr") == pytest.approx(65.0)
    out = utilisation_pct(np.array([1.0, 2.0, 0.0]), np.array([4.0, 0.0, 5.0]))
    assert out[0] == pytest.approx(25.0) and np.isnan(out[1]) and out[2] == 0.0


def test_arithmetic_refuses_mismatched_units_and_negatives():
    with pytest.raises(InputError, match="cannot convert"):
        utilisation_pct(1.0, 2.0, used_unit="MW", produced_unit="t")
    with pytest.raises(InputError, match="cannot convert"):
        convert(1.0, "t", "t/yr")
    with pytest.raises(InputError, match="non-negative"):
        share_pct(-1.0, 2.0)
    assert convert(0.52, "GW", "MW") == pytest.approx(520.0)
    assert convert(65.0, "%", "fraction") == pytest.approx(0.65)


def test_target_path_is_a_straight_line_clamped_at_both_ends():
    # phosphogypsum: 10 % at the end of 2019 → 65 % at the end of 2025
    at = year_fraction(["2019-06-30", "2022-12-31", "2026-06-30"])
    path = target_path(
        at, start_value=10.0, start_time=due_year_fraction(2019), target_value=65.0, target_time=due_year_fraction(2025)
    )
    assert path[0] == 10.0 and path[2] == 65.0
    expected_mid = 10.0 + 55.0 * (at[1] - 2020.0) / 6.0
    assert path[1] == pytest.approx(expected_mid)
    assert year_fraction(["2024-01-01"])[0] == 2024.0


# -- status ---------------------------------------------------------------------------
@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj")


TODAY = dt.date(2025, 7, 1)


def _row(frame: pd.DataFrame, key: str) -> pd.Series:
    return frame.set_index("id").loc[key]


def test_indicator_status_against_the_path(project):
    add_records(
        project,
        [
            # phosphogypsum: path from 10 % (end 2019) to 65 % (end 2025): ≈ 51.2 % mid-2024
            {"target_id": "ind-phosphogypsum-utilisation", "date": "2024-06-30", "value": 45.0},
            # non-fossil share: two records make a path from the first one; 21.4 % due end 2025
            {"target_id": "ind-non-fossil-share", "date": "2023-12-31", "value": 17.0},
            {"target_id": "ind-non-fossil-share", "date": "2024-12-31", "value": 19.5},
            {"target_id": "ind-waste-sorting-urban", "date": "2025-03-31", "value": 100.0},
            {"target_id": "ind-waste-sorting-rural", "date": "2025-03-31", "value": 41.0},
        ],
        user=EDITOR,
    )
    status = indicator_status(project, today=TODAY)
    pg = _row(status, "ind-phosphogypsum-utilisation")
    expected_path = 10.0 + 55.0 * (year_fraction(["2024-06-30"])[0] - 2020.0) / 6.0
    assert pg["path_value"] == pytest.approx(expected_path)
    assert pg["status"] == "behind" and pg["gap"] == pytest.approx(20.0)
    nf = _row(status, "ind-non-fossil-share")
    assert nf["target_value"] == 21.4 and nf["target_year"] == 2025
    # path from 17.0 (end 2023) to 21.4 (end 2025) at end 2024 ≈ 19.2 < 19.5 → on track
    assert nf["status"] == "on_track"
    assert _row(status, "ind-waste-sorting-urban")["status"] == "achieved"
    assert _row(status, "ind-waste-sorting-rural")["status"] == "insufficient_data"
    assert _row(status, "ind-green-factories-new")["status"] == "no_data"


def test_later_targets_and_missed_targets(project):
    add_records(
        project,
        [
            {"target_id": "ind-non-fossil-share", "date": "2025-12-31", "value": 21.0},
            {"target_id": "ind-strategic-emerging-share", "date": "2025-12-31", "value": 28.0},
        ],
        user=EDITOR,
    )
    status = indicator_status(project, today=dt.date(2026, 3, 1))
    nf = _row(status, "ind-non-fossil-share")
    assert (nf["target_value"], nf["target_year"]) == (21.4, 2025)
    assert nf["status"] == "missed"
    add_records(project, [{"target_id": "ind-non-fossil-share", "date": "2026-02-01", "value": 22.0}], user=EDITOR)
    nf = _row(indicator_status(project, today=dt.date(2026, 3, 1)), "ind-non-fossil-share")
    assert (nf["target_value"], nf["target_year"]) == (25.0, 2030)  # the next target
    assert nf["status"] == "on_track"  # 21.0 → 22.0 in a month is ahead of the 25 % path


def test_base_status_and_county_summary(project):
    add_records(
        project,
        [
            {"target_id": "base-xiangzhou-newenergy", "date": "2024-12-31", "value": 200.0},
            {"target_id": "base-xiangzhou-newenergy", "date": "2025-06-30", "value": 0.8, "unit": "GW"},
            {"target_id": "base-zedong-pg", "date": "2025-06-30", "value": 600000.0},
        ],
        user=EDITOR,
    )
    bases = base_status(project, today=TODAY)
    xz = _row(bases, "base-xiangzhou-newenergy")
    assert xz["latest_value"] == pytest.approx(800.0) and xz["progress_pct"] == pytest.approx(80.0)
    assert xz["status"] == "on_track"  # 200 MW (end 2024) → 1000 MW (end 2025): 600 due mid-2025
    assert _row(bases, "base-zedong-pg")["status"] == "achieved"  # delayed in the layer, but done
    assert _row(bases, "base-gucheng-rooftop-pv")["status"] == "no_target"
    assert bases.crs is not None and bases.geometry.notna().all()
    counties = county_summary(project, today=TODAY).set_index("county")
    assert counties.loc["420625", "rooftop_pv_pilot"]
    assert not counties.loc["420607", "rooftop_pv_pilot"]
    assert counties.loc["420607", "n_on_track"] == 1
    assert counties["n_bases"].sum() == 3


def test_delayed_base_without_progress_is_behind(project):
    add_records(
        project,
        [
            {"target_id": "base-zedong-pg", "date": "2024-06-30", "value": 100000.0},
            {"target_id": "base-zedong-pg", "date": "2025-03-31", "value": 400000.0},
        ],
        user=EDITOR,
    )
    assert _row(base_status(project, today=TODAY), "base-zedong-pg")["status"] == "behind"


def test_status_table_is_bilingual(project):
    zh = status_table(project, today=TODAY, lang="zh")
    en = status_table(project, today=TODAY, lang="en")
    assert len(zh) == len(en) == len(INDICATORS) + 3
    assert "非化石能源消费比重" in zh["name"].tolist()
    assert "Non-fossil share of energy use" in en["name"].tolist()
    assert set(zh["status"]) <= {"暂无数据", "无量化目标"} and "no data" in set(en["status"])


def test_base_with_a_target_but_no_year_is_in_progress(tmp_path):
    project = make_project(tmp_path / "p2")
    bases = project.read("bases")
    bases.loc[bases["id"] == "base-xiangzhou-newenergy", "target_year"] = None
    project.write("bases", bases)
    add_records(
        project,
        [
            {"target_id": "base-xiangzhou-newenergy", "date": "2024-12-31", "value": 200.0},
            {"target_id": "base-xiangzhou-newenergy", "date": "2025-06-30", "value": 300.0},
        ],
        user=EDITOR,
    )
    row = _row(base_status(project, today=TODAY), "base-xiangzhou-newenergy")
    assert row["status"] == "no_deadline" and row["progress_pct"] == pytest.approx(30.0)
    add_records(
        project, [{"target_id": "base-xiangzhou-newenergy", "date": "2025-07-01", "value": 1000.0}], user=EDITOR
    )
    assert _row(base_status(project, today=TODAY), "base-xiangzhou-newenergy")["status"] == "achieved"


def test_registry_of_the_default_projects_plan_bases(tmp_path):
    default = pytest.importorskip("layers.default._bases")
    from layers.project import Project
    from siting.progress import UserStore, target_units

    project = Project.create(tmp_path / "default-bases")
    project.write("bases", default.build_bases_utm().to_crs("EPSG:4326"))
    UserStore.for_project(project).set_user(EDITOR, "editor-pw-1", "editor")
    units = target_units(project)
    bases = project.read("bases")
    assert (bases["source"] == "plan").all()
    assert set(bases["id"]) <= set(units) and all(i.startswith("base-") for i in bases["id"])
    assert {ind.id for ind in INDICATORS} <= set(units)
    gw = bases[bases["name"].str.contains("百万千瓦级")]
    assert set(gw["county"]) == {"420607", "420683", "420684"}  # 襄州, 枣阳, 宜城
    add_records(
        project, [{"target_id": gw["id"].iloc[0], "date": "2025-06-30", "value": 0.25, "unit": "GW"}], user=EDITOR
    )
    status = base_status(project, today=TODAY).set_index("id")
    assert status.loc[gw["id"].iloc[0], "progress_pct"] == pytest.approx(25.0)
    # numbers the plan does not give stay empty
    assert status["target_value"].isna().sum() == (bases["target_value"].isna()).sum() > 0
    pilots = county_summary(project, today=TODAY).set_index("county")["rooftop_pv_pilot"]
    assert set(pilots[pilots].index) == {"420602", "420625"}  # 襄城, 谷城
