"""Rooftop PV for the siting atlas (issue 3): weather, yields, shading, shortlists, roll-ups.

Public API::

    from siting.solar import (default_weather, read_weather, PVAssumptions,
                              rooftop_potential, shortlist, county_rollup, export_shortlist)
    result = rooftop_potential(project.read("rooftops"), default_weather(),
                               assumptions=PVAssumptions())
    best = shortlist(result, county="襄城区", min_kwp=30, top=100)
    export_shortlist(best, "shortlist.xlsx")       # with an assumptions sheet
    county_rollup(result)                           # MWp, GWh/yr, tCO2/yr per county
    curve = supply_curve(result)                    # rooftops by LCOE, cumulative MWp, GWh/yr
    supply_summary(curve)                           # MWp and GWh/yr below the benchmark

Partition-wise (dask-geopandas, tens of millions of rooftops): :mod:`siting.solar.scale`.
"""

from siting.solar.assumptions import PVAssumptions
from siting.solar.economics import (
    SUPPLY_CURVE_COLUMNS,
    capital_recovery_factor,
    lcoe_cny_per_kwh,
    supply_curve,
    supply_summary,
)
from siting.solar.potential import (
    MONTH_COLUMNS,
    RESULT_COLUMNS,
    county_rollup,
    export_shortlist,
    prepare_rooftops,
    rank_within_county,
    resolve_county,
    rooftop_potential,
    shortlist,
)
from siting.solar.weather import (
    Weather,
    default_weather,
    read_csv_weather,
    read_epw,
    read_tmy3,
    read_weather,
    validate_weather,
    write_epw,
)

__all__ = [
    "MONTH_COLUMNS",
    "RESULT_COLUMNS",
    "SUPPLY_CURVE_COLUMNS",
    "PVAssumptions",
    "Weather",
    "capital_recovery_factor",
    "county_rollup",
    "default_weather",
    "export_shortlist",
    "lcoe_cny_per_kwh",
    "prepare_rooftops",
    "rank_within_county",
    "read_csv_weather",
    "read_epw",
    "read_tmy3",
    "read_weather",
    "resolve_county",
    "rooftop_potential",
    "shortlist",
    "supply_curve",
    "supply_summary",
    "validate_weather",
    "write_epw",
]
