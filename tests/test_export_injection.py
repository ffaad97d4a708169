"""Formula injection and server paths in every export (issue 14, item 4).

A project whose text attributes hold spreadsheet formulas (``=HYPERLINK(...)`` and the other
OWASP trigger characters) is exported through every path a user has: ``xysiting export``, the
``--out`` files of ``solar``/``route``/``site``/``wind``, ``progress --export``, and each
download button of the dashboard.  Every XLSX must hold those cells as strings (never formula
cells), every CSV cell must start with ``'`` instead of a trigger, numbers stay numbers, and
no file names the server's folders.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dashboard_project import build_project

from dashboard.cli import main
from layers.export import FORMULA_TRIGGERS, export_frame, neutralise_formulas, public_text
from siting.progress import UserStore, add_records

PAYLOAD = '=HYPERLINK("http://x","y")'
#: one payload per trigger character; the first is the one the audit used
PAYLOADS = [PAYLOAD, "+1+cmd|' /C calc'!A0", "-2+3", '@SUM(1+1)*cmd|"/C calc"!A0', "\t=1+1", "\r=1+1"]
EDITOR, EDITOR_PW = "wang", "editor-pw-1"


# -- the one function -------------------------------------------------------------------
def test_neutralise_prefixes_text_and_keeps_numbers():
    frame = pd.DataFrame(
        {
            "text": [*PAYLOADS, "ok", "-12.5", None],
            "number": np.arange(9, dtype=float) - 4.5,
            "mixed": [-1, "=1", 2.5, "x", None, "@a", 3, "-", "+"],
        }
    )
    safe = neutralise_formulas(frame)
    assert safe["text"].tolist()[:6] == ["'" + p for p in PAYLOADS]
    assert safe["text"].tolist()[6:8] == ["ok", "-12.5"]  # a number written as text is not a formula
    assert safe["number"].tolist() == frame["number"].tolist() and safe["number"].dtype == float
    assert safe["mixed"].tolist()[:4] == [-1, "'=1", 2.5, "x"]
    assert safe["mixed"].tolist()[5:] == ["'@a", 3, "'-", "'+"]
    assert frame["text"].iloc[0] == PAYLOAD  # the input is not changed
    headers = neutralise_formulas(pd.DataFrame({"=cmd()": [1]})).columns.tolist()
    assert headers == ["'=cmd()"]


def test_public_text_cuts_absolute_paths_only():
    assert public_text("/srv/atlas/projects/xy/weather.epw") == "weather.epw"
    assert public_text("weather from /tmp/a/b.epw (GHI 1268)") == "weather from b.epw (GHI 1268)"
    assert public_text(Path("/home/wang/data/roofs.parquet")) == "roofs.parquet"
    assert public_text(r"C:\Users\wang\roofs.csv") == "roofs.csv"
    for keep in ("kWh/m²/yr", "t/yr", "https://example.org/a/b", "a / b", "3 x 5", "-1601570.0"):
        assert public_text(keep) == keep


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_frame_keeps_negative_numbers_numeric(tmp_path, fmt):
    frame = pd.DataFrame({"name": [PAYLOAD, "-5 °C"], "delta_cny": [-1601570.0, 12.0], "n": [-3, 4]})
    path = export_frame(frame, tmp_path / f"t.{fmt}", assumptions={"weather": tmp_path / "x" / "w.epw"})
    if fmt == "xlsx":
        ws = openpyxl.load_workbook(path)["export"]
        assert (ws["A2"].value, ws["A2"].data_type) == (PAYLOAD, "s")
        assert (ws["B2"].value, ws["B2"].data_type) == (-1601570.0, "n")
        assert (ws["C2"].value, ws["C2"].data_type) == (-3, "n")
        assert ws["A3"].value == "-5 °C" and ws["A3"].data_type == "s"
    else:
        back = pd.read_csv(path, encoding="utf-8-sig")
        assert back["name"].tolist() == ["'" + PAYLOAD, "'-5 °C"]
        assert back["delta_cny"].tolist() == [-1601570.0, 12.0] and back["n"].tolist() == [-3, 4]
    assert str(tmp_path) not in _all_text(path)


# -- checks shared by every path ----------------------------------------------------------
def _all_text(path: Path) -> str:
    """Every byte of an export as text (XLSX: every XML part; CSV: with its assumptions file)."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as zf:
            return "\n".join(zf.read(n).decode("utf-8") for n in zf.namelist())
    side = path.with_suffix(".assumptions.csv")
    return path.read_text(encoding="utf-8-sig") + (side.read_text(encoding="utf-8-sig") if side.exists() else "")


