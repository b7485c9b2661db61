'use strict';
// Messages and history (issue #8) against the emulator binary: peer message
// outcomes, a stored channel message found by both history APIs, 250-message
// paging, lazy fetching, input validation before any request, the token-user
// rule and abort.

const test = require('node:test');
const assert = require('node:assert/strict');
const rtm = require('..');
const { startEmulator } = require('./helpers/emulator.js');

const { Client, InvalidInputError } = rtm;
const APP_ID = '970CA35de60c44645bbae8a215061b33';
const APP_CERT = '5CFd2fd1755d40ecb72977518be15d3b';
const SECRET = 'messages-secret-7';

let emu;
let app = 0;
/** A fresh app id per test, so stores, presence and rate limits do not interfere. */
function nextApp() {
  app += 1;
  return `msgapp${app}`;
}

function client(appId, extra = {}) {
  return new Client({
    appId,
    auth: { type: 'basic', customerId: 'cid', customerSecret: SECRET },
    baseUrl: emu.url,
    historyPollIntervalMs: 50,
    ...extra,
  });
}

/** A legacy history range around now (Unix seconds, as Dates). */
function range() {
  return { startTime: new Date(Date.now() - 3_600_000), endTime: new Date(Date.now() + 3_600_000) };
}

/** Requests the emulator counted for `appId` (0 when it never saw the app). */
async function requestsSeen(appId) {
  const stats = await emu.stats();
  return stats.apps[appId]?.requests ?? 0;
}

async function collect(iterable) {
  const out = [];
  for await (const x of iterable) out.push(x);
  return out;
}

test.before(async () => {
  emu = await startEmulator([
    '--customer-id', 'cid',
    '--customer-secret', SECRET,
    '--app-certificate', `${APP_ID}:${APP_CERT}`,
  ]);
});

test.after(async () => {
  await emu.stop();
});

test('peer message with waitForAck: delivered to an online user, offline otherwise', async () => {
  const appId = nextApp();
  const c = client(appId);
  await emu.admin('PUT', `/apps/${appId}/online/alice`, { online: true });
  const delivered = await c.sendPeerMessage({ from: 'server', to: 'alice', payload: 'hi alice', waitForAck: true });
  assert.equal(delivered.outcome, 'message_delivered');
  assert.equal(typeof delivered.requestId, 'string');
  assert.ok(delivered.requestId.length > 0);
  const offline = await c.sendPeerMessage({ from: 'server', to: 'bob', payload: 'hi bob', waitForAck: true });
  assert.equal(offline.outcome, 'message_offline');
  // A Login user event makes a user online too.
  await emu.userEvents(appId, [{ user_id: 'carol', type: 'Login', ms: Date.now() }]);
  const carol = await c.sendPeerMessage({ from: 'server', to: 'carol', payload: 'hi carol', waitForAck: true });
  assert.equal(carol.outcome, 'message_delivered');
  await emu.admin('PUT', `/apps/${appId}/online/alice`, { online: false });
  const gone = await c.sendPeerMessage({ from: 'server', to: 'alice', payload: 'again', waitForAck: true });
  assert.equal(gone.outcome, 'message_offline');
  const plain = await c.sendPeerMessage({ from: 'server', to: 'alice', payload: 'no ack' });
  assert.equal(plain.outcome, 'message_sent');
});

test('a channel message stored with history is found by history(), historyPage(), countHistory() and historyV2()', async () => {
  const appId = nextApp();
  const c = client(appId);
  const before = Date.now();
  const sent = await c.sendChannelMessage({ from: 'server', channel: 'lobby', payload: 'hello lobby', storeInHistory: true });
  assert.equal(sent.outcome, 'message_sent');
  await c.sendChannelMessage({ from: 'server', channel: 'lobby', payload: 'not stored' });

  const legacy = await collect(c.history({ destination: 'lobby', ...range() }));
  assert.equal(legacy.length, 1);
  const [m] = legacy;
  assert.deepEqual(
    { src: m.src, dst: m.dst, messageType: m.messageType, payload: m.payload },
    { src: 'server', dst: 'lobby', messageType: 'channel_message', payload: 'hello lobby' },
  );
  assert.ok(m.ms >= before - 1000 && m.ms <= Date.now() + 1000, `ms ${m.ms}`);

  const page = await c.historyPage({ source: 'server', ...range(), limit: 50, order: 'desc' });
  assert.deepEqual(page, legacy);
  const now = Math.floor(Date.now() / 1000);
  assert.equal(await c.countHistory({ destination: 'lobby', startTime: now - 3600, endTime: now + 3600 }), 1);

  const v2 = await collect(c.historyV2({ userId: 'server', channel: 'lobby' }));
  assert.deepEqual(v2, [
    { publisher: 'server', timestamp: m.ms, customType: null, messageType: 'STRING', payload: 'hello lobby' },
  ]);
  const none = await collect(c.historyV2({ userId: 'server', channel: 'lobby', start: m.ms - 1 }));
  assert.deepEqual(none, []);
});

