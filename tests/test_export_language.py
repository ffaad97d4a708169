"""Exports a county office can hand on (issue 13, item 5).

Headers in the UI language with units, county and park names instead of codes, rounded
values, no empty columns, and the assumptions in every format: an XLSX sheet, GeoJSON
foreign members, and for CSV a zip holding the CSV and its assumptions CSV.  The rows of a
dashboard download are the rows of the tab's filtered table.  The command line keeps machine
headers unless ``--headers zh|en`` is given.
"""

from __future__ import annotations

import csv
import io
import json
import re
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
from layers.export import Presentation, export_frame, present_table

CJK = re.compile(r"[\u4e00-\u9fff]")


# -- layers.export: the presentation itself ----------------------------------------------------
def test_present_table_labels_rounds_and_drops_empty_columns():
    frame = pd.DataFrame(
        {
            "county": pd.Categorical(["420607", "420602", "999999"]),
            "accepts": ["phosphogypsum,construction", "construction", 'a,=HYPERLINK("x","y")'],
            "name": ["", None, ""],  # empty: dropped
            "kwp": [12.345, -3.26, np.nan],
            "kwh_per_year": [13456.6, 99.4, np.nan],
            "utilisation": [0.4, 1.0, 0.12345],
            "lcoe_cny_per_kwh": [0.25741, 0.3, 0.31],
            "cost_cny": [-1601569.848, 2.005, 0.0],
            "other": [1, 2, 3],  # no header: left out
        }
    )
    p = Presentation(
        headers={
            "county": "县区",
            "name": "名称",
            "accepts": "接收固废",
            "kwp": "装机容量 (kWp)",
            "kwh_per_year": "年发电量 (kWh/年)",
            "utilisation": "利用率 (%)",
            "lcoe_cny_per_kwh": "平准化度电成本 (元/kWh)",
            "cost_cny": "总费用 (元/年)",
        },
        values={
            "county": {"420607": "襄州区", "420602": "襄城区"},
            "accepts": {"phosphogypsum": "磷石膏", "construction": "建筑垃圾"},
        },
        kinds={
            "kwp": "kw",
            "kwh_per_year": "kwh",
            "utilisation": "share",
            "lcoe_cny_per_kwh": "price",
            "cost_cny": "money",
        },
    )
    out = present_table(frame, p)
    assert list(out.columns) == [
        "县区",
        "接收固废",
        "装机容量 (kWp)",
        "年发电量 (kWh/年)",
        "利用率 (%)",
        "平准化度电成本 (元/kWh)",
        "总费用 (元/年)",
    ]
    assert out["县区"].tolist() == ["襄州区", "襄城区", "999999"]  # an unknown code is kept, not lost
    assert out["接收固废"].tolist() == ["磷石膏, 建筑垃圾", "建筑垃圾", 'a,=HYPERLINK("x","y")']  # text kept as is
    assert out["装机容量 (kWp)"].tolist()[:2] == [12.3, -3.3] and np.isnan(out["装机容量 (kWp)"].iloc[2])
    assert str(out["年发电量 (kWh/年)"].dtype) == "Int64" and out["年发电量 (kWh/年)"].tolist()[:2] == [13457, 99]
    assert out["利用率 (%)"].tolist() == [40.0, 100.0, 12.3]
    assert out["平准化度电成本 (元/kWh)"].tolist() == [0.257, 0.3, 0.31]
    assert out["总费用 (元/年)"].tolist() == [-1601569.85, 2.0, 0.0]  # negative money stays a number
    assert len(out) == len(frame)


@pytest.mark.parametrize("fmt", ["csv.zip", "xlsx"])
def test_presented_exports_keep_formula_neutralisation(tmp_path, fmt):
    frame = pd.DataFrame({"name": ['=HYPERLINK("http://x","y")', "ok"], "cost_cny": [-12.5, 3.0]})
    p = Presentation(headers={"name": "名称", "cost_cny": "总费用 (元/年)"}, kinds={"cost_cny": "money"})
    path = export_frame(frame, tmp_path / f"t.{fmt}", assumptions={"note": "=1+1", "capex": 3.2}, presentation=p)
    if fmt == "xlsx":
        book = openpyxl.load_workbook(path)
        ws = book["export"]
        assert (ws["A2"].value, ws["A2"].data_type) == (frame["name"][0], "s")
        assert (ws["B2"].value, ws["B2"].data_type) == (-12.5, "n")
        assert all(c.data_type != "f" for sheet in book for row in sheet.iter_rows() for c in row)
    else:
        with zipfile.ZipFile(path) as zf:
            table = zf.read("t.csv").decode("utf-8-sig")
            side = zf.read("t.assumptions.csv").decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(table, newline="")))
        assert rows[1][0] == "'" + frame["name"][0] and rows[1][1] == "-12.5"
        assert "'=1+1" in side


