/**
 * Benchmark 8: scale-out (issue 14). A 1 → N broadcast (the ffmpeg VP8 + Opus feed of
 * bench-forwarding) whose subscribers are spread over two API nodes — the producer's node
 * A (this process) and node B (a child process, the same API module graph with its own
 * NODE_ID and mediasoup worker), B getting the producers through the cross-node pipe
 * (RemotePipeService: PipeTransports signaled over the node bus, a real redis-server) —
 * against the same broadcast kept on node A alone. The two set-ups are interleaved step
 * by step (the idle one's producers paused). Also: the CPU cost per packet of the pipe
 * hop (worker A's pipe consumer + worker B's pipe producer), and the round trip of a
 * node bus request against an in-process call and a bare Redis PING. Needs a real
 * worker, ffmpeg, python3 and redis-server.
 *
 *   npm run nx -- run tools:bench-cluster [-- --quick] [--subscribers 200,400] [--window 5] [--pings 500] [--redirects 200] [--signaling-only] [--srtp] [--max-input-loss 0.01]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { Logger, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import Redis from 'ioredis';
import { SignJWT } from 'jose';
import type { Producer, Router, Worker } from 'mediasoup/types';
/* eslint-disable @nx/enforce-module-boundaries -- the API's own module graph, cluster services and test helpers */
import { isRedirectDetails } from '@confer/signaling-contracts';
import { ClusterModule } from '../../apps/api/src/cluster/cluster.module';
import { CLUSTER_PIPE_PROVIDERS } from '../../apps/api/src/cluster/cluster-pipes.providers';
import { NodeBusService } from '../../apps/api/src/cluster/node-bus.service';
import { RemotePipeService } from '../../apps/api/src/cluster/remote-pipe.service';
import { ConferModule } from '../../apps/api/src/confer.module';
import { DatabaseModule } from '../../apps/api/src/database/database.module';
import { RoomRoutersService } from '../../apps/api/src/rooms/room-routers.service';
import { RoomsModule } from '../../apps/api/src/rooms/rooms.module';
import { RoomsService } from '../../apps/api/src/rooms/rooms.service';
import { SERVICE_TEST_ENV } from '../../apps/api/src/testing/api-testing-module';
import { startRedis, redisServerBin } from '../../apps/api/src/testing/redis-server';
import { testPeer } from '../../apps/api/src/testing/test-peers';
import { MEDIASOUP_API, realMediasoup } from '../../apps/api/src/workers/mediasoup-api';
import { resolveWorkerBin } from '../../apps/api/src/workers/worker-bin';
import { WorkerPoolService } from '../../apps/api/src/workers/worker-pool.service';
import { spawnApi, type ApiProcess } from '../../apps/api/test/support/api-process';
import { TestClient } from '../../apps/api/test/support/test-client';
/* eslint-enable @nx/enforce-module-boundaries */
import { lineChartSvg, machineInfo, percentile, printTable, writeResults, type Row } from './lib/report';
import { intList, parseArgs, sleep } from './support/args';
import { addSubscriber, countedOf, ensureMediaFile, forwardingLossPct, producerInput, RtpSink, startFeed, workerCpuSeconds, type Feed, type Subscriber } from './support/plain-rtp';

declare module '../../apps/api/src/cluster/node-bus.types' {
  interface NodeBusRequests {
    /** Bench driver (A) → node B: pipe these producers of `roomId` in from A onto a router of B. */
    'bench.prepare': { params: { roomId: string; producerIds: string[] }; result: { ok: true } };
    /** Add subscribers of the piped producers, one per sink port. */
    'bench.grow': { params: { roomId: string; ports: number[] }; result: { subscribers: number } };
    /** B's worker CPU seconds and the packets its piped producers received. */
    'bench.sample': { params: { roomId: string }; result: { cpuSeconds: number; pipedPackets: number } };
    /** Close the piped producers (both ends of the pipes) / pipe them again. */
    'bench.unpipe': { params: { roomId: string }; result: { ok: true } };
    'bench.echo': { params: Record<string, never>; result: { ok: true } };
  }
}

