"""One schema per layer kind: geometry type, columns, dtypes and units.

This module is the contract between the parts of the atlas.  Every vector layer at rest is
a GeoDataFrame in WGS84 (EPSG:4326) with an ``id`` (string, unique), a ``name`` (Chinese),
where it applies a ``county`` (six-digit adcode string), and a ``source`` saying where the
feature came from (``"cnmaps"``, ``"plan"``, ``"osm"``, ``"user"``, ``"synthetic"``, ...).
Units are in column names (``capacity_t_per_year``, ``height_m``).

Column dtypes are one of ``"str"``, ``"float"``, ``"int"``, ``"bool"``, ``"date"``.
A required column must be present on import; an optional column is added (empty, or with
its default) when missing.  Numeric columns must hold finite numbers within their
``minimum`` and ``maximum`` (plausible bounds, in the column's unit): an import with
``inf``, ``1e400``, a capacity of 1e300 t/yr or a target year 99999 is refused naming the
rows (:mod:`layers.validate`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Adcodes and names of Xiangyang's nine county-level units (FACTS.md, "Geography").
COUNTIES: dict[str, tuple[str, str]] = {
    "420602": ("襄城区", "Xiangcheng"),
    "420606": ("樊城区", "Fancheng"),
    "420607": ("襄州区", "Xiangzhou"),
    "420624": ("南漳县", "Nanzhang"),
    "420625": ("谷城县", "Gucheng"),
    "420626": ("保康县", "Baokang"),
    "420682": ("老河口市", "Laohekou"),
    "420683": ("枣阳市", "Zaoyang"),
    "420684": ("宜城市", "Yicheng"),
}

#: Rough WGS84 bounds of Xiangyang with a margin (lon_min, lat_min, lon_max, lat_max),
#: used to flag features far outside the project region.
REGION_BOUNDS = (110.3, 30.9, 113.6, 33.0)

WASTE_KINDS = ("phosphogypsum", "construction")

#: Which facility kinds accept which waste kinds (issue 4; FACTS.md "Waste").
FACILITY_KINDS: dict[str, tuple[str, ...]] = {
    "phosphogypsum_plant": ("phosphogypsum",),
    "cement_kiln": ("phosphogypsum",),
    "building_material_plant": ("phosphogypsum", "construction"),
    "storage_yard": ("phosphogypsum",),
    "construction_recycling_plant": ("construction",),
    "landfill": ("construction",),
    "urban_mining_base": (),
    "waste_to_energy": (),
}

#: Building use classes and the NEA whole-county pilot minimum installable roof share
#: (FACTS.md "PV assumptions": party/government ≥ 50 %, public ≥ 40 %,
#: industrial and commercial ≥ 30 %, rural homes ≥ 20 %).  Urban residential is not named
#: by NEA; 0.25 is our assumption, between rural homes and commercial.
USE_CLASSES: dict[str, float] = {
    "government": 0.50,
    "public": 0.40,
    "industrial": 0.30,
    "commercial": 0.30,
    "residential": 0.25,
    "rural_home": 0.20,
}

ROOF_TYPES = ("flat", "pitched")
FACILITY_STATUSES = ("operating", "planned", "candidate", "under_construction")
BASE_STATUSES = ("planned", "under_construction", "operating", "delayed")

#: Technologies of the ``power_plants`` layer.
PLANT_TECHNOLOGIES = ("wind", "solar", "coal", "gas", "hydro", "biomass", "storage", "other")

#: Statuses of the ``power_plants`` layer (Global Energy Monitor's vocabulary).  GEM's
#: ``cancelled`` is stored as ``shelved`` and ``mothballed`` as ``retired`` (neither adds
#: capacity, now or later); the source's own word is kept in ``status_source``.
PLANT_STATUSES = ("operating", "construction", "pre-construction", "announced", "shelved", "retired")

#: How well a plant's position is known: ``exact``/``approximate`` as GEM states it;
#: ``placeholder`` where the point is not the site (GEM puts phases it cannot locate on a
#: city centre: see :func:`layers._power.flag_placeholders`).
LOCATION_ACCURACIES = ("exact", "approximate", "placeholder")

GRID_KINDS = ("substation", "line")

#: Margin around the project's counties within which ``power_plants`` and ``grid`` features
#: are kept on import (a substation just across the border still serves the city), m.
REGION_MARGIN_M = 10_000.0


@dataclass(frozen=True)
class Column:
    """A column of a layer: dtype, whether it must be present, its unit and meaning.

    ``minimum`` and ``maximum`` (numeric columns, in the column's unit, inclusive) bound the
    plausible values; values outside, and non-finite values, are refused on import.
    """

    dtype: str
    required: bool = False
    description: str = ""
    default: object = None
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class LayerSchema:
    """What a layer kind is: geometry types and columns.

    ``geometry`` lists the accepted shapely geometry types (``()`` for a plain table);
    ``raster`` marks raster layers, stored as GeoTIFF rather than in the GeoPackage.
    ``clip_to_region`` drops features outside the project region on import (and counts
    them): for layers read from national or global databases (power plants, the grid).
    """

    kind: str
    title_zh: str
    title_en: str
    geometry: tuple[str, ...]
    columns: dict[str, Column] = field(default_factory=dict)
    raster: bool = False
    clip_to_region: bool = False

    @property
    def is_table(self) -> bool:
        """True for a layer without geometry (progress records)."""
        return not self.geometry and not self.raster

    def required_columns(self) -> list[str]:
        """Names of the columns that must be present on import."""
        return [name for name, col in self.columns.items() if col.required]


_POLY = ("Polygon", "MultiPolygon")
_LINE = ("LineString", "MultiLineString")
_POINT = ("Point",)

_COMMON = {
    "id": Column("str", False, "unique feature id; generated when missing"),
    "name": Column("str", False, "name, Chinese first"),
    "source": Column("str", False, "where the feature came from: cnmaps, plan, osm, user, synthetic", "user"),
}

SCHEMAS: dict[str, LayerSchema] = {
    "counties": LayerSchema(
        "counties",
        "县级行政区",
        "Counties",
        _POLY,
        {
            **_COMMON,
            "name": Column("str", True, "Chinese name, e.g. 襄城区"),
            "name_en": Column("str", False, "English name"),
            "adcode": Column("str", True, "six-digit administrative code, e.g. 420602"),
        },
    ),
    "industrial_parks": LayerSchema(
        "industrial_parks",
        "产业园区",
        "Industrial parks",
        _POLY,
        {
            **_COMMON,
            "name": Column("str", True, "park name"),
            "name_en": Column("str", False, "English name"),
            "county": Column("str", False, "adcode of the county"),
            "park_kind": Column("str", False, "industrial, chemical, high_tech, logistics", "industrial"),
            "level": Column("str", False, "national, provincial or municipal"),
        },
    ),
    "rooftops": LayerSchema(
        "rooftops",
        "建筑屋顶",
        "Building rooftops",
        _POLY,
        {
            **_COMMON,
            "county": Column("str", False, "adcode of the county"),
            "park_id": Column("str", False, "id of the industrial park it lies in, if any"),
            "use_class": Column("str", False, "building use class", "residential", choices=tuple(USE_CLASSES)),
            # the tallest building on Earth is 828 m
            "height_m": Column("float", False, "building height, m", 10.0, minimum=0.0, maximum=1000.0),
            "roof_type": Column("str", False, "flat or pitched", "flat", choices=ROOF_TYPES),
            "roof_tilt_deg": Column(
                "float", False, "roof plane tilt from horizontal, degrees (pitched)", 0.0, minimum=0.0, maximum=90.0
            ),
            "roof_azimuth_deg": Column(
                "float",
                False,
                "roof plane azimuth, degrees clockwise from north (180 = south; -180–360 accepted)",
                180.0,
                minimum=-180.0,
                maximum=360.0,
            ),
        },
    ),
    "wind_resource": LayerSchema(
        "wind_resource",
        "风资源",
        "Wind resource",
        (),
        {},
        raster=True,
    ),
    "exclusions": LayerSchema(
        "exclusions",
        "排除区",
        "Exclusion areas",
        (*_POLY, *_LINE, *_POINT),
        {
            **_COMMON,
            "exclusion_kind": Column(
                "str", True, "settlement, building, road, water, protected, airport, railway_station, other"
            ),
            "buffer_m": Column("float", False, "buffer around the feature, m", 0.0, minimum=0.0, maximum=100_000.0),
        },
    ),
    "waste_sources": LayerSchema(
        "waste_sources",
        "固废产生源",
        "Waste sources",
        _POINT,
        {
            **_COMMON,
            "county": Column("str", False, "adcode of the county"),
            "waste_kind": Column("str", True, "phosphogypsum or construction", choices=WASTE_KINDS),
            # bounds far above any real source (China's phosphogypsum is ~80 Mt/yr in all)
            "supply_t_per_year": Column("float", True, "waste generated, t/yr", minimum=0.0, maximum=1e9),
            "stock_t": Column("float", False, "stockpiled waste, t", 0.0, minimum=0.0, maximum=1e10),
        },
    ),
    "facilities": LayerSchema(
        "facilities",
        "处理设施",
        "Processing facilities",
        _POINT,
        {
            **_COMMON,
            "county": Column("str", False, "adcode of the county"),
            "facility_kind": Column("str", True, "kind of facility", choices=tuple(FACILITY_KINDS)),
            "accepts": Column("str", False, "comma-separated waste kinds accepted; default from facility_kind"),
            "capacity_t_per_year": Column("float", True, "processing capacity, t/yr", minimum=0.0, maximum=1e9),
            "gate_fee_cny_per_t": Column(
                "float", False, "gate fee or processing cost, ¥/t (negative: paid for)", 0.0, minimum=-1e5, maximum=1e5
            ),
            "status": Column(
                "str",
                False,
                "operating, planned, candidate, under_construction",
                "operating",
                choices=FACILITY_STATUSES,
            ),
        },
    ),
    "roads": LayerSchema(
        "roads",
        "道路",
        "Roads",
        _LINE,
        {
            **_COMMON,
            "highway": Column("str", True, "OSM highway class: motorway, trunk, primary, ..."),
            "maxspeed_kmh": Column("float", False, "speed limit, km/h (empty: from class)", minimum=0.0, maximum=300.0),
            "oneway": Column("bool", False, "one-way street", False),
        },
    ),
    "bases": LayerSchema(
        "bases",
        "基地与项目",
        "Plan bases and projects",
        (*_POINT, *_POLY),
        {
            **_COMMON,
            "name": Column("str", True, "Chinese name"),
            "name_en": Column("str", False, "English name"),
            "category": Column("str", True, "renewable or recycling", choices=("renewable", "recycling")),
            "base_kind": Column("str", False, "wind, solar, storage, urban_mining, phosphogypsum, ..."),
            "county": Column("str", False, "adcode of the county"),
            "target_value": Column(
                "float",
                False,
                "planned capacity or target (empty if the plan has none)",
                minimum=0.0,
                maximum=1e12,
            ),
            "target_unit": Column("str", False, "unit of target_value, e.g. MW, t/yr, %"),
            "target_year": Column("int", False, "year of the target", minimum=2000, maximum=2100),
            "status": Column(
                "str", False, "planned, under_construction, operating, delayed", "planned", choices=BASE_STATUSES
            ),
            "plan_ref": Column("str", False, "where the plan names it (section)"),
        },
    ),
    "power_plants": LayerSchema(
        "power_plants",
        "现有电厂",
        "Power plants",
        (*_POINT, *_POLY),
        {
            **_COMMON,
            "name": Column("str", True, "plant, phase or unit name (local script first where the source has it)"),
            "name_en": Column("str", False, "English name"),
            "technology": Column("str", True, "generation technology", choices=PLANT_TECHNOLOGIES),
            "capacity_mw": Column(
                "float",
                True,
                "nameplate capacity, MW (at most 25,000: above the largest plant, 三峡 22,500 MW)",
                minimum=0.0,
                maximum=25_000.0,
            ),
            "status": Column("str", True, "project status (GEM vocabulary)", choices=PLANT_STATUSES),
            "status_source": Column("str", False, "status as the source states it (e.g. GEM's cancelled, mothballed)"),
            "start_year": Column(
                "int", False, "year of commissioning or expected commissioning (1880–2100)", minimum=1880, maximum=2100
            ),
            "county": Column("str", False, "adcode of the county"),
            "location_accuracy": Column(
                "str", False, "exact, approximate or placeholder (not the site)", choices=LOCATION_ACCURACIES
            ),
            "source_id": Column("str", False, "id in the source (GEM phase/unit id, GPPD id, OSM id)"),
            "source_version": Column("str", False, "release of the source, e.g. GEM May 2023, GPPD v1.3"),
            "source": Column("str", False, "where the feature came from: gem, gppd, osm, user", "user"),
        },
        clip_to_region=True,
    ),
    "grid": LayerSchema(
        "grid",
        "电网设施",
        "Grid: substations and lines",
        (*_POINT, *_POLY, *_LINE),
        {
            **_COMMON,
            "voltage_kv": Column(
                "float",
                False,
                "highest voltage, kV (empty when not tagged; at most 1,200: China's UHV is 1,100 kV)",
                minimum=0.0,
                maximum=1_200.0,
            ),
            "grid_kind": Column("str", True, "substation or line", choices=GRID_KINDS),
            "source_id": Column("str", False, "id in the source (OSM id)"),
            "source_version": Column("str", False, "release of the source, e.g. OSM 2025-02"),
            "source": Column("str", False, "where the feature came from: osm, user", "user"),
        },
        clip_to_region=True,
    ),
    "progress_records": LayerSchema(
        "progress_records",
        "进展记录",
        "Progress records",
        (),
        {
            "id": Column("str", False, "record id"),
            "target_id": Column("str", True, "base id or indicator id"),
            "date": Column("date", True, "date the value refers to (YYYY-MM-DD)"),
            "value": Column("float", True, "value in the base's or indicator's unit", minimum=0.0, maximum=1e12),
            "unit": Column("str", False, "unit of value"),
            "author": Column("str", False, "who entered it"),
            "note": Column("str", False, "free text"),
        },
    ),
}

LAYER_KINDS: tuple[str, ...] = tuple(SCHEMAS)

#: Analysis inputs that are not stored layers, checked by :func:`layers.conform` like layers.
INPUT_SCHEMAS: dict[str, LayerSchema] = {
    "candidate_sites": LayerSchema(
        "candidate_sites",
        "候选厂址",
        "Candidate facility sites",
        ("Point", *_POLY),
        {
            **_COMMON,
            "county": Column("str", False, "adcode of the county"),
            "capacity_t_per_year": Column("float", False, "capacity if opened, t/yr", minimum=0.0),
            "fixed_cost_cny_per_year": Column("float", False, "annualised cost of opening, ¥/yr", minimum=0.0),
            "gate_fee_cny_per_t": Column("float", False, "gate fee or processing cost, ¥/t"),
        },
    ),
}


def empty_table(kind: str):
    """An empty DataFrame with the columns of the table layer ``kind`` in their dtypes."""
    import pandas as pd

    dtypes = {"float": "float64", "int": "Int64", "bool": "boolean"}
    schema = get_schema(kind)
    return pd.DataFrame({name: pd.Series(dtype=dtypes.get(col.dtype, object)) for name, col in schema.columns.items()})


def get_schema(kind: str) -> LayerSchema:
    """Return the schema for ``kind``; raise InputError naming the known kinds otherwise."""
    from geo.errors import InputError

    try:
        return SCHEMAS[kind]
    except KeyError:
        msg = f"unknown layer kind {kind!r}; choose one of: {', '.join(LAYER_KINDS)}"
        raise InputError(msg) from None
