import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '@confer/signaling-contracts';
import { ShutdownState } from '../src/lifecycle/shutdown-state';
import { SignalingGateway } from '../src/signaling/signaling.gateway';
import { FakeMediasoup, fakeMediasoupSource } from '../src/testing/mediasoup-double';
import { fakeBackend, type Backend } from './support/backends';
import { joinRoom, produce } from './support/scenario';
import { TestClient } from './support/test-client';
import { TestServer } from './support/test-server';

/** Opens a WebSocket with `origin` (undefined: no Origin header); resolves with 'open' or the refusal's HTTP status. */
function upgrade(url: string, origin?: string): Promise<'open' | number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, origin ? { origin } : {});
    socket.once('open', () => {
      socket.close();
      resolve('open');
    });
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', () => undefined);
  });
}

describe('runtime: origins, health, drain', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('the WebSocket upgrade checks Origin: same-origin, no Origin and listed origins pass, a foreign one gets 403', async () => {
    server = await TestServer.start(fakeBackend, { ALLOWED_ORIGINS: 'https://portal.example.com' });
    const host = new URL(server.httpUrl).host;
    expect(await upgrade(server.url)).toBe('open');
    expect(await upgrade(server.url, `http://${host}`)).toBe('open');
    expect(await upgrade(server.url, 'https://portal.example.com')).toBe('open');
    expect(await upgrade(server.url, 'https://evil.example.net')).toBe(403);
    expect(await upgrade(server.url, 'null')).toBe(403);
  });

  it('CORS on the HTTP API answers listed origins only', async () => {
    server = await TestServer.start(fakeBackend, { ALLOWED_ORIGINS: 'https://portal.example.com' });
    const preflight = (origin: string): Promise<Response> =>
      fetch(`${server?.httpUrl}/api/dev/token`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    expect((await preflight('https://portal.example.com')).headers.get('access-control-allow-origin')).toBe('https://portal.example.com');
    expect((await preflight('https://evil.example.net')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('in development the web dev server origins are allowed by default, and * allows any', async () => {
    server = await TestServer.start(fakeBackend, { NODE_ENV: 'development' });
    expect(await upgrade(server.url, 'http://localhost:4200')).toBe('open');
    expect(await upgrade(server.url, 'https://evil.example.net')).toBe(403);
    await server.stop();
    server = await TestServer.start(fakeBackend, { ALLOWED_ORIGINS: '*' });
    expect(await upgrade(server.url, 'https://anywhere.example.net')).toBe('open');
  });

  it('HTTP responses carry a request id: the caller\'s X-Request-Id, or a new one', async () => {
    server = await TestServer.start(fakeBackend);
    expect((await fetch(`${server.httpUrl}/health`, { headers: { 'x-request-id': 'lb-42.a' } })).headers.get('x-request-id')).toBe('lb-42.a');
    expect((await fetch(`${server.httpUrl}/health`)).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('liveness is up; readiness is down without a live worker', async () => {
    server = await TestServer.start(null);
    expect((await fetch(`${server.httpUrl}/health/live`)).status).toBe(200);
    const ready = await fetch(`${server.httpUrl}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'error', error: { mediasoup: { status: 'down', liveWorkers: 0 } } });
  });

  it('readiness flips: up with a worker, down while draining; new sessions and joins are refused while draining', async () => {
    server = await TestServer.start(fakeBackend, { SHUTDOWN_DRAIN_MS: '5000' });
    const ready = async (): Promise<number> => (await fetch(`${server?.httpUrl}/health/ready`)).status;
    expect(await ready()).toBe(200);
    expect(await (await fetch(`${server.httpUrl}/api/health/ready`)).json()).toMatchObject({ status: 'ok', info: { mediasoup: { liveWorkers: 1 }, signaling: { draining: false } } });

    const alice = await server.client('alice');
    await joinRoom(alice, 'r', { send: false, recv: false });
    const bob = await server.client('bob');

    const drained = server.app.get(SignalingGateway).drain('test');
    expect(server.app.get(ShutdownState).draining).toBe(true);
    expect(await ready()).toBe(503);
    expect(await alice.waitForNotification('serverShutdown')).toEqual({ reason: expect.stringContaining('shutting down'), drainMs: 5000 });
    const refused = await bob.requestError('join', { roomId: 'r', displayName: 'bob', device: { flag: 'test', name: 'jest' } });
    expect(refused).toMatchObject({ code: 'invalid_state', details: { reason: 'draining' } });
    const fresh = await TestClient.connect(server.url);
    const auth = await fresh.requestError('authenticate', { token: await server.token({ sub: 'carol' }), protocolVersion: PROTOCOL_VERSION });
    expect(auth.code).toBe('invalid_state');

    // The drain ends as soon as the last peer leaves, long before SHUTDOWN_DRAIN_MS.
    await alice.request('leave', {});
    const result = await drained;
    expect(result).toMatchObject({ peersLeft: 0 });
    expect(result.waitedMs).toBeLessThan(2000);
    expect((await bob.closed).code).toBe(1001);
  });

  it('readiness is down while a dead worker is being replaced; a room re-created meanwhile waits for the replacement', async () => {
    // The test double, with the replacement worker's start held until released.
    const fake = new FakeMediasoup();
    let release = (): void => undefined;
    const held = new Promise<void>((r) => (release = r));
    let started = 0;
    const slowReplacement: Backend = {
      name: 'test double (slow replacement)',
      source: () => ({
        ...fakeMediasoupSource(fake),
        load: async () => ({
          version: fake.version,
          createWorker: async (settings) => {
            if (started++ > 0) await held;
            return fake.createWorker(settings);
          },
          kill: (worker) => fake.kill(worker),
        }),
      }),
    };
    server = await TestServer.start(slowReplacement);
    const ready = async (): Promise<number> => (await fetch(`${server?.httpUrl}/health/ready`)).status;
    const alice = await server.client('alice');
    await joinRoom(alice, 'r');
    expect(await ready()).toBe(200);

    ([...fake.live.worker][0] as unknown as { die(): void }).die();
    await alice.waitForNotification('mediaReset');
    expect(await ready()).toBe(503);
    const rejoin = joinRoom(alice, 'r');
    await new Promise((r) => setTimeout(r, 100));
    expect(server.rooms.get('r')).toBeUndefined(); // still waiting for a worker
    release();
    await rejoin;
    expect(server.rooms.get('r')?.media?.router.closed).toBe(false);
    expect(await ready()).toBe(200);
    await alice.close();
  });

  it('metrics follow peers joining and leaving: rooms, peers, transports, producers and consumers by kind, bytes, worker CPU and deaths', async () => {
    server = await TestServer.start(fakeBackend);
    const scrape = async (): Promise<Record<string, number>> => {
      const text = await (await fetch(`${server?.httpUrl}/metrics`)).text();
      return Object.fromEntries(
        text
          .split('\n')
          .filter((l) => l && !l.startsWith('#'))
          .map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]),
      );
    };
    const before = await scrape();
    expect(before).toMatchObject({ confer_rooms: 0, confer_peers: 0, confer_transports: 0, 'confer_producers{kind="audio"}': 0, 'confer_consumers{kind="video"}': 0, confer_mediasoup_worker_deaths_total: 0, confer_mediasoup_workers: 1 });

    const alice = await server.client('alice');
    const bob = await server.client('bob');
    const a = await joinRoom(alice, 'r');
    await joinRoom(bob, 'r');
    await produce(a, 'audio');
    await produce(a, 'video');
    await bob.until(() => (server?.peers.get('bob')?.consumers.size ?? 0) === 2, 'bob consumes');
    const during = await scrape();
    expect(during).toMatchObject({
      confer_rooms: 1,
      confer_peers: 2,
      confer_transports: 4,
      'confer_producers{kind="audio"}': 1,
      'confer_producers{kind="video"}': 1,
      'confer_consumers{kind="audio"}': 1,
      'confer_consumers{kind="video"}': 1,
      'confer_media_bytes{direction="in"}': 4000,
      'confer_media_bytes{direction="out"}': 8000,
    });
    expect(during['confer_signaling_bytes_total{direction="in"}']).toBeGreaterThan(before['confer_signaling_bytes_total{direction="in"}']);
    expect(during['confer_signaling_bytes_total{direction="out"}']).toBeGreaterThan(0);
    expect(during['confer_signaling_requests_total{method="produce",outcome="ok"}']).toBe(2);
    expect(during['confer_signaling_request_seconds_count{method="join"}']).toBe(2);
    expect(Object.keys(during).some((k) => /^confer_mediasoup_worker_cpu_seconds\{worker="0",pid="\d+",mode="user"\}$/.test(k))).toBe(true);

    await bob.close();
    await alice.until(() => server?.peers.get('bob') === undefined, 'bob gone');
    expect(await scrape()).toMatchObject({ confer_peers: 1, confer_transports: 2, 'confer_consumers{kind="audio"}': 0, 'confer_producers{kind="audio"}': 1 });
    await alice.close();
    await server.expectClean();
    expect(await scrape()).toMatchObject({ confer_rooms: 0, confer_peers: 0, confer_transports: 0, 'confer_producers{kind="video"}': 0 });

    const worker = [...(server.fake?.live.worker ?? [])][0] as unknown as { die(): void };
    worker.die();
    expect((await scrape()).confer_mediasoup_worker_deaths_total).toBe(1);
  });
});
