"""Province scale: the same rooftop PV functions, partition-wise on dask-geopandas.

For tens of millions of buildings stored as partitioned GeoParquet::

    from siting.solar.scale import read_rooftops, potential_dask, shortlist_dask, rollup_dask
    ddf = read_rooftops("hubei_rooftops/")                       # dask-geopandas
    result = potential_dask(ddf, weather, assumptions=a)         # lazy, one task per partition
    best = shortlist_dask(result, county="谷城县", min_kwp=30, top=1000)   # pandas
    per_county = rollup_dask(result)

Steps: (1) one light pass collects the distinct orientation classes of every partition;
(2) pvlib runs once per class on the client (:func:`siting.solar._yield.class_table`) and the
table is shipped to the workers (scattered on a dask.distributed cluster); (3)
:func:`siting.solar.rooftop_potential` runs on each partition with that table; (4) county
ranks take a second pass: the ranked column of suitable rooftops is gathered per county,
sorted, and each partition ranks its rows by binary search (``method="min"`` ranks, the same
as the pandas engine).

Shading across partition edges: with ``halo=True`` (default) each partition also receives
the buildings of the partitions whose bounds come within ``shading_max_distance_m`` of its
own, as shade casters only, so results equal the single-frame engine.  That is cheap when
partitions are spatially compact (written per county or grid tile, or after
:meth:`dask_geopandas.GeoDataFrame.spatial_shuffle`) and costly when every partition spans the
whole region (then every partition reads all others).
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from geo.errors import InputError
from siting.solar import _yield
from siting.solar.assumptions import PVAssumptions
from siting.solar.potential import (
    MONTH_COLUMNS,
    county_rollup,
    orientation_classes,
    rooftop_potential,
    shortlist,
    solar_metadata,
)
from siting.solar.weather import Weather, default_weather


def read_rooftops(path: str | os.PathLike, *, npartitions: int | None = None):
    """Open rooftops from GeoParquet (a file or a folder of parts) as dask-geopandas, lazily."""
    import dask_geopandas

    path = Path(path)
    if not path.exists():
        msg = f"rooftops {path} does not exist; give a GeoParquet file or folder"
        raise InputError(msg)
    try:
        ddf = dask_geopandas.read_parquet(str(path))
    except Exception as exc:
        msg = f"rooftops {path}: cannot read as GeoParquet ({type(exc).__name__}: {exc})"
        raise InputError(msg) from None
    if npartitions and ddf.npartitions < npartitions:
        ddf = ddf.repartition(npartitions=npartitions)
    return ddf


#: Rooftops per partition when none is given (a partition's shading pairs stay < ~1 GB).
ROOFTOPS_PER_PARTITION = 250_000


def read_project_rooftops(project, *, npartitions: int | None = None):
    """The project's ``rooftops`` layer as dask-geopandas, read partition-wise from its GeoPackage.

    Each partition reads one range of rows (``npartitions`` ranges; default one per
    :data:`ROOFTOPS_PER_PARTITION` rooftops), so no process holds the whole layer.  The ranges
    follow the stored order, which need not be spatial: pass the frame to
    :func:`spatially_compact` before shading.  Workers must see the project folder.
    """
    import dask
    import dask.dataframe as dd
    import dask_geopandas  # noqa: F401  (registers the GeoDataFrame collection)
    import pyogrio

    n = int(pyogrio.read_info(project.gpkg_path, layer="rooftops")["features"])
    if npartitions is None:
        npartitions = -(-n // ROOFTOPS_PER_PARTITION)
    if npartitions < 1:
        msg = f"partitions must be at least 1, got {npartitions}"
        raise InputError(msg)
    npartitions = max(1, min(int(npartitions), n))
    size = -(-n // npartitions) if n else 1
    meta = project.read("rooftops", max_features=1).iloc[:0]
    parts = [dask.delayed(_read_rows)(str(project.path), start, size) for start in range(0, max(n, 1), size)]
    return dd.from_delayed(parts, meta=meta, verify_meta=False)


def _read_rows(project_dir: str, start: int, count: int) -> gpd.GeoDataFrame:
    from layers.project import Project

    return Project.open(project_dir).read("rooftops", skip_features=start, max_features=count)


def spatially_compact(
    ddf, folder: str | os.PathLike, *, npartitions: int | None = None, total_bounds: tuple | None = None
):
    """Rooftops sorted along a Hilbert curve into compact partitions, staged as GeoParquet.

    As :meth:`dask_geopandas.GeoDataFrame.spatial_shuffle`: one bounds pass (skipped when
    ``total_bounds`` is given, e.g. from the layer's metadata), Hilbert distances per
    partition, one shuffle (``set_index``); the shuffled frame is written to ``folder``
    (partitioned GeoParquet) and opened again, so the later passes (orientation classes,
    partition bounds, yields) read compact parts from disk instead of shuffling again.
    Neighbouring partitions then overlap only along their edges: the shading halo is small.
    """
    npartitions = npartitions or ddf.npartitions
    if total_bounds is None:
        bounds_meta = pd.DataFrame({c: pd.Series(dtype=float) for c in ("minx", "miny", "maxx", "maxy")})
        b = ddf.map_partitions(_bounds_part, meta=bounds_meta).compute().to_numpy()
        total_bounds = (np.nanmin(b[:, 0]), np.nanmin(b[:, 1]), np.nanmax(b[:, 2]), np.nanmax(b[:, 3]))
    key = ddf.map_partitions(_hilbert_part, tuple(float(v) for v in total_bounds), meta=("hilbert", "int64"))
    shuffled = ddf.assign(_hilbert=key).set_index("_hilbert", npartitions=npartitions, sort=True)
    shuffled.to_parquet(str(folder), write_index=False)
    return read_rooftops(folder)


def _hilbert_part(part: gpd.GeoDataFrame, total_bounds: tuple) -> pd.Series:
    return part.geometry.hilbert_distance(total_bounds=total_bounds, level=16).astype("int64")


def from_frame(rooftops: gpd.GeoDataFrame, *, npartitions: int = 4):
    """A dask-geopandas frame of an in-memory rooftops layer (tests, small runs)."""
    import dask_geopandas

    return dask_geopandas.from_geopandas(rooftops, npartitions=npartitions)


def _keys_of(part: gpd.GeoDataFrame, a: PVAssumptions) -> pd.DataFrame:
    keys = orientation_classes(part, assumptions=a) if len(part) else np.zeros((0, 4))
    return pd.DataFrame(keys, columns=["mount", "tilt", "az1", "az2"])


def class_table_for(ddf, weather: Weather, assumptions: PVAssumptions) -> _yield.ClassTable:
    """Distinct orientation classes over every partition (one light pass), then pvlib per class."""
    meta = pd.DataFrame({c: pd.Series(dtype=float) for c in ("mount", "tilt", "az1", "az2")})
    keys = ddf.map_partitions(_keys_of, assumptions, meta=meta).drop_duplicates().compute()
    arr = np.unique(keys.to_numpy(dtype=float), axis=0)
    arr[:, 3] = np.where(arr[:, 3] < 0, np.nan, arr[:, 3])
    return _yield.class_table(arr, weather, assumptions)


def _potential_part(
    part: gpd.GeoDataFrame, weather: Weather, a: PVAssumptions, table: _yield.ClassTable, shading: bool, monthly: bool
) -> gpd.GeoDataFrame:
    out = rooftop_potential(part, weather, assumptions=a, shading=shading, monthly=monthly, rank=False, classes=table)
    out.attrs = {}
    return _plain_strings(out)


def _plain_strings(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Text columns as the pandas engine has them (dask reads Parquet text as NA-valued strings)."""
    for col in frame.columns:
        dtype = frame[col].dtype
        if isinstance(dtype, pd.StringDtype) and dtype.na_value is pd.NA:
            frame[col] = frame[col].astype(pd.StringDtype(storage=dtype.storage, na_value=np.nan))
    return frame


def potential_dask(
    ddf,
    weather: Weather | None = None,
    *,
    assumptions: PVAssumptions | None = None,
    shading: bool = True,
    monthly: bool = True,
    halo: bool = True,
    persist: bool = True,
    stage: str | os.PathLike | None = None,
    table: _yield.ClassTable | None = None,
    client=None,
):
    """:func:`siting.solar.rooftop_potential` on every partition of a dask-geopandas frame.

    Parameters
    ----------
    ddf : dask_geopandas.GeoDataFrame
        Rooftops (rooftops-layer columns).
    weather : Weather, optional
        Default :func:`siting.solar.default_weather`.
    assumptions : PVAssumptions, optional
        Default ``PVAssumptions()``.
    shading, monthly : bool
        As in :func:`rooftop_potential`.
    halo : bool
        Give each partition the buildings of neighbouring partitions within
        ``shading_max_distance_m`` of its bounds as shade casters (exact shading across
        partition edges; costs a bounds pass and extra reads).
    persist : bool
        Persist the unranked result before the rank pass (memory: the whole result, spread
        over the cluster's workers); without it (and without ``stage``) the yields are
        computed twice.
    stage : path, optional
        Instead of persisting, write the unranked result to this folder (partitioned
        GeoParquet, visible to every worker) and rank from it: memory stays per partition,
        which is how a province runs on workers of a few GB.
    table : ClassTable, optional
        The class table if already computed (:func:`class_table_for`).
    client : distributed.Client, optional
        When given, the class table and weather are scattered to the workers once.

    Returns
    -------
    dask_geopandas.GeoDataFrame
        Lazy result with ``county_rank`` filled (second pass), ``attrs["solar"]`` unset;
        use :func:`metadata` for the assumptions sheet.
    """
    a = assumptions or PVAssumptions()
    weather = weather or default_weather()
    table = table if table is not None else class_table_for(ddf, weather, a)
    head = ddf._meta if hasattr(ddf, "_meta") else ddf.head(0)
    meta = _potential_part(head.iloc[:0], weather, a, table, shading, monthly)
    if client is not None:
        weather_arg, table_arg = client.scatter([weather, table], broadcast=True)
    else:
        weather_arg, table_arg = weather, table
    if shading and halo and ddf.npartitions > 1:
        result = _with_halo(ddf, weather_arg, a, table_arg, monthly, meta)
    else:
        result = ddf.map_partitions(_potential_part, weather_arg, a, table_arg, shading, monthly, meta=meta)
    if stage is not None:
        import dask_geopandas

        # computed once, partition by partition, to disk; the rank pass reads it back
        result.to_parquet(str(stage), write_index=False)
        result = dask_geopandas.read_parquet(str(stage))
    elif persist:
        # the rank pass reads the result once more: keep it (in the cluster's memory) rather
        # than computing yields and shading twice
        result = result.persist(**({} if client is not None else {"scheduler": "threads"}))
    return rank_dask(result, rank_by=a.rank_by)


def _bounds_part(part: gpd.GeoDataFrame) -> pd.DataFrame:
    b = part.total_bounds if len(part) else np.full(4, np.nan)
    return pd.DataFrame([b], columns=["minx", "miny", "maxx", "maxy"])


def _with_halo(ddf, weather, a: PVAssumptions, table, monthly: bool, meta):
    """One task per partition, given the rows of overlapping partitions near its bounds."""
    import dask
    import dask.dataframe as dd

    bounds_meta = pd.DataFrame({c: pd.Series(dtype=float) for c in ("minx", "miny", "maxx", "maxy")})
    bounds = ddf.map_partitions(_bounds_part, meta=bounds_meta).compute().to_numpy()
    # degrees covering shading_max_distance_m at the highest latitude present (conservative)
    lat = np.nanmax(np.abs(bounds[:, [1, 3]])) if np.isfinite(bounds).any() else 0.0
    geod = pyproj.Geod(ellps="WGS84")
    pad_lat = geod.fwd(0.0, 0.0, 0.0, a.shading_max_distance_m)[1]  # north from the equator: most degrees
    pad_lon = geod.fwd(0.0, min(float(lat), 89.0), 90.0, a.shading_max_distance_m)[0]  # east at that latitude
    parts = ddf.to_delayed()
    tasks = []
    for i, part in enumerate(parts):  # one task per partition (not per rooftop)
        box = bounds[i] + np.array([-pad_lon, -pad_lat, pad_lon, pad_lat])
        near = [
            parts[j]
            for j in range(len(parts))
            if j != i
            and np.isfinite(bounds[j]).all()
            and np.isfinite(box).all()
            and bounds[j][0] <= box[2]
            and bounds[j][2] >= box[0]
            and bounds[j][1] <= box[3]
            and bounds[j][3] >= box[1]
        ]
        # each neighbour's strip within the padded box is cut in its own small task, so a
        # partition is held in memory only until its strips are cut, not until every
        # neighbour's yields are done
        strips = [dask.delayed(_strip)(p, box) for p in near]
        tasks.append(dask.delayed(_potential_halo_part)(part, strips, weather, a, table, monthly))
    return dd.from_delayed(tasks, meta=meta, verify_meta=False)


def _strip(part: gpd.GeoDataFrame, box: np.ndarray) -> gpd.GeoDataFrame:
    """The rows of ``part`` intersecting ``box`` (minx, miny, maxx, maxy)."""
    return part.cx[box[0] : box[2], box[1] : box[3]] if len(part) else part


def _potential_halo_part(
    part: gpd.GeoDataFrame, strips: list, weather: Weather, a: PVAssumptions, table, monthly: bool
) -> gpd.GeoDataFrame:
    halo = None
    if strips and len(part):
        pieces = [p for p in strips if len(p)]
        if pieces:
            halo = pd.concat(pieces)
    out = rooftop_potential(
        part, weather, assumptions=a, shading=True, monthly=monthly, rank=False, classes=table, neighbours=halo
    )
    out.attrs = {}
    return _plain_strings(out)


def rank_dask(result, *, rank_by: str = "kwh_per_year"):
    """Fill ``county_rank`` (1 = best among suitable rooftops in the county) partition-wise.

    Two passes, no gathered frame: (1) each partition returns, per county, the sorted ranking
    values of its suitable rooftops (8 bytes a rooftop); they are merged per county on the
    client; (2) the merged arrays go to the workers once (one graph key) and each partition
    ranks its rows by binary search (``method="min"``, as the pandas engine).
    """
    import dask

    ascending = rank_by == "payback_years"
    pieces = dask.compute(*[dask.delayed(_sorted_values_part)(p, rank_by, ascending) for p in result.to_delayed()])
    counties = sorted({c for piece in pieces for c in piece})
    sorted_by_county = {c: np.sort(np.concatenate([p[c] for p in pieces if c in p])) for c in counties}
    del pieces
    meta = result._meta
    return result.map_partitions(_rank_part, dask.delayed(sorted_by_county), rank_by, ascending, meta=meta)


def _sorted_values_part(part: pd.DataFrame, rank_by: str, ascending: bool) -> dict[str, np.ndarray]:
    """Per county, the sorted ranking values of the partition's suitable rooftops (negated
    when larger is better)."""
    v = part[rank_by].to_numpy(dtype=float, na_value=np.nan)
    ok = part["suitable"].to_numpy(dtype=bool) & ~np.isnan(v)
    group, names = pd.factorize(part["county"].fillna("").to_numpy(dtype=object)[ok])
    v = v[ok] if ascending else -v[ok]
    return {str(name): np.sort(v[group == k]) for k, name in enumerate(names)}


def _rank_part(part: pd.DataFrame, sorted_by_county: dict, rank_by: str, ascending: bool) -> pd.DataFrame:
    part = part.copy()
    rank = np.zeros(len(part), dtype=np.int64)
    county = part["county"].fillna("").to_numpy(dtype=object)
    v = part[rank_by].to_numpy(dtype=float, na_value=np.nan)
    ok = part["suitable"].to_numpy(dtype=bool) & ~np.isnan(v)
    v = v if ascending else -v
    group, names = pd.factorize(county[ok])
    rows = np.flatnonzero(ok)
    for k, c in enumerate(names):  # one per county present in the partition
        sel = rows[group == k]
        rank[sel] = np.searchsorted(sorted_by_county[str(c)], v[sel], side="left") + 1
    part["county_rank"] = pd.arrays.IntegerArray(rank, rank == 0)
    return _plain_strings(part)


def shortlist_dask(result, **filters) -> gpd.GeoDataFrame:
    """:func:`siting.solar.shortlist` partition-wise (each partition's top N), then overall."""
    top = filters.get("top")
    parts = result.map_partitions(shortlist, **filters, meta=result._meta)
    frame = parts.compute()
    return shortlist(frame, **{**filters, "top": top})


def rollup_dask(result, *, by_use_class: bool = False) -> pd.DataFrame:
    """:func:`siting.solar.county_rollup` over a dask result (sums are partition-wise)."""
    cols = ["county", "use_class", "suitable", "kwp", "usable_m2", "kwh_per_year", "tco2_avoided_per_year"]
    small = result[cols]
    keys = ["county", "use_class"]
    agg = (
        small[small["suitable"]]
        .groupby(keys)
        .agg(
            {
                "kwp": "sum",
                "usable_m2": "sum",
                "kwh_per_year": "sum",
                "tco2_avoided_per_year": "sum",
                "suitable": "count",
            }
        )
        .compute()
    )
    # expand the sums back to a frame county_rollup understands (one row per group)
    frame = agg.rename(columns={"suitable": "n"}).reset_index()
    table = county_rollup(_weighted_rows(frame), by_use_class=by_use_class)
    counts = frame.groupby(keys if by_use_class else ["county"])["n"].sum()
    mask = table["county"] != "total"
    idx = pd.MultiIndex.from_frame(table.loc[mask, keys]) if by_use_class else table.loc[mask, "county"]
    table.loc[mask, "rooftops"] = counts.reindex(idx).to_numpy()
    table.loc[~mask, "rooftops"] = int(counts.sum())
    table["rooftops"] = table["rooftops"].astype(int)
    return table


def supply_summary_dask(result, *, benchmark_cny_per_kwh: float | None = None) -> dict:
    """:func:`siting.solar.supply_summary` of a dask result, from sums per LCOE value.

    Each partition sums kWp, kWh/yr and rooftops of its suitable rooftops per LCOE value
    (LCOE is stored to 4 decimals, so there are few values); the client adds them up and
    finds the capacity-weighted median on the cumulative kWp, as the supply curve would.
    """
    import dask

    bench = PVAssumptions().benchmark_cny_per_kwh if benchmark_cny_per_kwh is None else benchmark_cny_per_kwh
    parts = dask.compute(*[dask.delayed(_lcoe_sums_part)(p) for p in result.to_delayed()])
    table = pd.concat(parts).groupby(level=0).sum().sort_index()
    lcoe = table.index.to_numpy(dtype=float)
    kwp, kwh, count = (table[c].to_numpy() for c in ("kwp", "kwh", "rooftops"))
    below = lcoe <= bench
    total_kwp = float(kwp.sum())
    median = float("nan")
    if len(table):
        median = float(lcoe[min(int(np.searchsorted(np.cumsum(kwp), total_kwp / 2.0)), len(lcoe) - 1)])
    return {
        "rooftops": int(count.sum()),
        "mwp": total_kwp / 1000.0,
        "gwh_per_year": float(kwh.sum() / 1e6),
        "benchmark_cny_per_kwh": float(bench),
        "rooftops_below_benchmark": int(count[below].sum()),
        "mwp_below_benchmark": float(kwp[below].sum() / 1000.0),
        "gwh_per_year_below_benchmark": float(kwh[below].sum() / 1e6),
        "share_mwp_below_benchmark": float(kwp[below].sum() / total_kwp) if total_kwp > 0 else float("nan"),
        "lcoe_min_cny_per_kwh": float(lcoe.min()) if len(lcoe) else float("nan"),
        "lcoe_median_cny_per_kwh": median,
        "lcoe_max_cny_per_kwh": float(lcoe.max()) if len(lcoe) else float("nan"),
    }


def _lcoe_sums_part(part: pd.DataFrame) -> pd.DataFrame:
    lcoe = part["lcoe_cny_per_kwh"].to_numpy(dtype=float, na_value=np.nan)
    ok = part["suitable"].fillna(False).to_numpy(dtype=bool) & np.isfinite(lcoe)
    frame = pd.DataFrame(
        {
            "kwp": part["kwp"].to_numpy(dtype=float)[ok],
            "kwh": part["kwh_per_year"].to_numpy(dtype=float)[ok],
            "rooftops": np.ones(int(ok.sum()), dtype=np.int64),
        },
        index=pd.Index(lcoe[ok], name="lcoe"),
    )
    return frame.groupby(level=0).sum()


def _weighted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["suitable"] = True
    return out


def metadata(weather: Weather | None, assumptions: PVAssumptions | None) -> dict:
    """The assumptions dict for a partition-wise run (as ``result.attrs["solar"]``)."""
    meta = solar_metadata(assumptions or PVAssumptions(), weather or default_weather(), [])
    meta["rooftop_repairs"] = "not collected in partition-wise runs"
    meta["engine"] = "dask-geopandas, partition-wise (neighbour shading across partition edges by a halo)"
    return meta


__all__ = [
    "MONTH_COLUMNS",
    "class_table_for",
    "from_frame",
    "metadata",
    "potential_dask",
    "rank_dask",
    "read_project_rooftops",
    "read_rooftops",
    "rollup_dask",
    "shortlist_dask",
    "spatially_compact",
    "supply_summary_dask",
]
