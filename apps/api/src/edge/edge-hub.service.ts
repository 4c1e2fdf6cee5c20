import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SignalingError, type PeerInfo } from '@confer/signaling-contracts';
import { ChatService } from '../chat/chat.service';
import { NodeBusService } from '../cluster/node-bus.service';
import { NodeRegistryService } from '../cluster/node-registry.service';
import { EventsService } from '../events/events.service';
import { ShutdownState } from '../lifecycle/shutdown-state';
import type { Peer } from '../peers/peer';
import { RoomAccessService } from '../room-access/room-access.service';
import { RoomsService } from '../rooms/rooms.service';
import { checkedId, checkedPeerInfo, checkedRoomId, FORWARDED, mirroredMethod, type RemotePeer } from './edge-messages';
import { remotePeer } from './remote-peer';

/**
 * The room's node side of edge rooms (CLUSTER_EDGE_VIEWERS_AT): nodes that
 * serve viewers of one of this node's rooms attach to it; from then on every
 * room broadcast and every new producer is sent to them, their viewers are in
 * the room as stand-ins (presence, chat, a moderator's acts forwarded to their
 * node), and the room's end tells them. Nothing here runs without attached edges.
 */
@Injectable()
export class EdgeHubService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(EdgeHubService.name);
  /** Attached edge nodes by room id. */
  private readonly edges = new Map<string, Set<string>>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly bus: NodeBusService,
    private readonly registry: NodeRegistryService,
    private readonly rooms: RoomsService,
    private readonly access: RoomAccessService,
    private readonly chat: ChatService,
    private readonly events: EventsService,
    private readonly shutdown: ShutdownState,
  ) {}

  onModuleInit(): void {
    if (!this.bus.enabled) return;
    this.unsubscribe.push(
      this.bus.handle('edge.attach', (params, { from }) => this.attach(params, from)),
      this.bus.handle('edge.chat', (params, { from }) => this.chatFrom(params, from)),
      this.bus.on('edge.detach', (data, { from }) => this.guard('detach', () => this.detach(checkedRoomId((data as { roomId?: unknown }).roomId), from))),
      this.bus.on('edge.viewer', (data, { from }) => this.guard('viewer', () => this.viewer(data, from))),
    );
    this.events.attach({
      emit: (event) => {
        if (event.type === 'track.published') this.sendToEdges(event.roomId, 'edge.producer', { roomId: event.roomId, peerId: event.peerId, producerId: event.producerId });
        if (event.type === 'room.finished') this.roomClosed(event.roomId, event.reason ?? 'closed');
      },
    });
    // An edge node that died takes its viewers with it.
    this.registry.onBeat(() => this.dropDeadEdges());
  }

  onModuleDestroy(): void {
    for (const stop of this.unsubscribe.splice(0)) stop();
  }

  /** Edge nodes attached to `roomId` (tests, the cluster view). */
  edgesOf(roomId: string): string[] {
    return [...(this.edges.get(roomId) ?? [])];
  }

  private attach(params: unknown, from: string): { peers: RemotePeer[] } {
    const roomId = checkedRoomId((params as { roomId?: unknown } | null)?.roomId);
    const room = this.rooms.get(roomId);
    if (!room || room.closed) throw new SignalingError('not_found', `room "${roomId}" is not on node ${this.registry.selfId}`);
    let set = this.edges.get(roomId);
    if (!set) this.edges.set(roomId, (set = new Set()));
    set.add(from);
    room.onBroadcast = (method, data) => {
      const mirrored = mirroredMethod(method);
      if (mirrored) this.sendToEdges(roomId, 'edge.event', { roomId, method: mirrored, data });
    };
    this.logger.log({ room: roomId, node: from }, `attach | edge ${from} mirrors room ${roomId}`);
    return {
      peers: room
        .joinedPeers()
        .filter((p) => p.remote !== from)
        .map((p) => ({ info: p.info(), producers: p.remote ? [] : [...p.producers.values()].filter((pr) => !pr.closed).map((pr) => ({ producerId: pr.id })) })),
    };
  }

  private detach(roomId: string, from: string): void {
    const set = this.edges.get(roomId);
    set?.delete(from);
    const room = this.rooms.get(roomId);
    if (room) for (const p of [...room.peers.values()]) if (p.remote === from) this.rooms.exit(p, 'left');
    if (set && set.size === 0) {
      this.edges.delete(roomId);
      if (room) room.onBroadcast = null;
    }
  }

  /** A viewer of an edge joined (a stand-in enters the room: everyone here sees it) or left. */
  private async viewer(data: unknown, from: string): Promise<void> {
    const d = data as { roomId?: unknown; op?: unknown; info?: unknown };
    const roomId = checkedRoomId(d.roomId);
    const info: PeerInfo = checkedPeerInfo(d.info);
    const room = this.rooms.get(roomId);
    if (!room || !this.edges.get(roomId)?.has(from)) return;
    const existing = room.peers.get(info.id);
    if (d.op === 'left') {
      if (existing?.remote === from) this.rooms.exit(existing, 'left');
      return;
    }
    if (d.op !== 'joined' || existing) return;
    const standIn = remotePeer(info, from, (method, payload) => {
      // A moderator's act on the viewer reaches it through its node.
      if ((FORWARDED as readonly string[]).includes(method)) void this.bus.send(from, 'edge.notify', { roomId, peerId: info.id, method: method as (typeof FORWARDED)[number], data: payload });
    });
    await this.rooms.enter(standIn, roomId);
    standIn.joined = true;
    standIn.permissions = this.access.permissionsFor(standIn, roomId);
    room.broadcast('peerJoined', standIn.info(), standIn);
  }

  private async chatFrom(params: unknown, from: string): Promise<{ messageId: string; timestamp: number }> {
    const p = params as { roomId?: unknown; peerId?: unknown; text?: unknown } | null;
    const roomId = checkedRoomId(p?.roomId);
    const peerId = checkedId(p?.peerId, 'peerId');
    if (typeof p?.text !== 'string') throw new SignalingError('invalid_request', 'text must be a string');
    const standIn: Peer | undefined = this.rooms.get(roomId)?.peers.get(peerId);
    if (!standIn || standIn.remote !== from) throw new SignalingError('not_found', `viewer ${peerId} of node ${from} is not in room "${roomId}"`);
    return this.chat.send(standIn, { text: p.text });
  }

  private roomClosed(roomId: string, reason: string): void {
    // Drained away (SIGTERM hand-over): the room goes on elsewhere, the edges' viewers follow it.
    this.sendToEdges(roomId, 'edge.closed', { roomId, reason: this.shutdown.draining ? 'moved' : reason });
    this.edges.delete(roomId);
  }

  private async dropDeadEdges(): Promise<void> {
    if (this.edges.size === 0) return;
    const live = new Set((await this.registry.liveNodes()).map((n) => n.id));
    for (const [roomId, set] of this.edges) for (const node of [...set]) if (!live.has(node)) this.detach(roomId, node);
  }

  private sendToEdges<M extends 'edge.event' | 'edge.producer' | 'edge.closed'>(roomId: string, method: M, data: Parameters<NodeBusService['send']>[2] & object): void {
    for (const node of this.edges.get(roomId) ?? []) void this.bus.send(node, method, data as never);
  }

  private async guard(what: string, run: () => unknown): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.logger.warn(`edge ${what} message refused | ${(error as Error).message}`);
    }
  }
}
