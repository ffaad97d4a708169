"""Readers for power-plant and grid data as it is published: GEM trackers, GPPD, OSM power.

Three *presets* turn a real file into the columns of the ``power_plants`` or ``grid`` layer
(:mod:`layers.schema`):

``gem``
    A Global Energy Monitor tracker: the workbook (sheet ``Data``) or a CSV extract of it.
    The Global Wind Power Tracker gives one row per phase, the Global Coal Plant Tracker one
    per unit; solar, gas, hydro and bioenergy trackers share the layout.  Kept: the local
    name (``Project Name in Local Language / Script`` / ``Plant name (local)``), the English
    name with the phase or unit, ``Capacity (MW)``, ``Status``, ``Start year``, ``Location
    accuracy``, the GEM phase/unit id and the county GEM names.
``gppd``
    The WRI Global Power Plant Database CSV (``gppd_idnr``, ``primary_fuel``,
    ``capacity_mw``, ``commissioning_year``, ...).  GPPD lists operating plants only, so
    every row is ``operating``.
``osm-power``
    OpenStreetMap ``power=*`` features (polygons or points, e.g. an Overpass or QuickOSM
    export, or an OMap extract): ``power=substation`` (and ``power=line``) for the ``grid``
    layer with ``voltage`` in volts (``220000;110000`` → 220 kV, the highest); ``power=plant``
    with ``plant:source`` (or ``source``) and ``plant:output:electricity`` (or ``output``)
    for ``power_plants``.

Status vocabulary (GEM's, kept as the layer's): ``operating, construction,
pre-construction, announced, shelved, retired``.  GEM's ``cancelled`` (and the coal
tracker's ``cancelled - inferred 4 y``) is stored as ``shelved``, ``mothballed`` as
``retired``, ``permitted``/``pre-permit`` as ``pre-construction``: none of them adds
capacity now or in a plan; the source's own word stays in ``status_source``.

GEM places phases it cannot locate at a city centre and marks them ``approximate``; several
projects then share one point.  :func:`flag_placeholders` marks such points
``placeholder`` (not the site), so maps and distance measures can leave them out.

Every function returns the rows it could not use as counted notes; nothing is dropped
silently.

Why one module over 500 lines: the three published layouts (GEM, GPPD, OSM power) share the
status and technology vocabularies, placeholder detection and county assignment defined here.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import InputError, describe_rows
from layers.readers import read_csv_text
from layers.schema import COUNTIES, PLANT_STATUSES

PRESETS = ("gem", "gppd", "osm-power")

#: GEM status → layer status (see the module docstring).
GEM_STATUS = {
    "operating": "operating",
    "construction": "construction",
    "pre-construction": "pre-construction",
    "permitted": "pre-construction",
    "pre-permit": "pre-construction",
    "announced": "announced",
    "shelved": "shelved",
    "cancelled": "shelved",
    "mothballed": "retired",
    "retired": "retired",
}

#: GPPD ``primary_fuel`` → technology.
GPPD_FUEL = {
    "wind": "wind",
    "solar": "solar",
    "coal": "coal",
    "petcoke": "coal",
    "gas": "gas",
    "hydro": "hydro",
    "biomass": "biomass",
    "storage": "storage",
}

#: OSM ``plant:source`` / ``generator:source`` → technology.
OSM_SOURCE = {
    "wind": "wind",
    "solar": "solar",
    "coal": "coal",
    "gas": "gas",
    "hydro": "hydro",
    "biomass": "biomass",
    "biogas": "biomass",
    "battery": "storage",
}

#: Words in a GEM tracker's file name → technology (when its columns do not say).
_GEM_FILE_TECH = (
    ("wind", "wind"),
    ("coal", "coal"),
    ("solar", "solar"),
    ("gas", "gas"),
    ("oil", "gas"),
    ("hydro", "hydro"),
    ("bioenergy", "biomass"),
    ("gwpt", "wind"),
    ("gcpt", "coal"),
    ("gspt", "solar"),
)

_MONTHS = "january february march april may june july august september october november december".split()

#: Minimum number of distinct GEM projects sharing one "approximate" point for it to be a
#: placeholder (a city centre), not a shared site.
PLACEHOLDER_MIN_PROJECTS = 3


def _norm(name: object) -> str:
    return re.sub(r"\s+", " ", str(name)).strip().lower()


def _col(table: pd.DataFrame, *names: str) -> str | None:
    """The first column of ``table`` whose normalised name is one of ``names``."""
    lookup = {_norm(c): c for c in table.columns}
    return next((lookup[n] for n in names if n in lookup), None)


# ---------------------------------------------------------------------------------------
# detection


def detect_preset(columns) -> str | None:
    """The preset a table's columns match (``gem``, ``gppd``, ``osm-power``), or None."""
    cols = {_norm(c) for c in columns}
    if {"gppd_idnr", "primary_fuel", "capacity_mw"} <= cols:
        return "gppd"
    gem_ids = {"gem phase id", "gem unit/phase id", "gem unit id", "gem location id"}
    if cols & gem_ids or ({"capacity (mw)", "status"} <= cols and cols & {"project name", "plant name"}):
        return "gem"
    if "power" in cols:
        return "osm-power"
    return None


