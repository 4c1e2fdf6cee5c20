import type { AuthenticateResult, ServerNotificationMethod, ServerNotifications, ServerRequestMethod, ServerRequests } from '@confer/signaling-contracts';

/**
 * - `idle`: never connected (or reset by `close()` then reusable).
 * - `connecting`: first socket opening / authenticating.
 * - `open`: authenticated; requests go out at once.
 * - `reconnecting`: the socket dropped; requests are queued until it is back.
 * - `closed`: closed by `close()`, refused, or reconnection gave up.
 */
export type SignalingState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** A server notification, narrowed by `method`. */
export type ServerNotification = {
  [M in ServerNotificationMethod]: { method: M; data: ServerNotifications[M] };
}[ServerNotificationMethod];

/** Answers one kind of server request; throw a `SignalingError` to answer with an error. */
export type ServerRequestHandler<M extends ServerRequestMethod> = (
  data: ServerRequests[M]['params'],
) => Promise<ServerRequests[M]['result']> | ServerRequests[M]['result'];

/** Emitted after the socket came back and re-authenticated. */
export interface ReconnectedEvent {
  /** True when the server kept the session (peer, transports, producers, consumers). */
  resumed: boolean;
  session: AuthenticateResult;
}

/** Options of {@link SignalingClient.request}. */
export interface RequestOptions {
  /**
   * Send as soon as the socket is authenticated, ahead of the queue. Used by
   * reconnect hooks to restore state (re-join) before queued requests go out.
   */
  urgent?: boolean;
}

/** Runs after re-authentication and before queued requests are sent. */
export type ReconnectHook = (event: ReconnectedEvent) => Promise<void>;

/** Options of {@link SignalingClient.connect}. */
export interface ConnectOptions {
  /**
   * Gives a fresh token for the entry URL; asked when the client falls back there
   * after the current node is lost (cluster failover). Without it the app's token is reused.
   */
  tokenProvider?: () => Promise<string>;
}
