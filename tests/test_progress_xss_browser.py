"""The progress tab in a real browser (issue 14, items 3 and 7).

* Script injection: an editor uploads CSVs and types a unit holding ``<img src=x onerror=...>``;
  bases carry the payload as their names and unit.  Every message, table and option shows
  it as text: no dialog opens and no ``<img src=x>`` element is created anywhere in the page
  (Playwright's CSS locators pierce the shadow roots Bokeh renders into).
* No freeze: while a second process holds the project lock (as an import does), an editor's
  save waits off the server's event loop with "Waiting for the project lock" shown, another
  session loads and uses the tab meanwhile, and the record is written once the lock is free.

Headless Chromium via Playwright; the server is ``tests/_progress_server.py``.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from _progress_helpers import EDITOR, EDITOR_PW, make_project, state, synthetic_bases

from siting.progress import read_records

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SERVER = Path(__file__).with_name("_progress_server.py")
REPO = Path(__file__).resolve().parents[1]
TIMEOUT_MS = 120_000  # the test machine is shared and often loaded

XSS = "<img src=x onerror=alert(1)>"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _project(path: Path):
    project = make_project(path)
    bases = synthetic_bases()
    bases.loc[0, ["name", "name_en"]] = [f"{XSS}基地", f"{XSS} base"]
    bases.loc[1, ["name_en", "target_unit"]] = [f"pilot {XSS}", XSS]  # a base without a number
    project.write("bases", bases)
    return project


@pytest.fixture
def served(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium not installed (apt-get install chromium)")
    project = _project(tmp_path / "proj")
    port = _free_port()
    with open(tmp_path / "server.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, str(SERVER), str(project.path), str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).parent,
        )
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and proc.poll() is None:
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.3)
            if proc.poll() is not None or time.monotonic() >= deadline:
                pytest.fail("progress server did not start:\n" + (tmp_path / "server.log").read_text())
            yield project, f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=20)


class Page:
    """A page that records every dialog (an executed ``alert(1)`` opens one)."""

    def __init__(self, browser):
        self.page = browser.new_context().new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.dialogs: list[str] = []

        def on_dialog(dialog):
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        self.page.on("dialog", on_dialog)

    def login(self, base: str) -> None:
        self.page.goto(f"{base}/login?next=/")
        self.page.fill("input[name=username]", EDITOR)
        self.page.fill("input[name=password]", EDITOR_PW)
        self.page.click("button[type=submit]")
        self.page.wait_for_selector(".xy-progress-submit")
        self.wait_ready()

    def wait_ready(self) -> None:
        """Wait until the tab's load() ran (events sent before may be dropped on a loaded machine)."""
        self.page.wait_for_selector(".xy-progress-links:not(:has-text('Reading the analysis'))")

    def injected(self) -> int:
        """How many elements the payload created (shadow roots included)."""
        return self.page.locator("img[src='x']").count()

    def message(self) -> str:
        texts = self.page.locator(".xy-progress-message div").all_inner_texts()  # inside the shadow root
        return max(texts, key=len, default="")

    def upload(self, name: str, text: str) -> None:
        before = self.message() if self.page.locator(".xy-progress-message").is_visible() else ""
        self.page.locator(".xy-progress-file input[type=file]").set_input_files(
            {"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}
        )
        self.page.wait_for_timeout(500)  # the file reaches the server before the click
        self.page.locator(".xy-progress-import button").click()
        self.wait_message(before)

    def wait_message(self, before: str) -> str:
        """Wait until the message box shows a final message other than ``before``."""
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while time.monotonic() < deadline:
            text = self.message() if self.page.locator(".xy-progress-message").is_visible() else ""
            if text and text != before and not re.search("Saving|Importing|Waiting", text):
                return text
            self.page.wait_for_timeout(200)
        pytest.fail(f"the message box still shows {before!r}")

    def fill_form(self, *, target_label: str, date: str, value: str, unit: str = "", note: str = "") -> None:
        p = self.page
        p.locator(".xy-progress-target select").select_option(label=target_label)
        for css, text in ((".xy-progress-date", date), (".xy-progress-value", value)):
            p.locator(f"{css} input").fill(text)
            p.locator(f"{css} input").press("Enter")
        for css, text in ((".xy-progress-unit", unit), (".xy-progress-note", note)):
            p.locator(f"{css} input").fill(text)
            p.locator(f"{css} input").press("Enter")


def test_uploaded_and_typed_html_is_shown_as_text(served, browser):
    project, base = served
    editor = Page(browser)
    editor.login(base)
    editor.page.wait_for_selector(".xy-progress-bases")
    assert editor.injected() == 0  # base names in cards, table, options, hover data

    # every field of the upload holds the payload: refused, the message names columns as text
    every = ",".join([XSS] * 5)
    editor.upload(f"{XSS}.csv", f"target_id,date,value,unit,note\n{every}\n")
    assert "nothing was written" in editor.message()
    assert (editor.injected(), editor.dialogs) == (0, [])

    # a payload target id and a payload unit are quoted back in the messages: as text
    editor.upload("t.csv", f"target_id,date,value,unit,note\n{XSS},2025-06-30,1,%,{XSS}\n")
    assert (editor.injected(), editor.dialogs) == (0, [])
    assert XSS in editor.message() and "unknown base or indicator" in editor.message()
    editor.upload("u.csv", f"target_id,date,value,unit,note\nind-non-fossil-share,2025-06-30,1,{XSS},{XSS}\n")
    assert XSS in editor.message() and "does not convert" in editor.message()
    assert read_records(project).empty

    # a valid upload whose note is the payload is saved; the note stays text
    editor.upload("ok.csv", f"target_id,date,value,unit,note\nind-non-fossil-share,2025-06-30,19.5,%,{XSS}\n")
    assert "Imported 1" in editor.message()
    assert read_records(project)["note"].tolist() == [XSS]

    # the form: a base without a target unit keeps the typed unit, which the saved message quotes
    editor.fill_form(target_label=f"pilot {XSS} [{XSS}]", date="2025-06-30", value="5", unit=XSS, note=XSS)
    editor.page.locator(".xy-progress-submit button").click()
    editor.page.wait_for_selector(".xy-progress-message:has-text('Saved')")
    assert XSS in editor.message()
    assert read_records(project)["unit"].tolist()[-1] == XSS

    # a fresh page with the payload in the store and the layers: still nothing runs
    reader = Page(browser)
    reader.page.goto(base + "/")
    reader.page.wait_for_selector(".xy-progress-bases")
    reader.wait_ready()
    for page in (editor, reader):
        assert page.injected() == 0
        assert page.dialogs == []
    cells = reader.page.locator(".xy-progress-bases .tabulator-cell")
    assert XSS in cells.all_inner_texts() or f"{XSS} base" in cells.all_inner_texts()  # shown, as text


HOLDER = textwrap.dedent(
    """
    import sys
    from layers.project import Project

    with Project.open(sys.argv[1]).locked():
        print("locked", flush=True)
        sys.stdin.read()  # until the test closes our stdin
    """
)


def test_save_waits_for_the_lock_off_the_event_loop(served, browser, tmp_path):
    project, base = served
    editor = Page(browser)
    editor.login(base)
    editor.fill_form(target_label="Phosphogypsum comprehensive utilisation rate [%]", date="2025-06-30", value="52.5")

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(project.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**__import__("os").environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = state(project)
        editor.page.locator(".xy-progress-submit button").click()
        editor.page.wait_for_timeout(1000)  # the click reaches the server first

        # another session opens the tab and changes the timeline while the save waits
        other = Page(browser)
        start = time.monotonic()
        other.page.goto(base + "/")
        other.page.wait_for_selector(".xy-progress-timeline-target select")
        other.page.locator(".xy-progress-timeline-target select").select_option(index=1)
        other.page.wait_for_selector(".xy-progress-bases")
        opened_s = time.monotonic() - start
        editor.page.wait_for_selector(".xy-progress-message:has-text('Waiting for the project lock')")
        assert editor.page.locator(".xy-progress-submit button").is_disabled()
        assert holder.poll() is None, "the lock was released too early: the test proves nothing"
        assert "Waiting for the project lock" in editor.message()
        assert state(project) == before and read_records(project).empty
    finally:
        holder.stdin.close()  # release the lock
        holder.wait(timeout=30)
    editor.page.wait_for_selector(".xy-progress-message:has-text('Saved')")
    assert read_records(project)["value"].tolist() == [52.5]
    assert editor.page.locator(".xy-progress-submit button").is_enabled()
    print(f"another session opened the tab in {opened_s:.1f} s while a save waited for the lock")
