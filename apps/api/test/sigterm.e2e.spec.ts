import { readdirSync, readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { PROTOCOL_VERSION } from '@confer/signaling-contracts';
import { spawnApi, type ApiProcess } from './support/api-process';
import { realWorker } from './support/backends';
import { TestClient } from './support/test-client';
import { TEST_SECRET } from './support/test-server';

/**
 * The real entry point (apps/api/src/main.ts, as `nx serve api` runs it) in a
 * child process, so that SIGTERM, the drain and the exit code are the real ones.
 */
function startApi(env: Record<string, string>): Promise<ApiProcess> {
  return spawnApi(['-r', '@swc-node/register', 'apps/api/src/main.ts'], {
    SWC_NODE_PROJECT: 'apps/api/tsconfig.serve.json',
    JWT_SECRET: TEST_SECRET,
    MEDIASOUP_NUM_WORKERS: '1',
    LOG_LEVEL: 'info',
    ...env,
  });
}

const token = (sub: string): Promise<string> =>
  new SignJWT({ name: sub, rooms: ['*'], grants: { canPublish: true, canSubscribe: true, canPublishData: true, roomAdmin: false } })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(TEST_SECRET));

/**
 * Joins without media: the drain is about peers in rooms, and it must be provable
 * on a machine without a mediasoup worker too (media requests would answer
 * media_unavailable there).
 */
async function joinWithoutMedia(client: TestClient, roomId: string): Promise<void> {
  await client.request('join', { roomId, displayName: client.peerId, device: { flag: 'test', name: 'jest' } });
}

/** Child processes of `pid` (mediasoup workers are the API's only children). */
/** The mediasoup workers among the process's children (other tools, e.g. a short ffmpeg probe, are not counted). */
function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`)
      .flatMap((tid) => readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number))
      .filter((child) => {
        try {
          return readFileSync(`/proc/${child}/comm`, 'utf8').startsWith('mediasoup-work');
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}

/** Running (a zombie has exited; only its parent's reaping is left). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

console.log(realWorker.path ? `sigterm: real worker at ${realWorker.path}` : `sigterm: real worker: skipped (worker shutdown check) — ${realWorker.detail}`);

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
    await joinWithoutMedia(alice, 'r');
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
    await joinWithoutMedia(alice, 'r');
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

  (realWorker.path ? it : it.skip)('stops its mediasoup workers before it exits on SIGTERM (real worker)', async () => {
    api = await startApi({ SHUTDOWN_DRAIN_MS: '500', MEDIASOUP_NUM_WORKERS: '2' });
    const workers = childPids(api.child.pid as number);
    expect(workers).toHaveLength(2);
    api.child.kill('SIGTERM');
    const exit = await api.exited;
    expect(exit.code).toBe(0);
    // Checked right at the exit event: no worker outlives the process.
    expect(workers.filter(alive)).toEqual([]);
  });

  it('refuses to start with a bad configuration value, naming the variable', async () => {
    await expect(startApi({ SHUTDOWN_DRAIN_MS: 'soon' })).rejects.toThrow(/SHUTDOWN_DRAIN_MS="soon"/);
  });
});
