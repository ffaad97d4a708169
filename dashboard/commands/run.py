"""``xysiting run DIR [--only solar,waste,site] [--jobs N] [--engine dask ...]``: keep the stored results current.

Computes every analysis result that is missing or stale (:mod:`siting.results`), with a
progress bar per analysis, and reports what it reused.  ``--jobs N`` runs up to N analyses
at once in separate processes (each computation is single-threaded numpy/pandas work, so
processes, not threads, use more cores).

``--engine dask`` runs rooftop PV partition-wise on dask-geopandas
(:mod:`siting.solar.scale`): on an existing dask.distributed cluster (``--scheduler
tcp://HOST:PORT``; its workers must see the project folder), on a local cluster of
``--workers N`` processes, or else on local threads.  The result is stored under the same
key as the pandas engine's, as partitioned GeoParquet.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

from geo.errors import InputError

#: Options of a solar run that choose how it runs, not which result (not in its label).
_ENGINE_OPTIONS = ("engine", "client", "partitions")


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
    p.add_argument(
        "--engine",
        choices=("pandas", "dask"),
        default="pandas",
        help="rooftop PV engine: pandas (one process) or dask (partition-wise; same result)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="with --engine dask: a running dask.distributed scheduler, e.g. tcp://10.0.0.5:8786",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="with --engine dask: a local cluster of N worker processes",
    )
    p.add_argument(
        "--memory-per-worker",
        default="auto",
        metavar="SIZE",
        help="with --workers: memory limit per local worker, e.g. 3GB (default: machine memory / N)",
    )
    p.add_argument(
        "--partitions",
        type=int,
        default=None,
        metavar="N",
        help="with --engine dask: rooftop partitions (default one per 250,000 rooftops)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``xysiting run``."""
    from siting import results

    only = tuple(s.strip() for s in args.only.split(",") if s.strip()) if args.only else None
    if args.jobs < 1:
        msg = f"--jobs must be at least 1, got {args.jobs}"
        raise InputError(msg)
    _check_engine_args(args)
    planned = results.planned_runs(args.dir, only=only)
    if not planned:
        print(f"{args.dir}: nothing to run (no rooftops, waste or road layers)")
        return 0
    outcomes = {}
    if args.engine == "dask" and any(analysis == "solar" for analysis, _ in planned):
        with dask_client(args) as client:
            solar = [
                (a, {**o, "engine": "dask", "client": client, "partitions": args.partitions})
                for a, o in planned
                if a == "solar"
            ]
            outcomes.update(run_planned(args.dir, solar, jobs=1, quiet=args.quiet))
        planned = [(a, o) for a, o in planned if a != "solar"]
    if planned:
        outcomes.update(run_planned(args.dir, planned, jobs=args.jobs, quiet=args.quiet))
    if args.engine != "dask":  # a province on a cluster: the first server start makes it instead
        keep_dashboard_tables([o.stored for o, _ in outcomes.values() if o.stored.analysis == "solar"])
    reused = [label for label, (o, _) in outcomes.items() if o.reused]
    computed = {label: s for label, (o, s) in outcomes.items() if not o.reused}
    for label, seconds in computed.items():
        print(f"computed {label} in {seconds:.1f} s")
    if reused:
        print(f"reused {len(reused)} current result(s): {', '.join(reused)}")
    return 0


def keep_dashboard_tables(stored: list) -> None:
    """Beside each stored rooftop-PV result, the dashboard's rooftop table
    (:data:`dashboard._solar_data.TABLE_CACHE`), unless already there: ``xysiting serve``
    then memory-maps it at start instead of decoding the result's polygons."""
    if not stored:
        return
    from dashboard import _solar_data

    for result in stored:
        if not (result.path / _solar_data.TABLE_CACHE).is_file():
            _solar_data.read_stored_table(result)  # decodes and writes the cache


def _check_engine_args(args: argparse.Namespace) -> None:
    if args.engine != "dask" and (args.scheduler or args.workers or args.partitions):
        msg = "--scheduler, --workers and --partitions need --engine dask"
        raise InputError(msg)
    if args.scheduler and args.workers:
        msg = "give either --scheduler (an existing cluster) or --workers (a local one), not both"
        raise InputError(msg)
    for name in ("workers", "partitions"):
        value = getattr(args, name)
        if value is not None and value < 1:
            msg = f"--{name} must be at least 1, got {value}"
            raise InputError(msg)


@contextlib.contextmanager
def dask_client(args: argparse.Namespace):
    """A dask.distributed client for ``--scheduler`` or ``--workers`` (None: local threads)."""
    if not (args.scheduler or args.workers):
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        msg = "--scheduler and --workers need the 'distributed' package (pip install 'xysiting[dask]')"
        raise InputError(msg) from None
    if args.scheduler:
        try:
            client = Client(args.scheduler, timeout="20s")
        except OSError as exc:
            msg = f"--scheduler {args.scheduler}: cannot connect ({exc}); check the address and that the scheduler runs"
            raise InputError(msg) from None
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            memory_limit=args.memory_per_worker,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def run_planned(project_dir, planned, *, jobs: int = 1, quiet: bool = False) -> dict:
    """Run ``planned`` (from :func:`siting.results.planned_runs`); label → (Outcome, seconds)."""
    from tqdm import tqdm

    from dashboard.commands._progress import progress_bar
    from siting import results

    labels = [results.describe(a, {k: v for k, v in o.items() if k not in _ENGINE_OPTIONS}) for a, o in planned]
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
