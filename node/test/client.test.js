'use strict';
// The client against the emulator binary: reads, drain semantics, rate-limit
// waits, 429s, failover, auth failures, abort, concurrency, secrets.

const test = require('node:test');
const assert = require('node:assert/strict');
const { inspect } = require('node:util');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const rtm = require('..');
const { startEmulator } = require('./helpers/emulator.js');

const { Client } = rtm;
const APP_ID = '970CA35de60c44645bbae8a215061b33';
const APP_CERT = '5CFd2fd1755d40ecb72977518be15d3b';
const SECRET = 'very-secret-value-42';

let emu;
let app = 0;
/** A fresh app id per test, so feeds and rate limits do not interfere. */
function nextApp() {
  app += 1;
  return `app${app}`;
}

function client(appId, extra = {}) {
  return new Client({
    appId,
    auth: { type: 'basic', customerId: 'cid', customerSecret: SECRET },
    baseUrl: emu.url,
    ...extra,
  });
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

test('reads user events as camelCase objects and drains them', async () => {
  const appId = nextApp();
  await emu.userEvents(appId, [
    { user_id: 'u1', type: 'Login', ms: 1000 },
    { user_id: 'u1', type: 'Logout', ms: 2000 },
  ]);
  const c = client(appId);
  const page = await c.userEvents();
  assert.equal(typeof page.requestId, 'string');
  assert.deepEqual(page.events, [
    { userId: 'u1', kind: 'Login', ms: 1000 },
    { userId: 'u1', kind: 'Logout', ms: 2000 },
  ]);
  const again = await c.userEvents();
  assert.deepEqual(again.events, [], 'a read removes what it returns');
});

test('reads channel events', async () => {
  const appId = nextApp();
  await emu.channelEvents(appId, [{ group_id: 'room', user_id: 'u2', type: 'Join', ms: 5 }]);
  const page = await client(appId).channelEvents();
  assert.deepEqual(page.events, [{ channelId: 'room', userId: 'u2', kind: 'Join', ms: 5 }]);
});

test('at most 1000 events per read: a full page means more is waiting', async () => {
  const appId = nextApp();
  const events = Array.from({ length: 1500 }, (_, i) => ({ user_id: `u${i}`, type: 'Login', ms: 10_000 + i }));
  await emu.userEvents(appId, events);
  const c = client(appId);
  const first = await c.userEvents();
  const second = await c.userEvents();
  assert.equal(first.events.length, 1000);
  assert.equal(second.events.length, 500);
  assert.equal(first.events[0].userId, 'u0', 'oldest first');
  assert.equal(second.events[499].userId, 'u1499');
});

test('concurrent reads wait for the client-side limiter instead of drawing 429s', async () => {
  const appId = nextApp();
  const c = client(appId);
  const started = Date.now();
  const pages = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? c.userEvents() : c.channelEvents())));
  assert.equal(pages.length, 12);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 900, `12 reads at 10/s take about a second (took ${elapsed} ms)`);
  const stats = await emu.stats();
  assert.equal(stats.apps[appId].rate_limited, 0, 'no 429 from the service');
  assert.equal(stats.apps[appId].requests, 12);
});

test('429s are retried, then surface as RateLimitedError', async () => {
  const appId = nextApp();
  await emu.faults({ p_429: 1 });
  try {
    const err = await client(appId, { maxRetries: 1 }).userEvents().then(
      () => assert.fail('expected a rejection'),
      (e) => e,
    );
    assert.ok(err instanceof rtm.RateLimitedError, `${err.name}: ${err.message}`);
    assert.ok(err instanceof rtm.AgoraRtmError);
    assert.ok(err instanceof Error);
    assert.equal(err.status, 429);
    assert.equal(err.kind, 'rate_limited');
    assert.ok('retryAfterMs' in err);
  } finally {
    await emu.faults({});
  }
});

