/**
 * Benchmark 4: beyond one worker. A 1 → N broadcast (one VP8 + Opus producer fed by
 * ffmpeg) whose subscribers are spread over routers on every worker with
 * pipeToRouter(), against the same broadcast kept on the producer's worker alone (the two
 * interleaved step by step, the idle one's producers paused).
 * Bare mediasoup: Confer's rooms do not span workers yet (one router per room).
 * Reports subscribers carried, CPU per worker and loss. Needs a real worker.
 *
 *   npm run nx -- run tools:bench-multi-worker [-- --quick] [--subscribers 200,400] [--workers 2] [--threshold 100]
 */
import os from 'node:os';
import type { Producer, Router, Worker } from 'mediasoup/types';
/* eslint-disable @nx/enforce-module-boundaries -- same codecs and worker resolution as the API */
import { ROUTER_MEDIA_CODECS } from '../../apps/api/src/rooms/media-codecs';
import { realMediasoup } from '../../apps/api/src/workers/mediasoup-api';
import { resolveWorkerBin } from '../../apps/api/src/workers/worker-bin';
/* eslint-enable @nx/enforce-module-boundaries */
import { lineChartSvg, machineInfo, printTable, writeResults, type Row } from './lib/report';
import { intList, parseArgs, sleep } from './support/args';
import { addSubscriber, countedOf, ensureMediaFile, forwardingLossPct, producerInput, RtpSink, startFeed, workerCpuSeconds, type Feed, type Subscriber } from './support/plain-rtp';

const args = parseArgs(process.argv.slice(2));
const quick = args.has('quick');
const sweep = intList(args.get('subscribers'), quick ? [100, 300] : [200, 400, 600, 800, 1000, 1200]);
const numWorkers = Number(args.get('workers') ?? Math.max(2, os.cpus().length));
/** Subscribers kept on the producer's router before new ones go to the other workers (default: spread evenly). */
const threshold = args.has('threshold') ? Number(args.get('threshold')) : undefined;
/** Count every k-th subscriber's packets (the rest go to a socket nobody reads). */
const sampleEvery = Number(args.get('sample-every') ?? 4);
const windowS = Number(args.get('window') ?? (quick ? 3 : 5));
const maxLoss = 0.01;
const maxCpu = 90;
const resolution = resolveWorkerBin();

interface Step {
  mode: 'one worker' | 'piped';
  subscribers: number;
  perWorker: Array<{ worker: number; subscribers: number; cpuPct: number }>;
  totalWorkerCpuPct: number;
  benchProcessCpuPct: number;
  packetsOutPerSecond: number;
  /** Loss at the sinks, in %. */
  lossPct: number;
  /** Packets the producer lost on input (ffmpeg → worker 0) during the window. */
  inputLost: number;
  /** Sink loss minus input loss: what the workers dropped, in %. */
  forwardingLossPct: number;
  saturated: boolean;
  /** Why the sweep stopped here (see forwarding-capacity.ts), '' when it did not. */
  stopReason: string;
  /** 1-minute load average at the end of the window (other work on the box skews results). */
  load1: number;
}

interface Place {
  router: Router;
  worker: Worker;
  index: number;
  producers: Producer[];
  subs: Subscriber[];
  /** Subscribers placed here (counted before they are created, so a batch spreads). */
  count: number;
}

/** Where the next subscriber goes: the origin up to `threshold`, then the least loaded router. */
function pick(places: Place[]): Place {
  const [origin, ...others] = places;
  if (others.length === 0) return origin;
  const cap = threshold ?? Number.POSITIVE_INFINITY;
  const candidates = origin.count < cap ? places : others;
  return candidates.reduce((best, p) => (p.count < best.count ? p : best), candidates[0]);
}

/** One set-up of the broadcast: its feed, routers (piped from the first), sink and steps. */
interface Lane {
  mode: Step['mode'];
  feed: Feed;
  routers: Router[];
  places: Place[];
  sink: RtpSink;
  total: number;
  steps: Step[];
  done: boolean;
}

