"""Data tables of the embedded Xiangyang default: named places, capacities, zones.

Coordinates are (lon, lat) **GCJ-02** as read off Chinese web maps (AMap) or, for county
seats, the DataV ``center`` values in FACTS.md ("Geography").  They are approximate (a
kilometre or so) and are converted to WGS84 with :func:`geo.crs.gcj02_to_wgs84` before use.
Where the plan (``/work/shared/seed``) names a place, ``plan_ref`` gives its section, e.g.
``"三(四)14"`` = section 三 主要任务, part (四), item 14.

Capacities marked ``"synthetic"`` are invented for a plausible default; they are not data.
Real figures (FACTS.md "Waste") are used where FACTS gives them and cited in the rows' notes.
"""

from __future__ import annotations

#: County seats, GCJ-02 (FACTS.md "Geography"): adcode -> (lon, lat).
SEATS_GCJ: dict[str, tuple[float, float]] = {
    "420602": (112.1503, 32.0151),
    "420606": (112.1396, 32.0586),
    "420607": (112.1974, 32.0855),
    "420624": (111.8444, 31.7769),
    "420625": (111.6401, 32.2627),
    "420626": (111.2622, 31.8735),
    "420682": (111.6757, 32.3854),
    "420683": (112.7653, 32.1231),
    "420684": (112.2614, 31.7092),
}

# ---------------------------------------------------------------------------------------
# Industrial and chemical parks.  The plan names 高新区 and 东津新区 (三(一)1) and the
# compliant chemical parks of 襄城, 谷城, 老河口, 南漳 and 枣阳 (三(二)6); those rows carry
# source "plan".  The others are real development zones at approximate locations, labelled
# "synthetic" because their outline and area are invented.
# columns: id, name, name_en, county, park_kind, level, lon, lat, area_km2, source
PARKS: list[tuple] = [
    ("park-gaoxin", "襄阳高新技术产业开发区", "Xiangyang Hi-tech Industrial Development Zone",
     "420606", "high_tech", "national", 112.150, 32.118, 28.0, "plan"),
    ("park-dongjin", "东津新区", "Dongjin New District",
     "420607", "high_tech", "municipal", 112.238, 32.000, 20.0, "plan"),
    ("park-yujiahu", "余家湖工业园（襄城化工园区）", "Yujiahu Industrial Park (Xiangcheng chemical park)",
     "420602", "chemical", "provincial", 112.172, 31.910, 8.0, "plan"),
    ("park-gucheng-chem", "谷城化工园区", "Gucheng Chemical Park",
     "420625", "chemical", "provincial", 111.685, 32.232, 5.0, "plan"),
    ("park-laohekou-chem", "老河口化工园区", "Laohekou Chemical Park",
     "420682", "chemical", "provincial", 111.735, 32.345, 5.0, "plan"),
    ("park-nanzhang-chem", "南漳化工园区", "Nanzhang Chemical Park",
     "420624", "chemical", "provincial", 111.905, 31.755, 6.0, "plan"),
    ("park-zaoyang-chem", "枣阳化工园区", "Zaoyang Chemical Park",
     "420683", "chemical", "provincial", 112.845, 32.075, 5.0, "plan"),
    ("park-jingkai", "襄阳经济技术开发区", "Xiangyang Economic and Technological Development Zone",
     "420607", "industrial", "provincial", 112.262, 32.052, 12.0, "synthetic"),
    ("park-xiangzhou", "襄州经济开发区", "Xiangzhou Economic Development Zone",
     "420607", "industrial", "provincial", 112.238, 32.122, 10.0, "synthetic"),
    ("park-gucheng-kfq", "谷城经济开发区", "Gucheng Economic Development Zone",
     "420625", "industrial", "provincial", 111.668, 32.290, 12.0, "synthetic"),
    ("park-laohekou-kfq", "老河口经济开发区", "Laohekou Economic Development Zone",
     "420682", "industrial", "provincial", 111.700, 32.372, 10.0, "synthetic"),
    ("park-nanzhang-kfq", "南漳经济开发区", "Nanzhang Economic Development Zone",
     "420624", "industrial", "provincial", 111.862, 31.798, 5.0, "synthetic"),
    ("park-zaoyang-kfq", "枣阳经济开发区", "Zaoyang Economic Development Zone",
     "420683", "industrial", "provincial", 112.795, 32.108, 12.0, "synthetic"),
    ("park-yicheng-kfq", "宜城经济开发区", "Yicheng Economic Development Zone",
     "420684", "industrial", "provincial", 112.285, 31.738, 8.0, "synthetic"),
    ("park-yicheng-leihe", "宜城雷河精细化工园", "Yicheng Leihe Fine Chemical Park",
     "420684", "chemical", "municipal", 112.365, 31.620, 4.0, "synthetic"),
    ("park-baokang-chem", "保康县磷化工园区", "Baokang Phosphorus Chemical Park",
     "420626", "chemical", "municipal", 111.330, 31.845, 3.0, "synthetic"),
]

