import type {
  DeviceInfo,
  Grants,
  PeerInfo,
  RtpCapabilities,
  SctpCapabilities,
} from '@confer/signaling-contracts';
import type { Consumer, DataConsumer, DataProducer, Producer, WebRtcTransport } from 'mediasoup/types';
import type { Identity } from '../auth/identity';
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
  closed = false;
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
  }

  get grants(): Grants {
    return this.identity.grants;
  }

  info(): PeerInfo {
    return { id: this.id, displayName: this.displayName, device: this.device };
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
