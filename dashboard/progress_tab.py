"""Progress tab (进展): indicator cards, timelines against the target path, a status map and
table of the plan's bases, per-county links to the analyses, and a form to add records.

Mount it with ``ProgressTab(project, lang="zh")`` (a :class:`panel.viewable.Viewer`; ``lang``
may be a param reference such as ``app.param.lang``).  The signed-in user is the one given,
else the one the server resolved for this session (:func:`dashboard.auth.session_user`); the
role is looked up in the users file on the server.  Only editors see the form — but hiding
it is a convenience: every write goes through :func:`siting.progress.store.add_records`,
which checks the role again and refuses (``NotAuthorisedError``) anyone else, whatever the
browser sends.  The form's feedback (saving, saved, refused, invalid) appears inside the
form, naming the indicator or base by its label in the UI language.

Why one module over 500 lines: it is one Panel component; the cards, timelines, map,
tables and form share the tab's parameters and refresh together.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import io
import math
import os
import re
import tempfile
from pathlib import Path
from typing import ClassVar

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh.models.widgets.tables import NumberFormatter, StringFormatter
from filelock import FileLock, Timeout

from dashboard._held import held
from dashboard._style import PROGRESS_CSS
from dashboard._widgets import LocalisedTabulator, TextAlert
from dashboard.auth import session_user
from dashboard.i18n import LANGUAGES, MESSAGES, t
from geo.errors import InputError
from layers.export import safe_filename
from layers.project import Project
from siting.progress import store
from siting.progress.arithmetic import today_in_xiangyang
from siting.progress.indicators import INDICATORS
from siting.progress.links import Link, phosphogypsum_routing_link, rooftop_pv_by_county
from siting.progress.status import (
    STATUS_LABELS,
    base_status,
    county_summary,
    indicator_status,
)
from siting.progress.users import NotAuthorisedError, UserStore

_PREFIX = "prog_"
#: message id → (Chinese, English): the tab's part of :data:`dashboard.i18n.MESSAGES` (ids without "prog_")
LABELS: dict[str, tuple[str, str]] = {
    key.removeprefix(_PREFIX): pair for key, pair in MESSAGES.items() if key.startswith(_PREFIX)
}

#: status code → (badge background, badge text colour); every pair has a contrast ≥ 4.5:1
_STATUS_COLOURS = {
    "achieved": ("#1a7f37", "#ffffff"),
    "on_track": ("#0969da", "#ffffff"),
    "behind": ("#9a6700", "#ffffff"),
    "missed": ("#cf222e", "#ffffff"),
    "no_deadline": ("#57606a", "#ffffff"),
    "insufficient_data": ("#6e7781", "#ffffff"),
    "no_data": ("#d0d7de", "#24292f"),
    "no_target": ("#eaeef2", "#24292f"),
}


#: Shown for a missing value in the tables (a base with no record yet).
_NO_VALUE = "–"


def tr(key: str, lang: str, **fields) -> str:
    """The tab's label ``key`` (``prog_KEY`` in :mod:`dashboard.i18n`) in ``lang``, formatted with ``fields``."""
    return t(_PREFIX + key, lang, **fields)


def status_label(status: str, lang: str) -> str:
    """A status code in words."""
    return STATUS_LABELS[status][0 if lang == "zh" else 1]


def vocab_label(prefix: str, code, lang: str) -> str:
    """A coded value (``cat`` base category, ``bs`` build status, ``unit`` unit) in ``lang``;
    empty for a missing value, the code itself when the table has no entry (e.g. ``MW``)."""
    if code is None or (isinstance(code, float) and math.isnan(code)) or code is pd.NA:
        return ""
    key = f"{prefix}_{code}"
    return t(key, lang) if key in MESSAGES else str(code)


def format_number(value: float) -> str:
    """A number as people read it: integers without decimals, others with up to 2 (``1,234.5``)."""
    if value is None or pd.isna(value):
        return ""
    value = float(value)
    if value.is_integer():
        return f"{value:,.0f}"
    text = f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.1f}"
    return text.rstrip("0").rstrip(".")


def format_quantity(value: float, unit: str | None, lang: str) -> str:
    """``value`` with its unit in ``lang``: ``52.5 %``, ``15 个`` / ``15``, ``1,200 吨/年``."""
    text = format_number(value)
    label = "" if unit == "count" and lang == "en" else vocab_label("unit", unit, lang)
    return f"{text} {label}".strip() if text else ""


