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

#: A list of problems on any page, for every visible card (``.card``, KPI cards included):
#: an element reaching outside its card's left, right or bottom edge (a scrolling container such
#: as ``.table-responsive`` holds its wide content: only the container itself is measured); an
#: element whose own content runs past its edge (a button label wider than the button); and
#: text cut by its box (``overflow`` hidden, e.g. an ellipsis) without a ``title`` that shows it
#: whole. Dropdown menus, tooltips and other floating layers (absolute or fixed) are left out.
CARD_FIT_JS = """
const problems = [];
const visible = (el) => el.offsetParent !== null && el.getClientRects().length > 0;
const label = (el) => (el.innerText || el.textContent || el.value || '').trim().slice(0, 40);
const name = (el) => el.tagName + (el.id ? '#' + el.id : '')
  + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/)[0] : '');
// Only text an element holds itself counts as its overflow: a wrapper is "wider" whenever a
// Bootstrap row inside it reaches into the padding around it with its negative gutter margins.
const ownText = (el) => [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
const floating = (el, card) => {
  for (let p = el; p && p !== card; p = p.parentElement) {
    const pos = getComputedStyle(p).position;
    if (pos === 'absolute' || pos === 'fixed') return true;
  }
  return false;
};
const insideScroller = (el, card) => {
  for (let p = el.parentElement; p && p !== card; p = p.parentElement) {
    if (getComputedStyle(p).overflowX !== 'visible') return true;
  }
  return false;
};
document.querySelectorAll('.card').forEach((card) => {
  if (!visible(card)) return;
  const box = card.getBoundingClientRect();
  const where = card.id || name(card);
  card.querySelectorAll('*').forEach((el) => {
    if (!visible(el) || floating(el, card)) return;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) return;
    if (!insideScroller(el, card)
        && (r.right > box.right + 1 || r.left < box.left - 1 || r.bottom > box.bottom + 1)) {
      problems.push('spills: ' + where + ' ' + name(el) + ' "' + label(el) + '" '
        + Math.round(r.right - box.right) + 'px');
    }
    if (!el.clientWidth && ownText(el) && !insideScroller(el, card)) {
      // inline text (a nowrap <strong>) has no box of its own: it must stay inside its block
      let block = el.parentElement;
      while (block !== card && getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
      const b = block.getBoundingClientRect();
      if (r.right > b.right + 1 || r.left < b.left - 1) {
        problems.push('overflows: ' + where + ' ' + name(el) + ' "' + label(el) + '" ' + Math.round(r.right - b.right) + 'px');
      }
    }
    if (!el.clientWidth || el.scrollWidth <= el.clientWidth + 1 || el.closest('svg, .js-plotly-plot')) return;
    const style = getComputedStyle(el);
    const clips = style.overflowX === 'hidden' || style.overflowX === 'clip' || style.textOverflow === 'ellipsis';
    if (clips && !el.closest('[title]')) {
      problems.push('cut: ' + where + ' ' + name(el) + ' "' + label(el) + '" '
        + el.scrollWidth + '>' + el.clientWidth);
    } else if (style.overflowX === 'visible' && ownText(el)) {  // its text runs past its edge (a button's label)
      problems.push('overflows: ' + where + ' ' + name(el) + ' "' + label(el) + '" '
        + el.scrollWidth + '>' + el.clientWidth);
    }
  });
});
return problems;
"""

#: A list of problems: panels side by side in one row (alone in their columns, at the same top)
#: whose bottom edges differ by more than a pixel.
ROW_BOTTOMS_JS = """
const problems = [];
document.querySelectorAll('.row').forEach((row) => {
  const cards = [...row.children].map((col) => col.children.length === 1 ? col.firstElementChild : null)
    .filter((el) => el && el.classList.contains('pb-panel') && el.offsetParent !== null)
    .map((el) => [el, el.getBoundingClientRect()]);
  const lines = {};
  cards.forEach(([el, r]) => { (lines[Math.round(r.top)] ||= []).push([el, r]); });
  Object.values(lines).filter((line) => line.length > 1).forEach((line) => {
    const bottoms = line.map(([, r]) => Math.round(r.bottom));
    if (Math.max(...bottoms) - Math.min(...bottoms) > 1) {
      problems.push('uneven: ' + line.map(([el, r]) =>
        (el.querySelector('.card-header') || el).innerText.trim().slice(0, 30) + ' ' + Math.round(r.bottom)).join(' | '));
    }
  });
});
return problems;
"""
