/**
 * Benchmark: what server-side recording costs (issue 13). The API's recording
 * stack runs in this process against the real worker, as the recording e2e
 * does (TestServer + RecordingService); a meeting of --participants (4) is
 * injected over RTP: each participant is an ffmpeg (`-re`) sending a 640x360
 * 30 fps VP8 camera (testsrc2) and an Opus mic (sine) into PlainTransport
 * producers. Unless `--forward false`, each participant also receives the
 * others (a PlainTransport with their video and audio consumers, sent to a UDP
 * port nobody reads), so the worker forwards what a real meeting forwards.
 *
 * For --rounds rounds, in turn:
 *   reference — the meeting for --duration s without recording: CPU of the
 *               worker, this process (the API) and the sender ffmpegs from
 *               /proc/<pid>/stat (utime + stime deltas);
 *   recording — `RecordingService.start()`, then the same window with
 *               recording: the same processes plus the recorder ffmpegs (one
 *               per track, `-c copy` into Matroska); then `stop()`: the mix
 *               (one ffmpeg, libx264 + AAC), its CPU-seconds (reaped children's
 *               CPU of this process) and wall time, per minute of meeting.
 * `--sender copy` sends a pre-encoded clip instead (senders nearly free: on a
 * small box the live encoders take most of the CPU).
 * Then --starts starts: ms from calling `start()` to the first video track
 * file holding a Matroska Cluster (its first frame written), polled every 10 ms
 * in the recording's working folder; also to every video track's first frame.
 *
 *   node -r @swc-node/register tools/bench/recording.ts [--quick] [--duration 15] [--rounds 3] [--starts 5] [--participants 4] [--forward false]
 *   (SWC_NODE_PROJECT=apps/api/tsconfig.serve.json)
 */
import 'reflect-metadata';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import type { PlainTransport } from 'mediasoup/types';
/* eslint-disable @nx/enforce-module-boundaries -- the API's recording stack in-process, as its e2e runs it */
import { RecordingService } from '../../apps/api/src/recording/recording.service';
import { WorkerPoolService } from '../../apps/api/src/workers/worker-pool.service';
import { realBackend, realWorker } from '../../apps/api/test/support/backends';
import { TestServer } from '../../apps/api/test/support/test-server';
/* eslint-enable @nx/enforce-module-boundaries */
import { lineChartSvg, machineInfo, percentile, printTable, writeResults, type Row } from './lib/report';
import { parseArgs, sleep } from './support/args';
import { childPids, parseStat } from './support/proc';
import { ensureMediaFile } from './support/plain-rtp';
import { joinRtpParticipant, type RtpParticipant } from './support/rtp-participant';

const args = parseArgs(process.argv.slice(2));
const quick = args.has('quick');
const duration = Number(args.get('duration') ?? (quick ? 6 : 15));
const rounds = Number(args.get('rounds') ?? (quick ? 1 : 3));
const startCount = Number(args.get('starts') ?? (quick ? 3 : 5));
const participantCount = Number(args.get('participants') ?? 4);
const forward = args.get('forward') !== 'false';
/** `encode` (default): each sender encodes testsrc2 live with libvpx; `copy`: a pre-encoded clip (plain-rtp.ts) sent as is, senders nearly free. */
const senderMode = args.get('sender') === 'copy' ? 'copy' : 'encode';
const FFMPEG = process.env['FFMPEG_PATH'] ?? 'ffmpeg';
const ROOM = 'bench-rec';
const CLK_TCK = 100;

const hasTool = (bin: string, arg = '-version'): boolean => spawnSync(bin, [arg], { stdio: 'ignore' }).status === 0;

/** CPU-seconds (user + system) of a live process, or null when it is gone. */
function cpu(pid: number): number | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).cpuSeconds;
  } catch {
    return null;
  }
}

