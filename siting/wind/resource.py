"""Wind resource: check a wind-speed raster, put it on the metric grid, shear it to hub height.

A user brings a Global-Wind-Atlas-style GeoTIFF: mean wind speed in m/s at a stated height,
any CRS (GWA: EPSG:4326, float32, 250 m, heights 10/50/100/150/200 m; FACTS.md "Wind").
:func:`check_resource` rejects what cannot be a mean-wind-speed raster;
:func:`load_resource` reprojects it (bilinear) onto the analysis grid, clips it to the
region and extrapolates to hub height with the power law ``v_hub = v_ref (h_hub/h_ref)^α``.
The Weibull shape ``k`` is a constant or another raster (GWA also publishes Weibull k).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from geo.errors import InputError
from geo.raster import RasterGrid, read_band, read_raster_info, reproject_to_grid

HUB_HEIGHT_RANGE_M = (30.0, 250.0)
#: Power-law shear exponent 1/7 (open flat terrain; the classic Hellmann value).  Hilly,
#: forested terrain such as 保康/南漳 often shows 0.2–0.3: set ``shear_alpha`` from
#: measurements or from two GWA heights (:func:`shear_exponent`).
DEFAULT_SHEAR_ALPHA = 1.0 / 7.0
#: Rayleigh shape; typical inland sites lie between 1.6 and 2.4.
DEFAULT_WEIBULL_K = 2.0
MAX_PLAUSIBLE_MEAN_SPEED_M_S = 40.0
_ACCEPTED_UNITS = {"m/s", "m s-1", "m·s-1", "ms-1", "m/sec", "meters per second", "metres per second"}


@dataclass
class WindResource:
    """Hub-height wind on the analysis grid.

    Attributes
    ----------
    grid : RasterGrid
        Metric analysis grid.
    speed_m_s : numpy.ndarray
        Mean wind speed at ``hub_height_m``, float32, NaN outside the region or data.
    weibull_k : numpy.ndarray or float
        Weibull shape per cell, or one constant.
    hub_height_m, reference_height_m, shear_alpha : float
        Heights and the power-law exponent used.
    source : str
        Where the raster came from (``"synthetic"`` for the default project).
    """

    grid: RasterGrid
    speed_m_s: NDArray
    weibull_k: NDArray | float
    hub_height_m: float
    reference_height_m: float
    shear_alpha: float
    source: str = "user"
    info: dict = field(default_factory=dict)


def check_hub_height(hub_height_m: float) -> float:
    """Return ``hub_height_m`` as float or raise InputError outside 30–250 m."""
    lo, hi = HUB_HEIGHT_RANGE_M
    try:
        value = float(hub_height_m)
    except (TypeError, ValueError):
        msg = f"hub height {hub_height_m!r} is not a number of metres"
        raise InputError(msg) from None
    if not (lo <= value <= hi):
        msg = (
            f"hub height {value:g} m is outside {lo:g}–{hi:g} m; modern onshore turbines "
            f"stand 80–170 m (e.g. --hub-height 120)"
        )
        raise InputError(msg)
    return value


def check_resource(
    path: str | os.PathLike,
    *,
    height_m: float | None,
    units: str | None = "m/s",
    what: str = "wind_resource",
    grid: RasterGrid | None = None,
) -> dict:
    """Check a mean-wind-speed raster before analysis; raise InputError naming the problem.

    Checks: readable, has a CRS, not all nodata, no negative values, no cell above 40 m/s
    (a mean wind speed above that is a unit or scaling error, e.g. km/h or integers × 100),
    the stated height is given and in 2–400 m, units are m/s.

    Parameters
    ----------
    path : path
        The GeoTIFF.
    height_m : float or None
        The stated height of its speeds, m (None is an error: it must be stated).
    units : str, optional
        The stated units (must be m/s); None skips the check.
    what : str
        Layer name for messages.
    grid : RasterGrid, optional
        Check only the window of the raster over this grid (a country-wide GWA file is
        then never read whole); also fails if the raster does not cover the grid.

    Returns
    -------
    dict
        ``crs``, ``bounds``, ``shape``, ``valid_cells``, ``min``, ``mean``, ``max`` (m/s),
        ``height_m`` (statistics over the checked window).
    """
    path = Path(path)
    info = read_raster_info(path)
    label = f"{what} raster {path.name}"
    if info["crs"] is None:
        msg = (
            f"{label} has no CRS, so it cannot be placed on the map; re-export it with a CRS "
            f"or assign one, e.g. `gdal_edit.py -a_srs EPSG:4326 {path.name}` (Global Wind "
            f"Atlas files are EPSG:4326)"
        )
        raise InputError(msg)
    if units is not None and str(units).strip().lower() not in _ACCEPTED_UNITS:
        msg = f"{label}: units {units!r} are not m/s; convert the raster to m/s first"
        raise InputError(msg)
    if height_m is None:
        msg = (
            f"{label}: the height of the wind speeds is not stated; give it on import "
            f"(e.g. --height-m 100 for a GWA 100 m file)"
        )
        raise InputError(msg)
    if not (2.0 <= float(height_m) <= 400.0):
        msg = f"{label}: stated height {height_m} m is implausible; use the raster's height in metres"
        raise InputError(msg)
    data, row0, col0 = _read_window(path, grid)
    if data is None:
        msg = (
            f"{label} does not cover the analysis region (raster bounds {info['bounds']} in "
            f"{info['crs'].to_string()}); bring a raster over Xiangyang"
        )
        raise InputError(msg)
    valid = np.isfinite(data)
    if not valid.any():
        where = " over the analysis region" if grid is not None else ""
        msg = (
            f"{label} holds only nodata{where}; check its nodata value ({info['nodata']!r}) "
            f"and that it covers the region"
        )
        raise InputError(msg)
    values = data[valid]
    vmin, vmax, vmean = float(values.min()), float(values.max()), float(values.mean())
    if vmin < 0:
        n = int((values < 0).sum())
        msg = (
            f"{label}: {n} cell(s) hold negative wind speeds (min {vmin:g}); if they mark "
            f"missing data, set the raster's nodata value to it"
        )
        raise InputError(msg)
    if vmax > MAX_PLAUSIBLE_MEAN_SPEED_M_S:
        n = int((values > MAX_PLAUSIBLE_MEAN_SPEED_M_S).sum())
        rows, cols = np.nonzero(valid & (np.nan_to_num(data) > MAX_PLAUSIBLE_MEAN_SPEED_M_S))
        msg = (
            f"{label}: {n} cell(s) exceed {MAX_PLAUSIBLE_MEAN_SPEED_M_S:g} m/s mean wind "
            f"speed (max {vmax:g}, first at row {rows[0] + row0}, col {cols[0] + col0}); a mean "
            f"that high is not physical — is it km/h, scaled integers, or an undeclared "
            f"nodata value?"
        )
        raise InputError(msg)
    return {
        "crs": info["crs"].to_string(),
        "bounds": info["bounds"],
        "shape": (info["height"], info["width"]),
        "valid_cells": int(valid.sum()),
        "min": vmin,
        "mean": vmean,
        "max": vmax,
        "height_m": float(height_m),
    }


def _read_window(path: Path, grid: RasterGrid | None) -> tuple[NDArray | None, int, int]:
    """Band 1 (NaN for nodata) over ``grid`` (or whole), with the window's row/col offset."""
    if grid is None:
        return read_band(path), 0, 0
    import math

    import rasterio
    import rasterio.warp
    import rasterio.windows

    with rasterio.open(path) as ds:
        bounds = rasterio.warp.transform_bounds(grid.crs, ds.crs, *grid.bounds, densify_pts=21)
        win = rasterio.windows.from_bounds(*bounds, transform=ds.transform)
        col0, row0 = max(0, math.floor(win.col_off)), max(0, math.floor(win.row_off))
        col1 = min(ds.width, math.ceil(win.col_off + win.width))
        row1 = min(ds.height, math.ceil(win.row_off + win.height))
        if col1 <= col0 or row1 <= row0:
            return None, 0, 0
        data = ds.read(1, window=rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0), masked=True)
    out = np.ma.filled(data.astype("float32"), np.nan)
    out[~np.isfinite(out)] = np.nan
    return out, row0, col0