def read_table(path: Path, *, encoding: str | None = None) -> pd.DataFrame:
    """A CSV or Excel workbook as text columns (GEM workbooks: the sheet ``Data``)."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        try:
            book = pd.ExcelFile(path, engine="calamine")
        except Exception as exc:
            msg = f"{path}: cannot be read as an Excel workbook ({_short(exc)})"
            raise InputError(msg) from None
        sheets = [str(s) for s in book.sheet_names]
        sheet = "Data" if "Data" in sheets else sheets[0]
        table = pd.read_excel(book, sheet_name=sheet, dtype=object)
        table.attrs["sheet"] = sheet
        return table
    return read_csv_text(path, encoding=encoding)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


# ---------------------------------------------------------------------------------------
# helpers shared by the presets


def _text(values: pd.Series) -> pd.Series:
    out = values.astype("string").str.strip()
    keep = (out.notna() & (out != "") & (out.str.lower() != "nan")).fillna(False).astype(bool)
    return out.astype(object).where(keep, None)


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.astype("string").str.replace(",", "", regex=False), errors="coerce")


def _points(table: pd.DataFrame, lon_col: str, lat_col: str, where: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Point frame (no CRS stated: the caller states WGS84) from lon/lat; rows without are dropped, counted."""
    lon, lat = _numbers(table[lon_col]), _numbers(table[lat_col])
    bad = lon.isna() | lat.isna()
    notes = []
    if bad.any():
        notes.append(
            f"{where}: dropped {int(bad.sum())} rows without coordinates ({lon_col}/{lat_col} empty or "
            f"not numbers; {describe_rows((table.index[bad] + 2).tolist())}, line numbers)"
        )
    keep = ~bad
    frame = gpd.GeoDataFrame(
        table.loc[keep].reset_index(drop=True),
        geometry=gpd.points_from_xy(lon[keep].to_numpy(), lat[keep].to_numpy()),
        crs="EPSG:4326",
    )
    return frame, notes


def _county_codes(names: pd.Series) -> pd.Series:
    """Adcode of a county named in English or Chinese (``Zaoyang Municipality``, 枣阳市), else None."""
    lookup: dict[str, str] = {}
    for code, (zh, en) in COUNTIES.items():
        lookup[en.lower()] = code
        lookup[zh] = code
        lookup[zh[:-1]] = code  # 枣阳市 → 枣阳
    text = names.astype("string").str.strip().str.lower()
    stem = text.str.replace(r"\s+(municipality|district|county|city|qu|xian|shi)$", "", regex=True).str.replace(
        r"(市|区|县)$", "", regex=True
    )
    return stem.map(lookup).astype(object).where(stem.notna(), None)


def _county_in_names(*names: pd.Series) -> pd.Series:
    """Adcode of the first Xiangyang county whose name appears in a project name (宜城, Yicheng)."""
    out = pd.Series(None, index=names[0].index, dtype=object)
    for code, (zh, en) in COUNTIES.items():
        pattern = rf"{zh[:-1]}|\b{en}\b"
        for text in names:
            hit = out.isna() & text.astype("string").str.contains(pattern, regex=True).fillna(False).astype(bool)
            out[hit] = code
    return out


def _version_from_name(path: Path, prefix: str) -> str:
    """``GEM May 2023`` from ``Global-Wind-Power-Tracker-May-2023.xlsx`` or ``..._2023-05_...``."""
    name = path.name.lower()
    match = re.search(r"(" + "|".join(_MONTHS) + r")[-_ ]?(\d{4})", name)
    if match:
        return f"{prefix} {match.group(1).capitalize()} {match.group(2)}"
    match = re.search(r"(20\d\d)-(0[1-9]|1[0-2])", name)
    if match:
        return f"{prefix} {_MONTHS[int(match.group(2)) - 1].capitalize()} {match.group(1)}"
    match = re.search(r"v(\d+(?:\.\d+)*)", name)
    if match:
        return f"{prefix} v{match.group(1)}"
    return prefix