test('5xx after all retries is a ServerError; 408 a ServerTimeoutError', async () => {
  const appId = nextApp();
  await emu.faults({ p_5xx: 1 });
  try {
    const err = await client(appId, { maxRetries: 0 }).userEvents().catch((e) => e);
    assert.ok(err instanceof rtm.ServerError, `${err.name}: ${err.message}`);
    assert.ok(err.status >= 500);
  } finally {
    await emu.faults({});
  }
  await emu.faults({ p_408: 1 });
  try {
    const err = await client(appId, { maxRetries: 0 }).userEvents().catch((e) => e);
    assert.ok(err instanceof rtm.ServerTimeoutError, `${err.name}: ${err.message}`);
    assert.equal(err.status, 408);
  } finally {
    await emu.faults({});
  }
});

test('fails over from a dead host to the next base URL', async () => {
  const appId = nextApp();
  await emu.userEvents(appId, [{ user_id: 'f', type: 'Login', ms: 1 }]);
  const c = client(appId, { baseUrl: ['http://127.0.0.1:1', emu.url] });
  assert.deepEqual(c.endpoints, ['http://127.0.0.1:1', emu.url]);
  const page = await c.userEvents();
  assert.deepEqual(page.events, [{ userId: 'f', kind: 'Login', ms: 1 }]);
});

test('network failure after all retries is a TransportError', async () => {
  const c = client(nextApp(), { baseUrl: 'http://127.0.0.1:1', maxRetries: 0 });
  const err = await c.userEvents().catch((e) => e);
  assert.ok(err instanceof rtm.TransportError, `${err.name}: ${err.message}`);
  assert.equal(err.transportKind, 'connect');
  assert.equal(err.status, null);
});

test('bad credentials reject with AuthError (401) and never echo the secret', async () => {
  const c = new Client({
    appId: nextApp(),
    auth: { type: 'basic', customerId: 'cid', customerSecret: 'wrong-secret-123' },
    baseUrl: emu.url,
  });
  const err = await c.userEvents().catch((e) => e);
  assert.ok(err instanceof rtm.AuthError, `${err.name}: ${err.message}`);
  assert.equal(err.status, 401);
  assert.ok(!err.message.includes('wrong-secret-123'));
  assert.ok(!inspect(err).includes('wrong-secret-123'));
  assert.ok(!JSON.stringify(err).includes('wrong-secret-123'));
});

test('token auth: minted 007 and 006 tokens, a passed token, a bad token', async () => {
  await emu.userEvents(APP_ID, [{ user_id: 'm', type: 'Login', ms: 3 }]);
  const minted = new Client({
    appId: APP_ID,
    auth: { type: 'mintedToken', appCertificate: APP_CERT, userId: 'svc', lifetimeSeconds: 600 },
    baseUrl: emu.url,
  });
  assert.deepEqual((await minted.userEvents()).events, [{ userId: 'm', kind: 'Login', ms: 3 }]);
  const legacy = new Client({
    appId: APP_ID,
    auth: { type: 'mintedToken', appCertificate: APP_CERT, userId: 'svc', legacy: true },
    baseUrl: emu.url,
  });
  await legacy.channelEvents();
  const token = rtm.buildRtmToken({ appId: APP_ID, appCertificate: APP_CERT, userId: 'svc', lifetimeSeconds: 600 });
  await new Client({ appId: APP_ID, auth: { type: 'token', token }, baseUrl: emu.url }).userEvents();
  const t006 = rtm.buildLegacyRtmToken({ appId: APP_ID, appCertificate: APP_CERT, userId: 'svc', lifetimeSeconds: 600 });
  await new Client({ appId: APP_ID, auth: { type: 'legacyToken', token: t006, uid: 'svc' }, baseUrl: emu.url }).userEvents();
  const wrong = rtm.buildRtmToken({ appId: APP_ID, appCertificate: '0'.repeat(32), userId: 'svc', lifetimeSeconds: 600 });
  const err = await new Client({ appId: APP_ID, auth: { type: 'token', token: wrong }, baseUrl: emu.url })
    .userEvents()
    .catch((e) => e);
  assert.ok(err instanceof rtm.AuthError, `${err.name}: ${err.message}`);
  assert.ok(!err.message.includes(wrong));
});

