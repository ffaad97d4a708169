"""Progress records store (issue 7): API writes, roles, bad input, CSV, audit, append-only."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3

import pandas as pd
import pytest
from _progress_helpers import EDITOR, EDITOR_PW, VIEWER, VIEWER_PW, make_project, state

from geo.errors import InputError
from siting.progress import (
    NotAuthorisedError,
    UserStore,
    add_record,
    add_records,
    export_records,
    import_csv,
    read_audit,
    read_records,
)
from siting.progress.arithmetic import today_in_xiangyang
from siting.progress.users import hash_password, verify_password


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj")


def test_editor_adds_records_through_the_api(project):
    add_record(project, "ind-non-fossil-share", "2024-12-31", 18.2, user=EDITOR, note="年报")
    add_record(project, "ind-non-fossil-share", dt.date(2025, 6, 30), 19.6, user=EDITOR)
    records = read_records(project)
    assert list(records["value"]) == [18.2, 19.6]
    assert set(records["author"]) == {EDITOR}
    assert list(records["note"]) == ["年报", ""]
    assert list(records["unit"]) == ["%", "%"]
    assert records["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-12-31", "2025-06-30"]
    # the table is a real layer of the project: the Project API reads it too
    assert project.has("progress_records")
    via_layer = project.read("progress_records")
    assert sorted(via_layer["id"]) == sorted(records["id"])


def test_audit_trail_records_who_when_old_and_new(project):
    add_record(project, "ind-waste-sorting-rural", "2024-12-31", 40.0, user=EDITOR)
    add_record(project, "ind-waste-sorting-rural", "2025-12-31", 55.0, user=EDITOR)
    audit = read_audit(project)
    assert len(audit) == 2
    assert audit["user"].tolist() == [EDITOR, EDITOR]
    assert pd.isna(audit["old_value"].iloc[0]) and audit["new_value"].iloc[0] == 40.0
    assert audit["old_value"].iloc[1] == 40.0 and audit["new_value"].iloc[1] == 55.0
    times = pd.to_datetime(audit["time_utc"])
    assert (times <= pd.Timestamp.now(tz="UTC")).all()
    assert audit["record_id"].tolist() == read_records(project)["id"].tolist()


def test_store_is_append_only(project):
    add_record(project, "ind-green-factories-new", "2025-03-31", 3, user=EDITOR)
    with contextlib.closing(sqlite3.connect(project.gpkg_path)) as con:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("UPDATE progress_audit SET new_value = 99")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("DELETE FROM progress_records")
    assert read_records(project)["value"].tolist() == [3.0]


def test_units_are_converted_to_the_targets_unit(project):
    add_records(
        project,
        [
            {"target_id": "base-xiangzhou-newenergy", "date": "2025-06-30", "value": 0.35, "unit": "GW"},
            {"target_id": "base-zedong-pg", "date": "2025-06-30", "value": 12, "unit": "万吨/年"},
        ],
        user=EDITOR,
    )
    records = read_records(project).set_index("target_id")
    assert records.loc["base-xiangzhou-newenergy", "value"] == pytest.approx(350.0)
    assert records.loc["base-xiangzhou-newenergy", "unit"] == "MW"
    assert records.loc["base-zedong-pg", "value"] == pytest.approx(120000.0)
    assert records.loc["base-zedong-pg", "unit"] == "t/yr"


@pytest.mark.parametrize("user", [VIEWER, "stranger", None, ""])
def test_non_editors_are_refused_and_nothing_is_written(project, user):
    add_record(project, "ind-non-fossil-share", "2024-12-31", 18.2, user=EDITOR)
    before = state(project)
    with pytest.raises(NotAuthorisedError) as info:
        add_record(project, "ind-non-fossil-share", "2025-06-30", 30.0, user=user)
    assert isinstance(info.value, PermissionError)
    assert state(project) == before
    assert len(read_records(project)) == 1


def test_no_users_file_means_no_editor(tmp_path):
    project = make_project(tmp_path / "p")
    (project.path / "users.json").unlink()
    with pytest.raises(NotAuthorisedError, match="not in the users file"):
        add_record(project, "ind-non-fossil-share", "2024-12-31", 18.2, user=EDITOR)


def test_passwords_are_salted_hashes(project):
    text = (project.path / "users.json").read_text(encoding="utf-8")
    assert EDITOR_PW not in text and VIEWER_PW not in text
    users = UserStore.for_project(project)
    assert users.verify(EDITOR, EDITOR_PW)
    assert not users.verify(EDITOR, VIEWER_PW)
    assert not users.verify("nobody", EDITOR_PW)
    assert users.role(EDITOR) == "editor" and users.role(VIEWER) == "viewer"
    a, b = hash_password("same"), hash_password("same")
    assert a != b and verify_password("same", a) and verify_password("same", b)


BAD = [
    ({"date": "2025-02-30"}, "date.*not a valid date"),
    ({"date": "30/06/2025"}, "date.*not a valid date"),
    ({"date": "1999-12-31"}, "date.*before 2000"),
    ({"value": -1.0}, "value.*negative"),
    ({"value": "abc"}, "value.*not a number"),
    ({"value": None}, "value.*not a number"),
    ({"target_id": "base-does-not-exist"}, "unknown base or indicator"),
    ({"target_id": ""}, "target_id.*empty"),
    ({"unit": "MW"}, "'MW' does not convert"),
    ({"author": "someone-else"}, "author.*other than the signed-in user"),
]


@pytest.mark.parametrize(("change", "message"), BAD)
def test_bad_input_raises_inputerror_and_writes_nothing(project, change, message):
    add_record(project, "ind-non-fossil-share", "2024-12-31", 18.2, user=EDITOR)
    before = state(project)
    good = {"target_id": "ind-non-fossil-share", "date": "2025-06-30", "value": 19.0}
    with pytest.raises(InputError, match=message):
        add_records(project, [good, {**good, **change}], user=EDITOR)
    assert state(project) == before
    assert len(read_records(project)) == 1 and len(read_audit(project)) == 1


def test_future_date_is_refused(project):
    tomorrow = today_in_xiangyang() + dt.timedelta(days=1)
    with pytest.raises(InputError, match="in the future"):
        add_record(project, "ind-non-fossil-share", tomorrow.isoformat(), 20.0, user=EDITOR)
    assert read_records(project).empty


def test_duplicate_record_ids_are_refused(project):
    add_records(
        project, [{"target_id": "ind-green-parks-new", "date": "2025-01-01", "value": 1, "id": "r-1"}], user=EDITOR
    )
    with pytest.raises(InputError, match="already in the store"):
        add_records(
            project, [{"target_id": "ind-green-parks-new", "date": "2025-02-01", "value": 2, "id": "r-1"}], user=EDITOR
        )
    assert read_records(project)["value"].tolist() == [1.0]


def test_csv_import_export_round_trip(project, tmp_path):
    src = tmp_path / "records.csv"
    src.write_text(
        "target_id,date,value,unit,note\n"
        "ind-phosphogypsum-utilisation,2024-12-31,48.5,%,市生态环境局年报\n"
        "base-xiangzhou-newenergy,2025-09-30,0.52,GW,\n",
        encoding="utf-8-sig",
    )
    written = import_csv(project, src, user=EDITOR)
    assert len(written) == 2
    out = export_records(project, tmp_path / "out.csv")
    back = pd.read_csv(out, encoding="utf-8-sig", dtype={"value": float})
    assert back["target_id"].tolist() == ["ind-phosphogypsum-utilisation", "base-xiangzhou-newenergy"]
    assert back["value"].tolist() == [48.5, 520.0]
    assert back["note"].fillna("").tolist() == ["市生态环境局年报", ""]
    assert read_audit(project)["action"].unique().tolist() == ["import"]
    # importing the export again is refused: its ids are already stored
    before = state(project)
    with pytest.raises(InputError, match="already in the store"):
        import_csv(project, out, user=EDITOR)
    assert state(project) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("target,when,value\nind-non-fossil-share,2024-12-31,1\n", "missing column.*target_id"),
        ("target_id,date,value,colour\nind-non-fossil-share,2024-12-31,1,red\n", "unknown column.*colour"),
        ("target_id,date,value\n", "no records"),
        (
            "target_id,date,value\nind-non-fossil-share,2024-12-31,1\nind-non-fossil-share,2025-13-01,2\n",
            "(?s)rows are line numbers.*column date, row 3:",
        ),
    ],
)
def test_csv_with_wrong_columns_or_rows_writes_nothing(project, tmp_path, text, message):
    add_record(project, "ind-non-fossil-share", "2024-12-31", 18.2, user=EDITOR)
    before = state(project)
    bad = tmp_path / "bad.csv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        import_csv(project, bad, user=EDITOR)
    assert state(project) == before


def test_missing_csv_is_an_inputerror(project, tmp_path):
    with pytest.raises(InputError, match="no such file"):
        import_csv(project, tmp_path / "nope.csv", user=EDITOR)


def test_records_and_audit_survive_rewriting_other_layers(project):
    add_record(project, "ind-non-fossil-share", "2024-12-31", 18.2, user=EDITOR)
    bases = project.read("bases")
    bases["status"] = "operating"
    project.write("bases", bases)  # copies and replaces the whole GeoPackage
    assert read_records(project)["value"].tolist() == [18.2]
    assert len(read_audit(project)) == 1
    with contextlib.closing(sqlite3.connect(project.gpkg_path)) as con:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("DELETE FROM progress_records")
    add_record(project, "base-xiangzhou-newenergy", "2025-01-31", 10.0, user=EDITOR)
    assert len(read_records(project)) == 2


def test_guest_is_never_an_editor_even_if_the_file_says_so(project):
    import json

    path = project.path / "users.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["users"]["guest"] = {"role": "editor", "password": data["users"][EDITOR]["password"]}
    path.write_text(json.dumps(data), encoding="utf-8")
    users = UserStore.for_project(project)
    assert users.role("guest") is None and not users.verify("guest", EDITOR_PW)
    with pytest.raises(NotAuthorisedError):
        add_record(project, "ind-non-fossil-share", "2024-12-31", 18.2, user="guest")
    with pytest.raises(InputError, match="guest"):
        users.set_user("guest", "pw", "editor")
