// Shared bits for showing a job's state: the status pill and the progress bar.

import { el, setText } from './dom.js';

const LABELS = {
  queued: 'Queued',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export function statusLabel(job) {
  if (!job) return '–';
  if (job.status === 'running' && job.phase && job.phase !== 'running') {
    return job.phase.charAt(0).toUpperCase() + job.phase.slice(1);
  }
  return LABELS[job.status] || job.status;
}

export function statusPill(job) {
  const pill = el('span', { class: 'pill pill-status' });
  updateStatusPill(pill, job);
  return pill;
}

export function updateStatusPill(pill, job) {
  pill.dataset.status = job ? job.status : '';
  setText(pill, statusLabel(job));
}

export function progressFraction(job) {
  if (!job) return 0;
  if (job.status === 'completed') return 1;
  return job.chunksTotal > 0 ? Math.min(1, job.chunksDone / job.chunksTotal) : 0;
}

/** A progress bar (role=progressbar) whose fill width is set from JS (CSP allows that, not inline styles). */
export function progressBar() {
  const fill = el('span', { class: 'progress-fill' });
  const bar = el('span', { class: 'progress', attrs: { role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 } }, fill);
  return bar;
}

export function updateProgress(bar, job) {
  const f = progressFraction(job);
  const pct = Math.round(f * 100);
  bar.setAttribute('aria-valuenow', String(pct));
  bar.setAttribute('aria-valuetext', job && job.chunksTotal ? `${job.chunksDone} of ${job.chunksTotal} chunks` : `${pct} %`);
  bar.dataset.status = job ? job.status : '';
  bar.firstElementChild.style.width = (f * 100).toFixed(2) + '%';
}

export function chunksText(job) {
  if (!job) return '–';
  if (!job.chunksTotal) return job.status === 'queued' ? 'waiting for a worker' : 'not started';
  return `${job.chunksDone} / ${job.chunksTotal} chunks`;
}
