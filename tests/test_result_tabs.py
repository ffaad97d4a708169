"""The waste and wind tabs without a browser: declared parameters drive the views, one
language at a time in tables and labels, numbers by kind, loading and stale marks at once.

The tabs run on the small synthetic project of the dashboard tests; its k = 0 routings and
default wind result are stored first (as ``xysiting run`` would), what-ifs are computed by the
server's worker process (:mod:`dashboard._jobs`) as in a served session.
"""

from __future__ import annotations

import re

import pandas as pd
import panel as pn
import param
import pytest
from _dashboard_project import build_project

from dashboard._result_view import STALE_CLASS, Col, table_view
from dashboard.i18n import MESSAGES, option_label, t
from layers.schema import FACILITY_KINDS, FACILITY_STATUSES, PLANT_STATUSES

SNAKE = re.compile(r"(?<![\w.])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w.])")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
ROLES = ("used", "unused", "off_network", "not_accepting", "zero_capacity", "status_excluded")
WAIT_S = 600  # a what-if is computed in a spawned worker process: slow on a loaded machine


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    from siting import results

    project = build_project(tmp_path_factory.mktemp("tabs") / "project", n_rooftops=50)
    for analysis, options in results.planned_runs(project, only=("waste", "wind")):
        results.run_one(project.path, analysis, options)
    return project


@pytest.fixture
def shared_map(project):
    from dashboard.map import SharedMap

    return SharedMap(project, lang="zh")


def _waste(project, shared_map, **params):
    from dashboard.waste_tab import WasteTab

    tab = WasteTab(project, shared_map, **params)
    tab.load()
    assert tab.wait(WAIT_S)
    return tab


def _wind(project, shared_map, **params):
    from dashboard.wind_tab import WindTab

    tab = WindTab(project, shared_map, **params)
    tab.load()
    assert tab.wait(WAIT_S)
    return tab


def _shown(table) -> list[str]:
    """Every header and text cell a table shows."""
    frame = table.value
    texts = list(table.titles.values())
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            texts += frame[col].astype(str).tolist()
    return texts


def test_every_vocabulary_value_has_a_label_in_both_languages():
    coded = [("fk", k) for k in FACILITY_KINDS] + [("fs", s) for s in FACILITY_STATUSES]
    coded += [("role", r) for r in ROLES] + [("ps", s) for s in PLANT_STATUSES]
    for prefix, value in coded:
        assert f"{prefix}_{value}" in MESSAGES, f"no label for {prefix} {value!r}"
        assert not SNAKE.search(option_label(prefix, value, "zh"))
        assert not CJK.search(option_label(prefix, value, "en"))


def test_table_view_formats_numbers_by_kind_and_translates_codes():
    frame = pd.DataFrame(
        {
            "capacity_t_per_year": [150000.0, 2.4e6],
            "utilisation": [0.583, 1.0],
            "km": [12.345, 0.5],
            "status": ["operating", "under_construction"],
            "county": ["420602", "420683"],
            "ignored": [1, 2],
        }
    )
    cols = (
        Col("capacity_t_per_year", "col_capacity"),
        Col("utilisation", "col_utilisation_pct", "share"),
        Col("km", "col_km", "dec1"),
        Col("status", "col_status", "vocab", "fs"),
        Col("county", "col_county", "county"),
        Col("missing", "col_name", "text"),
    )
    shown, titles, formatters = table_view(frame, cols, "en")
    assert list(shown.columns) == ["capacity_t_per_year", "utilisation", "km", "status", "county"]
    assert formatters["capacity_t_per_year"]["precision"] == 0  # 150,000 not 150,000.0
    assert formatters["km"]["precision"] == 1
    assert shown["utilisation"].tolist() == pytest.approx([58.3, 100.0])  # shares as %
    assert "%" in titles["utilisation"] and "t/yr" in titles["capacity_t_per_year"]  # units in headers
    assert shown["status"].tolist() == ["Operating", "Under construction"]
    assert shown["county"].tolist() == ["Xiangcheng", "Zaoyang"]  # county names have an English form
    zh, titles_zh, _ = table_view(frame, cols, "zh")
    assert zh["status"].tolist() == ["运行中", "在建"] and zh["county"].tolist() == ["襄城区", "枣阳市"]
    assert titles_zh["capacity_t_per_year"] == t("col_capacity", "zh")


