import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { NotFoundError } from 'mediasoup/errors';
import * as ortc from 'mediasoup/ortc';
import type { AppData, MediaKind, RtpParameters, SctpStreamParameters, SrtpParameters, TransportListenInfo } from 'mediasoup/types';
import { FakeConsumer } from './fake-consumer';
import { FakeDataConsumer } from './fake-data-consumer';
import { FakeDataProducer } from './fake-data-producer';
import { clone } from './fake-entity';
import { FakeProducer } from './fake-producer';
import type { FakeRegistry } from './fake-registry';
import type { FakeRouterScope } from './fake-router-scope';
import { FakeTransportBase, nextPort } from './fake-transport';

/**
 * mediasoup's PipeTransport, as `pipeToRouter()` and the cluster's remote pipes
 * use it: a local tuple (the listen info's announced address, else its IP),
 * SRTP parameters when `enableSrtp`, connect() once with the remote ip, port
 * (and its SRTP parameters when enabled), consume() with
 * getPipeConsumerRtpParameters, produce()/produceData() keeping a given id.
 */
export class FakePipeTransport extends FakeTransportBase {
  protected readonly entityKind = 'pipeTransport';
  protected readonly method = 'TRANSPORT';
  readonly tuple: { localAddress: string; localPort: number; protocol: 'udp'; remoteIp?: string; remotePort?: number };
  readonly srtpParameters?: SrtpParameters;

  constructor(registry: FakeRegistry, appData: AppData, router: FakeRouterScope, options: { listenInfo?: TransportListenInfo; enableSrtp?: boolean } = {}) {
    super(registry, appData, router);
    const info = options.listenInfo;
    this.tuple = { localAddress: info?.announcedAddress ?? info?.ip ?? '127.0.0.1', localPort: info?.port || nextPort(), protocol: 'udp' };
    // mediasoup's pipe transports use AEAD_AES_256_GCM (a 44-byte master key and salt).
    if (options.enableSrtp) this.srtpParameters = { cryptoSuite: 'AEAD_AES_256_GCM', keyBase64: randomBytes(44).toString('base64') };
    this.register();
  }

  /** As the worker: once, an IP and a port, SRTP parameters exactly when SRTP is enabled. */
  async connect({ ip, port, srtpParameters }: { ip: string; port?: number; srtpParameters?: SrtpParameters }): Promise<void> {
    this.assertOpen('CONNECT');
    if (this.tuple.remoteIp !== undefined) throw new Error('connect() already called [method:PIPETRANSPORT_CONNECT]');
    if (typeof ip !== 'string' || !isIP(ip)) throw new TypeError(`invalid IP '${String(ip)}' [method:PIPETRANSPORT_CONNECT]`);
    if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) throw new TypeError('missing port [method:PIPETRANSPORT_CONNECT]');
    if (this.srtpParameters && !srtpParameters) throw new TypeError('missing srtpParameters (SRTP enabled) [method:PIPETRANSPORT_CONNECT]');
    if (!this.srtpParameters && srtpParameters) throw new TypeError('invalid srtpParameters (SRTP disabled) [method:PIPETRANSPORT_CONNECT]');
    this.tuple.remoteIp = ip;
    this.tuple.remotePort = port;
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
    if (id && this.router.hasProducerOnWorker(id)) throw new Error(`Channel request handler with ID ${id} already exists [method:TRANSPORT_PRODUCE]`);
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
    if (id && this.router.hasProducerOnWorker(id)) throw new Error(`Channel request handler with ID ${id} already exists [method:TRANSPORT_PRODUCE_DATA]`);
    this.assertOpen('PRODUCEDATA');
    return this.trackDataProducer(new FakeDataProducer(this.registry, appData, clone(sctpStreamParameters), label, protocol, id));
  }
}
