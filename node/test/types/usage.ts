// Compiled with `tsc --noEmit --strict`: the public types as a user writes them.
import {
  Client,
  AgoraRtmError,
  RateLimitedError,
  TokenError,
  buildRtmToken,
  parseToken,
  verifyToken,
  InvalidInputError,
  type ChannelEvent,
  type HistoryMessage,
  type HistoryV2Message,
  type MessageReceipt,
  type UserEvent,
  type WatchItem,
} from 'agora-rtm-rest';

async function main(): Promise<void> {
  const client = new Client({
    appId: 'demo',
    auth: { type: 'basic', customerId: 'id', customerSecret: 'secret' },
    baseUrl: ['http://127.0.0.1:8080'],
    maxRetries: 2,
    timeoutMs: 5000,
  });
  const minted = new Client({ appId: 'x', auth: { type: 'mintedToken', appCertificate: 'c', userId: 'u', lifetimeSeconds: 600 } });
  const env: Client = Client.fromEnv();
  const ac = new AbortController();
  const page = await client.userEvents({ signal: ac.signal });
  const first: UserEvent | undefined = page.events[0];
  const id: string = page.requestId;
  const ch = await minted.channelEvents();
  const c: ChannelEvent[] = ch.events;
  for await (const item of env.watch({ presence: true, sink: 'sqlite:watch.db', regions: ['us-west-1'] })) {
    const i: WatchItem = item;
    if (item.type === 'user') console.log(item.userId, item.kind, item.ms);
    else if (item.type === 'gap') console.log(item.reason, item.estimatedEvents);
    else if (item.type === 'stats') console.log(item.feeds.users?.eventsPerSec);
    const p = await client.presence();
    if (p) console.log(Object.keys(p.online).length, p.channels);
    void i;
    break;
  }
  try {
    await client.userEvents();
  } catch (e) {
    if (e instanceof RateLimitedError) console.log(e.retryAfterMs, e.status, e.requestId);
    else if (e instanceof AgoraRtmError) console.log(e.kind, e.body);
  }
  const token: string = buildRtmToken({ appId: 'a', appCertificate: 'c', userId: 'u', lifetimeSeconds: 3600 });
  const parsed = parseToken(token);
  const exp: number | null | undefined = parsed.expiresAt;
  try {
    verifyToken(token, { appCertificate: 'c', userId: 'u' });
  } catch (e) {
    if (e instanceof TokenError) console.log(e.reason);
  }
  console.log(first, id, c, exp);
}

async function messages(client: Client): Promise<void> {
  const ac = new AbortController();
  const receipt: MessageReceipt = await client.sendPeerMessage({ from: 'server', to: 'alice', payload: 'hi', waitForAck: true, signal: ac.signal });
  if (receipt.outcome === 'message_offline') console.log('alice is offline', receipt.requestId);
  const sent = await client.sendChannelMessage({ from: 'server', channel: 'lobby', payload: 'hello', storeInHistory: true });
  const outcome: string = sent.outcome;
  const polling = new Client({ appId: 'a', auth: { type: 'token', token: 't' }, historyPollIntervalMs: 200, historyPollTimeoutMs: 10_000 });
  for await (const m of client.history({ destination: 'lobby', startTime: new Date(Date.now() - 3_600_000), endTime: new Date(), limit: 100 })) {
    const h: HistoryMessage = m;
    console.log(h.src, h.dst, h.messageType, h.payload, h.ms);
    break;
  }
  for await (const page of client.history({ source: 'server', startTime: 0, endTime: 1_700_000_000, order: 'desc' }).pages()) {
    const n: number = page.length;
    console.log(n);
  }
  const one: HistoryMessage[] = await client.historyPage({ destination: 'lobby', startTime: 0, endTime: 1, limit: 20, signal: ac.signal });
  const count: number = await polling.countHistory({ destination: 'lobby', startTime: 0, endTime: 1 });
  for await (const m of client.historyV2({ userId: 'server', channel: 'lobby', channelType: 'message', start: Date.now(), pageSize: 50 })) {
    const v: HistoryV2Message = m;
    if (m.messageType === 'BINARY') {
      const b: Buffer = m.payload;
      console.log(b.length);
    } else {
      const t: string = m.payload;
      console.log(t, m.customType ?? 'none', m.timestamp, m.publisher);
    }
    void v;
  }
  try {
    client.historyV2({ userId: 'server', channel: 'lobby', pageSize: 0 });
  } catch (e) {
    if (e instanceof InvalidInputError) console.log(e.field);
  }
  console.log(outcome, one, count);
}

void main;
void messages;
