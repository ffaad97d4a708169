"""Waste sources (phosphogypsum, construction waste) and processing facilities."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from layers.default._common import county_of, gcj_to_utm, utm_frame
from layers.default._places import (
    CONSTRUCTION_TOTAL_T_PER_YEAR,
    FACILITIES,
    PHOSPHOGYPSUM_SOURCES,
    URBAN_ZONES,
)
from layers.schema import FACILITY_KINDS

#: Number of synthetic construction-waste source points.
N_CONSTRUCTION_SOURCES = 240


def build_facilities_utm() -> gpd.GeoDataFrame:
    """Processing facilities of :data:`_places.FACILITIES` in EPSG:32649.

    ``accepts`` is filled from :data:`layers.schema.FACILITY_KINDS`.
    """
    (ids, names, county, kind, cap, fee, status, lon, lat, source, note) = (
        list(c) for c in zip(*FACILITIES, strict=True)
    )
    x, y = gcj_to_utm(lon, lat)
    return utm_frame(
        {
            "id": ids,
            "name": names,
            "county": county,
            "facility_kind": kind,
            "accepts": [",".join(FACILITY_KINDS[k]) for k in kind],
            "capacity_t_per_year": np.asarray(cap, dtype="float64"),
            "gate_fee_cny_per_t": np.asarray(fee, dtype="float64"),
            "status": status,
            "source": source,
            "note": note,
        },
        shapely.points(x, y),
    )


def build_sources_utm(
    *, water_utm=None, counties_utm: gpd.GeoDataFrame | None = None, seed: int = 7
) -> gpd.GeoDataFrame:
    """Waste sources in EPSG:32649: named phosphogypsum sites plus synthetic construction points.

    Phosphogypsum: :data:`_places.PHOSPHOGYPSUM_SOURCES` (about 3 Mt/yr and 20.47 Mt stock in
    total, FACTS.md "Waste").  Construction waste: ``N_CONSTRUCTION_SOURCES`` points scattered
    (Gaussian around each zone centre, inside the zone ellipse) over the built-up zones of
    :data:`_places.URBAN_ZONES` in proportion to the zones' weights, with log-normal sizes
    scaled to :data:`_places.CONSTRUCTION_TOTAL_T_PER_YEAR` (5.3 Mt/yr; FACTS: "over 5 Mt/yr").
    Construction points are kept at least 50 m from ``water_utm`` (buffered rivers, metres)
    and, when ``counties_utm`` is given, take the county they fall in (a zone's ellipse may
    reach over a county border) and are dropped outside the city.
    """
    pg_ids, pg_names, pg_county, pg_supply, pg_stock, pg_lon, pg_lat = (
        list(c) for c in zip(*PHOSPHOGYPSUM_SOURCES, strict=True)
    )
    pgx, pgy = gcj_to_utm(pg_lon, pg_lat)

    rng = np.random.default_rng(seed)
    zid, zname, zcounty, zlon, zlat, sx, sy, _kind, weight = (
        np.asarray(c, dtype=object) for c in zip(*URBAN_ZONES, strict=True)
    )
    zx, zy = gcj_to_utm(zlon.astype(float), zlat.astype(float))
    weight = weight.astype(float)
    counts = np.floor(weight / weight.sum() * N_CONSTRUCTION_SOURCES).astype(int)
    counts[: N_CONSTRUCTION_SOURCES - counts.sum()] += 1
    # draw four candidates per wanted point, drop those on water, keep the first per zone
    cand_zone = np.repeat(np.arange(len(zid)), 4 * counts)
    m = cand_zone.size
    # Gaussian offsets (sigma = 0.45 semi-axis), pulled radially into the ellipse
    ox = rng.normal(0.0, 0.45, m)
    oy = rng.normal(0.0, 0.45, m)
    r = np.sqrt(ox**2 + oy**2)
    shrink = np.where(r > 0.9, 0.9 / np.maximum(r, 1e-9), 1.0)
    cand_x = zx[cand_zone] + ox * shrink * sx.astype(float)[cand_zone]
    cand_y = zy[cand_zone] + oy * shrink * sy.astype(float)[cand_zone]
    ok = np.ones(m, dtype=bool)
    if water_utm is not None and len(water_utm):
        water = shapely.union_all(np.asarray(water_utm, dtype=object))
        ok = ~shapely.dwithin(water, shapely.points(cand_x, cand_y), 50.0)
    rank = np.cumsum(ok) - 1  # running count of usable candidates ...
    start = np.concatenate([[0], np.cumsum(4 * counts)[:-1]])
    before = np.concatenate([[0], np.cumsum(ok)])[start]  # ... minus those of earlier zones
    take = ok & (rank - before[cand_zone] < counts[cand_zone])
    if (np.bincount(cand_zone[take], minlength=len(zid)) != counts).any():
        msg = "too few dry construction-waste candidates in a built-up zone"
        raise RuntimeError(msg)
    zone_of = cand_zone[take]
    cx, cy = cand_x[take], cand_y[take]
    n = zone_of.size
    size = rng.lognormal(0.0, 0.8, n)
    supply = size / size.sum() * CONSTRUCTION_TOTAL_T_PER_YEAR
    supply = np.round(supply, -1)
    # a running number per zone for readable names
    seq = np.concatenate([np.arange(1, c + 1) for c in counts])
    cw_county = zcounty[zone_of]
    if counties_utm is not None:
        cw_county = county_of(shapely.points(cx, cy), counties_utm)
    cw_names = [f"{z}建筑垃圾产生点 {i}" for z, i in zip(zname[zone_of], seq, strict=True)]
    cw_ids = [f"cw-{z.removeprefix('zone-')}-{i:03d}" for z, i in zip(zid[zone_of], seq, strict=True)]
    frame = utm_frame(
        {
            "id": pg_ids + cw_ids,
            "name": pg_names + cw_names,
            "county": pg_county + list(cw_county),
            "waste_kind": ["phosphogypsum"] * len(pg_ids) + ["construction"] * n,
            "supply_t_per_year": np.concatenate([np.asarray(pg_supply, float), supply]),
            "stock_t": np.concatenate([np.asarray(pg_stock, float), np.zeros(n)]),
            "source": "synthetic",
        },
        shapely.points(np.concatenate([pgx, cx]), np.concatenate([pgy, cy])),
    )
    return frame[frame["county"].notna()].reset_index(drop=True)
