import { Injectable } from '@nestjs/common';
import { SignalingError, type ClientRequestMethod, type ClientRequestParams, type ClientRequestResult } from '@confer/signaling-contracts';
import { ChatMessageDto } from '../chat/dto/chat-message.dto';
import { ChatService } from '../chat/chat.service';
import { EdgeRoomService } from '../edge/edge-room.service';
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
import { DataChannelsService } from '../media/data-channels.service';
import { ProducersService } from '../media/producers.service';
import { SubscriptionsService } from '../media/subscriptions.service';
import { TransportsService } from '../media/transports.service';
import {
  EndMeetingDto,
  LobbyDecisionDto,
  MuteAllDto,
  MuteParticipantDto,
  RemoveParticipantDto,
  SetPermissionsDto,
  SetRoleDto,
  UpdateRoomSettingsDto,
} from '../moderation/dto/moderation.dto';
import type { Actor } from '../moderation/moderation-actor';
import { ModerationService } from '../moderation/moderation.service';
import type { Peer } from '../peers/peer';
import { RecordingControlService } from '../recording/recording-control.service';
import { GetRouterRtpCapabilitiesDto } from '../rooms/dto/room.dto';
import { ChangeDisplayNameDto, EmptyDto, JoinDto } from '../sessions/dto/session.dto';
import { SessionsService } from '../sessions/sessions.service';

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

  constructor(
    sessions: SessionsService,
    transports: TransportsService,
    producers: ProducersService,
    subscriptions: SubscriptionsService,
    data: DataChannelsService,
    chat: ChatService,
    files: FilesService,
    moderation: ModerationService,
    recording: RecordingControlService,
    edges: EdgeRoomService,
  ) {
    // Moderation acts happen in the sender's own room, with the sender as the actor.
    const act =
      <P, R>(run: (actor: Actor, roomId: string, p: P) => Promise<R>) =>
      (peer: Peer, p: P): Promise<R> => {
        const actor: Actor = { kind: 'participant', peer };
        return run(actor, moderation.roomOfActor(actor), p);
      };
    const count = async (n: Promise<number>): Promise<{ affected: number }> => ({ affected: await n });
    this.table = {
      getRouterRtpCapabilities: { dto: GetRouterRtpCapabilitiesDto, handle: (peer, p) => sessions.getRouterRtpCapabilities(peer, p) },
      // A joiner learns at once whether the room is being recorded (the notice).
      join: {
        dto: JoinDto,
        handle: async (peer, p) => {
          const joined = await sessions.join(peer, p);
          return { ...joined, recording: joined.waiting || !peer.roomId ? null : recording.notice(peer.roomId) };
        },
      },
      leave: { dto: EmptyDto, handle: (peer) => sessions.leave(peer) },
      changeDisplayName: { dto: ChangeDisplayNameDto, handle: (peer, p) => sessions.changeDisplayName(peer, p) },

      createWebRtcTransport: { dto: CreateWebRtcTransportDto, handle: (peer, p) => transports.createWebRtcTransport(peer, p) },
      connectWebRtcTransport: { dto: ConnectWebRtcTransportDto, handle: (peer, p) => transports.connectWebRtcTransport(peer, p) },
      restartIce: { dto: TransportRefDto, handle: (peer, p) => transports.restartIce(peer, p) },
      produce: { dto: ProduceDto, handle: (peer, p) => producers.produce(peer, p) },
      closeProducer: { dto: ProducerRefDto, handle: (peer, p) => producers.closeProducer(peer, p) },
      pauseProducer: { dto: ProducerRefDto, handle: (peer, p) => producers.pauseProducer(peer, p) },
      resumeProducer: { dto: ProducerRefDto, handle: (peer, p) => producers.resumeProducer(peer, p) },
      pauseConsumer: { dto: ConsumerRefDto, handle: (peer, p) => subscriptions.pauseConsumer(peer, p) },
      resumeConsumer: { dto: ConsumerRefDto, handle: (peer, p) => subscriptions.resumeConsumer(peer, p) },
      setConsumerPreferredLayers: { dto: SetConsumerPreferredLayersDto, handle: (peer, p) => subscriptions.setConsumerPreferredLayers(peer, p) },
      setConsumerPriority: { dto: SetConsumerPriorityDto, handle: (peer, p) => subscriptions.setConsumerPriority(peer, p) },
      requestConsumerKeyFrame: { dto: ConsumerRefDto, handle: (peer, p) => subscriptions.requestConsumerKeyFrame(peer, p) },
      produceData: { dto: ProduceDataDto, handle: (peer, p) => data.produceData(peer, p) },
      closeDataProducer: { dto: DataProducerRefDto, handle: (peer, p) => data.closeDataProducer(peer, p) },
      getTransportStats: { dto: TransportRefDto, handle: (peer, p) => transports.getTransportStats(peer, p) },
      getProducerStats: { dto: ProducerRefDto, handle: (peer, p) => producers.getProducerStats(peer, p) },
      getConsumerStats: { dto: ConsumerRefDto, handle: (peer, p) => subscriptions.getConsumerStats(peer, p) },
      getDataProducerStats: { dto: DataProducerRefDto, handle: (peer, p) => data.getDataProducerStats(peer, p) },
      getDataConsumerStats: { dto: DataConsumerRefDto, handle: (peer, p) => data.getDataConsumerStats(peer, p) },

      // A viewer served by an edge node (rooms across nodes): its room's node takes the message.
      chatMessage: { dto: ChatMessageDto, handle: (peer, p) => (edges.isEdge(peer.roomId) ? edges.chat(peer, p) : chat.send(peer, p)) },

      fileOffer: {
        dto: FileOfferDto,
        handle: (peer, p) => {
          if (edges.isEdge(peer.roomId)) throw new SignalingError('forbidden', 'file transfers are not available to viewers served by another node of the cluster');
          return files.offer(peer, p);
        },
      },
      fileAnswer: { dto: FileAnswerDto, handle: (peer, p) => files.answer(peer, p) },
      fileChunk: { dto: FileChunkDto, handle: (peer, p) => files.chunk(peer, p) },
      fileComplete: { dto: FileTransferRefDto, handle: (peer, p) => files.complete(peer, p) },
      fileCancel: { dto: FileCancelDto, handle: (peer, p) => files.cancelByPeer(peer, p) },

      lobbyAdmit: { dto: LobbyDecisionDto, handle: act((a, r, p) => count(moderation.lobbyDecide(a, r, true, p))) },
      lobbyDeny: { dto: LobbyDecisionDto, handle: act((a, r, p) => count(moderation.lobbyDecide(a, r, false, p))) },
      muteParticipant: { dto: MuteParticipantDto, handle: act((a, r, p) => count(moderation.mute(a, r, p.peerId, p.source))) },
      muteAll: { dto: MuteAllDto, handle: act((a, r, p) => count(moderation.muteAll(a, r, p.source))) },
      setPermissions: { dto: SetPermissionsDto, handle: act((a, r, p) => count(moderation.setPermissions(a, r, p.peerId, p.permissions))) },
      setRole: { dto: SetRoleDto, handle: act((a, r, p) => count(moderation.setRole(a, r, p.peerId, p.role))) },
      removeParticipant: { dto: RemoveParticipantDto, handle: act((a, r, p) => count(moderation.remove(a, r, p.peerId, p.reason))) },
      updateRoomSettings: { dto: UpdateRoomSettingsDto, handle: act((a, r, p) => moderation.updateSettings(a, r, p)) },
      endMeeting: { dto: EndMeetingDto, handle: act((a, r, p) => count(moderation.endMeeting(a, r, p.reason))) },
      startRecording: { dto: EmptyDto, handle: act((a, r) => moderation.startRecording(a, r)) },
      stopRecording: { dto: EmptyDto, handle: act((a, r) => moderation.stopRecording(a, r)) },
      acknowledgeRecording: { dto: EmptyDto, handle: (peer) => recording.acknowledge(peer) },
    };
  }
}