# ---------------------------------------------------------------------------------------
# Facilities.  capacity_t_per_year is the waste the facility can accept per year.
# * 老河口葛洲坝水泥: FACTS.md "Waste": 4,800 t/day clinker, about 3 Mt/yr cement.  Phosphogypsum
#   replaces natural gypsum as set retarder at about 4-5 % of cement mass, so we take
#   5 % x 3 Mt/yr = 150,000 t/yr as its acceptance capacity (derived, documented here).
# * 襄阳市政新材料 at 襄城区尹集乡: 1.5 Mt/yr construction waste (FACTS.md "Waste").
# * 谷城 urban-mining base: about 1.2 Mt/yr recycled (FACTS.md "Waste"); takes neither
#   phosphogypsum nor construction waste (layers.schema.FACILITY_KINDS).
# Every other capacity is synthetic, chosen so that phosphogypsum capacity (about 2.3 Mt/yr)
# stays below the 3 Mt/yr supply (the plan's 65 % utilisation target is not yet met) and
# construction-waste capacity (about 4.5 Mt/yr + shared building-material plants) stays near
# but below the 5.3 Mt/yr synthetic supply.
# columns: id, name, county, facility_kind, capacity_t_per_year, gate_fee_cny_per_t, status,
#          lon, lat, source, note
FACILITIES: list[tuple] = [
    ("fac-laohekou-cement", "老河口葛洲坝水泥（磷石膏缓凝剂）", "420682", "cement_kiln",
     150_000.0, 30.0, "operating", 111.712, 32.402, "public_report",
     "FACTS: 4,800 t/d clinker, ~3 Mt/yr cement; capacity = 5 % retarder share (derived)"),
    ("fac-xiangyang-szxcl", "襄阳市政新材料建筑垃圾资源化利用厂（尹集）", "420602",
     "construction_recycling_plant", 1_500_000.0, 15.0, "operating", 112.042, 31.985,
     "public_report", "FACTS: 1.5 Mt/yr at 襄城区尹集乡"),
    ("fac-gucheng-urbanmining", "谷城国家“城市矿产”示范基地", "420625", "urban_mining_base",
     1_200_000.0, 0.0, "operating", 111.662, 32.282, "public_report",
     "FACTS: Hubei's only national urban-mining base (2011), ~1.2 Mt/yr recycled"),
    ("fac-zedong-pg", "泽东化工磷石膏综合利用项目", "420624", "phosphogypsum_plant",
     500_000.0, 25.0, "under_construction", 111.912, 31.748, "synthetic",
     "named in plan 三(四)14; capacity and location synthetic"),
    ("fac-huabang-pg", "华邦保和磷石膏综合利用项目", "420626", "phosphogypsum_plant",
     600_000.0, 25.0, "under_construction", 111.338, 31.838, "synthetic",
     "named in plan 三(四)14; capacity and location synthetic"),
    ("fac-conch-newmat", "襄阳海螺新材料（新型建材）", "420602", "building_material_plant",
     300_000.0, 20.0, "operating", 112.160, 31.920, "synthetic",
     "海螺新材 named in plan 三(四)14; capacity and location synthetic"),
    ("fac-yicheng-bm", "宜城磷石膏新型建材厂", "420684", "building_material_plant",
     200_000.0, 20.0, "operating", 112.355, 31.628, "synthetic", "synthetic plant"),
    ("fac-baokang-board", "保康石膏板厂", "420626", "building_material_plant",
     200_000.0, 20.0, "planned", 111.290, 31.880, "synthetic", "synthetic plant"),
    ("fac-baokang-yard", "保康磷石膏堆场", "420626", "storage_yard",
     150_000.0, 10.0, "operating", 111.360, 31.815, "synthetic",
     "synthetic; remaining yearly intake of a nearly full yard"),
    ("fac-nanzhang-yard", "南漳磷石膏堆场", "420624", "storage_yard",
     100_000.0, 10.0, "operating", 111.930, 31.740, "synthetic",
     "synthetic; remaining yearly intake of a nearly full yard"),
    ("fac-yicheng-yard", "宜城磷石膏堆场", "420684", "storage_yard",
     100_000.0, 10.0, "operating", 112.380, 31.610, "synthetic",
     "synthetic; remaining yearly intake of a nearly full yard"),
    ("fac-city-cw", "襄阳市建筑垃圾循环回收再利用项目", "420607", "construction_recycling_plant",
     800_000.0, 15.0, "under_construction", 112.262, 32.095, "synthetic",
     "named in plan 三(四)14; capacity and location synthetic"),
    ("fac-gucheng-cw", "谷城县建筑垃圾资源化利用项目", "420625", "construction_recycling_plant",
     400_000.0, 15.0, "under_construction", 111.662, 32.240, "synthetic",
     "named in plan 三(四)14; capacity and location synthetic"),
    ("fac-nanzhang-cw", "南漳县建筑垃圾资源化利用项目", "420624", "construction_recycling_plant",
     300_000.0, 15.0, "under_construction", 111.830, 31.760, "synthetic",
     "named in plan 三(四)14; capacity and location synthetic"),
    ("fac-xiangzhou-cw", "襄州区建筑垃圾资源化利用项目", "420607", "construction_recycling_plant",
     600_000.0, 15.0, "under_construction", 112.175, 32.140, "synthetic",
     "named in plan 三(四)14; capacity and location synthetic"),
    ("fac-laohekou-cw", "老河口市建筑垃圾资源化利用项目", "420682", "construction_recycling_plant",
     300_000.0, 15.0, "under_construction", 111.695, 32.412, "synthetic",
     "named in plan 三(四)14; capacity and location synthetic"),
    ("fac-xiangyang-landfill", "襄阳市建筑垃圾消纳场", "420606", "landfill",
     300_000.0, 25.0, "operating", 112.060, 32.110, "synthetic", "synthetic"),
    ("fac-zaoyang-landfill", "枣阳市建筑垃圾消纳场", "420683", "landfill",
     150_000.0, 25.0, "operating", 112.730, 32.150, "synthetic", "synthetic"),
    ("fac-yicheng-landfill", "宜城市建筑垃圾消纳场", "420684", "landfill",
     100_000.0, 25.0, "operating", 112.235, 31.690, "synthetic", "synthetic"),
    ("fac-gucheng-wte", "谷城县生活垃圾焚烧发电项目", "420625", "waste_to_energy",
     219_000.0, 0.0, "under_construction", 111.610, 32.250, "synthetic",
     "named in plan 三(四)16; 600 t/d synthetic"),
    ("fac-nanzhang-wte", "南漳县生活垃圾焚烧发电项目", "420624", "waste_to_energy",
     182_500.0, 0.0, "under_construction", 111.820, 31.790, "synthetic",
     "named in plan 三(四)16; 500 t/d synthetic"),
]

