"""Rooftop PV potential: capacity, yield, shading, CO2, economics and rank for every rooftop.

Method, per rooftop (all vectorised; pvlib runs once per orientation class):

1. **Area.** Footprint area in a metric CRS (or an optional ``roof_area_m2`` column).  Flat
   roofs: the roof is the footprint.  Pitched roofs (gable by default): two planes, the
   recorded ``roof_azimuth_deg`` and its opposite, each over half the footprint, with
   in-plane area ``footprint / 2 / cos(tilt)``; north-facing planes are dropped.
2. **Usable area** = suitable roof area × installable share of the use class (NEA
   whole-county pilot minima, FACTS.md).  Below ``min_usable_m2`` (10 m², NREL) → unsuitable.
3. **Capacity.** Flat roofs carry rows tilted at ``flat_tilt_deg`` at ground-coverage ratio
   ``gcr``: module area = usable × gcr; pitched roofs carry modules flush: module area =
   usable.  kWp = module area × ``module_w_per_m2`` / 1000.
4. **Yield.** kWh/kWp (annual and per month) from :mod:`siting.solar._yield`: the pvlib
   PVWatts chain runs once per grid orientation class (flat-roof rows are one class; pitched
   planes on a 2.5° tilt × 5° azimuth grid) and each rooftop interpolates bilinearly between
   the four classes around its own tilt and azimuth (within 0.05 % of a direct ModelChain run
   in the benchmark).  Times the rooftop's shading factor (:mod:`siting.solar._shading`);
   rooftops keeping < 70 % of unshaded output are unsuitable (NREL, FACTS.md).
5. **CO2** = kWh × grid factor (0.5395 kg/kWh, Central China grid 2022, FACTS.md).
6. **Economics** (assumptions in :class:`~siting.solar.assumptions.PVAssumptions`):
   capex = kWp × 1000 × ¥/W; yearly value = kWh × (self-consumed share × retail tariff +
   exported share × export tariff) − kWp × 1000 × O&M ¥/W/yr; simple payback = capex / value;
   LCOE (¥/kWh) with the capital recovery factor, lifetime and degradation
   (:func:`siting.solar.economics.lcoe_cny_per_kwh`, formula there).
7. **Rank** within the county among suitable rooftops by ``rank_by`` (1 = best; ties share
   the best rank).

Why one module over 500 lines: the seven steps above are one vectorised pipeline over
one frame; the pvlib chain and the shading model already live in ``_yield`` and ``_shading``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo.crs import metric_crs
from geo.errors import InputError, describe_rows
from layers.conform import conform
from layers.schema import COUNTIES
from siting.solar import _footprints, _shading, _yield, economics
from siting.solar.assumptions import PVAssumptions
from siting.solar.weather import Weather, default_weather

MONTH_COLUMNS = tuple(f"kwh_m{m:02d}" for m in range(1, 13))
RESULT_COLUMNS = (
    "footprint_m2",
    "usable_m2",
    "array_tilt_deg",
    "array_azimuth_deg",
    "array_planes",
    "kwp",
    "kwh_per_year",
    "kwh_per_kwp",
    "shading_factor",
    "suitable",
    "exclusion_reason",
    "tco2_avoided_per_year",
    "capex_cny",
    "value_cny_per_year",
    "payback_years",
    "lcoe_cny_per_kwh",
    "county_rank",
)
_KEEP = (
    "id",
    "name",
    "county",
    "park_id",
    "use_class",
    "roof_type",
    "height_m",
    "roof_tilt_deg",
    "roof_azimuth_deg",
    "source",
)
_GEOD = pyproj.Geod(ellps="WGS84")
_REASONS = ("no roof area", "too steep", "north-facing", "usable area too small", "shaded")


def rooftop_potential(
    rooftops: gpd.GeoDataFrame,
    weather: Weather | None = None,
    *,
    assumptions: PVAssumptions | None = None,
    shading: bool = True,
    monthly: bool = True,
    rank: bool = True,
    neighbours: gpd.GeoDataFrame | None = None,
    classes: _yield.ClassTable | None = None,
) -> gpd.GeoDataFrame:
    """PV potential of every rooftop (see the module docstring for the method).

    Parameters
    ----------
    rooftops : GeoDataFrame
        A ``rooftops`` layer (:data:`layers.schema.SCHEMAS`): polygons with a CRS and, where
        known, ``use_class``, ``height_m``, ``roof_type``, ``roof_tilt_deg``,
        ``roof_azimuth_deg``, ``county``, ``park_id``; an optional ``roof_area_m2`` overrides
        the footprint area.  Missing optional columns take their schema defaults (reported).
    weather : Weather, optional
        Hourly weather; default :func:`siting.solar.default_weather`.
    assumptions : PVAssumptions, optional
        Model parameters; default ``PVAssumptions()``.
    shading : bool
        Compute shading from taller neighbours (else every shading factor is 1).
    monthly : bool
        Add ``kwh_m01`` … ``kwh_m12`` (kWh per calendar month).
    rank : bool
        Add ``county_rank``; partition-wise runs rank later (:func:`rank_within_county`).
    neighbours : GeoDataFrame, optional
        Extra buildings that cast shade but are not evaluated (e.g. a partition's halo).
    classes : ClassTable, optional
        Precomputed per-class yields covering these rooftops' classes (partition-wise runs
        compute it once for all partitions: :func:`orientation_classes`).

    Returns
    -------
    GeoDataFrame
        The rooftop columns plus ``footprint_m2``, ``usable_m2``, ``array_tilt_deg``,
        ``array_azimuth_deg`` (main plane), ``array_planes`` (2: a gable with both planes
        used, the second facing ``array_azimuth_deg + 180``), ``kwp``, ``kwh_per_year``,
        ``kwh_per_kwp``, ``shading_factor``,
        ``suitable``, ``exclusion_reason``, ``tco2_avoided_per_year``, ``capex_cny``,
        ``value_cny_per_year``, ``payback_years``, ``lcoe_cny_per_kwh``, ``county_rank`` (and
        monthly kWh).
        ``attrs["solar"]`` holds the assumptions, the weather and every repair made.
    """
    a = assumptions or PVAssumptions()
    weather = weather or default_weather()
    frame, repairs = prepare_rooftops(rooftops, assumptions=a)
    n = len(frame)
    total_bounds = frame.total_bounds  # once: the metric CRS and the weather distance use it
    # the UTM zone of the rooftops' bounding box (metric_crs of the box = of the footprints)
    metric = metric_crs(gpd.GeoSeries([shapely.box(*total_bounds)], crs=frame.crs)) if n else None
    # area, centroid and bounding box in metres, from the vertices (no reprojected copies)
    area, cx, cy, bounds = _footprints.metric_measures(frame.geometry.values, frame.crs, metric, threads=_threads())
    # the neighbour scan starts on a background thread; the yields are computed meanwhile
    scan = _start_scan(frame, (cx, cy, bounds), metric, a, neighbours) if shading and n > 1 else None
    del cx, cy, bounds
    if "roof_area_m2" in frame.columns:
        given = frame["roof_area_m2"].to_numpy(dtype=float)
        area = np.where(np.isnan(given), area, given)
    zero_area = ~(area > 1e-3)  # degenerate (collinear) footprints keep ~1e-9 m² after reprojection
    if zero_area.any():
        repairs.append(
            f"{int(zero_area.sum())} rooftops with zero footprint area marked "
            f"unsuitable ({describe_rows(frame.index[zero_area])})"
        )

    far_km = _distance_to_weather_km(total_bounds, frame.crs, weather)
    if far_km > 150.0:
        repairs.append(
            f"note: the weather site is {far_km:,.0f} km from the rooftops' centre; "
            f"use weather from nearer the rooftops"
        )

    # orientation of the planes and their share of the footprint
    pitched = _is_pitched(frame)
    roof_tilt = frame["roof_tilt_deg"].to_numpy(dtype=float)
    tilt = np.where(pitched, roof_tilt, a.flat_tilt_deg)
    main_az, second, all_north, n_used, n_planes = _planes(frame, pitched, tilt, a)
    cos_t = np.cos(np.radians(np.where(pitched, tilt, 0.0)))
    roof_m2 = np.where(zero_area, 0.0, area) * n_used / n_planes / np.maximum(cos_t, 1e-3)
    use_code, use_names = pd.factorize(frame["use_class"])  # conform checked every class has a share
    share = np.array([a.use_shares[c] for c in use_names], dtype=float)[use_code]
    usable = roof_m2 * share
    module_m2 = usable * np.where(pitched, 1.0, a.gcr)
    kwp = module_m2 * a.module_w_per_m2 / 1000.0

    # orientation classes → pvlib once per class
    codes, weights = _class_corners(pitched, tilt, main_az, second, a)
    inverse, uniq_codes = pd.factorize(codes.ravel())  # hashing, not sorting, 4n codes
    inverse = inverse.reshape(codes.shape)
    uniq = _decode(uniq_codes)
    if not n:
        table = None
    elif classes is not None:
        sub = classes.lookup(uniq)
        table = _yield.ClassTable(
            uniq, classes.annual_kwh_per_kwp[sub], classes.monthly_kwh_per_kwp[sub], classes.shade_table[sub]
        )
    else:
        table = _yield.class_table(uniq, weather, a)
    if n:
        # bilinear interpolation between the four surrounding grid classes
        yield_unshaded = (weights * table.annual_kwh_per_kwp[inverse]).sum(axis=1)
        nearest = inverse[np.arange(n), np.argmax(weights, axis=1)]
    else:
        yield_unshaded = np.zeros(0)
        nearest = np.zeros(0, dtype=np.int64)

    month_share = _month_shares(yield_unshaded, weights, inverse, table) if monthly else None
    out = frame[[c for c in _KEEP if c in frame.columns] + [frame.geometry.name]].copy()
    out["footprint_m2"] = np.round(area, 2)
    out["usable_m2"] = np.round(usable, 2)
    out["array_tilt_deg"] = np.round(tilt, 2)
    out["array_azimuth_deg"] = np.round(main_az, 2)
    out["array_planes"] = np.where(np.isnan(second), 1, 2).astype(np.int64)
    out["kwp"] = np.round(kwp, 3)

    sf = np.ones(n) if scan is None else _shading.shading_factor(scan.result()[:n], nearest, table.shade_table)
    kwh_per_kwp = yield_unshaded * sf
    kwh = kwp * kwh_per_kwp

    reason_code = np.select(
        [zero_area, pitched & (tilt > a.max_tilt_deg), all_north, usable < a.min_usable_m2, sf < a.min_shading_factor],
        np.arange(1, len(_REASONS) + 1, dtype=np.int8),
        np.int8(0),
    )
    suitable = reason_code == 0

    out["kwh_per_year"] = np.round(kwh, 1)
    out["kwh_per_kwp"] = np.round(kwh_per_kwp, 2)
    out["shading_factor"] = np.round(sf, 4)
    out["suitable"] = suitable
    out["exclusion_reason"] = np.array(["", *_REASONS], dtype=object)[reason_code]
    _add_money_and_co2(out, kwp, kwh, a)
    if monthly:
        for m, col in enumerate(MONTH_COLUMNS):
            out[col] = np.round(kwh * month_share[:, m], 1)
        del month_share
    if rank:
        out["county_rank"] = rank_within_county(out, rank_by=a.rank_by)
    else:
        out["county_rank"] = pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    out.attrs["solar"] = solar_metadata(a, weather, repairs)
    return out


def _month_shares(yield_unshaded, weights, inverse, table, *, rows: int = 131_072) -> np.ndarray:
    """Share of the year's kWh falling in each calendar month, shape (n, 12): the interpolated
    monthly yields of the rooftop's four corner classes over their interpolated annual yield.

    Each corner's twelve monthly yields are gathered in one row (not month by month), in
    blocks of ``rows`` rooftops; a corner of weight 0 adds exactly nothing and is skipped.
    """
    n = len(yield_unshaded)
    out = np.empty((n, 12))
    monthly = table.monthly_kwh_per_kwp if n else None
    for lo in range(0, n, rows):  # blocks of rooftops: (rows, 12) temporaries only
        hi = min(lo + rows, n)
        acc = np.zeros((hi - lo, 12))
        for k in range(weights.shape[1]):  # four interpolation corners, summed in order
            w = weights[lo:hi, k]
            sel = np.flatnonzero(w != 0.0)
            if len(sel) == hi - lo:
                acc += w[:, None] * monthly[inverse[lo:hi, k]]
            elif len(sel):
                acc[sel] += w[sel, None] * monthly[inverse[lo + sel, k]]
        out[lo:hi] = acc / np.maximum(yield_unshaded[lo:hi], 1e-9)[:, None]
    return out


def _is_pitched(frame: pd.DataFrame) -> np.ndarray:
    """``roof_type == "pitched"`` as a boolean array (compared in the column's own storage)."""
    return frame["roof_type"].eq("pitched").to_numpy(dtype=bool, na_value=False)


def orientation_classes(rooftops: gpd.GeoDataFrame, *, assumptions: PVAssumptions) -> np.ndarray:
    """Distinct orientation-class keys (mount, tilt, azimuth 1, azimuth 2) of a rooftops frame."""
    a = assumptions
    frame, _ = prepare_rooftops(rooftops, assumptions=a)
    pitched = _is_pitched(frame)
    tilt = np.where(pitched, frame["roof_tilt_deg"].to_numpy(dtype=float), a.flat_tilt_deg)
    main_az, second = _planes(frame, pitched, tilt, a)[:2]
    codes, _ = _class_corners(pitched, tilt, main_az, second, a)
    return np.nan_to_num(_decode(np.unique(codes.ravel())), nan=-1.0)


def _distance_to_weather_km(total_bounds: np.ndarray, crs, weather: Weather) -> float:
    """Geodesic distance (WGS84 ellipsoid), km, from the rooftops' bounding-box centre to the weather site."""
    if not np.isfinite(total_bounds).all():
        return 0.0
    minx, miny, maxx, maxy = total_bounds
    crs = pyproj.CRS.from_user_input(crs)
    if not crs.equals("EPSG:4326"):  # the bounding box, not every footprint, reprojected
        transformer = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        minx, miny, maxx, maxy = transformer.transform_bounds(minx, miny, maxx, maxy, densify_pts=21)
    lon, lat = (minx + maxx) / 2.0, (miny + maxy) / 2.0
    return float(_GEOD.inv(lon, lat, weather.longitude, weather.latitude)[2]) / 1000.0


def solar_metadata(a: PVAssumptions, weather: Weather, repairs: list[str]) -> dict:
    """The dict kept in ``result.attrs["solar"]`` and written as the assumptions sheet."""
    info = {
        "method": "pvlib PVWatts chain per orientation class (siting.solar)",
        **a.as_dict(),
        "lcoe_formula": economics.LCOE_FORMULA,
        "capital_recovery_factor": round(economics.capital_recovery_factor(a.discount_rate, a.lifetime_years), 6),
        **weather.describe(),
        "rooftop_repairs": "; ".join(repairs) or "none",
    }
    return {k: (v if isinstance(v, str | int | float | bool) else str(v)) for k, v in info.items()}


def _planes(frame: pd.DataFrame, pitched: np.ndarray, tilt: np.ndarray, a: PVAssumptions):
    """Main-plane azimuth, second-plane azimuth (NaN if none), all-north flag, planes used,
    planes of the roof."""
    n = len(frame)
    roof_az = frame["roof_azimuth_deg"].to_numpy(dtype=float) % 360.0
    az1 = np.where(pitched, roof_az, a.flat_azimuth_deg)
    north1 = pitched & _north_facing(az1, tilt, a)
    if a.pitched_planes == 2:
        az2 = (az1 + 180.0) % 360.0
        has2 = pitched.copy()
        north2 = pitched & _north_facing(az2, tilt, a)
    else:
        az2 = np.full(n, np.nan)
        has2 = np.zeros(n, dtype=bool)
        north2 = np.zeros(n, dtype=bool)
    valid1 = ~north1
    valid2 = has2 & ~north2
    n_planes = np.where(pitched, a.pitched_planes, 1)
    n_valid = valid1.astype(int) + valid2.astype(int)
    all_north = n_valid == 0
    # a roof whose planes all face north keeps its recorded plane (for honest values) and is
    # marked unsuitable
    use1 = valid1 | all_north
    main_az = np.where(use1, az1, az2)
    second = np.where(use1 & valid2, az2, np.nan)
    n_used = np.where(all_north, 1, n_valid)
    return main_az, second, all_north, n_used, n_planes


def _north_facing(az: np.ndarray, tilt: np.ndarray, a: PVAssumptions) -> np.ndarray:
    off_north = np.abs((az + 180.0) % 360.0 - 180.0)  # 0 = due north
    return (off_north < a.north_half_width_deg) & (tilt >= a.min_facing_tilt_deg)


_NO_AZ = 36_001  # centi-degree code of "no second plane"


def _encode(mount, tilt, az1, az2) -> np.ndarray:
    """Class keys as int64 codes (angles in centi-degrees)."""
    t = np.rint(np.asarray(tilt) * 100).astype(np.int64)
    a1 = np.rint(np.asarray(az1) * 100).astype(np.int64) % 36_000
    a2 = np.where(np.isnan(az2), _NO_AZ, np.rint(np.nan_to_num(az2) * 100) % 36_000).astype(np.int64)
    return ((np.asarray(mount, dtype=np.int64) * 10_000 + t) * 40_000 + a1) * 40_000 + a2


def _decode(codes: np.ndarray) -> np.ndarray:
    """Class keys (mount, tilt, azimuth 1, azimuth 2 or NaN) from :func:`_encode` codes."""
    codes = np.asarray(codes, dtype=np.int64)
    a2 = codes % 40_000
    rest = codes // 40_000
    a1 = rest % 40_000
    rest = rest // 40_000
    t = rest % 10_000
    mount = rest // 10_000
    return np.column_stack([mount.astype(float), t / 100.0, a1 / 100.0, np.where(a2 == _NO_AZ, np.nan, a2 / 100.0)])


def _class_corners(pitched, tilt, az1, az2, a: PVAssumptions) -> tuple[np.ndarray, np.ndarray]:
    """Four grid classes around each rooftop's orientation and their bilinear weights.

    Tilts are gridded every ``tilt_step_deg``, azimuths every ``azimuth_step_deg``; a gable's
    second plane stays opposite the first.  Flat roofs are one exact class (weights 1, 0, 0, 0).
    """
    n = len(tilt)
    codes = np.empty((n, 4), dtype=np.int64)
    weights = np.zeros((n, 4))
    flat = ~pitched
    codes[flat] = _encode(0, a.flat_tilt_deg, a.flat_azimuth_deg % 360.0, np.nan)
    weights[flat, 0] = 1.0
    rows = np.flatnonzero(pitched)
    if not len(rows):
        return codes, weights
    ts, azs = a.tilt_step_deg, a.azimuth_step_deg
    tilt, az1, az2 = tilt[rows], az1[rows], az2[rows]
    t0 = np.minimum(np.floor(tilt / ts) * ts, 90.0)
    t1 = np.minimum(t0 + ts, 90.0)
    ft = np.where(t1 > t0, (tilt - t0) / np.maximum(t1 - t0, 1e-9), 0.0)
    m0 = np.floor(az1 / azs) * azs
    fa = (az1 - m0) / azs
    m1 = m0 + azs
    pair = ~np.isnan(az2)
    corners = ((t0, m0, (1 - ft) * (1 - fa)), (t1, m0, ft * (1 - fa)), (t0, m1, (1 - ft) * fa), (t1, m1, ft * fa))
    for k, (tc, mc, wk) in enumerate(corners):  # four corners, each vectorised
        mc = mc % 360.0
        opp = (mc + 180.0) % 360.0
        lo = np.where(pair, np.fmin(mc, opp), mc)
        hi = np.where(pair, np.fmax(mc, opp), np.nan)
        codes[rows, k] = _encode(1, tc, lo, hi)
        weights[rows, k] = wk
    return codes, weights


def _add_money_and_co2(out: pd.DataFrame, kwp: np.ndarray, kwh: np.ndarray, a: PVAssumptions) -> None:
    out["tco2_avoided_per_year"] = np.round(kwh * a.grid_factor_kg_per_kwh / 1000.0, 3)
    capex = kwp * 1000.0 * a.capex_cny_per_w
    tariff = (
        a.self_consumption_share * a.retail_tariff_cny_per_kwh
        + (1.0 - a.self_consumption_share) * a.export_tariff_cny_per_kwh
    )
    value = kwh * tariff - kwp * 1000.0 * a.opex_cny_per_w_year
    with np.errstate(divide="ignore", invalid="ignore"):
        payback = np.where(value > 0, capex / value, np.nan)
    out["capex_cny"] = np.round(capex, 0)
    out["value_cny_per_year"] = np.round(value, 0)
    out["payback_years"] = np.round(payback, 2)
    out["lcoe_cny_per_kwh"] = np.round(economics.lcoe_cny_per_kwh(kwp, kwh, assumptions=a), 4)


def shading_factors(
    frame: gpd.GeoDataFrame,
    measures: tuple[np.ndarray, np.ndarray, np.ndarray],
    metric: pyproj.CRS,
    class_index: np.ndarray,
    table: _yield.ClassTable,
    a: PVAssumptions,
    *,
    neighbours: gpd.GeoDataFrame | None = None,
) -> np.ndarray:
    """Shading factor (share of unshaded output kept) of each rooftop of ``frame``.

    ``measures``: centroid x, y (m) and bounds (m, shape (n, 4)) in CRS ``metric``
    (:func:`siting.solar._footprints.metric_measures`).
    """
    horizon = _start_scan(frame, measures, metric, a, neighbours).result()[: len(frame)]
    return _shading.shading_factor(horizon, class_index, table.shade_table)


def _start_scan(
    frame: gpd.GeoDataFrame,
    measures: tuple[np.ndarray, np.ndarray, np.ndarray],
    metric: pyproj.CRS,
    a: PVAssumptions,
    neighbours: gpd.GeoDataFrame | None,
) -> _shading.HorizonScan:
    """The neighbour scan of ``frame``'s rooftops (and ``neighbours`` as shade casters only),
    started on ``_threads() - 1`` background threads; its first ``len(frame)`` rows are theirs."""
    x, y, bounds = measures
    h = frame["height_m"].to_numpy(dtype=float)
    long_, short = _half_sides(bounds)
    if neighbours is not None and len(neighbours):
        nb, _ = prepare_rooftops(neighbours, assumptions=a)
        _, nb_x, nb_y, nb_bounds = _footprints.metric_measures(nb.geometry.values, nb.crs, metric, threads=_threads())
        nb_long, nb_short = _half_sides(nb_bounds)
        x = np.concatenate([x, nb_x])
        y = np.concatenate([y, nb_y])
        h = np.concatenate([h, nb["height_m"].to_numpy(dtype=float)])
        long_ = np.concatenate([long_, nb_long])
        short = np.concatenate([short, nb_short])
    return _shading.HorizonScan(
        x,
        y,
        h,
        long_,
        short,
        sectors=a.shading_sectors,
        min_elevation_deg=a.shading_min_elevation_deg,
        max_distance_m=a.shading_max_distance_m,
        background=_threads() - 1,
    )


def _threads() -> int:
    """Threads for the compiled and PROJ steps: the cores this process may use, at most 2."""
    return min(2, len(os.sched_getaffinity(0))) if hasattr(os, "sched_getaffinity") else 1


def _half_sides(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w, d = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    return np.fmax(w, d) / 2.0, np.fmin(w, d) / 2.0


def rank_within_county(result: pd.DataFrame, *, rank_by: str = "kwh_per_year") -> pd.Series:
    """Rank suitable rooftops within their county (1 = best; unsuitable → <NA>).

    ``payback_years`` ranks ascending, every other column descending; ties share the
    best rank (``method="min"``).
    """
    ascending = rank_by == "payback_years"
    n = len(result)
    values = result[rank_by].to_numpy(dtype=float, na_value=np.nan)
    if "county" in result:
        group, _ = pd.factorize(result["county"].fillna(""))  # NA ranks with "" as before
    else:
        group = np.zeros(n, dtype=np.int64)
    rows = np.flatnonzero(result["suitable"].to_numpy(dtype=bool) & ~np.isnan(values))
    key = values[rows] if ascending else -values[rows]
    # by county, then best first: as np.lexsort((key, group)), two stable sorts (the second
    # one a radix sort of small integers)
    by_key = np.argsort(key, kind="stable")
    order = by_key[np.argsort(group[rows][by_key], kind="stable")]
    g, k = group[rows][order], key[order]
    position = np.arange(len(order))
    new_group = np.r_[True, g[1:] != g[:-1]] if len(order) else np.zeros(0, dtype=bool)
    new_value = new_group | (np.r_[True, k[1:] != k[:-1]] if len(order) else new_group)
    first_of_group = np.maximum.accumulate(np.where(new_group, position, 0))
    first_of_value = np.maximum.accumulate(np.where(new_value, position, 0))  # ties: the best rank
    ranks = np.zeros(n, dtype=np.int64)
    ranks[rows[order]] = first_of_value - first_of_group + 1
    return pd.Series(pd.arrays.IntegerArray(ranks, ranks == 0), index=result.index)


# -- input checks -----------------------------------------------------------------------------
def prepare_rooftops(rooftops: gpd.GeoDataFrame, *, assumptions: PVAssumptions) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Check a rooftops frame (:func:`layers.conform`) and fill missing optional columns.

    :func:`layers.conform` raises InputError for: not a GeoDataFrame or no CRS; empty or
    non-polygon geometries; a ``use_class`` without a share in ``assumptions.use_shares``; an
    unknown ``roof_type``; non-numeric or negative ``height_m`` / ``roof_tilt_deg``; duplicate
    ids.  Here, in the same message shape: ``roof_tilt_deg`` above 90; a ``roof_area_m2`` ≤ 0.
    Repairs (returned, reported): missing columns and empty values take the schema default;
    azimuths outside 0–360 are wrapped.
    """
    frame, repairs = conform(
        rooftops, "rooftops", context="rooftops", choices={"use_class": tuple(assumptions.use_shares)}
    )
    tilt = frame["roof_tilt_deg"].to_numpy()
    steep = tilt > 90
    if steep.any():
        msg = (
            f"rooftops: column 'roof_tilt_deg' of layer 'rooftops' must be ≤ 90; found "
            f"{tilt[steep][:3].tolist()} in {describe_rows(frame['id'].to_numpy()[steep])}; "
            f"give the roof plane's angle from horizontal in degrees"
        )
        raise InputError(msg)
    az = frame["roof_azimuth_deg"].to_numpy()
    wrap = (az < 0) | (az >= 360)
    if wrap.any():
        frame["roof_azimuth_deg"] = az % 360.0
        repairs.append(f"roof_azimuth_deg: {int(wrap.sum())} values wrapped into 0–360°")
    if "roof_area_m2" in frame.columns:
        ra = pd.to_numeric(frame["roof_area_m2"], errors="coerce").to_numpy(dtype=float)
        bad_area = ra <= 0
        if bad_area.any():
            msg = (
                f"rooftops: column 'roof_area_m2' of layer 'rooftops' must be > 0; found "
                f"{ra[bad_area][:3].tolist()} in {describe_rows(frame['id'].to_numpy()[bad_area])}; give the "
                f"roof area in m² or leave it empty to use the footprint"
            )
            raise InputError(msg)
        frame["roof_area_m2"] = ra
    if "county" not in rooftops.columns:
        repairs.append("no county column: rooftops are ranked as one group")
    return frame, repairs


# -- shortlists and roll-ups ------------------------------------------------------------------
def resolve_county(name: str) -> str:
    """Adcode of a county given by Chinese name, English name or adcode (InputError if unknown).

    Short forms work when unambiguous: ``"襄城"``, ``"xiangcheng"``.
    """
    text = str(name).strip()
    if text in COUNTIES:
        return text
    low = text.lower()
    exact = [code for code, (zh, en) in COUNTIES.items() if text == zh or low == en.lower()]
    if exact:
        return exact[0]
    partial = [code for code, (zh, en) in COUNTIES.items() if zh.startswith(text) or en.lower().startswith(low)]
    if len(partial) == 1:
        return partial[0]
    choices = ", ".join(f"{zh} {en} {code}" for code, (zh, en) in COUNTIES.items())
    msg = f"unknown county {name!r}; use a Chinese name, English name or adcode: {choices}"
    raise InputError(msg)


def shortlist(
    result: pd.DataFrame,
    *,
    county: str | None = None,
    park: str | None = None,
    use_class: str | Iterable[str] | None = None,
    min_kwp: float = 0.0,
    min_kwh_per_kwp: float = 0.0,
    top: int | None = None,
    include_unsuitable: bool = False,
    rank_by: str | None = None,
) -> pd.DataFrame:
    """Filter and order rooftops for a shortlist.

    Parameters
    ----------
    result : DataFrame
        From :func:`rooftop_potential`.
    county : str, optional
        Chinese name, English name or adcode (:func:`resolve_county`).
    park : str, optional
        ``park_id`` of an industrial park.
    use_class : str or list of str, optional
        Keep only these use classes.
    min_kwp, min_kwh_per_kwp : float
        Lower bounds on capacity (kWp) and specific yield (kWh/kWp).
    top : int, optional
        Keep the best ``top`` rooftops (by the ranking column, across the filter).
    include_unsuitable : bool
        Keep unsuitable rooftops too (they sort last).
    rank_by : str, optional
        Ordering column; default the one the result was ranked by (``attrs["solar"]``),
        else ``kwh_per_year``.  ``payback_years`` sorts ascending, others descending.

    Returns
    -------
    DataFrame
        Same columns, best first (by the column the county rank used).
    """
    rank_by = rank_by or result.attrs.get("solar", {}).get("rank_by", "kwh_per_year")
    if rank_by not in result.columns:
        msg = f"cannot order a shortlist by {rank_by!r}: no such column"
        raise InputError(msg)
    mask = np.ones(len(result), dtype=bool)
    if not include_unsuitable:
        mask &= result["suitable"].to_numpy(dtype=bool)
    if county is not None:
        mask &= (result["county"] == resolve_county(county)).to_numpy(dtype=bool)
    if park is not None:
        if "park_id" not in result.columns:
            msg = "rooftops have no park_id column; cannot filter by park"
            raise InputError(msg)
        mask &= (result["park_id"] == str(park)).fillna(False).to_numpy(dtype=bool)
    if use_class is not None:
        classes = [use_class] if isinstance(use_class, str) else list(use_class)
        unknown = sorted(set(classes) - set(result["use_class"].unique()) - set(PVAssumptions().use_shares))
        if unknown:
            msg = f"unknown use class(es) {', '.join(unknown)}; use {', '.join(PVAssumptions().use_shares)}"
            raise InputError(msg)
        mask &= result["use_class"].isin(classes).to_numpy()
    if min_kwp < 0 or min_kwh_per_kwp < 0:
        msg = "min_kwp and min_kwh_per_kwp must be ≥ 0"
        raise InputError(msg)
    mask &= (result["kwp"] >= min_kwp).to_numpy() & (result["kwh_per_kwp"] >= min_kwh_per_kwp).to_numpy()
    if top is not None and int(top) < 1:
        msg = f"top must be ≥ 1, got {top}"
        raise InputError(msg)
    # order positions on arrays, then copy only the rows kept (not the whole frame twice)
    rows = np.flatnonzero(mask)
    ascending = rank_by == "payback_years"
    values = result[rank_by].to_numpy(dtype=float, na_value=np.nan)[rows]
    order = np.lexsort(
        (
            np.where(np.isnan(values), np.inf if ascending else -np.inf, values) * (1 if ascending else -1),
            ~result["suitable"].to_numpy(dtype=bool)[rows],
        )
    )
    rows = rows[order]
    if top is not None:
        rows = rows[: int(top)]
    out = result.iloc[rows].copy()
    out.attrs = dict(result.attrs)
    return out


def county_rollup(result: pd.DataFrame, *, by_use_class: bool = False) -> pd.DataFrame:
    """Suitable rooftops summed per county (and per use class): count, MWp, GWh/yr, tCO2/yr.

    A last row ``total`` sums every county.
    """
    ok = result[result["suitable"].to_numpy(dtype=bool)]
    keys = ["county", "use_class"] if by_use_class else ["county"]
    grouped = ok.groupby([ok[k].fillna("") for k in keys], sort=True).agg(
        rooftops=("kwp", "size"),
        usable_m2=("usable_m2", "sum"),
        kwp=("kwp", "sum"),
        kwh=("kwh_per_year", "sum"),
        tco2=("tco2_avoided_per_year", "sum"),
    )
    table = pd.DataFrame(
        {
            "rooftops": grouped["rooftops"].astype(int),
            "usable_km2": (grouped["usable_m2"] / 1e6).round(4),
            "mwp": (grouped["kwp"] / 1000.0).round(3),
            "gwh_per_year": (grouped["kwh"] / 1e6).round(4),
            "tco2_per_year": grouped["tco2"].round(1),
        }
    ).reset_index()
    names = table["county"].map(lambda c: COUNTIES.get(c, ("", ""))[0])
    names_en = table["county"].map(lambda c: COUNTIES.get(c, ("", ""))[1])
    table.insert(1, "county_name", names)
    table.insert(2, "county_name_en", names_en)
    total = {
        "county": "total",
        "county_name": "合计",
        "county_name_en": "Total",
        "rooftops": int(table["rooftops"].sum()),
        "usable_km2": round(float(table["usable_km2"].sum()), 4),
        "mwp": round(float(table["mwp"].sum()), 3),
        "gwh_per_year": round(float(table["gwh_per_year"].sum()), 4),
        "tco2_per_year": round(float(table["tco2_per_year"].sum()), 1),
    }
    if by_use_class:
        total["use_class"] = ""
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def export_shortlist(
    frame: pd.DataFrame,
    path,
    *,
    fmt: str | None = None,
    assumptions: dict | None = None,
    layer: str = "rooftop_pv",
    presentation=None,
):
    """Write a shortlist (CSV with BOM, XLSX with an assumptions sheet, GPKG, GeoJSON, SHP).

    ``assumptions`` defaults to ``frame.attrs["solar"]``; ``presentation`` (a
    :class:`layers.export.Presentation`) writes headers in a language.  Returns the path written.
    """
    from layers.export import export_frame

    meta = assumptions if assumptions is not None else frame.attrs.get("solar", {})
    return export_frame(frame, path, fmt=fmt, layer=layer, assumptions=meta, presentation=presentation)
