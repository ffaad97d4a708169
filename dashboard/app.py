"""The dashboard app: a header, the shared map and one tab per analysis, built per session.

Serve it with ``xysiting serve [DIR] [--port N]`` or ``panel serve dashboard/app.py --args
[DIR]`` (the project folder may also come from ``$XYSITING_PROJECT``; without one the
embedded Xiangyang default is built on first use, see :mod:`dashboard._data`).

:func:`create_app` builds everything — widgets, map, tabs — inside the call, so every
browser session gets its own objects and one user's filters never reach another's
session.  Only read-only, parameter-keyed results are shared, through caches.  Slow work
(PV results, routing) runs after the page is shown (``pn.state.onload``) under a loading
spinner.

Why one module over 500 lines: it is the page's one component; the language, the tab, the URL
sync, the loading marks and the session's life cycle act on the same header, map and tabs.
"""

from __future__ import annotations

import functools
import html
import json
import os
import sys
import time
import urllib.parse
import warnings
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn
import param

from dashboard import _solar_data
from dashboard._data import open_project
from dashboard._held import held
from dashboard._style import A11Y_JS
from dashboard._style import PAGE_CSS as _CSS
from dashboard._widgets import TextAlert
from dashboard.i18n import DEFAULT_LANGUAGE, HTML_LANG, LANGUAGES, t
from dashboard.map import SharedMap
from dashboard.progress_tab import ProgressTab
from dashboard.solar_tab import SolarTab
from dashboard.waste_tab import WasteTab
from dashboard.wind_tab import WindTab
from layers.project import Project


@functools.cache
def _ensure_extensions() -> None:
    """Initialise Panel and HoloViews once per process (configuration only, no user state)."""
    pn.extension("tabulator", raw_css=[_CSS], notifications=False, loading_indicator=True)
    # empty layers are drawn as all-NaN images; numpy's warning about them is noise
    warnings.filterwarnings("ignore", "All-NaN slice encountered", RuntimeWarning)
    hv.extension("bokeh", logo=False)


TAB_ORDER = (("solar", "tab_solar"), ("waste", "tab_waste"), ("wind", "tab_wind"), ("progress", "tab_progress"))
_TAB_CLASSES = {"solar": SolarTab, "waste": WasteTab, "wind": WindTab, "progress": ProgressTab}


class _Language(param.Parameterized):
    """The language a part of the page shows.

    The app's ``lang`` is what the user chose; each tab (and the header and map together)
    follows its own ``_Language`` through a param reference, which the app moves to the
    chosen language at once for what is visible and, for a hidden tab, when it is opened.
    """

    lang = param.Selector(default=DEFAULT_LANGUAGE, objects=list(LANGUAGES))


def _make_tab(name: str, project: Project, shared_map: SharedMap, language: _Language, context=None, account=None):
    """The component for tab ``name``, following ``language``."""
    if name == "progress":
        return _MountedProgress(project, language=language, context=context or dict, account=account or {})
    cls = _TAB_CLASSES.get(name)
    if cls is None:
        msg = f"unknown tab {name!r}"
        raise ValueError(msg)
    return cls(project, shared_map, lang=language.param.lang)


class _MountedProgress:
    """Mounts the progress component (:class:`dashboard.progress_tab.ProgressTab`).

    The component is built in :meth:`load`, after the other tabs have their results, so it
    gets this session's rooftop-PV table and phosphogypsum flows instead of recomputing
    them; until then (and if it fails) the tab shows a notice.
    """

    def __init__(self, project: Project, *, language: _Language, context, account: dict):
        self.project = project
        self.language = language
        self.context = context
        # user (resolved by the server; None without sign-in, "guest" for an anonymous
        # reader), users_path and sign_in, passed to the component as given
        self.account = account
        self.component = None
        self._built = None  # the component prepare() built, until load() mounts it
        self.holder = pn.Column(
            pn.pane.Alert(t("loading", language.lang), alert_type="light"),
            sizing_mode="stretch_width",
            css_classes=["xy-progress-holder"],
        )

    def prepare(self) -> None:
        """Build the component (its reads and tables), off the event loop: nothing is drawn yet.

        Run in a worker thread by :meth:`DashboardApp.load_stepwise` (outside the session's
        document, so the component loads its results at once); :meth:`load` mounts it.
        """
        self._built = self._build()

    def _build(self):
        kwargs = {key: value for key, value in self.context().items() if value is not None}
        kwargs.update(self.account)  # the form is shown to editors only
        return ProgressTab(self.project, lang=self.language.param.lang, **kwargs)

    def load(self) -> None:
        """Mount the component (built here unless :meth:`prepare` built it)."""
        self.holder.loading = True
        language = self.language
        try:
            built, self._built = self._built, None
            self.component = built if built is not None else self._build()
            self.holder[:] = [self.component.panel()]
        except Exception as exc:  # a failing tab must not take the app down
            self.holder[:] = [TextAlert(t("error", language.lang, message=str(exc)), alert_type="danger")]
        finally:
            self.holder.loading = False

    def panel(self):
        """The holder of the component's layout."""
        return self.holder


