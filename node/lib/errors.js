'use strict';
// The error taxonomy shared by every language of agora-rtm-rest. The native addon
// rejects with an Error whose message is `AGORA_RTM_ERROR:` + JSON; `fromNative`
// turns it into the matching subclass. Nothing here decides anything.

const PREFIX = 'AGORA_RTM_ERROR:';

class AgoraRtmError extends Error {
  /**
   * @param {string} message
   * @param {object} [details]
   */
  constructor(message, details = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false, configurable: true, writable: true });
    /** The stable snake_case kind (`api`, `auth`, `rate_limited`, ...). */
    this.kind = details.kind ?? 'unknown';
    /** The HTTP status, when a response arrived. */
    this.status = details.status ?? null;
    /** The service's request id, when the response carried one. */
    this.requestId = details.requestId ?? null;
    /** A bounded excerpt of the response body, when there was one. */
    this.body = details.body ?? null;
  }
}

/** Another 4xx (bad request, not found, ...). */
class ApiError extends AgoraRtmError {}
/** 401/403: bad credentials, invalid or expired token, app id not enabled. */
class AuthError extends AgoraRtmError {}
/** 429 after all retries. */
class RateLimitedError extends AgoraRtmError {
  constructor(message, details = {}) {
    super(message, details);
    /** The service's Retry-After, in milliseconds, or null. */
    this.retryAfterMs = details.retryAfterMs ?? null;
  }
}
/** 408 after all retries. */
class ServerTimeoutError extends AgoraRtmError {}
/** 5xx after all retries. */
class ServerError extends AgoraRtmError {}
/** A response that could not be understood. */
class DecodeError extends AgoraRtmError {}
/** A network-level failure after all retries. */
class TransportError extends AgoraRtmError {
  constructor(message, details = {}) {
    super(message, details);
    /** dns, connect, timeout, interrupted, body_too_large or other. */
    this.transportKind = details.transportKind ?? null;
  }
}
/** An argument the API cannot accept; nothing was sent. */
class InvalidInputError extends AgoraRtmError {
  constructor(message, details = {}) {
    super(message, { kind: 'invalid_input', ...details });
    /** The argument or field at fault. */
    this.field = details.field ?? null;
  }
}
/** A token could not be built, parsed or verified. */
class TokenError extends AgoraRtmError {
  constructor(message, details = {}) {
    super(message, { kind: 'token', ...details });
    /** The stable reason: bad_prefix, bad_signature, expired, ... */
    this.reason = details.tokenError ?? details.reason ?? null;
  }
}
/** A watcher's sink could not persist a batch (the watcher stopped rather than drop it). */
class SinkError extends AgoraRtmError {}

const BY_KIND = {
  api: ApiError,
  auth: AuthError,
  rate_limited: RateLimitedError,
  server_timeout: ServerTimeoutError,
  server: ServerError,
  decode: DecodeError,
  transport: TransportError,
  invalid_input: InvalidInputError,
  token: TokenError,
  sink: SinkError,
};

/** Builds the error a JSON code describes (used for native rejections and exchange steps). */
function fromCode(code, cause) {
  const Cls = BY_KIND[code.kind] ?? AgoraRtmError;
  return new Cls(code.message ?? code.kind, { ...code, cause });
}

/** Converts whatever the addon threw into an AgoraRtmError (or returns it unchanged). */
function fromNative(err) {
  if (err instanceof AgoraRtmError) return err;
  const message = err && typeof err.message === 'string' ? err.message : String(err);
  if (message.startsWith(PREFIX)) {
    try {
      return fromCode(JSON.parse(message.slice(PREFIX.length)));
    } catch {
      // fall through
    }
  }
  // Argument conversion errors of the addon (the JS layer validates first, so
  // these are rare); the original message names the field, never a secret value
  // because secret-carrying options are type-checked before reaching the addon.
  return new InvalidInputError(message, { field: null });
}

module.exports = {
  PREFIX,
  AgoraRtmError,
  ApiError,
  AuthError,
  RateLimitedError,
  ServerTimeoutError,
  ServerError,
  DecodeError,
  TransportError,
  InvalidInputError,
  TokenError,
  SinkError,
  fromCode,
  fromNative,
};