test('250 stored messages: legacy limit 100 pages 100/100/50, v2 pageSize 100 gives 250 distinct newest first', async () => {
  const appId = nextApp();
  const c = client(appId);
  for (let i = 0; i < 250; i += 25) {
    await Promise.all(
      Array.from({ length: 25 }, (_, k) =>
        c.sendChannelMessage({ from: 'server', channel: 'big', payload: `m${i + k}`, storeInHistory: true }),
      ),
    );
  }

  const sizes = [];
  const legacy = [];
  for await (const page of c.history({ destination: 'big', ...range(), limit: 100 }).pages()) {
    sizes.push(page.length);
    legacy.push(...page);
  }
  assert.deepEqual(sizes, [100, 100, 50]);
  assert.equal(new Set(legacy.map((m) => m.payload)).size, 250);
  for (let i = 1; i < legacy.length; i += 1) assert.ok(legacy[i - 1].ms <= legacy[i].ms, 'ascending by default');

  const flat = await collect(c.history({ destination: 'big', ...range(), limit: 100 }));
  assert.equal(flat.length, 250);

  const v2 = await collect(c.historyV2({ userId: 'server', channel: 'big', pageSize: 100 }));
  assert.equal(v2.length, 250);
  assert.equal(new Set(v2.map((m) => m.timestamp)).size, 250, 'no repeats');
  assert.deepEqual(new Set(v2.map((m) => m.payload)), new Set(legacy.map((m) => m.payload)), 'none missing');
  for (let i = 1; i < v2.length; i += 1) assert.ok(v2[i - 1].timestamp > v2[i].timestamp, 'newest first');
  const v2sizes = [];
  for await (const page of c.historyV2({ userId: 'server', channel: 'big', pageSize: 100 }).pages()) v2sizes.push(page.length);
  assert.equal(v2sizes.slice(0, 3).reduce((a, b) => a + b, 0), 250);
  assert.deepEqual(v2sizes.slice(0, 2), [100, 100]);
});

test('breaking out of for await stops fetching pages', async () => {
  const appId = nextApp();
  const c = client(appId);
  await Promise.all(
    Array.from({ length: 45 }, (_, k) =>
      c.sendChannelMessage({ from: 'server', channel: 'lazy', payload: `p${k}`, storeInHistory: true }),
    ),
  );
  const before = await requestsSeen(appId);
  const it = c.historyV2({ userId: 'server', channel: 'lazy', pageSize: 10 });
  let n = 0;
  for await (const m of it) {
    assert.equal(typeof m.payload, 'string');
    n += 1;
    if (n === 3) break;
  }
  // After break the iterator is finished and asks for nothing more.
  assert.deepEqual(await it.next(), { done: true, value: undefined });
  // Exactly one v2 page (of five) was requested.
  assert.equal((await requestsSeen(appId)) - before, 1);

  // Legacy: one query created for the first page of three, none after the break.
  const queriesBefore = (await emu.stats()).apps[appId].history_queries;
  const legacy = c.history({ destination: 'lazy', ...range(), limit: 20 });
  for await (const m of legacy) {
    assert.equal(m.dst, 'lazy');
    break;
  }
  assert.deepEqual(await legacy.next(), { done: true, value: undefined });
  const stats = (await emu.stats()).apps[appId];
  assert.equal(stats.history_queries - queriesBefore, 1, JSON.stringify(stats));
});

