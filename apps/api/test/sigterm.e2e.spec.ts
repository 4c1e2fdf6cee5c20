import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { SignJWT } from 'jose';
import { PROTOCOL_VERSION } from '@confer/signaling-contracts';
import { joinRoom } from './support/scenario';
import { TestClient } from './support/test-client';
import { TEST_SECRET } from './support/test-server';

// nx runs the tests from the workspace root.
const ROOT = process.cwd();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * The real entry point (apps/api/src/main.ts, as `nx serve api` runs it) in a
 * child process, so that SIGTERM, the drain and the exit code are the real ones.
 */
async function startApi(env: Record<string, string>): Promise<{ child: ChildProcess; port: number; exited: Promise<{ code: number | null; signal: string | null; at: number }>; output: () => string }> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/api/src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      SWC_NODE_PROJECT: 'apps/api/tsconfig.serve.json',
      HOST: '127.0.0.1',
      PORT: String(port),
      JWT_SECRET: TEST_SECRET,
      MEDIASOUP_NUM_WORKERS: '1',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`API exited during start-up:\n${output}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/live`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`API did not start within 20 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, port, exited, output: () => output };
}

const token = (sub: string): Promise<string> =>
  new SignJWT({ name: sub, rooms: ['*'], grants: { canPublish: true, canSubscribe: true, canPublishData: true, roomAdmin: false } })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(TEST_SECRET));

describe('the API process', () => {
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  afterEach(() => {
    if (api?.child.exitCode === null) api.child.kill('SIGKILL');
    api = undefined;
  });

  it('drains on SIGTERM: serverShutdown with SHUTDOWN_DRAIN_MS, readiness down, joins refused, exits 0 once peers left', async () => {
    api = await startApi({ SHUTDOWN_DRAIN_MS: '8000', LOG_LEVEL: 'debug' });
    const url = `ws://127.0.0.1:${api.port}/ws`;
    const alice = await TestClient.authenticated(url, await token('alice'));
    await joinRoom(alice, 'r', { send: false, recv: false });
    const bob = await TestClient.authenticated(url, await token('bob'));

    api.child.kill('SIGTERM');
    const sent = Date.now();
    expect(await alice.waitForNotification('serverShutdown')).toEqual({ reason: expect.stringContaining('SIGTERM'), drainMs: 8000 });
    expect((await fetch(`http://127.0.0.1:${api.port}/health/ready`)).status).toBe(503);
    expect((await bob.requestError('join', { roomId: 'r', displayName: 'bob', device: { flag: 'test', name: 'jest' } })).code).toBe('invalid_state');
    const late = await TestClient.connect(url);
    expect((await late.requestError('authenticate', { token: await token('carol'), protocolVersion: PROTOCOL_VERSION })).code).toBe('invalid_state');

    await new Promise((r) => setTimeout(r, 300));
    expect(api.child.exitCode).toBeNull(); // still draining: alice is in a call
    await alice.request('leave', {});
    const exit = await api.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - sent).toBeLessThan(8000);
    expect((await bob.closed).code).toBe(1001);
    expect(api.output()).toMatch(/shutdown complete/);
    // Structured JSON logs: one line per request with its id, peer and room.
    const lines = api.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l['method'] === 'join' && l['outcome'] === 'ok')).toMatchObject({ level: 20, reqId: expect.stringMatching(/^[0-9a-f]{8}-\d+$/), peer: 'alice', room: 'r', ms: expect.any(Number) });
    expect(lines.find((l) => l['method'] === 'join' && l['outcome'] === 'invalid_state')).toMatchObject({ level: 30, peer: 'bob' });
  });

  it('exits 0 after SHUTDOWN_DRAIN_MS when peers stay; LOG_LEVEL sets the level', async () => {
    api = await startApi({ SHUTDOWN_DRAIN_MS: '800', LOG_LEVEL: 'warn' });
    const alice = await TestClient.authenticated(`ws://127.0.0.1:${api.port}/ws`, await token('alice'));
    await joinRoom(alice, 'r', { send: false, recv: false });
    const sent = Date.now();
    api.child.kill('SIGTERM');
    const exit = await api.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - sent).toBeGreaterThanOrEqual(700);
    expect((await alice.closed).code).toBe(1001);
    const levels = api.output().split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { level: number }).level);
    expect(levels.length).toBeGreaterThan(0); // the drain's warnings
    expect(Math.min(...levels)).toBeGreaterThanOrEqual(40);
  });

  it('refuses to start with a bad configuration value, naming the variable', async () => {
    await expect(startApi({ SHUTDOWN_DRAIN_MS: 'soon' })).rejects.toThrow(/SHUTDOWN_DRAIN_MS="soon"/);
  });
});
