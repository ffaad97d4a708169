"""Shared fixtures: the real data in ../shared/data when present, small projects, and the
browser-test helpers (a server started and stopped around a test module, one Chromium).

Test modules import the plain helpers with ``from conftest import running_server, free_port``
(pytest has already imported this file as ``conftest``); the fixtures need no import.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("XYSITING_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real-data folder; skipped when absent (outside CI)."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the shared data folder at {SHARED_DATA}")
        pytest.skip(f"shared data folder {SHARED_DATA} not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def default_project_dir(tmp_path_factory) -> Path:
    """The embedded Xiangyang default project, built once per test session through the CLI.

    Tests must treat it as read-only (copy it with ``shutil.copytree`` before changing it).
    """
    from dashboard.cli import main

    path = tmp_path_factory.mktemp("default") / "xiangyang"
    assert main(["init", str(path), "--quiet"]) == 0
    return path


@pytest.fixture
def fresh_wind_cache():
    """Wind's remembered resource grids and exclusion masks forgotten before and after a test
    (wind test modules use it with ``pytestmark = pytest.mark.usefixtures("fresh_wind_cache")``)."""
    from siting.wind import clear_cache

    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True)
def _users_env_stays_in_its_test(monkeypatch):
    """``serve_auth_kwargs`` exports ``$XYSITING_USERS`` for the server's write path; undo it after
    each test so later tests (and the projects they build) use their own ``DIR/users.json``.

    (``monkeypatch.delenv(..., raising=False)`` of an unset variable records nothing, so a test
    that deletes it and then calls code that sets it would leak the value.)
    """
    monkeypatch.setenv("XYSITING_USERS", "")
    monkeypatch.delenv("XYSITING_USERS")


# -- browser tests: one server starter, one Chromium --------------------------------------------
#: Debian's Chromium, driven by Playwright (``apt-get install chromium``).
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: How a server is started by :func:`running_server` unless told otherwise.
DASHBOARD_SERVE = ("-m", "dashboard.cli", "serve")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(home: Path, *, drop: tuple[str, ...] = ("XYSITING_TILES",)) -> dict:
    """The environment for a test server: its own ``XYSITING_HOME``, unbuffered, ``drop`` unset."""
    env = {**os.environ, "XYSITING_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    for var in drop:
        env.pop(var, None)
    return env


@contextlib.contextmanager
def running_server(
    serve_args: list[str],
    *,
    env: dict,
    log: Path,
    ready_url: str,
    timeout_s: float,
    command: tuple[str, ...] = DASHBOARD_SERVE,
) -> Iterator[subprocess.Popen]:
    """Run ``python COMMAND ARGS`` (``xysiting serve`` by default) until ``ready_url`` answers 200.

    Yields the process; stops it on leaving.  Fails the test, with the server's log, when the
    server exits or does not answer within ``timeout_s``.
    """
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, *command, *serve_args], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(ready_url, timeout=30) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server did not answer within {timeout_s:g} s:\n{log.read_text()}")
            time.sleep(0.5)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def require_chromium() -> None:
    """Skip (outside CI) or fail (under ``CI``) when Chromium or Playwright is missing."""
    missing = None
    if not CHROMIUM.exists():
        missing = f"Debian chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "playwright is not installed (pip install playwright)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the browser tests: {missing}")
        pytest.skip(missing, allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium through Playwright, one per test module.

    Not per session: Playwright's sync API keeps an asyncio loop registered on the main
    thread while it runs, and Panel then schedules the async handlers of later, non-browser
    tests on that loop, where they never run.
    """
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


# -- the dashboard in a browser: one shared server, one page helper ------------------------------
#: Environment variables a dashboard test server must not inherit (no tiles, no users).
DASHBOARD_ENV_DROP = ("XYSITING_TILES", "XYSITING_USERS", "XYSITING_COOKIE_SECRET")
#: Rooftops of the shared synthetic dashboard project.
DASHBOARD_ROOFTOPS = 600


