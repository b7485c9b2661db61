'use strict';
// Token API and interop with Agora's own builders (npm agora-token, pinned 2.0.6),
// both ways: their tokens verify here, ours decode and verify there, and with the
// same issue time and salt both produce the same string.

const test = require('node:test');
const assert = require('node:assert/strict');
const zlib = require('node:zlib');
const rtm = require('..');

const { AccessToken2, ServiceRtm } = require('agora-token/src/AccessToken2');
const { AccessToken: LegacyAccessToken, priviledges } = require('agora-token/src/AccessToken');
const { RtmTokenBuilder } = require('agora-token');

assert.equal(require('agora-token/package.json').version, '2.0.6');

const HEX = '0123456789abcdefABCDEF';
// mulberry32, seeded: a failing case can be replayed with TOKEN_SEED
const SEED = Number(process.env.TOKEN_SEED ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
function rng(seed) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), pick: (s) => s[Math.floor(next() * s.length)] };
}

function cases(n) {
  const r = rng(SEED);
  return Array.from({ length: n }, () => ({
    appId: Array.from({ length: 32 }, () => r.pick(HEX)).join(''),
    cert: Array.from({ length: 32 }, () => r.pick(HEX)).join(''),
    user: Array.from({ length: r.int(1, 40) }, () => r.pick('abcdefghijklmnopqrstuvwxyz0123456789_-.@')).join(''),
    issueTs: r.int(1_600_000_000, 1_900_000_000),
    lifetime: r.int(1, 86400),
    salt: r.int(1, 99_999_999),
  }));
}

test(`007: identical content, and each side verifies the other's (seed ${SEED})`, () => {
  for (const c of cases(30)) {
    const t = new AccessToken2(c.appId, c.cert, c.issueTs, c.lifetime);
    t.salt = c.salt;
    const s = new ServiceRtm(c.user);
    s.add_privilege(ServiceRtm.kPrivilegeLogin, c.lifetime);
    t.add_service(s);
    const theirs = t.build();
    const ours = rtm.buildRtmToken({ appId: c.appId, appCertificate: c.cert, userId: c.user, lifetimeSeconds: c.lifetime, issueTs: c.issueTs, salt: c.salt });
    // Node's bundled zlib (Chromium's) deflates differently from C zlib, so their
    // string may differ in encoding only: compare the decompressed content.
    assert.equal(rtm.parseToken(ours).contentHex, rtm.parseToken(theirs).contentHex, JSON.stringify(c));
    const inflate = (x) => zlib.inflateSync(Buffer.from(x.slice(3), 'base64')).toString('hex');
    assert.equal(inflate(ours), inflate(theirs));
    const v = rtm.verifyToken(theirs, { appCertificate: c.cert, appId: c.appId, userId: c.user, nowUnix: c.issueTs + 1 });
    assert.equal(v.userId, c.user);
    assert.equal(v.expiresAt, c.issueTs + c.lifetime);
    const p = new AccessToken2('', '', 0, 0);
    assert.equal(p.from_string(ours), true);
    assert.equal(p.verifySignature(c.cert), true);
    assert.equal(p.salt, c.salt);
  }
});

test('006: identical strings and their parser reads ours', () => {
  for (const c of cases(20)) {
    const t = new LegacyAccessToken(c.appId, c.cert, c.user, '');
    t.salt = c.salt;
    t.ts = c.issueTs + 86400;
    t.addPriviledge(priviledges.kRtmLogin, c.issueTs + c.lifetime);
    const theirs = t.build();
    const ours = rtm.buildLegacyRtmToken({ appId: c.appId, appCertificate: c.cert, userId: c.user, lifetimeSeconds: c.lifetime, issueTs: c.issueTs, salt: c.salt });
    assert.equal(ours, theirs);
    const v = rtm.verifyToken(theirs, { appCertificate: c.cert, userId: c.user, nowUnix: c.issueTs });
    assert.equal(v.version, '006');
    const p = new LegacyAccessToken('', '', '', '');
    assert.equal(p.fromString(ours), true);
    assert.equal(p.salt, c.salt);
  }
});

test("their public builder's tokens (now, random salt) verify here", () => {
  const [c] = cases(1);
  const token = RtmTokenBuilder.buildToken(c.appId, c.cert, c.user, 600);
  const v = rtm.verifyToken(token, { appCertificate: c.cert, userId: c.user });
  assert.ok(Math.abs(v.issuedAt - Date.now() / 1000) < 10);
});

test('token errors are TokenError with a stable reason; never the certificate', () => {
  const [c] = cases(1);
  const token = rtm.buildRtmToken({ appId: c.appId, appCertificate: c.cert, userId: 'u', lifetimeSeconds: 60, issueTs: 1_700_000_000 });
  const cases2 = [
    [() => rtm.verifyToken(token, { appCertificate: '0'.repeat(32), nowUnix: 1_700_000_001 }), 'bad_signature'],
    [() => rtm.verifyToken(token, { appCertificate: c.cert, nowUnix: 1_700_000_060 }), 'expired'],
    [() => rtm.verifyToken(token, { appCertificate: c.cert, userId: 'v', nowUnix: 1_700_000_001 }), 'wrong_user_id'],
    [() => rtm.parseToken('008abc'), 'bad_prefix'],
    [() => rtm.buildRtmToken({ appId: c.appId, appCertificate: c.cert, userId: 'u', lifetimeSeconds: 1_700_000_000 }), 'lifetime_looks_absolute'],
    [() => rtm.buildRtmToken({ appId: 'x', appCertificate: c.cert, userId: 'u' }), 'invalid_app_id'],
  ];
  for (const [fn, reason] of cases2) {
    assert.throws(fn, (e) => {
      assert.ok(e instanceof rtm.TokenError && e instanceof rtm.AgoraRtmError, String(e));
      assert.equal(e.reason, reason);
      assert.ok(!e.message.includes(c.cert));
      return true;
    });
  }
  assert.throws(() => rtm.buildRtmToken({ appId: c.appId, appCertificate: c.cert, userId: 'u', lifetimeSeconds: -1 }), rtm.InvalidInputError);
  assert.throws(() => rtm.parseToken(42), rtm.InvalidInputError);
});

test('defaults: issue time now, random salt, one hour', () => {
  const [c] = cases(1);
  const a = rtm.parseToken(rtm.buildRtmToken({ appId: c.appId, appCertificate: c.cert, userId: 'u' }));
  const b = rtm.parseToken(rtm.buildRtmToken({ appId: c.appId, appCertificate: c.cert, userId: 'u' }));
  assert.equal(a.expiresAt - a.issuedAt, 3600);
  assert.notEqual(a.details.salt, b.details.salt);
});
