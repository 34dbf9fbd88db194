// Workers: the live pool from the workers feed (every second) and the ones lost lately.

import { $, el, setText } from './dom.js';
import { count, duration, ago, gflops } from './format.js';

const rows = new Map(); // sessionId -> parts

export function showWorkers(list) {
  const workers = Array.isArray(list) ? list : [];
  const live = workers.filter((w) => w.state !== 'lost');
  const lost = workers.filter((w) => w.state === 'lost');
  const body = $('workers-rows');
  const order = [...live.sort(byName), ...lost.sort((a, b) => (a.sinceLostMs ?? 0) - (b.sinceLostMs ?? 0))];
  const keep = new Set(order.map((w) => w.sessionId));
  for (const [id, r] of rows) if (!keep.has(id)) { r.tr.remove(); rows.delete(id); }
  order.forEach((w, index) => {
    let r = rows.get(w.sessionId);
    if (!r) r = make(w);
    if (body.children[index] !== r.tr) body.insertBefore(r.tr, body.children[index] || null);
    update(r, w);
  });
  const computing = live.filter((w) => w.state === 'computing').length;
  setText($('workers-count'), `${live.length} connected${computing ? ` · ${computing} computing` : ''}${lost.length ? ` · ${lost.length} lost lately` : ''}`);
  $('workers-empty').hidden = order.length > 0;
  $('workers-table').hidden = order.length === 0;
}

function byName(a, b) {
  return String(a.name).localeCompare(String(b.name)) || String(a.sessionId).localeCompare(String(b.sessionId));
}

function cell(label, ...children) {
  return el('td', { dataset: { label } }, ...children);
}

function make(w) {
  const name = el('span', { class: 'worker-name' });
  const id = el('span', { class: 'worker-id mono' });
  const state = el('span', { class: 'pill pill-state' });
  const engine = el('span', { class: 'pill pill-engine' });
  const adapter = el('span', { class: 'worker-adapter' });
  const speed = el('span', { class: 'num' });
  const chunks = el('span', { class: 'num' });
  const load = el('span', { class: 'num' });
  const beat = el('span', { class: 'num' });
  const tr = el('tr', { dataset: { sessionId: w.sessionId } },
    cell('Worker', el('span', { class: 'worker-who' }, name, id)),
    cell('State', state),
    cell('Engine', el('span', { class: 'worker-engine' }, engine, adapter)),
    cell('Speed', speed),
    cell('Chunks done', chunks),
    cell('In hand', load),
    cell('Heartbeat', beat));
  const r = { tr, name, id, state, engine, adapter, speed, chunks, load, beat };
  rows.set(w.sessionId, r);
  return r;
}

function update(r, w) {
  r.tr.dataset.state = w.state;
  r.tr.dataset.workerId = w.label || '';
  setText(r.name, w.name || 'worker');
  setText(r.id, w.label || '');
  r.id.title = w.trust ? `${w.label} · ${w.trust}` : (w.label || '');
  r.state.dataset.state = w.state;
  setText(r.state, w.state);
  r.state.title = w.state === 'lost' && w.reason ? `lost: ${w.reason}` : '';
  r.engine.dataset.engine = w.engine;
  setText(r.engine, w.engine === 'webgpu' ? 'WebGPU' : w.engine === 'cpu' ? 'CPU' : (w.engine || '?'));
  setText(r.adapter, w.adapter || '');
  r.adapter.title = w.adapter || '';
  setText(r.speed, gflops(w.opsPerMs));
  r.speed.title = w.computeMs ? `${duration(w.computeMs)} computing in this session` : '';
  setText(r.chunks, count(w.chunksDone));
  setText(r.load, w.state === 'lost' ? '–' : `${count(w.inFlight)} / ${count(w.slots)}`);
  if (w.state === 'lost') {
    setText(r.beat, `lost ${ago(w.sinceLostMs)}${w.reason ? ` · ${w.reason}` : ''}`);
  } else {
    setText(r.beat, w.sinceHeartbeatMs === null || w.sinceHeartbeatMs === undefined ? 'none yet'
      : w.sinceHeartbeatMs < 60_000 ? `${(w.sinceHeartbeatMs / 1000).toFixed(1)} s ago` : ago(w.sinceHeartbeatMs));
    r.beat.dataset.late = String((w.sinceHeartbeatMs ?? 0) > 4000);
  }
}
