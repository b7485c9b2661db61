'use strict';
// Runs every shared vector of tests/vectors (requests, responses, flows, tokens)
// through the addon: the protocol's real Exchange state machine and token code,
// driven the way crates/protocol/tests/{vectors,token_vectors}.rs drive them.
// Fails if an id of index.json was not executed (skip list below, reviewed: empty).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const rtm = require('..');

const { testing, AgoraRtmError, TokenError, InvalidInputError } = rtm;

const VECTORS = path.resolve(__dirname, '../../tests/vectors');
/** Ids this runner may skip, with the reason. Reviewed: none. */
const SKIP = new Map();

const executed = new Set();

function loadGroup(group) {
  const dir = path.join(VECTORS, group);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
}

function header(req, name) {
  const h = req.headers.find(([k]) => k.toLowerCase() === name.toLowerCase());
  return h ? h[1] : undefined;
}

function checkRequest(ctx, req, expect) {
  assert.equal(req.type, 'send', `${ctx}: expected a request, got ${JSON.stringify(req)}`);
  if (expect.method !== undefined) assert.equal(req.method, expect.method, `${ctx}: method`);
  if (expect.url !== undefined) assert.equal(req.url, expect.url, `${ctx}: url`);
  for (const [name, value] of Object.entries(expect.headers ?? {})) {
    assert.equal(header(req, name), value, `${ctx}: header ${name}`);
  }
  for (const name of expect.absent_headers ?? []) {
    assert.equal(header(req, name), undefined, `${ctx}: header ${name} must be absent`);
  }
  if (Object.hasOwn(expect, 'body')) {
    if (expect.body === null) assert.equal(req.body, null, `${ctx}: no body expected`);
    else assert.deepEqual(JSON.parse(req.body ?? ''), expect.body, `${ctx}: body`);
  }
}

function checkError(ctx, err, expect) {
  assert.ok(err instanceof AgoraRtmError, `${ctx}: not an AgoraRtmError: ${err}`);
  assert.equal(err.kind, expect.kind, `${ctx}: error kind (${err.message})`);
  if (expect.status !== undefined) assert.equal(err.status, expect.status, `${ctx}: status`);
  if (Object.hasOwn(expect, 'request_id')) assert.equal(err.requestId, expect.request_id, `${ctx}: request id`);
  if (Object.hasOwn(expect, 'retry_after_ms')) {
    assert.equal(err.retryAfterMs ?? null, expect.retry_after_ms, `${ctx}: retry_after`);
  }
  if (expect.field !== undefined) {
    assert.ok(err instanceof InvalidInputError, `${ctx}: expected InvalidInputError`);
    assert.equal(err.field, expect.field, `${ctx}: invalid field`);
  }
  if (expect.message_contains !== undefined) {
    assert.ok(err.message.includes(expect.message_contains), `${ctx}: message ${err.message} lacks ${expect.message_contains}`);
  }
  if (expect.body_contains !== undefined) {
    assert.ok((err.body ?? '').includes(expect.body_contains), `${ctx}: body lacks ${expect.body_contains}`);
  }
}

/** The page's events in the vectors' normalised shape (snake_case). */
function normalise(events) {
  return events.map((e) => {
    const o = { user_id: e.userId, kind: e.kind, ms: e.ms };
    if (e.channelId !== undefined) o.channel_id = e.channelId;
    return o;
  });
}

/** Operations that are objects (messages, history) run through the protocol's VectorExchange. */
function isObjectOp(operation) {
  return operation !== null && typeof operation === 'object';
}

function exchangeOf(ctx, operation, seed) {
  return isObjectOp(operation) ? ctx.vectorExchange(operation, seed) : ctx.exchange(operation, seed);
}

/** A VectorExchange result (normalised snake_case JSON) against `ok`, key by key, as vectors.rs does. */
function checkNormalised(ctx, result, ok) {
  for (const [key, want] of Object.entries(ok)) {
    if (key === 'event_count') assert.equal(result.events.length, want, `${ctx}: event count`);
    else if (key === 'message_count') assert.equal(result.messages.length, want, `${ctx}: message count`);
    else assert.deepEqual(result[key] === undefined ? null : result[key], want, `${ctx}: ${key}`);
  }
}

function checkDone(ctx, step, expect, normalised = false) {
  assert.equal(step.type, 'done', `${ctx}: expected the end, got ${JSON.stringify(step)}`);
  if (expect.ok && normalised) {
    assert.ok(step.ok, `${ctx}: expected success, got ${step.error && step.error.message}`);
    checkNormalised(ctx, step.ok, expect.ok);
  } else if (expect.ok) {
    assert.ok(step.ok, `${ctx}: expected success, got ${step.error && step.error.message}`);
    if (Object.hasOwn(expect.ok, 'request_id')) assert.equal(step.ok.requestId, expect.ok.request_id, `${ctx}: request id`);
    if (expect.ok.events) assert.deepEqual(normalise(step.ok.events), expect.ok.events, `${ctx}: events`);
    if (expect.ok.event_count !== undefined) assert.equal(step.ok.events.length, expect.ok.event_count, `${ctx}: event count`);
  } else {
    assert.ok(step.error, `${ctx}: expected an error, got success`);
    checkError(ctx, step.error, expect.error);
  }
}

