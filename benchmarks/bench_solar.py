"""Benchmark: rooftop PV for N synthetic rooftops read from GeoParquet → yields, ranks, shortlist.

Run::

    python -m benchmarks.bench_solar                 # 1,000,000 rooftops, 3 repeats, 1,000-loop
    python -m benchmarks.bench_solar --n 20000 --repeats 1 --loop-n 50   # quick
    python -m benchmarks.bench_solar --engine dask --workers 2 --n 10000000 --repeats 1 --loop-n 0

Each repeat runs in a fresh Python process (cold pvlib class cache, clean peak memory):
read GeoParquet → :func:`siting.solar.rooftop_potential` (per-class pvlib, neighbour shading,
county ranks) → :func:`siting.solar.shortlist` (top 1,000) → CSV.  Printed: median wall time
and the child's peak RSS (``resource.getrusage``).  Then a per-rooftop loop of direct pvlib
``ModelChain`` runs (no shading, so it flatters the loop) on ``--loop-n`` rooftops gives the
speed-up per rooftop (the ModelChain ratio).  Targets (issue 10): ≤ 12 s and ≤ 2 GB for
1,000,000 rooftops on 2 cores.  Everything is written to a temporary folder, nothing into the
repo.

``--engine dask`` runs :func:`siting.solar.scale.potential_dask` partition-wise (GeoParquet
parts of ``--partition-size`` rooftops, halo shading, class table broadcast, unranked result
staged to disk, ranks, the ranked result written partition-wise as the results store does,
then the shortlist) on a local dask.distributed cluster of ``--workers`` single-threaded
processes capped at ``--memory-per-worker``; it prints each worker's peak RSS (and whether a
worker was restarted).  Without ``--workers`` the partitions run on local threads.

The synthetic city (:func:`siting.solar.synthetic.synthetic_rooftops`, ``source="synthetic"``):
towns of jittered lattices of buildings 25–45 m apart, heights by use class (a few 60–100 m
towers), 35 % pitched roofs, rural homes in sparse villages; 1,000,000 rooftops over
Xiangyang's 160 × 120 km.  Above 1,000,000 the city is tiled: each further million is
another such city (another seed) shifted 170 km east or 130 km north (five tiles a row), a
synthetic province of the same density, so the cost per rooftop should stay flat.
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

from siting.solar.synthetic import synthetic_rooftops as synth_rooftops


def child(parquet: str, out: str, engine: str, workers: int, memory: str) -> None:
    """One timed run in this process; prints a JSON line with wall time and peak RSS."""
    t0 = time.perf_counter()
    import geopandas as gpd

    from siting.solar import default_weather, export_shortlist, rooftop_potential, shortlist

    weather = default_weather()
    extra = {}
    if engine == "dask":
        import dask
        import dask_geopandas
        import pyarrow.parquet as pq

        from siting.solar import scale

        client = cluster = None
        if workers:
            from distributed import Client, LocalCluster

            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, memory_limit=memory, dashboard_address=None)
            client = Client(cluster)
            pids_before = sorted(client.run(os.getpid).values())
        with dask.config.set({"dataframe.shuffle.method": "tasks"}):
            ddf = scale.read_rooftops(parquet)
            result = scale.potential_dask(ddf, weather, stage=Path(out).with_suffix(".stage"), client=client)
            folder = Path(out).with_suffix(".result")
            result.to_parquet(str(folder), write_index=False)  # as the results store writes it
            stored = dask_geopandas.read_parquet(str(folder))
            best = scale.shortlist_dask(stored, top=1000)
        n = sum(pq.read_metadata(p).num_rows for p in folder.glob("*.parquet"))
        best.attrs["solar"] = scale.metadata(weather, None)
        classes = -1
        extra["partitions"] = ddf.npartitions
        if client is not None:
            peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)
            extra["worker_peak_mb"] = sorted(peaks.values())
            extra["workers_restarted"] = sorted(client.run(os.getpid).values()) != pids_before
            cpu = client.run(lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2]))
            extra["worker_cpu_s"] = float(sum(cpu.values()))
            client.close()
            cluster.close()
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
                "load_1min": os.getloadavg()[0],
                **extra,
            }
        )
    )


TILE = 1_000_000  # rooftops per synthetic city tile


def write_synthetic(n: int, path: Path, *, engine: str, partition_size: int) -> None:
    """Write ``n`` synthetic rooftops as one GeoParquet file (pandas) or Hilbert-ordered parts."""
    if engine != "dask":
        synth_rooftops(n).to_parquet(path)
        return
    path.mkdir()
    part = 0
    for tile, start in enumerate(range(0, n, TILE)):  # one city tile in memory at a time
        size = min(TILE, n - start)
        offset = ((tile % 5) * 170_000.0, (tile // 5) * 130_000.0)
        frame = synth_rooftops(size, seed=7 + tile, offset_m=offset, id_prefix=f"t{tile}-" if n > TILE else "b")
        # spatially compact parts (Hilbert order), as a province's tiles would be
        frame = frame.iloc[np.argsort(frame.geometry.hilbert_distance().to_numpy(), kind="stable")]
        for lo in range(0, size, partition_size):
            frame.iloc[lo : lo + partition_size].to_parquet(path / f"part.{part}.parquet")
            part += 1
        del frame


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
    p.add_argument("--partition-size", type=int, default=250_000, help="rooftops per part for --engine dask")
    p.add_argument("--workers", type=int, default=0, help="--engine dask: local cluster of N workers (0: threads)")
    p.add_argument("--memory-per-worker", default="3GB", help="--engine dask --workers: memory limit per worker")
    p.add_argument("--child", nargs=2, metavar=("PARQUET", "OUT"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.engine, args.workers, args.memory_per_worker)
        return

    with tempfile.TemporaryDirectory(prefix="bench-solar-") as tmp:
        t0 = time.perf_counter()
        path = Path(tmp) / ("rooftops" if args.engine == "dask" else "rooftops.parquet")
        write_synthetic(args.n, path, engine=args.engine, partition_size=args.partition_size)
        print(f"setup: {args.n:,} synthetic rooftops → {path.name} in {time.perf_counter() - t0:.1f} s")
        runs = []
        for i in range(args.repeats):
            out = Path(tmp) / f"shortlist{i}.csv"
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.bench_solar",
                    "--engine",
                    args.engine,
                    "--workers",
                    str(args.workers),
                    "--memory-per-worker",
                    args.memory_per_worker,
                    "--child",
                    str(path),
                    str(out),
                ],
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
                f"{runs[-1]['rows']:,} rooftops, shortlist {runs[-1]['shortlist']} rows; "
                f"load average {runs[-1].get('load_1min', float('nan')):.1f} on {os.cpu_count()} cores"
            )
            if "worker_peak_mb" in runs[-1]:
                print(
                    f"  {runs[-1]['partitions']} partitions; worker peak RSS "
                    f"{', '.join(f'{m:,.0f} MB' for m in runs[-1]['worker_peak_mb'])} "
                    f"(limit {args.memory_per_worker} each); workers restarted: {runs[-1]['workers_restarted']}; "
                    f"worker CPU {runs[-1]['worker_cpu_s']:.1f} s"
                )
        wall = statistics.median(r["wall_s"] for r in runs)
        peak = max(r["peak_mb"] for r in runs)
        cpu = statistics.median(r["cpu_s"] for r in runs)
        print(f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared machine)")
        print(
            f"engine {args.engine}: median wall {wall:.1f} s, median CPU {cpu:.1f} s (this process), "
            f"peak memory {peak / 1024:.2f} GB (this process) for {args.n:,} rooftops; "
            f"{wall / args.n * 1e6:.1f} µs per rooftop (targets, pandas, 1,000,000: ≤ 12 s, ≤ 2 GB)"
        )
        if args.loop_n:
            per_loop, err = loop_reference(synth_rooftops(min(args.n, TILE)), args.loop_n)
            per_vec = wall / args.n
            print(
                f"ModelChain loop: {per_loop * 1000:.1f} ms per rooftop on {args.loop_n} rooftops "
                f"(max |error| of the vectorised kWh {err * 100:.3f} %); vectorised "
                f"{per_vec * 1e6:.1f} µs per rooftop incl. read, shading, ranks, export → "
                f"{per_loop / per_vec:,.0f}× per rooftop (target ≥ 1,000×)"
            )


if __name__ == "__main__":
    main()
