import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  SignalingError,
  type ConnectWebRtcTransportParams,
  type CreateWebRtcTransportParams,
  type CreateWebRtcTransportResult,
  type Empty,
  type IceCandidate,
  type RestartIceResult,
  type StatsResult,
} from '@confer/signaling-contracts';
import type { DtlsParameters, WebRtcTransportOptions } from 'mediasoup/types';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { iceServersFor } from '../config/ice-servers';
import type { Peer, TransportAppData } from '../peers/peer';
import { TransportListeners } from '../peers/transport-listeners';
import { RoomRoutersService } from '../rooms/room-routers.service';
import { MediaAccessService } from './media-access.service';
import { SubscriptionsService } from './subscriptions.service';

/**
 * The transport factory: a peer's WebRTC transports, on the room's main router
 * (send, and recv until the pipe threshold) or on one of its extra routers
 * (recv past it), with the network settings of the configuration.
 */
@Injectable()
export class TransportsService {
  private readonly logger = new Logger(TransportsService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly access: MediaAccessService,
    private readonly routers: RoomRoutersService,
    private readonly subscriptions: SubscriptionsService,
  ) {}

  async createWebRtcTransport(peer: Peer, params: CreateWebRtcTransportParams): Promise<CreateWebRtcTransportResult> {
    const { room, media: main } = this.access.roomOf(peer, false);
    if (params.direction === 'send') await this.access.assertMay(peer, room, ['publish', 'publishData'], 'not allowed to publish in this room');
    else await this.access.assertMay(peer, room, ['subscribe'], 'not allowed to subscribe in this room');
    const max = this.config.limits.maxTransportsPerPeer;
    if (peer.transports.size >= max) throw new SignalingError('limit_exceeded', `at most ${max} transports per peer`);

    const { media } = this.config;
    // Receivers may go to the room's router on another worker once the main one carries enough consumers.
    const slot = params.direction === 'recv' ? await this.routers.recvRouterFor(room, main) : main;
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
      this.access.closeQuietly(transport);
      throw new SignalingError('invalid_state', 'left the room while the transport was being created');
    }
    transport.appData.listeners = new TransportListeners();
    peer.transports.set(transport.id, transport);
    transport.observer.once('close', () => peer.transports.delete(transport.id));
    transport.on('dtlsstatechange', (state) => {
      if (state === 'failed' || state === 'closed') {
        this.logger.warn(`transport dtls ${state} | peer=${peer.id} transport=${transport.id}`);
        this.access.closeQuietly(transport);
      }
    });
    if (media.maxIncomingBitrate > 0) {
      await transport.setMaxIncomingBitrate(media.maxIncomingBitrate).catch((e: Error) => this.logger.warn(`setMaxIncomingBitrate() failed | ${e.message}`));
    }
    this.logger.debug(`createWebRtcTransport() | peer=${peer.id} transport=${transport.id} direction=${params.direction} worker=${slot.workerIndex}`);
    // A receiver that joined before creating its recv transport gets the room's media now.
    if (params.direction === 'recv' && peer.joined) setImmediate(() => void this.subscriptions.consumeAll(peer));
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
    const transport = this.access.owned(peer, 'transports', transportId);
    // The worker accepts one connect per transport; a second is the client's mistake.
    if (transport.appData.connected) throw new SignalingError('invalid_state', `transport ${transportId} is already connected`);
    transport.appData.connected = true;
    try {
      await transport.connect({ dtlsParameters: dtlsParameters as DtlsParameters });
    } catch (error) {
      transport.appData.connected = false;
      throw error;
    }
    return {};
  }

  async restartIce(peer: Peer, { transportId }: { transportId: string }): Promise<RestartIceResult> {
    const transport = this.access.owned(peer, 'transports', transportId);
    return { iceParameters: await transport.restartIce() };
  }

  getTransportStats(peer: Peer, { transportId }: { transportId: string }): Promise<StatsResult> {
    return this.access.statsOf(peer, 'transports', transportId);
  }
}