# ---------------------------------------------------------------------------------------
# Phosphogypsum sources: phosphate chemical sites in 保康, 南漳, 宜城, 襄城余家湖 and 谷城.
# FACTS.md "Waste": about 3 Mt/yr produced city-wide; 20.47 Mt stockpiled by 2018.  The split
# between sites is synthetic.  columns: id, name, county, supply_t_per_year, stock_t, lon, lat
PHOSPHOGYPSUM_SOURCES: list[tuple] = [
    ("pg-baokang-1", "保康县磷化工磷石膏产生点 1（城关）", "420626", 420_000.0, 3_300_000.0,
     111.325, 31.850),
    ("pg-baokang-2", "保康县磷化工磷石膏产生点 2（马桥）", "420626", 330_000.0, 2_600_000.0,
     111.180, 31.740),
    ("pg-baokang-3", "保康县磷化工磷石膏产生点 3（寺坪）", "420626", 250_000.0, 1_900_000.0,
     111.470, 31.790),
    ("pg-nanzhang-1", "南漳县磷化工磷石膏产生点 1", "420624", 380_000.0, 2_800_000.0,
     111.900, 31.760),
    ("pg-nanzhang-2", "南漳县磷化工磷石膏产生点 2", "420624", 220_000.0, 1_500_000.0,
     111.915, 31.748),
    ("pg-yicheng-1", "宜城市雷河磷化工磷石膏产生点 1", "420684", 380_000.0, 2_500_000.0,
     112.362, 31.622),
    ("pg-yicheng-2", "宜城市磷化工磷石膏产生点 2", "420684", 220_000.0, 1_400_000.0,
     112.270, 31.745),
    ("pg-yujiahu-1", "襄城区余家湖磷化工磷石膏产生点 1", "420602", 450_000.0, 3_000_000.0,
     112.178, 31.915),
    ("pg-yujiahu-2", "襄城区余家湖磷化工磷石膏产生点 2", "420602", 200_000.0, 900_000.0,
     112.166, 31.903),
    ("pg-gucheng-1", "谷城县化工园磷石膏产生点", "420625", 150_000.0, 570_000.0,
     111.685, 32.232),
]

