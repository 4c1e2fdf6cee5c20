/**
 * A test double of the part of mediasoup's worker API Confer uses, for machines
 * without a mediasoup-worker binary. Where the app depends on mediasoup's
 * behaviour the double reproduces it with mediasoup's own code: capabilities
 * and RTP parameters come from `mediasoup/ortc`, errors from `mediasoup/errors`,
 * and close events cascade the way the worker makes them (router → transports →
 * producers/consumers; producer → its consumers get `producerclose`), and
 * `pipeToRouter()` links a pipe consumer and a piped producer with the same id
 * the way mediasoup's Router does (the pipe transport pair is shared per router
 * pair; closing one side closes the other).
 * `dump()` counts live objects so tests can assert nothing leaks.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { NotFoundError, WorkerClosedError } from 'mediasoup/errors';
import * as ortc from 'mediasoup/ortc';
import type {
  AppData,
  DtlsParameters,
  IceCandidate,
  IceParameters,
  MediaKind,
  RouterRtpCodecCapability,
  RtpCapabilities,
  RtpParameters,
  SctpParameters,
  SctpStreamParameters,
  TransportListenInfo,
  Worker,
  WorkerSettings,
} from 'mediasoup/types';
import type { MediasoupApi, MediasoupApiSource } from '../mediasoup-api';
import { FakeChannel } from './fake-channel';

type Kind = 'worker' | 'webRtcServer' | 'router' | 'transport' | 'pipeTransport' | 'producer' | 'consumer' | 'dataProducer' | 'dataConsumer' | 'rtpObserver';
export type FakeCounts = Record<Kind, number>;

const clone = <T>(value: T): T => structuredClone(value);

/** Base of every fake object: id, appData, `closed`, an `observer` emitting `close`. */
abstract class FakeEntity extends EventEmitter {
  readonly id: string;
  readonly observer = new EventEmitter();
  closed = false;
  protected abstract readonly entityKind: Kind;
  protected abstract readonly method: string;

  constructor(
    protected readonly registry: FakeMediasoup,
    public appData: AppData,
    /** Given for a piped producer, which keeps its original's id. */
    id: string = randomUUID(),
  ) {
    super();
    this.id = id;
  }

  protected register(): void {
    this.registry.live[this.entityKind].add(this);
  }

  /** A request to the worker: through the channel (which may be poisoned), then what the worker answers for an object it no longer has. */
  protected assertOpen(request: string): void {
    this.registry.channel.request(this.id, `${this.method}_${request}`);
    if (this.closed) throw new Error(`Channel request handler with ID ${this.id} not found [method:${this.method}_${request}]`);
  }

  /** A close request, built synchronously as mediasoup's close() methods do (so it throws on a poisoned channel). */
  protected closeRequest(): void {
    this.registry.channel.request(this.id, `${this.method}_CLOSE`);
  }

  /**
   * Marks closed and unregisters, emits `event` (e.g. `transportclose`) and then
   * observer `close`, in mediasoup's order; true if it was open.
   */
  protected markClosed(event?: string): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.registry.live[this.entityKind].delete(this);
    if (event) this.emit(event);
    this.observer.emit('close');
    return true;
  }
}

export class FakeWorker extends FakeEntity {
  protected readonly entityKind = 'worker';
  protected readonly method = 'WORKER';
  readonly pid = 100000 + Math.floor(Math.random() * 100000);
  died = false;
  readonly routers = new Set<FakeRouter>();

