import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { Pool } from 'pg';
import type { DatabaseTarget } from './database-url';
import { dumpMigrated, PGliteThreadClient } from './embedded/pglite-thread-client';
import { schema } from './schema';

/** Drizzle over either driver: the queries are the same SQL dialect (PostgreSQL) on both. */
export type ConferDb = PgDatabase<PgQueryResultHKT, typeof schema>;

/** An open, migrated database. */
export interface DatabaseConnection {
  db: ConferDb;
  target: DatabaseTarget;
  close(): Promise<void>;
}

export const DATABASE = Symbol('DATABASE');

/** The SQL migrations, applied in order at start-up (drizzle records them in `drizzle.__drizzle_migrations`). */
export const MIGRATIONS_FOLDER = path.join(__dirname, 'migrations');

let template: Promise<Uint8Array> | null = null;

/**
 * An initialised and migrated in-memory cluster, taken once per process:
 * every `memory:` database starts from its own copy.
 */
function memoryTemplate(): Promise<Uint8Array> {
  template ??= dumpMigrated(MIGRATIONS_FOLDER);
  template.catch(() => (template = null));
  return template;
}

/** Opens the database and brings its schema up to date. */
export async function openDatabase(target: DatabaseTarget): Promise<DatabaseConnection> {
  if (target.kind === 'postgres') {
    const pool = new Pool({ connectionString: target.url, max: 10 });
    // A dropped idle connection must not crash the process: the pool replaces it.
    pool.on('error', () => undefined);
    try {
      const db = drizzlePg(pool, { schema });
      await migratePg(db, { migrationsFolder: MIGRATIONS_FOLDER });
      return { db: db as unknown as ConferDb, target, close: () => pool.end() };
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }
  // The embedded PGlite runs on a thread of its own: its queries are synchronous WASM and would
  // otherwise hold the signaling up (see embedded/pglite-thread.cjs).
  const client = await PGliteThreadClient.open({
    dir: target.dir,
    template: target.dir ? null : await memoryTemplate(),
    migrationsFolder: MIGRATIONS_FOLDER,
  });
  // drizzle's PGlite driver uses `query()` and `transaction()` only, which the thread client provides.
  const db = drizzlePglite(client as unknown as PGlite, { schema });
  return { db: db as unknown as ConferDb, target, close: () => client.close() };
}
