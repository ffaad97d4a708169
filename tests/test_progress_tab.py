"""Progress tab, server side (issue 7): editors add records, viewers are refused on the server."""

from __future__ import annotations

import time

import holoviews as hv
import pandas as pd
import pytest
from _progress_helpers import EDITOR, EDITOR_PW, VIEWER, make_project, state
from bokeh.document import Document

from dashboard.auth import serve_kwargs
from dashboard.progress_tab import LABELS, ProgressTab
from siting.progress import add_records, read_records

hv.extension("bokeh", logo=False)


@pytest.fixture
def project(tmp_path):
    proj = make_project(tmp_path / "proj")
    add_records(
        proj,
        [
            {"target_id": "ind-non-fossil-share", "date": "2024-12-31", "value": 18.0},
            {"target_id": "base-xiangzhou-newenergy", "date": "2025-01-31", "value": 300.0},
        ],
        user=EDITOR,
    )
    return proj


def _render(tab: ProgressTab) -> None:
    tab.panel().get_root(Document())  # builds every Bokeh model, as a session would


def test_editor_sees_the_form_and_adds_a_record(project):
    tab = ProgressTab(project, lang="en", user=EDITOR)
    _render(tab)
    assert tab.is_editor and hasattr(tab, "form_submit")
    tab.form_target.value = "ind-phosphogypsum-utilisation"
    tab.form_date.value = "2025-06-30"
    tab.form_value.value = 52.5
    tab.form_note.value = "表单"
    tab.form_submit.clicks += 1  # the button's server-side click handler (the save runs off the event loop)
    deadline = time.monotonic() + 120
    while "Saved" not in tab.message.object and time.monotonic() < deadline:
        time.sleep(0.1)
    records = read_records(project)
    row = records.iloc[-1]
    assert (row["target_id"], row["value"], row["author"], row["note"]) == (
        "ind-phosphogypsum-utilisation",
        52.5,
        EDITOR,
        "表单",
    )
    assert tab.message.alert_type == "success" and "Saved" in tab.message.object
    # the cards follow the new record
    assert "52.5 %" in tab.cards.object


def test_viewer_has_no_form_and_the_server_refuses_a_forged_submit(project):
    before = state(project)
    tab = ProgressTab(project, lang="zh", user=VIEWER)
    _render(tab)
    assert not tab.is_editor and not hasattr(tab, "form_submit")
    # even with the form forced on (as if the browser showed it), the write path refuses
    forced = ProgressTab(project, lang="zh", user=VIEWER, role="editor")
    _render(forced)
    assert forced.submit("ind-non-fossil-share", "2025-06-30", 19.0) is False
    assert forced.message.alert_type == "danger" and "viewer" in forced.message.object
    assert forced.import_bytes(b"target_id,date,value\nind-non-fossil-share,2025-06-30,19\n") is False
    assert state(project) == before


def test_guest_reads_and_is_invited_to_sign_in(project):
    tab = ProgressTab(project, lang="en", user="guest")
    _render(tab)
    assert not tab.is_editor
    html = tab._root[0].object
    assert "/login" in html
    assert "ind-non-fossil-share" in tab.cards.object


def test_bad_input_in_the_form_is_shown_and_not_written(project):
    before = state(project)
    tab = ProgressTab(project, lang="en", user=EDITOR)
    _render(tab)
    assert tab.submit("ind-non-fossil-share", "2025-02-30", 19.0) is False
    assert "not a valid date" in tab.message.object
    assert tab.submit("ind-non-fossil-share", "2025-02-01", -3.0) is False
    assert "negative" in tab.message.object
    assert state(project) == before


def test_editor_imports_a_csv_from_the_form(project):
    tab = ProgressTab(project, lang="en", user=EDITOR)
    _render(tab)
    ok = tab.import_bytes(
        "target_id,date,value,note\nind-waste-sorting-rural,2025-03-31,47,年报\n".encode("utf-8-sig"),
        filename="rural.csv",
    )
    assert ok and "Imported 1" in tab.message.object
    assert read_records(project).iloc[-1]["target_id"] == "ind-waste-sorting-rural"


def test_labels_are_bilingual_and_tables_follow_the_language(project):
    assert all(len(pair) == 2 and all(pair) for pair in LABELS.values())
    tab = ProgressTab(project, lang="zh", user=EDITOR)
    _render(tab)
    assert "名称" in tab.bases_table.value.columns
    tab.set_language("en")
    _render(tab)
    assert "Name" in tab.bases_table.value.columns
    assert isinstance(tab.county_table.value, pd.DataFrame) and len(tab.county_table.value) == 9


def test_login_checks_the_hashed_users_file(project):
    provider = serve_kwargs(project.path, users_path=project.path / "users.json", secret="s" * 32)["auth_provider"]
    assert provider.users.verify(EDITOR, EDITOR_PW)
    assert not provider.users.verify(EDITOR, "wrong")
    assert not provider.users.verify("nobody", EDITOR_PW)


def test_serve_kwargs_switch_auth_on(project):
    kwargs = serve_kwargs(project.path, users_path=project.path / "users.json", secret="s" * 32)
    assert kwargs["sign_sessions"] is True and kwargs["include_cookies"] == []
    assert kwargs["auth_provider"].login_url == "/login" and kwargs["auth_provider"].allow_guests
