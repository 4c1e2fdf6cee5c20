import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import {
  SignalingError,
  isErrorCode,
  type ResponseMessage,
  type ServerNotifications,
  type ServerRequests,
  type SignalingMessage,
} from '@confer/signaling-contracts';
import type { Peer, PeerChannel } from '../peers/peer';
import { notificationFrame } from './notification-frames';

interface PendingRequest {
  resolve(data: unknown): void;
  reject(error: SignalingError): void;
  timer: NodeJS.Timeout;
}

/**
 * One WebSocket: sends responses and notifications, and makes server requests
 * (`newConsumer`, `newDataConsumer`, `fileChunk`) whose answers it matches by id,
 * failing them with `timeout` after REQUEST_TIMEOUT_MS.
 */
export class SignalingConnection implements PeerChannel {
  readonly id = randomUUID();
  peer: Peer | null = null;
  /** True while an `authenticate` of this connection is being verified. */
  authenticating = false;
  /** Armed until `authenticate` succeeds; then cleared. */
  authTimer: NodeJS.Timeout | null = null;
  private nextRequestId = 1;
  private readonly pending = new Map<number, PendingRequest>();

  constructor(
    readonly socket: WebSocket,
    private readonly requestTimeoutMs: number,
    /** Told the size of every message sent (signaling bytes out). */
    private readonly onSent: (bytes: number) => void = () => undefined,
  ) {}

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  send(message: SignalingMessage): void {
    if (this.open) this.sendText(Buffer.from(JSON.stringify(message)));
  }

  /** One text frame, already UTF-8 encoded (ws sends the bytes as they are). */
  private sendText(frame: Buffer): void {
    this.socket.send(frame, { binary: false });
    this.onSent(frame.length);
  }

  /** Sends a binary file frame as is; false when the socket is not open. */
  sendBinary(frame: Uint8Array): boolean {
    if (!this.open) return false;
    this.socket.send(frame, { binary: true });
    this.onSent(frame.byteLength);
    return true;
  }

  /** Bytes ws has queued for this socket and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  respond(message: ResponseMessage): void {
    this.send(message);
  }

  notify<M extends keyof ServerNotifications>(method: M, data: ServerNotifications[M]): void {
    // Serialized once for every recipient of a broadcast (notification-frames.ts).
    if (this.open) this.sendText(notificationFrame(method, data));
  }

  request<M extends keyof ServerRequests>(method: M, data: ServerRequests[M]['params']): Promise<ServerRequests[M]['result']> {
    if (!this.open) return Promise.reject(new SignalingError('invalid_state', 'connection closed'));
    const id = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SignalingError('timeout', `no answer to ${method} #${id} within ${this.requestTimeoutMs} ms`));
      }, this.requestTimeoutMs);
      this.pending.set(id, { resolve: resolve as (data: unknown) => void, reject, timer });
      this.send({ type: 'request', id, method, data });
    });
  }

  /** Settles the server request a client response answers. False when no request has that id. */
  handleResponse(message: { id: unknown; ok: unknown; data?: unknown; error?: unknown }): boolean {
    const pending = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
    if (!pending) return false;
    this.pending.delete(message.id as number);
    clearTimeout(pending.timer);
    if (message.ok === true) {
      pending.resolve(message.data ?? {});
    } else {
      const e = (message.error ?? {}) as { code?: unknown; reason?: unknown };
      pending.reject(new SignalingError(isErrorCode(e.code) ? e.code : 'internal', typeof e.reason === 'string' ? e.reason : 'the client refused the request'));
    }
    return true;
  }

  close(code: number, reason: string): void {
    this.failPending();
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) this.socket.close(code, reason);
  }

  /** Rejects every outstanding server request (the socket is gone). */
  failPending(): void {
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new SignalingError('invalid_state', `connection closed before request #${id} was answered`));
    }
    this.pending.clear();
  }
}
