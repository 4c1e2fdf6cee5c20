/**
 * Benchmark 2: join to first frame. Debian's Chromium (fake camera and microphone,
 * driven by playwright-core) joins a room through the real web app served by the
 * built API, with 1 or 3 participants already in it publishing camera + mic. Measured
 * in the page from the click on "Join" to the first remote video frame decoded
 * (inbound-rtp framesDecoded > 0), the first remote audio bytes, and every remote
 * camera decoding. Repeated joins give p50/p95. Needs a real worker; as root the
 * whole run is re-executed in a loopback-only network namespace (`unshare -n`).
 *
 * The same joins run against a **bare** reference (support/bare-join-server.ts: plain
 * ws + mediasoup + mediasoup-client, the textbook flow, joiner publishing camera + mic
 * alike), alternating in blocks with the product in the same run, and the ratio
 * product / bare is reported. Each page also logs its signaling messages with
 * timestamps, so the table of milestones shows where the time goes.
 *
 *   npm run nx -- run tools:bench-join [-- --quick] [--joins 10] [--participants 2,4] [--block 5] [--systems product,bare]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
/* eslint-disable @nx/enforce-module-boundaries -- reuse the web e2e harness (API + built web app + Chromium) */
import { ensureBuilds, join, launchBrowser, leaveAll, newContext, startApi, WEB_ROOT, type Participant } from '../../apps/web/e2e/harness';
import { resolveWorkerBin } from '../../apps/api/src/workers/worker-bin';
/* eslint-enable @nx/enforce-module-boundaries */
import { lineChartSvg, machineInfo, percentile, printTable, writeResults, type Row } from './lib/report';
import { intList, parseArgs } from './support/args';
import { ROOT } from './support/server-process';

const NETNS_FLAG = 'CONFER_BENCH_NETNS';
const args = parseArgs(process.argv.slice(2));
const quick = args.has('quick');
const joins = Number(args.get('joins') ?? (quick ? 3 : 10));
const sizes = intList(args.get('participants'), [2, 4]);
const block = Number(args.get('block') ?? (quick ? 3 : 5));
const systems = (args.get('systems') ?? 'product,bare').split(',').filter((x): x is System => x === 'product' || x === 'bare');
const resolution = resolveWorkerBin();

/** `product`: the web app and the API; `bare`: the reference of support/bare-join-server.ts. */
type System = 'product' | 'bare';

/** One measured join, in ms from the click on Join (null: not within the timeout). */
interface JoinSample {
  system: System;
  participants: number;
  joinedMs: number | null;
  firstVideoMs: number | null;
  firstAudioMs: number | null;
  allVideoMs: number | null;
  /** When each signaling step happened, ms from the click (first occurrence). */
  milestones: Record<string, number>;
}

/** Signaling milestones reported, in order: socket open, answers, the first server request and its answer. */
const MILESTONES = ['token', 'open', 'res:authenticate', 'res:getRouterRtpCapabilities', 'send:join', 'res:join', 'res:createWebRtcTransport', 'req:newConsumer', 'answer', 'send:produce'] as const;

/**
 * Logs every signaling message of the page with its time (both the app's envelope,
 * `type: request|response|notification`, and the bare page's), for the milestones.
 */
const SIGNALING_LOG = `
  (() => {
    const Base = window.WebSocket;
    window.__wsLog = [];
    window.WebSocket = class extends Base {
      constructor(url, protocols) {
        super(url, protocols);
        const log = (ev) => window.__wsLog.push({ t: performance.now(), ev });
        const names = new Map();
        this.addEventListener('open', () => log('open'));
        this.addEventListener('message', (e) => {
          try {
            const m = JSON.parse(e.data);
            if (m.type === 'request' || m.request) log('req:' + m.method);
            else if (m.type === 'notification' || m.notification) log('note:' + m.method);
            else log('res:' + names.get(m.id));
          } catch {}
        });
        const send = this.send.bind(this);
        this.send = (d) => {
          try {
            const m = JSON.parse(d);
            if (m.method) { names.set(m.id, m.method); log('send:' + m.method); } else log('answer');
          } catch {}
          send(d);
        };
      }
    };
  })();
`;

