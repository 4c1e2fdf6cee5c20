import { NotFoundError } from 'mediasoup/errors';
import * as ortc from 'mediasoup/ortc';
import type { AppData, RtpCapabilities, TransportListenInfo } from 'mediasoup/types';
import { FakeActiveSpeakerObserver } from './fake-active-speaker-observer';
import type { FakeConsumer } from './fake-consumer';
import type { FakeDataConsumer } from './fake-data-consumer';
import type { FakeDataProducer } from './fake-data-producer';
import { clone, FakeEntity } from './fake-entity';
import { FakePipeTransport } from './fake-pipe-transport';
import type { FakeProducer } from './fake-producer';
import type { FakeRegistry } from './fake-registry';
import type { FakeRouterScope } from './fake-router-scope';
import type { FakeWebRtcServer } from './fake-webrtc-server';
import { FakeWebRtcTransport } from './fake-webrtc-transport';

/**
 * mediasoup's Router: transports, the active speaker observer, router-wide
 * producer lookups, and `pipeToRouter()` as mediasoup's (keepId true): the pipe
 * transport pair is shared per router pair, closing one side closes the other.
 */
export class FakeRouter extends FakeEntity implements FakeRouterScope {
  protected readonly entityKind = 'router';
  protected readonly method = 'ROUTER';
  readonly transports = new Set<FakeWebRtcTransport>();
  readonly pipeTransports = new Set<FakePipeTransport>();
  /** Pipe transport pairs by the other router's id, as mediasoup's mapRouterPairPipeTransportPairPromise. */
  private readonly pipePairs = new Map<string, Promise<Record<string, FakePipeTransport>>>();
  readonly rtpObservers = new Set<FakeActiveSpeakerObserver>();
  /** Router-wide lookups, as in mediasoup (consume() finds producers of any transport). */
  readonly producers = new Map<string, FakeProducer>();
  readonly dataProducers = new Map<string, FakeDataProducer>();

  constructor(
    registry: FakeRegistry,
    appData: AppData,
    readonly rtpCapabilities: RtpCapabilities,
    private readonly worker: { hasProducer(id: string): boolean },
  ) {
    super(registry, appData);
    this.register();
  }

  async createWebRtcTransport(options: {
    listenInfos?: TransportListenInfo[];
    webRtcServer?: FakeWebRtcServer;
    enableSctp?: boolean;
    appData?: AppData;
  }): Promise<FakeWebRtcTransport> {
    this.assertOpen('CREATE_WEBRTCTRANSPORT');
    if (!options.webRtcServer && !options.listenInfos?.length) throw new TypeError('missing webRtcServer and listenInfos');
    const transport = new FakeWebRtcTransport(this.registry, options.appData ?? {}, this, options);
    this.transports.add(transport);
    transport.observer.once('close', () => this.transports.delete(transport));
    return transport;
  }

  async createActiveSpeakerObserver({ appData = {} }: { interval?: number; appData?: AppData } = {}): Promise<FakeActiveSpeakerObserver> {
    this.assertOpen('CREATE_ACTIVESPEAKEROBSERVER');
    const observer = new FakeActiveSpeakerObserver(this.registry, appData, this);
    this.rtpObservers.add(observer);
    observer.observer.once('close', () => this.rtpObservers.delete(observer));
    return observer;
  }

