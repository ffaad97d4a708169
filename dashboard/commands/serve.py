"""``xysiting serve [DIR] [--port N] [--num-procs N] [--users FILE] [--no-guests]``: serve the dashboard.

Without DIR the embedded Xiangyang default project is served, built on first use in
``$XYSITING_HOME/default`` (or ``~/.cache/xysiting/default``).

Sessions are always signed and chosen by the server (:mod:`dashboard.auth`); the secret
is ``$XYSITING_COOKIE_SECRET`` (at least 32 characters) or ``DIR/.server_secret``, made on
first use (mode 0600), so sign-ins survive restarts.

Sign-in is switched on when a users file exists: ``--users FILE`` or ``DIR/users.json``
(made by ``xysiting progress DIR --add-user NAME --role editor --password-stdin``).
Visitors sign in at ``/login`` and out at ``/logout``; anonymous visitors read as guests
unless ``--no-guests``; only editors see the progress form.  Without a users file there is
no ``/login`` and no sign-in link.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path


def register(subparsers) -> None:
    """Add the ``serve`` subcommand."""
    p = subparsers.add_parser(
        "serve",
        help="serve the dashboard in the browser",
        description="Serve the interactive dashboard (Panel) on a project folder, or on the "
        "embedded Xiangyang default project when no folder is given. Works offline: "
        "no basemap tiles are requested unless switched on.",
    )
    p.add_argument(
        "project",
        nargs="?",
        default=None,
        metavar="DIR",
        help="project folder (default: the embedded Xiangyang project, built on "
        "first use in $XYSITING_HOME or ~/.cache/xysiting)",
    )
    p.add_argument("--port", type=int, default=5006, help="port to listen on (default 5006; 0 picks a free one)")
    p.add_argument(
        "--address", default="127.0.0.1", help="address to bind (default 127.0.0.1; 0.0.0.0 to share on a network)"
    )
    p.add_argument(
        "--allow-websocket-origin",
        action="append",
        default=None,
        metavar="HOST",
        help="extra host[:port] allowed to open the app (repeatable)",
    )
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="initial language (default zh)")
    p.add_argument(
        "--tiles",
        default=None,
        metavar="URL",
        help="custom basemap tile URL with {X} {Y} {Z} (prefix gcj02: for GCJ-02 "
        "tiles); offered in the basemap menu, never loaded until chosen",
    )
    p.add_argument(
        "--users",
        default=None,
        metavar="FILE",
        help="users file with salted password hashes that switches sign-in on "
        "(default: DIR/users.json when it exists; create users with "
        "'xysiting progress DIR --add-user NAME --role editor "
        "--password-stdin'). Pages /login and /logout; only editors can add "
        "progress records. Sign-ins last one day; the signing secret is "
        "$XYSITING_COOKIE_SECRET or DIR/.server_secret (made on first use)",
    )
    p.add_argument(
        "--no-guests",
        action="store_true",
        help="with sign-in on, require everyone to sign in (default: anonymous visitors read the dashboard as guests)",
    )
    p.add_argument(
        "--num-procs",
        type=int,
        default=1,
        metavar="N",
        help="server processes sharing the port (default 1; 0: one per CPU core). Each process "
        "serves its own sessions, so one busy session no longer slows the others down; the "
        "stored results are read once before the processes start and shared",
    )
    p.add_argument("--show", action="store_true", help="open a browser tab")
    p.set_defaults(func=_handler)


def _handler(args: argparse.Namespace) -> int:
    from dashboard import tiles
    from dashboard._data import open_project
    from dashboard.commands._progress import progress_bar

    if args.tiles:
        tiles.parse_custom(args.tiles)  # validates; raises InputError on a bad URL
        os.environ["XYSITING_TILES"] = args.tiles
    if not 0 <= args.port <= 65535:
        from geo.errors import InputError

        msg = f"--port {args.port} is not a valid port; use 0-65535"
        raise InputError(msg)
    if args.num_procs < 0 or (args.num_procs != 1 and args.port == 0):
        from geo.errors import InputError

        why = "must be 0 (one per core) or more" if args.num_procs < 0 else "needs a fixed --port, not 0"
        msg = f"--num-procs {args.num_procs} {why}"
        raise InputError(msg)
    with progress_bar("default project", enabled=not args.project) as progress:
        project = open_project(args.project, progress=progress)  # builds the default first if needed
    users_path = _users_path(project.path, args.users, no_guests=args.no_guests)
    from dashboard.auth import serve_kwargs, session_user

    security = serve_kwargs(
        project.path,
        users_path=users_path,
        allow_guests=not args.no_guests,
        secret=os.environ.get("XYSITING_COOKIE_SECRET") or None,
        lang=args.lang,
    )
    print(f"xysiting: preparing {project.path} ...", flush=True)
    # read the stored rooftop table (Parquet + numpy, mostly without the GIL) while this
    # thread imports the plotting stack; warm() waits for it
    prefetch = threading.Thread(target=_prefetch, args=(project.path,), name="xysiting-prefetch", daemon=True)
    prefetch.start()
    import panel as pn

    from dashboard.app import create_app, warm

    prefetch.join()
    warm(project.path, render=False)  # the first page request draws (and compiles) the first page
    print(f"xysiting: serving {project.path} on http://{args.address}:{args.port}/", flush=True)
    if users_path is not None:
        print(
            f"xysiting: sign-in at /login against {users_path}" + ("" if args.no_guests else " (guests may read)"),
            flush=True,
        )

    def app():
        _quiet_closed_connections()
        # the user is resolved by the server from the sign-in cookie, per session
        return create_app(
            project.path,
            lang=args.lang,
            user=session_user(),
            users_path=users_path,
            sign_in=users_path is not None,
        )

    origins = [
        f"{args.address}:{args.port}",
        f"localhost:{args.port}",
        f"127.0.0.1:{args.port}",
        *(args.allow_websocket_origin or []),
    ]
    pn.serve(
        {"/": app},
        port=args.port,
        address=args.address,
        show=args.show,
        websocket_origin=origins,
        title="襄阳选址图集 Xiangyang siting atlas",
        threaded=False,
        start=True,
        print_url=False,
        # look for closed sessions every 5 s (Bokeh checks every 17 s) and discard them 15 s
        # after their last connection closed, freeing their state (DashboardApp.destroy).
        # Not shorter: under load a page may take longer than that to open its websocket,
        # and a session discarded before it connects is built a second time.
        unused_session_lifetime_milliseconds=15000,
        check_unused_sessions_milliseconds=5000,
        num_procs=args.num_procs,  # forked after warm(): the caches are shared copy-on-write
        **security,
    )
    return 0


def _quiet_closed_connections() -> None:
    """Log a browser that left mid-message as one line, not as an asyncio traceback.

    Bokeh writes session updates as tasks; when the browser has closed its websocket
    meanwhile (a closed tab, a reload) Tornado raises ``WebSocketClosedError`` in a task
    nobody awaits, and asyncio logs "Task exception was never retrieved" with two
    tracebacks.  That is a normal event for a server, so this event loop's exception
    handler (installed once per loop) reports it as a short warning and passes every other
    error to the default handler.
    """
    import asyncio

    from tornado.iostream import StreamClosedError
    from tornado.websocket import WebSocketClosedError

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    if getattr(loop, "_xysiting_quiet", False):
        return

    def handler(loop, context) -> None:
        if isinstance(context.get("exception"), WebSocketClosedError | StreamClosedError):
            print("xysiting: a browser closed its connection before an update reached it", file=sys.stderr)
            return
        loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
    loop._xysiting_quiet = True


def _prefetch(project_dir: Path) -> None:
    """Fill the shared rooftop-table cache from the stored rooftop-PV result, if stored."""
    try:
        from dashboard import _solar_data
        from layers.project import Project

        project = Project.open(project_dir)
        if project.has("rooftops") and _solar_data.stored_result(project) is not None:
            _solar_data.stored_table(project)  # not stored yet: warm() stores it first
    except Exception as exc:  # warm() reads (or reports) it again
        print(f"xysiting: warning: reading the stored rooftop-PV result failed: {exc}", file=sys.stderr, flush=True)


def _users_path(project_dir: Path, users: str | None, *, no_guests: bool) -> Path | None:
    """The users file that switches sign-in on, or None without one.

    An explicit ``--users FILE`` must exist; ``--no-guests`` needs a users file.
    """
    from geo.errors import InputError

    path = Path(users).expanduser() if users else Path(project_dir) / "users.json"
    if not path.is_file():
        if users:
            msg = (
                f"--users {users}: no such file; create it with 'xysiting progress DIR "
                f"--add-user NAME --role editor --password-stdin' or omit --users"
            )
            raise InputError(msg)
        if no_guests:
            msg = (
                f"--no-guests needs a users file but {path} does not exist; create users "
                f"with 'xysiting progress DIR --add-user NAME --role editor "
                f"--password-stdin' or pass --users FILE"
            )
            raise InputError(msg)
        return None
    return path.resolve()
