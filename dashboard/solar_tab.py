"""Rooftop PV tab: filters, yield-coloured map, linked table, totals, histogram, downloads.

A county official picks a county (and optionally a park, a use class, a minimum kWp and a
minimum specific yield); the map, the table, the totals and the histogram follow; the
shortlist downloads as CSV (a zip with its assumptions), XLSX or GeoJSON in the UI
language (:class:`dashboard._downloads.Downloads`).

:class:`SolarTab` is a :class:`panel.viewable.Viewer`: the language, the filters, the
selected rooftop and the table page are declared parameters (the app may pass
``lang=app.param.lang``; the shell syncs :attr:`SolarTab.url_params` with the URL), the
widgets are built from them, and the count, totals and table page are views derived from
them with ``param.depends``.

Speed (about a million rooftops): the rows of the chosen county come from precomputed
index arrays (:func:`dashboard._solar_data.filter_columns`, shared by every session),
the other filters are numpy masks on those rows only, totals are vectorised sums, and the
table holds just the visible page (12 rows), so the browser never receives, and Panel
never processes, the whole filtered frame.  The histogram and the map follow one
event-loop turn later, greyed (``xy-stale``) until replaced; a change over many rows first
puts count, totals, table and histogram in their loading state.

The PV numbers come from :func:`siting.solar.rooftop_potential` (see
:mod:`dashboard._solar_data`); if they fail the tab shows rooftops and roof areas only,
with the error.  Table and map are linked both ways: selecting a row highlights the
rooftop on the map and shows its details; clicking near a rooftop on the map selects it
(turning the table to its page).

Why one module over 500 lines: it is one Panel component; its filters, table page, totals,
histogram, map layer and downloads share the tab's parameters and update together.
"""

from __future__ import annotations

import html
from typing import ClassVar, NamedTuple

import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh.models.widgets.tables import NumberFormatter

from dashboard import _data, _solar_data, export_labels
from dashboard._downloads import Downloads
from dashboard._held import held
from dashboard._histogram import YieldHistogram
from dashboard._widgets import LocalisedTabulator, TextAlert
from dashboard.i18n import LANGUAGES, county_label, option_label, t
from dashboard.map import VECTOR_LIMIT, SharedMap
from layers.project import Project
from layers.schema import USE_CLASSES

PAGE_SIZE = 12
#: A filter over at least this many rows shows the loading state before it is computed.
LOADING_ROWS = 200_000

#: Columns of the shortlist export (machine names; dashboard.export_labels labels them).
_TABLE_COLUMNS = export_labels.PV_TABLE_COLUMNS

#: Shown columns: field → (message id of the header, kind).  Kinds: ``text``, ``int``
#: (no decimals), ``one`` (one decimal), ``lcoe`` (three decimals).  ``mwh_per_year`` is
#: ``kwh_per_year / 1000``.
_SHOWN: dict[str, tuple[str, str]] = {
    "rank": ("pv_col_rank", "int"),
    "id": ("pv_col_id", "text"),
    "name": ("pv_col_name", "text"),
    "county": ("pv_col_county", "text"),
    "park_id": ("pv_col_park", "text"),
    "use_class": ("pv_col_use_class", "text"),
    "area_m2": ("pv_col_area_m2", "int"),
    "usable_m2": ("pv_col_usable_m2", "int"),
    "kwp": ("pv_col_kwp", "one"),
    "mwh_per_year": ("pv_col_mwh_per_year", "one"),
    "kwh_per_kwp": ("pv_col_kwh_per_kwp", "int"),
    "tco2_per_year": ("pv_col_tco2_per_year", "one"),
    "county_rank": ("pv_col_county_rank", "int"),
    "payback_years": ("pv_col_payback_years", "one"),
    "lcoe_cny_per_kwh": ("pv_col_lcoe", "lcoe"),
}
_NUMBER_FORMAT = {"int": "0,0", "one": "0,0.0", "lcoe": "0.000"}
_PY_FORMAT = {"int": "{:,.0f}", "one": "{:,.1f}", "lcoe": "{:.3f}"}
_NO_VALUE = "–"  # shown for a missing number (e.g. a roof that never pays back)

#: ``siting.solar`` exclusion reasons → message ids (shown in the details box).
_REASON_IDS = {
    "no roof area": "pv_reason_no_area",
    "too steep": "pv_reason_steep",
    "north-facing": "pv_reason_north",
    "usable area too small": "pv_reason_small",
    "shaded": "pv_reason_shaded",
}

