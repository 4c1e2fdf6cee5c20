import type { DeviceInfo, Grants, PeerInfo, ProducerAppData, ServerLimits } from './domain';
import type {
  AcknowledgeRecordingResult,
  EndMeetingParams,
  LobbyDecisionParams,
  LobbyEntry,
  ModerationResult,
  MuteAllParams,
  MuteParticipantParams,
  RecordingNotice,
  RemoveParticipantParams,
  RoomSettings,
  SelfState,
  SetPermissionsParams,
  SetRoleParams,
  UpdateRoomSettingsParams,
} from './moderation';
import type { ErrorCode } from './errors';
import type {
  ConsumerLayers,
  DtlsParameters,
  IceCandidate,
  IceParameters,
  IceServer,
  MediaKind,
  RtpCapabilities,
  RtpParameters,
  SctpCapabilities,
  SctpParameters,
  SctpStreamParameters,
  StatsEntry,
} from './media-types';

/** Declares one method: its parameters, its result and the error codes it may answer. */
export interface MethodSpec<P, R, E extends ErrorCode = never> {
  params: P;
  result: R;
  /** Codes specific to this method; every method may also answer {@link CommonErrorCode}. */
  errors: E;
}

/** Error codes any client request may answer. */
export type CommonErrorCode = 'invalid_request' | 'unauthenticated' | 'limit_exceeded' | 'internal';

// ---- Parameter and result shapes --------------------------------------------------

export interface AuthenticateParams {
  /** JWT issued by the portal's identity provider (or the dev endpoint). */
  token: string;
  /** Must equal the server's {@link PROTOCOL_VERSION}. */
  protocolVersion: number;
  /** When resuming after a dropped socket: the `sessionId` from the previous `authenticate`. */
  resumeSessionId?: string;
}
export interface AuthenticateResult {
  /** This connection's peer id (stable per identity). */
  peerId: string;
  /** Opaque id to resume this session after a socket drop (within the grace period). */
  sessionId: string;
  /** True when an existing session (peer, transports, producers, consumers) was resumed. */
  resumed: boolean;
  displayName: string;
  grants: Grants;
  /** Rooms the token allows; `['*']` means any. */
  rooms: string[];
  protocolVersion: number;
  serverVersion: string;
  limits: ServerLimits;
  /** STUN/TURN servers for the client's RTCPeerConnections. */
  iceServers: IceServer[];
  /** False when the server has no mediasoup worker: media requests will fail with `media_unavailable`. */
  mediaAvailable: boolean;
  /**
   * When `mediaAvailable` is false: why, in a sentence for the user. In development
   * (`NODE_ENV=development`) it also says how to give the server a worker.
   */
  mediaUnavailableReason?: string;
  /**
   * Cluster only: this node's own signaling URL (NODE_PUBLIC_URL). A client that
   * came in through a load balancer resumes a dropped session here, where the
   * session lives, rather than through the balancer (which may pick another node).
   */
  nodeUrl?: string;
}

export interface GetRouterRtpCapabilitiesParams {
  /** Room to enter; created (one router) if it does not exist. Letters, digits, `-` and `_`. */
  roomId: string;
}
export interface GetRouterRtpCapabilitiesResult {
  rtpCapabilities: RtpCapabilities;
}

export interface JoinParams {
  roomId: string;
  displayName: string;
  device: DeviceInfo;
  /** The client Device's RTP capabilities; needed to consume. Omit to never consume. */
  rtpCapabilities?: RtpCapabilities;
  /** The client Device's SCTP capabilities; needed for DataChannels. */
  sctpCapabilities?: SctpCapabilities;
}
export interface JoinResult {
  /** Peers already in the room (empty while waiting). Their media arrives as `newConsumer` requests. */
  peers: PeerInfo[];
  /**
   * True: the room has its lobby on and this peer waits for a moderator. It sees
   * no media and no participants; `lobbyDecision` tells the outcome, after which
   * an admitted peer sends `join` again (answered with `waiting: false`).
   */
  waiting: boolean;
  /** This peer's role and permissions in the room. */
  self: SelfState;
  settings: RoomSettings;
  /** Peers waiting in the lobby; only for moderators (others get an empty list). */
  lobby: LobbyEntry[];
  /** The room's recording in progress, so a joiner is told at once; null when it is not being recorded (or while waiting). */
  recording: RecordingNotice | null;
}

