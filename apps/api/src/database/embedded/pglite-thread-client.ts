import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';

/** The thread's entry (plain JavaScript, see its header). */
const THREAD_ENTRY = path.join(__dirname, 'pglite-thread.cjs');

/** What drizzle's PGlite session passes to `query()`: the row mode and the types it wants unparsed. */
interface QueryOptions {
  rowMode?: 'array' | 'object';
  parsers?: Record<number, unknown>;
}

/** The part of PGlite's `Results` drizzle reads. */
export interface ThreadResults {
  rows: unknown[];
  affectedRows?: number;
  fields: { name: string; dataTypeID: number }[];
}

interface ThreadOptions {
  /** A folder, or null for a database in memory. */
  dir: string | null;
  /** For a memory database: a migrated cluster to start from (see `dumpMigrated`). */
  template?: Uint8Array | null;
  migrationsFolder: string;
}

type Reply = { id: number; ok: true; result: ThreadResults } | { id: number; ok: false; error: Record<string, unknown> & { message: string } };
type Status = { type: 'ready' } | { type: 'failed'; error: { message: string } } | { type: 'dump'; bytes: Uint8Array };

/** A PostgreSQL error from the thread, with its fields (`code`, `detail`, `constraint`…) as PGlite gave them. */
export class EmbeddedDatabaseError extends Error {
  [field: string]: unknown;
  constructor(fields: Record<string, unknown> & { message: string }) {
    super(fields.message);
    Object.assign(this, fields);
    this.name = typeof fields.name === 'string' && fields.name !== 'Error' ? fields.name : 'EmbeddedDatabaseError';
  }
}

function spawn(options: ThreadOptions & { dump: boolean }): { worker: Worker; status: Promise<Status> } {
  const worker = new Worker(THREAD_ENTRY, {
    workerData: { dir: options.dir, template: options.template ?? null, migrationsFolder: options.migrationsFolder, dump: options.dump },
    // The thread loads plain JavaScript: no TypeScript loader (swc-node under `nx serve`) is needed there.
    execArgv: [],
  });
  const status = new Promise<Status>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`the embedded database thread stopped while opening (exit code ${code})`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (message: Status) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      resolve(message);
    });
  });
  return { worker, status };
}

/**
 * A new in-memory cluster, initialised and migrated, as bytes: a fresh PGlite
 * runs initdb (seconds on a busy machine), a copy of this loads in a fraction
 * of that.
 */
export async function dumpMigrated(migrationsFolder: string): Promise<Uint8Array> {
  const { worker, status } = spawn({ dir: null, migrationsFolder, dump: true });
  try {
    const message = await status;
    if (message.type === 'dump') return message.bytes;
    throw new Error(message.type === 'failed' ? message.error.message : 'the embedded database thread answered out of turn');
  } finally {
    await worker.terminate();
  }
}

/** How long the thread waits before its first restart after a crash; doubles up to RESTART_MAX_MS. */
const RESTART_FIRST_MS = 500;
const RESTART_MAX_MS = 30_000;

/** Opens a thread and waits for its database: the ready thread, or the reason it failed. */
async function openThread(options: ThreadOptions): Promise<Worker> {
  const { worker, status } = spawn({ ...options, dump: false });
  const message = await status.catch(async (error: Error) => {
    await worker.terminate();
    throw error;
  });
  if (message.type !== 'ready') {
    await worker.terminate();
    throw message.type === 'failed' ? new EmbeddedDatabaseError(message.error) : new Error('the embedded database thread answered out of turn');
  }
  return worker;
}

/**
 * The embedded PGlite on a worker thread, with the part of PGlite's client
 * API that drizzle's PGlite driver uses (`query`, `transaction`). Queries go
 * over the thread's message port; results come back structured-cloned.
 * Transactions are exclusive: other queries issued meanwhile wait for it.
 *
 * A thread that dies (a WASM abort, out of memory) fails the queries it had,
 * and every query until it is back; it is started again after 0.5 s, then
 * backing off to 30 s while it keeps failing. A folder database reopens with
 * its rows (PostgreSQL's recovery); a `memory:` one starts again empty.
 */
