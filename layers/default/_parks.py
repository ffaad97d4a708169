"""Industrial and chemical parks: the plan's named parks at approximate real locations."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from layers.default._common import gcj_to_utm, rotated_rectangles, utm_frame
from layers.default._places import PARKS


def build_parks_utm(*, water_utm=None) -> gpd.GeoDataFrame:
    """Industrial parks as rotated rectangles of their stated area, in EPSG:32649.

    Outlines are synthetic (a 3:2 rectangle of ``area_km2`` around the approximate centre,
    rotated by a fixed per-park angle); names and centres follow :data:`_places.PARKS`.
    Parks are cut back from ``water_utm`` (buffered rivers, metres) when given, keeping the
    largest piece, so a riverside park ends at the bank.
    """
    rows = list(zip(*PARKS, strict=True))
    ids, names, names_en, county, kind, level, lon, lat, area, source = rows
    x, y = gcj_to_utm(lon, lat)
    area_m2 = np.asarray(area) * 1e6
    width = np.sqrt(area_m2 * 1.5)
    height = area_m2 / width
    angle = np.random.default_rng(20240719).uniform(-30.0, 30.0, len(ids))
    geoms = rotated_rectangles(x, y, width, height, angle)
    if water_utm is not None and len(water_utm):
        cut = shapely.difference(geoms, shapely.union_all(np.asarray(water_utm, dtype=object)))
        geoms = np.array([max(shapely.get_parts(g), key=lambda part: part.area) for g in cut], dtype=object)
    return utm_frame(
        {
            "id": list(ids),
            "name": list(names),
            "name_en": list(names_en),
            "county": list(county),
            "park_kind": list(kind),
            "level": list(level),
            "source": list(source),
        },
        geoms,
    )
