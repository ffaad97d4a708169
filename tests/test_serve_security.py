"""``xysiting serve DIR --users FILE --no-guests`` attacked over HTTP and the websocket.

A real server (``python -m dashboard.cli serve``, tests/_dashboard_project.py's small
synthetic project) on 127.0.0.1; clients are ``http.client`` (bound to other loopback
addresses, 127.0.0.2 …, to play other visitors) and tornado's websocket client speaking
Bokeh's handshake (subprotocol ``bokeh, <token>``).  Asserts: client-chosen session ids are
refused; two visitors never share a session; the page token carries no cookie; logged-out
and expired sign-in cookies are refused over HTTP and the websocket; the 11th failed login
of a user from one address is refused while the right password from another address
works; unknown users cost as much as known ones; a login flood leaves the server
responsive; framing headers everywhere; ``/components`` needs sign-in.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.client
import http.cookies
import json
import re
import statistics
import time
import urllib.parse

import pytest
from _dashboard_project import build_project
from bokeh.util.token import get_session_id, get_token_payload
from conftest import free_port, running_server, server_env
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.web import create_signed_value, decode_signed_value
from tornado.websocket import websocket_connect

from dashboard.auth import COOKIE_NAME, derive_key
from siting.progress import UserStore

SECRET = "test-secret-" + "k" * 40
EDITOR, EDITOR_PW = "wang", "editor-pw-1"
TARGET, TARGET_PW = "zhao", "zhao-password-9"  # the user whose logins are hammered
COMPONENT = "/components/panel.template.bootstrap/BootstrapTemplate/_css/bootstrap.css"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(host, port) of a server with sign-in required (``--no-guests``)."""
    root = tmp_path_factory.mktemp("secure")
    project_dir = root / "project"
    build_project(project_dir, n_rooftops=40)
    users = UserStore(project_dir / "users.json")
    users.set_user(EDITOR, EDITOR_PW, "editor")
    users.set_user(TARGET, TARGET_PW, "viewer")
    port = free_port()
    env = {**server_env(root / "home"), "XYSITING_COOKIE_SECRET": SECRET}
    with running_server(
        [str(project_dir), "--port", str(port), "--no-guests"],
        env=env,
        log=root / "serve.log",
        ready_url=f"http://127.0.0.1:{port}/login",
        timeout_s=240,
    ):
        yield "127.0.0.1", port


def _request(served, method, path, *, cookies=None, body=None, source="127.0.0.1", headers=None):
    """(status, headers, body text, Set-Cookie values) of one request from ``source``."""
    host, port = served
    conn = http.client.HTTPConnection(host, port, timeout=180, source_address=(source, 0))
    hdrs = dict(headers or {})
    if cookies:
        hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if body is not None:
        hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        body = urllib.parse.urlencode(body)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        jar = http.cookies.SimpleCookie()
        for value in resp.headers.get_all("Set-Cookie") or []:
            jar.load(value)
        return resp.status, resp.headers, text, {k: m.value for k, m in jar.items()}
    finally:
        conn.close()


def _login(served, user, password, *, source="127.0.0.1"):
    """(status, cookies) of a sign-in through the form (XSRF token from its GET)."""
    _, _, page, cookies = _request(served, "GET", "/login?next=/", source=source)
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page).group(1)
    form = {"_xsrf": xsrf, "username": user, "password": password, "next": "/"}
    status, _, _, new = _request(served, "POST", "/login", cookies=cookies, body=form, source=source)
    return status, {**cookies, **new}


def _page_token(served, cookies) -> str:
    status, _, page, _ = _request(served, "GET", "/", cookies=cookies)
    assert status == 200, status
    return re.search(r'"token":\s*"([^"]+)"', page).group(1)


def _ws_open(served, token: str, cookies: dict) -> str | int:
    """``"ACK"`` if Bokeh accepted the websocket, else the HTTP status of the refusal."""
    host, port = served

    async def attempt():
        request = HTTPRequest(
            f"ws://{host}:{port}/ws",
            headers={
                "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
                "Origin": f"http://{host}:{port}",
            },
            request_timeout=180,
        )
        try:
            conn = await websocket_connect(request, subprotocols=["bokeh", token])
        except HTTPClientError as exc:
            return exc.code
        try:
            message = await asyncio.wait_for(conn.read_message(), 180)
        finally:
            conn.close()
        return json.loads(message)["msgtype"] if message else "closed"

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # its own event loop (Playwright may run one here)
        return pool.submit(lambda: asyncio.run(attempt())).result()


@pytest.fixture(scope="module")
def editor_cookies(served):
    status, cookies = _login(served, EDITOR, EDITOR_PW)
    assert status == 302 and COOKIE_NAME in cookies
    return cookies


def test_a_client_chosen_session_id_is_refused(served, editor_cookies):
    someone_elses = get_session_id(_page_token(served, editor_cookies))  # validly signed, live
    for path, headers in (
        (f"/?bokeh-session-id={someone_elses}", None),
        ("/", {"Bokeh-Session-Id": someone_elses}),
        ("/?bokeh-session-id=mine", None),
        ("/?bokeh-session-id=" + "a" * 44, None),
        ("/?bokeh-token=eyJzZXNzaW9uX2lkIjogIm1pbmUifQ", None),
        ("/", {"Bokeh-Session-Id": "mine"}),
        ("/autoload.js?bokeh-autoload-element=x&bokeh-session-id=mine", None),
    ):
        status, _, _, _ = _request(served, "GET", path, cookies=editor_cookies, headers=headers)
        assert status == 403, (path, headers, status)


