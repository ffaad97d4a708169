"""One definition of phosphogypsum utilisation (issue 12 item 6): routing totals and Progress agree."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.errors import InputError
from layers.default import build_default
from siting.progress.links import phosphogypsum_routing_link
from siting.waste import route_waste, utilisation_split


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return build_default(tmp_path_factory.mktemp("pg_split") / "xiangyang", rooftop_scale=0.05)


def test_split_separates_utilisation_from_storage_yards():
    flows = pd.DataFrame(
        {
            "facility_kind": ["cement_kiln", "storage_yard", "phosphogypsum_plant", "building_material_plant"],
            "t_per_year": [1.0e6, 2.0e6, 0.25e6, 0.25e6],
        }
    )
    split = utilisation_split(flows, supply_t_per_year=4.0e6)
    assert split["utilised_t_per_year"] == 1.5e6
    assert split["stored_t_per_year"] == 2.0e6
    assert split["utilisation_share"] == pytest.approx(0.375)
    with pytest.raises(InputError, match="facility_kind"):
        utilisation_split(flows.drop(columns="facility_kind"), supply_t_per_year=1.0)


def test_waste_totals_and_progress_link_report_the_same_utilisation(project):
    routing = route_waste(project, waste_kind="phosphogypsum", geometries=False)
    t = routing.totals
    # delivered = utilised + stored, and the storage yards of the default really take some
    assert t["utilised_t_per_year"] + t["stored_t_per_year"] == pytest.approx(t["delivered_t_per_year"])
    yards = routing.flows["facility_kind"] == "storage_yard"
    assert t["stored_t_per_year"] == pytest.approx(routing.flows.loc[yards, "t_per_year"].sum())
    assert t["stored_t_per_year"] > 0 and t["utilised_t_per_year"] > 0
    assert t["utilisation_share"] == pytest.approx(t["utilised_t_per_year"] / t["supply_t_per_year"])

    # the dashboard path: the Progress tab gets the Waste tab's flows (without geometry)
    flows = pd.DataFrame(routing.flows.drop(columns="geometry"))
    from_flows = phosphogypsum_routing_link(project, flows=flows)
    # the CLI path: the link routes by itself
    from_project = phosphogypsum_routing_link(project)
    for link in (from_flows, from_project):
        assert link.available, link.message
        assert link.values["utilisation_pct"] == pytest.approx(100.0 * t["utilisation_share"], rel=1e-12)
        assert link.values["utilised_t_per_year"] == pytest.approx(t["utilised_t_per_year"], rel=1e-12)
        assert link.values["stored_t_per_year"] == pytest.approx(t["stored_t_per_year"], rel=1e-12)
        assert link.values["produced_t_per_year"] == pytest.approx(t["supply_t_per_year"], rel=1e-12)
    # flows that name only the facility id reach the same figure through the facilities layer
    by_id = phosphogypsum_routing_link(project, flows=flows.drop(columns="facility_kind"))
    assert by_id.values["utilisation_pct"] == pytest.approx(from_flows.values["utilisation_pct"], rel=1e-12)
    assert "utilised" in routing.summary() and "stored" in routing.summary()