#: store problem (English, from :mod:`siting.progress._records`) → message id and the fields it takes
_PROBLEMS: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"^empty", "problem_empty"),
        (r"^not a valid date", "problem_date"),
        (r"^in the future \(after (?P<day>[\d-]+)\)", "problem_future"),
        (r"^before (?P<day>[\d-]+)", "problem_early"),
        (r"^not a number", "problem_nan"),
        (r"^not a finite number", "problem_inf"),
        (r"^negative", "problem_negative"),
        (r"^longer than (?P<n>\d+) characters", "problem_long"),
        (r"^(?P<values>.+?) for .+ — a percentage lies in (?P<low>[\d.]+)–(?P<high>[\d.]+)", "problem_pct"),
        (r"^(?P<values>.+?) for .+ — a count is a whole number", "problem_count"),
        (r"^'(?P<src>.*)' does not convert to the target's unit '(?P<dst>.*)'", "problem_unit"),
        (r"^unknown base or indicator", "problem_unknown"),
        (r"^names someone other than", "problem_author"),
    )
)
_PROBLEM_LINE = re.compile(r"^column (?P<column>\w+), (?P<rows>rows? .+?): (?P<what>.*)$")


def describe_problems(text: str, lang: str, *, names: dict[str, str], form: bool) -> str:
    """An :class:`InputError` text of the progress store, for the tab's message box.

    English keeps the store's wording (it names the fix) with target ids replaced by their
    ``names``; Chinese says each problem in Chinese, naming the field (and, for an upload
    with ``form=False``, the rows).  The first line ("WHERE: nothing was written.") is
    dropped: the message says so itself.
    """
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    if lines and lines[0].endswith("nothing was written."):
        lines = lines[1:]
    out = []
    for line in lines:
        match = _PROBLEM_LINE.match(line)
        if lang != "zh":
            for target_id, name in names.items():
                line = line.replace(target_id, name)
            out.append(line.removeprefix("column ") if match is None or not form else _en_form_line(match, names))
            continue
        if match is None:
            out.append(tr("problem_file", lang))
            continue
        field = f"field_{match['column']}"
        where = tr(field, lang) if _PREFIX + field in MESSAGES else tr("field_value", lang)
        if not form:
            rows = match["rows"].split(" ", 1)[1].replace("(and ", "（另 ").replace(" more)", " 行）")
            where = f"{tr('rows', lang, rows=rows)} {where}"
        what = tr("problem_other", lang)
        for pattern, key in _PROBLEMS:
            found = pattern.search(match["what"])
            if found:
                what = tr(key, lang, **found.groupdict())
                break
        out.append(f"{where}：{what}")
    return "；".join(out) if lang == "zh" else "; ".join(out)


def _en_form_line(match: re.Match, names: dict[str, str]) -> str:
    what = match["what"]
    for target_id, name in names.items():
        what = what.replace(target_id, name)
    field = f"{_PREFIX}field_{match['column']}"
    return f"{t(field, 'en') if field in MESSAGES else match['column']}: {what}"


