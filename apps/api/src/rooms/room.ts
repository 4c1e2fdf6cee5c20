import type { ServerNotifications } from '@confer/signaling-contracts';
import type { RoomMedia } from '../media/mediasoup.service';
import type { Peer } from '../peers/peer';

/**
 * A room: its peers and, when media is available, one router. `media` is null
 * on a server without a mediasoup worker, where rooms carry chat and files only.
 */
export class Room {
  /** Peers that entered (getRouterRtpCapabilities or join); only `joined` ones are visible to others. */
  readonly peers = new Map<string, Peer>();
  closed = false;

  constructor(
    readonly id: string,
    readonly media: RoomMedia | null,
  ) {}

  joinedPeers(except?: Peer): Peer[] {
    return [...this.peers.values()].filter((p) => p.joined && p !== except);
  }

  /** Sends a notification to every joined peer except `except`. */
  broadcast<M extends keyof ServerNotifications>(method: M, data: ServerNotifications[M], except?: Peer): void {
    for (const peer of this.joinedPeers(except)) peer.channel.notify(method, data);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Closing the router closes its transports, producers, consumers and observers.
    this.media?.router.close();
  }
}
