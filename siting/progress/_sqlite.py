"""SQLite plumbing for the progress store (private).

The ``progress_records`` layer lives in ``project.gpkg``.  Appends go through plain sqlite3
in ``BEGIN IMMEDIATE`` transactions under the project's lock, in SQLite's default rollback
journal (``DELETE``) mode — never WAL, so the GeoPackage stays one self-contained file that
:meth:`layers.project.Project.write_many` can copy and replace.  A writer killed mid-transaction
leaves a hot journal which the next connection rolls back: committed records survive,
the half-written one disappears.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

RECORDS = "progress_records"
AUDIT = "progress_audit"
RECORD_COLUMNS = ("id", "target_id", "date", "value", "unit", "author", "note")

#: How long a connection waits for another writer's SQLite lock, seconds.
BUSY_TIMEOUT_S = 120.0


def _gpkg_null_geometry(*_args) -> None:
    return None


def _gpkg_is_empty(_geom) -> int:
    # Only reached for non-NULL geometry, which progress records never carry.
    return 1


def connect(gpkg: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit ``BEGIN IMMEDIATE``).

    GDAL may create the records table as a features table whose R-tree triggers name the
    GeoPackage SQL functions ``ST_IsEmpty``/``ST_MinX``...; SQLite resolves them when the
    trigger is compiled even though records never carry a geometry (the triggers' ``WHEN``
    clauses are false for NULL), so stand-ins are registered here.
    """
    con = sqlite3.connect(gpkg, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    con.create_function("ST_IsEmpty", 1, _gpkg_is_empty, deterministic=True)
    for name in ("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        con.create_function(name, 1, _gpkg_null_geometry, deterministic=True)
    return con


def table_exists(con: sqlite3.Connection, name: str) -> bool:
    """True if ``name`` is a table in the database."""
    return con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone() is not None


def table_columns(con: sqlite3.Connection, name: str) -> list[str]:
    """Column names of table ``name``."""
    return [row[1] for row in con.execute(f'PRAGMA table_info("{name}")')]


AUDIT_DDL = f"""
CREATE TABLE IF NOT EXISTS "{AUDIT}" (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time_utc TEXT NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    batch TEXT NOT NULL,
    record_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    date TEXT NOT NULL,
    old_value REAL,
    new_value REAL NOT NULL,
    unit TEXT,
    detail TEXT
)
"""


def append_only_ddl() -> list[str]:
    """Statements making the records and audit tables append-only, and record ids unique."""
    out = []
    for table in (RECORDS, AUDIT):
        for event in ("UPDATE", "DELETE"):
            out.append(
                f'CREATE TRIGGER IF NOT EXISTS "{table}_no_{event.lower()}" BEFORE {event} ON "{table}" '
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: add a correcting record instead'); END"
            )
    out.append(f'CREATE UNIQUE INDEX IF NOT EXISTS "{RECORDS}_id_unique" ON "{RECORDS}" (id)')
    out.append(f'CREATE INDEX IF NOT EXISTS "{RECORDS}_target_date" ON "{RECORDS}" (target_id, date)')
    return out
