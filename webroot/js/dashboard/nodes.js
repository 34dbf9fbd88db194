// The cluster's nodes (health's `nodes`): one card per node with its URL, a
// scheduler badge, its sockets and a bar of its workers against the busiest
// node's, so where the workers sit is seen at a glance.

import { $, el, clear, setText } from './dom.js';
import { count, shortId, sinceIso } from './format.js';

let lastKey = '';

export function showNodes(health) {
  const panel = $('nodes');
  const nodes = health && Array.isArray(health.nodes) ? health.nodes : [];
  panel.hidden = nodes.length === 0;
  setText($('nodes-summary'), nodes.length === 0 ? ''
    : `${count(nodes.length)} node${nodes.length === 1 ? '' : 's'} · scheduler ${health.schedulerNode === 'waiting' ? 'waiting for election' : shortId(health.schedulerNode)}`);
  const key = JSON.stringify(nodes.map((n) => [n.id, n.url, n.sockets, n.workers, n.scheduler]));
  if (key === lastKey) return;
  lastKey = key;
  const list = $('nodes-list');
  clear(list);
  const most = Math.max(1, ...nodes.map((n) => n.workers || 0));
  for (const n of nodes) {
    const workers = n.workers || 0;
    list.append(el('li', { class: 'node', dataset: { node: n.id, scheduler: String(!!n.scheduler) } },
      el('div', { class: 'node-head' },
        el('span', { class: 'node-id mono', text: shortId(n.id), attrs: { title: n.id } }),
        n.scheduler ? el('span', { class: 'node-badge', text: 'scheduler' }) : null),
      el('a', { class: 'node-url mono small', href: n.url, text: n.url, attrs: { rel: 'noopener' } }),
      el('div', { class: 'node-bar', attrs: { role: 'img', 'aria-label': `${workers} workers` } },
        el('span', { class: 'node-bar-fill' })),
      el('div', { class: 'node-figures small muted' },
        el('span', { class: 'node-workers', text: `${count(workers)} worker${workers === 1 ? '' : 's'}` }),
        el('span', { text: ` · ${count(n.sockets || 0)} socket${n.sockets === 1 ? '' : 's'} · up ${sinceIso(n.upSince).replace(' ago', '')}` }))));
    // The bar's width through the CSSOM (the page's policy allows no inline style attributes).
    list.lastChild.querySelector('.node-bar-fill').style.width = `${Math.round((workers / most) * 100)}%`;
  }
}
