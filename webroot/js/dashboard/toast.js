// Short messages in the corner (replay started, cancel refused ...), read out politely.

import { $, el } from './dom.js';

const SHOW_MS = 6000;

/** level: info | ok | error */
export function toast(text, level = 'info') {
  const box = $('toasts');
  const item = el('div', { class: 'toast', dataset: { level }, attrs: { role: level === 'error' ? 'alert' : 'status' } },
    el('span', { text }),
    el('button', { type: 'button', class: 'toast-close', text: '×', attrs: { 'aria-label': 'Dismiss' },
      on: { click: () => item.remove() } }));
  box.append(item);
  while (box.children.length > 4) box.firstElementChild.remove();
  setTimeout(() => item.remove(), level === 'error' ? SHOW_MS * 2 : SHOW_MS);
}
