'use strict';
// agora-rtm-rest for Node.js: an idiomatic layer over the napi-rs addon
// (classes, Error subclasses, AbortSignal, async iterators). It only translates:
// retries, parsing, rate limiting, polling and presence are the Rust client's.

const { inspect } = require('node:util');
const native = require('../index.js');
const errors = require('./errors.js');

const { fromNative, fromCode, InvalidInputError, AgoraRtmError } = errors;

const AUTH_FIELDS = {
  basic: ['customerId', 'customerSecret'],
  token: ['token'],
  legacyToken: ['token', 'uid'],
  mintedToken: ['appCertificate', 'userId'],
};

function invalid(field, rule) {
  return new InvalidInputError(`invalid ${field}: ${rule}`, { field });
}

function checkString(value, field, { optional = false } = {}) {
  if (value === undefined || value === null) {
    if (optional) return undefined;
    throw invalid(field, 'is required');
  }
  if (typeof value !== 'string') throw invalid(field, 'must be a string');
  return value;
}

function checkInt(value, field, { min = 0, max = 0xffffffff } = {}) {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, `must be an integer in ${min}..=${max}`);
  }
  return value;
}

function checkSignal(signal) {
  if (signal === undefined || signal === null) return undefined;
  if (typeof signal !== 'object' || typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function') {
    throw invalid('signal', 'must be an AbortSignal');
  }
  return signal;
}

function abortReason(signal) {
  if (signal.reason !== undefined) return signal.reason;
  const e = new Error('This operation was aborted');
  e.name = 'AbortError';
  return e;
}

/** Runs a native async call with an optional AbortSignal, mapping errors. */
// A page arrives as columns (ids in one string with end offsets, kinds as
// indexes, times as a Float64Array): V8 builds the objects far faster than
// Node-API can set their properties one by one.
function userEventsFromColumns({ requestId, text, ends, kinds, kindIndex, ms }) {
  const n = ms.length;
  const events = new Array(n);
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = ends[i];
    events[i] = { userId: text.slice(start, end), kind: kinds[kindIndex[i]], ms: ms[i] };
    start = end;
  }
  return { requestId, events };
}

function channelEventsFromColumns({ requestId, text, ends, kinds, kindIndex, ms }) {
  const n = ms.length;
  const events = new Array(n);
  let start = 0;
  for (let i = 0, j = 0; i < n; i++, j += 2) {
    const mid = ends[j];
    const end = ends[j + 1];
    events[i] = { channelId: text.slice(start, mid), userId: text.slice(mid, end), kind: kinds[kindIndex[i]], ms: ms[i] };
    start = end;
  }
  return { requestId, events };
}

async function call(signal, fn) {
  signal = checkSignal(signal);
  if (!signal) {
    try {
      return await fn(null);
    } catch (e) {
      throw fromNative(e);
    }
  }
  if (signal.aborted) throw abortReason(signal);
  const id = native.cancelTokenNew();
  const onAbort = () => native.cancelTokenCancel(id);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await fn(id);
  } catch (e) {
    const err = fromNative(e);
    if (err.kind === 'aborted') throw abortReason(signal);
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
    native.cancelTokenRelease(id);
  }
}

function sync(fn) {
  try {
    return fn();
  } catch (e) {
    throw fromNative(e);
  }
}

function normaliseAuth(auth) {
  if (auth === null || typeof auth !== 'object') throw invalid('auth', 'must be an object');
  const type = auth.type;
  if (!Object.hasOwn(AUTH_FIELDS, type)) {
    throw invalid('auth.type', 'must be basic, token, legacyToken or mintedToken');
  }
  const out = { type };
  for (const f of AUTH_FIELDS[type]) out[f] = checkString(auth[f], `auth.${f}`);
  if (type === 'mintedToken') {
    out.lifetimeSeconds = checkInt(auth.lifetimeSeconds, 'auth.lifetimeSeconds');
    if (auth.legacy !== undefined) out.legacy = Boolean(auth.legacy);
  }
  return out;
}

