"""Export a layer or a result frame (a shortlist) to the formats people hand on.

CSV is UTF-8 with a byte-order mark so Excel shows Chinese; XLSX carries a second sheet
with the assumptions the result was computed with; GeoPackage, GeoJSON and zipped
Shapefile keep geometry in WGS84.  Every write is atomic.

Spreadsheet exports are safe to open (OWASP "CSV injection"): a text cell beginning with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written to CSV with a leading ``'``
(:func:`neutralise_formulas`), and to XLSX as a string cell, never a formula; numbers stay
numbers.  Assumption values never carry the server's folders (:func:`public_text`).
Every export path of the project (``xysiting export``, the ``--out`` of the analyses, the
dashboard's download buttons) goes through :func:`export_frame`.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.atomic import atomic_path
from geo.crs import WGS84
from geo.errors import InputError

EXPORT_FORMATS = ("csv", "xlsx", "gpkg", "geojson", "shp")
_SUFFIX_FORMAT = {
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".gpkg": "gpkg",
    ".geojson": "geojson",
    ".json": "geojson",
    ".shp": "shp",
    ".zip": "shp",
}


def format_from_path(path: str | os.PathLike) -> str:
    """Guess the export format from a file suffix; raise InputError if unknown."""
    suffix = Path(path).suffix.lower()
    try:
        return _SUFFIX_FORMAT[suffix]
    except KeyError:
        msg = (
            f"cannot tell the export format of {path!s}: use a suffix among "
            f"{', '.join(sorted(_SUFFIX_FORMAT))} or pass --format"
        )
        raise InputError(msg) from None


def safe_filename(name: str, *, default: str = "export") -> str:
    """A file name safe to offer for download: no folders, no control or shell characters.

    Chinese characters are kept.  ``"../../etc/passwd"`` becomes ``"etc_passwd"``.
    """
    name = os.path.basename(str(name).replace("\\", "/"))
    name = re.sub(r"[\x00-\x1f\x7f<>:\"/\\|?*;&$`'!{}\[\]]+", "_", name)
    name = re.sub(r"\s+", "_", name).strip("._-")
    return name[:120] or default


#: CSV rows end in CRLF (RFC 4180), so a text holding a lone carriage return is quoted and
#: cannot start a new row in Excel (whose first cell could then be a formula).
_CSV_EOL = "\r\n"
#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: A plain number written as text ("-12.5", "+3e4"): a spreadsheet reads it as a number, not a formula.
_NUMBER_TEXT = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
#: Absolute paths (POSIX with two parts or more, ``~/...``, Windows ``C:\\...``) inside a text.
_ABSOLUTE_PATH = re.compile(
    r"(?<![\w:/.~\\-])(?:~|[A-Za-z]:)?(?:[/\\][^/\\\s'\",;:()\[\]{}<>|]+){2,}[/\\]?"
    r"|(?<![\w:/.~\\-])~[/\\][^\s'\",;:()\[\]{}<>|]+"
)


def formula_mask(frame: pd.DataFrame) -> pd.DataFrame:
    """True where a cell is text a spreadsheet would read as a formula.

    Text cells (``str``) beginning with one of :data:`FORMULA_TRIGGERS`, except plain numbers
    written as text (``"-12.5"``), which a spreadsheet reads as numbers.  Numeric cells are
    never flagged: negative numbers stay numbers.
    """
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for i in range(frame.shape[1]):
        col = frame.iloc[:, i]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_datetime64_any_dtype(col):
            continue
        try:
            text = col.astype(object).str
        except AttributeError:  # no text in this column
            continue
        hit = text.startswith(FORMULA_TRIGGERS).fillna(False).astype(bool)
        hit &= ~text.fullmatch(_NUMBER_TEXT).fillna(False).astype(bool)
        mask.iloc[:, i] = hit.to_numpy()
    return mask


def _header_hits(columns: pd.Index) -> list[bool]:
    return [
        isinstance(c, str) and c.startswith(FORMULA_TRIGGERS) and re.fullmatch(_NUMBER_TEXT, c) is None for c in columns
    ]


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` safe to open in a spreadsheet as CSV (OWASP CSV injection).

    Every text cell and column name that :func:`formula_mask` flags (beginning with ``=``,
    ``+``, ``-``, ``@``, tab or carriage return) gets a leading ``'``, so Excel, WPS and
    LibreOffice show it as text instead of evaluating it.  Numbers, dates and other text are
    unchanged.

    Examples
    --------
    >>> safe = neutralise_formulas(pd.DataFrame({"a": ["=1+2", "ok", "-3"], "b": [-1.5, 2.0, 3.0]}))
    >>> print(safe["a"].tolist(), safe["b"].tolist())
    ["'=1+2", 'ok', '-3'] [-1.5, 2.0, 3.0]
    """
    mask = formula_mask(frame)
    out = frame.copy()
    for i in np.flatnonzero(mask.to_numpy().any(axis=0)):
        values = out.iloc[:, i].to_numpy(dtype=object, copy=True)
        hit = mask.iloc[:, i].to_numpy()
        values[hit] = ["'" + v for v in values[hit]]  # only the flagged cells, all str
        out.isetitem(int(i), values)
    hits = _header_hits(out.columns)
    if any(hits):
        out.columns = [f"'{c}" if hit else c for c, hit in zip(out.columns, hits, strict=True)]
    return out


