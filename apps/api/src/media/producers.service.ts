import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  SignalingError,
  type ConnectWebRtcTransportParams,
  type CreateWebRtcTransportParams,
  type CreateWebRtcTransportResult,
  type Empty,
  type GetRouterRtpCapabilitiesParams,
  type GetRouterRtpCapabilitiesResult,
  type IceCandidate,
  type ProduceDataParams,
  type ProduceDataResult,
  type ProduceParams,
  type ProduceResult,
  type ProducerAppData,
  type RestartIceResult,
  type RtpParameters,
  type SetConsumerPreferredLayersParams,
  type StatsEntry,
  type StatsResult,
} from '@confer/signaling-contracts';
import type {
  Consumer,
  DataProducer,
  DtlsParameters,
  Producer,
  RtpCapabilities,
  RtpParameters as MsRtpParameters,
  SctpStreamParameters,
  WebRtcTransportOptions,
} from 'mediasoup/types';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { iceServersFor } from '../config/ice-servers';
import type { Peer, TransportAppData } from '../peers/peer';
import type { Room } from '../rooms/room';
import { EventsService } from '../events/events.service';
import { ROOM_POLICY, type RoomAction, type RoomPolicy } from '../policies/room-policy';
import { RoomsService } from '../rooms/rooms.service';
import { MediasoupService, type RoomMedia } from './mediasoup.service';
import { TransportListeners } from './transport-listeners';

type Owned = 'transports' | 'producers' | 'consumers' | 'dataProducers' | 'dataConsumers';
const OWNED_LABEL: Record<Owned, string> = {
  transports: 'transport',
  producers: 'producer',
  consumers: 'consumer',
  dataProducers: 'data producer',
  dataConsumers: 'data consumer',
};
const ok: Empty = {};

/**
 * The media half of the protocol: transports, producers, consumers and data
 * channels of a peer, following mediasoup's client–server guide. Consumers are
 * created here, never by the client.
 */
@Injectable()
export class MediaService {
  private readonly logger = new Logger(MediaService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly mediasoup: MediasoupService,
    private readonly rooms: RoomsService,
    @Inject(ROOM_POLICY) private readonly policy: RoomPolicy,
    private readonly events: EventsService,
  ) {}

  async getRouterRtpCapabilities(peer: Peer, { roomId }: GetRouterRtpCapabilitiesParams): Promise<GetRouterRtpCapabilitiesResult> {
    this.mediasoup.assertAvailable();
    const room = await this.rooms.enter(peer, roomId);
    return { rtpCapabilities: this.routerOf(room).rtpCapabilities };
  }

