import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../src/testing/free-port';

export { freePort };

export interface ApiProcess {
  child: ChildProcess;
  port: number;
  url: string;
  exited: Promise<{ code: number | null; signal: string | null; at: number }>;
  output(): string;
}

/**
 * Runs the API as a process (`args` after the Node binary: the built
 * `dist/apps/api/main.js`, or the sources through @swc-node/register) with only
 * `env` and PATH in its environment. With `waitReady` it resolves once
 * `/health/live` answers; otherwise at once (for processes expected to exit).
 */
export async function spawnApi(
  args: string[],
  env: Record<string, string>,
  opts: { node?: string; waitReady?: boolean; port?: number; readyTimeoutMs?: number } = {},
): Promise<ApiProcess> {
  const port = opts.port ?? (await freePort());
  let output = '';
  const child = spawn(opts.node ?? process.execPath, args, {
    cwd: process.cwd(),
    env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: 'memory:', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const api: ApiProcess = { child, port, url: `http://127.0.0.1:${port}`, exited, output: () => output };
  if (opts.waitReady === false) return api;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 20_000;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`API exited during start-up:\n${output}`);
    try {
      if ((await fetch(`${api.url}/health/live`)).ok) return api;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`API did not start within ${readyTimeoutMs / 1000} s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
