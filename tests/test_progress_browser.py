"""Progress tab in a real browser (issue 7): sign in as an editor and add a record; a viewer
is refused by the server even when the form is shown.  Headless Chromium via Playwright."""

from __future__ import annotations

from pathlib import Path

import pytest
from _progress_helpers import EDITOR, EDITOR_PW, VIEWER, VIEWER_PW, make_project, state
from conftest import (
    BROWSER_RECORD,
    assert_browser_record_stored,
    free_port,
    require_chromium,
    running_server,
    server_env,
    sign_in,
    submit_progress_form,
)

from siting.progress import ensure_store, read_records

pytestmark = pytest.mark.browser
require_chromium()  # skips the module outside CI when Chromium is missing
SERVER = Path(__file__).with_name("_progress_server.py")


@pytest.fixture
def served(tmp_path):
    project = make_project(tmp_path / "proj")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running_server(
        [str(project.path), str(port)],
        env=server_env(tmp_path / "home"),
        log=tmp_path / "server.log",
        ready_url=base + "/login",
        timeout_s=90,
        command=(str(SERVER),),
    ):
        yield project, base


TIMEOUT_MS = 120_000  # generous: the test machine is shared and often loaded


def _new_page(browser):
    page = browser.new_context().new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def test_editor_adds_a_record_and_viewer_is_refused(served, browser):
    project, base = served
    pages = []  # every page's context is closed at the end (the browser is the session's)

    def _page(browser):
        pages.append(_new_page(browser))
        return pages[-1]

    try:
        # a guest reads, without a form
        page = _page(browser)
        page.goto(base + "/")
        page.wait_for_selector(".xy-progress-cards")
        assert page.locator(".xy-progress-submit").count() == 0
        assert page.locator(".xy-progress-login").count() == 1

        # an editor signs in and adds a record through the form
        editor = _page(browser)
        sign_in(editor, base, EDITOR, EDITOR_PW, ready=".xy-progress-cards")
        editor.wait_for_selector(".xy-progress-submit")
        submit_progress_form(editor, **BROWSER_RECORD, note="browser")
        editor.wait_for_selector(".xy-progress-message:has-text('Saved')")
        assert_browser_record_stored(project, author=EDITOR, note="browser")

        # a viewer signs in: no form; with the form forced on, the server refuses
        before = state(project)
        viewer = _page(browser)
        sign_in(viewer, base, VIEWER, VIEWER_PW, ready=".xy-progress-cards")
        assert viewer.locator(".xy-progress-submit").count() == 0
        viewer.goto(base + "/forced")
        viewer.wait_for_selector(".xy-progress-submit")
        submit_progress_form(viewer, value="99")
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
        for page in pages:
            page.context.close()


def test_a_percentage_above_100_is_refused_beside_the_form(served, browser):
    project, base = served
    editor = _new_page(browser)
    try:
        sign_in(editor, base, EDITOR, EDITOR_PW, ready=".xy-progress-cards")
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
        editor.context.close()
