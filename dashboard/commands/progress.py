"""``xysiting progress DIR``: where the plan's indicators and bases stand; add records.

Examples::

    xysiting progress DIR                               # status table (indicators, bases)
    xysiting progress DIR --counties                    # per county
    xysiting progress DIR --import records.csv --author wang
    xysiting progress DIR --export records.csv
    xysiting progress DIR --add-user wang --role editor # asks for the password
    xysiting progress DIR --targets                     # ids a record may name
"""

from __future__ import annotations

import argparse
import getpass
import sys


def register(subparsers) -> None:
    """Add the ``progress`` subcommand."""
    p = subparsers.add_parser(
        "progress",
        help="status of the plan's indicators and bases; import/export records",
        description="Show where the plan's city-level indicators and its renewable and recycling "
        "bases stand against their targets (进展), add dated progress records from a "
        "CSV (columns target_id,date,value[,unit,note,id]) as a signed-in editor, "
        "export them, and manage the users file (DIR/users.json).",
    )
    p.add_argument("dir", metavar="DIR", help="project folder")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="label language (default zh)")
    p.add_argument("--counties", action="store_true", help="show the per-county summary")
    p.add_argument(
        "--targets", action="store_true", help="list every indicator and base id a record may name, with its unit"
    )
    p.add_argument(
        "--installed",
        action="store_true",
        help="operating wind and solar capacity per county and year from the power_plants layer (GEM, GPPD)",
    )
    p.add_argument("--audit", action="store_true", help="show the audit trail (who, when, old → new)")
    p.add_argument(
        "--links",
        action="store_true",
        help="run the analyses and show rooftop-PV potential per county beside the "
        "whole-county pilots, and phosphogypsum routed to utilisation beside the "
        "65 %% target (slow on a large project)",
    )
    p.add_argument(
        "--import",
        dest="import_file",
        metavar="FILE",
        help="append the records of a CSV file (needs --author, an editor)",
    )
    p.add_argument(
        "--author",
        metavar="USER",
        help="the editor adding the records; recorded as cli:USER (a claim) unless --password-stdin "
        "checks USER's password",
    )
    p.add_argument("--export", dest="export_file", metavar="FILE", help="write every record to FILE (.csv or .xlsx)")
    p.add_argument("--users", metavar="FILE", help="users file (default DIR/users.json)")
    p.add_argument("--add-user", metavar="USER", help="add a user to the users file, or change one")
    p.add_argument(
        "--role", choices=("editor", "viewer"), default="viewer", help="role for --add-user (default viewer)"
    )
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password of --add-user (to set) or of --author (to check) from the first line of stdin",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Carry out the requested action; print the status table by default."""
    import pandas as pd

    from geo.errors import InputError
    from layers.project import Project
    from siting.progress import store
    from siting.progress.status import county_summary, status_table
    from siting.progress.users import NotAuthorisedError, UserStore

    project = Project.open(args.dir)
    users = UserStore.for_project(project, args.users)
    if args.add_user:
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass(f"password for {args.add_user}: ")
            if password != getpass.getpass("again: "):
                msg = "the two passwords differ; nothing was changed"
                raise InputError(msg)
        users.set_user(args.add_user, password, args.role)
        print(f"{users.path}: {args.add_user} has the role {args.role}")
        return 0
    if args.import_file:
        if not args.author:
            msg = "--import needs --author USER (an editor in the users file)"
            raise InputError(msg)
        author = store.claimed_author(args.author)  # a name typed on the command line is a claim
        if args.password_stdin:
            if not users.verify(args.author, sys.stdin.readline().rstrip("\r\n")):
                print(f"xysiting: error: wrong password for {args.author!r}; nothing was written", file=sys.stderr)
                return 2
            author = args.author
        try:
            written = store.import_csv(
                project, args.import_file, user=args.author, author=author, users_path=args.users
            )
        except NotAuthorisedError as exc:
            print(f"xysiting: error: {exc}", file=sys.stderr)
            return 2
        print(f"{project.path}: added {len(written)} progress record(s) from {args.import_file} as {author}")
        return 0
    if args.export_file:
        path = store.export_records(project, args.export_file)
        print(f"wrote {len(store.read_records(project))} record(s) to {path}")
        return 0
    with pd.option_context("display.max_colwidth", 48, "display.width", 220, "display.max_rows", 500):
        if args.targets:
            units = store.target_units(project)
            print(pd.DataFrame({"id": list(units), "unit": list(units.values())}).to_string(index=False))
        elif args.audit:
            audit = store.read_audit(project)
            print(audit.to_string(index=False) if not audit.empty else "no records yet")
        elif args.links:
            _print_links(project)
        elif args.installed:
            _print_installed(project)
        elif args.counties:
            print(county_summary(project).to_string(index=False))
        else:
            table = status_table(project, lang=args.lang)
            print(table.to_string(index=False, na_rep="—", float_format=lambda v: f"{v:,.4g}"))
            _print_context(project, args.lang)
    return 0


def _print_context(project, lang: str) -> None:
    """Where the bases' values come from when no one entered them, and the non-fossil context."""
    from siting.progress.installed import non_fossil_context

    context = non_fossil_context(project)
    if context["available"]:
        print(f"\n{context['text_zh'] if lang == 'zh' else context['text']}")
        print(
            "新能源基地：无人工记录时取所在县在运风电、光伏装机（现有电厂数据库），并非仅基地本身项目"
            if lang == "zh"
            else "renewable bases: without a person's record, the value is the county's operating wind and solar "
            "capacity from the plant databases, not only the base's own projects"
        )


def _print_installed(project) -> None:
    from siting.progress.installed import installed_capacity

    if not project.has("power_plants"):
        print(f"{project.path}: no power_plants layer; import one with `xysiting import DIR --layer power_plants FILE`")
        return
    table = installed_capacity(project.read("power_plants"))
    if table.empty:
        print("no operating wind or solar plant lies in a county of the project")
        return
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.1f}"))


def _print_links(project) -> None:
    """Rooftop PV per county and the phosphogypsum routing beside their targets."""
    from dashboard.commands._progress import progress_bar
    from siting.progress.links import phosphogypsum_routing_link, rooftop_pv_by_county

    with progress_bar("analyses") as progress:
        progress(0.0, "rooftop PV")
        pv = rooftop_pv_by_county(project)
        progress(0.5, "phosphogypsum routing")
        pg = phosphogypsum_routing_link(project)
    if pv.available:
        print(pv.frame.to_string(index=False, na_rep="—", float_format=lambda v: f"{v:,.0f}"))
    else:
        print(f"rooftop PV: {pv.message}")
    if pg.available:
        v = pg.values
        print(
            f"phosphogypsum: {v['delivered_t_per_year']:,.0f} t/yr routed to utilisation of "
            f"{v['produced_t_per_year']:,.0f} t/yr produced = {v['utilisation_pct']:.1f} % "
            f"(target {v['target_pct']:g} % by {v['target_year']}; gap {v['gap_pct']:.1f} points)"
        )
    else:
        print(f"phosphogypsum: {pg.message}")