/** CPU-seconds of this process's children that exited and were reaped (cutime + cstime). */
function reapedChildrenCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[13]) + Number(rest[14])) / CLK_TCK;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** This process's ffmpeg children whose command line contains `marker` (recorders: `matroska`; the mix: `filter_complex`). */
function ffmpegChildren(marker: string): number[] {
  return childPids(process.pid).filter((pid) => {
    const c = cmdline(pid);
    return c.includes('ffmpeg') && c.includes(marker);
  });
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const round2 = (x: number): number => Math.round(x * 100) / 100;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const loadavg = (): number => round2(os.loadavg()[0]);

interface Window {
  wallSeconds: number;
  /** Cores used (CPU-seconds per wall second) by each group. */
  worker: number;
  api: number;
  senders: number;
  recorders: number;
  total: number;
  load1: number;
}

/** Measures the CPU of the worker, this process, the senders and (if any) the recorders over `seconds`. */
async function measure(workerPid: number, senders: number[], recorders: number[], seconds: number): Promise<Window> {
  const read = (): { w: number; a: number; s: number; r: number; t: number } => ({
    w: cpu(workerPid) ?? 0,
    a: cpu(process.pid) ?? 0,
    s: sum(senders.map((p) => cpu(p) ?? 0)),
    r: sum(recorders.map((p) => cpu(p) ?? 0)),
    t: performance.now(),
  });
  const b = read();
  await sleep(seconds * 1000);
  const a = read();
  const wall = (a.t - b.t) / 1000;
  const w = (a.w - b.w) / wall;
  const api = (a.a - b.a) / wall;
  const s = (a.s - b.s) / wall;
  const r = (a.r - b.r) / wall;
  return { wallSeconds: round3(wall), worker: round3(w), api: round3(api), senders: round3(s), recorders: round3(r), total: round3(w + api + s + r), load1: loadavg() };
}

/** A python3 child holding a UDP port it never reads (the kernel queues, then drops): where forwarded media goes. */
function blackhole(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn('python3', ['-c', `import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('127.0.0.1',0))\nprint(s.getsockname()[1],flush=True)\ntime.sleep(1800)`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve({ port: Number(d.toString().trim()), child }));
    child.once('error', reject);
  });
}

/** Whether a Matroska file holds a Cluster (ID 1F 43 B6 75) outside the SeekHead (where a SeekID is preceded by its size 0x84). */
function hasCluster(file: string): boolean {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return false;
  }
  for (let i = buf.indexOf(Buffer.from([0x1f, 0x43, 0xb6, 0x75])); i >= 0; i = buf.indexOf(Buffer.from([0x1f, 0x43, 0xb6, 0x75]), i + 1)) {
    if (i === 0 || buf[i - 1] !== 0x84) return true;
  }
  return false;
}

interface StartSample {
  /** `start()` resolved (every tap listening, consumers resumed, key frames requested). */
  startResolvedMs: number;
  /** The first video track file holding a frame (a Cluster). */
  firstFrameMs: number | null;
  /** Every video track holding a frame. */
  allVideoMs: number | null;
  /** The first video track file non-empty (ffmpeg wrote the Matroska header). */
  firstHeaderMs: number | null;
  load1: number;
}