async function lane(mode: Step['mode'], workers: Worker[]): Promise<Lane> {
  const used = mode === 'one worker' ? workers.slice(0, 1) : workers;
  const routers = await Promise.all(used.map((w) => w.createRouter({ mediaCodecs: ROUTER_MEDIA_CODECS })));
  const feed = await startFeed(routers[0]);
  const sink = await RtpSink.open(16, sampleEvery);
  const places: Place[] = [{ router: routers[0], worker: used[0], index: 0, producers: [feed.video, feed.audio], subs: [], count: 0 }];
  for (let i = 1; i < routers.length; i++) {
    // One pipe per remote router; its consumers are then local to that worker.
    const producers: Producer[] = [];
    for (const p of [feed.video, feed.audio]) {
      const { pipeProducer } = await routers[0].pipeToRouter({ producerId: p.id, router: routers[i] });
      if (!pipeProducer) throw new Error('pipeToRouter returned no producer');
      producers.push(pipeProducer);
    }
    places.push({ router: routers[i], worker: used[i], index: i, producers, subs: [], count: 0 });
  }
  return { mode, feed, routers, places, sink, total: 0, steps: [], done: false };
}

async function grow(l: Lane, n: number): Promise<void> {
  while (l.total < n) {
    const batch = Array.from({ length: Math.min(25, n - l.total) }, () => {
      const place = pick(l.places);
      place.count++;
      return place;
    });
    const base = l.total;
    const made = await Promise.all(batch.map((place, k) => addSubscriber(place.router, place.producers, l.sink.port(base + k), false)));
    batch.forEach((place, k) => place.subs.push(made[k]));
    l.total += batch.length;
  }
}

async function measure(l: Lane, n: number): Promise<Step> {
  const { feed, places, sink } = l;
  await sleep(2500); // a key frame (every 2 s in the clip) reaches every consumer after resume
  sink.reset();
  const in0 = await producerInput([feed.video, feed.audio]);
  const cpu0 = await Promise.all(places.map((p) => workerCpuSeconds(p.worker)));
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(windowS * 1000);
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = await Promise.all(places.map((p) => workerCpuSeconds(p.worker)));
  const own1 = process.cpuUsage(own0);
  const tot = sink.totals();
  const sampled = countedOf(sink, n);
  const lossPct = tot.expected > 0 ? Math.max(0, 1 - tot.received / tot.expected) * 100 : 100;
  const in1 = await producerInput([feed.video, feed.audio]);
  const input = { packets: in1.packets - in0.packets, lost: in1.lost - in0.lost };
  const fwdLossPct = forwardingLossPct(lossPct, input);
  const perWorker = places.map((p, i) => ({ worker: p.index, subscribers: p.subs.length, cpuPct: ((cpu1[i] - cpu0[i]) / wall) * 100 }));
  const step: Step = {
    mode: l.mode,
    subscribers: n,
    perWorker,
    totalWorkerCpuPct: perWorker.reduce((s, w) => s + w.cpuPct, 0),
    benchProcessCpuPct: ((own1.user + own1.system) / 1e6 / wall) * 100,
    packetsOutPerSecond: (tot.received / wall) * (n / sampled),
    lossPct,
    inputLost: input.lost,
    forwardingLossPct: fwdLossPct,
    load1: os.loadavg()[0],
    saturated: false,
    stopReason: perWorker.some((w) => w.cpuPct > maxCpu)
      ? 'worker CPU'
      : fwdLossPct > maxLoss * 100
        ? 'forwarding loss'
        : input.lost > maxLoss * (input.packets + input.lost)
          ? 'input loss'
          : tot.streams < sampled * 2
            ? 'missing streams'
            : '',
  };
  step.saturated = step.stopReason !== '';
  console.log(`  ${l.mode} N=${n}: ${perWorker.map((w) => `w${w.worker} ${w.subscribers} subs ${w.cpuPct.toFixed(0)}%`).join(', ')}; ${step.packetsOutPerSecond.toFixed(0)} pkt/s, loss ${lossPct.toFixed(2)}% (input lost ${input.lost}, forwarding loss ${fwdLossPct.toFixed(2)}%), load ${step.load1.toFixed(1)}`);
  return step;
}

