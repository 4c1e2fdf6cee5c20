import { randomUUID } from 'node:crypto';
import { NotFoundError } from 'mediasoup/errors';
import * as ortc from 'mediasoup/ortc';
import type {
  AppData,
  DtlsParameters,
  IceCandidate,
  IceParameters,
  MediaKind,
  RtpCapabilities,
  RtpParameters,
  SctpParameters,
  SctpStreamParameters,
  TransportListenInfo,
} from 'mediasoup/types';
import { FakeConsumer } from './fake-consumer';
import { FakeDataConsumer } from './fake-data-consumer';
import { FakeDataProducer } from './fake-data-producer';
import { clone } from './fake-entity';
import { FakeProducer } from './fake-producer';
import type { FakeRegistry } from './fake-registry';
import type { FakeRouterScope } from './fake-router-scope';
import { FakeTransportBase, nextPort } from './fake-transport';
import type { FakeWebRtcServer } from './fake-webrtc-server';

/** mediasoup's WebRtcTransport: ICE/DTLS parameters, connect, produce/consume with mediasoup's own ORTC code. */
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
    registry: FakeRegistry,
    appData: AppData,
    router: FakeRouterScope,
    options: { listenInfos?: TransportListenInfo[]; webRtcServer?: FakeWebRtcServer; enableSctp?: boolean },
  ) {
    super(registry, appData, router);
    this.register();
    this.iceParameters = { usernameFragment: randomUUID().slice(0, 16), password: randomUUID().replace(/-/g, ''), iceLite: true };
    const infos = options.webRtcServer?.listenInfos ?? options.listenInfos ?? [];
    const port = nextPort();
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
