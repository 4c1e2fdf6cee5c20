import { createSocket, type Socket } from 'node:dgram';
import { Logger, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Consumer, Producer, Router, RtpParameters } from 'mediasoup/types';
import { ConferModule } from '../confer.module';
import { loadConfig } from '../config/app-config';
import { DatabaseModule } from '../database/database.module';
import { RoomRoutersService } from '../rooms/room-routers.service';
import { RoomsModule } from '../rooms/rooms.module';
import { RoomsService } from '../rooms/rooms.service';
import { SERVICE_TEST_ENV } from '../testing/api-testing-module';
import { fakeMediasoupSource, type FakeMediasoup } from '../testing/mediasoup-double';
import { redisAvailability, startRedis, type RedisServer } from '../testing/redis-server';
import { eventually, testPeer } from '../testing/test-peers';
import { MEDIASOUP_API, realMediasoup, type MediasoupApiSource } from '../workers/mediasoup-api';
import { resolveWorkerBin } from '../workers/worker-bin';
import { ClusterModule } from './cluster.module';
import { CLUSTER_PIPE_PROVIDERS } from './cluster-pipes.providers';
import { NodeBusService } from './node-bus.service';
import { NodeBusError } from './node-bus.types';
import { NodeRegistryService } from './node-registry.service';
import { RemotePipeService } from './remote-pipe.service';
import { checkedPipeOpenResult } from './remote-pipe.values';

Logger.overrideLogger(false);
// Each test starts two or three whole API module graphs (workers, database): slow on a busy 2-core box.
jest.setTimeout(120_000);

const SECRET = 'remote-pipe-spec-cluster-secret-0123456789';
const redisState = redisAvailability();
const worker = resolveWorkerBin();
if (!redisState.available) console.log(`remote-pipe.service.spec: skipped — ${redisState.why}`);
if (!worker.path) console.log(`remote-pipe.service.spec: real worker skipped — ${worker.detail}`);

interface Backend {
  name: string;
  real: boolean;
  source(): MediasoupApiSource & { fake?: FakeMediasoup };
}
const backends: Backend[] = [
  { name: 'test double', real: false, source: () => fakeMediasoupSource() },
  ...(worker.path ? [{ name: `real worker (${worker.path})`, real: true, source: () => realMediasoup }] : []),
];

/** ClusterModule, plus the node-to-node services when it does not hold them yet (one instance of each either way). */
const wired = ((Reflect.getMetadata('providers', ClusterModule) ?? []) as unknown[]).includes(RemotePipeService);
@Module({ imports: [ClusterModule, RoomsModule], providers: wired ? [] : CLUSTER_PIPE_PROVIDERS, exports: wired ? [] : CLUSTER_PIPE_PROVIDERS })
class PipesTestModule {}

/** One node: the whole API module graph (no HTTP server) with its own NODE_ID and worker. */
interface TestNode {
  id: string;
  moduleRef: TestingModule;
  fake?: FakeMediasoup;
  rooms: RoomsService;
  pipes: RemotePipeService;
  bus: NodeBusService;
  registry: NodeRegistryService;
  close(): Promise<void>;
}

async function startNode(backend: Backend, redisUrl: string, id: string, env: Record<string, string> = {}): Promise<TestNode> {
  const source = backend.source();
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConferModule.forRoot({
        env: { ...SERVICE_TEST_ENV, REDIS_URL: redisUrl, CLUSTER_SECRET: SECRET, NODE_ID: id, CLUSTER_HEARTBEAT_MS: '200', CLUSTER_NODE_TTL_MS: '600', ...env },
      }),
      DatabaseModule,
      PipesTestModule,
    ],
  })
    .overrideProvider(MEDIASOUP_API)
    .useValue(source)
    .compile();
  moduleRef.useLogger(false);
  // init() runs onModuleInit and onApplicationBootstrap: the registry registers, the bus subscribes.
  await moduleRef.init();
  const get = <T>(type: new (...args: never[]) => T): T => moduleRef.get(type, { strict: false });
  let closed = false;
  return {
    id,
    moduleRef,
    fake: source.fake,
    rooms: get(RoomsService),
    pipes: get(RemotePipeService),
    bus: get(NodeBusService),
    registry: get(NodeRegistryService),
    async close() {
      if (closed) return;
      closed = true;
      await moduleRef.close();
    },
  };
}

