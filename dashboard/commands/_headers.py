"""``--headers zh|en``: the written tables' headers in a language (default: machine names).

Declared once beside ``--out`` (:func:`dashboard.commands._args.add_out`) for every command
that writes tables (``export``, ``solar``, ``route``, ``site``, ``wind``).  Without the
option a file keeps the machine column names and full precision (scripts read them); with
it, headers carry units in Chinese or English, adcodes and park ids become names, coded
values get labels, numbers are rounded by kind and the assumptions are labelled — as the
dashboard's downloads (:mod:`dashboard.export_labels`).
"""

from __future__ import annotations

import argparse

#: Languages of ``--headers``.
HEADER_LANGUAGES = ("zh", "en")


def presentation(args: argparse.Namespace, frame, *, project=None, sheet: str = "export"):
    """The :class:`layers.export.Presentation` ``--headers`` asks for, or None (machine headers)."""
    lang = getattr(args, "headers", None)
    if not lang:
        return None
    from dashboard.export_labels import frame_presentation

    return frame_presentation(frame, lang, project=project, sheet=sheet)


def open_project(path):
    """The project at ``path`` for park names, or None when it is not a project folder."""
    from geo.errors import InputError
    from layers.project import Project

    try:
        return Project.open(path)
    except InputError:  # a GeoParquet file of rooftops (xysiting solar FILE.parquet): no parks
        return None
