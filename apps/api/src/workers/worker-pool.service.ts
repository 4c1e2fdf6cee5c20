import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SignalingError } from '@confer/signaling-contracts';
import type { AppData, Router, RouterOptions, WebRtcServer, Worker } from 'mediasoup/types';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { WORKER_PLACEMENT, type WorkerPlacement } from '../policies/worker-placement';
import { MEDIASOUP_API, type MediasoupApi, type MediasoupApiSource } from './mediasoup-api';
import type { WorkerBinResolution } from './worker-bin';

/** One worker of the pool and, when WEBRTC_SERVER_PORT is set, its WebRtcServer. */
export interface WorkerEntry {
  index: number;
  worker: Worker;
  webRtcServer?: WebRtcServer;
  routers: number;
}

/**
 * Owns the mediasoup worker pool: starts MEDIASOUP_NUM_WORKERS workers, replaces
 * one that dies, reaps them all at shutdown, and places new routers on them
 * through the {@link WorkerPlacement} policy. When no worker binary exists the
 * server still runs (chat, files) and every media request is answered
 * `media_unavailable`. Probing and quiet closes are {@link WorkerHealthService}'s.
 */
@Injectable()
export class WorkerPoolService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(WorkerPoolService.name);
  private readonly workers: WorkerEntry[] = [];
  private readonly workerDiedListeners = new Set<(index: number) => void>();
  private api: MediasoupApi | null = null;
  private closing = false;
  private deaths = 0;
  /** Replacement workers being started, by index; room creation waits for them when no worker is live. */
  private readonly replacing = new Map<number, Promise<void>>();
  /** Consumers per worker index, supplied by RoomsService (it knows the peers). */
  private consumerCount: (workerIndex: number) => number = () => 0;
  private resolution: WorkerBinResolution = { path: null, source: 'none', detail: 'not initialised' };
  private unavailableReason: string | null = 'media not initialised';

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(MEDIASOUP_API) private readonly source: MediasoupApiSource,
    @Inject(WORKER_PLACEMENT) private readonly placement: WorkerPlacement,
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

  /**
   * Why media is unavailable (null when it is available), as clients and the
   * public health endpoints may read it: the server's file paths and the fix
   * stay in the log, except with NODE_ENV=development, where the reader is the
   * developer running the server and is told what to do.
   */
  get unavailable(): string | null {
    if (this.unavailableReason === null) return null;
    if (this.config.development) return this.unavailableReason;
    return this.workers.length === 0 && this.resolution.path === null
      ? 'this server has no mediasoup media worker installed; its operator has the details in the server log'
      : 'no mediasoup media worker is running on this server right now';
  }

  get workerResolution(): WorkerBinResolution {
    return this.resolution;
  }

  /** The pool, for health checks and leak assertions. */
  get workerEntries(): readonly WorkerEntry[] {
    return this.workers;
  }

  /** Workers that are running now (readiness needs at least one). */
  get liveWorkerCount(): number {
    return this.workers.filter((w) => !w.worker.closed).length;
  }

  /** True once the module is shutting down (no probes, no replacements). */
  get isClosing(): boolean {
    return this.closing;
  }

  /** Workers that died since start (metrics). */
  get workerDeaths(): number {
    return this.deaths;
  }

  /**
   * Ends a worker's process at once (SIGKILL) when it cannot be closed through
   * its channel; mediasoup then reports it `died` and it is replaced.
   */
  kill(entry: WorkerEntry): void {
    this.api?.kill(entry.worker);
  }

  /** Lets the owner of the peers report consumers per worker, for placement. */
  setConsumerCounter(count: (workerIndex: number) => number): void {
    this.consumerCount = count;
  }

  /** Throws `media_unavailable` with the reason when there is no worker. */
  assertAvailable(): void {
    const reason = this.unavailable;
    if (reason !== null) throw new SignalingError('media_unavailable', reason);
  }

  /** Called with the worker's index when a worker dies; rooms on it must be reset. */
  onWorkerDied(listener: (index: number) => void): () => void {
    this.workerDiedListeners.add(listener);
    return () => this.workerDiedListeners.delete(listener);
  }

  /**
   * Creates a router on `entry`'s worker and counts it there until it closes
   * (placement reads the count).
   */
  async createRouter(entry: WorkerEntry, options: RouterOptions<AppData>): Promise<Router> {
    const router = await entry.worker.createRouter(options);
    entry.routers++;
    router.observer.once('close', () => entry.routers--);
    return router;
  }

  /**
   * The least loaded live worker other than `exceptIndex`, for a room's extra
   * (piped) router; null when there is no other live worker.
   */
  pickOtherWorker(exceptIndex: number, roomId = ''): WorkerEntry | null {
    const others = this.workers.filter((w) => !w.worker.closed && w.index !== exceptIndex);
    if (others.length === 0) return null;
    return this.place(others, roomId, 'pipe');
  }

  /** `index:routers` for every live worker, for log lines. */
  routersPerWorker(): string {
    return this.workers.map((w) => `${w.index}:${w.routers}`).join(',');
  }

  /**
   * Fewest routers, then fewest consumers; ties rotate so new rooms spread over
   * the pool. When every worker died, waits for a replacement rather than
   * failing the rooms being re-created after a `mediaReset`.
   */
  async pickWorker(roomId: string): Promise<WorkerEntry> {
    this.assertAvailable();
    let live = this.workers.filter((w) => !w.worker.closed);
    if (live.length === 0 && this.replacing.size > 0) {
      await Promise.allSettled([...this.replacing.values()]);
      live = this.workers.filter((w) => !w.worker.closed);
    }
    if (live.length === 0) throw new SignalingError('media_unavailable', 'no live mediasoup worker');
    return this.place(live, roomId, 'room');
  }

  /** Asks the placement policy; an answer that names none of `candidates` falls back to the first. */
  private place(candidates: WorkerEntry[], roomId: string, purpose: 'room' | 'pipe'): WorkerEntry {
    const loads = candidates.map((w) => ({ index: w.index, routers: w.routers, consumers: this.consumerCount(w.index) }));
    const index = this.placement.place(loads, { roomId, purpose });
    const chosen = candidates.find((w) => w.index === index);
    if (!chosen) this.logger.warn(`placement chose worker ${index}, not one of ${loads.map((l) => l.index).join(',')}; using ${candidates[0].index}`);
    return chosen ?? candidates[0];
  }

  private async startWorker(index: number): Promise<void> {
    const api = this.api;
    if (!api) return;
    const { media } = this.config;
    const before = new Set(process.listeners('SIGTERM'));
    const worker = await api.createWorker({
      logLevel: media.logLevel,
      workerBin: this.resolution.path ?? undefined,
      appData: { index },
    });
    // mediasoup closes its workers on SIGTERM by itself, which would end every
    // call at the start of the graceful drain; the drain closes them at its end.
    for (const listener of process.listeners('SIGTERM')) if (!before.has(listener)) process.removeListener('SIGTERM', listener);
    if (this.closing) {
      await closeAndReap(worker, (w) => api.kill(w));
      return;
    }
    const entry: WorkerEntry = { index, worker, routers: 0 };
    if (media.webRtcServerPort !== undefined) {
      const port = media.webRtcServerPort + index;
      const announcedAddress = media.announcedAddress;
      try {
        entry.webRtcServer = await worker.createWebRtcServer({
          listenInfos: [
            { protocol: 'udp', ip: media.listenIp, announcedAddress, port },
            { protocol: 'tcp', ip: media.listenIp, announcedAddress, port },
          ],
        });
      } catch (error) {
        // Not in the pool yet, so nothing else would ever close it.
        await closeAndReap(worker, (w) => api.kill(w));
        throw error;
      }
    }
    worker.on('died', (error) => {
      this.deaths++;
      this.logger.error(`worker died | index=${index} pid=${worker.pid} error=${error.message}`);
      const at = this.workers.indexOf(entry);
      if (at >= 0) this.workers.splice(at, 1);
      // The replacement starts now so that rooms re-created after mediaReset have somewhere to go.
      if (!this.closing) this.replace(index, 0);
      for (const listener of this.workerDiedListeners) listener(index);
    });
    this.workers.push(entry);
    this.logger.debug(`startWorker() | index=${index} pid=${worker.pid}`);
  }

  /** Starts a worker in slot `index`, retrying with backoff (a crash loop must not spin). */
  private replace(index: number, attempt: number): void {
    const started = this.startWorker(index).then(
      () => this.logger.log(`worker replaced | index=${index}`),
      (e: Error) => {
        this.logger.error(`worker restart failed | index=${index} attempt=${attempt + 1} error=${e.message}`);
        if (this.closing) return;
        const delay = Math.min(30_000, 500 * 2 ** attempt);
        setTimeout(() => !this.closing && this.replace(index, attempt + 1), delay).unref();
      },
    );
    this.replacing.set(index, started);
    void started.finally(() => {
      if (this.replacing.get(index) === started) this.replacing.delete(index);
    });
  }

  /**
   * Closes every worker and waits until its process has exited, so that no
   * worker outlives the API (a process manager restarting us would otherwise
   * find the RTC ports still taken). One that ignores the close is killed.
   */
  private async closeWorkers(): Promise<void> {
    const api = this.api;
    await Promise.all(this.workers.splice(0).map((entry) => closeAndReap(entry.worker, (w) => api?.kill(w))));
  }
}

/** How long a closed worker gets to exit before it is killed. */
const WORKER_EXIT_GRACE_MS = 2000;

async function closeAndReap(worker: Worker, kill: (worker: Worker) => void): Promise<void> {
  worker.removeAllListeners('died');
  const exited = worker.subprocessClosed ? Promise.resolve() : new Promise<void>((resolve) => worker.once('subprocessclose', () => resolve()));
  let closedCleanly = true;
  try {
    worker.close();
  } catch {
    // A poisoned channel cannot even send the close: end the process instead.
    closedCleanly = false;
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), closedCleanly ? WORKER_EXIT_GRACE_MS : 0)));
  if (await Promise.race([exited.then(() => false), timedOut])) {
    kill(worker);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 500))]);
  }
  clearTimeout(timer);
}