export type TransportDirection = 'send' | 'recv';

export interface CreateWebRtcTransportParams {
  direction: TransportDirection;
  /** Enables SCTP (DataChannels) on the transport. */
  sctpCapabilities?: SctpCapabilities;
  /** Only offer TCP candidates. */
  forceTcp?: boolean;
}
export interface CreateWebRtcTransportResult {
  transportId: string;
  iceParameters: IceParameters;
  iceCandidates: IceCandidate[];
  dtlsParameters: DtlsParameters;
  sctpParameters?: SctpParameters;
  iceServers: IceServer[];
}

export interface ConnectWebRtcTransportParams {
  transportId: string;
  dtlsParameters: DtlsParameters;
}

export interface TransportRef {
  transportId: string;
}
export interface RestartIceResult {
  iceParameters: IceParameters;
}

export interface ProduceParams {
  transportId: string;
  kind: MediaKind;
  rtpParameters: RtpParameters;
  appData: ProducerAppData;
  /** Start paused (e.g. joining muted). */
  paused?: boolean;
}
export interface ProduceResult {
  producerId: string;
}

export interface ProducerRef {
  producerId: string;
}
export interface ConsumerRef {
  consumerId: string;
}
export interface DataProducerRef {
  dataProducerId: string;
}
export interface DataConsumerRef {
  dataConsumerId: string;
}

export interface SetConsumerPreferredLayersParams extends ConsumerLayers {
  consumerId: string;
}
export interface SetConsumerPriorityParams {
  consumerId: string;
  /** 1 to 255; higher gets bandwidth first. */
  priority: number;
}

export interface ProduceDataParams {
  transportId: string;
  sctpStreamParameters: SctpStreamParameters;
  label?: string;
  protocol?: string;
  appData?: Record<string, unknown>;
}
export interface ProduceDataResult {
  dataProducerId: string;
}

export interface ChangeDisplayNameParams {
  displayName: string;
}

export interface StatsResult {
  stats: StatsEntry[];
}

export interface ChatMessageParams {
  /** 1 to `limits.maxChatLength` characters, counted as people count them (grapheme clusters: an emoji is one; see `characterCount`). */
  text: string;
}
export interface ChatMessageResult {
  messageId: string;
  timestamp: number;
}

export interface FileOfferParams {
  /** Recipient peer id (same room). */
  to: string;
  name: string;
  /** Bytes; at most `limits.maxFileBytes`. */
  size: number;
  mimeType: string;
  /** Lowercase hex SHA-256 of the whole file; checked by the server and the recipient. */
  sha256: string;
  /** The sender can send binary frames (`file-frames.ts`); they are used when the recipient takes them too (`fileAnswered.binary`). */
  binary?: boolean;
}
export interface FileOfferResult {
  transferId: string;
}
export interface FileAnswerParams {
  transferId: string;
  accept: boolean;
  /**
   * The recipient takes chunks as binary frames (`file-frames.ts`) and acks them;
   * absent or false: base64 `fileChunk` server requests, as before.
   */
  binary?: boolean;
}
export interface FileChunkParams {
  transferId: string;
  /** 0-based, consecutive. */
  seq: number;
  /** Base64 of at most `limits.fileChunkBytes` bytes. */
  data: string;
}
export interface FileTransferRef {
  transferId: string;
}
export interface FileCancelParams {
  transferId: string;
  reason?: string;
}

/** Empty parameters or result. */
export type Empty = Record<string, never>;

// ---- The map -----------------------------------------------------------------------

/**
 * Every request the client sends to the server. The server answers each with a
 * response carrying `result` or an error whose code is in `errors` or
 * {@link CommonErrorCode}.
 */
