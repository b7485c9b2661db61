// ESM entry point: the same objects as the CommonJS one.
import cjs from './index.js';

export const {
  Client,
  Watch,
  HistoryIterable,
  buildRtmToken,
  buildLegacyRtmToken,
  parseToken,
  verifyToken,
  testing,
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
} = cjs;

export default cjs;
