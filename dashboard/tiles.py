"""Basemap tile providers.  No tiles are requested unless the user switches one on.

A provider is a URL template with ``{X}``, ``{Y}``, ``{Z}`` (Bokeh's WMTS convention) and
a flag saying whether its tiles are drawn in GCJ-02 (AMap/Gaode): then every layer is
shifted WGS84 → GCJ-02 before drawing so that it lines up.  Tianditu publishes in
CGCS2000, within about 1 m of WGS84 here (FACTS.md, "Geography"), so it needs no shift,
but it needs a key (``$XYSITING_TIANDITU_KEY``).  A custom URL can be given with
``xysiting serve --tiles URL`` or ``$XYSITING_TILES`` (``URL`` or ``gcj02:URL``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from geo.errors import InputError


@dataclass(frozen=True)
class TileProvider:
    """A basemap: key, URL template, attribution, and whether it is GCJ-02."""

    key: str
    url: str
    attribution: str
    gcj02: bool = False


def providers() -> dict[str, TileProvider]:
    """The basemaps offered, keyed by name (a custom one from ``$XYSITING_TILES`` included)."""
    tianditu_key = os.environ.get("XYSITING_TIANDITU_KEY", "")
    out = {
        "osm": TileProvider("osm", "https://tile.openstreetmap.org/{Z}/{X}/{Y}.png", "© OpenStreetMap contributors"),
        "amap": TileProvider(
            "amap",
            "https://webrd02.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={X}&y={Y}&z={Z}",
            "© 高德地图 AMap",
            gcj02=True,
        ),
    }
    if tianditu_key:
        out["tianditu"] = TileProvider(
            "tianditu",
            "https://t0.tianditu.gov.cn/DataServer?T=vec_w&x={X}&y={Y}&l={Z}&tk=" + tianditu_key,
            "© 天地图 Tianditu",
        )
    custom = os.environ.get("XYSITING_TILES", "")
    if custom:
        out["custom"] = parse_custom(custom)
    return out


def parse_custom(spec: str) -> TileProvider:
    """A provider from ``URL`` or ``gcj02:URL``; the URL must hold {X}, {Y} and {Z}."""
    gcj02 = spec.startswith("gcj02:")
    url = spec.removeprefix("gcj02:")
    if not url.startswith(("http://", "https://")) or not all(f"{{{k}}}" in url for k in "XYZ"):
        msg = (
            f"tile URL {url!r} must start with http(s):// and contain {{X}}, {{Y}} and {{Z}}, "
            "e.g. https://tile.openstreetmap.org/{Z}/{X}/{Y}.png (prefix gcj02: for GCJ-02 tiles)"
        )
        raise InputError(msg)
    return TileProvider("custom", url, "", gcj02=gcj02)
