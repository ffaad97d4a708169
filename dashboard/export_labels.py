"""The words of an export in one language: headers, value labels, file names, assumptions.

:mod:`layers.export` writes what it is given (:class:`layers.export.Presentation`); this
module builds that from the one i18n table (:mod:`dashboard.i18n`) for each kind of export
the dashboard offers (:data:`KINDS`) and for the command line's ``--headers zh|en``.  No
panel import: the command line uses it too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dashboard.i18n import (
    ASSUMPTION_ORDER,
    ASSUMPTION_VOCABULARY,
    COLUMN_VOCABULARY,
    COLUMNS,
    county_label,
    t,
    vocabulary,
)
from layers.export import (
    Presentation,
    assumptions_table,
    present_table,
    public_text,
    safe_filename,
    table_for_export,
    write_workbook,
)
from layers.schema import COUNTIES
from siting.waste.allocation import FACILITY_USE_COLUMNS
from siting.wind.supply_curve import SUPPLY_CURVE_COLUMNS

#: Columns whose values are true/false (written as yes/no in the language).
BOOLEAN_COLUMNS = ("suitable", "below_benchmark", "selected", "on_network")


@dataclass(frozen=True)
class ExportKind:
    """One kind of export: its file and sheet names (message ids) and columns in order."""

    file_id: str
    sheet_id: str
    columns: tuple[str, ...]
    formats: tuple[str, ...] = ("csv.zip", "xlsx", "geojson")


#: Columns of the rooftop-PV table, shown and exported (machine names), in order.
PV_TABLE_COLUMNS = (
    "rank",
    "id",
    "name",
    "county",
    "park_id",
    "use_class",
    "area_m2",
    "usable_m2",
    "kwp",
    "kwh_per_year",
    "kwh_per_kwp",
    "tco2_per_year",
    "county_rank",
    "payback_years",
    "lcoe_cny_per_kwh",
)

#: The exports the dashboard offers.  Columns are machine names (:data:`dashboard.i18n.COLUMNS`);
#: a frame's columns not listed are left out, listed ones it lacks are skipped.
KINDS: dict[str, ExportKind] = {
    "pv_shortlist": ExportKind("file_pv_shortlist", "sheet_pv_shortlist", (*PV_TABLE_COLUMNS, "lon", "lat")),
    "wind_sites": ExportKind(
        "file_wind_sites",
        "sheet_wind_sites",
        (
            "rank",
            "site_id",
            "county",
            "usable_area_km2",
            "mean_speed_m_s",
            "turbines",
            "capacity_mw",
            "energy_mwh_per_year",
            "capacity_factor",
            "full_load_hours",
            "lcoe_cny_per_kwh",
            "below_benchmark",
            "substation_name",
            "substation_kv",
            "substation_distance_km",
            "connection_cost_cny_per_kw",
            "road_distance_m",
            "wind_farm_status",
            "wind_farm_names",
            "wind_farm_mw",
            "resource_source",
            "lon",
            "lat",
        ),
        formats=("csv.zip", "geojson"),
    ),
    "wind_supply_curve": ExportKind(
        "file_wind_workbook",
        "sheet_wind_supply_curve",
        SUPPLY_CURVE_COLUMNS,
        formats=("xlsx",),
    ),
    "wind_potentials": ExportKind(
        "file_wind_workbook", "sheet_wind_potentials", ("figure", "value", "unit", "meaning"), formats=("xlsx",)
    ),
    "wind_exclusions": ExportKind(
        "file_wind_workbook",
        "sheet_wind_exclusions",
        (
            "layer",
            "reason",
            "rule",
            "excluded_km2",
            "excluded_only_by_this_km2",
            "excluded_in_order_km2",
            "available_km2",
            "share_of_region_pct",
            "region_km2",
        ),
        formats=("xlsx",),
    ),
    "waste_flows": ExportKind(
        "file_waste_flows",
        "sheet_waste_flows",
        (
            "source_name",
            "facility_name",
            "facility_kind",
            "waste_kind",
            "t_per_year",
            "km",
            "network_km",
            "access_km",
            "time_h",
            "tkm",
            "transport_cny",
            "gate_fee_cny",
            "cost_cny",
            "tco2",
            "source_id",
            "facility_id",
        ),
        formats=("csv.zip", "geojson"),
    ),
    "waste_facilities": ExportKind(
        "file_waste_facilities",
        "sheet_waste_facilities",
        # the name first, the codes and the snapping distance last
        (
            "facility_name",
            *(c for c in FACILITY_USE_COLUMNS if c not in ("facility_id", "facility_name", "snap_m")),
            "facility_id",
            "snap_m",
        ),
        formats=("xlsx",),
    ),
}


def value_labels(columns: Iterable[str], lang: str, *, park_names: Mapping[str, str] | None = None) -> dict[str, dict]:
    """Column → {code: label} in ``lang`` for the coded ``columns``.

    Adcodes → county names, ``county_name`` (Chinese) → the name in ``lang``, park ids →
    park names (``park_names``), the vocabularies of :data:`dashboard.i18n.COLUMN_VOCABULARY`,
    and true/false → yes/no.
    """
    out: dict[str, dict] = {}
    yes_no = {True: t("yes", lang), False: t("no", lang)}
    for col in columns:
        if col == "county":  # adcodes, and the total row of a county roll-up
            out[col] = {**{code: county_label(code, lang) for code in COUNTIES}, "total": t("totals", lang)}
        elif col == "county_name":
            out[col] = {zh: county_label(code, lang) for code, (zh, _en) in COUNTIES.items()}
        elif col == "park_id" and park_names:
            out[col] = dict(park_names)
        elif col in COLUMN_VOCABULARY:
            out[col] = vocabulary(COLUMN_VOCABULARY[col], lang)
        elif col in BOOLEAN_COLUMNS:
            out[col] = yes_no
    return out


def presentation(
    columns: Sequence[str],
    lang: str,
    *,
    sheet_id: str | None = None,
    park_names: Mapping[str, str] | None = None,
    keep_unknown: bool = False,
) -> Presentation:
    """The :class:`layers.export.Presentation` of ``columns`` in ``lang``.

    Parameters
    ----------
    columns : sequence of str
        Machine columns in the order wanted.
    lang : {"zh", "en"}
    sheet_id : str, optional
        Message id of the data sheet's name (default: ``"export"``).
    park_names : mapping, optional
        Park id → park name (the project's ``industrial_parks`` layer).
    keep_unknown : bool
        Keep columns without a header in :data:`dashboard.i18n.COLUMNS` under their machine
        name (the command line: nothing is dropped) instead of leaving them out.
    """
    headers = {}
    for col in columns:
        if col in COLUMNS:
            headers[col] = t(COLUMNS[col][0], lang)
        elif keep_unknown:
            headers[col] = col
    # two machine columns with one header (county and county_name): keep the first
    seen: set[str] = set()
    headers = {c: h for c, h in headers.items() if not (h in seen or seen.add(h))}
    return Presentation(
        headers=headers,
        values=value_labels(headers, lang, park_names=park_names),
        kinds={c: COLUMNS[c][1] for c in headers if c in COLUMNS and COLUMNS[c][1]},
        sheet=t(sheet_id, lang) if sheet_id else "export",
        assumptions_sheet=t("sheet_assumptions", lang),
        assumption_labels={key: t(f"as_{key}", lang) for key in ASSUMPTION_ORDER},
        assumption_values={key: vocabulary(prefix, lang) for key, prefix in ASSUMPTION_VOCABULARY.items()},
        assumption_headers=(t("assumption", lang), t("assumption_value", lang), t("assumption_key", lang)),
        assumptions_suffix=t("file_assumptions", lang),
        yes_no=(t("yes", lang), t("no", lang)),
    )


def kind_presentation(kind: str, lang: str, *, park_names: Mapping[str, str] | None = None) -> Presentation:
    """The presentation of one of :data:`KINDS` in ``lang``."""
    spec = KINDS[kind]
    return presentation(spec.columns, lang, sheet_id=spec.sheet_id, park_names=park_names)


def file_name(kind: str, lang: str, fmt: str, qualifiers: Iterable[str] = ()) -> str:
    """The download's file name in ``lang``, safe to offer (:func:`layers.export.safe_filename`).

    ``file_name("pv_shortlist", "zh", "xlsx", ["襄州区"])`` → ``"襄阳屋顶光伏候选_襄州区.xlsx"``;
    in English ``"xiangyang-rooftop-pv-shortlist-xiangzhou.xlsx"``.
    """
    base = t(KINDS[kind].file_id, lang)
    parts = [str(q) for q in qualifiers if str(q).strip()]
    if lang == "zh":
        stem = "_".join([base, *parts])
    else:
        stem = "-".join([base, *("-".join(p.lower().split()) for p in parts)])
    return safe_filename(f"{stem}.{fmt}", default=f"export.{fmt}")


def park_names(project) -> dict[str, str]:
    """Park id → park name of ``project``'s ``industrial_parks`` layer (empty without one)."""
    if not project.has("industrial_parks"):
        return {}
    parks = project.read("industrial_parks", columns=["id", "name"])
    return dict(zip(parks["id"].astype(str), parks["name"].astype(str), strict=True))


def pv_assumptions(
    meta: Mapping,
    lang: str,
    *,
    rows: int,
    county: str = "",
    park: str = "",
    use_class: str = "",
    min_kwp: float = 0.0,
    min_kwh_per_kwp: float = 0.0,
    suitable_only: bool = True,
) -> dict:
    """The assumptions of a PV shortlist: its filters in ``lang`` and the stored result's metadata.

    ``meta`` is the result's ``attrs["solar"]`` (:func:`siting.solar.potential.solar_metadata`
    of :mod:`siting.solar.economics` and :mod:`siting.solar.assumptions`, the weather, and the
    stored result's method version and time).
    """
    everything = t("any", lang)
    return {
        "rows": int(rows),
        "filter_county": county_label(county, lang) if county else everything,
        "filter_park": park or everything,
        "filter_use_class": use_class or everything,
        "filter_min_kwp": float(min_kwp or 0.0),
        "filter_min_kwh_per_kwp": float(min_kwh_per_kwp or 0.0),
        "filter_suitable_only": bool(suitable_only),
        **meta,
    }


def wind_assumptions(result, *, turbine: str, hub_height_m: float) -> dict:
    """The assumptions of a wind export: the run's :class:`siting.wind.WindAssumptions` and potentials."""
    from siting.results import METHOD_VERSIONS

    out = {"turbine": turbine, "hub_height_m": hub_height_m, "method_version": METHOD_VERSIONS["wind"]}
    if result is not None:
        out.update({k: v for k, v in result.assumptions.items() if isinstance(v, str | int | float | bool)})
        out.update(result.totals)
        out.update({f"potential_{k}": v for k, v in result.potentials.items()})
    return out


def waste_assumptions(routing, *, waste_kind: str, k: int, analysis: str = "waste") -> dict:
    """The assumptions of a waste export: rates, CO₂ factor, objective, statuses, totals."""
    from siting.results import METHOD_VERSIONS

    out = {"waste_kind": waste_kind, "new_facilities_k": int(k or 0), "method_version": METHOD_VERSIONS[analysis]}
    if routing is not None:
        out.update(routing.assumptions)
        out.update(routing.totals)
    return out


def wind_workbook(result, path: str | Path, *, lang: str, assumptions: dict) -> Path:
    """The wind result's workbook in ``lang``: supply curve, sites, potentials, exclusions, notes,
    assumptions (headers with units; the texts of potentials, exclusions and notes stay as the
    analysis wrote them)."""

    def sheet(kind: str, frame: pd.DataFrame) -> tuple[str, pd.DataFrame]:
        p = kind_presentation(kind, lang)
        return p.sheet, present_table(table_for_export(frame), p)

    sheets = dict(
        [
            sheet("wind_supply_curve", result.supply_curve),
            sheet("wind_sites", result.sites.drop(columns=["label"], errors="ignore")),
            sheet("wind_potentials", result.potentials_table()),
            sheet("wind_exclusions", result.exclusion_table),
        ]
    )
    sheets[t("sheet_notes", lang)] = pd.DataFrame({t("col_note", lang): [public_text(n) for n in result.notes]})
    p = kind_presentation("wind_supply_curve", lang)
    sheets[p.assumptions_sheet] = assumptions_table(assumptions, presentation=p)
    return write_workbook(path, sheets)


def frame_presentation(
    frame, lang: str, *, project=None, sheet: str = "export", sheet_id: str | None = None
) -> Presentation:
    """The presentation of a whole ``frame`` (the command line's ``--headers zh|en``).

    Every column is kept, in the frame's order (plus ``lon``/``lat`` of a table export):
    those in :data:`dashboard.i18n.COLUMNS` get their header with unit, labels and rounding;
    the others keep their machine name and values, so nothing is dropped silently.
    """
    columns = [*map(str, frame.columns), "lon", "lat"]
    parks = park_names(project) if project is not None else None
    p = presentation(columns, lang, sheet_id=sheet_id, park_names=parks, keep_unknown=True)
    return p if sheet_id else dataclasses.replace(p, sheet=sheet)
