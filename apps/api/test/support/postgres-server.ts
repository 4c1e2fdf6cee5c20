import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './api-process';

/** A throw-away PostgreSQL server on 127.0.0.1, in its own temporary folder. */
export interface PostgresServer {
  url: string;
  stop(): void;
}

/** Debian's server binaries (POSTGRES_BIN, else the newest /usr/lib/postgresql/N/bin), or null. */
export function postgresBin(): string | null {
  const configured = process.env['POSTGRES_BIN'];
  if (configured) return existsSync(path.join(configured, 'initdb')) ? configured : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0], 'bin') : null;
}

/**
 * initdb + pg_ctl start on a free port, trust authentication on loopback only.
 * PostgreSQL refuses to run as root: as root, the cluster belongs to the
 * `postgres` system user (created by Debian's package).
 */
export async function startPostgres(bin: string): Promise<PostgresServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'confer-pg-'));
  const data = path.join(dir, 'data');
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const run = (cmd: string, args: string[]): void => {
    const full = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args]] as const : [path.join(bin, cmd), args] as const;
    const r = spawnSync(full[0], [...full[1]], { encoding: 'utf8', cwd: dir });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout}`);
  };
  run('initdb', ['-D', data, '-U', 'confer', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  run('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-w', '-t', '30', '-o', `-p ${port} -h 127.0.0.1 -k ${dir} -c fsync=off`, 'start']);
  let stopped = false;
  return {
    url: `postgres://confer@127.0.0.1:${port}/postgres`,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-w', '-t', '30', '-m', 'fast', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * The database backends a suite runs against: always the embedded PGlite, and
 * PostgreSQL when its binaries are there. In CI a missing PostgreSQL is a
 * failure, not a skip (`.ci/run` installs it).
 */
export function databaseBackends(): { name: 'embedded' | 'postgres'; available: boolean; why?: string }[] {
  const bin = postgresBin();
  if (!bin && process.env['CI']) throw new Error('PostgreSQL server binaries missing in CI (tools/ensure-postgres.sh installs them)');
  return [
    { name: 'embedded', available: true },
    { name: 'postgres', available: bin !== null, why: bin ? undefined : 'no PostgreSQL server binaries (tools/ensure-postgres.sh)' },
  ];
}