const SECRET = 'cluster-broadcast-bench-secret-0123456789';
const args = parseArgs(process.argv.slice(2));
const quick = args.has('quick');
const sweep = intList(args.get('subscribers'), quick ? [100, 200] : [100, 200, 300, 400, 600, 800]);
const sampleEvery = Number(args.get('sample-every') ?? 4);
const windowS = Number(args.get('window') ?? (quick ? 3 : 5));
const pings = Number(args.get('pings') ?? (quick ? 200 : 1000));
const srtp = args.has('srtp');
/** Sessions per path in the redirect phase (0: skip it). */
const redirects = Number(args.get('redirects') ?? (quick ? 30 : 200));
const maxLoss = 0.01;
/** Input loss (ffmpeg → worker A: a starved feeder on a busy box) that stops a lane; forwarding loss is counted net of it. */
const maxInputLoss = Number(args.get('max-input-loss') ?? 0.01);
const maxCpu = 90;
const resolution = resolveWorkerBin();
Logger.overrideLogger(false);

/** One API node: the whole module graph with the cluster's services, on the real worker, no HTTP server. */
interface Node {
  moduleRef: TestingModule;
  get<T>(type: new (...a: never[]) => T): T;
  worker(): Worker;
  close(): Promise<void>;
}

async function bootNode(redisUrl: string, nodeId: string): Promise<Node> {
  const wired = ((Reflect.getMetadata('providers', ClusterModule) ?? []) as unknown[]).includes(RemotePipeService);
  @Module({ imports: [ClusterModule, RoomsModule], providers: wired ? [] : CLUSTER_PIPE_PROVIDERS, exports: wired ? [] : CLUSTER_PIPE_PROVIDERS })
  class BenchClusterModule {}
  const env = { ...SERVICE_TEST_ENV, LOG_LEVEL: 'silent', REDIS_URL: redisUrl, CLUSTER_SECRET: SECRET, NODE_ID: nodeId, CLUSTER_PIPE_SRTP: String(srtp), REQUEST_TIMEOUT_MS: '30000' };
  const moduleRef = await Test.createTestingModule({ imports: [ConferModule.forRoot({ env }), DatabaseModule, BenchClusterModule] })
    .overrideProvider(MEDIASOUP_API)
    .useValue(realMediasoup)
    .compile();
  moduleRef.useLogger(false);
  // Runs onModuleInit and onApplicationBootstrap: the registry registers, the bus subscribes.
  await moduleRef.init();
  const get = <T>(type: new (...a: never[]) => T): T => moduleRef.get(type, { strict: false });
  return {
    moduleRef,
    get,
    worker: () => get(WorkerPoolService).workerEntries[0].worker,
    close: () => moduleRef.close(),
  };
}

// ---- node B (child process) ----

