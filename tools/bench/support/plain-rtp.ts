import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Consumer, PlainTransport, Producer, Router, RtpParameters } from 'mediasoup/types';
import { ROOT } from './server-process';

/**
 * The pre-encoded clip every forwarding benchmark feeds: VP8 ~1 Mbit/s 640x360@30 (keyframe every 2 s) + Opus 64 kbit/s.
 * 60 s long so that ffmpeg's loop restarts (where its pacing hiccups) are rare within a run.
 */
export const MEDIA_FILE = path.join(ROOT, 'dist/bench/feed-vp8-opus-60s.webm');
const VIDEO_SSRC = 22222222;
const AUDIO_SSRC = 11111111;
const VIDEO_PT = 101;
const AUDIO_PT = 100;
const PROBATION_SSRC = 1234;
/** The feeder and the unread sink stop by themselves after this long, even if a benchmark dies without cleaning up. */
const FEED_MAX_SECONDS = 1200;

/** Encodes the clip once (about 30 s); later runs reuse it. */
export function ensureMediaFile(): string {
  if (existsSync(MEDIA_FILE)) return MEDIA_FILE;
  mkdirSync(path.dirname(MEDIA_FILE), { recursive: true });
  const r = spawnSync(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', '60', '-c:v', 'libvpx', '-b:v', '1M', '-minrate', '1M', '-maxrate', '1M', '-g', '60', '-deadline', 'realtime', '-cpu-used', '8',
      '-c:a', 'libopus', '-b:a', '64k', '-ac', '2', MEDIA_FILE],
    { stdio: 'inherit', timeout: 120_000 },
  );
  if (r.status !== 0) throw new Error(`ffmpeg could not encode ${MEDIA_FILE} (is ffmpeg installed? apt-get install -y ffmpeg)`);
  return MEDIA_FILE;
}

/** A VP8 + Opus broadcaster: two comedia PlainTransports fed by one looping `ffmpeg -c copy`. */
export interface Feed {
  video: Producer;
  audio: Producer;
  transports: PlainTransport[];
  ffmpeg: ChildProcess;
  stop(): void;
}

/** Creates the producers on `router` and starts ffmpeg (as mediasoup-demo's broadcaster script does). */
export async function startFeed(router: Router): Promise<Feed> {
  const file = ensureMediaFile();
  const opts = { listenInfo: { protocol: 'udp' as const, ip: '127.0.0.1' }, rtcpMux: false, comedia: true };
  const vt = await router.createPlainTransport(opts);
  const at = await router.createPlainTransport(opts);
  const videoParams: RtpParameters = {
    codecs: [{ mimeType: 'video/VP8', payloadType: VIDEO_PT, clockRate: 90000 }],
    encodings: [{ ssrc: VIDEO_SSRC }],
  };
  const audioParams: RtpParameters = {
    codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48000, channels: 2, parameters: { 'sprop-stereo': 1 } }],
    encodings: [{ ssrc: AUDIO_SSRC }],
  };
  const video = await vt.produce({ kind: 'video', rtpParameters: videoParams, appData: { source: 'webcam' } });
  const audio = await at.produce({ kind: 'audio', rtpParameters: audioParams, appData: { source: 'mic' } });
  const dst = (t: PlainTransport): string => `rtp://127.0.0.1:${t.tuple.localPort}?rtcpport=${t.rtcpTuple?.localPort}`;
  // As root the feeder runs at a higher priority, so that on a small, busy box a starved
  // ffmpeg does not fall behind and then burst (which shows up as input loss, not worker loss).
  const asRoot = process.getuid?.() === 0;
  const ffmpeg = spawn(
    asRoot ? 'nice' : 'ffmpeg',
    [...(asRoot ? ['-n', '-10', 'ffmpeg'] : []), '-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', file, '-map', '0:v:0', '-map', '0:a:0', '-c', 'copy', '-t', String(FEED_MAX_SECONDS), '-f', 'tee',
      `[select=v:f=rtp:ssrc=${VIDEO_SSRC}:payload_type=${VIDEO_PT}]${dst(vt)}|[select=a:f=rtp:ssrc=${AUDIO_SSRC}:payload_type=${AUDIO_PT}]${dst(at)}`],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return {
    video,
    audio,
    transports: [vt, at],
    ffmpeg,
    stop() {
      ffmpeg.kill('SIGKILL');
      vt.close();
      at.close();
    },
  };
}

/** Per-SSRC RTP sequence tracking: received packets against the extended sequence range. */
interface Track {
  base: number;
  ext: number;
  received: number;
}

/**
 * UDP sinks on 127.0.0.1 that count RTP packets per SSRC and derive loss from
 * sequence gaps. Consumers' PlainTransports send here (spread over a few sockets).
 * With `sampleEvery` k > 1 only every k-th subscriber is counted; the others send to
 * a socket held by a child process that never reads it (the kernel queues, then
 * drops), so on a small box the load generator does not take the worker's CPU.
 */
export class RtpSink {
  private readonly tracks = new Map<number, Track>();
  private bytes = 0;
  private probation = 0;
  private constructor(
    private readonly sockets: dgram.Socket[],
    readonly sampleEvery: number,
    private readonly blackhole: { port: number; child: ChildProcess } | null,
  ) {
    for (const s of sockets) s.on('message', (buf) => this.onPacket(buf));
  }

