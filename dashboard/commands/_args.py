"""Options that several commands share, each declared once.

* :func:`add_out` — ``--out FILE``, the main file a command writes (``export``, ``solar``,
  ``wind``, ``route``, ``site``).  An option about how every written file looks (e.g. the
  language of its column headers) belongs here, beside ``--out``, so each of those commands
  gets it at once.
* :func:`parse_key_values` — repeatable ``NAME=NUMBER`` options (``--speed``, ``--buffer``).
"""

from __future__ import annotations

import argparse

from geo.errors import InputError


def add_out(p: argparse.ArgumentParser, *, what: str, required: bool = True) -> None:
    """Add ``--out FILE`` (the command's main output; ``what`` says which formats it takes) and
    ``--headers zh|en`` (the language of every written table's headers: :mod:`dashboard.commands._headers`)."""
    from dashboard.commands._headers import HEADER_LANGUAGES

    p.add_argument("--out", required=required, metavar="FILE", help=what)
    p.add_argument(
        "--headers",
        choices=HEADER_LANGUAGES,
        default=None,
        help="write headers in Chinese or English with units, county and park names instead of codes, "
        "rounded values and labelled assumptions (default: machine column names, full precision)",
    )


def parse_key_values(items: list[str], *, option: str, form: str, example: str) -> dict[str, float]:
    """Parse repeated ``NAME=NUMBER`` items of ``option`` (e.g. ``--speed motorway=70``).

    Raises :class:`~geo.errors.InputError` naming the option, its ``form`` (``"CLASS=KMH"``)
    and an ``example`` (``"trunk=55"``) for an item that is not ``NAME=NUMBER``.
    """
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            msg = f"{option} {item!r}: write {form}, e.g. {option} {example}"
            raise InputError(msg) from None
    return out
