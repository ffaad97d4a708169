"""Geometry, coordinate systems and road networks — nothing about siting.

``geo`` is the bottom of the dependency chain (``dashboard → siting → layers → geo``)
and must never import the other packages.
"""

from geo.errors import InputError

__all__ = ["InputError"]
