import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import { sql } from 'drizzle-orm';
import { openDatabase, type DatabaseConnection } from '../database';
import { schema } from '../schema';
import { EmbeddedDatabaseError, PGliteThreadClient } from './pglite-thread-client';

/** The client drizzle was given (the thread client), to reach its thread. */
function clientOf(connection: DatabaseConnection): PGliteThreadClient {
  return (connection.db as unknown as { $client: PGliteThreadClient }).$client;
}

describe('embedded database on its own thread', () => {
  let connection: DatabaseConnection;

  beforeEach(async () => {
    connection = await openDatabase({ kind: 'embedded', dir: null });
  }, 60_000);
  afterEach(() => connection.close());

  it('a long query runs off the main thread: timers keep firing meanwhile', async () => {
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const started = performance.now();
    // Work enough for a few hundred milliseconds of WASM on this machine.
    const result = await connection.db.execute(sql`select count(*)::int as n from generate_series(1, 1500000) g where g % 7 = 0`);
    const took = performance.now() - started;
    delay.disable();
    expect((result as unknown as { rows: { n: number }[] }).rows[0].n).toBe(214285);
    expect(took).toBeGreaterThan(100);
    // On the main thread the loop would have stalled for the whole query.
    expect(delay.max / 1e6).toBeLessThan(Math.max(60, took / 3));
  });

  it('PostgreSQL errors come back with their fields (a unique violation is code 23505)', async () => {
    await connection.db.insert(schema.rooms).values({ id: 'dup', settings: {}, createdBy: 'test' });
    const error = await connection.db.insert(schema.rooms).values({ id: 'dup', settings: {}, createdBy: 'test' }).then(
      () => null,
      (e: unknown) => e,
    );
    // drizzle wraps the driver's error; the thread's error is its cause.
    const cause = (error as { cause?: unknown }).cause ?? error;
    expect(cause).toBeInstanceOf(EmbeddedDatabaseError);
    expect((cause as EmbeddedDatabaseError).code).toBe('23505');
  });

  it('a transaction commits, rolls back on a throw, and holds other queries until it ends', async () => {
    await connection.db.transaction(async (tx) => {
      await tx.insert(schema.rooms).values({ id: 'kept', settings: {}, createdBy: 'test' });
    });
    await expect(
      connection.db.transaction(async (tx) => {
        await tx.insert(schema.rooms).values({ id: 'dropped', settings: {}, createdBy: 'test' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');

    const order: string[] = [];
    let inside!: () => void;
    const entered = new Promise<void>((resolve) => (inside = resolve));
    const tx = connection.db.transaction(async (t) => {
      await t.insert(schema.rooms).values({ id: 'in-tx', settings: {}, createdBy: 'test' });
      inside();
      await new Promise((resolve) => setTimeout(resolve, 50));
      order.push('tx done');
    });
    await entered;
    const outside = connection.db.select().from(schema.rooms).then((rows) => {
      order.push('outside read');
      return rows.map((r) => r.id).sort();
    });
    await tx;
    // The read waited for the commit: it sees the transaction's row, and ran after it.
    expect(await outside).toEqual(['in-tx', 'kept']);
    expect(order).toEqual(['tx done', 'outside read']);
  });

  it('a thread that dies fails its pending queries and those until it is back; then it is started again', async () => {
    const client = clientOf(connection);
    const pending = connection.db.execute(sql`select count(*) from generate_series(1, 3000000)`);
    await (client as unknown as { worker: Worker }).worker.terminate();
    // drizzle wraps the driver's error ("Failed query: …"); the thread client's is its cause.
    const stopped = { cause: expect.objectContaining({ message: expect.stringMatching(/embedded database thread stopped/) }) };
    await expect(pending).rejects.toMatchObject(stopped);
    await expect(connection.db.select().from(schema.rooms)).rejects.toMatchObject(stopped);
    expect(client.available).toBe(false);
    // Back after ~0.5 s (a memory database starts again empty, migrated).
    const deadline = Date.now() + 20_000;
    while (!client.available && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.available).toBe(true);
    expect(await connection.db.select().from(schema.rooms)).toEqual([]);
    await expect(connection.close()).resolves.toBeUndefined();
    await expect(connection.db.select().from(schema.rooms)).rejects.toMatchObject({ cause: expect.objectContaining({ message: 'the embedded database is closed' }) });
  }, 30_000);

  it('a folder database keeps its rows across a crash of its thread', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'confer-db-crash-'));
    const folder = await openDatabase({ kind: 'embedded', dir });
    try {
      await folder.db.insert(schema.rooms).values({ id: 'kept-across-crash', settings: { lobby: true }, createdBy: 'test' });
      const client = clientOf(folder);
      await (client as unknown as { worker: Worker }).worker.terminate();
      const deadline = Date.now() + 20_000;
      while (!client.available && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const rows = await folder.db.select().from(schema.rooms);
      expect(rows.map((r) => r.id)).toEqual(['kept-across-crash']);
    } finally {
      await folder.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
