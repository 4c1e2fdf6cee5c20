import { Inject, Injectable, Logger } from '@nestjs/common';
import { SignalingError, type RedirectDetails } from '@confer/signaling-contracts';
import { AuthService } from '../auth/auth.service';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { NODE_PLACEMENT, type NodePlacement } from '../policies/node-placement';
import { RoomSettingsService } from '../room-settings/room-settings.service';
import type { Peer } from '../peers/peer';
import { RoomsService } from '../rooms/rooms.service';
import { ClusterBansService } from './cluster-bans.service';
import { ClusterRedisService, unavailable } from './cluster-redis.service';
import { NodeRegistryService } from './node-registry.service';
import { RoomPlacementService } from './room-placement.service';

/**
 * The cluster's gate in front of a room: a node serves the rooms it owns and
 * redirects the others' clients to their owner (`redirect` with the owner's URL
 * and a short-lived token for it). A room this node already serves is served
 * without asking Redis, so rooms in progress go on while Redis is away; a room
 * that must be placed then answers `cluster_unavailable`. Without REDIS_URL
 * every room is served here, as on a single server.
 */
@Injectable()
export class RoomHomeService {
  private readonly logger = new Logger(RoomHomeService.name);
  /** Since start-up (metrics): clients sent elsewhere, placements refused. */
  redirects = 0;
  placementFailures = 0;
  /**
   * Edge rooms served here, by room id → the owning node: rooms of another
   * node whose viewers this node serves, with the owner's producers piped in
   * (CLUSTER_EDGE_VIEWERS_AT; the edge/ layer attaches and detaches them).
   */
  readonly edgeRooms = new Map<string, string>();

  constructor(
    private readonly redis: ClusterRedisService,
    private readonly registry: NodeRegistryService,
    private readonly placement: RoomPlacementService,
    private readonly rooms: RoomsService,
    private readonly auth: AuthService,
    private readonly settings: RoomSettingsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(NODE_PLACEMENT) private readonly policy: NodePlacement,
    private readonly bans: ClusterBansService,
  ) {}

  /**
   * Returns when this node serves `peer` in `roomId` (its own room, or an edge
   * room for a viewer); throws `redirect` or `cluster_unavailable` otherwise.
   */
  async assertHere(peer: Peer, roomId: string): Promise<void> {
    // Entered already (getRouterRtpCapabilities before join): this gate was passed then.
    if (!this.redis.enabled || peer.roomId === roomId) return;
    // A removal seen by another node (the room's node before a failover) still holds.
    const bannedMs = await this.bans.remainingMs(roomId, peer.identity.subject);
    if (bannedMs > 0) throw new SignalingError('forbidden', `removed from room "${roomId}" by a moderator; try again in ${Math.ceil(bannedMs / 1000)} s`, { reason: 'removed' });
    const local = this.rooms.get(roomId);
    if (local) {
      const edgeOwner = this.edgeRooms.get(roomId);
      // An edge room serves viewers only: anyone else goes to the room's node.
      if (edgeOwner && !this.servesAsEdge(peer, roomId)) throw await this.redirect(peer, edgeOwner, roomId);
      // The room's node past CLUSTER_EDGE_VIEWERS_AT: a new viewer goes to an edge node.
      if (!edgeOwner && this.servesAsEdge(peer, roomId) && local.joinedPeers().length >= this.config.cluster.edgeViewersAt) {
        const edge = await this.edgeNode(roomId).catch(() => null);
        if (edge) throw await this.redirect(peer, edge, roomId);
      }
      return;
    }
    let owner: string;
    try {
      owner = await this.placement.locate(roomId, peer.identity.region);
    } catch (error) {
      this.placementFailures++;
      if (error instanceof SignalingError) throw error;
      throw unavailable(`room "${roomId}" cannot be placed now: ${(error as Error).message}`);
    }
    if (owner === this.registry.selfId) return;
    if (this.servesAsEdge(peer, roomId) && this.registry.self().peers < this.config.cluster.maxPeers) {
      this.edgeRooms.set(roomId, owner);
      this.logger.log({ peer: peer.id, room: roomId, node: owner }, `edge | viewer ${peer.id} served here in room ${roomId} of node ${owner}`);
      return;
    }
    throw await this.redirect(peer, owner, roomId);
  }

  /** Edge rooms are on (CLUSTER_EDGE_VIEWERS_AT), the peer is a viewer and the room has no lobby (moderated entry stays on the room's node). */
  private servesAsEdge(peer: Peer, roomId: string): boolean {
    return this.config.cluster.edgeViewersAt > 0 && peer.role === 'viewer' && !this.settings.get(roomId).lobby;
  }

  /** The least loaded other live node that can take viewers, or null. */
  private async edgeNode(roomId: string): Promise<string | null> {
    const others = (await this.registry.liveNodes()).filter((n) => n.id !== this.registry.selfId);
    return this.policy.place(others, { roomId, selfId: this.registry.selfId });
  }

  private async redirect(peer: Peer, nodeId: string, roomId: string): Promise<SignalingError> {
    const details = await this.redirectTo(peer, nodeId, roomId);
    this.redirects++;
    this.logger.log({ peer: peer.id, room: roomId, node: nodeId }, `redirect | peer=${peer.id} room=${roomId} → node=${nodeId}`);
    return new SignalingError('redirect', `room "${roomId}" is served by node ${nodeId}: reconnect there`, { ...details });
  }

  /** Where `peer` goes for `roomId` on node `nodeId`, with a token that node accepts. */
  async redirectTo(peer: Peer, nodeId: string, roomId: string): Promise<RedirectDetails> {
    const node = await this.registry.node(nodeId).catch(() => null);
    if (!node) throw unavailable(`node ${nodeId} of room "${roomId}" is gone; try again`);
    return { url: node.url, token: await this.auth.cluster.sign(peer.identity, node.id, roomId), nodeId: node.id, roomId };
  }
}
