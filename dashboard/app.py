"""The dashboard app: a header, the shared map and one tab per analysis, built per session.

Serve it with ``xysiting serve [DIR] [--port N]`` or ``panel serve dashboard/app.py --args
[DIR]`` (the project folder may also come from ``$XYSITING_PROJECT``; without one the
embedded Xiangyang default is built on first use, see :mod:`dashboard._data`).

:func:`create_app` builds everything — widgets, map, tabs — inside the call, so every
browser session gets its own objects and one user's filters never reach another's
session.  Only read-only, parameter-keyed results are shared, through caches.  Slow work
(PV results, routing) runs after the page is shown (``pn.state.onload``) under a loading
spinner.
"""

from __future__ import annotations

import html
import os
import sys
import warnings
import weakref

import holoviews as hv
import pandas as pd
import panel as pn

from dashboard import _solar_data
from dashboard._data import open_project
from dashboard._style import A11Y_JS
from dashboard._style import PAGE_CSS as _CSS
from dashboard._widgets import TextAlert
from dashboard.i18n import DEFAULT_LANGUAGE, HTML_LANG, t
from dashboard.map import SharedMap
from dashboard.progress_tab import ProgressTab
from dashboard.solar_tab import SolarTab
from dashboard.waste_tab import WasteTab
from dashboard.wind_tab import WindTab
from layers.project import Project

_ready = False

#: Every dashboard app still alive in this process, weakly held: an app leaves it when it is
#: garbage-collected, which after its session is destroyed must happen (see live_apps()).
_LIVE_APPS: weakref.WeakSet = weakref.WeakSet()


def live_apps() -> list:
    """The :class:`DashboardApp` objects still alive in this process (debugging, tests).

    Sessions that were closed and destroyed must not appear here after a garbage
    collection; if they do, something process-wide still holds them.
    """
    return list(_LIVE_APPS)


def _ensure_extensions() -> None:
    global _ready  # one-time, process-wide initialisation of Panel/HoloViews (no user state)
    if _ready:
        return
    pn.extension("tabulator", raw_css=[_CSS], notifications=False, loading_indicator=True)
    # empty layers are drawn as all-NaN images; numpy's warning about them is noise
    warnings.filterwarnings("ignore", "All-NaN slice encountered", RuntimeWarning)
    hv.extension("bokeh", logo=False)
    _ready = True


def _make_tab(name: str, project: Project, shared_map: SharedMap, lang: str, context=None, account=None):
    """The component for tab ``name``."""
    if name == "solar":
        return SolarTab(project, shared_map, lang=lang)
    if name == "waste":
        return WasteTab(project, shared_map, lang=lang)
    if name == "wind":
        return WindTab(project, shared_map, lang=lang)
    if name == "progress":
        return _MountedProgress(project, lang=lang, context=context or dict, account=account or {})
    msg = f"unknown tab {name!r}"
    raise ValueError(msg)


class _MountedProgress:
    """Mounts the progress component (:class:`dashboard.progress_tab.ProgressTab`).

    The component is built in :meth:`load`, after the other tabs have their results, so it
    gets this session's rooftop-PV table and phosphogypsum flows instead of recomputing
    them; until then (and if it fails) the tab shows a notice.
    """

    def __init__(self, project: Project, *, lang: str, context, account: dict):
        self.project = project
        self.lang = lang
        self.context = context
        # user (resolved by the server; None without sign-in, "guest" for an anonymous
        # reader), users_path and sign_in, passed to the component as given
        self.account = account
        self.component = None
        self.holder = pn.Column(
            pn.pane.Alert(t("loading", lang), alert_type="light"),
            sizing_mode="stretch_width",
            css_classes=["xy-progress-holder"],
        )

    def load(self) -> None:
        """Build the component with the other tabs' results."""
        self.holder.loading = True
        try:
            kwargs = {key: value for key, value in self.context().items() if value is not None}
            kwargs.update(self.account)  # the form is shown to editors only
            self.component = ProgressTab(self.project, lang=self.lang, **kwargs)
            self.holder[:] = [self.component.panel()]
        except Exception as exc:  # a failing tab must not take the app down
            self.holder[:] = [TextAlert(t("error", self.lang, message=str(exc)), alert_type="danger")]
        finally:
            self.holder.loading = False

    def set_language(self, lang: str) -> None:
        """Pass the language on to the component."""
        self.lang = lang
        if self.component is not None:
            self.component.set_language(lang)

    def panel(self):
        """The holder of the component's layout."""
        return self.holder


