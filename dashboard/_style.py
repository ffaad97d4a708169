"""The dashboard's CSS: the page (fonts, header, totals), the progress tab's cards, and the
narrow-screen layout.

Panel renders each component in its own shadow root, so page-wide rules (``PAGE_CSS``, passed
to ``pn.extension(raw_css=...)``) reach only the document; rules for a component's insides go
in that component's ``stylesheets``.  Colours keep a contrast of at least 4.5:1 (WCAG AA) on
their backgrounds.
"""

from __future__ import annotations

#: Width (px) at and below which the layout stacks: controls, then the map, then the legend.
NARROW_PX = 700

PAGE_CSS = """
body, .bk-root, :host { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
  "Microsoft YaHei", "PingFang SC", sans-serif; }
.xy-title { font-size: 20px; font-weight: 700; color: white; padding: 4px 10px 0 10px; }
.xy-subtitle { font-size: 13px; color: white; padding: 0 10px 4px 10px; }
.xy-total-row { display: flex; gap: 18px; flex-wrap: wrap; }
.xy-total { background: #f2f6f8; border-radius: 4px; padding: 4px 10px; }
.xy-total-label { font-size: 12px; color: #456; }
.xy-total-value { font-size: 18px; font-weight: 700; color: #0b4f6c; }
.xy-details-box table { font-size: 12px; }
"""

#: The progress tab: indicator cards, status badges, section headings.
PROGRESS_CSS = """
.xy-cards { display: flex; flex-wrap: wrap; }
.xy-card { border: 1px solid #d0d7de; border-radius: 6px; padding: 6px 10px; margin: 4px;
  width: 230px; max-width: calc(100vw - 40px); box-sizing: border-box; background: #fff; }
.xy-card-name { font-size: 12px; color: #345; min-height: 32px; }
.xy-card-value { font-size: 20px; font-weight: 700; color: #0b4f6c; }
.xy-card-target { font-size: 12px; color: #4d5760; }
.xy-card-context { font-size: 12px; color: #4d5760; }
.xy-badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; }
.xy-h3 { font-size: 17px; margin: 6px 0 2px 0; color: #0b4f6c; }
"""

#: The map row (controls | map | legend) on a narrow screen: stacked, the map full width and
#: at least 320 px tall; at and above NARROW_PX nothing changes.
NARROW_CSS = f"""
@media (max-width: {NARROW_PX}px) {{
  :host {{ flex-direction: column !important; flex-wrap: nowrap !important; height: auto !important; }}
  :host > * {{ width: auto !important; max-width: 100% !important; flex: 0 0 auto !important; }}
  :host > .xy-map {{ width: 100% !important; height: 360px !important; min-height: 320px !important; }}
  :host > .xy-legend, :host > .xy-map-controls {{ height: auto !important; max-height: none !important; }}
}}
"""
