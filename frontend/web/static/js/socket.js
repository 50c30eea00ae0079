// The live connection: one WebSocket to /ws speaking docs/protocol.md.
//
// It keeps the set of channels the app wants and the last sequence number
// seen on each persisted one. After every (re)connect it subscribes to all
// of them again with since = that sequence, so the server replays exactly
// what was missed; events at or below the last seen sequence are dropped,
// so nothing shows twice. Reconnects back off exponentially with jitter and
// follow the close codes of hub/closecodes.go.

import { Emitter } from './dom.js';

// Close codes (hub/closecodes.go).
export const Close = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  TOO_BIG: 1009,
  INTERNAL: 1011,
  TRY_AGAIN_LATER: 1013,
  SLOW_CONSUMER: 4001,
  PROTOCOL_ERROR: 4002,
  AUTH_REVOKED: 4003,
  RATE_LIMITED: 4008,
  TOO_MANY_SOCKETS: 4009,
};

const BASE_DELAY = 1000;
const MAX_DELAY = 30000;
const REQUEST_TIMEOUT = 15000;
const PING_EVERY = 25000;
const PING_TIMEOUT = 10000;
// The server allows 20 frames/s with bursts of 40 per connection and drops
// frames over it; stay below with a token bucket of our own.
const RATE_PER_SEC = 15;
const RATE_BURST = 30;

export function persisted(channel) {
  return channel.startsWith('topic:') || channel.startsWith('conversation:') || channel.startsWith('note:');
}

// Socket emits: state (state, detail), event (frame), reload (frame),
// unsubscribed (frame), subscribed (frame), revoked, hello (frame).
export class Socket extends Emitter {
  constructor(url) {
    super();
    this.url = url || ((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws?v=1');
    this.ws = null;
    this.state = 'idle';
    this.attempt = 0;
    this.retryTimer = 0;
    this.retryAt = 0;
    this.stopped = true;
    this.nextId = 1;
    this.pending = new Map(); // request id -> {resolve, reject, timer}
    // channel name -> {lastSeq: number|null, resyncing: bool}
    this.channels = new Map();
    this.userChannel = '';
    this.pingTimer = 0;
    this.outbox = []; // frames waiting for a token
    this.tokens = RATE_BURST;
    this.tokensAt = Date.now();
    this.pumpTimer = 0;
    // The channel the user looks at is resubscribed first.
    this.priority = '';
    this.onlineHandler = () => this.reconnectNow();
    // Checks whether a failed connect is a lost session; set by the app.
    this.checkSession = null;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.onlineHandler);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onlineHandler);
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(Close.NORMAL);
    this.failAll('stopped');
    this.channels.clear(); // the next session subscribes anew
    this.setState('idle');
  }

  setState(state, detail) {
    this.state = state;
    this.emit('state', state, detail || {});
  }