TAB_ORDER = (("solar", "tab_solar"), ("waste", "tab_waste"), ("wind", "tab_wind"), ("progress", "tab_progress"))


class DashboardApp:
    """One session's dashboard: header, shared map, tabs (built fresh for every session)."""

    def __init__(
        self, project: Project, *, lang: str = DEFAULT_LANGUAGE, basemap: str | None = None, account: dict | None = None
    ):
        self.project = project
        self.lang = lang
        self.language = pn.widgets.RadioButtonGroup(
            label=t("language", lang),
            options={"中文": "zh", "English": "en"},
            value=lang,
            color="light",
            css_classes=["xy-language"],
            width=160,
        )
        self.header = pn.pane.HTML(
            self._header_html(), sizing_mode="stretch_width", stylesheets=[_CSS], css_classes=["xy-header-text"]
        )
        self.map = SharedMap(project, lang=lang, basemap=basemap)
        self.tabs_components = {
            name: _make_tab(name, project, self.map, lang, context=self._progress_context, account=account)
            for name, _ in TAB_ORDER
        }
        self.tabs = self._make_tabs()
        self.layout = pn.Column(
            pn.Row(
                self.header,
                self.language,
                css_classes=["xy-header"],
                sizing_mode="stretch_width",
                styles={"background": "#0b4f6c", "color": "white", "border-radius": "4px"},
            ),
            pn.Row(
                self.map.controls(),
                self.map.pane,
                self.map.legend,
                sizing_mode="stretch_width",
                height=560,
                css_classes=["xy-map-row"],  # stacked on narrow screens (dashboard/_style.py)
            ),
            self.tabs,
            sizing_mode="stretch_width",
            css_classes=["xy-app"],
        )
        self.language.param.watch(self._on_language, "value")
        # <html lang> and the browser title follow the language in the browser at once
        self.language.jscallback(
            value=f"const lang = ['zh', 'en'][source.active];"
            f"document.documentElement.lang = {{zh: '{HTML_LANG['zh']}', en: '{HTML_LANG['en']}'}}[lang];"
            f"document.title = {{zh: {t('app_title', 'zh')!r}, en: {t('app_title', 'en')!r}}}[lang];"
        )
        self.map.enter_tab(TAB_ORDER[self.tabs.active][0])
        self.destroyed = False
        _LIVE_APPS.add(self)

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
        self.tabs.clear()
        self.layout.clear()
        hv.Store._lookup_cache.pop("bokeh", None)

    def _header_html(self) -> str:
        name = self.project.manifest.get("name", self.project.path.name)
        return (
            f"<div class='xy-title'>{html.escape(t('app_title', self.lang))}</div>"
            f"<div class='xy-subtitle'>{html.escape(t('app_subtitle', self.lang))} · "
            f"{html.escape(t('project', self.lang))}: {html.escape(str(name))}</div>"
        )

    def _on_tab(self, event) -> None:
        """Opening a tab switches its layers on; those the left tab switched on go off again."""
        name = TAB_ORDER[event.new][0] if 0 <= event.new < len(TAB_ORDER) else ""
        self.map.enter_tab(name)

    def set_document_language(self, doc=None) -> None:
        """Set the page's ``<html lang>`` and title to the current language (on load)."""
        doc = doc or pn.state.curdoc
        if doc is None:
            return
        doc.title = t("app_title", self.lang)
        from bokeh.models import CustomJS

        code = f"document.documentElement.lang = {HTML_LANG[self.lang]!r}; document.title = {doc.title!r};"
        doc.js_on_event("document_ready", CustomJS(code=code + A11Y_JS))  # A11Y_JS: dashboard/_style.py

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

    def load(self) -> None:
        """Run each tab's slow work (called once the page is shown)."""
        import time

        for name, component in self.tabs_components.items():
            start = time.perf_counter()
            component.load()
            if os.environ.get("XYSITING_DEBUG"):
                print(
                    f"xysiting: tab {name} loaded in {time.perf_counter() - start:.2f} s", file=sys.stderr, flush=True
                )

    def load_stepwise(self, doc) -> None:
        """Load the tabs one per event-loop turn, so each tab's results reach the browser
        as soon as they are ready (the rooftop table first) instead of all at the end."""
        pending = list(self.tabs_components.values())

        def step() -> None:
            if not pending or self.destroyed:  # the browser left before loading finished
                pending.clear()
                return
            pending.pop(0).load()
            if pending:
                doc.add_next_tick_callback(step)

        step()

    def _on_language(self, event) -> None:
        lang = event.new
        self.lang = lang
        with pn.io.hold():
            self.header.object = self._header_html()
            self.map.set_language(lang)
            for component in self.tabs_components.values():
                component.set_language(lang)
            self._retitle_tabs()
        doc = pn.state.curdoc
        if doc is not None:
            doc.title = t("app_title", lang)

    def _make_tabs(self, active: int = 0) -> pn.Tabs:
        tabs = pn.Tabs(
            *[(t(msg, self.lang), self.tabs_components[name].panel()) for name, msg in TAB_ORDER],
            sizing_mode="stretch_width",
            css_classes=["xy-tabs"],
            dynamic=True,
            active=active,
        )
        tabs.param.watch(self._on_tab, "active")
        return tabs

    def _retitle_tabs(self) -> None:
        """Give the tabs titles in the current language.

        Bokeh does not redraw tab headers when only a title changes, so the Tabs layout
        is replaced by a new one holding the same components (their state is kept).
        """
        old = self.tabs
        self.tabs = self._make_tabs(active=old.active)
        self.layout[self.layout.objects.index(old)] = self.tabs
        old.clear()

    def servable(self, title: str | None = None):
        """Mark the layout servable (for ``panel serve``) and return it."""
        return self.layout.servable(title=title or t("app_title", self.lang))


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
        Initial language (Chinese by default).
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
        app.set_document_language(doc)
        pn.state.onload(lambda: app.load_stepwise(doc))
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


