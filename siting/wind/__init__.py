"""Wind siting: resource rasters, exclusions, turbines, energy and ranked candidate sites.

Public API (used by the dashboard and ``xysiting wind``)::

    from siting.wind import WindAssumptions, wind_sites
    result = wind_sites(project, WindAssumptions(hub_height_m=120, turbine="low_wind_5mw_d171"))
    result.sites            # sites by LCOE (EPSG:4326): MW, MWh/yr, substation, LCOE, farm overlap
    result.supply_curve     # sites by LCOE with cumulative MW and GWh/yr
    result.potentials       # technical, below-benchmark, near-grid and existing MW; usable share
    result.exclusion_table  # which rule excluded how much
    result.availability, result.transform, result.crs
    result.totals           # usable km², MW, MWh/yr, capacity factor
    result.assumptions      # every assumption, flat, for exports

Every assumption (with units and sources) is a field of :class:`WindAssumptions`.
"""

from siting.wind.assumptions import (
    DEFAULT_BUFFERS_M,
    DEFAULT_CONNECTION_CLASSES,
    HUBEI_COAL_BENCHMARK_CNY_PER_KWH,
    ConnectionClass,
    WindAssumptions,
)
from siting.wind.energy import (
    HOURS_PER_YEAR,
    Losses,
    annual_energy_mwh,
    capacity_factor,
    mean_power_kw,
    mean_power_kw_exact,
    weibull_scale,
)
from siting.wind.exclusions import (
    ExclusionStack,
    MinContiguousArea,
    MinWindSpeed,
    RasterExclusion,
    SlopeExclusion,
    VectorExclusion,
    default_exclusions,
)
from siting.wind.grid import grid_connection
from siting.wind.plants import farm_overlap, operating_capacity
from siting.wind.resource import (
    DEFAULT_SHEAR_ALPHA,
    DEFAULT_WEIBULL_K,
    HUB_HEIGHT_RANGE_M,
    WindResource,
    check_hub_height,
    check_resource,
    load_resource,
    shear_exponent,
    shear_to_height,
)
from siting.wind.sites import RANK_COLUMNS, WindSitesResult, clear_cache, wind_sites
from siting.wind.supply_curve import lcoe_cny_per_kwh, supply_curve
from siting.wind.turbines import (
    DEFAULT_TURBINE,
    Turbine,
    get_turbine,
    load_turbines,
    turbine_classes,
    turbine_table,
)

__all__ = [
    "DEFAULT_BUFFERS_M",
    "DEFAULT_CONNECTION_CLASSES",
    "DEFAULT_SHEAR_ALPHA",
    "DEFAULT_TURBINE",
    "DEFAULT_WEIBULL_K",
    "HOURS_PER_YEAR",
    "HUBEI_COAL_BENCHMARK_CNY_PER_KWH",
    "HUB_HEIGHT_RANGE_M",
    "RANK_COLUMNS",
    "ConnectionClass",
    "ExclusionStack",
    "Losses",
    "MinContiguousArea",
    "MinWindSpeed",
    "RasterExclusion",
    "SlopeExclusion",
    "Turbine",
    "VectorExclusion",
    "WindAssumptions",
    "WindResource",
    "WindSitesResult",
    "annual_energy_mwh",
    "capacity_factor",
    "check_hub_height",
    "check_resource",
    "clear_cache",
    "default_exclusions",
    "farm_overlap",
    "get_turbine",
    "grid_connection",
    "lcoe_cny_per_kwh",
    "load_resource",
    "load_turbines",
    "mean_power_kw",
    "mean_power_kw_exact",
    "operating_capacity",
    "shear_exponent",
    "shear_to_height",
    "supply_curve",
    "turbine_classes",
    "turbine_table",
    "weibull_scale",
    "wind_sites",
]
