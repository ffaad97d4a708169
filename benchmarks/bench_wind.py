"""Benchmark: wind siting over the whole city (about 20,000 km²) on a 100 m grid.

Target (issue 5): median wall time ≤ 30 s on the 2-core reference machine.  The project is
the embedded default (``layers.default.build_default``: real county outlines, synthetic
100 m wind raster in EPSG:32649, exclusions, 58k synthetic rooftops, 11k roads).

Two rule sets are timed, each run in a fresh process (cold caches):

* ``five``: the vector exclusion layers of the ``exclusions`` layer (settlement, road,
  water, protected, airport; railway stations too once the default ships them) + minimum
  wind speed + minimum contiguous area;
* ``all``: the default rule set, which adds every rooftop (500 m) and every road (200 m).

Both include the grid-connection, LCOE and supply-curve steps (substations and wind farms
from the project's ``grid`` / ``power_plants`` layers when it has them).

Each child also times a second, warm call with a changed minimum wind speed (cached
reprojection and buffers).  Prints median wall time and peak RSS; writes only to a
temporary folder.

    python -m benchmarks.bench_wind [--runs 3] [--rules five,all]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks._common import print_result, run_child, summarise


def child(project_dir: str, rules_name: str) -> None:
    """The timed run, in a fresh process: a cold and a warm :func:`siting.wind.wind_sites`."""
    from layers.project import Project
    from siting.wind import MinWindSpeed, VectorExclusion, WindAssumptions, default_exclusions, wind_sites

    project = Project.open(project_dir)
    rules = None
    if rules_name == "five":
        rules = default_exclusions(project, WindAssumptions(include_rooftops=False, include_roads=False))
    start = time.perf_counter()
    result = wind_sites(project, hub_height_m=120.0, exclusions=rules)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    if rules is not None:
        rules2 = [MinWindSpeed(5.3) if isinstance(r, MinWindSpeed) else r for r in rules]
        wind_sites(project, hub_height_m=120.0, exclusions=rules2)
    else:
        wind_sites(project, hub_height_m=120.0, min_speed_m_s=5.3)
    warm = time.perf_counter() - start
    vector_layers = sum(
        isinstance(r, VectorExclusion) for r in (rules if rules is not None else default_exclusions(project))
    )
    t = result.totals
    print_result(
        {
            "seconds": seconds,
            "warm_seconds": warm,
            "cells": result.grid.width * result.grid.height,
            "region_km2": t["region_km2"],
            "usable_km2": t["usable_km2"],
            "sites": t["sites"],
            "capacity_mw": t["capacity_mw"],
            "vector_layers": vector_layers,
            "potentials": result.potentials,
            "curve_rows": len(result.supply_curve),
            "steps": {k: round(v, 2) for k, v in result.timings_s.items()},
        }
    )


def _build(folder: Path) -> str:
    from layers.default import build_default

    build_default(folder)
    return "embedded default project"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per rule set")
    parser.add_argument("--rules", default="five,all", help="rule sets to time: five, all")
    parser.add_argument("--child", nargs=2, metavar=("PROJECT", "RULES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="bench-wind-") as tmp:
        folder = Path(tmp) / "project"
        start = time.perf_counter()
        what = _build(folder)
        print(f"built {what} in {time.perf_counter() - start:.1f} s")
        for rules in args.rules.split(","):
            runs = [run_child("benchmarks.bench_wind", str(folder), rules) for _ in range(args.runs)]
            first = runs[0]
            print(
                f"[{rules}] grid {first['cells']:,} cells, region {first['region_km2']:,.0f} km², "
                f"{first['vector_layers']} vector exclusion layers; usable "
                f"{first['usable_km2']:,.0f} km², {first['sites']} sites, "
                f"{first['capacity_mw']:,.0f} MW; supply curve {first['curve_rows']} rows, "
                f"{first['potentials']['below_benchmark_mw']:,.0f} MW below the benchmark, "
                f"usable {first['potentials']['usable_share_pct']:.1f} % of the region"
            )
            print(f"[{rules}] step times of run 1 (s): {first['steps']}")
            summarise(f"[{rules}] wind_sites, cold", runs)
            warm = sorted(r["warm_seconds"] for r in runs)[len(runs) // 2]
            print(f"[{rules}] wind_sites, warm rerun (cached resource and buffers): median {warm:.2f} s")


if __name__ == "__main__":
    main()
