import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SignalingError } from '@confer/signaling-contracts';
import { EventsService } from '../events/events.service';
import { ShutdownState } from '../lifecycle/shutdown-state';
import type { Peer } from '../peers/peer';
import { ROOM_POLICY, type RoomPolicy } from '../policies/room-policy';
import { RoomSettingsService } from '../room-settings/room-settings.service';
import { WorkerHealthService } from '../workers/worker-health.service';
import { WorkerPoolService } from '../workers/worker-pool.service';
import { Room } from './room';
import { RoomRoutersService } from './room-routers.service';

/**
 * The room registry. A room is created on first entry and closed when its last
 * peer leaves; creation goes through one pending promise per room id so that
 * simultaneous joins share one router.
 */
@Injectable()
export class RoomsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RoomsService.name);
  private readonly rooms = new Map<string, Room>();
  private readonly creating = new Map<string, Promise<Room>>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly closeQuietly = (o: { close(): void; closed: boolean }): void => this.health.closeQuietly(o);

  constructor(
    private readonly pool: WorkerPoolService,
    private readonly health: WorkerHealthService,
    private readonly routers: RoomRoutersService,
    private readonly shutdown: ShutdownState,
    @Inject(ROOM_POLICY) private readonly policy: RoomPolicy,
    private readonly events: EventsService,
    private readonly settings: RoomSettingsService,
  ) {}

  onModuleInit(): void {
    this.unsubscribe.push(
      this.pool.onWorkerDied((index) => this.resetRoomsOnWorker(index)),
      this.routers.onRouterLost((room, reason) => this.reset(room, reason)),
    );
    this.pool.setConsumerCounter((index) => {
      let n = 0;
      for (const room of this.rooms.values()) n += room.consumersOnWorker(index);
      return n;
    });
  }

  onModuleDestroy(): void {
    for (const stop of this.unsubscribe.splice(0)) stop();
    for (const room of this.rooms.values()) room.close(this.closeQuietly);
    this.rooms.clear();
  }

  get(roomId: string): Room | undefined {
    return this.rooms.get(roomId);
  }

  /** Live rooms, for health output and leak assertions. */
  all(): Room[] {
    return [...this.rooms.values()];
  }

  /** The room `peer` is in, if any (for work detached from a request, which must not throw). */
  current(peer: Peer): Room | undefined {
    return peer.roomId ? this.rooms.get(peer.roomId) : undefined;
  }

  /** The room `peer` is in, or `invalid_state`. With `joined`, the peer must also have joined. */
  roomOf(peer: Peer, joined = true): Room {
    const room = this.current(peer);
    if (!room || (joined && !peer.joined)) {
      throw new SignalingError('invalid_state', joined ? 'join a room first' : 'enter a room first (getRouterRtpCapabilities or join)');
    }
    return room;
  }

  /** Puts `peer` in `roomId`, creating the room if needed. Idempotent for the room the peer is in. */
  async enter(peer: Peer, roomId: string): Promise<Room> {
    if (peer.roomId !== roomId) {
      if (!(await this.policy.may(peer.identity, roomId, 'enter'))) throw new SignalingError('forbidden', `not allowed in room "${roomId}"`);
      this.shutdown.assertAccepting('entering a room');
    }
    for (;;) {
      if (peer.roomId === roomId) return this.roomOf(peer, false);
      if (peer.roomId !== null) throw new SignalingError('invalid_state', `already in room "${peer.roomId}"; leave it first`);
      const room = await this.getOrCreate(roomId);
      // The room may have emptied and closed while this peer waited for it.
      if (room.closed) continue;
      // The peer went, or entered another room, while this one was being created:
      // a room nobody is in must not stay behind (it holds a router).
      if (peer.closed || peer.roomId !== null) {
        this.closeIfEmpty(room);
        if (peer.closed) throw new SignalingError('invalid_state', 'connection closed');
        continue;
      }
      const capacity = Math.min(this.policy.capacity(roomId), this.settings.get(roomId).capacity);
      if (room.peers.size >= capacity) {
        this.closeIfEmpty(room);
        throw new SignalingError('limit_exceeded', `room "${roomId}" is full (${capacity} peers)`);
      }
      room.peers.set(peer.id, peer);
      peer.roomId = roomId;
      this.logger.debug({ peer: peer.id, room: roomId }, `enter() | peer=${peer.id} room=${roomId} peers=${room.peers.size}`);
      return room;
    }
  }

  /**
   * Takes `peer` out of its room: closes its mediasoup objects (others get
   * consumerClosed through the producers' close events), tells the others, and
   * closes the room when it was the last peer. `reason` goes to the event sinks.
   */
  exit(peer: Peer, reason = 'left'): void {
    const room = this.current(peer);
    const wasJoined = peer.joined;
    peer.closeMedia(this.closeQuietly);
    peer.roomId = null;
    peer.joined = false;
    peer.resetRoomState();
    if (!room || room.peers.get(peer.id) !== peer) return;
    room.peers.delete(peer.id);
    if (wasJoined) {
      room.broadcast('peerLeft', { peerId: peer.id });
      // A stand-in's node reports its own peers' events.
      if (!peer.remote) this.events.emit({ type: 'participant.left', roomId: room.id, peerId: peer.id, subject: peer.identity.subject, reason });
    }
    this.logger.debug({ peer: peer.id, room: room.id }, `exit() | peer=${peer.id} room=${room.id} left=${room.peers.size}`);
    this.closeIfEmpty(room);
  }

  private getOrCreate(roomId: string): Promise<Room> {
    const existing = this.rooms.get(roomId);
    if (existing) return Promise.resolve(existing);
    let pending = this.creating.get(roomId);
    if (!pending) {
      pending = this.create(roomId).finally(() => this.creating.delete(roomId));
      this.creating.set(roomId, pending);
    }
    return pending;
  }

  private async create(roomId: string): Promise<Room> {
    const media = this.pool.available ? await this.routers.createRoomMedia(roomId) : null;
    const room = new Room(roomId, media);
    if (media) {
      media.activeSpeakerObserver.on('dominantspeaker', ({ producer }) => {
        room.broadcast('activeSpeaker', { peerId: String(producer.appData['peerId'] ?? '') || null });
      });
      // A router closed from outside (its worker died) ends the room's media.
      media.router.observer.once('close', () => {
        if (!room.closed) this.reset(room, 'the media router closed');
      });
    }
    this.rooms.set(roomId, room);
    this.events.emit({ type: 'room.started', roomId });
    this.logger.log({ room: roomId, worker: media?.workerIndex }, `create() | room=${roomId} router=${media?.router.id ?? 'none (media unavailable)'} worker=${media?.workerIndex ?? '-'}`);
    return room;
  }

  private closeIfEmpty(room: Room): void {
    if (room.hasLocalPeers() || room.closed) return;
    room.close(this.closeQuietly);
    if (this.rooms.get(room.id) === room) this.rooms.delete(room.id);
    this.settings.closed(room.id);
    this.events.emit({ type: 'room.finished', roomId: room.id, reason: room.endReason ?? 'empty' });
    this.logger.log({ room: room.id }, `close() | room=${room.id}`);
  }

  private resetRoomsOnWorker(index: number): void {
    for (const room of this.all()) if (room.media?.workerIndex === index || room.extraRouters.has(index)) this.reset(room, 'the media server restarted');
  }

  /** Drops the room's media: peers are told (`mediaReset`) to start again at getRouterRtpCapabilities. */
  private reset(room: Room, reason: string): void {
    this.logger.warn({ room: room.id, peers: [...room.peers.keys()] }, `reset() | room=${room.id} reason=${reason}`);
    const peers = [...room.peers.values()];
    room.close(this.closeQuietly);
    this.rooms.delete(room.id);
    for (const peer of peers) {
      if (peer.joined) {
        this.events.emit({ type: 'participant.left', roomId: room.id, peerId: peer.id, subject: peer.identity.subject, reason: 'media_reset' });
        // The re-join after the reset is not a new entry: no lobby, no lock, same role and permissions.
        peer.admittedTo = room.id;
        peer.carried = { roomId: room.id, role: peer.role, permissions: peer.permissions };
      }
      peer.closeMedia(this.closeQuietly);
      peer.roomId = null;
      peer.joined = false;
      peer.channel.notify('mediaReset', { reason });
    }
    this.events.emit({ type: 'room.finished', roomId: room.id, reason: 'media_reset' });
  }
}