  /** mediasoup's Router.pipeToRouter() (keepId true): a pipe consumer here, a producer with the same id on `router`. */
  async pipeToRouter({ producerId, dataProducerId, router }: { producerId?: string; dataProducerId?: string; router: FakeRouter }): Promise<{
    pipeConsumer?: FakeConsumer;
    pipeProducer?: FakeProducer;
    pipeDataConsumer?: FakeDataConsumer;
    pipeDataProducer?: FakeDataProducer;
  }> {
    if (!producerId && !dataProducerId) throw new TypeError('missing producerId or dataProducerId');
    if (producerId && dataProducerId) throw new TypeError('just producerId or dataProducerId can be given');
    if (!router) throw new TypeError('missing router');
    if (router === this) throw new TypeError('cannot use this Router as destination');
    const producer = producerId ? this.producers.get(producerId) : undefined;
    const dataProducer = dataProducerId ? this.dataProducers.get(dataProducerId) : undefined;
    if (producerId && !producer) throw new NotFoundError('Producer not found');
    if (dataProducerId && !dataProducer) throw new NotFoundError('DataProducer not found');
    let pair = this.pipePairs.get(router.id);
    if (!pair) {
      pair = (async () => {
        const local = await this.createPipeTransport();
        const remote = await router.createPipeTransport();
        // Either side closing closes the other and forgets the pair, on both routers.
        local.observer.once('close', () => {
          remote.close();
          this.pipePairs.delete(router.id);
        });
        remote.observer.once('close', () => {
          local.close();
          router.pipePairs.delete(this.id);
        });
        return { [this.id]: local, [router.id]: remote };
      })();
      this.pipePairs.set(router.id, pair);
      router.pipePairs.set(this.id, pair);
    }
    const transports = await pair;
    const local = transports[this.id];
    const remote = transports[router.id];
    if (producer) {
      const pipeConsumer = await local.consume({ producerId: producer.id });
      let pipeProducer: FakeProducer;
      try {
        pipeProducer = await remote.produce({
          id: producer.id,
          kind: pipeConsumer.kind,
          rtpParameters: pipeConsumer.rtpParameters,
          paused: pipeConsumer.producerPaused,
          appData: producer.appData,
        });
      } catch (error) {
        pipeConsumer.close();
        throw error;
      }
      if (producer.closed) {
        pipeConsumer.close();
        pipeProducer.close();
        throw new NotFoundError('original Producer closed');
      }
      pipeConsumer.observer.on('close', () => pipeProducer.close());
      pipeConsumer.observer.on('pause', () => void pipeProducer.pause().catch(() => undefined));
      pipeConsumer.observer.on('resume', () => void pipeProducer.resume().catch(() => undefined));
      pipeProducer.observer.on('close', () => pipeConsumer.close());
      return { pipeConsumer, pipeProducer };
    }
    const source = dataProducer as FakeDataProducer;
    const pipeDataConsumer = await local.consumeData({ dataProducerId: source.id });
    let pipeDataProducer: FakeDataProducer;
    try {
      pipeDataProducer = await remote.produceData({
        id: source.id,
        sctpStreamParameters: pipeDataConsumer.sctpStreamParameters,
        label: pipeDataConsumer.label,
        protocol: pipeDataConsumer.protocol,
        appData: source.appData,
      });
    } catch (error) {
      pipeDataConsumer.close();
      throw error;
    }
    if (source.closed) {
      pipeDataConsumer.close();
      pipeDataProducer.close();
      throw new NotFoundError('original DataProducer closed');
    }
    pipeDataConsumer.observer.on('close', () => pipeDataProducer.close());
    pipeDataProducer.observer.on('close', () => pipeDataConsumer.close());
    return { pipeDataConsumer, pipeDataProducer };
  }

  async createPipeTransport({ listenInfo, enableSrtp = false, appData = {} }: { listenInfo?: TransportListenInfo; enableSrtp?: boolean; enableRtx?: boolean; appData?: AppData } = {}): Promise<FakePipeTransport> {
    this.assertOpen('CREATE_PIPETRANSPORT');
    const transport = new FakePipeTransport(this.registry, appData, this, { listenInfo, enableSrtp });
    this.pipeTransports.add(transport);
    transport.observer.once('close', () => this.pipeTransports.delete(transport));
    return transport;
  }

  canConsume({ producerId, rtpCapabilities }: { producerId: string; rtpCapabilities: RtpCapabilities }): boolean {
    const producer = this.producers.get(producerId);
    if (!producer) return false;
    try {
      return ortc.canConsume(producer.consumableRtpParameters, clone(rtpCapabilities));
    } catch {
      return false;
    }
  }

  /** As mediasoup's Router.dump(): transports, observers, and who consumes which producer. */
  async dump(): Promise<{
    id: string;
    transportIds: string[];
    rtpObserverIds: string[];
    mapProducerIdConsumerIds: { key: string; values: string[] }[];
    mapDataProducerIdDataConsumerIds: { key: string; values: string[] }[];
  }> {
    this.assertOpen('DUMP');
    return {
      id: this.id,
      transportIds: [...this.transports, ...this.pipeTransports].map((t) => t.id),
      rtpObserverIds: [...this.rtpObservers].map((o) => o.id),
      mapProducerIdConsumerIds: [...this.producers.values()].map((p) => ({ key: p.id, values: [...p.consumers].map((c) => c.id) })),
      mapDataProducerIdDataConsumerIds: [...this.dataProducers.values()].map((p) => ({ key: p.id, values: [...p.dataConsumers].map((c) => c.id) })),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closeRequest();
    this.closeChildren();
    this.markClosed();
  }

  /** @internal The worker closed: children close, then `workerclose`. */
  workerClosed(): void {
    if (this.closed) return;
    this.closeChildren();
    this.markClosed('workerclose');
  }

  private closeChildren(): void {
    for (const t of [...this.transports]) t.routerClosed();
    for (const t of [...this.pipeTransports]) t.routerClosed();
    for (const o of [...this.rtpObservers]) o.routerClosed();
  }

  hasProducerOnWorker(id: string): boolean {
    return this.worker.hasProducer(id);
  }
}
