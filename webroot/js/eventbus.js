// A small client of the Vert.x event-bus bridge frame protocol over SockJS
// (docs/PROTOCOL.md §1). Generic: the worker tab and the dashboard both use it.
//
//   const eb = new EventBus('/eventbus', { pingIntervalMs: 5000 });
//   eb.onopen = () => { ... };                 // or eb.addEventListener('open', ...)
//   eb.register('some.address', (body, msg) => { ... });
//   const reply = await eb.request('some.service', { x: 1 }, { timeoutMs: 5000 });
//   eb.send('some.sink', { y: 2 });
//
// Events (also as on<name> callbacks): 'open', 'close' (detail: {code, reason,
// reconnectInMs}), 'error' (detail: the err frame, for err frames that answer
// no pending request, e.g. {"type":"err","body":"access_denied"}), and
// 'reconnecting' (detail: {attempt, delayMs}).
//
// With `reconnect: true` the bus reopens a dropped socket with exponential
// backoff and jitter, and re-sends a register frame for every address that
// still has handlers. Malformed frames are logged and ignored, never thrown.

import { randomUUID } from './uuid.js';

const REPLY_ADDRESS_MAX = 36;

export class EventBusError extends Error {
  constructor(message, { failureCode, failureType, address } = {}) {
    super(message);
    this.name = 'EventBusError';
    this.failureCode = failureCode;
    this.failureType = failureType;
    this.address = address;
  }
}

function defaultSocketFactory(url) {
  const SockJS = globalThis.SockJS;
  if (typeof SockJS !== 'function') {
    throw new Error('EventBus: SockJS is not loaded (add the sockjs-client <script> before this module)');
  }
  return new SockJS(url);
}

const defaultTimers = {
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (id) => clearInterval(id),
};

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export const EventBusState = Object.freeze({ CONNECTING: 'connecting', OPEN: 'open', CLOSED: 'closed' });

export class EventBus extends EventTarget {
  /**
   * @param {string} url               bridge URL, e.g. '/eventbus'
   * @param {object} [options]
   * @param {number} [options.pingIntervalMs=5000]   period of {"type":"ping"} frames
   * @param {number} [options.defaultTimeoutMs=30000] request timeout when none is given
   * @param {boolean} [options.reconnect=false]      reopen a dropped socket
   * @param {number} [options.reconnectMinMs=500]     first backoff delay
   * @param {number} [options.reconnectMaxMs=10000]   backoff cap
   * @param {(url:string)=>object} [options.socketFactory] makes the socket (default: new SockJS(url));
   *        anything with send/close/onopen/onmessage/onclose works, e.g. a WebSocket to /eventbus/websocket
   * @param {{setInterval:Function, clearInterval:Function}} [options.timers] interval source for pings
   *        (e.g. one driven by a Worker, which background tabs throttle less)
   * @param {Console} [options.logger=console]        where malformed frames are reported (warn level)
   */
  constructor(url, {
    pingIntervalMs = 5000,
    defaultTimeoutMs = 30000,
    reconnect = false,
    reconnectMinMs = 500,
    reconnectMaxMs = 10000,
    socketFactory = defaultSocketFactory,
    timers = defaultTimers,
    logger = console,
  } = {}) {
    super();
    this.url = url;
    this.pingIntervalMs = pingIntervalMs;
    this.defaultTimeoutMs = defaultTimeoutMs;
    this.reconnect = reconnect;
    this.reconnectMinMs = reconnectMinMs;
    this.reconnectMaxMs = reconnectMaxMs;
    this._socketFactory = socketFactory;
    this._timers = timers;
    this._log = logger;

    /** @type {Map<string, Set<Function>>} */
    this._handlers = new Map();
    /** @type {Map<string, {resolve:Function, reject:Function, timer:any}>} */
    this._pending = new Map();
    this._socket = null;
    this._pingTimer = null;
    this._reconnectTimer = null;
    this._attempt = 0;
    this._openedAt = 0;
    this._closedByUser = false;
    this.state = EventBusState.CONNECTING;

    this.onopen = null;
    this.onclose = null;
    this.onerror = null;
    this.onreconnecting = null;

    this._connect();
  }

  /** True while the socket is open. */
  get isOpen() {
    return this.state === EventBusState.OPEN;
  }

  // ------------------------------------------------------------ public API

  /** One-way message. Returns false (and sends nothing) when the socket is not open. */
  send(address, body, headers) {
    this._checkAddress(address);
    const frame = { type: 'send', address, body };
    if (headers) frame.headers = headers;
    return this._sendFrame(frame);
  }

