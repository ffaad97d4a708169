"""A language switch and a tab load reach Bokeh as one batch: Bokeh walks the page's model
graph once (``dashboard._held.held``), not once per new table column, tooltip or plot."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dashboard_project import build_project, server_session


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return build_project(tmp_path_factory.mktemp("held") / "project", n_rooftops=300)


class _Walks:
    """Counts Bokeh's walks over a document's model graph (wraps that document's own method)."""

    def __init__(self, doc):
        self.count = 0
        original = doc.models.recompute

        def counted():
            self.count += 1
            original()

        doc.models.recompute = counted


def test_a_language_switch_walks_the_model_graph_once_and_relabels_everything(project):
    from panel.io.state import set_curdoc

    from dashboard.i18n import t
    from dashboard.solar_tab import _SHOWN

    app, doc, _ctx = server_session(project, load=True)
    walks = _Walks(doc)
    solar = app.tabs_components["solar"]
    with set_curdoc(doc):
        for lang in ("en", "zh"):
            walks.count = 0
            app.lang = lang
            assert walks.count == 1, f"{walks.count} walks for one switch to {lang}"
            assert doc.title == t("app_title", lang)
            assert solar.table.titles == {col: t(msg, lang) for col, (msg, _kind) in _SHOWN.items()}
            models = [m for m, _ in solar.table._models.values()]
            assert models and all(f"xy-lang:{lang}" in m.tags for m in models)


def test_held_sends_new_models_with_the_patch(project):
    """Models made inside ``held()`` belong to the document when the held events go out."""
    from bokeh.models import Div
    from panel.io.state import set_curdoc

    from dashboard._held import held

    _app, doc, _ctx = server_session(project, load=False)
    walks = _Walks(doc)
    root = doc.roots[0]
    with set_curdoc(doc), held():
        extra = [Div(text=f"note {i}") for i in range(3)]
        root.children = [*root.children, *extra]
        assert walks.count == 0  # deferred while held
    assert walks.count == 1
    assert all(doc.models.get_by_id(div.id) is div for div in extra)
