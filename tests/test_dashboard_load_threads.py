"""Tab loads never block the server: their reads run in worker threads, off the event loop.

Sessions are built as the server builds them (a session document, rendered, then
``DashboardApp.load_stepwise`` as ``pn.state.onload`` runs it).  This test's main thread
plays the server's event loop: it runs the callbacks the sessions schedule on it
(``doc.add_next_tick_callback``).  A tab's ``prepare()`` is held at a ``threading.Event``
(a test hook around the project's own method; no library is mocked) to stand for a slow
read, and another session's filter must still complete on the loop meanwhile.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dashboard_project import build_project, server_session


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return build_project(tmp_path_factory.mktemp("load_threads") / "project", n_rooftops=400)


def _session(project):
    return server_session(project, load=False)


def _run_loop(doc, until, timeout_s: float = 60.0) -> bool:
    """Play the event loop for ``doc``: run its scheduled callbacks until ``until()`` holds."""
    from panel.io.state import set_curdoc

    deadline = time.monotonic() + timeout_s
    while not until():
        callbacks = list(doc.session_callbacks)
        for callback in callbacks:
            with set_curdoc(doc):
                callback.callback()  # one-shot: removes itself, then runs
        if not callbacks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
    return True


def _loaded(app) -> bool:
    progress = app.tabs_components["progress"]
    return app.tabs_components["solar"].result is not None and progress.component is not None


def test_load_stepwise_returns_at_once_and_loads_every_tab_in_turn(project):
    app, doc, _ctx = _session(project)
    from panel.io.state import set_curdoc

    with set_curdoc(doc):
        app.load_stepwise(doc)
    assert _run_loop(doc, lambda: _loaded(app))
    solar = app.tabs_components["solar"]
    assert len(solar.result.rows) > 0 and solar.table.value.shape[0] > 0
    assert app.tabs_components["progress"].holder.loading is False


def test_a_loading_session_does_not_hold_up_another_sessions_filter(project, monkeypatch):
    from panel.io.state import set_curdoc

    from dashboard.solar_tab import SolarTab

    busy, doc_b, _ctx_b = _session(project)
    with set_curdoc(doc_b):
        busy.load_stepwise(doc_b)
    assert _run_loop(doc_b, lambda: _loaded(busy))
    solar_b = busy.tabs_components["solar"]

    # two more sessions, each held inside its PV tab's prepare() (a slow read)
    gate = threading.Event()
    held: list[str] = []
    prepare = SolarTab.prepare

    def held_prepare(self) -> None:
        held.append(threading.current_thread().name)
        gate.wait(120)
        prepare(self)

    monkeypatch.setattr(SolarTab, "prepare", held_prepare)
    waiting = [_session(project) for _ in range(2)]
    try:
        for app, doc, _ctx in waiting:
            with set_curdoc(doc):
                app.load_stepwise(doc)  # returns at once: the read waits in a worker thread
        deadline = time.monotonic() + 60
        while len(held) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(held) == 2, "both sessions' PV reads should be running in worker threads"
        assert all(name.startswith("xysiting-load") for name in held)
        assert all(app.tabs_components["solar"].result is None for app, _doc, _ctx in waiting)

        # meanwhile the first session's county filter completes on the loop
        cols = solar_b._cols
        county = cols.counties[0]
        with set_curdoc(doc_b):
            solar_b.county = county
        assert _run_loop(doc_b, lambda: not solar_b.waiting and solar_b.county == county, timeout_s=30)
        rows = solar_b.result.rows
        assert len(rows) > 0
        assert np.all(cols.county_code[rows] == cols.counties.index(county))
        assert solar_b.totals.object and str(len(rows)) in solar_b.count.object.replace(",", "")
        # ... while the other two are still held
        assert all(app.tabs_components["solar"].result is None for app, _doc, _ctx in waiting)
    finally:
        gate.set()
    for app, doc, _ctx in waiting:
        assert _run_loop(doc, lambda app=app: _loaded(app))
        assert len(app.tabs_components["solar"].result.rows) > 0


def test_abandoned_reads_the_servers_connection_count():
    from types import SimpleNamespace

    from dashboard.app import _abandoned

    def doc(count):
        session = None if count is None else SimpleNamespace(connection_count=count)
        return SimpleNamespace(session_context=SimpleNamespace(session=session))

    assert _abandoned(doc(0))
    assert not _abandoned(doc(1))
    assert not _abandoned(doc(None))  # outside a server: never abandoned
    assert not _abandoned(SimpleNamespace(session_context=None))


def test_a_session_whose_browser_left_stops_loading(project, monkeypatch):
    from panel.io.state import set_curdoc

    import dashboard.app as app_module

    app, doc, _ctx = _session(project)
    left = threading.Event()
    monkeypatch.setattr(app_module, "_abandoned", lambda _doc: left.is_set())  # the server's connection count
    with set_curdoc(doc):
        app.load_stepwise(doc)
    left.set()  # the browser closed the page while the PV tab was loading
    assert _run_loop(doc, lambda: app.tabs_components["solar"].result is not None)
    _run_loop(doc, lambda: not doc.session_callbacks, timeout_s=5)
    time.sleep(0.5)
    assert not doc.session_callbacks
    assert app.tabs_components["waste"]._asked_last is None  # the other tabs were never loaded
    assert app.tabs_components["progress"].component is None


def test_the_tabs_load_even_if_the_browser_never_reports_the_page_ready(project):
    """``pn.state.onload`` starts the loads when the browser reports the page ready; the
    session also holds a timeout callback that starts them without that report, and a second
    start (onload after the fallback, or the other way round) loads nothing twice."""
    from bokeh.server.callbacks import TimeoutCallback
    from panel.io.state import set_curdoc

    from dashboard.app import LOAD_FALLBACK_MS

    app, doc, _ctx = _session(project)
    [fallback] = [cb for cb in doc.session_callbacks if isinstance(cb, TimeoutCallback)]
    assert fallback.timeout == LOAD_FALLBACK_MS
    assert not app.live and app.tabs_components["solar"].result is None
    solar = app.tabs_components["solar"]
    loads = []
    original = solar.load
    solar.load = lambda: (loads.append(1), original())[1]  # counts the project's own method
    assert _run_loop(doc, lambda: _loaded(app))  # runs the fallback: no onload was ever run
    with set_curdoc(doc):
        app.load_stepwise(doc)  # the late onload
    _run_loop(doc, lambda: False, timeout_s=0.5)
    assert loads == [1] and len(solar.result.rows) > 0
