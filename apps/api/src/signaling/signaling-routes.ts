import { Injectable } from '@nestjs/common';
import type { ClientRequestMethod, ClientRequestParams, ClientRequestResult } from '@confer/signaling-contracts';
import { ChatMessageDto } from '../chat/dto/chat-message.dto';
import { ChatService } from '../chat/chat.service';
import { FileAnswerDto, FileCancelDto, FileChunkDto, FileOfferDto, FileTransferRefDto } from '../files/dto/file.dto';
import { FilesService } from '../files/files.service';
import {
  ConnectWebRtcTransportDto,
  ConsumerRefDto,
  CreateWebRtcTransportDto,
  DataConsumerRefDto,
  DataProducerRefDto,
  ProduceDataDto,
  ProduceDto,
  ProducerRefDto,
  SetConsumerPreferredLayersDto,
  SetConsumerPriorityDto,
  TransportRefDto,
} from '../media/dto/media.dto';
import { MediaService } from '../media/media.service';
import { ChangeDisplayNameDto, EmptyDto, JoinDto } from '../peers/dto/peer.dto';
import type { Peer } from '../peers/peer';
import { PeersService } from '../peers/peers.service';
import { GetRouterRtpCapabilitiesDto } from '../rooms/dto/room.dto';

/** Methods served once authenticated; `authenticate` itself is handled by the dispatcher. */
export type PeerMethod = Exclude<ClientRequestMethod, 'authenticate'>;

/** How one method is served: the DTO its params are validated against, and the one service call. */
export interface Route<M extends PeerMethod> {
  dto: new () => ClientRequestParams<M>;
  handle(peer: Peer, params: ClientRequestParams<M>): ClientRequestResult<M> | Promise<ClientRequestResult<M>>;
}

export type RouteTable = { [M in PeerMethod]: Route<M> };

/**
 * Every client method after `authenticate`: contract method → DTO → service.
 * The mapped type makes a method missing from this table a compile error.
 */
@Injectable()
export class SignalingRoutes {
  readonly table: RouteTable;

  constructor(peers: PeersService, media: MediaService, chat: ChatService, files: FilesService) {
    this.table = {
      getRouterRtpCapabilities: { dto: GetRouterRtpCapabilitiesDto, handle: (peer, p) => media.getRouterRtpCapabilities(peer, p) },
      join: { dto: JoinDto, handle: (peer, p) => peers.join(peer, p) },
      leave: { dto: EmptyDto, handle: (peer) => peers.leave(peer) },
      changeDisplayName: { dto: ChangeDisplayNameDto, handle: (peer, p) => peers.changeDisplayName(peer, p) },

      createWebRtcTransport: { dto: CreateWebRtcTransportDto, handle: (peer, p) => media.createWebRtcTransport(peer, p) },
      connectWebRtcTransport: { dto: ConnectWebRtcTransportDto, handle: (peer, p) => media.connectWebRtcTransport(peer, p) },
      restartIce: { dto: TransportRefDto, handle: (peer, p) => media.restartIce(peer, p) },
      produce: { dto: ProduceDto, handle: (peer, p) => media.produce(peer, p) },
      closeProducer: { dto: ProducerRefDto, handle: (peer, p) => media.closeProducer(peer, p) },
      pauseProducer: { dto: ProducerRefDto, handle: (peer, p) => media.pauseProducer(peer, p) },
      resumeProducer: { dto: ProducerRefDto, handle: (peer, p) => media.resumeProducer(peer, p) },
      pauseConsumer: { dto: ConsumerRefDto, handle: (peer, p) => media.pauseConsumer(peer, p) },
      resumeConsumer: { dto: ConsumerRefDto, handle: (peer, p) => media.resumeConsumer(peer, p) },
      setConsumerPreferredLayers: { dto: SetConsumerPreferredLayersDto, handle: (peer, p) => media.setConsumerPreferredLayers(peer, p) },
      setConsumerPriority: { dto: SetConsumerPriorityDto, handle: (peer, p) => media.setConsumerPriority(peer, p) },
      requestConsumerKeyFrame: { dto: ConsumerRefDto, handle: (peer, p) => media.requestConsumerKeyFrame(peer, p) },
      produceData: { dto: ProduceDataDto, handle: (peer, p) => media.produceData(peer, p) },
      closeDataProducer: { dto: DataProducerRefDto, handle: (peer, p) => media.closeDataProducer(peer, p) },
      getTransportStats: { dto: TransportRefDto, handle: (peer, p) => media.getTransportStats(peer, p) },
      getProducerStats: { dto: ProducerRefDto, handle: (peer, p) => media.getProducerStats(peer, p) },
      getConsumerStats: { dto: ConsumerRefDto, handle: (peer, p) => media.getConsumerStats(peer, p) },
      getDataProducerStats: { dto: DataProducerRefDto, handle: (peer, p) => media.getDataProducerStats(peer, p) },
      getDataConsumerStats: { dto: DataConsumerRefDto, handle: (peer, p) => media.getDataConsumerStats(peer, p) },

      chatMessage: { dto: ChatMessageDto, handle: (peer, p) => chat.send(peer, p) },

      fileOffer: { dto: FileOfferDto, handle: (peer, p) => files.offer(peer, p) },
      fileAnswer: { dto: FileAnswerDto, handle: (peer, p) => files.answer(peer, p) },
      fileChunk: { dto: FileChunkDto, handle: (peer, p) => files.chunk(peer, p) },
      fileComplete: { dto: FileTransferRefDto, handle: (peer, p) => files.complete(peer, p) },
      fileCancel: { dto: FileCancelDto, handle: (peer, p) => files.cancelByPeer(peer, p) },
    };
  }
}
