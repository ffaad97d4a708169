"""Rooftop-PV data for the dashboard: the rooftop table joined with ``siting.solar`` results.

The join is computed once per project version (cached, read-only, shared by sessions);
filtering happens per session in :mod:`dashboard.solar_tab`.  The frame is sorted by
yearly generation (largest first) so that every filtered subset is already in shortlist
order without re-sorting a million rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import panel as pn

from dashboard import _data
from layers.project import Project

#: Result columns the dashboard shows, by the name it shows them under: each is a column of
#: ``siting.solar.RESULT_COLUMNS`` (the one rename: tCO2 avoided is shown as ``tco2_per_year``).
RESULT_COLUMNS: dict[str, str] = {
    "usable_m2": "usable_m2",
    "kwp": "kwp",
    "kwh_per_year": "kwh_per_year",
    "kwh_per_kwp": "kwh_per_kwp",
    "tco2_per_year": "tco2_avoided_per_year",
    "payback_years": "payback_years",
    "lcoe_cny_per_kwh": "lcoe_cny_per_kwh",
    "suitable": "suitable",
    "exclusion_reason": "exclusion_reason",
    "county_rank": "county_rank",
}
_FLOAT = ("usable_m2", "kwp", "kwh_per_year", "kwh_per_kwp", "tco2_per_year", "payback_years", "lcoe_cny_per_kwh")
CATEGORICAL = ("county", "park_id", "use_class")


def compute_results(project: Project) -> pd.DataFrame:
    """The project's stored rooftop-PV result (:func:`siting.results.solar`), the shown columns.

    Read from ``DIR/results`` when current (``xysiting run`` or an earlier server stored
    it); computed once and stored otherwise, with the defaults: the embedded Xiangyang
    weather (``default_weather()``, CDSRD station climatology, FACTS.md "Solar resource")
    and ``PVAssumptions()``.
    """
    from siting import results

    stored = results.solar(project).stored
    frame = stored.read("rooftops", columns=["id", *dict.fromkeys(RESULT_COLUMNS.values())])
    frame.attrs["solar"] = dict(stored.extra.get("metadata", {}))  # assumptions for exports
    return frame


@pn.cache(max_items=8)
def _rooftop_table(version: tuple, with_pv: bool) -> pd.DataFrame | None:
    project = Project(version[0])
    base = _data.rooftop_points(project)
    if base is None:
        return None
    table = base.copy()
    meta: dict = {}
    if with_pv:
        computed = compute_results(project)
        meta = dict(computed.attrs.get("solar", {}))
        results = pd.DataFrame(computed)
        if "id" in results.columns:
            results = results.set_index("id")
        elif results.index.name != "id":
            results.index = table["id"].to_numpy()[: len(results)]
        results.index = results.index.astype(str)
        for name, column in RESULT_COLUMNS.items():
            values = results[column].reindex(table["id"])
            if name in _FLOAT:
                table[name] = values.to_numpy(dtype="float64", na_value=np.nan)
            elif name == "suitable":
                table[name] = values.fillna(False).to_numpy(dtype=bool)
            elif name == "county_rank":
                table[name] = values.to_numpy(dtype="float64", na_value=np.nan)
            else:
                table[name] = values.fillna("").astype(str).to_numpy()
        order = np.argsort(
            -np.nan_to_num(table.get("kwh_per_year", table["area_m2"]).to_numpy(dtype="float64"), nan=-np.inf),
            kind="stable",
        )
    else:
        order = np.argsort(-table["area_m2"].to_numpy(), kind="stable")
    table = table.iloc[order].reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    for col in CATEGORICAL:
        table[col] = table[col].astype("category")
    table.attrs["solar"] = meta  # the PV assumptions, weather and repairs, for exports
    return table


def rooftop_table(project: Project, *, with_pv: bool) -> pd.DataFrame | None:
    """Rooftops with PV results (when ``with_pv``), sorted by generation; cached, read-only."""
    return _rooftop_table(_data.project_version(project), bool(with_pv))


@pn.cache(max_items=8)
def _mercator_xy(version: tuple, with_pv: bool, gcj02: bool) -> tuple[np.ndarray, np.ndarray]:
    table = _rooftop_table(version, with_pv)
    return _data.points_to_mercator(table["lon"].to_numpy(), table["lat"].to_numpy(), gcj02=gcj02)


def mercator_xy(project: Project, *, with_pv: bool, gcj02: bool):
    """Web Mercator x, y of :func:`rooftop_table`'s rows (GCJ-02-shifted if ``gcj02``)."""
    return _mercator_xy(_data.project_version(project), bool(with_pv), bool(gcj02))