@pytest.fixture(scope="session")
def dashboard_project_dir(tmp_path_factory) -> Path:
    """The synthetic dashboard project (tests/_dashboard_project.py) with its planned PV, waste
    (k = 0) and wind results stored, as after ``xysiting run``; built once per test session.

    Browser tests share it through :func:`dashboard_server` and must not change it; a what-if
    asked in the browser is computed by the server and stored next to the planned results.
    """
    from _dashboard_project import build_project

    from siting import results

    path = tmp_path_factory.mktemp("dashboard") / "project"
    build_project(path, n_rooftops=DASHBOARD_ROOFTOPS)
    for analysis, options in results.planned_runs(path, only=("solar", "waste", "wind")):
        results.run_one(path, analysis, options)
    return path


@pytest.fixture(scope="session")
def dashboard_server(dashboard_project_dir, tmp_path_factory) -> Iterator[str]:
    """Base URL of ``python -m dashboard.cli serve PROJECT`` over :func:`dashboard_project_dir`
    (no users, no tiles), started once per test session and shared by the browser test modules
    whose tests open their own pages and change no server state."""
    require_chromium()
    root = tmp_path_factory.mktemp("dashboard_server")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = server_env(root / "home", drop=DASHBOARD_ENV_DROP)
    with running_server(
        [str(dashboard_project_dir), "--port", str(port)], env=env, log=root / "serve.log", ready_url=url, timeout_s=300
    ):
        yield url


class DashboardPage:
    """A dashboard page in its own browser context, loaded, with everything it logged,
    requested and popped up.

    Parameters
    ----------
    browser : playwright Browser
    url : str
        The server's base URL (a query string may follow).
    viewport : (width, height)
    ready : selectors waited for after the map's canvas (default: the PV row count).
    """

    def __init__(self, browser, url: str, *, viewport=(1400, 1000), ready: tuple[str, ...] = (".xy-row-count",)):
        self.context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._on_dialog)
        self.page.goto(url)
        self.page.wait_for_selector(".xy-map canvas", timeout=120_000)
        for selector in ready:
            self.page.wait_for_selector(selector, timeout=120_000)

    def close(self) -> None:
        self.context.close()

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def text(self, selector: str) -> str:
        """Text of the first match, including its shadow DOM (Panel renders into shadow roots)."""
        return self.page.locator(selector).first.evaluate(
            "e => (e.shadowRoot ? e.shadowRoot.textContent : '') + ' ' + e.textContent"
        )

    def texts(self, selector: str) -> list[str]:
        """The visible texts below the first match of ``selector`` (:data:`SCOPED_TEXT_JS`)."""
        return self.page.locator(selector).first.evaluate(SCOPED_TEXT_JS)

    def wait_text(self, selector: str, text: str, timeout_s: float = 60) -> None:
        """Wait until the first match of ``selector`` (shadow DOM included) shows ``text``."""
        deadline = time.monotonic() + timeout_s
        while text not in self.text(selector):
            if time.monotonic() > deadline:
                pytest.fail(f"{selector} never showed {text!r}: {self.text(selector)!r}")
            self.page.wait_for_timeout(200)

    def rows(self) -> int:
        """The PV tab's row count (rooftops passing the filters)."""
        return int(self.page.locator(".xy-row-count").first.get_attribute("data-rows"))

    def wait_rows_change(self, old: int, timeout_s: float = 60) -> int:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            n = self.rows()
            if n != old:
                return n
            self.page.wait_for_timeout(200)
        pytest.fail(f"row count stayed {old}")

    def cells(self, table: str, field: str) -> list[str]:
        """The texts of column ``field`` of the Tabulator below ``table`` (the page shown)."""
        return self.page.locator(f"{table} .tabulator-cell[tabulator-field='{field}']").all_inner_texts()

    def switch_language(self, lang: str, *, timeout_s: float = 300) -> None:
        """Press the language button of ``lang``; wait until ``<html lang>`` and the tab titles follow."""
        from dashboard.i18n import HTML_LANG, t

        self.page.locator(".xy-language button", has_text={"zh": "中文", "en": "English"}[lang]).click()
        self.page.wait_for_function(
            "(l) => document.documentElement.lang === l", arg=HTML_LANG[lang], timeout=timeout_s * 1000
        )
        # the shell relabels every tab on a switch: slow on a loaded machine
        self.page.locator(".bk-tab", has_text=t("tab_waste", lang)).first.wait_for(timeout=timeout_s * 1000)

    def open_tab(self, title: str, table: str, header: str) -> None:
        """Open tab ``title`` and wait until ``table`` has rows under a ``header`` column."""
        self.page.locator(".bk-tab", has_text=title).first.click()
        self.page.wait_for_selector(f"{table} .tabulator-row", timeout=300_000)
        self.page.locator(f"{table} .tabulator-col-title", has_text=header).first.wait_for(timeout=60_000)

    def map_png(self):
        """The map's pixels (int16 RGB array)."""
        import io

        import numpy as np
        from PIL import Image

        png = self.page.locator(".xy-map").first.screenshot()
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype="int16")

    def external_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("http://127.0.0.1", "data:", "blob:http://127.0.0.1"))]


