"""``xysiting serve DIR --users FILE`` in a real browser: sign-in through /login.

A small synthetic project (tests/_dashboard_project.py) is served by ``python -m
dashboard.cli serve DIR --users FILE --lang en`` in a subprocess.  An anonymous visitor
reads the Progress tab without a form; an editor signs in at ``/login``, adds a record
through the form, and the record is in the project (``siting.progress.read_records``).
Headless Debian Chromium via Playwright, with the launch arguments and page helper of
tests/test_browser_dashboard.py.
"""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from _dashboard_project import build_project
from _progress_helpers import EDITOR, EDITOR_PW
from conftest import (
    BROWSER_RECORD,
    assert_browser_record_stored,
    free_port,
    language_violations,
    require_chromium,
    running_server,
    server_env,
    sign_in,
    submit_progress_form,
    visible_texts,
)
from test_browser_dashboard import Page
from test_serve_security import _login, _page_token, _ws_open

from dashboard.auth import COOKIE_NAME
from layers.project import Project
from siting.progress import UserStore, read_records

pytestmark = pytest.mark.browser
require_chromium()  # skips the module outside CI when Chromium is missing

TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(project dir, base URL) of ``xysiting serve DIR --users FILE`` with one editor."""
    root = tmp_path_factory.mktemp("signin")
    project_dir = root / "project"
    build_project(project_dir, n_rooftops=40)
    users = root / "team-users.json"  # outside DIR: only found through --users
    UserStore(users).set_user(EDITOR, EDITOR_PW, "editor")
    port = free_port()
    env = server_env(root / "home", drop=("XYSITING_TILES", "XYSITING_USERS", "XYSITING_COOKIE_SECRET"))
    log = root / "serve.log"
    base = f"http://127.0.0.1:{port}"
    with running_server(
        [str(project_dir), "--port", str(port), "--users", str(users), "--lang", "en"],
        env=env,
        log=log,
        ready_url=base + "/login",
        timeout_s=240,  # the first start computes the stored results; slow on a loaded machine
    ):
        yield project_dir, base


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
        sign_in(page, base, EDITOR, EDITOR_PW)
        _open_progress(page)
        page.wait_for_selector(".xy-progress-submit")
        submit_progress_form(page, **BROWSER_RECORD, note="serve-signin")
        page.wait_for_selector(".xy-progress-message:has-text('Saved')")
        # issue 13, item 9: the feedback sits inside the form that caused it and names the
        # indicator by its English label, not its id
        message = page.locator(".xy-progress-form .xy-progress-message")
        assert message.count() == 1
        text = " ".join(page.locator(".xy-progress-form .xy-progress-message div").all_inner_texts())
        assert "Phosphogypsum comprehensive utilisation rate" in text and "52.5 %" in text
        assert "ind-phosphogypsum-utilisation" not in text
        form_box = page.locator(".xy-progress-form").bounding_box()
        box = message.bounding_box()
        assert form_box["y"] <= box["y"] and box["y"] + box["height"] <= form_box["y"] + form_box["height"] + 1
        assert box["y"] > page.locator(".xy-progress-submit").bounding_box()["y"]  # under the button
    finally:
        context.close()
    assert_browser_record_stored(Project.open(project_dir), author=EDITOR, note="serve-signin")


def test_login_page_is_in_the_project_style_and_language_without_broken_images(served, browser):
    _, base = served
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        failed = []
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(f"{base}/login?lang=zh&next=/")
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        body = page.inner_text("body")
        assert "用户名" in body and "密码" in body and "襄阳选址图集" in body
        assert page.locator("button[type=submit]").inner_text() == "登录"
        broken = page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0).length")
        assert broken == 0 and failed == []
        page.click("a.xy-lang")  # the language switch keeps the form
        assert page.evaluate("document.documentElement.lang") == "en"
        assert page.locator("button[type=submit]").inner_text() == "Sign in"
    finally:
        context.close()


def test_login_page_follows_accept_language_and_every_resource_loads(served, browser):
    """Issue 13, item 7: a Chinese browser gets the Chinese page with no ``?lang`` (the server's
    default here is English); the header has the dashboard's colours; every <img> and <link>
    of the page loads; ``?lang=`` still wins over the header."""
    _, base = served
    for locale, query, want in (("zh-CN", "", "zh-CN"), ("en-US", "", "en"), ("zh-CN", "lang=en&", "en")):
        context = browser.new_context(locale=locale)
        try:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            bad = []
            page.on("requestfailed", lambda r, bad=bad: bad.append(r.url))
            page.on("response", lambda r, bad=bad: bad.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            page.goto(f"{base}/login?{query}next=/")
            assert page.evaluate("document.documentElement.lang") == want
            texts = visible_texts(page)
            # the switch names the other language in that language (中文 / English), marked with its lang
            assert texts and language_violations(texts, want[:2], proper_names=("中文",)) == []
            if want == "zh-CN":
                assert page.locator("button[type=submit]").inner_text() == "登录"
                assert page.locator("label[for=username]").inner_text() == "用户名"
            else:
                assert page.locator("button[type=submit]").inner_text() == "Sign in"
            # the dashboard's header colour and font
            header = page.evaluate("getComputedStyle(document.querySelector('.xy-header')).backgroundColor")
            assert header == "rgb(11, 79, 108)"
            assert "Noto Sans CJK SC" in page.evaluate("getComputedStyle(document.body).fontFamily")
            # every image and stylesheet/icon link resolves (the page has no external resources)
            sources = page.evaluate(
                "[...document.images].map(i => i.src).concat("
                "[...document.querySelectorAll('link[href]')].map(l => l.href))"
            )
            for url in sources:
                assert page.request.get(url).ok, url
            assert page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0).length") == 0
            assert bad == []
        finally:
            context.close()


def test_sign_out_voids_the_cookie_for_everyone(served, browser):
    _, base = served
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        sign_in(page, base, EDITOR, EDITOR_PW)
        stolen = [c for c in context.cookies() if c["name"] == COOKIE_NAME]
        assert stolen and stolen[0]["httpOnly"]
        page.goto(f"{base}/logout")
        assert "Signed out" in page.inner_text("body")
    finally:
        context.close()
    replay = browser.new_context(viewport={"width": 1400, "height": 1000})  # the copied cookie
    try:
        replay.add_cookies(stolen)
        page = replay.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(base + "/")
        page.wait_for_selector(".xy-map canvas")
        _open_progress(page)
        assert page.locator(".xy-progress-login").count() == 1  # a guest again
        assert page.locator(".xy-progress-submit").count() == 0
    finally:
        replay.close()


def test_a_websocket_may_not_join_a_session_built_for_another_user(served):
    _, base = served
    host, port = base.removeprefix("http://").split(":")
    server = (host, int(port))
    status, cookies = _login(server, EDITOR, EDITOR_PW)
    assert status == 302
    token = _page_token(server, cookies)  # the editor's session
    assert _ws_open(server, token, {}) == 403  # a guest holding the editor's token
    assert _ws_open(server, token, cookies) == "ACK"


@pytest.fixture(scope="module")
def served_without_users(tmp_path_factory):
    """Base URL of ``xysiting serve DIR`` with no users file (Chinese, the default)."""
    root = tmp_path_factory.mktemp("nosignin")
    project_dir = root / "project"
    build_project(project_dir, n_rooftops=40)
    port = free_port()
    env = server_env(root / "home", drop=("XYSITING_TILES", "XYSITING_COOKIE_SECRET"))
    base = f"http://127.0.0.1:{port}"
    with running_server(
        [str(project_dir), "--port", str(port)], env=env, log=root / "serve.log", ready_url=base + "/", timeout_s=240
    ):
        yield base


def test_without_users_there_is_no_login_route_and_no_sign_in_link(served_without_users, browser):
    base = served_without_users
    for path in ("/login", "/logout"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(base + path, timeout=60)
        assert err.value.code == 404
    with pytest.raises(urllib.error.HTTPError) as err:  # sessions are the server's to choose here too
        urllib.request.urlopen(base + "/?bokeh-session-id=mine", timeout=60)
    assert err.value.code == 403
    dash = Page(browser, base + "/")
    try:
        dash.page.locator(".bk-tab", has_text="进展").click()
        dash.page.wait_for_selector(".xy-progress-cards", timeout=TIMEOUT_MS)
        dash.page.get_by_text("此服务器未启用登录").first.wait_for(timeout=TIMEOUT_MS)
        assert dash.page.locator(".xy-progress-login").count() == 0
        assert dash.page.get_by_text("登录", exact=True).count() == 0
        assert dash.page.locator("a[href*='login']").count() == 0
    finally:
        dash.context.close()
