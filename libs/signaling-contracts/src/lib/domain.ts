import type { Role } from './moderation';

/** Shared domain shapes used by several messages. */

/** What a JWT lets its bearer do. Absent grants are false. */
export interface Grants {
  /** May create a send transport and produce audio/video. */
  canPublish: boolean;
  /** May create a recv transport and consume others' media. */
  canSubscribe: boolean;
  /** May produce DataChannel messages (`produceData`). */
  canPublishData: boolean;
  /** Without a `role` claim, makes the bearer the room's `host`. */
  roomAdmin: boolean;
  /** Enters rooms that have the lobby on without waiting. */
  canBypassLobby?: boolean;
}

/** Browser/device description a peer announces at `join`. */
export interface DeviceInfo {
  /** Short identifier, e.g. `chrome`, `firefox`, `safari`. */
  flag: string;
  name: string;
  version?: string;
}

/** A peer as others see it. */
export interface PeerInfo {
  id: string;
  displayName: string;
  device: DeviceInfo;
  /** `host`, `moderator`, `participant` or `viewer`. */
  role: Role;
}

/** Where a producer's track comes from; drives how the UI shows it. */
export const PRODUCER_SOURCES = ['mic', 'webcam', 'screen', 'screen-audio'] as const;
export type ProducerSource = (typeof PRODUCER_SOURCES)[number];

/** appData carried on producers and consumers. */
export interface ProducerAppData {
  source: ProducerSource;
  [key: string]: unknown;
}

/** Limits the server enforces, announced at `authenticate` so clients can respect them. */
export interface ServerLimits {
  /** Largest signaling message, in bytes (UTF-8 JSON). */
  maxMessageBytes: number;
  /** Requests per second per peer (token bucket, burst of the same size). */
  requestsPerSecond: number;
  maxPeersPerRoom: number;
  maxProducersPerPeer: number;
  maxTransportsPerPeer: number;
  /** Maximum chat message length, in characters. */
  maxChatLength: number;
  /** Largest file a transfer may carry, in bytes. */
  maxFileBytes: number;
  /** Size of one file chunk before base64 encoding, in bytes. */
  fileChunkBytes: number;
}

/** A chat message as delivered to the room. */
export interface ChatMessage {
  messageId: string;
  peerId: string;
  displayName: string;
  text: string;
  /** Server time, ms since the epoch. */
  timestamp: number;
}