async function runNodeB(redisUrl: string): Promise<void> {
  const node = await bootNode(redisUrl, 'bench-b');
  const bus = node.get(NodeBusService);
  const pipes = node.get(RemotePipeService);
  const rooms = new Map<string, { router: Router; producerIds: string[]; producers: Producer[]; subs: Subscriber[] }>();
  const pipeAll = async (roomId: string): Promise<void> => {
    const room = rooms.get(roomId);
    if (!room) throw new Error(`no room ${roomId}`);
    room.producers = await Promise.all(room.producerIds.map((producerId) => pipes.pipe({ ownerNodeId: 'bench-a', roomId, producerId, router: room.router })));
  };
  bus.handle('bench.prepare', async (p) => {
    const { roomId, producerIds } = p as { roomId: string; producerIds: string[] };
    const media = await node.get(RoomRoutersService).createRoomMedia(roomId);
    rooms.set(roomId, { router: media.router, producerIds, producers: [], subs: [] });
    await pipeAll(roomId);
    return { ok: true };
  });
  bus.handle('bench.grow', async (p) => {
    const { roomId, ports } = p as { roomId: string; ports: number[] };
    const room = rooms.get(roomId);
    if (!room) throw new Error(`no room ${roomId}`);
    const made = await Promise.all(ports.map((port) => addSubscriber(room.router, room.producers, port, false)));
    room.subs.push(...made);
    return { subscribers: room.subs.length };
  });
  bus.handle('bench.sample', async (p) => {
    const room = rooms.get((p as { roomId: string }).roomId);
    const pipedPackets = room ? (await producerInput(room.producers.filter((x) => !x.closed))).packets : 0;
    return { cpuSeconds: await workerCpuSeconds(node.worker()), pipedPackets };
  });
  bus.handle('bench.unpipe', async (p) => {
    const roomId = (p as { roomId: string }).roomId;
    const room = rooms.get(roomId);
    if (room?.producers.some((x) => !x.closed)) for (const x of room.producers) x.close();
    else if (room) await pipeAll(roomId);
    return { ok: true };
  });
  bus.handle('bench.echo', () => ({ ok: true }));
  process.stdout.write('node-b ready\n');
  // The driver closes stdin when it is done (or dies): stop then.
  process.stdin.resume();
  process.stdin.on('end', () => void node.close().finally(() => process.exit(0)));
  setTimeout(() => process.exit(0), 30 * 60_000).unref();
}

function spawnNodeB(redisUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...process.execArgv, __filename, '--role', 'node-b', '--redis', redisUrl, ...(srtp ? ['--srtp'] : [])], {
    env: process.env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`node B did not start in 120 s: ${out}`)), 120_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('node-b ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`node B exited (${code}): ${out}`)));
  });
}

// ---- node A (this process): the feed, its subscribers, the sweep ----

interface Step {
  mode: 'one node' | 'two nodes';
  subscribers: number;
  subsA: number;
  subsB: number;
  cpuA: number;
  cpuB: number;
  packetsOutPerSecond: number;
  lossPct: number;
  inputLost: number;
  forwardingLossPct: number;
  stopReason: string;
  saturated: boolean;
  load1: number;
}

interface Lane {
  mode: Step['mode'];
  roomId: string;
  router: Router;
  feed: Feed;
  sink: RtpSink;
  subsA: Subscriber[];
  subsB: number;
  steps: Step[];
  done: boolean;
}

async function lane(a: Node, bus: NodeBusService, mode: Step['mode']): Promise<Lane> {
  const roomId = mode === 'one node' ? 'bench-one' : 'bench-two';
  const { peer } = testPeer(`feeder-${roomId}`);
  const room = await a.get(RoomsService).enter(peer, roomId);
  if (!room.media) throw new Error('no media on node A');
  const feed = await startFeed(room.media.router);
  // The owner answers pipe.open for producers of a peer in the room.
  for (const p of [feed.video, feed.audio]) peer.producers.set(p.id, p);
  if (mode === 'two nodes') await bus.request('bench-b', 'bench.prepare', { roomId, producerIds: [feed.video.id, feed.audio.id] }, { timeoutMs: 60_000 });
  return { mode, roomId, router: room.media.router, feed, sink: await RtpSink.open(16, sampleEvery), subsA: [], subsB: 0, steps: [], done: false };
}

async function grow(l: Lane, bus: NodeBusService, n: number): Promise<void> {
  // Two nodes: every other subscriber on B (even spread).
  while (l.subsA.length + l.subsB < n) {
    const base = l.subsA.length + l.subsB;
    const batch = Array.from({ length: Math.min(20, n - base) }, (_, k) => base + k);
    const onB = l.mode === 'two nodes' ? batch.filter((i) => i % 2 === 1) : [];
    const onA = batch.filter((i) => !onB.includes(i));
    const [made, grown] = await Promise.all([
      Promise.all(onA.map((i) => addSubscriber(l.router, [l.feed.video, l.feed.audio], l.sink.port(i), false))),
      onB.length ? bus.request('bench-b', 'bench.grow', { roomId: l.roomId, ports: onB.map((i) => l.sink.port(i)) }, { timeoutMs: 120_000 }) : Promise.resolve({ subscribers: l.subsB }),
    ]);
    l.subsA.push(...made);
    l.subsB = grown.subscribers;
  }
}