class ProgressTab(pn.viewable.Viewer):
    """The progress tab of one browser session.

    Parameters
    ----------
    project : Project
    lang : {"zh", "en"} or a param reference
    user : str, optional
        The signed-in user; default the session's user resolved by the server
        (:func:`dashboard.auth.session_user`).
    role : {"editor", "viewer"}, optional
        Only decides whether the form is shown; default the user's role in the users file.
        Writes are checked against the users file regardless.
    users_path : path-like, optional
        The users file (default ``DIR/users.json``).
    sign_in : bool, optional
        Whether the server offers ``/login`` (a sign-in link is shown only then); default:
        the users file exists.
    today : date, optional
        The date against which "future" and due targets are judged (default: today, UTC+8).
    """

    lang = param.Selector(default="zh", objects=list(LANGUAGES), allow_refs=True, doc="UI language")
    timeline_target = param.String(default="ind-non-fossil-share", doc="Id of the indicator or base on the timeline")
    revision = param.Integer(default=0, bounds=(0, None), doc="Bumped after every write: the views re-read")

    #: param name → URL query key (synced by the app shell)
    url_params: ClassVar[dict[str, str]] = {"timeline_target": "target"}

    def __init__(
        self,
        project: Project,
        *,
        lang="zh",
        user: str | None = None,
        role: str | None = None,
        users_path: str | os.PathLike | None = None,
        today: dt.date | None = None,
        solar_result: pd.DataFrame | None = None,
        waste_flows: pd.DataFrame | None = None,
        sign_in: bool | None = None,
        **params,
    ):
        super().__init__(lang=lang, **params)
        self.project = project
        self.users = UserStore.for_project(project, users_path)
        self.users_path = self.users.path
        self.user = user if user is not None else session_user()
        self.sign_in = self.users.path.exists() if sign_in is None else sign_in
        self.role = role if role is not None else self.users.role(self.user)
        self.today = today
        self.solar_result = solar_result
        self.waste_flows = waste_flows
        self._solar_why = self._waste_why = ("computing", "")  # (message id, detail)
        self._loaded = False
        # plain text, never HTML or Markdown: messages quote uploaded values (units, ids, file names)
        self.message = TextAlert(
            "", alert_type="light", visible=False, css_classes=["xy-progress-message"], sizing_mode="stretch_width"
        )
        self._refresh_data()
        self._build()
        if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            pn.state.onload(self.load)  # slow analysis results after the page is shown
        else:
            self.load()

    # -- data -------------------------------------------------------------------------
    def _refresh_data(self) -> None:
        today = self.today or today_in_xiangyang()
        self.records = store.read_records(self.project)
        self.indicators = indicator_status(self.project, today=today, records=self.records)
        self.bases = base_status(self.project, today=today, records=self.records)
        self.counties = county_summary(self.project, today=today, bases=self.bases)

    @property
    def is_editor(self) -> bool:
        """Whether to show the form (the write path checks again on every write)."""
        return self.role == "editor"

    def target_names(self, lang: str | None = None) -> dict[str, str]:
        """Id → name (without unit) of every indicator and base a record may name, in ``lang``."""
        zh = (lang or self.lang) == "zh"
        names = {ind.id: ind.name_zh if zh else ind.name_en for ind in INDICATORS}
        if not self.bases.empty:
            labels = self._base_names(zh)
            names.update(dict(zip(self.bases["id"], labels.astype(str), strict=True)))
        return names

    def _base_names(self, zh: bool) -> pd.Series:
        b = self.bases
        if zh:
            return b["name"]
        name_en = b["name_en"].fillna("")
        return name_en.where(name_en != "", b["name"])

    def target_options(self) -> dict[str, str]:
        """Label → id of every indicator and base a record may name."""
        lang = self.lang
        units = {ind.id: ind.unit for ind in INDICATORS}
        if not self.bases.empty:
            units.update(dict(zip(self.bases["id"], self.bases["target_unit"].fillna("").astype(str), strict=True)))
        opts = {}
        for target_id, name in self.target_names(lang).items():
            unit = vocab_label("unit", units.get(target_id) or None, lang)
            opts[f"{name} [{unit}]" if unit else str(name)] = target_id
        return opts

    # -- layout -----------------------------------------------------------------------
    def _heading(self, key: str) -> pn.pane.HTML:
        return pn.pane.HTML(
            pn.bind(lambda lang: f"<h3 class='xy-h3'>{html.escape(tr(key, lang))}</h3>", self.param.lang),
            sizing_mode="stretch_width",
            margin=(10, 5, 0, 5),
        )

    def _build(self) -> None:
        lang = self.lang
        options = self.target_options()
        if self.timeline_target not in options.values():
            self.timeline_target = "ind-non-fossil-share"
        self.timeline_select = pn.widgets.Select(
            label=tr("timeline_target", lang),
            options=options,
            value=self.timeline_target,
            width=360,
            sizing_mode="fixed",
            css_classes=["xy-progress-timeline-target"],
        )
        self.timeline_select.param.watch(self._on_timeline, "value")
        self.timeline_pane = pn.pane.HoloViews(self._timeline_view, sizing_mode="stretch_width", height=300)
        self.user_pane = pn.pane.HTML(self._user_html, css_classes=["xy-progress-user"], sizing_mode="stretch_width")
        self.cards = pn.pane.HTML(self._cards_html, sizing_mode="stretch_width", css_classes=["xy-progress-cards"])
        self.bases_table = LocalisedTabulator(
            self._bases_frame(),
            lang=self.param.lang,
            disabled=True,
            pagination="local",
            page_size=12,
            sizing_mode="stretch_width",
            show_index=False,
            hidden_columns=["id"],
            formatters=self._formatters("bases"),
            css_classes=["xy-progress-bases"],
        )
        self.map_pane = pn.pane.HoloViews(
            self._status_map_view,
            sizing_mode="fixed",  # 360 × 260 px: fits a 400 px screen
            css_classes=["xy-progress-status-map"],
        )
        self.county_table = LocalisedTabulator(
            self._county_frame(),
            lang=self.param.lang,
            disabled=True,
            show_index=False,
            sizing_mode="stretch_width",
            formatters=self._formatters("counties"),
            css_classes=["xy-progress-counties"],
        )
        self.links = pn.pane.HTML(self._links_html(), sizing_mode="stretch_width", css_classes=["xy-progress-links"])
        self.export_button = pn.widgets.FileDownload(
            callback=self._export_csv,
            filename=tr("export_file", lang),
            label=tr("export", lang),
            color="primary",
            variant="outline",
            width=240,
            css_classes=["xy-progress-export"],
        )
        sections = [
            self.user_pane,
            self._heading("indicators"),
            self.cards,
            self._heading("timeline"),
            self.timeline_select,
            self.timeline_pane,
            self._heading("bases"),
            pn.Column(self.map_pane, self.bases_table, sizing_mode="stretch_width", css_classes=["xy-progress-row"])
            if not self.bases.empty
            else TextAlert(pn.bind(lambda lang: tr("no_bases", lang), self.param.lang), alert_type="info"),
            self._heading("counties"),
            self.county_table,
            self._heading("links"),
            self.links,
            self.export_button,
        ]
        if self.is_editor:
            sections.append(self._form())
        self._layout = pn.Column(
            *sections, sizing_mode="stretch_width", css_classes=["xy-progress"], stylesheets=[PROGRESS_CSS]
        )

    def _form(self) -> pn.Column:
        lang = self.lang
        self.form_target = pn.widgets.Select(
            label=tr("target", lang), options=self.target_options(), width=360, css_classes=["xy-progress-target"]
        )
        today = self.today or today_in_xiangyang()
        self.form_date = pn.widgets.TextInput(
            label=tr("date", lang), value=today.isoformat(), width=160, css_classes=["xy-progress-date"]
        )
        self.form_value = pn.widgets.FloatInput(
            label=tr("value", lang), value=None, width=160, css_classes=["xy-progress-value"]
        )
        self.form_unit = pn.widgets.TextInput(
            label=tr("unit", lang), value="", width=200, css_classes=["xy-progress-unit"]
        )
        self.form_note = pn.widgets.TextInput(
            label=tr("note", lang), value="", width=360, css_classes=["xy-progress-note"]
        )
        self.form_submit = pn.widgets.Button(
            label=tr("submit", lang), color="primary", width=160, css_classes=["xy-progress-submit"]
        )
        self.form_submit.on_click(self._on_submit)
        self.form_file = pn.widgets.FileInput(accept=".csv", css_classes=["xy-progress-file"])
        self.form_import = pn.widgets.Button(
            label=tr("import", lang),
            color="primary",
            variant="outline",
            width=160,
            css_classes=["xy-progress-import"],
        )
        self.form_import.on_click(self._on_import)
        self._form_column = pn.Column(
            self._heading("form"),
            pn.FlexBox(self.form_target, self.form_date, self.form_value, self.form_unit, self.form_note),
            pn.FlexBox(self.form_submit, self.form_file, self.form_import, align_items="center"),
            self.message,  # the feedback of this form, right under its buttons
            css_classes=["xy-progress-form"],
            sizing_mode="stretch_width",
        )
        return self._form_column

    def __panel__(self) -> pn.Column:
        return self._layout

    def panel(self) -> pn.Column:
        """The tab's layout (kept for the app shell; same as ``__panel__``)."""
        return self.__panel__()

    def load(self) -> None:
        """Fetch the analysis results shown beside the targets (once; cached by the dashboard).

        Rooftop PV from the dashboard's cached rooftop table (:mod:`dashboard._solar_data`),
        phosphogypsum flows from its cached routing (:func:`dashboard.waste_tab.run_waste`);
        when a module or layer is missing the tab says so instead of showing numbers.
        """
        if self._loaded:
            return
        self._loaded = True
        if self.solar_result is None:
            self.solar_result, self._solar_why = _dashboard_solar(self.project)
        if self.waste_flows is None:
            self.waste_flows, self._waste_why = _dashboard_waste_flows(self.project)
        self._update_tables()

    @param.depends("lang", "revision", watch=True)
    def _update_tables(self) -> None:
        """Everything not bound to a view: widget labels and options, table contents."""
        lang = self.lang
        with held():
            options = self.target_options()
            self.timeline_select.param.update(label=tr("timeline_target", lang), options=options)
            if not self.bases.empty:
                self.bases_table.param.update(value=self._bases_frame(), formatters=self._formatters("bases"))
            self.county_table.param.update(value=self._county_frame(), formatters=self._formatters("counties"))
            self.links.object = self._links_html()
            self.export_button.param.update(label=tr("export", lang), filename=tr("export_file", lang))
            if self.is_editor and hasattr(self, "form_target"):
                self.form_target.param.update(label=tr("target", lang), options=options)
                for key, widget in (
                    ("date", self.form_date),
                    ("value", self.form_value),
                    ("unit", self.form_unit),
                    ("note", self.form_note),
                    ("submit", self.form_submit),
                    ("import", self.form_import),
                ):
                    widget.label = tr(key, lang)

    # -- views ------------------------------------------------------------------------
    @param.depends("lang")
    def _user_html(self) -> str:
        lang = self.lang
        user = self.user
        if not self.sign_in:
            return f"<div>{html.escape(tr('read_only', lang))}</div>"
        if not user or user == "guest":
            return (
                f"<div>{html.escape(tr('guest', lang))} "
                f"<a href='/login?lang={lang}' class='xy-progress-login'>{html.escape(tr('sign_in', lang))}</a></div>"
            )
        role = tr(f"role_{self.role}" if self.role in ("editor", "viewer") else "role_none", lang)
        extra = "" if self.is_editor else f" {html.escape(tr('viewer_note', lang))}"
        return (
            f"<div>{html.escape(tr('signed_in', lang, user=user, role=role))}{extra} "
            f"<a href='/logout' class='xy-progress-logout'>{html.escape(tr('sign_out', lang))}</a></div>"
        )

    @param.depends("lang", "revision")
    def _cards_html(self) -> str:
        lang = self.lang
        cards = []
        for row in self.indicators.itertuples():  # one card per indicator (14), not per record
            name = row.name if lang == "zh" else row.name_en
            if pd.notna(row.latest_value):
                value = format_quantity(row.latest_value, row.unit, lang)
                when = tr("as_of", lang, date=pd.Timestamp(row.latest_date).strftime("%Y-%m-%d"))
            else:
                value, when = tr("no_value", lang), ""
            goal = format_quantity(row.target_value, row.unit, lang)
            target = tr("target_by", lang, value=goal, year=row.target_year)
            background, colour = _STATUS_COLOURS[row.status]
            cards.append(
                f"<div class='xy-card' data-id='{html.escape(row.id)}' data-status='{row.status}'>"
                f"<div class='xy-card-name'>{html.escape(name)}</div>"
                f"<div class='xy-card-value'>{html.escape(value)}</div>"
                f"<div class='xy-card-target'>{html.escape(tr('target_short', lang))} {html.escape(target)}"
                f"{' · ' + html.escape(when) if when else ''}</div>"
                f"<div class='xy-card-context'>{html.escape(row.context_zh if lang == 'zh' else row.context)}</div>"
                f"<span class='xy-badge' style='background:{background};color:{colour}'>"
                f"{html.escape(status_label(row.status, lang))}</span></div>"
            )
        return f"<style>{PROGRESS_CSS}</style><div class='xy-cards'>" + "".join(cards) + "</div>"

    @param.depends("lang", "revision", "timeline_target")
    def _timeline_view(self):
        return self._timeline(self.timeline_target)

    def _timeline(self, target_id: str):
        lang = self.lang
        recs = self.records[self.records["target_id"] == target_id].sort_values(["date", "seq"])
        ind = next((i for i in INDICATORS if i.id == target_id), None)
        path_t, path_v = [], []
        if ind is not None:
            unit = ind.unit
            if ind.baseline_value is not None:
                path_t.append(pd.Timestamp(f"{ind.baseline_year}-12-31"))
                path_v.append(ind.baseline_value)
            elif not recs.empty:
                path_t.append(recs["date"].iloc[0])
                path_v.append(recs["value"].iloc[0])
            for value, year in ind.targets:
                path_t.append(pd.Timestamp(f"{year}-12-31"))
                path_v.append(value)
        else:
            base = self.bases.set_index("id").loc[target_id] if not self.bases.empty else None
            unit = str(base["target_unit"]) if base is not None and pd.notna(base["target_unit"]) else ""
            if base is not None and pd.notna(base["target_value"]) and pd.notna(base["target_year"]):
                if not recs.empty:
                    path_t.append(recs["date"].iloc[0])
                    path_v.append(recs["value"].iloc[0])
                path_t.append(pd.Timestamp(f"{int(base['target_year'])}-12-31"))
                path_v.append(float(base["target_value"]))
        unit = vocab_label("unit", unit or None, lang)
        kdims, vdims = (
            [hv.Dimension("date", label=tr("col_date", lang))],
            [hv.Dimension("value", label=f"{tr('value', lang)} {unit}".strip())],
        )
        data = pd.DataFrame({"date": recs["date"], "value": recs["value"]})
        plot = hv.Curve(data, kdims, vdims, label=tr("records", lang)).opts(color="#0b4f6c") * hv.Scatter(
            data, kdims, vdims
        ).opts(color="#0b4f6c", size=7)
        if path_t:
            path = pd.DataFrame({"date": path_t, "value": path_v})
            plot = plot * hv.Curve(path, kdims, vdims, label=tr("path", lang)).opts(color="#cf222e", line_dash="dashed")
        return plot.opts(responsive=True, height=280, show_grid=True, legend_position="top_left")

    @param.depends("lang", "revision")
    def _status_map_view(self):
        return self._status_map()

    def _status_map(self):
        lang = self.lang
        if self.bases.empty:
            return hv.Points([])
        pts = self.bases.geometry.representative_point()
        frame = pd.DataFrame(
            {
                "lon": pts.x,
                "lat": pts.y,
                "name": self._base_names(lang == "zh"),
                "status": self.bases["status"].map(lambda s: status_label(s, lang)),
                "colour": self.bases["status"].map(lambda s: _STATUS_COLOURS[s][0]),
            }
        )
        layers = []
        if self.project.has("counties"):
            counties = self.project.read("counties", columns=["name"])
            import shapely

            paths = [shapely.get_coordinates(g.boundary) for g in counties.geometry]
            layers.append(hv.Path(paths).opts(color="#8c959f", line_width=1))
        vdims = [
            hv.Dimension("name", label=tr("col_name", lang)),
            hv.Dimension("status", label=tr("col_status", lang)),
            "colour",
        ]
        hover = [(tr("col_name", lang), "@name"), (tr("col_status", lang), "@status")]
        layers.append(
            hv.Points(frame, ["lon", "lat"], vdims).opts(
                color="colour", size=11, tools=["hover"], hover_tooltips=hover, line_color="white"
            )
        )
        # a fixed size that fits a 400 px screen, in the city's shape (2.6° × 1.4° at 32° N)
        return hv.Overlay(layers).opts(width=360, height=260, xlabel=tr("lon", lang), ylabel=tr("lat", lang))

    def _formatters(self, table: str) -> dict:
        lang = self.lang

        def number(fmt: str) -> NumberFormatter:  # a missing number shows as a dash, as in every tab
            return NumberFormatter(format=fmt, nan_format=_NO_VALUE, null_format=_NO_VALUE)

        integer, decimal = number("0,0"), number("0,0.[00]")
        if table == "bases":
            names = {"col_target": decimal, "col_latest": decimal, "col_progress": number("0.[0]")}
            names["col_year"] = number("0")
        else:
            names = {"col_n_bases": integer, "col_behind": integer, "col_kwp": integer, "col_kwh": integer}
        out = {tr(key, lang): fmt for key, fmt in names.items()}
        frame = self.bases_table.value if table == "bases" and hasattr(self, "bases_table") else None
        for col in frame.columns if frame is not None else ():
            out.setdefault(col, StringFormatter())
        return out

    def _bases_frame(self) -> pd.DataFrame:
        lang = self.lang
        if self.bases.empty:
            return pd.DataFrame()
        b = self.bases
        zh = lang == "zh"
        return pd.DataFrame(
            {
                "id": b["id"],  # hidden: the key of the row
                tr("col_name", lang): self._base_names(zh),
                tr("col_county", lang): b["county_name"] if zh else b["county_name_en"],
                tr("col_category", lang): b["category"].map(lambda c: vocab_label("cat", c, lang)),
                tr("col_target", lang): b["target_value"],
                tr("col_unit", lang): b["target_unit"].map(lambda u: vocab_label("unit", u, lang)),
                tr("col_year", lang): b["target_year"].astype("Int64"),
                tr("col_latest", lang): b["latest_value"],
                # no record yet: a dash, not "(null)" or "NaN"
                tr("col_date", lang): pd.to_datetime(b["latest_date"]).dt.strftime("%Y-%m-%d").fillna(_NO_VALUE),
                tr("col_by", lang): b.get("latest_by", pd.Series(index=b.index, dtype=object)).fillna(_NO_VALUE),
                tr("col_progress", lang): b["progress_pct"].round(1),
                tr("col_plan_status", lang): b["base_status"].map(lambda s: vocab_label("bs", s, lang)),
                tr("col_status", lang): b["status"].map(lambda s: status_label(s, lang)),
            }
        )

    def _pv_link(self) -> Link:
        if self.solar_result is not None:
            return rooftop_pv_by_county(
                self.project, solar_result=self.solar_result, bases=None if self.bases.empty else self.bases
            )
        return Link(False, self._why(self._solar_why))

    def _pg_link(self) -> Link:
        if self.waste_flows is not None or not self.project.has("waste_sources"):
            return phosphogypsum_routing_link(
                self.project, flows=self.waste_flows if self.waste_flows is not None else pd.DataFrame()
            )
        return Link(False, self._why(self._waste_why))

    def _why(self, why: tuple[str, str]) -> str:
        """Why a link is missing, in the UI language (the English detail only in English)."""
        key, detail = why
        text = tr(key, self.lang) if key != "computing" else tr("computing", self.lang)
        return f"{text}: {detail}" if detail and self.lang == "en" else text

    def _link_message(self, link: Link) -> str:
        # our own reasons are already in the UI language; the link module's are English
        own = {self._why(self._solar_why), self._why(self._waste_why)}
        return link.message if link.message in own or self.lang == "en" else tr("why_link", self.lang)

    def _county_frame(self) -> pd.DataFrame:
        lang = self.lang
        c = self.counties
        frame = pd.DataFrame(
            {
                tr("col_county", lang): c["county_name"] if lang == "zh" else c["county_name_en"],
                tr("col_n_bases", lang): c["n_bases"],
                tr("col_behind", lang): c["n_behind"],
                tr("col_pilot", lang): c["rooftop_pv_pilot"].map(lambda v: tr("yes" if v else "no", lang)),
            }
        )
        link = self._pv_link()
        if link.available:
            pv = link.frame.set_index("county")
            frame[tr("col_kwp", lang)] = c["county"].map(pv["potential_kwp"]).round(0)
            frame[tr("col_kwh", lang)] = c["county"].map(pv["potential_kwh_per_year"]).round(0)
        return frame

    def _links_html(self) -> str:
        lang = self.lang
        parts = []
        pv = self._pv_link()
        if not pv.available:
            parts.append(tr("unavailable", lang, message=self._link_message(pv)))
        pg = self._pg_link()
        if pg.available:
            v = pg.values
            parts.append(
                tr(
                    "pg_link",
                    lang,
                    used=v["delivered_t_per_year"],
                    produced=v["produced_t_per_year"],
                    pct=v["utilisation_pct"],
                    target=v["target_pct"],
                    year=v["target_year"],
                )
            )
        else:
            parts.append(tr("unavailable", lang, message=self._link_message(pg)))
        return "".join(f"<p>{html.escape(p)}</p>" for p in parts)

    # -- events -----------------------------------------------------------------------
    def _on_timeline(self, event) -> None:
        self.timeline_target = event.new

    @param.depends("timeline_target", watch=True)
    def _select_timeline(self) -> None:
        if self.timeline_select.value != self.timeline_target and self.timeline_target in self.timeline_select.values:
            self.timeline_select.value = self.timeline_target

    def current_user(self) -> str | None:
        """The user to write as: the one given, else the session's signed-in user."""
        return self.user if self.user is not None else session_user()

    def _show(self, text: str, kind: str) -> None:
        self.message.param.update(object=text, alert_type=kind, visible=True)

    def submit(self, target_id: str, date: str, value: float | None, unit: str = "", note: str = "") -> bool:
        """Add one record as the signed-in user (the form's action); True if it was saved.

        Errors are shown in the form's message box, never raised to the browser.  Runs on
        the calling thread; the form's button runs the same write off the event loop.
        """
        return self._finish(*self._write_record(self.current_user(), target_id, date, value, unit, note))

    def import_bytes(self, data: bytes, *, filename: str = "upload.csv") -> bool:
        """Import an uploaded CSV as the signed-in user; True if it was saved."""
        return self._finish(*self._write_import(self.current_user(), data, filename))

    def _refusal(self, user: str | None, lang: str) -> str:
        """Why ``user`` may not write, in ``lang`` (the users file decides, as in the store)."""
        role = self.users.role(user) if user and user != "guest" else None
        if not user or user == "guest":
            return tr("reason_sign_in", lang)
        if role is None:
            return tr("reason_unknown_user", lang, user=user)
        role_label = tr(f"role_{role}" if role in ("editor", "viewer") else "role_none", lang)
        return tr("reason_role", lang, user=user, role=role_label)

    # The two writes below touch no widget: they run on a worker thread while the server's
    # event loop keeps serving (a write may wait minutes for the project lock of an import).
    def _write_record(self, user, target_id, date, value, unit, note) -> tuple[bool, str, str]:
        lang = self.lang
        names = self.target_names(lang)
        label = names.get(target_id, str(target_id))
        try:
            written = store.add_record(
                self.project,
                target_id,
                date,
                value,
                user=user,
                unit=unit or "",
                note=note or "",
                users_path=self.users_path,
            )
        except NotAuthorisedError:
            return False, tr("refused", lang, target=label, reason=self._refusal(user, lang)), "danger"
        except InputError as exc:
            message = describe_problems(str(exc), lang, names=names, form=True)
            return False, tr("invalid", lang, target=label, message=message), "danger"
        row = written.iloc[0]
        value = format_quantity(row["value"], row["unit"] or None, lang)
        return True, tr("added", lang, target=label, date=row["date"], value=value), "success"

    def _write_import(self, user, data: bytes, filename: str) -> tuple[bool, str, str]:
        lang = self.lang
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / safe_filename(filename, default="upload.csv")
            path.write_bytes(data)

            def public(exc: Exception) -> str:  # name the upload, not the server's temporary folder
                return str(exc).replace(f"{tmp}{os.sep}", "")

            try:
                written = store.import_csv(self.project, path, user=user, users_path=self.users_path)
            except NotAuthorisedError:
                return False, tr("refused_import", lang, file=path.name, reason=self._refusal(user, lang)), "danger"
            except InputError as exc:
                message = describe_problems(public(exc), lang, names=self.target_names(lang), form=False)
                return False, tr("invalid_import", lang, file=path.name, message=message), "danger"
        return True, tr("imported", lang, n=len(written)), "success"

    def _finish(self, saved: bool, text: str, kind: str) -> bool:
        if saved:
            self._after_write()
        self._show(text, kind)
        return saved

    async def _off_loop(self, write, pending: str, *args) -> bool:
        """Run ``write(*args)`` on a worker thread and show the outcome; the form waits, the
        server does not: other sessions keep working while this one waits for the lock."""
        buttons = [self.form_submit, self.form_import]
        for button in buttons:
            button.disabled = True
        self._show(tr("waiting_lock", self.lang) if project_lock_busy(self.project) else pending, "info")
        try:
            future = asyncio.get_running_loop().run_in_executor(None, write, *args)
            while not (await asyncio.wait({future}, timeout=1.0))[0]:
                if project_lock_busy(self.project):
                    self._show(tr("waiting_lock", self.lang), "info")
            result = future.result()
        except Exception as exc:  # an unexpected failure is shown, never lost in the server log
            result = (False, tr("error", self.lang, message=str(exc)), "danger")
        finally:
            for button in buttons:
                button.disabled = False
        return self._finish(*result)

    async def _on_submit(self, _event) -> None:
        value = self.form_value.value
        target_id = self.form_target.value
        pending = tr("saving", self.lang, target=self.target_names().get(target_id, str(target_id)))
        await self._off_loop(
            self._write_record,
            pending,
            self.current_user(),
            target_id,
            self.form_date.value,
            np.nan if value is None else value,
            self.form_unit.value,
            self.form_note.value,
        )

    async def _on_import(self, _event) -> None:
        if not self.form_file.value:
            return
        data, name = self.form_file.value, self.form_file.filename or "upload.csv"
        pending = tr("importing", self.lang, file=safe_filename(name, default="upload.csv"))
        await self._off_loop(self._write_import, pending, self.current_user(), data, name)

    def _after_write(self) -> None:
        self._refresh_data()
        self.revision += 1  # the cards, timeline, map and tables re-read the records

    def _export_csv(self) -> io.BytesIO:
        with tempfile.TemporaryDirectory() as tmp:
            path = store.export_records(self.project, Path(tmp) / "progress_records.csv")
            return io.BytesIO(path.read_bytes())


