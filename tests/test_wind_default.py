"""Wind siting on the embedded default project (real county outlines, synthetic wind raster)."""

from __future__ import annotations

import numpy as np
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
