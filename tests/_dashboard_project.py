"""A small synthetic project for the dashboard tests and benchmark (source="synthetic").

Three rectangular stand-in counties near Xiangyang's seats (real adcodes, not real
boundaries), two parks, ``n_rooftops`` small square roofs spread over them, waste sources,
facilities, bases, roads and a wind-speed GeoTIFF.  One rooftop is named with an HTML
payload to test that attribute values are shown as text.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.project import Project
from layers.schema import USE_CLASSES

XSS_NAME = "<img src=x onerror=alert(1)>"
COUNTY_BOXES = {  # adcode: (lon_min, lat_min, lon_max, lat_max), synthetic rectangles
    "420602": (112.00, 31.90, 112.15, 32.02),
    "420606": (112.00, 32.02, 112.15, 32.14),
    "420607": (112.15, 31.95, 112.35, 32.14),
}


def build_project(path: Path, *, n_rooftops: int = 600, seed: int = 7) -> Project:
    """Create the synthetic project at ``path`` and return it."""
    from layers.schema import COUNTIES

    rng = np.random.default_rng(seed)
    project = Project.create(path, name="dashboard-test")
    codes = list(COUNTY_BOXES)
    counties = gpd.GeoDataFrame(
        {
            "id": [f"c{c}" for c in codes],
            "name": [COUNTIES[c][0] for c in codes],
            "name_en": [COUNTIES[c][1] for c in codes],
            "adcode": codes,
            "source": "synthetic",
        },
        geometry=[shapely.box(*COUNTY_BOXES[c]) for c in codes],
        crs="EPSG:4326",
    )
    parks = gpd.GeoDataFrame(
        {
            "id": ["p1", "p2"],
            "name": ["襄城测试园区", "襄州测试园区"],
            "county": ["420602", "420607"],
            "park_kind": "industrial",
            "source": "synthetic",
        },
        geometry=[shapely.box(112.02, 31.92, 112.06, 31.96), shapely.box(112.20, 32.00, 112.26, 32.05)],
        crs="EPSG:4326",
    )
    # rooftops: a third inside the parks, the rest anywhere in the counties
    county_idx = rng.integers(0, len(codes), n_rooftops)
    boxes = np.array([COUNTY_BOXES[c] for c in codes])[county_idx]
    lon = rng.uniform(boxes[:, 0] + 0.002, boxes[:, 2] - 0.002)
    lat = rng.uniform(boxes[:, 1] + 0.002, boxes[:, 3] - 0.002)
    in_park = rng.random(n_rooftops) < 0.33
    park_choice = rng.integers(0, 2, n_rooftops)
    pbounds = np.array([parks.geometry.iloc[i].bounds for i in range(2)])[park_choice]
    lon = np.where(in_park, rng.uniform(pbounds[:, 0], pbounds[:, 2]), lon)
    lat = np.where(in_park, rng.uniform(pbounds[:, 1], pbounds[:, 3]), lat)
    county = np.where(in_park, np.array(["420602", "420607"])[park_choice], np.array(codes)[county_idx])
    park_id = np.where(in_park, np.array(["p1", "p2"])[park_choice], "")
    side = rng.uniform(0.0001, 0.0004, n_rooftops)  # ~10-40 m
    side[0] = 0.0007  # the HTML-named rooftop is the biggest: first row of the shortlist
    roofs = shapely.box(lon - side, lat - side, lon + side, lat + side)
    use = np.array(list(USE_CLASSES))[rng.integers(0, len(USE_CLASSES), n_rooftops)]
    use = np.where(in_park, "industrial", use)
    use[0] = "government"
    names = np.array([f"屋顶{i}" for i in range(n_rooftops)], dtype=object)
    names[0] = XSS_NAME
    rooftops = gpd.GeoDataFrame(
        {
            "id": [f"r{i}" for i in range(n_rooftops)],
            "name": names,
            "county": county,
            "park_id": park_id,
            "use_class": use,
            "height_m": rng.uniform(4, 40, n_rooftops),
            "roof_type": np.where(rng.random(n_rooftops) < 0.7, "flat", "pitched"),
            "roof_tilt_deg": 0.0,
            "roof_azimuth_deg": 180.0,
            "source": "synthetic",
        },
        geometry=roofs,
        crs="EPSG:4326",
    )
    rooftops.loc[rooftops["roof_type"] == "pitched", "roof_tilt_deg"] = 25.0
    rooftops.loc[0, ["roof_type", "roof_tilt_deg", "height_m"]] = ["flat", 0.0, 40.0]
    waste = gpd.GeoDataFrame(
        {
            "id": ["w1", "w2", "w3"],
            "name": ["磷石膏堆场A", "建筑垃圾点B", "磷石膏堆场C"],
            "county": ["420602", "420606", "420607"],
            "waste_kind": ["phosphogypsum", "construction", "phosphogypsum"],
            "supply_t_per_year": [300000.0, 120000.0, 80000.0],
            "stock_t": 0.0,
            "source": "synthetic",
        },
        geometry=shapely.points([(112.05, 31.95), (112.08, 32.10), (112.30, 32.10)]),
        crs="EPSG:4326",
    )
    facilities = gpd.GeoDataFrame(
        {
            "id": ["f1", "f2"],
            "name": ["水泥窑", "再生建材厂"],
            "county": ["420607", "420606"],
            "facility_kind": ["cement_kiln", "building_material_plant"],
            "capacity_t_per_year": [200000.0, 300000.0],
            "status": "operating",
            "source": "synthetic",
        },
        geometry=shapely.points([(112.25, 32.02), (112.10, 32.05)]),
        crs="EPSG:4326",
    )
    bases = gpd.GeoDataFrame(
        {
            "id": ["b1"],
            "name": ["襄州风光基地"],
            "category": ["renewable"],
            "base_kind": ["wind"],
            "county": ["420607"],
            "status": "planned",
            "source": "synthetic",
        },
        geometry=shapely.points([(112.28, 32.05)]),
        crs="EPSG:4326",
    )
    # a road grid every 0.02 degrees (about 2 km), split at every crossing
    xs, ys = np.arange(112.0, 112.351, 0.02), np.arange(31.9, 32.141, 0.02)
    lines = [shapely.LineString([(x, ys[j]), (x, ys[j + 1])]) for x in xs for j in range(len(ys) - 1)]
    lines += [shapely.LineString([(xs[i], y), (xs[i + 1], y)]) for y in ys for i in range(len(xs) - 1)]
    roads = gpd.GeoDataFrame(
        {"id": [f"rd{i}" for i in range(len(lines))], "name": "测试路", "highway": "primary", "source": "synthetic"},
        geometry=lines,
        crs="EPSG:4326",
    )
    project.write_many(
        {
            "counties": counties,
            "industrial_parks": parks,
            "rooftops": rooftops,
            "waste_sources": waste,
            "facilities": facilities,
            "bases": bases,
            "roads": roads,
        }
    )
    _write_wind(project, path)
    return project


def _write_wind(project: Project, path: Path) -> None:
    import rasterio
    from rasterio.transform import from_origin

    ny, nx = 60, 90
    speed = (5.0 + np.linspace(0, 2, nx)[None, :] + np.linspace(0, 1, ny)[:, None]).astype("float32")
    tif = Path(path).parent / f"{Path(path).name}_wind.tif"
    with rasterio.open(
        tif,
        "w",
        driver="GTiff",
        width=nx,
        height=ny,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(111.98, 32.16, 0.0042, 0.0045),
        nodata=np.nan,
    ) as ds:
        ds.write(speed, 1)
    project.write_raster("wind_resource", tif, height_m=100, units="m/s", source="synthetic")
    tif.unlink()


def rooftop_frame(project: Project) -> pd.DataFrame:
    """The project's rooftops (for assertions)."""
    return project.read("rooftops")


class _Request:
    def __init__(self):
        self.arguments, self.cookies, self.headers = {}, {}, {}


class SessionContext:
    """What the Bokeh server hands a session and its callbacks (the parts the app looks at)."""

    id = "test-session"
    request = _Request()
    server_context = None

    def __init__(self, doc):
        self._document = doc


def server_session(project: Project, *, load: bool):
    """Build the dashboard as the server does: in a session document, rendered with
    ``server_doc``; with ``load`` the tabs are also loaded (what ``pn.state.onload`` runs once
    the page is shown).  Returns (app, document, session context)."""
    import weakref

    from bokeh.document import Document
    from panel.io.state import set_curdoc

    from dashboard.app import create_app

    doc = Document()
    ctx = SessionContext(doc)
    doc._session_context = weakref.ref(ctx)
    with set_curdoc(doc):
        layout = create_app(project.path)
        layout.server_doc(doc)
        if load:
            layout.app.load()
    return layout.app, doc, ctx
