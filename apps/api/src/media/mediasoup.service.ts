import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SignalingError } from '@confer/signaling-contracts';
import type { ActiveSpeakerObserver, Router, WebRtcServer, Worker } from 'mediasoup/types';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ROUTER_MEDIA_CODECS } from './media-codecs';
import { MEDIASOUP_API, type MediasoupApi, type MediasoupApiSource } from './mediasoup-api';
import type { WorkerBinResolution } from './worker-bin';

/** One worker of the pool and, when WEBRTC_SERVER_PORT is set, its WebRtcServer. */
export interface WorkerEntry {
  index: number;
  worker: Worker;
  webRtcServer?: WebRtcServer;
  routers: number;
}

/** A room's mediasoup objects. */
export interface RoomMedia {
  router: Router;
  activeSpeakerObserver: ActiveSpeakerObserver;
  webRtcServer?: WebRtcServer;
  workerIndex: number;
}

/**
 * Owns the mediasoup worker pool and creates one router per room. When no worker
 * binary exists the server still runs (chat, files) and every media request is
 * answered `media_unavailable` with the advice from `howToSupply()`.
 */
@Injectable()
export class MediasoupService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(MediasoupService.name);
  private readonly workers: WorkerEntry[] = [];
  private readonly workerDiedListeners = new Set<(index: number) => void>();
  private api: MediasoupApi | null = null;
  private nextWorker = 0;
  private closing = false;
  private resolution: WorkerBinResolution = { path: null, source: 'none', detail: 'not initialised' };
  private unavailableReason: string | null = 'media not initialised';

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(MEDIASOUP_API) private readonly source: MediasoupApiSource,
  ) {}

  async onModuleInit(): Promise<void> {
    this.resolution = this.source.resolve();
    if (!this.resolution.path) {
      this.unavailableReason = `no mediasoup worker: ${this.resolution.detail}`;
      this.logger.warn(`init() | media unavailable; chat and file transfer still work | ${this.resolution.detail}`);
      return;
    }
    try {
      this.api = await this.source.load(this.resolution);
      for (let index = 0; index < this.config.media.numWorkers; index++) await this.startWorker(index);
      this.unavailableReason = null;
      this.logger.log(`init() | ${this.workers.length} worker(s), mediasoup ${this.api.version}, worker ${this.resolution.detail}`);
    } catch (error) {
      this.unavailableReason = `mediasoup worker ${this.resolution.path} failed to start: ${(error as Error).message}`;
      this.logger.error(`init() | ${this.unavailableReason}`);
      await this.closeWorkers();
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    await this.closeWorkers();
  }

  /** True when routers can be created. */
  get available(): boolean {
    return this.unavailableReason === null;
  }

  /** Why media is unavailable (null when it is available). */
  get unavailable(): string | null {
    return this.unavailableReason;
  }

  get workerResolution(): WorkerBinResolution {
    return this.resolution;
  }

  /** The pool, for health checks and leak assertions. */
  get workerEntries(): readonly WorkerEntry[] {
    return this.workers;
  }

  /** Throws `media_unavailable` with the reason when there is no worker. */
  assertAvailable(): void {
    if (this.unavailableReason !== null) throw new SignalingError('media_unavailable', this.unavailableReason);
  }

  /** Called with the worker's index when a worker dies; rooms on it must be reset. */
  onWorkerDied(listener: (index: number) => void): () => void {
    this.workerDiedListeners.add(listener);
    return () => this.workerDiedListeners.delete(listener);
  }

  /** A router (and its active speaker observer) for a new room, on the least loaded worker. */
  async createRoomMedia(roomId: string): Promise<RoomMedia> {
    this.assertAvailable();
    const entry = this.pickWorker();
    const router = await entry.worker.createRouter({ mediaCodecs: ROUTER_MEDIA_CODECS, appData: { roomId } });
    try {
      const activeSpeakerObserver = await router.createActiveSpeakerObserver({ interval: 300 });
      entry.routers++;
      router.observer.once('close', () => entry.routers--);
      this.logger.debug(`createRoomMedia() | room=${roomId} worker=${entry.index} router=${router.id}`);
      return { router, activeSpeakerObserver, webRtcServer: entry.webRtcServer, workerIndex: entry.index };
    } catch (error) {
      router.close();
      throw error;
    }
  }

  /** Least routers first; ties go round-robin so new rooms spread over the pool. */
  private pickWorker(): WorkerEntry {
    const live = this.workers.filter((w) => !w.worker.closed);
    if (live.length === 0) throw new SignalingError('media_unavailable', 'no live mediasoup worker');
    const start = this.nextWorker++ % live.length;
    const ordered = [...live.slice(start), ...live.slice(0, start)];
    return ordered.reduce((best, w) => (w.routers < best.routers ? w : best), ordered[0]);
  }

  private async startWorker(index: number): Promise<void> {
    const api = this.api;
    if (!api) return;
    const { media } = this.config;
    const worker = await api.createWorker({
      logLevel: media.logLevel,
      workerBin: this.resolution.path ?? undefined,
      appData: { index },
    });
    const entry: WorkerEntry = { index, worker, routers: 0 };
    if (media.webRtcServerPort !== undefined) {
      const port = media.webRtcServerPort + index;
      const announcedAddress = media.announcedAddress;
      entry.webRtcServer = await worker.createWebRtcServer({
        listenInfos: [
          { protocol: 'udp', ip: media.listenIp, announcedAddress, port },
          { protocol: 'tcp', ip: media.listenIp, announcedAddress, port },
        ],
      });
    }
    worker.on('died', (error) => {
      this.logger.error(`worker died | index=${index} pid=${worker.pid} error=${error.message}`);
      const at = this.workers.indexOf(entry);
      if (at >= 0) this.workers.splice(at, 1);
      for (const listener of this.workerDiedListeners) listener(index);
      if (!this.closing) {
        setTimeout(() => {
          if (this.closing) return;
          this.startWorker(index).catch((e: Error) => this.logger.error(`worker restart failed | index=${index} error=${e.message}`));
        }, 2000).unref();
      }
    });
    this.workers.push(entry);
    this.logger.debug(`startWorker() | index=${index} pid=${worker.pid}`);
  }

  private async closeWorkers(): Promise<void> {
    for (const entry of this.workers.splice(0)) {
      entry.worker.removeAllListeners('died');
      entry.worker.close();
    }
  }
}
