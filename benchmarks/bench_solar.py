"""Benchmark: rooftop PV for N synthetic rooftops read from GeoParquet → yields, ranks, shortlist.

Run::

    python benchmarks/bench_solar.py                 # 1,000,000 rooftops, 3 repeats, 1,000-loop
    python benchmarks/bench_solar.py --n 20000 --repeats 1 --loop-n 50   # quick
    python benchmarks/bench_solar.py --engine dask --n 200000

Each repeat runs in a fresh Python process (cold pvlib class cache, clean peak memory):
read GeoParquet → :func:`siting.solar.rooftop_potential` (per-class pvlib, neighbour shading,
county ranks) → :func:`siting.solar.shortlist` (top 1,000) → CSV.  Printed: median wall time
and the child's peak RSS (``resource.getrusage``).  Then a per-rooftop loop of direct pvlib
``ModelChain`` runs (no shading, so it flatters the loop) on ``--loop-n`` rooftops gives the
speed-up per rooftop.  Targets (issue 3): ≤ 60 s and ≤ 6 GB for 1,000,000 rooftops on 2 cores,
≥ 1,000× per rooftop.  Everything is written to a temporary folder, nothing into the repo.

The synthetic city (``source="synthetic"``): towns of jittered lattices of buildings 25–45 m
apart, heights by use class (a few 60–100 m towers), 35 % pitched roofs with integer-degree
tilts of 15–35° facing mostly south (normal, sd 25°), rural homes in sparse villages.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from siting.solar.synthetic import synthetic_rooftops as synth_rooftops


def child(parquet: str, out: str, engine: str) -> None:
    """One timed run in this process; prints a JSON line with wall time and peak RSS."""
    t0 = time.perf_counter()
    import geopandas as gpd

    from siting.solar import default_weather, export_shortlist, rooftop_potential, shortlist

    weather = default_weather()
    if engine == "dask":
        from siting.solar import scale

        ddf = scale.read_rooftops(parquet)
        result = scale.potential_dask(ddf, weather).persist(scheduler="threads")
        best = scale.shortlist_dask(result, top=1000)
        n = int(result.map_partitions(len).compute().sum())
        best.attrs["solar"] = scale.metadata(weather, None)
        classes = -1
    else:
        rooftops = gpd.read_parquet(parquet)
        result = rooftop_potential(rooftops, weather)
        best = shortlist(result, top=1000)
        n = len(result)
        classes = int(result.groupby(["array_tilt_deg", "array_azimuth_deg", "roof_type"]).ngroups)
    export_shortlist(best, out)
    wall = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = usage.ru_maxrss / 1024.0
    print(
        json.dumps(
            {
                "wall_s": wall,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "peak_mb": peak_mb,
                "rows": n,
                "shortlist": len(best),
                "orientations": classes,
            }
        )
    )


def loop_reference(frame, n_loop: int) -> tuple[float, float]:
    """Seconds per rooftop of a direct ModelChain loop, and the vectorised result's kWh error."""
    from siting.solar import PVAssumptions, default_weather, rooftop_potential
    from siting.solar._yield import MOUNT_FLAT, MOUNT_PITCHED, modelchain_kwh

    a = PVAssumptions()
    weather = default_weather()
    sample = frame.sample(n=min(n_loop, len(frame)), random_state=1)
    res = rooftop_potential(sample, weather, shading=False)
    t0 = time.perf_counter()
    errors = []
    for row in res.itertuples():  # the per-rooftop loop being compared against
        if row.roof_type == "pitched":
            az = (
                [row.array_azimuth_deg]
                if row.array_planes == 1
                else [row.array_azimuth_deg, (row.array_azimuth_deg + 180) % 360]
            )
            kwh = modelchain_kwh(row.array_tilt_deg, az, row.kwp, MOUNT_PITCHED, weather, a)
        else:
            kwh = modelchain_kwh(a.flat_tilt_deg, [a.flat_azimuth_deg], row.kwp, MOUNT_FLAT, weather, a)
        if row.kwp >= 1:
            errors.append(abs(row.kwh_per_year / kwh - 1))
    per = (time.perf_counter() - t0) / len(res)
    return per, max(errors) if errors else float("nan")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1_000_000, help="synthetic rooftops")
    p.add_argument("--repeats", type=int, default=3, help="timed runs (median reported)")
    p.add_argument("--loop-n", type=int, default=1000, help="rooftops in the ModelChain loop (0: skip)")
    p.add_argument("--engine", choices=("pandas", "dask"), default="pandas")
    p.add_argument("--partitions", type=int, default=8, help="GeoParquet parts for --engine dask")
    p.add_argument("--child", nargs=2, metavar=("PARQUET", "OUT"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.engine)
        return

    with tempfile.TemporaryDirectory(prefix="bench-solar-") as tmp:
        t0 = time.perf_counter()
        frame = synth_rooftops(args.n)
        if args.engine == "dask":
            import dask_geopandas

            path = Path(tmp) / "rooftops"
            # spatially compact partitions (Hilbert order), as a province's tiles would be
            order = np.argsort(frame.geometry.hilbert_distance().to_numpy(), kind="stable")
            dask_geopandas.from_geopandas(frame.iloc[order], npartitions=args.partitions, sort=False).to_parquet(path)
        else:
            path = Path(tmp) / "rooftops.parquet"
            frame.to_parquet(path)
        print(f"setup: {args.n:,} synthetic rooftops → {path.name} in {time.perf_counter() - t0:.1f} s")
        runs = []
        for i in range(args.repeats):
            out = Path(tmp) / f"shortlist{i}.csv"
            proc = subprocess.run(
                [sys.executable, __file__, "--engine", args.engine, "--child", str(path), str(out)],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                print(proc.stderr[-3000:])
                raise SystemExit(proc.returncode)
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(
                f"run {i + 1}: {runs[-1]['wall_s']:.1f} s wall, {runs[-1]['cpu_s']:.1f} s CPU, "
                f"peak {runs[-1]['peak_mb']:,.0f} MB, "
                f"{runs[-1]['rows']:,} rooftops, shortlist {runs[-1]['shortlist']} rows"
            )
        wall = statistics.median(r["wall_s"] for r in runs)
        peak = max(r["peak_mb"] for r in runs)
        cpu = statistics.median(r["cpu_s"] for r in runs)
        print(f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared machine)")
        print(
            f"engine {args.engine}: median wall {wall:.1f} s (target ≤ 60 s), median CPU {cpu:.1f} s, "
            f"peak memory {peak / 1024:.2f} GB (target ≤ 6 GB) for {args.n:,} rooftops"
        )
        if args.loop_n:
            per_loop, err = loop_reference(frame, args.loop_n)
            per_vec = wall / args.n
            print(
                f"ModelChain loop: {per_loop * 1000:.1f} ms per rooftop on {args.loop_n} rooftops "
                f"(max |error| of the vectorised kWh {err * 100:.3f} %); vectorised "
                f"{per_vec * 1e6:.1f} µs per rooftop incl. read, shading, ranks, export → "
                f"{per_loop / per_vec:,.0f}× per rooftop (target ≥ 1,000×)"
            )


if __name__ == "__main__":
    main()
