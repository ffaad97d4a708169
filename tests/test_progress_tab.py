"""Progress tab, server side (issue 7): editors add records, viewers are refused on the server."""

from __future__ import annotations

import re
import time

import holoviews as hv
import pandas as pd
import panel as pn
import pytest
from _progress_helpers import EDITOR, EDITOR_PW, VIEWER, make_project, state
from bokeh.document import Document
from conftest import CJK, SNAKE_CASE

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
    # the refusal names the indicator by its Chinese label and the role in Chinese, no id
    refusal = forced.message.object
    assert forced.message.alert_type == "danger" and "无权写入" in refusal and "查看" in refusal
    assert "非化石能源" in refusal and "ind-non-fossil-share" not in refusal
    assert forced.import_bytes(b"target_id,date,value\nind-non-fossil-share,2025-06-30,19\n") is False
    assert state(project) == before


def test_guest_reads_and_is_invited_to_sign_in(project):
    tab = ProgressTab(project, lang="en", user="guest")
    _render(tab)
    assert not tab.is_editor
    assert "/login" in tab.user_pane.object
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
    tab.lang = "en"
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


def test_form_feedback_names_the_indicator_by_its_label_in_the_ui_language(project):
    """Issue 13, item 9: saved / invalid messages name the indicator, never its id."""
    tab = ProgressTab(project, lang="zh", user=EDITOR)
    _render(tab)
    assert tab.message in tab._form_column.objects  # the message box sits in the form
    assert tab.submit("ind-phosphogypsum-utilisation", "2025-06-30", 52.5) is True
    saved = tab.message.object
    assert saved.startswith("已保存") and "磷石膏综合利用率" in saved and "52.5 %" in saved
    assert "ind-phosphogypsum-utilisation" not in saved
    # a share above 100 % is refused in Chinese, naming the indicator and the field
    assert tab.submit("ind-non-fossil-share", "2025-06-30", 650.0) is False
    invalid = tab.message.object
    assert "非化石能源消费比重" in invalid and "数值" in invalid and "0–100" in invalid
    assert not re.search(r"[A-Za-z]{3,}", invalid.replace("YYYY-MM-DD", "")), invalid
    tab.lang = "en"
    assert tab.submit("ind-non-fossil-share", "2025-02-30", 19.0) is False
    invalid = tab.message.object
    assert "Non-fossil share of energy use" in invalid and "not a valid date" in invalid
    assert "ind-non-fossil-share" not in invalid and not CJK.search(invalid)


def test_language_is_a_param_reference_and_numbers_are_formatted_by_kind(project):
    app_lang = pn.widgets.RadioButtonGroup(options=["zh", "en"], value="zh")
    tab = ProgressTab(project, lang=app_lang.param.value, user=EDITOR)  # follows the reference
    _render(tab)
    assert tab.lang == "zh" and "名称" in tab.bases_table.value.columns
    cards_zh = tab.cards.object
    assert "21.4 %" in cards_zh and "15 个" in cards_zh and "count" not in cards_zh
    assert not SNAKE_CASE.search(re.sub(r"<[^>]+>", " ", cards_zh))  # no identifier in the visible text
    categories = tab.bases_table.value["类别"].tolist()
    assert "renewable" not in categories and "可再生能源" in categories
    app_lang.value = "en"
    assert tab.lang == "en" and "Name" in tab.bases_table.value.columns
    assert tab.timeline_select.label == "Indicator or base" and tab.form_submit.label == "Add record"
    visible = re.sub(r"<[^>]+>", " ", tab.cards.object)
    assert not CJK.search(visible) and "15 count" not in visible
    assert tab.export_button.filename == "progress_records.csv"
    # integers without decimals in the tables
    counties = tab.county_table
    assert counties.formatters["Bases"].format == "0,0"