export interface ClientRequests {
  /** First message on every socket. Nothing else is served before it. */
  authenticate: MethodSpec<AuthenticateParams, AuthenticateResult, 'unsupported_version' | 'invalid_state'>;
  /** Enters (creating if needed) a room and returns its router's capabilities to load the Device with. */
  getRouterRtpCapabilities: MethodSpec<
    GetRouterRtpCapabilitiesParams,
    GetRouterRtpCapabilitiesResult,
    'forbidden' | 'invalid_state' | 'media_unavailable' | 'redirect' | 'cluster_unavailable'
  >;
  /** Joins the room entered with `getRouterRtpCapabilities`; others get `peerJoined`. */
  join: MethodSpec<JoinParams, JoinResult, 'forbidden' | 'invalid_state' | 'media_unavailable' | 'redirect' | 'cluster_unavailable'>;
  /** Leaves the room, closing all of this peer's mediasoup objects. */
  leave: MethodSpec<Empty, Empty, 'invalid_state'>;
  /** Creates a WebRTC transport on the router; the client replicates it with createSendTransport/createRecvTransport. */
  createWebRtcTransport: MethodSpec<
    CreateWebRtcTransportParams,
    CreateWebRtcTransportResult,
    'forbidden' | 'invalid_state' | 'media_unavailable'
  >;
  /** The client transport's `connect` event. */
  connectWebRtcTransport: MethodSpec<ConnectWebRtcTransportParams, Empty, 'not_found' | 'forbidden' | 'invalid_state'>;
  /** New ICE parameters after a network change; pass them to `transport.restartIce()`. */
  restartIce: MethodSpec<TransportRef, RestartIceResult, 'not_found' | 'forbidden' | 'invalid_state'>;
  /** The send transport's `produce` event. Other peers get `newConsumer` requests. */
  produce: MethodSpec<ProduceParams, ProduceResult, 'not_found' | 'forbidden' | 'invalid_state' | 'media_unavailable'>;
  closeProducer: MethodSpec<ProducerRef, Empty, 'not_found' | 'forbidden'>;
  /** Mute: consumers of it get `consumerPaused`. */
  pauseProducer: MethodSpec<ProducerRef, Empty, 'not_found' | 'forbidden' | 'invalid_state'>;
  resumeProducer: MethodSpec<ProducerRef, Empty, 'not_found' | 'forbidden' | 'invalid_state'>;
  pauseConsumer: MethodSpec<ConsumerRef, Empty, 'not_found' | 'forbidden' | 'invalid_state'>;
  resumeConsumer: MethodSpec<ConsumerRef, Empty, 'not_found' | 'forbidden' | 'invalid_state'>;
  setConsumerPreferredLayers: MethodSpec<SetConsumerPreferredLayersParams, Empty, 'not_found' | 'forbidden' | 'invalid_state'>;
  setConsumerPriority: MethodSpec<SetConsumerPriorityParams, Empty, 'not_found' | 'forbidden' | 'invalid_state'>;
  requestConsumerKeyFrame: MethodSpec<ConsumerRef, Empty, 'not_found' | 'forbidden' | 'invalid_state'>;
  /** The send transport's `producedata` event. Other peers get `newDataConsumer` requests. */
  produceData: MethodSpec<ProduceDataParams, ProduceDataResult, 'not_found' | 'forbidden' | 'invalid_state'>;
  closeDataProducer: MethodSpec<DataProducerRef, Empty, 'not_found' | 'forbidden'>;
  /** Others get `peerDisplayNameChanged`. */
  changeDisplayName: MethodSpec<ChangeDisplayNameParams, Empty, 'invalid_state'>;
  getTransportStats: MethodSpec<TransportRef, StatsResult, 'not_found' | 'forbidden'>;
  getProducerStats: MethodSpec<ProducerRef, StatsResult, 'not_found' | 'forbidden'>;
  getConsumerStats: MethodSpec<ConsumerRef, StatsResult, 'not_found' | 'forbidden'>;
  getDataProducerStats: MethodSpec<DataProducerRef, StatsResult, 'not_found' | 'forbidden'>;
  getDataConsumerStats: MethodSpec<DataConsumerRef, StatsResult, 'not_found' | 'forbidden'>;
  /** Broadcast to the room (sender included) as a `chatMessage` notification. */
  chatMessage: MethodSpec<ChatMessageParams, ChatMessageResult, 'invalid_state'>;
  /** Offers a file to one peer; it gets `fileOffered`, the sender `fileAnswered`. */
  fileOffer: MethodSpec<FileOfferParams, FileOfferResult, 'not_found' | 'invalid_state' | 'forbidden'>;
  /** Recipient accepts or declines an offer. */
  fileAnswer: MethodSpec<FileAnswerParams, Empty, 'not_found' | 'forbidden' | 'invalid_state'>;
  /**
   * One chunk, sender to server. Answered only after the recipient acknowledged its
   * `fileChunk` request: this is the backpressure; keep a small window of chunks in flight.
   */
  fileChunk: MethodSpec<FileChunkParams, Empty, 'not_found' | 'forbidden' | 'invalid_state' | 'timeout'>;
  /** Sender finished; the server checks size and SHA-256, then both sides get `fileTransferCompleted`. */
  fileComplete: MethodSpec<FileTransferRef, Empty, 'not_found' | 'forbidden' | 'invalid_state'>;
  /** Either side stops a transfer; the other gets `fileTransferCancelled`. */
  fileCancel: MethodSpec<FileCancelParams, Empty, 'not_found' | 'forbidden'>;