#: Construction waste (FACTS.md "Waste": over 5 Mt/yr): synthetic total used here.
CONSTRUCTION_TOTAL_T_PER_YEAR = 5_300_000.0

# ---------------------------------------------------------------------------------------
# Built-up zones (ellipses) for synthetic rooftops, construction-waste sources, settlements
# and local street grids.  columns: id, name, county, lon, lat, semi_x_m, semi_y_m, kind,
# weight (share of construction waste).  kind "core" = central city, "town" = county seat.
URBAN_ZONES: list[tuple] = [
    ("zone-fancheng", "樊城城区", "420606", 112.135, 32.065, 5200.0, 3200.0, "core", 0.20),
    ("zone-xiangcheng", "襄城城区", "420602", 112.135, 32.010, 3200.0, 1800.0, "core", 0.09),
    ("zone-xiangzhou", "襄州城区（张湾）", "420607", 112.200, 32.090, 3200.0, 2800.0, "core", 0.12),
    ("zone-dongjin", "东津城区", "420607", 112.225, 32.020, 2400.0, 2000.0, "core", 0.06),
    ("zone-zaoyang", "枣阳城区", "420683", 112.765, 32.125, 3800.0, 3000.0, "town", 0.12),
    ("zone-yicheng", "宜城城区", "420684", 112.262, 31.712, 2800.0, 2600.0, "town", 0.08),
    ("zone-laohekou", "老河口城区", "420682", 111.672, 32.388, 3000.0, 2800.0, "town", 0.09),
    ("zone-gucheng", "谷城城区", "420625", 111.643, 32.264, 2600.0, 2400.0, "town", 0.09),
    ("zone-nanzhang", "南漳城区", "420624", 111.842, 31.778, 2400.0, 2000.0, "town", 0.09),
    ("zone-baokang", "保康城区", "420626", 111.262, 31.875, 1500.0, 1100.0, "town", 0.06),
]