  /** Many sockets: each has its own kernel buffer (net.core.rmem_max caps one), so a busy event loop drops less. */
  static async open(count = 16, sampleEvery = 1): Promise<RtpSink> {
    const sockets = await Promise.all(
      Array.from({ length: count }, async () => {
        const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 2 ** 20 });
        await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
        return s;
      }),
    );
    return new RtpSink(sockets, sampleEvery, sampleEvery > 1 ? await openBlackhole() : null);
  }

  /** Whether the i-th subscriber is counted. */
  counted(i: number): boolean {
    return i % this.sampleEvery === 0;
  }

  /** Port for the i-th consumer transport. */
  port(i: number): number {
    if (!this.counted(i) && this.blackhole) return this.blackhole.port;
    return this.sockets[Math.floor(i / this.sampleEvery) % this.sockets.length].address().port;
  }

  /** Starts a new measurement window. */
  reset(): void {
    this.tracks.clear();
    this.bytes = 0;
    this.probation = 0;
  }

  /** Packets received, packets expected from sequence numbers, and bytes, since reset(). */
  totals(): { received: number; expected: number; bytes: number; streams: number; probation: number } {
    let received = 0;
    let expected = 0;
    for (const t of this.tracks.values()) {
      received += t.received;
      expected += t.ext - t.base + 1;
    }
    return { received, expected, bytes: this.bytes, streams: this.tracks.size, probation: this.probation };
  }

  close(): void {
    for (const s of this.sockets) s.close();
    this.blackhole?.child.kill('SIGKILL');
  }

  private onPacket(buf: Buffer): void {
    if (buf.length < 12) return;
    const pt = buf[1] & 0x7f;
    if (pt >= 72 && pt <= 79) return; // RTCP (200-207) shares the port (rtcpMux).
    const seq = buf.readUInt16BE(2);
    const ssrc = buf.readUInt32BE(8);
    // mediasoup's bandwidth probation padding uses SSRC 1234; it is not media.
    if (ssrc === PROBATION_SSRC) {
      this.probation++;
      return;
    }
    this.bytes += buf.length;
    const t = this.tracks.get(ssrc);
    if (!t) {
      this.tracks.set(ssrc, { base: seq, ext: seq, received: 1 });
      return;
    }
    t.received++;
    const delta = (seq - (t.ext & 0xffff) + 0x10000) & 0xffff;
    if (delta > 0 && delta < 0x8000) t.ext += delta;
  }
}

/** A UDP port bound by a python3 child that never reads it and exits by itself after FEED_MAX_SECONDS. */
function openBlackhole(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn('python3', ['-c', `import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('127.0.0.1',0))\nprint(s.getsockname()[1],flush=True)\ntime.sleep(${FEED_MAX_SECONDS})`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve({ port: Number(d.toString().trim()), child }));
    child.once('error', reject);
  });
}

/** Number of counted subscribers among the first `n`. */
export function countedOf(sink: RtpSink, n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) if (sink.counted(i)) c++;
  return c;
}

/** One subscriber: a PlainTransport sending to the sink, with a video and an audio consumer. */
export interface Subscriber {
  transport: PlainTransport;
  consumers: Consumer[];
}

/**
 * Adds a subscriber of `producers` on `router`. `serverStyle` mirrors what our
 * SubscriptionsService does for each consumer (created paused, resumed after set-up,
 * a score listener); bare creates them running.
 */
export async function addSubscriber(router: Router, producers: Producer[], sinkPort: number, serverStyle: boolean): Promise<Subscriber> {
  const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false });
  await transport.connect({ ip: '127.0.0.1', port: sinkPort });
  const consumers: Consumer[] = [];
  for (const producer of producers) {
    const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities, paused: serverStyle });
    if (serverStyle) {
      consumer.on('score', () => undefined);
      await consumer.resume();
    }
    consumers.push(consumer);
  }
  return { transport, consumers };
}

/** Packets received and lost (sequence gaps) by the producers, as the worker counts them. */
export async function producerInput(producers: Producer[]): Promise<{ packets: number; lost: number }> {
  let packets = 0;
  let lost = 0;
  for (const p of producers) {
    for (const s of await p.getStats()) {
      packets += s.packetCount ?? 0;
      lost += s.packetsLost ?? 0;
    }
  }
  return { packets, lost };
}

/**
 * Loss the worker added, in %: loss at the sinks minus loss already on the input
 * (ffmpeg → worker), so a hiccup of the feeder is not taken for a saturated worker.
 */
export function forwardingLossPct(sinkLossPct: number, input: { packets: number; lost: number }): number {
  const inputPct = input.packets + input.lost > 0 ? (input.lost / (input.packets + input.lost)) * 100 : 0;
  return Math.max(0, sinkLossPct - inputPct);
}

/** CPU seconds (user + system) a worker has used, from its getrusage(). */
export async function workerCpuSeconds(worker: { getResourceUsage(): Promise<{ ru_utime: number; ru_stime: number }> }): Promise<number> {
  const u = await worker.getResourceUsage();
  return (u.ru_utime + u.ru_stime) / 1000;
}
