// The worker tab's session: registration on the event bus, heartbeats, a new scheduler's
// announce, and following the cluster's nodes across closes and moves (docs/PROTOCOL.md).

import { EventBus } from '../eventbus.js';
import { createTimers } from '../timers.js';
import {
  ADDR, PROTOCOL_VERSION, MAX_HOLDS, ADAPTER_MAX, cleanName, messageType, validateRegisterReply, validateStats,
} from './protocol.js';
import { claimFreshWorkerId, saveName } from './identity.js';
import * as ui from './ui.js';
import { requestedMemory, requestedSlots, workerKey } from './settings.js';
import { state, nodes, note } from './tab-state.js';
import { dataCache } from './data-plane.js';
import { dropEverything, onB, onCancel, onChunk, onRelease, whenHoldingsChange } from './chunks.js';

whenHoldingsChange(() => register());

const REGISTER_TIMEOUT_MS = 10000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10000;

/** Opens the event bus (reconnecting) and registers on every open. */
export function connect() {
  state.timers = createTimers();
  state.eb = new EventBus('/eventbus', {
    pingIntervalMs: 5000,
    reconnect: true,
    reconnectMinMs: RETRY_MIN_MS,
    reconnectMaxMs: RETRY_MAX_MS,
    timers: state.timers,
  });
  state.eb.onopen = onOpen;
  state.eb.onclose = onClose;
  state.eb.register(ADDR.ANNOUNCE, onSchedulerAnnounce);
  state.eb.onerror = (frame) => note(`bridge: ${typeof frame.body === 'string' ? frame.body : 'error'}`, 'warn');
}

function backoff(attempt) {
  const base = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(attempt, 20));
  return Math.round(base / 2 + Math.random() * base / 2);
}

function onPrivateMessage(body) {
  const type = messageType(body);
  if (!type) {
    note('ignored a message without a type', 'warn');
    return;
  }
  switch (type) {
    case 'b': return onB(body);
    case 'chunk': return onChunk(body);
    case 'cancel': return onCancel(body);
    case 'release': return onRelease(body);
    case 'stats': return onStats(body);
    case 'refused': return onRefused(body);
    case 'move': return onMove(body);
    default:
      note(`ignored a message of unknown type "${String(type).slice(0, 40)}"`, 'warn');
  }
}

/** The server refused one of our results (it failed the check, or a field was malformed): no credit. */
function onRefused(body) {
  const reason = typeof body.reason === 'string' ? body.reason.slice(0, 300) : 'no reason given';
  const chunk = Number.isInteger(body.chunkIndex) ? body.chunkIndex : '?';
  note(`the server refused our result for chunk ${chunk}: ${reason}`, 'warn');
}

function onStats(body) {
  const v = validateStats(body);
  if (!v.ok) {
    note(v.error, 'warn');
    return;
  }
  ui.setStanding(v.value);
}

/**
 * The budget for one chunk (A panel + B panel + C block): each of the three is one buffer of at
 * most maxBufferBytes, and all of them together at most a quarter of navigator.deviceMemory
 * (GiB, where the browser tells it); ?memory= overrides it (tests).
 */
function declaredMemoryBytes(info) {
  if (requestedMemory !== undefined) return requestedMemory;
  let bytes = Number.isSafeInteger(info.maxBufferBytes) && info.maxBufferBytes > 0 ? 3 * info.maxBufferBytes : undefined;
  const gib = Number(navigator.deviceMemory);
  if (Number.isFinite(gib) && gib > 0) bytes = Math.min(bytes === undefined ? Infinity : bytes, gib * 1024 ** 3 / 4);
  return bytes === undefined ? undefined : Math.floor(bytes);
}

function registerBody() {
  const info = state.engineInfo;
  const body = {
    protocol: PROTOCOL_VERSION,
    workerId: state.workerId,
    name: state.name,
    engine: info.engine,
    adapter: String(info.adapter).slice(0, ADAPTER_MAX),
    slots: requestedSlots,
  };
  if (Number.isFinite(info.opsPerMs) && info.opsPerMs > 0) body.opsPerMs = info.opsPerMs;
  if (Number.isSafeInteger(info.maxBufferBytes) && info.maxBufferBytes > 0) body.maxBufferBytes = info.maxBufferBytes;
  const memory = declaredMemoryBytes(info);
  if (Number.isSafeInteger(memory) && memory >= 1024) {
    body.memoryBytes = memory;
    document.body.dataset.memoryBytes = String(memory);
  }
  if (workerKey) body.key = workerKey;
  body.holds = dataCache.ids(MAX_HOLDS);
  return body;
}

function scheduleRegister(delayMs) {
  clearTimeout(state.registerTimer);
  state.registerTimer = setTimeout(() => {
    state.registerTimer = null;
    register();
  }, delayMs);
}

export async function register() {
  const eb = state.eb;
  if (!eb || !eb.isOpen || state.registering) return;
  const epoch = state.connEpoch;
  state.registering = true;
  const body = registerBody();
  let reply;
  try {
    reply = await eb.request(ADDR.REGISTER, body, { timeoutMs: REGISTER_TIMEOUT_MS });
  } catch (e) {
    state.registering = false;
    if (epoch !== state.connEpoch) return;
    const code = e.failureCode ? ` (${e.failureCode})` : '';
    note(`register refused${code}: ${e.message}`, 'warn');
    if (e.failureCode === 409) {
      // The server already has this worker id on another live session (another tab?).
      state.workerId = await claimFreshWorkerId();
      ui.setIdentity(state.workerId, state.name);
      note(`using a fresh worker id ${state.workerId}`, 'warn');
    }
    const delay = backoff(state.registerAttempt++);
    scheduleRegister(delay);
    return;
  }
  state.registering = false;
  if (epoch !== state.connEpoch) return;
  const v = validateRegisterReply(reply, requestedSlots);
  if (!v.ok) {
    note(v.error, 'warn');
    scheduleRegister(backoff(state.registerAttempt++));
    return;
  }
  state.registerAttempt = 0;
  learnNodes(reply);
  adoptSession(v.value);
  // The name was edited while this registration was out: send it again.
  if (state.name !== body.name) register();
}