def assert_safe_xlsx(data: bytes | Path, *, expect_payload: bool = True, server_dirs=()) -> None:
    book = openpyxl.load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data)
    seen, numbers = [], 0
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS):
                    assert cell.data_type == "s"
                    seen.append(cell.value)
                numbers += cell.data_type == "n" and isinstance(cell.value, int | float)
    assert numbers > 0, "no numeric cells: numbers must stay numbers"
    if expect_payload:
        assert PAYLOAD in seen, "the payload did not reach this export; the test proves nothing"
    if isinstance(data, Path):
        data = data.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = "\n".join(zf.read(n).decode("utf-8") for n in zf.namelist())
    assert "<f>" not in xml
    for folder in server_dirs:
        assert str(folder) not in xml, f"server folder {folder} in the export"


def assert_safe_csv(data: bytes | Path, *, expect_payload: bool = True, server_dirs=()) -> None:
    text = (data.read_bytes() if isinstance(data, Path) else data).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    cells = [c for row in rows for c in row]
    bad = [c for c in cells if c.startswith(FORMULA_TRIGGERS) and not re.fullmatch(r"[+-]?[\d.]+(e[+-]?\d+)?", c)]
    assert not bad, f"cells a spreadsheet would evaluate: {bad[:3]}"
    assert not [c for c in cells if re.fullmatch(r"'[+-]?\d+(\.\d+)?", c)], "a number was turned into text"
    if expect_payload:
        assert "'" + PAYLOAD in cells, "the payload did not reach this export; the test proves nothing"
    for folder in server_dirs:
        assert str(folder) not in text, f"server folder {folder} in the export"


def assert_safe(path: Path, **kw) -> None:
    (assert_safe_xlsx if path.suffix == ".xlsx" else assert_safe_csv)(path, **kw)
    side = path.with_suffix(".assumptions.csv")
    if path.suffix == ".csv" and side.exists():
        assert_safe_csv(side, **(kw | {"expect_payload": False}))


# -- a project full of formulas -----------------------------------------------------------
@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("inject")
    project = build_project(root / "project", n_rooftops=40)
    layers = {}
    for kind in ("rooftops", "waste_sources", "facilities", "industrial_parks", "counties"):
        frame = project.read(kind)
        frame["name"] = [PAYLOADS[i % len(PAYLOADS)] for i in range(len(frame))]
        layers[kind] = frame
    project.write_many(layers)
    wind = root / "wind.tif"  # the wind raster's source tag reaches the wind sites table
    shutil.copyfile(project.raster_path("wind_resource"), wind)
    project.write_raster("wind_resource", wind, height_m=100, units="m/s", source=PAYLOAD)
    UserStore.for_project(project).set_user(EDITOR, EDITOR_PW, "editor")
    add_records(
        project,
        [
            {"target_id": "ind-non-fossil-share", "date": "2024-12-31", "value": 18.9, "note": PAYLOAD},
            {"target_id": "ind-non-fossil-share", "date": "2025-03-31", "value": 19.2, "note": "-fix @ 3"},
        ],
        user=EDITOR,
    )
    return project


def _dirs(project, tmp_path):
    return (project.path, project.path.parent, tmp_path)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("layer", ["rooftops", "waste_sources", "progress_records"])
def test_cli_export(project, tmp_path, fmt, layer):
    out = tmp_path / f"{layer}.{fmt}"
    assert main(["export", str(project.path), "--layer", layer, "--out", str(out)]) == 0
    assert_safe(out, server_dirs=_dirs(project, tmp_path))


def test_cli_solar_out_and_rollup(project, tmp_path):
    out, rollup = tmp_path / "shortlist.xlsx", tmp_path / "rollup.csv"
    assert main(["solar", str(project.path), "--out", str(out), "--rollup", str(rollup)]) == 0
    assert_safe(out, server_dirs=_dirs(project, tmp_path))
    assert_safe(rollup, expect_payload=False, server_dirs=_dirs(project, tmp_path))
    csv_out = tmp_path / "shortlist.csv"
    assert main(["solar", str(project.path), "--out", str(csv_out)]) == 0
    assert_safe(csv_out, server_dirs=_dirs(project, tmp_path))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cli_route_out(project, tmp_path, fmt):
    out = tmp_path / f"flows.{fmt}"
    assert main(["route", str(project.path), "--waste", "phosphogypsum", "--out", str(out)]) == 0
    assert_safe(out, server_dirs=_dirs(project, tmp_path))


