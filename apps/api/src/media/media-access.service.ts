import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SignalingError, type StatsEntry, type StatsResult } from '@confer/signaling-contracts';
import type { Peer } from '../peers/peer';
import { ROOM_POLICY, type RoomAction, type RoomPolicy } from '../policies/room-policy';
import type { Room } from '../rooms/room';
import type { RoomMedia } from '../rooms/room-media';
import { RoomsService } from '../rooms/rooms.service';
import { WorkerHealthService } from '../workers/worker-health.service';
import { WorkerPoolService } from '../workers/worker-pool.service';

/** The peer's maps of mediasoup objects a request may name. */
export type Owned = 'transports' | 'producers' | 'consumers' | 'dataProducers' | 'dataConsumers';
const OWNED_LABEL: Record<Owned, string> = {
  transports: 'transport',
  producers: 'producer',
  consumers: 'consumer',
  dataProducers: 'data producer',
  dataConsumers: 'data consumer',
};

/** A mediasoup object whose creation reserved something that its close releases. */
type Closable = { closed: boolean; close(): void; observer: { once(event: 'close', fn: () => void): unknown } };

/**
 * What every media request checks first, in one place for the transport,
 * producer, subscription and data channel services: media is available, the
 * peer is in a room (read from the room registry, never changed here), the
 * room policy allows the action, and the object named is the peer's own.
 */
@Injectable()
export class MediaAccessService {
  constructor(
    private readonly pool: WorkerPoolService,
    private readonly health: WorkerHealthService,
    private readonly rooms: RoomsService,
    @Inject(ROOM_POLICY) private readonly policy: RoomPolicy,
  ) {}

  /** The room of `peer` with its media: `media_unavailable` without a worker, `invalid_state` outside a room. */
  roomOf(peer: Peer, joined = true): { room: Room; media: RoomMedia } {
    this.pool.assertAvailable();
    const room = this.rooms.roomOf(peer, joined);
    if (!room.media) throw new SignalingError('media_unavailable', this.pool.unavailable ?? 'this room has no media');
    return { room, media: room.media };
  }

  /** The room `peer` is in, when it has media; for work detached from a request (it never throws). */
  currentRoom(peer: Peer): (Room & { media: RoomMedia }) | undefined {
    const room = this.rooms.current(peer);
    return room?.media ? (room as Room & { media: RoomMedia }) : undefined;
  }

  /** `forbidden` with `message` unless the room policy (the token's grants by default) allows one of `actions`. */
  async assertMay(peer: Peer, room: Room, actions: RoomAction[], message: string): Promise<void> {
    for (const action of actions) if (await this.policy.may(peer.identity, room.id, action)) return;
    throw new SignalingError('forbidden', message);
  }

  /**
   * The peer's own object with that id. Another peer's object is `forbidden`
   * (a peer only acts on its own objects); an unknown id is `not_found`.
   */
  owned<K extends Owned>(peer: Peer, kind: K, id: string): NonNullable<ReturnType<Peer[K]['get']>> {
    const mine = peer[kind].get(id) as ReturnType<Peer[K]['get']>;
    if (mine) return mine;
    const room = this.rooms.current(peer);
    if (room && [...room.peers.values()].some((p) => p[kind].has(id))) {
      throw new SignalingError('forbidden', `${OWNED_LABEL[kind]} ${id} belongs to another peer`);
    }
    throw new SignalingError('not_found', `${OWNED_LABEL[kind]} ${id} does not exist`);
  }

  /** `getStats()` of the peer's own object. */
  async statsOf(peer: Peer, kind: Owned, id: string): Promise<StatsResult> {
    const object = this.owned(peer, kind, id) as { getStats(): Promise<unknown[]> };
    return { stats: (await object.getStats()) as StatsEntry[] };
  }

  /** Closes a mediasoup object; a close that throws is logged and probes the workers (WorkerHealthService). */
  closeQuietly(object: { close(): void; closed: boolean; id?: string }): void {
    this.health.closeQuietly(object);
  }

  /** Probes the workers after an unexpected failure of work no request answers for. */
  probeWorkers(reason: string): void {
    void this.health.probeWorkers(reason);
  }

  /**
   * Creates a producer or data producer with its transport listener entries
   * reserved for exactly its lifetime (released if creation fails, else when it
   * closes), and closes it again if the peer left the room or went meanwhile.
   */
  async createOwned<T extends Closable>(peer: Peer, room: Room, reservation: { claim(key: string): void; release(key: string): void }, create: () => Promise<T>): Promise<T> {
    const key = randomUUID();
    reservation.claim(key);
    let created: T;
    try {
      created = await create();
    } catch (error) {
      reservation.release(key);
      throw error;
    }
    created.observer.once('close', () => reservation.release(key));
    if (created.closed || peer.closed || peer.roomId !== room.id) {
      this.closeQuietly(created);
      throw new SignalingError('invalid_state', 'the transport or the room closed meanwhile');
    }
    return created;
  }
}
