/**
 * The API booted the way main.ts boots it, as a child process of a benchmark, with
 * mediasoup chosen by BENCH_BACKEND: `fake` (the test double: our own code's overhead)
 * or `real` (the worker resolveWorkerBin() finds). Prints `READY <port>` on stdout and
 * exits when stdin closes, so a crashed benchmark never leaves it behind. BENCH_HISTORY=off
 * mutes the meeting history / audit sink (a diagnostic: `signaling-overhead.ts --history off`).
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
/* eslint-disable @nx/enforce-module-boundaries -- a benchmark boots the API's own code in a child process */
import { createAppWith } from '../../../apps/api/src/testing/create-app-with';
import { loadConfig } from '../../../apps/api/src/config/app-config';
import { realMediasoup } from '../../../apps/api/src/workers/mediasoup-api';
import { FakeMediasoup, fakeMediasoupSource } from '../../../apps/api/src/testing/mediasoup-double';
import { HistorySink } from '../../../apps/api/src/history/history-sink';
import { MetricsService } from '../../../apps/api/src/metrics/metrics.service';
/* eslint-enable @nx/enforce-module-boundaries */

async function main(): Promise<void> {
  const backend = process.env['BENCH_BACKEND'] === 'real' ? 'real' : 'fake';
  const config = loadConfig(process.env);
  const source = backend === 'real' ? realMediasoup : fakeMediasoupSource(new FakeMediasoup());
  const app = await createAppWith(config, source);
  // Diagnostic only (`--history off`): the meeting history and audit sink drops every event,
  // to tell its database writes' cost from the rest. Never the default: results are with it.
  if (process.env['BENCH_HISTORY'] === 'off') app.get(HistorySink).emit = () => undefined;
  await app.listen(config.port, config.host);
  const { port } = app.getHttpServer().address() as AddressInfo;
  process.stdout.write(`READY ${port}\n`);
  const stop = (): void => {
    void app.close().finally(() => process.exit(0));
  };
  const loop = loopStats(app.get(MetricsService));
  // `gc` on stdin: collect garbage (the child runs with --expose-gc) so RSS samples are comparable.
  // `mark`: start the event-loop and GC statistics afresh; `loop`: print them (`LOOP {json}`).
  process.stdin.on('data', (d: Buffer) => {
    const text = d.toString();
    if (text.includes('gc')) (globalThis as { gc?: () => void }).gc?.();
    if (text.includes('mark')) loop.reset();
    if (text.includes('loop')) void loop.read().then((stats) => process.stdout.write(`LOOP ${JSON.stringify(stats)}\n`));
  });
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
}

/** The main thread's event-loop delay and the GC pauses since the last reset: where a signaling tail comes from. */
function loopStats(metrics: MetricsService): { reset(): void; read(): Promise<Record<string, unknown>> } {
  // The request-duration histogram read in-process: a /metrics scrape would also collect the
  // default metrics (a readdir of /proc/self/fd over 1000 sockets), a stall of its own.
  const durations = async (): Promise<Map<string, number>> => {
    const metric = await metrics.registry.getSingleMetric('confer_signaling_request_seconds')?.get();
    const counts = new Map<string, number>();
    for (const v of metric?.values ?? []) {
      if ((v as { metricName?: string }).metricName?.endsWith('_bucket')) counts.set(`${String(v.labels['method'])}|${String(v.labels['le'])}`, v.value);
    }
    return counts;
  };
  let durationsAtMark: Promise<Map<string, number>> = durations();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let pauses: number[] = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push(entry.duration);
  }).observe({ entryTypes: ['gc'] });
  return {
    reset: () => {
      delay.reset();
      pauses = [];
      durationsAtMark = durations();
    },
    read: async () => {
      const [before, after] = [await durationsAtMark, await durations()];
      const requestBuckets: Record<string, number> = {};
      for (const [key, count] of after) requestBuckets[key] = count - (before.get(key) ?? 0);
      const sorted = [...pauses].sort((a, b) => a - b);
      return {
        delayP50Ms: delay.percentile(50) / 1e6,
        delayP99Ms: delay.percentile(99) / 1e6,
        delayMaxMs: delay.max / 1e6,
        gcCount: sorted.length,
        gcTotalMs: sorted.reduce((a, b) => a + b, 0),
        gcP99Ms: sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] : 0,
        gcMaxMs: sorted.at(-1) ?? 0,
        heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
        requestBuckets,
      };
    },
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`bench-server: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
