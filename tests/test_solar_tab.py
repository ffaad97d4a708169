"""The rooftop-PV tab as a ``pn.viewable.Viewer`` (no browser): parameters drive the views,
filters match a plain pandas filter, labels are in one language, numbers formatted by kind,
slow changes show their loading state first."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import param
import pytest
from _dashboard_project import build_project
from conftest import language_violations

from dashboard import _histogram as histogram_module
from dashboard import _solar_data
from dashboard import solar_tab as solar_module
from dashboard.i18n import county_label, t
from dashboard.map import SharedMap
from dashboard.solar_tab import PAGE_SIZE, SolarTab, select_rows


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    from dashboard.app import _ensure_extensions

    _ensure_extensions()  # the app's Panel and HoloViews set-up, as the server does
    return build_project(tmp_path_factory.mktemp("solar_tab") / "project", n_rooftops=400)


@pytest.fixture
def tab(project):
    tab = SolarTab(project, SharedMap(project, lang="zh"), lang="zh")
    tab.load()
    return tab


def _pandas_filter(frame: pd.DataFrame, **f) -> pd.DataFrame:
    keep = np.ones(len(frame), dtype=bool)
    for name, col in (("county", "county"), ("park", "park_id"), ("use_class", "use_class")):
        if f.get(name):
            keep &= (frame[col].astype(str) == f[name]).to_numpy()
    if f.get("suitable_only", True):
        keep &= frame["suitable"].to_numpy()
    keep &= (frame["kwp"] >= f.get("min_kwp", 0.0)).to_numpy() | (f.get("min_kwp", 0.0) == 0)
    keep &= (frame["kwh_per_kwp"] >= f.get("min_yield", 0.0)).to_numpy() | (f.get("min_yield", 0.0) == 0)
    return frame[keep]


def test_setting_a_parameter_filters_the_table_count_and_totals(tab):
    frame = tab.table_frame
    n_all = len(tab.result.rows)
    assert n_all == int(frame["suitable"].sum())
    tab.county = "420602"
    want = _pandas_filter(frame, county="420602")
    assert 0 < len(want) < n_all
    assert len(tab.filtered) == len(want) and list(tab.filtered["id"]) == list(want["id"])
    # the table holds one page, all of the county, in shortlist (rank) order
    page = tab.table.value
    assert len(page) == min(PAGE_SIZE, len(want))
    assert set(page["county"]) == {county_label("420602", "zh")}
    assert list(page["rank"]) == list(want["rank"].iloc[:PAGE_SIZE])
    assert f"data-rows='{len(want)}'" in tab._count_html()
    assert tab.result.totals["kwp"] == pytest.approx(want["kwp"].sum())
    assert tab.result.totals["tco2_per_year"] == pytest.approx(want["tco2_per_year"].sum())
    # the widget follows the parameter and the parameter follows the widget
    assert tab.county_select.value == "420602"
    tab.min_kwp_input.value = float(want["kwp"].median())
    assert tab.min_kwp == float(want["kwp"].median())
    assert len(tab.result.rows) == len(_pandas_filter(frame, county="420602", min_kwp=tab.min_kwp))


def test_constructor_parameters_and_url_keys(project):
    tab = SolarTab(project, SharedMap(project, lang="en"), lang="en", county="420607", use_class="industrial")
    tab.load()
    want = _pandas_filter(tab.table_frame, county="420607", use_class="industrial")
    assert len(tab.result.rows) == len(want) > 0
    assert set(SolarTab.url_params) <= set(SolarTab.param)
    assert {"county", "park", "use_class", "min_kwp", "min_yield", "suitable_only", "selected"} <= set(
        SolarTab.url_params
    )
    assert len(set(SolarTab.url_params.values())) == len(SolarTab.url_params)
    # a code the project does not have (e.g. from an edited URL) is dropped on load
    bad = SolarTab(project, SharedMap(project), county="999999")
    bad.load()
    assert bad.county == "" and len(bad.result.rows) == int(bad.table_frame["suitable"].sum())


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"suitable_only": False},
        {"county": "420607", "use_class": "industrial"},
        {"park": "p1", "min_kwp": 5.0},
        {"county": "420606", "min_yield": 1000.0, "suitable_only": False},
        {"county": "420602", "park": "p2"},  # park p2 lies in another county: nothing
        {"use_class": "no_such_class"},
    ],
)
def test_select_rows_equals_a_pandas_filter(project, filters):
    table = _solar_data.rooftop_table(project, with_pv=True)
    cols = _solar_data.filter_columns(project, with_pv=True)
    rows = select_rows(cols, **filters)
    want = _pandas_filter(table, **filters)
    assert np.array_equal(rows, want.index.to_numpy())
    assert np.all(np.diff(rows) > 0), "rows stay in shortlist order"


def test_language_follows_a_param_reference(project):
    class Shell(param.Parameterized):
        lang = param.Selector(default="zh", objects=["zh", "en"])

    shell = Shell()
    tab = SolarTab(project, SharedMap(project), lang=shell.param.lang)
    tab.load()
    assert tab.table.titles["kwp"] == "装机 kWp" and tab.county_select.label == "县区"
    shell.lang = "en"
    assert tab.lang == "en"
    assert tab.table.titles["kwp"] == "Capacity kWp" and tab.county_select.label == "County"
    assert "Totals" in tab._totals_html()


def _texts(tab: SolarTab) -> list[str]:
    """Every text the tab shows outside the map: labels, options, headers, cells, totals, details."""
    tab.selected = str(tab.table.value["id"].iloc[0])
    out = [w.label for w in (tab.county_select, tab.park_select, tab.use_select, tab.min_kwp_input)]
    out += [w.label for w in (tab.min_yield_input, tab.suitable_check, tab.page_input, *tab.downloads.buttons.values())]
    for select in (tab.county_select, tab.park_select, tab.use_select):
        out += list(select.options)
    out += list(tab.table.titles.values())
    out += [str(v) for v in tab.table.value.drop(columns=["id", "name"]).to_numpy().ravel()]
    out += re.sub(r"<[^>]+>", "\n", tab._totals_html() + tab._count_html() + tab._pager_html()).split("\n")
    out += [f"{k}: {v}" for k, v in tab.map._details_record.items()]
    out += tab.yield_histogram.texts()
    return [s for s in out if s.strip()]


def test_one_language_at_a_time(tab):
    tab.suitable_only = False  # unsuitable rooftops too, so details may show a reason
    texts = _texts(tab)
    assert language_violations(texts, "zh") == []
    assert any("装机 kWp" in s for s in texts) and any("年发电量 MWh/年" in s for s in texts)
    tab.lang = "en"
    parks = {"襄城测试园区", "襄州测试园区"}  # the synthetic parks have no English name: proper names
    rooftop_names = set(tab.table_frame["name"].astype(str))
    texts = _texts(tab)
    assert language_violations(texts, "en", proper_names=tuple(sorted(parks | rooftop_names, key=len)[::-1])) == []
    assert "Generation MWh/yr" in texts and "Rooftops" in texts


def test_numbers_are_formatted_by_kind(tab):
    fmt = {c: getattr(f, "format", None) for c, f in tab.table.formatters.items()}
    for col in ("rank", "county_rank", "area_m2", "usable_m2", "kwh_per_kwp"):
        assert fmt[col] == "0,0", col  # integers: no decimals
    assert fmt["kwp"] == "0,0.0" and fmt["lcoe_cny_per_kwh"] == "0.000"
    assert tab.table.formatters["name"] == {"type": "plaintext"}  # text is escaped
    assert not np.isinf(tab.table.value.select_dtypes("number").to_numpy()).any()
    values = re.findall(r"xy-total-value[^>]*>([^<]+)<", tab._totals_html())
    n, _mwp, _gwh, tco2, share = values
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", n) and re.fullmatch(r"\d{1,3}(,\d{3})*", tco2)
    assert share == "100.0 %"  # all suitable rooftops of the city
    tab.county = "420602"
    share = re.findall(r"xy-total-value[^>]*>([^<]+)<", tab._totals_html())[-1]
    assert re.fullmatch(r"\d{1,2}\.\d %", share)  # shares as in every tab: "58.3 %"
    details = tab._record(0)
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", details["屋顶面积 m²"])


def test_selected_rooftop_turns_the_table_to_its_page_and_shows_details(tab):
    rows = tab.result.rows
    target = str(tab.table_frame["id"].iat[int(rows[2 * PAGE_SIZE + 3])])
    tab.selected = target
    assert tab.page == 3 and tab.table.selection == [3]
    assert tab.table.value["id"].iloc[3] == target
    assert tab.map._details_record["编号"] == target
    # selecting another row in the table sets the parameter
    tab.table.selection = [5]
    assert tab.selected == str(tab.table.value["id"].iloc[5])
    # a filter that drops the selected rooftop clears the selection
    county = tab.table_frame["county"].astype(str).iat[int(rows[2 * PAGE_SIZE + 5])]
    tab.county = next(c for c in ("420602", "420606", "420607") if c != county)
    assert tab.selected == "" and tab.table.selection == [] and tab.page == 1
    # pager
    tab.next_button.clicks += 1
    assert tab.page == 2 and tab.table.value["rank"].iloc[0] == tab.table_frame["rank"].iat[int(tab.result.rows[12])]


def test_a_slow_filter_change_shows_the_wait_and_stale_marks_first(tab, monkeypatch):
    """Over LOADING_ROWS rows, count and totals are greyed with a spinner and the histogram
    is redrawn grey before the work runs (in a served session it runs one event-loop turn
    later); afterwards the marks are gone and the new figures shown."""
    monkeypatch.setattr(solar_module, "LOADING_ROWS", 1)
    monkeypatch.setattr(solar_module, "_in_session", lambda: True)
    seen = []

    def work(original=tab._apply_fast):
        seen.append((tab.waiting, tab.hist_stale, tab._count_html(), tab._totals_html(), tab._hist_note_html()))
        original()

    monkeypatch.setattr(tab, "_apply_fast", work)
    old_n = len(tab.result.rows)
    tab.use_class = "industrial"
    [(waiting, hist_stale, count, totals_html, note)] = seen
    assert waiting and hist_stale
    assert f"data-rows='{old_n}'" in count and "xy-stale" in count and "正在计算" in count
    assert "xy-stale" in totals_html and "xy-stale" in note and "分布图更新中" in note
    bars = tab.yield_histogram.bars.glyph
    assert not tab.waiting and not tab.hist_stale and bars.fill_color == histogram_module.COLOUR
    assert tab._hist_note_html() == ""
    assert "xy-stale" not in tab._count_html() + tab._totals_html()
    assert set(tab.table.value["use_class"]) == {"工业厂房"}
    assert len(tab.result.rows) < old_n


def test_sessions_share_the_filter_columns(project):
    one = SolarTab(project, SharedMap(project))
    two = SolarTab(project, SharedMap(project))
    one.load()
    two.load()
    assert one._cols is two._cols
    assert not one._cols.numbers["kwp"].flags.writeable
    one.county = "420607"
    assert len(two.result.rows) == int(two.table_frame["suitable"].sum())


def test_a_name_column_empty_in_every_row_is_left_out(tab, tmp_path):
    # the synthetic rooftops have names: the column is shown, with them
    page = tab.table.value
    assert "name" in page.columns and (page["name"] != "").any()
    # the same project without rooftop names: no empty 名称 column (as the exports leave it out)
    import shutil

    from layers.project import Project

    shutil.copytree(tab.project.path, tmp_path / "nameless")
    nameless = Project.open(tmp_path / "nameless")
    roofs = nameless.read("rooftops")
    roofs["name"] = None
    nameless.write("rooftops", roofs)
    other = SolarTab(nameless, SharedMap(nameless, lang="zh"), lang="zh")
    other.load()
    shown = other.table.value
    assert len(shown) == PAGE_SIZE and "name" not in shown.columns
    assert {"id", "county", "park_id", "kwp"} <= set(shown.columns)
    other.lang = "en"  # a language switch redraws the page without it too
    assert "name" not in other.table.value.columns and "id" in other.table.value.columns


def test_the_histogram_counts_the_filtered_rooftops_and_follows_the_language(tab):
    """One Bokeh figure updated in place: its bars hold every filtered rooftop with a yield,
    binned over their range; a switch relabels the same figure."""
    figure, source = tab.yield_histogram.figure, tab.yield_histogram.source
    for use_class in ("", "industrial"):
        tab.use_class = use_class
        yields = tab.filtered["kwh_per_kwp"].to_numpy(dtype=float)
        yields = yields[np.isfinite(yields)]
        data = source.data
        assert int(np.sum(data["top"])) == yields.size > 0
        assert np.isclose(data["left"][0], yields.min()) and np.isclose(data["right"][-1], yields.max())
        assert np.all(np.diff(data["left"]) > 0)
    tab.lang = "en"
    assert tab.yield_histogram.figure is figure and tab.yield_histogram.source is source
    assert tab.yield_histogram.texts() == [t(m, "en") for m in ("histogram", "pv_col_kwh_per_kwp", "pv_hist_rooftops")]
    tab.lang = "zh"
