"""The options of ``xysiting route`` and ``xysiting site``, declared and read in one place.

:func:`add_waste_options` declares what both commands take (waste kind, road network, rates,
snapping, statuses); :func:`waste_options` turns the parsed options into the keyword
arguments that :func:`siting.results.waste` and :func:`siting.results.site` share.
"""

from __future__ import annotations

import argparse

from dashboard.commands._args import parse_key_values
from geo.errors import InputError


def add_waste_options(p: argparse.ArgumentParser) -> None:
    """Options for the waste kind, network, rates and snapping shared by route and site."""
    from geo.snap import DEFAULT_MAX_SNAP_M
    from layers.schema import WASTE_KINDS
    from siting.waste import DEFAULT_CNY_PER_TKM, DEFAULT_CO2_KG_PER_TKM, DEFAULT_STATUSES

    p.add_argument("project", metavar="DIR", help="project folder")
    p.add_argument("--waste", required=True, choices=WASTE_KINDS, help="waste kind to route")
    p.add_argument(
        "--osm",
        default=None,
        metavar="FILE",
        help="build the road network from this .osm / .osm.pbf file instead of the project's roads layer",
    )
    p.add_argument(
        "--speed",
        action="append",
        default=[],
        metavar="CLASS=KMH",
        help="truck speed for a road class, e.g. --speed motorway=70 (repeatable)",
    )
    p.add_argument(
        "--cny-per-tkm", type=float, default=DEFAULT_CNY_PER_TKM, help="trucking rate, ¥ per t·km (assumption)"
    )
    p.add_argument(
        "--co2-kg-per-tkm",
        type=float,
        default=DEFAULT_CO2_KG_PER_TKM,
        help="truck CO2, kg per t·km (GLEC default, heavy truck)",
    )
    p.add_argument(
        "--objective", choices=("cost", "tkm"), default="cost", help="minimise ¥ (trucking + gate fees) or t·km"
    )
    p.add_argument(
        "--max-snap",
        type=float,
        default=DEFAULT_MAX_SNAP_M,
        metavar="M",
        help="sources/facilities farther than this from a road are flagged, not routed",
    )
    p.add_argument(
        "--snap",
        choices=("edge", "node"),
        default="edge",
        help="snap sites to the nearest road edge or the nearest road node",
    )
    p.add_argument(
        "--statuses", default=",".join(DEFAULT_STATUSES), help="facility statuses that take waste (comma-separated)"
    )


def waste_options(args: argparse.Namespace) -> dict:
    """Keyword arguments of :func:`siting.results.waste` / :func:`~siting.results.site` from the options."""
    return {
        "waste_kind": args.waste,
        "osm_path": args.osm,
        "speeds_kmh": _speeds(args.speed),
        "statuses": _statuses(args.statuses),
        "cny_per_tkm": args.cny_per_tkm,
        "co2_kg_per_tkm": args.co2_kg_per_tkm,
        "objective": args.objective,
        "max_snap_m": args.max_snap,
        "snap_method": args.snap,
    }


def _speeds(items: list[str]) -> dict[str, float] | None:
    """Parse ``--speed CLASS=KMH`` items over the default truck speeds."""
    if not items:
        return None
    from geo.network import DEFAULT_TRUCK_SPEEDS_KMH

    return {
        **DEFAULT_TRUCK_SPEEDS_KMH,
        **parse_key_values(items, option="--speed", form="CLASS=KMH", example="trunk=55"),
    }


def _statuses(text: str) -> tuple[str, ...]:
    """Parse ``--statuses``."""
    from layers.schema import FACILITY_STATUSES

    items = tuple(s.strip() for s in text.split(",") if s.strip())
    unknown = [s for s in items if s not in FACILITY_STATUSES]
    if unknown or not items:
        msg = f"--statuses {text!r}: use a comma-separated list of {', '.join(FACILITY_STATUSES)}"
        raise InputError(msg)
    return items