#: How stale figures look until replaced (inline, so that marking them changes content, not
#: layout: a css_classes or loading change on a pane makes Bokeh lay out the whole page
#: again, map included, which took 10–18 s per filter change on a loaded 2-core machine).
_STALE_STYLE = "opacity:0.45;filter:grayscale(1)"
_SPINNER = (
    "<span style='display:inline-block;width:10px;height:10px;border:2px solid #9ab;"
    "border-top-color:#0b4f6c;border-radius:50%;animation:xy-spin 0.8s linear infinite'></span>"
    "<style>@keyframes xy-spin{to{transform:rotate(360deg)}}</style>"
)


class Selection(NamedTuple):
    """The rows passing the filters (ascending positions in the rooftop table) and their totals."""

    rows: np.ndarray
    totals: dict[str, float]


def select_rows(
    cols: _solar_data.FilterColumns,
    *,
    county: str = "",
    park: str = "",
    use_class: str = "",
    min_kwp: float = 0.0,
    min_yield: float = 0.0,
    suitable_only: bool = True,
) -> np.ndarray:
    """Positions (ascending, i.e. in shortlist order) of the rows that pass the filters.

    ``county``, ``park`` and ``use_class`` are codes ("" for any; an unknown code matches
    nothing); ``min_kwp`` (kWp) and ``min_yield`` (kWh/kWp per year) apply when the PV
    results exist, as does ``suitable_only``.  Starts from the precomputed rows of the
    county, so the cost is proportional to the rooftops of that county.
    """
    has_pv = cols.suitable is not None
    if county:
        if county not in cols.counties:
            return np.zeros(0, dtype=np.int64)
        code = cols.counties.index(county)
    else:
        code = -1
    rows = cols.rows[(code, bool(suitable_only) and has_pv)]
    keep = None
    for value, codes, names in ((park, cols.park_code, cols.parks), (use_class, cols.use_code, cols.uses)):
        if value:
            wanted = names.index(value) if value in names else -2
            hit = codes[rows] == wanted
            keep = hit if keep is None else keep & hit
    if has_pv:
        for value, column in ((min_kwp, "kwp"), (min_yield, "kwh_per_kwp")):
            if value and column in cols.numbers:
                hit = cols.numbers[column][rows] >= float(value)
                keep = hit if keep is None else keep & hit
    return rows if keep is None else rows[keep]


def totals(cols: _solar_data.FilterColumns, rows: np.ndarray, *, suitable_only: bool = True) -> dict[str, float]:
    """Sums over ``rows``: rooftops, kWp, kWh/yr, tCO2/yr, roof m² and ``share_of_city``, the
    rows' kWp as a fraction of the whole city's (its suitable rooftops' if ``suitable_only``);
    vectorised, NaN results count as zero."""
    out = {"n": float(len(rows))}
    for column in ("kwp", "kwh_per_year", "tco2_per_year", "area_m2"):
        if column in cols.numbers:
            out[column] = float(np.nansum(cols.numbers[column][rows]))
    if "kwp" in cols.numbers:
        city = cols.city_kwp[bool(suitable_only) and cols.suitable is not None]
        out["share_of_city"] = out["kwp"] / city if city > 0 else float("nan")
    return out


def empty_text_columns(cols: _solar_data.FilterColumns) -> frozenset[str]:
    """The text columns of :data:`_SHOWN` empty in every row of the rooftop table (no rooftop
    has a name, a park, ...): the table leaves them out, as the exports do."""
    coded = {"county": (cols.county_code, cols.counties), "park_id": (cols.park_code, cols.parks)}
    coded["use_class"] = (cols.use_code, cols.uses)
    empty = {c for c, (codes, names) in coded.items() if not any(names) or not (codes >= 0).any()}
    if not (np.asarray(cols.names) != "").any():
        empty.add("name")
    return frozenset(empty)


def _number(value, kind: str) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return _NO_VALUE
    if not np.isfinite(value):
        return _NO_VALUE
    return _PY_FORMAT[kind].format(value)


