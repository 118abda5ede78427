// Bridge browser client: the MonoRail channel protocol (ws://host/{channel}) with automatic reconnection.
// One ES module, no build step. Served by the bridge at /client/bridge.js; also runs under Node with the
// `ws` package: new BridgeClient(url, { WebSocket: require('ws') }).
//
// Differences from RackHD's Messenger.js, on purpose:
// - reconnects with exponential backoff and jitter (not a fixed 30 s), and re-sends every active watch;
//   after a close with 1012 (the bridge is restarting) the first attempt is immediate;
// - disconnect() stays disconnected (Messenger's onclose still scheduled a reconnect);
// - a server `error` reply rejects the request it answers instead of throwing from an unheard 'error' event;
// - watches recover by default (issue 16 §1): each keeps the last `position` it received and re-sends it as
//   `since` after a reconnection, so what was published meanwhile arrives (in order, once), followed by a
//   `recovered` event ({recovered: true|false, missed}); `recover: false` in the options turns it off. A watch
//   the bridge cannot recover (`not_supported`, e.g. an exchange without retention) is sent again without
//   `recover`, and says so once: a `recovered` event with {recovered: false, supported: false, reason}.
//
// The protocol has no correlation ids. Replies are matched to requests by (reply kind, resource) in FIFO
// order: the bridge answers the messages of one connection in order. A `get` answer and a watch event share
// the item/remove shapes: while a get on R is pending, an `item` whose id is not a waterline pair
// (["updated","<id>"]) answers it, and a `remove` answers it when its data equals the get's params.
// An mq item names its routing key, not its exchange: it goes to the mq watches whose pattern matches, so
// overlapping patterns on different exchanges need one client (connection) per exchange.

const OPEN = 1;
const SERVICE_RESTART = 1012;

export class BridgeClient {
  /**
   * @param {string} [url] ws://host:port/{channel}; defaults to the page's host, path "/".
   * @param {object} [options] { token, WebSocket, reconnectDelay (ms, 250), maxReconnectDelay (ms, 10000),
   *   requestTimeout (ms, 30000), connectTimeout (ms, 10000), recover (true) }
   */
  constructor(url, options = {}) {
    this.url = url ?? defaultUrl();
    this.options = {
      reconnectDelay: 250,
      maxReconnectDelay: 10000,
      requestTimeout: 30000,
      connectTimeout: 10000,
      recover: true,
      ...options,
    };
    this.WebSocket = options.WebSocket ?? globalThis.WebSocket;
    if (!this.WebSocket) throw new Error('no WebSocket implementation: pass { WebSocket } (e.g. the ws package)');
    this.defaultResource = decodeURIComponent(new URL(this.url.replace(/^ws/, 'http')).pathname.replace(/^\/+|\/+$/g, ''));
    this.sessionId = null;
    this.state = 'idle'; // idle | connecting | open | reconnecting | closed
    this._listeners = new Map();
    this._pending = new Map(); // "kind\nresource" -> [{ params, resolve, reject }]
    this._watches = []; // WatchHandle
    this._socket = null;
    this._attempt = 0;
    this._timer = null;
    this._everReady = false;
    this._readyWaiters = [];
  }

  // ---- events: ready, session, open, close, status, item, remove, list, error, message ----
  on(event, fn) {
    if (!this._listeners.has(event)) this._listeners.set(event, new Set());
    this._listeners.get(event).add(fn);
    return this;
  }

  off(event, fn) {
    this._listeners.get(event)?.delete(fn);
    return this;
  }

  once(event, fn) {
    const wrapper = (...args) => { this.off(event, wrapper); fn(...args); };
    return this.on(event, wrapper);
  }

  _emit(event, ...args) {
    for (const fn of [...(this._listeners.get(event) ?? [])]) {
      try { fn(...args); } catch (err) { console.error(`bridge client: a '${event}' listener threw`, err); }
    }
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this._emit('status', state);
  }

  /** Opens the connection; resolves at the first 'ready'. Keeps retrying (with backoff) until then and after every drop. */
  connect() {
    if (this.state === 'closed') return Promise.reject(new Error('the client was disconnected; create a new one'));
    if (this.state === 'idle') {
      this._setState('connecting');
      this._open();
    }
    return this.ready();
  }

  /** Resolves when the connection is ready (immediately if it is). */
  ready() {
    if (this.state === 'open') return Promise.resolve(this.sessionId);
    if (this.state === 'closed') return Promise.reject(new Error('disconnected'));
    return new Promise((resolve, reject) => this._readyWaiters.push({ resolve, reject }));
  }

