"""Benchmark: import 1,000,000 building footprints from GeoParquet into a project.

Target (issue 2): under 60 s on the 2-core reference machine.  Each run is a fresh
process (so peak memory is that of one import); prints median wall time and peak RSS.

    python -m benchmarks.bench_import [--n 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks._common import print_result, run_child, summarise, synthetic_footprints


def child(parquet: str, project_dir: str) -> None:
    """The timed run, in a fresh process: create a project and import the footprints."""
    from layers import Project
    from layers.importer import import_layer

    start = time.perf_counter()
    project = Project.create(project_dir)
    result = import_layer(project, "rooftops", parquet)
    print_result({"seconds": time.perf_counter() - start, "count": result.count})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="number of footprints")
    parser.add_argument("--runs", type=int, default=3, help="timed runs")
    parser.add_argument("--child", nargs=2, metavar=("PARQUET", "PROJECT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        parquet = Path(tmp) / "footprints.parquet"
        synthetic_footprints(args.n).to_parquet(parquet)
        print(f"wrote {args.n:,} synthetic footprints to {parquet} ({parquet.stat().st_size / 2**20:.0f} MiB)")
        runs = []
        for i in range(args.runs):
            run = run_child("benchmarks.bench_import", str(parquet), str(Path(tmp) / f"project{i}"))
            assert run["count"] == args.n, run
            print(f"  run {i + 1}: {run['seconds']:.2f} s, peak {run['peak_rss_mib']:.0f} MiB")
            runs.append(run)
        summarise(f"import {args.n:,} footprints (GeoParquet → project.gpkg)", runs)


if __name__ == "__main__":
    main()
