/**
 * The closed set of error codes carried on the wire. Each has one meaning:
 * - `unauthenticated`: no valid `authenticate` yet, or the token is bad/expired.
 * - `forbidden`: authenticated, but the token's grants or rooms do not allow it,
 *   or the object belongs to another peer.
 * - `invalid_request`: malformed JSON, envelope or parameters (`details` lists fields).
 * - `unknown_method`: the method is not part of this protocol.
 * - `not_found`: the referenced room/transport/producer/consumer/transfer does not exist.
 * - `invalid_state`: not allowed now (not joined yet, already joined, closed object,
 *   cannot consume with these capabilities, server draining).
 * - `conflict`: it exists already (a room created twice through the server API).
 * - `limit_exceeded`: a configured limit (rate, size, count, length) was hit.
 * - `media_unavailable`: no mediasoup worker is available on the server.
 * - `unsupported_version`: client protocol version differs from the server's.
 * - `timeout`: the other side did not answer a request in time.
 * - `redirect`: (cluster) the room lives on another node. `details` is
 *   `{ url, token, nodeId, roomId }` (RedirectDetails): reconnect to `url`,
 *   `authenticate` with `token` (short-lived, for that node and room only) and
 *   enter the room again there (`getRouterRtpCapabilities`, `join`).
 * - `cluster_unavailable`: (cluster) the room has no node yet and none can be
 *   chosen now (the cluster's Redis is unreachable); `details.retryAfterMs`.
 * - `internal`: anything unexpected; the server logs it with the request id.
 */
export const ERROR_CODES = [
  'unauthenticated',
  'forbidden',
  'invalid_request',
  'unknown_method',
  'not_found',
  'invalid_state',
  'conflict',
  'limit_exceeded',
  'media_unavailable',
  'unsupported_version',
  'timeout',
  'redirect',
  'cluster_unavailable',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** `details` of a `redirect` error: where the room lives and how to get in there. */
export interface RedirectDetails {
  /** The owning node's signaling WebSocket URL (ws:// or wss://, path included). */
  url: string;
  /** A token for that node's `authenticate`, valid for a few seconds (CLUSTER_REDIRECT_TOKEN_S). */
  token: string;
  /** The owning node's id (logs, metrics). */
  nodeId: string;
  /** The room the request was about. */
  roomId: string;
}

/** True when an error's `details` are a well-formed {@link RedirectDetails}. */
export function isRedirectDetails(details: unknown): details is RedirectDetails {
  if (typeof details !== 'object' || details === null) return false;
  const d = details as Record<string, unknown>;
  return typeof d['url'] === 'string' && /^wss?:\/\//.test(d['url']) && typeof d['token'] === 'string' && typeof d['nodeId'] === 'string' && typeof d['roomId'] === 'string';
}

/** Error as carried in an error response. `reason` is for humans. */
export interface WireError {
  code: ErrorCode;
  reason: string;
  /** Optional machine-readable extra, e.g. failing fields for `invalid_request`. */
  details?: Record<string, unknown>;
}

/**
 * An error with a wire code, thrown by either side's code and turned into an
 * error response (server) or rejected from `request()` (client).
 */
export class SignalingError extends Error {
  override readonly name = 'SignalingError';

  constructor(
    readonly code: ErrorCode,
    reason: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(reason);
  }

  /** Alias of `message`, matching the wire field. */
  get reason(): string {
    return this.message;
  }

  toWire(): WireError {
    return this.details ? { code: this.code, reason: this.message, details: this.details } : { code: this.code, reason: this.message };
  }

  static fromWire(error: WireError): SignalingError {
    return new SignalingError(error.code, error.reason, error.details);
  }
}

/** True when `value` is one of {@link ERROR_CODES}. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
