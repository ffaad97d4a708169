"""Rooftop PV potential on synthetic rooftops: capacity, shading, filters, exports, dask, CLI."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely

from dashboard.cli import main
from geo.crs import XIANGYANG_UTM
from geo.errors import InputError
from layers.project import Project
from layers.schema import USE_CLASSES
from siting.solar import (
    MONTH_COLUMNS,
    PVAssumptions,
    county_rollup,
    default_weather,
    export_shortlist,
    resolve_county,
    rooftop_potential,
    shortlist,
    write_epw,
)
from siting.solar._yield import class_table

X0, Y0 = 640_000.0, 3_542_000.0  # metres, EPSG:32649, in 樊城区


def _frame(rows: list[dict]) -> gpd.GeoDataFrame:
    """Rectangular rooftops from dicts with x, y (m offsets), side or w × d (m) and columns."""
    geoms = [
        shapely.box(
            X0 + r["x"] - r.get("w", r["side"]) / 2,
            Y0 + r["y"] - r.get("d", r["side"]) / 2,
            X0 + r["x"] + r.get("w", r["side"]) / 2,
            Y0 + r["y"] + r.get("d", r["side"]) / 2,
        )
        for r in rows
    ]
    data = pd.DataFrame([{k: v for k, v in r.items() if k not in ("x", "y", "side", "w", "d")} for r in rows])
    data.insert(0, "id", [f"r{i}" for i in range(len(rows))])
    data["source"] = "synthetic"
    return gpd.GeoDataFrame(data, geometry=geoms, crs=XIANGYANG_UTM).to_crs("EPSG:4326")


def _row(x, y, side=20.0, **kw):
    base = {
        "x": x,
        "y": y,
        "side": side,
        "county": "420606",
        "use_class": "commercial",
        "height_m": 10.0,
        "roof_type": "flat",
        "roof_tilt_deg": 0.0,
        "roof_azimuth_deg": 180.0,
    }
    return {**base, **kw}


def _town(n_side: int = 12, seed: int = 3) -> gpd.GeoDataFrame:
    """A small town: a grid of varied buildings with some towers, in two counties."""
    rng = np.random.default_rng(seed)
    rows = []
    classes = list(USE_CLASSES)
    for i in range(n_side):
        for j in range(n_side):
            pitched = rng.uniform() < 0.4
            rows.append(
                _row(
                    i * 40.0,
                    j * 40.0,
                    side=float(rng.uniform(8, 30)),
                    county="420606" if i < n_side // 2 else "420602",
                    use_class=classes[rng.integers(len(classes))],
                    height_m=float(rng.choice([6, 9, 12, 18, 60])),
                    roof_type="pitched" if pitched else "flat",
                    roof_tilt_deg=float(rng.uniform(15, 40)) if pitched else 0.0,
                    roof_azimuth_deg=float(rng.uniform(0, 360)),
                    park_id="park-a" if (i < 3 and j < 3) else None,
                )
            )
    return _frame(rows)


def test_capacity_follows_area_share_and_gcr():
    a = PVAssumptions()
    frame = _frame(
        [
            _row(0, 0, side=30.0, use_class="government"),
            _row(
                500,
                0,
                side=30.0,
                use_class="rural_home",
                roof_type="pitched",
                roof_tilt_deg=30.0,
                roof_azimuth_deg=180.0,
            ),
        ]
    )
    res = rooftop_potential(frame, assumptions=a, shading=False)
    area = res["footprint_m2"].to_numpy()
    assert area == pytest.approx([900.0, 900.0], rel=0.01)
    # flat: usable = area × NEA share; modules = usable × GCR; kWp = modules × W/m²
    assert res["usable_m2"].iloc[0] == pytest.approx(area[0] * 0.50, rel=1e-4)
    assert res["kwp"].iloc[0] == pytest.approx(area[0] * 0.50 * 0.4 * 200 / 1000, rel=1e-3)
    # pitched gable facing south/north: only the south half, in-plane area / cos(tilt)
    south_half = area[1] / 2 / np.cos(np.radians(30.0))
    assert res["usable_m2"].iloc[1] == pytest.approx(south_half * 0.20, rel=1e-3)
    assert res["kwp"].iloc[1] == pytest.approx(south_half * 0.20 * 200 / 1000, rel=1e-3)
    assert res["array_azimuth_deg"].iloc[1] == pytest.approx(180.0)
    assert (res["shading_factor"] == 1.0).all() and res["suitable"].all()
    assert (res["kwh_per_year"] == (res["kwp"] * res["kwh_per_kwp"]).round(1)).all() or np.allclose(
        res["kwh_per_year"], res["kwp"] * res["kwh_per_kwp"], rtol=1e-3
    )
    # monthly kWh sum to the year; CO2 and money follow the stated assumptions
    months = res[list(MONTH_COLUMNS)].sum(axis=1)
    np.testing.assert_allclose(months, res["kwh_per_year"], rtol=1e-3)
    assert res["kwh_m06"].iloc[0] > res["kwh_m12"].iloc[0]
    np.testing.assert_allclose(res["tco2_avoided_per_year"], res["kwh_per_year"] * 0.5395 / 1000, rtol=1e-3)
    tariff = 0.7 * 0.65 + 0.3 * 0.4161
    value = res["kwh_per_year"] * tariff - res["kwp"] * 1000 * 0.04
    capex = PVAssumptions().capex_cny_per_w  # 3.2 CNY/W (reviewed in issue 12)
    np.testing.assert_allclose(res["payback_years"], res["kwp"] * capex * 1000 / value, rtol=2e-3)
    assert res.attrs["solar"]["capex_cny_per_w"] == capex == 3.2


def test_suitability_rules():
    rows = [
        _row(0, 0, roof_type="pitched", roof_tilt_deg=70.0),  # too steep
        _row(400, 0, side=4.0),  # < 10 m² usable
        _row(800, 0, roof_type="pitched", roof_tilt_deg=30.0, roof_azimuth_deg=350.0),
        _row(1200, 0),
    ]
    res = rooftop_potential(_frame(rows), shading=False)
    assert list(res["exclusion_reason"]) == ["too steep", "usable area too small", "", ""]
    # a north-facing mono-pitch roof is excluded; as a gable its south half counts
    mono = rooftop_potential(_frame(rows), shading=False, assumptions=PVAssumptions(pitched_planes=1))
    assert mono["exclusion_reason"].iloc[2] == "north-facing"
    assert res["array_azimuth_deg"].iloc[2] == pytest.approx(170.0)
    assert res["county_rank"].isna().tolist() == [True, True, False, False]


def test_tall_neighbour_to_the_south_shades_and_excludes():
    slab = {"w": 100.0, "d": 15.0, "height_m": 60.0}  # a long 20-storey slab
    rows = [
        _row(0, 0, side=20.0, height_m=6.0),  # low roof
        _row(0, -30.0, **slab),  # slab 30 m south
        _row(1000, 0, side=20.0, height_m=6.0),  # low roof
        _row(1000, 30.0, **slab),  # slab 30 m north
        _row(2000, 0, side=20.0, height_m=6.0),
    ]  # alone
    res = rooftop_potential(_frame(rows))
    sf = res["shading_factor"].to_numpy()
    assert sf[4] == 1.0 and sf[1] == 1.0 and sf[3] == 1.0
    assert sf[0] < 0.7 and res["exclusion_reason"].iloc[0] == "shaded"
    assert sf[2] < 1.0 and sf[2] > sf[0] + 0.2  # north obstruction: only diffuse lost
    assert res["kwh_per_kwp"].iloc[0] == pytest.approx(res["kwh_per_kwp"].iloc[4] * sf[0], rel=1e-3)
    # a lower south neighbour 60 m away costs little
    far = rooftop_potential(_frame([_row(0, 0, height_m=6.0), _row(0, -60.0, height_m=15.0)]))
    assert 0.9 < far["shading_factor"].iloc[0] < 1.0
    # a narrow tower hides less sky than a slab of the same height at the same place
    tower = rooftop_potential(_frame([_row(0, 0, side=20.0, height_m=6.0), _row(0, -30.0, side=15.0, height_m=60.0)]))
    assert sf[0] < tower["shading_factor"].iloc[0] < 1.0


def test_bad_rooftops_are_refused_or_reported():
    ok = [_row(0, 0), _row(100, 0)]
    with pytest.raises(InputError, match=r"use_class.*'warehouse'"):
        rooftop_potential(_frame([*ok, _row(200, 0, use_class="warehouse")]), shading=False)
    with pytest.raises(
        InputError, match=r"rooftops: column 'roof_tilt_deg' of layer 'rooftops' must be ≤ 90; found \[95.0\] in row r2"
    ):
        rooftop_potential(_frame([*ok, _row(200, 0, roof_tilt_deg=95.0, roof_type="pitched")]))
    with pytest.raises(InputError, match="roof_tilt_deg"):
        rooftop_potential(_frame([*ok, _row(200, 0, roof_tilt_deg=-5.0)]))
    with pytest.raises(
        InputError, match=r"column 'height_m' of layer 'rooftops' must be ≥ 0; found \[-3.0\] in row r2"
    ):
        rooftop_potential(_frame([*ok, _row(200, 0, height_m=-3.0)]))
    neg = _frame(ok)
    neg["roof_area_m2"] = [100.0, -20.0]
    with pytest.raises(InputError, match=r"column 'roof_area_m2' of layer 'rooftops' must be > 0.*row r1"):
        rooftop_potential(neg)
    flat = _frame(ok)
    flat.loc[1, "geometry"] = shapely.LineString([(112.1, 32.0), (112.1, 32.0001)]).buffer(0)
    with pytest.raises(InputError, match=r"rooftops: 1 features .*empty or missing geometries \(row r1\)"):
        rooftop_potential(flat)
    # zero-area polygon: kept, unsuitable, reported
    zero = _frame(ok)
    zero.loc[1, "geometry"] = shapely.Polygon([(112.1, 32.0), (112.1001, 32.0), (112.1002, 32.0)])
    res = rooftop_potential(zero)
    assert res["exclusion_reason"].iloc[1] == "no roof area" and res["kwp"].iloc[1] == 0
    assert "zero footprint area" in res.attrs["solar"]["rooftop_repairs"]
    # missing optional columns take the schema defaults and are reported
    bare = _frame(ok)[["id", "geometry"]]
    res = rooftop_potential(bare, shading=False)
    assert (res["use_class"] == "residential").all()
    assert "no height_m column" in res.attrs["solar"]["rooftop_repairs"]
    with pytest.raises(InputError, match="no CRS"):
        rooftop_potential(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)]))
    with pytest.raises(InputError, match="unknown PV assumption"):
        PVAssumptions().replace(capex=3)
    with pytest.raises(InputError, match="gcr"):
        PVAssumptions(gcr=1.5)


def test_shortlist_filters_rank_and_rollup():
    res = rooftop_potential(_town())
    ok = res[res["suitable"]]
    for _county, group in ok.groupby("county"):
        best = group.sort_values("kwh_per_year", ascending=False)
        assert best["county_rank"].iloc[0] == 1
        assert best["county_rank"].is_monotonic_increasing
    assert resolve_county("樊城区") == resolve_county("Fancheng") == resolve_county("420606")
    assert resolve_county("樊城") == "420606"
    with pytest.raises(InputError, match="unknown county"):
        resolve_county("Atlantis")
    sl = shortlist(res, county="Fancheng", min_kwp=5, top=7)
    assert len(sl) <= 7 and (sl["county"] == "420606").all() and (sl["kwp"] >= 5).all()
    assert sl["kwh_per_year"].is_monotonic_decreasing
    assert sl["kwh_per_year"].iloc[0] == ok[ok["county"] == "420606"]["kwh_per_year"].max()
    park = shortlist(res, park="park-a")
    assert len(park) and (park["park_id"] == "park-a").all()
    cls = shortlist(res, use_class=["industrial", "public"], min_kwh_per_kwp=900)
    assert set(cls["use_class"]) <= {"industrial", "public"} and (cls["kwh_per_kwp"] >= 900).all()
    with pytest.raises(InputError, match="unknown use class"):
        shortlist(res, use_class="castle")
    roll = county_rollup(res)
    assert roll["county"].tolist()[-1] == "total"
    assert roll["mwp"].iloc[-1] == pytest.approx(ok["kwp"].sum() / 1000, rel=1e-3)
    assert roll["gwh_per_year"].iloc[-1] == pytest.approx(ok["kwh_per_year"].sum() / 1e6, rel=1e-3)
    by_cls = county_rollup(res, by_use_class=True)
    assert by_cls["rooftops"].iloc[:-1].sum() == len(ok)
    # rank by payback instead: ascending
    cheap = rooftop_potential(_town(), assumptions=PVAssumptions(rank_by="payback_years"))
    first = cheap[cheap["county_rank"] == 1]
    for _, row in first.iterrows():
        same = cheap[(cheap["county"] == row["county"]) & cheap["suitable"]]
        assert row["payback_years"] == same["payback_years"].min()


def test_exports(tmp_path):
    res = rooftop_potential(_town(6))
    sl = shortlist(res, top=10)
    csv = export_shortlist(sl, tmp_path / "短名单.csv")
    assert csv.read_bytes()[:3] == b"\xef\xbb\xbf"
    table = pd.read_csv(csv, encoding="utf-8-sig", dtype={"county": str})
    assert len(table) == len(sl) and {"lon", "lat", "kwp", "county_rank"} <= set(table.columns)
    assert (tmp_path / "短名单.assumptions.csv").exists()
    xlsx = export_shortlist(sl, tmp_path / "s.xlsx")
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert set(sheets) == {"rooftop_pv", "assumptions"}
    params = dict(zip(sheets["assumptions"]["parameter"], sheets["assumptions"]["value"], strict=True))
    assert params["grid_factor_kg_per_kwh"] == "0.5395" and "weather" in params
    gpkg = export_shortlist(sl, tmp_path / "s.gpkg")
    assert len(gpd.read_file(gpkg, layer="rooftop_pv")) == len(sl)
    assert "assumptions" in pyogrio.list_layers(gpkg)[:, 0]
    gj = export_shortlist(sl, tmp_path / "s.geojson")
    assert len(gpd.read_file(gj)) == len(sl)
    shp = export_shortlist(sl, tmp_path / "s.zip")
    assert zipfile.ZipFile(shp).namelist()


def test_dask_engine_matches_pandas():
    from siting.solar import scale

    town = _town(10, seed=5)
    res = rooftop_potential(town)
    ddf = scale.from_frame(town, npartitions=3)
    out = scale.potential_dask(ddf).compute(scheduler="sync")
    a = res.set_index("id")
    b = out.set_index("id").reindex(a.index)
    np.testing.assert_allclose(b["kwh_per_year"], a["kwh_per_year"])
    np.testing.assert_allclose(b["shading_factor"], a["shading_factor"])
    assert (b["county_rank"].fillna(0) == a["county_rank"].fillna(0)).all()
    best = scale.shortlist_dask(scale.potential_dask(ddf), county="420602", top=5)
    assert best["id"].tolist() == shortlist(res, county="420602", top=5)["id"].tolist()
    roll = scale.rollup_dask(scale.potential_dask(ddf))
    np.testing.assert_allclose(roll["mwp"], county_rollup(res)["mwp"], rtol=1e-6)
    assert roll["rooftops"].tolist() == county_rollup(res)["rooftops"].tolist()


def test_cli_with_a_real_epw(tmp_path, capsys):
    project = Project.create(tmp_path / "proj")
    project.write("rooftops", _town(8))
    epw = write_epw(default_weather(), tmp_path / "xiangyang.epw")
    out = tmp_path / "sl.csv"
    rollup = tmp_path / "roll.xlsx"
    code = main(
        [
            "solar",
            str(project.path),
            "--weather",
            str(epw),
            "--county",
            "樊城区",
            "--min-kwp",
            "1",
            "--top",
            "5",
            "--out",
            str(out),
            "--rollup",
            str(rollup),
            "--set",
            "capex_cny_per_w=3.0",
        ]
    )
    assert code == 0
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"county": str})
    assert 0 < len(table) <= 5 and (table["county"] == "420606").all()
    assert (table["kwp"] >= 1).all()
    params = pd.read_csv(tmp_path / "sl.assumptions.csv", encoding="utf-8-sig")
    values = dict(zip(params["parameter"], params["value"], strict=True))
    assert values["capex_cny_per_w"] == "3.0" and values["weather"].startswith("EPW")
    assert "MWp" in capsys.readouterr().out
    assert pd.read_excel(rollup)["county"].astype(str).tolist()[-1] == "total"
    # bad input → exit status 2 with a message
    assert main(["solar", str(project.path), "--county", "Atlantis", "--out", str(out)]) == 2
    assert main(["solar", str(project.path), "--set", "gcr=7", "--out", str(out)]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("time,ghi,dhi\n2023-01-01T00:00+08:00,0,0\n", encoding="utf-8")
    assert main(["solar", str(project.path), "--weather", str(bad), "--out", str(out)]) == 2
    assert "at least one year" in capsys.readouterr().err


def test_south_25_degree_specific_yield_is_plausible():
    # FACTS.md: GHI ≈ 1,269 kWh/m²; with ≈ 14 % losses and a 0.96 inverter a south 25° array
    # in central China yields roughly 1,000–1,150 kWh/kWp
    table = class_table(
        np.array([[1.0, 25.0, 180.0, np.nan], [1.0, 25.0, 90.0, np.nan]]), default_weather(), PVAssumptions()
    )
    south, east = table.annual_kwh_per_kwp
    assert 1000 < south < 1150
    assert east < south


def test_far_weather_is_reported():
    import pvlib

    from siting.solar import read_weather

    tmy3 = Path(pvlib.__file__).parent / "data" / "723170TYA.CSV"  # Greensboro, NC
    town, weather = _town(3), read_weather(tmy3)
    res = rooftop_potential(town, weather, shading=False)
    note = res.attrs["solar"]["rooftop_repairs"]
    assert "km from the rooftops" in note
    # the distance is the geodesic one on the WGS84 ellipsoid, from the bounding-box centre
    minx, miny, maxx, maxy = town.to_crs(4326).total_bounds
    geodesic_km = (
        pyproj.Geod(ellps="WGS84").inv((minx + maxx) / 2, (miny + maxy) / 2, weather.longitude, weather.latitude)[2]
        / 1000
    )
    reported_km = float(re.search(r"is ([0-9,]+) km from the rooftops", note).group(1).replace(",", ""))
    assert reported_km == pytest.approx(geodesic_km, abs=0.5)


def test_cli_dask_engine_on_geoparquet_with_a_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    import dask_geopandas

    parts = tmp_path / "rooftops"
    dask_geopandas.from_geopandas(_town(8), npartitions=3).to_parquet(parts)
    out_local = tmp_path / "local.geojson"
    assert (
        main(["solar", str(parts), "--engine", "dask", "--county", "420602", "--top", "4", "--out", str(out_local)])
        == 0
    )
    local = gpd.read_file(out_local)
    assert 0 < len(local) <= 4 and (local["county"] == "420602").all()
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        out = tmp_path / "cluster.geojson"
        assert (
            main(
                [
                    "solar",
                    str(parts),
                    "--engine",
                    "dask",
                    "--scheduler",
                    cluster.scheduler_address,
                    "--county",
                    "420602",
                    "--top",
                    "4",
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
    assert gpd.read_file(out)["id"].tolist() == local["id"].tolist()
    # the pandas engine reads the same GeoParquet folder and agrees
    out_pd = tmp_path / "pandas.geojson"
    assert main(["solar", str(parts), "--county", "420602", "--top", "4", "--out", str(out_pd)]) == 0
    assert gpd.read_file(out_pd)["id"].tolist() == local["id"].tolist()
    assert main(["solar", str(parts), "--scheduler", "tcp://x:1", "--out", str(out)]) == 2


def test_horizon_threads_and_chunks_agree():
    from siting.solar import _shading

    town = _town(10, seed=9).to_crs(XIANGYANG_UTM)
    geoms = np.asarray(town.geometry.values)
    cent = shapely.centroid(geoms)
    b = shapely.bounds(geoms)
    w, d = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    args = (shapely.get_x(cent), shapely.get_y(cent), town["height_m"].to_numpy(), np.fmax(w, d) / 2, np.fmin(w, d) / 2)
    one = _shading.horizon_profile(*args)
    assert one.max() > 10.0  # the town's towers do shade
    np.testing.assert_array_equal(one, _shading.horizon_profile(*args, threads=2, chunk=7))
