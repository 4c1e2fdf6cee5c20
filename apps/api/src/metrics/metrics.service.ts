import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { MediasoupService } from '../media/mediasoup.service';
import { PeersService } from '../peers/peers.service';
import { RoomsService } from '../rooms/rooms.service';

/**
 * Prometheus metrics, on a registry of this app instance (tests start several
 * apps in one process, which the global registry would refuse).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'outcome'>;
  private readonly duration: Histogram<'method'>;

  constructor(rooms: RoomsService, peers: PeersService, mediasoup: MediasoupService) {
    collectDefaultMetrics({ register: this.registry, prefix: 'confer_' });
    this.requests = new Counter({
      name: 'confer_signaling_requests_total',
      help: 'Signaling requests by method and outcome (ok or the error code).',
      labelNames: ['method', 'outcome'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'confer_signaling_request_seconds',
      help: 'Time to answer a signaling request.',
      labelNames: ['method'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [this.registry],
    });
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({ name, help, registers: [this.registry], collect() { this.set(read()); } });
    };
    const sum = (f: (p: ReturnType<PeersService['all']>[number]) => number): number => peers.all().reduce((n, p) => n + f(p), 0);
    gauge('confer_rooms', 'Open rooms.', () => rooms.all().length);
    gauge('confer_peers', 'Authenticated peers (including ones waiting for a resume).', () => peers.all().length);
    gauge('confer_transports', 'WebRTC transports.', () => sum((p) => p.transports.size));
    gauge('confer_producers', 'Producers.', () => sum((p) => p.producers.size));
    gauge('confer_consumers', 'Consumers.', () => sum((p) => p.consumers.size));
    gauge('confer_data_producers', 'Data producers.', () => sum((p) => p.dataProducers.size));
    gauge('confer_data_consumers', 'Data consumers.', () => sum((p) => p.dataConsumers.size));
    gauge('confer_mediasoup_workers', 'Live mediasoup workers.', () => mediasoup.workerEntries.length);
    gauge('confer_media_available', '1 when media is available.', () => (mediasoup.available ? 1 : 0));
  }

  /** Records one answered request; `outcome` is `ok` or the error code. */
  observe(method: string, outcome: string, seconds: number): void {
    this.requests.inc({ method, outcome });
    this.duration.observe({ method }, seconds);
  }
}