async function measure(l: Lane, a: Node, bus: NodeBusService, n: number): Promise<Step> {
  await sleep(2500); // a key frame (every 2 s in the clip) reaches every consumer after resume
  l.sink.reset();
  const in0 = await producerInput([l.feed.video, l.feed.audio]);
  const [a0, b0] = await Promise.all([workerCpuSeconds(a.worker()), bus.request('bench-b', 'bench.sample', { roomId: l.roomId })]);
  const t0 = performance.now();
  await sleep(windowS * 1000);
  const wall = (performance.now() - t0) / 1000;
  const [a1, b1] = await Promise.all([workerCpuSeconds(a.worker()), bus.request('bench-b', 'bench.sample', { roomId: l.roomId })]);
  const tot = l.sink.totals();
  const sampled = countedOf(l.sink, n);
  const lossPct = tot.expected > 0 ? Math.max(0, 1 - tot.received / tot.expected) * 100 : 100;
  const in1 = await producerInput([l.feed.video, l.feed.audio]);
  const input = { packets: in1.packets - in0.packets, lost: in1.lost - in0.lost };
  const fwdLossPct = forwardingLossPct(lossPct, input);
  const cpuA = ((a1 - a0) / wall) * 100;
  const cpuB = ((b1.cpuSeconds - b0.cpuSeconds) / wall) * 100;
  const stopReason =
    cpuA > maxCpu || cpuB > maxCpu
      ? 'worker CPU'
      : fwdLossPct > maxLoss * 100
        ? 'forwarding loss'
        : input.lost > maxInputLoss * (input.packets + input.lost)
          ? 'input loss'
          : tot.streams < sampled * 2
            ? 'missing streams'
            : '';
  const step: Step = {
    mode: l.mode,
    subscribers: n,
    subsA: l.subsA.length,
    subsB: l.subsB,
    cpuA,
    cpuB,
    packetsOutPerSecond: (tot.received / wall) * (n / sampled),
    lossPct,
    inputLost: input.lost,
    forwardingLossPct: fwdLossPct,
    stopReason,
    saturated: stopReason !== '',
    load1: os.loadavg()[0],
  };
  console.log(`  ${l.mode} N=${n} (A ${step.subsA}, B ${step.subsB}): worker A ${cpuA.toFixed(0)}%, worker B ${cpuB.toFixed(0)}%; ${step.packetsOutPerSecond.toFixed(0)} pkt/s, loss ${lossPct.toFixed(2)}% (input lost ${input.lost}, forwarding ${fwdLossPct.toFixed(2)}%), load ${step.load1.toFixed(1)} ${stopReason}`);
  return step;
}

/**
 * The pipe hop alone: two nodes, no subscriber; windows with the pipes open and
 * closed alternate `rounds` times. (CPU of both workers with − without) / packets piped.
 */
