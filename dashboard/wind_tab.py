"""Wind tab (placeholder until ``siting.wind`` offers usable sites)."""

from __future__ import annotations


def available() -> bool:
    """True when ``siting.wind`` offers usable sites."""
    return False