  /**
   * Request/reply. Resolves with the reply body; rejects with an EventBusError
   * carrying failureCode/failureType on an err frame, or on timeout/close.
   * The reply address is a fresh crypto.randomUUID() (36 characters, the bridge's limit).
   * `onFrame`, if given, also sees the whole reply frame (headers, replyAddress).
   */
  request(address, body, { timeoutMs, headers, onFrame } = {}) {
    this._checkAddress(address);
    const timeout = timeoutMs ?? this.defaultTimeoutMs;
    return new Promise((resolve, reject) => {
      if (!this.isOpen) {
        reject(new EventBusError('event bus is not open', { address }));
        return;
      }
      const replyAddress = randomUUID();
      if (replyAddress.length > REPLY_ADDRESS_MAX) throw new Error('reply address too long');
      const entry = {
        resolve: (frame) => {
          if (onFrame) {
            try { onFrame(frame); } catch (e) { this._log.warn('EventBus: onFrame threw', e); }
          }
          resolve(frame.body);
        },
        reject,
        timer: null,
      };
      if (timeout > 0 && Number.isFinite(timeout)) {
        entry.timer = setTimeout(() => {
          if (this._pending.get(replyAddress) === entry) {
            this._pending.delete(replyAddress);
            reject(new EventBusError(`request to ${address} timed out after ${timeout} ms`,
              { address, failureType: 'TIMEOUT' }));
          }
        }, timeout);
      }
      this._pending.set(replyAddress, entry);
      const frame = { type: 'send', address, body, replyAddress };
      if (headers) frame.headers = headers;
      if (!this._sendFrame(frame)) {
        this._pending.delete(replyAddress);
        clearTimeout(entry.timer);
        reject(new EventBusError('could not send the request', { address }));
      }
    });
  }

  /**
   * Adds a handler for messages sent to `address`: handler(body, message) where
   * message = {address, body, headers, replyAddress, reply(body)}. The register
   * frame goes out with the first handler of an address (and again after a reconnect).
   */
  register(address, handler) {
    this._checkAddress(address);
    if (typeof handler !== 'function') throw new TypeError('EventBus.register: handler must be a function');
    let set = this._handlers.get(address);
    if (!set) {
      set = new Set();
      this._handlers.set(address, set);
      if (this.isOpen) this._sendFrame({ type: 'register', address });
    }
    set.add(handler);
    return () => this.unregister(address, handler);
  }

  /** Removes `handler` (or every handler) of `address`; the unregister frame goes out with the last one. */
  unregister(address, handler) {
    const set = this._handlers.get(address);
    if (!set) return false;
    if (handler) set.delete(handler); else set.clear();
    if (set.size === 0) {
      this._handlers.delete(address);
      if (this.isOpen) this._sendFrame({ type: 'unregister', address });
    }
    return true;
  }

  /** Closes for good: no reconnect, pending requests are rejected. */
  close() {
    this._closedByUser = true;
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = null;
    const s = this._socket;
    if (s) {
      try { s.close(); } catch (e) { /* already closing */ }
    }
    if (this.state !== EventBusState.CLOSED) this._onSocketClose({ code: 1000, reason: 'closed by client' }, s);
  }

  /** Drops the socket now, as if the network had (reconnects when enabled). Handy for tests. */
  drop() {
    const s = this._socket;
    if (s) {
      try { s.close(); } catch (e) { /* ignore */ }
      this._onSocketClose({ code: 4000, reason: 'dropped by client' }, s);
    }
  }

  // ------------------------------------------------------------ internals

  _checkAddress(address) {
    if (typeof address !== 'string' || address.length === 0) throw new TypeError('EventBus: address must be a non-empty string');
  }

  _emit(type, detail) {
    const cb = this['on' + type];
    if (typeof cb === 'function') {
      try { cb.call(this, detail); } catch (e) { this._log.warn(`EventBus: on${type} threw`, e); }
    }
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  _connect() {
    this.state = EventBusState.CONNECTING;
    let socket;
    try {
      socket = this._socketFactory(this.url);
    } catch (e) {
      this._log.warn('EventBus: could not open the socket', e);
      this._scheduleReconnect({ code: 0, reason: String(e && e.message || e) });
      return;
    }
    this._socket = socket;
    socket.onopen = () => {
      if (this._socket !== socket) return;
      this.state = EventBusState.OPEN;
      this._openedAt = Date.now();
      this._sendFrame({ type: 'ping' });
      this._pingTimer = this._timers.setInterval(() => this._sendFrame({ type: 'ping' }), this.pingIntervalMs);
      // Re-register addresses that kept their handlers across a reconnect.
      for (const address of this._handlers.keys()) this._sendFrame({ type: 'register', address });
      this._emit('open');
    };
    socket.onmessage = (e) => {
      if (this._socket !== socket) return;
      this._onData(e && e.data);
    };
    socket.onclose = (e) => this._onSocketClose(e || {}, socket);
  }

  _onSocketClose(e, socket) {
    if (socket && this._socket !== socket) return; // a socket we already left
    this._socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null;
    }
    if (this._pingTimer !== null) {
      this._timers.clearInterval(this._pingTimer);
      this._pingTimer = null;
    }
    const wasOpen = this.state === EventBusState.OPEN;
    // A socket that stayed up a while resets the backoff; one the server closes
    // right after opening (a crash loop, a refused frame) keeps it growing.
    if (wasOpen && Date.now() - this._openedAt >= this.reconnectMaxMs) this._attempt = 0;
    this.state = EventBusState.CLOSED;
    for (const [address, p] of this._pending) {
      clearTimeout(p.timer);
      p.reject(new EventBusError('event bus closed before the reply', { address, failureType: 'CLOSED' }));
    }
    this._pending.clear();
    const info = { code: e.code, reason: e.reason, wasOpen };
    if (this._closedByUser || !this.reconnect) {
      this._emit('close', { ...info, reconnectInMs: null });
      return;
    }
    this._scheduleReconnect(info);
  }

