import type { RedirectDetails } from './errors';
import type { Empty, MethodSpec } from './client-requests';
import type { ChatMessage, PeerInfo, ProducerAppData } from './domain';
import type {
  ExpelledNotification,
  LobbyDecisionNotification,
  LobbyEntry,
  PermissionsChangedNotification,
  ProducerModeratedNotification,
  RecordingNotice,
  Role,
  RoomSettings,
} from './moderation';
import type {
  ConsumerLayers,
  ConsumerScore,
  MediaKind,
  ProducerScore,
  RtpParameters,
  SctpStreamParameters,
} from './media-types';

export interface NewConsumerParams {
  /** Owner of the producer. */
  peerId: string;
  producerId: string;
  /** The consumer's id on the server; pass it to `recvTransport.consume({ id })`. */
  id: string;
  kind: MediaKind;
  rtpParameters: RtpParameters;
  /** `simple`, `simulcast` or `svc`. */
  type: string;
  appData: ProducerAppData;
  /** The producer is paused (muted) right now. */
  producerPaused: boolean;
}

export interface NewDataConsumerParams {
  peerId: string;
  dataProducerId: string;
  id: string;
  sctpStreamParameters: SctpStreamParameters;
  label: string;
  protocol: string;
  appData: Record<string, unknown>;
}

export interface FileAnsweredNotification {
  transferId: string;
  accepted: boolean;
  /** True: send the chunks as binary frames and wait for ack frames (`file-frames.ts`); else `fileChunk` requests. */
  binary?: boolean;
}

export interface FileChunkDelivery {
  transferId: string;
  seq: number;
  /** Base64. */
  data: string;
}

/**
 * Requests the server sends to the client. The client must answer each; the
 * server acts on the answer (a consumer is resumed only after `newConsumer` is
 * answered with success).
 */
export interface ServerRequests {
  /** A consumer was created for the client, paused. Answer after `recvTransport.consume()` resolves. */
  newConsumer: MethodSpec<NewConsumerParams, Empty, 'invalid_state' | 'internal'>;
  /** A data consumer was created for the client. Answer after `recvTransport.consumeData()` resolves. */
  newDataConsumer: MethodSpec<NewDataConsumerParams, Empty, 'invalid_state' | 'internal'>;
  /** One chunk of an accepted file. Answer when it is stored; the sender waits for this. */
  fileChunk: MethodSpec<FileChunkDelivery, Empty, 'invalid_state' | 'internal'>;
}

export type ServerRequestMethod = keyof ServerRequests;

export interface ConsumerScoreNotification {
  consumerId: string;
  score: ConsumerScore;
}
export interface ProducerScoreNotification {
  producerId: string;
  score: ProducerScore[];
}
export interface ConsumerLayersNotification {
  consumerId: string;
  /** `null` when no layer is being forwarded. */
  layers: ConsumerLayers | null;
}
export interface FileOfferedNotification {
  transferId: string;
  from: string;
  name: string;
  size: number;
  mimeType: string;
  sha256: string;
}

/**
 * Notifications the server sends. Each is documented where it is declared;
 * `docs/PROTOCOL.md` is generated from these declarations.
 */
export interface ServerNotifications {
  /** Another peer joined the room. */
  peerJoined: PeerInfo;
  /** A peer left, disconnected for good, or was replaced by a new connection. */
  peerLeft: { peerId: string };
  peerDisplayNameChanged: { peerId: string; displayName: string; oldDisplayName: string };
  /** The consumer is gone (its producer closed, or its transport closed). */
  consumerClosed: { consumerId: string };
  /** The remote producer was paused (muted). */
  consumerPaused: { consumerId: string };
  /** The remote producer was resumed. */
  consumerResumed: { consumerId: string };
  consumerLayersChanged: ConsumerLayersNotification;
  consumerScore: ConsumerScoreNotification;
  /** Score of one of this peer's own producers, as the server receives it. */
  producerScore: ProducerScoreNotification;
  dataConsumerClosed: { dataConsumerId: string };
  /** Dominant speaker of the room; `peerId` null when nobody speaks. */
  activeSpeaker: { peerId: string | null; volume?: number };
  chatMessage: ChatMessage;
  /** Someone offers this peer a file; answer with `fileAnswer`. */
  fileOffered: FileOfferedNotification;
  /** The recipient accepted or declined this peer's offer. */
  fileAnswered: FileAnsweredNotification;
  /** All bytes arrived and the server's SHA-256 matched the offer. */
  fileTransferCompleted: { transferId: string; sha256: string };
  /** The transfer stopped: cancelled by a side, a peer left, or the checksum failed. */
  fileTransferCancelled: { transferId: string; by: string | null; reason: string };
  /**
   * The room's media was re-created (its worker died): close all transports,
   * producers and consumers and set them up again, starting at `getRouterRtpCapabilities`
   * (then transports, `join`, `produce` again; consumers arrive as `newConsumer`).
   * The session, chat and file transfers are kept; other peers see no `peerLeft`.
   * The server waits for a replacement worker if none is live, so the client
   * should start at once rather than back off.
   */
  mediaReset: { reason: string };
  /**
   * The server is draining before it exits (SIGTERM). From now on new sessions,
   * `join` and entering a room are refused with `invalid_state` and
   * `details.reason = 'draining'`; a call in progress goes on for up to `drainMs`
   * milliseconds (or until every peer left), then the socket closes with 1001.
   * Reconnect after the close (another instance, or this one after its restart).
   */
  serverShutdown: {
    reason: string;
    drainMs: number;
    /**
     * Cluster only: the node that took this peer's room over. Go there now —
     * reconnect to `moveTo.url`, `authenticate` with `moveTo.token`, enter and
     * join `moveTo.roomId` again — instead of waiting for the close.
     */
    moveTo?: RedirectDetails;
  };

  /** To moderators: who waits in the lobby now (sent on every change). */
  lobbyChanged: { waiting: LobbyEntry[] };
  /** To a waiting peer: admitted (send `join` again) or denied (it is out of the room). */
  lobbyDecision: LobbyDecisionNotification;
  /** To a peer: its role or permissions changed (a moderator, the server API, or the room's settings). */
  permissionsChanged: PermissionsChangedNotification;
  /** To the room: a peer's role changed. */
  peerRoleChanged: { peerId: string; role: Role };
  /** To the room: the lobby or lock changed. */
  roomSettingsChanged: { settings: RoomSettings };
  /** To a producer's owner: a moderator paused it (`mic`, `webcam`); it stays paused until the permission returns. */
  producerPausedByModerator: ProducerModeratedNotification;
  /** To a producer's owner: a moderator closed it (`screen`); close the local producer. */
  producerClosedByModerator: ProducerModeratedNotification;
  /** To a removed peer: it is out of the room and cannot re-enter for a while. */
  removed: ExpelledNotification;
  /** To everyone in the room: the meeting was ended; everyone is out of the room. */
  meetingEnded: ExpelledNotification;
  /** To everyone in the room: its recording started, stopped or failed (shown as the recording notice). */
  recordingStateChanged: RecordingNotice;
}

export type ServerNotificationMethod = keyof ServerNotifications;
