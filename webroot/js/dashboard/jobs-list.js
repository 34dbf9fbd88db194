// "Jobs": the jobs running or waiting now, and the last few that ended, each with its
// progress; a job is a button that shows it in detail.

import { $, el, setText, perFrame } from './dom.js';
import { store, isFinal } from './store.js';
import { statusPill, updateStatusPill, progressBar, updateProgress, chunksText } from './job-status.js';
import { shortId, duration, jobDurationMs } from './format.js';

const RECENT_FINISHED = 5;
const items = new Map(); // id -> {li, button, pill, bar, chunks, time}

export function initJobsList() {
  const render = perFrame(draw);
  store.on('job', render);
  store.on('select', render);
  setInterval(render, 1000); // elapsed times
  draw();
}

function pick() {
  const all = store.jobList();
  const active = all.filter((j) => !isFinal(j.status));
  const finished = all.filter((j) => isFinal(j.status)).slice(0, RECENT_FINISHED);
  return [...active.reverse(), ...finished];
}

function draw() {
  const list = $('job-list');
  const jobs = pick();
  const keep = new Set(jobs.map((j) => j.id));
  for (const [id, item] of items) if (!keep.has(id)) { item.li.remove(); items.delete(id); }
  jobs.forEach((job, index) => {
    let item = items.get(job.id);
    if (!item) item = make(job);
    if (list.children[index] !== item.li) list.insertBefore(item.li, list.children[index] || null);
    update(item, job);
  });
  $('job-list-empty').hidden = jobs.length > 0;
  const active = jobs.filter((j) => !isFinal(j.status)).length;
  setText($('jobs-active-count'), active ? `${active} active` : 'none active');
}

function make(job) {
  const title = el('span', { class: 'job-item-title' });
  const dims = el('span', { class: 'job-item-dims' });
  const pill = statusPill(job);
  const bar = progressBar();
  const chunks = el('span', { class: 'job-item-chunks' });
  const time = el('span', { class: 'job-item-time' });
  const by = document.body.dataset.role === 'admin' ? el('span', { class: 'job-item-by' }) : null;
  const button = el('button', { type: 'button', class: 'job-item', on: { click: () => store.select(job.id) } },
    el('span', { class: 'job-item-head' }, title, pill),
    dims, bar,
    el('span', { class: 'job-item-foot' }, chunks, by, time));
  const li = el('li', { dataset: { jobId: job.id } }, button);
  const item = { li, button, title, dims, pill, bar, chunks, time, by };
  items.set(job.id, item);
  return item;
}

function update(item, job) {
  item.li.dataset.status = job.status;
  setText(item.title, `Job ${shortId(job.id)}`);
  setText(item.dims, `${job.rowsA}×${job.colsA} · ${job.colsA}×${job.colsB}`);
  updateStatusPill(item.pill, job);
  updateProgress(item.bar, job);
  setText(item.chunks, chunksText(job));
  if (item.by) setText(item.by, job.submittedBy ? `by ${job.submittedBy}` : '');
  const ms = jobDurationMs(job);
  setText(item.time, Number.isNaN(ms) ? '' : duration(ms));
  const selected = store.selected === job.id;
  item.button.setAttribute('aria-current', selected ? 'true' : 'false');
}

