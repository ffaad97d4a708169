"""Wind siting on the embedded default project (real county outlines, synthetic wind raster)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from siting.wind import wind_sites

pytestmark = pytest.mark.slow

BASE_COUNTIES = ["420607", "420683", "420684"]  # 襄州, 枣阳, 宜城: GW-class bases (FACTS.md)


@pytest.fixture(scope="module")
def default_project(default_project_dir):
    from layers.project import Project

    return Project.open(default_project_dir)  # built once per session (conftest)


def test_plan_base_counties_get_ranked_sites(default_project):
    result = wind_sites(default_project, hub_height_m=120.0, counties=BASE_COUNTIES, max_site_km2=50.0)
    sites = result.sites
    assert len(sites) > 0
    assert set(sites["county"]) <= set(BASE_COUNTIES)
    assert (sites["resource_source"] == "synthetic").all()
    assert result.assumptions["resource_source"] == "synthetic"
    # The region is the three counties' area, measured in metres.
    counties = default_project.read("counties")
    counties = counties[counties["adcode"].isin(BASE_COUNTIES)].to_crs("EPSG:32649")
    assert result.totals["region_km2"] == pytest.approx(counties.area.sum() / 1e6, rel=0.01)
    table = result.exclusion_table.set_index("layer")
    for layer in (
        "settlement",
        "water",
        "protected",
        "buildings (rooftops layer)",
        "roads (roads layer)",
        "min_wind_speed",
        "available",
    ):
        assert layer in table.index
    # Low-wind inland sites: capacity factors in a plausible band for a synthetic 4.6–7.5 m/s field.
    assert sites["capacity_factor"].between(0.1, 0.5).all()
    assert (np.diff(sites["lcoe_cny_per_kwh"].to_numpy()) >= -1e-12).all()  # the supply curve order
    assert result.totals["capacity_mw"] == pytest.approx(sites["capacity_mw"].sum())


def test_cli_on_the_default_prints_the_four_potentials_and_the_usable_share(default_project_dir, tmp_path, capsys):
    from dashboard.cli import main

    out = tmp_path / "wind.xlsx"
    assert main(["wind", str(default_project_dir), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    lines = {line.strip().split("  ")[0]: line for line in printed.splitlines()}
    technical = next(line for key, line in lines.items() if key.startswith("technical potential"))
    below = next(line for key, line in lines.items() if key.startswith("below benchmark ≤ 0.4161 CNY/kWh"))
    near = next(line for key, line in lines.items() if key.startswith("within 20 km of a ≥ 110 kV substation"))
    existing = next(line for key, line in lines.items() if key.startswith("existing operating wind"))
    usable = next(line for key, line in lines.items() if key.startswith("usable land"))
    assert " MW" in technical and " MW" in below
    # near-grid and existing figures are in MW, or say which layer is missing and how to import it
    for line, kind in ((near, "grid"), (existing, "power_plants")):
        assert " MW" in line or f"no '{kind}' layer" in line
        if "n/a" in line:
            assert f"--layer {kind}" in printed
    share = float(usable.split("usable land")[1].split("%")[0])
    assert 1.0 < share < 60.0
    assert "SYNTHETIC" in printed
    sheets = pd.read_excel(out, sheet_name=None, engine="openpyxl")
    assert {"supply_curve", "assumptions", "potentials"} <= set(sheets)
