import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { Pool } from 'pg';
import type { DatabaseTarget } from './database-url';
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

let template: Promise<Blob> | null = null;

/**
 * An initialised and migrated in-memory cluster, taken once per process: a
 * fresh PGlite runs initdb (seconds on a busy machine), a copy of this loads
 * in a fraction of that. Every `memory:` database starts from its own copy.
 */
function memoryTemplate(): Promise<Blob> {
  template ??= (async () => {
    const seed = new PGlite();
    try {
      await migratePglite(drizzlePglite(seed, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
      return (await seed.dumpDataDir('none')) as Blob;
    } finally {
      await seed.close();
    }
  })();
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
  if (target.dir) mkdirSync(target.dir, { recursive: true });
  const client = target.dir ? new PGlite(target.dir) : new PGlite({ loadDataDir: await memoryTemplate() });
  try {
    const db = drizzlePglite(client, { schema });
    await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
    return { db: db as unknown as ConferDb, target, close: () => client.close() };
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
}
