"""The dashboard in a real browser: headless Debian Chromium driven by Playwright.

The shared synthetic dashboard project (tests/_dashboard_project.py) is served once per test
session by ``python -m dashboard.cli serve DIR --port PORT`` (conftest ``dashboard_server``);
each test opens a fresh page (conftest ``dash``).  Under ``CI=true`` these tests never skip:
a missing Chromium is a failure.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from _dashboard_project import XSS_NAME
from conftest import CHROMIUM, LAUNCH_ARGS, DashboardPage, free_port, require_chromium, running_server

pytestmark = pytest.mark.browser
require_chromium()  # skips the module outside CI when Chromium is missing

# the names other browser test modules import from here (``from test_browser_dashboard import
# Page, project_dir, server``): the page helper and the shared session's project and server
Page = DashboardPage
_free_port = free_port
__all__ = ["CHROMIUM", "LAUNCH_ARGS", "Page", "_free_port", "project_dir", "running_server", "server"]


@pytest.fixture(scope="module")
def project_dir(dashboard_project_dir) -> Path:
    """The shared dashboard project (conftest ``dashboard_project_dir``)."""
    return dashboard_project_dir


@pytest.fixture(scope="module")
def server(dashboard_server) -> str:
    """The shared dashboard server's URL (conftest ``dashboard_server``)."""
    return dashboard_server


def _expected_solar(project_dir: Path) -> pd.DataFrame:
    from layers.project import Project
    from siting.solar import rooftop_potential

    return pd.DataFrame(rooftop_potential(Project.open(project_dir).read("rooftops")))


def test_page_loads_map_renders_offline_without_errors(dash):
    page = dash.page
    assert "襄阳选址图集" in dash.text(".xy-header-text")
    tabs = page.locator(".bk-tab").all_inner_texts()
    assert tabs[:4] == ["屋顶光伏", "固废", "风电", "规划进展"]
    pixels = dash.map_png()
    colours = np.unique(pixels.reshape(-1, 3), axis=0)
    assert len(colours) > 20, "the map looks blank"
    page.wait_for_timeout(1500)
    assert dash.errors == []
    assert dash.external_requests() == [], "no tiles (or anything else) off this machine"


def test_toggling_a_layer_changes_the_map(dash):
    page = dash.page
    page.wait_for_timeout(1000)
    before = dash.map_png()
    page.locator(".xy-layer-toggles label", has_text="屋顶").locator("input").uncheck()
    page.locator(".xy-layer-toggles label", has_text="县区边界").locator("input").uncheck()
    deadline = time.monotonic() + 30
    changed = 0.0
    while time.monotonic() < deadline:
        page.wait_for_timeout(500)
        after = dash.map_png()
        if after.shape == before.shape:
            changed = float(np.mean(np.any(after != before, axis=2)))
            if changed > 0.005:
                break
    assert changed > 0.005, "hiding rooftops and counties left the map unchanged"
    # zoom to one county: the view changes again
    before = dash.map_png()
    page.locator(".xy-zoom-county select").select_option(label="襄州区")
    deadline = time.monotonic() + 30
    changed = 0.0
    while time.monotonic() < deadline and changed <= 0.005:
        page.wait_for_timeout(500)
        after = dash.map_png()
        if after.shape == before.shape:
            changed = float(np.mean(np.any(after != before, axis=2)))
    assert changed > 0.005, "zooming to a county left the map unchanged"
    assert dash.errors == []


