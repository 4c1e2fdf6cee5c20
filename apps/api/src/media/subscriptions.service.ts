import { Injectable, Logger } from '@nestjs/common';
import type { Empty, ProducerAppData, RtpParameters, SetConsumerPreferredLayersParams, StatsResult } from '@confer/signaling-contracts';
import type { Consumer, Producer, RtpCapabilities } from 'mediasoup/types';
import type { Peer } from '../peers/peer';
import type { Room } from '../rooms/room';
import { RouterPipeService } from '../rooms/router-pipe.service';
import { DataChannelsService } from './data-channels.service';
import { FanOutScheduler } from './fan-out-scheduler';
import { MediaAccessService } from './media-access.service';

/** The peer's RTP capabilities cut to one kind's codecs, per capabilities object (see `capsFor`). */
type CapsByKind = Partial<Record<'audio' | 'video', RtpCapabilities>>;

/**
 * Consumer fan-out: every joined peer with a recv transport consumes every
 * producer of the others, created here (never by the client) when a producer
 * appears, when a peer joins or creates its recv transport, and again after a
 * resumed session. Also the client's controls of its own consumers.
 */
@Injectable()
export class SubscriptionsService {
  private readonly logger = new Logger(SubscriptionsService.name);
  /** The worker calls of the fan-out, bounded and spread over event-loop turns (see FanOutScheduler). */
  readonly scheduler = new FanOutScheduler();
  private readonly capsByKind = new WeakMap<RtpCapabilities, CapsByKind>();

  constructor(
    private readonly access: MediaAccessService,
    private readonly pipes: RouterPipeService,
    private readonly dataChannels: DataChannelsService,
  ) {}

  /** After `join`, a recv transport or a resume: consume every producer and data producer already in the room. */
  async consumeAll(peer: Peer): Promise<void> {
    const room = this.access.currentRoom(peer);
    if (!room || !peer.joined) return;
    const work: Promise<void>[] = [];
    for (const other of room.joinedPeers(peer)) {
      for (const producer of other.producers.values()) work.push(this.createConsumer(peer, other, producer));
      for (const dataProducer of other.dataProducers.values()) work.push(this.dataChannels.createDataConsumer(peer, other, dataProducer));
    }
    await Promise.all(work);
  }