/**
 * Clicks Join and polls every RTCPeerConnection of the page (the harness's spy keeps
 * them in window.__pcs) every 20 ms, all inside the page so polling adds no round trip.
 */
function clickJoinAndMeasure(page: Page, remoteCameras: number, timeoutMs: number): Promise<Omit<JoinSample, 'participants' | 'system'>> {
  return page.evaluate(
    async ({ remoteCameras, timeoutMs }) => {
      const w = window as unknown as { __pcs?: RTCPeerConnection[]; __wsLog?: { t: number; ev: string }[] };
      const t0 = performance.now();
      document.querySelector<HTMLButtonElement>('[data-testid="join-button"]')?.click();
      const out = { joinedMs: null as number | null, firstVideoMs: null as number | null, firstAudioMs: null as number | null, allVideoMs: null as number | null };
      while (performance.now() - t0 < timeoutMs) {
        const now = performance.now() - t0;
        if (out.joinedMs === null && document.querySelector('[data-testid="room-screen"][data-state="joined"]')) out.joinedMs = now;
        let decoding = 0;
        let audio = false;
        for (const pc of w.__pcs ?? []) {
          if (pc.connectionState === 'closed') continue;
          const stats = await pc.getStats();
          stats.forEach((s: { type: string; kind?: string; framesDecoded?: number; bytesReceived?: number }) => {
            if (s.type !== 'inbound-rtp') return;
            if (s.kind === 'video' && (s.framesDecoded ?? 0) > 0) decoding++;
            if (s.kind === 'audio' && (s.bytesReceived ?? 0) > 0) audio = true;
          });
        }
        const at = performance.now() - t0;
        if (out.firstVideoMs === null && decoding > 0) out.firstVideoMs = at;
        if (out.firstAudioMs === null && audio) out.firstAudioMs = at;
        if (out.allVideoMs === null && decoding >= remoteCameras) out.allVideoMs = at;
        if (out.joinedMs !== null && out.firstAudioMs !== null && out.allVideoMs !== null) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const milestones: Record<string, number> = {};
      for (const { t, ev } of w.__wsLog ?? []) if (t >= t0 && !(ev in milestones)) milestones[ev] = Math.round(t - t0);
      const token = performance.getEntriesByType('resource').find((e) => e.name.includes('/api/dev/token') && e.startTime >= t0) as PerformanceResourceTiming | undefined;
      if (token) milestones['token'] = Math.round(token.responseEnd - t0);
      return { ...out, milestones };
    },
    { remoteCameras, timeoutMs },
  );
}

/** Joins a bare page to `room` and waits until it has joined (its camera and mic then start). */
async function joinBare(browser: Browser, baseUrl: string, name: string, room: string): Promise<Participant> {
  const { context, page } = await newContext(browser, baseUrl);
  await page.goto(`/?room=${room}&name=${name}`);
  await page.getByTestId('join-button').click();
  await page.locator('[data-testid="room-screen"][data-state="joined"]').waitFor();
  return { name, context, page, peerId: name };
}

/**
 * `count` joins of `system` into a room with `participants - 1` others already in it
 * (set up for this block and gone after it, so that only one system's browsers encode at a time).
 */
async function measureBlock(browser: Browser, urls: Record<System, string>, system: System, participants: number, first: number, count: number): Promise<JoinSample[]> {
  const baseUrl = urls[system];
  const room = `bench-join-${system}-${participants}-${Date.now()}`;
  const present: Participant[] = [];
  const samples: JoinSample[] = [];
  try {
    for (let i = 0; i < participants - 1; i++) {
      present.push(system === 'product' ? await join(browser, baseUrl, `present-${i}`, room) : await joinBare(browser, baseUrl, `present-${i}`, room));
    }
    // Let the others' encoders settle (simulcast ramp-up) before the first join.
    await new Promise((r) => setTimeout(r, 1500));
    for (let r = first; r < first + count; r++) {
      const { context, page } = await newContext(browser, baseUrl, SIGNALING_LOG);
      try {
        if (system === 'product') {
          await page.goto('/');
          await page.getByTestId('display-name').fill(`joiner-${r}`);
          await page.getByTestId('room-id').fill(room);
        } else {
          await page.goto(`/?room=${room}&name=joiner-${r}`);
        }
        // The join screen's camera preview must be live before the click, as for a user.
        await page.waitForTimeout(500);
        const m = await clickJoinAndMeasure(page, participants - 1, 20_000);
        samples.push({ system, participants, ...m });
        const steps = MILESTONES.filter((k) => k in m.milestones).map((k) => `${k} ${m.milestones[k]}`).join(', ');
        console.log(`  ${system} ${participants}p, join ${r + 1}/${joins}: joined ${fmt(m.joinedMs)}, first video ${fmt(m.firstVideoMs)}, first audio ${fmt(m.firstAudioMs)}, all video ${fmt(m.allVideoMs)} ms | ${steps}`);
      } finally {
        await context.close();
      }
      // Let the others see the leave before the next join.
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await leaveAll(present);
  }
  return samples;
}

/** `joins` joins of each system, in alternating blocks of `block` (the first system alternates too). */
async function measure(browser: Browser, urls: Record<System, string>, participants: number): Promise<JoinSample[]> {
  const samples: JoinSample[] = [];
  let turn = 0;
  for (let done = 0; done < joins; done += block, turn++) {
    const order = turn % 2 === 0 ? systems : [...systems].reverse();
    for (const system of order) samples.push(...(await measureBlock(browser, urls, system, participants, done, Math.min(block, joins - done))));
  }
  return samples;
}

/** Starts support/bare-join-server.ts in its own process (as the API runs in its own); resolves with its URL. */
function startBare(): Promise<{ baseUrl: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...process.execArgv, path.join(__dirname, 'support/bare-join-server.ts')], {
    cwd: ROOT,
    env: { ...process.env, MEDIASOUP_WORKER_BIN: resolution.path ?? '', RTC_ANNOUNCED_ADDRESS: '127.0.0.1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) resolve({ baseUrl: `http://127.0.0.1:${m[1]}`, stop });
    });
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  });
}