class SolarTab(pn.viewable.Viewer):
    """The rooftop-PV tab of one session.

    Parameters
    ----------
    project : Project
    shared_map : SharedMap
        The session's map; this tab draws the rooftops on it.
    lang : {"zh", "en"} or a reference to one (e.g. ``app.param.lang``)
    **params
        Initial filter values (``county="420602"``, ``min_kwp=20.0``, ...).
    """

    lang = param.Selector(default="zh", objects=list(LANGUAGES), allow_refs=True, doc="UI language")
    county = param.String(default="", doc="adcode of the county shown; '' for all")
    park = param.String(default="", doc="id of the industrial park shown; '' for all")
    use_class = param.String(default="", doc="building use class shown (layers.schema.USE_CLASSES); '' for all")
    min_kwp = param.Number(default=0.0, bounds=(0, None), doc="minimum installable capacity, kWp")
    min_yield = param.Number(default=0.0, bounds=(0, None), doc="minimum specific yield, kWh/kWp per year")
    suitable_only = param.Boolean(default=True, doc="only rooftops siting.solar marks suitable")
    selected = param.String(default="", doc="id of the selected rooftop; '' for none")
    page = param.Integer(default=1, bounds=(1, None), doc="page of the table (PAGE_SIZE rows)")
    result = param.ClassSelector(class_=Selection, default=None, precedence=-1, doc="rows passing the filters")
    waiting = param.Boolean(default=False, precedence=-1, doc="a filter change is being computed (count, totals stale)")
    hist_stale = param.Boolean(default=False, precedence=-1, doc="the histogram shows rows of an earlier filter")

    #: parameter → URL query key (synced by the app shell).
    url_params: ClassVar[dict[str, str]] = {
        "county": "county",
        "park": "park",
        "use_class": "use",
        "min_kwp": "min_kwp",
        "min_yield": "min_yield",
        "suitable_only": "suitable",
        "selected": "roof",
    }

    def __init__(self, project: Project, shared_map: SharedMap, **params):
        super().__init__(**params)
        self.project = project
        self.map = shared_map
        self.table_frame: pd.DataFrame | None = None  # the cached, read-only full table
        self._cols: _solar_data.FilterColumns | None = None
        self._filtered: pd.DataFrame | None = None  # made on demand from result.rows
        self._page_rows = np.zeros(0, dtype=np.int64)
        self._pending = False  # a filter change waits for the next event-loop turn
        self._rendering = False  # the table is being filled (its selection events are ours)
        self._park_label_cache: dict[str, str] = {}
        self._park_label_lang = ""
        self._empty_columns: frozenset[str] = frozenset()  # text columns empty in every row
        self.has_pv = True  # False once the PV analysis has failed (rooftops are still shown)
        self.has_rooftops = project.has("rooftops")
        self._pv_error = ""

        def select(name, css, **kw):
            return pn.widgets.Select.from_param(self.param[name], width=240, css_classes=[css], options={"": ""}, **kw)

        self.county_select = select("county", "xy-solar-county")
        self.park_select = select("park", "xy-solar-park")
        self.use_select = select("use_class", "xy-solar-use")
        self.min_kwp_input = pn.widgets.FloatInput.from_param(
            self.param.min_kwp, width=240, step=5.0, css_classes=["xy-solar-min-kwp"]
        )
        self.min_yield_input = pn.widgets.FloatInput.from_param(
            self.param.min_yield, width=240, step=25.0, css_classes=["xy-solar-min-yield"]
        )
        self.suitable_check = pn.widgets.Checkbox.from_param(
            self.param.suitable_only, width=240, css_classes=["xy-solar-suitable"]
        )
        self.notice = TextAlert("", alert_type="danger", visible=False)  # the PV analysis' error (may quote input)
        self.missing = pn.pane.Alert("", alert_type="info", visible=not self.has_rooftops)
        self.count = pn.pane.HTML(self._count_html, css_classes=["xy-solar-count"])
        self.totals = pn.pane.HTML(self._totals_html, css_classes=["xy-solar-totals"], sizing_mode="stretch_width")
        self.table = LocalisedTabulator(
            pd.DataFrame(),
            lang=self.param.lang,
            pagination=None,  # the table holds one page; the pager below turns pages on the server
            show_index=False,
            disabled=True,
            selectable=1,
            sortable=False,
            sizing_mode="stretch_width",
            height=420,
            formatters=_formatters(),
            css_classes=["xy-solar-table"],
            header_filters=False,
        )
        self.prev_button = pn.widgets.Button(label="‹", width=40, css_classes=["xy-solar-prev"])
        self.next_button = pn.widgets.Button(label="›", width=40, css_classes=["xy-solar-next"])
        self.page_input = pn.widgets.IntInput.from_param(self.param.page, width=90, css_classes=["xy-solar-page"])
        self.pager_text = pn.pane.HTML(self._pager_html, css_classes=["xy-solar-pages"], margin=(22, 5, 0, 5))
        self.prev_button.on_click(lambda _e: self._turn(-1))
        self.next_button.on_click(lambda _e: self._turn(+1))
        self.yield_histogram = YieldHistogram(lang=self.lang)
        self.histogram = pn.pane.Bokeh(
            self.yield_histogram.figure,
            height=220,
            sizing_mode="stretch_width",
            visible=self.has_pv,
        )
        self.hist_note = pn.pane.HTML(
            self._hist_note_html, height=22, sizing_mode="stretch_width", css_classes=["xy-solar-hist-note"], margin=0
        )
        self.downloads = Downloads(
            self.shortlist,
            kind="pv_shortlist",
            lang=self.param.lang,
            get_assumptions=self.assumptions,
            get_qualifiers=self._shortlist_qualifiers,
            park_names=self._park_names,
            disabled=True,
        )
        self.layout = pn.Row(
            pn.Column(
                self.county_select,
                self.park_select,
                self.use_select,
                self.min_kwp_input,
                self.min_yield_input,
                self.suitable_check,
                self.downloads,
                width=260,
            ),
            pn.Column(
                self.notice,
                self.missing,
                self.count,
                self.totals,
                self.table,
                pn.Row(self.prev_button, self.page_input, self.pager_text, self.next_button),
                self.hist_note,
                self.histogram,
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
            css_classes=["xy-solar-tab"],
        )
        self._relabel()
        self.table.param.watch(self._on_table_selection, "selection")
        shared_map.on_tap(self._on_map_tap)
        shared_map.on_gcj02_change(self._refresh_map)

    def __panel__(self) -> pn.viewable.Viewable:
        return self.layout

    def panel(self) -> pn.viewable.Viewable:
        """The tab's layout (kept until the shell stops calling it)."""
        return self.__panel__()

    # -- loading --------------------------------------------------------------------------------
    def prepare(self) -> None:
        """The slow reads of :meth:`load`, safe off the event loop (the app runs this in a worker
        thread first): the shared rooftop table, filter columns and map coordinates (cached per
        project version).  Draws nothing; :meth:`load` reports any error."""
        if not self.has_rooftops:
            return
        _solar_data.rooftop_table(self.project, with_pv=self.has_pv)
        _solar_data.filter_columns(self.project, with_pv=self.has_pv)
        _solar_data.mercator_xy(self.project, with_pv=self.has_pv, gcj02=self.map.gcj02)

    def load(self) -> None:
        """Compute (or fetch from the shared cache) the rooftop table and draw everything; may be slow."""
        if not self.has_rooftops:
            return
        self.layout.loading = True
        try:
            try:
                self.table_frame = _solar_data.rooftop_table(self.project, with_pv=self.has_pv)
            except Exception as exc:  # a failing analysis must not take the app down
                self._pv_error = str(exc)
                self.has_pv = False
                self.table_frame = _solar_data.rooftop_table(self.project, with_pv=False)
            cols = _solar_data.filter_columns(self.project, with_pv=self.has_pv)
            # codes from a URL that this project does not have select nothing: drop them
            self.param.update(
                **{
                    name: ""
                    for name, known in (
                        ("county", cols.counties),
                        ("park", cols.parks),
                        ("use_class", (*USE_CLASSES, *cols.uses)),
                    )
                    if getattr(self, name) not in known
                }
            )
            self._cols = cols
            self._empty_columns = empty_text_columns(cols)
            self._relabel()
            self._apply_fast()
            self._apply_slow()
            self._on_selected()
        finally:
            self.layout.loading = False

    @property
    def filtered(self) -> pd.DataFrame | None:
        """The rooftops passing the filters (rows of :attr:`table_frame`, shortlist order).

        Made on first use after each filter change (a copy of up to a million rows is not
        made for every change); None before :meth:`load`.
        """
        if self.table_frame is None or self.result is None:
            return None
        if self._filtered is None:
            self._filtered = self.table_frame.iloc[self.result.rows]
        return self._filtered

    @filtered.setter
    def filtered(self, value) -> None:  # the app frees a destroyed session's frames by setting None
        self._filtered = value

    # -- filtering ------------------------------------------------------------------------------
    def _filters(self) -> dict:
        return {
            "county": self.county,
            "park": self.park,
            "use_class": self.use_class,
            "min_kwp": self.min_kwp,
            "min_yield": self.min_yield,
            "suitable_only": self.suitable_only,
        }

    @param.depends("county", "park", "use_class", "min_kwp", "min_yield", "suitable_only", watch=True)
    def _on_filter(self) -> None:
        if self._cols is None or self._pending:
            return
        code = self._cols.counties.index(self.county) if self.county in self._cols.counties else -1
        many = len(self._cols.rows[(code, False)]) >= LOADING_ROWS
        if many and _in_session():
            # show the wait first: count and totals greyed with a spinner, the histogram greyed,
            # in the browser before the work starts (the work runs on the next event-loop turn)
            self._pending = True
            self.waiting = True
            self._mark_histogram(stale=True)
            pn.state.execute(self._apply_pending, schedule=True)
        else:
            self._apply_fast()
            pn.state.execute(self._apply_slow, schedule=True)

    def _apply_pending(self) -> None:
        self._pending = False
        self._apply_fast()
        pn.state.execute(self._apply_slow, schedule=True)

    def _apply_fast(self) -> None:
        """Rows, count, totals and the table's first page (what must follow a filter at once)."""
        cols = self._cols
        if cols is None or self.table_frame is None:  # not loaded, or the session was destroyed
            return
        rows = select_rows(cols, **self._filters())
        self._filtered = None
        with pn.io.hold():
            if len(rows) >= LOADING_ROWS and _in_session():
                self._mark_histogram(stale=True)  # replaced in _apply_slow, one turn later
            self.param.update(
                result=Selection(rows, totals(cols, rows, suitable_only=self.suitable_only)), waiting=False
            )
            if self.selected and self._selected_position() < 0:
                self.selected = ""  # the selected rooftop no longer passes the filters
            if self.page != 1:
                self.page = 1  # renders the page (_on_page)
            else:
                self._render_page()
            self.downloads.disabled = len(rows) == 0
            self.downloads.refresh()

    def _apply_slow(self) -> None:
        """Histogram and map of the current rows (may take a while on a million rooftops)."""
        if self.result is None or self.table_frame is None:  # not loaded, or the session was destroyed
            return
        rows = self.result.rows
        with pn.io.hold():
            values = self._cols.numbers.get("kwh_per_kwp") if self.has_pv else None
            self.hist_stale = False
            self.yield_histogram.show(values[rows] if values is not None else np.zeros(0))
            self._refresh_map()

    def _mark_histogram(self, *, stale: bool) -> None:
        """Mark the histogram stale (a note above it) until :meth:`_apply_slow` replaces it.

        Not by redrawing it grey: a second plot render per change delayed the new count in
        the browser by seconds on a million rooftops.  A redraw while stale (language
        switch) draws it grey.
        """
        self.hist_stale = stale

    @param.depends("lang", "hist_stale")
    def _hist_note_html(self) -> str:
        if not self.hist_stale:
            return ""
        return (
            f"<span class='xy-stale xy-hist-stale' role='status' style='color:#789'>{_SPINNER} "
            f"{html.escape(t('pv_hist_stale', self.lang))}</span>"
        )

    def _refresh_map(self) -> None:
        if self._cols is None or self.result is None:
            return
        x, y = _solar_data.mercator_xy(self.project, with_pv=self.has_pv, gcj02=self.map.gcj02)
        rows = self.result.rows
        value = "kwh_per_kwp" if self.has_pv and "kwh_per_kwp" in self._cols.numbers else "area_m2"
        frame = pd.DataFrame({"x": x[rows], "y": y[rows], "value": self._cols.numbers[value][rows]})
        if len(rows) <= VECTOR_LIMIT:  # drawn as points with hover: carry the labels
            cols = self._cols
            frame["id"] = cols.ids[rows]
            frame["name"] = cols.names[rows]
            codes = cols.county_code[rows]
            frame["county"] = np.asarray((*cols.counties, ""), dtype=object)[codes]  # code -1 → ""
        self.map.set_rooftops(
            frame, value="value", label_id="colorbar_yield" if value == "kwh_per_kwp" else "col_area_m2"
        )

    # -- views ----------------------------------------------------------------------------------
    @param.depends("lang", "result", "waiting")
    def _count_html(self) -> str:
        if self.result is None:
            return ""  # nothing before load(): tests and benchmarks wait for .xy-row-count
        n = len(self.result.rows)
        text = html.escape(t("rows", self.lang, n=f"{n:,}"))
        if not self.waiting:
            return f"<span class='xy-row-count' data-rows='{n}'>{text}</span>"
        return (  # the old count, greyed, until the new one replaces it
            f"<span class='xy-row-count xy-stale' data-rows='{n}' style='{_STALE_STYLE}'>{text}</span> "
            f"<span class='xy-solar-wait' role='status'>{_SPINNER} {html.escape(t('loading', self.lang))}</span>"
        )

    @param.depends("lang", "result", "waiting")
    def _totals_html(self) -> str:
        lang = self.lang
        if self.result is None:
            return ""
        sums = self.result.totals
        items = [(t("pv_total_rooftops", lang), f"{int(sums['n']):,}")]
        if "kwp" in sums and self.has_pv:
            items.append((t("pv_total_mwp", lang), _number(sums["kwp"] / 1e3, "one")))
            items.append((t("pv_total_gwh", lang), f"{sums['kwh_per_year'] / 1e6:,.2f}"))
            items.append((t("pv_total_tco2", lang), _number(sums["tco2_per_year"], "int")))
            share = sums.get("share_of_city", float("nan"))
            items.append((t("pv_share_of_city", lang), f"{100.0 * share:.1f} %" if np.isfinite(share) else _NO_VALUE))
        else:
            items.append((t("pv_col_area_m2", lang), _number(sums.get("area_m2", 0.0), "int")))
        cells = "".join(
            f"<div class='xy-total' style='background:#f2f6f8;border-radius:4px;padding:4px 10px'>"
            f"<div style='font-size:12px;color:#456'>{html.escape(k)}</div>"
            f"<div class='xy-total-value' style='font-size:18px;font-weight:700;color:#0b4f6c'>"
            f"{html.escape(v)}</div></div>"
            for k, v in items
        )
        stale = f" xy-stale' style='{_STALE_STYLE}" if self.waiting else ""
        return (
            f"<div class='xy-totals{stale}'><b>{html.escape(t('totals', lang))}</b>"
            f"<div style='display:flex;gap:14px;flex-wrap:wrap'>{cells}</div></div>"
        )

    def _pages(self) -> int:
        n = 0 if self.result is None else len(self.result.rows)
        return max(1, -(-n // PAGE_SIZE))

    @param.depends("lang", "result", "page")
    def _pager_html(self) -> str:
        return html.escape(t("pv_page_of", self.lang, pages=f"{self._pages():,}"))

    def _turn(self, step: int) -> None:
        self.page = min(max(1, self.page + step), self._pages())

    @param.depends("page", watch=True)
    def _on_page(self) -> None:
        if self.page > self._pages():
            self.page = self._pages()
            return
        self._render_page()

    def _render_page(self) -> None:
        """Put the current page of the filtered rows, labelled in the UI language, in the table."""
        if self.table_frame is None or self.result is None:
            return
        start = (self.page - 1) * PAGE_SIZE
        self._page_rows = self.result.rows[start : start + PAGE_SIZE]
        frame = self._display(self._page_rows)
        self._rendering = True
        try:
            self._render_table(frame, start)
        finally:
            self._rendering = False

    def _render_table(self, frame: pd.DataFrame, start: int) -> None:
        with pn.io.hold():
            self.table.value = frame
            position = self._selected_position()
            on_page = position - start if 0 <= position - start < len(self._page_rows) else -1
            self.table.selection = [on_page] if on_page >= 0 else []
            self.prev_button.disabled = self.page <= 1
            self.next_button.disabled = self.page >= self._pages()

    def _display(self, rows: np.ndarray) -> pd.DataFrame:
        """The shown columns of table ``rows`` (a page), from the compact columns: codes as
        labels in the UI language, kWh as MWh, infinities (never pays back) as missing."""
        cols, lang = self._cols, self.lang
        parks = self._park_labels

        def labels(codes, names, label):
            return [label(names[c]) if c >= 0 and names[c] else "" for c in codes[rows]]

        out: dict[str, object] = {}
        for col in _SHOWN:
            if col in self._empty_columns:
                continue
            if col == "id":
                out[col] = cols.ids[rows]
            elif col == "name":
                out[col] = cols.names[rows]
            elif col == "county":
                out[col] = labels(cols.county_code, cols.counties, lambda c: county_label(c, lang))
            elif col == "park_id":
                out[col] = labels(cols.park_code, cols.parks, lambda p: parks.get(p, p))
            elif col == "use_class":
                out[col] = labels(cols.use_code, cols.uses, lambda u: option_label("uc", u, lang))
            else:
                source = "kwh_per_year" if col == "mwh_per_year" else col
                if source in cols.numbers:
                    values = cols.numbers[source][rows]
                    values = np.where(np.isfinite(values), values, np.nan)
                    out[col] = values / 1e3 if col == "mwh_per_year" else values
        return pd.DataFrame(out)

    @property
    def _park_labels(self) -> dict[str, str]:
        """Park id → name in the UI language (read once per language)."""
        if self._park_label_lang != self.lang:
            self._park_label_cache = self._park_names()
            self._park_label_lang = self.lang
        return self._park_label_cache

    def _park_names(self) -> dict[str, str]:
        """Park id → name in the UI language (the Chinese name where there is no English one)."""
        parks = _data.read_layer(self.project, "industrial_parks")
        if parks is None:
            return {}
        names = parks["name"].fillna("").astype(str)
        if self.lang == "en" and "name_en" in parks.columns:
            english = parks["name_en"].fillna("").astype(str)
            names = english.where(english.str.strip() != "", names)
        return dict(zip(parks["id"].astype(str), names, strict=True))

    # -- language -------------------------------------------------------------------------------
    @param.depends("lang", watch=True)
    def _relabel(self) -> None:
        """Label every widget and redraw every text in the current language."""
        lang = self.lang
        with held():
            for widget, msg in (
                (self.county_select, "county"),
                (self.park_select, "park"),
                (self.use_select, "use_class"),
                (self.min_kwp_input, "min_kwp"),
                (self.min_yield_input, "min_yield"),
                (self.suitable_check, "suitable_only"),
                (self.page_input, "pv_page"),
            ):
                widget.label = t(msg, lang)
            for widget in (self.min_kwp_input, self.min_yield_input, self.suitable_check):
                widget.disabled = not self.has_pv
            any_ = t("any", lang)
            self.use_select.options = {any_: "", **{option_label("uc", u, lang): u for u in USE_CLASSES}}
            counties, parks = ((), ()) if self._cols is None else (self._cols.counties, self._cols.parks)
            self.county_select.options = {any_: "", **{county_label(c, lang): c for c in counties if c}}
            names = self._park_labels
            self.park_select.options = {any_: "", **{names.get(p, p): p for p in parks if p}}
            # new formatter objects with the titles: a change of titles alone left the
            # browser's Tabulator headers in the old language
            self.table.param.update(
                titles={c: t(msg, lang) for c, (msg, _kind) in _SHOWN.items()}, formatters=_formatters()
            )
            self.notice.object = t("error", lang, message=self._pv_error)
            self.notice.visible = bool(self._pv_error)
            # the pane passes its figure on as it is: Panel forwards later changes of the
            # pane's ``visible`` to it, not the value the pane was made with
            self.histogram.visible = self.yield_histogram.figure.visible = self.has_pv
            self.missing.object = t("layer_missing", lang, layer=t("layer_rooftops", lang))
            self.prev_button.description = t("pv_prev_page", lang)
            self.next_button.description = t("pv_next_page", lang)
            self.yield_histogram.relabel(lang)
            self.yield_histogram.mark(stale=self.hist_stale)  # redrawn while stale: grey
            if self.result is not None:
                self._render_page()
                self._on_selected()

    # -- selection and linking ------------------------------------------------------------------
    def _selected_position(self) -> int:
        """Position of the selected rooftop in the filtered rows, or -1."""
        if not self.selected or self._cols is None or self.result is None:
            return -1
        row = self._cols.row_of(self.selected)
        rows = self.result.rows
        i = int(np.searchsorted(rows, row))
        return i if row >= 0 and i < len(rows) and rows[i] == row else -1

    def _on_table_selection(self, event) -> None:
        if self._rendering:
            return
        picked = [i for i in event.new if 0 <= i < len(self._page_rows)]
        if picked:
            self.selected = str(self._cols.ids[int(self._page_rows[picked[0]])])
            return
        position = self._selected_position()
        if position >= 0 and position // PAGE_SIZE + 1 == self.page:
            self.selected = ""  # the user deselected the row

    @param.depends("selected", watch=True)
    def _on_selected(self) -> None:
        """Highlight the selected rooftop on the map, show its details and turn the table to it."""
        if self._cols is None:
            return
        row = self._cols.row_of(self.selected)
        if row < 0:
            self.map.select(None)
            self.map.show_details(None)
            if self.table.selection:
                self._rendering = True
                try:
                    self.table.selection = []
                finally:
                    self._rendering = False
            return
        x, y = _solar_data.mercator_xy(self.project, with_pv=self.has_pv, gcj02=self.map.gcj02)
        cols = self._cols
        self.map.select(pd.DataFrame({"x": [x[row]], "y": [y[row]], "id": [cols.ids[row]], "name": [cols.names[row]]}))
        self.map.show_details(self._record(row))
        position = self._selected_position()
        if position >= 0:
            page = position // PAGE_SIZE + 1
            if page != self.page:
                self.page = page  # renders the page with the row selected
            elif self.table.selection != [position % PAGE_SIZE]:
                self.table.selection = [position % PAGE_SIZE]

    def _record(self, row: int) -> dict:
        """The details of rooftop ``row`` (position in the table), labelled and formatted in the UI language."""
        lang = self.lang
        shown = self._display(np.array([row])).iloc[0]
        out = {}
        for col, (msg, kind) in _SHOWN.items():
            if col in shown.index:
                out[t(msg, lang)] = shown[col] if kind == "text" else _number(shown[col], kind)
        if self.has_pv and self._cols.suitable is not None:
            reason = str(self.table_frame["exclusion_reason"].iat[row] or "")
            out[t("pv_suitable", lang)] = (
                t("pv_yes", lang)
                if bool(self._cols.suitable[row])
                else t(_REASON_IDS[reason], lang)
                if reason in _REASON_IDS
                else t("pv_no", lang)
            )
        return out

    def _on_map_tap(self, x: float, y: float) -> None:
        if self.result is None or not len(self.result.rows):
            return
        xs, ys = _solar_data.mercator_xy(self.project, with_pv=self.has_pv, gcj02=self.map.gcj02)
        rows = self.result.rows
        d2 = (xs[rows] - x) ** 2 + (ys[rows] - y) ** 2
        i = int(np.argmin(d2))
        fig = self.map._figure
        span = (fig.x_range.end - fig.x_range.start) if fig is not None and fig.x_range.end is not None else 5000.0
        if d2[i] > (0.02 * span) ** 2:  # nothing within ~2 % of the view width
            return
        self.selected = str(self._cols.ids[int(rows[i])])

    # -- downloads ------------------------------------------------------------------------------
    def _shortlist_qualifiers(self, lang: str) -> list[str]:
        """Words of the download's file name: the county, park, use class and minimum kWp chosen."""
        parts = []
        if self.county:
            parts.append(county_label(self.county, lang))
        if self.park:
            parts.append(self._park_names().get(self.park, self.park))
        if self.use_class:
            parts.append(option_label("uc", self.use_class, lang))
        if self.min_kwp:
            parts.append(f"{'最小' if lang == 'zh' else 'min-'}{self.min_kwp:g}kWp")
        return parts

    def shortlist(self):
        """The filtered rooftops with geometry (GeoDataFrame, EPSG:4326), in rank order."""
        import geopandas as gpd

        filtered = self.filtered
        cols = [c for c in _TABLE_COLUMNS if c in filtered.columns]
        table = pd.DataFrame(filtered[cols]).reset_index(drop=True)
        for col in ("county", "park_id", "use_class"):
            table[col] = table[col].astype(str)
        layer = _data.read_layer(self.project, "rooftops")
        geoms = layer.set_index(layer["id"].astype(str)).geometry
        return gpd.GeoDataFrame(table, geometry=geoms.reindex(table["id"]).to_numpy(), crs=layer.crs)

    def assumptions(self, lang: str | None = None) -> dict:
        """The filters the shortlist was made with and the PV result's assumptions (for exports)."""
        meta = dict(self.table_frame.attrs.get("solar", {})) if self.table_frame is not None else {}
        if not self.has_pv:
            meta["pv_results"] = "none"
        return export_labels.pv_assumptions(
            meta,
            lang or self.lang,
            rows=0 if self.result is None else len(self.result.rows),
            county=self.county,
            park=self._park_names().get(self.park, self.park) if self.park else "",
            use_class=self.use_class,
            min_kwp=self.min_kwp,
            min_kwh_per_kwp=self.min_yield,
            suitable_only=self.suitable_only,
        )


def _formatters() -> dict:
    """Tabulator formatters of the shown columns: text escaped, numbers by kind (no decimals
    for integers), a dash for a missing number."""
    return {
        c: {"type": "plaintext"}
        if kind == "text"
        else NumberFormatter(
            format=_NUMBER_FORMAT[kind], nan_format=_NO_VALUE, null_format=_NO_VALUE, text_align="right"
        )
        for c, (_msg, kind) in _SHOWN.items()
    }


def _in_session() -> bool:
    """True inside a served Bokeh session (where work can wait for the next event-loop turn)."""
    doc = pn.state.curdoc
    return doc is not None and doc.session_context is not None
