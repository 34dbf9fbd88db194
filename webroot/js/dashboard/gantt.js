// The timeline card: a Gantt chart of the selected job, one lane per worker, one bar per
// chunk attempt, coloured by outcome; reassigned attempts and speculative copies marked.
// Live while the job runs; a finished job's stored timeline can be played back.

import { $, el, clear, setText, reducedMotion } from './dom.js';
import { store, isFinal } from './store.js';
import { api } from './api.js';
import { buildGantt, describeAttempt, outcomeClass } from './timeline-model.js';
import { duration, shortId } from './format.js';

const MAX_BARS = 3000;
const LIVE_TICK_MS = 250;
const PLAYBACK_MS = 6000;

let current = null;        // job id drawn
let laneEls = new Map();   // lane key -> {row, label, track, name, count}
let barEls = new Map();    // assignment id -> element
let markEls = [];
let liveTimer = null;
let playback = null;       // {start, t0, t1, raf}
const loading = new Set();

export function initGantt() {
  store.on('select', (id) => show(id));
  store.on('timeline', (id) => { if (id === current && !playback) draw(); });
  store.on('job', (job) => { if (job.id === current) { updateControls(); if (!playback) draw(); } });
  $('gantt-play').addEventListener('click', togglePlayback);
  // The axis picks how many ticks fit: draw again when the chart changes width.
  let lastWidth = 0;
  new ResizeObserver((entries) => {
    const width = Math.round(entries[0].contentRect.width);
    if (width !== lastWidth) {
      lastWidth = width;
      if (!playback) draw();
    }
  }).observe($('gantt-axis'));
  show(store.selected);
}

/** Loads the stored timeline once per job (live events keep arriving from the feed). */
export function ensureTimeline(id, { force = false } = {}) {
  if (!id || loading.has(id)) return;
  const t = store.timeline(id);
  if (t.loaded && !force) return;
  loading.add(id);
  api.timeline(id)
    .then((body) => {
      store.addEvents(id, (body.events || []).map((e) => ({ ...e, jobId: id })));
      store.markTimelineLoaded(id);
    })
    .catch((err) => {
      if (id === current) setText($('gantt-summary'), `Could not load the timeline: ${err.message}`);
    })
    .finally(() => loading.delete(id));
}

function show(id) {
  stopPlayback();
  current = id;
  const root = $('gantt');
  clear($('gantt-lanes'));
  clear($('gantt-axis'));
  clear($('gantt-overlay'));
  clear($('gantt-notes'));
  laneEls = new Map();
  barEls = new Map();
  markEls = [];
  root.dataset.jobId = id || '';
  setText($('timeline-job'), id ? `job ${shortId(id)}` : '');
  if (id) ensureTimeline(id);
  updateControls();
  draw();
}

function updateControls() {
  const job = current ? store.jobs.get(current) : null;
  const play = $('gantt-play');
  const finished = job && isFinal(job.status);
  play.hidden = !finished;
  play.setAttribute('aria-pressed', playback ? 'true' : 'false');
  setText(play, playback ? 'Stop' : 'Play back');
  clearInterval(liveTimer);
  liveTimer = null;
  if (job && !finished) liveTimer = setInterval(() => { if (!playback) draw(); }, LIVE_TICK_MS);
}