  async createWebRtcTransport(peer: Peer, params: CreateWebRtcTransportParams): Promise<CreateWebRtcTransportResult> {
    this.mediasoup.assertAvailable();
    const room = this.rooms.roomOf(peer, false);
    const main = this.mediaOf(room);
    if (params.direction === 'send' && !(await this.may(peer, room, 'publish')) && !(await this.may(peer, room, 'publishData'))) {
      throw new SignalingError('forbidden', 'not allowed to publish in this room');
    }
    if (params.direction === 'recv' && !(await this.may(peer, room, 'subscribe'))) throw new SignalingError('forbidden', 'not allowed to subscribe in this room');
    const max = this.config.limits.maxTransportsPerPeer;
    if (peer.transports.size >= max) throw new SignalingError('limit_exceeded', `at most ${max} transports per peer`);

    const { media } = this.config;
    // Receivers may go to the room's router on another worker once the main one carries enough consumers.
    const slot = params.direction === 'recv' ? await this.rooms.recvRouterFor(room, main) : main;
    const { router } = slot;
    const network = slot.webRtcServer
      ? { webRtcServer: slot.webRtcServer }
      : {
          listenInfos: [
            ...(params.forceTcp ? [] : [{ protocol: 'udp' as const, ip: media.listenIp, announcedAddress: media.announcedAddress, portRange: { min: media.minPort, max: media.maxPort } }]),
            { protocol: 'tcp' as const, ip: media.listenIp, announcedAddress: media.announcedAddress, portRange: { min: media.minPort, max: media.maxPort } },
          ],
        };
    const options = {
      ...network,
      enableUdp: !params.forceTcp,
      enableTcp: true,
      preferUdp: true,
      // mediasoup 3.27 dropped `numSctpStreams`: the worker negotiates the stream count itself.
      enableSctp: Boolean(params.sctpCapabilities),
      initialAvailableOutgoingBitrate: 1_000_000,
      appData: { peerId: peer.id, direction: params.direction, workerIndex: slot.workerIndex },
    } as WebRtcTransportOptions<TransportAppData>;
    const transport = await router.createWebRtcTransport<TransportAppData>(options);
    if (peer.roomId !== room.id || room.closed || peer.closed) {
      this.mediasoup.closeQuietly(transport);
      throw new SignalingError('invalid_state', 'left the room while the transport was being created');
    }
    transport.appData.listeners = new TransportListeners();
    peer.transports.set(transport.id, transport);
    transport.observer.once('close', () => peer.transports.delete(transport.id));
    transport.on('dtlsstatechange', (state) => {
      if (state === 'failed' || state === 'closed') {
        this.logger.warn(`transport dtls ${state} | peer=${peer.id} transport=${transport.id}`);
        this.mediasoup.closeQuietly(transport);
      }
    });
    if (media.maxIncomingBitrate > 0) {
      await transport.setMaxIncomingBitrate(media.maxIncomingBitrate).catch((e: Error) => this.logger.warn(`setMaxIncomingBitrate() failed | ${e.message}`));
    }
    this.logger.debug(`createWebRtcTransport() | peer=${peer.id} transport=${transport.id} direction=${params.direction} worker=${slot.workerIndex}`);
    // A receiver that joined before creating its recv transport gets the room's media now.
    if (params.direction === 'recv' && peer.joined) setImmediate(() => void this.consumeAll(peer));
    return {
      transportId: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates as IceCandidate[],
      dtlsParameters: transport.dtlsParameters,
      sctpParameters: transport.sctpParameters,
      iceServers: iceServersFor(media, peer.id),
    };
  }

  async connectWebRtcTransport(peer: Peer, { transportId, dtlsParameters }: ConnectWebRtcTransportParams): Promise<Empty> {
    const transport = this.owned(peer, 'transports', transportId);
    // The worker accepts one connect per transport; a second is the client's mistake.
    if (transport.appData.connected) throw new SignalingError('invalid_state', `transport ${transportId} is already connected`);
    transport.appData.connected = true;
    try {
      await transport.connect({ dtlsParameters: dtlsParameters as DtlsParameters });
    } catch (error) {
      transport.appData.connected = false;
      throw error;
    }
    return ok;
  }

  async restartIce(peer: Peer, { transportId }: { transportId: string }): Promise<RestartIceResult> {
    const transport = this.owned(peer, 'transports', transportId);
    return { iceParameters: await transport.restartIce() };
  }

