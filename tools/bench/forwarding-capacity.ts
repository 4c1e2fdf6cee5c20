/**
 * Benchmark 3: forwarding capacity of one worker. ffmpeg feeds a pre-encoded VP8 + Opus
 * clip (~1.1 Mbit/s) into PlainTransport producers; subscribers (a PlainTransport with a
 * video and an audio consumer each) send to UDP sinks on 127.0.0.1 that count packets and
 * sequence gaps. The subscriber count grows until the loss the worker adds (sink loss
 * minus the producers' input loss) passes 1 % or the worker's CPU passes 90 %.
 * The same sweep runs twice in one run, interleaved step by step (one forwards while the
 * other's producers are paused): on a room router made by our RoomRoutersService (with the
 * room's active speaker observer, consumers paused then resumed as SubscriptionsService does) and
 * on a bare mediasoup router with the same codecs, each on its own worker. Needs a real worker.
 *
 *   npm run nx -- run tools:bench-forwarding [-- --quick] [--subscribers 50,100,200] [--window 5]
 */
import os from 'node:os';
import { Logger } from '@nestjs/common';
import type { ActiveSpeakerObserver, Router, Worker } from 'mediasoup/types';
/* eslint-disable @nx/enforce-module-boundaries -- the benchmark measures the API's own media code */
import { loadConfig } from '../../apps/api/src/config/app-config';
import { ROUTER_MEDIA_CODECS } from '../../apps/api/src/rooms/media-codecs';
import { LeastLoadedPlacement } from '../../apps/api/src/policies/worker-placement';
import { RoomRoutersService } from '../../apps/api/src/rooms/room-routers.service';
import { realMediasoup } from '../../apps/api/src/workers/mediasoup-api';
import { resolveWorkerBin } from '../../apps/api/src/workers/worker-bin';
import { WorkerHealthService } from '../../apps/api/src/workers/worker-health.service';
import { WorkerPoolService } from '../../apps/api/src/workers/worker-pool.service';
/* eslint-enable @nx/enforce-module-boundaries */
import { lineChartSvg, machineInfo, printTable, writeResults, type Row } from './lib/report';
import { intList, parseArgs, sleep } from './support/args';
import { addSubscriber, countedOf, ensureMediaFile, forwardingLossPct, producerInput, RtpSink, startFeed, workerCpuSeconds, type Feed, type Subscriber } from './support/plain-rtp';

const args = parseArgs(process.argv.slice(2));
const quick = args.has('quick');
const sweep = intList(args.get('subscribers'), quick ? [25, 100, 200] : [50, 100, 200, 300, 400, 600, 800, 1000]);
/** Count every k-th subscriber's packets (the rest go to a socket nobody reads). */
const sampleEvery = Number(args.get('sample-every') ?? 4);
const windowS = Number(args.get('window') ?? (quick ? 3 : 5));
const maxLoss = Number(args.get('max-loss') ?? 0.01);
const maxCpu = Number(args.get('max-cpu') ?? 90);
const resolution = resolveWorkerBin();

/** One step of the sweep. */
export interface Step {
  mode: 'ours' | 'bare';
  subscribers: number;
  consumers: number;
  workerCpuPct: number;
  benchProcessCpuPct: number;
  packetsOutPerSecond: number;
  mbitOutPerSecond: number;
  /** Loss at the sinks (sequence gaps), in %. */
  lossPct: number;
  /** Packets the producers lost on input (ffmpeg → worker) during the window. */
  producerLost: number;
  /** Sink loss minus input loss: what the worker itself dropped, in %. */
  forwardingLossPct: number;
  saturated: boolean;
  /** Why the sweep stopped here: worker CPU, loss the worker added, or input loss (the feeder was starved or the worker's input overflowed). */
  stopReason: string;
  /** 1-minute load average at the end of the window (other work on the box skews results). */
  load1: number;
}

interface Target {
  router: Router;
  worker: Worker;
  serverStyle: boolean;
  observer?: ActiveSpeakerObserver;
  close(): Promise<void>;
}

async function oursTarget(): Promise<Target> {
  // The room router exactly as RoomsService gets it: RoomRoutersService.createRoomMedia().
  const config = loadConfig({ JWT_SECRET: 'bench-secret-0123456789abcdef', MEDIASOUP_NUM_WORKERS: '1', MEDIASOUP_LOG_LEVEL: 'error', LOG_LEVEL: 'silent' });
  const service = new WorkerPoolService(config, realMediasoup, new LeastLoadedPlacement());
  await service.onModuleInit();
  if (!service.available) throw new Error(`WorkerPoolService has no worker: ${service.unavailable}`);
  const media = await new RoomRoutersService(config, service, new WorkerHealthService(service)).createRoomMedia('bench-forwarding');
  return {
    router: media.router,
    worker: service.workerEntries[0].worker,
    serverStyle: true,
    observer: media.activeSpeakerObserver,
    close: () => service.onModuleDestroy(),
  };
}