def test_table_view_leaves_out_text_columns_empty_in_every_row():
    frame = pd.DataFrame(
        {
            "site_id": ["W1", "W2"],
            "substation_name": [None, "  "],  # no substation has a name
            "wind_farm_status": ["", None],
            "facility_name": ["", "某设施"],  # one name: kept
            "km": [float("nan"), float("nan")],  # numbers are kept (a dash per missing value)
        }
    )
    cols = (
        Col("site_id", "col_site_id", "text"),
        Col("substation_name", "wind_col_substation", "text"),
        Col("wind_farm_status", "wind_col_farm", "vocab", "ps"),
        Col("facility_name", "col_facility", "text"),
        Col("km", "col_km", "dec1"),
    )
    shown, titles, formatters = table_view(frame, cols, "zh")
    assert list(shown.columns) == ["site_id", "facility_name", "km"]
    assert set(titles) == set(formatters) == {"site_id", "facility_name", "km"}
    # an empty frame keeps its headers (nothing to judge a column by)
    empty, titles, _ = table_view(frame.iloc[:0], cols, "zh")
    assert list(empty.columns) == ["site_id", "substation_name", "wind_farm_status", "facility_name", "km"]


def test_waste_tab_is_a_viewer_whose_params_drive_the_views(project, shared_map):
    tab = _waste(project, shared_map, lang="zh")
    assert isinstance(tab, pn.viewable.Viewer)
    assert set(tab.url_params) <= set(tab.param) and {"waste_kind", "k", "facility"} <= set(tab.url_params)
    assert tab.routing.waste_kind == "phosphogypsum"
    texts = _shown(tab.facility_table) + _shown(tab.flow_table)
    assert texts and not [x for x in texts if SNAKE.search(x)], texts
    kinds = set(tab.facility_table.value["facility_kind"])
    assert kinds == {option_label("fk", k, "zh") for k in tab.routing.facility_use["facility_kind"]}
    # widgets are built from the params: the widget drives the param and back
    tab.kind_input.value = "construction"
    assert tab.waste_kind == "construction"
    assert tab.wait(WAIT_S)
    assert tab.routing.waste_kind == "construction"
    assert "建筑垃圾" in tab.kind_input.options  # option labels in the UI language
    # the language: a param, every header and vocabulary follows
    tab.lang = "en"
    texts = _shown(tab.facility_table) + _shown(tab.flow_table)
    names = set(tab.routing.facility_use["facility_name"]) | set(tab.routing.flows["source_name"])
    assert not [x for x in texts if CJK.search(x) and x not in names], texts
    assert tab.kind_input.name == "Waste kind" and "Construction waste" in tab.kind_input.options
    assert "Routed t/yr" in tab.totals.object and "tCO₂" in tab.totals.object


def test_lang_follows_a_reference(project, shared_map):
    from dashboard.wind_tab import WindTab

    class Shell(param.Parameterized):
        lang = param.Selector(default="zh", objects=["zh", "en"])

    shell = Shell()
    tab = WindTab(project, shared_map, lang=shell.param.lang)
    tab.load()
    assert tab.wait(WAIT_S)
    assert "技术可开发量" in tab.potentials.object
    shell.lang = "en"
    assert tab.lang == "en"
    assert "Technical potential" in tab.potentials.object and "County" in tab.table.titles.values()


