// The worker protocol v1 (docs/PROTOCOL.md): addresses, and validation of
// every message the worker receives. Validation only looks at data: nothing
// received is ever evaluated or imported.

import { isFloat32Base64 } from '../codec.js';

export const PROTOCOL_VERSION = 2;
/** Item ids this worker lists as held, at most (the server takes 256). */
export const MAX_HOLDS = 256;

export const ADDR = Object.freeze({
  REGISTER: 'brain.worker.to.server.register',
  HEARTBEAT: 'brain.worker.to.server.heartbeat',
  RESULT: 'brain.worker.to.server.result',
  FAILURE: 'brain.worker.to.server.failure',
  CLIENT_PREFIX: 'brain.worker.to.client.',
  // Published by a newly elected scheduler: register again (docs/PROTOCOL.md).
  ANNOUNCE: 'brain.scheduler.to.client.announce',
});

export const WORKER_ID_RE = /^[A-Za-z0-9_-]{8,64}$/;
export const NAME_MAX = 40;
export const ADAPTER_MAX = 120;
export const ERROR_MAX = 500;
export const ID_MAX = 200;          // jobId / assignmentId length we accept
export const MAX_CANCEL_IDS = 10000;

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isId(v) {
  return typeof v === 'string' && v.length > 0 && v.length <= ID_MAX;
}

function isInt(v, min, max = Number.MAX_SAFE_INTEGER) {
  return Number.isSafeInteger(v) && v >= min && v <= max;
}

const fail = (error, extra) => ({ ok: false, error, ...extra });
const ok = (value) => ({ ok: true, value });

/** Cleans a display name: no control characters, trimmed, at most 40 characters. */
export function cleanName(name) {
  if (typeof name !== 'string') return '';
  return name.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, NAME_MAX);
}

/** Cleans an error text for a failure message (at most 500 characters). */
export function cleanError(text) {
  const s = String(text == null ? 'error' : text).replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return (s || 'error').slice(0, ERROR_MAX);
}

/**
 * Reply to `register`. Missing optional fields get the documented defaults.
 * @returns {{ok:true,value:{sessionId,address,slots,heartbeatIntervalMs,heartbeatTimeoutMs,maxResultBytes}}|{ok:false,error}}
 */
export function validateRegisterReply(r, requestedSlots) {
  if (!isObject(r)) return fail('register reply is not an object');
  if (!isId(r.sessionId)) return fail('register reply has no sessionId');
  if (typeof r.address !== 'string' || !r.address.startsWith(ADDR.CLIENT_PREFIX) ||
      r.address.length <= ADDR.CLIENT_PREFIX.length || r.address.length > 256) {
    return fail('register reply has no valid address');
  }
  const slots = isInt(r.slots, 1, 64) ? r.slots : requestedSlots;
  const hb = isInt(r.heartbeatIntervalMs, 100, 600000) ? r.heartbeatIntervalMs : 2000;
  const hbTimeout = isInt(r.heartbeatTimeoutMs, 100, 3600000) ? r.heartbeatTimeoutMs : Math.max(7000, 3 * hb);
  const maxResultBytes = isInt(r.maxResultBytes, 1) ? r.maxResultBytes : 16 * 1024 * 1024;
  return ok({ sessionId: r.sessionId, address: r.address, slots, heartbeatIntervalMs: hb, heartbeatTimeoutMs: hbTimeout, maxResultBytes });
}

/**
 * A `b` message. `maxBufferBytes` bounds the whole of B.
 * Consistency with earlier parts of the same job is checked by the caller.
 */
export function validateB(m, maxBufferBytes) {
  if (!isId(m.jobId)) return fail('b: bad jobId');
  if (!isInt(m.rows, 1) || !isInt(m.cols, 1)) return fail('b: rows and cols must be positive integers', { jobId: m.jobId });
  if (!isInt(m.rowStart, 0, m.rows - 1)) return fail('b: rowStart out of range', { jobId: m.jobId });
  if (!isInt(m.rowCount, 1, m.rows - m.rowStart)) return fail('b: rowCount out of range', { jobId: m.jobId });
  const bytes = m.rows * m.cols * 4;
  if (!Number.isSafeInteger(bytes) || bytes > maxBufferBytes) {
    return fail(`b: B is ${bytes} bytes, more than this worker takes (${maxBufferBytes})`, { jobId: m.jobId });
  }
  if (!isFloat32Base64(m.data, m.rowCount * m.cols)) {
    return fail(`b: data does not hold ${m.rowCount}×${m.cols} float32 values`, { jobId: m.jobId });
  }
  const colStart = m.colStart === undefined ? 0 : m.colStart;
  if (!isInt(colStart, 0)) return fail('b: colStart must be a non-negative integer', { jobId: m.jobId });
  return ok({ jobId: m.jobId, rows: m.rows, cols: m.cols, colStart, rowStart: m.rowStart, rowCount: m.rowCount, data: m.data });
}

/**
 * A `chunk` message. On failure `assignmentId` is set when the message named a
 * usable one, so the caller can answer with a failure.
 */