test('invalid input rejects with InvalidInputError naming the field, before any request', async () => {
  const appId = nextApp();
  const c = client(appId);
  const big = 'x'.repeat(32 * 1024 + 1);
  const r = range();
  const rejects = async (promiseOrFn, field) => {
    const run = typeof promiseOrFn === 'function' ? promiseOrFn : () => promiseOrFn;
    await assert.rejects(
      async () => run(),
      (e) => {
        assert.ok(e instanceof InvalidInputError, `${field}: ${e && e.name}: ${e && e.message}`);
        assert.equal(e.field, field, e.message);
        return true;
      },
    );
  };
  const throwsSync = (fn, field) =>
    assert.throws(fn, (e) => {
      assert.ok(e instanceof InvalidInputError, `${field}: ${e && e.name}: ${e && e.message}`);
      assert.equal(e.field, field, e.message);
      return true;
    });

  await rejects(c.sendPeerMessage({ from: 'bad\\id', to: 'alice', payload: 'x' }), 'from');
  await rejects(c.sendPeerMessage({ from: 'server', to: ' alice', payload: 'x' }), 'to');
  await rejects(c.sendPeerMessage({ from: 'server', to: 'a'.repeat(65), payload: 'x' }), 'to');
  await rejects(c.sendPeerMessage({ from: 'server', to: 'alice', payload: '' }), 'payload');
  await rejects(c.sendPeerMessage({ from: 'server', to: 'alice', payload: big }), 'payload');
  await rejects(c.sendPeerMessage({ from: 'server', to: 'alice', payload: 42 }), 'payload');
  await rejects(c.sendChannelMessage({ from: ' server', channel: 'lobby', payload: 'x' }), 'from');
  await rejects(c.sendChannelMessage({ from: 'server', channel: 'lobby/1', payload: 'x' }), 'channel');
  await rejects(c.sendChannelMessage({ from: 'server', channel: 'lobby', payload: big }), 'payload');

  await rejects(c.historyPage({ destination: 'lobby', ...r, limit: 30 }), 'limit');
  await rejects(c.historyPage({ destination: 'lobby', ...r, limit: 2.5 }), 'limit');
  await rejects(c.historyPage({ destination: 'lobby', ...r, order: 'sideways' }), 'order');
  await rejects(c.historyPage({ startTime: 0, endTime: 10 }), 'source');
  await rejects(c.historyPage({ destination: ' lobby', startTime: 0, endTime: 10 }), 'destination');
  await rejects(c.historyPage({ destination: 'lobby', startTime: 20, endTime: 10 }), 'startTime');
  await rejects(c.historyPage({ destination: 'lobby', startTime: 0, endTime: Date.now() }), 'endTime');
  await rejects(c.historyPage({ destination: 'lobby', startTime: new Date(NaN), endTime: 10 }), 'startTime');
  await rejects(c.historyPage({ destination: 'lobby', startTime: '2024-01-01', endTime: 10 }), 'startTime');
  await rejects(c.countHistory({ destination: 'lobby', startTime: 20, endTime: 10 }), 'startTime');
  await rejects(c.countHistory({ destination: 'lobby', startTime: -5, endTime: 10 }), 'startTime');
  throwsSync(() => c.history({ destination: 'lobby', ...r, limit: 7 }), 'limit');
  throwsSync(() => c.history({ destination: 'lobby', startTime: new Date(2000), endTime: new Date(1000) }), 'startTime');
  throwsSync(() => c.history({ source: 'bad*id', ...r }), 'source');

  throwsSync(() => c.historyV2({ userId: 'server', channel: 'lobby', channelType: 'group' }), 'channelType');
  throwsSync(() => c.historyV2({ userId: 'server', channel: 'lobby', pageSize: 0 }), 'pageSize');
  throwsSync(() => c.historyV2({ userId: 'server', channel: 'lobby', pageSize: 101 }), 'pageSize');
  throwsSync(() => c.historyV2({ userId: 'server', channel: 'lobby', start: 1000, end: 2000 }), 'end');
  throwsSync(() => c.historyV2({ userId: ' server', channel: 'lobby' }), 'userId');
  throwsSync(() => c.historyV2({ userId: 'server', channel: '' }), 'channel');
  // Inside for await, the same error rejects the loop.
  await rejects(() => collect(c.historyV2({ userId: 'server', channel: 'lobby', pageSize: 0 })), 'pageSize');

  assert.equal(await requestsSeen(appId), 0, 'no request reached the emulator');
});

test('token auth: another sender is refused as InvalidInputError field "from" before sending', async () => {
  const token = rtm.buildRtmToken({ appId: APP_ID, appCertificate: APP_CERT, userId: 'svc', lifetimeSeconds: 600 });
  const c = new Client({ appId: APP_ID, auth: { type: 'token', token }, baseUrl: emu.url, historyPollIntervalMs: 50 });
  const seen = await requestsSeen(APP_ID);
  await assert.rejects(c.sendPeerMessage({ from: 'mallory', to: 'alice', payload: 'x' }), (e) => {
    assert.ok(e instanceof InvalidInputError, e.message);
    assert.equal(e.field, 'from');
    return true;
  });
  await assert.rejects(c.sendChannelMessage({ from: 'mallory', channel: 'lobby', payload: 'x' }), (e) => e instanceof InvalidInputError && e.field === 'from');
  assert.equal(await requestsSeen(APP_ID), seen, 'nothing was sent');
  const ok = await c.sendChannelMessage({ from: 'svc', channel: 'lobby', payload: 'from the token user' });
  assert.equal(ok.outcome, 'message_sent');
});

test('an AbortSignal aborts a send in flight and a history page', async () => {
  const appId = nextApp();
  const c = client(appId, { maxRetries: 0 });
  await emu.faults({ latency_ms: 3000 });
  try {
    const ac = new AbortController();
    const started = Date.now();
    const p = c.sendPeerMessage({ from: 'server', to: 'alice', payload: 'slow', signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(p, (e) => e.name === 'AbortError');
    assert.ok(Date.now() - started < 2000, 'aborted before the response');

    const ac2 = new AbortController();
    const it = c.history({ destination: 'lobby', ...range(), signal: ac2.signal });
    setTimeout(() => ac2.abort(new Error('stop now')), 100);
    await assert.rejects(collect(it), /stop now/);

    const already = AbortSignal.abort();
    await assert.rejects(c.sendChannelMessage({ from: 'server', channel: 'lobby', payload: 'x', signal: already }), (e) => e.name === 'AbortError');
  } finally {
    await emu.faults({});
  }
});