async function pipeCost(l: Lane, a: Node, bus: NodeBusService, rounds = 3): Promise<{ usPerPacket: number; pipedPacketsPerSecond: number; samples: number[] }> {
  const samples: number[] = [];
  let rate = 0;
  const window = async (): Promise<{ cpu: number; packets: number; wall: number }> => {
    await sleep(1500);
    const [a0, b0] = await Promise.all([workerCpuSeconds(a.worker()), bus.request('bench-b', 'bench.sample', { roomId: l.roomId })]);
    const t0 = performance.now();
    await sleep(windowS * 1000);
    const wall = (performance.now() - t0) / 1000;
    const [a1, b1] = await Promise.all([workerCpuSeconds(a.worker()), bus.request('bench-b', 'bench.sample', { roomId: l.roomId })]);
    return { cpu: a1 - a0 + (b1.cpuSeconds - b0.cpuSeconds), packets: b1.pipedPackets - b0.pipedPackets, wall };
  };
  for (let r = 0; r < rounds; r++) {
    const open = await window();
    await bus.request('bench-b', 'bench.unpipe', { roomId: l.roomId }, { timeoutMs: 60_000 }); // close
    const closed = await window();
    await bus.request('bench-b', 'bench.unpipe', { roomId: l.roomId }, { timeoutMs: 60_000 }); // pipe again
    const perPacketUs = ((open.cpu / open.wall - closed.cpu / closed.wall) * open.wall * 1e6) / Math.max(1, open.packets);
    samples.push(perPacketUs);
    rate = open.packets / open.wall;
    console.log(`  pipe hop round ${r + 1}: ${(open.packets / open.wall).toFixed(0)} pkt/s piped, CPU ${((open.cpu / open.wall) * 100).toFixed(1)}% open vs ${((closed.cpu / closed.wall) * 100).toFixed(1)}% closed → ${perPacketUs.toFixed(1)} µs/packet`);
  }
  return { usPerPacket: percentile(samples, 50), pipedPacketsPerSecond: rate, samples };
}

/** Round trips: an in-process call, a bare Redis PING, a node bus request A → B → A (HMAC both ways). */
async function latency(bus: NodeBusService, redisUrl: string): Promise<Row[]> {
  const timeIt = async (name: string, fn: () => Promise<unknown>): Promise<Row> => {
    for (let i = 0; i < 20; i++) await fn();
    const ms: number[] = [];
    for (let i = 0; i < pings; i++) {
      const t0 = performance.now();
      await fn();
      ms.push(performance.now() - t0);
    }
    return { path: name, n: pings, 'p50 ms': percentile(ms, 50), 'p95 ms': percentile(ms, 95), 'p99 ms': percentile(ms, 99) };
  };
  const handler = async (): Promise<{ ok: true }> => ({ ok: true });
  const raw = new Redis(redisUrl);
  try {
    return [
      await timeIt('direct (in-process call, as a request served on its own node)', handler),
      await timeIt('Redis PING (floor of any Redis-carried hop)', () => raw.ping()),
      await timeIt('node bus request A → B → A (pub/sub, HMAC-SHA256 both ways)', () => bus.request('bench-b', 'bench.echo', {})),
    ];
  } finally {
    raw.disconnect();
  }
}

/**
 * A client's first request served directly vs after a redirect, through two API
 * processes (apps/api/test/support/cluster-node.ts, the test double: signaling
 * only) on the same redis-server. A room is placed on one of them by a first
 * client; then, per sample, a new session (unique subject): **direct**: connect
 * to the owner, authenticate, getRouterRtpCapabilities; **redirected**: the same
 * on the other node, answered `redirect`, then connect to the owner,
 * authenticate with the redirect's token and ask again. Also a request on an
 * established session (on the owner, where redirected sessions end up).
 */