  _scheduleReconnect(info) {
    if (this._closedByUser || !this.reconnect) {
      this.state = EventBusState.CLOSED;
      this._emit('close', { ...info, reconnectInMs: null });
      return;
    }
    this.state = EventBusState.CLOSED;
    const base = Math.min(this.reconnectMaxMs, this.reconnectMinMs * 2 ** Math.min(this._attempt, 30));
    const delayMs = Math.round(base / 2 + Math.random() * base / 2); // "equal jitter"
    this._attempt++;
    this._emit('close', { ...info, reconnectInMs: delayMs });
    this._emit('reconnecting', { attempt: this._attempt, delayMs });
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = setTimeout(() => {
      this._reconnectTimer = null;
      if (!this._closedByUser) this._connect();
    }, delayMs);
  }

  _sendFrame(frame) {
    const s = this._socket;
    if (!s || this.state !== EventBusState.OPEN) return false;
    try {
      s.send(JSON.stringify(frame));
      return true;
    } catch (e) {
      this._log.warn('EventBus: send failed', e);
      return false;
    }
  }

  _onData(data) {
    let frame;
    try {
      if (typeof data !== 'string') throw new TypeError('non-text frame');
      frame = JSON.parse(data);
    } catch (e) {
      this._log.warn('EventBus: ignoring a frame that is not JSON', e && e.message);
      return;
    }
    try {
      this._onFrame(frame);
    } catch (e) {
      this._log.warn('EventBus: ignoring a frame that failed', e);
    }
  }

  _onFrame(frame) {
    if (!isPlainObject(frame) || typeof frame.type !== 'string') {
      this._log.warn('EventBus: ignoring a frame without a type');
      return;
    }
    switch (frame.type) {
      case 'rec':
        this._onRec(frame);
        return;
      case 'err':
        this._onErr(frame);
        return;
      case 'pong':
        return;
      default:
        this._log.warn('EventBus: ignoring a frame of unknown type', frame.type);
    }
  }

  _onRec(frame) {
    const address = frame.address;
    if (typeof address !== 'string') {
      this._log.warn('EventBus: ignoring a rec frame without an address');
      return;
    }
    const pending = this._pending.get(address);
    if (pending) {
      this._pending.delete(address);
      clearTimeout(pending.timer);
      pending.resolve(frame);
      return;
    }
    const set = this._handlers.get(address);
    if (!set || set.size === 0) return; // e.g. a late reply after a timeout
    const message = {
      address,
      body: frame.body,
      headers: isPlainObject(frame.headers) ? frame.headers : {},
      replyAddress: typeof frame.replyAddress === 'string' ? frame.replyAddress : undefined,
      reply: (body, opts) => {
        if (typeof frame.replyAddress !== 'string') throw new Error('EventBus: this message expects no reply');
        return opts && opts.expectReply
          ? this.request(frame.replyAddress, body, opts)
          : this.send(frame.replyAddress, body);
      },
    };
    for (const handler of [...set]) {
      try {
        handler(frame.body, message);
      } catch (e) {
        this._log.warn(`EventBus: handler of ${address} threw`, e);
      }
    }
  }

  _onErr(frame) {
    const address = typeof frame.address === 'string' ? frame.address : undefined;
    const pending = address !== undefined ? this._pending.get(address) : undefined;
    if (pending) {
      this._pending.delete(address);
      clearTimeout(pending.timer);
      pending.reject(new EventBusError(
        typeof frame.message === 'string' ? frame.message : 'request failed',
        {
          failureCode: Number.isFinite(frame.failureCode) ? frame.failureCode : undefined,
          failureType: typeof frame.failureType === 'string' ? frame.failureType : undefined,
          address,
        }));
      return;
    }
    this._emit('error', frame);
  }
}

export default EventBus;