  // Moderation: every one of these is `forbidden` unless the sender's role is host or moderator.
  /** Lets one waiting peer (or all) in; it gets `lobbyDecision` and sends `join` again. */
  lobbyAdmit: MethodSpec<LobbyDecisionParams, ModerationResult, 'forbidden' | 'not_found' | 'invalid_state'>;
  /** Refuses one waiting peer (or all); it gets `lobbyDecision` with `admitted: false` and leaves the room. */
  lobbyDeny: MethodSpec<LobbyDecisionParams, ModerationResult, 'forbidden' | 'not_found' | 'invalid_state'>;
  /** Hard mute: pauses (`mic`, `webcam`) or closes (`screen`) the peer's producers and takes the permission away. */
  muteParticipant: MethodSpec<MuteParticipantParams, ModerationResult, 'forbidden' | 'not_found' | 'invalid_state'>;
  /** Hard mute of `source` (default `mic`) for everyone but moderators. */
  muteAll: MethodSpec<MuteAllParams, ModerationResult, 'forbidden' | 'invalid_state'>;
  /** Changes what one peer may do, at once (revoking a publish permission mutes that source). */
  setPermissions: MethodSpec<SetPermissionsParams, ModerationResult, 'forbidden' | 'not_found' | 'invalid_state'>;
  /** Promotes to moderator or demotes; the peer gets `permissionsChanged`, the room `peerRoleChanged`. */
  setRole: MethodSpec<SetRoleParams, ModerationResult, 'forbidden' | 'not_found' | 'invalid_state'>;
  /** Out of the room with `removed`; the same identity cannot re-enter for REMOVAL_BAN_S seconds. */
  removeParticipant: MethodSpec<RemoveParticipantParams, ModerationResult, 'forbidden' | 'not_found' | 'invalid_state'>;
  /** Locks the room or turns its lobby on/off; the room gets `roomSettingsChanged` (lobby off admits everyone waiting). */
  updateRoomSettings: MethodSpec<UpdateRoomSettingsParams, RoomSettings, 'forbidden' | 'invalid_state'>;
  /** Ends the meeting: everyone gets `meetingEnded` and is out of the room. */
  endMeeting: MethodSpec<EndMeetingParams, ModerationResult, 'forbidden' | 'invalid_state'>;
  /**
   * Starts recording the room on the server; everyone gets `recordingStateChanged`.
   * `forbidden` for others than hosts and moderators or when the room's policy is
   * `forbidden`; `media_unavailable` (with the reason) when recording cannot run;
   * `invalid_state` when it is already being recorded.
   */
  startRecording: MethodSpec<Empty, RecordingNotice, 'forbidden' | 'invalid_state' | 'media_unavailable'>;
  /** Stops it (files are mixed and stored); `forbidden` when the room's policy is `required`. */
  stopRecording: MethodSpec<Empty, RecordingNotice, 'forbidden' | 'invalid_state'>;
  /** Any joined peer: it consents to being recorded (needed when `recordingConsent` is on); its tracks are recorded from now on. */
  acknowledgeRecording: MethodSpec<Empty, AcknowledgeRecordingResult, 'invalid_state'>;
}

export type ClientRequestMethod = keyof ClientRequests;
export type ClientRequestParams<M extends ClientRequestMethod> = ClientRequests[M]['params'];
export type ClientRequestResult<M extends ClientRequestMethod> = ClientRequests[M]['result'];