async function redirectLatency(redisUrl: string): Promise<Row[]> {
  const jwtSecret = 'bench-cluster-jwt-secret-0123456789';
  const token = (sub: string): Promise<string> =>
    new SignJWT({ name: sub, rooms: ['*'], grants: { canPublish: true, canSubscribe: true, canPublishData: true, roomAdmin: false } })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(jwtSecret));
  const env = (id: string): Record<string, string> => ({
    SWC_NODE_PROJECT: 'apps/api/tsconfig.serve.json',
    CLUSTER_TEST_BACKEND: 'fake',
    JWT_SECRET: jwtSecret,
    REDIS_URL: redisUrl,
    CLUSTER_SECRET: SECRET,
    NODE_ID: id,
    LOG_LEVEL: 'warn',
    RESUME_GRACE_MS: '0',
    MAX_PEERS_PER_ROOM: '100000',
  });
  const apis: ApiProcess[] = [];
  const clients: TestClient[] = [];
  try {
    for (const id of ['lat-a', 'lat-b']) apis.push(await spawnApi(['-r', '@swc-node/register', 'apps/api/test/support/cluster-node.ts'], env(id), { readyTimeoutMs: 180_000 }));
    const ws = apis.map((api) => `ws://127.0.0.1:${api.port}/ws`);
    await sleep(3000); // both registered, start-up CPU settled
    const roomId = 'bench-redirect';
    const holder = await TestClient.authenticated(ws[0], await token('holder'));
    clients.push(holder);
    let owner = ws[0];
    let other = ws[1];
    try {
      await holder.request('getRouterRtpCapabilities', { roomId });
    } catch (error) {
      const details = (error as { details?: unknown }).details;
      if (!isRedirectDetails(details)) throw error;
      [owner, other] = [ws[1], ws[0]];
      const moved = await TestClient.authenticated(owner, details.token);
      clients.push(moved);
      await moved.request('getRouterRtpCapabilities', { roomId });
    }
    const direct: number[] = [];
    const redirected: number[] = [];
    const established: number[] = [];
    for (let i = 0; i < redirects; i++) {
      const [t1, t2] = await Promise.all([token(`d-${i}`), token(`r-${i}`)]);
      let t0 = performance.now();
      const d = await TestClient.authenticated(owner, t1);
      await d.request('getRouterRtpCapabilities', { roomId });
      direct.push(performance.now() - t0);
      const s0 = performance.now();
      await d.request('getRouterRtpCapabilities', { roomId });
      established.push(performance.now() - s0);
      d.socket.close(1000);
      t0 = performance.now();
      const first = await TestClient.authenticated(other, t2);
      const error = await first.requestError('getRouterRtpCapabilities', { roomId });
      first.socket.close(1000);
      if (error.code !== 'redirect' || !isRedirectDetails(error.details)) throw new Error(`expected a redirect, got ${error.code}: ${error.message}`);
      const second = await TestClient.authenticated(error.details.url, error.details.token);
      await second.request('getRouterRtpCapabilities', { roomId });
      redirected.push(performance.now() - t0);
      second.socket.close(1000);
    }
    const row = (path: string, ms: number[]): Row => ({ path, n: ms.length, 'p50 ms': percentile(ms, 50), 'p95 ms': percentile(ms, 95), 'p99 ms': percentile(ms, 99) });
    return [
      row('new session, first request on the owning node (connect + authenticate + request)', direct),
      row('new session through the other node: redirect, reconnect to the owner, authenticate, request', redirected),
      row('a request on an established session (on the owning node, where redirected sessions end up)', established),
    ];
  } finally {
    for (const c of clients) c.socket.close(1000);
    for (const api of apis) if (api.child.exitCode === null) api.child.kill('SIGTERM');
    await Promise.all(apis.map((api) => Promise.race([api.exited, sleep(8000).then(() => api.child.kill('SIGKILL'))])));
  }
}

