import type { Permissions } from '@confer/signaling-contracts';

/*
 * Errors the SDK raises itself. A server's answer stays a `SignalingError` with its
 * wire `code`; what happens on this side (a dropped socket, a request nobody answered,
 * a call in the wrong state) gets one of these named classes instead.
 */

/**
 * An operation on something already closed, or not allowed in the current state
 * (producing before `join()` or after `leave()`, muting a microphone that is off…).
 */
export class InvalidStateError extends Error {
  override readonly name = 'InvalidStateError';
}

/**
 * Why the signaling connection is gone:
 * - `unreachable`: the first socket could not open or authenticate.
 * - `lost`: the socket dropped before a request was answered.
 * - `session_lost`: it came back, but the server no longer had the session a request referred to.
 * - `replaced`: the same identity connected from another tab or window.
 * - `gave_up`: reconnection failed `maxReconnectAttempts` times.
 * - `closed`: closed on purpose (`close()`, `leave()`).
 * - `redirect_loop`: (cluster) entering the room was redirected more than 3 times in a row.
 * - `cluster_unavailable`: (cluster) no node could take the room after the retries the server asked for.
 */
export type ConnectionErrorReason = 'unreachable' | 'lost' | 'session_lost' | 'replaced' | 'gave_up' | 'closed' | 'redirect_loop' | 'cluster_unavailable';

/** The connection to the signaling server failed or ended; `reason` says how. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';

  constructor(
    readonly reason: ConnectionErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/** A request was not answered within `SignalingOptions.requestTimeoutMs` (the socket stayed up). */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';

  constructor(
    readonly method: string,
    readonly timeoutMs: number,
  ) {
    super(`${method} not answered in ${timeoutMs} ms`);
  }
}

/** Why the browser refused a camera, microphone or screen. */
export type MediaPermissionReason = 'denied' | 'not_found' | 'in_use' | 'unsupported' | 'unknown';

/**
 * `getUserMedia`/`getDisplayMedia` failed; `reason` tells the UI which message to
 * show ("allow the camera in the address bar", "no microphone found"…).
 */
export class MediaPermissionError extends Error {
  override readonly name = 'MediaPermissionError';

  constructor(
    readonly reason: MediaPermissionReason,
    readonly device: 'camera' | 'microphone' | 'screen',
    message: string,
  ) {
    super(message);
  }

  /** Maps a DOMException from getUserMedia/getDisplayMedia to a reason. */
  static from(error: unknown, device: 'camera' | 'microphone' | 'screen'): MediaPermissionError {
    const name = (error as { name?: string })?.name ?? '';
    const reason: MediaPermissionReason =
      name === 'NotAllowedError' || name === 'SecurityError'
        ? 'denied'
        : name === 'NotFoundError' || name === 'OverconstrainedError'
          ? 'not_found'
          : name === 'NotReadableError' || name === 'AbortError'
            ? 'in_use'
            : name === 'TypeError' || name === 'NotSupportedError'
              ? 'unsupported'
              : 'unknown';
    const text: Record<MediaPermissionReason, string> = {
      denied: `Access to the ${device} was denied. Allow it in the browser's site settings and try again.`,
      not_found: `No ${device} was found.`,
      in_use: `The ${device} is in use by another application or could not be started.`,
      unsupported: `This browser cannot share the ${device} here (a secure https page is required).`,
      unknown: `The ${device} could not be started: ${(error as Error)?.message ?? String(error)}`,
    };
    return new MediaPermissionError(reason, device, text[reason]);
  }
}

/**
 * What a {@link PermissionDeniedError} refers to: one of the room's permissions
 * (`publishAudio`, `publishVideo`…), or `moderate` for the moderator's acts.
 */
export type DeniedPermission = keyof Permissions | 'moderate';

/**
 * This peer may not do that right now: a moderator took the permission away (a
 * hard mute), the role does not include it (a viewer producing), or a moderation
 * act by someone who is not a moderator. Said before anything is captured or asked
 * of the server; a moderator may give the permission back (`permissionsChanged`).
 */
export class PermissionDeniedError extends Error {
  override readonly name = 'PermissionDeniedError';

  constructor(
    readonly permission: DeniedPermission,
    message: string,
  ) {
    super(message);
  }
}

/**
 * How this peer came to be out of the room without leaving:
 * - `denied`: a moderator did not let it in from the lobby.
 * - `removed`: a moderator removed it (it cannot come back for a while).
 * - `ended`: a moderator ended the meeting for everyone.
 */
export type ExpulsionKind = 'denied' | 'removed' | 'ended';

/** The session ended because of a moderator (`kind`); `reason` is theirs, `by` their display name (null: the server API). */
export class ExpelledError extends Error {
  override readonly name = 'ExpelledError';

  constructor(
    readonly kind: ExpulsionKind,
    readonly reason: string,
    readonly by: string | null,
  ) {
    super(kind === 'denied' ? `Not admitted to the meeting: ${reason}` : kind === 'removed' ? `Removed from the meeting: ${reason}` : `The meeting was ended: ${reason}`);
  }
}
