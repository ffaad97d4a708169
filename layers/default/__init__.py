"""The embedded Xiangyang default project, built offline and deterministically.

:func:`build_default` writes every layer kind of :mod:`layers.schema` into a new project:

========================  ===================================================================
layer                     content (see each builder module)
========================  ===================================================================
counties                  the nine real county-level units, from ``cnmaps`` (source "cnmaps")
industrial_parks          the plan's chemical parks and real development zones at
                          approximate locations, invented outlines (:mod:`._parks`)
facilities                real named plants with FACTS.md capacities where known, otherwise
                          synthetic capacities (:mod:`._waste`, :mod:`._places`)
waste_sources             phosphogypsum sites (about 3 Mt/yr, 20.47 Mt stock: FACTS.md) and
                          about 240 synthetic construction-waste points (5.3 Mt/yr)
rooftops                  about 60,000 synthetic building footprints (:mod:`._rooftops`)
roads                     synthetic, noded and connected network (:mod:`._roads`)
wind_resource             synthetic 100 m mean wind speed raster (:mod:`._wind`)
exclusions                synthetic rivers, protected areas, settlements, major roads; real
                          airports (runways) and railway stations from OSM (:mod:`._real`)
power_plants              real: GEM wind phases and coal units, GPPD plants (:mod:`._real`)
grid                      real: OpenStreetMap substations with voltage (:mod:`._real`)
bases                     the plan's renewable and recycling bases (:mod:`._bases`)
========================  ===================================================================

Every random draw uses a fixed seed, so two builds give identical layers.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from geo.errors import InputError
from layers.project import MANIFEST_NAME, Project
from layers.schema import empty_table

#: The stages :func:`build_default` reports to its ``progress`` callback, in order.
BUILD_STAGES = ("counties", "power", "parks", "waste", "rooftops", "roads", "exclusions", "bases", "write", "wind")


def build_default(
    path: str | os.PathLike, *, progress: Callable[[float, str], None] | None = None, rooftop_scale: float = 1.0
) -> Project:
    """Build the embedded Xiangyang default project in the new or empty folder ``path``.

    The project is built in a hidden staging folder beside ``path`` and renamed onto it
    when complete, so a failed build leaves nothing behind.

    Parameters
    ----------
    path : path-like
        Folder for the project; must not exist yet or be an empty folder.
    progress : callable, optional
        ``progress(fraction, message)``: called as each stage of :data:`BUILD_STAGES` starts
        (fraction done 0 to 1) and with ``(1.0, "built")`` at the end.
    rooftop_scale : float
        Multiplies the occupancy of the synthetic building lattice and the number of
        villages (1.0: about 60,000 rooftops); smaller values give smaller projects.

    Returns
    -------
    layers.project.Project
        The opened project.

    Raises
    ------
    geo.errors.InputError
        If ``path`` holds a project or is a non-empty folder or a file, or if
        ``rooftop_scale`` is not a positive number.
    """
    path = Path(path)
    if (path / MANIFEST_NAME).exists():
        msg = f"{path} already holds a project; choose another folder or delete it first"
        raise InputError(msg)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        msg = f"{path} exists and is not an empty folder; choose a new or empty folder"
        raise InputError(msg)
    if not (isinstance(rooftop_scale, int | float) and 0 < rooftop_scale <= 1.5):
        msg = f"rooftop_scale must be a number in (0, 1.5], got {rooftop_scale!r}"
        raise InputError(msg)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.building-", dir=path.parent))
    try:
        project = Project.create(staging / "project", name=path.name)

        def step(stage: str) -> None:
            if progress is not None:
                progress(BUILD_STAGES.index(stage) / len(BUILD_STAGES), stage)

        _build_into(project, step, rooftop_scale=float(rooftop_scale))
        if path.exists():
            path.rmdir()  # empty (checked above); a rename cannot replace it portably
        os.replace(staging / "project", path)
        if progress is not None:
            progress(1.0, "built")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Project.open(path)


def _build_into(project: Project, step: Callable[[str], None], *, rooftop_scale: float) -> None:
    """Build every layer and write it into ``project``, calling ``step`` as each stage starts."""
    import pandas as pd
    import shapely

    from geo.crs import XIANGYANG_UTM
    from layers.default._bases import build_bases_utm
    from layers.default._common import county_of, to_wgs84
    from layers.default._counties import build_counties
    from layers.default._exclusions import (
        build_exclusions_utm,
        protected_areas_utm,
        river_lines_utm,
        water_areas_utm,
    )
    from layers.default._parks import build_parks_utm
    from layers.default._real import build_grid, build_osm_exclusions_utm, build_power_plants, region_wgs84
    from layers.default._roads import build_roads_utm
    from layers.default._rooftops import build_rooftops_utm, village_centres
    from layers.default._waste import build_facilities_utm, build_sources_utm
    from layers.default._wind import HEIGHT_M, write_wind_tif

    step("counties")
    counties = build_counties()
    counties_utm = counties.to_crs(XIANGYANG_UTM)
    city_utm = shapely.union_all(counties_utm.geometry.values)
    water = water_areas_utm(counties_utm)

    step("power")
    region = region_wgs84(counties)
    power_plants = build_power_plants(counties, region)
    grid = build_grid(counties, region)

    step("parks")
    parks_utm = build_parks_utm(water_utm=water)

    step("waste")
    facilities_utm = build_facilities_utm()
    sources_utm = build_sources_utm(water_utm=water, counties_utm=counties_utm)

    step("rooftops")
    villages = village_centres(counties_utm, scale=rooftop_scale)
    rooftops_utm = build_rooftops_utm(
        parks_utm, villages, water, protected_utm=protected_areas_utm()[2], scale=rooftop_scale
    )
    rooftops_utm.insert(1, "county", county_of(rooftops_utm.geometry.values, counties_utm))
    # villages near the city border may spill over it: keep buildings inside the city
    rooftops_utm = rooftops_utm[rooftops_utm["county"].notna()].reset_index(drop=True)
    rooftops_utm["id"] = [f"roof-{i + 1}" for i in range(len(rooftops_utm))]

    step("roads")
    roads_utm = build_roads_utm(
        city_utm=city_utm,
        parks_utm=parks_utm,
        facilities_utm=facilities_utm,
        sources_utm=sources_utm,
        villages=villages,
        water_utm=water,
    )

    step("exclusions")
    exclusions_utm = pd.concat(
        [build_exclusions_utm(roads_utm, counties_utm), build_osm_exclusions_utm(counties, region)], ignore_index=True
    )

    step("bases")
    bases_utm = build_bases_utm()

    step("write")
    project.write_many(
        {
            "counties": counties,
            "industrial_parks": to_wgs84(parks_utm),
            "facilities": to_wgs84(facilities_utm),
            "waste_sources": to_wgs84(sources_utm),
            "rooftops": to_wgs84(rooftops_utm),
            "roads": to_wgs84(roads_utm),
            "exclusions": to_wgs84(exclusions_utm),
            "bases": to_wgs84(bases_utm),
            "power_plants": power_plants,
            "grid": grid,
            "progress_records": empty_table("progress_records"),  # records are entered by people
        }
    )

    step("wind")
    with tempfile.TemporaryDirectory(prefix="xy-wind-") as tmp:
        tif = Path(tmp) / "wind_resource.tif"
        write_wind_tif(tif, counties_utm.geometry.values, river_lines_utm(counties_utm)[3])
        project.write_raster("wind_resource", tif, height_m=HEIGHT_M, units="m/s", source="synthetic")
    project.log("build_default", rooftops=len(rooftops_utm), roads=len(roads_utm), rooftop_scale=rooftop_scale)


__all__ = ["build_default"]