  async produce(peer: Peer, params: ProduceParams): Promise<ProduceResult> {
    this.mediasoup.assertAvailable();
    const room = this.rooms.roomOf(peer);
    if (!(await this.may(peer, room, 'publish'))) throw new SignalingError('forbidden', 'not allowed to publish in this room');
    const transport = this.owned(peer, 'transports', params.transportId);
    if (transport.appData.direction !== 'send') throw new SignalingError('invalid_state', `transport ${transport.id} is not a send transport`);
    const max = this.config.limits.maxProducersPerPeer;
    if (peer.producers.size >= max) throw new SignalingError('limit_exceeded', `at most ${max} producers per peer`);

    // SSRC / MID / RID collisions on this transport are refused here, as the worker would.
    const listeners = transport.appData.listeners as TransportListeners;
    const producer = await this.createOwned(
      peer,
      room,
      { claim: (key) => listeners.claimRtp(key, params.rtpParameters), release: (key) => listeners.releaseRtp(key) },
      () =>
        transport.produce({
          kind: params.kind,
          rtpParameters: params.rtpParameters as MsRtpParameters,
          paused: params.paused ?? false,
          appData: { ...params.appData, peerId: peer.id },
        }),
    );
    peer.producers.set(producer.id, producer);
    producer.observer.once('close', () => {
      peer.producers.delete(producer.id);
      this.events.emit({ type: 'track.unpublished', roomId: room.id, peerId: peer.id, producerId: producer.id });
    });
    this.events.emit({ type: 'track.published', roomId: room.id, peerId: peer.id, producerId: producer.id, kind: producer.kind, source: params.appData.source });
    producer.on('score', (score) => peer.channel.notify('producerScore', { producerId: producer.id, score }));
    if (producer.kind === 'audio' && room.media) {
      room.media.activeSpeakerObserver.addProducer({ producerId: producer.id }).catch((e: Error) => this.logger.warn(`addProducer() to speaker observer failed | ${e.message}`));
    }
    this.logger.log(`produce() | peer=${peer.id} kind=${producer.kind} producer=${producer.id}`);
    setImmediate(() => {
      for (const other of room.joinedPeers(peer)) void this.createConsumer(other, peer, producer);
    });
    return { producerId: producer.id };
  }

  closeProducer(peer: Peer, { producerId }: { producerId: string }): Empty {
    // Its consumers get `producerclose` and their owners `consumerClosed`.
    this.mediasoup.closeQuietly(this.owned(peer, 'producers', producerId));
    return ok;
  }

  async pauseProducer(peer: Peer, { producerId }: { producerId: string }): Promise<Empty> {
    await this.owned(peer, 'producers', producerId).pause();
    return ok;
  }

  async resumeProducer(peer: Peer, { producerId }: { producerId: string }): Promise<Empty> {
    await this.owned(peer, 'producers', producerId).resume();
    return ok;
  }

  async pauseConsumer(peer: Peer, { consumerId }: { consumerId: string }): Promise<Empty> {
    await this.owned(peer, 'consumers', consumerId).pause();
    return ok;
  }

  async resumeConsumer(peer: Peer, { consumerId }: { consumerId: string }): Promise<Empty> {
    await this.owned(peer, 'consumers', consumerId).resume();
    return ok;
  }

  async setConsumerPreferredLayers(peer: Peer, { consumerId, spatialLayer, temporalLayer }: SetConsumerPreferredLayersParams): Promise<Empty> {
    await this.owned(peer, 'consumers', consumerId).setPreferredLayers({ spatialLayer, temporalLayer });
    return ok;
  }

  async setConsumerPriority(peer: Peer, { consumerId, priority }: { consumerId: string; priority: number }): Promise<Empty> {
    await this.owned(peer, 'consumers', consumerId).setPriority(priority);
    return ok;
  }

  async requestConsumerKeyFrame(peer: Peer, { consumerId }: { consumerId: string }): Promise<Empty> {
    await this.owned(peer, 'consumers', consumerId).requestKeyFrame();
    return ok;
  }

  async produceData(peer: Peer, params: ProduceDataParams): Promise<ProduceDataResult> {
    this.mediasoup.assertAvailable();
    const room = this.rooms.roomOf(peer);
    if (!(await this.may(peer, room, 'publishData'))) throw new SignalingError('forbidden', 'not allowed to publish data in this room');
    const transport = this.owned(peer, 'transports', params.transportId);
    if (transport.appData.direction !== 'send') throw new SignalingError('invalid_state', `transport ${transport.id} is not a send transport`);
    if (!transport.sctpParameters) throw new SignalingError('invalid_state', `transport ${transport.id} has no SCTP; create it with sctpCapabilities`);
    const listeners = transport.appData.listeners as TransportListeners;
    const dataProducer = await this.createOwned(
      peer,
      room,
      { claim: (key) => listeners.claimStream(key, params.sctpStreamParameters.streamId), release: (key) => listeners.releaseStream(key) },
      () =>
        transport.produceData({
          sctpStreamParameters: params.sctpStreamParameters as SctpStreamParameters,
          label: params.label,
          protocol: params.protocol,
          appData: { ...params.appData, peerId: peer.id },
        }),
    );
    peer.dataProducers.set(dataProducer.id, dataProducer);
    dataProducer.observer.once('close', () => peer.dataProducers.delete(dataProducer.id));
    this.logger.log(`produceData() | peer=${peer.id} label=${dataProducer.label} dataProducer=${dataProducer.id}`);
    setImmediate(() => {
      for (const other of room.joinedPeers(peer)) void this.createDataConsumer(other, peer, dataProducer);
    });
    return { dataProducerId: dataProducer.id };
  }

