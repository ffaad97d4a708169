"""Installed capacity from the ``power_plants`` layer: per county, technology and year.

The operating wind and solar plants of the ``power_plants`` layer (GEM trackers, GPPD, or a
user's import) give, per county and year, the capacity in operation at the end of that
year (cumulative over ``start_year``).  This feeds

* the progress of the plan's renewable bases (:func:`installed_records`): a base of kind
  ``wind``/``solar``/``wind_solar`` with a target in MW gets one dated value per year — the
  operating capacity of its technologies in its county — labelled with the data's source
  and release (e.g. ``GEM May 2023; GPPD v1.3``) in the ``author`` column; records people
  enter later, with later dates, take over;
* the context of the non-fossil share indicator (:func:`non_fossil_context`): the city's
  operating wind and solar capacity, with the same label.

Counted: ``status == "operating"`` only (construction, pre-construction, shelved and retired
plants add nothing), plants with a ``county`` (features in the margin around the city have
none).  A plant without ``start_year`` counts from the year of its data's release.  The figures are
the plant databases' — the county's whole operating capacity, not only the base's own
projects — and say so wherever they are shown.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

import numpy as np
import pandas as pd

from layers.schema import COUNTIES

#: Technologies whose operating capacity feeds the renewable bases.
RENEWABLE_TECHNOLOGIES = ("wind", "solar")

#: Base kinds → the technologies whose capacity counts for them.
BASE_KIND_TECHNOLOGIES = {"wind": ("wind",), "solar": ("solar",), "wind_solar": ("wind", "solar")}

#: Releases without a month in their label → publication month (WRI GPPD v1.3: June 2021).
_KNOWN_RELEASES = {"GPPD v1.3": dt.date(2021, 6, 30)}

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}


def _release_date(label: str) -> dt.date | None:
    """``GEM May 2023`` → 2023-05-31 (end of the month); None when the label has no date."""
    if label in _KNOWN_RELEASES:
        return _KNOWN_RELEASES[label]
    match = re.search(r"([A-Za-z]+)\s+(\d{4})", label or "")
    if match and match.group(1).lower() in _MONTHS:
        year, month = int(match.group(2)), _MONTHS[match.group(1).lower()]
        return dt.date(year, month, calendar.monthrange(year, month)[1])
    return None


def source_label(plants: pd.DataFrame) -> str:
    """``GEM May 2023; GPPD v1.3``: the releases (else sources) of ``plants``, most capacity first."""
    if plants.empty:
        return ""
    version = plants.get("source_version", pd.Series(None, index=plants.index)).astype(object)
    label = version.where(version.notna() & (version.astype(str) != ""), plants["source"].astype(str))
    order = plants["capacity_mw"].groupby(label).sum().sort_values(ascending=False)
    return "; ".join(order.index.astype(str))


def as_of_date(plants: pd.DataFrame) -> dt.date | None:
    """The newest release date among ``plants``' ``source_version`` (None if none has one)."""
    if plants.empty or "source_version" not in plants:
        return None
    dates = [d for d in map(_release_date, plants["source_version"].dropna().astype(str).unique()) if d]
    return max(dates) if dates else None


def operating_plants(plants: pd.DataFrame, *, technologies=RENEWABLE_TECHNOLOGIES) -> pd.DataFrame:
    """The operating plants of ``technologies`` that lie in one of Xiangyang's counties."""
    frame = pd.DataFrame(plants.drop(columns="geometry", errors="ignore"))
    keep = (
        frame["status"].eq("operating")
        & frame["technology"].isin(technologies)
        & frame["county"].isin(list(COUNTIES))
        & (pd.to_numeric(frame["capacity_mw"], errors="coerce") > 0)
    )
    return frame.loc[keep]


