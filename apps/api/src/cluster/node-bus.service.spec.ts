import { createHmac } from 'node:crypto';
import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { SignalingError } from '@confer/signaling-contracts';
import { loadConfig } from '../config/app-config';
import type { RoomsService } from '../rooms/rooms.service';
import { SERVICE_TEST_ENV } from '../testing/api-testing-module';
import { redisAvailability, startRedis, type RedisServer } from '../testing/redis-server';
import { ClusterRedisService } from './cluster-redis.service';
import { busChannel, NodeBusService } from './node-bus.service';
import { NodeBusError } from './node-bus.types';
import { NodeRegistryService } from './node-registry.service';

declare module './node-bus.types' {
  interface NodeBusRequests {
    'test.add': { params: { a: number; b: number }; result: { sum: number } };
    'test.fail': { params: Record<string, never>; result: never };
    'test.hang': { params: Record<string, never>; result: never };
  }
  interface NodeBusMessages {
    'test.note': { text: string };
  }
}

Logger.overrideLogger(false);

const SECRET = 'node-bus-spec-cluster-secret-0123456789';
const { available, why } = redisAvailability();
if (!available) console.log(`node-bus.service.spec: skipped — ${why}`);
const describeRedis = available ? describe : describe.skip;

/** One node: its Redis connections, registry (heartbeat) and bus, built as Nest would. */
interface TestNode {
  id: string;
  redis: ClusterRedisService;
  registry: NodeRegistryService;
  bus: NodeBusService;
  stop(): Promise<void>;
}

async function startNode(url: string, id: string, secret = SECRET, register = true): Promise<TestNode> {
  const config = loadConfig({ ...SERVICE_TEST_ENV, REDIS_URL: url, CLUSTER_SECRET: secret, NODE_ID: id, CLUSTER_HEARTBEAT_MS: '200', CLUSTER_NODE_TTL_MS: '600' });
  const redis = new ClusterRedisService(config);
  const registry = new NodeRegistryService(config, redis, { all: () => [] } as unknown as RoomsService);
  const bus = new NodeBusService(config, redis, registry);
  if (register) await registry.onApplicationBootstrap();
  else await redis.start();
  await bus.onApplicationBootstrap();
  let stopped = false;
  return {
    id,
    redis,
    registry,
    bus,
    async stop() {
      if (stopped) return;
      stopped = true;
      await bus.onModuleDestroy();
      await registry.onModuleDestroy();
      await redis.onModuleDestroy();
    },
  };
}