def _retitle(tabs: pn.Tabs, titles: list[str]) -> None:
    """Give the rendered ``tabs`` new ``titles`` in one patch, keeping every tab's content.

    Panel reuses a tab's Bokeh ``TabPanel`` while its object is unchanged and BokehJS
    redraws the tab headers only when the list of panels changes, so each retitled panel
    is replaced by a new one around the same child (its view is kept); Panel's cache of
    panels is updated with it.  Rebuilding the Tabs instead would re-render every tab.
    """
    from bokeh.models import TabPanel

    tabs._names = list(titles)
    for ref, (model, _parent) in list(tabs._models.items()):
        cache = tabs._panels.get(ref, {})
        panels = []
        for title, panel in zip(titles, model.tabs, strict=False):
            if panel.title != title:
                new = TabPanel(title=title, name=title, child=panel.child, closable=panel.closable)
                for key, cached in list(cache.items()):
                    if cached is panel:
                        cache[key] = new
                panel = new
            panels.append(panel)
        if panels != list(model.tabs):
            model.tabs = panels


class DashboardApp(pn.viewable.Viewer):
    """One session's dashboard: header, shared map, tabs (built fresh for every session).

    ``lang`` and ``tab`` are declared parameters; with the map's view and each tab's
    filters (their ``url_params``) they are kept in the page's URL by :func:`sync_url`.
    """

    lang = param.Selector(default=DEFAULT_LANGUAGE, objects=list(LANGUAGES), doc="UI language")
    tab = param.Selector(default=TAB_ORDER[0][0], objects=[name for name, _ in TAB_ORDER], doc="The open tab")

    #: parameter → URL query key (see :func:`sync_url`)
    url_params: ClassVar[dict[str, str]] = {"tab": "tab", "lang": "lang"}

    def __init__(
        self,
        project: Project,
        *,
        lang: str = DEFAULT_LANGUAGE,
        basemap: str | None = None,
        account: dict | None = None,
        **params,
    ):
        super().__init__(lang=lang, **params)
        self.project = project
        self.live = False  # True once the page is shown: a language switch then shows a spinner
        self.destroyed = False
        self._pending_selection = ""  # a feature id from the URL, selected once its tab has loaded
        self._url_pending: dict[int, dict] = {}  # URL values a tab could not take before it loaded
        # header and map follow _shown; each tab its own _Language (see _show_language)
        self._shown = _Language(lang=self.lang)
        self._tab_lang = {name: _Language(lang=self.lang) for name, _ in TAB_ORDER}
        self.language = pn.widgets.RadioButtonGroup.from_param(
            self.param.lang,
            options={"中文": "zh", "English": "en"},
            name="",
            color="light",
            css_classes=["xy-language"],
            width=160,
        )
        # narrow screens only (dashboard/_style.py): opens and closes the map's and the tabs'
        # sidebars in the browser, without a round trip (collapsed at first)
        self.side_toggle = pn.widgets.Toggle(
            name=t("side_toggle", self.lang),
            value=False,
            button_type="light",
            css_classes=["xy-side-toggle"],
            width=180,
        )
        self.side_toggle.jscallback(value="if (window.__xySide) window.__xySide(source.active);")
        self.header = pn.pane.HTML(
            param.bind(self._header_html, self._shown.param.lang),
            sizing_mode="stretch_width",
            stylesheets=[_CSS],
            css_classes=["xy-header-text"],
        )
        self.map = SharedMap(project, lang=self._shown.param.lang, basemap=basemap)
        self.tabs_components = {
            name: _make_tab(name, project, self.map, self._tab_lang[name], self._progress_context, account)
            for name, _ in TAB_ORDER
        }
        self.tabs = pn.Tabs(
            *[(t(msg, self.lang), self.tabs_components[name].panel()) for name, msg in TAB_ORDER],
            sizing_mode="stretch_width",
            css_classes=["xy-tabs"],
            dynamic=True,
            active=self._tab_index(),
        )
        self._map_view = self.map.__panel__()
        self.layout = pn.Column(
            pn.Row(
                self.header,
                self.language,
                self.side_toggle,
                css_classes=["xy-header"],
                sizing_mode="stretch_width",
                styles={"background": "#0b4f6c", "color": "white", "border-radius": "4px"},
            ),
            self._map_view,
            self.tabs,
            sizing_mode="stretch_width",
            css_classes=["xy-app"],
        )
        self.tabs.param.watch(self._on_active, "active")
        # <html lang> and the browser title follow the language in the browser at once
        self.language.jscallback(
            value=f"const lang = ['zh', 'en'][source.active];"
            f"document.documentElement.lang = {{zh: '{HTML_LANG['zh']}', en: '{HTML_LANG['en']}'}}[lang];"
            f"document.title = {{zh: {t('app_title', 'zh')!r}, en: {t('app_title', 'en')!r}}}[lang];"
        )
        self.map.enter_tab(self.tab)

    def __panel__(self) -> pn.viewable.Viewable:
        return self.layout

    def _tab_index(self) -> int:
        return [name for name, _ in TAB_ORDER].index(self.tab)

    def destroy(self) -> None:
        """Free this session's state: called by Bokeh when the session is destroyed.

        Stops pending tab loads, unhooks the map (listeners, streams, figure), drops the
        references to frames and results, and empties the layout so that the session's
        objects are freed with the Bokeh document.  Shared caches are left alone; only
        HoloViews' process-wide option lookup cache is cleared, since its keys are ids of
        this session's option trees.
        """
        if self.destroyed:
            return
        self.destroyed = True
        self.map.destroy()
        for component in self.tabs_components.values():
            for name in ("table_frame", "filtered", "routing", "siting", "result", "component"):
                if hasattr(component, name):
                    setattr(component, name, None)
        self.tabs_components.clear()
        # drop the references without updating the Bokeh models: Bokeh is destroying the
        # session's document (its models may already be emptied) and Panel cleans up its own
        with param.parameterized.discard_events(self.tabs), param.parameterized.discard_events(self.layout):
            self.tabs.objects = []
            self.layout.objects = []
        hv.Store._lookup_cache.pop("bokeh", None)

    def _header_html(self, lang: str) -> str:
        name = self.project.manifest.get("name", self.project.path.name)
        return (
            f"<div class='xy-title'>{html.escape(t('app_title', lang))}</div>"
            f"<div class='xy-subtitle'>{html.escape(t('app_subtitle', lang))} · "
            f"{html.escape(t('project', lang))}: {html.escape(str(name))}</div>"
        )

    # -- tab and language ---------------------------------------------------------------------
    def _on_active(self, event) -> None:
        if 0 <= event.new < len(TAB_ORDER):
            self.tab = TAB_ORDER[event.new][0]

    @param.depends("tab", watch=True)
    def _on_tab(self) -> None:
        """Opening a tab switches its layers on (those the left tab switched on go off again)
        and brings the tab to the current language if it was hidden during a switch."""
        with held():
            if self.tabs.active != self._tab_index():
                self.tabs.active = self._tab_index()
            self.map.enter_tab(self.tab)
            self._tab_lang[self.tab].lang = self._shown.lang

    @param.depends("lang", watch=True)
    def _on_lang(self) -> None:
        """Show the new language: at once before the page is shown; afterwards with a loading
        state on the language buttons, set first and cleared in the same patch as the new labels.

        The mark sits on the control the user pressed, not on the map and the tabs: a switch
        changes labels only (no figure goes stale), and marking those two large panes cost
        the browser about 0.2 s of style and layout work twice per switch (measured with
        ``benchmarks/bench_dashboard.py``), a fifth of the ≤ 1 s budget.
        """
        doc = pn.state.curdoc
        if not self.live or doc is None or doc.session_context is None:
            self._show_language()
            return
        self.language.loading = True

        def show() -> None:
            with held():  # the mark goes in the patch that brings the new labels
                try:
                    self._show_language()
                finally:
                    self.language.loading = False

        doc.add_next_tick_callback(show)

    def _show_language(self) -> None:
        """Relabel what is visible in one held patch: header, map, tab titles, the open tab.

        Hidden tabs follow when they are opened (:meth:`_on_tab`).
        """
        if self.destroyed:
            return
        lang = self.lang
        start = time.perf_counter()
        with held():
            self._shown.lang = lang
            self._tab_lang[self.tab].lang = lang
            _retitle(self.tabs, [t(msg, lang) for _, msg in TAB_ORDER])
            self.side_toggle.name = t("side_toggle", lang)
            doc = pn.state.curdoc
            if doc is not None:
                doc.title = t("app_title", lang)
        if os.environ.get("XYSITING_DEBUG"):
            print(f"xysiting: language {lang} shown in {time.perf_counter() - start:.2f} s", file=sys.stderr)

    def set_document_language(self, doc=None) -> None:
        """Set the page's ``<html lang>`` and title to the current language (on load)."""
        doc = doc or pn.state.curdoc
        if doc is None:
            return
        doc.title = t("app_title", self.lang)
        from bokeh.models import CustomJS

        code = f"document.documentElement.lang = {HTML_LANG[self.lang]!r}; document.title = {doc.title!r};"
        doc.js_on_event("document_ready", CustomJS(code=code + A11Y_JS))  # A11Y_JS: dashboard/_style.py

    # -- URL ----------------------------------------------------------------------------------
    def sync_component(self, component, location) -> None:
        """Keep ``component``'s ``url_params`` in the URL; values it cannot take yet (its
        choices are filled by its load) are applied again after it has loaded."""
        url_params = getattr(component, "url_params", None)
        if not url_params or not isinstance(component, param.Parameterized):
            return

        def on_error(values: dict) -> None:  # what the component refuses now is tried again after its load
            refused = _apply_loosely(component, values)
            if refused:
                self._url_pending[id(component)] = refused

        location.sync(component, dict(url_params), on_error=on_error)

    def _after_load(self, component) -> None:
        """A tab has loaded: apply the URL values it could not take before, then the URL's
        selected feature if it is this tab's; then the URL is told what the tab shows."""
        pending = self._url_pending.pop(id(component), None)
        if pending:
            _apply_loosely(component, pending)
        if self._pending_selection and component is self.tabs_components.get("solar"):
            feature, self._pending_selection = self._pending_selection, ""
            _select_rooftop(component, feature)
        inner = getattr(component, "component", None)  # the progress tab's mount
        self.settle_url(*[obj for obj in (component, inner) if isinstance(obj, param.Parameterized)])

    def _refuse_unknown_zoom(self) -> None:
        """A county zoom the project does not have (from a URL) goes back to the whole city:
        the zoom list would show "whole city" while the URL named the county."""
        if self.map.county and self.map.county not in self.map.county_select.values:
            self.map.county = ""

    def settle_url(self, *objs, location=None) -> None:
        """Rewrite the URL's keys of ``objs`` (the app and map when none) that name a value
        they refused (an unknown county, ``min_kwp=abc``, ``tab=nowhere``) to the value shown,
        or drop them when it is unset; the URL then opens what the page shows.

        Only once the page is shown: until the browser's location is connected it replaces
        what the server writes with the address the page was opened with.
        """
        location = location or pn.state.location
        if location is None or self.destroyed:
            return
        if not objs:
            self._refuse_unknown_zoom()
        query = dict(urllib.parse.parse_qsl(location.search.lstrip("?"), keep_blank_values=True))
        settled = dict(query)
        for obj in objs or (self, self.map):
            for name, key in getattr(obj, "url_params", {}).items():
                if key in settled and not _same_query_value(settled[key], _query_value(obj, name)):
                    value = _query_value(obj, name)
                    if value is None:
                        del settled[key]
                    else:
                        settled[key] = value
        if settled != query:
            location.search = "?" + urllib.parse.urlencode(settled) if settled else ""

    def _progress_context(self) -> dict:
        """This session's results the progress tab can reuse (None where unavailable)."""
        out = {"solar_result": None, "waste_flows": None}
        solar = self.tabs_components["solar"]
        if solar.table_frame is not None and solar.has_pv:
            # one shared, read-only frame per project version (not a copy per session)
            out["solar_result"] = _solar_data.suitable_results(self.project)
        routing = self.tabs_components["waste"].routing
        if routing is not None and routing.waste_kind == "phosphogypsum":
            out["waste_flows"] = pd.DataFrame(routing.flows.drop(columns="geometry", errors="ignore"))
        return out

    def _load_order(self) -> list:
        """The components in loading order: the open tab first (progress, which reuses the
        others' results, always last)."""
        names = [name for name, _ in TAB_ORDER if name != "progress"]
        names.sort(key=lambda name: name != self.tab)
        return [(name, self.tabs_components[name]) for name in [*names, "progress"] if name in self.tabs_components]

    def _load_one(self, name: str, component) -> None:
        start = time.perf_counter()
        # the open tab's load in one patch, Bokeh counting the page's models once (not per new
        # table); a hidden tab has no models yet (dynamic tabs): a freeze would only add a count
        batch = held() if name == self.tab else pn.io.hold()
        with batch:
            component.load()
            if name == "progress" and getattr(component, "component", None) is not None:
                location = pn.state.location
                if location is not None and self.live:
                    self.sync_component(component.component, location)
            self._after_load(component)
        if os.environ.get("XYSITING_DEBUG"):
            print(f"xysiting: tab {name} loaded in {time.perf_counter() - start:.2f} s", file=sys.stderr, flush=True)

    def load(self) -> None:
        """Run each tab's slow work (called once the page is shown; outside a server)."""
        for name, component in self._load_order():
            prepare = getattr(component, "prepare", None)
            if prepare is not None:
                _prepare_quietly(prepare)
            self._load_one(name, component)

    def load_stepwise(self, doc) -> None:
        """Load the tabs without blocking the server: one tab at a time, the open tab first.

        Each tab's ``prepare()`` (its reads and computations, where it has one) runs in a
        worker thread (:func:`load_threads`), never on the event loop, so other sessions'
        callbacks go on meanwhile; its ``load()`` (putting the results into the page) then
        runs on this session's event loop via ``doc.add_next_tick_callback``, and the next
        tab follows.  A session closed meanwhile stops loading.
        """
        if self.live:  # started already (pn.state.onload, or the fallback of create_app)
            return
        self.live = self.map.live = True
        pending = self._load_order()

        def step() -> None:
            if not pending or self.destroyed or _abandoned(doc):  # the browser left before loading finished
                pending.clear()
                return
            name, component = pending.pop(0)
            prepare = getattr(component, "prepare", None)
            if prepare is None:
                apply(name, component)
                return
            load_threads().submit(prepare_then_apply, name, component, prepare)

        def prepare_then_apply(name, component, prepare) -> None:  # in a worker thread
            if self.destroyed:
                return
            _prepare_quietly(prepare)
            try:
                doc.add_next_tick_callback(functools.partial(apply, name, component))
            except Exception:  # the session's document is gone
                pending.clear()

        def apply(name, component) -> None:  # on the event loop
            if self.destroyed:
                return
            try:
                self._load_one(name, component)
            finally:
                if pending and not self.destroyed:
                    doc.add_next_tick_callback(step)

        step()

    def servable(self, title: str | None = None):
        """Mark the layout servable (for ``panel serve``) and return it."""
        return self.layout.servable(title=title or t("app_title", self.lang))