function normaliseOptions(options) {
  if (options === null || typeof options !== 'object') throw invalid('options', 'must be an object');
  const o = {
    appId: checkString(options.appId, 'appId'),
    auth: normaliseAuth(options.auth),
  };
  if (options.baseUrl !== undefined && options.baseUrl !== null) {
    const urls = Array.isArray(options.baseUrl) ? options.baseUrl : [options.baseUrl];
    o.baseUrls = urls.map((u, i) => checkString(u, `baseUrl[${i}]`));
  }
  if (options.regions !== undefined && options.regions !== null) {
    if (!Array.isArray(options.regions)) throw invalid('regions', 'must be an array of region names');
    o.regions = options.regions.map((r, i) => checkString(r, `regions[${i}]`));
  }
  if (options.area !== undefined) o.area = checkString(options.area, 'area');
  o.timeoutMs = checkInt(options.timeoutMs, 'timeoutMs');
  o.maxRetries = checkInt(options.maxRetries, 'maxRetries');
  if (options.rateLimit !== undefined && options.rateLimit !== null) {
    const rl = options.rateLimit;
    if (typeof rl !== 'object') throw invalid('rateLimit', 'must be { limit, windowMs }');
    o.rateLimit = checkInt(rl.limit, 'rateLimit.limit', { min: 1 });
    o.rateWindowMs = checkInt(rl.windowMs, 'rateLimit.windowMs', { min: 1 });
  }
  o.historyPollIntervalMs = checkInt(options.historyPollIntervalMs, 'historyPollIntervalMs');
  o.historyPollTimeoutMs = checkInt(options.historyPollTimeoutMs, 'historyPollTimeoutMs');
  return o;
}

// ---- messages and history: argument translation ----

/** Rust field names (the protocol's) to the option names of this package. */
const LEGACY_FIELDS = { start_time: 'startTime', end_time: 'endTime' };
const V2_FIELDS = { user_id: 'userId', channel_type: 'channelType', message_count: 'pageSize' };

function renameField(err, names) {
  if (err instanceof InvalidInputError && names && Object.hasOwn(names, err.field)) {
    err.field = names[err.field];
    for (const [from, to] of Object.entries(names)) err.message = err.message.split(from).join(to);
  }
  return err;
}

function renamed(promise, names) {
  return promise.catch((e) => {
    throw renameField(e, names);
  });
}

function syncFields(fn, names) {
  try {
    return fn();
  } catch (e) {
    throw renameField(fromNative(e), names);
  }
}

/** Turns a synchronous throw while preparing a call into a rejection. */
function guarded(fn) {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}

function checkObject(value, field) {
  if (value === null || typeof value !== 'object') throw invalid(field, 'must be an object');
  return value;
}

function messageOptions(options, target) {
  checkObject(options, 'options');
  checkSignal(options.signal);
  const o = {
    from: checkString(options.from, 'from'),
    [target]: checkString(options[target], target),
    payload: checkString(options.payload, 'payload'),
  };
  if (options.storeInHistory !== undefined) o.storeInHistory = Boolean(options.storeInHistory);
  return o;
}

/** A Date or Unix seconds, as integer Unix seconds (the range itself is checked in Rust). */
function unixSeconds(value, field) {
  if (value === undefined || value === null) throw invalid(field, 'is required (a Date or Unix seconds)');
  let secs;
  if (value instanceof Date) secs = value.getTime() / 1000;
  else if (typeof value === 'number') secs = value;
  else throw invalid(field, 'must be a Date or Unix seconds');
  if (!Number.isFinite(secs)) throw invalid(field, 'must be a valid Date or a finite number of Unix seconds');
  return Math.floor(secs);
}

function optionalInteger(value, field) {
  if (value === undefined || value === null) return undefined;
  if (!Number.isSafeInteger(value)) throw invalid(field, 'must be an integer');
  return value;
}

