"""``xysiting solar DIR --out FILE``: rooftop PV yields, ranks, a shortlist and county roll-ups."""

from __future__ import annotations

import argparse
from pathlib import Path

from dashboard.commands._args import add_out
from dashboard.commands._headers import open_project, presentation
from geo.errors import InputError


def register(subparsers) -> None:
    """Add the ``solar`` subcommand."""
    p = subparsers.add_parser(
        "solar",
        help="rooftop PV: kWp, kWh/yr, shading, CO2, payback, LCOE, a shortlist and a supply curve",
        description="Compute PV potential for every rooftop of a project (or of a GeoParquet "
        "file/folder of rooftops) with pvlib, rank rooftops within their county and "
        "write a filtered shortlist. The default weather is a synthetic hourly year "
        "built from CDSRD station 57278 climatology; pass --weather for real data "
        "(EPW, TMY3 or a CSV with time,ghi,dhi[,dni,temp_air,wind_speed]).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("project", metavar="DIR", help="project folder, or a GeoParquet file/folder of rooftops")
    add_out(
        p, what="shortlist file: .csv (UTF-8 BOM), .xlsx (+ assumptions sheet), .gpkg, .geojson or .zip (shapefile)"
    )
    p.add_argument("--format", default=None, help="export format when the suffix does not say")
    p.add_argument("--weather", default=None, metavar="FILE", help="EPW, TMY3 or CSV weather file")
    p.add_argument(
        "--weather-tz",
        default=None,
        metavar="TZ",
        help="time zone of a CSV's time stamps without offset, e.g. Asia/Shanghai",
    )
    p.add_argument("--weather-lat", type=float, default=None, help="site latitude of a CSV weather file")
    p.add_argument("--weather-lon", type=float, default=None, help="site longitude of a CSV weather file")
    p.add_argument(
        "--county",
        default=None,
        metavar="NAME",
        help="county by Chinese name, English name or adcode (e.g. 谷城县, Gucheng, 420625)",
    )
    p.add_argument("--park", default=None, metavar="ID", help="industrial park id (park_id)")
    p.add_argument(
        "--use-class", action="append", default=None, metavar="CLASS", help="keep only this use class (repeatable)"
    )
    p.add_argument("--min-kwp", type=float, default=0.0, metavar="X", help="minimum capacity, kWp")
    p.add_argument("--min-kwh-per-kwp", type=float, default=0.0, metavar="Y", help="minimum specific yield, kWh/kWp")
    p.add_argument("--top", type=int, default=None, metavar="N", help="keep the best N rooftops")
    p.add_argument(
        "--include-unsuitable", action="store_true", help="also list unsuitable rooftops (with their exclusion_reason)"
    )
    p.add_argument(
        "--rollup",
        default=None,
        metavar="FILE",
        help="also write county roll-ups (MWp, GWh/yr, tCO2/yr): .csv or .xlsx",
    )
    p.add_argument("--rollup-by-use-class", action="store_true", help="roll up per county and use class")
    p.add_argument(
        "--supply-curve",
        default=None,
        metavar="FILE",
        help="also write the supply curve (suitable rooftops by LCOE with cumulative MWp and GWh/yr, "
        "below_benchmark): .csv or .xlsx, with the assumptions",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a PV assumption, e.g. --set capex_cny_per_w=3.0 --set grid_factor_kg_per_kwh=0.5366",
    )
    p.add_argument("--no-shading", action="store_true", help="skip neighbour shading")
    p.add_argument(
        "--engine",
        choices=("pandas", "dask"),
        default="pandas",
        help="pandas: one frame in memory; dask: partition-wise dask-geopandas",
    )
    p.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="dask.distributed scheduler address (with --engine dask)"
    )
    p.add_argument(
        "--partitions",
        type=int,
        default=None,
        metavar="N",
        help="partitions for --engine dask (default: as stored, or 2 per core)",
    )
    p.set_defaults(func=run)


def _read_weather(args):
    from siting.solar import default_weather, read_weather

    if args.weather is None:
        return default_weather()
    return read_weather(args.weather, tz=args.weather_tz, latitude=args.weather_lat, longitude=args.weather_lon)


def _is_parquet(path: Path) -> bool:
    if path.is_file():
        return path.suffix.lower() in (".parquet", ".geoparquet", ".pq")
    return path.is_dir() and not (path / "manifest.json").exists() and any(path.glob("*.parquet"))