def project_lock_busy(project: Project) -> bool:
    """True if a writer (another process, or another session's save) holds the project's lock.

    Probes ``DIR/.lock`` (the advisory lock of :meth:`layers.project.Project.locked`) without
    waiting.
    """
    lock = Path(project.path) / ".lock"
    if not lock.exists():
        return False
    try:
        with FileLock(lock, blocking=False):
            return False
    except Timeout:
        return True


def _dashboard_solar(project: Project) -> tuple[pd.DataFrame | None, tuple[str, str]]:
    """The dashboard's cached rooftop-PV table, or (None, (message id, detail) of why not)."""
    try:
        from dashboard import _solar_data

        if not project.has("rooftops"):
            return None, ("why_no_rooftops", "")
        return _solar_data.rooftop_table(project, with_pv=True), ("", "")
    except Exception as exc:  # an analysis failure must not take the tab down
        return None, ("why_solar_failed", str(exc))


def _dashboard_waste_flows(project: Project) -> tuple[pd.DataFrame | None, tuple[str, str]]:
    """Phosphogypsum flows from the dashboard's cached routing, or (None, (message id, detail) of why not)."""
    try:
        from dashboard import waste_tab

        if not project.has("waste_sources") or not project.has("roads"):
            return None, ("why_waste_layers", "")
        got = waste_tab.run_waste(project, waste_kind="phosphogypsum", k=0)
        if not isinstance(got, tuple):  # not stored yet: computing in the worker process
            return None, ("why_waste_computing", "")
        routing, _ = got
        return pd.DataFrame(routing.flows.drop(columns="geometry", errors="ignore")), ("", "")
    except Exception as exc:  # an analysis failure must not take the tab down
        return None, ("why_waste_failed", str(exc))
