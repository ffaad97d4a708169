"""``xysiting wind DIR --out FILE``: wind potential, sites by LCOE (supply curve) and exclusions."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.errors import InputError


def register(subparsers) -> None:
    """Add the ``wind`` subcommand."""
    from siting.wind.assumptions import WindAssumptions

    d = WindAssumptions()

    p = subparsers.add_parser(
        "wind",
        help="wind potential: usable land, MW, GWh/yr, LCOE and the supply curve",
        description="Find usable land for wind in a project (wind_resource raster minus an "
        "exclusion stack), size sites at a capacity density, integrate the power curve over a "
        "Weibull distribution, connect each site to the nearest substation of at least 110 kV "
        "(grid layer), cost it (LCOE) and rank the sites into a supply curve. Prints technical, "
        "below-benchmark, near-grid and existing operating capacity side by side. The default "
        "project's wind raster is synthetic; replace it with a real GeoTIFF via "
        "`xysiting import DIR --layer wind_resource FILE.tif`. Defaults and their sources: "
        "siting/wind/assumptions.py.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("project", metavar="DIR", help="project folder")
    p.add_argument(
        "--out",
        required=False,
        metavar="FILE",
        help="sites by LCOE: .xlsx (workbook with supply curve, potentials, exclusions and assumptions "
        "sheets), .gpkg, .geojson, .csv or .zip (shapefile)",
    )
    p.add_argument("--hub-height", type=float, default=d.hub_height_m, metavar="M", help="hub height, m (30–250)")
    p.add_argument("--turbine", default=d.turbine_name, metavar="CLASS", help="turbine class (see --list-turbines)")
    p.add_argument("--list-turbines", action="store_true", help="print the turbine classes and exit")
    p.add_argument(
        "--counties",
        default=None,
        metavar="ADCODES",
        help="comma-separated adcodes to restrict to, e.g. 420607,420683,420684",
    )
    p.add_argument(
        "--min-speed",
        type=float,
        default=d.min_speed_m_s,
        metavar="M_S",
        help="minimum hub-height mean wind speed, m/s",
    )
    p.add_argument(
        "--min-area", type=float, default=d.min_area_km2, metavar="KM2", help="minimum contiguous usable area, km²"
    )
    p.add_argument(
        "--buffer",
        action="append",
        default=[],
        metavar="KIND=M",
        help="setback per exclusion kind, e.g. --buffer settlement=800 --buffer road=250 "
        f"(defaults: {', '.join(f'{k}={v:g}' for k, v in d.buffers_m.items())})",
    )
    p.add_argument("--dem", default=None, metavar="TIF", help="DEM GeoTIFF (m) for the slope exclusion")
    p.add_argument("--max-slope", type=float, default=d.max_slope_deg, metavar="DEG", help="maximum slope, degrees")
    p.add_argument("--alpha", type=float, default=round(d.shear_alpha, 4), help="power-law shear exponent")
    p.add_argument(
        "--weibull-k", default=str(d.weibull_k), metavar="K|TIF", help="Weibull shape: a number or a GeoTIFF of k"
    )
    p.add_argument("--resolution", type=float, default=d.resolution_m, metavar="M", help="grid cell size, m")
    p.add_argument(
        "--capacity-density",
        "--power-density",
        dest="capacity_density",
        type=float,
        default=d.capacity_density_mw_per_km2,
        metavar="MW_KM2",
        help="capacity per usable km² (NREL: 3 MW/km²)",
    )
    p.add_argument(
        "--layout", action="store_true", help="lay turbines out on a lattice (--spacing) instead of a capacity density"
    )
    p.add_argument("--capex", type=float, default=d.capex_cny_per_kw, metavar="CNY_KW", help="installed cost, CNY/kW")
    p.add_argument(
        "--opex", type=float, default=d.opex_cny_per_kw_year, metavar="CNY_KW_YR", help="fixed O&M, CNY/kW/yr"
    )
    p.add_argument("--wacc", type=float, default=d.wacc, metavar="FRACTION", help="real WACC, e.g. 0.05")
    p.add_argument("--lifetime", type=int, default=d.lifetime_years, metavar="YEARS", help="economic life, years")
    p.add_argument(
        "--benchmark",
        type=float,
        default=d.benchmark_cny_per_kwh,
        metavar="CNY_KWH",
        help="tariff to compare LCOE with (Hubei coal benchmark)",
    )
    p.add_argument(
        "--near-grid-km",
        type=float,
        default=d.near_grid_km,
        metavar="KM",
        help="'near grid': within this distance of a substation of at least 110 kV",
    )
    p.add_argument(
        "--spacing",
        default="{:g}x{:g}".format(*d.spacing_rotor_diameters),
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
    p.add_argument("--wake-loss", type=float, default=d.losses.wake, help="wake loss fraction")
    p.add_argument("--availability-loss", type=float, default=d.losses.availability, help="availability loss fraction")
    p.add_argument("--electrical-loss", type=float, default=d.losses.electrical, help="electrical loss fraction")
    p.add_argument(
        "--max-site-km2",
        type=float,
        default=d.max_site_km2,
        metavar="KM2",
        help="cut contiguous areas larger than this into several sites (supply-curve points)",
    )
    p.add_argument(
        "--air-density",
        type=float,
        default=None,
        metavar="KG_M3",
        help="site air density for the power curve (default: standard 1.225)",
    )
    p.add_argument("--rank-by", default=d.rank_by, help="column to rank sites by (LCOE ascending: the supply curve)")
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


def assumptions_from_args(args):
    """The :class:`~siting.wind.assumptions.WindAssumptions` the command-line options describe."""
    from siting.wind import Losses, WindAssumptions

    return WindAssumptions(
        hub_height_m=args.hub_height,
        turbine=args.turbine,
        min_speed_m_s=args.min_speed,
        min_area_km2=args.min_area,
        buffers_m=_parse_buffers(args.buffer),
        dem_path=args.dem,
        max_slope_deg=args.max_slope,
        shear_alpha=args.alpha,
        weibull_k=_weibull(args.weibull_k),
        resolution_m=args.resolution,
        capacity_density_mw_per_km2=None if args.layout else args.capacity_density,
        spacing_rotor_diameters=_parse_spacing(args.spacing),
        wind_direction_deg=args.wind_direction,
        losses=Losses(wake=args.wake_loss, availability=args.availability_loss, electrical=args.electrical_loss),
        air_density_kg_m3=args.air_density,
        rank_by=args.rank_by,
        max_site_km2=args.max_site_km2,
        capex_cny_per_kw=args.capex,
        opex_cny_per_kw_year=args.opex,
        wacc=args.wacc,
        lifetime_years=args.lifetime,
        benchmark_cny_per_kwh=args.benchmark,
        near_grid_km=args.near_grid_km,
    )


def potentials_lines(result) -> list[str]:
    """The four potentials side by side (MW) and the usable land share, as printed lines."""
    p = result.potentials
    a = result.settings
    synthetic = result.assumptions.get("resource_source") == "synthetic"
    tech = p["technical_mw"]

    def share(mw):
        return f" ({100.0 * mw / tech:.0f} % of technical)" if tech > 0 else ""

    lines = [
        "wind potential" + (" — SYNTHETIC wind raster (import a real one)" if synthetic else "") + ":",
        f"  {'technical potential':<44}{tech:>10,.0f} MW  {p['technical_gwh_per_year']:>9,.0f} GWh/yr",
        f"  {f'below benchmark ≤ {a.benchmark_cny_per_kwh:g} CNY/kWh':<44}{p['below_benchmark_mw']:>10,.0f} MW"
        f"{share(p['below_benchmark_mw'])}",
    ]
    label = f"within {a.near_grid_km:g} km of a ≥ {a.min_substation_kv:g} kV substation"
    if p["near_grid_mw"] is None:
        lines.append(f"  {label:<44}{'n/a':>10}     (no 'grid' layer: see below)")
    else:
        lines.append(f"  {label:<44}{p['near_grid_mw']:>10,.0f} MW{share(p['near_grid_mw'])}")
    if p["existing_operating_mw"] is None:
        lines.append(f"  {'existing operating wind':<44}{'n/a':>10}     (no 'power_plants' layer: see below)")
    else:
        placeholder = p["existing_placeholder_farms"]
        extra = f", {placeholder} at a placeholder location" if placeholder else ""
        lines.append(
            f"  {'existing operating wind':<44}{p['existing_operating_mw']:>10,.0f} MW  "
            f"({p['existing_operating_farms']} farms{extra})"
        )
    lines.append(
        f"  {'usable land':<44}{p['usable_share_pct']:>10.1f} %   of {p['region_km2']:,.0f} km² "
        f"({p['usable_km2']:,.0f} km²)"
    )
    if p.get("overlapping_farm_sites_mw"):
        lines.append(
            f"  of the technical potential, {p['overlapping_farm_sites_mw']:,.0f} MW overlaps existing or planned farms"
        )
    lines += [f"  note: {n}" for n in result.notes]
    return lines


def run(args) -> int:
    """Run the wind analysis, print the potentials and write the requested files."""
    from tqdm import tqdm

    from layers.export import export_frame, format_from_path
    from siting.wind import turbine_table, wind_sites

    if args.list_turbines:
        print(turbine_table().to_string(index=False))
        return 0
    if not args.out:
        msg = "give --out FILE for the sites (e.g. --out wind_sites.xlsx)"
        raise InputError(msg)
    fmt = format_from_path(args.out)
    assumptions = assumptions_from_args(args)
    steps = ["region", "resource", "exclusions", "energy", "sites", "grid", "done"]
    with tqdm(total=len(steps) - 1, desc="wind", unit="step") as bar:

        def progress(label: str) -> None:
            bar.set_postfix_str(label)
            if label != "region":
                bar.update(1)

        if args.counties or args.availability_out:
            # a county subset or the per-cell raster: a run of its own, not kept in the store
            result = wind_sites(
                args.project,
                assumptions,
                counties=[c.strip() for c in args.counties.split(",")] if args.counties else None,
                progress=progress,
            )
        else:
            from siting import results

            outcome = results.wind(args.project, assumptions=assumptions)
            result = results.load_wind(outcome.stored)
            bar.update(len(steps) - 1 - bar.n)
            bar.set_postfix_str("stored result reused" if outcome.reused else "computed and stored")
    carried = {**result.assumptions, **{f"potential_{k}": v for k, v in result.potentials.items()}}
    if fmt == "xlsx":
        written = [result.to_excel(args.out)]
    else:
        sites = result.sites.drop(columns=["label"])
        written = [export_frame(sites, args.out, layer="wind_sites", assumptions=carried)]
        curve_path = Path(args.out).with_suffix(".supply_curve.csv")
        written.append(export_frame(result.supply_curve, curve_path, layer="supply_curve", assumptions=carried))
    if args.exclusions_out:
        written.append(
            export_frame(result.exclusion_table, args.exclusions_out, layer="wind_exclusions", assumptions=carried)
        )
    if args.turbines_out:
        written.append(export_frame(result.turbines, args.turbines_out, layer="wind_turbines", assumptions=carried))
    if args.availability_out:
        written.append(result.write_raster(args.availability_out, which="availability"))
    table = result.exclusion_table
    print("exclusion stack (km² excluded in order; on its own):")
    for row in table[table["layer"] != "available"].itertuples():
        print(f"  {row.layer:<30}{row.excluded_in_order_km2:>10,.1f}  ({row.excluded_km2:,.1f})")
    t = result.totals
    print(
        f"{t['sites']} sites, {t['capacity_mw']:,.0f} MW, {t['energy_mwh_per_year'] / 1e3:,.0f} GWh/yr, "
        f"capacity factor {t['capacity_factor']:.3f}"
    )
    for line in potentials_lines(result):
        print(line)
    for path in written:
        print(f"wrote {path}")
    return 0
