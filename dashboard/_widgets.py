"""Small shared pieces of the tabs: download buttons, totals boxes, safe HTML."""

from __future__ import annotations

import html
import io
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import panel as pn

from layers.export import export_frame, safe_filename


def frame_download(
    get_frame: Callable[[], pd.DataFrame | None],
    *,
    fmt: str,
    label: str,
    filename: str,
    layer: str = "export",
    get_assumptions: Callable[[], dict] | None = None,
    css_class: str = "",
) -> pn.widgets.FileDownload:
    """A download button writing ``get_frame()`` in ``fmt`` through ``export_frame``.

    The frame is produced only when the button is clicked; the file name is passed through
    :func:`layers.export.safe_filename`.
    """

    def callback():
        frame = get_frame()
        if frame is None:
            return io.BytesIO(b"")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"export.{fmt}"
            assumptions = get_assumptions() if get_assumptions and fmt == "xlsx" else None
            export_frame(frame, path, fmt=fmt, layer=layer, assumptions=assumptions)
            return io.BytesIO(path.read_bytes())

    return pn.widgets.FileDownload(
        callback=callback,
        filename=safe_filename(filename),
        label=label,
        embed=False,
        color="primary",
        variant="outline",
        width=240,
        css_classes=[css_class] if css_class else [],
    )


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