@pytest.fixture
def dash(browser, dashboard_server) -> Iterator[DashboardPage]:
    """A fresh page of the shared dashboard server (Chinese, 1400 × 1000), closed after the test."""
    page = DashboardPage(browser, dashboard_server)
    yield page
    page.close()


def download_buttons(page, scope: str) -> list[tuple[str, int, int]]:
    """(label, scrollWidth, clientWidth) of every download button below ``scope``; a label
    that does not fit has scrollWidth > clientWidth."""
    from dashboard.i18n import LANGUAGES, t

    found = page.locator(f"{scope} .bk-btn").evaluate_all(
        "els => els.map(e => [e.textContent.trim(), e.scrollWidth, e.clientWidth])"
    )
    starts = tuple(t("download_xlsx", lang).split()[0] for lang in LANGUAGES)  # 下载 / Download
    return [(label, sw, cw) for label, sw, cw in found if label.startswith(starts)]


def wait_until(predicate, what: str, timeout_s: float = 60) -> None:
    """Poll ``predicate`` every 0.2 s; fail the test with ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(what)
        time.sleep(0.2)


def submit_progress_form(page, *, target_label: str | None = None, **fields: str) -> None:
    """Fill the progress tab's record form in ``page`` and press submit.

    ``target_label`` picks the target by its English label; ``fields`` fill the inputs named
    ``date``, ``value``, ``unit`` or ``note`` (each confirmed with Enter).
    """
    if target_label is not None:
        page.locator(".xy-progress-target select").select_option(label=target_label)
    for name, text in fields.items():
        page.locator(f".xy-progress-{name} input").fill(text)
        page.locator(f".xy-progress-{name} input").press("Enter")
    page.locator(".xy-progress-submit button").click()


#: The record the browser tests add through the progress form, and how it is stored.
BROWSER_RECORD = {
    "target_label": "Phosphogypsum comprehensive utilisation rate [%]",
    "date": "2025-06-30",
    "value": "52.5",
}


def assert_browser_record_stored(project, *, author: str, note: str) -> None:
    """The project holds exactly the one :data:`BROWSER_RECORD`, by ``author`` with ``note``."""
    from siting.progress import read_records

    records = read_records(project)
    assert len(records) == 1
    row = records.iloc[0]
    assert (row["target_id"], row["value"], row["author"], row["note"]) == (
        "ind-phosphogypsum-utilisation",
        52.5,
        author,
        note,
    )


def sign_in(page, base: str, user: str, password: str, *, next_path: str = "/", ready: str = ".xy-map canvas") -> None:
    """Sign ``user`` in through ``BASE/login`` in ``page`` and wait for ``ready`` on the next page."""
    page.goto(f"{base}/login?next={next_path}")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector(ready)


# -- one language at a time (issue 13, item 4) ----------------------------------------------------
#: Visible text of the page, shadow roots included (Panel renders every component in one):
#: text nodes whose element is rendered, the chosen option of each <select>, and the
#: placeholder/value of text inputs.  Canvas text (Bokeh axes) is not DOM text.
VISIBLE_TEXT_JS = """
() => {
  const out = [];
  const seen = (el) => el && el.checkVisibility && el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  const walk = (root) => {
    for (const node of root.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        const text = node.textContent.trim();
        const parent = node.parentElement;
        if (text && parent && !['SCRIPT', 'STYLE', 'OPTION'].includes(parent.tagName) && seen(parent)) out.push(text);
      } else if (node.nodeType === Node.ELEMENT_NODE) {
        if (node.tagName === 'SELECT' && seen(node) && node.selectedIndex >= 0) {
          out.push(node.options[node.selectedIndex].text);
        }
        if (node.tagName === 'INPUT' && seen(node) && ['text', 'search', ''].includes(node.type)) {
          if (node.placeholder) out.push(node.placeholder);
        }
        if (node.shadowRoot) walk(node.shadowRoot);
        walk(node);
      }
    }
  };
  walk(document);
  return out;
}
"""

#: Texts a user sees below one element (its shadow root and children), read as
#: :data:`VISIBLE_TEXT_JS` reads the page; ``page.locator(sel).first.evaluate(SCOPED_TEXT_JS)``.
SCOPED_TEXT_JS = VISIBLE_TEXT_JS.replace("() => {", "(scope) => {", 1).replace(
    "walk(document);", "if (scope.shadowRoot) walk(scope.shadowRoot); walk(scope);", 1
)


#: A machine identifier: lower-case words joined by underscores (``facility_kind``, ``cost_cny``).
SNAKE_CASE = re.compile(r"(?<![\w.])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w.])")
#: Chinese characters (CJK unified ideographs and the CJK punctuation block).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def visible_texts(page) -> list[str]:
    """The texts a user sees on ``page`` right now (see :data:`VISIBLE_TEXT_JS`)."""
    return page.evaluate(VISIBLE_TEXT_JS)


#: Tabulator's built-in English texts (pager, counter, loading): never visible in Chinese mode.
TABULATOR_ENGLISH = frozenset(
    {"First", "Prev", "Next", "Last", "All", "Page Size", "Show Page", "Showing", "of", "rows", "pages"}
    | {"First Page", "Last Page", "Prev Page", "Next Page", "Loading", "Error", "filter column..."}
)


def english_labels() -> frozenset[str]:
    """Every English label of :mod:`dashboard.i18n` that differs from its Chinese form (without
    format fields), and Tabulator's English texts: a text equal to one of them is an English
    label shown in Chinese mode."""
    from dashboard.i18n import MESSAGES

    labels = {en for zh, en in MESSAGES.values() if en != zh and "{" not in en and re.search("[A-Za-z]{2}", en)}
    return frozenset(labels) | TABULATOR_ENGLISH


def language_violations(texts: list[str], lang: str, *, proper_names: tuple[str, ...] = ()) -> list[str]:
    """Texts that break "one language at a time" in ``lang``.

    In Chinese mode a text may not hold a snake_case identifier nor be an English label
    (:func:`english_labels`: the dashboard's own or Tabulator's pager words); in English mode
    it may not hold Chinese characters once ``proper_names`` (names with no English form, e.g.
    a project's own name) are taken out.  Returns the offending texts (empty when clean).
    """
    english = english_labels() if lang == "zh" else frozenset()
    bad = []
    for text in texts:
        if lang == "zh":
            if SNAKE_CASE.search(text) or text.strip() in english:
                bad.append(text)
        else:
            rest = text
            for name in proper_names:
                rest = rest.replace(name, "")
            if CJK.search(rest):
                bad.append(text)
    return bad