export class PGliteThreadClient {
  private readonly logger = new Logger('Database');
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: ThreadResults) => void; reject: (e: Error) => void }>();
  /** Why queries fail right now: the thread is down (restarting), or the client was closed. */
  private down: Error | null = null;
  private closed = false;
  private restartDelayMs = RESTART_FIRST_MS;
  private restartTimer: NodeJS.Timeout | null = null;
  private transactionEnd: Promise<void> | null = null;
  private worker!: Worker;

  private constructor(
    worker: Worker,
    private readonly options: ThreadOptions,
  ) {
    this.attach(worker);
  }

  /** Starts the thread, opens the database and applies the migrations. */
  static async open(options: ThreadOptions): Promise<PGliteThreadClient> {
    return new PGliteThreadClient(await openThread(options), options);
  }

  /** True while the thread is up and the client open. */
  get available(): boolean {
    return this.down === null;
  }

  private attach(worker: Worker): void {
    this.worker = worker;
    worker.on('message', (reply: Reply) => this.settle(reply));
    worker.on('error', (error) => this.lost(worker, `failed: ${error.message}`));
    worker.on('exit', (code) => this.lost(worker, `stopped (exit code ${code})`));
    // Idle, the thread keeps nobody alive; while a query is pending it does (see request()).
    worker.unref();
  }

  /** The thread died under us: fail what it had, and start it again unless we are closing. */
  private lost(worker: Worker, how: string): void {
    // A replaced thread's late events, and the end close() itself brings, change nothing.
    if (worker !== this.worker || this.closed) return;
    const error = new Error(`the embedded database thread ${how}`);
    this.fail(error);
    if (this.restartTimer) return;
    this.logger.error(`${error.message}; starting it again in ${this.restartDelayMs} ms`);
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    this.restartTimer = setTimeout(() => {
      void openThread(this.options).then(
        (worker) => {
          this.restartTimer = null;
          if (this.closed) {
            void worker.terminate();
            return;
          }
          this.attach(worker);
          this.down = null;
          this.restartDelayMs = RESTART_FIRST_MS;
          this.logger.log('embedded database thread started again');
        },
        (error: Error) => {
          this.restartDelayMs = Math.min(this.restartDelayMs * 2, RESTART_MAX_MS);
          this.logger.error(`embedded database thread did not start again: ${error.message}; next try in ${this.restartDelayMs} ms`);
          if (!this.closed) this.scheduleRestart();
          else this.restartTimer = null;
        },
      );
    }, this.restartDelayMs);
    this.restartTimer.unref();
  }

  async query(sql: string, params: unknown[] = [], options: QueryOptions = {}): Promise<ThreadResults> {
    while (this.transactionEnd) await this.transactionEnd;
    return this.send(sql, params, options);
  }

  /** BEGIN … COMMIT (ROLLBACK on a throw) on the thread; `fn` gets the client to run the transaction's queries on. */
  async transaction<T>(fn: (tx: { query: PGliteThreadClient['query'] }) => Promise<T>): Promise<T> {
    while (this.transactionEnd) await this.transactionEnd;
    let end!: () => void;
    this.transactionEnd = new Promise<void>((resolve) => (end = resolve));
    const tx = { query: (sql: string, params?: unknown[], options?: QueryOptions) => this.send(sql, params ?? [], options ?? {}) };
    try {
      await this.send('BEGIN', [], {});
      const result = await fn(tx);
      await this.send('COMMIT', [], {});
      return result;
    } catch (error) {
      await this.send('ROLLBACK', [], {}).catch(() => undefined);
      throw error;
    } finally {
      this.transactionEnd = null;
      end();
    }
  }

  /** Closes the database (PGlite flushes a folder database to disk) and ends the thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    const wasUp = this.down === null;
    this.closed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (wasUp) {
      try {
        await this.request({ op: 'close' });
      } catch {
        // Already gone: nothing to flush.
      }
    }
    this.fail(new Error('the embedded database is closed'));
    await this.worker.terminate();
  }

  private send(sql: string, params: unknown[], options: QueryOptions): Promise<ThreadResults> {
    const rawTypes = options.parsers ? Object.keys(options.parsers).map(Number) : undefined;
    return this.request({ op: 'query', sql, params, rowMode: options.rowMode ?? 'object', rawTypes });
  }

  private request(message: Record<string, unknown>): Promise<ThreadResults> {
    if (this.down) return Promise.reject(this.down);
    const id = this.nextId++;
    return new Promise<ThreadResults>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  private settle(reply: Reply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) waiter.resolve(reply.result);
    else waiter.reject(new EmbeddedDatabaseError(reply.error));
  }

  private fail(error: Error): void {
    this.down = error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
    this.worker.unref();
  }
}
