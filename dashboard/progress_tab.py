"""Progress tab (进展): indicator cards, timelines against the target path, a status map and
table of the plan's bases, per-county links to the analyses, and a form to add records.

Mount it with ``ProgressTab(project, lang="zh").panel()``.  The signed-in user is the one
given, else the one the server resolved for this session (:func:`dashboard.auth.session_user`);
the role is looked up in the users file on the server.  Only editors
see the form — but hiding it is a convenience: every write goes through
:func:`siting.progress.store.add_records`, which checks the role again and refuses
(``NotAuthorisedError``) anyone else, whatever the browser sends.

Why one module over 500 lines: it is one Panel component; the cards, timelines, map,
tables and form share the tab's parameters and refresh together.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import io
import os
import tempfile
from pathlib import Path

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param
from filelock import FileLock, Timeout

from dashboard._widgets import TextAlert
from dashboard.auth import session_user
from dashboard.i18n import t
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

#: message id → (Chinese, English)
LABELS: dict[str, tuple[str, str]] = {
    "title": ("规划进展", "Plan progress"),
    "indicators": ("城市指标", "City indicators"),
    "timeline": ("进展曲线", "Timeline"),
    "timeline_target": ("选择指标或基地", "Indicator or base"),
    "bases": ("基地与项目", "Bases and projects"),
    "map": ("基地状态图", "Status map of bases"),
    "counties": ("分县情况", "By county"),
    "links": ("与分析结果对照", "Beside the analyses"),
    "form": ("新增进展记录", "Add a progress record"),
    "target": ("指标/基地", "Indicator / base"),
    "date": ("日期 (YYYY-MM-DD)", "Date (YYYY-MM-DD)"),
    "value": ("数值", "Value"),
    "unit": ("单位（留空为目标单位）", "Unit (empty: the target's unit)"),
    "note": ("备注", "Note"),
    "submit": ("提交记录", "Add record"),
    "import": ("导入 CSV", "Import CSV"),
    "export": ("导出全部记录 (CSV)", "Export all records (CSV)"),
    "added": ("已保存：{target} {date} = {value} {unit}", "Saved: {target} {date} = {value} {unit}"),
    "imported": ("已导入 {n} 条记录", "Imported {n} records"),
    "saving": ("正在保存…", "Saving…"),
    "waiting_lock": (
        "正在等待项目锁（另一个导入或保存正在进行）…",
        "Waiting for the project lock (another import or save is running)…",
    ),
    "refused": ("无权写入：{message}", "Not allowed: {message}"),
    "invalid": ("输入有误，未写入：{message}", "Invalid input, nothing written: {message}"),
    "signed_in": ("当前用户：{user}（{role}）", "Signed in as {user} ({role})"),
    "guest": ("访客只读。编辑人员请登录后新增记录。", "Read-only for guests. Editors sign in to add records."),
    "sign_in": ("登录", "Sign in"),
    "read_only": (
        "只读：此服务器未启用登录，请用 xysiting progress 命令新增记录。",
        "Read-only: this server has no sign-in; add records with the xysiting progress command.",
    ),
    "sign_out": ("退出", "Sign out"),
    "viewer_note": (
        "查看者只读；需要编辑权限请联系管理员。",
        "Viewers read only; ask an administrator for editor rights.",
    ),
    "role_editor": ("编辑", "editor"),
    "role_viewer": ("查看", "viewer"),
    "role_none": ("未授权", "no role"),
    "latest": ("最新", "Latest"),
    "target_short": ("目标", "Target"),
    "no_value": ("暂无", "none yet"),
    "path": ("目标路径", "Target path"),
    "records": ("记录", "Records"),
    "no_bases": ("本项目没有“基地与项目”图层。", "This project has no bases layer."),
    "col_name": ("名称", "Name"),
    "col_county": ("县区", "County"),
    "col_category": ("类别", "Category"),
    "col_target": ("目标", "Target"),
    "col_unit": ("单位", "Unit"),
    "col_year": ("年份", "Year"),
    "col_latest": ("最新值", "Latest"),
    "col_date": ("日期", "Date"),
    "col_by": ("来源/录入人", "Source / entered by"),
    "col_progress": ("完成 %", "Done %"),
    "col_status": ("状态", "Status"),
    "col_plan_status": ("建设状态", "Build status"),
    "col_n_bases": ("基地数", "Bases"),
    "col_behind": ("滞后", "Behind"),
    "col_pilot": ("整县屋顶光伏试点", "Whole-county rooftop PV pilot"),
    "col_kwp": ("屋顶光伏潜力 kWp", "Rooftop PV potential kWp"),
    "col_kwh": ("年发电潜力 kWh", "Potential kWh/yr"),
    "pg_link": (
        "磷石膏调运：送往综合利用 {used:,.0f} t/年，占产生量 {produced:,.0f} t/年 的 "
        "{pct:.1f}%（{year} 年目标 {target:.0f}%）",
        "Phosphogypsum routing: {used:,.0f} t/yr delivered to utilisation, {pct:.1f}% of "
        "{produced:,.0f} t/yr produced (target {target:.0f}% by {year})",
    ),
    "unavailable": ("暂不可用：{message}", "Not available: {message}"),
    "computing": ("正在读取分析结果…", "Reading the analysis results…"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
}

_STATUS_COLOURS = {
    "achieved": "#1a7f37",
    "on_track": "#2f81f7",
    "behind": "#d29922",
    "missed": "#cf222e",
    "no_deadline": "#6e7781",
    "insufficient_data": "#8c959f",
    "no_data": "#afb8c1",
    "no_target": "#d0d7de",
}

_CSS = """
.xy-card { border: 1px solid #d0d7de; border-radius: 6px; padding: 6px 10px; margin: 4px;
  width: 230px; background: #fff; }
.xy-card-name { font-size: 12px; color: #345; min-height: 32px; }
.xy-card-value { font-size: 20px; font-weight: 700; color: #0b4f6c; }
.xy-card-target { font-size: 12px; color: #555; }
.xy-badge { display: inline-block; border-radius: 10px; padding: 0 8px; color: #fff; font-size: 12px; }
"""


def tr(key: str, lang: str, **fields) -> str:
    """The label ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``fields``."""
    text = LABELS[key][0 if lang == "zh" else 1]
    return text.format(**fields) if fields else text


def status_label(status: str, lang: str) -> str:
    """A status code in words."""
    return STATUS_LABELS[status][0 if lang == "zh" else 1]


class ProgressTab(param.Parameterized):
    """The progress tab of one browser session.

    Parameters
    ----------
    project : Project
    lang : {"zh", "en"}
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

    lang = param.Selector(default="zh", objects=["zh", "en"])
    timeline_target = param.String(default="ind-non-fossil-share")

    def __init__(
        self,
        project: Project,
        *,
        lang: str = "zh",
        user: str | None = None,
        role: str | None = None,
        users_path: str | os.PathLike | None = None,
        today: dt.date | None = None,
        solar_result: pd.DataFrame | None = None,
        waste_flows: pd.DataFrame | None = None,
        sign_in: bool | None = None,
    ):
        super().__init__(lang=lang)
        self.project = project
        self.users = UserStore.for_project(project, users_path)
        self.users_path = self.users.path
        self.user = user if user is not None else session_user()
        self.sign_in = self.users.path.exists() if sign_in is None else sign_in
        self.role = role if role is not None else self.users.role(self.user)
        self.today = today
        self.solar_result = solar_result
        self.waste_flows = waste_flows
        self._solar_message = self._waste_message = ""
        self._loaded = False
        # plain text, never HTML or Markdown: messages quote uploaded values (units, ids, file names)
        self.message = TextAlert(
            "", alert_type="light", visible=False, css_classes=["xy-progress-message"], sizing_mode="stretch_width"
        )
        self._root = pn.Column(sizing_mode="stretch_width", css_classes=["xy-progress"], stylesheets=[_CSS])
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

    def target_options(self) -> dict[str, str]:
        """Label → id of every indicator and base a record may name."""
        zh = self.lang == "zh"
        opts = {f"{ind.name_zh if zh else ind.name_en} [{ind.unit}]": ind.id for ind in INDICATORS}
        if not self.bases.empty:
            names = (
                self.bases["name"]
                if zh
                else self.bases["name_en"].fillna("").where(self.bases["name_en"].fillna("") != "", self.bases["name"])
            )
            units = self.bases["target_unit"].fillna("").astype(str)
            for base_id, name, unit in zip(self.bases["id"], names, units, strict=True):
                opts[f"{name} [{unit}]" if unit else str(name)] = base_id
        return opts

    # -- layout -----------------------------------------------------------------------
    def _build(self) -> None:
        lang = self.lang
        self.timeline_select = pn.widgets.Select(
            label=tr("timeline_target", lang),
            options=self.target_options(),
            value=self.timeline_target
            if self.timeline_target in self.target_options().values()
            else "ind-non-fossil-share",
            width=360,
            css_classes=["xy-progress-timeline-target"],
        )
        self.timeline_select.param.watch(self._on_timeline, "value")
        self.timeline_pane = pn.pane.HoloViews(
            self._timeline(self.timeline_select.value), sizing_mode="stretch_width", height=300
        )
        self.cards = pn.pane.HTML(self._cards_html(), sizing_mode="stretch_width", css_classes=["xy-progress-cards"])
        self.bases_table = pn.widgets.Tabulator(
            self._bases_frame(),
            disabled=True,
            pagination="local",
            page_size=12,
            sizing_mode="stretch_width",
            show_index=False,
            css_classes=["xy-progress-bases"],
        )
        self.map_pane = pn.pane.HoloViews(self._status_map(), height=380, width=520)
        self.county_table = pn.widgets.Tabulator(
            self._county_frame(),
            disabled=True,
            show_index=False,
            sizing_mode="stretch_width",
            css_classes=["xy-progress-counties"],
        )
        self.links = pn.pane.HTML(self._links_html(), sizing_mode="stretch_width", css_classes=["xy-progress-links"])
        self.export_button = pn.widgets.FileDownload(
            callback=self._export_csv,  # machine headers: the file is re-imported; its name follows the language
            filename=safe_filename(t("file_progress_records", lang) + ".csv"),
            label=tr("export", lang),
            color="light",
            width=240,
            css_classes=["xy-progress-export"],
        )
        sections = [
            pn.pane.HTML(self._user_html(), css_classes=["xy-progress-user"]),
            self.message,
            pn.pane.Markdown(f"### {tr('indicators', lang)}"),
            self.cards,
            pn.pane.Markdown(f"### {tr('timeline', lang)}"),
            self.timeline_select,
            self.timeline_pane,
            pn.pane.Markdown(f"### {tr('bases', lang)}"),
            pn.Row(self.map_pane, self.bases_table, sizing_mode="stretch_width")
            if not self.bases.empty
            else pn.pane.Alert(tr("no_bases", lang), alert_type="info"),
            pn.pane.Markdown(f"### {tr('counties', lang)}"),
            self.county_table,
            pn.pane.Markdown(f"### {tr('links', lang)}"),
            self.links,
            self.export_button,
        ]
        if self.is_editor:
            sections.append(self._form())
        self._root[:] = sections

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
        self.form_import = pn.widgets.Button(label=tr("import", lang), width=160, css_classes=["xy-progress-import"])
        self.form_import.on_click(self._on_import)
        return pn.Column(
            pn.pane.Markdown(f"### {tr('form', lang)}"),
            pn.Row(self.form_target, self.form_date, self.form_value),
            pn.Row(self.form_unit, self.form_note, self.form_submit),
            pn.Row(self.form_file, self.form_import),
            css_classes=["xy-progress-form"],
        )

    def panel(self) -> pn.Column:
        """The tab's layout."""
        return self._root

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
            self.solar_result, self._solar_message = _dashboard_solar(self.project)
        if self.waste_flows is None:
            self.waste_flows, self._waste_message = _dashboard_waste_flows(self.project)
        self.county_table.value = self._county_frame()
        self.links.object = self._links_html()

    def set_language(self, lang: str) -> None:
        """Relabel everything in ``lang``."""
        self.lang = lang
        self._build()

    # -- views ------------------------------------------------------------------------
    def _user_html(self) -> str:
        lang = self.lang
        user = self.user
        if not self.sign_in:
            return f"<div>{html.escape(tr('read_only', lang))}</div>"
        if not user or user == "guest":
            return (
                f"<div>{html.escape(tr('guest', lang))} "
                f"<a href='/login?lang={lang}' class='xy-progress-login'>{tr('sign_in', lang)}</a></div>"
            )
        role = tr(f"role_{self.role}" if self.role in ("editor", "viewer") else "role_none", lang)
        extra = "" if self.is_editor else f" {html.escape(tr('viewer_note', lang))}"
        return (
            f"<div>{html.escape(tr('signed_in', lang, user=user, role=role))}{extra} "
            f"<a href='/logout' class='xy-progress-logout'>{tr('sign_out', lang)}</a></div>"
        )

    def _cards_html(self) -> str:
        lang = self.lang
        cards = []
        for row in self.indicators.itertuples():  # one card per indicator (14), not per record
            name = row.name if lang == "zh" else row.name_en
            if pd.notna(row.latest_value):
                value = f"{row.latest_value:,.4g} {row.unit}"
                when = pd.Timestamp(row.latest_date).strftime("%Y-%m-%d")
            else:
                value, when = tr("no_value", lang), ""
            colour = _STATUS_COLOURS[row.status]
            cards.append(
                f"<div class='xy-card' data-id='{html.escape(row.id)}' data-status='{row.status}'>"
                f"<div class='xy-card-name'>{html.escape(name)}</div>"
                f"<div class='xy-card-value'>{html.escape(value)}</div>"
                f"<div class='xy-card-target'>{html.escape(tr('target_short', lang))} "
                f"{row.target_value:g} {html.escape(row.unit)} ({row.target_year}) {when}</div>"
                f"<div class='xy-card-context'>{html.escape(row.context_zh if lang == 'zh' else row.context)}</div>"
                f"<span class='xy-badge' style='background:{colour}'>"
                f"{html.escape(status_label(row.status, lang))}</span></div>"
            )
        return f"<style>{_CSS}</style><div style='display:flex;flex-wrap:wrap'>" + "".join(cards) + "</div>"

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
        kdims, vdims = (
            [hv.Dimension("date", label=tr("col_date", lang))],
            [hv.Dimension("value", label=f"{tr('value', lang)} {unit}")],
        )
        data = pd.DataFrame({"date": recs["date"], "value": recs["value"]})
        plot = hv.Curve(data, kdims, vdims, label=tr("records", lang)).opts(color="#0b4f6c") * hv.Scatter(
            data, kdims, vdims
        ).opts(color="#0b4f6c", size=7)
        if path_t:
            path = pd.DataFrame({"date": path_t, "value": path_v})
            plot = plot * hv.Curve(path, kdims, vdims, label=tr("path", lang)).opts(color="#cf222e", line_dash="dashed")
        return plot.opts(responsive=True, height=280, show_grid=True, legend_position="top_left")

    def _status_map(self):
        lang = self.lang
        if self.bases.empty:
            return hv.Points([])
        pts = self.bases.geometry.representative_point()
        frame = pd.DataFrame(
            {
                "lon": pts.x,
                "lat": pts.y,
                "name": self.bases["name"] if lang == "zh" else self.bases["name_en"].fillna(self.bases["name"]),
                "status": self.bases["status"].map(lambda s: status_label(s, lang)),
                "colour": self.bases["status"].map(_STATUS_COLOURS),
            }
        )
        layers = []
        if self.project.has("counties"):
            counties = self.project.read("counties", columns=["name"])
            import shapely

            paths = [shapely.get_coordinates(g.boundary) for g in counties.geometry]
            layers.append(hv.Path(paths).opts(color="#8c959f", line_width=1))
        layers.append(
            hv.Points(frame, ["lon", "lat"], ["name", "status", "colour"]).opts(
                color="colour", size=11, tools=["hover"], line_color="white"
            )
        )
        return hv.Overlay(layers).opts(data_aspect=1, width=500, height=370, xlabel="lon", ylabel="lat")

    def _bases_frame(self) -> pd.DataFrame:
        lang = self.lang
        if self.bases.empty:
            return pd.DataFrame()
        b = self.bases
        zh = lang == "zh"
        return pd.DataFrame(
            {
                "id": b["id"],
                tr("col_name", lang): b["name"]
                if zh
                else b["name_en"].fillna("").where(b["name_en"].fillna("") != "", b["name"]),
                tr("col_county", lang): b["county_name"] if zh else b["county_name_en"],
                tr("col_category", lang): b["category"],
                tr("col_target", lang): b["target_value"],
                tr("col_unit", lang): b["target_unit"],
                tr("col_year", lang): b["target_year"].astype("Int64"),
                tr("col_latest", lang): b["latest_value"],
                tr("col_date", lang): pd.to_datetime(b["latest_date"]).dt.strftime("%Y-%m-%d"),
                tr("col_by", lang): b.get("latest_by"),  # e.g. GEM May 2023 when from power_plants
                tr("col_progress", lang): b["progress_pct"].round(1),
                tr("col_plan_status", lang): b["base_status"],
                tr("col_status", lang): b["status"].map(lambda s: status_label(s, lang)),
            }
        )

    def _pv_link(self) -> Link:
        if self.solar_result is not None:
            return rooftop_pv_by_county(
                self.project, solar_result=self.solar_result, bases=None if self.bases.empty else self.bases
            )
        return Link(False, self._solar_message or tr("computing", self.lang))

    def _pg_link(self) -> Link:
        if self.waste_flows is not None or not self.project.has("waste_sources"):
            return phosphogypsum_routing_link(
                self.project, flows=self.waste_flows if self.waste_flows is not None else pd.DataFrame()
            )
        return Link(False, self._waste_message or tr("computing", self.lang))

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
            parts.append(tr("unavailable", lang, message=pv.message))
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
            parts.append(tr("unavailable", lang, message=pg.message))
        return "".join(f"<p>{html.escape(p)}</p>" for p in parts)

    # -- events -----------------------------------------------------------------------
    def _on_timeline(self, event) -> None:
        self.timeline_target = event.new
        self.timeline_pane.object = self._timeline(event.new)

    def current_user(self) -> str | None:
        """The user to write as: the one given, else the session's signed-in user."""
        return self.user if self.user is not None else session_user()

    def _show(self, text: str, kind: str) -> None:
        self.message.object = text
        self.message.alert_type = kind
        self.message.visible = True

    def submit(self, target_id: str, date: str, value: float | None, unit: str = "", note: str = "") -> bool:
        """Add one record as the signed-in user (the form's action); True if it was saved.

        Errors are shown in the tab's message box, never raised to the browser.  Runs on the
        calling thread; the form's button runs the same write off the event loop.
        """
        return self._finish(*self._write_record(self.current_user(), target_id, date, value, unit, note))

    def import_bytes(self, data: bytes, *, filename: str = "upload.csv") -> bool:
        """Import an uploaded CSV as the signed-in user; True if it was saved."""
        return self._finish(*self._write_import(self.current_user(), data, filename))

    # The two writes below touch no widget: they run on a worker thread while the server's
    # event loop keeps serving (a write may wait minutes for the project lock of an import).
    def _write_record(self, user, target_id, date, value, unit, note) -> tuple[bool, str, str]:
        lang = self.lang
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
        except NotAuthorisedError as exc:
            return False, tr("refused", lang, message=str(exc)), "danger"
        except InputError as exc:
            return False, tr("invalid", lang, message=str(exc)), "danger"
        row = written.iloc[0]
        text = tr("added", lang, target=row["target_id"], date=row["date"], value=f"{row['value']:g}", unit=row["unit"])
        return True, text, "success"

    def _write_import(self, user, data: bytes, filename: str) -> tuple[bool, str, str]:
        lang = self.lang
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / safe_filename(filename, default="upload.csv")
            path.write_bytes(data)

            def public(exc: Exception) -> str:  # name the upload, not the server's temporary folder
                return str(exc).replace(f"{tmp}{os.sep}", "")

            try:
                written = store.import_csv(self.project, path, user=user, users_path=self.users_path)
            except NotAuthorisedError as exc:
                return False, tr("refused", lang, message=public(exc)), "danger"
            except InputError as exc:
                return False, tr("invalid", lang, message=public(exc)), "danger"
        return True, tr("imported", lang, n=len(written)), "success"

    def _finish(self, saved: bool, text: str, kind: str) -> bool:
        if saved:
            self._after_write()
        self._show(text, kind)
        return saved

    async def _off_loop(self, write, *args) -> bool:
        """Run ``write(*args)`` on a worker thread and show the outcome; the form waits, the
        server does not: other sessions keep working while this one waits for the lock."""
        buttons = [self.form_submit, self.form_import]
        for button in buttons:
            button.disabled = True
        self._show(tr("waiting_lock" if project_lock_busy(self.project) else "saving", self.lang), "info")
        try:
            future = asyncio.get_running_loop().run_in_executor(None, write, *args)
            while not (await asyncio.wait({future}, timeout=1.0))[0]:
                if project_lock_busy(self.project):
                    self._show(tr("waiting_lock", self.lang), "info")
            result = future.result()
        finally:
            for button in buttons:
                button.disabled = False
        return self._finish(*result)

    async def _on_submit(self, _event) -> None:
        value = self.form_value.value
        await self._off_loop(
            self._write_record,
            self.current_user(),
            self.form_target.value,
            self.form_date.value,
            np.nan if value is None else value,
            self.form_unit.value,
            self.form_note.value,
        )

    async def _on_import(self, _event) -> None:
        if not self.form_file.value:
            return
        data, name = self.form_file.value, self.form_file.filename or "upload.csv"
        await self._off_loop(self._write_import, self.current_user(), data, name)

    def _after_write(self) -> None:
        self._refresh_data()
        self.cards.object = self._cards_html()
        self.timeline_pane.object = self._timeline(self.timeline_select.value)
        if not self.bases.empty:
            self.bases_table.value = self._bases_frame()
            self.map_pane.object = self._status_map()
        self.county_table.value = self._county_frame()

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


def _dashboard_solar(project: Project) -> tuple[pd.DataFrame | None, str]:
    """The dashboard's cached rooftop-PV table, or (None, why not)."""
    try:
        from dashboard import _solar_data

        if not project.has("rooftops"):
            return None, "the project has no rooftops layer"
        return _solar_data.rooftop_table(project, with_pv=True), ""
    except Exception as exc:  # an analysis failure must not take the tab down
        return None, f"rooftop PV failed: {exc}"


def _dashboard_waste_flows(project: Project) -> tuple[pd.DataFrame | None, str]:
    """Phosphogypsum flows from the dashboard's cached routing, or (None, why not)."""
    try:
        from dashboard import waste_tab

        if not project.has("waste_sources") or not project.has("roads"):
            return None, "the project needs waste_sources, facilities and roads layers"
        got = waste_tab.run_waste(project, waste_kind="phosphogypsum", k=0)
        if not isinstance(got, tuple):  # not stored yet: computing in the worker process
            return None, "phosphogypsum routing is being computed; reload in a minute (or run `xysiting run DIR`)"
        routing, _ = got
        return pd.DataFrame(routing.flows.drop(columns="geometry", errors="ignore")), ""
    except Exception as exc:  # an analysis failure must not take the tab down
        return None, f"phosphogypsum routing failed: {exc}"
