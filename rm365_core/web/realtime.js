// realtime.js — the Socket.IO connection: rooms with acks, presence, events, reconnects.

import { io } from './vendor/socket.io.esm.min.js';

const ACK_TIMEOUT_MS = 10_000;
const MAX_AUTH_RETRIES = 3;
// The server drops presence entries not refreshed for a while (60 s by default) so that
// vanished clients disappear; pinging well within that keeps this page listed.
const PRESENCE_PING_MS = 15_000;

/**
 * One Socket.IO connection for the whole page.
 *
 * The server is the only source of data-change events; clients emit intents and
 * listen. Rooms joined here are joined again after every reconnect, with the last
 * presence state sent for each, so a dropped connection heals without the tabs noticing.
 */
export class Realtime {
  /**
   * @param {{getToken: () => string|null, refresh: () => Promise<unknown>, path?: string}} options
   */
  constructor({ getToken, refresh, path = '/ws/socket.io' }) {
    this.getToken = getToken;
    this.refreshToken = refresh;
    this.path = path;
    this.socket = null;
    this.status = 'offline'; // offline | connecting | online
    /** room -> {count, state, sentOn, waiters: [{resolve, reject}], ack} */
    this.rooms = new Map();
    /** event -> Set(fn); kept here so handlers survive a new socket after logout/login. */
    this.handlers = new Map();
    /** room -> last `presence` users list, so a presence bar drawn late starts filled. */
    this.presence = new Map();
    this.statusListeners = new Set();
    this.authRetries = 0;
    this.attached = new Set(); // events with a dispatcher on the current socket
    this.pingTimer = null;
  }

  /** Opens the connection (no-op when already open or opening). */
  connect() {
    if (this.socket) {
      if (!this.socket.connected && !this.socket.active) this.socket.connect();
      return;
    }
    const socket = io({
      path: this.path,
      // Websocket only: no long-polling means no sticky sessions are needed behind a balancer.
      transports: ['websocket'],
      autoConnect: false,
      // A callback, so each (re)connection sends the access token current at that moment.
      auth: (cb) => cb({ token: this.getToken() }),
    });
    this.socket = socket;
    this.attached = new Set();
    socket.on('connect', () => {
      this.authRetries = 0;
      this.setStatus('online');
      for (const room of this.rooms.keys()) this.syncRoom(room);
      this.startPing();
    });
    socket.on('disconnect', (reason) => {
      this.stopPing();
      this.setStatus('offline');
      for (const entry of this.rooms.values()) entry.sentOn = null;
      // The server closed us on purpose (e.g. a revoked token); socket.io will not retry.
      if (reason === 'io server disconnect') this.retryWithFreshToken();
    });
    socket.on('connect_error', () => {
      // `active` still true means a transport failure that socket.io retries by itself;
      // false means the server refused the handshake, most likely an expired token.
      if (socket.active) {
        this.setStatus('connecting');
        return;
      }
      this.setStatus('offline');
      this.retryWithFreshToken();
    });
    // The server took this connection out of a room (a tab was taken away): stop asking
    // for it on reconnects; tabs listening for 'room:left' can tell the user.
    socket.on('room:left', (payload) => {
      const room = payload?.room;
      if (typeof room === 'string') {
        this.rooms.delete(room);
        this.presence.delete(room);
      }
    });
    socket.on('presence', (payload) => {
      if (payload?.room && this.rooms.has(payload.room)) {
        this.presence.set(payload.room, Array.isArray(payload.users) ? payload.users : []);
      }
    });
    for (const event of this.handlers.keys()) this.attach(event);
    this.setStatus('connecting');
    socket.connect();
  }

