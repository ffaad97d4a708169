"""The rooftop-PV tab in a real browser (headless Debian Chromium driven by Playwright):
one language at a time, numbers formatted by kind, the server-side pager.

A small synthetic project (tests/_dashboard_project.py) is served by ``python -m
dashboard.cli serve DIR --port PORT``.  Under ``CI=true`` these tests never skip.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from _dashboard_project import build_project
from conftest import VISIBLE_TEXT_JS, free_port, language_violations, require_chromium, running_server, server_env

pytestmark = pytest.mark.browser
require_chromium()  # skips the module outside CI when Chromium is missing

#: The visible texts (see conftest.VISIBLE_TEXT_JS) below one element: the PV tab.
TAB_TEXT_JS = VISIBLE_TEXT_JS.replace("() =>", "(root) =>", 1).replace(
    "walk(document);", "if (root.shadowRoot) walk(root.shadowRoot); walk(root);"
)
INTEGER = re.compile(r"\d{1,3}(,\d{3})*")


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dash_solar") / "project"
    build_project(path, n_rooftops=500)
    return path


@pytest.fixture(scope="module")
def server(project_dir, tmp_path_factory):
    port = free_port()
    env = server_env(tmp_path_factory.mktemp("home"))
    log = tmp_path_factory.mktemp("log") / "serve.log"
    url = f"http://127.0.0.1:{port}/"
    with running_server([str(project_dir), "--port", str(port)], env=env, log=log, ready_url=url, timeout_s=240):
        yield url


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server)
    page.wait_for_selector(".xy-solar-table .tabulator-row", timeout=120_000)
    page.errors = errors
    yield page
    context.close()


def _tab_texts(page) -> list[str]:
    return page.locator(".xy-solar-tab").first.evaluate(TAB_TEXT_JS)


def _cells(page, field: str) -> list[str]:
    return page.locator(f".xy-solar-table .tabulator-cell[tabulator-field='{field}']").all_inner_texts()


def _proper_names(project_dir: Path) -> tuple[str, ...]:
    """Rooftop and park names of the project: proper names, shown as they are in both languages."""
    from layers.project import Project

    project = Project.open(project_dir)
    names = {*project.read("rooftops")["name"].astype(str), *project.read("industrial_parks")["name"].astype(str)}
    return tuple(sorted(names, key=len, reverse=True))  # longest first: "屋顶12" before "屋顶1"


def _wait(predicate, timeout_s: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_pv_tab_shows_one_language_at_a_time(page, project_dir):
    # details open too: select the first row
    page.locator(".xy-solar-table .tabulator-row").first.locator(".tabulator-cell").nth(3).click()
    page.wait_for_timeout(1000)
    texts = _tab_texts(page)
    assert "装机 kWp" in texts and "年发电量 MWh/年" in texts, texts
    assert language_violations(texts, "zh") == []

    def details() -> list[str]:
        return page.locator(".xy-details").first.evaluate(TAB_TEXT_JS)

    _wait(lambda: "装机 kWp" in details(), timeout_s=30, what="the details of the selected rooftop")
    assert language_violations(details(), "zh") == []

    page.locator(".xy-language button", has_text="English").click()
    _wait(lambda: "Capacity kWp" in _tab_texts(page), what="English headers")
    page.wait_for_timeout(500)
    texts = _tab_texts(page)
    assert "Generation MWh/yr" in texts and "County" in texts
    assert language_violations(texts, "en", proper_names=_proper_names(project_dir)) == []
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
    _wait(lambda: _cells(page, "rank")[:1] == ["13"], what="page 2")
    assert len(page.locator(".xy-solar-table .tabulator-row").all()) <= 12
    assert page.errors == []