def test_two_visitors_of_the_same_url_get_their_own_sessions_and_no_cookie_in_the_token(served, editor_cookies):
    first = _page_token(served, editor_cookies)
    second = _page_token(served, editor_cookies)
    assert get_session_id(first) != get_session_id(second)
    for token in (first, second):
        payload = get_token_payload(token)  # readable by any script on the page
        assert payload["cookies"] == {}
        assert not {k.lower() for k in payload["headers"]} & {"cookie", "authorization"}
        text = json.dumps(payload)
        for value in editor_cookies.values():
            assert value not in text and value.split("|")[-1] not in text


def test_a_logged_out_cookie_is_refused_over_http_and_the_websocket(served):
    status, cookies = _login(served, EDITOR, EDITOR_PW)
    assert status == 302
    token = _page_token(served, cookies)
    assert _ws_open(served, token, cookies) == "ACK"  # the live sign-in works both ways
    status, _, page, cleared = _request(served, "GET", "/logout", cookies=cookies)
    assert status == 200 and "已退出" in page and cleared.get(COOKIE_NAME) == ""
    # the browser would drop the cookie; an attacker who copied it replays it
    status, headers, _, _ = _request(served, "GET", "/", cookies=cookies)
    assert status == 302 and "login" in headers["Location"]
    assert _ws_open(served, token, cookies) == 403


def test_an_expired_cookie_is_refused_over_http_and_the_websocket(served):
    status, cookies = _login(served, EDITOR, EDITOR_PW)
    token = _page_token(served, cookies)
    key = derive_key(SECRET.encode(), "cookie")
    live_nonce = decode_signed_value(key, COOKIE_NAME, cookies[COOKIE_NAME]).decode()  # a live sign-in
    ten_days_ago = time.time() - 10 * 86400
    old = create_signed_value(key, COOKIE_NAME, live_nonce, clock=lambda: ten_days_ago).decode()
    expired = {**cookies, COOKIE_NAME: old}
    status, headers, _, _ = _request(served, "GET", "/", cookies=expired)
    assert status == 302 and "login" in headers["Location"]
    assert _ws_open(served, token, expired) == 403
    assert _ws_open(served, token, {}) == 403  # and no cookie at all


def test_the_11th_failed_login_is_refused_and_the_right_password_works_from_elsewhere(served):
    for i in range(10):
        status, _ = _login(served, TARGET, f"wrong-password-{i}", source="127.0.0.2")
        assert status == 401, (i, status)
    status, _ = _login(served, TARGET, "wrong-password-10", source="127.0.0.2")
    assert status == 429
    status, _ = _login(served, TARGET, TARGET_PW, source="127.0.0.2")  # refused unchecked
    assert status == 429
    t0 = time.perf_counter()
    status, cookies = _login(served, TARGET, TARGET_PW, source="127.0.0.3")
    elapsed = time.perf_counter() - t0
    assert status == 302 and COOKIE_NAME in cookies
    assert elapsed < 1.0, elapsed


def test_unknown_users_cost_as_much_as_known_ones(served):
    def median_s(user, source):
        times = []
        for i in range(5):
            t0 = time.perf_counter()
            status, _ = _login(served, user, f"not-the-password-{i}", source=source)
            times.append(time.perf_counter() - t0)
            assert status == 401
        return statistics.median(times)

    known = median_s(EDITOR, "127.0.0.4")
    unknown = median_s("nobody-at-all", "127.0.0.5")
    # without the dummy scrypt an unknown user answers ~50x faster
    assert unknown > 0.4 * known, (known, unknown)


def test_a_login_flood_leaves_the_server_responsive(served):
    def attempt(i):
        return _login(served, f"flood{i}", "wrong-password-x", source=f"127.0.1.{i % 40 + 1}")[0]

    t_flood = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        flood = [pool.submit(attempt, i) for i in range(80)]
        time.sleep(0.3)
        t0 = time.perf_counter()
        status, _, _, _ = _request(served, "GET", "/login", source="127.0.0.9")
        elapsed = time.perf_counter() - t0
        results = [f.result() for f in flood]
    flood_s = time.perf_counter() - t_flood
    assert status == 200
    assert set(results) == {401}
    # 80 scrypt checks take seconds; on the event loop the page would wait for most of them,
    # in the login thread pool it waits only for its share of the CPU
    assert flood_s > 1.0
    assert elapsed < flood_s / 4, (elapsed, flood_s)


def test_the_login_page_defaults_to_chinese(served):
    status, _, page, _ = _request(served, "GET", "/login")
    assert status == 200
    assert '<html lang="zh-CN">' in page and "用户名" in page and "密码" in page
    assert "<img" not in page  # nothing to break
    _, _, page, _ = _request(served, "GET", "/login?lang=en")
    assert '<html lang="en">' in page and "User name" in page


def test_framing_headers_on_every_page(served, editor_cookies):
    for path, cookies in (("/login", None), ("/", editor_cookies), ("/", None), ("/nothing-here", None)):
        _, headers, _, _ = _request(served, "GET", path, cookies=cookies)
        assert headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path


def test_components_route_needs_sign_in(served, editor_cookies):
    status, headers, body, _ = _request(served, "GET", COMPONENT)
    assert status == 302 and "login" in headers["Location"] and not body
    status, _, body, _ = _request(served, "GET", COMPONENT, cookies=editor_cookies)
    assert status == 200 and body
