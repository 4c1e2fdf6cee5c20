import type { ClientRequestMethod, ClientRequestParams, ClientRequestResult } from '@confer/signaling-contracts';
import type { SignalingClient } from '../signaling/signaling-client';
import type { SessionStore } from './session-store';

/**
 * What the parts of one session share: its signaling client, its store, and the
 * flags that change how they behave while the session recovers. One per
 * {@link MediaSession}; nothing here is shared between sessions.
 */
export class SessionContext {
  /** True while a reconnect hook restores the session: its requests must jump the queue. */
  restoring = false;
  /** True while the recovery coordinator re-creates all media (`recovery` = `media`). */
  rebuilding = false;

  constructor(
    readonly signaling: SignalingClient,
    readonly store: SessionStore,
  ) {}

  /** Sends a request for this session (urgent while restoring, else queued behind others). */
  request<M extends ClientRequestMethod>(method: M, data: ClientRequestParams<M>): Promise<ClientRequestResult<M>> {
    return this.signaling.request(method, data, { urgent: this.restoring });
  }
}