def installed_capacity(plants: pd.DataFrame, *, technologies=RENEWABLE_TECHNOLOGIES) -> pd.DataFrame:
    """Operating capacity per county, technology and year (cumulative), MW.

    Parameters
    ----------
    plants : DataFrame
        A ``power_plants`` layer (``county``, ``technology``, ``capacity_mw``, ``status``,
        ``start_year``, ``source``, ``source_version``).
    technologies : tuple of str

    Returns
    -------
    DataFrame
        One row per county, technology and year from the first commissioning to the as-of
        year: ``county, county_name, county_name_en, technology, year, added_mw,
        installed_mw`` (in operation at the end of the year), ``n_plants`` (cumulative),
        ``as_of`` (date of the data) and ``source`` (e.g. ``GEM May 2023``).  Empty (with
        those columns) when no operating plant lies in a county.
    """
    cols = [
        "county",
        "county_name",
        "county_name_en",
        "technology",
        "year",
        "added_mw",
        "installed_mw",
        "n_plants",
        "as_of",
        "source",
    ]
    frame = operating_plants(plants, technologies=technologies)
    if frame.empty:
        return pd.DataFrame(columns=cols)
    as_of = as_of_date(frame)
    start = pd.to_numeric(frame["start_year"], errors="coerce")
    last_year = as_of.year if as_of else int(start.max()) if start.notna().any() else dt.date.today().year
    # a plant without a start year counts from its own release's year (GPPD v1.3: 2021)
    versions = frame.get("source_version", pd.Series(None, index=frame.index)).astype(object)
    release = versions.map({v: _release_date(str(v)) for v in versions.dropna().unique()})
    release_year = release.map(lambda d: d.year if isinstance(d, dt.date) else np.nan).astype("float64")
    year = start.fillna(release_year).fillna(last_year).clip(upper=last_year).astype("int64")
    added = (
        pd.DataFrame(
            {
                "county": frame["county"].astype(str),
                "technology": frame["technology"],
                "year": year,
                "mw": pd.to_numeric(frame["capacity_mw"]),
                "n": 1,
            }
        )
        .groupby(["county", "technology", "year"])[["mw", "n"]]
        .sum()
    )
    years = np.arange(int(year.min()), last_year + 1)
    wide = added.unstack(["county", "technology"]).reindex(years).fillna(0.0)
    wide.index.name = "year"
    cumulative = wide.cumsum()
    out = pd.DataFrame(
        {
            "added_mw": wide["mw"].stack(["county", "technology"], future_stack=True),
            "installed_mw": cumulative["mw"].stack(["county", "technology"], future_stack=True),
            "n_plants": cumulative["n"].stack(["county", "technology"], future_stack=True).astype("int64"),
        }
    ).reset_index()
    out = out[out["n_plants"] > 0]
    out["county_name"] = out["county"].map(lambda c: COUNTIES[c][0])
    out["county_name_en"] = out["county"].map(lambda c: COUNTIES[c][1])
    key = [frame["county"].astype(str), frame["technology"]]
    versions = frame.get("source_version", pd.Series(None, index=frame.index)).astype(object)
    labels = versions.where(versions.notna() & (versions.astype(str) != ""), frame["source"].astype(str))
    dates = labels.map({v: _release_date(str(v)) for v in labels.unique()})
    meta = pd.DataFrame(
        {
            "source": labels.groupby(key).agg(lambda s: "; ".join(dict.fromkeys(s.astype(str)))),
            "as_of": dates.groupby(key).agg(lambda s: max((d for d in s if isinstance(d, dt.date)), default=None)),
        }
    )
    meta.index.names = ["county", "technology"]
    out = out.join(meta, on=["county", "technology"])
    return out.sort_values(["county", "technology", "year"], kind="stable").reset_index(drop=True)[cols]


