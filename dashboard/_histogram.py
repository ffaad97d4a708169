"""The PV tab's yield histogram: one Bokeh figure per session, updated in place.

A new filter sends 30 bar heights; a language switch sets three texts.  (A HoloViews
``DynamicMap`` replotted the whole figure for each: 0.1 s per session to build it, 0.05 s
per filter or language switch, and a new set of Bokeh models each time.)
"""

from __future__ import annotations

import numpy as np

from dashboard.i18n import t

#: Bars of the filtered rows and of rows an earlier filter chose (shown until replaced).
COLOUR = "#f46d43"
STALE_COLOUR = "#c8c8c8"
BINS = 30

_REPAINT_JS = """
setTimeout(() => {
  const view = Bokeh.index.find_one(fig)
  if (view != null) { view.request_layout(); view.request_repaint() }
}, 0)
"""


def yield_bins(values, *, bins: int = BINS) -> dict[str, np.ndarray]:
    """Bar edges and heights of specific yields (kWh/kWp; NaN ignored) for a quad glyph.

    Returns ``left``, ``right`` (kWh/kWp) and ``top`` (rooftops) arrays, empty for no
    finite value.
    """
    values = np.asarray(values, dtype="float64")
    values = values[np.isfinite(values)]
    if not values.size:
        empty = np.zeros(0)
        return {"left": empty, "right": empty, "top": empty}
    counts, edges = np.histogram(values, bins=bins)
    return {"left": edges[:-1], "right": edges[1:], "top": counts.astype("float64")}


class YieldHistogram:
    """The distribution of specific yield over the filtered rooftops.

    Parameters
    ----------
    lang : str
        UI language of the title and axis labels.
    """

    def __init__(self, *, lang: str):
        from bokeh.models import ColumnDataSource, CustomJS, PrintfTickFormatter, Range1d
        from bokeh.plotting import figure

        self.source = ColumnDataSource(yield_bins([]))
        fig = figure(
            x_range=Range1d(0.0, 1.0),  # set to the bars in show() (a DataRange1d kept old data in view)
            y_range=Range1d(0.0, 1.0),
            height=210,
            sizing_mode="stretch_width",
            toolbar_location=None,
            tools="",
            min_border_left=50,
            outline_line_color=None,
            css_classes=["xy-solar-hist"],  # Panel's Bokeh pane passes the figure on as it is
        )
        fig.yaxis.formatter = PrintfTickFormatter(format="%d")
        fig.xgrid.grid_line_color = None
        self.bars = fig.quad(
            left="left", right="right", top="top", bottom=0, source=self.source, fill_color=COLOUR, line_color="white"
        )
        self.figure = fig
        # BokehJS 3.9 rebuilds a changed title or axis label asynchronously and paints before
        # the new text is ready: the old text stayed on the canvas.  Paint again once it is.
        repaint = CustomJS(args={"fig": fig}, code=_REPAINT_JS)
        fig.title.js_on_change("text", repaint)
        for axis in (*fig.xaxis, *fig.yaxis):
            axis.js_on_change("axis_label", repaint)
        self.relabel(lang)

    def show(self, values, *, stale: bool = False) -> None:
        """Draw the yields ``values`` (kWh/kWp); ``stale`` draws the bars grey."""
        data = yield_bins(values)
        self.source.data = data
        if len(data["top"]):
            left, right = float(data["left"][0]), float(data["right"][-1])
            pad = 0.02 * max(right - left, 1.0)
            self.figure.x_range.update(start=left - pad, end=right + pad)
            self.figure.y_range.update(start=0.0, end=1.08 * max(float(data["top"].max()), 1.0))
        self.mark(stale=stale)

    def mark(self, *, stale: bool) -> None:
        """Grey bars (rows of an earlier filter) or the normal colour."""
        self.bars.glyph.fill_color = STALE_COLOUR if stale else COLOUR

    def relabel(self, lang: str) -> None:
        """Title and axis labels in ``lang``."""
        self.figure.title.text = t("histogram", lang)
        self.figure.xaxis.axis_label = t("pv_col_kwh_per_kwp", lang)
        self.figure.yaxis.axis_label = t("pv_hist_rooftops", lang)

    def texts(self) -> list[str]:
        """The title and axis labels as drawn."""
        fig = self.figure
        return [fig.title.text, fig.xaxis[0].axis_label, fig.yaxis[0].axis_label]
