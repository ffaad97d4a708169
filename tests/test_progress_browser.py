"""Progress tab in a real browser (issue 7): sign in as an editor and add a record; a viewer
is refused by the server even when the form is shown.  Headless Chromium via Playwright."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _progress_helpers import EDITOR, EDITOR_PW, VIEWER, VIEWER_PW, make_project, state

from siting.progress import ensure_store, read_records

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SERVER = Path(__file__).with_name("_progress_server.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium not installed (apt-get install chromium)")
    project = make_project(tmp_path / "proj")
    port = _free_port()
    log = open(tmp_path / "server.log", "w")  # closed below
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), str(project.path), str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).parent,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.3)
    else:
        proc.kill()
    if proc.poll() is not None:
        log.close()
        pytest.fail("progress server did not start:\n" + (tmp_path / "server.log").read_text())
    yield project, f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


TIMEOUT_MS = 120_000  # generous: the test machine is shared and often loaded


def _page(browser):
    page = browser.new_context().new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def _login(page, base: str, user: str, password: str, next_path: str = "/") -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector(".xy-progress-cards")


def test_editor_adds_a_record_and_viewer_is_refused(served):
    project, base = served
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            # a guest reads, without a form
            page = browser.new_page()
            page.goto(base + "/")
            page.wait_for_selector(".xy-progress-cards")
            assert page.locator(".xy-progress-submit").count() == 0
            assert page.locator(".xy-progress-login").count() == 1

            # an editor signs in and adds a record through the form
            editor = _page(browser)
            _login(editor, base, EDITOR, EDITOR_PW)
            editor.wait_for_selector(".xy-progress-submit")
            editor.locator(".xy-progress-target select").select_option(
                label="Phosphogypsum comprehensive utilisation rate [%]"
            )
            editor.locator(".xy-progress-date input").fill("2025-06-30")
            editor.locator(".xy-progress-date input").press("Enter")
            editor.locator(".xy-progress-value input").fill("52.5")
            editor.locator(".xy-progress-value input").press("Enter")
            editor.locator(".xy-progress-note input").fill("browser")
            editor.locator(".xy-progress-note input").press("Enter")
            editor.locator(".xy-progress-submit button").click()
            editor.wait_for_selector(".xy-progress-message:has-text('Saved')")
            records = read_records(project)
            assert len(records) == 1
            row = records.iloc[0]
            assert (row["target_id"], row["value"], row["author"], row["note"]) == (
                "ind-phosphogypsum-utilisation",
                52.5,
                EDITOR,
                "browser",
            )

            # a viewer signs in: no form; with the form forced on, the server refuses
            before = state(project)
            viewer = _page(browser)
            _login(viewer, base, VIEWER, VIEWER_PW)
            assert viewer.locator(".xy-progress-submit").count() == 0
            viewer.goto(base + "/forced")
            viewer.wait_for_selector(".xy-progress-submit")
            viewer.locator(".xy-progress-value input").fill("99")
            viewer.locator(".xy-progress-value input").press("Enter")
            viewer.locator(".xy-progress-submit button").click()
            viewer.wait_for_selector(".xy-progress-message:has-text('Not allowed')")
            assert state(project) == before
            assert len(read_records(project)) == 1

            # a wrong password does not sign in
            stranger = _page(browser)
            stranger.goto(f"{base}/login")
            stranger.fill("input[name=username]", EDITOR)
            stranger.fill("input[name=password]", "wrong")
            stranger.click("button[type=submit]")
            stranger.wait_for_selector(".xy-error:has-text('Wrong user name or password')")
        finally:
            browser.close()


def test_a_percentage_above_100_is_refused_beside_the_form(served):
    project, base = served
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            editor = _page(browser)
            _login(editor, base, EDITOR, EDITOR_PW)
            editor.wait_for_selector(".xy-progress-submit")
            ensure_store(project)  # the (empty) store exists, as after any first write
            before = state(project)
            editor.locator(".xy-progress-target select").select_option(label="Non-fossil share of energy use [%]")
            editor.locator(".xy-progress-date input").fill("2024-12-31")
            editor.locator(".xy-progress-date input").press("Enter")
            editor.locator(".xy-progress-value input").fill("650")
            editor.locator(".xy-progress-value input").press("Enter")
            editor.locator(".xy-progress-submit button").click()
            # the message beside the form names the value and the allowed range
            editor.wait_for_selector(".xy-progress-message:has-text('0–100'):has-text('650 %')")
            assert state(project) == before and read_records(project).empty
        finally:
            browser.close()