export function validateChunk(m, maxBufferBytes) {
  const assignmentId = isId(m.assignmentId) ? m.assignmentId : undefined;
  const bad = (error) => fail('chunk: ' + error, { assignmentId });
  if (!assignmentId) return bad('bad assignmentId');
  if (!isId(m.jobId)) return bad('bad jobId');
  if (!isInt(m.chunkIndex, 0)) return bad('bad chunkIndex');
  if (!isInt(m.rowStart, 0)) return bad('bad rowStart');
  if (!isInt(m.rows, 1)) return bad('rows must be a positive integer');
  if (!isInt(m.colsA, 1)) return bad('colsA must be a positive integer');
  if (!isInt(m.colsB, 1)) return bad('colsB must be a positive integer');
  const aBytes = m.rows * m.colsA * 4;
  const cBytes = m.rows * m.colsB * 4;
  if (!Number.isSafeInteger(aBytes) || aBytes > maxBufferBytes || !Number.isSafeInteger(cBytes) || cBytes > maxBufferBytes) {
    return bad(`slice too large for this worker (${maxBufferBytes} bytes per buffer)`);
  }
  let inputs;
  let upload;
  let prefetch = [];
  if (m.inputs !== undefined) { // protocol 2: the inputs are data items fetched over HTTP
    if (!Array.isArray(m.inputs) || m.inputs.length < 2 || m.inputs.length > 8) return bad('bad inputs');
    inputs = {};
    for (const item of m.inputs) {
      if (!isDataItem(item) || (item.role !== 'a' && item.role !== 'b')) return bad('bad data item');
      inputs[item.role] = dataItemOf(item);
    }
    if (!inputs.a || !inputs.b) return bad('inputs name no A or no B');
    if (inputs.a.rows !== m.rows || inputs.a.cols !== m.colsA || inputs.b.rows !== m.colsA || inputs.b.cols !== m.colsB) {
      return bad('inputs do not match the chunk\'s shape');
    }
    if (inputs.b.rows * inputs.b.cols * 4 > maxBufferBytes) return bad(`B too large for this worker (${maxBufferBytes} bytes per buffer)`);
    if (typeof m.upload !== 'string' || !m.upload.startsWith('/data/results/')) return bad('bad upload');
    upload = m.upload;
    prefetch = aheadItems(m.prefetch, maxBufferBytes);
  } else if (!isFloat32Base64(m.a, m.rows * m.colsA)) {
    return bad(`a does not hold ${m.rows}×${m.colsA} float32 values`);
  }
  const colStart = m.colStart === undefined ? 0 : m.colStart;
  if (!isInt(colStart, 0)) return bad('colStart must be a non-negative integer');
  let leaseMs;
  if (m.leaseMs !== undefined && m.leaseMs !== null) {
    if (typeof m.leaseMs !== 'number' || !(m.leaseMs > 0)) return bad('bad leaseMs');
    leaseMs = m.leaseMs;
  }
  return ok({
    assignmentId, jobId: m.jobId, chunkIndex: m.chunkIndex, rowStart: m.rowStart,
    rows: m.rows, colsA: m.colsA, colsB: m.colsB, colStart, a: m.a, leaseMs, inputs, upload, prefetch,
  });
}

/** A data item as a chunk message names it (PROTOCOL.md §4): an id, a shape, a URL on the data plane. */
function isDataItem(item) {
  return isObject(item) && isId(item.id) && isInt(item.rows, 1) && isInt(item.cols, 1) &&
    typeof item.url === 'string' && item.url.startsWith('/data/');
}

function dataItemOf(item) {
  return { id: item.id, rows: item.rows, cols: item.cols, url: item.url };
}

/** A slices of chunks set aside for this tab, to fetch ahead (PROTOCOL.md §4): a few, well formed, or none. */
function aheadItems(list, maxBufferBytes) {
  if (!Array.isArray(list)) return [];
  return list.slice(0, 4).filter((item) => isDataItem(item) && item.role === 'a' && item.rows * item.cols * 4 <= maxBufferBytes)
    .map(dataItemOf);
}

export function validateCancel(m) {
  if (!Array.isArray(m.assignmentIds) || m.assignmentIds.length > MAX_CANCEL_IDS) return fail('cancel: assignmentIds must be an array');
  return ok({ assignmentIds: m.assignmentIds.filter(isId) });
}

export function validateRelease(m) {
  if (!isId(m.jobId)) return fail('release: bad jobId');
  return ok({ jobId: m.jobId });
}

export function validateStats(m) {
  const v = {};
  if (m.chunksDone !== undefined) {
    if (!isInt(m.chunksDone, 0)) return fail('stats: bad chunksDone');
    v.chunksDone = m.chunksDone;
  }
  if (m.computeMs !== undefined) {
    if (typeof m.computeMs !== 'number' || !Number.isFinite(m.computeMs) || m.computeMs < 0) return fail('stats: bad computeMs');
    v.computeMs = m.computeMs;
  }
  if (m.rank !== undefined && m.rank !== null) {
    if (!isInt(m.rank, 1)) return fail('stats: bad rank');
    v.rank = m.rank;
  }
  return ok(v);
}

/** Top-level shape of a message on the worker's private address. */
export function messageType(body) {
  if (!isObject(body) || typeof body.type !== 'string') return null;
  return body.type;
}