async function main(): Promise<void> {
  const machine = machineInfo(resolution.path);
  console.log(`cluster broadcast | subscribers=${sweep.join(',')} window=${windowS}s srtp=${srtp}; packets counted on every ${sampleEvery}th subscriber`);
  console.log(`machine: ${JSON.stringify(machine)}`);
  if (!resolution.path) return console.log(`skipped: needs a real mediasoup worker — ${resolution.detail}`);
  if (!redisServerBin()) return console.log('skipped: needs redis-server (tools/ensure-redis.sh)');
  ensureMediaFile();
  const redis = await startRedis();
  let child: ChildProcess | null = null;
  let a: Node | null = null;
  const lanes: Lane[] = [];
  try {
    const redirected = redirects > 0 ? await redirectLatency(redis.url) : [];
    if (redirected.length) printTable('Signaling: served directly vs after a redirect (two API processes, test double)', redirected);
    a = await bootNode(redis.url, 'bench-a');
    child = await spawnNodeB(redis.url);
    const bus = a.get(NodeBusService);
    const lat = await latency(bus, redis.url);
    printTable('Signaling round trip: in-process, Redis, node bus', lat);
    if (args.has('signaling-only')) {
      writeResults('cluster-signaling', { benchmark: 'cluster-signaling', machine, settings: { pings, redirects }, latency: lat, redirect: redirected }, lineChartSvg('signaling', 'x', 'ms', []));
      return;
    }
    lanes.push(await lane(a, bus, 'one node'), await lane(a, bus, 'two nodes'));
    const setActive = async (active: Lane): Promise<void> => {
      for (const l of lanes) await Promise.all([l.feed.video, l.feed.audio].map((p) => (l === active ? p.resume() : p.pause())));
    };
    await setActive(lanes[1]);
    const hop = await pipeCost(lanes[1], a, bus, quick ? 1 : 3);
    for (const [i, n] of sweep.entries()) {
      const order = i % 2 === 0 ? lanes : [...lanes].reverse();
      for (const l of order) {
        if (l.done) continue;
        await setActive(l);
        await grow(l, bus, n);
        const step = await measure(l, a, bus, n);
        l.steps.push(step);
        if (step.saturated) l.done = true;
      }
      if (lanes.every((l) => l.done)) break;
    }
    const [one, two] = [lanes[0].steps, lanes[1].steps];
    printTable('1 → N broadcast: one node vs two nodes joined by the cross-node pipe', [...one, ...two].map((s) => ({
      mode: s.mode,
      subscribers: s.subscribers,
      'A / B subs': `${s.subsA} / ${s.subsB}`,
      'worker CPU % A / B': `${s.cpuA.toFixed(0)} / ${s.cpuB.toFixed(0)}`,
      'pkt/s out (est.)': Math.round(s.packetsOutPerSecond),
      'loss %': s.lossPct,
      'fwd loss %': s.forwardingLossPct,
      load: s.load1,
      stop: s.stopReason,
    })));
    const carried = (steps: Step[]): number => steps.filter((s) => !s.saturated).reduce((m, s) => Math.max(m, s.subscribers), 0);
    const summary = { oneNodeCarried: carried(one), twoNodesCarried: carried(two), pipeHopUsPerPacket: hop.usPerPacket, pipedPacketsPerSecond: hop.pipedPacketsPerSecond, pipeHopSamples: hop.samples, srtp };
    printTable('Summary', [
      { what: 'subscribers carried, one node (< 1 % forwarding loss, worker <= 90 %)', value: summary.oneNodeCarried },
      { what: 'subscribers carried, two nodes', value: summary.twoNodesCarried },
      { what: `pipe hop CPU per packet, µs (both workers; median of ${hop.samples.length})`, value: hop.usPerPacket },
    ]);
    const svg = lineChartSvg('1 → N broadcast over nodes: worker CPU vs subscribers', 'subscribers', 'worker CPU % (of one core)', [
      { name: 'one node: worker A', points: one.map((s) => ({ x: s.subscribers, y: s.cpuA })) },
      { name: 'two nodes: worker A', points: two.map((s) => ({ x: s.subscribers, y: s.cpuA })) },
      { name: 'two nodes: worker B', points: two.map((s) => ({ x: s.subscribers, y: s.cpuB })) },
    ]);
    writeResults('cluster-broadcast', { benchmark: 'cluster-broadcast', machine, settings: { sweep, windowS, sampleEvery, pings, srtp, maxInputLoss }, latency: lat, redirect: redirected, summary, steps: [...one, ...two] }, svg);
  } finally {
    for (const l of lanes) {
      l.feed.stop();
      l.sink.close();
    }
    child?.stdin?.end();
    if (child && child.exitCode === null) await new Promise((r) => setTimeout(r, 2000));
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await a?.close();
    await redis.stop();
  }
}

if (args.get('role') === 'node-b') {
  runNodeB(args.get('redis') ?? '').catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