function runRequest(c) {
  let ctx;
  try {
    ctx = new testing.ExchangeContext(c.config, c.auth);
  } catch (e) {
    assert.ok(c.expect.error, `${c.id}: unexpected error ${e.message}`);
    return checkError(c.id, e, c.expect.error);
  }
  let ex;
  try {
    ex = exchangeOf(ctx, c.operation, 1);
  } catch (e) {
    assert.ok(c.expect.error, `${c.id}: unexpected error ${e.message}`);
    return checkError(c.id, e, c.expect.error);
  }
  assert.equal(c.expect.error, undefined, `${c.id}: expected an error`);
  checkRequest(c.id, ex.start(0), c.expect);
}

function runResponse(c) {
  const config = { ...(c.config ?? {}), base_urls: ['http://127.0.0.1:8080'], retry: { max_attempts: 1 } };
  const ctx = new testing.ExchangeContext(config, { type: 'basic', customer_id: 'x', customer_secret: 'y' });
  const ex = exchangeOf(ctx, c.operation, 1);
  assert.equal(ex.start(0).type, 'send', c.id);
  checkDone(c.id, ex.onResponse(c.response, 10), c.expect, isObjectOp(c.operation));
}

function runFlow(c) {
  const ctx = new testing.ExchangeContext(c.config, c.auth);
  const seed = c.seed ?? 1;
  const exchanges = [];
  const normalised = [];
  let now = 0;
  let lastWait = 0;
  c.steps.forEach((step, n) => {
    const k = step.exchange ?? 0;
    if (step.now_ms !== undefined) now = step.now_ms;
    else if (step.after_ms !== undefined) now += step.after_ms;
    else if (step.after_wait === true) now += lastWait;
    const where = `${c.id} step ${n}`;
    let got;
    if (step.call === 'start') {
      exchanges[k] = exchangeOf(ctx, step.operation, seed + k);
      normalised[k] = isObjectOp(step.operation);
      got = exchanges[k].start(now);
    } else {
      const ex = exchanges[k];
      assert.ok(ex, `${where}: exchange ${k} not started`);
      if (step.call === 'response') got = ex.onResponse(step.response, now);
      else if (step.call === 'transport_error') got = ex.onTransportError(step.kind, now);
      else if (step.call === 'wait_elapsed') got = ex.onWaitElapsed(now);
      else assert.fail(`${where}: unknown call ${step.call}`);
    }
    const e = step.expect;
    if (got.type === 'send') {
      assert.ok(e.send, `${where}: unexpected send to ${got.url}`);
      checkRequest(where, got, e.send);
    } else if (got.type === 'wait') {
      assert.ok(e.wait, `${where}: unexpected wait ${got.ms}`);
      assert.ok(e.wait.min_ms <= got.ms && got.ms <= e.wait.max_ms, `${where}: wait ${got.ms} ms outside ${e.wait.min_ms}..=${e.wait.max_ms}`);
      lastWait = got.ms;
    } else {
      assert.ok(e.done, `${where}: unexpected end ${got.error && got.error.message}`);
      checkDone(where, got, e.done, normalised[k]);
    }
  });
  const names = {
    attempts: 'attempts',
    possibly_lost: 'possiblyLost',
    server_rate_limited: 'serverRateLimited',
    undecodable_success: 'undecodableSuccess',
  };
  for (const [key, value] of Object.entries(c.expect_report ?? {})) {
    assert.ok(names[key], `${c.id}: unknown report field ${key}`);
    assert.deepEqual(exchanges[0].report()[names[key]], value, `${c.id}: report ${key}`);
  }
}

// ---- tokens (format: tests/vectors/tokens/README.md) ----

function subset(expected, actual, where) {
  if (expected && typeof expected === 'object' && !Array.isArray(expected)) {
    assert.ok(actual && typeof actual === 'object', `${where}: expected an object`);
    for (const [k, v] of Object.entries(expected)) {
      if (!Object.hasOwn(actual, k) && v !== null) assert.fail(`${where}.${k}: missing`);
      subset(v, actual[k] ?? null, `${where}.${k}`);
    }
  } else if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual) && actual.length === expected.length, `${where}: ${expected.length} items expected`);
    expected.forEach((v, i) => subset(v, actual[i], `${where}[${i}]`));
  } else {
    assert.deepEqual(actual, expected, where);
  }
}

