"""Waste routing and siting on the embedded default project (small rooftop scale)."""

from __future__ import annotations

import numpy as np
import pytest

from layers.default import BUILD_STAGES, build_default
from layers.schema import FACILITY_KINDS
from siting.waste import load_network, route_waste, site_new_facilities


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    calls = []
    built = build_default(
        tmp_path_factory.mktemp("waste_default") / "xiangyang",
        rooftop_scale=0.05,
        progress=lambda fraction, message: calls.append((fraction, message)),
    )
    fractions, messages = zip(*calls, strict=True)  # every stage, in order, then the end
    assert messages == (*BUILD_STAGES, "built") and fractions == tuple(sorted(fractions))
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    return built


@pytest.mark.parametrize("kind", ["phosphogypsum", "construction"])
def test_default_project_routes_balance(project, kind):
    result = route_waste(project, waste_kind=kind)
    sources = project.read("waste_sources")
    supply = sources.loc[sources["waste_kind"] == kind, "supply_t_per_year"].sum()
    t = result.totals
    assert t["supply_t_per_year"] == pytest.approx(supply)
    if kind == "phosphogypsum":  # FACTS.md: about 3 Mt/yr
        assert 2.5e6 < supply < 3.5e6
    else:  # FACTS.md: over 5 Mt/yr
        assert supply > 5e6
    unmet = result.unmet.set_index("source_id")
    delivered = result.flows.groupby("source_id")["t_per_year"].sum().reindex(unmet.index)
    np.testing.assert_allclose(delivered.fillna(0) + unmet["unmet_t_per_year"], unmet["supply_t_per_year"], atol=1e-3)
    use = result.facility_use
    assert (use["used_t_per_year"] <= use["capacity_t_per_year"] + 1e-3).all()
    accepted = {f for f, kinds in FACILITY_KINDS.items() if kind in kinds}
    assert set(result.flows["facility_kind"]) <= accepted
    assert result.flows.geometry.notna().all()
    assert (result.flows["network_km"] > 0).any()
    assert t["mean_haul_km"] == pytest.approx(t["tkm_per_year"] / t["delivered_t_per_year"])
    assert load_network(project).report.nodes_dropped == 0


def test_default_project_two_new_sites_cut_unmet(project):
    result = site_new_facilities(project, waste_kind="phosphogypsum", k=2, geometries=False)
    assert len(result.chosen) == 2
    assert result.after.totals["unmet_t_per_year"] <= result.before.totals["unmet_t_per_year"]
    assert result.before.assumptions["unmet_penalty_cny_per_t"] == result.after.assumptions["unmet_penalty_cny_per_t"]
    objective_before = (
        result.before.totals["cost_cny_per_year"]
        + result.before.assumptions["unmet_penalty_cny_per_t"] * result.before.totals["unmet_t_per_year"]
    )
    assert result.gain["mip_objective"] <= objective_before + 1e-6
