#!/usr/bin/env bash
# `npm pack`s the package, installs the tarball into a scratch project and checks
# that it loads with `require` and with `import` (run by `make node-test`).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
tarball="$(cd "$here" && npm pack --silent --pack-destination "$scratch" | tail -n 1)"
cd "$scratch"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent "./$tarball"
cat > check.cjs <<'JS'
const assert = require('node:assert/strict');
const rtm = require('agora-rtm-rest');
const t = rtm.buildRtmToken({ appId: '970CA35de60c44645bbae8a215061b33', appCertificate: '5CFd2fd1755d40ecb72977518be15d3b', userId: 'u' });
assert.equal(rtm.verifyToken(t, { appCertificate: '5CFd2fd1755d40ecb72977518be15d3b' }).userId, 'u');
const c = new rtm.Client({ appId: 'demo', auth: { type: 'token', token: t }, baseUrl: 'http://127.0.0.1:1' });
assert.equal(c.appId, 'demo');
assert.throws(() => new rtm.Client({ appId: 'demo', auth: { type: 'x' } }), rtm.InvalidInputError);
console.log('require: ok');
JS
cat > check.mjs <<'JS'
import assert from 'node:assert/strict';
import rtmDefault, { Client, parseToken, buildLegacyRtmToken, AgoraRtmError, InvalidInputError } from 'agora-rtm-rest';
assert.equal(rtmDefault.Client, Client);
const t = buildLegacyRtmToken({ appId: '970CA35de60c44645bbae8a215061b33', appCertificate: '5CFd2fd1755d40ecb72977518be15d3b', userId: 'u' });
assert.equal(parseToken(t).version, '006');
assert.ok(new InvalidInputError('x') instanceof AgoraRtmError);
const err = await new Client({ appId: 'demo', auth: { type: 'basic', customerId: 'a', customerSecret: 'b' }, baseUrl: 'http://127.0.0.1:1', maxRetries: 0 }).userEvents().catch((e) => e);
assert.ok(err instanceof AgoraRtmError && err.kind === 'transport', String(err));
console.log('import: ok');
JS
node check.cjs
node check.mjs
echo "pack-smoke: $tarball installs and loads with require and import"
