"""The dashboard side of issue 12 items 4 and 6: PV assumptions in its exports; one utilisation figure."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dashboard_project import build_project


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from dashboard.app import create_app, store_missing_results

    project = build_project(tmp_path_factory.mktemp("pv_econ") / "project", n_rooftops=200)
    store_missing_results(project)  # as `xysiting serve` does before the first page
    app = create_app(project.path).app
    app.load()
    return app


def test_solar_xlsx_download_carries_the_pv_assumptions_and_lcoe(app):
    from siting.solar import PVAssumptions

    solar = app.tabs_components["solar"]
    params = solar.assumptions()
    a = PVAssumptions()
    for name in ("capex_cny_per_w", "opex_cny_per_w_year", "discount_rate", "lifetime_years", "degradation_per_year"):
        assert params[name] == getattr(a, name)
    assert params["benchmark_cny_per_kwh"] == 0.4161 and "CRF" in params["lcoe_formula"]
    assert params["weather_source"] == "synthetic"
    data = solar.downloads.buttons["xlsx"].callback()  # Chinese mode: sheets and headers in Chinese
    sheets = pd.read_excel(io.BytesIO(data.getvalue()), sheet_name=None, engine="openpyxl")
    values = dict(zip(sheets["假设"]["参数名"], sheets["假设"]["取值"], strict=True))
    assert values["capex_cny_per_w"] == a.capex_cny_per_w and values["lifetime_years"] == 25
    table = sheets["屋顶光伏候选"]
    assert "平准化度电成本 (元/kWh)" in table.columns and (table["平准化度电成本 (元/kWh)"].dropna() > 0).all()


def test_waste_and_progress_tabs_show_the_same_phosphogypsum_utilisation(app):
    waste = app.tabs_components["waste"]
    progress = app.tabs_components["progress"].component  # built by load() with the waste flows
    assert waste.wait(600)
    assert waste.routing is not None and waste.routing.waste_kind == "phosphogypsum"
    share = waste.routing.totals["utilisation_share"]
    shown = f"{100.0 * share:.1f}"
    assert f"{shown} %" in waste.totals.object
    link = progress._pg_link()
    assert link.available, link.message
    assert link.values["utilisation_pct"] == pytest.approx(100.0 * share, rel=1e-12)
    assert f"{shown}%" in progress._links_html()
