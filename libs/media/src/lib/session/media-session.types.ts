import type {
  ConsumerLayers,
  ConsumerScore,
  DeviceInfo,
  MediaKind,
  PeerInfo,
  Permissions,
  ProducerScore,
  ProducerSource,
  RecordingNotice,
  Role,
} from '@confer/signaling-contracts';
import type { ExpulsionKind } from '../errors';

/**
 * Lifecycle of a {@link MediaSession}:
 * - `idle`: not joined; `join()` allowed.
 * - `joining`: authenticating, loading the Device, joining, creating transports;
 *   also while waiting in the lobby (`waiting` true).
 * - `joined`: in the room.
 * - `reconnecting`: the signaling socket dropped; media may still flow.
 * - `closed`: left (or never joined after `leave()`), or put out of the room by a
 *   moderator (`expelled` says how).
 * - `failed`: could not join or reconnect; `error` says why.
 */
export type SessionState = 'idle' | 'joining' | 'joined' | 'reconnecting' | 'closed' | 'failed';

/**
 * What the session is recovering from, while it does (`recovery` signal):
 * - `connection`: the signaling socket dropped and is reconnecting; media may still flow.
 * - `media`: transports, producers and consumers are being re-created (`mediaReset`,
 *   or the server forgot the session); local tracks are kept and produced again.
 * - `ice`: ICE is being restarted on a transport (network change, ICE disconnected or failed).
 */
export type RecoveryKind = 'connection' | 'media' | 'ice';

/** Options of {@link MediaSession.join}. */
export interface JoinOptions {
  /** JWT from the portal (or the development endpoint). */
  token: string;
  roomId: string;
  displayName: string;
  /** Announced to others; detected from the user agent when omitted. */
  device?: DeviceInfo;
  /**
   * Gives a fresh token (e.g. from the portal) when the session falls back to the
   * entry URL after losing its node (cluster failover); without it `token` is reused.
   */
  tokenProvider?: () => Promise<string>;
}

/**
 * Entering the room waits for the cluster: the server answered `cluster_unavailable`
 * (no node can take the room now) and the session tries again after `retryAfterMs`.
 */
export interface ClusterRetry {
  /** 1 for the first retry. */
  attempt: number;
  /** After this many, `join()` (or the rebuild) fails with `ConnectionError('cluster_unavailable')`. */
  maxAttempts: number;
  retryAfterMs: number;
  /** The server's reason. */
  reason: string;
}

/** One of this peer's producers. */
export interface LocalProducer {
  id: string;
  source: ProducerSource;
  kind: MediaKind;
  track: MediaStreamTrack;
  /** Muted: paused locally and on the server. */
  paused: boolean;
  /** `deviceId` of the capture device, when known. */
  deviceId?: string;
  /** Score the server reports for each encoding (simulcast has several). */
  score: ProducerScore[];
}

/** Another participant. */
export type RemotePeer = PeerInfo;

/** A consumer of another peer's producer. */
export interface RemoteConsumer {
  id: string;
  peerId: string;
  producerId: string;
  kind: MediaKind;
  source: ProducerSource;
  /** `simple`, `simulcast` or `svc`. */
  type: string;
  track: MediaStreamTrack;
  /** Paused by this client (`pauseConsumer`). */
  paused: boolean;
  /** The remote producer is paused (the other peer muted). */
  producerPaused: boolean;
  score: ConsumerScore | null;
  /** Layers being forwarded now (simulcast/SVC); null when none or not known yet. */
  layers: ConsumerLayers | null;
  preferredLayers: ConsumerLayers | null;
}

/** A DataChannel consumer of another peer's data producer. */
export interface RemoteDataConsumer {
  id: string;
  peerId: string;
  dataProducerId: string;
  label: string;
  protocol: string;
}

/** One message received on a data consumer. */
export interface DataMessage {
  dataConsumerId: string;
  peerId: string;
  label: string;
  data: string | ArrayBuffer;
}

/** State of this client's WebRTC transports (`new` until created). */
export interface TransportStates {
  send: RTCPeerConnectionState | 'none';
  recv: RTCPeerConnectionState | 'none';
}

/**
 * The room's recording as this peer knows it (`recording` signal): the server's
 * notice, plus whether this peer acknowledged it. `state` `stored` or `failed`
 * means the recording is over.
 */
export interface RecordingStatus extends RecordingNotice {
  /** This peer sent `acknowledgeRecording` in this room (with `consentRequired`, only then is its media recorded). */
  acknowledged: boolean;
  /** Convenience: the room is being recorded now (`starting`, `recording` or `stopping`). */
  active: boolean;
}

/** Why this peer is out of the room without having left (`expelled` signal); see {@link ExpulsionKind}. */
export interface Expulsion {
  kind: ExpulsionKind;
  /** The moderator's reason (or the server's default). */
  reason: string;
  /** Display name of the moderator; null when the server API did it. */
  by: string | null;
}

/**
 * Something a moderator did to this peer (`moderatorActions$`), for "you were
 * muted by X" notices:
 * - `muted`: paused this peer's `source` (mic, webcam); it stays paused and
 *   unmuting is refused until the permission comes back.
 * - `stopped`: closed this peer's `source` (a screen share).
 * - `permissionsChanged`: the role or permissions changed; `granted` and `revoked`
 *   list the permissions that changed (a granted `publishAudio` lets the user unmute
 *   again; the SDK never unmutes by itself).
 */
export type ModeratorAction =
  | { type: 'muted' | 'stopped'; source: ProducerSource; by: string | null }
  | {
      type: 'permissionsChanged';
      role: Role;
      previousRole: Role | null;
      permissions: Permissions;
      granted: readonly (keyof Permissions)[];
      revoked: readonly (keyof Permissions)[];
      by: string | null;
      reason?: string;
    };
