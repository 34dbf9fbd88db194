// The selected job: what it is, how far it got, its result (heatmap), verification and metrics.

import { $, setText } from './dom.js';
import { store, isFinal } from './store.js';
import { api } from './api.js';
import { showHeatmap } from './heatmap.js';
import { updateStatusPill, updateProgress, chunksText, statusLabel } from './job-status.js';
import { count, duration, megabytes, percent, mops, scientific, shortId, clockTime, jobDurationMs } from './format.js';
import { replayJob, cancelJob } from './actions.js';

let tick = null;

export function initJobDetail() {
  store.on('select', (id) => { render(); if (id && !store.jobs.has(id)) fetchJob(id); });
  store.on('job', (job) => { if (job.id === store.selected) render(); });
  $('job-replay').addEventListener('click', () => store.selected && replayJob(store.selected, $('job-replay')));
  $('job-cancel').addEventListener('click', () => store.selected && cancelJob(store.selected, $('job-cancel')));
  render();
}

function fetchJob(id) {
  api.job(id).then((view) => store.putJob(view)).catch((err) => {
    if (store.selected === id) {
      setText($('job-empty'), `Job ${shortId(id)}: ${err.message}`);
    }
  });
}

function render() {
  const id = store.selected;
  const job = id ? store.jobs.get(id) : null;
  const card = $('job');
  $('job-body').hidden = !job;
  $('job-empty').hidden = !!job;
  clearInterval(tick);
  tick = null;
  if (!job) {
    card.dataset.jobId = id || '';
    card.dataset.status = '';
    if (!id) setText($('job-empty'), 'Submit a job, or pick one from the list or the history, to see it here.');
    else setText($('job-empty'), 'Loading the job…');
    showHeatmap(null);
    return;
  }
  card.dataset.jobId = job.id;
  card.dataset.status = job.status;
  setText($('job-title'), `Job ${shortId(job.id)}`);
  $('job-title').title = job.id;
  updateStatusPill($('job-status'), job);
  setText($('job-dims'), `A ${job.rowsA}×${job.colsA} · B ${job.colsA}×${job.colsB} → C ${job.rowsA}×${job.colsB}`);
  setText($('job-seed'), job.seed === null || job.seed === undefined ? 'none · your matrices' : String(job.seed));
  setText($('job-verify-mode'), job.verify || 'auto');
  setText($('job-chunk-rows'), job.chunkRows ? `${job.chunkRows} rows` : 'auto');
  setText($('job-created'), clockTime(job.createdAt));
  $('job-by-row').hidden = document.body.dataset.role !== 'admin';
  setText($('job-by'), job.submittedBy || '–');
  setText($('job-replay-of'), job.replayOf ? `replay of ${shortId(job.replayOf)}` : '');
  $('job-replay-of').hidden = !job.replayOf;
  updateProgress($('job-progress'), job);
  setText($('job-chunks'), chunksText(job));
  setText($('job-phase'), statusLabel(job));
  setText($('job-workers'), `${count(job.workersUsed)} worker${job.workersUsed === 1 ? '' : 's'}`);
  renderElapsed(job);
  if (!isFinal(job.status)) tick = setInterval(() => renderElapsed(store.jobs.get(job.id)), 500);

  $('job-cancel').hidden = isFinal(job.status);
  $('job-replay').hidden = false;
  // Same-origin links: the browser sends the session cookie, and saves C under these names.
  const result = `/api/jobs/${encodeURIComponent(job.id)}/result`;
  const download = $('job-download');
  download.hidden = job.status !== 'completed';
  download.href = `${result}?format=npy`;
  download.setAttribute('download', `job-${job.id}-C.npy`);
  const raw = $('job-download-raw');
  raw.hidden = job.status !== 'completed';
  raw.href = result;
  raw.setAttribute('download', `job-${job.id}-C.f32`);

  const error = $('job-error');
  error.hidden = !job.error || job.status === 'cancelled' && job.error === 'cancelled by request';
  setText(error, job.error || '');

  renderVerification(job);
  renderMetrics(job);
  showHeatmap(job);
}

function renderElapsed(job) {
  if (!job) return;
  const ms = jobDurationMs(job);
  setText($('job-elapsed'), Number.isNaN(ms) ? (job.status === 'queued' ? 'waiting' : '–') : duration(ms));
}

function renderVerification(job) {
  const box = $('job-verification');
  const v = job.verification;
  const title = $('verification-title');
  const detail = $('verification-detail');
  if (v) {
    box.dataset.state = v.passed ? 'passed' : 'failed';
    const method = v.method === 'full' ? 'full recomputation on the server'
      : v.method === 'freivalds' ? "Freivalds' randomized check" : v.method === 'none' ? 'not verified (verify: none)' : v.method;
    if (v.method === 'none') {
      box.dataset.state = 'skipped';
      setText(title, 'Not verified');
      setText(detail, 'Verification was switched off for this job; every chunk was still checked on arrival.');
    } else {
      setText(title, v.passed ? 'Verified' : 'Verification failed');
      setText(detail, `${method} · largest difference ${scientific(v.maxAbsError)}`);
    }
  } else if (job.status === 'running' && job.phase === 'verifying') {
    box.dataset.state = 'pending';
    setText(title, 'Verifying…');
    setText(detail, 'Every chunk was checked on arrival; now the whole product is.');
  } else if (isFinal(job.status)) {
    box.dataset.state = 'none';
    setText(title, 'No verification');
    setText(detail, job.status === 'completed' ? '–' : `The job ${job.status} before its product was verified.`);
  } else {
    box.dataset.state = 'pending';
    setText(title, 'Not verified yet');
    setText(detail, 'Each chunk is checked on arrival; the whole product once all chunks are in.');
  }
}

function renderMetrics(job) {
  const m = job.metrics || {};
  setText($('m-total'), duration(m.totalTimeMs));
  setText($('m-compute'), duration(m.computeTimeMs));
  setText($('m-network'), duration(m.networkTimeMs));
  setText($('m-wire'), duration(m.transferTimeMs));
  setText($('m-efficiency'), percent(m.efficiencyRatio));
  setText($('m-bytes'), megabytes(m.bytesTransferred));
  // Throughput counts the whole product's operations: it means something once the job is done.
  setText($('m-throughput'), job.status === 'completed' ? mops(m.throughputMops) : '–');
  setText($('m-avg-chunk'), duration(m.avgChunkTimeMs));
  const f = Math.max(0, Math.min(100, m.efficiencyRatio || 0));
  $('m-split-compute').style.width = f + '%';
  $('m-split-network').style.width = (m.computeTimeMs || m.networkTimeMs ? 100 - f : 0) + '%';
  $('m-split').setAttribute('aria-label', `compute ${percent(f)} of compute plus network time`);
}

