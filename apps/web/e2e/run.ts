/**
 * Browser end-to-end tests: `nx run web:e2e` (builds the web app first).
 *
 * Starts the built API (serving the built web app) on a free loopback port with
 * dev tokens, drives Debian's Chromium (fake camera/mic) with playwright-core, one
 * browser context per participant, and prints a summary ending in
 * `e2e: N passed, N failed, N skipped`. Media scenarios need a real mediasoup
 * worker; when one exists and we are root, the whole run is re-executed in a
 * loopback-only network namespace so no RTP leaves the machine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, ROOT, Results, ensureBuilds, findWorker, launchBrowser, log, startApi, type Api } from './harness';
import { runClusterScenarios } from './cluster-scenarios';
import { runModerationScenarios } from './moderation-scenarios';
import { runRecordingScenarios } from './recording-scenarios';
import { runScenarios } from './scenarios';
import { runSdkScenarios } from './sdk-scenarios';

const NETNS_FLAG = 'CONFER_E2E_NETNS';

/** Re-runs this script inside `unshare -n` (loopback only). Returns its exit code, or null if unshare is not possible. */
function reexecInLoopbackNamespace(): number | null {
  const inner = [process.execPath, ...process.execArgv, ...process.argv.slice(1)].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const result = spawnSync('unshare', ['-n', 'bash', '-c', `ip link set lo up && exec env ${NETNS_FLAG}=1 ${inner}`], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.error || result.status === null) return null;
  // unshare itself failing (no permission) exits 1 before our script prints anything.
  return result.status;
}

async function main(): Promise<number> {
  const started = Date.now();
  mkdirSync(ARTIFACTS, { recursive: true });
  const worker = findWorker();
  const isRoot = process.getuid?.() === 0;
  const inNamespace = process.env[NETNS_FLAG] === '1';

  if (worker && isRoot && !inNamespace && process.env['E2E_NO_NETNS'] !== '1') {
    log(`mediasoup worker found at ${worker}: re-running inside a loopback-only network namespace`);
    const code = reexecInLoopbackNamespace();
    if (code !== null) return code;
    log('unshare -n is not available; media scenarios will be skipped to keep packets off the network');
  }

  const results = new Results();
  const allNames = ['all scenarios'];
  const browserMissing = process.env['E2E_NO_BROWSER'] ?? (existsSync(process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium') ? null : 'no Chromium at /usr/bin/chromium (apt-get install chromium, or set CHROMIUM_PATH)');
  if (browserMissing) {
    results.skipAll(allNames, browserMissing);
    return finish(results, started);
  }

  ensureBuilds();
  rmSync(path.join(ARTIFACTS, 'api.log'), { force: true });
  let api: (Api & { port: number; secret: string }) | null = null;
  let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null;
  try {
    api = await startApi();
    log(`API at ${api.baseUrl}; media ${api.mediaAvailable ? 'available' : `unavailable (${api.mediaDetail || 'no worker'})`}`);
    let mediaSkip: string | null = null;
    if (!api.mediaAvailable) {
      const why = worker ? api.mediaDetail || `worker at ${worker} did not start` : 'none at MEDIASOUP_WORKER_BIN, /usr/local/lib/mediasoup/mediasoup-worker-3.27.1 or node_modules/mediasoup';
      mediaSkip = `needs a real mediasoup worker: ${why}; the UI-level flows ran against the server without media`;
    } else if (!inNamespace && isRoot && process.env['E2E_NO_NETNS'] !== '1') {
      mediaSkip = 'could not isolate the run in a loopback-only network namespace';
    }
    browser = await launchBrowser();
    log(`Chromium ${browser.version()}`);
    const restartApi = async (downtime: () => Promise<void>): Promise<number | null> => {
      if (!api) throw new Error('no API');
      const { port, secret } = api;
      const exitCode = await api.stop();
      try {
        await downtime();
      } finally {
        // Later scenarios need the server whatever happened meanwhile.
        api = await startApi({ port, secret });
      }
      return exitCode;
    };
    const apiPid = (): number => api?.pid ?? -1;
    // E2E_ONLY=moderation (or recording, sdk, cluster) runs those scenarios alone (quicker while working on them).
    const only = process.env['E2E_ONLY'];
    if (!only) {
      await runScenarios({ browser, baseUrl: api.baseUrl, results, mediaSkip, mediaAvailable: api.mediaAvailable, restartApi, apiPid });
    }
    if (!api) throw new Error('the API did not come back after the restart scenarios');
    if (!only || only === 'moderation') await runModerationScenarios({ browser, baseUrl: api.baseUrl, results, mediaSkip });
    if (!only || only === 'recording') await runRecordingScenarios({ browser, baseUrl: api.baseUrl, results, mediaSkip });
    if (!only || only === 'sdk') await runSdkScenarios({ browser, baseUrl: api.baseUrl, results, mediaSkip });
    if (!only || only === 'cluster') await runClusterScenarios({ browser, results, mediaSkip });
  } catch (error) {
    results.outcomes.push({ name: 'harness', status: 'failed', detail: (error as Error).message, ms: 0 });
    log(`harness failed: ${(error as Error).stack ?? error}`);
  } finally {
    await browser?.close().catch(() => undefined);
    await api?.stop();
  }
  return finish(results, started);
}

function finish(results: Results, started: number): number {
  const { passed, failed, skipped } = results.summary();
  process.stdout.write(`artifacts (screenshots, api.log): ${ARTIFACTS}\n`);
  process.stdout.write(`duration: ${Math.round((Date.now() - started) / 1000)} s\n`);
  process.stdout.write(`e2e: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[e2e] ${(error as Error)?.stack ?? String(error)}\n`);
    process.stdout.write('e2e: 0 passed, 1 failed, 0 skipped\n');
    process.exit(1);
  },
);
