"""The dashboard's CSS: the page (fonts, header, totals), the progress tab's cards, and the
narrow-screen layout; and the small script that gives Bokeh's and Tabulator's widgets the
accessible names and roles they leave out (:data:`A11Y_JS`).

Panel renders each component in its own shadow root and puts the ``raw_css`` of
``pn.extension`` (:data:`PAGE_CSS`) into every one of them, so a rule for one component names
it with ``:host(.class)``.  Colours keep a contrast of at least 4.5:1 (WCAG AA) on their
backgrounds.
"""

from __future__ import annotations

#: Width (px) at and below which the layout stacks: the map, its legend, then the sidebar.
NARROW_PX = 700

_BASE_CSS = """
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

#: The rows whose sidebar collapses on a narrow screen: the map row (its controls) and each
#: tab's sidebar | content row (its first column: the filters).  The page script
#: (:data:`A11Y_JS`) marks them ``data-xy-side="open"`` while the sidebar toggle is pressed.
SIDE_ROWS = ("xy-map-row", "xy-solar-tab", "xy-waste-tab", "xy-wind-tab")

_TAB_ROWS = ", ".join(f":host(.{c}) > div" for c in SIDE_ROWS[1:])
_CLOSED = ", ".join(
    [":host(.xy-map-row:not([data-xy-side=open])) > .xy-map-controls"]
    + [f":host(.{c}:not([data-xy-side=open])) > div:first-of-type" for c in SIDE_ROWS[1:]]
)

#: On a narrow screen (<= NARROW_PX): nothing wider than the window; the map row (sidebar | map |
#: legend) stacks with the map first, full width and 360 px tall, then the legend, then the
#: sidebar; the header (its title on a line of its own), every row and each tab's sidebar |
#: content row wrap.  The sidebars (map
#: controls, tab filters) are collapsed until the header's toggle (``.xy-side-toggle``, shown
#: only here) opens them.  A stacked tab row's columns take their content's height (Bokeh sizes
#: them for a row: 260 px for the filters and a zero flex basis for the content, which then
#: drew the PV histogram over the table).  ``!important`` beats the sizes Bokeh writes into
#: the same shadow roots.  The map (a Bokeh figure, which gets no raw_css) is sized from its
#: row's shadow root; the progress tab (its bases map is as wide as its fixed aspect makes it) scrolls
#: inside its box.  Above NARROW_PX nothing changes but the toggle is hidden.
NARROW_CSS = f"""
:host(.xy-side-toggle) {{ display: none !important; }}
@media (max-width: {NARROW_PX}px) {{
  :host {{ min-width: 0 !important; }}
  :host(.bk-Row) {{ flex-wrap: wrap !important; }}
  :host(.xy-solar-tab), :host(.xy-waste-tab), :host(.xy-wind-tab) {{ flex-direction: column !important;
    height: auto !important; }}
  {_TAB_ROWS} {{ flex: 0 0 auto !important; width: auto !important; max-width: 100% !important;
    height: auto !important; }}
  :host(.xy-map-row) {{ flex-direction: column !important; flex-wrap: nowrap !important;
    height: auto !important; flex: 0 0 auto !important; }}
  :host(.xy-map-row) > .xy-map {{ order: -2; width: auto !important; margin: 5px 0 !important;
    align-self: stretch !important; height: 360px !important;
    min-height: 320px !important; flex: 0 0 360px !important; }}
  :host(.xy-legend) {{ order: -1; width: auto !important; height: auto !important; flex: 0 0 auto !important; }}
  :host(.xy-map-controls) {{ width: auto !important; max-width: 100% !important; height: auto !important;
    flex: 0 0 auto !important; }}
  {_CLOSED} {{ display: none !important; }}
  :host(.xy-side-toggle) {{ display: block !important; }}
  :host(.xy-header) {{ flex-wrap: wrap !important; height: auto !important; }}
  :host(.xy-header) > .xy-header-text {{ flex: 1 0 calc(100% - 20px) !important; width: auto !important;
    max-width: calc(100% - 20px) !important; }}
  .tabulator-footer-contents, .tabulator-paginator {{ flex-wrap: wrap !important; white-space: normal !important; }}
  .tabulator-footer-contents {{ max-width: 100%; }}
  :host(.xy-progress-holder) {{ max-width: 100% !important; overflow-x: auto !important; }}
}}
"""

#: Everything ``pn.extension(raw_css=...)`` gets: the page's rules and the narrow layout.
PAGE_CSS = _BASE_CSS + NARROW_CSS

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

#: Run once in the page (``document_ready``): names unlabelled checkboxes after their visible
#: label and spinner buttons after their action, gives Tabulator's scroll box and pagination
#: footer the roles a grid may hold, makes hidden tabs inert, and opens or closes the
#: collapsible sidebars (``window.__xySide(open)``, called by the sidebar toggle).  Panel renders each
#: component in an open shadow root, so the script walks them and watches each for changes.
#: (axe-core rules ``label``, ``button-name``, ``aria-required-children``, ``aria-hidden-focus``.)
A11Y_JS = """
(() => {
  // Accessible names and roles Bokeh's and Tabulator's widgets leave out (axe-core rules
  // label, button-name, aria-required-children), applied inside every open shadow root and
  // again whenever one changes.
  if (window.__xyA11y) return;
  window.__xyA11y = true;
  const zh = () => (document.documentElement.lang || '').startsWith('zh');
  const set = (el, name, value) => { if (el && el.getAttribute(name) !== value) el.setAttribute(name, value); };
  // The collapsible sidebars (narrow screens, see NARROW_CSS): the rows holding one carry
  // data-xy-side=open while the toggle is pressed, and the toggle's button says so.
  window.__xySideOpen = false;
  const sides = (root) => {
    for (const row of root.querySelectorAll(%(rows)s)) {
      if (window.__xySideOpen) set(row, 'data-xy-side', 'open');
      else if (row.hasAttribute('data-xy-side')) row.removeAttribute('data-xy-side');
    }
    for (const host of root.querySelectorAll('.xy-side-toggle')) {
      const button = host.shadowRoot && host.shadowRoot.querySelector('button');
      if (button) set(button, 'aria-expanded', window.__xySideOpen ? 'true' : 'false');
    }
  };
  const patch = (root) => {
    sides(root);
    // a hidden tab (aria-hidden, invisible) must not keep focusable content: make it inert
    for (const el of root.querySelectorAll('[aria-hidden=true], [data-xy-inert]')) {
      const hidden = el.getAttribute('aria-hidden') === 'true' && el.style.visibility === 'hidden';
      if (hidden && !el.inert) { el.inert = true; el.dataset.xyInert = '1'; }
      if (!hidden && el.dataset.xyInert) { el.inert = false; delete el.dataset.xyInert; }
    }
    for (const input of root.querySelectorAll('input[type=checkbox]')) {
      if (input.closest('label') || (input.id && root.querySelector(`label[for="${input.id}"]`))) continue;
      const text = input.parentNode && [...input.parentNode.children].find((c) => c.classList.contains('bk-label'));
      if (text && text.textContent.trim()) set(input, 'aria-label', text.textContent.trim());
    }
    for (const button of root.querySelectorAll('.bk-spin-btn')) {
      const up = button.classList.contains('bk-spin-btn-up');
      set(button, 'aria-label', zh() ? (up ? '增大' : '减小') : (up ? 'Increase' : 'Decrease'));
      set(button, 'tabindex', '-1');  // the arrow keys in the field do the same
    }
    for (const grid of root.querySelectorAll('.tabulator[role=grid]')) {
      // Tabulator puts a focusable scroll box and a pagination footer between the grid and
      // its rows: the scroll box becomes the row group, the footer a row of one cell
      if (grid.hasAttribute('aria-owns')) grid.removeAttribute('aria-owns');
      const holder = grid.querySelector(':scope > .tabulator-tableholder');
      if (holder) {
        set(holder, 'role', 'rowgroup');
        const table = holder.querySelector(':scope > .tabulator-table');
        if (table) set(table, 'role', 'none');
      }
      const footer = grid.querySelector(':scope > .tabulator-footer');
      if (footer) {
        set(footer, 'role', 'rowgroup');
        const contents = footer.querySelector(':scope > .tabulator-footer-contents');
        if (contents) {
          set(contents, 'role', 'row');
          for (const cell of contents.children) set(cell, 'role', 'gridcell');
        }
      }
    }
  };
  const observed = new WeakSet();
  let pending = false;
  const sweep = () => {
    pending = false;
    const walk = (root) => {
      if (!observed.has(root)) {
        observed.add(root);
        new MutationObserver(schedule).observe(root, {
          childList: true, subtree: true, characterData: true, attributes: true,
          attributeFilter: ['role', 'aria-owns', 'aria-hidden'],
        });
      }
      patch(root);
      for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
    };
    walk(document);
  };
  const schedule = () => { if (!pending) { pending = true; setTimeout(sweep, 150); } };
  sweep();
  new MutationObserver(schedule).observe(document.documentElement, {attributes: true, attributeFilter: ['lang']});
  window.__xySide = (open) => { window.__xySideOpen = !!open; sweep(); };
})();
""".replace("%(rows)s", repr(", ".join(f".{c}" for c in SIDE_ROWS)))
