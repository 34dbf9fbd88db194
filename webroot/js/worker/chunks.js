// The chunks of the worker tab: B parts and chunks received (protocol 1 inline, protocol 2
// fetched), handed to the compute worker, answered with a result or a failure.

import { base64urlLength } from '../codec.js';
import { ADDR, cleanError, validateB, validateCancel, validateChunk, validateRelease } from './protocol.js';
import * as ui from './ui.js';
import { state, note, updateCounters, bKey, shortId, nowEpoch } from './tab-state.js';
import { onComputeAnswers, post } from './compute-link.js';
import { abandonAllFetches, abandonFetches, dataCache, dataItem, fetchAhead, uploadResult } from './data-plane.js';

// What a result frame adds around its data (ids, times, JSON punctuation), generously.
const RESULT_OVERHEAD_BYTES = 1024;

onComputeAnswers(onComputeResult, onComputeFailure);

// Registers again (same session) to tell the scheduler what the cache holds: set by session.js,
// which imports this module, so that this one need not import it back.
let reRegister = () => {};

/** Sets how to tell the scheduler that the cache's holdings changed. */
export function whenHoldingsChange(fn) {
  reRegister = fn;
}

export function onComputeResult(m) {
  if (m.gen !== state.gen) return;
  const held = state.held.get(m.assignmentId);
  if (!held) return; // cancelled meanwhile
  state.held.delete(m.assignmentId);
  const session = state.session;
  if (!session || !state.eb || !state.eb.isOpen) {
    updateCounters();
    return;
  }
  if (held.upload) {
    if (!(m.c instanceof Float32Array) || m.c.length !== held.rows * held.colsB) {
      sendFailure(m.assignmentId, 'internal error: result of the wrong size');
      return;
    }
    uploadResult(held, m);
    countDone(held, m);
    return;
  }
  const expected = base64urlLength(held.rows * held.colsB * 4);
  if (typeof m.data !== 'string' || m.data.length !== expected) {
    sendFailure(m.assignmentId, 'internal error: result of the wrong size');
    return;
  }
  if (m.data.length + RESULT_OVERHEAD_BYTES > session.maxResultBytes) {
    sendFailure(m.assignmentId, `result (${m.data.length} characters) exceeds maxResultBytes (${session.maxResultBytes})`);
    updateCounters();
    return;
  }
  state.eb.send(ADDR.RESULT, {
    sessionId: session.sessionId,
    assignmentId: m.assignmentId,
    jobId: held.jobId,
    chunkIndex: held.chunkIndex,
    computeMs: m.computeMs,
    waitMs: m.waitMs,
    data: m.data,
  });
  countDone(held, m);
}

function countDone(held, m) {
  state.chunksDone++;
  state.largestChunkBytes = Math.max(state.largestChunkBytes,
    (held.rows * held.colsA + held.colsA * held.colsB + held.rows * held.colsB) * 4);
  document.body.dataset.largestChunkBytes = String(state.largestChunkBytes);
  state.computeMsTotal += m.computeMs;
  state.chunkOps += held.rows * held.colsA * held.colsB;
  updateCounters();
  ui.log(`chunk #${held.chunkIndex} of job ${shortId(held.jobId)} done in ${m.computeMs.toFixed(1)} ms` +
    ` (waited ${m.waitMs.toFixed(1)} ms)`, 'ok');
}

