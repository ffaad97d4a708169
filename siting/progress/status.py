"""Where each indicator and base stands against its target.

Status rules (one vocabulary for indicators and bases; ``today`` in China Standard Time):

``no_target``
    the plan gives no target value (a base named without a capacity);
``no_data``
    no record yet;
``achieved``
    the latest value meets the target (≥ for "increase", ≤ for "decrease");
``missed``
    the target's year has ended, the latest record is from that year or later, and it
    does not meet the target (with only older records the path decides, as below);
``on_track`` / ``behind``
    the latest value is at or above / below the straight-line path from the start to
    the target, evaluated at the latest record's date.  The start is the plan's baseline
    where the plan or FACTS.md gives one, else the target's first record;
``no_deadline``
    a target value without a year (the plan's GW-class bases): not achieved yet, no path;
``insufficient_data``
    a single record and no baseline: no path to compare with yet.

A target "by YEAR" and a baseline "in YEAR" are taken at the end of that year.  A base whose
layer status is ``delayed`` is reported ``behind`` unless it has achieved its target.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from layers.schema import COUNTIES
from siting.progress.arithmetic import (
    due_year_fraction,
    target_path,
    today_in_xiangyang,
    year_fraction,
)
from siting.progress.indicators import indicators_frame
from siting.progress.store import read_records

STATUSES = ("achieved", "on_track", "behind", "missed", "no_deadline", "insufficient_data", "no_data", "no_target")
STATUS_LABELS = {
    "achieved": ("已达标", "achieved"),
    "on_track": ("进度正常", "on track"),
    "behind": ("滞后", "behind"),
    "missed": ("未按期完成", "missed"),
    "no_deadline": ("推进中（无期限）", "in progress (no deadline)"),
    "insufficient_data": ("数据不足", "insufficient data"),
    "no_data": ("暂无数据", "no data"),
    "no_target": ("无量化目标", "no target"),
}


def _latest_first(records: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per target: the latest record (by date, then entry) and the first one, and counts."""
    ordered = records.sort_values(["target_id", "date", "seq"], kind="stable")
    grouped = ordered.groupby("target_id", sort=False)
    latest = grouped.tail(1).set_index("target_id")[["date", "value", "author"]]
    latest = latest.rename(columns={"date": "latest_date", "value": "latest_value", "author": "latest_by"})
    latest["n_records"] = grouped.size()
    first = grouped.head(1).set_index("target_id")[["date", "value"]]
    first = first.rename(columns={"date": "first_date", "value": "first_value"})
    return latest, first


def classify(frame: pd.DataFrame, *, today: dt.date) -> pd.DataFrame:
    """Add ``path_value``, ``gap`` and ``status`` to a frame of targets (vectorised).

    ``frame`` needs: ``latest_value, latest_date, n_records, first_value, first_date,
    baseline_value, baseline_year, target_value, target_year, direction``.  ``gap`` is
    what is still missing to the target in the target's unit (0 once achieved).
    """
    out = frame.copy()
    sign = np.where(out["direction"].eq("decrease"), -1.0, 1.0)
    latest = out["latest_value"].to_numpy(dtype="float64")
    target = out["target_value"].to_numpy(dtype="float64")
    has_date = out["latest_date"].notna().to_numpy()
    latest_t = np.full(len(out), np.nan)
    if has_date.any():
        latest_t[has_date] = year_fraction(out.loc[has_date, "latest_date"])
    first_t = np.full(len(out), np.nan)
    has_first = out["first_date"].notna().to_numpy()
    if has_first.any():
        first_t[has_first] = year_fraction(out.loc[has_first, "first_date"])
    base_v = out["baseline_value"].to_numpy(dtype="float64")
    base_t = due_year_fraction(out["baseline_year"].astype("float64"))
    has_base = ~np.isnan(base_v) & ~np.isnan(base_t)
    start_v = np.where(has_base, base_v, out["first_value"].to_numpy(dtype="float64"))
    start_t = np.where(has_base, base_t, first_t)
    target_t = due_year_fraction(out["target_year"].astype("float64"))
    path_ok = ~np.isnan(start_v) & (start_t < latest_t) & ~np.isnan(target) & ~np.isnan(target_t)
    path = np.where(
        path_ok,
        target_path(latest_t, start_value=start_v, start_time=start_t, target_value=target, target_time=target_t),
        np.nan,
    )
    now_t = float(year_fraction([pd.Timestamp(today)])[0])
    n = out["n_records"].fillna(0).to_numpy()
    tol = 1e-9
    achieved = sign * (latest - target) >= -tol
    delayed = out.get("base_status", pd.Series("", index=out.index)).eq("delayed").to_numpy()
    status = np.select(
        [
            np.isnan(target),
            n == 0,
            achieved,
            (now_t >= target_t) & (latest_t >= target_t - 1.0),
            delayed,
            np.isnan(target_t),
            path_ok & (sign * (latest - path) >= -tol),
            path_ok,
        ],
        ["no_target", "no_data", "achieved", "missed", "behind", "no_deadline", "on_track", "behind"],
        default="insufficient_data",
    )
    out["path_value"] = path
    out["gap"] = np.where(np.isnan(latest) | np.isnan(target), np.nan, np.maximum(sign * (target - latest), 0.0))
    out["status"] = status
    return out