function draw(cursor) {
  const root = $('gantt');
  const empty = $('gantt-empty');
  $('gantt-legend').hidden = !current;
  if (!current) {
    root.hidden = true;
    empty.hidden = false;
    setText(empty, 'Select a job to see which worker computed which chunk, and when.');
    setText($('gantt-summary'), '');
    return;
  }
  const t = store.timeline(current);
  const job = store.jobs.get(current);
  let events = t.events;
  const now = cursor ?? Date.now();
  if (cursor !== undefined) events = events.filter((e) => e.t <= cursor);
  const model = buildGantt(events, now);
  if (model.attempts.length === 0) {
    root.hidden = true;
    empty.hidden = false;
    setText(empty, !t.loaded ? 'Loading the timeline…'
      : job && job.status === 'queued' ? 'Queued: the chart starts when a worker takes the first chunk.'
        : job && isFinal(job.status) ? 'No chunk was sent for this job.' : 'Waiting for the first chunk to go out…');
    setText($('gantt-summary'), '');
    return;
  }
  root.hidden = false;
  empty.hidden = true;
  const span = model.t1 - model.t0;
  const pos = (time) => Math.max(0, Math.min(100, ((time - model.t0) / span) * 100));

  drawAxis(span);
  const seenLanes = new Set();
  const seenBars = new Set();
  let drawn = 0;
  const skip = Math.max(0, model.attempts.length - MAX_BARS);
  const lanesRoot = $('gantt-lanes');
  model.lanes.forEach((lane, index) => {
    seenLanes.add(lane.key);
    let L = laneEls.get(lane.key);
    if (!L) {
      L = makeLane(lane);
      laneEls.set(lane.key, L);
    }
    if (lanesRoot.children[index] !== L.row) lanesRoot.insertBefore(L.row, lanesRoot.children[index] || null);
    setText(L.name, lane.name);
    const accepted = lane.attempts.filter((a) => a.outcome === 'done').length;
    setText(L.count, `${accepted} chunk${accepted === 1 ? '' : 's'}`);
    L.row.dataset.workerName = lane.name;
    L.track.style.setProperty('--depth', String(lane.depth));
    L.label.title = `${lane.name}${lane.workerId ? ' · ' + lane.workerId : ''}`;
    for (const a of lane.attempts) {
      if (drawn++ < skip) continue;
      seenBars.add(a.id);
      let bar = barEls.get(a.id);
      if (!bar) {
        bar = el('span', { class: 'gantt-bar', attrs: { role: 'img' } });
        barEls.set(a.id, bar);
        L.track.append(bar);
      }
      const end = a.end ?? now;
      bar.style.left = pos(a.start) + '%';
      bar.style.width = Math.max(0, pos(end) - pos(a.start)) + '%';
      bar.style.setProperty('--slot', String(a.slot));
      const ds = bar.dataset;
      const outcome = a.outcome ?? 'in-flight';
      if (ds.outcome !== outcome) ds.outcome = outcome;
      ds.chunk = String(a.chunk);
      ds.assignment = a.id;
      ds.tone = outcomeClass(a.outcome);
      ds.reassigned = String(a.reassigned);
      ds.speculative = String(a.speculative);
      const label = describeAttempt(a);
      if (bar.title !== label) {
        bar.title = label;
        bar.setAttribute('aria-label', label);
      }
    }
  });
  for (const [key, L] of laneEls) if (!seenLanes.has(key)) { L.row.remove(); laneEls.delete(key); }
  for (const [id, bar] of barEls) if (!seenBars.has(id)) { bar.remove(); barEls.delete(id); }
  drawLaneMarks(model, pos);
  drawJobMarks(model, pos);
  drawSummary(model, job, skip);
  drawNotes(model);
}

function makeLane(lane) {
  const name = el('span', { class: 'gantt-name' });
  const count = el('span', { class: 'gantt-count' });
  const label = el('div', { class: 'gantt-label' }, name, count);
  const track = el('div', { class: 'gantt-track' });
  const row = el('div', { class: 'gantt-lane', dataset: { workerId: lane.workerId || lane.key }, attrs: { role: 'listitem' } }, label, track);
  return { row, label, track, name, count };
}

function drawAxis(span) {
  const axis = $('gantt-axis');
  const room = Math.max(2, Math.min(8, Math.floor((axis.clientWidth || 500) / 90)));
  const step = niceStep(span / room);
  const ticks = [];
  for (let v = 0; v <= span + 1e-9 && ticks.length < 12; v += step) ticks.push(v);
  const key = ticks.map((v) => Math.round(v)).join(',') + '|' + Math.round(span) + '|' + room;
  if (axis.dataset.key === key) return;
  axis.dataset.key = key;
  clear(axis);
  for (const v of ticks) {
    const tick = el('span', { class: 'gantt-tick', text: duration(v) });
    tick.style.left = (v / span) * 100 + '%';
    if (v / span > 0.94) tick.dataset.edge = 'end';
    axis.append(tick);
  }
}