  /** Closes the connection for good: no reconnection, watches end, pending requests fail. */
  disconnect() {
    if (this.state === 'closed') return;
    this._setState('closed');
    clearTimeout(this._timer);
    const socket = this._socket;
    this._socket = null;
    if (socket) {
      detach(socket);
      try { socket.close(1000, 'client disconnect'); } catch { /* already closing */ }
    }
    this._failPending(new Error('disconnected'));
    for (const waiter of this._readyWaiters.splice(0)) waiter.reject(new Error('disconnected'));
    for (const watch of this._watches.splice(0)) watch._end();
    this._emit('close', { code: 1000, reason: 'client disconnect', willReconnect: false });
  }

  all(resource) { return this._request('all', 'list', resource, undefined); }

  query(params, resource) { return this._request('query', 'list', resource, params); }

  /** The first match as { resource, id, data }, or null when nothing matches. */
  async get(params, resource) {
    const reply = await this._request('get', 'get', resource, params);
    return reply.handler === 'item' ? reply : null;
  }

  /**
   * Starts a watch that survives reconnections. Returns a handle: handle.on('item'|'remove'|'list'|'event', fn),
   * `for await (const msg of handle)`, handle.stop().
   */
  watch(params, resource) {
    const name = this._resource(resource);
    const handle = new WatchHandle(this, name, params ?? null);
    const first = !this._watches.some((w) => w.key === handle.key);
    this._watches.push(handle);
    // The bridge ignores a repeated identical watch; send only the first.
    if (first && this.state === 'open') this._send(this._watchFrame(handle));
    return handle;
  }

  /** Ends this client's watches with these params on the resource (all of the resource's when params is omitted). */
  stop(params, resource) {
    const name = this._resource(resource);
    const key = params == null ? null : watchKey(name, params);
    const stopped = this._watches.filter((w) => w.resource === name && (key === null || w.key === key));
    this._watches = this._watches.filter((w) => !stopped.includes(w));
    for (const watch of stopped) watch._end();
    if (this.state === 'open') this._send(frame('stop', name, params ?? undefined));
  }

  _stopWatch(handle) {
    const index = this._watches.indexOf(handle);
    if (index < 0) return;
    this._watches.splice(index, 1);
    handle._end();
    const last = !this._watches.some((w) => w.key === handle.key);
    if (last && this.state === 'open') this._send(frame('stop', handle.resource, handle.params ?? {}));
  }

  _resource(resource) {
    const name = resource ?? this.defaultResource;
    if (!name) throw new Error('name a resource, or connect to ws://host/{resource}');
    return name;
  }

