'use strict';
// client.watch(): an async iterator over the Rust watcher, with presence, sinks,
// clean stop on `break`, and errors as AgoraRtmError subclasses.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const rtm = require('..');
const { startEmulator } = require('./helpers/emulator.js');

let emu;
test.before(async () => {
  emu = await startEmulator(['--regions', 'us-west-1,eu-west-1'], { regions: 2 });
});
test.after(async () => {
  await emu.stop();
});

function client(appId) {
  return new rtm.Client({ appId, auth: { type: 'basic', customerId: 'c', customerSecret: 's' }, baseUrl: emu.url });
}

test('yields events, keeps presence, and `break` stops it cleanly', async () => {
  const appId = 'watch1';
  await emu.userEvents(appId, [
    { user_id: 'alice', type: 'Login', ms: 1000 },
    { user_id: 'bob', type: 'Login', ms: 1001 },
    { user_id: 'bob', type: 'Logout', ms: 1005 },
  ]);
  await emu.channelEvents(appId, [{ group_id: 'room', user_id: 'alice', type: 'Join', ms: 1002 }]);
  const c = client(appId);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtm-node-'));
  const sink = path.join(dir, 'events.jsonl');
  const watch = c.watch({ presence: true, sink: `jsonl:${sink}`, statsIntervalMs: 200 });
  const seen = { user: [], channel: [], stats: 0 };
  for await (const item of watch) {
    if (item.type === 'user') seen.user.push(item);
    else if (item.type === 'channel') seen.channel.push(item);
    else if (item.type === 'stats') seen.stats += 1;
    if (seen.user.length === 3 && seen.channel.length === 1 && seen.stats > 0) {
      const p = await c.presence();
      assert.deepEqual(p.online, { alice: 1000 });
      assert.deepEqual(p.channels, { room: { alice: 1002 } });
      assert.deepEqual(await watch.presence(), p);
      // presence() accepts an AbortSignal like every async call.
      await assert.rejects(c.presence({ signal: AbortSignal.abort() }), { name: 'AbortError' });
      assert.deepEqual(await c.presence({ signal: new AbortController().signal }), p);
      break;
    }
  }
  assert.deepEqual(seen.user.map((e) => [e.userId, e.kind, e.ms]), [
    ['alice', 'Login', 1000],
    ['bob', 'Login', 1001],
    ['bob', 'Logout', 1005],
  ]);
  assert.deepEqual(seen.channel[0], { type: 'channel', channelId: 'room', userId: 'alice', kind: 'Join', ms: 1002 });
  const lines = fs.readFileSync(sink, 'utf8').trim().split('\n').map(JSON.parse);
  assert.ok(lines.filter((l) => l.item === 'user_event').length >= 3, 'the sink stored the events');
  assert.equal(await c.presence(), null, 'the watcher has ended');
  const again = await watch.next();
  assert.equal(again.done, true);
});

test('reads two regions side by side and de-duplicates', async () => {
  const appId = 'watch2';
  await emu.userEvents(appId, [{ user_id: 'dup', type: 'Login', ms: 7 }]);
  const watch = client(appId).watch({ sources: emu.urls, statsIntervalMs: 300, feeds: ['users'] });
  const users = [];
  let stats;
  for await (const item of watch) {
    if (item.type === 'user') users.push(item.userId);
    if (item.type === 'stats' && item.feeds.users.reads >= 4) {
      stats = item;
      break;
    }
  }
  assert.deepEqual(users, ['dup']);
  assert.ok(stats.feeds.users.duplicates >= 1, JSON.stringify(stats));
});

test('an AbortSignal stops the watcher; bad credentials end it with AuthError', async () => {
  const ac = new AbortController();
  const watch = client('watch3').watch({ signal: ac.signal, statsIntervalMs: 100 });
  let n = 0;
  for await (const item of watch) {
    n += 1;
    if (item.type === 'stats') ac.abort();
  }
  assert.ok(n >= 1);

  const bad = await startEmulator(['--customer-id', 'x', '--customer-secret', 'y']);
  try {
    const c = new rtm.Client({ appId: 'w4', auth: { type: 'basic', customerId: 'x', customerSecret: 'nope' }, baseUrl: bad.url });
    await assert.rejects(async () => {
      for await (const _ of c.watch()) {
        // nothing arrives
      }
    }, rtm.AuthError);
  } finally {
    await bad.stop();
  }
  await assert.rejects(async () => {
    for await (const _ of client('w5').watch({ sink: 'nosuch:thing' })) {
      // never
    }
  }, rtm.InvalidInputError);
});