  constructor(registry: FakeMediasoup, appData: AppData) {
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

export class FakeWebRtcServer extends FakeEntity {
  protected readonly entityKind = 'webRtcServer';
  protected readonly method = 'WEBRTCSERVER';

  constructor(
    registry: FakeMediasoup,
    appData: AppData,
    readonly listenInfos: TransportListenInfo[],
  ) {
    super(registry, appData);
    this.register();
  }

  close(): void {
    this.markClosed();
  }
}

export class FakeRouter extends FakeEntity {
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
    registry: FakeMediasoup,
    appData: AppData,
    readonly rtpCapabilities: RtpCapabilities,
    private readonly worker: FakeWorker,
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

  async createPipeTransport({ appData = {} }: { appData?: AppData } = {}): Promise<FakePipeTransport> {
    this.assertOpen('CREATE_PIPETRANSPORT');
    const transport = new FakePipeTransport(this.registry, appData, this);
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

  get workerRef(): FakeWorker {
    return this.worker;
  }
}

let nextPort = 40000;

/**
 * What WebRtcTransport and PipeTransport share: the producers, consumers, data
 * producers and data consumers made on them (producers also on the router, for
 * router-wide lookups), `dump()`, and the close cascade to those children.
 */
abstract class FakeTransportBase extends FakeEntity {
  readonly producers = new Map<string, FakeProducer>();
  readonly consumers = new Map<string, FakeConsumer>();
  readonly dataProducers = new Map<string, FakeDataProducer>();
  readonly dataConsumers = new Map<string, FakeDataConsumer>();
  protected nextSctpStreamId = 0;

  constructor(
    registry: FakeMediasoup,
    appData: AppData,
    protected readonly router: FakeRouter,
  ) {
    super(registry, appData);
  }

  protected trackProducer(producer: FakeProducer): FakeProducer {
    this.producers.set(producer.id, producer);
    this.router.producers.set(producer.id, producer);
    producer.observer.once('close', () => {
      this.producers.delete(producer.id);
      // A piped producer keeps its original's id: forget the router's entry only if it is this one.
      if (this.router.producers.get(producer.id) === producer) this.router.producers.delete(producer.id);
    });
    return producer;
  }

  protected trackConsumer(consumer: FakeConsumer): FakeConsumer {
    this.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => this.consumers.delete(consumer.id));
    return consumer;
  }

  protected trackDataProducer(dataProducer: FakeDataProducer): FakeDataProducer {
    this.dataProducers.set(dataProducer.id, dataProducer);
    this.router.dataProducers.set(dataProducer.id, dataProducer);
    dataProducer.observer.once('close', () => {
      this.dataProducers.delete(dataProducer.id);
      if (this.router.dataProducers.get(dataProducer.id) === dataProducer) this.router.dataProducers.delete(dataProducer.id);
    });
    return dataProducer;
  }

  protected trackDataConsumer(dataConsumer: FakeDataConsumer): FakeDataConsumer {
    this.dataConsumers.set(dataConsumer.id, dataConsumer);
    dataConsumer.observer.once('close', () => this.dataConsumers.delete(dataConsumer.id));
    return dataConsumer;
  }

  async dump(): Promise<{ id: string; producerIds: string[]; consumerIds: string[]; dataProducerIds: string[]; dataConsumerIds: string[] }> {
    this.assertOpen('DUMP');
    return {
      id: this.id,
      producerIds: [...this.producers.keys()],
      consumerIds: [...this.consumers.keys()],
      dataProducerIds: [...this.dataProducers.keys()],
      dataConsumerIds: [...this.dataConsumers.keys()],
    };
  }

  close(): void {
    if (this.closed) return;
    this.closeRequest();
    this.closeChildren();
    this.markClosed();
  }

  /** @internal */
  routerClosed(): void {
    if (this.closed) return;
    this.closeChildren();
    this.markClosed('routerclose');
  }

  /** Called once the children got `transportclose`, before this transport is marked closed. */
  protected childrenClosed(): void {
    // Nothing to do by default; WebRtcTransport sets dtlsState to 'closed' here.
  }

  private closeChildren(): void {
    for (const map of [this.producers, this.consumers, this.dataProducers, this.dataConsumers] as Map<string, { transportClosed(): void }>[]) {
      for (const child of [...map.values()]) child.transportClosed();
    }
    this.childrenClosed();
  }
}

export class FakeWebRtcTransport extends FakeTransportBase {
  protected readonly entityKind = 'transport';
  protected readonly method = 'TRANSPORT';
  iceParameters: IceParameters;
  readonly iceCandidates: IceCandidate[];
  readonly dtlsParameters: DtlsParameters;
  readonly sctpParameters?: SctpParameters;
  dtlsState: 'new' | 'connecting' | 'connected' | 'failed' | 'closed' = 'new';
  maxIncomingBitrate = 0;
  private nextMid = 0;
  private cname?: string;

  constructor(
    registry: FakeMediasoup,
    appData: AppData,
    router: FakeRouter,
    options: { listenInfos?: TransportListenInfo[]; webRtcServer?: FakeWebRtcServer; enableSctp?: boolean },
  ) {
    super(registry, appData, router);
    this.register();
    this.iceParameters = { usernameFragment: randomUUID().slice(0, 16), password: randomUUID().replace(/-/g, ''), iceLite: true };
    const infos = options.webRtcServer?.listenInfos ?? options.listenInfos ?? [];
    const port = nextPort++;
    this.iceCandidates = infos.map((info, i) => ({
      foundation: `${info.protocol}candidate`,
      priority: 1076302079 - i,
      ip: info.announcedAddress ?? info.ip,
      address: info.announcedAddress ?? info.ip,
      protocol: info.protocol,
      port: info.port ?? port,
      type: 'host',
      ...(info.protocol === 'tcp' ? { tcpType: 'passive' as const } : {}),
    }));
    this.dtlsParameters = {
      role: 'auto',
      fingerprints: [{ algorithm: 'sha-256', value: Array.from({ length: 32 }, () => Math.floor(Math.random() * 256).toString(16).padStart(2, '0').toUpperCase()).join(':') }],
    };
    if (options.enableSctp) this.sctpParameters = {
        port: 5000,
        OS: 1024,
        MIS: 1024,
        maxMessageSize: 262144,
        maxSendMessageSize: 262144,
        maxReceiveMessageSize: 262144,
        sendBufferSize: 262144,
        perStreamSendQueueLimit: 262144,
        maxReceiverWindowBufferSize: 262144,
        isDataChannel: true,
      };
  }

  get iceState(): string {
    return 'new';
  }

  async connect({ dtlsParameters }: { dtlsParameters: DtlsParameters }): Promise<void> {
    this.assertOpen('CONNECT');
    if (!dtlsParameters || !Array.isArray(dtlsParameters.fingerprints) || dtlsParameters.fingerprints.length === 0) {
      throw new TypeError('missing dtlsParameters.fingerprints');
    }
    if (this.dtlsState !== 'new') throw new Error(`connect() already called [method:WEBRTCTRANSPORT_CONNECT]`);
    this.dtlsState = 'connecting';
  }

  async setMaxIncomingBitrate(bitrate: number): Promise<void> {
    this.assertOpen('SET_MAX_INCOMING_BITRATE');
    this.maxIncomingBitrate = bitrate;
  }

  async restartIce(): Promise<IceParameters> {
    this.assertOpen('RESTART_ICE');
    this.iceParameters = { ...this.iceParameters, usernameFragment: randomUUID().slice(0, 16), password: randomUUID().replace(/-/g, '') };
    return this.iceParameters;
  }

  /** mediasoup's Transport.produce(), minus the worker. */
  async produce({ kind, rtpParameters, paused = false, appData = {} }: { kind: MediaKind; rtpParameters: RtpParameters; paused?: boolean; appData?: AppData }): Promise<FakeProducer> {
    if (!['audio', 'video'].includes(kind)) throw new TypeError(`invalid kind "${kind}"`);
    const params = clone(rtpParameters);
    ortc.validateAndNormalizeRtpParameters(params);
    if (!params.encodings?.length) params.encodings = [{}];
    this.cname ??= params.rtcp?.cname ?? randomUUID().slice(0, 8);
    params.rtcp = { ...params.rtcp, cname: this.cname };
    const rtpMapping = ortc.getProducerRtpParametersMapping(params, this.router.rtpCapabilities);
    const consumableRtpParameters = ortc.getConsumableRtpParameters(kind, params, this.router.rtpCapabilities, rtpMapping);
    // Serialized with mediasoup's own code: throws (and poisons the channel) where the worker request would.
    this.registry.channel.produce(this.id, params);
    this.assertOpen('PRODUCE');
    const type = params.encodings.length > 1 ? 'simulcast' : params.encodings[0]?.scalabilityMode && !/^L1/.test(params.encodings[0].scalabilityMode) ? 'svc' : 'simple';
    return this.trackProducer(new FakeProducer(this.registry, appData, { kind, rtpParameters: params, consumableRtpParameters, type, paused }));
  }

  /** mediasoup's Transport.consume(), minus the worker. */
  async consume({ producerId, rtpCapabilities, paused = false, appData = {}, enableRtx }: { producerId: string; rtpCapabilities: RtpCapabilities; paused?: boolean; appData?: AppData; enableRtx?: boolean }): Promise<FakeConsumer> {
    if (!producerId || typeof producerId !== 'string') throw new TypeError('missing producerId');
    const caps = clone(rtpCapabilities);
    ortc.validateAndNormalizeRtpCapabilities(caps);
    const producer = this.router.producers.get(producerId);
    if (!producer) throw new NotFoundError(`Producer with id "${producerId}" not found`);
    const rtpParameters = ortc.getConsumerRtpParameters({
      consumableRtpParameters: producer.consumableRtpParameters,
      remoteRtpCapabilities: caps,
      pipe: false,
      enableRtx: enableRtx ?? producer.kind === 'video',
    });
    rtpParameters.mid = `${this.nextMid++}`;
    this.assertOpen('CONSUME');
    return this.trackConsumer(new FakeConsumer(this.registry, appData, producer, rtpParameters, paused));
  }

  async produceData({ sctpStreamParameters, label = '', protocol = '', appData = {} }: { sctpStreamParameters: SctpStreamParameters; label?: string; protocol?: string; appData?: AppData }): Promise<FakeDataProducer> {
    const params = clone(sctpStreamParameters);
    ortc.validateAndNormalizeSctpStreamParameters(params);
    this.assertOpen('PRODUCEDATA');
    if (!this.sctpParameters) throw new Error('SCTP not enabled by remote Transport [method:TRANSPORT_PRODUCE_DATA]');
    return this.trackDataProducer(new FakeDataProducer(this.registry, appData, params, label, protocol));
  }

  async consumeData({ dataProducerId, appData = {} }: { dataProducerId: string; appData?: AppData }): Promise<FakeDataConsumer> {
    if (!dataProducerId || typeof dataProducerId !== 'string') throw new TypeError('missing dataProducerId');
    const dataProducer = this.router.dataProducers.get(dataProducerId);
    if (!dataProducer) throw new NotFoundError(`DataProducer with id "${dataProducerId}" not found`);
    this.assertOpen('CONSUMEDATA');
    if (!this.sctpParameters) throw new Error('SCTP not enabled by remote Transport [method:TRANSPORT_CONSUME_DATA]');
    const { ordered, maxPacketLifeTime, maxRetransmits } = dataProducer.sctpStreamParameters;
    const sctpStreamParameters: SctpStreamParameters = { streamId: this.nextSctpStreamId++, ordered, maxPacketLifeTime, maxRetransmits };
    return this.trackDataConsumer(new FakeDataConsumer(this.registry, appData, dataProducer, sctpStreamParameters));
  }

  async getStats(): Promise<Record<string, unknown>[]> {
    this.assertOpen('GET_STATS');
    return [{ type: 'webrtc-transport', transportId: this.id, timestamp: Date.now(), dtlsState: this.dtlsState, bytesReceived: 1000, bytesSent: 2000 }];
  }

  protected override childrenClosed(): void {
    this.dtlsState = 'closed';
  }
}

/**
 * mediasoup's PipeTransport, as `pipeToRouter()` uses it: consume() with
 * getPipeConsumerRtpParameters, produce()/produceData() keeping a given id.
 */
export class FakePipeTransport extends FakeTransportBase {
  protected readonly entityKind = 'pipeTransport';
  protected readonly method = 'TRANSPORT';
  readonly tuple = { localAddress: '127.0.0.1', localPort: nextPort++, protocol: 'udp' as const };

  constructor(registry: FakeMediasoup, appData: AppData, router: FakeRouter) {
    super(registry, appData, router);
    this.register();
  }

  async consume({ producerId }: { producerId: string }): Promise<FakeConsumer> {
    const producer = this.router.producers.get(producerId);
    if (!producer) throw new NotFoundError(`Producer with id "${producerId}" not found`);
    const rtpParameters = ortc.getPipeConsumerRtpParameters({ consumableRtpParameters: producer.consumableRtpParameters, enableRtx: false });
    this.assertOpen('CONSUME');
    // A pipe consumer is never paused by itself: it follows its producer.
    return this.trackConsumer(new FakeConsumer(this.registry, {}, producer, rtpParameters, false));
  }

  async produce({ id, kind, rtpParameters, paused = false, appData = {} }: { id?: string; kind: MediaKind; rtpParameters: RtpParameters; paused?: boolean; appData?: AppData }): Promise<FakeProducer> {
    if (id && this.producers.has(id)) throw new TypeError(`a Producer with same id "${id}" already exists`);
    if (id && this.router.workerRef.hasProducer(id)) throw new Error(`Channel request handler with ID ${id} already exists [method:TRANSPORT_PRODUCE]`);
    const params = clone(rtpParameters);
    ortc.validateAndNormalizeRtpParameters(params);
    const rtpMapping = ortc.getProducerRtpParametersMapping(params, this.router.rtpCapabilities);
    const consumableRtpParameters = ortc.getConsumableRtpParameters(kind, params, this.router.rtpCapabilities, rtpMapping);
    // Serialized with mediasoup's own code: throws (and poisons the channel) where the worker request would.
    this.registry.channel.produce(this.id, params);
    this.assertOpen('PRODUCE');
    return this.trackProducer(new FakeProducer(this.registry, appData, { id, kind, rtpParameters: params, consumableRtpParameters, type: 'simple', paused }));
  }

  async consumeData({ dataProducerId }: { dataProducerId: string }): Promise<FakeDataConsumer> {
    const dataProducer = this.router.dataProducers.get(dataProducerId);
    if (!dataProducer) throw new NotFoundError(`DataProducer with id "${dataProducerId}" not found`);
    this.assertOpen('CONSUMEDATA');
    const { ordered, maxPacketLifeTime, maxRetransmits } = dataProducer.sctpStreamParameters;
    return this.trackDataConsumer(new FakeDataConsumer(this.registry, {}, dataProducer, { streamId: this.nextSctpStreamId++, ordered, maxPacketLifeTime, maxRetransmits }));
  }

  async produceData({ id, sctpStreamParameters, label = '', protocol = '', appData = {} }: { id?: string; sctpStreamParameters: SctpStreamParameters; label?: string; protocol?: string; appData?: AppData }): Promise<FakeDataProducer> {
    if (id && this.dataProducers.has(id)) throw new TypeError(`a DataProducer with same id "${id}" already exists`);
    if (id && this.router.workerRef.hasProducer(id)) throw new Error(`Channel request handler with ID ${id} already exists [method:TRANSPORT_PRODUCE_DATA]`);
    this.assertOpen('PRODUCEDATA');
    return this.trackDataProducer(new FakeDataProducer(this.registry, appData, clone(sctpStreamParameters), label, protocol, id));
  }
}

/**
 * A producer or data producer: closing it (or its transport) tells its
 * consumers asynchronously, as the worker does with a notification.
 */
abstract class FakeSource<Sink> extends FakeEntity {
  protected abstract readonly sinks: Set<Sink>;
  protected abstract sourceClosed(sink: Sink): void;

  close(): void {
    if (this.closed) return;
    this.closeRequest();
    this.markClosed();
    this.notifySinks();
  }

  /** @internal */
  transportClosed(): void {
    if (!this.markClosed('transportclose')) return;
    this.notifySinks();
  }

  private notifySinks(): void {
    const sinks = [...this.sinks];
    this.sinks.clear();
    setImmediate(() => sinks.forEach((sink) => this.sourceClosed(sink)));
  }
}

/** A consumer or data consumer: it leaves its source's set when it or its transport closes. */
abstract class FakeSink extends FakeEntity {
  protected abstract detachFromSource(): void;

  close(): void {
    if (this.closed) return;
    this.closeRequest();
    this.markClosed();
    this.detachFromSource();
  }

  /** @internal */
  transportClosed(): void {
    this.detachFromSource();
    this.markClosed('transportclose');
  }
}

export class FakeProducer extends FakeSource<FakeConsumer> {
  protected readonly entityKind = 'producer';
  protected readonly method = 'PRODUCER';
  readonly consumers = new Set<FakeConsumer>();
  readonly kind: MediaKind;
  readonly rtpParameters: RtpParameters;
  readonly consumableRtpParameters: RtpParameters;
  readonly type: 'simple' | 'simulcast' | 'svc';
  paused: boolean;

  constructor(
    registry: FakeMediasoup,
    appData: AppData,
    data: { id?: string; kind: MediaKind; rtpParameters: RtpParameters; consumableRtpParameters: RtpParameters; type: 'simple' | 'simulcast' | 'svc'; paused: boolean },
  ) {
    super(registry, appData, data.id);
    this.register();
    this.kind = data.kind;
    this.rtpParameters = data.rtpParameters;
    this.consumableRtpParameters = data.consumableRtpParameters;
    this.type = data.type;
    this.paused = data.paused;
  }

  async pause(): Promise<void> {
    this.assertOpen('PAUSE');
    const was = this.paused;
    this.paused = true;
    if (!was) setImmediate(() => this.consumers.forEach((c) => c.producerPausedChanged(true)));
  }

  async resume(): Promise<void> {
    this.assertOpen('RESUME');
    const was = this.paused;
    this.paused = false;
    if (was) setImmediate(() => this.consumers.forEach((c) => c.producerPausedChanged(false)));
  }

  async getStats(): Promise<Record<string, unknown>[]> {
    this.assertOpen('GET_STATS');
    return [{ type: 'inbound-rtp', kind: this.kind, timestamp: Date.now() }];
  }

  protected get sinks(): Set<FakeConsumer> {
    return this.consumers;
  }

  protected sourceClosed(consumer: FakeConsumer): void {
    consumer.producerClosed();
  }
}

export class FakeConsumer extends FakeSink {
  protected readonly entityKind = 'consumer';
  protected readonly method = 'CONSUMER';
  readonly producerId: string;
  readonly kind: MediaKind;
  readonly type: string;
  paused: boolean;
  producerPaused: boolean;
  priority = 1;
  preferredLayers?: { spatialLayer: number; temporalLayer?: number };
  readonly score = { score: 10, producerScore: 10, producerScores: [] as number[] };

  constructor(
    registry: FakeMediasoup,
    appData: AppData,
    private readonly producer: FakeProducer,
    readonly rtpParameters: RtpParameters,
    paused: boolean,
  ) {
    super(registry, appData);
    this.register();
    this.producerId = producer.id;
    this.kind = producer.kind;
    this.type = producer.type;
    this.paused = paused;
    this.producerPaused = producer.paused;
    producer.consumers.add(this);
  }

  async pause(): Promise<void> {
    this.assertOpen('PAUSE');
    const was = this.paused;
    this.paused = true;
    if (!was && !this.producerPaused) this.observer.emit('pause');
  }

  async resume(): Promise<void> {
    this.assertOpen('RESUME');
    const was = this.paused;
    this.paused = false;
    if (was && !this.producerPaused) this.observer.emit('resume');
  }

  async setPreferredLayers(layers: { spatialLayer: number; temporalLayer?: number }): Promise<void> {
    this.assertOpen('SET_PREFERRED_LAYERS');
    if (typeof layers?.spatialLayer !== 'number') throw new TypeError('missing spatialLayer');
    this.preferredLayers = layers;
  }

  async setPriority(priority: number): Promise<void> {
    this.assertOpen('SET_PRIORITY');
    if (typeof priority !== 'number' || priority < 0) throw new TypeError('invalid priority');
    this.priority = priority;
  }

  async requestKeyFrame(): Promise<void> {
    this.assertOpen('REQUEST_KEY_FRAME');
  }

  async getStats(): Promise<Record<string, unknown>[]> {
    this.assertOpen('GET_STATS');
    return [{ type: 'outbound-rtp', kind: this.kind, timestamp: Date.now() }];
  }

  protected detachFromSource(): void {
    this.producer.consumers.delete(this);
  }

  /** @internal */
  producerClosed(): void {
    this.markClosed('producerclose');
  }

  /** @internal */
  producerPausedChanged(paused: boolean): void {
    if (this.closed || this.producerPaused === paused) return;
    this.producerPaused = paused;
    this.emit(paused ? 'producerpause' : 'producerresume');
    // As mediasoup's Consumer: the observer reports the effective state (a pipe consumer forwards it to its piped producer).
    if (!this.paused) this.observer.emit(paused ? 'pause' : 'resume');
  }
}

export class FakeDataProducer extends FakeSource<FakeDataConsumer> {
  protected readonly entityKind = 'dataProducer';
  protected readonly method = 'DATAPRODUCER';
  readonly type = 'sctp';
  readonly dataConsumers = new Set<FakeDataConsumer>();

  constructor(
    registry: FakeMediasoup,
    appData: AppData,
    readonly sctpStreamParameters: SctpStreamParameters,
    readonly label: string,
    readonly protocol: string,
    id?: string,
  ) {
    super(registry, appData, id);
    this.register();
  }

  async getStats(): Promise<Record<string, unknown>[]> {
    this.assertOpen('GET_STATS');
    return [{ type: 'data-producer', label: this.label, timestamp: Date.now() }];
  }

  protected get sinks(): Set<FakeDataConsumer> {
    return this.dataConsumers;
  }

  protected sourceClosed(dataConsumer: FakeDataConsumer): void {
    dataConsumer.dataProducerClosed();
  }
}

export class FakeDataConsumer extends FakeSink {
  protected readonly entityKind = 'dataConsumer';
  protected readonly method = 'DATACONSUMER';
  readonly type = 'sctp';
  readonly dataProducerId: string;
  readonly label: string;
  readonly protocol: string;

  constructor(
    registry: FakeMediasoup,
    appData: AppData,
    private readonly dataProducer: FakeDataProducer,
    readonly sctpStreamParameters: SctpStreamParameters,
  ) {
    super(registry, appData);
    this.register();
    this.dataProducerId = dataProducer.id;
    this.label = dataProducer.label;
    this.protocol = dataProducer.protocol;
    dataProducer.dataConsumers.add(this);
  }

  async getStats(): Promise<Record<string, unknown>[]> {
    this.assertOpen('GET_STATS');
    return [{ type: 'data-consumer', label: this.label, timestamp: Date.now() }];
  }

  protected detachFromSource(): void {
    this.dataProducer.dataConsumers.delete(this);
  }

  /** @internal */
  dataProducerClosed(): void {
    this.markClosed('dataproducerclose');
  }
}

export class FakeActiveSpeakerObserver extends FakeEntity {
  protected readonly entityKind = 'rtpObserver';
  protected readonly method = 'RTPOBSERVER';
  readonly producerIds = new Set<string>();

  constructor(
    registry: FakeMediasoup,
    appData: AppData,
    private readonly router: FakeRouter,
  ) {
    super(registry, appData);
    this.register();
  }

  async addProducer({ producerId }: { producerId: string }): Promise<void> {
    this.assertOpen('ADD_PRODUCER');
    const producer = this.router.producers.get(producerId);
    if (!producer) throw new NotFoundError(`Producer with id "${producerId}" not found`);
    this.producerIds.add(producerId);
    producer.observer.once('close', () => this.producerIds.delete(producerId));
  }

  async removeProducer({ producerId }: { producerId: string }): Promise<void> {
    this.assertOpen('REMOVE_PRODUCER');
    this.producerIds.delete(producerId);
  }

  /** Test hook: make `producerId` the dominant speaker, as the worker would. */
  speak(producerId: string): void {
    const producer = this.router.producers.get(producerId);
    if (producer && this.producerIds.has(producerId)) this.emit('dominantspeaker', { producer });
  }

  close(): void {
    this.markClosed();
  }

  /** @internal */
  routerClosed(): void {
    this.markClosed('routerclose');
  }
}

/**
 * The double's entry point: `createWorker` and `version` like mediasoup's module,
 * plus the registry of live objects.
 */
export class FakeMediasoup implements MediasoupApi {
  readonly version = 'fake';
  /** The workers' request channel (see fake-channel.ts). */
  readonly channel = new FakeChannel();
  readonly live: Record<Kind, Set<FakeEntity>> = {
    worker: new Set(),
    webRtcServer: new Set(),
    router: new Set(),
    transport: new Set(),
    pipeTransport: new Set(),
    producer: new Set(),
    consumer: new Set(),
    dataProducer: new Set(),
    dataConsumer: new Set(),
    rtpObserver: new Set(),
  };

  async createWorker<T extends AppData = AppData>(settings: WorkerSettings<T> = {}): Promise<Worker<T>> {
    return new FakeWorker(this, settings.appData ?? {}) as unknown as Worker<T>;
  }

  /** As SIGKILL of the worker process: mediasoup reports it `died`. */
  kill(worker: Worker): void {
    (worker as unknown as FakeWorker).die();
  }

  /** Live objects per kind; all zero (but workers) after every peer left. */
  dump(): FakeCounts {
    return Object.fromEntries(Object.entries(this.live).map(([k, set]) => [k, set.size])) as FakeCounts;
  }

  /** The live active speaker observers (tests trigger `dominantspeaker` through them). */
  speakerObservers(): FakeActiveSpeakerObserver[] {
    return [...this.live.rtpObserver] as FakeActiveSpeakerObserver[];
  }
}

/** A {@link MediasoupApiSource} serving `fake` instead of the real mediasoup. */
export function fakeMediasoupSource(fake: FakeMediasoup = new FakeMediasoup()): MediasoupApiSource & { fake: FakeMediasoup } {
  return {
    fake,
    resolve: () => ({ path: '(test double)', source: 'package', detail: 'mediasoup test double (apps/api/src/media/testing/fake-mediasoup.ts)' }),
    load: async () => fake,
  };
}
