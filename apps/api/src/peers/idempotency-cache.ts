import { IDEMPOTENCY_WINDOW } from '@confer/signaling-contracts';

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

  get(key: string): { method: string; outcome: Promise<unknown> } | undefined {
    return this.entries.get(key);
  }

  set(key: string, method: string, outcome: Promise<unknown>): void {
    // Never an unhandled rejection from here: the caller awaits the same promise.
    outcome.catch(() => undefined);
    this.entries.set(key, { method, outcome });
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  get size(): number {
    return this.entries.size;
  }
}
