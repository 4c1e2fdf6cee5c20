/**
 * Benchmark 1: signaling overhead. N authenticated peers in rooms of ROOM_SIZE run a
 * steady request mix (the join flow, produce, chat, stats, leave) at one request per
 * second each, against the API in a child process: once with the test double
 * (our code's own overhead) and once with the real worker when one exists.
 *
 *   npm run nx -- run tools:bench-signaling [-- --quick] [--peers 10,100] [--backend fake|real|both] [--duration 12] [--burst] [--pipe-threshold 20] [--cpu-prof dist/bench/cpu-prof] [--history off] [--scrape 15]
 *
 * `--cpu-prof DIR` runs the API child with `node --cpu-prof` and writes one `.cpuprofile` per
 * server start into DIR (open it in Chrome DevTools' Performance panel or speedscope).
 * `--history off` is a diagnostic: the meeting history / audit sink drops every event, to tell
 * the cost of its database writes from the rest (recorded results always run with it).
 * `--scrape S` fetches the API's `/metrics` every S seconds while measuring, as a Prometheus
 * would, and reports how long each scrape took: what monitoring costs the signaling tail.
 */
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SignJWT } from 'jose';
// eslint-disable-next-line @nx/enforce-module-boundaries -- tools (scope:tools) speaks the shared protocol; the root lint config has no scope:tools constraint
import type { RtpCapabilities } from '@confer/signaling-contracts';
// eslint-disable-next-line @nx/enforce-module-boundaries -- reuse the protocol tests' browser-like RTP parameters
import { sendRtpParameters } from '../../apps/api/test/support/rtp';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the one function that decides which worker runs
import { resolveWorkerBin } from '../../apps/api/src/workers/worker-bin';
import { lineChartSvg, machineInfo, percentile, printTable, writeResults, type Row } from './lib/report';
import { intList, parseArgs, sleep } from './support/args';
import { BenchPeer, type Sample } from './support/bench-peer';
import { childPids, cpuPercent, sampleProc, type ProcSample } from './support/proc';
import { startServer, type LoopStats } from './support/server-process';

const SECRET = 'bench-secret-0123456789abcdef';
const DTLS = {
  role: 'client' as const,
  fingerprints: [{ algorithm: 'sha-256', value: 'E5:F5:CA:A7:2D:93:E6:16:AC:21:09:9F:23:51:62:8C:D0:66:E9:0C:22:54:2B:82:0C:DF:E0:C5:2C:7E:CD:53' }],
};

const args = parseArgs(process.argv.slice(2));
const quick = args.has('quick');
const sweep = intList(args.get('peers'), quick ? [10, 100] : [10, 100, 500, 1000]);
const durationS = Number(args.get('duration') ?? (quick ? 6 : 12));
const intervalMs = Number(args.get('interval') ?? 1000);
const roomSize = Number(args.get('room-size') ?? 10);
const burst = args.has('burst');
/** ROOM_PIPE_CONSUMER_THRESHOLD for the server (0 = one router per room, the API's default). */
const pipeThreshold = Number(args.get('pipe-threshold') ?? 0);
/** `--history off`: mute the meeting history / audit sink (diagnostic). */
const historyOff = args.get('history') === 'off';
/** `--scrape S`: a Prometheus scrape of /metrics every S seconds while measuring. */
const scrapeS = args.has('scrape') ? Number(args.get('scrape')) : 0;
/** Directory for the API child's CPU profiles (`--cpu-prof`), or undefined for none. */
const cpuProfDir = args.has('cpu-prof') ? path.resolve(args.get('cpu-prof') === 'true' ? 'dist/bench/cpu-prof' : String(args.get('cpu-prof'))) : undefined;
/** Requests in one cycle() (and as many paces): the stagger spreads peers over one cycle. */
const CYCLE_REQUESTS = 14;
const worker = resolveWorkerBin();
const wanted = args.get('backend') ?? 'both';
const backends = (['fake', 'real'] as const).filter((b) => (wanted === 'both' || wanted === b) && (b === 'fake' || worker.path));

