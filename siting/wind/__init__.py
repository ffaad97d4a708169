"""Wind siting: resource rasters, exclusions, turbines, energy and ranked candidate sites.

Public API (used by the dashboard and ``xysiting wind``)::

    from siting.wind import wind_sites
    result = wind_sites(project, hub_height_m=120, turbine="low_wind_5mw_d171")
    result.sites            # ranked GeoDataFrame (EPSG:4326)
    result.exclusion_table  # which layer excluded how much
    result.availability, result.transform, result.crs
    result.totals           # usable km², MW, MWh/yr, capacity factor

See :func:`wind_sites` for every option.
"""

from siting.wind._cache import clear_cache
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
    DEFAULT_BUFFERS_M,
    MinContiguousArea,
    MinWindSpeed,
    RasterExclusion,
    SlopeExclusion,
    VectorExclusion,
    default_exclusions,
)
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
from siting.wind.sites import RANK_COLUMNS, WindSitesResult, wind_sites
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
    "DEFAULT_SHEAR_ALPHA",
    "DEFAULT_TURBINE",
    "DEFAULT_WEIBULL_K",
    "HOURS_PER_YEAR",
    "HUB_HEIGHT_RANGE_M",
    "RANK_COLUMNS",
    "Losses",
    "MinContiguousArea",
    "MinWindSpeed",
    "RasterExclusion",
    "SlopeExclusion",
    "Turbine",
    "VectorExclusion",
    "WindResource",
    "WindSitesResult",
    "annual_energy_mwh",
    "capacity_factor",
    "check_hub_height",
    "check_resource",
    "clear_cache",
    "default_exclusions",
    "get_turbine",
    "load_resource",
    "load_turbines",
    "mean_power_kw",
    "mean_power_kw_exact",
    "shear_exponent",
    "shear_to_height",
    "turbine_classes",
    "turbine_table",
    "weibull_scale",
    "wind_sites",
]
