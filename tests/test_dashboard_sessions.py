"""Per-session state is freed when a session is destroyed; read-only data is shared.

Each app is built the way the server builds it (in a session document, rendered with
``server_doc``, loaded), then the document's ``on_session_destroyed`` callbacks are run as
Bokeh runs them when it discards a closed session.  No timing here: the server-memory
figures are in ``benchmarks/bench_sessions.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dashboard_project import build_project, server_session


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return build_project(tmp_path_factory.mktemp("sessions") / "project", n_rooftops=300)


def _open_session(project):
    return server_session(project, load=True)


def _close_session(doc, ctx) -> None:
    """What the server does when it discards a session: run on_session_destroyed callbacks."""
    for callback in list(doc.session_destroyed_callbacks):
        callback(ctx)


def test_session_destroy_frees_the_sessions_state(project):
    app, doc, ctx = _open_session(project)
    solar = app.tabs_components["solar"]
    shared_map = app.map
    assert solar.filtered is not None and len(shared_map._data) > 0
    _close_session(doc, ctx)
    assert app.destroyed
    assert solar.table_frame is None and solar.filtered is None
    assert shared_map._data == {} and shared_map._tap_listeners == []
    assert shared_map.figure is None and shared_map._sources == {} and shared_map._renderers == {}
    assert app.tabs_components == {}
    app.destroy()  # a second call (Bokeh may call more than once) does nothing


def test_read_only_frames_are_shared_between_sessions(project):
    from dashboard import _solar_data

    first, doc1, ctx1 = _open_session(project)
    second, doc2, ctx2 = _open_session(project)
    s1, s2 = first.tabs_components["solar"], second.tabs_components["solar"]
    assert s1.table_frame is s2.table_frame, "each session copied the rooftop table"
    c1, c2 = first._progress_context(), second._progress_context()
    assert c1["solar_result"] is not None
    assert c1["solar_result"] is c2["solar_result"]
    assert c1["solar_result"] is _solar_data.suitable_results(project)
    assert first.map._data["wind"] is second.map._data["wind"]
    # a filter in one session changes neither the shared frame nor the other session
    snapshot = s2.table_frame.copy()
    s1.county = "420602"
    assert len(s1.filtered) < len(s2.filtered)
    assert s2.table_frame.equals(snapshot)
    _close_session(doc1, ctx1)
    _close_session(doc2, ctx2)
