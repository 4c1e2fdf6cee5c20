import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import type { Consumer, PlainTransport, Producer, Router, RtpCapabilities } from 'mediasoup/types';
import { FfmpegProcess, type FfmpegExit } from './ffmpeg-process';
import { untilUdpBound, type RecordingPorts } from './recording-ports';
import type { RecordedTrack } from './recording-types';
import { sdpFor } from './sdp';

/** What a tap needs from its recording. */
export interface TapContext {
  recordingId: string;
  router: Router;
  ports: RecordingPorts;
  ffmpegPath: string;
  listenIp: string;
  /** The recording's working folder (SDP, logs, track files). */
  dir: string;
  /** The recording's start (ms since the epoch): offsets are counted from it. */
  t0: number;
  /** ffmpeg exited on its own while the track was live: the recording fails. */
  onFailure(tap: TrackTap, reason: string): void;
}

/**
 * The router's capabilities without RTX and header extensions: ffmpeg
 * understands neither, and on loopback retransmissions are not needed.
 */
export function recordingCapabilities(caps: RtpCapabilities): RtpCapabilities {
  return { codecs: (caps.codecs ?? []).filter((c) => !/\/rtx$/i.test(c.mimeType)), headerExtensions: [] };
}

/**
 * One producer recorded to one file: a PlainTransport on 127.0.0.1 (comedia
 * off, rtcpMux on) that sends a consumer's RTP to an ffmpeg listening on a port
 * of the recording range, which copies it (no transcoding) into Matroska. The
 * consumer is created paused and resumed only once ffmpeg has bound its port,
 * then (video) a key frame is requested so the file does not begin grey.
 */
export class TrackTap {
  private readonly logger = new Logger(TrackTap.name);
  readonly track: RecordedTrack;
  private transport?: PlainTransport;
  private consumer?: Consumer;
  private ffmpeg?: FfmpegProcess;
  private port?: number;
  private keyFrameTimer?: NodeJS.Timeout;
  private finishing?: Promise<void>;
  /** Set before anything is closed on purpose, so the consumer's close is not taken for the producer's. */
  private ending = false;

  constructor(
    private readonly ctx: TapContext,
    readonly producer: Producer,
    peerId: string,
  ) {
    const base = `track-${producer.kind}-${producer.id}`;
    this.track = {
      producerId: producer.id,
      peerId,
      kind: producer.kind,
      source: String(producer.appData['source'] ?? producer.kind),
      mimeType: producer.rtpParameters.codecs[0]?.mimeType ?? 'unknown',
      fileName: `${base}.partial.mkv`,
      startOffsetMs: 0,
      endOffsetMs: null,
      status: 'recording',
    };
  }

  get finalName(): string {
    return this.track.fileName.replace(/\.partial\.mkv$/, '.mkv');
  }

