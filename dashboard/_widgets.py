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
    and its ``locale`` option the language the table is drawn in.  ``lang`` accepts a
    reference (``lang=tab.param.lang``).

    A change of ``lang`` is not sent as a new configuration: Panel has the browser rebuild the
    whole table for any configuration change (about 0.2 s for a visible table, on every
    language switch).  It is sent as a tag on the Bokeh model instead; a small script then
    calls Tabulator's ``setLocale`` and writes the language into the browser's copy of the
    configuration, so that a later rebuild keeps it.  The configuration sent from here keeps
    the language the model was made in (``_drawn_lang``).
    """

    lang = param.Selector(default=DEFAULT_LANGUAGE, objects=list(LANGUAGES), allow_refs=True, doc="UI language")

    # ``lang`` is not a property of the Bokeh model: _update_lang sends it as a tag
    _rename: ClassVar[dict] = {**pn.widgets.Tabulator._rename, "lang": None}
    _manual_params: ClassVar[list] = [*pn.widgets.Tabulator._manual_params, "lang"]

    def __init__(self, value=None, **params):
        self._drawn_lang = None
        super().__init__(value, **params)

    def _get_configuration(self, columns) -> dict:
        locale = self._drawn_lang or self.lang
        return {**super()._get_configuration(columns), "locale": locale, "langs": tabulator_langs()}

    def _get_model(self, doc, root=None, parent=None, comm=None):
        from bokeh.models import CustomJS

        self._drawn_lang = self.lang
        model = super()._get_model(doc, root, parent, comm)
        model.tags = [*_other_tags(model.tags), f"{_LANG_TAG}{self.lang}"]
        set_locale = CustomJS(code=_SET_LOCALE_JS)
        model.js_on_change("tags", set_locale)
        model.js_on_change("configuration", set_locale)
        return model

    def _update_lang(self, model) -> None:
        """Called by Panel for each of the table's models when ``lang`` changes."""
        model.tags = [*_other_tags(model.tags), f"{_LANG_TAG}{self.lang}"]


_LANG_TAG = "xy-lang:"

# cb_obj: the DataTabulator model (Bokeh.index finds its view, the view holds the Tabulator).
# On a configuration change Panel rebuilds the table a moment later from the patched copy.
_SET_LOCALE_JS = f"""
const tag = cb_obj.tags.find((t) => typeof t === "string" && t.startsWith({_LANG_TAG!r}))
if (tag == null) {{ return }}
const lang = tag.slice({len(_LANG_TAG)})
const conf = cb_obj.configuration
if (conf instanceof Map) {{ conf.set("locale", lang) }} else if (conf != null) {{ conf.locale = lang }}
const view = Bokeh.index.find_one(cb_obj)
if (view != null && view.tabulator != null) {{ view.tabulator.setLocale(lang) }}
"""


def _other_tags(tags) -> list:
    return [tag for tag in tags or () if not (isinstance(tag, str) and tag.startswith(_LANG_TAG))]
