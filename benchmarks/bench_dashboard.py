"""Dashboard speed in headless Chromium (Playwright + Debian ``/usr/bin/chromium``).

1. **Cold load** on the embedded default project (about 62k rooftops): a fresh browser
   context opens the page; timed to the first drawn map (the map canvas is on screen) and
   to the full page (rooftop table filled).  Targets: first drawn map ≤ 3 s, PV table
   filled ≤ 4 s.  The server is started once (``python -m dashboard.cli serve`` — its
   start, which warms the caches, is timed separately) and each run is a new session.
2. **Language switch** on the default project: in one loaded page the language button is
   clicked, alternately English and Chinese; timed until the tab titles, the header and the
   legend show the new language and the loading state is gone.  Target ≤ 1 s.
3. **Filter change with 1,000,000 rooftops**: a synthetic project with 1M rooftops
   (tests/_dashboard_project.py, source="synthetic"); the county filter is switched and the
   time to the updated row count is measured.  Count, table page, totals, histogram and the
   datashader image are sent in one held Bokeh patch, so the new count means the table and
   map data have arrived; the script then waits one animation frame.  Target ≤ 0.5 s.

Medians over ``--runs`` runs (5 by default).  The machine's load average is printed with
every figure (the reference machine is shared).  Prints the server's peak RSS and writes
screenshots to ``--shots`` (default a temp folder; nothing is written into the repository)::

    python -m benchmarks.bench_dashboard [--runs 5] [--n 1000000] [--skip-million]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.conftest import CHROMIUM, LAUNCH_ARGS, free_port, running_server, server_env


@contextlib.contextmanager
def serving(project: str | None, home: Path, log: Path):
    """``xysiting serve`` (the tests' :func:`tests.conftest.running_server`); yields
    (process, URL, seconds until it answered)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    args = ([project] if project else []) + ["--port", str(port)]
    start = time.perf_counter()
    with running_server(args, env=server_env(home, drop=()), log=log, ready_url=url, timeout_s=1800) as proc:
        yield proc, url, time.perf_counter() - start


def peak_rss_mib(pid: int) -> float:
    """Peak resident memory of a running process, MiB (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cold_loads(browser, url: str, runs: int, shots: Path) -> tuple[list[float], list[float]]:
    first_map, full = [], []
    for i in range(runs):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=300_000)
        page.wait_for_selector(".xy-map canvas", state="visible", timeout=120_000)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
        first_map.append(time.perf_counter() - start)
        page.wait_for_selector(".xy-solar-table .tabulator-row", timeout=300_000)
        full.append(time.perf_counter() - start)
        if i == 0:
            page.wait_for_timeout(3000)
            page.screenshot(path=str(shots / "default_zh.png"), full_page=False)
            page.locator(".xy-language button", has_text="English").click()
            page.wait_for_timeout(4000)
            page.screenshot(path=str(shots / "default_en.png"), full_page=False)
        context.close()
    return first_map, full


def load() -> str:
    """The machine's load average (1, 5, 15 min) and core count, for the printed figures."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} on {os.cpu_count()} cores"


def _relabelled(page, lang: str) -> bool:
    """Whether tab titles, header and legend show ``lang`` and nothing is loading."""
    from dashboard.i18n import t

    tab = page.locator(".bk-tab").first.inner_text().strip()
    if tab != t("tab_solar", lang):
        return False
    text_js = "e => (e.shadowRoot ? e.shadowRoot.textContent : '') + ' ' + e.textContent"
    if t("app_title", lang) not in page.locator(".xy-header-text").first.evaluate(text_js):
        return False
    if t("legend", lang) not in page.locator(".xy-legend").first.evaluate(text_js):
        return False
    return page.locator(".pn-loading").count() == 0


def language_switches(browser, url: str, runs: int) -> list[float]:
    """Click the language button ``runs`` times (en, zh, en...); seconds until relabelled."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url, timeout=300_000)
    page.wait_for_selector(".xy-solar-table .tabulator-row", timeout=300_000)
    page.wait_for_timeout(3000)  # the other tabs load after the PV table
    times = []
    for i in range(runs):
        lang = "en" if i % 2 == 0 else "zh"
        start = time.perf_counter()
        page.locator(".xy-language button", has_text={"en": "English", "zh": "中文"}[lang]).click()
        while not _relabelled(page, lang):
            page.wait_for_timeout(10)
            if time.perf_counter() - start > 120:
                raise RuntimeError(f"the page did not switch to {lang} within 120 s")
        times.append(time.perf_counter() - start)
        page.wait_for_timeout(1500)
    context.close()
    return times


def _rows(page) -> int:
    return int(page.locator(".xy-row-count").first.get_attribute("data-rows"))


def filter_changes(browser, url: str, runs: int, shots: Path) -> list[float]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url, timeout=300_000)
    page.wait_for_selector(".xy-row-count", timeout=600_000)
    page.wait_for_timeout(2000)
    times = time_county_filter(page, runs, shot=shots / "million_filtered.png")
    context.close()
    return times


def time_county_filter(page, runs: int, *, shot: Path | None = None, settle_ms: int = 1500) -> list[float]:
    """Switch the PV county filter ``runs`` times on ``page``; seconds until each new row count is drawn."""
    select = page.locator(".xy-solar-county select")
    options = [o for o in select.locator("option").all_inner_texts() if o]
    times = []
    for i in range(runs):
        label = options[1 + i % (len(options) - 1)] if i % 2 == 0 else options[0]
        old = _rows(page)
        start = time.perf_counter()
        select.select_option(label=label)
        while _rows(page) == old:
            page.wait_for_timeout(10)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
        times.append(time.perf_counter() - start)
        page.wait_for_timeout(settle_ms)  # let the browser settle before the next change
        if i == 0 and shot is not None:
            page.screenshot(path=str(shot), full_page=False)
    return times


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5, help="timed runs per measurement")
    p.add_argument("--n", type=int, default=1_000_000, help="rooftops in the big project")
    p.add_argument("--skip-million", action="store_true", help="only the cold-load benchmark")
    p.add_argument(
        "--home",
        default=None,
        help="XYSITING_HOME holding the default project (default: a temp folder; "
        "the default is then built first, not timed)",
    )
    p.add_argument("--shots", default=None, help="folder for screenshots (default: temp)")
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="bench_dashboard_"))
    home = Path(args.home) if args.home else tmp / "home"
    shots = Path(args.shots) if args.shots else tmp / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    if not (home / "default" / "manifest.json").exists():
        os.environ["XYSITING_HOME"] = str(home)
        from dashboard._data import ensure_default_project

        t = time.perf_counter()
        ensure_default_project()
        print(f"built the default project in {time.perf_counter() - t:.1f} s (not timed below)")

    print(f"start: {load()}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        with serving(None, home, tmp / "serve_default.log") as (proc, url, ready_s):
            first, full = cold_loads(browser, url, args.runs, shots)
            load_cold = load()
            switches = language_switches(browser, url, args.runs)
            load_switch = load()
            rss = peak_rss_mib(proc.pid)
        print(f"default project: server start (imports + cache warm-up) {ready_s:.1f} s")
        print(
            f"cold load to first drawn map: median {statistics.median(first):.2f} s "
            f"(runs {', '.join(f'{v:.2f}' for v in first)}; target ≤ 3 s) [{load_cold}]"
        )
        print(
            f"cold load to filled rooftop table: median {statistics.median(full):.2f} s "
            f"(runs {', '.join(f'{v:.2f}' for v in full)}; target ≤ 4 s)"
        )
        print(
            f"language switch to the relabelled page: median {statistics.median(switches):.2f} s "
            f"(runs {', '.join(f'{v:.2f}' for v in switches)}; target ≤ 1 s) [{load_switch}]"
        )
        print(f"server peak RSS {rss:.0f} MiB")

        if not args.skip_million:
            from tests._dashboard_project import build_project

            t = time.perf_counter()
            build_project(tmp / "million", n_rooftops=args.n)
            print(f"built a {args.n:,}-rooftop project in {time.perf_counter() - t:.1f} s")
            with serving(str(tmp / "million"), home, tmp / "serve_million.log") as (proc, url, ready_s):
                times = filter_changes(browser, url, args.runs, shots)
                rss = peak_rss_mib(proc.pid)
            print(
                f"{args.n:,} rooftops: server start {ready_s:.1f} s; filter change → updated "
                f"table and map: median {statistics.median(times):.2f} s "
                f"(runs {', '.join(f'{v:.2f}' for v in times)}; target ≤ 0.5 s) [{load()}]"
            )
            print(f"server peak RSS {rss:.0f} MiB")
        browser.close()
    print(f"screenshots in {shots}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