def public_text(value) -> str:
    """``str(value)`` with every absolute path cut to its last part (no server folders in exports).

    ``"/srv/atlas/projects/xy/weather.epw"`` becomes ``"weather.epw"``; units such as ``t/yr``
    and URLs are left alone.
    """
    text = str(value)

    def last_part(match: re.Match) -> str:
        parts = [p for p in re.split(r"[/\\]", match.group(0)) if p and p != "~" and not p.endswith(":")]
        return parts[-1] if parts else ""

    return _ABSOLUTE_PATH.sub(last_part, text)


def _write_xlsx_sheet(writer: pd.ExcelWriter, table: pd.DataFrame, sheet: str) -> None:
    """Write ``table`` to ``sheet``; text cells that openpyxl would take as formulas stay text."""
    table.to_excel(writer, sheet_name=sheet, index=False)
    ws = writer.sheets[sheet]
    # openpyxl turns any str beginning with "=" into a formula cell; mark those as strings.
    rows, cols = np.nonzero(formula_mask(table).to_numpy())
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        ws.cell(row=r + 2, column=c + 1).data_type = "s"  # row 1 is the header
    for c, hit in enumerate(_header_hits(table.columns)):
        if hit:
            ws.cell(row=1, column=c + 1).data_type = "s"


def assumptions_table(assumptions: dict) -> pd.DataFrame:
    """The ``parameter, value`` table of an export's assumptions, as text without server folders."""
    return pd.DataFrame(
        {
            "parameter": [public_text(k) for k in assumptions],
            "value": [public_text(v) for v in assumptions.values()],
        }
    )


