// Types of agora-rtm-rest for Node.js (the idiomatic layer in lib/index.js).

export type Auth =
  | { type: 'basic'; customerId: string; customerSecret: string }
  | { type: 'token'; token: string }
  | { type: 'legacyToken'; token: string; uid: string }
  | { type: 'mintedToken'; appCertificate: string; userId: string; lifetimeSeconds?: number; legacy?: boolean };

export interface ClientOptions {
  appId: string;
  auth: Auth;
  /** Base URL(s) instead of Agora's hosts (the emulator, a proxy); several fail over in order. */
  baseUrl?: string | string[];
  /** Agora regions to fail over to, e.g. `['us-west-1', 'eu-west-1']`. */
  regions?: string[];
  area?: 'global' | 'mainland_china';
  /** Whole-request timeout. */
  timeoutMs?: number;
  /** Retries after the first attempt (default 4). */
  maxRetries?: number;
  /** Client-side rate limit (default 10 per 1005 ms, shared by every client of the app id). */
  rateLimit?: { limit: number; windowMs: number };
  /** Legacy history: wait between `in progress` polls, in milliseconds (default 2000). */
  historyPollIntervalMs?: number;
  /** Legacy history: give up polling after this many milliseconds (default 60000). */
  historyPollTimeoutMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface UserEvent {
  userId: string;
  /** `'Login'`, `'Logout'` or the unknown wire text. */
  kind: 'Login' | 'Logout' | (string & {});
  /** Unix milliseconds. */
  ms: number;
}

export interface ChannelEvent {
  channelId: string;
  userId: string;
  /** `'Join'`, `'Leave'` or the unknown wire text. */
  kind: 'Join' | 'Leave' | (string & {});
  ms: number;
}

export interface EventsPage<E> {
  requestId: string;
  /** Oldest first; 1000 events mean more may be waiting. */
  events: E[];
}

export type FeedName = 'users' | 'channels';

export interface Gap {
  type: 'gap';
  feed: FeedName;
  source: string;
  reason: 'lost_response' | 'undecodable' | 'overflow' | 'unreadable';
  lostReads: number;
  afterMs: number | null;
  beforeMs: number | null;
  estimatedEvents: number | null;
}

export interface FeedStats {
  reads: number;
  failedReads: number;
  events: number;
  duplicates: number;
  gaps: number;
  estimatedLost: number;
  server429s: number;
  limiterWaits: number;
  fullPages: number;
  eventsPerSec: number;
}

export interface Stats {
  type: 'stats';
  elapsedMs: number;
  feeds: Partial<Record<FeedName, FeedStats>>;
}

export type WatchItem = ({ type: 'user' } & UserEvent) | ({ type: 'channel' } & ChannelEvent) | Gap | Stats;

export interface Presence {
  /** User to the `ms` they came online. */
  online: Record<string, number>;
  /** Channel to members (user to the `ms` they joined). */
  channels: Record<string, Record<string, number>>;
}

export interface WatchOptions {
  /** `jsonl:PATH`, `sqlite:PATH`, `webhook:URL` or `-`. */
  sink?: string;
  webhookSecret?: string;
  /** Agora regions to read side by side (de-duplicated). */
  regions?: string[];
  /** Base URLs to read side by side (de-duplicated). */
  sources?: string[];
  presence?: boolean;
  feeds?: FeedName[];
  /** 0 = no stats items (default 5000). */
  statsIntervalMs?: number;
  maxInFlight?: number;
  /** Aborting stops the watcher cleanly. */
  signal?: AbortSignal;
}

export declare class Watch implements AsyncIterableIterator<WatchItem> {
  private constructor();
  readonly presenceEnabled: boolean;
  next(): Promise<IteratorResult<WatchItem, undefined>>;
  return(): Promise<IteratorResult<WatchItem, undefined>>;
  stop(): void;
  presence(options?: { signal?: AbortSignal }): Promise<Presence | null>;
  [Symbol.asyncIterator](): Watch;
}

// ---- messages and history ----

export interface PeerMessageOptions extends CallOptions {
  /** The sending user (with token auth: the token's user). */
  from: string;
  /** The receiving user. */
  to: string;
  /** The text, 1 byte to 32 KiB. */
  payload: string;
  /** Ask whether `to` is online: outcome `message_delivered` or `message_offline`. */
  waitForAck?: boolean;
  /** Keep the message in history. */
  storeInHistory?: boolean;
}

export interface ChannelMessageOptions extends CallOptions {
  from: string;
  channel: string;
  payload: string;
  storeInHistory?: boolean;
}

export type MessageOutcome = 'message_sent' | 'message_delivered' | 'message_offline' | (string & {});

export interface MessageReceipt {
  requestId: string;
  /** `message_sent`, `message_delivered`, `message_offline`, or an unknown code verbatim. */
  outcome: MessageOutcome;
}

/** A Date, or Unix seconds. */
export type HistoryTime = Date | number;

export interface HistoryFilter extends CallOptions {
  /** Messages from this user (at least one of source and destination). */
  source?: string;
  /** Messages to this user or channel. */
  destination?: string;
  /** Start of the range (inclusive): a Date or Unix seconds. */
  startTime: HistoryTime;
  /** End of the range (inclusive): a Date or Unix seconds. */
  endTime: HistoryTime;
}

export interface HistoryQuery extends HistoryFilter {
  /** Page size: 20 (default), 50 or 100. */
  limit?: 20 | 50 | 100;
  order?: 'asc' | 'desc';
}

export interface HistoryMessage {
  src: string;
  dst: string;
  messageType: 'peer_message' | 'channel_message' | 'group_message' | (string & {});
  payload: string;
  /** Unix milliseconds. */
  ms: number;
}

export interface HistoryV2Query extends CallOptions {
  /** The user the query reads as (with token auth: the token's user). */
  userId: string;
  /** The channel name, or the other user for `channelType: 'user'`. */
  channel: string;
  /** `message` (default) or `user`. */
  channelType?: 'message' | 'user';
  /** Messages at or before this time (Unix ms), going back. */
  start?: number;
  /** Messages at or after this time (Unix ms); must not be after `start`. */
  end?: number;
  /** Messages per page, 1 to 100 (default 100). */
  pageSize?: number;
}

export type HistoryV2Message =
  | { publisher: string; timestamp: number; customType: string | null; messageType: 'STRING'; payload: string }
  | { publisher: string; timestamp: number; customType: string | null; messageType: 'BINARY'; payload: Buffer };

/**
 * Messages of a history query; pages are requested lazily, and leaving a
 * `for await` loop (`return()`) stops fetching.
 */
export declare class HistoryIterable<M> implements AsyncIterableIterator<M> {
  private constructor();
  next(): Promise<IteratorResult<M, undefined>>;
  return(): Promise<IteratorResult<M, undefined>>;
  /** The remaining pages as arrays. */
  pages(): AsyncIterableIterator<M[]>;
  [Symbol.asyncIterator](): HistoryIterable<M>;
}

export declare class Client {
  constructor(options: ClientOptions);
  static fromEnv(): Client;
  readonly appId: string;
  readonly endpoints: string[];
  userEvents(options?: CallOptions): Promise<EventsPage<UserEvent>>;
  channelEvents(options?: CallOptions): Promise<EventsPage<ChannelEvent>>;
  watch(options?: WatchOptions): Watch;
  sendPeerMessage(options: PeerMessageOptions): Promise<MessageReceipt>;
  sendChannelMessage(options: ChannelMessageOptions): Promise<MessageReceipt>;
  /** Throws InvalidInputError synchronously for invalid input (nothing is sent). */
  history(query: HistoryQuery): HistoryIterable<HistoryMessage>;
  historyPage(query: HistoryQuery): Promise<HistoryMessage[]>;
  countHistory(query: HistoryFilter): Promise<number>;
  /** Throws InvalidInputError synchronously for invalid input (nothing is sent). */
  historyV2(query: HistoryV2Query): HistoryIterable<HistoryV2Message>;
  presence(options?: { signal?: AbortSignal }): Promise<Presence | null>;
  toJSON(): { appId: string; endpoints: string[] };
}

export interface TokenOptions {
  appId: string;
  appCertificate: string;
  userId: string;
  /** A duration (1 s ..= 24 h), default 3600. */
  lifetimeSeconds?: number;
  /** Unix seconds, default now. */
  issueTs?: number;
  /** Default random. */
  salt?: number;
}

export interface ParsedToken {
  version: '007' | '006';
  appId: string;
  userId?: string | null;
  issuedAt?: number | null;
  expiresAt?: number | null;
  signatureHex: string;
  contentHex?: string | null;
  /** The language-neutral inspection JSON (snake_case), as `agora-rtm token inspect` prints it. */
  details: Record<string, unknown>;
}

export declare function buildRtmToken(options: TokenOptions): string;
export declare function buildLegacyRtmToken(options: TokenOptions): string;
export declare function parseToken(token: string): ParsedToken;
export declare function verifyToken(
  token: string,
  options: { appCertificate: string; appId?: string; userId?: string; nowUnix?: number },
): ParsedToken;

export declare class AgoraRtmError extends Error {
  readonly kind: string;
  readonly status: number | null;
  readonly requestId: string | null;
  readonly body: string | null;
}
export declare class ApiError extends AgoraRtmError {}
export declare class AuthError extends AgoraRtmError {}
export declare class RateLimitedError extends AgoraRtmError {
  readonly retryAfterMs: number | null;
}
export declare class ServerTimeoutError extends AgoraRtmError {}
export declare class ServerError extends AgoraRtmError {}
export declare class DecodeError extends AgoraRtmError {}
export declare class TransportError extends AgoraRtmError {
  readonly transportKind: 'dns' | 'connect' | 'timeout' | 'interrupted' | 'body_too_large' | 'other' | null;
}
export declare class InvalidInputError extends AgoraRtmError {
  readonly field: string | null;
}
export declare class TokenError extends AgoraRtmError {
  readonly reason: string | null;
}
export declare class SinkError extends AgoraRtmError {}

/** Internals for the shared test vectors and benchmarks; not a stable API. */
export declare const testing: {
  ExchangeContext: new (config: object, auth: object) => {
    vectorExchange(operation: string | object, seed: number): {
      start(nowMs: number): any;
      onResponse(response: { status: number; headers?: Record<string, string>; body: string }, nowMs: number): any;
      onTransportError(kind: string, nowMs: number): any;
      onWaitElapsed(nowMs: number): any;
      report(): { attempts: number; possiblyLost: number; serverRateLimited: number; undecodableSuccess: boolean };
    };
    exchange(operation: 'user_events' | 'channel_events', seed: number): {
      start(nowMs: number): any;
      onResponse(response: { status: number; headers?: Record<string, string>; body: string }, nowMs: number): any;
      onTransportError(kind: string, nowMs: number): any;
      onWaitElapsed(nowMs: number): any;
      report(): { attempts: number; possiblyLost: number; serverRateLimited: number; undecodableSuccess: boolean };
    };
  };
  buildRtcToken(appId: string, cert: string, channel: string, uid: number, lifetime: number, issueTs?: number, salt?: number): string;
  buildLegacyRtmTokenRaw(appId: string, cert: string, userId: string, salt: number, ts: number, privilegeExpireTs: number): string;
  tokenSigningKeys(token: string, cert: string): { k1Hex: string; k2Hex: string };
  userEventsObjects(client: Client, options?: CallOptions): Promise<EventsPage<UserEvent>>;
};
