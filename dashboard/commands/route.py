"""``xysiting route DIR --waste KIND --out FILE``: least-cost waste routing on the road network."""

from __future__ import annotations

import argparse

from dashboard.commands._args import add_out
from dashboard.commands._headers import open_project, presentation
from dashboard.commands._waste_args import add_waste_options, waste_options


def register(subparsers) -> None:
    """Add the ``route`` subcommand."""
    p = subparsers.add_parser(
        "route",
        help="route waste from its sources to accepting facilities (least cost)",
        description="Send each source's waste (phosphogypsum or construction) to facilities that "
        "accept it, within capacities, at least trucking + gate-fee cost, along the "
        "road network (project roads layer or an OSM file). Writes one row per flow "
        "with its route, t/yr, km, t·km, ¥ and tCO2; unmet tonnage is reported per "
        "source, never dropped.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_waste_options(p)
    add_out(p, what="flows file: .gpkg, .geojson, .csv, .xlsx or .zip (shapefile)")
    p.add_argument("--unmet-out", default=None, metavar="FILE", help="also write per-source supply/unmet")
    p.add_argument(
        "--facilities-out", default=None, metavar="FILE", help="also write per-facility use and spare capacity"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the routing (or read it from the project's stored results) and print its summary."""
    from dashboard.commands._progress import progress_bar
    from siting import results

    with progress_bar("route") as progress:
        outcome = results.waste(args.project, **waste_options(args), progress=progress)
    result = results.load_routing(outcome.stored)
    print(result.network_report)
    print(result.summary())
    if outcome.reused:
        print(f"(stored result {outcome.stored.key[:12]}, inputs unchanged since {outcome.stored.meta['created']})")
    project = open_project(args.project) if args.headers else None

    def shown(what: str):
        return presentation(args, getattr(result, what), project=project, sheet=f"{args.waste}_{what}")

    written = [result.export(args.out, what="flows", presentation=shown("flows"))]
    if args.unmet_out:
        written.append(result.export(args.unmet_out, what="unmet", presentation=shown("unmet")))
    if args.facilities_out:
        written.append(result.export(args.facilities_out, what="facility_use", presentation=shown("facility_use")))
    for path in written:
        print(f"wrote {path}")
    return 0
