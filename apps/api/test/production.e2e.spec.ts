import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, spawnApi, type ApiProcess } from './support/api-process';
import { realWorker } from './support/backends';
import { TEST_SECRET } from './support/test-server';

/**
 * The production build as the README runs it: `node tools/build-api.mjs`, then
 * `node dist/apps/api/main.js` with WEB_ROOT serving the web app.
 */
const MAIN = 'dist/apps/api/main.js';
/** The web app's production build when `npm test` built it; else a stand-in index.html. */
const BUILT_WEB = 'dist/apps/web/browser';

let webRoot: string;
let api: ApiProcess | undefined;

beforeAll(() => {
  execFileSync(process.execPath, ['tools/build-api.mjs'], { stdio: 'pipe' });
  if (existsSync(path.join(BUILT_WEB, 'index.html'))) {
    webRoot = BUILT_WEB;
  } else {
    webRoot = mkdtempSync(path.join(tmpdir(), 'confer-web-'));
    writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>Confer</title><cf-root></cf-root>');
  }
});

afterEach(async () => {
  if (api && api.child.exitCode === null && api.child.signalCode === null) {
    api.child.kill('SIGKILL');
    await api.exited;
  }
  api = undefined;
});

const production = (env: Record<string, string> = {}): Record<string, string> => ({
  NODE_ENV: 'production',
  JWT_SECRET: TEST_SECRET,
  WEB_ROOT: webRoot,
  MEDIASOUP_NUM_WORKERS: '1',
  LOG_LEVEL: 'warn',
  ...env,
});

/** Runs the build expecting it to refuse to start; resolves with its exit code and output. */
async function refused(env: Record<string, string>, opts: { node?: string; port?: number } = {}): Promise<{ code: number | null; output: string }> {
  const p = await spawnApi([MAIN], env, { ...opts, waitReady: false });
  const exit = await Promise.race([p.exited, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
  if (exit === null) p.child.kill('SIGKILL');
  return { code: exit?.code ?? null, output: p.output() };
}

describe('production build contents', () => {
  it('holds no test double, no test wiring and no spec, and nothing in it imports one', () => {
    const root = path.dirname(MAIN);
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.js'));
    expect(files).toContain(path.join('apps/api/src/workers/worker-pool.service.js'));
    expect(files.filter((f) => f.split(path.sep).includes('testing') || f.endsWith('.spec.js'))).toEqual([]);
    const mentions = files.filter((f) => /\bFake[A-Z]|mediasoup-double|[/\\]testing[/\\]/.test(readFileSync(path.join(root, f), 'utf8')));
    expect(mentions).toEqual([]);
  });
});

describe('production build with WEB_ROOT', () => {
  it('answers health, readiness and metrics at their documented paths, not with the web app', async () => {
    api = await spawnApi([MAIN], production());
    const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
    for (const headers of [{}, browser]) {
      const live = await fetch(`${api.url}/health/live`, { headers });
      expect([live.status, live.headers.get('content-type')]).toEqual([200, expect.stringMatching(/application\/json/)]);
      expect(await live.json()).toMatchObject({ status: 'ok', info: { process: { status: 'up' } } });

      const ready = await fetch(`${api.url}/health/ready`, { headers });
      expect(ready.headers.get('content-type')).toMatch(/application\/json/);
      if (realWorker.path) {
        expect(ready.status).toBe(200);
      } else {
        // No worker: a load balancer must not send calls here.
        expect(ready.status).toBe(503);
        expect(await ready.json()).toMatchObject({ status: 'error', error: { mediasoup: { status: 'down' } } });
      }

      const summary = await fetch(`${api.url}/health`, { headers });
      expect([summary.status, summary.headers.get('content-type')]).toEqual([200, expect.stringMatching(/application\/json/)]);

      const metrics = await fetch(`${api.url}/metrics`, { headers });
      expect([metrics.status, metrics.headers.get('content-type')]).toEqual([200, expect.stringMatching(/text\/plain/)]);
      expect(await metrics.text()).toMatch(/^# HELP /m);
    }
    // The web app and its client-side routes still load in a browser.
    for (const page of ['/', '/room/standup']) {
      const res = await fetch(`${api.url}${page}`, { headers: browser });
      expect([page, res.status, res.headers.get('content-type')]).toEqual([page, 200, expect.stringMatching(/text\/html/)]);
      expect(await res.text()).toMatch(/<!doctype html>/i);
    }
    // An unknown server path is a JSON 404, not the app.
    const missing = await fetch(`${api.url}/health/nope`, { headers: browser });
    expect(missing.status).toBe(404);
  });
});

describe('production build refuses to start, with one clear message', () => {
  it('when the port is taken', async () => {
    const port = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(port, '127.0.0.1', () => r()));
    try {
      const { code, output } = await refused(production(), { port });
      expect(code).toBe(1);
      expect(output).toContain(`cannot listen on 127.0.0.1:${port}: the port is already in use`);
      expect(output).not.toMatch(/successfully started|\n\s+at /);
    } finally {
      holder.close();
    }
  });

  it('when MEDIASOUP_WORKER_BIN names no executable', async () => {
    const { code, output } = await refused(production({ MEDIASOUP_WORKER_BIN: '/nonexistent/mediasoup-worker' }));
    expect(code).toBe(1);
    expect(output).toMatch(/MEDIASOUP_WORKER_BIN="\/nonexistent\/mediasoup-worker": not an executable file/);
  });

  it('when PORT is not a number: one message saying so', async () => {
    const { code, output } = await refused(production({ PORT: 'abc' }), { port: 1 });
    expect(code).toBe(1);
    expect(output.trim()).toBe('invalid configuration:\n  PORT="abc": PORT must be an integer number');
  });

  // The machine's own Node (Debian 12 ships 20.x) when it is too old; otherwise nothing to run it with.
  const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((n) => {
    if (!existsSync(n)) return false;
    const v = execFileSync(n, ['-p', 'process.versions.node']).toString().trim().split('.').map(Number);
    return v[0] < 22 || (v[0] === 22 && v[1] < 22);
  });
  (systemNode ? it : it.skip)(`on a Node.js older than 22.22 (${systemNode ?? 'none on this machine'})`, async () => {
    const { code, output } = await refused(production(), { node: systemNode });
    expect(code).toBe(1);
    expect(output).toMatch(/^Confer API needs Node\.js >= 22\.22\.0; this is Node\.js \d+\.\d+\.\d+/);
  });
});
