import type { AppData, Worker, WorkerSettings } from 'mediasoup/types';
import { resolveWorkerBin, type WorkerBinResolution } from './worker-bin';

/** The part of mediasoup's module the API uses; the test double provides the same. */
export interface MediasoupApi {
  version: string;
  createWorker<T extends AppData = AppData>(settings?: WorkerSettings<T>): Promise<Worker<T>>;
  /**
   * Ends a worker's process at once (SIGKILL), for a worker that cannot be
   * closed through its channel; mediasoup then reports it `died`.
   */
  kill(worker: Worker): void;
}

/** Where WorkerPoolService gets mediasoup from: the real package, or a test double. */
export interface MediasoupApiSource {
  /** Which worker binary would run (or why none). */
  resolve(): WorkerBinResolution;
  /** Loads the module; called only when `resolve()` found a worker. */
  load(resolution: WorkerBinResolution): Promise<MediasoupApi>;
}

export const MEDIASOUP_API = Symbol('MEDIASOUP_API');

/** The real mediasoup, imported lazily. */
export const realMediasoup: MediasoupApiSource = {
  resolve: () => resolveWorkerBin(),
  async load(resolution) {
    // mediasoup fixes its worker path when first imported, so the variable must be set before.
    if (resolution.path) process.env['MEDIASOUP_WORKER_BIN'] = resolution.path;
    const mediasoup = await import('mediasoup');
    return {
      version: mediasoup.version,
      createWorker: (settings) => mediasoup.createWorker(settings),
      kill(worker) {
        try {
          process.kill(worker.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      },
    };
  },
};
