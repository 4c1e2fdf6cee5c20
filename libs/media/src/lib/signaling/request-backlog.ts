import { SignalingError } from '@confer/signaling-contracts';
import { RequestTimeoutError } from '../errors';

/** A request waiting to be sent, or sent again after a resume. */
export interface Queued {
  method: string;
  data: unknown;
  /** Idempotency key: the same on a re-send, so the server carries the request out once. */
  key?: string;
  resolve: (data: unknown) => void;
  reject: (error: Error) => void;
}

interface Pending extends Queued {
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The signaling client's requests that are not answered yet: queued while the
 * socket is (re)connecting, in flight with a timeout, or interrupted by a drop
 * and kept for a re-send once the session is resumed.
 */
export class RequestBacklog {
  private readonly pending = new Map<number, Pending>();
  private queue: Queued[] = [];
  /** Requests that were in flight when the socket dropped: re-sent (same key) after a resume. */
  private interrupted: Queued[] = [];

  constructor(private readonly timeoutMs: number) {}

  /** Holds `entry` until the socket is authenticated. */
  enqueue(entry: Queued): void {
    this.queue.push(entry);
  }

  /** Takes the queued requests, in the order they were made. */
  takeQueued(): Queued[] {
    const queued = this.queue;
    this.queue = [];
    return queued;
  }

  /** Takes the requests a drop interrupted. */
  takeInterrupted(): Queued[] {
    const interrupted = this.interrupted;
    this.interrupted = [];
    return interrupted;
  }

  /** `entry` went out as request `id`: it fails with `RequestTimeoutError` unless answered in time. */
  sent(id: number, entry: Queued): void {
    const timer = setTimeout(() => {
      this.pending.delete(id);
      entry.reject(new RequestTimeoutError(entry.method, this.timeoutMs));
    }, this.timeoutMs);
    this.pending.set(id, { ...entry, timer });
  }

  /** Sending request `id` failed after {@link sent}: forget it (the caller rejects it). */
  unsent(id: number): void {
    const pending = this.pending.get(id);
    if (pending) clearTimeout(pending.timer);
    this.pending.delete(id);
  }

  /** Settles request `id` with the server's answer; ignores one that timed out already. */
  answer(id: number, answer: { ok: true; data: unknown } | { ok: false; error: SignalingError }): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (answer.ok) pending.resolve(answer.data);
    else pending.reject(answer.error);
  }

  /**
   * The socket dropped: requests in flight with a key wait for a re-send after a
   * resume; the others (authenticate, which is redone anyway) fail with `lost`.
   */
  interrupt(lost: Error): void {
    for (const [, p] of [...this.pending].sort(([a], [b]) => a - b)) {
      clearTimeout(p.timer);
      if (p.method === 'authenticate' || !p.key) p.reject(lost);
      else this.interrupted.push({ method: p.method, data: p.data, key: p.key, resolve: p.resolve, reject: p.reject });
    }
    this.pending.clear();
  }

  /** Rejects every request, pending, interrupted or queued, with `error`. */
  rejectAll(error: Error): void {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    for (const entry of [...this.takeInterrupted(), ...this.takeQueued()]) entry.reject(error);
  }
}
