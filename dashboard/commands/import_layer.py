"""``xysiting import DIR --layer KIND FILE``: import a user's file as a layer."""

from __future__ import annotations

import argparse

from layers.schema import LAYER_KINDS


def register(subparsers) -> None:
    """Add the ``import`` subcommand."""
    p = subparsers.add_parser(
        "import",
        help="import a file as a layer of a project (replacing that layer)",
        description="Read FILE (GeoPackage, GeoJSON, Shapefile .shp or .zip, GeoParquet, CSV with "
        "lon/lat or WKT, OpenStreetMap .osm/.osm.pbf, GeoTIFF; power plants also from GEM .xlsx), "
        "validate it against the layer's schema and store it. Nothing changes if the import fails.",
    )
    p.add_argument("dir", metavar="DIR", help="project folder")
    p.add_argument("file", metavar="FILE", help="the file to import")
    p.add_argument(
        "--layer", required=True, choices=LAYER_KINDS, metavar="KIND", help=f"layer kind: {', '.join(LAYER_KINDS)}"
    )
    p.add_argument("--crs", help="CRS of a file that declares none, e.g. 4326, 4490 (CGCS2000), 32649")
    offsets = p.add_mutually_exclusive_group()
    offsets.add_argument(
        "--from-gcj02",
        action="store_true",
        help="coordinates are GCJ-02 (AMap/Gaode, Tencent, DataV); convert to WGS84",
    )
    offsets.add_argument("--from-bd09", action="store_true", help="coordinates are Baidu BD-09; convert to WGS84")
    p.add_argument("--source-layer", help="layer inside a multi-layer file (GeoPackage)")
    p.add_argument("--encoding", help="attribute encoding when a Shapefile has no .cpg, e.g. GBK")
    p.add_argument(
        "--preset",
        choices=("gem", "gppd", "osm-power"),
        help="power_plants/grid: the file's published layout — a GEM tracker (.xlsx sheet Data or CSV), "
        "the WRI GPPD CSV, or OpenStreetMap power=* features; detected from the columns when omitted",
    )
    p.add_argument("--height-m", type=float, help="wind rasters: height above ground of the speeds, m (e.g. 100)")
    p.add_argument(
        "--rename",
        action="append",
        default=[],
        metavar="SRC=DST",
        help="rename the file's column SRC to the schema's DST before validation, e.g. "
        "--rename kind=facility_kind (repeatable)",
    )
    p.add_argument(
        "--allow-outside",
        action="store_true",
        help="import even when every feature lies far outside the Xiangyang region "
        "(otherwise refused: usually a wrong CRS, swapped axes or the wrong file)",
    )
    p.add_argument(
        "--unit",
        choices=("m/s", "km/h", "mph", "kn"),
        help="wind rasters: unit of the speeds; km/h, mph and knots are converted to m/s "
        "(without it, speeds implausible in m/s are refused)",
    )
    p.set_defaults(func=run)


def parse_renames(pairs: list[str]) -> dict[str, str]:
    """``["kind=facility_kind", ...]`` → ``{"kind": "facility_kind"}`` (InputError when malformed)."""
    from geo.errors import InputError

    renames: dict[str, str] = {}
    for pair in pairs:
        src, sep, dst = (part.strip() for part in pair.partition("="))
        if not sep or not src or not dst:
            msg = f"--rename {pair!r}: give SRC=DST, the file's column and the schema's name, e.g. kind=facility_kind"
            raise InputError(msg)
        if src in renames:
            msg = f"--rename {src}=...: column {src!r} is renamed twice"
            raise InputError(msg)
        renames[src] = dst
    return renames


def run(args: argparse.Namespace) -> int:
    """Import the file and print what was stored and repaired."""
    from dashboard.commands._progress import progress_bar
    from layers import Project
    from layers.importer import import_layer

    project = Project.open(args.dir)
    with progress_bar(f"import {args.layer}") as progress:
        result = import_layer(
            project,
            args.layer,
            args.file,
            crs=args.crs,
            from_gcj02=args.from_gcj02,
            from_bd09=args.from_bd09,
            source_layer=args.source_layer,
            encoding=args.encoding,
            height_m=args.height_m,
            rename=parse_renames(args.rename),
            allow_outside=args.allow_outside,
            unit=args.unit,
            progress=progress,
            preset=args.preset,
        )
    print(f"imported {result.count} features from {result.path} as {result.kind}")
    for line in result.messages:
        print(f"  note: {line}")
    return 0
