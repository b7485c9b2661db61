// Compiled with `tsc --noEmit --strict`: the public types as a user writes them.
import {
  Client,
  AgoraRtmError,
  RateLimitedError,
  TokenError,
  buildRtmToken,
  parseToken,
  verifyToken,
  type ChannelEvent,
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

void main;
