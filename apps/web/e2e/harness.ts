/**
 * The e2e harness: builds/starts the API serving the built web app, launches
 * Debian's Chromium with fake media devices, and records scenario results.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const ROOT = path.resolve(__dirname, '../../..');
export const ARTIFACTS = process.env['E2E_ARTIFACTS'] ?? path.join(ROOT, 'apps/web/e2e/artifacts');
export const WEB_ROOT = path.join(ROOT, 'dist/apps/web/browser');
const API_MAIN = path.join(ROOT, 'dist/apps/api/main.js');
const MEDIASOUP_VERSION = '3.27.1';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
  '--auto-select-desktop-capture-source=Entire screen',
];

export function log(message: string): void {
  process.stdout.write(`[e2e] ${message}\n`);
}

/** Same search order as the API's resolveWorkerBin(); the API's /api/health has the last word. */
export function findWorker(): string | null {
  const candidates = [
    process.env['MEDIASOUP_WORKER_BIN'],
    `/usr/local/lib/mediasoup/mediasoup-worker-${MEDIASOUP_VERSION}`,
    path.join(ROOT, 'node_modules/mediasoup/worker/out/Release/mediasoup-worker'),
  ];
  for (const file of candidates) {
    if (!file) continue;
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // next
    }
  }
  return null;
}

export function ensureBuilds(): void {
  if (!existsSync(path.join(WEB_ROOT, 'index.html'))) {
    throw new Error(`no web build at ${WEB_ROOT}: run "nx run web:build" (the e2e target depends on it)`);
  }
  const built = statSync(path.join(WEB_ROOT, 'index.html')).mtimeMs;
  const newer = ['apps/web/src', 'libs/media/src', 'libs/signaling-contracts/src'].some((dir) => newestMtime(path.join(ROOT, dir)) > built);
  if (newer) log('WARNING: sources are newer than the web build; run through "nx run web:e2e" (which builds first) to test them');
  const result = spawnSync(process.execPath, [path.join(ROOT, 'tools/build-api.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('tools/build-api.mjs failed');
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface Api {
  baseUrl: string;
  mediaAvailable: boolean;
  mediaDetail: string;
  /** The API process (its mediasoup workers are its children). */
  pid: number;
  /** SIGTERM (graceful drain), SIGKILL after 5 s; resolves with the exit code (null when killed by a signal). */
  stop(): Promise<number | null>;
  /** Resolves with the exit code once the process exited by itself or by a signal sent elsewhere; sends nothing. */
  exited: Promise<number | null>;
}

/** Drain time on SIGTERM for the e2e API: long enough to see `serverShutdown`, short enough for a quick restart. */
export const E2E_SHUTDOWN_DRAIN_MS = 1500;

/** How long the e2e API keeps a peer whose socket dropped (short, so that "after the grace" is quick to test). */
export const E2E_RESUME_GRACE_MS = 2500;

/**
 * Which of `pids` has a UDP socket bound to `port` (from /proc/net/udp of this
 * network namespace and the processes' fds); null when none. Tells which
 * mediasoup worker serves a transport, from the port in its ICE candidate.
 */
export function pidOwningUdpPort(pids: readonly number[], port: number): number | null {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && parseInt(cols[1].split(':')[1] ?? '', 16) === port) inodes.add(cols[9]);
    }
  }
  for (const pid of pids) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        if (inode && inodes.has(inode)) return pid;
      }
    } catch {
      // gone, or an fd closed while we read
    }
  }
  return null;
}

/** Pids of the mediasoup workers the process `parentPid` spawned (read from /proc; Linux only). */
export function mediasoupWorkerPids(parentPid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces, so parse after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parentPid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('mediasoup-worker')) pids.push(Number(entry));
    } catch {
      // the process went away meanwhile
    }
  }
  return pids;
}

/**
 * Starts the built API on a loopback port (a free one unless given), serving the
 * web app; waits for /api/health. Pass the same port and secret to restart it
 * without invalidating the participants' tokens.
 */
