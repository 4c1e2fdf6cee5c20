/**
 * Benchmark: does a hostile client slow the others down? The API runs in its
 * own process (test double, and the real worker when there is one); a monitor
 * client in this process measures the round trip of a cheap request
 * (getTransportStats) every 20 ms while, in turn:
 *   reference — nobody else sends anything;
 *   deep      — two other clients (each its own process) send 75 requests/s
 *               each (inside the default limit of 100) whose parameters are
 *               nested 1500 levels deep;
 *   fuzz      — the same two send 75/s each of mutated valid requests
 *               (apps/api/test/support/fuzz.ts).
 * Phases alternate for --rounds rounds, so all see the same machine; the result
 * is each phase's p50/p95/p99 and its ratio to the reference in the same run,
 * plus what the hostile clients saw (unanswered requests, `internal` answers).
 *
 *   npm run nx -- run tools:bench-isolation [-- --quick] [--rounds 3] [--duration 8] [--backend fake|real|both]
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { SignJWT } from 'jose';
/* eslint-disable @nx/enforce-module-boundaries -- the protocol tests' client; the one function that decides which worker runs */
import { joinRoom } from '../../apps/api/test/support/scenario';
import { TestClient } from '../../apps/api/test/support/test-client';
import { resolveWorkerBin } from '../../apps/api/src/workers/worker-bin';
/* eslint-enable @nx/enforce-module-boundaries */
import { lineChartSvg, machineInfo, percentile, printTable, writeResults, type Row } from './lib/report';
import { parseArgs, sleep } from './support/args';
import { ROOT, startServer } from './support/server-process';

const SECRET = 'bench-secret-0123456789abcdef';
const args = parseArgs(process.argv.slice(2));
const quick = args.has('quick');
const rounds = Number(args.get('rounds') ?? (quick ? 1 : 3));
const durationS = Number(args.get('duration') ?? (quick ? 4 : 8));
const worker = resolveWorkerBin();
const wanted = args.get('backend') ?? 'both';
const backends = (['fake', 'real'] as const).filter((b) => (wanted === 'both' || wanted === b) && (b === 'fake' || worker.path));
const PHASES = ['reference', 'deep', 'fuzz'] as const;
type Phase = (typeof PHASES)[number];

const token = (sub: string): Promise<string> =>
  new SignJWT({ rooms: ['*'], grants: { canPublish: true, canSubscribe: true, canPublishData: true, roomAdmin: false } })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));

interface SenderReport {
  mode: string;
  sent: number;
  answered: number;
  unanswered: number;
  internal: number;
  twice: number;
}

/** Starts one hostile sender process; resolves with a `go` function once it has joined. */
async function startSender(url: string, sub: string, mode: Phase, seed: number): Promise<{ go(): Promise<SenderReport> }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'tools/bench/support/hostile-sender.ts'), '--url', url, '--token', await token(sub), '--mode', mode, '--rps', '75', '--duration', String(durationS * 1000), '--seed', String(seed)], {
    cwd: ROOT,
    env: { ...process.env, SWC_NODE_PROJECT: path.join(ROOT, 'apps/api/tsconfig.serve.json') },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!out.includes('READY')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`sender ${sub} did not start: ${err}`);
    await sleep(50);
  }
  return {
    async go() {
      child.stdin.write('go\n');
      await exited;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) throw new Error(`sender ${sub} reported nothing: ${err}`);
      return JSON.parse(line) as SenderReport;
    },
  };
}

async function measure(monitor: TestClient, transportId: string, ms: number): Promise<number[]> {
  const rtts: number[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const t0 = performance.now();
    await monitor.request('getTransportStats', { transportId });
    rtts.push(performance.now() - t0);
    await sleep(20);
  }
  return rtts;
}

async function main(): Promise<void> {
  const machine = machineInfo(worker.path);
  console.log(`fuzz isolation: ${rounds} round(s) of ${PHASES.join(' / ')}, ${durationS} s each; backends ${backends.join(', ')}; ${machine.cpus} CPUs (${machine.cpuModel}), node ${machine.node}, commit ${machine.commit}`);
  const rows: Row[] = [];
  const results: Record<string, unknown>[] = [];
  for (const backend of backends) {
    const server = await startServer(backend, { JWT_SECRET: SECRET, MEDIASOUP_NUM_WORKERS: '1' });
    const url = `ws://127.0.0.1:${server.port}/ws`;
    try {
      const monitor = await TestClient.authenticated(url, await token('monitor'));
      monitor.onServerRequest('newConsumer', () => ({}));
      monitor.onServerRequest('newDataConsumer', () => ({}));
      const m = await joinRoom(monitor, 'iso');
      const samples: Record<Phase, number[]> = { reference: [], deep: [], fuzz: [] };
      const senders: SenderReport[] = [];
      for (let round = 0; round < rounds; round++) {
        for (const phase of PHASES) {
          if (phase === 'reference') {
            samples.reference.push(...(await measure(monitor, m.sendTransportId as string, durationS * 1000)));
            continue;
          }
          const pair = await Promise.all([startSender(url, `hostile-${round}-a`, phase, round * 2 + 1), startSender(url, `hostile-${round}-b`, phase, round * 2 + 2)]);
          const reports = Promise.all(pair.map((s) => s.go()));
          samples[phase].push(...(await measure(monitor, m.sendTransportId as string, durationS * 1000)));
          senders.push(...(await reports));
        }
      }
      await monitor.close();
      const ref = { p50: percentile(samples.reference, 50), p95: percentile(samples.reference, 95) };
      for (const phase of PHASES) {
        const s = samples[phase];
        const mine = senders.filter((r) => r.mode === phase);
        const row: Row = {
          backend,
          phase,
          samples: s.length,
          p50ms: percentile(s, 50),
          p95ms: percentile(s, 95),
          p99ms: percentile(s, 99),
          maxms: Math.max(...s),
          p50ratio: percentile(s, 50) / ref.p50,
          p95ratio: percentile(s, 95) / ref.p95,
          hostileSent: mine.reduce((n, r) => n + r.sent, 0),
          unanswered: mine.reduce((n, r) => n + r.unanswered, 0),
          internal: mine.reduce((n, r) => n + r.internal, 0),
          answeredTwice: mine.reduce((n, r) => n + r.twice, 0),
        };
        rows.push(row);
        results.push(row);
      }
    } finally {
      await server.stop();
    }
  }
  printTable('monitor round trip (getTransportStats) while hostile clients send 2 × 75 requests/s', rows);
  const svg = lineChartSvg('monitor p95 by phase', 'phase (0 reference, 1 deep, 2 fuzz)', 'p95 ms', backends.map((b) => ({ name: b, points: rows.filter((r) => r['backend'] === b).map((r, i) => ({ x: i, y: Number(r['p95ms']) })) })));
  writeResults('fuzz-isolation', { machine, rounds, durationS, rows: results }, svg);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error((error as Error).stack ?? error);
    process.exit(1);
  },
);