def write_workbook(path: str | os.PathLike, sheets: dict[str, pd.DataFrame]) -> Path:
    """Write ``sheets`` (name → table, in order) to an XLSX workbook atomically; return the path.

    Text cells stay text: a cell beginning with ``=`` is a string cell, never a formula
    (OWASP).  Sheet names are cut to Excel's 31 characters.  Every XLSX the project writes
    goes through here.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, table in sheets.items():
                _write_xlsx_sheet(writer, table, str(name)[:31])
    return path


def table_for_export(frame: pd.DataFrame) -> pd.DataFrame:
    """A plain table (no geometry object column): adds lon/lat of representative points."""
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        gdf = frame.to_crs(WGS84) if frame.crs is not None and frame.crs != WGS84 else frame
        points = gdf.geometry.representative_point()
        table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
        table["lon"] = points.x.round(6)
        table["lat"] = points.y.round(6)
        return table
    return pd.DataFrame(frame)


def export_frame(
    frame: pd.DataFrame,
    path: str | os.PathLike,
    *,
    fmt: str | None = None,
    layer: str = "export",
    assumptions: dict | None = None,
) -> Path:
    """Write ``frame`` to ``path`` in ``fmt`` atomically and return the path written.

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        The rows to export.  GeoDataFrames are written in EPSG:4326.
    path : path-like
        Destination file.  For ``shp`` a ``.zip`` holding the shapefile parts is written
        (with a ``.cpg`` saying UTF-8) unless the path ends in ``.shp``.
    fmt : {"csv", "xlsx", "gpkg", "geojson", "shp"}, optional
        Defaults to the one implied by the suffix of ``path``.
    layer : str
        Layer or sheet name.
    assumptions : dict, optional
        Parameters the result was computed with; written as an ``assumptions`` sheet (XLSX),
        a layer (GPKG) or a ``.assumptions.csv`` beside the CSV.
    """
    path = Path(path)
    fmt = (fmt or format_from_path(path)).lower()
    if fmt not in EXPORT_FORMATS:
        msg = f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}"
        raise InputError(msg)
    is_geo = isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns
    if fmt in ("gpkg", "geojson", "shp") and not is_geo:
        msg = f"{path}: format {fmt} needs geometry; this table has none — export csv or xlsx"
        raise InputError(msg)
    assumption_table = assumptions_table(assumptions) if assumptions else None
    if fmt == "csv":
        with atomic_path(path) as tmp:
            neutralise_formulas(table_for_export(frame)).to_csv(
                tmp, index=False, encoding="utf-8-sig", lineterminator=_CSV_EOL
            )
        if assumption_table is not None:
            with atomic_path(path.with_suffix(".assumptions.csv")) as tmp:
                neutralise_formulas(assumption_table).to_csv(
                    tmp, index=False, encoding="utf-8-sig", lineterminator=_CSV_EOL
                )
    elif fmt == "xlsx":
        sheets = {layer: table_for_export(frame)}
        if assumption_table is not None:
            sheets["assumptions"] = assumption_table
        write_workbook(path, sheets)
    else:
        gdf = frame.to_crs(WGS84) if frame.crs is not None and frame.crs != WGS84 else frame
        gdf = _stringify_objects(gdf)
        if fmt == "gpkg":
            with atomic_path(path) as tmp:
                gdf.to_file(tmp, layer=layer, driver="GPKG", engine="pyogrio")
                if assumption_table is not None:
                    import pyogrio

                    table = gpd.GeoDataFrame(assumption_table, geometry=[None] * len(assumption_table), crs=WGS84)
                    pyogrio.write_dataframe(
                        table,
                        tmp,
                        layer="assumptions",
                        driver="GPKG",
                        geometry_type="Unknown",
                        layer_options={"ASPATIAL_VARIANT": "GPKG_ATTRIBUTES"},
                    )
        elif fmt == "geojson":
            with atomic_path(path) as tmp:
                gdf.to_file(tmp, driver="GeoJSON", engine="pyogrio")
        else:
            _write_shapefile(gdf, path, layer=layer)
    return path


def _stringify_objects(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = gdf.copy()
    for name in out.columns:
        if name != out.geometry.name and out[name].dtype == object:
            values = out[name]
            out[name] = values.astype("string").astype(object).where(values.notna(), None)
    return out


def _write_shapefile(gdf: gpd.GeoDataFrame, path: Path, *, layer: str) -> None:
    """Write a Shapefile (UTF-8, with .cpg); zipped unless ``path`` ends in .shp."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmpdir:
        base = Path(tmpdir) / (Path(path).stem if path.suffix.lower() == ".shp" else layer)
        gdf.to_file(base.with_suffix(".shp"), driver="ESRI Shapefile", engine="pyogrio", encoding="UTF-8")
        parts = sorted(Path(tmpdir).iterdir())
        if path.suffix.lower() == ".shp":
            for part in parts:
                with atomic_path(path.with_suffix(part.suffix)) as tmp:
                    tmp.write_bytes(part.read_bytes())
        else:
            with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
                for part in parts:
                    zf.write(part, arcname=part.name)