export async function startApi(options: { port?: number; secret?: string; devTokens?: boolean; env?: Record<string, string>; logName?: string } = {}): Promise<Api & { port: number; secret: string }> {
  const port = options.port ?? (await freePort());
  const secret = options.secret ?? randomBytes(24).toString('hex');
  mkdirSync(ARTIFACTS, { recursive: true });
  const logFile = createWriteStream(path.join(ARTIFACTS, options.logName ?? 'api.log'), { flags: 'a' });
  const child: ChildProcess = spawn(process.execPath, [API_MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      // Production-like (no dev tokens, NODE_ENV=production) when asked, as a portal deployment runs it.
      DEV_TOKENS: options.devTokens === false ? 'false' : 'true',
      ...(options.devTokens === false ? { NODE_ENV: 'production', MEDIASOUP_NUM_WORKERS: '1' } : {}),
      JWT_SECRET: secret,
      // Each run starts from an empty meeting history (and two servers never share one embedded database).
      DATABASE_URL: 'memory:',
      WEB_ROOT,
      RTC_LISTEN_IP: '127.0.0.1',
      RTC_ANNOUNCED_ADDRESS: '127.0.0.1',
      // Two, so that killing the worker of one room can be checked not to disturb a room on the other.
      MEDIASOUP_NUM_WORKERS: '2',
      SHUTDOWN_DRAIN_MS: String(E2E_SHUTDOWN_DRAIN_MS),
      RESUME_GRACE_MS: String(E2E_RESUME_GRACE_MS),
      LOG_LEVEL: process.env['E2E_API_LOG_LEVEL'] ?? 'info',
      // Extra variables (a cluster node's REDIS_URL, NODE_ID…) win over the defaults above.
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(logFile);
  child.stderr?.pipe(logFile);
  let exited: number | null = null;
  let exitCode: number | null = null;
  const exitedPromise = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('exit', (code) => {
    exited = code ?? -1;
    exitCode = code;
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  // A minute: on two cores shared with other runs, start-up alone has taken over 20 s.
  const deadline = Date.now() + 60_000;
  let health = null as { mediaAvailable?: boolean; media?: string } | null;
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`API exited with code ${exited} (see ${path.join(ARTIFACTS, options.logName ?? 'api.log')})`);
    try {
      const response = await fetch(`${baseUrl}/api/health`);
      if (response.ok) {
        health = (await response.json()) as { mediaAvailable?: boolean; media?: string };
        break;
      }
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!health) {
    child.kill('SIGKILL');
    throw new Error('API did not become healthy in 60 s');
  }
  return {
    port,
    secret,
    baseUrl,
    mediaAvailable: Boolean(health.mediaAvailable),
    mediaDetail: String(health.media ?? ''),
    pid: child.pid ?? -1,
    exited: exitedPromise,
    stop: () =>
      new Promise<number | null>((resolve) => {
        if (exited !== null) return resolve(exitCode);
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
        child.kill('SIGTERM');
      }),
  };
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}

/**
 * Collects every RTCPeerConnection and WebSocket the page creates, so a scenario
 * can read inbound-rtp stats, or drop the signaling socket as a network would,
 * without a hook in the app.
 */
const PEER_CONNECTION_SPY = `
  (() => {
    const NativeSocket = window.WebSocket;
    window.__sockets = [];
    // window.__blockSockets = true makes new sockets fail at once, like a network that is down.
    window.WebSocket = class extends NativeSocket {
      constructor(url, protocols) { super(window.__blockSockets ? 'ws://127.0.0.1:9/' : url, protocols); window.__sockets.push(this); }
    };
    const Native = window.RTCPeerConnection;
    if (!Native) return;
    window.__pcs = [];
    window.RTCPeerConnection = class extends Native {
      constructor(...args) { super(...args); window.__pcs.push(this); }
    };
  })();
`;

/** One browser context = one participant. */
export interface Participant {
  name: string;
  context: BrowserContext;
  page: Page;
  peerId: string;
}

export async function newContext(browser: Browser, baseUrl: string, initScript?: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1280, height: 800 } });
  await context.addInitScript(PEER_CONNECTION_SPY);
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => log(`  page error: ${error.message}`));
  // The SDK's recovery lines (rebuild timing, ICE restarts) are worth seeing next to the scenario's own.
  page.on('console', (message) => {
    const text = message.text();
    if (/\[(RecoveryCoordinator|IceWatchdog)\] (rebuild\(\) done|restartIce\(\))/.test(text)) log(`  page: ${text}`);
  });
  return { context, page };
}

/** Opens the app, fills the join form and waits until joined. */
export async function join(
  browser: Browser,
  baseUrl: string,
  name: string,
  room: string,
  options: { camera?: boolean; mic?: boolean } = {},
): Promise<Participant> {
  const { context, page } = await newContext(browser, baseUrl);
  await page.goto('/');
  await page.getByTestId('display-name').fill(name);
  await page.getByTestId('room-id').fill(room);
  if (options.camera === false) await page.getByTestId('camera-on').uncheck();
  if (options.mic === false) await page.getByTestId('mic-on').uncheck();
  await page.getByTestId('join-button').click();
  await page.locator('[data-testid="room-screen"][data-state="joined"]').waitFor();
  const peerId = (await page.locator('cf-tile[data-local="true"]').first().getAttribute('data-peer-id')) ?? '';
  return { name, context, page, peerId };
}

export async function leaveAll(participants: Participant[]): Promise<void> {
  await Promise.all(participants.map((p) => p.context.close().catch(() => undefined)));
}

// ---- results -------------------------------------------------------------------------

export type Outcome = { name: string; status: 'passed' | 'failed' | 'skipped'; detail: string; ms: number };

export class Results {
  readonly outcomes: Outcome[] = [];

  async run(name: string, skipReason: string | null, fn: () => Promise<void>): Promise<void> {
    if (skipReason) {
      this.outcomes.push({ name, status: 'skipped', detail: skipReason, ms: 0 });
      log(`SKIP ${name} — ${skipReason}`);
      return;
    }
    const start = Date.now();
    log(`RUN  ${name}`);
    try {
      await fn();
      const ms = Date.now() - start;
      this.outcomes.push({ name, status: 'passed', detail: '', ms });
      log(`PASS ${name} (${ms} ms)`);
    } catch (error) {
      const ms = Date.now() - start;
      const detail = (error as Error)?.message?.split('\n')[0] ?? String(error);
      this.outcomes.push({ name, status: 'failed', detail, ms });
      log(`FAIL ${name} (${ms} ms) — ${detail}`);
    }
  }

  skipAll(names: string[], reason: string): void {
    for (const name of names) this.outcomes.push({ name, status: 'skipped', detail: reason, ms: 0 });
  }

  summary(): { passed: number; failed: number; skipped: number } {
    const count = (s: Outcome['status']) => this.outcomes.filter((o) => o.status === s).length;
    process.stdout.write('\n===== e2e summary =====\n');
    for (const o of this.outcomes) {
      const label = o.status === 'passed' ? 'PASS' : o.status === 'failed' ? 'FAIL' : 'SKIP';
      process.stdout.write(`${label}  ${o.name}${o.ms ? ` (${o.ms} ms)` : ''}${o.detail ? ` — ${o.detail}` : ''}\n`);
    }
    return { passed: count('passed'), failed: count('failed'), skipped: count('skipped') };
  }
}

/** Polls `fn` until it returns true or `timeoutMs` passes; throws `message` then. */
export async function eventually(fn: () => Promise<boolean>, message: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(message);
}
