import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SignalingError } from '@confer/signaling-contracts';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EventsService } from '../events/events.service';
import type { ConferEvent } from '../policies/event-sink';
import { RECORDING_STORAGE, type RecordingStorage } from '../policies/recording-storage';
import { RoomsService } from '../rooms/rooms.service';
import { WorkerPoolService } from '../workers/worker-pool.service';
import { probeFfmpeg } from './ffmpeg-process';
import { Recording } from './recording';
import { RecordingPorts } from './recording-ports';
import type { RecordingActor, RecordingAvailability, RecordingInfo, RecordingState } from './recording-types';

/**
 * Server-side recording, one at a time per room: `start(roomId, by)`,
 * `stop(roomId)`, `status(roomId)`, `list()`. Producers published during the
 * recording are added as they come (the `track.published` event); a room that
 * closes stops its recording (stored). Unavailable — with the reason in
 * `availability()` — without a live mediasoup worker, without ffmpeg, or with
 * RECORDING_ENABLED=false. Raises `recording.started`, `recording.stopped`,
 * `recording.failed`.
 */
@Injectable()
export class RecordingService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RecordingService.name);
  /** Every recording of this process, the latest of each room last (kept for status and list). */
  private readonly recordings: Recording[] = [];
  private readonly ports: RecordingPorts;
  private ffmpeg: Promise<{ ok: true; version: string } | { ok: false; reason: string }> | null = null;
  private ffmpegResult: { ok: true; version: string } | { ok: false; reason: string } | null = null;
  /** Recordings that tap only some peers' producers (consent): recordingId → whether a peer is recorded. */
  private readonly admits = new Map<string, (peerId: string) => boolean>();
  /** Ended recordings by outcome, and their durations (for /metrics). */
  readonly ended = { stored: 0, failed: 0, storedSeconds: 0 };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly rooms: RoomsService,
    private readonly pool: WorkerPoolService,
    private readonly events: EventsService,
    @Inject(RECORDING_STORAGE) private readonly storage: RecordingStorage,
  ) {
    const c = config.recording;
    this.ports = new RecordingPorts(c.listenIp, c.minPort, c.maxPort);
  }

  onModuleInit(): void {
    this.events.attach({ emit: (event) => this.onEvent(event) });
    if (this.config.recording.enabled === false) return;
    this.ffmpeg = probeFfmpeg(this.config.recording.ffmpegPath).then((r) => {
      this.ffmpegResult = r;
      if (!r.ok) this.logger.warn(`init() | recording unavailable | ${r.reason}`);
      return r;
    });
  }

  /** Shutdown: recordings still running are ended at once (failed, files `.partial`). */
  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.recordings.filter((r) => r.active && r.state !== 'stopping').map((r) => r.fail('server shut down')));
  }

  /** Whether a recording can start now, and why not. */
  availability(): RecordingAvailability {
    if (this.config.recording.enabled === false) return { available: false, reason: 'recording is off (RECORDING_ENABLED=false)' };
    const ff = this.ffmpegResult;
    if (!ff) return { available: false, reason: 'checking ffmpeg' };
    if (!ff.ok) return { available: false, reason: `ffmpeg not usable: ${ff.reason}` };
    if (!this.pool.available) return { available: false, reason: `no media: ${this.pool.unavailable ?? 'no live mediasoup worker'}`, ffmpeg: ff.version };
    return { available: true, ffmpeg: ff.version };
  }

  /**
   * Starts recording `roomId`. Resolves once every current producer is being
   * recorded (state `recording`), or with state `failed` and the reason when
   * the tracks could not be set up. Throws `media_unavailable` (recording
   * unavailable, see {@link availability}), `not_found` (no such room) or
   * `invalid_state` (the room is already being recorded). With `admit`, only
   * the producers of peers it accepts are recorded; {@link admitPeer} adds a
   * peer later (it consented).
   */
  async start(roomId: string, by: RecordingActor | null = null, admit?: (peerId: string) => boolean): Promise<RecordingInfo> {
    await this.ffmpeg;
    const can = this.availability();
    if (!can.available) throw new SignalingError('media_unavailable', `recording unavailable: ${can.reason}`);
    const room = this.rooms.get(roomId);
    if (!room || room.closed) throw new SignalingError('not_found', `no open room ${roomId}`);
    if (!room.media) throw new SignalingError('media_unavailable', `room ${roomId} has no media`);
    const current = this.current(roomId);
    if (current?.active) throw new SignalingError('invalid_state', `room ${roomId} is already being recorded`, { recordingId: current.id, state: current.state });
    const c = this.config.recording;
    const recording = new Recording(randomUUID(), roomId, by, {
      router: room.media.router,
      ports: this.ports,
      storage: this.storage,
      ffmpegPath: c.ffmpegPath,
      listenIp: c.listenIp,
      workDir: c.workDir,
      onEnded: (r) => this.ended_(r),
    });
    this.recordings.push(recording);
    if (admit) this.admits.set(recording.id, admit);
    this.logger.log(`start() | recording=${recording.id} room=${roomId} by=${by?.id ?? '-'}`);
    this.events.emit({ type: 'recording.started', roomId, recordingId: recording.id, by: by && by.kind !== 'system' ? by : null });
    await recording
      .start(
        room
          .joinedPeers()
          .map((p) => ({ peerId: p.id, subject: p.identity.subject, displayName: p.displayName, producers: admit && !admit(p.id) ? [] : [...p.producers.values()] })),
      )
      .catch((error: Error) => recording.fail(`could not start: ${error.message}`));
    return recording.info();
  }

  /**
   * Stops the room's recording: the tracks are finished, mixed and stored.
   * Resolves with the final state (`stored`, or `failed` and why). Throws
   * `invalid_state` when the room is not being recorded.
   */
  async stop(roomId: string): Promise<RecordingInfo> {
    const recording = this.current(roomId);
    if (!recording?.active) throw new SignalingError('invalid_state', `room ${roomId} is not being recorded`);
    await recording.stop();
    return recording.info();
  }

  /**
   * A peer of a recording that taps only some peers (see `admit` in
   * {@link start}) is now admitted: its current producers are recorded from
   * now on, and so are the ones it publishes later. No-op when not recording.
   */
  async admitPeer(roomId: string, peerId: string): Promise<void> {
    const recording = this.current(roomId);
    const peer = this.rooms.get(roomId)?.peers.get(peerId);
    if (!recording?.active || !peer) return;
    await Promise.all([...peer.producers.values()].map((producer) => recording.addProducer(peerId, producer)));
  }

  /** The room's current or latest recording (state `idle` when there was none) and whether recording is available. */
  status(roomId: string): { state: RecordingState; availability: RecordingAvailability; recording: RecordingInfo | null } {
    const r = this.current(roomId);
    return { state: r?.state ?? 'idle', availability: this.availability(), recording: r?.info() ?? null };
  }

  /** Recordings of this process (all rooms, or one), oldest first. Stored files: RECORDING_STORAGE's `list()`. */
  list(roomId?: string): RecordingInfo[] {
    return this.recordings.filter((r) => !roomId || r.roomId === roomId).map((r) => r.info());
  }

  /** How many recordings are in each active state now (for /metrics). */
  activeCounts(): Record<'starting' | 'recording' | 'stopping', number> & { seconds: number } {
    const counts = { starting: 0, recording: 0, stopping: 0, seconds: 0 };
    for (const r of this.recordings) {
      if (r.state === 'starting' || r.state === 'recording' || r.state === 'stopping') counts[r.state]++;
      if (r.state === 'recording') counts.seconds += (Date.now() - r.t0) / 1000;
    }
    return counts;
  }

  private current(roomId: string): Recording | undefined {
    for (let i = this.recordings.length - 1; i >= 0; i--) if (this.recordings[i].roomId === roomId) return this.recordings[i];
    return undefined;
  }

  private ended_(r: Recording): void {
    this.admits.delete(r.id);
    const info = r.info();
    if (r.state === 'stored') {
      this.ended.stored++;
      this.ended.storedSeconds += (info.durationMs ?? 0) / 1000;
      this.events.emit({ type: 'recording.stopped', roomId: r.roomId, recordingId: r.id, durationMs: info.durationMs ?? 0, fileName: info.fileName ?? '', files: info.files });
    } else {
      this.ended.failed++;
      this.events.emit({ type: 'recording.failed', roomId: r.roomId, recordingId: r.id, reason: r.reason ?? 'unknown' });
    }
  }

  /** The room's life, as the event sinks see it: new producers, participants, the room closing. */
  private onEvent(event: ConferEvent): void {
    if (!('roomId' in event)) return;
    const recording = this.current(event.roomId);
    if (!recording?.active) return;
    switch (event.type) {
      case 'track.published': {
        const producer = this.rooms.get(event.roomId)?.peers.get(event.peerId)?.producers.get(event.producerId);
        const admit = this.admits.get(recording.id);
        if (producer && (!admit || admit(event.peerId))) void recording.addProducer(event.peerId, producer);
        break;
      }
      case 'participant.joined':
        recording.participantJoined(event.peerId, event.displayName, event.subject);
        break;
      case 'participant.left':
        recording.participantLeft(event.peerId);
        break;
      case 'room.finished':
        // The meeting is over: what was recorded is kept.
        if (recording.state === 'starting' || recording.state === 'recording') {
          void recording.stop().catch((e: Error) => this.logger.error(`stop() on room close failed | recording=${recording.id} ${e.message}`));
        }
        break;
    }
  }
}
