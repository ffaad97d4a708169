"""``xysiting export DIR --layer KIND --format FMT --out FILE``: export a layer."""

from __future__ import annotations

import argparse

from dashboard.commands._args import add_out
from dashboard.commands._headers import presentation
from layers.export import EXPORT_FORMATS
from layers.schema import LAYER_KINDS


def register(subparsers) -> None:
    """Add the ``export`` subcommand."""
    p = subparsers.add_parser(
        "export",
        help="export a layer to CSV, XLSX, GeoPackage, GeoJSON or Shapefile",
        description="Export a vector layer or table. CSV is UTF-8 with BOM so Excel shows Chinese; "
        "geometry formats are WGS84; shp writes a zipped Shapefile (UTF-8, with .cpg) "
        "unless FILE ends in .shp.",
    )
    p.add_argument("dir", metavar="DIR", help="project folder")
    p.add_argument(
        "--layer", required=True, choices=LAYER_KINDS, metavar="KIND", help=f"layer kind: {', '.join(LAYER_KINDS)}"
    )
    p.add_argument("--format", choices=EXPORT_FORMATS, help="default: from the suffix of --out")
    add_out(p, what="file to write")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Export the layer."""
    from layers import Project
    from layers.export import export_frame

    project = Project.open(args.dir)
    frame = project.read(args.layer)
    shown = presentation(args, frame, project=project, sheet=args.layer)
    path = export_frame(frame, args.out, fmt=args.format, layer=args.layer, presentation=shown)
    print(f"wrote {len(frame)} rows of {args.layer} to {path}")
    return 0
