"""The server reads stored results: start, first map, filters, and a what-if beside another session.

On a synthetic project with ``--n`` rooftops (default 1,000,000; tests/_dashboard_project.py,
``source="synthetic"``), after ``xysiting run`` has stored its results:

1. **Server start**: seconds from process start until ``/`` answers, and its RSS then
   (targets ≤ 15 s, ≤ 2.5 GB).
2. **First drawn map**: seconds from the page request to the map canvas on screen (≤ 3 s).
3. **Filter change** on the idle server: the county filter is switched and the time to the
   new row count is measured (≤ 0.5 s).
4. **Beside a what-if**: a second browser session switches the Waste tab to construction
   waste and asks for k = 3 new facilities (not stored: computed in the server's worker
   process) while the first session changes filters; its filter time against the idle one
   (≤ 1.5×).

Uses Playwright with Debian's ``/usr/bin/chromium``; prints medians and the machine's load::

    python -m benchmarks.bench_serve [--n 1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_dashboard import peak_rss_mib, serving, time_county_filter
from tests.conftest import CHROMIUM, LAUNCH_ARGS

REPO = Path(__file__).resolve().parents[1]


def rss_mib(pid: int) -> float:
    """Current resident memory of a process, MiB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far: on a machine shared with other
    work this is closer to what an idle machine's wall time would be than the wall time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    """The machine's 1-minute load average, printed beside every figure."""
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def first_map(browser, url: str) -> tuple[float, object, object]:
    """Open the page in a new context; seconds to the drawn map, the context and page."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=600_000)  # a loaded machine: measure, do not fail
    page.wait_for_selector(".xy-map canvas", state="visible", timeout=300_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
    return time.perf_counter() - start, context, page


def filter_times(page, runs: int) -> list[float]:
    """Switch the county filter ``runs`` times; seconds until each new row count shows."""
    page.wait_for_selector(".xy-row-count", timeout=300_000)
    return time_county_filter(page, runs, settle_ms=500)


def start_what_if(page) -> None:
    """In this session: Waste tab, construction waste, k = 3 (a what-if that is not stored)."""
    page.locator(".bk-tab").nth(1).click()
    page.wait_for_selector(".xy-waste-kind select", timeout=120_000)
    kind = page.locator(".xy-waste-kind select")
    kind.select_option(value=[v for v in kind.locator("option").evaluate_all("o => o.map(x => x.value)")][-1])
    k = page.locator(".xy-waste-k input")
    k.fill("3")
    k.press("Enter")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000, help="rooftops in the project")
    p.add_argument("--runs", type=int, default=5, help="filter changes per measurement")
    p.add_argument("--project", default=None, help="an existing project folder (default: build one)")
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="bench_serve_"))
    project = Path(args.project) if args.project else tmp / "project"
    if not args.project:
        from tests._dashboard_project import build_project

        t = time.perf_counter()
        build_project(project, n_rooftops=args.n)
        print(f"built a {args.n:,}-rooftop synthetic project in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "run", str(project), "--only", "solar,waste,wind", "--quiet"],
        check=True,
        cwd=REPO,
    )
    print(f"xysiting run (solar, waste, wind stored): {time.perf_counter() - t:.1f} s")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        with serving(str(project), tmp / "home", tmp / "serve.log") as (proc, url, ready_s):
            rss_ready, cpu_ready = rss_mib(proc.pid), cpu_s(proc.pid)
            print(
                f"server answered its first page {ready_s:.1f} s after process start (target ≤ 15 s), "
                f"having used {cpu_ready:.1f} CPU s; RSS {rss_ready:.0f} MiB (≤ 2500); {load()}"
            )
            maps = []
            for _ in range(3):
                seconds, context, _page = first_map(browser, url)
                maps.append(seconds)
                context.close()
            print(
                f"first drawn map after the page request: median {statistics.median(maps):.2f} s (target ≤ 3 s; "
                f"{', '.join(f'{m:.1f}' for m in maps)}); {load()}"
            )
            seconds, context_a, page_a = first_map(browser, url)
            idle = filter_times(page_a, args.runs)
            print(
                f"filter change, idle server: median {statistics.median(idle):.2f} s (target ≤ 0.5 s; "
                f"{', '.join(f'{v:.2f}' for v in idle)}); {load()}"
            )
            _s, context_b, page_b = first_map(browser, url)
            page_b.wait_for_selector(".xy-row-count", timeout=300_000)
            start_what_if(page_b)
            busy = filter_times(page_a, args.runs)
            ratio = statistics.median(busy) / statistics.median(idle)
            print(
                f"filter change while another session computes construction k=3: median "
                f"{statistics.median(busy):.2f} s ({ratio:.2f}× idle; target ≤ 1.5×; "
                f"{', '.join(f'{v:.2f}' for v in busy)}); {load()}"
            )
            context_a.close()
            context_b.close()
            print(f"server peak RSS {peak_rss_mib(proc.pid):.0f} MiB, {cpu_s(proc.pid):.1f} CPU s in all; {load()}")
    print(f"machine load (1, 5, 15 min): {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
