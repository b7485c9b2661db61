'use strict';
// Starts the emulator binary (AGORA_RTM_BIN) on port 0 and talks to its admin API.

const { spawn } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');
const readline = require('node:readline');

function binary() {
  const bin = process.env.AGORA_RTM_BIN || path.resolve(__dirname, '../../../target/x86_64-unknown-linux-gnu/debug/agora-rtm');
  if (!fs.existsSync(bin)) {
    throw new Error(`emulator binary not found at ${bin}: run \`cargo build -p agora-rtm-rest-cli\` or set AGORA_RTM_BIN`);
  }
  return bin;
}

/** Starts `agora-rtm emulator --port 0 ...args`; resolves once its base URLs are printed. */
async function startEmulator(args = [], { regions = 1 } = {}) {
  const child = spawn(binary(), ['emulator', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const rl = readline.createInterface({ input: child.stdout });
  const urls = await new Promise((resolve, reject) => {
    const got = [];
    const timer = setTimeout(() => reject(new Error(`emulator did not start: ${stderr}`)), 15000);
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}: ${stderr}`)));
    rl.on('line', (line) => {
      if (got.length < regions && line.startsWith('http')) got.push(line.trim());
      if (got.length === regions) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
  child.removeAllListeners('exit');
  const base = urls[0];
  const admin = async (method, route, body) => {
    const r = await fetch(`${base}/_emulator${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`admin ${method} ${route}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return {
    urls,
    url: base,
    admin,
    userEvents: (appId, events, query = '') => admin('POST', `/apps/${appId}/user_events${query}`, events),
    channelEvents: (appId, events, query = '') => admin('POST', `/apps/${appId}/channel_events${query}`, events),
    stats: () => admin('GET', '/stats'),
    faults: (f) => admin('PUT', '/faults', { p_408: 0, p_5xx: 0, p_lost_response: 0, p_429: 0, latency_ms: 0, ...f }),
    reset: () => admin('POST', '/reset'),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

module.exports = { startEmulator, binary };
