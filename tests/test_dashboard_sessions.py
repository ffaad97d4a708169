"""Per-session state is freed when a session is destroyed; read-only data is shared.

Each app is rendered into a Bokeh document (as the server does), so HoloViews has put its
plot options into its process-wide stores; after :meth:`DashboardApp.destroy` (what Bokeh
calls when it discards a closed session) and a garbage collection, nothing of the session
may remain reachable.  No timing here: the server-memory figures are in
``benchmarks/bench_sessions.py``.
"""

from __future__ import annotations

import gc
import sys
import weakref
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dashboard_project import build_project


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return build_project(tmp_path_factory.mktemp("sessions") / "project", n_rooftops=300)


def _open_session(project):
    from bokeh.document import Document

    from dashboard.app import create_app

    layout = create_app(project.path)
    doc = Document()
    layout.get_root(doc)  # draw the map: HoloViews builds its plots and option trees
    return layout.app, doc


def test_destroyed_sessions_leave_nothing_alive(project):
    from dashboard.app import live_apps

    gc.collect()
    before = set(map(id, live_apps()))
    refs = []
    for _ in range(3):
        app, doc = _open_session(project)
        assert app in live_apps()
        refs.append((weakref.ref(app), weakref.ref(app.map), weakref.ref(app.tabs_components["solar"])))
        app.destroy()
        del app, doc
    gc.collect()
    assert {id(a) for a in live_apps()} - before == set(), "destroyed apps are still alive"
    for app_ref, map_ref, solar_ref in refs:
        assert app_ref() is None
        assert map_ref() is None, "the session's map is still reachable (HoloViews stores, streams?)"
        assert solar_ref() is None


def test_destroy_frees_references_and_stops_loading(project):
    app, _doc = _open_session(project)
    solar = app.tabs_components["solar"]
    shared_map = app.map
    assert solar.filtered is not None and len(shared_map._data) > 0
    app.destroy()
    assert app.destroyed
    assert solar.table_frame is None and solar.filtered is None
    assert shared_map._data == {} and shared_map._tap_listeners == []
    assert all(not pipe.subscribers for pipe in shared_map.pipes.values())
    assert app.tabs_components == {}
    app.destroy()  # a second call (Bokeh may call more than once) does nothing


def test_session_destroy_is_registered_with_the_bokeh_document(project):
    """create_app registers DashboardApp.destroy as the session's on_session_destroyed."""
    from bokeh.document import Document
    from panel.io.state import set_curdoc

    from dashboard.app import create_app

    class _Context:  # the server's session context, as far as create_app looks at it
        id = "test-session"
        _document = None

    doc = Document()
    doc._session_context = weakref.ref(_Context())
    ctx = doc._session_context()
    with set_curdoc(doc):
        layout = create_app(project.path)
    app = layout.app
    callbacks = doc.session_destroyed_callbacks
    assert any(getattr(cb, "__self__", None) is app for cb in callbacks)
    for cb in list(callbacks):
        cb(ctx)
    assert app.destroyed and app.map._data == {}
    del ctx


def test_read_only_frames_are_shared_between_sessions(project):
    from dashboard import _solar_data

    first, _d1 = _open_session(project)
    second, _d2 = _open_session(project)
    s1, s2 = first.tabs_components["solar"], second.tabs_components["solar"]
    assert s1.table_frame is s2.table_frame, "each session copied the rooftop table"
    c1, c2 = first._progress_context(), second._progress_context()
    assert c1["solar_result"] is not None
    assert c1["solar_result"] is c2["solar_result"]
    assert c1["solar_result"] is _solar_data.suitable_results(project)
    assert first.map._data["wind"] is second.map._data["wind"]
    # a filter in one session changes neither the shared frame nor the other session
    snapshot = s2.table_frame.copy()
    s1.county.value = "420602"
    assert len(s1.filtered) < len(s2.filtered)
    assert s2.table_frame.equals(snapshot)
    first.destroy()
    second.destroy()