  /** Sets up transport, consumer and ffmpeg, then lets the media flow. Throws (and cleans up) on failure. */
  async start(): Promise<void> {
    const { router, ports, listenIp, dir, recordingId } = this.ctx;
    try {
      this.port = await ports.allocate();
      this.transport = await router.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: listenIp, portRange: ports.transportRange },
        rtcpMux: true,
        comedia: false,
        appData: { recordingId, producerId: this.producer.id },
      });
      await this.transport.connect({ ip: listenIp, port: this.port });
      // Paused until ffmpeg listens: whatever was sent before would be lost, key frame included.
      this.consumer = await this.transport.consume({ producerId: this.producer.id, rtpCapabilities: recordingCapabilities(router.rtpCapabilities), paused: true });
      // The producer closed (unpublished, participant left): the track ends, the recording goes on.
      this.consumer.observer.once('close', () => {
        if (!this.ending) void this.finish('producer closed');
      });
      const base = this.track.fileName.replace(/\.partial\.mkv$/, '');
      const sdpPath = path.join(dir, `${base}.sdp`);
      await writeFile(sdpPath, sdpFor(this.producer.kind, this.consumer.rtpParameters, listenIp, this.port));
      // prettier-ignore
      const args = [
        '-hide_banner', '-nostats', '-loglevel', 'info',
        '-protocol_whitelist', 'file,udp,rtp',
        '-reorder_queue_size', '256',
        '-i', sdpPath,
        '-map', '0', '-c', 'copy',
        '-f', 'matroska', '-y', path.join(dir, this.track.fileName),
      ];
      this.ffmpeg = new FfmpegProcess(this.ctx.ffmpegPath, args, path.join(dir, `${base}.log`));
      void this.ffmpeg.exited.then((exit) => this.exitedEarly(exit));
      await Promise.race([untilUdpBound(this.port), this.ffmpeg.exited.then((e) => Promise.reject(new Error(`ffmpeg exited before listening (code ${e.code}): ${e.tail}`)))]);
      await this.consumer.resume();
      this.track.startOffsetMs = Date.now() - this.ctx.t0;
      if (this.producer.kind === 'video') {
        await this.consumer.requestKeyFrame();
        // Once more, in case the first key frame crossed ffmpeg's probing badly.
        this.keyFrameTimer = setTimeout(() => this.consumer?.requestKeyFrame().catch(() => undefined), 1000);
      }
      this.logger.log(`start() | recording=${recordingId} producer=${this.producer.id} kind=${this.producer.kind} port=${this.port} pid=${this.ffmpeg.pid}`);
    } catch (error) {
      this.track.status = 'partial';
      await this.teardown(true);
      throw error;
    }
  }

  /**
   * Ends the track: ffmpeg finishes its file (q), the consumer and transport
   * close. The file is renamed to its final name only when ffmpeg exited
   * cleanly and wrote something; otherwise it stays `.partial` (or `empty`).
   */
  finish(why: string): Promise<void> {
    this.ending = true;
    this.finishing ??= (async () => {
      this.track.endOffsetMs ??= Date.now() - this.ctx.t0;
      // ffmpeg reads its `q` between packets: the RTP keeps flowing until it exited.
      const exit = this.ffmpeg ? await this.ffmpeg.stop() : null;
      this.closeMedia();
      await this.settleFile(exit);
      this.release();
      this.logger.log(`finish() | recording=${this.ctx.recordingId} producer=${this.producer.id} why=${why} status=${this.track.status}`);
    })();
    return this.finishing;
  }

  /** Ends at once (server shutdown): ffmpeg is killed, the file stays `.partial`. */
  async abort(): Promise<void> {
    this.track.endOffsetMs ??= Date.now() - this.ctx.t0;
    await this.teardown(true);
    if (this.track.status === 'recording') this.track.status = 'partial';
  }

  private async exitedEarly(exit: FfmpegExit): Promise<void> {
    if (exit.requested || this.ending) return;
    this.ending = true;
    this.track.endOffsetMs ??= Date.now() - this.ctx.t0;
    this.track.status = 'partial';
    this.closeMedia();
    this.release();
    this.ctx.onFailure(this, `ffmpeg for producer ${this.producer.id} (${this.track.kind}) exited unexpectedly (code ${exit.code}, signal ${exit.signal}): ${exit.tail || 'no output'}`);
  }

  private async settleFile(exit: FfmpegExit | null): Promise<void> {
    const partial = path.join(this.ctx.dir, this.track.fileName);
    const bytes = await stat(partial).then((s) => s.size, () => 0);
    // Interrupted by q or SIGINT ffmpeg exits 0 or 255 with its file finished; SIGKILL leaves it unfinished.
    const clean = exit !== null && exit.signal === null && (exit.code === 0 || exit.code === 255);
    // A file with a header and no frame (stopped before the first key frame) is empty too: the mix would fail on it.
    if (bytes === 0 || !(await hasMatroskaCluster(partial, bytes))) {
      this.track.status = 'empty';
      await rm(partial, { force: true });
    } else if (clean && this.track.status === 'recording') {
      await rename(partial, path.join(this.ctx.dir, this.finalName));
      this.track.fileName = this.finalName;
      this.track.status = 'complete';
    } else {
      this.track.status = 'partial';
    }
  }

  private async teardown(kill: boolean): Promise<void> {
    this.ending = true;
    this.closeMedia();
    if (this.ffmpeg?.running) {
      if (kill) this.ffmpeg.kill();
      await this.ffmpeg.exited;
    }
    this.release();
  }

  private closeMedia(): void {
    clearTimeout(this.keyFrameTimer);
    // Closing the transport closes its consumer.
    if (this.transport && !this.transport.closed) this.transport.close();
  }

  private release(): void {
    if (this.port !== undefined) this.ctx.ports.release(this.port);
    this.port = undefined;
  }
}

/** Matroska's Cluster element id: a file without one holds no frame. */
const CLUSTER_ID = Buffer.from([0x1f, 0x43, 0xb6, 0x75]);

/** True when the file holds at least one Cluster (frames). Past 64 KiB it surely does: only its start is read. */
async function hasMatroskaCluster(file: string, bytes: number): Promise<boolean> {
  if (bytes > 64 * 1024) return true;
  const head = await readFile(file).catch(() => Buffer.alloc(0));
  return head.includes(CLUSTER_ID);
}
