import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import type { Producer, Router } from 'mediasoup/types';
import type { RecordingStorage } from '../policies/recording-storage';
import { FfmpegProcess } from './ffmpeg-process';
import { MIX, mixArgs } from './mixer';
import type { RecordingPorts } from './recording-ports';
import type { RecordedParticipant, RecordingActor, RecordingInfo, RecordingManifest, RecordingState } from './recording-types';
import { TrackTap } from './track-tap';

/** What a recording needs from the service. */
export interface RecordingDeps {
  router: Router;
  ports: RecordingPorts;
  storage: RecordingStorage;
  ffmpegPath: string;
  listenIp: string;
  workDir: string;
  /** Told once, when the recording reaches `stored` or `failed`. */
  onEnded(recording: Recording): void;
}

/** The manifest's name in the stored recording. */
export const MANIFEST_FILE = 'manifest.json';
/** The mixed file's name in the stored recording. */
export const MIX_FILE = 'recording.mp4';

/**
 * One room's recording and its state machine (see {@link RecordingState}).
 * Each producer is recorded to its own file by a {@link TrackTap} for as long
 * as it lives, so joins, leaves and re-publishes need nothing special; at
 * `stop()` the finished tracks are mixed into one MP4 with the offsets kept in
 * the manifest, and every file goes to RECORDING_STORAGE. If any ffmpeg dies
 * while recording, the whole recording fails: the other tracks are ended at
 * once and stay `.partial` in the working folder, nothing is stored, and the
 * meeting is not touched.
 */
export class Recording {
  private readonly logger = new Logger(Recording.name);
  state: RecordingState = 'starting';
  reason?: string;
  readonly t0 = Date.now();
  readonly dir: string;
  stoppedAt: number | null = null;
  fileName: string | null = null;
  files: string[] = [];
  private readonly taps = new Map<string, TrackTap>();
  private readonly participants = new Map<string, RecordedParticipant>();
  /** Taps being started: `stop()` waits for them. */
  private readonly pending = new Set<Promise<void>>();
  private stopping?: Promise<void>;
  /** The work folder, made once: a producer published while start() runs is tapped after it exists. */
  private folder?: Promise<unknown>;

  constructor(
    readonly id: string,
    readonly roomId: string,
    readonly startedBy: RecordingActor | null,
    private readonly deps: RecordingDeps,
  ) {
    this.dir = path.join(deps.workDir, id);
  }

  get active(): boolean {
    return this.state === 'starting' || this.state === 'recording' || this.state === 'stopping';
  }

  /** Taps every producer there is now; `recording` when all listen. */
  async start(present: { peerId: string; subject?: string; displayName: string; producers: Producer[] }[]): Promise<void> {
    await this.ensureFolder();
    for (const p of present) this.participantJoined(p.peerId, p.displayName, p.subject);
    await Promise.all(present.flatMap((p) => p.producers.map((producer) => this.addProducer(p.peerId, producer))));
    if (this.state === 'starting') this.state = 'recording';
  }

  /** A producer of the room (present at the start or published later) gets its own track. */
  addProducer(peerId: string, producer: Producer): Promise<void> {
    if (!(this.state === 'starting' || this.state === 'recording') || this.taps.has(producer.id) || producer.closed) return Promise.resolve();
    const tap = new TrackTap(
      {
        recordingId: this.id,
        router: this.deps.router,
        ports: this.deps.ports,
        ffmpegPath: this.deps.ffmpegPath,
        listenIp: this.deps.listenIp,
        dir: this.dir,
        t0: this.t0,
        onFailure: (_tap, reason) => void this.fail(reason),
      },
      producer,
      peerId,
    );
    this.taps.set(producer.id, tap);
    const started = this.ensureFolder().then(() => tap.start()).catch((error: Error) => {
      // A producer that closed while its tap was being set up is not a failure.
      if (producer.closed) return;
      void this.fail(`could not record producer ${producer.id}: ${error.message}`);
    });
    this.pending.add(started);
    void started.finally(() => this.pending.delete(started));
    return started;
  }

  private ensureFolder(): Promise<unknown> {
    this.folder ??= mkdir(this.dir, { recursive: true });
    return this.folder;
  }

  participantJoined(peerId: string, displayName: string, subject?: string): void {
    const known = this.participants.get(peerId);
    if (known) {
      known.leftOffsetMs = null;
      return;
    }
    this.participants.set(peerId, { peerId, subject, displayName, joinedOffsetMs: Math.max(0, Date.now() - this.t0), leftOffsetMs: null });
  }

  participantLeft(peerId: string): void {
    const known = this.participants.get(peerId);
    if (known && this.active && this.state !== 'stopping') known.leftOffsetMs = Date.now() - this.t0;
  }