@functools.cache
def load_threads() -> ThreadPoolExecutor:
    """The server's worker threads for the tabs' ``prepare()`` (shared by every session).

    Two threads: two sessions loading at once proceed side by side; the event loop itself
    never waits for them.
    """
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="xysiting-load")


def _abandoned(doc) -> bool:
    """Whether the browser of ``doc``'s session has closed its connection (a reload or a closed
    tab): its remaining tabs are not loaded for nobody (Bokeh discards the session soon)."""
    context = getattr(doc, "session_context", None)
    session = getattr(context, "session", None) if context is not None else None
    count = getattr(session, "connection_count", None)
    return isinstance(count, int) and count == 0


def _prepare_quietly(prepare) -> None:
    """Run a tab's ``prepare()``; an error is left for its ``load()`` to meet and show."""
    try:
        prepare()
    except Exception as exc:
        if os.environ.get("XYSITING_DEBUG"):
            print(f"xysiting: preparing a tab failed ({exc}); its load shows the error", file=sys.stderr)


def _apply_loosely(obj: param.Parameterized, values: dict) -> dict:
    """Set URL ``values`` on ``obj`` one by one, as given or as text (the URL parser turns
    ``county=420602`` into a number); a value ``obj`` refuses is left out.

    Returns the refused values (name → value).
    """
    refused = {}
    for name, value in values.items():
        candidates = [value, str(value)]
        if isinstance(value, float) and value.is_integer():
            candidates.append(str(int(value)))
        for candidate in candidates:
            try:
                obj.param.update({name: candidate})
                break
            except Exception:  # try the next form (the URL may be stale or edited by hand)
                continue
        else:
            refused[name] = value
    return refused