def indicator_status(project, *, today: dt.date | None = None, records: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per indicator: latest value, the target it is measured against, status.

    The target is the first one due in or after the latest record's year (or last year
    when there is no record): for the non-fossil share, 21.4 % (2025) until 2025, then
    25 % (2030) (plan 二; FACTS.md "The plan's targets").

    Returns
    -------
    DataFrame
        ``id, name, name_en, unit, baseline_value, baseline_year, latest_value, latest_date,
        n_records, target_value, target_year, path_value, gap, status, plan_ref, note,
        context, context_zh``.  ``context`` beside the non-fossil share is the city's
        operating wind and solar capacity from the ``power_plants`` layer, with its source
        and date (:func:`siting.progress.installed.non_fossil_context`); empty elsewhere.
    """
    from siting.progress.installed import non_fossil_context

    today = today or today_in_xiangyang()
    records = read_records(project) if records is None else records
    targets = indicators_frame()
    latest, first = _latest_first(records[records["target_id"].isin(targets["id"])])
    # Without a record, the target of last year still counts: official statistics for a
    # year appear during the next one (the 2025 share is published in 2026).
    ref_year = targets["id"].map(latest["latest_date"].dt.year).fillna(today.year - 1)
    due = targets[targets["target_year"] >= ref_year]
    chosen = due.sort_values("target_year").groupby("id", sort=False).head(1)
    fallback = targets.sort_values("target_year").groupby("id").tail(1)
    chosen = pd.concat([chosen, fallback[~fallback["id"].isin(chosen["id"])]])
    order = {k: i for i, k in enumerate(targets["id"].unique())}
    chosen = chosen.sort_values("id", key=lambda s: s.map(order)).reset_index(drop=True)
    frame = chosen.join(latest, on="id").join(first, on="id")
    frame["n_records"] = frame["n_records"].fillna(0).astype("int64")
    out = classify(frame, today=today)
    cols = [
        "id",
        "name",
        "name_en",
        "unit",
        "baseline_value",
        "baseline_year",
        "latest_value",
        "latest_date",
        "n_records",
        "target_value",
        "target_year",
        "path_value",
        "gap",
        "status",
        "direction",
        "plan_ref",
        "note",
    ]
    out = out[cols].copy()
    context = non_fossil_context(project)
    is_share = out["id"].eq("ind-non-fossil-share")
    out["context"] = np.where(is_share, context["text"], "")
    out["context_zh"] = np.where(is_share, context["text_zh"], "")
    return out


def _bases_table(project) -> pd.DataFrame:
    if not project.has("bases"):
        return pd.DataFrame(columns=["id", "name", "category", "geometry"])
    return project.read("bases")


def base_status(project, *, today: dt.date | None = None, records: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per base of the ``bases`` layer with its latest record and status.

    Returns a GeoDataFrame (the bases' geometry, EPSG:4326) with the base columns and
    ``county_name, county_name_en, latest_value, latest_date, latest_by, n_records,
    progress_pct, path_value, gap, status`` (``base_status`` keeps the layer's
    planned/operating/... status).  An empty frame if the project has no ``bases`` layer.

    Wind and solar bases with a target in MW also take dated values from the
    ``power_plants`` layer (:func:`siting.progress.installed.installed_records`: the county's
    operating capacity per year); ``latest_by`` then names the data (e.g. ``GEM May 2023``)
    instead of the person who entered the value, and ``n_records`` counts people's records only.
    """
    from siting.progress.installed import installed_records

    today = today or today_in_xiangyang()
    bases = _bases_table(project)
    if bases.empty:
        return bases
    records = read_records(project) if records is None else records
    people = records[records["target_id"].isin(bases["id"])].groupby("target_id").size()
    records = pd.concat([installed_records(project, bases), records], ignore_index=True)
    latest, first = _latest_first(records[records["target_id"].isin(bases["id"])])
    frame = bases.copy()
    for name in ("target_value", "target_year", "target_unit", "status", "county", "name_en", "base_kind", "plan_ref"):
        if name not in frame:
            frame[name] = np.nan if name in ("target_value", "target_year") else ""
    frame = frame.rename(columns={"status": "base_status"})
    frame = frame.join(latest, on="id").join(first, on="id")
    frame["n_records"] = frame["n_records"].fillna(0).astype("int64")  # every dated value, for classify
    frame["baseline_value"] = np.nan
    frame["baseline_year"] = np.nan
    frame["direction"] = "increase"
    frame["target_value"] = pd.to_numeric(frame["target_value"], errors="coerce")
    frame["target_year"] = pd.to_numeric(frame["target_year"], errors="coerce")
    out = classify(frame, today=today)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["progress_pct"] = np.where(
            out["target_value"] > 0, 100.0 * out["latest_value"] / out["target_value"], np.nan
        )
    out["n_records"] = out["id"].map(people).fillna(0).astype("int64")  # people's records only
    county = out["county"].fillna("").astype(str)
    out["county_name"] = county.map(lambda c: COUNTIES.get(c, ("", ""))[0])
    out["county_name_en"] = county.map(lambda c: COUNTIES.get(c, ("", ""))[1])
    return out.drop(columns=["baseline_value", "baseline_year", "first_value", "first_date", "direction"])


