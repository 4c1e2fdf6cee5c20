import type { WireError } from './errors';

/**
 * Version of this protocol. The client sends it in `authenticate`; the server
 * refuses a different one with `unsupported_version`. Bump on any breaking change.
 */
export const PROTOCOL_VERSION = 1;

/** Path the API serves the signaling WebSocket on (the web dev server proxies it). */
export const SIGNALING_PATH = '/ws';

/** Deepest nesting of objects and arrays a message may have (the envelope is level 1). */
export const MAX_JSON_DEPTH = 16;

/** WebSocket close codes the server closes the signaling socket with. */
export const CLOSE_CODES = {
  /** No successful `authenticate` within the server's timeout. Reconnecting is fine. */
  authTimeout: 4401,
  /** The same identity connected (or resumed) elsewhere. Do not reconnect automatically: the two would replace each other. */
  replaced: 4409,
} as const;

/**
 * A request. Both sides send them: the client for everything it does, the server
 * for `newConsumer` / `newDataConsumer` / `fileChunk`, which wait for the client's
 * answer. `id` is a non-negative integer, unique per sender and connection;
 * responses echo it. Every request gets exactly one response. A message is at
 * most the server's `maxMessageBytes`, nested at most `MAX_JSON_DEPTH` (16)
 * levels, and has no `__proto__`, `constructor` or `prototype` key at any level.
 */
export interface RequestMessage<M extends string = string, D = unknown> {
  type: 'request';
  id: number;
  method: M;
  data: D;
  /**
   * Idempotency key chosen by the client (1-64 characters, unique per session),
   * so that a request re-sent after a dropped socket is not carried out twice:
   * the server answers a key it has seen with the original outcome (waiting for
   * it if it is still running), under the new `id`. Kept for the last
   * {@link IDEMPOTENCY_WINDOW} keyed requests of a session. The SDK sets it on
   * every request.
   */
  key?: string;
}

/** How many keyed requests of a session the server remembers (see `RequestMessage.key`). */
export const IDEMPOTENCY_WINDOW = 256;

/** Successful answer to the request with the same `id`. */
export interface SuccessResponseMessage<R = unknown> {
  type: 'response';
  id: number;
  ok: true;
  data: R;
}

/**
 * Failed answer to the request with the same `id`. A request whose `id` is not
 * a non-negative integer (`-1`, `1.5`, `"7"`) is answered `invalid_request` with
 * that `id` echoed as sent. `id` is `null` only when the request could not be
 * read at all (invalid JSON, too large or too deep, no id).
 */
export interface ErrorResponseMessage {
  type: 'response';
  id: number | string | null;
  ok: false;
  error: WireError;
}

export type ResponseMessage<R = unknown> = SuccessResponseMessage<R> | ErrorResponseMessage;

/** One-way message; never answered. */
export interface NotificationMessage<M extends string = string, D = unknown> {
  type: 'notification';
  method: M;
  data: D;
}

/** Everything that travels on the signaling socket, in either direction. */
export type SignalingMessage = RequestMessage | ResponseMessage | NotificationMessage;