function niceStep(raw) {
  if (!(raw > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (raw <= m * p) return m * p;
  return 10 * p;
}

function drawLaneMarks(model, pos) {
  for (const m of markEls) m.remove();
  markEls = [];
  for (const lane of model.lanes) {
    const L = laneEls.get(lane.key);
    if (!L) continue;
    for (const mark of lane.marks) {
      const m = el('span', { class: 'gantt-mark', dataset: { type: mark.type }, title: `${mark.type}${mark.detail ? ': ' + mark.detail : ''}` });
      m.style.left = pos(mark.t) + '%';
      L.track.append(m);
      markEls.push(m);
    }
    for (const a of lane.attempts) {
      for (const note of a.notes) {
        const m = el('span', { class: 'gantt-mark', dataset: { type: note.type }, title: `chunk ${a.chunk}: ${note.type}${note.detail ? ': ' + note.detail : ''}` });
        m.style.left = pos(note.t) + '%';
        L.track.append(m);
        markEls.push(m);
      }
    }
  }
}

function drawJobMarks(model, pos) {
  const overlay = $('gantt-overlay');
  clear(overlay);
  for (const mark of model.jobMarks) {
    if (mark.t < model.t0 && mark.type === 'queued') continue;
    const line = el('span', { class: 'gantt-jobmark', dataset: { type: mark.type }, title: `${mark.type}${mark.detail ? ': ' + mark.detail : ''}` });
    line.style.left = pos(mark.t) + '%';
    overlay.append(line);
  }
}

function drawSummary(model, job, skipped) {
  const s = model.stats;
  const parts = [
    `${s.attempts} chunk attempt${s.attempts === 1 ? '' : 's'} on ${model.lanes.length} worker${model.lanes.length === 1 ? '' : 's'}`,
    `${s.accepted} accepted`,
  ];
  if (s.open) parts.push(`${s.open} in flight`);
  if (s.reassigned) parts.push(`${s.reassigned} reassigned`);
  if (s.speculative) parts.push(`${s.speculative} speculative`);
  if (s.refused) parts.push(`${s.refused} not accepted`);
  parts.push(`${duration(model.t1 - model.t0)}${model.running ? ' so far' : ''}`);
  if (skipped) parts.push(`showing the last ${MAX_BARS}`);
  setText($('gantt-summary'), parts.join(' · '));
  $('gantt').dataset.running = String(model.running && !(job && isFinal(job.status)));
}

/** The attempts worth reading about: everything that was not a plain first-time success. */
function drawNotes(model) {
  const list = $('gantt-notes');
  const notable = model.attempts.filter((a) => a.reassigned || a.speculative || (a.end !== null && a.outcome !== 'done') || a.notes.length);
  const key = notable.map((a) => `${a.id}:${a.outcome}:${a.notes.length}`).join(',');
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  clear(list);
  for (const a of notable.slice(-30)) {
    const tone = a.reassigned || a.speculative ? (a.outcome === 'done' ? 'ok' : outcomeClass(a.outcome)) : outcomeClass(a.outcome);
    const tag = a.speculative ? 'speculative' : a.reassigned ? 'reassigned' : (a.outcome || 'in flight');
    list.append(el('li', { dataset: { tone, chunk: String(a.chunk), kind: tag } },
      el('span', { class: 'tag', dataset: { tone }, text: tag }),
      el('span', { text: describeAttempt(a) })));
  }
  list.hidden = notable.length === 0;
}

// ------------------------------------------------------------ playback

function togglePlayback() {
  if (playback) {
    stopPlayback();
    draw();
    return;
  }
  const t = store.timeline(current);
  if (!t.events.length) return;
  const model = buildGantt(t.events);
  const real = model.t1 - model.t0;
  const length = reducedMotion() ? 0 : Math.min(PLAYBACK_MS, Math.max(1500, real));
  playback = { start: performance.now(), t0: model.t0, t1: model.t1, length, raf: 0 };
  updateControls();
  const step = () => {
    const f = playback.length ? Math.min(1, (performance.now() - playback.start) / playback.length) : 1;
    draw(playback.t0 + f * (playback.t1 - playback.t0));
    if (f < 1) playback.raf = requestAnimationFrame(step);
    else { stopPlayback(); draw(); }
  };
  playback.raf = requestAnimationFrame(step);
}

function stopPlayback() {
  if (!playback) return;
  cancelAnimationFrame(playback.raf);
  playback = null;
  updateControls();
}
