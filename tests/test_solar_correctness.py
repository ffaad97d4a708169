"""Vectorised rooftop yields against direct per-rooftop pvlib ModelChain runs (default project)."""

from __future__ import annotations

import numpy as np
import pytest

from siting.solar import PVAssumptions, default_weather, rooftop_potential
from siting.solar._yield import MOUNT_FLAT, MOUNT_PITCHED, modelchain_kwh


@pytest.fixture(scope="module")
def default_result(tmp_path_factory):
    from layers.default import build_default

    project = build_default(tmp_path_factory.mktemp("solar") / "default", rooftop_scale=0.12)
    rooftops = project.read("rooftops")
    return rooftops, rooftop_potential(rooftops, default_weather())


def test_200_rooftops_match_modelchain(default_result):
    rooftops, res = default_result
    assert len(res) > 2000 and (res["source"] == "synthetic").all()
    a = PVAssumptions()
    weather = default_weather()
    rng = np.random.default_rng(2024)
    pool = np.flatnonzero(res["kwp"].to_numpy() >= 1.0)
    sample = rng.choice(pool, size=200, replace=False)
    assert (res["roof_type"].iloc[sample] == "pitched").sum() >= 20  # both mounts exercised
    worst = 0.0
    for i in sample:  # the reference loop the vectorised engine replaces
        row = res.iloc[i]
        raw = rooftops.iloc[i]
        assert raw["id"] == row["id"]
        if row["roof_type"] == "pitched":
            tilt, mount = float(raw["roof_tilt_deg"]), MOUNT_PITCHED
            if row["array_planes"] == 2:
                azimuths = [float(raw["roof_azimuth_deg"]), (float(raw["roof_azimuth_deg"]) + 180) % 360]
            else:
                azimuths = [float(row["array_azimuth_deg"])]
        else:
            tilt, mount, azimuths = a.flat_tilt_deg, MOUNT_FLAT, [a.flat_azimuth_deg]
        ref = modelchain_kwh(tilt, azimuths, float(row["kwp"]), mount, weather, a)
        ref *= float(row["shading_factor"])
        err = abs(row["kwh_per_year"] / ref - 1.0)
        worst = max(worst, err)
        assert err < 0.005, (row["id"], row["kwh_per_year"], ref)
    assert worst > 0.0  # orientation classes are rounded: not bit-identical, but close


def test_default_project_yields_are_plausible(default_result):
    _, res = default_result
    ok = res[res["suitable"]]
    assert 0.8 < len(ok) / len(res) <= 1.0
    median = float(ok["kwh_per_kwp"].median())
    assert 950 < median < 1150  # FACTS.md GHI ≈ 1,269 kWh/m² and ≈ 14 % losses
    assert set(res["exclusion_reason"].unique()) <= {
        "",
        "no roof area",
        "too steep",
        "north-facing",
        "usable area too small",
        "shaded",
    }
    assert (ok["shading_factor"] >= 0.7).all()
    assert ok.groupby("county")["county_rank"].min().eq(1).all()