def county_summary(project, *, today: dt.date | None = None, bases: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per county: how many bases the plan names there, and how many are behind or achieved.

    Columns ``county, county_name, county_name_en, n_bases, n_renewable, n_recycling,
    n_achieved, n_on_track, n_behind (behind or missed), n_no_data, rooftop_pv_pilot`` (the
    plan names a whole-county rooftop PV pilot there: a base of kind ``rooftop_pv``/``solar``
    whose name says 整县/整区; FACTS.md: 襄城 and 谷城).
    """
    bases = base_status(project, today=today) if bases is None else bases
    counties = pd.DataFrame(
        {
            "county": list(COUNTIES),
            "county_name": [v[0] for v in COUNTIES.values()],
            "county_name_en": [v[1] for v in COUNTIES.values()],
        }
    )
    if bases.empty:
        for name in ("n_bases", "n_renewable", "n_recycling", "n_achieved", "n_on_track", "n_behind", "n_no_data"):
            counties[name] = 0
        counties["rooftop_pv_pilot"] = False
        return counties
    b = pd.DataFrame(bases.drop(columns="geometry", errors="ignore"))
    kind = b["base_kind"].fillna("").astype(str)
    name = b["name"].fillna("").astype(str)
    agg = (
        pd.DataFrame(
            {
                "county": b["county"].fillna("").astype(str),
                "n_bases": 1,
                "n_renewable": b["category"].eq("renewable").astype(int),
                "n_recycling": b["category"].eq("recycling").astype(int),
                "n_achieved": b["status"].eq("achieved").astype(int),
                "n_on_track": b["status"].eq("on_track").astype(int),
                "n_behind": b["status"].isin(["behind", "missed"]).astype(int),
                "n_no_data": b["status"].eq("no_data").astype(int),
                "rooftop_pv_pilot": (kind.str.contains("rooftop") | name.str.contains("屋顶"))
                & name.str.contains("整"),
            }
        )
        .groupby("county")
        .agg(
            {
                "n_bases": "sum",
                "n_renewable": "sum",
                "n_recycling": "sum",
                "n_achieved": "sum",
                "n_on_track": "sum",
                "n_behind": "sum",
                "n_no_data": "sum",
                "rooftop_pv_pilot": "any",
            }
        )
    )
    out = counties.join(agg, on="county")
    ints = ["n_bases", "n_renewable", "n_recycling", "n_achieved", "n_on_track", "n_behind", "n_no_data"]
    out[ints] = out[ints].fillna(0).astype("int64")
    out["rooftop_pv_pilot"] = out["rooftop_pv_pilot"].astype("boolean").fillna(False).astype(bool)
    return out


def status_table(project, *, today: dt.date | None = None, lang: str = "zh") -> pd.DataFrame:
    """Indicators and bases in one printable table (what ``xysiting progress DIR`` shows)."""
    today = today or today_in_xiangyang()
    records = read_records(project)
    ind = indicator_status(project, today=today, records=records)
    zh = lang == "zh"
    rows = [
        pd.DataFrame(
            {
                "kind": "indicator",
                "id": ind["id"],
                "name": ind["name"] if zh else ind["name_en"],
                "county": "",
                "latest": ind["latest_value"],
                "date": ind["latest_date"],
                "target": ind["target_value"],
                "unit": ind["unit"],
                "year": ind["target_year"],
                "status": ind["status"],
            }
        )
    ]
    bases = base_status(project, today=today, records=records)
    if not bases.empty:
        rows.append(
            pd.DataFrame(
                {
                    "kind": "base",
                    "id": bases["id"],
                    "name": bases["name"]
                    if zh
                    else bases["name_en"].fillna("").where(bases["name_en"].fillna("") != "", bases["name"]),
                    "county": bases["county_name"] if zh else bases["county_name_en"],
                    "latest": bases["latest_value"],
                    "date": bases["latest_date"],
                    "target": bases["target_value"],
                    "unit": bases["target_unit"],
                    "year": bases["target_year"],
                    "status": bases["status"],
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    out["date"] = pd.to_datetime(out["date"]).dt.strftime("%Y-%m-%d").fillna("")
    out["year"] = (
        pd.to_numeric(out["year"], errors="coerce").astype("Int64").astype(object).where(out["year"].notna(), "")
    )
    out["unit"] = out["unit"].fillna("").astype(str)
    out["status"] = out["status"].map(lambda s: STATUS_LABELS[s][0 if zh else 1])
    return out
