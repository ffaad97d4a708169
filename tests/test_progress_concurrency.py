"""Progress store under concurrency (issue 7): parallel writers lose nothing; a killed writer
leaves every committed record readable."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sqlite3
import time

import pytest
from _progress_helpers import append_worker, endless_worker, make_project, stalled_writer

from siting.progress import add_record, add_records, read_audit, read_records

EDITOR = "wang"


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj")


def _integrity(project) -> str:
    with contextlib.closing(sqlite3.connect(project.gpkg_path)) as con:
        return con.execute("PRAGMA integrity_check").fetchone()[0]


def test_two_processes_appending_1000_records_each_lose_none(project):
    ctx = mp.get_context("spawn")
    # 1,000 records each in transactions of 10: 200 interleaved transactions in all.
    procs = [ctx.Process(target=append_worker, args=(str(project.path), tag, 1000, 10)) for tag in ("alpha", "beta")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
        assert p.exitcode == 0, f"writer {p.name} failed with exit code {p.exitcode}"
    records = read_records(project)
    assert len(records) == 2000
    assert records["id"].is_unique
    for tag in ("alpha", "beta"):
        ids = sorted(records.loc[records["note"] == tag, "id"])
        assert ids == [f"{tag}-{i:05d}" for i in range(1000)]
    assert len(read_audit(project)) == 2000
    assert _integrity(project) == "ok"
    # journal mode stays the rollback journal (never WAL)
    with contextlib.closing(sqlite3.connect(project.gpkg_path)) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0].lower() == "delete"


def test_writer_killed_mid_write_leaves_every_committed_record(project, tmp_path):
    add_record(project, "ind-non-fossil-share", "2024-12-31", 18.0, user=EDITOR)
    log = tmp_path / "committed.txt"
    log.touch()
    ctx = mp.get_context("spawn")
    child = ctx.Process(target=endless_worker, args=(str(project.path), str(log)))
    child.start()
    deadline = time.monotonic() + 120
    while len(log.read_text().split()) < 25 and time.monotonic() < deadline:
        assert child.is_alive(), "writer died before it was killed"
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.join(timeout=30)
    assert child.exitcode == -signal.SIGKILL
    logged = log.read_text().split()
    assert len(logged) >= 25
    records = read_records(project)  # readable after the kill (hot journal rolled back)
    stored = set(records["id"])
    assert set(logged) <= stored  # every record the writer saw committed is there
    killed_ids = sorted(i for i in stored if i.startswith("kill-"))
    # at most one committed but not yet logged when the signal hit; no half record
    assert len(logged) <= len(killed_ids) <= len(logged) + 1
    assert killed_ids == [f"kill-{i:06d}" for i in range(len(killed_ids))]
    assert _integrity(project) == "ok"
    # and the store takes new writes afterwards
    add_record(project, "ind-non-fossil-share", "2025-06-30", 19.0, user=EDITOR)
    assert len(read_records(project)) == len(records) + 1


def test_writer_killed_inside_an_open_transaction_leaves_nothing_half_written(project):
    add_record(project, "ind-non-fossil-share", "2024-12-31", 18.0, user=EDITOR)
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    child = ctx.Process(target=stalled_writer, args=(str(project.path), ready))
    child.start()
    assert ready.wait(timeout=120), "writer never reached its open transaction"
    journal = project.gpkg_path.with_name(project.gpkg_path.name + "-journal")
    assert journal.exists() and journal.stat().st_size > 0  # a hot journal will be left behind
    os.kill(child.pid, signal.SIGKILL)
    child.join(timeout=30)
    assert journal.exists()
    records = read_records(project)  # rolls the dead writer's journal back
    assert not journal.exists() or journal.stat().st_size == 0
    assert records["id"].str.startswith("half-").sum() == 0
    assert len(records) == 1
    assert _integrity(project) == "ok"
    # the dead writer's project lock and SQLite lock are gone: writing works at once
    add_record(project, "ind-non-fossil-share", "2025-06-30", 19.0, user=EDITOR)
    assert read_records(project)["value"].tolist() == [18.0, 19.0]


def test_threads_sharing_one_project_object_lose_nothing(project):
    import threading

    errors = []

    def worker(tag: str) -> None:
        try:
            for i in range(0, 200, 20):
                add_records(
                    project,
                    [
                        {"target_id": "ind-green-parks-new", "date": "2025-01-01", "value": 1.0, "id": f"{tag}-{j}"}
                        for j in range(i, i + 20)
                    ],
                    user=EDITOR,
                )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"t{k}",)) for k in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=240)
    assert not errors
    records = read_records(project)
    assert len(records) == 600 and records["id"].is_unique
    assert _integrity(project) == "ok"
