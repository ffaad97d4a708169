"""Pure helpers of the shared map (:mod:`dashboard.map`): layer frames, the rooftop raster,
the wind image, and the legend's symbols and CSS.

Nothing here holds session state: frames and images are built from the project's cached
layers (:mod:`dashboard._data`) and read-only once built.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import panel as pn
import shapely

from dashboard import _data
from dashboard.i18n import LANGUAGES, county_label, option_label
from layers.project import Project


# -- frames ---------------------------------------------------------------------------------
def labels(codes: pd.Series, prefix: str, vocabulary: str | None) -> dict[str, np.ndarray]:
    """``{prefix}_zh`` and ``{prefix}_en`` label columns of coded values (one lookup per distinct code).

    ``vocabulary`` is an :func:`dashboard.i18n.option_label` prefix (``"tech"``, ``"wk"``), or
    None for county adcodes.
    """
    out = {}
    for lang in LANGUAGES:
        if vocabulary is None:
            names = {c: county_label(c, lang) if c else "" for c in codes.unique()}
        else:
            names = {c: option_label(vocabulary, c, lang) for c in codes.unique()}
        out[f"{prefix}_{lang}"] = codes.map(names).to_numpy(dtype=object)
    return out


def county_name(adcode: str, name: str, lang: str) -> str:
    """A county's name in ``lang`` (:data:`layers.schema.COUNTIES`), else its stored name."""
    from layers.schema import COUNTIES

    return county_label(adcode, lang) if str(adcode) in COUNTIES else str(name)


def point_table(layer, cols) -> pd.DataFrame:
    """x, y (a point on each feature's surface) and attribute columns ``cols`` of ``layer``."""
    pts = shapely.point_on_surface(layer.geometry.values)
    frame = pd.DataFrame({"x": shapely.get_x(pts), "y": shapely.get_y(pts)})
    for col in cols:
        if col not in layer:
            frame[col] = ""
        else:
            values = layer[col]
            frame[col] = (values.fillna("") if values.dtype == object else values).to_numpy()
    return frame


def points_frame(frame: pd.DataFrame | None, cols) -> pd.DataFrame:
    """``frame`` restricted to x, y and ``cols`` (missing ones empty), or an empty frame with those columns."""
    cols = ["x", "y", *cols]
    if frame is None:
        return pd.DataFrame({c: pd.Series([], dtype="float64" if c in ("x", "y", "value") else "object") for c in cols})
    out = frame[[c for c in cols if c in frame.columns]]
    missing = [c for c in cols if c not in frame.columns]
    return out.assign(**dict.fromkeys(missing, "")) if missing else out


def merged_lines(geoms) -> dict | None:
    """Every line and polygon ring of ``geoms`` as one NaN-separated x/y path (vectorised)."""
    geoms = np.asarray(geoms, dtype=object)
    if geoms.size == 0:
        return None
    parts = shapely.get_parts(geoms)
    polys = shapely.get_type_id(parts) == 3
    lines = np.concatenate([shapely.get_exterior_ring(parts[polys]), parts[~polys]])
    lines = lines[shapely.get_type_id(lines) != 0]  # drop points
    if lines.size == 0:
        return None
    coords, index = shapely.get_coordinates(lines, return_index=True)
    breaks = np.flatnonzero(np.diff(index)) + 1
    xs = np.insert(coords[:, 0], breaks, np.nan)
    ys = np.insert(coords[:, 1], breaks, np.nan)
    return {"x": xs, "y": ys}


# -- rasters --------------------------------------------------------------------------------
def aggregate_points(
    frame: pd.DataFrame,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    width: int,
    height: int,
) -> np.ndarray:
    """Mean ``value`` of the points of ``frame`` (x, y in Web Mercator) per cell of a grid.

    The grid is ``height`` × ``width`` cells over ``x_range`` × ``y_range``; row 0 is the
    southern edge (Bokeh's image origin), empty cells are NaN.  Runs datashader's compiled
    kernels, which release the GIL, so it may run in a worker thread.
    """
    import datashader as ds

    x_range, y_range = tuple(map(float, x_range)), tuple(map(float, y_range))  # one compiled kernel
    canvas = ds.Canvas(plot_width=int(width), plot_height=int(height), x_range=x_range, y_range=y_range)
    agg = canvas.points(frame, "x", "y", agg=ds.mean("value"))
    return np.asarray(agg.values, dtype="float32")


def compile_raster_kernels() -> None:
    """Compile datashader's kernels once per process (a few seconds), before the first session."""
    frame = pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0], "value": [1.0, 2.0]})
    aggregate_points(frame, (0.0, 1.0), (0.0, 1.0), 2, 2)