  closeDataProducer(peer: Peer, { dataProducerId }: { dataProducerId: string }): Empty {
    this.mediasoup.closeQuietly(this.owned(peer, 'dataProducers', dataProducerId));
    return ok;
  }

  getTransportStats(peer: Peer, { transportId }: { transportId: string }): Promise<StatsResult> {
    return this.stats(this.owned(peer, 'transports', transportId));
  }
  getProducerStats(peer: Peer, { producerId }: { producerId: string }): Promise<StatsResult> {
    return this.stats(this.owned(peer, 'producers', producerId));
  }
  getConsumerStats(peer: Peer, { consumerId }: { consumerId: string }): Promise<StatsResult> {
    return this.stats(this.owned(peer, 'consumers', consumerId));
  }
  getDataProducerStats(peer: Peer, { dataProducerId }: { dataProducerId: string }): Promise<StatsResult> {
    return this.stats(this.owned(peer, 'dataProducers', dataProducerId));
  }
  getDataConsumerStats(peer: Peer, { dataConsumerId }: { dataConsumerId: string }): Promise<StatsResult> {
    return this.stats(this.owned(peer, 'dataConsumers', dataConsumerId));
  }

  /** After `join`: consume every producer and data producer already in the room. */
  async consumeAll(peer: Peer): Promise<void> {
    const room = peer.roomId ? this.rooms.get(peer.roomId) : undefined;
    if (!room?.media || !peer.joined) return;
    const work: Promise<void>[] = [];
    for (const other of room.joinedPeers(peer)) {
      for (const producer of other.producers.values()) work.push(this.createConsumer(peer, other, producer));
      for (const dataProducer of other.dataProducers.values()) work.push(this.createDataConsumer(peer, other, dataProducer));
    }
    await Promise.all(work);
  }

  /**
   * Creates `consumerPeer`'s consumer of `producer`, paused, and resumes it only
   * once the client answered `newConsumer`: a consumer resumed earlier would send
   * RTP before the client's consumer exists, and the first key frame would be lost.
   */
  createConsumer(consumerPeer: Peer, producerPeer: Peer, producer: Producer): Promise<void> {
    // Runs detached from any request: nothing it throws may escape (an unhandled rejection ends the process).
    return this.consume(consumerPeer, producerPeer, producer).catch((error: Error) => {
      this.logger.error(`createConsumer() failed | peer=${consumerPeer.id} producer=${producer.id} error=${error.stack}`);
      void this.mediasoup.probeWorkers('a consumer could not be created');
    });
  }