#: Xiangyang 刘集 airport (襄阳刘集机场), approximate GCJ-02 position.
AIRPORT = ("excl-airport-liuji", "襄阳刘集机场", 112.297, 32.151, 5000.0)

#: Rivers, approximate centre lines (GCJ-02).  The Han River (汉江) north of 余家湖 is taken
#: from the real county borders that follow it (谷城/老河口, 谷城/樊城, 樊城/襄城, 襄城/襄州 in
#: cnmaps, see :func:`layers.default._exclusions.river_lines_utm`); the points below continue
#: it south through 宜城.  columns: id, name, buffer_m, [(lon, lat), ...]
HAN_BORDER_PAIRS = [("420625", "420682"), ("420625", "420606"), ("420606", "420602"),
                    ("420602", "420607")]
RIVERS: list[tuple] = [
    ("excl-hanjiang", "汉江", 500.0, [
        (112.245, 31.820), (112.290, 31.740),
        (112.305, 31.660), (112.335, 31.560), (112.380, 31.440), (112.420, 31.320),
    ]),
    ("excl-tangbaihe", "唐白河", 200.0, [
        (112.330, 32.560), (112.300, 32.420), (112.265, 32.300), (112.240, 32.180),
        (112.225, 32.090), (112.215, 32.032),
    ]),
    ("excl-nanhe", "南河", 200.0, [
        (111.300, 32.130), (111.420, 32.170), (111.530, 32.220), (111.620, 32.245),
        (111.711, 32.264),
    ]),
    ("excl-manhe", "蛮河", 150.0, [
        (111.700, 31.800), (111.800, 31.790), (111.900, 31.770), (112.050, 31.720),
        (112.180, 31.660), (112.300, 31.650),
    ]),
]

#: Protected areas (approximate centres, invented outlines: source "synthetic").
#: columns: id, name, lon, lat, area_km2
PROTECTED: list[tuple] = [
    ("excl-wudaoxia", "湖北五道峡国家级自然保护区（近似范围）", 111.130, 31.600, 160.0),
    ("excl-daxieshan", "谷城大薤山国家森林公园（近似范围）", 111.440, 32.300, 40.0),
    ("excl-nanhe-wetland", "湖北谷城南河国家湿地公园（近似范围）", 111.480, 32.190, 25.0),
    ("excl-lumenshan", "鹿门寺国家森林公园（近似范围）", 112.245, 31.955, 15.0),
    ("excl-xianshan", "岘山国家森林公园（近似范围）", 112.120, 31.985, 12.0),
    ("excl-longzhong", "古隆中风景名胜区（近似范围）", 112.060, 32.010, 10.0),
    ("excl-xiangshuihe", "南漳香水河自然保护区（近似范围）", 111.560, 31.560, 60.0),
]