interface RunResult {
  backend: 'fake' | 'real';
  peers: number;
  rooms: number;
  requests: number;
  errors: number;
  requestsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  /** Client-side round trips per method; `serverOver10ms`: share (%) the server itself took over 10 ms to answer (its /metrics histogram). */
  perMethod: Record<string, { n: number; p50: number; p95: number; p99: number; serverOver10ms?: number }>;
  serverRssMiB: number;
  serverCpuPct: number;
  /** The server's event-loop delay and GC pauses while measured: where a tail comes from. */
  serverLoop: LoopStats;
  /** `--scrape`: each /metrics scrape's duration (ms) during the measured window. */
  scrapeMs?: number[];
  /** The load generator's own event-loop delay (its timestamps wait for it too). */
  clientLoopDelay: { p99Ms: number; maxMs: number };
  workerRssMiB: number;
  workerCpuPct: number;
  idleKiBPerPeer: number;
  connectSeconds: number;
  /** CPU of this load-generator process (% of one core): near 100 means the client, not the server, set the pace. */
  clientCpuPct: number;
  /** 1-minute load average after the steady phase (other work on the box skews results). */
  load1: number;
}

function token(sub: string): Promise<string> {
  return new SignJWT({ sub, name: sub, rooms: ['*'], grants: { canPublish: true, canSubscribe: true, canPublishData: true, roomAdmin: false } })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
}

function sumSamples(pids: number[]): ProcSample {
  const s = { cpuSeconds: 0, rssBytes: 0 };
  for (const pid of pids) {
    try {
      const p = sampleProc(pid);
      s.cpuSeconds += p.cpuSeconds;
      s.rssBytes += p.rssBytes;
    } catch {
      // A worker that ended.
    }
  }
  return s;
}

/** One peer's request cycle: the mediasoup-client join flow, then chat and stats, then leave. */
async function cycle(peer: BenchPeer, roomId: string, pace: () => Promise<boolean>): Promise<void> {
  const { rtpCapabilities } = await peer.request('getRouterRtpCapabilities', { roomId });
  if (!(await pace())) return;
  const send = await peer.request('createWebRtcTransport', { direction: 'send' });
  if (!(await pace())) return;
  await peer.request('connectWebRtcTransport', { transportId: send.transportId, dtlsParameters: DTLS });
  if (!(await pace())) return;
  const recv = await peer.request('createWebRtcTransport', { direction: 'recv' });
  if (!(await pace())) return;
  await peer.request('connectWebRtcTransport', { transportId: recv.transportId, dtlsParameters: DTLS });
  if (!(await pace())) return;
  await peer.request('join', { roomId, displayName: 'bench', device: { flag: 'bench', name: 'bench' }, rtpCapabilities });
  if (!(await pace())) return;
  const { producerId } = await peer.request('produce', {
    transportId: send.transportId,
    kind: 'audio',
    rtpParameters: sendRtpParameters('audio', rtpCapabilities as RtpCapabilities),
    appData: { source: 'mic' },
  });
  for (let i = 0; i < 3; i++) {
    if (!(await pace())) return;
    await peer.request('chatMessage', { text: `hello ${i}` });
    if (!(await pace())) return;
    await (i % 2 ? peer.request('getProducerStats', { producerId }) : peer.request('getTransportStats', { transportId: send.transportId }));
  }
  if (!(await pace())) return;
  await peer.request('leave', {});
  await pace();
}

