"""Export a layer or a result frame (a shortlist) to the formats people hand on.

CSV is UTF-8 with a byte-order mark so Excel shows Chinese; XLSX carries a second sheet
with the assumptions the result was computed with; GeoJSON carries them as a top-level
foreign member ``"xysiting:assumptions"`` (RFC 7946 §6.1); GeoPackage as an attribute
table; GeoPackage, GeoJSON and zipped Shapefile keep geometry in WGS84.  Every write is
atomic.

**CSV and its assumptions.**  A CSV holds one table, so the assumptions cannot ride inside
it.  Written to a folder (``--out shortlist.csv``) they go to ``shortlist.assumptions.csv``
beside it; handed on as *one* file (a dashboard download, ``--out shortlist.csv.zip``) the
format ``csv.zip`` is a zip holding the CSV and its assumptions CSV.  We chose the zip over
"CSV without assumptions, take the XLSX if you want them" because a county office forwards
the one file it downloaded (e-mail, WeChat, a USB stick): a bare CSV would lose the capex,
tariffs and grid factor behind every payback and tCO₂ figure at the first forward, and a
second download per click is not something a browser button can give.  The CSV inside the
zip is the same plain UTF-8-with-BOM, CRLF file a GIS or database import expects; Windows
and macOS open zips without extra software; whoever wants one workbook takes the XLSX, which
is offered beside it.

**Presented exports** (:class:`Presentation`): the dashboard's downloads and the command
line's ``--headers zh|en`` write headers in the UI language with units, labels instead of
codes (county, park, use class, facility kind, ...), values rounded by kind
(:data:`ROUNDING`), empty columns dropped and labelled assumptions.  The words come from
the caller (the dashboard's one i18n table); this module knows none of them.  Without a
presentation an export keeps the machine column names and full precision.

Spreadsheet exports are safe to open (OWASP "CSV injection"): a text cell beginning with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written to CSV with a leading ``'``
(:func:`neutralise_formulas`), and to XLSX as a string cell, never a formula; numbers stay
numbers.  Assumption values never carry the server's folders (:func:`public_text`).
Every export path of the project (``xysiting export``, the ``--out`` of the analyses, the
dashboard's download buttons) goes through :func:`export_frame`.

Why one module over 500 lines: every export path (CSV, CSV zip, XLSX, GeoJSON, Shapefile) shares
the same neutralisation, presentation and atomic write, which must not drift apart.
"""

from __future__ import annotations

import json
import math
import os
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.atomic import atomic_path
from geo.crs import WGS84
from geo.errors import InputError

