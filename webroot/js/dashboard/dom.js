// Tiny DOM helpers. Text always goes in through textContent, never HTML.

export const $ = (id) => document.getElementById(id);

/**
 * el('li', {class: 'x', dataset: {id: 1}, text: 'hi', attrs: {title: 't'}}, child, ...)
 * Properties other than class/dataset/text/attrs/on are set as element properties.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'attrs') for (const [a, v] of Object.entries(value)) { if (v !== undefined && v !== null) node.setAttribute(a, String(v)); }
    else if (key === 'on') for (const [type, fn] of Object.entries(value)) node.addEventListener(type, fn);
    else node[key] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Sets textContent only when it changed (keeps screen readers and selection calm). */
export function setText(node, text) {
  const value = String(text);
  if (node && node.textContent !== value) node.textContent = value;
}

export function clear(node) {
  while (node.firstChild) node.lastChild.remove();
}

/** Calls fn at most once per animation frame, with the latest arguments. */
export function perFrame(fn) {
  let scheduled = false;
  let args = [];
  return (...a) => {
    args = a;
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      fn(...args);
    });
  };
}

export const reducedMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;

/**
 * The colour a CSS variable stands for now, as rgb(): our variables use light-dark(), which
 * getPropertyValue returns unresolved and canvas or chart.js cannot read.
 */
export function cssColor(name, fallback) {
  const probe = document.createElement('span');
  probe.style.color = `var(${name}, ${fallback})`;
  probe.hidden = true;
  document.body.append(probe);
  const color = getComputedStyle(probe).color;
  probe.remove();
  return color || fallback;
}
