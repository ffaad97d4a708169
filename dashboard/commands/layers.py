"""``xysiting layers DIR``: list the layers of a project."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    """Add the ``layers`` subcommand."""
    p = subparsers.add_parser(
        "layers",
        help="list a project's layers with count, CRS and sources",
        description="List every layer of the project in DIR: kind, feature "
        "count, geometry type, CRS and where the features came from; then the stored analysis "
        "results, each current or stale.",
    )
    p.add_argument("dir", metavar="DIR", help="project folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the layer table."""
    import pandas as pd

    from layers import Project

    project = Project.open(args.dir)
    table = project.summary()
    if table.empty:
        print(f"{project.path}: no layers yet; add some with `xysiting import`")
        return 0
    with pd.option_context("display.max_colwidth", 80, "display.width", 200):
        print(table.to_string(index=False))
        from siting.results import status_table

        results = status_table(project)
        if results.empty:
            print("\nresults: none stored; compute them with `xysiting run DIR`")
        else:
            print("\nresults (DIR/results; stale ones are recomputed by `xysiting run DIR`):")
            print(results.to_string(index=False))
    return 0
