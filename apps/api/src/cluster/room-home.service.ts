import { Injectable, Logger } from '@nestjs/common';
import { SignalingError, type RedirectDetails } from '@confer/signaling-contracts';
import { AuthService } from '../auth/auth.service';
import type { Peer } from '../peers/peer';
import { RoomsService } from '../rooms/rooms.service';
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

  constructor(
    private readonly redis: ClusterRedisService,
    private readonly registry: NodeRegistryService,
    private readonly placement: RoomPlacementService,
    private readonly rooms: RoomsService,
    private readonly auth: AuthService,
  ) {}

  /** Returns when `roomId` is (now) this node's; throws `redirect` or `cluster_unavailable` otherwise. */
  async assertHere(peer: Peer, roomId: string): Promise<void> {
    if (!this.redis.enabled || this.rooms.get(roomId)) return;
    let owner: string;
    try {
      owner = await this.placement.locate(roomId);
    } catch (error) {
      this.placementFailures++;
      if (error instanceof SignalingError) throw error;
      throw unavailable(`room "${roomId}" cannot be placed now: ${(error as Error).message}`);
    }
    if (owner === this.registry.selfId) return;
    const details = await this.redirectTo(peer, owner, roomId);
    this.redirects++;
    this.logger.log({ peer: peer.id, room: roomId, node: owner }, `redirect | peer=${peer.id} room=${roomId} → node=${owner}`);
    throw new SignalingError('redirect', `room "${roomId}" is served by node ${owner}: reconnect there`, { ...details });
  }

  /** Where `peer` goes for `roomId` on node `nodeId`, with a token that node accepts. */
  async redirectTo(peer: Peer, nodeId: string, roomId: string): Promise<RedirectDetails> {
    const node = await this.registry.node(nodeId).catch(() => null);
    if (!node) throw unavailable(`node ${nodeId} of room "${roomId}" is gone; try again`);
    return { url: node.url, token: await this.auth.cluster.sign(peer.identity, node.id, roomId), nodeId: node.id, roomId };
  }
}