def flag_placeholders(frame: pd.DataFrame, *, project_col: str = "project") -> pd.Series:
    """True where an ``approximate`` point is shared by ≥ 3 distinct projects (a placeholder).

    GEM puts phases it cannot locate on a city centre (for Xiangyang: 32.0117 N, 112.1158 E,
    six phases of five projects in the May 2023 wind tracker); phases of one project at one
    point are a real shared site and stay ``approximate``.
    """
    approx = frame["location_accuracy"].eq("approximate")
    xy = frame.geometry.get_coordinates().round(4)
    key = xy["x"].astype(str) + "," + xy["y"].astype(str)
    n_projects = frame[project_col].where(approx).groupby(key).transform("nunique")
    return approx & (n_projects >= PLACEHOLDER_MIN_PROJECTS)


# ---------------------------------------------------------------------------------------
# presets


def gem_to_plants(table: pd.DataFrame, *, path: Path) -> tuple[gpd.GeoDataFrame, list[str]]:
    """A GEM tracker table (sheet ``Data`` or a CSV extract) as ``power_plants`` columns.

    Raises InputError naming the columns a GEM layout needs and the file lacks.
    """
    where = str(path)
    name_en = _col(table, "project name", "plant name", "plant name (english)")
    name_local = _col(
        table, "project name in local language / script", "plant name (local)", "plant name (local language/script)"
    )
    capacity = _col(table, "capacity (mw)", "capacity (mwac)", "capacity")
    status = _col(table, "status")
    lat = _col(table, "latitude")
    lon = _col(table, "longitude")
    needed = {
        "Project Name (or Plant name)": name_en or name_local,
        "Capacity (MW)": capacity,
        "Status": status,
        "Latitude": lat,
        "Longitude": lon,
    }
    missing = [k for k, v in needed.items() if v is None]
    if missing:
        msg = (
            f"{where}: a GEM tracker table needs the column(s) {', '.join(missing)}; the file has: "
            f"{', '.join(map(str, table.columns))}. Export the tracker's Data sheet unchanged, or map a "
            f"column with --rename 'SRC=Capacity (MW)', or import without --preset using the power_plants "
            f"columns (layers/schema.py)"
        )
        raise InputError(msg)
    technology = _gem_technology(table, path)
    frame, notes = _points(table, lon, lat, where)
    phase = _col(frame, "phase name", "unit name")
    unit_label = _text(frame[phase]) if phase else pd.Series(None, index=frame.index, dtype=object)
    english = _text(frame[name_en]) if name_en else pd.Series(None, index=frame.index, dtype=object)
    local = _text(frame[name_local]) if name_local else pd.Series(None, index=frame.index, dtype=object)
    is_unit = phase is not None and _norm(phase) == "unit name"
    suffix = unit_label.map(
        lambda u: "" if u is None else (f" {u}" if is_unit else f" phase {u}"), na_action=None
    ).fillna("")
    full_en = (english.fillna("") + suffix).where(english.notna(), None)
    local_name = local.where(local.notna(), full_en)
    if is_unit:  # coal units: the local plant name plus the unit
        local_name = (local_name.fillna("") + suffix).where(local_name.notna(), None)
    raw_status = _text(frame[status]).str.lower()
    mapped = raw_status.str.replace(r"\s*-\s*inferred.*$", "", regex=True).map(GEM_STATUS)
    bad = mapped.isna()
    if bad.any():
        rows = describe_rows(frame.index[bad].tolist())
        msg = (
            f"{where}: GEM status value(s) {sorted(raw_status[bad].fillna('(empty)').unique())[:5]} in {rows} are "
            f"not known; known: {', '.join(GEM_STATUS)}"
        )
        raise InputError(msg)
    accuracy_col = _col(frame, "location accuracy")
    accuracy = (
        _text(frame[accuracy_col]).str.lower() if accuracy_col else pd.Series(None, index=frame.index, dtype=object)
    )
    accuracy = accuracy.where(accuracy.isin(["exact", "approximate"]), None)
    start = _col(frame, "start year")
    county_col = _col(frame, "local area (taluk, county)", "county")
    id_col = _col(frame, "gem phase id", "gem unit/phase id", "gem unit id")
    project_col = _col(frame, "gem location id") or name_en or name_local
    out = gpd.GeoDataFrame(
        {
            "id": ("gem-" + _text(frame[id_col])) if id_col else None,
            "name": local_name,
            "name_en": full_en,
            "technology": technology,
            "capacity_mw": _numbers(frame[capacity]),
            "status": mapped,
            "status_source": raw_status,
            "start_year": _numbers(frame[start]).round().astype("Int64") if start else pd.NA,
            "county": _county_codes(frame[county_col]) if county_col else None,
            "county_from_name": _county_in_names(local, english),
            "location_accuracy": accuracy,
            "source_id": _text(frame[id_col]) if id_col else None,
            "source_version": _version_from_name(path, "GEM"),
            "source": "gem",
            "project": _text(frame[project_col]),
        },
        geometry=frame.geometry,
        crs=frame.crs,
    )
    out["county"] = out["county"].where(out["county"].notna(), out["county_from_name"])
    placeholder = flag_placeholders(out)
    out.loc[placeholder, "location_accuracy"] = "placeholder"
    # the county GEM names (when it is one of Xiangyang's), else the one the project's name
    # names, is kept: GEM's coordinates are sometimes far off (龙源保康黄连山 sits at 112.47 E,
    # 100 km east of 保康); the importer fills the others from the location, except on
    # placeholder points
    if placeholder.any():
        notes.append(
            f"{where}: {int(placeholder.sum())} rows sit on a shared placeholder point (≥ "
            f"{PLACEHOLDER_MIN_PROJECTS} projects at one approximate location, e.g. a city centre): "
            f"location_accuracy = placeholder"
        )
    return out.drop(columns=["project", "county_from_name"]), notes