/** Calls start() and polls the new recording's folder until every video track has a frame (or 15 s). */
async function startToFirstFrame(recordings: RecordingService, workDir: string, videos: number): Promise<StartSample> {
  const before = new Set(existsSync(workDir) ? readdirSync(workDir) : []);
  const t0 = performance.now();
  let startResolvedMs = -1;
  const started = recordings.start(ROOM, { kind: 'api', id: 'bench', name: 'bench' }).then((info) => {
    startResolvedMs = performance.now() - t0;
    return info;
  });
  let firstHeaderMs: number | null = null;
  const framed = new Map<string, number>();
  const sizes = new Map<string, number>();
  const deadline = t0 + 15_000;
  while (performance.now() < deadline && framed.size < videos) {
    const dirs = existsSync(workDir) ? readdirSync(workDir).filter((d) => !before.has(d)) : [];
    for (const d of dirs) {
      const dir = path.join(workDir, d);
      let files: string[];
      try {
        files = readdirSync(dir).filter((f) => /^track-video-.*\.mkv$/.test(f));
      } catch {
        continue;
      }
      for (const f of files) {
        if (framed.has(f)) continue;
        const file = path.join(dir, f);
        let size: number;
        try {
          size = statSync(file).size;
        } catch {
          continue;
        }
        if (size > 0 && firstHeaderMs === null) firstHeaderMs = performance.now() - t0;
        if (size > (sizes.get(f) ?? 0)) {
          sizes.set(f, size);
          if (hasCluster(file)) framed.set(f, performance.now() - t0);
        }
      }
    }
    await sleep(10);
  }
  const info = await started;
  if (info.state !== 'recording') throw new Error(`recording did not start: ${info.state} ${info.reason ?? ''}`);
  const times = [...framed.values()];
  const stopped = await recordings.stop(ROOM);
  if (stopped.state !== 'stored') console.log(`start: recording not stored: ${stopped.reason ?? stopped.state}`);
  return {
    startResolvedMs: round2(startResolvedMs),
    firstFrameMs: times.length ? round2(Math.min(...times)) : null,
    allVideoMs: times.length === videos ? round2(Math.max(...times)) : null,
    firstHeaderMs: firstHeaderMs === null ? null : round2(firstHeaderMs),
    load1: loadavg(),
  };
}

