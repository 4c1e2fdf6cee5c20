import path from 'node:path';

/** Where the meeting history lives: PostgreSQL by URL, or the embedded PGlite (a folder, or memory). */
export type DatabaseTarget = { kind: 'postgres'; url: string } | { kind: 'embedded'; dir: string | null };

/**
 * Reads DATABASE_URL: `postgres://…` / `postgresql://…` for PostgreSQL,
 * `memory:` for an embedded database that lives as long as the process,
 * unset for the embedded database in `<DATA_DIR>/db`. Returns null for
 * anything else (the configuration refuses it).
 */
export function databaseTarget(url: string | undefined, dataDir: string): DatabaseTarget | null {
  if (!url) return { kind: 'embedded', dir: path.resolve(dataDir, 'db') };
  if (url === 'memory:') return { kind: 'embedded', dir: null };
  if (/^postgres(ql)?:\/\/[^\s]+$/.test(url)) return { kind: 'postgres', url };
  return null;
}

/** The target for logs: never the password. */
export function describeTarget(target: DatabaseTarget): string {
  if (target.kind === 'embedded') return target.dir ? `embedded PGlite at ${target.dir}` : 'embedded PGlite in memory';
  try {
    const u = new URL(target.url);
    return `PostgreSQL ${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}