function historyQuery(query, { paged }) {
  checkObject(query, 'query');
  checkSignal(query.signal);
  const q = {
    source: checkString(query.source, 'source', { optional: true }),
    destination: checkString(query.destination, 'destination', { optional: true }),
    startTime: unixSeconds(query.startTime, 'startTime'),
    endTime: unixSeconds(query.endTime, 'endTime'),
  };
  if (paged) {
    q.limit = optionalInteger(query.limit, 'limit');
    q.order = checkString(query.order, 'order', { optional: true });
  }
  return q;
}

function historyV2Query(query) {
  checkObject(query, 'query');
  checkSignal(query.signal);
  return {
    userId: checkString(query.userId, 'userId'),
    channel: checkString(query.channel, 'channel'),
    channelType: checkString(query.channelType, 'channelType', { optional: true }),
    start: optionalInteger(query.start, 'start'),
    end: optionalInteger(query.end, 'end'),
    pageSize: optionalInteger(query.pageSize, 'pageSize'),
  };
}

function v2Message(m) {
  return { publisher: m.publisher, timestamp: m.timestamp, customType: m.customType ?? null, messageType: m.messageType, payload: m.payload };
}

/**
 * Messages of a history query, page by page from a native cursor: a page is only
 * requested when the messages before it were taken; `return()` (what `break` calls)
 * ends the iteration and nothing more is requested.
 */
class HistoryIterable {
  #pages;
  #signal;
  #names;
  #map;
  #buffer = [];
  #index = 0;
  #done = false;

  constructor(pages, signal, names, map) {
    this.#pages = pages;
    this.#signal = signal;
    this.#names = names;
    this.#map = map;
  }

