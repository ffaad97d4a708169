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
    "basemap_osm": ("OpenStreetMap", "OpenStreetMap"),
    "basemap_amap": ("高德地图（GCJ-02）", "AMap (GCJ-02)"),
    "basemap_tianditu": ("天地图", "Tianditu"),
    "basemap_custom": ("自定义底图", "Custom basemap"),
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
    "tech_storage": ("储能", "Storage"),
    "tech_other": ("其他", "Other"),
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
    # wind
    "turbine_class": ("风机等级", "Turbine class"),
    "hub_height": ("轮毂高度 m", "Hub height m"),
    "usable_sites": ("可用场址", "Usable sites"),
    "total_mw": ("装机 MW", "Capacity MW"),
    "total_gwh_wind": ("年发电量 GWh", "Generation GWh/yr"),
    "n_sites": ("场址数", "Sites"),
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
    """Label of a coded value (``prefix`` "uc" use classes, "wk" waste kinds, "tech" technologies)."""
    key = f"{prefix}_{value}"
    return t(key, lang) if key in MESSAGES else str(value)
