import { Inject, Injectable, Logger } from '@nestjs/common';
import { permissionForSource, SignalingError, type Empty, type ProduceParams, type ProduceResult, type StatsResult } from '@confer/signaling-contracts';
import type { RtpParameters as MsRtpParameters } from 'mediasoup/types';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { EventsService } from '../events/events.service';
import type { Peer } from '../peers/peer';
import type { TransportListeners } from '../peers/transport-listeners';
import { checkRtpParameters } from './client-values';
import { MediaAccessService } from './media-access.service';
import { SubscriptionsService } from './subscriptions.service';

/**
 * A peer's producers: `produce` on its send transport, then the fan-out to the
 * room (SubscriptionsService), the active speaker observer and the event sinks;
 * and the client's controls of its own producers.
 */
@Injectable()
export class ProducersService {
  private readonly logger = new Logger(ProducersService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly access: MediaAccessService,
    private readonly subscriptions: SubscriptionsService,
    private readonly events: EventsService,
  ) {}

  async produce(peer: Peer, params: ProduceParams): Promise<ProduceResult> {
    const { room, media } = this.access.roomOf(peer);
    await this.access.assertMay(peer, room, ['publish'], 'not allowed to publish in this room');
    // The room's permissions, which moderators change during the meeting (a hard mute takes publishAudio away).
    peer.assertPermitted(permissionForSource(params.appData.source));
    const transport = this.access.owned(peer, 'transports', params.transportId);
    if (transport.appData.direction !== 'send') throw new SignalingError('invalid_state', `transport ${transport.id} is not a send transport`);
    const max = this.config.limits.maxProducersPerPeer;
    if (peer.producers.size >= max) throw new SignalingError('limit_exceeded', `at most ${max} producers per peer`);
    checkRtpParameters(params.rtpParameters, media.rtpCapabilities);

    // SSRC / MID / RID collisions on this transport are refused here, as the worker would.
    const listeners = transport.appData.listeners as TransportListeners;
    const producer = await this.access.createOwned(
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
    if (producer.kind === 'audio') {
      media.activeSpeakerObserver.addProducer({ producerId: producer.id }).catch((e: Error) => this.logger.warn(`addProducer() to speaker observer failed | ${e.message}`));
    }
    this.logger.log(`produce() | peer=${peer.id} kind=${producer.kind} producer=${producer.id}`);
    setImmediate(() => this.subscriptions.fanOut(room, peer, producer));
    return { producerId: producer.id };
  }

  closeProducer(peer: Peer, { producerId }: { producerId: string }): Empty {
    // Its consumers get `producerclose` and their owners `consumerClosed`.
    this.access.closeQuietly(this.access.owned(peer, 'producers', producerId));
    return {};
  }

  async pauseProducer(peer: Peer, { producerId }: { producerId: string }): Promise<Empty> {
    await this.access.owned(peer, 'producers', producerId).pause();
    return {};
  }

  async resumeProducer(peer: Peer, { producerId }: { producerId: string }): Promise<Empty> {
    const producer = this.access.owned(peer, 'producers', producerId);
    // A producer a moderator paused stays paused while the permission is away.
    peer.assertPermitted(permissionForSource(String(producer.appData['source'])));
    await producer.resume();
    return {};
  }

  getProducerStats(peer: Peer, { producerId }: { producerId: string }): Promise<StatsResult> {
    return this.access.statsOf(peer, 'producers', producerId);
  }
}