test('invalid options throw InvalidInputError naming the field, without the secret', () => {
  const cases = [
    [{ appId: 'a', auth: { type: 'nope' } }, 'auth.type'],
    [{ appId: 'a', auth: { type: 'basic', customerId: 'x' } }, 'auth.customerSecret'],
    [{ appId: 'a', auth: { type: 'basic', customerId: 'x', customerSecret: 42 } }, 'auth.customerSecret'],
    [{ appId: '', auth: { type: 'basic', customerId: 'x', customerSecret: SECRET } }, 'app_id'],
    [{ appId: 'a', auth: { type: 'basic', customerId: 'x', customerSecret: SECRET }, baseUrl: 'ftp://x' }, null],
    [{ appId: 'a', auth: { type: 'basic', customerId: 'x', customerSecret: SECRET }, regions: ['mars-1'] }, null],
    [{ appId: 'a', auth: { type: 'mintedToken', appCertificate: SECRET, userId: 'u' } }, null],
  ];
  for (const [options, field] of cases) {
    let err;
    try {
      new Client(options);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof rtm.InvalidInputError, `${JSON.stringify(options.auth.type)}: ${err}`);
    if (field) assert.equal(err.field, field);
    assert.ok(!err.message.includes(SECRET), err.message);
  }
});

test('secrets never appear in util.inspect or JSON.stringify of a client', () => {
  const c = client('demo');
  for (const text of [inspect(c), inspect(c, { showHidden: true, depth: 10 }), JSON.stringify(c), String(c)]) {
    assert.ok(!text.includes(SECRET), text);
  }
  assert.ok(inspect(c).includes('demo'));
});

test('Client.fromEnv reads the same variables as the CLI', async () => {
  const appId = nextApp();
  const saved = { ...process.env };
  Object.assign(process.env, {
    AGORA_APP_ID: appId,
    AGORA_CUSTOMER_ID: 'cid',
    AGORA_CUSTOMER_SECRET: SECRET,
    AGORA_RTM_BASE_URL: emu.url,
  });
  try {
    const c = Client.fromEnv();
    assert.equal(c.appId, appId);
    assert.deepEqual((await c.userEvents()).events, []);
    delete process.env.AGORA_CUSTOMER_SECRET;
    delete process.env.AGORA_CUSTOMER_ID;
    assert.throws(() => Client.fromEnv(), rtm.InvalidInputError);
  } finally {
    process.env = saved;
  }
});

test('an AbortSignal cancels a call in flight, and a pre-aborted one never starts', async () => {
  const appId = nextApp();
  const c = client(appId);
  await emu.faults({ latency_ms: 3000 });
  try {
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 100);
    const err = await c.userEvents({ signal: ac.signal }).catch((e) => e);
    assert.equal(err.name, 'AbortError');
    assert.ok(Date.now() - started < 2000, 'rejected promptly');
    const reason = new Error('custom reason');
    const err2 = await c.channelEvents({ signal: AbortSignal.abort(reason) }).catch((e) => e);
    assert.equal(err2, reason);
    const err3 = await c.channelEvents({ signal: AbortSignal.timeout(50) }).catch((e) => e);
    assert.equal(err3.name, 'TimeoutError');
  } finally {
    await emu.faults({});
  }
  assert.deepEqual((await c.userEvents()).events, [], 'the client still works after aborts');
  await assert.rejects(c.userEvents({ signal: 'nope' }), rtm.InvalidInputError);
});

test('the process exits on its own when the client is no longer used', () => {
  const script = `
    const { Client } = require(${JSON.stringify(path.resolve(__dirname, '..'))});
    const c = new Client({ appId: 'exit', auth: { type: 'basic', customerId: 'cid', customerSecret: ${JSON.stringify(SECRET)} }, baseUrl: ${JSON.stringify(emu.url)} });
    c.userEvents().then((p) => console.log('read', p.events.length));
  `;
  const r = spawnSync(process.execPath, ['-e', script], { timeout: 10000, encoding: 'utf8' });
  assert.equal(r.error, undefined, 'did not hang');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /read 0/);
});
