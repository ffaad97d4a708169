"""Waste tab: least-cost routing of one waste kind, facility utilisation, unmet tonnage, and
the what-if "open k new facilities".

Reads the stored results of :func:`siting.waste.route_waste` (k = 0) and
:func:`siting.waste.site_new_facilities` (k ≥ 1) with their defaults (``xysiting run``); one
that is not stored yet is computed once in the server's worker process (:mod:`dashboard._jobs`)
while the tab shows a loading state and every other session keeps working.
Flows are drawn on the shared map along their road routes, line width by t/yr; new sites
appear as their own layer.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future

import numpy as np
import pandas as pd
import panel as pn
import shapely

from dashboard import _data, export_labels
from dashboard._downloads import Downloads
from dashboard._widgets import TextAlert, plain_formatters, totals_html
from dashboard.i18n import option_label, t
from dashboard.map import SharedMap
from layers.project import Project
from layers.schema import WASTE_KINDS


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
    from dashboard._jobs import shared_jobs

    analysis, options = _request(waste_kind, int(k))
    got = shared_jobs().get(project.path, analysis, options)
    if isinstance(got, Future):
        return got
    return _loaded(str(project.path), analysis, got.key)


class WasteTab:
    """The waste tab of one session (see module docstring)."""

    def __init__(self, project: Project, shared_map: SharedMap, *, lang: str = "zh"):
        self.project = project
        self.map = shared_map
        self.lang = lang
        self.routing = None
        self.siting = None
        self._asked = None
        self._settled = threading.Event()  # set once the result asked for last is shown
        self.ready = project.has("waste_sources") and project.has("facilities")
        self.kind = pn.widgets.Select(
            label=t("waste_kind", lang),
            options=self._kind_options(),
            value=WASTE_KINDS[0],
            width=240,
            css_classes=["xy-waste-kind"],
        )
        self.k = pn.widgets.IntInput(
            label=t("open_new", lang), value=0, start=0, end=10, width=240, css_classes=["xy-waste-k"]
        )
        self.message = TextAlert("", alert_type="info", visible=False)  # warnings quote layer names
        self.totals = pn.pane.HTML("", sizing_mode="stretch_width")
        self.facility_title = pn.pane.HTML("")
        self.facility_table = pn.widgets.Tabulator(
            pd.DataFrame(),
            disabled=True,
            show_index=False,
            pagination="remote",
            page_size=8,
            sizing_mode="stretch_width",
            css_classes=["xy-waste-facilities"],
        )
        self.flow_title = pn.pane.HTML("")
        self.flow_table = pn.widgets.Tabulator(
            pd.DataFrame(),
            disabled=True,
            show_index=False,
            pagination="remote",
            page_size=8,
            sizing_mode="stretch_width",
            css_classes=["xy-waste-flows"],
        )
        self.downloads = [
            Downloads(
                lambda: self._frame("flows"),
                kind="waste_flows",
                lang=lang,
                get_assumptions=self._assumptions,
                get_qualifiers=self._qualifiers,
                labels={"csv.zip": "download_flows"},
                css_prefix="xy-download-flows",
            ),
            Downloads(
                lambda: self._frame("facility_use"),
                kind="waste_facilities",
                lang=lang,
                get_assumptions=self._assumptions,
                get_qualifiers=self._qualifiers,
                labels={"xlsx": "download_facilities"},
                css_prefix="xy-download-facilities",
            ),
        ]
        self.layout = pn.Row(
            pn.Column(self.kind, self.k, *self.downloads, width=260),
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
        self._label()
        self.kind.param.watch(self._on_change, "value")
        self.k.param.watch(self._on_change, "value")
        shared_map.on_gcj02_change(self._draw)

    def load(self) -> None:
        """Route the default waste kind (slow on big networks: under a spinner)."""
        if not self.ready:
            self.message.object = t("layer_missing", self.lang, layer=t("layer_waste_sources", self.lang))
            self.message.visible = True
            return
        self._compute()

    def _on_change(self, *_events) -> None:
        if self.ready:
            self._compute()

    def _compute(self) -> None:
        """Show the stored result, or start its computation off the event loop and wait for it."""
        from dashboard._jobs import deliver

        self._asked = asked = (self.kind.value, self.k.value or 0)
        self._settled.clear()
        self.layout.loading = True
        deliver(
            lambda: run_waste(self.project, waste_kind=asked[0], k=asked[1]),
            self._apply,
            wanted=lambda: self._asked == asked,
        )

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the result asked for last is shown (tests and scripts); False on timeout."""
        return self._settled.wait(timeout)

    def _apply(self, got, error: Exception | None) -> None:
        self.layout.loading = False
        if error is not None:
            self.routing, self.siting = None, None
            self.message.object = t("error", self.lang, message=str(error))
            self.message.alert_type = "danger"
            self.message.visible = True
        else:
            self.routing, self.siting = got
            self.message.visible = bool(self.routing.warnings)
            self.message.alert_type = "warning"
            self.message.object = "\n".join(self.routing.warnings)
        self._show()
        self._settled.set()

    def _show(self) -> None:
        lang = self.lang
        r = self.routing
        with pn.io.hold():
            if r is None:
                self.totals.object = ""
                self.facility_table.value = pd.DataFrame()
                self.flow_table.value = pd.DataFrame()
                self._draw()
                return
            tot = r.totals
            items = [
                (t("total_flow", lang), f"{tot['delivered_t_per_year']:,.0f}"),
                (t("utilised_flow", lang), f"{tot['utilised_t_per_year']:,.0f}"),
                (t("stored_flow", lang), f"{tot['stored_t_per_year']:,.0f}"),
                (t("utilisation_rate", lang), f"{100.0 * tot['utilisation_share']:.1f} %"),
                (t("unmet", lang), f"{tot['unmet_t_per_year']:,.0f}"),
                (t("total_tkm", lang), f"{tot['tkm_per_year']:,.0f}"),
                ("tCO₂/yr", f"{tot['tco2_per_year']:,.1f}"),
            ]
            if self.siting is not None:
                items.append((t("new_facilities", lang), str(self.siting.gain.get("chosen", ""))))
            self.totals.object = totals_html(t("totals", lang), items, css_class="xy-waste-totals")
            use = pd.DataFrame(r.facility_use.drop(columns="geometry", errors="ignore"))
            cols = [
                c
                for c in (
                    "facility_name",
                    "facility_kind",
                    "status",
                    "capacity_t_per_year",
                    "used_t_per_year",
                    "utilisation",
                    "role",
                )
                if c in use
            ]
            use = use[cols].copy()
            if "utilisation" in use:
                use["utilisation"] = (use["utilisation"] * 100).round(1)
            self.facility_table.formatters = plain_formatters(use)
            self.facility_table.titles = {
                "facility_name": t("col_facility", lang),
                "capacity_t_per_year": t("col_capacity", lang),
                "used_t_per_year": t("col_used", lang),
                "utilisation": t("col_utilisation", lang) + " %",
            }
            self.facility_table.value = use
            flows = pd.DataFrame(r.flows.drop(columns="geometry", errors="ignore"))
            cols = [
                c for c in ("source_name", "facility_name", "t_per_year", "km", "tkm", "cost_cny", "tco2") if c in flows
            ]
            flows = flows[cols].sort_values("t_per_year", ascending=False) if len(flows) else flows[cols]
            self.flow_table.formatters = plain_formatters(flows)
            self.flow_table.titles = {
                "source_name": t("col_source", lang),
                "facility_name": t("col_facility", lang),
                "t_per_year": t("col_t_per_year", lang),
                "km": t("col_km", lang),
            }
            self.flow_table.value = flows
            self._draw()

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
            attrs = pd.DataFrame(
                {
                    "t_per_year": flows["t_per_year"].to_numpy(dtype=float),
                    "source_name": flows["source_name"].astype(str).to_numpy(),
                    "facility_name": flows["facility_name"].astype(str).to_numpy(),
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
        k = self.k.value or 0
        return export_labels.waste_assumptions(
            self.routing, waste_kind=self.kind.value, k=k, analysis="site" if k else "waste"
        )

    def _qualifiers(self, lang: str) -> list[str]:
        """Words of the download's file names: the waste kind and the what-if's k."""
        k = self.k.value or 0
        return [option_label("wk", self.kind.value, lang), *([f"k{k}"] if k else [])]

    def _kind_options(self) -> dict[str, str]:
        return {option_label("wk", k, self.lang): k for k in WASTE_KINDS}

    def _label(self) -> None:
        lang = self.lang
        self.facility_title.object = f"<b>{t('utilisation', lang)}</b>"
        self.flow_title.object = f"<b>{t('flows', lang)}</b>"
        for downloads in self.downloads:
            downloads.lang = lang

    def set_language(self, lang: str) -> None:
        """Relabel every widget and table in ``lang``."""
        self.lang = lang
        self.kind.label = t("waste_kind", lang)
        value = self.kind.value
        self.kind.options = self._kind_options()
        self.kind.value = value
        self.k.label = t("open_new", lang)
        self._label()
        self._show()

    def panel(self):
        """The tab's layout."""
        return self.layout
