"""Synthetic building rooftops (labelled ``source="synthetic"``), fully vectorised.

Buildings sit on a city-wide lattice of 240 m blocks (EPSG:32649) whose edges carry the
local street grid (:mod:`layers.default._roads`).  Each block takes the use of the zone
holding its centre, by priority: industrial park > central city > county town > village.
A block is cut into cells by its layout, and every cell holds at most one rotated rectangle
that fits inside the cell with a margin, so footprints never overlap:

==========  ========  ======  ===========================================================
block       cells     cell m  classes and footprint areas (m²)
==========  ========  ======  ===========================================================
park big    1 x 1     240     industrial 8,000-30,000
park small  2 x 2     120     industrial 1,000-7,000
city/town   4 x 4     60      residential 300-1,500, commercial 300-2,400, public 400-2,400,
                              government 400-2,000 (rural homes 80-200 in town outskirts)
village     8 x 8     30      rural_home 80-200
==========  ========  ======  ===========================================================

Heights, roof types, tilts and azimuths are drawn per class: flat roofs dominate urban
classes; rural homes mostly pitched (18-32°); industrial sheds often low-pitched metal roofs
(5-12°).  A pitched roof records one plane: about 70 % face south (± the building's own
rotation), 15 % north and 15 % east or west, so suitability filters have something to drop.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from layers.default._common import ellipse_mask, gcj_to_utm, rotated_rectangles, utm_frame
from layers.default._places import AIRPORT, URBAN_ZONES

BLOCK_M = 240.0
CLASSES = ("government", "public", "industrial", "commercial", "residential", "rural_home")
GOV, PUB, IND, COM, RES, RUR = range(6)

#: per class: (area min m², area max m², max aspect, height min m, height max m,
#:             share pitched, tilt min deg, tilt max deg)
CLASS_PARAMS = np.array(
    [
        (400.0, 2000.0, 2.5, 10.0, 30.0, 0.15, 15.0, 30.0),  # government
        (400.0, 2400.0, 3.0, 8.0, 24.0, 0.20, 15.0, 30.0),  # public
        (1000.0, 30000.0, 2.0, 6.0, 18.0, 0.60, 5.0, 12.0),  # industrial
        (300.0, 2400.0, 2.5, 8.0, 60.0, 0.10, 15.0, 30.0),  # commercial
        (300.0, 1500.0, 3.0, 12.0, 100.0, 0.10, 20.0, 30.0),  # residential
        (80.0, 200.0, 2.0, 3.5, 10.0, 0.70, 18.0, 32.0),  # rural home
    ]
)

# block kinds and their layouts: (cells per side, margin m inside each cell)
PARK_BIG, PARK_SMALL, CITY, TOWN, VILLAGE = range(5)
_LAYOUT = {PARK_BIG: (1, 20.0), PARK_SMALL: (2, 10.0), CITY: (4, 5.0), TOWN: (4, 5.0), VILLAGE: (8, 3.0)}


def _zone_blocks(bounds, inside) -> tuple[np.ndarray, np.ndarray]:
    """Lattice block indices (i, j) whose centres lie in ``bounds`` and satisfy ``inside``."""
    minx, miny, maxx, maxy = bounds
    i = np.arange(np.floor(minx / BLOCK_M), np.ceil(maxx / BLOCK_M) + 1).astype(np.int64)
    j = np.arange(np.floor(miny / BLOCK_M), np.ceil(maxy / BLOCK_M) + 1).astype(np.int64)
    ii, jj = (a.ravel() for a in np.meshgrid(i, j))
    keep = inside((ii + 0.5) * BLOCK_M, (jj + 0.5) * BLOCK_M)
    return ii[keep], jj[keep]


def village_centres(counties_utm: gpd.GeoDataFrame, *, scale: float = 1.0, seed: int = 11) -> np.ndarray:
    """Synthetic village centres (x, y in metres) inside the city, denser in the eastern plains.

    Candidates are uniform over the city's bounding box; one is kept with probability rising
    from 0.25 in the western mountains (保康) to 1 on the plains east of about 112.1° E, and
    only outside the built-up zones.
    """
    rng = np.random.default_rng(seed)
    city = shapely.union_all(counties_utm.geometry.values)
    minx, miny, maxx, maxy = city.bounds
    n = int(np.rint(1500 * scale))
    x = rng.uniform(minx, maxx, n)
    y = rng.uniform(miny, maxy, n)
    keep_p = np.clip((x - minx) / (maxx - minx) * 1.6, 0.25, 1.0)
    keep = (rng.uniform(size=n) < keep_p) & shapely.contains_xy(city, x, y)
    zx, zy, sx, sy = _zone_arrays()
    for k in range(len(zx)):
        keep &= ellipse_mask(x, y, zx[k], zy[k], sx[k], sy[k]) > 1.8
    return np.column_stack([x[keep], y[keep]])


def _zone_arrays():
    _id, _n, _c, lon, lat, sx, sy, _k, _w = zip(*URBAN_ZONES, strict=True)
    zx, zy = gcj_to_utm(lon, lat)
    return zx, zy, np.asarray(sx), np.asarray(sy)


def build_rooftops_utm(
    parks_utm: gpd.GeoDataFrame,
    villages: np.ndarray,
    water_utm: np.ndarray,
    *,
    protected_utm=None,
    scale: float = 1.0,
    seed: int = 42,
) -> gpd.GeoDataFrame:
    """Generate the synthetic rooftops in EPSG:32649 (columns of the rooftops schema
    except ``county``, which the caller joins).

    Parameters
    ----------
    parks_utm : GeoDataFrame
        Industrial parks (metres); blocks inside get industrial buildings and ``park_id``.
    villages : ndarray, shape (n, 2)
        Village centres (metres), from :func:`village_centres`.
    water_utm : ndarray of shapely geometries
        Buffered rivers (metres); no block centre within 100 m of them gets buildings.
    protected_utm : ndarray of shapely geometries, optional
        Protected areas (metres); no block centred inside them gets buildings.
    scale : float
        Multiplies every cell's occupancy probability (1.0 gives about 60,000 buildings).
    seed : int
        Seed of the random generator: the same seed gives identical geometries.
    """
    rng = np.random.default_rng(seed)
    ii_all, jj_all, kind_all, r2_all, park_all = [], [], [], [], []

    def add(ii, jj, kind, r2, park=-1):
        ii_all.append(ii)
        jj_all.append(jj)
        kind_all.append(np.broadcast_to(kind, ii.shape))
        r2_all.append(np.broadcast_to(r2, ii.shape) if np.isscalar(r2) else r2)
        park_all.append(np.full(ii.shape, park))

    # 1. industrial parks: big or 2x2 blocks (decided later per block)
    for p, geom in enumerate(parks_utm.geometry.values):
        ii, jj = _zone_blocks(geom.bounds, lambda x, y, g=geom: shapely.contains_xy(g, x, y))
        add(ii, jj, PARK_SMALL, 0.0, p)
    # 2. central city and county towns
    zx, zy, sx, sy = _zone_arrays()
    zkind = [CITY if z[7] == "core" else TOWN for z in URBAN_ZONES]
    for k in range(len(zx)):

        def inside(x, y, k=k):
            return ellipse_mask(x, y, zx[k], zy[k], sx[k], sy[k]) < 1.0

        bounds = (zx[k] - sx[k], zy[k] - sy[k], zx[k] + sx[k], zy[k] + sy[k])
        ii, jj = _zone_blocks(bounds, inside)
        r2 = ellipse_mask((ii + 0.5) * BLOCK_M, (jj + 0.5) * BLOCK_M, zx[k], zy[k], sx[k], sy[k])
        add(ii, jj, zkind[k], r2)
    # 3. villages: circles of 150-300 m radius
    radius = rng.uniform(150.0, 300.0, len(villages))
    for (vx, vy), rad in zip(villages, radius, strict=True):

        def inside(x, y, vx=vx, vy=vy, rad=rad):
            return (x - vx) ** 2 + (y - vy) ** 2 < rad**2

        ii, jj = _zone_blocks((vx - rad, vy - rad, vx + rad, vy + rad), inside)
        add(ii, jj, VILLAGE, 0.0)

    ii = np.concatenate(ii_all)
    jj = np.concatenate(jj_all)
    kind = np.concatenate(kind_all)
    r2 = np.concatenate(r2_all).astype(float)
    park = np.concatenate(park_all)
    # one use per block: the first zone in priority order (parks were added first)
    key = ii * 1_000_000 + jj
    _, first = np.unique(key, return_index=True)
    first.sort()
    ii, jj, kind, r2, park = ii[first], jj[first], kind[first], r2[first], park[first]
    bx = (ii + 0.5) * BLOCK_M
    by = (jj + 0.5) * BLOCK_M
    # no buildings on rivers or on the airport
    ax, ay = gcj_to_utm([AIRPORT[2]], [AIRPORT[3]])
    keep = (bx - ax[0]) ** 2 + (by - ay[0]) ** 2 > 1500.0**2
    if len(water_utm):
        water = shapely.union_all(np.asarray(water_utm, dtype=object))
        keep &= ~shapely.dwithin(water, shapely.points(bx, by), 100.0 + BLOCK_M / 2)
    if protected_utm is not None and len(protected_utm):
        protected = shapely.union_all(np.asarray(protected_utm, dtype=object))
        keep &= ~shapely.contains_xy(protected, bx, by)
    bx, by, kind, r2, park = bx[keep], by[keep], kind[keep], r2[keep], park[keep]
    # a third of park blocks hold one big shed
    big = (kind == PARK_SMALL) & (rng.uniform(size=kind.size) < 0.33)
    kind = np.where(big, PARK_BIG, kind)

    # 4. cells per block
    cells_x, cells_y, cell_m, margin, ckind, cr2, cpark = [], [], [], [], [], [], []
    for k, (n, m) in _LAYOUT.items():
        sel = kind == k
        size = BLOCK_M / n
        off = (np.arange(n) + 0.5) * size - BLOCK_M / 2
        ox, oy = (a.ravel() for a in np.meshgrid(off, off))
        cells_x.append((bx[sel][:, None] + ox[None, :]).ravel())
        cells_y.append((by[sel][:, None] + oy[None, :]).ravel())
        count = sel.sum() * n * n
        cell_m.append(np.full(count, size))
        margin.append(np.full(count, m))
        ckind.append(np.full(count, k))
        cr2.append(np.repeat(r2[sel], n * n))
        cpark.append(np.repeat(park[sel], n * n))
    cx, cy = np.concatenate(cells_x), np.concatenate(cells_y)
    cell_m, margin = np.concatenate(cell_m), np.concatenate(margin)
    ckind, cr2, cpark = np.concatenate(ckind), np.concatenate(cr2), np.concatenate(cpark)

    # occupancy: dense centres thinning towards the zone edge
    occ = np.select(
        [ckind == PARK_BIG, ckind == PARK_SMALL, ckind == CITY, ckind == TOWN],
        [0.85, 0.75, 0.70 * (1.0 - 0.55 * cr2), 0.62 * (1.0 - 0.6 * cr2)],
        0.30,
    )
    occupied = rng.uniform(size=cx.size) < np.clip(occ * scale, 0.0, 1.0)
    cx, cy, cell_m, margin = cx[occupied], cy[occupied], cell_m[occupied], margin[occupied]
    ckind, cr2, cpark = ckind[occupied], cr2[occupied], cpark[occupied]
    n = cx.size

    # 5. use class per cell
    u = rng.uniform(size=n)
    urban_cls = np.select([u < 0.05, u < 0.13, u < 0.28], [GOV, PUB, COM], RES)
    town_cls = np.where((cr2 > 0.6) & (rng.uniform(size=n) < 0.5), RUR, urban_cls)
    cls = np.select(
        [(ckind == PARK_BIG) | (ckind == PARK_SMALL), ckind == CITY, ckind == TOWN], [IND, urban_cls, town_cls], RUR
    )
    prm = CLASS_PARAMS[cls]
    max_side = cell_m - 2.0 * margin
    amin = np.where(ckind == PARK_BIG, 8000.0, prm[:, 0])
    amax = np.where(ckind == PARK_SMALL, 7000.0, prm[:, 1])
    amax = np.minimum(amax, max_side**2)
    area = np.exp(rng.uniform(np.log(amin), np.log(amax)))
    aspect = rng.uniform(1.0, np.maximum(1.0, np.minimum(prm[:, 2], max_side**2 / area)))
    w = np.minimum(np.sqrt(area * aspect), max_side)
    h = area / w

    # 6. roof: type, plane orientation, tilt
    pitched = rng.uniform(size=n) < prm[:, 5]
    face = rng.choice(4, size=n, p=[0.70, 0.15, 0.075, 0.075])  # S, N, E, W
    face = np.where(pitched, face, 0)
    swap = face >= 2  # ridge runs north-south: planes face east / west
    w, h = np.where(swap, h, w), np.where(swap, w, h)
    theta = rng.uniform(-20.0, 20.0, n)
    rad = np.deg2rad(theta)
    ext_x = w * np.abs(np.cos(rad)) + h * np.abs(np.sin(rad))
    ext_y = w * np.abs(np.sin(rad)) + h * np.abs(np.cos(rad))
    fits = (ext_x <= max_side) & (ext_y <= max_side)
    theta = np.where(fits, theta, 0.0)
    ext_x = np.where(fits, ext_x, w)
    ext_y = np.where(fits, ext_y, h)
    jx = rng.uniform(-1.0, 1.0, n) * (max_side - ext_x) / 2.0
    jy = rng.uniform(-1.0, 1.0, n) * (max_side - ext_y) / 2.0
    geoms = rotated_rectangles(cx + jx, cy + jy, w, h, theta)

    base_az = np.array([180.0, 0.0, 90.0, 270.0])[face]
    azimuth = np.mod(base_az - theta, 360.0)
    tilt = np.where(pitched, rng.uniform(prm[:, 6], prm[:, 7]), 0.0)
    height = prm[:, 3] + (prm[:, 4] - prm[:, 3]) * rng.beta(1.5, 4.0, n)
    height = np.where((cls == RES) & (ckind == TOWN), np.minimum(height, 45.0), height)

    park_ids = parks_utm["id"].to_numpy(dtype=object)
    return utm_frame(
        {
            "id": np.char.add("roof-", np.arange(1, n + 1).astype(str)).astype(object),
            "name": None,
            "park_id": np.where(cpark >= 0, park_ids[np.maximum(cpark, 0)], None),
            "use_class": np.asarray(CLASSES, dtype=object)[cls],
            "height_m": np.round(height, 1),
            "roof_type": np.where(pitched, "pitched", "flat").astype(object),
            "roof_tilt_deg": np.round(tilt, 1),
            "roof_azimuth_deg": np.where(pitched, np.mod(np.round(azimuth, 1), 360.0), 180.0),
            "source": "synthetic",
        },
        geoms,
    )