  _open() {
    let url = this.url;
    if (this.options.token) url += (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(this.options.token);
    let socket;
    try {
      socket = new this.WebSocket(url);
    } catch (err) {
      this._scheduleReconnect(err);
      return;
    }
    this._socket = socket;
    const handshake = setTimeout(() => { try { socket.close(); } catch { /* ignore */ } }, this.options.connectTimeout);
    socket.onopen = () => {
      this._emit('open');
      socket.send(JSON.stringify({ handler: 'init' }));
    };
    socket.onmessage = (event) => {
      let msg;
      try { msg = JSON.parse(typeof event.data === 'string' ? event.data : event.data.toString()); } catch { return; }
      if (msg?.handler === 'session') {
        clearTimeout(handshake);
        this._onSession(socket, msg.id);
        return;
      }
      this._dispatch(msg);
    };
    socket.onerror = () => { /* onclose follows and decides */ };
    socket.onclose = (event) => {
      clearTimeout(handshake);
      if (this._socket !== socket) return;
      this._socket = null;
      this.sessionId = null;
      this._failPending(new Error('the connection closed before the reply arrived'));
      if (this.state === 'closed') return;
      this._emit('close', { code: event?.code, reason: event?.reason, willReconnect: true });
      // 1012 (service restart): the bridge is being deployed and says so; reconnect now, to whichever
      // instance answers, rather than after a backoff. Later attempts back off as usual.
      this._scheduleReconnect(event?.code === SERVICE_RESTART);
    };
  }

  _onSession(socket, id) {
    this.sessionId = id;
    this._emit('session', id);
    const keys = new Set();
    for (const watch of this._watches) {
      if (keys.has(watch.key)) continue;
      keys.add(watch.key);
      socket.send(this._watchFrame(watch));
    }
    const reconnect = this._everReady;
    this._everReady = true;
    this._attempt = 0;
    this._setState('open');
    for (const waiter of this._readyWaiters.splice(0)) waiter.resolve(id);
    this._emit('ready', { sessionId: id, reconnect, watchesRestored: keys.size });
  }

  _scheduleReconnect(immediately = false) {
    if (this.state === 'closed') return;
    this._setState(this._everReady ? 'reconnecting' : 'connecting');
    // Exponential backoff with full jitter, capped.
    const cap = Math.min(this.options.maxReconnectDelay, this.options.reconnectDelay * 2 ** this._attempt);
    const delay = immediately ? 0 : cap / 2 + Math.random() * (cap / 2);
    this._attempt = Math.min(this._attempt + 1, 30);
    clearTimeout(this._timer);
    this._timer = setTimeout(() => { if (this.state !== 'closed') this._open(); }, delay);
  }

  _send(text) {
    const socket = this._socket;
    if (!socket || socket.readyState !== OPEN) throw new Error('not connected');
    socket.send(text);
  }

  async _request(handler, kind, resource, params) {
    const name = this._resource(resource);
    const deadline = Date.now() + this.options.requestTimeout;
    await withTimeout(this.ready(), this.options.requestTimeout, `no connection for '${handler}' on '${name}'`);
    return withTimeout(new Promise((resolve, reject) => {
      const key = kind + '\n' + name;
      const queue = this._pending.get(key) ?? [];
      this._pending.set(key, queue);
      // The request stays queued even after a timeout: its reply will still come and must be consumed by it.
      queue.push({ params: params ?? null, resolve, reject });
      try {
        this._send(frame(handler, name, params));
      } catch (err) {
        queue.splice(queue.length - 1, 1);
        reject(err);
      }
    }), Math.max(0, deadline - Date.now()), `no reply to '${handler}' on '${name}'`);
  }

  _take(kind, resource, accepts) {
    const queue = this._pending.get(kind + '\n' + resource);
    if (!queue || queue.length === 0 || !accepts(queue[0])) return null;
    return queue.shift();
  }

  _failPending(err) {
    for (const queue of this._pending.values()) for (const p of queue.splice(0)) p.reject(err);
    this._pending.clear();
  }

  /**
   * The bridge refused `recover` on a watch (`not_supported`): the watch goes on without it, and says so once. The
   * error names the refused watch by its params (`watch`); without them (an older bridge) it is taken for the only
   * recovering watch of its resource. A watch already sent without recover was refused for another reason.
   */
  _watchWithoutRecovery(resource, params, err) {
    const recovering = this._watches.filter((w) => w.resource === resource && w.recovers);
    let targets;
    if (params?.watch && typeof params.watch === 'object') {
      const key = watchKey(resource, Object.keys(params.watch).length ? params.watch : null);
      targets = recovering.filter((w) => w.key === key);
    } else {
      targets = new Set(recovering.map((w) => w.key)).size === 1 ? recovering : [];
    }
    if (targets.length === 0) return false;
    for (const w of targets) w.recovers = false;
    try { this._send(this._watchFrame(targets[0])); } catch { /* not connected: every watch is sent again on reconnection */ }
    const event = {
      handler: 'recovered', resource, params: targets[0].params ?? null,
      recovered: false, missed: 0, supported: false, reason: err.serverMessage,
    };
    this._emit('recovered', event);
    for (const w of targets) w._deliver(event);
    return true;
  }

  /** `watch`, with `recover` and, once the watch has a position, `since` (recovery, issue 16 §1). */
  _watchFrame(watch) {
    if (!this.options.recover || !watch.recovers) return frame('watch', watch.resource, watch.params ?? undefined);
    const message = { handler: 'watch', resource: watch.resource, recover: true };
    if (watch.params != null) message.params = watch.params;
    if (typeof watch.position === 'string') message.since = watch.position;
    return JSON.stringify(message);
  }

  _dispatch(msg) {
    if (!msg || typeof msg !== 'object') return;
    this._emit('message', msg);
    const resource = typeof msg.resource === 'string' ? msg.resource : this.defaultResource;
    let pending = null;
    switch (msg.handler) {
      case 'list':
        pending = this._take('list', resource, () => true);
        break;
      case 'item':
        pending = this._take('get', resource, () => !Array.isArray(msg.id));
        break;
      case 'remove':
        pending = this._take('get', resource, (p) => canonical(p.params) === canonical(msg.data));
        break;
      case 'error': {
        const request = msg.params?.request;
        const kind = request === 'query' || request === 'all' ? 'list' : request === 'get' ? 'get' : null;
        const err = Object.assign(new Error(`${msg.params?.code ?? 'error'}: ${msg.params?.message ?? ''}`), {
          code: msg.params?.code, serverMessage: msg.params?.message, request, resource: msg.resource,
        });
        if (request === 'watch' && err.code === 'not_supported' && this._watchWithoutRecovery(resource, msg.params, err)) return;
        const p = kind && this._take(kind, resource, () => true);
        if (p) p.reject(err);
        else this._emit('error', err);
        return;
      }
      case 'recovered': {
        // The end of a replay, for the watches with exactly these params (the bridge echoes them).
        this._emit('recovered', msg);
        const key = watchKey(resource, msg.params ?? null);
        for (const watch of this._watches) if (watch.key === key) watch._deliver(msg);
        return;
      }
      default:
        return;
    }
    if (pending) {
      pending.resolve(msg);
      return;
    }
    this._emit(msg.handler, msg);
    for (const watch of this._watches) if (watch._accepts(msg, resource)) watch._deliver(msg);
  }
}

class WatchHandle {
  constructor(client, resource, params) {
    this.client = client;
    this.resource = resource;
    this.params = params;
    this.key = watchKey(resource, params);
    // An mq item carries only its routing key: the pattern tells this watch's items from another mq watch's.
    this._routingKey = typeof params?.routingKey === 'string' ? params.routingKey : null;
    this._listeners = new Map();
    this._buffer = [];
    this._waiters = [];
    this._ended = false;
    this.position = null; // the last `position` received (recovery), sent as `since` after a reconnection
    this.recovers = true; // false once the bridge refused `recover` for it: sent without it from then on
  }

