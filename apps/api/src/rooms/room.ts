import type { ServerNotifications } from '@confer/signaling-contracts';
import type { Peer } from '../peers/peer';
import type { RoomMedia, RouterSlot } from './room-media';

/**
 * A room: its peers and, when media is available, its main router (where every
 * producer lives) plus, past ROOM_PIPE_CONSUMER_THRESHOLD, extra routers on
 * other workers that carry receive transports only and get the producers through
 * `pipeToRouter()` (RouterPipeService). `media` is null on a server
 * without a mediasoup worker, where rooms carry chat and files only.
 */
export class Room {
  /** Peers that entered (getRouterRtpCapabilities or join); only `joined` ones are visible to others. */
  readonly peers = new Map<string, Peer>();
  /** Extra routers by worker index (a promise: two recv transports created at once share one router). */
  readonly extraRouters = new Map<number, Promise<RouterSlot>>();
  /** Pipes made, by `<producer or data producer id>:<router id>`; an entry goes when its piped producer closes. */
  readonly pipes = new Map<string, Promise<void>>();
  closed = false;
  /** Why the room is closing, when not simply because it emptied (`ended` by a moderator). */
  endReason: string | null = null;
  /** Cluster: every broadcast is also handed here (the room's other nodes get it); null on a single node. */
  onBroadcast: (<M extends keyof ServerNotifications>(method: M, data: ServerNotifications[M]) => void) | null = null;

  constructor(
    readonly id: string,
    readonly media: RoomMedia | null,
  ) {}

  joinedPeers(except?: Peer): Peer[] {
    return [...this.peers.values()].filter((p) => p.joined && p !== except);
  }

  /** Sends a notification to every joined peer except `except`. */
  broadcast<M extends keyof ServerNotifications>(method: M, data: ServerNotifications[M], except?: Peer): void {
    for (const peer of this.joinedPeers(except)) if (!peer.remote) peer.channel.notify(method, data);
    this.onBroadcast?.(method, data);
  }

  /** Whether a peer of this node's own connections is in the room (stand-ins of other nodes' peers do not count). */
  hasLocalPeers(): boolean {
    for (const peer of this.peers.values()) if (!peer.remote) return true;
    return false;
  }

  /** Consumers of this room's peers whose recv transport is on worker `workerIndex`. */
  consumersOnWorker(workerIndex: number): number {
    let n = 0;
    for (const peer of this.peers.values()) if (this.workerOf(peer) === workerIndex) n += peer.consumers.size;
    return n;
  }

  /** The worker of the peer's recv transport (the main router's when it has none). */
  workerOf(peer: Peer): number | undefined {
    return peer.recvTransport()?.appData.workerIndex ?? this.media?.workerIndex;
  }

  /** Closes the room's routers, each through `closeQuietly` (a close that throws must not reach the caller). */
  close(closeQuietly: (o: { close(): void; closed: boolean }) => void): void {
    if (this.closed) return;
    this.closed = true;
    // Closing a router closes its transports (pipe transports too), producers, consumers and observers.
    if (this.media) closeQuietly(this.media.router);
    for (const slot of this.extraRouters.values()) void slot.then((s) => closeQuietly(s.router), () => undefined);
    this.extraRouters.clear();
    this.pipes.clear();
  }
}
