"""``xysiting serve DIR --users FILE`` in a real browser: sign-in through /login.

A small synthetic project (tests/_dashboard_project.py) is served by ``python -m
dashboard.cli serve DIR --users FILE --lang en`` in a subprocess.  An anonymous visitor
reads the Progress tab without a form; an editor signs in at ``/login``, adds a record
through the form, and the record is in the project (``siting.progress.read_records``).
Headless Debian Chromium via Playwright, with the launch arguments and page helper of
tests/test_browser_dashboard.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dashboard_project import build_project
from _progress_helpers import EDITOR, EDITOR_PW
from test_browser_dashboard import CHROMIUM, LAUNCH_ARGS, Page, _free_port, running_server

from layers.project import Project
from siting.progress import UserStore, read_records

pytestmark = pytest.mark.browser


from playwright.sync_api import sync_playwright  # noqa: E402

TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(project dir, base URL) of ``xysiting serve DIR --users FILE`` with one editor."""
    root = tmp_path_factory.mktemp("signin")
    project_dir = root / "project"
    build_project(project_dir, n_rooftops=40)
    users = root / "team-users.json"  # outside DIR: only found through --users
    UserStore(users).set_user(EDITOR, EDITOR_PW, "editor")
    port = _free_port()
    env = {**os.environ, "XYSITING_HOME": str(root / "home"), "PYTHONUNBUFFERED": "1"}
    for var in ("XYSITING_TILES", "XYSITING_USERS", "XYSITING_COOKIE_SECRET"):
        env.pop(var, None)
    log = root / "serve.log"
    base = f"http://127.0.0.1:{port}"
    with running_server(
        [str(project_dir), "--port", str(port), "--users", str(users), "--lang", "en"],
        env=env,
        log=log,
        ready_url=base + "/login",
        timeout_s=90,
    ):
        yield project_dir, base


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield b
        b.close()


def _open_progress(page) -> None:
    page.locator(".bk-tab", has_text="Progress").click()
    page.wait_for_selector(".xy-progress-cards", timeout=TIMEOUT_MS)


def test_anonymous_visitor_reads_without_a_form(served, browser):
    _, base = served
    dash = Page(browser, base + "/")  # guests allowed: the dashboard opens without sign-in
    try:
        _open_progress(dash.page)
        assert dash.page.locator(".xy-progress-submit").count() == 0
        assert dash.page.locator(".xy-progress-login").count() == 1
    finally:
        dash.context.close()


def test_editor_signs_in_and_adds_a_record(served, browser):
    project_dir, base = served
    assert len(read_records(Project.open(project_dir))) == 0
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{base}/login?next=/")
        page.fill("input[name=username]", EDITOR)
        page.fill("input[name=password]", EDITOR_PW)
        page.click("button[type=submit]")
        page.wait_for_selector(".xy-map canvas")
        _open_progress(page)
        page.wait_for_selector(".xy-progress-submit")
        page.locator(".xy-progress-target select").select_option(
            label="Phosphogypsum comprehensive utilisation rate [%]"
        )
        for cls, value in (("date", "2025-06-30"), ("value", "52.5"), ("note", "serve-signin")):
            page.locator(f".xy-progress-{cls} input").fill(value)
            page.locator(f".xy-progress-{cls} input").press("Enter")
        page.locator(".xy-progress-submit button").click()
        page.wait_for_selector(".xy-progress-message:has-text('Saved')")
    finally:
        context.close()
    records = read_records(Project.open(project_dir))
    assert len(records) == 1
    row = records.iloc[0]
    assert (row["target_id"], row["value"], row["author"], row["note"]) == (
        "ind-phosphogypsum-utilisation",
        52.5,
        EDITOR,
        "serve-signin",
    )
