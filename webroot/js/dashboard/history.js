// History: every job from GET /api/jobs (newest first, pages of 20), kept live by the job
// feed, with Replay for any job and Cancel for queued or running ones.

import { $, el, setText, perFrame } from './dom.js';
import { store, isFinal } from './store.js';
import { api } from './api.js';
import { statusPill, updateStatusPill, progressBar, updateProgress } from './job-status.js';
import { shortId, duration, clockTime, count, jobDurationMs } from './format.js';
import { replayJob, cancelJob } from './actions.js';

const PAGE = 20;
const rows = new Map(); // id -> row parts
let ids = [];           // ids shown, newest first
let total = 0;
let loadedAll = false;
let showSubmitter = false; // admins see every requestor's jobs: who submitted each

/** showSubmitter: a "By" column (submittedBy, the token's name), for admins. */
export function initHistory({ showSubmitter: by = false } = {}) {
  showSubmitter = by;
  $('history-by-head').hidden = !by;
  const render = perFrame(draw);
  store.on('job', (job) => {
    if (!ids.includes(job.id)) {
      ids.unshift(job.id);
      if (job.status === 'queued') total++; // a new job; an old one looked up by id is already counted
    }
    render();
  });
  store.on('select', render);
  $('history-more').addEventListener('click', () => loadPage(ids.length));
}

/** (Re)loads the first page; later pages load on demand. */
export async function loadHistory() {
  await loadPage(0, { reset: true });
}

async function loadPage(offset, { reset = false } = {}) {
  const more = $('history-more');
  more.disabled = true;
  try {
    const page = await api.jobs(PAGE, offset);
    if (reset) ids = [];
    total = page.total;
    for (const job of page.jobs) if (!ids.includes(job.id)) ids.push(job.id);
    store.putJobs(page.jobs);
    loadedAll = ids.length >= total;
    $('history-error').hidden = true;
    draw();
  } catch (err) {
    const box = $('history-error');
    setText(box, `The history could not be loaded: ${err.message}`);
    box.hidden = false;
  } finally {
    more.disabled = false;
  }
}

function draw() {
  const body = $('history-rows');
  ids.sort((a, b) => String(store.jobs.get(b)?.createdAt).localeCompare(String(store.jobs.get(a)?.createdAt)));
  const keep = new Set(ids);
  for (const [id, r] of rows) if (!keep.has(id)) { r.tr.remove(); rows.delete(id); }
  ids.forEach((id, index) => {
    const job = store.jobs.get(id);
    if (!job) return;
    let r = rows.get(id);
    if (!r) r = make(job);
    if (body.children[index] !== r.tr) body.insertBefore(r.tr, body.children[index] || null);
    update(r, job);
  });
  $('history-empty').hidden = ids.length > 0;
  $('history-table').hidden = ids.length === 0;
  $('history-more').hidden = loadedAll || ids.length >= total;
  setText($('history-count'), total ? `${count(Math.min(ids.length, total))} of ${count(total)}` : '');
}

function cell(label, ...children) {
  return el('td', { dataset: { label } }, ...children);
}

function make(job) {
  const id = job.id;
  const when = el('time');
  const idButton = el('button', { type: 'button', class: 'link-button view-button', on: { click: () => store.select(id) } });
  const dims = el('span', { class: 'mono' });
  const by = showSubmitter ? el('span', { class: 'history-by' }) : null;
  const workers = el('span');
  const chunks = el('span');
  const time = el('span');
  const pill = statusPill(job);
  const bar = progressBar();
  const outcome = el('span', { class: 'history-outcome' }, pill, bar);
  const replay = el('button', { type: 'button', class: 'button button-small replay-button', text: 'Replay',
    on: { click: () => replayJob(id, replay) } });
  const cancel = el('button', { type: 'button', class: 'button button-small button-danger cancel-button', text: 'Cancel',
    on: { click: () => cancelJob(id, cancel) } });
  const tr = el('tr', { dataset: { jobId: id } },
    cell('Submitted', when),
    cell('Job', idButton),
    by ? el('td', { class: 'col-by', dataset: { label: 'By' } }, by) : null,
    cell('Dimensions', dims),
    cell('Chunks', chunks),
    cell('Workers', workers),
    cell('Duration', time),
    cell('Outcome', outcome),
    el('td', { class: 'actions', dataset: { label: 'Actions' } }, replay, cancel));
  const r = { tr, when, idButton, by, dims, workers, chunks, time, pill, bar, replay, cancel };
  rows.set(id, r);
  return r;
}

function update(r, job) {
  r.tr.dataset.status = job.status;
  r.tr.setAttribute('aria-current', store.selected === job.id ? 'true' : 'false');
  setText(r.when, clockTime(job.createdAt));
  r.when.dateTime = job.createdAt || '';
  setText(r.idButton, shortId(job.id));
  r.idButton.setAttribute('aria-label', `Show job ${shortId(job.id)}`);
  if (r.by) setText(r.by, job.submittedBy || '–');
  setText(r.dims, `${job.rowsA}×${job.colsA} · ${job.colsA}×${job.colsB}`);
  setText(r.chunks, job.chunksTotal ? `${job.chunksDone}/${job.chunksTotal}` : '–');
  setText(r.workers, count(job.workersUsed));
  const ms = jobDurationMs(job);
  setText(r.time, Number.isNaN(ms) ? '–' : duration(ms));
  updateStatusPill(r.pill, job);
  if (job.status === 'completed' && job.verification) {
    r.pill.title = job.verification.passed ? `verified (${job.verification.method})` : 'verification failed';
    r.pill.dataset.verified = String(!!job.verification.passed && job.verification.method !== 'none');
  } else {
    r.pill.title = job.error || '';
    delete r.pill.dataset.verified;
  }
  r.bar.hidden = isFinal(job.status);
  if (!r.bar.hidden) updateProgress(r.bar, job);
  r.cancel.hidden = isFinal(job.status);
  r.replay.setAttribute('aria-label', `Replay job ${shortId(job.id)}`);
  r.cancel.setAttribute('aria-label', `Cancel job ${shortId(job.id)}`);
}
