import { Injectable, Logger } from '@nestjs/common';

/**
 * Services that queue database writes (the meeting history, the audit trail)
 * register how to drain their queue here; at shutdown the database waits for
 * them (bounded) before it closes, so the last meeting's leaves and ends are
 * written, not lost to a closed connection.
 */
@Injectable()
export class DatabaseWriters {
  private readonly logger = new Logger(DatabaseWriters.name);
  private readonly drains = new Set<() => Promise<void>>();

  register(drain: () => Promise<void>): void {
    this.drains.add(drain);
  }

  /** Resolves once every registered queue is empty, or after `timeoutMs`. */
  async drainAll(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const outcome = await Promise.race([Promise.all([...this.drains].map((d) => d())), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.logger.warn(`database writes still queued after ${timeoutMs} ms at shutdown; closing anyway`);
  }
}
