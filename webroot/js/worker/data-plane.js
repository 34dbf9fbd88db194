// The data plane (protocol 2, PROTOCOL.md §4): a chunk's inputs fetched over HTTP into the
// data cache, its result uploaded with a PUT, to the node the socket is on.

import { DataCache } from './data-cache.js';
import { requestedMemory } from './settings.js';
import { nodes, note } from './tab-state.js';

// Fetched data items kept across jobs and sessions (protocol 2): bytes, least recently used out first.
const DATA_CACHE_BYTES = 256 * 1024 * 1024;

// What it holds counts against the memory it declares (?memory=).
export const dataCache = new DataCache(Math.min(DATA_CACHE_BYTES, requestedMemory === undefined ? Infinity : requestedMemory));
// id -> {promise, controller, waiters}: two chunks naming one B share one GET, and a GET no
// chunk waits on any more (its leases cancelled: the job ended, or the chunk went elsewhere) is
// aborted, so a late answer (the job's files gone) is neither read nor reported.
const fetching = new Map();

/** A data URL on the node our socket is on (the page's own, or another's after a move). */
function dataUrl(path) {
  return nodes.current === nodes.home ? path : nodes.current + path;
}

/** A data item from the cache, or fetched once, for the chunk of lease {@code assignmentId}. */
export function dataItem(item, assignmentId) {
  const held = dataCache.get(item.id);
  if (held) return Promise.resolve(held);
  let entry = fetching.get(item.id);
  if (!entry) {
    const controller = new AbortController();
    const promise = fetch(dataUrl(item.url), { credentials: 'omit', signal: controller.signal }).then(async (r) => {
      if (!r.ok) throw new Error(`GET ${item.url.replace(/\?.*/, '')} answered ${r.status}`);
      const bytes = await r.arrayBuffer();
      if (bytes.byteLength !== item.rows * item.cols * 4) throw new Error(`item ${item.id} has ${bytes.byteLength} bytes`);
      const values = new Float32Array(bytes);
      dataCache.put(item.id, values);
      return values;
    }).finally(() => {
      if (fetching.get(item.id) === entry) fetching.delete(item.id);
    });
    entry = { promise, controller, waiters: new Set() };
    fetching.set(item.id, entry);
  }
  entry.waiters.add(assignmentId);
  return entry.promise;
}

/**
 * A slices of chunks the server set aside for this tab (PROTOCOL.md §4, `prefetch`): fetched into
 * the cache now, those it neither holds nor is fetching; answers how many fetches it started. A
 * failure is the later chunk's to meet (it fetches again).
 */
export function fetchAhead(items) {
  let started = 0;
  for (const item of items) {
    if (dataCache.get(item.id) || fetching.has(item.id)) continue;
    started++;
    dataItem(item, 'ahead').catch(() => {});
  }
  return started;
}

/** The chunks of these leases no longer wait on their inputs: a fetch left with no chunk is aborted. */
export function abandonFetches(assignmentIds) {
  for (const [id, entry] of fetching) {
    for (const assignmentId of assignmentIds) entry.waiters.delete(assignmentId);
    if (entry.waiters.size === 0) abort(id, entry);
  }
}

/** Every fetch aborted (a new session: no lease of the old one stands). */
export function abandonAllFetches() {
  for (const [id, entry] of fetching) abort(id, entry);
}

// Out of the map at once: a chunk arriving before the promise settles starts a fresh GET.
function abort(id, entry) {
  fetching.delete(id);
  entry.controller.abort();
}

export function uploadResult(held, m) {
  const url = dataUrl(`${held.upload}&computeMs=${m.computeMs}&waitMs=${m.waitMs}`);
  fetch(url, { method: 'PUT', credentials: 'omit', headers: { 'content-type': 'application/octet-stream' }, body: m.c })
    .then(async (r) => {
      if (r.status === 204) return;
      const text = (await r.text()).slice(0, 300);
      if (r.status === 200) note(`chunk ${held.chunkIndex} was not needed any more: ${late(text)}`, 'info');
      else note(`the server refused our upload for chunk ${held.chunkIndex}: ${r.status} ${text}`, 'warn');
    })
    .catch((e) => note(`could not upload chunk ${held.chunkIndex}: ${e.message}`, 'warn'));
}

// A 200 to an upload: its lease was withdrawn while the result was on its way ({late, message}).
function late(text) {
  try {
    return JSON.parse(text).message || text;
  } catch {
    return text;
  }
}
