// Leaderboard: the top 10 contributors by verified work (GFLOP) (stored in SQLite by the server),
// Gold/Silver/Bronze for the top three. When ranks change, rows glide to their new place
// (FLIP: measure First, move to Last, Invert with a transform, Play the transition).

import { $, el, setText, reducedMotion, cssColor } from './dom.js';
import { duration, count, sinceIso, gflop } from './format.js';

const MEDALS = ['gold', 'silver', 'bronze'];
const MEDAL_NAMES = ['Gold', 'Silver', 'Bronze'];
const items = new Map(); // worker label -> parts
let last = [];

export function showLeaderboard(entries) {
  last = Array.isArray(entries) ? entries : [];
  const list = $('leaderboard-list');
  const before = new Map();
  for (const [id, item] of items) before.set(id, item.li.getBoundingClientRect().top);

  const keep = new Set(last.map((e) => e.label));
  for (const [id, item] of items) if (!keep.has(id)) { item.li.remove(); items.delete(id); }
  const max = Math.max(1e-9, ...last.map((e) => e.gflop || 0));
  last.forEach((entry, index) => {
    let item = items.get(entry.label);
    const isNew = !item;
    if (!item) item = make(entry);
    const oldRank = Number(item.li.dataset.rank || 0);
    if (list.children[index] !== item.li) list.insertBefore(item.li, list.children[index] || null);
    update(item, entry, max);
    if (!isNew && oldRank && oldRank !== entry.rank) flash(item, oldRank > entry.rank ? 'up' : 'down');
    if (isNew && before.size) flash(item, 'new');
  });
  $('leaderboard-empty').hidden = last.length > 0;
  if (!reducedMotion()) glide(before);
}

export function refreshLeaderboardTimes() {
  for (const entry of last) {
    const item = items.get(entry.label);
    if (item) setText(item.seen, `seen ${sinceIso(entry.lastSeen)}`);
  }
}

function make(entry) {
  const badge = el('span', { class: 'lb-badge' });
  const name = el('span', { class: 'lb-name' });
  const meta = el('span', { class: 'lb-meta' });
  const seen = el('span', { class: 'lb-seen' });
  const time = el('span', { class: 'lb-time' });
  const chunks = el('span', { class: 'lb-chunks' });
  const fill = el('span', { class: 'lb-bar-fill' });
  const bar = el('span', { class: 'lb-bar', attrs: { 'aria-hidden': 'true' } }, fill);
  const li = el('li', { class: 'lb-item', dataset: { workerId: entry.label } },
    badge,
    el('span', { class: 'lb-who' }, name, el('span', { class: 'lb-sub' }, meta, seen)),
    el('span', { class: 'lb-figures' }, time, chunks),
    bar);
  const item = { li, badge, name, meta, seen, time, chunks, fill };
  items.set(entry.label, item);
  return item;
}

function update(item, entry, max) {
  const medal = MEDALS[entry.rank - 1];
  item.li.dataset.rank = String(entry.rank);
  if (medal) item.li.dataset.medal = medal; else delete item.li.dataset.medal;
  item.badge.dataset.medal = medal || '';
  setText(item.badge, String(entry.rank));
  item.badge.setAttribute('aria-label', medal ? `${MEDAL_NAMES[entry.rank - 1]}, rank ${entry.rank}` : `rank ${entry.rank}`);
  item.badge.title = medal ? `${MEDAL_NAMES[entry.rank - 1]} · rank ${entry.rank}` : `rank ${entry.rank}`;
  setText(item.name, entry.name || entry.label);
  item.name.title = entry.label;
  setText(item.meta, `${count(entry.sessionsJoined)} session${entry.sessionsJoined === 1 ? '' : 's'}`);
  setText(item.seen, `seen ${sinceIso(entry.lastSeen)}`);
  setText(item.time, `${gflop(entry.gflop)} · ${duration(entry.totalComputeMs)}`);
  setText(item.chunks, `${count(entry.tasksCompleted)} chunk${entry.tasksCompleted === 1 ? '' : 's'}`);
  item.fill.style.width = ((entry.gflop || 0) / max * 100).toFixed(1) + '%';
}

function glide(before) {
  for (const [id, item] of items) {
    const first = before.get(id);
    if (first === undefined) continue;
    const dy = first - item.li.getBoundingClientRect().top;
    if (Math.abs(dy) < 1) continue;
    item.li.animate([{ transform: `translateY(${dy}px)` }, { transform: 'translateY(0)' }],
      { duration: 600, easing: 'cubic-bezier(.2, .8, .2, 1)' });
  }
}

function flash(item, how) {
  item.li.dataset.moved = how;
  if (!reducedMotion()) {
    const highlight = cssColor('--highlight', 'rgba(91, 77, 224, .18)');
    item.li.animate([{ backgroundColor: highlight }, { backgroundColor: 'rgba(0, 0, 0, 0)' }],
      { duration: 1600, easing: 'ease-out' });
  }
  clearTimeout(item.movedTimer);
  item.movedTimer = setTimeout(() => { delete item.li.dataset.moved; }, 4000);
}
