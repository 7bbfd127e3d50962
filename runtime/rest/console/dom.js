// Building DOM nodes from parts, never from HTML strings: every value from the API (names, traces, config) becomes text.

/** h('a', {href: '#/x', class: 'y'}, 'text', child…): attributes starting with "on" are listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const SVG = 'http://www.w3.org/2000/svg';

/** A small line of the last values (oldest first), labelled for screen readers. */
export function sparkline(values, label) {
  const w = 120;
  const hgt = 24;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const pts = values.filter((v) => Number.isFinite(v));
  if (pts.length > 1) {
    const max = Math.max(...pts, 1e-9);
    const step = w / (pts.length - 1);
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute(
      'points',
      pts.map((v, i) => `${(i * step).toFixed(1)},${(hgt - 2 - (v / max) * (hgt - 4)).toFixed(1)}`).join(' '),
    );
    svg.append(line);
  }
  return svg;
}

/** A number for people: 1234.5 → "1,234.5", small rates keep one decimal. */
export function fmt(n, digits = 1) {
  if (n === undefined || n === null || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en', { maximumFractionDigits: digits });
}

export function stateBadge(state) {
  return h('span', { class: `state state-${String(state ?? 'unknown').toLowerCase()}` }, state ?? 'UNKNOWN');
}

/** Replaces the view's content and moves focus there (keyboard and screen-reader users land on the new page). */
export function show(view, ...children) {
  view.replaceChildren(...children.flat().filter(Boolean));
}

let noticeTimer;
/** A short message in the live region (announced by screen readers). */
export function notice(text, kind = 'info') {
  const el = document.getElementById('notice');
  el.className = kind;
  el.textContent = text;
  clearTimeout(noticeTimer);
  // Errors stay until the next message: an operator who looked away must still see that an action failed.
  if (kind !== 'error') {
    noticeTimer = setTimeout(() => {
      el.textContent = '';
    }, 8000);
  }
}

/** The confirmation dialog: resolves true when the operator pressed the confirming button. */
export function confirmAction(text, okLabel) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = okLabel;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
  });
}