def _query_value(obj: param.Parameterized, name: str) -> str | None:
    """``obj.name`` as :meth:`panel.io.location.Location.sync` writes it into the URL (None: unset)."""
    value = getattr(obj, name)
    if value is None:
        return None
    try:
        value = obj.param[name].serialize(value)
    except Exception:  # as Panel: a parameter without a serialisation is written as is
        pass
    return value if isinstance(value, str) else json.dumps(value)


def _same_query_value(raw: str, written: str | None) -> bool:
    """Whether a URL value ``raw`` names the value ``written`` (``20`` and ``20.0`` do)."""
    if written is None or raw == written:
        return raw == written
    try:
        return json.loads(raw) == json.loads(written)
    except ValueError:
        return False


def _select_rooftop(solar, feature: str) -> None:
    """Select rooftop ``feature`` (an id) in the PV tab's table, turning to its page."""
    frame = getattr(solar, "filtered", None)
    table = getattr(solar, "table", None)
    if frame is None or table is None or "id" not in frame:
        return
    hits = np.flatnonzero(frame["id"].astype(str).to_numpy() == feature)
    if hits.size:
        i = int(hits[0])
        table.page = i // max(int(table.page_size or 1), 1) + 1
        table.selection = [i]


def sync_url(app: DashboardApp, location=None) -> None:
    """Keep the session's shareable state in the page's URL query, both ways.

    The app's tab and language, the map's view (extent, county zoom, basemap, selected
    feature) and each tab's filters (its ``url_params``) are read from the URL the page was
    opened with and written back as they change, so a copied URL opens the same view.
    """
    location = location or pn.state.location
    if location is None:
        return
    opened_with = location.search
    for obj in (app, app.map):  # a value in the URL's form (county=420602 is read as a number) is retried as text
        location.sync(obj, dict(obj.url_params), on_error=functools.partial(_apply_loosely, obj))
    app._refuse_unknown_zoom()
    app._pending_selection = app.map.selected
    for component in app.tabs_components.values():
        app.sync_component(component, location)
    # Location.sync wrote every synced value into `search`; the browser would answer the first
    # patch with the address it has and so apply the URL a second time, over any correction
    # made meanwhile (a tab's load dropping a county it does not have).  The address the page
    # was opened with is kept instead; DashboardApp.settle_url corrects it once the page shows.
    location.search = opened_with


