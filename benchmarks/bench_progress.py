"""Benchmark the progress store: single appends, a 1,000-row CSV import, status of 20,000 records.

Run ``python -m benchmarks.bench_progress``.  Works in a temporary folder (nothing is written
into the repo); prints the median wall time of each step and the peak memory.
"""

from __future__ import annotations

import resource
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from layers.project import Project
from siting.progress import INDICATORS, UserStore, add_record, import_csv, read_records
from siting.progress.status import indicator_status

REPEATS = 5


def _median_s(func, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Run every step and print the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        project = Project.create(Path(tmp) / "proj")
        UserStore.for_project(project).set_user("bench", "bench-password", "editor")
        add_record(project, "ind-non-fossil-share", "2024-12-31", 18.0, user="bench")  # creates the store

        counter = iter(range(10**6))
        single = _median_s(
            lambda: add_record(project, "ind-non-fossil-share", "2024-12-31", float(next(counter) % 50), user="bench"),
            30,
        )
        print(f"add_record (one record, one transaction): median {single * 1000:.1f} ms")

        rng = np.random.default_rng(0)
        ids = [ind.id for ind in INDICATORS]

        def write_csv(n: int) -> Path:
            path = Path(tmp) / f"records_{time.perf_counter_ns()}.csv"
            dates = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 1400, n), unit="D")
            pd.DataFrame(
                {
                    "target_id": rng.choice(ids, n),
                    "date": dates.strftime("%Y-%m-%d"),
                    "value": rng.uniform(0, 100, n).round(2),
                }
            ).to_csv(path, index=False)
            return path

        files = [write_csv(1000) for _ in range(REPEATS)]
        it = iter(files)
        imp = _median_s(lambda: import_csv(project, next(it), user="bench"))
        print(f"import_csv (1,000 rows, one transaction): median {imp * 1000:.1f} ms")

        while len(read_records(project)) < 20_000:
            import_csv(project, write_csv(5000), user="bench")
        n = len(read_records(project))
        status = _median_s(lambda: indicator_status(project))
        tracemalloc.start()  # a separate run: tracing slows Python down several-fold
        indicator_status(project)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"indicator_status over {n:,} records: median {status * 1000:.1f} ms, "
            f"peak traced memory {peak / 2**20:.1f} MiB"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the process: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