def test_filter_changes_rows_and_download_matches(dash, project_dir):
    page = dash.page
    expected = _expected_solar(project_dir)
    n_all = dash.rows()
    assert n_all == int(expected["suitable"].sum())
    page.locator(".xy-solar-county select").select_option(label="襄城区")
    n_county = dash.wait_rows_change(n_all)
    in_county = expected[expected["suitable"] & (expected["county"] == "420602")]
    assert n_county == len(in_county)
    # the table shows one page of them, not all
    page.wait_for_timeout(500)
    shown = page.locator(".xy-solar-table .tabulator-row").count()
    assert 0 < shown <= 12
    min_kwp = float(np.median(in_county["kwp"]))
    box = page.locator(".xy-solar-min-kwp input")
    box.fill(f"{min_kwp:.3f}")
    box.press("Enter")
    n_kwp = dash.wait_rows_change(n_county)
    want = in_county[in_county["kwp"] >= round(min_kwp, 3)]
    assert n_kwp == len(want)

    # Chinese mode: the shortlist downloads with Chinese headers and units, county names, and
    # exactly the filtered rows (issue 13 item 5); the CSV comes zipped with its assumptions
    with page.expect_download(timeout=60_000) as info:
        page.locator(".xy-download-xlsx button").click()
    download = info.value
    name = download.suggested_filename
    assert name.endswith(".xlsx") and "/" not in name and name.startswith("襄阳屋顶光伏候选_襄城区")
    data = Path(download.path()).read_bytes()  # Playwright keeps it under a name without suffix
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["屋顶光伏候选", "假设"]
    got = pd.read_excel(io.BytesIO(data), sheet_name="屋顶光伏候选", engine="openpyxl", dtype={"编号": str})
    assert {"装机容量 (kWp)", "年发电量 (kWh/年)", "县区", "用途"} <= set(got.columns)
    assert len(got) == n_kwp
    assert set(got["县区"]) == {"襄城区"}
    assert (got["装机容量 (kWp)"] >= round(min_kwp, 1) - 0.05).all()
    assert set(got["编号"]) == set(want["id"].astype(str))
    assumptions = pd.read_excel(io.BytesIO(data), sheet_name="假设", engine="openpyxl")
    keys = set(assumptions["参数名"])
    assert {"capex_cny_per_w", "retail_tariff_cny_per_kwh", "export_tariff_cny_per_kwh"} <= keys
    assert {"self_consumption_share", "grid_factor_kg_per_kwh", "weather", "weather_source"} <= keys

    with page.expect_download(timeout=60_000) as info:
        page.locator(".xy-download-csv button").click()
    name = info.value.suggested_filename
    assert name.endswith(".csv.zip") and "襄城区" in name
    with zipfile.ZipFile(info.value.path()) as zf:
        members = zf.namelist()
        table = pd.read_csv(io.BytesIO(zf.read(members[0])), encoding="utf-8-sig", dtype={"编号": str})
    assert len(members) == 2 and members[1].endswith("_假设.csv")
    assert len(table) == n_kwp and set(table["县区"]) == {"襄城区"}

    with page.expect_download(timeout=60_000) as info:
        page.locator(".xy-download-geojson button").click()
    geo = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert len(geo["features"]) == n_kwp
    assert {f["geometry"]["type"] for f in geo["features"]} <= {"Polygon", "MultiPolygon"}
    assert "capex_cny_per_w" in geo["xysiting:assumptions"]
    assert dash.errors == []


def test_language_switch_changes_labels(dash):
    page = dash.page
    page.locator(".xy-language button", has_text="English").click()
    dash.wait_text(".xy-header-text", "Xiangyang siting atlas")
    dash.wait_text(".bk-tab", "Rooftop PV")
    assert page.locator(".bk-tab").all_inner_texts()[:4] == ["Rooftop PV", "Waste", "Wind", "Progress"]
    labels = page.locator(".xy-layer-toggles label").all_inner_texts()
    assert "Rooftops" in labels and "County boundaries" in labels
    assert "County" in dash.text(".xy-solar-county")
    page.locator(".xy-language button", has_text="中文").click()
    dash.wait_text(".xy-header-text", "襄阳选址图集")
    dash.wait_text(".bk-tab", "屋顶光伏")
    assert "县区" in dash.text(".xy-solar-county")
    assert dash.errors == []


def test_html_in_attributes_is_shown_as_text(dash):
    page = dash.page
    first = page.locator(".xy-solar-table .tabulator-row").first
    assert XSS_NAME in first.inner_text()
    first.locator(".tabulator-cell").nth(2).click()  # select the row: details box + highlight
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and XSS_NAME not in dash.text(".xy-details"):
        page.wait_for_timeout(300)
    assert XSS_NAME in dash.text(".xy-details")
    assert page.locator("img[src='x']").count() == 0
    page.wait_for_timeout(1000)
    assert dash.dialogs == []
    assert dash.errors == []
