"""``xysiting site DIR --waste KIND -k N --out FILE``: where k new waste facilities help most."""

from __future__ import annotations

import argparse

from dashboard.commands._args import add_out
from dashboard.commands._headers import open_project, presentation
from dashboard.commands._waste_args import add_waste_options, waste_options
from geo.crs import require_crs
from geo.errors import InputError


def register(subparsers) -> None:
    """Add the ``site`` subcommand."""
    from siting.waste import DEFAULT_NEW_CAPACITY_T_PER_YEAR

    p = subparsers.add_parser(
        "site",
        help="choose k new waste facilities (capacitated facility location)",
        description="Choose k new facilities for one waste kind among candidate sites (default: "
        "the industrial parks' representative points) to minimise trucking + gate "
        "fees + fixed costs + unmet waste, on road-network costs (HiGHS MIP). "
        "Prints the allocation before and after; writes every candidate with a "
        "'selected' column.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_waste_options(p)
    p.add_argument("-k", type=int, default=2, help="number of new facilities")
    add_out(p, what="candidates file: .gpkg, .geojson, .csv, .xlsx or .zip (shapefile)")
    p.add_argument(
        "--candidates",
        default=None,
        metavar="FILE",
        help="candidate points (any GDAL vector file); optional columns "
        "capacity_t_per_year, fixed_cost_cny_per_year, gate_fee_cny_per_t, name",
    )
    p.add_argument(
        "--capacity",
        type=float,
        default=DEFAULT_NEW_CAPACITY_T_PER_YEAR,
        metavar="T_PER_YEAR",
        help="capacity of a new site (when the candidate has none)",
    )
    p.add_argument(
        "--fixed-cost",
        type=float,
        default=0.0,
        metavar="CNY_PER_YEAR",
        help="annualised cost of opening a site (when the candidate has none)",
    )
    p.add_argument(
        "--gate-fee",
        type=float,
        default=None,
        metavar="CNY_PER_T",
        help="gate fee at new sites (default: median of accepting facilities)",
    )
    p.add_argument("--flows-out", default=None, metavar="FILE", help="also write the flows after adding the new sites")
    p.set_defaults(func=run)


def _read_candidates(path: str):
    import geopandas as gpd

    try:
        frame = gpd.read_file(path)
    except Exception as exc:
        msg = f"cannot read candidates file {path}: {exc}"
        raise InputError(msg) from exc
    require_crs(frame, what=f"candidates file {path}", fix="save it with one (EPSG:4326 for lon/lat)")
    return frame


def run(args: argparse.Namespace) -> int:
    """Run the siting (or read it from the project's stored results) and print the summary."""
    from dashboard.commands._progress import progress_bar
    from layers.export import export_frame
    from siting import results

    candidates = _read_candidates(args.candidates) if args.candidates else None
    with progress_bar("site") as progress:
        outcome = results.site(
            args.project,
            k=args.k,
            candidates=candidates,
            capacity_t_per_year=args.capacity,
            fixed_cost_cny_per_year=args.fixed_cost,
            gate_fee_cny_per_t=args.gate_fee,
            **waste_options(args),
            progress=progress,
        )
    result = results.load_siting(outcome.stored)
    print(result.after.network_report)
    print(result.summary())
    if outcome.reused:
        print(f"(stored result {outcome.stored.key[:12]}, inputs unchanged since {outcome.stored.meta['created']})")
    assumptions = {
        **result.after.assumptions,
        **result.gain,
        "new_site_capacity_t_per_year": args.capacity,
        "new_site_fixed_cost_cny_per_year": args.fixed_cost,
    }
    project = open_project(args.project) if args.headers else None
    layer = f"{args.waste}_candidates"
    shown = presentation(args, result.candidates, project=project, sheet=layer)
    written = export_frame(result.candidates, args.out, layer=layer, assumptions=assumptions, presentation=shown)
    print(f"wrote {written}")
    if args.flows_out:
        shown = presentation(args, result.after.flows, project=project, sheet=f"{args.waste}_flows")
        print(f"wrote {result.after.export(args.flows_out, what='flows', presentation=shown)}")
    return 0
