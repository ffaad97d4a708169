"""Chinese and English labels of the dashboard: one dict of message id → (zh, en).

Chinese is the default language.  Every label the dashboard shows goes through :func:`t`;
a missing id raises ``KeyError`` so a forgotten label is caught by the tests rather than
shown as an id.  Messages may hold ``str.format`` fields (``t("rows", "en", n=3)``).
"""

from __future__ import annotations

LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

#: ``<html lang>`` of each UI language.
HTML_LANG: dict[str, str] = {"zh": "zh-CN", "en": "en"}

#: How names are joined in a list, per UI language.
LIST_SEPARATOR: dict[str, str] = {"zh": "、", "en": ", "}

#: message id → (Chinese, English)
MESSAGES: dict[str, tuple[str, str]] = {
    # shell
    "app_title": ("襄阳选址图集", "Xiangyang siting atlas"),
    "app_subtitle": ("屋顶光伏 · 风电 · 固废 · 规划进展", "Rooftop PV · wind · waste · plan progress"),
    "language": ("语言", "Language"),
    "project": ("项目", "Project"),
    "loading": ("正在计算…", "Computing…"),
    "layer_missing": ("本项目没有“{layer}”图层。", "This project has no “{layer}” layer."),
    "error": ("出错：{message}", "Error: {message}"),
    # map
    "map": ("地图", "Map"),
    "layers": ("图层", "Layers"),
    "basemap": ("底图", "Basemap"),
    "basemap_none": ("无底图（离线）", "None (offline)"),
    "zoom_county": ("缩放到县区", "Zoom to county"),
    "all_city": ("全市", "Whole city"),
    "details": ("要素详情", "Feature details"),
    "click_hint": ("点击地图上的屋顶查看详情。", "Click a rooftop on the map for details."),
    "layer_counties": ("县区边界", "County boundaries"),
    "layer_parks": ("产业园区", "Industrial parks"),
    "layer_rooftops": ("屋顶", "Rooftops"),
    "layer_roads": ("道路", "Roads"),
    "layer_exclusions": ("排除区", "Exclusions"),
    "layer_wind": ("风资源", "Wind resource"),
    "layer_wind_sites": ("可用风电场址", "Usable wind sites"),
    "layer_waste_sources": ("固废产生源", "Waste sources"),
    "layer_facilities": ("处理设施", "Facilities"),
    "layer_flows": ("固废流向", "Waste flows"),
    "layer_bases": ("基地与项目", "Bases and projects"),
    "layer_grid": ("变电站", "Substations"),
    "layer_power_plants": ("电厂", "Power plants"),
    "layer_airports": ("机场", "Airports"),
    "layer_railway_stations": ("火车站", "Railway stations"),
    "layer_county_labels": ("县区名称", "County names"),
    "legend": ("图例", "Legend"),
    "fit_colours": ("色带按数据范围拉伸", "Fit colours to the data"),
    "colorbar_lcoe": ("度电成本 元/kWh", "LCOE CNY/kWh"),
    "col_voltage": ("电压", "Voltage"),
    "col_technology": ("类型", "Technology"),
    "tech_coal": ("燃煤", "Coal"),
    "tech_gas": ("燃气", "Gas"),
    "tech_hydro": ("水电", "Hydro"),
    "tech_solar": ("光伏", "Solar"),
    "tech_wind": ("风电", "Wind"),
    "tech_biomass": ("生物质", "Biomass"),
    "tech_waste": ("垃圾发电", "Waste-to-energy"),
    "colorbar_yield": ("年等效利用小时 kWh/kWp", "Specific yield kWh/kWp"),
    "colorbar_wind": ("风速 m/s", "Wind speed m/s"),
    # tabs
    "tab_solar": ("屋顶光伏", "Rooftop PV"),
    "tab_waste": ("固废", "Waste"),
    "tab_wind": ("风电", "Wind"),
    "tab_progress": ("规划进展", "Progress"),
    # solar
    "county": ("县区", "County"),
    "park": ("园区", "Park"),
    "use_class": ("建筑用途", "Use class"),
    "any": ("全部", "All"),
    "min_kwp": ("最小装机 kWp", "Minimum kWp"),
    "min_yield": ("最小年等效利用小时 kWh/kWp", "Minimum kWh/kWp"),
    "suitable_only": ("仅显示适宜屋顶", "Suitable rooftops only"),
    "totals": ("合计", "Totals"),
    "n_rooftops": ("屋顶数", "Rooftops"),
    "total_mwp": ("装机 MWp", "Capacity MWp"),
    "total_gwh": ("年发电量 GWh", "Generation GWh/yr"),
    "total_tco2": ("年减排 tCO₂", "Avoided tCO₂/yr"),
    "histogram": ("年等效利用小时分布", "Specific yield distribution"),
    "count": ("数量", "Count"),
    "download": ("下载", "Download"),
    "download_csv": ("下载 CSV", "Download CSV"),
    "download_xlsx": ("下载 XLSX", "Download XLSX"),
    "download_geojson": ("下载 GeoJSON", "Download GeoJSON"),
    "shortlist": ("候选清单", "shortlist"),
    "rows": ("{n} 行", "{n} rows"),
    # rooftop-PV tab (dashboard/solar_tab.py): headers with units, totals, pager, details
    "pv_col_rank": ("排名", "Rank"),
    "pv_col_id": ("编号", "ID"),
    "pv_col_name": ("名称", "Name"),
    "pv_col_county": ("县区", "County"),
    "pv_col_park": ("园区", "Park"),
    "pv_col_use_class": ("建筑用途", "Use class"),
    "pv_col_area_m2": ("屋顶面积 m²", "Roof area m²"),
    "pv_col_usable_m2": ("可用面积 m²", "Usable area m²"),
    "pv_col_kwp": ("装机 kWp", "Capacity kWp"),
    "pv_col_mwh_per_year": ("年发电量 MWh/年", "Generation MWh/yr"),
    "pv_col_kwh_per_kwp": ("年等效利用小时 kWh/kWp", "Specific yield kWh/kWp"),
    "pv_col_tco2_per_year": ("年减排 tCO₂/年", "Avoided tCO₂/yr"),
    "pv_col_county_rank": ("县内排名", "Rank in county"),
    "pv_col_payback_years": ("回收期 年", "Payback years"),
    "pv_col_lcoe": ("平准化度电成本 元/kWh", "LCOE CNY/kWh"),
    "pv_total_rooftops": ("屋顶数", "Rooftops"),
    "pv_total_mwp": ("装机 MWp", "Capacity MWp"),
    "pv_total_gwh": ("年发电量 GWh/年", "Generation GWh/yr"),
    "pv_total_tco2": ("年减排 tCO₂/年", "Avoided tCO₂/yr"),
    "pv_share_of_city": ("占全市装机", "Share of the city's kWp"),
    "pv_hist_rooftops": ("屋顶数", "Rooftops"),
    "pv_hist_stale": ("分布图更新中…", "Updating the distribution…"),
    "pv_page": ("页码", "Page"),
    "pv_page_of": ("共 {pages} 页", "of {pages} pages"),
    "pv_prev_page": ("上一页", "Previous page"),
    "pv_next_page": ("下一页", "Next page"),
    "pv_suitable": ("是否适宜", "Suitable"),
    "pv_yes": ("适宜", "Yes"),
    "pv_no": ("不适宜", "No"),
    "pv_reason_no_area": ("不适宜：无屋顶面积", "No: no roof area"),
    "pv_reason_steep": ("不适宜：坡度过大", "No: too steep"),
    "pv_reason_north": ("不适宜：朝北", "No: north-facing"),
    "pv_reason_small": ("不适宜：可用面积过小", "No: usable area too small"),
    "pv_reason_shaded": ("不适宜：遮挡严重", "No: shaded"),
    # columns
    "col_id": ("编号", "ID"),
    "col_name": ("名称", "Name"),
    "col_county": ("县区", "County"),
    "col_park": ("园区", "Park"),
    "col_use_class": ("用途", "Use class"),
    "col_area_m2": ("屋顶面积 m²", "Roof area m²"),
    "col_usable_m2": ("可用面积 m²", "Usable area m²"),
    "col_kwp": ("装机 kWp", "kWp"),
    "col_kwh_per_year": ("年发电量 kWh", "kWh/yr"),
    "col_kwh_per_kwp": ("kWh/kWp", "kWh/kWp"),
    "col_tco2_per_year": ("年减排 tCO₂", "tCO₂/yr"),
    "col_rank": ("排名", "Rank"),
    "col_county_rank": ("县内排名", "Rank in county"),
    "col_payback": ("回收期 年", "Payback years"),
    "col_lcoe": ("平准化度电成本 元/kWh", "LCOE CNY/kWh"),
    "col_waste_kind": ("固废种类", "Waste kind"),
    "col_source": ("来源", "Source"),
    "col_facility": ("设施", "Facility"),
    "col_t_per_year": ("吨/年", "t/yr"),
    "col_km": ("距离 km", "km"),
    "col_capacity": ("能力 吨/年", "Capacity t/yr"),
    "col_used": ("使用 吨/年", "Used t/yr"),
    "col_utilisation": ("利用率", "Utilisation"),
    "col_mw": ("装机 MW", "MW"),
    "col_mwh": ("年发电量 MWh", "MWh/yr"),
    "col_cf": ("容量系数", "Capacity factor"),
    "col_cf_pct": ("容量系数 %", "Capacity factor %"),
    "col_area_km2": ("面积 km²", "Area km²"),
    "col_wind_speed": ("风速 m/s", "Wind m/s"),
    # use classes
    "uc_government": ("党政机关", "Government"),
    "uc_public": ("公共建筑", "Public"),
    "uc_industrial": ("工业厂房", "Industrial"),
    "uc_commercial": ("工商业", "Commercial"),
    "uc_residential": ("城镇住宅", "Residential"),
    "uc_rural_home": ("农村居民", "Rural home"),
    # waste
    "waste_kind": ("固废种类", "Waste kind"),
    "wk_phosphogypsum": ("磷石膏", "Phosphogypsum"),
    "wk_construction": ("建筑垃圾", "Construction waste"),
    "open_new": ("新建设施数（假设情景）", "Open k new facilities (what-if)"),
    "run": ("计算", "Run"),
    "flows": ("调运流向", "Flows"),
    "utilisation": ("设施利用率", "Facility utilisation"),
    "unmet": ("未消纳量 吨/年", "Unmet t/yr"),
    "total_flow": ("调运量 吨/年", "Routed t/yr"),
    "utilised_flow": ("其中综合利用 吨/年", "of which utilised t/yr"),
    "stored_flow": ("其中堆存/填埋 吨/年", "of which stored or landfilled t/yr"),
    "utilisation_rate": ("综合利用率（占产生量）", "Utilisation rate (of produced)"),
    "total_tkm": ("周转量 t·km/年", "Transport t·km/yr"),
    "new_facilities": ("新建设施", "New facilities"),
    "download_flows": ("下载流向 CSV", "Download flows CSV"),
    "download_facilities": ("下载设施 XLSX", "Download facilities XLSX"),
    "transport_tco2": ("运输排放 tCO₂/年", "Transport tCO₂/yr"),
    "waste_too_few_candidates": (
        "无法在 {n} 个可用候选场址中选出 {k} 个新设施：请减小新建设施数，或提供更多候选场址（产业园区或候选文件）。",
        "Cannot choose {k} new facilities among {n} usable candidate sites: lower k or give more candidates "
        "(industrial parks or a candidates file).",
    ),
    "col_facility_kind": ("设施类型", "Facility kind"),
    "col_status": ("状态", "Status"),
    "col_role": ("本次使用情况", "Role in this routing"),
    "col_utilisation_pct": ("利用率 %", "Utilisation %"),
    "col_tkm": ("周转量 t·km/年", "t·km/yr"),
    "col_cost_cny": ("费用 元/年", "Cost CNY/yr"),
    "col_tco2": ("排放 tCO₂/年", "tCO₂/yr"),
    "waste_no_sources": ("本项目没有{kind}产生源，无可调运。", "The project has no {kind} sources: nothing to route."),
    "waste_no_location": (
        "{n} 个产生源没有位置（几何为空），未调运，计入未消纳量。",
        "{n} source(s) without a location (empty geometry): not routed, counted as unmet.",
    ),
    "waste_sources_off_network": (
        "{n} 个产生源距路网超过 {m} m，未调运，计入未消纳量。",
        "{n} source(s) farther than {m} m from the road network: not routed, counted as unmet.",
    ),
    "waste_no_source_near_network": (
        "没有产生源靠近路网：路网（道路图层或 OSM 文件）是否覆盖项目范围？",
        "No source lies near the road network: does the network (roads layer or OSM file) cover the project area?",
    ),
    "waste_facilities_off_network": (
        "{n} 个设施距路网超过 {m} m，未使用。",
        "{n} facility(ies) farther than {m} m from the road network: not used.",
    ),
    # facility kinds (layers.schema.FACILITY_KINDS)
    "fk_phosphogypsum_plant": ("磷石膏综合利用厂", "Phosphogypsum processing plant"),
    "fk_cement_kiln": ("水泥窑", "Cement kiln"),
    "fk_building_material_plant": ("建材厂", "Building-material plant"),
    "fk_storage_yard": ("堆场", "Storage yard"),
    "fk_construction_recycling_plant": ("建筑垃圾资源化厂", "Construction-waste recycling plant"),
    "fk_landfill": ("填埋场", "Landfill"),
    "fk_urban_mining_base": ("城市矿产基地", "Urban-mining base"),
    "fk_waste_to_energy": ("垃圾焚烧发电厂", "Waste-to-energy plant"),
    # facility statuses (layers.schema.FACILITY_STATUSES)
    "fs_operating": ("运行", "Operating"),
    "fs_planned": ("规划", "Planned"),
    "fs_candidate": ("候选", "Candidate"),
    "fs_under_construction": ("在建", "Under construction"),
    # facility roles in a routing (siting.waste.WasteRouting.facility_use)
    "role_used": ("已使用", "Used"),
    "role_unused": ("未使用", "Unused"),
    "role_off_network": ("远离路网", "Off the road network"),
    "role_not_accepting": ("不接收该类固废", "Does not accept this waste"),
    "role_zero_capacity": ("能力为零", "No capacity"),
    "role_status_excluded": ("状态未计入", "Status not counted"),
    # wind
    "turbine_class": ("风机等级", "Turbine class"),
    "hub_height": ("轮毂高度 m", "Hub height m"),
    "usable_sites": ("可用场址", "Usable sites"),
    "total_mw": ("装机 MW", "Capacity MW"),
    "total_gwh_wind": ("年发电量 GWh", "Generation GWh/yr"),
    "n_sites": ("场址数", "Sites"),
    "turbine_option": ("{kind} {mw:g} MW · 叶轮直径 {rotor:g} m", "{kind} {mw:g} MW · rotor {rotor:g} m"),
    "turbine_low_wind": ("低风速机型", "Low-wind"),
    "turbine_medium_wind": ("中风速机型", "Medium-wind"),
    "turbine_high_wind": ("高风速机型", "High-wind"),
    "col_site_id": ("场址编号", "Site"),
    "col_turbines": ("风机台数", "Turbines"),
    "col_road_m": ("距道路 m", "To road m"),
    "wind_potentials": ("开发潜力", "Potentials"),
    "wind_technical": ("技术可开发量 MW", "Technical potential MW"),
    "wind_below": ("低于燃煤基准价 MW", "Below coal benchmark MW"),
    "wind_near": ("距110kV及以上变电站{km:g}km内 MW", "Within {km:g} km of ≥110 kV MW"),
    "wind_existing": ("已运行风电 MW", "Operating wind MW"),
    "wind_usable": ("可用土地占比", "Usable land share"),
    "wind_gwh": ("技术年发电量 GWh", "Technical generation GWh/yr"),
    "wind_na": ("无数据", "n/a"),
    "wind_col_lcoe": ("度电成本 元/kWh", "LCOE CNY/kWh"),
    "wind_col_substation": ("最近变电站", "Nearest substation"),
    "wind_col_sub_km": ("距变电站 km", "To substation km"),
    "wind_col_farm": ("已有/规划风电场", "Existing/planned farm"),
    "wind_meaning": (
        "技术可开发量是排除居民点、道路、水体、保护区、机场等及风速不足土地后，按每平方公里{density:g} MW"
        "估算的上限，尚未扣除永久基本农田、林地和生态红线（项目中无此类图层），实际可开发规模远小于此。"
        "“低于基准价”指度电成本（含接网）不高于湖北燃煤基准价{bench:g}元/kWh的场址容量；"
        "“近电网”指距110 kV及以上变电站{km:g} km以内的容量；已运行风电来自电厂图层。",
        "Technical potential is an upper bound: land left after settlements, roads, water, protected areas, "
        "airports and too little wind, at {density:g} MW per km²; it does not yet remove permanent basic farmland, "
        "forest or the ecological red line (no such layers in the project), so what can be built is far smaller. "
        "'Below benchmark' is the capacity of sites whose LCOE (with grid connection) is at most the Hubei coal "
        "benchmark of {bench:g} CNY/kWh; 'near grid' is within {km:g} km of a substation of 110 kV or more; "
        "operating wind comes from the power plants layer.",
    ),
    "wind_synthetic": (
        "注意：风资源栅格为合成数据，数字仅演示方法；请导入真实的全球风能图谱（GWA）栅格。",
        "Note: the wind raster is synthetic: the figures illustrate the method only; "
        "import a real Global Wind Atlas raster.",
    ),
    "wind_no_grid": (
        "项目中没有变电站图层：接网成本和“近电网”容量未计入。导入：xysiting import 项目目录 --layer grid 文件",
        "The project has no substation layer: grid-connection costs and 'near grid' capacity are left out. "
        "Import one with: xysiting import DIR --layer grid FILE",
    ),
    "wind_no_plants": (
        "项目中没有电厂图层（全球能源监测 GEM、全球电厂数据库 GPPD）：已运行风电容量和已有风电场未计入。"
        "请用 xysiting import 命令导入电厂图层。",
        "The project has no power plants layer (GEM, GPPD): operating wind capacity and existing farms are left "
        "out. Import one with: xysiting import DIR --layer power_plants FILE",
    ),
    "wind_no_substation_kv": (
        "变电站图层中没有 {kv:g} kV 及以上的变电站：度电成本未含接网成本。",
        "The grid layer has no substation of at least {kv:g} kV: grid-connection costs are left out of the LCOE.",
    ),
    "wind_workbook": ("下载工作簿（供给曲线与假设）", "Download workbook (supply curve, assumptions)"),
    # statuses of existing power plants (layers.schema.PLANT_STATUSES; GEM vocabulary)
    "ps_operating": ("运行", "Operating"),
    "ps_construction": ("在建", "Under construction"),
    "ps_pre-construction": ("前期", "Pre-construction"),
    "ps_announced": ("已公布", "Announced"),
    "ps_shelved": ("搁置", "Shelved"),
    "ps_retired": ("退役", "Retired"),
    "ps_other": ("其他", "Other"),
}


def t(msg_id: str, lang: str = DEFAULT_LANGUAGE, /, **fields: object) -> str:
    """Return message ``msg_id`` in ``lang`` ("zh" or "en"), with ``fields`` filled in.

    Raises ``KeyError`` for an unknown id and ``ValueError`` for an unknown language.
    """
    if lang not in LANGUAGES:
        msg = f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}"
        raise ValueError(msg)
    text = MESSAGES[msg_id][LANGUAGES.index(lang)]
    return text.format(**fields) if fields else text


def county_label(adcode: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Name of the county ``adcode`` in ``lang``; the adcode itself if it is not a Xiangyang one."""
    from layers.schema import COUNTIES

    names = COUNTIES.get(str(adcode))
    if names is None:
        return str(adcode)
    return names[0] if lang == "zh" else names[1]


def option_label(prefix: str, value: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Label of a coded value in ``lang``; the value itself when the table has no label for it.

    Prefixes: "uc" use classes, "wk" waste kinds, "tech" technologies, "fk" facility kinds,
    "fs" facility statuses, "role" facility roles in a routing, "ps" power-plant statuses.
    """
    key = f"{prefix}_{value}"
    return t(key, lang) if key in MESSAGES else str(value)