/** RTP parameters of one Opus track sent on `ssrc` (payload type from the router). */
function opusParameters(router: Router, ssrc: number): RtpParameters {
  const opus = router.rtpCapabilities.codecs?.find((c) => c.mimeType.toLowerCase() === 'audio/opus');
  if (!opus?.preferredPayloadType) throw new Error('router has no opus');
  return { codecs: [{ mimeType: 'audio/opus', payloadType: opus.preferredPayloadType, clockRate: 48000, channels: 2 }], encodings: [{ ssrc }], headerExtensions: [] };
}

/** A producer in `roomId` on `node`, owned by a peer that entered the room (the owner looks producers up there). */
async function ownerProducer(node: TestNode, roomId: string, real: boolean): Promise<{ producer: Producer; router: Router; rtpPort?: number }> {
  const { peer } = testPeer(`alice-${Math.random().toString(36).slice(2, 8)}`);
  const room = await node.rooms.enter(peer, roomId);
  const router = room.media?.router;
  if (!router) throw new Error('room has no media');
  if (real) {
    // Comedia: the transport learns the sender's address from the first packet the test sends.
    const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true });
    const producer = await transport.produce({ kind: 'audio', rtpParameters: opusParameters(router, 22222222), appData: { peerId: peer.id, source: 'mic' } });
    peer.producers.set(producer.id, producer);
    producer.observer.once('close', () => transport.close());
    return { producer, router, rtpPort: transport.tuple.localPort };
  }
  const transport = await router.createWebRtcTransport({ listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }] });
  const producer = await transport.produce({ kind: 'audio', rtpParameters: opusParameters(router, 22222222), appData: { peerId: peer.id, source: 'mic' } });
  peer.producers.set(producer.id, producer);
  producer.observer.once('close', () => transport.close());
  return { producer, router };
}

/** A receiving router on `node` (as a room's router there would be). */
async function receivingRouter(node: TestNode, roomId: string): Promise<{ router: Router; close(): void }> {
  const media = await node.moduleRef.get(RoomRoutersService, { strict: false }).createRoomMedia(roomId);
  return { router: media.router, close: () => media.router.close() };
}

/** A consumer of `producerId` on `router`: to a UDP sink counting packets (real worker), else on a WebRtcTransport. */
async function localConsumer(router: Router, producerId: string, real: boolean): Promise<{ consumer: Consumer; packets(): number; close(): void }> {
  if (!real) {
    const transport = await router.createWebRtcTransport({ listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }] });
    const consumer = await transport.consume({ producerId, rtpCapabilities: router.rtpCapabilities });
    return { consumer, packets: () => 0, close: () => transport.close() };
  }
  const sink: Socket = createSocket('udp4');
  let packets = 0;
  // RTP only: RTCP's packet types (200-204) take the whole second byte (RFC 5761); mediasoup's probation SSRC 1234 is not media.
  sink.on('message', (m) => m.length >= 12 && (m[1] < 192 || m[1] > 223) && m.readUInt32BE(8) !== 1234 && packets++);
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
  const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false });
  await transport.connect({ ip: '127.0.0.1', port: sink.address().port });
  const consumer = await transport.consume({ producerId, rtpCapabilities: router.rtpCapabilities });
  return {
    consumer,
    packets: () => packets,
    close: () => {
      transport.close();
      sink.close();
    },
  };
}

