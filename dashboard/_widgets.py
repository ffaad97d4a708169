"""Small shared pieces of the tabs: totals boxes, safe HTML, tables that speak the UI language
(download buttons: :mod:`dashboard._downloads`)."""

from __future__ import annotations

import html
from typing import ClassVar

import pandas as pd
import panel as pn
import param

from dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES, tabulator_langs


def totals_html(title: str, items: list[tuple[str, str]], *, css_class: str = "xy-totals") -> str:
    """A row of labelled numbers; every text is escaped."""
    cells = "".join(
        "<div class='xy-total' style='background:#f2f6f8;border-radius:4px;padding:4px 10px'>"
        f"<div style='font-size:12px;color:#456'>{html.escape(k)}</div>"
        "<div class='xy-total-value' style='font-size:18px;font-weight:700;color:#0b4f6c'>"
        f"{html.escape(v)}</div></div>"
        for k, v in items
    )
    return (
        f"<div class='{css_class}'><b>{html.escape(title)}</b>"
        f"<div style='display:flex;gap:14px;flex-wrap:wrap'>{cells}</div></div>"
    )


def plain_formatters(frame: pd.DataFrame) -> dict:
    """Tabulator formatters: text columns as plain text (escaped), numbers with separators."""
    out = {}
    for col in frame.columns:
        if pd.api.types.is_bool_dtype(frame[col]):
            continue
        if pd.api.types.is_numeric_dtype(frame[col]):
            out[col] = {"type": "money", "precision": 1, "thousand": ","}
        else:
            out[col] = {"type": "plaintext"}
    return out


class TextAlert(pn.pane.HTML):
    """An alert box (like :class:`panel.pane.Alert`) that shows its ``object`` as plain text.

    ``pn.pane.Alert`` renders Markdown, and Markdown passes HTML through: a message quoting
    a user's input (an uploaded unit, a layer attribute, an exception naming a file) could
    carry ``<img src=x onerror=...>``.  Here the text is escaped, line breaks are kept, and
    nothing is parsed as Markdown, HTML or math.  Drop-in: ``TextAlert(text, alert_type=...)``,
    ``.object = text``.
    """

    alert_type = param.Selector(default="primary", objects=pn.pane.alert.ALERT_TYPES)

    _rename: ClassVar[dict] = {**pn.pane.HTML._rename, "alert_type": None}
    _rerender_params: ClassVar[list] = [*pn.pane.HTML._rerender_params, "alert_type"]
    _stylesheets: ClassVar[list] = [*pn.pane.HTML._stylesheets, *pn.pane.Alert._stylesheets]

    def __init__(self, object=None, **params):
        if "sizing_mode" not in params and "width" not in params:
            params["sizing_mode"] = "stretch_width"
        super().__init__(object, **params)

    def _transform_object(self, obj) -> dict:
        text = "" if obj is None else str(obj)
        return super()._transform_object(
            f"<div class='xy-alert-text' style='white-space:pre-wrap'>{html.escape(text)}</div>"
        )

    def _process_param_change(self, params):
        if "css_classes" in params or "alert_type" in params:
            params["css_classes"] = [*self.css_classes, "alert", f"alert-{self.alert_type}"]
        return super()._process_param_change(params)


class LocalisedTabulator(pn.widgets.Tabulator):
    """A :class:`panel.widgets.Tabulator` whose own texts (pager buttons and their tooltips,
    page counter, page-size selector, loading note, header-filter placeholder) follow ``lang``.

    Tabulator's ``langs`` option holds every UI language (:func:`dashboard.i18n.tabulator_langs`)
    and its ``locale`` option the current one.  ``lang`` accepts a reference
    (``lang=tab.param.lang``): a change sends the new configuration, and the browser redraws
    the table in that language.
    """

    lang = param.Selector(default=DEFAULT_LANGUAGE, objects=list(LANGUAGES), allow_refs=True, doc="UI language")

    # ``lang`` is not a property of the Bokeh model: it changes the configuration
    _rename: ClassVar[dict] = {**pn.widgets.Tabulator._rename, "lang": None}
    _config_params: ClassVar[list] = [*pn.widgets.Tabulator._config_params, "lang"]
    _manual_params: ClassVar[list] = [*pn.widgets.Tabulator._manual_params, "lang"]

    def _get_configuration(self, columns) -> dict:
        return {**super()._get_configuration(columns), "locale": self.lang, "langs": tabulator_langs()}
