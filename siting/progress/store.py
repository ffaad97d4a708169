"""The progress store: dated values per base or indicator, append-only, with an audit trail.

Records live in the project's GeoPackage as the ``progress_records`` table (columns from
:mod:`layers.schema`: ``id, target_id, date, value, unit, author, note``); every append also
writes one row per record into ``progress_audit`` (a plain SQLite table registered nowhere:
``time_utc, user, action, batch, record_id, target_id, date, old_value → new_value``).
Both tables refuse UPDATE and DELETE (SQLite triggers): a correction is a new record.

Every append runs under :meth:`layers.project.Project.locked` in one ``BEGIN IMMEDIATE``
SQLite transaction in rollback-journal mode (never WAL): concurrent writers in several
processes serialise and lose nothing, and a writer killed mid-write leaves every committed
record readable.  Only users with the ``editor`` role in the users file
(:mod:`siting.progress.users`) may append; the check is here, in the write path.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from pathlib import Path

import pandas as pd

from geo.errors import InputError
from layers.export import export_frame
from siting.progress import _records, _sqlite
from siting.progress._sqlite import AUDIT, RECORD_COLUMNS, RECORDS
from siting.progress.indicators import INDICATORS
from siting.progress.users import UserStore

#: The ``'`` an export put before a cell starting with = + - @ tab or CR (see import_csv).
_NEUTRALISED = r"^'(?=[=+\-@\t\r])"

#: Prefix of an author named on the command line without a password check (a claim).
CLI_PREFIX = "cli:"


def claimed_author(name: str) -> str:
    """How a name given with ``--author`` and no password is recorded: ``cli:NAME``."""
    return f"{CLI_PREFIX}{name}"


def _empty_records() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": pd.Series(dtype=object),
            "target_id": pd.Series(dtype=object),
            "date": pd.Series(dtype=object),
            "value": pd.Series(dtype="float64"),
            "unit": pd.Series(dtype=object),
            "author": pd.Series(dtype=object),
            "note": pd.Series(dtype=object),
        }
    )


def ensure_store(project) -> None:
    """Create the records table (through :meth:`Project.write`) and the audit table if absent.

    Idempotent; takes the project's lock.
    """
    with project.locked():
        exists = False
        if project.gpkg_path.exists():
            with contextlib.closing(_sqlite.connect(project.gpkg_path)) as con:
                exists = _sqlite.table_exists(con, RECORDS)
        if not exists:
            project.write(RECORDS, _empty_records())
        with contextlib.closing(_sqlite.connect(project.gpkg_path)) as con:
            if (
                _sqlite.table_exists(con, AUDIT)
                and con.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE 'progress_%_no_%'"
                ).fetchone()[0]
                == 4
            ):
                return
            con.execute("BEGIN IMMEDIATE")
            try:
                con.execute(_sqlite.AUDIT_DDL)
                for stmt in _sqlite.append_only_ddl():
                    con.execute(stmt)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise


def _base_units(con) -> dict[str, str]:
    """Base id → target unit, read from the ``bases`` layer inside the open transaction."""
    if not _sqlite.table_exists(con, "bases"):
        return {}
    cols = _sqlite.table_columns(con, "bases")
    unit_sql = "target_unit" if "target_unit" in cols else "NULL"
    return {str(i): (u or "") for i, u in con.execute(f'SELECT id, {unit_sql} FROM "bases" WHERE id IS NOT NULL')}


def target_units(project) -> dict[str, str]:
    """Every id a record may name (indicators and the project's bases) → its unit."""
    units = {ind.id: ind.unit for ind in INDICATORS}
    if project.gpkg_path.exists():
        with contextlib.closing(_sqlite.connect(project.gpkg_path)) as con:
            units.update(_base_units(con))
    return units


def add_records(
    project,
    records,
    *,
    user: str | None,
    author: str | None = None,
    users_path: str | os.PathLike | None = None,
    action: str = "add",
    detail: str = "",
    where: str = "progress records",
    row_labels: pd.Index | None = None,
) -> pd.DataFrame:
    """Append progress records as ``user``, in one transaction; return the rows written.

    Parameters
    ----------
    project : layers.project.Project
        The project whose GeoPackage holds the store.
    records : DataFrame, dict or list of dicts
        Columns ``target_id`` (a base id ``base-...`` from the ``bases`` layer or an indicator
        id ``ind-...``), ``date`` (YYYY-MM-DD, not in the future), ``value`` (≥ 0, in the
        target's unit), optional ``unit`` (converted to the target's unit when it differs:
        e.g. ``GW`` → ``MW``, ``万t`` → ``t``), ``note``, ``id``.
    user : str
        The signed-in user; must have the role ``editor`` in the users file.  Stored as the
        records' ``author`` and in the audit trail unless ``author`` is given.
    author : str, optional
        How to record who wrote: ``user`` (default; the server signed them in) or
        ``"cli:" + user`` for a name claimed on the command line without a password
        (:data:`CLI_PREFIX`).
    users_path : path-like, optional
        The users file; default ``DIR/users.json``.
    action, detail : str
        Written to the audit trail (``"add"``, ``"import"``; e.g. the imported file's name).
    where : str
        How to name the input in error messages (a file name).
    row_labels : Index, optional
        Labels of the input rows for error messages (e.g. CSV line numbers).

    Raises
    ------
    siting.progress.users.NotAuthorisedError
        (a PermissionError) if ``user`` is not an editor.  Nothing is written.
    InputError
        For bad input: invalid or future dates, negative or non-numeric values, unknown
        target ids, units that do not convert, duplicate ids.  Nothing is written.
    """
    editor = UserStore.for_project(project, users_path).require_editor(user)
    author = editor if author is None else author
    if author not in (editor, claimed_author(editor)):
        msg = f"author {author!r} must be the editor {editor!r} or the claim {claimed_author(editor)!r}"
        raise ValueError(msg)
    clean = _records.validate(records, where=where, user=editor, author=author, row_labels=row_labels)
    batch = f"batch-{uuid.uuid4().hex[:12]}"
    now = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    # A private handle on the project: its lock depth is not shared with other threads
    # holding the caller's object (Project.locked() is re-entrant per object), so the
    # file lock also separates threads of one server process.
    project = type(project)(project.path)
    with project.locked():
        ensure_store(project)
        with contextlib.closing(_sqlite.connect(project.gpkg_path)) as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                units = {ind.id: ind.unit for ind in INDICATORS} | _base_units(con)
                clean = _records.resolve_targets(clean, units, where=where)
                old = _latest_values(con, clean["target_id"].unique().tolist())
                _check_new_ids(con, clean, where=where)
                rows = clean[list(RECORD_COLUMNS)].astype(object).where(clean.notna(), None)
                con.executemany(
                    f'INSERT INTO "{RECORDS}" ({", ".join(RECORD_COLUMNS)}) VALUES (?,?,?,?,?,?,?)',
                    rows.itertuples(index=False, name=None),
                )
                audit = pd.DataFrame(
                    {
                        "time_utc": now,
                        "user": author,
                        "action": action,
                        "batch": batch,
                        "record_id": clean["id"],
                        "target_id": clean["target_id"],
                        "date": clean["date"],
                        "old_value": clean["target_id"].map(old),
                        "new_value": clean["value"],
                        "unit": clean["unit"],
                        "detail": detail,
                    }
                )
                audit = audit.astype(object).where(audit.notna(), None)
                con.executemany(
                    f'INSERT INTO "{AUDIT}" (time_utc, user, action, batch, record_id, target_id, date, '
                    "old_value, new_value, unit, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    audit.itertuples(index=False, name=None),
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
    return clean.reset_index(drop=True)[list(RECORD_COLUMNS)]


def add_record(
    project,
    target_id: str,
    date,
    value: float,
    *,
    user: str | None,
    unit: str = "",
    note: str = "",
    users_path: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Append one record (see :func:`add_records`); return it as a one-row frame."""
    return add_records(
        project,
        [{"target_id": target_id, "date": date, "value": value, "unit": unit, "note": note}],
        user=user,
        users_path=users_path,
        where=f"record for {target_id!r}",
    )


def _latest_values(con, target_ids: list[str]) -> dict[str, float]:
    """Latest value (by date, then entry order) of each target, before this write."""
    if not target_ids:
        return {}
    marks = ",".join("?" * len(target_ids))
    rows = con.execute(
        f"SELECT target_id, value FROM (SELECT target_id, value, ROW_NUMBER() OVER "
        f'(PARTITION BY target_id ORDER BY date DESC, fid DESC) AS rn FROM "{RECORDS}" '
        f"WHERE target_id IN ({marks})) WHERE rn = 1",
        target_ids,
    ).fetchall()
    return dict(rows)


def _check_new_ids(con, clean: pd.DataFrame, *, where: str) -> None:
    ids = clean["id"].tolist()
    existing: set[str] = set()
    for start in range(0, len(ids), 500):  # SQLite caps bound parameters per statement
        chunk = ids[start : start + 500]
        existing |= {
            r[0] for r in con.execute(f'SELECT id FROM "{RECORDS}" WHERE id IN ({",".join("?" * len(chunk))})', chunk)
        }
    if existing:
        from geo.errors import describe_rows

        mask = clean["id"].isin(existing).to_numpy()
        msg = (
            f"{where}: nothing was written.\n  column id, {describe_rows(clean.index[mask])}: "
            f"record id(s) already in the store ({', '.join(sorted(existing)[:5])}) — was this "
            f"file imported before? Remove those rows, or the id column to add them as new records"
        )
        raise InputError(msg)


def read_records(project, *, target_id: str | None = None) -> pd.DataFrame:
    """Every record, in entry order: ``seq, id, target_id, date (datetime64), value, unit, author, note``.

    An empty frame with those columns if the project has no records yet.
    """
    cols = ["seq", *RECORD_COLUMNS]
    if not project.gpkg_path.exists():
        return _typed(pd.DataFrame(columns=cols))
    with contextlib.closing(_sqlite.connect(project.gpkg_path)) as con:
        if not _sqlite.table_exists(con, RECORDS):
            return _typed(pd.DataFrame(columns=cols))
        sql = f'SELECT fid AS seq, {", ".join(RECORD_COLUMNS)} FROM "{RECORDS}"'
        params: tuple = ()
        if target_id is not None:
            sql += " WHERE target_id = ?"
            params = (target_id,)
        frame = pd.read_sql_query(sql + " ORDER BY fid", con, params=params)
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame["seq"] = pd.to_numeric(frame["seq"]).astype("int64")
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    frame["value"] = pd.to_numeric(frame["value"]).astype("float64")
    for name in ("id", "target_id", "unit", "author", "note"):
        frame[name] = frame[name].astype(object).fillna("")
    return frame


def read_audit(project) -> pd.DataFrame:
    """The audit trail, oldest first (empty frame if nothing was ever written)."""
    cols = [
        "seq",
        "time_utc",
        "user",
        "action",
        "batch",
        "record_id",
        "target_id",
        "date",
        "old_value",
        "new_value",
        "unit",
        "detail",
    ]
    if not project.gpkg_path.exists():
        return pd.DataFrame(columns=cols)
    with contextlib.closing(_sqlite.connect(project.gpkg_path)) as con:
        if not _sqlite.table_exists(con, AUDIT):
            return pd.DataFrame(columns=cols)
        return pd.read_sql_query(f'SELECT {", ".join(cols)} FROM "{AUDIT}" ORDER BY seq', con)


def import_csv(
    project,
    path: str | os.PathLike,
    *,
    user: str | None,
    author: str | None = None,
    users_path: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Append the records of a CSV file (UTF-8, BOM allowed) in one transaction.

    The file has the columns ``target_id, date, value`` and optionally ``unit, note, id,
    author`` (see :func:`add_records`, also for ``author``); any other column, or a missing
    one, is an InputError and nothing is written.  Errors name the file's line numbers.
    A leading ``'`` before ``= + - @``, tab or CR (how exports neutralise formulas) is
    removed, so an exported file re-imports with its text as it was.  This append, audited,
    is the only way records enter the store: ``xysiting import --layer progress_records`` is
    refused.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such file; give the path of a CSV of progress records"
        raise InputError(msg)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=True)
    except UnicodeDecodeError:
        msg = f"{path}: not UTF-8 text; save the CSV as UTF-8"
        raise InputError(msg) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = f"{path}: cannot be read as CSV ({exc}); check the separators and quoting"
        raise InputError(msg) from None
    _records.check_columns(frame, where=str(path))
    # undo the leading ' that exports put before = + - @ tab CR (layers.export.neutralise_formulas),
    # so an exported file comes back with its notes as they were
    text = [c for c in frame.columns if str(c).strip() != "value"]
    frame[text] = frame[text].apply(lambda col: col.str.replace(_NEUTRALISED, "", n=1, regex=True))
    labels = pd.RangeIndex(2, len(frame) + 2)  # line numbers in the file (line 1 is the header)
    return add_records(
        project,
        frame,
        user=user,
        author=author,
        users_path=users_path,
        action="import",
        detail=path.name,
        where=f"{path} (rows are line numbers)",
        row_labels=labels,
    )


def export_records(project, path: str | os.PathLike) -> Path:
    """Write every record to ``path`` (CSV with BOM or XLSX), atomically; re-importable.

    Re-importing the same file is refused (its record ids are already in the store).
    """
    frame = read_records(project).drop(columns="seq")
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
    return export_frame(frame, path, layer="progress_records")