/** Sends `count` Opus-sized RTP packets on `ssrc` to 127.0.0.1:`port`, 10 ms apart. */
async function sendRtp(port: number, ssrc: number, payloadType: number, count: number): Promise<void> {
  const socket = createSocket('udp4');
  try {
    for (let i = 0; i < count; i++) {
      const packet = Buffer.alloc(12 + 80);
      packet[0] = 0x80;
      packet[1] = payloadType;
      packet.writeUInt16BE(i & 0xffff, 2);
      packet.writeUInt32BE((i * 480) >>> 0, 4);
      packet.writeUInt32BE(ssrc, 8);
      await new Promise<void>((r) => socket.send(packet, port, '127.0.0.1', () => r()));
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    socket.close();
  }
}

async function transportCount(router: Router): Promise<number> {
  return (await router.dump()).transportIds.length;
}

/** `eventually` with room for a busy machine. */
const soon = (predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> => eventually(predicate, what, timeoutMs);

const describeRedis = redisState.available ? describe : describe.skip;

describeRedis.each(backends.map((b) => [b.name, b] as const))('RemotePipeService: two nodes, one real redis-server, against the %s', (_name, backend) => {
  let redis: RedisServer;
  let a: TestNode;
  let b: TestNode;

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  beforeEach(async () => {
    a = await startNode(backend, redis.url, 'node-a');
    b = await startNode(backend, redis.url, 'node-b');
  });

  afterEach(async () => {
    await b?.close();
    await a?.close();
  });

  it("pipes a producer of A's room to a router on B (same id, RTP flows); pause, resume and close of the source follow; nothing is left on either node", async () => {
    const { producer, router: aRouter, rtpPort } = await ownerProducer(a, 'r', backend.real);
    const aTransportsBefore = await transportCount(aRouter);
    const { router: bRouter, close: closeB } = await receivingRouter(b, 'r');
    try {
      const [piped, again] = await Promise.all([
        b.pipes.pipe({ ownerNodeId: 'node-a', roomId: 'r', producerId: producer.id, router: bRouter }),
        b.pipes.pipe({ ownerNodeId: 'node-a', roomId: 'r', producerId: producer.id, router: bRouter }),
      ]);
      expect(again).toBe(piped);
      expect(piped.id).toBe(producer.id);
      expect(piped.kind).toBe('audio');
      expect(piped.appData).toMatchObject({ source: 'mic', remotePipe: true, ownerNodeId: 'node-a' });
      expect(b.pipes.pipes()).toEqual([expect.objectContaining({ role: 'receiver', peerNode: 'node-a', roomId: 'r', producerId: producer.id })]);
      expect(a.pipes.pipes()).toEqual([expect.objectContaining({ role: 'owner', peerNode: 'node-b', roomId: 'r', producerId: producer.id })]);
      expect(await transportCount(aRouter)).toBe(aTransportsBefore + 1);
      if (a.fake) expect(a.fake.dump().pipeTransport).toBe(1);

      const viewer = await localConsumer(bRouter, piped.id, backend.real);
      if (backend.real && rtpPort) {
        // Real RTP: A's plain transport → producer → pipe consumer → UDP → B's piped producer → B's consumer → sink.
        await viewer.consumer.resume();
        await sendRtp(rtpPort, 22222222, producer.rtpParameters.codecs[0].payloadType, 100);
        await soon(() => viewer.packets() >= 50, 'RTP through the pipe at the sink on B', 5000);
        const stats = await piped.getStats();
        expect(stats[0]?.packetCount ?? 0).toBeGreaterThanOrEqual(50);
      }

      await producer.pause();
      await soon(() => piped.paused && viewer.consumer.producerPaused, 'pause reaches B');
      await producer.resume();
      await soon(() => !piped.paused && !viewer.consumer.producerPaused, 'resume reaches B');

      producer.close();
      await soon(() => piped.closed && viewer.consumer.closed, 'close reaches B');
      await soon(() => a.pipes.pipes().length === 0 && b.pipes.pipes().length === 0, 'both ends forgotten');
      expect(await transportCount(aRouter)).toBe(aTransportsBefore - 1); // the producer's own transport went with it
      viewer.close();
      expect((await bRouter.dump()).transportIds).toEqual([]);
      if (a.fake && b.fake) {
        expect(a.fake.dump().pipeTransport).toBe(0);
        expect(b.fake.dump()).toMatchObject({ pipeTransport: 0, producer: 0, consumer: 0 });
      }
      // A later pipe of another producer works again (nothing cached from the closed one).
      const second = await ownerProducer(a, 'r', backend.real);
      const piped2 = await b.pipes.pipe({ ownerNodeId: 'node-a', roomId: 'r', producerId: second.producer.id, router: bRouter });
      expect(piped2.closed).toBe(false);
    } finally {
      closeB();
    }
    // B's router closing (its room went) closes A's end too.
    await soon(() => a.pipes.pipes().length === 0, "A's end closed after B's router closed");
  });

  it("the receiver closing its piped producer closes the owner's end; the source stays", async () => {
    const { producer } = await ownerProducer(a, 'r', backend.real);
    const { router, close } = await receivingRouter(b, 'r');
    try {
      const piped = await b.pipes.pipe({ ownerNodeId: 'node-a', roomId: 'r', producerId: producer.id, router });
      piped.close();
      await soon(() => a.pipes.pipes().length === 0 && b.pipes.pipes().length === 0, 'both ends closed');
      expect(producer.closed).toBe(false);
      if (a.fake) expect(a.fake.dump().pipeTransport).toBe(0);
    } finally {
      close();
    }
  });

  it('refusals are typed and leave nothing behind: unknown producer or room, owner not live, bad values from the bus', async () => {
    const { producer } = await ownerProducer(a, 'r', backend.real);
    const { router, close } = await receivingRouter(b, 'r');
    try {
      const pipe = (over: Partial<{ ownerNodeId: string; roomId: string; producerId: string }>) =>
        b.pipes.pipe({ ownerNodeId: 'node-a', roomId: 'r', producerId: producer.id, router, ...over }).catch((e: unknown) => e);
      expect(await pipe({ producerId: '00000000-0000-4000-8000-000000000000' })).toMatchObject({ name: 'NodeBusError', code: 'remote', remote: { code: 'not_found' } });
      expect(await pipe({ roomId: 'elsewhere' })).toMatchObject({ code: 'remote', remote: { code: 'not_found' } });
      expect(await pipe({ ownerNodeId: 'node-z' })).toMatchObject({ code: 'node_unavailable' });
      expect((await router.dump()).transportIds).toEqual([]);

      // Values from another node are checked before mediasoup sees them.
      const bad = [
        { pipeId: 'p1', roomId: 'r', producerId: producer.id, ip: 'not-an-ip', port: 5000 },
        { pipeId: 'p2', roomId: 'r', producerId: producer.id, ip: '127.0.0.1', port: 70000 },
        { pipeId: 'p3', roomId: 'r', producerId: producer.id, ip: '127.0.0.1', port: 5000.5 },
        { pipeId: 'p 4', roomId: 'r', producerId: producer.id, ip: '127.0.0.1', port: 5000 },
        { pipeId: 'p5', roomId: 'r', producerId: producer.id, ip: '127.0.0.1', port: 5000, srtpParameters: { cryptoSuite: 'AEAD_AES_256_GCM', keyBase64: 'x'.repeat(60) } },
        { pipeId: 'p6', roomId: { $ne: 1 }, producerId: producer.id, ip: '127.0.0.1', port: 5000 },
      ];
      for (const params of bad) {
        const error = await b.bus.request('node-a', 'pipe.open', params as never).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(NodeBusError);
        expect((error as NodeBusError).remote?.code).toBe('invalid_request');
      }
      expect(a.pipes.pipes()).toEqual([]);
      if (a.fake) expect(a.fake.dump().pipeTransport).toBe(0);
    } finally {
      close();
    }
  });

  it('an owner that answers garbage is refused invalid_request; the receiver closes its end and tells the owner', async () => {
    // Node C speaks the bus but lies in its pipe.open answers.
    const c = await startNode(backend, redis.url, 'node-c');
    const { router, close } = await receivingRouter(b, 'r');
    const closes: unknown[] = [];
    try {
      const cBus = c.bus;
      // Replace C's real handler with a lying one.
      (cBus as unknown as { requestHandlers: Map<string, unknown> }).requestHandlers.delete('pipe.open');
      const answers: unknown[] = [
        { ip: '127.0.0.1', port: 5000, kind: 'audio', paused: false, appData: {}, rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100.5, clockRate: 48000, channels: 2 }] } },
        { ip: '127.0.0.1', port: 5000, kind: 'audio', paused: false, appData: {}, rtpParameters: { codecs: [{ mimeType: 'audio/x-nothing', payloadType: 100, clockRate: 48000 }], encodings: [{ ssrc: 1 }] } },
        { ip: '127.0.0.1', port: 5000, kind: 'data', paused: false, appData: {}, rtpParameters: opusParameters(router, 1) },
        { ip: '10.0.0.1; rm -rf /', port: 5000, kind: 'audio', paused: false, appData: {}, rtpParameters: opusParameters(router, 1) },
        { ip: '127.0.0.1', port: 5000, kind: 'audio', paused: 'no', appData: {}, rtpParameters: opusParameters(router, 1) },
        { ip: '127.0.0.1', port: 5000, kind: 'audio', paused: false, appData: { 'not a name': 1 }, rtpParameters: opusParameters(router, 1) },
        { ip: '127.0.0.1', port: 5000, kind: 'audio', paused: false, appData: {}, rtpParameters: opusParameters(router, 1), srtpParameters: { cryptoSuite: 'AEAD_AES_256_GCM', keyBase64: 'A'.repeat(60) } },
      ];
      let next = 0;
      cBus.handle('pipe.open', () => answers[next++] as never);
      cBus.on('pipe.close', (data) => closes.push(data));
      for (let i = 0; i < answers.length; i++) {
        const error = await b.pipes.pipe({ ownerNodeId: 'node-c', roomId: 'r', producerId: `p-${i}`, router }).catch((e: unknown) => e);
        expect([i, error]).toMatchObject([i, { name: 'SignalingError', code: 'invalid_request' }]);
      }
      await soon(() => closes.length === answers.length, 'pipe.close sent to C for each refused answer');
      expect(b.pipes.pipes()).toEqual([]);
      expect((await router.dump()).transportIds).toEqual([]);
    } finally {
      close();
      await c.close();
    }
  });

  it("a node that leaves the registry (killed) has its pipes closed on the other node at the next heartbeat", async () => {
    const { producer } = await ownerProducer(a, 'r', backend.real);
    const { router, close } = await receivingRouter(b, 'r');
    try {
      const piped = await b.pipes.pipe({ ownerNodeId: 'node-a', roomId: 'r', producerId: producer.id, router });
      // Let B see A live once (the sweep records A's start time), then A stops heartbeating and its entry goes.
      await new Promise((r) => setTimeout(r, 500));
      const started = Date.now();
      await a.registry.onModuleDestroy();
      // Within a few heartbeats (200 ms) and the entry's TTL (600 ms); loose, for a busy machine.
      await soon(() => piped.closed && b.pipes.pipes().length === 0, "B's end closed", 10_000);
      expect(Date.now() - started).toBeLessThan(10_000);
      // And B leaving: A's owner end closes the same way.
      const other = await receivingRouter(b, 'r2');
      await a.registry.onApplicationBootstrap();
      await b.pipes.pipe({ ownerNodeId: 'node-a', roomId: 'r', producerId: producer.id, router: other.router });
      await new Promise((r) => setTimeout(r, 500));
      await b.registry.onModuleDestroy();
      await soon(() => a.pipes.pipes().length === 0, "A's end closed", 10_000);
      expect(producer.closed).toBe(false);
      other.close();
    } finally {
      close();
    }
  });

  it('checkedPipeOpenResult accepts what a real owner answers and refuses SRTP when the nodes disagree', async () => {
    const { producer } = await ownerProducer(a, 'r', backend.real);
    const { router, close } = await receivingRouter(b, 'r');
    try {
      const transport = await router.createPipeTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' } });
      const answer = await b.bus.request('node-a', 'pipe.open', { pipeId: 'spec-pipe', roomId: 'r', producerId: producer.id, ip: '127.0.0.1', port: transport.tuple.localPort });
      expect(checkedPipeOpenResult(answer, false, router.rtpCapabilities)).toMatchObject({ kind: 'audio', paused: false });
      expect(() => checkedPipeOpenResult(answer, true, router.rtpCapabilities)).toThrow(/srtpParameters: required/);
      await b.bus.send('node-a', 'pipe.close', { pipeId: 'spec-pipe' });
      await soon(() => a.pipes.pipes().length === 0, "A's end closed by pipe.close");
      transport.close();
    } finally {
      close();
    }
  });
});