def shear_exponent(
    speed_low_m_s: NDArray, height_low_m: float, speed_high_m_s: NDArray, height_high_m: float
) -> NDArray:
    """Power-law exponent α from mean speeds at two heights: ln(v2/v1) / ln(h2/h1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(np.asarray(speed_high_m_s) / np.asarray(speed_low_m_s)) / np.log(height_high_m / height_low_m)


def shear_to_height(
    speed_m_s: NDArray, *, from_height_m: float, to_height_m: float, alpha: float | NDArray = DEFAULT_SHEAR_ALPHA
) -> NDArray:
    """Extrapolate mean speed with the power law ``v2 = v1 (h2/h1)^α``."""
    alpha_arr = np.asarray(alpha, dtype="float64")
    if np.any(~np.isfinite(alpha_arr)) or np.any((alpha_arr < 0) | (alpha_arr > 0.6)):
        msg = f"shear exponent α={alpha!r} must lie in 0–0.6 (1/7 ≈ 0.143 for open terrain)"
        raise InputError(msg)
    factor = (float(to_height_m) / float(from_height_m)) ** alpha_arr
    return (np.asarray(speed_m_s) * factor).astype("float32")


def load_resource(
    path: str | os.PathLike,
    grid: RasterGrid,
    *,
    height_m: float,
    hub_height_m: float,
    region_mask: NDArray | None = None,
    shear_alpha: float = DEFAULT_SHEAR_ALPHA,
    weibull_k: float | str | os.PathLike = DEFAULT_WEIBULL_K,
    units: str | None = "m/s",
    source: str = "user",
) -> WindResource:
    """Check, reproject, clip and shear a wind-speed raster to hub height on ``grid``.

    Parameters
    ----------
    path : path
        GeoTIFF of mean wind speed (m/s) at ``height_m``, any CRS.
    grid : RasterGrid
        Metric analysis grid.
    height_m : float
        Height of the raster's speeds, m.
    hub_height_m : float
        Turbine hub height, 30–250 m.
    region_mask : bool array, optional
        Cells inside the region; others become NaN.
    shear_alpha : float
        Power-law exponent.
    weibull_k : float or path
        Weibull shape: a constant (1–5) or a raster of k in any CRS.
    units, source : str
        Metadata of the raster (checked / carried along).
    """
    hub = check_hub_height(hub_height_m)
    info = check_resource(path, height_m=height_m, units=units, grid=grid)
    speed = reproject_to_grid(path, grid, resampling="bilinear")
    if region_mask is not None:
        speed[~region_mask] = np.nan
    if not np.isfinite(speed).any():
        msg = (
            f"wind_resource raster {Path(path).name} does not cover the analysis region "
            f"(raster bounds {info['bounds']} in {info['crs']}); bring a raster over Xiangyang"
        )
        raise InputError(msg)
    speed = shear_to_height(speed, from_height_m=height_m, to_height_m=hub, alpha=shear_alpha)
    k = _weibull_k(weibull_k, grid, speed)
    return WindResource(grid, speed, k, hub, float(height_m), float(shear_alpha), source, info)


def _weibull_k(weibull_k, grid: RasterGrid, speed: NDArray) -> NDArray | float:
    if isinstance(weibull_k, (int, float, np.floating)):
        k = float(weibull_k)
        if not (1.0 <= k <= 5.0):
            msg = f"Weibull k={k:g} is outside 1–5 (2 is the Rayleigh default)"
            raise InputError(msg)
        return k
    path = Path(weibull_k)
    info = read_raster_info(path)
    if info["crs"] is None:
        msg = f"Weibull k raster {path.name} has no CRS; assign one (e.g. EPSG:4326)"
        raise InputError(msg)
    k = reproject_to_grid(path, grid, resampling="bilinear")
    inside = np.isfinite(speed)
    vals = k[inside & np.isfinite(k)]
    if vals.size == 0:
        msg = f"Weibull k raster {path.name} has no data over the region"
        raise InputError(msg)
    if vals.min() < 0.8 or vals.max() > 6.0:
        msg = (
            f"Weibull k raster {path.name} holds values {vals.min():.2f}–{vals.max():.2f}; "
            f"Weibull shape should lie in 1–5"
        )
        raise InputError(msg)
    # Gaps inside the region take the regional median (a k of NaN would drop the cell).
    k = np.where(inside & ~np.isfinite(k), np.float32(np.median(vals)), k)
    return np.clip(k, 1.0, 5.0).astype("float32")