EXPORT_FORMATS = ("csv", "csv.zip", "xlsx", "gpkg", "geojson", "shp")
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
    """Guess the export format from a file suffix; raise InputError if unknown.

    ``.csv.zip`` is a zip of the CSV and its assumptions CSV; any other ``.zip`` a Shapefile.
    """
    if str(path).lower().endswith(".csv.zip"):
        return "csv.zip"
    suffix = Path(path).suffix.lower()
    try:
        return _SUFFIX_FORMAT[suffix]
    except KeyError:
        msg = (
            f"cannot tell the export format of {path!s}: use a suffix among "
            f"{', '.join(sorted([*_SUFFIX_FORMAT, '.csv.zip']))} or pass --format"
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


def assumptions_table(assumptions: dict, *, presentation: Presentation | None = None) -> pd.DataFrame:
    """The table of an export's assumptions, as text without server folders.

    Without ``presentation``: two text columns ``parameter, value``.  With one: the labelled
    parameters first (in the order of ``presentation.assumption_labels``), then the rest;
    three columns (label, value, parameter) headed by ``presentation.assumption_headers``;
    numbers stay numbers and labels of coded values (``presentation.assumption_values``)
    replace the codes.
    """
    if presentation is None:
        return pd.DataFrame(
            {
                "parameter": [public_text(k) for k in assumptions],
                "value": [public_text(v) for v in assumptions.values()],
            }
        )
    labels = presentation.assumption_labels
    keys = [k for k in labels if k in assumptions] + [k for k in assumptions if k not in labels]
    label_head, value_head, key_head = presentation.assumption_headers
    return pd.DataFrame(
        {
            label_head: [public_text(labels.get(k, k)) for k in keys],
            value_head: pd.Series([_assumption_value(k, assumptions[k], presentation) for k in keys], dtype=object),
            key_head: [public_text(k) for k in keys],
        }
    )


def _assumption_value(key: str, value, presentation: Presentation):
    if isinstance(value, bool) or value is None:
        yes, no = presentation.yes_no
        return "" if value is None else (yes if value else no)
    if isinstance(value, int | float | np.integer | np.floating):
        value = float(value) if isinstance(value, float | np.floating) else int(value)
        return value if math.isfinite(value) else public_text(value)
    text = public_text(value)
    return presentation.assumption_values.get(key, {}).get(text, text)


def assumptions_json(assumptions: dict, *, presentation: Presentation | None = None) -> dict:
    """The assumptions as a JSON object (GeoJSON foreign members): machine keys, JSON values.

    ``{"xysiting:assumptions": {key: value}}``, numbers as numbers (non-finite ones as text),
    text without server folders; with ``presentation`` also ``"xysiting:assumption_labels"``
    (key → label in the UI language) and ``"xysiting:columns"`` (header → machine column).
    """
    values = {}
    for key, value in assumptions.items():
        if isinstance(value, bool) or value is None:
            values[str(key)] = value
        elif isinstance(value, int | np.integer):
            values[str(key)] = int(value)
        elif isinstance(value, float | np.floating):
            values[str(key)] = float(value) if math.isfinite(value) else str(value)
        else:
            values[str(key)] = public_text(value)
    out = {"xysiting:assumptions": values}
    if presentation is not None:
        labels = presentation.assumption_labels
        out["xysiting:assumption_labels"] = {k: labels[k] for k in values if k in labels}
        out["xysiting:columns"] = {header: column for column, header in presentation.headers.items()}
    return out


# -- presented exports ---------------------------------------------------------------------
#: Decimals kept for each kind of number in a presented export (:class:`Presentation` ``kinds``).
#: Kinds with 0 decimals are written as integers (no ``.0``); ``share`` (a 0–1 fraction) is
#: written as a percentage (×100), its header says ``%``.
ROUNDING: dict[str, int] = {
    "int": 0,  # counts, ranks, voltages
    "kw": 1,  # kW, kWp, MW: capacities
    "kwh": 0,  # kWh, MWh per year
    "gwh": 1,  # GWh per year, cumulative
    "money": 2,  # CNY, CNY per year, CNY per t
    "price": 3,  # CNY per kWh (LCOE), CNY per t·km
    "share": 1,  # fraction shown as %
    "percent": 1,  # already in %
    "t": 0,  # tonnes per year, t·km
    "co2": 1,  # tCO2
    "km": 1,
    "m": 0,
    "height": 1,  # building heights, m
    "m2": 1,
    "km2": 2,
    "years": 1,
    "hours": 0,  # full-load hours per year
    "duration": 2,  # hours of a haul
    "speed": 2,  # m/s
    "ratio": 3,  # kWh/kWp-like ratios are "kwh"; this is for small dimensionless figures
    "deg": 1,
    "coord": 6,  # longitude, latitude
}


@dataclass(frozen=True)
class Presentation:
    """How a table is handed to people: headers, value labels, rounding, assumption labels.

    The words come from the caller (the dashboard builds them from its i18n table); this
    module applies them (:func:`present_table`, :func:`export_frame`).

    Attributes
    ----------
    headers : Mapping[str, str]
        Machine column → header (with its unit, in the UI language).  Its order is the
        column order of the export; columns not named here are left out (the geometry
        column of a GeoDataFrame is kept for the geometry formats).
    values : Mapping[str, Mapping]
        Column → {code: label}: adcodes → county names, park ids → park names, use classes,
        facility kinds, statuses, ``True``/``False`` → yes/no...  A text holding
        comma-separated codes (``"phosphogypsum,construction"``) gets each code labelled.
        Values without a label are kept as they are.
    kinds : Mapping[str, str]
        Column → a kind of :data:`ROUNDING`; numbers of other columns are left as they are.
    sheet, assumptions_sheet : str
        Sheet (XLSX) or layer (GeoPackage, GeoJSON) names.
    assumption_labels : Mapping[str, str]
        Assumption key → label (with unit); labelled keys come first, in this order.
    assumption_values : Mapping[str, Mapping[str, str]]
        Assumption key → {code: label} for coded assumption values.
    assumption_headers : tuple[str, str, str]
        Headers of the assumptions table: label, value, machine key.
    assumptions_suffix : str
        Added to the CSV's name for its assumptions CSV (``"_假设"``, ``"-assumptions"``).
    yes_no : tuple[str, str]
        Labels of true and false assumption values.
    """

    headers: Mapping[str, str]
    values: Mapping[str, Mapping] = field(default_factory=dict)
    kinds: Mapping[str, str] = field(default_factory=dict)
    sheet: str = "export"
    assumptions_sheet: str = "assumptions"
    assumption_labels: Mapping[str, str] = field(default_factory=dict)
    assumption_values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    assumption_headers: tuple[str, str, str] = ("assumption", "value", "parameter")
    assumptions_suffix: str = ".assumptions"
    yes_no: tuple[str, str] = ("yes", "no")

    def __post_init__(self):
        unknown = sorted({k for k in self.kinds.values() if k not in ROUNDING})
        if unknown:
            msg = f"unknown number kind(s) {', '.join(unknown)}; use one of {', '.join(ROUNDING)}"
            raise ValueError(msg)


def _labelled(series: pd.Series, mapping: Mapping) -> pd.Series:
    """``series`` with codes replaced by labels; one lookup per distinct value (vectorised)."""

    def label(value):
        if isinstance(value, str) and value not in mapping and "," in value:
            parts = [part.strip() for part in value.split(",")]
            if all(part in mapping for part in parts):  # a list of codes; any other text is kept as it is
                return ", ".join(str(mapping[part]) for part in parts)
            return value
        try:
            return mapping.get(value, value)
        except TypeError:  # unhashable
            return value

    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = series.cat.categories
        labels = [label(c) for c in cats]
        if len(set(labels)) == len(labels):
            return series.cat.rename_categories(labels).astype(object)
        series = series.astype(object)
    uniques = pd.unique(series.dropna())
    table = {u: label(u) for u in uniques}
    return series.map(table).astype(object).where(series.notna(), None)


def _rounded(series: pd.Series, kind: str) -> pd.Series:
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return series
    values = series.astype("float64")
    if kind == "share":
        values = values * 100.0
    decimals = ROUNDING[kind]
    values = values.round(decimals)
    if decimals == 0 and not np.isinf(values.to_numpy()).any():
        return values.astype("Int64")  # integers without ".0"; NaN stays empty
    return values


def _geometry_name(frame: pd.DataFrame) -> str | None:
    """The active geometry column of a GeoDataFrame that has one, else None."""
    if not isinstance(frame, gpd.GeoDataFrame):
        return None
    try:
        name = frame.geometry.name
    except AttributeError:  # a GeoDataFrame without an active geometry column
        return None
    return name if name in frame.columns else None


def _empty(series: pd.Series) -> bool:
    if series.isna().all():
        return True
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return False
    return bool(series.dropna().astype(str).str.strip().eq("").all())


def present_table(frame: pd.DataFrame, presentation: Presentation) -> pd.DataFrame:
    """``frame`` as people receive it: chosen columns, labels, rounding, headers.

    Columns are taken in the order of ``presentation.headers`` (those the frame has),
    coded values labelled, numbers rounded by kind, columns with no value at all dropped
    (an empty name column says nothing), then renamed to their headers.  A GeoDataFrame
    keeps its geometry column (under its own name) and CRS.  Rows and their order are
    unchanged.

    Examples
    --------
    >>> p = Presentation(headers={"county": "县区", "kwp": "装机容量 (kWp)", "name": "名称"},
    ...                  values={"county": {"420607": "襄州区"}}, kinds={"kwp": "kw"})
    >>> present_table(pd.DataFrame({"county": ["420607"], "kwp": [12.345], "name": [""]}), p).to_dict("records")
    [{'县区': '襄州区', '装机容量 (kWp)': 12.3}]
    """
    geometry = _geometry_name(frame)
    columns = [c for c in presentation.headers if c in frame.columns and c != geometry]
    out = pd.DataFrame({c: frame[c] for c in columns}, index=frame.index)
    for col in columns:
        if col in presentation.values:
            out[col] = _labelled(out[col], presentation.values[col])
        if col in presentation.kinds:
            out[col] = _rounded(out[col], presentation.kinds[col])
    out = out[[c for c in columns if not _empty(out[c])]]
    headers = [presentation.headers[c] for c in out.columns]
    if len(set(headers)) != len(headers):
        msg = f"two columns share a header: {headers}"
        raise ValueError(msg)
    out.columns = headers
    if geometry is not None:
        out = gpd.GeoDataFrame(out, geometry=frame.geometry.to_numpy(), crs=frame.crs)
    return out.reset_index(drop=True)


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
    presentation: Presentation | None = None,
) -> Path:
    """Write ``frame`` to ``path`` in ``fmt`` atomically and return the path written.

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        The rows to export.  GeoDataFrames are written in EPSG:4326.
    path : path-like
        Destination file.  For ``shp`` a ``.zip`` holding the shapefile parts is written
        (with a ``.cpg`` saying UTF-8) unless the path ends in ``.shp``.
    fmt : {"csv", "csv.zip", "xlsx", "gpkg", "geojson", "shp"}, optional
        Defaults to the one implied by the suffix of ``path`` (``.csv.zip`` → ``csv.zip``).
    layer : str
        Layer or sheet name (``presentation.sheet`` when a presentation is given).
    assumptions : dict, optional
        Parameters the result was computed with: an assumptions sheet (XLSX), an attribute
        table (GPKG), the foreign member ``"xysiting:assumptions"`` (GeoJSON), a
        ``.assumptions.csv`` beside the CSV, or a second CSV inside the ``csv.zip``
        (see the module docstring for why a zip).
    presentation : Presentation, optional
        Headers in the UI language, labels for codes, rounding by kind, labelled
        assumptions (:func:`present_table`).  Default: machine column names, full
        precision.  Not for Shapefiles (field names of 10 characters).
    """
    path = Path(path)
    fmt = (fmt or format_from_path(path)).lower()
    if fmt not in EXPORT_FORMATS:
        msg = f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}"
        raise InputError(msg)
    is_geo = _geometry_name(frame) is not None
    if fmt in ("gpkg", "geojson", "shp") and not is_geo:
        msg = f"{path}: format {fmt} needs geometry; this table has none — export csv or xlsx"
        raise InputError(msg)
    if presentation is not None and fmt == "shp":
        msg = (
            f"{path}: headers in a language do not fit a Shapefile (field names of at most 10 characters); "
            "export csv, xlsx, gpkg or geojson, or keep the machine headers"
        )
        raise InputError(msg)
    if presentation is not None:
        layer = presentation.sheet
        assumptions_layer = presentation.assumptions_sheet
        side_suffix = presentation.assumptions_suffix
    else:
        assumptions_layer, side_suffix = "assumptions", ".assumptions"
    assumption_table = assumptions_table(assumptions, presentation=presentation) if assumptions else None
    if fmt in ("csv", "csv.zip", "xlsx"):
        table = table_for_export(frame)
        if presentation is not None:
            table = present_table(table, presentation)
    if fmt == "csv":
        with atomic_path(path) as tmp:
            tmp.write_bytes(_csv_bytes(table))
        if assumption_table is not None:
            with atomic_path(path.with_name(path.stem + side_suffix + ".csv")) as tmp:
                tmp.write_bytes(_csv_bytes(assumption_table))
    elif fmt == "csv.zip":
        stem = path.name[: -len(".csv.zip")] if path.name.lower().endswith(".csv.zip") else path.stem
        with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(f"{stem}.csv", _csv_bytes(table))
            if assumption_table is not None:
                zf.writestr(f"{stem}{side_suffix}.csv", _csv_bytes(assumption_table))
    elif fmt == "xlsx":
        sheets = {layer: table}
        if assumption_table is not None:
            sheets[assumptions_layer] = assumption_table
        write_workbook(path, sheets)
    else:
        gdf = frame.to_crs(WGS84) if frame.crs is not None and frame.crs != WGS84 else frame
        if presentation is not None:
            gdf = present_table(gdf, presentation)
        gdf = _stringify_objects(gdf)
        if fmt == "gpkg":
            with atomic_path(path) as tmp:
                gdf.to_file(tmp, layer=layer, driver="GPKG", engine="pyogrio")
                if assumption_table is not None:
                    import pyogrio

                    table = gpd.GeoDataFrame(
                        _stringify_values(assumption_table), geometry=[None] * len(assumption_table), crs=WGS84
                    )
                    pyogrio.write_dataframe(
                        table,
                        tmp,
                        layer=assumptions_layer,
                        driver="GPKG",
                        geometry_type="Unknown",
                        layer_options={"ASPATIAL_VARIANT": "GPKG_ATTRIBUTES"},
                    )
        elif fmt == "geojson":
            options = {}
            if assumptions:
                members = assumptions_json(assumptions, presentation=presentation)
                options["FOREIGN_MEMBERS_COLLECTION"] = json.dumps(members, ensure_ascii=False)
            with atomic_path(path) as tmp:
                gdf.to_file(tmp, layer=layer, driver="GeoJSON", engine="pyogrio", **options)
        else:
            _write_shapefile(gdf, path, layer=layer)
    return path


def _csv_bytes(table: pd.DataFrame) -> bytes:
    """``table`` as CSV: UTF-8 with BOM, CRLF rows, formulas neutralised."""
    return neutralise_formulas(table).to_csv(index=False, lineterminator=_CSV_EOL).encode("utf-8-sig")


def _stringify_values(table: pd.DataFrame) -> pd.DataFrame:
    """Mixed text/number object columns as text (a GeoPackage column has one type)."""
    out = table.copy()
    for name in out.columns:
        if out[name].dtype == object:
            out[name] = [None if v is None else str(v) for v in out[name]]
    return out


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
