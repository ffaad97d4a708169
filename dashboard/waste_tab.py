"""Waste tab (placeholder until ``siting.waste`` lands)."""

from __future__ import annotations

import importlib


def available() -> bool:
    """True when ``siting.waste`` offers routing results."""
    try:
        importlib.import_module("siting.waste")
    except ImportError:
        return False
    return False