describeRedis.each(backends.map((b) => [b.name, b] as const))('RemotePipeService with CLUSTER_PIPE_SRTP, against the %s', (_name, backend) => {
  let redis: RedisServer;
  let a: TestNode;
  let b: TestNode;

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.stop();
  });

  it('pipes with SRTP on both nodes (RTP flows, encrypted on the wire); a node without SRTP is refused invalid_request', async () => {
    a = await startNode(backend, redis.url, 'node-a', { CLUSTER_PIPE_SRTP: 'true' });
    b = await startNode(backend, redis.url, 'node-b', { CLUSTER_PIPE_SRTP: 'true' });
    expect(loadConfig({ ...SERVICE_TEST_ENV }).cluster.pipeSrtp).toBe(false);
    const { producer, rtpPort } = await ownerProducer(a, 'r', backend.real);
    const { router, close } = await receivingRouter(b, 'r');
    try {
      const piped = await b.pipes.pipe({ ownerNodeId: 'node-a', roomId: 'r', producerId: producer.id, router });
      const transport = (await router.dump()).transportIds.length;
      expect(transport).toBe(1);
      const viewer = await localConsumer(router, piped.id, backend.real);
      if (backend.real && rtpPort) {
        await viewer.consumer.resume();
        await sendRtp(rtpPort, 22222222, producer.rtpParameters.codecs[0].payloadType, 100);
        await soon(() => viewer.packets() >= 50, 'RTP through the SRTP pipe', 5000);
      }
      viewer.close();

      const c = await startNode(backend, redis.url, 'node-c');
      const cRouter = await receivingRouter(c, 'r');
      try {
        const error = await c.pipes.pipe({ ownerNodeId: 'node-a', roomId: 'r', producerId: producer.id, router: cRouter.router }).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'remote', remote: { code: 'invalid_request' } });
        expect((await cRouter.router.dump()).transportIds).toEqual([]);
      } finally {
        cRouter.close();
        await c.close();
      }
    } finally {
      close();
    }
  });
});
