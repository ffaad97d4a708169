"""The ``xysiting`` command line.

Subcommands live in :mod:`dashboard.commands`, one module each, discovered at start-up:
each module defines ``register(subparsers)`` which adds its parser and sets
``func=handler`` where ``handler(args) -> int``.  A user error (:class:`geo.errors.InputError`)
prints ``xysiting: error: ...`` on stderr and exits with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from geo.errors import InputError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    from dashboard import commands

    parser = argparse.ArgumentParser(
        prog="xysiting",
        description="Xiangyang siting atlas (襄阳选址图集): layers, rooftop PV, wind, waste routing, "
        "plan progress, and the dashboard.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))
    for name in names:
        module = importlib.import_module(f"dashboard.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``xysiting`` with ``argv`` (default ``sys.argv[1:]``) and return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"xysiting: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `xysiting layers DIR | head`
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("xysiting: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
