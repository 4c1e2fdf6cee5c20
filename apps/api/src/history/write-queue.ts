import type { Logger } from '@nestjs/common';

/**
 * Rows per multi-row insert at most: building a statement is synchronous work on the main
 * thread (drizzle's SQL, then the copy to the database thread), and a batch that grew while
 * the database was slow (a checkpoint) would otherwise be built in one long turn.
 */
export const MAX_BATCH_ROWS = 50;

/**
 * The history's and audit trail's writes, one after the other (the order
 * things happened in), each after a turn of the event loop, so that a herd of
 * joins never holds the signaling sockets up while an embedded database runs
 * query after query on the main thread. Rows inserted while the queue is busy
 * go into one multi-row insert: 1,000 joins in a second are a few inserts, not
 * 1,000 (at most MAX_BATCH_ROWS rows each). A write that fails is logged; it
 * never throws to the meeting.
 */
export class WriteQueue {
  private chain: Promise<void> = Promise.resolve();
  /** The batch still taking rows, by kind; any other write closes it (what follows stays after it). */
  private open: { kind: string; rows: unknown[] } | null = null;

  constructor(private readonly logger: Logger) {}

  /** Runs `op` after every write queued so far. */
  run(what: string, op: () => Promise<unknown>): Promise<void> {
    this.open = null;
    return this.enqueue(what, op);
  }

  /** Adds `row` to the open batch of `kind`, or opens one, written by `insert(rows)` when its turn comes. */
  insert<Row>(kind: string, row: Row, insert: (rows: Row[]) => Promise<unknown>): Promise<void> {
    if (this.open?.kind === kind && this.open.rows.length < MAX_BATCH_ROWS) {
      this.open.rows.push(row);
      return this.chain;
    }
    const batch = { kind, rows: [row] as unknown[] };
    this.open = batch;
    return this.enqueue(`${kind} (batch)`, () => {
      if (this.open === batch) this.open = null;
      return insert(batch.rows as Row[]);
    });
  }

  /** Resolves once every write queued so far is done. */
  flush(): Promise<void> {
    return this.chain;
  }

  /** Resolves once the queue is empty, writes queued meanwhile included (shutdown). */
  async drain(): Promise<void> {
    for (;;) {
      const chain = this.chain;
      await chain;
      if (chain === this.chain) return;
    }
  }

  private enqueue(what: string, op: () => Promise<unknown>): Promise<void> {
    this.chain = this.chain.then(async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      try {
        await op();
      } catch (error) {
        this.logger.error(`history write failed | ${what} | ${(error as Error).message}`);
      }
    });
    return this.chain;
  }
}
