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
    # progress tab (dashboard/progress_tab.py; ids "prog_*", looked up there without the prefix)
    "prog_title": ("规划进展", "Plan progress"),
    "prog_indicators": ("城市指标", "City indicators"),
    "prog_timeline": ("进展曲线", "Timeline"),
    "prog_timeline_target": ("选择指标或基地", "Indicator or base"),
    "prog_bases": ("基地与项目", "Bases and projects"),
    "prog_map": ("基地状态图", "Status map of bases"),
    "prog_counties": ("分县情况", "By county"),
    "prog_links": ("与分析结果对照", "Beside the analyses"),
    "prog_form": ("新增进展记录", "Add a progress record"),
    "prog_target": ("指标/基地", "Indicator / base"),
    "prog_date": ("日期 (YYYY-MM-DD)", "Date (YYYY-MM-DD)"),
    "prog_value": ("数值", "Value"),
    "prog_unit": ("单位（留空为目标单位）", "Unit (empty: the target's unit)"),
    "prog_note": ("备注", "Note"),
    "prog_submit": ("提交记录", "Add record"),
    "prog_file": ("选择 CSV 文件", "Choose a CSV file"),
    "prog_import": ("导入 CSV", "Import CSV"),
    "prog_export": ("导出全部记录 (CSV)", "Export all records (CSV)"),
    "prog_export_file": ("规划进展记录.csv", "progress_records.csv"),
    "prog_added": ("已保存：{target}，{date}，{value}", "Saved: {target}, {date}, {value}"),
    "prog_imported": ("已导入 {n} 条记录", "Imported {n} records"),
    "prog_saving": ("正在保存“{target}”…", "Saving “{target}”…"),
    "prog_importing": ("正在导入 {file}…", "Importing {file}…"),
    "prog_waiting_lock": (
        "正在等待项目锁（另一个导入或保存正在进行）…",
        "Waiting for the project lock (another import or save is running)…",
    ),
    "prog_refused": ("无权写入“{target}”：{reason}", "Not allowed to add to “{target}”: {reason}"),
    "prog_refused_import": ("无权导入 {file}：{reason}", "Not allowed to import {file}: {reason}"),
    "prog_reason_sign_in": ("请以编辑身份登录后再新增记录", "sign in as an editor to add progress records"),
    "prog_reason_unknown_user": (
        "用户 {user} 不在用户名单中，请联系管理员",
        "user {user} is not in the users file; ask an administrator",
    ),
    "prog_reason_role": (
        "用户 {user} 的角色是“{role}”，只有编辑可以新增记录",
        "user {user} is a {role}; only editors may add progress records",
    ),
    "prog_invalid": (
        "输入有误，“{target}”未写入：{message}",
        "Invalid input, nothing was written for “{target}”: {message}",
    ),
    "prog_invalid_import": (
        "文件 {file} 有误，未写入：{message}",
        "Invalid file {file}, nothing was written: {message}",
    ),
    "prog_error": ("保存失败，未写入：{message}", "Saving failed, nothing was written: {message}"),
    "prog_rows": ("第 {rows} 行", "{rows}"),
    "prog_field_target_id": ("指标或基地", "Indicator or base"),
    "prog_field_date": ("日期", "Date"),
    "prog_field_value": ("数值", "Value"),
    "prog_field_unit": ("单位", "Unit"),
    "prog_field_note": ("备注", "Note"),
    "prog_field_author": ("录入人", "Author"),
    "prog_field_id": ("记录编号", "Record id"),
    "prog_problem_empty": ("为空，请选择指标或基地", "empty; choose an indicator or a base"),
    "prog_problem_date": ("不是有效日期，请按 YYYY-MM-DD 填写，例如 2025-06-30", "not a valid date"),
    "prog_problem_future": ("晚于今天（{day}），只记录已经发生的数值", "in the future (after {day})"),
    "prog_problem_early": ("早于 {day}，请检查年份", "before {day}; check the year"),
    "prog_problem_nan": ("不是数字（或为空），请按目标单位填写数值", "not a number (or empty)"),
    "prog_problem_inf": ("不是有限数值", "not a finite number"),
    "prog_problem_negative": ("为负数；进展数值应 ≥ 0", "negative; progress values are ≥ 0"),
    "prog_problem_long": ("超过 {n} 个字符", "longer than {n} characters"),
    "prog_problem_pct": (
        "{values} 超出百分比范围 {low}–{high}；请填百分数（65 表示 65 %），不要填比例或计数",
        "{values}: a percentage lies in {low}–{high}",
    ),
    "prog_problem_count": ("{values} 不是整数；计数应为 ≥ 0 的整数", "{values}: a count is a whole number ≥ 0"),
    "prog_problem_unit": (
        "单位 {src} 无法换算为目标单位 {dst}，请按 {dst} 填写",
        "{src} does not convert to the target's unit {dst}",
    ),
    "prog_problem_unknown": ("未知的指标或基地", "unknown base or indicator"),
    "prog_problem_author": ("录入人须为当前登录用户", "the author must be the signed-in user"),
    "prog_problem_other": ("请检查此项", "check this field"),
    "prog_problem_file": (
        "文件不是规划进展记录表（需要列 target_id、date、value，可选 unit、note），请按导出的 CSV 格式填写",
        "not a progress-record table (columns target_id, date, value; optional unit, note)",
    ),
    "prog_signed_in": ("当前用户：{user}（{role}）", "Signed in as {user} ({role})"),
    "prog_guest": ("访客只读。编辑人员请登录后新增记录。", "Read-only for guests. Editors sign in to add records."),
    "prog_sign_in": ("登录", "Sign in"),
    "prog_read_only": (
        "只读：此服务器未启用登录，请用命令行新增记录。",
        "Read-only: this server has no sign-in; add records with the xysiting progress command.",
    ),
    "prog_sign_out": ("退出", "Sign out"),
    "prog_viewer_note": (
        "查看者只读；需要编辑权限请联系管理员。",
        "Viewers read only; ask an administrator for editor rights.",
    ),
    "prog_role_editor": ("编辑", "editor"),
    "prog_role_viewer": ("查看", "viewer"),
    "prog_role_none": ("未授权", "no role"),
    "prog_latest": ("最新", "Latest"),
    "prog_target_short": ("目标", "Target"),
    "prog_target_by": ("{value}（{year} 年）", "{value} by {year}"),
    "prog_as_of": ("截至 {date}", "as of {date}"),
    "prog_no_value": ("暂无", "none yet"),
    "prog_path": ("目标路径", "Target path"),
    "prog_records": ("记录", "Records"),
    "prog_no_bases": ("本项目没有“基地与项目”图层。", "This project has no bases layer."),
    "prog_col_name": ("名称", "Name"),
    "prog_col_county": ("县区", "County"),
    "prog_col_category": ("类别", "Category"),
    "prog_col_target": ("目标", "Target"),
    "prog_col_unit": ("单位", "Unit"),
    "prog_col_year": ("年份", "Year"),
    "prog_col_latest": ("最新值", "Latest"),
    "prog_col_date": ("日期", "Date"),
    "prog_col_by": ("来源/录入人", "Source / entered by"),
    "prog_col_progress": ("完成 %", "Done %"),
    "prog_col_status": ("状态", "Status"),
    "prog_col_plan_status": ("建设状态", "Build status"),
    "prog_col_n_bases": ("基地数", "Bases"),
    "prog_col_behind": ("滞后", "Behind"),
    "prog_col_pilot": ("整县屋顶光伏试点", "Whole-county rooftop PV pilot"),
    "prog_col_kwp": ("屋顶光伏潜力 kWp", "Rooftop PV potential kWp"),
    "prog_col_kwh": ("年发电潜力 kWh", "Potential kWh/yr"),
    "prog_lon": ("经度", "Longitude"),
    "prog_lat": ("纬度", "Latitude"),
    "prog_pg_link": (
        "磷石膏调运：送往综合利用 {used:,.0f} 吨/年，占产生量 {produced:,.0f} 吨/年 的 "
        "{pct:.1f}%（{year} 年目标 {target:.0f}%）",
        "Phosphogypsum routing: {used:,.0f} t/yr delivered to utilisation, {pct:.1f}% of "
        "{produced:,.0f} t/yr produced (target {target:.0f}% by {year})",
    ),
    "prog_unavailable": ("暂不可用：{message}", "Not available: {message}"),
    "prog_computing": ("正在读取分析结果…", "Reading the analysis results…"),
    "prog_why_no_rooftops": ("本项目没有屋顶图层，无法给出屋顶光伏潜力", "the project has no rooftops layer"),
    "prog_why_solar_failed": ("屋顶光伏计算失败", "rooftop PV failed"),
    "prog_why_waste_layers": (
        "需要固废产生源、处理设施和道路图层",
        "the project needs waste_sources, facilities and roads layers",
    ),
    "prog_why_waste_computing": (
        "磷石膏调运正在后台计算，请稍后刷新",
        "phosphogypsum routing is being computed; reload in a minute (or run `xysiting run DIR`)",
    ),
    "prog_why_waste_failed": ("磷石膏调运计算失败", "phosphogypsum routing failed"),
    "prog_why_link": ("分析结果缺少所需数据", "the analysis results lack the data needed"),
    "prog_yes": ("是", "yes"),
    "prog_no": ("否", "no"),
    # vocabularies of the progress tables: base categories, build statuses, units
    "cat_renewable": ("可再生能源", "Renewable energy"),
    "cat_recycling": ("循环利用", "Recycling"),
    "bs_planned": ("规划", "Planned"),
    "bs_under_construction": ("在建", "Under construction"),
    "bs_operating": ("运行", "Operating"),
    "bs_delayed": ("延期", "Delayed"),
    "unit_count": ("个", "count"),  # a count shows bare in English: "15", not "15 count"
    "unit_t/yr": ("吨/年", "t/yr"),
    "unit_t": ("吨", "t"),
    "unit_kt": ("千吨", "kt"),
    "unit_万t": ("万吨", "10,000 t"),
    "unit_Mt": ("百万吨", "Mt"),
    "unit_kt/yr": ("千吨/年", "kt/yr"),
    "unit_万t/yr": ("万吨/年", "10,000 t/yr"),
    "unit_Mt/yr": ("百万吨/年", "Mt/yr"),
    "unit_fraction": ("比例", "fraction"),
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