# -- the dashboard's downloads -----------------------------------------------------------------
@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from dashboard.app import create_app, store_missing_results

    project = build_project(tmp_path_factory.mktemp("export_lang") / "project", n_rooftops=200)
    store_missing_results(project)
    app = create_app(project.path).app
    app.load()
    return app


@pytest.fixture
def solar(app):
    solar = app.tabs_components["solar"]
    solar.lang = "zh"
    solar.county = "420607"
    solar.min_kwp = 20.0
    assert 0 < len(solar.filtered) < len(solar.table_frame)
    yield solar
    solar.county = ""
    solar.min_kwp = 0.0
    solar.lang = "zh"


def _download(solar, fmt: str) -> bytes:
    return solar.downloads.buttons[fmt].callback().getvalue()


def _assumptions(sheet: pd.DataFrame, key_header: str, value_header: str) -> dict:
    return dict(zip(sheet[key_header], sheet[value_header], strict=True))


def test_pv_shortlist_xlsx_in_chinese(solar):
    from siting.solar import PVAssumptions

    data = _download(solar, "xlsx")
    assert solar.downloads.buttons["xlsx"].filename == "襄阳屋顶光伏候选_襄州区_最小20kWp.xlsx"
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, engine="openpyxl", dtype={"编号": str})
    assert list(sheets) == ["屋顶光伏候选", "假设"]
    table = sheets["屋顶光伏候选"]
    for header in ("装机容量 (kWp)", "年发电量 (kWh/年)", "年减排 (tCO₂/年)", "平准化度电成本 (元/kWh)", "县区"):
        assert header in table.columns
    assert not [c for c in table.columns if re.fullmatch(r"[a-z0-9_]+", c)], "a machine header is left"
    # rows: the tab's filtered table, in its order; county names instead of adcodes
    assert len(table) == len(solar.filtered)
    assert table["编号"].tolist() == solar.filtered["id"].astype(str).tolist()
    assert set(table["县区"]) == {"襄州区"}
    assert (table["装机容量 (kWp)"] >= 20.0).all()
    # rounded by kind: kWp one decimal, kWh integers
    assert np.allclose(table["装机容量 (kWp)"], table["装机容量 (kWp)"].round(1))
    assert (table["年发电量 (kWh/年)"] == table["年发电量 (kWh/年)"].round(0)).all()
    assert not table.isna().all().any(), "an empty column was exported"
    # the assumptions behind payback and tCO2
    a = PVAssumptions()
    values = _assumptions(sheets["假设"], "参数名", "取值")
    labels = _assumptions(sheets["假设"], "参数名", "假设")
    assert values["capex_cny_per_w"] == a.capex_cny_per_w and labels["capex_cny_per_w"] == "初始投资 (元/W)"
    assert values["retail_tariff_cny_per_kwh"] == a.retail_tariff_cny_per_kwh
    assert values["export_tariff_cny_per_kwh"] == a.export_tariff_cny_per_kwh
    assert values["self_consumption_share"] == a.self_consumption_share
    assert values["grid_factor_kg_per_kwh"] == a.grid_factor_kg_per_kwh
    assert values["weather_source"] == "合成数据" and "57278" in values["weather"]
    assert values["method_version"] >= 1 and values["filter_county"] == "襄州区" and values["rows"] == len(table)
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book["屋顶光伏候选"]
    kwp_col = [c.value for c in ws[1]].index("装机容量 (kWp)") + 1
    assert {ws.cell(row=r, column=kwp_col).data_type for r in range(2, ws.max_row + 1)} == {"n"}  # numbers stay numbers
    assert all(cell.data_type != "f" for ws in book for row in ws.iter_rows() for cell in row)