def test_wind_tab_in_each_language(project, shared_map):
    tab = _wind(project, shared_map, lang="zh")
    labels = list(tab.turbine_input.options) + list(tab.hub_input.options)
    texts = _shown(tab.table) + labels + [re.sub("<[^>]+>", " ", tab.potentials.object + tab.meaning.object)]
    assert not [x for x in texts if SNAKE.search(x)], texts
    assert set(tab.table.value["county"]) <= {"襄城区", "樊城区", "襄州区", ""}
    tab.lang = "en"
    texts = _shown(tab.table) + list(tab.turbine_input.options)
    texts.append(re.sub("<[^>]+>", " ", tab.potentials.object + tab.meaning.object + tab.totals.object))
    assert not [x for x in texts if CJK.search(x)], texts
    assert set(tab.table.value["county"]) <= {"Xiangcheng", "Fancheng", "Xiangzhou", ""}
    assert tab.table.formatters["rank"]["precision"] == 0 and tab.table.formatters["road_distance_m"]["precision"] == 0
    assert tab.table.value["capacity_factor"].max() > 1  # shown as %, not as a fraction


def test_a_what_if_marks_the_panes_at_once_then_shows_the_result(project, shared_map):
    tab = _waste(project, shared_map, lang="zh", waste_kind="construction")
    assert tab.siting is None
    before = tab.totals.object
    tab.k = 1  # not stored: computed in the worker process
    for pane in tab.result_panes:  # at once, before any waiting
        assert pane.loading and STALE_CLASS in pane.css_classes
    assert tab.totals.object == before  # the old figures stay, marked stale
    assert tab.kind_input.loading is False  # the inputs stay usable
    assert tab.wait(WAIT_S)
    assert tab.error == "" and tab.siting is not None and len(tab.siting.chosen) == 1
    for pane in tab.result_panes:
        assert not pane.loading and STALE_CLASS not in pane.css_classes
    assert t("new_facilities", "zh") in tab.totals.object
    assert tab.siting.chosen["name"].iloc[0] in tab.totals.object


def test_an_impossible_what_if_says_why_and_keeps_going(project, shared_map):
    tab = _waste(project, shared_map, lang="en", waste_kind="construction")
    tab.k = 10  # more than the project's candidate sites
    assert tab.wait(WAIT_S)
    assert tab.error and tab.message.visible and tab.message.alert_type == "danger"
    assert "Cannot choose 10 new facilities" in tab.message.object
    tab.lang = "zh"
    assert "无法在" in tab.message.object and not re.search("[a-z]{4}", tab.message.object)
    assert not any(pane.loading for pane in tab.result_panes)
    tab.k = 0
    assert tab.wait(WAIT_S)
    assert tab.error == "" and tab.routing is not None and not tab.message.alert_type == "danger"


def test_selection_is_a_param_synced_with_the_table(project, shared_map):
    tab = _waste(project, shared_map, lang="zh")
    ids = tab.routing.facility_use["facility_id"].astype(str).tolist()
    tab.facility = ids[-1]
    assert tab.facility_table.selection == [len(ids) - 1]
    tab.facility_table.selection = [0]
    assert tab.facility == ids[0]
    tab.facility = ""
    assert tab.facility_table.selection == []


def test_tabulator_texts_come_from_the_i18n_table_in_both_languages():
    from dashboard.i18n import tabulator_langs

    langs = tabulator_langs()
    assert set(langs) == {"zh", "en"}
    for lang, texts in langs.items():
        pager = texts["pagination"]
        assert pager["next"] == t("tbl_next", lang) and pager["counter"]["of"] == t("tbl_of", lang)
        for button in ("first", "prev", "next", "last"):
            # the accessible name (title) holds the visible text (axe-core label-content-name-mismatch)
            assert pager[button].lower() in pager[f"{button}_title"].lower(), (lang, button)
    assert not re.search(r"[A-Za-z]", "".join(langs["zh"]["pagination"][k] for k in ("first", "prev", "next", "last")))