@pn.cache(max_items=4)
def _suitable_results(version: tuple) -> pd.DataFrame | None:
    table = _rooftop_table(version, True)
    if table is None:
        return None
    result = pd.DataFrame(table.drop(columns=["x", "y"], errors="ignore"))
    for col in CATEGORICAL:
        result[col] = result[col].astype(str)
    if "suitable" in result:
        result = result[result["suitable"]]
    return result


def suitable_results(project: Project) -> pd.DataFrame | None:
    """The suitable rooftops with PV results, categorical columns as text (for the progress tab).

    One frame per project version, shared by every session: cached, read-only.
    """
    return _suitable_results(_data.project_version(project))


@dataclass(frozen=True)
class FilterColumns:
    """Compact, read-only columns of :func:`rooftop_table` for filtering a session's view.

    Categorical filters are small integer codes (``-1`` for none), thresholds are the
    table's own float64 columns (no copy), and the rows of each county (all and suitable
    only) are precomputed ascending index arrays, so a filter touches only the rows of the
    chosen county.  Rows keep the table's order (largest generation first).
    """

    counties: tuple[str, ...]  #: county adcodes, by code
    parks: tuple[str, ...]  #: park ids, by code
    uses: tuple[str, ...]  #: use classes, by code
    county_code: np.ndarray
    park_code: np.ndarray
    use_code: np.ndarray
    numbers: dict[str, np.ndarray]  #: float64 columns: area_m2 and, with PV, kwp, kwh_per_year, ...
    suitable: np.ndarray | None  #: bool, None without PV results
    rows: dict[tuple[int, bool], np.ndarray]  #: (county code or -1 for all, suitable only) → row index
    ids: np.ndarray  #: rooftop id of each row (str)
    names: np.ndarray  #: rooftop name of each row (str, "" when missing)
    id_index: pd.Index  #: ``ids`` as an index, for looking a selected rooftop up
    city_kwp: dict[bool, float]  #: kWp of all rooftops (suitable only: True) of the table, for shares


def _read_only(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    a.flags.writeable = False
    return a


@pn.cache(max_items=8)
def _filter_columns(version: tuple, with_pv: bool) -> FilterColumns | None:
    table = _rooftop_table(version, with_pv)
    if table is None:
        return None
    codes = {col: table[col].cat.codes.to_numpy() for col in CATEGORICAL}
    numbers = {
        col: _read_only(table[col].to_numpy(dtype="float64"))
        for col in ("rank", "area_m2", "county_rank", *_FLOAT)
        if col in table.columns
    }
    suitable = _read_only(table["suitable"].to_numpy(dtype=bool)) if "suitable" in table.columns else None
    county = codes["county"]
    rows: dict[tuple[int, bool], np.ndarray] = {}
    dtype = np.int32 if len(table) < 2**31 else np.int64
    order = np.argsort(county, kind="stable").astype(dtype)  # rows grouped by county, in table order
    bounds = np.searchsorted(county[order], np.arange(-1, len(table["county"].cat.categories) + 1))
    for code in range(-1, len(table["county"].cat.categories)):
        idx = order[bounds[code + 1] : bounds[code + 2]]
        rows[(code, False)] = _read_only(idx)
        rows[(code, True)] = _read_only(idx[suitable[idx]] if suitable is not None else idx)
    everything = np.arange(len(table), dtype=dtype)
    rows[(-1, False)] = _read_only(everything)
    rows[(-1, True)] = _read_only(np.flatnonzero(suitable).astype(dtype) if suitable is not None else everything)
    ids = _read_only(table["id"].astype(str).to_numpy(dtype=object))
    id_index = pd.Index(ids, name="id")
    id_index.get_indexer(ids[:1])  # build the hash table once, here, not in a session's first click
    return FilterColumns(
        counties=tuple(str(c) for c in table["county"].cat.categories),
        parks=tuple(str(c) for c in table["park_id"].cat.categories),
        uses=tuple(str(c) for c in table["use_class"].cat.categories),
        county_code=_read_only(county),
        park_code=_read_only(codes["park_id"]),
        use_code=_read_only(codes["use_class"]),
        numbers=numbers,
        suitable=suitable,
        rows=rows,
        ids=ids,
        names=_read_only(table["name"].fillna("").astype(str).to_numpy(dtype=object)),
        id_index=id_index,
        city_kwp={
            flag: float(np.nansum(numbers["kwp"][rows[(-1, flag)]])) if "kwp" in numbers else float("nan")
            for flag in (False, True)
        },
    )


def filter_columns(project: Project, *, with_pv: bool) -> FilterColumns | None:
    """:class:`FilterColumns` of :func:`rooftop_table` (cached per project version, shared)."""
    return _filter_columns(_data.project_version(project), bool(with_pv))