def _gem_technology(table: pd.DataFrame, path: Path) -> str:
    cols = {_norm(c) for c in table.columns}
    if "installation type" in cols or "turbine manufacturer" in cols:
        return "wind"
    if cols & {"coal type", "combustion technology", "coal source"}:
        return "coal"
    if "technology type" in cols and _col(table, "technology type"):
        values = " ".join(_text(table[_col(table, "technology type")]).dropna().str.lower().unique()[:20])
        if "pv" in values or "solar" in values:
            return "solar"
    for word, tech in _GEM_FILE_TECH:
        if word in path.name.lower():
            return tech
    msg = (
        f"{path}: cannot tell which GEM tracker this is (wind, coal, solar, ...): the columns name no "
        f"technology (Installation Type, Coal type, Technology Type) and the file name says none; "
        f"rename the file to include the tracker's name, e.g. Global-Wind-Power-Tracker.csv"
    )
    raise InputError(msg)


def gppd_to_plants(table: pd.DataFrame, *, path: Path) -> tuple[gpd.GeoDataFrame, list[str]]:
    """A GPPD CSV as ``power_plants`` columns (every plant ``operating``)."""
    where = str(path)
    needed = ("name", "capacity_mw", "primary_fuel", "latitude", "longitude")
    missing = [c for c in needed if _col(table, c) is None]
    if missing:
        msg = (
            f"{where}: a GPPD table needs the column(s) {', '.join(missing)}; the file has: "
            f"{', '.join(map(str, table.columns))}"
        )
        raise InputError(msg)
    frame, notes = _points(table, _col(table, "longitude"), _col(table, "latitude"), where)
    fuel = _text(frame[_col(frame, "primary_fuel")])
    ids = _col(frame, "gppd_idnr")
    year = _col(frame, "commissioning_year")
    name = _text(frame[_col(frame, "name")])
    out = gpd.GeoDataFrame(
        {
            "id": ("gppd-" + _text(frame[ids])) if ids else None,
            "name": name,
            "name_en": name,
            "technology": fuel.str.lower().map(GPPD_FUEL).fillna("other"),
            "capacity_mw": _numbers(frame[_col(frame, "capacity_mw")]),
            "status": "operating",
            "status_source": "operating (GPPD lists operating plants)",
            # a fractional year is GPPD's capacity-weighted mean of units: the first full year
            "start_year": np.floor(_numbers(frame[year])).astype("Int64") if year else pd.NA,
            "county": None,
            "location_accuracy": None,
            "source_id": _text(frame[ids]) if ids else None,
            "source_version": _version_from_name(path, "GPPD"),
            "source": "gppd",
        },
        geometry=frame.geometry,
        crs=frame.crs,
    )
    return out, notes


