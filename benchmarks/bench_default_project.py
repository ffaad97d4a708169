"""Benchmark: build the embedded Xiangyang default project (goal: under 60 s on 2 cores).

Run ``python -m benchmarks.bench_default_project [--repeat N]``.  Each run builds into a
fresh temporary folder (deleted afterwards; nothing is written into the repository) and the
script prints the median wall time, the peak resident memory (``resource.getrusage``) and
the layer counts of the last build.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="number of builds (default 3)")
    args = parser.parse_args()

    from layers.default import build_default

    times = []
    summary = None
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="bench-default-") as tmp:
            start = time.perf_counter()
            project = build_default(Path(tmp) / "xiangyang")
            times.append(time.perf_counter() - start)
            summary = project.summary()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(summary.to_string(index=False))
    print(
        f"build_default: median {statistics.median(times):.1f} s over {len(times)} runs "
        f"(min {min(times):.1f} s, max {max(times):.1f} s); peak RSS {peak_mib:.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
