import {
  SignalingError,
  type DeviceInfo,
  type Grants,
  type PeerInfo,
  type Permissions,
  type Role,
  type RtpCapabilities,
  type SctpCapabilities,
} from '@confer/signaling-contracts';
import type { Consumer, DataConsumer, DataProducer, Producer, WebRtcTransport } from 'mediasoup/types';
import { roleOf, type Identity } from '../auth/identity';
import { IdempotencyCache } from './idempotency-cache';
import type { PeerLink } from './peer-link';
import type { TransportListeners } from './transport-listeners';

export type { Identity } from '../auth/identity';

export type { PeerChannel } from './peer-channel';

/**
 * `workerIndex`: the worker of the transport's router (a recv transport may be on
 * a room's extra router). `connected`: `connect()` was called (the worker takes
 * one). `listeners`: SSRCs, MIDs, RIDs and SCTP streams its producers hold.
 */
export type TransportAppData = { peerId: string; direction: 'send' | 'recv'; workerIndex?: number; connected?: boolean; listeners?: TransportListeners };

/**
 * One authenticated connection and everything it owns. Maps hold only live
 * objects: each entry is removed on its object's `close` observer event.
 */
export class Peer {
  displayName: string;
  device: DeviceInfo = { flag: 'unknown', name: 'unknown' };
  /** Room entered with getRouterRtpCapabilities or join; null when in none. */
  roomId: string | null = null;
  joined = false;
  rtpCapabilities?: RtpCapabilities;
  sctpCapabilities?: SctpCapabilities;
  readonly transports = new Map<string, WebRtcTransport<TransportAppData>>();
  readonly producers = new Map<string, Producer>();
  readonly consumers = new Map<string, Consumer>();
  readonly dataProducers = new Map<string, DataProducer>();
  readonly dataConsumers = new Map<string, DataConsumer>();
  /** Outcomes of the session's last keyed requests: a replay after a drop is answered, not re-run. */
  readonly requests = new IdempotencyCache();
  /** Producer / data producer ids a consumer is being created for (guards against doubles). */
  readonly consuming = new Set<string>();
  /** Role in the current room: the token's on entering, changed by moderators. */
  role: Role;
  /** What the peer may do in the current room (set on join, changed by moderators and room settings). */
  permissions: Permissions = { publishAudio: false, publishVideo: false, publishScreen: false, chat: false, sendFiles: false };
  /** Waiting in its room's lobby since (ms since the epoch); null when not waiting. */
  lobbySince: number | null = null;
  /** Room a moderator admitted this peer to from the lobby (its next `join` there goes through). */
  admittedTo: string | null = null;
  /** Role and permissions kept across a media reset, for the re-join into the same room. */
  carried: { roomId: string; role: Role; permissions: Permissions } | null = null;
  closed = false;
  /**
   * Cluster edge rooms: the node this peer is really served by, when this Peer
   * is a stand-in for it (presence, and the producers piped from that node);
   * null for the peers of this node's own connections.
   */
  remote: string | null = null;
  /** Armed while the socket is gone and the session may still be resumed. */
  resumeTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly id: string,
    /** Replaced when a resumed session brings a fresh token. */
    public identity: Identity,
    readonly sessionId: string,
    readonly channel: PeerLink,
  ) {
    this.displayName = identity.displayName;
    this.role = roleOf(identity);
  }

  get grants(): Grants {
    return this.identity.grants;
  }

  /** `forbidden` unless the peer currently has `permission` (produce, resume, chat, files). */
  assertPermitted(permission: keyof Permissions): void {
    if (!this.permissions[permission]) throw new SignalingError('forbidden', `not permitted in this room: ${permission}`, { permission });
  }

  /** Back to the token's role and no permissions (on leaving a room). */
  resetRoomState(): void {
    this.role = roleOf(this.identity);
    this.permissions = { publishAudio: false, publishVideo: false, publishScreen: false, chat: false, sendFiles: false };
    this.lobbySince = null;
    this.admittedTo = null;
    this.carried = null;
  }

  info(): PeerInfo {
    return { id: this.id, displayName: this.displayName, device: this.device, role: this.role };
  }

  /** The receiving transport media is consumed on (the first `recv` one). */
  recvTransport(): WebRtcTransport<TransportAppData> | undefined {
    for (const t of this.transports.values()) if (t.appData.direction === 'recv' && !t.closed) return t;
    return undefined;
  }

  /**
   * Closes every mediasoup object of the peer, each through `closeQuietly` (a
   * close that throws must not stop the others, nor reach the caller). Closing a
   * transport closes its producers and consumers in mediasoup; the explicit loops
   * catch objects whose transport already went.
   */
  closeMedia(closeQuietly: (o: { close(): void; closed: boolean }) => void): void {
    for (const t of [...this.transports.values()]) closeQuietly(t);
    for (const map of [this.producers, this.consumers, this.dataProducers, this.dataConsumers] as Map<string, { close(): void; closed: boolean }>[]) {
      for (const o of [...map.values()]) closeQuietly(o);
      map.clear();
    }
    this.transports.clear();
    this.consuming.clear();
  }
}
