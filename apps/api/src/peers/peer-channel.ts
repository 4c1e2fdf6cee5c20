import type { ServerNotifications, ServerRequests } from '@confer/signaling-contracts';

/** How services talk to a peer's client; implemented by the signaling connection (and PeerLink across drops). */
export interface PeerChannel {
  notify<M extends keyof ServerNotifications>(method: M, data: ServerNotifications[M]): void;
  /** Sends a server request and resolves with the client's answer (rejects with a SignalingError). */
  request<M extends keyof ServerRequests>(method: M, data: ServerRequests[M]['params']): Promise<ServerRequests[M]['result']>;
  close(code: number, reason: string): void;
  /** Sends a binary file frame; false when there is no open socket to send it on. */
  sendBinary?(frame: Uint8Array): boolean;
  /** Bytes queued on the socket and not yet written (ws `bufferedAmount`); 0 without a socket. */
  readonly bufferedAmount?: number;
}
