import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SignalingError, type ChatMessageParams, type ChatMessageResult, type PeerInfo } from '@confer/signaling-contracts';
import { NodeBusService } from '../cluster/node-bus.service';
import { NodeBusError } from '../cluster/node-bus.types';
import { NodeRegistryService } from '../cluster/node-registry.service';
import { RemotePipeService } from '../cluster/remote-pipe.service';
import { RoomHomeService } from '../cluster/room-home.service';
import { EventsService } from '../events/events.service';
import { SubscriptionsService } from '../media/subscriptions.service';
import type { Peer } from '../peers/peer';
import { RoomAccessService } from '../room-access/room-access.service';
import type { Room } from '../rooms/room';
import { RoomsService } from '../rooms/rooms.service';
import { SessionsService } from '../sessions/sessions.service';
import { checkedId, checkedPeerInfo, checkedRemotePeers, checkedRoomId, forwardedMethod, mirroredMethod, notificationData } from './edge-messages';
import { remotePeer } from './remote-peer';

/**
 * The edge side of rooms across nodes (CLUSTER_EDGE_VIEWERS_AT): this node
 * serves viewers of a room owned by another node. The room here is a local
 * room with its own router; on its first viewer it attaches to the room's
 * node, which answers who is there: each of them becomes a stand-in here, and
 * each of their producers is piped in with PipeTransports (RemotePipeService)
 * and fanned out to the viewers like any producer. Broadcasts, new producers,
 * a moderator's acts and the room's end come over the node bus; the viewers'
 * presence and chat go back to the room's node. When the last viewer leaves,
 * the room closes here and detaches; when the room's node dies, viewers get
 * `mediaReset` and enter the room again wherever it is placed next.
 */
