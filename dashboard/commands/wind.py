"""``xysiting wind DIR --out FILE``: wind potential, sites by LCOE (supply curve) and exclusions."""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard.commands._args import add_out, parse_key_values
from dashboard.commands._headers import presentation
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
    add_out(
        p,
        what="sites by LCOE: .xlsx (workbook with supply curve, potentials, exclusions and assumptions "
        "sheets), .gpkg, .geojson, .csv or .zip (shapefile)",
        required=False,
    )
    p.add_argument("--turbine", default=d.turbine_name, metavar="CLASS", help="turbine class (see --list-turbines)")
    p.add_argument("--list-turbines", action="store_true", help="print the turbine classes and exit")
    p.add_argument(
        "--counties",
        default=None,
        metavar="ADCODES",
        help="comma-separated adcodes to restrict to, e.g. 420607,420683,420684",
    )
    for flag, name, kind, metavar, text in _FIELD_OPTIONS:
        p.add_argument(flag, dest=name, type=kind, default=getattr(d, name), metavar=metavar, help=text)
    p.add_argument(
        "--buffer",
        action="append",
        default=[],
        metavar="KIND=M",
        help="setback per exclusion kind, e.g. --buffer settlement=800 --buffer road=250 "
        f"(defaults: {', '.join(f'{k}={v:g}' for k, v in d.buffers_m.items())})",
    )
    p.add_argument(
        "--weibull-k", default=str(d.weibull_k), metavar="K|TIF", help="Weibull shape: a number or a GeoTIFF of k"
    )
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
    p.add_argument(
        "--spacing",
        default="{:g}x{:g}".format(*d.spacing_rotor_diameters),
        metavar="ALONGxACROSS",
        help="layout spacing in rotor diameters, along x across the wind",
    )
    p.add_argument("--wake-loss", type=float, default=d.losses.wake, help="wake loss fraction")
    p.add_argument("--availability-loss", type=float, default=d.losses.availability, help="availability loss fraction")
    p.add_argument("--electrical-loss", type=float, default=d.losses.electrical, help="electrical loss fraction")
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


#: Options that each set one field of WindAssumptions (default: the field's):
#: flag, field, type, metavar, help.
_FIELD_OPTIONS = (
    ("--hub-height", "hub_height_m", float, "M", "hub height, m (30–250)"),
    ("--min-speed", "min_speed_m_s", float, "M_S", "minimum hub-height mean wind speed, m/s"),
    ("--min-area", "min_area_km2", float, "KM2", "minimum contiguous usable area, km²"),
    ("--dem", "dem_path", str, "TIF", "DEM GeoTIFF (m) for the slope exclusion"),
    ("--max-slope", "max_slope_deg", float, "DEG", "maximum slope, degrees"),
    ("--alpha", "shear_alpha", float, "ALPHA", "power-law shear exponent (1/7: open flat terrain)"),
    ("--resolution", "resolution_m", float, "M", "grid cell size, m"),
    ("--capex", "capex_cny_per_kw", float, "CNY_KW", "installed cost, CNY/kW"),
    ("--opex", "opex_cny_per_kw_year", float, "CNY_KW_YR", "fixed O&M, CNY/kW/yr"),
    ("--wacc", "wacc", float, "FRACTION", "real WACC, e.g. 0.05"),
    ("--lifetime", "lifetime_years", int, "YEARS", "economic life, years"),
    ("--benchmark", "benchmark_cny_per_kwh", float, "CNY_KWH", "tariff to compare LCOE with (Hubei coal benchmark)"),
    ("--near-grid-km", "near_grid_km", float, "KM", "'near grid': within this distance of a ≥ 110 kV substation"),
    ("--wind-direction", "wind_direction_deg", float, "DEG", "prevailing wind, ° from north (orients the layout)"),
    ("--max-site-km2", "max_site_km2", float, "KM2", "cut larger contiguous areas into sites (supply-curve points)"),
    ("--air-density", "air_density_kg_m3", float, "KG_M3", "air density for the power curve (None: standard 1.225)"),
    ("--rank-by", "rank_by", str, "COLUMN", "column to rank sites by (LCOE ascending: the supply curve)"),
)


def _parse_spacing(text: str) -> tuple[float, float]:
    try:
        along, across = (float(v) for v in text.lower().replace("×", "x").split("x"))
    except ValueError:
        msg = f"--spacing {text!r}: write ALONGxACROSS in rotor diameters, e.g. 7x4"
        raise InputError(msg) from None
    return along, across


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
        **{name: getattr(args, name) for _, name, *_ in _FIELD_OPTIONS},
        turbine=args.turbine,
        buffers_m=parse_key_values(args.buffer, option="--buffer", form="KIND=METRES", example="settlement=800"),
        weibull_k=_weibull(args.weibull_k),
        capacity_density_mw_per_km2=None if args.layout else args.capacity_density,
        spacing_rotor_diameters=_parse_spacing(args.spacing),
        losses=Losses(wake=args.wake_loss, availability=args.availability_loss, electrical=args.electrical_loss),
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
    from dashboard.commands._progress import progress_bar
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
    with progress_bar("wind") as progress:
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

            outcome = results.wind(args.project, assumptions=assumptions, progress=progress)
            result = results.load_wind(outcome.stored)
    carried = {**result.assumptions, **{f"potential_{k}": v for k, v in result.potentials.items()}}

    def write(frame, path, layer):
        shown = presentation(args, frame, sheet=layer)
        return export_frame(frame, path, layer=layer, assumptions=carried, presentation=shown)

    if fmt == "xlsx" and args.headers:
        from dashboard.export_labels import wind_workbook

        written = [wind_workbook(result, args.out, lang=args.headers, assumptions=carried)]
    elif fmt == "xlsx":
        written = [result.to_excel(args.out)]
    else:
        written = [write(result.sites.drop(columns=["label"]), args.out, "wind_sites")]
        written.append(write(result.supply_curve, Path(args.out).with_suffix(".supply_curve.csv"), "supply_curve"))
    if args.exclusions_out:
        written.append(write(result.exclusion_table, args.exclusions_out, "wind_exclusions"))
    if args.turbines_out:
        written.append(write(result.turbines, args.turbines_out, "wind_turbines"))
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