async function bareTarget(): Promise<Target> {
  const api = await realMediasoup.load(resolution);
  const worker = await api.createWorker({ logLevel: 'error', workerBin: resolution.path ?? undefined });
  const router = await worker.createRouter({ mediaCodecs: ROUTER_MEDIA_CODECS });
  return {
    router,
    worker,
    serverStyle: false,
    close: async () => worker.close(),
  };
}

interface Lane {
  mode: 'ours' | 'bare';
  target: Target;
  sink: RtpSink;
  feed: Feed;
  subs: Subscriber[];
  steps: Step[];
  done: boolean;
}

async function lane(mode: 'ours' | 'bare'): Promise<Lane> {
  const target = mode === 'ours' ? await oursTarget() : await bareTarget();
  const sink = await RtpSink.open(16, sampleEvery);
  const feed = await startFeed(target.router);
  if (target.serverStyle) {
    // What ProducersService does with a produced track.
    feed.video.on('score', () => undefined);
    feed.audio.on('score', () => undefined);
    await target.observer?.addProducer({ producerId: feed.audio.id });
  }
  return { mode, target, sink, feed, subs: [], steps: [], done: false };
}

/** Measures one lane at `n` subscribers while the other lane's producers are paused. */
async function measure(l: Lane, n: number): Promise<Step> {
  const { target, sink, feed } = l;
  await sleep(2500); // a key frame (every 2 s in the clip) reaches every consumer after resume
  sink.reset();
  const in0 = await producerInput([feed.video, feed.audio]);
  const cpu0 = await workerCpuSeconds(target.worker);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(windowS * 1000);
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = await workerCpuSeconds(target.worker);
  const own1 = process.cpuUsage(own0);
  const tot = sink.totals();
  const sampled = countedOf(sink, n);
  const lossPct = tot.expected > 0 ? Math.max(0, 1 - tot.received / tot.expected) * 100 : 100;
  const in1 = await producerInput([feed.video, feed.audio]);
  const input = { packets: in1.packets - in0.packets, lost: in1.lost - in0.lost };
  const fwdLossPct = forwardingLossPct(lossPct, input);
  const workerCpuPct = ((cpu1 - cpu0) / wall) * 100;
  const step: Step = {
    mode: l.mode,
    subscribers: n,
    consumers: n * 2,
    workerCpuPct,
    benchProcessCpuPct: ((own1.user + own1.system) / 1e6 / wall) * 100,
    packetsOutPerSecond: (tot.received / wall) * (n / sampled),
    mbitOutPerSecond: ((tot.bytes * 8) / wall / 1e6) * (n / sampled),
    lossPct,
    producerLost: input.lost,
    forwardingLossPct: fwdLossPct,
    load1: os.loadavg()[0],
    saturated: false,
    stopReason: stopReason({ workerCpuPct, fwdLossPct, input, streams: tot.streams, expectedStreams: sampled * 2 }),
  };
  step.saturated = step.stopReason !== '';
  console.log(`  ${l.mode} subscribers=${n}: worker CPU ${workerCpuPct.toFixed(0)}%, ${step.packetsOutPerSecond.toFixed(0)} pkt/s out, loss ${lossPct.toFixed(2)}%, input lost ${input.lost}/${input.packets + input.lost}, forwarding loss ${fwdLossPct.toFixed(2)}%, streams ${tot.streams}/${sampled * 2}, load ${step.load1.toFixed(1)}`);
  return step;
}

/**
 * Both set-ups live side by side, each on its own worker with its own feed; at every
 * step only one forwards (the other's producers are paused) and the order alternates,
 * so load from elsewhere on the box falls on both alike.
 */