function runTokenOperation(op, i) {
  const built = (fn) => {
    try {
      const token = fn();
      return { token, parsed: () => rtm.parseToken(token) };
    } catch (e) {
      return { error: e };
    }
  };
  const attempt = (fn) => {
    try {
      const p = fn();
      return { parsed: () => p };
    } catch (e) {
      return { error: e };
    }
  };
  const common = { appId: i.app_id, appCertificate: i.app_certificate, userId: i.user_id };
  switch (op) {
    case 'build_rtm':
      return built(() => rtm.buildRtmToken({ ...common, lifetimeSeconds: i.lifetime_secs, issueTs: i.issue_ts, salt: i.salt }));
    case 'build_legacy_rtm':
      if (i.lifetime_secs !== undefined) {
        return built(() => rtm.buildLegacyRtmToken({ ...common, lifetimeSeconds: i.lifetime_secs, issueTs: i.issue_ts, salt: i.salt }));
      }
      return built(() => testing.buildLegacyRtmTokenRaw(i.app_id, i.app_certificate, i.user_id, i.salt, i.ts, i.privilege_expire_ts));
    case 'build_rtc':
      return built(() => testing.buildRtcToken(i.app_id, i.app_certificate, i.channel_name, i.uid, i.lifetime_secs, i.issue_ts, i.salt));
    case 'parse':
      return attempt(() => rtm.parseToken(i.token));
    case 'verify': {
      const r = attempt(() =>
        rtm.verifyToken(i.token, { appCertificate: i.app_certificate, appId: i.app_id ?? undefined, userId: i.user_id ?? undefined, nowUnix: i.now_unix }),
      );
      r.certificate = i.app_certificate;
      r.sourceToken = i.token;
      return r;
    }
    default:
      throw new Error(`unknown operation ${op}`);
  }
}

const TOKEN_EXPECT = new Set(['token', 'decoded', 'signature_hex', 'content_hex', 'k1_hex', 'k2_hex', 'error']);

function runToken(c, file) {
  assert.equal(c.id, `tokens/${path.basename(file, '.json')}`, 'id matches the file name');
  assert.ok(c.description, `${c.id}: description`);
  for (const k of Object.keys(c.expect)) assert.ok(TOKEN_EXPECT.has(k), `${c.id}: unknown expect field ${k}`);
  const out = runTokenOperation(c.operation, c.input);
  if (c.expect.error !== undefined) {
    let err = out.error;
    if (!err) {
      try {
        out.parsed();
      } catch (e) {
        err = e;
      }
    }
    assert.ok(err, `${c.id}: expected error ${c.expect.error}, got success`);
    assert.ok(err instanceof TokenError, `${c.id}: expected a TokenError, got ${err.name}: ${err.message}`);
    assert.equal(err.reason, c.expect.error, `${c.id}: token error (${err.message})`);
    return;
  }
  if (out.error) assert.fail(`${c.id}: unexpected error ${out.error.reason ?? out.error.kind}: ${out.error.message}`);
  if (c.expect.token !== undefined) assert.equal(out.token, c.expect.token, `${c.id}: token`);
  const parsed = out.parsed();
  if (c.expect.decoded) subset(c.expect.decoded, parsed.details, `${c.id}: decoded`);
  if (c.expect.signature_hex) assert.equal(parsed.signatureHex, c.expect.signature_hex, `${c.id}: signature`);
  if (c.expect.content_hex) assert.equal(parsed.contentHex, c.expect.content_hex, `${c.id}: content`);
  if (c.expect.k1_hex || c.expect.k2_hex) {
    assert.ok(out.certificate, `${c.id}: k1/k2 need a verify operation`);
    const keys = testing.tokenSigningKeys(out.sourceToken, out.certificate);
    if (c.expect.k1_hex) assert.equal(keys.k1Hex, c.expect.k1_hex, `${c.id}: k1`);
    if (c.expect.k2_hex) assert.equal(keys.k2Hex, c.expect.k2_hex, `${c.id}: k2`);
  }
}

for (const [group, run] of [
  ['requests', runRequest],
  ['responses', runResponse],
  ['flows', runFlow],
]) {
  test.describe(`vectors: ${group}`, () => {
    for (const c of loadGroup(group)) {
      test.it(c.id, { skip: SKIP.get(c.id) }, () => {
        assert.ok(c.id.startsWith(`${group}/`), `${c.id} is not in ${group}/`);
        run(c);
        executed.add(c.id);
      });
    }
  });
}

test.describe('vectors: tokens', () => {
  const dir = path.join(VECTORS, 'tokens');
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const c = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    test.it(c.id, { skip: SKIP.get(c.id) }, () => {
      runToken(c, f);
      executed.add(c.id);
    });
  }
});

test.it('every id of tests/vectors/index.json was executed (skip list reviewed: empty)', () => {
  const index = JSON.parse(fs.readFileSync(path.join(VECTORS, 'index.json'), 'utf8'));
  const missing = index.ids.filter((id) => !executed.has(id) && !SKIP.has(id));
  assert.deepEqual(missing, [], 'ids in index.json not executed (or failed)');
  const unlisted = [...executed].filter((id) => !index.ids.includes(id));
  assert.deepEqual(unlisted, [], 'ids executed but not in index.json');
  assert.equal(executed.size, index.ids.length - SKIP.size);
});
