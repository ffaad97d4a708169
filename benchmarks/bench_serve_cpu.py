"""CPU seconds of a server start and of one session, step by step, in one process (no browser).

What ``xysiting serve DIR`` does before it answers (imports, reading the stored rooftop-PV
table, filling the shared caches), then what the first page request does (building and
drawing one session's page), then one more session's page and its tab loads split into the
part that runs in a worker thread (``prepare()``) and the part applied on the event loop
(``load()``), then filter changes on the PV tab without the map's raster (the map belongs to
:mod:`dashboard.map`).  CPU seconds (``time.process_time``) are printed beside wall seconds
because the reference machine is shared: on a quiet machine wall ≈ CPU.

Run on a project after ``xysiting run`` (e.g. the one ``bench_serve`` builds)::

    python -m benchmarks.bench_serve_cpu DIR
"""

from __future__ import annotations

import os
import statistics
import sys
import time

_WALL0 = time.perf_counter()
_last = [0.0]


def _mark(what: str) -> None:
    now = time.process_time()
    wall = time.perf_counter() - _WALL0
    print(f"{what:44s} {now - _last[0]:6.2f} CPU-s   (since start {now:6.2f} CPU-s, {wall:6.1f} s wall)", flush=True)
    _last[0] = now


def main(project_dir: str) -> int:
    import threading

    from dashboard.commands import serve as serve_cmd

    _mark("import the CLI")
    prefetch = threading.Thread(target=serve_cmd._prefetch, args=(project_dir,))
    prefetch.start()
    prefetch.join()
    _mark("imports + read the stored PV table (prefetch)")
    import dashboard.app as app_module

    _mark("import dashboard.app (plotting stack)")
    project = app_module.warm(project_dir, render=False)
    _mark("warm the shared caches (serve's warm)")
    from bokeh.document import Document

    first = app_module.DashboardApp(project)
    first.layout.get_root(Document())
    _mark("first page request: build + draw (ready)")
    app = app_module.DashboardApp(project)
    app.layout.get_root(Document())
    _mark("next session: page build + draw")
    for name, component in app._load_order():
        prepare = getattr(component, "prepare", None)
        if prepare is not None:
            prepare()
        _mark(f"  tab {name}: prepare() (worker thread)")
        app._load_one(name, component)
        if hasattr(component, "wait"):
            component.wait(120)
        _mark(f"  tab {name}: load() (event loop)")
    solar = app.tabs_components["solar"]
    solar._refresh_map = lambda: None  # the map's raster is dashboard.map's, not timed here
    fast, hist = [], []
    for county in ("420602", "420607", "", "420606") * 3:
        solar._pending = True  # set the filter without running the watcher: timed below
        solar.county = county
        solar._pending = False
        start = time.process_time()
        solar._apply_fast()
        fast.append(time.process_time() - start)
        start = time.process_time()
        solar._apply_slow()
        hist.append(time.process_time() - start)
    n = len(solar._cols.ids)
    print(
        f"PV filter change on {n:,} rooftops without the map: rows, count, totals and table page median "
        f"{statistics.median(fast) * 1000:.0f} ms (max {max(fast) * 1000:.0f}); histogram median "
        f"{statistics.median(hist) * 1000:.0f} ms (max {max(hist) * 1000:.0f}), CPU"
    )
    print(f"load average {', '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        raise SystemExit(2)
    raise SystemExit(main(sys.argv[1]))