  connect() {
    clearTimeout(this.retryTimer);
    if (this.stopped) return;
    this.setState(this.attempt ? 'reconnecting' : 'connecting');
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      console.warn('socket: cannot connect', e);
      this.scheduleRetry(Close.INTERNAL, false);
      return;
    }
    this.ws = ws;
    ws.helloSeen = false;
    ws.onmessage = (e) => {
      if (ws !== this.ws || typeof e.data !== 'string') return;
      // Several frames may share one message, one per line.
      for (const line of e.data.split('\n')) {
        if (!line.trim()) continue;
        let f;
        try {
          f = JSON.parse(line);
        } catch {
          console.warn('socket: unreadable frame');
          continue;
        }
        this.handle(ws, f);
      }
    };
    ws.onclose = (e) => this.onClose(ws, e);
    ws.onerror = () => { /* a close event follows */ };
  }

  // reconnectNow skips the remaining backoff (the browser came online, or
  // the user asked).
  reconnectNow() {
    if (this.stopped || this.ws) return;
    this.attempt = Math.max(this.attempt, 1);
    this.connect();
  }

  handle(ws, f) {
    switch (f.type) {
      case 'hello':
        ws.helloSeen = true;
        this.attempt = 0;
        this.userChannel = f.user_channel;
        this.startPing(ws, f.ping_interval_ms);
        this.setState('online');
        this.emit('hello', f);
        this.outbox = [];
        this.tokens = RATE_BURST;
        for (const [name, ch] of [...this.channels].sort(([a], [b]) => (b === this.priority) - (a === this.priority))) {
          ch.resyncing = false;
          this.sendSubscribe(name, ch);
        }
        return;
      case 'event': {
        const ch = this.channels.get(f.channel);
        if (ch && f.seq) {
          if (ch.lastSeq != null && f.seq <= ch.lastSeq) return; // seen already
          if (ch.lastSeq != null && f.seq > ch.lastSeq + 1) {
            // A gap should never happen; if it does, resubscribe from what
            // we have and let the server replay.
            console.warn('socket: gap in', f.channel, ch.lastSeq, '->', f.seq);
            this.resync(f.channel);
            return;
          }
          if (ch.resyncing) return;
          ch.lastSeq = f.seq;
        }
        this.emit('event', f);
        return;
      }
      case 'subscribed': {
        const ch = this.channels.get(f.channel);
        if (ch && f.last_seq != null && persisted(f.channel) && ch.lastSeq == null) ch.lastSeq = f.last_seq;
        this.emit('subscribed', f);
        break;
      }
      case 'reload': {
        // The server could not replay the gap: the app reloads the thread.
        const ch = this.channels.get(f.channel);
        if (ch) ch.lastSeq = f.last_seq;
        this.emit('reload', f);
        return;
      }
      case 'unsubscribed':
        if (f.reason !== 'client') this.channels.delete(f.channel);
        this.emit('unsubscribed', f);
        break;
      case 'error':
        if (f.id == null) console.warn('socket error frame:', f.code, f.message);
        break;
    }
    if (f.id != null) {
      const req = this.pending.get(f.id);
      if (req) {
        this.pending.delete(f.id);
        clearTimeout(req.timer);
        if (f.type === 'error') {
          const err = new Error(f.message || f.code);
          err.code = f.code;
          req.reject(err);
        } else req.resolve(f);
      }
    }
  }

  startPing(ws, serverInterval) {
    clearInterval(this.pingTimer);
    const every = Math.min(PING_EVERY, Math.max(5000, serverInterval || PING_EVERY));
    this.pingTimer = setInterval(() => {
      if (ws !== this.ws) return;
      this.request({ type: 'ping' }, PING_TIMEOUT).catch(() => {
        // No answer: the connection is dead without a close; drop it.
        if (ws === this.ws) {
          console.warn('socket: no pong, reconnecting');
          ws.close(4000, 'no pong');
          this.onClose(ws, { code: 1006, reason: 'no pong' });
        }
      });
    }, every);
  }

  onClose(ws, e) {
    if (ws !== this.ws) return;
    this.ws = null;
    clearInterval(this.pingTimer);
    clearTimeout(this.pumpTimer);
    this.outbox = [];
    this.failAll('disconnected');
    this.emit('closed', e.code);
    if (this.stopped) return;
    switch (e.code) {
      case Close.AUTH_REVOKED:
        this.stopped = true;
        this.channels.clear();
        this.setState('revoked');
        this.emit('revoked');
        return;
      case Close.PROTOCOL_ERROR:
        // A client bug: reconnecting would repeat it.
        this.setState('failed', { code: e.code });
        return;
      case Close.NORMAL:
        this.setState('closed', { code: e.code });
        return;
    }
    this.scheduleRetry(e.code, ws.helloSeen);
  }

  async scheduleRetry(code, hadHello) {
    if (!hadHello && this.checkSession) {
      // The upgrade itself failed: a lost session looks just like a
      // network error to the browser, so ask the API.
      try {
        if (!(await this.checkSession())) {
          this.stopped = true;
          this.setState('revoked');
          this.emit('revoked');
          return;
        }
      } catch {
        // offline: retry below
      }
      if (this.stopped) return;
    }
    const n = this.attempt++;
    const exp = Math.min(MAX_DELAY, BASE_DELAY * 2 ** n);
    let delay = exp / 2 + Math.random() * (exp / 2); // jitter
    switch (code) {
      case Close.GOING_AWAY:
        delay = n === 0 ? Math.random() * 500 : delay; // another node is ready
        break;
      case Close.SLOW_CONSUMER:
        delay = 250 + Math.random() * 1500;
        break;
      case Close.RATE_LIMITED:
        delay = Math.max(10000, delay) + Math.random() * 5000;
        break;
      case Close.TOO_MANY_SOCKETS:
        delay = Math.max(30000, delay) + Math.random() * 15000;
        break;
    }
    this.retryAt = Date.now() + delay;
    this.setState('reconnecting', { at: this.retryAt, code });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  failAll(reason) {
    for (const [id, req] of this.pending) {
      clearTimeout(req.timer);
      const err = new Error(reason);
      err.code = 'offline';
      req.reject(err);
      this.pending.delete(id);
    }
  }

  get online() {
    return this.state === 'online' && this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  // send writes a frame without waiting for an answer; false when offline.
  send(frame) {
    if (!this.online) return false;
    this.write(JSON.stringify(frame));
    return true;
  }

  // write sends a frame now if the rate allows, else queues it.
  write(text) {
    this.outbox.push(text);
    this.pump();
  }

  pump() {
    clearTimeout(this.pumpTimer);
    const now = Date.now();
    this.tokens = Math.min(RATE_BURST, this.tokens + ((now - this.tokensAt) / 1000) * RATE_PER_SEC);
    this.tokensAt = now;
    while (this.outbox.length && this.tokens >= 1) {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
        this.outbox = [];
        return;
      }
      this.ws.send(this.outbox.shift());
      this.tokens -= 1;
    }
    if (this.outbox.length) this.pumpTimer = setTimeout(() => this.pump(), Math.ceil(1000 / RATE_PER_SEC));
  }

  // request sends a frame with an id and resolves with the answer frame
  // (ack, subscribed, history, presence, pong), or rejects with the error
  // frame's code and message.
  request(frame, timeout = REQUEST_TIMEOUT) {
    if (!this.online) {
      const err = new Error('offline');
      err.code = 'offline';
      return Promise.reject(err);
    }
    const id = 'r' + this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        const err = new Error('timeout');
        err.code = 'timeout';
        reject(err);
      }, timeout);
      this.pending.set(id, { resolve, reject, timer });
      this.write(JSON.stringify({ ...frame, id }));
    });
  }

  // subscribe keeps the channel subscribed across reconnects. since: the
  // last seq the app has (events after it are replayed), or null for "from
  // now on".
  subscribe(name, since) {
    // An existing subscription keeps its own position: moving it forward
    // would skip events that are still to be replayed.
    if (this.channels.has(name)) return;
    const ch = { lastSeq: since == null ? null : since, resyncing: false };
    this.channels.set(name, ch);
    if (this.online) this.sendSubscribe(name, ch);
  }

  unsubscribe(name) {
    if (!this.channels.delete(name)) return;
    this.send({ type: 'unsubscribe', channel: name });
  }

  has(name) {
    return this.channels.has(name);
  }

  lastSeq(name) {
    return this.channels.get(name)?.lastSeq ?? null;
  }

  sendSubscribe(name, ch) {
    const frame = { type: 'subscribe', channel: name };
    if (persisted(name) && ch.lastSeq != null) frame.since = ch.lastSeq;
    this.request(frame).then(() => { ch.retryDelay = 0; }, (err) => {
      if (err.code === 'offline' || err.code === 'timeout') return; // resubscribed after reconnect
      if (err.code === 'conflict') return; // already subscribed
      if (err.code === 'unavailable') {
        // The server could not check access (its database is down): the
        // channel stays wanted and is asked for again, backing off to 8 s.
        ch.retryDelay = Math.min((ch.retryDelay || 250) * 2, 8000);
        setTimeout(() => {
          if (this.channels.get(name) === ch && this.online) this.sendSubscribe(name, ch);
        }, ch.retryDelay);
        return;
      }
      console.warn('socket: subscribe', name, err.code);
      this.channels.delete(name);
      this.emit('unsubscribed', { channel: name, reason: err.code || 'error' });
    });
  }

  // resync resubscribes a channel from its last seen seq.
  resync(name) {
    const ch = this.channels.get(name);
    if (!ch || ch.resyncing || !this.online) return;
    ch.resyncing = true;
    this.request({ type: 'unsubscribe', channel: name })
      .catch(() => {})
      .then(() => {
        if (this.channels.get(name) !== ch || !this.online) return;
        ch.resyncing = false;
        this.sendSubscribe(name, ch);
      });
  }
}