#: Milliseconds after a session's creation at which its tabs load even if the browser has
#: not reported the page ready (normally ``pn.state.onload`` starts them well before).
LOAD_FALLBACK_MS = 8000


def create_app(
    project_dir: str | os.PathLike | None = None,
    *,
    lang: str = DEFAULT_LANGUAGE,
    basemap: str | None = None,
    user: str | None = None,
    users_path: str | os.PathLike | None = None,
    sign_in: bool = False,
) -> pn.viewable.Viewable:
    """Build the dashboard for one session and return its root layout.

    Parameters
    ----------
    project_dir : path-like, optional
        A project folder; the embedded default when omitted.
    lang : {"zh", "en"}
        Initial language (Chinese by default) unless the URL names one.
    basemap : str, optional
        Initial basemap key (:func:`dashboard.tiles.providers`); none (offline) by default.
    user : str, optional
        The session's user as resolved by the server (:func:`dashboard.auth.session_user`):
        a name, ``"guest"``, or None without sign-in.
    users_path : path-like, optional
        The users file the server checks (default ``DIR/users.json``).
    sign_in : bool
        Whether the server offers ``/login`` (only then is a sign-in link shown).
    """
    _ensure_extensions()
    project = open_project(project_dir)
    account = {"user": user, "users_path": users_path, "sign_in": sign_in}
    app = DashboardApp(project, lang=lang, basemap=basemap, account=account)
    doc = pn.state.curdoc
    if doc is not None and doc.session_context is not None:
        sync_url(app)  # the URL's tab, language, view and filters, before anything is drawn
        app.set_document_language(doc)
        pn.state.onload(app.settle_url)  # the URL names what the page shows (refused values rewritten)
        pn.state.onload(lambda: app.load_stepwise(doc))
        # Panel runs onload when the browser reports the page ready; should that report not
        # come (seen twice in benchmark runs: a page with its map drawn kept an empty PV table
        # for minutes), the tabs load anyway after a few seconds (a second start is a no-op)
        doc.add_timeout_callback(lambda: app.load_stepwise(doc), LOAD_FALLBACK_MS)
        # free the session's state as soon as Bokeh discards the session (see
        # `xysiting serve`: closed sessions are discarded after a few seconds)
        doc.on_session_destroyed(_destroy_callback(app))
    else:
        app.load()
    app.layout.app = app  # keep the component reachable (tests, debugging)
    return app.layout