def installed_records(project, bases: pd.DataFrame | None = None) -> pd.DataFrame:
    """Dated values for the renewable bases from the ``power_plants`` layer, as records.

    For each base of kind ``wind``, ``solar`` or ``wind_solar`` whose ``target_unit`` is a
    power unit (MW): one value per year since the county's first plant — the operating
    capacity of the base's technologies in its county at the end of that year (the last at
    the data's as-of date) — in the base's unit.  Columns as
    :func:`siting.progress.store.read_records` (``seq`` negative: a person's record of the
    same date comes after), ``author`` = the data's source label, ``note`` saying what the
    value is.  Empty when the project has no ``power_plants`` layer.
    """
    from siting.progress.arithmetic import conversion_factor
    from siting.progress.store import read_records

    empty = read_records(project).iloc[0:0]
    if not project.has("power_plants"):
        return empty
    if bases is None:
        bases = project.read("bases") if project.has("bases") else None
    if bases is None or bases.empty:
        return empty
    table = installed_capacity(project.read("power_plants"))
    if table.empty:
        return empty
    rows = []
    for base in pd.DataFrame(bases.drop(columns="geometry", errors="ignore")).itertuples(index=False):
        techs = BASE_KIND_TECHNOLOGIES.get(str(getattr(base, "base_kind", "") or ""))
        unit = str(getattr(base, "target_unit", "") or "")
        if not techs or not unit:
            continue
        try:
            factor = conversion_factor("MW", unit)
        except Exception:  # a base measured in something else than power: not fed from plants
            continue
        here = table[(table["county"] == str(base.county)) & table["technology"].isin(techs)]
        series = here.pivot_table(index="year", columns="technology", values="installed_mw", aggfunc="sum")
        series = series.sort_index().ffill().fillna(0.0).sum(axis=1)  # a technology's last value carries on
        series = series[series > 0]
        if series.empty:
            continue
        label = "; ".join(dict.fromkeys("; ".join(here["source"]).split("; ")))
        as_of = max((d for d in here["as_of"] if d is not None), default=None)
        dates = [f"{y}-12-31" for y in series.index]
        if as_of is not None and int(series.index[-1]) == as_of.year:
            dates[-1] = as_of.isoformat()
        rows.append(
            pd.DataFrame(
                {
                    "id": [f"installed-{base.id}-{y}" for y in series.index],
                    "target_id": base.id,
                    "date": dates,
                    "value": series.to_numpy() * factor,
                    "unit": unit,
                    "author": label,
                    "note": f"operating {'+'.join(techs)} capacity in the county ({label})",
                }
            )
        )
    if not rows:
        return empty
    out = pd.concat(rows, ignore_index=True)
    out.insert(0, "seq", -np.arange(len(out), 0, -1))
    out["date"] = pd.to_datetime(out["date"], format="%Y-%m-%d")
    return out


def non_fossil_context(project) -> dict:
    """The city's operating wind and solar capacity beside the non-fossil share indicator.

    Returns
    -------
    dict
        ``available`` (bool), ``wind_mw``, ``solar_mw``, ``as_of`` (date or None), ``source``
        (label), ``text`` (one line, English) and ``text_zh``; ``available`` False with a
        ``text`` saying why when the project has no operating wind or solar plants.
    """
    if not project.has("power_plants"):
        text = "no power_plants layer: import one (xysiting import DIR --layer power_plants FILE)"
        return {"available": False, "text": text, "text_zh": "无现有电厂图层"}
    frame = operating_plants(project.read("power_plants"))
    if frame.empty:
        return {"available": False, "text": "no operating wind or solar plant in the counties", "text_zh": "无数据"}
    mw = frame.groupby("technology")["capacity_mw"].sum()
    wind, solar = float(mw.get("wind", 0.0)), float(mw.get("solar", 0.0))
    as_of, label = as_of_date(frame), source_label(frame)
    when = f", as of {as_of:%Y-%m}" if as_of else ""
    when_zh = f"，截至 {as_of:%Y-%m}" if as_of else ""
    return {
        "available": True,
        "wind_mw": wind,
        "solar_mw": solar,
        "as_of": as_of,
        "source": label,
        "text": f"operating in the city: wind {wind:,.0f} MW, solar {solar:,.0f} MW ({label}{when})",
        "text_zh": f"全市在运：风电 {wind:,.0f} MW，光伏 {solar:,.0f} MW（{label}{when_zh}）",
    }