async function onChunkV2(c, receivedAt) {
  const gen = state.gen;
  state.held.set(c.assignmentId, {
    jobId: c.jobId, chunkIndex: c.chunkIndex, rows: c.rows, colsA: c.colsA, colsB: c.colsB, receivedAt, upload: c.upload,
  });
  updateCounters();
  const hadB = !!dataCache.get(c.inputs.b.id);
  let a;
  let b;
  try {
    [a, b] = await Promise.all([dataItem(c.inputs.a, c.assignmentId), dataItem(c.inputs.b, c.assignmentId)]);
    // Set aside for us: fetched once this chunk's own inputs are in, while it computes.
    state.fetchedAhead += fetchAhead(c.prefetch);
    document.body.dataset.fetchedAhead = String(state.fetchedAhead);
  } catch (e) {
    if (gen === state.gen && state.held.delete(c.assignmentId)) sendFailure(c.assignmentId, `could not fetch its inputs: ${e.message}`);
    return;
  }
  if (gen !== state.gen || !state.held.has(c.assignmentId)) return; // cancelled, or a new session meanwhile
  if (!hadB && state.session) reRegister(); // tells the scheduler what the cache holds now (same session)
  // B to the compute worker once per job, or per column panel of a 2-D-block job (a copy: the cache keeps its own).
  const key = bKey(c.jobId, c.colStart);
  const heldPanel = state.panels.get(c.jobId);
  if (heldPanel !== undefined && heldPanel !== c.colStart) {
    state.jobs.delete(bKey(c.jobId, heldPanel)); // the panel held before: no chunk of it is in flight
    post({ op: 'release', jobId: bKey(c.jobId, heldPanel) });
  }
  state.panels.set(c.jobId, c.colStart);
  if (!state.jobs.has(key)) {
    state.jobs.set(key, { rows: c.colsA, cols: c.colsB, complete: true, error: null });
    post({ op: 'b', gen: state.gen, jobId: key, rows: c.colsA, cols: c.colsB, rowStart: 0,
      rowCount: c.colsA, values: b });
  }
  post({ op: 'chunk', gen: state.gen, assignmentId: c.assignmentId, jobId: key,
    chunkIndex: c.chunkIndex, rowStart: c.rowStart, rows: c.rows, colsA: c.colsA, colsB: c.colsB,
    aValues: a, leaseMs: c.leaseMs, receivedAt, raw: true });
  ui.log(`chunk #${c.chunkIndex} of job ${shortId(c.jobId)} received (${c.rows} rows × ${c.colsB} columns)`);
}

export function onComputeFailure(m) {
  if (m.gen !== state.gen) return;
  if (!state.held.delete(m.assignmentId)) return;
  sendFailure(m.assignmentId, m.error);
  updateCounters();
}

export function sendFailure(assignmentId, error) {
  const text = cleanError(error);
  note(`chunk ${shortId(assignmentId)} failed: ${text}`, 'warn');
  if (state.session && state.eb && state.eb.isOpen) {
    state.eb.send(ADDR.FAILURE, { sessionId: state.session.sessionId, assignmentId, error: text });
  }
}

/** Forgets every job and chunk held (new session or lost socket). */
export function dropEverything(why) {
  state.gen++;
  post({ op: 'reset', gen: state.gen });
  abandonAllFetches();
  const n = state.held.size;
  state.held.clear();
  state.jobs.clear();
  state.panels.clear();
  if (n) note(`dropped ${n} chunk${n === 1 ? '' : 's'} in hand (${why})`, 'warn');
  updateCounters();
}

function maxBufferBytes() {
  return state.engineInfo.maxBufferBytes;
}

