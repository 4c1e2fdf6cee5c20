import { SignalingError, IDEMPOTENCY_WINDOW } from '@confer/signaling-contracts';

/**
 * The outcomes of a session's last keyed requests (`RequestMessage.key`), so a
 * request re-sent after a dropped socket gets the original outcome instead of
 * being carried out twice (a second producer, a second file offer). Outcomes
 * are promises: a replay that arrives while the original still runs waits for
 * it. The oldest entry goes when the window is full.
 */
export class IdempotencyCache {
  private readonly entries = new Map<string, { method: string; outcome: Promise<unknown> }>();

  constructor(private readonly capacity: number = IDEMPOTENCY_WINDOW) {}

  /**
   * Runs `run` for `key` once: a key seen before gets the original outcome (for
   * another method, `invalid_request`). `run` starts synchronously, so requests
   * are still handled in arrival order.
   */
  once(key: string, method: string, run: () => unknown): Promise<unknown> {
    const seen = this.entries.get(key);
    if (seen) {
      if (seen.method !== method) throw new SignalingError('invalid_request', `key ${JSON.stringify(key)} was already used for ${seen.method}`);
      return seen.outcome;
    }
    let outcome: Promise<unknown>;
    try {
      outcome = Promise.resolve(run());
    } catch (error) {
      outcome = Promise.reject(error);
    }
    // Never an unhandled rejection from here: the caller awaits the same promise.
    outcome.catch(() => undefined);
    this.entries.set(key, { method, outcome });
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return outcome;
  }
}
