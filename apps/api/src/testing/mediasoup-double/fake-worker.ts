import { WorkerClosedError } from 'mediasoup/errors';
import * as ortc from 'mediasoup/ortc';
import type { AppData, RouterRtpCodecCapability, TransportListenInfo } from 'mediasoup/types';
import { clone, FakeEntity } from './fake-entity';
import type { FakeRegistry } from './fake-registry';
import { FakeRouter } from './fake-router';
import { FakeWebRtcServer } from './fake-webrtc-server';

/** mediasoup's Worker: routers, WebRtcServers, `died` and `subprocessclose`, minus the process. */
export class FakeWorker extends FakeEntity {
  protected readonly entityKind = 'worker';
  protected readonly method = 'WORKER';
  readonly pid = 100000 + Math.floor(Math.random() * 100000);
  died = false;
  readonly routers = new Set<FakeRouter>();

  constructor(registry: FakeRegistry, appData: AppData) {
    super(registry, appData);
    this.register();
  }

  async createRouter({ mediaCodecs, appData = {} }: { mediaCodecs?: RouterRtpCodecCapability[]; appData?: AppData } = {}): Promise<FakeRouter> {
    if (this.closed) throw new WorkerClosedError('Channel closed, cannot send request [method:WORKER_CREATE_ROUTER]');
    // This may throw, as in mediasoup.
    const rtpCapabilities = ortc.generateRouterRtpCapabilities(clone(mediaCodecs));
    const router = new FakeRouter(this.registry, appData, rtpCapabilities, this);
    this.routers.add(router);
    router.observer.once('close', () => this.routers.delete(router));
    return router;
  }

  async createWebRtcServer({ listenInfos, appData = {} }: { listenInfos: TransportListenInfo[]; appData?: AppData }): Promise<FakeWebRtcServer> {
    if (this.closed) throw new WorkerClosedError('Channel closed, cannot send request [method:WORKER_CREATE_WEBRTCSERVER]');
    if (!Array.isArray(listenInfos) || listenInfos.length === 0) throw new TypeError('empty listenInfos array provided');
    return new FakeWebRtcServer(this.registry, appData, listenInfos);
  }

  /** @internal Whether a producer or data producer with this id lives on this worker (ids are unique per worker). */
  hasProducer(id: string): boolean {
    return [...this.routers].some((r) => r.producers.has(id) || r.dataProducers.has(id));
  }

  async dump(): Promise<{ pid: number; routerIds: string[] }> {
    return { pid: this.pid, routerIds: [...this.routers].map((r) => r.id) };
  }

  /** CPU use grows with the number of routers, so that metrics tests see a value. */
  async getResourceUsage(): Promise<{ ru_utime: number; ru_stime: number }> {
    this.assertOpen('WORKER_GET_RESOURCE_USAGE');
    return { ru_utime: 10 * (this.routers.size + 1), ru_stime: 5 };
  }

  /** As mediasoup: true once the (here imaginary) process has exited. */
  subprocessClosed = false;

  close(): void {
    if (this.closed) return;
    for (const router of [...this.routers]) router.workerClosed();
    this.markClosed();
    // The real process exits a moment after the close notification.
    setImmediate(() => this.processExited());
    // Sent last, as in mediasoup (everything is already closed when it throws).
    this.closeRequest();
  }

  /** Test hook: the worker process dies, as mediasoup reports it (`died`, then everything closes). */
  die(): void {
    if (this.closed) return;
    this.died = true;
    for (const router of [...this.routers]) router.workerClosed();
    this.markClosed();
    this.registry.channel.reset();
    setImmediate(() => this.processExited());
    this.emit('died', new Error(`[pid:${this.pid}, code:1, signal:null]`));
  }

  private processExited(): void {
    if (this.subprocessClosed) return;
    this.subprocessClosed = true;
    this.emit('subprocessclose');
  }
}
