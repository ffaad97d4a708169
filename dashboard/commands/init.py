"""``xysiting init DIR``: build the embedded Xiangyang default project."""

from __future__ import annotations

import argparse
import time


def register(subparsers) -> None:
    """Add the ``init`` subcommand."""
    p = subparsers.add_parser(
        "init",
        help="build the embedded Xiangyang default project in DIR",
        description="Build the embedded Xiangyang default project offline: the real nine county "
        "boundaries (cnmaps), the plan's parks, facilities and bases, and labelled "
        "synthetic rooftops, roads, waste sources and a wind raster.",
    )
    p.add_argument("dir", metavar="DIR", help="a new or empty folder for the project")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--no-run",
        action="store_true",
        help="only build the layers; do not compute and store the analyses (`xysiting run DIR` later)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the default project in ``args.dir``."""
    from dashboard.commands._progress import progress_bar
    from layers.default import build_default

    start = time.perf_counter()
    with progress_bar("default project", enabled=not args.quiet) as progress:
        project = build_default(args.dir, progress=progress)
    print(project.summary().to_string(index=False))
    print(f"built {project.path} in {time.perf_counter() - start:.1f} s")
    if not args.no_run:
        from dashboard.commands.run import run_planned
        from siting.results import planned_runs

        start = time.perf_counter()
        run_planned(project.path, planned_runs(project), quiet=args.quiet)
        print(f"computed and stored the analyses in {time.perf_counter() - start:.1f} s (DIR/results)")
    return 0