def _osm_voltage_kv(values: pd.Series) -> pd.Series:
    """Highest voltage of an OSM ``voltage`` tag in kV (``220000;110000`` → 220.0)."""
    text = values.astype("string").fillna("")
    parts = text.str.extractall(r"(\d+(?:\.\d+)?)")[0].astype("float64")
    volts = parts.groupby(level=0).max().reindex(values.index)
    return (volts.where(volts >= 1000, volts * 1000) / 1000.0).astype("float64")  # < 1000: given in kV


def _osm_mw(values: pd.Series) -> pd.Series:
    """``2570 MW`` / ``245.6 MW`` / ``500 kW`` / ``1.2 GW`` → MW (``yes`` → NaN)."""
    text = values.astype("string").str.strip().str.lower()
    match = text.str.extract(r"^([\d.,]+)\s*(kw|mw|gw|w)?$")
    number = pd.to_numeric(match[0].str.replace(",", "", regex=False), errors="coerce")
    factor = match[1].map({"kw": 1e-3, "mw": 1.0, "gw": 1e3, "w": 1e-6}).fillna(1.0)
    return (number * factor).astype("float64")


def osm_power(frame: gpd.GeoDataFrame, *, kind: str, path: Path) -> tuple[gpd.GeoDataFrame, list[str]]:
    """OSM ``power=*`` features as ``grid`` (substations, lines) or ``power_plants`` columns."""
    where = str(path)
    power_col = _col(frame, "power")
    if power_col is None:
        msg = f"{where}: OpenStreetMap power features need a 'power' column (power=substation, plant, line)"
        raise InputError(msg)
    power = _text(frame[power_col]).str.lower()
    osm_id = _col(frame, "osm_id", "@id", "id", "full_id", "osm_way_id")
    ids = _text(frame[osm_id]) if osm_id else pd.Series(None, index=frame.index, dtype=object)
    name_col = _col(frame, "name", "name:zh")
    name_en_col = _col(frame, "name:en", "name_en")
    version = _version_from_name(path, "OSM")
    notes: list[str] = []
    if kind == "grid":
        kinds = power.map({"substation": "substation", "line": "line", "minor_line": "line", "cable": "line"})
        keep = kinds.notna()
        if (~keep).any():
            counts = power[~keep].fillna("(none)").value_counts()
            notes.append(
                f"{where}: skipped {int((~keep).sum())} features that are neither substations nor lines "
                f"({', '.join(f'power={k} ×{n}' for k, n in counts.items())}); plants import as --layer power_plants"
            )
        volt_col = _col(frame, "voltage")
        columns = {
            "name": _text(frame[name_col]) if name_col else None,
            "grid_kind": kinds,
            "voltage_kv": _osm_voltage_kv(frame[volt_col]) if volt_col else np.nan,
        }
        return _osm_layer(frame, columns, ids=ids, version=version, keep=keep), notes
    # power_plants
    plants = power.isin(["plant", "generator"])
    tech_col = _col(frame, "plant:source", "generator:source", "plant_source", "source")
    mw_col = _col(frame, "plant:output:electricity", "generator:output:electricity", "output", "capacity_mw")
    tech = _text(frame[tech_col]).str.lower() if tech_col else pd.Series(None, index=frame.index, dtype=object)
    mw = _osm_mw(frame[mw_col]) if mw_col else pd.Series(np.nan, index=frame.index)
    no_capacity = plants & mw.isna()
    if (~plants).any():
        notes.append(f"{where}: skipped {int((~plants).sum())} features that are not power=plant (e.g. substations)")
    if no_capacity.any():
        notes.append(
            f"{where}: skipped {int(no_capacity.sum())} power=plant features without a stated output "
            f"(plant:output:electricity): their capacity is unknown"
        )
    keep = plants & ~no_capacity
    name = _text(frame[name_col]) if name_col else pd.Series(None, index=frame.index, dtype=object)
    technology = tech.map(OSM_SOURCE).fillna("other")
    columns = {
        "name": name.where(name.notna(), "OSM " + technology + " plant"),
        "name_en": _text(frame[name_en_col]) if name_en_col else None,
        "technology": technology,
        "capacity_mw": mw,
        "status": "operating",
        "status_source": "mapped in OpenStreetMap",
        "start_year": pd.NA,
        "county": None,
        "location_accuracy": "exact",
    }
    return _osm_layer(frame, columns, ids=ids, version=version, keep=keep), notes


