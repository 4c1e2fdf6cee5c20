import { InjectionToken } from '@angular/core';
import { Device } from 'mediasoup-client';
import { SIGNALING_PATH } from '@confer/signaling-contracts';

/**
 * The part of the browser `WebSocket` the signaling client uses. Tests provide a
 * fake with the same shape through {@link WEB_SOCKET_FACTORY}.
 */
export interface WebSocketLike {
  readonly readyState: number;
  /** Binary file frames arrive as `ArrayBuffer` when the socket supports choosing (browsers, ws). */
  binaryType?: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

/** Opens the signaling socket; defaults to the browser's `WebSocket`. */
export const WEB_SOCKET_FACTORY = new InjectionToken<WebSocketFactory>('confer.WEB_SOCKET_FACTORY', {
  providedIn: 'root',
  factory: () => (url: string) => new WebSocket(url) as unknown as WebSocketLike,
});

/** Absolute `ws:`/`wss:` URL of the signaling endpoint; defaults to `/ws` on the page's origin. */
export const SIGNALING_URL = new InjectionToken<string>('confer.SIGNALING_URL', {
  providedIn: 'root',
  factory: () => {
    const { protocol, host } = globalThis.location;
    return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}${SIGNALING_PATH}`;
  },
});

/** Timing of the signaling client. All in milliseconds. */
export interface SignalingOptions {
  /** A request not answered within this is rejected with `RequestTimeoutError`. */
  requestTimeoutMs: number;
  /** First reconnection delay; doubles on each failed attempt (with ±30 % jitter). */
  reconnectBaseDelayMs: number;
  reconnectMaxDelayMs: number;
  /** Attempts before giving up and moving to `closed`. */
  maxReconnectAttempts: number;
  /**
   * A socket that neither opens nor fails within this counts as failed (a node whose
   * host is down never answers); default 3000.
   */
  connectTimeoutMs?: number;
}

export const DEFAULT_SIGNALING_OPTIONS: SignalingOptions = {
  requestTimeoutMs: 15_000,
  // Short first attempts: a drop usually heals at once, and a dead node's failover waits for them.
  reconnectBaseDelayMs: 250,
  reconnectMaxDelayMs: 10_000,
  maxReconnectAttempts: 12,
  connectTimeoutMs: 3000,
};

export const SIGNALING_OPTIONS = new InjectionToken<SignalingOptions>('confer.SIGNALING_OPTIONS', {
  providedIn: 'root',
  factory: () => DEFAULT_SIGNALING_OPTIONS,
});

/**
 * Creates the mediasoup-client Device. Tests provide one built on
 * mediasoup-client's `FakeHandler`; the browser default detects the handler.
 */
export const DEVICE_FACTORY = new InjectionToken<() => Device>('confer.DEVICE_FACTORY', {
  providedIn: 'root',
  factory: () => () => new Device(),
});

/** The part of `navigator.mediaDevices` the session uses (fakes in tests). */
export type MediaDevicesLike = Pick<MediaDevices, 'getUserMedia' | 'getDisplayMedia' | 'enumerateDevices'>;

export const MEDIA_DEVICES = new InjectionToken<MediaDevicesLike>('confer.MEDIA_DEVICES', {
  providedIn: 'root',
  factory: () => globalThis.navigator.mediaDevices,
});

/** Timing of the media session's recovery. All in milliseconds. */
export interface MediaSessionOptions {
  /**
   * How long a transport may stay ICE-`disconnected` before ICE is restarted.
   * Short outages often heal by themselves; `failed` restarts at once.
   */
  iceDisconnectedGraceMs: number;
  /** Repeated ICE restarts of one transport back off from 1 s, doubling up to this. */
  iceRestartMaxDelayMs: number;
}

export const DEFAULT_MEDIA_SESSION_OPTIONS: MediaSessionOptions = {
  iceDisconnectedGraceMs: 2000,
  iceRestartMaxDelayMs: 8000,
};

export const MEDIA_SESSION_OPTIONS = new InjectionToken<MediaSessionOptions>('confer.MEDIA_SESSION_OPTIONS', {
  providedIn: 'root',
  factory: () => DEFAULT_MEDIA_SESSION_OPTIONS,
});