@pn.cache(max_items=8)
def _wind_image_cached(version: tuple, gcj02: bool):
    import rasterio
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    project = Project(version[0])
    path = project.raster_path("wind_resource")
    if not path.exists():
        return None
    with rasterio.open(path) as src:
        if src.crs is None:
            return None
        transform, width, height = calculate_default_transform(src.crs, "EPSG:3857", src.width, src.height, *src.bounds)
        scale = max(1.0, max(width, height) / 500.0)  # at most 500 px a side for display
        width, height = int(width / scale), int(height / scale)
        transform, width, height = calculate_default_transform(
            src.crs, "EPSG:3857", src.width, src.height, *src.bounds, dst_width=width, dst_height=height
        )
        out = np.full((height, width), np.nan, dtype="float32")
        reproject(
            rasterio.band(src, 1),
            out,
            dst_transform=transform,
            dst_crs="EPSG:3857",
            resampling=Resampling.bilinear,
            dst_nodata=np.nan,
        )
    left, top = transform.c, transform.f
    right, bottom = left + transform.a * width, top + transform.e * height
    if gcj02:  # shift the image by the GCJ-02 offset at its centre (a few hundred metres)
        lon, lat = _data.mercator_to_lonlat((left + right) / 2, (top + bottom) / 2)
        gx, gy = _data.points_to_mercator([lon], [lat], gcj02=True)
        dx, dy = gx[0] - (left + right) / 2, gy[0] - (top + bottom) / 2
        left, right, top, bottom = left + dx, right + dx, top + dy, bottom + dy
    # row 0 south, as Bokeh draws images (rasterio's row 0 is north)
    return np.ascontiguousarray(out[::-1]), (left, bottom, right, top)


def wind_image(project: Project, *, gcj02: bool):
    """The wind-resource raster in Web Mercator, row 0 south, and its (left, bottom, right, top) bounds.

    Cached per project version; None when the project has no wind raster.
    """
    return _wind_image_cached(_data.project_version(project), bool(gcj02))


# -- legend ---------------------------------------------------------------------------------
#: SVG shapes of Bokeh's markers (in a 16×16 box) for the legend.
MARKER_SVG = {
    "circle": "<circle cx='8' cy='8' r='5'/>",
    "square": "<rect x='3' y='3' width='10' height='10'/>",
    "triangle": "<polygon points='8,2 14,13 2,13'/>",
    "diamond": "<polygon points='8,1 14,8 8,15 2,8'/>",
    "hex": "<polygon points='4,2 12,2 15,8 12,14 4,14 1,8'/>",
    "star": "<polygon points='8,1 10,6 15,6 11,9.5 12.5,15 8,11.5 3.5,15 5,9.5 1,6 6,6'/>",
    "plus": "<path d='M8 2V14M2 8H14' stroke-width='3'/>",
    "square_x": "<rect x='3' y='3' width='10' height='10'/><path d='M3 3L13 13M13 3L3 13'/>",
}


def symbol_svg(style: dict) -> str:
    """The legend symbol of a layer style: the same colour, marker or line as on the map."""
    kind = style["kind"]
    if kind == "fill":
        body = (
            f"<rect x='1' y='3' width='14' height='10' fill='{style['color']}' "
            f"fill-opacity='{max(style['alpha'], 0.15)}' stroke='{style['line']}' stroke-width='1.5'/>"
        )
    elif kind == "line":
        body = f"<path d='M1 8H15' stroke='{style['color']}' stroke-width='{max(style['width'], 1.5)}'/>"
    elif kind == "raster":
        stops = "".join(
            f"<stop offset='{i / (len(style['cmap']) - 1):.2f}' stop-color='{c}'/>" for i, c in enumerate(style["cmap"])
        )
        body = (
            f"<defs><linearGradient id='g'>{stops}</linearGradient></defs>"
            "<rect x='1' y='3' width='14' height='10' fill='url(#g)'/>"
        )
    elif kind == "text":
        body = f"<text x='1' y='13' font-size='12' font-weight='bold' fill='{style['color']}'>A</text>"
    else:
        body = (
            f"<g fill='{style['color']}' stroke='{style['line']}' stroke-width='1'>"
            f"{MARKER_SVG.get(style['marker'], MARKER_SVG['circle'])}</g>"
        )
    return f"<svg class='xy-legend-symbol' width='18' height='16' viewBox='0 0 16 16'>{body}</svg>"


LEGEND_CSS = """
.xy-legend-box { font-size: 12px; line-height: 1.35; max-height: 540px; overflow-y: auto; }
.xy-legend-item, .xy-legend-sub { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
.xy-legend-sub { margin-left: 14px; font-size: 11px; }
.xy-legend-symbol { flex: none; }
.xy-colorbar { margin-top: 8px; }
.xy-colorbar-title { font-weight: 600; }
.xy-colorbar-ramp { height: 10px; border: 1px solid #999; }
.xy-colorbar-ticks { display: flex; justify-content: space-between; }
"""

#: The details box wraps long values and scrolls instead of running out of its panel.
DETAILS_CSS = """
.xy-details-box { max-width: 100%; max-height: 220px; overflow: auto; overflow-wrap: anywhere; font-size: 12px; }
.xy-details-box table { table-layout: fixed; width: 100%; }
.xy-details-box th { width: 40%; vertical-align: top; }
"""