def run(args: argparse.Namespace) -> int:
    """Run ``xysiting solar``."""
    import geopandas as gpd

    from dashboard.commands._progress import progress_bar
    from siting.solar import (
        PVAssumptions,
        county_rollup,
        export_shortlist,
        resolve_county,
        rooftop_potential,
        shortlist,
        supply_curve,
        supply_summary,
    )

    a = PVAssumptions().with_overrides(args.set)
    if args.scheduler and args.engine != "dask":
        msg = "--scheduler needs --engine dask"
        raise InputError(msg)
    county = resolve_county(args.county) if args.county else None
    if args.top is not None and args.top < 1:
        msg = f"--top must be ≥ 1, got {args.top}"
        raise InputError(msg)
    src = Path(args.project)
    filters = {
        "county": county,
        "park": args.park,
        "use_class": args.use_class,
        "min_kwp": args.min_kwp,
        "min_kwh_per_kwp": args.min_kwh_per_kwp,
        "top": args.top,
        "include_unsuitable": args.include_unsuitable,
    }
    with progress_bar("solar", leave=True) as progress:
        progress(0.0, "weather")
        weather = _read_weather(args)
        if args.engine == "dask":
            progress(0.1, "rooftops (dask)")
            best, rollup, meta, totals, curve, summary = _run_dask(args, src, weather, a, filters)
        else:
            progress(0.1, "rooftops")
            if _is_parquet(src):
                try:
                    rooftops = gpd.read_parquet(src)
                except Exception as exc:
                    msg = f"{src}: cannot read GeoParquet rooftops ({type(exc).__name__}: {exc})"
                    raise InputError(msg) from None
                progress(0.2, f"pvlib + shading, {len(rooftops):,} rooftops")
                result = rooftop_potential(rooftops, weather, assumptions=a, shading=not args.no_shading)
                meta = result.attrs["solar"]
            else:
                from siting import results

                outcome = results.solar(
                    src,
                    weather=weather,
                    assumptions=a,
                    shading=not args.no_shading,
                    progress=lambda fraction, message: progress(0.1 + 0.75 * fraction, message),
                )
                result = outcome.stored.read("rooftops")
                meta = outcome.stored.extra["metadata"]
            progress(0.85, "shortlist")
            best = shortlist(result, **filters)
            rollup = county_rollup(result, by_use_class=args.rollup_by_use_class)
            totals = _totals(result)
            curve = supply_curve(result, benchmark_cny_per_kwh=a.benchmark_cny_per_kwh)
            summary = supply_summary(curve)
        progress(0.9, "write")
        project = open_project(src) if args.headers else None
        shown = presentation(args, best, project=project, sheet="rooftop_pv")
        written = [export_shortlist(best, args.out, fmt=args.format, assumptions=meta, presentation=shown)]
        if args.rollup:
            from layers.export import export_frame

            shown = presentation(args, rollup, project=project, sheet="county_rollup")
            written.append(
                export_frame(rollup, args.rollup, layer="county_rollup", assumptions=meta, presentation=shown)
            )
        if args.supply_curve:
            from layers.export import export_frame

            sheet = {**meta, **{f"supply_{k}": v for k, v in summary.items()}}
            shown = presentation(args, curve, project=project, sheet="supply_curve")
            written.append(
                export_frame(curve, args.supply_curve, layer="supply_curve", assumptions=sheet, presentation=shown)
            )
        progress(1.0, "written")
    print(
        f"{totals['rooftops']:,} rooftops, {totals['suitable']:,} suitable: "
        f"{totals['mwp']:,.1f} MWp, {totals['gwh']:,.1f} GWh/yr, "
        f"{totals['tco2']:,.0f} tCO2/yr avoided; weather {meta['weather']} "
        f"(GHI {meta['weather_annual_ghi_kwh_m2']} kWh/m²/yr)"
    )
    print(
        f"supply curve: LCOE {summary['lcoe_min_cny_per_kwh']:.3f}–{summary['lcoe_max_cny_per_kwh']:.3f} CNY/kWh "
        f"(capacity-weighted median {summary['lcoe_median_cny_per_kwh']:.3f}); at or below the benchmark "
        f"{summary['benchmark_cny_per_kwh']:.4f} CNY/kWh: {summary['mwp_below_benchmark']:,.1f} MWp "
        f"({summary['share_mwp_below_benchmark']:.0%}), {summary['gwh_per_year_below_benchmark']:,.1f} GWh/yr "
        f"(capex {a.capex_cny_per_w:g} CNY/W, discount rate {a.discount_rate:.1%}, {a.lifetime_years} years)"
    )
    for label in ("weather_repairs", "rooftop_repairs"):
        if meta.get(label, "none") not in ("none", ""):
            print(f"{label.replace('_', ' ')}: {meta[label]}")
    print(f"shortlist: {len(best):,} rooftops")
    for path in written:
        print(f"wrote {path}")
    return 0


