/**
 * Benchmark 2: join to first frame. Debian's Chromium (fake camera and microphone,
 * driven by playwright-core) joins a room through the real web app served by the
 * built API, with 1 or 3 participants already in it publishing camera + mic. Measured
 * in the page from the click on "Join" to the first remote video frame decoded
 * (inbound-rtp framesDecoded > 0), the first remote audio bytes, and every remote
 * camera decoding. Repeated joins give p50/p95. Needs a real worker; as root the
 * whole run is re-executed in a loopback-only network namespace (`unshare -n`).
 *
 *   npm run nx -- run tools:bench-join [-- --quick] [--joins 10] [--participants 2,4]
 */
import { spawnSync } from 'node:child_process';
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
const resolution = resolveWorkerBin();

/** One measured join, in ms from the click on Join (null: not within the timeout). */
interface JoinSample {
  participants: number;
  joinedMs: number | null;
  firstVideoMs: number | null;
  firstAudioMs: number | null;
  allVideoMs: number | null;
}

/**
 * Clicks Join and polls every RTCPeerConnection of the page (the harness's spy keeps
 * them in window.__pcs) every 20 ms, all inside the page so polling adds no round trip.
 */
function clickJoinAndMeasure(page: Page, remoteCameras: number, timeoutMs: number): Promise<Omit<JoinSample, 'participants'>> {
  return page.evaluate(
    async ({ remoteCameras, timeoutMs }) => {
      const w = window as unknown as { __pcs?: RTCPeerConnection[] };
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
      return out;
    },
    { remoteCameras, timeoutMs },
  );
}

async function measure(browser: Browser, baseUrl: string, participants: number): Promise<JoinSample[]> {
  const room = `bench-join-${participants}-${Date.now()}`;
  const present: Participant[] = [];
  const samples: JoinSample[] = [];
  try {
    for (let i = 0; i < participants - 1; i++) present.push(await join(browser, baseUrl, `present-${i}`, room));
    for (let r = 0; r < joins; r++) {
      const { context, page } = await newContext(browser, baseUrl);
      try {
        await page.goto('/');
        await page.getByTestId('display-name').fill(`joiner-${r}`);
        await page.getByTestId('room-id').fill(room);
        // The join screen's camera preview must be live before the click, as for a user.
        await page.waitForTimeout(500);
        const m = await clickJoinAndMeasure(page, participants - 1, 20_000);
        samples.push({ participants, ...m });
        console.log(`  ${participants} participants, join ${r + 1}/${joins}: joined ${fmt(m.joinedMs)}, first video ${fmt(m.firstVideoMs)}, first audio ${fmt(m.firstAudioMs)}, all video ${fmt(m.allVideoMs)} ms`);
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
  const browser = await launchBrowser();
  try {
    if (!api.mediaAvailable) throw new Error(`the API has no media: ${api.mediaDetail}`);
    console.log(`API at ${api.baseUrl} (built web app, real worker), Chromium ${browser.version()}, loopback-only network namespace`);
    const samples: JoinSample[] = [];
    for (const n of sizes) samples.push(...(await measure(browser, api.baseUrl, n)));
    const stat = (n: number, key: 'joinedMs' | 'firstVideoMs' | 'firstAudioMs' | 'allVideoMs', p: number): number =>
      percentile(samples.filter((s) => s.participants === n && s[key] !== null).map((s) => s[key] as number), p);
    const rows: Row[] = sizes.map((n) => ({
      participants: n,
      joins: samples.filter((s) => s.participants === n).length,
      timeouts: samples.filter((s) => s.participants === n && (s.firstVideoMs === null || s.firstAudioMs === null)).length,
      'joined p50': stat(n, 'joinedMs', 50),
      'joined p95': stat(n, 'joinedMs', 95),
      'first video p50': stat(n, 'firstVideoMs', 50),
      'first video p95': stat(n, 'firstVideoMs', 95),
      'first audio p50': stat(n, 'firstAudioMs', 50),
      'first audio p95': stat(n, 'firstAudioMs', 95),
      'all video p50': stat(n, 'allVideoMs', 50),
      'all video p95': stat(n, 'allVideoMs', 95),
    }));
    printTable('Join to first remote media, ms from the click on Join (web app, Chromium fake devices, real worker)', rows);
    const svg = lineChartSvg('Join to first remote media (p50 / p95)', 'participants in the room after joining', 'ms from Join', [
      { name: 'first video p50', points: sizes.map((n) => ({ x: n, y: stat(n, 'firstVideoMs', 50) })) },
      { name: 'first video p95', points: sizes.map((n) => ({ x: n, y: stat(n, 'firstVideoMs', 95) })) },
      { name: 'first audio p50', points: sizes.map((n) => ({ x: n, y: stat(n, 'firstAudioMs', 50) })) },
      { name: 'all video p95', points: sizes.map((n) => ({ x: n, y: stat(n, 'allVideoMs', 95) })) },
    ]);
    writeResults('join-to-first-frame', { benchmark: 'join-to-first-frame', machine, client: `web app (${WEB_ROOT}), Chromium ${browser.version()}`, settings: { sizes, joins }, rows, samples }, svg);
    return 0;
  } finally {
    await browser.close();
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