def test_cli_site_out_and_flows(project, tmp_path):
    out, flows = tmp_path / "candidates.xlsx", tmp_path / "flows.csv"
    args = ["site", str(project.path), "--waste", "phosphogypsum", "-k", "1", "--out", str(out)]
    assert main([*args, "--flows-out", str(flows)]) == 0
    assert_safe(out, server_dirs=_dirs(project, tmp_path))
    assert_safe(flows, server_dirs=_dirs(project, tmp_path))


def test_cli_wind_out(project, tmp_path):
    out, turbines = tmp_path / "sites.xlsx", tmp_path / "sites.csv"
    assert main(["wind", str(project.path), "--out", str(out)]) == 0
    assert_safe(out, server_dirs=_dirs(project, tmp_path))
    assert main(["wind", str(project.path), "--out", str(turbines)]) == 0
    assert_safe(turbines, server_dirs=_dirs(project, tmp_path))


def test_cli_progress_export(project, tmp_path):
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"records.{fmt}"
        assert main(["progress", str(project.path), "--export", str(out)]) == 0
        assert_safe(out, server_dirs=_dirs(project, tmp_path))


# -- every download button of the dashboard -----------------------------------------------
def _buttons(component) -> list:
    """Every FileDownload a tab holds (attributes, inside dicts and lists, and in its Downloads)."""
    import panel as pn

    from dashboard._downloads import Downloads

    component = getattr(component, "component", None) or component  # the mounted progress tab
    found = []
    for value in vars(component).values():
        items = value.values() if isinstance(value, dict) else value if isinstance(value, list | tuple) else [value]
        for item in items:
            found += list(item.buttons.values()) if isinstance(item, Downloads) else [item]
    found = [item for item in found if isinstance(item, pn.widgets.FileDownload)]
    return list({id(b): b for b in found}.values())


def assert_safe_csv_zip(data: bytes, **kw) -> None:
    """A CSV download (a zip of the CSV and its assumptions CSV): both members are safe."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        assert len(names) == 2 and all(n.endswith(".csv") for n in names), names
        data_csv, assumptions_csv = sorted(names, key=len)
        assert_safe_csv(zf.read(data_csv), **kw)
        assert_safe_csv(zf.read(assumptions_csv), **(kw | {"expect_payload": False}))


def test_every_dashboard_download(project, tmp_path):
    import panel as pn

    from dashboard.app import create_app

    app = create_app(project.path).app
    waste = app.tabs_components["waste"]
    assert waste.wait(600)  # computed in the worker process
    waste.k = 1  # the what-if adds a chosen site: its candidates table is downloadable too
    assert waste.wait(600)
    assert app.tabs_components["wind"].wait(600)  # the wind result is computed in the worker process too
    checked = 0
    for name, component in app.tabs_components.items():
        for button in _buttons(component):
            assert isinstance(button, pn.widgets.FileDownload)
            data = button.callback().getvalue()
            assert data, f"{name}: {button.filename} is empty"
            fmt = Path(button.filename).suffix
            if fmt == ".xlsx":
                assert_safe_xlsx(data, server_dirs=_dirs(project, tmp_path))
            elif button.filename.endswith(".csv.zip"):
                assert_safe_csv_zip(data, server_dirs=_dirs(project, tmp_path))
            elif fmt == ".csv":
                assert_safe_csv(data, server_dirs=_dirs(project, tmp_path))
            else:  # GeoJSON: data, not a spreadsheet; still no server folders
                assert str(project.path) not in data.decode("utf-8")
            checked += 1
    assert {"solar", "waste", "wind", "progress"} <= set(app.tabs_components)
    assert checked >= 8, f"only {checked} download buttons found"


def test_exported_records_reimport_with_their_text(project, tmp_path):
    from siting.progress import import_csv, read_records

    out = tmp_path / "records.csv"
    assert main(["progress", str(project.path), "--export", str(out)]) == 0
    exported = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert exported["note"].tolist() == ["'" + PAYLOAD, "'-fix @ 3"]
    exported.drop(columns=["id", "author"]).to_csv(out, index=False, encoding="utf-8-sig")
    copy = tmp_path / "copy"
    shutil.copytree(project.path, copy)
    from layers.project import Project

    again = import_csv(Project.open(copy), out, user=EDITOR)
    assert again["note"].tolist() == [PAYLOAD, "-fix @ 3"]
    assert read_records(Project.open(copy))["note"].tolist()[-2:] == [PAYLOAD, "-fix @ 3"]