describeRedis('NodeBusService (real redis-server)', () => {
  let server: RedisServer;
  let a: TestNode;
  let b: TestNode;
  let raw: Redis;

  beforeAll(async () => {
    server = await startRedis();
    raw = new Redis(server.url);
  });

  afterAll(async () => {
    raw?.disconnect();
    await server?.stop();
  });

  beforeEach(async () => {
    a = await startNode(server.url, 'node-a');
    b = await startNode(server.url, 'node-b');
  });

  afterEach(async () => {
    await a.stop();
    await b.stop();
  });

  it('answers a typed request from the other node, with the sender known to the handler', async () => {
    const seen: string[] = [];
    b.bus.handle('test.add', (params, { from }) => {
      seen.push(from);
      const { a: x, b: y } = params as { a: number; b: number };
      return { sum: x + y };
    });
    await expect(a.bus.request('node-b', 'test.add', { a: 2, b: 3 })).resolves.toEqual({ sum: 5 });
    expect(seen).toEqual(['node-a']);
    const { at } = await b.bus.request('node-a', 'bus.ping', {});
    expect(Math.abs(at - Date.now())).toBeLessThan(1000);
    expect(a.bus.stats()).toMatchObject({ pending: 0, rejected: 0 });
  });

  it("carries the handler's typed error back; an unknown method is unknown_method; a second handler is refused", async () => {
    b.bus.handle('test.fail', () => {
      throw new SignalingError('not_found', 'no such producer');
    });
    const error = await a.bus.request('node-b', 'test.fail', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeBusError);
    expect(error).toMatchObject({ code: 'remote', node: 'node-b', method: 'test.fail', remote: { code: 'not_found', reason: 'no such producer' } });
    await expect(a.bus.request('node-b', 'test.add', { a: 1, b: 1 })).rejects.toMatchObject({ code: 'remote', remote: { code: 'unknown_method' } });
    expect(() => b.bus.handle('bus.ping', () => ({ at: 0 }))).toThrow(TypeError);
  });

  it('times out with a typed error when the handler never answers, and forgets the request', async () => {
    b.bus.handle('test.hang', () => new Promise<never>(() => undefined));
    const started = Date.now();
    await expect(a.bus.request('node-b', 'test.hang', {}, { timeoutMs: 300 })).rejects.toMatchObject({ name: 'NodeBusError', code: 'timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(a.bus.stats().pending).toBe(0);
  });

  it('fails at once with node_unavailable for a node that is not live, or registered but not listening', async () => {
    const started = Date.now();
    await expect(a.bus.request('node-z', 'bus.ping', {})).rejects.toMatchObject({ code: 'node_unavailable', node: 'node-z' });
    await b.bus.close();
    await expect(a.bus.request('node-b', 'bus.ping', {})).rejects.toMatchObject({ code: 'node_unavailable' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(a.bus.stats().pending).toBe(0);
  });

  it('a node that stops (killed: no answer, entry expires) fails the requests pending to it with timeout, then node_unavailable', async () => {
    b.bus.handle('test.hang', () => new Promise<never>(() => undefined));
    const pending = a.bus.request('node-b', 'test.hang', {}, { timeoutMs: 1000 });
    await until(() => b.bus.stats().received === 1);
    await b.stop();
    await expect(pending).rejects.toMatchObject({ code: 'timeout' });
    await expect(a.bus.request('node-b', 'bus.ping', {})).rejects.toMatchObject({ code: 'node_unavailable' });
  });

  it('delivers one-way messages to every listener; send() says whether anyone listened', async () => {
    const got: unknown[] = [];
    const off = b.bus.on('test.note', (data, { from }) => got.push([from, data]));
    await expect(a.bus.send('node-b', 'test.note', { text: 'hi' })).resolves.toBe(true);
    await until(() => got.length === 1);
    expect(got).toEqual([['node-a', { text: 'hi' }]]);
    off();
    await a.bus.send('node-b', 'test.note', { text: 'unheard' });
    await a.bus.request('node-b', 'bus.ping', {});
    expect(got).toHaveLength(1);
    await expect(a.bus.send('node-z', 'test.note', { text: 'nobody' })).resolves.toBe(false);
  });

  it('drops what is not signed with CLUSTER_SECRET, addressed elsewhere, stale, or replayed', async () => {
    const calls: unknown[] = [];
    b.bus.handle('test.add', (params) => {
      calls.push(params);
      return { sum: 0 };
    });
    const envelope = (over: Record<string, unknown> = {}): string => JSON.stringify({ k: 'req', id: `id-${Math.random()}`, from: 'node-a', to: 'node-b', ts: Date.now(), method: 'test.add', data: { a: 1, b: 2 }, ...over });
    const signed = (json: string, secret = SECRET): string => `${createHmac('sha256', secret).update(json).digest('hex')}.${json}`;
    const channel = busChannel('node-b');
    const good = signed(envelope());
    const forged = [
      envelope(), // no HMAC
      signed(envelope(), 'another-secret-that-is-long-enough-0123'),
      good.replace('"a":1', '"a":9'), // tampered after signing
      signed(envelope({ to: 'node-c' })),
      signed(envelope({ ts: Date.now() - 120_000 })),
      signed('not json'),
      signed('[1,2]'),
      'x'.repeat(300_000),
    ];
    await raw.publish(channel, good);
    for (const message of forged) await raw.publish(channel, message);
    await raw.publish(channel, good); // replay
    // A request of its own, after them, shows they were all handled by then.
    await a.bus.request('node-b', 'bus.ping', {});
    expect(calls).toEqual([{ a: 1, b: 2 }]);
    expect(b.bus.stats().rejected).toBe(forged.length + 1);

    // A node with another secret is refused too: its requests time out.
    const c = await startNode(server.url, 'node-c', 'a-different-cluster-secret-0123456789');
    try {
      await expect(c.bus.request('node-b', 'test.add', { a: 1, b: 1 }, { timeoutMs: 300 })).rejects.toMatchObject({ code: 'timeout' });
      expect(calls).toHaveLength(1);
    } finally {
      await c.stop();
    }
  });

  it('close() fails pending requests with closed and leaves no listener, timer or subscription behind', async () => {
    b.bus.handle('test.hang', () => new Promise<never>(() => undefined));
    const subscriber = a.redis.subscriber;
    const listeners = subscriber.listenerCount('message');
    const pending = [a.bus.request('node-b', 'test.hang', {}, { timeoutMs: 60_000 }), a.bus.request('node-b', 'test.hang', {}, { timeoutMs: 60_000 })];
    await until(() => a.bus.stats().pending === 2);
    await a.bus.close();
    for (const p of pending) await expect(p).rejects.toMatchObject({ code: 'closed' });
    expect(a.bus.stats().pending).toBe(0);
    expect(subscriber.listenerCount('message')).toBe(listeners - 1);
    expect(await raw.pubsub('NUMSUB', busChannel('node-a'))).toEqual([busChannel('node-a'), 0]);
    await expect(a.bus.request('node-b', 'bus.ping', {})).rejects.toMatchObject({ code: 'closed' });
  });

  it('keeps working after a Redis restart (the subscription comes back by itself)', async () => {
    await server.restart();
    // The registry re-registers with its next heartbeat; the bus resubscribes on reconnection.
    await until(async () => (await a.bus.request('node-b', 'bus.ping', {}, { timeoutMs: 500 }).then(() => true, () => false)), 10_000);
    await expect(b.bus.request('node-a', 'bus.ping', {})).resolves.toHaveProperty('at');
  });
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
