// Stable worker id and display name, kept in localStorage.
//
// The id is 'w-' + a UUID, created once per browser profile and kept across
// reloads. Several tabs of one browser would otherwise share it; a tab takes
// the first id of the profile's small pool that no other open tab holds
// (a Web Lock per id), so the first tab always gets the same id and a second
// concurrent tab gets a second, equally stable one.

import { WORKER_ID_RE, cleanName } from './protocol.js';
import { randomUUID } from '../uuid.js';

const ID_KEY = 'brain.workerId';
const EXTRA_IDS_KEY = 'brain.workerIds.extra';
const NAME_KEY = 'brain.workerName';
const POOL_MAX = 16;

const memory = new Map();
const store = {
  get(key) {
    try { return localStorage.getItem(key); } catch (e) { return memory.has(key) ? memory.get(key) : null; }
  },
  set(key, value) {
    try { localStorage.setItem(key, value); } catch (e) { memory.set(key, value); }
  },
};

export function newWorkerId() {
  return 'w-' + randomUUID();
}

function readPool() {
  let primary = store.get(ID_KEY);
  if (!primary || !WORKER_ID_RE.test(primary)) {
    primary = newWorkerId();
    store.set(ID_KEY, primary);
  }
  let extra = [];
  try {
    const parsed = JSON.parse(store.get(EXTRA_IDS_KEY) || '[]');
    if (Array.isArray(parsed)) extra = parsed.filter((id) => typeof id === 'string' && WORKER_ID_RE.test(id));
  } catch (e) { /* ignore a damaged list */ }
  return [primary, ...extra.filter((id) => id !== primary)];
}

function tryLock(name) {
  return new Promise((resolve) => {
    navigator.locks.request(name, { ifAvailable: true }, (lock) => {
      if (!lock) {
        resolve(false);
        return undefined;
      }
      resolve(true);
      return new Promise(() => {}); // held for as long as this tab lives
    }).catch(() => resolve(false));
  });
}

/** Resolves to this tab's worker id. */
export async function claimWorkerId() {
  const pool = readPool();
  if (!(globalThis.navigator && navigator.locks && typeof navigator.locks.request === 'function')) return pool[0];
  for (const id of pool) {
    if (await tryLock('brain.worker-id.' + id)) return id;
  }
  const id = newWorkerId();
  const extra = pool.slice(1);
  extra.push(id);
  store.set(EXTRA_IDS_KEY, JSON.stringify(extra.slice(-POOL_MAX)));
  await tryLock('brain.worker-id.' + id);
  return id;
}

/** A fresh id for this tab, when the server says the current one is taken (409). */
export async function claimFreshWorkerId() {
  const id = newWorkerId();
  const extra = readPool().slice(1);
  extra.push(id);
  store.set(EXTRA_IDS_KEY, JSON.stringify(extra.slice(-POOL_MAX)));
  if (globalThis.navigator && navigator.locks) await tryLock('brain.worker-id.' + id);
  return id;
}

export function loadName(workerId) {
  const saved = cleanName(store.get(NAME_KEY) || '');
  return saved || defaultName(workerId);
}

export function saveName(name) {
  const clean = cleanName(name);
  if (clean) store.set(NAME_KEY, clean);
  return clean;
}

export function defaultName(workerId) {
  return 'Worker ' + workerId.slice(2, 6);
}
