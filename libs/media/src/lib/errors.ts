/** An operation on something already closed, or not allowed in the current state. */
export class InvalidStateError extends Error {
  override readonly name = 'InvalidStateError';
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
