import { Injectable, Logger } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { registerClusterMetrics } from '../cluster/cluster-metrics';
import { ClusterRedisService } from '../cluster/cluster-redis.service';
import { NodeRegistryService } from '../cluster/node-registry.service';
import { RoomHomeService } from '../cluster/room-home.service';
import type { Peer } from '../peers/peer';
import { registerRecordingMetrics } from '../recording/recording-metrics';
import { RecordingService } from '../recording/recording.service';
import { RoomsService } from '../rooms/rooms.service';
import { SessionsService } from '../sessions/sessions.service';
import { WorkerPoolService } from '../workers/worker-pool.service';
import { inTurns } from './in-turns';

/** Transports whose stats a scrape asks the workers for per turn of the event loop. */
const STATS_PER_TURN = 16;

/**
 * Prometheus metrics, on a registry of this app instance (tests start several
 * apps in one process, which the global registry would refuse). Counts are read
 * from the services at scrape time, so they cannot drift from the real state.
 */
@Injectable()
export class MetricsService {
  private readonly logger = new Logger(MetricsService.name);
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'outcome'>;
  private readonly duration: Histogram<'method'>;
  private readonly bytes: Counter<'direction'>;

  constructor(
    rooms: RoomsService,
    sessions: SessionsService,
    pool: WorkerPoolService,
    recordings: RecordingService,
    redis: ClusterRedisService,
    nodes: NodeRegistryService,
    home: RoomHomeService,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'confer_' });
    registerRecordingMetrics(this.registry, recordings);
    registerClusterMetrics(this.registry, redis, nodes, home);
    this.requests = new Counter({
      name: 'confer_signaling_requests_total',
      help: 'Signaling requests by method and outcome (ok or the error code).',
      labelNames: ['method', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'confer_signaling_request_seconds',
      help: 'Time to answer a signaling request.',
      labelNames: ['method'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    this.bytes = new Counter({
      name: 'confer_signaling_bytes_total',
      help: 'Signaling WebSocket message bytes, in (from clients) and out (to clients).',
      labelNames: ['direction'],
      registers,
    });
    this.bytes.inc({ direction: 'in' }, 0);
    this.bytes.inc({ direction: 'out' }, 0);
    const deaths = new Counter({ name: 'confer_mediasoup_worker_deaths_total', help: 'mediasoup workers that died (each is replaced).', registers });
    deaths.inc(0);
    pool.onWorkerDied(() => deaths.inc());

    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({ name, help, registers, collect() { this.set(read()); } });
    };
    const all = (): Peer[] => sessions.all();
    const sum = (f: (p: Peer) => number): number => all().reduce((n, p) => n + f(p), 0);
    gauge('confer_rooms', 'Open rooms.', () => rooms.all().length);
    gauge('confer_peers', 'Authenticated peers (including ones waiting for a resume).', () => all().length);
    gauge('confer_transports', 'WebRTC transports.', () => sum((p) => p.transports.size));
    gauge('confer_data_producers', 'Data producers.', () => sum((p) => p.dataProducers.size));
    gauge('confer_data_consumers', 'Data consumers.', () => sum((p) => p.dataConsumers.size));
    gauge('confer_mediasoup_workers', 'Live mediasoup workers.', () => pool.liveWorkerCount);
    gauge('confer_media_available', '1 when media is available.', () => (pool.available ? 1 : 0));
    const byKind = (name: string, help: string, pick: (p: Peer) => Iterable<{ kind: string }>): void => {
      new Gauge({
        name,
        help,
        labelNames: ['kind'],
        registers,
        collect() {
          const counts: Record<string, number> = { audio: 0, video: 0 };
          for (const p of all()) for (const o of pick(p)) counts[o.kind] = (counts[o.kind] ?? 0) + 1;
          for (const [kind, n] of Object.entries(counts)) this.set({ kind }, n);
        },
      });
    };
    byKind('confer_producers', 'Producers by kind.', (p) => p.producers.values());
    byKind('confer_consumers', 'Consumers by kind.', (p) => p.consumers.values());

    const logger = this.logger;
    new Gauge({
      name: 'confer_mediasoup_worker_cpu_seconds',
      help: 'CPU time used by each live mediasoup worker since it started (getResourceUsage: ru_utime, ru_stime); use rate(). The pid label changes when a worker is replaced.',
      labelNames: ['worker', 'pid', 'mode'],
      registers,
      async collect() {
        this.reset();
        await Promise.all(
          pool.workerEntries.map(async ({ index, worker }) => {
            try {
              const usage = await worker.getResourceUsage();
              const labels = { worker: String(index), pid: String(worker.pid) };
              this.set({ ...labels, mode: 'user' }, usage.ru_utime / 1000);
              this.set({ ...labels, mode: 'system' }, usage.ru_stime / 1000);
            } catch (error) {
              logger.debug(`getResourceUsage() failed | worker=${index} error=${(error as Error).message}`);
            }
          }),
        );
      },
    });
    new Gauge({
      name: 'confer_mediasoup_worker_routers',
      help: 'Routers on each live mediasoup worker: rooms\' main routers plus their extra routers fed by pipeToRouter (ROOM_PIPE_CONSUMER_THRESHOLD).',
      labelNames: ['worker'],
      registers,
      collect() {
        this.reset();
        for (const { index, routers, worker } of pool.workerEntries) if (!worker.closed) this.set({ worker: String(index) }, routers);
      },
    });
    new Gauge({
      name: 'confer_media_bytes',
      help: 'RTP/RTCP/SCTP bytes received from (in) and sent to (out) clients by the WebRTC transports open now (transport getStats bytesReceived/bytesSent).',
      labelNames: ['direction'],
      registers,
      async collect() {
        let received = 0;
        let sent = 0;
        // One worker request per transport: a few per turn, so that the signaling keeps its turns.
        await inTurns(
          all().flatMap((p) => [...p.transports.values()]),
          STATS_PER_TURN,
          async (t) => {
            try {
              for (const s of (await t.getStats()) as { bytesReceived?: number; bytesSent?: number }[]) {
                received += s.bytesReceived ?? 0;
                sent += s.bytesSent ?? 0;
              }
            } catch {
              // Closed between the listing and the call.
            }
          },
        );
        this.set({ direction: 'in' }, received);
        this.set({ direction: 'out' }, sent);
      },
    });
  }

  /** Records one answered request; `outcome` is `ok` or the error code. */
  observe(method: string, outcome: string, seconds: number): void {
    this.requests.inc({ method, outcome });
    this.duration.observe({ method }, seconds);
  }

  /** Counts signaling bytes received from or sent to clients. */
  signalingBytes(direction: 'in' | 'out', bytes: number): void {
    this.bytes.inc({ direction }, bytes);
  }
}
