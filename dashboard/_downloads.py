"""The dashboard's download buttons: one component per exported table, in the UI language.

``Downloads(get_frame, kind="pv_shortlist", lang="zh", get_assumptions=...)`` gives a button
per format of the kind (:data:`dashboard.export_labels.KINDS`).  A click writes the frame
the tab shows *at that moment* (the getter is called then) through
:func:`layers.export.export_frame` with headers in the language and their units, names
instead of codes, values rounded by kind, empty columns dropped, and the assumptions: an
XLSX sheet, GeoJSON foreign members, and for CSV a zip holding the CSV and an assumptions
CSV (why a zip: :mod:`layers.export`).  File names follow the language
(``襄阳屋顶光伏候选_襄州区.xlsx`` / ``xiangyang-rooftop-pv-shortlist-xiangzhou.xlsx``).

``lang`` is a parameter that accepts a reference (``lang=tab.param.lang``), so the buttons
follow a tab's language without hand-fanned calls; labels are derived from it.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import panel as pn
import param

from dashboard import export_labels
from dashboard.i18n import LANGUAGES, t
from layers.export import export_frame

#: Long labels wrap inside the button instead of being clipped (Bokeh's buttons keep one line).
_WRAP_CSS = ":host .bk-btn { white-space: normal; overflow-wrap: anywhere; height: auto; line-height: 1.3; }"

#: Label of each format's button.
_LABELS = {"csv.zip": "download_csv_zip", "xlsx": "download_xlsx", "geojson": "download_geojson"}


class Downloads(pn.viewable.Viewer):
    """Download buttons of one exported table (see module docstring).

    Parameters
    ----------
    get_frame : callable
        Returns the rows to export (the tab's filtered table, a GeoDataFrame for GeoJSON),
        or None when there is nothing yet.  Called on click.
    kind : str
        One of :data:`dashboard.export_labels.KINDS`, or ``"wind_workbook"`` (the wind
        result's workbook: supply curve, sites, potentials, exclusions, notes, assumptions;
        ``get_frame`` then returns the :class:`siting.wind.WindSites` result).
    lang : {"zh", "en"} or a reference to one
    get_assumptions : callable, optional
        ``get_assumptions(lang)`` → dict of the assumptions behind the rows.
    get_qualifiers : callable, optional
        ``get_qualifiers(lang)`` → words added to the file name (a county, a waste kind...).
    park_names : callable, optional
        Returns park id → park name (for ``park_id`` columns).
    labels : dict, optional
        Format → message id of the button label (default: "download_<format>").
    css_prefix : str
        Each button gets the css class ``f"{css_prefix}-{fmt}"`` (``csv`` for the CSV zip).
    """

    lang = param.Selector(default="zh", objects=list(LANGUAGES), allow_refs=True)
    disabled = param.Boolean(default=False, doc="Disable every button (nothing to export).")

    def __init__(
        self,
        get_frame: Callable[[], pd.DataFrame | None],
        *,
        kind: str,
        get_assumptions: Callable[[str], dict] | None = None,
        get_qualifiers: Callable[[str], list[str]] | None = None,
        park_names: Callable[[], dict] | None = None,
        labels: dict[str, str] | None = None,
        css_prefix: str = "xy-download",
        width: int = 240,
        **params,
    ):
        super().__init__(**params)
        self.kind = kind
        self._get_frame = get_frame
        self._get_assumptions = get_assumptions
        self._get_qualifiers = get_qualifiers
        self._park_names = park_names
        self._labels = {**_LABELS, **(labels or {})}
        formats = ("xlsx",) if kind == "wind_workbook" else export_labels.KINDS[kind].formats
        self.buttons: dict[str, pn.widgets.FileDownload] = {
            fmt: pn.widgets.FileDownload(
                callback=self._callback(fmt),
                filename=self.file_name(fmt),
                label=t(self._labels[fmt], self.lang),
                embed=False,
                color="primary",
                variant="outline",
                width=width,
                disabled=self.disabled,
                css_classes=[f"{css_prefix}-{fmt.split('.')[0]}"],
                stylesheets=[_WRAP_CSS],
            )
            for fmt in formats
        }
        self._layout = pn.Column(*self.buttons.values(), margin=0)

    def __panel__(self):
        return self._layout

    @param.depends("lang", "disabled", watch=True)
    def _relabel(self) -> None:
        for fmt, button in self.buttons.items():
            button.param.update(
                label=t(self._labels[fmt], self.lang), filename=self.file_name(fmt), disabled=self.disabled
            )

    def refresh(self) -> None:
        """Recompute the file names (after the tab's filters changed)."""
        self._relabel()

    def file_name(self, fmt: str) -> str:
        """The file name of ``fmt`` for the current language and qualifiers."""
        qualifiers = self._get_qualifiers(self.lang) if self._get_qualifiers else []
        file_kind = "wind_supply_curve" if self.kind == "wind_workbook" else self.kind
        return export_labels.file_name(file_kind, self.lang, fmt, qualifiers)

    def write(self, path: str | Path, fmt: str) -> Path | None:
        """Write the current rows to ``path`` as ``fmt``; None when there is nothing to write."""
        frame = self._get_frame()
        if frame is None:
            return None
        lang = self.lang
        assumptions = self._get_assumptions(lang) if self._get_assumptions else None
        if self.kind == "wind_workbook":
            return export_labels.wind_workbook(frame, path, lang=lang, assumptions=assumptions or {})
        parks = self._park_names() if self._park_names else None
        presentation = export_labels.kind_presentation(self.kind, lang, park_names=parks)
        return export_frame(frame, path, fmt=fmt, assumptions=assumptions, presentation=presentation)

    def _callback(self, fmt: str):
        def callback():
            name = self.buttons[fmt].filename = self.file_name(fmt)  # the filters may have changed since
            with tempfile.TemporaryDirectory() as tmp:
                path = self.write(Path(tmp) / name, fmt)  # the zip's members are named after it
                return io.BytesIO(b"" if path is None else Path(path).read_bytes())

        return callback
