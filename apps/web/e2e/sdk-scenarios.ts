/**
 * Browser scenarios for the SDK used on its own (issue 15): data channels a
 * participant opens with `MediaSession.openDataChannel()` (produceData over the
 * send transport's SCTP), received by another participant's SDK
 * (`newDataConsumer` → `dataMessages$`), in real Chromium through the real worker.
 * The pages are not the web app: sdk-page/sdk-page.ts, bundled by esbuild here.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { build } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ROOT, eventually, log, type Results } from './harness';

export interface SdkScenarioContext {
  browser: Browser;
  baseUrl: string;
  results: Results;
  /** Why media scenarios are skipped; null when a real worker runs. */
  mediaSkip: string | null;
}

interface Received {
  peerId: string;
  label: string;
  text: string | null;
  bytes: number;
}

/** What sdk-page.ts puts on `window`. */
interface SdkPage {
  join(token: string, roomId: string, displayName: string): Promise<string>;
  open(label: string, options?: { ordered?: boolean; maxRetransmits?: number; protocol?: string }): Promise<{ id: string; readyState: string; protocol: string }>;
  send(label: string, data: string | number): void;
  readyState(label: string): string;
  close(label: string): void;
  received(): Received[];
  dataConsumers(): number;
  leave(): Promise<void>;
}

interface SdkParticipant {
  context: BrowserContext;
  page: Page;
  peerId: string;
}

async function bundle(): Promise<string> {
  const out = await build({
    entryPoints: [path.join(__dirname, 'sdk-page/sdk-page.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    tsconfig: path.join(ROOT, 'tsconfig.base.json'),
    minify: true,
    write: false,
    logLevel: 'error',
  });
  return out.outputFiles[0].text;
}

async function devToken(baseUrl: string, displayName: string, roomId: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ displayName, roomId }),
  });
  if (!response.ok) throw new Error(`dev token: HTTP ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

/** A page on the API's origin (for its WebSocket) running only the SDK, joined to `room`. */
async function sdkJoin(browser: Browser, baseUrl: string, script: string, name: string, room: string): Promise<SdkParticipant> {
  // The page script is injected inline: the API's CSP would refuse it (it is the test's, not the app's).
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  page.on('pageerror', (error) => log(`[${name}] page error: ${error.message}`));
  await page.goto(`${baseUrl}/api/health`);
  await page.addScriptTag({ content: script });
  const token = await devToken(baseUrl, name, room);
  const peerId = await page.evaluate(([t, r, n]) => (window as unknown as { conferSdk: SdkPage }).conferSdk.join(t, r, n), [token, room, name] as const);
  if (!peerId) throw new Error(`${name} joined without a peer id`);
  return { context, page, peerId };
}

function sdk<T>(p: SdkParticipant, fn: (s: SdkPage, arg: unknown) => T | Promise<T>, arg?: unknown): Promise<T> {
  return p.page.evaluate(
    ([source, a]) => {
      const f = new Function('s', 'a', `return (${source})(s, a);`) as (s: SdkPage, a: unknown) => T | Promise<T>;
      return f((window as unknown as { conferSdk: SdkPage }).conferSdk, a);
    },
    [fn.toString(), arg] as const,
  );
}

export async function runSdkScenarios({ browser, baseUrl, results, mediaSkip }: SdkScenarioContext): Promise<void> {
  const room = `sdk-${randomBytes(3).toString('hex')}`;
  let a: SdkParticipant | null = null;
  let b: SdkParticipant | null = null;

  await results.run('SDK data channels: one participant opens a channel with openDataChannel(), the other receives its text and binary messages intact (real Chromium, real worker)', mediaSkip, async () => {
    const script = await bundle();
    a = await sdkJoin(browser, baseUrl, script, 'Ada', room);
    b = await sdkJoin(browser, baseUrl, script, 'Bob', room);
    const [pa, pb] = [a, b];
    const opened = await sdk(pa, (s) => s.open('e2e-chat', { protocol: 'text' }));
    if (opened.readyState !== 'open' || opened.protocol !== 'text' || !opened.id) throw new Error(`channel not open: ${JSON.stringify(opened)}`);
    await eventually(async () => (await sdk(pb, (s) => s.dataConsumers())) >= 1, 'Bob was not offered Ada\'s data channel');

    const text = `hello over SCTP — ünïcödé 🎉 ${randomBytes(4).toString('hex')}`;
    await sdk(pa, (s, t) => s.send('e2e-chat', t as string), text);
    // 200 KB binary: under mediasoup's default max SCTP message size (256 KiB).
    await sdk(pa, (s) => s.send('e2e-chat', 200_000));
    await eventually(async () => (await sdk(pb, (s) => s.received())).length >= 2, 'Bob did not receive both messages');
    const got = await sdk(pb, (s) => s.received());
    const [first, second] = got;
    if (first.label !== 'e2e-chat' || first.peerId !== pa.peerId || first.text !== text) throw new Error(`text message differs: ${JSON.stringify(first)}`);
    if (second.text !== null || second.bytes !== 200_000) throw new Error(`binary message differs: ${JSON.stringify(second)}`);
    // The sender does not receive its own channel.
    if ((await sdk(pa, (s) => s.received())).length !== 0) throw new Error('Ada received her own messages');
  });

  await results.run('SDK data channels: an unordered, unreliable channel (maxRetransmits 0) delivers on loopback; closing a channel closes the other side\'s data consumer', mediaSkip, async () => {
    if (!a || !b) throw new Error('the participants did not join');
    const [pa, pb] = [a, b];
    const before = await sdk(pb, (s) => s.dataConsumers());
    await sdk(pa, (s) => s.open('telemetry', { ordered: false, maxRetransmits: 0 }));
    await eventually(async () => (await sdk(pb, (s) => s.dataConsumers())) === before + 1, 'Bob was not offered the telemetry channel');
    await sdk(pa, (s) => s.send('telemetry', 'tick'));
    await eventually(async () => (await sdk(pb, (s) => s.received())).some((m) => m.label === 'telemetry' && m.text === 'tick'), 'Bob did not receive the telemetry message');
    await sdk(pa, (s) => s.close('telemetry'));
    await eventually(async () => (await sdk(pb, (s) => s.dataConsumers())) === before, 'Bob\'s data consumer stayed after Ada closed the channel');
    if ((await sdk(pa, (s) => s.readyState('telemetry'))) === 'open') throw new Error('the closed channel still reads open');
  });

  for (const p of [a, b] as (SdkParticipant | null)[]) {
    if (!p) continue;
    await sdk(p, (s) => s.leave()).catch(() => undefined);
    await p.context.close().catch(() => undefined);
  }
}
