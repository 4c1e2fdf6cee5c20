import { Injectable, Logger } from '@nestjs/common';
import { SignalingError, type Empty, type ProduceDataParams, type ProduceDataResult, type StatsResult } from '@confer/signaling-contracts';
import type { DataProducer, SctpStreamParameters } from 'mediasoup/types';
import type { Peer } from '../peers/peer';
import type { TransportListeners } from '../peers/transport-listeners';
import { RouterPipeService } from '../rooms/router-pipe.service';
import { checkSctpStreamParameters } from './client-values';
import { MediaAccessService } from './media-access.service';

/**
 * Data channels (SCTP over the WebRTC transports): a peer's data producers and
 * their fan-out to every other joined peer's data consumers, announced with
 * `newDataConsumer`.
 */
@Injectable()
export class DataChannelsService {
  private readonly logger = new Logger(DataChannelsService.name);

  constructor(
    private readonly access: MediaAccessService,
    private readonly pipes: RouterPipeService,
  ) {}

  async produceData(peer: Peer, params: ProduceDataParams): Promise<ProduceDataResult> {
    const { room } = this.access.roomOf(peer);
    await this.access.assertMay(peer, room, ['publishData'], 'not allowed to publish data in this room');
    const transport = this.access.owned(peer, 'transports', params.transportId);
    if (transport.appData.direction !== 'send') throw new SignalingError('invalid_state', `transport ${transport.id} is not a send transport`);
    if (!transport.sctpParameters) throw new SignalingError('invalid_state', `transport ${transport.id} has no SCTP; create it with sctpCapabilities`);
    checkSctpStreamParameters(params.sctpStreamParameters);
    const listeners = transport.appData.listeners as TransportListeners;
    const dataProducer = await this.access.createOwned(
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
    this.access.closeQuietly(this.access.owned(peer, 'dataProducers', dataProducerId));
    return {};
  }

  getDataProducerStats(peer: Peer, { dataProducerId }: { dataProducerId: string }): Promise<StatsResult> {
    return this.access.statsOf(peer, 'dataProducers', dataProducerId);
  }

  getDataConsumerStats(peer: Peer, { dataConsumerId }: { dataConsumerId: string }): Promise<StatsResult> {
    return this.access.statsOf(peer, 'dataConsumers', dataConsumerId);
  }

  /** Creates `consumerPeer`'s data consumer of `dataProducer` and announces it with `newDataConsumer`. */
  createDataConsumer(consumerPeer: Peer, producerPeer: Peer, dataProducer: DataProducer): Promise<void> {
    // Runs detached from any request: nothing it throws may escape.
    return this.consumeData(consumerPeer, producerPeer, dataProducer).catch((error: Error) => {
      this.logger.error(`createDataConsumer() failed | peer=${consumerPeer.id} dataProducer=${dataProducer.id} error=${error.stack}`);
      this.access.probeWorkers('a data consumer could not be created');
    });
  }

  private async consumeData(consumerPeer: Peer, producerPeer: Peer, dataProducer: DataProducer): Promise<void> {
    const transport = consumerPeer.recvTransport();
    const room = this.access.currentRoom(consumerPeer);
    if (!consumerPeer.sctpCapabilities || !transport?.sctpParameters || !room || dataProducer.closed) return;
    if (consumerPeer.consuming.has(dataProducer.id) || [...consumerPeer.dataConsumers.values()].some((c) => c.dataProducerId === dataProducer.id)) return;
    consumerPeer.consuming.add(dataProducer.id);
    let dataConsumer;
    try {
      await this.pipes.pipeTo(room, 'dataProducer', dataProducer.id, transport.appData.workerIndex ?? room.media.workerIndex);
      dataConsumer = await transport.consumeData({ dataProducerId: dataProducer.id, appData: { peerId: producerPeer.id } });
    } catch (error) {
      this.logger.warn(`createDataConsumer() failed | peer=${consumerPeer.id} dataProducer=${dataProducer.id} error=${(error as Error).message}`);
      return;
    } finally {
      consumerPeer.consuming.delete(dataProducer.id);
    }
    if (dataConsumer.closed || consumerPeer.closed || consumerPeer.roomId !== room.id) {
      this.access.closeQuietly(dataConsumer);
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
        this.access.closeQuietly(dc);
        consumerPeer.channel.notify('dataConsumerClosed', { dataConsumerId: dc.id });
      }
    }
  }
}
