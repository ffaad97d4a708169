"""Exclusion layers for wind siting, after NREL reV's ``LayerMask`` / ``ExclusionMask`` and GLAES.

Each rule is one named layer with a recorded reason, and each returns an **inclusion** mask
on the metric grid (``True``/1 = usable, ``False``/0 = excluded, in between = partly usable,
as reV's ``include_weights``).  One :class:`ExclusionStack` composes them: the availability
of a cell is the minimum over the rules' inclusions (for boolean masks: their AND, as reV's
``ExclusionMask``), and the stack reports, per rule, the area it excludes on its own, the area
only it excludes and the area it removes in order.  Rules:

* :class:`VectorExclusion` — features of a project layer (or a GeoDataFrame) grown by a
  setback in metres: settlements, buildings, roads, railway stations, water, protected
  areas, airports.
* :class:`RasterExclusion` — a raster in any CRS with reV-style ``exclude_values``,
  ``exclude_range``, ``include_range``, ``include_weights`` and ``exclude_nodata``.
* :class:`SlopeExclusion` — slope from a DEM above a limit.
* :class:`MinWindSpeed` — hub-height mean wind speed below a limit.
* :class:`MinContiguousArea` — contiguous usable patches smaller than a limit (applied last,
  to what the other rules leave).

Default setbacks (:data:`siting.wind.assumptions.DEFAULT_BUFFERS_M`, sources there) are
planning assumptions, not regulation: change them per project.  A feature's own
``buffer_m`` (exclusions schema) wins when larger.

Why one module over 500 lines: one class per exclusion rule (the GLAES pattern) and the
stack that composes them; splitting the rules apart would scatter their shared rasterising.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from numpy.typing import NDArray

from geo.cache import file_key, memoize
from geo.crs import require_crs
from geo.errors import InputError
from geo.raster import (
    RasterGrid,
    component_sizes,
    label_components,
    rasterize_mask,
    read_raster_info,
    reproject_to_grid,
    slope_degrees,
)
from siting.wind.assumptions import WindAssumptions

_RASTER_CRS_FIX = "assign one, e.g. gdal_edit.py -a_srs EPSG:4326 FILE"

_REASONS = {
    "settlement": "noise and shadow flicker near settlements",
    "building": "noise and shadow flicker near buildings",
    "road": "topple distance from roads",
    "railway_station": "noise and safety around railway stations",
    "water": "water bodies",
    "protected": "protected areas (ecological red line, nature reserves)",
    "airport": "airport obstacle limitation surfaces (ICAO Annex 14 / MH 5001)",
    "other": "user exclusion",
}


@dataclass(frozen=True)
class VectorExclusion:
    """Exclude cells within ``buffer_m`` of the features of a vector layer.

    Attributes
    ----------
    name : str
        Layer name in the exclusion table, e.g. ``"buildings"``.
    layer : str
        Project layer kind to read (``"exclusions"``, ``"roads"``, ``"rooftops"``, ...);
        ignored when ``frame`` is given.
    where : str, optional
        SQL filter on the layer, e.g. ``"exclusion_kind = 'water'"``.
    buffer_m : float
        Buffer in metres (measured in the metric grid).
    reason : str
        Why it is excluded (goes into the table).
    frame : GeoDataFrame, optional
        Features to use instead of a project layer (any CRS).
    use_feature_buffer : bool
        Use a feature's ``buffer_m`` column where it is larger than ``buffer_m``.
    """

    name: str
    layer: str = "exclusions"
    where: str | None = None
    buffer_m: float = 0.0
    reason: str = ""
    frame: gpd.GeoDataFrame | None = field(default=None, compare=False, repr=False)
    use_feature_buffer: bool = True

    def describe(self) -> str:
        src = "user frame" if self.frame is not None else self.layer
        where = f" where {self.where}" if self.where else ""
        return f"{src}{where}, buffer {self.buffer_m:g} m"

    def inclusion(self, grid: RasterGrid, *, project=None, wind=None, method: str = "auto") -> NDArray:
        """Boolean inclusion: False within the setback of a feature."""
        return vector_inclusion(self, grid, project=project, method=method)


@dataclass(frozen=True)
class RasterExclusion:
    """reV-style raster layer mask (any CRS; resampled to the grid with ``resampling``).

    ``include_weights`` maps raster values to the usable fraction (e.g. forest 0.5); cells
    matching ``exclude_values`` or ``exclude_range`` (inclusive) or outside
    ``include_range`` (inclusive) are excluded; ``exclude_nodata`` excludes nodata cells.
    """

    name: str
    path: str | os.PathLike
    exclude_values: tuple[float, ...] = ()
    exclude_range: tuple[float | None, float | None] | None = None
    include_range: tuple[float | None, float | None] | None = None
    include_weights: tuple[tuple[float, float], ...] = ()
    exclude_nodata: bool = False
    resampling: str = "nearest"
    reason: str = ""

    def __post_init__(self):
        # Accept lists and dicts from callers; store hashable tuples (the rule is a cache key).
        weights = self.include_weights
        if isinstance(weights, dict):
            weights = weights.items()
        object.__setattr__(self, "include_weights", tuple((float(v), float(w)) for v, w in weights))
        object.__setattr__(self, "exclude_values", tuple(float(v) for v in self.exclude_values))
        for name in ("exclude_range", "include_range"):
            value = getattr(self, name)
            if value is not None:
                if len(value) != 2:
                    msg = f"exclusion raster {self.name!r}: {name} must be (low, high)"
                    raise InputError(msg)
                object.__setattr__(self, name, tuple(value))
        object.__setattr__(self, "path", str(self.path))

    def describe(self) -> str:
        parts = [Path(self.path).name]
        if self.exclude_values:
            parts.append(f"exclude {list(self.exclude_values)}")
        if self.exclude_range:
            parts.append(f"exclude range {self.exclude_range}")
        if self.include_range:
            parts.append(f"include range {self.include_range}")
        if self.include_weights:
            parts.append(f"weights {dict(self.include_weights)}")
        return ", ".join(parts)

    def inclusion(self, grid: RasterGrid, *, project=None, wind=None, method: str = "auto") -> NDArray:
        """Weighted inclusion 0–1 (float32)."""
        return raster_inclusion(self, grid)


@dataclass(frozen=True)
class SlopeExclusion:
    """Exclude cells steeper than ``max_slope_deg`` (slope from a DEM in metres, any CRS)."""

    dem_path: str | os.PathLike
    max_slope_deg: float = 15.0
    name: str = "slope"
    reason: str = "steep terrain: access roads and cranes"

    def describe(self) -> str:
        return f"{Path(self.dem_path).name}, slope > {self.max_slope_deg:g}°"

    def inclusion(self, grid: RasterGrid, *, project=None, wind=None, method: str = "auto") -> NDArray:
        """Boolean inclusion: False where steeper than the limit."""
        return slope_inclusion(self, grid)


@dataclass(frozen=True)
class MinWindSpeed:
    """Exclude cells whose hub-height mean wind speed is below ``min_speed_m_s``."""

    min_speed_m_s: float = 5.0
    name: str = "min_wind_speed"
    reason: str = "mean wind speed at hub height too low"

    def describe(self) -> str:
        return f"hub-height mean < {self.min_speed_m_s:g} m/s"

    def inclusion(self, grid: RasterGrid, *, project=None, wind=None, method: str = "auto") -> NDArray:
        """Boolean inclusion: False where the hub-height mean speed is below the limit."""
        if wind is None:
            msg = f"exclusion layer {self.name!r} needs the hub-height wind resource"
            raise InputError(msg)
        return speed_inclusion(self, wind.speed_m_s)


@dataclass(frozen=True)
class MinContiguousArea:
    """Drop contiguous usable patches smaller than ``min_area_km2`` (applied after all others)."""

    min_area_km2: float = 1.0
    connectivity: int = 8
    name: str = "min_contiguous_area"
    reason: str = "patch too small for a wind farm"

    def describe(self) -> str:
        return f"patches < {self.min_area_km2:g} km² ({self.connectivity}-connected)"

    def inclusion_of(self, availability: NDArray, grid: RasterGrid) -> NDArray:
        """Boolean inclusion given the availability the other rules leave: False on small patches."""
        usable = availability > 0
        labels, n = label_components(usable, connectivity=self.connectivity)
        sizes = component_sizes(labels, n)
        small = sizes < self.min_area_km2 / (grid.cell_area_m2 / 1e6)
        small[0] = False
        return ~small[labels]


Rule = VectorExclusion | RasterExclusion | SlopeExclusion | MinWindSpeed | MinContiguousArea


def default_exclusions(project, assumptions: WindAssumptions | None = None) -> list[Rule]:
    """The default rule set of a project under ``assumptions``.

    One :class:`VectorExclusion` per ``exclusion_kind`` present in the project's
    ``exclusions`` layer (setback ``assumptions.buffers_m[kind]``, else ``other``), the
    ``rooftops`` layer as buildings and the ``roads`` layer as roads when present (and
    ``include_rooftops`` / ``include_roads``), slope when a DEM is given, the minimum wind
    speed and the minimum contiguous area.
    """
    a = WindAssumptions() if assumptions is None else assumptions
    buffers = a.buffers_m
    rules: list[Rule] = []
    if project is not None and project.has("exclusions"):
        kinds = pyogrio.read_dataframe(
            project.gpkg_path, layer="exclusions", columns=["exclusion_kind"], read_geometry=False
        )
        present = sorted(set(kinds["exclusion_kind"].dropna().astype(str)))
        for kind in present:
            safe = kind.replace("'", "''")
            rules.append(
                VectorExclusion(
                    name=kind,
                    layer="exclusions",
                    where=f"exclusion_kind = '{safe}'",
                    buffer_m=float(buffers.get(kind, buffers["other"])),
                    reason=_REASONS.get(kind, _REASONS["other"]),
                )
            )
    if a.include_rooftops and project is not None and project.has("rooftops"):
        rules.append(
            VectorExclusion(
                name="buildings (rooftops layer)",
                layer="rooftops",
                buffer_m=float(buffers["building"]),
                reason=_REASONS["building"],
                use_feature_buffer=False,
            )
        )
    if a.include_roads and project is not None and project.has("roads"):
        rules.append(
            VectorExclusion(
                name="roads (roads layer)",
                layer="roads",
                buffer_m=float(buffers["road"]),
                reason=_REASONS["road"],
                use_feature_buffer=False,
            )
        )
    if a.dem_path is not None:
        rules.append(SlopeExclusion(a.dem_path, max_slope_deg=float(a.max_slope_deg)))
    if a.min_speed_m_s is not None:
        rules.append(MinWindSpeed(float(a.min_speed_m_s)))
    if a.min_area_km2 is not None and a.min_area_km2 > 0:
        rules.append(MinContiguousArea(float(a.min_area_km2), connectivity=a.connectivity))
    return rules


# -- evaluating rules ------------------------------------------------------------------------


def _check_rules(rules: Sequence[Rule]) -> None:
    names = [r.name for r in rules]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        msg = f"exclusion layer names must be unique; repeated: {', '.join(dup)}"
        raise InputError(msg)
    for rule in rules:
        if not isinstance(rule, Rule):
            msg = f"unknown exclusion rule {rule!r}; use VectorExclusion, RasterExclusion, ..."
            raise InputError(msg)
        if isinstance(rule, VectorExclusion) and not (np.isfinite(rule.buffer_m) and rule.buffer_m >= 0):
            msg = f"exclusion layer {rule.name!r}: buffer_m must be ≥ 0 m, got {rule.buffer_m!r}"
            raise InputError(msg)
        if isinstance(rule, SlopeExclusion) and not (0 < rule.max_slope_deg < 90):
            msg = f"exclusion layer {rule.name!r}: max_slope_deg must lie in (0, 90)"
            raise InputError(msg)
        if isinstance(rule, MinWindSpeed) and not (0 <= rule.min_speed_m_s <= 25):
            msg = f"minimum wind speed {rule.min_speed_m_s!r} m/s must lie in 0–25"
            raise InputError(msg)
        if isinstance(rule, MinContiguousArea) and not rule.min_area_km2 >= 0:
            msg = f"minimum contiguous area {rule.min_area_km2!r} km² must be ≥ 0"
            raise InputError(msg)


def _vector_frame(rule: VectorExclusion, project) -> gpd.GeoDataFrame:
    if rule.frame is not None:
        frame = rule.frame
        if not isinstance(frame, gpd.GeoDataFrame):
            msg = f"exclusion layer {rule.name!r}: frame must be a GeoDataFrame"
            raise InputError(msg)
        require_crs(frame, what=f"exclusion layer {rule.name!r}", fix="set one (e.g. EPSG:4326)")
        return frame
    if project is None:
        msg = f"exclusion layer {rule.name!r} reads project layer {rule.layer!r} but no project was given"
        raise InputError(msg)
    if not project.has(rule.layer):
        msg = f"exclusion layer {rule.name!r}: project has no {rule.layer!r} layer; import one or drop the rule"
        raise InputError(msg)
    try:
        return project.read(rule.layer, where=rule.where)
    except pyogrio.errors.DataSourceError as exc:
        msg = f"exclusion layer {rule.name!r}: cannot apply filter {rule.where!r}: {exc}"
        raise InputError(msg) from None


def vector_inclusion(rule: VectorExclusion, grid: RasterGrid, *, project=None, method: str = "auto") -> NDArray:
    """Boolean inclusion of a vector rule on ``grid``: False within ``buffer_m`` of a feature.

    A rule on a project layer is cached (:func:`geo.cache.memoize`) per project file, rule and
    grid, and the returned array is then read-only.
    """
    if rule.frame is None and project is not None and project.gpkg_path.exists():
        return _project_vector_inclusion(project, rule, grid, method)
    return _vector_inclusion(rule, grid, project, method)


def _vector_mask_key(project, rule: VectorExclusion, grid: RasterGrid, method: str) -> tuple:
    # The rule's name and reason do not change the mask: two rules on one layer share it.
    return (
        file_key(project.gpkg_path),
        rule.layer,
        rule.where,
        rule.buffer_m,
        rule.use_feature_buffer,
        grid.key,
        method,
    )


@memoize(32, key=_vector_mask_key)  # a city grid at 100 m: 3.5 MB per boolean mask
def _project_vector_inclusion(project, rule: VectorExclusion, grid: RasterGrid, method: str) -> NDArray:
    mask = _vector_inclusion(rule, grid, project, method)
    mask.setflags(write=False)
    return mask


def _vector_inclusion(rule: VectorExclusion, grid: RasterGrid, project, method: str) -> NDArray:
    frame = _vector_frame(rule, project)
    buffers = np.full(len(frame), float(rule.buffer_m))
    if rule.use_feature_buffer and "buffer_m" in frame.columns:
        own = pd.to_numeric(frame["buffer_m"], errors="coerce").fillna(0.0).to_numpy()
        if np.any(own < 0):
            bad = frame.index[own < 0]
            from geo.errors import describe_rows

            msg = f"exclusion layer {rule.name!r}: negative buffer_m in {describe_rows(bad)}"
            raise InputError(msg)
        buffers = np.maximum(buffers, own)
    if method == "auto":
        method = "edt" if len(frame) > 20000 and buffers.min() >= 2 * grid.resolution_m else "vector"
    return ~rasterize_mask(frame.geometry, grid, buffer_m=buffers, method=method)


def raster_inclusion(rule: RasterExclusion, grid: RasterGrid) -> NDArray:
    """Inclusion (0–1, float32) of a reV-style raster rule on ``grid`` (cached, read-only)."""
    require_crs(
        read_raster_info(rule.path)["crs"],
        what=f"exclusion raster {Path(rule.path).name} ({rule.name!r})",
        fix=_RASTER_CRS_FIX,
    )
    return _raster_inclusion(rule, grid)


@memoize(8, key=lambda rule, grid: (file_key(rule.path), rule, grid.key))  # 14 MB per city grid
def _raster_inclusion(rule: RasterExclusion, grid: RasterGrid) -> NDArray:
    values = reproject_to_grid(rule.path, grid, resampling=rule.resampling)
    inc = np.ones(grid.shape, dtype="float32")
    nodata = ~np.isfinite(values)
    with np.errstate(invalid="ignore"):
        if rule.include_weights:
            for value, weight in rule.include_weights:
                if not 0 <= weight <= 1:
                    msg = f"exclusion raster {rule.name!r}: weight {weight} must lie in 0–1"
                    raise InputError(msg)
                inc[values == value] = np.minimum(inc[values == value], weight)
        if rule.exclude_values:
            inc[np.isin(values, np.asarray(rule.exclude_values, dtype="float64"))] = 0.0
        if rule.exclude_range is not None:
            lo, hi = rule.exclude_range
            hit_ = np.ones(grid.shape, dtype=bool)
            if lo is not None:
                hit_ &= values >= lo
            if hi is not None:
                hit_ &= values <= hi
            inc[hit_] = 0.0
        if rule.include_range is not None:
            lo, hi = rule.include_range
            out = np.zeros(grid.shape, dtype=bool)
            if lo is not None:
                out |= values < lo
            if hi is not None:
                out |= values > hi
            inc[out] = 0.0
    if rule.exclude_nodata:
        inc[nodata] = 0.0
    inc.setflags(write=False)
    return inc


def slope_inclusion(rule: SlopeExclusion, grid: RasterGrid) -> NDArray:
    """Boolean inclusion: False where the DEM slope exceeds the limit (cached, read-only)."""
    require_crs(read_raster_info(rule.dem_path)["crs"], what=f"DEM {Path(rule.dem_path).name}", fix=_RASTER_CRS_FIX)
    return _slope_inclusion(rule.dem_path, rule.max_slope_deg, grid)


@memoize(8, key=lambda dem_path, max_slope_deg, grid: (file_key(dem_path), max_slope_deg, grid.key))
def _slope_inclusion(dem_path, max_slope_deg: float, grid: RasterGrid) -> NDArray:
    dem = reproject_to_grid(dem_path, grid, resampling="bilinear")
    finite = dem[np.isfinite(dem)]
    if finite.size and (finite.min() < -500 or finite.max() > 9000):
        msg = (
            f"DEM {Path(dem_path).name} holds elevations {finite.min():g}–{finite.max():g}; "
            f"expected metres above sea level"
        )
        raise InputError(msg)
    with np.errstate(invalid="ignore"):
        mask = ~(slope_degrees(dem, grid) > max_slope_deg)
    mask.setflags(write=False)
    return mask


def clear_mask_cache() -> None:
    """Forget every cached exclusion mask (vector, raster and slope rules)."""
    for cached in (_project_vector_inclusion, _raster_inclusion, _slope_inclusion):
        cached.cache_clear()


def speed_inclusion(rule: MinWindSpeed, speed_m_s: NDArray) -> NDArray:
    """Boolean inclusion: False where the hub-height mean speed is below the limit (NaN stays True;
    cells without wind data are excluded by the stack itself)."""
    with np.errstate(invalid="ignore"):
        return ~(np.asarray(speed_m_s) < rule.min_speed_m_s)


@dataclass
class StackResult:
    """What :meth:`ExclusionStack.evaluate` returns.

    Attributes
    ----------
    availability : numpy.ndarray
        Usable fraction per cell (float32, 0 outside the region).
    table : DataFrame
        One row per rule (``layer, reason, rule, excluded_km2`` alone,
        ``excluded_only_by_this_km2``, ``excluded_in_order_km2``, ``share_of_region_pct``)
        and a last ``available`` row.
    inclusions : dict
        Each rule's inclusion mask by layer name (as evaluated on the grid).
    """

    availability: NDArray
    table: pd.DataFrame
    inclusions: dict


@dataclass
class ExclusionStack:
    """Compose exclusion rules into one availability mask, as reV's ``ExclusionMask``.

    ``availability = min(inclusion of every rule)`` inside the region (the AND of boolean
    masks), then :class:`MinContiguousArea` drops the small patches of what is left.  Cells
    of the region without wind data are excluded as their own row (``no wind data``).

    Parameters
    ----------
    rules : sequence of rules
        Unique names; at most one :class:`MinContiguousArea`.
    """

    rules: Sequence[Rule] = ()

    def __post_init__(self):
        self.rules = list(self.rules)
        _check_rules(self.rules)
        if sum(isinstance(r, MinContiguousArea) for r in self.rules) > 1:
            msg = "give at most one minimum contiguous area rule"
            raise InputError(msg)

    @property
    def area_rule(self) -> MinContiguousArea | None:
        """The minimum contiguous area rule, if any."""
        return next((r for r in self.rules if isinstance(r, MinContiguousArea)), None)

    def describe(self) -> str:
        """One line per rule, for exports."""
        return "; ".join(f"{r.name}: {r.describe()}" for r in self.rules)

    def evaluate(
        self,
        grid: RasterGrid,
        *,
        in_region: NDArray,
        wind=None,
        has_wind: NDArray | None = None,
        project=None,
        method: str = "auto",
    ) -> StackResult:
        """Evaluate every rule on ``grid`` and compose them (see class docstring)."""
        cell_km2 = grid.cell_area_m2 / 1e6
        region_km2 = float(in_region.sum()) * cell_km2
        layers: list[tuple[str, str, str, NDArray]] = []
        if has_wind is not None:
            nodata = in_region & ~has_wind
            if nodata.any():
                layers.append(("no wind data", "the wind raster has no value here", "", ~nodata))
        for rule in self.rules:
            if isinstance(rule, MinContiguousArea):
                continue
            inc = rule.inclusion(grid, project=project, wind=wind, method=method)
            layers.append((rule.name, rule.reason, rule.describe(), inc))
        availability = np.where(in_region, 1.0, 0.0).astype("float32")
        n_excluding = np.zeros(grid.shape, dtype="uint16")  # how many rules exclude each cell
        for *_, inc in layers:
            n_excluding += (inc < 1) & in_region
        rows = []
        for name, reason, describe, inc in layers:
            excluded_alone = np.where(in_region, 1.0 - np.asarray(inc, dtype="float32"), 0.0)
            before = availability.copy()
            np.minimum(availability, inc, out=availability)
            only = excluded_alone * ((n_excluding == 1) & (inc < 1))
            rows.append(
                {
                    "layer": name,
                    "reason": reason,
                    "rule": describe,
                    "excluded_km2": float(excluded_alone.sum()) * cell_km2,
                    "excluded_only_by_this_km2": float(only.sum()) * cell_km2,
                    "excluded_in_order_km2": float((before - availability).sum()) * cell_km2,
                }
            )
        inclusions = {name: inc for name, _r, _d, inc in layers}
        rule = self.area_rule
        if rule is not None:
            inc = rule.inclusion_of(availability, grid)
            dropped_km2 = float(availability[~inc].sum()) * cell_km2
            availability[~inc] = 0.0
            inclusions[rule.name] = inc
            rows.append(
                {
                    "layer": rule.name,
                    "reason": rule.reason,
                    "rule": rule.describe(),
                    "excluded_km2": dropped_km2,
                    "excluded_only_by_this_km2": dropped_km2,
                    "excluded_in_order_km2": dropped_km2,
                }
            )
        usable_km2 = float(availability[in_region].sum()) * cell_km2
        rows.append(
            {
                "layer": "available",
                "reason": "usable for wind after all exclusions",
                "rule": "",
                "excluded_km2": np.nan,
                "excluded_only_by_this_km2": np.nan,
                "excluded_in_order_km2": np.nan,
                "available_km2": usable_km2,
            }
        )
        table = pd.DataFrame(rows)
        if "available_km2" not in table:
            table["available_km2"] = np.nan
        table["share_of_region_pct"] = (
            100.0 * table["excluded_km2"].fillna(table["available_km2"]) / max(region_km2, 1e-12)
        )
        table["region_km2"] = region_km2
        return StackResult(availability, table, inclusions)