  on(event, fn) {
    if (!this._listeners.has(event)) this._listeners.set(event, new Set());
    this._listeners.get(event).add(fn);
    return this;
  }

  stop() { this.client._stopWatch(this); }

  _accepts(msg, resource) {
    if (resource !== this.resource) return false;
    if (this._routingKey && msg.handler === 'item' && typeof msg.id === 'string') return topicMatches(this._routingKey, msg.id);
    return true;
  }

  _deliver(msg) {
    if (typeof msg.position === 'string') this.position = msg.position;
    for (const event of [msg.handler, 'event']) {
      for (const fn of this._listeners.get(event) ?? []) {
        try { fn(msg); } catch (err) { console.error('bridge client: a watch listener threw', err); }
      }
    }
    // Only buffered for an iterator that is reading; listeners alone do not fill memory.
    if (this._iterating) {
      const waiter = this._waiters.shift();
      if (waiter) waiter({ value: msg, done: false });
      else if (this._buffer.push(msg) > 10000) this._buffer.shift();
    }
  }

  _end() {
    this._ended = true;
    for (const waiter of this._waiters.splice(0)) waiter({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    this._iterating = true;
    return {
      next: () => {
        if (this._buffer.length) return Promise.resolve({ value: this._buffer.shift(), done: false });
        if (this._ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this._waiters.push(resolve));
      },
      return: () => { this.stop(); return Promise.resolve({ value: undefined, done: true }); },
    };
  }
}

function defaultUrl() {
  const loc = globalThis.location;
  if (!loc) return 'ws://127.0.0.1:5000/';
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/`;
}

function detach(socket) {
  socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
}

function frame(handler, resource, params) {
  const message = { handler };
  if (resource !== undefined) message.resource = resource;
  if (params !== undefined) message.params = params;
  return JSON.stringify(message);
}

/** JSON with sorted keys: watch identity and get-miss matching must not depend on key order. */
function canonical(value) {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']';
  if (typeof value === 'object') {
    return '{' + Object.keys(value).sort().map((k) => JSON.stringify(k) + ':' + canonical(value[k])).join(',') + '}';
  }
  return JSON.stringify(value);
}

function watchKey(resource, params) {
  return resource + '\n' + (params == null ? '{}' : canonical(params));
}

/** AMQP topic matching: '*' is one word, '#' zero or more. */
export function topicMatches(pattern, key) {
  const p = pattern.split('.');
  const k = key.split('.');
  const match = (i, j) => {
    if (i === p.length) return j === k.length;
    if (p[i] === '#') {
      for (let s = j; s <= k.length; s++) if (match(i + 1, s)) return true;
      return false;
    }
    return j < k.length && (p[i] === '*' || p[i] === k[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

export default BridgeClient;
