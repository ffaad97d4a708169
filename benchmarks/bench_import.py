"""Benchmark: import 1,000,000 building footprints from GeoParquet into a project.

Target (issue 2): under 60 s on the 2-core reference machine.  Each run is a fresh
process (so peak memory is that of one import); prints median wall time and peak RSS.

    python benchmarks/bench_import.py [--n 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import run_child, summarise, synthetic_footprints

CHILD = """
import sys, time
from layers import Project
from layers.importer import import_layer
start = time.perf_counter()
project = Project.create(sys.argv[2])
result = import_layer(project, "rooftops", sys.argv[1])
RESULT = {"seconds": time.perf_counter() - start, "count": result.count}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="number of footprints")
    parser.add_argument("--runs", type=int, default=3, help="timed runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        parquet = Path(tmp) / "footprints.parquet"
        synthetic_footprints(args.n).to_parquet(parquet)
        print(f"wrote {args.n:,} synthetic footprints to {parquet} ({parquet.stat().st_size / 2**20:.0f} MiB)")
        runs = []
        for i in range(args.runs):
            run = run_child(CHILD, str(parquet), str(Path(tmp) / f"project{i}"))
            assert run["count"] == args.n, run
            print(f"  run {i + 1}: {run['seconds']:.2f} s, peak {run['peak_rss_mib']:.0f} MiB")
            runs.append(run)
        summarise(f"import {args.n:,} footprints (GeoParquet → project.gpkg)", runs)


if __name__ == "__main__":
    main()
