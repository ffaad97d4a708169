"""``xysiting run DIR [--only solar,waste,site] [--jobs N]``: keep the stored results current.

Computes every analysis result that is missing or stale (:mod:`siting.results`), with a
progress bar per analysis, and reports what it reused.  ``--jobs N`` runs up to N analyses
at once in separate processes (each computation is single-threaded numpy/pandas work, so
processes, not threads, use more cores).
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

from geo.errors import InputError


def register(subparsers) -> None:
    """Add the ``run`` subcommand."""
    p = subparsers.add_parser(
        "run",
        help="compute the analyses that are missing or stale and store them in the project",
        description="Compute every stored analysis result of the project that is missing or stale "
        "(rooftop PV, waste routing per waste kind, facility siting per waste kind and k) and "
        "store it under DIR/results; current results are reused.",
    )
    p.add_argument("dir", metavar="DIR", help="project folder")
    p.add_argument(
        "--only",
        default=None,
        metavar="LIST",
        help="comma-separated analyses to run: solar, waste, site (default: all)",
    )
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="analyses run at once (processes; default 1)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``xysiting run``."""
    from siting import results

    only = tuple(s.strip() for s in args.only.split(",") if s.strip()) if args.only else None
    if args.jobs < 1:
        msg = f"--jobs must be at least 1, got {args.jobs}"
        raise InputError(msg)
    planned = results.planned_runs(args.dir, only=only)
    if not planned:
        print(f"{args.dir}: nothing to run (no rooftops, waste or road layers)")
        return 0
    outcomes = run_planned(args.dir, planned, jobs=args.jobs, quiet=args.quiet)
    reused = [label for label, (o, _) in outcomes.items() if o.reused]
    computed = {label: s for label, (o, s) in outcomes.items() if not o.reused}
    for label, seconds in computed.items():
        print(f"computed {label} in {seconds:.1f} s")
    if reused:
        print(f"reused {len(reused)} current result(s): {', '.join(reused)}")
    return 0


def run_planned(project_dir, planned, *, jobs: int = 1, quiet: bool = False) -> dict:
    """Run ``planned`` (from :func:`siting.results.planned_runs`); label → (Outcome, seconds)."""
    from tqdm import tqdm

    from dashboard.commands._progress import progress_bar
    from siting import results

    labels = [results.describe(a, o) for a, o in planned]
    width = max(len(label) for label in labels)
    out = {}
    if jobs == 1:
        for (analysis, options), label in zip(planned, labels, strict=True):
            with progress_bar(label.ljust(width), enabled=not quiet, leave=True) as progress:
                start = time.perf_counter()
                outcome = results.run_one(project_dir, analysis, options, progress=progress)
                out[label] = (outcome, time.perf_counter() - start)
        return out
    bars = {
        label: tqdm(total=1, desc=label.ljust(width), unit="run", disable=quiet, position=i, leave=True)
        for i, label in enumerate(labels)
    }
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {
            pool.submit(_timed, str(project_dir), analysis, dict(options)): label
            for (analysis, options), label in zip(planned, labels, strict=True)
        }
        for future in as_completed(futures):
            label = futures[future]
            outcome, seconds = future.result()
            out[label] = (outcome, seconds)
            bars[label].set_postfix_str("reused" if outcome.reused else f"computed in {seconds:.0f} s")
            bars[label].update(1)
    for bar in bars.values():
        bar.close()
    return {label: out[label] for label in labels}


def _timed(project_dir: str, analysis: str, options: dict):
    from siting import results

    start = time.perf_counter()
    outcome = results.run_one(project_dir, analysis, options)
    return outcome, time.perf_counter() - start
