"""The progress store only grows through its audited append path (issue 14, item 5).

``xysiting import --layer progress_records`` used to replace the whole store (7 records → 1
forged one) and drop its no-update/no-delete triggers; it is refused now.  A name given with
``--author`` on the command line is a claim and is recorded as ``cli:NAME`` unless the
password is checked.
"""

from __future__ import annotations

import contextlib
import io

import pytest
from _progress_helpers import EDITOR, EDITOR_PW, VIEWER, make_project, state

from dashboard.cli import main
from geo.errors import InputError
from layers.importer import import_layer
from siting.progress import _sqlite, add_records, read_audit, read_records

FORGED = "id,target_id,date,value,unit,author,note\nrec-forged,ind-non-fossil-share,2025-06-30,99,%,wang,forged\n"


@pytest.fixture
def project(tmp_path):
    project = make_project(tmp_path / "proj")
    add_records(
        project,
        [{"target_id": "ind-non-fossil-share", "date": f"2024-0{m}-28", "value": 17.0 + m} for m in range(1, 8)],
        user=EDITOR,
    )
    return project


def _triggers(project) -> int:
    with contextlib.closing(_sqlite.connect(project.gpkg_path)) as con:
        return con.execute(
            "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE 'progress_%_no_%'"
        ).fetchone()[0]


@pytest.mark.parametrize("suffix", [".csv", ".geojson"])
def test_import_layer_progress_records_is_refused(project, tmp_path, capsys, suffix):
    forged = tmp_path / f"forged{suffix}"
    forged.write_text(FORGED if suffix == ".csv" else '{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    before, records = state(project), read_records(project)
    assert _triggers(project) == 4
    assert main(["import", str(project.path), "--layer", "progress_records", str(forged)]) == 2
    err = capsys.readouterr().err
    assert "append-only" in err and "xysiting progress" in err and "--import" in err
    assert "Traceback" not in err
    assert state(project) == before
    assert read_records(project).equals(records) and len(records) == 7
    assert _triggers(project) == 4
    with pytest.raises(InputError, match="append-only"):  # the library call too, not only the CLI
        import_layer(project, "progress_records", forged)
    assert state(project) == before


def test_cli_author_is_recorded_as_a_claim(project, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("target_id,date,value,author\nind-non-fossil-share,2025-06-30,19.9,wang\n", encoding="utf-8")
    assert main(["progress", str(project.path), "--import", str(src), "--author", EDITOR]) == 0
    assert f"as cli:{EDITOR}" in capsys.readouterr().out
    records, audit = read_records(project), read_audit(project)
    assert records["author"].tolist() == [EDITOR] * 7 + [f"cli:{EDITOR}"]
    assert audit["user"].tolist()[-1] == f"cli:{EDITOR}"
    assert audit["action"].tolist()[-1] == "import"


def test_cli_author_with_checked_password_is_recorded_by_name(project, tmp_path, monkeypatch, capsys):
    src = tmp_path / "in.csv"
    src.write_text("target_id,date,value\nind-non-fossil-share,2025-06-30,19.9\n", encoding="utf-8")
    before = state(project)
    monkeypatch.setattr("sys.stdin", io.StringIO("wrong-password\n"))
    args = ["progress", str(project.path), "--import", str(src), "--author", EDITOR, "--password-stdin"]
    assert main(args) == 2
    assert "wrong password" in capsys.readouterr().err
    assert state(project) == before
    monkeypatch.setattr("sys.stdin", io.StringIO(EDITOR_PW + "\r\n"))
    assert main(args) == 0
    assert read_records(project)["author"].tolist()[-1] == EDITOR
    assert read_audit(project)["user"].tolist()[-1] == EDITOR


def test_claims_do_not_widen_who_may_write(project, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("target_id,date,value\nind-non-fossil-share,2025-06-30,19.9\n", encoding="utf-8")
    before = state(project)
    # a viewer's name is refused, claimed or not; an author column naming someone else too
    assert main(["progress", str(project.path), "--import", str(src), "--author", VIEWER]) == 2
    assert "viewer" in capsys.readouterr().err
    other = tmp_path / "other.csv"
    other.write_text("target_id,date,value,author\nind-non-fossil-share,2025-06-30,19.9,li\n", encoding="utf-8")
    assert main(["progress", str(project.path), "--import", str(other), "--author", EDITOR]) == 2
    assert "someone other" in capsys.readouterr().err
    assert state(project) == before
    with pytest.raises(ValueError, match="author"):
        add_records(
            project,
            [{"target_id": "ind-non-fossil-share", "date": "2025-06-30", "value": 1.0}],
            user=EDITOR,
            author="li",
        )
    assert state(project) == before