@Injectable()
export class EdgeRoomService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(EdgeRoomService.name);
  /** Attachments by room id (the attach request, once per room). */
  private readonly attached = new Map<string, Promise<void>>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly bus: NodeBusService,
    private readonly registry: NodeRegistryService,
    private readonly home: RoomHomeService,
    private readonly pipes: RemotePipeService,
    private readonly rooms: RoomsService,
    private readonly sessions: SessionsService,
    private readonly subscriptions: SubscriptionsService,
    private readonly events: EventsService,
    private readonly access: RoomAccessService,
  ) {}

  onModuleInit(): void {
    if (!this.bus.enabled) return;
    this.unsubscribe.push(
      this.bus.on('edge.event', (data, { from }) => this.guard('event', () => this.onEvent(data, from))),
      this.bus.on('edge.producer', (data, { from }) => this.guard('producer', () => this.onProducer(data, from))),
      this.bus.on('edge.notify', (data, { from }) => this.guard('notify', () => this.onNotify(data, from))),
      this.bus.on('edge.closed', (data, { from }) => this.guard('closed', () => this.onClosed(data, from))),
    );
    this.events.attach({
      emit: (event) => {
        if (!('roomId' in event) || !this.home.edgeRooms.has(event.roomId)) return;
        if (event.type === 'participant.joined') void this.viewerJoined(event.roomId, event.peerId);
        if (event.type === 'participant.left') this.tellOwner(event.roomId, { id: event.peerId });
        if (event.type === 'room.finished') this.roomClosed(event.roomId);
      },
    });
    this.registry.onBeat(() => this.checkOwners());
  }

  onModuleDestroy(): void {
    for (const stop of this.unsubscribe.splice(0)) stop();
  }

  /** Whether `roomId` is served here as an edge room. */
  isEdge(roomId: string | null): boolean {
    return roomId !== null && this.home.edgeRooms.has(roomId);
  }

  /** A viewer's chat message: the room's node checks and broadcasts it (it comes back here as a broadcast). */
  async chat(peer: Peer, { text }: ChatMessageParams): Promise<ChatMessageResult> {
    const roomId = peer.roomId;
    const owner = roomId ? this.home.edgeRooms.get(roomId) : undefined;
    if (!roomId || !owner || !peer.joined) throw new SignalingError('invalid_state', 'join a room first');
    try {
      return await this.bus.request(owner, 'edge.chat', { roomId, peerId: peer.id, text });
    } catch (error) {
      if (error instanceof NodeBusError && error.remote) throw SignalingError.fromWire(error.remote);
      throw new SignalingError('timeout', `the room's node did not take the message: ${(error as Error).message}`);
    }
  }

  private async viewerJoined(roomId: string, peerId: string): Promise<void> {
    try {
      await this.attach(roomId);
      const peer = this.sessions.get(peerId);
      if (peer?.roomId === roomId && peer.joined) this.tellOwner(roomId, peer.info(), 'joined');
    } catch (error) {
      this.logger.warn(`attach to room ${roomId} failed | ${(error as Error).message}`);
      this.resetViewers(roomId, 'the room could not be reached on its node');
    }
  }

  private attach(roomId: string): Promise<void> {
    let pending = this.attached.get(roomId);
    if (!pending) {
      pending = this.doAttach(roomId);
      this.attached.set(roomId, pending);
      pending.catch(() => this.attached.get(roomId) === pending && this.attached.delete(roomId));
    }
    return pending;
  }

  private async doAttach(roomId: string): Promise<void> {
    const owner = this.home.edgeRooms.get(roomId);
    if (!owner) return;
    const { peers } = await this.bus.request(owner, 'edge.attach', { roomId });
    const room = this.rooms.get(roomId);
    if (!room || room.closed) return;
    for (const { info, producers } of checkedRemotePeers({ peers })) {
      const standIn = await this.addStandIn(room, info, owner);
      if (standIn) for (const { producerId } of producers) void this.pipeIn(room, standIn, owner, producerId);
    }
    this.logger.log({ room: roomId, node: owner }, `attached | room=${roomId} owner=${owner} peers=${peers.length}`);
  }

  private async addStandIn(room: Room, info: PeerInfo, owner: string): Promise<Peer | null> {
    const existing = room.peers.get(info.id);
    if (existing) return existing.remote ? existing : null;
    const standIn = remotePeer(info, owner);
    await this.rooms.enter(standIn, room.id);
    standIn.joined = true;
    room.broadcast('peerJoined', standIn.info(), standIn);
    return standIn;
  }

  /** One producer of the room's node, piped into this node's router and fanned out to the viewers here. */
  private async pipeIn(room: Room, standIn: Peer, owner: string, producerId: string): Promise<void> {
    if (!room.media || standIn.producers.has(producerId)) return;
    try {
      const producer = await this.pipes.pipe({ ownerNodeId: owner, roomId: room.id, producerId, router: room.media.router });
      if (room.closed || standIn.roomId !== room.id) {
        producer.close();
        return;
      }
      standIn.producers.set(producer.id, producer);
      producer.observer.once('close', () => standIn.producers.delete(producer.id));
      this.subscriptions.fanOut(room, standIn, producer);
    } catch (error) {
      this.logger.warn(`pipe of producer ${producerId} from node ${owner} failed | ${(error as Error).message}`);
    }
  }

  private async onEvent(data: unknown, from: string): Promise<void> {
    const d = data as { roomId?: unknown; method?: unknown; data?: unknown };
    const room = this.edgeRoom(d.roomId, from);
    const method = mirroredMethod(d.method);
    if (!room || !method) return;
    if (method === 'peerJoined') {
      await this.addStandIn(room, checkedPeerInfo(d.data), from);
      return;
    }
    if (method === 'peerLeft') {
      const gone = room.peers.get(checkedId((d.data as { peerId?: unknown } | null)?.peerId, 'peerId'));
      if (gone?.remote) this.rooms.exit(gone, 'left');
      return;
    }
    const payload = notificationData<typeof method>(d.data) as Record<string, unknown>;
    const about = typeof payload['peerId'] === 'string' ? room.peers.get(payload['peerId']) : undefined;
    if (about?.remote && method === 'peerDisplayNameChanged' && typeof payload['displayName'] === 'string') about.displayName = payload['displayName'];
    if (about?.remote && method === 'peerRoleChanged' && typeof payload['role'] === 'string') about.role = checkedPeerInfo({ ...about.info(), role: payload['role'] }).role;
    room.broadcast(method, payload as never);
  }

  private async onProducer(data: unknown, from: string): Promise<void> {
    const d = data as { roomId?: unknown; peerId?: unknown; producerId?: unknown };
    const room = this.edgeRoom(d.roomId, from);
    if (!room) return;
    const standIn = room.peers.get(checkedId(d.peerId, 'peerId'));
    if (standIn?.remote === from) await this.pipeIn(room, standIn, from, checkedId(d.producerId, 'producerId'));
  }

  /** A moderator's act on one of the viewers here: delivered, and a removal or the meeting's end takes it out. */
  private onNotify(data: unknown, from: string): void {
    const d = data as { roomId?: unknown; peerId?: unknown; method?: unknown; data?: unknown };
    const room = this.edgeRoom(d.roomId, from);
    const method = forwardedMethod(d.method);
    const peer = room?.peers.get(checkedId(d.peerId, 'peerId'));
    if (!room || !method || !peer || peer.remote) return;
    peer.channel.notify(method, notificationData<typeof method>(d.data));
    // The removal ban holds here too (the room's node banned the stand-in).
    if (method === 'removed') this.access.ban(room.id, peer.identity.subject);
    if (method === 'removed' || method === 'meetingEnded') this.sessions.exitRoom(peer, method === 'removed' ? 'removed' : 'ended');
  }

  /** The room closed on its node: its viewers here are told the meeting is over (or, when it moved, start again). */
  private onClosed(data: unknown, from: string): void {
    const d = data as { roomId?: unknown; reason?: unknown };
    const room = this.edgeRoom(d.roomId, from);
    if (!room) return;
    const reason = typeof d.reason === 'string' ? d.reason.slice(0, 200) : 'closed';
    // Moved (its node drained) or its media restarted there: the viewers enter again, wherever the room is now.
    if (reason === 'moved' || reason === 'media_reset') return this.resetViewers(room.id, reason === 'moved' ? 'the room moved to another node (its node is shutting down)' : "the room's media restarted on its node");
    for (const peer of [...room.peers.values()]) {
      if (peer.remote) continue;
      // A moderator's end reached each viewer already (edge.notify); an emptied room ends here.
      if (peer.roomId === room.id) {
        peer.channel.notify('meetingEnded', { reason: `the meeting is over (${reason})`, by: null });
        this.sessions.exitRoom(peer, 'ended');
      }
    }
  }

  private roomClosed(roomId: string): void {
    const owner = this.home.edgeRooms.get(roomId);
    this.home.edgeRooms.delete(roomId);
    this.attached.delete(roomId);
    if (owner) void this.bus.send(owner, 'edge.detach', { roomId });
  }

  private tellOwner(roomId: string, info: PeerInfo | { id: string }, op: 'joined' | 'left' = 'left'): void {
    const owner = this.home.edgeRooms.get(roomId);
    if (!owner) return;
    const full: PeerInfo = 'displayName' in info ? info : { id: info.id, displayName: info.id, device: { flag: 'unknown', name: 'unknown' }, role: 'viewer' };
    void this.bus.send(owner, 'edge.viewer', { roomId, op, info: full });
  }

  /** Edge rooms whose node is gone: their viewers start again (`mediaReset`) and find the room where it is placed next. */
  private async checkOwners(): Promise<void> {
    if (this.home.edgeRooms.size === 0) return;
    const live = new Set((await this.registry.liveNodes()).map((n) => n.id));
    for (const [roomId, owner] of [...this.home.edgeRooms]) if (!live.has(owner)) this.resetViewers(roomId, `the room's node ${owner} is gone`);
  }

  private resetViewers(roomId: string, reason: string): void {
    const room = this.rooms.get(roomId);
    this.home.edgeRooms.delete(roomId);
    this.attached.delete(roomId);
    if (!room) return;
    for (const peer of [...room.peers.values()]) {
      if (peer.remote) continue;
      this.sessions.exitRoom(peer, 'media_reset');
      peer.channel.notify('mediaReset', { reason });
    }
  }

  private edgeRoom(roomId: unknown, from: string): Room | null {
    const id = checkedRoomId(roomId);
    if (this.home.edgeRooms.get(id) !== from) return null;
    const room = this.rooms.get(id);
    return room && !room.closed ? room : null;
  }

  private async guard(what: string, run: () => unknown): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.logger.warn(`edge ${what} message refused | ${(error as Error).message}`);
    }
  }
}
