"""Server memory over many browser sessions opening and closing (issue 14, item 7).

``xysiting serve`` runs on the embedded default project (built first in a temporary
``XYSITING_HOME``, not timed).  Each round opens ``--sessions`` headless-Chromium sessions
at once (Playwright + Debian ``/usr/bin/chromium``, one browser context each), waits until
every page has drawn its map (the map canvas on screen plus one animation frame: the
*page-ready* time, measured from navigation), then closes them all and waits until the
server has discarded the closed sessions (``unused_session_lifetime``) and its resident
memory has settled.  The server's RSS (``/proc/PID/status`` ``VmRSS``) is recorded after
the warm-up and after each round.

Prints RSS per round, the ratio last/first round (target ≤ 1.2), the median page-ready
time with ``--sessions`` concurrent sessions per round and overall, and the machine's load
(the reference machine has 2 cores shared with other work)::

    python -m benchmarks.bench_sessions [--rounds 5] [--sessions 20] [--settle 90]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_dashboard import serving
from tests.conftest import CHROMIUM, LAUNCH_ARGS


def rss_mib(pid: int) -> float:
    """Current resident memory of process ``pid``, MiB (``VmRSS``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_text() -> str:
    """The 1/5/15-minute load averages and the number of CPUs."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def settle(pid: int, *, min_s: float, max_s: float, tol_mib: float = 8.0) -> float:
    """Wait at least ``min_s`` (sessions to be discarded), then until RSS stops moving.

    Returns the RSS (MiB) once two readings 5 s apart differ by less than ``tol_mib``, or
    after ``max_s`` seconds.
    """
    start = time.monotonic()
    time.sleep(min_s)
    last = rss_mib(pid)
    while time.monotonic() - start < max_s:
        time.sleep(5)
        now = rss_mib(pid)
        if abs(now - last) < tol_mib:
            return now
        last = now
    return last


async def one_session(browser, url: str, timeout_ms: float) -> float:
    """Open the dashboard in a fresh context, wait for the drawn map, close; seconds to ready.

    A page that never draws its map within ``timeout_ms`` counts as failed (NaN), and the
    round goes on: the benchmark reports how many failed instead of stopping.
    """
    from playwright.async_api import Error as PlaywrightError

    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = await context.new_page()
        start = time.perf_counter()
        await page.goto(url, wait_until="commit", timeout=timeout_ms)
        await page.wait_for_selector(".xy-map canvas", state="visible", timeout=timeout_ms)
        await page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
        return time.perf_counter() - start
    except PlaywrightError as exc:
        print(f"  a session failed: {str(exc).splitlines()[0]}", flush=True)
        return float("nan")
    finally:
        await context.close()


async def one_round(browser, url: str, n: int, timeout_ms: float) -> list[float]:
    return list(await asyncio.gather(*(one_session(browser, url, timeout_ms) for _ in range(n))))


async def run(args, url: str, pid: int) -> tuple[list[float], list[list[float]]]:
    from playwright.async_api import async_playwright

    rss_rounds: list[float] = []
    ready_rounds: list[list[float]] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            for i in range(args.rounds):
                t0 = time.perf_counter()
                ready = await one_round(browser, url, args.sessions, args.timeout * 1000)
                opened = rss_mib(pid)
                wall = time.perf_counter() - t0
                rss = await asyncio.to_thread(settle, pid, min_s=args.settle, max_s=args.settle + 120)
                rss_rounds.append(rss)
                failed = sum(math.isnan(v) for v in ready)
                ready = [v for v in ready if not math.isnan(v)] or [float("nan")]
                ready_rounds.append(ready)
                print(
                    f"round {i + 1}: {args.sessions} sessions in {wall:.1f} s ({failed} failed), page-ready median "
                    f"{statistics.median(ready):.1f} s (min {min(ready):.1f}, max {max(ready):.1f}); "
                    f"server RSS {opened:.0f} MiB at close, {rss:.0f} MiB settled; {load_text()}",
                    flush=True,
                )
        finally:
            await browser.close()
    return rss_rounds, ready_rounds


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5, help="rounds of sessions (default 5)")
    p.add_argument("--sessions", type=int, default=20, help="concurrent sessions per round (default 20)")
    p.add_argument(
        "--settle",
        type=float,
        default=60.0,
        help="seconds to wait after a round before reading RSS, so the server discards the "
        "closed sessions (default 60; then until RSS is steady)",
    )
    p.add_argument("--timeout", type=float, default=600.0, help="seconds a page may take to draw its map")
    p.add_argument("--home", default=None, help="XYSITING_HOME holding the default project (default: temp)")
    args = p.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench_sessions_"))
    home = Path(args.home) if args.home else tmp / "home"
    if not (home / "default" / "manifest.json").exists():
        os.environ["XYSITING_HOME"] = str(home)
        from dashboard._data import ensure_default_project

        t = time.perf_counter()
        ensure_default_project()
        print(f"built the default project in {time.perf_counter() - t:.1f} s (not timed below)")

    log = tmp / "serve.log"
    with serving(None, home, log) as (proc, url, ready_s):
        base = settle(proc.pid, min_s=5, max_s=60)
        print(f"server started in {ready_s:.1f} s; RSS {base:.0f} MiB before any session; {load_text()}", flush=True)
        rss_rounds, ready_rounds = asyncio.run(run(args, url, proc.pid))
    everything = [v for r in ready_rounds for v in r]
    ratio = rss_rounds[-1] / rss_rounds[0]
    print(f"server RSS per round (MiB): {', '.join(f'{v:.0f}' for v in rss_rounds)} (before any session {base:.0f})")
    verdict = "met" if ratio <= 1.2 else "NOT met"
    print(f"RSS after the last round / after the first: {ratio:.2f} (target ≤ 1.2: {verdict})")
    print(
        f"median page-ready time with {args.sessions} concurrent sessions: "
        f"{statistics.median(everything):.1f} s over {len(everything)} sessions "
        f"(per round {', '.join(f'{statistics.median(r):.1f}' for r in ready_rounds)} s)"
    )
    print(f"{load_text()}; server log {log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
