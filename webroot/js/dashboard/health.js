// Grid health (health feed, every second) and the page's own event-bus connection.

import { $, setText } from './dom.js';
import { count, duration } from './format.js';
import { showNodes } from './nodes.js';

let lastHealthAt = 0;

export function showHealth(h) {
  if (!h || typeof h !== 'object') return;
  lastHealthAt = Date.now();
  const set = (id, v) => setText($(id), v);
  set('h-workers', count(h.activeWorkers));
  set('h-busy', `${count(h.busyWorkers)} computing`);
  set('h-queue', count(h.jobsInQueue));
  set('h-running', `${count(h.jobsRunning)} running`);
  set('h-completed', count(h.jobsCompleted));
  const ended = [];
  if (h.jobsFailed) ended.push(`${count(h.jobsFailed)} failed`);
  if (h.jobsCancelled) ended.push(`${count(h.jobsCancelled)} cancelled`);
  set('h-ended', ended.length ? ended.join(' · ') : 'none failed');
  set('h-response', h.avgResponseTimeMs ? duration(h.avgResponseTimeMs) : '–');
  set('h-sockets', h.bridge && h.bridge.status === 'up' ? `${count(h.bridge.openSockets)} open sockets` : 'bridge unavailable');
  set('h-uptime', `server up ${duration(h.uptimeMs)}`);
  const status = $('grid-status');
  const degraded = h.status !== 'up' || h.database !== 'up';
  status.dataset.state = degraded ? 'disconnected' : 'connected';
  setText(status, h.status === 'waiting' ? 'Waiting for a scheduler'
    : degraded ? `Grid degraded${h.database !== 'up' ? ' · database unavailable' : ''}` : 'Grid up');
  $('health').dataset.activeWorkers = String(h.activeWorkers ?? '');
  showNodes(h);
}

/** state: connecting | connected | disconnected; detail: extra words. */
export function showConnection(state, detail) {
  const pill = $('bus-status');
  pill.dataset.state = state;
  const words = { connecting: 'Connecting…', connected: 'Live', disconnected: 'Disconnected' }[state];
  setText(pill, detail ? `${words} · ${detail}` : words);
  pill.title = state === 'connected' ? 'Event bus connected: figures update live'
    : state === 'connecting' ? 'Connecting to the event bus' : 'Event bus disconnected: figures are not updating';
  const bus = $('h-bus');
  bus.dataset.state = state;
  setText(bus, state === 'connected' ? 'connected' : state === 'connecting' ? 'connecting' : 'offline');
  document.body.dataset.bus = state;
}

/** Marks the health figures stale when the feed stops while the socket claims to be open. */
export function healthAge() {
  return lastHealthAt ? Date.now() - lastHealthAt : Infinity;
}