function adoptSession(s) {
  const previous = state.session;
  if (previous && previous.sessionId === s.sessionId) {
    const restart = previous.heartbeatIntervalMs !== s.heartbeatIntervalMs;
    Object.assign(previous, s);
    if (restart) startHeartbeat();
    note('registration updated');
    return;
  }
  if (previous) dropEverything('new session');
  state.session = s;
  // Re-register the handler: a fresh register frame tells the server the
  // session's handler is live (the bridge refuses a second register of an
  // address the socket already holds, hence the unregister first).
  if (state.privateAddress) state.eb.unregister(state.privateAddress);
  state.privateAddress = s.address;
  state.eb.register(s.address, onPrivateMessage);
  ui.setText('slots', s.slots === requestedSlots ? String(s.slots) : `${s.slots} (asked ${requestedSlots})`);
  ui.setText('session-id', s.sessionId);
  startHeartbeat();
  // The bridge handles a socket's frames in order, so once this heartbeat is
  // answered the register frame above has been processed too.
  heartbeat(true);
}

function startHeartbeat() {
  stopHeartbeat();
  state.heartbeatTimer = state.timers.setInterval(() => heartbeat(false), state.session.heartbeatIntervalMs);
}

function stopHeartbeat() {
  if (state.heartbeatTimer !== null) state.timers.clearInterval(state.heartbeatTimer);
  state.heartbeatTimer = null;
}

async function heartbeat(first) {
  const session = state.session;
  const eb = state.eb;
  if (!session || !eb || !eb.isOpen) return;
  if (state.heartbeatPending && !first) return; // the previous one is still out
  const token = {};
  state.heartbeatPending = token;
  try {
    await eb.request(ADDR.HEARTBEAT, { sessionId: session.sessionId, busy: state.held.size },
      { timeoutMs: Math.max(1000, session.heartbeatTimeoutMs) });
    if (first && state.session === session) markRegistered();
  } catch (e) {
    if (state.session !== session) return;
    if (e.failureCode === 404) {
      note('the server no longer knows this session; registering again', 'warn');
      sessionLost();
    } else if (first) {
      // Registered all the same; the next heartbeat will tell.
      markRegistered();
      note('heartbeat: ' + e.message, 'warn');
    } else if (eb.isOpen) {
      note('heartbeat: ' + e.message, 'warn');
    }
  } finally {
    if (state.heartbeatPending === token) state.heartbeatPending = null;
  }
}

function markRegistered() {
  ui.setConnection('connected');
  ui.setReady(true);
  note(`registered as ${state.name} (${state.engineInfo.engine}, ${state.session.slots} slot${state.session.slots === 1 ? '' : 's'})`, 'ok');
}

function sessionLost() {
  stopHeartbeat();
  state.session = null;
  state.heartbeatPending = null;
  ui.setReady(false);
  ui.setConnection('connecting');
  dropEverything('session lost');
  register();
}

// A new scheduler was elected (failover): register again on this socket, with
// the same identity; its new session replaces the old one (adoptSession).
function onSchedulerAnnounce() {
  if (state.eb && state.eb.isOpen && state.session) register();
}

function onOpen() {
  state.connEpoch++;
  state.registerAttempt = 0;
  ui.setConnection('connecting');
  note('connected to the bridge');
  register();
}

function onClose(detail) {
  state.connEpoch++;
  const wasRegistered = !!state.session;
  stopHeartbeat();
  clearTimeout(state.registerTimer);
  state.registering = false;
  state.heartbeatPending = null;
  state.session = null;
  if (state.privateAddress) {
    state.eb.unregister(state.privateAddress); // local only: the socket is gone
    state.privateAddress = null;
  }
  ui.setReady(false);
  dropEverything('connection lost');
  const retry = detail && detail.reconnectInMs != null ? `retrying in ${(detail.reconnectInMs / 1000).toFixed(1)} s` : '';
  ui.setConnection('disconnected', retry);
  if (wasRegistered || (detail && detail.wasOpen)) note('connection lost' + (retry ? '; ' + retry : ''), 'warn');
  ui.setText('session-id', '–');
  followNodes();
}

let moving = false;

function learnNodes(reply) {
  nodes.learn(reply && reply.nodes);
}

/** After a close: the reconnect goes to the node a stopping one named, else to the next node in turn. */
function followNodes() {
  if (!moving) nodes.next();
  moving = false;
  state.eb.url = nodes.busUrl();
}

/** {type: "move", nodes}: our node is stopping; leave it now for another. */
function onMove(body) {
  const to = nodes.moveTo(body.nodes);
  note(`this node is stopping; moving to ${to}`, 'warn');
  moving = true;
  state.eb.drop();
}

export function onNameEdited(value) {
  const clean = cleanName(value);
  if (!clean || clean === state.name) {
    ui.setNameValue(state.name);
    return;
  }
  state.name = saveName(clean);
  ui.setNameValue(state.name);
  note(`name set to ${state.name}`);
  // Registering again on the same socket answers the same session, with the new name
  // (if a registration is already out, register() sends it again when that one is answered).
  if (state.session) register();
}