  startPing() {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (this.socket?.connected && this.rooms.size) {
        // `{}` refreshes every room this connection is in.
        this.emit('presence:ping', {}).catch(() => {});
      }
    }, PRESENCE_PING_MS);
  }

  stopPing() {
    clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  /** Closes the connection and forgets rooms and presence (used at logout). */
  disconnect() {
    this.stopPing();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.removeAllListeners();
      socket.disconnect();
    }
    for (const entry of this.rooms.values()) {
      for (const waiter of entry.waiters) waiter.reject(new Error('Disconnected'));
    }
    this.rooms.clear();
    this.presence.clear();
    this.setStatus('offline');
  }

  async retryWithFreshToken() {
    const socket = this.socket;
    if (!socket || this.authRetries >= MAX_AUTH_RETRIES) return;
    this.authRetries += 1;
    try {
      await this.refreshToken();
    } catch {
      return; // the session is gone; the shell shows the login page
    }
    // Back off a little so a server that keeps refusing is not hammered.
    setTimeout(() => {
      if (this.socket === socket && !socket.connected) {
        this.setStatus('connecting');
        socket.connect();
      }
    }, 300 * this.authRetries);
  }

  setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    for (const fn of this.statusListeners) fn(status);
  }

  /** Calls `fn(status)` on every change of 'offline' | 'connecting' | 'online'. */
  onStatus(fn) {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  attach(event) {
    if (!this.socket || this.attached.has(event)) return;
    this.attached.add(event);
    this.socket.on(event, (...args) => {
      for (const fn of [...(this.handlers.get(event) || [])]) {
        try {
          fn(...args);
        } catch (err) {
          console.error(`realtime handler for "${event}" failed`, err);
        }
      }
    });
  }

  /** Listens to a server event; returns a function that stops listening. */
  on(event, fn) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event).add(fn);
    this.attach(event);
    return () => this.off(event, fn);
  }

  off(event, fn) {
    this.handlers.get(event)?.delete(fn);
  }

  /** Emits an event; resolves with the server's acknowledgement. */
  emit(event, data) {
    if (!this.socket) return Promise.reject(new Error('Not connected'));
    return this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, data);
  }

  /**
   * Joins a room (reference-counted: two joins need two leaves). Resolves with the ack
   * once connected; rejects with the server's error when it refuses (e.g. tab not held).
   */
  join(room) {
    let entry = this.rooms.get(room);
    if (entry) {
      entry.count += 1;
      if (entry.ack) return Promise.resolve(entry.ack);
    } else {
      entry = { count: 1, state: null, sentOn: null, waiters: [], ack: null };
      this.rooms.set(room, entry);
    }
    const promise = new Promise((resolve, reject) => entry.waiters.push({ resolve, reject }));
    this.syncRoom(room);
    return promise;
  }

  /** Leaves a room once its last user leaves it. */
  async leave(room) {
    const entry = this.rooms.get(room);
    if (!entry) return;
    entry.count -= 1;
    if (entry.count > 0) return;
    this.rooms.delete(room);
    this.presence.delete(room);
    if (this.socket?.connected && entry.sentOn) {
      try {
        await this.emit('leave', { room });
      } catch (err) {
        console.warn(`leave ${room} failed`, err);
      }
    }
  }

  /** Tells the room what this user is doing ({viewing, editing}); re-sent after reconnects. */
  async setPresence(room, state) {
    const entry = this.rooms.get(room);
    if (!entry) throw new Error(`Not in room ${room}`);
    entry.state = state;
    if (this.socket?.connected && entry.ack?.ok) {
      await this.emit('presence:update', { room, state }).catch((err) => console.warn(err));
    }
  }

  /** Sends the join (and the presence state) for a room if this connection has not yet. */
  async syncRoom(room) {
    const socket = this.socket;
    const entry = this.rooms.get(room);
    if (!socket?.connected || !entry || entry.sentOn === socket.id) return;
    entry.sentOn = socket.id;
    let ack;
    try {
      ack = await this.emit('join', { room });
    } catch (err) {
      entry.sentOn = null; // timed out: try again on the next connect
      console.warn(`join ${room} failed`, err);
      return;
    }
    if (this.rooms.get(room) !== entry) return; // left while waiting
    const waiters = entry.waiters.splice(0);
    if (ack?.ok) {
      entry.ack = ack;
      for (const waiter of waiters) waiter.resolve(ack);
      if (entry.state) {
        await this.emit('presence:update', { room, state: entry.state }).catch((err) => console.warn(err));
      }
    } else {
      this.rooms.delete(room);
      const error = new Error(ack?.error || `Cannot join ${room}`);
      for (const waiter of waiters) waiter.reject(error);
    }
  }

  /** The last known presence list of a room. */
  presenceOf(room) {
    return this.presence.get(room) || [];
  }

  /**
   * A view of this connection whose handlers and rooms are all released by `dispose()`;
   * the shell gives each mounted tab one so a tab cannot leak listeners.
   */
  scope() {
    const offs = new Set();
    const rooms = [];
    let disposed = false;
    const scoped = {
      on: (event, fn) => {
        const off = this.on(event, fn);
        offs.add(off);
        return () => {
          off();
          offs.delete(off);
        };
      },
      off: (event, fn) => this.off(event, fn),
      emit: (event, data) => this.emit(event, data),
      join: (room) => {
        rooms.push(room);
        return this.join(room);
      },
      leave: (room) => {
        const i = rooms.indexOf(room);
        if (i >= 0) rooms.splice(i, 1);
        return this.leave(room);
      },
      setPresence: (room, state) => this.setPresence(room, state),
      presenceOf: (room) => this.presenceOf(room),
      onStatus: (fn) => {
        const off = this.onStatus(fn);
        offs.add(off);
        return off;
      },
      get status() {
        return scoped._rt.status;
      },
      get connected() {
        return scoped._rt.status === 'online';
      },
      _rt: this,
      dispose: () => {
        if (disposed) return;
        disposed = true;
        for (const off of offs) off();
        offs.clear();
        for (const room of rooms.splice(0)) this.leave(room);
      },
    };
    return scoped;
  }
}
