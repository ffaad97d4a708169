"""OpenStreetMap tag values as typed arrays: ``highway``, ``maxspeed`` (km/h), ``oneway``.

The one place OSM tags are read, for road networks built from OSM (:mod:`geo.network`) and
for roads imported from OSM extracts (:mod:`layers._osm`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["first_tag", "parse_maxspeed_kmh", "parse_oneway"]


def first_tag(values: pd.Series) -> pd.Series:
    """OSM tags merged by osmnx can be lists: keep the first value, as a string."""
    return values.map(lambda v: v[0] if isinstance(v, list | tuple) and v else v)


def parse_maxspeed_kmh(values: pd.Series) -> NDArray:
    """Parse OSM ``maxspeed`` values ("50", "30 mph", ["50", "60"], 80.0) to km/h, NaN if unknown."""
    values = first_tag(values)

    def parse(v) -> float:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return np.nan
        if isinstance(v, int | float | np.integer | np.floating):
            return float(v)
        match = re.match(r"\s*([0-9.]+)\s*(mph)?", str(v))
        if not match:
            return np.nan
        speed = float(match.group(1))
        return speed * 1.609344 if match.group(2) else speed

    uniques = pd.unique(values.astype(object))
    mapping = {u: parse(u) for u in uniques}
    return values.astype(object).map(mapping).to_numpy(dtype="float64")


def parse_oneway(values: pd.Series) -> tuple[NDArray, NDArray]:
    """OSM ``oneway`` to (oneway, reversed): "yes"/"true"/"1"/True, "-1" (against the line)."""
    values = first_tag(values).astype(object)
    text = values.map(lambda v: str(v).strip().lower() if v is not None and v == v else "")
    oneway = text.isin(["yes", "true", "1", "-1", "reverse"]).to_numpy()
    reverse = text.isin(["-1", "reverse"]).to_numpy()
    return oneway, reverse