async function sweepBoth(): Promise<{ ours: Step[]; bare: Step[] }> {
  const lanes = [await lane('ours'), await lane('bare')];
  try {
    for (const [i, n] of sweep.entries()) {
      const order = i % 2 === 0 ? lanes : [...lanes].reverse();
      for (const l of order) {
        if (l.done) continue;
        for (const other of lanes) {
          const producers = [other.feed.video, other.feed.audio];
          await Promise.all(producers.map((p) => (other === l ? p.resume() : p.pause())));
        }
        while (l.subs.length < n) {
          const batch = Math.min(25, n - l.subs.length);
          const base = l.subs.length;
          l.subs.push(...(await Promise.all(Array.from({ length: batch }, (_, k) => addSubscriber(l.target.router, [l.feed.video, l.feed.audio], l.sink.port(base + k), l.target.serverStyle)))));
        }
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
      await l.target.close();
    }
  }
  return { ours: lanes[0].steps, bare: lanes[1].steps };
}

/** Why a step ends the sweep ('' when it does not). */
function stopReason(m: { workerCpuPct: number; fwdLossPct: number; input: { packets: number; lost: number }; streams: number; expectedStreams: number }): string {
  if (m.workerCpuPct > maxCpu) return 'worker CPU';
  if (m.fwdLossPct > maxLoss * 100) return 'forwarding loss';
  if (m.input.lost > maxLoss * (m.input.packets + m.input.lost)) return 'input loss';
  if (m.streams < m.expectedStreams) return 'missing streams';
  return '';
}

/** Largest subscriber count that was not saturated (0 when even the first step was). */
export function capacity(steps: readonly Step[]): number {
  return steps.filter((s) => !s.saturated).reduce((m, s) => Math.max(m, s.subscribers), 0);
}

async function main(): Promise<void> {
  Logger.overrideLogger(['error', 'warn']);
  const machine = machineInfo(resolution.path);
  console.log(`forwarding capacity | subscribers=${sweep.join(',')} window=${windowS}s stop at forwarding loss>${maxLoss * 100}% or worker CPU>${maxCpu}%; packets counted on every ${sampleEvery}th subscriber`);
  console.log(`machine: ${JSON.stringify(machine)}`);
  if (!resolution.path) {
    console.log(`skipped: needs a real mediasoup worker — ${resolution.detail}`);
    return;
  }
  ensureMediaFile();
  const { ours, bare } = await sweepBoth();
  const rows: Row[] = [...ours, ...bare].map((s) => ({
    mode: s.mode,
    subscribers: s.subscribers,
    consumers: s.consumers,
    'worker CPU %': s.workerCpuPct,
    'pkt/s out (est.)': Math.round(s.packetsOutPerSecond),
    'Mbit/s out (est.)': s.mbitOutPerSecond,
    'loss %': s.lossPct,
    'input lost': s.producerLost,
    'fwd loss %': s.forwardingLossPct,
    'bench proc CPU %': s.benchProcessCpuPct,
    load: s.load1,
    stop: s.stopReason,
  }));
  printTable('Forwarding on one worker (1 VP8+Opus producer; each subscriber = PlainTransport + 2 consumers)', rows);
  const capOurs = capacity(ours);
  const capBare = capacity(bare);
  const best = (steps: Step[]): Step | undefined => steps.filter((s) => !s.saturated).at(-1);
  const summary = {
    oursCapacity: capOurs,
    bareCapacity: capBare,
    ratio: capBare > 0 ? capOurs / capBare : Number.NaN,
    oursPacketsPerSecondPerWorker: best(ours)?.packetsOutPerSecond ?? 0,
    barePacketsPerSecondPerWorker: best(bare)?.packetsOutPerSecond ?? 0,
    reachedEndOfSweep: { ours: ours.length === sweep.length && !ours.at(-1)?.saturated, bare: bare.length === sweep.length && !bare.at(-1)?.saturated },
  };
  printTable('Capacity (largest subscriber count with forwarding loss <= 1 % and worker CPU <= 90 %)', [
    { mode: 'ours', subscribers: capOurs, 'pkt/s per worker': Math.round(summary.oursPacketsPerSecondPerWorker) },
    { mode: 'bare', subscribers: capBare, 'pkt/s per worker': Math.round(summary.barePacketsPerSecondPerWorker) },
    { mode: 'ours / bare', subscribers: summary.ratio, 'pkt/s per worker': '' },
  ]);
  if (summary.reachedEndOfSweep.ours || summary.reachedEndOfSweep.bare) console.log('note: the sweep ended before saturation; capacity is at least the last step (raise --subscribers)');
  const svg = lineChartSvg('One worker: CPU vs subscribers (VP8 1 Mbit/s + Opus)', 'subscribers', 'worker CPU % / loss % x10', [
    { name: 'ours CPU %', points: ours.map((s) => ({ x: s.subscribers, y: s.workerCpuPct })) },
    { name: 'bare CPU %', points: bare.map((s) => ({ x: s.subscribers, y: s.workerCpuPct })) },
    { name: 'ours loss % x10', points: ours.map((s) => ({ x: s.subscribers, y: s.lossPct * 10 })) },
    { name: 'bare loss % x10', points: bare.map((s) => ({ x: s.subscribers, y: s.lossPct * 10 })) },
  ]);
  writeResults('forwarding-capacity', { benchmark: 'forwarding-capacity', machine, settings: { sweep, windowS, maxLoss, maxCpu, sampleEvery }, summary, steps: [...ours, ...bare] }, svg);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