  private async consume(consumerPeer: Peer, producerPeer: Peer, producer: Producer): Promise<void> {
    const rtpCapabilities = consumerPeer.rtpCapabilities as RtpCapabilities | undefined;
    const transport = consumerPeer.recvTransport();
    const room = consumerPeer.roomId ? this.rooms.get(consumerPeer.roomId) : undefined;
    if (!rtpCapabilities || !transport || !room?.media || producer.closed) return;
    if (consumerPeer.consuming.has(producer.id) || [...consumerPeer.consumers.values()].some((c) => c.producerId === producer.id)) return;
    if (!room.media.router.canConsume({ producerId: producer.id, rtpCapabilities })) {
      this.logger.debug(`createConsumer() | cannot consume | peer=${consumerPeer.id} producer=${producer.id}`);
      return;
    }
    consumerPeer.consuming.add(producer.id);
    let consumer: Consumer;
    try {
      // A recv transport on another worker's router consumes the producer piped there.
      await room.pipeTo('producer', producer.id, transport.appData.workerIndex ?? room.media.workerIndex);
      consumer = await transport.consume({ producerId: producer.id, rtpCapabilities, paused: true, appData: { ...producer.appData, peerId: producerPeer.id } });
    } catch (error) {
      this.logger.warn(`createConsumer() failed | peer=${consumerPeer.id} producer=${producer.id} error=${(error as Error).message}`);
      return;
    } finally {
      consumerPeer.consuming.delete(producer.id);
    }
    if (consumer.closed || consumerPeer.closed || consumerPeer.roomId !== room.id) {
      this.mediasoup.closeQuietly(consumer);
      return;
    }
    consumerPeer.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => consumerPeer.consumers.delete(consumer.id));
    const notify = consumerPeer.channel.notify.bind(consumerPeer.channel);
    consumer.on('producerclose', () => notify('consumerClosed', { consumerId: consumer.id }));
    consumer.on('producerpause', () => notify('consumerPaused', { consumerId: consumer.id }));
    consumer.on('producerresume', () => notify('consumerResumed', { consumerId: consumer.id }));
    consumer.on('score', (score) => notify('consumerScore', { consumerId: consumer.id, score }));
    consumer.on('layerschange', (layers) => notify('consumerLayersChanged', { consumerId: consumer.id, layers: layers ?? null }));
    try {
      await consumerPeer.channel.request('newConsumer', {
        peerId: producerPeer.id,
        producerId: producer.id,
        id: consumer.id,
        kind: consumer.kind,
        rtpParameters: consumer.rtpParameters as RtpParameters,
        type: consumer.type,
        appData: producer.appData as ProducerAppData,
        producerPaused: consumer.producerPaused,
      });
      if (!consumer.closed) await consumer.resume();
      this.logger.debug(`createConsumer() | peer=${consumerPeer.id} consumer=${consumer.id} kind=${consumer.kind} resumed`);
    } catch (error) {
      this.logger.warn(`newConsumer not accepted | peer=${consumerPeer.id} consumer=${consumer.id} error=${(error as Error).message}`);
      if (!consumer.closed) {
        this.mediasoup.closeQuietly(consumer);
        notify('consumerClosed', { consumerId: consumer.id });
      }
    }
  }

  /** Creates `consumerPeer`'s data consumer of `dataProducer` and announces it with `newDataConsumer`. */
  createDataConsumer(consumerPeer: Peer, producerPeer: Peer, dataProducer: DataProducer): Promise<void> {
    return this.consumeData(consumerPeer, producerPeer, dataProducer).catch((error: Error) => {
      this.logger.error(`createDataConsumer() failed | peer=${consumerPeer.id} dataProducer=${dataProducer.id} error=${error.stack}`);
      void this.mediasoup.probeWorkers('a data consumer could not be created');
    });
  }

  private async consumeData(consumerPeer: Peer, producerPeer: Peer, dataProducer: DataProducer): Promise<void> {
    const transport = consumerPeer.recvTransport();
    const room = consumerPeer.roomId ? this.rooms.get(consumerPeer.roomId) : undefined;
    if (!consumerPeer.sctpCapabilities || !transport?.sctpParameters || !room?.media || dataProducer.closed) return;
    if (consumerPeer.consuming.has(dataProducer.id) || [...consumerPeer.dataConsumers.values()].some((c) => c.dataProducerId === dataProducer.id)) return;
    consumerPeer.consuming.add(dataProducer.id);
    let dataConsumer;
    try {
      await room.pipeTo('dataProducer', dataProducer.id, transport.appData.workerIndex ?? room.media.workerIndex);
      dataConsumer = await transport.consumeData({ dataProducerId: dataProducer.id, appData: { peerId: producerPeer.id } });
    } catch (error) {
      this.logger.warn(`createDataConsumer() failed | peer=${consumerPeer.id} dataProducer=${dataProducer.id} error=${(error as Error).message}`);
      return;
    } finally {
      consumerPeer.consuming.delete(dataProducer.id);
    }
    if (dataConsumer.closed || consumerPeer.closed || consumerPeer.roomId !== room.id) {
      this.mediasoup.closeQuietly(dataConsumer);
      return;
    }
    const dc = dataConsumer;
    consumerPeer.dataConsumers.set(dc.id, dc);
    dc.observer.once('close', () => consumerPeer.dataConsumers.delete(dc.id));
    dc.on('dataproducerclose', () => consumerPeer.channel.notify('dataConsumerClosed', { dataConsumerId: dc.id }));
    try {
      await consumerPeer.channel.request('newDataConsumer', {
        peerId: producerPeer.id,
        dataProducerId: dataProducer.id,
        id: dc.id,
        sctpStreamParameters: dc.sctpStreamParameters ?? { streamId: 0 },
        label: dc.label,
        protocol: dc.protocol,
        appData: dataProducer.appData,
      });
    } catch (error) {
      this.logger.warn(`newDataConsumer not accepted | peer=${consumerPeer.id} dataConsumer=${dc.id} error=${(error as Error).message}`);
      if (!dc.closed) {
        this.mediasoup.closeQuietly(dc);
        consumerPeer.channel.notify('dataConsumerClosed', { dataConsumerId: dc.id });
      }
    }
  }

  /**
   * Creates a producer or data producer with its transport listener entries
   * reserved for exactly its lifetime (released if creation fails, else when it
   * closes), and closes it again if the peer left the room or went meanwhile.
   */
  private async createOwned<T extends { closed: boolean; close(): void; observer: { once(event: 'close', fn: () => void): unknown } }>(
    peer: Peer,
    room: Room,
    reservation: { claim(key: string): void; release(key: string): void },
    create: () => Promise<T>,
  ): Promise<T> {
    const key = randomUUID();
    reservation.claim(key);
    let created: T;
    try {
      created = await create();
    } catch (error) {
      reservation.release(key);
      throw error;
    }
    created.observer.once('close', () => reservation.release(key));
    if (created.closed || peer.closed || peer.roomId !== room.id) {
      this.mediasoup.closeQuietly(created);
      throw new SignalingError('invalid_state', 'the transport or the room closed meanwhile');
    }
    return created;
  }

  /** The room policy's answer (the token's grants by default). */
  private may(peer: Peer, room: Room, action: RoomAction): Promise<boolean> {
    return Promise.resolve(this.policy.may(peer.identity, room.id, action));
  }

  private routerOf(room: Room) {
    return this.mediaOf(room).router;
  }

  private mediaOf(room: Room): RoomMedia {
    if (!room.media) throw new SignalingError('media_unavailable', this.mediasoup.unavailable ?? 'this room has no media');
    return room.media;
  }

  /**
   * The peer's own object with that id. Another peer's object is `forbidden`
   * (a peer only acts on its own objects); an unknown id is `not_found`.
   */
  private owned<K extends Owned>(peer: Peer, kind: K, id: string): NonNullable<ReturnType<Peer[K]['get']>> {
    const mine = peer[kind].get(id) as ReturnType<Peer[K]['get']>;
    if (mine) return mine;
    const room = peer.roomId ? this.rooms.get(peer.roomId) : undefined;
    if (room && [...room.peers.values()].some((p) => p[kind].has(id))) {
      throw new SignalingError('forbidden', `${OWNED_LABEL[kind]} ${id} belongs to another peer`);
    }
    throw new SignalingError('not_found', `${OWNED_LABEL[kind]} ${id} does not exist`);
  }

  private async stats(object: { getStats(): Promise<unknown[]> }): Promise<StatsResult> {
    return { stats: (await object.getStats()) as StatsEntry[] };
  }
}
