"""The plan's city-level indicators: what is measured, in which unit, and the targets.

Every figure here is from the plan text (``/work/shared/seed/xiangyang_carbon_peak_pilot_plan.txt``,
《國家碳達峰試點(襄陽)實施方案》, 襄政發〔2024〕5號, issued 2024-07-19) or from FACTS.md
("The plan's targets"; "Waste").  A baseline is given only where the plan or FACTS.md states
one; everything else starts empty (``None``) and is filled by dated progress records, never
invented.  ``source`` is ``"plan"`` for every indicator.

Each indicator is identified by an ``ind-...`` id, which progress records name in their
``target_id`` column (bases use their ``base-...`` ids from the ``bases`` layer).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo.errors import InputError

#: Date the plan was issued (襄政發〔2024〕5號, 7月19日印發).
PLAN_ISSUED = "2024-07-19"


@dataclass(frozen=True)
class Indicator:
    """A city-level indicator of the plan.

    Attributes
    ----------
    id : str
        Stable id, ``ind-...``; progress records refer to it.
    name_zh, name_en : str
        Labels (Chinese as in the plan, simplified; English translation).
    unit : str
        Unit of every value: ``"%"`` for shares and rates, ``"count"`` for numbers of firms
        or parks.
    targets : tuple of (value, year)
        Target values in ``unit`` and the year by which they are due, earliest first.
    baseline_value, baseline_year : float or None, int or None
        Only where the plan or FACTS.md states one.
    direction : {"increase", "decrease"}
        Which way is progress.
    minimum : bool
        True where the plan says "at least" (以上) — the target is a floor.
    plan_ref : str
        Section of the plan naming the target.
    note : str
        Caveats (approximate baselines, ranges).
    source : str
        ``"plan"``.
    """

    id: str
    name_zh: str
    name_en: str
    unit: str
    targets: tuple[tuple[float, int], ...]
    baseline_value: float | None = None
    baseline_year: int | None = None
    direction: str = "increase"
    minimum: bool = False
    plan_ref: str = ""
    note: str = ""
    source: str = "plan"

    def target_for(self, year: int) -> tuple[float, int]:
        """The first target due in or after ``year`` (else the last one)."""
        for value, due in self.targets:
            if due >= year:
                return value, due
        return self.targets[-1]


#: The plan's indicators (FACTS.md "The plan's targets"; plan sections 二 and 三).
INDICATORS: tuple[Indicator, ...] = (
    # 二、試點目標: 非化石能源消費比重 21.4 % (2025), 25 % (2030).
    Indicator(
        "ind-non-fossil-share",
        "非化石能源消费比重",
        "Non-fossil share of energy use",
        "%",
        ((21.4, 2025), (25.0, 2030)),
        plan_ref="二、试点目标",
    ),
    # 三(四)14: 磷石膏綜合利用率 65 % (2025).  Baseline: FACTS.md "Waste" — about 0.3 Mt used of
    # about 3 Mt produced around 2019, ≈ 10 % (approximate).
    Indicator(
        "ind-phosphogypsum-utilisation",
        "磷石膏综合利用率",
        "Phosphogypsum comprehensive utilisation rate",
        "%",
        ((65.0, 2025),),
        baseline_value=10.0,
        baseline_year=2019,
        plan_ref="三(四)14",
        note="baseline ≈ 10 % (0.3 of 3 Mt/yr, around 2019), FACTS.md, approximate",
    ),
    # 三(四)14: 無害化處理率 100 % (2025).
    Indicator(
        "ind-phosphogypsum-harmless",
        "磷石膏无害化处理率",
        "Phosphogypsum harmless treatment rate",
        "%",
        ((100.0, 2025),),
        plan_ref="三(四)14",
    ),
    # 三(一)2: 戰略性新興產業占工業總產值比重 31 % (2025).
    Indicator(
        "ind-strategic-emerging-share",
        "战略性新兴产业占工业总产值比重",
        "Strategic emerging industries, share of industrial output",
        "%",
        ((31.0, 2025),),
        plan_ref="三(一)2",
    ),
    # 三(二)8: 國家、省級綠色制造試點示范 15 家以上 (2025).
    Indicator(
        "ind-green-manufacturing-demos",
        "国家、省级绿色制造试点示范",
        "National or provincial green-manufacturing demonstrations",
        "count",
        ((15.0, 2025),),
        minimum=True,
        plan_ref="三(二)8",
    ),
    # 三(二)8: 新增國家級綠色工廠 10 家 (2025).
    Indicator(
        "ind-green-factories-new",
        "新增国家级绿色工厂",
        "New national green factories",
        "count",
        ((10.0, 2025),),
        plan_ref="三(二)8",
        note="counted from the plan's issue (新增, new)",
    ),
    # 三(二)8: 綠色供應鏈示范企業 10 家 (2025).
    Indicator(
        "ind-green-supply-chain-new",
        "新增绿色供应链示范企业",
        "New green supply-chain demonstration firms",
        "count",
        ((10.0, 2025),),
        plan_ref="三(二)8",
    ),
    # 三(二)8: 綠色園區 1-2 個 (2025); the floor of the range is the target.
    Indicator(
        "ind-green-parks-new",
        "新增绿色园区",
        "New green industrial parks",
        "count",
        ((1.0, 2025),),
        minimum=True,
        plan_ref="三(二)8",
        note="the plan gives a range of 1–2; 1 is the target here",
    ),
    # 三(四)16: 城市居民小區生活垃圾分類覆蓋率 100 % (2025).
    Indicator(
        "ind-waste-sorting-urban",
        "城市居民小区生活垃圾分类覆盖率",
        "Household waste sorting, urban residential compounds covered",
        "%",
        ((100.0, 2025),),
        plan_ref="三(四)16",
    ),
    # 三(四)16: 農村生活垃圾分類自然村覆蓋率 60 % 以上 (2025).
    Indicator(
        "ind-waste-sorting-rural",
        "农村生活垃圾分类自然村覆盖率",
        "Household waste sorting, rural villages covered",
        "%",
        ((60.0, 2025),),
        minimum=True,
        plan_ref="三(四)16",
    ),
    # 三(四)16: 城鄉生活垃圾焚燒(含水泥窯協同處理)占比 100 % (2025).
    Indicator(
        "ind-waste-incineration-share",
        "城乡生活垃圾焚烧(含水泥窑协同处置)占比",
        "Household waste incinerated (incl. cement-kiln co-processing)",
        "%",
        ((100.0, 2025),),
        plan_ref="三(四)16",
    ),
    # 三(四)13: 省級及以上產業園區全部實施循環化改造 (2025).
    Indicator(
        "ind-parks-circular-retrofit",
        "省级及以上产业园区循环化改造比例",
        "Provincial and higher industrial parks retrofitted for circular operation",
        "%",
        ((100.0, 2025),),
        plan_ref="三(四)13",
    ),
    # 三(一)3: 規模以上工業企業數字化研發設計工具普及率 90 %、關鍵工序數控化率 75 % 以上 (2027).
    Indicator(
        "ind-digital-design-tools",
        "规上工业企业数字化研发设计工具普及率",
        "Digital R&D design tools, share of large industrial firms",
        "%",
        ((90.0, 2027),),
        minimum=True,
        plan_ref="三(一)3",
    ),
    Indicator(
        "ind-key-process-nc-rate",
        "规上工业企业关键工序数控化率",
        "Numerically controlled key processes, share in large industrial firms",
        "%",
        ((75.0, 2027),),
        minimum=True,
        plan_ref="三(一)3",
    ),
)

_BY_ID = {ind.id: ind for ind in INDICATORS}


def get_indicator(indicator_id: str) -> Indicator:
    """Return the indicator ``indicator_id``; raise InputError naming the known ids otherwise."""
    try:
        return _BY_ID[indicator_id]
    except KeyError:
        msg = f"unknown indicator {indicator_id!r}; known indicators: {', '.join(_BY_ID)}"
        raise InputError(msg) from None


def indicators_frame() -> pd.DataFrame:
    """The indicators as a table: one row per indicator and target year.

    Columns: ``id, name, name_en, unit, baseline_value, baseline_year, target_value,
    target_year, direction, minimum, plan_ref, note, source``.  Baselines are empty (NaN)
    where the plan states none.
    """
    rows = [
        {
            "id": ind.id,
            "name": ind.name_zh,
            "name_en": ind.name_en,
            "unit": ind.unit,
            "baseline_value": ind.baseline_value,
            "baseline_year": ind.baseline_year,
            "target_value": value,
            "target_year": year,
            "direction": ind.direction,
            "minimum": ind.minimum,
            "plan_ref": ind.plan_ref,
            "note": ind.note,
            "source": ind.source,
        }
        for ind in INDICATORS
        for value, year in ind.targets
    ]
    frame = pd.DataFrame(rows)
    frame["baseline_value"] = frame["baseline_value"].astype("float64")
    frame["baseline_year"] = frame["baseline_year"].astype("Int64")
    frame["target_year"] = frame["target_year"].astype("int64")
    return frame
