"""The rooftop-PV tab in a real browser (headless Debian Chromium driven by Playwright):
one language at a time, numbers formatted by kind, the server-side pager.

The session's shared synthetic dashboard project is served once (conftest
``dashboard_server``); each test opens its own page.  Under ``CI=true`` these tests never skip.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import SCOPED_TEXT_JS, DashboardPage, download_buttons, language_violations, require_chromium, wait_until

from dashboard.i18n import t

pytestmark = pytest.mark.browser
require_chromium()  # skips the module outside CI when Chromium is missing

INTEGER = re.compile(r"\d{1,3}(,\d{3})*")


@pytest.fixture
def project_dir(dashboard_project_dir) -> Path:
    return dashboard_project_dir


@pytest.fixture
def page(browser, dashboard_server):
    """The PV tab with its table filled, 1440 px wide; ``page.errors`` holds the page's errors."""
    dash = DashboardPage(browser, dashboard_server, viewport=(1440, 1000), ready=(".xy-solar-table .tabulator-row",))
    dash.page.errors = dash.errors
    yield dash.page
    dash.close()


def _tab_texts(page) -> list[str]:
    return page.locator(".xy-solar-tab").first.evaluate(SCOPED_TEXT_JS)


def _cells(page, field: str) -> list[str]:
    return page.locator(f".xy-solar-table .tabulator-cell[tabulator-field='{field}']").all_inner_texts()


def _assert_downloads_fit(page, lang: str) -> None:
    """The PV tab's three download buttons are labelled in ``lang`` and no label is clipped."""
    buttons = download_buttons(page, ".xy-solar-tab")
    assert [label for label, _, _ in buttons] == [
        t(m, lang) for m in ("download_csv_zip", "download_xlsx", "download_geojson")
    ]
    assert [b for b in buttons if b[1] > b[2]] == [], buttons


def _proper_names(project_dir: Path) -> tuple[str, ...]:
    """Rooftop and park names of the project: proper names, shown as they are in both languages."""
    from layers.project import Project

    project = Project.open(project_dir)
    names = {*project.read("rooftops")["name"].astype(str), *project.read("industrial_parks")["name"].astype(str)}
    return tuple(sorted(names, key=len, reverse=True))  # longest first: "屋顶12" before "屋顶1"


def test_pv_tab_shows_one_language_at_a_time(page, project_dir):
    # details open too: select the first row
    page.locator(".xy-solar-table .tabulator-row").first.locator(".tabulator-cell").nth(3).click()
    page.wait_for_timeout(1000)
    texts = _tab_texts(page)
    assert "装机 kWp" in texts and "年发电量 MWh/年" in texts, texts
    assert language_violations(texts, "zh") == []
    _assert_downloads_fit(page, "zh")

    def details() -> list[str]:
        return page.locator(".xy-details").first.evaluate(SCOPED_TEXT_JS)

    wait_until(lambda: "装机 kWp" in details(), "the details of the selected rooftop", 30)
    assert language_violations(details(), "zh") == []

    page.locator(".xy-language button", has_text="English").click()
    wait_until(lambda: "Capacity kWp" in _tab_texts(page), "English headers")
    page.wait_for_timeout(500)
    texts = _tab_texts(page)
    assert "Generation MWh/yr" in texts and "County" in texts
    assert language_violations(texts, "en", proper_names=_proper_names(project_dir)) == []
    _assert_downloads_fit(page, "en")
    # county names have an English form: the county column and the county select use it
    counties = set(_cells(page, "county"))
    assert counties and counties <= {"Xiangcheng", "Fancheng", "Xiangzhou"}
    options = page.locator(".xy-solar-county select option").all_inner_texts()
    assert "Xiangcheng" in options and not any(re.search(r"[\u4e00-\u9fff]", o) for o in options)
    assert page.errors == []


def test_integer_columns_show_no_decimals_and_the_pager_turns_pages(page):
    for field in ("rank", "area_m2", "usable_m2", "kwh_per_kwp", "county_rank"):
        cells = _cells(page, field)
        assert cells and all(INTEGER.fullmatch(c) for c in cells), (field, cells)
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*\.\d", c) for c in _cells(page, "kwp"))
    assert all(re.fullmatch(r"\d\.\d{3}|–", c) for c in _cells(page, "lcoe_cny_per_kwh"))
    totals = page.locator(".xy-solar-totals .xy-total-value").all_inner_texts()
    assert INTEGER.fullmatch(totals[0]) and totals[-1].endswith("%")
    # one page in the browser; the next page comes from the server
    assert _cells(page, "rank")[0] == "1" and len(_cells(page, "rank")) == 12
    page.locator(".xy-solar-next button").click()
    wait_until(lambda: _cells(page, "rank")[:1] == ["13"], "page 2")
    assert len(page.locator(".xy-solar-table .tabulator-row").all()) <= 12
    assert page.errors == []