def _osm_layer(frame: gpd.GeoDataFrame, columns: dict, *, ids: pd.Series, version, keep: pd.Series) -> gpd.GeoDataFrame:
    """The kept OSM features with ``columns`` between their ``osm-`` id and their provenance."""
    out = gpd.GeoDataFrame(
        {
            "id": ("osm-" + ids).where(ids.notna(), None),
            **columns,
            "source_id": ids,
            "source_version": version,
            "source": "osm",
        },
        geometry=frame.geometry,
        crs=frame.crs,
    )
    return out.loc[keep].reset_index(drop=True)


def read_power(
    path: str | Path,
    kind: str,
    *,
    preset: str | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    rename: dict[str, str] | None = None,
) -> tuple[gpd.GeoDataFrame, list[str], str | None]:
    """Read ``path`` for the ``power_plants`` or ``grid`` layer, with a preset if one applies.

    Parameters
    ----------
    path : path-like
        GEM workbook (``.xlsx``, sheet ``Data``) or CSV, GPPD CSV, or a vector file of OSM
        power features (GeoPackage, GeoJSON, Shapefile, ...).
    kind : {"power_plants", "grid"}
    preset : {"gem", "gppd", "osm-power"}, optional
        The file's layout; detected from its columns when omitted.  A file in the layer's
        own columns (``layers/schema.py``) needs none.
    layer, encoding : str, optional
        As for :func:`layers.readers.read_vector`.
    rename : dict, optional
        The file's columns to rename before the preset reads them (``--rename SRC=DST``).

    Returns
    -------
    frame : GeoDataFrame
        In the layer's columns when a preset applied, else as read.
    notes : list of str
        Rows dropped or skipped by the preset, with counts.
    preset : str or None
        The preset applied.
    """
    from layers.importer import rename_columns
    from layers.readers import read_vector

    path = Path(path)
    if preset is not None and preset not in PRESETS:
        msg = f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}"
        raise InputError(msg)
    if not path.exists():
        msg = f"{path}: file not found"
        raise InputError(msg)
    if kind not in ("power_plants", "grid"):
        msg = f"presets ({', '.join(PRESETS)}) read power plants and the grid; --layer {kind} takes none"
        raise InputError(msg)
    tabular = path.suffix.lower() in (".csv", ".xlsx", ".xlsm", ".xls")
    if preset in ("gem", "gppd") and kind != "power_plants":
        msg = f"--preset {preset} reads power plants; import it as --layer power_plants, not {kind!r}"
        raise InputError(msg)
    if preset in ("gem", "gppd") and not tabular:
        msg = f"{path}: --preset {preset} reads a CSV or Excel file, not {path.suffix!r}"
        raise InputError(msg)
    if tabular:
        table = rename_columns(read_table(path, encoding=encoding), rename, str(path))
        found = preset or detect_preset(table.columns)
        if found == "gem":
            if kind != "power_plants":
                msg = f"{path}: a GEM tracker holds power plants; import it as --layer power_plants"
                raise InputError(msg)
            return (*gem_to_plants(table, path=path), "gem")
        if found == "gppd":
            if kind != "power_plants":
                msg = f"{path}: the GPPD holds power plants; import it as --layer power_plants"
                raise InputError(msg)
            return (*gppd_to_plants(table, path=path), "gppd")
        if path.suffix.lower() != ".csv":
            msg = (
                f"{path}: an Excel file is read as a GEM tracker (sheet Data); its columns match no "
                f"preset (gem, gppd): {', '.join(map(str, table.columns[:12]))}"
            )
            raise InputError(msg)
    frame = rename_columns(read_vector(path, kind=kind, layer=layer, encoding=encoding), rename, str(path))
    found = preset or detect_preset(frame.columns)
    if found == "osm-power":
        return (*osm_power(frame, kind=kind, path=path), "osm-power")
    if found is not None:
        msg = f"{path}: --preset {found} does not apply to this file"
        raise InputError(msg)
    return frame, [], None


__all__ = [
    "PLANT_STATUSES",
    "PRESETS",
    "detect_preset",
    "flag_placeholders",
    "gem_to_plants",
    "gppd_to_plants",
    "osm_power",
    "read_power",
]
