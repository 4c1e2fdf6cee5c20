import type { ClientRequestMethod } from './client-requests';
import type { ServerNotificationMethod, ServerRequestMethod } from './server-messages';

/** Runtime list of client request methods (unknown methods are refused with `unknown_method`). */
export const CLIENT_REQUEST_METHODS = [
  'authenticate',
  'getRouterRtpCapabilities',
  'join',
  'leave',
  'createWebRtcTransport',
  'connectWebRtcTransport',
  'restartIce',
  'produce',
  'closeProducer',
  'pauseProducer',
  'resumeProducer',
  'pauseConsumer',
  'resumeConsumer',
  'setConsumerPreferredLayers',
  'setConsumerPriority',
  'requestConsumerKeyFrame',
  'produceData',
  'closeDataProducer',
  'changeDisplayName',
  'getTransportStats',
  'getProducerStats',
  'getConsumerStats',
  'getDataProducerStats',
  'getDataConsumerStats',
  'chatMessage',
  'fileOffer',
  'fileAnswer',
  'fileChunk',
  'fileComplete',
  'fileCancel',
  'lobbyAdmit',
  'lobbyDeny',
  'muteParticipant',
  'muteAll',
  'setPermissions',
  'setRole',
  'removeParticipant',
  'updateRoomSettings',
  'endMeeting',
  'startRecording',
  'stopRecording',
  'acknowledgeRecording',
] as const satisfies readonly ClientRequestMethod[];

export const SERVER_REQUEST_METHODS = ['newConsumer', 'newDataConsumer', 'fileChunk'] as const satisfies readonly ServerRequestMethod[];

export const SERVER_NOTIFICATION_METHODS = [
  'peerJoined',
  'peerLeft',
  'peerDisplayNameChanged',
  'consumerClosed',
  'consumerPaused',
  'consumerResumed',
  'consumerLayersChanged',
  'consumerScore',
  'producerScore',
  'dataConsumerClosed',
  'activeSpeaker',
  'chatMessage',
  'fileOffered',
  'fileAnswered',
  'fileTransferCompleted',
  'fileTransferCancelled',
  'mediaReset',
  'serverShutdown',
  'lobbyChanged',
  'lobbyDecision',
  'permissionsChanged',
  'peerRoleChanged',
  'roomSettingsChanged',
  'producerPausedByModerator',
  'producerClosedByModerator',
  'removed',
  'meetingEnded',
  'recordingStateChanged',
] as const satisfies readonly ServerNotificationMethod[];

// Compile-time completeness: every declared method is listed above.
type Missing<All, Listed> = Exclude<All, Listed>;
const _clientComplete: Missing<ClientRequestMethod, (typeof CLIENT_REQUEST_METHODS)[number]> extends never ? true : never = true;
const _serverComplete: Missing<ServerRequestMethod, (typeof SERVER_REQUEST_METHODS)[number]> extends never ? true : never = true;
const _notifComplete: Missing<ServerNotificationMethod, (typeof SERVER_NOTIFICATION_METHODS)[number]> extends never ? true : never = true;
void _clientComplete;
void _serverComplete;
void _notifComplete;

export function isClientRequestMethod(method: unknown): method is ClientRequestMethod {
  return typeof method === 'string' && (CLIENT_REQUEST_METHODS as readonly string[]).includes(method);
}