async function run(backend: 'fake' | 'real', n: number): Promise<RunResult> {
  const rooms = Math.ceil(n / roomSize);
  const server = await startServer(backend, {
    JWT_SECRET: SECRET,
    MEDIASOUP_NUM_WORKERS: '2',
    REQUESTS_PER_SECOND: '100000',
    MAX_PEERS_PER_ROOM: String(Math.max(50, roomSize * 2)),
    MAX_TRANSPORTS_PER_PEER: '16',
    AUTH_TIMEOUT_MS: '60000',
    REQUEST_TIMEOUT_MS: '15000',
    ROOM_PIPE_CONSUMER_THRESHOLD: String(pipeThreshold),
    ...(historyOff ? { BENCH_HISTORY: 'off' } : {}),
    // The profile is written when the child exits normally (server.stop() ends its stdin).
    ...(cpuProfDir ? { NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --cpu-prof --cpu-prof-dir=${cpuProfDir}`.trim() } : {}),
  });
  try {
    await sleep(1000);
    const workers = childPids(server.pid);
    await server.gc();
    const base = sampleProc(server.pid);
    const samples: Sample[] = [];
    let recording = false;
    const record = (s: Sample): void => {
      if (recording) samples.push(s);
    };
    const t0 = performance.now();
    const peers: BenchPeer[] = [];
    const url = `ws://127.0.0.1:${server.port}/ws`;
    for (let i = 0; i < n; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, async (_, k) => BenchPeer.connect(url, await token(`p${i + k}`), record)));
      peers.push(...batch);
    }
    const connectSeconds = (performance.now() - t0) / 1000;
    await sleep(500);
    await server.gc();
    const idle = sampleProc(server.pid);

    // Steady phase: every peer paces itself to one request per interval, with a random phase.
    // Steady phase: each peer paces itself to one request per interval and starts at a
    // random point of one cycle's length, so the rooms are desynchronised (with --burst,
    // all start within one interval: a meeting-start herd). Recording starts once all run.
    const staggerMs = burst ? intervalMs : CYCLE_REQUESTS * intervalMs;
    const deadline = Date.now() + staggerMs + durationS * 1000;
    const pace = async (): Promise<boolean> => {
      await sleep(intervalMs);
      return Date.now() < deadline;
    };
    let s0 = sampleProc(server.pid);
    let w0 = sumSamples(workers);
    let c0 = process.cpuUsage();
    let w = performance.now();
    const clientLoop = monitorEventLoopDelay({ resolution: 1 });
    const scrapeMs: number[] = [];
    let scraper: NodeJS.Timeout | undefined;
    const begin = setTimeout(() => {
      recording = true;
      if (scrapeS > 0) {
        scraper = setInterval(() => {
          const t = performance.now();
          void fetch(`http://127.0.0.1:${server.port}/metrics`)
            .then((r) => r.text())
            .then(() => scrapeMs.push(performance.now() - t), () => undefined);
        }, scrapeS * 1000);
      }
      server.markLoop();
      clientLoop.enable();
      s0 = sampleProc(server.pid);
      w0 = sumSamples(workers);
      c0 = process.cpuUsage();
      w = performance.now();
    }, staggerMs);
    await Promise.all(
      peers.map(async (peer, i) => {
        await sleep(Math.random() * staggerMs);
        while (Date.now() < deadline) {
          try {
            await cycle(peer, `bench-${i % rooms}`, pace);
          } catch {
            // Counted as an error sample; leave and start the cycle again.
            await peer.request('leave', {}).catch(() => undefined);
            await sleep(intervalMs);
          }
        }
      }),
    );
    clearTimeout(begin);
    clearInterval(scraper);
    recording = false;
    clientLoop.disable();
    const serverLoop = await server.readLoop();
    const wall = (performance.now() - w) / 1000;
    const c1 = process.cpuUsage(c0);
    const s1 = sampleProc(server.pid);
    const w1 = sumSamples(workers);
    for (const p of peers) p.close();

    const ok = samples.filter((s) => s.ok).map((s) => s.ms);
    const perMethod: RunResult['perMethod'] = {};
    for (const method of new Set(samples.map((s) => s.method))) {
      const ms = samples.filter((s) => s.ok && s.method === method).map((s) => s.ms);
      const count = (le: string): number => serverLoop.requestBuckets[`${method}|${le}`] ?? 0;
      const answered = count('+Inf');
      const serverOver10ms = answered > 0 ? ((answered - count('0.01')) / answered) * 100 : undefined;
      perMethod[method] = { n: ms.length, p50: percentile(ms, 50), p95: percentile(ms, 95), p99: percentile(ms, 99), serverOver10ms };
    }
    return {
      backend,
      peers: n,
      rooms,
      requests: samples.length,
      errors: samples.filter((s) => !s.ok).length,
      requestsPerSecond: samples.length / wall,
      p50: percentile(ok, 50),
      p95: percentile(ok, 95),
      p99: percentile(ok, 99),
      perMethod,
      serverRssMiB: s1.rssBytes / 2 ** 20,
      serverCpuPct: cpuPercent(s0, s1, wall),
      workerRssMiB: w1.rssBytes / 2 ** 20,
      workerCpuPct: cpuPercent(w0, w1, wall),
      idleKiBPerPeer: (idle.rssBytes - base.rssBytes) / 1024 / n,
      connectSeconds,
      clientCpuPct: ((c1.user + c1.system) / 1e6 / wall) * 100,
      load1: os.loadavg()[0],
      serverLoop,
      ...(scrapeS > 0 ? { scrapeMs } : {}),
      clientLoopDelay: { p99Ms: clientLoop.percentile(99) / 1e6, maxMs: clientLoop.max / 1e6 },
    };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const machine = machineInfo(worker.path);
  console.log(`signaling overhead | backends=${backends.join(',')} peers=${sweep.join(',')} duration=${durationS}s interval=${intervalMs}ms roomSize=${roomSize}${burst ? ' burst' : ''} pipeThreshold=${pipeThreshold}${historyOff ? ' history=off (diagnostic)' : ''}${scrapeS > 0 ? ` scrape=${scrapeS}s` : ''}`);
  console.log(`machine: ${JSON.stringify(machine)}`);
  if (!worker.path) console.log(`real worker: skipped — ${worker.detail}`);
  const results: RunResult[] = [];
  for (const backend of backends) {
    for (const n of sweep) {
      const r = await run(backend, n);
      results.push(r);
      console.log(`  ${backend} N=${n}: ${r.requests} requests, p95 ${r.p95.toFixed(1)} ms, server CPU ${r.serverCpuPct.toFixed(0)}%`);
      const l = r.serverLoop;
      console.log(
        `    server loop delay p99 ${l.delayP99Ms.toFixed(1)} / max ${l.delayMaxMs.toFixed(1)} ms; GC ${l.gcCount} pauses, ${l.gcTotalMs.toFixed(0)} ms, p99 ${l.gcP99Ms.toFixed(1)} / max ${l.gcMaxMs.toFixed(1)} ms; heap ${l.heapUsedMiB.toFixed(0)} MiB;${r.scrapeMs ? ` /metrics scrapes ${r.scrapeMs.map((m) => m.toFixed(0)).join(', ')} ms;` : ''} client loop delay p99 ${r.clientLoopDelay.p99Ms.toFixed(1)} / max ${r.clientLoopDelay.maxMs.toFixed(1)} ms`,
      );
    }
  }
  const rows: Row[] = results.map((r) => ({
    backend: r.backend === 'fake' ? 'double' : 'real',
    peers: r.peers,
    rooms: r.rooms,
    'req/s': r.requestsPerSecond,
    errors: r.errors,
    'p50 ms': r.p50,
    'p95 ms': r.p95,
    'p99 ms': r.p99,
    'server RSS MiB': r.serverRssMiB,
    'server CPU %': r.serverCpuPct,
    'worker CPU %': r.workerCpuPct,
    'worker RSS MiB': r.workerRssMiB,
    'KiB/idle peer': r.idleKiBPerPeer,
    'client CPU %': r.clientCpuPct,
    load: r.load1,
  }));
  printTable(`Signaling round trip (${durationS} s ${burst ? 'synchronised (burst)' : 'steady'} mix, 1 request/${intervalMs} ms per peer, rooms of ${roomSize}; CPU % of one core)`, rows);
  const series = backends.flatMap((b) =>
    (['p50', 'p95', 'p99'] as const).map((p) => ({
      name: `${b === 'fake' ? 'double' : 'real'} ${p}`,
      points: results.filter((r) => r.backend === b).map((r) => ({ x: r.peers, y: r[p] })),
    })),
  );
  const svg = lineChartSvg('Signaling request round trip vs connected peers', 'peers', 'round trip (ms)', series);
  writeResults('signaling-overhead', { benchmark: 'signaling-overhead', machine, settings: { sweep, durationS, intervalMs, roomSize, burst, pipeThreshold, historyOff, scrapeS, cpuProfile: Boolean(cpuProfDir) }, results }, svg);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
