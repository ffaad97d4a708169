"""The plan's renewable and recycling bases and projects (source "plan")."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.default._common import gcj_to_utm, utm_frame
from layers.default._places import BASES


def build_bases_utm() -> gpd.GeoDataFrame:
    """Bases of :data:`_places.BASES` as points in EPSG:32649.

    ``target_value``/``target_unit`` are filled only where the plan states a number (the
    GW-class, 百万千瓦级 = 1,000 MW, new-energy bases of plan 三(三)11); ``target_year`` is left
    empty because the plan gives no year per base.  ``status`` is "operating" for the two
    existing recycling bases the plan asks to learn from (谷城 urban mining, designated 2011,
    FACTS.md "Waste"; 老河口 resource recycling), "under_construction" where the plan says
    加快推进…建设进度, otherwise "planned".
    """
    (ids, names, names_en, category, kind, county, lon, lat, value, unit, status, ref, note) = (
        list(c) for c in zip(*BASES, strict=True)
    )
    x, y = gcj_to_utm(lon, lat)
    return utm_frame(
        {
            "id": ids,
            "name": names,
            "name_en": names_en,
            "category": category,
            "base_kind": kind,
            "county": county,
            "target_value": np.array([np.nan if v is None else v for v in value], dtype="float64"),
            "target_unit": unit,
            "target_year": pd.array([None] * len(ids), dtype="Int64"),
            "status": status,
            "plan_ref": ref,
            "note": note,
            "source": "plan",
        },
        shapely.points(x, y),
    )
