"""What the waste and wind tabs share: ask for a stored result (or a what-if), wait for it off
the event loop while the affected panes show a loading state and stale figures are greyed,
then show totals and tables with headers, vocabularies and numbers in the UI language.

:class:`ResultView` is the base :class:`panel.viewable.Viewer` of those tabs.  A subclass says
what it asks for (:meth:`ResultView._asked`, from its declared parameters), how to get it
(:meth:`ResultView._fetch`: the stored result, or a :class:`concurrent.futures.Future` while
:mod:`dashboard._jobs` computes it in the server's worker process) and which panes show it
(:attr:`ResultView.result_panes`).  The waiting happens in a short-lived thread, so neither this
session's event loop nor any other session's is held; the result is handed back to the
session's event loop with ``add_next_tick_callback``.

Tables are described by :class:`Col` rows (column, header message id, number kind, vocabulary)
and turned into a displayed frame, header titles and Tabulator formatters by
:func:`table_view`: integers without decimals, shares as %, units in the headers, coded values
(facility kinds, statuses, roles) through :func:`dashboard.i18n.option_label`, counties by
their name in the UI language.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import panel as pn
import param

from dashboard._held import held
from dashboard._widgets import LocalisedTabulator, TextAlert
from dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES, county_label, option_label, t

#: CSS class of figures that are being replaced; greyed by :data:`STALE_CSS` until they are.
STALE_CLASS = "xy-stale"
STALE_CSS = f":host(.{STALE_CLASS}) {{ opacity: 0.45; filter: grayscale(1); transition: opacity 0.1s; }}"


# -- numbers and tables in the UI language -----------------------------------------------------
def fmt_int(value) -> str:
    """``150000.0`` → ``"150,000"`` (a dash when missing)."""
    return "–" if value is None or not np.isfinite(value) else f"{value:,.0f}"


def fmt_dec(value, digits: int = 1) -> str:
    """A number with ``digits`` decimals and thousands separators (a dash when missing)."""
    return "–" if value is None or not np.isfinite(value) else f"{value:,.{digits}f}"


def fmt_share(share) -> str:
    """A share given as a fraction (0.583) as a percentage (``"58.3 %"``; a dash when missing)."""
    return "–" if share is None or not np.isfinite(share) else f"{100.0 * share:.1f} %"


@dataclass(frozen=True)
class Col:
    """One table column: ``name`` in the result frame, header ``title`` (message id) and ``kind``.

    ``kind`` is "int" (no decimals), "dec1"/"dec2"/"dec3" (that many decimals), "share" (a
    fraction shown as %; put the % in the header), "text" (shown as is: names, ids), "county"
    (an adcode shown as the county's name) or "vocab" (a coded value translated with
    :func:`dashboard.i18n.option_label` and ``vocab`` as prefix).
    """

    name: str
    title: str
    kind: str = "int"
    vocab: str = ""


_DECIMALS = {"int": 0, "dec1": 1, "dec2": 2, "dec3": 3, "share": 1}


def table_view(frame: pd.DataFrame, cols: Sequence[Col], lang: str) -> tuple[pd.DataFrame, dict, dict]:
    """(displayed frame, Tabulator titles, Tabulator formatters) of ``frame`` in ``lang``.

    Only the ``cols`` present in ``frame`` are kept, in that order, less the text columns empty
    in every row (e.g. nearest substations without names; the exports leave them out too).
    Coded values and counties are translated per distinct value (not per row); numbers keep
    their dtype and get a formatter with the kind's decimals and thousands separators.
    """
    present = [c for c in cols if c.name in frame.columns]
    out = pd.DataFrame(index=frame.index)
    titles, formatters = {}, {}
    for col in present:
        values = frame[col.name]
        if col.kind in ("vocab", "county"):
            codes = values.fillna("").astype(str)
            labels = {
                code: (
                    ""
                    if code == ""
                    else county_label(code, lang)
                    if col.kind == "county"
                    else option_label(col.vocab, code, lang)
                )
                for code in codes.unique()
            }
            out[col.name] = codes.map(labels)
            formatters[col.name] = {"type": "plaintext"}
        elif col.kind == "text":
            out[col.name] = values.astype(object).where(values.notna(), "").astype(str)
            formatters[col.name] = {"type": "plaintext"}
        if col.kind in ("vocab", "county", "text"):
            if len(out) and not (out[col.name].str.strip() != "").any():
                del out[col.name], formatters[col.name]
                continue
        else:
            numbers = pd.to_numeric(values, errors="coerce").astype("float64")
            out[col.name] = numbers * 100.0 if col.kind == "share" else numbers
            formatters[col.name] = {"type": "money", "precision": _DECIMALS[col.kind], "thousand": ","}
        titles[col.name] = t(col.title, lang)
    return out, titles, formatters


def result_table(css_class: str, *, lang, page_size: int = 8) -> LocalisedTabulator:
    """An empty read-only, paginated table that can be greyed as stale; its pager speaks ``lang``
    (a language or a reference to one, e.g. ``tab.param.lang``)."""
    return LocalisedTabulator(
        pd.DataFrame(),
        lang=lang,
        disabled=True,
        show_index=False,
        pagination="remote",
        page_size=page_size,
        selectable=1,
        sizing_mode="stretch_width",
        css_classes=[css_class],
        stylesheets=[STALE_CSS],
    )


def param_widget(parameter: param.Parameter, widget: type = pn.widgets.Select, *, css_class: str) -> pn.widgets.Widget:
    """A widget built from a declared parameter; its label and options are set per language by the tab."""
    return widget.from_param(parameter, description=None, width=240, css_classes=[css_class])


def result_html(css_class: str = "", **params) -> pn.pane.HTML:
    """An HTML pane for figures, greyed while stale."""
    return pn.pane.HTML(
        "", sizing_mode="stretch_width", css_classes=[css_class] if css_class else [], stylesheets=[STALE_CSS], **params
    )


def show_table(table: pn.widgets.Tabulator, frame: pd.DataFrame | None, cols: Sequence[Col], lang: str) -> None:
    """Put ``frame`` into ``table`` through :func:`table_view` (empty when ``frame`` is None)."""
    if frame is None:
        table.value = pd.DataFrame()
        return
    shown, titles, formatters = table_view(pd.DataFrame(frame.drop(columns="geometry", errors="ignore")), cols, lang)
    numbers = {name: "right" for name, f in formatters.items() if f["type"] == "money"}  # digits line up
    table.param.update(formatters=formatters, titles=titles, text_align=numbers, value=shown.reset_index(drop=True))


# -- the flow: ask, wait off the loop, show ----------------------------------------------------
def stored_or_future(project, analysis: str, options: dict, read: Callable[[str, str, str], object]):
    """``read(folder, analysis, key)`` of the stored result, or a Future while it is computed.

    A result that is not stored yet is computed once in the server's worker process
    (:func:`dashboard._jobs.shared_jobs`); call again when the Future is done.
    """
    from dashboard._jobs import shared_jobs

    got = shared_jobs().get(project.path, analysis, options)
    if isinstance(got, Future):
        return got
    return read(str(project.path), analysis, got.key)


# -- the flow ----------------------------------------------------
class ResultView(pn.viewable.Viewer):
    """Base of a tab that shows one analysis result chosen by its parameters (module docstring).

    Subclasses declare their parameters, name those that choose the result in :attr:`inputs`,
    set :attr:`run`, build :attr:`layout` and :attr:`result_panes` in their constructor, and show
    :attr:`result` in watchers of ``result`` and ``lang``.

    Parameters
    ----------
    project : Project
    shared_map : SharedMap
        The session's map, which the tab draws its result on.
    lang : {"zh", "en"}
        UI language (a value or a reference such as ``app.param.lang``).
    **params
        Initial values of the declared parameters (e.g. restored from the URL).
    """

    lang = param.Selector(default=DEFAULT_LANGUAGE, objects=list(LANGUAGES), allow_refs=True, doc="UI language")
    result = param.Parameter(default=None, doc="The result shown (None before the first one or after an error)")
    busy = param.Boolean(default=False, doc="A result has been asked for and is not shown yet")
    error = param.String(default="", doc="Why the result asked for last could not be had")

    #: Declared parameter → URL query key (synced by the app shell, never by the tab).
    url_params: ClassVar[dict[str, str]] = {}
    #: The declared parameters that choose the result (a change asks for another one).
    inputs: ClassVar[tuple[str, ...]] = ()
    #: Layers the analysis needs, and the message id naming the first one when any is missing.
    needs_layers: ClassVar[tuple[str, ...]] = ()
    missing_layer_msg: ClassVar[str] = ""

    def __init__(self, project, shared_map, **params):
        self.project = project
        self.map = shared_map
        self.result_panes: list = []
        self.message = TextAlert("", alert_type="info", visible=False)  # may quote user input
        self.layout = pn.Column()
        self._asked_last = None
        self._settled = threading.Event()  # set once the result asked for last is shown
        super().__init__(**params)
        self.ready = all(project.has(kind) for kind in self.needs_layers)
        self.param.watch(self._on_inputs, list(self.inputs))

    def __panel__(self):
        return self.layout

    # -- selection: a declared parameter holding the selected row's id, both ways with a table
    #: (declared parameter holding the selected feature's id, that id's column in :meth:`_selectable`)
    selection: ClassVar[tuple[str, str]] = ("", "")

    def _selectable(self) -> pd.DataFrame | None:
        """The frame whose rows the selection table shows, in order (None without a result)."""
        return None

    def _link_selection(self, table: pn.widgets.Tabulator) -> None:
        """Keep ``table``'s selected row and :attr:`selection` in step (called once)."""
        self._selection_table = table
        table.param.watch(self._on_row, "selection")
        self.param.watch(lambda _event: self._select_row(), [self.selection[0]])

    def _on_row(self, event) -> None:
        frame = self._selectable()
        name, id_col = self.selection
        setattr(self, name, "" if frame is None or not event.new else str(frame[id_col].iloc[event.new[0]]))

    def _select_row(self) -> None:
        """Select the row of the chosen id in the table and show it on the map (:meth:`_focus`)."""
        frame = self._selectable()
        if frame is None:
            return
        name, id_col = self.selection
        chosen = getattr(self, name)
        rows = np.flatnonzero(frame[id_col].astype(str).to_numpy() == chosen).tolist() if chosen else []
        if self._selection_table.selection != rows:
            self._selection_table.selection = rows
        self._focus(frame, rows[0] if rows else None)

    def _focus(self, frame: pd.DataFrame, row: int | None) -> None:
        """Show row ``row`` of ``frame`` (None: no row) on the map."""

    #: ``run(project, **inputs)``: the result for the values of :attr:`inputs`, or a Future while
    #: it is computed (e.g. :func:`dashboard.waste_tab.run_waste`); a staticmethod.
    run: ClassVar[Callable]

    def _fetch(self, asked: tuple):
        return self.run(self.project, **dict(zip(self.inputs, asked, strict=True)))

    def load(self) -> None:
        """Show the result of the current parameters (the slow part, run after the page shows)."""
        if not self.ready:
            self.message.param.update(
                object=t("layer_missing", self.lang, layer=t(self.missing_layer_msg, self.lang)),
                alert_type="info",
                visible=True,
            )
            return
        self._start()

    def _on_inputs(self, *_events) -> None:
        if self.ready:
            self._start()

    # -- the flow
    def _start(self) -> None:
        """Ask for the result of the current parameters; show it when it is there."""
        asked = tuple(getattr(self, name) for name in self.inputs)
        if asked == self._asked_last and (self.busy or self.result is not None):
            return
        self._asked_last = asked
        self._settled.clear()
        self.busy = True  # at once, before any waiting: panes loading, figures stale
        doc = pn.state.curdoc
        on_server = doc is not None and doc.session_context is not None

        def hand_back(result, error) -> None:
            if on_server:
                doc.add_next_tick_callback(lambda: self._arrive(asked, result, error))
            else:
                self._arrive(asked, result, error)

        threading.Thread(target=self._resolve, args=(asked, hand_back), daemon=True, name="xy-result").start()

    def _resolve(self, asked: tuple, hand_back) -> None:
        """In a thread: the stored result, waiting for its computation first if need be."""
        try:
            got = self._fetch(asked)
            while isinstance(got, Future):
                got.result()  # raises the computation's error; the worker stored the result
                got = self._fetch(asked)
        except Exception as exc:  # InputError from the analysis: the tab says why
            hand_back(None, exc)
            return
        hand_back(got, None)

    def _arrive(self, asked: tuple, result, error: Exception | None) -> None:
        if asked != self._asked_last:
            return  # the user asked for something else meanwhile
        with held():
            self.error = "" if error is None else str(error)
            self.result = None if error is not None else result
            self.busy = False
        self._settled.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the result asked for last is shown (tests and scripts); False on timeout."""
        return self._settled.wait(timeout)

    @param.depends("busy", watch=True)
    def _mark_busy(self) -> None:
        with pn.io.hold():
            for pane in self.result_panes:
                pane.loading = self.busy
                classes = [c for c in pane.css_classes if c != STALE_CLASS]
                pane.css_classes = [*classes, STALE_CLASS] if self.busy else classes

    @param.depends("error", "lang", watch=True)
    def _show_error(self) -> None:
        if self.error:
            self.message.param.update(
                object=t("error", self.lang, message=self._say(self.error, self.lang)),
                alert_type="danger",
                visible=True,
            )
        else:
            self._show_notes()

    def _say(self, text: str, lang: str) -> str:
        """An analysis's message (English) in ``lang`` where the tab knows it; else as it is."""
        return text

    def _show_notes(self) -> None:
        """Warnings of the result shown (none by default)."""
        self.message.visible = False

    # -- the app shell's interface until it binds ``lang`` itself
    def panel(self):
        """The tab's layout."""
        return self.__panel__()