def test_pv_shortlist_in_english_and_file_names_follow(solar):
    solar.lang = "en"
    data = _download(solar, "xlsx")
    assert solar.downloads.buttons["xlsx"].filename == "xiangyang-rooftop-pv-shortlist-xiangzhou-min-20kwp.xlsx"
    assert solar.downloads.buttons["csv.zip"].label == "Download CSV (zip, with assumptions)"
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, engine="openpyxl")
    assert list(sheets) == ["PV shortlist", "Assumptions"]
    table = sheets["PV shortlist"]
    assert {"Capacity (kWp)", "Yield (kWh/yr)", "County", "Use class"} <= set(table.columns)
    assert set(table["County"]) == {"Xiangzhou"}
    assert not any(CJK.search(str(v)) for v in table["Use class"])
    assert len(table) == len(solar.filtered)
    values = _assumptions(sheets["Assumptions"], "Parameter", "Value")
    assert values["weather_source"] == "Synthetic" and values["filter_county"] == "Xiangzhou"


def test_pv_shortlist_geojson_carries_the_assumptions(solar):
    geo = json.loads(_download(solar, "geojson"))
    assert len(geo["features"]) == len(solar.filtered)
    assumptions = geo["xysiting:assumptions"]
    for key in ("capex_cny_per_w", "retail_tariff_cny_per_kwh", "export_tariff_cny_per_kwh"):
        assert isinstance(assumptions[key], float)
    assert assumptions["self_consumption_share"] == 0.7 and assumptions["grid_factor_kg_per_kwh"] == 0.5395
    assert assumptions["weather_source"] == "synthetic"
    assert geo["xysiting:assumption_labels"]["grid_factor_kg_per_kwh"] == "电网排放因子 (kgCO₂/kWh)"
    assert geo["xysiting:columns"]["装机容量 (kWp)"] == "kwp"
    props = geo["features"][0]["properties"]
    assert props["县区"] == "襄州区" and isinstance(props["装机容量 (kWp)"], float)
    ids = [f["properties"]["编号"] for f in geo["features"]]
    assert ids == solar.filtered["id"].astype(str).tolist()


def test_pv_shortlist_csv_is_a_zip_with_its_assumptions(solar):
    data = _download(solar, "csv.zip")
    name = solar.downloads.buttons["csv.zip"].filename
    assert name == "襄阳屋顶光伏候选_襄州区_最小20kWp.csv.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == ["襄阳屋顶光伏候选_襄州区_最小20kWp.csv", "襄阳屋顶光伏候选_襄州区_最小20kWp_假设.csv"]
        table_bytes = zf.read(zf.namelist()[0])
        side_bytes = zf.read(zf.namelist()[1])
    assert table_bytes.startswith(b"\xef\xbb\xbf") and b"\r\n" in table_bytes
    table = pd.read_csv(io.BytesIO(table_bytes), encoding="utf-8-sig", dtype={"编号": str})
    assert len(table) == len(solar.filtered) and set(table["县区"]) == {"襄州区"}
    assert "装机容量 (kWp)" in table.columns and "年发电量 (kWh/年)" in table.columns
    side = pd.read_csv(io.BytesIO(side_bytes), encoding="utf-8-sig")
    assert list(side.columns) == ["假设", "取值", "参数名"]
    keys = set(side["参数名"])
    assert {"capex_cny_per_w", "retail_tariff_cny_per_kwh", "self_consumption_share", "grid_factor_kg_per_kwh"} <= keys
    assert {"weather_source", "method_version"} <= keys