def warm(project_dir: str | os.PathLike | None = None) -> Project:
    """Import the plotting stack and fill the shared caches for a project before serving.

    Returns the project.  Only read-only, parameter-keyed results are cached.
    """
    from dashboard import _data, _solar_data
    from dashboard import map as map_module

    _ensure_extensions()
    project = open_project(project_dir)
    store_missing_results(project)
    for kind in ("counties", "industrial_parks", "exclusions", "roads", "waste_sources", "facilities", "bases"):
        _data.mercator_layer(project, kind, gcj02=False)
    map_module.wind_image(project, gcj02=False)
    if project.has("rooftops"):
        try:
            _solar_data.rooftop_table(project, with_pv=True)
            _solar_data.mercator_xy(project, with_pv=True, gcj02=False)
        except Exception as exc:  # the session shows the error in the tab
            print(f"xysiting: warning: rooftop PV results failed: {exc}", file=sys.stderr)
    # render one throwaway app: imports the plotting code and compiles datashader's kernels
    from bokeh.document import Document

    create_app(project.path).get_root(Document())
    return project


def _served_project_dir() -> str | None:
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    return args[0] if args else os.environ.get("XYSITING_PROJECT") or None


if __name__.startswith("bokeh_app"):  # `panel serve dashboard/app.py --args [DIR]`
    create_app(_served_project_dir()).servable(title="襄阳选址图集 Xiangyang siting atlas")
