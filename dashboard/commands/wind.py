"""``xysiting wind DIR --out FILE``: candidate wind sites with MW, MWh/yr and exclusions."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.errors import InputError


def register(subparsers) -> None:
    """Add the ``wind`` subcommand."""
    from siting.wind.resource import DEFAULT_SHEAR_ALPHA, DEFAULT_WEIBULL_K
    from siting.wind.turbines import DEFAULT_TURBINE

    p = subparsers.add_parser(
        "wind",
        help="wind siting: usable land, MW and MWh/yr per candidate site",
        description="Find contiguous usable land for wind in a project (wind_resource raster "
        "minus exclusion buffers), lay out turbines, integrate the power curve "
        "over a Weibull distribution and write ranked candidate sites. The default "
        "project's wind raster is synthetic; replace it with a real GeoTIFF via "
        "`xysiting import DIR --layer wind_resource FILE.tif`.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("project", metavar="DIR", help="project folder")
    p.add_argument(
        "--out", required=False, metavar="FILE", help="sites file: .gpkg, .geojson, .csv, .xlsx or .zip (shapefile)"
    )
    p.add_argument("--hub-height", type=float, default=120.0, metavar="M", help="hub height, m (30–250)")
    p.add_argument("--turbine", default=DEFAULT_TURBINE, metavar="CLASS", help="turbine class (see --list-turbines)")
    p.add_argument("--list-turbines", action="store_true", help="print the turbine classes and exit")
    p.add_argument(
        "--counties",
        default=None,
        metavar="ADCODES",
        help="comma-separated adcodes to restrict to, e.g. 420607,420683,420684",
    )
    p.add_argument(
        "--min-speed", type=float, default=5.0, metavar="M_S", help="minimum hub-height mean wind speed, m/s"
    )
    p.add_argument("--min-area", type=float, default=1.0, metavar="KM2", help="minimum contiguous usable area, km²")
    p.add_argument(
        "--buffer",
        action="append",
        default=[],
        metavar="KIND=M",
        help="buffer per exclusion kind, e.g. --buffer settlement=800 --buffer road=200",
    )
    p.add_argument("--dem", default=None, metavar="TIF", help="DEM GeoTIFF (m) for the slope exclusion")
    p.add_argument("--max-slope", type=float, default=15.0, metavar="DEG", help="maximum slope, degrees")
    p.add_argument("--alpha", type=float, default=round(DEFAULT_SHEAR_ALPHA, 4), help="power-law shear exponent")
    p.add_argument(
        "--weibull-k", default=str(DEFAULT_WEIBULL_K), metavar="K|TIF", help="Weibull shape: a number or a GeoTIFF of k"
    )
    p.add_argument("--resolution", type=float, default=100.0, metavar="M", help="grid cell size, m")
    p.add_argument(
        "--power-density",
        type=float,
        default=None,
        metavar="MW_KM2",
        help="capacity per usable km² instead of a turbine layout",
    )
    p.add_argument(
        "--spacing",
        default="7x4",
        metavar="ALONGxACROSS",
        help="layout spacing in rotor diameters, along x across the wind",
    )
    p.add_argument(
        "--wind-direction",
        type=float,
        default=0.0,
        metavar="DEG",
        help="prevailing wind direction, degrees from north (orients the layout)",
    )
    p.add_argument("--wake-loss", type=float, default=0.10, help="wake loss fraction")
    p.add_argument("--availability-loss", type=float, default=0.03, help="availability loss fraction")
    p.add_argument("--electrical-loss", type=float, default=0.02, help="electrical loss fraction")
    p.add_argument(
        "--max-site-km2",
        type=float,
        default=None,
        metavar="KM2",
        help="cut contiguous areas larger than this into several sites",
    )
    p.add_argument(
        "--air-density",
        type=float,
        default=None,
        metavar="KG_M3",
        help="site air density for the power curve (default: standard 1.225)",
    )
    p.add_argument("--rank-by", default="energy_mwh_per_year", help="column to rank sites by")
    p.add_argument(
        "--exclusions-out", default=None, metavar="FILE", help="also write the exclusion table (.csv or .xlsx)"
    )
    p.add_argument(
        "--turbines-out", default=None, metavar="FILE", help="also write turbine positions (.gpkg, .geojson, .csv, ...)"
    )
    p.add_argument(
        "--availability-out",
        default=None,
        metavar="TIF",
        help="also write the availability raster (GeoTIFF, metric grid)",
    )
    p.set_defaults(func=run)


def _parse_spacing(text: str) -> tuple[float, float]:
    try:
        along, across = (float(v) for v in text.lower().replace("×", "x").split("x"))
    except ValueError:
        msg = f"--spacing {text!r}: write ALONGxACROSS in rotor diameters, e.g. 7x4"
        raise InputError(msg) from None
    return along, across


def _parse_buffers(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        kind, _, value = item.partition("=")
        try:
            out[kind.strip()] = float(value)
        except ValueError:
            msg = f"--buffer {item!r}: write KIND=METRES, e.g. settlement=800"
            raise InputError(msg) from None
    return out


def _weibull(text: str):
    try:
        return float(text)
    except ValueError:
        path = Path(text)
        if not path.is_file():
            msg = f"--weibull-k {text!r} is neither a number nor an existing GeoTIFF"
            raise InputError(msg) from None
        return path


def run(args) -> int:
    """Run the wind analysis and write the requested files."""
    from tqdm import tqdm

    from layers.export import export_frame
    from siting.wind import Losses, turbine_table, wind_sites

    if args.list_turbines:
        print(turbine_table().to_string(index=False))
        return 0
    if not args.out:
        msg = "give --out FILE for the sites (e.g. --out wind_sites.gpkg)"
        raise InputError(msg)
    steps = ["region", "resource", "exclusions", "energy", "sites", "done"]
    with tqdm(total=len(steps) - 1, desc="wind", unit="step") as bar:

        def progress(label: str) -> None:
            bar.set_postfix_str(label)
            if label != "region":
                bar.update(1)

        result = wind_sites(
            args.project,
            hub_height_m=args.hub_height,
            turbine=args.turbine,
            counties=[c.strip() for c in args.counties.split(",")] if args.counties else None,
            min_speed_m_s=args.min_speed,
            min_area_km2=args.min_area,
            buffers_m=_parse_buffers(args.buffer),
            dem_path=args.dem,
            max_slope_deg=args.max_slope,
            shear_alpha=args.alpha,
            weibull_k=_weibull(args.weibull_k),
            resolution_m=args.resolution,
            power_density_mw_per_km2=args.power_density,
            spacing_rotor_diameters=_parse_spacing(args.spacing),
            wind_direction_deg=args.wind_direction,
            losses=Losses(wake=args.wake_loss, availability=args.availability_loss, electrical=args.electrical_loss),
            air_density_kg_m3=args.air_density,
            rank_by=args.rank_by,
            max_site_km2=args.max_site_km2,
            progress=progress,
        )
    sites = result.sites.drop(columns=["label"])
    written = [export_frame(sites, args.out, layer="wind_sites", assumptions=result.assumptions)]
    if args.exclusions_out:
        written.append(
            export_frame(
                result.exclusion_table, args.exclusions_out, layer="wind_exclusions", assumptions=result.assumptions
            )
        )
    if args.turbines_out:
        written.append(
            export_frame(result.turbines, args.turbines_out, layer="wind_turbines", assumptions=result.assumptions)
        )
    if args.availability_out:
        written.append(result.write_raster(args.availability_out, which="availability"))
    table = result.exclusion_table
    for row in table[table["layer"] != "available"].itertuples():
        print(
            f"  excluded by {row.layer}: {row.excluded_in_order_km2:,.1f} km² ({row.excluded_km2:,.1f} km² on its own)"
        )
    t = result.totals
    source = result.assumptions["resource_source"]
    note = " (SYNTHETIC wind raster — import a real one)" if source == "synthetic" else ""
    print(
        f"{t['sites']} sites, {t['usable_km2']:.1f} km² usable of {t['region_km2']:.1f} km², "
        f"{t['turbines']} turbines, {t['capacity_mw']:.0f} MW, "
        f"{t['energy_mwh_per_year'] / 1e3:.0f} GWh/yr, capacity factor "
        f"{t['capacity_factor']:.3f}{note}"
    )
    for path in written:
        print(f"wrote {path}")
    return 0