def test_waste_and_wind_downloads_use_names_and_labels(app):
    waste = app.tabs_components["waste"]
    wind = app.tabs_components["wind"]
    assert waste.wait(600) and wind.wait(600)
    flows, facilities = waste.downloads
    data = facilities.buttons["xlsx"].callback().getvalue()
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, engine="openpyxl")
    use = sheets["设施利用"]
    assert {"设施类型", "状态", "利用率 (%)", "在本方案中的作用"} <= set(use.columns)
    assert not any(
        re.fullmatch(r"[a-z_]+", str(v)) for col in ("设施类型", "状态", "在本方案中的作用") for v in use[col]
    )
    assert len(use) == len(waste.routing.facility_use)
    values = _assumptions(sheets["假设"], "参数名", "取值")
    assert values["cny_per_tkm"] > 0 and values["co2_kg_per_tkm"] > 0 and values["waste_kind"] == "磷石膏"
    with zipfile.ZipFile(io.BytesIO(flows.buttons["csv.zip"].callback().getvalue())) as zf:
        assert flows.buttons["csv.zip"].filename == "襄阳固废调运流向_磷石膏.csv.zip"
        table = pd.read_csv(io.BytesIO(zf.read(zf.namelist()[0])), encoding="utf-8-sig")
    shown = waste.flow_table.value  # the tab's flows table, in its order
    assert table["来源"].tolist() == shown["source_name"].tolist()
    assert table["设施"].tolist() == shown["facility_name"].tolist()
    assert table["调运量 (吨/年)"].tolist() == shown["t_per_year"].round().astype(int).tolist()
    geo = json.loads(flows.buttons["geojson"].callback().getvalue())
    assert geo["xysiting:assumptions"]["cny_per_tkm"] == values["cny_per_tkm"]
    assert len(geo["features"]) == len(waste.routing.flows)
    book = pd.read_excel(
        io.BytesIO(wind.workbook.buttons["xlsx"].callback().getvalue()), sheet_name=None, engine="openpyxl"
    )
    assert list(book)[:2] == ["供给曲线", "风电场址"] and "假设" in book
    assert "平准化度电成本 (元/kWh)" in book["供给曲线"].columns
    assert set(book["风电场址"]["县区"]) <= {"襄城区", "樊城区", "襄州区"}
    wind_values = _assumptions(book["假设"], "参数名", "取值")
    assert wind_values["capex_cny_per_kw"] > 0 and wind_values["hub_height_m"] == wind.hub_height_m


# -- the command line ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def project(app):
    return app.project


def test_cli_keeps_machine_headers_unless_asked(project, tmp_path):
    machine, zh = tmp_path / "machine.xlsx", tmp_path / "zh.xlsx"
    args = ["solar", str(project.path), "--county", "420607"]
    assert main([*args, "--out", str(machine)]) == 0
    assert main([*args, "--out", str(zh), "--headers", "zh"]) == 0
    raw = pd.read_excel(machine, sheet_name=None, engine="openpyxl")
    assert {"kwp", "kwh_per_year", "county"} <= set(raw["rooftop_pv"].columns)
    assert set(raw["rooftop_pv"]["county"].astype(str)) == {"420607"}
    assert list(raw["assumptions"].columns) == ["parameter", "value"]
    shown = pd.read_excel(zh, sheet_name=None, engine="openpyxl")
    table = shown["rooftop_pv"]
    assert {"装机容量 (kWp)", "年发电量 (kWh/年)", "县区"} <= set(table.columns)
    assert set(table["县区"]) == {"襄州区"} and len(table) == len(raw["rooftop_pv"])
    assert "capex_cny_per_w" in set(shown["假设"]["参数名"])
    rollup = tmp_path / "rollup.csv"
    assert main([*args, "--out", str(zh), "--headers", "zh", "--rollup", str(rollup)]) == 0
    table = pd.read_csv(rollup, encoding="utf-8-sig")
    assert list(table.columns)[:3] == ["县区", "屋顶数", "可用面积 (km²)"]  # one county column, in Chinese
    assert table["县区"].tolist()[-1] == "合计" and "襄州区" in set(table["县区"])


def test_cli_headers_en_for_route_and_csv_zip(project, tmp_path):
    out = tmp_path / "flows.csv.zip"
    assert main(["route", str(project.path), "--waste", "phosphogypsum", "--out", str(out), "--headers", "en"]) == 0
    with zipfile.ZipFile(out) as zf:
        assert zf.namelist() == ["flows.csv", "flows-assumptions.csv"]
        table = pd.read_csv(io.BytesIO(zf.read("flows.csv")), encoding="utf-8-sig")
    assert {"Facility kind", "Tonnage (t/yr)", "Distance (km)"} <= set(table.columns)
    assert not any(CJK.search(str(v)) for v in table["Facility kind"])


def test_cli_headers_refused_for_shapefile(project, tmp_path, capsys):
    args = ["export", str(project.path), "--layer", "rooftops", "--out", str(tmp_path / "r.zip"), "--headers", "zh"]
    assert main(args) == 2
    assert "Shapefile" in capsys.readouterr().err
    assert not (tmp_path / "r.zip").exists()