  async #nextPage() {
    if (this.#done) return null;
    let page;
    try {
      page = await renamed(call(this.#signal, (id) => this.#pages.nextPage(id)), this.#names);
    } catch (e) {
      this.#done = true;
      throw e;
    }
    if (page === null) this.#done = true;
    return page !== null && this.#map ? page.map(this.#map) : page;
  }

  async next() {
    for (;;) {
      if (this.#index < this.#buffer.length) return { done: false, value: this.#buffer[this.#index++] };
      if (this.#done) return { done: true, value: undefined };
      const page = await this.#nextPage();
      if (page === null) return { done: true, value: undefined };
      this.#buffer = page;
      this.#index = 0;
    }
  }

  async return() {
    this.#done = true;
    this.#buffer = [];
    return { done: true, value: undefined };
  }

  /** The remaining pages as arrays (`for await (const page of client.history(q).pages())`). */
  pages() {
    const self = this;
    return {
      async next() {
        if (self.#index < self.#buffer.length) {
          const rest = self.#buffer.slice(self.#index);
          self.#buffer = [];
          self.#index = 0;
          return { done: false, value: rest };
        }
        const page = await self.#nextPage();
        if (page === null) return { done: true, value: undefined };
        return { done: false, value: page };
      },
      return: () => self.return(),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  [inspect.custom]() {
    return `HistoryIterable { done: ${this.#done} }`;
  }
}

const kNative = Symbol('agora-rtm-rest.native');
const kWatches = Symbol('agora-rtm-rest.watches');

/**
 * A client of one app id: reads both event feeds with client-side rate limiting,
 * retries and Agora's host failover (all in the Rust core).
 */
class Client {
  constructor(options) {
    const normalised = normaliseOptions(options);
    Object.defineProperty(this, kNative, { value: sync(() => new native.NativeClient(normalised)) });
    Object.defineProperty(this, kWatches, { value: new Set() });
  }

  /** A client configured from AGORA_APP_ID, AGORA_CUSTOMER_ID/SECRET, AGORA_RTM_TOKEN, ... */
  static fromEnv() {
    const client = Object.create(Client.prototype);
    Object.defineProperty(client, kNative, { value: sync(() => native.NativeClient.fromEnv()) });
    Object.defineProperty(client, kWatches, { value: new Set() });
    return client;
  }

  /** The app id. */
  get appId() {
    return this[kNative].appId;
  }

  /** The base URLs in failover order. */
  get endpoints() {
    return this[kNative].endpoints;
  }

  /** Reads (and removes) up to 1000 user events: `{ requestId, events }`. */
  userEvents({ signal } = {}) {
    return call(signal, (id) => this[kNative].userEventsColumns(id)).then(userEventsFromColumns);
  }

  /** Reads (and removes) up to 1000 channel events: `{ requestId, events }`. */
  channelEvents({ signal } = {}) {
    return call(signal, (id) => this[kNative].channelEventsColumns(id)).then(channelEventsFromColumns);
  }

  /**
   * Drains both feeds continuously: `for await (const item of client.watch())`
   * yields `{ type: 'user' | 'channel' | 'gap' | 'stats', ... }`. Leaving the loop
   * stops the watcher cleanly.
   */
  watch(options = {}) {
    const w = new Watch(this[kNative], options, this[kWatches]);
    return w;
  }

  /**
   * Sends a message from one user to another: `{ requestId, outcome }` with
   * outcome `'message_sent'`, or with `waitForAck` `'message_delivered'` /
   * `'message_offline'` (an unknown code is passed through). Invalid input
   * rejects with InvalidInputError before anything is sent.
   */
  sendPeerMessage(options) {
    return guarded(() => {
      const o = messageOptions(options, 'to');
      if (options.waitForAck !== undefined) o.waitForAck = Boolean(options.waitForAck);
      return call(options.signal, (id) => this[kNative].sendPeerMessage(o, id));
    });
  }

  /** Sends a message from a user to a channel: `{ requestId, outcome }`. */
  sendChannelMessage(options) {
    return guarded(() => {
      const o = messageOptions(options, 'channel');
      return call(options.signal, (id) => this[kNative].sendChannelMessage(o, id));
    });
  }

  /**
   * Legacy message history as an async iterable of messages
   * (`{ src, dst, messageType, payload, ms }`); pages are fetched lazily, and
   * leaving the loop stops fetching. `startTime`/`endTime`: a Date or Unix seconds.
   * Invalid input throws InvalidInputError here, before anything is sent.
   */
  history(query) {
    const q = historyQuery(query, { paged: true });
    const pages = syncFields(() => this[kNative].history(q), LEGACY_FIELDS);
    return new HistoryIterable(pages, checkSignal(query.signal));
  }

  /** One page of legacy history (`limit` messages from the start of the range) as an array. */
  historyPage(query) {
    return guarded(() => {
      const q = historyQuery(query, { paged: true });
      return renamed(call(query.signal, (id) => this[kNative].historyPage(q, id)), LEGACY_FIELDS);
    });
  }

  /** How many stored messages match `{ source?, destination?, startTime, endTime }`. */
  countHistory(query) {
    return guarded(() => {
      const q = historyQuery(query, { paged: false });
      return renamed(call(query.signal, (id) => this[kNative].countHistory(q, id)), LEGACY_FIELDS);
    });
  }

  /**
   * Signaling 2.x history, newest first, as an async iterable of
   * `{ publisher, timestamp, customType, messageType, payload }` (payload: a
   * string for STRING messages, a Buffer for BINARY ones); pages are fetched
   * lazily. `start`/`end` are Unix milliseconds (the range goes back from start to end).
   */
  historyV2(query) {
    const q = historyV2Query(query);
    const pages = syncFields(() => this[kNative].historyV2(q), V2_FIELDS);
    return new HistoryIterable(pages, checkSignal(query.signal), V2_FIELDS, v2Message);
  }

  /** Presence of this client's most recent presence-enabled watcher, or null. */
  async presence({ signal } = {}) {
    const watches = [...this[kWatches]].filter((w) => w.presenceEnabled).reverse();
    for (const w of watches) {
      const p = await w.presence({ signal });
      if (p) return p;
    }
    return null;
  }

  [inspect.custom](depth, options) {
    return `Client ${inspect({ appId: this.appId, endpoints: this.endpoints }, options)}`;
  }

  toJSON() {
    return { appId: this.appId, endpoints: this.endpoints };
  }
}

function normaliseWatchOptions(options) {
  if (options === null || typeof options !== 'object') throw invalid('options', 'must be an object');
  const o = {};
  if (options.sink !== undefined) o.sink = checkString(options.sink, 'sink');
  if (options.webhookSecret !== undefined) o.webhookSecret = checkString(options.webhookSecret, 'webhookSecret');
  for (const key of ['regions', 'sources', 'feeds']) {
    if (options[key] !== undefined) {
      if (!Array.isArray(options[key])) throw invalid(key, 'must be an array of strings');
      o[key] = options[key].map((v, i) => checkString(v, `${key}[${i}]`));
    }
  }
  if (options.presence !== undefined) o.presence = Boolean(options.presence);
  o.statsIntervalMs = checkInt(options.statsIntervalMs, 'statsIntervalMs');
  o.maxInFlight = checkInt(options.maxInFlight, 'maxInFlight', { min: 1 });
  return o;
}

/** A running watcher: an async iterable of items. */
class Watch {
  #client;
  #options;
  #signal;
  #registry;
  #native = null;
  #starting = null;
  #done = false;

  constructor(nativeClient, options, registry) {
    this.#options = normaliseWatchOptions(options);
    this.#signal = checkSignal(options.signal);
    this.#client = nativeClient;
    this.#registry = registry;
    this.presenceEnabled = Boolean(this.#options.presence);
    registry.add(this);
    if (this.#signal) {
      const onAbort = () => this.stop();
      if (this.#signal.aborted) this.#done = true;
      else this.#signal.addEventListener('abort', onAbort, { once: true });
    }
  }

  async #start() {
    if (!this.#starting) {
      this.#starting = call(undefined, () => this.#client.watch(this.#options));
    }
    this.#native = await this.#starting;
    return this.#native;
  }

  #finish() {
    this.#done = true;
    this.#registry.delete(this);
  }

  async next() {
    if (this.#done) return { done: true, value: undefined };
    let w;
    try {
      w = await this.#start();
    } catch (e) {
      this.#finish();
      throw e;
    }
    let item;
    try {
      item = await call(undefined, () => w.next(null));
    } catch (e) {
      this.#finish();
      throw e;
    }
    if (item === null) {
      this.#finish();
      return { done: true, value: undefined };
    }
    return { done: false, value: item };
  }

  /** Called by `break`: stops the watcher and waits until what was in flight is persisted. */
  async return() {
    if (!this.#done && this.#starting) {
      const w = await this.#start().catch(() => null);
      if (w) {
        w.stop();
        try {
          while ((await call(undefined, () => w.next(null))) !== null) {
            // reads already in flight end here; the sink (if any) stores them
          }
        } finally {
          this.#finish();
        }
      }
    }
    this.#finish();
    return { done: true, value: undefined };
  }

  /** Asks the watcher to stop; the iteration ends after what was in flight. */
  stop() {
    if (this.#native) this.#native.stop();
    else if (!this.#starting) this.#finish();
    else this.#starting.then((w) => w.stop(), () => {});
  }

  /** Who is online and who is in which channel: `{ online, channels }`, or null. */
  async presence({ signal } = {}) {
    if (!this.#native) return null;
    return call(signal, () => this.#native.presence());
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  [inspect.custom]() {
    return `Watch { presence: ${this.presenceEnabled}, done: ${this.#done} }`;
  }
}

// ---- tokens ----

function tokenArgs(o, name) {
  if (o === null || typeof o !== 'object') throw invalid(name, 'must be an object');
  return [
    checkString(o.appId, 'appId'),
    checkString(o.appCertificate, 'appCertificate'),
    checkString(o.userId, 'userId'),
    o.lifetimeSeconds === undefined ? 3600 : checkInt(o.lifetimeSeconds, 'lifetimeSeconds', { min: 0, max: Number.MAX_SAFE_INTEGER }),
    checkInt(o.issueTs, 'issueTs'),
    checkInt(o.salt, 'salt'),
  ];
}

function parsed(p) {
  const { json, ...rest } = p;
  return { ...rest, details: JSON.parse(json) };
}

/** Builds an AccessToken2 (007) RTM token. */
function buildRtmToken(options) {
  const args = tokenArgs(options, 'options');
  return sync(() => native.buildRtmToken(...args));
}

/** Builds a legacy AccessToken (006) RTM token. */
function buildLegacyRtmToken(options) {
  const args = tokenArgs(options, 'options');
  return sync(() => native.buildLegacyRtmToken(...args));
}

/** Decodes a 007 or 006 token without a certificate. */
function parseToken(token) {
  checkString(token, 'token');
  return parsed(sync(() => native.parseToken(token)));
}

/** Verifies a token's signature and validity (throws TokenError with a `reason`). */
function verifyToken(token, options) {
  checkString(token, 'token');
  if (options === null || typeof options !== 'object') throw invalid('options', 'must be an object');
  const cert = checkString(options.appCertificate, 'appCertificate');
  const appId = checkString(options.appId, 'appId', { optional: true });
  const userId = checkString(options.userId, 'userId', { optional: true });
  const now = checkInt(options.nowUnix, 'nowUnix', { max: Number.MAX_SAFE_INTEGER });
  return parsed(sync(() => native.verifyToken(token, cert, appId, userId, now)));
}

// ---- testing: the protocol's state machine, for the shared vectors ----

function stepOut(step) {
  if (step.type === 'done' && step.error) return { type: 'done', error: fromCode(step.error) };
  return step;
}

/** One exchange of the protocol's state machine (for the shared vectors). */
class Exchange {
  #ex;
  constructor(ex) {
    this.#ex = ex;
  }
  start(nowMs) {
    return stepOut(sync(() => this.#ex.start(nowMs)));
  }
  onResponse(response, nowMs) {
    return stepOut(sync(() => this.#ex.onResponse(response, nowMs)));
  }
  onTransportError(kind, nowMs) {
    return stepOut(sync(() => this.#ex.onTransportError(kind, nowMs)));
  }
  onWaitElapsed(nowMs) {
    return stepOut(sync(() => this.#ex.onWaitElapsed(nowMs)));
  }
  report() {
    return this.#ex.report();
  }
}

/** Shared client state (rate limiter, failover memory) built from a vector's config and auth. */
class ExchangeContext {
  #ctx;
  constructor(config, auth) {
    this.#ctx = sync(() => new native.NativeExchangeContext(config, auth));
  }
  exchange(operation, seed) {
    return new Exchange(sync(() => this.#ctx.exchange(operation, seed)));
  }
  /** Any vector operation (a string or an object) through the protocol's VectorExchange; `done.ok` is the normalised JSON. */
  vectorExchange(operation, seed) {
    return new Exchange(sync(() => this.#ctx.vectorExchange(JSON.stringify(operation), seed)));
  }
}

const testing = Object.freeze({
  ExchangeContext,
  buildRtcToken: (appId, cert, channel, uid, lifetime, issueTs, salt) =>
    sync(() => native.buildRtcToken(appId, cert, channel, uid, lifetime, issueTs, salt)),
  buildLegacyRtmTokenRaw: (appId, cert, userId, salt, ts, privilegeExpireTs) =>
    sync(() => native.buildLegacyRtmTokenRaw(appId, cert, userId, salt, ts, privilegeExpireTs)),
  tokenSigningKeys: (token, cert) => sync(() => native.tokenSigningKeys(token, cert)),
  /** Page reads returned as a JSON string and parsed here (the alternative measured by bench/node). */
  userEventsObjects: (client, { signal } = {}) => call(signal, (id) => client[kNative].userEventsJson(id)).then(JSON.parse),
});

module.exports = {
  Client,
  Watch,
  HistoryIterable,
  buildRtmToken,
  buildLegacyRtmToken,
  parseToken,
  verifyToken,
  testing,
  AgoraRtmError,
  ApiError: errors.ApiError,
  AuthError: errors.AuthError,
  RateLimitedError: errors.RateLimitedError,
  ServerTimeoutError: errors.ServerTimeoutError,
  ServerError: errors.ServerError,
  DecodeError: errors.DecodeError,
  TransportError: errors.TransportError,
  InvalidInputError,
  TokenError: errors.TokenError,
  SinkError: errors.SinkError,
};
