"""JavaScript the layout-fit checks run in the page: what is cut off or spills out of its box.

Kept in one module so the browser tests and a person looking at screenshots use the same rule.
"""

#: True once no panel, KPI row or grid is still loading (placeholders gone, no Dash request open).
SETTLED_JS = """
return document.querySelector('[data-dash-is-loading="true"], .placeholder-glow, .ag-overlay-loading-center,'
    + ' .ag-loading') === null
    && document.querySelectorAll('.pb-kpi [id$="-value"]').length > 0;
"""

#: A list of problems: text cut in a grid cell, header or KPI card (its scrollWidth is larger
#: than its box), and any element of a KPI card reaching outside the card.
FIT_CHECK_JS = """
const problems = [];
const visible = (el) => el.offsetParent !== null && el.getClientRects().length > 0;
const label = (el) => (el.innerText || el.textContent || '').trim().slice(0, 40);
const cut = '.ag-cell, .ag-header-cell-text, .pb-kpi-label, .pb-kpi-value, .pb-compare, .pb-goal-text';
document.querySelectorAll(cut).forEach((el) => {
  if (visible(el) && el.scrollWidth > el.clientWidth + 1) {
    problems.push('cut: ' + el.className.split(' ')[0] + ' "' + label(el) + '" '
      + el.scrollWidth + '>' + el.clientWidth);
  }
});
document.querySelectorAll('.pb-kpi').forEach((card) => {
  const box = card.getBoundingClientRect();
  card.querySelectorAll('*').forEach((child) => {
    const r = child.getBoundingClientRect();
    if (!r.width || !r.height) return;
    if (r.right > box.right + 1 || r.left < box.left - 1 || r.bottom > box.bottom + 1) {
      problems.push('spills: ' + (card.id || 'kpi') + ' ' + child.tagName + ' "' + label(child) + '"');
    }
  });
});
return problems;
"""