def _totals(result) -> dict:
    ok = result[result["suitable"].to_numpy(dtype=bool)]
    return {
        "rooftops": len(result),
        "suitable": len(ok),
        "mwp": ok["kwp"].sum() / 1000.0,
        "gwh": ok["kwh_per_year"].sum() / 1e6,
        "tco2": ok["tco2_avoided_per_year"].sum(),
    }


def _run_dask(args, src: Path, weather, a, filters):
    """The dask engine: computed and written partition by partition, never gathered whole.

    A project goes through the results store (:func:`siting.results.solar`, a partitioned
    GeoParquet result, reused while current); a GeoParquet input is staged partition-wise
    in a temporary folder beside ``--out`` (a cluster's workers must see it).  The shortlist
    takes each partition's best ``--top`` first, roll-ups and totals are sums per
    partition, the supply-curve summary is summed per LCOE value.  Only ``--supply-curve``
    (one row per suitable rooftop, in one file) collects its columns of the suitable rooftops.
    """
    import tempfile

    import dask_geopandas

    from siting import results
    from siting.solar import scale, supply_curve

    client = _connect(args.scheduler) if args.scheduler else None
    try:
        with tempfile.TemporaryDirectory(prefix=".xysiting-solar-", dir=Path(args.out).resolve().parent) as tmp:
            if _is_parquet(src):
                ddf = scale.read_rooftops(src, npartitions=args.partitions)
                ranked = scale.potential_dask(
                    ddf,
                    weather,
                    assumptions=a,
                    shading=not args.no_shading,
                    stage=Path(tmp) / "unranked",
                    persist=False,
                    client=client,
                )
                ranked.to_parquet(str(Path(tmp) / "ranked"), write_index=False)  # partition by partition
                result = dask_geopandas.read_parquet(str(Path(tmp) / "ranked"))
            else:
                outcome = results.solar(
                    src,
                    weather=weather,
                    assumptions=a,
                    shading=not args.no_shading,
                    engine="dask",
                    client=client,
                    partitions=args.partitions,
                )
                result = outcome.stored.read_dask("rooftops")
            best = scale.shortlist_dask(result, **filters, rank_by=a.rank_by)
            rollup = scale.rollup_dask(result, by_use_class=args.rollup_by_use_class)
            total = rollup.iloc[-1]
            n = int(result.map_partitions(len).compute().sum())
            summary = scale.supply_summary_dask(result, benchmark_cny_per_kwh=a.benchmark_cny_per_kwh)
            curve = None
            if args.supply_curve:
                cols = ["id", "name", "county", "use_class", "kwp", "kwh_per_year", "kwh_per_kwp", "lcoe_cny_per_kwh"]
                suitable = result[result["suitable"]]
                curve = supply_curve(
                    suitable[[c for c in cols if c in result.columns] + ["suitable"]].compute(),
                    benchmark_cny_per_kwh=a.benchmark_cny_per_kwh,
                )
        totals = {
            "rooftops": n,
            "suitable": int(total["rooftops"]),
            "mwp": float(total["mwp"]),
            "gwh": float(total["gwh_per_year"]),
            "tco2": float(total["tco2_per_year"]),
        }
        return best, rollup, scale.metadata(weather, a), totals, curve, summary
    finally:
        if client is not None:
            client.close()


def _connect(address: str):
    """A dask.distributed client of the scheduler at ``address`` (InputError if unreachable)."""
    try:
        from distributed import Client
    except ImportError:
        msg = "--scheduler needs the 'distributed' package (pip install distributed)"
        raise InputError(msg) from None
    try:
        return Client(address, timeout="20s")
    except OSError as exc:
        msg = f"--scheduler {address}: cannot connect ({exc})"
        raise InputError(msg) from None