export function onB(body) {
  const v = validateB(body, maxBufferBytes());
  if (!v.ok) {
    if (v.jobId !== undefined) {
      const job = state.jobs.get(v.jobId) || { rows: 0, cols: 0, received: null, receivedRows: 0, complete: false };
      job.error = v.error;
      state.jobs.set(v.jobId, job);
    }
    note(v.error, 'warn');
    return;
  }
  const b = v.value;
  const held = state.panels.get(b.jobId);
  if (held !== undefined && held !== b.colStart) {
    // Another column panel of B: it replaces the one held (no chunk of that one is in flight).
    state.jobs.delete(bKey(b.jobId, held));
    post({ op: 'release', jobId: bKey(b.jobId, held) });
  }
  state.panels.set(b.jobId, b.colStart);
  const key = bKey(b.jobId, b.colStart);
  let job = state.jobs.get(key);
  if (!job) {
    job = { rows: b.rows, cols: b.cols, received: new Uint8Array(b.rows), receivedRows: 0, complete: false, error: null };
    state.jobs.set(key, job);
  }
  if (job.error) return;
  if (job.rows !== b.rows || job.cols !== b.cols) {
    job.error = `B changed shape (${job.rows}×${job.cols}, then ${b.rows}×${b.cols})`;
    note(`job ${shortId(b.jobId)}: ${job.error}`, 'warn');
    return;
  }
  if (job.complete) {
    note(`job ${shortId(b.jobId)}: B part after B was complete, ignored`, 'warn');
    return;
  }
  for (let r = b.rowStart; r < b.rowStart + b.rowCount; r++) {
    if (!job.received[r]) { job.received[r] = 1; job.receivedRows++; }
  }
  post({ op: 'b', gen: state.gen, ...b, jobId: key });
  if (job.receivedRows === job.rows) {
    job.complete = true;
    job.received = null;
    note(`B of job ${shortId(b.jobId)} received (${b.rows}×${b.cols})`);
  }
  updateCounters();
}

export function onChunk(body) {
  const receivedAt = nowEpoch();
  const v = validateChunk(body, maxBufferBytes());
  if (!v.ok) {
    if (v.assignmentId !== undefined) sendFailure(v.assignmentId, v.error);
    else note(v.error, 'warn');
    return;
  }
  const c = v.value;
  if (state.held.has(c.assignmentId)) {
    note(`chunk ${shortId(c.assignmentId)} received twice; the second copy is ignored`, 'warn');
    return;
  }
  if (c.inputs) {
    onChunkV2(c, receivedAt);
    return;
  }
  const key = bKey(c.jobId, c.colStart);
  const job = state.jobs.get(key);
  let problem = null;
  if (!job) problem = `unknown job ${c.jobId}`;
  else if (job.error) problem = `B of job ${c.jobId} unusable: ${job.error}`;
  else if (!job.complete) problem = `B of job ${c.jobId} incomplete (${job.receivedRows}/${job.rows} rows) before its chunk`;
  else if (job.rows !== c.colsA || job.cols !== c.colsB) {
    problem = `chunk is ${c.rows}×${c.colsA}·${c.colsA}×${c.colsB} but B of the job is ${job.rows}×${job.cols}`;
  }
  if (problem) {
    sendFailure(c.assignmentId, problem);
    return;
  }
  state.held.set(c.assignmentId, {
    jobId: c.jobId, chunkIndex: c.chunkIndex, rows: c.rows, colsA: c.colsA, colsB: c.colsB, receivedAt,
  });
  post({ op: 'chunk', gen: state.gen, ...c, jobId: key, receivedAt });
  ui.log(`chunk #${c.chunkIndex} of job ${shortId(c.jobId)} received (${c.rows} rows × ${c.colsB} columns)`);
  updateCounters();
}

export function onCancel(body) {
  const v = validateCancel(body);
  if (!v.ok) {
    note(v.error, 'warn');
    return;
  }
  const dropped = v.value.assignmentIds.filter((id) => state.held.delete(id));
  abandonFetches(v.value.assignmentIds);
  if (v.value.assignmentIds.length) post({ op: 'cancel', assignmentIds: v.value.assignmentIds });
  if (dropped.length) ui.log(`${dropped.length} chunk${dropped.length === 1 ? '' : 's'} cancelled`);
  updateCounters();
}

export function onRelease(body) {
  const v = validateRelease(body);
  if (!v.ok) {
    note(v.error, 'warn');
    return;
  }
  const { jobId } = v.value;
  const key = bKey(jobId, state.panels.get(jobId) || 0);
  state.panels.delete(jobId);
  state.jobs.delete(key);
  const dropped = [];
  for (const [id, h] of state.held) if (h.jobId === jobId) dropped.push(id);
  for (const id of dropped) state.held.delete(id);
  abandonFetches(dropped);
  post({ op: 'release', jobId: key });
  ui.log(`job ${shortId(jobId)} released`);
  updateCounters();
}