def store_missing_results(project: Project) -> None:
    """Compute and store the rooftop-PV and routing results the first page needs, if missing.

    Done once, before serving, with progress bars in the terminal (``xysiting run DIR`` ahead of
    time makes this instant); sessions then only read.  What-ifs (k new facilities) are computed
    on request in the worker process (:mod:`dashboard._jobs`).
    """
    from dashboard.commands.run import run_planned
    from siting import results

    planned = results.planned_runs(project, only=("solar", "waste"))
    missing = [(a, o) for a, o in planned if results.lookup(project, a, o) is None]
    if missing:
        labels = ", ".join(results.describe(a, o) for a, o in missing)
        print(f"xysiting: computing {labels} once (stored in {project.path / 'results'})", flush=True)
        run_planned(project.path, missing)


def _destroy_callback(app: DashboardApp):
    """A Bokeh ``on_session_destroyed`` callback that destroys ``app`` (held weakly)."""
    ref = weakref.ref(app)

    def on_session_destroyed(session_context) -> None:
        target = ref()
        if target is not None:
            target.destroy()

    return on_session_destroyed


def warm(project_dir: str | os.PathLike | None = None, *, render: bool = True) -> Project:
    """Import the plotting stack and fill the shared caches for a project before serving.

    Returns the project.  Only read-only, parameter-keyed results are cached.  With
    ``render`` one throwaway app is also built and drawn (compiling datashader's kernels);
    ``xysiting serve`` skips that: the first page request draws the first real page, which
    compiles them once, instead of the server drawing a page nobody sees first (about
    5 CPU-s on a million rooftops).
    """
    from dashboard import _data, _solar_data
    from dashboard import map as map_module

    _ensure_extensions()
    project = open_project(project_dir)
    store_missing_results(project)
    for kind in ("counties", "industrial_parks", "exclusions", "roads", "waste_sources", "facilities", "bases"):
        _data.mercator_layer(project, kind, gcj02=False)
    map_module.wind_image(project, gcj02=False)
    map_module.compile_raster_kernels()  # datashader's kernels for the rooftop raster
    if project.has("rooftops"):
        try:
            _solar_data.rooftop_table(project, with_pv=True)
            _solar_data.mercator_xy(project, with_pv=True, gcj02=False)
        except Exception as exc:  # the session shows the error in the tab
            print(f"xysiting: warning: rooftop PV results failed: {exc}", file=sys.stderr)
    if render:  # one throwaway app: imports the plotting code and compiles datashader's kernels
        from bokeh.document import Document

        create_app(project.path).get_root(Document())
    return project


def _served_project_dir() -> str | None:
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    return args[0] if args else os.environ.get("XYSITING_PROJECT") or None


if __name__.startswith("bokeh_app"):  # `panel serve dashboard/app.py --args [DIR]`
    create_app(_served_project_dir()).servable(title="襄阳选址图集 Xiangyang siting atlas")
