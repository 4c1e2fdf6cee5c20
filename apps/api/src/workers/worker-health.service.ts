import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { WorkerPoolService } from './worker-pool.service';

/** How often every worker is probed (see probeWorkers()). */
const WORKER_PROBE_INTERVAL_MS = 5000;
/** How long a probe waits for a worker's answer. */
const WORKER_PROBE_TIMEOUT_MS = 3000;

/**
 * Keeps the pool's workers usable: a worker whose channel broke or that stopped
 * answering is killed (mediasoup reports it `died` and the pool replaces it).
 * Every mediasoup object the API closes goes through {@link closeQuietly}, so a
 * close that throws on a poisoned channel triggers a probe instead of failing
 * the caller.
 */
@Injectable()
export class WorkerHealthService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(WorkerHealthService.name);
  private probing: Promise<void> | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  /** Workers killed because their channel stopped working (metrics, tests). */
  private killed = 0;

  constructor(private readonly pool: WorkerPoolService) {}

  onModuleInit(): void {
    // A channel can also be broken by a path no request reports (an event handler): look regularly.
    this.probeTimer = setInterval(() => void this.probeWorkers('periodic check'), WORKER_PROBE_INTERVAL_MS);
    this.probeTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
  }

  /** Workers killed since start because they stopped answering or their channel broke. */
  get workersKilled(): number {
    return this.killed;
  }

  /**
   * Closes a mediasoup object without letting an exception out: on a worker
   * whose channel is poisoned, close() throws synchronously (it builds its
   * request first). The failure is logged and the workers are probed, so a
   * poisoned one is replaced instead of failing every peer's requests.
   */
  closeQuietly(object: { close(): void; closed: boolean; id?: string }): void {
    if (object.closed) return;
    try {
      object.close();
    } catch (error) {
      this.logger.error(`close() threw | object=${object.id ?? '-'} error=${(error as Error).message}`);
      this.probeWorkers('a close() threw');
    }
  }

  /**
   * Asks every live worker a cheap question (getResourceUsage). A worker whose
   * request cannot even be built (poisoned channel: an earlier request threw
   * half-way through serialization) or that does not answer within
   * WORKER_PROBE_TIMEOUT_MS is killed: mediasoup reports it `died`, it is
   * replaced and its rooms get `mediaReset`, as after a crash. Concurrent calls
   * share one probe.
   */
  probeWorkers(reason: string): Promise<void> {
    if (this.probing) return this.probing;
    if (!this.pool.available || this.pool.isClosing) return Promise.resolve();
    this.probing = (async () => {
      await Promise.all(
        this.pool.workerEntries
          .filter((w) => !w.worker.closed)
          .map(async (entry) => {
            let problem: string | null = null;
            try {
              const answered = entry.worker.getResourceUsage().then(() => 'ok' as const);
              // Twice: when our own event loop was blocked past the first deadline, the answer is
              // already queued and arrives right after it; only a worker that really is silent fails both.
              for (let round = 0; round < 2 && problem === null; round++) {
                let timer: NodeJS.Timeout | undefined;
                const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), WORKER_PROBE_TIMEOUT_MS)));
                const outcome = await Promise.race([answered, late]);
                clearTimeout(timer);
                if (outcome === 'ok') break;
                if (round === 1) problem = `no answer within ${2 * WORKER_PROBE_TIMEOUT_MS} ms`;
              }
            } catch (error) {
              if (!entry.worker.closed) problem = (error as Error).message;
            }
            if (problem === null || entry.worker.closed || this.pool.isClosing) return;
            this.logger.error(`worker unusable, killing it | index=${entry.index} pid=${entry.worker.pid} reason=${reason} problem=${problem}`);
            this.killed++;
            this.pool.kill(entry);
          }),
      );
    })().finally(() => {
      this.probing = null;
    });
    return this.probing;
  }
}
