import { SignalingError, type ServerNotifications, type ServerRequests } from '@confer/signaling-contracts';
import type { PeerChannel } from './peer-channel';

/** Most messages kept for a peer whose socket dropped; past it the session ends. */
export const BACKLOG_LIMIT = 1000;

interface Pending {
  run(connection: PeerChannel): void;
  fail(error: SignalingError): void;
}

/**
 * A peer's way to its client across socket drops. While the peer waits to be
 * resumed (no connection), notifications and server requests are kept in
 * order and delivered when a new connection resumes the session, so the
 * client misses nothing; if the session is never resumed they are dropped and
 * the requests fail.
 */
export class PeerLink implements PeerChannel {
  private backlog: Pending[] = [];
  /** The session ended: nothing is kept any more (a request made later fails at once). */
  private dropped = false;

  constructor(
    private conn: PeerChannel | null,
    private readonly onOverflow: () => void,
  ) {}

  /** The live connection, or null while waiting for a resume. */
  get connection(): PeerChannel | null {
    return this.conn;
  }

  /** The socket dropped: keep messages until `attach()` or `drop()`. */
  detach(): void {
    this.conn = null;
  }

  /** A new connection resumed the session: deliver the backlog in order. */
  attach(connection: PeerChannel): void {
    this.conn = connection;
    const backlog = this.backlog;
    this.backlog = [];
    for (const p of backlog) p.run(connection);
  }

  /** The session ended without a resume. */
  drop(): void {
    this.dropped = true;
    const backlog = this.backlog;
    this.backlog = [];
    for (const p of backlog) p.fail(new SignalingError('invalid_state', 'the peer disconnected'));
  }

  notify<M extends keyof ServerNotifications>(method: M, data: ServerNotifications[M]): void {
    if (this.conn) this.conn.notify(method, data);
    else this.keep({ run: (c) => c.notify(method, data), fail: () => undefined });
  }

  request<M extends keyof ServerRequests>(method: M, data: ServerRequests[M]['params']): Promise<ServerRequests[M]['result']> {
    if (this.conn) return this.conn.request(method, data);
    return new Promise((resolve, reject) => this.keep({ run: (c) => c.request(method, data).then(resolve, reject), fail: reject }));
  }

  close(code: number, reason: string): void {
    this.conn?.close(code, reason);
  }

  /** Binary frames are never kept for a later resume: false while there is no connection. */
  sendBinary(frame: Uint8Array): boolean {
    return this.conn?.sendBinary?.(frame) ?? false;
  }

  get bufferedAmount(): number {
    return this.conn?.bufferedAmount ?? 0;
  }

  private keep(pending: Pending): void {
    if (this.dropped) {
      pending.fail(new SignalingError('invalid_state', 'the peer disconnected'));
      return;
    }
    if (this.backlog.length >= BACKLOG_LIMIT) {
      pending.fail(new SignalingError('limit_exceeded', 'too many messages for a disconnected peer'));
      this.onOverflow();
      return;
    }
    this.backlog.push(pending);
  }
}
