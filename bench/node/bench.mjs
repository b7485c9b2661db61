// Node benchmarks of agora-rtm-rest (run: node bench/node/bench.mjs; build the
// addon first, release for real figures: cd node && npm run build).
//   1. fetch + decode of 1000-event pages: this package versus the built-in fetch +
//      JSON.parse + mapping to objects, same emulator, same run (reads interleaved).
//   2. token minting versus agora-token (npm, 2.0.6).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../node/package.json'));
const rtm = require('agora-rtm-rest');
const { startEmulator } = require(path.join(here, '../../node/test/helpers/emulator.js'));
const { RtmTokenBuilder } = require('agora-token');

const PAGES = Number(process.env.BENCH_PAGES || 60);
const MINTS = Number(process.env.BENCH_MINTS || 20000);

const emu = await startEmulator(['--rate-limit', '1000000']);
const appId = 'bench';
const client = new rtm.Client({
  appId,
  auth: { type: 'basic', customerId: 'c', customerSecret: 's' },
  baseUrl: emu.url,
  rateLimit: { limit: 1_000_000, windowMs: 1000 },
});
const page = Array.from({ length: 1000 }, (_, i) => ({ user_id: `user-${i}`, type: i % 2 ? 'Logout' : 'Login', ms: 1_700_000_000_000 + i }));
const url = `${emu.url}/dev/v2/project/${appId}/rtm/vendor/user_events`;
const auth = `Basic ${Buffer.from('c:s').toString('base64')}`;

async function viaFetch() {
  const r = await fetch(url, { headers: { authorization: auth } });
  const body = JSON.parse(await r.text());
  const events = body.events.map((e) => ({ userId: e.user_id, kind: e.type, ms: e.ms ?? e.ts }));
  return { requestId: body.request_id, events };
}
const viaPackage = process.env.BENCH_JSON ? () => rtm.testing.userEventsObjects(client) : () => client.userEvents();

const times = { fetch: [], package: [] };
for (let i = 0; i < PAGES + 5; i++) {
  for (const [name, fn] of i % 2 ? [['fetch', viaFetch], ['package', viaPackage]] : [['package', viaPackage], ['fetch', viaFetch]]) {
    await emu.userEvents(appId, page);
    const t0 = process.hrtime.bigint();
    const p = await fn();
    const dt = Number(process.hrtime.bigint() - t0) / 1e6;
    if (p.events.length !== 1000) throw new Error(`${name}: ${p.events.length} events`);
    if (i >= 5) times[name].push(dt);
  }
}
await emu.stop();
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const f = median(times.fetch);
const pk = median(times.package);
console.log(`fetch+decode 1000 events: package ${pk.toFixed(2)} ms, fetch+JSON.parse+map ${f.toFixed(2)} ms (median of ${PAGES}): ${(f / pk).toFixed(2)}x`);

const appCert = ['970CA35de60c44645bbae8a215061b33', '5CFd2fd1755d40ecb72977518be15d3b'];
function bench(fn) {
  for (let i = 0; i < 1000; i++) fn(i);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < MINTS; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / 1e3 / MINTS;
}
const ours = bench((i) => rtm.buildRtmToken({ appId: appCert[0], appCertificate: appCert[1], userId: `user-${i}`, lifetimeSeconds: 3600 }));
const theirs = bench((i) => RtmTokenBuilder.buildToken(appCert[0], appCert[1], `user-${i}`, 3600));
console.log(`mint 007 RTM token: package ${ours.toFixed(2)} us, agora-token ${theirs.toFixed(2)} us: ${(theirs / ours).toFixed(2)}x`);