const fmt = (v: number | null): string => (v === null ? 'timeout' : v.toFixed(0));

/** Re-runs this script inside `unshare -n` (loopback only); null when that is not possible. */
function reexecInLoopbackNamespace(): number | null {
  const inner = [process.execPath, ...process.execArgv, ...process.argv.slice(1)].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // The harness's API log goes under dist/bench, not into the e2e suite's artifacts.
  const artifacts = path.join(ROOT, 'dist/bench/join-artifacts');
  const result = spawnSync('unshare', ['-n', 'bash', '-c', `ip link set lo up && exec env ${NETNS_FLAG}=1 E2E_ARTIFACTS='${artifacts}' ${inner}`], { cwd: ROOT, stdio: 'inherit' });
  if (result.error || result.status === null) return null;
  return result.status;
}

async function main(): Promise<number> {
  const inNamespace = process.env[NETNS_FLAG] === '1';
  const isRoot = process.getuid?.() === 0;
  const machine = machineInfo(resolution.path);
  if (!inNamespace) {
    console.log(`join to first frame | participants=${sizes.join(',')} joins=${joins}`);
    console.log(`machine: ${JSON.stringify(machine)}`);
  }
  if (!resolution.path) {
    console.log(`skipped: needs a real mediasoup worker — ${resolution.detail}`);
    return 0;
  }
  if (!existsSync(process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium')) {
    console.log('skipped: no Chromium at /usr/bin/chromium (apt-get install chromium, or set CHROMIUM_PATH)');
    return 0;
  }
  if (!inNamespace) {
    if (!isRoot) {
      console.log('skipped: media must stay in a loopback-only network namespace, and `unshare -n` needs root');
      return 0;
    }
    if (!existsSync(`${WEB_ROOT}/index.html`)) {
      console.log(`skipped: no web build at ${WEB_ROOT}; run \`npm run nx -- run web:build\` first`);
      return 0;
    }
    ensureBuilds();
    const code = reexecInLoopbackNamespace();
    if (code === null) console.log('skipped: `unshare -n` failed; media would leave loopback');
    return code ?? 0;
  }

  const api = await startApi();
  const bare = await startBare();
  const browser = await launchBrowser();
  try {
    if (!api.mediaAvailable) throw new Error(`the API has no media: ${api.mediaDetail}`);
    console.log(`API at ${api.baseUrl} (built web app, real worker), bare reference at ${bare.baseUrl}, Chromium ${browser.version()}, loopback-only network namespace`);
    const urls: Record<System, string> = { product: api.baseUrl, bare: bare.baseUrl };
    const samples: JoinSample[] = [];
    for (const n of sizes) samples.push(...(await measure(browser, urls, n)));
    const of = (system: System, n: number): JoinSample[] => samples.filter((s) => s.system === system && s.participants === n);
    const stat = (system: System, n: number, key: 'joinedMs' | 'firstVideoMs' | 'firstAudioMs' | 'allVideoMs', p: number): number =>
      percentile(of(system, n).filter((s) => s[key] !== null).map((s) => s[key] as number), p);
    const rows: Row[] = sizes.flatMap((n) =>
      systems.map((system) => ({
        system,
        participants: n,
        joins: of(system, n).length,
        timeouts: of(system, n).filter((s) => s.firstVideoMs === null || s.firstAudioMs === null).length,
        'joined p50': stat(system, n, 'joinedMs', 50),
        'joined p95': stat(system, n, 'joinedMs', 95),
        'first video p50': stat(system, n, 'firstVideoMs', 50),
        'first video p95': stat(system, n, 'firstVideoMs', 95),
        'first audio p50': stat(system, n, 'firstAudioMs', 50),
        'first audio p95': stat(system, n, 'firstAudioMs', 95),
        'all video p50': stat(system, n, 'allVideoMs', 50),
        'all video p95': stat(system, n, 'allVideoMs', 95),
      })),
    );
    printTable('Join to first remote media, ms from the click on Join (Chromium fake devices, real worker)', rows);
    const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
    const ratios: Row[] = systems.length < 2 ? [] : sizes.map((n) => ({
      participants: n,
      'first video p50 product / bare': ratio(stat('product', n, 'firstVideoMs', 50), stat('bare', n, 'firstVideoMs', 50)),
      'first video p95 product / bare': ratio(stat('product', n, 'firstVideoMs', 95), stat('bare', n, 'firstVideoMs', 95)),
      'all video p50 product / bare': ratio(stat('product', n, 'allVideoMs', 50), stat('bare', n, 'allVideoMs', 50)),
      'all video p95 product / bare': ratio(stat('product', n, 'allVideoMs', 95), stat('bare', n, 'allVideoMs', 95)),
    }));
    if (ratios.length) printTable('Ratio product / bare (≤ 1: the product is as fast as the bare reference)', ratios);
    const steps: Row[] = sizes.flatMap((n) =>
      systems.map((system) => {
        const row: Row = { system, participants: n };
        for (const k of MILESTONES) {
          const values = of(system, n).map((s) => s.milestones[k]).filter((v): v is number => v !== undefined);
          row[k] = values.length ? percentile(values, 50) : '-';
        }
        return row;
      }),
    );
    printTable('Where the time goes: signaling milestones, p50 ms from the click (answer = first answer to a server request)', steps);
    const svg = lineChartSvg('Join to first remote video (p50 / p95), product and bare', 'participants in the room after joining', 'ms from Join', [
      ...systems.flatMap((system) => [
        { name: `${system} first video p50`, points: sizes.map((n) => ({ x: n, y: stat(system, n, 'firstVideoMs', 50) })) },
        { name: `${system} first video p95`, points: sizes.map((n) => ({ x: n, y: stat(system, n, 'firstVideoMs', 95) })) },
      ]),
    ]);
    const name = args.get('name') ?? 'join-to-first-frame';
    writeResults(name, { benchmark: 'join-to-first-frame', machine, client: `web app (${WEB_ROOT}) and bare reference, Chromium ${browser.version()}`, settings: { sizes, joins, block, systems }, rows, ratios, steps, samples }, svg);
    return 0;
  } finally {
    await browser.close();
    await bare.stop();
    await api.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