async function main(): Promise<void> {
  const missing = !realWorker.path ? `no mediasoup worker (${realWorker.detail})` : !hasTool(FFMPEG, '-version') ? `no ffmpeg (${FFMPEG}; apt-get install -y ffmpeg)` : forward && !hasTool('python3', '--version') ? 'no python3 (or pass --forward false)' : null;
  if (missing) {
    console.log(`bench-recording: skipped — ${missing}`);
    return;
  }
  const machine = machineInfo(realWorker.path);
  console.log(
    `bench-recording: ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, mediasoup ${machine.mediasoup}, worker ${realWorker.path}, commit ${machine.commit}; ` +
      `${participantCount} participants, ${duration} s windows, ${rounds} rounds, ${startCount} starts, forwarding ${forward ? 'on' : 'off'}, senders ${senderMode}`,
  );

  const dataDir = await mkdtemp(path.join(tmpdir(), 'confer-bench-rec-'));
  const server = await TestServer.start(realBackend, { DATA_DIR: dataDir, FFMPEG_PATH: FFMPEG, RECORDING_MIN_PORT: '52400', RECORDING_MAX_PORT: '52599', MAX_PEERS_PER_ROOM: '50' });
  const people: RtpParticipant[] = [];
  const spawned: ChildProcess[] = [];
  const sinks: PlainTransport[] = [];
  const killAll = (): void => {
    for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  process.once('SIGINT', () => {
    killAll();
    process.exit(130);
  });
  try {
    const recordings = server.app.get(RecordingService);
    const workerPid = server.app.get(WorkerPoolService).workerEntries[0]?.worker.pid;
    if (!workerPid) throw new Error('no worker pid');
    const workDir = server.config.recording.workDir;
    const clip = senderMode === 'copy' ? ensureMediaFile() : undefined;
    for (let i = 0; i < participantCount; i++) {
      const p = await joinRtpParticipant(server, ROOM, `p${i + 1}`, { ffmpeg: FFMPEG, tone: 330 + 110 * i, clip });
      spawned.push(p.sender);
      people.push(p);
    }
    const senderPids = people.map((p) => p.sender.pid ?? 0).filter((pid) => pid > 0);
    if (forward) {
      const hole = await blackhole();
      spawned.push(hole.child);
      const router = server.rooms.get(ROOM)?.media?.router;
      if (!router) throw new Error('no router');
      for (const p of people) {
        const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false });
        await transport.connect({ ip: '127.0.0.1', port: hole.port });
        sinks.push(transport);
        for (const other of people.filter((o) => o !== p)) {
          for (const producer of other.producers) await transport.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
        }
      }
    }
    // Let the senders and the worker settle (encoders warm, first key frames through).
    await sleep(3000);
    const status = recordings.status(ROOM);
    if (!status.availability.available) throw new Error(`recording unavailable: ${status.availability.reason}`);
    for (const p of people) {
      const stats = await p.producers[0].getStats();
      if (!stats.some((s) => (s.packetCount ?? 0) > 0)) throw new Error(`no video arriving from ${p.peerId}`);
    }

    const roundsOut: { round: number; reference: Window; recording: Window; tracks: number; state: string; reason?: string; recordingSeconds: number; mixCpuSeconds: number; mixWallSeconds: number; stopWallSeconds: number; mixCpuPerMinute: number; mixWallPerMinute: number }[] = [];
    for (let r = 1; r <= rounds; r++) {
      const reference = await measure(workerPid, senderPids, [], duration);
      const info = await recordings.start(ROOM, { kind: 'api', id: 'bench', name: 'bench' });
      if (info.state !== 'recording') throw new Error(`recording did not start: ${info.reason ?? info.state}`);
      const recorders = ffmpegChildren('matroska');
      const recording = await measure(workerPid, senderPids, recorders, duration);
      // Stop: the recorders finish, then the mix runs; its CPU is what this process reaps minus the recorders' own.
      const recorderCpuAtStop = sum(recorders.map((p) => cpu(p) ?? 0));
      const reapedBefore = reapedChildrenCpu();
      let mixFirstSeen: number | null = null;
      let mixLastSeen: number | null = null;
      let polling = true;
      const poll = (async () => {
        while (polling) {
          if (ffmpegChildren('filter_complex').length > 0) {
            mixFirstSeen ??= performance.now();
            mixLastSeen = performance.now();
          }
          await sleep(20);
        }
      })();
      const stopT0 = performance.now();
      const stopped = await recordings.stop(ROOM);
      const stopWall = (performance.now() - stopT0) / 1000;
      polling = false;
      await poll;
      // A failed mix is reported, not fatal: the CPU was spent all the same.
      if (stopped.state !== 'stored') console.log(`round ${r}: recording not stored: ${stopped.reason ?? stopped.state}`);
      const mixCpu = Math.max(0, reapedChildrenCpu() - reapedBefore - recorderCpuAtStop);
      const mixWall = mixFirstSeen !== null && mixLastSeen !== null ? (mixLastSeen - mixFirstSeen) / 1000 : stopWall;
      const minutes = (stopped.durationMs ?? 0) / 60_000;
      roundsOut.push({
        round: r,
        reference,
        recording,
        tracks: stopped.tracks.length,
        state: stopped.state,
        ...(stopped.reason ? { reason: stopped.reason } : {}),
        recordingSeconds: round2((stopped.durationMs ?? 0) / 1000),
        mixCpuSeconds: round2(mixCpu),
        mixWallSeconds: round2(mixWall),
        stopWallSeconds: round2(stopWall),
        mixCpuPerMinute: round2(mixCpu / minutes),
        mixWallPerMinute: round2(mixWall / minutes),
      });
      const last = roundsOut[roundsOut.length - 1];
      console.log(
        `round ${r}: reference ${reference.total.toFixed(2)} cores, recording ${recording.total.toFixed(2)} cores (recorders ${recording.recorders.toFixed(3)}), ` +
          `mix ${last.mixCpuSeconds} CPU-s / ${last.mixWallSeconds} s wall for ${last.recordingSeconds} s (load ${recording.load1})`,
      );
    }

    const startsOut: StartSample[] = [];
    for (let i = 0; i < startCount; i++) {
      startsOut.push(await startToFirstFrame(recordings, workDir, participantCount));
      console.log(`start ${i + 1}: ${JSON.stringify(startsOut[startsOut.length - 1])}`);
      await sleep(1000);
    }

    const table: Row[] = roundsOut.flatMap((o) =>
      (['reference', 'recording'] as const).map((phase) => {
        const w = o[phase];
        return { round: o.round, phase, 'worker cores': w.worker, 'API cores': w.api, 'senders cores': w.senders, 'recorders cores': w.recorders, 'total cores': w.total, load: w.load1 };
      }),
    );
    printTable(`CPU, cores (CPU-s per wall s), ${participantCount} participants, ${duration} s windows`, table);
    const added = roundsOut.map((o) => ({
      round: o.round,
      'added cores': round3(o.recording.total - o.reference.total),
      'recorders': o.recording.recorders,
      'worker +': round3(o.recording.worker - o.reference.worker),
      'API +': round3(o.recording.api - o.reference.api),
      'ratio rec/ref': round3(o.recording.total / o.reference.total),
      'mix CPU-s': o.mixCpuSeconds,
      'mix wall s': o.mixWallSeconds,
      'recorded s': o.recordingSeconds,
      'mix CPU-s/min': o.mixCpuPerMinute,
      'mix wall s/min': o.mixWallPerMinute,
    }));
    printTable('What recording adds, and the mix at stop', added);
    const pick = (f: (s: StartSample) => number | null): number[] => startsOut.map(f).filter((x): x is number => x !== null);
    const startSummary = {
      startResolvedP50: percentile(pick((s) => s.startResolvedMs), 50),
      firstFrameP50: percentile(pick((s) => s.firstFrameMs), 50),
      firstFrameMax: Math.max(...pick((s) => s.firstFrameMs)),
      allVideoP50: percentile(pick((s) => s.allVideoMs), 50),
      firstHeaderP50: percentile(pick((s) => s.firstHeaderMs), 50),
    };
    printTable(`start() → first frame written, ms (${startCount} starts)`, startsOut.map((s, i) => ({ start: i + 1, 'start() resolved': s.startResolvedMs, 'first header': s.firstHeaderMs ?? '–', 'first frame': s.firstFrameMs ?? '–', 'all videos': s.allVideoMs ?? '–', load: s.load1 })));
    console.log(`p50: start() resolved ${startSummary.startResolvedP50} ms, first frame ${startSummary.firstFrameP50} ms, all ${participantCount} videos ${startSummary.allVideoP50} ms`);

    const result = {
      benchmark: 'recording',
      machine,
      options: { participants: participantCount, durationSeconds: duration, rounds, starts: startCount, forward, sender:
        senderMode === 'copy'
          ? 'pre-encoded clip sent with -c copy (plain-rtp.ts MEDIA_FILE: 640x360 30 fps VP8 ~1 Mbit/s, key frame every 60 frames, Opus 64 kbit/s), ffmpeg -re'
          : 'testsrc2 640x360 30 fps encoded live to VP8 (libvpx realtime, 500 kbit/s, key frame every 30 frames) + sine as Opus 48 kbit/s, ffmpeg -re',
    },
      rounds: roundsOut,
      added,
      starts: startsOut,
      startSummary,
    };
    const svg = lineChartSvg('Recording: cores used', 'round', 'cores', [
      { name: 'reference', points: roundsOut.map((o) => ({ x: o.round, y: o.reference.total })) },
      { name: 'recording', points: roundsOut.map((o) => ({ x: o.round, y: o.recording.total })) },
    ]);
    writeResults(args.get('name') ?? 'recording', result, svg);
  } finally {
    for (const t of sinks) if (!t.closed) t.close();
    await Promise.all(people.map((p) => p.client.close().catch(() => undefined)));
    killAll();
    await server.stop();
    if (args.has('keep')) console.log(`kept ${dataDir}`);
    else await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench-recording: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