  /** Ends the tracks, mixes, stores; resolves at `stored` or `failed`. */
  stop(): Promise<void> {
    this.stopping ??= this.finishAndStore();
    return this.stopping;
  }

  /** The recording fails now (ffmpeg died, a tap could not start, shutdown): tracks are killed and stay `.partial`. */
  async fail(reason: string): Promise<void> {
    if (this.state === 'failed' || this.state === 'stored') return;
    this.state = 'failed';
    this.reason = reason;
    this.stoppedAt ??= Date.now();
    this.logger.warn(`fail() | recording=${this.id} room=${this.roomId} reason=${reason}`);
    await Promise.all([...this.taps.values()].map((t) => t.abort()));
    await this.writeManifest().catch(() => undefined);
    this.deps.onEnded(this);
  }

  info(): RecordingInfo {
    return {
      recordingId: this.id,
      roomId: this.roomId,
      state: this.state,
      ...(this.reason ? { reason: this.reason } : {}),
      startedBy: this.startedBy,
      startedAt: new Date(this.t0).toISOString(),
      stoppedAt: this.stoppedAt ? new Date(this.stoppedAt).toISOString() : null,
      durationMs: this.stoppedAt ? this.stoppedAt - this.t0 : null,
      fileName: this.fileName,
      files: [...this.files],
      tracks: [...this.taps.values()].map((t) => ({ ...t.track })),
      participants: [...this.participants.values()].map((p) => ({ ...p })),
    };
  }

  manifest(): RecordingManifest {
    const i = this.info();
    return {
      version: 1,
      recordingId: i.recordingId,
      roomId: i.roomId,
      state: i.state,
      ...(i.reason ? { reason: i.reason } : {}),
      startedBy: i.startedBy,
      startedAt: i.startedAt,
      stoppedAt: i.stoppedAt,
      durationMs: i.durationMs,
      mix: this.fileName ? { fileName: this.fileName, container: 'mp4', video: MIX.video, audio: MIX.audio, width: MIX.width, height: MIX.height } : null,
      participants: i.participants,
      tracks: i.tracks,
    };
  }

  private async finishAndStore(): Promise<void> {
    if (this.state === 'failed' || this.state === 'stored') return;
    this.state = 'stopping';
    this.stoppedAt = Date.now();
    await Promise.allSettled([...this.pending]);
    await Promise.all([...this.taps.values()].map((t) => t.finish('recording stopped')));
    if (this.state !== 'stopping') return; // failed meanwhile
    const durationMs = this.stoppedAt - this.t0;
    const partialMix = path.join(this.dir, 'recording.partial.mp4');
    const mix = new FfmpegProcess(
      this.deps.ffmpegPath,
      mixArgs([...this.taps.values()].map((t) => t.track), durationMs, (t) => path.join(this.dir, t.fileName), partialMix),
      path.join(this.dir, 'mix.log'),
    );
    const exit = await mix.exited;
    const bytes = await stat(partialMix).then((s) => s.size, () => 0);
    if (exit.code !== 0 || bytes === 0) {
      await this.fail(`mix failed (ffmpeg code ${exit.code}, signal ${exit.signal}): ${exit.tail || 'no output'}`);
      return;
    }
    await rename(partialMix, path.join(this.dir, MIX_FILE));
    this.fileName = MIX_FILE;
    try {
      const stored: string[] = [];
      const tracks = [...this.taps.values()].map((t) => t.track).filter((t) => t.status === 'complete' || t.status === 'partial');
      for (const name of [MIX_FILE, ...tracks.map((t) => t.fileName)]) {
        await this.deps.storage.put(this.id, name, path.join(this.dir, name));
        stored.push(name);
      }
      // The manifest says `stored` and lists every file, itself included.
      this.files = [...stored, MANIFEST_FILE];
      this.state = 'stored';
      await this.writeManifest();
      await this.deps.storage.put(this.id, MANIFEST_FILE, path.join(this.dir, MANIFEST_FILE));
    } catch (error) {
      this.files = [];
      this.state = 'stopping';
      await this.fail(`storage refused the recording: ${(error as Error).message}`);
      return;
    }
    // Logs and SDP files are only kept when something went wrong.
    await rm(this.dir, { recursive: true, force: true });
    this.logger.log(`stop() | recording=${this.id} room=${this.roomId} durationMs=${durationMs} files=${this.files.length}`);
    this.deps.onEnded(this);
  }

  private async writeManifest(): Promise<void> {
    await writeFile(path.join(this.dir, MANIFEST_FILE), JSON.stringify(this.manifest(), null, 2));
  }
}