/**
 * Both set-ups live side by side; at every step only one forwards (the other's
 * producers are paused) and the order alternates, so outside load hits both alike.
 */
async function sweepBoth(workers: Worker[]): Promise<{ one: Step[]; piped: Step[] }> {
  const lanes = [await lane('one worker', workers), await lane('piped', workers)];
  try {
    for (const [i, n] of sweep.entries()) {
      const order = i % 2 === 0 ? lanes : [...lanes].reverse();
      for (const l of order) {
        if (l.done) continue;
        for (const other of lanes) await Promise.all([other.feed.video, other.feed.audio].map((p) => (other === l ? p.resume() : p.pause())));
        await grow(l, n);
        const step = await measure(l, n);
        l.steps.push(step);
        if (step.saturated) l.done = true;
      }
      if (lanes.every((l) => l.done)) break;
    }
  } finally {
    for (const l of lanes) {
      l.feed.stop();
      l.sink.close();
      for (const r of l.routers) r.close();
    }
  }
  return { one: lanes[0].steps, piped: lanes[1].steps };
}

async function main(): Promise<void> {
  const machine = machineInfo(resolution.path);
  console.log(`multi-worker broadcast | workers=${numWorkers} subscribers=${sweep.join(',')} threshold=${threshold ?? 'even spread'} window=${windowS}s; packets counted on every ${sampleEvery}th subscriber`);
  console.log(`machine: ${JSON.stringify(machine)}`);
  if (!resolution.path) {
    console.log(`skipped: needs a real mediasoup worker — ${resolution.detail}`);
    return;
  }
  ensureMediaFile();
  const api = await realMediasoup.load(resolution);
  const workers = await Promise.all(Array.from({ length: numWorkers }, () => api.createWorker({ logLevel: 'error', workerBin: resolution.path ?? undefined })));
  try {
    const { one, piped } = await sweepBoth(workers);
    const rows: Row[] = [...one, ...piped].map((s) => ({
      mode: s.mode,
      subscribers: s.subscribers,
      'subs per worker': s.perWorker.map((w) => w.subscribers).join(' / '),
      'CPU % per worker': s.perWorker.map((w) => w.cpuPct.toFixed(0)).join(' / '),
      'pkt/s out (est.)': Math.round(s.packetsOutPerSecond),
      'loss %': s.lossPct,
      'input lost': s.inputLost,
      'fwd loss %': s.forwardingLossPct,
      'bench proc CPU %': s.benchProcessCpuPct,
      load: s.load1,
      stop: s.stopReason,
    }));
    printTable(`1 → N broadcast: one worker vs ${numWorkers} workers joined by pipeToRouter (bare mediasoup)`, rows);
    const carried = (steps: Step[]): number => steps.filter((s) => !s.saturated).reduce((m, s) => Math.max(m, s.subscribers), 0);
    const summary = { oneWorkerCarried: carried(one), pipedCarried: carried(piped), workers: numWorkers, threshold: threshold ?? null };
    printTable('Subscribers carried (forwarding loss <= 1 %, every worker <= 90 % CPU)', [
      { mode: 'one worker', subscribers: summary.oneWorkerCarried },
      { mode: `${numWorkers} workers, piped`, subscribers: summary.pipedCarried },
    ]);
    const svg = lineChartSvg('1 → N broadcast: worker CPU vs subscribers', 'subscribers', 'worker CPU % (of one core)', [
      { name: 'one worker', points: one.map((s) => ({ x: s.subscribers, y: s.perWorker[0].cpuPct })) },
      ...Array.from({ length: numWorkers }, (_, i) => ({
        name: `piped: worker ${i}`,
        points: piped.map((s) => ({ x: s.subscribers, y: s.perWorker[i]?.cpuPct ?? 0 })),
      })),
    ]);
    writeResults('multi-worker', { benchmark: 'multi-worker', machine, settings: { sweep, numWorkers, threshold: threshold ?? null, windowS, sampleEvery }, summary, steps: [...one, ...piped] }, svg);
  } finally {
    for (const w of workers) w.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
