"""Validation of incoming progress records (private; used by :mod:`siting.progress.store`)."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd

from geo.errors import InputError, describe_rows
from siting.progress.arithmetic import conversion_factor, normalise_unit, today_in_xiangyang

REQUIRED = ("target_id", "date", "value")
OPTIONAL = ("id", "unit", "note", "author")
EARLIEST_DATE = pd.Timestamp("2000-01-01")
MAX_NOTE_CHARS = 2000


def as_frame(records) -> pd.DataFrame:
    """Accept a DataFrame, one record as a dict, or a list of dicts."""
    if isinstance(records, pd.DataFrame):
        return records.copy()
    if isinstance(records, dict):
        return pd.DataFrame([records])
    if isinstance(records, list | tuple) and all(isinstance(r, dict) for r in records):
        return pd.DataFrame(list(records))
    msg = "progress records must be a table (DataFrame), a dict or a list of dicts"
    raise InputError(msg)


def check_columns(frame: pd.DataFrame, *, where: str) -> None:
    """Raise InputError if required columns are missing or unknown ones are present."""
    cols = [str(c).strip() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in cols]
    unknown = [c for c in cols if c not in REQUIRED + OPTIONAL]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        msg = (
            f"{where}: {'; '.join(parts)}. A progress-record table has the columns "
            f"{', '.join(REQUIRED)} (required) and {', '.join(OPTIONAL)} (optional), e.g. "
            f"target_id,date,value,unit,note / ind-non-fossil-share,2025-06-30,19.8,%,季报"
        )
        raise InputError(msg)


def _text(series: pd.Series) -> pd.Series:
    out = series.astype("string").str.strip()
    return out.fillna("")


def _parse_dates(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = pd.to_datetime(series, errors="coerce")
        return parsed.where(parsed == parsed.dt.normalize())
    text = _text(series)
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    midnight = pd.to_datetime(text, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    midnight = midnight.where(midnight == midnight.dt.normalize())
    return parsed.fillna(midnight)


def validate(
    records, *, where: str, user: str, author: str | None = None, row_labels: pd.Index | None = None
) -> pd.DataFrame:
    """Check and normalise records (everything that needs no look-up in the store).

    Returns a frame with columns ``id, target_id, date (YYYY-MM-DD str), value (float),
    unit (normalised str, may be empty), author, note``.  ``author`` (default ``user``) is
    what the records are stored under, e.g. ``cli:wang`` for a name claimed on the command
    line; an ``author`` column in the input may name ``user`` or ``author``.  Raises one
    InputError listing every problem, naming the column, the rows and the fix.
    """
    author = user if author is None else author
    frame = as_frame(records)
    frame.columns = [str(c).strip() for c in frame.columns]
    check_columns(frame, where=where)
    if frame.empty:
        msg = f"{where}: no records to add"
        raise InputError(msg)
    labels = pd.Index(row_labels) if row_labels is not None else frame.index
    frame.index = labels
    problems: list[str] = []

    def flag(mask: pd.Series, column: str, what: str) -> None:
        mask = mask.fillna(True).astype(bool)
        if mask.any():
            problems.append(f"column {column}, {describe_rows(labels[mask.to_numpy()])}: {what}")

    target = _text(frame["target_id"])
    flag(target == "", "target_id", "empty; give a base id (base-...) or an indicator id (ind-...)")

    dates = _parse_dates(frame["date"])
    flag(dates.isna(), "date", "not a valid date; write dates as YYYY-MM-DD, e.g. 2025-06-30")
    today = pd.Timestamp(today_in_xiangyang())
    flag(
        dates.notna() & (dates > today),
        "date",
        f"in the future (after {today.date()}); record values that have happened",
    )
    flag(dates.notna() & (dates < EARLIEST_DATE), "date", f"before {EARLIEST_DATE.date()}; check the year")

    raw_value = frame["value"]
    value = pd.to_numeric(
        raw_value if not pd.api.types.is_string_dtype(raw_value) else _text(raw_value).replace("", None),
        errors="coerce",
    ).astype("float64")
    flag(value.isna(), "value", "not a number (or empty); give a number in the target's unit")
    flag(value.notna() & ~np.isfinite(value), "value", "not a finite number")
    flag(value.notna() & (value < 0), "value", "negative; progress values are ≥ 0")

    unit = _text(frame["unit"]) if "unit" in frame else pd.Series("", index=labels, dtype="string")
    unit = unit.map(normalise_unit) if len(unit) else unit
    note = _text(frame["note"]) if "note" in frame else pd.Series("", index=labels, dtype="string")
    flag(note.str.len() > MAX_NOTE_CHARS, "note", f"longer than {MAX_NOTE_CHARS} characters")

    if "author" in frame:
        given = _text(frame["author"])
        flag(
            (given != "") & ~given.isin([user, author]),
            "author",
            f"names someone other than the signed-in user {user!r}; records are entered as "
            f"the user who adds them — remove the column or sign in as that author",
        )

    if "id" in frame:
        ids = _text(frame["id"])
        flag(ids == "", "id", "empty; remove the id column to have ids generated")
        flag(ids.duplicated(keep=False) & (ids != ""), "id", "duplicated within the input")
    else:
        ids = pd.Series([f"rec-{uuid.uuid4().hex[:16]}" for _ in range(len(frame))], index=labels)

    if problems:
        msg = f"{where}: nothing was written.\n  " + "\n  ".join(problems)
        raise InputError(msg)
    return pd.DataFrame(
        {
            "id": ids.astype(str),
            "target_id": target.astype(str),
            "date": dates.dt.strftime("%Y-%m-%d"),
            "value": value,
            "unit": unit.astype(str),
            "author": author,
            "note": note.astype(str),
        },
        index=labels,
    )


def resolve_targets(clean: pd.DataFrame, target_units: dict[str, str], *, where: str) -> pd.DataFrame:
    """Check target ids against the registry and convert values into each target's unit.

    ``target_units`` maps every known id to its unit (``""`` for a base without a target unit;
    then the record's own unit is kept).
    """
    known = clean["target_id"].isin(list(target_units))
    if not known.all():
        bad = clean.loc[~known, "target_id"]
        sample = ", ".join(sorted(bad.unique())[:5])
        msg = (
            f"{where}: nothing was written.\n  column target_id, "
            f"{describe_rows(clean.index[~known.to_numpy()])}: unknown base or indicator id(s) "
            f"{sample}; list the known ids with `xysiting progress DIR --targets`"
        )
        raise InputError(msg)
    out = clean.copy()
    goal = out["target_id"].map(target_units).fillna("").astype(str)
    convert = (out["unit"] != "") & (goal != "") & (out["unit"] != goal)
    if convert.any():
        pairs = out.loc[convert, ["unit"]].assign(goal=goal[convert]).drop_duplicates()
        factors = {}
        problems = []
        for src, dst in pairs.itertuples(index=False):  # one per distinct unit pair, not per row
            try:
                factors[(src, dst)] = conversion_factor(src, dst)
            except InputError:
                rows = out.index[(convert & (out["unit"] == src) & (goal == dst)).to_numpy()]
                problems.append(
                    f"column unit, {describe_rows(rows)}: {src!r} does not convert to "
                    f"the target's unit {dst!r}; give the value in {dst!r}"
                )
        if problems:
            msg = f"{where}: nothing was written.\n  " + "\n  ".join(problems)
            raise InputError(msg)
        key = list(zip(out.loc[convert, "unit"], goal[convert], strict=True))
        out.loc[convert, "value"] = out.loc[convert, "value"].to_numpy() * np.array([factors[k] for k in key])
    out["unit"] = goal.where(goal != "", out["unit"])
    check_unit_ranges(out, where=where)
    return out


#: Percentages lie in 0–100 (a share or a rate of something that cannot exceed its whole).
PERCENT_RANGE = (0.0, 100.0)


def check_unit_ranges(records: pd.DataFrame, *, where: str) -> None:
    """Raise InputError for values impossible in their unit, naming the rows.

    A percentage (``%``, after conversion: a ``fraction`` of 0.5 is 50 %) lies in 0–100; a
    count (``count``) is a whole number ≥ 0.  Values in other units are only checked to be
    ≥ 0 (in :func:`validate`).
    """
    unit = records["unit"].astype(str)
    value = records["value"].astype("float64")
    problems = []
    low, high = PERCENT_RANGE
    pct = (unit == "%") & ((value < low) | (value > high))
    if pct.any():
        sample = ", ".join(f"{v:g} %" for v in value[pct].head(3))
        problems.append(
            f"column value, {describe_rows(records.index[pct.to_numpy()])}: {sample} for "
            f"{', '.join(sorted(records.loc[pct, 'target_id'].unique())[:3])} — a percentage lies in "
            f"{low:g}–{high:g}; give the share in % (e.g. 65 for 65 %), not a ratio ×100 or a count"
        )
    count = (unit == "count") & ((value < 0) | (value % 1 != 0))
    if count.any():
        sample = ", ".join(f"{v:g}" for v in value[count].head(3))
        problems.append(
            f"column value, {describe_rows(records.index[count.to_numpy()])}: {sample} for "
            f"{', '.join(sorted(records.loc[count, 'target_id'].unique())[:3])} — a count is a whole number ≥ 0"
        )
    if problems:
        msg = f"{where}: nothing was written.\n  " + "\n  ".join(problems)
        raise InputError(msg)
