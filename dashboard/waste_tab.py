"""Waste tab: least-cost routing of one waste kind, facility utilisation, unmet tonnage, and
the what-if "open k new facilities".

Reads the stored results of :func:`siting.waste.route_waste` (k = 0) and
:func:`siting.waste.site_new_facilities` (k ≥ 1) with their defaults (``xysiting run``); one
that is not stored yet is computed once in the server's worker process (:mod:`dashboard._jobs`)
while the affected panes show a loading state and their old figures are greyed as stale;
every other session keeps working (:class:`dashboard._result_view.ResultView`).
Flows are drawn on the shared map along their road routes, line width by t/yr; new sites
appear as their own layer.  Selecting a facility in the table zooms the map to it.
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np
import pandas as pd
import panel as pn
import param
import shapely

from dashboard import _data, export_labels
from dashboard._downloads import Downloads
from dashboard._held import held
from dashboard._result_view import (
    Col,
    ResultView,
    fmt_dec,
    fmt_int,
    fmt_share,
    param_widget,
    result_html,
    result_table,
    show_table,
    stored_or_future,
)
from dashboard._widgets import totals_html
from dashboard.i18n import LIST_SEPARATOR, option_label, t
from dashboard.map import SharedMap
from layers.project import Project
from layers.schema import WASTE_KINDS

#: The facility table: column, header, kind of number or vocabulary.
FACILITY_COLS = (
    Col("facility_name", "col_facility", "text"),
    Col("facility_kind", "col_facility_kind", "vocab", "fk"),
    Col("status", "col_status", "vocab", "fs"),
    Col("capacity_t_per_year", "col_capacity"),
    Col("used_t_per_year", "col_used"),
    Col("utilisation", "col_utilisation_pct", "share"),
    Col("role", "col_role", "vocab", "role"),
)
#: The flow table, largest flow first.
FLOW_COLS = (
    Col("source_name", "col_source", "text"),
    Col("facility_name", "col_facility", "text"),
    Col("t_per_year", "col_t_per_year"),
    Col("km", "col_km", "dec1"),
    Col("tkm", "col_tkm"),
    Col("cost_cny", "col_cost_cny"),
    Col("tco2", "col_tco2", "dec1"),
)
#: The routing's warnings and the what-if's refusal (siting/waste, English) → message id and fields.
_WARNINGS = (
    (re.compile(r"has no (?P<kind>\w+) sources: nothing to route"), "waste_no_sources"),
    (re.compile(r"^(?P<n>\d+) source\(s\) without a location"), "waste_no_location"),
    (re.compile(r"^(?P<n>\d+) source\(s\) farther than (?P<m>[\d,]+) m"), "waste_sources_off_network"),
    (re.compile(r"^no source lies near the road network"), "waste_no_source_near_network"),
    (re.compile(r"^(?P<n>\d+) facility\(ies\) farther than (?P<m>[\d,]+) m"), "waste_facilities_off_network"),
    (re.compile(r"^cannot choose k=(?P<k>\d+) new facilities among (?P<n>\d+) usable"), "waste_too_few_candidates"),
)


def _request(waste_kind: str, k: int) -> tuple[str, dict]:
    if k <= 0:
        return "waste", {"waste_kind": waste_kind}
    return "site", {"waste_kind": waste_kind, "k": int(k)}


@pn.cache(max_items=16)
def _loaded(folder: str, analysis: str, key: str):
    """(routing, siting or None) read from a stored result; shared read-only by sessions."""
    from siting import results

    stored = Project(folder).results.get(analysis, key)
    if analysis == "waste":
        return results.load_routing(stored), None
    siting = results.load_siting(stored)
    return siting.after, siting


def run_waste(project: Project, *, waste_kind: str, k: int):
    """(routing, siting or None) for ``waste_kind`` with ``k`` new facilities, or a Future.

    Stored results (``xysiting run``) are read; one that is not stored is computed in the
    server's worker process (:mod:`dashboard._jobs`) and a :class:`concurrent.futures.Future`
    is returned: call again when it is done.
    """
    analysis, options = _request(waste_kind, int(k))
    return stored_or_future(project, analysis, options, _loaded)


def warning_text(warning: str, lang: str) -> str:
    """A routing warning or what-if error in ``lang`` (the English original when it is not a known one)."""
    for pattern, msg_id in _WARNINGS:
        match = pattern.search(warning)
        if match:
            fields = match.groupdict()
            if "kind" in fields:
                fields["kind"] = option_label("wk", fields["kind"], lang)
            return t(msg_id, lang, **fields)
    return warning


class WasteTab(ResultView):
    """The waste tab of one session (module docstring); it draws flows and new facilities on the shared map."""

    waste_kind = param.Selector(default=WASTE_KINDS[0], objects=list(WASTE_KINDS), doc="Waste kind routed")
    k = param.Integer(default=0, bounds=(0, 10), doc="New facilities to open (what-if; 0: routing only)")
    facility = param.String(default="", doc="Selected facility id ('' for none)")

    url_params: ClassVar[dict[str, str]] = {"waste_kind": "waste", "k": "k", "facility": "facility"}
    inputs: ClassVar[tuple[str, ...]] = ("waste_kind", "k")
    run = staticmethod(run_waste)
    selection: ClassVar[tuple[str, str]] = ("facility", "facility_id")
    needs_layers: ClassVar[tuple[str, ...]] = ("waste_sources", "facilities")
    missing_layer_msg: ClassVar[str] = "layer_waste_sources"

    def __init__(self, project: Project, shared_map: SharedMap, **params):
        super().__init__(project, shared_map, **params)
        self.kind_input = param_widget(self.param.waste_kind, css_class="xy-waste-kind")
        self.k_input = param_widget(self.param.k, pn.widgets.IntInput, css_class="xy-waste-k")
        self.totals = result_html("xy-waste-totals-pane")
        self.facility_title = pn.pane.HTML("")
        self.facility_table = result_table("xy-waste-facilities", lang=self.param.lang)
        self.flow_title = pn.pane.HTML("")
        self.flow_table = result_table("xy-waste-flows", lang=self.param.lang)
        self.result_panes = [self.totals, self.facility_table, self.flow_table]
        self.downloads = [
            Downloads(
                lambda: self._frame("flows"),
                kind="waste_flows",
                lang=self.param.lang,
                get_assumptions=self._assumptions,
                get_qualifiers=self._qualifiers,
                labels={"csv.zip": "download_flows"},
                css_prefix="xy-download-flows",
            ),
            Downloads(
                lambda: self._frame("facility_use"),
                kind="waste_facilities",
                lang=self.param.lang,
                get_assumptions=self._assumptions,
                get_qualifiers=self._qualifiers,
                labels={"xlsx": "download_facilities"},
                css_prefix="xy-download-facilities",
            ),
        ]
        self.layout = pn.Row(
            pn.Column(self.kind_input, self.k_input, *self.downloads, width=260),
            pn.Column(
                self.message,
                self.totals,
                self.facility_title,
                self.facility_table,
                self.flow_title,
                self.flow_table,
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
            css_classes=["xy-waste-tab"],
        )
        self._link_selection(self.facility_table)
        shared_map.on_gcj02_change(self._draw)
        self._relabel()

    # -- the result shown
    @property
    def routing(self):
        """The :class:`siting.waste.WasteRouting` shown (None before one arrives)."""
        return None if self.result is None else self.result[0]

    @routing.setter
    def routing(self, value) -> None:  # the app clears it when its session ends
        if value is None:
            self.result = None

    @property
    def siting(self):
        """The :class:`siting.waste.SitingResult` shown when k ≥ 1, else None."""
        return None if self.result is None else self.result[1]

    @siting.setter
    def siting(self, value) -> None:
        if value is None and self.result is not None:
            self.result = (self.result[0], None)

    # -- views
    @param.depends("lang", watch=True)
    def _relabel(self) -> None:
        lang = self.lang
        with held():
            self.kind_input.param.update(
                name=t("waste_kind", lang), options={option_label("wk", k, lang): k for k in WASTE_KINDS}
            )
            self.k_input.name = t("open_new", lang)
            self.facility_title.object = f"<b>{t('utilisation', lang)}</b>"
            self.flow_title.object = f"<b>{t('flows', lang)}</b>"

    @param.depends("result", "lang", watch=True)
    def _show(self) -> None:
        lang = self.lang
        r = self.routing
        with held():
            self.totals.object = "" if r is None else self._totals_html(r, lang)
            show_table(self.facility_table, None if r is None else self._named(r.facility_use), FACILITY_COLS, lang)
            flows = None
            if r is not None:
                flows = self._named(r.flows).sort_values("t_per_year", ascending=False, kind="mergesort")
            show_table(self.flow_table, flows, FLOW_COLS, lang)
            self._show_notes()
            self._select_row()
        self._draw()

    def _totals_html(self, r, lang: str) -> str:
        tot = r.totals
        items = [
            (t("total_flow", lang), fmt_int(tot["delivered_t_per_year"])),
            (t("utilised_flow", lang), fmt_int(tot["utilised_t_per_year"])),
            (t("stored_flow", lang), fmt_int(tot["stored_t_per_year"])),
            (t("utilisation_rate", lang), fmt_share(tot["utilisation_share"])),
            (t("unmet", lang), fmt_int(tot["unmet_t_per_year"])),
            (t("total_tkm", lang), fmt_int(tot["tkm_per_year"])),
            (t("transport_tco2", lang), fmt_dec(tot["tco2_per_year"])),
        ]
        if self.siting is not None:
            names = self._named(self.siting.chosen.rename(columns={"id": "facility_id", "name": "facility_name"}))
            items.append((t("new_facilities", lang), LIST_SEPARATOR[lang].join(names["facility_name"].astype(str))))
        return totals_html(t("totals", lang), items, css_class="xy-waste-totals")

    def _named(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with facility and source names in the UI language (English where the layer has one)."""
        frame = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
        if self.lang == "zh":
            return frame
        for id_col, name_col, kind in (
            ("facility_id", "facility_name", "facilities"),
            ("source_id", "source_name", "waste_sources"),
        ):
            layer = _data.read_layer(self.project, kind)
            if id_col in frame and name_col in frame and layer is not None and "name_en" in layer:
                english = layer.set_index(layer["id"].astype(str))["name_en"]
                english = english[english.notna() & (english.astype(str).str.strip() != "")].astype(str)
                found = frame[id_col].astype(str).map(english)
                frame[name_col] = found.where(found.notna(), frame[name_col])
        return frame

    def _show_notes(self) -> None:
        if self.error:
            return  # the error stays (ResultView._show_error)
        r = self.routing
        warnings = [] if r is None else [self._say(w, self.lang) for w in r.warnings]
        self.message.param.update(object="\n".join(warnings), alert_type="warning", visible=bool(warnings))

    def _say(self, text: str, lang: str) -> str:
        return warning_text(text, lang)

    # -- selection
    def _selectable(self):
        return None if self.routing is None else self.routing.facility_use

    def _focus(self, frame, row) -> None:
        """Highlight the facility on the map and zoom to 2 km around it."""
        if row is None:
            self.map.select(None)
            return
        point = frame.geometry.iloc[row]
        x, y = _data.points_to_mercator([point.x], [point.y], gcj02=self.map.gcj02)
        name = str(self._named(frame)["facility_name"].iloc[row])
        self.map.select(pd.DataFrame({"x": x, "y": y, "id": [self.facility], "name": [name]}))
        self.map.zoom_to((x[0] - 2000.0, y[0] - 2000.0, x[0] + 2000.0, y[0] + 2000.0))

    # -- the shared map
    def _draw(self) -> None:
        r = self.routing
        if r is None or not len(r.flows):
            self.map.set_layer("flows", None)
        else:
            flows = r.flows
            # routes come as many road edges: merge them into one line per flow, so the
            # browser gets a path per flow instead of one per edge
            merged = shapely.line_merge(np.asarray(flows.geometry.values, dtype=object))
            geoms = _data.geometries_to_mercator(merged, gcj02=self.map.gcj02)
            geoms = shapely.simplify(geoms, 20.0)  # 20 m in Web Mercator: invisible at city scale
            named = self._named(flows)
            attrs = pd.DataFrame(
                {
                    "t_per_year": flows["t_per_year"].to_numpy(dtype=float),
                    "source_name": named["source_name"].astype(str).to_numpy(),
                    "facility_name": named["facility_name"].astype(str).to_numpy(),
                }
            )
            self.map.set_layer("flows", _data.paths_data(geoms, attrs=attrs))
        if self.siting is None or not len(self.siting.chosen):
            self.map.set_layer("new_facilities", None)
        else:
            chosen = self.siting.chosen
            pts = shapely.point_on_surface(np.asarray(chosen.geometry.values, dtype=object))
            x, y = _data.points_to_mercator(shapely.get_x(pts), shapely.get_y(pts), gcj02=self.map.gcj02)
            self.map.set_layer(
                "new_facilities",
                pd.DataFrame(
                    {
                        "x": x,
                        "y": y,
                        "name": chosen["name"].astype(str).to_numpy(),
                        "used_t_per_year": chosen.get(
                            "used_t_per_year", pd.Series(np.nan, index=chosen.index)
                        ).to_numpy(dtype=float),
                    }
                ),
            )

    # -- downloads (dashboard/_downloads.py takes these over)
    def _frame(self, what: str):
        """The rows a download writes: those of the tab's table, in its order (flows by t/yr)."""
        r = self.routing
        if r is None:
            return None
        frame = getattr(r, what)
        if what == "flows" and len(frame):
            frame = frame.sort_values("t_per_year", ascending=False)  # as the flows table
        return frame

    def _assumptions(self, lang: str | None = None) -> dict:
        """Rates, CO₂ factor, objective and totals behind the routing shown (for exports)."""
        k = self.k or 0
        return export_labels.waste_assumptions(
            self.routing, waste_kind=self.waste_kind, k=k, analysis="site" if k else "waste"
        )

    def _qualifiers(self, lang: str) -> list[str]:
        """Words of the download's file names: the waste kind and the what-if's k."""
        k = self.k or 0
        return [option_label("wk", self.waste_kind, lang), *([f"k{k}"] if k else [])]