  /** A new producer of `producerPeer` in `room`: every other joined peer consumes it. */
  fanOut(room: Room, producerPeer: Peer, producer: Producer): void {
    for (const other of room.joinedPeers(producerPeer)) void this.createConsumer(other, producerPeer, producer);
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
      this.access.probeWorkers('a consumer could not be created');
    });
  }

  async pauseConsumer(peer: Peer, { consumerId }: { consumerId: string }): Promise<Empty> {
    await this.access.owned(peer, 'consumers', consumerId).pause();
    return {};
  }

  async resumeConsumer(peer: Peer, { consumerId }: { consumerId: string }): Promise<Empty> {
    await this.access.owned(peer, 'consumers', consumerId).resume();
    return {};
  }

  async setConsumerPreferredLayers(peer: Peer, { consumerId, spatialLayer, temporalLayer }: SetConsumerPreferredLayersParams): Promise<Empty> {
    await this.access.owned(peer, 'consumers', consumerId).setPreferredLayers({ spatialLayer, temporalLayer });
    return {};
  }

  async setConsumerPriority(peer: Peer, { consumerId, priority }: { consumerId: string; priority: number }): Promise<Empty> {
    await this.access.owned(peer, 'consumers', consumerId).setPriority(priority);
    return {};
  }

  async requestConsumerKeyFrame(peer: Peer, { consumerId }: { consumerId: string }): Promise<Empty> {
    await this.access.owned(peer, 'consumers', consumerId).requestKeyFrame();
    return {};
  }

  getConsumerStats(peer: Peer, { consumerId }: { consumerId: string }): Promise<StatsResult> {
    return this.access.statsOf(peer, 'consumers', consumerId);
  }

  private async consume(consumerPeer: Peer, producerPeer: Peer, producer: Producer): Promise<void> {
    // Checked when the job runs, not when it was queued: the peer may have left meanwhile.
    const consumer = await this.scheduler.run(() => this.createPaused(consumerPeer, producerPeer, producer));
    if (!consumer) return;
    const notify = consumerPeer.channel.notify.bind(consumerPeer.channel);
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
      // Urgent: the client already has this consumer and waits for its media.
      if (!consumer.closed) await this.scheduler.run(() => (consumer.closed ? Promise.resolve() : consumer.resume()), true);
      this.logger.debug(`createConsumer() | peer=${consumerPeer.id} consumer=${consumer.id} kind=${consumer.kind} resumed`);
    } catch (error) {
      this.logger.warn(`newConsumer not accepted | peer=${consumerPeer.id} consumer=${consumer.id} error=${(error as Error).message}`);
      if (!consumer.closed) {
        this.access.closeQuietly(consumer);
        notify('consumerClosed', { consumerId: consumer.id });
      }
    }
  }

  /** The worker side of one consumer: created paused and registered with its owner, or undefined when there is nothing to do. */
  private async createPaused(consumerPeer: Peer, producerPeer: Peer, producer: Producer): Promise<Consumer | undefined> {
    const transport = consumerPeer.recvTransport();
    const room = this.access.currentRoom(consumerPeer);
    const rtpCapabilities = this.capsFor(consumerPeer, producer.kind);
    if (!rtpCapabilities || !transport || !room || producer.closed || consumerPeer.closed) return undefined;
    if (consumerPeer.consuming.has(producer.id) || [...consumerPeer.consumers.values()].some((c) => c.producerId === producer.id)) return undefined;
    // No router.canConsume() per consumer: consume() makes the same check before any worker call
    // and throws UnsupportedError, and canConsume() clones the capabilities and the producer's
    // parameters once more (the fan-out's largest CPU cost in the burst profile). Only before a
    // pipe, which costs worker calls and stays until the producer closes.
    const workerIndex = transport.appData.workerIndex ?? room.media.workerIndex;
    if (workerIndex !== room.media.workerIndex && !room.media.router.canConsume({ producerId: producer.id, rtpCapabilities })) {
      this.logger.debug(`createConsumer() | cannot consume | peer=${consumerPeer.id} producer=${producer.id}`);
      return undefined;
    }
    consumerPeer.consuming.add(producer.id);
    let consumer: Consumer;
    try {
      // A recv transport on another worker's router consumes the producer piped there.
      await this.pipes.pipeTo(room, 'producer', producer.id, workerIndex);
      consumer = await transport.consume({ producerId: producer.id, rtpCapabilities, paused: true, appData: { ...producer.appData, peerId: producerPeer.id } });
    } catch (error) {
      if ((error as Error).name === 'UnsupportedError') {
        this.logger.debug(`createConsumer() | cannot consume | peer=${consumerPeer.id} producer=${producer.id}`);
      } else {
        this.logger.warn(`createConsumer() failed | peer=${consumerPeer.id} producer=${producer.id} error=${(error as Error).message}`);
      }
      return undefined;
    } finally {
      consumerPeer.consuming.delete(producer.id);
    }
    if (consumer.closed || consumerPeer.closed || consumerPeer.roomId !== room.id) {
      this.access.closeQuietly(consumer);
      return undefined;
    }
    consumerPeer.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => consumerPeer.consumers.delete(consumer.id));
    const notify = consumerPeer.channel.notify.bind(consumerPeer.channel);
    consumer.on('producerclose', () => notify('consumerClosed', { consumerId: consumer.id }));
    consumer.on('producerpause', () => notify('consumerPaused', { consumerId: consumer.id }));
    consumer.on('producerresume', () => notify('consumerResumed', { consumerId: consumer.id }));
    consumer.on('score', (score) => notify('consumerScore', { consumerId: consumer.id, score }));
    consumer.on('layerschange', (layers) => notify('consumerLayersChanged', { consumerId: consumer.id, layers: layers ?? null }));
    return consumer;
  }

  /**
   * The peer's capabilities with only the codecs of `kind`, kept per capabilities object.
   * mediasoup clones and validates the capabilities on every consume(); with the other kind's
   * codecs cut, that costs a fraction. The result is the same: codecs only match codecs of
   * the same MIME type (header extensions, small, are kept whole).
   */
  private capsFor(peer: Peer, kind: 'audio' | 'video'): RtpCapabilities | undefined {
    const caps = peer.rtpCapabilities as RtpCapabilities | undefined;
    if (!caps) return undefined;
    let byKind = this.capsByKind.get(caps);
    if (!byKind) this.capsByKind.set(caps, (byKind = {}));
    return (byKind[kind] ??= { ...caps, codecs: caps.codecs?.filter((c) => c.mimeType.toLowerCase().startsWith(`${kind}/`)) });
  }
}