# ---------------------------------------------------------------------------------------
# The plan's bases and projects (FACTS.md "The plan's targets"; plan sections 三(一)2,
# 三(三)11, 三(四)14-16).  target_value only where the plan states a number: the GW-class
# (百万千瓦级) new-energy bases, 1,000 MW.  Locations are approximate; where the plan names
# no site inside a county, the point is placed in the county's likely area (see note).
# columns: id, name, name_en, category, base_kind, county, lon, lat, target_value,
#          target_unit, status, plan_ref, note
BASES: list[tuple] = [
    ("base-xiangzhou-newenergy", "襄州区百万千瓦级新能源示范基地",
     "Xiangzhou GW-class new-energy demonstration base", "renewable", "wind_solar", "420607",
     112.330, 32.250, 1000.0, "MW", "planned", "三(三)11", "location: northern Xiangzhou hills"),
    ("base-zaoyang-newenergy", "枣阳市百万千瓦级新能源示范基地",
     "Zaoyang GW-class new-energy demonstration base", "renewable", "wind_solar", "420683",
     112.900, 32.280, 1000.0, "MW", "planned", "三(三)11", "location: northern Zaoyang hills"),
    ("base-yicheng-newenergy", "宜城市百万千瓦级新能源示范基地",
     "Yicheng GW-class new-energy demonstration base", "renewable", "wind_solar", "420684",
     112.480, 31.700, 1000.0, "MW", "planned", "三(三)11", "location: eastern Yicheng hills"),
    ("base-xiangcheng-rooftop-pv", "襄城区整区屋顶分布式光伏开发试点",
     "Xiangcheng whole-district rooftop PV pilot", "renewable", "rooftop_pv", "420602",
     112.140, 32.005, None, None, "planned", "三(三)11", "district-wide; point at district seat"),
    ("base-gucheng-rooftop-pv", "谷城县整县屋顶分布式光伏开发试点",
     "Gucheng whole-county rooftop PV pilot", "renewable", "rooftop_pv", "420625",
     111.645, 32.265, None, None, "planned", "三(三)11", "county-wide; point at county seat"),
    ("base-nanzhang-zhangjiaping", "南漳张家坪抽水蓄能电站", "Nanzhang Zhangjiaping pumped storage",
     "renewable", "pumped_storage", "420624", 111.620, 31.640, None, None, "planned", "三(三)11",
     "location approximate"),
    ("base-baokang-houping", "保康后坪抽水蓄能电站", "Baokang Houping pumped storage",
     "renewable", "pumped_storage", "420626", 111.050, 31.640, None, None, "planned", "三(三)11",
     "location approximate (后坪镇)"),
    ("base-zaoyang-huarun-vrfb", "枣阳市华润大力风电钒液流电池产业园",
     "Zaoyang CR/Dali wind and vanadium-flow-battery industrial park", "renewable",
     "wind_storage_industry", "420683", 112.800, 32.100, None, None, "planned", "三(一)2",
     "location approximate (枣阳经济开发区)"),
    ("base-xiangzhou-envision", "襄州远景风机制造项目", "Xiangzhou Envision wind-turbine factory",
     "renewable", "wind_manufacturing", "420607", 112.245, 32.125, None, None, "planned",
     "三(一)2", "location approximate (襄州经济开发区)"),
    ("base-dongjin-distributed-energy", "东津新区分布式能源综合利用示范项目",
     "Dongjin distributed-energy demonstration", "renewable", "distributed_energy", "420607",
     112.240, 32.005, None, None, "planned", "三(三)11", "location approximate"),
    ("base-gucheng-urban-mining", "谷城国家“城市矿产”示范基地",
     "Gucheng national urban-mining demonstration base", "recycling", "urban_mining", "420625",
     111.662, 32.282, None, None, "operating", "三(四)15",
     "designated 2011 (FACTS); ~1.2 Mt/yr recycled"),
    ("base-laohekou-recycling", "老河口国家资源循环利用基地",
     "Laohekou national resource-recycling base", "recycling", "resource_recycling", "420682",
     111.705, 32.368, None, None, "operating", "三(四)15",
     "plan asks to spread its experience, so it exists; location approximate"),
    ("base-zedong-pg", "泽东化工磷石膏综合利用项目", "Zedong Chemical phosphogypsum utilisation",
     "recycling", "phosphogypsum", "420624", 111.912, 31.748, None, None, "under_construction",
     "三(四)14", "plan: 加快推进建设进度; location assumed"),
    ("base-huabang-pg", "华邦保和磷石膏综合利用项目", "Huabang Baohe phosphogypsum utilisation",
     "recycling", "phosphogypsum", "420626", 111.338, 31.838, None, None, "under_construction",
     "三(四)14", "plan: 加快推进建设进度; location assumed"),
    ("base-city-construction-waste", "襄阳市建筑垃圾循环回收再利用项目",
     "Xiangyang city construction-waste recycling", "recycling", "construction_waste", "420607",
     112.262, 32.095, None, None, "under_construction", "三(四)14", "location assumed"),
    ("base-gucheng-construction-waste", "谷城县建筑垃圾资源利用项目",
     "Gucheng construction-waste recycling", "recycling", "construction_waste", "420625",
     111.662, 32.240, None, None, "under_construction", "三(四)14", "location assumed"),
    ("base-nanzhang-construction-waste", "南漳县建筑垃圾资源利用项目",
     "Nanzhang construction-waste recycling", "recycling", "construction_waste", "420624",
     111.830, 31.760, None, None, "under_construction", "三(四)14", "location assumed"),
    ("base-xiangzhou-construction-waste", "襄州区建筑垃圾资源利用项目",
     "Xiangzhou construction-waste recycling", "recycling", "construction_waste", "420607",
     112.175, 32.140, None, None, "under_construction", "三(四)14", "location assumed"),
    ("base-laohekou-construction-waste", "老河口市建筑垃圾资源利用项目",
     "Laohekou construction-waste recycling", "recycling", "construction_waste", "420682",
     111.695, 32.412, None, None, "under_construction", "三(四)14", "location assumed"),
    ("base-gucheng-wte", "谷城县生活垃圾焚烧发电项目", "Gucheng waste-to-energy plant",
     "recycling", "waste_to_energy", "420625", 111.610, 32.250, None, None,
     "under_construction", "三(四)16", "location assumed"),
    ("base-nanzhang-wte", "南漳县生活垃圾焚烧发电项目", "Nanzhang waste-to-energy plant",
     "recycling", "waste_to_energy", "420624", 111.820, 31.790, None, None,
     "under_construction", "三(四)16", "location assumed"),
    ("base-yicheng-food-waste", "宜城市餐厨垃圾处理项目", "Yicheng food-waste plant",
     "recycling", "food_waste", "420684", 112.240, 31.725, None, None, "under_construction",
     "三(四)16", "location assumed"),
    ("base-laohekou-food-waste", "老河口市餐厨垃圾处理项目", "Laohekou food-waste plant",
     "recycling", "food_waste", "420682", 111.690, 32.410, None, None, "under_construction",
     "三(四)16", "location assumed"),
    ("base-nanzhang-food-waste", "南漳县餐厨垃圾处理项目", "Nanzhang food-waste plant",
     "recycling", "food_waste", "420624", 111.860, 31.765, None, None, "under_construction",
     "三(四)16", "location assumed"),
    ("base-camel-battery", "骆驼集团废旧动力电池综合利用项目", "Camel Group battery recycling",
     "recycling", "battery_recycling", "420625", 111.680, 32.286, None, None,
     "under_construction", "三(四)15", "location assumed (谷城 recycling cluster)"),
    ("base-jingli-battery", "景锂环保废旧动力电池综合利用项目", "Jingli battery recycling",
     "recycling", "battery_recycling", "420682", 111.712, 32.362, None, None,
     "under_construction", "三(四)15", "location assumed"),
    ("base-shunbo-aluminium", "顺博铝合金再生有色金属加工项目", "Shunbo recycled aluminium alloy",
     "recycling", "recycled_metals", "420682", 111.700, 32.360, None, None,
     "under_construction", "三(四)15", "location assumed"),
    ("base-xinjinyang-metallurgy", "新金洋冶金再生有色金属加工项目",
     "Xinjinyang recycled non-ferrous metallurgy", "recycling", "recycled_metals", "420625",
     111.655, 32.290, None, None, "under_construction", "三(四)15", "location assumed"),
    ("base-changshen-alloy", "长申合金再生有色金属加工项目", "Changshen recycled alloy",
     "recycling", "recycled_metals", "420625", 111.680, 32.285, None, None,
     "under_construction", "三(四)15", "location assumed"),
    ("base-chinarecycling-vehicles", "中再生汽车拆解利用废旧钢铁平台项目",
     "China Recycling vehicle dismantling and scrap-steel platform", "recycling",
     "vehicle_dismantling", "420607", 112.250, 32.130, None, None, "under_construction",
     "三(四)15", "location assumed"),
]
